/*
 * Intel 8254 programmable interval timer at 0x40-0x43 (channel 0 -> IRQ0,
 * channel 2 -> PC speaker) and the AT "port B" at 0x61 that gates channel 2
 * and reads back its OUT and the refresh toggle.
 */
#ifndef LEMU_HW_TIMER_I8254_H
#define LEMU_HW_TIMER_I8254_H

#include <stdbool.h>
#include <stdint.h>

#include "core/device.h"
#include "core/irq.h"
#include "core/loop.h"

#define PIT_FREQ 1193182 /* Hz: 14.31818 MHz / 12 */

struct pit_channel {
	uint32_t count;    /* N: 1..65536 (binary) or 1..10000 (BCD) */
	int64_t load_ns;   /* vm_clock_ns when N was loaded into the counting element */
	int64_t frozen;    /* elapsed ticks while counting is suspended by GATE, or -1 */
	uint8_t mode, rw, bcd;
	bool gate;
	bool loaded;       /* a count has been written since the control word */
	bool triggered;    /* modes 1/5: a GATE rising edge started the count */
	bool null_count;
	uint8_t write_lsb_next; /* rw=3: the next write is the LSB */
	uint8_t write_lsb;
	uint8_t read_lsb_next;  /* rw=3: the next read is the LSB */
	bool count_latched;
	uint8_t latch_bytes;    /* bytes of the latched count still to read */
	uint16_t latch;
	bool status_latched;
	uint8_t status;
};

struct i8254 {
	struct device dev;
	uint32_t iobase; /* property, 0x40 */
	uint32_t irq_num;  /* property, 0 */
	struct pit_channel ch[3];
	struct timer timer; /* channel 0's next IRQ0 edge */
	struct irq irq;     /* set at realize to vm->gsi[irq]; the HPET may interpose */
	uint8_t port61;     /* bits 0-3 as written */
};

/* Channel 2's GATE (port 0x61 bit 0) and OUT (bit 5), for tests. */
void i8254_set_gate(struct i8254 *p, int ch, bool gate);
int i8254_get_out(struct i8254 *p, int ch);

extern const struct device_class i8254_class;

#endif
