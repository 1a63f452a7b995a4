/*
 * PCI core (PCI Local Bus Spec 3.0 ch. 6): one root bus of 32 slots x 8
 * functions, configuration mechanism #1 (0xcf8/0xcfc), type 0 headers with
 * BAR sizing, capabilities list and INTx.  lemu assigns every BAR itself
 * when a device is realized and enables decoding, as kvmtool and
 * Firecracker do, so a guest without firmware uses the devices as they
 * are (Linux keeps assignments that fit its host bridge windows, which the
 * ACPI _CRS of the root bridge describes).
 *
 * A PCI device class embeds struct pci_device first and lists
 * PCI_DEVICE_PROPS among its properties; its realize calls
 * pci_device_realize() first, then fills IDs and registers its BARs.
 *
 * INTx routing: the swizzle below is fixed; the ACPI _PRT of the pc machine
 * describes it.  Pin p (0 = INTA) of slot s drives GSI
 * PCI_INTX_GSI_BASE + ((s + p) & 7), i.e. IOAPIC inputs 16..23, level
 * triggered and active high, shared by wired-OR.
 */
#ifndef LEMU_HW_PCI_PCI_H
#define LEMU_HW_PCI_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/device.h"

struct vm;
struct error;
struct io_ops;
struct mem_region;
struct pio_region;

/* Standard header offsets (PCI 3.0 §6.1). */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CLASS_DEVICE 0x0a
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_LATENCY_TIMER 0x0d
#define PCI_HEADER_TYPE 0x0e
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_ROM_ADDRESS 0x30
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d

#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_SERR 0x100
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS_INTERRUPT 0x08
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_HEADER_TYPE_MULTI 0x80

#define PCI_BAR_IO 0x1
#define PCI_BAR_MEM64 0x4
#define PCI_BAR_PREFETCH 0x8

#define PCI_CONFIG_SIZE 256
#define PCI_NUM_BARS 6
#define PCI_SLOTS 32
#define PCI_DEVFN(slot, fn) ((uint8_t)(((slot) << 3) | (fn)))
#define PCI_INTX_GSI_BASE 16
#define PCI_INTX_GSIS 8

/* Where lemu puts BARs (the pc machine's _CRS windows contain them). */
#define PCI_IO_ALLOC_BASE 0xc000u
#define PCI_IO_ALLOC_END 0x10000u
#define PCI_MMIO_ALLOC_END 0xfec00000ull

struct pci_bus;
struct pci_device;

struct pci_bar {
	uint64_t size;          /* 0: unused */
	uint8_t type;           /* PCI_BAR_* bits of the low dword */
	uint64_t addr;          /* as currently programmed */
	const struct io_ops *ops;
	void *opaque;
	struct mem_region *mr;  /* mapped memory BAR, or NULL */
	struct pio_region *pr;  /* mapped I/O BAR, or NULL */
	uint64_t mapped_addr;
	uint64_t assigned;       /* lemu's assignment (restored on reset) */
	char name[40];
};

struct pci_device {
	struct device dev; /* first */
	struct pci_bus *bus;
	char *addr;           /* property "addr": "slot[.fn]" or NULL for the first free slot */
	bool multifunction;   /* property "multifunction" */
	int devfn;            /* -1 until placed */
	uint8_t config[PCI_CONFIG_SIZE];
	uint8_t wmask[PCI_CONFIG_SIZE];   /* writable bits */
	uint8_t w1cmask[PCI_CONFIG_SIZE]; /* write-1-to-clear bits */
	struct pci_bar bars[PCI_NUM_BARS];
	uint8_t cap_next;     /* next free byte for capabilities */
	int irq_level;        /* INTx as the device drives it */
	bool intx_asserted;   /* what the bus sees (after INTX_DISABLE) */
	/* Optional hooks for device registers; the default handling has been
	 * done already (write) / is offered as *val (read). */
	void (*config_write)(struct pci_device *d, uint32_t addr, uint32_t val, unsigned size);
	uint32_t (*config_read)(struct pci_device *d, uint32_t addr, uint32_t val, unsigned size);
	/* Hot-plug (hw/x86/acpi_hotplug.c): a device_del is waiting for the
	 * guest's eject since vm_clock unplug_requested_ns. */
	bool unplug_pending;
	int64_t unplug_requested_ns;
};

/* The "addr" and "multifunction" properties every PCI device class has. */
#define PCI_DEVICE_PROPS                                                                             \
	{ "addr", PROP_STR, offsetof(struct pci_device, addr), NULL, "Slot and optional function number, example: 06.0" }, \
	{ "multifunction", PROP_BOOL, offsetof(struct pci_device, multifunction), "off", "on/off" }

