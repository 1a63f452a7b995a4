/*
 * Integer core, part 2: shifts and rotates (group 2, SHLD/SHRD), group 3
 * (TEST/NOT/NEG/MUL/IMUL/DIV/IDIV), IMUL r,r/m(,imm), the bit-test family
 * (BT/BTS/BTR/BTC), BSF/BSR, TZCNT/LZCNT/POPCNT.  Intel SDM vol. 2.
 *
 * String instructions are in ops_string.c, CMPXCHG/XADD/BSWAP/MOVBE/
 * CRC32/RDTSC/RDRAND/BCD/legacy odds in ops_misc.c, BMI1/BMI2/ADX in
 * ops_bmi.c.
 */
#include "decode.h"
#include "ops.h"

/* Common read of the r/m operand for a read-modify-write: loads from
 * memory (may fault) before anything is modified. */
struct rmw {
	uint64_t ea;
	uint64_t v;
};
static inline void rmw_load(struct cpu *c, const struct insn *in, unsigned size, struct rmw *r)
{
	if (in->mem) {
		r->ea = insn_ea(c, in);
		r->v = ld_sz(c, r->ea, size);
	} else {
		r->ea = 0;
		r->v = get_reg(c, size == 1 ? in->rm8 : in->rm, size);
	}
}
static inline void rmw_store(struct cpu *c, const struct insn *in, unsigned size,
			     const struct rmw *r, uint64_t v)
{
	if (in->mem)
		st_sz(c, r->ea, v, size);
	else
		set_reg(c, size == 1 ? in->rm8 : in->rm, v, size);
}

/* Replace only CF and OF (rotates): the other arithmetic flags keep their
 * values (SDM vol. 2 "RCL/RCR/ROL/ROR - Rotate", Flags Affected). */
static inline void set_cf_of(struct cpu *c, unsigned cf, unsigned of)
{
	uint32_t f = cc_compute(c) & ~(FL_CF | FL_OF);
	cc_set_flags(c, f | (cf ? FL_CF : 0) | (of ? FL_OF : 0));
}

/* --- group 2: ROL ROR RCL RCR SHL SHR SAL SAR ---------------------- */

/* in->aux: 0 = count is imm8 (C0/C1), 1 = count is 1 (D0/D1), 2 = CL. */
static inline unsigned shift_count_raw(struct cpu *c, const struct insn *in)
{
	if (in->aux == 1)
		return 1;
	if (in->aux == 2)
		return (uint8_t)c->regs[R_RCX];
	return (uint8_t)in->imm;
}

static void grp2(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize, bits = size * 8, sz = cc_sz(size);
	uint64_t mask = size_mask(size), msb = 1ull << (bits - 1);
	/* The count is masked to 5 bits (6 with a 64-bit operand) before
	 * anything else (SDM vol. 2 "SAL/SAR/SHL/SHR", Operation). */
	unsigned cnt = shift_count_raw(c, in) & (size == 8 ? 63 : 31);
	struct rmw m;
	rmw_load(c, in, size, &m);
	uint64_t v = m.v, r;
	unsigned op = (in->modrm >> 3) & 7;

	if (cnt == 0) {
		/* No flags change; a 32-bit register destination is still
		 * written (zero-extended), as on hardware. */
		if (!in->mem)
			rmw_store(c, in, size, &m, v);
		return;
	}
	switch (op) {
	case 0: { /* ROL */
		unsigned n = cnt & (bits - 1);
		r = n ? ((v << n) | (v >> (bits - n))) & mask : v;
		rmw_store(c, in, size, &m, r);
		unsigned cf = r & 1;
		set_cf_of(c, cf, !!(r & msb) ^ cf);
		return;
	}
	case 1: { /* ROR */
		unsigned n = cnt & (bits - 1);
		r = n ? ((v >> n) | (v << (bits - n))) & mask : v;
		rmw_store(c, in, size, &m, r);
		set_cf_of(c, !!(r & msb), !!(r & msb) ^ !!(r & (msb >> 1)));
		return;
	}
	case 2:   /* RCL */
	case 3: { /* RCR: rotate through the (bits+1)-bit value CF:v */
		unsigned n = bits == 8 ? cnt % 9 : bits == 16 ? cnt % 17 : cnt;
		unsigned w = bits + 1;
		unsigned __int128 x = ((unsigned __int128)(cc_cf(c) & 1) << bits) | v;
		unsigned __int128 wm = ((unsigned __int128)1 << w) - 1;
		if (n) {
			if (op == 2)
				x = ((x << n) | (x >> (w - n))) & wm;
			else
				x = ((x >> n) | (x << (w - n))) & wm;
		}
		r = (uint64_t)x & mask;
		unsigned cf = (unsigned)(x >> bits) & 1;
		rmw_store(c, in, size, &m, r);
		if (op == 2)
			set_cf_of(c, cf, !!(r & msb) ^ cf);
		else
			set_cf_of(c, cf, !!(r & msb) ^ !!(r & (msb >> 1)));
		return;
	}
	case 4:
	case 6: /* SHL/SAL */
		r = (v << cnt) & mask;
		rmw_store(c, in, size, &m, r);
		cc_set(c, CC_SHL | sz, r, v << (cnt - 1), 0);
		return;
	case 5: /* SHR: OF (count 1) is the original top bit */
		r = v >> cnt;
		rmw_store(c, in, size, &m, r);
		cc_set(c, CC_SHR | sz, r, v >> (cnt - 1), !!(v & msb));
		return;
	default: { /* SAR */
		int64_t s = sext(v, size);
		r = (uint64_t)(s >> cnt) & mask;
		rmw_store(c, in, size, &m, r);
		cc_set(c, CC_SAR | sz, r, (uint64_t)(s >> (cnt - 1)), 0);
		return;
	}
	}
}

