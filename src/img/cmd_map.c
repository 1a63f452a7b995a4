/*
 * lemu-img map [-f fmt] [--start-offset=offset] [--max-length=len] [--output=ofmt] [-U]
 *              filename
 *
 * Walks the backing chain's block status and prints merged extents as qemu-img 7.2
 * does: JSON lists every extent; the human form lists the ones with data at a known
 * host offset, with the file holding them.
 */
#include "img/img.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct map_entry {
	int64_t start, length;
	int depth;
	bool present, zero, data, has_offset;
	int64_t offset;
	const char *filename;
};

static bool map_mergeable(const struct map_entry *a, const struct map_entry *b)
{
	if (a->depth != b->depth || a->present != b->present || a->zero != b->zero ||
	    a->data != b->data || a->has_offset != b->has_offset)
		return false;
	if (a->has_offset && a->offset + a->length != b->offset)
		return false;
	if ((a->filename == NULL) != (b->filename == NULL))
		return false;
	if (a->filename && strcmp(a->filename, b->filename))
		return false;
	return true;
}

static int map_dump(struct img *img, const struct map_entry *e, enum img_output output,
		    bool *first)
{
	FILE *o = img->out;
	if (output == IMG_OUT_JSON) {
		fprintf(o, "%s{ \"start\": %" PRId64 ", \"length\": %" PRId64 ", \"depth\": %d, "
			   "\"present\": %s, \"zero\": %s, \"data\": %s",
			*first ? "" : ",\n", e->start, e->length, e->depth,
			e->present ? "true" : "false", e->zero ? "true" : "false",
			e->data ? "true" : "false");
		if (e->has_offset)
			fprintf(o, ", \"offset\": %" PRId64, e->offset);
		fputc('}', o);
		*first = false;
		return 0;
	}
	if (e->data && !e->has_offset) {
		img_error(img, "File contains external, encrypted or compressed clusters.");
		return -EINVAL;
	}
	if (e->data && !e->zero)
		fprintf(o, "%#-16" PRIx64 "%#-16" PRIx64 "%#-16" PRIx64 "%s\n", (uint64_t)e->start,
			(uint64_t)e->length, (uint64_t)e->offset, e->filename ? e->filename : "");
	return 0;
}

/* Per-file answers of map_prealloc_detect (a chain has few layers). */
struct map_prealloc {
	int n;
	struct blk_node *file[32];
	bool yes[32];
};

/*
 * QEMU treats a qcow2 image as metadata-preallocated when clearly more clusters are in
 * use (refcount > 0) than the host really allocated (at least 10/9 of them, and 2
 * more), and only then looks through data clusters to the file's holes. The clusters
 * in use are estimated as the layer's data clusters plus its fixed metadata.
 */
static bool map_prealloc_detect(struct map_prealloc *p, struct blk_node *fmt_node,
				struct blk_node *file)
{
	for (int i = 0; i < p->n; i++)
		if (p->file[i] == file)
			return p->yes[i];
	bool yes = false;
	int64_t cs = blk_node_cluster_size(fmt_node);
	int64_t len = blk_getlength(fmt_node), real = blk_get_allocated_file_size(file);
	if (cs > 0 && len > 0 && real >= 0 && strcmp(blk_node_driver(fmt_node), "raw")) {
		int64_t data = 0;
		for (int64_t off = 0; off < len;) {
			struct blk_status st;
			if (blk_block_status(fmt_node, off, len - off, &st) < 0 || st.bytes <= 0)
				break;
			if ((st.flags & BLK_STATUS_OFFSET_VALID) && st.file == file)
				data += st.bytes;
			off += st.bytes;
		}
		int64_t used = (data + cs - 1) / cs + 3, real_clusters = real / cs;
		int64_t threshold = real_clusters * 10 / 9;
		if (threshold < real_clusters + 2)
			threshold = real_clusters + 2;
		yes = used >= threshold;
	}
	if (p->n < 32) {
		p->file[p->n] = file;
		p->yes[p->n++] = yes;
	}
	return yes;
}

