/*
 * x87 FPU: escape opcodes D8-DF and FWAIT (Intel SDM vol. 1 ch. 8, vol. 2,
 * opcode map vol. 2 appendix A.4).  This file has the shared helpers,
 * loads and stores, stack and control instructions, and the opcode table;
 * arithmetic is in ops_x87_arith.c, FXSAVE/XSAVE in ops_x87_state.c, the
 * host execution engine in ops_x87_host.c (see fpu.h).
 */
#include "decode.h"
#include "fpu.h"
#include "ops.h"

/* --- helpers ------------------------------------------------------- */

void fpu_wait_check(struct cpu *c)
{
	if (unlikely(c->cr0 & (CR0_EM | CR0_TS)))
		cpu_raise(c, EXC_NM, 0);
	if (unlikely(c->fsw & FSW_ES))
		cpu_raise(c, EXC_MF, 0);
}

/* A non-control instruction left an unmasked exception pending (ES was
 * clear on entry, or it would have raised #MF): record FOP and FDP. */
void fpu_exc_note(struct cpu *c)
{
	const struct insn *in = c->cur;
	if (!in)
		return;
	c->fop = (uint16_t)(((in->op & 7) << 8) | in->modrm);
	if (in->mem)
		c->fdp = insn_ea_off(c, in);
}

bool fpu_stack_fault(struct cpu *c, bool overflow)
{
	c->fsw = (uint16_t)((c->fsw & ~FSW_C1) | FSW_IE | FSW_SF | (overflow ? FSW_C1 : 0));
	fpu_fix_es(c);
	if (c->fsw & FSW_ES)
		fpu_exc_note(c);
	return c->fcw & FSW_IE;
}

void fpu_push_checked(struct cpu *c, const union fpreg *v)
{
	if (fpu_valid(c, 7)) {
		if (fpu_stack_fault(c, true))
			fpu_push(c, &fpu_indefinite);
		return;
	}
	c->fsw &= (uint16_t)~FSW_C1;
	fpu_push(c, v);
}

/* Non-control instructions that take no operand and only need the
 * pending-exception check (FNOP, and the 8087/287 FENI/FDISI/FSETPM,
 * which later processors execute as FNOP). */
static void x87_nop(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	fpu_note(c, in);
}
static void x87_nop_nowait(struct cpu *c, const struct insn *in)
{
	(void)c;
	(void)in;
}

/* --- loads ----------------------------------------------------------- */

/* FLD m32fp/m64fp (aux = HOP_LD_M32/M64), FBLD (HOP_BLD): the host
 * converts, raising #IA for SNaN and #D for denormals as hardware does. */
static void x87_ld_host(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	unsigned n = in->aux == HOP_LD_M32 ? 4 : in->aux == HOP_LD_M64 ? 8 : 10;
	uint8_t m[16] = { 0 };
	fpu_mem_read(c, insn_ea(c, in), m, n);
	fpu_note(c, in);
	if (fpu_valid(c, 7)) {
		if (fpu_stack_fault(c, true))
			fpu_push(c, &fpu_indefinite);
		return;
	}
	struct fhost o;
	fpu_host(in->aux, c->fcw, NULL, NULL, m, &o);
	fpu_status(c, o.sw1 & (uint16_t)~FSW_C1, FSW_C1);
	/* An unmasked #IA (SNaN) suppresses the load, an unmasked #D does
	 * not: whether the host pushed is the answer. */
	if (fhost_pops(&o) == -1)
		fpu_push(c, &o.r0);
}

static void x87_ld_m80(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	union fpreg v;
	memset(&v, 0, sizeof(v));
	fpu_mem_read(c, insn_ea(c, in), v.raw, 10);
	fpu_note(c, in);
	fpu_push_checked(c, &v);
}

/* FILD m16/m32/m64 (aux = size): always exact. */
static void x87_ild(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	uint64_t ea = insn_ea(c, in);
	int64_t v = in->aux == 2 ? (int16_t)ld16(c, ea) : in->aux == 4 ? (int32_t)ld32(c, ea)
									 : (int64_t)ld64(c, ea);
	fpu_note(c, in);
	union fpreg r;
	memset(&r, 0, sizeof(r));
	if (v) {
		uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
		int lz = __builtin_clzll(mag);
		r.x.mant = mag << lz;
		r.x.exp = (uint16_t)((16383 + 63 - lz) | (v < 0 ? 0x8000 : 0));
	}
	fpu_push_checked(c, &r);
}

