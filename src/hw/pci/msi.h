/*
 * MSI and MSI-X for PCI devices (PCI Local Bus Specification 3.0 §6.8).
 *
 * MSI: a capability (id 0x05) with a 64-bit message address, data and
 * per-vector mask and pending bits; msi_notify(vector) writes data|vector.
 *
 * MSI-X: a capability (id 0x11) pointing at a vector table and a pending
 * bit array (PBA) that live in a memory BAR.  msix_init_bar() gives them a
 * BAR of their own (table at 0, PBA at 0x800, as QEMU's virtio-pci does);
 * msix_notify(vector) delivers the vector's message, or sets its pending bit
 * while the vector or the whole function is masked; unmasking delivers it.
 *
 * Delivery: a message to 0xFEExxxxx goes to the local APICs
 * (lapic_deliver_msi); any other address is a DMA write of the data.
 *
 * Hooks: the device's pci_device.config_write must call msi_config_write /
 * msix_config_write (after the default handling, which pci.c has done when
 * the hook runs), and its reset must call msi_reset / msix_reset.
 * Everything runs under the VM lock.
 */
#ifndef LEMU_HW_PCI_MSI_H
#define LEMU_HW_PCI_MSI_H

#include <stdbool.h>
#include <stdint.h>

struct pci_device;
struct error;

#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_VNDR 0x09

#define MSIX_MAX_VECTORS 128 /* table in the first 2 KiB of its BAR */

struct msix {
	struct pci_device *dev;
	unsigned nvec;
	int cap; /* config space offset of the capability, 0 = none */
	int bar;
	uint8_t table[MSIX_MAX_VECTORS * 16];
	uint64_t pba[(MSIX_MAX_VECTORS + 63) / 64];
};

struct msi {
	struct pci_device *dev;
	int cap;       /* 0 = none */
	unsigned nvec; /* 1, 2, 4, 8, 16 or 32 (multiple message capable) */
	uint32_t pending;
};

/* MSI-X with `nvec` (1..128) vectors in memory BAR `bar` (4 KiB, 32-bit). */
int msix_init_bar(struct msix *m, struct pci_device *d, unsigned nvec, int bar,
                  struct error **errp);
bool msix_enabled(const struct msix *m);
/* Signal a vector (ignored when out of range or MSI-X is off). */
void msix_notify(struct msix *m, unsigned vector);
void msix_config_write(struct msix *m, uint32_t addr, uint32_t val, unsigned size);
void msix_reset(struct msix *m);

/* MSI with `nvec` vectors, 64-bit addresses and per-vector masking. */
int msi_init(struct msi *m, struct pci_device *d, unsigned nvec, struct error **errp);
bool msi_enabled(const struct msi *m);
void msi_notify(struct msi *m, unsigned vector);
void msi_config_write(struct msi *m, uint32_t addr, uint32_t val, unsigned size);
void msi_reset(struct msi *m);

#endif
