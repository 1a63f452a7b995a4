/*
 * Protected-mode segmentation (Intel SDM vol. 3 ch. 3 and ch. 5): loading
 * segment registers from the GDT/LDT with their privilege checks, far
 * JMP/CALL/RET including call gates and stack switches through the TSS
 * (ch. 7), the TSS I/O permission bitmap, and LAR/LSL/VERR/VERW/LLDT/LTR.
 *
 * Every check is done and every store to a new stack made before any
 * register changes, so a fault leaves the state of the instruction start.
 */
#include "decode.h"
#include "ops.h"
#include "sys.h"

/* --- descriptors --------------------------------------------------- */

uint64_t seg_desc_addr(struct cpu *c, uint16_t sel)
{
	uint64_t base = (sel & 4) ? c->ldt.base : c->gdt.base;
	return base + (sel & ~7u);
}

int seg_read_desc(struct cpu *c, uint16_t sel, uint32_t d[2])
{
	uint32_t limit;
	if (sel & 4) {
		/* An LDT selector with no LDT loaded is beyond its limit. */
		if ((c->ldt.sel & ~3u) == 0 || !(c->ldt.flags & DESC_P))
			return -1;
		limit = c->ldt.limit;
	} else {
		limit = c->gdt.limit;
	}
	if ((uint32_t)(sel & ~7u) + 7 > limit)
		return -1;
	uint64_t a = seg_desc_addr(c, sel);
	uint64_t v = cpu_ld_sys(c, a, 8);
	d[0] = (uint32_t)v;
	d[1] = (uint32_t)(v >> 32);
	return 0;
}

/* Upper 8 bytes of a 16-byte system descriptor (long mode: LDT, TSS,
 * call gate).  Beyond the limit counts as the descriptor's own fault. */
static int seg_read_desc_hi(struct cpu *c, uint16_t sel, uint32_t d[2])
{
	uint32_t limit = (sel & 4) ? c->ldt.limit : c->gdt.limit;
	if ((uint32_t)(sel & ~7u) + 15 > limit)
		return -1;
	uint64_t v = cpu_ld_sys(c, seg_desc_addr(c, sel) + 8, 8);
	d[0] = (uint32_t)v;
	d[1] = (uint32_t)(v >> 32);
	return 0;
}

void seg_set_accessed(struct cpu *c, uint16_t sel, uint32_t hi)
{
	/* Only written when clear: Linux maps its GDT read-only with the
	 * accessed bits preset (SDM vol. 3 §3.4.5.1). */
	if (!(hi & DESC_A))
		cpu_st_sys(c, seg_desc_addr(c, sel) + 5, ((hi | DESC_A) >> 8) & 0xff, 1);
}

void seg_cache(struct cpu *c, int seg, uint16_t sel, uint32_t lo, uint32_t hi)
{
	c->seg[seg].sel = sel;
	c->seg[seg].base = desc_base(lo, hi);
	c->seg[seg].limit = desc_limit(lo, hi);
	c->seg[seg].flags = hi & 0x00ffff00u;
}

void seg_flat(struct cpu *c, int seg, uint16_t sel, uint32_t flags)
{
	c->seg[seg].sel = sel;
	c->seg[seg].base = 0;
	c->seg[seg].limit = 0xffffffff;
	c->seg[seg].flags = flags;
}

void seg_null(struct cpu *c, int seg, uint16_t sel)
{
	/* The base is kept (FS/GS in 64-bit mode keep their MSR base on a
	 * null load on Intel only after a WRMSR; clearing matches AMD and
	 * QEMU).  P = 0 marks the register unusable. */
	c->seg[seg].sel = sel;
	c->seg[seg].base = 0;
	c->seg[seg].limit = 0;
	c->seg[seg].flags = 0;
}

void seg_set_cpl(struct cpu *c, unsigned cpl)
{
	c->cpl = cpl;
	cpu_mmu_update(c);
}

/* Real mode and VM86: base = selector * 16 (SDM vol. 3 §20.1.1).  Real
 * mode keeps the cached limit and attributes ("unreal" mode). */
void seg_load_real(struct cpu *c, int seg, uint16_t sel)
{
	c->seg[seg].sel = sel;
	c->seg[seg].base = (uint64_t)sel << 4;
	if (sys_vm86(c)) {
		c->seg[seg].limit = 0xffff;
		c->seg[seg].flags = DESC_P | DESC_S | DESC_W | DESC_A | (3u << DESC_DPL_SHIFT) |
				    (seg == SEG_CS ? DESC_CODE : 0);
	}
}

