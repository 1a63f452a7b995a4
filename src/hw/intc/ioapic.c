/*
 * I/O APIC.  References: Intel 82093AA I/O APIC datasheet (order 290566):
 * §3.0 registers (IOREGSEL, IOWIN, IOAPICID, IOAPICVER, IOAPICARB, IOREDTBL),
 * §3.2.4 "I/O Redirection Table Registers" (mask, trigger mode, remote IRR,
 * delivery mode); Intel ICH datasheets for the EOI register at offset 0x40
 * of version 0x20 I/O APICs.
 *
 * The input polarity bit is stored but not applied: lemu's irq lines carry
 * "asserted", the way the interrupt sources think of them, and the guest
 * programs polarity from the ACPI tables to match the board wiring.
 */
#include "hw/intc/ioapic.h"

#include "core/memory.h"
#include "core/vm.h"
#include "hw/intc/lapic.h"
#include "util/error.h"

#define RTE_VECTOR 0xffull
#define RTE_DELMODE_SHIFT 8
#define RTE_DESTMODE (1ull << 11)
#define RTE_DELIVS (1ull << 12)
#define RTE_POLARITY (1ull << 13)
#define RTE_REMOTE_IRR (1ull << 14)
#define RTE_LEVEL (1ull << 15)
#define RTE_MASKED (1ull << 16)
#define RTE_DEST_SHIFT 56
/* Bits the guest may write: all but delivery status and remote IRR. */
#define RTE_RW_MASK (~(RTE_DELIVS | RTE_REMOTE_IRR) & (0xffull << 56 | 0x1ffffull))

static void ioapic_send(struct ioapic *io, int pin)
{
	uint64_t e = io->redir[pin];
	struct apic_msg m = {
		.dest = (uint32_t)(e >> RTE_DEST_SHIFT),
		.logical = e & RTE_DESTMODE,
		.mode = (e >> RTE_DELMODE_SHIFT) & 7,
		.vector = e & RTE_VECTOR,
		.level = e & RTE_LEVEL,
	};
	if (m.mode == 3 || m.mode == 6) {
		vm_log(io->dev.vm, VM_LOG_GUEST_ERRORS, "ioapic: pin %d uses reserved delivery mode %d\n", pin,
		       m.mode);
		return;
	}
	lapic_deliver(io->dev.vm, &m);
}

/* Deliver a level-triggered pin that is asserted, unmasked and not
 * waiting for an EOI ("Remote IRR ... set when the local APIC accepts the
 * level interrupt and reset when an EOI with a matching vector arrives"). */
static void ioapic_service_level(struct ioapic *io, int pin)
{
	uint64_t *e = &io->redir[pin];
	if (!(io->level & (1u << pin)) || (*e & RTE_MASKED) || (*e & RTE_REMOTE_IRR))
		return;
	int mode = (*e >> RTE_DELMODE_SHIFT) & 7;
	/* Remote IRR is defined for fixed/lowest-priority level interrupts. */
	if (mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST)
		*e |= RTE_REMOTE_IRR;
	ioapic_send(io, pin);
}

void ioapic_set_irq(struct ioapic *io, int pin, int level)
{
	if (pin < 0 || pin >= IOAPIC_PINS)
		return;
	uint32_t m = 1u << pin;
	bool was = io->level & m;
	if (level)
		io->level |= m;
	else
		io->level &= ~m;
	uint64_t e = io->redir[pin];
	if (e & RTE_LEVEL) {
		ioapic_service_level(io, pin);
	} else if (level && !was && !(e & RTE_MASKED)) {
		/* Edges on a masked pin are ignored, not held (datasheet
		 * §3.2.4, Interrupt Mask). */
		ioapic_send(io, pin);
	}
}

void ioapic_eoi(struct ioapic *io, int vector)
{
	for (int pin = 0; pin < IOAPIC_PINS; pin++) {
		uint64_t *e = &io->redir[pin];
		if ((*e & RTE_VECTOR) != (uint64_t)vector || !(*e & RTE_REMOTE_IRR))
			continue;
		*e &= ~RTE_REMOTE_IRR;
		/* Still asserted: the device wants service again. */
		if (*e & RTE_LEVEL)
			ioapic_service_level(io, pin);
	}
}

