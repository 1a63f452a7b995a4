/*
 * lemu-img convert [-U] [-C] [-c] [-p] [-q] [-n] [-f fmt] [-t cache] [-T src_cache]
 *   [-O output_fmt] [-B backing_file [-F backing_fmt]] [-o options] [-S sparse_size]
 *   [-r rate_limit] [-m num_coroutines] [-W] [--target-is-zero]
 *   filename [filename2 [...]] output_filename
 */
#include "img/copy.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONVERT_CHUNK (2u << 20)

int img_cmd_convert(struct img *img, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "object", required_argument, NULL, 'j' },
		{ "image-opts", no_argument, NULL, 'i' },
		{ "target-image-opts", no_argument, NULL, 'k' },
		{ "salvage", no_argument, NULL, 'v' },
		{ "target-is-zero", no_argument, NULL, 'z' },
		{ "bitmaps", no_argument, NULL, 'y' },
		{ "skip-broken-bitmaps", no_argument, NULL, 'Y' },
		{ "force-share", no_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fmt = NULL, *out_fmt = NULL, *out_base = NULL, *base_fmt = NULL;
	const char *cache = "unsafe", *src_cache = NULL, *snapshot = NULL;
	char *optstr = NULL;
	const char *out_name = NULL;
	bool compress = false, progress = false, quiet = false, skip_create = false;
	bool out_of_order = false, force_share = false, target_is_zero = false;
	int64_t sparse = 4096;
	long coroutines = 8;
	int c, ret = 1;
	struct img_copy *cp = NULL;
	struct blk_opts *opts = NULL;
	struct blk_node *dst = NULL;
	struct img_progress prog = { 0 };

	while ((c = img_getopt(img, argc, argv, ":hf:O:B:CcF:o:l:S:pt:T:qnm:WUr:", longopts)) != -1) {
		switch (c) {
		case '?': goto out;
		case 'h': ret = img_help(img); goto out;
		case 'f': fmt = optarg; break;
		case 'O': out_fmt = optarg; break;
		case 'B': out_base = optarg; break;
		case 'F': base_fmt = optarg; break;
		case 'C': break;	/* copy offloading: the plain copy is used */
		case 'c': compress = true; break;
		case 'o':
			if (img_opts_append(&optstr, optarg) < 0)
				goto out;
			break;
		case 'l': snapshot = optarg; break;
		case 'S': {
			uint64_t v;
			if (img_parse_size(optarg, 'B', &v) < 0 || v % 512 || v > 16u << 20) {
				img_error(img, "Invalid buffer size for sparse output specified. Valid "
					       "sizes are multiples of 512 up to 16777216. Select 0 to "
					       "disable sparse detection (fully allocates output).");
				goto out;
			}
			sparse = (int64_t)v;
			break;
		}
		case 'p': progress = true; break;
		case 't': cache = optarg; break;
		case 'T': src_cache = optarg; break;
		case 'q': quiet = true; break;
		case 'n': skip_create = true; break;
		case 'm': {
			char *end;
			coroutines = strtol(optarg, &end, 10);
			if (*end || coroutines < 1 || coroutines > 16) {
				img_error(img, "Invalid number of coroutines. Allowed number of "
					       "coroutines is between 1 and 16");
				goto out;
			}
			break;
		}
		case 'W': out_of_order = true; break;
		case 'U': force_share = true; break;
		case 'r': break;	/* rate limit: accepted, not enforced */
		case 'z': target_is_zero = true; break;
		case 'v': case 'y': case 'Y': break;
		case 'j': case 'i': case 'k':
			img_error(img, "--object, --image-opts and --target-image-opts are not supported");
			goto out;
		}
	}
	if (quiet)
		progress = false;
	if (!out_fmt)
		out_fmt = "raw";
	if (img_opts_has_help(optstr)) {
		if (!blk_create_opts_table(out_fmt)) {
			img_error(img, "Unknown file format '%s'", out_fmt);
			goto out;
		}
		ret = img_print_create_help(img, out_fmt, false);
		goto out;
	}
	int nsrc = argc - optind - 1;
	if (nsrc < 1) {
		img_error(img, "Must specify image file name");
		goto out;
	}
	if (nsrc > IMG_COPY_MAX_SRC) {
		img_error(img, "Too many source images (at most %d)", IMG_COPY_MAX_SRC);
		goto out;
	}
	out_name = argv[argc - 1];
	if (snapshot && nsrc > 1) {
		img_error(img, "No support for concatenating multiple snapshot");
		goto out;
	}
	if (out_base && !base_fmt) {
		img_error(img, "Use of backing file requires explicit backing format");
		goto out;
	}
	if (target_is_zero && !skip_create) {
		img_error(img, "--target-is-zero requires use of -n flag");
		goto out;
	}
	if (img_check_cache(img, src_cache, "source cache") < 0)
		goto out;

	cp = calloc(1, sizeof(*cp));
	if (!cp)
		goto out;
	cp->nsrc = nsrc;
	int64_t total = 0;
	for (int i = 0; i < nsrc; i++) {
		struct img_open_req req = { .fmt = fmt, .cache = src_cache, .force_share = force_share,
					    .snapshot = snapshot };
		cp->src[i] = img_open(img, argv[optind + i], &req);
		if (!cp->src[i])
			goto out;
		cp->src_len[i] = blk_getlength(cp->src[i]);
		if (cp->src_len[i] < 0) {
			img_error(img, "Could not get size of '%s': %s", argv[optind + i],
				  strerror((int)-cp->src_len[i]));
			goto out;
		}
		total += cp->src_len[i];
	}

	if (!blk_create_opts_table(out_fmt)) {
		img_error(img, "Unknown file format '%s'", out_fmt);
		goto out;
	}
	if (compress && strcmp(out_fmt, "qcow2")) {
		img_error(img, "Compression not supported for this file format");
		goto out;
	}
	if (img_check_cache(img, cache, "cache") < 0)
		goto out;
	if (!skip_create) {
		opts = img_create_opts(img, out_fmt, optstr, NULL);
		if (!opts)
			goto out;
		/* The size is the sources' total, whatever -o says (as qemu-img). */
		char num[32];
		snprintf(num, sizeof(num), "%" PRId64, total);
		blk_opts_set(opts, "size", num);
		if (out_base) {
			blk_opts_set(opts, "backing_file", out_base);
			blk_opts_set(opts, "backing_fmt", base_fmt);
		}
		struct blk_error err = { 0 };
		if (blk_create(out_name, out_fmt, opts, out_base ? BLK_CREATE_NO_BACKING_CHECK : 0,
			       &err) < 0) {
			img_error(img, "%s: error while converting %s: %s", out_name, out_fmt,
				  err.msg[0] ? err.msg : strerror(-err.code));
			goto out;
		}
	}
	struct img_open_req dreq = { .fmt = out_fmt, .cache = cache, .flags = BLK_OPEN_RDWR,
				     .quiet_probe = true };
	dst = img_open(img, out_name, &dreq);
	if (!dst)
		goto out;
	if (skip_create) {
		int64_t dlen = blk_getlength(dst);
		if (dlen >= 0 && dlen < total) {
			img_error(img, "output file is smaller than input file");
			goto out;
		}
	}

	cp->dst = dst;
	cp->compress = compress;
	cp->target_zero = !skip_create || target_is_zero;
	cp->target_has_backing = out_base != NULL;
	cp->out_of_order = out_of_order;
	cp->sparse_size = sparse;
	cp->chunk = CONVERT_CHUNK;
	if (compress) {
		int64_t cs = blk_node_cluster_size(dst);
		cp->chunk = cs > 0 ? (size_t)cs : 65536;
	}
	/* -m counts qemu's coroutines; threads beyond twice the CPUs only add contention. */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1)
		ncpu = 1;
	cp->threads = (int)(coroutines < 2 * ncpu ? coroutines : 2 * ncpu);
	/* Compression is CPU-bound: one thread per coroutine, as qemu-img runs one
	 * compression job per coroutine (at least one per CPU). */
	if (compress)
		cp->threads = (int)(coroutines > ncpu ? coroutines : ncpu);
	img_progress_init(&prog, progress, img->out);
	cp->progress = &prog;
	int r = img_copy_run(cp);
	if (r < 0) {
		img_error(img, "error while %s at byte %" PRId64 ": %s",
			  cp->error_is_write ? "writing" : "reading", cp->error_offset, strerror(-r));
		goto out;
	}
	r = blk_flush(dst);
	if (r < 0) {
		img_error(img, "error while flushing '%s': %s", out_name, strerror(-r));
		goto out;
	}
	img_progress_done(&prog);
	ret = 0;
out:
	if (dst && blk_close(dst) < 0 && ret == 0) {
		img_error(img, "error while closing '%s'", out_name);
		ret = 1;
	}
	if (cp)
		for (int i = 0; i < cp->nsrc; i++)
			if (cp->src[i])
				blk_close(cp->src[i]);
	free(cp);
	blk_opts_free(opts);
	free(optstr);
	return ret;
}
