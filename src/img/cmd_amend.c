/*
 * lemu-img amend [-p] [-q] [-f fmt] [-t cache] [--force] -o options filename
 */
#include "img/img.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* The qcow2 creation options that can be changed afterwards (qemu-img 7.2). */
static const char *const amend_names[] = {
	"backing_file", "backing_fmt", "compat", "data_file", "data_file_raw",
	"lazy_refcounts", "refcount_bits", "size", NULL,
};

static bool amend_allowed(const char *name)
{
	for (int i = 0; amend_names[i]; i++)
		if (!strcmp(amend_names[i], name))
			return true;
	return false;
}

static void amend_progress(void *opaque, double done)
{
	img_progress_print(opaque, done * 100.0);
}

int img_cmd_amend(struct img *img, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "object", required_argument, NULL, 'j' },
		{ "image-opts", no_argument, NULL, 'i' },
		{ "force", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fmt = NULL, *cache = "writeback";
	char *optstr = NULL;
	bool progress = false, quiet = false, force = false;
	int c, ret = 1;
	struct blk_opts *opts = NULL;
	struct blk_node *node = NULL;

	while ((c = img_getopt(img, argc, argv, ":ho:f:t:pq", longopts)) != -1) {
		switch (c) {
		case '?': goto out;
		case 'h': ret = img_help(img); goto out;
		case 'o':
			if (img_opts_append(&optstr, optarg) < 0)
				goto out;
			break;
		case 'f': fmt = optarg; break;
		case 't': cache = optarg; break;
		case 'p': progress = true; break;
		case 'q': quiet = true; break;
		case 'F': force = true; break;
		case 'j': case 'i':
			img_error(img, "--object and --image-opts are not supported");
			goto out;
		}
	}
	if (quiet)
		progress = false;
	if (!optstr) {
		ret = img_usage_error(img, "Must specify options (-o)");
		goto out;
	}
	const char *filename = optind < argc ? argv[optind] : NULL;
	if (img_opts_has_help(optstr) && fmt) {
		if (strcmp(fmt, "qcow2")) {
			img_error(img, "Format driver '%s' does not support option amendment", fmt);
			goto out;
		}
		fprintf(img->out, "Amend options for '%s':\n", fmt);
		for (const struct blk_create_opt_desc *d = blk_create_opts_table(fmt); d && d->name; d++) {
			char left[128];
			if (!amend_allowed(d->name))
				continue;
			snprintf(left, sizeof(left), "%s=<%s>", d->name, d->type);
			fprintf(img->out, "  %-22s - %s\n", left, d->help);
		}
		ret = 0;
		goto out;
	}
	if (optind != argc - 1) {
		ret = img_usage_error(img, "Expecting one image file name");
		goto out;
	}
	if (img_check_cache(img, cache, "cache") < 0)
		goto out;
	struct img_open_req req = { .fmt = fmt, .cache = cache,
				    .flags = BLK_OPEN_RDWR | BLK_OPEN_NO_BACKING };
	node = img_open(img, filename, &req);
	if (!node)
		goto out;
	const char *drv = blk_node_driver(node);
	if (strcmp(drv, "qcow2")) {
		img_error(img, "Format driver '%s' does not support option amendment", drv);
		goto out;
	}
	if (img_opts_has_help(optstr)) {
		fprintf(img->out, "Amend options for '%s':\n", drv);
		for (const struct blk_create_opt_desc *d = blk_create_opts_table(drv); d && d->name; d++) {
			char left[128];
			if (!amend_allowed(d->name))
				continue;
			snprintf(left, sizeof(left), "%s=<%s>", d->name, d->type);
			fprintf(img->out, "  %-22s - %s\n", left, d->help);
		}
		ret = 0;
		goto out;
	}
	opts = img_create_opts(img, drv, optstr, NULL);
	if (!opts)
		goto out;
	for (int i = 0; i < blk_opts_count(opts); i++) {
		if (!amend_allowed(blk_opts_key(opts, i))) {
			img_error(img, "Invalid parameter '%s'", blk_opts_key(opts, i));
			fprintf(img->err, "This option is only supported for image creation\n");
			goto out;
		}
	}
	struct img_progress prog;
	img_progress_init(&prog, progress, img->out);
	struct blk_error err = { 0 };
	if (blk_amend(node, opts, force, amend_progress, &prog, &err) < 0) {
		img_error(img, "Error while amending options: %s",
			  err.msg[0] ? err.msg : strerror(-err.code));
		goto out;
	}
	img_progress_done(&prog);
	ret = 0;
out:
	if (node && blk_close(node) < 0 && ret == 0)
		ret = 1;
	blk_opts_free(opts);
	free(optstr);
	return ret;
}
