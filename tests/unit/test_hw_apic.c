/*
 * Local APIC and IOAPIC (SDM vol. 3A ch. 10, 82093AA datasheet): register
 * access, priorities (TPR/PPR), EOI, IPIs in every destination mode and
 * shorthand, INIT/SIPI/NMI, lowest priority, timer modes (one-shot,
 * periodic, TSC-deadline), x2APIC MSRs and mode transitions, IOAPIC
 * redirection with level re-trigger and Remote IRR, MSI, virtual wire.
 */
#include <stdio.h>

#include "harness.h"
#include "hw/intc/i8259.h"
#include "hw/intc/ioapic.h"
#include "hw/intc/lapic.h"
#include "hw/intc/pc_intc.h"
#include "hw/x86/pc_devices.h"
#include "hw_fake.h"

#define APIC 0xfee00000u
static struct vm *vm;
static struct vcpu *c0, *c1;

static uint32_t ard(struct vcpu *v, unsigned off)
{
	fake_set_self(v);
	return (uint32_t)fake_mmio_read(vm, APIC + off, 4);
}
static void awr(struct vcpu *v, unsigned off, uint32_t val)
{
	fake_set_self(v);
	fake_mmio_write(vm, APIC + off, val, 4);
}
static bool irr_has(struct vcpu *v, int vec) { return ard(v, 0x200 + 0x10 * (vec / 32)) & (1u << (vec % 32)); }
static bool isr_has(struct vcpu *v, int vec) { return ard(v, 0x100 + 0x10 * (vec / 32)) & (1u << (vec % 32)); }
static void ipi(struct vcpu *from, uint8_t dest, uint32_t lo)
{
	awr(from, 0x310, (uint32_t)dest << 24);
	awr(from, 0x300, lo);
}
/* Take every pending interrupt of v and EOI it. */
static void drain(struct vcpu *v)
{
	int n = 0;
	while (vm->intc->pending(v) && n++ < 300) {
		vm->intc->ack(v);
		awr(v, 0xb0, 0);
	}
	fake_take_req(v);
}
static void ioa_wr(uint8_t reg, uint32_t val)
{
	fake_mmio_write(vm, IOAPIC_BASE, reg, 4);
	fake_mmio_write(vm, IOAPIC_BASE + 0x10, val, 4);
}
static uint32_t ioa_rd(uint8_t reg)
{
	fake_mmio_write(vm, IOAPIC_BASE, reg, 4);
	return (uint32_t)fake_mmio_read(vm, IOAPIC_BASE + 0x10, 4);
}

static void test_basic(void)
{
	tap_ok(ard(c0, 0x20) == 0 && ard(c1, 0x20) == 1u << 24, "APIC IDs through the shared page");
	tap_ok(ard(c0, 0x30) == 0x00050014, "version 0x14, max LVT 5 (0x%x)", ard(c0, 0x30));
	tap_ok(ard(c0, 0xf0) == 0xff && ard(c0, 0xe0) == 0xffffffff, "reset SVR 0xff, DFR all ones");
	tap_ok(ard(c1, 0x350) == 0x10000 && ard(c0, 0x350) == 0x700, "BSP LINT0 ExtINT, AP LINT0 masked");
	fake_take_req(c0);
	fake_take_req(c1);
	pc_inject_nmi(vm);
	tap_ok((fake_take_req(c0) & VCPU_REQ_NMI) && !(fake_take_req(c1) & VCPU_REQ_NMI),
	       "inject-nmi through LINT1: the BSP (NMI) yes, the AP (masked) no");
	uint64_t base;
	lapic_msr_read(c0, 0x1b, &base);
	tap_ok(base == 0xfee00900, "BSP APIC base MSR 0x%llx", (unsigned long long)base);
	lapic_msr_read(c1, 0x1b, &base);
	tap_ok(base == 0xfee00800, "AP APIC base MSR without BSP bit");
	awr(c0, 0xf0, 0x1ff);
	awr(c1, 0xf0, 0x1ff);
	tap_ok(ard(c0, 0xf0) == 0x1ff, "SVR software enable");
	tap_ok(vm->msr_read && vm->msr_read(c0, 0x1b, &base) == 0 && base == 0xfee00900,
	       "vm->msr_read routes IA32_APIC_BASE to the APIC");
	tap_ok(vm->msr_read(c0, 0x10, &base) == -1 && vm->msr_write(c0, 0x8b, 0) == -1,
	       "other MSRs are not the APIC's (#GP from the hook)");
}

