/*
 * lemu-img snapshot [-U] [-q] [-l | -a snapshot | -c snapshot | -d snapshot] filename
 */
#include "img/img.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum snap_action { SNAP_NONE, SNAP_LIST, SNAP_APPLY, SNAP_CREATE, SNAP_DELETE };

int img_cmd_snapshot(struct img *img, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "object", required_argument, NULL, 'j' },
		{ "image-opts", no_argument, NULL, 'i' },
		{ "force-share", no_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 },
	};
	enum snap_action action = SNAP_NONE;
	const char *name = NULL, *fmt = NULL;
	bool quiet = false, force_share = false;
	int c;

	while ((c = img_getopt(img, argc, argv, ":la:c:d:hqU", longopts)) != -1) {
		enum snap_action a = SNAP_NONE;
		switch (c) {
		case '?': return 1;
		case 'h': return img_help(img);
		case 'q': quiet = true; break;
		case 'U': force_share = true; break;
		case 'l': a = SNAP_LIST; break;
		case 'a': a = SNAP_APPLY; name = optarg; break;
		case 'c': a = SNAP_CREATE; name = optarg; break;
		case 'd': a = SNAP_DELETE; name = optarg; break;
		case 'j': case 'i':
			img_error(img, "--object and --image-opts are not supported");
			return 1;
		}
		if (a != SNAP_NONE) {
			if (action != SNAP_NONE)
				return img_usage_error(img, "Cannot mix '-l', '-a', '-c', '-d'");
			action = a;
		}
	}
	if (optind != argc - 1)
		return img_usage_error(img, "Expecting one image file name");
	const char *filename = argv[optind];
	if (action == SNAP_NONE)
		return 0;
	if (force_share && action != SNAP_LIST) {
		img_error(img, "force-share=on can only be used with read-only images");
		return 1;
	}
	struct img_open_req req = {
		.fmt = fmt, .force_share = force_share,
		.flags = (action == SNAP_LIST ? 0 : BLK_OPEN_RDWR) | BLK_OPEN_NO_BACKING,
	};
	struct blk_node *node = img_open(img, filename, &req);
	if (!node)
		return 1;
	int ret = 0;
	struct blk_error err = { 0 };
	if (action != SNAP_LIST && strcmp(blk_node_driver(node), "qcow2")) {
		/* qemu-img 7.2's words for a format without snapshots */
		if (action == SNAP_CREATE)
			img_error(img, "Could not create snapshot '%s': %d (%s)", name, -ENOTSUP,
				  strerror(ENOTSUP));
		else if (action == SNAP_APPLY)
			img_error(img, "Could not apply snapshot '%s': Block driver does not support "
				       "snapshots", name);
		else
			img_error(img, "Could not delete snapshot '%s': snapshot not found", name);
		blk_close(node);
		return 1;
	}
	switch (action) {
	case SNAP_LIST: {
		struct blk_snapshot *list = NULL;
		int n = blk_snapshot_list(node, &list);
		if (n > 0 && !quiet)
			img_print_snapshot_table(img, list, n);
		free(list);
		break;
	}
	case SNAP_CREATE: {
		struct blk_snapshot sn;
		struct timespec ts;
		memset(&sn, 0, sizeof(sn));
		snprintf(sn.name, sizeof(sn.name), "%s", name);
		clock_gettime(CLOCK_REALTIME, &ts);
		sn.date_sec = (uint32_t)ts.tv_sec;
		sn.date_nsec = (uint32_t)ts.tv_nsec;
		/* qemu-img snapshot -c records an instruction count of 0 */
		sn.has_icount = true;
		sn.icount = 0;
		if (blk_snapshot_create(node, &sn, &err) < 0) {
			img_error(img, "Could not create snapshot '%s': %s", name,
				  err.msg[0] ? err.msg : strerror(-err.code));
			ret = 1;
		}
		break;
	}
	case SNAP_APPLY:
		if (blk_snapshot_apply(node, name, &err) < 0) {
			img_error(img, "Could not apply snapshot '%s': %s", name,
				  err.msg[0] ? err.msg : strerror(-err.code));
			ret = 1;
		}
		break;
	case SNAP_DELETE:
		if (blk_snapshot_delete(node, name, &err) < 0) {
			img_error(img, "Could not delete snapshot '%s': %s", name,
				  err.msg[0] ? err.msg : strerror(-err.code));
			ret = 1;
		}
		break;
	case SNAP_NONE:
		break;
	}
	if (blk_close(node) < 0 && ret == 0)
		ret = 1;
	return ret;
}
