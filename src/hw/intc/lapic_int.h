/*
 * Internals shared by lapic.c (registers, delivery) and lapic_timer.c.
 */
#ifndef LEMU_HW_INTC_LAPIC_INT_H
#define LEMU_HW_INTC_LAPIC_INT_H

#include <stdint.h>

struct lapic;

/* LVT timer modes (bits 18:17) */
#define TIMER_ONESHOT 0
#define TIMER_PERIODIC 1
#define TIMER_DEADLINE 2

/* The APIC timer counts bus clocks; like QEMU, a 1 GHz bus. */
#define APIC_BUS_NS 1
/* A periodic timer never fires more often than this (a guest programming
 * a count of 1 would otherwise flood the I/O thread). */
#define TIMER_MIN_PERIOD_NS 10000

int lapic_timer_mode(const struct lapic *a);
uint64_t lapic_timer_tick_ns(const struct lapic *a);
uint32_t lapic_timer_current(const struct lapic *a);
/* (Re)arm or disarm the struct timer for the current mode and counts. */
void lapic_timer_arm(struct lapic *a);
void lapic_timer_expired(void *opaque);
void lapic_lvt_fire(struct lapic *a, int idx);

#endif
