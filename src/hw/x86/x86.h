/*
 * State shared by lemu's x86 machines (pc, microvm): the RAM layout, the
 * E820 map, firmware tables and the boot image.  vm->machine points to a
 * struct x86_machine (both machines start with it, so bus code can find
 * the PCI root bus of any x86 machine with x86_machine_of()).
 */
#ifndef LEMU_HW_X86_X86_H
#define LEMU_HW_X86_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/device.h"
#include "hw/x86/e820.h"

struct vm;
struct error;
struct cpu;
struct pci_bus;
struct fw_cfg;
struct piix_pm;
struct machine_class;

/* Fixed addresses of the PC platform. */
#define X86_IOAPIC_BASE 0xfec00000u
#define X86_LAPIC_BASE 0xfee00000u
#define X86_HPET_BASE 0xfed00000u
#define X86_BIOS_TOP 0x100000000ull /* the reset vector page ends at 4 GiB */

/* Low-memory scratch layout used by the direct kernel loaders (all below
 * 640 KiB; Linux reserves the first MiB itself). */
#define BOOT_GDT_ADDR 0x500        /* flat GDT: 0x10 code, 0x18 data, 0x20 TSS */
#define BOOT_PVH_INFO_ADDR 0x6000  /* hvm_start_info, memmap, modules (4 KiB) */
#define BOOT_ZERO_PAGE_ADDR 0x7000 /* Linux boot_params (4 KiB) */
#define BOOT_MBI_ADDR 0x9000       /* multiboot info, mmap, modules (8 KiB) */
#define BOOT_CMDLINE_ADDR 0x20000  /* kernel command line (up to 64 KiB) */
#define BOOT_CMDLINE_MAX 0x10000
#define BOOT_MB_STRINGS_ADDR 0x30000 /* multiboot module command lines (64 KiB) */

/* ACPI tables of a direct kernel boot live in the legacy BIOS area (the
 * guest scans it for the RSDP as well as reading the address we pass). */
#define ACPI_TABLES_ADDR 0xe0000u
#define ACPI_TABLES_MAX 0x20000u

/* A piece of guest memory the boot loader fills (copied again on reset). */
struct boot_blob {
	uint64_t paddr;
	uint8_t *data;  /* owned copy, or NULL: `len` zero bytes */
	size_t len;
	bool owned;     /* free data with the machine */
};

enum boot_kind { BOOT_NONE, BOOT_LINUX, BOOT_PVH, BOOT_MULTIBOOT, BOOT_FIRMWARE };

struct x86_boot {
	enum boot_kind kind;
	/* Entry of the BSP in flat 32-bit protected mode, paging off (all three
	 * direct loaders use it; BOOT_FIRMWARE starts at the reset vector). */
	uint32_t eip, eax, ebx, esi;
	struct boot_blob *blobs;
	int nblobs;
	uint8_t *file;  /* the -kernel file (kept: fw_cfg serves it) */
	size_t file_len;
	uint8_t *initrd;
	size_t initrd_len;
	uint64_t initrd_addr; /* where the loader put the initrd, 0 if none */
	/* fw_cfg items of a Linux kernel for firmware-driven boots */
	uint8_t *setup;
	size_t setup_len;
	uint32_t cmdline_addr;
};

struct x86_machine {
	struct device dev; /* first: the machine state is a device so that
			    * vm teardown (device_destroy_all) frees it */
	struct vm *vm;
	const struct machine_class *mc;
	uint64_t below_4g, above_4g; /* RAM split around the PCI hole */
	struct e820_table e820;
	struct pci_bus *pci;         /* NULL on microvm */
	struct fw_cfg *fw_cfg;
	struct piix_pm *pm;
	/* firmware tables as placed in guest memory (direct boot) */
	uint8_t *acpi;
	size_t acpi_len;
	uint64_t rsdp_addr;
	struct x86_boot boot;
};

static inline struct x86_machine *x86_machine_of(struct vm *vm);

/* Map guest RAM (vm->ram) as below_4g at 0 and the rest at 4 GiB. */
int x86_map_ram(struct x86_machine *m, uint64_t lowmem_limit, struct error **errp);
/* Build m->e820 for a direct boot (low RAM, BIOS area, RAM above 1 MiB). */
void x86_build_e820(struct x86_machine *m);

/* Boot loaders (linux.c, pvh.c, multiboot.c, bios.c).  x86_load_kernel
 * looks at -kernel (bzImage, then a PVH ELF, then multiboot) or -bios and
 * fills m->boot; it needs m->e820 and m->rsdp_addr. */
int x86_load_kernel(struct x86_machine *m, struct error **errp);
int linux_probe(const uint8_t *img, size_t len);
int linux_load(struct x86_machine *m, struct error **errp);
int pvh_probe(const uint8_t *img, size_t len, uint32_t *entry);
int pvh_load(struct x86_machine *m, uint32_t entry, struct error **errp);
int multiboot_probe(const uint8_t *img, size_t len);
int multiboot_load(struct x86_machine *m, struct error **errp);
int bios_load(struct x86_machine *m, struct error **errp);
/* Add a blob (copies data when copy is set; data NULL = zeros). */
int boot_add_blob(struct x86_boot *b, uint64_t paddr, const void *data, size_t len, bool copy);
/* Read a whole file (for -kernel, -initrd, -bios), bounded by max bytes. */
uint8_t *boot_read_file(const char *path, const char *what, size_t max, size_t *len,
			struct error **errp);
/* Guest bytes of RAM below 4 GiB usable for images loaded high (initrd). */
uint64_t x86_initrd_limit(struct x86_machine *m);

/* Write the boot blobs and set the BSP's entry state (machine reset). */
void x86_boot_apply(struct x86_machine *m);
/* Put a CPU in flat 32-bit protected mode, paging off, interrupts off,
 * CS=0x10 DS/ES/SS/FS/GS=0x18 (Linux's __BOOT_CS/__BOOT_DS) and TR=0x20. */
void x86_cpu_enter_flat32(struct cpu *c, uint32_t eip);
/* The flat GDT the entry state above refers to (written at BOOT_GDT_ADDR). */
void x86_boot_gdt(uint8_t out[40]);

/* Common machine construction (x86.c): create the state device (sets
 * vm->machine), split and map RAM, build the E820 map. */
struct x86_machine *x86_machine_new(struct vm *vm, const struct machine_class *mc, uint64_t lowmem,
				    struct error **errp);
/* CMOS memory-size bytes for firmware (after pc_isa_devices_init). */
void x86_cmos_init(struct x86_machine *m);
/* ACPI tables (placed at ACPI_TABLES_ADDR unless firmware boots the guest,
 * which gets them through fw_cfg), the boot image, fw_cfg items, and the
 * reset hook.  The last step of a machine's init. */
int x86_machine_finish(struct x86_machine *m, struct error **errp);
void x86_machine_free(struct x86_machine *m);
extern const struct device_class x86_machine_class;

#include "core/vm.h"
static inline struct x86_machine *x86_machine_of(struct vm *vm)
{
	return (struct x86_machine *)vm->machine;
}

#endif
