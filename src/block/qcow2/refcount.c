/*
 * qcow2 reference counts (spec "Host cluster management"): refcount table and
 * blocks with refcount_bits 1..64, cluster allocation, growth of the refcount
 * structures, deferred frees. Called with the image lock held.
 */
#include "block/qcow2/qcow2.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Ranges (in clusters) the allocator must not hand out while an allocation that
 * covers them is being recorded. */
#define MAX_AVOID 16
struct avoid {
	int n;
	uint64_t s[MAX_AVOID], e[MAX_AVOID];
	const uint32_t *check_ref;
	uint64_t check_nb;
};

static int update_refcount(struct qcow2 *s, uint64_t cluster, int64_t addend, struct avoid *av);

/* Refcount block entry i (spec: "refcount_block_entries" are refcount_bits wide;
 * entries narrower than a byte are packed from the least significant bit, wider ones
 * are big-endian). */
uint64_t qcow2_rb_get(const struct qcow2 *s, const uint8_t *blk, uint64_t i)
{
	switch (s->refcount_order) {
	case 0: return (blk[i / 8] >> (i % 8)) & 1;
	case 1: return (blk[i / 4] >> ((i % 4) * 2)) & 3;
	case 2: return (blk[i / 2] >> ((i % 2) * 4)) & 15;
	case 3: return blk[i];
	case 4: return be16_get(blk + i * 2);
	case 5: return be32_get(blk + i * 4);
	default: return be64_get(blk + i * 8);
	}
}

void qcow2_rb_set(const struct qcow2 *s, uint8_t *blk, uint64_t i, uint64_t v)
{
	switch (s->refcount_order) {
	case 0:
		blk[i / 8] = (uint8_t)((blk[i / 8] & ~(1u << (i % 8))) | (v << (i % 8)));
		break;
	case 1:
		blk[i / 4] = (uint8_t)((blk[i / 4] & ~(3u << ((i % 4) * 2))) | (v << ((i % 4) * 2)));
		break;
	case 2:
		blk[i / 2] = (uint8_t)((blk[i / 2] & ~(15u << ((i % 2) * 4))) | (v << ((i % 2) * 4)));
		break;
	case 3: blk[i] = (uint8_t)v; break;
	case 4: be16_put(blk + i * 2, (uint16_t)v); break;
	case 5: be32_put(blk + i * 4, (uint32_t)v); break;
	default: be64_put(blk + i * 8, v); break;
	}
}

int qcow2_refcount_init(struct qcow2 *s)
{
	s->free_cluster_index = 0;
	s->free_byte_offset = 0;
	return 0;
}

static bool in_range(uint64_t off, uint64_t bytes, uint64_t start, uint64_t len)
{
	return len && off < start + len && start < off + bytes;
}

/* Does [offset, offset+bytes) touch a metadata structure? (QEMU's overlap check.) */
bool qcow2_overlaps_metadata(struct qcow2 *s, uint64_t offset, uint64_t bytes)
{
	uint64_t cs = s->cluster_size;
	if (in_range(offset, bytes, 0, cs))
		return true;
	if (in_range(offset, bytes, s->l1_offset, qcow2_align_up((uint64_t)s->l1_size * 8, cs)))
		return true;
	if (in_range(offset, bytes, s->rt_offset, (uint64_t)s->rt_clusters * cs))
		return true;
	if (s->nb_snapshots && in_range(offset, bytes, s->snapshots_offset, qcow2_align_up(s->snapshots_size, cs)))
		return true;
	for (uint32_t i = 0; i < s->nb_snapshots; i++)
		if (in_range(offset, bytes, s->snaps[i].l1_offset,
			     qcow2_align_up((uint64_t)s->snaps[i].l1_size * 8, cs)))
			return true;
	for (uint32_t i = 0; i < s->rt_size; i++) {
		uint64_t o = s->rt[i] & ~511ull;
		if (o && in_range(offset, bytes, o, cs))
			return true;
	}
	for (uint32_t i = 0; i < s->l1_size; i++) {
		uint64_t o = s->l1[i] & QCOW2_L1E_OFFSET_MASK;
		if (o && in_range(offset, bytes, o, cs))
			return true;
	}
	return false;
}

