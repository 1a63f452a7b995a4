/* sysguest-args: -cpu max */
/* Debug exceptions (Intel SDM vol. 3 ch. 17) and SMEP/SMAP (§4.6): EFLAGS.TF single-step
 * (also over POPF, INT n / IRET, a fault, and the MOV SS / POP SS shadow), instruction
 * breakpoints resumed with RF, data write and read/write breakpoints of every length in DR0-DR3
 * with the DR6 B bits, DR4/DR5 aliasing, MOV DR privilege; SMEP and SMAP page faults
 * with their error codes, EFLAGS.AC, STAC/CLAC.  Segment limits on the last byte of an access
 * are not here: QEMU's TCG does not check data segment limits (unit/test_mmu covers them). */
#include "guest.h"
#include "dbrec.h"

#define AC 0x40000ul

static volatile unsigned int81_count;
static void int81_handler(struct frame *f)
{
	(void)f;
	int81_count++;
}

#define TF_ON "pushf; orl $0x100, (%%esp); popf\n\t"
#define TF_OFF "pushf; andl $~0x100, (%%esp); popf\n\t"

static void single_step(void)
{
	ulong base;
	printf("-- single step\n");
	db_reset();
	asm volatile("movl $9f, %0\n\t" TF_ON
		     "9: nop; nop; mov $2, %%ecx\n"
		     "2: dec %%ecx; jnz 2b\n\t" TF_OFF
		     : "=&r"(base) : : "ecx", "memory", "cc");
	db_report("tf over nops and a loop, popf clears tf", base);

	db_reset();
	asm volatile("movl $9f, %0\n\t" TF_ON
		     "9: nop; int $0x81; nop; nop\n\t" TF_OFF
		     : "=&r"(base) : : "memory", "cc");
	db_report("tf over int n and its iret", base);
	printf("int 0x81 handler ran %u times\n", int81_count);

	db_reset();
	asm volatile("movl $9f, %0\n\t" TF_ON
		     "9: nop; mov %%ss, %%eax; mov %%eax, %%ss; nop; nop\n\t" TF_OFF
		     : "=&r"(base) : : "eax", "memory", "cc");
	db_report("tf over mov ss (the trap waits one instruction)", base);

	db_reset();
	asm volatile("movl $9f, %0\n\t" TF_ON
		     "9: nop; push %%ss; pop %%ss; nop; nop\n\t" TF_OFF
		     : "=&r"(base) : : "memory", "cc");
	db_report("tf over pop ss", base);

	/* a fault while stepping: #UD is delivered, no trap after it; the fixup resumes with
	 * the pushed TF */
	db_reset();
	TRY("movl $9f, %0\n\t" TF_ON "9: nop; ud2; nop\n\t1: nop\n\t" TF_OFF, : "=&r"(base) : : "memory", "cc");
	db_report("tf over a faulting ud2", base);
	report_trap("ud2 under tf");
	/* REP string instructions trap after each iteration (§17.3.1.4), ECX counting down */
	static char src[8] = "abcdxfg", dst[8] = "abcdefg";
	ulong si = (ulong)src, di = (ulong)dst, cx = 3;
	db_reset();
	asm volatile("movl $9f, %0\n\t" TF_ON "9: rep movsb\n\t" TF_OFF
		     : "=&r"(base), "+S"(si), "+D"(di), "+c"(cx) : : "memory", "cc");
	db_report("tf over rep movsb, ecx=3", base);
	si = (ulong)src, di = (ulong)dst, cx = 7;
	dst[4] = 'e';
	db_reset();
	asm volatile("movl $9f, %0\n\t" TF_ON "9: repe cmpsb\n\t" TF_OFF
		     : "=&r"(base), "+S"(si), "+D"(di), "+c"(cx) : : "memory", "cc");
	db_report("tf over repe cmpsb stopping at the 5th byte", base);
	printf("ecx left %lu\n", cx);

	/* ICEBP (F1) is not here: QEMU 7.2's TCG raises #UD for it where the SDM says #DB
	 * (a trap, without the gate DPL check), which is what lemu does. */
}