static void test_priority(void)
{
	ipi(c0, 0, 0x4031); /* fixed, physical, assert, vector 0x31 to self by ID */
	tap_ok(irr_has(c0, 0x31) && (fake_take_req(c0) & VCPU_REQ_INTR), "fixed IPI to own ID sets IRR and kicks");
	tap_ok(vm->intc->pending(c0) && vm->intc->ack(c0) == 0x31, "INTA returns 0x31");
	tap_ok(isr_has(c0, 0x31) && !irr_has(c0, 0x31), "moved IRR -> ISR");
	tap_ok(ard(c0, 0xa0) == 0x30, "PPR follows the in-service class (0x%x)", ard(c0, 0xa0));
	ipi(c0, 0, 0x4035);
	tap_ok(!vm->intc->pending(c0), "same class 3 blocked by 0x31 in service");
	ipi(c0, 0, 0x4045);
	tap_ok(vm->intc->ack(c0) == 0x45, "higher class 4 nests");
	awr(c0, 0xb0, 0);
	tap_ok(!isr_has(c0, 0x45) && isr_has(c0, 0x31), "EOI clears the highest ISR bit");
	awr(c0, 0xb0, 0);
	tap_ok(vm->intc->ack(c0) == 0x35, "then 0x35");
	awr(c0, 0xb0, 0);
	awr(c0, 0x80, 0x50);
	ipi(c0, 0, 0x4052);
	tap_ok(!vm->intc->pending(c0) && ard(c0, 0xa0) == 0x50, "TPR 0x50 holds back vector 0x52");
	tap_ok(c0->cpu.cr8 == 5, "TPR write updates CR8");
	c0->cpu.cr8 = 0;
	lapic_tpr_changed(c0);
	tap_ok(ard(c0, 0x80) == 0 && vm->intc->pending(c0), "CR8 = 0 releases it");
	drain(c0);
}