/* Host offset of the refcount block for rt index i, 0 if none; -EIO if bad. */
static int64_t rb_offset(struct qcow2 *s, uint64_t i)
{
	if (i >= s->rt_size)
		return 0;
	uint64_t o = s->rt[i] & ~511ull;
	if (!o)
		return 0;
	if (o % s->cluster_size || o >= QCOW2_MAX_HOST_OFFSET) {
		qcow2_signal_corruption(s, "Refblock offset %#" PRIx64 " unaligned (reftable index: %#" PRIx64 ")", o, i);
		return -EIO;
	}
	if (o == 0 || o < s->cluster_size) {
		qcow2_signal_corruption(s, "Refblock at offset %#" PRIx64 " overlaps the header", o);
		return -EIO;
	}
	return (int64_t)o;
}

int qcow2_get_refcount(struct qcow2 *s, uint64_t cluster, uint64_t *rc)
{
	int64_t o = rb_offset(s, cluster >> s->rb_bits);
	*rc = 0;
	if (o <= 0)
		return (int)o;
	int idx = qcow2_cache_get(s, &s->rcc, (uint64_t)o, false);
	if (idx < 0)
		return idx;
	*rc = qcow2_rb_get(s, s->rcc.e[idx].data, cluster & ((1ull << s->rb_bits) - 1));
	qcow2_cache_put(&s->rcc, idx);
	return 0;
}

static bool avoided(const struct avoid *av, uint64_t c)
{
	if (av && av->check_ref && c < av->check_nb && av->check_ref[c])
		return true;
	for (int i = 0; av && i < av->n; i++)
		if (c >= av->s[i] && c < av->e[i])
			return true;
	return false;
}

static int write_rt_entry(struct qcow2 *s, uint64_t i)
{
	uint8_t b[8];
	be64_put(b, s->rt[i]);
	return blk_pwrite(s->file, (int64_t)(s->rt_offset + i * 8), b, 8, 0);
}

int qcow2_write_rt(struct qcow2 *s)
{
	size_t bytes = (size_t)s->rt_clusters * s->cluster_size;
	uint8_t *b = calloc(1, bytes);
	if (!b)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->rt_size; i++)
		be64_put(b + i * 8, s->rt[i]);
	int r = blk_pwrite(s->file, (int64_t)s->rt_offset, b, bytes, 0);
	free(b);
	return r;
}

static int64_t file_clusters(struct qcow2 *s)
{
	int64_t l = blk_getlength(s->file);
	if (l < 0)
		return l;
	return (int64_t)(qcow2_align_up((uint64_t)l, s->cluster_size) >> s->cluster_bits);
}

/* Grow the refcount table so that index need exists (spec: the table must describe
 * itself and every refcount block). The new table goes to free clusters past the end
 * of the file; the header switches to it only after it is written and synced. */
static int grow_rt(struct qcow2 *s, uint64_t need, struct avoid *av)
{
	uint64_t cs = s->cluster_size;
	uint64_t entries = need + 1 > (uint64_t)s->rt_size * 2 ? need + 1 : (uint64_t)s->rt_size * 2;
	uint64_t clusters = qcow2_align_up(entries * 8, cs) / cs;
	if (clusters * cs > QCOW2_MAX_RT_CLUSTERS_BYTES) {
		clusters = QCOW2_MAX_RT_CLUSTERS_BYTES / cs;
		if (clusters * cs / 8 <= need)
			return -EFBIG;
	}
	entries = clusters * cs / 8;
	int64_t fc = file_clusters(s);
	if (fc < 0)
		return (int)fc;
	uint64_t t = (uint64_t)fc;
	for (int i = 0; av && i < av->n; i++)
		if (av->e[i] > t)
			t = av->e[i];
	/* Find `clusters` free clusters from t on. */
	for (uint64_t k = 0; k < clusters;) {
		uint64_t rc;
		int r = qcow2_get_refcount(s, t + k, &rc);
		if (r)
			return r;
		if (rc || avoided(av, t + k)) {
			t += k + 1;
			k = 0;
		} else {
			k++;
		}
	}
	uint64_t *nrt = calloc(entries, 8);
	if (!nrt)
		return -ENOMEM;
	memcpy(nrt, s->rt, (size_t)s->rt_size * 8);
	uint64_t *ort = s->rt, oofs = s->rt_offset;
	uint32_t osize = s->rt_size, oclusters = s->rt_clusters;
	s->rt = nrt;
	s->rt_size = (uint32_t)entries;
	s->rt_offset = t * cs;
	s->rt_clusters = (uint32_t)clusters;
	struct avoid a2 = av ? *av : (struct avoid){ 0 };
	int r = 0;
	if (a2.n < MAX_AVOID) {
		a2.s[a2.n] = t;
		a2.e[a2.n] = t + clusters;
		a2.n++;
	}
	for (uint64_t k = 0; k < clusters && !r; k++)
		r = update_refcount(s, t + k, 1, &a2);
	if (!r)
		r = qcow2_cache_write_all(s, &s->rcc);
	if (!r)
		r = qcow2_write_rt(s);
	if (!r)
		r = blk_flush(s->file);
	if (!r) {
		uint8_t h[12];
		be64_put(h, s->rt_offset);
		be32_put(h + 8, s->rt_clusters);
		r = blk_pwrite(s->file, 48, h, 12, 0);
		if (!r)
			r = blk_flush(s->file);
	}
	if (r) {
		/* The header still names the old table: go back to it (the new clusters leak). */
		free(nrt);
		s->rt = ort;
		s->rt_offset = oofs;
		s->rt_size = osize;
		s->rt_clusters = oclusters;
		return r;
	}
	free(ort);
	return qcow2_free_now(s, oofs, (uint64_t)oclusters * cs);
}

