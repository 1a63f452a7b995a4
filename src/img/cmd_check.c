/*
 * lemu-img check [-q] [-f fmt] [--output=ofmt] [-r [leaks | all]] [-T src_cache] [-U] filename
 *
 * Exit status as qemu-img: 0 clean, 1 the check could not run, 2 corruptions,
 * 3 leaks only, 63 the format has no checks.
 */
#include "img/img.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

static void check_report(void *opaque, const char *line)
{
	struct img *img = opaque;
	fprintf(img->err, "%s\n", line);
}

static void check_human(struct img *img, const struct blk_check_result *r)
{
	FILE *o = img->out;
	if (!r->corruptions && !r->leaks && !r->check_errors) {
		fprintf(o, "No errors were found on the image.\n");
	} else {
		if (r->corruptions)
			fprintf(o, "\n%" PRId64 " errors were found on the image.\n"
				   "Data may be corrupted, or further writes to the image may corrupt it.\n",
				r->corruptions);
		if (r->leaks)
			fprintf(o, "\n%" PRId64 " leaked clusters were found on the image.\n"
				   "This means waste of disk space, but no harm to data.\n",
				r->leaks);
		if (r->check_errors)
			fprintf(o, "\n%" PRId64 " internal errors have occurred during the check.\n",
				r->check_errors);
	}
	if (r->has_cluster_stats && r->total_clusters && r->allocated_clusters) {
		double a = (double)r->allocated_clusters;
		fprintf(o, "%" PRId64 "/%" PRId64 " = %0.2f%% allocated, %0.2f%% fragmented, "
			   "%0.2f%% compressed clusters\n",
			r->allocated_clusters, r->total_clusters, a * 100.0 / (double)r->total_clusters,
			(double)r->fragmented_clusters * 100.0 / a,
			(double)r->compressed_clusters * 100.0 / a);
	}
	if (r->image_end_offset > 0)
		fprintf(o, "Image end offset: %" PRId64 "\n", r->image_end_offset);
}

static void check_json(struct img *img, const struct blk_check_result *r, const char *filename,
		       const char *format)
{
	struct jw w;
	jw_init(&w, img->out);
	jw_obj_begin(&w);
	if (r->image_end_offset > 0)
		jw_kint(&w, "image-end-offset", r->image_end_offset);
	if (r->has_cluster_stats && r->compressed_clusters)
		jw_kint(&w, "compressed-clusters", r->compressed_clusters);
	if (r->has_cluster_stats && r->total_clusters)
		jw_kint(&w, "total-clusters", r->total_clusters);
	if (r->corruptions)
		jw_kint(&w, "corruptions", r->corruptions);
	if (r->corruptions_fixed)
		jw_kint(&w, "corruptions-fixed", r->corruptions_fixed);
	jw_kint(&w, "check-errors", r->check_errors);
	if (r->leaks)
		jw_kint(&w, "leaks", r->leaks);
	if (r->leaks_fixed)
		jw_kint(&w, "leaks-fixed", r->leaks_fixed);
	if (r->has_cluster_stats && r->total_clusters)
		jw_kint(&w, "allocated-clusters", r->allocated_clusters);
	jw_kstr(&w, "filename", filename);
	jw_kstr(&w, "format", format);
	if (r->has_cluster_stats && r->fragmented_clusters)
		jw_kint(&w, "fragmented-clusters", r->fragmented_clusters);
	jw_obj_end(&w);
}

int img_cmd_check(struct img *img, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'f' },
		{ "repair", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "object", required_argument, NULL, 'j' },
		{ "image-opts", no_argument, NULL, 'i' },
		{ "force-share", no_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fmt = NULL, *cache = NULL;
	enum img_output output = IMG_OUT_HUMAN;
	unsigned fix = 0;
	bool quiet = false, force_share = false;
	int c;

	while ((c = img_getopt(img, argc, argv, ":hf:r:T:qU", longopts)) != -1) {
		switch (c) {
		case '?': return 1;
		case 'h': return img_help(img);
		case 'f': fmt = optarg; break;
		case 'r':
			if (!strcmp(optarg, "leaks"))
				fix = BLK_CHECK_FIX_LEAKS;
			else if (!strcmp(optarg, "all"))
				fix = BLK_CHECK_FIX_LEAKS | BLK_CHECK_FIX_ERRORS;
			else
				return img_usage_error(img, "Unknown option value for -r "
						       "(expecting 'leaks' or 'all'): %s", optarg);
			break;
		case 'o':
			if (img_parse_output(img, optarg, &output) < 0)
				return 1;
			break;
		case 'T': cache = optarg; break;
		case 'q': quiet = true; break;
		case 'U': force_share = true; break;
		case 'j':
		case 'i':
			img_error(img, "--object and --image-opts are not supported");
			return 1;
		}
	}
	if (optind != argc - 1)
		return img_usage_error(img, "Expecting one image file name");
	const char *filename = argv[optind];
	if (img_check_cache(img, cache, "source cache") < 0)
		return 1;

	struct img_open_req req = {
		.fmt = fmt, .cache = cache, .force_share = force_share,
		.flags = BLK_OPEN_CHECK | (fix ? BLK_OPEN_RDWR : 0),
	};
	struct blk_node *node = img_open(img, filename, &req);
	if (!node)
		return 1;
	char format[32];
	snprintf(format, sizeof(format), "%s", blk_node_driver(node));

	struct blk_check_result res;
	struct blk_error err = { 0 };
	memset(&res, 0, sizeof(res));
	int r = blk_check(node, fix, &res, check_report, img, &err);
	if (r == -ENOTSUP) {
		img_error(img, "This image format does not support checks");
		blk_close(node);
		return 63;
	}
	if (r == 0 && (res.leaks_fixed || res.corruptions_fixed)) {
		int64_t lf = res.leaks_fixed, cf = res.corruptions_fixed;
		if (output == IMG_OUT_HUMAN && !quiet)
			fprintf(img->out, "The following inconsistencies were found and repaired:\n\n"
					  "    %" PRId64 " leaked clusters\n"
					  "    %" PRId64 " corruptions\n\n"
					  "Double checking the fixed image now...\n", lf, cf);
		memset(&res, 0, sizeof(res));
		r = blk_check(node, 0, &res, check_report, img, &err);
		res.leaks_fixed = lf;
		res.corruptions_fixed = cf;
	}
	if (r < 0) {
		img_error(img, "Check failed: %s", strerror(-r));
		blk_close(node);
		return 1;
	}
	if (!quiet) {
		if (output == IMG_OUT_JSON)
			check_json(img, &res, filename, format);
		else
			check_human(img, &res);
	}
	int rc = blk_close(node);
	if (res.check_errors)
		return 1;
	if (res.corruptions)
		return 2;
	if (res.leaks)
		return 3;
	(void)rc;
	return 0;
}
