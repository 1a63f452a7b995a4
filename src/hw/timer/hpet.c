/*
 * HPET.  Reference: IA-PC HPET (High Precision Event Timers)
 * Specification 1.0a: §2.3.1 register map, §2.3.4 general capabilities
 * and ID, §2.3.5 general configuration (ENABLE_CNF, LEG_RT_CNF), §2.3.6
 * general interrupt status, §2.3.7 main counter, §2.3.8 timer N
 * configuration and capability, §2.3.9 comparator (periodic mode and
 * Tn_VAL_SET_CNF), §2.3.9.2.1 32-bit mode wrap-around interrupt, §2.4
 * interrupt mapping (legacy replacement option).  FSB delivery is not
 * offered (Tn_FSB_INT_DEL_CAP = 0).
 */
#include "hw/timer/hpet.h"

#include "core/memory.h"
#include "core/vm.h"
#include "hw/x86/pc_devices.h"
#include "util/error.h"

#define CAP_REV_ID 0x01
#define CAP_COUNT_SIZE (1ull << 13)
#define CAP_LEG_RT (1ull << 15)
#define CAP_VENDOR 0x8086ull
#define CFG_ENABLE 1ull
#define CFG_LEGACY 2ull

#define TN_INT_LEVEL (1ull << 1)
#define TN_INT_ENB (1ull << 2)
#define TN_PERIODIC (1ull << 3)
#define TN_PER_CAP (1ull << 4)
#define TN_SIZE_CAP (1ull << 5)
#define TN_VAL_SET (1ull << 6)
#define TN_32BIT (1ull << 8)
#define TN_ROUTE_SHIFT 9
#define TN_ROUTE_MASK (0x1full << TN_ROUTE_SHIFT)
#define TN_WRITABLE (TN_INT_LEVEL | TN_INT_ENB | TN_PERIODIC | TN_VAL_SET | TN_32BIT | TN_ROUTE_MASK)
/* IOAPIC inputs the comparators may use outside legacy mode (as ICH's
 * HPET: GSI 20-23). */
#define TN_ROUTE_CAP 0x00f00000ull

#define NS_PER_TICK (HPET_PERIOD_FS / 1000000u)
#define MIN_PERIODIC_NS 10000

static uint64_t hpet_now(struct hpet *h)
{
	if (!(h->config & CFG_ENABLE))
		return h->counter;
	int64_t now = vm_clock_ns(h->dev.vm);
	uint64_t d = now > h->counter_ns ? (uint64_t)(now - h->counter_ns) : 0;
	return h->counter + d / NS_PER_TICK;
}

static bool t_32(const struct hpet_timer *t)
{
	return t->config & TN_32BIT;
}

/* Where timer t's interrupt goes now (§2.4: legacy replacement takes
 * timers 0 and 1 to IRQ0 and IRQ8). */
static struct irq hpet_route(struct hpet_timer *t)
{
	struct hpet *h = t->h;
	struct vm *vm = h->dev.vm;
	if ((h->config & CFG_LEGACY) && t->idx < 2)
		return vm->gsi[t->idx == 0 ? 0 : 8];
	int pin = (t->config & TN_ROUTE_MASK) >> TN_ROUTE_SHIFT;
	if (!(TN_ROUTE_CAP & (1ull << pin))) {
		/* Guests write route 0 while they use legacy replacement; only
		 * an interrupt actually sent there is an error. */
		if (t->config & TN_INT_ENB)
			vm_log(vm, VM_LOG_GUEST_ERRORS, "hpet: timer %d routed to unsupported IRQ %d\n", t->idx, pin);
		return (struct irq){ NULL, NULL, 0 };
	}
	return pc_ioapic_pin(vm, pin);
}

static void t_set_line(struct hpet_timer *t, int level)
{
	struct irq r = hpet_route(t);
	if (t->level && (r.handler != t->line.handler || r.opaque != t->line.opaque || r.n != t->line.n))
		irq_lower(&t->line); /* route changed while asserted */
	t->line = r;
	if (level != t->level) {
		t->level = level;
		irq_set(&t->line, level);
	}
}

/* The comparator matched. */
static void t_fire(struct hpet_timer *t)
{
	struct hpet *h = t->h;
	if (t->config & TN_INT_LEVEL) {
		/* Level: status set even when disabled (§2.3.8 Tn_INT_ENB_CNF);
		 * the line stays asserted until software clears the status. */
		h->isr |= 1ull << t->idx;
		if (t->config & TN_INT_ENB)
			t_set_line(t, 1);
	} else if (t->config & TN_INT_ENB) {
		t_set_line(t, 0);
		struct irq r = t->line;
		irq_pulse(&r);
	}
}

