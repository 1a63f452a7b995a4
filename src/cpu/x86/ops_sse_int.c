/*
 * MMX and SSE2 integer instructions (Intel SDM vol. 2; opcode map vol. 2
 * appendix A, table A-3): no prefix = MMX register form, 66 = XMM form.
 * The MMX forms marked "SSE" in the tables are the integer additions of
 * SSE (SDM vol. 1 §10.4.4); PADDQ/PSUBQ/PMULUDQ on MMX registers are SSE2.
 *
 * Every binary operation gets three handlers: XMM register source, XMM
 * memory source (aligned, 16 bytes) and MMX; the decoder chooses the XMM
 * one by ModRM.mod so the hot register path has no branch.
 */
#include "ops_sse.h"

/* Binary op `fn(a, b)` on host vectors: XMM reg, XMM mem and MMX forms.
 * MMX ops compute the 128-bit op on zero-extended values and keep the low
 * lane, which is exact for every element-wise operation. */
#define SSE_INT2_X(name, fn)                                                            \
	static void name##_xr(struct cpu *c, const struct insn *in)                     \
	{                                                                               \
		sse_reg_set(c, in, fn(sse_reg(c, in), sse_vget(&c->xmm[in->rm & 15]))); \
	}                                                                               \
	static void name##_xm(struct cpu *c, const struct insn *in)                     \
	{                                                                               \
		__m128i b = sse_mem128(c, in, true);                                    \
		sse_reg_set(c, in, fn(sse_reg(c, in), b));                              \
	}
#define SSE_INT2(name, fn)                                                             \
	SSE_INT2_X(name, fn)                                                           \
	static void name##_mm(struct cpu *c, const struct insn *in)                    \
	{                                                                              \
		uint64_t b = mmx_rm(c, in);                                            \
		mmx_enter(c);                                                          \
		mmx_set(c, in->reg, mmx_lo(fn(mmx_v(mmx_get(c, in->reg)), mmx_v(b)))); \
	}

