/*
 * Specialised handlers for the hottest instruction forms.  The decoder
 * substitutes them (table at the end) when an instruction's operand size,
 * register/memory form and addressing allow; each must behave exactly as
 * the generic handler in ops_int.c for those forms.  "Flat" memory
 * operands are those of 64-bit code with 64-bit addressing and a segment
 * other than FS/GS, whose base is architecturally 0 (SDM vol. 1 §3.3.7.1).
 */
#include "decode.h"
#include "ops.h"

static inline uint64_t ea_flat(struct cpu *c, const struct insn *in)
{
	return (uint64_t)in->disp + c->regs[in->base] + (c->regs[in->index] << in->scale);
}

/* --- MOV ----------------------------------------------------------- */

static void mov_r64_mflat(struct cpu *c, const struct insn *in) { c->regs[in->reg] = ld64(c, ea_flat(c, in)); }
static void mov_r32_mflat(struct cpu *c, const struct insn *in) { c->regs[in->reg] = ld32(c, ea_flat(c, in)); }
static void mov_mflat_r64(struct cpu *c, const struct insn *in) { st64(c, ea_flat(c, in), c->regs[in->reg]); }
static void mov_mflat_r32(struct cpu *c, const struct insn *in) { st32(c, ea_flat(c, in), (uint32_t)c->regs[in->reg]); }
static void mov_mflat_i64(struct cpu *c, const struct insn *in) { st64(c, ea_flat(c, in), in->imm); }
static void mov_mflat_i32(struct cpu *c, const struct insn *in) { st32(c, ea_flat(c, in), (uint32_t)in->imm); }
static void mov_r64_r64(struct cpu *c, const struct insn *in) { c->regs[in->reg] = c->regs[in->rm]; }
static void mov_r32_r32(struct cpu *c, const struct insn *in) { c->regs[in->reg] = (uint32_t)c->regs[in->rm]; }
static void mov_r64_r64_rev(struct cpu *c, const struct insn *in) { c->regs[in->rm] = c->regs[in->reg]; }
static void mov_r32_r32_rev(struct cpu *c, const struct insn *in) { c->regs[in->rm] = (uint32_t)c->regs[in->reg]; }
static void mov_r64_i(struct cpu *c, const struct insn *in) { c->regs[in->reg] = in->imm; }
static void mov_r32_i(struct cpu *c, const struct insn *in) { c->regs[in->reg] = (uint32_t)in->imm; }
static void lea_flat64(struct cpu *c, const struct insn *in) { c->regs[in->reg] = ea_flat(c, in); }
static void lea_flat32(struct cpu *c, const struct insn *in) { c->regs[in->reg] = (uint32_t)ea_flat(c, in); }
static void movzx8_mflat(struct cpu *c, const struct insn *in) { c->regs[in->reg] = ld8(c, ea_flat(c, in)); }
static void movzx16_mflat(struct cpu *c, const struct insn *in) { c->regs[in->reg] = ld16(c, ea_flat(c, in)); }
static void movzx8_r(struct cpu *c, const struct insn *in) { c->regs[in->reg] = get_reg8(c, in->rm8); }
static void movzx16_r(struct cpu *c, const struct insn *in) { c->regs[in->reg] = (uint16_t)c->regs[in->rm]; }
static void movsx8_32_mflat(struct cpu *c, const struct insn *in) { c->regs[in->reg] = (uint32_t)(int32_t)(int8_t)ld8(c, ea_flat(c, in)); }
static void movsx8_64_mflat(struct cpu *c, const struct insn *in) { c->regs[in->reg] = (uint64_t)(int64_t)(int8_t)ld8(c, ea_flat(c, in)); }
static void movsxd_mflat(struct cpu *c, const struct insn *in) { c->regs[in->reg] = (uint64_t)(int64_t)(int32_t)ld32(c, ea_flat(c, in)); }
static void movsxd_r(struct cpu *c, const struct insn *in) { c->regs[in->reg] = (uint64_t)(int64_t)(int32_t)c->regs[in->rm]; }

/* --- ALU ----------------------------------------------------------- */

#define OPK_ADD 0
#define OPK_SUB 1
#define OPK_AND 2
#define OPK_OR 3
#define OPK_XOR 4
#define OPK_CMP 5
#define OPK_TEST 6

/* Result and lazy flags of a 32/64-bit ALU op (no ADC/SBB). */
#define ALU_APPLY(K, SZ, a, b, r)                                                   \
	do {                                                                        \
		if (K == OPK_ADD) { r = a + b; cc_set(c, CC_ADD | SZ, r, b, 0); }   \
		else if (K == OPK_SUB || K == OPK_CMP) { r = a - b; cc_set(c, CC_SUB | SZ, r, b, 0); } \
		else if (K == OPK_AND || K == OPK_TEST) { r = a & b; cc_set(c, CC_LOGIC | SZ, r, 0, 0); } \
		else if (K == OPK_OR) { r = a | b; cc_set(c, CC_LOGIC | SZ, r, 0, 0); } \
		else { r = a ^ b; cc_set(c, CC_LOGIC | SZ, r, 0, 0); }              \
	} while (0)
#define ALU_WRITES(K) (K != OPK_CMP && K != OPK_TEST)

