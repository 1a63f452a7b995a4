/*
 * Intel 8254 PIT.  Reference: Intel 8254 Programmable Interval Timer
 * datasheet (order 231164): "Control Word Format", "Counter Latch
 * Command", "Read-Back Command", "Status Byte", modes 0-5 ("Mode
 * Definitions") and the GATE pin table.  Port 0x61 as in the IBM PC/AT
 * Technical Reference ("port B") and PIIX4 §4.7.2 (NMI status and
 * control register: bit 0 timer 2 gate, bit 1 speaker data enable, bit 4
 * refresh cycle toggle, bit 5 timer 2 output).
 *
 * The counters are not ticked: each channel remembers when its count was
 * loaded and derives the counter value and OUT from vm_clock_ns.
 */
#include "hw/timer/i8254.h"

#include "core/memory.h"
#include "core/vm.h"
#include "util/error.h"

/* A rate generator faster than this is not modelled tick by tick on IRQ0. */
#define MIN_IRQ_INTERVAL_NS 10000
#define REFRESH_NS 15085 /* DRAM refresh request period (port 0x61 bit 4) */

static int64_t ticks_since(int64_t from_ns, int64_t now)
{
	if (now <= from_ns)
		return 0;
	return (int64_t)((unsigned __int128)(now - from_ns) * PIT_FREQ / 1000000000u);
}

static int64_t ticks_to_ns(int64_t ticks)
{
	return (int64_t)(((unsigned __int128)ticks * 1000000000u + PIT_FREQ - 1) / PIT_FREQ);
}

static bool ch_counting(const struct pit_channel *c)
{
	if (!c->loaded)
		return false;
	if ((c->mode == 1 || c->mode == 5) && !c->triggered)
		return false;
	return true;
}

/* Elapsed CLK pulses since the count was loaded (suspended by GATE low). */
static int64_t ch_ticks(const struct pit_channel *c, int64_t now)
{
	if (c->frozen >= 0)
		return c->frozen;
	return ticks_since(c->load_ns, now);
}

/* Modes 2 and 3 need N >= 2 (N = 1 is illegal in mode 2). */
static uint32_t ch_n(const struct pit_channel *c)
{
	if ((c->mode == 2 || c->mode == 3) && c->count < 2)
		return 2;
	return c->count;
}

static uint32_t ch_value(const struct pit_channel *c, int64_t now)
{
	uint32_t n = ch_n(c);
	uint32_t wrap = c->bcd ? 10000 : 65536;
	if (!ch_counting(c))
		return c->count % wrap;
	int64_t d = ch_ticks(c, now);
	switch (c->mode) {
	case 2:
		return n - (uint32_t)(d % n);
	case 3: {
		/* decrements by two; each half period reloads N (odd N: the
		 * first half is one clock longer, the counter drops its LSB) */
		uint32_t h1 = (n + 1) / 2;
		uint32_t t = d % n;
		uint32_t v = t < h1 ? n - 2 * t : n - 2 * (t - h1);
		return v & ~1u;
	}
	default: /* 0, 1, 4, 5: count down and wrap */
		return (uint32_t)(((int64_t)n - d % wrap + wrap) % wrap);
	}
}

static int ch_out(const struct pit_channel *c, int64_t now)
{
	if (!c->loaded)
		return c->mode == 0 ? 0 : 1;
	if ((c->mode == 2 || c->mode == 3) && !c->gate)
		return 1;
	if (!ch_counting(c))
		return 1; /* modes 1/5 waiting for the trigger */
	int64_t d = ch_ticks(c, now);
	uint32_t n = ch_n(c);
	switch (c->mode) {
	case 0:
	case 1:
		return d >= n;
	case 2:
		return d % n != n - 1;
	case 3:
		return (uint32_t)(d % n) < (n + 1) / 2;
	default: /* 4, 5: one-clock low strobe at terminal count */
		return d != n;
	}
}

