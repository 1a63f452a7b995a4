/*
 * 16550A UART on COM1-4 (LSR/IIR/FCR/MSR semantics, FIFO trigger levels,
 * character timeout, loopback, overrun, interrupt priorities, IRQ line),
 * debugcon on 0xe9 and isa-debug-exit.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "hw/x86/pc_devices.h"
#include "hw_fake.h"
#include "util/error.h"
#include "util/opts.h"

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
#define COM1 0x3f8

int main(void)
{
	vm = fake_vm_new(1);
	if (pc_intc_init(vm)) {
		printf("Bail out! pc_intc_init\n");
		return 1;
	}
	for (int i = 0; i < 16; i++)
		vm->gsi[i] = (struct irq){ count_irq, NULL, i };
	struct chardev *s0 = fake_chardev(vm, "serial0");
	struct chardev *dc = fake_chardev(vm, "debugcon");
	vm->serial[0] = s0;
	vm->debugcon = dc;
	struct error *err = NULL;
	if (pc_isa_devices_init(vm, &err)) {
		printf("Bail out! %s\n", err->msg);
		return 1;
	}

	tap_ok(in(COM1 + 4) == 0x08, "reset MCR: OUT2 set, as QEMU and a PC BIOS leave it");
	tap_ok(in(COM1 + 5) == 0x60 && in(COM1 + 2) == 0x01 && in(COM1 + 6) == 0xb0,
	       "reset: LSR THRE|TEMT, IIR no interrupt, MSR DCD|DSR|CTS");
	out(COM1, 'h');
	out(COM1, 'i');
	tap_ok(s0->outlen == 2 && !memcmp(s0->out, "hi", 2), "THR bytes reach the chardev");
	out(COM1 + 3, 0x80);
	out(COM1, 0x01);
	out(COM1 + 1, 0x00);
	tap_ok(in(COM1) == 0x01 && in(COM1 + 1) == 0x00, "DLAB: divisor latch 1 (115200 baud)");
	out(COM1 + 3, 0x03);
	tap_ok(in(COM1 + 3) == 0x03 && s0->outlen == 2, "8N1; divisor writes are not data");
	out(COM1 + 7, 0xa5);
	tap_ok(in(COM1 + 7) == 0xa5, "scratch register");

	/* THRE interrupt */
	out(COM1 + 1, 0x02);
	int lv = level[4];
	tap_ok(in(COM1 + 2) == 0x02 && lv, "enabling ETBEI with THR empty: IIR THRE, IRQ4 high");
	tap_ok(in(COM1 + 2) == 0x01 && !level[4], "reading IIR cleared THRE");
	out(COM1, 'x');
	lv = level[4];
	tap_ok(lv && in(COM1 + 2) == 0x02, "THR written and sent: THRE again");
	out(COM1 + 1, 0x00);
	tap_ok(!level[4], "IER 0 drops IRQ4");

	/* receive without FIFO: one byte holding register */
	size_t n = fake_chardev_input(s0, "xy", 2);
	tap_ok(n == 1 && (in(COM1 + 5) & 0x01), "16450 mode takes one byte; LSR DR");
	out(COM1 + 1, 0x01);
	lv = level[4];
	tap_ok(in(COM1 + 2) == 0x04 && lv, "RDA interrupt");
	tap_ok(in(COM1) == 'x' && !(in(COM1 + 5) & 0x01) && !level[4], "RBR read clears DR and RDA");

	/* FIFO, trigger 14 */
	out(COM1 + 2, 0xc7);
	tap_ok(in(COM1 + 2) == 0xc1, "FIFOs enabled: IIR 0xc1");
	n = fake_chardev_input(s0, "0123456789abcdefXYZ", 19);
	tap_ok(n == 16, "FIFO takes 16 bytes (%zu)", n);
	tap_ok(in(COM1 + 2) == 0xc4, "16 >= trigger 14: RDA");
	tap_ok(in(COM1) == '0' && in(COM1) == '1' && in(COM1) == '2', "FIFO order");
	tap_ok(in(COM1 + 2) == 0xc1, "13 below trigger: no RDA");
	fake_advance(vm, 4 * 87000 + 1000);
	lv = level[4];
	tap_ok(in(COM1 + 2) == 0xcc && lv, "character timeout after 4 character times");
	char buf[16];
	for (int i = 0; i < 13; i++)
		buf[i] = in(COM1);
	tap_ok(!memcmp(buf, "3456789abcdef", 13) && in(COM1 + 2) == 0xc1 && !level[4], "drained: timeout cleared");
	/* trigger 4 */
	out(COM1 + 2, 0x47);
	fake_chardev_input(s0, "abc", 3);
	tap_ok(in(COM1 + 2) == 0xc1, "3 bytes below trigger 4");
	fake_chardev_input(s0, "d", 1);
	tap_ok(in(COM1 + 2) == 0xc4, "4 bytes: RDA");
	out(COM1 + 2, 0x47); /* reset RX FIFO */
	tap_ok(!(in(COM1 + 5) & 0x01) && in(COM1 + 2) == 0xc1, "FCR bit 1 empties the receive FIFO");
	out(COM1 + 2, 0x00);
	tap_ok(in(COM1 + 2) == 0x01, "FIFOs off");

	/* loopback and modem status */
	size_t before = s0->outlen;
	out(COM1 + 1, 0x00);
	out(COM1 + 4, 0x10);
	tap_ok(in(COM1 + 6) == 0x0b, "loopback with outputs off: CTS/DSR/DCD drop, deltas 0x0b");
	tap_ok(in(COM1 + 6) == 0x00, "reading MSR clears the deltas");
	out(COM1 + 4, 0x1f);
	uint8_t msr = in(COM1 + 6);
	tap_ok(msr == 0xfb, "DTR/RTS/OUT1/OUT2 -> DSR/CTS/RI/DCD (0x%02x)", msr);
	out(COM1 + 4, 0x1b); /* OUT1 off: trailing edge of RI */
	tap_ok(in(COM1 + 6) == 0xb4, "TERI on RI's trailing edge");
	out(COM1, 'q');
	tap_ok(in(COM1 + 5) & 0x01 && in(COM1) == 'q' && s0->outlen == before, "loopback: TX comes back as RX");
	tap_ok(fake_chardev_input(s0, "z", 1) == 0, "loopback disconnects the input");
	/* overrun and RLS priority */
	out(COM1 + 1, 0x07);
	in(COM1 + 2);
	out(COM1, 'a');
	out(COM1, 'b');
	tap_ok(in(COM1 + 2) == 0x06, "overrun: receiver line status has top priority");
	uint8_t lsr = in(COM1 + 5);
	tap_ok((lsr & 0x03) == 0x03, "LSR OE|DR (0x%02x)", lsr);
	tap_ok(!(in(COM1 + 5) & 0x02) && in(COM1 + 2) == 0x04, "LSR read clears OE; RDA next");
	tap_ok(in(COM1) == 'b', "16450 overrun keeps the newest byte");
	in(COM1 + 2);
	out(COM1 + 1, 0x08);
	out(COM1 + 4, 0x10);
	tap_ok(in(COM1 + 2) == 0x00, "modem status interrupt (IIR 0x00)");
	in(COM1 + 6);
	tap_ok(in(COM1 + 2) == 0x01, "cleared by reading MSR");
	out(COM1 + 4, 0x00);
	out(COM1 + 1, 0x00);
	in(COM1 + 6);

	/* more ports: -device isa-serial numbering and defaults */
	fake_chardev(vm, "c2");
	fake_chardev(vm, "c3");
	fake_chardev(vm, "c4");
	tap_ok(fake_create(vm, "isa-serial", "chardev=c2") != NULL, "second isa-serial");
	tap_ok(in(0x2f8 + 5) == 0x60, "gets COM2 at 0x2f8");
	fake_create(vm, "isa-serial", "chardev=c3");
	tap_ok(in(0x3e8 + 5) == 0x60, "third at 0x3e8");
	fake_create(vm, "isa-serial", "chardev=c4,iobase=0x2e8,irq=3");
	tap_ok(in(0x2e8 + 5) == 0x60, "fourth at 0x2e8");
	out(0x2f8 + 1, 0x02);
	tap_ok(level[3], "COM2 on IRQ3");
	out(0x2f8 + 1, 0x00);
	fake_chardev(vm, "c5");
	struct opts *o = opts_parse("chardev=c5", NULL, NULL);
	struct device *d = device_create(vm, "isa-serial", o, &err);
	opts_free(o);
	tap_ok(!d && err && strstr(err->msg, "Max. supported number of ISA serial ports is 4"),
	       "a fifth port is refused: %s", err ? err->msg : "(no error)");
	error_free(err);
	err = NULL;

	/* debugcon */
	out(0xe9, 'Z');
	tap_ok(dc->outlen == 1 && dc->out[0] == 'Z' && in(0xe9) == 0xe9, "debugcon: output and 0xe9 readback");

	/* isa-debug-exit */
	tap_ok(fake_create(vm, "isa-debug-exit", "iobase=0xf4,iosize=0x04") != NULL, "isa-debug-exit created");
	pio_write(vm, 0xf4, 0x10, 1);
	tap_ok(vm->event == VM_EVENT_EXIT && vm->exit_code == 0x21, "write 0x10 -> exit status 0x21");
	pio_write(vm, 0xf4, 0, 4);
	tap_ok(vm->exit_code == 1, "write 0 (dword) -> exit status 1");

	fake_vm_free(vm);
	return tap_done();
}
