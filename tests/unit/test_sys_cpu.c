/*
 * System-level CPU (seg.c, intr.c, ops_sys.c, ops_sys2.c) on the minimal
 * PC of sysmini.c: guest code from sys_snippets.S runs with descriptor
 * tables built here and reports through port 0xf0.  Expected values follow
 * the Intel SDM (vol. 3 ch. 5-7: error codes, stack frames, privilege
 * changes, IST, SYSCALL/SYSRET, double fault); the full comparison against
 * qemu-system-x86_64 is tests/integration/sysguest.sh.
 */
#include "harness.h"
#include "sysmini.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int sys_test_log;

extern const char snip_base[], snip_end[];
extern const char t32_start[], t32_ring3[], t32_gate_target[], t32_stub_table[], t32_end_handler[];
extern const char t64_start[], t64_stub_table[], t64_lstar[], t64_end_handler[], t64_after_syscall[];
extern const char treal_start[], treal_handler[], tdf_start[], Ldf_mov[], ttask_start[], ttask_b[],
	tdf_task[];
extern const char L32_int30[], L32_div[], L32_movds[], L32_moves[], L32_movss[], L32_ud2[],
	L32_int3[], L32_inb[], L32_cli[], L32_int30r3[], L32_int80[];
extern const char L64_int40[], L64_int41[], L64_pf[], L64_hlt[], L64_pfdf[];
extern const char tvm86_start[], Lvm_cli[], Lvm_pushf[], Lvm_int[];

#define G_CODE 0x10000u
#define G_GDT 0x1000u
#define G_IDT 0x2000u
#define G_TSS 0x4000u
#define G_PML4 0x8000u
#define KSTACK 0x80000u
#define USTACK 0x90000u
#define ISTACK 0xa0000u

static uint32_t A(const char *sym)
{
	return G_CODE + (uint32_t)(sym - snip_base);
}

static void w32(struct sysmini *m, uint64_t a, uint32_t v) { memcpy(m->ram + a, &v, 4); }
static void w64(struct sysmini *m, uint64_t a, uint64_t v) { memcpy(m->ram + a, &v, 8); }

/* Code/data descriptor: base 0, limit 4G, hi = attribute bits 8..23. */
static void gdt_flat(struct sysmini *m, unsigned sel, uint32_t attr)
{
	w32(m, G_GDT + sel, 0x0000ffff);
	w32(m, G_GDT + sel + 4, attr | 0x000f0000);
}
static void gdt_sys(struct sysmini *m, unsigned sel, uint32_t base, uint32_t limit, unsigned type)
{
	w32(m, G_GDT + sel, (limit & 0xffff) | (base << 16));
	w32(m, G_GDT + sel + 4, ((base >> 16) & 0xff) | (type << 8) | (limit & 0xf0000) | (base & 0xff000000));
}
static void idt32(struct sysmini *m, unsigned vec, uint32_t off, unsigned sel, unsigned type_attr)
{
	w32(m, G_IDT + vec * 8, (off & 0xffff) | (sel << 16));
	w32(m, G_IDT + vec * 8 + 4, (off & 0xffff0000) | (type_attr << 8));
}
static void idt64(struct sysmini *m, unsigned vec, uint64_t off, unsigned sel, unsigned type_attr, unsigned ist)
{
	w32(m, G_IDT + vec * 16, (uint32_t)(off & 0xffff) | (sel << 16));
	w32(m, G_IDT + vec * 16 + 4, (uint32_t)(off & 0xffff0000) | (type_attr << 8) | ist);
	w64(m, G_IDT + vec * 16 + 8, off >> 32);
}

/* Flat 32-bit protected mode, CPL 0, with the tables at G_GDT/G_IDT. */
static void state32(struct sysmini *m, unsigned cs, unsigned ds, unsigned gdt_limit, unsigned idt_limit)
{
	struct cpu *c = &m->cpu;
	c->cr0 = 0x11;
	for (int s = 0; s < 6; s++) {
		c->seg[s].sel = (uint16_t)(s == SEG_CS ? cs : ds);
		c->seg[s].base = 0;
		c->seg[s].limit = 0xffffffff;
		c->seg[s].flags = s == SEG_CS ? 0xcf9b00 : 0xcf9300;
	}
	c->cpl = 0;
	c->eflags = 2;
	c->gdt.base = G_GDT;
	c->gdt.limit = gdt_limit;
	c->idt.base = G_IDT;
	c->idt.limit = idt_limit;
	c->regs[R_RSP] = KSTACK;
	cpu_update_mode(c);
	cpu_mmu_update(c);
}

