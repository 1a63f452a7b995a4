/*
 * System control port A at 0x92 (IBM PS/2 Hardware Interface Technical
 * Reference; PIIX4 §4.7.1 "Port 92h"): bit 1 gates A20 ("fast A20"),
 * bit 0 pulses the CPU reset when written 0 -> 1.
 */
#include "core/device.h"
#include "core/memory.h"
#include "core/vm.h"
#include "hw/x86/pc_devices.h"
#include "util/error.h"

struct port92 {
	struct device dev;
	uint8_t val;
};

static uint64_t port92_read(void *opaque, uint64_t off, unsigned size)
{
	struct port92 *p = opaque;
	uint8_t a20 = p->dev.vm->a20_mask & (1ull << 20) ? 0x02 : 0;
	return (p->val & ~0x03) | a20;
}

static void port92_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct port92 *p = opaque;
	struct vm *vm = p->dev.vm;
	uint8_t old = p->val;
	p->val = val & ~0x01; /* the reset bit is a pulse, it reads back 0 */
	pc_set_a20(vm, val & 0x02);
	if ((val & 0x01) && !(old & 0x01))
		vm_request(vm, VM_EVENT_GUEST_RESET);
}

static const struct io_ops port92_ops = { port92_read, port92_write, 1, 1 };

static void port92_reset(struct device *d)
{
	((struct port92 *)d)->val = 0;
}

static int port92_realize(struct device *d, struct error **errp)
{
	if (!pio_add(d->vm, "port92", 0x92, 1, &port92_ops, d)) {
		error_setg(errp, "port92: I/O port 0x92 already in use");
		return -1;
	}
	return 0;
}

static const struct prop port92_props[] = { PROP_END };

const struct device_class port92_class = {
	.name = "port92",
	.desc = "System control port A (fast A20, reset)",
	.bus = "isa",
	.size = sizeof(struct port92),
	.props = port92_props,
	.realize = port92_realize,
	.reset = port92_reset,
};
