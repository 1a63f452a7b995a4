/* sysguest-args: -cpu max */
/* Long mode: 4-level paging with 4 KiB, 2 MiB and 1 GiB pages, NX, #PF error codes and CR2,
 * non-canonical addresses, exceptions through 64-bit gates, IST stacks, IRETQ to ring 3,
 * SYSCALL/SYSRET (64-bit and compat), SWAPGS, compatibility-mode code segments.
 * (Intel SDM vol. 3 §4.5, §6.14, §5.8.8; AMD APM vol. 2 §6.1.) */
#include "guest.h"

#define P 0x1ull
#define RW 0x2ull
#define US 0x4ull
#define A 0x20ull
#define D 0x40ull
#define PS 0x80ull
#define NX (1ull << 63)

extern uint64_t boot_pml4[], boot_pdpt[];
static uint64_t pdpt2[512] __attribute__((aligned(4096)));	/* 512 GiB .. : test window */
static uint64_t pd2[512] __attribute__((aligned(4096)));
static uint64_t pt2[512] __attribute__((aligned(4096)));
#define VBASE 0x8000000000ull	/* PML4 slot 1 */
#define PHYS 0x500000ull

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

static void paging(void)
{
	printf("-- 4-level paging\n");
	int nx = HAS_NX(), gb = HAS_1G();
	for (int i = 0; i < 8; i++)
		*(volatile uint64_t *)(PHYS + i * 0x1000) = 0xf00d0000ull + i;
	*(volatile uint64_t *)0x600000 = 0x1616161616ull;	/* 1 GiB page targets */
	*(volatile uint64_t *)0x723458 = 0x1717171717ull;
	*(volatile uint8_t *)(PHYS + 0x3000) = 0xc3;
	*(volatile uint8_t *)(PHYS + 0x4000) = 0xc3;
	if (nx)
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | (1 << 11));
	boot_pml4[1] = (ulong)pdpt2 | P | RW | US;
	pdpt2[0] = (ulong)pd2 | P | RW | US;
	if (gb)
		pdpt2[1] = 0 | P | RW | PS;	/* a 1 GiB page at VBASE+1G: physical 0-1G */
	pd2[0] = (ulong)pt2 | P | RW | US;
	pd2[1] = 0x200000ull | P | RW | PS | US;	/* 2 MiB page */
	pt2[0] = PHYS | P | RW;
	pt2[1] = (PHYS + 0x1000) | P;
	pt2[3] = (PHYS + 0x3000) | P | RW | (nx ? NX : 0);
	pt2[4] = (PHYS + 0x4000) | P | RW;
	pt2[5] = (PHYS + 0x5000) | P | RW | (1ull << 7);	/* PAT bit in a PTE: not reserved */
	write_cr3(read_cr3());
	printf("read 0x%lx 0x%lx\n", rd(VBASE), rd(VBASE + 0x1000));
	printf("read 2M page: 0x%lx\n", rd(VBASE + 0x200000 + 0x300000 - 0x200000) == *(volatile uint64_t *)0x300000 ? 1ul : 0ul);
	if (gb) {
		printf("1G page: 0x%lx 0x%lx\n", rd(VBASE + 0x40600000), rd(VBASE + 0x40723458));
		printf("1G pdpte: A=%d D=%d\n", !!(pdpt2[1] & A), !!(pdpt2[1] & D));
		wr(VBASE + 0x40000100, 1);
		printf("1G pdpte after write: A=%d D=%d\n", !!(pdpt2[1] & A), !!(pdpt2[1] & D));
	} else {
		printf("1G pages not advertised\n");
	}
	rd(VBASE + 0x2000);
	report_trap("read not-present pte");
	rd(VBASE + 0x600000);
	report_trap("read not-present pde");
	rd(VBASE * 3);
	report_trap("read not-present pml4e");
	wr(VBASE + 0x1008, 1);
	report_trap("write read-only (cr0.wp=0)");
	write_cr0(read_cr0() | (1ul << 16));
	wr(VBASE + 0x1008, 1);
	report_trap("write read-only (cr0.wp=1)");
	printf("pte: A=%d D=%d\n", !!(pt2[1] & A), !!(pt2[1] & D));
	TRY("mov %%rsp, %%rcx; call *%0; 1: mov %%rcx, %%rsp", : : "r"(VBASE + 0x4000) : "rcx", "memory");
	report_trap("call into an executable page");
	if (nx) {
		TRY("mov %%rsp, %%rcx; call *%0; 1: mov %%rcx, %%rsp", : : "r"(VBASE + 0x3000) : "rcx", "memory");
		report_trap("call into a no-execute page");
	}
	/* a reserved bit (bit 51 is above every MAXPHYADDR QEMU and lemu give... but depends on it;
	 * PS in a PML4E is reserved on every CPU) */
	boot_pml4[2] = (ulong)pdpt2 | P | RW | PS;
	write_cr3(read_cr3());
	rd(VBASE * 2);
	printf("PS set in a pml4e: vector %d rsvd=%lu cr2=0x%lx\n", last_trap.vector, (last_trap.err >> 3) & 1,
	       last_trap.cr2);
	boot_pml4[2] = 0;
	/* INVLPG */
	pt2[0] = (PHYS + 0x6000) | P | RW;
	invlpg((void *)VBASE);
	printf("after remap and invlpg: 0x%lx\n", rd(VBASE));
	/* non-canonical addresses: #GP(0), or #SS(0) through RSP */
	rd(0x0000800000000000ull);
	report_trap("read at 0x0000800000000000");
	rd(0xffff7fffffffffffull);
	report_trap("read at 0xffff7fffffffffff");
	/* (A push through a non-canonical RSP is #SS(0) by the SDM; QEMU 7.2 raises #GP(0):
	 * not compared.) */
	TRY("jmp *%0", : : "r"(0x0000800000000000ull));
	report_trap("jmp to a non-canonical address");
}

