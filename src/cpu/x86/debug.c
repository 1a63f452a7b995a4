/*
 * Debug exceptions (Intel SDM vol. 3 ch. 17): EFLAGS.TF single-step, RF,
 * and the DR0-DR3 breakpoints enabled in DR7 -- instruction breakpoints
 * (faults, before the instruction) and data write / read-write breakpoints
 * (traps, after it) -- with their DR6 status bits.  Also the state that
 * selects the soft TLB for SMAP (§4.6), since both follow EFLAGS.
 *
 * Cost when unused: nothing in translated code.  While TF or RF is set or
 * DR7 enables a breakpoint, the CPU is in "debug mode" (TB_F_DEBUG in
 * tb_flags): cpu_exec builds one-instruction TBs that it interprets and
 * calls cpu_dbg_before / cpu_dbg_after around each.  Data breakpoints are
 * seen in the memory slow path: a page holding one never gets fast-path
 * TLB tags (cpu_dbg_page), so every access to it reaches mmu_mem_slow.
 */
#include "cpu.h"
#include "sys.h"

#define DR6_BS 0x4000u    /* single step */
#define DR7_ENABLES 0xffu /* L0 G0 ... L3 G3 */

/* R/W and LEN fields of breakpoint i in DR7 (SDM vol. 3 §17.2.4). */
static inline unsigned dr7_rw(uint64_t dr7, int i)
{
	return (unsigned)(dr7 >> (16 + 4 * i)) & 3;
}
static inline unsigned dr7_len(uint64_t dr7, int i)
{
	static const uint8_t len[4] = { 1, 2, 8, 4 }; /* LEN 00 01 10 11 */
	return len[(dr7 >> (18 + 4 * i)) & 3];
}
static inline bool dr7_enabled(uint64_t dr7, int i)
{
	return ((dr7 >> (2 * i)) & 3) != 0;
}

unsigned cpu_mmu_index(const struct cpu *c)
{
	if (c->cpl == 3)
		return MMU_USER;
	if (c->sysmode && (c->cr4 & CR4_SMAP_B) && !(c->eflags & FL_AC))
		return MMU_KSMAP;
	return MMU_KERNEL;
}

/* Implicit supervisor accesses (descriptor tables, TSS, the interrupt
 * stack) are SMAP-checked like explicit ones at CPL < 3, and always at
 * CPL 3 whatever AC says (SDM vol. 3 §4.6.1). */
unsigned cpu_mmu_index_sys(const struct cpu *c)
{
	if (c->sysmode && (c->cr4 & CR4_SMAP_B) && (c->cpl == 3 || !(c->eflags & FL_AC)))
		return MMU_KSMAP;
	return MMU_KERNEL;
}

void cpu_update_dyn_flags(struct cpu *c)
{
	uint32_t f = c->tb_flags & ~(uint32_t)(TB_F_KSMAP | TB_F_DEBUG);
	if (c->sysmode) {
		if (c->cpl != 3 && (c->cr4 & CR4_SMAP_B) && !(c->eflags & FL_AC))
			f |= TB_F_KSMAP;
		if ((c->eflags & (FL_TF | FL_RF)) || (c->dr[7] & DR7_ENABLES))
			f |= TB_F_DEBUG;
	} else if (c->eflags & FL_TF) {
		f |= TB_F_DEBUG; /* user mode: the runtime turns #DB into SIGTRAP */
	}
	c->tb_flags = f;
	if (!c->implicit_sv) {
		c->mmu_idx = (uint8_t)cpu_mmu_index(c);
		c->seg_edge_mask = 0;
	}
}

void cpu_dbg_dr_changed(struct cpu *c)
{
	uint8_t data = 0, io = 0;
	for (int i = 0; i < 4; i++) {
		unsigned rw = dr7_rw(c->dr[7], i);
		if (!dr7_enabled(c->dr[7], i))
			continue;
		if (rw == 1 || rw == 3)
			data |= (uint8_t)(1u << i);
		else if (rw == 2)
			io |= (uint8_t)(1u << i); /* only with CR4.DE, see cpu_dbg_io */
	}
	c->db_data = data;
	c->db_io = io;
	/* Pages of the new breakpoints must lose their fast-path tags. */
	if (c->sysmode)
		cpu_tlb_flush(c);
	cpu_update_dyn_flags(c);
}