/* --- SHLD / SHRD (0F A4/A5, 0F AC/AD) ------------------------------ */

/*
 * With a 16-bit operand and a count of 17..31 the result is undefined by
 * the SDM; Intel hardware shifts the 48-bit value dest:src:dest, which
 * is what is done here (verified against the host in tests/insn).
 */
static void shxd(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize, bits = size * 8, sz = cc_sz(size);
	uint64_t mask = size_mask(size), msb = 1ull << (bits - 1);
	unsigned cnt = (in->aux == 2 ? (uint8_t)c->regs[R_RCX] : (uint8_t)in->imm) &
		       (size == 8 ? 63 : 31);
	int right = in->op == 0xac || in->op == 0xad;
	struct rmw m;
	rmw_load(c, in, size, &m);
	uint64_t a = m.v, b = get_reg(c, in->reg, size), r, src;
	if (cnt == 0) {
		if (!in->mem)
			rmw_store(c, in, size, &m, a);
		return;
	}
	unsigned __int128 val;
	unsigned hi; /* position of dest's low bit within val for SHLD */
	if (size == 2) {
		val = ((unsigned __int128)a << 32) | (b << 16) | a;
		hi = 32;
	} else if (right) {
		val = ((unsigned __int128)b << bits) | a;
		hi = bits;
	} else {
		val = ((unsigned __int128)a << bits) | b;
		hi = bits;
	}
	if (right) {
		r = (uint64_t)(val >> cnt) & mask;
		src = (uint64_t)(val >> (cnt - 1));
		rmw_store(c, in, size, &m, r);
		cc_set(c, CC_SHR | sz, r, src, !!(r & msb) ^ !!(a & msb));
	} else {
		r = (uint64_t)(val >> (hi - cnt)) & mask;
		src = (uint64_t)(val >> (hi - cnt + 1)) & mask;
		rmw_store(c, in, size, &m, r);
		cc_set(c, CC_SHL | sz, r, src, 0);
	}
}

/* --- group 3 -------------------------------------------------------- */

static void test_rm_imm(struct cpu *c, const struct insn *in)
{
	uint64_t v = op_rm(c, in) & in->imm;
	cc_set(c, CC_LOGIC | cc_sz(in->opsize), v, 0, 0);
}

static void not_rm(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize;
	if (in->mem && (in->prefix & PFX_LOCK)) {
		void *p = cpu_mem(c, insn_ea(c, in), size, CPU_MEM_RMW);
		switch (size) {
		case 1: __atomic_fetch_xor((uint8_t *)p, 0xff, __ATOMIC_SEQ_CST); break;
		case 2: __atomic_fetch_xor((uint16_t *)p, 0xffff, __ATOMIC_SEQ_CST); break;
		case 4: __atomic_fetch_xor((uint32_t *)p, ~0u, __ATOMIC_SEQ_CST); break;
		default: __atomic_fetch_xor((uint64_t *)p, ~0ull, __ATOMIC_SEQ_CST); break;
		}
		cpu_mem_done(c, p);
		return;
	}
	struct rmw m;
	rmw_load(c, in, size, &m);
	rmw_store(c, in, size, &m, ~m.v); /* NOT changes no flags */
}

