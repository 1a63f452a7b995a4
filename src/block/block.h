/*
 * lemu block layer: public API.
 *
 * Used by lemu-img (src/img, tools/lemu-img.c), lemu-nbd (src/nbd) and the system
 * emulator's disk devices. The graph is a tree of nodes: a format node (raw, qcow2)
 * over a protocol node (file), and for qcow2 an optional backing node, itself a format
 * node over a file, to any depth:
 *
 *      qcow2 "top.qcow2"  --file-->  file "top.qcow2"
 *        |
 *      backing
 *        v
 *      qcow2 "base.qcow2" --file-->  file "base.qcow2"
 *
 * Threading: every function here is synchronous and thread-safe (each node has its own
 * lock; several threads may issue I/O to the same node at once). There are no
 * coroutines and no event loop: asynchronous requests (blk_aio_*) go to io_uring (raw and
 * file nodes, where the host allows) or run on a small worker pool owned by the node they
 * were submitted to, and report through a callback that runs on the io_uring reaper or a
 * pool thread. Two graphs in one process are independent (no global state).
 *
 * Errors: functions return 0 (or a non-negative count/size) on success and -errno on
 * failure. Functions that take a struct blk_error * also leave a user-facing message in
 * it (naming the file and the reason, worded like QEMU's so that tools can print
 * "lemu-img: <msg>"); err may be NULL when the caller does not want the text.
 *
 * API changes after the first commit are kept source-compatible; notable additions are
 * listed here:
 *   - blk_snapshot_create: has_icount=false stores "no icount" (-1); qemu-img snapshot -c
 *     itself records icount 0 (shown as 0 in the ICOUNT column), so lemu-img should pass
 *     has_icount=true, icount=0 to match.
 *   - open options snapshot.id / snapshot.name (read-only view of an internal snapshot).
 *   - raw: the length is rounded up to 512 bytes as in QEMU (the tail reads as zeroes).
 *   - blk_check: qemu-img's two passes ("Leaked"/"ERROR" lines, then "Repairing"); -r
 *     leaks on a referenced cluster with refcount 0 fails with -EIO ("ERROR need to
 *     rebuild refcount structures"), as qemu-img does.
 *   - blk_vmstate_write / blk_vmstate_read (savevm/loadvm state in qcow2 snapshots).
 *   - blk_block_status: data stored in a hole of the file, or past its end, also has
 *     BLK_STATUS_ZERO (QEMU's "zero": true, "data": true for metadata preallocation).
 *   - blk_create(qcow2, backing_file=...): the new overlay shows its backing file (it no
 *     longer zeroes the disk); raw create/measure round the size up to 512 bytes.
 *   - blk_close flushes first and returns the first error.
 */
#ifndef LEMU_BLOCK_BLOCK_H
#define LEMU_BLOCK_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* ------------------------------------------------------------------ errors */

struct blk_error {
	int code;	/* -errno of the failure, 0 if none was recorded */
	char msg[1024]; /* "Could not open 'x.qcow2': No such file or directory" */
};

