/*
 * Local APIC (Intel SDM vol. 3A ch. 10 "Advanced Programmable Interrupt
 * Controller (APIC)"; ch. 11 in the newest editions).  Section numbers
 * below are those of the 2016+ SDM, chapter 10:
 *   10.4.4  IA32_APIC_BASE, 10.4.7 APIC state after reset/INIT/disable,
 *   10.5.1  LVT, 10.5.3 ESR, 10.5.4 timer (one-shot, periodic, TSC-deadline),
 *   10.6    IPIs (ICR, destination modes, shorthands, lowest priority),
 *   10.8    IRR/ISR/TMR, TPR/PPR, EOI,  10.9 spurious vector,
 *   10.11   MSI,  10.12 x2APIC (MSR map, logical ID, ICR, SELF IPI).
 * One APIC per vCPU; the xAPIC MMIO page is shared and dispatched to the
 * calling vCPU's APIC (vcpu_self()).  A DMA write there from a device is
 * an MSI, as on real chipsets.
 */
#include "hw/intc/lapic.h"
#include "hw/intc/lapic_int.h"

#include <string.h>

#include "core/memory.h"
#include "core/vm.h"
#include "hw/intc/ioapic.h"
#include "hw/intc/pc_intc.h"
#include "util/error.h"

#define BASE_BSP (1ull << 8)
#define BASE_EXTD (1ull << 10)
#define BASE_EN (1ull << 11)
#define BASE_ADDR_MASK 0x000ffffffffff000ull

#define APIC_VERSION 0x14 /* integrated APIC, as QEMU reports */
#define APIC_MAX_LVT 5    /* six LVT entries: no CMCI */
#define SVR_ENABLE 0x100
#define LVT_MASKED (1u << 16)
#define LVT_LEVEL (1u << 15)
#define ESR_SEND_ILLEGAL 0x20
#define ESR_RECV_ILLEGAL 0x40
#define ESR_ILLEGAL_REG 0x80

#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0


static const uint32_t lvt_write_mask[LVT_NB] = {
	[LVT_TIMER] = 0x000700ff,
	[LVT_THERMAL] = 0x000107ff,
	[LVT_PERF] = 0x000107ff,
	[LVT_LINT0] = 0x0001a7ff,
	[LVT_LINT1] = 0x0001a7ff,
	[LVT_ERROR] = 0x000100ff,
	[LVT_CMCI] = 0x000107ff,
};

/* --- 256-bit registers (IRR, ISR, TMR) ---------------------------- */

static void bit_set(uint32_t *r, int v) { r[v >> 5] |= 1u << (v & 31); }
static void bit_clear(uint32_t *r, int v) { r[v >> 5] &= ~(1u << (v & 31)); }
static bool bit_test(const uint32_t *r, int v) { return r[v >> 5] & (1u << (v & 31)); }
static int bit_highest(const uint32_t *r)
{
	for (int i = 7; i >= 0; i--)
		if (r[i])
			return i * 32 + 31 - __builtin_clz(r[i]);
	return -1;
}

static bool apic_x2(const struct lapic *a) { return a->base_msr & BASE_EXTD; }
static bool apic_hw_enabled(const struct lapic *a) { return a->base_msr & BASE_EN; }
static bool apic_sw_enabled(const struct lapic *a) { return a->svr & SVR_ENABLE; }

static void apic_kick(struct lapic *a, unsigned req)
{
	if (a->vcpu)
		vcpu_kick(a->vcpu, req);
}

/* CR8 is TPR[7:4] (SDM 10.8.6.1).  The CPU core keeps cr8 itself; pick up
 * a MOV to CR8 lazily (a CR8 write clears TPR[3:0]). */
static void apic_sync_cr8(struct lapic *a)
{
	if (a->vcpu && (a->tpr >> 4) != (a->vcpu->cpu.cr8 & 0xf))
		a->tpr = (uint32_t)(a->vcpu->cpu.cr8 & 0xf) << 4;
}

/* PPR (10.8.3.1): the TPR if it is at least the in-service class, else
 * the in-service class. */
