/*
 * Intel 8259A programmable interrupt controller pair (master at 0x20,
 * slave at 0xa0 on master IR2) with the PIIX ELCR registers at 0x4d0/0x4d1.
 *
 * References: Intel 8259A datasheet (order 231468): "Initialization Command
 * Words" (ICW1-4), "Operation Command Words" (OCW1-3), "The Special Fully
 * Nested Mode", "Poll Command", "Edge and Level Triggered Modes"; Intel
 * 82371AB PIIX4 datasheet §4.1.10 (ELCR1/ELCR2).
 */
#include "hw/intc/i8259.h"

#include <stdlib.h>

#include "core/memory.h"
#include "core/vm.h"
#include "util/error.h"

/* ELCR bits that must stay edge: IRQ0-2 on the master, IRQ8 and IRQ13 on
 * the slave (PIIX4 §4.1.10: "reserved, must be 0"). */
#define ELCR_MASK_MASTER 0xf8
#define ELCR_MASK_SLAVE 0xde
#define CASCADE_IR 2

static bool chip_is_level(const struct pic_chip *c, int ir)
{
	return c->ltim || (c->elcr & (1u << ir));
}

/* The IR among `mask` with the highest priority (fully nested order,
 * starting at c->prio after rotations), or -1. */
static int chip_highest(const struct pic_chip *c, uint8_t mask)
{
	for (int i = 0; i < 8; i++) {
		int ir = (c->prio + i) & 7;
		if (mask & (1u << ir))
			return ir;
	}
	return -1;
}

static int chip_rank(const struct pic_chip *c, int ir)
{
	return (ir - c->prio) & 7;
}

/* The request this chip presents on INT: the highest-priority unmasked
 * IRR bit that outranks everything in service.  In special mask mode the
 * masked in-service levels do not inhibit ("Special Mask Mode"); in
 * special fully nested mode a cascade input in service does not inhibit
 * a new request from the same slave. */
static int chip_request(const struct pic_chip *c, bool master)
{
	int ir = chip_highest(c, c->irr & ~c->imr);
	if (ir < 0)
		return -1;
	uint8_t isr = c->isr;
	if (c->special_mask)
		isr &= ~c->imr;
	if (master && c->sfnm && !c->single && (c->icw3 & (1u << ir)))
		isr &= ~(1u << ir);
	int in = chip_highest(c, isr);
	if (in >= 0 && chip_rank(c, in) <= chip_rank(c, ir))
		return -1;
	return ir;
}

/* One IR input changes level.  Edge mode latches a low-to-high transition
 * in IRR until it is acknowledged; level mode makes IRR follow the pin. */
static void chip_input(struct pic_chip *c, int ir, int level)
{
	uint8_t m = 1u << ir;
	if (chip_is_level(c, ir)) {
		if (level)
			c->irr |= m;
		else
			c->irr &= ~m;
	} else if (level && !(c->line & m)) {
		c->irr |= m;
	}
	if (level)
		c->line |= m;
	else
		c->line &= ~m;
}

/* INTA (or poll) accepts `ir`: it leaves IRR when edge-triggered and
 * enters ISR unless auto-EOI (which may rotate priorities). */
static void chip_accept(struct pic_chip *c, int ir)
{
	uint8_t m = 1u << ir;
	if (!chip_is_level(c, ir))
		c->irr &= ~m;
	if (c->auto_eoi) {
		if (c->rotate_aeoi)
			c->prio = (ir + 1) & 7;
	} else {
		c->isr |= m;
	}
}

/* Propagate the slave's INT to master IR2 and the master's INT to the CPU. */
static void pic_update(struct i8259 *p)
{
	struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
	/* The slave's INT is a level on the cascade input: the master keeps
	 * asking for it as long as the slave has a request outranking its
	 * in-service levels, so a second slave request is not lost when the
	 * first one is acknowledged. */
	int slave_req = chip_request(s, false) >= 0;
	if (slave_req)
		m->irr |= 1u << CASCADE_IR;
	else
		m->irr &= ~(1u << CASCADE_IR);
	if (slave_req)
		m->line |= 1u << CASCADE_IR;
	else
		m->line &= ~(1u << CASCADE_IR);
	int level = chip_request(m, true) >= 0;
	int changed = level != p->out_level;
	p->out_level = level;
	/* Raising again while already high still tells the CPU side to
	 * re-poll (a higher-priority request may have replaced the old one). */
	if (changed || level)
		irq_set(&p->out, level);
}

