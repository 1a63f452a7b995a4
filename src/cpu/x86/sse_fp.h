/*
 * SSE floating point under the guest MXCSR (SDM vol. 1 §10.2.3, §11.5).
 *
 * HOST DEPENDENCY: lemu's software CPU only builds on x86_64 hosts (SSE2
 * is architectural there).  Guest SSE/SSE2/SSE3/SSE4.1 floating-point
 * instructions are executed with the *same host instruction*, which gives
 * bit-exact results, NaN propagation, denormal handling (FTZ/DAZ),
 * rounding and exception flags for free -- and the approximate RCPPS/
 * RSQRTPS match the host CPU, which is what native-vs-lemu comparisons
 * test.  Each operation runs as ONE asm volatile block that
 *   1. saves the host MXCSR,
 *   2. loads the guest's RC/FTZ/DAZ with every exception masked and the
 *      flags clear (so the host never takes a SIGFPE for the guest),
 *   3. executes the instruction on register operands only (never guest
 *      memory, so nothing in the block can fault),
 *   4. stores the resulting MXCSR (its low 6 bits are the flags raised),
 *   5. restores the host MXCSR
 * (with the usual guest MXCSR no switch is needed at all: SSE_FP_ASM).
 * Doing all of it in one asm statement is what stops the compiler from
 * moving the arithmetic across the MXCSR switch.
 *
 * Then sse_fp_finish() merges the flags into c->mxcsr and, when one of
 * them is unmasked, raises #XM (#UD when CR4.OSXMMEXCPT is clear) before
 * the caller writes the destination -- so handlers compute into a
 * temporary, call sse_fp_finish(), then store.
 *
 * Typical use (dst/src are 16-byte vector lvalues such as __m128i):
 *
 *	uint32_t f;
 *	SSE_FP_ASM(c, f, "addps %[s], %[d]", ([d] "+x"(a)), ([s] "x"(b)));
 *	sse_fp_finish(c, f, &a, SSE_RES_PS);
 *	store a;
 *
 * Instructions with an immediate must spell it as a literal in the text
 * ("cmpps $3, %[s], %[d]").  Used by ops_sse_*.c (SSE/SSE2) and by the
 * SSE3/SSE4.1 groups.
 */
#ifndef LEMU_CPU_X86_SSE_FP_H
#define LEMU_CPU_X86_SSE_FP_H

#if !defined(__x86_64__)
#error "lemu's SSE floating point executes host SSE instructions: x86_64 hosts only (see sse_fp.h)"
#endif

#include "cpu.h"

#include <emmintrin.h>

/* MXCSR bits (SDM vol. 1 §10.2.3). */
#define MXCSR_IE 0x0001u
#define MXCSR_DE 0x0002u
#define MXCSR_ZE 0x0004u
#define MXCSR_OE 0x0008u
#define MXCSR_UE 0x0010u
#define MXCSR_PE 0x0020u
#define MXCSR_FLAGS 0x003fu
#define MXCSR_DAZ 0x0040u
#define MXCSR_MASKS 0x1f80u
#define MXCSR_IM 0x0080u
#define MXCSR_UM 0x0800u
#define MXCSR_RC 0x6000u
#define MXCSR_RC_SHIFT 13
#define MXCSR_FTZ 0x8000u
/* Bits LDMXCSR accepts (MXCSR_MASK reported by FXSAVE; DAZ supported). */
#define MXCSR_WRITABLE 0xffffu

#define CR4_OSXMMEXCPT (1u << 10)

/* Host MXCSR for running a guest operation: guest RC, FTZ, DAZ; every
 * exception masked; flags clear. */
static inline uint32_t sse_fp_host_csr(const struct cpu *c)
{
	return (c->mxcsr & (MXCSR_RC | MXCSR_FTZ | MXCSR_DAZ)) | MXCSR_MASKS;
}

/* Helper to pass parenthesised asm operand lists through a macro. */
#define SSE_FP_ARGS(...) __VA_ARGS__

