/*
 * qcow2 cluster mapping (spec "Cluster mapping"): L1/L2 lookup through the L2 cache,
 * reads, allocating writes with copy-on-write, zero clusters, discard, block status.
 */
#include "block/qcow2/qcow2.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum qcow2_ctype qcow2_entry_type(const struct qcow2 *s, uint64_t l2e)
{
	if (l2e & QCOW2_OFLAG_COMPRESSED)
		return QC_COMPRESSED;
	uint64_t off = l2e & QCOW2_L2E_OFFSET_MASK;
	/* Spec: bit 0 "reads as zeroes" exists since version 3 only. */
	if ((l2e & QCOW2_OFLAG_ZERO) && s->version >= 3)
		return off ? QC_ZERO_ALLOC : QC_ZERO_PLAIN;
	return off ? QC_NORMAL : QC_UNALLOC;
}

void qcow2_compressed_range(const struct qcow2 *s, uint64_t l2e, uint64_t *off, uint64_t *len)
{
	/* Spec "Compressed Clusters Descriptor": x = 62 - (cluster_bits - 8). */
	uint32_t x = 62 - (s->cluster_bits - 8);
	*off = l2e & ((1ull << x) - 1);
	uint64_t nb = ((l2e >> x) & ((1ull << (s->cluster_bits - 8)) - 1)) + 1;
	*len = nb * 512 - (*off & 511);
}

static int l1_index_check(struct qcow2 *s, uint64_t guest_off, uint64_t *l1i)
{
	*l1i = guest_off >> (s->cluster_bits + s->l2_bits);
	if (*l1i >= s->l1_size)
		return -EIO;
	return 0;
}

static int64_t l2_table_offset(struct qcow2 *s, uint64_t l1i)
{
	uint64_t o = s->l1[l1i] & QCOW2_L1E_OFFSET_MASK;
	if (!o)
		return 0;
	if (o % s->cluster_size || o < s->cluster_size) {
		qcow2_signal_corruption(s, "L2 table offset %#" PRIx64 " unaligned or in the header (L1 index: %#" PRIx64 ")",
				       o, l1i);
		return -EIO;
	}
	return (int64_t)o;
}

int qcow2_get_l2_entry(struct qcow2 *s, uint64_t guest_off, uint64_t *l2e)
{
	uint64_t l1i;
	*l2e = 0;
	if (l1_index_check(s, guest_off, &l1i))
		return 0; /* past the L1 table (shrunk image): unallocated */
	int64_t o = l2_table_offset(s, l1i);
	if (o <= 0)
		return (int)o;
	int idx = qcow2_cache_get(s, &s->l2c, (uint64_t)o, false);
	if (idx < 0)
		return idx;
	uint64_t i = (guest_off >> s->cluster_bits) & ((1ull << s->l2_bits) - 1);
	*l2e = be64_get(s->l2c.e[idx].data + i * 8);
	qcow2_cache_put(&s->l2c, idx);
	return 0;
}

/* Pinned cache index of the L2 table for guest_off, allocated or copied (if shared
 * with a snapshot) so that it can be modified. */
static int l2_writable(struct qcow2 *s, uint64_t guest_off)
{
	uint64_t l1i;
	if (l1_index_check(s, guest_off, &l1i))
		return -EIO;
	int64_t o = l2_table_offset(s, l1i);
	if (o < 0)
		return (int)o;
	if (o && (s->l1[l1i] & QCOW2_OFLAG_COPIED))
		return qcow2_cache_get(s, &s->l2c, (uint64_t)o, false);
	int64_t n = qcow2_alloc_clusters(s, 1);
	if (n < 0)
		return (int)n;
	int idx = qcow2_cache_get(s, &s->l2c, (uint64_t)n, true);
	if (idx < 0)
		return idx;
	if (o) {
		/* Copy-on-write of an L2 table shared with a snapshot. */
		int old = qcow2_cache_get(s, &s->l2c, (uint64_t)o, false);
		if (old < 0) {
			qcow2_cache_put(&s->l2c, idx);
			return old;
		}
		memcpy(s->l2c.e[idx].data, s->l2c.e[old].data, s->cluster_size);
		qcow2_cache_put(&s->l2c, old);
		qcow2_free_later(s, (uint64_t)o, s->cluster_size);
	}
	qcow2_cache_mark_dirty(&s->l2c, idx);
	s->l1[l1i] = (uint64_t)n | QCOW2_OFLAG_COPIED;
	s->l1_dirty = true;
	return idx;
}

