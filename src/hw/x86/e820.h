/*
 * The BIOS E820 memory map (ACPI 6.4 §15 "System Address Map Interfaces"),
 * as given to Linux (boot_params.e820_table), PVH (hvm_memmap_table_entry),
 * multiboot (mmap) and firmware (fw_cfg "etc/e820").
 */
#ifndef LEMU_HW_X86_E820_H
#define LEMU_HW_X86_E820_H

#include <stdint.h>

#define E820_RAM 1
#define E820_RESERVED 2
#define E820_ACPI 3
#define E820_NVS 4
#define E820_MAX 32

struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
};

struct e820_table {
	int n;
	struct e820_entry e[E820_MAX];
};

/* Add [addr, addr+size) with type; later entries override earlier ones
 * where they overlap, and the table stays sorted and merged.  Returns 0 or
 * -ENOSPC. */
int e820_add(struct e820_table *t, uint64_t addr, uint64_t size, uint32_t type);
/* Bytes of type RAM in [lo, hi). */
uint64_t e820_ram_between(const struct e820_table *t, uint64_t lo, uint64_t hi);
/* Serialize as the 20-byte packed entries of Linux/fw_cfg ({u64 addr, u64
 * size, u32 type} little-endian).  Returns bytes written (max entries). */
int e820_pack(const struct e820_table *t, uint8_t *out, int max_entries);

#endif