/*
 * Run `text` (one or more host SSE instructions) under the guest MXCSR;
 * `flags` receives the MXCSR after the operation: its low 6 bits hold the
 * exception flags raised by the operation -- and, on the fast path below,
 * possibly flags the guest MXCSR already had, which merging leaves
 * unchanged.  `outs` and `ins` are parenthesised asm operand lists with
 * named operands; `ins` must not be empty.  Operands must be registers
 * ("x", "r"), never guest memory, and `text` must not define the local
 * label 1.
 *
 * Fast path: LDMXCSR costs tens of nanoseconds on the hosts we run on, and
 * two per operation made FP-heavy guests crawl.  When the guest's control
 * bits equal the host default (round to nearest, no FTZ/DAZ, everything
 * masked -- nearly every program), the host MXCSR needs no switch: the
 * operation runs directly if the host's flags are a subset of the guest's
 * (after one LDMXCSR of the guest value otherwise), and afterwards the
 * host MXCSR holds the guest's sticky flags, which nothing in lemu reads.
 * The host's control bits are never changed.  Any other guest MXCSR takes
 * the full save/switch/restore path.
 */
#define SSE_FP_HOST_DEFAULT 0x1f80u
#define SSE_FP_ASM(c, flags, text, outs, ins)                                                  \
	do {                                                                                   \
		uint32_t sse_m_ = (c)->mxcsr;                                                  \
		if (likely((sse_m_ & ~MXCSR_FLAGS) == SSE_FP_HOST_DEFAULT)) {                  \
			uint32_t sse_t_, sse_nf_ = ~(sse_m_ & MXCSR_FLAGS);                    \
			__asm__ volatile(                                                      \
			        "stmxcsr %[sse_f]\n\t"                                         \
			        "mov %[sse_f], %[sse_t]\n\t"                                   \
			        "and %[sse_nf], %[sse_t]\n\t"                                  \
			        "cmp %[sse_d], %[sse_t]\n\t"                                   \
			        "je 1f\n\t"                                                    \
			        "ldmxcsr %[sse_w]\n"                                           \
			        "1:\n\t" text "\n\t"                                           \
			        "stmxcsr %[sse_f]"                                             \
			        : [sse_f] "=m"(flags), [sse_t] "=&r"(sse_t_), SSE_FP_ARGS outs \
			        : [sse_nf] "r"(sse_nf_), [sse_d] "i"(SSE_FP_HOST_DEFAULT),     \
			          [sse_w] "m"(sse_m_), SSE_FP_ARGS ins                         \
			        : "cc", "memory");                                             \
		} else {                                                                       \
			uint32_t sse_g_ = sse_fp_host_csr(c), sse_h_ = 0;                      \
			__asm__ volatile("stmxcsr %[sse_h]\n\t"                                \
			                 "ldmxcsr %[sse_g]\n\t" text "\n\t"                    \
			                 "stmxcsr %[sse_f]\n\t"                                \
			                 "ldmxcsr %[sse_h]"                                    \
			                 : [sse_f] "=m"(flags), [sse_h] "+m"(sse_h_),          \
			                   SSE_FP_ARGS outs                                    \
			                 : [sse_g] "m"(sse_g_), SSE_FP_ARGS ins                \
			                 : "cc", "memory");                                    \
		}                                                                              \
	} while (0)

/* Two-operand form "insn src, dst" on 16-byte vectors. */
#define SSE_FP_OP2(c, flags, insn, dst, src) \
	SSE_FP_ASM(c, flags, insn " %[s], %[d]", ([d] "+x"(dst)), ([s] "x"(src)))

/* What the result vector holds, for the unmasked-underflow check. */
enum sse_res_kind {
	SSE_RES_NONE, /* integer or flags result: nothing to check */
	SSE_RES_SS,   /* one float in the low lane */
	SSE_RES_PS,   /* four floats */
	SSE_RES_SD,   /* one double in the low lane */
	SSE_RES_PD,   /* two doubles */
};