static void test_ipi(void)
{
	fake_take_req(c1);
	ipi(c0, 1, 0x4061);
	tap_ok(irr_has(c1, 0x61) && !irr_has(c0, 0x61) && (fake_take_req(c1) & VCPU_REQ_INTR),
	       "physical IPI to APIC 1");
	drain(c1);
	/* logical flat */
	awr(c0, 0xd0, 0x01000000);
	awr(c1, 0xd0, 0x02000000);
	ipi(c0, 0x03, 0x4862);
	tap_ok(irr_has(c0, 0x62) && irr_has(c1, 0x62), "logical flat 0x03 reaches both");
	drain(c0); drain(c1);
	ipi(c0, 0x02, 0x4863);
	tap_ok(!irr_has(c0, 0x63) && irr_has(c1, 0x63), "logical flat 0x02 reaches APIC 1 only");
	drain(c1);
	/* logical cluster: cluster 1 members 1 and 2 */
	awr(c0, 0xe0, 0x0fffffff);
	awr(c1, 0xe0, 0x0fffffff);
	awr(c0, 0xd0, 0x11000000);
	awr(c1, 0xd0, 0x12000000);
	ipi(c0, 0x12, 0x4864);
	tap_ok(!irr_has(c0, 0x64) && irr_has(c1, 0x64), "cluster 1 member 2");
	ipi(c0, 0x22, 0x4865);
	tap_ok(!irr_has(c1, 0x65), "wrong cluster: nobody");
	drain(c1);
	awr(c0, 0xe0, 0xffffffff);
	awr(c1, 0xe0, 0xffffffff);
	awr(c0, 0xd0, 0x01000000);
	awr(c1, 0xd0, 0x02000000);
	/* shorthands */
	ipi(c0, 0, 0xc4066); /* all excluding self */
	tap_ok(!irr_has(c0, 0x66) && irr_has(c1, 0x66), "all-excluding-self");
	ipi(c0, 0, 0x84067);
	tap_ok(irr_has(c0, 0x67) && irr_has(c1, 0x67), "all-including-self");
	ipi(c1, 0, 0x44068);
	tap_ok(irr_has(c1, 0x68) && !irr_has(c0, 0x68), "self shorthand");
	drain(c0); drain(c1);
	tap_ok((ard(c0, 0x300) & 0x1000) == 0, "ICR delivery status reads idle");
	/* broadcast physical 0xff */
	ipi(c0, 0xff, 0x4069);
	tap_ok(irr_has(c0, 0x69) && irr_has(c1, 0x69), "physical broadcast 0xff");
	drain(c0); drain(c1);
	/* lowest priority goes to the lower TPR */
	awr(c0, 0x80, 0x80);
	ipi(c0, 0x03, 0x4971);
	tap_ok(irr_has(c1, 0x71) && !irr_has(c0, 0x71), "lowest priority picks the APIC with the lower TPR");
	awr(c0, 0x80, 0);
	drain(c1);
	/* INIT, SIPI, NMI */
	fake_take_req(c1);
	ipi(c0, 1, 0x8500); /* INIT level de-assert */
	tap_ok(fake_take_req(c1) == 0, "INIT level de-assert does nothing");
	ipi(c0, 1, 0xc500); /* INIT assert */
	tap_ok(fake_take_req(c1) & VCPU_REQ_INIT, "INIT IPI");
	tap_ok(ard(c1, 0xf0) == 0xff && ard(c1, 0x20) == 1u << 24, "INIT resets the APIC but its ID");
	ipi(c0, 1, 0x469a);
	tap_ok((fake_take_req(c1) & VCPU_REQ_SIPI) && c1->sipi_vector == 0x9a, "SIPI vector 0x9a");
	ipi(c0, 1, 0x4400);
	tap_ok(fake_take_req(c1) & VCPU_REQ_NMI, "NMI IPI");
	awr(c1, 0xf0, 0x1ff);
	/* illegal vector: send error */
	awr(c0, 0x370, 0x10000);
	ipi(c0, 1, 0x4005);
	awr(c0, 0x280, 0);
	tap_ok(ard(c0, 0x280) == 0x20, "ESR: send illegal vector (0x%x)", ard(c0, 0x280));
	awr(c0, 0x280, 0);
	tap_ok(ard(c0, 0x280) == 0, "ESR cleared by the next write");
}