int qcow2_set_l2_entry(struct qcow2 *s, uint64_t guest_off, uint64_t l2e, uint64_t *old)
{
	int idx = l2_writable(s, guest_off);
	if (idx < 0)
		return idx;
	uint64_t i = (guest_off >> s->cluster_bits) & ((1ull << s->l2_bits) - 1);
	uint8_t *p = s->l2c.e[idx].data + i * 8;
	if (old)
		*old = be64_get(p);
	be64_put(p, l2e);
	qcow2_cache_mark_dirty(&s->l2c, idx);
	qcow2_cache_put(&s->l2c, idx);
	return 0;
}

/* Queue the release of whatever host space an L2 entry held. */
static int release_entry(struct qcow2 *s, uint64_t l2e)
{
	switch (qcow2_entry_type(s, l2e)) {
	case QC_NORMAL:
	case QC_ZERO_ALLOC:
		return qcow2_free_later(s, l2e & QCOW2_L2E_OFFSET_MASK, s->cluster_size);
	case QC_COMPRESSED: {
		uint64_t off, len;
		qcow2_compressed_range(s, l2e, &off, &len);
		return qcow2_free_later(s, off, len);
	}
	default:
		return 0;
	}
}

static int check_data_offset(struct qcow2 *s, uint64_t l2e, uint64_t guest_off)
{
	uint64_t h = l2e & QCOW2_L2E_OFFSET_MASK;
	if (h % s->cluster_size || h < s->cluster_size) {
		qcow2_signal_corruption(s, "Cluster allocation offset %#" PRIx64 " unaligned or in the header (guest offset: %#" PRIx64 ")",
				       h, guest_off);
		return -EIO;
	}
	return 0;
}

/* Read from the backing file, zeroes past its end (spec: a shorter backing file
 * reads as zeroes beyond its size). */
static int read_backing(struct qcow2 *s, uint64_t off, uint8_t *buf, uint64_t len)
{
	struct blk_node *b = s->node->backing;
	if (!b) {
		memset(buf, 0, len);
		return 0;
	}
	int64_t bl = blk_getlength(b);
	if (bl < 0)
		return (int)bl;
	uint64_t n = 0;
	if (off < (uint64_t)bl)
		n = (uint64_t)bl - off < len ? (uint64_t)bl - off : len;
	if (n) {
		int r = blk_pread(b, (int64_t)off, buf, n, 0);
		if (r)
			return r;
	}
	memset(buf + n, 0, len - n);
	return 0;
}

/* The current content of one guest cluster (for copy-on-write). Lock held. */
static int read_cluster_locked(struct qcow2 *s, uint64_t c_off, uint64_t l2e, uint8_t *buf)
{
	switch (qcow2_entry_type(s, l2e)) {
	case QC_NORMAL:
		if (check_data_offset(s, l2e, c_off))
			return -EIO;
		return blk_pread(s->file, (int64_t)(l2e & QCOW2_L2E_OFFSET_MASK), buf, s->cluster_size, 0);
	case QC_COMPRESSED:
		return qcow2_read_compressed(s, l2e, buf);
	case QC_UNALLOC:
		return read_backing(s, c_off, buf, s->cluster_size);
	default:
		memset(buf, 0, s->cluster_size);
		return 0;
	}
}

