/*
 * Small helpers shared by the SSE3..SSE4.2/AES handler files
 * (ops_sse2.c, ops_sse41.c, ops_sse42.c, ops_aes.c).
 */
#ifndef LEMU_CPU_X86_OPS_SIMD_H
#define LEMU_CPU_X86_OPS_SIMD_H

#include <stdint.h>

/* MXCSR overflow mask (sse_fp.h names only IM and UM). */
#define SIMD_MXCSR_OM 0x0400u

static inline int16_t simd_sat16(int32_t v)
{
	return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}
static inline uint16_t simd_satu16(int32_t v)
{
	return (uint16_t)(v > 65535 ? 65535 : v < 0 ? 0 : v);
}

/* Binary XMM op on xmm_reg and the (16-byte, aligned) r/m operand. */
#define SIMD_XMM_BINOP(name, body)                                        \
	static void name(struct cpu *c, const struct insn *in)           \
	{                                                                 \
		union xmm t_;                                             \
		const union xmm *s = xmm_rm(c, in, &t_, 16, true);        \
		union xmm *d = xmm_reg(c, in);                            \
		union xmm r = *d;                                         \
		body;                                                     \
		*d = r;                                                   \
	}

/* ops_sse41fp.c: ROUNDxx (op 0-3) / DPPS (4) / DPPD (5) without host
 * SSE4.1 instructions; exported for the unit test. */
struct cpu;
union xmm;
void sse41fp_soft(struct cpu *c, unsigned op, unsigned imm, union xmm *d, const union xmm *s);

#endif
