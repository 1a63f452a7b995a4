/*
 * qcow2 internal snapshots (spec "Snapshots"): the snapshot table, create, apply
 * (revert), delete, list. Every cluster reachable from an L1 table counts one
 * reference per L1 table that reaches it, so create increments along the active L1
 * and delete decrements along the snapshot's.
 */
#include "block/qcow2/qcow2.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define MAX_SNAPSHOT_TABLE (64u << 20)

void qcow2_free_snapshots(struct qcow2 *s)
{
	for (uint32_t i = 0; s->snaps && i < s->nb_snapshots; i++) {
		free(s->snaps[i].id);
		free(s->snaps[i].name);
		free(s->snaps[i].extra);
	}
	free(s->snaps);
	s->snaps = NULL;
}

int qcow2_read_snapshots(struct qcow2 *s, struct blk_error *err)
{
	s->snaps = NULL;
	s->snapshots_size = 0;
	if (!s->nb_snapshots)
		return 0;
	int64_t flen = blk_getlength(s->file);
	if (flen < 0)
		return (int)flen;
	s->snaps = calloc(s->nb_snapshots, sizeof(*s->snaps));
	if (!s->snaps)
		return -ENOMEM;
	uint64_t off = s->snapshots_offset;
	uint8_t h[40];
	for (uint32_t i = 0; i < s->nb_snapshots; i++) {
		struct qcow2_snap *sn = &s->snaps[i];
		if (off - s->snapshots_offset + 40 > MAX_SNAPSHOT_TABLE || off + 40 > (uint64_t)flen)
			goto bad;
		int r = blk_pread(s->file, (int64_t)off, h, 40, 0);
		if (r)
			return r;
		sn->l1_offset = be64_get(h);
		sn->l1_size = be32_get(h + 8);
		uint16_t idl = be16_get(h + 12), nml = be16_get(h + 14);
		sn->date_sec = be32_get(h + 16);
		sn->date_nsec = be32_get(h + 20);
		sn->vm_clock_nsec = be64_get(h + 24);
		sn->vm_state_size = be32_get(h + 32);
		sn->extra_size = be32_get(h + 36);
		sn->icount = UINT64_MAX;
		if (sn->extra_size > 1024)
			goto bad;
		uint64_t total = 40ull + sn->extra_size + idl + nml;
		if (off + total > (uint64_t)flen || off - s->snapshots_offset + total > MAX_SNAPSHOT_TABLE)
			goto bad;
		uint8_t *b = malloc(total);
		if (!b)
			return -ENOMEM;
		r = blk_pread(s->file, (int64_t)off, b, total, 0);
		if (r) {
			free(b);
			return r;
		}
		sn->extra = malloc(sn->extra_size ? sn->extra_size : 1);
		sn->id = strndup((char *)b + 40 + sn->extra_size, idl);
		sn->name = strndup((char *)b + 40 + sn->extra_size + idl, nml);
		if (sn->extra)
			memcpy(sn->extra, b + 40, sn->extra_size);
		free(b);
		if (!sn->extra || !sn->id || !sn->name)
			return -ENOMEM;
		if (sn->extra_size >= 8)
			sn->vm_state_size = be64_get(sn->extra);
		sn->disk_size = s->size;
		if (sn->extra_size >= 16)
			sn->disk_size = be64_get(sn->extra + 8);
		if (sn->extra_size >= 24)
			sn->icount = be64_get(sn->extra + 16);
		if (sn->l1_size > QCOW2_MAX_L1_ENTRIES || sn->l1_offset % s->cluster_size ||
		    (sn->l1_size && (sn->l1_offset < s->cluster_size ||
				     sn->l1_offset + (uint64_t)sn->l1_size * 8 > (uint64_t)flen))) {
			blk_error_set(err, -EFBIG, "Snapshot L1 table offset invalid or too large");
			return -EFBIG;
		}
		off += qcow2_align_up(total, 8);
	}
	s->snapshots_size = off - s->snapshots_offset;
	return 0;
bad:
	blk_error_set(err, -EFBIG, "Snapshot table too large or truncated");
	return -EFBIG;
}

