/*
 * Block layer: the node graph (opening with options, probing, closing) and the
 * request entry points that check bounds and dispatch to the drivers.
 */
#include "block/block_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct blk_driver *const drivers[] = {
	&blk_driver_file,
	&blk_driver_raw,
	&blk_driver_qcow2,
};

const struct blk_driver *blk_find_driver(const char *name)
{
	if (!strcmp(name, "host_device"))
		name = "file";
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (!strcmp(drivers[i]->name, name))
			return drivers[i];
	return NULL;
}

const char *blk_probe_format(const uint8_t *buf, size_t len)
{
	/* qcow2 spec, header: magic "QFI\xfb" then version 2 or 3. */
	if (len >= 8 && buf[0] == 'Q' && buf[1] == 'F' && buf[2] == 'I' && buf[3] == 0xfb) {
		uint32_t v = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | buf[6] << 8 | buf[7];
		if (v >= 2)
			return "qcow2";
	}
	return "raw";
}

/* Node-level settings that every node takes from its options (or its parent). */
static int node_apply_opts(struct blk_node *n, const struct blk_opts *o, unsigned *flags,
			   struct blk_error *err)
{
	const char *v;
	bool b;
	if ((v = blk_opts_get(o, "cache"))) {
		if (blk_parse_cache_mode(v, &n->cache) < 0) {
			blk_error_set(err, -EINVAL, "Invalid cache mode '%s'", v);
			return -EINVAL;
		}
	}
	if (blk_opts_get_bool(o, "cache.direct", n->cache.direct, &n->cache.direct, err) < 0 ||
	    blk_opts_get_bool(o, "cache.no-flush", n->cache.no_flush, &n->cache.no_flush, err) < 0 ||
	    blk_opts_get_bool(o, "cache.writeback", !n->cache.writethrough, &b, err) < 0)
		return -EINVAL;
	n->cache.writethrough = !b;
	if (blk_opts_get_bool(o, "read-only", !(*flags & BLK_OPEN_RDWR), &b, err) < 0)
		return -EINVAL;
	if (b)
		*flags &= ~BLK_OPEN_RDWR;
	else
		*flags |= BLK_OPEN_RDWR;
	if (blk_opts_get_bool(o, "force-share", !!(*flags & BLK_OPEN_FORCE_SHARE), &b, err) < 0)
		return -EINVAL;
	if (b)
		*flags |= BLK_OPEN_FORCE_SHARE;
	else
		*flags &= ~BLK_OPEN_FORCE_SHARE;
	if ((v = blk_opts_get(o, "locking"))) {
		if (!strcmp(v, "off"))
			*flags |= BLK_OPEN_NO_LOCK;
		else if (strcmp(v, "on") && strcmp(v, "auto")) {
			blk_error_set(err, -EINVAL, "Invalid value '%s' for 'locking'", v);
			return -EINVAL;
		}
	}
	if ((v = blk_opts_get(o, "discard"))) {
		if (!strcmp(v, "unmap") || !strcmp(v, "on"))
			n->discard_unmap = true;
		else if (!strcmp(v, "ignore") || !strcmp(v, "off"))
			n->discard_unmap = false;
		else {
			blk_error_set(err, -EINVAL, "Invalid discard option '%s'", v);
			return -EINVAL;
		}
	}
	if ((v = blk_opts_get(o, "detect-zeroes"))) {
		if (!strcmp(v, "off"))
			n->detect_zeroes = BLK_DZ_OFF;
		else if (!strcmp(v, "on"))
			n->detect_zeroes = BLK_DZ_ON;
		else if (!strcmp(v, "unmap"))
			n->detect_zeroes = BLK_DZ_UNMAP;
		else {
			blk_error_set(err, -EINVAL, "Parameter 'detect-zeroes' does not accept value '%s'", v);
			return -EINVAL;
		}
		if (n->detect_zeroes == BLK_DZ_UNMAP && !n->discard_unmap) {
			blk_error_set(err, -EINVAL, "setting detect-zeroes to unmap is not allowed without setting discard operation to unmap");
			return -EINVAL;
		}
	}
	if ((v = blk_opts_get(o, "aio"))) {
		if (!strcmp(v, "io_uring") || !strcmp(v, "native"))
			n->use_uring = true;
		else if (!strcmp(v, "threads"))
			n->use_uring = false;
		else {
			blk_error_set(err, -EINVAL, "Invalid aio option '%s'", v);
			return -EINVAL;
		}
	}
	if ((v = blk_opts_get(o, "x-aio-threads"))) {
		int t = atoi(v);
		if (t < 1 || t > 64) {
			blk_error_set(err, -EINVAL, "Invalid x-aio-threads '%s'", v);
			return -EINVAL;
		}
		n->aio_threads = t;
	}
	n->read_only = !(*flags & BLK_OPEN_RDWR);
	n->force_share = !!(*flags & BLK_OPEN_FORCE_SHARE);
	n->no_lock = !!(*flags & BLK_OPEN_NO_LOCK);
	return 0;
}

