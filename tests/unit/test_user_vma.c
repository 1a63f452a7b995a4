/* Unit tests for the user-mode interval map of guest mappings and the
 * code-page set (src/user/vma.c). */
#include "harness.h"
#include "user/user.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define P 0x1000ull

static int map_is(const struct vma_map *m, const uint64_t *ranges, size_t n)
{
	if (m->n != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (m->v[i].start != ranges[2 * i] || m->v[i].end != ranges[2 * i + 1])
			return 0;
	return 1;
}

int main(void)
{
	struct vma_map m;
	vma_map_init(&m);

	vma_map_set(&m, 10 * P, 20 * P, PROT_READ | PROT_WRITE, 0, 0, 0, 0, NULL);
	tap_ok(m.n == 1 && vma_map_find(&m, 15 * P) && !vma_map_find(&m, 20 * P), "insert and find");

	/* adjacent anonymous mappings with the same protection merge */
	vma_map_set(&m, 20 * P, 30 * P, PROT_READ | PROT_WRITE, 0, 0, 0, 0, NULL);
	tap_ok(map_is(&m, (uint64_t[]){ 10 * P, 30 * P }, 1), "adjacent alike mappings merge");

	/* punching a hole splits */
	vma_map_clear(&m, 14 * P, 16 * P);
	tap_ok(map_is(&m, (uint64_t[]){ 10 * P, 14 * P, 16 * P, 30 * P }, 2), "clear splits");
	tap_ok(!vma_map_covered(&m, 12 * P, 18 * P, 0), "hole is not covered");
	tap_ok(vma_map_covered(&m, 16 * P, 30 * P, PROT_READ), "covered with prot");

	/* mprotect in the middle splits into three, back again merges */
	vma_map_protect(&m, 20 * P, 22 * P, PROT_READ);
	tap_ok(map_is(&m, (uint64_t[]){ 10 * P, 14 * P, 16 * P, 20 * P, 20 * P, 22 * P, 22 * P, 30 * P }, 4),
	       "protect splits");
	tap_ok(!vma_map_covered(&m, 19 * P, 21 * P, PROT_WRITE), "write not allowed in ro part");
	vma_map_protect(&m, 20 * P, 22 * P, PROT_READ | PROT_WRITE);
	tap_ok(map_is(&m, (uint64_t[]){ 10 * P, 14 * P, 16 * P, 30 * P }, 2), "protect back merges");
	tap_ok(vma_map_protect(&m, 13 * P, 17 * P, PROT_READ) == -1, "protect over a hole reports it");

	/* file mappings keep names and offsets; split offsets follow */
	vma_map_set(&m, 40 * P, 50 * P, PROT_READ | PROT_EXEC, VMA_EVER_EXEC, 0x3000, 1, 42, "/bin/x");
	vma_map_clear(&m, 40 * P, 42 * P);
	struct vma *v = vma_map_find(&m, 45 * P);
	tap_ok(v && v->start == 42 * P && v->offset == 0x5000 && !strcmp(v->name, "/bin/x"),
	       "file offset follows a split");
	tap_ok(vma_map_any_exec(&m, 0, 100 * P) && !vma_map_any_exec(&m, 0, 30 * P), "exec tracking");

	/* free-space search */
	uint64_t f = vma_map_find_free(&m, P, 100 * P, 10 * P, 2 * P);
	tap_ok(f == 14 * P, "first gap from hint (got %#llx)", (unsigned long long)f);
	f = vma_map_find_free(&m, P, 100 * P, 10 * P, 3 * P);
	tap_ok(f == 30 * P, "gap too small skipped (got %#llx)", (unsigned long long)f);
	f = vma_map_find_free(&m, P, 100 * P, 60 * P, 50 * P);
	tap_ok(f == 50 * P || f == P, "wraps to low addresses (got %#llx)", (unsigned long long)f);
	tap_ok(vma_map_find_free(&m, P, 32 * P, P, 40 * P) == ~0ull, "no space");

	/* many mappings stay sorted */
	for (uint64_t i = 0; i < 200; i++)
		vma_map_set(&m, (1000 + 2 * i) * P, (1001 + 2 * i) * P, PROT_READ, 0, 0, 0, 0, NULL);
	int sorted = 1;
	for (size_t i = 1; i < m.n; i++)
		if (m.v[i - 1].end > m.v[i].start)
			sorted = 0;
	tap_ok(sorted && vma_map_find(&m, 1100 * P) && !vma_map_find(&m, 1101 * P), "200 mappings");
	vma_map_set(&m, 999 * P, 1500 * P, PROT_NONE, 0, 0, 0, 0, NULL);
	tap_ok(vma_map_find(&m, 1101 * P) && vma_map_find(&m, 1101 * P)->prot == PROT_NONE,
	       "set replaces overlapping");
	vma_map_free(&m);

	struct page_set s = { 0 };
	int ok = 1;
	for (uint64_t i = 0; i < 5000; i++)
		ok &= page_set_add(&s, i * 3 * P) == 1;
	ok &= page_set_add(&s, 3 * P) == 0;
	tap_ok(ok, "page set add");
	ok = 1;
	for (uint64_t i = 0; i < 15000; i++)
		ok &= page_set_has(&s, i * P) == (i % 3 == 0);
	tap_ok(ok, "page set membership");
	for (uint64_t i = 0; i < 5000; i += 2)
		page_set_del(&s, i * 3 * P);
	ok = 1;
	for (uint64_t i = 0; i < 5000; i++)
		ok &= page_set_has(&s, i * 3 * P) == (i % 2 == 1);
	tap_ok(ok, "page set delete");
	free(s.slot);
	return tap_done();
}
