/*
 * Bochs/QEMU debug console: -debugcon DEV or -device isa-debugcon,
 * iobase=0xe9,chardev=ID.  Bytes written to the port go to the chardev;
 * a read returns `readback` (0xe9) so guests can detect the port.
 */
#include "chardev/chardev.h"
#include "core/device.h"
#include "core/memory.h"
#include "core/vm.h"
#include "util/error.h"

struct isa_debugcon {
	struct device dev;
	uint32_t iobase, readback;
	struct chardev *chr;
	struct chardev_fe fe;
};

static uint64_t debugcon_read(void *opaque, uint64_t off, unsigned size)
{
	struct isa_debugcon *d = opaque;
	return d->readback & 0xff;
}

static void debugcon_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct isa_debugcon *d = opaque;
	uint8_t c = val;
	if (d->chr)
		chardev_write(d->chr, &c, 1);
}

static const struct io_ops debugcon_ops = { debugcon_read, debugcon_write, 1, 1 };

static size_t debugcon_can_receive(void *opaque)
{
	return 0; /* output only */
}

static void debugcon_receive(void *opaque, const uint8_t *buf, size_t len)
{
}

static int debugcon_realize(struct device *dev, struct error **errp)
{
	struct isa_debugcon *d = (struct isa_debugcon *)dev;
	if (d->iobase > 0xffff) {
		error_setg(errp, "isa-debugcon: iobase 0x%x out of range", d->iobase);
		return -1;
	}
	if (!d->chr) {
		error_setg(errp, "Can't create debugcon device, empty char device");
		return -1;
	}
	d->fe = (struct chardev_fe){ debugcon_can_receive, debugcon_receive, NULL, d };
	if (chardev_attach(d->chr, &d->fe, errp) < 0)
		return -1;
	if (!pio_add(dev->vm, "debugcon", d->iobase, 1, &debugcon_ops, d)) {
		chardev_detach(d->chr, d);
		error_setg(errp, "isa-debugcon: I/O port 0x%x is already in use", d->iobase);
		return -1;
	}
	return 0;
}

static void debugcon_unrealize(struct device *dev)
{
	struct isa_debugcon *d = (struct isa_debugcon *)dev;
	if (d->chr)
		chardev_detach(d->chr, d);
}

static const struct prop debugcon_props[] = {
	{ "iobase", PROP_U32, offsetof(struct isa_debugcon, iobase), "0xe9", "I/O port" },
	{ "readback", PROP_U32, offsetof(struct isa_debugcon, readback), "0xe9", "value a read returns" },
	{ "chardev", PROP_CHARDEV, offsetof(struct isa_debugcon, chr), NULL, "ID of a chardev to use as a backend" },
	PROP_END,
};

const struct device_class isa_debugcon_class = {
	.name = "isa-debugcon",
	.desc = "ISA debug console (port 0xe9)",
	.bus = "isa",
	.size = sizeof(struct isa_debugcon),
	.props = debugcon_props,
	.user_creatable = true,
	.realize = debugcon_realize,
	.unrealize = debugcon_unrealize,
};
