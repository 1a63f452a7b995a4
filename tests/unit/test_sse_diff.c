/*
 * Differential test of MMX/SSE/SSE2: each instruction form runs on the
 * host CPU (the oracle) and on lemu's CPU core (unit harness) from the
 * same state -- xmm0-2, mm0-2, rax/rcx/rdx, rsi and rdi pointing at a
 * memory block, MXCSR with a random rounding mode, FTZ and DAZ -- and the
 * resulting registers, memory, MXCSR, the x87 tag word (MMX transitions)
 * and, where defined, OSZAPC must be identical.  Inputs mix random values
 * with edge values: zeros, infinities, QNaN/SNaN with payloads, denormals,
 * extremes and integer-conversion boundaries.  The register form uses
 * ModRM 0xca (reg 1, rm 2) unless the entry says otherwise; the memory
 * form uses [rsi].  One TAP line per instruction form.
 *
 * Usage: test_sse_diff [name]  (only the entries called name)
 */
#include "harness.h"
#include "cpu/x86/ops.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>

/* Unmasked SIMD exceptions in the native run: the SIGFPE handler resumes
 * at the RET after the instruction, leaving the state as of the fault
 * (the kernel restores the registers and MXCSR from the signal frame). */
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
	union xmm x[3];                               /* 0, 16, 32 */
	uint64_t rax, rcx, rdx, rsi, rdi;             /* 48 .. 80 */
	uint64_t flags;                               /* 88 */
	uint64_t mm[3];                               /* 96, 104, 112 */
	uint32_t mxcsr;                               /* 120 */
	uint32_t ftag;                                /* 124: abridged tag after the run */
	uint8_t env[32];                              /* 128: FNSTENV image */
	uint8_t mem[48] __attribute__((aligned(16))); /* 160 */
	int fault;                                    /* 1: the instruction raised #XM (SIGFPE) */
};

static void native_run(struct st *s, void *code)
{
	uint32_t host_csr = 0;
	__asm__ volatile("stmxcsr %[hc]\n\t"
	                 "ldmxcsr 120(%[s])\n\t"
	                 "movq 96(%[s]), %%mm0\n\t"
	                 "movq 104(%[s]), %%mm1\n\t"
	                 "movq 112(%[s]), %%mm2\n\t"
	                 "emms\n\t" /* values stay, every register tagged empty */
	                 "movdqu 0(%[s]), %%xmm0\n\t"
	                 "movdqu 16(%[s]), %%xmm1\n\t"
	                 "movdqu 32(%[s]), %%xmm2\n\t"
	                 "mov 48(%[s]), %%rax\n\t"
	                 "mov 56(%[s]), %%rcx\n\t"
	                 "mov 64(%[s]), %%rdx\n\t"
	                 "mov 72(%[s]), %%rsi\n\t"
	                 "mov 80(%[s]), %%rdi\n\t"
	                 "lea -128(%%rsp), %%rsp\n\t"
	                 "call *%[code]\n\t"
	                 "pushfq\n\t"
	                 "popq 88(%[s])\n\t"
	                 "lea 128(%%rsp), %%rsp\n\t"
	                 "stmxcsr 120(%[s])\n\t"
	                 "fnstenv 128(%[s])\n\t"
	                 "movdqu %%xmm0, 0(%[s])\n\t"
	                 "movdqu %%xmm1, 16(%[s])\n\t"
	                 "movdqu %%xmm2, 32(%[s])\n\t"
	                 "movq %%mm0, 96(%[s])\n\t"
	                 "movq %%mm1, 104(%[s])\n\t"
	                 "movq %%mm2, 112(%[s])\n\t"
	                 "mov %%rax, 48(%[s])\n\t"
	                 "mov %%rcx, 56(%[s])\n\t"
	                 "mov %%rdx, 64(%[s])\n\t"
	                 "emms\n\t"
	                 "fldcw 128(%[s])\n\t"
	                 "ldmxcsr %[hc]"
	                 : [hc] "+m"(host_csr)
	                 : [s] "r"(s), [code] "r"(code)
	                 : "rax", "rcx", "rdx", "rsi", "rdi", "xmm0", "xmm1", "xmm2", "mm0", "mm1",
	                   "mm2", "memory", "cc");
	/* Full tag word -> abridged (1 = not empty). */
	uint16_t tw;
	memcpy(&tw, s->env + 8, 2);
	s->ftag = 0;
	for (int i = 0; i < 8; i++)
		if (((tw >> (2 * i)) & 3) != 3)
			s->ftag |= 1u << i;
}

