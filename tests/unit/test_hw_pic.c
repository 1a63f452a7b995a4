/*
 * 8259A pair + ELCR through its I/O ports (datasheet behaviour: ICW
 * sequence, fully nested priority, EOI kinds, masking, special mask,
 * poll, AEOI, spurious IR7, edge vs level, cascade) and through the PC
 * interrupt hub (ISA IRQ -> INTR -> INTA vector).
 */
#include <stdio.h>

#include "harness.h"
#include "hw/intc/i8259.h"
#include "hw/intc/pc_intc.h"
#include "hw/x86/pc_devices.h"
#include "hw_fake.h"

static struct vm *vm;
static struct i8259 *pic;

static void out(uint16_t port, uint8_t v) { pio_write(vm, port, v, 1); }
static uint8_t in(uint16_t port) { return pio_read(vm, port, 1); }

/* Linux's init_8259A sequence: vectors 0x20/0x28, cascade on IR2, 8086 mode. */
static void pic_init(uint8_t icw4_master)
{
	out(0x20, 0x11); out(0x21, 0x20); out(0x21, 0x04); out(0x21, icw4_master);
	out(0xa0, 0x11); out(0xa1, 0x28); out(0xa1, 0x02); out(0xa1, 0x01);
	out(0x21, 0x00); out(0xa1, 0x00);
}

static uint8_t read_irr(uint16_t base) { out(base, 0x0a); return in(base); }
static uint8_t read_isr(uint16_t base) { out(base, 0x0b); return in(base); }