/* dst = rm (register), src = reg: opcodes 01 09 21 29 31 39 85 */
#define GEN_RM_R(name, K)                                                           \
	static void name##_64(struct cpu *c, const struct insn *in)                 \
	{                                                                           \
		uint64_t a = c->regs[in->rm], b = c->regs[in->reg], r;              \
		ALU_APPLY(K, CC_SZ_64, a, b, r);                                    \
		if (ALU_WRITES(K)) c->regs[in->rm] = r;                             \
	}                                                                           \
	static void name##_32(struct cpu *c, const struct insn *in)                 \
	{                                                                           \
		uint64_t a = (uint32_t)c->regs[in->rm], b = (uint32_t)c->regs[in->reg], r; \
		ALU_APPLY(K, CC_SZ_32, a, b, r);                                    \
		if (ALU_WRITES(K)) c->regs[in->rm] = (uint32_t)r;                   \
	}
/* dst = reg, src = rm (register): opcodes 03 0B 23 2B 33 3B */
#define GEN_R_RM(name, K)                                                           \
	static void name##_64(struct cpu *c, const struct insn *in)                 \
	{                                                                           \
		uint64_t a = c->regs[in->reg], b = c->regs[in->rm], r;              \
		ALU_APPLY(K, CC_SZ_64, a, b, r);                                    \
		if (ALU_WRITES(K)) c->regs[in->reg] = r;                            \
	}                                                                           \
	static void name##_32(struct cpu *c, const struct insn *in)                 \
	{                                                                           \
		uint64_t a = (uint32_t)c->regs[in->reg], b = (uint32_t)c->regs[in->rm], r; \
		ALU_APPLY(K, CC_SZ_32, a, b, r);                                    \
		if (ALU_WRITES(K)) c->regs[in->reg] = (uint32_t)r;                  \
	}
/* dst = reg, src = flat memory: 03 0B 23 2B 33 3B with memory */
#define GEN_R_M(name, K)                                                            \
	static void name##_64(struct cpu *c, const struct insn *in)                 \
	{                                                                           \
		uint64_t b = ld64(c, ea_flat(c, in)), a = c->regs[in->reg], r;      \
		ALU_APPLY(K, CC_SZ_64, a, b, r);                                    \
		if (ALU_WRITES(K)) c->regs[in->reg] = r;                            \
	}                                                                           \
	static void name##_32(struct cpu *c, const struct insn *in)                 \
	{                                                                           \
		uint64_t b = ld32(c, ea_flat(c, in)), a = (uint32_t)c->regs[in->reg], r; \
		ALU_APPLY(K, CC_SZ_32, a, b, r);                                    \
		if (ALU_WRITES(K)) c->regs[in->reg] = (uint32_t)r;                  \
	}
/* rm register op= imm: 81/83 */
#define GEN_R_I(name, K)                                                            \
	static void name##_64(struct cpu *c, const struct insn *in)                 \
	{                                                                           \
		uint64_t a = c->regs[in->rm], b = in->imm, r;                       \
		ALU_APPLY(K, CC_SZ_64, a, b, r);                                    \
		if (ALU_WRITES(K)) c->regs[in->rm] = r;                             \
	}                                                                           \
	static void name##_32(struct cpu *c, const struct insn *in)                 \
	{                                                                           \
		uint64_t a = (uint32_t)c->regs[in->rm], b = (uint32_t)in->imm, r;   \
		ALU_APPLY(K, CC_SZ_32, a, b, r);                                    \
		if (ALU_WRITES(K)) c->regs[in->rm] = (uint32_t)r;                   \
	}

GEN_RM_R(add_rm_r, OPK_ADD) GEN_RM_R(sub_rm_r, OPK_SUB) GEN_RM_R(and_rm_r, OPK_AND)
GEN_RM_R(or_rm_r, OPK_OR) GEN_RM_R(xor_rm_r, OPK_XOR) GEN_RM_R(cmp_rm_r, OPK_CMP)
GEN_RM_R(test_rm_r, OPK_TEST)
GEN_R_RM(add_r_rm, OPK_ADD) GEN_R_RM(sub_r_rm, OPK_SUB) GEN_R_RM(and_r_rm, OPK_AND)
GEN_R_RM(or_r_rm, OPK_OR) GEN_R_RM(xor_r_rm, OPK_XOR) GEN_R_RM(cmp_r_rm, OPK_CMP)
GEN_R_M(add_r_m, OPK_ADD) GEN_R_M(sub_r_m, OPK_SUB) GEN_R_M(and_r_m, OPK_AND)
GEN_R_M(or_r_m, OPK_OR) GEN_R_M(xor_r_m, OPK_XOR) GEN_R_M(cmp_r_m, OPK_CMP)
GEN_R_I(add_r_i, OPK_ADD) GEN_R_I(sub_r_i, OPK_SUB) GEN_R_I(and_r_i, OPK_AND)
GEN_R_I(or_r_i, OPK_OR) GEN_R_I(xor_r_i, OPK_XOR) GEN_R_I(cmp_r_i, OPK_CMP)

