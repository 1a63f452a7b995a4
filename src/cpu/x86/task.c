/*
 * Hardware task switching with 32-bit TSSs (Intel SDM vol. 3 ch. 7): far
 * JMP/CALL to a TSS descriptor or a task gate, interrupts through an IDT
 * task gate, and IRET with EFLAGS.NT.  16-bit TSSs and switching into
 * virtual-8086 mode are not implemented (logged, then the machine stops
 * as on a triple fault).
 */
#include "decode.h"
#include "ops.h"
#include "sys.h"

/* 32-bit TSS layout (SDM vol. 3 figure 7-2) */
enum {
	TSS_LINK = 0x00, TSS_CR3 = 0x1c, TSS_EIP = 0x20, TSS_EFLAGS = 0x24, TSS_EAX = 0x28,
	TSS_ES = 0x48, TSS_LDT = 0x60, TSS_MIN_LIMIT = 0x67,
};

static void set_busy(struct cpu *c, uint16_t sel, bool busy)
{
	uint64_t a = seg_desc_addr(c, sel) + 5;
	uint8_t b = (uint8_t)cpu_ld_sys(c, a, 1);
	b = busy ? (b | 2) : (b & ~2);
	cpu_st_sys(c, a, b, 1);
}

/* Load a segment register of the new task; faults are #TS(sel) and are
 * taken in the new task's context (SDM vol. 3 §7.3, step 13). */
static void task_load_seg(struct cpu *c, int seg, uint16_t sel)
{
	uint32_t d[2];
	unsigned cpl = c->cpl, rpl = sel & 3;
	if ((sel & ~3u) == 0) {
		if (seg == SEG_CS || seg == SEG_SS)
			cpu_raise(c, EXC_TS, sel & ~3u);
		seg_null(c, seg, sel);
		return;
	}
	if (seg_read_desc(c, sel, d))
		cpu_raise(c, EXC_TS, sel & ~3u);
	uint32_t hi = d[1];
	bool bad;
	if (seg == SEG_CS)
		bad = !(hi & DESC_S) || !(hi & DESC_CODE) ||
		      ((hi & DESC_C) ? desc_dpl(hi) > rpl : desc_dpl(hi) != rpl);
	else if (seg == SEG_SS)
		bad = !(hi & DESC_S) || (hi & DESC_CODE) || !(hi & DESC_W) || rpl != cpl || desc_dpl(hi) != cpl;
	else
		bad = !(hi & DESC_S) || ((hi & DESC_CODE) && !(hi & DESC_W)) ||
		      (!((hi & DESC_CODE) && (hi & DESC_C)) && (rpl > desc_dpl(hi) || cpl > desc_dpl(hi)));
	if (bad)
		cpu_raise(c, EXC_TS, sel & ~3u);
	if (!(hi & DESC_P))
		cpu_raise(c, seg == SEG_SS ? EXC_SS : EXC_NP, sel & ~3u);
	seg_set_accessed(c, sel, hi);
	seg_cache(c, seg, sel, d[0], hi | DESC_A);
}