/* Create the refcount block for table index i. It goes into the range it describes
 * when possible, so that it counts itself. */
static int alloc_rb(struct qcow2 *s, uint64_t i, struct avoid *av)
{
	uint64_t cs = s->cluster_size;
	if (i >= s->rt_size) {
		int r = grow_rt(s, i, av);
		if (r)
			return r;
		if (rb_offset(s, i) > 0)
			return 0; /* growing created it */
	}
	uint64_t rs = i << s->rb_bits, re = (i + 1) << s->rb_bits;
	uint64_t b = rs;
	while (b < re && (b == 0 || avoided(av, b) || qcow2_overlaps_metadata(s, b * cs, cs)))
		b++;
	bool self = b < re;
	if (!self) {
		/* Every cluster of the range is taken: place it elsewhere (rare). */
		int64_t fc = file_clusters(s);
		if (fc < 0)
			return (int)fc;
		b = (uint64_t)fc > re ? (uint64_t)fc : re;
		for (;;) {
			uint64_t rc;
			int r = qcow2_get_refcount(s, b, &rc);
			if (r)
				return r;
			if (!rc && !avoided(av, b))
				break;
			b++;
		}
	}
	if ((b + 1) * cs > QCOW2_MAX_HOST_OFFSET)
		return -EFBIG;
	int idx = qcow2_cache_get(s, &s->rcc, b * cs, true);
	if (idx < 0)
		return idx;
	if (self)
		qcow2_rb_set(s, s->rcc.e[idx].data, b - rs, 1);
	int r = blk_pwrite(s->file, (int64_t)(b * cs), s->rcc.e[idx].data, cs, 0);
	qcow2_cache_put(&s->rcc, idx);
	if (r)
		return r;
	if (!self) {
		struct avoid a2 = av ? *av : (struct avoid){ 0 };
		if (a2.n < MAX_AVOID) {
			a2.s[a2.n] = b;
			a2.e[a2.n] = b + 1;
			a2.n++;
		}
		r = update_refcount(s, b, 1, &a2);
		if (r)
			return r;
		r = qcow2_cache_write_all(s, &s->rcc);
		if (r)
			return r;
	}
	/* The block is on disk before the table points to it. */
	r = blk_flush(s->file);
	if (r)
		return r;
	s->rt[i] = b * cs;
	return write_rt_entry(s, i);
}

static int update_refcount(struct qcow2 *s, uint64_t cluster, int64_t addend, struct avoid *av)
{
	uint64_t i = cluster >> s->rb_bits;
	int64_t o = rb_offset(s, i);
	if (o < 0)
		return (int)o;
	if (o == 0) {
		if (addend < 0) {
			qcow2_signal_corruption(s, "Freeing cluster %#" PRIx64 " without a refcount block", cluster);
			return -EIO;
		}
		struct avoid a2 = av ? *av : (struct avoid){ 0 };
		if (a2.n < MAX_AVOID) {
			a2.s[a2.n] = cluster;
			a2.e[a2.n] = cluster + 1;
			a2.n++;
		}
		int r = alloc_rb(s, i, &a2);
		if (r)
			return r;
		o = rb_offset(s, i);
		if (o <= 0)
			return o < 0 ? (int)o : -EIO;
	}
	int idx = qcow2_cache_get(s, &s->rcc, (uint64_t)o, false);
	if (idx < 0)
		return idx;
	uint8_t *blk = s->rcc.e[idx].data;
	uint64_t j = cluster & ((1ull << s->rb_bits) - 1);
	uint64_t v = qcow2_rb_get(s, blk, j);
	int r = 0;
	if (addend < 0 && v < (uint64_t)-addend) {
		qcow2_signal_corruption(s, "Refcount of cluster %#" PRIx64 " would drop below zero", cluster);
		r = -EIO;
	} else if (addend > 0 && s->refcount_max - v < (uint64_t)addend) {
		r = -ERANGE;
	} else {
		v = (uint64_t)((int64_t)v + addend);
		qcow2_rb_set(s, blk, j, v);
		qcow2_cache_mark_dirty(&s->rcc, idx);
		if (v == 0) {
			qcow2_cache_drop(&s->l2c, cluster << s->cluster_bits);
			if (cluster < s->free_cluster_index)
				s->free_cluster_index = cluster;
		}
	}
	qcow2_cache_put(&s->rcc, idx);
	return r;
}

