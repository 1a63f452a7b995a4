/*
 * Multiboot (version 0.6.96) loader: the header is searched in the first
 * 8 KiB, 32-bit aligned (spec §3.1.1); the image is loaded from the a.out
 * kludge address fields (flag 16) or from its ELF32 program headers; the
 * kernel starts in flat 32-bit protected mode with EAX = 0x2BADB002 and
 * EBX = the multiboot information structure (§3.2, §3.3).
 *
 * As QEMU does, the command line handed to the kernel is "KERNEL APPEND",
 * and -initrd is a comma-separated list of modules "path args" (",," is a
 * literal comma).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm.h"
#include "hw/x86/elf.h"
#include "hw/x86/x86.h"
#include "util/error.h"

#define MB_MAGIC 0x1badb002u
#define MB_BOOT_MAGIC 0x2badb002u
#define MB_SEARCH 8192
#define MB_F_PAGE_ALIGN 0x1
#define MB_F_MEMINFO 0x2
#define MB_F_VIDEO 0x4
#define MB_F_AOUT 0x10000
/* multiboot_info flags (§3.3) */
#define MBI_MEM 0x1
#define MBI_CMDLINE 0x4
#define MBI_MODS 0x8
#define MBI_MMAP 0x40
#define MBI_LOADER_NAME 0x200
#define MBI_SIZE 88
#define MBI_MMAP_OFF 0x100
#define MBI_MODS_OFF 0x600
#define MBI_NAME_OFF 0x1f00
#define MBI_MAX_MODS 64

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Offset of a valid header in the image, or -1. */
static long mb_find(const uint8_t *img, size_t len)
{
	size_t lim = len < MB_SEARCH ? len : MB_SEARCH;
	for (size_t off = 0; off + 12 <= lim; off += 4) {
		uint32_t magic = rd32(img + off), flags = rd32(img + off + 4), sum = rd32(img + off + 8);
		if (magic == MB_MAGIC && (uint32_t)(magic + flags + sum) == 0)
			return (long)off;
	}
	return -1;
}

int multiboot_probe(const uint8_t *img, size_t len)
{
	return mb_find(img, len) >= 0;
}

static int load_aout(struct x86_machine *m, const uint8_t *img, size_t len, size_t hoff, uint64_t *end,
		     struct error **errp)
{
	const char *path = m->vm->cfg.kernel;
	if (hoff + 32 > len) {
		error_setg(errp, "-kernel '%s': truncated multiboot header", path);
		return -1;
	}
	uint32_t header_addr = rd32(img + hoff + 12), load_addr = rd32(img + hoff + 16);
	uint32_t load_end = rd32(img + hoff + 20), bss_end = rd32(img + hoff + 24);
	uint32_t entry = rd32(img + hoff + 28);
	if (header_addr < load_addr || header_addr - load_addr > hoff) {
		error_setg(errp, "-kernel '%s': multiboot header_addr 0x%x is below load_addr 0x%x or outside the file",
			   path, header_addr, load_addr);
		return -1;
	}
	size_t file_off = hoff - (header_addr - load_addr);
	uint64_t size = load_end ? (uint64_t)load_end - load_addr : len - file_off;
	if (load_end && load_end < load_addr)
		size = ~0ull;
	if (size > len - file_off) {
		error_setg(errp, "-kernel '%s': multiboot load_end_addr 0x%x lies beyond the end of the file", path,
			   load_end);
		return -1;
	}
	uint64_t mem_end = load_addr + size;
	if (bss_end > mem_end)
		mem_end = bss_end;
	if (mem_end > m->below_4g) {
		error_setg(errp, "-kernel '%s': image (up to 0x%llx) does not fit in guest memory", path,
			   (unsigned long long)mem_end);
		return -1;
	}
	if (boot_add_blob(&m->boot, load_addr, img + file_off, size, false) < 0 ||
	    boot_add_blob(&m->boot, load_addr + size, NULL, mem_end - (load_addr + size), false) < 0)
		return -2;
	m->boot.eip = entry;
	*end = mem_end;
	return 0;
}

