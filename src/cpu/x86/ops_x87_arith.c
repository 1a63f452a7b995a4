/*
 * x87 arithmetic, comparisons, transcendentals and FCMOVcc (SDM vol. 1
 * §8.3, vol. 2 FADD..FYL2XP1).  Values come from the host x87 unit
 * (fpu.h, HOST DEPENDENCY); this file does the guest's stack, tags, stack
 * faults and the status-word bookkeeping.
 */
#include "decode.h"
#include "fpu.h"
#include "ops.h"

/* Memory operand size of a HOP_M32/M64/I16/I32 base. */
static unsigned hop_msize(unsigned hop)
{
	switch (hop & ~7u) {
	case HOP_M32: return 4;
	case HOP_M64: return 8;
	case HOP_I16: return 2;
	default: return 4;
	}
}

/*
 * Register arithmetic.  aux = host k (D8 numbering: DC/DE forms already
 * swapped sub<->subr, div<->divr) | form << 3: form 0 = ST(0) op ST(i),
 * 1 = ST(i) op ST(0), 2 = that and pop.
 */
void x87_arith_r(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	fpu_note(c, in);
	unsigned k = in->aux & 7, form = in->aux >> 3, i = in->modrm & 7;
	unsigned d = form ? i : 0, s = form ? 0 : i;
	if (!fpu_valid(c, 0) || !fpu_valid(c, i)) {
		if (fpu_stack_fault(c, false)) {
			fpu_write(c, d, &fpu_indefinite);
			if (form == 2)
				fpu_pop(c);
		}
		return;
	}
	struct fhost o;
	fpu_host(HOP_R + k, c->fcw, fpu_st(c, d), fpu_st(c, s), NULL, &o);
	fpu_status(c, o.sw1, FSW_C1);
	if (fpu_unmasked_pre(c, o.sw1))
		return;
	fpu_write(c, d, &o.r0);
	if (form == 2)
		fpu_pop(c);
}

/* ST(0) := ST(0) op mem; aux = HOP_M32/M64/I16/I32 + k. */
void x87_arith_m(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	uint8_t m[16] = { 0 };
	fpu_mem_read(c, insn_ea(c, in), m, hop_msize(in->aux));
	fpu_note(c, in);
	if (!fpu_valid(c, 0)) {
		if (fpu_stack_fault(c, false))
			fpu_write(c, 0, &fpu_indefinite);
		return;
	}
	struct fhost o;
	fpu_host(in->aux, c->fcw, fpu_st(c, 0), NULL, m, &o);
	fpu_status(c, o.sw1, FSW_C1);
	if (fpu_unmasked_pre(c, o.sw1))
		return;
	fpu_write(c, 0, &o.r0);
}

/* Compare outcome for an empty operand: unordered (C3=C2=C0=1). */
static void com_underflow(struct cpu *c, int pops)
{
	bool masked = fpu_stack_fault(c, false);
	c->fsw |= FSW_C0 | FSW_C2 | FSW_C3;
	if (masked)
		while (pops--)
			fpu_pop(c);
}

static void com_finish(struct cpu *c, const struct fhost *o, int pops)
{
	fpu_status(c, o->sw1, FSW_CC);
	if (fpu_unmasked_pre(c, o->sw1))
		return;
	while (pops--)
		fpu_pop(c);
}

/* FCOM/FCOMP/FUCOM/FUCOMP ST(i); aux = hop | 0x80 to pop once. */
void x87_com_r(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	fpu_note(c, in);
	unsigned i = in->modrm & 7;
	int pops = (in->aux & 0x80) ? 1 : 0;
	if (!fpu_valid(c, 0) || !fpu_valid(c, i))
		return com_underflow(c, pops);
	struct fhost o;
	fpu_host(in->aux & 0x7f, c->fcw, fpu_st(c, 0), fpu_st(c, i), NULL, &o);
	com_finish(c, &o, pops);
}