static struct blk_node *node_new(const struct blk_node *parent)
{
	struct blk_node *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	pthread_mutex_init(&n->aio_lock, NULL);
	pthread_cond_init(&n->direct_idle, NULL);
	n->aio_threads = 4;
	n->use_uring = true; /* falls back to the pool where io_uring does not work */
	n->discard_unmap = true; /* QEMU's -drive default is ignore: the emulator sets it */
	if (parent) {
		n->cache = parent->cache;
		n->discard_unmap = parent->discard_unmap;
		n->use_uring = parent->use_uring;
	}
	return n;
}

static void node_free(struct blk_node *n)
{
	pthread_mutex_destroy(&n->aio_lock);
	pthread_cond_destroy(&n->direct_idle);
	free(n->filename);
	free(n);
}

/* Keys a node consumes itself; a driver refuses others that it does not know. */
static struct blk_node *open_node(const char *filename, const char *fmt,
				  const struct blk_opts *opts, unsigned flags,
				  const struct blk_node *parent, struct blk_error *err)
{
	const char *v;
	if ((v = blk_opts_get(opts, "driver")))
		fmt = v;
	if ((v = blk_opts_get(opts, "file.filename")) && (!fmt || strcmp(fmt, "file")))
		filename = v;
	if ((v = blk_opts_get(opts, "filename")))
		filename = v;
	if (!filename || !*filename) {
		blk_error_set(err, -EINVAL, "A block device must be specified for \"file\"");
		return NULL;
	}
	struct blk_node *n = node_new(parent);
	if (!n) {
		blk_error_set(err, -ENOMEM, "Out of memory");
		return NULL;
	}
	n->filename = strdup(filename);
	if (!n->filename || node_apply_opts(n, opts, &flags, err) < 0) {
		node_free(n);
		return NULL;
	}
	n->open_flags = flags;
	if (!fmt) {
		/* Probe: open the protocol node, read the first bytes. */
		struct blk_node *f = blk_open_child(n, filename, "file", opts, "file", flags, err);
		if (!f) {
			node_free(n);
			return NULL;
		}
		uint8_t buf[512];
		int64_t len = blk_getlength(f);
		size_t want = len < 0 ? 0 : (size_t)(len < 512 ? len : 512);
		memset(buf, 0, sizeof(buf));
		int r = want ? blk_pread(f, 0, buf, want, 0) : 0;
		if (r < 0) {
			blk_error_set(err, r, "Could not read image for determining its format: %s",
				      strerror(-r));
			blk_close(f);
			node_free(n);
			return NULL;
		}
		fmt = blk_probe_format(buf, want);
		n->file = f;
	}
	n->drv = blk_find_driver(fmt);
	if (!n->drv) {
		blk_error_set(err, -EINVAL, "Unknown driver '%s'", fmt);
		if (n->file)
			blk_close(n->file);
		node_free(n);
		return NULL;
	}
	int r = n->drv->open(n, opts, flags, err);
	if (r < 0) {
		if (n->file)
			blk_close(n->file);
		if (n->backing)
			blk_close(n->backing);
		node_free(n);
		return NULL;
	}
	return n;
}