static int load_elf(struct x86_machine *m, const uint8_t *img, size_t len, uint64_t *end, struct error **errp)
{
	const char *path = m->vm->cfg.kernel;
	struct elf_info ei;
	if (elf_parse(img, len, &ei) < 0) {
		error_setg(errp, "-kernel '%s': multiboot kernel without address fields is not a valid ELF image",
			   path);
		return -1;
	}
	if (ei.is64) {
		error_setg(errp, "-kernel '%s': cannot load an x86-64 multiboot image, give a 32-bit one", path);
		return -1;
	}
	uint64_t entry = ei.entry, mem_end = 0;
	bool entry_found = false;
	for (unsigned i = 0; i < ei.phnum; i++) {
		struct elf_phdr ph;
		if (elf_phdr(img, len, &ei, i, &ph) < 0) {
			error_setg(errp, "-kernel '%s': corrupt ELF program header", path);
			return -1;
		}
		if (ph.type != PT_LOAD || !ph.memsz)
			continue;
		if (ph.filesz > ph.memsz || ph.paddr + ph.memsz > m->below_4g) {
			error_setg(errp, "-kernel '%s': segment at 0x%llx does not fit in guest memory", path,
				   (unsigned long long)ph.paddr);
			return -1;
		}
		if (boot_add_blob(&m->boot, ph.paddr, img + ph.offset, ph.filesz, false) < 0 ||
		    boot_add_blob(&m->boot, ph.paddr + ph.filesz, NULL, ph.memsz - ph.filesz, false) < 0)
			return -2;
		/* e_entry is virtual; translate through the segment holding it. */
		if (!entry_found && ei.entry >= ph.vaddr && ei.entry - ph.vaddr < ph.memsz) {
			entry = ph.paddr + (ei.entry - ph.vaddr);
			entry_found = true;
		}
		if (ph.paddr + ph.memsz > mem_end)
			mem_end = ph.paddr + ph.memsz;
	}
	if (!mem_end) {
		error_setg(errp, "-kernel '%s': ELF image has nothing to load", path);
		return -1;
	}
	m->boot.eip = (uint32_t)entry;
	*end = mem_end;
	return 0;
}