static int setup(struct sysmini *m)
{
	if (sysmini_init(m, 16))
		return -1;
	sysmini_load(m, G_CODE, snip_base, (size_t)(snip_end - snip_base));
	if (sys_test_log)
		m->cpu.log_flags = CPU_LOG_INT | CPU_LOG_UNIMP | CPU_LOG_GUEST_ERRORS | (sys_test_log > 1 ? CPU_LOG_EXEC : 0);
	return 0;
}

/* Compare the reported values from index *i against exp[0..n). */
static void expect(struct sysmini *m, unsigned *i, const char *what, const uint64_t *exp, unsigned n)
{
	char buf[256];
	int ok = *i + n <= m->nvals;
	size_t len = 0;
	for (unsigned k = 0; ok && k < n; k++)
		if (exp[k] != ~0ull && (m->vals[*i + k] & 0xffffffffu) != (exp[k] & 0xffffffffu))
			ok = 0;
	if (!ok) {
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, " got");
		for (unsigned k = 0; k < n && *i + k < m->nvals && len < sizeof(buf) - 12; k++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, " %#llx",
						(unsigned long long)m->vals[*i + k]);
	} else {
		buf[0] = 0;
	}
	tap_ok(ok, "%s%s", what, buf);
	*i += n;
}
#define EXPECT(m, i, what, ...)                                                     \
	do {                                                                        \
		const uint64_t e_[] = { __VA_ARGS__ };                              \
		expect(m, i, what, e_, sizeof(e_) / sizeof(e_[0]));                 \
	} while (0)
#define ANY (~0ull)

static const unsigned t32_vecs[] = { 0, 3, 6, 8, 10, 11, 12, 13, 14, 0x30, 0x80 };

static void build_t32(struct sysmini *m)
{
	gdt_flat(m, 0x08, 0xc09a00);
	gdt_flat(m, 0x10, 0xc09200);
	gdt_flat(m, 0x18, 0xc0fa00);
	gdt_flat(m, 0x20, 0xc0f200);
	/* 0x28: call gate, DPL 3, 2 parameters, to 0x08:t32_gate_target */
	uint32_t tgt = A(t32_gate_target);
	w32(m, G_GDT + 0x28, (tgt & 0xffff) | (0x08u << 16));
	w32(m, G_GDT + 0x2c, (tgt & 0xffff0000) | 0xec00 | 2);
	/* 0x30: 32-bit TSS with an I/O bitmap allowing ports 0xf0-0xf3 */
	gdt_sys(m, 0x30, G_TSS, 0x68 + 8192, 0x89);
	w32(m, G_TSS + 4, KSTACK);
	w32(m, G_TSS + 8, 0x10);
	w32(m, G_TSS + 0x64, 0x68u << 16);
	memset(m->ram + G_TSS + 0x68, 0xff, 8193);
	m->ram[G_TSS + 0x68 + 0xf0 / 8] = 0xf0;
	/* 0x40: data, not present; 0x48: read-only data */
	gdt_flat(m, 0x40, 0xc01200);
	gdt_flat(m, 0x48, 0xc09000);
	for (unsigned i = 0; i < sizeof(t32_vecs) / sizeof(t32_vecs[0]); i++)
		idt32(m, t32_vecs[i], A(t32_stub_table) + 16 * i, 0x08, 0x8e);
	idt32(m, 0x30, A(t32_stub_table) + 16 * 9, 0x08, 0x8f); /* trap gate */
	idt32(m, 0x80, A(t32_stub_table) + 16 * 10, 0x08, 0xee); /* DPL 3 */
	idt32(m, 0x81, A(t32_end_handler), 0x08, 0xee);
}

