/*
 * Lazy condition codes: OSZAPC are computed only when something reads them
 * (Jcc, SETcc, PUSHF, ADC ...).  See enum cc_op in cpu.h for what cc_dst,
 * cc_src and cc_src2 hold for each operation.
 */
#include "cpu.h"

static inline uint32_t parity(uint64_t v)
{
	return __builtin_parity((unsigned)(v & 0xff)) ? 0 : FL_PF;
}

uint32_t cc_compute(struct cpu *c)
{
	unsigned op = c->cc_op & ~3u, sz = c->cc_op & 3u;
	unsigned bits = 8u << sz;
	uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
	uint64_t sign = 1ull << (bits - 1);
	uint64_t dst = c->cc_dst & mask, src = c->cc_src & mask, a;
	uint32_t f = 0, cf;

	switch (op) {
	case CC_EFLAGS:
		return (uint32_t)c->cc_src & FL_ARITH;
	case CC_ADD:
		a = (dst - src) & mask;
		f |= dst < src ? FL_CF : 0;
		f |= ((a ^ dst) & (src ^ dst) & sign) ? FL_OF : 0;
		f |= (a ^ src ^ dst) & FL_AF;
		break;
	case CC_ADC:
		cf = c->cc_src2 & 1;
		a = (dst - src - cf) & mask;
		f |= (cf ? dst <= src : dst < src) ? FL_CF : 0;
		f |= ((a ^ dst) & (src ^ dst) & sign) ? FL_OF : 0;
		f |= (a ^ src ^ dst) & FL_AF;
		break;
	case CC_SUB:
		a = (dst + src) & mask;
		f |= a < src ? FL_CF : 0;
		f |= ((a ^ src) & (a ^ dst) & sign) ? FL_OF : 0;
		f |= (a ^ src ^ dst) & FL_AF;
		break;
	case CC_SBB:
		cf = c->cc_src2 & 1;
		a = (dst + src + cf) & mask;
		f |= (cf ? a <= src : a < src) ? FL_CF : 0;
		f |= ((a ^ src) & (a ^ dst) & sign) ? FL_OF : 0;
		f |= (a ^ src ^ dst) & FL_AF;
		break;
	case CC_LOGIC:
		break;
	case CC_INC:
		f |= c->cc_src2 & FL_CF;
		f |= dst == sign ? FL_OF : 0;
		f |= (dst & 0xf) == 0 ? FL_AF : 0;
		break;
	case CC_DEC:
		f |= c->cc_src2 & FL_CF;
		f |= dst == sign - 1 ? FL_OF : 0;
		f |= (dst & 0xf) == 0xf ? FL_AF : 0;
		break;
	case CC_SHL:
		cf = (src & sign) ? 1 : 0;
		f |= cf ? FL_CF : 0;
		f |= (cf ^ !!(dst & sign)) ? FL_OF : 0;
		break;
	case CC_SAR:
		f |= (c->cc_src & 1) ? FL_CF : 0;
		break;
	case CC_SHR:
		f |= (c->cc_src & 1) ? FL_CF : 0;
		f |= (c->cc_src2 & 1) ? FL_OF : 0;
		break;
	case CC_MUL:
		f |= c->cc_src ? (FL_CF | FL_OF) : 0;
		break;
	case CC_BMI:
		f |= (c->cc_src & 1) ? FL_CF : 0;
		break;
	case CC_ADCX:
		return (uint32_t)((c->cc_src2 & FL_ARITH & ~FL_CF) | (c->cc_src ? FL_CF : 0));
	case CC_ADOX:
		return (uint32_t)((c->cc_src2 & FL_ARITH & ~FL_OF) | (c->cc_src ? FL_OF : 0));
	case CC_POPCNT:
		return dst == 0 ? FL_ZF : 0;
	}
	f |= dst == 0 ? FL_ZF : 0;
	f |= (dst & sign) ? FL_SF : 0;
	f |= parity(dst);
	return f;
}

int cc_cf(struct cpu *c)
{
	unsigned op = c->cc_op & ~3u;
	if (op == CC_SUB) {
		uint64_t mask = size_mask(1u << (c->cc_op & 3));
		uint64_t src = c->cc_src & mask;
		return ((c->cc_dst + src) & mask) < src;
	}
	if (op == CC_LOGIC)
		return 0;
	return cc_compute(c) & FL_CF;
}

int cc_eval(struct cpu *c, unsigned cond)
{
	unsigned op = c->cc_op & ~3u;
	int r;
	if (op == CC_SUB || op == CC_LOGIC) {
		unsigned size = 1u << (c->cc_op & 3);
		uint64_t mask = size_mask(size);
		uint64_t dst = c->cc_dst & mask;
		if (op == CC_LOGIC) {
			switch (cond >> 1) {
			case 0: r = 0; break;                          /* O */
			case 1: r = 0; break;                          /* B */
			case 2: r = dst == 0; break;                   /* E */
			case 3: r = dst == 0; break;                   /* BE */
			case 4: r = sext(dst, size) < 0; break;        /* S */
			case 6: r = sext(dst, size) < 0; break;        /* L: SF != 0 */
			case 7: r = dst == 0 || sext(dst, size) < 0; break; /* LE */
			default: goto slow;
			}
			return r ^ (cond & 1);
		}
		uint64_t src = c->cc_src & mask, a = (dst + src) & mask;
		switch (cond >> 1) {
		case 1: r = a < src; break;                                  /* B */
		case 2: r = dst == 0; break;                                 /* E */
		case 3: r = a <= src; break;                                 /* BE */
		case 4: r = sext(dst, size) < 0; break;                      /* S */
		case 6: r = sext(a, size) < sext(src, size); break;          /* L */
		case 7: r = sext(a, size) <= sext(src, size); break;         /* LE */
		default: goto slow;
		}
		return r ^ (cond & 1);
	}
slow:;
	uint32_t f = cc_compute(c);
	switch (cond >> 1) {
	case 0: r = !!(f & FL_OF); break;
	case 1: r = !!(f & FL_CF); break;
	case 2: r = !!(f & FL_ZF); break;
	case 3: r = !!(f & (FL_CF | FL_ZF)); break;
	case 4: r = !!(f & FL_SF); break;
	case 5: r = !!(f & FL_PF); break;
	case 6: r = !!(f & FL_SF) != !!(f & FL_OF); break;
	default: r = (f & FL_ZF) || (!!(f & FL_SF) != !!(f & FL_OF)); break;
	}
	return r ^ (cond & 1);
}

uint32_t cpu_get_eflags(struct cpu *c)
{
	return (c->eflags & ~FL_ARITH) | cc_compute(c) | 2;
}

void cpu_set_eflags(struct cpu *c, uint32_t v, uint32_t mask)
{
	uint32_t cur = cpu_get_eflags(c);
	uint32_t n = (cur & ~mask) | (v & mask);
	c->eflags = (n & ~FL_ARITH) | 2;
	cc_set_flags(c, n & FL_ARITH);
	/* System mode: interrupts just got enabled (POPF, IRET): leave the TB
	 * loop soon so the vCPU loop can deliver one that was held pending. */
	if (c->sysmode && (n & ~cur & FL_IF))
		c->exit_request = 1;
	/* TF, RF and AC select debug mode and the SMAP TLB (debug.c); the
	 * instructions that change them end the TB. */
	if ((n ^ cur) & (FL_TF | FL_RF | FL_AC))
		cpu_update_dyn_flags(c);
}