struct blk_node *blk_open_child(struct blk_node *parent, const char *filename,
				const char *fmt, const struct blk_opts *parent_opts,
				const char *prefix, unsigned flags, struct blk_error *err)
{
	struct blk_opts *sub = blk_opts_sub(parent_opts, prefix);
	if (!sub) {
		blk_error_set(err, -ENOMEM, "Out of memory");
		return NULL;
	}
	/* The protocol child inherits the parent's node-level settings. */
	if (!strcmp(prefix, "file")) {
		static const char *const inherit[] = { "cache", "cache.direct", "cache.no-flush",
						       "aio", "locking", "discard", "x-aio-threads" };
		for (size_t i = 0; i < sizeof(inherit) / sizeof(inherit[0]); i++) {
			const char *v = blk_opts_get(parent_opts, inherit[i]);
			if (v && !blk_opts_get(sub, inherit[i]))
				blk_opts_set(sub, inherit[i], v);
		}
		if (!blk_opts_get(sub, "driver"))
			blk_opts_set(sub, "driver", fmt ? fmt : "file");
		fmt = NULL;
	}
	struct blk_node *c = open_node(filename, fmt, sub, flags, parent, err);
	blk_opts_free(sub);
	return c;
}

struct blk_node *blk_open(const char *filename, const char *fmt, const struct blk_opts *opts,
			  unsigned flags, struct blk_error *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = 0;
	}
	struct blk_node *n = open_node(filename, fmt, opts, flags, NULL, err);
	if (!n && err && err->code == 0)
		err->code = -EIO;
	return n;
}

int blk_close(struct blk_node *node)
{
	if (!node)
		return 0;
	blk_drain(node);
	int ret = node->read_only ? 0 : node->drv->flush(node);
	if (node->drv->close)
		node->drv->close(node);
	blk_aio_pool_destroy(node);
	int r;
	if (node->backing && (r = blk_close(node->backing)) && !ret)
		ret = r;
	if (node->file && (r = blk_close(node->file)) && !ret)
		ret = r;
	node_free(node);
	return ret;
}

const char *blk_node_driver(const struct blk_node *node)
{
	return node->drv->name;
}

const char *blk_node_filename(const struct blk_node *node)
{
	return node->filename;
}

struct blk_node *blk_node_file(const struct blk_node *node)
{
	return node->file;
}

struct blk_node *blk_node_backing(const struct blk_node *node)
{
	return node->backing;
}

bool blk_node_is_read_only(const struct blk_node *node)
{
	return node->read_only;
}

int64_t blk_node_cluster_size(const struct blk_node *node)
{
	struct blk_image_info info;
	if (strcmp(node->drv->name, "qcow2"))
		return 0;
	if (blk_get_info((struct blk_node *)node, &info) < 0)
		return 0;
	int64_t cs = info.cluster_size;
	blk_image_info_free(&info);
	return cs;
}

const char *blk_node_backing_filename(const struct blk_node *node)
{
	if (strcmp(node->drv->name, "qcow2"))
		return NULL;
	return qcow2_backing_name(node, false);
}

const char *blk_node_backing_format(const struct blk_node *node)
{
	if (strcmp(node->drv->name, "qcow2"))
		return NULL;
	return qcow2_backing_name(node, true);
}

int blk_get_info(struct blk_node *node, struct blk_image_info *info)
{
	memset(info, 0, sizeof(*info));
	info->format = node->drv->name;
	info->filename = node->filename;
	info->virtual_size = blk_getlength(node);
	info->actual_size = blk_get_allocated_file_size(node);
	if (node->drv->get_info)
		return node->drv->get_info(node, info);
	return 0;
}

void blk_image_info_free(struct blk_image_info *info)
{
	free(info->snapshots);
	info->snapshots = NULL;
	info->nb_snapshots = 0;
}

/* ------------------------------------------------------------------ requests */

int64_t blk_getlength(struct blk_node *node)
{
	return node->drv->getlength(node);
}

int64_t blk_get_allocated_file_size(struct blk_node *node)
{
	if (node->drv->allocated_size)
		return node->drv->allocated_size(node);
	return node->file ? blk_get_allocated_file_size(node->file) : -ENOTSUP;
}

static int check_range(struct blk_node *node, int64_t off, int64_t bytes)
{
	if (off < 0 || bytes < 0 || bytes > INT64_MAX - off)
		return -EINVAL;
	/* A protocol node grows on writes past its end and reads there as zeroes. */
	if (node->drv == &blk_driver_file)
		return 0;
	int64_t len = blk_getlength(node);
	if (len < 0)
		return (int)len;
	if (off > len || bytes > len - off)
		return -EINVAL;
	return 0;
}

int blk_pread(struct blk_node *node, int64_t offset, void *buf, size_t bytes, unsigned flags)
{
	int r = check_range(node, offset, (int64_t)bytes);
	if (r < 0 || !bytes)
		return r;
	return node->drv->pread(node, offset, buf, bytes);
}