/* Increment/decrement the refcount of every cluster an L1 table reaches. */
static int walk_refs(struct qcow2 *s, const uint64_t *l1, uint32_t l1_size, int64_t addend)
{
	uint64_t cs = s->cluster_size;
	for (uint32_t i = 0; i < l1_size; i++) {
		uint64_t o = l1[i] & QCOW2_L1E_OFFSET_MASK;
		if (!o)
			continue;
		if (o % cs || o < cs) {
			qcow2_signal_corruption(s, "L2 table offset %#" PRIx64 " unaligned", o);
			return -EIO;
		}
		int idx = qcow2_cache_get(s, &s->l2c, o, false);
		if (idx < 0)
			return idx;
		int r = 0;
		for (uint64_t j = 0; j < (1ull << s->l2_bits) && !r; j++) {
			uint64_t e = be64_get(s->l2c.e[idx].data + j * 8);
			switch (qcow2_entry_type(s, e)) {
			case QC_NORMAL:
			case QC_ZERO_ALLOC:
				r = qcow2_update_refcount(s, (e & QCOW2_L2E_OFFSET_MASK) >> s->cluster_bits, addend);
				break;
			case QC_COMPRESSED: {
				uint64_t co, cl;
				qcow2_compressed_range(s, e, &co, &cl);
				for (uint64_t c = co >> s->cluster_bits; !r && c <= (co + cl - 1) >> s->cluster_bits; c++)
					r = qcow2_update_refcount(s, c, addend);
				break;
			}
			default:
				break;
			}
		}
		qcow2_cache_put(&s->l2c, idx);
		if (!r)
			r = qcow2_update_refcount(s, o >> s->cluster_bits, addend);
		if (r)
			return r;
	}
	return 0;
}

static int load_l1(struct qcow2 *s, uint64_t off, uint32_t size, uint64_t **out)
{
	uint8_t *b = malloc(size ? (size_t)size * 8 : 1);
	uint64_t *t = calloc(size ? size : 1, 8);
	int r = (!b || !t) ? -ENOMEM : (size ? blk_pread(s->file, (int64_t)off, b, (size_t)size * 8, 0) : 0);
	for (uint32_t i = 0; !r && i < size; i++)
		t[i] = be64_get(b + i * 8);
	free(b);
	if (r) {
		free(t);
		return r;
	}
	*out = t;
	return 0;
}

int qcow2_walk_l1_refs(struct qcow2 *s, uint64_t l1_offset, uint32_t l1_size, int64_t addend)
{
	uint64_t *l1;
	int r = load_l1(s, l1_offset, l1_size, &l1);
	if (r)
		return r;
	r = walk_refs(s, l1, l1_size, addend);
	free(l1);
	return r;
}