static uint32_t apic_ppr(struct lapic *a)
{
	apic_sync_cr8(a);
	int isrv = bit_highest(a->isr);
	if (isrv < 0)
		isrv = 0;
	if ((a->tpr & 0xf0) >= ((uint32_t)isrv & 0xf0))
		return a->tpr & 0xff;
	return (uint32_t)isrv & 0xf0;
}

bool lapic_has_interrupt(struct lapic *a)
{
	if (!apic_hw_enabled(a) || !apic_sw_enabled(a))
		return false;
	int irrv = bit_highest(a->irr);
	return irrv >= 0 && ((uint32_t)irrv & 0xf0) > (apic_ppr(a) & 0xf0);
}

int lapic_ack(struct lapic *a)
{
	if (!lapic_has_interrupt(a))
		return -1;
	int v = bit_highest(a->irr);
	bit_clear(a->irr, v);
	bit_set(a->isr, v);
	return v;
}

bool lapic_accepts_pic(struct lapic *a)
{
	uint32_t l = a->lvt[LVT_LINT0];
	if (!apic_hw_enabled(a))
		return true;
	return !(l & LVT_MASKED) && ((l >> 8) & 7) == APIC_DM_EXTINT;
}

static void apic_accept_irq(struct lapic *a, int vector, bool level);

/* 10.5.3: errors latch in the ESR on the next write and raise the error
 * LVT if it is unmasked. */
static void apic_error(struct lapic *a, uint32_t bits)
{
	bool fresh = !(a->esr_pending & bits);
	a->esr_pending |= bits;
	uint32_t l = a->lvt[LVT_ERROR];
	if (fresh && !(l & LVT_MASKED) && (l & 0xff) >= 16)
		apic_accept_irq(a, l & 0xff, false);
}

static void apic_accept_irq(struct lapic *a, int vector, bool level)
{
	if (vector < 16) {
		apic_error(a, ESR_RECV_ILLEGAL);
		return;
	}
	bit_set(a->irr, vector);
	if (level)
		bit_set(a->tmr, vector);
	else
		bit_clear(a->tmr, vector);
	apic_kick(a, VCPU_REQ_INTR);
}

/* A message accepted by this APIC (10.6.1 delivery modes). */
static void apic_accept_msg(struct lapic *a, int mode, int vector, bool level)
{
	struct vm *vm = a->dev.vm;
	switch (mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		apic_accept_irq(a, vector, level);
		break;
	case APIC_DM_NMI:
		apic_kick(a, VCPU_REQ_NMI);
		break;
	case APIC_DM_SMI:
		apic_kick(a, VCPU_REQ_SMI);
		break;
	case APIC_DM_INIT:
		lapic_init_reset(a);
		apic_kick(a, VCPU_REQ_INIT);
		break;
	case APIC_DM_SIPI:
		if (a->vcpu)
			a->vcpu->sipi_vector = vector;
		apic_kick(a, VCPU_REQ_SIPI);
		break;
	case APIC_DM_EXTINT:
		a->extint_pending = true;
		apic_kick(a, VCPU_REQ_INTR);
		break;
	default:
		vm_log(vm, VM_LOG_GUEST_ERRORS, "apic: reserved delivery mode %d\n", mode);
		break;
	}
}

/* Does this APIC match the destination (10.6.2)? */
static bool apic_match(const struct lapic *a, const struct apic_msg *m)
{
	if (!apic_hw_enabled(a))
		return false;
	uint32_t bcast = m->dest32 ? 0xffffffffu : 0xffu;
	if (m->dest == bcast)
		return true;
	if (apic_x2(a)) {
		if (!m->logical)
			return m->dest == a->id;
		if (!m->dest32)
			return false;
		/* x2APIC logical: cluster in 31:16, bitmap in 15:0 (10.12.10.2) */
		return (m->dest >> 16) == (a->ldr >> 16) && (m->dest & a->ldr & 0xffff);
	}
	if (!m->logical)
		return (m->dest & 0xff) == (a->id & 0xff);
	uint8_t d = m->dest, l = a->ldr >> 24;
	if ((a->dfr >> 28) == 0xf) /* flat model */
		return d & l;
	/* cluster model: cluster ID in the high nibble, member bits low */
	return (d >> 4) == (l >> 4) && (d & l & 0x0f);
}