/* Record an error (the latest call wins). err may be NULL. */
void blk_error_set(struct blk_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefix an existing message: "<prefix>: <old message>". */
void blk_error_prefix(struct blk_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------ options */

/*
 * An ordered key=value list with QEMU's option names. Keys are dotted paths as in
 * -blockdev / -drive: "driver", "file.filename", "file.driver", "cache.direct",
 * "cache.no-flush", "cache" (a mode string: none|writeback|unsafe|directsync|
 * writethrough), "aio" (threads|io_uring|native), "read-only", "discard"
 * (ignore|off|unmap|on), "detect-zeroes" (off|on|unmap), "force-share", "locking"
 * (on|off|auto), "backing" ("" or "null" = open without backing), "backing.<opt>"
 * (options of the backing node: backing.driver, backing.file.filename, ...),
 * "offset" and "size" (raw only: a window into the file), "filename" (for driver=file),
 * "snapshot.id" / "snapshot.name" (qcow2, read-only: open the image as it was in that
 * internal snapshot, as qemu-img convert -l and qemu-nbd -l do).
 * Boolean values accept on/off, true/false, yes/no, 1/0.
 *
 * Creation options (blk_create, blk_measure, blk_amend) use the same container with
 * qemu-img's -o names: size, compat, cluster_size, preallocation, lazy_refcounts,
 * refcount_bits, compression_type, backing_file, backing_fmt, extended_l2, data_file,
 * data_file_raw, encryption, nocow, extent_size_hint.
 */
struct blk_opts;

struct blk_opts *blk_opts_new(void);
void blk_opts_free(struct blk_opts *o);
struct blk_opts *blk_opts_dup(const struct blk_opts *o);
/* Set (replace) key to value; value NULL removes the key. Returns 0 or -ENOMEM. */
int blk_opts_set(struct blk_opts *o, const char *key, const char *value);
/* Parse "k1=v1,k2=v2" (",," is a literal comma, as in QEMU's option parser) and add
 * the pairs. A bare word "k" means "k=on". Later keys replace earlier ones. */
int blk_opts_parse(struct blk_opts *o, const char *str, struct blk_error *err);
const char *blk_opts_get(const struct blk_opts *o, const char *key);
/* Number of pairs and indexed access (in insertion order). */
int blk_opts_count(const struct blk_opts *o);
const char *blk_opts_key(const struct blk_opts *o, int i);
const char *blk_opts_value(const struct blk_opts *o, int i);

/* Parse helpers with QEMU's spellings (return 0 or -EINVAL). */
int blk_parse_bool(const char *s, bool *out);
/* Size with optional k/K, M, G, T, P, E suffix (powers of 1024), "b" for bytes;
 * decimal fractions are accepted as QEMU does ("1.5G"). */
int blk_parse_size(const char *s, uint64_t *out);

/* Cache modes (QEMU's -t/-T and cache=): none = O_DIRECT, writeback (default),
 * unsafe = flushes ignored, directsync = O_DIRECT + write-through, writethrough =
 * every write followed by a flush. */
struct blk_cache_mode {
	bool direct;	    /* cache.direct: O_DIRECT on the file */
	bool no_flush;	    /* cache.no-flush: blk_flush is a no-op */
	bool writethrough;  /* guest-visible: every write is FUA */
};
int blk_parse_cache_mode(const char *mode, struct blk_cache_mode *out);

/* ------------------------------------------------------------------ nodes and opening */

struct blk_node;

/* Flags of blk_open (options in opts take precedence when both say something). */
#define BLK_OPEN_RDWR		(1u << 0)  /* default is read-only */
#define BLK_OPEN_NO_BACKING	(1u << 1)  /* do not open the backing file (qemu-img -u paths) */
#define BLK_OPEN_FORCE_SHARE	(1u << 2)  /* -U: read without taking locks that exclude a writer */
#define BLK_OPEN_NO_LOCK	(1u << 3)  /* locking=off */
#define BLK_OPEN_BACKING_RW	(1u << 4)  /* the whole backing chain read-write (commit) */
#define BLK_OPEN_CHECK		(1u << 5)  /* for check/repair: open a dirty or corrupt image
					      read-write without the automatic repair */
#define BLK_OPEN_NO_IO		(1u << 6)  /* metadata only (info on an image whose
					      backing file is missing still works) */

/*
 * Open filename with format fmt ("raw", "qcow2", or NULL to probe: qcow2 magic, else
 * raw). opts (may be NULL; not consumed) adds QEMU options, see above; "driver" in opts
 * overrides fmt, "file.filename" overrides filename (filename may then be NULL).
 * A qcow2 image's backing file is opened read-only (relative names are resolved
 * against the directory of the image), with backing_fmt from the header or probed,
 * unless BLK_OPEN_NO_BACKING or backing=null.
 * Errors come with QEMU-like messages: "Could not open 'x': No such file or directory",
 * "Failed to get "write" lock" + "Is another process using the image [x]?",
 * "qcow2: Image is corrupt; cannot be opened read/write", ...
 */
struct blk_node *blk_open(const char *filename, const char *fmt, const struct blk_opts *opts,
			  unsigned flags, struct blk_error *err);
/* Flush, clear the qcow2 dirty bit if this open set it, drop locks, close children.
 * Returns the first error of the final flush (the node is freed regardless). */
int blk_close(struct blk_node *node);

/* Graph inspection. The returned strings live as long as the node. */
const char *blk_node_driver(const struct blk_node *node);   /* "qcow2", "raw", "file" */
const char *blk_node_filename(const struct blk_node *node); /* as opened (resolved path for backing) */
struct blk_node *blk_node_file(const struct blk_node *node);	 /* protocol child, NULL for file */
struct blk_node *blk_node_backing(const struct blk_node *node); /* NULL if none / not opened */
bool blk_node_is_read_only(const struct blk_node *node);
/* Backing file name and format as recorded in the image (NULL if none), even when the
 * backing was not opened. */
const char *blk_node_backing_filename(const struct blk_node *node);
const char *blk_node_backing_format(const struct blk_node *node);
/* Cluster size of the format (qcow2), 0 if the format has none. */
int64_t blk_node_cluster_size(const struct blk_node *node);
/* Probe: the format name of an image from its first bytes ("qcow2" or "raw"). */
const char *blk_probe_format(const uint8_t *buf, size_t len);

/* Information for "qemu-img info" (human and JSON). */
struct blk_snapshot {
	char id[128];	       /* "1", "2", ... (unique) */
	char name[1024];       /* tag */
	uint64_t vm_state_size;
	uint32_t date_sec, date_nsec;
	uint64_t vm_clock_nsec;
	uint64_t icount;       /* UINT64_MAX when absent (qcow2 snapshot extra data) */
	bool has_icount;
	uint64_t disk_size;    /* virtual size at snapshot time */
};

struct blk_image_info {
	const char *format;	   /* driver name */
	const char *filename;
	int64_t virtual_size;
	int64_t actual_size;	   /* host bytes allocated (st_blocks * 512), -1 unknown */
	int64_t cluster_size;	   /* 0: none (raw, file) */
	bool has_dirty_flag;	   /* qcow2 */
	bool dirty_flag;
	const char *backing_filename;	   /* as recorded, NULL if none */
	const char *full_backing_filename; /* resolved against the image's directory */
	const char *backing_format;	   /* NULL if not recorded */
	bool encrypted;
	/* qcow2 "format-specific" data */
	bool has_qcow2;
	struct {
		const char *compat; /* "0.10" or "1.1" */
		const char *compression_type; /* "zlib" or "zstd" (v3 only) */
		bool lazy_refcounts;
		int refcount_bits;
		bool corrupt;
		bool extended_l2;
		const char *data_file; /* NULL (data files are refused on open) */
	} qcow2;
	int nb_snapshots;
	struct blk_snapshot *snapshots; /* owned, freed by blk_image_info_free */
};
int blk_get_info(struct blk_node *node, struct blk_image_info *info);
void blk_image_info_free(struct blk_image_info *info);

/* ------------------------------------------------------------------ synchronous I/O */

/* Request flags (QEMU's BDRV_REQ_* meaning). */
#define BLK_REQ_FUA		(1u << 0) /* write is on stable storage when it completes */
#define BLK_REQ_MAY_UNMAP	(1u << 1) /* write_zeroes may deallocate (qcow2: zero cluster
					     without data, file: punch hole) */