/* Bus */
struct pci_bus *pci_bus_new(struct vm *vm, uint64_t mmio_base);
void pci_bus_free(struct pci_bus *bus);
/* The root bus of the machine (NULL if it has none, e.g. microvm). */
struct pci_bus *pci_root_bus(struct vm *vm);
/* Config mechanism #1 register pair as an I/O region at 0xcf8 (len 8);
 * `rcr` is called for byte writes to 0xcf9 (the PIIX reset control
 * register lives there). */
uint32_t pci_host_config_read(struct pci_bus *bus, uint32_t cf8, unsigned off, unsigned size);
void pci_host_config_write(struct pci_bus *bus, uint32_t cf8, unsigned off, uint32_t val, unsigned size);
struct pci_device *pci_find_device(struct pci_bus *bus, int devfn);
/* GSI of (slot, pin) under the fixed swizzle above; pin 0 = INTA. */
int pci_slot_gsi(int slot, int pin);

/* Device helpers for realize.  pci_device_realize places the device
 * ("addr" or the first free slot) and zeroes its header. */
int pci_device_realize(struct pci_device *d, struct error **errp);
void pci_device_unrealize(struct pci_device *d);
void pci_set_ids(struct pci_device *d, uint16_t vendor, uint16_t device, uint8_t rev, uint32_t class_code);
void pci_set_subsystem(struct pci_device *d, uint16_t vendor, uint16_t id);
/* INTx pin 1..4 (INTA..INTD), or 0 for none. */
void pci_set_intx_pin(struct pci_device *d, int pin);
/* Register BAR `idx` of `size` bytes (a power of two, >= 16 for memory,
 * >= 4 for I/O); type is 0 (32-bit memory), PCI_BAR_IO, PCI_BAR_MEM64
 * (takes idx and idx+1) and/or PCI_BAR_PREFETCH.  lemu assigns an address
 * and maps it; the device's ops see offsets from the BAR start. */
int pci_register_bar(struct pci_device *d, int idx, uint8_t type, uint64_t size, const struct io_ops *ops,
		     void *opaque, struct error **errp);
/* Current guest address of a BAR (0 if unmapped). */
uint64_t pci_bar_addr(struct pci_device *d, int idx);
/* Add a capability of `size` bytes with id `cap_id`; returns its offset in
 * config space (the caller fills bytes 2.. and sets wmask), or -1. */
int pci_add_capability(struct pci_device *d, uint8_t cap_id, uint8_t size);
/* Drive INTx (level).  Honours COMMAND.INTX_DISABLE and sets STATUS.INTERRUPT. */
void pci_set_irq(struct pci_device *d, int level);
/* Bus-master DMA: 0, or -EIO when bus mastering is off or the range is
 * not (all) guest memory. */
int pci_dma_read(struct pci_device *d, uint64_t addr, void *buf, size_t len);
int pci_dma_write(struct pci_device *d, uint64_t addr, const void *buf, size_t len);
/* Default config space access (for hooks that want to chain). */
uint32_t pci_default_config_read(struct pci_device *d, uint32_t addr, unsigned size);
void pci_default_config_write(struct pci_device *d, uint32_t addr, uint32_t val, unsigned size);
/* Reset the standard header state of a device (command, status, BARs
 * back to lemu's assignment). */
void pci_device_reset(struct pci_device *d);
/* Hot-plug.  A function that device_add created under a running guest
 * starts with decoding off, as a freshly inserted card does: the guest's
 * hotplug driver assigns its BARs from the host bridge windows (lemu's own
 * assignment, kept for the next reset, overlaps nothing).  Before a
 * hot-unplugged device is unrealized, its INTx line is dropped (the
 * interrupt controllers live on, unlike at VM teardown). */
void pci_device_hotplug_init(struct pci_device *d);
void pci_device_unplug_prepare(struct pci_device *d);
/* The lowest slot with no function in use, or -1. */
int pci_free_slot(struct pci_bus *bus);

static inline void pci_set_byte(uint8_t *p, uint8_t v) { p[0] = v; }
static inline void pci_set_word(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void pci_set_long(uint8_t *p, uint32_t v)
{
	pci_set_word(p, (uint16_t)v);
	pci_set_word(p + 2, (uint16_t)(v >> 16));
}
static inline uint16_t pci_get_word(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t pci_get_long(const uint8_t *p) { return pci_get_word(p) | (uint32_t)pci_get_word(p + 2) << 16; }

#endif
