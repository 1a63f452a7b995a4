/*
 * lemu-img compare [-f fmt] [-F fmt] [-T src_cache] [-p] [-q] [-s] [-U] filename1 filename2
 *
 * Exit status (qemu-img's documented values): 0 identical, 1 different, 2 an image
 * could not be opened, 3 block status failed, 4 a read failed.
 */
#include "img/img.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define CMP_CHUNK (1u << 20)

/* First differing offset rounded down to a 512-byte sector, or -1. */
static int64_t cmp_first_diff(const uint8_t *a, const uint8_t *b, size_t len)
{
	for (size_t off = 0; off < len; off += 512) {
		size_t n = len - off < 512 ? len - off : 512;
		if (memcmp(a + off, b + off, n))
			return (int64_t)off;
	}
	return -1;
}

static int64_t cmp_first_nonzero(const uint8_t *a, size_t len)
{
	for (size_t off = 0; off < len; off += 512) {
		size_t n = len - off < 512 ? len - off : 512;
		for (size_t i = 0; i < n; i++)
			if (a[off + i])
				return (int64_t)off;
	}
	return -1;
}

struct cmp_state {
	struct img *img;
	bool quiet;
	uint8_t *b1, *b2;
	struct img_progress *prog;
	int64_t total_progress;
};

/* The tail of the larger image must read as zeroes. Returns 0 (zero), 1 (differs), >1 error. */
static int cmp_tail(struct cmp_state *s, struct blk_node *n, const char *name, int64_t from,
		    int64_t to, int64_t *diff)
{
	int64_t off = from;
	while (off < to) {
		struct blk_status st;
		int64_t len = to - off < CMP_CHUNK ? to - off : CMP_CHUNK;
		if (blk_block_status_above(n, NULL, off, len, &st) < 0) {
			img_error(s->img, "Sector allocation test failed for %s", name);
			return 3;
		}
		if (st.bytes > 0 && st.bytes < len)
			len = st.bytes;
		if (!(st.flags & BLK_STATUS_ZERO)) {
			int r = blk_pread(n, off, s->b1, (size_t)len, 0);
			if (r < 0) {
				img_error(s->img, "Error while reading offset %" PRId64 " of %s: %s", off,
					  name, strerror(-r));
				return 4;
			}
			int64_t d = cmp_first_nonzero(s->b1, (size_t)len);
			if (d >= 0) {
				*diff = off + d;
				return 1;
			}
		}
		off += len;
	}
	return 0;
}

