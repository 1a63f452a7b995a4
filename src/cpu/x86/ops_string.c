/*
 * String instructions MOVS, CMPS, STOS, LODS, SCAS with the REP/REPE/REPNE
 * prefixes (Intel SDM vol. 2 "MOVS/MOVSB/...", "REP/REPE/REPZ/REPNE/REPNZ").
 *
 * rSI/rDI/rCX are used at the address size (in->amask); the source is
 * DS:rSI unless overridden (in->seg), the destination is always ES:rDI.
 * A REP instruction runs to completion inside the handler, updating
 * rSI/rDI/rCX after every element (or every bulk chunk), so a fault leaves
 * the registers describing the completed part and re-executing the
 * instruction resumes it, as on hardware.  Long loops also poll
 * exit_request and leave with RIP at the instruction (an interruptible
 * REP, SDM vol. 2 "REP" Operation).  In debug mode (TF, breakpoints:
 * debug.c) a REP runs one element per execution, RIP staying at the
 * instruction while elements are left, so that single-step and data
 * breakpoint traps come after each iteration (SDM vol. 3 §17.3.1.4).
 */
#include "decode.h"
#include "ops.h"

#define STR_PAGE 4096u
/* Elements between polls of exit_request. */
#define STR_POLL 65536u

static inline int64_t str_delta(struct cpu *c, unsigned size)
{
	return (c->eflags & FL_DF) ? -(int64_t)size : (int64_t)size;
}
static inline uint64_t str_src(struct cpu *c, const struct insn *in)
{
	return seg_lin(c, in->seg, c->regs[R_RSI] & in->amask);
}
static inline uint64_t str_dst(struct cpu *c, const struct insn *in)
{
	return seg_lin(c, SEG_ES, c->regs[R_RDI] & in->amask);
}
static inline void str_adv(struct cpu *c, const struct insn *in, unsigned reg, int64_t d)
{
	set_reg(c, reg, c->regs[reg] + (uint64_t)d, in->addrsize);
}
static inline uint64_t str_count(struct cpu *c, const struct insn *in)
{
	return c->regs[R_RCX] & in->amask;
}
static inline void str_set_count(struct cpu *c, const struct insn *in, uint64_t n)
{
	set_reg(c, R_RCX, n, in->addrsize);
}
/*
 * REP with a zero count and a 32-bit address size in 64-bit mode still
 * writes ECX (zero-extending RCX); MOVS also writes ESI/EDI and STOS EDI
 * (observed on Intel hardware; the other forms leave them alone).
 */
static inline void str_zero_count(struct cpu *c, const struct insn *in, int si, int di)
{
	if (in->addrsize != 4)
		return;
	set_reg(c, R_RCX, 0, 4);
	if (si)
		set_reg(c, R_RSI, c->regs[R_RSI], 4);
	if (di)
		set_reg(c, R_RDI, c->regs[R_RDI], 4);
}

/* Debug mode: one element per execution (see the header). */
static inline bool str_debug(const struct cpu *c)
{
	return unlikely(c->tb_flags & TB_F_DEBUG);
}
#define STR_STEP_END(c, in, n)                      \
	do {                                        \
		if (str_debug(c) && (n)) {          \
			(c)->rip = (in)->rip;       \
			return;                     \
		}                                   \
	} while (0)

/* Leave between two iterations when another thread asked us to stop;
 * the instruction restarts with the registers as they are. */
static inline void str_poll(struct cpu *c, const struct insn *in)
{
	if (unlikely(c->exit_request)) {
		c->exit_request = 0;
		c->rip = in->rip;
		cpu_exit_now(c, EXIT_REQUEST);
	}
}

/* After `done` more elements of a REP with `left` to go: every STR_POLL
 * elements, leave for a pending exit request (a signal) with the state of
 * the completed part, to resume at this instruction. */
static inline void str_progress(struct cpu *c, const struct insn *in, unsigned *poll,
				uint64_t done, uint64_t left)
{
	*poll += (unsigned)done;
	if (*poll >= STR_POLL) {
		*poll = 0;
		if (left)
			str_poll(c, in);
	}
}

/*
 * Number of whole elements that fit, from the offsets in rSI/rDI onwards,
 * before either crosses a page or wraps its address size.  Used for the
 * bulk paths, which run only forward (DF=0) on directly mapped memory.
 */
static inline uint64_t str_room(const struct insn *in, uint64_t lin, uint64_t off)
{
	uint64_t room = STR_PAGE - (lin & (STR_PAGE - 1));
	if (in->amask != ~0ull && in->amask - off + 1 < room)
		room = in->amask - off + 1;
	return room;
}

/* --- MOVS ----------------------------------------------------------- */

static inline void movs_one(struct cpu *c, const struct insn *in, int64_t d)
{
	unsigned size = in->opsize;
	uint64_t v = ld_sz(c, str_src(c, in), size);
	st_sz(c, str_dst(c, in), v, size);
	str_adv(c, in, R_RSI, d);
	str_adv(c, in, R_RDI, d);
}