/* Tick of the next IRQ0 rising edge after d, or -1. */
static int64_t ch_next_rise(const struct pit_channel *c, int64_t d)
{
	if (!ch_counting(c) || c->frozen >= 0)
		return -1;
	uint32_t n = ch_n(c);
	switch (c->mode) {
	case 0:
	case 1:
		return d < n ? (int64_t)n : -1;
	case 2:
	case 3:
		return (d / n + 1) * n;
	default:
		return d <= n ? (int64_t)n + 1 : -1;
	}
}

/* Schedule channel 0's next interrupt (the IRQ0 line follows OUT's rising
 * edges; a rising edge is what the 8259 and the IOAPIC latch). */
static void pit_irq_arm(struct i8254 *p)
{
	struct pit_channel *c = &p->ch[0];
	int64_t now = vm_clock_ns(p->dev.vm);
	int64_t d = ch_ticks(c, now);
	int64_t next = ch_next_rise(c, d);
	if (next < 0) {
		timer_del(&p->timer);
		return;
	}
	int64_t when = c->load_ns + ticks_to_ns(next);
	if (when < now + MIN_IRQ_INTERVAL_NS && (c->mode == 2 || c->mode == 3))
		when = now + MIN_IRQ_INTERVAL_NS;
	timer_mod(&p->timer, when);
}

static void pit_timer_cb(void *opaque)
{
	struct i8254 *p = opaque;
	struct pit_channel *c = &p->ch[0];
	if (c->mode == 0 || c->mode == 1) {
		irq_raise(&p->irq); /* OUT stays high until reprogrammed */
	} else {
		irq_pulse(&p->irq);
	}
	pit_irq_arm(p);
}

static void ch_load(struct i8254 *p, int idx, uint32_t raw)
{
	struct pit_channel *c = &p->ch[idx];
	struct vm *vm = p->dev.vm;
	if (c->bcd) {
		uint32_t b = 0, mul = 1;
		for (int i = 0; i < 4; i++, raw >>= 4, mul *= 10) {
			uint32_t dgt = raw & 0xf;
			if (dgt > 9) {
				vm_log(vm, VM_LOG_GUEST_ERRORS, "i8254: invalid BCD count digit on channel %d\n", idx);
				dgt = 9;
			}
			b += dgt * mul;
		}
		raw = b ? b : 10000;
	} else if (!raw) {
		raw = 65536;
	}
	c->count = raw;
	c->loaded = true;
	c->null_count = false;
	c->frozen = -1;
	c->load_ns = vm_clock_ns(vm);
	/* Modes 1/5 wait for a trigger; the others start counting now
	 * (mode 2/3 also on a new count while counting, to keep it simple). */
	if (c->mode == 1 || c->mode == 5)
		c->triggered = false;
	else if (!c->gate)
		c->frozen = 0; /* GATE low: counting waits for it */
	if (idx == 0) {
		if (c->mode == 0)
			irq_lower(&p->irq);
		pit_irq_arm(p);
	}
}

static void ch_latch(struct pit_channel *c, int64_t now)
{
	if (c->count_latched)
		return; /* a second latch before reading is ignored */
	c->count_latched = true;
	c->latch = ch_value(c, now);
	c->latch_bytes = c->rw == 3 ? 2 : 1;
}

static void ch_status(struct pit_channel *c, int64_t now)
{
	if (c->status_latched)
		return;
	c->status_latched = true;
	c->status = (ch_out(c, now) << 7) | (c->null_count << 6) | (c->rw << 4) | (c->mode << 1) | c->bcd;
}

static uint8_t ch_byte(const struct pit_channel *c, uint16_t v, bool lsb)
{
	return lsb ? v & 0xff : v >> 8;
}