/* ---- exceptions in long mode and IST */
static volatile ulong ist_rsp, ist_err, ist_vec;
static uint8_t ist_stack[4096] __attribute__((aligned(16)));
static void on_ist(struct frame *f)
{
	ist_rsp = (ulong)f;
	ist_err = f->err;
	ist_vec = f->vector;
	f->ip = trap_fixup;
	trap_fixup = 0;
}

static void exceptions(void)
{
	printf("-- exceptions\n");
	volatile int zero = 0;
	TRY("divl %0", : "+m"(zero) : "a"(1), "d"(0));
	report_trap("div by zero");
	TRY("ud2",);
	report_trap("ud2");
	TRY(".byte 0xce",);	/* INTO is invalid in 64-bit mode */
	report_trap("into in 64-bit mode");
	TRY("mov $0x3f8, %%eax; mov %%ax, %%ds", : : : "eax");
	report_trap("mov ds, beyond gdt");
	TRY("xor %%eax, %%eax; mov %%ax, %%ss", : : : "eax");
	report_trap("mov ss, null at cpl 0 in 64-bit mode");
	asm volatile("mov %0, %%ss" : : "r"(SEL_DATA64));
	idt_clear_present(0x41);
	TRY("int $0x41",);
	/* The error code's index is the vector (SDM vol. 3 §6.13: 0x20a here); QEMU 7.2 reports
	 * vector * 16 in long mode (0x412), so only the vector and the IDT bit are compared. */
	printf("int 0x41, gate not present: %s idt=%lu\n", vector_name(last_trap.vector),
	       (ulong)((last_trap.err >> 1) & 1));
	idt_set_default(0x41, 0);
	/* #DF on an IST stack: #DE with its gate not present */
	tss_set_ist(1, (ulong)ist_stack + sizeof(ist_stack));
	idt_set(8, vec_table[8], SEL_CODE64, GATE_INT, 1);
	trap_register(8, on_ist);
	idt_clear_present(0);
	TRY("divl %0", : "+m"(zero) : "a"(1), "d"(0));
	printf("double fault: vector %lu err=0x%lx on the IST stack: %s\n", ist_vec, ist_err,
	       ist_rsp >= (ulong)ist_stack && ist_rsp < (ulong)ist_stack + sizeof(ist_stack) ? "yes" : "no");
	idt_set_default(0, 0);
	trap_register(8, 0);
	/* a software interrupt through an IST gate */
	idt_set(0x42, vec_table[0x42], SEL_CODE64, GATE_INT, 1);
	trap_register(0x42, on_ist);
	ist_rsp = 0;
	TRY("int $0x42",);
	printf("int 0x42 with ist 1: on the IST stack: %s\n",
	       ist_rsp >= (ulong)ist_stack && ist_rsp < (ulong)ist_stack + sizeof(ist_stack) ? "yes" : "no");
	trap_register(0x42, 0);
	idt_set_default(0x42, 0);
	/* the stack is 16-byte aligned at delivery (SDM vol. 3 §6.14.2) */
	ulong frame_align = 0;
	trap_register(0x43, on_ist);
	asm volatile("sub $8, %%rsp; mov $1f, %%rax; mov %%rax, trap_fixup; int $0x43; 1: add $8, %%rsp" ::: "rax", "memory");
	frame_align = (ist_rsp + 15 * 8 + 7 * 8) & 15;
	printf("int from a misaligned stack: frame end aligned: %s\n", frame_align == 0 ? "yes" : "no");
	trap_register(0x43, 0);
}

/* ---- ring 3, SYSCALL/SYSRET, SWAPGS */
static void user_cs(void)
{
	ulong cs, ss;
	asm volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(cs), "=r"(ss));
	user_return(cs << 16 | ss);
}