static void neg_rm(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize;
	uint64_t v;
	if (in->mem && (in->prefix & PFX_LOCK)) {
		void *p = cpu_mem(c, insn_ea(c, in), size, CPU_MEM_RMW);
		v = 0;
		memcpy(&v, p, size); /* racy read, validated by the CAS */
		while (!cpu_cas_sized(p, &v, -v, size))
			;
		cpu_mem_done(c, p);
	} else {
		struct rmw m;
		rmw_load(c, in, size, &m);
		v = m.v;
		rmw_store(c, in, size, &m, -v);
	}
	/* NEG is 0 - v: CF = (v != 0), flags as SUB. */
	cc_set(c, CC_SUB | cc_sz(size), -v, v, 0);
}

/* MUL/IMUL one-operand: the accumulator pair receives the product. */
static void mul_rm(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize, sz = cc_sz(size);
	uint64_t b = op_rm(c, in), lo, hi;
	if (size == 1) {
		unsigned p = (unsigned)(uint8_t)c->regs[R_RAX] * (unsigned)b;
		set_reg(c, R_RAX, p, 2);
		cc_set(c, CC_MUL | sz, p & 0xff, (p >> 8) != 0, 0);
		return;
	}
	unsigned __int128 p = (unsigned __int128)get_reg(c, R_RAX, size) * b;
	if (size == 8) {
		lo = (uint64_t)p;
		hi = (uint64_t)(p >> 64);
	} else {
		lo = (uint64_t)p & size_mask(size);
		hi = (uint64_t)(p >> (size * 8)) & size_mask(size);
	}
	set_reg(c, R_RAX, lo, size);
	set_reg(c, R_RDX, hi, size);
	cc_set(c, CC_MUL | sz, lo, hi != 0, 0);
}

static void imul_rm(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize, sz = cc_sz(size);
	int64_t b = sext(op_rm(c, in), size);
	int64_t a = sext(get_reg(c, R_RAX, size), size);
	if (size == 1) {
		int p = (int)a * (int)b;
		set_reg(c, R_RAX, (uint64_t)p, 2);
		cc_set(c, CC_MUL | sz, (uint64_t)p & 0xff, p != (int8_t)p, 0);
		return;
	}
	__int128 p = (__int128)a * b;
	uint64_t lo = (uint64_t)p, hi = (uint64_t)(p >> (size * 8));
	bool ovf = p != (__int128)sext(lo, size);
	set_reg(c, R_RAX, lo, size);
	set_reg(c, R_RDX, hi, size);
	cc_set(c, CC_MUL | sz, lo, ovf, 0);
}

/* Truncating signed multiply with CF=OF = "did not fit". */
static inline uint64_t imul_trunc(struct cpu *c, int64_t a, int64_t b, unsigned size)
{
	__int128 p = (__int128)a * b;
	uint64_t lo = (uint64_t)p & size_mask(size);
	cc_set(c, CC_MUL | cc_sz(size), lo, p != (__int128)sext(lo, size), 0);
	return lo;
}
/* 0F AF: IMUL r, r/m */
static void imul_r_rm(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize;
	int64_t b = sext(op_rm(c, in), size);
	int64_t a = sext(get_reg(c, in->reg, size), size);
	set_reg(c, in->reg, imul_trunc(c, a, b, size), size);
}
/* 69 / 6B: IMUL r, r/m, imm */
static void imul_r_rm_i(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize;
	int64_t a = sext(op_rm(c, in), size);
	set_reg(c, in->reg, imul_trunc(c, a, sext(in->imm, size), size), size);
}

/* DIV/IDIV: #DE on a zero divisor or a quotient that does not fit (SDM
 * vol. 2 "DIV"/"IDIV").  Flags are undefined; they are left unchanged. */
