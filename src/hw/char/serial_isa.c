/*
 * ISA glue of the 16550A: -device isa-serial,index=,iobase=,irq=,chardev=
 * with the PC's standard COM1-COM4 resources as defaults for each index
 * (COM1 0x3f8/IRQ4, COM2 0x2f8/IRQ3, COM3 0x3e8/IRQ4, COM4 0x2e8/IRQ3).
 */
#include "core/device.h"
#include "core/memory.h"
#include "core/vm.h"
#include "hw/char/serial.h"
#include "util/error.h"

#define ISA_SERIAL_MAX 4
#define UNSET 0xffffffffu

struct isa_serial {
	struct device dev;
	uint32_t index, iobase, irq;
	struct chardev *chr;
	struct serial s;
};

static const uint16_t com_iobase[ISA_SERIAL_MAX] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
static const uint8_t com_irq[ISA_SERIAL_MAX] = { 4, 3, 4, 3 };

extern const struct device_class isa_serial_class;

static uint64_t isa_serial_read(void *opaque, uint64_t off, unsigned size)
{
	struct isa_serial *d = opaque;
	return serial_read(&d->s, off);
}

static void isa_serial_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct isa_serial *d = opaque;
	serial_write(&d->s, off, val);
}

static const struct io_ops isa_serial_ops = { isa_serial_read, isa_serial_write, 1, 1 };

static int isa_serial_realize(struct device *dev, struct error **errp)
{
	struct isa_serial *d = (struct isa_serial *)dev;
	struct vm *vm = dev->vm;
	if (d->index == UNSET) {
		/* The next free COM index, as QEMU numbers isa-serial devices. */
		uint32_t used = 0;
		for (struct device *o = vm->devices; o; o = o->next)
			if (o != dev && o->cls == &isa_serial_class)
				used |= 1u << ((struct isa_serial *)o)->index;
		for (d->index = 0; d->index < ISA_SERIAL_MAX && (used & (1u << d->index)); d->index++)
			;
	}
	if (d->index >= ISA_SERIAL_MAX && (d->iobase == UNSET || d->irq == UNSET)) {
		error_setg(errp, "Max. supported number of ISA serial ports is %d.", ISA_SERIAL_MAX);
		return -1;
	}
	if (d->iobase == UNSET)
		d->iobase = com_iobase[d->index];
	if (d->irq == UNSET)
		d->irq = com_irq[d->index];
	if (d->irq >= 16) {
		error_setg(errp, "isa-serial: irq %u is not an ISA IRQ (0-15)", d->irq);
		return -1;
	}
	if (d->iobase > 0xfff8) {
		error_setg(errp, "isa-serial: iobase 0x%x out of range", d->iobase);
		return -1;
	}
	if (serial_init(&d->s, vm, d->chr, vm->gsi[d->irq], errp) < 0)
		return -1;
	if (!pio_add(vm, "serial", d->iobase, 8, &isa_serial_ops, d)) {
		serial_fini(&d->s);
		error_setg(errp, "isa-serial: I/O ports 0x%x-0x%x are already in use", d->iobase, d->iobase + 7);
		return -1;
	}
	return 0;
}

static void isa_serial_reset(struct device *dev)
{
	serial_reset(&((struct isa_serial *)dev)->s);
}

static void isa_serial_unrealize(struct device *dev)
{
	serial_fini(&((struct isa_serial *)dev)->s);
}

static const struct prop isa_serial_props[] = {
	{ "index", PROP_U32, offsetof(struct isa_serial, index), "0xffffffff", "COM port number (0-3)" },
	{ "iobase", PROP_U32, offsetof(struct isa_serial, iobase), "0xffffffff", "I/O base (COM1-4 default by index)" },
	{ "irq", PROP_U32, offsetof(struct isa_serial, irq), "0xffffffff", "ISA IRQ (COM1-4 default by index)" },
	{ "chardev", PROP_CHARDEV, offsetof(struct isa_serial, chr), NULL, "ID of a chardev to use as a backend" },
	PROP_END,
};

const struct device_class isa_serial_class = {
	.name = "isa-serial",
	.desc = "16550A UART on the ISA bus",
	.bus = "isa",
	.size = sizeof(struct isa_serial),
	.props = isa_serial_props,
	.user_creatable = true,
	.realize = isa_serial_realize,
	.reset = isa_serial_reset,
	.unrealize = isa_serial_unrealize,
};
