/*
 * lemu-img measure [--output=ofmt] [-O output_fmt] [-o options]
 *                  [--size N | [-f fmt] [-l snapshot] filename]
 */
#include "img/img.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int img_cmd_measure(struct img *img, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "image-opts", no_argument, NULL, 'i' },
		{ "object", required_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 's' },
		{ "force-share", no_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fmt = NULL, *out_fmt = "raw", *snapshot = NULL, *size_arg = NULL;
	char *optstr = NULL;
	enum img_output output = IMG_OUT_HUMAN;
	bool force_share = false;
	int c, ret = 1;
	struct blk_opts *opts = NULL;
	struct blk_node *src = NULL;

	while ((c = img_getopt(img, argc, argv, ":hf:O:o:l:U", longopts)) != -1) {
		switch (c) {
		case '?': goto out;
		case 'h': ret = img_help(img); goto out;
		case 'f': fmt = optarg; break;
		case 'O': out_fmt = optarg; break;
		case 'o':
			if (img_opts_append(&optstr, optarg) < 0)
				goto out;
			break;
		case 'l': snapshot = optarg; break;
		case 'U': force_share = true; break;
		case 'p':
			if (img_parse_output(img, optarg, &output) < 0)
				goto out;
			break;
		case 's': size_arg = optarg; break;
		case 'i': case 'j':
			img_error(img, "--object and --image-opts are not supported");
			goto out;
		}
	}
	const char *filename = optind < argc ? argv[optind] : NULL;
	if (optind < argc - 1) {
		ret = img_usage_error(img, "Unexpected argument: %s", argv[optind + 1]);
		goto out;
	}
	uint64_t size = 0;
	if (size_arg) {
		int r = img_parse_size(size_arg, 'B', &size);
		if (r < 0 || size > INT64_MAX) {
			img_size_error(img, r < 0 ? r : -ERANGE);
			goto out;
		}
	}
	if (filename && size_arg) {
		img_error(img, "--size N cannot be used together with a filename.");
		goto out;
	}
	if (!filename && !size_arg) {
		img_error(img, "Either --size N or one filename must be specified.");
		goto out;
	}
	if (!blk_create_opts_table(out_fmt)) {
		img_error(img, "Unknown file format '%s'", out_fmt);
		goto out;
	}
	opts = img_create_opts(img, out_fmt, optstr, NULL);
	if (!opts) {
		img_error(img, "Invalid options for file format '%s'", out_fmt);
		goto out;
	}
	if (filename) {
		struct img_open_req req = { .fmt = fmt, .force_share = force_share,
					    .snapshot = snapshot };
		src = img_open(img, filename, &req);
		if (!src)
			goto out;
	} else {
		char num[32];
		snprintf(num, sizeof(num), "%" PRIu64, size);
		blk_opts_set(opts, "size", num);
	}
	struct blk_measure m;
	struct blk_error err = { 0 };
	memset(&m, 0, sizeof(m));
	if (blk_measure(out_fmt, opts, src, &m, &err) < 0) {
		img_error(img, "%s", err.msg[0] ? err.msg : strerror(-err.code));
		goto out;
	}
	if (output == IMG_OUT_JSON) {
		struct jw w;
		jw_init(&w, img->out);
		jw_obj_begin(&w);
		if (m.has_bitmaps)
			jw_kuint(&w, "bitmaps", m.bitmaps);
		jw_kuint(&w, "required", m.required);
		jw_kuint(&w, "fully-allocated", m.fully_allocated);
		jw_obj_end(&w);
	} else {
		fprintf(img->out, "required size: %" PRIu64 "\n", m.required);
		fprintf(img->out, "fully allocated size: %" PRIu64 "\n", m.fully_allocated);
		if (m.has_bitmaps)
			fprintf(img->out, "bitmaps size: %" PRIu64 "\n", m.bitmaps);
	}
	ret = 0;
out:
	if (src)
		blk_close(src);
	blk_opts_free(opts);
	free(optstr);
	return ret;
}
