/*
 * The PC interrupt hub: creates the 8259 pair, the IOAPIC and the local
 * APICs, wires the ISA IRQs / GSIs to them (vm->gsi), and answers the
 * vCPUs' "is an interrupt pending / INTA" questions (struct intc_ops).
 *
 * Virtual wire (MP spec 1.4 §3.6.2.2, SDM 10.5.1 ExtINT): the 8259's INTR
 * reaches a CPU through LINT0 programmed as ExtINT, or directly while the
 * CPU's APIC is hardware-disabled; the vector then comes from the 8259's
 * INTA cycle rather than from the APIC's IRR.
 */
#include "hw/intc/pc_intc.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "hw/intc/i8259.h"
#include "hw/intc/ioapic.h"
#include "hw/intc/lapic.h"
#include "hw/x86/pc_devices.h"
#include "util/error.h"
#include "util/opts.h"

static int64_t host_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

uint64_t pc_intc_tsc_khz(struct pc_intc *h)
{
	if (h->tsc_khz)
		return h->tsc_khz;
	/* lemu's vCPUs read vm_clock_ns as their TSC (env->rdtsc): 1 GHz. */
	struct vcpu *v0 = h->dev.vm->vcpus[0];
	if (v0 && v0->cpu.env && v0->cpu.env->rdtsc) {
		h->tsc_khz = 1000000;
		return h->tsc_khz;
	}
	/* Measure the host TSC over at least 10 ms since pc_intc_init (a
	 * one-time wait if the guest asks very early). */
	int64_t ns;
	uint64_t tsc;
	do {
		ns = host_ns();
		tsc = __builtin_ia32_rdtsc();
	} while (ns - h->cal_ns < 10000000);
	h->tsc_khz = (tsc - h->cal_tsc) * 1000000ull / (uint64_t)(ns - h->cal_ns);
	if (!h->tsc_khz)
		h->tsc_khz = 1000000;
	return h->tsc_khz;
}

void pc_intc_set_tsc_khz(struct vm *vm, uint64_t khz)
{
	struct pc_intc *h = pc_intc_of(vm);
	if (h)
		h->tsc_khz = khz;
}

static bool hub_accepts_pic(struct vcpu *v)
{
	return !v->apic || lapic_accepts_pic(v->apic) || v->apic->extint_pending;
}

static bool hub_pending(struct vcpu *v)
{
	struct pc_intc *h = pc_intc_of(v->vm);
	if (v->apic && lapic_has_interrupt(v->apic))
		return true;
	return hub_accepts_pic(v) && i8259_pending(h->pic);
}

static int hub_ack(struct vcpu *v)
{
	struct pc_intc *h = pc_intc_of(v->vm);
	if (v->apic && lapic_has_interrupt(v->apic))
		return lapic_ack(v->apic);
	if (hub_accepts_pic(v) && i8259_pending(h->pic)) {
		if (v->apic)
			v->apic->extint_pending = false;
		return i8259_ack(h->pic);
	}
	return -1;
}

static const struct intc_ops pc_intc_ops = { hub_pending, hub_ack };

/* The 8259's INTR output: wake the CPUs it may reach. */
static void hub_pic_out(void *opaque, int n, int level)
{
	struct pc_intc *h = opaque;
	struct vm *vm = h->dev.vm;
	if (!level)
		return;
	for (int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = vm->vcpus[i];
		if (v && hub_accepts_pic(v))
			vcpu_kick(v, VCPU_REQ_INTR);
	}
}

static void hub_gsi(void *opaque, int n, int level)
{
	struct pc_intc *h = opaque;
	if (n < 16)
		i8259_set_irq(h->pic, n, level);
	/* ISA IRQ0 is IOAPIC pin 2 (MADT interrupt source override). */
	ioapic_set_irq(h->ioapic, n == 0 ? 2 : n, level);
}

static void hub_ioapic_pin(void *opaque, int n, int level)
{
	struct pc_intc *h = opaque;
	ioapic_set_irq(h->ioapic, n, level);
}

void pc_inject_nmi(struct vm *vm)
{
	for (int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = vm->vcpus[i];
		if (!v)
			continue;
		if (v->apic)
			lapic_set_lint(v->apic, 1, 1);
		else
			vcpu_kick(v, VCPU_REQ_NMI);
	}
}

struct irq pc_ioapic_pin(struct vm *vm, int pin)
{
	struct irq irq = { hub_ioapic_pin, pc_intc_of(vm), pin };
	return irq;
}

/* vm->msr_read/msr_write: the APIC's MSRs (the CPU core keeps the rest). */
static int hub_msr_read(struct vcpu *v, uint32_t idx, uint64_t *val)
{
	return lapic_msr_owned(idx) ? lapic_msr_read(v, idx, val) : -1;
}

static int hub_msr_write(struct vcpu *v, uint32_t idx, uint64_t val)
{
	return lapic_msr_owned(idx) ? lapic_msr_write(v, idx, val) : -1;
}

int pc_intc_init(struct vm *vm)
{
	struct error *err = NULL;
	struct pc_intc *h = (struct pc_intc *)device_create(vm, "pc-intc", NULL, &err);
	if (!h)
		goto fail;
	h->cal_ns = host_ns();
	h->cal_tsc = __builtin_ia32_rdtsc();
	vm->intc_opaque = h;
	h->pic = (struct i8259 *)device_create(vm, "isa-i8259", NULL, &err);
	if (!h->pic)
		goto fail;
	h->pic->out = (struct irq){ hub_pic_out, h, 0 };
	h->ioapic = (struct ioapic *)device_create(vm, "ioapic", NULL, &err);
	if (!h->ioapic)
		goto fail;
	for (int i = 0; i < vm->ncpus; i++) {
		char opt[32];
		snprintf(opt, sizeof(opt), "cpu-index=%d", i);
		struct opts *o = opts_parse(opt, NULL, &err);
		if (!o)
			goto fail;
		struct device *d = device_create(vm, "apic", o, &err);
		opts_free(o);
		if (!d)
			goto fail;
	}
	for (int n = 0; n < 24; n++)
		vm->gsi[n] = (struct irq){ hub_gsi, h, n };
	vm->intc = &pc_intc_ops;
	vm->msr_read = hub_msr_read;
	vm->msr_write = hub_msr_write;
	return 0;
fail:
	/* Only a registration clash or an allocation failure gets here. */
	fprintf(stderr, "lemu: interrupt controllers: %s\n", err ? err->msg : "failed");
	error_free(err);
	return -EINVAL;
}

static int pc_intc_realize(struct device *d, struct error **errp)
{
	return 0;
}

static const struct prop pc_intc_props[] = { PROP_END };

const struct device_class pc_intc_class = {
	.name = "pc-intc",
	.desc = "PC interrupt routing (8259 pair, IOAPIC, local APICs)",
	.bus = "sys",
	.size = sizeof(struct pc_intc),
	.props = pc_intc_props,
	.realize = pc_intc_realize,
};
