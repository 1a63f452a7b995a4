/*
 * Interrupt and exception delivery (Intel SDM vol. 3 ch. 6): the real-mode
 * IVT, the protected-mode IDT (interrupt, trap gates; privilege change
 * through the TSS), the long-mode IDT (IST), exception classes and the
 * double-fault / triple-fault rules (§6.15, table 6-5), and IRET.
 *
 * exec.c calls cpu_sys_event() after a handler raised an exception (and
 * for an interrupt injected by the vCPU loop).  A fault while delivering
 * is caught by our own sigsetjmp and combined with the first event.
 */
#include "decode.h"
#include "ops.h"
#include "sys.h"

#include <stdarg.h>
#include <stdio.h>

void seg_check_ret_cs(struct cpu *c, uint16_t sel, uint32_t d[2]);

void sys_log(struct cpu *c, unsigned item, const char *fmt, ...)
{
	/* item 0: always worth a line (unsupported feature reached) */
	if (item && !(c->log_flags & item))
		return;
	FILE *f = c->logfile ? (FILE *)c->logfile : stderr;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
}

void cpu_raise_event(struct cpu *c, int vector, int kind, uint32_t error, uint64_t next_rip)
{
	if (c->cur)
		c->rip = c->cur->rip;
	c->exc_vector = vector;
	c->exc_error = error;
	c->event_kind = (uint8_t)kind;
	c->event_next_rip = next_rip;
	cpu_exit_now(c, EXIT_EXCEPTION);
}

bool cpu_intr_allowed(const struct cpu *c, int kind)
{
	if (c->rip == c->intr_shadow)
		return false;
	if (kind == EV_NMI)
		return !c->nmi_blocked;
	return (c->eflags & FL_IF) != 0;
}

/* Exception classes for the double-fault rules (SDM vol. 3 table 6-4). */
enum { CLS_BENIGN, CLS_CONTRIB, CLS_PF, CLS_DF };
static int exc_class(int vector, int kind)
{
	if (kind != EV_EXC)
		return CLS_BENIGN;
	switch (vector) {
	case EXC_DE: case EXC_TS: case EXC_NP: case EXC_SS: case EXC_GP: return CLS_CONTRIB;
	case EXC_PF: return CLS_PF;
	case EXC_DF: return CLS_DF;
	default: return CLS_BENIGN;
	}
}

/* Exceptions that push an error code (SDM vol. 3 table 6-1). */
static bool has_error(int vector, int kind)
{
	if (kind != EV_EXC)
		return false;
	switch (vector) {
	case EXC_DF: case EXC_TS: case EXC_NP: case EXC_SS: case EXC_GP: case EXC_PF: case EXC_AC:
		return true;
	default:
		return false;
	}
}

/* What is being delivered. */
struct event {
	int vector;
	int kind;
	uint32_t error;
	uint64_t ret_rip; /* return address pushed */
	uint32_t ext;     /* EXT bit for error codes of faults in delivery */
};

/* --- real mode (SDM vol. 3 §20.1.4) -------------------------------- */

static void deliver_real(struct cpu *c, const struct event *ev)
{
	uint64_t ent = (uint64_t)ev->vector * 4;
	if (ent + 3 > c->idt.limit)
		cpu_raise(c, EXC_GP, (uint32_t)ev->vector * 8 + 2 + ev->ext);
	uint32_t v = (uint32_t)cpu_ld_sys(c, c->idt.base + ent, 4);
	struct sys_stack s;
	stk_current(c, &s);
	stk_push(c, &s, cpu_get_eflags(c) & 0xffff, 2);
	stk_push(c, &s, c->seg[SEG_CS].sel, 2);
	stk_push(c, &s, ev->ret_rip & 0xffff, 2);
	stk_commit(c, &s);
	c->eflags &= ~(FL_IF | FL_TF | FL_AC | FL_RF);
	c->seg[SEG_CS].sel = (uint16_t)(v >> 16);
	c->seg[SEG_CS].base = (uint64_t)(v >> 16) << 4;
	cpu_update_mode(c);
	c->rip = v & 0xffff;
}

