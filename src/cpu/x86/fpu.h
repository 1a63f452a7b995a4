/*
 * x87 FPU internals shared by fpu.c and the ops_x87*.c handlers
 * (Intel SDM vol. 1 ch. 8).
 *
 * The register file lives in struct cpu: physical registers c->fpr[0..7],
 * TOP in c->ftop, the abridged tag in c->ftag (bit i set = physical
 * register i is not empty), FSW without TOP in c->fsw.  ES and B in c->fsw
 * are kept equal to "some exception flag is set whose mask bit is clear"
 * (fpu_fix_es), which is what FLDCW/FLDENV/FRSTOR/FXRSTOR do on hardware.
 *
 * HOST DEPENDENCY: values are computed by the host's own x87 unit
 * (ops_x87_host.c).  On x86_64 `long double` is the 80-bit x87 format, and
 * running the real host instruction under the guest's control word gives
 * bit-exact results, C0-C3, exception flags and the hardware's behaviour for
 * unmasked exceptions (untouched or bias-adjusted destinations) -- the host
 * CPU is the oracle the tests compare against.
 */
#ifndef LEMU_CPU_X86_FPU_H
#define LEMU_CPU_X86_FPU_H

#if !defined(__x86_64__)
#error "lemu's x87 executes host x87 instructions: x86_64 hosts only (see fpu.h)"
#endif

#include "cpu.h"

/* FPU status word (SDM vol. 1 §8.1.3). */
#define FSW_IE 0x0001
#define FSW_DE 0x0002
#define FSW_ZE 0x0004
#define FSW_OE 0x0008
#define FSW_UE 0x0010
#define FSW_PE 0x0020
#define FSW_SF 0x0040
#define FSW_ES 0x0080
#define FSW_C0 0x0100
#define FSW_C1 0x0200
#define FSW_C2 0x0400
#define FSW_TOP 0x3800
#define FSW_C3 0x4000
#define FSW_B 0x8000
#define FSW_EXC 0x003f
#define FSW_CC (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)

/* FPU control word (SDM vol. 1 §8.1.5): low 6 bits mask the exceptions. */
#define FCW_MASKS 0x003f

#define CR0_MP 0x2
#define CR0_EM 0x4
#define CR0_TS 0x8

/* MXCSR bits LDMXCSR/FXRSTOR/XRSTOR accept (MXCSR_MASK, with DAZ). */
#define FPU_MXCSR_MASK 0xffffu

/* XSAVE (SDM vol. 1 ch. 13): components lemu implements. */
#define XSTATE_X87 1ull
#define XSTATE_SSE 2ull
#define XSTATE_SUPPORTED (XSTATE_X87 | XSTATE_SSE)
#define XSAVE_HDR 512
#define XSAVE_SIZE 576

static inline unsigned fpu_phys(const struct cpu *c, unsigned i)
{
	return (c->ftop + i) & 7;
}
static inline bool fpu_valid(const struct cpu *c, unsigned i)
{
	return (c->ftag >> fpu_phys(c, i)) & 1;
}
static inline union fpreg *fpu_st(struct cpu *c, unsigned i)
{
	return &c->fpr[fpu_phys(c, i)];
}
/* Write ST(i) (10 bytes significant) and tag it valid. */
static inline void fpu_write(struct cpu *c, unsigned i, const union fpreg *v)
{
	union fpreg *r = fpu_st(c, i);
	memcpy(r->raw, v->raw, 10);
	memset(r->raw + 10, 0, 6);
	c->ftag |= (uint8_t)(1u << fpu_phys(c, i));
}
static inline void fpu_pop(struct cpu *c)
{
	c->ftag &= (uint8_t) ~(1u << c->ftop);
	c->ftop = (c->ftop + 1) & 7;
}
/* Decrement TOP and store v in the new ST(0); the caller checked that
 * the register was empty (or handles overflow). */
static inline void fpu_push(struct cpu *c, const union fpreg *v)
{
	c->ftop = (c->ftop - 1) & 7;
	fpu_write(c, 0, v);
}
/* ES and B summarise the unmasked pending exceptions (SDM vol. 1 §8.1.3.1). */
static inline void fpu_fix_es(struct cpu *c)
{
	if (c->fsw & ~c->fcw & FSW_EXC)
		c->fsw |= FSW_ES | FSW_B;
	else
		c->fsw &= (uint16_t) ~(FSW_ES | FSW_B);
}
/* The full FSW with TOP. */
static inline uint16_t fpu_get_fsw(const struct cpu *c)
{
	return (uint16_t)((c->fsw & ~FSW_TOP) | ((c->ftop & 7) << 11));
}
static inline void fpu_set_fsw(struct cpu *c, uint16_t v)
{
	c->ftop = (v >> 11) & 7;
	c->fsw = v & (uint16_t)~FSW_TOP;
	fpu_fix_es(c);
}

