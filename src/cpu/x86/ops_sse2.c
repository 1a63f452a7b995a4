/*
 * SSE3 and SSSE3 (Intel SDM vol. 2, instruction pages; opcode map vol. 2
 * appendix A).  SSE4.1 is in ops_sse41.c, SSE4.2 in ops_sse42.c, AES-NI
 * and PCLMULQDQ in ops_aes.c.
 *
 * The SSSE3 integer instructions exist as MMX (0F 38 xx, 64-bit) and XMM
 * (66 0F 38 xx, 128-bit) forms.  Each is written once over a union xmm
 * with an operand width of 8 or 16 bytes; ssse3_run() fetches the
 * operands for either form.
 */
#include "decode.h"
#include "ops.h"
#include "ops_simd.h"
#include "sse_fp.h"

/* --- SSE3 data movement -------------------------------------------- */

/* MOVSLDUP (aux 0) / MOVSHDUP (aux 1): duplicate the even / odd dwords.
 * m128 must be aligned (exception type 4). */
static void movs_dup(struct cpu *c, const struct insn *in)
{
	union xmm t;
	const union xmm *s = xmm_rm(c, in, &t, 16, true);
	unsigned o = in->aux;
	union xmm r;
	r.l[0] = r.l[1] = s->l[0 + o];
	r.l[2] = r.l[3] = s->l[2 + o];
	*xmm_reg(c, in) = r;
}

/* MOVDDUP xmm, xmm/m64: no alignment requirement (m64). */
static void movddup(struct cpu *c, const struct insn *in)
{
	union xmm t;
	const union xmm *s = xmm_rm(c, in, &t, 8, false);
	union xmm *d = xmm_reg(c, in);
	uint64_t v = s->q[0];
	d->q[0] = d->q[1] = v;
}

/* LDDQU xmm, m128: unaligned load (SDM: "no alignment restriction"). */
static void lddqu(struct cpu *c, const struct insn *in)
{
	union xmm t;
	const union xmm *s = xmm_rm(c, in, &t, 16, false);
	*xmm_reg(c, in) = *s;
}

/* --- SSE3 arithmetic ---------------------------------------------------- */

/* ADDSUBPx, HADDPx, HSUBPx run as the same host instruction under the
 * guest MXCSR (sse_fp.h), which gives the exact IEEE results, NaN
 * propagation and exception flags.  m128 must be aligned (type 4).
 *
 * With overflow or underflow unmasked, sse_fp_finish_op() recomputes the
 * precision flag lane by lane from operands x OP y; these operations are
 * rearranged into that shape: HADDPS is (a0+a1, a2+a3, b0+b1, b2+b3) =
 * x + y with x = (a0, a2, b0, b2), y = (a1, a3, b1, b3); ADDSUBPS is
 * a + (-b0, b1, -b2, b3) (negation is exact). */
enum { H_ADDSUB, H_HADD, H_HSUB };
static void sse3_lanes(unsigned op, bool dbl, const union xmm *a, const union xmm *b, union xmm *x,
		       union xmm *y)
{
	if (op == H_ADDSUB) {
		*x = *a;
		*y = *b;
		if (dbl)
			y->q[0] ^= 1ull << 63;
		else
			y->l[0] ^= 1u << 31, y->l[2] ^= 1u << 31;
	} else if (dbl) {
		x->q[0] = a->q[0], x->q[1] = b->q[0];
		y->q[0] = a->q[1], y->q[1] = b->q[1];
	} else {
		x->l[0] = a->l[0], x->l[1] = a->l[2], x->l[2] = b->l[0], x->l[3] = b->l[2];
		y->l[0] = a->l[1], y->l[1] = a->l[3], y->l[2] = b->l[1], y->l[3] = b->l[3];
	}
}

#define SSE3_FP(name, text, kind, op, dbl)                                          \
	static void name(struct cpu *c, const struct insn *in)                     \
	{                                                                           \
		union xmm t;                                                        \
		__m128i b = sse_vget(xmm_rm(c, in, &t, 16, true));                  \
		__m128i a0 = sse_vget(xmm_reg(c, in)), a = a0;                      \
		uint32_t f;                                                         \
		SSE_FP_OP2(c, f, text, a, b);                                       \
		if (likely((c->mxcsr & (SIMD_MXCSR_OM | MXCSR_UM)) == (SIMD_MXCSR_OM | MXCSR_UM))) { \
			sse_fp_finish(c, f, &a, kind);                              \
		} else {                                                            \
			union xmm ua, ub, x, y;                                     \
			sse_vset(&ua, a0);                                          \
			sse_vset(&ub, b);                                           \
			sse3_lanes(op, dbl, &ua, &ub, &x, &y);                      \
			sse_fp_finish_op(c, f, &a, kind,                            \
					 op == H_HSUB ? SSE_OPK_SUB : SSE_OPK_ADD, &x, &y); \
		}                                                                   \
		sse_vset(xmm_reg(c, in), a);                                        \
	}
