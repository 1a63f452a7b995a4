/*
 * `microvm`: a minimal PC without PCI, in the spirit of QEMU's and
 * Firecracker's microvm.  It has the PC's interrupt controllers (8259s,
 * IOAPIC, a LAPIC per vCPU) and ISA devices (PIT, RTC, COM ports, i8042,
 * HPET, debugcon), fw_cfg, and ACPI: MADT, HPET, FADT and a DSDT with the
 * ISA devices and \_S5.  The ACPI fixed hardware is the microvm-pm device
 * below: the PIIX4 register block (PM1, PM timer, GPE0) at I/O 0x600 with
 * the SCI on IRQ 9, and a reset control register at 0xcf9, so poweroff and
 * reboot work through ACPI as on pc.  Boots bzImage, PVH or multiboot
 * kernels like pc.  RAM: up to 3 GiB below 4 GiB, the rest above.
 */
#include "core/memory.h"
#include "core/vm.h"
#include "hw/x86/acpi.h"
#include "hw/x86/machine.h"
#include "hw/x86/pc_devices.h"
#include "hw/x86/piix_pm.h"
#include "hw/x86/x86.h"
#include "util/error.h"

#define MICROVM_LOWMEM 0xc0000000ull

struct microvm_pm {
	struct device dev;
	struct acpi_pm regs;
	struct pio_region *io, *rcr;
};

/* Reset control register (as the PIIX's at 0xcf9): RST_CPU, bit 2. */
static uint64_t rcr_read(void *opaque, uint64_t off, unsigned size)
{
	return 0;
}

static void rcr_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct microvm_pm *p = opaque;
	if (val & 0x04)
		vm_request(p->dev.vm, VM_EVENT_GUEST_RESET);
}

static const struct io_ops rcr_ops = { .read = rcr_read, .write = rcr_write, .min_size = 1, .max_size = 1 };

static void mpm_unrealize(struct device *d)
{
	struct microvm_pm *p = (struct microvm_pm *)d;
	acpi_pm_fini(&p->regs);
	if (p->io)
		pio_del(d->vm, p->io);
	if (p->rcr)
		pio_del(d->vm, p->rcr);
	p->io = p->rcr = NULL;
}

static int mpm_realize(struct device *d, struct error **errp)
{
	struct microvm_pm *p = (struct microvm_pm *)d;
	acpi_pm_init(&p->regs, d->vm);
	p->io = pio_add(d->vm, "microvm-pm", PIIX_PM_BASE, PIIX_PM_LEN, &acpi_pm_io_ops, &p->regs);
	p->rcr = pio_add(d->vm, "microvm-rcr", PC_RESET_PORT, 1, &rcr_ops, p);
	if (!p->io || !p->rcr) {
		error_setg(errp, "microvm-pm: I/O ports 0x%x-0x%x or 0x%x are already in use", PIIX_PM_BASE,
			   PIIX_PM_BASE + PIIX_PM_LEN - 1, PC_RESET_PORT);
		mpm_unrealize(d);
		return -1;
	}
	return 0;
}

static void mpm_reset(struct device *d)
{
	acpi_pm_reset(&((struct microvm_pm *)d)->regs);
}

const struct device_class microvm_pm_class = {
	.name = "microvm-pm",
	.desc = "ACPI PM registers and reset control of the microvm machine",
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
