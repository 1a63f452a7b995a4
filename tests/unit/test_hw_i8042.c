/*
 * 8042 keyboard controller: status, self tests, command byte, keyboard
 * and mouse commands with their replies and IRQ1/IRQ12, output port A20
 * and reset, port 0x92.
 */
#include <stdio.h>

#include "harness.h"
#include "hw/input/i8042.h"
#include "hw/x86/pc_devices.h"
#include "hw_fake.h"
#include "util/error.h"

static struct vm *vm;
static int edges[24], level[24];

static void count_irq(void *opaque, int n, int l)
{
	if (l && !level[n])
		edges[n]++;
	level[n] = l;
}

static void out(uint16_t port, uint8_t v) { pio_write(vm, port, v, 1); }
static uint8_t in(uint16_t port) { return pio_read(vm, port, 1); }
/* Read a reply byte if the output buffer is full, else -1. */
static int reply(void)
{
	if (!(in(0x64) & 1))
		return -1;
	return in(0x60);
}

int main(void)
{
	vm = fake_vm_new(1);
	if (pc_intc_init(vm)) {
		printf("Bail out! pc_intc_init\n");
		return 1;
	}
	for (int i = 0; i < 16; i++)
		vm->gsi[i] = (struct irq){ count_irq, NULL, i };
	struct error *err = NULL;
	if (pc_isa_devices_init(vm, &err)) {
		printf("Bail out! %s\n", err->msg);
		return 1;
	}
	struct vcpu *v = vm->vcpus[0];

	tap_ok(in(0x64) == 0x1c, "status: system flag, command, not inhibited (0x%02x)", in(0x64));
	out(0x64, 0xaa);
	tap_ok(in(0x64) & 1, "self test fills the output buffer");
	tap_ok(in(0x60) == 0x55 && !(in(0x64) & 1), "self test passes: 0x55");
	out(0x64, 0xab);
	tap_ok(reply() == 0x00, "keyboard interface test: 0x00");
	out(0x64, 0xa9);
	tap_ok(reply() == 0x00, "aux interface test: 0x00");
	out(0x64, 0x20);
	tap_ok(reply() == 0x61, "command byte 0x61 (translate, AUX disabled, keyboard IRQ)");
	out(0x64, 0x60);
	out(0x60, 0x65);
	out(0x64, 0x20);
	tap_ok(reply() == 0x65, "command byte written and read back");
	out(0x64, 0x60);
	out(0x60, 0x47);
	tap_ok(!(in(0x64) & 0x08), "status bit 3 clear after a data write");

	/* keyboard */
	int e1 = edges[1];
	out(0x60, 0xff);
	tap_ok(level[1] && edges[1] == e1 + 1, "keyboard reply raises IRQ1");
	tap_ok(in(0x60) == 0xfa, "reset: ACK");
	tap_ok(level[1] && in(0x60) == 0xaa && !level[1], "then BAT 0xaa (IRQ1 again), line low when empty");
	out(0x60, 0xf2);
	int a = reply(), b = reply(), c = reply();
	tap_ok(a == 0xfa && b == 0xab && c == 0x41, "identify: fa ab 41 with translation");
	out(0x60, 0xee);
	tap_ok(reply() == 0xee, "echo");
	out(0x60, 0xed);
	tap_ok(reply() == 0xfa, "set LEDs: ACK");
	out(0x60, 0x07);
	tap_ok(reply() == 0xfa, "LED byte: ACK");
	out(0x60, 0xf0);
	reply();
	out(0x60, 0x00);
	a = reply();
	b = reply();
	tap_ok(a == 0xfa && b == 0x41, "get scan code set: translated set 2 = 0x41");
	out(0x60, 0x12);
	tap_ok(reply() == 0xfe, "unknown keyboard command: resend");
	/* keyboard port disabled holds keyboard data */
	out(0x64, 0xad);
	out(0x60, 0xee);
	tap_ok(reply() == -1, "keyboard port disabled: reply held");
	out(0x64, 0xae);
	tap_ok(reply() == 0xee, "re-enabled: reply delivered");

	/* mouse */
	out(0x64, 0xa8);
	int e12 = edges[12];
	out(0x64, 0xd4);
	out(0x60, 0xf2);
	tap_ok((in(0x64) & 0x21) == 0x21 && level[12] && edges[12] == e12 + 1, "aux reply: AUX_OBF and IRQ12");
	a = in(0x60);
	b = reply();
	tap_ok(a == 0xfa && b == 0x00, "mouse ID 0x00");
	out(0x64, 0xd4);
	out(0x60, 0xff);
	a = reply(); b = reply(); c = reply();
	tap_ok(a == 0xfa && b == 0xaa && c == 0x00, "mouse reset: fa aa 00");
	out(0x64, 0xd4);
	out(0x60, 0xf3);
	reply();
	out(0x64, 0xd4);
	out(0x60, 40);
	reply();
	out(0x64, 0xd4);
	out(0x60, 0xe9);
	int r[4];
	for (int i = 0; i < 4; i++)
		r[i] = reply();
	tap_ok(r[0] == 0xfa && r[1] == 0x00 && r[2] == 2 && r[3] == 40, "status request: rate 40, res 2");
	out(0x64, 0xd3);
	out(0x60, 0x99);
	tap_ok((in(0x64) & 0x20) && in(0x60) == 0x99, "D3: byte as if from the mouse");
	out(0x64, 0xd2);
	out(0x60, 0x42);
	tap_ok(!(in(0x64) & 0x20) && in(0x60) == 0x42, "D2: byte as if from the keyboard");

	/* A20 through the output port */
	fake_take_req(v);
	out(0x64, 0xd1);
	out(0x60, 0xdd);
	tap_ok(vm->a20_mask == ~(1ull << 20) && (fake_take_req(v) & VCPU_REQ_TLB), "output port A20 off, TLB flush");
	out(0x64, 0xd0);
	tap_ok((reply() & 0x03) == 0x01, "output port reads A20 off");
	tap_ok((in(0x92) & 0x02) == 0, "port 0x92 sees A20 off");
	out(0x64, 0xd1);
	out(0x60, 0xdf);
	tap_ok(vm->a20_mask == ~0ull, "A20 on");
	out(0x92, 0x00);
	tap_ok(vm->a20_mask == ~(1ull << 20), "port 0x92 bit 1 clear: A20 off");
	out(0x92, 0x02);
	tap_ok(vm->a20_mask == ~0ull && in(0x92) == 0x02, "fast A20 on");
	tap_ok(vm->event == VM_EVENT_NONE, "no reset so far");
	out(0x92, 0x03);
	tap_ok(vm->event == VM_EVENT_GUEST_RESET && (in(0x92) & 1) == 0, "port 0x92 bit 0: reset pulse");
	vm->event = VM_EVENT_NONE;
	out(0x64, 0xfe);
	tap_ok(vm->event == VM_EVENT_GUEST_RESET, "command 0xfe pulses the reset line");
	vm->event = VM_EVENT_NONE;
	out(0x64, 0xd1);
	out(0x60, 0xde);
	tap_ok(vm->event == VM_EVENT_GUEST_RESET, "output port bit 0 = 0 resets");

	/* controller reset restores the defaults */
	device_reset_all(vm);
	out(0x64, 0x20);
	tap_ok(reply() == 0x61, "reset restores the command byte");

	fake_vm_free(vm);
	return tap_done();
}