static uint16_t to_bcd(uint32_t v)
{
	v %= 10000;
	return (v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 | (v / 1000) << 12;
}

static uint8_t ch_read(struct i8254 *p, int idx)
{
	struct pit_channel *c = &p->ch[idx];
	int64_t now = vm_clock_ns(p->dev.vm);
	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->count_latched) {
		uint16_t v = c->bcd ? to_bcd(c->latch) : c->latch;
		uint8_t r;
		if (c->rw == 3)
			r = ch_byte(c, v, c->latch_bytes == 2);
		else
			r = ch_byte(c, v, c->rw == 1);
		if (--c->latch_bytes == 0)
			c->count_latched = false;
		return r;
	}
	uint32_t val = ch_value(c, now);
	uint16_t v = c->bcd ? to_bcd(val) : (uint16_t)val;
	switch (c->rw) {
	case 1:
		return v & 0xff;
	case 2:
		return v >> 8;
	default: {
		bool lsb = !c->read_lsb_next ? true : false;
		/* read_lsb_next == 0 means "LSB next" (power-on state) */
		c->read_lsb_next ^= 1;
		return ch_byte(c, v, lsb);
	}
	}
}

static void ch_write(struct i8254 *p, int idx, uint8_t v)
{
	struct pit_channel *c = &p->ch[idx];
	switch (c->rw) {
	case 1:
		ch_load(p, idx, v);
		break;
	case 2:
		ch_load(p, idx, (uint32_t)v << 8);
		break;
	default:
		if (!c->write_lsb_next) {
			c->write_lsb = v;
			c->write_lsb_next = 1;
			c->null_count = true;
			/* Mode 0: writing the first byte stops the count. */
			if (c->mode == 0 && c->loaded) {
				c->frozen = ch_ticks(c, vm_clock_ns(p->dev.vm));
				if (idx == 0)
					timer_del(&p->timer);
			}
		} else {
			c->write_lsb_next = 0;
			ch_load(p, idx, c->write_lsb | (uint32_t)v << 8);
		}
		break;
	}
}

static void pit_control(struct i8254 *p, uint8_t v)
{
	int64_t now = vm_clock_ns(p->dev.vm);
	int sc = v >> 6;
	if (sc == 3) {
		/* Read-back: bit 5 = !COUNT, bit 4 = !STATUS, bits 3-1 = CNT2-0 */
		for (int i = 0; i < 3; i++) {
			if (!(v & (2u << i)))
				continue;
			if (!(v & 0x10))
				ch_status(&p->ch[i], now);
			if (!(v & 0x20))
				ch_latch(&p->ch[i], now);
		}
		return;
	}
	struct pit_channel *c = &p->ch[sc];
	int rw = (v >> 4) & 3;
	if (rw == 0) {
		ch_latch(c, now);
		return;
	}
	c->rw = rw;
	c->mode = (v >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4; /* 6, 7 are 2, 3 */
	c->bcd = v & 1;
	c->loaded = false;
	c->triggered = false;
	c->null_count = true;
	c->frozen = -1;
	c->write_lsb_next = 0;
	c->read_lsb_next = 0;
	c->count_latched = false;
	c->status_latched = false;
	if (sc == 0) {
		/* OUT is low in mode 0 until terminal count; in the other modes
		 * IRQ0 only sees rising edges (pulses), so the line rests low. */
		irq_lower(&p->irq);
		timer_del(&p->timer);
	}
}

void i8254_set_gate(struct i8254 *p, int idx, bool gate)
{
	struct pit_channel *c = &p->ch[idx];
	if (c->gate == gate)
		return;
	int64_t now = vm_clock_ns(p->dev.vm);
	bool rising = gate && !c->gate;
	switch (c->mode) {
	case 0:
	case 4:
		/* GATE low suspends counting; high resumes it. */
		if (!c->loaded)
			break;
		if (!gate) {
			c->frozen = ch_ticks(c, now);
		} else if (c->frozen >= 0) {
			c->load_ns = now - ticks_to_ns(c->frozen);
			c->frozen = -1;
		}
		break;
	case 1:
	case 5:
		/* A rising edge (re)triggers: the count is reloaded. */
		if (rising && c->loaded) {
			c->triggered = true;
			c->load_ns = now;
			c->frozen = -1;
		}
		break;
	default:
		/* Modes 2/3: low stops counting (OUT high); a rising edge
		 * reloads the count. */
		if (!gate) {
			c->frozen = ch_ticks(c, now);
		} else {
			c->load_ns = now;
			c->frozen = -1;
		}
		break;
	}
	c->gate = gate;
	if (idx == 0)
		pit_irq_arm(p);
}

int i8254_get_out(struct i8254 *p, int idx)
{
	return ch_out(&p->ch[idx], vm_clock_ns(p->dev.vm));
}

static uint64_t pit_read(void *opaque, uint64_t off, unsigned size)
{
	struct i8254 *p = opaque;
	if (off < 3)
		return ch_read(p, off);
	return 0xff; /* the control word register cannot be read */
}

static void pit_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct i8254 *p = opaque;
	if (off < 3)
		ch_write(p, off, val);
	else
		pit_control(p, val);
}

