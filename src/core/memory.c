/*
 * Guest physical memory map and port I/O dispatch (see memory.h).
 *
 * Regions live in vm->regions ordered by descending priority, then by base;
 * lookup is a linear scan (a PC has a few dozen regions) and vCPUs cache
 * their last hit.  Port I/O uses a 64 Ki-entry table for O(1) dispatch.
 */
#include "core/memory.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm.h"

/* A region struct: reuse one that mem_del retired, so a guest that keeps
 * toggling a BAR cannot grow memory; a retired struct is never freed while
 * the VM runs because a vCPU's lookup cache may still read it (it then sees
 * a different mem_gen and ignores it). */
static struct mem_region *region_alloc(struct vm *vm)
{
	struct mem_region *r = vm->dead_regions;
	if (r) {
		vm->dead_regions = r->next_dead;
		memset(r, 0, sizeof(*r));
		return r;
	}
	return calloc(1, sizeof(*r));
}

static int region_cmp(const struct mem_region *a, const struct mem_region *b)
{
	if (a->priority != b->priority)
		return a->priority > b->priority ? -1 : 1;
	return a->base < b->base ? -1 : a->base > b->base;
}

static struct mem_region *region_insert(struct vm *vm, struct mem_region *r)
{
	struct mem_region **v = realloc(vm->regions, sizeof(*v) * (size_t)(vm->nregions + 1));
	if (!v) {
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	vm->regions = v;
	int i = vm->nregions;
	while (i > 0 && region_cmp(r, v[i - 1]) < 0) {
		v[i] = v[i - 1];
		i--;
	}
	v[i] = r;
	vm->nregions++;
	atomic_fetch_add(&vm->mem_gen, 1);
	return r;
}

static struct mem_region *region_new(struct vm *vm, const char *name, uint64_t base, uint64_t size,
				     enum mem_kind kind, int priority)
{
	if (!size || base + size < base) {
		errno = EINVAL;
		return NULL;
	}
	struct mem_region *r = region_alloc(vm);
	if (!r) {
		errno = ENOMEM;
		return NULL;
	}
	r->name = name;
	r->base = base;
	r->size = size;
	r->kind = kind;
	r->priority = priority;
	return r;
}

struct mem_region *mem_add_ram(struct vm *vm, const char *name, uint64_t base, uint64_t size,
			       uint8_t *host, bool readonly)
{
	/* ROM shadows RAM below it (the BIOS copy under 1 MiB). */
	struct mem_region *r = region_new(vm, name, base, size, readonly ? MEM_ROM : MEM_RAM, readonly ? 1 : 0);
	if (!r)
		return NULL;
	r->host = host;
	return region_insert(vm, r);
}

struct mem_region *mem_add_mmio(struct vm *vm, const char *name, uint64_t base, uint64_t size,
				const struct io_ops *ops, void *opaque, int priority)
{
	if (!ops) {
		errno = EINVAL;
		return NULL;
	}
	struct mem_region *r = region_new(vm, name, base, size, MEM_MMIO, priority);
	if (!r)
		return NULL;
	r->ops = ops;
	r->opaque = opaque;
	return region_insert(vm, r);
}

/* vCPUs may hold cached pointers to regions and TLB entries for them: make
 * every vCPU flush and forget before the region goes away. */
static void mem_changed(struct vm *vm)
{
	atomic_fetch_add(&vm->mem_gen, 1);
	for (int i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i])
			vcpu_kick(vm->vcpus[i], VCPU_REQ_TLB);
}

void mem_del(struct vm *vm, struct mem_region *r)
{
	for (int i = 0; i < vm->nregions; i++) {
		if (vm->regions[i] == r) {
			memmove(&vm->regions[i], &vm->regions[i + 1],
				sizeof(*vm->regions) * (size_t)(vm->nregions - i - 1));
			vm->nregions--;
			mem_changed(vm);
			r->size = 0;
			r->next_dead = vm->dead_regions;
			vm->dead_regions = r;
			return;
		}
	}
}

void mem_move(struct vm *vm, struct mem_region *r, uint64_t new_base)
{
	/* Re-sort by removing and re-inserting the same object. */
	for (int i = 0; i < vm->nregions; i++) {
		if (vm->regions[i] == r) {
			memmove(&vm->regions[i], &vm->regions[i + 1],
				sizeof(*vm->regions) * (size_t)(vm->nregions - i - 1));
			vm->nregions--;
			break;
		}
	}
	r->base = new_base;
	region_insert(vm, r);
	mem_changed(vm);
}

