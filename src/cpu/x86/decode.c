/*
 * x86 instruction decoder: prefixes, REX, the 1-byte/0F/0F38/0F3A maps,
 * ModRM/SIB/displacement/immediates, RIP-relative addressing (Intel SDM
 * vol. 2 ch. 2).  Produces struct insn; never executes anything.
 */
#include "decode.h"
#include "ops.h"

#include <pthread.h>
#include <stdlib.h>

/* The groups that make up the ISA.  Order matters only for duplicates:
 * the first matching entry wins. */
static const struct opdesc *const op_groups[] = {
	/* system first: it takes over INT n, SYSCALL, POPF, RDTSC from the
	 * user-mode-only entries of ops_int/ops_misc */
	ops_sys, ops_sys2,
	ops_int, ops_int2, ops_string, ops_misc, ops_bmi, ops_x87, ops_sse, ops_sse_int, ops_sse_fp, ops_sse_cvt, ops_sse2,
	ops_sse41, ops_sse41fp, ops_sse42, ops_aes,
};

/* Built once from op_groups and read-only afterwards. */
struct decode_index {
	uint16_t start[MAP_NB][256];
	uint16_t count[MAP_NB][256];
	const struct opdesc **ent;
};
static struct decode_index g_index;
static pthread_once_t g_index_once = PTHREAD_ONCE_INIT;

static void index_build(void)
{
	size_t total = 0;
	for (size_t g = 0; g < sizeof(op_groups) / sizeof(op_groups[0]); g++)
		for (const struct opdesc *d = op_groups[g]; d->fn; d++)
			total++;
	const struct opdesc **ent = calloc(total + 1, sizeof(*ent));
	if (!ent)
		abort(); /* at startup, before any guest runs */
	size_t pos = 0;
	for (int m = 0; m < MAP_NB; m++)
		for (int o = 0; o < 256; o++) {
			g_index.start[m][o] = (uint16_t)pos;
			for (size_t g = 0; g < sizeof(op_groups) / sizeof(op_groups[0]); g++)
				for (const struct opdesc *d = op_groups[g]; d->fn; d++)
					if (d->map == m && d->op == o)
						ent[pos++] = d;
			g_index.count[m][o] = (uint16_t)(pos - g_index.start[m][o]);
		}
	g_index.ent = ent;
}

void op_ud(struct cpu *c, const struct insn *in)
{
	(void)in;
	cpu_raise(c, EXC_UD, 0);
}

static void op_gp0(struct cpu *c, const struct insn *in)
{
	(void)in;
	cpu_raise(c, EXC_GP, 0);
}

struct dstate {
	const uint8_t *p;
	size_t avail, pos;
	int truncated;
};

static inline uint64_t fetch(struct dstate *s, unsigned n)
{
	if (s->pos + n > s->avail) {
		s->truncated = 1;
		s->pos += n;
		return 0;
	}
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)s->p[s->pos + i] << (8 * i);
	s->pos += n;
	return v;
}

static bool entry_matches(const struct opdesc *d, unsigned pfx, int has_modrm, uint8_t modrm)
{
	if (d->pfx != pfx)
		return false;
	if (!has_modrm)
		return d->ext < 0 && d->mod == M_ANY;
	unsigned mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
	if (d->ext >= 0 && (unsigned)d->ext != reg)
		return false;
	switch (d->mod) {
	case M_MEM: return mod != 3;
	case M_REG: return mod == 3;
	case M_RM0: return mod == 3 && rm == d->rmval;
	default: return true;
	}
}

static const struct opdesc *lookup(unsigned map, unsigned op, unsigned sel, int has66,
				   int has_modrm, uint8_t modrm, int vex)
{
	unsigned st = g_index.start[map][op], n = g_index.count[map][op];
	unsigned tries[3], nt = 0;
	tries[nt++] = sel;
	/* No fallback from F2/F3 to a 66 form: hardware raises #UD there. */
	(void)has66;
	if (!vex)
		tries[nt++] = P_ANY;
	for (unsigned t = 0; t < nt; t++)
		for (unsigned i = 0; i < n; i++) {
			const struct opdesc *d = g_index.ent[st + i];
			if (!!(d->flags & F_VEX) == vex && entry_matches(d, tries[t], has_modrm, modrm))
				return d;
		}
	return NULL;
}

static bool needs_modrm(unsigned map, unsigned op)
{
	if (map == MAP_0F38 || map == MAP_0F3A)
		return true;
	unsigned st = g_index.start[map][op], n = g_index.count[map][op];
	for (unsigned i = 0; i < n; i++)
		if (g_index.ent[st + i]->flags & F_MODRM)
			return true;
	return false;
}

static void set_fault(struct insn *out, insn_fn fn, int *ends_tb)
{
	out->fn = fn;
	*ends_tb = 1;
}

