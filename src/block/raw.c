/*
 * The raw format: the protocol node's bytes, optionally a window [offset, offset+size)
 * of them (QEMU's raw driver options "offset" and "size").
 */
#include "block/block_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct raw_state {
	uint64_t offset;
	uint64_t size;
	bool has_size;
};

static int raw_open_state(struct blk_node *n, struct raw_state *s, const struct blk_opts *opts,
			  unsigned flags, struct blk_error *err)
{
	for (int i = 0; i < blk_opts_count(opts); i++) {
		static const char *const known[] = { "driver", "offset", "size", "cache", "cache.direct",
						     "cache.no-flush", "cache.writeback", "aio",
						     "locking", "discard", "read-only", "force-share",
						     "detect-zeroes", "x-aio-threads", "filename",
						     "auto-read-only" };
		const char *k = blk_opts_key(opts, i);
		size_t j;
		if (!strncmp(k, "file.", 5))
			continue;
		for (j = 0; j < sizeof(known) / sizeof(known[0]) && strcmp(known[j], k); j++)
			;
		if (j == sizeof(known) / sizeof(known[0])) {
			blk_error_set(err, -EINVAL, "Invalid parameter '%s'", k);
			return -EINVAL;
		}
	}
	const char *v;
	if ((v = blk_opts_get(opts, "offset")) && blk_parse_size(v, &s->offset) < 0) {
		blk_error_set(err, -EINVAL, "Parameter 'offset' expects a size");
		return -EINVAL;
	}
	if ((v = blk_opts_get(opts, "size"))) {
		if (blk_parse_size(v, &s->size) < 0) {
			blk_error_set(err, -EINVAL, "Parameter 'size' expects a size");
			return -EINVAL;
		}
		s->has_size = true;
	}
	if (!n->file) {
		n->file = blk_open_child(n, n->filename, "file", opts, "file", flags, err);
		if (!n->file)
			return err ? err->code : -EIO;
	}
	int64_t flen = blk_getlength(n->file);
	if (flen < 0) {
		blk_error_set(err, (int)flen, "Could not get the size of '%s'", n->filename);
		return (int)flen;
	}
	if (s->offset > (uint64_t)flen) {
		blk_error_set(err, -EINVAL, "The sum of offset (%llu) and size (0) has to be smaller or equal to the actual size of the containing file (%lld)",
			      (unsigned long long)s->offset, (long long)flen);
		return -EINVAL;
	}
	if (s->has_size && s->size > (uint64_t)flen - s->offset) {
		blk_error_set(err, -EINVAL, "The sum of offset (%llu) and size (%llu) has to be smaller or equal to the actual size of the containing file (%lld)",
			      (unsigned long long)s->offset, (unsigned long long)s->size, (long long)flen);
		return -EINVAL;
	}
	return 0;
}

static int raw_open(struct blk_node *n, const struct blk_opts *opts, unsigned flags,
		    struct blk_error *err)
{
	struct raw_state *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	n->opaque = s;
	int r = raw_open_state(n, s, opts, flags, err);
	if (r < 0) {
		/* the caller frees the node, not the driver state of a failed open */
		free(s);
		n->opaque = NULL;
	}
	return r;
}

static void raw_close(struct blk_node *n)
{
	free(n->opaque);
}

static int64_t raw_getlength(struct blk_node *n)
{
	struct raw_state *s = n->opaque;
	if (s->has_size)
		return (int64_t)s->size;
	int64_t l = blk_getlength(n->file);
	if (l < 0)
		return l;
	/* As QEMU: a disk is a whole number of 512-byte sectors; the tail past the end
	 * of the file reads as zeroes. */
	return (l - (int64_t)s->offset + 511) & ~(int64_t)511;
}

static int raw_pread(struct blk_node *n, int64_t off, void *buf, size_t bytes)
{
	struct raw_state *s = n->opaque;
	return blk_pread(n->file, off + (int64_t)s->offset, buf, bytes, 0);
}

static int raw_pwrite(struct blk_node *n, int64_t off, const void *buf, size_t bytes,
		      unsigned flags)
{
	struct raw_state *s = n->opaque;
	return blk_pwrite(n->file, off + (int64_t)s->offset, buf, bytes, flags);
}

static int raw_preadv(struct blk_node *n, int64_t off, const struct iovec *iov, int iovcnt)
{
	struct raw_state *s = n->opaque;
	return blk_preadv(n->file, off + (int64_t)s->offset, iov, iovcnt, 0);
}

static int raw_pwritev(struct blk_node *n, int64_t off, const struct iovec *iov, int iovcnt,
		       unsigned flags)
{
	struct raw_state *s = n->opaque;
	return blk_pwritev(n->file, off + (int64_t)s->offset, iov, iovcnt, flags);
}