static void xor_zero(struct cpu *c, const struct insn *in)
{
	c->regs[in->reg] = 0;
	cc_set(c, CC_LOGIC | cc_sz(in->opsize), 0, 0, 0);
}
static void test_rr_same_64(struct cpu *c, const struct insn *in)
{
	cc_set(c, CC_LOGIC | CC_SZ_64, c->regs[in->reg], 0, 0);
}
static void test_rr_same_32(struct cpu *c, const struct insn *in)
{
	cc_set(c, CC_LOGIC | CC_SZ_32, (uint32_t)c->regs[in->reg], 0, 0);
}
static void cmp_mflat_i_64(struct cpu *c, const struct insn *in)
{
	uint64_t a = ld64(c, ea_flat(c, in));
	cc_set(c, CC_SUB | CC_SZ_64, a - in->imm, in->imm, 0);
}
static void cmp_mflat_i_32(struct cpu *c, const struct insn *in)
{
	uint64_t a = ld32(c, ea_flat(c, in));
	cc_set(c, CC_SUB | CC_SZ_32, a - (uint32_t)in->imm, (uint32_t)in->imm, 0);
}
static void cmp_mflat_i_8(struct cpu *c, const struct insn *in)
{
	uint64_t a = ld8(c, ea_flat(c, in));
	cc_set(c, CC_SUB | CC_SZ_8, a - (uint8_t)in->imm, (uint8_t)in->imm, 0);
}
static void cmp_mflat_r_64(struct cpu *c, const struct insn *in)
{
	uint64_t a = ld64(c, ea_flat(c, in)), b = c->regs[in->reg];
	cc_set(c, CC_SUB | CC_SZ_64, a - b, b, 0);
}
static void cmp_mflat_r_32(struct cpu *c, const struct insn *in)
{
	uint64_t a = ld32(c, ea_flat(c, in)), b = (uint32_t)c->regs[in->reg];
	cc_set(c, CC_SUB | CC_SZ_32, a - b, b, 0);
}
static void add_mflat_r_64(struct cpu *c, const struct insn *in)
{
	uint64_t ea = ea_flat(c, in), b = c->regs[in->reg], r = ld64(c, ea) + b;
	st64(c, ea, r);
	cc_set(c, CC_ADD | CC_SZ_64, r, b, 0);
}
static void add_mflat_i_64(struct cpu *c, const struct insn *in)
{
	uint64_t ea = ea_flat(c, in), r = ld64(c, ea) + in->imm;
	st64(c, ea, r);
	cc_set(c, CC_ADD | CC_SZ_64, r, in->imm, 0);
}
static void add_mflat_i_32(struct cpu *c, const struct insn *in)
{
	uint64_t ea = ea_flat(c, in), b = (uint32_t)in->imm, r = (uint32_t)(ld32(c, ea) + b);
	st32(c, ea, (uint32_t)r);
	cc_set(c, CC_ADD | CC_SZ_32, r, b, 0);
}
static void test_mflat_i8(struct cpu *c, const struct insn *in)
{
	cc_set(c, CC_LOGIC | CC_SZ_8, ld8(c, ea_flat(c, in)) & in->imm, 0, 0);
}


/* 8- and 16-bit compares and moves with flat memory (string and
 * compression code). Byte registers use reg8/rm8 numbering. */
static void cmp_mflat_r_8(struct cpu *c, const struct insn *in)
{
	uint64_t a = ld8(c, ea_flat(c, in)), b = get_reg8(c, in->reg8);
	cc_set(c, CC_SUB | CC_SZ_8, a - b, b, 0);
}
static void cmp_mflat_r_16(struct cpu *c, const struct insn *in)
{
	uint64_t a = ld16(c, ea_flat(c, in)), b = (uint16_t)c->regs[in->reg];
	cc_set(c, CC_SUB | CC_SZ_16, a - b, b, 0);
}
static void cmp_r_mflat_8(struct cpu *c, const struct insn *in)
{
	uint64_t b = ld8(c, ea_flat(c, in)), a = get_reg8(c, in->reg8);
	cc_set(c, CC_SUB | CC_SZ_8, a - b, b, 0);
}
static void cmp_r_mflat_16(struct cpu *c, const struct insn *in)
{
	uint64_t b = ld16(c, ea_flat(c, in)), a = (uint16_t)c->regs[in->reg];
	cc_set(c, CC_SUB | CC_SZ_16, a - b, b, 0);
}
static void cmp_mflat_i_16(struct cpu *c, const struct insn *in)
{
	uint64_t a = ld16(c, ea_flat(c, in));
	cc_set(c, CC_SUB | CC_SZ_16, a - (uint16_t)in->imm, (uint16_t)in->imm, 0);
}
static void mov_r16_mflat(struct cpu *c, const struct insn *in)
{
	uint16_t v = ld16(c, ea_flat(c, in));
	c->regs[in->reg] = (c->regs[in->reg] & ~0xffffull) | v;
}
static void mov_mflat_r16(struct cpu *c, const struct insn *in)
{
	st16(c, ea_flat(c, in), (uint16_t)c->regs[in->reg]);
}
static void mov_r8_mflat(struct cpu *c, const struct insn *in)
{
	set_reg8(c, in->reg8, ld8(c, ea_flat(c, in)));
}
static void mov_mflat_r8(struct cpu *c, const struct insn *in)
{
	st8(c, ea_flat(c, in), get_reg8(c, in->reg8));
}
static void mov_mflat_i8(struct cpu *c, const struct insn *in)
{
	st8(c, ea_flat(c, in), (uint8_t)in->imm);
}


/* INC/DEC of a 32/64-bit register (FF /0, FF /1): CF is preserved. */
#define GEN_INCDEC(name, d, K, SZ, T)                                             \
	static void name(struct cpu *c, const struct insn *in)                    \
	{                                                                         \
		uint64_t cf = (uint64_t)cc_cf(c);                                 \
		T r = (T)((T)c->regs[in->rm] + (T)(d));                           \
		c->regs[in->rm] = r;                                              \
		cc_set(c, K | SZ, r, 1, cf ? FL_CF : 0);                          \
	}
