/*
 * Differential test of SSE3/SSSE3/SSE4.1/SSE4.2/AES-NI/PCLMULQDQ: every
 * instruction is executed on the host CPU (the oracle: the host has all of
 * these extensions) and on lemu's CPU core through the unit harness, from
 * the same register and memory state, over every imm8 for the instructions
 * that take one, and the resulting XMM/MMX/GPR/flags/MXCSR/memory state
 * must be identical.  One TAP line per instruction form.
 *
 * Native execution: the instruction bytes followed by RET are copied into
 * an executable page and called from inline asm that loads xmm0-2, mm0-1,
 * rax/rcx/rdx/rsi and MXCSR from a state block and stores them back.
 */
#include "harness.h"
#include "cpu/x86/ops.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>

/* An unmasked SIMD exception in the native run (SIGFPE): resume at the
 * RET after the instruction; the kernel restores the registers and MXCSR
 * as of the fault from the signal frame. */
static volatile uintptr_t resume_rip;
static volatile int fpe_hit;
static void on_fpe(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = ucv;
	fpe_hit = 1;
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)resume_rip;
}

struct st {
	union xmm x[3];             /* 0, 16, 32 */
	uint64_t rax, rcx, rdx, rsi; /* 48 .. 72 */
	uint64_t flags;             /* 80 */
	uint64_t mm[2];             /* 88, 96 */
	uint32_t mxcsr;             /* 104 */
	uint32_t pad;
	uint8_t mem[48] __attribute__((aligned(16))); /* memory operand (host side) */
	int fault;                  /* the instruction raised #XM / SIGFPE */
};

static void native_run(struct st *s, void *code)
{
	uint32_t host_csr = 0;
	__asm__ volatile("stmxcsr %[hc]\n\t"
			 "ldmxcsr 104(%[s])\n\t"
			 "movdqu 0(%[s]), %%xmm0\n\t"
			 "movdqu 16(%[s]), %%xmm1\n\t"
			 "movdqu 32(%[s]), %%xmm2\n\t"
			 "movq 88(%[s]), %%mm0\n\t"
			 "movq 96(%[s]), %%mm1\n\t"
			 "mov 48(%[s]), %%rax\n\t"
			 "mov 56(%[s]), %%rcx\n\t"
			 "mov 64(%[s]), %%rdx\n\t"
			 "mov 72(%[s]), %%rsi\n\t"
			 "lea -128(%%rsp), %%rsp\n\t"
			 "call *%[code]\n\t"
			 "pushfq\n\t"
			 "popq 80(%[s])\n\t"
			 "lea 128(%%rsp), %%rsp\n\t"
			 "stmxcsr 104(%[s])\n\t"
			 "movdqu %%xmm0, 0(%[s])\n\t"
			 "movdqu %%xmm1, 16(%[s])\n\t"
			 "movdqu %%xmm2, 32(%[s])\n\t"
			 "movq %%mm0, 88(%[s])\n\t"
			 "movq %%mm1, 96(%[s])\n\t"
			 "mov %%rax, 48(%[s])\n\t"
			 "mov %%rcx, 56(%[s])\n\t"
			 "mov %%rdx, 64(%[s])\n\t"
			 "mov %%rsi, 72(%[s])\n\t"
			 "emms\n\t"
			 "ldmxcsr %[hc]"
			 : [hc] "+m"(host_csr)
			 : [s] "r"(s), [code] "r"(code)
			 : "rax", "rcx", "rdx", "rsi", "xmm0", "xmm1", "xmm2", "mm0", "mm1", "memory",
			   "cc");
}

/* Load new code bytes (followed by INT3) at HARNESS_CODE: invalidating
 * just that range is much cheaper than harness_run()'s full TB flush,
 * and the same code then runs for many inputs. */
static void emu_load(struct harness *h, const uint8_t *code, size_t n)
{
	memcpy(h->mem + HARNESS_CODE, code, n);
	h->mem[HARNESS_CODE + n] = 0xcc;
	tb_invalidate_range(h->cpu.tbc, HARNESS_CODE, 32);
}

/* Run the loaded code from state s (rsi points at HARNESS_DATA); returns
 * -1 at INT3 or the exception vector, as harness_run(). */
