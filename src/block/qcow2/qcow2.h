/*
 * qcow2 driver internals. Section references are to the qcow2 specification
 * (docs/interop/qcow2.txt in QEMU's tree, "QCOW2 image format").
 *
 * Locking: one mutex per image protects all metadata (header, L1, the L2 and
 * refcount caches, snapshot table, allocation). Plain data I/O to clusters that are
 * already allocated runs with the mutex dropped; s->inflight counts it, and clusters
 * are only freed (and so reusable) when no such I/O is in flight.
 *
 * Crash consistency (spec "Refcount table" and QEMU's cache dependencies): a cluster's
 * refcount reaches the disk before any L2/L1 entry that points to it, and a
 * reference is removed from the disk before the refcount drops. New references live in
 * the L2 cache and the in-memory L1 until a flush, which writes refcount blocks, syncs,
 * writes L2 tables and the L1 table, syncs, and only then applies the queued
 * decrements ("pending frees"). A crash at any point leaves at most leaked clusters.
 */
#ifndef LEMU_BLOCK_QCOW2_H
#define LEMU_BLOCK_QCOW2_H

#include "block/block_int.h"

#define QCOW2_MAGIC 0x514649fbu

/* Header feature bits (spec "Header", bytes 72-95). */
#define QCOW2_INCOMPAT_DIRTY	    (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT	    (1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE    (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION  (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2	    (1ull << 4)
#define QCOW2_INCOMPAT_KNOWN	    0x1full
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ull << 0)
#define QCOW2_AUTOCLEAR_BITMAPS	    (1ull << 0)
#define QCOW2_AUTOCLEAR_DATA_RAW    (1ull << 1)

/* Header extension types (spec "Header extensions"). */
#define QCOW2_EXT_END		0x00000000u
#define QCOW2_EXT_BACKING_FMT	0xe2792acau
#define QCOW2_EXT_FEATURES	0x6803f857u
#define QCOW2_EXT_BITMAPS	0x23852875u
#define QCOW2_EXT_CRYPTO	0x0537be77u
#define QCOW2_EXT_DATA_FILE	0x44415441u

/* L1/L2 entries (spec "Cluster mapping"). */
#define QCOW2_OFLAG_COPIED	(1ull << 63)
#define QCOW2_OFLAG_COMPRESSED	(1ull << 62)
#define QCOW2_OFLAG_ZERO	(1ull << 0)
#define QCOW2_L1E_OFFSET_MASK	0x00fffffffffffe00ull
#define QCOW2_L2E_OFFSET_MASK	0x00fffffffffffe00ull
#define QCOW2_MAX_HOST_OFFSET	(1ull << 56)

#define QCOW2_MAX_L1_ENTRIES	(32u << 20) / 8  /* 32 MiB of L1, as QEMU */
#define QCOW2_MAX_RT_CLUSTERS_BYTES (8u << 20)   /* 8 MiB refcount table */
#define QCOW2_MAX_SNAPSHOTS	65536

enum qcow2_ctype { QC_UNALLOC, QC_ZERO_PLAIN, QC_ZERO_ALLOC, QC_NORMAL, QC_COMPRESSED };

struct qcow2_centry {
	uint64_t offset;  /* host offset of the cached cluster, 0 = free slot */
	uint8_t *data;
	bool dirty;
	bool ref;	  /* clock bit */
	int pin;
	int hnext;	  /* hash chain */
};

struct qcow2_cache {
	int nb;
	int nbuckets;
	int *buckets;
	struct qcow2_centry *e;
	int hand;
	bool is_l2;
};

struct qcow2_ext {
	uint32_t type;
	uint32_t len;
	uint8_t *data;
};

struct qcow2_snap {
	uint64_t l1_offset;
	uint32_t l1_size;
	char *id, *name;
	uint32_t date_sec, date_nsec;
	uint64_t vm_clock_nsec;
	uint64_t vm_state_size;
	uint32_t extra_size;
	uint8_t *extra;	  /* extra data as stored (preserved) */
	uint64_t disk_size;
	uint64_t icount;  /* UINT64_MAX: none */
};

/* Guest clusters [start, end) an allocating write is filling with the lock dropped. */
struct qcow2_alloc_range {
	uint64_t start, end;
	struct qcow2_alloc_range *next;
};

struct qcow2_free {
	uint64_t offset;  /* host byte offset */
	uint64_t bytes;
};

