/*
 * SSE4.1 (Intel SDM vol. 2; 66 0F 38 xx and 66 0F 3A xx).  The rounding
 * and dot-product instructions are in ops_sse41fp.c.
 *
 * Alignment: the 128-bit memory forms are "exception type 4" and require
 * 16-byte alignment in their legacy-SSE encoding (SDM vol. 2 §2.5, table
 * 2-21); PMOVSX/PMOVZX, INSERTPS and the PINSR/PEXTR forms access fewer
 * bytes and never check alignment; MOVNTDQA is type 1 (always aligned).
 */
#include "decode.h"
#include "ops.h"
#include "ops_simd.h"

/* --- blends ---------------------------------------------------------- */

/* PBLENDVB / BLENDVPS / BLENDVPD: element taken from src where the sign
 * bit of the corresponding XMM0 element is set.  aux = element size. */
static void blendv(struct cpu *c, const struct insn *in)
{
	union xmm t;
	const union xmm *s = xmm_rm(c, in, &t, 16, true);
	union xmm m = c->xmm[0], *d = xmm_reg(c, in), r = *d;
	unsigned es = in->aux;
	for (unsigned i = 0; i < 16; i += es)
		if (m.b[i + es - 1] & 0x80)
			memcpy(&r.b[i], &s->b[i], es);
	*d = r;
}

/* BLENDPS / BLENDPD / PBLENDW: element i from src where imm bit i is set. */
static void blend_imm(struct cpu *c, const struct insn *in)
{
	union xmm t;
	const union xmm *s = xmm_rm(c, in, &t, 16, true);
	union xmm *d = xmm_reg(c, in), r = *d;
	unsigned es = in->aux;
	for (unsigned i = 0; i < 16 / es; i++)
		if ((in->imm >> i) & 1)
			memcpy(&r.b[i * es], &s->b[i * es], es);
	*d = r;
}

/* PTEST: ZF = (d AND s) == 0, CF = (NOT d AND s) == 0; AF/OF/PF/SF = 0. */
static void ptest(struct cpu *c, const struct insn *in)
{
	union xmm t;
	const union xmm *s = xmm_rm(c, in, &t, 16, true);
	const union xmm *d = xmm_reg(c, in);
	uint32_t f = 0;
	if (!((d->q[0] & s->q[0]) | (d->q[1] & s->q[1])))
		f |= FL_ZF;
	if (!((~d->q[0] & s->q[0]) | (~d->q[1] & s->q[1])))
		f |= FL_CF;
	cc_set_flags(c, f);
}

/* --- PMOVSX / PMOVZX --------------------------------------------------- */

/* aux: bits 0-3 = source element size, bits 4-7 = destination element
 * size (bytes); the source is the low 16/(dst/src) bytes of xmm/m128,
 * and a memory source reads only those bytes (no alignment check). */
static inline void pmovx(struct cpu *c, const struct insn *in, bool sign)
{
	unsigned ss = in->aux & 15, ds = in->aux >> 4, n = 16 / ds;
	union xmm t;
	const union xmm *s = xmm_rm(c, in, &t, ss * n, false);
	union xmm r;
	for (unsigned i = 0; i < n; i++) {
		uint64_t v = 0;
		memcpy(&v, &s->b[i * ss], ss);
		if (sign)
			v = (uint64_t)sext(v, ss);
		memcpy(&r.b[i * ds], &v, ds);
	}
	*xmm_reg(c, in) = r;
}
static void pmovsx(struct cpu *c, const struct insn *in)
{
	pmovx(c, in, true);
}
static void pmovzx(struct cpu *c, const struct insn *in)
{
	pmovx(c, in, false);
}

/* --- integer arithmetic ------------------------------------------------ */