static int emu_run(struct harness *h, struct st *s)
{
	struct cpu *c = &h->cpu;
	for (int i = 0; i < 3; i++)
		c->xmm[i] = s->x[i];
	c->regs[R_RAX] = s->rax;
	c->regs[R_RCX] = s->rcx;
	c->regs[R_RDX] = s->rdx;
	c->regs[R_RSI] = HARNESS_DATA;
	c->regs[R_RSP] = HARNESS_STACK_TOP;
	c->rip = HARNESS_CODE;
	c->mxcsr = s->mxcsr;
	mmx_set(c, 0, s->mm[0]);
	mmx_set(c, 1, s->mm[1]);
	memcpy(h->mem + HARNESS_DATA, s->mem, sizeof(s->mem));
	int r;
	s->fault = 0;
	for (;;) {
		int e = cpu_exec(c);
		if (e == EXIT_INT && c->exc_vector == EXC_BP) {
			r = -1;
			break;
		}
		if (e == EXIT_EXCEPTION || e == EXIT_INT) {
			r = c->exc_vector;
			if (r == EXC_XM) {
				s->fault = 1;
				r = -1;
			}
			break;
		}
	}
	for (int i = 0; i < 3; i++)
		s->x[i] = c->xmm[i];
	s->rax = c->regs[R_RAX];
	s->rcx = c->regs[R_RCX];
	s->rdx = c->regs[R_RDX];
	s->flags = cpu_get_eflags(c);
	s->mm[0] = mmx_get(c, 0);
	s->mm[1] = mmx_get(c, 1);
	s->mxcsr = c->mxcsr;
	memcpy(s->mem, h->mem + HARNESS_DATA, sizeof(s->mem));
	return r;
}

/* Input kinds. */
enum { K_INT, K_PS, K_PD, K_STR };
/* Test flags. */
#define T_IMM 0x01   /* imm8 follows; sweep all 256 */
#define T_NOREG 0x02 /* memory form only */
#define T_NOMEM 0x04 /* register form only */
#define T_FLAGS 0x08 /* OSZAPC are defined */
#define T_MMX 0x10   /* MMX registers (mm0 <- mm1 / m64) */
#define T_GPR 0x20   /* r/m is a GPR (rdx) in the register form */
#define T_FEW 0x40   /* fewer inputs per imm (expensive sweeps) */

struct tinsn {
	const char *name;
	uint8_t op[6], n;
	uint8_t flags, kind;
};

#define I(name, fl, kind, ...) { name, { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }), fl, kind }
#define S38(name, o) I(name, 0, K_INT, 0x66, 0x0f, 0x38, o), I(name " mmx", T_MMX, K_INT, 0x0f, 0x38, o)