static void test_timer(void)
{
	/* one-shot, divide by 1 */
	awr(c0, 0x3e0, 0xb);
	awr(c0, 0x320, 0x40);
	awr(c0, 0x380, 1000);
	fake_advance(vm, 400);
	tap_ok(ard(c0, 0x390) == 600, "one-shot current count 600 after 400 ns (%u)", ard(c0, 0x390));
	tap_ok(!irr_has(c0, 0x40), "not fired yet");
	fake_advance(vm, 600);
	tap_ok(irr_has(c0, 0x40) && ard(c0, 0x390) == 0, "fired at zero, count stays 0");
	drain(c0);
	fake_advance(vm, 5000);
	tap_ok(!irr_has(c0, 0x40), "one-shot fires once");
	/* periodic, divide by 2: period 2 * 100000 ns */
	awr(c0, 0x3e0, 0x0);
	awr(c0, 0x320, 0x20041);
	awr(c0, 0x380, 100000);
	fake_advance(vm, 150000);
	tap_ok(ard(c0, 0x390) == 25000, "periodic: count 25000 after 150 us at /2 (%u)", ard(c0, 0x390));
	fake_advance(vm, 50000);
	tap_ok(irr_has(c0, 0x41), "periodic fired after 200 us");
	drain(c0);
	fake_advance(vm, 200000);
	tap_ok(irr_has(c0, 0x41) && ard(c0, 0x390) == 100000, "and again one period later, count reloaded");
	drain(c0);
	/* masked timer keeps counting but does not interrupt */
	awr(c0, 0x320, 0x30041);
	fake_advance(vm, 400000);
	tap_ok(!irr_has(c0, 0x41), "masked periodic: no interrupt");
	awr(c0, 0x380, 0);
	tap_ok(ard(c0, 0x390) == 0, "initial count 0 stops the timer");
	/* divide register readback and encoding */
	awr(c0, 0x3e0, 0xa); /* divide by 128 */
	awr(c0, 0x320, 0x42);
	awr(c0, 0x380, 10);
	fake_advance(vm, 128 * 4);
	tap_ok(ard(c0, 0x3e0) == 0xa && ard(c0, 0x390) == 6, "divide by 128 (count %u)", ard(c0, 0x390));
	fake_advance(vm, 128 * 6);
	tap_ok(irr_has(c0, 0x42), "fires after 10 * 128 ns");
	drain(c0);
	/* TSC deadline with a 1 GHz guest TSC */
	pc_intc_set_tsc_khz(vm, 1000000);
	awr(c0, 0x320, 0x40043);
	uint64_t now = __builtin_ia32_rdtsc();
	tap_ok(lapic_msr_write(c0, 0x6e0, now + 1000000000000ull) == 0, "TSC deadline write");
	uint64_t dl;
	lapic_msr_read(c0, 0x6e0, &dl);
	tap_ok(dl == now + 1000000000000ull && timer_pending(&c0->apic->timer), "deadline armed");
	fake_advance(vm, 1000);
	tap_ok(!irr_has(c0, 0x43), "far deadline not reached");
	lapic_msr_write(c0, 0x6e0, 0);
	tap_ok(!timer_pending(&c0->apic->timer), "writing 0 disarms");
	lapic_msr_write(c0, 0x6e0, 1);
	fake_advance(vm, 1);
	lapic_msr_read(c0, 0x6e0, &dl);
	tap_ok(irr_has(c0, 0x43) && dl == 0, "past deadline fires at once and clears the MSR");
	drain(c0);
	awr(c0, 0x380, 500);
	tap_ok(ard(c0, 0x380) == 0, "initial count ignored in TSC-deadline mode");
	awr(c0, 0x320, 0x10000);
}