static struct lapic *vm_apic(struct vm *vm, int i)
{
	return vm->vcpus[i] ? vm->vcpus[i]->apic : NULL;
}

void lapic_deliver(struct vm *vm, const struct apic_msg *m)
{
	if (m->mode == APIC_DM_LOWEST) {
		/* Lowest-priority arbitration (10.6.2.4): the matching APIC with
		 * the lowest processor priority; ties rotate. */
		struct pc_intc *h = pc_intc_of(vm);
		int start = h ? h->last_low_prio + 1 : 0;
		struct lapic *best = NULL;
		int best_i = 0;
		for (int k = 0; k < vm->ncpus; k++) {
			int i = (start + k) % vm->ncpus;
			struct lapic *a = vm_apic(vm, i);
			if (!a || !apic_match(a, m))
				continue;
			if (!best || (apic_ppr(a) & 0xf0) < (apic_ppr(best) & 0xf0)) {
				best = a;
				best_i = i;
			}
		}
		if (best) {
			if (h)
				h->last_low_prio = best_i;
			apic_accept_msg(best, m->mode, m->vector, m->level);
		}
		return;
	}
	for (int i = 0; i < vm->ncpus; i++) {
		struct lapic *a = vm_apic(vm, i);
		if (a && apic_match(a, m))
			apic_accept_msg(a, m->mode, m->vector, m->level);
	}
}

void lapic_deliver_msi(struct vm *vm, uint64_t addr, uint32_t data)
{
	if ((addr & 0xfff00000) != APIC_DEFAULT_BASE) {
		vm_log(vm, VM_LOG_GUEST_ERRORS, "apic: MSI to 0x%llx outside 0xfeexxxxx\n",
		       (unsigned long long)addr);
		return;
	}
	struct apic_msg m = {
		.dest = (addr >> 12) & 0xff,
		.logical = addr & 0x4,
		.mode = (data >> 8) & 7,
		.vector = data & 0xff,
		.level = data & (1u << 15),
	};
	lapic_deliver(vm, &m);
}

/* --- local vector table --------------------------------------------- */

/* An LVT entry fires (timer, error, thermal...; LINT pins use lapic_set_lint). */
void lapic_lvt_fire(struct lapic *a, int idx)
{
	uint32_t l = a->lvt[idx];
	if (l & LVT_MASKED)
		return;
	int mode = (idx == LVT_TIMER || idx == LVT_ERROR) ? APIC_DM_FIXED : (l >> 8) & 7;
	if (mode == APIC_DM_FIXED)
		apic_accept_irq(a, l & 0xff, false);
	else
		apic_accept_msg(a, mode, l & 0xff, false);
}

/* --- registers ----------------------------------------------------- */

static uint32_t x2apic_ldr(uint32_t id)
{
	return ((id >> 4) << 16) | (1u << (id & 0xf));
}

void lapic_init_reset(struct lapic *a)
{
	a->tpr = 0;
	a->ldr = apic_x2(a) ? x2apic_ldr(a->id) : 0;
	a->dfr = 0xffffffff;
	a->svr = 0xff;
	a->esr = a->esr_pending = 0;
	a->icr_lo = a->icr_hi = 0;
	memset(a->isr, 0, sizeof(a->isr));
	memset(a->tmr, 0, sizeof(a->tmr));
	memset(a->irr, 0, sizeof(a->irr));
	for (int i = 0; i < LVT_NB; i++)
		a->lvt[i] = LVT_MASKED;
	a->timer_initial = 0;
	a->timer_divide = 0;
	a->tsc_deadline = 0;
	a->extint_pending = false;
	timer_del(&a->timer);
	/* CR8 belongs to the vCPU's thread; an INIT from another CPU resets
	 * it with the rest of the vCPU (vcpu_reset). */
	if (a->vcpu && a->vcpu == vcpu_self())
		a->vcpu->cpu.cr8 = 0;
}

static void apic_set_tpr(struct lapic *a, uint32_t v)
{
	a->tpr = v & 0xff;
	if (a->vcpu)
		a->vcpu->cpu.cr8 = a->tpr >> 4;
	apic_kick(a, VCPU_REQ_INTR);
}