extern const union fpreg fpu_indefinite; /* QNaN floating-point indefinite */

/* Full two-bit tag of physical register p (SDM vol. 1 §8.1.7). */
unsigned fpu_tag_of(const struct cpu *c, unsigned p);
uint16_t fpu_full_tag(const struct cpu *c);
/* Abridged tag from a full tag word (empty iff 11b). */
uint8_t fpu_abridge_tag(uint16_t ftw);

/* Guest memory in pieces that never cross a 4 KiB page, every page
 * translated (and so faulting) before the first byte moves. */
void fpu_mem_read(struct cpu *c, uint64_t lin, void *dst, unsigned n);
void fpu_mem_write(struct cpu *c, uint64_t lin, const void *src, unsigned n);

/* x87 environment (FNSTENV/FLDENV layout, SDM vol. 1 §8.1.10); `size32`
 * selects the 28-byte format, else 14 bytes; `prot` protected-mode layout. */
void fpu_env_image(struct cpu *c, uint8_t *out, bool size32, bool prot);
void fpu_env_load(struct cpu *c, const uint8_t *in, bool size32, bool prot);

/* Legacy-area and XSAVE images as the instructions write them (fpu.c). */
void fpu_fxsave_insn_image(struct cpu *c, uint8_t *out, bool rexw);
void fpu_fxrstor_insn_image(struct cpu *c, const uint8_t *in, bool rexw);
uint64_t fpu_xinuse(struct cpu *c);
void fpu_xsave_image(struct cpu *c, uint8_t *out, uint64_t rfbm, bool rexw);
int fpu_xrstor_check(struct cpu *c, const uint8_t *in, uint64_t rfbm);
void fpu_xrstor_image(struct cpu *c, const uint8_t *in, uint64_t rfbm, bool rexw);

/* --- host execution (ops_x87_host.c) ------------------------------- */

/* One host x87 operation.  The host loads `b` then `a` (so a = ST(0),
 * b = ST(1)), or an m32/m64/int/BCD operand from `m`, runs the operation
 * under the guest control word, and reports its own ST(0)/ST(1) after it,
 * the status word after the loads (sw0) and after the op (sw1), and ZF,
 * PF, CF (FCOMI).  Stores write `m` (pre-filled by the caller with the old
 * memory contents, so a store the hardware suppresses leaves it intact). */
struct fhost {
	union fpreg r0, r1;
	uint16_t sw0, sw1;
	uint8_t zf, pf, cf;
};

enum fhop {
	/* D8-style arithmetic on ST(0), ST(1): k = ModRM.reg (0 add, 1 mul,
	 * 2 com, 4 sub, 5 subr, 6 div, 7 divr), plus memory forms. */
	HOP_R = 0,      /* + k: a op b */
	HOP_M32 = 8,    /* + k: a op m32fp */
	HOP_M64 = 16,   /* + k: a op m64fp */
	HOP_I16 = 24,   /* + k: a op m16int */
	HOP_I32 = 32,   /* + k: a op m32int */
	HOP_UCOM = 40,  /* fucom: a vs b */
	HOP_COMI,       /* fcomi */
	HOP_UCOMI,      /* fucomi */
	HOP_TST,        /* ftst a */
	HOP_SQRT, HOP_RNDINT, HOP_F2XM1, HOP_SIN, HOP_COS,    /* a -> r0 */
	HOP_SCALE, HOP_PREM, HOP_PREM1,                       /* a, b -> r0 */
	HOP_YL2X, HOP_YL2XP1, HOP_PATAN,                      /* a, b -> r0 (pops) */
	HOP_PTAN, HOP_SINCOS, HOP_XTRACT,                     /* a -> r0, r1 */
	HOP_LD1, HOP_LDL2T, HOP_LDL2E, HOP_LDPI, HOP_LDLG2, HOP_LDLN2, HOP_LDZ,
	HOP_LD_M32, HOP_LD_M64, HOP_BLD,                      /* m -> r0 */
	HOP_STP_M32, HOP_STP_M64,                             /* a -> m (pops) */
	HOP_ISTP16, HOP_ISTP32, HOP_ISTP64,
	HOP_ISTTP16, HOP_ISTTP32, HOP_ISTTP64,
	HOP_BSTP,
	HOP_COUNT
};