/* --- protected mode and long mode ---------------------------------- */

static void deliver_prot(struct cpu *c, const struct event *ev)
{
	bool lm = sys_long(c);
	unsigned esz = lm ? 16 : 8;
	uint32_t verr = (uint32_t)ev->vector * 8 + 2 + ev->ext; /* IDT error code */
	uint64_t ent = (uint64_t)ev->vector * esz;
	if (ent + esz - 1 > c->idt.limit)
		cpu_raise(c, EXC_GP, verr);
	uint64_t g0 = cpu_ld_sys(c, c->idt.base + ent, 8);
	uint64_t g1 = lm ? cpu_ld_sys(c, c->idt.base + ent + 8, 8) : 0;
	uint32_t glo = (uint32_t)g0, ghi = (uint32_t)(g0 >> 32);
	unsigned type = desc_type(ghi), gdpl = desc_dpl(ghi);
	bool trap;
	unsigned gsize;
	/* INT n, INT3, INTO check the gate DPL (not INT1, not hardware). */
	if ((ev->kind == EV_SOFT || ev->kind == EV_SOFTEXC) && gdpl < c->cpl && !(ghi & DESC_S))
		cpu_raise(c, EXC_GP, (uint32_t)ev->vector * 8 + 2);
	if (lm) {
		if (type != SYS_INTGATE32 && type != SYS_TRAPGATE32)
			cpu_raise(c, EXC_GP, verr);
		gsize = 8;
	} else {
		switch (type) {
		case SYS_TASKGATE:
			if (!(ghi & DESC_P))
				cpu_raise(c, EXC_NP, verr);
			seg_task_switch(c, (uint16_t)(glo >> 16), TASK_INT, ev->ret_rip,
					has_error(ev->vector, ev->kind), ev->error);
			return;
		case SYS_INTGATE16: case SYS_TRAPGATE16: gsize = 2; break;
		case SYS_INTGATE32: case SYS_TRAPGATE32: gsize = 4; break;
		default: cpu_raise(c, EXC_GP, verr);
		}
	}
	if (ghi & DESC_S)
		cpu_raise(c, EXC_GP, verr);
	trap = (type & 1) != 0;
	if (!(ghi & DESC_P))
		cpu_raise(c, EXC_NP, verr);
	uint16_t sel = (uint16_t)(glo >> 16);
	uint64_t off = (glo & 0xffff) | (ghi & 0xffff0000u);
	if (lm)
		off |= (uint64_t)(uint32_t)g1 << 32;
	else if (gsize == 2)
		off &= 0xffff;
	if ((sel & ~3u) == 0)
		cpu_raise(c, EXC_GP, ev->ext);
	uint32_t d[2];
	if (seg_read_desc(c, sel, d))
		cpu_raise(c, EXC_GP, (sel & ~3u) + ev->ext);
	uint32_t hi = d[1];
	unsigned dpl = desc_dpl(hi);
	if (!(hi & DESC_S) || !(hi & DESC_CODE) || dpl > c->cpl)
		cpu_raise(c, EXC_GP, (sel & ~3u) + ev->ext);
	if (!(hi & DESC_P))
		cpu_raise(c, EXC_NP, (sel & ~3u) + ev->ext);
	if (lm && (!(hi & DESC_L) || (hi & DESC_B)))
		cpu_raise(c, EXC_GP, (sel & ~3u) + ev->ext);
	if (!lm && off > desc_limit(d[0], hi))
		cpu_raise(c, EXC_GP, ev->ext);
	bool vm86 = sys_vm86(c);
	unsigned ncpl = (hi & DESC_C) ? c->cpl : dpl;
	if (vm86 && ncpl != 0)
		cpu_raise(c, EXC_GP, (sel & ~3u) + ev->ext);
	bool inner = ncpl < c->cpl;
	unsigned ist = lm ? (unsigned)(g0 >> 32) & 7 : 0;
	uint32_t ssd[2] = { 0, 0 };
	uint16_t nss = c->seg[SEG_SS].sel;
	struct sys_stack s;
	uint64_t old_sp = c->regs[R_RSP];
	uint16_t old_ss = c->seg[SEG_SS].sel;
	uint32_t fl = cpu_get_eflags(c);
	/* Faults push EFLAGS with RF set, so that the instruction restarted
	 * by IRET does not hit its instruction breakpoint again -- except the
	 * instruction-breakpoint #DB itself (SDM vol. 3 §17.3.1.1).  Traps
	 * (#DB single-step / data) and interrupts push RF as it is. */
	if (ev->kind == EV_EXC && ev->vector != EXC_DB && ev->vector != EXC_NMI)
		fl |= FL_RF;

	if (lm) {
		/* 64-bit frame: always SS:RSP, 16-byte aligned (SDM §6.14.2) */
		uint64_t nsp;
		if (ist)
			nsp = seg_tss_rsp64(c, 3 + ist, ev->ext);
		else if (inner)
			nsp = seg_tss_rsp64(c, ncpl, ev->ext);
		else
			nsp = c->regs[R_RSP];
		if (inner)
			nss = (uint16_t)ncpl;
		s.base = 0;
		s.mask = ~0ull;
		s.lmask = ~0ull;
		s.sp = nsp & ~15ull;
		s.sv = ncpl < 3;
		stk_push(c, &s, old_ss, 8);
		stk_push(c, &s, old_sp, 8);
		stk_push(c, &s, fl, 8);
		stk_push(c, &s, c->seg[SEG_CS].sel, 8);
		stk_push(c, &s, ev->ret_rip, 8);
		if (has_error(ev->vector, ev->kind))
			stk_push(c, &s, ev->error, 8);
	} else if (inner) {
		uint64_t nsp;
		seg_tss_stack(c, ncpl, &nss, &nsp, ev->ext);
		seg_check_new_ss(c, nss, ncpl, ssd, EXC_TS, ev->ext);
		s.base = desc_base(ssd[0], ssd[1]);
		s.mask = (ssd[1] & DESC_B) ? 0xffffffffull : 0xffffull;
		s.lmask = 0xffffffffull;
		s.sp = nsp & s.mask;
		s.sv = ncpl < 3;
		if (vm86) {
			stk_push(c, &s, c->seg[SEG_GS].sel, gsize);
			stk_push(c, &s, c->seg[SEG_FS].sel, gsize);
			stk_push(c, &s, c->seg[SEG_DS].sel, gsize);
			stk_push(c, &s, c->seg[SEG_ES].sel, gsize);
		}
		stk_push(c, &s, old_ss, gsize);
		stk_push(c, &s, old_sp, gsize);
		stk_push(c, &s, fl, gsize);
		stk_push(c, &s, c->seg[SEG_CS].sel, gsize);
		stk_push(c, &s, ev->ret_rip, gsize);
		if (has_error(ev->vector, ev->kind))
			stk_push(c, &s, ev->error, gsize);
	} else {
		stk_current(c, &s);
		s.sv = ncpl < 3;
		stk_push(c, &s, fl, gsize);
		stk_push(c, &s, c->seg[SEG_CS].sel, gsize);
		stk_push(c, &s, ev->ret_rip, gsize);
		if (has_error(ev->vector, ev->kind))
			stk_push(c, &s, ev->error, gsize);
	}

	/* Commit. */
	seg_set_accessed(c, sel, hi);
	if (inner) {
		if (lm) {
			seg_null(c, SEG_SS, nss);
			c->seg[SEG_SS].flags = ncpl << DESC_DPL_SHIFT;
		} else {
			seg_set_accessed(c, nss, ssd[1]);
			seg_cache(c, SEG_SS, nss, ssd[0], ssd[1] | DESC_A);
		}
	}
	if (vm86) {
		seg_null(c, SEG_ES, 0);
		seg_null(c, SEG_DS, 0);
		seg_null(c, SEG_FS, 0);
		seg_null(c, SEG_GS, 0);
	}
	c->eflags &= ~(FL_TF | FL_VM | FL_RF | FL_NT);
	if (!trap)
		c->eflags &= ~FL_IF;
	seg_cache(c, SEG_CS, (uint16_t)((sel & ~3u) | ncpl), d[0], hi | DESC_A);
	seg_set_cpl(c, ncpl);
	cpu_update_mode(c);
	if (lm || s.mask == ~0ull)
		c->regs[R_RSP] = s.sp;
	else
		stk_commit(c, &s);
	c->rip = off;
}

