/*
 * PCI core: configuration space of every function, BAR sizing and
 * decoding, INTx with a fixed swizzle onto GSIs 16..23, and bus-master DMA.
 * See pci.h for the model; the PCI Local Bus Specification 3.0 §6.1-§6.2
 * defines the header registers and the BAR sizing protocol (software
 * writes all ones and reads back the size mask, which falls out of the
 * per-byte write masks kept here).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/memory.h"
#include "core/vm.h"
#include "hw/pci/pci.h"
#include "hw/x86/x86.h"
#include "util/error.h"

struct pci_bus {
	struct vm *vm;
	struct pci_device *devs[256]; /* by devfn */
	uint64_t mmio_base;           /* start of the window lemu assigns memory BARs from */
	int gsi_count[PCI_INTX_GSIS]; /* asserted INTx lines per GSI (wired-OR) */
	int refs;                     /* the machine + each attached device */
};

struct pci_bus *pci_bus_new(struct vm *vm, uint64_t mmio_base)
{
	struct pci_bus *bus = calloc(1, sizeof(*bus));
	if (!bus)
		return NULL;
	bus->vm = vm;
	bus->mmio_base = mmio_base;
	bus->refs = 1;
	return bus;
}

/* Devices and the machine are torn down in creation order, so the bus
 * lives until the last of them lets go. */
static void pci_bus_unref(struct pci_bus *bus)
{
	if (bus && --bus->refs == 0)
		free(bus);
}

void pci_bus_free(struct pci_bus *bus)
{
	pci_bus_unref(bus);
}

struct pci_bus *pci_root_bus(struct vm *vm)
{
	struct x86_machine *m = vm ? x86_machine_of(vm) : NULL;
	return m ? m->pci : NULL;
}

struct pci_device *pci_find_device(struct pci_bus *bus, int devfn)
{
	return devfn >= 0 && devfn < 256 ? bus->devs[devfn] : NULL;
}

int pci_slot_gsi(int slot, int pin)
{
	return PCI_INTX_GSI_BASE + ((slot + pin) & (PCI_INTX_GSIS - 1));
}

/* ---- BAR decoding --------------------------------------------------- */

static uint64_t bar_config_addr(struct pci_device *d, int i)
{
	const struct pci_bar *b = &d->bars[i];
	uint64_t v = pci_get_long(d->config + PCI_BASE_ADDRESS_0 + 4 * i);
	if (b->type & PCI_BAR_IO)
		return v & ~3ull;
	if (b->type & PCI_BAR_MEM64)
		v |= (uint64_t)pci_get_long(d->config + PCI_BASE_ADDRESS_0 + 4 * (i + 1)) << 32;
	return v & ~0xfull;
}

/* Where BAR i decodes now, or 0 when it does not (decoding off, not
 * programmed, or a sizing pattern that does not fit the address space). */
static uint64_t bar_effective_addr(struct pci_device *d, int i)
{
	const struct pci_bar *b = &d->bars[i];
	uint16_t cmd = pci_get_word(d->config + PCI_COMMAND);
	uint64_t a = bar_config_addr(d, i);
	if (b->type & PCI_BAR_IO) {
		if (!(cmd & PCI_COMMAND_IO) || !a || a + b->size > 0x10000)
			return 0;
		return a;
	}
	if (!(cmd & PCI_COMMAND_MEMORY) || !a || a + b->size < a)
		return 0;
	if (!(b->type & PCI_BAR_MEM64) && a + b->size > 0x100000000ull)
		return 0;
	/* The all-ones sizing pattern of a 64-bit BAR ends at 2^64. */
	if ((b->type & PCI_BAR_MEM64) && a + b->size == 0)
		return 0;
	return a;
}

static void bar_unmap(struct pci_device *d, int i)
{
	struct pci_bar *b = &d->bars[i];
	if (b->mr)
		mem_del(d->dev.vm, b->mr);
	if (b->pr)
		pio_del(d->dev.vm, b->pr);
	b->mr = NULL;
	b->pr = NULL;
	b->mapped_addr = 0;
}

