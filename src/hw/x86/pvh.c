/*
 * PVH direct boot of an ELF kernel (Linux vmlinux and others) that carries
 * the XEN_ELFNOTE_PHYS32_ENTRY note (Xen's public/elfnote.h, type 18): the
 * PT_LOAD segments go to their physical addresses, and the kernel starts
 * at the note's address in flat 32-bit protected mode, paging off, with
 * EBX = the physical address of a struct hvm_start_info (Xen's
 * public/arch-x86/hvm/start_info.h, version 1 with the memory map).
 */
#include <stdlib.h>
#include <string.h>

#include "core/vm.h"
#include "hw/x86/elf.h"
#include "hw/x86/x86.h"
#include "util/error.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578u /* "xEn3" with the top bit of 'x' cleared */

/* hvm_start_info layout (version 1): 56 bytes. */
#define SI_MAGIC 0
#define SI_VERSION 4
#define SI_FLAGS 8
#define SI_NR_MODULES 12
#define SI_MODLIST 16
#define SI_CMDLINE 24
#define SI_RSDP 32
#define SI_MEMMAP 40
#define SI_MEMMAP_ENTRIES 48
#define SI_SIZE 56
#define SI_MEMMAP_OFF 64    /* our memmap follows the struct ... */
#define SI_MODLIST_OFF 0xc00 /* ... and the module list after it */

static uint64_t rd(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}
static void wr(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int elf_parse(const uint8_t *img, size_t len, struct elf_info *ei)
{
	if (len < 52 || memcmp(img, "\177ELF", 4) || img[5] != 1 /* ELFDATA2LSB */)
		return -1;
	ei->is64 = img[4] == 2;
	if (img[4] != 1 && img[4] != 2)
		return -1;
	if (ei->is64 && len < 64)
		return -1;
	uint32_t machine = (uint32_t)rd(img + 18, 2);
	if (machine != 3 && machine != 62) /* EM_386, EM_X86_64 */
		return -1;
	if (ei->is64) {
		ei->entry = rd(img + 24, 8);
		ei->phoff = rd(img + 32, 8);
		ei->phentsize = (unsigned)rd(img + 54, 2);
		ei->phnum = (unsigned)rd(img + 56, 2);
	} else {
		ei->entry = rd(img + 24, 4);
		ei->phoff = rd(img + 28, 4);
		ei->phentsize = (unsigned)rd(img + 42, 2);
		ei->phnum = (unsigned)rd(img + 44, 2);
	}
	if (ei->phentsize < (ei->is64 ? 56u : 32u) || ei->phoff > len ||
	    (uint64_t)ei->phnum * ei->phentsize > len - ei->phoff)
		return -1;
	return 0;
}

int elf_phdr(const uint8_t *img, size_t len, const struct elf_info *ei, unsigned i, struct elf_phdr *ph)
{
	const uint8_t *p = img + ei->phoff + (uint64_t)i * ei->phentsize;
	if (ei->is64) {
		ph->type = (uint32_t)rd(p, 4);
		ph->offset = rd(p + 8, 8);
		ph->vaddr = rd(p + 16, 8);
		ph->paddr = rd(p + 24, 8);
		ph->filesz = rd(p + 32, 8);
		ph->memsz = rd(p + 40, 8);
	} else {
		ph->type = (uint32_t)rd(p, 4);
		ph->offset = rd(p + 4, 4);
		ph->vaddr = rd(p + 8, 4);
		ph->paddr = rd(p + 12, 4);
		ph->filesz = rd(p + 16, 4);
		ph->memsz = rd(p + 20, 4);
	}
	/* The file part must lie inside the image. */
	if (ph->offset > len || ph->filesz > len - ph->offset)
		return -1;
	return 0;
}

int pvh_probe(const uint8_t *img, size_t len, uint32_t *entry)
{
	struct elf_info ei;
	if (elf_parse(img, len, &ei) < 0)
		return 0;
	for (unsigned i = 0; i < ei.phnum; i++) {
		struct elf_phdr ph;
		if (elf_phdr(img, len, &ei, i, &ph) < 0 || ph.type != PT_NOTE)
			continue;
		/* Notes: namesz, descsz, type, name and desc padded to 4 bytes. */
		uint64_t off = ph.offset, end = ph.offset + ph.filesz;
		while (end - off >= 12) {
			uint64_t namesz = rd(img + off, 4), descsz = rd(img + off + 4, 4);
			uint32_t type = (uint32_t)rd(img + off + 8, 4);
			uint64_t name = off + 12, desc = name + ((namesz + 3) & ~3ull);
			uint64_t next = desc + ((descsz + 3) & ~3ull);
			if (next > end || next <= off)
				break;
			if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 && !memcmp(img + name, "Xen", 4) &&
			    (descsz == 4 || descsz == 8)) {
				*entry = (uint32_t)rd(img + desc, 4);
				return 1;
			}
			off = next;
		}
	}
	return 0;
}

