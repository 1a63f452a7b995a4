/* Long mode reached from the multiboot entry: CPU state as the 64-bit code sees it. */
#include "guest.h"

extern uint32_t mb_magic;

int main(void)
{
	ulong cs;
	asm volatile("mov %%cs, %0" : "=r"(cs));
	printf("multiboot magic 0x%x\n", mb_magic);
	printf("cs=0x%lx efer.lme=%lu efer.lma=%lu cr0.pg=%lu cr4.pae=%lu\n", cs, (ulong)(rdmsr(MSR_EFER) >> 8) & 1,
	       (ulong)(rdmsr(MSR_EFER) >> 10) & 1, read_cr0() >> 31, (read_cr4() >> 5) & 1);
	printf("64-bit arithmetic: 0x%lx\n", (ulong)0x123456789ull * 0x10001);
	return 0;
}
