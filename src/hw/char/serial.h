/*
 * National Semiconductor PC16550D UART core (no bus): registers, 16-byte
 * FIFOs, interrupts, loopback, modem lines, attached to a chardev.  Bus
 * glue (serial_isa.c) maps the eight registers and gives it an IRQ.
 */
#ifndef LEMU_HW_CHAR_SERIAL_H
#define LEMU_HW_CHAR_SERIAL_H

#include <stdbool.h>
#include <stdint.h>

#include "chardev/chardev.h"
#include "core/irq.h"
#include "core/loop.h"

struct vm;
struct error;

#define UART_FIFO_SIZE 16

struct serial {
	struct vm *vm;
	struct chardev *chr;
	struct chardev_fe fe;
	struct irq irq;
	int irq_level;
	uint16_t divider;
	uint8_t ier, iir, lcr, mcr, lsr, msr, scr, fcr;
	uint8_t rx_fifo[UART_FIFO_SIZE];
	int rx_head, rx_count;
	bool thr_ipending;     /* THR empty interrupt pending (IIR 0x02) */
	bool timeout_ipending; /* character timeout (IIR 0x0c) */
	struct timer rx_timer; /* character timeout: 4 character times */
};

int serial_init(struct serial *s, struct vm *vm, struct chardev *chr, struct irq irq, struct error **errp);
void serial_fini(struct serial *s);
void serial_reset(struct serial *s);
uint8_t serial_read(struct serial *s, unsigned reg);
void serial_write(struct serial *s, unsigned reg, uint8_t val);
/* Input as from the wire (chardev receive path); returns bytes taken. */
size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len);

#endif