void fpu_host(unsigned hop, uint16_t cw, const union fpreg *a, const union fpreg *b, void *m,
	      struct fhost *o);
/* The same, starting the host from the guest's C0-C3 (`cc`): for the
 * operations that can leave them unchanged. */
void fpu_host_cc(unsigned hop, uint16_t cw, uint16_t cc, const union fpreg *a,
		 const union fpreg *b, void *m, struct fhost *o);
/* Reserved FCW bits: 6 reads as 1, 13-15 as 0 (as the host does). */
static inline uint16_t fpu_fcw_fix(uint16_t v)
{
	return (uint16_t)((v & 0x1f3f) | 0x40);
}

/* Number of registers the host popped (negative: pushed) during the op. */
static inline int fhost_pops(const struct fhost *o)
{
	int d = (int)((o->sw1 >> 11) & 7) - (int)((o->sw0 >> 11) & 7);
	if (d > 4)
		d -= 8;
	else if (d < -4)
		d += 8;
	return d;
}

/* --- shared handler helpers (ops_x87.c) ---------------------------- */

/* Start of a waiting x87 instruction: #NM when CR0.EM/TS, #MF when an
 * unmasked exception is pending (SDM vol. 1 §8.6, vol. 3 §6.15). */
void fpu_wait_check(struct cpu *c);
/* Start of a non-control instruction: FIP (SDM vol. 1 §8.1.8).  FOP and
 * FDP are recorded only by an instruction that raises an unmasked
 * exception (fpu_exc_note): FOP as with "FOP code compatibility mode" off,
 * the default since the Pentium 4 (§8.1.9.1), and FDP as CPUID.07H:EBX[6]
 * (FDP_EXCPTN_ONLY) advertises -- both as the host does. */
static inline void fpu_note(struct cpu *c, const struct insn *in)
{
	c->fip = in->rip;
}
void fpu_exc_note(struct cpu *c);
/* Merge host status: exception flags are sticky, the bits of `ccmask`
 * are replaced. */
static inline void fpu_status(struct cpu *c, uint16_t sw, uint16_t ccmask)
{
	c->fsw = (uint16_t)((c->fsw & ~ccmask) | (sw & ccmask) | (sw & FSW_EXC));
	fpu_fix_es(c);
	if (unlikely(c->fsw & FSW_ES))
		fpu_exc_note(c);
}
/* True when the op raised an unmasked pre-computation exception (#IA,
 * #D, #Z): the destination and TOP then stay unchanged (SDM vol. 1 §8.5). */
static inline bool fpu_unmasked_pre(const struct cpu *c, uint16_t sw)
{
	return (sw & ~c->fcw & (FSW_IE | FSW_DE | FSW_ZE)) != 0;
}
/* Stack underflow (#IS, C1=0) / overflow (C1=1); returns true when masked
 * (the caller then writes the indefinite). */
bool fpu_stack_fault(struct cpu *c, bool overflow);
/* Push v with overflow handling (SDM vol. 1 §8.5.1.1). */
void fpu_push_checked(struct cpu *c, const union fpreg *v);


/* Handlers defined in ops_x87_arith.c and ops_x87_state.c, listed in the
 * ops_x87[] table. */
void x87_arith_r(struct cpu *c, const struct insn *in);
void x87_arith_m(struct cpu *c, const struct insn *in);
void x87_com_r(struct cpu *c, const struct insn *in);
void x87_com_m(struct cpu *c, const struct insn *in);
void x87_compp(struct cpu *c, const struct insn *in);
void x87_comi(struct cpu *c, const struct insn *in);
void x87_tst(struct cpu *c, const struct insn *in);
void x87_xam(struct cpu *c, const struct insn *in);
void x87_unary(struct cpu *c, const struct insn *in);
void x87_binary(struct cpu *c, const struct insn *in);
void x87_binary_pop(struct cpu *c, const struct insn *in);
void x87_two_results(struct cpu *c, const struct insn *in);
void x87_fcmov(struct cpu *c, const struct insn *in);
void x87_fxsave(struct cpu *c, const struct insn *in);
void x87_fxrstor(struct cpu *c, const struct insn *in);
void x87_ldmxcsr(struct cpu *c, const struct insn *in);
void x87_stmxcsr(struct cpu *c, const struct insn *in);
void x87_xsave(struct cpu *c, const struct insn *in);
void x87_xrstor(struct cpu *c, const struct insn *in);
void x87_xgetbv(struct cpu *c, const struct insn *in);
void x87_xsetbv(struct cpu *c, const struct insn *in);

#endif