#define BLK_REQ_NO_FALLBACK	(1u << 2) /* write_zeroes: fail with -ENOTSUP instead of
					     writing zero buffers when it cannot be fast */

/* Byte-granular I/O at any offset/length; the layer aligns internally (O_DIRECT bounce
 * buffers, qcow2 COW). Requests must lie within blk_getlength(); one beyond it returns
 * -EINVAL. Returns 0 or -errno. */
int blk_pread(struct blk_node *node, int64_t offset, void *buf, size_t bytes, unsigned flags);
int blk_pwrite(struct blk_node *node, int64_t offset, const void *buf, size_t bytes,
	       unsigned flags);
int blk_preadv(struct blk_node *node, int64_t offset, const struct iovec *iov, int iovcnt,
	       unsigned flags);
int blk_pwritev(struct blk_node *node, int64_t offset, const struct iovec *iov, int iovcnt,
		unsigned flags);
int blk_pwrite_zeroes(struct blk_node *node, int64_t offset, int64_t bytes, unsigned flags);
/* Deallocate: a hint. qcow2 turns discarded clusters into zero clusters (v3 with a
 * backing file) or unallocated ones, so a discarded range reads back as zeroes; v2 over a
 * backing file ignores it. The "discard" option (default unmap here; the system
 * emulator passes QEMU's guest default, discard=ignore) decides whether raw/file
 * nodes punch holes. Unaligned heads and tails are ignored. */
