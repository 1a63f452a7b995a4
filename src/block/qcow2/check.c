/*
 * qcow2 consistency check and repair (qemu-img check semantics): recompute every
 * cluster's reference count from the metadata (header, L1/L2 tables of the active
 * state and of each snapshot, refcount table and blocks, snapshot table), compare
 * with the stored refcounts, check the COPIED flags, and fix leaks/errors on request.
 */
#include "block/qcow2/qcow2.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct chk {
	struct qcow2 *s;
	uint32_t *ref;
	uint64_t nb;
	struct blk_check_result *res;
	blk_report_fn *report;
	void *opaque;
	unsigned fix;
	int64_t flen;
	uint64_t next_contig;
};

static void say(struct chk *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct chk *c, const char *fmt, ...)
{
	if (!c->report)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->report(c->opaque, line);
}

static int inc_refs(struct chk *c, uint64_t off, uint64_t len)
{
	struct qcow2 *s = c->s;
	if (!len)
		return 0;
	if (off >= QCOW2_MAX_HOST_OFFSET || off + len > QCOW2_MAX_HOST_OFFSET ||
	    (off + len > (uint64_t)c->flen && off + len - (uint64_t)c->flen > s->cluster_size)) {
		say(c, "ERROR: counting reference for region exceeding the end of the file by one cluster or more: offset 0x%" PRIx64 " size 0x%" PRIx64,
		    off, len);
		c->res->corruptions++;
		return 0;
	}
	uint64_t c0 = off >> s->cluster_bits, c1 = (off + len - 1) >> s->cluster_bits;
	if (c1 >= c->nb) {
		uint64_t nn = c1 + 1 > c->nb * 2 ? c1 + 1 : c->nb * 2;
		uint32_t *r = realloc(c->ref, nn * sizeof(uint32_t));
		if (!r)
			return -ENOMEM;
		memset(r + c->nb, 0, (nn - c->nb) * sizeof(uint32_t));
		c->ref = r;
		c->nb = nn;
	}
	for (uint64_t i = c0; i <= c1; i++)
		if (c->ref[i] < UINT32_MAX)
			c->ref[i]++;
	return 0;
}

static int check_l2(struct chk *c, uint64_t l2o, bool active)
{
	struct qcow2 *s = c->s;
	int idx = qcow2_cache_get(s, &s->l2c, l2o, false);
	if (idx < 0) {
		c->res->check_errors++;
		return 0;
	}
	uint8_t *t = s->l2c.e[idx].data;
	int r = 0;
	for (uint64_t j = 0; j < (1ull << s->l2_bits) && !r; j++) {
		uint64_t e = be64_get(t + j * 8);
		switch (qcow2_entry_type(s, e)) {
		case QC_COMPRESSED: {
			uint64_t co, cl;
			qcow2_compressed_range(s, e, &co, &cl);
			if (e & QCOW2_OFLAG_COPIED) {
				say(c, "ERROR: coffset=0x%" PRIx64 ": copied flag must never be set for compressed clusters", co);
				c->res->corruptions++;
			}
			if (active) {
				c->res->allocated_clusters++;
				c->res->compressed_clusters++;
				c->res->fragmented_clusters++;
			}
			r = inc_refs(c, co, cl);
			break;
		}
		case QC_NORMAL:
		case QC_ZERO_ALLOC: {
			uint64_t o = e & QCOW2_L2E_OFFSET_MASK;
			if (active) {
				c->res->allocated_clusters++;
				if (c->next_contig && o != c->next_contig)
					c->res->fragmented_clusters++;
				c->next_contig = o + s->cluster_size;
			}
			if (o % s->cluster_size) {
				say(c, "ERROR offset=%" PRIx64 ": %s cluster is not properly aligned; L2 entry corrupted.",
				    o, qcow2_entry_type(s, e) == QC_ZERO_ALLOC ? "Preallocated" : "Data");
				c->res->corruptions++;
			}
			/* Counted like QEMU does, at the offset as it is. */
			r = inc_refs(c, o, s->cluster_size);
			break;
		}
		default:
			break;
		}
	}
	qcow2_cache_put(&s->l2c, idx);
	return r;
}

static int check_l1(struct chk *c, const uint64_t *l1, uint32_t size, uint64_t l1_off, bool active)
{
	struct qcow2 *s = c->s;
	int r = inc_refs(c, l1_off, (uint64_t)size * 8);
	for (uint32_t i = 0; i < size && !r; i++) {
		uint64_t o = l1[i] & QCOW2_L1E_OFFSET_MASK;
		if (!o)
			continue;
		r = inc_refs(c, o, s->cluster_size);
		if (r)
			break;
		if (o % s->cluster_size) {
			say(c, "ERROR l2_offset=%" PRIx64 ": Table is not cluster aligned; L1 entry corrupted", o);
			c->res->corruptions++;
			continue;
		}
		if (o + s->cluster_size > (uint64_t)c->flen) {
			c->res->check_errors++;
			continue;
		}
		r = check_l2(c, o, active);
	}
	return r;
}