void i8259_set_irq(struct i8259 *p, int irq, int level)
{
	if (irq < 0 || irq > 15 || irq == CASCADE_IR)
		return;
	if (irq < 8)
		chip_input(&p->chip[0], irq, level);
	else
		chip_input(&p->chip[1], irq - 8, level);
	pic_update(p);
}

bool i8259_pending(struct i8259 *p)
{
	return chip_request(&p->chip[0], true) >= 0;
}

int i8259_ack(struct i8259 *p)
{
	struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
	int vec;
	int ir = chip_request(m, true);
	if (ir < 0) {
		/* The request went away before INTA: the 8259A answers with
		 * IR7's vector and sets no ISR bit ("spurious interrupt"). */
		vec = (m->base & 0xf8) | 7;
	} else {
		chip_accept(m, ir);
		if (!m->single && (m->icw3 & (1u << ir))) {
			int sir = chip_request(s, false);
			if (sir < 0) {
				vec = (s->base & 0xf8) | 7; /* spurious IRQ15 */
			} else {
				chip_accept(s, sir);
				vec = (s->base & 0xf8) | sir;
			}
		} else {
			vec = (m->base & 0xf8) | ir;
		}
	}
	pic_update(p);
	return vec;
}

/* OCW3 poll: the read acts as an INTA for this chip alone and returns
 * I (bit 7) plus W2-W0, the highest requesting level. */
static uint8_t chip_poll(struct pic_chip *c, bool master)
{
	int ir = chip_request(c, master);
	if (ir < 0)
		return 0;
	chip_accept(c, ir);
	return 0x80 | ir;
}

static void chip_icw1(struct pic_chip *c, uint8_t v)
{
	/* ICW1: edge sense reset, IMR cleared, IR7 lowest priority, special
	 * mask and poll off, status read = IRR; ICW4 functions zero if IC4=0. */
	c->icw4_needed = v & 0x01;
	c->single = v & 0x02;
	c->ltim = v & 0x08;
	c->imr = 0;
	c->isr = 0;
	c->irr = 0;
	for (int ir = 0; ir < 8; ir++)
		if (chip_is_level(c, ir) && (c->line & (1u << ir)))
			c->irr |= 1u << ir;
	c->prio = 0;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
	c->auto_eoi = c->rotate_aeoi = c->sfnm = false;
	c->icw_step = 2;
}

static void chip_ocw2(struct i8259 *p, struct pic_chip *c, uint8_t v)
{
	int l = v & 7;
	int ir;
	switch (v >> 5) {
	case 1: /* non-specific EOI */
	case 5: /* rotate on non-specific EOI */
		ir = chip_highest(c, c->isr);
		if (ir >= 0) {
			c->isr &= ~(1u << ir);
			if (v >> 5 == 5)
				c->prio = (ir + 1) & 7;
		}
		break;
	case 3: /* specific EOI */
		c->isr &= ~(1u << l);
		break;
	case 7: /* rotate on specific EOI */
		c->isr &= ~(1u << l);
		c->prio = (l + 1) & 7;
		break;
	case 4: /* set rotate in automatic EOI mode */
		c->rotate_aeoi = true;
		break;
	case 0: /* clear rotate in automatic EOI mode */
		c->rotate_aeoi = false;
		break;
	case 6: /* set priority: L becomes the lowest */
		c->prio = (l + 1) & 7;
		break;
	default: /* 2: no operation */
		break;
	}
}