static const struct tinsn tests[] = {
	/* SSE3 */
	I("addsubps", 0, K_PS, 0xf2, 0x0f, 0xd0), I("addsubpd", 0, K_PD, 0x66, 0x0f, 0xd0),
	I("haddps", 0, K_PS, 0xf2, 0x0f, 0x7c), I("haddpd", 0, K_PD, 0x66, 0x0f, 0x7c),
	I("hsubps", 0, K_PS, 0xf2, 0x0f, 0x7d), I("hsubpd", 0, K_PD, 0x66, 0x0f, 0x7d),
	I("movsldup", 0, K_INT, 0xf3, 0x0f, 0x12), I("movshdup", 0, K_INT, 0xf3, 0x0f, 0x16),
	I("movddup", 0, K_INT, 0xf2, 0x0f, 0x12), I("lddqu", T_NOREG, K_INT, 0xf2, 0x0f, 0xf0),
	/* SSSE3 */
	S38("pshufb", 0x00), S38("phaddw", 0x01), S38("phaddd", 0x02), S38("phaddsw", 0x03),
	S38("pmaddubsw", 0x04), S38("phsubw", 0x05), S38("phsubd", 0x06), S38("phsubsw", 0x07),
	S38("psignb", 0x08), S38("psignw", 0x09), S38("psignd", 0x0a), S38("pmulhrsw", 0x0b),
	S38("pabsb", 0x1c), S38("pabsw", 0x1d), S38("pabsd", 0x1e),
	I("palignr", T_IMM, K_INT, 0x66, 0x0f, 0x3a, 0x0f),
	I("palignr mmx", T_IMM | T_MMX, K_INT, 0x0f, 0x3a, 0x0f),
	/* SSE4.1 */
	I("pblendvb", 0, K_INT, 0x66, 0x0f, 0x38, 0x10), I("blendvps", 0, K_INT, 0x66, 0x0f, 0x38, 0x14),
	I("blendvpd", 0, K_INT, 0x66, 0x0f, 0x38, 0x15), I("ptest", T_FLAGS, K_INT, 0x66, 0x0f, 0x38, 0x17),
	I("pmovsxbw", 0, K_INT, 0x66, 0x0f, 0x38, 0x20), I("pmovsxbd", 0, K_INT, 0x66, 0x0f, 0x38, 0x21),
	I("pmovsxbq", 0, K_INT, 0x66, 0x0f, 0x38, 0x22), I("pmovsxwd", 0, K_INT, 0x66, 0x0f, 0x38, 0x23),
	I("pmovsxwq", 0, K_INT, 0x66, 0x0f, 0x38, 0x24), I("pmovsxdq", 0, K_INT, 0x66, 0x0f, 0x38, 0x25),
	I("pmuldq", 0, K_INT, 0x66, 0x0f, 0x38, 0x28), I("pcmpeqq", 0, K_INT, 0x66, 0x0f, 0x38, 0x29),
	I("movntdqa", T_NOREG, K_INT, 0x66, 0x0f, 0x38, 0x2a), I("packusdw", 0, K_INT, 0x66, 0x0f, 0x38, 0x2b),
	I("pmovzxbw", 0, K_INT, 0x66, 0x0f, 0x38, 0x30), I("pmovzxbd", 0, K_INT, 0x66, 0x0f, 0x38, 0x31),
	I("pmovzxbq", 0, K_INT, 0x66, 0x0f, 0x38, 0x32), I("pmovzxwd", 0, K_INT, 0x66, 0x0f, 0x38, 0x33),
	I("pmovzxwq", 0, K_INT, 0x66, 0x0f, 0x38, 0x34), I("pmovzxdq", 0, K_INT, 0x66, 0x0f, 0x38, 0x35),
	I("pcmpgtq", 0, K_INT, 0x66, 0x0f, 0x38, 0x37),
	I("pminsb", 0, K_INT, 0x66, 0x0f, 0x38, 0x38), I("pminsd", 0, K_INT, 0x66, 0x0f, 0x38, 0x39),
	I("pminuw", 0, K_INT, 0x66, 0x0f, 0x38, 0x3a), I("pminud", 0, K_INT, 0x66, 0x0f, 0x38, 0x3b),
	I("pmaxsb", 0, K_INT, 0x66, 0x0f, 0x38, 0x3c), I("pmaxsd", 0, K_INT, 0x66, 0x0f, 0x38, 0x3d),
	I("pmaxuw", 0, K_INT, 0x66, 0x0f, 0x38, 0x3e), I("pmaxud", 0, K_INT, 0x66, 0x0f, 0x38, 0x3f),
	I("pmulld", 0, K_INT, 0x66, 0x0f, 0x38, 0x40), I("phminposuw", 0, K_INT, 0x66, 0x0f, 0x38, 0x41),
	I("roundps", T_IMM, K_PS, 0x66, 0x0f, 0x3a, 0x08), I("roundpd", T_IMM, K_PD, 0x66, 0x0f, 0x3a, 0x09),
	I("roundss", T_IMM, K_PS, 0x66, 0x0f, 0x3a, 0x0a), I("roundsd", T_IMM, K_PD, 0x66, 0x0f, 0x3a, 0x0b),
	I("blendps", T_IMM, K_INT, 0x66, 0x0f, 0x3a, 0x0c), I("blendpd", T_IMM, K_INT, 0x66, 0x0f, 0x3a, 0x0d),
	I("pblendw", T_IMM, K_INT, 0x66, 0x0f, 0x3a, 0x0e),
	I("pextrb", T_IMM | T_GPR, K_INT, 0x66, 0x0f, 0x3a, 0x14),
	I("pextrw", T_IMM | T_GPR, K_INT, 0x66, 0x0f, 0x3a, 0x15),
	I("pextrd", T_IMM | T_GPR, K_INT, 0x66, 0x0f, 0x3a, 0x16),
	I("pextrq", T_IMM | T_GPR, K_INT, 0x66, 0x48, 0x0f, 0x3a, 0x16),
	I("extractps", T_IMM | T_GPR, K_INT, 0x66, 0x0f, 0x3a, 0x17),
	I("extractps w", T_IMM | T_GPR, K_INT, 0x66, 0x48, 0x0f, 0x3a, 0x17),
	I("pinsrb", T_IMM | T_GPR, K_INT, 0x66, 0x0f, 0x3a, 0x20),
	I("insertps", T_IMM, K_PS, 0x66, 0x0f, 0x3a, 0x21),
	I("pinsrd", T_IMM | T_GPR, K_INT, 0x66, 0x0f, 0x3a, 0x22),
	I("pinsrq", T_IMM | T_GPR, K_INT, 0x66, 0x48, 0x0f, 0x3a, 0x22),
	I("dpps", T_IMM, K_PS, 0x66, 0x0f, 0x3a, 0x40), I("dppd", T_IMM, K_PD, 0x66, 0x0f, 0x3a, 0x41),
	I("mpsadbw", T_IMM, K_INT, 0x66, 0x0f, 0x3a, 0x42),
	/* SSE4.2 */
	I("pcmpestrm", T_IMM | T_FLAGS, K_STR, 0x66, 0x0f, 0x3a, 0x60),
	I("pcmpestri", T_IMM | T_FLAGS, K_STR, 0x66, 0x0f, 0x3a, 0x61),
	I("pcmpestrm w", T_IMM | T_FLAGS | T_FEW, K_STR, 0x66, 0x48, 0x0f, 0x3a, 0x60),
	I("pcmpestri w", T_IMM | T_FLAGS | T_FEW, K_STR, 0x66, 0x48, 0x0f, 0x3a, 0x61),
	I("pcmpistrm", T_IMM | T_FLAGS, K_STR, 0x66, 0x0f, 0x3a, 0x62),
	I("pcmpistri", T_IMM | T_FLAGS, K_STR, 0x66, 0x0f, 0x3a, 0x63),
	/* AES, PCLMUL */
	I("aesimc", 0, K_INT, 0x66, 0x0f, 0x38, 0xdb), I("aesenc", 0, K_INT, 0x66, 0x0f, 0x38, 0xdc),
	I("aesenclast", 0, K_INT, 0x66, 0x0f, 0x38, 0xdd), I("aesdec", 0, K_INT, 0x66, 0x0f, 0x38, 0xde),
	I("aesdeclast", 0, K_INT, 0x66, 0x0f, 0x38, 0xdf),
	I("aeskeygenassist", T_IMM, K_INT, 0x66, 0x0f, 0x3a, 0xdf),
	I("pclmulqdq", T_IMM, K_INT, 0x66, 0x0f, 0x3a, 0x44),
};

