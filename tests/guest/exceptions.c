/* Exceptions and interrupts in 32-bit protected mode: the vector and error code of each fault
 * (Intel SDM vol. 3 §6.15), faulting vs trapping return addresses, double fault, IRET to
 * ring 3, traps from ring 3 with the TSS stack switch, INT n privilege checks, call gates with
 * parameter copy, SYSENTER/SYSEXIT, #GP on segment limits and privilege. */
#include "guest.h"

static volatile ulong seen_ip, seen_cs, seen_sp_user;
static volatile unsigned ticks;

static void bp_handler(struct frame *f)
{
	seen_ip = f->ip;
	seen_cs = f->cs;
}

static void test_basic_faults(void)
{
	volatile int zero = 0;
	TRY("divl %0", : : "m"(zero), "a"(1), "d"(0));
	report_trap("div by zero");
	TRY("ud2",);
	report_trap("ud2");
	/* INTO with OF=1 is a trap: #OF */
	TRY("mov $0x7fffffff, %%eax; add $1, %%eax; into", : : : "eax");
	report_trap("into");
	/* BOUND with an index out of range: #BR */
	static int32_t bounds[2] = { 10, 20 };
	TRY("mov $25, %%eax; bound %%eax, %0", : : "m"(bounds) : "eax");
	report_trap("bound");
	/* Loading a null selector into SS: #GP(0) */
	TRY("xor %%eax, %%eax; mov %%ax, %%ss", : : : "eax");
	report_trap("mov ss, null");
	/* A selector beyond the GDT limit: #GP(selector) */
	TRY("mov $0x3f8, %%eax; mov %%ax, %%ds", : : : "eax");
	report_trap("mov ds, beyond gdt");
	/* A not-present data segment: #NP(selector) */
	gdt_set(SEL_FREE, 0, 0xfffff, 0x12, 0xc);	/* data, P=0 */
	TRY("mov %0, %%eax; mov %%ax, %%es", : : "i"(SEL_FREE) : "eax");
	report_trap("mov es, not present");
	asm volatile("mov %0, %%es" : : "r"(SEL_DATA32));
	/* A code segment loaded into DS is allowed only when readable; execute-only: #GP */
	gdt_set(SEL_FREE, 0, 0xfffff, 0x98, 0xc);	/* code, execute-only */
	TRY("mov %0, %%eax; mov %%ax, %%fs", : : "i"(SEL_FREE) : "eax");
	report_trap("mov fs, execute-only code");
	/* QEMU's TCG does not check data-segment limits or writes to read-only data segments on
	 * memory accesses, so those are not compared; the checks made when a selector is loaded
	 * and on control transfers are. */
	/* SS must be a writable data segment: read-only data: #GP(selector) */
	gdt_set(SEL_FREE, 0, 0xfffff, 0x90, 0xc);
	TRY("mov %0, %%eax; mov %%ax, %%ss", : : "i"(SEL_FREE) : "eax");
	report_trap("mov ss, read-only data");
	/* SS with DPL 3 at CPL 0: #GP(selector) */
	TRY("mov %0, %%eax; mov %%ax, %%ss", : : "i"(SEL_UDATA32 & ~3) : "eax");
	report_trap("mov ss, dpl-3 data at cpl 0");
	/* Not-present stack segment: #SS(selector) */
	gdt_set(SEL_FREE, 0, 0xfffff, 0x12, 0xc);
	TRY("mov %0, %%eax; mov %%ax, %%ss", : : "i"(SEL_FREE) : "eax");
	report_trap("mov ss, not present");
	/* Far jump past the limit of the target code segment: #GP(0) */
	gdt_set(SEL_FREE, 0, 0xfff, 0x9a, 0x4);
	TRY("ljmp %0, $0x2000", : : "i"(SEL_FREE));
	report_trap("ljmp beyond the cs limit");
	/* LTR with a data segment, LLDT with a code segment: #GP(selector) */
	TRY("mov %0, %%eax; ltr %%ax", : : "i"(SEL_DATA32) : "eax");
	report_trap("ltr data segment");
	TRY("mov %0, %%eax; lldt %%ax", : : "i"(SEL_CODE32) : "eax");
	report_trap("lldt code segment");
	/* LTR of a busy TSS: #GP(selector) */
	TRY("mov %0, %%eax; ltr %%ax", : : "i"(SEL_TSS) : "eax");
	report_trap("ltr busy tss");
	/* Far jump to a data segment: #GP(selector) */
	TRY("ljmp %0, $0", : : "i"(SEL_DATA32));
	report_trap("ljmp to a data segment");
	/* (QEMU's TCG ignores WRMSR to unknown MSRs instead of #GP: not compared.) */
	/* A not-present IDT gate: #NP with error code vector*8+2 (IDT bit) */
	idt_clear_present(0x41);
	TRY("int $0x41",);
	report_trap("int 0x41, gate not present");
	idt_set_default(0x41, 0);
	/* INT3 is a trap: the saved EIP is after the instruction */
	trap_register(3, bp_handler);
	ulong after;
	asm volatile("int3; 1: mov $1b, %0" : "=r"(after));
	printf("int3: saved eip is %s\n", seen_ip == after ? "after int3" : "wrong");
	trap_register(3, 0);
}