int blk_discard(struct blk_node *node, int64_t offset, int64_t bytes);
int blk_flush(struct blk_node *node);
int64_t blk_getlength(struct blk_node *node); /* virtual size in bytes or -errno */
/* Host bytes allocated for the node and its file (qemu-img "disk size"), or -errno. */
int64_t blk_get_allocated_file_size(struct blk_node *node);

/*
 * Compressed write (qemu-img convert -c): offset must be cluster-aligned and bytes one
 * cluster (or the tail of the image). The data is compressed with the image's
 * compression type outside the node lock, so several threads may call this at once to
 * use several cores. If compression does not save space, the cluster is written
 * uncompressed. -ENOTSUP on formats without compression.
 */
int blk_pwrite_compressed(struct blk_node *node, int64_t offset, const void *buf, size_t bytes);

/* Resize. Growing leaves the new area reading as zeroes. Shrinking needs shrink=true
 * (qemu-img resize --shrink), else -EINVAL with a message. prealloc for the new area:
 * "off", "metadata", "falloc", "full" (NULL = off). */
int blk_truncate(struct blk_node *node, int64_t size, bool shrink, const char *prealloc,
		 struct blk_error *err);

/* Block status of [offset, offset+bytes): the answer covers st->bytes (1..bytes) bytes
 * that share the same status. */
#define BLK_STATUS_DATA		(1u << 0) /* reads come from data stored somewhere */
#define BLK_STATUS_ZERO		(1u << 1) /* reads as zeroes */
#define BLK_STATUS_ALLOCATED	(1u << 2) /* this layer (not a backing file) decides */
#define BLK_STATUS_OFFSET_VALID (1u << 3) /* data is at st->offset in st->file, plain */
#define BLK_STATUS_COMPRESSED	(1u << 4) /* qcow2 compressed cluster (no plain offset) */
#define BLK_STATUS_EOF		(1u << 5) /* range reaches the end of the image */
/* internal (driver -> blk_block_status): the data may sit in holes of the file, ask it */
#define BLK_STATUS_RECURSE	(1u << 6)

struct blk_status {
	int64_t bytes;
	unsigned flags;
	int64_t offset;		/* host offset in st->file when OFFSET_VALID */
	struct blk_node *file;	/* protocol node holding the data (OFFSET_VALID) */
	struct blk_node *node;	/* layer that answered */
	int depth;		/* chain depth of that layer, 0 = node itself */
};
/* This layer only: ALLOCATED tells whether the layer itself provides the range; an
 * unallocated range of an image without backing file also has ZERO. */
int blk_block_status(struct blk_node *node, int64_t offset, int64_t bytes,
		     struct blk_status *st);