/* Is any lane of the result a nonzero denormal?  With underflow unmasked
 * the hardware reports tininess even when the result is exact (SDM vol. 1
 * §4.9.1.5), but the host ran masked and reports UE only when tiny AND
 * inexact; a nonzero denormal result is exactly the exact-tiny case. */
static inline int sse_fp_has_denormal(const void *res, enum sse_res_kind kind)
{
	union xmm v;
	memcpy(&v, res, 16);
	switch (kind) {
	case SSE_RES_SS:
	case SSE_RES_PS:
		for (int i = 0; i < (kind == SSE_RES_PS ? 4 : 1); i++)
			if ((v.l[i] & 0x7f800000u) == 0 && (v.l[i] & 0x007fffffu))
				return 1;
		return 0;
	case SSE_RES_SD:
	case SSE_RES_PD:
		for (int i = 0; i < (kind == SSE_RES_PD ? 2 : 1); i++)
			if ((v.q[i] & 0x7ff0000000000000ull) == 0 &&
			    (v.q[i] & 0x000fffffffffffffull))
				return 1;
		return 0;
	default: return 0;
	}
}

/* The arithmetic an operation did, for recomputing the precision flag of
 * an unmasked overflow/underflow (see sse_fp_unbounded_inexact). */
enum sse_fp_opk {
	SSE_OPK_NONE,
	SSE_OPK_ADD,
	SSE_OPK_SUB,
	SSE_OPK_MUL,
	SSE_OPK_DIV,
	SSE_OPK_SQRT,
	SSE_OPK_CVT, /* double -> float (CVTSD2SS, CVTPD2PS) */
};

/* Lane i of a float/double source vector as a long double, after DAZ. */
static inline long double sse_fp_lane(const struct cpu *c, const void *v, int dbl, int i)
{
	if (dbl) {
		uint64_t u;
		double d;
		memcpy(&u, (const uint8_t *)v + 8 * i, 8);
		if ((c->mxcsr & MXCSR_DAZ) && !(u & 0x7ff0000000000000ull))
			u &= 0x8000000000000000ull;
		memcpy(&d, &u, 8);
		return d;
	}
	uint32_t u;
	float f;
	memcpy(&u, (const uint8_t *)v + 4 * i, 4);
	if ((c->mxcsr & MXCSR_DAZ) && !(u & 0x7f800000u))
		u &= 0x80000000u;
	memcpy(&f, &u, 4);
	return f;
}

/*
 * With overflow or underflow unmasked, the hardware reports PE only if
 * the result rounded to the destination precision *with an unbounded
 * exponent range* is inexact (the biased result of SDM vol. 1 §4.9.1.4-5;
 * e.g. FLT_MAX+FLT_MAX raises OE alone, FLT_MAX*FLT_MAX OE and PE).  The
 * host ran masked and cannot tell, so recompute each lane in x87 extended
 * precision (15-bit exponent: nothing over- or underflows) and check that
 * the exact result fits the destination's significand.  Rare path.
 */
__attribute__((noinline, cold)) static int sse_fp_unbounded_inexact(const struct cpu *c, int opk,
                                                                    enum sse_res_kind kind,
                                                                    const void *a, const void *b)
{
	int dbl_out = kind == SSE_RES_SD || kind == SSE_RES_PD;
	int dbl_in = dbl_out || opk == SSE_OPK_CVT;
	int lanes = kind == SSE_RES_PS ? (opk == SSE_OPK_CVT ? 2 : 4) : kind == SSE_RES_PD ? 2 : 1;
	int inexact = 0;
	uint16_t host_cw, cw = 0x37f; /* extended precision, all masked */
	__asm__ volatile("fnstcw %0\n\tfldcw %1" : "=m"(host_cw) : "m"(cw) : "memory");
	for (int i = 0; i < lanes; i++) {
		volatile long double x = sse_fp_lane(c, a, dbl_in, i);
		volatile long double y = sse_fp_lane(c, b, dbl_in, i);
		volatile long double r;
		uint16_t sw;
		__asm__ volatile("fnclex" ::: "memory");
		switch (opk) {
		case SSE_OPK_ADD: r = x + y; break;
		case SSE_OPK_SUB: r = x - y; break;
		case SSE_OPK_MUL: r = x * y; break;
		case SSE_OPK_DIV: r = x / y; break;
		case SSE_OPK_SQRT: r = __builtin_sqrtl(y); break;
		default: r = y; break;
		}
		__asm__ volatile("fnstsw %0" : "=am"(sw) : : "memory");
		if (sw & 0x20) /* x87 PE: not even 64 bits suffice */
			inexact = 1;
		union fpreg v;
		memset(&v, 0, sizeof(v));
		v.ld = r;
		if ((v.x.exp & 0x7fff) != 0x7fff &&
		    (v.x.mant & (dbl_out ? 0x7ffull : 0xffffffffffull)))
			inexact = 1;
	}
	__asm__ volatile("fnclex\n\tfldcw %0" : : "m"(host_cw) : "memory");
	return inexact;
}

