/*
 * The guest physical address space and port I/O space of a VM.
 *
 * Physical memory is a sorted list of regions: RAM and ROM are host memory
 * (guest code runs on them directly through the soft TLB); MMIO regions call
 * a device's ops.  Port I/O is a 64 KiB table of port -> region.  Devices
 * register regions at realize time; a PCI BAR move is a remove + add.
 * Accesses are made by vCPU threads (under the VM lock for MMIO/PIO, see
 * vm.h) and by DMA-capable devices through phys_rw / phys_map.
 */
#ifndef LEMU_CORE_MEMORY_H
#define LEMU_CORE_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;

/* MMIO and port I/O callbacks.  `off` is relative to the region start,
 * size is 1, 2, 4 or 8.  Accesses outside [min_size, max_size] are split
 * (or widened for reads) by the core before they reach the device; 0 means
 * 1 and 4 (8 for MMIO max when the device sets max_size = 8). */
struct io_ops {
	uint64_t (*read)(void *opaque, uint64_t off, unsigned size);
	void (*write)(void *opaque, uint64_t off, uint64_t val, unsigned size);
	unsigned min_size, max_size;
};

enum mem_kind { MEM_RAM, MEM_ROM, MEM_MMIO };

struct mem_region {
	const char *name;
	uint64_t base, size;
	enum mem_kind kind;
	uint8_t *host;            /* RAM/ROM */
	const struct io_ops *ops; /* MMIO */
	void *opaque;
	int priority;             /* higher wins where regions overlap */
	struct mem_region *next_dead; /* retired by mem_del, waiting for reuse */
};

struct pio_region {
	const char *name;
	uint16_t base;
	uint32_t len;
	const struct io_ops *ops;
	void *opaque;
};

/* Register regions; name must outlive the region (a literal or the
 * device's own string).  Return the region or NULL (errno set). */
struct mem_region *mem_add_ram(struct vm *vm, const char *name, uint64_t base, uint64_t size,
			       uint8_t *host, bool readonly);
struct mem_region *mem_add_mmio(struct vm *vm, const char *name, uint64_t base, uint64_t size,
				const struct io_ops *ops, void *opaque, int priority);
void mem_del(struct vm *vm, struct mem_region *r);
/* Move an MMIO region (PCI BAR reprogramming). */
void mem_move(struct vm *vm, struct mem_region *r, uint64_t new_base);

struct pio_region *pio_add(struct vm *vm, const char *name, uint16_t base, uint32_t len,
			   const struct io_ops *ops, void *opaque);
void pio_del(struct vm *vm, struct pio_region *r);

/* Region containing paddr (highest priority), or NULL (unassigned: reads
 * all ones, writes ignored). */
struct mem_region *mem_find(struct vm *vm, uint64_t paddr);

/* Port I/O as a CPU does it (IN/OUT); unassigned ports read all ones. */
uint32_t pio_read(struct vm *vm, uint16_t port, unsigned size);
void pio_write(struct vm *vm, uint16_t port, uint32_t val, unsigned size);

/* MMIO dispatch for a single access inside region r (size 1/2/4/8). */
uint64_t mmio_read(struct vm *vm, struct mem_region *r, uint64_t paddr, unsigned size);
void mmio_write(struct vm *vm, struct mem_region *r, uint64_t paddr, uint64_t val, unsigned size);

/* DMA / loader access to guest-physical memory: copies through RAM, ROM
 * (writes to ROM are dropped unless `force`), and MMIO.  Writes invalidate
 * translated code in the pages they touch.  Returns 0, or -1 if part of the
 * range is unassigned (that part reads as all ones). */
int phys_read(struct vm *vm, uint64_t paddr, void *buf, size_t len);
int phys_write(struct vm *vm, uint64_t paddr, const void *buf, size_t len);
/* Loader: write into RAM or ROM (firmware images). */
int phys_load(struct vm *vm, uint64_t paddr, const void *buf, size_t len);
/* Host pointer to [paddr, paddr+len) when it lies entirely in one RAM
 * region (zero-copy DMA for virtio), else NULL.  A caller that writes
 * through it must call phys_dirty() afterwards. */
void *phys_map(struct vm *vm, uint64_t paddr, size_t len, bool write);
void phys_dirty(struct vm *vm, uint64_t paddr, size_t len);

#endif