SIMD_XMM_BINOP(pmuldq, for (int i = 0; i < 2; i++) r.sq[i] = (int64_t)d->sl[2 * i] * s->sl[2 * i])
SIMD_XMM_BINOP(pcmpeqq, for (int i = 0; i < 2; i++) r.q[i] = d->q[i] == s->q[i] ? ~0ull : 0)
SIMD_XMM_BINOP(pcmpgtq, for (int i = 0; i < 2; i++) r.q[i] = d->sq[i] > s->sq[i] ? ~0ull : 0)
SIMD_XMM_BINOP(pmulld, for (int i = 0; i < 4; i++) r.l[i] = d->l[i] * s->l[i])
SIMD_XMM_BINOP(packusdw, for (int i = 0; i < 4; i++) {
	r.w[i] = simd_satu16(d->sl[i]);
	r.w[4 + i] = simd_satu16(s->sl[i]);
})
#define MINMAX(name, field, n, cmp) \
	SIMD_XMM_BINOP(name, for (int i = 0; i < n; i++) r.field[i] = s->field[i] cmp d->field[i] ? s->field[i] : d->field[i])
MINMAX(pminsb, sb, 16, <)
MINMAX(pminsd, sl, 4, <)
MINMAX(pminuw, w, 8, <)
MINMAX(pminud, l, 4, <)
MINMAX(pmaxsb, sb, 16, >)
MINMAX(pmaxsd, sl, 4, >)
MINMAX(pmaxuw, w, 8, >)
MINMAX(pmaxud, l, 4, >)

/* PHMINPOSUW: minimum unsigned word in bits 15:0, its (lowest) index in
 * bits 18:16, everything above zero. */
static void phminposuw(struct cpu *c, const struct insn *in)
{
	union xmm t;
	const union xmm *s = xmm_rm(c, in, &t, 16, true);
	unsigned idx = 0;
	for (unsigned i = 1; i < 8; i++)
		if (s->w[i] < s->w[idx])
			idx = i;
	union xmm r = { 0 };
	r.w[0] = s->w[idx];
	r.w[1] = (uint16_t)idx;
	*xmm_reg(c, in) = r;
}

/* MPSADBW: eight sums of absolute differences of 4-byte groups.  imm[2]
 * selects the destination block (offset 0 or 4), imm[1:0] the source
 * dword. */
static void mpsadbw(struct cpu *c, const struct insn *in)
{
	union xmm t;
	const union xmm *s = xmm_rm(c, in, &t, 16, true);
	union xmm *d = xmm_reg(c, in), r;
	unsigned doff = (in->imm & 4) ? 4 : 0, soff = (in->imm & 3) * 4;
	for (unsigned i = 0; i < 8; i++) {
		unsigned sum = 0;
		for (unsigned k = 0; k < 4; k++) {
			int diff = (int)d->b[doff + i + k] - (int)s->b[soff + k];
			sum += (unsigned)(diff < 0 ? -diff : diff);
		}
		r.w[i] = (uint16_t)sum;
	}
	*d = r;
}

/* MOVNTDQA xmm, m128: a (non-temporal hint) aligned load. */
static void movntdqa(struct cpu *c, const struct insn *in)
{
	union xmm t;
	*xmm_reg(c, in) = *xmm_rm(c, in, &t, 16, true);
}

/* --- insert / extract -------------------------------------------------- */

/* PEXTRB/PEXTRW/PEXTRD/PEXTRQ/EXTRACTPS r/m, xmm, imm8.  aux = element
 * size; 4 becomes 8 with REX.W (PEXTRQ; EXTRACTPS ignores W).  A register
 * destination is zero-extended to 64 bits (SDM: "upper bits cleared"). */
static void pextr(struct cpu *c, const struct insn *in)
{
	unsigned es = in->aux & 15;
	if (es == 4 && !(in->aux & 0x80) && (in->prefix & PFX_REX_W))
		es = 8;
	const union xmm *x = xmm_reg(c, in);
	unsigned idx = (unsigned)in->imm & (16 / es - 1);
	uint64_t v = 0;
	memcpy(&v, &x->b[idx * es], es);
	if (in->mem)
		st_sz(c, insn_ea(c, in), v, es);
	else
		c->regs[in->rm] = v;
}

