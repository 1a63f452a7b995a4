/*
 * E820 memory map: a small sorted list of non-overlapping ranges.  A new
 * range replaces whatever it overlaps (so a machine can lay RAM down first
 * and then punch reserved holes into it), then neighbours of the same type
 * merge.
 */
#include "hw/x86/e820.h"

#include <errno.h>
#include <string.h>

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int e820_add(struct e820_table *t, uint64_t addr, uint64_t size, uint32_t type)
{
	struct e820_entry out[E820_MAX + 2];
	int n = 0;
	uint64_t end = addr + size;
	if (!size)
		return 0;
	if (end < addr)
		return -EINVAL;
	/* Keep the parts of existing entries outside [addr, end). */
	for (int i = 0; i < t->n; i++) {
		const struct e820_entry *e = &t->e[i];
		uint64_t eend = e->addr + e->size;
		if (eend <= addr || e->addr >= end) {
			if (n >= E820_MAX + 1)
				return -ENOSPC;
			out[n++] = *e;
			continue;
		}
		if (e->addr < addr) {
			if (n >= E820_MAX + 1)
				return -ENOSPC;
			out[n++] = (struct e820_entry){ e->addr, addr - e->addr, e->type };
		}
		if (eend > end) {
			if (n >= E820_MAX + 1)
				return -ENOSPC;
			out[n++] = (struct e820_entry){ end, eend - end, e->type };
		}
	}
	if (n >= E820_MAX + 2)
		return -ENOSPC;
	out[n++] = (struct e820_entry){ addr, size, type };
	/* Insertion sort by address (n is tiny). */
	for (int i = 1; i < n; i++) {
		struct e820_entry k = out[i];
		int j = i - 1;
		while (j >= 0 && out[j].addr > k.addr) {
			out[j + 1] = out[j];
			j--;
		}
		out[j + 1] = k;
	}
	/* Merge contiguous neighbours of the same type. */
	int m = 0;
	for (int i = 0; i < n; i++) {
		if (m && out[m - 1].type == out[i].type && out[m - 1].addr + out[m - 1].size == out[i].addr)
			out[m - 1].size += out[i].size;
		else
			out[m++] = out[i];
	}
	if (m > E820_MAX)
		return -ENOSPC;
	memcpy(t->e, out, sizeof(out[0]) * m);
	t->n = m;
	return 0;
}

uint64_t e820_ram_between(const struct e820_table *t, uint64_t lo, uint64_t hi)
{
	uint64_t sum = 0;
	for (int i = 0; i < t->n; i++) {
		const struct e820_entry *e = &t->e[i];
		if (e->type != E820_RAM)
			continue;
		uint64_t a = e->addr > lo ? e->addr : lo;
		uint64_t b = e->addr + e->size < hi ? e->addr + e->size : hi;
		if (b > a)
			sum += b - a;
	}
	return sum;
}

int e820_pack(const struct e820_table *t, uint8_t *out, int max_entries)
{
	int n = t->n < max_entries ? t->n : max_entries;
	for (int i = 0; i < n; i++) {
		put_le(out + 20 * i, t->e[i].addr, 8);
		put_le(out + 20 * i + 8, t->e[i].size, 8);
		put_le(out + 20 * i + 16, t->e[i].type, 4);
	}
	return 20 * n;
}