struct mem_region *mem_find(struct vm *vm, uint64_t paddr)
{
	for (int i = 0; i < vm->nregions; i++) {
		struct mem_region *r = vm->regions[i];
		if (paddr - r->base < r->size)
			return r;
	}
	return NULL;
}

/* --- port I/O ----------------------------------------------------- */

struct pio_region *pio_add(struct vm *vm, const char *name, uint16_t base, uint32_t len,
			   const struct io_ops *ops, void *opaque)
{
	if (!len || base + len > 0x10000u || !ops) {
		errno = EINVAL;
		return NULL;
	}
	for (uint32_t p = base; p < base + len; p++) {
		if (vm->pio_map[p]) {
			errno = EBUSY;
			return NULL;
		}
	}
	struct pio_region *r = calloc(1, sizeof(*r));
	if (!r) {
		errno = ENOMEM;
		return NULL;
	}
	r->name = name;
	r->base = base;
	r->len = len;
	r->ops = ops;
	r->opaque = opaque;
	for (uint32_t p = base; p < base + len; p++)
		vm->pio_map[p] = r;
	return r;
}

void pio_del(struct vm *vm, struct pio_region *r)
{
	if (!r)
		return;
	for (uint32_t p = r->base; p < r->base + r->len; p++)
		if (vm->pio_map[p] == r)
			vm->pio_map[p] = NULL;
	free(r);
}

static unsigned ops_min(const struct io_ops *ops)
{
	return ops->min_size ? ops->min_size : 1;
}
static unsigned ops_max(const struct io_ops *ops)
{
	return ops->max_size ? ops->max_size : 4;
}

/*
 * One access of `size` bytes at offset off of a region with ops: accesses
 * wider than max_size are split into max_size pieces (little-endian);
 * narrower than min_size are widened to an aligned min_size access (reads
 * extract, writes are dropped as a bus error would leave them, and logged).
 */
static uint64_t io_dispatch_read(const struct io_ops *ops, void *opaque, uint64_t off, unsigned size)
{
	unsigned mx = ops_max(ops), mn = ops_min(ops);
	if (!ops->read)
		return ~0ull;
	if (size > mx) {
		uint64_t v = 0;
		for (unsigned i = 0; i < size; i += mx)
			v |= (ops->read(opaque, off + i, mx) & (mx == 8 ? ~0ull : (1ull << (mx * 8)) - 1))
			     << (i * 8);
		return v;
	}
	if (size < mn) {
		uint64_t aligned = off & ~(uint64_t)(mn - 1);
		uint64_t v = ops->read(opaque, aligned, mn);
		return v >> ((off - aligned) * 8);
	}
	return ops->read(opaque, off, size);
}

static void io_dispatch_write(const struct io_ops *ops, void *opaque, uint64_t off, uint64_t val,
			      unsigned size)
{
	unsigned mx = ops_max(ops), mn = ops_min(ops);
	if (!ops->write)
		return;
	if (size > mx) {
		for (unsigned i = 0; i < size; i += mx)
			ops->write(opaque, off + i, val >> (i * 8), mx);
		return;
	}
	if (size < mn) {
		/* Read-modify-write of the aligned unit. */
		uint64_t aligned = off & ~(uint64_t)(mn - 1);
		uint64_t cur = ops->read ? ops->read(opaque, aligned, mn) : 0;
		unsigned sh = (unsigned)(off - aligned) * 8;
		uint64_t m = (size == 8 ? ~0ull : (1ull << (size * 8)) - 1) << sh;
		ops->write(opaque, aligned, (cur & ~m) | ((val << sh) & m), mn);
		return;
	}
	ops->write(opaque, off, val, size);
}

