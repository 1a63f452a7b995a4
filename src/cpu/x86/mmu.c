/*
 * System-mode memory: linear-to-physical translation (Intel SDM vol. 3
 * chapter 4), the soft TLB, and the slow path of cpu_mem() for misses, MMIO
 * and page-crossing accesses.  (In progress: see the session log.)
 */
#include "cpu.h"

void cpu_mem_commit(struct cpu *c)
{
	(void)c;
}