static void test_x2apic(void)
{
	uint64_t v;
	tap_ok(lapic_msr_read(c0, 0x802, &v) == -1, "x2APIC MSRs #GP in xAPIC mode");
	tap_ok(lapic_msr_write(c1, 0x1b, 0xfee00400) == -1, "EXTD without EN is invalid");
	tap_ok(lapic_msr_write(c0, 0x1b, 0xfee00c00) == 0, "enter x2APIC mode");
	tap_ok(lapic_msr_read(c0, 0x802, &v) == 0 && v == 0, "x2APIC ID 0");
	tap_ok(lapic_msr_read(c0, 0x80d, &v) == 0 && v == 1, "x2APIC LDR: cluster 0, bit 0");
	tap_ok(lapic_msr_read(c0, 0x80e, &v) == -1, "no DFR in x2APIC mode");
	tap_ok(lapic_msr_write(c0, 0x802, 5) == -1, "ID is read-only");
	tap_ok(lapic_msr_write(c0, 0x80b, 1) == -1, "EOI with a non-zero value #GP");
	lapic_msr_write(c0, 0x83f, 0x77);
	tap_ok(vm->intc->ack(c0) == 0x77, "SELF IPI");
	tap_ok(lapic_msr_read(c0, 0x813, &v) == 0 && (v & (1u << (0x77 - 96))), "ISR word 3 through MSR 0x813");
	lapic_msr_write(c0, 0x80b, 0);
	lapic_msr_read(c0, 0x813, &v);
	tap_ok(v == 0, "x2APIC EOI clears it");
	lapic_msr_write(c0, 0x830, (1ull << 32) | 0x4078); /* to x2APIC ID 1 (xAPIC mode target) */
	tap_ok(irr_has(c1, 0x78), "x2APIC ICR (64-bit) to APIC 1");
	drain(c1);
	tap_ok(lapic_msr_write(c0, 0x1b, 0xfee00800) == -1, "x2APIC -> xAPIC directly is invalid");
	tap_ok(lapic_msr_write(c0, 0x1b, 0xfee00000) == 0 && lapic_msr_write(c0, 0x1b, 0xfee00800) == 0,
	       "x2APIC -> disabled -> xAPIC");
	tap_ok(ard(c0, 0xf0) == 0xff, "re-enabled APIC is in its power-up state");
	awr(c0, 0xf0, 0x1ff);
	awr(c0, 0x350, 0x700);
}

static void test_ioapic(void)
{
	tap_ok(ioa_rd(1) == 0x170020, "IOAPIC version 0x20, 24 entries (0x%x)", ioa_rd(1));
	tap_ok(ioa_rd(0x10) == 0x10000, "entries masked at reset");
	/* pin 4 edge, vector 0x34, physical dest 1 */
	ioa_wr(0x18, 0x34);
	ioa_wr(0x19, 1u << 24);
	irq_raise(&vm->gsi[4]);
	tap_ok(irr_has(c1, 0x34) && !irr_has(c0, 0x34), "ISA IRQ4 -> pin 4 -> APIC 1 vector 0x34");
	irq_lower(&vm->gsi[4]);
	drain(c1);
	/* masked edge is lost */
	ioa_wr(0x18, 0x10034);
	irq_raise(&vm->gsi[4]);
	irq_lower(&vm->gsi[4]);
	ioa_wr(0x18, 0x34);
	tap_ok(!irr_has(c1, 0x34), "edge on a masked pin is not held");
	/* IRQ0 goes to pin 2 */
	ioa_wr(0x14, 0x30);
	ioa_wr(0x15, 0);
	irq_raise(&vm->gsi[0]);
	irq_lower(&vm->gsi[0]);
	tap_ok(irr_has(c0, 0x30), "ISA IRQ0 -> IOAPIC pin 2");
	drain(c0);
	/* level pin 9 with Remote IRR and re-trigger */
	ioa_wr(0x22, 0x8039);
	ioa_wr(0x23, 0);
	irq_raise(&vm->gsi[9]);
	tap_ok(irr_has(c0, 0x39) && (ioa_rd(0x22) & 0x4000), "level pin 9 delivered, Remote IRR set");
	fake_set_self(c0);
	tap_ok(vm->intc->ack(c0) == 0x39 && (ard(c0, 0x180 + 0x10) & (1u << (0x39 - 32))), "TMR set for 0x39");
	awr(c0, 0xb0, 0);
	tap_ok(irr_has(c0, 0x39) && (ioa_rd(0x22) & 0x4000), "EOI with the line still high: delivered again");
	vm->intc->ack(c0);
	irq_lower(&vm->gsi[9]);
	awr(c0, 0xb0, 0);
	tap_ok(!irr_has(c0, 0x39) && !(ioa_rd(0x22) & 0x4000), "line low at EOI: Remote IRR clear, nothing new");
	/* unmasking an asserted level pin delivers */
	ioa_wr(0x22, 0x18039);
	irq_raise(&vm->gsi[9]);
	tap_ok(!irr_has(c0, 0x39), "masked level pin waits");
	ioa_wr(0x22, 0x8039);
	tap_ok(irr_has(c0, 0x39), "unmasking an asserted level pin delivers");
	vm->intc->ack(c0);
	irq_lower(&vm->gsi[9]);
	awr(c0, 0xb0, 0);
	/* EOI register of version 0x20 */
	irq_raise(&vm->gsi[9]);
	vm->intc->ack(c0);
	irq_lower(&vm->gsi[9]);
	fake_mmio_write(vm, IOAPIC_BASE + 0x40, 0x39, 4);
	tap_ok(!(ioa_rd(0x22) & 0x4000), "IOAPIC EOI register clears Remote IRR");
	awr(c0, 0xb0, 0);
	drain(c0);
	/* GSI 20 through pc_ioapic_pin bypasses the 8259 */
	ioa_wr(0x10 + 2 * 20, 0x50);
	ioa_wr(0x11 + 2 * 20, 1u << 24);
	struct irq p20 = pc_ioapic_pin(vm, 20);
	irq_pulse(&p20);
	tap_ok(irr_has(c1, 0x50), "pin 20");
	drain(c1);
	/* MSI */
	lapic_deliver_msi(vm, 0xfee01000, 0x4081);
	tap_ok(irr_has(c1, 0x81), "MSI to APIC 1 vector 0x81");
	drain(c1);
	fake_set_self(NULL);
	fake_mmio_write(vm, APIC, 0x82, 4);
	tap_ok(irr_has(c0, 0x82), "device DMA write to 0xfee00000 is an MSI to APIC 0");
	drain(c0);
}