int main(void)
{
	vm = fake_vm_new(1);
	if (pc_intc_init(vm)) {
		printf("Bail out! pc_intc_init\n");
		return 1;
	}
	pic = pc_intc_of(vm)->pic;
	struct vcpu *v = vm->vcpus[0];

	tap_ok(in(0x21) == 0xb8 && in(0xa1) == 0x8e, "power-on masks as SeaBIOS leaves them");
	pic_init(0x01);
	tap_ok(in(0x21) == 0x00, "OCW1 sets IMR (read at A0=1)");

	/* priority: IRQ1 beats IRQ3; IRQ3 waits for IRQ1's EOI */
	fake_take_req(v);
	i8259_set_irq(pic, 3, 1);
	i8259_set_irq(pic, 1, 1);
	tap_ok(fake_take_req(v) & VCPU_REQ_INTR, "INTR kicks the vCPU");
	tap_ok(vm->intc->pending(v), "hub: pending with LINT0 in virtual-wire mode");
	tap_ok(read_irr(0x20) == 0x0a, "IRR holds IR1 and IR3 (0x%02x)", read_irr(0x20));
	int vec = vm->intc->ack(v);
	tap_ok(vec == 0x21, "INTA gives IR1 first: 0x%x", vec);
	tap_ok(read_isr(0x20) == 0x02 && read_irr(0x20) == 0x08, "IR1 in service, IR3 still requested");
	tap_ok(!i8259_pending(pic), "lower priority IR3 blocked while IR1 in service");
	out(0x20, 0x20); /* non-specific EOI */
	tap_ok(i8259_pending(pic) && i8259_ack(pic) == 0x23, "after EOI, IR3 is delivered");
	out(0x20, 0x63); /* specific EOI for IR3 */
	tap_ok(read_isr(0x20) == 0, "specific EOI clears IR3");

	/* a higher priority request nests over one in service */
	i8259_set_irq(pic, 1, 0);
	i8259_set_irq(pic, 3, 0);
	i8259_set_irq(pic, 5, 1);
	tap_ok(i8259_ack(pic) == 0x25, "IR5");
	i8259_set_irq(pic, 4, 1);
	tap_ok(i8259_pending(pic) && i8259_ack(pic) == 0x24, "IR4 nests over IR5 in service");
	tap_ok(read_isr(0x20) == 0x30, "ISR 0x30");
	out(0x20, 0x20);
	tap_ok(read_isr(0x20) == 0x20, "non-specific EOI clears the highest (IR4)");
	out(0x20, 0x20);
	i8259_set_irq(pic, 4, 0);
	i8259_set_irq(pic, 5, 0);

	/* edge: a held line gives one interrupt */
	i8259_set_irq(pic, 6, 1);
	i8259_ack(pic);
	out(0x20, 0x20);
	tap_ok(!i8259_pending(pic), "edge-triggered: no second interrupt without a new edge");
	i8259_set_irq(pic, 6, 0);
	/* edge latched even if the line drops before INTA */
	i8259_set_irq(pic, 6, 1);
	i8259_set_irq(pic, 6, 0);
	tap_ok(i8259_pending(pic) && i8259_ack(pic) == 0x26, "edge latched in IRR after a pulse");
	out(0x20, 0x20);

	/* masking */
	out(0x21, 0x80);
	i8259_set_irq(pic, 7, 1);
	tap_ok(!i8259_pending(pic) && (read_irr(0x20) & 0x80), "masked IR7 stays in IRR, no INTR");
	out(0x21, 0x00);
	tap_ok(i8259_pending(pic) && i8259_ack(pic) == 0x27, "unmasking delivers it");
	out(0x20, 0x20);
	i8259_set_irq(pic, 7, 0);

	/* cascade: slave IR2 = IRQ10 */
	i8259_set_irq(pic, 10, 1);
	tap_ok(read_irr(0x20) & 0x04, "slave request shows on master IR2");
	vec = i8259_ack(pic);
	tap_ok(vec == 0x2a, "IRQ10 vector 0x%x", vec);
	tap_ok(read_isr(0x20) == 0x04 && read_isr(0xa0) == 0x04, "IR2 in service on master, IR2 on slave");
	out(0xa0, 0x20);
	out(0x20, 0x20);
	i8259_set_irq(pic, 10, 0);
	tap_ok(read_isr(0x20) == 0 && read_isr(0xa0) == 0 && !i8259_pending(pic), "EOI to both");

	/* ELCR and level triggering */
	out(0x4d0, 0xff);
	out(0x4d1, 0xff);
	tap_ok(in(0x4d0) == 0xf8 && in(0x4d1) == 0xde, "ELCR masks IRQ0-2, 8 and 13 (0x%02x 0x%02x)",
	       in(0x4d0), in(0x4d1));
	out(0x4d0, 0x00);
	out(0x4d1, 0x02); /* IRQ9 level */
	i8259_set_irq(pic, 9, 1);
	tap_ok(i8259_ack(pic) == 0x29, "level IRQ9");
	out(0xa0, 0x20);
	out(0x20, 0x20);
	tap_ok(i8259_pending(pic), "level IRQ9 still high after EOI: requested again");
	i8259_set_irq(pic, 9, 0);
	tap_ok(!i8259_pending(pic), "level IRQ9 dropped: request gone");

	/* spurious: a level request that goes away before INTA */
	out(0x4d1, 0x00);
	out(0x4d0, 0x08); /* IRQ3 level */
	i8259_set_irq(pic, 3, 1);
	i8259_set_irq(pic, 3, 0);
	vec = i8259_ack(pic);
	tap_ok(vec == 0x27 && read_isr(0x20) == 0, "spurious IR7 without an ISR bit (vec 0x%x)", vec);
	out(0x4d0, 0x00);

	/* poll command */
	i8259_set_irq(pic, 5, 1);
	out(0x20, 0x0c);
	uint8_t p = in(0x20);
	tap_ok(p == 0x85 && read_isr(0x20) == 0x20, "poll returns 0x85 and sets ISR (0x%02x)", p);
	out(0x20, 0x0c);
	tap_ok(in(0x20) == 0x00, "poll with nothing pending");
	out(0x20, 0x20);
	i8259_set_irq(pic, 5, 0);

	/* special mask mode: masked in-service level does not block lower ones */
	i8259_set_irq(pic, 1, 1);
	i8259_ack(pic);
	i8259_set_irq(pic, 3, 1);
	tap_ok(!i8259_pending(pic), "IR3 blocked by IR1 in service");
	out(0x21, 0x02);
	out(0x20, 0x68); /* OCW3: set special mask */
	tap_ok(i8259_pending(pic) && i8259_ack(pic) == 0x23, "special mask mode lets IR3 through");
	out(0x20, 0x48); /* reset special mask */
	out(0x20, 0x63);
	out(0x20, 0x61);
	out(0x21, 0x00);
	i8259_set_irq(pic, 1, 0);
	i8259_set_irq(pic, 3, 0);

	/* priority rotation: set priority with IR3 lowest -> IR4 highest */
	i8259_set_irq(pic, 1, 1);
	i8259_set_irq(pic, 5, 1);
	out(0x20, 0xc3);
	tap_ok(i8259_ack(pic) == 0x25, "after set-priority(IR3 lowest) IR5 beats IR1");
	out(0x20, 0xa0); /* rotate on non-specific EOI: IR5 becomes lowest */
	tap_ok(i8259_ack(pic) == 0x21, "then IR1");
	out(0x20, 0x20);
	i8259_set_irq(pic, 1, 0);
	i8259_set_irq(pic, 5, 0);
	out(0x20, 0xc7); /* back to IR0 highest */

	/* auto-EOI */
	pic_init(0x03);
	i8259_set_irq(pic, 4, 1);
	tap_ok(i8259_ack(pic) == 0x24 && read_isr(0x20) == 0, "AEOI: no ISR bit after INTA");
	i8259_set_irq(pic, 4, 0);

	/* ICW1 clears IMR and ISR and the edge latches */
	i8259_set_irq(pic, 6, 1);
	pic_init(0x01);
	tap_ok(!i8259_pending(pic), "ICW1 resets the edge sense: held line needs a new edge");
	i8259_set_irq(pic, 6, 0);

	/* the hub: ISA IRQ through vm->gsi, INTA through intc->ack */
	irq_raise(&vm->gsi[4]);
	tap_ok(vm->intc->pending(v) && vm->intc->ack(v) == 0x24, "gsi[4] -> 8259 IR4 -> vector 0x24");
	out(0x20, 0x20);
	irq_lower(&vm->gsi[4]);

	/* two VMs do not share state */
	struct vm *vm2 = fake_vm_new(1);
	pc_intc_init(vm2);
	tap_ok(pio_read(vm2, 0x21, 1) == 0xb8 && in(0x21) == 0x00, "second VM has its own PIC");
	fake_vm_free(vm2);

	fake_vm_free(vm);
	return tap_done();
}