static void instruction_breakpoints(void)
{
	ulong base;
	printf("-- instruction breakpoints\n");
	static const struct { int slot; ulong en; } cases[] = {
		{ 0, 0x1 }, { 1, 0x8 }, { 2, 0x10 }, { 3, 0x80 }, { 0, 0x0 },
	};
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		db_reset();
		db_set_rf = 1;
		ulong addr;
		asm volatile("movl $1f, %0\n\t"
			     "jmp 2f\n"
			     "1: nop; dec %%ecx; jnz 1b; ret\n"
			     "2:"
			     : "=r"(addr));
		base = addr;
		write_dr(cases[k].slot, addr);
		write_dr7(cases[k].en);
		asm volatile("mov $3, %%ecx; call *%0" : : "r"(addr) : "ecx", "memory", "cc");
		write_dr7(0);
		write_dr(cases[k].slot, 0);
		const char *en = cases[k].en ? ((cases[k].en & 0x55) ? "local" : "global") : "disabled";
		printf("dr%d %s, loop of 3, resumed with rf: ", cases[k].slot, en);
		db_report("", base);
	}
	/* two enabled breakpoints on the same instruction */
	db_reset();
	db_set_rf = 1;
	ulong addr;
	asm volatile("movl $1f, %0\n\t"
		     "jmp 2f\n"
		     "1: nop; ret\n"
		     "2:"
		     : "=r"(addr));
	write_dr(1, addr);
	write_dr(3, addr);
	write_dr7(0x4 | 0x40);
	asm volatile("call *%0" : : "r"(addr) : "memory");
	write_dr7(0);
	db_report("dr1 and dr3 on one instruction", addr);
}

static volatile uint8_t buf[64] __attribute__((aligned(64)));

/* one access with a label after it: "+0/dr6" when the #DB came there */
#define ACCESS(insn, ...) ({ ulong after_; db_reset(); \
	asm volatile("movl $1f, %0\n\t" insn "\n1:" : "=&r"(after_) : __VA_ARGS__ : "eax", "memory", "cc"); \
	after_; })

static void access_report(const char *what, ulong after)
{
	printf(" %s=", what);
	if (!ndb)
		printf("-");
	for (unsigned i = 0; i < ndb && i < MAXDB; i++)
		printf("%s%lx", db_ip[i] == after ? "" : "(elsewhere)", db_dr6[i]);
}