/* xorshift64*: deterministic inputs. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static uint32_t gen_int32(uint64_t *r)
{
	static const uint32_t sp[] = { 0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0x8000, 0x7fff,
				       0xffff8000, 0x80, 0x7f, 0xff, 0x80808080, 0x7f7f7f7f,
				       0x00ff00ff, 0xff00ff00, 0x01000100 };
	uint64_t v = rnd(r);
	return (v & 3) == 0 ? sp[(v >> 8) % 16] : (uint32_t)(v >> 32);
}
static uint32_t gen_f32(uint64_t *r)
{
	static const uint32_t sp[] = {
		0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40200000, 0xbfc00000,
		0x3f000000, 0xbf000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x7f800001,
		0x7fa00000, 0x00000001, 0x807fffff, 0x00800000, 0x7f7fffff, 0x4b000000, 0x4b7fffff,
		0xcb000001, 0x3effffff, 0x3f7fffff, 0x40400000, 0x1f800000, 0x5f800000, 0x00400000,
	};
	uint64_t v = rnd(r);
	switch (v & 3) {
	case 0: return (uint32_t)(v >> 32);
	case 1: { /* modest magnitude with a fraction */
		float f = (float)((int64_t)(v >> 40) - (1 << 23)) / 1024.0f;
		uint32_t u;
		memcpy(&u, &f, 4);
		return u;
	}
	default: return sp[(v >> 8) % (sizeof(sp) / 4)];
	}
}
static uint64_t gen_f64(uint64_t *r)
{
	static const uint64_t sp[] = {
		0, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull,
		0x3ff8000000000000ull, 0x4004000000000000ull, 0x3fe0000000000000ull,
		0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull,
		0xfff8000000000001ull, 0x7ff0000000000001ull, 0x7ff4000000000000ull, 1,
		0x800fffffffffffffull, 0x0010000000000000ull, 0x7fefffffffffffffull,
		0x4330000000000000ull, 0x433fffffffffffffull, 0x3fdfffffffffffffull,
		0x0008000000000000ull, 0x1ff0000000000000ull, 0x5ff0000000000000ull,
	};
	uint64_t v = rnd(r);
	switch (v & 3) {
	case 0: return rnd(r);
	case 1: {
		double d = (double)((int64_t)(v >> 20) - (1ll << 43)) / 4096.0;
		uint64_t u;
		memcpy(&u, &d, 8);
		return u;
	}
	default: return sp[(v >> 8) % (sizeof(sp) / 8)];
	}
}
/* Strings: a small alphabet so that matches are common, a NUL at a random
 * position (or none), and occasionally sign-boundary bytes/words. */