/* Write the snapshot table to new clusters, then switch the header to it. */
static int write_snapshot_table(struct qcow2 *s, struct qcow2_snap *snaps, uint32_t nb)
{
	uint64_t size = 0;
	for (uint32_t i = 0; i < nb; i++)
		size += qcow2_align_up(40 + snaps[i].extra_size + strlen(snaps[i].id) + strlen(snaps[i].name), 8);
	if (size > MAX_SNAPSHOT_TABLE)
		return -EFBIG;
	int64_t off = 0;
	int r = 0;
	if (nb) {
		uint8_t *b = calloc(1, size);
		if (!b)
			return -ENOMEM;
		uint64_t p = 0;
		for (uint32_t i = 0; i < nb; i++) {
			struct qcow2_snap *sn = &snaps[i];
			size_t idl = strlen(sn->id), nml = strlen(sn->name);
			be64_put(b + p, sn->l1_offset);
			be32_put(b + p + 8, sn->l1_size);
			be16_put(b + p + 12, (uint16_t)idl);
			be16_put(b + p + 14, (uint16_t)nml);
			be32_put(b + p + 16, sn->date_sec);
			be32_put(b + p + 20, sn->date_nsec);
			be64_put(b + p + 24, sn->vm_clock_nsec);
			be32_put(b + p + 32, sn->vm_state_size > UINT32_MAX ? 0 : (uint32_t)sn->vm_state_size);
			be32_put(b + p + 36, sn->extra_size);
			memcpy(b + p + 40, sn->extra, sn->extra_size);
			memcpy(b + p + 40 + sn->extra_size, sn->id, idl);
			memcpy(b + p + 40 + sn->extra_size + idl, sn->name, nml);
			p += qcow2_align_up(40 + sn->extra_size + idl + nml, 8);
		}
		off = qcow2_alloc_clusters(s, qcow2_align_up(size, s->cluster_size) / s->cluster_size);
		if (off < 0) {
			free(b);
			return (int)off;
		}
		r = blk_pwrite(s->file, off, b, size, 0);
		free(b);
	}
	/* Refcounts of the new table before the header names it. */
	if (!r)
		r = qcow2_cache_write_all(s, &s->rcc);
	if (!r)
		r = blk_flush(s->file);
	if (r)
		return r;
	uint8_t h[12];
	be32_put(h, nb);
	be64_put(h + 4, (uint64_t)off);
	r = blk_pwrite(s->file, 60, h, 12, 0);
	if (!r)
		r = blk_flush(s->file);
	if (r)
		return r;
	uint64_t old_off = s->snapshots_offset, old_size = s->snapshots_size;
	uint32_t old_nb = s->nb_snapshots;
	s->snapshots_offset = (uint64_t)off;
	s->snapshots_size = size;
	s->nb_snapshots = nb;
	if (old_nb && old_size)
		r = qcow2_free_now(s, old_off, qcow2_align_up(old_size, s->cluster_size));
	return r;
}

int qcow2_snapshot_list(struct blk_node *n, struct blk_snapshot **list)
{
	struct qcow2 *s = n->opaque;
	pthread_mutex_lock(&s->lock);
	*list = calloc(s->nb_snapshots ? s->nb_snapshots : 1, sizeof(**list));
	if (!*list) {
		pthread_mutex_unlock(&s->lock);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < s->nb_snapshots; i++) {
		struct blk_snapshot *o = &(*list)[i];
		struct qcow2_snap *sn = &s->snaps[i];
		snprintf(o->id, sizeof(o->id), "%s", sn->id);
		snprintf(o->name, sizeof(o->name), "%s", sn->name);
		o->vm_state_size = sn->vm_state_size;
		o->date_sec = sn->date_sec;
		o->date_nsec = sn->date_nsec;
		o->vm_clock_nsec = sn->vm_clock_nsec;
		o->icount = sn->icount;
		o->has_icount = sn->icount != UINT64_MAX;
		o->disk_size = sn->disk_size;
	}
	int nb = (int)s->nb_snapshots;
	pthread_mutex_unlock(&s->lock);
	return nb;
}

static int find_snapshot(struct qcow2 *s, const char *id)
{
	for (uint32_t i = 0; i < s->nb_snapshots; i++)
		if (!strcmp(s->snaps[i].id, id))
			return (int)i;
	for (uint32_t i = 0; i < s->nb_snapshots; i++)
		if (!strcmp(s->snaps[i].name, id))
			return (int)i;
	return -1;
}

/* QEMU's qcow2_vm_state_offset: the first guest offset an L1 entry past the disk maps. */
static uint64_t vmstate_base(const struct qcow2 *s)
{
	return qcow2_size_to_l1(s, s->size) << (s->cluster_bits + s->l2_bits);
}

