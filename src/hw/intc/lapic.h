/*
 * Local APIC, one per vCPU (Intel SDM vol. 3A ch. 10/11 "Advanced
 * Programmable Interrupt Controller"): xAPIC MMIO at the APIC base and the
 * x2APIC MSRs 0x800-0x8ff, the timer (one-shot, periodic, TSC-deadline),
 * IPIs, and the interrupt message bus shared with the IOAPIC and MSI.
 *
 * Interface for the rest of lemu:
 *  - the vCPU side (env->msr_read/msr_write) routes MSR 0x1b (APIC base),
 *    0x6e0 (TSC deadline) and 0x800-0x8ff to lapic_msr_read/write when
 *    lapic_msr_owned(idx);
 *  - after the guest changes CR8, the CPU calls lapic_tpr_changed (TPR =
 *    CR8 << 4); TPR writes through MMIO/MSR update cpu.cr8 in turn;
 *  - PCI devices signal MSI with lapic_deliver_msi.
 * All of these run with the VM lock held.
 */
#ifndef LEMU_HW_INTC_LAPIC_H
#define LEMU_HW_INTC_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/device.h"
#include "core/loop.h"

struct vm;
struct vcpu;

#define APIC_DEFAULT_BASE 0xfee00000u

/* Delivery modes (ICR, LVT, IOAPIC redirection entries, MSI data). */
enum {
	APIC_DM_FIXED = 0,
	APIC_DM_LOWEST = 1,
	APIC_DM_SMI = 2,
	APIC_DM_NMI = 4,
	APIC_DM_INIT = 5,
	APIC_DM_SIPI = 6,
	APIC_DM_EXTINT = 7,
};

enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_CMCI, LVT_NB };

struct lapic {
	struct device dev;
	uint32_t cpu_index; /* property: which vm->vcpus[] this APIC belongs to */
	struct vcpu *vcpu;

	uint64_t base_msr; /* IA32_APIC_BASE: base | EN | EXTD | BSP */
	uint32_t id;
	uint32_t tpr, ldr, dfr, svr, esr, esr_pending;
	uint32_t icr_lo, icr_hi;
	uint32_t isr[8], tmr[8], irr[8];
	uint32_t lvt[LVT_NB];
	uint32_t timer_initial, timer_divide;
	int64_t timer_start; /* vm_clock_ns when the initial count was loaded */
	uint64_t tsc_deadline;
	struct timer timer;
	bool extint_pending; /* an ExtINT message (IOAPIC) waits for the 8259's INTA */
};

/* An interrupt message on the APIC bus.  dest32: dest is a 32-bit x2APIC
 * ID/logical ID (else 8 bits, 0xff broadcast). */
struct apic_msg {
	uint32_t dest;
	bool logical;
	bool dest32;
	uint8_t mode; /* APIC_DM_* */
	uint8_t vector;
	bool level;   /* level-triggered (TMR) */
};
void lapic_deliver(struct vm *vm, const struct apic_msg *m);
/* MSI: address 0xfeeXXXXX (dest ID 19:12, DM 2), data (vector, mode,
 * trigger) as in SDM 10.11 "Message Signalled Interrupts". */
void lapic_deliver_msi(struct vm *vm, uint64_t addr, uint32_t data);

bool lapic_msr_owned(uint32_t idx);
/* 0, or -1 for #GP. */
int lapic_msr_read(struct vcpu *v, uint32_t idx, uint64_t *val);
int lapic_msr_write(struct vcpu *v, uint32_t idx, uint64_t val);
void lapic_tpr_changed(struct vcpu *v);

/* INIT: everything but the ID and the APIC base MSR returns to its
 * power-up state (SDM 10.4.7.3). */
void lapic_init_reset(struct lapic *a);

/* For the interrupt hub (pc_intc.c). */
bool lapic_has_interrupt(struct lapic *a);
int lapic_ack(struct lapic *a); /* vector moved IRR -> ISR, or -1 */
/* The 8259's INTR may reach this CPU (APIC disabled, or LINT0 ExtINT). */
bool lapic_accepts_pic(struct lapic *a);
/* The LINT1 pin (NMI in virtual-wire mode); LINT0 is the 8259's INTR. */
void lapic_set_lint(struct lapic *a, int lint, int level);

extern const struct device_class lapic_class;

#endif