static void pci_update_mappings(struct pci_device *d)
{
	struct vm *vm = d->dev.vm;
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &d->bars[i];
		if (!b->size)
			continue;
		uint64_t a = bar_effective_addr(d, i);
		b->addr = bar_config_addr(d, i);
		if (a == b->mapped_addr && (a == 0 || b->mr || b->pr))
			continue;
		if (a && b->mr) { /* a memory BAR moved: keep its region */
			mem_move(vm, b->mr, a);
			b->mapped_addr = a;
			continue;
		}
		bar_unmap(d, i);
		if (!a)
			continue;
		if (b->type & PCI_BAR_IO)
			b->pr = pio_add(vm, b->name, (uint16_t)a, (uint32_t)b->size, b->ops, b->opaque);
		else
			b->mr = mem_add_mmio(vm, b->name, a, b->size, b->ops, b->opaque, 1);
		if (b->mr || b->pr)
			b->mapped_addr = a;
		else
			vm_log(vm, VM_LOG_GUEST_ERRORS, "pci %s: cannot map BAR%d at 0x%llx\n", d->dev.cls->name, i,
			       (unsigned long long)a);
	}
}

uint64_t pci_bar_addr(struct pci_device *d, int idx)
{
	return idx >= 0 && idx < PCI_NUM_BARS ? d->bars[idx].mapped_addr : 0;
}

/* ---- INTx ------------------------------------------------------------ */