static void data_breakpoints(void)
{
	static const unsigned lens[4] = { 1, 2, 4, 8 };
	static const unsigned lenbits[4] = { 0, 1, 3, 2 };
	printf("-- data breakpoints\n");
	for (int rw = 1; rw <= 3; rw += 2) {
		for (int l = 0; l < 4; l++) {
			unsigned len = lens[l];
			int slot = (l + rw) & 3;
			write_dr(slot, (ulong)&buf[16]);
			write_dr7((1ul << (2 * slot)) | ((ulong)rw << (16 + 4 * slot)) |
				  ((ulong)lenbits[l] << (18 + 4 * slot)));
			printf("dr%d rw=%d len=%u:", slot, rw, len);
			ulong a;
			a = ACCESS("movb $1, %1", "m"(buf[16 + len - 1]));
			access_report("wb[last]", a);
			a = ACCESS("movb $1, %1", "m"(buf[16 + len]));
			access_report("wb[end]", a);
			a = ACCESS("movb $1, %1", "m"(buf[15]));
			access_report("wb[-1]", a);
			a = ACCESS("movl $1, %1", "m"(*(volatile uint32_t *)&buf[14]));
			access_report("wl[-2..1]", a);
			a = ACCESS("movl %1, %%eax", "m"(*(volatile uint32_t *)&buf[16]) );
			access_report("rl[0]", a);
			a = ACCESS("movl %1, %%eax", "m"(*(volatile uint32_t *)&buf[20]));
			access_report("rl[4]", a);
			a = ACCESS("addb $1, %1", "m"(buf[16]));
			access_report("rmw[0]", a);
			printf("\n");
			write_dr7(0);
			write_dr(slot, 0);
		}
	}
	/* REP STOSB over a write breakpoint: the trap comes after the iteration that hit it,
	 * with EDI/ECX describing the rest (§17.3.1.2) */
	write_dr(1, (ulong)&buf[16]);
	write_dr7(0x4 | (1ul << 20) | (3ul << 22));	/* L1, R/W=01, LEN=4 */
	{
		ulong di = (ulong)&buf[8], cx = 16, at;
		db_reset();
		asm volatile("movl $9f, %0\n\t9: rep stosb" : "=&r"(at), "+D"(di), "+c"(cx) : "a"(0x55) : "memory");
		printf("rep stosb over dr1: %u #DB", ndb);
		for (unsigned i = 0; i < ndb && i < MAXDB; i++)
			printf(" +%lu/%lx", db_ip[i] - at, db_dr6[i]);
		printf(", ecx left %lu\n", cx);
	}
	write_dr7(0);
	/* a breakpoint that is set up but not enabled never fires */
	write_dr(0, (ulong)&buf[16]);
	write_dr7(0x30000);
	ulong a = ACCESS("movb $1, %1", "m"(buf[16]));
	printf("disabled:");
	access_report("wb[0]", a);
	printf("\n");
	write_dr7(0);
}

static void user_mov_dr(void)
{
	TRY("mov %%dr7, %%eax", : : : "eax");
	user_return(last_trap.vector < 0 ? 0x100 : (ulong)last_trap.vector << 16 | last_trap.err);
}
static void user_stac(void)
{
	TRY("stac",);
	user_return(last_trap.vector < 0 ? 0x100 : (ulong)last_trap.vector << 16 | last_trap.err);
}

static void debug_registers(void)
{
	printf("-- debug registers\n");
	write_dr6(0);
	ulong v;
	asm volatile("mov %%dr4, %0" : "=r"(v));
	printf("dr4 reads dr6: %lx\n", v);
	asm volatile("mov %0, %%dr5" : : "r"(0x1ul));
	asm volatile("mov %%dr7, %0" : "=r"(v));
	printf("dr5 writes dr7: %lx\n", v);
	write_dr7(0);
	write_cr4(read_cr4() | 8);	/* CR4.DE */
	TRY("mov %%dr4, %%eax", : : : "eax");
	report_trap("dr4 with cr4.de");
	write_cr4(read_cr4() & ~8ul);
	ulong r = run_user(user_mov_dr);
	printf("mov from dr7 at cpl 3: vector %lu err %lu\n", r >> 16, r & 0xffff);
}

/* ---- SMEP and SMAP */
#define P 0x1
#define RW 0x2
#define US 0x4
#define PS 0x80
#define CR0_WP (1ul << 16)
#define CR0_PG (1ul << 31)
#define CR4_PSE (1ul << 4)
#define CR4_SMEP (1ul << 20)
#define CR4_SMAP (1ul << 21)
#define VBASE 0x40000000ul
#define PHYS 0x500000ul

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt[1024] __attribute__((aligned(4096)));

static uint32_t rd(ulong va)
{
	uint32_t v = 0;
	TRY("mov (%1), %0", : "=r"(v) : "r"(va) : "memory");
	return v;
}
static void wr(ulong va, uint32_t v)
{
	TRY("mov %0, (%1)", : : "r"(v), "r"(va) : "memory");
}
static void call_va(ulong va)
{
	TRY("mov %%esp, %%ecx; call *%0; 1: mov %%ecx, %%esp", : : "r"(va) : "ecx", "memory");
}

