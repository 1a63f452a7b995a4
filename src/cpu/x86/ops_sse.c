/*
 * MMX/SSE/SSE2 data movement (Intel SDM vol. 2; opcode map vol. 2
 * appendix A, table A-3): MOVUPS..MOVSD, MOVAPS/APD, MOVLPS/HPS/LPD/HPD,
 * MOVHLPS/MOVLHPS, MOVD/MOVQ in all their forms, MOVDQA/MOVDQU, the
 * non-temporal stores, MASKMOVQ/MASKMOVDQU, MOVMSKPS/PD and EMMS.
 * Arithmetic is in ops_sse_int.c, ops_sse_fp.c and ops_sse_cvt.c.
 *
 * Every handler does its (possibly faulting) memory access before it
 * touches register state, including the x87 tag/TOP change of MMX
 * instructions (mmx_enter).
 */
#include "ops_sse.h"

/* --- full 128-bit moves ------------------------------------------------- */

/* MOVUPS/MOVUPD/MOVDQU (unaligned) and MOVAPS/MOVAPD/MOVDQA (aligned):
 * aux = 1 when the 16-byte alignment check applies. */
static void movx_rr(struct cpu *c, const struct insn *in)
{
	c->xmm[in->reg & 15] = c->xmm[in->rm & 15];
}
static void movu_load(struct cpu *c, const struct insn *in)
{
	sse_reg_set(c, in, _mm_loadu_si128((const __m128i *)cpu_mem(c, insn_ea(c, in), 16, 0)));
}
static void mova_load(struct cpu *c, const struct insn *in)
{
	sse_reg_set(c, in, sse_mem128(c, in, true));
}
static void movx_rr_store(struct cpu *c, const struct insn *in)
{
	c->xmm[in->rm & 15] = c->xmm[in->reg & 15];
}
static void movu_store(struct cpu *c, const struct insn *in)
{
	void *p = cpu_mem(c, insn_ea(c, in), 16, 1);
	_mm_storeu_si128((__m128i *)p, sse_reg(c, in));
	cpu_mem_done(c, p);
}
/* Also MOVNTPS/MOVNTPD/MOVNTDQ: the non-temporal hint is meaningless
 * here, the alignment requirement is not. */
static void mova_store(struct cpu *c, const struct insn *in)
{
	sse_store128(c, in, sse_reg(c, in), true);
}

/* --- scalar moves ------------------------------------------------------- */

/* MOVSS/MOVSD xmm, xmm/m: a register source merges the low element, a
 * memory source zero-extends (SDM vol. 2 MOVSS/MOVSD). */
static void movss_load(struct cpu *c, const struct insn *in)
{
	union xmm *d = xmm_reg(c, in);
	if (in->mem) {
		uint32_t v = ld32(c, insn_ea(c, in));
		memset(d, 0, sizeof(*d));
		d->l[0] = v;
	} else {
		d->l[0] = c->xmm[in->rm & 15].l[0];
	}
}
static void movsd_load(struct cpu *c, const struct insn *in)
{
	union xmm *d = xmm_reg(c, in);
	if (in->mem) {
		uint64_t v = ld64(c, insn_ea(c, in));
		d->q[0] = v;
		d->q[1] = 0;
	} else {
		d->q[0] = c->xmm[in->rm & 15].q[0];
	}
}
static void movss_store(struct cpu *c, const struct insn *in)
{
	uint32_t v = xmm_reg(c, in)->l[0];
	if (in->mem)
		st32(c, insn_ea(c, in), v);
	else
		c->xmm[in->rm & 15].l[0] = v;
}
static void movsd_store(struct cpu *c, const struct insn *in)
{
	uint64_t v = xmm_reg(c, in)->q[0];
	if (in->mem)
		st64(c, insn_ea(c, in), v);
	else
		c->xmm[in->rm & 15].q[0] = v;
}

/* --- half moves ---------------------------------------------------------- */

