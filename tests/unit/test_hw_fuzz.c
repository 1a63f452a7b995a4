/*
 * Hostile guest: random port and MMIO accesses (any size, any offset) to
 * every PC device, random clock steps, interrupt acknowledges from both
 * vCPUs, APIC MSR writes and serial input.  The devices must neither crash
 * nor hang (run it under ASan/UBSan: the asan build of the unit tests).
 * Deterministic: a fixed xorshift seed per round.
 */
#include <stdio.h>

#include "harness.h"
#include "hw/intc/lapic.h"
#include "hw/x86/pc_devices.h"
#include "hw_fake.h"
#include "util/error.h"

static uint64_t rng;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const uint16_t ports[] = {
	0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x40, 0x41, 0x42, 0x43, 0x61, 0x70, 0x71, 0x60, 0x64, 0x92,
	0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff, 0x2f8, 0x2fa, 0x2fd, 0xe9,
};
static const uint64_t mmio[] = { 0xfee00000, 0xfec00000, 0xfed00000 };
static const unsigned sizes[] = { 1, 2, 4, 8 };

static int round_run(uint64_t seed, int steps)
{
	rng = seed;
	struct vm *vm = fake_vm_new(2);
	if (pc_intc_init(vm))
		return -1;
	struct chardev *s0 = fake_chardev(vm, "s0");
	vm->serial[0] = s0;
	vm->serial[1] = fake_chardev(vm, "s1");
	vm->debugcon = fake_chardev(vm, "dc");
	struct error *err = NULL;
	if (pc_isa_devices_init(vm, &err)) {
		error_free(err);
		return -1;
	}
	for (int i = 0; i < steps; i++) {
		uint64_t r = rnd();
		struct vcpu *v = vm->vcpus[(r >> 8) & 1];
		fake_set_self((r >> 9) & 7 ? v : NULL);
		uint64_t val = rnd();
		switch (r & 15) {
		case 0: case 1: case 2: case 3: case 4: {
			uint16_t p = ports[(r >> 16) % (sizeof(ports) / sizeof(ports[0]))];
			pio_write(vm, p, (uint32_t)val, sizes[(r >> 32) % 3]);
			break;
		}
		case 5: case 6: {
			uint16_t p = ports[(r >> 16) % (sizeof(ports) / sizeof(ports[0]))];
			pio_read(vm, p, sizes[(r >> 32) % 3]);
			break;
		}
		case 7: case 8: {
			uint64_t a = mmio[(r >> 16) % 3] + ((r >> 24) & 0x3ff);
			unsigned sz = sizes[(r >> 40) & 3];
			if (a & (sz - 1))
				a &= ~(uint64_t)(sz - 1);
			if (r & (1ull << 50))
				fake_mmio_write(vm, a, val, sz);
			else
				fake_mmio_read(vm, a, sz);
			break;
		}
		case 9:
			fake_advance(vm, (int64_t)(val % 2000000));
			break;
		case 10:
			if (vm->intc->pending(v))
				vm->intc->ack(v);
			break;
		case 11: {
			uint32_t msr = (r >> 16) & 1 ? 0x800 + ((r >> 20) & 0xff) : ((r >> 17) & 1 ? 0x1b : 0x6e0);
			if ((r >> 30) & 1)
				lapic_msr_write(v, msr, val);
			else
				lapic_msr_read(v, msr, &val);
			break;
		}
		case 12: {
			uint8_t buf[20];
			for (int k = 0; k < 20; k++)
				buf[k] = (uint8_t)(val >> (k % 8));
			fake_chardev_input(s0, buf, (r >> 16) % 20);
			break;
		}
		case 13:
			irq_set(&vm->gsi[(r >> 16) % 24], (r >> 24) & 1);
			break;
		case 14:
			lapic_deliver_msi(vm, 0xfee00000 | ((r >> 16) & 0xffffc), (uint32_t)val);
			break;
		default:
			if (((r >> 16) & 0xff) == 0)
				device_reset_all(vm);
			break;
		}
	}
	fake_set_self(NULL);
	fake_vm_free(vm);
	return 0;
}

int main(void)
{
	for (int round = 0; round < 40; round++) {
		int r = round_run(0x9e3779b97f4a7c15ull * (round + 1), 50000);
		tap_ok(r == 0, "round %d: 50000 random accesses", round);
	}
	return tap_done();
}
