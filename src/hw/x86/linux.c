/*
 * Linux/x86 boot protocol for a bzImage (Documentation/arch/x86/boot.rst),
 * through its 32-bit entry ("32-bit boot protocol"): lemu builds the zero
 * page (struct boot_params) itself, loads the protected-mode kernel at
 * 1 MiB and jumps to it in flat protected mode with ESI = zero page.  The
 * real-mode setup code is never run (it would need a BIOS).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm.h"
#include "hw/x86/x86.h"
#include "util/error.h"

/* Offsets in the zero page / the bzImage's first sectors (boot.rst,
 * "THE REAL-MODE KERNEL HEADER" and "ZERO PAGE"). */
#define BP_ACPI_RSDP 0x070
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_ALT_MEM_K 0x1e0
#define BP_E820_ENTRIES 0x1e8
#define BP_SENTINEL 0x1ef
#define BP_E820_TABLE 0x2d0
#define BP_E820_MAX 128
#define HDR_SETUP_SECTS 0x1f1
#define HDR_VID_MODE 0x1fa
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP 0x200
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_CODE32_START 0x214
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_HEAP_END_PTR 0x224
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_CMDLINE_SIZE 0x238
#define HDR_SETUP_DATA 0x250
#define LOADED_HIGH 0x01
#define CAN_USE_HEAP 0x80
#define KERNEL_LOAD_ADDR 0x100000u

static uint32_t rd16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | rd16(p + 2) << 16; }
static void wr16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, v); wr16(p + 2, v >> 16); }
static void wr64(uint8_t *p, uint64_t v) { wr32(p, (uint32_t)v); wr32(p + 4, (uint32_t)(v >> 32)); }

int linux_probe(const uint8_t *img, size_t len)
{
	return len >= 0x400 && rd32(img + HDR_MAGIC) == 0x53726448; /* "HdrS" */
}

/* Place the initrd as high as allowed (boot.rst: "as high as possible
 * below initrd_addr_max"), page aligned, above the kernel. */
static int place_initrd(struct x86_machine *m, uint64_t max_addr, uint64_t low, struct error **errp)
{
	const struct vm_config *cfg = &m->vm->cfg;
	uint64_t top = x86_initrd_limit(m);
	if (max_addr + 1 < top)
		top = max_addr + 1;
	if (m->boot.initrd_len > top || ((top - m->boot.initrd_len) & ~0xfffull) < low) {
		error_setg(errp, "-initrd '%s': %zu bytes do not fit in guest memory below 0x%llx "
			   "(above the kernel at 0x%llx); give more memory with -m", cfg->initrd,
			   m->boot.initrd_len, (unsigned long long)top, (unsigned long long)low);
		return -1;
	}
	m->boot.initrd_addr = (top - m->boot.initrd_len) & ~0xfffull;
	if (boot_add_blob(&m->boot, m->boot.initrd_addr, m->boot.initrd, m->boot.initrd_len, false) < 0) {
		error_setg(errp, "out of memory");
		return -1;
	}
	return 0;
}