void seg_load_data(struct cpu *c, int seg, uint16_t sel)
{
	if (!sys_prot(c) || sys_vm86(c)) {
		seg_load_real(c, seg, sel);
		cpu_update_mode(c);
		return;
	}
	unsigned rpl = sel & 3, cpl = c->cpl;
	uint32_t d[2];
	if ((sel & ~3u) == 0) {
		/* Null selector: fine for data segments; SS only in 64-bit mode
		 * at CPL < 3 with RPL == CPL (SDM vol. 2, MOV). */
		if (seg == SEG_SS && !(sys_code64(c) && cpl < 3 && rpl == cpl))
			cpu_raise(c, EXC_GP, 0);
		seg_null(c, seg, sel);
		if (seg == SEG_SS)
			c->seg[seg].flags = (cpl << DESC_DPL_SHIFT) | DESC_B;
		cpu_update_mode(c);
		return;
	}
	if (seg_read_desc(c, sel, d))
		cpu_raise(c, EXC_GP, sel & ~3u);
	uint32_t hi = d[1];
	unsigned dpl = desc_dpl(hi);
	if (seg == SEG_SS) {
		/* writable data, RPL == DPL == CPL */
		if (!(hi & DESC_S) || (hi & DESC_CODE) || !(hi & DESC_W) || rpl != cpl || dpl != cpl)
			cpu_raise(c, EXC_GP, sel & ~3u);
		if (!(hi & DESC_P))
			cpu_raise(c, EXC_SS, sel & ~3u);
	} else {
		/* data or readable code; for data and non-conforming code
		 * max(CPL, RPL) <= DPL */
		if (!(hi & DESC_S) || ((hi & DESC_CODE) && !(hi & DESC_W)))
			cpu_raise(c, EXC_GP, sel & ~3u);
		if (!((hi & DESC_CODE) && (hi & DESC_C)) && (rpl > dpl || cpl > dpl))
			cpu_raise(c, EXC_GP, sel & ~3u);
		if (!(hi & DESC_P))
			cpu_raise(c, EXC_NP, sel & ~3u);
	}
	seg_set_accessed(c, sel, hi);
	seg_cache(c, seg, sel, d[0], hi | DESC_A);
	cpu_update_mode(c);
}

void seg_fixup_data(struct cpu *c)
{
	static const int segs[4] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
	for (int i = 0; i < 4; i++) {
		struct seg *s = &c->seg[segs[i]];
		uint32_t f = s->flags;
		bool conf_code = (f & DESC_CODE) && (f & DESC_C);
		/* Null selectors are left alone (FS/GS bases in 64-bit mode). */
		if ((s->sel & ~3u) == 0)
			continue;
		if (!conf_code && desc_dpl(f) < c->cpl)
			seg_null(c, segs[i], 0);
	}
}

/* --- stacks -------------------------------------------------------- */

void stk_push(struct cpu *c, struct sys_stack *s, uint64_t v, unsigned size)
{
	s->sp = (s->sp - size) & s->mask;
	uint64_t a = (s->base + s->sp) & s->lmask;
	if (s->sv)
		cpu_st_sys(c, a, v, size);
	else
		st_sz(c, a, v, size);
}

uint64_t stk_pop(struct cpu *c, struct sys_stack *s, unsigned size)
{
	uint64_t a = (s->base + s->sp) & s->lmask;
	uint64_t v = s->sv ? cpu_ld_sys(c, a, size) : ld_sz(c, a, size);
	s->sp = (s->sp + size) & s->mask;
	return v;
}

void stk_current(struct cpu *c, struct sys_stack *s)
{
	unsigned ss = stack_size(c);
	s->base = c->seg_base[SEG_SS];
	s->mask = size_mask(ss);
	s->sp = c->regs[R_RSP] & s->mask;
	s->lmask = c->lin_mask;
	s->sv = false;
}

void stk_commit(struct cpu *c, const struct sys_stack *s)
{
	if (s->mask == ~0ull)
		c->regs[R_RSP] = s->sp;
	else if (s->mask == 0xffffffffull)
		c->regs[R_RSP] = (uint32_t)s->sp; /* writes to ESP zero-extend */
	else
		c->regs[R_RSP] = (c->regs[R_RSP] & ~0xffffull) | (s->sp & 0xffff);
}

/* --- TSS ----------------------------------------------------------- */