static void test_prot32(void)
{
	struct sysmini m;
	if (setup(&m)) {
		tap_ok(0, "prot32: setup");
		return;
	}
	struct cpu *c = &m.cpu;
	build_t32(&m);
	state32(&m, 0x08, 0x10, 0x4f, 0x7ff);
	/* LTR through the instruction would need more code: load TR here */
	c->tr.sel = 0x30;
	c->tr.base = G_TSS;
	c->tr.limit = 0x68 + 8192;
	c->tr.flags = 0x8b00;
	c->rip = A(t32_start);
	int r = sysmini_run(&m, 100000);
	tap_ok(r == 257, "prot32: ends halted at ring 0 (got %d)", r);
	unsigned i = 0;
	const uint64_t k0 = KSTACK - 12 - 8 - 4; /* frame, vector+error, saved eax */
	const uint64_t k3 = KSTACK - 20 - 8 - 4; /* frame with SS:ESP */
	EXPECT(&m, &i, "int 0x30 through a trap gate", 0x30, 0, A(L32_int30), 0x08, k0);
	EXPECT(&m, &i, "#DE at the div", 0, 0, A(L32_div), 0x08, k0);
	EXPECT(&m, &i, "#GP(sel) beyond the GDT limit", 13, 0x3f8, A(L32_movds), 0x08, k0);
	EXPECT(&m, &i, "#NP(sel) for a not-present data segment", 11, 0x40, A(L32_moves), 0x08, k0);
	EXPECT(&m, &i, "#GP(sel) for SS = read-only data", 13, 0x48, A(L32_movss), 0x08, k0);
	EXPECT(&m, &i, "#UD for ud2", 6, 0, A(L32_ud2), 0x08, k0);
	EXPECT(&m, &i, "int3: return address after it", 3, 0, A(L32_int3), 0x08, k0);
	EXPECT(&m, &i, "IRET to ring 3: CS and SS", 0x1b, 0x23);
	EXPECT(&m, &i, "ring 3 IN denied by the I/O bitmap: #GP(0) on the TSS stack", 13, 0, A(L32_inb), 0x1b, k3);
	EXPECT(&m, &i, "ring 3 CLI with IOPL 0: #GP(0)", 13, 0, A(L32_cli), 0x1b, k3);
	EXPECT(&m, &i, "ring 3 INT to a DPL 0 gate: #GP(vec*8+2)", 13, 0x30 * 8 + 2, A(L32_int30r3), 0x1b, k3);
	EXPECT(&m, &i, "ring 3 INT 0x80 through a DPL 3 gate", 0x80, 0, A(L32_int80), 0x1b, k3);
	EXPECT(&m, &i, "call gate: ring 0 CS/SS, copied parameters, caller SS:ESP", 0x08, 0x10, 0x2222,
	       0x1111, USTACK - 8, 0x23);
	EXPECT(&m, &i, "lret $8 back to ring 3 releases the parameters", 0x77, USTACK);
	EXPECT(&m, &i, "INT 0x81 reaches the ring-0 end handler", 0xe0d);
	tap_ok(c->cpl == 0 && c->seg[SEG_CS].sel == 0x08, "prot32: CPL 0 at the end (cs=%#x)",
	       c->seg[SEG_CS].sel);
	sysmini_fini(&m);
}

static void test_double_fault(void)
{
	for (int triple = 0; triple < 2; triple++) {
		struct sysmini m;
		if (setup(&m)) {
			tap_ok(0, "double fault: setup");
			return;
		}
		struct cpu *c = &m.cpu;
		build_t32(&m);
		/* #GP's gate not present; #DF's present unless testing triple */
		w32(&m, G_IDT + 13 * 8 + 4, 0);
		if (triple)
			w32(&m, G_IDT + 8 * 8 + 4, 0);
		state32(&m, 0x08, 0x10, 0x4f, 0x7ff);
		c->rip = A(tdf_start);
		int r = sysmini_run(&m, 100000);
		if (!triple) {
			unsigned i = 0;
			tap_ok(r == 257, "#GP with a not-present gate: halted in the #DF handler (got %d)", r);
			EXPECT(&m, &i, "#NP in #GP delivery is a double fault, error 0, at the faulting insn", 8,
			       0, A(Ldf_mov), 0x08, KSTACK - 12 - 8 - 4);
		} else {
			tap_ok(r == 256 && c->shutdown, "no #DF gate either: triple fault, shutdown (got %d)", r);
		}
		sysmini_fini(&m);
	}
}