/*
 * Walk the chain from node down to (not including) base (NULL = whole chain) as
 * "qemu-img map" does: the first layer whose status has ALLOCATED, ZERO or DATA
 * answers; st->node/depth name it (depth 0 = node). An unallocated range reads as
 * zeroes at the bottom of the chain (ZERO without ALLOCATED, depth of the last layer),
 * and an unallocated range past the end of a shorter backing file is ZERO at the
 * layer above it. "present" in qemu-img map's JSON is the ALLOCATED bit.
 */
int blk_block_status_above(struct blk_node *node, struct blk_node *base, int64_t offset,
			   int64_t bytes, struct blk_status *st);

/* Drop all data of a qcow2 image (qemu-img commit empties the top). -ENOTSUP for raw. */
int blk_make_empty(struct blk_node *node, struct blk_error *err);

/* ------------------------------------------------------------------ asynchronous I/O */

/*
 * Completion callback: ret is 0 or -errno. Called on a worker (or io_uring reaper) thread
 * (never from inside the submitting call); it may submit further requests but must not
 * call blk_drain or blk_close on the same node. The iovec array and buffers must stay
 * valid until the callback.
 * Requests are not ordered with respect to each other (as with a real disk): a flush
 * covers the writes that completed before it was submitted.
 * The submit functions return 0, or -errno when the request could not be queued (the
 * callback is then not called).
 */
typedef void blk_completion_fn(void *opaque, int ret);

int blk_aio_preadv(struct blk_node *node, int64_t offset, const struct iovec *iov, int iovcnt,
		   unsigned flags, blk_completion_fn *cb, void *opaque);
int blk_aio_pwritev(struct blk_node *node, int64_t offset, const struct iovec *iov, int iovcnt,
		    unsigned flags, blk_completion_fn *cb, void *opaque);
int blk_aio_pwrite_zeroes(struct blk_node *node, int64_t offset, int64_t bytes, unsigned flags,
			  blk_completion_fn *cb, void *opaque);
int blk_aio_discard(struct blk_node *node, int64_t offset, int64_t bytes,
		    blk_completion_fn *cb, void *opaque);
int blk_aio_flush(struct blk_node *node, blk_completion_fn *cb, void *opaque);
/* Wait until every request submitted to node so far has completed (callbacks done). */
void blk_drain(struct blk_node *node);
/* Number of worker threads of node's pool (default 4, or the open option
 * "x-aio-threads"). Call before the first blk_aio_*; -EBUSY afterwards. */
int blk_aio_set_threads(struct blk_node *node, int threads);

/* ------------------------------------------------------------------ creation */

/* One entry of the option table of a format ("qemu-img create -o help"). */
struct blk_create_opt_desc {
	const char *name;   /* "cluster_size" */
	const char *type;   /* "str", "size", "bool (on/off)", "num" */
	const char *help;   /* qemu-img's help text */
	const char *def;    /* default value as text, or NULL */
};
/* Options of fmt ("raw", "qcow2", "file"), terminated by a NULL name, sorted by name;
 * NULL for an unknown format. */
const struct blk_create_opt_desc *blk_create_opts_table(const char *fmt);

/* Flags of blk_create. */
#define BLK_CREATE_NO_BACKING_CHECK (1u << 0) /* qemu-img create -u: do not open the
						 backing file (size must then be given) */

/*
 * Create filename as fmt with qemu-img's -o options in opts (size, compat, ...). When
 * size is missing and backing_file is set, the backing file is opened (relative to the
 * new image's directory, with backing_fmt or probed) for its size. Unknown options,
 * bad values, extended_l2=on, data_file and encryption are refused with a message
 * naming the option ("Invalid parameter 'foo'", "Cluster size must be a power of two
 * between 512 and 2048k", "Extended L2 tables are not supported", ...).
 */
int blk_create(const char *filename, const char *fmt, const struct blk_opts *opts,
	       unsigned flags, struct blk_error *err);

/* "qemu-img measure": sizes for a new image of fmt with opts (size from opts, or from
 * src when src != NULL, which also counts only src's allocated data for "required"). */