GEN_INCDEC(inc_r64, 1, CC_INC, CC_SZ_64, uint64_t)
GEN_INCDEC(dec_r64, -1, CC_DEC, CC_SZ_64, uint64_t)
GEN_INCDEC(inc_r32, 1, CC_INC, CC_SZ_32, uint32_t)
GEN_INCDEC(dec_r32, -1, CC_DEC, CC_SZ_32, uint32_t)

/* --- stack and branches (64-bit code: SS base 0, 8-byte slots) ------- */

static void push64(struct cpu *c, const struct insn *in)
{
	uint64_t sp = c->regs[R_RSP] - 8;
	st64(c, sp, c->regs[in->reg]);
	c->regs[R_RSP] = sp;
}
static void pop64(struct cpu *c, const struct insn *in)
{
	uint64_t v = ld64(c, c->regs[R_RSP]);
	c->regs[R_RSP] += 8;
	c->regs[in->reg] = v;
}
static void call64(struct cpu *c, const struct insn *in)
{
	uint64_t sp = c->regs[R_RSP] - 8;
	st64(c, sp, in->next_rip);
	c->regs[R_RSP] = sp;
	c->rip = in->imm;
}
static void ret64(struct cpu *c, const struct insn *in)
{
	uint64_t t = ld64(c, c->regs[R_RSP]);
	c->regs[R_RSP] += 8;
	c->rip = t;
}
static void jmp_direct(struct cpu *c, const struct insn *in)
{
	c->rip = in->imm;
}


/* FF /2 and FF /4 in 64-bit code (operand size 8): the target is the
 * 64-bit r/m value; generated code follows them with a jump-cache probe. */
static void call_ind64(struct cpu *c, const struct insn *in)
{
	uint64_t t = op_rm(c, in);
	uint64_t sp = c->regs[R_RSP] - 8;
	st64(c, sp, in->next_rip);
	c->regs[R_RSP] = sp;
	c->rip = t;
}
static void jmp_ind64(struct cpu *c, const struct insn *in)
{
	c->rip = op_rm(c, in);
}

#define GEN_COND(n)                                                                      \
	static void jcc_##n(struct cpu *c, const struct insn *in)                        \
	{                                                                                \
		if (cc_eval_fast(c, n))                                                  \
			c->rip = in->imm;                                                \
	}                                                                                \
	static void setcc_r_##n(struct cpu *c, const struct insn *in)                    \
	{                                                                                \
		set_reg8(c, in->rm8, (uint8_t)cc_eval_fast(c, n));                       \
	}                                                                                \
	static void cmov64_##n(struct cpu *c, const struct insn *in)                     \
	{                                                                                \
		if (cc_eval_fast(c, n))                                                  \
			c->regs[in->reg] = c->regs[in->rm];                              \
	}                                                                                \
	static void cmov32_##n(struct cpu *c, const struct insn *in)                     \
	{                                                                                \
		c->regs[in->reg] = (uint32_t)(cc_eval_fast(c, n) ? c->regs[in->rm] : c->regs[in->reg]); \
	}
GEN_COND(0) GEN_COND(1) GEN_COND(2) GEN_COND(3) GEN_COND(4) GEN_COND(5) GEN_COND(6) GEN_COND(7)
GEN_COND(8) GEN_COND(9) GEN_COND(10) GEN_COND(11) GEN_COND(12) GEN_COND(13) GEN_COND(14) GEN_COND(15)


/* --- rotates and shifts by a constant (C1 /n ib, D1 /n) ------------- */

/* aux is 0 for the imm8 count (C1) and 1 for the count of one (D1). */
#define ROT_COUNT(in, bits) (((in)->aux == 1 ? 1u : (unsigned)(in)->imm) & ((bits) == 64 ? 63u : 31u))

static inline void rot_flags(struct cpu *c, unsigned cf, unsigned of)
{
	uint32_t f = cc_compute(c) & ~(FL_CF | FL_OF);
	cc_set_flags(c, f | (cf ? FL_CF : 0) | (of ? FL_OF : 0));
}

