/*
 * lemu-img commit [-q] [-f fmt] [-t cache] [-b base] [-r rate_limit] [-d] [-p] filename
 *
 * Copies what the layers above base provide into base (the direct backing file by
 * default), then empties the top image unless -d is given or -b names a deeper base
 * (qemu-img: "-b implies -d").
 */
#include "img/img.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define COMMIT_CHUNK (2u << 20)

static struct blk_node *commit_find_base(struct blk_node *top, const char *name)
{
	for (struct blk_node *b = blk_node_backing(top); b; b = blk_node_backing(b)) {
		const char *fn = blk_node_filename(b);
		if (!strcmp(fn, name))
			return b;
		/* Accept the name relative to the directory of the image above it too. */
		size_t fl = strlen(fn), nl = strlen(name);
		if (fl > nl && fn[fl - nl - 1] == '/' && !strcmp(fn + fl - nl, name))
			return b;
	}
	return NULL;
}

int img_cmd_commit(struct img *img, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "object", required_argument, NULL, 'j' },
		{ "image-opts", no_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fmt = NULL, *cache = "unsafe", *base_name = NULL;
	bool drop = false, progress = false, quiet = false;
	int c;

	while ((c = img_getopt(img, argc, argv, ":f:ht:b:dpqr:", longopts)) != -1) {
		switch (c) {
		case '?': return 1;
		case 'h': return img_help(img);
		case 'f': fmt = optarg; break;
		case 't': cache = optarg; break;
		case 'b': base_name = optarg; drop = true; break;
		case 'd': drop = true; break;
		case 'p': progress = true; break;
		case 'q': quiet = true; break;
		case 'r': break;	/* rate limit: accepted, not enforced */
		case 'j': case 'i':
			img_error(img, "--object and --image-opts are not supported");
			return 1;
		}
	}
	if (quiet)
		progress = false;
	if (optind != argc - 1)
		return img_usage_error(img, "Expecting one image file name");
	const char *filename = argv[optind];
	if (img_check_cache(img, cache, "cache") < 0)
		return 1;
	struct img_open_req req = { .fmt = fmt, .cache = cache,
				    .flags = BLK_OPEN_RDWR | BLK_OPEN_BACKING_RW };
	struct blk_node *top = img_open(img, filename, &req);
	if (!top)
		return 1;
	int ret = 1;
	uint8_t *buf = NULL;
	struct blk_node *base = blk_node_backing(top);
	if (!base) {
		img_error(img, "Image does not have a backing file");
		goto out;
	}
	if (base_name) {
		base = commit_find_base(top, base_name);
		if (!base) {
			img_error(img, "Did not find '%s' in the backing chain of '%s'", base_name, filename);
			goto out;
		}
	}
	int64_t len = blk_getlength(top), base_len = blk_getlength(base);
	struct blk_error err = { 0 };
	if (len < 0 || base_len < 0) {
		img_error(img, "Could not get image size: %s", strerror(EIO));
		goto out;
	}
	if (base_len < len && blk_truncate(base, len, false, NULL, &err) < 0) {
		img_error(img, "Top image %s is larger than base image, and base image cannot be "
			       "resized: %s", filename, err.msg);
		goto out;
	}
	buf = malloc(COMMIT_CHUNK);
	if (!buf)
		goto out;
	struct img_progress prog;
	img_progress_init(&prog, progress, img->out);
	for (int64_t off = 0; off < len;) {
		struct blk_status st;
		int64_t n = len - off < COMMIT_CHUNK ? len - off : COMMIT_CHUNK;
		int r = blk_block_status_above(top, base, off, n, &st);
		if (r < 0) {
			img_error(img, "Block status failed: %s", strerror(-r));
			goto out;
		}
		if (st.bytes > 0 && st.bytes < n)
			n = st.bytes;
		if (st.flags & BLK_STATUS_ALLOCATED) {
			if (st.flags & BLK_STATUS_ZERO) {
				r = blk_pwrite_zeroes(base, off, n, BLK_REQ_MAY_UNMAP);
			} else {
				r = blk_pread(top, off, buf, (size_t)n, 0);
				if (r == 0)
					r = blk_pwrite(base, off, buf, (size_t)n, 0);
			}
			if (r < 0) {
				img_error(img, "Block job failed: %s", strerror(-r));
				goto out;
			}
		}
		off += n;
		img_progress_update(&prog, (uint64_t)off, (uint64_t)len);
	}
	int r = blk_flush(base);
	if (r < 0) {
		img_error(img, "Block job failed: %s", strerror(-r));
		goto out;
	}
	if (!drop && blk_make_empty(top, &err) < 0 && err.code != -ENOTSUP) {
		img_error(img, "Could not empty %s: %s", filename, err.msg);
		goto out;
	}
	img_progress_done(&prog);
	if (!quiet)
		fprintf(img->out, "Image committed.\n");
	ret = 0;
out:
	free(buf);
	if (blk_close(top) < 0 && ret == 0)
		ret = 1;
	return ret;
}
