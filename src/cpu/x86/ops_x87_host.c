/*
 * x87 operations executed on the host's x87 unit (see fpu.h, HOST
 * DEPENDENCY).
 *
 * Every operation is ONE asm statement that
 *   1. saves the host control word and clears the host's exception flags
 *      (so loading the guest CW cannot make a stale host flag pending),
 *   2. loads the guest control word as is: precision, rounding and the
 *      exception masks, so the host unit behaves exactly as the guest's
 *      would, unmasked exceptions included (destination untouched, or the
 *      bias-adjusted result for #O/#U),
 *   3. loads the inputs with FLD m80 (never raises anything), records the
 *      status word, runs the instruction, records the status word again,
 *   4. clears the host flags with FNCLEX *before any waiting instruction*,
 *      so an exception the guest left unmasked never reaches the host as
 *      SIGFPE, and restores the host control word,
 *   5. stores ST(0) and ST(1) with FSTP m80 (masked now; popping an empty
 *      register only produces a harmless indefinite), leaving the host
 *      stack empty as the ABI requires at asm boundaries.
 * Guest memory is never touched here: memory operands are host buffers.
 */
#include "fpu.h"

#define FH_LOAD_AB "fldt %[b]\n\tfldt %[a]\n\t"
#define FH_LOAD_A "fldt %[a]\n\t"
#define FH_LOAD_NONE ""

#define FH(load, op) FH_PRO("fnclex\n\tfldcw %[cw]\n\t", load, op)
/* Operations that may leave C0-C3 unchanged (FPREM with invalid operands,
 * FSIN/FCOS/FPTAN/FSINCOS): FLDENV also gives the host the guest's
 * condition codes, at the price of a slower prologue. */
#define FHE(load, op) FH_PRO("fldenv %[env]\n\t", load, op)
#define FH_PRO(pro, load, op)                                                              \
	__asm__ volatile("fnstcw %[hcw]\n\t" pro load "fnstsw %[sw0]\n\t" op "\n\t"          \
			 "fnstsw %[sw1]\n\t"                                               \
			 "fnclex\n\t"                                                      \
			 "fldcw %[hcw]\n\t"                                                \
			 "fstpt %[r0]\n\t"                                                 \
			 "fstpt %[r1]\n\t"                                                 \
			 "fnclex"                                                          \
			 : [hcw] "=m"(hcw), [sw0] "=m"(o->sw0), [sw1] "=m"(o->sw1),         \
			   [r0] "=m"(o->r0), [r1] "=m"(o->r1), [m] "+m"(*(uint8_t(*)[16])m), \
			   "=@ccz"(zf), "=@ccp"(pf), "=@ccc"(cf)                            \
			 : [cw] "m"(cw), [a] "m"(*a), [b] "m"(*b), [env] "m"(env)           \
			 : "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)",     \
			   "st(7)")

/* D8-style register and memory arithmetic, k = ModRM.reg (3 = fcomp is
 * never used: the caller pops). */
#define FH_ARITH(base, load, fmt)                                                          \
	case base + 0: FH(load, fmt(0)); break;                                            \
	case base + 1: FH(load, fmt(1)); break;                                            \
	case base + 2: FH(load, fmt(2)); break;                                            \
	case base + 4: FH(load, fmt(4)); break;                                            \
	case base + 5: FH(load, fmt(5)); break;                                            \
	case base + 6: FH(load, fmt(6)); break;                                            \
	case base + 7: FH(load, fmt(7)); break;

/* D8 C0+8k+1: ST(0) := ST(0) op ST(1) (raw bytes: no AT&T operand-order
 * ambiguity for fsub/fsubr/fdiv/fdivr). */
#define R_OP(k) ".byte 0xd8, 0xc1 + 8 * " #k
/* D8/DC/DA/DE /k with a memory operand (mnemonics are unambiguous). */
#define M32_OP(k) M32_##k
#define M32_0 "fadds %[m]"
#define M32_1 "fmuls %[m]"
#define M32_2 "fcoms %[m]"
#define M32_4 "fsubs %[m]"
#define M32_5 "fsubrs %[m]"
#define M32_6 "fdivs %[m]"
#define M32_7 "fdivrs %[m]"
#define M64_OP(k) M64_##k
#define M64_0 "faddl %[m]"
#define M64_1 "fmull %[m]"
#define M64_2 "fcoml %[m]"
#define M64_4 "fsubl %[m]"
#define M64_5 "fsubrl %[m]"
#define M64_6 "fdivl %[m]"
#define M64_7 "fdivrl %[m]"
#define I16_OP(k) I16_##k
#define I16_0 "fiadds %[m]"
#define I16_1 "fimuls %[m]"
#define I16_2 "ficoms %[m]"
#define I16_4 "fisubs %[m]"
#define I16_5 "fisubrs %[m]"
#define I16_6 "fidivs %[m]"
#define I16_7 "fidivrs %[m]"
#define I32_OP(k) I32_##k
#define I32_0 "fiaddl %[m]"
#define I32_1 "fimull %[m]"
#define I32_2 "ficoml %[m]"
#define I32_4 "fisubl %[m]"
#define I32_5 "fisubrl %[m]"
#define I32_6 "fidivl %[m]"
#define I32_7 "fidivrl %[m]"