#define GEN_ROT(bits, T)                                                                   \
	static inline T rol##bits##_val(T v, unsigned n)                                   \
	{                                                                                  \
		n &= bits - 1;                                                             \
		return n ? (T)((v << n) | (v >> (bits - n))) : v;                          \
	}                                                                                  \
	static inline T ror##bits##_val(T v, unsigned n)                                   \
	{                                                                                  \
		n &= bits - 1;                                                             \
		return n ? (T)((v >> n) | (v << (bits - n))) : v;                          \
	}                                                                                  \
	static void rol##bits(struct cpu *c, const struct insn *in)                        \
	{                                                                                  \
		unsigned n = ROT_COUNT(in, bits);                                          \
		T r = rol##bits##_val((T)c->regs[in->rm], n);                              \
		c->regs[in->rm] = r;                                                       \
		if (n)                                                                     \
			rot_flags(c, r & 1, (unsigned)(r >> (bits - 1)) ^ (r & 1));        \
	}                                                                                  \
	static void ror##bits(struct cpu *c, const struct insn *in)                        \
	{                                                                                  \
		unsigned n = ROT_COUNT(in, bits);                                          \
		T r = ror##bits##_val((T)c->regs[in->rm], n);                              \
		c->regs[in->rm] = r;                                                       \
		if (n)                                                                     \
			rot_flags(c, (unsigned)(r >> (bits - 1)),                          \
				  (unsigned)((r >> (bits - 1)) ^ (r >> (bits - 2))) & 1);  \
	}                                                                                  \
	static void rol##bits##_nf(struct cpu *c, const struct insn *in)                   \
	{                                                                                  \
		c->regs[in->rm] = rol##bits##_val((T)c->regs[in->rm], ROT_COUNT(in, bits)); \
	}                                                                                  \
	static void ror##bits##_nf(struct cpu *c, const struct insn *in)                   \
	{                                                                                  \
		c->regs[in->rm] = ror##bits##_val((T)c->regs[in->rm], ROT_COUNT(in, bits)); \
	}                                                                                  \
	static void shl##bits(struct cpu *c, const struct insn *in)                        \
	{                                                                                  \
		unsigned n = ROT_COUNT(in, bits);                                          \
		T v = (T)c->regs[in->rm], r = (T)(v << n);                                  \
		c->regs[in->rm] = r;                                                       \
		if (n)                                                                     \
			cc_set(c, CC_SHL | cc_sz(bits / 8), r, (T)(v << (n - 1)), 0);      \
	}                                                                                  \
	static void shr##bits(struct cpu *c, const struct insn *in)                        \
	{                                                                                  \
		unsigned n = ROT_COUNT(in, bits);                                          \
		T v = (T)c->regs[in->rm], r = (T)(v >> n);                                  \
		c->regs[in->rm] = r;                                                       \
		if (n)                                                                     \
			cc_set(c, CC_SHR | cc_sz(bits / 8), r, v >> (n - 1), v >> (bits - 1)); \
	}                                                                                  \
	static void sar##bits(struct cpu *c, const struct insn *in)                        \
	{                                                                                  \
		unsigned n = ROT_COUNT(in, bits);                                          \
		T v = (T)c->regs[in->rm];                                                  \
		T r = (T)((int##bits##_t)v >> n);                                          \
		c->regs[in->rm] = r;                                                       \
		if (n)                                                                     \
			cc_set(c, CC_SAR | cc_sz(bits / 8), r,                             \
			       (T)((int##bits##_t)v >> (n - 1)), 0);                       \
	}
GEN_ROT(32, uint32_t)
GEN_ROT(64, uint64_t)

/* Flag liveness (SDM flags are architectural state, so this is only done
 * where no instruction in between can fault and expose them): a rotate
 * whose CF/OF are overwritten before anything reads them skips computing
 * the flags it would merge into. */
struct insn_nf {
	insn_fn fn, nf;
};
static const struct insn_nf insn_nf_table[] = {
	{ rol32, rol32_nf }, { rol64, rol64_nf }, { ror32, ror32_nf }, { ror64, ror64_nf },
	{ NULL, NULL },
};

void insn_flags_liveness(struct insn *insns, unsigned n)
{
	/* Liveness of CF, OF and the rest (SF ZF AF PF) after insn i, walking
	 * backwards; everything is live at the end of a TB. */
	int lc = 1, lo = 1, lr = 1;
	for (unsigned i = n; i-- > 0;) {
		struct insn *in = &insns[i];
		const struct insn_nf *t;
		for (t = insn_nf_table; t->fn; t++)
			if (in->fn == t->fn)
				break;
		if (t->fn && ROT_COUNT(in, in->opsize * 8)) {
			/* a rotate by a non-zero constant writes CF and OF only */
			if (!lc && !lo)
				in->fn = t->nf;
			lc = lo = 0;
			continue;
		}
		if (in->mem) {
			lc = lo = lr = 1; /* may fault: flags must be exact here */
			continue;
		}
		switch (in->flg) {
		case INSN_FLG_KILL: lc = lo = lr = 0; break;
		case INSN_FLG_INCDEC: lo = lr = 0; break;
		case INSN_FLG_NONE: break;
		default: lc = lo = lr = 1; break;
		}
	}
	(void)lr;
}


/* --- inline templates for the call-threaded generator (tbgen.c) ---- */

#define T(fn, kind, op, size, dir) { fn, kind, op, size, dir }
#define T_RR(name, k) T(name##_64, TPL_ALU_RR, k, 8, 0), T(name##_32, TPL_ALU_RR, k, 4, 0)
#define T_RMR(name, k) T(name##_64, TPL_ALU_RR, k, 8, 1), T(name##_32, TPL_ALU_RR, k, 4, 1)
#define T_RM(name, k) T(name##_64, TPL_ALU_RM, k, 8, 0), T(name##_32, TPL_ALU_RM, k, 4, 0)
#define T_RI(name, k) T(name##_64, TPL_ALU_RI, k, 8, 0), T(name##_32, TPL_ALU_RI, k, 4, 0)

const struct insn_template insn_templates[] = {
	T(mov_r64_r64, TPL_MOV_RR, 0, 8, 0), T(mov_r32_r32, TPL_MOV_RR, 0, 4, 0),
	T(mov_r64_r64_rev, TPL_MOV_RR, 0, 8, 1), T(mov_r32_r32_rev, TPL_MOV_RR, 0, 4, 1),
	T(mov_r64_i, TPL_MOV_RI, 0, 8, 0), T(mov_r32_i, TPL_MOV_RI, 0, 4, 0),
	T(xor_zero, TPL_XOR_ZERO, 0, 0, 0),
	T(lea_flat64, TPL_LEA, 0, 8, 0), T(lea_flat32, TPL_LEA, 0, 4, 0),
	T(mov_r64_mflat, TPL_LOAD, TLD_64, 8, 0), T(mov_r32_mflat, TPL_LOAD, TLD_32, 4, 0),
	T(movzx8_mflat, TPL_LOAD, TLD_ZX8, 4, 0), T(movzx16_mflat, TPL_LOAD, TLD_ZX16, 4, 0),
	T(movsx8_32_mflat, TPL_LOAD, TLD_SX8_32, 4, 0), T(movsx8_64_mflat, TPL_LOAD, TLD_SX8_64, 8, 0),
	T(movsxd_mflat, TPL_LOAD, TLD_SX32, 8, 0),
	T(mov_mflat_r64, TPL_STORE, 0, 8, 0), T(mov_mflat_r32, TPL_STORE, 0, 4, 0),
	T_RMR(add_rm_r, OPK_ADD), T_RMR(sub_rm_r, OPK_SUB), T_RMR(and_rm_r, OPK_AND),
	T_RMR(or_rm_r, OPK_OR), T_RMR(xor_rm_r, OPK_XOR), T_RMR(cmp_rm_r, OPK_CMP),
	T_RMR(test_rm_r, OPK_TEST),
	T_RR(add_r_rm, OPK_ADD), T_RR(sub_r_rm, OPK_SUB), T_RR(and_r_rm, OPK_AND),
	T_RR(or_r_rm, OPK_OR), T_RR(xor_r_rm, OPK_XOR), T_RR(cmp_r_rm, OPK_CMP),
	T_RM(add_r_m, OPK_ADD), T_RM(sub_r_m, OPK_SUB), T_RM(and_r_m, OPK_AND),
	T_RM(or_r_m, OPK_OR), T_RM(xor_r_m, OPK_XOR), T_RM(cmp_r_m, OPK_CMP),
	T_RI(add_r_i, OPK_ADD), T_RI(sub_r_i, OPK_SUB), T_RI(and_r_i, OPK_AND),
	T_RI(or_r_i, OPK_OR), T_RI(xor_r_i, OPK_XOR), T_RI(cmp_r_i, OPK_CMP),
	T(cmp_mflat_r_64, TPL_CMP_MR, 0, 8, 0), T(cmp_mflat_r_32, TPL_CMP_MR, 0, 4, 0),
	T(cmp_mflat_r_16, TPL_CMP_MR, 0, 2, 0), T(cmp_mflat_r_8, TPL_CMP_MR, 0, 1, 0),
	T(cmp_r_mflat_8, TPL_ALU_RM, OPK_CMP, 1, 0),
	T(mov_r8_mflat, TPL_LOAD, TLD_R8, 1, 0), T(mov_r16_mflat, TPL_LOAD, TLD_R16, 2, 0),
	T(mov_mflat_r8, TPL_STORE, 0, 1, 0), T(mov_mflat_r16, TPL_STORE, 0, 2, 0),
	T(inc_r64, TPL_INCDEC, 0, 8, 0), T(inc_r32, TPL_INCDEC, 0, 4, 0),
	T(dec_r64, TPL_INCDEC, 1, 8, 0), T(dec_r32, TPL_INCDEC, 1, 4, 0),
	T(cmp_r_mflat_16, TPL_ALU_RM, OPK_CMP, 2, 0),
	T(cmp_mflat_i_64, TPL_CMP_MI, 0, 8, 0), T(cmp_mflat_i_32, TPL_CMP_MI, 0, 4, 0),
	T(cmp_mflat_i_16, TPL_CMP_MI, 0, 2, 0), T(cmp_mflat_i_8, TPL_CMP_MI, 0, 1, 0),
	T(test_rr_same_64, TPL_ALU_RR, OPK_TEST, 8, 0), T(test_rr_same_32, TPL_ALU_RR, OPK_TEST, 4, 0),
	T(jcc_0, TPL_JCC, 0, 0, 0), T(jcc_1, TPL_JCC, 1, 0, 0), T(jcc_2, TPL_JCC, 2, 0, 0),
	T(jcc_3, TPL_JCC, 3, 0, 0), T(jcc_4, TPL_JCC, 4, 0, 0), T(jcc_5, TPL_JCC, 5, 0, 0),
	T(jcc_6, TPL_JCC, 6, 0, 0), T(jcc_7, TPL_JCC, 7, 0, 0), T(jcc_8, TPL_JCC, 8, 0, 0),
	T(jcc_9, TPL_JCC, 9, 0, 0), T(jcc_10, TPL_JCC, 10, 0, 0), T(jcc_11, TPL_JCC, 11, 0, 0),
	T(jcc_12, TPL_JCC, 12, 0, 0), T(jcc_13, TPL_JCC, 13, 0, 0), T(jcc_14, TPL_JCC, 14, 0, 0),
	T(jcc_15, TPL_JCC, 15, 0, 0),
	T(jmp_direct, TPL_JMP, 0, 0, 0), T(call64, TPL_CALL, 0, 8, 0),
	T(push64, TPL_PUSH, 0, 8, 0), T(pop64, TPL_POP, 0, 8, 0), T(ret64, TPL_RET, 0, 8, 0),
	T(call_ind64, TPL_IND, 0, 8, 0), T(jmp_ind64, TPL_IND, 0, 8, 0),
	T(rol32_nf, TPL_ROT_NF, 0, 4, 0), T(rol64_nf, TPL_ROT_NF, 0, 8, 0),
	T(ror32_nf, TPL_ROT_NF, 1, 4, 0), T(ror64_nf, TPL_ROT_NF, 1, 8, 0),
	{ NULL, 0, 0, 0, 0 },
};

/* --- the table ------------------------------------------------------ */

#define M1 MAP_1B
#define M0F MAP_0F
#define R FPC_REG
#define MF (FPC_MEM | FPC_FLAT | FPC_NOLOCK)
#define S4 FPC_SZ4
#define S8 FPC_SZ8

#define RR_PAIR(op, name) { M1, op, -1, R | S8, name##_64 }, { M1, op, -1, R | S4, name##_32 }
#define RM_PAIR(op, name) { M1, op, -1, MF | S8, name##_64 }, { M1, op, -1, MF | S4, name##_32 }
#define RI_PAIR(op, ext, name) { M1, op, ext, R | S8, name##_64 }, { M1, op, ext, R | S4, name##_32 }
#define COND_ROWS(n)                                                                      \
	{ M1, 0x70 + n, -1, 0, jcc_##n }, { M0F, 0x80 + n, -1, 0, jcc_##n },              \
	{ M0F, 0x90 + n, -1, R, setcc_r_##n }, { M0F, 0x40 + n, -1, R | S8, cmov64_##n }, \
	{ M0F, 0x40 + n, -1, R | S4, cmov32_##n }
#define PUSHPOP(r) { M1, 0x50 + r, -1, S8, push64 }, { M1, 0x58 + r, -1, S8, pop64 }
#define MOVI(r) { M1, 0xb8 + r, -1, S8, mov_r64_i }, { M1, 0xb8 + r, -1, S4, mov_r32_i }

const struct insn_fastpath insn_fastpaths[] = {
	{ M1, 0x8b, -1, R | S8, mov_r64_r64 },
	{ M1, 0x8b, -1, R | S4, mov_r32_r32 },
	{ M1, 0x8b, -1, MF | S8, mov_r64_mflat },
	{ M1, 0x8b, -1, MF | S4, mov_r32_mflat },
	{ M1, 0x89, -1, R | S8, mov_r64_r64_rev },
	{ M1, 0x89, -1, R | S4, mov_r32_r32_rev },
	{ M1, 0x89, -1, MF | S8, mov_mflat_r64 },
	{ M1, 0x89, -1, MF | S4, mov_mflat_r32 },
	{ M1, 0xc7, 0, MF | S8, mov_mflat_i64 },
	{ M1, 0xc7, 0, MF | S4, mov_mflat_i32 },
	MOVI(0), MOVI(1), MOVI(2), MOVI(3), MOVI(4), MOVI(5), MOVI(6), MOVI(7),
	{ M1, 0x8d, -1, MF | S8, lea_flat64 },
	{ M1, 0x8d, -1, MF | S4, lea_flat32 },
	{ M0F, 0xb6, -1, MF | S4, movzx8_mflat }, { M0F, 0xb6, -1, MF | S8, movzx8_mflat },
	{ M0F, 0xb7, -1, MF | S4, movzx16_mflat }, { M0F, 0xb7, -1, MF | S8, movzx16_mflat },
	{ M0F, 0xb6, -1, R | S4, movzx8_r }, { M0F, 0xb6, -1, R | S8, movzx8_r },
	{ M0F, 0xb7, -1, R | S4, movzx16_r }, { M0F, 0xb7, -1, R | S8, movzx16_r },
	{ M0F, 0xbe, -1, MF | S4, movsx8_32_mflat }, { M0F, 0xbe, -1, MF | S8, movsx8_64_mflat },
	{ M1, 0x63, -1, MF | S8, movsxd_mflat }, { M1, 0x63, -1, R | S8, movsxd_r },
	/* xor r, r and test r, r idioms */
	{ M1, 0x31, -1, R | S8 | FPC_SAMEREG, xor_zero }, { M1, 0x31, -1, R | S4 | FPC_SAMEREG, xor_zero },
	{ M1, 0x33, -1, R | S8 | FPC_SAMEREG, xor_zero }, { M1, 0x33, -1, R | S4 | FPC_SAMEREG, xor_zero },
	{ M1, 0x85, -1, R | S8 | FPC_SAMEREG, test_rr_same_64 },
	{ M1, 0x85, -1, R | S4 | FPC_SAMEREG, test_rr_same_32 },
	RR_PAIR(0x01, add_rm_r), RR_PAIR(0x29, sub_rm_r), RR_PAIR(0x21, and_rm_r),
	RR_PAIR(0x09, or_rm_r), RR_PAIR(0x31, xor_rm_r), RR_PAIR(0x39, cmp_rm_r),
	RR_PAIR(0x85, test_rm_r),
	RR_PAIR(0x03, add_r_rm), RR_PAIR(0x2b, sub_r_rm), RR_PAIR(0x23, and_r_rm),
	RR_PAIR(0x0b, or_r_rm), RR_PAIR(0x33, xor_r_rm), RR_PAIR(0x3b, cmp_r_rm),
	RM_PAIR(0x03, add_r_m), RM_PAIR(0x2b, sub_r_m), RM_PAIR(0x23, and_r_m),
	RM_PAIR(0x0b, or_r_m), RM_PAIR(0x33, xor_r_m), RM_PAIR(0x3b, cmp_r_m),
	RI_PAIR(0x83, 0, add_r_i), RI_PAIR(0x83, 5, sub_r_i), RI_PAIR(0x83, 4, and_r_i),
	RI_PAIR(0x83, 1, or_r_i), RI_PAIR(0x83, 6, xor_r_i), RI_PAIR(0x83, 7, cmp_r_i),
	RI_PAIR(0x81, 0, add_r_i), RI_PAIR(0x81, 5, sub_r_i), RI_PAIR(0x81, 4, and_r_i),
	RI_PAIR(0x81, 1, or_r_i), RI_PAIR(0x81, 6, xor_r_i), RI_PAIR(0x81, 7, cmp_r_i),
	{ M1, 0x83, 7, MF | S8, cmp_mflat_i_64 }, { M1, 0x83, 7, MF | S4, cmp_mflat_i_32 },
	{ M1, 0x81, 7, MF | S8, cmp_mflat_i_64 }, { M1, 0x81, 7, MF | S4, cmp_mflat_i_32 },
	{ M1, 0x80, 7, MF | FPC_SZ1, cmp_mflat_i_8 },
	{ M1, 0x39, -1, MF | S8, cmp_mflat_r_64 }, { M1, 0x39, -1, MF | S4, cmp_mflat_r_32 },
	{ M1, 0x39, -1, MF | FPC_SZ2, cmp_mflat_r_16 }, { M1, 0x38, -1, MF | FPC_SZ1, cmp_mflat_r_8 },
	{ M1, 0x3b, -1, MF | FPC_SZ2, cmp_r_mflat_16 }, { M1, 0x3a, -1, MF | FPC_SZ1, cmp_r_mflat_8 },
	{ M1, 0x81, 7, MF | FPC_SZ2, cmp_mflat_i_16 }, { M1, 0x83, 7, MF | FPC_SZ2, cmp_mflat_i_16 },
	{ M1, 0x8b, -1, MF | FPC_SZ2, mov_r16_mflat }, { M1, 0x89, -1, MF | FPC_SZ2, mov_mflat_r16 },
	{ M1, 0x8a, -1, MF | FPC_SZ1, mov_r8_mflat }, { M1, 0x88, -1, MF | FPC_SZ1, mov_mflat_r8 },
	{ M1, 0xc6, 0, MF | FPC_SZ1, mov_mflat_i8 },
	{ M1, 0xff, 0, R | S8, inc_r64 }, { M1, 0xff, 0, R | S4, inc_r32 },
	{ M1, 0xff, 1, R | S8, dec_r64 }, { M1, 0xff, 1, R | S4, dec_r32 },
	{ M1, 0x01, -1, MF | S8, add_mflat_r_64 },
	{ M1, 0x83, 0, MF | S8, add_mflat_i_64 }, { M1, 0x83, 0, MF | S4, add_mflat_i_32 },
	{ M1, 0xf6, 0, MF | FPC_SZ1, test_mflat_i8 },
	PUSHPOP(0), PUSHPOP(1), PUSHPOP(2), PUSHPOP(3), PUSHPOP(4), PUSHPOP(5), PUSHPOP(6), PUSHPOP(7),
	{ M1, 0xe8, -1, S8, call64 },
	{ M1, 0xc3, -1, S8, ret64 },
	{ M1, 0xe9, -1, 0, jmp_direct },
	{ M1, 0xff, 2, S8, call_ind64 }, { M1, 0xff, 4, S8, jmp_ind64 },
	{ M1, 0xeb, -1, 0, jmp_direct },
	COND_ROWS(0), COND_ROWS(1), COND_ROWS(2), COND_ROWS(3), COND_ROWS(4), COND_ROWS(5),
	COND_ROWS(6), COND_ROWS(7), COND_ROWS(8), COND_ROWS(9), COND_ROWS(10), COND_ROWS(11),
	COND_ROWS(12), COND_ROWS(13), COND_ROWS(14), COND_ROWS(15),
	{ M1, 0xc1, 0, R | S4, rol32 }, { M1, 0xc1, 0, R | S8, rol64 },
	{ M1, 0xc1, 1, R | S4, ror32 }, { M1, 0xc1, 1, R | S8, ror64 },
	{ M1, 0xd1, 0, R | S4, rol32 }, { M1, 0xd1, 0, R | S8, rol64 },
	{ M1, 0xd1, 1, R | S4, ror32 }, { M1, 0xd1, 1, R | S8, ror64 },
	{ M1, 0xc1, 4, R | S4, shl32 }, { M1, 0xc1, 4, R | S8, shl64 },
	{ M1, 0xc1, 6, R | S4, shl32 }, { M1, 0xc1, 6, R | S8, shl64 },
	{ M1, 0xc1, 5, R | S4, shr32 }, { M1, 0xc1, 5, R | S8, shr64 },
	{ M1, 0xc1, 7, R | S4, sar32 }, { M1, 0xc1, 7, R | S8, sar64 },
	{ M1, 0xd1, 4, R | S4, shl32 }, { M1, 0xd1, 4, R | S8, shl64 },
	{ M1, 0xd1, 6, R | S4, shl32 }, { M1, 0xd1, 6, R | S8, shl64 },
	{ M1, 0xd1, 5, R | S4, shr32 }, { M1, 0xd1, 5, R | S8, shr64 },
	{ M1, 0xd1, 7, R | S4, sar32 }, { M1, 0xd1, 7, R | S8, sar64 },
	{ 0, 0, 0, 0, NULL },
};