static void gen_str(uint64_t *r, union xmm *x, int words)
{
	static const uint8_t alpha[] = { 'a', 'b', 'c', 'd', 'a', 'b', 0x7f, 0x80, 0xff, 'z' };
	uint64_t v = rnd(r);
	unsigned n = words ? 8 : 16;
	for (unsigned i = 0; i < 16; i++)
		x->b[i] = alpha[rnd(r) % sizeof(alpha)];
	if (words)
		for (unsigned i = 0; i < 8; i++)
			x->w[i] = (uint16_t)((rnd(r) & 1) ? alpha[rnd(r) % sizeof(alpha)]
							  : (alpha[rnd(r) % 4] | (alpha[rnd(r) % 10] << 8)));
	unsigned pos = (unsigned)(v % (n + 4));
	if (pos < n) {
		if (words)
			x->w[pos] = 0;
		else
			x->b[pos] = 0;
	}
}
static uint64_t gen_len(uint64_t *r)
{
	static const uint64_t sp[] = { 0, 1, 16, 17, 8, 9, 0xffffffff, 0xfffffff0, 0x80000000,
				       0x7fffffff, 0x100000003ull, 0xffffffff00000005ull,
				       0x8000000000000000ull, 0xfffffffffffffff8ull, 0xfffffffffffffff0ull,
				       0xffffffffffffffefull };
	uint64_t v = rnd(r);
	if (v & 1)
		return (uint64_t)((int64_t)((v >> 8) % 41) - 20);
	return sp[(v >> 8) % 16];
}

static void gen_state(uint64_t *r, const struct tinsn *t, struct st *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 4; j++) {
			switch (t->kind) {
			case K_PS: s->x[i].l[j] = gen_f32(r); break;
			case K_PD:
				if (j < 2)
					s->x[i].q[j] = gen_f64(r);
				break;
			default: s->x[i].l[j] = gen_int32(r); break;
			}
		}
	if (t->kind == K_STR) {
		int words = (rnd(r) & 1);
		gen_str(r, &s->x[1], words);
		gen_str(r, &s->x[2], words);
		/* sometimes make src2 contain src1 */
		if ((rnd(r) & 3) == 0) {
			unsigned off = (unsigned)(rnd(r) % 16);
			for (unsigned i = 0; i + off < 16; i++)
				s->x[2].b[i + off] = s->x[1].b[i];
		}
		s->rax = gen_len(r);
		s->rdx = gen_len(r);
	} else {
		s->rax = rnd(r);
		s->rdx = rnd(r);
	}
	s->rcx = rnd(r);
	s->mm[0] = rnd(r);
	s->mm[1] = rnd(r);
	/* MXCSR: any rounding mode, FTZ/DAZ, every exception masked, some
	 * sticky flags already set. */
	uint64_t m = rnd(r);
	s->mxcsr = 0x1f80 | ((uint32_t)(m & 3) << 13) | ((m & 4) ? 0x8000 : 0) | ((m & 8) ? 0x40 : 0) |
		   ((m & 0x30) == 0x30 ? (uint32_t)(m >> 8) & 0x3f : 0);
	/* FP inputs: one run in four with some exceptions unmasked (#XM) */
	if ((t->kind == K_PS || t->kind == K_PD) && (m & 0xc0) == 0xc0)
		s->mxcsr &= ~((uint32_t)(m >> 16) & 0x1f80);
	memcpy(s->mem, &s->x[2], 16);
	if (t->flags & T_MMX)
		memcpy(s->mem, &s->mm[1], 8);
	memcpy(s->mem + 16, &s->x[0], 16);
}