static void deliver(struct cpu *c, const struct event *ev)
{
	if (ev->vector == EXC_PF && ev->kind == EV_EXC)
		c->cr2 = c->exc_addr;
	if (ev->kind == EV_NMI)
		c->nmi_blocked = true;
	if (c->log_flags & CPU_LOG_INT) {
		sys_log(c, CPU_LOG_INT,
			"     %d: v=%02x e=%04x i=%d cpl=%u IP=%04x:%016llx pc=%016llx SP=%04x:%016llx",
			0, ev->vector, ev->error, ev->kind == EV_SOFT, c->cpl, c->seg[SEG_CS].sel,
			(unsigned long long)ev->ret_rip, (unsigned long long)c->rip,
			c->seg[SEG_SS].sel, (unsigned long long)c->regs[R_RSP]);
		if (ev->vector == EXC_PF && ev->kind == EV_EXC)
			sys_log(c, CPU_LOG_INT, " CR2=%016llx", (unsigned long long)c->cr2);
		sys_log(c, CPU_LOG_INT, "\n");
	}
	if (!sys_prot(c))
		deliver_real(c, ev);
	else
		deliver_prot(c, ev);
	c->intr_shadow = ~0ull;
}

static int triple_fault(struct cpu *c)
{
	sys_log(c, CPU_LOG_INT | CPU_LOG_GUEST_ERRORS, "triple fault at rip=%#llx: shutdown\n",
		(unsigned long long)c->rip);
	c->shutdown = true;
	return EXIT_SHUTDOWN;
}

