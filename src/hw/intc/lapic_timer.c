/*
 * Local APIC timer (Intel SDM vol. 3A 10.5.4): one-shot and periodic
 * modes counting APIC bus clocks through the divide configuration
 * register, and TSC-deadline mode (10.5.4.1) against the guest TSC.  The
 * counter is not ticked: the current count derives from vm_clock_ns and
 * the time the initial count was written; a struct timer fires at expiry.
 */
#include <stdint.h>

#include "core/vm.h"
#include "hw/intc/lapic.h"
#include "hw/intc/lapic_int.h"
#include "hw/intc/pc_intc.h"

int lapic_timer_mode(const struct lapic *a)
{
	return (a->lvt[LVT_TIMER] >> 17) & 3;
}

/* Divide configuration: bits 0,1,3 encode 2^(n+1), 0b111 = 1. */
uint64_t lapic_timer_tick_ns(const struct lapic *a)
{
	uint32_t v = a->timer_divide;
	unsigned s = (v & 3) | ((v & 8) >> 1);
	return (uint64_t)(1u << ((s + 1) & 7)) * APIC_BUS_NS;
}

uint32_t lapic_timer_current(const struct lapic *a)
{
	if (lapic_timer_mode(a) == TIMER_DEADLINE || !a->timer_initial)
		return 0;
	int64_t now = vm_clock_ns(a->dev.vm);
	uint64_t ticks = now > a->timer_start ? (uint64_t)(now - a->timer_start) / lapic_timer_tick_ns(a) : 0;
	if (lapic_timer_mode(a) == TIMER_PERIODIC)
		return a->timer_initial - (uint32_t)(ticks % a->timer_initial);
	return ticks >= a->timer_initial ? 0 : a->timer_initial - (uint32_t)ticks;
}

static uint64_t apic_guest_tsc(struct lapic *a)
{
	struct cpu *c = a->vcpu ? &a->vcpu->cpu : NULL;
	if (c && c->env && c->env->rdtsc)
		return c->env->rdtsc(c);
	return __builtin_ia32_rdtsc();
}

void lapic_timer_arm(struct lapic *a)
{
	struct vm *vm = a->dev.vm;
	int64_t now = vm_clock_ns(vm);
	if (lapic_timer_mode(a) == TIMER_DEADLINE) {
		if (!a->tsc_deadline) {
			timer_del(&a->timer);
			return;
		}
		uint64_t tsc = apic_guest_tsc(a);
		int64_t ns = 0;
		if (a->tsc_deadline > tsc) {
			struct pc_intc *h = pc_intc_of(vm);
			uint64_t khz = h ? pc_intc_tsc_khz(h) : 1000000;
			unsigned __int128 d = (unsigned __int128)(a->tsc_deadline - tsc) * 1000000u / khz;
			ns = d > INT64_MAX / 2 ? INT64_MAX / 2 : (int64_t)d;
		}
		timer_mod(&a->timer, now + ns);
		return;
	}
	if (!a->timer_initial) {
		timer_del(&a->timer);
		return;
	}
	uint64_t period = (uint64_t)a->timer_initial * lapic_timer_tick_ns(a);
	int64_t expire = a->timer_start + (int64_t)period;
	if (lapic_timer_mode(a) == TIMER_PERIODIC) {
		if (period < TIMER_MIN_PERIOD_NS)
			period = TIMER_MIN_PERIOD_NS;
		if (expire <= now)
			expire = a->timer_start + (int64_t)(((uint64_t)(now - a->timer_start) / period + 1) * period);
	} else if (expire <= now) {
		timer_del(&a->timer); /* one-shot already expired */
		return;
	}
	timer_mod(&a->timer, expire);
}

void lapic_timer_expired(void *opaque)
{
	struct lapic *a = opaque;
	if (lapic_timer_mode(a) == TIMER_DEADLINE) {
		if (!a->tsc_deadline)
			return;
		if (apic_guest_tsc(a) < a->tsc_deadline) {
			lapic_timer_arm(a); /* calibration was a little off: wait the rest */
			return;
		}
		a->tsc_deadline = 0;
		lapic_lvt_fire(a, LVT_TIMER);
		return;
	}
	if (!a->timer_initial)
		return;
	lapic_lvt_fire(a, LVT_TIMER);
	if (lapic_timer_mode(a) == TIMER_PERIODIC)
		lapic_timer_arm(a);
}