static inline uint64_t size_bits(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

uint32_t pio_read(struct vm *vm, uint16_t port, unsigned size)
{
	struct pio_region *r = vm->pio_map[port];
	if (!r) {
		vm_log(vm, VM_LOG_GUEST_ERRORS, "unassigned port read 0x%x size %u\n", port, size);
		return (uint32_t)size_bits(size);
	}
	if ((uint32_t)port + size > (uint32_t)r->base + r->len) {
		/* Straddles the end of the region: byte by byte. */
		uint32_t v = 0;
		for (unsigned i = 0; i < size; i++)
			v |= (pio_read(vm, (uint16_t)(port + i), 1) & 0xff) << (i * 8);
		return v;
	}
	return (uint32_t)(io_dispatch_read(r->ops, r->opaque, port - r->base, size) & size_bits(size));
}

void pio_write(struct vm *vm, uint16_t port, uint32_t val, unsigned size)
{
	struct pio_region *r = vm->pio_map[port];
	if (!r) {
		vm_log(vm, VM_LOG_GUEST_ERRORS, "unassigned port write 0x%x size %u val 0x%x\n", port, size, val);
		return;
	}
	if ((uint32_t)port + size > (uint32_t)r->base + r->len) {
		for (unsigned i = 0; i < size; i++)
			pio_write(vm, (uint16_t)(port + i), (val >> (i * 8)) & 0xff, 1);
		return;
	}
	io_dispatch_write(r->ops, r->opaque, port - r->base, val & size_bits(size), size);
}

uint64_t mmio_read(struct vm *vm, struct mem_region *r, uint64_t paddr, unsigned size)
{
	(void)vm;
	return io_dispatch_read(r->ops, r->opaque, paddr - r->base, size) & size_bits(size);
}

void mmio_write(struct vm *vm, struct mem_region *r, uint64_t paddr, uint64_t val, unsigned size)
{
	(void)vm;
	io_dispatch_write(r->ops, r->opaque, paddr - r->base, val & size_bits(size), size);
}

/* --- bulk physical access ----------------------------------------- */

void phys_dirty(struct vm *vm, uint64_t paddr, size_t len)
{
	if (!len)
		return;
	uint64_t first = paddr & ~0xfffull, last = (paddr + len - 1) & ~0xfffull;
	for (uint64_t pg = first;; pg += 4096) {
		struct mem_region *r = mem_find(vm, pg);
		if (r && r->kind == MEM_RAM) {
			size_t idx = (size_t)((r->host + (pg - r->base)) - vm->ram) >> 12;
			if (vm->code_pages && idx < (vm->ram_size >> 12) &&
			    __atomic_load_n(&vm->code_pages[idx], __ATOMIC_RELAXED)) {
				__atomic_store_n(&vm->code_pages[idx], 0, __ATOMIC_RELAXED);
				if (vm->tbc)
					tb_invalidate_range(vm->tbc, pg, 4096);
			}
		}
		if (pg == last)
			break;
	}
}

/* Copy between buf and guest memory, region by region.  dir: 0 read,
 * 1 write, 2 load (writes ROM too). */
static int phys_rw(struct vm *vm, uint64_t paddr, void *buf, size_t len, int dir)
{
	uint8_t *b = buf;
	int ret = 0;
	while (len) {
		struct mem_region *r = mem_find(vm, paddr);
		size_t n;
		if (!r) {
			/* Up to the next region start (or the rest). */
			n = len;
			for (int i = 0; i < vm->nregions; i++) {
				uint64_t rb = vm->regions[i]->base;
				if (rb > paddr && rb - paddr < n)
					n = (size_t)(rb - paddr);
			}
			if (dir == 0)
				memset(b, 0xff, n);
			ret = -1;
		} else {
			uint64_t off = paddr - r->base;
			n = r->size - off < len ? (size_t)(r->size - off) : len;
			if (r->kind == MEM_MMIO) {
				for (size_t i = 0; i < n;) {
					unsigned sz = (n - i >= 4 && !((paddr + i) & 3)) ? 4 : 1;
					if (dir == 0) {
						uint64_t v = mmio_read(vm, r, paddr + i, sz);
						memcpy(b + i, &v, sz);
					} else {
						uint64_t v = 0;
						memcpy(&v, b + i, sz);
						mmio_write(vm, r, paddr + i, v, sz);
					}
					i += sz;
				}
			} else if (dir == 0) {
				memcpy(b, r->host + off, n);
			} else if (r->kind == MEM_RAM || dir == 2) {
				memcpy(r->host + off, b, n);
				if (r->kind == MEM_RAM)
					phys_dirty(vm, paddr, n);
			}
		}
		b += n;
		paddr += n;
		len -= n;
	}
	return ret;
}

int phys_read(struct vm *vm, uint64_t paddr, void *buf, size_t len)
{
	return phys_rw(vm, paddr, buf, len, 0);
}

int phys_write(struct vm *vm, uint64_t paddr, const void *buf, size_t len)
{
	return phys_rw(vm, paddr, (void *)buf, len, 1);
}

int phys_load(struct vm *vm, uint64_t paddr, const void *buf, size_t len)
{
	return phys_rw(vm, paddr, (void *)buf, len, 2);
}

void *phys_map(struct vm *vm, uint64_t paddr, size_t len, bool write)
{
	struct mem_region *r = mem_find(vm, paddr);
	if (!r || r->kind == MEM_MMIO || (write && r->kind == MEM_ROM))
		return NULL;
	uint64_t off = paddr - r->base;
	if (len > r->size - off)
		return NULL;
	return r->host + off;
}