static void x87_ld_st(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	fpu_note(c, in);
	unsigned i = in->modrm & 7;
	if (!fpu_valid(c, i)) {
		if (fpu_stack_fault(c, false))
			fpu_push(c, &fpu_indefinite);
		return;
	}
	union fpreg v = *fpu_st(c, i);
	fpu_push_checked(c, &v);
}

/* FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ (aux = hop): the
 * host rounds the internal constant by RC. */
static void x87_ld_const(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	fpu_note(c, in);
	struct fhost o;
	fpu_host(in->aux, c->fcw, NULL, NULL, NULL, &o);
	fpu_push_checked(c, &o.r0);
}

/* --- stores ---------------------------------------------------------- */

/* FST/FSTP m32/m64, FIST/FISTP, FISTTP, FBSTP.  aux = hop | 0x80 when the
 * guest form pops.  The host runs the popping form on a copy of the old
 * memory bytes: whether it stored and whether it popped (it does neither
 * on an unmasked #IA/#O/#U) is the hardware's answer. */
static void x87_st_host(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	unsigned hop = in->aux & 0x7f;
	bool pop = in->aux & 0x80;
	unsigned n;
	switch (hop) {
	case HOP_STP_M32: case HOP_ISTP32: case HOP_ISTTP32: n = 4; break;
	case HOP_STP_M64: case HOP_ISTP64: case HOP_ISTTP64: n = 8; break;
	case HOP_ISTP16: case HOP_ISTTP16: n = 2; break;
	default: n = 10; break;
	}
	uint64_t ea = insn_ea(c, in);
	uint8_t m[16] = { 0 };
	fpu_mem_read(c, ea, m, n);
	fpu_note(c, in);
	struct fhost o;
	if (!fpu_valid(c, 0)) {
		if (!(c->fcw & FSW_IE)) {
			fpu_stack_fault(c, false);
			return;
		}
		/* Masked underflow stores the indefinite of the format. */
		fpu_host(hop, c->fcw | FCW_MASKS, &fpu_indefinite, NULL, m, &o);
		fpu_mem_write(c, ea, m, n);
		fpu_stack_fault(c, false);
		if (pop)
			fpu_pop(c);
		return;
	}
	fpu_host(hop, c->fcw, fpu_st(c, 0), NULL, m, &o);
	fpu_mem_write(c, ea, m, n);
	fpu_status(c, o.sw1, FSW_C1);
	if (pop && fhost_pops(&o) == 1)
		fpu_pop(c);
}

/* FSTP m80 */
static void x87_stp_m80(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	uint64_t ea = insn_ea(c, in);
	fpu_note(c, in);
	if (!fpu_valid(c, 0)) {
		if (!(c->fcw & FSW_IE)) {
			fpu_stack_fault(c, false);
			return;
		}
		fpu_mem_write(c, ea, fpu_indefinite.raw, 10);
		fpu_stack_fault(c, false);
		fpu_pop(c);
		return;
	}
	fpu_mem_write(c, ea, fpu_st(c, 0)->raw, 10);
	c->fsw &= (uint16_t)~FSW_C1;
	fpu_pop(c);
}

/* FST/FSTP ST(i) (aux = 1 to pop, 2 for the undocumented D9 D8+i alias,
 * which with an empty ST(0) just pops, without a stack fault, as the
 * host does; DF D0+i/D8+i are plain FSTP aliases). */
static void x87_st_st(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	fpu_note(c, in);
	unsigned i = in->modrm & 7;
	if (!fpu_valid(c, 0) && in->aux == 2) {
		c->fsw &= (uint16_t)~FSW_C1;
		fpu_pop(c);
		return;
	}
	if (!fpu_valid(c, 0)) {
		if (fpu_stack_fault(c, false)) {
			fpu_write(c, i, &fpu_indefinite);
			if (in->aux)
				fpu_pop(c);
		}
		return;
	}
	c->fsw &= (uint16_t)~FSW_C1;
	union fpreg v = *fpu_st(c, 0);
	fpu_write(c, i, &v);
	if (in->aux)
		fpu_pop(c);
}

/* --- stack manipulation --------------------------------------------- */

static void x87_fxch(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	fpu_note(c, in);
	unsigned i = in->modrm & 7;
	if (!fpu_valid(c, 0) || !fpu_valid(c, i)) {
		if (!fpu_stack_fault(c, false))
			return;
		if (!fpu_valid(c, 0))
			fpu_write(c, 0, &fpu_indefinite);
		if (!fpu_valid(c, i))
			fpu_write(c, i, &fpu_indefinite);
	} else {
		c->fsw &= (uint16_t)~FSW_C1;
	}
	union fpreg a = *fpu_st(c, 0), b = *fpu_st(c, i);
	fpu_write(c, 0, &b);
	fpu_write(c, i, &a);
}