int qcow2_snapshot_create(struct blk_node *n, const struct blk_snapshot *in, struct blk_error *err)
{
	struct qcow2 *s = n->opaque;
	if (s->read_only) {
		blk_error_set(err, -EACCES, "Could not create snapshot '%s': image is read-only", in->name);
		return -EACCES;
	}
	pthread_mutex_lock(&s->lock);
	qcow2_wait_idle(s);
	struct qcow2_snap sn = { 0 };
	char idbuf[160];
	int r = 0;
	if (in->id[0]) {
		snprintf(idbuf, sizeof(idbuf), "%s", in->id);
		for (uint32_t i = 0; i < s->nb_snapshots; i++)
			if (!strcmp(s->snaps[i].id, idbuf)) {
				blk_error_set(err, -EEXIST, "Could not create snapshot '%s': snapshot ID '%s' already exists",
					      in->name, idbuf);
				pthread_mutex_unlock(&s->lock);
				return -EEXIST;
			}
	} else {
		unsigned long max = 0;
		for (uint32_t i = 0; i < s->nb_snapshots; i++) {
			unsigned long v = strtoul(s->snaps[i].id, NULL, 10);
			if (v > max)
				max = v;
		}
		snprintf(idbuf, sizeof(idbuf), "%lu", max + 1);
	}
	if (s->nb_snapshots >= QCOW2_MAX_SNAPSHOTS) {
		blk_error_set(err, -EFBIG, "Could not create snapshot '%s': too many snapshots", in->name);
		pthread_mutex_unlock(&s->lock);
		return -EFBIG;
	}
	sn.id = strdup(idbuf);
	sn.name = strdup(in->name);
	sn.extra_size = 24;
	sn.extra = calloc(1, 24);
	if (!sn.id || !sn.name || !sn.extra) {
		r = -ENOMEM;
		goto fail;
	}
	if (in->date_sec || in->date_nsec) {
		sn.date_sec = in->date_sec;
		sn.date_nsec = in->date_nsec;
	} else {
		struct timeval tv;
		gettimeofday(&tv, NULL);
		sn.date_sec = (uint32_t)tv.tv_sec;
		sn.date_nsec = (uint32_t)tv.tv_usec * 1000;
	}
	sn.vm_clock_nsec = in->vm_clock_nsec;
	sn.vm_state_size = in->vm_state_size;
	sn.disk_size = s->size;
	sn.icount = in->has_icount ? in->icount : UINT64_MAX;
	/* Extra data (spec): vm_state_size_large, disk_size, icount. */
	be64_put(sn.extra, sn.vm_state_size);
	be64_put(sn.extra + 8, sn.disk_size);
	be64_put(sn.extra + 16, sn.icount);
	sn.l1_size = s->l1_size;
	if ((r = qcow2_flush_locked(s)))
		goto fail;
	/* 1. the new references, 2. the copy of the L1 table, 3. the table entry. */
	if ((r = walk_refs(s, s->l1, s->l1_size, 1)))
		goto fail;
	{
		uint64_t bytes = (uint64_t)s->l1_size * 8;
		int64_t off = qcow2_alloc_clusters(s, qcow2_align_up(bytes ? bytes : 1, s->cluster_size) / s->cluster_size);
		if (off < 0) {
			r = (int)off;
			goto fail;
		}
		sn.l1_offset = (uint64_t)off;
		uint8_t *b = calloc(1, bytes ? bytes : 1);
		if (!b) {
			r = -ENOMEM;
			goto fail;
		}
		for (uint32_t i = 0; i < s->l1_size; i++)
			be64_put(b + i * 8, s->l1[i]);
		r = bytes ? blk_pwrite(s->file, off, b, bytes, 0) : 0;
		free(b);
		if (r)
			goto fail;
	}
	if ((r = qcow2_update_copied_flags(s)) || (r = qcow2_flush_locked(s)))
		goto fail;
	{
		struct qcow2_snap *ns = realloc(s->snaps, (s->nb_snapshots + 1) * sizeof(*ns));
		if (!ns) {
			r = -ENOMEM;
			goto fail;
		}
		s->snaps = ns;
		ns[s->nb_snapshots] = sn;
		r = write_snapshot_table(s, ns, s->nb_snapshots + 1);
		if (r)
			goto fail; /* not recorded: the entry stays unused past nb_snapshots */
	}
	/* The VM state now belongs to the snapshot only (QEMU drops it from the active
	 * image the same way). */
	if (!r && sn.vm_state_size) {
		uint64_t cs = s->cluster_size;
		uint64_t vb = vmstate_base(s), ve = qcow2_align_up(vb + sn.vm_state_size, cs);
		uint64_t lim = (uint64_t)s->l1_size << (s->cluster_bits + s->l2_bits);
		if (ve > lim)
			ve = lim;
		if (ve > vb)
			r = qcow2_zero_range_locked(s, vb, ve - vb, true, true);
	}
	if (!r)
		r = qcow2_flush_locked(s);
	pthread_mutex_unlock(&s->lock);
	return r;
fail:
	free(sn.id);
	free(sn.name);
	free(sn.extra);
	blk_error_set(err, r, "Could not create snapshot '%s': %s", in->name, strerror(-r));
	pthread_mutex_unlock(&s->lock);
	return r;
}