int qcow2_update_refcount(struct qcow2 *s, uint64_t cluster, int64_t addend)
{
	struct avoid av = { .check_ref = s->check_ref, .check_nb = s->check_nb };
	return update_refcount(s, cluster, addend, &av);
}

int64_t qcow2_alloc_clusters(struct qcow2 *s, uint64_t n)
{
	uint64_t cs = s->cluster_size;
	uint64_t c = s->free_cluster_index;
	if (c == 0)
		c = 1;
	uint64_t k = 0;
	while (k < n) {
		uint64_t rc;
		if ((c + k + 1) * cs > QCOW2_MAX_HOST_OFFSET)
			return -EFBIG;
		/* Skip a whole range without a refcount block fast: it is all free. */
		int r = qcow2_get_refcount(s, c + k, &rc);
		if (r)
			return r;
		if (!rc && s->check_ref && c + k < s->check_nb && s->check_ref[c + k])
			rc = 1;
		if (rc) {
			if (k == 0 && c == s->free_cluster_index)
				s->free_cluster_index = c + 1;
			c += k + 1;
			k = 0;
		} else {
			k++;
		}
	}
	if (qcow2_overlaps_metadata(s, c * cs, n * cs)) {
		qcow2_signal_corruption(s, "Preventing invalid allocation of clusters %#" PRIx64 "+%" PRIu64
				       " (overlaps metadata with refcount 0)", c * cs, n);
		return -EIO;
	}
	struct avoid av = { .n = 1, .s = { c }, .e = { c + n }, .check_ref = s->check_ref,
			    .check_nb = s->check_nb };
	for (uint64_t i = 0; i < n; i++) {
		int r = update_refcount(s, c + i, 1, &av);
		if (r) {
			/* Undo what was counted (still only in the cache or leaked). */
			for (uint64_t j = 0; j < i; j++)
				update_refcount(s, c + j, -1, &av);
			return r;
		}
	}
	if (s->free_cluster_index == c || s->free_cluster_index > c)
		s->free_cluster_index = c + n;
	return (int64_t)(c * cs);
}

int qcow2_free_later(struct qcow2 *s, uint64_t offset, uint64_t bytes)
{
	if (!bytes)
		return 0;
	if (s->nb_frees) {
		struct qcow2_free *l = &s->frees[s->nb_frees - 1];
		if (l->offset + l->bytes == offset && !(offset % s->cluster_size) &&
		    !(l->bytes % s->cluster_size)) {
			l->bytes += bytes;
			return 0;
		}
	}
	if (s->nb_frees == s->cap_frees) {
		int cap = s->cap_frees ? s->cap_frees * 2 : 64;
		struct qcow2_free *f = realloc(s->frees, (size_t)cap * sizeof(*f));
		if (!f)
			return -ENOMEM;
		s->frees = f;
		s->cap_frees = cap;
	}
	s->frees[s->nb_frees++] = (struct qcow2_free){ offset, bytes };
	return 0;
}

int qcow2_free_now(struct qcow2 *s, uint64_t offset, uint64_t bytes)
{
	if (!bytes)
		return 0;
	uint64_t c0 = offset >> s->cluster_bits;
	uint64_t c1 = (offset + bytes - 1) >> s->cluster_bits;
	for (uint64_t c = c0; c <= c1; c++) {
		int r = update_refcount(s, c, -1, NULL);
		if (r)
			return r;
	}
	return 0;
}

int qcow2_apply_frees(struct qcow2 *s)
{
	int ret = 0;
	for (int i = 0; i < s->nb_frees; i++) {
		int r = qcow2_free_now(s, s->frees[i].offset, s->frees[i].bytes);
		if (r && !ret)
			ret = r;
	}
	s->nb_frees = 0;
	/* Compressed-data packing must not continue into a cluster that may now be free. */
	s->free_byte_offset = 0;
	return ret;
}