/* Double fault: #GP whose gate is not present raises #NP while delivering it (two contributory
 * exceptions), which becomes #DF with error code 0 (SDM vol. 3 §6.15, interrupt 8, table 6-5). */
static void test_double_fault(void)
{
	idt_clear_present(13);
	TRY("mov $0x3f8, %%eax; mov %%ax, %%ds", : : : "eax");
	report_trap("#GP with its gate not present");
	idt_set_default(13, 0);
	/* #PF then #PF is not a double fault when the second is delivered fine; #DE with the
	 * #DE gate not present: #NP (contributory) during #DE (contributory) = #DF */
	idt_clear_present(0);
	volatile int zero = 0;
	TRY("divl %0", : : "m"(zero), "a"(1), "d"(0));
	report_trap("#DE with its gate not present");
	idt_set_default(0, 0);
	/* #BP (benign) with its gate not present: just #NP, err = 3*8+2 */
	idt_clear_present(3);
	TRY("int3",);
	report_trap("int3 with its gate not present");
	idt_set_default(3, 3);
}

/* ---- ring 3 */
static void user_int3(void)
{
	asm volatile("int3");
	user_return(0x33);
}

static void user_cli(void)
{
	TRY("cli",);
	user_return(last_trap.vector == 13 ? last_trap.err + 0x1000 : 0xbad);
}

static void user_int_dpl0(void)
{
	TRY("int $0x40",);
	user_return(last_trap.vector == 13 ? last_trap.err : 0xbad);
}

static void user_in(void)
{
	TRY("inb $0x80, %%al", : : : "eax");
	user_return(last_trap.vector == 13 ? last_trap.err + 0x2000 : 0xbad);
}

static void user_load_kernel_ds(void)
{
	TRY("mov %0, %%eax; mov %%ax, %%ds", : : "i"(SEL_DATA32) : "eax");
	user_return(last_trap.vector == 13 ? last_trap.err : 0xbad);
}

static void user_cs(void)
{
	ulong cs, ss;
	asm volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(cs), "=r"(ss));
	user_return(cs << 16 | ss);
}

static void bp_from_user(struct frame *f)
{
	seen_cs = f->cs;
	seen_sp_user = f->ss;	/* the frame has SS:ESP only after a privilege change */
	extern char stack_bottom[], stack_top[], user_stack_top[];
	/* the frame is on the ring-0 stack (TSS.ESP0), the saved ESP on the user stack */
	seen_ip = (ulong)f > (ulong)stack_bottom && (ulong)f < (ulong)stack_top &&
		  f->sp <= (ulong)user_stack_top && f->sp > (ulong)user_stack_top - 8192;
}

static volatile ulong gate_args[3];
static volatile ulong gate_caller_cs;
void call_gate_target(void);
asm(".text\n"
    "call_gate_target:\n"
    /* stack: EIP, CS, param1, param2, ESP, SS (SDM vol. 3 §5.8.5, figure 5-13) */
    "	mov 4(%esp), %eax\n"
    "	mov %eax, gate_caller_cs\n"
    "	mov 8(%esp), %eax\n"
    "	mov %eax, gate_args\n"
    "	mov 12(%esp), %eax\n"
    "	mov %eax, gate_args+4\n"
    "	mov 20(%esp), %eax\n"
    "	mov %eax, gate_args+8\n"
    "	lret $8\n");

static void user_call_gate(void)
{
	asm volatile("push $0x1111; push $0x2222; lcall %0, $0; add $8, %%esp" : : "i"(SEL_FREE + 3));
	user_return(0x77);
}

/* SYSENTER/SYSEXIT (SDM vol. 2B): CS = SYSENTER_CS, SS = +8; SYSEXIT: CS = +16|3, SS = +24|3,
 * EIP = EDX, ESP = ECX. */