/* COPIED must be set exactly when the refcount is 1 (active state only). */
static int check_copied(struct chk *c)
{
	struct qcow2 *s = c->s;
	bool fix = c->fix & BLK_CHECK_FIX_ERRORS;
	for (uint32_t i = 0; i < s->l1_size; i++) {
		uint64_t o = s->l1[i] & QCOW2_L1E_OFFSET_MASK;
		if (!o)
			continue;
		uint64_t rc;
		if (qcow2_get_refcount(s, o >> s->cluster_bits, &rc)) {
			c->res->check_errors++;
			continue;
		}
		if ((rc == 1) != !!(s->l1[i] & QCOW2_OFLAG_COPIED)) {
			say(c, "%s OFLAG_COPIED L2 cluster: l1_index=%u l1_entry=%" PRIx64 " refcount=%" PRIu64,
			    fix ? "Repairing" : "ERROR", i, s->l1[i], rc);
			if (fix) {
				s->l1[i] = (s->l1[i] & ~QCOW2_OFLAG_COPIED) | (rc == 1 ? QCOW2_OFLAG_COPIED : 0);
				s->l1_dirty = true;
				c->res->corruptions_fixed++;
			} else {
				c->res->corruptions++;
			}
		}
		if (o % s->cluster_size || o + s->cluster_size > (uint64_t)c->flen)
			continue; /* reported by the reference walk */
		int idx = qcow2_cache_get(s, &s->l2c, o, false);
		if (idx < 0) {
			c->res->check_errors++;
			continue;
		}
		uint8_t *t = s->l2c.e[idx].data;
		for (uint64_t j = 0; j < (1ull << s->l2_bits); j++) {
			uint64_t e = be64_get(t + j * 8);
			enum qcow2_ctype ty = qcow2_entry_type(s, e);
			if (ty != QC_NORMAL && ty != QC_ZERO_ALLOC)
				continue;
			uint64_t d = e & QCOW2_L2E_OFFSET_MASK;
			if (d % s->cluster_size)
				continue;
			if (qcow2_get_refcount(s, d >> s->cluster_bits, &rc)) {
				c->res->check_errors++;
				continue;
			}
			if ((rc == 1) != !!(e & QCOW2_OFLAG_COPIED)) {
				say(c, "%s OFLAG_COPIED data cluster: l2_entry=%" PRIx64 " refcount=%" PRIu64,
				    fix ? "Repairing" : "ERROR", e, rc);
				if (fix) {
					be64_put(t + j * 8, (e & ~QCOW2_OFLAG_COPIED) | (rc == 1 ? QCOW2_OFLAG_COPIED : 0));
					qcow2_cache_mark_dirty(&s->l2c, idx);
					c->res->corruptions_fixed++;
				} else {
					c->res->corruptions++;
				}
			}
		}
		qcow2_cache_put(&s->l2c, idx);
	}
	return 0;
}

static void compare_refcounts(struct chk *c, unsigned fix, bool *rebuild, int64_t *highest)
{
	struct qcow2 *s = c->s;
	struct blk_check_result *res = c->res;
	uint64_t fc = qcow2_align_up((uint64_t)c->flen, s->cluster_size) >> s->cluster_bits;
	uint64_t n = c->nb > fc ? c->nb : fc;
	*highest = -1;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t stored, want = i < c->nb ? c->ref[i] : 0;
		if (qcow2_get_refcount(s, i, &stored)) {
			res->check_errors++;
			continue;
		}
		if (stored || want)
			*highest = (int64_t)i;
		if (stored == want)
			continue;
		bool leak = stored > want;
		if (!stored)
			*rebuild = true;
		bool can = leak ? (fix & BLK_CHECK_FIX_LEAKS) : (fix & BLK_CHECK_FIX_ERRORS);
		if (!leak && want > s->refcount_max)
			can = false;
		say(c, "%s cluster %" PRIu64 " refcount=%" PRIu64 " reference=%" PRIu64,
		    can ? "Repairing" : leak ? "Leaked" : "ERROR", i, stored, want);
		if (can) {
			/* New refcount blocks must not land on clusters that are in use but
			 * not yet counted: those have a computed reference (check_ref). */
			s->free_cluster_index = n;
			if (!qcow2_update_refcount(s, i, (int64_t)want - (int64_t)stored)) {
				if (leak)
					res->leaks_fixed++;
				else
					res->corruptions_fixed++;
				continue;
			}
		}
		if (leak)
			res->leaks++;
		else
			res->corruptions++;
	}
}

