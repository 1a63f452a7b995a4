/*
 * lemu-img create [-q] [-f fmt] [-b backing_file [-F backing_fmt]] [-u] [-o options]
 *                 filename [size]
 */
#include "img/img.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* Open the backing file the way qemu-img create does, to validate it and learn its size. */
static int create_probe_backing(struct img *img, const char *filename, const char *backing,
				const char *backing_fmt, int64_t *size, const char **detected)
{
	struct blk_error err = { 0 };
	char *path = img_backing_path(filename, backing);
	if (!path)
		return -ENOMEM;
	struct blk_node *b = blk_open(path, backing_fmt, NULL,
				      BLK_OPEN_FORCE_SHARE | BLK_OPEN_NO_BACKING, &err);
	free(path);
	if (!b) {
		img_error(img, "%s: %s", filename, err.msg[0] ? err.msg : strerror(-err.code));
		fprintf(img->err, "Could not open backing image.\n");
		return -EINVAL;
	}
	*size = blk_getlength(b);
	if (detected)
		*detected = !strcmp(blk_node_driver(b), "qcow2") ? "qcow2" : "raw";
	blk_close(b);
	return 0;
}

/*
 * REQUEST(img): two blk_create() messages differ from qemu-img 7.2's:
 *  - compat=0.10,lazy_refcounts=on: QEMU ends with "(use version=v3 or greater)"
 *    (lemu: "use compat=1.1 or greater");
 *  - raw with preallocation=metadata: QEMU says "Unsupported preallocation mode:
 *    metadata" (lemu: "Parameter 'preallocation' does not accept value 'metadata'").
 */
int img_cmd_create(struct img *img, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "object", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fmt = "raw", *backing = NULL, *backing_fmt = NULL;
	char *optstr = NULL;
	bool quiet = false, unsafe = false;
	int c, ret = 1;
	struct blk_opts *opts = NULL;

	while ((c = img_getopt(img, argc, argv, ":F:b:f:ho:qu", longopts)) != -1) {
		switch (c) {
		case '?':
			goto out;
		case 'h':
			ret = img_help(img);
			goto out;
		case 'F': backing_fmt = optarg; break;
		case 'b': backing = optarg; break;
		case 'f': fmt = optarg; break;
		case 'o':
			if (img_opts_append(&optstr, optarg) < 0)
				goto out;
			break;
		case 'q': quiet = true; break;
		case 'u': unsafe = true; break;
		case 'j':
			img_error(img, "--object is not supported");
			goto out;
		}
	}

	const char *filename = optind < argc ? argv[optind] : NULL;
	if (img_opts_has_help(optstr)) {
		if (!blk_create_opts_table(fmt)) {
			img_error(img, "Unknown file format '%s'", fmt);
			goto out;
		}
		ret = img_print_create_help(img, fmt, filename != NULL);
		goto out;
	}
	if (!filename) {
		ret = img_usage_error(img, "Expecting image file name");
		goto out;
	}
	optind++;
	uint64_t size = 0;
	bool have_size = false;
	if (optind < argc) {
		int r = img_parse_size(argv[optind], 'B', &size);
		if (r < 0 || size > INT64_MAX) {
			img_size_error(img, r < 0 ? r : -ERANGE);
			goto out;
		}
		have_size = true;
		optind++;
	}
	if (optind != argc) {
		ret = img_usage_error(img, "Unexpected argument: %s", argv[optind]);
		goto out;
	}
	if (!blk_create_opts_table(fmt)) {
		img_error(img, "%s: Unknown file format '%s'", filename, fmt);
		goto out;
	}

	char prefix[4200];
	snprintf(prefix, sizeof(prefix), "%s: ", filename);
	opts = img_create_opts(img, fmt, optstr, prefix);
	if (!opts)
		goto out;
	if (backing)
		blk_opts_set(opts, "backing_file", backing);
	if (backing_fmt)
		blk_opts_set(opts, "backing_fmt", backing_fmt);
	backing = blk_opts_get(opts, "backing_file");
	backing_fmt = blk_opts_get(opts, "backing_fmt");

	if (have_size && blk_opts_get(opts, "size")) {
		img_error(img, "%s: The image size must be specified only once", filename);
		goto out;
	}
	if (have_size) {
		char num[32];
		snprintf(num, sizeof(num), "%llu", (unsigned long long)size);
		blk_opts_set(opts, "size", num);
	}
	if (backing && !strcmp(fmt, "raw")) {
		img_error(img, "%s: Backing file not supported for file format 'raw'", filename);
		goto out;
	}
	if (backing && !unsafe) {
		int64_t bsize;
		const char *detected = NULL;
		if (create_probe_backing(img, filename, backing, backing_fmt, &bsize, &detected) < 0)
			goto out;
		if (!backing_fmt) {
			/* QEMU 7.2 requires the backing format (since 6.1). */
			img_error(img, "%s: Backing file specified without backing format", filename);
			fprintf(img->err, "Detected format of %s.\n", detected);
			goto out;
		}
		if (!blk_opts_get(opts, "size")) {
			char num[32];
			snprintf(num, sizeof(num), "%lld", (long long)bsize);
			blk_opts_set(opts, "size", num);
		}
	} else if (backing && !backing_fmt) {
		img_error(img, "%s: Backing file specified without backing format", filename);
		goto out;
	}
	if (!blk_opts_get(opts, "size")) {
		img_error(img, "%s: Image creation needs a size parameter", filename);
		goto out;
	}
	if (backing_fmt && !backing) {
		if (!quiet)
			img_print_formatting(img, filename, fmt, opts);
		img_error(img, "%s: Backing format cannot be used without backing file", filename);
		goto out;
	}
	ret = img_do_create(img, filename, fmt, opts,
			    unsafe ? BLK_CREATE_NO_BACKING_CHECK : 0, quiet);
out:
	blk_opts_free(opts);
	free(optstr);
	return ret;
}