void sysenter_entry(void);
static volatile ulong sysenter_seen_cs, sysenter_seen_ss, sysenter_count;
asm(".text\n"
    "sysenter_entry:\n"
    "	mov %cs, %eax\n"
    "	mov %eax, sysenter_seen_cs\n"
    "	mov %ss, %eax\n"
    "	mov %eax, sysenter_seen_ss\n"
    "	incl sysenter_count\n"
    "	mov %edi, %edx\n"	/* return EIP */
    "	mov %esi, %ecx\n"	/* return ESP */
    "	sysexit\n");

static void user_sysenter(void)
{
	ulong cs;
	asm volatile("mov %%esp, %%esi; lea 1f, %%edi; sysenter; 1: mov %%cs, %0"
		     : "=r"(cs) : : "esi", "edi", "ecx", "edx", "eax", "memory");
	user_return(cs);
}

static void test_rings(void)
{
	ulong r;
	r = run_user(user_cs);
	printf("ring 3: cs=0x%lx ss=0x%lx\n", r >> 16, r & 0xffff);
	trap_register(3, bp_from_user);
	r = run_user(user_int3);
	printf("int3 from ring 3: returned 0x%lx, frame cs=0x%lx ss=0x%lx, frame on the ring-0 stack, esp on the user stack: %s\n", r,
	       seen_cs, seen_sp_user, seen_ip ? "yes" : "no");
	trap_register(3, 0);
	r = run_user(user_cli);
	printf("cli at ring 3 (iopl 0): err+0x1000=0x%lx\n", r);
	r = run_user(user_int_dpl0);
	printf("int 0x40 from ring 3, gate dpl 0: #GP err=0x%lx\n", r);
	r = run_user(user_in);
	printf("in at ring 3 (no io bitmap): err+0x2000=0x%lx\n", r);
	r = run_user(user_load_kernel_ds);
	printf("mov ds, dpl-0 data at ring 3: #GP err=0x%lx\n", r);

	/* call gate at SEL_FREE: DPL 3, to a ring-0 code segment, 2 parameters (dwords) */
	ulong t = (ulong)call_gate_target;
	gdt[SEL_FREE >> 3] = (t & 0xffff) | (uint64_t)SEL_CODE32 << 16 | (uint64_t)2 << 32 |
			     (uint64_t)0xec << 40 | (uint64_t)(t >> 16) << 48;
	r = run_user(user_call_gate);
	printf("call gate from ring 3: returned 0x%lx, caller cs=0x%lx, params 0x%lx 0x%lx, caller ss=0x%lx\n", r,
	       gate_caller_cs, gate_args[1], gate_args[0], gate_args[2]);

	if (HAS_SEP()) {
		gdt_set(SEL_FREE + 8, 0, 0xfffff, 0x9a, 0xc);	/* ring 0 code */
		gdt_set(SEL_FREE + 16, 0, 0xfffff, 0x92, 0xc);	/* ring 0 data */
		gdt_set(SEL_FREE + 24, 0, 0xfffff, 0xfa, 0xc);	/* ring 3 code */
		gdt_set(SEL_FREE + 32, 0, 0xfffff, 0xf2, 0xc);	/* ring 3 data */
		wrmsr(MSR_SYSENTER_CS, SEL_FREE + 8);
		wrmsr(MSR_SYSENTER_EIP, (ulong)sysenter_entry);
		static uint8_t se_stack[1024] __attribute__((aligned(16)));
		wrmsr(MSR_SYSENTER_ESP, (ulong)(se_stack + sizeof(se_stack)));
		r = run_user(user_sysenter);
		printf("sysenter: kernel cs=0x%lx ss=0x%lx, sysexit to cs=0x%lx, count %lu\n", sysenter_seen_cs,
		       sysenter_seen_ss, r, sysenter_count);
	} else {
		printf("sysenter: not advertised\n");
	}
}

/* Software interrupts through an interrupt gate clear IF, through a trap gate keep it. */
static volatile ulong gate_flags;
static void flags_handler(struct frame *f)
{
	(void)f;
	gate_flags = read_flags();
}

static void test_gates(void)
{
	trap_register(0x42, flags_handler);
	idt_set(0x42, vec_table[0x42], SEL_CODE32, GATE_INT, 0);
	asm volatile("sti; int $0x42; cli");
	printf("interrupt gate: IF=%lu in the handler\n", (gate_flags >> 9) & 1);
	idt_set(0x42, vec_table[0x42], SEL_CODE32, GATE_TRAP, 0);
	asm volatile("sti; int $0x42; cli");
	printf("trap gate: IF=%lu in the handler\n", (gate_flags >> 9) & 1);
	trap_register(0x42, 0);
}

int main(void)
{
	test_basic_faults();
	test_double_fault();
	test_gates();
	test_rings();
	(void)ticks;
	return 0;
}