int linux_load(struct x86_machine *m, struct error **errp)
{
	const struct vm_config *cfg = &m->vm->cfg;
	const uint8_t *img = m->boot.file;
	size_t len = m->boot.file_len;
	uint32_t version = rd16(img + HDR_VERSION);

	if (rd16(img + HDR_BOOT_FLAG) != 0xaa55) {
		error_setg(errp, "-kernel '%s': bad boot sector signature", cfg->kernel);
		return -1;
	}
	/* 2.04 gives a 32-bit syssize and LOADED_HIGH kernels; older ones need
	 * their real-mode setup code to run. */
	if (version < 0x204 || !(img[HDR_LOADFLAGS] & LOADED_HIGH)) {
		error_setg(errp, "-kernel '%s': Linux boot protocol %u.%02u (or a zImage) is too old; "
			   "lemu loads bzImage kernels with protocol 2.04 or later", cfg->kernel, version >> 8,
			   version & 0xff);
		return -1;
	}
	unsigned setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
	size_t setup_len = (setup_sects + 1) * 512u;
	/* The header runs from 0x1f1 to 0x202 + the jump's offset byte. */
	size_t hdr_end = 0x202 + img[HDR_JUMP + 1];
	if (setup_len >= len || hdr_end > setup_len || hdr_end > 0x290) {
		error_setg(errp, "-kernel '%s': truncated or corrupt bzImage header", cfg->kernel);
		return -1;
	}
	size_t kernel_len = len - setup_len;
	if (KERNEL_LOAD_ADDR + kernel_len > m->below_4g) {
		error_setg(errp, "-kernel '%s': the kernel (%zu bytes) does not fit in guest memory", cfg->kernel,
			   kernel_len);
		return -1;
	}
	uint32_t cmdline_max = version >= 0x206 ? rd32(img + HDR_CMDLINE_SIZE) : 255;
	if (cmdline_max >= BOOT_CMDLINE_MAX)
		cmdline_max = BOOT_CMDLINE_MAX - 1;
	const char *append = cfg->append ? cfg->append : "";
	if (strlen(append) > cmdline_max) {
		error_setg(errp, "-append: kernel command line too long (%zu bytes; this kernel takes %u)",
			   strlen(append), cmdline_max);
		return -1;
	}

	/* Zero page: zeroed, then the setup header copied from the image. */
	uint8_t *bp = calloc(1, 4096);
	if (!bp) {
		error_setg(errp, "out of memory");
		return -1;
	}
	memcpy(bp + HDR_SETUP_SECTS, img + HDR_SETUP_SECTS, hdr_end - HDR_SETUP_SECTS);
	bp[HDR_TYPE_OF_LOADER] = 0xff; /* undefined boot loader */
	bp[HDR_LOADFLAGS] |= CAN_USE_HEAP;
	wr16(bp + HDR_HEAP_END_PTR, 0xfe00);
	wr16(bp + HDR_VID_MODE, 0xffff); /* "normal" */
	wr32(bp + HDR_CODE32_START, KERNEL_LOAD_ADDR);
	wr32(bp + HDR_CMD_LINE_PTR, BOOT_CMDLINE_ADDR);
	bp[BP_SENTINEL] = 0;
	if (version >= 0x209)
		wr64(bp + HDR_SETUP_DATA, 0);
	if (m->rsdp_addr)
		wr64(bp + BP_ACPI_RSDP, m->rsdp_addr); /* protocol 2.14; older kernels scan for it */

	/* E820 (boot.rst "ZERO PAGE": e820_table, e820_entries). */
	int n = e820_pack(&m->e820, bp + BP_E820_TABLE, BP_E820_MAX) / 20;
	bp[BP_E820_ENTRIES] = (uint8_t)n;
	uint64_t ext_k = e820_ram_between(&m->e820, 0x100000, m->below_4g) >> 10;
	wr32(bp + BP_ALT_MEM_K, ext_k > 0xffffffffu ? 0xffffffffu : (uint32_t)ext_k);

	int r = -1;
	if (cfg->initrd) {
		m->boot.initrd = boot_read_file(cfg->initrd, "initrd", m->vm->ram_size, &m->boot.initrd_len, errp);
		if (!m->boot.initrd)
			goto out;
		uint64_t max = version >= 0x203 ? rd32(img + HDR_INITRD_ADDR_MAX) : 0x37ffffff;
		if (place_initrd(m, max, KERNEL_LOAD_ADDR + kernel_len, errp) < 0)
			goto out;
		wr32(bp + HDR_RAMDISK_IMAGE, (uint32_t)m->boot.initrd_addr);
		wr32(bp + HDR_RAMDISK_SIZE, (uint32_t)m->boot.initrd_len);
		wr32(bp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(m->boot.initrd_addr >> 32));
		wr32(bp + BP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)m->boot.initrd_len >> 32));
	}
	wr32(bp + BP_EXT_CMD_LINE_PTR, 0);

	if (boot_add_blob(&m->boot, BOOT_ZERO_PAGE_ADDR, bp, 4096, true) < 0 ||
	    boot_add_blob(&m->boot, BOOT_CMDLINE_ADDR, append, strlen(append) + 1, true) < 0 ||
	    boot_add_blob(&m->boot, KERNEL_LOAD_ADDR, img + setup_len, kernel_len, false) < 0) {
		error_setg(errp, "out of memory");
		goto out;
	}
	/* Firmware-driven boots (fw_cfg kernel/setup items) get the setup part. */
	m->boot.setup = malloc(setup_len);
	if (m->boot.setup) {
		memcpy(m->boot.setup, img, setup_len);
		memcpy(m->boot.setup + HDR_SETUP_SECTS, bp + HDR_SETUP_SECTS, hdr_end - HDR_SETUP_SECTS);
		m->boot.setup_len = setup_len;
	}
	m->boot.cmdline_addr = BOOT_CMDLINE_ADDR;
	m->boot.kind = BOOT_LINUX;
	m->boot.eip = KERNEL_LOAD_ADDR;
	m->boot.esi = BOOT_ZERO_PAGE_ADDR; /* boot.rst: %esi holds the base of boot_params */
	r = 0;
out:
	free(bp);
	return r;
}
