/* sysguest-args: -cpu max */
/* Debug exceptions and SMEP/SMAP in 64-bit mode (Intel SDM vol. 3 ch. 17, §4.6), where lemu
 * translates memory accesses into inline soft-TLB probes: TF single-step over loads, stores,
 * PUSH/POP and a call; an instruction breakpoint; 8-byte data breakpoints on a variable and on
 * a stack slot; SMAP faults and STAC/CLAC around 64-bit loads, stores and a loop (the accesses
 * after STAC in the same block of code), SMEP. */
#include "guest.h"
#include "dbrec.h"

#define P 0x1ull
#define RW 0x2ull
#define US 0x4ull
#define PS 0x80ull
#define CR4_SMEP (1ul << 20)
#define CR4_SMAP (1ul << 21)
#define VBASE 0x8000000000ull	/* PML4 slot 1 */
#define PHYS 0x500000ull

extern uint64_t boot_pml4[];
static uint64_t pdpt2[512] __attribute__((aligned(4096)));
static uint64_t pd2[512] __attribute__((aligned(4096)));
static uint64_t pt2[512] __attribute__((aligned(4096)));

#define TF_ON "pushf; orq $0x100, (%%rsp); popf\n\t"
#define TF_OFF "pushf; andq $~0x100, (%%rsp); popf\n\t"

static volatile uint64_t var;

static void debug64(void)
{
	ulong base;
	printf("-- single step in 64-bit code\n");
	db_reset();
	asm volatile("lea 9f(%%rip), %0\n\t" TF_ON
		     "9: mov %1, %%rax\n\t"
		     "add $1, %%rax\n\t"
		     "mov %%rax, %1\n\t"
		     "push %%rax; pop %%rcx\n\t"
		     "call 1f\n\t"
		     "jmp 2f\n"
		     "1: ret\n"
		     "2:" TF_OFF
		     : "=&r"(base), "+m"(var) : : "rax", "rcx", "memory", "cc");
	db_report("tf over load, add, store, push, pop, call, ret, jmp", base);

	printf("-- breakpoints in 64-bit code\n");
	db_reset();
	db_set_rf = 1;
	ulong addr;
	asm volatile("lea 1f(%%rip), %0\n\t"
		     "jmp 2f\n"
		     "1: mov %%rcx, %%rax; dec %%rcx; jnz 1b; ret\n"
		     "2:"
		     : "=r"(addr));
	write_dr(0, addr);
	write_dr7(0x1);
	asm volatile("mov $2, %%ecx; call *%0" : : "r"(addr) : "rax", "rcx", "memory", "cc");
	write_dr7(0);
	db_report("dr0 execute, loop of 2", addr);

	/* 8-byte write breakpoint on a variable, read/write on a stack slot */
	db_reset();
	write_dr(2, (ulong)&var);
	write_dr7(0x10 | (1ul << 24) | (2ul << 26));	/* L2, R/W=01, LEN=10 (8 bytes) */
	asm volatile("lea 9f(%%rip), %0\n\t"
		     "9: mov %1, %%rax\n\t"
		     "movl $5, 4+%1\n\t"
		     "addq $2, %1\n\t"
		     "nop"
		     : "=&r"(base), "+m"(var) : : "rax", "memory", "cc");
	write_dr7(0);
	db_report("dr2 write len 8: read, write of its high half, add", base);
	db_reset();
	ulong slot;
	asm volatile("lea -16(%%rsp), %0" : "=r"(slot));
	write_dr(0, slot);
	write_dr7(0x1 | (3ul << 16) | (2ul << 18));	/* L0, R/W=11, LEN=8 */
	asm volatile("lea 9f(%%rip), %0\n\t"
		     "9: push %%rax\n\t"	/* rsp-8: not the slot */
		     "push %%rax\n\t"		/* rsp-16: the slot */
		     "pop %%rcx\n\t"
		     "pop %%rcx\n\t"
		     "nop"
		     : "=&r"(base) : : "rcx", "memory");
	write_dr7(0);
	db_report("dr0 read/write len 8 on a stack slot: push, push, pop, pop", base);
}

static uint64_t rd(uint64_t va)
{
	uint64_t v = 0;
	TRY("mov (%1), %0", : "=r"(v) : "r"(va) : "memory");
	return v;
}
static void wr(uint64_t va, uint64_t v)
{
	TRY("mov %0, (%1)", : : "r"(v), "r"(va) : "memory");
}

static void smap64(void)
{
	printf("-- smep and smap in 64-bit code\n");
	if (!cpu_has(7, 1, 7) || !cpu_has(7, 1, 20)) {
		printf("smep/smap not advertised\n");
		return;
	}
	memset(pdpt2, 0, sizeof(pdpt2));
	memset(pd2, 0, sizeof(pd2));
	memset(pt2, 0, sizeof(pt2));
	boot_pml4[1] = (ulong)pdpt2 | P | RW | US;
	pdpt2[0] = (ulong)pd2 | P | RW | US;
	pd2[0] = (ulong)pt2 | P | RW | US;
	pt2[0] = PHYS | P | RW | US;
	pt2[1] = (PHYS + 0x1000) | P | RW | US;
	for (int i = 0; i < 16; i++)
		*(volatile uint64_t *)(PHYS + 8 * i) = 0x1111000000000000ull + i;
	*(volatile uint8_t *)(PHYS + 0x1000) = 0xc3;
	/* the guest itself becomes supervisor-only (US clear in its PML4 entry) */
	uint64_t pml4_0 = boot_pml4[0];
	boot_pml4[0] &= ~US;
	write_cr3(read_cr3());
	write_cr4(read_cr4() | CR4_SMEP | CR4_SMAP);

	rd(VBASE);
	report_trap("smap, ac=0: read");
	wr(VBASE + 8, 1);
	report_trap("smap, ac=0: write");
	uint64_t a = 0, b = 0, sum = 0;
	TRY("stac\n\t"
	    "mov (%3), %0\n\t"
	    "mov 8(%3), %1\n\t"
	    "movq $0x77, 16(%3)\n\t"
	    "xor %2, %2\n\t"
	    "mov $4, %%ecx\n"
	    "2: add 24(%3,%%rcx,8), %2\n\t"
	    "dec %%ecx\n\t"
	    "jnz 2b\n\t"
	    "clac",
	    : "+r"(a), "+r"(b), "+r"(sum) : "r"(VBASE) : "rcx", "memory", "cc");
	report_trap("stac; loads, a store, a loop; clac");
	printf("read 0x%lx 0x%lx, sum 0x%lx, stored 0x%lx\n", a, b, sum, *(volatile uint64_t *)(PHYS + 16));
	TRY("stac; clac; mov (%0), %%rax", : : "r"(VBASE) : "rax", "memory");
	report_trap("stac; clac; then a load");
	TRY("clac; stac; mov (%0), %%rax; clac", : : "r"(VBASE) : "rax", "memory");
	report_trap("clac; stac; a load; clac");
	TRY("mov %%rsp, %%rcx; call *%0; 1: mov %%rcx, %%rsp", : : "r"(VBASE + 0x1000) : "rcx", "memory");
	report_trap("smep: call into a user page");

	write_cr4(read_cr4() & ~(CR4_SMEP | CR4_SMAP));
	boot_pml4[0] = pml4_0;
	boot_pml4[1] = 0;
	write_cr3(read_cr3());
	printf("smap off: read 0x%lx\n", rd(VBASE));
}

int main(void)
{
	trap_register(1, db_handler);
	debug64();
	smap64();
	return 0;
}
