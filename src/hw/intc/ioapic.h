/*
 * I/O APIC (Intel 82093AA) at 0xfec00000 with 24 pins, as QEMU's PC has it
 * (version register 0x20, i.e. the ICH flavour with the EOI register; the
 * "version" property selects 0x11 for a plain 82093AA).
 */
#ifndef LEMU_HW_INTC_IOAPIC_H
#define LEMU_HW_INTC_IOAPIC_H

#include <stdint.h>

#include "core/device.h"

#define IOAPIC_BASE 0xfec00000u
#define IOAPIC_PINS 24

struct ioapic {
	struct device dev;
	uint32_t version; /* property */
	uint8_t id;
	uint8_t regsel;
	uint64_t redir[IOAPIC_PINS];
	uint32_t level; /* pin input levels (asserted = 1; polarity is not modelled) */
};

/* Drive pin `pin` to `level` (1 = asserted). */
void ioapic_set_irq(struct ioapic *io, int pin, int level);
/* A local APIC EOI of a level-triggered `vector` (broadcast or through
 * the EOI register): clears Remote IRR and re-delivers still-asserted pins. */
void ioapic_eoi(struct ioapic *io, int vector);

extern const struct device_class ioapic_class;

#endif