static void div_rm(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize;
	uint64_t d = op_rm(c, in);
	if (d == 0)
		cpu_raise(c, EXC_DE, 0);
	if (size == 1) {
		unsigned n = (uint16_t)c->regs[R_RAX];
		unsigned q = n / (unsigned)d, r = n % (unsigned)d;
		if (q > 0xff)
			cpu_raise(c, EXC_DE, 0);
		set_reg(c, R_RAX, (r << 8) | q, 2);
		return;
	}
	unsigned bits = size * 8;
	unsigned __int128 n = ((unsigned __int128)get_reg(c, R_RDX, size) << bits) |
			      get_reg(c, R_RAX, size);
	unsigned __int128 q = n / d, r = n % d;
	if (q > size_mask(size))
		cpu_raise(c, EXC_DE, 0);
	set_reg(c, R_RAX, (uint64_t)q, size);
	set_reg(c, R_RDX, (uint64_t)r, size);
}

static void idiv_rm(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize;
	int64_t d = sext(op_rm(c, in), size);
	if (d == 0)
		cpu_raise(c, EXC_DE, 0);
	__int128 n;
	switch (size) {
	case 1: n = (int16_t)c->regs[R_RAX]; break;
	case 2: n = (int32_t)(((uint32_t)(uint16_t)c->regs[R_RDX] << 16) | (uint16_t)c->regs[R_RAX]); break;
	case 4: n = (int64_t)((c->regs[R_RDX] << 32) | (uint32_t)c->regs[R_RAX]); break;
	default: n = (__int128)(((unsigned __int128)c->regs[R_RDX] << 64) | c->regs[R_RAX]); break;
	}
	__int128 q, r;
	if (d == -1) {
		/* -n overflows __int128 for n = INT128_MIN; that never fits. */
		if (n == (__int128)((unsigned __int128)1 << 127))
			cpu_raise(c, EXC_DE, 0);
		q = -n;
		r = 0;
	} else {
		q = n / d;
		r = n % d;
	}
	int64_t lim = (int64_t)(size_mask(size) >> 1);
	if (q > lim || q < -lim - 1)
		cpu_raise(c, EXC_DE, 0);
	if (size == 1) {
		set_reg(c, R_RAX, ((uint64_t)(uint8_t)r << 8) | (uint8_t)q, 2);
		return;
	}
	set_reg(c, R_RAX, (uint64_t)q, size);
	set_reg(c, R_RDX, (uint64_t)r, size);
}

/* --- BT / BTS / BTR / BTC ------------------------------------------ */

enum { BT_TEST, BT_SET, BT_RESET, BT_COMPLEMENT };

/*
 * in->aux = BT_*.  The register bit-offset forms with a memory operand
 * address beyond the operand: the offset is a signed operand-size value
 * whose high bits select an operand-sized unit relative to the effective
 * address (SDM vol. 2 "BT", Table 3-2); the imm8 forms only use the
 * offset modulo the operand width.
 */