static void test_virtual_wire(void)
{
	struct i8259 *pic = pc_intc_of(vm)->pic;
	/* program the 8259 as Linux does */
	pio_write(vm, 0x20, 0x11, 1); pio_write(vm, 0x21, 0x30, 1);
	pio_write(vm, 0x21, 0x04, 1); pio_write(vm, 0x21, 0x01, 1);
	pio_write(vm, 0x21, 0xfb, 1); /* only IR2 (cascade) unmasked */
	pio_write(vm, 0x21, 0xfa, 1); /* and IR0 */
	fake_take_req(c0);
	fake_take_req(c1);
	i8259_set_irq(pic, 0, 1);
	tap_ok((fake_take_req(c0) & VCPU_REQ_INTR) && !(fake_take_req(c1) & VCPU_REQ_INTR),
	       "8259 INTR wakes the BSP only (AP LINT0 masked)");
	tap_ok(vm->intc->pending(c0) && !vm->intc->pending(c1), "pending on the BSP through LINT0 ExtINT");
	tap_ok(vm->intc->ack(c0) == 0x30, "ExtINT vector from the 8259 INTA");
	pio_write(vm, 0x20, 0x20, 1);
	i8259_set_irq(pic, 0, 0);
	awr(c0, 0x350, 0x10700);
	i8259_set_irq(pic, 0, 1);
	tap_ok(!vm->intc->pending(c0), "LINT0 masked: the 8259 no longer reaches the BSP");
	lapic_msr_write(c0, 0x1b, 0xfee00100);
	tap_ok(vm->intc->pending(c0), "APIC hardware-disabled: 8259 INTR goes straight to the CPU");
	vm->intc->ack(c0);
	pio_write(vm, 0x20, 0x20, 1);
	i8259_set_irq(pic, 0, 0);
}

int main(void)
{
	vm = fake_vm_new(2);
	if (pc_intc_init(vm)) {
		printf("Bail out! pc_intc_init\n");
		return 1;
	}
	c0 = vm->vcpus[0];
	c1 = vm->vcpus[1];
	test_basic();
	test_priority();
	test_ipi();
	test_timer();
	test_x2apic();
	test_ioapic();
	test_virtual_wire();
	fake_set_self(NULL);
	fake_vm_free(vm);
	return tap_done();
}