/* FCOM/FCOMP/FICOM/FICOMP with memory; aux = HOP_xxx + 2 | 0x80 to pop. */
void x87_com_m(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	unsigned hop = in->aux & 0x7f;
	uint8_t m[16] = { 0 };
	fpu_mem_read(c, insn_ea(c, in), m, hop_msize(hop));
	fpu_note(c, in);
	int pops = (in->aux & 0x80) ? 1 : 0;
	if (!fpu_valid(c, 0))
		return com_underflow(c, pops);
	struct fhost o;
	fpu_host(hop, c->fcw, fpu_st(c, 0), NULL, m, &o);
	com_finish(c, &o, pops);
}

/* FCOMPP (DE D9), FUCOMPP (DA E9): aux = hop. */
void x87_compp(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	fpu_note(c, in);
	if (!fpu_valid(c, 0) || !fpu_valid(c, 1))
		return com_underflow(c, 2);
	struct fhost o;
	fpu_host(in->aux, c->fcw, fpu_st(c, 0), fpu_st(c, 1), NULL, &o);
	com_finish(c, &o, 2);
}

/* FCOMI/FUCOMI/FCOMIP/FUCOMIP: ZF, PF, CF from the comparison, OF, SF,
 * AF cleared.  The hardware writes EFLAGS even when #IA is
 * unmasked (observed on the host), so they are always updated. */
void x87_comi(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	fpu_note(c, in);
	unsigned i = in->modrm & 7;
	int pops = (in->aux & 0x80) ? 1 : 0;
	if (!fpu_valid(c, 0) || !fpu_valid(c, i)) {
		bool masked = fpu_stack_fault(c, false);
		cc_set_flags(c, FL_ZF | FL_PF | FL_CF);
		if (masked && pops)
			fpu_pop(c);
		return;
	}
	struct fhost o;
	fpu_host(in->aux & 0x7f, c->fcw, fpu_st(c, 0), fpu_st(c, i), NULL, &o);
	fpu_status(c, o.sw1, 0); /* C1 is left alone (observed on the host) */
	cc_set_flags(c, (o.zf ? FL_ZF : 0) | (o.pf ? FL_PF : 0) | (o.cf ? FL_CF : 0));
	if (pops && !fpu_unmasked_pre(c, o.sw1))
		fpu_pop(c);
}

void x87_tst(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	fpu_note(c, in);
	if (!fpu_valid(c, 0))
		return com_underflow(c, 0);
	struct fhost o;
	fpu_host(HOP_TST, c->fcw, fpu_st(c, 0), NULL, NULL, &o);
	fpu_status(c, o.sw1, FSW_CC);
}

/* FXAM (SDM vol. 2 FXAM): class in C3,C2,C0, sign in C1. */
void x87_xam(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	fpu_note(c, in);
	const union fpreg *r = fpu_st(c, 0);
	unsigned e = r->x.exp & 0x7fff;
	uint64_t m = r->x.mant;
	uint16_t cc;
	if (!fpu_valid(c, 0))
		cc = FSW_C3 | FSW_C0;                   /* empty */
	else if (e == 0)
		cc = m ? FSW_C3 | FSW_C2 : FSW_C3;      /* denormal : zero */
	else if (!(m >> 63))
		cc = 0;                                 /* unsupported (unnormal) */
	else if (e == 0x7fff)
		cc = (m << 1) ? FSW_C0 : FSW_C2 | FSW_C0; /* NaN : infinity */
	else
		cc = FSW_C2;                            /* normal */
	if (r->x.exp & 0x8000)
		cc |= FSW_C1;
	c->fsw = (uint16_t)((c->fsw & ~FSW_CC) | cc);
}

/* ST(0) := op ST(0): FSQRT, FRNDINT, F2XM1, FSIN, FCOS (aux = hop).  FSIN
 * and FCOS leave ST(0) alone and set C2 when |x| >= 2^63. */
void x87_unary(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	fpu_note(c, in);
	bool trig = in->aux == HOP_SIN || in->aux == HOP_COS;
	if (!fpu_valid(c, 0)) {
		if (trig)
			c->fsw &= (uint16_t)~FSW_C2;
		if (fpu_stack_fault(c, false))
			fpu_write(c, 0, &fpu_indefinite);
		return;
	}
	struct fhost o;
	fpu_host_cc(in->aux, c->fcw, c->fsw, fpu_st(c, 0), NULL, NULL, &o);
	fpu_status(c, o.sw1, trig ? FSW_CC : FSW_C1);
	if (fpu_unmasked_pre(c, o.sw1))
		return;
	fpu_write(c, 0, &o.r0);
}

