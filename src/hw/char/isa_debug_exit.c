/*
 * isa-debug-exit (QEMU's test device, used by kvm-unit-tests and many
 * test harnesses): writing value v to the port ends lemu with exit status
 * (v << 1) | 1.  -device isa-debug-exit,iobase=0xf4,iosize=0x04
 */
#include "core/device.h"
#include "core/memory.h"
#include "core/vm.h"
#include "util/error.h"

struct isa_debug_exit {
	struct device dev;
	uint32_t iobase, iosize;
};

static uint64_t debug_exit_read(void *opaque, uint64_t off, unsigned size)
{
	return 0;
}

static void debug_exit_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct isa_debug_exit *d = opaque;
	struct vm *vm = d->dev.vm;
	vm->exit_code = (int)((val << 1) | 1);
	vm_request(vm, VM_EVENT_EXIT);
}

/* Accesses of 1, 2 or 4 bytes reach the device whole (the value written
 * is the status, not a byte of it). */
static const struct io_ops debug_exit_ops = { debug_exit_read, debug_exit_write, 1, 4 };

static int debug_exit_realize(struct device *dev, struct error **errp)
{
	struct isa_debug_exit *d = (struct isa_debug_exit *)dev;
	if (d->iobase > 0xffff || d->iosize == 0 || d->iosize > 0x10000 - d->iobase) {
		error_setg(errp, "isa-debug-exit: iobase 0x%x / iosize 0x%x out of range", d->iobase, d->iosize);
		return -1;
	}
	if (!pio_add(dev->vm, "isa-debug-exit", d->iobase, d->iosize, &debug_exit_ops, d)) {
		error_setg(errp, "isa-debug-exit: I/O ports 0x%x-0x%x are already in use", d->iobase,
			   d->iobase + d->iosize - 1);
		return -1;
	}
	return 0;
}

static const struct prop debug_exit_props[] = {
	{ "iobase", PROP_U32, offsetof(struct isa_debug_exit, iobase), "0x501", "I/O port" },
	{ "iosize", PROP_U32, offsetof(struct isa_debug_exit, iosize), "0x02", "I/O size" },
	PROP_END,
};

const struct device_class isa_debug_exit_class = {
	.name = "isa-debug-exit",
	.desc = "exits the emulator with (value << 1) | 1",
	.bus = "isa",
	.size = sizeof(struct isa_debug_exit),
	.props = debug_exit_props,
	.user_creatable = true,
	.realize = debug_exit_realize,
};
