/*
 * Differential testing of integer instructions: the same machine code runs
 * on the host CPU (the oracle) and on lemu's CPU core through the unit
 * harness, from the same registers, flags and memory block; registers,
 * the defined flags and memory must then be identical.
 *
 * rsi and rdi always hold offsets into the memory block (the native run
 * adds the host block address, the emulated run HARNESS_DATA), so memory
 * operands are written as [rsi+disp] / [rdi+disp].  The native block is
 * mapped below 4 GiB so 32-bit address-size forms (67 prefix) work too.
 */
#ifndef LEMU_TESTS_TEST_INT2_H
#define LEMU_TESTS_TEST_INT2_H

#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define T2_MEMSZ 12288u /* three pages: the bulk string paths cross pages */

struct gst {
	uint64_t r[16]; /* 0..120 */
	uint64_t fl;    /* 128 */
};

struct t2 {
	struct harness h;
	uint8_t *nmem;  /* native memory block (below 4 GiB) */
	uint8_t *ncode; /* native code page */
	uint8_t init[T2_MEMSZ];
	long runs, fails, diag;
	int strict; /* INT2_STRICT=1: compare undefined flags too (information) */
};

/* The native runner: loads every GPR but rsp and OSZAPC/DF from *s, calls
 * code, stores them back. */
void int2_native(struct gst *s, void *code);
__asm__(".text\n"
	".globl int2_native\n"
	".type int2_native,@function\n"
	"int2_native:\n"
	"push %rbx\npush %rbp\npush %r12\npush %r13\npush %r14\npush %r15\n"
	"push %rdi\npush %rsi\n"
	"pushq 128(%rdi)\npopfq\n"
	"mov 0(%rdi),%rax\nmov 8(%rdi),%rcx\nmov 16(%rdi),%rdx\nmov 24(%rdi),%rbx\n"
	"mov 40(%rdi),%rbp\nmov 48(%rdi),%rsi\n"
	"mov 64(%rdi),%r8\nmov 72(%rdi),%r9\nmov 80(%rdi),%r10\nmov 88(%rdi),%r11\n"
	"mov 96(%rdi),%r12\nmov 104(%rdi),%r13\nmov 112(%rdi),%r14\nmov 120(%rdi),%r15\n"
	"mov 56(%rdi),%rdi\n"
	"call *(%rsp)\n"
	"pushfq\npush %rdi\n"
	"mov 24(%rsp),%rdi\n"
	"popq 56(%rdi)\npopq 128(%rdi)\n"
	"mov %rax,0(%rdi)\nmov %rcx,8(%rdi)\nmov %rdx,16(%rdi)\nmov %rbx,24(%rdi)\n"
	"mov %rbp,40(%rdi)\nmov %rsi,48(%rdi)\n"
	"mov %r8,64(%rdi)\nmov %r9,72(%rdi)\nmov %r10,80(%rdi)\nmov %r11,88(%rdi)\n"
	"mov %r12,96(%rdi)\nmov %r13,104(%rdi)\nmov %r14,112(%rdi)\nmov %r15,120(%rdi)\n"
	"add $16,%rsp\n"
	"pop %r15\npop %r14\npop %r13\npop %r12\npop %rbp\npop %rbx\n"
	"cld\nret\n"
	".size int2_native, .-int2_native\n");

static inline int t2_init(struct t2 *x, int mode64)
{
	memset(x, 0, sizeof(*x));
	if (harness_init(&x->h, mode64))
		return -1;
	x->nmem = mmap(NULL, T2_MEMSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
		       -1, 0);
	x->ncode = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	if (x->nmem == MAP_FAILED || x->ncode == MAP_FAILED)
		return -1;
	for (unsigned i = 0; i < T2_MEMSZ; i++)
		x->init[i] = (uint8_t)(i * 37 + (i >> 8) * 11 + 5);
	const char *s = getenv("INT2_STRICT");
	x->strict = s && *s == '1';
	return 0;
}

/* Run code (n bytes, INT3 appended) on the emulator from *s. */
static inline int t2_emu(struct t2 *x, struct gst *s, const uint8_t *code, size_t n)
{
	struct cpu *c = &x->h.cpu;
	uint8_t *m = x->h.mem;
	memcpy(m + HARNESS_CODE, code, n);
	m[HARNESS_CODE + n] = 0xcc;
	tb_invalidate_range(c->tbc, HARNESS_CODE, 64);
	for (int i = 0; i < 16; i++)
		c->regs[i] = s->r[i];
	c->regs[R_RSI] += HARNESS_DATA;
	c->regs[R_RDI] += HARNESS_DATA;
	c->regs[R_RSP] = HARNESS_STACK_TOP;
	cpu_set_eflags(c, (uint32_t)s->fl, FL_ARITH | FL_DF);
	c->rip = HARNESS_CODE;
	int r;
	for (;;) {
		r = cpu_exec(c);
		if (r == EXIT_INT && c->exc_vector == EXC_BP) {
			r = -1;
			break;
		}
		if (r == EXIT_EXCEPTION || r == EXIT_INT) {
			r = c->exc_vector;
			break;
		}
	}
	for (int i = 0; i < 16; i++)
		s->r[i] = c->regs[i];
	s->r[R_RSI] -= HARNESS_DATA;
	s->r[R_RDI] -= HARNESS_DATA;
	s->r[R_RSP] = 0;
	s->fl = cpu_get_eflags(c) & (FL_ARITH | FL_DF);
	return r;
}