void lapic_tpr_changed(struct vcpu *v)
{
	struct lapic *a = v->apic;
	if (!a)
		return;
	a->tpr = (v->cpu.cr8 & 0xf) << 4;
	apic_kick(a, VCPU_REQ_INTR);
}

static void apic_eoi(struct lapic *a)
{
	int v = bit_highest(a->isr);
	if (v < 0)
		return;
	bit_clear(a->isr, v);
	/* 10.8.5: a level-triggered vector's EOI is broadcast to the I/O APICs. */
	if (bit_test(a->tmr, v)) {
		struct pc_intc *h = pc_intc_of(a->dev.vm);
		if (h && h->ioapic)
			ioapic_eoi(h->ioapic, v);
	}
	apic_kick(a, VCPU_REQ_INTR);
}

static void apic_send_ipi(struct lapic *a, uint32_t lo, uint32_t dest, bool dest32)
{
	struct vm *vm = a->dev.vm;
	int vector = lo & 0xff, mode = (lo >> 8) & 7;
	bool level_trig = lo & (1u << 15), assert = lo & (1u << 14);
	int shorthand = (lo >> 18) & 3;
	/* INIT level de-assert only synchronises arbitration IDs (10.6.1). */
	if (mode == APIC_DM_INIT && level_trig && !assert)
		return;
	if ((mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST) && vector < 16) {
		apic_error(a, ESR_SEND_ILLEGAL);
		return;
	}
	if (mode == APIC_DM_SIPI || mode == APIC_DM_INIT || mode == APIC_DM_NMI || mode == APIC_DM_SMI)
		level_trig = false;
	switch (shorthand) {
	case 0: {
		struct apic_msg m = { dest, lo & (1u << 11), dest32, mode, vector, level_trig };
		lapic_deliver(vm, &m);
		break;
	}
	case 1: /* self */
		apic_accept_msg(a, mode, vector, level_trig);
		break;
	default: /* 2: all including self, 3: all excluding self */
		for (int i = 0; i < vm->ncpus; i++) {
			struct lapic *t = vm_apic(vm, i);
			if (!t || !apic_hw_enabled(t) || (shorthand == 3 && t == a))
				continue;
			apic_accept_msg(t, mode, vector, level_trig);
		}
		break;
	}
}

/* Register reads.  `reg` is the offset >> 4.  Returns 0, or -1 when the
 * register does not exist in this mode (x2APIC: #GP). */
static int apic_reg_read(struct lapic *a, unsigned reg, uint64_t *val)
{
	bool x2 = apic_x2(a);
	switch (reg) {
	case 0x02: *val = x2 ? a->id : a->id << 24; return 0;
	case 0x03: *val = APIC_VERSION | (APIC_MAX_LVT << 16); return 0;
	case 0x08: apic_sync_cr8(a); *val = a->tpr; return 0;
	case 0x09: if (x2) return -1; *val = apic_ppr(a); return 0; /* APR ~ PPR */
	case 0x0a: *val = apic_ppr(a); return 0;
	case 0x0b: if (x2) return -1; *val = 0; return 0; /* EOI is write-only */
	case 0x0c: if (x2) return -1; *val = 0; return 0;
	case 0x0d: *val = a->ldr; return 0;
	case 0x0e: if (x2) return -1; *val = a->dfr; return 0;
	case 0x0f: *val = a->svr; return 0;
	case 0x28: *val = a->esr; return 0;
	case 0x30: *val = x2 ? ((uint64_t)a->icr_hi << 32 | a->icr_lo) : a->icr_lo; return 0;
	case 0x31: if (x2) return -1; *val = a->icr_hi; return 0;
	case 0x38: *val = a->timer_initial; return 0;
	case 0x39: *val = lapic_timer_current(a); return 0;
	case 0x3e: *val = a->timer_divide; return 0;
	}
	if (reg >= 0x10 && reg < 0x18) { *val = a->isr[reg - 0x10]; return 0; }
	if (reg >= 0x18 && reg < 0x20) { *val = a->tmr[reg - 0x18]; return 0; }
	if (reg >= 0x20 && reg < 0x28) { *val = a->irr[reg - 0x20]; return 0; }
	if (reg >= 0x32 && reg < 0x38) { *val = a->lvt[reg - 0x32]; return 0; }
	return -1;
}