SSE3_FP(addsubps, "addsubps", SSE_RES_PS, H_ADDSUB, false)
SSE3_FP(addsubpd, "addsubpd", SSE_RES_PD, H_ADDSUB, true)
SSE3_FP(haddps, "haddps", SSE_RES_PS, H_HADD, false)
SSE3_FP(haddpd, "haddpd", SSE_RES_PD, H_HADD, true)
SSE3_FP(hsubps, "hsubps", SSE_RES_PS, H_HSUB, false)
SSE3_FP(hsubpd, "hsubpd", SSE_RES_PD, H_HSUB, true)

/* --- SSSE3 ----------------------------------------------------------- */

typedef void (*vec_fn)(union xmm *d, const union xmm *s, unsigned n, unsigned imm);

/* Run f on the MMX (no 66) or XMM (66) form of an SSSE3 instruction.
 * The memory operand is read before any state changes (precise faults);
 * the MMX form enters MMX state (SDM vol. 1 §9.5.1). */
static inline void ssse3_run(struct cpu *c, const struct insn *in, vec_fn f)
{
	union xmm d, s;
	if (in->prefix & PFX_66) {
		union xmm t;
		s = *xmm_rm(c, in, &t, 16, true);
		d = *xmm_reg(c, in);
		f(&d, &s, 16, (unsigned)in->imm);
		*xmm_reg(c, in) = d;
	} else {
		memset(&s, 0, sizeof(s));
		memset(&d, 0, sizeof(d));
		s.q[0] = mmx_rm(c, in);
		mmx_enter(c);
		d.q[0] = mmx_get(c, in->reg & 7);
		f(&d, &s, 8, (unsigned)in->imm);
		mmx_set(c, in->reg & 7, d.q[0]);
	}
}

static void v_pshufb(union xmm *d, const union xmm *s, unsigned n, unsigned imm)
{
	union xmm r = { 0 };
	for (unsigned i = 0; i < n; i++)
		r.b[i] = (s->b[i] & 0x80) ? 0 : d->b[s->b[i] & (n - 1)];
	*d = r;
}

/* Horizontal word ops: low half of the result from pairs of d, high half
 * from pairs of s. */
#define HORIZ(name, T, field, expr)                                               \
	static void name(union xmm *d, const union xmm *s, unsigned n, unsigned imm) \
	{                                                                         \
		union xmm r = { 0 };                                              \
		unsigned ne = n / sizeof(T), h = ne / 2;                          \
		for (unsigned i = 0; i < h; i++) {                                \
			T a = d->field[2 * i], b = d->field[2 * i + 1];           \
			r.field[i] = (T)(expr);                                   \
			a = s->field[2 * i];                                      \
			b = s->field[2 * i + 1];                                  \
			r.field[h + i] = (T)(expr);                               \
		}                                                                 \
		*d = r;                                                           \
	}
HORIZ(v_phaddw, uint16_t, w, a + b)
HORIZ(v_phaddd, uint32_t, l, a + b)
HORIZ(v_phaddsw, int16_t, sw, simd_sat16((int32_t)a + b))
HORIZ(v_phsubw, uint16_t, w, a - b)
HORIZ(v_phsubd, uint32_t, l, a - b)
HORIZ(v_phsubsw, int16_t, sw, simd_sat16((int32_t)a - b))

/* PMADDUBSW: unsigned bytes of d times signed bytes of s, pairs summed
 * with signed saturation. */
static void v_pmaddubsw(union xmm *d, const union xmm *s, unsigned n, unsigned imm)
{
	for (unsigned i = 0; i < n / 2; i++) {
		int32_t v = (int32_t)d->b[2 * i] * s->sb[2 * i] +
			    (int32_t)d->b[2 * i + 1] * s->sb[2 * i + 1];
		d->sw[i] = simd_sat16(v);
	}
}

/* PSIGNx: negate (wrapping: -INT_MIN stays INT_MIN), zero or keep d by
 * the sign of s. */