struct extent {
	enum qcow2_ctype type;
	uint64_t guest, len, host, l2e;
};

#define MAX_EXT 64

int qcow2_pread(struct blk_node *n, int64_t off, void *vbuf, size_t bytes)
{
	struct qcow2 *s = n->opaque;
	uint8_t *buf = vbuf;
	uint64_t pos = (uint64_t)off, end = (uint64_t)off + bytes;
	struct extent ex[MAX_EXT];
	uint8_t *cbuf = NULL;
	int r = 0;
	while (pos < end && !r) {
		int ne = 0;
		pthread_mutex_lock(&s->lock);
		while (pos < end && ne < MAX_EXT) {
			uint64_t l2e;
			r = qcow2_get_l2_entry(s, pos, &l2e);
			if (r)
				break;
			uint64_t co = pos & (s->cluster_size - 1);
			uint64_t len = s->cluster_size - co < end - pos ? s->cluster_size - co : end - pos;
			enum qcow2_ctype t = qcow2_entry_type(s, l2e);
			uint64_t host = 0;
			if (t == QC_NORMAL) {
				if ((r = check_data_offset(s, l2e, pos)))
					break;
				host = (l2e & QCOW2_L2E_OFFSET_MASK) + co;
			}
			struct extent *p = ne ? &ex[ne - 1] : NULL;
			if (p && p->type == t && t != QC_COMPRESSED &&
			    (t != QC_NORMAL || p->host + p->len == host)) {
				p->len += len;
			} else {
				ex[ne++] = (struct extent){ t, pos, len, host, l2e };
			}
			pos += len;
		}
		s->inflight++;
		pthread_mutex_unlock(&s->lock);
		for (int i = 0; i < ne && !r; i++) {
			uint8_t *d = buf + (ex[i].guest - (uint64_t)off);
			switch (ex[i].type) {
			case QC_NORMAL:
				r = blk_pread(s->file, (int64_t)ex[i].host, d, ex[i].len, 0);
				break;
			case QC_UNALLOC:
				r = read_backing(s, ex[i].guest, d, ex[i].len);
				break;
			case QC_COMPRESSED:
				if (!cbuf && !(cbuf = malloc(s->cluster_size))) {
					r = -ENOMEM;
					break;
				}
				pthread_mutex_lock(&s->lock);
				r = qcow2_read_compressed(s, ex[i].l2e, cbuf);
				pthread_mutex_unlock(&s->lock);
				if (!r)
					memcpy(d, cbuf + (ex[i].guest & (s->cluster_size - 1)), ex[i].len);
				break;
			default:
				memset(d, 0, ex[i].len);
			}
		}
		pthread_mutex_lock(&s->lock);
		if (--s->inflight == 0)
			pthread_cond_broadcast(&s->io_done);
		pthread_mutex_unlock(&s->lock);
	}
	free(cbuf);
	return r;
}

static bool in_place(const struct qcow2 *s, uint64_t l2e)
{
	return qcow2_entry_type(s, l2e) == QC_NORMAL && (l2e & QCOW2_OFLAG_COPIED);
}

/* Allocating write of guest clusters [c0, c0+k) with the request bytes
 * [pos, pos+len) inside them; head and tail are copied from the old contents. */
/* First cluster index of [c0, c1) that an in-flight allocating write covers, or
 * UINT64_MAX. */
static uint64_t alloc_conflict(const struct qcow2 *s, uint64_t c0, uint64_t c1)
{
	uint64_t first = UINT64_MAX;
	for (const struct qcow2_alloc_range *a = s->allocs; a; a = a->next)
		if (a->start < c1 && c0 < a->end) {
			uint64_t f = a->start > c0 ? a->start : c0;
			if (f < first)
				first = f;
		}
	return first;
}

/* Wait (lock held) until no in-flight allocating write covers [c0, c1). */
static void alloc_wait(struct qcow2 *s, uint64_t c0, uint64_t c1)
{
	while (alloc_conflict(s, c0, c1) != UINT64_MAX)
		pthread_cond_wait(&s->io_done, &s->lock);
}

