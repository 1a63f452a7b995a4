/*
 * BMI1 (ANDN BEXTR BLSI BLSMSK BLSR; TZCNT is in ops_int2.c), BMI2 (BZHI
 * PDEP PEXT MULX RORX SARX SHLX SHRX) and ADX (ADCX ADOX).
 * Intel SDM vol. 2; the VEX forms operate on 32-bit registers, or 64-bit
 * with VEX.W in 64-bit mode (F_SIZE32), and VEX.L=1 is #UD.
 */
#include "decode.h"
#include "ops.h"

#define BMI1 FEAT(FW_7_0_EBX, 3)
#define BMI2 FEAT(FW_7_0_EBX, 8)
#define ADX FEAT(FW_7_0_EBX, 19)

static inline void bmi_check(struct cpu *c, const struct insn *in)
{
	if (in->vex & 2)
		cpu_raise(c, EXC_UD, 0);
}
static inline uint64_t bmi_vvvv(struct cpu *c, const struct insn *in)
{
	return get_reg(c, in->vvvv, in->opsize);
}

/* --- BMI1 ---------------------------------------------------------- */

/* Flags of the BMI1 logic ops: ZF/SF from the result, CF as given,
 * OF=0 (AF/PF undefined). */
static inline void bmi_flags(struct cpu *c, unsigned size, uint64_t r, unsigned cf)
{
	cc_set(c, CC_BMI | cc_sz(size), r, cf, 0);
}

static void andn(struct cpu *c, const struct insn *in)
{
	bmi_check(c, in);
	unsigned size = in->opsize;
	uint64_t r = ~bmi_vvvv(c, in) & op_rm(c, in) & size_mask(size);
	set_reg(c, in->reg, r, size);
	bmi_flags(c, size, r, 0);
}

static void bextr(struct cpu *c, const struct insn *in)
{
	bmi_check(c, in);
	unsigned size = in->opsize, bits = size * 8;
	uint64_t v = op_rm(c, in), ctl = bmi_vvvv(c, in);
	unsigned start = ctl & 0xff, len = (ctl >> 8) & 0xff;
	uint64_t r = start < bits ? v >> start : 0;
	if (len < 64)
		r &= (1ull << len) - 1;
	set_reg(c, in->reg, r, size);
	bmi_flags(c, size, r, 0);
}

/* VEX.0F38 F3 /1 /2 /3: destination is VEX.vvvv. */
static void blsr(struct cpu *c, const struct insn *in)
{
	bmi_check(c, in);
	unsigned size = in->opsize;
	uint64_t v = op_rm(c, in), r = (v & (v - 1)) & size_mask(size);
	set_reg(c, in->vvvv, r, size);
	bmi_flags(c, size, r, v == 0);
}
static void blsmsk(struct cpu *c, const struct insn *in)
{
	bmi_check(c, in);
	unsigned size = in->opsize;
	uint64_t v = op_rm(c, in), r = (v ^ (v - 1)) & size_mask(size);
	set_reg(c, in->vvvv, r, size);
	bmi_flags(c, size, r, v == 0);
}
static void blsi(struct cpu *c, const struct insn *in)
{
	bmi_check(c, in);
	unsigned size = in->opsize;
	uint64_t v = op_rm(c, in), r = (v & -v) & size_mask(size);
	set_reg(c, in->vvvv, r, size);
	bmi_flags(c, size, r, v != 0);
}

/* --- BMI2 ---------------------------------------------------------- */

static void bzhi(struct cpu *c, const struct insn *in)
{
	bmi_check(c, in);
	unsigned size = in->opsize, bits = size * 8;
	uint64_t v = op_rm(c, in);
	unsigned n = bmi_vvvv(c, in) & 0xff;
	uint64_t r = n < bits ? v & ((1ull << n) - 1) : v;
	set_reg(c, in->reg, r, size);
	bmi_flags(c, size, r, n > bits - 1);
}

static void pdep(struct cpu *c, const struct insn *in)
{
	bmi_check(c, in);
	unsigned size = in->opsize;
	uint64_t src = bmi_vvvv(c, in), mask = op_rm(c, in), r = 0;
	for (uint64_t bit = 1; mask; bit <<= 1) {
		uint64_t low = mask & -mask;
		if (src & bit)
			r |= low;
		mask &= mask - 1;
	}
	set_reg(c, in->reg, r, size);
}

static void pext(struct cpu *c, const struct insn *in)
{
	bmi_check(c, in);
	unsigned size = in->opsize;
	uint64_t src = bmi_vvvv(c, in), mask = op_rm(c, in), r = 0;
	for (uint64_t bit = 1; mask; bit <<= 1) {
		uint64_t low = mask & -mask;
		if (src & low)
			r |= bit;
		mask &= mask - 1;
	}
	set_reg(c, in->reg, r, size);
}

/* MULX: hi -> ModRM.reg, lo -> VEX.vvvv, of rDX * r/m; no flags.  When
 * both name the same register it receives the high half. */