int multiboot_load(struct x86_machine *m, struct error **errp)
{
	const struct vm_config *cfg = &m->vm->cfg;
	const uint8_t *img = m->boot.file;
	size_t len = m->boot.file_len;
	long hoff = mb_find(img, len);
	uint32_t flags = rd32(img + hoff + 4);
	uint64_t end = 0;
	int r;

	/* §3.1.2: an unknown requirement in bits 0-15 must make the loader fail. */
	if (flags & 0xfff8) {
		error_setg(errp, "-kernel '%s': multiboot header requests unsupported features (flags 0x%x)",
			   cfg->kernel, flags);
		return -1;
	}
	r = (flags & MB_F_AOUT) ? load_aout(m, img, len, (size_t)hoff, &end, errp) : load_elf(m, img, len, &end, errp);
	if (r == -2)
		goto nomem;
	if (r < 0)
		return -1;

	uint8_t *mbi = calloc(1, 0x2000);
	char *strings = calloc(1, 0x10000);
	size_t spos = 0;
	if (!mbi || !strings) {
		free(mbi);
		free(strings);
		goto nomem;
	}
	r = -1;
	/* Command line: "kernel append". */
	const char *append = cfg->append ? cfg->append : "";
	size_t cl = strlen(cfg->kernel) + 1 + strlen(append) + 1;
	if (cl > BOOT_CMDLINE_MAX) {
		error_setg(errp, "-append: kernel command line too long");
		goto out;
	}
	char *cmdline = malloc(cl);
	if (!cmdline)
		goto out_nomem;
	snprintf(cmdline, cl, "%s%s%s", cfg->kernel, *append ? " " : "", append);
	int ok = boot_add_blob(&m->boot, BOOT_CMDLINE_ADDR, cmdline, strlen(cmdline) + 1, true);
	free(cmdline);
	if (ok < 0)
		goto out_nomem;

	uint32_t mbflags = MBI_MEM | MBI_CMDLINE | MBI_MMAP | MBI_LOADER_NAME;
	wr32(mbi + 4, 640);
	/* mem_upper: KiB of contiguous RAM from 1 MiB (§3.3). */
	uint64_t upper = 0;
	for (int i = 0; i < m->e820.n; i++)
		if (m->e820.e[i].type == E820_RAM && m->e820.e[i].addr == 0x100000)
			upper = m->e820.e[i].size >> 10;
	wr32(mbi + 8, upper > 0xffffffffu ? 0xffffffffu : (uint32_t)upper);
	wr32(mbi + 16, BOOT_CMDLINE_ADDR);
	/* mmap: {u32 size = 20, u64 base, u64 length, u32 type} */
	for (int i = 0; i < m->e820.n; i++) {
		uint8_t *e = mbi + MBI_MMAP_OFF + 24 * i;
		wr32(e, 20);
		wr32(e + 4, (uint32_t)m->e820.e[i].addr);
		wr32(e + 8, (uint32_t)(m->e820.e[i].addr >> 32));
		wr32(e + 12, (uint32_t)m->e820.e[i].size);
		wr32(e + 16, (uint32_t)(m->e820.e[i].size >> 32));
		wr32(e + 20, m->e820.e[i].type);
	}
	wr32(mbi + 44, 24u * (uint32_t)m->e820.n);
	wr32(mbi + 48, BOOT_MBI_ADDR + MBI_MMAP_OFF);
	static const char name[] = "lemu";
	memcpy(mbi + MBI_NAME_OFF, name, sizeof(name));
	wr32(mbi + 64, BOOT_MBI_ADDR + MBI_NAME_OFF);

	/* Modules go right after the kernel, page aligned. */
	if (cfg->initrd) {
		uint64_t at = (end + 0xfff) & ~0xfffull;
		int nmods = 0;
		const char *p = cfg->initrd;
		while (*p) {
			char spec[4096];
			size_t sl = 0;
			for (; *p; p++) {
				if (*p == ',' && p[1] == ',')
					p++;
				else if (*p == ',')
					break;
				if (sl + 1 >= sizeof(spec)) {
					error_setg(errp, "-initrd: module specification too long");
					goto out;
				}
				spec[sl++] = *p;
			}
			spec[sl] = 0;
			if (*p == ',')
				p++;
			if (!sl)
				continue;
			if (nmods >= MBI_MAX_MODS) {
				error_setg(errp, "-initrd: more than %d multiboot modules", MBI_MAX_MODS);
				goto out;
			}
			char *sp = strchr(spec, ' ');
			char pathbuf[4096];
			size_t pl = sp ? (size_t)(sp - spec) : sl;
			memcpy(pathbuf, spec, pl);
			pathbuf[pl] = 0;
			size_t mlen;
			uint8_t *data = boot_read_file(pathbuf, "multiboot module", m->vm->ram_size, &mlen, errp);
			if (!data)
				goto out;
			if (at + mlen > m->below_4g) {
				error_setg(errp, "-initrd: module '%s' does not fit in guest memory", pathbuf);
				free(data);
				goto out;
			}
			if (boot_add_blob(&m->boot, at, data, mlen, true) < 0) {
				free(data);
				goto out_nomem;
			}
			free(data);
			if (spos + sl + 1 > 0x10000) {
				error_setg(errp, "-initrd: module command lines too long");
				goto out;
			}
			memcpy(strings + spos, spec, sl + 1);
			uint8_t *mod = mbi + MBI_MODS_OFF + 16 * nmods;
			wr32(mod, (uint32_t)at);
			wr32(mod + 4, (uint32_t)(at + mlen));
			wr32(mod + 8, BOOT_MB_STRINGS_ADDR + (uint32_t)spos);
			spos += sl + 1;
			at = (at + mlen + 0xfff) & ~0xfffull;
			nmods++;
		}
		wr32(mbi + 20, (uint32_t)nmods);
		wr32(mbi + 24, BOOT_MBI_ADDR + MBI_MODS_OFF);
		mbflags |= MBI_MODS;
		if (boot_add_blob(&m->boot, BOOT_MB_STRINGS_ADDR, strings, spos ? spos : 1, true) < 0)
			goto out_nomem;
	}
	wr32(mbi, mbflags);
	if (boot_add_blob(&m->boot, BOOT_MBI_ADDR, mbi, 0x2000, true) < 0)
		goto out_nomem;
	m->boot.kind = BOOT_MULTIBOOT;
	m->boot.eax = MB_BOOT_MAGIC;
	m->boot.ebx = BOOT_MBI_ADDR;
	m->boot.cmdline_addr = BOOT_CMDLINE_ADDR;
	r = 0;
	goto out;
out_nomem:
	error_setg(errp, "out of memory");
out:
	free(mbi);
	free(strings);
	return r;
nomem:
	error_setg(errp, "out of memory");
	return -1;
}