#define PSIGN(name, sfield, ufield)                                               \
	static void name(union xmm *d, const union xmm *s, unsigned n, unsigned imm) \
	{                                                                         \
		for (unsigned i = 0; i < n / sizeof(d->sfield[0]); i++) {         \
			if (s->sfield[i] < 0)                                     \
				d->ufield[i] = 0u - d->ufield[i];                 \
			else if (s->sfield[i] == 0)                               \
				d->ufield[i] = 0;                                 \
		}                                                                 \
	}
PSIGN(v_psignb, sb, b)
PSIGN(v_psignw, sw, w)
PSIGN(v_psignd, sl, l)

/* PABSx d, s: d = |s| (the result is unsigned: |INT_MIN| = INT_MIN bits). */
#define PABS(name, sfield, ufield)                                                \
	static void name(union xmm *d, const union xmm *s, unsigned n, unsigned imm) \
	{                                                                         \
		for (unsigned i = 0; i < n / sizeof(d->sfield[0]); i++)           \
			d->ufield[i] = s->sfield[i] < 0 ? 0 - s->ufield[i] : s->ufield[i]; \
	}
PABS(v_pabsb, sb, b)
PABS(v_pabsw, sw, w)
PABS(v_pabsd, sl, l)

/* PMULHRSW: ((a * b >> 14) + 1) >> 1, high-rounded 16-bit product. */
static void v_pmulhrsw(union xmm *d, const union xmm *s, unsigned n, unsigned imm)
{
	for (unsigned i = 0; i < n / 2; i++) {
		int32_t p = (int32_t)d->sw[i] * s->sw[i];
		d->w[i] = (uint16_t)(((p >> 14) + 1) >> 1);
	}
}

/* PALIGNR: the concatenation d:s (d high) shifted right by imm bytes. */
static void v_palignr(union xmm *d, const union xmm *s, unsigned n, unsigned imm)
{
	uint8_t cat[32];
	memcpy(cat, s->b, n);
	memcpy(cat + n, d->b, n);
	union xmm r = { 0 };
	for (unsigned i = 0; i < n; i++)
		r.b[i] = imm + i < 2 * n ? cat[imm + i] : 0;
	*d = r;
}

