/*
 * Intel 8259A programmable interrupt controller, as the master/slave pair
 * of a PC (slave cascaded on master IR2), with the PIIX edge/level control
 * registers (ELCR) at 0x4d0/0x4d1.
 */
#ifndef LEMU_HW_INTC_I8259_H
#define LEMU_HW_INTC_I8259_H

#include <stdbool.h>
#include <stdint.h>

#include "core/device.h"
#include "core/irq.h"

/* One 8259A chip (datasheet 231468, "Programming the 8259A"). */
struct pic_chip {
	uint8_t irr;   /* interrupt request register */
	uint8_t isr;   /* in-service register */
	uint8_t imr;   /* interrupt mask register (OCW1) */
	uint8_t line;  /* current input levels (for edge detection) */
	uint8_t elcr;  /* 1 = level-triggered input (PIIX ELCR) */
	uint8_t elcr_mask;
	uint8_t base;  /* ICW2: vector of IR0 (T7-T3) */
	uint8_t prio;  /* IR with the highest priority (rotation) */
	uint8_t icw_step; /* 0 = operational, else the next ICW expected (2..4) */
	bool icw4_needed, single, ltim;
	bool auto_eoi, rotate_aeoi, sfnm;
	bool special_mask;
	bool read_isr; /* OCW3 RR/RIS: A0=0 reads return ISR (else IRR) */
	bool poll;     /* OCW3 P: the next A0=0 read is a poll */
	uint8_t icw3;
};

struct i8259 {
	struct device dev;
	struct pic_chip chip[2]; /* [0] master at 0x20, [1] slave at 0xa0 */
	struct irq out;          /* INTR to the CPU side (the hub) */
	int out_level;
};

/* Drive input `irq` (0..15) to `level`. */
void i8259_set_irq(struct i8259 *p, int irq, int level);
/* INTR is asserted. */
bool i8259_pending(struct i8259 *p);
/* The INTA cycle: returns the vector (a spurious IR7/IR15 vector when the
 * request went away). */
int i8259_ack(struct i8259 *p);

extern const struct device_class i8259_class;

#endif
