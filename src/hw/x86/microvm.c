/*
 * `microvm`: a minimal PC without PCI, in the spirit of QEMU's and
 * Firecracker's microvm.  It has the PC's interrupt controllers (8259s,
 * IOAPIC, a LAPIC per vCPU) and ISA devices (PIT, RTC, COM ports, i8042,
 * HPET, debugcon), fw_cfg, and hardware-reduced ACPI (FADT flag
 * HW_REDUCED_ACPI, ACPI 6.4 §4.1): MADT, HPET, a DSDT with the RTC and COM
 * ports and \_S5, and the microvm-pm device below for the FADT's sleep
 * control/status and reset registers, so that poweroff and reboot work
 * through ACPI.  No PCI, no PM timer, no SCI events.  Boots bzImage, PVH
 * or multiboot kernels like pc.  RAM: up to 3 GiB below 4 GiB, the rest
 * above.
 */
#include "core/memory.h"
#include "core/vm.h"
#include "hw/x86/acpi.h"
#include "hw/x86/machine.h"
#include "hw/x86/pc_devices.h"
#include "hw/x86/x86.h"
#include "util/error.h"

#define MICROVM_LOWMEM 0xc0000000ull

/* Sleep control register (§4.8.3.7): SLP_TYP bits 4:2, SLP_EN bit 5;
 * sleep status register (§4.8.3.8): WAK_STS bit 7. */
#define SLP_EN 0x20
#define SLP_TYP(v) (((v) >> 2) & 7)
#define SLP_TYP_S5 5

struct microvm_pm {
	struct device dev;
	struct pio_region *io;
	uint8_t status;
};

static uint64_t mpm_read(void *opaque, uint64_t off, unsigned size)
{
	struct microvm_pm *p = opaque;
	return off == 1 ? p->status : 0;
}

static void mpm_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct microvm_pm *p = opaque;
	struct vm *vm = p->dev.vm;
	switch (off) {
	case 0:
		if ((val & SLP_EN) && SLP_TYP(val) == SLP_TYP_S5)
			vm_request(vm, VM_EVENT_GUEST_SHUTDOWN);
		else if (val & SLP_EN)
			vm_log(vm, VM_LOG_UNIMP, "microvm-pm: sleep type %u not supported\n", (unsigned)SLP_TYP(val));
		break;
	case 1:
		p->status &= (uint8_t)~val;
		break;
	case 2:
		if (val == MICROVM_RESET_VALUE)
			vm_request(vm, VM_EVENT_GUEST_RESET);
		break;
	}
}

static const struct io_ops mpm_ops = { .read = mpm_read, .write = mpm_write, .min_size = 1, .max_size = 1 };

static int mpm_realize(struct device *d, struct error **errp)
{
	struct microvm_pm *p = (struct microvm_pm *)d;
	p->io = pio_add(d->vm, "microvm-pm", MICROVM_PM_BASE, 3, &mpm_ops, p);
	if (!p->io) {
		error_setg(errp, "microvm-pm: I/O ports 0x%x-0x%x are already in use", MICROVM_PM_BASE,
			   MICROVM_PM_BASE + 2);
		return -1;
	}
	return 0;
}

static void mpm_reset(struct device *d)
{
	((struct microvm_pm *)d)->status = 0;
}

static void mpm_unrealize(struct device *d)
{
	struct microvm_pm *p = (struct microvm_pm *)d;
	if (p->io)
		pio_del(d->vm, p->io);
}

const struct device_class microvm_pm_class = {
	.name = "microvm-pm",
	.desc = "ACPI sleep and reset registers of the microvm machine",
	.bus = "sys",
	.size = sizeof(struct microvm_pm),
	.realize = mpm_realize,
	.reset = mpm_reset,
	.unrealize = mpm_unrealize,
};

int microvm_machine_init(struct vm *vm, const struct machine_class *mc, struct error **errp)
{
	struct x86_machine *m = x86_machine_new(vm, mc, MICROVM_LOWMEM, errp);
	if (!m)
		return -1;
	m->acpi_hw_reduced = true;
	int r = pc_intc_init(vm);
	if (r < 0) {
		error_setg(errp, "cannot create the interrupt controllers (error %d)", -r);
		return -1;
	}
	if (pc_isa_devices_init(vm, errp) < 0)
		return -1;
	x86_cmos_init(m);
	if (!device_create(vm, microvm_pm_class.name, NULL, errp))
		return -1;
	return x86_machine_finish(m, errp);
}