void seg_task_switch(struct cpu *c, uint16_t sel, int reason, uint64_t next_eip, bool has_err, uint32_t err)
{
	uint32_t d[2];
	if ((sel & 4) || seg_read_desc(c, sel, d))
		cpu_raise(c, reason == TASK_IRET ? EXC_TS : EXC_GP, sel & ~3u);
	unsigned type = desc_type(d[1]);
	bool want_busy = reason == TASK_IRET;
	if ((d[1] & DESC_S) || (type != SYS_TSS32_AVAIL && type != SYS_TSS32_BUSY &&
				type != SYS_TSS16_AVAIL && type != SYS_TSS16_BUSY))
		cpu_raise(c, reason == TASK_IRET ? EXC_TS : EXC_GP, sel & ~3u);
	if (type == SYS_TSS16_AVAIL || type == SYS_TSS16_BUSY)
		seg_task_unsupported(c, "16-bit TSS");
	if ((type == SYS_TSS32_BUSY) != want_busy)
		cpu_raise(c, reason == TASK_IRET ? EXC_TS : EXC_GP, sel & ~3u);
	if (!(d[1] & DESC_P))
		cpu_raise(c, EXC_NP, sel & ~3u);
	uint64_t nbase = desc_base(d[0], d[1]);
	if (desc_limit(d[0], d[1]) < TSS_MIN_LIMIT)
		cpu_raise(c, EXC_TS, sel & ~3u);
	unsigned otype = desc_type(c->tr.flags);
	if (otype != SYS_TSS32_BUSY && otype != SYS_TSS32_AVAIL)
		seg_task_unsupported(c, "switch from a 16-bit or no TSS");
	if (c->tr.limit < TSS_MIN_LIMIT)
		cpu_raise(c, EXC_TS, c->tr.sel & ~3u);

	/* Read the new task's state before anything changes. */
	uint32_t ncr3 = (uint32_t)cpu_ld_sys(c, nbase + TSS_CR3, 4);
	uint32_t neip = (uint32_t)cpu_ld_sys(c, nbase + TSS_EIP, 4);
	uint32_t nfl = (uint32_t)cpu_ld_sys(c, nbase + TSS_EFLAGS, 4);
	uint32_t nregs[8];
	uint16_t nsegs[6];
	for (int i = 0; i < 8; i++)
		nregs[i] = (uint32_t)cpu_ld_sys(c, nbase + TSS_EAX + 4 * i, 4);
	for (int i = 0; i < 6; i++)
		nsegs[i] = (uint16_t)cpu_ld_sys(c, nbase + TSS_ES + 4 * i, 2);
	uint16_t nldt = (uint16_t)cpu_ld_sys(c, nbase + TSS_LDT, 2);
	if (nfl & FL_VM)
		seg_task_unsupported(c, "task switch into virtual-8086 mode");

	/* Save the current state in the old TSS. */
	uint64_t obase = c->tr.base;
	uint32_t ofl = cpu_get_eflags(c);
	if (reason == TASK_JMP || reason == TASK_IRET)
		ofl &= ~FL_NT;
	cpu_st_sys(c, obase + TSS_EIP, (uint32_t)next_eip, 4);
	cpu_st_sys(c, obase + TSS_EFLAGS, ofl, 4);
	for (int i = 0; i < 8; i++)
		cpu_st_sys(c, obase + TSS_EAX + 4 * i, (uint32_t)c->regs[i], 4);
	for (int i = 0; i < 6; i++)
		cpu_st_sys(c, obase + TSS_ES + 4 * i, c->seg[i].sel, 2);
	if (reason == TASK_JMP || reason == TASK_IRET)
		set_busy(c, c->tr.sel, false);
	if (reason == TASK_CALL || reason == TASK_INT) {
		cpu_st_sys(c, nbase + TSS_LINK, c->tr.sel, 2);
		nfl |= FL_NT;
	}
	if (reason != TASK_IRET)
		set_busy(c, sel, true);

	/* Switch (SDM vol. 3 §7.3 steps 10-13). */
	c->tr.sel = sel;
	c->tr.base = nbase;
	c->tr.limit = desc_limit(d[0], d[1]);
	c->tr.flags = (d[1] & 0x00ffff00u) | (2u << DESC_TYPE_SHIFT);
	c->cr0 |= CR0_TSB;
	if (c->cr0 & CR0_PGB) {
		c->cr3 = ncr3;
		cpu_tlb_flush_nonglobal(c);
	}
	c->eflags = (nfl & ~FL_ARITH) | 2;
	cc_set_flags(c, nfl & FL_ARITH);
	for (int i = 0; i < 8; i++)
		c->regs[i] = nregs[i];
	c->rip = neip;
	/* CPL comes from the new CS; selectors are loaded raw first so a
	 * fault below reports the new task's selectors. */
	for (int i = 0; i < 6; i++)
		c->seg[i].sel = nsegs[i];
	seg_set_cpl(c, nsegs[SEG_CS] & 3);
	c->ldt.sel = nldt;
	c->ldt.flags = 0;
	c->exit_request = 1;
	if (nldt & ~3u) {
		uint32_t ld[2];
		if ((nldt & 4) || seg_read_desc(c, nldt, ld) || (ld[1] & DESC_S) || desc_type(ld[1]) != SYS_LDT)
			cpu_raise(c, EXC_TS, nldt & ~3u);
		if (!(ld[1] & DESC_P))
			cpu_raise(c, EXC_TS, nldt & ~3u);
		c->ldt.base = desc_base(ld[0], ld[1]);
		c->ldt.limit = desc_limit(ld[0], ld[1]);
		c->ldt.flags = ld[1] & 0x00ffff00u;
	}
	task_load_seg(c, SEG_CS, nsegs[SEG_CS]);
	task_load_seg(c, SEG_SS, nsegs[SEG_SS]);
	task_load_seg(c, SEG_DS, nsegs[SEG_DS]);
	task_load_seg(c, SEG_ES, nsegs[SEG_ES]);
	task_load_seg(c, SEG_FS, nsegs[SEG_FS]);
	task_load_seg(c, SEG_GS, nsegs[SEG_GS]);
	cpu_update_mode(c);
	if (c->rip > c->seg[SEG_CS].limit)
		cpu_raise(c, EXC_GP, 0);
	if (has_err) {
		struct sys_stack s;
		stk_current(c, &s);
		s.sv = c->cpl < 3;
		stk_push(c, &s, err, 4); /* 32-bit TSS: a 32-bit error code */
		stk_commit(c, &s);
	}
}