void seg_tss_stack(struct cpu *c, unsigned dpl, uint16_t *ss, uint64_t *sp, uint32_t ext)
{
	unsigned type = desc_type(c->tr.flags);
	if (!(c->tr.flags & DESC_P))
		cpu_raise(c, EXC_TS, (c->tr.sel & ~3u) | ext);
	if (type == SYS_TSS16_AVAIL || type == SYS_TSS16_BUSY) {
		/* 16-bit TSS: SP0 at 2, SS0 at 4, 4 bytes per level */
		uint32_t off = 2 + dpl * 4;
		if (off + 3 > c->tr.limit)
			cpu_raise(c, EXC_TS, (c->tr.sel & ~3u) | ext);
		*sp = cpu_ld_sys(c, c->tr.base + off, 2);
		*ss = (uint16_t)cpu_ld_sys(c, c->tr.base + off + 2, 2);
	} else {
		/* 32-bit TSS: ESP0 at 4, SS0 at 8, 8 bytes per level */
		uint32_t off = 4 + dpl * 8;
		if (off + 5 > c->tr.limit)
			cpu_raise(c, EXC_TS, (c->tr.sel & ~3u) | ext);
		*sp = cpu_ld_sys(c, c->tr.base + off, 4);
		*ss = (uint16_t)cpu_ld_sys(c, c->tr.base + off + 4, 2);
	}
}

uint64_t seg_tss_rsp64(struct cpu *c, unsigned idx, uint32_t ext)
{
	/* RSPn at 4 + 8n, ISTn at 0x24 + 8(n-1) = 4 + 8(n+3) (SDM vol. 3 §7.7) */
	uint32_t off = 4 + 8 * idx;
	if (!(c->tr.flags & DESC_P) || off + 7 > c->tr.limit)
		cpu_raise(c, EXC_TS, (c->tr.sel & ~3u) | ext);
	return cpu_ld_sys(c, c->tr.base + off, 8);
}

void seg_check_new_ss(struct cpu *c, uint16_t ss, unsigned cpl, uint32_t d[2], int fault, uint32_t ext)
{
	uint32_t err = (ss & ~3u) | ext;
	if ((ss & ~3u) == 0)
		cpu_raise(c, fault, ext);
	if ((ss & 3) != cpl || seg_read_desc(c, ss, d))
		cpu_raise(c, fault, err);
	uint32_t hi = d[1];
	if (!(hi & DESC_S) || (hi & DESC_CODE) || !(hi & DESC_W) || desc_dpl(hi) != cpl)
		cpu_raise(c, fault, err);
	if (!(hi & DESC_P))
		cpu_raise(c, EXC_SS, err);
}

void seg_io_check(struct cpu *c, uint16_t port, unsigned size)
{
	if (!sys_prot(c))
		return;
	if (!sys_vm86(c) && c->cpl <= sys_iopl(c))
		return;
	if (!c->sysmode)
		cpu_raise(c, EXC_GP, 0);
	/* SDM vol. 1 §19.5.2: a 32-bit TSS, bitmap base at 0x66, two bytes
	 * read so accesses crossing a byte boundary are covered. */
	unsigned type = desc_type(c->tr.flags);
	if (!(c->tr.flags & DESC_P) || (type != SYS_TSS32_AVAIL && type != SYS_TSS32_BUSY) ||
	    c->tr.limit < 0x67)
		cpu_raise(c, EXC_GP, 0);
	uint32_t base = (uint32_t)cpu_ld_sys(c, c->tr.base + 0x66, 2);
	uint32_t off = base + port / 8;
	if (off + 1 > c->tr.limit)
		cpu_raise(c, EXC_GP, 0);
	uint32_t bits = (uint32_t)cpu_ld_sys(c, c->tr.base + off, 2);
	uint32_t mask = ((1u << size) - 1) << (port & 7);
	if (bits & mask)
		cpu_raise(c, EXC_GP, 0);
}

void seg_task_unsupported(struct cpu *c, const char *why)
{
	/* Hardware task switching is not implemented: report it and stop
	 * the machine the way a triple fault would (the guest cannot
	 * continue meaningfully). */
	sys_log(c, 0, "unsupported: task switch (%s) at rip=%#llx; shutting down\n", why,
		(unsigned long long)c->rip);
	c->exc_vector = -1;
	c->shutdown = true;
	cpu_exit_now(c, EXIT_SHUTDOWN);
}

