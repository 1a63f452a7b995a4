/*
 * lemu-img rebase [-U] [-q] [-f fmt] [-t cache] [-T src_cache] [-p] [-u]
 *                 -b backing_file [-F backing_fmt] filename
 *
 * Safe mode: every range the image does not allocate itself and where the old
 * backing chain and the new backing file read differently gets the old data written
 * into the image, so the guest-visible content is unchanged; then the header gets
 * the new backing name. -u only rewrites the header.
 */
#include "img/img.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define REBASE_CHUNK (1u << 20)

/* Read [off, off+len) of node, zeroes past its end. */
static int rebase_read(struct blk_node *node, int64_t node_len, int64_t off, uint8_t *buf,
		       int64_t len)
{
	if (!node || off >= node_len) {
		memset(buf, 0, (size_t)len);
		return 0;
	}
	int64_t n = off + len > node_len ? node_len - off : len;
	int r = blk_pread(node, off, buf, (size_t)n, 0);
	if (n < len)
		memset(buf + n, 0, (size_t)(len - n));
	return r;
}

static int rebase_copy(struct img *img, struct blk_node *top, struct blk_node *newb,
		       struct img_progress *prog)
{
	int64_t len = blk_getlength(top);
	int64_t new_len = newb ? blk_getlength(newb) : 0;
	struct blk_node *oldb = blk_node_backing(top);
	int64_t old_len = oldb ? blk_getlength(oldb) : 0;
	if (len < 0 || new_len < 0 || old_len < 0)
		return -EIO;
	uint8_t *a = malloc(REBASE_CHUNK), *b = malloc(REBASE_CHUNK);
	int ret = 0;
	if (!a || !b) {
		ret = -ENOMEM;
		goto out;
	}
	for (int64_t off = 0; off < len;) {
		struct blk_status st;
		int64_t n = len - off < REBASE_CHUNK ? len - off : REBASE_CHUNK;
		ret = blk_block_status(top, off, n, &st);
		if (ret < 0) {
			img_error(img, "error while reading image metadata: %s", strerror(-ret));
			goto out;
		}
		if (st.bytes > 0 && st.bytes < n)
			n = st.bytes;
		if (!(st.flags & BLK_STATUS_ALLOCATED)) {
			/* The old view is what the image shows now (its backing chain). */
			ret = rebase_read(oldb, old_len, off, a, n);
			if (ret < 0) {
				img_error(img, "error while reading from old backing file");
				goto out;
			}
			ret = rebase_read(newb, new_len, off, b, n);
			if (ret < 0) {
				img_error(img, "error while reading from new backing file");
				goto out;
			}
			/* Write only the 512-byte sectors that differ (keeps the image sparse). */
			int64_t i = 0;
			while (i < n) {
				int64_t s = n - i < 512 ? n - i : 512;
				if (!memcmp(a + i, b + i, (size_t)s)) {
					i += s;
					continue;
				}
				int64_t j = i + s;
				while (j < n) {
					int64_t t = n - j < 512 ? n - j : 512;
					if (!memcmp(a + j, b + j, (size_t)t))
						break;
					j += t;
				}
				ret = blk_pwrite(top, off + i, a + i, (size_t)(j - i), 0);
				if (ret < 0) {
					img_error(img, "error while writing to COW image: %s", strerror(-ret));
					goto out;
				}
				i = j;
			}
		}
		off += n;
		img_progress_update(prog, (uint64_t)off, (uint64_t)len);
	}
out:
	free(a);
	free(b);
	return ret;
}

int img_cmd_rebase(struct img *img, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "object", required_argument, NULL, 'j' },
		{ "image-opts", no_argument, NULL, 'i' },
		{ "force-share", no_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fmt = NULL, *base = NULL, *base_fmt = NULL, *cache = "writeback";
	const char *src_cache = NULL;
	bool unsafe = false, progress = false, quiet = false, force_share = false;
	int c;

	while ((c = img_getopt(img, argc, argv, ":hf:F:b:upt:T:qU", longopts)) != -1) {
		switch (c) {
		case '?': return 1;
		case 'h': return img_help(img);
		case 'f': fmt = optarg; break;
		case 'F': base_fmt = optarg; break;
		case 'b': base = optarg; break;
		case 'u': unsafe = true; break;
		case 'p': progress = true; break;
		case 't': cache = optarg; break;
		case 'T': src_cache = optarg; break;
		case 'q': quiet = true; break;
		case 'U': force_share = true; break;
		case 'j': case 'i':
			img_error(img, "--object and --image-opts are not supported");
			return 1;
		}
	}
	if (quiet)
		progress = false;
	if (optind != argc - 1)
		return img_usage_error(img, "Expecting one image file name");
	if (!unsafe && !base)
		return img_usage_error(img, "Must specify backing file (-b) or use unsafe mode (-u)");
	if (force_share) {
		img_error(img, "force-share=on can only be used with read-only images");
		return 1;
	}
	const char *filename = argv[optind];
	if (img_check_cache(img, cache, "cache") < 0 || img_check_cache(img, src_cache, "source cache") < 0)
		return 1;
	if (base && !*base)
		base = NULL;	/* -b "": no backing file */
	if (base && !base_fmt) {
		/* QEMU 7.2 no longer records a backing file without its format. */
		img_error(img, "Could not change the backing file to '%s': backing format must be "
			       "specified", base);
		return 1;
	}

	struct img_open_req req = { .fmt = fmt, .cache = cache, .flags = BLK_OPEN_RDWR };
	if (unsafe)
		req.flags |= BLK_OPEN_NO_BACKING;
	struct blk_node *top = img_open(img, filename, &req);
	if (!top)
		return 1;
	int ret = 1;
	struct blk_node *newb = NULL;
	struct blk_error err = { 0 };
	char *path = NULL;
	if (base && !unsafe) {
		path = img_backing_path(filename, base);
		newb = path ? blk_open(path, base_fmt, NULL, BLK_OPEN_FORCE_SHARE, &err) : NULL;
		if (!newb) {
			img_error(img, "Could not open new backing file '%s': %s", base,
				  err.msg[0] ? err.msg : strerror(ENOMEM));
			goto out;
		}
	}
	if (!unsafe) {
		struct img_progress prog;
		img_progress_init(&prog, progress, img->out);
		if (rebase_copy(img, top, newb, &prog) < 0)
			goto out;
		img_progress_done(&prog);
	}
	if (blk_change_backing_file(top, base, base ? base_fmt : NULL, &err) < 0) {
		if (err.code == -ENOSPC)
			img_error(img, "Could not change the backing file to '%s': No space left in the "
				       "file header", base ? base : "");
		else
			img_error(img, "Could not change the backing file to '%s': %s", base ? base : "",
				  err.msg[0] ? err.msg : strerror(-err.code));
		goto out;
	}
	ret = 0;
out:
	free(path);
	if (newb)
		blk_close(newb);
	if (blk_close(top) < 0 && ret == 0)
		ret = 1;
	return ret;
}