#define SSSE3_OP(fn)                                                    \
	static void op_##fn(struct cpu *c, const struct insn *in)      \
	{                                                               \
		ssse3_run(c, in, v_##fn);                               \
	}
SSSE3_OP(pshufb)
SSSE3_OP(phaddw)
SSSE3_OP(phaddd)
SSSE3_OP(phaddsw)
SSSE3_OP(pmaddubsw)
SSSE3_OP(phsubw)
SSSE3_OP(phsubd)
SSSE3_OP(phsubsw)
SSSE3_OP(psignb)
SSSE3_OP(psignw)
SSSE3_OP(psignd)
SSSE3_OP(pmulhrsw)
SSSE3_OP(pabsb)
SSSE3_OP(pabsw)
SSSE3_OP(pabsd)
SSSE3_OP(palignr)

#define SSE3 FEAT(FW_1_ECX, 0)
#define SSSE3 FEAT(FW_1_ECX, 9)
#define RM F_MODRM

/* Both forms of an SSSE3 0F 38 instruction. */
#define SSSE3_PAIR(op, fn)                                                        \
	OPF(MAP_0F38, op, P_NONE, -1, M_ANY, 0, 0, SSSE3, RM, op_##fn),           \
	OPF(MAP_0F38, op, P_66, -1, M_ANY, 0, 0, SSSE3, RM, op_##fn)

/*
 * F2/F3 with a 66-prefixed SSE opcode: the last of F2/F3 is the mandatory
 * prefix and 66 is ignored, so these encodings are undefined (#UD on
 * hardware) rather than the 66 form the decoder falls back to.  Listed
 * for every 66-only opcode of this group and of ops_sse41/ops_sse42/
 * ops_aes (0F 38 F0/F1 F2 are CRC32, not ours).
 */
#define UD_REP(map, op)                                                                   \
	OPF(map, op, P_F2, -1, M_ANY, 0, 0, 0, RM, op_ud),                                \
	OPF(map, op, P_F3, -1, M_ANY, 0, 0, 0, RM, op_ud)
#define UD_REP4(map, op) UD_REP(map, op), UD_REP(map, op + 1), UD_REP(map, op + 2), UD_REP(map, op + 3)

const struct opdesc ops_sse2[] = {
	/* SSE3 */
	OPF(MAP_0F, 0x12, P_F3, -1, M_ANY, 0, 0, SSE3, RM, movs_dup),
	OPF(MAP_0F, 0x16, P_F3, -1, M_ANY, 0, 1, SSE3, RM, movs_dup),
	OPF(MAP_0F, 0x12, P_F2, -1, M_ANY, 0, 0, SSE3, RM, movddup),
	OPF(MAP_0F, 0xf0, P_F2, -1, M_MEM, 0, 0, SSE3, RM, lddqu),
	OPF(MAP_0F, 0xd0, P_F2, -1, M_ANY, 0, 0, SSE3, RM, addsubps),
	OPF(MAP_0F, 0xd0, P_66, -1, M_ANY, 0, 0, SSE3, RM, addsubpd),
	OPF(MAP_0F, 0x7c, P_F2, -1, M_ANY, 0, 0, SSE3, RM, haddps),
	OPF(MAP_0F, 0x7c, P_66, -1, M_ANY, 0, 0, SSE3, RM, haddpd),
	OPF(MAP_0F, 0x7d, P_F2, -1, M_ANY, 0, 0, SSE3, RM, hsubps),
	OPF(MAP_0F, 0x7d, P_66, -1, M_ANY, 0, 0, SSE3, RM, hsubpd),
	/* SSSE3 */
	SSSE3_PAIR(0x00, pshufb),
	SSSE3_PAIR(0x01, phaddw),
	SSSE3_PAIR(0x02, phaddd),
	SSSE3_PAIR(0x03, phaddsw),
	SSSE3_PAIR(0x04, pmaddubsw),
	SSSE3_PAIR(0x05, phsubw),
	SSSE3_PAIR(0x06, phsubd),
	SSSE3_PAIR(0x07, phsubsw),
	SSSE3_PAIR(0x08, psignb),
	SSSE3_PAIR(0x09, psignw),
	SSSE3_PAIR(0x0a, psignd),
	SSSE3_PAIR(0x0b, pmulhrsw),
	SSSE3_PAIR(0x1c, pabsb),
	SSSE3_PAIR(0x1d, pabsw),
	SSSE3_PAIR(0x1e, pabsd),
	OPF(MAP_0F3A, 0x0f, P_NONE, -1, M_ANY, 0, 0, SSSE3, RM | F_IMM8U, op_palignr),
	OPF(MAP_0F3A, 0x0f, P_66, -1, M_ANY, 0, 0, SSSE3, RM | F_IMM8U, op_palignr),
	/* F2/F3 + 66 forms */
	OPF(MAP_0F, 0x7c, P_F3, -1, M_ANY, 0, 0, 0, RM, op_ud),
	OPF(MAP_0F, 0x7d, P_F3, -1, M_ANY, 0, 0, 0, RM, op_ud),
	OPF(MAP_0F, 0xd0, P_F3, -1, M_ANY, 0, 0, 0, RM, op_ud),
	UD_REP4(MAP_0F38, 0x00), UD_REP4(MAP_0F38, 0x04), UD_REP4(MAP_0F38, 0x08),
	UD_REP(MAP_0F38, 0x10), UD_REP(MAP_0F38, 0x14), UD_REP(MAP_0F38, 0x15),
	UD_REP(MAP_0F38, 0x17), UD_REP(MAP_0F38, 0x1c), UD_REP(MAP_0F38, 0x1d),
	UD_REP(MAP_0F38, 0x1e), UD_REP4(MAP_0F38, 0x20), UD_REP(MAP_0F38, 0x24),
	UD_REP(MAP_0F38, 0x25), UD_REP4(MAP_0F38, 0x28), UD_REP4(MAP_0F38, 0x30),
	UD_REP(MAP_0F38, 0x34), UD_REP(MAP_0F38, 0x35), UD_REP(MAP_0F38, 0x37),
	UD_REP4(MAP_0F38, 0x38), UD_REP4(MAP_0F38, 0x3c), UD_REP(MAP_0F38, 0x40),
	UD_REP(MAP_0F38, 0x41), UD_REP4(MAP_0F38, 0xdb), UD_REP(MAP_0F38, 0xdf),
	UD_REP4(MAP_0F3A, 0x08), UD_REP4(MAP_0F3A, 0x0c), UD_REP4(MAP_0F3A, 0x14),
	UD_REP(MAP_0F3A, 0x20), UD_REP(MAP_0F3A, 0x21), UD_REP(MAP_0F3A, 0x22),
	UD_REP(MAP_0F3A, 0x40), UD_REP(MAP_0F3A, 0x41), UD_REP(MAP_0F3A, 0x42),
	UD_REP(MAP_0F3A, 0x44), UD_REP4(MAP_0F3A, 0x60), UD_REP(MAP_0F3A, 0xdf),
	{ 0 },
};