/* Content of a guest cluster for copy-on-write, without the lock (the entry was
 * validated under it; compressed clusters take the lock for the decompression). */
static int read_cluster_unlocked(struct qcow2 *s, uint64_t c_off, uint64_t l2e, uint8_t *buf)
{
	if (qcow2_entry_type(s, l2e) == QC_COMPRESSED) {
		pthread_mutex_lock(&s->lock);
		int r = qcow2_read_compressed(s, l2e, buf);
		pthread_mutex_unlock(&s->lock);
		return r;
	}
	return read_cluster_locked(s, c_off, l2e, buf);
}

/*
 * Allocating write of guest clusters [c0, c0+k) with the request bytes
 * [pos, pos+len) inside them; head and tail are copied from the old contents.
 * Called with the lock held; the lock is dropped for the data I/O while the range is
 * registered as in flight, so that other requests proceed (those touching the same
 * clusters wait for it in alloc_wait).
 */
static int write_alloc(struct qcow2 *s, uint64_t c0, uint64_t k, uint64_t pos, const uint8_t *data,
		       uint64_t len)
{
	uint64_t cs = s->cluster_size;
	uint64_t base = c0 * cs;
	uint64_t first_l2e = 0, last_l2e = 0;
	int r = qcow2_get_l2_entry(s, base, &first_l2e);
	if (!r)
		r = qcow2_get_l2_entry(s, base + (k - 1) * cs, &last_l2e);
	if (r)
		return r;
	uint64_t head = pos - base, tail_end = pos + len - base;
	bool need_head = head != 0, need_tail = (tail_end % cs) && (!head || tail_end > cs);
	if ((need_head && qcow2_entry_type(s, first_l2e) == QC_NORMAL && (r = check_data_offset(s, first_l2e, base))) ||
	    (need_tail && qcow2_entry_type(s, last_l2e) == QC_NORMAL &&
	     (r = check_data_offset(s, last_l2e, base + (k - 1) * cs))))
		return r;
	/* A preallocated zero cluster that is ours alone is rewritten in place. */
	int64_t host;
	bool reuse = k == 1 && qcow2_entry_type(s, first_l2e) == QC_ZERO_ALLOC &&
		     (first_l2e & QCOW2_OFLAG_COPIED);
	if (reuse) {
		if ((r = check_data_offset(s, first_l2e, base)))
			return r;
		host = (int64_t)(first_l2e & QCOW2_L2E_OFFSET_MASK);
		if (qcow2_overlaps_metadata(s, (uint64_t)host, cs)) {
			qcow2_signal_corruption(s, "Preventing invalid write on metadata (guest offset %#" PRIx64 ")", base);
			return -EIO;
		}
	} else {
		host = qcow2_alloc_clusters(s, k);
		if (host < 0)
			return (int)host;
	}
	struct qcow2_alloc_range ar = { c0, c0 + k, s->allocs };
	s->allocs = &ar;
	s->inflight++;
	pthread_mutex_unlock(&s->lock);

	uint8_t *b = NULL;
	if (!need_head && !need_tail && len == k * cs) {
		r = blk_pwrite(s->file, host, data, len, 0); /* whole clusters: no copy */
	} else if (!(b = blk_alloc_aligned(k * cs))) {
		r = -ENOMEM;
	} else {
		if (need_head)
			r = read_cluster_unlocked(s, base, first_l2e, b);
		if (!r && need_tail) {
			uint64_t lc = (tail_end / cs) * cs;
			r = read_cluster_unlocked(s, base + lc, last_l2e, b + lc);
		}
		if (!r) {
			/* Past the request inside whole clusters nothing needs copying. */
			memcpy(b + head, data, len);
			r = blk_pwrite(s->file, host, b, k * cs, 0);
		}
		free(b);
	}

	pthread_mutex_lock(&s->lock);
	struct qcow2_alloc_range **pp = &s->allocs;
	while (*pp != &ar)
		pp = &(*pp)->next;
	*pp = ar.next;
	s->inflight--;
	pthread_cond_broadcast(&s->io_done);
	for (uint64_t i = 0; !r && i < k; i++) {
		uint64_t old;
		r = qcow2_set_l2_entry(s, base + i * cs, ((uint64_t)host + i * cs) | QCOW2_OFLAG_COPIED, &old);
		if (!r && !reuse)
			r = release_entry(s, old);
	}
	return r;
}