static inline void t2_nat(struct t2 *x, struct gst *s, const uint8_t *code, size_t n)
{
	memcpy(x->ncode, code, n);
	x->ncode[n] = 0xc3;
	s->r[R_RSI] += (uintptr_t)x->nmem;
	s->r[R_RDI] += (uintptr_t)x->nmem;
	s->r[R_RSP] = 0;
	int2_native(s, x->ncode);
	s->r[R_RSI] -= (uintptr_t)x->nmem;
	s->r[R_RDI] -= (uintptr_t)x->nmem;
	s->r[R_RSP] = 0;
	s->fl &= FL_ARITH | FL_DF;
}

static inline void t2_dump(const char *what, const struct gst *s)
{
	printf("#   %s: fl=%03llx", what, (unsigned long long)s->fl);
	static const char *const nm[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
					    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
	for (int i = 0; i < 16; i++)
		if (s->r[i] && i != R_RSP)
			printf(" %s=%llx", nm[i], (unsigned long long)s->r[i]);
	printf("\n");
}

/* Compare native and emulated runs of code from *in; fmask = the flags
 * that are defined (DF is always compared). */
static inline void t2_check(struct t2 *x, const char *name, const uint8_t *code, size_t n,
			    const struct gst *in, uint32_t fmask)
{
	struct gst a = *in, b = *in;
	a.r[R_RSP] = b.r[R_RSP] = 0;
	memcpy(x->nmem, x->init, T2_MEMSZ);
	t2_nat(x, &a, code, n);
	memcpy(x->h.mem + HARNESS_DATA, x->init, T2_MEMSZ);
	int r = t2_emu(x, &b, code, n);
	if (x->strict)
		fmask = FL_ARITH;
	fmask |= FL_DF;
	int same = r == -1 && !memcmp(a.r, b.r, sizeof(a.r)) && ((a.fl ^ b.fl) & fmask) == 0 &&
		   !memcmp(x->nmem, x->h.mem + HARNESS_DATA, T2_MEMSZ);
	x->runs++;
	if (same)
		return;
	x->fails++;
	if (x->diag++ >= 6)
		return;
	printf("# %s mismatch (exc %d, flag mask %03x), code:", name, r, fmask);
	for (size_t i = 0; i < n; i++)
		printf(" %02x", code[i]);
	printf("\n");
	t2_dump("input ", in);
	t2_dump("native", &a);
	t2_dump("lemu  ", &b);
	if (memcmp(x->nmem, x->h.mem + HARNESS_DATA, T2_MEMSZ))
		for (unsigned i = 0; i < T2_MEMSZ; i++)
			if (x->nmem[i] != x->h.mem[HARNESS_DATA + i]) {
				printf("#   memory differs at +%u: native %02x lemu %02x\n", i, x->nmem[i],
				       x->h.mem[HARNESS_DATA + i]);
				break;
			}
}

/* The emulator alone must raise `vector` with RIP at the instruction and
 * no register changed. */
static inline void t2_check_fault(struct t2 *x, const char *name, const uint8_t *code, size_t n,
				  const struct gst *in, int vector)
{
	struct gst b = *in;
	b.r[R_RSP] = 0;
	memcpy(x->h.mem + HARNESS_DATA, x->init, T2_MEMSZ);
	int r = t2_emu(x, &b, code, n);
	struct gst e = *in;
	e.r[R_RSP] = 0;
	x->runs++;
	if (r == vector && x->h.cpu.rip == HARNESS_CODE && !memcmp(b.r, e.r, sizeof(e.r)))
		return;
	x->fails++;
	if (x->diag++ < 6) {
		printf("# %s: expected exception %d, got %d at rip %llx\n", name, vector, r,
		       (unsigned long long)x->h.cpu.rip);
		t2_dump("input", in);
		t2_dump("lemu ", &b);
	}
}

static inline void t2_begin(struct t2 *x)
{
	x->runs = x->fails = x->diag = 0;
}
static inline void t2_end(struct t2 *x, const char *family)
{
	tap_ok(x->fails == 0, "%s: %ld cases, %ld mismatches", family, x->runs, x->fails);
}

/* A tiny code builder. */
struct cb {
	uint8_t b[32];
	size_t n;
};
static inline void cb_reset(struct cb *c)
{
	c->n = 0;
}
static inline void cb_put(struct cb *c, const uint8_t *p, size_t n)
{
	memcpy(c->b + c->n, p, n);
	c->n += n;
}
#define CB(c, ...) cb_put(c, (const uint8_t[]){ __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }))
/* Operand-size prefix/REX for size (1, 2, 4, 8); rex_extra adds R/X/B. */
static inline void cb_size(struct cb *c, unsigned size, unsigned rex_extra)
{
	if (size == 2)
		CB(c, 0x66);
	unsigned rex = (size == 8 ? 8 : 0) | rex_extra;
	if (rex)
		CB(c, (uint8_t)(0x40 | rex));
}
static inline void cb_imm(struct cb *c, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		c->b[c->n++] = (uint8_t)(v >> (8 * i));
}

/* Edge values (upper bits deliberately set for narrow operand sizes). */
static const uint64_t t2_vals[] = {
	0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff,
	0x80000000, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
	~0ull, ~1ull, 0x123456789abcdef0ull, 0xfedcba9876543210ull, 0x5555555555555555ull,
	0xaaaaaaaaaaaaaaaaull, 0xdeadbeefull, 0x8000000080008080ull,
};
#define T2_NV (sizeof(t2_vals) / sizeof(t2_vals[0]))
static const unsigned t2_sizes[4] = { 1, 2, 4, 8 };

#endif