static void t_arm(struct hpet_timer *t)
{
	struct hpet *h = t->h;
	if (!(h->config & CFG_ENABLE)) {
		timer_del(&t->timer);
		return;
	}
	uint64_t now = hpet_now(h);
	uint64_t diff;
	if (t_32(t)) {
		diff = (uint32_t)((uint32_t)t->cmp - (uint32_t)now);
		/* one-shot 32-bit timers also interrupt when the counter
		 * wraps (§2.3.9.2.1) */
		uint64_t wrap = 0x100000000ull - (now & 0xffffffffull);
		if (!(t->config & TN_PERIODIC) && wrap < diff)
			diff = wrap;
	} else {
		diff = t->cmp - now;
		if (diff > (1ull << 62))
			diff = 1ull << 62; /* behind the counter: only after a wrap */
	}
	if (diff == 0)
		diff = t_32(t) ? 0x100000000ull : 1ull << 62;
	if (diff > (1ull << 50)) {
		timer_del(&t->timer); /* centuries away */
		return;
	}
	int64_t when = h->counter_ns + (int64_t)((hpet_now(h) - h->counter + diff) * NS_PER_TICK);
	/* A periodic timer with a tiny period would flood the I/O thread;
	 * t_expired skips the periods it missed. */
	int64_t now_ns = vm_clock_ns(h->dev.vm);
	if ((t->config & TN_PERIODIC) && when < now_ns + MIN_PERIODIC_NS)
		when = now_ns + MIN_PERIODIC_NS;
	timer_mod(&t->timer, when);
}

static void t_expired(void *opaque)
{
	struct hpet_timer *t = opaque;
	struct hpet *h = t->h;
	uint64_t now = hpet_now(h);
	uint64_t mask = t_32(t) ? 0xffffffffull : ~0ull;
	bool match = ((now - t->cmp) & mask) < (mask >> 1);
	if (match || !(t->config & TN_PERIODIC)) {
		t_fire(t);
		if ((t->config & TN_PERIODIC) && t->period) {
			/* add the period until the comparator is ahead again
			 * (missed periods are not replayed) */
			uint64_t p = t->period & mask;
			uint64_t behind = (now - t->cmp) & mask;
			t->cmp = (t->cmp + (behind / p + 1) * p) & mask;
		}
	}
	t_arm(t);
}

void hpet_legacy_in(void *opaque, int n, int level)
{
	struct hpet *h = opaque;
	h->legacy_in[n] = level;
	if (!(h->config & CFG_LEGACY))
		irq_set(&h->legacy_out[n], level);
}

static uint64_t hpet_reg_read(struct hpet *h, uint64_t reg)
{
	switch (reg) {
	case 0x000:
		return CAP_REV_ID | ((uint64_t)(HPET_NUM_TIMERS - 1) << 8) | CAP_COUNT_SIZE | CAP_LEG_RT |
		       (CAP_VENDOR << 16) | ((uint64_t)HPET_PERIOD_FS << 32);
	case 0x010:
		return h->config;
	case 0x020:
		return h->isr;
	case 0x0f0:
		return hpet_now(h);
	}
	if (reg >= 0x100 && reg < 0x100 + 0x20 * HPET_NUM_TIMERS) {
		struct hpet_timer *t = &h->t[(reg - 0x100) / 0x20];
		switch (reg & 0x1f) {
		case 0x00:
			return t->config | TN_PER_CAP | TN_SIZE_CAP | (TN_ROUTE_CAP << 32);
		case 0x08:
			return t_32(t) ? (uint32_t)t->cmp : t->cmp;
		case 0x10:
			return 0; /* FSB route: not supported */
		}
	}
	vm_log(h->dev.vm, VM_LOG_GUEST_ERRORS, "hpet: read of reserved offset 0x%llx\n", (unsigned long long)reg);
	return 0;
}

static void hpet_set_config(struct hpet *h, uint64_t v)
{
	uint64_t old = h->config;
	int64_t now = vm_clock_ns(h->dev.vm);
	if ((v & CFG_ENABLE) && !(old & CFG_ENABLE)) {
		h->counter_ns = now;
	} else if (!(v & CFG_ENABLE) && (old & CFG_ENABLE)) {
		h->counter = hpet_now(h);
	}
	h->config = v & (CFG_ENABLE | CFG_LEGACY);
	if ((v ^ old) & CFG_LEGACY) {
		/* The PIT/RTC lines are cut (legacy on) or handed back. */
		for (int n = 0; n < 2; n++)
			irq_set(&h->legacy_out[n], (v & CFG_LEGACY) ? 0 : h->legacy_in[n]);
		for (int i = 0; i < HPET_NUM_TIMERS; i++)
			t_set_line(&h->t[i], h->t[i].level);
	}
	for (int i = 0; i < HPET_NUM_TIMERS; i++)
		t_arm(&h->t[i]);
}