/*
 * An unmasked exception: SIMD exceptions are reported in two phases (SDM
 * vol. 1 §11.5.2): if any lane raised an unmasked pre-computation
 * exception (invalid, denormal, divide-by-zero), only the pre-computation
 * flags are set and no post-computation exception is reported; otherwise
 * all flags (including the unmasked overflow/underflow/precision ones)
 * are set, PE as described above.  Either way the destination is not
 * written.
 */
__attribute__((noinline, noreturn, cold)) static void sse_fp_raise(struct cpu *c, uint32_t f,
                                                                   int opk, enum sse_res_kind kind,
                                                                   const void *a, const void *b)
{
	uint32_t pre = f & (MXCSR_IE | MXCSR_DE | MXCSR_ZE);
	uint32_t unmasked = f & ~(c->mxcsr >> 7) & MXCSR_FLAGS;
	if (unmasked & pre) {
		c->mxcsr |= pre;
	} else {
		if ((unmasked & (MXCSR_OE | MXCSR_UE)) && opk != SSE_OPK_NONE) {
			f &= ~MXCSR_PE;
			if (sse_fp_unbounded_inexact(c, opk, kind, a, b))
				f |= MXCSR_PE;
		}
		c->mxcsr |= f;
	}
	cpu_raise(c, (c->cr4 & CR4_OSXMMEXCPT) ? EXC_XM : EXC_UD, 0);
}

/*
 * Merge the flags of `csr_after` (from SSE_FP_ASM) into the guest MXCSR;
 * raise #XM for an unmasked one.  `res` is the computed result (consulted
 * only when underflow is unmasked); `opk`, `a` (the destination's value
 * before the operation) and `b` (the source) describe the arithmetic for
 * the unmasked overflow/underflow case.  Use sse_fp_finish() when the
 * operation cannot overflow or underflow.
 */
static inline void sse_fp_finish_op(struct cpu *c, uint32_t csr_after, const void *res,
                                    enum sse_res_kind kind, int opk, const void *a, const void *b)
{
	uint32_t f = csr_after & MXCSR_FLAGS;
	if (unlikely(!(c->mxcsr & MXCSR_UM)) && kind != SSE_RES_NONE &&
	    sse_fp_has_denormal(res, kind))
		f |= MXCSR_UE;
	if (unlikely(f & ~(c->mxcsr >> 7) & MXCSR_FLAGS))
		sse_fp_raise(c, f, opk, kind, a, b);
	c->mxcsr |= f;
}
static inline void sse_fp_finish(struct cpu *c, uint32_t csr_after, const void *res,
                                 enum sse_res_kind kind)
{
	sse_fp_finish_op(c, csr_after, res, kind, SSE_OPK_NONE, NULL, NULL);
}

/* union xmm <-> host vector. */
static inline __m128i sse_vget(const union xmm *x)
{
	return _mm_loadu_si128((const __m128i *)x);
}
static inline void sse_vset(union xmm *x, __m128i v)
{
	_mm_storeu_si128((__m128i *)x, v);
}

#endif