/* ST(0) := ST(0) op ST(1): FSCALE (C1), FPREM/FPREM1 (C0-C3: quotient
 * bits and C2 = incomplete). */
void x87_binary(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	fpu_note(c, in);
	bool prem = in->aux != HOP_SCALE;
	if (!fpu_valid(c, 0) || !fpu_valid(c, 1)) {
		if (prem)
			c->fsw &= (uint16_t)~FSW_C2;
		if (fpu_stack_fault(c, false))
			fpu_write(c, 0, &fpu_indefinite);
		return;
	}
	struct fhost o;
	fpu_host_cc(in->aux, c->fcw, c->fsw, fpu_st(c, 0), fpu_st(c, 1), NULL, &o);
	fpu_status(c, o.sw1, prem ? FSW_CC : FSW_C1);
	if (fpu_unmasked_pre(c, o.sw1))
		return;
	fpu_write(c, 0, &o.r0);
}

/* ST(1) := f(ST(0), ST(1)), pop: FYL2X, FYL2XP1, FPATAN. */
void x87_binary_pop(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	fpu_note(c, in);
	if (!fpu_valid(c, 0) || !fpu_valid(c, 1)) {
		if (fpu_stack_fault(c, false)) {
			fpu_write(c, 1, &fpu_indefinite);
			fpu_pop(c);
		}
		return;
	}
	struct fhost o;
	fpu_host(in->aux, c->fcw, fpu_st(c, 0), fpu_st(c, 1), NULL, &o);
	fpu_status(c, o.sw1, FSW_C1);
	if (fpu_unmasked_pre(c, o.sw1))
		return;
	fpu_write(c, 1, &o.r0);
	fpu_pop(c);
}

/* FPTAN (pushes 1.0), FSINCOS (ST(0)=cos over sin), FXTRACT (significand
 * over exponent): ST(0) := second result, then push the first.  FPTAN and
 * FSINCOS set C2 and change nothing when |x| >= 2^63. */
void x87_two_results(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	fpu_note(c, in);
	bool trig = in->aux != HOP_XTRACT;
	if (!fpu_valid(c, 0)) {
		if (trig)
			c->fsw &= (uint16_t)~FSW_C2;
		if (fpu_stack_fault(c, false)) {
			fpu_write(c, 0, &fpu_indefinite);
			fpu_push(c, &fpu_indefinite);
		}
		return;
	}
	if (fpu_valid(c, 7)) {
		if (trig)
			c->fsw &= (uint16_t)~FSW_C2;
		if (fpu_stack_fault(c, true)) {
			fpu_write(c, 0, &fpu_indefinite);
			fpu_push(c, &fpu_indefinite);
		}
		return;
	}
	struct fhost o;
	fpu_host_cc(in->aux, c->fcw, c->fsw, fpu_st(c, 0), NULL, NULL, &o);
	fpu_status(c, o.sw1, trig ? FSW_CC : FSW_C1);
	if (fpu_unmasked_pre(c, o.sw1))
		return;
	if (trig && (o.sw1 & FSW_C2))
		return;
	fpu_write(c, 0, &o.r1);
	fpu_push(c, &o.r0);
}

/* FCMOVcc ST(0), ST(i); aux = COND_*.  An empty operand gives the
 * indefinite whatever the condition (observed on the host). */
void x87_fcmov(struct cpu *c, const struct insn *in)
{
	fpu_wait_check(c);
	fpu_note(c, in);
	unsigned i = in->modrm & 7;
	if (!fpu_valid(c, 0) || !fpu_valid(c, i)) {
		if (fpu_stack_fault(c, false))
			fpu_write(c, 0, &fpu_indefinite);
		return;
	}
	if (cc_eval(c, in->aux)) {
		union fpreg v = *fpu_st(c, i);
		fpu_write(c, 0, &v);
	}
}