static void hpet_timer_write(struct hpet *h, struct hpet_timer *t, unsigned reg, uint64_t v, uint64_t wmask)
{
	switch (reg) {
	case 0x00: {
		uint64_t nv = (t->config & ~wmask) | (v & wmask);
		t->config = (t->config & ~TN_WRITABLE) | (nv & TN_WRITABLE);
		if (t_32(t)) {
			t->cmp &= 0xffffffffull;
			t->period &= 0xffffffffull;
		}
		/* Edge mode or disabled: nothing holds the line any more. */
		if (!(t->config & TN_INT_LEVEL) || !(t->config & TN_INT_ENB))
			t_set_line(t, 0);
		else
			t_set_line(t, !!(h->isr & (1ull << t->idx)));
		break;
	}
	case 0x08: {
		uint64_t val = (t->cmp & ~wmask) | (v & wmask);
		if (t_32(t))
			val &= 0xffffffffull;
		/* §2.3.9.2.2: in periodic mode a write with Tn_VAL_SET_CNF sets
		 * the comparator; every write sets the period. */
		if (!(t->config & TN_PERIODIC) || (t->config & TN_VAL_SET))
			t->cmp = val;
		t->period = (t->period & ~wmask) | (v & wmask);
		if (t_32(t))
			t->period &= 0xffffffffull;
		t->config &= ~TN_VAL_SET;
		break;
	}
	case 0x10:
		break; /* FSB route: not supported */
	}
	t_arm(t);
}

static void hpet_reg_write(struct hpet *h, uint64_t reg, uint64_t v, uint64_t wmask)
{
	switch (reg) {
	case 0x000:
		return; /* read-only */
	case 0x010:
		hpet_set_config(h, (h->config & ~wmask) | (v & wmask));
		return;
	case 0x020:
		/* Write 1 to clear a level-triggered status bit. */
		for (int i = 0; i < HPET_NUM_TIMERS; i++)
			if (v & wmask & (1ull << i)) {
				h->isr &= ~(1ull << i);
				t_set_line(&h->t[i], 0);
			}
		return;
	case 0x0f0:
		if (h->config & CFG_ENABLE)
			vm_log(h->dev.vm, VM_LOG_GUEST_ERRORS, "hpet: main counter written while enabled\n");
		h->counter = (hpet_now(h) & ~wmask) | (v & wmask);
		h->counter_ns = vm_clock_ns(h->dev.vm);
		for (int i = 0; i < HPET_NUM_TIMERS; i++)
			t_arm(&h->t[i]);
		return;
	}
	if (reg >= 0x100 && reg < 0x100 + 0x20 * HPET_NUM_TIMERS) {
		hpet_timer_write(h, &h->t[(reg - 0x100) / 0x20], reg & 0x1f, v, wmask);
		return;
	}
	vm_log(h->dev.vm, VM_LOG_GUEST_ERRORS, "hpet: write to reserved offset 0x%llx\n", (unsigned long long)reg);
}

static uint64_t hpet_mmio_read(void *opaque, uint64_t off, unsigned size)
{
	struct hpet *h = opaque;
	uint64_t v = hpet_reg_read(h, off & ~7ull);
	if (size == 8)
		return v;
	return (v >> ((off & 4) * 8)) & 0xffffffffull;
}

static void hpet_mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct hpet *h = opaque;
	if (size == 8) {
		hpet_reg_write(h, off, val, ~0ull);
		return;
	}
	unsigned shift = (off & 4) * 8;
	hpet_reg_write(h, off & ~7ull, (val & 0xffffffffull) << shift, 0xffffffffull << shift);
}

static const struct io_ops hpet_ops = { hpet_mmio_read, hpet_mmio_write, 4, 8 };

static void hpet_reset(struct device *d)
{
	struct hpet *h = (struct hpet *)d;
	if (h->config & CFG_LEGACY)
		for (int n = 0; n < 2; n++)
			irq_set(&h->legacy_out[n], h->legacy_in[n]);
	h->config = 0;
	h->isr = 0;
	h->counter = 0;
	h->counter_ns = vm_clock_ns(d->vm);
	for (int i = 0; i < HPET_NUM_TIMERS; i++) {
		struct hpet_timer *t = &h->t[i];
		t_set_line(t, 0);
		t->config = 0;
		t->cmp = ~0ull; /* comparators reset to all ones */
		t->period = 0;
		timer_del(&t->timer);
	}
}

static int hpet_realize(struct device *d, struct error **errp)
{
	struct hpet *h = (struct hpet *)d;
	struct vm *vm = d->vm;
	h->legacy_out[0] = vm->gsi[0];
	h->legacy_out[1] = vm->gsi[8];
	for (int i = 0; i < HPET_NUM_TIMERS; i++) {
		struct hpet_timer *t = &h->t[i];
		t->h = h;
		t->idx = i;
		timer_init(&t->timer, vm, t_expired, t);
	}
	if (!mem_add_mmio(vm, "hpet", HPET_BASE, 0x400, &hpet_ops, h, 0)) {
		error_setg(errp, "hpet: cannot map its MMIO region");
		return -1;
	}
	hpet_reset(d);
	return 0;
}

static void hpet_unrealize(struct device *d)
{
	struct hpet *h = (struct hpet *)d;
	for (int i = 0; i < HPET_NUM_TIMERS; i++)
		timer_del(&h->t[i].timer);
}

static const struct prop hpet_props[] = { PROP_END };

const struct device_class hpet_class = {
	.name = "hpet",
	.desc = "High Precision Event Timer",
	.bus = "sys",
	.size = sizeof(struct hpet),
	.props = hpet_props,
	.realize = hpet_realize,
	.reset = hpet_reset,
	.unrealize = hpet_unrealize,
};
