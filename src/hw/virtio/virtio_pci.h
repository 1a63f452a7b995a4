/*
 * Virtio over PCI (virtio 1.2 §4.1): the transport every virtio-*-pci
 * device class uses.  A device class embeds struct virtio_pci first and
 * its device model (with a struct virtio_device) after it:
 *
 *	struct virtio_blk_pci { struct virtio_pci vp; struct virtio_blk blk; };
 *
 * lists VIRTIO_PCI_PROPS among its properties, and calls virtio_pci_realize()
 * once the device model is initialised.  Layout, as QEMU's on a
 * conventional PCI bus:
 *   BAR0  legacy I/O registers (§4.1.4.8), when the device is transitional
 *   BAR1  MSI-X table and PBA (when vectors > 0)
 *   BAR4  64-bit memory: common config 0x0000, ISR 0x1000, device config
 *         0x2000, notifications 0x3000 (4 bytes per queue), described by
 *         vendor capabilities (§4.1.4), plus the PCI configuration access
 *         capability (§4.1.4.9).
 */
#ifndef LEMU_HW_VIRTIO_VIRTIO_PCI_H
#define LEMU_HW_VIRTIO_VIRTIO_PCI_H

#include "hw/pci/msi.h"
#include "hw/pci/pci.h"
#include "hw/virtio/virtio.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_VECTORS_DEFAULT 0xffffffffu

struct virtio_pci {
	struct pci_device pci; /* first */
	struct virtio_device *vdev;
	struct msix msix;
	/* properties */
	char *disable_legacy; /* "on", "off", "auto" (auto = off on this bus) */
	bool disable_modern;
	uint32_t vectors; /* MSI-X vectors; VIRTIO_PCI_VECTORS_DEFAULT = device's choice */
	bool ioeventfd;   /* accepted for QEMU compatibility: notifications are synchronous */
	/* state */
	bool legacy, modern;
	uint32_t dfselect, gfselect;
	uint16_t queue_sel;
	uint8_t cfg_cap; /* offset of the PCI configuration access capability */
};

#define VIRTIO_PCI_PROPS                                                                           \
	PCI_DEVICE_PROPS,                                                                          \
	        { "disable-legacy", PROP_STR, offsetof(struct virtio_pci, disable_legacy), "auto", \
		  "on/off/auto" },                                                                 \
	        { "disable-modern", PROP_BOOL, offsetof(struct virtio_pci, disable_modern), "off", \
		  "on/off" },                                                                      \
	        { "vectors", PROP_U32, offsetof(struct virtio_pci, vectors), "4294967295",         \
		  "number of MSI-X vectors (0 = INTx only)" },                                     \
	{                                                                                          \
		"ioeventfd", PROP_BOOL, offsetof(struct virtio_pci, ioeventfd), "on", "on/off"     \
	}

/* Realize the PCI side for vdev (already virtio_init'ed, queues set).
 * class_code is the 24-bit PCI class; default_vectors is used when the
 * vectors property was not given. */
int virtio_pci_realize(struct virtio_pci *vp, struct virtio_device *vdev, uint32_t class_code,
                       unsigned default_vectors, struct error **errp);
/* Machine reset: PCI header, MSI-X, and the virtio device. */
void virtio_pci_reset(struct virtio_pci *vp);
void virtio_pci_unrealize(struct virtio_pci *vp);
struct vm *virtio_pci_vm(struct virtio_device *vdev);

/* Hot-unplug of a virtio-serial-pci takes its ports along (virtio_serial.c):
 * whether device d is a port (virtconsole, virtserialport) on bus_dev's bus. */
bool virtio_serial_port_of(const struct device *d, const struct device *bus_dev);

/* Device classes come in QEMU's four spellings: NAME-pci, NAME-pci-transitional,
 * NAME-pci-non-transitional (the interface fixed; virtio_pci_realize looks at
 * the class name) and the short alias NAME, which -device help does not list
 * (bus NULL). */
#endif