static void apic_write_lvt(struct lapic *a, int idx, uint32_t v)
{
	int old_mode = lapic_timer_mode(a);
	v &= lvt_write_mask[idx];
	/* 10.4.7.2: while software-disabled the mask bits stay set. */
	if (!apic_sw_enabled(a))
		v |= LVT_MASKED;
	a->lvt[idx] = v;
	if (idx == LVT_TIMER && old_mode != lapic_timer_mode(a)) {
		/* Switching to or from TSC-deadline mode disarms the timer
		 * (10.5.4.1); one-shot <-> periodic keeps counting. */
		if (old_mode == TIMER_DEADLINE || lapic_timer_mode(a) == TIMER_DEADLINE) {
			a->timer_initial = 0;
			a->tsc_deadline = 0;
		}
		lapic_timer_arm(a);
	}
	if (idx == LVT_LINT0)
		apic_kick(a, VCPU_REQ_INTR); /* the 8259 may now (not) reach us */
}

/* Register writes.  Returns 0, or -1 for a read-only or missing register
 * (x2APIC: #GP; xAPIC: logged and ignored). */
static int apic_reg_write(struct lapic *a, unsigned reg, uint64_t val64)
{
	bool x2 = apic_x2(a);
	uint32_t v = val64;
	switch (reg) {
	case 0x02:
		if (x2)
			return -1;
		a->id = v >> 24;
		return 0;
	case 0x08:
		apic_set_tpr(a, v);
		return 0;
	case 0x0b:
		if (x2 && v)
			return -1;
		apic_eoi(a);
		return 0;
	case 0x0d:
		if (x2)
			return -1;
		a->ldr = v & 0xff000000;
		return 0;
	case 0x0e:
		if (x2)
			return -1;
		a->dfr = v | 0x0fffffff;
		return 0;
	case 0x0f:
		/* Bits 0-7 vector, 8 enable, 9 focus checking; EOI broadcast
		 * suppression (bit 12) is not offered in the version register. */
		a->svr = v & 0x3ff;
		if (!apic_sw_enabled(a))
			for (int i = 0; i < LVT_NB; i++)
				a->lvt[i] |= LVT_MASKED;
		apic_kick(a, VCPU_REQ_INTR);
		return 0;
	case 0x28:
		if (x2 && v)
			return -1;
		a->esr = a->esr_pending;
		a->esr_pending = 0;
		return 0;
	case 0x30:
		if (x2) {
			a->icr_lo = (uint32_t)val64 & ~(1u << 12);
			a->icr_hi = val64 >> 32;
			apic_send_ipi(a, a->icr_lo, a->icr_hi, true);
		} else {
			a->icr_lo = v & ~(1u << 12); /* delivery status reads idle */
			apic_send_ipi(a, a->icr_lo, a->icr_hi >> 24, false);
		}
		return 0;
	case 0x31:
		if (x2)
			return -1;
		a->icr_hi = v & 0xff000000;
		return 0;
	case 0x38:
		if (lapic_timer_mode(a) == TIMER_DEADLINE)
			return 0; /* ignored in TSC-deadline mode */
		a->timer_initial = v;
		a->timer_start = vm_clock_ns(a->dev.vm);
		lapic_timer_arm(a);
		return 0;
	case 0x3e: {
		/* Keep the current count continuous across a divider change. */
		uint32_t cur = lapic_timer_current(a);
		a->timer_divide = v & 0xb;
		if (a->timer_initial && cur) {
			uint64_t done = a->timer_initial - cur;
			a->timer_start = vm_clock_ns(a->dev.vm) - (int64_t)(done * lapic_timer_tick_ns(a));
			lapic_timer_arm(a);
		}
		return 0;
	}
	case 0x3f:
		if (!x2)
			return -1;
		apic_accept_irq(a, v & 0xff, false);
		return 0;
	}
	if (reg >= 0x32 && reg < 0x38) {
		apic_write_lvt(a, reg - 0x32, v);
		return 0;
	}
	return -1;
}

/* --- xAPIC MMIO ---------------------------------------------------- */