static void chip_write(struct i8259 *p, int idx, uint64_t off, uint8_t v)
{
	struct pic_chip *c = &p->chip[idx];
	struct vm *vm = p->dev.vm;
	if (off == 0) {
		if (v & 0x10) {
			chip_icw1(c, v);
		} else if (v & 0x08) { /* OCW3 */
			if (v & 0x40)
				c->special_mask = v & 0x20;
			c->poll = v & 0x04;
			if (v & 0x02)
				c->read_isr = v & 0x01;
		} else {
			chip_ocw2(p, c, v);
		}
	} else {
		switch (c->icw_step) {
		case 2:
			c->base = v & 0xf8;
			c->icw_step = !c->single ? 3 : c->icw4_needed ? 4 : 0;
			break;
		case 3:
			c->icw3 = v;
			c->icw_step = c->icw4_needed ? 4 : 0;
			break;
		case 4:
			if (!(v & 0x01))
				vm_log(vm, VM_LOG_UNIMP, "i8259: ICW4 selects 8080/8085 mode (0x%02x)\n", v);
			c->auto_eoi = v & 0x02;
			c->sfnm = v & 0x10;
			c->icw_step = 0;
			break;
		default: /* OCW1 */
			c->imr = v;
			break;
		}
	}
	pic_update(p);
}

static uint8_t chip_read(struct i8259 *p, int idx, uint64_t off)
{
	struct pic_chip *c = &p->chip[idx];
	if (c->poll) {
		c->poll = false;
		uint8_t r = chip_poll(c, idx == 0);
		pic_update(p);
		return r;
	}
	if (off == 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

static uint64_t master_read(void *opaque, uint64_t off, unsigned size)
{
	return chip_read(opaque, 0, off);
}
static void master_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	chip_write(opaque, 0, off, val);
}
static uint64_t slave_read(void *opaque, uint64_t off, unsigned size)
{
	return chip_read(opaque, 1, off);
}
static void slave_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	chip_write(opaque, 1, off, val);
}

static uint64_t elcr_read(void *opaque, uint64_t off, unsigned size)
{
	struct i8259 *p = opaque;
	return p->chip[off & 1].elcr;
}

static void elcr_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct i8259 *p = opaque;
	struct pic_chip *c = &p->chip[off & 1];
	c->elcr = val & c->elcr_mask;
	/* A pin that became level-triggered requests as long as it is high. */
	for (int ir = 0; ir < 8; ir++)
		if (chip_is_level(c, ir)) {
			if (c->line & (1u << ir))
				c->irr |= 1u << ir;
			else
				c->irr &= ~(1u << ir);
		}
	pic_update(p);
}

static const struct io_ops master_ops = { master_read, master_write, 1, 1 };
static const struct io_ops slave_ops = { slave_read, slave_write, 1, 1 };
static const struct io_ops elcr_ops = { elcr_read, elcr_write, 1, 1 };

/* Power-on state as the PC BIOS of QEMU (SeaBIOS) leaves it, since lemu
 * starts kernels without one: initialized, vectors 0x08 and 0x70, cascade
 * on IR2, IRQ0, 1, 2, 6, 8, 12, 13, 14 unmasked (IMR 0xb8 / 0x8e), all
 * edge-triggered. */
static void i8259_reset(struct device *d)
{
	struct i8259 *p = (struct i8259 *)d;
	for (int i = 0; i < 2; i++) {
		struct pic_chip *c = &p->chip[i];
		uint8_t line = c->line;
		*c = (struct pic_chip){ 0 };
		c->line = line;
		c->base = i ? 0x70 : 0x08;
		c->icw3 = i ? 2 : 1u << CASCADE_IR;
		c->icw4_needed = true;
		c->imr = i ? 0x8e : 0xb8;
		c->elcr_mask = i ? ELCR_MASK_SLAVE : ELCR_MASK_MASTER;
	}
	p->out_level = 0;
	pic_update(p);
}

static int i8259_realize(struct device *d, struct error **errp)
{
	struct i8259 *p = (struct i8259 *)d;
	if (!pio_add(d->vm, "pic-master", 0x20, 2, &master_ops, p) ||
	    !pio_add(d->vm, "pic-slave", 0xa0, 2, &slave_ops, p) ||
	    !pio_add(d->vm, "elcr", 0x4d0, 2, &elcr_ops, p)) {
		error_setg(errp, "i8259: cannot register its I/O ports");
		return -1;
	}
	i8259_reset(d);
	return 0;
}

static const struct prop i8259_props[] = { PROP_END };

const struct device_class i8259_class = {
	.name = "isa-i8259",
	.desc = "Intel 8259A PIC pair with ELCR",
	.bus = "isa",
	.size = sizeof(struct i8259),
	.props = i8259_props,
	.realize = i8259_realize,
	.reset = i8259_reset,
};
