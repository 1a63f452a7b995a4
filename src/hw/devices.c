/*
 * The device table: every device type lemu knows, in one explicit list
 * (no constructors).  -device help prints the user-creatable ones.
 */
#include <string.h>

#include "core/device.h"

extern const struct device_class i8259_class, ioapic_class, lapic_class, pc_intc_class;
extern const struct device_class i8254_class, rtc_class, hpet_class;
extern const struct device_class isa_serial_class, isa_debugcon_class, isa_debug_exit_class;
extern const struct device_class i8042_class, port92_class;
extern const struct device_class i440fx_class, piix3_class, piix_pm_class;
extern const struct device_class x86_machine_class, microvm_pm_class;
extern const struct device_class virtio_blk_pci_class, virtio_rng_pci_class, virtio_serial_pci_class;
extern const struct device_class virtconsole_class, virtserialport_class;
extern const struct device_class virtio_blk_pci_class_transitional, virtio_blk_pci_class_non_transitional,
	virtio_blk_pci_class_alias;
extern const struct device_class virtio_rng_pci_class_transitional, virtio_rng_pci_class_non_transitional,
	virtio_rng_pci_class_alias;
extern const struct device_class virtio_net_pci_class, virtio_net_pci_class_transitional,
	virtio_net_pci_class_non_transitional, virtio_net_pci_class_alias;
extern const struct device_class virtio_serial_pci_class_transitional, virtio_serial_pci_class_non_transitional,
	virtio_serial_pci_class_alias;

const struct device_class *const device_classes[] = {
	/* interrupt controllers (src/hw/intc) */
	&pc_intc_class,
	&i8259_class,
	&ioapic_class,
	&lapic_class,
	/* timers (src/hw/timer) */
	&i8254_class,
	&rtc_class,
	&hpet_class,
	/* character devices (src/hw/char) */
	&isa_serial_class,
	&isa_debugcon_class,
	&isa_debug_exit_class,
	/* input (src/hw/input) */
	&i8042_class,
	&port92_class,
	/* PCI host and PIIX functions (src/hw/pci, src/hw/x86/piix_pm.c) */
	&i440fx_class,
	&piix3_class,
	&piix_pm_class,
	/* virtio over PCI (src/hw/virtio) */
	&virtio_blk_pci_class,
	&virtio_rng_pci_class,
	&virtio_serial_pci_class,
	&virtconsole_class,
	&virtserialport_class,
	&virtio_blk_pci_class_transitional,
	&virtio_blk_pci_class_non_transitional,
	&virtio_blk_pci_class_alias,
	&virtio_rng_pci_class_transitional,
	&virtio_rng_pci_class_non_transitional,
	&virtio_rng_pci_class_alias,
	&virtio_serial_pci_class_transitional,
	&virtio_serial_pci_class_non_transitional,
	&virtio_serial_pci_class_alias,
	&virtio_net_pci_class,
	&virtio_net_pci_class_transitional,
	&virtio_net_pci_class_non_transitional,
	&virtio_net_pci_class_alias,
	/* machine-internal (src/hw/x86) */
	&microvm_pm_class,
	&x86_machine_class,
	NULL,
};