static void test_task(void)
{
	struct sysmini m;
	if (setup(&m)) {
		tap_ok(0, "task switch: setup");
		return;
	}
	struct cpu *c = &m.cpu;
	const uint32_t tss_b = 0x7000;
	build_t32(&m);
	gdt_sys(&m, 0x30, G_TSS, 0x67, 0x8b); /* A: busy, the current task */
	gdt_sys(&m, 0x50, tss_b, 0x67, 0x89); /* B: available */
	w32(&m, tss_b + 0x20, A(ttask_b));
	w32(&m, tss_b + 0x24, 2);
	w32(&m, tss_b + 0x34, 0xb0b);      /* EBX */
	w32(&m, tss_b + 0x38, 0x70000);    /* ESP */
	for (int s = 0; s < 6; s++)
		w32(&m, tss_b + 0x48 + 4 * s, s == SEG_CS ? 0x08 : 0x10);
	state32(&m, 0x08, 0x10, 0x57, 0x7ff);
	c->tr.sel = 0x30;
	c->tr.base = G_TSS;
	c->tr.limit = 0x67;
	c->tr.flags = 0x8b00;
	c->rip = A(ttask_start);
	int r = sysmini_run(&m, 100000);
	unsigned i = 0;
	tap_ok(r == 257, "task switch: ends halted (got %d)", r);
	EXPECT(&m, &i, "CALL to a TSS: NT set, TR, registers from the TSS", 0x4000, 0x50, 0xb0b);
	EXPECT(&m, &i, "IRET with NT returns to the caller task", 0, 0x30);
	EXPECT(&m, &i, "JMP to the task and back by JMP", 0xe0d);
	uint32_t hb, ha, link;
	memcpy(&ha, m.ram + G_GDT + 0x34, 4);
	memcpy(&hb, m.ram + G_GDT + 0x54, 4);
	memcpy(&link, m.ram + tss_b, 4);
	tap_ok(((ha >> 8) & 15) == 11 && ((hb >> 8) & 15) == 9 && c->tr.sel == 0x30,
	       "busy bits follow the running task (A %u, B %u, TR %#x)", (ha >> 8) & 15, (hb >> 8) & 15,
	       c->tr.sel);
	tap_ok((link & 0xffff) == 0x30 && (c->cr0 & 8), "back link of the called task, CR0.TS set");
	sysmini_fini(&m);

	/* #DF through a task gate, as 32-bit Linux handles it */
	if (setup(&m)) {
		tap_ok(0, "task gate: setup");
		return;
	}
	c = &m.cpu;
	build_t32(&m);
	gdt_sys(&m, 0x30, G_TSS, 0x67, 0x8b);
	gdt_sys(&m, 0x50, tss_b, 0x67, 0x89);
	w32(&m, tss_b + 0x20, A(tdf_task));
	w32(&m, tss_b + 0x24, 2);
	w32(&m, tss_b + 0x38, 0x70000);
	for (int s = 0; s < 6; s++)
		w32(&m, tss_b + 0x48 + 4 * s, s == SEG_CS ? 0x08 : 0x10);
	w32(&m, G_IDT + 13 * 8 + 4, 0);        /* #GP gate not present */
	w32(&m, G_IDT + 8 * 8, 0x50u << 16);   /* #DF: task gate to B */
	w32(&m, G_IDT + 8 * 8 + 4, 0x8500);
	state32(&m, 0x08, 0x10, 0x57, 0x7ff);
	c->tr.sel = 0x30;
	c->tr.base = G_TSS;
	c->tr.limit = 0x67;
	c->tr.flags = 0x8b00;
	c->rip = A(tdf_start);
	r = sysmini_run(&m, 100000);
	i = 0;
	tap_ok(r == 257, "#DF through a task gate: halted in the new task (got %d)", r);
	EXPECT(&m, &i, "#DF task: error code 0 pushed, TR = the gate's TSS", 0, 0x50);
	memcpy(&ha, m.ram + G_TSS + 0x20, 4);
	tap_ok(ha == A(Ldf_mov), "the faulting EIP is saved in the old TSS (%#x)", ha);
	sysmini_fini(&m);
}