int pvh_load(struct x86_machine *m, uint32_t entry, struct error **errp)
{
	const struct vm_config *cfg = &m->vm->cfg;
	const uint8_t *img = m->boot.file;
	size_t len = m->boot.file_len;
	struct elf_info ei;
	uint64_t kernel_end = 0;

	if (elf_parse(img, len, &ei) < 0)
		goto corrupt;
	for (unsigned i = 0; i < ei.phnum; i++) {
		struct elf_phdr ph;
		if (elf_phdr(img, len, &ei, i, &ph) < 0)
			goto corrupt;
		if (ph.type != PT_LOAD || !ph.memsz)
			continue;
		if (ph.filesz > ph.memsz || ph.paddr + ph.memsz < ph.paddr || ph.paddr + ph.memsz > m->below_4g) {
			error_setg(errp, "-kernel '%s': segment at 0x%llx (%llu bytes) does not fit in guest memory",
				   cfg->kernel, (unsigned long long)ph.paddr, (unsigned long long)ph.memsz);
			return -1;
		}
		if (boot_add_blob(&m->boot, ph.paddr, img + ph.offset, ph.filesz, false) < 0 ||
		    boot_add_blob(&m->boot, ph.paddr + ph.filesz, NULL, ph.memsz - ph.filesz, false) < 0)
			goto nomem;
		if (ph.paddr + ph.memsz > kernel_end)
			kernel_end = ph.paddr + ph.memsz;
	}
	if (!kernel_end)
		goto corrupt;

	const char *append = cfg->append ? cfg->append : "";
	if (strlen(append) >= BOOT_CMDLINE_MAX) {
		error_setg(errp, "-append: kernel command line too long (%zu bytes; at most %u)", strlen(append),
			   BOOT_CMDLINE_MAX - 1);
		return -1;
	}
	uint8_t si[4096];
	memset(si, 0, sizeof(si));
	wr(si + SI_MAGIC, HVM_START_MAGIC, 4);
	wr(si + SI_VERSION, 1, 4);
	wr(si + SI_CMDLINE, BOOT_CMDLINE_ADDR, 8);
	wr(si + SI_RSDP, m->rsdp_addr, 8);
	/* hvm_memmap_table_entry: {u64 addr, u64 size, u32 type, u32 reserved} */
	for (int i = 0; i < m->e820.n; i++) {
		uint8_t *e = si + SI_MEMMAP_OFF + 24 * i;
		wr(e, m->e820.e[i].addr, 8);
		wr(e + 8, m->e820.e[i].size, 8);
		wr(e + 16, m->e820.e[i].type, 4);
	}
	wr(si + SI_MEMMAP, BOOT_PVH_INFO_ADDR + SI_MEMMAP_OFF, 8);
	wr(si + SI_MEMMAP_ENTRIES, (uint64_t)m->e820.n, 4);
	if (cfg->initrd) {
		m->boot.initrd = boot_read_file(cfg->initrd, "initrd", m->vm->ram_size, &m->boot.initrd_len, errp);
		if (!m->boot.initrd)
			return -1;
		uint64_t top = x86_initrd_limit(m);
		uint64_t low = (kernel_end + 0xfff) & ~0xfffull;
		if (m->boot.initrd_len > top || ((top - m->boot.initrd_len) & ~0xfffull) < low) {
			error_setg(errp, "-initrd '%s': %zu bytes do not fit in guest memory; give more memory with -m",
				   cfg->initrd, m->boot.initrd_len);
			return -1;
		}
		m->boot.initrd_addr = (top - m->boot.initrd_len) & ~0xfffull;
		if (boot_add_blob(&m->boot, m->boot.initrd_addr, m->boot.initrd, m->boot.initrd_len, false) < 0)
			goto nomem;
		/* hvm_modlist_entry: {u64 paddr, u64 size, u64 cmdline_paddr, u64 reserved} */
		uint8_t *mod = si + SI_MODLIST_OFF;
		wr(mod, m->boot.initrd_addr, 8);
		wr(mod + 8, m->boot.initrd_len, 8);
		wr(si + SI_NR_MODULES, 1, 4);
		wr(si + SI_MODLIST, BOOT_PVH_INFO_ADDR + SI_MODLIST_OFF, 8);
	}
	if (boot_add_blob(&m->boot, BOOT_PVH_INFO_ADDR, si, sizeof(si), true) < 0 ||
	    boot_add_blob(&m->boot, BOOT_CMDLINE_ADDR, append, strlen(append) + 1, true) < 0)
		goto nomem;
	m->boot.cmdline_addr = BOOT_CMDLINE_ADDR;
	m->boot.kind = BOOT_PVH;
	m->boot.eip = entry;
	m->boot.ebx = BOOT_PVH_INFO_ADDR;
	return 0;
corrupt:
	error_setg(errp, "-kernel '%s': corrupt ELF image", cfg->kernel);
	return -1;
nomem:
	error_setg(errp, "out of memory");
	return -1;
}