static void smep_smap(void)
{
	printf("-- smep and smap\n");
	int smep = cpu_has(7, 1, 7), smap = cpu_has(7, 1, 20);
	printf("cpuid: smep=%d smap=%d\n", smep, smap);
	if (!smep || !smap)
		return;
	ulong r = run_user(user_stac);
	printf("stac at cpl 3: vector %lu\n", r >> 16);

	memset(pd, 0, sizeof(pd));
	memset(pt, 0, sizeof(pt));
	pd[0] = 0x000000 | P | RW | PS;		/* the guest: supervisor */
	pd[1] = 0x400000 | P | RW | PS;
	pd[VBASE >> 22] = (uint32_t)(ulong)pt | P | RW | US;
	pt[0] = PHYS | P | RW | US;		/* user data */
	pt[1] = (PHYS + 0x1000) | P | RW | US;	/* user code: ret */
	pt[2] = (PHYS + 0x2000) | P | RW;	/* supervisor code: ret */
	*(volatile uint32_t *)PHYS = 0x5a5a0001;
	*(volatile uint8_t *)(PHYS + 0x1000) = 0xc3;
	*(volatile uint8_t *)(PHYS + 0x2000) = 0xc3;
	write_cr4(read_cr4() | CR4_PSE);
	write_cr3((ulong)pd);
	write_cr0(read_cr0() | CR0_PG | CR0_WP);

	call_va(VBASE + 0x1000);
	report_trap("smep off: call into a user page");
	write_cr4(read_cr4() | CR4_SMEP);
	call_va(VBASE + 0x1000);
	report_trap("smep on: call into a user page");
	call_va(VBASE + 0x2000);
	report_trap("smep on: call into a supervisor page");
	printf("smep on: read of a user page 0x%x\n", rd(VBASE));
	report_trap("smep on: read of a user page");

	write_cr4(read_cr4() | CR4_SMAP);
	rd(VBASE);
	report_trap("smap on, ac=0: read of a user page");
	wr(VBASE + 4, 7);
	report_trap("smap on, ac=0: write to a user page");
	asm volatile("stac" ::: "memory");
	printf("stac: ac=%lu, read 0x%x\n", (read_flags() & AC) >> 18, rd(VBASE));
	report_trap("smap on, ac=1: read of a user page");
	wr(VBASE + 4, 7);
	report_trap("smap on, ac=1: write to a user page");
	asm volatile("clac" ::: "memory");
	printf("clac: ac=%lu\n", (read_flags() & AC) >> 18);
	rd(VBASE + 4);
	report_trap("smap on, after clac: read of a user page");
	/* AC set by POPF works as STAC does */
	asm volatile("pushf; orl $0x40000, (%%esp); popf" ::: "memory", "cc");
	printf("popf ac=1: read 0x%x\n", rd(VBASE + 4));
	report_trap("smap on, popf ac=1: read");
	asm volatile("pushf; andl $~0x40000, (%%esp); popf" ::: "memory", "cc");
	rd(VBASE + 4);
	report_trap("smap on, popf ac=0: read");
	/* a string copy out of a user page: rep movs under stac */
	static uint32_t dst[4];
	ulong si = VBASE, di = (ulong)dst, cx = 2;
	asm volatile("stac; rep movsl; clac" : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
	printf("rep movs under stac: 0x%x 0x%x\n", dst[0], dst[1]);
	si = VBASE, di = (ulong)dst, cx = 2;
	TRY("rep movsl", : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
	report_trap("rep movs without stac");
	printf("left: ecx=%lu\n", cx);
	write_cr4(read_cr4() & ~CR4_SMAP);
	printf("smap off: read 0x%x\n", rd(VBASE + 4));
	report_trap("smap off: read of a user page");
	write_cr4(read_cr4() & ~CR4_SMEP);
	write_cr0(read_cr0() & ~CR0_PG);
}

int main(void)
{
	trap_register(1, db_handler);
	idt_set_default(0x81, 0);
	trap_register(0x81, int81_handler);
	single_step();
	instruction_breakpoints();
	data_breakpoints();
	debug_registers();
	smep_smap();
	return 0;
}