/* FCHS (aux 0), FABS (aux 1): sign bit only, no exception for NaNs. */
static void x87_sign(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	fpu_note(c, in);
	if (!fpu_valid(c, 0)) {
		if (fpu_stack_fault(c, false))
			fpu_write(c, 0, &fpu_indefinite);
		return;
	}
	c->fsw &= (uint16_t)~FSW_C1;
	union fpreg *r = fpu_st(c, 0);
	if (in->aux)
		r->x.exp &= 0x7fff;
	else
		r->x.exp ^= 0x8000;
}

/* FDECSTP (aux 0) / FINCSTP (aux 1): TOP only, tags unchanged. */
static void x87_stp_adj(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	fpu_note(c, in);
	c->fsw &= (uint16_t)~FSW_C1;
	c->ftop = (c->ftop + (in->aux ? 1 : 7)) & 7;
}

/* FFREE ST(i) (aux 0), FFREEP ST(i) (DF C0+i, aux 1). */
static void x87_ffree(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	fpu_note(c, in);
	c->fsw &= (uint16_t)~FSW_C1;
	c->ftag &= (uint8_t) ~(1u << fpu_phys(c, in->modrm & 7));
	if (in->aux)
		fpu_pop(c);
}

/* --- control ----------------------------------------------------------- */

static void x87_fninit(struct cpu *c, const struct insn *in)
{
	(void)in;
	if (unlikely(c->cr0 & (CR0_EM | CR0_TS)))
		cpu_raise(c, EXC_NM, 0);
	c->fcw = 0x37f;
	c->fsw = 0;
	c->ftop = 0;
	c->ftag = 0;
	c->fop = 0;
	c->fip = c->fdp = 0;
}

static void x87_fnclex(struct cpu *c, const struct insn *in)
{
	(void)in;
	if (unlikely(c->cr0 & (CR0_EM | CR0_TS)))
		cpu_raise(c, EXC_NM, 0);
	c->fsw &= (uint16_t) ~(FSW_EXC | FSW_SF | FSW_ES | FSW_B);
}

static void x87_fldcw(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	c->fcw = fpu_fcw_fix(ld16(c, insn_ea(c, in)));
	fpu_fix_es(c);
}

static void x87_fnstcw(struct cpu *c, const struct insn *in)
{
	if (unlikely(c->cr0 & (CR0_EM | CR0_TS)))
		cpu_raise(c, EXC_NM, 0);
	st16(c, insn_ea(c, in), c->fcw);
}

/* FNSTSW m16 (DD /7) and FNSTSW AX (DF E0). */
static void x87_fnstsw(struct cpu *c, const struct insn *in)
{
	if (unlikely(c->cr0 & (CR0_EM | CR0_TS)))
		cpu_raise(c, EXC_NM, 0);
	if (in->mem)
		st16(c, insn_ea(c, in), fpu_get_fsw(c));
	else
		set_reg(c, R_RAX, fpu_get_fsw(c), 2);
}

static bool env_prot(struct cpu *c)
{
	return (c->cr0 & 1) && !(c->eflags & FL_VM);
}

/* FNSTENV: store, then mask every exception (SDM vol. 2 FSTENV). */
static void x87_fnstenv(struct cpu *c, const struct insn *in)
{
	if (unlikely(c->cr0 & (CR0_EM | CR0_TS)))
		cpu_raise(c, EXC_NM, 0);
	bool s32 = in->opsize != 2;
	uint8_t img[28];
	fpu_env_image(c, img, s32, env_prot(c));
	fpu_mem_write(c, insn_ea(c, in), img, s32 ? 28 : 14);
	c->fcw |= FCW_MASKS;
	fpu_fix_es(c);
}

static void x87_fldenv(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	bool s32 = in->opsize != 2;
	uint8_t img[28];
	fpu_mem_read(c, insn_ea(c, in), img, s32 ? 28 : 14);
	fpu_env_load(c, img, s32, env_prot(c));
}