int img_cmd_compare(struct img *img, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "object", required_argument, NULL, 'j' },
		{ "image-opts", no_argument, NULL, 'i' },
		{ "force-share", no_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fmt1 = NULL, *fmt2 = NULL, *cache = NULL;
	bool progress = false, quiet = false, strict = false, force_share = false;
	int c, ret = 2;
	struct blk_node *n1 = NULL, *n2 = NULL;
	struct img_progress prog;
	struct cmp_state s = { .img = img };

	while ((c = img_getopt(img, argc, argv, ":hf:F:T:pqsU", longopts)) != -1) {
		switch (c) {
		case '?': return 1;
		case 'h': return img_help(img);
		case 'f': fmt1 = optarg; break;
		case 'F': fmt2 = optarg; break;
		case 'T': cache = optarg; break;
		case 'p': progress = true; break;
		case 'q': quiet = true; break;
		case 's': strict = true; break;
		case 'U': force_share = true; break;
		case 'j': case 'i':
			img_error(img, "--object and --image-opts are not supported");
			return 1;
		}
	}
	if (quiet)
		progress = false;
	if (optind != argc - 2)
		return img_usage_error(img, "Expecting two image file names");
	const char *f1 = argv[optind], *f2 = argv[optind + 1];
	if (img_check_cache(img, cache, "source cache") < 0)
		return 2;

	struct img_open_req r1 = { .fmt = fmt1, .cache = cache, .force_share = force_share };
	struct img_open_req r2 = { .fmt = fmt2, .cache = cache, .force_share = force_share };
	n1 = img_open(img, f1, &r1);
	if (!n1)
		goto out;
	n2 = img_open(img, f2, &r2);
	if (!n2)
		goto out;
	s.quiet = quiet;
	s.b1 = malloc(CMP_CHUNK);
	s.b2 = malloc(CMP_CHUNK);
	if (!s.b1 || !s.b2)
		goto out;
	int64_t len1 = blk_getlength(n1), len2 = blk_getlength(n2);
	if (len1 < 0 || len2 < 0) {
		img_error(img, "Can't get size of %s: %s", len1 < 0 ? f1 : f2,
			  strerror((int)-(len1 < 0 ? len1 : len2)));
		goto out;
	}
	int64_t common = len1 < len2 ? len1 : len2;
	int64_t big = len1 > len2 ? len1 : len2;
	img_progress_init(&prog, progress, img->out);
	s.prog = &prog;

	if (len1 != len2 && strict) {
		if (!quiet)
			fprintf(img->out, "Strict mode: Image size mismatch!\n");
		ret = 1;
		goto out;
	}
	int64_t off = 0;
	while (off < common) {
		struct blk_status st1, st2;
		int64_t len = common - off < CMP_CHUNK ? common - off : CMP_CHUNK;
		if (blk_block_status_above(n1, NULL, off, len, &st1) < 0) {
			img_error(img, "Sector allocation test failed for %s", f1);
			ret = 3;
			goto out;
		}
		if (st1.bytes > 0 && st1.bytes < len)
			len = st1.bytes;
		if (blk_block_status_above(n2, NULL, off, len, &st2) < 0) {
			img_error(img, "Sector allocation test failed for %s", f2);
			ret = 3;
			goto out;
		}
		if (st2.bytes > 0 && st2.bytes < len)
			len = st2.bytes;
		/* Strict mode compares the whole status (allocated, data, zero), as qemu-img. */
		const unsigned m = BLK_STATUS_ALLOCATED | BLK_STATUS_DATA | BLK_STATUS_ZERO;
		if (strict && (st1.flags & m) != (st2.flags & m)) {
			if (!quiet)
				fprintf(img->out, "Strict mode: Offset %" PRId64 " block status mismatch!\n",
					off);
			ret = 1;
			goto out;
		}
		bool z1 = st1.flags & BLK_STATUS_ZERO, z2 = st2.flags & BLK_STATUS_ZERO;
		if (!(z1 && z2)) {
			int r = z1 ? 0 : blk_pread(n1, off, s.b1, (size_t)len, 0);
			if (r < 0) {
				img_error(img, "Error while reading offset %" PRId64 " of %s: %s", off, f1,
					  strerror(-r));
				ret = 4;
				goto out;
			}
			r = z2 ? 0 : blk_pread(n2, off, s.b2, (size_t)len, 0);
			if (r < 0) {
				img_error(img, "Error while reading offset %" PRId64 " of %s: %s", off, f2,
					  strerror(-r));
				ret = 4;
				goto out;
			}
			int64_t d;
			if (z1)
				d = cmp_first_nonzero(s.b2, (size_t)len);
			else if (z2)
				d = cmp_first_nonzero(s.b1, (size_t)len);
			else
				d = cmp_first_diff(s.b1, s.b2, (size_t)len);
			if (d >= 0) {
				if (!quiet)
					fprintf(img->out, "Content mismatch at offset %" PRId64 "!\n", off + d);
				ret = 1;
				goto out;
			}
		}
		off += len;
		img_progress_update(&prog, (uint64_t)off, (uint64_t)big);
	}
	if (len1 != len2) {
		if (!quiet)
			fprintf(img->out, "Warning: Image size mismatch!\n");
		int64_t diff = 0;
		int r = cmp_tail(&s, len1 > len2 ? n1 : n2, len1 > len2 ? f1 : f2, common, big, &diff);
		if (r == 1) {
			if (!quiet)
				fprintf(img->out, "Content mismatch at offset %" PRId64 "!\n", diff);
			ret = 1;
			goto out;
		} else if (r > 1) {
			ret = r;
			goto out;
		}
	}
	/* qemu-img prints the verdict before ending the progress line */
	if (!quiet)
		fprintf(img->out, "Images are identical.\n");
	img_progress_end(&prog);
	ret = 0;
out:
	free(s.b1);
	free(s.b2);
	if (n1)
		blk_close(n1);
	if (n2)
		blk_close(n2);
	return ret;
}