/* Table rows: MMX form (feature mf) + XMM register/memory forms (SSE2). */
#define INT_ROW(op, name, mf)                                                             \
	SSE_OP(op, P_NONE, mf, 0, name##_mm), SSE_OPR(op, P_66, FEAT_SSE2, 0, name##_xr), \
	        SSE_OPM(op, P_66, FEAT_SSE2, 0, name##_xm)
#define INT_ROW_X(op, name) \
	SSE_OPR(op, P_66, FEAT_SSE2, 0, name##_xr), SSE_OPM(op, P_66, FEAT_SSE2, 0, name##_xm)

/* --- arithmetic, compare, logic ---------------------------------------- */

SSE_INT2(paddb, _mm_add_epi8)
SSE_INT2(paddw, _mm_add_epi16)
SSE_INT2(paddd, _mm_add_epi32)
SSE_INT2(paddq, _mm_add_epi64)
SSE_INT2(psubb, _mm_sub_epi8)
SSE_INT2(psubw, _mm_sub_epi16)
SSE_INT2(psubd, _mm_sub_epi32)
SSE_INT2(psubq, _mm_sub_epi64)
SSE_INT2(paddsb, _mm_adds_epi8)
SSE_INT2(paddsw, _mm_adds_epi16)
SSE_INT2(paddusb, _mm_adds_epu8)
SSE_INT2(paddusw, _mm_adds_epu16)
SSE_INT2(psubsb, _mm_subs_epi8)
SSE_INT2(psubsw, _mm_subs_epi16)
SSE_INT2(psubusb, _mm_subs_epu8)
SSE_INT2(psubusw, _mm_subs_epu16)
SSE_INT2(pmullw, _mm_mullo_epi16)
SSE_INT2(pmulhw, _mm_mulhi_epi16)
SSE_INT2(pmulhuw, _mm_mulhi_epu16)
SSE_INT2(pmuludq, _mm_mul_epu32)
SSE_INT2(pmaddwd, _mm_madd_epi16)
SSE_INT2(pavgb, _mm_avg_epu8)
SSE_INT2(pavgw, _mm_avg_epu16)
SSE_INT2(pminub, _mm_min_epu8)
SSE_INT2(pmaxub, _mm_max_epu8)
SSE_INT2(pminsw, _mm_min_epi16)
SSE_INT2(pmaxsw, _mm_max_epi16)
SSE_INT2(psadbw, _mm_sad_epu8)
SSE_INT2(pcmpeqb, _mm_cmpeq_epi8)
SSE_INT2(pcmpeqw, _mm_cmpeq_epi16)
SSE_INT2(pcmpeqd, _mm_cmpeq_epi32)
SSE_INT2(pcmpgtb, _mm_cmpgt_epi8)
SSE_INT2(pcmpgtw, _mm_cmpgt_epi16)
SSE_INT2(pcmpgtd, _mm_cmpgt_epi32)
SSE_INT2(pand, _mm_and_si128)
SSE_INT2(pandn, _mm_andnot_si128)
SSE_INT2(por, _mm_or_si128)
SSE_INT2(pxor, _mm_xor_si128)

/* PXOR/PCMPEQ of a register with itself (zeroing/all-ones idioms) need
 * no special case: the host op is one instruction either way. */

/* --- shifts by register/memory count (count = low 64 bits) ------------- */

SSE_INT2(psllw, _mm_sll_epi16)
SSE_INT2(pslld, _mm_sll_epi32)
SSE_INT2(psllq, _mm_sll_epi64)
SSE_INT2(psrlw, _mm_srl_epi16)
SSE_INT2(psrld, _mm_srl_epi32)
SSE_INT2(psrlq, _mm_srl_epi64)
SSE_INT2(psraw, _mm_sra_epi16)
SSE_INT2(psrad, _mm_sra_epi32)

/* --- shifts by immediate: groups 12/13/14 (0F 71/72/73), register only - */

#define SSE_SHIFTI(name, fn)                                                                     \
	static void name##_ix(struct cpu *c, const struct insn *in)                              \
	{                                                                                        \
		union xmm *d = &c->xmm[in->rm & 15];                                             \
		sse_vset(d, fn(sse_vget(d), _mm_cvtsi32_si128((int)in->imm)));                   \
	}                                                                                        \
	static void name##_im(struct cpu *c, const struct insn *in)                              \
	{                                                                                        \
		mmx_enter(c);                                                                    \
		mmx_set(c, in->rm,                                                               \
		        mmx_lo(fn(mmx_v(mmx_get(c, in->rm)), _mm_cvtsi32_si128((int)in->imm)))); \
	}
SSE_SHIFTI(psrlwi, _mm_srl_epi16)
SSE_SHIFTI(psrawi, _mm_sra_epi16)
SSE_SHIFTI(psllwi, _mm_sll_epi16)
SSE_SHIFTI(psrldi, _mm_srl_epi32)
SSE_SHIFTI(psradi, _mm_sra_epi32)
SSE_SHIFTI(pslldi, _mm_sll_epi32)
SSE_SHIFTI(psrlqi, _mm_srl_epi64)
SSE_SHIFTI(psllqi, _mm_sll_epi64)

/* PSRLDQ / PSLLDQ: byte shifts of the whole register; counts > 15 clear. */
static void psrldq(struct cpu *c, const struct insn *in)
{
	union xmm *d = &c->xmm[in->rm & 15];
	uint8_t t[32] = { 0 };
	unsigned n = in->imm > 16 ? 16 : (unsigned)in->imm;
	memcpy(t, d->b, 16);
	memcpy(d->b, t + n, 16);
}
static void pslldq(struct cpu *c, const struct insn *in)
{
	union xmm *d = &c->xmm[in->rm & 15];
	uint8_t t[32] = { 0 };
	unsigned n = in->imm > 16 ? 16 : (unsigned)in->imm;
	memcpy(t + 16, d->b, 16);
	memcpy(d->b, t + 16 - n, 16);
}

#define SHIFTI_ROWS(op, ext, name)                                                 \
	OPF(M0F, op, P_NONE, ext, M_REG, 0, 0, FEAT_MMX, RM | F_IMM8U, name##_im), \
	        OPF(M0F, op, P_66, ext, M_REG, 0, 0, FEAT_SSE2, RM | F_IMM8U, name##_ix)

/* --- pack / unpack ------------------------------------------------------ */

/* Pack and unpack-low combine the halves of two registers, so the MMX
 * forms need their own shape: pack(a:b) is the low lane of the 128-bit
 * pack of the concatenation; unpack-high of 64-bit values is the high
 * lane of the 128-bit unpack-low. */
#define SSE_PACK(name, fn)                                                              \
	static void name##_xr(struct cpu *c, const struct insn *in)                     \
	{                                                                               \
		sse_reg_set(c, in, fn(sse_reg(c, in), sse_vget(&c->xmm[in->rm & 15]))); \
	}                                                                               \
	static void name##_xm(struct cpu *c, const struct insn *in)                     \
	{                                                                               \
		__m128i b = sse_mem128(c, in, true);                                    \
		sse_reg_set(c, in, fn(sse_reg(c, in), b));                              \
	}                                                                               \
	static void name##_mm(struct cpu *c, const struct insn *in)                     \
	{                                                                               \
		uint64_t b = mmx_rm(c, in);                                             \
		mmx_enter(c);                                                           \
		__m128i x = _mm_unpacklo_epi64(mmx_v(mmx_get(c, in->reg)), mmx_v(b));   \
		mmx_set(c, in->reg, mmx_lo(fn(x, x)));                                  \
	}
SSE_PACK(packsswb, _mm_packs_epi16)
SSE_PACK(packssdw, _mm_packs_epi32)
SSE_PACK(packuswb, _mm_packus_epi16)

/* MMX PUNPCKLxx reads only 32 bits from memory (SDM: mm/m32). */
#define SSE_UNPCK(name, fnlo, fnhi)                                                      \
	SSE_INT2_X(name##l, fnlo)                                                        \
	SSE_INT2_X(name##h, fnhi)                                                        \
	static void name##l_m32(struct cpu *c, const struct insn *in)                    \
	{                                                                                \
		uint64_t b = in->mem ? ld32(c, insn_ea(c, in)) : mmx_get(c, in->rm);     \
		mmx_enter(c);                                                            \
		mmx_set(c, in->reg, mmx_lo(fnlo(mmx_v(mmx_get(c, in->reg)), mmx_v(b)))); \
	}                                                                                \
	static void name##h_m64(struct cpu *c, const struct insn *in)                    \
	{                                                                                \
		uint64_t b = mmx_rm(c, in);                                              \
		mmx_enter(c);                                                            \
		__m128i r = fnlo(mmx_v(mmx_get(c, in->reg)), mmx_v(b));                  \
		mmx_set(c, in->reg, mmx_lo(_mm_unpackhi_epi64(r, r)));                   \
	}
SSE_UNPCK(punpckbw, _mm_unpacklo_epi8, _mm_unpackhi_epi8)
SSE_UNPCK(punpckwd, _mm_unpacklo_epi16, _mm_unpackhi_epi16)
SSE_UNPCK(punpckdq, _mm_unpacklo_epi32, _mm_unpackhi_epi32)
SSE_INT2_X(punpcklqdq, _mm_unpacklo_epi64)
SSE_INT2_X(punpckhqdq, _mm_unpackhi_epi64)

#define UNPCK_ROWS(oplo, ophi, name)                                              \
	SSE_OP(oplo, P_NONE, FEAT_MMX, 0, name##l_m32), INT_ROW_X(oplo, name##l), \
	        SSE_OP(ophi, P_NONE, FEAT_MMX, 0, name##h_m64), INT_ROW_X(ophi, name##h)

/* --- shuffles, insert/extract, masks ------------------------------------ */

/* PSHUFD xmm, xmm/m128, imm8 */
static void pshufd(struct cpu *c, const struct insn *in)
{
	union xmm s, r;
	sse_vset(&s, sse_rm128(c, in, true));
	unsigned imm = (unsigned)in->imm;
	for (int i = 0; i < 4; i++)
		r.l[i] = s.l[(imm >> (2 * i)) & 3];
	c->xmm[in->reg & 15] = r;
}
/* PSHUFHW (F3) / PSHUFLW (F2): shuffle the words of one half, copy the
 * other; aux = 4 for the high half, 0 for the low. */
static void pshufhlw(struct cpu *c, const struct insn *in)
{
	union xmm s, r;
	sse_vset(&s, sse_rm128(c, in, true));
	unsigned imm = (unsigned)in->imm, h = in->aux;
	r = s;
	for (unsigned i = 0; i < 4; i++)
		r.w[h + i] = s.w[h + ((imm >> (2 * i)) & 3)];
	c->xmm[in->reg & 15] = r;
}
/* PSHUFW mm, mm/m64, imm8 (SSE) */
static void pshufw(struct cpu *c, const struct insn *in)
{
	uint64_t s = mmx_rm(c, in), r = 0;
	unsigned imm = (unsigned)in->imm;
	mmx_enter(c);
	for (unsigned i = 0; i < 4; i++)
		r |= ((s >> (16 * ((imm >> (2 * i)) & 3))) & 0xffff) << (16 * i);
	mmx_set(c, in->reg, r);
}

/* PINSRW mm/xmm, r32/m16, imm8 */
static void pinsrw_x(struct cpu *c, const struct insn *in)
{
	uint16_t v = in->mem ? ld16(c, insn_ea(c, in)) : (uint16_t)c->regs[in->rm];
	c->xmm[in->reg & 15].w[in->imm & 7] = v;
}
static void pinsrw_m(struct cpu *c, const struct insn *in)
{
	uint16_t v = in->mem ? ld16(c, insn_ea(c, in)) : (uint16_t)c->regs[in->rm];
	mmx_enter(c);
	unsigned sh = 16 * (in->imm & 3);
	mmx_set(c, in->reg, (mmx_get(c, in->reg) & ~(0xffffull << sh)) | ((uint64_t)v << sh));
}
/* PEXTRW r32/r64, mm/xmm, imm8: zero-extended into the whole GPR. */
static void pextrw_x(struct cpu *c, const struct insn *in)
{
	c->regs[in->reg] = c->xmm[in->rm & 15].w[in->imm & 7];
}
static void pextrw_m(struct cpu *c, const struct insn *in)
{
	mmx_enter(c);
	c->regs[in->reg] = (mmx_get(c, in->rm) >> (16 * (in->imm & 3))) & 0xffff;
}

/* PMOVMSKB r32, mm/xmm */
static void pmovmskb_x(struct cpu *c, const struct insn *in)
{
	c->regs[in->reg] = (uint32_t)_mm_movemask_epi8(sse_vget(&c->xmm[in->rm & 15]));
}
static void pmovmskb_m(struct cpu *c, const struct insn *in)
{
	mmx_enter(c);
	c->regs[in->reg] = (uint32_t)_mm_movemask_epi8(mmx_v(mmx_get(c, in->rm))) & 0xff;
}

const struct opdesc ops_sse_int[] = {
	UNPCK_ROWS(0x60, 0x68, punpckbw),
	UNPCK_ROWS(0x61, 0x69, punpckwd),
	UNPCK_ROWS(0x62, 0x6a, punpckdq),
	INT_ROW(0x63, packsswb, FEAT_MMX),
	INT_ROW(0x64, pcmpgtb, FEAT_MMX),
	INT_ROW(0x65, pcmpgtw, FEAT_MMX),
	INT_ROW(0x66, pcmpgtd, FEAT_MMX),
	INT_ROW(0x67, packuswb, FEAT_MMX),
	INT_ROW(0x6b, packssdw, FEAT_MMX),
	INT_ROW_X(0x6c, punpcklqdq),
	INT_ROW_X(0x6d, punpckhqdq),

	SSE_OP(0x70, P_NONE, FEAT_SSE, F_IMM8U, pshufw),
	SSE_OP(0x70, P_66, FEAT_SSE2, F_IMM8U, pshufd),
	OPF(M0F, 0x70, P_F3, -1, M_ANY, 0, 4, FEAT_SSE2, RM | F_IMM8U, pshufhlw),
	OPF(M0F, 0x70, P_F2, -1, M_ANY, 0, 0, FEAT_SSE2, RM | F_IMM8U, pshufhlw),

	SHIFTI_ROWS(0x71, 2, psrlwi),
	SHIFTI_ROWS(0x71, 4, psrawi),
	SHIFTI_ROWS(0x71, 6, psllwi),
	SHIFTI_ROWS(0x72, 2, psrldi),
	SHIFTI_ROWS(0x72, 4, psradi),
	SHIFTI_ROWS(0x72, 6, pslldi),
	SHIFTI_ROWS(0x73, 2, psrlqi),
	SHIFTI_ROWS(0x73, 6, psllqi),
	OPF(M0F, 0x73, P_66, 3, M_REG, 0, 0, FEAT_SSE2, RM | F_IMM8U, psrldq),
	OPF(M0F, 0x73, P_66, 7, M_REG, 0, 0, FEAT_SSE2, RM | F_IMM8U, pslldq),

	INT_ROW(0x74, pcmpeqb, FEAT_MMX),
	INT_ROW(0x75, pcmpeqw, FEAT_MMX),
	INT_ROW(0x76, pcmpeqd, FEAT_MMX),

	SSE_OP(0xc4, P_NONE, FEAT_SSE, F_IMM8U, pinsrw_m),
	SSE_OP(0xc4, P_66, FEAT_SSE2, F_IMM8U, pinsrw_x),
	SSE_OPR(0xc5, P_NONE, FEAT_SSE, F_IMM8U, pextrw_m),
	SSE_OPR(0xc5, P_66, FEAT_SSE2, F_IMM8U, pextrw_x),

	INT_ROW(0xd1, psrlw, FEAT_MMX),
	INT_ROW(0xd2, psrld, FEAT_MMX),
	INT_ROW(0xd3, psrlq, FEAT_MMX),
	INT_ROW(0xd4, paddq, FEAT_SSE2),
	INT_ROW(0xd5, pmullw, FEAT_MMX),
	SSE_OPR(0xd7, P_NONE, FEAT_SSE, 0, pmovmskb_m),
	SSE_OPR(0xd7, P_66, FEAT_SSE2, 0, pmovmskb_x),
	INT_ROW(0xd8, psubusb, FEAT_MMX),
	INT_ROW(0xd9, psubusw, FEAT_MMX),
	INT_ROW(0xda, pminub, FEAT_SSE),
	INT_ROW(0xdb, pand, FEAT_MMX),
	INT_ROW(0xdc, paddusb, FEAT_MMX),
	INT_ROW(0xdd, paddusw, FEAT_MMX),
	INT_ROW(0xde, pmaxub, FEAT_SSE),
	INT_ROW(0xdf, pandn, FEAT_MMX),
	INT_ROW(0xe0, pavgb, FEAT_SSE),
	INT_ROW(0xe1, psraw, FEAT_MMX),
	INT_ROW(0xe2, psrad, FEAT_MMX),
	INT_ROW(0xe3, pavgw, FEAT_SSE),
	INT_ROW(0xe4, pmulhuw, FEAT_SSE),
	INT_ROW(0xe5, pmulhw, FEAT_MMX),
	INT_ROW(0xe8, psubsb, FEAT_MMX),
	INT_ROW(0xe9, psubsw, FEAT_MMX),
	INT_ROW(0xea, pminsw, FEAT_SSE),
	INT_ROW(0xeb, por, FEAT_MMX),
	INT_ROW(0xec, paddsb, FEAT_MMX),
	INT_ROW(0xed, paddsw, FEAT_MMX),
	INT_ROW(0xee, pmaxsw, FEAT_SSE),
	INT_ROW(0xef, pxor, FEAT_MMX),
	INT_ROW(0xf1, psllw, FEAT_MMX),
	INT_ROW(0xf2, pslld, FEAT_MMX),
	INT_ROW(0xf3, psllq, FEAT_MMX),
	INT_ROW(0xf4, pmuludq, FEAT_SSE2),
	INT_ROW(0xf5, pmaddwd, FEAT_MMX),
	INT_ROW(0xf6, psadbw, FEAT_SSE),
	INT_ROW(0xf8, psubb, FEAT_MMX),
	INT_ROW(0xf9, psubw, FEAT_MMX),
	INT_ROW(0xfa, psubd, FEAT_MMX),
	INT_ROW(0xfb, psubq, FEAT_SSE2),
	INT_ROW(0xfc, paddb, FEAT_MMX),
	INT_ROW(0xfd, paddw, FEAT_MMX),
	INT_ROW(0xfe, paddd, FEAT_MMX),
	{ 0 },
};