int qcow2_vmstate_rw(struct blk_node *n, int64_t pos, void *buf, size_t bytes, bool write)
{
	struct qcow2 *s = n->opaque;
	pthread_mutex_lock(&s->lock);
	uint64_t off = vmstate_base(s) + (uint64_t)pos;
	uint64_t end = off + bytes;
	int r = 0;
	if (end < off || end >= QCOW2_MAX_HOST_OFFSET)
		r = -EFBIG;
	else if (write)
		r = qcow2_grow_l1(s, (end + (1ull << (s->cluster_bits + s->l2_bits)) - 1) >> (s->cluster_bits + s->l2_bits));
	pthread_mutex_unlock(&s->lock);
	if (r || !bytes)
		return r;
	return write ? qcow2_pwrite(n, (int64_t)off, buf, bytes, 0) : qcow2_pread(n, (int64_t)off, buf, bytes);
}

int qcow2_grow_l1(struct qcow2 *s, uint64_t min_size)
{
	if (min_size <= s->l1_size)
		return 0;
	if (min_size > QCOW2_MAX_L1_ENTRIES)
		return -EFBIG;
	uint64_t nsize = min_size;
	uint64_t *nl1 = calloc(nsize, 8);
	if (!nl1)
		return -ENOMEM;
	memcpy(nl1, s->l1, (size_t)s->l1_size * 8);
	uint64_t bytes = nsize * 8;
	int r = qcow2_flush_locked(s);
	int64_t off = r ? r : qcow2_alloc_clusters(s, qcow2_align_up(bytes, s->cluster_size) / s->cluster_size);
	if (off < 0) {
		free(nl1);
		return (int)off;
	}
	uint8_t *b = calloc(1, bytes);
	if (!b) {
		free(nl1);
		return -ENOMEM;
	}
	for (uint64_t i = 0; i < nsize; i++)
		be64_put(b + i * 8, nl1[i]);
	r = blk_pwrite(s->file, off, b, bytes, 0);
	free(b);
	if (!r)
		r = qcow2_cache_write_all(s, &s->rcc);
	if (!r)
		r = blk_flush(s->file);
	if (!r) {
		uint8_t h[12];
		be32_put(h, (uint32_t)nsize);
		be64_put(h + 4, (uint64_t)off);
		r = blk_pwrite(s->file, 36, h, 12, 0);
		if (!r)
			r = blk_flush(s->file);
	}
	if (r) {
		free(nl1);
		return r;
	}
	uint64_t old_off = s->l1_offset, old_bytes = (uint64_t)s->l1_size * 8;
	free(s->l1);
	s->l1 = nl1;
	s->l1_size = (uint32_t)nsize;
	s->l1_offset = (uint64_t)off;
	if (old_bytes)
		r = qcow2_free_now(s, old_off, qcow2_align_up(old_bytes, s->cluster_size));
	return r;
}