static uint64_t apic_mmio_read(void *opaque, uint64_t off, unsigned size)
{
	struct vm *vm = opaque;
	struct vcpu *v = vcpu_self();
	struct lapic *a = v ? v->apic : NULL;
	uint64_t val = 0;
	if (!a)
		return 0;
	if (apic_x2(a)) {
		vm_log(vm, VM_LOG_GUEST_ERRORS, "apic: MMIO read at 0x%llx in x2APIC mode\n",
		       (unsigned long long)off);
		return 0;
	}
	if ((off & 0xf) >= 4 || apic_reg_read(a, off >> 4, &val)) {
		vm_log(vm, VM_LOG_GUEST_ERRORS, "apic: read of undefined offset 0x%llx\n",
		       (unsigned long long)off);
		return 0;
	}
	return (uint32_t)val >> ((off & 3) * 8);
}

static void apic_mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct vm *vm = opaque;
	struct vcpu *v = vcpu_self();
	if (!v) {
		/* Not a CPU: a device's DMA write to 0xfeexxxxx is an MSI. */
		lapic_deliver_msi(vm, APIC_DEFAULT_BASE + off, (uint32_t)val);
		return;
	}
	struct lapic *a = v->apic;
	if (!a)
		return;
	if (apic_x2(a)) {
		vm_log(vm, VM_LOG_GUEST_ERRORS, "apic: MMIO write at 0x%llx in x2APIC mode\n",
		       (unsigned long long)off);
		return;
	}
	if (size != 4 || (off & 0xf))
		vm_log(vm, VM_LOG_GUEST_ERRORS, "apic: %u-byte write at offset 0x%llx\n", size,
		       (unsigned long long)off);
	if (off & 0xf)
		return;
	if (apic_reg_write(a, off >> 4, val)) {
		apic_error(a, ESR_ILLEGAL_REG);
		vm_log(vm, VM_LOG_GUEST_ERRORS, "apic: write to read-only/undefined offset 0x%llx\n",
		       (unsigned long long)off);
	}
}

static const struct io_ops apic_mmio_ops = { apic_mmio_read, apic_mmio_write, 1, 4 };

/* --- MSRs ---------------------------------------------------------- */

bool lapic_msr_owned(uint32_t idx)
{
	return idx == MSR_APIC_BASE || idx == MSR_TSC_DEADLINE || (idx >= 0x800 && idx <= 0x8ff);
}

int lapic_msr_read(struct vcpu *v, uint32_t idx, uint64_t *val)
{
	struct lapic *a = v->apic;
	if (!a)
		return -1;
	if (idx == MSR_APIC_BASE) {
		*val = a->base_msr;
		return 0;
	}
	if (idx == MSR_TSC_DEADLINE) {
		*val = lapic_timer_mode(a) == TIMER_DEADLINE ? a->tsc_deadline : 0;
		return 0;
	}
	if (!apic_x2(a) || idx < 0x800 || idx > 0x8ff)
		return -1;
	unsigned reg = idx - 0x800;
	if (reg == 0x3f)
		return -1; /* SELF IPI is write-only */
	return apic_reg_read(a, reg, val);
}

static int apic_base_write(struct lapic *a, uint64_t val)
{
	struct vcpu *v = a->vcpu;
	uint64_t old = a->base_msr;
	if (val & ~(BASE_ADDR_MASK | BASE_BSP | BASE_EXTD | BASE_EN))
		return -1;
	bool en = val & BASE_EN, extd = val & BASE_EXTD;
	/* 10.12.5: invalid state, and no direct x2APIC -> xAPIC or
	 * disabled -> x2APIC transitions. */
	if (extd && !en)
		return -1;
	if ((old & BASE_EXTD) && en && !extd)
		return -1;
	if (!(old & BASE_EN) && extd)
		return -1;
	if (extd && v && !(v->cpu.features[FW_1_ECX] & (1u << 21)))
		return -1;
	val = (val & ~BASE_BSP) | (old & BASE_BSP);
	if ((val ^ old) & BASE_ADDR_MASK)
		vm_log(a->dev.vm, VM_LOG_UNIMP, "apic: relocation to 0x%llx is not supported\n",
		       (unsigned long long)(val & BASE_ADDR_MASK));
	a->base_msr = val;
	if (!en && (old & BASE_EN)) {
		/* 10.4.7.2: hardware disable; re-enabling gives power-up state. */
		lapic_init_reset(a);
	}
	if (extd && !(old & BASE_EXTD))
		a->ldr = x2apic_ldr(a->id);
	apic_kick(a, VCPU_REQ_INTR);
	return 0;
}