void fpu_host(unsigned hop, uint16_t cw, const union fpreg *a, const union fpreg *b, void *m,
	      struct fhost *o)
{
	fpu_host_cc(hop, cw, 0, a, b, m, o);
}

void fpu_host_cc(unsigned hop, uint16_t cw, uint16_t cc, const union fpreg *a,
		 const union fpreg *b, void *m, struct fhost *o)
{
	/* 32-bit protected-mode environment: CW, SW (C0-C3 only, TOP 0),
	 * every register empty. */
	uint16_t env[14] = { cw, 0xffff, (uint16_t)(cc & FSW_CC), 0xffff, 0xffff, 0xffff };
	uint16_t hcw;
	bool zf = 0, pf = 0, cf = 0;
	static const union fpreg zero;
	uint8_t dummy[16];
	if (!a)
		a = &zero;
	if (!b)
		b = &zero;
	if (!m)
		m = dummy;
	memset(o, 0, sizeof(*o));
	switch (hop) {
	FH_ARITH(HOP_R, FH_LOAD_AB, R_OP)
	FH_ARITH(HOP_M32, FH_LOAD_A, M32_OP)
	FH_ARITH(HOP_M64, FH_LOAD_A, M64_OP)
	FH_ARITH(HOP_I16, FH_LOAD_A, I16_OP)
	FH_ARITH(HOP_I32, FH_LOAD_A, I32_OP)
	case HOP_UCOM: FH(FH_LOAD_AB, ".byte 0xdd, 0xe1"); break;   /* fucom st(1) */
	case HOP_COMI: FH(FH_LOAD_AB, ".byte 0xdb, 0xf1"); break;   /* fcomi st, st(1) */
	case HOP_UCOMI: FH(FH_LOAD_AB, ".byte 0xdb, 0xe9"); break;  /* fucomi st, st(1) */
	case HOP_TST: FH(FH_LOAD_A, "ftst"); break;
	case HOP_SQRT: FH(FH_LOAD_A, "fsqrt"); break;
	case HOP_RNDINT: FH(FH_LOAD_A, "frndint"); break;
	case HOP_F2XM1: FH(FH_LOAD_A, "f2xm1"); break;
	case HOP_SIN: FHE(FH_LOAD_A, "fsin"); break;
	case HOP_COS: FHE(FH_LOAD_A, "fcos"); break;
	case HOP_SCALE: FH(FH_LOAD_AB, "fscale"); break;
	case HOP_PREM: FHE(FH_LOAD_AB, "fprem"); break;
	case HOP_PREM1: FHE(FH_LOAD_AB, "fprem1"); break;
	case HOP_YL2X: FH(FH_LOAD_AB, "fyl2x"); break;
	case HOP_YL2XP1: FH(FH_LOAD_AB, "fyl2xp1"); break;
	case HOP_PATAN: FH(FH_LOAD_AB, "fpatan"); break;
	case HOP_PTAN: FHE(FH_LOAD_A, "fptan"); break;
	case HOP_SINCOS: FHE(FH_LOAD_A, "fsincos"); break;
	case HOP_XTRACT: FH(FH_LOAD_A, "fxtract"); break;
	case HOP_LD1: FH(FH_LOAD_NONE, "fld1"); break;
	case HOP_LDL2T: FH(FH_LOAD_NONE, "fldl2t"); break;
	case HOP_LDL2E: FH(FH_LOAD_NONE, "fldl2e"); break;
	case HOP_LDPI: FH(FH_LOAD_NONE, "fldpi"); break;
	case HOP_LDLG2: FH(FH_LOAD_NONE, "fldlg2"); break;
	case HOP_LDLN2: FH(FH_LOAD_NONE, "fldln2"); break;
	case HOP_LDZ: FH(FH_LOAD_NONE, "fldz"); break;
	case HOP_LD_M32: FH(FH_LOAD_NONE, "flds %[m]"); break;
	case HOP_LD_M64: FH(FH_LOAD_NONE, "fldl %[m]"); break;
	case HOP_BLD: FH(FH_LOAD_NONE, "fbld %[m]"); break;
	case HOP_STP_M32: FH(FH_LOAD_A, "fstps %[m]"); break;
	case HOP_STP_M64: FH(FH_LOAD_A, "fstpl %[m]"); break;
	case HOP_ISTP16: FH(FH_LOAD_A, "fistps %[m]"); break;
	case HOP_ISTP32: FH(FH_LOAD_A, "fistpl %[m]"); break;
	case HOP_ISTP64: FH(FH_LOAD_A, "fistpll %[m]"); break;
	case HOP_ISTTP16: FH(FH_LOAD_A, "fisttps %[m]"); break;
	case HOP_ISTTP32: FH(FH_LOAD_A, "fisttpl %[m]"); break;
	case HOP_ISTTP64: FH(FH_LOAD_A, "fisttpll %[m]"); break;
	case HOP_BSTP: FH(FH_LOAD_A, "fbstp %[m]"); break;
	default: break;
	}
	o->zf = zf;
	o->pf = pf;
	o->cf = cf;
}