/* --- far transfers ------------------------------------------------- */

/* Checks of a code-segment descriptor as a far JMP/CALL target (not
 * through a gate): SDM vol. 2, JMP and CALL "protected mode". */
static void check_direct_code(struct cpu *c, uint16_t sel, uint32_t hi)
{
	unsigned dpl = desc_dpl(hi), rpl = sel & 3;
	if (hi & DESC_C) {
		if (dpl > c->cpl)
			cpu_raise(c, EXC_GP, sel & ~3u);
	} else if (rpl > c->cpl || dpl != c->cpl) {
		cpu_raise(c, EXC_GP, sel & ~3u);
	}
	if (!(hi & DESC_P))
		cpu_raise(c, EXC_NP, sel & ~3u);
	/* 64-bit CS with D set is reserved */
	if (sys_long(c) && (hi & DESC_L) && (hi & DESC_B))
		cpu_raise(c, EXC_GP, sel & ~3u);
}

/* Offset limit check for a non-64-bit target code segment. */
static void check_target_off(struct cpu *c, uint32_t lo, uint32_t hi, uint64_t off)
{
	if (sys_long(c) && (hi & DESC_L)) {
		/* canonical check (48-bit) */
		if ((uint64_t)((int64_t)(off << 16) >> 16) != off)
			cpu_raise(c, EXC_GP, 0);
		return;
	}
	if (off > desc_limit(lo, hi))
		cpu_raise(c, EXC_GP, 0);
}

static void load_cs(struct cpu *c, uint16_t sel, uint32_t d[2], unsigned cpl)
{
	seg_cache(c, SEG_CS, (uint16_t)((sel & ~3u) | cpl), d[0], d[1] | DESC_A);
	if (cpl != c->cpl)
		seg_set_cpl(c, cpl);
	cpu_update_mode(c);
}

/* Resolve a call gate: returns the target selector/offset/descriptor and
 * the number of parameters (32/16-bit gates); *gate64 for long mode. */
struct gate {
	uint16_t sel;
	uint64_t off;
	uint32_t d[2];     /* target code descriptor */
	unsigned params;
	unsigned size;     /* 2, 4 or 8: push size of the gate */
};

static void call_gate(struct cpu *c, uint16_t gsel, uint32_t gd[2], bool is_call, struct gate *g)
{
	unsigned type = desc_type(gd[1]), dpl = desc_dpl(gd[1]);
	if (dpl < c->cpl || dpl < (gsel & 3u))
		cpu_raise(c, EXC_GP, gsel & ~3u);
	if (!(gd[1] & DESC_P))
		cpu_raise(c, EXC_NP, gsel & ~3u);
	g->sel = (uint16_t)(gd[0] >> 16);
	g->off = (gd[0] & 0xffff) | (gd[1] & 0xffff0000u);
	g->params = gd[1] & 31;
	g->size = type == SYS_CALLGATE16 ? 2 : 4;
	if (sys_long(c)) {
		uint32_t h[2];
		if (seg_read_desc_hi(c, gsel, h))
			cpu_raise(c, EXC_GP, gsel & ~3u);
		if (((h[1] >> 8) & 0x1f) != 0)
			cpu_raise(c, EXC_GP, gsel & ~3u);
		g->off |= (uint64_t)h[0] << 32;
		g->size = 8;
		g->params = 0;
	} else {
		g->off &= g->size == 2 ? 0xffff : 0xffffffff;
	}
	if ((g->sel & ~3u) == 0)
		cpu_raise(c, EXC_GP, 0);
	if (seg_read_desc(c, g->sel, g->d))
		cpu_raise(c, EXC_GP, g->sel & ~3u);
	uint32_t hi = g->d[1];
	if (!(hi & DESC_S) || !(hi & DESC_CODE) || desc_dpl(hi) > c->cpl)
		cpu_raise(c, EXC_GP, g->sel & ~3u);
	if (!is_call && !(hi & DESC_C) && desc_dpl(hi) != c->cpl)
		cpu_raise(c, EXC_GP, g->sel & ~3u);
	if (!(hi & DESC_P))
		cpu_raise(c, EXC_NP, g->sel & ~3u);
	if (sys_long(c) && (!(hi & DESC_L) || (hi & DESC_B)))
		cpu_raise(c, EXC_GP, g->sel & ~3u);
	check_target_off(c, g->d[0], hi, g->off);
}