/* Like harness_run(), but the TB cache is flushed only when the code
 * changes (a flush costs far more than running one instruction). */
static int emu_exec(struct harness *h, const uint8_t *code, size_t n)
{
	struct cpu *c = &h->cpu;
	if (memcmp(h->mem + HARNESS_CODE, code, n)) {
		memcpy(h->mem + HARNESS_CODE, code, n);
		tb_flush(c->tbc);
		memset(c->jmp_cache, 0, sizeof(c->jmp_cache));
	}
	c->rip = HARNESS_CODE;
	c->regs[R_RSP] = HARNESS_STACK_TOP;
	for (;;) {
		int r = cpu_exec(c);
		if (r == EXIT_INT && c->exc_vector == EXC_BP)
			return -1;
		if (r == EXIT_EXCEPTION || r == EXIT_INT)
			return c->exc_vector;
		if (r == EXIT_SYSCALL)
			return 0x100;
	}
}

static int emu_run(struct harness *h, struct st *s, const uint8_t *code, size_t n)
{
	struct cpu *c = &h->cpu;
	uint8_t buf[32];
	memcpy(buf, code, n);
	buf[n] = 0xcc;
	for (int i = 0; i < 3; i++)
		c->xmm[i] = s->x[i];
	c->regs[R_RAX] = s->rax;
	c->regs[R_RCX] = s->rcx;
	c->regs[R_RDX] = s->rdx;
	c->regs[R_RSI] = HARNESS_DATA;
	c->regs[R_RDI] = HARNESS_DATA;
	c->mxcsr = s->mxcsr;
	for (int i = 0; i < 3; i++)
		mmx_set(c, i, s->mm[i]);
	c->ftag = 0;
	c->ftop = 0;
	memcpy(h->mem + HARNESS_DATA, s->mem, sizeof(s->mem));
	int r = emu_exec(h, buf, n + 1);
	s->fault = r == EXC_XM;
	if (r == EXC_XM)
		r = -1;
	for (int i = 0; i < 3; i++)
		s->x[i] = c->xmm[i];
	s->rax = c->regs[R_RAX];
	s->rcx = c->regs[R_RCX];
	s->rdx = c->regs[R_RDX];
	s->flags = cpu_get_eflags(c);
	for (int i = 0; i < 3; i++)
		s->mm[i] = mmx_get(c, i);
	s->mxcsr = c->mxcsr;
	s->ftag = c->ftag;
	memcpy(s->mem, h->mem + HARNESS_DATA, sizeof(s->mem));
	return r;
}

/* Input kinds. */
enum { K_INT, K_PS, K_PD };
#define T_IMM 0x01     /* imm8 follows; sweep all 256 */
#define T_NOREG 0x02   /* memory form only */
#define T_NOMEM 0x04   /* register form only */
#define T_FLAGS 0x08   /* OSZAPC are defined */
#define T_NOMODRM 0x10 /* no ModRM (EMMS) */

struct tinsn {
	const char *name;
	uint8_t op[6], n;
	uint8_t modrm; /* register form; 0 = 0xca */
	uint8_t flags, kind;
};

#define I(name, modrm, fl, kind, ...)                                                      \
	{                                                                                  \
		name, { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }), modrm, fl, kind \
	}
/* MMX and XMM forms of an integer op. */
#define MX(name, o) I(name " mmx", 0, 0, K_INT, 0x0f, o), I(name, 0, 0, K_INT, 0x66, 0x0f, o)
/* PS, PD, SS, SD forms of a FP op. */
#define F4(name, o)                                                                 \
	I(name "ps", 0, 0, K_PS, 0x0f, o), I(name "pd", 0, 0, K_PD, 0x66, 0x0f, o), \
	        I(name "ss", 0, 0, K_PS, 0xf3, 0x0f, o), I(name "sd", 0, 0, K_PD, 0xf2, 0x0f, o)