int cpu_sys_event(struct cpu *c)
{
	struct event ev;
	ev.vector = c->exc_vector;
	ev.kind = c->event_kind;
	ev.error = c->exc_error;
	/* EXT (SDM vol. 3 §6.13): faults while delivering anything but INT n,
	 * INT3 or INTO report an event external to the program. */
	ev.ext = (ev.kind == EV_SOFT || ev.kind == EV_SOFTEXC) ? 0 : 1;
	/* Faults return to the faulting instruction (c->rip was restored by
	 * cpu_raise); traps and software interrupts to the next one.  An
	 * injected event returns to where execution stands. */
	ev.ret_rip = (ev.kind == EV_SOFT || ev.kind == EV_SOFTEXC || ev.kind == EV_ICEBP) ?
			     c->event_next_rip : c->rip;
	c->event_kind = EV_EXC; /* a plain cpu_raise() during delivery is a fault */
	c->cur = NULL;
	if (ev.vector < 0 || ev.vector > 255)
		return triple_fault(c);

	sigjmp_buf saved;
	memcpy(&saved, &c->jmp_env, sizeof(saved));
	int cls = exc_class(ev.vector, ev.kind);
	/* Registers a fault in delivery must not see half-changed. */
	uint64_t rip0 = c->rip;
	int r = 0;
	for (;;) {
		if (sigsetjmp(c->jmp_env, 0) == 0) {
			c->delivering = ev.vector;
			deliver(c, &ev);
			break;
		}
		/* A fault while delivering ev (cpu_raise longjmp'ed here). */
		c->implicit_sv = false;
		c->bounce_pending = false;
		cpu_mmu_update(c);
		c->rip = rip0;
		int why = c->exit_reason;
		c->exit_reason = 0;
		if (why == EXIT_SHUTDOWN) {
			r = EXIT_SHUTDOWN;
			break;
		}
		int v2 = c->exc_vector;
		int cls2 = exc_class(v2, EV_EXC);
		/* CR2 takes the address of every page fault detected, also one
		 * that turns into #DF (SDM vol. 3 §6.15, interrupt 14). */
		if (v2 == EXC_PF)
			c->cr2 = c->exc_addr;
		if (cls == CLS_DF && (cls2 == CLS_CONTRIB || cls2 == CLS_PF)) {
			r = triple_fault(c);
			break;
		}
		if ((cls == CLS_CONTRIB && cls2 == CLS_CONTRIB) ||
		    (cls == CLS_PF && (cls2 == CLS_CONTRIB || cls2 == CLS_PF))) {
			ev.vector = EXC_DF;
			ev.error = 0;
			cls = CLS_DF;
		} else {
			/* handled serially: deliver the second one */
			ev.vector = v2;
			ev.error = c->exc_error;
			cls = cls2;
		}
		ev.kind = EV_EXC;
		ev.ret_rip = rip0;
		ev.ext = 1;
		c->event_kind = EV_EXC;
	}
	c->delivering = -1;
	memcpy(&c->jmp_env, &saved, sizeof(saved));
	return r;
}