/* Real mode and VM86: CS = sel, base = sel << 4. */
static void far_real(struct cpu *c, uint16_t sel, uint64_t off)
{
	seg_load_real(c, SEG_CS, sel);
	cpu_update_mode(c);
	c->rip = off;
}

/* JMP/CALL to a TSS descriptor or a task gate (SDM vol. 3 §7.3). */
static void far_task(struct cpu *c, uint16_t sel, uint32_t d[2], int reason, uint64_t next_rip)
{
	unsigned dpl = desc_dpl(d[1]);
	if (dpl < c->cpl || dpl < (sel & 3u))
		cpu_raise(c, EXC_GP, sel & ~3u);
	if (!(d[1] & DESC_P))
		cpu_raise(c, EXC_NP, sel & ~3u);
	uint16_t tss = sel;
	if (desc_type(d[1]) == SYS_TASKGATE)
		tss = (uint16_t)(d[0] >> 16);
	seg_task_switch(c, tss, reason, next_rip, false, 0);
}

void seg_far_jmp(struct cpu *c, uint16_t sel, uint64_t off, unsigned opsize, uint64_t next_rip)
{
	if (!sys_prot(c) || sys_vm86(c)) {
		far_real(c, sel, off & size_mask(opsize));
		return;
	}
	uint32_t d[2];
	if ((sel & ~3u) == 0)
		cpu_raise(c, EXC_GP, 0);
	if (seg_read_desc(c, sel, d))
		cpu_raise(c, EXC_GP, sel & ~3u);
	uint32_t hi = d[1];
	if (hi & DESC_S) {
		if (!(hi & DESC_CODE))
			cpu_raise(c, EXC_GP, sel & ~3u);
		check_direct_code(c, sel, hi);
		if (!(sys_long(c) && (hi & DESC_L)))
			off &= size_mask(opsize);
		check_target_off(c, d[0], hi, off);
		seg_set_accessed(c, sel, hi);
		load_cs(c, sel, d, c->cpl);
		c->rip = off;
		return;
	}
	unsigned type = desc_type(hi);
	if (type == SYS_CALLGATE32 || (type == SYS_CALLGATE16 && !sys_long(c))) {
		struct gate g;
		call_gate(c, sel, d, false, &g);
		seg_set_accessed(c, g.sel, g.d[1]);
		load_cs(c, g.sel, g.d, c->cpl);
		c->rip = g.off;
		return;
	}
	if (!sys_long(c) && (type == SYS_TASKGATE || type == SYS_TSS16_AVAIL || type == SYS_TSS32_AVAIL)) {
		far_task(c, sel, d, TASK_JMP, next_rip);
		return;
	}
	cpu_raise(c, EXC_GP, sel & ~3u);
}