static int diff_state(const struct st *a, const struct st *b, const struct tinsn *t)
{
	if (a->fault != b->fault || memcmp(a->x, b->x, sizeof(a->x)) || a->rax != b->rax || a->rcx != b->rcx ||
	    a->rdx != b->rdx || a->mm[0] != b->mm[0] || a->mm[1] != b->mm[1] ||
	    a->mxcsr != b->mxcsr || memcmp(a->mem, b->mem, sizeof(a->mem)))
		return 1;
	if ((t->flags & T_FLAGS) && ((a->flags ^ b->flags) & FL_ARITH))
		return 1;
	return 0;
}

static void dump(const char *what, const struct st *s)
{
	printf("#  %s:", what);
	for (int i = 0; i < 3; i++)
		printf(" x%d=%016llx%016llx", i, (unsigned long long)s->x[i].q[1],
		       (unsigned long long)s->x[i].q[0]);
	printf("\n#    fault=%d rax=%llx rcx=%llx rdx=%llx mm0=%llx mm1=%llx mxcsr=%x fl=%llx mem=",
	       s->fault, (unsigned long long)s->rax, (unsigned long long)s->rcx, (unsigned long long)s->rdx,
	       (unsigned long long)s->mm[0], (unsigned long long)s->mm[1], s->mxcsr,
	       (unsigned long long)(s->flags & FL_ARITH));
	for (int i = 0; i < 16; i++)
		printf("%02x", s->mem[i]);
	printf("\n");
}

int main(int argc, char **argv)
{
	struct harness h;
	if (harness_init(&h, 1)) {
		printf("Bail out! harness_init\n");
		return 1;
	}
	uint8_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		printf("Bail out! mmap exec\n");
		return 1;
	}
	/* argv[1]: only this instruction ("all" for every one); argv[2]: input
	 * multiplier for deeper runs by hand. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fpe;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGFPE, &sa, NULL);
	const char *only = argc > 1 && strcmp(argv[1], "all") ? argv[1] : NULL;
	unsigned mult = argc > 2 ? (unsigned)atoi(argv[2]) : 1;
	static struct st states[3];
	struct st *in = &states[0];
	struct st *nat = in + 1, *emu = in + 2;
	for (size_t ti = 0; ti < sizeof(tests) / sizeof(tests[0]); ti++) {
		const struct tinsn *t = &tests[ti];
		if (only && strcmp(only, t->name))
			continue;
		uint64_t seed = 0x9e3779b97f4a7c15ull ^ (ti * 0x1234567ull);
		unsigned nimm = (t->flags & T_IMM) ? 256 : 1;
		unsigned per = (t->flags & T_IMM) ? ((t->flags & T_FEW) ? 24 : t->kind == K_STR ? 64 : 16) : 2000;
		per *= mult ? mult : 1;
		unsigned runs = 0, bad = 0, nfault = 0;
		for (unsigned form = 0; form < 2; form++) {
			if (form == 0 && (t->flags & T_NOREG))
				continue;
			if (form == 1 && (t->flags & T_NOMEM))
				continue;
			uint8_t code[16];
			memcpy(code, t->op, t->n);
			unsigned n = t->n;
			if (form == 0)
				code[n++] = (t->flags & T_MMX) ? 0xc1 : 0xca; /* reg 0/1, rm 1/2 */
			else
				code[n++] = (t->flags & T_MMX) ? 0x06 : 0x0e; /* [rsi] */
			unsigned immpos = n;
			if (t->flags & T_IMM)
				n++;
			for (unsigned imm = 0; imm < nimm; imm++) {
				code[immpos] = (uint8_t)imm;
				memcpy(page, code, n);
				page[n] = 0xc3;
				resume_rip = (uintptr_t)page + n;
				emu_load(&h, code, n);
				for (unsigned k = 0; k < per; k++) {
					gen_state(&seed, t, in);
					*nat = *in;
					nat->rsi = (uintptr_t)nat->mem;
					fpe_hit = 0;
					native_run(nat, page);
					nat->fault = fpe_hit;
					if (fpe_hit)
						nfault++;
					*emu = *in;
					int r = emu_run(&h, emu);
					runs++;
					if (r != -1 || diff_state(nat, emu, t)) {
						if (bad++ < 3) {
							printf("# %s form=%s imm=%02x: exc=%d\n", t->name,
							       form ? "mem" : "reg", imm, r);
							dump("input ", in);
							dump("native", nat);
							dump("lemu  ", emu);
						}
					}
				}
			}
		}
		tap_ok(bad == 0, "%s: %u of %u runs differ (%u #XM)", t->name, bad, runs, nfault);
	}
	harness_fini(&h);
	return tap_done();
}
