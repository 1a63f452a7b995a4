/*
 * Interval map of guest mappings (sorted array of non-overlapping vmas)
 * and the set of write-protected code pages.  Pure data structures: the
 * caller holds the process lock.  Used for /proc/self/maps, access checks,
 * mprotect bookkeeping and the code_page (NX) check.
 */
#include "user.h"

#include <stdlib.h>
#include <string.h>

void vma_map_init(struct vma_map *m)
{
	memset(m, 0, sizeof(*m));
}

void vma_map_free(struct vma_map *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].name);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* Index of the first vma with end > addr. */
static size_t vma_lower(const struct vma_map *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (m->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int vma_grow(struct vma_map *m, size_t extra)
{
	if (m->n + extra <= m->cap)
		return 0;
	size_t nc = m->cap ? m->cap * 2 : 64;
	while (nc < m->n + extra)
		nc *= 2;
	struct vma *nv = realloc(m->v, nc * sizeof(*nv));
	if (!nv)
		return -1;
	m->v = nv;
	m->cap = nc;
	return 0;
}

static void vma_insert_at(struct vma_map *m, size_t i, const struct vma *v)
{
	memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof(*v));
	m->v[i] = *v;
	m->n++;
}

static void vma_remove_at(struct vma_map *m, size_t i)
{
	free(m->v[i].name);
	memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(struct vma));
	m->n--;
}

/* Split the vma at index i so that a boundary exists at addr. */
static int vma_split(struct vma_map *m, size_t i, uint64_t addr)
{
	struct vma *v = &m->v[i];
	if (addr <= v->start || addr >= v->end)
		return 0;
	if (vma_grow(m, 1))
		return -1;
	v = &m->v[i];
	struct vma hi = *v;
	hi.start = addr;
	hi.offset = v->offset + (addr - v->start);
	hi.name = v->name ? strdup(v->name) : NULL;
	v->end = addr;
	vma_insert_at(m, i + 1, &hi);
	return 0;
}

void vma_map_clear(struct vma_map *m, uint64_t start, uint64_t end)
{
	size_t i = vma_lower(m, start);
	if (i < m->n && m->v[i].start < start && m->v[i].end > start) {
		vma_split(m, i, start);
		i++;
	}
	while (i < m->n && m->v[i].start < end) {
		if (m->v[i].end > end)
			vma_split(m, i, end);
		vma_remove_at(m, i);
	}
}

static int vma_alike(const struct vma *x, const struct vma *y)
{
	int same_name = (!x->name && !y->name) || (x->name && y->name && !strcmp(x->name, y->name));
	return x->end == y->start && x->prot == y->prot && x->flags == y->flags && same_name &&
	       x->dev == y->dev && x->ino == y->ino &&
	       (x->ino == 0 || x->offset + (x->end - x->start) == y->offset);
}

/* Merge vma i with its neighbours when they are contiguous and alike. */
static void vma_try_merge(struct vma_map *m, size_t i)
{
	if (i + 1 < m->n && vma_alike(&m->v[i], &m->v[i + 1])) {
		m->v[i].end = m->v[i + 1].end;
		vma_remove_at(m, i + 1);
	}
	if (i > 0 && i < m->n && vma_alike(&m->v[i - 1], &m->v[i])) {
		m->v[i - 1].end = m->v[i].end;
		vma_remove_at(m, i);
	}
}

int vma_map_set(struct vma_map *m, uint64_t start, uint64_t end, int prot, int flags,
		uint64_t offset, uint64_t dev, uint64_t ino, const char *name)
{
	if (start >= end)
		return 0;
	vma_map_clear(m, start, end);
	if (vma_grow(m, 1))
		return -1;
	struct vma v = { start, end, prot, flags, offset, dev, ino, name ? strdup(name) : NULL };
	size_t i = vma_lower(m, start);
	vma_insert_at(m, i, &v);
	vma_try_merge(m, i);
	return 0;
}

