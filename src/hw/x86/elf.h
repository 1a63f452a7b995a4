/*
 * Minimal ELF reader for the kernel loaders (PVH, multiboot): the header
 * and program headers of a little-endian x86 image, bounds-checked against
 * the file (a corrupt image gets an error, never an out-of-bounds read).
 */
#ifndef LEMU_HW_X86_ELF_H
#define LEMU_HW_X86_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PT_LOAD 1
#define PT_NOTE 4

struct elf_phdr {
	uint32_t type;
	uint64_t offset, paddr, vaddr, filesz, memsz;
};

struct elf_info {
	bool is64;
	uint64_t entry, phoff;
	unsigned phnum, phentsize;
};

/* 0 for a valid ELF32/ELF64 EM_386/EM_X86_64 image, else -1. */
int elf_parse(const uint8_t *img, size_t len, struct elf_info *ei);
/* Program header i; -1 if its file part lies outside the image. */
int elf_phdr(const uint8_t *img, size_t len, const struct elf_info *ei, unsigned i, struct elf_phdr *ph);

#endif