/* MOVLPS/MOVLPD xmm, m64 (aux 0) and MOVHPS/MOVHPD xmm, m64 (aux 1). */
static void movhl_load(struct cpu *c, const struct insn *in)
{
	uint64_t v = ld64(c, insn_ea(c, in));
	xmm_reg(c, in)->q[in->aux] = v;
}
/* MOVLPS/MOVLPD m64, xmm (aux 0) and MOVHPS/MOVHPD m64, xmm (aux 1). */
static void movhl_store(struct cpu *c, const struct insn *in)
{
	st64(c, insn_ea(c, in), xmm_reg(c, in)->q[in->aux]);
}
/* MOVHLPS xmm1, xmm2: low half of xmm1 = high half of xmm2. */
static void movhlps(struct cpu *c, const struct insn *in)
{
	xmm_reg(c, in)->q[0] = c->xmm[in->rm & 15].q[1];
}
/* MOVLHPS xmm1, xmm2: high half of xmm1 = low half of xmm2. */
static void movlhps(struct cpu *c, const struct insn *in)
{
	xmm_reg(c, in)->q[1] = c->xmm[in->rm & 15].q[0];
}

/* --- MOVD / MOVQ ---------------------------------------------------------- */

/* 0F 6E: MOVD/MOVQ mm, r/m32/64 (opsize 4 or 8 by REX.W). */
static void movd_mm_rm(struct cpu *c, const struct insn *in)
{
	uint64_t v = op_rm_sz(c, in, in->opsize);
	mmx_enter(c);
	mmx_set(c, in->reg, v);
}
/* 66 0F 6E: MOVD/MOVQ xmm, r/m32/64 (zero-extended to 128 bits). */
static void movd_xmm_rm(struct cpu *c, const struct insn *in)
{
	uint64_t v = op_rm_sz(c, in, in->opsize);
	union xmm *d = xmm_reg(c, in);
	d->q[0] = v;
	d->q[1] = 0;
}
/* 0F 7E: MOVD/MOVQ r/m32/64, mm. */
static void movd_rm_mm(struct cpu *c, const struct insn *in)
{
	op_rm_set_sz(c, in, mmx_get(c, in->reg), in->opsize);
	mmx_enter(c);
}
/* 66 0F 7E: MOVD/MOVQ r/m32/64, xmm. */
static void movd_rm_xmm(struct cpu *c, const struct insn *in)
{
	op_rm_set_sz(c, in, xmm_reg(c, in)->q[0], in->opsize);
}
/* F3 0F 7E: MOVQ xmm, xmm/m64 (zero-extends). */
static void movq_xmm_load(struct cpu *c, const struct insn *in)
{
	uint64_t v = in->mem ? ld64(c, insn_ea(c, in)) : c->xmm[in->rm & 15].q[0];
	union xmm *d = xmm_reg(c, in);
	d->q[0] = v;
	d->q[1] = 0;
}
/* 66 0F D6: MOVQ xmm/m64, xmm (a register destination is zero-extended). */
static void movq_xmm_store(struct cpu *c, const struct insn *in)
{
	uint64_t v = xmm_reg(c, in)->q[0];
	if (in->mem) {
		st64(c, insn_ea(c, in), v);
	} else {
		c->xmm[in->rm & 15].q[0] = v;
		c->xmm[in->rm & 15].q[1] = 0;
	}
}
/* 0F 6F: MOVQ mm, mm/m64. */
static void movq_mm_load(struct cpu *c, const struct insn *in)
{
	uint64_t v = mmx_rm(c, in);
	mmx_enter(c);
	mmx_set(c, in->reg, v);
}
/* 0F 7F: MOVQ mm/m64, mm; 0F E7: MOVNTQ m64, mm. */
static void movq_mm_store(struct cpu *c, const struct insn *in)
{
	uint64_t v = mmx_get(c, in->reg);
	if (in->mem) {
		st64(c, insn_ea(c, in), v);
		mmx_enter(c);
	} else {
		mmx_enter(c);
		mmx_set(c, in->rm, v);
	}
}
/* F3 0F D6: MOVQ2DQ xmm, mm. */
static void movq2dq(struct cpu *c, const struct insn *in)
{
	mmx_enter(c);
	union xmm *d = xmm_reg(c, in);
	d->q[0] = mmx_get(c, in->rm);
	d->q[1] = 0;
}
/* F2 0F D6: MOVDQ2Q mm, xmm. */
static void movdq2q(struct cpu *c, const struct insn *in)
{
	mmx_enter(c);
	mmx_set(c, in->reg, c->xmm[in->rm & 15].q[0]);
}