/* FNSAVE: environment, ST(0)..ST(7), then FNINIT. */
static void x87_fnsave(struct cpu *c, const struct insn *in)
{
	if (unlikely(c->cr0 & (CR0_EM | CR0_TS)))
		cpu_raise(c, EXC_NM, 0);
	bool s32 = in->opsize != 2;
	unsigned env = s32 ? 28 : 14;
	uint8_t img[108];
	fpu_env_image(c, img, s32, env_prot(c));
	for (unsigned i = 0; i < 8; i++)
		memcpy(img + env + 10 * i, fpu_st(c, i)->raw, 10);
	fpu_mem_write(c, insn_ea(c, in), img, env + 80);
	x87_fninit(c, in);
}

static void x87_frstor(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	bool s32 = in->opsize != 2;
	unsigned env = s32 ? 28 : 14;
	uint8_t img[108];
	fpu_mem_read(c, insn_ea(c, in), img, env + 80);
	fpu_env_load(c, img, s32, env_prot(c));
	for (unsigned i = 0; i < 8; i++) {
		union fpreg *r = fpu_st(c, i);
		memcpy(r->raw, img + env + 10 * i, 10);
		memset(r->raw + 10, 0, 6);
	}
}

/* 9B: FWAIT -- #NM only when both CR0.MP and CR0.TS are set. */
static void x87_fwait(struct cpu *c, const struct insn *in)
{
	(void)in;
	if (unlikely((c->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS)))
		cpu_raise(c, EXC_NM, 0);
	if (unlikely(c->fsw & FSW_ES))
		cpu_raise(c, EXC_MF, 0);
}

/* --- opcode table ----------------------------------------------------- */

#define M1 MAP_1B
#define M0F MAP_0F
#define RM F_MODRM
#define SSE3 FEAT(FW_1_ECX, 0)
/* memory form: opcode, /ext, handler, aux */
#define XM(op, ext, fn, aux) OPF(M1, op, P_ANY, ext, M_MEM, 0, aux, 0, RM, fn)
#define XMF(op, ext, fn, aux, feat) OPF(M1, op, P_ANY, ext, M_MEM, 0, aux, feat, RM, fn)
/* register form, any ST(i) */
#define XR(op, ext, fn, aux) OPF(M1, op, P_ANY, ext, M_REG, 0, aux, 0, RM, fn)
/* register form with a fixed rm */
#define XRR(op, ext, rm, fn, aux) OPF(M1, op, P_ANY, ext, M_RM0, rm, aux, 0, RM, fn)
#define POP 0x80
/* the arithmetic rows: D8 (m32fp), DC (m64fp), DA (m32int), DE (m16int) */
#define XARITH_M(op, base)                                                     \
	XM(op, 0, x87_arith_m, base + 0), XM(op, 1, x87_arith_m, base + 1),      \
	XM(op, 2, x87_com_m, base + 2), XM(op, 3, x87_com_m, (base + 2) | POP),  \
	XM(op, 4, x87_arith_m, base + 4), XM(op, 5, x87_arith_m, base + 5),      \
	XM(op, 6, x87_arith_m, base + 6), XM(op, 7, x87_arith_m, base + 7)
/* register arithmetic, aux = host k | form << 3 */
#define XARITH_R(op, form, sw)                                                  \
	XR(op, 0, x87_arith_r, 0 | form << 3), XR(op, 1, x87_arith_r, 1 | form << 3), \
	XR(op, 4, x87_arith_r, (4 ^ sw) | form << 3), XR(op, 5, x87_arith_r, (5 ^ sw) | form << 3), \
	XR(op, 6, x87_arith_r, (6 ^ sw) | form << 3), XR(op, 7, x87_arith_r, (7 ^ sw) | form << 3)

