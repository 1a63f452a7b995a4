/*
 * qcow2 metadata cache (L2 tables, refcount blocks): write-back, clock replacement,
 * hashed by host offset. Called with the image lock held.
 * Evicting a dirty L2 table first writes the dirty refcount blocks and syncs, so an L2
 * entry never reaches the disk before the refcount of the cluster it points to.
 */
#include "block/qcow2/qcow2.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int qcow2_cache_init(struct qcow2_cache *c, int nb, size_t size, bool is_l2)
{
	memset(c, 0, sizeof(*c));
	c->nb = nb;
	c->nbuckets = nb * 2;
	c->is_l2 = is_l2;
	c->buckets = malloc((size_t)c->nbuckets * sizeof(int));
	c->e = calloc((size_t)nb, sizeof(*c->e));
	if (!c->buckets || !c->e)
		return -ENOMEM;
	for (int i = 0; i < c->nbuckets; i++)
		c->buckets[i] = -1;
	/* Slots get their buffer on first use: most opens touch few tables. */
	for (int i = 0; i < nb; i++)
		c->e[i].hnext = -1;
	return 0;
}

void qcow2_cache_destroy(struct qcow2_cache *c)
{
	for (int i = 0; c->e && i < c->nb; i++)
		free(c->e[i].data);
	free(c->e);
	free(c->buckets);
	memset(c, 0, sizeof(*c));
}

static int bucket_of(const struct qcow2_cache *c, uint64_t off)
{
	uint64_t h = off * 0x9e3779b97f4a7c15ull;
	return (int)((h >> 32) % (uint64_t)c->nbuckets);
}

static int find(const struct qcow2_cache *c, uint64_t off)
{
	for (int i = c->buckets[bucket_of(c, off)]; i >= 0; i = c->e[i].hnext)
		if (c->e[i].offset == off)
			return i;
	return -1;
}

static void unlink_entry(struct qcow2_cache *c, int idx)
{
	int *pp = &c->buckets[bucket_of(c, c->e[idx].offset)];
	while (*pp >= 0) {
		if (*pp == idx) {
			*pp = c->e[idx].hnext;
			break;
		}
		pp = &c->e[*pp].hnext;
	}
	c->e[idx].hnext = -1;
	c->e[idx].offset = 0;
	c->e[idx].dirty = false;
}

static int write_entry(struct qcow2 *s, struct qcow2_cache *c, int idx)
{
	struct qcow2_centry *e = &c->e[idx];
	if (!e->dirty)
		return 0;
	if (c->is_l2) {
		int r = qcow2_cache_write_all(s, &s->rcc);
		if (!r)
			r = blk_flush(s->file);
		if (r)
			return r;
	}
	/* Last line of defence against writing metadata over other metadata. */
	int r = blk_pwrite(s->file, (int64_t)e->offset, e->data, s->cluster_size, 0);
	if (!r)
		e->dirty = false;
	return r;
}

int qcow2_cache_get(struct qcow2 *s, struct qcow2_cache *c, uint64_t offset, bool fresh)
{
	int idx = find(c, offset);
	if (idx >= 0) {
		c->e[idx].ref = true;
		c->e[idx].pin++;
		if (fresh)
			memset(c->e[idx].data, 0, s->cluster_size);
		return idx;
	}
	/* Clock: skip pinned, clear ref bits, take the first unreferenced. */
	int victim = -1;
	for (int tries = 0; tries < 2 * c->nb + 1; tries++) {
		struct qcow2_centry *e = &c->e[c->hand];
		int cur = c->hand;
		c->hand = (c->hand + 1) % c->nb;
		if (e->pin)
			continue;
		if (e->offset && e->ref) {
			e->ref = false;
			continue;
		}
		victim = cur;
		break;
	}
	if (victim < 0)
		return -EBUSY;
	if (c->e[victim].offset) {
		int r = write_entry(s, c, victim);
		if (r)
			return r;
		unlink_entry(c, victim);
	}
	struct qcow2_centry *e = &c->e[victim];
	if (!e->data && !(e->data = blk_alloc_aligned(s->cluster_size)))
		return -ENOMEM;
	if (fresh) {
		memset(e->data, 0, s->cluster_size);
	} else {
		int r = blk_pread(s->file, (int64_t)offset, e->data, s->cluster_size, 0);
		if (r)
			return r;
	}
	e->offset = offset;
	e->ref = true;
	e->pin = 1;
	e->dirty = false;
	int b = bucket_of(c, offset);
	e->hnext = c->buckets[b];
	c->buckets[b] = victim;
	return victim;
}

void qcow2_cache_put(struct qcow2_cache *c, int idx)
{
	if (idx >= 0 && c->e[idx].pin > 0)
		c->e[idx].pin--;
}

void qcow2_cache_mark_dirty(struct qcow2_cache *c, int idx)
{
	c->e[idx].dirty = true;
}

int qcow2_cache_write_all(struct qcow2 *s, struct qcow2_cache *c)
{
	for (int i = 0; i < c->nb; i++) {
		if (c->e[i].offset && c->e[i].dirty) {
			int r = write_entry(s, c, i);
			if (r)
				return r;
		}
	}
	return 0;
}

bool qcow2_cache_has_dirty(const struct qcow2_cache *c)
{
	for (int i = 0; i < c->nb; i++)
		if (c->e[i].offset && c->e[i].dirty)
			return true;
	return false;
}

void qcow2_cache_drop(struct qcow2_cache *c, uint64_t offset)
{
	int idx = find(c, offset);
	if (idx >= 0 && !c->e[idx].pin)
		unlink_entry(c, idx);
}

void qcow2_cache_drop_all(struct qcow2_cache *c)
{
	for (int i = 0; i < c->nb; i++)
		if (c->e[i].offset && !c->e[i].pin)
			unlink_entry(c, i);
}