int qcow2_check_locked(struct qcow2 *s, unsigned fix, struct blk_check_result *res,
		       blk_report_fn *report, void *opaque)
{
	memset(res, 0, sizeof(*res));
	struct chk c = { .s = s, .res = res, .report = report, .opaque = opaque, .fix = fix };
	c.flen = blk_getlength(s->file);
	if (c.flen < 0)
		return (int)c.flen;
	if (s->read_only)
		c.fix = fix = 0;
	c.nb = (qcow2_align_up((uint64_t)c.flen, s->cluster_size) >> s->cluster_bits) + 1;
	/* One counter per host cluster: refuse absurd (sparse, hostile) file sizes
	 * rather than trying to allocate terabytes. */
	if (c.nb > (1ull << 28))
		return -EFBIG;
	c.ref = calloc(c.nb, sizeof(uint32_t));
	if (!c.ref)
		return -ENOMEM;
	int r = qcow2_flush_locked(s);
	if (r)
		res->check_errors++;
	r = inc_refs(&c, 0, s->cluster_size);
	if (!r)
		r = check_l1(&c, s->l1, s->l1_size, s->l1_offset, true);
	for (uint32_t i = 0; !r && i < s->nb_snapshots; i++) {
		uint64_t *l1 = calloc(s->snaps[i].l1_size ? s->snaps[i].l1_size : 1, 8);
		uint8_t *b = malloc(s->snaps[i].l1_size ? (size_t)s->snaps[i].l1_size * 8 : 1);
		if (!l1 || !b) {
			free(l1);
			free(b);
			r = -ENOMEM;
			break;
		}
		if (s->snaps[i].l1_size &&
		    blk_pread(s->file, (int64_t)s->snaps[i].l1_offset, b, (size_t)s->snaps[i].l1_size * 8, 0)) {
			res->check_errors++;
		} else {
			for (uint32_t k = 0; k < s->snaps[i].l1_size; k++)
				l1[k] = be64_get(b + k * 8);
			r = check_l1(&c, l1, s->snaps[i].l1_size, s->snaps[i].l1_offset, false);
		}
		free(l1);
		free(b);
	}
	if (!r && s->nb_snapshots)
		r = inc_refs(&c, s->snapshots_offset, s->snapshots_size);
	if (!r)
		r = inc_refs(&c, s->rt_offset, (uint64_t)s->rt_clusters * s->cluster_size);
	for (uint32_t i = 0; !r && i < s->rt_size; i++) {
		uint64_t o = s->rt[i] & ~511ull;
		if (!o)
			continue;
		if (o % s->cluster_size) {
			say(&c, "ERROR refcount block %u is not cluster aligned; refcount table entry corrupted", i);
			res->corruptions++;
			continue;
		}
		if (o + s->cluster_size > (uint64_t)c.flen) {
			say(&c, "ERROR refcount block %u is outside image", i);
			res->corruptions++;
			continue;
		}
		r = inc_refs(&c, o, s->cluster_size);
	}
	if (r) {
		free(c.ref);
		return r;
	}
	/* Compare with the stored refcounts: first only reporting (as qemu-img, which
	 * prints "Leaked"/"ERROR" lines, then "Repairing" ones on a second pass). A
	 * referenced cluster with refcount 0 needs the refcount structures rebuilt: with
	 * -r all its refcount is set like any other; with -r leaks the check fails. */
	s->check_ref = c.ref;
	s->check_nb = c.nb;
	struct blk_check_result pre = *res;
	bool rebuild = false;
	int64_t highest = -1;
	compare_refcounts(&c, 0, &rebuild, &highest);
	if (fix && rebuild && !(fix & BLK_CHECK_FIX_ERRORS)) {
		say(&c, "ERROR need to rebuild refcount structures");
		res->check_errors++;
		s->check_ref = NULL;
		s->check_nb = 0;
		free(c.ref);
		return -EIO;
	}
	if (fix && (res->leaks || res->corruptions)) {
		*res = pre;
		compare_refcounts(&c, fix, &rebuild, &highest);
	}
	s->check_ref = NULL;
	s->check_nb = 0;
	free(c.ref);
	check_copied(&c);
	res->image_end_offset = (highest + 1) * (int64_t)s->cluster_size;
	res->has_cluster_stats = true;
	res->total_clusters = (int64_t)(qcow2_align_up(s->size, s->cluster_size) >> s->cluster_bits);
	if (fix) {
		r = qcow2_flush_locked(s);
		if (r)
			res->check_errors++;
		s->free_cluster_index = 0;
		if ((fix & BLK_CHECK_FIX_ERRORS) && !res->corruptions && !res->check_errors &&
		    (s->incompat & (QCOW2_INCOMPAT_CORRUPT | QCOW2_INCOMPAT_DIRTY))) {
			if (qcow2_update_incompat(s, 0, QCOW2_INCOMPAT_CORRUPT | QCOW2_INCOMPAT_DIRTY))
				res->check_errors++;
			s->corrupt_reported = false;
			s->dirty_set = false;
		}
	}
	return 0;
}

int qcow2_check(struct blk_node *n, unsigned fix, struct blk_check_result *res,
		blk_report_fn *report, void *opaque, struct blk_error *err)
{
	struct qcow2 *s = n->opaque;
	pthread_mutex_lock(&s->lock);
	qcow2_wait_idle(s);
	int r = qcow2_check_locked(s, fix, res, report, opaque);
	pthread_mutex_unlock(&s->lock);
	if (r)
		blk_error_set(err, r, "Check failed: %s", strerror(-r));
	return r;
}
