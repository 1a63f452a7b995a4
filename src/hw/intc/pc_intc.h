/*
 * The PC's interrupt hub (internal to src/hw/intc): the 8259 pair, the
 * IOAPIC and the local APICs, the ISA IRQ -> GSI wiring, and the
 * struct intc_ops the vCPUs poll.  vm->intc_opaque points to it.
 */
#ifndef LEMU_HW_INTC_PC_INTC_H
#define LEMU_HW_INTC_PC_INTC_H

#include <stdint.h>

#include "core/device.h"
#include "core/irq.h"
#include "core/vm.h"

struct i8259;
struct ioapic;

struct pc_intc {
	struct device dev;
	struct i8259 *pic;
	struct ioapic *ioapic;
	int last_low_prio; /* round-robin start for lowest-priority arbitration */
	/* TSC frequency for TSC-deadline mode: set by the machine, or
	 * calibrated from the host TSC against CLOCK_MONOTONIC. */
	uint64_t tsc_khz;
	uint64_t cal_tsc;
	int64_t cal_ns;
};

static inline struct pc_intc *pc_intc_of(struct vm *vm)
{
	return (struct pc_intc *)vm->intc_opaque;
}

/* Guest TSC kHz (calibrated on first use when the machine set none). */
uint64_t pc_intc_tsc_khz(struct pc_intc *h);

extern const struct device_class pc_intc_class;

#endif