static void test_vm86(void)
{
	struct sysmini m;
	if (setup(&m)) {
		tap_ok(0, "vm86: setup");
		return;
	}
	struct cpu *c = &m.cpu;
	build_t32(&m);
	idt32(&m, 6, A(t32_end_handler), 0x08, 0x8e);
	sysmini_load(&m, 0x9000, snip_base, (size_t)(snip_end - snip_base));
	state32(&m, 0x08, 0x10, 0x4f, 0x7ff);
	c->tr.sel = 0x30;
	c->tr.base = G_TSS;
	c->tr.limit = 0x68 + 8192;
	c->tr.flags = 0x8b00;
	c->rip = A(tvm86_start);
	int r = sysmini_run(&m, 100000);
	unsigned i = 0;
	/* ring-0 frame from VM86: GS FS DS ES SS ESP EFLAGS CS EIP + vector,
	 * error, saved eax */
	const uint64_t kv = KSTACK - 36 - 8 - 4;
#define V(x) ((uint64_t)((x) - snip_base))
	tap_ok(r == 257, "vm86: ends halted at ring 0 (got %d)", r);
	EXPECT(&m, &i, "IRET into virtual-8086 mode: CS, SP", 0x900, 0x1000);
	EXPECT(&m, &i, "VM86 CLI with IOPL 0: #GP(0), frame with the VM86 segments", 13, 0, V(Lvm_cli), 0x900, kv);
	EXPECT(&m, &i, "VM86 PUSHF with IOPL 0: #GP(0)", 13, 0, V(Lvm_pushf), 0x900, kv);
	EXPECT(&m, &i, "VM86 INT n with IOPL 0: #GP(0)", 13, 0, V(Lvm_int), 0x900, kv);
	EXPECT(&m, &i, "#UD from VM86 reaches the ring-0 end handler", 0xe0d);
	uint32_t v;
	memcpy(&v, m.ram + 0x20010, 4);
	tap_ok(v == 0x5a5a && !(c->eflags & FL_VM) && c->cpl == 0,
	       "VM86 segment base = selector * 16; VM clear after the interrupt (%#x)", v);
	sysmini_fini(&m);
}

static void test_real(void)
{
	struct sysmini m;
	if (setup(&m)) {
		tap_ok(0, "real mode: setup");
		return;
	}
	struct cpu *c = &m.cpu;
	/* CS = 0x900 (base 0x9000) over a copy of the code at 0x9000 */
	sysmini_load(&m, 0x9000, snip_base, (size_t)(snip_end - snip_base));
	c->seg[SEG_CS].sel = 0x900;
	c->seg[SEG_CS].base = 0x9000;
	c->seg[SEG_CS].flags = 0x9b00;
	c->seg[SEG_CS].limit = 0xffff;
	cpu_update_mode(c);
	c->idt.base = 0;
	c->idt.limit = 0x3ff;
	w32(&m, 0x20 * 4, (0x900u << 16) | (uint32_t)(treal_handler - snip_base));
	c->rip = (uint64_t)(treal_start - snip_base);
	int r = sysmini_run(&m, 100000);
	unsigned i = 0;
	tap_ok(r == 257, "real mode: ends halted (got %d)", r);
	tap_ok(m.nvals >= 3 && !(m.vals[0] & FL_IF), "real mode INT: IF clear in the handler (flags %#llx)",
	       (unsigned long long)m.vals[0]);
	i = 1;
	EXPECT(&m, &i, "real mode INT: FLAGS, CS, IP pushed", 0x8000 - 6);
	tap_ok(m.nvals >= 3 && (m.vals[2] & FL_IF), "real mode IRET restores IF (flags %#llx)",
	       (unsigned long long)m.vals[2]);
	sysmini_fini(&m);
}