int vma_map_protect(struct vma_map *m, uint64_t start, uint64_t end, int prot)
{
	int hole = 0;
	uint64_t expect = start;
	size_t i = vma_lower(m, start);
	if (i < m->n && m->v[i].start < start) {
		vma_split(m, i, start);
		i++;
	}
	size_t first = i;
	while (i < m->n && m->v[i].start < end) {
		if (m->v[i].start != expect)
			hole = 1;
		if (m->v[i].end > end)
			vma_split(m, i, end);
		m->v[i].prot = prot;
		if (prot & 4)
			m->v[i].flags |= VMA_EVER_EXEC;
		expect = m->v[i].end;
		i++;
	}
	if (expect < end)
		hole = 1;
	/* merge back what became identical */
	for (size_t k = i; k-- > first;)
		if (k < m->n)
			vma_try_merge(m, k);
	return hole ? -1 : 0;
}

struct vma *vma_map_find(const struct vma_map *m, uint64_t addr)
{
	size_t i = vma_lower(m, addr);
	if (i < m->n && m->v[i].start <= addr)
		return &m->v[i];
	return NULL;
}

int vma_map_covered(const struct vma_map *m, uint64_t start, uint64_t end, int prot)
{
	uint64_t a = start;
	size_t i = vma_lower(m, start);
	while (a < end) {
		if (i >= m->n || m->v[i].start > a)
			return 0;
		if ((m->v[i].prot & prot) != prot)
			return 0;
		a = m->v[i].end;
		i++;
	}
	return 1;
}

int vma_map_any_exec(const struct vma_map *m, uint64_t start, uint64_t end)
{
	for (size_t i = vma_lower(m, start); i < m->n && m->v[i].start < end; i++)
		if (m->v[i].flags & VMA_EVER_EXEC)
			return 1;
	return 0;
}

uint64_t vma_map_find_free(const struct vma_map *m, uint64_t lo, uint64_t hi, uint64_t hint,
			   uint64_t len)
{
	for (int pass = 0; pass < 2; pass++) {
		uint64_t a = pass == 0 ? (hint > lo ? hint : lo) : lo;
		size_t i = vma_lower(m, a);
		for (;;) {
			if (a + len > hi || a + len < a)
				break;
			if (i >= m->n || m->v[i].start >= a + len)
				return a;
			a = m->v[i].end > a ? m->v[i].end : a;
			i++;
		}
	}
	return ~0ull;
}

/* --- page set ------------------------------------------------------ */

static size_t ps_hash(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & (cap - 1);
}

static int ps_rehash(struct page_set *s, size_t ncap)
{
	uint64_t *ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -1;
	for (size_t i = 0; i < s->cap; i++) {
		uint64_t k = s->slot[i];
		if (k && k != ~0ull) {
			size_t j = ps_hash(k, ncap);
			while (ns[j])
				j = (j + 1) & (ncap - 1);
			ns[j] = k;
		}
	}
	size_t live = 0;
	for (size_t i = 0; i < ncap; i++)
		live += ns[i] != 0;
	free(s->slot);
	s->slot = ns;
	s->cap = ncap;
	s->used = live;
	return 0;
}

int page_set_add(struct page_set *s, uint64_t page)
{
	uint64_t k = page / TARGET_PAGE + 1;
	if ((s->used + 1) * 2 > s->cap && ps_rehash(s, s->cap ? s->cap * 2 : 256))
		return -1;
	size_t j = ps_hash(k, s->cap);
	while (s->slot[j] && s->slot[j] != ~0ull) {
		if (s->slot[j] == k)
			return 0;
		j = (j + 1) & (s->cap - 1);
	}
	if (!s->slot[j])
		s->used++;
	s->slot[j] = k;
	return 1;
}

int page_set_has(const struct page_set *s, uint64_t page)
{
	if (!s->cap)
		return 0;
	uint64_t k = page / TARGET_PAGE + 1;
	size_t j = ps_hash(k, s->cap);
	while (s->slot[j]) {
		if (s->slot[j] == k)
			return 1;
		j = (j + 1) & (s->cap - 1);
	}
	return 0;
}

int page_set_del(struct page_set *s, uint64_t page)
{
	if (!s->cap)
		return 0;
	uint64_t k = page / TARGET_PAGE + 1;
	size_t j = ps_hash(k, s->cap);
	while (s->slot[j]) {
		if (s->slot[j] == k) {
			s->slot[j] = ~0ull;
			return 1;
		}
		j = (j + 1) & (s->cap - 1);
	}
	return 0;
}
