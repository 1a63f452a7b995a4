/*
 * ACPI PCI hot-plug of the pc machine: the register block QEMU's i440FX
 * machines expose at 0xae00 (QEMU docs/specs/acpi_pci_hotplug.rst) and the
 * AML that drives it, so that the guest's own ACPI hotplug driver (Linux
 * acpiphp) announces, enumerates and ejects devices on bus 0.
 *
 *   0xae00 PCIU  read: slots with a device inserted since the last read
 *   0xae04 PCID  read: slots whose device the host asked to remove
 *   0xae08 B0EJ  write: eject the devices of the slots whose bits are set;
 *                read: hotplug feature set (0)
 *   0xae0c PCRM  read: slots whose devices may be removed
 *   0xae10 BNUM  read/write: bus selector (only bus 0 exists; the others
 *                read as empty and ignore ejects)
 *
 * device_add sets the slot's PCIU bit, device_del its PCID bit, and both
 * raise GPE0 bit 1; the DSDT's \_GPE._E01 reads PCIU/PCID and notifies the
 * slot objects (Device Check = 1, Eject Request = 3); the guest's _EJ0
 * writes B0EJ, which removes the device for real and only then sends the
 * monitor's DEVICE_DELETED.
 */
#ifndef LEMU_HW_X86_ACPI_HOTPLUG_H
#define LEMU_HW_X86_ACPI_HOTPLUG_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct aml;
struct acpi_pm;
struct error;
struct pci_device;
struct pio_region;
struct pcihp_dead;

#define ACPI_PCIHP_BASE 0xae00
#define ACPI_PCIHP_LEN 0x14
#define ACPI_PCIHP_GPE 1 /* GPE0 bit */

struct acpi_pcihp {
	struct vm *vm;
	struct acpi_pm *pm; /* its GPE0 block signals the guest */
	struct pio_region *io;
	uint32_t up, down; /* PCIU, PCID of bus 0 */
	uint32_t bsel;     /* BNUM as the guest wrote it */
	struct pcihp_dead *dead; /* ejected devices waiting to be freed */
	bool bh_pending;
};

int acpi_pcihp_init(struct acpi_pcihp *hp, struct vm *vm, struct acpi_pm *pm);
void acpi_pcihp_reset(struct acpi_pcihp *hp);
void acpi_pcihp_fini(struct acpi_pcihp *hp);
/* The machine's controller, or NULL (microvm, no PCI). */
struct acpi_pcihp *acpi_pcihp_of(struct vm *vm);
/* Whether device_add/device_del may plug/unplug d (a user-creatable PCI
 * device on bus 0). */
bool acpi_pcihp_device_ok(const struct pci_device *d);
/* device_add created d: announce it to the guest. */
void acpi_pcihp_plug(struct acpi_pcihp *hp, struct pci_device *d);
/* device_del: ask the guest to eject d's slot.  0, or -1 with errp when
 * a request is already pending (as QEMU: retry allowed once guest time
 * has moved on). */
int acpi_pcihp_unplug_request(struct acpi_pcihp *hp, struct pci_device *d, struct error **errp);
/* Guest port access (for tests). */
uint64_t acpi_pcihp_read(void *opaque, uint64_t off, unsigned size);
void acpi_pcihp_write(void *opaque, uint64_t off, uint64_t val, unsigned size);

/* AML: the registers, PCEJ/PCNT and the slot objects S10..SF8 inside
 * Device(PCI0); the GPE handler at the DSDT's root. */
void acpi_pcihp_build_pci0(struct aml *pci0);
void acpi_pcihp_build_gpe(struct aml *dsdt);

#endif
