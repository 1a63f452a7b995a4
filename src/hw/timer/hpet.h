/*
 * High Precision Event Timer at 0xfed00000: 3 comparators, 64-bit main
 * counter at 100 MHz, legacy replacement routing (timer 0 -> IRQ0/GSI2,
 * timer 1 -> IRQ8), which also cuts the PIT's and the RTC's interrupts.
 */
#ifndef LEMU_HW_TIMER_HPET_H
#define LEMU_HW_TIMER_HPET_H

#include <stdbool.h>
#include <stdint.h>

#include "core/device.h"
#include "core/irq.h"
#include "core/loop.h"

#define HPET_BASE 0xfed00000u
#define HPET_NUM_TIMERS 3
#define HPET_PERIOD_FS 10000000u /* 10 ns per tick */

struct hpet;

struct hpet_timer {
	struct hpet *h;
	int idx;
	uint64_t config;
	uint64_t cmp;
	uint64_t period;
	struct timer timer;
	struct irq line; /* where the interrupt currently goes */
	int level;       /* line asserted */
};

struct hpet {
	struct device dev;
	uint64_t config;   /* general configuration */
	uint64_t isr;      /* general interrupt status */
	uint64_t counter;  /* main counter while halted / at counter_ns */
	int64_t counter_ns; /* vm_clock_ns when counting (re)started */
	struct hpet_timer t[HPET_NUM_TIMERS];
	/* Legacy replacement: the PIT's and RTC's lines pass through here. */
	struct irq legacy_out[2]; /* vm->gsi[0], vm->gsi[8] */
	int legacy_in[2];         /* levels the PIT / RTC drive */
};

/* irq handler for the PIT (n = 0) and the RTC (n = 1) lines. */
void hpet_legacy_in(void *opaque, int n, int level);

extern const struct device_class hpet_class;

#endif