static void bt_op(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize, bits = size * 8;
	unsigned shift = size == 2 ? 4 : size == 4 ? 5 : 6;
	uint64_t off = in->op == 0xba ? in->imm : get_reg(c, in->reg, size);
	unsigned bit = (unsigned)off & (bits - 1);
	uint64_t m = 1ull << bit, v, nv;
	unsigned op = in->aux;

	if (!in->mem) {
		v = get_reg(c, in->rm, size);
		nv = op == BT_SET ? v | m : op == BT_RESET ? v & ~m : op == BT_COMPLEMENT ? v ^ m : v;
		if (op != BT_TEST)
			set_reg(c, in->rm, nv, size);
	} else {
		uint64_t eoff = insn_ea_off(c, in);
		if (in->op != 0xba)
			eoff += (uint64_t)((sext(off, size) >> shift) * (int64_t)size);
		uint64_t lin = seg_lin(c, in->seg, eoff & in->amask);
		if (op == BT_TEST) {
			v = ld_sz(c, lin, size);
		} else if (in->prefix & PFX_LOCK) {
			void *p = cpu_mem(c, lin, size, CPU_MEM_RMW);
			switch (size) {
			case 2:
				v = op == BT_SET ? __atomic_fetch_or((uint16_t *)p, (uint16_t)m, __ATOMIC_SEQ_CST)
				  : op == BT_RESET ? __atomic_fetch_and((uint16_t *)p, (uint16_t)~m, __ATOMIC_SEQ_CST)
				  : __atomic_fetch_xor((uint16_t *)p, (uint16_t)m, __ATOMIC_SEQ_CST);
				break;
			case 4:
				v = op == BT_SET ? __atomic_fetch_or((uint32_t *)p, (uint32_t)m, __ATOMIC_SEQ_CST)
				  : op == BT_RESET ? __atomic_fetch_and((uint32_t *)p, (uint32_t)~m, __ATOMIC_SEQ_CST)
				  : __atomic_fetch_xor((uint32_t *)p, (uint32_t)m, __ATOMIC_SEQ_CST);
				break;
			default:
				v = op == BT_SET ? __atomic_fetch_or((uint64_t *)p, m, __ATOMIC_SEQ_CST)
				  : op == BT_RESET ? __atomic_fetch_and((uint64_t *)p, ~m, __ATOMIC_SEQ_CST)
				  : __atomic_fetch_xor((uint64_t *)p, m, __ATOMIC_SEQ_CST);
				break;
			}
			cpu_mem_done(c, p);
		} else {
			v = ld_sz(c, lin, size);
			nv = op == BT_SET ? v | m : op == BT_RESET ? v & ~m : v ^ m;
			st_sz(c, lin, nv, size);
		}
	}
	/* CF = the bit; ZF unaffected; OF/SF/AF/PF undefined (kept). */
	uint32_t f = cc_compute(c) & ~FL_CF;
	cc_set_flags(c, f | ((v >> bit) & 1 ? FL_CF : 0));
}

/* --- BSF / BSR / TZCNT / LZCNT / POPCNT ----------------------------- */

/* A zero source sets ZF and leaves the whole destination register
 * unchanged, upper half included (AMD documents it; Intel hardware does
 * the same, checked natively). */
static void bsf(struct cpu *c, const struct insn *in)
{
	uint64_t v = op_rm(c, in);
	if (!v) {
		cc_set_flags(c, FL_ZF);
		return;
	}
	set_reg(c, in->reg, (uint64_t)__builtin_ctzll(v), in->opsize);
	cc_set_flags(c, 0);
}
static void bsr(struct cpu *c, const struct insn *in)
{
	uint64_t v = op_rm(c, in);
	if (!v) {
		cc_set_flags(c, FL_ZF);
		return;
	}
	set_reg(c, in->reg, (uint64_t)(63 - __builtin_clzll(v)), in->opsize);
	cc_set_flags(c, 0);
}
/* F3 0F BC: TZCNT with BMI1, else BSF (the F3 prefix is ignored by
 * processors without it). */
static void tzcnt(struct cpu *c, const struct insn *in)
{
	if (!cpu_has(c, FEAT(FW_7_0_EBX, 3)))
		return bsf(c, in);
	unsigned size = in->opsize;
	uint64_t v = op_rm(c, in);
	uint64_t r = v ? (uint64_t)__builtin_ctzll(v) : size * 8;
	set_reg(c, in->reg, r, size);
	/* CF = (source == 0), ZF = (result == 0) */
	cc_set(c, CC_BMI | cc_sz(size), r, v == 0, 0);
}
static void lzcnt(struct cpu *c, const struct insn *in)
{
	if (!cpu_has(c, FEAT(FW_8000_0001_ECX, 5)))
		return bsr(c, in);
	unsigned size = in->opsize;
	uint64_t v = op_rm(c, in);
	uint64_t r = v ? (uint64_t)(__builtin_clzll(v) - (64 - size * 8)) : size * 8;
	set_reg(c, in->reg, r, size);
	cc_set(c, CC_BMI | cc_sz(size), r, v == 0, 0);
}
static void popcnt(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize;
	uint64_t v = op_rm(c, in);
	uint64_t r = (uint64_t)__builtin_popcountll(v);
	set_reg(c, in->reg, r, size);
	cc_set(c, CC_POPCNT | cc_sz(size), r, 0, 0);
}

#define M1 MAP_1B
#define M0F MAP_0F
#define RM F_MODRM
#define B F_BYTE