struct blk_measure {
	uint64_t required;
	uint64_t fully_allocated;
	bool has_bitmaps;	/* qcow2 v3: "bitmaps size: 0" is printed */
	uint64_t bitmaps;
};
int blk_measure(const char *fmt, const struct blk_opts *opts, struct blk_node *src,
		struct blk_measure *out, struct blk_error *err);

/* ------------------------------------------------------------------ qcow2 management */

/* Internal snapshots (qcow2; -ENOTSUP elsewhere). blk_snapshot_list returns the count
 * and a malloc'd array (*list, free()). Create takes sn->name (and vm_state_size, dates,
 * vm_clock_nsec, icount if set; date 0 means "now"); sn->id empty = next free id. Apply
 * and delete take an id or a name (the id is tried first, as QEMU does). */
int blk_snapshot_list(struct blk_node *node, struct blk_snapshot **list);
int blk_snapshot_create(struct blk_node *node, const struct blk_snapshot *sn,
			struct blk_error *err);
int blk_snapshot_apply(struct blk_node *node, const char *id_or_name, struct blk_error *err);
int blk_snapshot_delete(struct blk_node *node, const char *id_or_name, struct blk_error *err);

/* VM state for savevm/loadvm (qcow2; -ENOTSUP elsewhere): bytes stored past the end of
 * the virtual disk in the active image, at the offset QEMU uses (the first L1 entry past
 * the disk), so blk_snapshot_create with vm_state_size records them in the snapshot
 * (and then drops them from the active image, as QEMU does); after blk_snapshot_apply
 * blk_vmstate_read returns the snapshot's state. */
int blk_vmstate_write(struct blk_node *node, int64_t pos, const void *buf, size_t bytes);
int blk_vmstate_read(struct blk_node *node, int64_t pos, void *buf, size_t bytes);

/* Consistency check (qemu-img check). The node should be opened with BLK_OPEN_CHECK
 * (and BLK_OPEN_RDWR for a repair). report(opaque, line) receives qemu-img's per-problem
 * lines ("Leaked cluster 9 refcount=1 reference=0", "ERROR cluster 5 refcount=1
 * reference=2", "Repairing cluster 9 refcount=1 reference=0"); it may be NULL. */
#define BLK_CHECK_FIX_LEAKS  (1u << 0) /* -r leaks */
#define BLK_CHECK_FIX_ERRORS (1u << 1) /* -r all (together with FIX_LEAKS) */

struct blk_check_result {
	int64_t corruptions;
	int64_t leaks;
	int64_t check_errors;
	int64_t corruptions_fixed;
	int64_t leaks_fixed;
	int64_t image_end_offset;	/* 0 = not reported */
	bool has_cluster_stats;	/* qcow2: the four below are meaningful */
	int64_t allocated_clusters;
	int64_t total_clusters;
	int64_t fragmented_clusters;
	int64_t compressed_clusters;
};
typedef void blk_report_fn(void *opaque, const char *line);
/* Returns 0 when the check itself ran (problems are in res), -errno when it could not. */
int blk_check(struct blk_node *node, unsigned fix, struct blk_check_result *res,
	      blk_report_fn *report, void *opaque, struct blk_error *err);

/* qemu-img amend -o: compat=0.10|1.1|v2|v3, refcount_bits, lazy_refcounts, size
 * (as a resize), backing_file/backing_fmt; others refused with a message. progress
 * (may be NULL) gets a fraction 0..1. force = --force. */
typedef void blk_progress_fn(void *opaque, double done);
int blk_amend(struct blk_node *node, const struct blk_opts *opts, bool force,
	      blk_progress_fn *progress, void *opaque, struct blk_error *err);

/* Rewrite the backing file name/format in the header only (qemu-img rebase -u;
 * also used by safe rebase after copying). backing_file NULL removes the backing
 * link; backing_fmt NULL removes the format extension. */
int blk_change_backing_file(struct blk_node *node, const char *backing_file,
			    const char *backing_fmt, struct blk_error *err);

#endif
