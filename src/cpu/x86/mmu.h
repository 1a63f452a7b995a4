/* System-mode MMU internals shared by exec.c and the machine (mmu.c). */
#ifndef LEMU_CPU_X86_MMU_H
#define LEMU_CPU_X86_MMU_H

#include "cpu.h"

enum { ACC_R, ACC_W, ACC_X };

struct mmu_xlat {
	uint64_t phys;
	uint8_t prot; /* TLB_PROT_* allowed */
	bool large;
	bool global;
	uint64_t size; /* of the page that maps it: 4K, 2M, 4M or 1G */
};

/* mode: MMU_* (MMU_USER == true, MMU_KERNEL == false) */
uint32_t mmu_walk(struct cpu *c, uint64_t lin, int acc, int mode, struct mmu_xlat *x);
void *mmu_mem_slow(struct cpu *c, uint64_t lin, unsigned size, int write);
const uint8_t *mmu_code_page(struct cpu *c, uint64_t lin, uint64_t *phys);
void mmu_fetch_fault(struct cpu *c, uint64_t lin);
int mmu_debug_translate(struct cpu *c, uint64_t lin, uint64_t *phys);
/* Drop fast write tags for a physical page (it now holds code). */
void cpu_tlb_drop_write(struct cpu *c, uint64_t phys_page);

#endif