int qcow2_snapshot_apply(struct blk_node *n, const char *id, struct blk_error *err)
{
	struct qcow2 *s = n->opaque;
	if (s->read_only) {
		blk_error_set(err, -EACCES, "Could not apply snapshot '%s': image is read-only", id);
		return -EACCES;
	}
	pthread_mutex_lock(&s->lock);
	qcow2_wait_idle(s);
	int i = find_snapshot(s, id), r;
	if (i < 0) {
		pthread_mutex_unlock(&s->lock);
		blk_error_set(err, -ENOENT, "Could not apply snapshot '%s': Can't find the snapshot", id);
		return -ENOENT;
	}
	struct qcow2_snap *sn = &s->snaps[i];
	uint64_t *snl1 = NULL;
	if ((r = qcow2_flush_locked(s)) || (r = load_l1(s, sn->l1_offset, sn->l1_size, &snl1)))
		goto out;
	/* New references first, then the L1 switch, then the old references go. */
	if ((r = walk_refs(s, snl1, sn->l1_size, 1)) || (r = qcow2_flush_locked(s)))
		goto out;
	if ((r = qcow2_grow_l1(s, sn->l1_size)))
		goto out;
	uint64_t *old = malloc((size_t)s->l1_size * 8 + 8);
	if (!old) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(old, s->l1, (size_t)s->l1_size * 8);
	memset(s->l1, 0, (size_t)s->l1_size * 8);
	memcpy(s->l1, snl1, (size_t)sn->l1_size * 8);
	qcow2_cache_drop_all(&s->l2c);
	r = qcow2_write_l1(s);
	if (!r && sn->disk_size != s->size) {
		uint8_t h[8];
		be64_put(h, sn->disk_size);
		r = blk_pwrite(s->file, 24, h, 8, 0);
		if (!r)
			s->size = sn->disk_size;
	}
	if (!r)
		r = blk_flush(s->file);
	if (!r)
		r = walk_refs(s, old, s->l1_size, -1);
	free(old);
	if (!r)
		r = qcow2_update_copied_flags(s);
	if (!r)
		r = qcow2_flush_locked(s);
out:
	free(snl1);
	if (r)
		blk_error_set(err, r, "Could not apply snapshot '%s': %s", id, strerror(-r));
	pthread_mutex_unlock(&s->lock);
	return r;
}

int qcow2_snapshot_delete(struct blk_node *n, const char *id, struct blk_error *err)
{
	struct qcow2 *s = n->opaque;
	if (s->read_only) {
		blk_error_set(err, -EACCES, "Could not delete snapshot '%s': image is read-only", id);
		return -EACCES;
	}
	pthread_mutex_lock(&s->lock);
	qcow2_wait_idle(s);
	int i = find_snapshot(s, id), r;
	if (i < 0) {
		pthread_mutex_unlock(&s->lock);
		blk_error_set(err, -ENOENT, "Could not delete snapshot '%s': snapshot not found", id);
		return -ENOENT;
	}
	struct qcow2_snap sn = s->snaps[i];
	uint64_t *snl1 = NULL;
	if ((r = qcow2_flush_locked(s)) || (r = load_l1(s, sn.l1_offset, sn.l1_size, &snl1)))
		goto out;
	/* Drop the table entry first: from then on nothing on disk names the L1. */
	memmove(&s->snaps[i], &s->snaps[i + 1], (s->nb_snapshots - (uint32_t)i - 1) * sizeof(sn));
	r = write_snapshot_table(s, s->snaps, s->nb_snapshots - 1);
	if (r) {
		memmove(&s->snaps[i + 1], &s->snaps[i], (s->nb_snapshots - (uint32_t)i - 1) * sizeof(sn));
		s->snaps[i] = sn;
		goto out;
	}
	r = walk_refs(s, snl1, sn.l1_size, -1);
	if (!r && sn.l1_size)
		r = qcow2_free_now(s, sn.l1_offset, qcow2_align_up((uint64_t)sn.l1_size * 8, s->cluster_size));
	free(sn.id);
	free(sn.name);
	free(sn.extra);
	if (!r)
		r = qcow2_update_copied_flags(s);
	if (!r)
		r = qcow2_flush_locked(s);
out:
	free(snl1);
	if (r)
		blk_error_set(err, r, "Could not delete snapshot '%s': %s", id, strerror(-r));
	pthread_mutex_unlock(&s->lock);
	return r;
}