/* --- IRET (SDM vol. 2, IRET/IRETD/IRETQ) ---------------------------- */

static void iret_real(struct cpu *c, unsigned opsize)
{
	bool vm86 = sys_prot(c) && sys_vm86(c);
	struct sys_stack s;
	stk_current(c, &s);
	uint64_t ip = stk_pop(c, &s, opsize);
	uint16_t cs = (uint16_t)stk_pop(c, &s, opsize);
	uint32_t fl = (uint32_t)stk_pop(c, &s, opsize);
	if (opsize == 4 && ip > 0xffff && !(c->seg[SEG_CS].flags & DESC_B))
		cpu_raise(c, EXC_GP, 0);
	stk_commit(c, &s);
	uint32_t mask = FL_ARITH | FL_TF | FL_IF | FL_DF | FL_IOPL | FL_NT;
	if (opsize == 4)
		mask |= FL_RF | FL_AC | FL_ID; /* VM, VIF, VIP kept */
	if (vm86)
		mask &= ~FL_IOPL; /* IOPL is not changed from virtual-8086 mode */
	cpu_set_eflags(c, fl, mask);
	seg_load_real(c, SEG_CS, cs);
	cpu_update_mode(c);
	c->rip = ip & size_mask(opsize);
}

void sys_iret(struct cpu *c, unsigned opsize, uint64_t next_rip)
{
	c->nmi_blocked = false;
	if (!sys_prot(c)) {
		iret_real(c, opsize);
		return;
	}
	if (sys_vm86(c)) {
		if (sys_iopl(c) < 3)
			cpu_raise(c, EXC_GP, 0);
		iret_real(c, opsize);
		return;
	}
	if (c->eflags & FL_NT) {
		if (sys_long(c))
			cpu_raise(c, EXC_GP, 0);
		/* return to the task in the back link (SDM vol. 3 §7.4) */
		uint16_t link = (uint16_t)cpu_ld_sys(c, c->tr.base, 2);
		seg_task_switch(c, link, TASK_IRET, next_rip, false, 0);
		return;
	}
	struct sys_stack s;
	stk_current(c, &s);
	uint64_t ip = stk_pop(c, &s, opsize);
	uint16_t cs = (uint16_t)stk_pop(c, &s, opsize);
	uint32_t fl = (uint32_t)stk_pop(c, &s, opsize);
	if ((fl & FL_VM) && c->cpl == 0 && opsize == 4 && !sys_long(c)) {
		/* Return to virtual-8086 mode (SDM vol. 2, IRET
		 * "RETURN-TO-VIRTUAL-8086-MODE"): the segment selectors follow
		 * SS:ESP on the stack. */
		uint32_t nesp = (uint32_t)stk_pop(c, &s, 4);
		uint16_t vsel[5];
		for (int i = 0; i < 5; i++)
			vsel[i] = (uint16_t)stk_pop(c, &s, 4); /* SS ES DS FS GS */
		cpu_set_eflags(c, fl, ~0u);
		seg_set_cpl(c, 3);
		seg_load_real(c, SEG_CS, cs);
		seg_load_real(c, SEG_SS, vsel[0]);
		seg_load_real(c, SEG_ES, vsel[1]);
		seg_load_real(c, SEG_DS, vsel[2]);
		seg_load_real(c, SEG_FS, vsel[3]);
		seg_load_real(c, SEG_GS, vsel[4]);
		c->regs[R_RSP] = nesp;
		cpu_update_mode(c);
		c->rip = ip & 0xffff;
		c->intr_shadow = ~0ull;
		return;
	}
	uint32_t d[2];
	seg_check_ret_cs(c, cs, d);
	unsigned rpl = cs & 3, old_cpl = c->cpl;
	bool lm = sys_long(c), to64 = lm && (d[1] & DESC_L);
	/* 64-bit mode IRET always pops SS:RSP; otherwise only on a return
	 * to an outer level. */
	bool pop_ss = sys_code64(c) || rpl > c->cpl;
	uint64_t nsp = 0;
	uint16_t nss = 0;
	uint32_t ssd[2] = { 0, 0 };
	if (pop_ss) {
		nsp = stk_pop(c, &s, opsize);
		nss = (uint16_t)stk_pop(c, &s, opsize);
		if ((nss & ~3u) == 0 && lm && to64 && rpl < 3) {
			/* null SS: allowed in 64-bit mode at CPL < 3 (RPL == CPL) */
			if ((nss & 3) != rpl)
				cpu_raise(c, EXC_GP, 0);
		} else {
			seg_check_new_ss(c, nss, rpl, ssd, EXC_GP, 0);
		}
	}
	if (!to64) {
		ip &= size_mask(opsize == 8 ? 4 : opsize);
		if (ip > desc_limit(d[0], d[1]))
			cpu_raise(c, EXC_GP, 0);
	} else if ((uint64_t)((int64_t)(ip << 16) >> 16) != ip) {
		cpu_raise(c, EXC_GP, 0);
	}
	/* Commit: EFLAGS by the CPL before the return (SDM: IRET operation). */
	uint32_t mask = FL_ARITH | FL_TF | FL_DF | FL_NT | FL_RF | FL_AC | FL_ID;
	if (old_cpl == 0)
		mask |= FL_IOPL | FL_IF | FL_VIF | FL_VIP;
	else if (old_cpl <= sys_iopl(c))
		mask |= FL_IF;
	if (opsize == 2)
		mask &= 0xffff;
	cpu_set_eflags(c, fl, mask);
	seg_set_accessed(c, cs, d[1]);
	seg_cache(c, SEG_CS, cs, d[0], d[1] | DESC_A);
	if (rpl != old_cpl)
		seg_set_cpl(c, rpl);
	if (pop_ss) {
		if ((nss & ~3u) == 0) {
			seg_null(c, SEG_SS, nss);
			c->seg[SEG_SS].flags = rpl << DESC_DPL_SHIFT;
		} else {
			seg_set_accessed(c, nss, ssd[1]);
			seg_cache(c, SEG_SS, nss, ssd[0], ssd[1] | DESC_A);
		}
	}
	cpu_update_mode(c);
	if (pop_ss) {
		if (sys_code64(c) || opsize == 8)
			c->regs[R_RSP] = nsp;
		else if (ssd[1] & DESC_B)
			c->regs[R_RSP] = (uint32_t)nsp;
		else
			c->regs[R_RSP] = (c->regs[R_RSP] & ~0xffffull) | (nsp & 0xffff);
	} else {
		stk_commit(c, &s);
	}
	if (rpl > old_cpl)
		seg_fixup_data(c);
	cpu_update_mode(c);
	c->rip = ip;
	c->intr_shadow = ~0ull;
}