/* 0F C3: MOVNTI m32/m64, r32/r64. */
static void movnti(struct cpu *c, const struct insn *in)
{
	st_sz(c, insn_ea(c, in), get_reg(c, in->reg, in->opsize), in->opsize);
}

/* --- masks ---------------------------------------------------------------- */

/* MOVMSKPS / MOVMSKPD r32, xmm: sign bits, zero-extended into the GPR. */
static void movmskps(struct cpu *c, const struct insn *in)
{
	c->regs[in->reg] =
	        (uint32_t)_mm_movemask_ps(_mm_castsi128_ps(sse_vget(&c->xmm[in->rm & 15])));
}
static void movmskpd(struct cpu *c, const struct insn *in)
{
	c->regs[in->reg] =
	        (uint32_t)_mm_movemask_pd(_mm_castsi128_pd(sse_vget(&c->xmm[in->rm & 15])));
}

/* Probe one byte for writing without changing it (a locked add of 0 is
 * safe against other threads writing the same byte). */
static void maskmov_probe(struct cpu *c, uint64_t lin)
{
	void *p = cpu_mem(c, lin, 1, CPU_MEM_RMW);
	__atomic_fetch_add((uint8_t *)p, 0, __ATOMIC_RELAXED);
	cpu_mem_done(c, p);
}

/* MASKMOVQ mm1, mm2 / MASKMOVDQU xmm1, xmm2: store the bytes of the first
 * operand whose mask byte (second operand) has its top bit set to
 * DS:rDI (segment overridable, address-size masked).  Whether bytes with
 * a clear mask can fault is implementation dependent (SDM vol. 2
 * MASKMOVDQU); the hosts we compare with check the whole operand, so
 * probe its first byte and the first byte of a second page it reaches,
 * which also reports the fault address the hardware reports. */
static void maskmov_bytes(struct cpu *c, const struct insn *in, const uint8_t *data,
                          const uint8_t *mask, unsigned n)
{
	uint64_t off = c->regs[R_RDI] & in->amask;
	uint64_t lin = seg_lin(c, in->seg, off);
	maskmov_probe(c, lin);
	if ((lin & 4095) + n > 4096)
		maskmov_probe(c, (lin | 4095) + 1);
	for (unsigned i = 0; i < n; i++)
		if (mask[i] & 0x80)
			st8(c, seg_lin(c, in->seg, (off + i) & in->amask), data[i]);
}
static void maskmovq(struct cpu *c, const struct insn *in)
{
	uint64_t d = mmx_get(c, in->reg), m = mmx_get(c, in->rm);
	maskmov_bytes(c, in, (const uint8_t *)&d, (const uint8_t *)&m, 8);
	mmx_enter(c);
}
static void maskmovdqu(struct cpu *c, const struct insn *in)
{
	union xmm d = c->xmm[in->reg & 15], m = c->xmm[in->rm & 15];
	maskmov_bytes(c, in, d.b, m.b, 16);
}

/* EMMS: every x87 register empty (SDM vol. 2 EMMS); like every MMX
 * instruction it also sets TOP to 0 (observed on hardware). */
static void emms(struct cpu *c, const struct insn *in)
{
	(void)in;
	c->ftag = 0;
	c->ftop = 0;
}

/*
 * F2/F3 on an opcode that has a 66 form but no F2/F3 form is #UD, even
 * when 66 is present too (66 F2 0F FC is #UD on hardware, not PADDB): the
 * decoder falls back from F2/F3 to the 66 entry, so these entries stop it.
 */
#define UD_F2(op) OPF(M0F, op, P_F2, -1, M_ANY, 0, 0, 0, RM, op_ud)
#define UD_F3(op) OPF(M0F, op, P_F3, -1, M_ANY, 0, 0, 0, RM, op_ud)
#define UD_REP(op) UD_F2(op), UD_F3(op)
#define UD_REP4(op) UD_REP(op), UD_REP(op + 1), UD_REP(op + 2), UD_REP(op + 3)