/* Shift by immediate, group /ext, MMX and XMM forms. */
#define SHI(name, o, ext)                                                   \
	I(name " mmx", 0xc2 | (ext) << 3, T_IMM | T_NOMEM, K_INT, 0x0f, o), \
	        I(name, 0xc2 | (ext) << 3, T_IMM | T_NOMEM, K_INT, 0x66, 0x0f, o)

static const struct tinsn tests[] = {
	/* moves */
	I("movups", 0, 0, K_INT, 0x0f, 0x10),
	I("movupd", 0, 0, K_INT, 0x66, 0x0f, 0x10),
	I("movss", 0, 0, K_INT, 0xf3, 0x0f, 0x10),
	I("movsd", 0, 0, K_INT, 0xf2, 0x0f, 0x10),
	I("movups st", 0, 0, K_INT, 0x0f, 0x11),
	I("movupd st", 0, 0, K_INT, 0x66, 0x0f, 0x11),
	I("movss st", 0, 0, K_INT, 0xf3, 0x0f, 0x11),
	I("movsd st", 0, 0, K_INT, 0xf2, 0x0f, 0x11),
	I("movlps/movhlps", 0, 0, K_INT, 0x0f, 0x12),
	I("movlpd", 0, T_NOREG, K_INT, 0x66, 0x0f, 0x12),
	I("movlps st", 0, T_NOREG, K_INT, 0x0f, 0x13),
	I("movlpd st", 0, T_NOREG, K_INT, 0x66, 0x0f, 0x13),
	I("movhps/movlhps", 0, 0, K_INT, 0x0f, 0x16),
	I("movhpd", 0, T_NOREG, K_INT, 0x66, 0x0f, 0x16),
	I("movhps st", 0, T_NOREG, K_INT, 0x0f, 0x17),
	I("movhpd st", 0, T_NOREG, K_INT, 0x66, 0x0f, 0x17),
	I("movaps", 0, 0, K_INT, 0x0f, 0x28),
	I("movapd", 0, 0, K_INT, 0x66, 0x0f, 0x28),
	I("movaps st", 0, 0, K_INT, 0x0f, 0x29),
	I("movapd st", 0, 0, K_INT, 0x66, 0x0f, 0x29),
	I("movntps", 0, T_NOREG, K_INT, 0x0f, 0x2b),
	I("movntpd", 0, T_NOREG, K_INT, 0x66, 0x0f, 0x2b),
	I("movmskps", 0, T_NOMEM, K_PS, 0x0f, 0x50),
	I("movmskpd", 0, T_NOMEM, K_PD, 0x66, 0x0f, 0x50),
	I("movd mm,r/m32", 0, 0, K_INT, 0x0f, 0x6e),
	I("movq mm,r/m64", 0, 0, K_INT, 0x48, 0x0f, 0x6e),
	I("movd xmm,r/m32", 0, 0, K_INT, 0x66, 0x0f, 0x6e),
	I("movq xmm,r/m64", 0, 0, K_INT, 0x66, 0x48, 0x0f, 0x6e),
	I("movd r/m32,mm", 0, 0, K_INT, 0x0f, 0x7e),
	I("movq r/m64,mm", 0, 0, K_INT, 0x48, 0x0f, 0x7e),
	I("movd r/m32,xmm", 0, 0, K_INT, 0x66, 0x0f, 0x7e),
	I("movq r/m64,xmm", 0, 0, K_INT, 0x66, 0x48, 0x0f, 0x7e),
	I("movq xmm,xmm/m64", 0, 0, K_INT, 0xf3, 0x0f, 0x7e),
	I("movq mm,mm/m64", 0, 0, K_INT, 0x0f, 0x6f),
	I("movdqa", 0, 0, K_INT, 0x66, 0x0f, 0x6f),
	I("movdqu", 0, 0, K_INT, 0xf3, 0x0f, 0x6f),
	I("movq mm/m64,mm", 0, 0, K_INT, 0x0f, 0x7f),
	I("movdqa st", 0, 0, K_INT, 0x66, 0x0f, 0x7f),
	I("movdqu st", 0, 0, K_INT, 0xf3, 0x0f, 0x7f),
	I("emms", 0, T_NOMODRM | T_NOMEM, K_INT, 0x0f, 0x77),
	I("movnti", 0, T_NOREG, K_INT, 0x0f, 0xc3),
	I("movnti64", 0, T_NOREG, K_INT, 0x48, 0x0f, 0xc3),
	I("movq xmm/m64,xmm", 0, 0, K_INT, 0x66, 0x0f, 0xd6),
	I("movq2dq", 0, T_NOMEM, K_INT, 0xf3, 0x0f, 0xd6),
	I("movdq2q", 0, T_NOMEM, K_INT, 0xf2, 0x0f, 0xd6),
	I("movntq", 0, T_NOREG, K_INT, 0x0f, 0xe7),
	I("movntdq", 0, T_NOREG, K_INT, 0x66, 0x0f, 0xe7),
	I("maskmovq", 0, T_NOMEM, K_INT, 0x0f, 0xf7),
	I("maskmovdqu", 0, T_NOMEM, K_INT, 0x66, 0x0f, 0xf7),
	/* integer */
	MX("punpcklbw", 0x60),
	MX("punpcklwd", 0x61),
	MX("punpckldq", 0x62),
	MX("packsswb", 0x63),
	MX("pcmpgtb", 0x64),
	MX("pcmpgtw", 0x65),
	MX("pcmpgtd", 0x66),
	MX("packuswb", 0x67),
	MX("punpckhbw", 0x68),
	MX("punpckhwd", 0x69),
	MX("punpckhdq", 0x6a),
	MX("packssdw", 0x6b),
	I("punpcklqdq", 0, 0, K_INT, 0x66, 0x0f, 0x6c),
	I("punpckhqdq", 0, 0, K_INT, 0x66, 0x0f, 0x6d),
	I("pshufw", 0, T_IMM, K_INT, 0x0f, 0x70),
	I("pshufd", 0, T_IMM, K_INT, 0x66, 0x0f, 0x70),
	I("pshufhw", 0, T_IMM, K_INT, 0xf3, 0x0f, 0x70),
	I("pshuflw", 0, T_IMM, K_INT, 0xf2, 0x0f, 0x70),
	SHI("psrlw imm", 0x71, 2),
	SHI("psraw imm", 0x71, 4),
	SHI("psllw imm", 0x71, 6),
	SHI("psrld imm", 0x72, 2),
	SHI("psrad imm", 0x72, 4),
	SHI("pslld imm", 0x72, 6),
	SHI("psrlq imm", 0x73, 2),
	SHI("psllq imm", 0x73, 6),
	I("psrldq", 0xda, T_IMM | T_NOMEM, K_INT, 0x66, 0x0f, 0x73),
	I("pslldq", 0xfa, T_IMM | T_NOMEM, K_INT, 0x66, 0x0f, 0x73),
	MX("pcmpeqb", 0x74),
	MX("pcmpeqw", 0x75),
	MX("pcmpeqd", 0x76),
	I("pinsrw mmx", 0, T_IMM, K_INT, 0x0f, 0xc4),
	I("pinsrw", 0, T_IMM, K_INT, 0x66, 0x0f, 0xc4),
	I("pextrw mmx", 0, T_IMM | T_NOMEM, K_INT, 0x0f, 0xc5),
	I("pextrw", 0, T_IMM | T_NOMEM, K_INT, 0x66, 0x0f, 0xc5),
	I("pextrw w", 0, T_IMM | T_NOMEM, K_INT, 0x66, 0x48, 0x0f, 0xc5),
	MX("psrlw", 0xd1),
	MX("psrld", 0xd2),
	MX("psrlq", 0xd3),
	MX("paddq", 0xd4),
	MX("pmullw", 0xd5),
	I("pmovmskb mmx", 0, T_NOMEM, K_INT, 0x0f, 0xd7),
	I("pmovmskb", 0, T_NOMEM, K_INT, 0x66, 0x0f, 0xd7),
	MX("psubusb", 0xd8),
	MX("psubusw", 0xd9),
	MX("pminub", 0xda),
	MX("pand", 0xdb),
	MX("paddusb", 0xdc),
	MX("paddusw", 0xdd),
	MX("pmaxub", 0xde),
	MX("pandn", 0xdf),
	MX("pavgb", 0xe0),
	MX("psraw", 0xe1),
	MX("psrad", 0xe2),
	MX("pavgw", 0xe3),
	MX("pmulhuw", 0xe4),
	MX("pmulhw", 0xe5),
	MX("psubsb", 0xe8),
	MX("psubsw", 0xe9),
	MX("pminsw", 0xea),
	MX("por", 0xeb),
	MX("paddsb", 0xec),
	MX("paddsw", 0xed),
	MX("pmaxsw", 0xee),
	MX("pxor", 0xef),
	MX("psllw", 0xf1),
	MX("pslld", 0xf2),
	MX("psllq", 0xf3),
	MX("pmuludq", 0xf4),
	MX("pmaddwd", 0xf5),
	MX("psadbw", 0xf6),
	MX("psubb", 0xf8),
	MX("psubw", 0xf9),
	MX("psubd", 0xfa),
	MX("psubq", 0xfb),
	MX("paddb", 0xfc),
	MX("paddw", 0xfd),
	MX("paddd", 0xfe),
	/* floating point */
	I("unpcklps", 0, 0, K_PS, 0x0f, 0x14),
	I("unpcklpd", 0, 0, K_PD, 0x66, 0x0f, 0x14),
	I("unpckhps", 0, 0, K_PS, 0x0f, 0x15),
	I("unpckhpd", 0, 0, K_PD, 0x66, 0x0f, 0x15),
	I("ucomiss", 0, T_FLAGS, K_PS, 0x0f, 0x2e),
	I("ucomisd", 0, T_FLAGS, K_PD, 0x66, 0x0f, 0x2e),
	I("comiss", 0, T_FLAGS, K_PS, 0x0f, 0x2f),
	I("comisd", 0, T_FLAGS, K_PD, 0x66, 0x0f, 0x2f),
	F4("sqrt", 0x51),
	I("rsqrtps", 0, 0, K_PS, 0x0f, 0x52),
	I("rsqrtss", 0, 0, K_PS, 0xf3, 0x0f, 0x52),
	I("rcpps", 0, 0, K_PS, 0x0f, 0x53),
	I("rcpss", 0, 0, K_PS, 0xf3, 0x0f, 0x53),
	I("andps", 0, 0, K_PS, 0x0f, 0x54),
	I("andpd", 0, 0, K_PD, 0x66, 0x0f, 0x54),
	I("andnps", 0, 0, K_PS, 0x0f, 0x55),
	I("andnpd", 0, 0, K_PD, 0x66, 0x0f, 0x55),
	I("orps", 0, 0, K_PS, 0x0f, 0x56),
	I("orpd", 0, 0, K_PD, 0x66, 0x0f, 0x56),
	I("xorps", 0, 0, K_PS, 0x0f, 0x57),
	I("xorpd", 0, 0, K_PD, 0x66, 0x0f, 0x57),
	F4("add", 0x58),
	F4("mul", 0x59),
	F4("sub", 0x5c),
	F4("min", 0x5d),
	F4("div", 0x5e),
	F4("max", 0x5f),
	I("cmpps", 0, T_IMM, K_PS, 0x0f, 0xc2),
	I("cmppd", 0, T_IMM, K_PD, 0x66, 0x0f, 0xc2),
	I("cmpss", 0, T_IMM, K_PS, 0xf3, 0x0f, 0xc2),
	I("cmpsd", 0, T_IMM, K_PD, 0xf2, 0x0f, 0xc2),
	I("shufps", 0, T_IMM, K_PS, 0x0f, 0xc6),
	I("shufpd", 0, T_IMM, K_PD, 0x66, 0x0f, 0xc6),
	/* conversions */
	I("cvtpi2ps", 0, 0, K_INT, 0x0f, 0x2a),
	I("cvtpi2pd", 0, 0, K_INT, 0x66, 0x0f, 0x2a),
	I("cvtsi2ss", 0, 0, K_INT, 0xf3, 0x0f, 0x2a),
	I("cvtsi2sd", 0, 0, K_INT, 0xf2, 0x0f, 0x2a),
	I("cvtsi2ss w", 0, 0, K_INT, 0xf3, 0x48, 0x0f, 0x2a),
	I("cvtsi2sd w", 0, 0, K_INT, 0xf2, 0x48, 0x0f, 0x2a),
	I("cvttps2pi", 0, 0, K_PS, 0x0f, 0x2c),
	I("cvttpd2pi", 0, 0, K_PD, 0x66, 0x0f, 0x2c),
	I("cvttss2si", 0, 0, K_PS, 0xf3, 0x0f, 0x2c),
	I("cvttsd2si", 0, 0, K_PD, 0xf2, 0x0f, 0x2c),
	I("cvttss2si w", 0, 0, K_PS, 0xf3, 0x48, 0x0f, 0x2c),
	I("cvttsd2si w", 0, 0, K_PD, 0xf2, 0x48, 0x0f, 0x2c),
	I("cvtps2pi", 0, 0, K_PS, 0x0f, 0x2d),
	I("cvtpd2pi", 0, 0, K_PD, 0x66, 0x0f, 0x2d),
	I("cvtss2si", 0, 0, K_PS, 0xf3, 0x0f, 0x2d),
	I("cvtsd2si", 0, 0, K_PD, 0xf2, 0x0f, 0x2d),
	I("cvtss2si w", 0, 0, K_PS, 0xf3, 0x48, 0x0f, 0x2d),
	I("cvtsd2si w", 0, 0, K_PD, 0xf2, 0x48, 0x0f, 0x2d),
	I("cvtps2pd", 0, 0, K_PS, 0x0f, 0x5a),
	I("cvtpd2ps", 0, 0, K_PD, 0x66, 0x0f, 0x5a),
	I("cvtss2sd", 0, 0, K_PS, 0xf3, 0x0f, 0x5a),
	I("cvtsd2ss", 0, 0, K_PD, 0xf2, 0x0f, 0x5a),
	I("cvtdq2ps", 0, 0, K_INT, 0x0f, 0x5b),
	I("cvtps2dq", 0, 0, K_PS, 0x66, 0x0f, 0x5b),
	I("cvttps2dq", 0, 0, K_PS, 0xf3, 0x0f, 0x5b),
	I("cvttpd2dq", 0, 0, K_PD, 0x66, 0x0f, 0xe6),
	I("cvtdq2pd", 0, 0, K_INT, 0xf3, 0x0f, 0xe6),
	I("cvtpd2dq", 0, 0, K_PD, 0xf2, 0x0f, 0xe6),
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
	static const uint32_t sp[] = { 0,          1,          0xffffffff, 0x7fffffff, 0x80000000,
		                       0x8000,     0x7fff,     0xffff8000, 0x80,       0x7f,
		                       0xff,       0x80808080, 0x7f7f7f7f, 0x00ff00ff, 0xff00ff00,
		                       0x01000100, 0x01000001, 0xfefffffe };
	uint64_t v = rnd(r);
	return (v & 3) == 0 ? sp[(v >> 8) % (sizeof(sp) / 4)] : (uint32_t)(v >> 32);
}
static uint32_t gen_f32(uint64_t *r)
{
	static const uint32_t sp[] = {
		0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40200000, 0xbfc00000,
		0x3f000000, 0xbf000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00001, 0x7f800001,
		0x7fa12345, 0xffc54321, 0x00000001, 0x807fffff, 0x00800000, 0x80800000, 0x7f7fffff,
		0xff7fffff, 0x4b000000, 0x4b7fffff, 0xcb000001, 0x3effffff, 0x3f7fffff, 0x4f000000,
		0xcf000000, 0x4effffff, 0xcf000001, 0x5f000000, 0xdf000000, 0x5effffff, 0x1f800000,
		0x5f800000, 0x00400000, 0x0c000000, 0x73000000, 0x00ffffff,
	};
	uint64_t v = rnd(r);
	switch (v & 3) {
	case 0: return (uint32_t)(v >> 32);
	case 1: {
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
		0,
		0x8000000000000000ull,
		0x3ff0000000000000ull,
		0xbff0000000000000ull,
		0x3ff8000000000000ull,
		0x4004000000000000ull,
		0x3fe0000000000000ull,
		0x7ff0000000000000ull,
		0xfff0000000000000ull,
		0x7ff8000000000000ull,
		0xfff8000000000001ull,
		0x7ff0000000000001ull,
		0x7ff4000000012345ull,
		1,
		0x800fffffffffffffull,
		0x0010000000000000ull,
		0x7fefffffffffffffull,
		0xffefffffffffffffull,
		0x4330000000000000ull,
		0x433fffffffffffffull,
		0x3fdfffffffffffffull,
		0x0008000000000000ull,
		0x1ff0000000000000ull,
		0x5ff0000000000000ull,
		0x41e0000000000000ull,
		0xc1e0000000000000ull,
		0x41dfffffffc00000ull,
		0x41dfffffffe00000ull,
		0xc1e0000000100000ull,
		0x43e0000000000000ull,
		0xc3e0000000000000ull,
		0x43dfffffffffffffull,
		0x47efffffe0000000ull,
		0x47efffff00000000ull,
		0x36a0000000000000ull,
		0x3690000000000000ull,
		0x380fffffffffffffull,
		0xb810000000000000ull,
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
static uint64_t gen_gpr(uint64_t *r, int kind)
{
	static const uint64_t sp[] = { 0,
		                       1,
		                       ~0ull,
		                       0x7fffffff,
		                       0x80000000,
		                       0xffffffff,
		                       0x7fffffffffffffffull,
		                       0x8000000000000000ull,
		                       0x1000001,
		                       0x20000001,
		                       0x7fffffffffffff01ull,
		                       0xfffffffff0000001ull,
		                       0x0020000000000001ull };
	uint64_t v = rnd(r);
	if (kind == K_INT && (v & 1))
		return sp[(v >> 8) % (sizeof(sp) / 8)];
	if (kind == K_INT && (v & 2))
		return (uint64_t)(int64_t)(int32_t)rnd(r);
	return rnd(r);
}

static void gen_vec(uint64_t *r, int kind, union xmm *x)
{
	for (int j = 0; j < 4; j++) {
		switch (kind) {
		case K_PS: x->l[j] = gen_f32(r); break;
		case K_PD:
			if (j < 2)
				x->q[j] = gen_f64(r);
			break;
		default: x->l[j] = gen_int32(r); break;
		}
	}
}

static void gen_state(uint64_t *r, const struct tinsn *t, struct st *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < 3; i++)
		gen_vec(r, t->kind, &s->x[i]);
	/* sometimes equal operands (NaN/compare/idiom paths) */
	if ((rnd(r) & 7) == 0)
		s->x[2] = s->x[1];
	union xmm mx[2];
	gen_vec(r, t->kind, &mx[0]);
	gen_vec(r, t->kind, &mx[1]);
	s->mm[0] = rnd(r);
	s->mm[1] = mx[0].q[0];
	s->mm[2] = mx[1].q[0];
	s->rax = rnd(r);
	s->rcx = gen_gpr(r, t->kind);
	s->rdx = gen_gpr(r, t->kind);
	/* MXCSR: any rounding mode, FTZ/DAZ, every exception masked, some
	 * sticky flags already set. */
	uint64_t m = rnd(r);
	s->mxcsr = 0x1f80 | ((uint32_t)(m & 3) << 13) | ((m & 4) ? 0x8000 : 0) |
	           ((m & 8) ? 0x40 : 0) | ((m & 0x30) == 0x30 ? (uint32_t)(m >> 8) & 0x3f : 0);
	/* a quarter of the runs unmask some exceptions */
	if (((m >> 24) & 3) == 0)
		s->mxcsr &= ~((uint32_t)((m >> 26) & 0x3f) << 7);
	memcpy(s->mem, &s->x[2], 16);
	if ((m >> 20) & 1)
		memcpy(s->mem, &s->mm[2], 8);
	memcpy(s->mem + 16, &s->x[0], 16);
	if ((m >> 21) & 1)
		memcpy(s->mem, &s->rdx, 8);
}

static int diff_state(const struct st *a, const struct st *b, const struct tinsn *t)
{
	if (memcmp(a->x, b->x, sizeof(a->x)) || a->rax != b->rax || a->rcx != b->rcx ||
	    a->rdx != b->rdx || memcmp(a->mm, b->mm, sizeof(a->mm)) || a->mxcsr != b->mxcsr ||
	    a->ftag != b->ftag || memcmp(a->mem, b->mem, sizeof(a->mem)) || a->fault != b->fault)
		return 1;
	/* after a fault the flags are the (arbitrary) ones from before */
	if ((t->flags & T_FLAGS) && !a->fault && ((a->flags ^ b->flags) & FL_ARITH))
		return 1;
	return 0;
}

static void dump(const char *what, const struct st *s)
{
	printf("#  %s:", what);
	for (int i = 0; i < 3; i++)
		printf(" x%d=%016llx%016llx", i, (unsigned long long)s->x[i].q[1],
		       (unsigned long long)s->x[i].q[0]);
	printf("\n#    fault=%d rcx=%llx rdx=%llx mm=%llx,%llx,%llx mxcsr=%x tag=%x fl=%llx mem=",
	       s->fault, (unsigned long long)s->rcx, (unsigned long long)s->rdx,
	       (unsigned long long)s->mm[0], (unsigned long long)s->mm[1],
	       (unsigned long long)s->mm[2], s->mxcsr, s->ftag,
	       (unsigned long long)(s->flags & FL_ARITH));
	for (int i = 0; i < 32; i++)
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
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fpe;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGFPE, &sa, NULL);
	const char *only = argc > 1 ? argv[1] : NULL;
	static struct st states[3] __attribute__((aligned(64)));
	struct st *in = &states[0], *nat = &states[1], *emu = &states[2];
	for (size_t ti = 0; ti < sizeof(tests) / sizeof(tests[0]); ti++) {
		const struct tinsn *t = &tests[ti];
		if (only && strcmp(only, t->name))
			continue;
		uint64_t seed = 0x9e3779b97f4a7c15ull ^ (ti * 0x1234567ull);
		unsigned nimm = (t->flags & T_IMM) ? 256 : 1;
		unsigned per = (t->flags & T_IMM) ? 8 : 1000;
		unsigned runs = 0, bad = 0;
		for (unsigned form = 0; form < 2; form++) {
			if (form == 0 && (t->flags & T_NOREG))
				continue;
			if (form == 1 && (t->flags & T_NOMEM))
				continue;
			uint8_t code[16];
			memcpy(code, t->op, t->n);
			unsigned n = t->n;
			uint8_t modrm = t->modrm ? t->modrm : 0xca;
			if (!(t->flags & T_NOMODRM))
				code[n++] = form == 0 ? modrm : (uint8_t)((modrm & 0x38) | 0x06);
			unsigned immpos = n;
			if (t->flags & T_IMM)
				n++;
			for (unsigned imm = 0; imm < nimm; imm++) {
				code[immpos] = (uint8_t)imm;
				memcpy(page, code, n);
				page[n] = 0xc3;
				for (unsigned k = 0; k < per; k++) {
					gen_state(&seed, t, in);
					*nat = *in;
					nat->rsi = nat->rdi = (uintptr_t)nat->mem;
					resume_rip = (uintptr_t)page + n;
					fpe_hit = 0;
					native_run(nat, page);
					nat->fault = fpe_hit;
					*emu = *in;
					int r = emu_run(&h, emu, code, n);
					runs++;
					if (r != -1 || diff_state(nat, emu, t)) {
						if (bad++ < 3) {
							printf("# %s form=%s imm=%02x: exc=%d\n",
							       t->name, form ? "mem" : "reg", imm,
							       r);
							dump("input ", in);
							dump("native", nat);
							dump("lemu  ", emu);
						}
					}
				}
			}
		}
		tap_ok(bad == 0, "%s: %u of %u runs differ", t->name, bad, runs);
	}
	harness_fini(&h);
	return tap_done();
}