static void movs(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize;
	int64_t d = str_delta(c, size);
	if (!(in->prefix & (PFX_F2 | PFX_F3))) {
		movs_one(c, in, d);
		return;
	}
	uint64_t n = str_count(c, in);
	unsigned poll = 0;
	if (!n)
		str_zero_count(c, in, 1, 1);
	while (n) {
		if (d > 0 && (c->mem_direct || c->sysmode) && n > 1 && !str_debug(c)) {
			/* Bulk: copy up to the next page boundary of either
			 * side.  A forward element-by-element copy equals
			 * memmove unless the destination starts inside the
			 * source range (then it replicates a pattern). */
			uint64_t si = c->regs[R_RSI] & in->amask, di = c->regs[R_RDI] & in->amask;
			uint64_t src = str_src(c, in), dst = str_dst(c, in);
			uint64_t rs = str_room(in, src, si), rd = str_room(in, dst, di);
			uint64_t k = (rs < rd ? rs : rd) / size;
			if (k > n)
				k = n;
			uint64_t bytes = k * size;
			const void *ps = NULL;
			void *pd = NULL;
			/* System mode: only while both sides are TLB-mapped RAM;
			 * otherwise one element goes the slow way (and fills the
			 * TLB for the next round). */
			if (k > 1 && !(dst > src && dst < src + bytes) &&
			    (ps = cpu_mem_fast(c, src, (unsigned)bytes, 0)) && (pd = cpu_mem_fast(c, dst, (unsigned)bytes, 1))) {
				memmove(pd, ps, bytes);
				str_adv(c, in, R_RSI, (int64_t)bytes);
				str_adv(c, in, R_RDI, (int64_t)bytes);
				n -= k;
				str_set_count(c, in, n);
				str_progress(c, in, &poll, k, n);
				continue;
			}
		}
		movs_one(c, in, d);
		str_set_count(c, in, --n);
		str_progress(c, in, &poll, 1, n);
		STR_STEP_END(c, in, n);
	}
}

/* --- STOS ----------------------------------------------------------- */

/* Fill `bytes` at p with the size-byte element v (little-endian host).  A
 * value whose bytes are all equal (zeroing pages: REP STOSQ of 0) is a
 * memset; otherwise typed stores of the element size (a memcpy of a
 * variable size per element compiles to a REP MOVS each time). */
static void str_fill(uint8_t *p, uint64_t v, unsigned size, uint64_t bytes)
{
	uint64_t bytes_of_v = (v & 0xff) * 0x0101010101010101ull;
	if (size == 1 || (v & (~0ull >> (64 - 8 * size))) == (bytes_of_v & (~0ull >> (64 - 8 * size)))) {
		memset(p, (int)(v & 0xff), bytes);
		return;
	}
	switch (size) {
	case 2:
		for (uint64_t i = 0; i < bytes; i += 2) {
			uint16_t x = (uint16_t)v;
			memcpy(p + i, &x, 2);
		}
		break;
	case 4:
		for (uint64_t i = 0; i < bytes; i += 4) {
			uint32_t x = (uint32_t)v;
			memcpy(p + i, &x, 4);
		}
		break;
	default:
		for (uint64_t i = 0; i < bytes; i += 8)
			memcpy(p + i, &v, 8);
		break;
	}
}

static void stos(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize;
	int64_t d = str_delta(c, size);
	uint64_t v = get_reg(c, R_RAX, size);
	if (!(in->prefix & (PFX_F2 | PFX_F3))) {
		st_sz(c, str_dst(c, in), v, size);
		str_adv(c, in, R_RDI, d);
		return;
	}
	uint64_t n = str_count(c, in);
	unsigned poll = 0;
	if (!n)
		str_zero_count(c, in, 0, 1);
	while (n) {
		if (d > 0 && (c->mem_direct || c->sysmode) && n > 1 && !str_debug(c)) {
			uint64_t di = c->regs[R_RDI] & in->amask, dst = str_dst(c, in);
			uint64_t k = str_room(in, dst, di) / size;
			if (k > n)
				k = n;
			uint64_t bytes = k * size;
			uint8_t *pd;
			if (k > 1 && (pd = cpu_mem_fast(c, dst, (unsigned)bytes, 1))) {
				str_fill(pd, v, size, bytes);
				str_adv(c, in, R_RDI, (int64_t)bytes);
				n -= k;
				str_set_count(c, in, n);
				str_progress(c, in, &poll, k, n);
				continue;
			}
		}
		st_sz(c, str_dst(c, in), v, size);
		str_adv(c, in, R_RDI, d);
		str_set_count(c, in, --n);
		str_progress(c, in, &poll, 1, n);
		STR_STEP_END(c, in, n);
	}
}

/* --- LODS ----------------------------------------------------------- */