int img_cmd_map(struct img *img, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "object", required_argument, NULL, 'j' },
		{ "image-opts", no_argument, NULL, 'i' },
		{ "force-share", no_argument, NULL, 'U' },
		{ "start-offset", required_argument, NULL, 's' },
		{ "max-length", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fmt = NULL;
	enum img_output output = IMG_OUT_HUMAN;
	bool force_share = false;
	uint64_t start = 0, max_len = UINT64_MAX;
	int c;

	while ((c = img_getopt(img, argc, argv, ":f:hU", longopts)) != -1) {
		switch (c) {
		case '?': return 1;
		case 'h': return img_help(img);
		case 'f': fmt = optarg; break;
		case 'U': force_share = true; break;
		case 'o':
			if (img_parse_output(img, optarg, &output) < 0)
				return 1;
			break;
		case 's':
			if (img_parse_size(optarg, 'B', &start) < 0 || start > INT64_MAX) {
				img_error(img, "Invalid start offset specified. You may use k, M, G, T, "
					       "P or E suffixes for");
				img_error(img, "kilobytes, megabytes, gigabytes, terabytes, petabytes "
					       "and exabytes.");
				return 1;
			}
			break;
		case 'l':
			if (img_parse_size(optarg, 'B', &max_len) < 0 || max_len > INT64_MAX) {
				img_error(img, "Invalid max length specified. You may use k, M, G, T, "
					       "P or E suffixes for");
				img_error(img, "kilobytes, megabytes, gigabytes, terabytes, petabytes "
					       "and exabytes.");
				return 1;
			}
			break;
		case 'j': case 'i':
			img_error(img, "--object and --image-opts are not supported");
			return 1;
		}
	}
	if (optind != argc - 1)
		return img_usage_error(img, "Expecting one image file name");
	const char *filename = argv[optind];

	struct img_open_req req = { .fmt = fmt, .force_share = force_share };
	struct blk_node *node = img_open(img, filename, &req);
	if (!node)
		return 1;
	int64_t length = blk_getlength(node);
	if (length < 0) {
		img_error(img, "Could not get size of '%s': %s", filename, strerror((int)-length));
		blk_close(node);
		return 1;
	}
	/* Depth of the bottom layer: unallocated extents are reported there. */
	int bottom = 0;
	for (struct blk_node *b = blk_node_backing(node); b; b = blk_node_backing(b))
		bottom++;
	int64_t end = length;
	if ((uint64_t)start < (uint64_t)length && max_len < (uint64_t)(length - (int64_t)start))
		end = (int64_t)start + (int64_t)max_len;

	if (output == IMG_OUT_HUMAN)
		fprintf(img->out, "%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to", "File");
	else
		fputc('[', img->out);

	int ret = 0;
	struct map_prealloc pre = { 0 };
	bool first = true, have = false;
	struct map_entry cur = { 0 };
	for (int64_t off = (int64_t)start; off < end;) {
		struct blk_status st;
		memset(&st, 0, sizeof(st));
		int64_t want = end - off;
		if (want > (1LL << 30))
			want = 1LL << 30;
		int r = blk_block_status_above(node, NULL, off, want, &st);
		if (r < 0 || st.bytes <= 0) {
			img_error(img, "Could not read file metadata: %s", strerror(r < 0 ? -r : EIO));
			ret = 1;
			break;
		}
		/*
		 * REQUEST(img): blk_block_status_above() should add BLK_STATUS_ZERO where a
		 * metadata-preallocated qcow2 has data clusters in holes of its file (QEMU asks
		 * the file layer then: such an image maps as "zero": true, "data": true).
		 * Until then lemu-img map does it.
		 */
		if ((st.flags & BLK_STATUS_DATA) && !(st.flags & BLK_STATUS_ZERO) &&
		    (st.flags & BLK_STATUS_OFFSET_VALID) && st.file && st.node &&
		    map_prealloc_detect(&pre, st.node, st.file)) {
			struct blk_status fst;
			memset(&fst, 0, sizeof(fst));
			int64_t flen = blk_getlength(st.file);
			if (st.offset >= flen && flen >= 0) {
				st.flags |= BLK_STATUS_ZERO;
			} else if (blk_block_status(st.file, st.offset, st.bytes < want ? st.bytes : want,
						    &fst) >= 0 && fst.bytes > 0) {
				if (fst.bytes < st.bytes)
					st.bytes = fst.bytes;
				if (fst.flags & BLK_STATUS_ZERO)
					st.flags |= BLK_STATUS_ZERO;
			}
		}
		struct map_entry e = {
			.start = off,
			.length = st.bytes < want ? st.bytes : want,
			.present = st.flags & BLK_STATUS_ALLOCATED,
			.zero = st.flags & BLK_STATUS_ZERO,
			.data = st.flags & BLK_STATUS_DATA,
			.has_offset = (st.flags & BLK_STATUS_OFFSET_VALID) != 0,
			.offset = st.offset,
		};
		e.depth = e.present ? st.depth : bottom;
		if (e.depth > bottom)
			e.depth = bottom;
		if (e.has_offset && st.file)
			e.filename = blk_node_filename(st.file);
		else if (st.node)
			e.filename = blk_node_filename(st.node);
		if (have && map_mergeable(&cur, &e)) {
			cur.length += e.length;
		} else {
			if (have && map_dump(img, &cur, output, &first) < 0) {
				ret = 1;
				have = false;
				break;
			}
			cur = e;
			have = true;
		}
		off += e.length;
	}
	if (have && map_dump(img, &cur, output, &first) < 0)
		ret = 1;
	if (output == IMG_OUT_JSON)
		fputs("]\n", img->out);
	blk_close(node);
	return ret;
}
