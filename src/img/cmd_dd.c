/*
 * lemu-img dd [-U] [-f fmt] [-O output_fmt] [bs=block_size] [count=blocks]
 *             [skip=blocks] if=input of=output
 *
 * Size rule of qemu-img 7.2: the output is min(input size, count*bs) minus skip*bs
 * bytes (count counts from the start of the input, not from the skip point).
 */
#include "img/img.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static bool dd_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

int img_cmd_dd(struct img *img, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "object", required_argument, NULL, 'j' },
		{ "image-opts", no_argument, NULL, 'i' },
		{ "force-share", no_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fmt = NULL, *out_fmt = "raw", *in_name = NULL, *out_name = NULL;
	bool force_share = false, have_count = false, have_skip = false;
	uint64_t bs = 512, count = 0, skip = 0;
	int c, ret = 1;
	struct blk_node *in = NULL, *out = NULL;
	struct blk_opts *opts = NULL;
	uint8_t *buf = NULL;

	while ((c = img_getopt(img, argc, argv, ":hf:O:U", longopts)) != -1) {
		switch (c) {
		case '?': return 1;
		case 'h': return img_help(img);
		case 'f': fmt = optarg; break;
		case 'O': out_fmt = optarg; break;
		case 'U': force_share = true; break;
		case 'j': case 'i':
			img_error(img, "--object and --image-opts are not supported");
			return 1;
		}
	}
	for (int i = optind; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		if (!eq) {
			img_error(img, "unrecognized operand %s", a);
			return 1;
		}
		size_t kl = (size_t)(eq - a);
		const char *v = eq + 1;
		if (kl == 2 && !strncmp(a, "if", 2)) {
			in_name = v;
		} else if (kl == 2 && !strncmp(a, "of", 2)) {
			out_name = v;
		} else if (kl == 2 && !strncmp(a, "bs", 2)) {
			if (img_parse_size(v, 'B', &bs) < 0 || bs == 0 || bs > INT32_MAX) {
				img_error(img, "Invalid bs specified. Must be between 1 and 2147483647.");
				return 1;
			}
		} else if (kl == 5 && !strncmp(a, "count", 5)) {
			if (img_parse_size(v, 'B', &count) < 0 || count > INT64_MAX) {
				img_error(img, "Invalid count specified. You may use k, M, G, T, P or E "
					       "suffixes for");
				img_error(img, "kilobytes, megabytes, gigabytes, terabytes, petabytes and "
					       "exabytes.");
				return 1;
			}
			have_count = true;
		} else if (kl == 4 && !strncmp(a, "skip", 4)) {
			if (img_parse_size(v, 'B', &skip) < 0 || skip > INT64_MAX) {
				img_error(img, "Invalid skip specified. You may use k, M, G, T, P or E "
					       "suffixes for");
				img_error(img, "kilobytes, megabytes, gigabytes, terabytes, petabytes and "
					       "exabytes.");
				return 1;
			}
			have_skip = true;
		} else {
			/* qemu-img names only the operand's key */
			img_error(img, "unrecognized operand %.*s", (int)kl, a);
			return 1;
		}
	}
	if (!in_name || !out_name) {
		img_error(img, "Must specify both input and output files");
		return 1;
	}
	if (!blk_create_opts_table(out_fmt)) {
		img_error(img, "Unknown file format '%s'", out_fmt);
		return 1;
	}
	struct img_open_req ireq = { .fmt = fmt, .force_share = force_share };
	in = img_open(img, in_name, &ireq);
	if (!in)
		goto out;
	int64_t size = blk_getlength(in);
	if (size < 0) {
		img_error(img, "Failed to get size for '%s'", in_name);
		goto out;
	}
	if (have_count && count <= (uint64_t)INT64_MAX / bs && (uint64_t)size > count * bs)
		size = (int64_t)(count * bs);
	int64_t in_pos = 0, out_size;
	if (have_skip && (skip > (uint64_t)INT64_MAX / bs || (uint64_t)size < bs * skip)) {
		out_size = 0;
		in_pos = size;
	} else {
		in_pos = (int64_t)(skip * bs);
		out_size = size - in_pos;
	}
	opts = blk_opts_new();
	char num[32];
	snprintf(num, sizeof(num), "%" PRId64, out_size);
	if (!opts || blk_opts_set(opts, "size", num) < 0)
		goto out;
	struct blk_error err = { 0 };
	if (blk_create(out_name, out_fmt, opts, 0, &err) < 0) {
		img_error(img, "%s: error while creating output image: %s", out_name,
			  err.msg[0] ? err.msg : strerror(-err.code));
		goto out;
	}
	struct img_open_req oreq = { .fmt = out_fmt, .flags = BLK_OPEN_RDWR, .cache = "unsafe" };
	out = img_open(img, out_name, &oreq);
	if (!out)
		goto out;
	buf = malloc(bs);
	if (!buf)
		goto out;
	for (int64_t out_pos = 0; in_pos < size;) {
		size_t n = (uint64_t)(size - in_pos) < bs ? (size_t)(size - in_pos) : (size_t)bs;
		int r = blk_pread(in, in_pos, buf, n, 0);
		if (r < 0) {
			img_error(img, "error while reading from input image file: %s", strerror(-r));
			goto out;
		}
		/* The output is freshly created and reads as zeroes: skip zero blocks. */
		if (!dd_zero(buf, n)) {
			r = blk_pwrite(out, out_pos, buf, n, 0);
			if (r < 0) {
				img_error(img, "error while writing to output image file: %s", strerror(-r));
				goto out;
			}
		}
		in_pos += n;
		out_pos += n;
	}
	ret = 0;
out:
	free(buf);
	blk_opts_free(opts);
	if (out && blk_close(out) < 0 && ret == 0)
		ret = 1;
	if (in)
		blk_close(in);
	return ret;
}