static void lods(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize;
	int64_t d = str_delta(c, size);
	if (!(in->prefix & (PFX_F2 | PFX_F3))) {
		uint64_t v = ld_sz(c, str_src(c, in), size);
		set_reg(c, R_RAX, v, size);
		str_adv(c, in, R_RSI, d);
		return;
	}
	uint64_t n = str_count(c, in);
	unsigned poll = 0;
	if (!n)
		str_zero_count(c, in, 0, 0);
	while (n) {
		uint64_t v = ld_sz(c, str_src(c, in), size);
		set_reg(c, R_RAX, v, size);
		str_adv(c, in, R_RSI, d);
		str_set_count(c, in, --n);
		str_progress(c, in, &poll, 1, n);
		STR_STEP_END(c, in, n);
	}
}

/* --- CMPS / SCAS ---------------------------------------------------- */

/* REPE (F3) continues while equal, REPNE (F2) while not equal; the
 * flags are those of the last comparison.  F3 wins if both are present
 * (the decoder does not record their order). */
static inline bool str_rep_stop(const struct insn *in, uint64_t a, uint64_t b, unsigned size)
{
	bool eq = ((a ^ b) & size_mask(size)) == 0;
	return (in->prefix & PFX_F3) ? !eq : eq;
}

static void cmps(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize, sz = cc_sz(size);
	int64_t d = str_delta(c, size);
	bool rep = in->prefix & (PFX_F2 | PFX_F3);
	uint64_t n = rep ? str_count(c, in) : 1;
	unsigned poll = 0;
	if (!n)
		str_zero_count(c, in, 0, 0);
	while (n) {
		/* first operand DS:rSI, second ES:rDI (SDM "CMPS") */
		uint64_t a = ld_sz(c, str_src(c, in), size);
		uint64_t b = ld_sz(c, str_dst(c, in), size);
		str_adv(c, in, R_RSI, d);
		str_adv(c, in, R_RDI, d);
		cc_set(c, CC_SUB | sz, a - b, b, 0);
		if (!rep)
			return;
		str_set_count(c, in, --n);
		if (str_rep_stop(in, a, b, size))
			return;
		str_progress(c, in, &poll, 1, n);
		STR_STEP_END(c, in, n);
	}
}

static void scas(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize, sz = cc_sz(size);
	int64_t d = str_delta(c, size);
	bool rep = in->prefix & (PFX_F2 | PFX_F3);
	uint64_t a = get_reg(c, R_RAX, size);
	uint64_t n = rep ? str_count(c, in) : 1;
	unsigned poll = 0;
	if (!n)
		str_zero_count(c, in, 0, 0);
	while (n) {
		if (rep && size == 1 && d > 0 && !(in->prefix & PFX_F3) && c->mem_direct && n > 1 && !str_debug(c)) {
			/* REPNE SCASB (strlen/memchr idiom): memchr a chunk. */
			uint64_t di = c->regs[R_RDI] & in->amask, dst = str_dst(c, in);
			uint64_t k = str_room(in, dst, di);
			if (k > n)
				k = n;
			const uint8_t *p = cpu_mem(c, dst, (unsigned)k, 0);
			const uint8_t *hit = memchr(p, (int)(uint8_t)a, k);
			uint64_t done = hit ? (uint64_t)(hit - p) + 1 : k;
			uint8_t last = p[done - 1];
			str_adv(c, in, R_RDI, (int64_t)done);
			n -= done;
			str_set_count(c, in, n);
			cc_set(c, CC_SUB | sz, (uint8_t)a - last, last, 0);
			if (hit)
				return;
			str_progress(c, in, &poll, done, n);
			continue;
		}
		uint64_t b = ld_sz(c, str_dst(c, in), size);
		str_adv(c, in, R_RDI, d);
		cc_set(c, CC_SUB | sz, a - b, b, 0);
		if (!rep)
			return;
		str_set_count(c, in, --n);
		if (str_rep_stop(in, a, b, size))
			return;
		str_progress(c, in, &poll, 1, n);
		STR_STEP_END(c, in, n);
	}
}

#define M1 MAP_1B
#define B F_BYTE

const struct opdesc ops_string[] = {
	OP(M1, 0xa4, B | F_REPOK, movs, 0),
	OP(M1, 0xa5, F_REPOK, movs, 0),
	OP(M1, 0xa6, B | F_REPOK, cmps, 0),
	OP(M1, 0xa7, F_REPOK, cmps, 0),
	OP(M1, 0xaa, B | F_REPOK, stos, 0),
	OP(M1, 0xab, F_REPOK, stos, 0),
	OP(M1, 0xac, B | F_REPOK, lods, 0),
	OP(M1, 0xad, F_REPOK, lods, 0),
	OP(M1, 0xae, B | F_REPOK, scas, 0),
	OP(M1, 0xaf, F_REPOK, scas, 0),
	{ 0 },
};
