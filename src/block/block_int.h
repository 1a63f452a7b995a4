/*
 * Block layer internals shared by block.c and the drivers (file, raw, qcow2).
 */
#ifndef LEMU_BLOCK_BLOCK_INT_H
#define LEMU_BLOCK_BLOCK_INT_H

#include "block/block.h"

#include <pthread.h>
#include <stdarg.h>

struct blk_aio_pool;

struct blk_driver {
	const char *name;
	/* Open the node: filename is n->filename, opts are this node's options (prefix
	 * stripped); protocol child and backing are opened by the driver. */
	int (*open)(struct blk_node *n, const struct blk_opts *opts, unsigned flags,
		    struct blk_error *err);
	void (*close)(struct blk_node *n);
	int (*pread)(struct blk_node *n, int64_t off, void *buf, size_t bytes);
	int (*pwrite)(struct blk_node *n, int64_t off, const void *buf, size_t bytes,
		      unsigned flags);
	/* Optional vectored forms (the range is checked by the caller); -ENOTSUP
	 * falls back to one linear buffer. */
	int (*preadv)(struct blk_node *n, int64_t off, const struct iovec *iov, int iovcnt);
	int (*pwritev)(struct blk_node *n, int64_t off, const struct iovec *iov, int iovcnt,
		       unsigned flags);
	int (*pwrite_zeroes)(struct blk_node *n, int64_t off, int64_t bytes, unsigned flags);
	int (*discard)(struct blk_node *n, int64_t off, int64_t bytes);
	int (*flush)(struct blk_node *n);
	int64_t (*getlength)(struct blk_node *n);
	int64_t (*allocated_size)(struct blk_node *n);
	int (*truncate)(struct blk_node *n, int64_t size, bool shrink, const char *prealloc,
			struct blk_error *err);
	int (*block_status)(struct blk_node *n, int64_t off, int64_t bytes,
			    struct blk_status *st);
	int (*pwrite_compressed)(struct blk_node *n, int64_t off, const void *buf,
				 size_t bytes);
	int (*get_info)(struct blk_node *n, struct blk_image_info *info);
	int (*make_empty)(struct blk_node *n, struct blk_error *err);
	int (*create)(const char *filename, const struct blk_opts *opts, unsigned flags,
		      struct blk_error *err);
	int (*measure)(const struct blk_opts *opts, struct blk_node *src,
		       struct blk_measure *out, struct blk_error *err);
	const struct blk_create_opt_desc *create_opts;
	int (*snapshot_list)(struct blk_node *n, struct blk_snapshot **list);
	int (*snapshot_create)(struct blk_node *n, const struct blk_snapshot *sn,
			       struct blk_error *err);
	int (*snapshot_apply)(struct blk_node *n, const char *id, struct blk_error *err);
	int (*snapshot_delete)(struct blk_node *n, const char *id, struct blk_error *err);
	int (*check)(struct blk_node *n, unsigned fix, struct blk_check_result *res,
		     blk_report_fn *report, void *opaque, struct blk_error *err);
	int (*amend)(struct blk_node *n, const struct blk_opts *opts, bool force,
		     blk_progress_fn *progress, void *opaque, struct blk_error *err);
	int (*change_backing)(struct blk_node *n, const char *file, const char *fmt,
			      struct blk_error *err);
	int (*vmstate_rw)(struct blk_node *n, int64_t pos, void *buf, size_t bytes, bool write);
};

enum blk_detect_zeroes { BLK_DZ_OFF, BLK_DZ_ON, BLK_DZ_UNMAP };

struct blk_node {
	const struct blk_driver *drv;
	void *opaque; /* driver state */
	char *filename;
	struct blk_node *file;
	struct blk_node *backing;
	bool read_only;
	bool force_share;
	bool no_lock;
	bool discard_unmap;	/* discard=unmap: pass discards down */
	enum blk_detect_zeroes detect_zeroes;
	struct blk_cache_mode cache;
	unsigned open_flags;
	/* async requests */
	pthread_mutex_t aio_lock;
	struct blk_aio_pool *pool;
	int aio_threads;
	bool use_uring;		/* aio=io_uring (default where liburing works) vs threads */
	int direct_pending;	/* requests handed to io_uring, not yet completed */
	pthread_cond_t direct_idle;
};

extern const struct blk_driver blk_driver_file;
extern const struct blk_driver blk_driver_raw;
extern const struct blk_driver blk_driver_qcow2;

const struct blk_driver *blk_find_driver(const char *name);

/* Open a child node (protocol or backing) with the options under prefix ("file.",
 * "backing.") of parent_opts; defaults are inherited from the parent (cache, locking). */
struct blk_node *blk_open_child(struct blk_node *parent, const char *filename,
				const char *fmt, const struct blk_opts *parent_opts,
				const char *prefix, unsigned flags, struct blk_error *err);
/* Options under "prefix." as a new list with the prefix removed. */
struct blk_opts *blk_opts_sub(const struct blk_opts *o, const char *prefix);

/* Resolve a backing file name relative to the directory of the image (malloc'd). */
char *blk_path_combine(const char *base_image, const char *name);

void blk_aio_pool_destroy(struct blk_node *n);
/* io_uring submission on a file node (file.c): -ENOTSUP when it cannot take the
 * request (no io_uring, O_DIRECT with unaligned buffers, ...); the caller then uses
 * the worker pool. op: 0 read, 1 write, 2 flush. */
int blk_file_aio(struct blk_node *n, int op, int64_t off, const struct iovec *iov, int iovcnt,
		 unsigned flags, blk_completion_fn *cb, void *opaque);
/* The file node and offset a raw node maps [off, off+len) to, or NULL. */
struct blk_node *blk_raw_passthrough(struct blk_node *n, int64_t *off, int64_t len);
const char *qcow2_backing_name(const struct blk_node *n, bool fmt);
int blk_file_create(const char *filename, uint64_t size, const char *prealloc,
		    struct blk_error *err);

bool blk_buffer_is_zero(const void *buf, size_t len);
void *blk_alloc_aligned(size_t size); /* 4 KiB-aligned, free() */
int blk_opts_get_bool(const struct blk_opts *o, const char *key, bool def, bool *out,
		      struct blk_error *err);

/* Unlocked entry points used by drivers on their children: same as the public ones. */
static inline int64_t blk_child_length(struct blk_node *n)
{
	return n->drv->getlength(n);
}

#endif