int x86_decode(struct cpu *c, uint64_t pc, const uint8_t *code, size_t avail,
	       uint32_t tb_flags, struct insn *out, int *ends_tb)
{
	pthread_once(&g_index_once, index_build);
	struct dstate s = { code, avail < 15 ? avail : 15, 0, 0 };
	int code64 = !!(tb_flags & TB_F_CODE64);
	int code32 = !!(tb_flags & TB_F_CODE32);
	unsigned pfx = 0, rex = 0, seg = SEG_COUNT, last_rep = 0;
	uint8_t b;

	memset(out, 0, sizeof(*out));
	out->rip = pc;
	out->base = R_NONE;
	out->index = R_NONE;
	*ends_tb = 0;

	/* Legacy prefixes, then an optional REX immediately before the opcode. */
	for (;;) {
		b = (uint8_t)fetch(&s, 1);
		if (s.truncated)
			return -1;
		switch (b) {
		case 0x66: pfx |= PFX_66; rex = 0; continue;
		case 0x67: pfx |= PFX_67; rex = 0; continue;
		case 0xf0: pfx |= PFX_LOCK; rex = 0; continue;
		case 0xf2: pfx |= PFX_F2; last_rep = P_F2; rex = 0; continue;
		case 0xf3: pfx |= PFX_F3; last_rep = P_F3; rex = 0; continue;
		case 0x26: case 0x2e: case 0x36: case 0x3e:
			/* ES/CS/SS/DS overrides are ignored in 64-bit mode. */
			if (!code64) {
				seg = (b >> 3) & 3;
				pfx |= PFX_SEG;
			}
			rex = 0;
			continue;
		case 0x64: case 0x65:
			seg = b == 0x64 ? SEG_FS : SEG_GS;
			pfx |= PFX_SEG;
			rex = 0;
			continue;
		default: break;
		}
		if (code64 && (b & 0xf0) == 0x40) {
			rex = b;
			continue;
		}
		break;
	}

	/* Opcode and map. */
	unsigned map = MAP_1B;
	if (b == 0x0f) {
		b = (uint8_t)fetch(&s, 1);
		map = MAP_0F;
		if (b == 0x38 || b == 0x3a) {
			map = b == 0x38 ? MAP_0F38 : MAP_0F3A;
			b = (uint8_t)fetch(&s, 1);
		}
	}
	if (s.truncated)
		return -1;
	out->op = b;

	/* VEX (C4/C5): outside 64-bit mode C4/C5 are LES/LDS unless the next
	 * byte has mod == 3 (SDM vol. 2 §2.3.5).  Only the GPR instructions
	 * of BMI1/BMI2 are VEX-encoded entries; CPUID does not advertise AVX,
	 * so every other VEX encoding is #UD.  EVEX (62) likewise. */
	int vex = 0;
	if (map == MAP_1B && (b == 0xc4 || b == 0xc5 || b == 0x62)) {
		if (code64 || (s.pos < s.avail && (s.p[s.pos] >> 6) == 3)) {
			if (b == 0x62 || (pfx & (PFX_66 | PFX_F2 | PFX_F3 | PFX_LOCK)) || rex) {
				fetch(&s, 1);
				out->len = (uint8_t)s.pos;
				out->next_rip = pc + s.pos;
				set_fault(out, op_ud, ends_tb);
				return s.truncated ? -1 : (int)s.pos;
			}
			unsigned p1 = (unsigned)fetch(&s, 1), p2, mmmmm;
			if (b == 0xc5) {
				p2 = p1;
				mmmmm = 1;
				rex = 0x40 | ((p1 & 0x80) ? 0 : 4);
			} else {
				p2 = (unsigned)fetch(&s, 1);
				mmmmm = p1 & 0x1f;
				rex = 0x40 | ((p1 & 0x80) ? 0 : 4) | ((p1 & 0x40) ? 0 : 2) |
				      ((p1 & 0x20) ? 0 : 1) | ((p2 & 0x80) ? 8 : 0);
			}
			if (!code64)
				rex = 0; /* R/X/B/W ignored outside 64-bit mode */
			out->vvvv = (uint8_t)((~p2 >> 3) & (code64 ? 15 : 7));
			out->vex = (uint8_t)(1 | ((p2 & 4) ? 2 : 0));
			static const unsigned pp_pfx[4] = { 0, PFX_66, PFX_F3, PFX_F2 };
			pfx |= pp_pfx[p2 & 3];
			last_rep = (p2 & 3) == 2 ? P_F3 : (p2 & 3) == 3 ? P_F2 : 0;
			b = (uint8_t)fetch(&s, 1);
			if (s.truncated)
				return -1;
			map = mmmmm == 1 ? MAP_0F : mmmmm == 2 ? MAP_0F38 : mmmmm == 3 ? MAP_0F3A : MAP_NB;
			out->op = b;
			vex = 1;
			if (map == MAP_NB) {
				out->len = (uint8_t)s.pos;
				out->next_rip = pc + s.pos;
				set_fault(out, op_ud, ends_tb);
				return (int)s.pos;
			}
		}
	}

	int has_modrm = vex || needs_modrm(map, b);
	uint8_t modrm = 0;
	if (has_modrm) {
		modrm = (uint8_t)fetch(&s, 1);
		if (s.truncated)
			return -1;
	}
	out->modrm = modrm;

	unsigned sel = last_rep ? last_rep : (pfx & PFX_66) ? P_66 : P_NONE;
	if (vex)
		sel = last_rep ? last_rep : (pfx & PFX_66) ? P_66 : P_NONE;
	const struct opdesc *d = lookup(map, b, sel, !!(pfx & PFX_66) && !vex, has_modrm, modrm, vex);
	if (d && (d->flags & F_NO64) && code64)
		d = NULL;
	if (d && (d->flags & F_ONLY64) && !code64)
		d = NULL;
	if (d && d->feat && !cpu_has(c, d->feat))
		d = NULL;

	/* Operand size. */
	unsigned rexw = (rex & 8) != 0;
	unsigned fl = d ? d->flags : 0;
	unsigned opsize;
	if (fl & F_BYTE)
		opsize = 1;
	else if (fl & F_SIZE16)
		opsize = 2;
	else if (fl & F_SIZE32)
		opsize = (rexw && code64) ? 8 : 4;
	else if (code64) {
		if (rexw || (fl & F_FORCE64))
			opsize = 8;
		else if (fl & F_DEF64)
			opsize = (pfx & PFX_66) ? 2 : 8;
		else
			opsize = (pfx & PFX_66) ? 2 : 4;
	} else {
		opsize = code32 ? 4 : 2;
		if (pfx & PFX_66)
			opsize ^= 6;
	}
	unsigned asize = code64 ? ((pfx & PFX_67) ? 4 : 8) : code32 ? ((pfx & PFX_67) ? 2 : 4)
								     : ((pfx & PFX_67) ? 4 : 2);
	out->opsize = (uint8_t)opsize;
	out->addrsize = (uint8_t)asize;
	out->amask = asize == 8 ? ~0ull : asize == 4 ? 0xffffffffull : 0xffffull;
	out->rex = (uint8_t)rex;
	if (rexw)
		pfx |= PFX_REX_W;
	out->prefix = (uint8_t)pfx;

	/* ModRM operand. */
	unsigned default_seg = SEG_DS;
	int riprel = 0;
	if (has_modrm) {
		unsigned mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
		out->reg = (uint8_t)(reg | ((rex & 4) << 1));
		out->reg8 = (uint8_t)((rex || reg < 4) ? out->reg : R8_AH + (reg & 3));
		if (mod == 3) {
			out->rm = (uint8_t)(rm | ((rex & 1) << 3));
			out->rm8 = (uint8_t)((rex || rm < 4) ? out->rm : R8_AH + (rm & 3));
		} else {
			out->mem = 1;
			if (asize == 2) {
				static const uint8_t b16[8] = { R_RBX, R_RBX, R_RBP, R_RBP, R_RSI, R_RDI, R_RBP, R_RBX };
				static const uint8_t i16[8] = { R_RSI, R_RDI, R_RSI, R_RDI, R_NONE, R_NONE, R_NONE, R_NONE };
				out->base = b16[rm];
				out->index = i16[rm];
				if (mod == 0 && rm == 6) {
					out->base = R_NONE;
					out->disp = (int16_t)fetch(&s, 2);
				} else if (mod == 1) {
					out->disp = (int8_t)fetch(&s, 1);
				} else if (mod == 2) {
					out->disp = (int16_t)fetch(&s, 2);
				}
				if (out->base == R_RBP)
					default_seg = SEG_SS;
			} else {
				unsigned base = rm;
				if (rm == 4) {
					uint8_t sib = (uint8_t)fetch(&s, 1);
					unsigned idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
					out->scale = sib >> 6;
					out->index = (uint8_t)(idx == 4 ? R_NONE : idx);
					base = sib & 7;
					if (base == 5 && mod == 0) {
						out->base = R_NONE;
						out->disp = (int32_t)fetch(&s, 4);
					} else {
						out->base = (uint8_t)(base | ((rex & 1) << 3));
					}
				} else if (rm == 5 && mod == 0) {
					out->disp = (int32_t)fetch(&s, 4);
					riprel = code64;
				} else {
					out->base = (uint8_t)(rm | ((rex & 1) << 3));
				}
				if (mod == 1)
					out->disp = (int8_t)fetch(&s, 1);
				else if (mod == 2)
					out->disp = (int32_t)fetch(&s, 4);
				if (out->base == R_RSP || out->base == R_RBP)
					default_seg = SEG_SS;
			}
		}
	} else {
		/* Register encoded in the opcode's low 3 bits. */
		out->reg = (uint8_t)((b & 7) | ((rex & 1) << 3));
		out->reg8 = (uint8_t)((rex || (b & 7) < 4) ? out->reg : R8_AH + (b & 3));
		out->rm = out->reg;
		out->rm8 = out->reg8;
	}
	out->seg = (uint8_t)(seg != SEG_COUNT ? seg : default_seg);

	/* Immediates. */
	if (fl & F_ENTER) {
		out->imm = fetch(&s, 2);
		out->imm2 = fetch(&s, 1);
	} else if (fl & F_IMM16) {
		out->imm = fetch(&s, 2);
	} else if (fl & F_IMM8) {
		out->imm = (uint64_t)(int64_t)(int8_t)fetch(&s, 1);
	} else if (fl & F_IMM8U) {
		out->imm = fetch(&s, 1);
	} else if (fl & F_IMMV) {
		out->imm = fetch(&s, opsize);
	} else if (fl & F_IMMZ) {
		if (opsize == 2)
			out->imm = (uint64_t)(int64_t)(int16_t)fetch(&s, 2);
		else
			out->imm = (uint64_t)(int64_t)(int32_t)fetch(&s, 4);
	} else if (fl & F_REL) {
		/* near relative: rel16 only outside 64-bit mode with 16-bit size */
		if (opsize == 2 && !code64)
			out->imm = (uint64_t)(int64_t)(int16_t)fetch(&s, 2);
		else
			out->imm = (uint64_t)(int64_t)(int32_t)fetch(&s, 4);
	} else if (fl & F_MOFFS) {
		out->disp = (int64_t)fetch(&s, asize);
		out->mem = 1;
	} else if (fl & F_FAR) {
		out->imm = fetch(&s, opsize == 2 ? 2 : 4);
		out->imm2 = fetch(&s, 2);
	}
	if (s.truncated)
		return -1;

	if (s.pos > 15) {
		/* Too long (SDM vol. 2 §2.3.11): #GP(0). */
		out->len = 15;
		out->next_rip = pc + 15;
		set_fault(out, op_gp0, ends_tb);
		return 15;
	}
	out->len = (uint8_t)s.pos;
	out->next_rip = pc + s.pos;
	if (!code64 && !(tb_flags & TB_F_CODE64))
		out->next_rip &= code32 ? 0xffffffffull : 0xffffull;

	if ((fl & F_REL)) {
		uint64_t t = out->next_rip + out->imm;
		if (!code64)
			t &= opsize == 2 ? 0xffff : 0xffffffff;
		out->imm = t;
	}
	if (riprel)
		out->disp += (int64_t)out->next_rip;

	if (!d) {
		set_fault(out, op_ud, ends_tb);
		return (int)s.pos;
	}
	/* LOCK only on lockable instructions with a memory destination. */
	if ((pfx & PFX_LOCK) && (!(fl & F_LOCK) || !out->mem)) {
		set_fault(out, op_ud, ends_tb);
		return (int)s.pos;
	}
	out->aux = d->aux;
	out->fn = d->fn;
	out->flg = (fl & F_WFLAGS) ? INSN_FLG_KILL : (fl & F_NOFLAGS) ? INSN_FLG_NONE
		 : (fl & F_INCDEC) ? INSN_FLG_INCDEC : INSN_FLG_OTHER;
	if (!(fl & F_VEX) && d->pfx == P_ANY) {
		unsigned have = out->mem ? FPC_MEM : FPC_REG;
		if (out->mem && code64 && asize == 8 && out->seg != SEG_FS && out->seg != SEG_GS)
			have |= FPC_FLAT;
		have |= opsize == 8 ? FPC_SZ8 : opsize == 4 ? FPC_SZ4 : opsize == 1 ? FPC_SZ1 : FPC_SZ2;
		if (!out->mem && out->reg == out->rm)
			have |= FPC_SAMEREG;
		if (!(pfx & PFX_LOCK))
			have |= FPC_NOLOCK;
		for (const struct insn_fastpath *f = insn_fastpaths; f->fn; f++) {
			if (f->map != map || f->op != b)
				continue;
			if (f->ext >= 0 && (unsigned)f->ext != ((modrm >> 3) & 7))
				continue;
			if ((f->cond & have) == f->cond) {
				out->fn = f->fn;
				break;
			}
		}
	}
	if (fl & F_TERM)
		*ends_tb = 1;
	return (int)s.pos;
}