const struct opdesc ops_x87[] = {
	/* D8 */
	XARITH_M(0xd8, HOP_M32),
	XARITH_R(0xd8, 0, 0),
	XR(0xd8, 2, x87_com_r, HOP_R + 2),
	XR(0xd8, 3, x87_com_r, (HOP_R + 2) | POP),

	/* D9 */
	XM(0xd9, 0, x87_ld_host, HOP_LD_M32),
	XM(0xd9, 2, x87_st_host, HOP_STP_M32),
	XM(0xd9, 3, x87_st_host, HOP_STP_M32 | POP),
	XM(0xd9, 4, x87_fldenv, 0),
	XM(0xd9, 5, x87_fldcw, 0),
	XM(0xd9, 6, x87_fnstenv, 0),
	XM(0xd9, 7, x87_fnstcw, 0),
	XR(0xd9, 0, x87_ld_st, 0),
	XR(0xd9, 1, x87_fxch, 0),
	XRR(0xd9, 2, 0, x87_nop, 0),          /* FNOP */
	XR(0xd9, 3, x87_st_st, 2),            /* FSTP1 alias */
	XRR(0xd9, 4, 0, x87_sign, 0),         /* FCHS */
	XRR(0xd9, 4, 1, x87_sign, 1),         /* FABS */
	XRR(0xd9, 4, 4, x87_tst, 0),
	XRR(0xd9, 4, 5, x87_xam, 0),
	XRR(0xd9, 5, 0, x87_ld_const, HOP_LD1),
	XRR(0xd9, 5, 1, x87_ld_const, HOP_LDL2T),
	XRR(0xd9, 5, 2, x87_ld_const, HOP_LDL2E),
	XRR(0xd9, 5, 3, x87_ld_const, HOP_LDPI),
	XRR(0xd9, 5, 4, x87_ld_const, HOP_LDLG2),
	XRR(0xd9, 5, 5, x87_ld_const, HOP_LDLN2),
	XRR(0xd9, 5, 6, x87_ld_const, HOP_LDZ),
	XRR(0xd9, 6, 0, x87_unary, HOP_F2XM1),
	XRR(0xd9, 6, 1, x87_binary_pop, HOP_YL2X),
	XRR(0xd9, 6, 2, x87_two_results, HOP_PTAN),
	XRR(0xd9, 6, 3, x87_binary_pop, HOP_PATAN),
	XRR(0xd9, 6, 4, x87_two_results, HOP_XTRACT),
	XRR(0xd9, 6, 5, x87_binary, HOP_PREM1),
	XRR(0xd9, 6, 6, x87_stp_adj, 0),      /* FDECSTP */
	XRR(0xd9, 6, 7, x87_stp_adj, 1),      /* FINCSTP */
	XRR(0xd9, 7, 0, x87_binary, HOP_PREM),
	XRR(0xd9, 7, 1, x87_binary_pop, HOP_YL2XP1),
	XRR(0xd9, 7, 2, x87_unary, HOP_SQRT),
	XRR(0xd9, 7, 3, x87_two_results, HOP_SINCOS),
	XRR(0xd9, 7, 4, x87_unary, HOP_RNDINT),
	XRR(0xd9, 7, 5, x87_binary, HOP_SCALE),
	XRR(0xd9, 7, 6, x87_unary, HOP_SIN),
	XRR(0xd9, 7, 7, x87_unary, HOP_COS),

	/* DA */
	XARITH_M(0xda, HOP_I32),
	XR(0xda, 0, x87_fcmov, COND_B),
	XR(0xda, 1, x87_fcmov, COND_E),
	XR(0xda, 2, x87_fcmov, COND_BE),
	XR(0xda, 3, x87_fcmov, COND_P),
	XRR(0xda, 5, 1, x87_compp, HOP_UCOM), /* FUCOMPP */

	/* DB */
	XM(0xdb, 0, x87_ild, 4),
	XMF(0xdb, 1, x87_st_host, HOP_ISTTP32 | POP, SSE3),
	XM(0xdb, 2, x87_st_host, HOP_ISTP32),
	XM(0xdb, 3, x87_st_host, HOP_ISTP32 | POP),
	XM(0xdb, 5, x87_ld_m80, 0),
	XM(0xdb, 7, x87_stp_m80, 0),
	XR(0xdb, 0, x87_fcmov, COND_AE),
	XR(0xdb, 1, x87_fcmov, COND_NE),
	XR(0xdb, 2, x87_fcmov, COND_A),
	XR(0xdb, 3, x87_fcmov, COND_NP),
	XRR(0xdb, 4, 0, x87_nop_nowait, 0),   /* FENI (8087): no-op */
	XRR(0xdb, 4, 1, x87_nop_nowait, 0),   /* FDISI (8087): no-op */
	XRR(0xdb, 4, 2, x87_fnclex, 0),
	XRR(0xdb, 4, 3, x87_fninit, 0),
	XRR(0xdb, 4, 4, x87_nop_nowait, 0),   /* FSETPM (287): no-op */
	XR(0xdb, 5, x87_comi, HOP_UCOMI),
	XR(0xdb, 6, x87_comi, HOP_COMI),

	/* DC */
	XARITH_M(0xdc, HOP_M64),
	XARITH_R(0xdc, 1, 1),
	XR(0xdc, 2, x87_com_r, HOP_R + 2),          /* FCOM2 alias */
	XR(0xdc, 3, x87_com_r, (HOP_R + 2) | POP),  /* FCOMP3 alias */

	/* DD */
	XM(0xdd, 0, x87_ld_host, HOP_LD_M64),
	XMF(0xdd, 1, x87_st_host, HOP_ISTTP64 | POP, SSE3),
	XM(0xdd, 2, x87_st_host, HOP_STP_M64),
	XM(0xdd, 3, x87_st_host, HOP_STP_M64 | POP),
	XM(0xdd, 4, x87_frstor, 0),
	XM(0xdd, 6, x87_fnsave, 0),
	XM(0xdd, 7, x87_fnstsw, 0),
	XR(0xdd, 0, x87_ffree, 0),
	XR(0xdd, 1, x87_fxch, 0),                   /* FXCH4 alias */
	XR(0xdd, 2, x87_st_st, 0),
	XR(0xdd, 3, x87_st_st, 1),
	XR(0xdd, 4, x87_com_r, HOP_UCOM),
	XR(0xdd, 5, x87_com_r, HOP_UCOM | POP),

	/* DE */
	XARITH_M(0xde, HOP_I16),
	XARITH_R(0xde, 2, 1),
	XR(0xde, 2, x87_com_r, (HOP_R + 2) | POP),  /* FCOMP5 alias */
	XRR(0xde, 3, 1, x87_compp, HOP_R + 2),      /* FCOMPP */

	/* DF */
	XM(0xdf, 0, x87_ild, 2),
	XMF(0xdf, 1, x87_st_host, HOP_ISTTP16 | POP, SSE3),
	XM(0xdf, 2, x87_st_host, HOP_ISTP16),
	XM(0xdf, 3, x87_st_host, HOP_ISTP16 | POP),
	XM(0xdf, 4, x87_ld_host, HOP_BLD),
	XM(0xdf, 5, x87_ild, 8),
	XM(0xdf, 6, x87_st_host, HOP_BSTP | POP),
	XM(0xdf, 7, x87_st_host, HOP_ISTP64 | POP),
	XR(0xdf, 0, x87_ffree, 1),                  /* FFREEP */
	XR(0xdf, 1, x87_fxch, 0),                   /* FXCH7 alias */
	XR(0xdf, 2, x87_st_st, 1),                  /* FSTP8 alias */
	XR(0xdf, 3, x87_st_st, 1),                  /* FSTP9 alias */
	XRR(0xdf, 4, 0, x87_fnstsw, 0),             /* FNSTSW AX */
	XR(0xdf, 5, x87_comi, HOP_UCOMI | POP),
	XR(0xdf, 6, x87_comi, HOP_COMI | POP),

	OP(M1, 0x9b, 0, x87_fwait, 0),

	/* 0F AE: FXSAVE, FXRSTOR, LDMXCSR, STMXCSR, XSAVE, XRSTOR, XSAVEOPT */
	OPF(M0F, 0xae, P_NONE, 0, M_MEM, 0, 0, FEAT(FW_1_EDX, 24), RM, x87_fxsave),
	OPF(M0F, 0xae, P_NONE, 1, M_MEM, 0, 0, FEAT(FW_1_EDX, 24), RM, x87_fxrstor),
	OPF(M0F, 0xae, P_NONE, 2, M_MEM, 0, 0, FEAT(FW_1_EDX, 25), RM, x87_ldmxcsr),
	OPF(M0F, 0xae, P_NONE, 3, M_MEM, 0, 0, FEAT(FW_1_EDX, 25), RM, x87_stmxcsr),
	OPF(M0F, 0xae, P_NONE, 4, M_MEM, 0, 0, FEAT(FW_1_ECX, 26), RM, x87_xsave),
	OPF(M0F, 0xae, P_NONE, 5, M_MEM, 0, 0, FEAT(FW_1_ECX, 26), RM, x87_xrstor),
	OPF(M0F, 0xae, P_NONE, 6, M_MEM, 0, 0, FEAT(FW_D_1_EAX, 0), RM, x87_xsave), /* XSAVEOPT */
	/* 0F 01 D0 XGETBV, 0F 01 D1 XSETBV */
	OPF(M0F, 0x01, P_NONE, 2, M_RM0, 0, 0, FEAT(FW_1_ECX, 26), RM, x87_xgetbv),
	OPF(M0F, 0x01, P_NONE, 2, M_RM0, 1, 0, FEAT(FW_1_ECX, 26), RM, x87_xsetbv),
	{ 0 },
};