/* PINSRB/PINSRD/PINSRQ xmm, r/m, imm8 (a register source is r32/r64:
 * the low bytes of the GPR named by ModRM.rm, never AH..BH). */
static void pinsr(struct cpu *c, const struct insn *in)
{
	unsigned es = in->aux;
	if (es == 4 && (in->prefix & PFX_REX_W))
		es = 8;
	uint64_t v = in->mem ? ld_sz(c, insn_ea(c, in), es) : c->regs[in->rm];
	union xmm *d = xmm_reg(c, in);
	unsigned idx = (unsigned)in->imm & (16 / es - 1);
	memcpy(&d->b[idx * es], &v, es);
}

/* INSERTPS xmm1, xmm2/m32, imm8: imm[7:6] source element (register form
 * only), imm[5:4] destination element, imm[3:0] zero mask. */
static void insertps(struct cpu *c, const struct insn *in)
{
	unsigned imm = (unsigned)in->imm;
	uint32_t v;
	if (in->mem)
		v = ld32(c, insn_ea(c, in));
	else
		v = c->xmm[in->rm & 15].l[imm >> 6];
	union xmm *d = xmm_reg(c, in);
	d->l[(imm >> 4) & 3] = v;
	for (unsigned i = 0; i < 4; i++)
		if ((imm >> i) & 1)
			d->l[i] = 0;
}

#define SSE41 FEAT(FW_1_ECX, 19)
#define SSE42 FEAT(FW_1_ECX, 20)
#define RM F_MODRM
#define I8 F_IMM8U
#define E38(op, fn, aux) OPF(MAP_0F38, op, P_66, -1, M_ANY, 0, aux, SSE41, RM, fn)
#define E3A(op, fn, aux) OPF(MAP_0F3A, op, P_66, -1, M_ANY, 0, aux, SSE41, RM | I8, fn)

const struct opdesc ops_sse41[] = {
	E38(0x10, blendv, 1),
	E38(0x14, blendv, 4),
	E38(0x15, blendv, 8),
	E38(0x17, ptest, 0),
	E38(0x20, pmovsx, 0x21),
	E38(0x21, pmovsx, 0x41),
	E38(0x22, pmovsx, 0x81),
	E38(0x23, pmovsx, 0x42),
	E38(0x24, pmovsx, 0x82),
	E38(0x25, pmovsx, 0x84),
	E38(0x28, pmuldq, 0),
	E38(0x29, pcmpeqq, 0),
	OPF(MAP_0F38, 0x2a, P_66, -1, M_MEM, 0, 0, SSE41, RM, movntdqa),
	E38(0x2b, packusdw, 0),
	E38(0x30, pmovzx, 0x21),
	E38(0x31, pmovzx, 0x41),
	E38(0x32, pmovzx, 0x81),
	E38(0x33, pmovzx, 0x42),
	E38(0x34, pmovzx, 0x82),
	E38(0x35, pmovzx, 0x84),
	OPF(MAP_0F38, 0x37, P_66, -1, M_ANY, 0, 0, SSE42, RM, pcmpgtq),
	E38(0x38, pminsb, 0),
	E38(0x39, pminsd, 0),
	E38(0x3a, pminuw, 0),
	E38(0x3b, pminud, 0),
	E38(0x3c, pmaxsb, 0),
	E38(0x3d, pmaxsd, 0),
	E38(0x3e, pmaxuw, 0),
	E38(0x3f, pmaxud, 0),
	E38(0x40, pmulld, 0),
	E38(0x41, phminposuw, 0),
	E3A(0x0c, blend_imm, 4),
	E3A(0x0d, blend_imm, 8),
	E3A(0x0e, blend_imm, 2),
	E3A(0x14, pextr, 1),
	E3A(0x15, pextr, 2),
	E3A(0x16, pextr, 4),
	E3A(0x17, pextr, 0x84),
	E3A(0x20, pinsr, 1),
	E3A(0x21, insertps, 0),
	E3A(0x22, pinsr, 4),
	E3A(0x42, mpsadbw, 0),
	{ 0 },
};