static int raw_pwrite_zeroes(struct blk_node *n, int64_t off, int64_t bytes, unsigned flags)
{
	struct raw_state *s = n->opaque;
	return blk_pwrite_zeroes(n->file, off + (int64_t)s->offset, bytes, flags);
}

static int raw_discard(struct blk_node *n, int64_t off, int64_t bytes)
{
	struct raw_state *s = n->opaque;
	if (!n->discard_unmap)
		return 0;
	return blk_discard(n->file, off + (int64_t)s->offset, bytes);
}

static int raw_flush(struct blk_node *n)
{
	return blk_flush(n->file);
}

static int raw_truncate(struct blk_node *n, int64_t size, bool shrink, const char *prealloc,
			struct blk_error *err)
{
	struct raw_state *s = n->opaque;
	if (s->has_size || s->offset) {
		blk_error_set(err, -ENOTSUP, "Cannot resize a raw image with 'offset' or 'size' options");
		return -ENOTSUP;
	}
	return blk_truncate(n->file, size, shrink, prealloc, err);
}

static int raw_block_status(struct blk_node *n, int64_t off, int64_t bytes,
			    struct blk_status *st)
{
	struct raw_state *s = n->opaque;
	int r = blk_block_status(n->file, off + (int64_t)s->offset, bytes, st);
	st->node = n;
	return r;
}

struct blk_node *blk_raw_passthrough(struct blk_node *n, int64_t *off, int64_t len)
{
	struct raw_state *s = n->opaque;
	int64_t l = raw_getlength(n);
	if (l < 0 || *off < 0 || len < 0 || *off > l || len > l - *off || n->detect_zeroes != BLK_DZ_OFF)
		return NULL;
	*off += (int64_t)s->offset;
	return n->file;
}

static const struct blk_create_opt_desc raw_create_opts[] = {
	{ "extent_size_hint", "size", "Extent size hint for the image file, 0 to disable", NULL },
	{ "nocow", "bool (on/off)", "Turn off copy-on-write (valid only on btrfs)", NULL },
	{ "preallocation", "str", "Preallocation mode (allowed values: off, falloc, full)", NULL },
	{ "size", "size", "Virtual disk size", NULL },
	{ NULL, NULL, NULL, NULL },
};

static int raw_create(const char *filename, const struct blk_opts *opts, unsigned flags,
		      struct blk_error *err)
{
	uint64_t size = 0;
	const char *v = blk_opts_get(opts, "size");
	if (v && blk_parse_size(v, &size) < 0) {
		blk_error_set(err, -EINVAL, "Parameter 'size' expects a non-negative number below 2^64");
		return -EINVAL;
	}
	if (size > INT64_MAX - 511) {
		blk_error_set(err, -EINVAL, "Image size must be less than 8 EiB!");
		return -EINVAL;
	}
	size = (size + 511) & ~(uint64_t)511; /* whole sectors, as qemu-img create */
	const char *pa = blk_opts_get(opts, "preallocation");
	if (pa && strcmp(pa, "off") && strcmp(pa, "falloc") && strcmp(pa, "full")) {
		blk_error_set(err, -EINVAL, "Parameter 'preallocation' does not accept value '%s'", pa);
		return -EINVAL;
	}
	return blk_file_create(filename, size, pa, err);
}

static int raw_measure(const struct blk_opts *opts, struct blk_node *src,
		       struct blk_measure *out, struct blk_error *err)
{
	uint64_t size = 0;
	const char *v = blk_opts_get(opts, "size");
	if (v && blk_parse_size(v, &size) < 0) {
		blk_error_set(err, -EINVAL, "Invalid image size specified.");
		return -EINVAL;
	}
	if (src) {
		int64_t l = blk_getlength(src);
		if (l < 0)
			return (int)l;
		size = (uint64_t)l;
	}
	/* A raw image needs the whole virtual size ("required" counts holes too when
	 * preallocation is off; QEMU reports the virtual size for both). */
	size = (size + 511) & ~(uint64_t)511; /* QEMU measures whole sectors */
	out->required = size;
	out->fully_allocated = size;
	return 0;
}

static int raw_get_info(struct blk_node *n, struct blk_image_info *info)
{
	info->actual_size = blk_get_allocated_file_size(n->file);
	return 0;
}

const struct blk_driver blk_driver_raw = {
	.name = "raw",
	.open = raw_open,
	.close = raw_close,
	.pread = raw_pread,
	.pwrite = raw_pwrite,
	.preadv = raw_preadv,
	.pwritev = raw_pwritev,
	.pwrite_zeroes = raw_pwrite_zeroes,
	.discard = raw_discard,
	.flush = raw_flush,
	.getlength = raw_getlength,
	.truncate = raw_truncate,
	.block_status = raw_block_status,
	.create = raw_create,
	.measure = raw_measure,
	.create_opts = raw_create_opts,
	.get_info = raw_get_info,
};