static uint32_t ioapic_reg_read(struct ioapic *io)
{
	uint8_t r = io->regsel;
	switch (r) {
	case 0x00:
		return (uint32_t)io->id << 24;
	case 0x01: /* version, maximum redirection entry (bits 23:16) */
		return (io->version & 0xff) | ((IOAPIC_PINS - 1) << 16);
	case 0x02:
		return (uint32_t)io->id << 24; /* arbitration ID follows the ID */
	}
	if (r >= 0x10 && r < 0x10 + 2 * IOAPIC_PINS) {
		uint64_t e = io->redir[(r - 0x10) / 2];
		return (r & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
	}
	vm_log(io->dev.vm, VM_LOG_GUEST_ERRORS, "ioapic: read of undefined register 0x%02x\n", r);
	return 0;
}

static void ioapic_reg_write(struct ioapic *io, uint32_t val)
{
	uint8_t r = io->regsel;
	if (r == 0x00) {
		io->id = (val >> 24) & 0x0f;
		return;
	}
	if (r == 0x01 || r == 0x02)
		return; /* read-only */
	if (r >= 0x10 && r < 0x10 + 2 * IOAPIC_PINS) {
		int pin = (r - 0x10) / 2;
		uint64_t *e = &io->redir[pin];
		uint64_t nv = (r & 1) ? ((uint64_t)val << 32) | (uint32_t)*e
				      : (*e & 0xffffffff00000000ull) | val;
		*e = (*e & ~RTE_RW_MASK) | (nv & RTE_RW_MASK);
		/* Switching a pin to edge drops a stale Remote IRR. */
		if (!(*e & RTE_LEVEL))
			*e &= ~RTE_REMOTE_IRR;
		/* An unmasked level pin that is asserted requests service. */
		if (*e & RTE_LEVEL)
			ioapic_service_level(io, pin);
		return;
	}
	vm_log(io->dev.vm, VM_LOG_GUEST_ERRORS, "ioapic: write of undefined register 0x%02x\n", r);
}

static uint64_t ioapic_mmio_read(void *opaque, uint64_t off, unsigned size)
{
	struct ioapic *io = opaque;
	switch (off) {
	case 0x00:
		return io->regsel;
	case 0x10:
		return ioapic_reg_read(io);
	}
	vm_log(io->dev.vm, VM_LOG_GUEST_ERRORS, "ioapic: read at offset 0x%llx\n", (unsigned long long)off);
	return 0;
}

static void ioapic_mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct ioapic *io = opaque;
	switch (off) {
	case 0x00:
		io->regsel = val;
		return;
	case 0x10:
		if (size != 4)
			vm_log(io->dev.vm, VM_LOG_GUEST_ERRORS, "ioapic: %u-byte write to IOWIN\n", size);
		ioapic_reg_write(io, val);
		return;
	case 0x40: /* EOI register (version 0x20) */
		if (io->version >= 0x20) {
			ioapic_eoi(io, val & 0xff);
			return;
		}
		break;
	}
	vm_log(io->dev.vm, VM_LOG_GUEST_ERRORS, "ioapic: write at offset 0x%llx\n", (unsigned long long)off);
}

static const struct io_ops ioapic_ops = { ioapic_mmio_read, ioapic_mmio_write, 1, 4 };

static void ioapic_reset(struct device *d)
{
	struct ioapic *io = (struct ioapic *)d;
	io->id = 0;
	io->regsel = 0;
	/* Datasheet: every entry masked after reset. */
	for (int i = 0; i < IOAPIC_PINS; i++)
		io->redir[i] = RTE_MASKED;
}

static int ioapic_realize(struct device *d, struct error **errp)
{
	struct ioapic *io = (struct ioapic *)d;
	if (io->version != 0x11 && io->version != 0x20) {
		error_setg(errp, "ioapic: version must be 0x11 or 0x20");
		return -1;
	}
	if (!mem_add_mmio(d->vm, "ioapic", IOAPIC_BASE, 0x1000, &ioapic_ops, io, 0)) {
		error_setg(errp, "ioapic: cannot map its MMIO region");
		return -1;
	}
	ioapic_reset(d);
	return 0;
}

static const struct prop ioapic_props[] = {
	{ "version", PROP_U32, offsetof(struct ioapic, version), "0x20", "version register (0x11 or 0x20)" },
	PROP_END,
};

const struct device_class ioapic_class = {
	.name = "ioapic",
	.desc = "I/O APIC (82093AA / ICH)",
	.bus = "sys",
	.size = sizeof(struct ioapic),
	.props = ioapic_props,
	.realize = ioapic_realize,
	.reset = ioapic_reset,
};