struct qcow2 {
	struct blk_node *node;
	struct blk_node *file;
	/* Metadata preallocation detected (-1: not checked yet): data clusters may be file
	 * holes, so block status asks the file (qcow2_metadata_preallocated). */
	int meta_prealloc;
	pthread_mutex_t lock;
	pthread_cond_t io_done;	  /* inflight dropped or an allocation finished */
	int inflight;
	struct qcow2_alloc_range *allocs;

	/* header (host byte order) */
	uint32_t version;
	uint32_t cluster_bits;
	uint64_t cluster_size;
	uint64_t size;
	uint32_t crypt_method;
	uint64_t incompat, compat, autoclear;
	uint32_t refcount_order;
	uint32_t header_length;
	uint8_t compression_type; /* 0 zlib, 1 zstd */
	char *backing_file;
	char *backing_fmt;
	struct qcow2_ext *exts;	  /* unknown extensions, preserved */
	int nb_exts;
	uint8_t *feature_table;	  /* raw feature name table (for messages) */
	uint32_t feature_table_len;

	/* L1 (active) */
	uint64_t l1_offset;
	uint32_t l1_size;
	uint64_t *l1;
	bool l1_dirty;
	uint32_t l2_bits;	  /* entries per L2 table = 1 << l2_bits */

	/* refcounts */
	uint64_t rt_offset;
	uint32_t rt_clusters;
	uint64_t *rt;
	uint32_t rt_size;	  /* entries */
	uint32_t rb_bits;	  /* entries per refcount block = 1 << rb_bits */
	uint64_t refcount_max;
	uint64_t free_cluster_index;
	uint64_t free_byte_offset; /* compressed data packing, 0 = none */
	struct qcow2_free *frees;
	int nb_frees, cap_frees;

	struct qcow2_cache l2c, rcc;

	/* snapshots */
	uint32_t nb_snapshots;
	uint64_t snapshots_offset;
	uint64_t snapshots_size;
	struct qcow2_snap *snaps;

	/* During check -r: computed references; such clusters are in use even when
	 * their stored refcount is 0, so the allocator must not hand them out. */
	const uint32_t *check_ref;
	uint64_t check_nb;

	bool dirty_set;		  /* this open set the dirty bit */
	bool corrupt_reported;
	bool read_only;
};