static void mulx(struct cpu *c, const struct insn *in)
{
	bmi_check(c, in);
	unsigned size = in->opsize;
	uint64_t b = op_rm(c, in);
	unsigned __int128 p = (unsigned __int128)get_reg(c, R_RDX, size) * b;
	uint64_t lo, hi;
	if (size == 8) {
		lo = (uint64_t)p;
		hi = (uint64_t)(p >> 64);
	} else {
		lo = (uint32_t)p;
		hi = (uint32_t)(p >> 32);
	}
	set_reg(c, in->vvvv, lo, size);
	set_reg(c, in->reg, hi, size);
}

static void rorx(struct cpu *c, const struct insn *in)
{
	bmi_check(c, in);
	if (in->vvvv) /* VEX.vvvv must be 1111b */
		cpu_raise(c, EXC_UD, 0);
	unsigned size = in->opsize, bits = size * 8;
	uint64_t v = op_rm(c, in);
	unsigned n = (unsigned)in->imm & (bits - 1);
	uint64_t r = n ? ((v >> n) | (v << (bits - n))) & size_mask(size) : v;
	set_reg(c, in->reg, r, size);
}

/* SARX (F3), SHLX (66), SHRX (F2): count from VEX.vvvv masked to the
 * operand width; no flags. */
static void shiftx(struct cpu *c, const struct insn *in)
{
	bmi_check(c, in);
	unsigned size = in->opsize, bits = size * 8;
	uint64_t v = op_rm(c, in);
	unsigned n = (unsigned)bmi_vvvv(c, in) & (bits - 1);
	uint64_t r;
	if (in->prefix & PFX_F3)
		r = (uint64_t)(sext(v, size) >> n);
	else if (in->prefix & PFX_66)
		r = v << n;
	else
		r = v >> n;
	set_reg(c, in->reg, r & size_mask(size), size);
}

/* --- ADX ----------------------------------------------------------- */

/* ADCX: reg += r/m + CF, only CF changes; ADOX the same through OF. */
static void adx(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize;
	int ox = (in->prefix & PFX_F3) != 0;
	uint64_t b = op_rm(c, in), a = get_reg(c, in->reg, size);
	uint32_t f = cc_compute(c);
	unsigned cin = ox ? !!(f & FL_OF) : !!(f & FL_CF);
	unsigned __int128 s = (unsigned __int128)a + b + cin;
	unsigned cout = size == 8 ? (unsigned)(s >> 64) : (unsigned)(s >> 32) & 1;
	set_reg(c, in->reg, (uint64_t)s, size);
	cc_set(c, (ox ? CC_ADOX : CC_ADCX) | cc_sz(size), 0, cout, f);
}

#define M38 MAP_0F38
#define M3A MAP_0F3A
#define V (F_MODRM | F_VEX | F_SIZE32)

const struct opdesc ops_bmi[] = {
	OPF(M38, 0xf2, P_NONE, -1, M_ANY, 0, 0, BMI1, V | F_WFLAGS, andn),
	OPF(M38, 0xf7, P_NONE, -1, M_ANY, 0, 0, BMI1, V | F_WFLAGS, bextr),
	OPF(M38, 0xf3, P_NONE, 1, M_ANY, 0, 0, BMI1, V | F_WFLAGS, blsr),
	OPF(M38, 0xf3, P_NONE, 2, M_ANY, 0, 0, BMI1, V | F_WFLAGS, blsmsk),
	OPF(M38, 0xf3, P_NONE, 3, M_ANY, 0, 0, BMI1, V | F_WFLAGS, blsi),
	OPF(M38, 0xf5, P_NONE, -1, M_ANY, 0, 0, BMI2, V | F_WFLAGS, bzhi),
	OPF(M38, 0xf5, P_F2, -1, M_ANY, 0, 0, BMI2, V | F_NOFLAGS, pdep),
	OPF(M38, 0xf5, P_F3, -1, M_ANY, 0, 0, BMI2, V | F_NOFLAGS, pext),
	OPF(M38, 0xf6, P_F2, -1, M_ANY, 0, 0, BMI2, V | F_NOFLAGS, mulx),
	OPF(M3A, 0xf0, P_F2, -1, M_ANY, 0, 0, BMI2, V | F_IMM8U | F_NOFLAGS, rorx),
	OPF(M38, 0xf7, P_F3, -1, M_ANY, 0, 0, BMI2, V | F_NOFLAGS, shiftx),
	OPF(M38, 0xf7, P_66, -1, M_ANY, 0, 0, BMI2, V | F_NOFLAGS, shiftx),
	OPF(M38, 0xf7, P_F2, -1, M_ANY, 0, 0, BMI2, V | F_NOFLAGS, shiftx),
	OPF(M38, 0xf6, P_66, -1, M_ANY, 0, 0, ADX, F_MODRM | F_SIZE32, adx),
	OPF(M38, 0xf6, P_F3, -1, M_ANY, 0, 0, ADX, F_MODRM | F_SIZE32, adx),
	{ 0 },
};