static void user_priv(void)
{
	TRY("hlt",);
	user_return(last_trap.vector == 13 ? last_trap.err + 0x1000 : 0xbad);
}

static void user_swapgs(void)
{
	TRY("swapgs",);
	user_return(last_trap.vector);
}

void syscall_entry(void);
static volatile ulong sc_rcx, sc_r11, sc_flags, sc_cs, sc_ss, sc_gs;
asm(".text\n"
    "syscall_entry:\n"
    "	swapgs\n"
    "	mov %rcx, sc_rcx\n"
    "	mov %r11, sc_r11\n"
    "	pushfq\n"
    "	popq sc_flags\n"
    "	mov %cs, %rax\n"
    "	mov %rax, sc_cs\n"
    "	mov %ss, %rax\n"
    "	mov %rax, sc_ss\n"
    "	mov %gs:0, %rax\n"
    "	mov %rax, sc_gs\n"
    "	swapgs\n"
    "	sysretq\n");

static void user_syscall(void)
{
	ulong cs, flags;
	/* AC and DF set before SYSCALL: FMASK clears DF in the kernel, SYSRET restores both */
	asm volatile("pushfq; orq $0x40400, (%%rsp); popfq; syscall; pushfq; pop %1; cld; mov %%cs, %0"
		     : "=r"(cs), "=r"(flags) : : "rcx", "r11", "rax", "memory");
	user_return(cs << 32 | (flags & 0x40400));
}

static uint64_t gs_kernel_area[4] = { 0x6565656565ull };

static void rings(void)
{
	printf("-- ring 3\n");
	ulong r = run_user(user_cs);
	printf("ring 3: cs=0x%lx ss=0x%lx\n", r >> 16, r & 0xffff);
	r = run_user(user_priv);
	printf("hlt at ring 3: 0x%lx\n", r);
	r = run_user(user_swapgs);
	printf("swapgs at ring 3: %s\n", vector_name((int)r));
	if (!HAS_SYSCALL()) {
		printf("syscall not advertised\n");
		return;
	}
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | 1);	/* SCE */
	wrmsr(MSR_STAR, (uint64_t)(SEL_UCODE32C & ~3) << 48 | (uint64_t)SEL_CODE64 << 32);
	wrmsr(MSR_LSTAR, (ulong)syscall_entry);
	wrmsr(MSR_FMASK, 0x400);	/* DF cleared on entry */
	wrmsr(MSR_GS_BASE, 0);
	wrmsr(MSR_KERNEL_GS_BASE, (ulong)gs_kernel_area);
	r = run_user(user_syscall);
	printf("syscall: kernel cs=0x%lx ss=0x%lx, rcx=return address: %s, r11 AC|DF=0x%lx, "
	       "flags in kernel DF=%lu AC=%lu, gs:0=0x%lx\n", sc_cs, sc_ss, sc_rcx ? "yes" : "no",
	       sc_r11 & 0x40400, (sc_flags >> 10) & 1, (sc_flags >> 18) & 1, sc_gs);
	printf("sysret: cs=0x%lx, flags restored AC|DF=0x%lx\n", r >> 32, r & 0xffffffff);
	printf("after: gs base 0x%lx, kernel gs base is the area: %s\n", (ulong)rdmsr(MSR_GS_BASE),
	       rdmsr(MSR_KERNEL_GS_BASE) == (ulong)gs_kernel_area ? "yes" : "no");
}

/* ---- compatibility mode: a 32-bit code segment under long mode */
static volatile uint32_t compat_push_size, compat_cs;
void compat_code(void);
asm(".text\n"
    ".code32\n"
    "compat_code:\n"
    "	mov %esp, %eax\n"
    "	push %eax\n"
    "	sub %esp, %eax\n"
    "	pop %ecx\n"
    "	mov %eax, compat_push_size\n"
    "	mov %cs, %eax\n"
    "	mov %eax, compat_cs\n"
    "	lret\n"
    ".code64\n");

static void compat(void)
{
	printf("-- compatibility mode\n");
	/* far call through a 16:32 pointer to the 32-bit ring-0 code segment; LRET in 32-bit
	 * code pops a 32-bit EIP and CS (the stack is below 4 GiB) */
	static struct __attribute__((packed)) {
		uint32_t off;
		uint16_t sel;
	} fp;
	fp.off = (uint32_t)(ulong)compat_code;
	fp.sel = SEL_CODE32;
	asm volatile("lcall *%0" : : "m"(fp) : "rax", "rcx", "memory");
	printf("compat: cs=0x%x, push size %u\n", compat_cs, compat_push_size);
}

int main(void)
{
	paging();
	exceptions();
	rings();
	compat();
	return 0;
}