static void test_long(void)
{
	struct sysmini m;
	if (setup(&m)) {
		tap_ok(0, "long mode: setup");
		return;
	}
	struct cpu *c = &m.cpu;
	gdt_flat(&m, 0x08, 0xa09a00); /* 64-bit code, DPL 0 */
	gdt_flat(&m, 0x10, 0xc09200);
	gdt_flat(&m, 0x18, 0xc0fa00);
	gdt_flat(&m, 0x20, 0xc0f200);
	gdt_flat(&m, 0x28, 0xa0fa00); /* 64-bit code, DPL 3 */
	gdt_flat(&m, 0x30, 0xc09a00); /* 32-bit code: start */
	gdt_sys(&m, 0x38, G_TSS, 0x67, 0x89);
	w64(&m, G_GDT + 0x40, 0);
	w64(&m, G_TSS + 4, KSTACK);      /* RSP0 */
	w64(&m, G_TSS + 0x24, ISTACK);   /* IST1 */
	/* identity map of the first GiB with 2 MiB user pages */
	w64(&m, G_PML4, (G_PML4 + 0x1000) | 7);
	w64(&m, G_PML4 + 0x1000, (G_PML4 + 0x2000) | 7);
	for (uint64_t i = 0; i < 512; i++)
		w64(&m, G_PML4 + 0x2000 + i * 8, (i << 21) | 0x87);
	static const unsigned vecs[] = { 8, 13, 14, 0x40, 0x41 };
	for (unsigned i = 0; i < 5; i++)
		idt64(&m, vecs[i], A(t64_stub_table) + 16 * i, 0x08, 0x8e, vecs[i] == 0x41 || vecs[i] == 8 ? 1 : 0);
	idt64(&m, 0x42, A(t64_end_handler), 0x08, 0xee, 0);
	state32(&m, 0x30, 0x10, 0x47, 0xfff);
	c->rip = A(t64_start);
	int r = sysmini_run(&m, 100000);
	tap_ok(r == 257, "long mode: ends halted at ring 0 (got %d)", r);
	unsigned i = 0;
	const uint64_t f0 = KSTACK - 40 - 16; /* aligned frame, error, vector */
	EXPECT(&m, &i, "EFER.LMA set by CR0.PG with LME", 0x501);
	EXPECT(&m, &i, "64-bit INT: frame with SS:RSP on the current stack", 0x40, 0, A(L64_int40), 0x08, 0x10, f0);
	EXPECT(&m, &i, "IST1 stack for vector 0x41", 0x41, 0, A(L64_int41), 0x08, 0x10, ISTACK - 56);
	EXPECT(&m, &i, "#PF on an unmapped PDPTE: error 0", 14, 0, A(L64_pf), 0x08, 0x10, f0, 0x40000000);
	EXPECT(&m, &i, "#PF while pushing the #PF frame: #DF(0) on IST1, CR2 of the push", 8, 0, A(L64_pfdf),
	       0x08, 0x10, ISTACK - 56, 0x40000ff8);
	EXPECT(&m, &i, "SYSRET to 64-bit ring 3", 0x2b, 0x23);
	EXPECT(&m, &i, "SYSCALL: CS/SS from STAR, RCX, R11, FMASK, SWAPGS", 0x08, 0x10, A(t64_after_syscall),
	       0x3202, 0x3002, 0x2222);
	EXPECT(&m, &i, "SYSRET back to ring 3", 0x2b);
	EXPECT(&m, &i, "HLT at CPL 3: #GP(0), RSP0 stack, user SS in the frame", 13, 0, A(L64_hlt), 0x2b, 0x23, f0);
	EXPECT(&m, &i, "INT 0x42 reaches the end handler", 0xe0d);
	sysmini_fini(&m);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(60); /* a guest stuck in a loop must not hang the suite */
	if (getenv("SYS_TEST_LOG"))
		sys_test_log = atoi(getenv("SYS_TEST_LOG"));
	test_prot32();
	test_double_fault();
	test_task();
	test_vm86();
	test_real();
	test_long();
	return tap_done();
}