int lapic_msr_write(struct vcpu *v, uint32_t idx, uint64_t val)
{
	struct lapic *a = v->apic;
	if (!a)
		return -1;
	if (idx == MSR_APIC_BASE)
		return apic_base_write(a, val);
	if (idx == MSR_TSC_DEADLINE) {
		if (lapic_timer_mode(a) == TIMER_DEADLINE) {
			a->tsc_deadline = val;
			lapic_timer_arm(a);
		}
		return 0;
	}
	if (!apic_x2(a) || idx < 0x800 || idx > 0x8ff)
		return -1;
	unsigned reg = idx - 0x800;
	/* x2APIC registers are 32 bits but for the ICR: reserved high bits #GP */
	if (reg != 0x30 && (val >> 32))
		return -1;
	return apic_reg_write(a, reg, val);
}

void lapic_set_lint(struct lapic *a, int lint, int level)
{
	if (lint != 0 && lint != 1)
		return;
	uint32_t l = a->lvt[LVT_LINT0 + lint];
	if (!level || (l & LVT_MASKED))
		return;
	int mode = (l >> 8) & 7;
	if (mode == APIC_DM_FIXED)
		apic_accept_irq(a, l & 0xff, l & LVT_LEVEL);
	else
		apic_accept_msg(a, mode, l & 0xff, false);
}

/* --- device -------------------------------------------------------- */

static void lapic_reset(struct device *d)
{
	struct lapic *a = (struct lapic *)d;
	a->id = a->vcpu ? a->vcpu->apic_id : a->cpu_index;
	a->base_msr = APIC_DEFAULT_BASE | BASE_EN | (a->cpu_index == 0 ? BASE_BSP : 0);
	lapic_init_reset(a);
	/* The BSP comes up in virtual-wire mode as a PC BIOS leaves it (MP
	 * spec 1.4 §3.6.2.2): LINT0 = ExtINT for the 8259, LINT1 = NMI. */
	if (a->cpu_index == 0) {
		a->lvt[LVT_LINT0] = APIC_DM_EXTINT << 8;
		a->lvt[LVT_LINT1] = APIC_DM_NMI << 8;
	}
}

static int lapic_realize(struct device *d, struct error **errp)
{
	struct lapic *a = (struct lapic *)d;
	struct vm *vm = d->vm;
	if (a->cpu_index >= VM_MAX_CPUS || !vm->vcpus[a->cpu_index]) {
		error_setg(errp, "apic: no vCPU %u", a->cpu_index);
		return -1;
	}
	a->vcpu = vm->vcpus[a->cpu_index];
	a->vcpu->apic = a;
	timer_init(&a->timer, vm, lapic_timer_expired, a);
	/* One MMIO page serves every vCPU (dispatch by vcpu_self()). */
	if (a->cpu_index == 0 &&
	    !mem_add_mmio(vm, "apic", APIC_DEFAULT_BASE, 0x1000, &apic_mmio_ops, vm, 10)) {
		error_setg(errp, "apic: cannot map its MMIO region");
		return -1;
	}
	lapic_reset(d);
	return 0;
}

static void lapic_unrealize(struct device *d)
{
	struct lapic *a = (struct lapic *)d;
	timer_del(&a->timer);
	if (a->vcpu && a->vcpu->apic == a)
		a->vcpu->apic = NULL;
}

static const struct prop lapic_props[] = {
	{ "cpu-index", PROP_U32, offsetof(struct lapic, cpu_index), NULL, "vCPU this APIC belongs to" },
	PROP_END,
};

const struct device_class lapic_class = {
	.name = "apic",
	.desc = "local APIC (xAPIC/x2APIC)",
	.bus = "sys",
	.size = sizeof(struct lapic),
	.props = lapic_props,
	.realize = lapic_realize,
	.reset = lapic_reset,
	.unrealize = lapic_unrealize,
};