const struct opdesc ops_sse[] = {
	UD_REP(0x13),
	UD_REP(0x14),
	UD_REP(0x15),
	UD_REP(0x17),
	UD_REP(0x28),
	UD_REP(0x29),
	UD_REP(0x2b),
	UD_REP(0x2e),
	UD_REP(0x2f),
	UD_REP(0x50),
	UD_REP4(0x54),
	UD_F2(0x5b),
	UD_REP4(0x60),
	UD_REP4(0x64),
	UD_REP4(0x68),
	UD_REP(0x6c),
	UD_REP(0x6d),
	UD_REP(0x6e),
	UD_F2(0x6f),
	UD_REP(0x71),
	UD_REP(0x72),
	UD_REP(0x73),
	UD_REP(0x74),
	UD_REP(0x75),
	UD_REP(0x76),
	UD_F2(0x7e),
	UD_F2(0x7f),
	UD_REP(0xc4),
	UD_REP(0xc5),
	UD_REP(0xc6),
	UD_REP(0xd1),
	UD_REP(0xd2),
	UD_REP(0xd3),
	UD_REP(0xd4),
	UD_REP(0xd5),
	UD_REP(0xd7),
	UD_REP4(0xd8),
	UD_REP4(0xdc),
	UD_REP4(0xe0),
	UD_REP(0xe4),
	UD_REP(0xe5),
	UD_REP(0xe7),
	UD_REP4(0xe8),
	UD_REP4(0xec),
	UD_REP4(0xf1),
	UD_REP(0xf5),
	UD_REP(0xf6),
	UD_REP(0xf7),
	UD_REP4(0xf8),
	UD_REP(0xfc),
	UD_REP(0xfd),
	UD_REP(0xfe),

	/* 0F 10/11: MOVUPS, MOVUPD, MOVSS, MOVSD */
	SSE_OPR(0x10, P_NONE, FEAT_SSE, 0, movx_rr),
	SSE_OPM(0x10, P_NONE, FEAT_SSE, 0, movu_load),
	SSE_OPR(0x10, P_66, FEAT_SSE2, 0, movx_rr),
	SSE_OPM(0x10, P_66, FEAT_SSE2, 0, movu_load),
	SSE_OP(0x10, P_F3, FEAT_SSE, 0, movss_load),
	SSE_OP(0x10, P_F2, FEAT_SSE2, 0, movsd_load),
	SSE_OPR(0x11, P_NONE, FEAT_SSE, 0, movx_rr_store),
	SSE_OPM(0x11, P_NONE, FEAT_SSE, 0, movu_store),
	SSE_OPR(0x11, P_66, FEAT_SSE2, 0, movx_rr_store),
	SSE_OPM(0x11, P_66, FEAT_SSE2, 0, movu_store),
	SSE_OP(0x11, P_F3, FEAT_SSE, 0, movss_store),
	SSE_OP(0x11, P_F2, FEAT_SSE2, 0, movsd_store),
	/* 0F 12/13/16/17: MOVLPS/MOVHLPS, MOVLPD, MOVHPS/MOVLHPS, MOVHPD */
	OPF(M0F, 0x12, P_NONE, -1, M_MEM, 0, 0, FEAT_SSE, RM, movhl_load),
	OPF(M0F, 0x12, P_NONE, -1, M_REG, 0, 0, FEAT_SSE, RM, movhlps),
	OPF(M0F, 0x12, P_66, -1, M_MEM, 0, 0, FEAT_SSE2, RM, movhl_load),
	OPF(M0F, 0x13, P_NONE, -1, M_MEM, 0, 0, FEAT_SSE, RM, movhl_store),
	OPF(M0F, 0x13, P_66, -1, M_MEM, 0, 0, FEAT_SSE2, RM, movhl_store),
	OPF(M0F, 0x16, P_NONE, -1, M_MEM, 0, 1, FEAT_SSE, RM, movhl_load),
	OPF(M0F, 0x16, P_NONE, -1, M_REG, 0, 0, FEAT_SSE, RM, movlhps),
	OPF(M0F, 0x16, P_66, -1, M_MEM, 0, 1, FEAT_SSE2, RM, movhl_load),
	OPF(M0F, 0x17, P_NONE, -1, M_MEM, 0, 1, FEAT_SSE, RM, movhl_store),
	OPF(M0F, 0x17, P_66, -1, M_MEM, 0, 1, FEAT_SSE2, RM, movhl_store),
	/* 0F 28/29: MOVAPS, MOVAPD; 0F 2B: MOVNTPS, MOVNTPD */
	SSE_OPR(0x28, P_NONE, FEAT_SSE, 0, movx_rr),
	SSE_OPM(0x28, P_NONE, FEAT_SSE, 0, mova_load),
	SSE_OPR(0x28, P_66, FEAT_SSE2, 0, movx_rr),
	SSE_OPM(0x28, P_66, FEAT_SSE2, 0, mova_load),
	SSE_OPR(0x29, P_NONE, FEAT_SSE, 0, movx_rr_store),
	SSE_OPM(0x29, P_NONE, FEAT_SSE, 0, mova_store),
	SSE_OPR(0x29, P_66, FEAT_SSE2, 0, movx_rr_store),
	SSE_OPM(0x29, P_66, FEAT_SSE2, 0, mova_store),
	SSE_OPM(0x2b, P_NONE, FEAT_SSE, 0, mova_store),
	SSE_OPM(0x2b, P_66, FEAT_SSE2, 0, mova_store),
	/* 0F 50: MOVMSKPS, MOVMSKPD */
	SSE_OPR(0x50, P_NONE, FEAT_SSE, 0, movmskps),
	SSE_OPR(0x50, P_66, FEAT_SSE2, 0, movmskpd),
	/* 0F 6E/7E: MOVD/MOVQ; F3 0F 7E: MOVQ xmm, xmm/m64 */
	SSE_OP(0x6e, P_NONE, FEAT_MMX, F_SIZE32, movd_mm_rm),
	SSE_OP(0x6e, P_66, FEAT_SSE2, F_SIZE32, movd_xmm_rm),
	SSE_OP(0x7e, P_NONE, FEAT_MMX, F_SIZE32, movd_rm_mm),
	SSE_OP(0x7e, P_66, FEAT_SSE2, F_SIZE32, movd_rm_xmm),
	SSE_OP(0x7e, P_F3, FEAT_SSE2, 0, movq_xmm_load),
	/* 0F 6F/7F: MOVQ mm; MOVDQA; MOVDQU */
	SSE_OP(0x6f, P_NONE, FEAT_MMX, 0, movq_mm_load),
	SSE_OPR(0x6f, P_66, FEAT_SSE2, 0, movx_rr),
	SSE_OPM(0x6f, P_66, FEAT_SSE2, 0, mova_load),
	SSE_OPR(0x6f, P_F3, FEAT_SSE2, 0, movx_rr),
	SSE_OPM(0x6f, P_F3, FEAT_SSE2, 0, movu_load),
	SSE_OP(0x7f, P_NONE, FEAT_MMX, 0, movq_mm_store),
	SSE_OPR(0x7f, P_66, FEAT_SSE2, 0, movx_rr_store),
	SSE_OPM(0x7f, P_66, FEAT_SSE2, 0, mova_store),
	SSE_OPR(0x7f, P_F3, FEAT_SSE2, 0, movx_rr_store),
	SSE_OPM(0x7f, P_F3, FEAT_SSE2, 0, movu_store),
	/* 0F 77: EMMS */
	OPF(M0F, 0x77, P_NONE, -1, M_ANY, 0, 0, FEAT_MMX, 0, emms),
	/* 0F C3: MOVNTI */
	SSE_OPM(0xc3, P_NONE, FEAT_SSE2, F_SIZE32, movnti),
	/* 0F D6: MOVQ xmm/m64, xmm; MOVQ2DQ; MOVDQ2Q */
	SSE_OP(0xd6, P_66, FEAT_SSE2, 0, movq_xmm_store),
	SSE_OPR(0xd6, P_F3, FEAT_SSE2, 0, movq2dq),
	SSE_OPR(0xd6, P_F2, FEAT_SSE2, 0, movdq2q),
	/* 0F E7: MOVNTQ, MOVNTDQ */
	SSE_OPM(0xe7, P_NONE, FEAT_SSE, 0, movq_mm_store),
	SSE_OPM(0xe7, P_66, FEAT_SSE2, 0, mova_store),
	/* 0F F7: MASKMOVQ, MASKMOVDQU */
	SSE_OPR(0xf7, P_NONE, FEAT_SSE, 0, maskmovq),
	SSE_OPR(0xf7, P_66, FEAT_SSE2, 0, maskmovdqu),
	{ 0 },
};