void seg_far_call(struct cpu *c, uint16_t sel, uint64_t off, unsigned opsize, uint64_t next_rip)
{
	struct sys_stack s;
	if (!sys_prot(c) || sys_vm86(c)) {
		stk_current(c, &s);
		stk_push(c, &s, c->seg[SEG_CS].sel, opsize);
		stk_push(c, &s, next_rip, opsize);
		stk_commit(c, &s);
		far_real(c, sel, off & size_mask(opsize));
		return;
	}
	uint32_t d[2];
	if ((sel & ~3u) == 0)
		cpu_raise(c, EXC_GP, 0);
	if (seg_read_desc(c, sel, d))
		cpu_raise(c, EXC_GP, sel & ~3u);
	uint32_t hi = d[1];
	if (hi & DESC_S) {
		if (!(hi & DESC_CODE))
			cpu_raise(c, EXC_GP, sel & ~3u);
		check_direct_code(c, sel, hi);
		if (!(sys_long(c) && (hi & DESC_L)))
			off &= size_mask(opsize);
		check_target_off(c, d[0], hi, off);
		stk_current(c, &s);
		stk_push(c, &s, c->seg[SEG_CS].sel, opsize);
		stk_push(c, &s, next_rip, opsize);
		seg_set_accessed(c, sel, hi);
		stk_commit(c, &s);
		load_cs(c, sel, d, c->cpl);
		c->rip = off;
		return;
	}
	unsigned type = desc_type(hi);
	if (!(type == SYS_CALLGATE32 || (type == SYS_CALLGATE16 && !sys_long(c)))) {
		if (!sys_long(c) && (type == SYS_TASKGATE || type == SYS_TSS16_AVAIL ||
				     type == SYS_TSS32_AVAIL)) {
			far_task(c, sel, d, TASK_CALL, next_rip);
			return;
		}
		cpu_raise(c, EXC_GP, sel & ~3u);
	}
	struct gate g;
	call_gate(c, sel, d, true, &g);
	unsigned dpl = desc_dpl(g.d[1]);
	uint16_t old_ss = c->seg[SEG_SS].sel, old_cs = c->seg[SEG_CS].sel;
	uint64_t old_sp = c->regs[R_RSP];
	if (!(g.d[1] & DESC_C) && dpl < c->cpl) {
		/* More privileged: switch to the TSS stack of level dpl and copy
		 * the parameters (SDM vol. 3 §5.8.5). */
		uint16_t nss;
		uint64_t nsp;
		uint32_t ssd[2] = { 0, 0 };
		if (g.size == 8) {
			nsp = seg_tss_rsp64(c, dpl, 0);
			nss = (uint16_t)dpl;
			s.base = 0;
			s.mask = ~0ull;
			s.lmask = ~0ull;
		} else {
			seg_tss_stack(c, dpl, &nss, &nsp, 0);
			seg_check_new_ss(c, nss, dpl, ssd, EXC_TS, 0);
			s.base = desc_base(ssd[0], ssd[1]);
			s.mask = (ssd[1] & DESC_B) ? 0xffffffffull : 0xffffull;
			s.lmask = 0xffffffffull;
		}
		s.sp = nsp & s.mask;
		s.sv = dpl < 3;
		struct sys_stack old;
		stk_current(c, &old);
		stk_push(c, &s, old_ss, g.size);
		stk_push(c, &s, old_sp, g.size);
		/* parameters, highest first so they keep their order */
		for (unsigned i = g.params; i-- > 0;) {
			uint64_t a = (old.base + ((old.sp + i * g.size) & old.mask)) & old.lmask;
			stk_push(c, &s, ld_sz(c, a, g.size), g.size);
		}
		stk_push(c, &s, old_cs, g.size);
		stk_push(c, &s, next_rip, g.size);
		seg_set_accessed(c, g.sel, g.d[1]);
		if (g.size == 8) {
			seg_null(c, SEG_SS, nss);
			c->seg[SEG_SS].flags = (dpl << DESC_DPL_SHIFT);
		} else {
			seg_set_accessed(c, nss, ssd[1]);
			seg_cache(c, SEG_SS, nss, ssd[0], ssd[1] | DESC_A);
		}
		load_cs(c, g.sel, g.d, dpl);
		stk_commit(c, &s);
		c->rip = g.off;
		return;
	}
	stk_current(c, &s);
	if (g.size == 8)
		s.mask = ~0ull, s.lmask = ~0ull;
	stk_push(c, &s, old_cs, g.size);
	stk_push(c, &s, next_rip, g.size);
	seg_set_accessed(c, g.sel, g.d[1]);
	stk_commit(c, &s);
	load_cs(c, g.sel, g.d, c->cpl);
	c->rip = g.off;
}

/* Checks of the CS popped by RETF/IRET (SDM vol. 2, RET "protected
 * mode" and IRET "PROTECTED-MODE-RETURN"); fills d. */
void seg_check_ret_cs(struct cpu *c, uint16_t sel, uint32_t d[2]);
void seg_check_ret_cs(struct cpu *c, uint16_t sel, uint32_t d[2])
{
	unsigned rpl = sel & 3;
	if ((sel & ~3u) == 0)
		cpu_raise(c, EXC_GP, 0);
	if (seg_read_desc(c, sel, d))
		cpu_raise(c, EXC_GP, sel & ~3u);
	uint32_t hi = d[1];
	if (!(hi & DESC_S) || !(hi & DESC_CODE) || rpl < c->cpl)
		cpu_raise(c, EXC_GP, sel & ~3u);
	if ((hi & DESC_C) ? desc_dpl(hi) > rpl : desc_dpl(hi) != rpl)
		cpu_raise(c, EXC_GP, sel & ~3u);
	if (!(hi & DESC_P))
		cpu_raise(c, EXC_NP, sel & ~3u);
	if (sys_long(c) && (hi & DESC_L) && (hi & DESC_B))
		cpu_raise(c, EXC_GP, sel & ~3u);
}