static inline uint64_t be64_get(const uint8_t *p)
{
	return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
	       (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
	       (uint64_t)p[6] << 8 | p[7];
}
static inline uint32_t be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint16_t be16_get(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static inline void be64_put(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}
static inline void be32_put(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}
static inline void be16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint64_t qcow2_align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}
static inline uint64_t qcow2_size_to_l1(const struct qcow2 *s, uint64_t size)
{
	uint64_t shift = s->cluster_bits + s->l2_bits;
	return (size + (1ull << shift) - 1) >> shift;
}

/* header.c */
int qcow2_write_header(struct qcow2 *s);
int qcow2_update_incompat(struct qcow2 *s, uint64_t set, uint64_t clear);
void qcow2_signal_corruption(struct qcow2 *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int qcow2_write_l1(struct qcow2 *s);
int qcow2_flush_locked(struct qcow2 *s);
void qcow2_wait_idle(struct qcow2 *s);
int qcow2_mark_dirty(struct qcow2 *s);

/* cache.c */
int qcow2_cache_init(struct qcow2_cache *c, int nb, size_t size, bool is_l2);
void qcow2_cache_destroy(struct qcow2_cache *c);
/* Get the cluster at offset (read it unless fresh: then zero-filled); returns a pinned
 * entry index, release with qcow2_cache_put. */
int qcow2_cache_get(struct qcow2 *s, struct qcow2_cache *c, uint64_t offset, bool fresh);
void qcow2_cache_put(struct qcow2_cache *c, int idx);
void qcow2_cache_mark_dirty(struct qcow2_cache *c, int idx);
int qcow2_cache_write_all(struct qcow2 *s, struct qcow2_cache *c);
void qcow2_cache_drop(struct qcow2_cache *c, uint64_t offset);
void qcow2_cache_drop_all(struct qcow2_cache *c);
bool qcow2_cache_has_dirty(const struct qcow2_cache *c);

/* refcount.c */
int qcow2_refcount_init(struct qcow2 *s);
int qcow2_get_refcount(struct qcow2 *s, uint64_t cluster, uint64_t *rc);
int qcow2_update_refcount(struct qcow2 *s, uint64_t cluster, int64_t addend);
/* Allocate n contiguous free clusters (refcount 1 each); returns the host offset. */
int64_t qcow2_alloc_clusters(struct qcow2 *s, uint64_t n);
/* Queue the decrement of the clusters covering [offset, offset+bytes) for the next
 * flush (see the consistency note at the top). */
int qcow2_free_later(struct qcow2 *s, uint64_t offset, uint64_t bytes);
int qcow2_apply_frees(struct qcow2 *s);
/* Immediate decrement (callers make sure no reference is left on disk). */
int qcow2_free_now(struct qcow2 *s, uint64_t offset, uint64_t bytes);
uint64_t qcow2_rb_get(const struct qcow2 *s, const uint8_t *blk, uint64_t i);
void qcow2_rb_set(const struct qcow2 *s, uint8_t *blk, uint64_t i, uint64_t v);
bool qcow2_overlaps_metadata(struct qcow2 *s, uint64_t offset, uint64_t bytes);
int qcow2_write_rt(struct qcow2 *s);

/* cluster.c */
enum qcow2_ctype qcow2_entry_type(const struct qcow2 *s, uint64_t l2e);
int qcow2_get_l2_entry(struct qcow2 *s, uint64_t guest_off, uint64_t *l2e);
int qcow2_set_l2_entry(struct qcow2 *s, uint64_t guest_off, uint64_t l2e, uint64_t *old);
void qcow2_compressed_range(const struct qcow2 *s, uint64_t l2e, uint64_t *off, uint64_t *len);
int qcow2_pread(struct blk_node *n, int64_t off, void *buf, size_t bytes);
int qcow2_pwrite(struct blk_node *n, int64_t off, const void *buf, size_t bytes, unsigned flags);
int qcow2_pwrite_zeroes(struct blk_node *n, int64_t off, int64_t bytes, unsigned flags);
int qcow2_discard(struct blk_node *n, int64_t off, int64_t bytes);
int qcow2_block_status(struct blk_node *n, int64_t off, int64_t bytes, struct blk_status *st);
/* With s->lock held: whether the image looks metadata-preallocated (cached). */
bool qcow2_metadata_preallocated(struct qcow2 *s);
int qcow2_zero_range_locked(struct qcow2 *s, uint64_t off, uint64_t bytes, bool unmap,
			    bool discard);
int qcow2_update_copied_flags(struct qcow2 *s);

/* compressed.c */
int qcow2_decompress(const struct qcow2 *s, const uint8_t *src, size_t slen, uint8_t *dst,
		     size_t dlen);
/* Returns the compressed length, or -ENOSPC when it would not be smaller than max. */
ssize_t qcow2_compress(int type, const uint8_t *src, size_t slen, uint8_t *dst, size_t max);
int qcow2_read_compressed(struct qcow2 *s, uint64_t l2e, uint8_t *cluster);
int qcow2_pwrite_compressed(struct blk_node *n, int64_t off, const void *buf, size_t bytes);

/* snapshot.c */
int qcow2_read_snapshots(struct qcow2 *s, struct blk_error *err);
void qcow2_free_snapshots(struct qcow2 *s);
int qcow2_snapshot_list(struct blk_node *n, struct blk_snapshot **list);
int qcow2_snapshot_create(struct blk_node *n, const struct blk_snapshot *sn, struct blk_error *err);
int qcow2_snapshot_apply(struct blk_node *n, const char *id, struct blk_error *err);
int qcow2_snapshot_delete(struct blk_node *n, const char *id, struct blk_error *err);
int qcow2_vmstate_rw(struct blk_node *n, int64_t pos, void *buf, size_t bytes, bool write);
int qcow2_walk_l1_refs(struct qcow2 *s, uint64_t l1_offset, uint32_t l1_size, int64_t addend);

/* check.c */
int qcow2_check(struct blk_node *n, unsigned fix, struct blk_check_result *res,
		blk_report_fn *report, void *opaque, struct blk_error *err);
int qcow2_check_locked(struct qcow2 *s, unsigned fix, struct blk_check_result *res,
		       blk_report_fn *report, void *opaque);

/* create.c */
extern const struct blk_create_opt_desc qcow2_create_opts[];
int qcow2_create(const char *filename, const struct blk_opts *opts, unsigned flags,
		 struct blk_error *err);
int qcow2_measure(const struct blk_opts *opts, struct blk_node *src, struct blk_measure *out,
		  struct blk_error *err);
int qcow2_truncate(struct blk_node *n, int64_t size, bool shrink, const char *prealloc,
		   struct blk_error *err);
int qcow2_amend(struct blk_node *n, const struct blk_opts *opts, bool force,
		blk_progress_fn *progress, void *opaque, struct blk_error *err);
int qcow2_make_empty(struct blk_node *n, struct blk_error *err);
int qcow2_grow_l1(struct qcow2 *s, uint64_t min_size);

#endif
