/*
 * Intel 8042 keyboard controller (PS/2) at 0x60/0x64 with a keyboard on
 * the first port (IRQ1) and a mouse on the AUX port (IRQ12); its output
 * port drives the A20 gate and the CPU reset line.
 */
#ifndef LEMU_HW_INPUT_I8042_H
#define LEMU_HW_INPUT_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "core/device.h"
#include "core/irq.h"

#define PS2_QUEUE 16

struct ps2_queue {
	uint8_t data[PS2_QUEUE];
	int head, count;
};

struct i8042 {
	struct device dev;
	uint8_t status;   /* status register bits kept between accesses */
	uint8_t ctr;      /* controller command byte */
	uint8_t outport;  /* output port (bit 0 reset line, bit 1 A20) */
	uint8_t ob;       /* output buffer */
	bool ob_full, ob_aux;
	uint8_t pending;  /* controller command waiting for its data byte */
	struct ps2_queue kq, mq;
	/* keyboard */
	uint8_t kbd_arg_cmd; /* 0xed/0xf0/0xf3 waiting for an argument */
	bool kbd_scanning;
	uint8_t kbd_set;
	/* mouse */
	uint8_t aux_arg_cmd; /* 0xe8/0xf3 waiting for an argument */
	bool aux_reporting, aux_remote, aux_wrap, aux_scale21;
	uint8_t aux_rate, aux_res;
	struct irq irq_kbd, irq_aux;
	int irq_kbd_level, irq_aux_level;
};

/* A byte from the keyboard (scan code) / mouse, as if typed or moved. */
void i8042_kbd_put(struct i8042 *k, uint8_t b);
void i8042_aux_put(struct i8042 *k, uint8_t b);

extern const struct device_class i8042_class;

#endif
