/*
 * Interrupt lines between devices and interrupt controllers.  A device
 * holds a `struct irq` (copied from the controller's input) and drives it
 * with irq_set(level); edge-triggered sources use irq_pulse.  On the PC the
 * machine connects each ISA IRQ to both the 8259 pair and the IOAPIC (GSI).
 * Called with the VM lock held.
 */
#ifndef LEMU_CORE_IRQ_H
#define LEMU_CORE_IRQ_H

typedef void (*irq_handler)(void *opaque, int n, int level);

struct irq {
	irq_handler handler;
	void *opaque;
	int n;
};

static inline void irq_set(const struct irq *irq, int level)
{
	if (irq && irq->handler)
		irq->handler(irq->opaque, irq->n, level);
}
static inline void irq_raise(const struct irq *irq) { irq_set(irq, 1); }
static inline void irq_lower(const struct irq *irq) { irq_set(irq, 0); }
static inline void irq_pulse(const struct irq *irq)
{
	irq_set(irq, 1);
	irq_set(irq, 0);
}

#endif