int blk_pwrite(struct blk_node *node, int64_t offset, const void *buf, size_t bytes,
	       unsigned flags)
{
	if (node->read_only)
		return -EPERM;
	int r = check_range(node, offset, (int64_t)bytes);
	if (r < 0 || !bytes)
		return r;
	if (node->cache.writethrough)
		flags |= BLK_REQ_FUA;
	if (node->detect_zeroes != BLK_DZ_OFF && blk_buffer_is_zero(buf, bytes)) {
		unsigned zf = flags & BLK_REQ_FUA;
		if (node->detect_zeroes == BLK_DZ_UNMAP)
			zf |= BLK_REQ_MAY_UNMAP;
		return blk_pwrite_zeroes(node, offset, (int64_t)bytes, zf);
	}
	r = node->drv->pwrite(node, offset, buf, bytes, flags & ~BLK_REQ_FUA);
	if (r == 0 && (flags & BLK_REQ_FUA))
		r = node->drv->flush(node);
	return r;
}

static size_t iov_size(const struct iovec *iov, int iovcnt)
{
	size_t s = 0;
	for (int i = 0; i < iovcnt; i++)
		s += iov[i].iov_len;
	return s;
}

int blk_preadv(struct blk_node *node, int64_t offset, const struct iovec *iov, int iovcnt,
	       unsigned flags)
{
	if (iovcnt == 1)
		return blk_pread(node, offset, iov[0].iov_base, iov[0].iov_len, flags);
	size_t n = iov_size(iov, iovcnt);
	if (node->drv->preadv) {
		/* straight into the caller's buffers (a guest's scattered pages) */
		int r = check_range(node, offset, (int64_t)n);
		if (r < 0 || !n)
			return r;
		r = node->drv->preadv(node, offset, iov, iovcnt);
		if (r != -ENOTSUP)
			return r;
	}
	uint8_t *b = blk_alloc_aligned(n);
	if (!b)
		return -ENOMEM;
	int r = blk_pread(node, offset, b, n, flags);
	if (r == 0) {
		size_t p = 0;
		for (int i = 0; i < iovcnt; i++) {
			memcpy(iov[i].iov_base, b + p, iov[i].iov_len);
			p += iov[i].iov_len;
		}
	}
	free(b);
	return r;
}

