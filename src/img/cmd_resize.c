/*
 * lemu-img resize [-f fmt] [--preallocation=prealloc] [-q] [--shrink] filename [+ | -]size
 */
#include "img/img.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

int img_cmd_resize(struct img *img, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "object", required_argument, NULL, 'j' },
		{ "image-opts", no_argument, NULL, 'i' },
		{ "preallocation", required_argument, NULL, 'P' },
		{ "shrink", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fmt = NULL, *prealloc = NULL;
	bool quiet = false, shrink = false;
	int c;

	if (argc < 3)
		return img_usage_error(img, "Not enough arguments");
	/* A negative size ("-1G") would look like an option: take it out first. */
	const char *size_arg = argv[argc - 1];
	if (size_arg[0] == '-' && isdigit((unsigned char)size_arg[1]))
		argc--;
	else
		size_arg = NULL;

	while ((c = img_getopt(img, argc, argv, ":f:hq", longopts)) != -1) {
		switch (c) {
		case '?': return 1;
		case 'h': return img_help(img);
		case 'f': fmt = optarg; break;
		case 'q': quiet = true; break;
		case 's': shrink = true; break;
		case 'P':
			if (strcmp(optarg, "off") && strcmp(optarg, "metadata") &&
			    strcmp(optarg, "falloc") && strcmp(optarg, "full")) {
				img_error(img, "Invalid preallocation mode '%s'", optarg);
				return 1;
			}
			prealloc = optarg;
			break;
		case 'j': case 'i':
			img_error(img, "--object and --image-opts are not supported");
			return 1;
		}
	}
	if (!size_arg) {
		if (optind != argc - 2)
			return img_usage_error(img, optind > argc - 2 ? "Not enough arguments"
								   : "Expecting image file name and size");
		size_arg = argv[argc - 1];
	} else if (optind != argc - 1) {
		return img_usage_error(img, "Expecting image file name and size");
	}
	const char *filename = argv[optind];

	int rel = 0;
	const char *num = size_arg;
	if (*num == '+') {
		rel = 1;
		num++;
	} else if (*num == '-') {
		rel = -1;
		num++;
	}
	uint64_t n;
	int r = img_parse_size(num, 'B', &n);
	if (r < 0 || n > INT64_MAX) {
		img_error(img, "Parameter 'size' expects a non-negative number below 2^64");
		fprintf(img->err, "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, "
				  "tera-, peta-\nand exabytes, respectively.\n");
		return 1;
	}

	struct img_open_req req = { .fmt = fmt, .flags = BLK_OPEN_RDWR };
	struct blk_node *node = img_open(img, filename, &req);
	if (!node)
		return 1;
	int ret = 1;
	int64_t cur = blk_getlength(node);
	if (cur < 0) {
		img_error(img, "Failed to inquire current image length: %s", strerror((int)-cur));
		goto out;
	}
	int64_t total;
	if (rel > 0)
		total = cur + (int64_t)n;
	else if (rel < 0)
		total = cur - (int64_t)n;
	else
		total = (int64_t)n;
	if (total <= 0) {
		img_error(img, "New image size must be positive");
		goto out;
	}
	if (total < cur && !shrink) {
		img_error(img, "Use the --shrink option to perform a shrink operation.");
		img_warn(img, "Shrinking an image will delete all data beyond the shrunken image's "
			      "end. Before performing such an operation, make sure there is no "
			      "important data there.");
		goto out;
	}
	if (prealloc && total < cur) {
		img_error(img, "Preallocation can only be used for growing images");
		goto out;
	}
	struct blk_error err = { 0 };
	if (blk_truncate(node, total, shrink, prealloc, &err) < 0) {
		img_error(img, "%s", err.msg[0] ? err.msg : strerror(-err.code));
		goto out;
	}
	if (!quiet)
		fprintf(img->out, "Image resized.\n");
	ret = 0;
out:
	if (blk_close(node) < 0 && ret == 0)
		ret = 1;
	return ret;
}
