/*
 * The `pc` machine (pc-i440fx-7.2): i440FX host bridge 00:00.0, PIIX3 ISA
 * bridge 00:01.0 with the PIIX4 PM function at 00:01.3, the PC's
 * interrupt controllers and ISA devices (hw/x86/pc_devices.h), fw_cfg,
 * ACPI tables, and a direct kernel boot (or firmware with -bios).
 *
 * RAM layout as QEMU's pc-i440fx: all RAM below 4 GiB when it is smaller
 * than 3.5 GiB (0xe0000000); otherwise 3 GiB below (gigabyte alignment,
 * QEMU's default since 1.7) and the rest from 4 GiB.  The PCI hole runs
 * from the end of low RAM to the IOAPIC at 0xfec00000; lemu places BARs
 * from 0xe0000000 up (I/O BARs from 0xc000).
 */
#include <stdlib.h>

#include "core/vm.h"
#include "hw/pci/pci.h"
#include "hw/x86/machine.h"
#include "hw/x86/pc_devices.h"
#include "hw/x86/piix_pm.h"
#include "hw/x86/x86.h"
#include "util/error.h"
#include "util/opts.h"

#define PC_LOWMEM 0xe0000000ull
#define PC_LOWMEM_ALIGNED 0xc0000000ull
#define PC_PCI_MMIO_BASE 0xe0000000ull

static struct device *pc_create_pci(struct vm *vm, const char *name, const char *addr, struct error **errp)
{
	struct opts *o = opts_parse(addr, "addr", errp);
	if (!o)
		return NULL;
	struct device *d = device_create(vm, name, o, errp);
	opts_free(o);
	return d;
}

int pc_machine_init(struct vm *vm, const struct machine_class *mc, struct error **errp)
{
	uint64_t lowmem = vm->ram_size >= PC_LOWMEM ? PC_LOWMEM_ALIGNED : PC_LOWMEM;
	struct x86_machine *m = x86_machine_new(vm, mc, lowmem, errp);
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

	uint64_t mmio = m->below_4g > PC_PCI_MMIO_BASE ? m->below_4g : PC_PCI_MMIO_BASE;
	m->pci = pci_bus_new(vm, mmio);
	if (!m->pci) {
		error_setg(errp, "out of memory");
		return -1;
	}
	if (!pc_create_pci(vm, "i440FX", "0.0", errp) || !pc_create_pci(vm, "PIIX3", "1.0", errp))
		return -1;
	m->pm = (struct piix_pm *)pc_create_pci(vm, "PIIX4_PM", "1.3", errp);
	if (!m->pm)
		return -1;
	return x86_machine_finish(m, errp);
}