int blk_pwritev(struct blk_node *node, int64_t offset, const struct iovec *iov, int iovcnt,
		unsigned flags)
{
	if (iovcnt == 1)
		return blk_pwrite(node, offset, iov[0].iov_base, iov[0].iov_len, flags);
	size_t n = iov_size(iov, iovcnt);
	if (node->drv->pwritev && node->detect_zeroes == BLK_DZ_OFF) {
		/* blk_pwrite's rules without a linear copy (detect-zeroes wants one) */
		if (node->read_only)
			return -EPERM;
		int r = check_range(node, offset, (int64_t)n);
		if (r < 0 || !n)
			return r;
		if (node->cache.writethrough)
			flags |= BLK_REQ_FUA;
		r = node->drv->pwritev(node, offset, iov, iovcnt, flags & ~BLK_REQ_FUA);
		if (r != -ENOTSUP) {
			if (r == 0 && (flags & BLK_REQ_FUA))
				r = node->drv->flush(node);
			return r;
		}
	}
	uint8_t *b = blk_alloc_aligned(n);
	if (!b)
		return -ENOMEM;
	size_t p = 0;
	for (int i = 0; i < iovcnt; i++) {
		memcpy(b + p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
	}
	int r = blk_pwrite(node, offset, b, n, flags);
	free(b);
	return r;
}

int blk_pwrite_zeroes(struct blk_node *node, int64_t offset, int64_t bytes, unsigned flags)
{
	if (node->read_only)
		return -EPERM;
	int r = check_range(node, offset, bytes);
	if (r < 0 || !bytes)
		return r;
	if (node->cache.writethrough)
		flags |= BLK_REQ_FUA;
	r = node->drv->pwrite_zeroes(node, offset, bytes, flags & ~BLK_REQ_FUA);
	if (r == 0 && (flags & BLK_REQ_FUA))
		r = node->drv->flush(node);
	return r;
}

int blk_discard(struct blk_node *node, int64_t offset, int64_t bytes)
{
	if (node->read_only)
		return -EPERM;
	int r = check_range(node, offset, bytes);
	if (r < 0 || !bytes)
		return r;
	if (!node->drv->discard)
		return 0;
	return node->drv->discard(node, offset, bytes);
}

int blk_flush(struct blk_node *node)
{
	if (node->read_only)
		return 0;
	return node->drv->flush(node);
}

int blk_pwrite_compressed(struct blk_node *node, int64_t offset, const void *buf, size_t bytes)
{
	if (node->read_only)
		return -EPERM;
	if (!node->drv->pwrite_compressed)
		return -ENOTSUP;
	int r = check_range(node, offset, (int64_t)bytes);
	if (r < 0)
		return r;
	return node->drv->pwrite_compressed(node, offset, buf, bytes);
}

int blk_truncate(struct blk_node *node, int64_t size, bool shrink, const char *prealloc,
		 struct blk_error *err)
{
	if (node->read_only) {
		blk_error_set(err, -EACCES, "Image is read-only");
		return -EACCES;
	}
	if (size < 0) {
		blk_error_set(err, -EINVAL, "Image size cannot be negative");
		return -EINVAL;
	}
	if (!node->drv->truncate) {
		blk_error_set(err, -ENOTSUP, "Image format driver does not support resize");
		return -ENOTSUP;
	}
	int64_t old = blk_getlength(node);
	if (old >= 0 && size < old && !shrink) {
		blk_error_set(err, -EINVAL, "Use the --shrink option to perform a shrink operation.");
		return -EINVAL;
	}
	return node->drv->truncate(node, size, shrink, prealloc, err);
}

int blk_block_status(struct blk_node *node, int64_t offset, int64_t bytes,
		     struct blk_status *st)
{
	memset(st, 0, sizeof(*st));
	int r = check_range(node, offset, bytes);
	if (r < 0)
		return r;
	if (!bytes)
		return -EINVAL;
	st->node = node;
	r = node->drv->block_status(node, offset, bytes, st);
	if (r < 0)
		return r;
	if (st->bytes <= 0 || st->bytes > bytes)
		st->bytes = bytes;
	/* Data stored in a hole of the file (metadata preallocation), or past its end,
	 * reads as zeroes: ask the file, as QEMU does ("zero": true, "data": true).  qcow2
	 * asks only for images it found metadata-preallocated (BLK_STATUS_RECURSE, as QEMU
	 * 7.2 does): ordinary clusters whose COW tails are file holes stay plain data. */
	bool recurse = node->drv != &blk_driver_qcow2 || (st->flags & BLK_STATUS_RECURSE);
	st->flags &= ~BLK_STATUS_RECURSE;
	if (recurse && (st->flags & (BLK_STATUS_DATA | BLK_STATUS_OFFSET_VALID | BLK_STATUS_ZERO)) ==
		    (BLK_STATUS_DATA | BLK_STATUS_OFFSET_VALID) &&
	    st->file && st->file != node && st->file->drv == &blk_driver_file) {
		int64_t flen = blk_getlength(st->file);
		struct blk_status fst;
		if (flen >= 0 && st->offset >= flen) {
			st->flags |= BLK_STATUS_ZERO;
		} else if (flen >= 0 && blk_block_status(st->file, st->offset, st->bytes, &fst) == 0) {
			if (fst.bytes < st->bytes)
				st->bytes = fst.bytes;
			if (fst.flags & BLK_STATUS_ZERO)
				st->flags |= BLK_STATUS_ZERO;
		}
		st->node = node;
	}
	if (offset + st->bytes == blk_getlength(node))
		st->flags |= BLK_STATUS_EOF;
	return 0;
}

int blk_block_status_above(struct blk_node *node, struct blk_node *base, int64_t offset,
			   int64_t bytes, struct blk_status *st)
{
	/* As "qemu-img map" walks the chain: the first layer that allocates the range or
	 * knows it reads as zeroes/data answers. */
	int depth = 0;
	struct blk_node *n = node;
	for (;;) {
		int r = blk_block_status(n, offset, bytes, st);
		if (r < 0)
			return r;
		st->depth = depth;
		if (st->flags & (BLK_STATUS_ALLOCATED | BLK_STATUS_ZERO | BLK_STATUS_DATA))
			return 0;
		struct blk_node *b = n->backing;
		if (!b || b == base)
			return 0;
		bytes = st->bytes;
		n = b;
		depth++;
	}
}

int blk_make_empty(struct blk_node *node, struct blk_error *err)
{
	if (!node->drv->make_empty) {
		blk_error_set(err, -ENOTSUP, "Image format '%s' cannot be emptied", node->drv->name);
		return -ENOTSUP;
	}
	return node->drv->make_empty(node, err);
}

/* ------------------------------------------------------------------ creation and management */

const struct blk_create_opt_desc *blk_create_opts_table(const char *fmt)
{
	const struct blk_driver *d = blk_find_driver(fmt);
	return d ? d->create_opts : NULL;
}

int blk_create(const char *filename, const char *fmt, const struct blk_opts *opts,
	       unsigned flags, struct blk_error *err)
{
	const struct blk_driver *d = blk_find_driver(fmt);
	if (!d || !d->create) {
		blk_error_set(err, -EINVAL, "Unknown file format '%s'", fmt);
		return -EINVAL;
	}
	/* Every option must be one the format knows. */
	for (int i = 0; i < blk_opts_count(opts); i++) {
		const char *k = blk_opts_key(opts, i);
		const struct blk_create_opt_desc *t = d->create_opts;
		while (t && t->name && strcmp(t->name, k))
			t++;
		if (!t || !t->name) {
			blk_error_set(err, -EINVAL, "Invalid parameter '%s'", k);
			return -EINVAL;
		}
	}
	return d->create(filename, opts, flags, err);
}

int blk_measure(const char *fmt, const struct blk_opts *opts, struct blk_node *src,
		struct blk_measure *out, struct blk_error *err)
{
	const struct blk_driver *d = blk_find_driver(fmt);
	memset(out, 0, sizeof(*out));
	if (!d || !d->measure) {
		blk_error_set(err, -EINVAL, "Unknown file format '%s'", fmt);
		return -EINVAL;
	}
	return d->measure(opts, src, out, err);
}

#define MGMT(fn, ...)                                                                          \
	do {                                                                                   \
		if (!node->drv->fn) {                                                          \
			blk_error_set(err, -ENOTSUP, "Format '%s' does not support this operation", \
				      node->drv->name);                                        \
			return -ENOTSUP;                                                       \
		}                                                                              \
		return node->drv->fn(node, __VA_ARGS__);                                       \
	} while (0)

int blk_snapshot_list(struct blk_node *node, struct blk_snapshot **list)
{
	*list = NULL;
	if (!node->drv->snapshot_list)
		return 0;
	return node->drv->snapshot_list(node, list);
}

int blk_snapshot_create(struct blk_node *node, const struct blk_snapshot *sn,
			struct blk_error *err)
{
	MGMT(snapshot_create, sn, err);
}

int blk_snapshot_apply(struct blk_node *node, const char *id_or_name, struct blk_error *err)
{
	MGMT(snapshot_apply, id_or_name, err);
}

int blk_snapshot_delete(struct blk_node *node, const char *id_or_name, struct blk_error *err)
{
	MGMT(snapshot_delete, id_or_name, err);
}

int blk_check(struct blk_node *node, unsigned fix, struct blk_check_result *res,
	      blk_report_fn *report, void *opaque, struct blk_error *err)
{
	memset(res, 0, sizeof(*res));
	MGMT(check, fix, res, report, opaque, err);
}

int blk_amend(struct blk_node *node, const struct blk_opts *opts, bool force,
	      blk_progress_fn *progress, void *opaque, struct blk_error *err)
{
	MGMT(amend, opts, force, progress, opaque, err);
}

int blk_vmstate_write(struct blk_node *node, int64_t pos, const void *buf, size_t bytes)
{
	if (!node->drv->vmstate_rw)
		return -ENOTSUP;
	if (node->read_only)
		return -EPERM;
	if (pos < 0)
		return -EINVAL;
	return node->drv->vmstate_rw(node, pos, (void *)buf, bytes, true);
}

int blk_vmstate_read(struct blk_node *node, int64_t pos, void *buf, size_t bytes)
{
	if (!node->drv->vmstate_rw)
		return -ENOTSUP;
	if (pos < 0)
		return -EINVAL;
	return node->drv->vmstate_rw(node, pos, buf, bytes, false);
}

int blk_change_backing_file(struct blk_node *node, const char *backing_file,
			    const char *backing_fmt, struct blk_error *err)
{
	MGMT(change_backing, backing_file, backing_fmt, err);
}