static void pci_update_intx(struct pci_device *d)
{
	int pin = d->config[PCI_INTERRUPT_PIN];
	bool assert = d->irq_level && pin && !(pci_get_word(d->config + PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);
	if (assert == d->intx_asserted || !d->bus || d->devfn < 0)
		return;
	d->intx_asserted = assert;
	int gsi = pci_slot_gsi(d->devfn >> 3, pin - 1);
	int *cnt = &d->bus->gsi_count[gsi - PCI_INTX_GSI_BASE];
	*cnt += assert ? 1 : -1;
	if ((assert && *cnt == 1) || (!assert && *cnt == 0))
		irq_set(&d->dev.vm->gsi[gsi], assert);
}

void pci_set_irq(struct pci_device *d, int level)
{
	level = level != 0;
	d->irq_level = level;
	if (level)
		d->config[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		d->config[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
	pci_update_intx(d);
}

/* ---- config space ------------------------------------------------------ */

uint32_t pci_default_config_read(struct pci_device *d, uint32_t addr, unsigned size)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)(addr + i < PCI_CONFIG_SIZE ? d->config[addr + i] : 0xff) << (8 * i);
	return v;
}

void pci_default_config_write(struct pci_device *d, uint32_t addr, uint32_t val, unsigned size)
{
	bool bars = false, cmd = false;
	for (unsigned i = 0; i < size && addr + i < PCI_CONFIG_SIZE; i++) {
		uint32_t o = addr + i;
		uint8_t b = (uint8_t)(val >> (8 * i));
		d->config[o] = (uint8_t)((d->config[o] & ~d->wmask[o]) | (b & d->wmask[o]));
		d->config[o] &= (uint8_t)~(b & d->w1cmask[o]);
		if (o >= PCI_BASE_ADDRESS_0 && o < PCI_BASE_ADDRESS_0 + 24)
			bars = true;
		if (o == PCI_COMMAND || o == PCI_COMMAND + 1)
			cmd = true;
	}
	if (bars || cmd)
		pci_update_mappings(d);
	if (cmd)
		pci_update_intx(d);
}

static uint32_t pci_config_read(struct pci_device *d, uint32_t addr, unsigned size)
{
	uint32_t v = pci_default_config_read(d, addr, size);
	return d->config_read ? d->config_read(d, addr, v, size) : v;
}

static void pci_config_write(struct pci_device *d, uint32_t addr, uint32_t val, unsigned size)
{
	pci_default_config_write(d, addr, val, size);
	if (d->config_write)
		d->config_write(d, addr, val, size);
}

/* CONFIG_ADDRESS (PCI 3.0 §3.2.2.3.2): enable bit 31, bus 23:16, device
 * 15:11, function 10:8, register 7:2.  Only bus 0 exists. */
static struct pci_device *cf8_device(struct pci_bus *bus, uint32_t cf8)
{
	if (!(cf8 & 0x80000000u) || ((cf8 >> 16) & 0xff))
		return NULL;
	return bus->devs[(cf8 >> 8) & 0xff];
}

uint32_t pci_host_config_read(struct pci_bus *bus, uint32_t cf8, unsigned off, unsigned size)
{
	struct pci_device *d = cf8_device(bus, cf8);
	if (!d || off + size > 4)
		return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	return pci_config_read(d, (cf8 & 0xfc) + off, size);
}

void pci_host_config_write(struct pci_bus *bus, uint32_t cf8, unsigned off, uint32_t val, unsigned size)
{
	struct pci_device *d = cf8_device(bus, cf8);
	if (d && off + size <= 4)
		pci_config_write(d, (cf8 & 0xfc) + off, val, size);
}

/* ---- devices ----------------------------------------------------------- */

static int parse_addr(const char *s, int *slot, int *fn)
{
	char *end;
	unsigned long sl = strtoul(s, &end, 16);
	unsigned long f = 0;
	if (end == s)
		return -1;
	if (*end == '.') {
		const char *p = end + 1;
		f = strtoul(p, &end, 16);
		if (end == p)
			return -1;
	}
	if (*end || sl >= PCI_SLOTS || f > 7)
		return -1;
	*slot = (int)sl;
	*fn = (int)f;
	return 0;
}

int pci_free_slot(struct pci_bus *bus)
{
	for (int slot = 0; slot < PCI_SLOTS; slot++) {
		bool free_slot = true;
		for (int fn = 0; fn < 8; fn++)
			if (bus->devs[PCI_DEVFN(slot, fn)])
				free_slot = false;
		if (free_slot)
			return slot;
	}
	return -1;
}

int pci_device_realize(struct pci_device *d, struct error **errp)
{
	struct pci_bus *bus = pci_root_bus(d->dev.vm);
	const char *name = d->dev.cls->name;
	int devfn = -1;
	if (!bus) {
		error_setg(errp, "No 'PCI' bus found for device '%s'", name);
		return -1;
	}
	if (d->addr) {
		int slot, fn;
		if (parse_addr(d->addr, &slot, &fn) < 0) {
			error_setg(errp, "Property '%s.addr' doesn't take value '%s'", name, d->addr);
			return -1;
		}
		devfn = PCI_DEVFN(slot, fn);
		if (bus->devs[devfn]) {
			const struct device *o = &bus->devs[devfn]->dev;
			error_setg(errp, "PCI: slot %d function %d not available for %s, in use by %s%s%s", slot, fn,
				   name, o->cls->name, o->id ? ",id=" : "", o->id ? o->id : "");
			return -1;
		}
	} else {
		int slot = pci_free_slot(bus);
		if (slot >= 0)
			devfn = PCI_DEVFN(slot, 0);
		if (devfn < 0) {
			error_setg(errp, "PCI: no slot/function available for %s, all in use", name);
			return -1;
		}
	}
	memset(d->config, 0, sizeof(d->config));
	memset(d->wmask, 0, sizeof(d->wmask));
	memset(d->w1cmask, 0, sizeof(d->w1cmask));
	/* Writable header bits (PCI 3.0 §6.2.2): I/O, memory, master, SERR,
	 * interrupt disable; cache line size, latency timer, interrupt line. */
	pci_set_word(d->wmask + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
						     PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	d->wmask[PCI_LATENCY_TIMER] = 0xff;
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	/* Status error bits are write-1-to-clear. */
	pci_set_word(d->w1cmask + PCI_STATUS, 0xf900);
	if (d->multifunction)
		d->config[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_MULTI;
	d->cap_next = 0x40;
	d->bus = bus;
	d->devfn = devfn;
	bus->devs[devfn] = d;
	bus->refs++;
	return 0;
}

void pci_device_unrealize(struct pci_device *d)
{
	for (int i = 0; i < PCI_NUM_BARS; i++)
		bar_unmap(d, i);
	/* No interrupt update here: at VM teardown the interrupt controllers
	 * may be gone already. */
	if (d->bus && d->devfn >= 0) {
		d->bus->devs[d->devfn] = NULL;
		pci_bus_unref(d->bus);
	}
	d->bus = NULL;
	d->devfn = -1;
}

void pci_set_ids(struct pci_device *d, uint16_t vendor, uint16_t device, uint8_t rev, uint32_t class_code)
{
	pci_set_word(d->config + PCI_VENDOR_ID, vendor);
	pci_set_word(d->config + PCI_DEVICE_ID, device);
	d->config[PCI_REVISION_ID] = rev;
	d->config[PCI_CLASS_PROG] = (uint8_t)class_code;
	pci_set_word(d->config + PCI_CLASS_DEVICE, (uint16_t)(class_code >> 8));
}

void pci_set_subsystem(struct pci_device *d, uint16_t vendor, uint16_t id)
{
	pci_set_word(d->config + PCI_SUBSYSTEM_VENDOR_ID, vendor);
	pci_set_word(d->config + PCI_SUBSYSTEM_ID, id);
}

void pci_set_intx_pin(struct pci_device *d, int pin)
{
	d->config[PCI_INTERRUPT_PIN] = (uint8_t)pin;
	/* Interrupt line: the GSI, for the guest's information (firmware writes
	 * the routed IRQ there on real boards). */
	d->config[PCI_INTERRUPT_LINE] = pin ? (uint8_t)pci_slot_gsi(d->devfn >> 3, pin - 1) : 0;
}

/* Does [a, a+size) overlap a BAR of the same kind (I/O or memory) that a
 * device on the bus has been given by lemu or that the guest has mapped?
 * Returns the end of the first such BAR, or 0. */
static uint64_t bar_conflict(struct pci_bus *bus, bool io, uint64_t a, uint64_t size)
{
	for (int devfn = 0; devfn < 256; devfn++) {
		struct pci_device *o = bus->devs[devfn];
		for (int i = 0; o && i < PCI_NUM_BARS; i++) {
			const struct pci_bar *b = &o->bars[i];
			if (!b->size || !(b->type & PCI_BAR_IO) != !io)
				continue;
			if (a < b->assigned + b->size && b->assigned < a + size)
				return b->assigned + b->size;
			if (b->mapped_addr && a < b->mapped_addr + b->size && b->mapped_addr < a + size)
				return b->mapped_addr + b->size;
		}
	}
	return 0;
}

/* First fit in lemu's window for the kind: devices come and go (device_add,
 * device_del), so the lowest free range is reused rather than bumping a
 * pointer through the window.  0 when nothing fits. */
static uint64_t bar_alloc(struct pci_bus *bus, bool io, uint64_t size, uint64_t align)
{
	uint64_t start = io ? PCI_IO_ALLOC_BASE : bus->mmio_base;
	uint64_t end = io ? PCI_IO_ALLOC_END : PCI_MMIO_ALLOC_END;
	uint64_t a = (start + align - 1) & ~(align - 1);
	for (;;) {
		if (a < start || a + size > end || a + size < a)
			return 0;
		uint64_t next = bar_conflict(bus, io, a, size);
		if (!next)
			return a;
		a = (next + align - 1) & ~(align - 1);
	}
}

int pci_register_bar(struct pci_device *d, int idx, uint8_t type, uint64_t size, const struct io_ops *ops,
		     void *opaque, struct error **errp)
{
	struct pci_bus *bus = d->bus;
	const char *name = d->dev.cls->name;
	bool io = type & PCI_BAR_IO, m64 = !io && (type & PCI_BAR_MEM64);
	if (!bus || idx < 0 || idx >= PCI_NUM_BARS || (m64 && idx == PCI_NUM_BARS - 1) || d->bars[idx].size ||
	    size < (io ? 4u : 16u) || (size & (size - 1)) || (io && size > 256)) {
		error_setg(errp, "%s: invalid BAR%d (type 0x%x, size 0x%llx)", name, idx, type,
			   (unsigned long long)size);
		return -1;
	}
	/* Natural alignment; memory BARs at least a page so that the soft TLB
	 * never shares a page between a BAR and something else. */
	uint64_t align = io ? size : (size < 4096 ? 4096 : size);
	uint64_t addr = bar_alloc(bus, io, size, align);
	if (!addr) {
		if (io)
			error_setg(errp, "%s: no PCI I/O space left for BAR%d (%llu bytes)", name, idx,
				   (unsigned long long)size);
		else
			error_setg(errp, "%s: no PCI memory space left below 4 GiB for BAR%d (%llu bytes)", name,
				   idx, (unsigned long long)size);
		return -1;
	}
	struct pci_bar *b = &d->bars[idx];
	b->size = size;
	b->type = io ? PCI_BAR_IO : (uint8_t)(type & (PCI_BAR_MEM64 | PCI_BAR_PREFETCH));
	b->ops = ops;
	b->opaque = opaque;
	b->assigned = addr;
	snprintf(b->name, sizeof(b->name), "%s-bar%d", name, idx);
	uint8_t *cfg = d->config + PCI_BASE_ADDRESS_0 + 4 * idx;
	uint8_t *wm = d->wmask + PCI_BASE_ADDRESS_0 + 4 * idx;
	uint64_t mask = ~(size - 1);
	pci_set_long(cfg, (uint32_t)addr | b->type);
	pci_set_long(wm, (uint32_t)mask & (io ? ~3u : ~0xfu));
	if (m64) {
		pci_set_long(cfg + 4, (uint32_t)(addr >> 32));
		pci_set_long(wm + 4, (uint32_t)(mask >> 32));
	}
	uint16_t cmd = pci_get_word(d->config + PCI_COMMAND);
	pci_set_word(d->config + PCI_COMMAND, cmd | (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY));
	pci_update_mappings(d);
	return 0;
}

int pci_add_capability(struct pci_device *d, uint8_t cap_id, uint8_t size)
{
	unsigned off = (d->cap_next + 3u) & ~3u;
	if (size < 2 || off + size > PCI_CONFIG_SIZE)
		return -1;
	/* Link it at the end of the list (PCI 3.0 §6.7). */
	uint8_t *link = d->config + PCI_CAPABILITY_LIST;
	while (*link)
		link = d->config + *link + 1;
	*link = (uint8_t)off;
	d->config[off] = cap_id;
	d->config[off + 1] = 0;
	d->config[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	d->cap_next = (uint8_t)(off + size < 256 ? off + size : 255);
	return (int)off;
}

int pci_dma_read(struct pci_device *d, uint64_t addr, void *buf, size_t len)
{
	if (!(pci_get_word(d->config + PCI_COMMAND) & PCI_COMMAND_MASTER)) {
		vm_log(d->dev.vm, VM_LOG_GUEST_ERRORS, "pci %s: DMA read with bus mastering disabled\n",
		       d->dev.cls->name);
		memset(buf, 0xff, len);
		return -EIO;
	}
	return phys_read(d->dev.vm, addr, buf, len) < 0 ? -EIO : 0;
}

int pci_dma_write(struct pci_device *d, uint64_t addr, const void *buf, size_t len)
{
	if (!(pci_get_word(d->config + PCI_COMMAND) & PCI_COMMAND_MASTER)) {
		vm_log(d->dev.vm, VM_LOG_GUEST_ERRORS, "pci %s: DMA write with bus mastering disabled\n",
		       d->dev.cls->name);
		return -EIO;
	}
	return phys_write(d->dev.vm, addr, buf, len) < 0 ? -EIO : 0;
}

void pci_device_reset(struct pci_device *d)
{
	uint16_t cmd = 0;
	pci_set_irq(d, 0);
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &d->bars[i];
		if (!b->size)
			continue;
		uint8_t *cfg = d->config + PCI_BASE_ADDRESS_0 + 4 * i;
		pci_set_long(cfg, (uint32_t)b->assigned | b->type);
		if (b->type & PCI_BAR_MEM64)
			pci_set_long(cfg + 4, (uint32_t)(b->assigned >> 32));
		cmd |= (b->type & PCI_BAR_IO) ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
	}
	/* As after lemu's "firmware" pass: decoding on, bus mastering off. */
	pci_set_word(d->config + PCI_COMMAND, cmd);
	pci_set_word(d->config + PCI_STATUS, pci_get_word(d->config + PCI_STATUS) & PCI_STATUS_CAP_LIST);
	if (d->config[PCI_INTERRUPT_PIN])
		pci_set_intx_pin(d, d->config[PCI_INTERRUPT_PIN]);
	d->config[PCI_CACHE_LINE_SIZE] = 0;
	d->config[PCI_LATENCY_TIMER] = 0;
	pci_update_mappings(d);
	pci_update_intx(d);
}

void pci_device_hotplug_init(struct pci_device *d)
{
	uint16_t cmd = pci_get_word(d->config + PCI_COMMAND);
	cmd &= (uint16_t)~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	pci_set_word(d->config + PCI_COMMAND, cmd);
	pci_update_mappings(d);
}

void pci_device_unplug_prepare(struct pci_device *d)
{
	pci_set_irq(d, 0);
}