void seg_far_ret(struct cpu *c, unsigned opsize, unsigned imm)
{
	struct sys_stack s;
	stk_current(c, &s);
	uint64_t off = stk_pop(c, &s, opsize);
	uint16_t sel = (uint16_t)stk_pop(c, &s, opsize);
	if (!sys_prot(c) || sys_vm86(c)) {
		s.sp = (s.sp + imm) & s.mask;
		stk_commit(c, &s);
		far_real(c, sel, off);
		return;
	}
	uint32_t d[2];
	seg_check_ret_cs(c, sel, d);
	unsigned rpl = sel & 3;
	bool to64 = sys_long(c) && (d[1] & DESC_L);
	if (!to64)
		off &= 0xffffffffull;
	if (rpl == c->cpl) {
		check_target_off(c, d[0], d[1], off);
		s.sp = (s.sp + imm) & s.mask;
		seg_set_accessed(c, sel, d[1]);
		stk_commit(c, &s);
		load_cs(c, sel, d, c->cpl);
		c->rip = off;
		return;
	}
	/* Return to an outer level: SS:ESP follow the parameters. */
	s.sp = (s.sp + imm) & s.mask;
	uint64_t nsp = stk_pop(c, &s, opsize);
	uint16_t nss = (uint16_t)stk_pop(c, &s, opsize);
	uint32_t ssd[2] = { 0, 0 };
	if ((nss & ~3u) == 0 && to64 && rpl < 3) {
		/* null SS allowed when returning to 64-bit code at CPL < 3 */
	} else {
		seg_check_new_ss(c, nss, rpl, ssd, EXC_GP, 0);
	}
	check_target_off(c, d[0], d[1], off);
	seg_set_accessed(c, sel, d[1]);
	load_cs(c, sel, d, rpl);
	if ((nss & ~3u) == 0) {
		seg_null(c, SEG_SS, nss);
		c->seg[SEG_SS].flags = rpl << DESC_DPL_SHIFT;
	} else {
		seg_set_accessed(c, nss, ssd[1]);
		seg_cache(c, SEG_SS, nss, ssd[0], ssd[1] | DESC_A);
	}
	cpu_update_mode(c);
	/* The new stack pointer also releases imm bytes of the outer stack. */
	struct sys_stack ns;
	stk_current(c, &ns);
	ns.sp = (nsp + imm) & ns.mask;
	stk_commit(c, &ns);
	seg_fixup_data(c);
	cpu_update_mode(c);
	c->rip = off;
}

/* --- LAR, LSL, VERR, VERW (SDM vol. 2) ------------------------------ */

/* Descriptor of sel if it is visible at the current CPL/RPL for the
 * instruction; ZF reports the outcome. */
static bool seg_visible(struct cpu *c, uint16_t sel, uint32_t d[2], bool lar)
{
	if ((sel & ~3u) == 0 || seg_read_desc(c, sel, d))
		return false;
	uint32_t hi = d[1];
	if (hi & DESC_S) {
		bool conf = (hi & DESC_CODE) && (hi & DESC_C);
		if (!conf && (desc_dpl(hi) < c->cpl || desc_dpl(hi) < (sel & 3u)))
			return false;
		return true;
	}
	unsigned t = desc_type(hi);
	bool ok;
	if (sys_long(c))
		ok = t == SYS_LDT || t == SYS_TSS32_AVAIL || t == SYS_TSS32_BUSY || (lar && t == SYS_CALLGATE32);
	else
		ok = t == SYS_TSS16_AVAIL || t == SYS_LDT || t == SYS_TSS16_BUSY ||
		     t == SYS_TSS32_AVAIL || t == SYS_TSS32_BUSY ||
		     (lar && (t == SYS_CALLGATE16 || t == SYS_TASKGATE || t == SYS_CALLGATE32));
	if (!ok)
		return false;
	return desc_dpl(hi) >= c->cpl && desc_dpl(hi) >= (sel & 3u);
}

static void set_zf(struct cpu *c, bool z)
{
	uint32_t f = cc_compute(c) & ~FL_ZF;
	cc_set_flags(c, f | (z ? FL_ZF : 0));
}

static void need_prot(struct cpu *c)
{
	if (!sys_prot(c) || sys_vm86(c))
		cpu_raise(c, EXC_UD, 0);
}

void op_lar(struct cpu *c, const struct insn *in)
{
	need_prot(c);
	uint16_t sel = (uint16_t)op_rm_sz(c, in, 2);
	uint32_t d[2];
	bool ok = seg_visible(c, sel, d, true);
	if (ok)
		set_reg(c, in->reg, d[1] & 0x00f0ff00u, in->opsize == 2 ? 2 : 4);
	set_zf(c, ok);
}