bool cpu_dbg_page(const struct cpu *c, uint64_t page)
{
	for (int i = 0; i < 4; i++)
		if ((c->db_data >> i) & 1) {
			uint64_t a = c->dr[i] & ~(uint64_t)(dr7_len(c->dr[7], i) - 1);
			if ((a & ~0xfffull) == page)
				return true;
		}
	return false;
}

void cpu_dbg_access(struct cpu *c, uint64_t lin, unsigned size, int write)
{
	for (int i = 0; i < 4; i++) {
		if (!((c->db_data >> i) & 1))
			continue;
		if (dr7_rw(c->dr[7], i) == 1 && !write)
			continue; /* write-only breakpoint */
		/* The breakpoint covers LEN bytes at its address aligned down
		 * to LEN (§17.2.5); any overlap with the access hits it. */
		unsigned len = dr7_len(c->dr[7], i);
		uint64_t a = c->dr[i] & ~(uint64_t)(len - 1);
		if (lin < a + len && a < lin + size)
			c->db_hits |= (uint8_t)(1u << i);
	}
}

/* I/O breakpoints (R/W 10): defined only while CR4.DE is set (otherwise
 * the encoding is undefined and nothing fires); the port range is the
 * breakpoint's LEN bytes at its address, aligned (§17.2.4, §17.2.5).  Like
 * data breakpoints they trap after the instruction.  QEMU 7.2 does not
 * implement them (unit/test_mmu checks these). */
void cpu_dbg_io(struct cpu *c, uint16_t port, unsigned size)
{
	if (!(c->cr4 & CR4_DE_B))
		return;
	for (int i = 0; i < 4; i++) {
		if (!((c->db_io >> i) & 1))
			continue;
		unsigned len = dr7_len(c->dr[7], i);
		uint64_t a = c->dr[i] & 0xffff & ~(uint64_t)(len - 1);
		if (port < a + len && a < (uint64_t)port + size)
			c->db_hits |= (uint8_t)(1u << i);
	}
}

/* Instruction breakpoints at the linear address of the next instruction:
 * a #DB fault before it executes, unless EFLAGS.RF suppresses it. */
void cpu_dbg_before(struct cpu *c)
{
	/* A trap held back by MOV SS / POP SS stays pending over the next
	 * instruction (§6.8.3); otherwise data hits start afresh. */
	if (c->db_ss_shadow)
		c->db_ss_shadow = false;
	else
		c->db_hits = 0;
	if (!c->sysmode || (c->eflags & FL_RF) || !(c->dr[7] & DR7_ENABLES))
		return;
	uint64_t lin = (c->seg_base[SEG_CS] + c->rip) & c->lin_mask;
	unsigned match = 0;
	bool fire = false;
	for (int i = 0; i < 4; i++) {
		if (dr7_rw(c->dr[7], i) != 0 || c->dr[i] != lin)
			continue;
		/* B0-B3 may report matching breakpoints that are not enabled
		 * (§17.2.3); at least one enabled one makes the #DB. */
		match |= 1u << i;
		if (dr7_enabled(c->dr[7], i))
			fire = true;
	}
	if (!fire)
		return;
	c->dr[6] = (c->dr[6] & ~0xfull) | match;
	cpu_raise(c, EXC_DB, 0);
}

/* After an instruction that completed in debug mode: RF is cleared (it
 * lasts one instruction, §17.3.1.1), and the single-step trap (TF was set
 * when the instruction began, §17.3.1.4) and data-breakpoint traps are
 * reported in one #DB, after the instruction, with DR6.BS and B0-B3. */
void cpu_dbg_after(struct cpu *c, uint32_t eflags_before)
{
	if ((eflags_before & FL_RF) && (c->eflags & FL_RF)) {
		c->eflags &= ~FL_RF;
		cpu_update_dyn_flags(c);
	}
	if (c->db_ss_shadow)
		return; /* MOV SS / POP SS: after the next instruction */
	bool step = (eflags_before & FL_TF) != 0;
	uint8_t hits = c->db_hits;
	if (!step && !hits)
		return;
	c->db_hits = 0;
	/* user mode too: the SIGTRAP's si_code comes from DR6 (cpuloop.c) */
	uint64_t dr6 = (c->dr[6] & ~0xfull) | hits;
	if (step)
		dr6 |= DR6_BS;
	else if (!c->sysmode)
		dr6 &= ~(uint64_t)DR6_BS;
	c->dr[6] = dr6;
	cpu_raise(c, EXC_DB, 0);
}