int qcow2_pwrite(struct blk_node *n, int64_t off, const void *vbuf, size_t bytes, unsigned flags)
{
	struct qcow2 *s = n->opaque;
	const uint8_t *buf = vbuf;
	uint64_t cs = s->cluster_size;
	uint64_t pos = (uint64_t)off, end = (uint64_t)off + bytes;
	pthread_mutex_lock(&s->lock);
	int r = (s->incompat & QCOW2_INCOMPAT_CORRUPT) && s->corrupt_reported ? -EIO : qcow2_mark_dirty(s);
	while (pos < end && !r) {
		uint64_t l2e;
		if ((r = qcow2_get_l2_entry(s, pos, &l2e)))
			break;
		if (in_place(s, l2e)) {
			if ((r = check_data_offset(s, l2e, pos)))
				break;
			/* Run of clusters that are ours and contiguous on the host. */
			uint64_t host = (l2e & QCOW2_L2E_OFFSET_MASK) + (pos & (cs - 1));
			uint64_t len = cs - (pos & (cs - 1));
			while (pos + len < end) {
				uint64_t e2;
				if ((r = qcow2_get_l2_entry(s, pos + len, &e2)))
					break;
				if (!in_place(s, e2) || (e2 & QCOW2_L2E_OFFSET_MASK) != host + len)
					break;
				len += cs;
			}
			if (r)
				break;
			if (len > end - pos)
				len = end - pos;
			/* QEMU's overlap check: an L2 entry must never direct guest data onto
			 * metadata (a hostile or damaged image). */
			if (qcow2_overlaps_metadata(s, host & ~(cs - 1), qcow2_align_up((host & (cs - 1)) + len, cs))) {
				qcow2_signal_corruption(s, "Preventing invalid write on metadata (guest offset %#" PRIx64 ", host offset %#" PRIx64 ")",
						       pos, host);
				r = -EIO;
				break;
			}
			s->inflight++;
			pthread_mutex_unlock(&s->lock);
			r = blk_pwrite(s->file, (int64_t)host, buf + (pos - (uint64_t)off), len, 0);
			pthread_mutex_lock(&s->lock);
			if (--s->inflight == 0)
				pthread_cond_broadcast(&s->io_done);
			pos += len;
			continue;
		}
		/* Clusters that need allocation, up to 8 MiB per step; one that another
		 * request is allocating right now is waited for, then looked at again. */
		uint64_t c0 = pos / cs, k = 1;
		if (alloc_conflict(s, c0, c0 + 1) != UINT64_MAX) {
			alloc_wait(s, c0, c0 + 1);
			continue;
		}
		bool zero_alloc = qcow2_entry_type(s, l2e) == QC_ZERO_ALLOC && (l2e & QCOW2_OFLAG_COPIED);
		while (!zero_alloc && (c0 + k) * cs < end && k * cs < (8u << 20)) {
			uint64_t e2;
			if ((r = qcow2_get_l2_entry(s, (c0 + k) * cs, &e2)))
				break;
			if (in_place(s, e2) || (qcow2_entry_type(s, e2) == QC_ZERO_ALLOC && (e2 & QCOW2_OFLAG_COPIED)) ||
			    alloc_conflict(s, c0 + k, c0 + k + 1) != UINT64_MAX)
				break;
			k++;
		}
		if (r)
			break;
		uint64_t len = (c0 + k) * cs - pos;
		if (len > end - pos)
			len = end - pos;
		r = write_alloc(s, c0, k, pos, buf + (pos - (uint64_t)off), len);
		pos += len;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* Make whole clusters [off, off+bytes) read as zeroes (v3: zero flag; v2 without a
 * backing file: unallocated). discard=true leaves v2/backing images alone and
 * unallocates where nothing shows through. Lock held. */
int qcow2_zero_range_locked(struct qcow2 *s, uint64_t off, uint64_t bytes, bool unmap, bool discard)
{
	uint64_t cs = s->cluster_size;
	bool backing = s->node->backing != NULL || s->backing_file != NULL;
	alloc_wait(s, off / cs, (off + bytes + cs - 1) / cs);
	for (uint64_t p = off; p < off + bytes; p += cs) {
		uint64_t l2e, old;
		int r = qcow2_get_l2_entry(s, p, &l2e);
		if (r)
			return r;
		enum qcow2_ctype t = qcow2_entry_type(s, l2e);
		uint64_t ne;
		if (discard) {
			if (t == QC_UNALLOC || t == QC_ZERO_PLAIN)
				continue;
			if (backing && s->version < 3)
				continue; /* cannot hide the backing file: discard is only a hint */
			ne = backing ? QCOW2_OFLAG_ZERO : 0;
		} else {
			if (t == QC_ZERO_PLAIN || (t == QC_UNALLOC && !backing))
				continue;
			if (s->version < 3) {
				if (backing)
					return -ENOTSUP;
				ne = 0;
			} else if (!unmap && (t == QC_ZERO_ALLOC || t == QC_NORMAL) && (l2e & QCOW2_OFLAG_COPIED)) {
				/* Keep the allocation (preallocated images stay so). */
				ne = (l2e & QCOW2_L2E_OFFSET_MASK) | QCOW2_OFLAG_COPIED | QCOW2_OFLAG_ZERO;
				if ((r = check_data_offset(s, l2e, p)))
					return r;
				if ((r = qcow2_set_l2_entry(s, p, ne, &old)))
					return r;
				continue;
			} else {
				ne = QCOW2_OFLAG_ZERO;
			}
		}
		if ((r = qcow2_set_l2_entry(s, p, ne, &old)))
			return r;
		if ((r = release_entry(s, old)))
			return r;
	}
	return 0;
}

static int write_zero_bytes(struct blk_node *n, uint64_t pos, uint64_t end)
{
	struct qcow2 *s = n->opaque;
	uint64_t cs = s->cluster_size;
	uint8_t *z = calloc(1, cs);
	int r = 0;
	if (!z)
		return -ENOMEM;
	while (pos < end && !r) {
		uint64_t c = end - pos < cs - (pos & (cs - 1)) ? end - pos : cs - (pos & (cs - 1));
		r = qcow2_pwrite(n, (int64_t)pos, z, c, 0);
		pos += c;
	}
	free(z);
	return r;
}

int qcow2_pwrite_zeroes(struct blk_node *n, int64_t off, int64_t bytes, unsigned flags)
{
	struct qcow2 *s = n->opaque;
	uint64_t cs = s->cluster_size;
	uint64_t pos = (uint64_t)off, end = (uint64_t)off + (uint64_t)bytes;
	/* Whole clusters become zero clusters; the last cluster of the image counts as
	 * whole when the request reaches the end of the image. */
	uint64_t a0 = qcow2_align_up(pos, cs);
	uint64_t a1 = end >= s->size ? qcow2_align_up(end, cs) : end & ~(cs - 1);
	if (a0 >= a1) {
		if (flags & BLK_REQ_NO_FALLBACK)
			return -ENOTSUP;
		return write_zero_bytes(n, pos, end);
	}
	if (flags & BLK_REQ_NO_FALLBACK && (a0 != pos || a1 < end))
		return -ENOTSUP;
	int r = write_zero_bytes(n, pos, a0);
	if (!r && a1 < end)
		r = write_zero_bytes(n, a1, end);
	if (r)
		return r;
	pthread_mutex_lock(&s->lock);
	r = qcow2_mark_dirty(s);
	if (!r)
		r = qcow2_zero_range_locked(s, a0, a1 - a0, flags & BLK_REQ_MAY_UNMAP, false);
	pthread_mutex_unlock(&s->lock);
	if (r == -ENOTSUP && !(flags & BLK_REQ_NO_FALLBACK))
		r = write_zero_bytes(n, a0, a1 < end ? a1 : end); /* v2 over a backing file */
	return r;
}

int qcow2_discard(struct blk_node *n, int64_t off, int64_t bytes)
{
	struct qcow2 *s = n->opaque;
	uint64_t cs = s->cluster_size;
	uint64_t a0 = qcow2_align_up((uint64_t)off, cs);
	uint64_t end = (uint64_t)off + (uint64_t)bytes;
	uint64_t a1 = end >= s->size ? qcow2_align_up(s->size, cs) : end & ~(cs - 1);
	if (a1 <= a0)
		return 0;
	pthread_mutex_lock(&s->lock);
	int r = qcow2_mark_dirty(s);
	if (!r)
		r = qcow2_zero_range_locked(s, a0, a1 - a0, true, true);
	pthread_mutex_unlock(&s->lock);
	return r;
}

/*
 * An image whose referenced clusters clearly outnumber the clusters the file really
 * allocates was preallocated with metadata only: its data clusters are (partly) holes of
 * the file.  The threshold is QEMU's: 10% more, and at least two more, referenced clusters
 * than allocated ones.
 */
bool qcow2_metadata_preallocated(struct qcow2 *s)
{
	if (s->meta_prealloc >= 0)
		return s->meta_prealloc;
	s->meta_prealloc = 0;
	int64_t flen = blk_getlength(s->file), alloc = blk_get_allocated_file_size(s->file);
	if (flen < 0 || alloc < 0)
		return false;
	int64_t real = alloc / (int64_t)s->cluster_size;
	int64_t threshold = real * 10 / 9 > real + 2 ? real * 10 / 9 : real + 2;
	int64_t end = (flen + (int64_t)s->cluster_size - 1) / (int64_t)s->cluster_size, count = 0;
	for (int64_t i = 0; i < end && count < threshold; i++) {
		uint64_t rc;
		if (qcow2_get_refcount(s, (uint64_t)i, &rc) < 0)
			return false;
		count += rc != 0;
	}
	s->meta_prealloc = count >= threshold;
	return s->meta_prealloc;
}

int qcow2_block_status(struct blk_node *n, int64_t off, int64_t bytes, struct blk_status *st)
{
	struct qcow2 *s = n->opaque;
	uint64_t cs = s->cluster_size;
	uint64_t pos = (uint64_t)off, end = (uint64_t)off + (uint64_t)bytes;
	pthread_mutex_lock(&s->lock);
	uint64_t l2e;
	int r = qcow2_get_l2_entry(s, pos, &l2e);
	if (r)
		goto out;
	enum qcow2_ctype t = qcow2_entry_type(s, l2e);
	uint64_t host = l2e & QCOW2_L2E_OFFSET_MASK;
	if ((t == QC_NORMAL || t == QC_ZERO_ALLOC) && (r = check_data_offset(s, l2e, pos)))
		goto out;
	uint64_t len = cs - (pos & (cs - 1));
	while (t != QC_COMPRESSED && pos + len < end) {
		uint64_t e2;
		if ((r = qcow2_get_l2_entry(s, pos + len, &e2)))
			goto out;
		if (qcow2_entry_type(s, e2) != t)
			break;
		if ((t == QC_NORMAL || t == QC_ZERO_ALLOC) &&
		    (e2 & QCOW2_L2E_OFFSET_MASK) != host + (pos & (cs - 1)) + len)
			break;
		len += cs;
	}
	st->bytes = (int64_t)(len < end - pos ? len : end - pos);
	switch (t) {
	case QC_NORMAL:
		st->flags = BLK_STATUS_ALLOCATED | BLK_STATUS_DATA | BLK_STATUS_OFFSET_VALID;
		if (qcow2_metadata_preallocated(s))
			st->flags |= BLK_STATUS_RECURSE;
		st->offset = (int64_t)(host + (pos & (cs - 1)));
		st->file = s->file;
		break;
	case QC_ZERO_ALLOC:
		st->flags = BLK_STATUS_ALLOCATED | BLK_STATUS_ZERO | BLK_STATUS_OFFSET_VALID;
		st->offset = (int64_t)(host + (pos & (cs - 1)));
		st->file = s->file;
		break;
	case QC_ZERO_PLAIN:
		st->flags = BLK_STATUS_ALLOCATED | BLK_STATUS_ZERO;
		break;
	case QC_COMPRESSED:
		st->flags = BLK_STATUS_ALLOCATED | BLK_STATUS_DATA | BLK_STATUS_COMPRESSED;
		break;
	default:
		st->flags = BLK_STATUS_ZERO;
		if (n->backing) {
			/* Unallocated: the backing file decides, except past its end, where
			 * the image reads as zeroes. */
			int64_t bl = blk_getlength(n->backing);
			if (bl < 0) {
				r = (int)bl;
			} else if ((uint64_t)bl > pos) {
				st->flags = 0;
				if ((uint64_t)st->bytes > (uint64_t)bl - pos)
					st->bytes = bl - (int64_t)pos;
			}
		}
	}
out:
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* Set every COPIED flag of the active L1 and its L2 tables from the refcounts
 * (spec: COPIED means refcount exactly 1). After snapshot changes. Lock held. */
int qcow2_update_copied_flags(struct qcow2 *s)
{
	for (uint32_t i = 0; i < s->l1_size; i++) {
		int64_t o = l2_table_offset(s, i);
		if (o < 0)
			return (int)o;
		if (!o)
			continue;
		uint64_t rc;
		int r = qcow2_get_refcount(s, (uint64_t)o >> s->cluster_bits, &rc);
		if (r)
			return r;
		uint64_t ne = (s->l1[i] & ~QCOW2_OFLAG_COPIED) | (rc == 1 ? QCOW2_OFLAG_COPIED : 0);
		if (ne != s->l1[i]) {
			s->l1[i] = ne;
			s->l1_dirty = true;
		}
		/* A table shared with a snapshot gets its COPIED bits updated in place too:
		 * they only mean something for the active L1 (as QEMU does). */
		int idx = qcow2_cache_get(s, &s->l2c, (uint64_t)o, false);
		if (idx < 0)
			return idx;
		uint8_t *t = s->l2c.e[idx].data;
		for (uint64_t j = 0; j < (1ull << s->l2_bits); j++) {
			uint64_t e = be64_get(t + j * 8);
			enum qcow2_ctype ty = qcow2_entry_type(s, e);
			if (ty != QC_NORMAL && ty != QC_ZERO_ALLOC)
				continue;
			r = qcow2_get_refcount(s, (e & QCOW2_L2E_OFFSET_MASK) >> s->cluster_bits, &rc);
			if (r) {
				qcow2_cache_put(&s->l2c, idx);
				return r;
			}
			uint64_t e2 = (e & ~QCOW2_OFLAG_COPIED) | (rc == 1 ? QCOW2_OFLAG_COPIED : 0);
			if (e2 != e) {
				be64_put(t + j * 8, e2);
				qcow2_cache_mark_dirty(&s->l2c, idx);
			}
		}
		qcow2_cache_put(&s->l2c, idx);
	}
	return 0;
}