const struct opdesc ops_int2[] = {
	/* group 2 */
	OP(M1, 0xc0, RM | B | F_IMM8U, grp2, 0),
	OP(M1, 0xc1, RM | F_IMM8U, grp2, 0),
	OP(M1, 0xd0, RM | B, grp2, 1),
	OP(M1, 0xd1, RM, grp2, 1),
	OP(M1, 0xd2, RM | B, grp2, 2),
	OP(M1, 0xd3, RM, grp2, 2),
	OP(M0F, 0xa4, RM | F_IMM8U, shxd, 0),
	OP(M0F, 0xa5, RM, shxd, 2),
	OP(M0F, 0xac, RM | F_IMM8U, shxd, 0),
	OP(M0F, 0xad, RM, shxd, 2),
	/* group 3 */
	OPX(M1, 0xf6, 0, RM | B | F_IMM8 | F_WFLAGS, test_rm_imm, 0),
	OPX(M1, 0xf6, 1, RM | B | F_IMM8 | F_WFLAGS, test_rm_imm, 0),
	OPX(M1, 0xf6, 2, RM | B | F_LOCK | F_NOFLAGS, not_rm, 0),
	OPX(M1, 0xf6, 3, RM | B | F_LOCK | F_WFLAGS, neg_rm, 0),
	OPX(M1, 0xf6, 4, RM | B | F_WFLAGS, mul_rm, 0),
	OPX(M1, 0xf6, 5, RM | B | F_WFLAGS, imul_rm, 0),
	OPX(M1, 0xf6, 6, RM | B | F_NOFLAGS, div_rm, 0),
	OPX(M1, 0xf6, 7, RM | B | F_NOFLAGS, idiv_rm, 0),
	OPX(M1, 0xf7, 0, RM | F_IMMZ | F_WFLAGS, test_rm_imm, 0),
	OPX(M1, 0xf7, 1, RM | F_IMMZ | F_WFLAGS, test_rm_imm, 0),
	OPX(M1, 0xf7, 2, RM | F_LOCK | F_NOFLAGS, not_rm, 0),
	OPX(M1, 0xf7, 3, RM | F_LOCK | F_WFLAGS, neg_rm, 0),
	OPX(M1, 0xf7, 4, RM | F_WFLAGS, mul_rm, 0),
	OPX(M1, 0xf7, 5, RM | F_WFLAGS, imul_rm, 0),
	OPX(M1, 0xf7, 6, RM | F_NOFLAGS, div_rm, 0),
	OPX(M1, 0xf7, 7, RM | F_NOFLAGS, idiv_rm, 0),
	OP(M0F, 0xaf, RM | F_WFLAGS, imul_r_rm, 0),
	OP(M1, 0x69, RM | F_IMMZ | F_WFLAGS, imul_r_rm_i, 0),
	OP(M1, 0x6b, RM | F_IMM8 | F_WFLAGS, imul_r_rm_i, 0),
	/* bit tests */
	OP(M0F, 0xa3, RM, bt_op, BT_TEST),
	OP(M0F, 0xab, RM | F_LOCK, bt_op, BT_SET),
	OP(M0F, 0xb3, RM | F_LOCK, bt_op, BT_RESET),
	OP(M0F, 0xbb, RM | F_LOCK, bt_op, BT_COMPLEMENT),
	OPX(M0F, 0xba, 4, RM | F_IMM8U, bt_op, BT_TEST),
	OPX(M0F, 0xba, 5, RM | F_IMM8U | F_LOCK, bt_op, BT_SET),
	OPX(M0F, 0xba, 6, RM | F_IMM8U | F_LOCK, bt_op, BT_RESET),
	OPX(M0F, 0xba, 7, RM | F_IMM8U | F_LOCK, bt_op, BT_COMPLEMENT),
	/* bit scans and counts */
	OP(M0F, 0xbc, RM | F_WFLAGS, bsf, 0),
	OP(M0F, 0xbd, RM | F_WFLAGS, bsr, 0),
	OPF(M0F, 0xbc, P_F3, -1, M_ANY, 0, 0, 0, RM | F_WFLAGS, tzcnt),
	OPF(M0F, 0xbd, P_F3, -1, M_ANY, 0, 0, 0, RM | F_WFLAGS, lzcnt),
	OPF(M0F, 0xb8, P_F3, -1, M_ANY, 0, 0, FEAT(FW_1_ECX, 23), RM | F_WFLAGS, popcnt),
	{ 0 },
};