static uint64_t port61_read(void *opaque, uint64_t off, unsigned size)
{
	struct i8254 *p = opaque;
	int64_t now = vm_clock_ns(p->dev.vm);
	uint8_t v = p->port61 & 0x0f;
	v |= ((now / REFRESH_NS) & 1) << 4;
	v |= i8254_get_out(p, 2) << 5;
	return v;
}

static void port61_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct i8254 *p = opaque;
	p->port61 = val & 0x0f;
	i8254_set_gate(p, 2, val & 1);
}

static const struct io_ops pit_ops = { pit_read, pit_write, 1, 1 };
static const struct io_ops port61_ops = { port61_read, port61_write, 1, 1 };

static void i8254_reset(struct device *d)
{
	struct i8254 *p = (struct i8254 *)d;
	for (int i = 0; i < 3; i++) {
		struct pit_channel *c = &p->ch[i];
		*c = (struct pit_channel){ 0 };
		c->frozen = -1;
		c->rw = 3;
		c->mode = 3;
		c->gate = i != 2; /* channels 0/1 have GATE tied high */
	}
	p->port61 = 0;
	timer_del(&p->timer);
	irq_lower(&p->irq);
	/* As QEMU's PIT after its BIOS: every channel counts 65536; channel 0
	 * in mode 2 as SeaBIOS programs it (IRQ0 at 18.2 Hz), channels 1 and 2
	 * in their power-on mode 3 with no access mode yet (channel 2 waits
	 * for its gate). */
	for (int i = 0; i < 3; i++) {
		p->ch[i].rw = i == 0 ? 3 : 0;
		p->ch[i].mode = i == 0 ? 2 : 3;
		ch_load(p, i, 0);
	}
}

static int i8254_realize(struct device *d, struct error **errp)
{
	struct i8254 *p = (struct i8254 *)d;
	if (p->irq_num >= 24) {
		error_setg(errp, "i8254: irq %u out of range", p->irq_num);
		return -1;
	}
	p->irq = d->vm->gsi[p->irq_num];
	timer_init(&p->timer, d->vm, pit_timer_cb, p);
	if (!pio_add(d->vm, "pit", p->iobase, 4, &pit_ops, p) ||
	    !pio_add(d->vm, "port61", 0x61, 1, &port61_ops, p)) {
		error_setg(errp, "i8254: I/O ports 0x%x-0x%x or 0x61 already in use", p->iobase, p->iobase + 3);
		return -1;
	}
	i8254_reset(d);
	return 0;
}

static void i8254_unrealize(struct device *d)
{
	timer_del(&((struct i8254 *)d)->timer);
}

static const struct prop i8254_props[] = {
	{ "iobase", PROP_U32, offsetof(struct i8254, iobase), "0x40", "I/O base" },
	{ "irq", PROP_U32, offsetof(struct i8254, irq_num), "0", "ISA IRQ of channel 0" },
	PROP_END,
};

const struct device_class i8254_class = {
	.name = "isa-pit",
	.desc = "Intel 8254 PIT with port 0x61",
	.bus = "isa",
	.size = sizeof(struct i8254),
	.props = i8254_props,
	.realize = i8254_realize,
	.reset = i8254_reset,
	.unrealize = i8254_unrealize,
};