void op_lsl(struct cpu *c, const struct insn *in)
{
	need_prot(c);
	uint16_t sel = (uint16_t)op_rm_sz(c, in, 2);
	uint32_t d[2];
	bool ok = seg_visible(c, sel, d, false);
	if (ok)
		set_reg(c, in->reg, desc_limit(d[0], d[1]), in->opsize == 2 ? 2 : 4);
	set_zf(c, ok);
}

static void verrw(struct cpu *c, const struct insn *in, bool write)
{
	need_prot(c);
	uint16_t sel = (uint16_t)op_rm_sz(c, in, 2);
	uint32_t d[2];
	bool ok = (sel & ~3u) && !seg_read_desc(c, sel, d) && (d[1] & DESC_S);
	if (ok) {
		uint32_t hi = d[1];
		bool conf = (hi & DESC_CODE) && (hi & DESC_C);
		if (!conf && (desc_dpl(hi) < c->cpl || desc_dpl(hi) < (sel & 3u)))
			ok = false;
		else if (write)
			ok = !(hi & DESC_CODE) && (hi & DESC_W);
		else
			ok = !(hi & DESC_CODE) || (hi & DESC_W);
	}
	set_zf(c, ok);
}
void op_verr(struct cpu *c, const struct insn *in) { verrw(c, in, false); }
void op_verw(struct cpu *c, const struct insn *in) { verrw(c, in, true); }

/* --- LLDT, LTR ------------------------------------------------------ */

static void need_cpl0(struct cpu *c)
{
	need_prot(c);
	if (c->cpl != 0)
		cpu_raise(c, EXC_GP, 0);
}

void op_lldt(struct cpu *c, const struct insn *in)
{
	need_cpl0(c);
	uint16_t sel = (uint16_t)op_rm_sz(c, in, 2);
	uint32_t d[2], h[2] = { 0, 0 };
	if ((sel & ~3u) == 0) {
		c->ldt.sel = sel;
		c->ldt.base = 0;
		c->ldt.limit = 0;
		c->ldt.flags = 0;
		return;
	}
	if ((sel & 4) || seg_read_desc(c, sel, d))
		cpu_raise(c, EXC_GP, sel & ~3u);
	if ((d[1] & DESC_S) || desc_type(d[1]) != SYS_LDT)
		cpu_raise(c, EXC_GP, sel & ~3u);
	if (!(d[1] & DESC_P))
		cpu_raise(c, EXC_NP, sel & ~3u);
	if (sys_long(c) && seg_read_desc_hi(c, sel, h))
		cpu_raise(c, EXC_GP, sel & ~3u);
	c->ldt.sel = sel;
	c->ldt.base = desc_base(d[0], d[1]) | ((uint64_t)h[0] << 32);
	c->ldt.limit = desc_limit(d[0], d[1]);
	c->ldt.flags = d[1] & 0x00ffff00u;
}

void op_ltr(struct cpu *c, const struct insn *in)
{
	need_cpl0(c);
	uint16_t sel = (uint16_t)op_rm_sz(c, in, 2);
	uint32_t d[2], h[2] = { 0, 0 };
	if ((sel & ~3u) == 0)
		cpu_raise(c, EXC_GP, 0);
	if ((sel & 4) || seg_read_desc(c, sel, d))
		cpu_raise(c, EXC_GP, sel & ~3u);
	unsigned t = desc_type(d[1]);
	if ((d[1] & DESC_S) || (t != SYS_TSS32_AVAIL && (sys_long(c) || t != SYS_TSS16_AVAIL)))
		cpu_raise(c, EXC_GP, sel & ~3u);
	if (!(d[1] & DESC_P))
		cpu_raise(c, EXC_NP, sel & ~3u);
	if (sys_long(c) && seg_read_desc_hi(c, sel, h))
		cpu_raise(c, EXC_GP, sel & ~3u);
	/* mark busy (type bit 1) in the GDT */
	cpu_st_sys(c, seg_desc_addr(c, sel) + 5, ((d[1] >> 8) & 0xff) | 2, 1);
	c->tr.sel = sel;
	c->tr.base = desc_base(d[0], d[1]) | ((uint64_t)h[0] << 32);
	c->tr.limit = desc_limit(d[0], d[1]);
	c->tr.flags = (d[1] | (2u << DESC_TYPE_SHIFT)) & 0x00ffff00u;
}
