/*
 * ACPI PCI hot-plug (see acpi_hotplug.h for the register block; the
 * interface is the one QEMU documents in docs/specs/acpi_pci_hotplug.rst,
 * so guests and tools that know QEMU's pc machine see the same thing).
 *
 * Removal happens in two steps.  The guest's eject (a B0EJ write, on a
 * vCPU thread with the VM lock held) takes the device off the bus and
 * unrealizes it at once: the guest sees an empty slot, the device's
 * backends (drive, netdev) are free again.  Its memory is freed, and
 * DEVICE_DELETED sent, from a bottom half: bottom halves run in the order
 * they were scheduled, so any a device scheduled for itself (a virtio-blk
 * completion, a virtio-net transmit) has run by then.
 */
#include "hw/x86/acpi_hotplug.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/device.h"
#include "core/memory.h"
#include "core/vm.h"
#include "hw/pci/pci.h"
#include "hw/virtio/virtio_pci.h"
#include "hw/x86/acpi.h"
#include "hw/x86/piix_pm.h"
#include "hw/x86/x86.h"
#include "monitor/monitor_int.h"
#include "util/error.h"

#define REG_PCIU 0x00
#define REG_PCID 0x04
#define REG_B0EJ 0x08
#define REG_PCRM 0x0c
#define REG_BNUM 0x10

/* Slots 0 and 1 hold the host bridge and the PIIX: never hot-pluggable. */
#define FIRST_HP_SLOT 2

/* QEMU's device_del accepts a new request for the same device once guest
 * time has advanced past the first (a guest that was not listening yet
 * cleared the GPE); while the VM is stopped the clock stands still and a
 * repeated request is refused. */
#define UNPLUG_RETRY_NS 1000000

struct pcihp_dead {
	struct device *dev;
	struct pcihp_dead *next;
	char *id;        /* NULL for a device without an id */
	char path[200];
	bool virtio;     /* QEMU also reports the proxy's virtio-backend child */
};

struct acpi_pcihp *acpi_pcihp_of(struct vm *vm)
{
	struct x86_machine *m = vm ? x86_machine_of(vm) : NULL;
	return m && m->pci && m->pm ? &m->pm->hp : NULL;
}

bool acpi_pcihp_device_ok(const struct pci_device *d)
{
	/* User-creatable (the virtio proxies, also under their alias names
	 * that -device help does not list) and really a function on the bus. */
	return d->dev.cls->user_creatable && d->bus && d->devfn >= FIRST_HP_SLOT * 8 &&
	       pci_find_device(d->bus, d->devfn) == d;
}

static struct pci_bus *hp_bus(struct acpi_pcihp *hp)
{
	return pci_root_bus(hp->vm);
}

/* Slots whose functions are all hot-pluggable (or empty). */
static uint32_t removable_slots(struct acpi_pcihp *hp)
{
	struct pci_bus *bus = hp_bus(hp);
	uint32_t m = 0;
	for (int slot = FIRST_HP_SLOT; bus && slot < PCI_SLOTS; slot++) {
		bool ok = true;
		for (int fn = 0; fn < 8; fn++) {
			struct pci_device *d = pci_find_device(bus, PCI_DEVFN(slot, fn));
			if (d && !acpi_pcihp_device_ok(d))
				ok = false;
		}
		if (ok)
			m |= 1u << slot;
	}
	return m;
}

/* ---- removal --------------------------------------------------------- */

static void hp_reap(void *opaque)
{
	struct acpi_pcihp *hp = opaque;
	struct pcihp_dead *l = hp->dead;
	hp->dead = NULL;
	hp->bh_pending = false;
	while (l) {
		struct pcihp_dead *n = l->next;
		if (l->virtio) {
			char p[232];
			snprintf(p, sizeof(p), "%s/virtio-backend", l->path);
			monitor_event(hp->vm, "DEVICE_DELETED", json_pack("{s:s}", "path", p));
		}
		if (l->id)
			monitor_event(hp->vm, "DEVICE_DELETED",
			              json_pack("{s:s,s:s}", "device", l->id, "path", l->path));
		else
			monitor_event(hp->vm, "DEVICE_DELETED", json_pack("{s:s}", "path", l->path));
		device_free(l->dev);
		free(l->id);
		free(l);
		l = n;
	}
}

/* Take one device out (unrealized now, freed by hp_reap). */
static void hp_remove_dev(struct acpi_pcihp *hp, struct device *d)
{
	struct pcihp_dead *e = calloc(1, sizeof(*e));
	if (!e) {
		vm_log(hp->vm, VM_LOG_GUEST_ERRORS, "acpi-pci-hotplug: out of memory ejecting %s\n",
		       d->cls->name);
		return;
	}
	e->dev = d;
	mon_device_path(hp->vm, d, e->path, sizeof(e->path));
	e->id = d->id ? strdup(d->id) : NULL;
	e->virtio = !strncmp(d->cls->name, "virtio-", 7);
	device_unplug(d);
	/* Append: events in the order the devices went. */
	struct pcihp_dead **pp = &hp->dead;
	while (*pp)
		pp = &(*pp)->next;
	*pp = e;
	if (!hp->bh_pending) {
		hp->bh_pending = true;
		loop_schedule(hp->vm, hp_reap, hp);
	}
}

/* A PCI function and what hangs off it: the ports of a virtio-serial bus
 * go first, as QEMU unrealizes a bus's children with it. */
static void hp_remove(struct acpi_pcihp *hp, struct pci_device *d)
{
	struct device *x = hp->vm->devices;
	while (x) {
		struct device *next = x->next;
		if (virtio_serial_port_of(x, &d->dev))
			hp_remove_dev(hp, x);
		x = next;
	}
	pci_device_unplug_prepare(d);
	hp_remove_dev(hp, &d->dev);
}

/* B0EJ: the guest's _EJ0 names a slot by its bit.  Only the lowest bit set
 * counts (one slot per write, as QEMU's implementation of the interface
 * does); functions that cannot be unplugged stay; an empty slot is
 * nothing to do. */
static void hp_eject(struct acpi_pcihp *hp, uint32_t slots)
{
	struct pci_bus *bus = hp_bus(hp);
	if (!slots || !bus)
		return;
	int slot = __builtin_ctz(slots);
	hp->down &= ~(1u << slot);
	hp->up &= ~(1u << slot);
	for (int fn = 0; fn < 8; fn++) {
		struct pci_device *d = pci_find_device(bus, PCI_DEVFN(slot, fn));
		if (d && acpi_pcihp_device_ok(d))
			hp_remove(hp, d);
		else if (d)
			vm_log(hp->vm, VM_LOG_GUEST_ERRORS,
			       "acpi-pci-hotplug: eject of slot %d: %s cannot be unplugged\n", slot,
			       d->dev.cls->name);
	}
}

/* ---- registers ---------------------------------------------------------- */

static uint32_t reg_read(struct acpi_pcihp *hp, uint64_t reg)
{
	uint32_t v = 0;
	if (reg == REG_BNUM)
		return hp->bsel;
	if (hp->bsel != 0) /* no such bus: nothing pending, nothing removable */
		return 0;
	switch (reg) {
	case REG_PCIU:
		/* Reported once: the GPE handler reads it, then notifies. */
		v = hp->up;
		hp->up = 0;
		break;
	case REG_PCID:
		v = hp->down; /* until the eject */
		break;
	case REG_B0EJ:
		v = 0; /* hotplug feature set: the base set */
		break;
	case REG_PCRM:
		v = removable_slots(hp);
		break;
	}
	return v;
}

/* The registers are dwords; narrower accesses (a guest using /dev/port
 * moves bytes) read their part and write their part: a byte written to
 * B0EJ+1 ejects slots 8-15. */
uint64_t acpi_pcihp_read(void *opaque, uint64_t off, unsigned size)
{
	struct acpi_pcihp *hp = opaque;
	unsigned shift = 8 * (unsigned)(off & 3);
	uint64_t v = reg_read(hp, off & ~3ull) >> shift;
	return size >= 4 ? v : v & ((1ull << (8 * size)) - 1);
}

void acpi_pcihp_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct acpi_pcihp *hp = opaque;
	unsigned shift = 8 * (unsigned)(off & 3);
	uint32_t mask = (uint32_t)((size >= 4 ? 0xffffffffull : (1ull << (8 * size)) - 1) << shift);
	uint32_t v = (uint32_t)(val << shift) & mask;
	switch (off & ~3ull) {
	case REG_BNUM:
		hp->bsel = (hp->bsel & ~mask) | v;
		break;
	case REG_B0EJ:
		if (hp->bsel == 0)
			hp_eject(hp, v);
		else
			vm_log(hp->vm, VM_LOG_GUEST_ERRORS,
			       "acpi-pci-hotplug: eject 0x%x on bus %u, which does not exist\n", (unsigned)v,
			       (unsigned)hp->bsel);
		break;
	default:
		vm_log(hp->vm, VM_LOG_GUEST_ERRORS, "acpi-pci-hotplug: write 0x%x to read-only register 0x%x\n",
		       (unsigned)val, (unsigned)off);
		break;
	}
}

static const struct io_ops pcihp_ops = {
	.read = acpi_pcihp_read,
	.write = acpi_pcihp_write,
	.min_size = 1,
	.max_size = 4,
};

int acpi_pcihp_init(struct acpi_pcihp *hp, struct vm *vm, struct acpi_pm *pm)
{
	memset(hp, 0, sizeof(*hp));
	hp->vm = vm;
	hp->pm = pm;
	hp->io = pio_add(vm, "acpi-pci-hotplug", ACPI_PCIHP_BASE, ACPI_PCIHP_LEN, &pcihp_ops, hp);
	return hp->io ? 0 : -1;
}

void acpi_pcihp_reset(struct acpi_pcihp *hp)
{
	hp->up = hp->down = 0;
	hp->bsel = 0;
}

void acpi_pcihp_fini(struct acpi_pcihp *hp)
{
	if (hp->io)
		pio_del(hp->vm, hp->io);
	hp->io = NULL;
	/* Ejected devices whose bottom half never ran (the VM is going). */
	while (hp->dead) {
		struct pcihp_dead *n = hp->dead->next;
		device_free(hp->dead->dev);
		free(hp->dead->id);
		free(hp->dead);
		hp->dead = n;
	}
}

/* ---- monitor side ------------------------------------------------------ */

void acpi_pcihp_plug(struct acpi_pcihp *hp, struct pci_device *d)
{
	uint32_t bit = 1u << (d->devfn >> 3);
	/* Before the first instruction (-S) the device is as good as
	 * cold-plugged: it keeps lemu's "firmware" BAR assignment. */
	if (hp->vm->run_state != RUN_STATE_PRELAUNCH)
		pci_device_hotplug_init(d);
	hp->up |= bit;
	hp->down &= ~bit;
	acpi_pm_gpe_raise(hp->pm, ACPI_PCIHP_GPE);
}

int acpi_pcihp_unplug_request(struct acpi_pcihp *hp, struct pci_device *d, struct error **errp)
{
	int64_t now = vm_clock_ns(hp->vm);
	if (d->unplug_pending && now - d->unplug_requested_ns < UNPLUG_RETRY_NS) {
		error_setg(errp, "Device %s is already in the process of unplug",
		           d->dev.id ? d->dev.id : d->dev.cls->name);
		return -1;
	}
	d->unplug_pending = true;
	d->unplug_requested_ns = now;
	hp->down |= 1u << (d->devfn >> 3);
	acpi_pm_gpe_raise(hp->pm, ACPI_PCIHP_GPE);
	return 0;
}

/* ---- AML (ACPI 6.4 §20.2) ----------------------------------------------- */

#define AML_STORE 0x70
#define AML_SHIFTLEFT 0x79
#define AML_AND 0x7b
#define AML_NOTIFY 0x86
#define AML_IF 0xa0
#define AML_LOCAL0 0x60
#define AML_LOCAL1 0x61
#define AML_ARG0 0x68
#define AML_FIELD 0x5b81

static void slot_name(char out[5], int slot)
{
	/* S + devfn in hex, as QEMU names its slot objects (S10 = slot 2). */
	snprintf(out, 5, "S%02X", (unsigned)(slot << 3) & 0xff);
}

void acpi_pcihp_build_pci0(struct aml *pci0)
{
	static const char *const fields[] = { "PCIU", "PCID", "B0EJ", "PCRM", "BNUM" };
	struct aml f = AML_INIT, m = AML_INIT;
	/* OperationRegion(PCST, SystemIO, 0xae00, 0x14) (§19.6.100) */
	aml_byte(pci0, 0x5b);
	aml_byte(pci0, 0x80);
	aml_namestring(pci0, "PCST");
	aml_byte(pci0, 0x01); /* SystemIO */
	aml_integer(pci0, ACPI_PCIHP_BASE);
	aml_integer(pci0, ACPI_PCIHP_LEN);
	/* Field(PCST, DWordAcc, NoLock, WriteAsZeros) { 32-bit registers }
	 * FieldFlags: access type 3 (DWord), update rule 2 (WriteAsZeros). */
	aml_namestring(&f, "PCST");
	aml_byte(&f, 0x03 | 2 << 5);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		aml_namestring(&f, fields[i]);
		aml_byte(&f, 32); /* field length in bits, a one-byte PkgLength */
	}
	aml_pkg(pci0, AML_FIELD, &f);

	/* Method(PCEJ, 1) { BNUM = 0; B0EJ = 1 << Arg0 } */
	aml_byte(&m, AML_STORE);
	aml_integer(&m, 0);
	aml_namestring(&m, "BNUM");
	aml_byte(&m, AML_STORE);
	aml_byte(&m, AML_SHIFTLEFT);
	aml_integer(&m, 1);
	aml_byte(&m, AML_ARG0);
	aml_byte(&m, 0x00); /* no target */
	aml_namestring(&m, "B0EJ");
	aml_method(pci0, "PCEJ", 1, &m);

	/* Method(PCNT) { BNUM = 0; Local0 = PCIU; Local1 = PCID;
	 *   If (Local0 & bit) { Notify(Sxx, 1) }  device check
	 *   If (Local1 & bit) { Notify(Sxx, 3) }  eject request } */
	aml_byte(&m, AML_STORE);
	aml_integer(&m, 0);
	aml_namestring(&m, "BNUM");
	aml_byte(&m, AML_STORE);
	aml_namestring(&m, "PCIU");
	aml_byte(&m, AML_LOCAL0);
	aml_byte(&m, AML_STORE);
	aml_namestring(&m, "PCID");
	aml_byte(&m, AML_LOCAL1);
	for (int slot = FIRST_HP_SLOT; slot < PCI_SLOTS; slot++) {
		char name[5];
		slot_name(name, slot);
		for (int k = 0; k < 2; k++) {
			struct aml body = AML_INIT;
			aml_byte(&body, AML_AND);
			aml_byte(&body, k ? AML_LOCAL1 : AML_LOCAL0);
			aml_integer(&body, 1ull << slot);
			aml_byte(&body, 0x00);
			aml_byte(&body, AML_NOTIFY);
			aml_namestring(&body, name);
			aml_integer(&body, k ? 3 : 1);
			aml_pkg(&m, AML_IF, &body);
		}
	}
	aml_method(pci0, "PCNT", 0, &m);

	/* Device(Sxx) { _ADR, _SUN, Method(_EJ0, 1) { PCEJ(_SUN) } } for
	 * every slot a device may be plugged into (ACPI 6.4 §6.1.1, §6.1.12,
	 * §6.3.3): Linux's acpiphp makes a hotplug slot of each. */
	for (int slot = FIRST_HP_SLOT; slot < PCI_SLOTS; slot++) {
		char name[5];
		struct aml dev = AML_INIT, ej = AML_INIT;
		slot_name(name, slot);
		aml_namestring(&dev, name);
		aml_name_int(&dev, "_ADR", (uint64_t)slot << 16);
		aml_name_int(&dev, "_SUN", (uint64_t)slot);
		aml_namestring(&ej, "PCEJ");
		aml_namestring(&ej, "_SUN");
		aml_method(&dev, "_EJ0", 1, &ej);
		aml_pkg(pci0, AML_DEVICE, &dev);
	}
}

void acpi_pcihp_build_gpe(struct aml *dsdt)
{
	/* Scope(\_GPE) { Method(_E01) { \_SB.PCI0.PCNT() } } (§5.6.4.1.1):
	 * GPE0 bit 1, edge: the OS clears the status and runs the method. */
	struct aml scope = AML_INIT, m = AML_INIT;
	char e[5];
	snprintf(e, sizeof(e), "_E%02X", ACPI_PCIHP_GPE);
	aml_namestring(&scope, "\\_GPE");
	aml_namestring(&m, "\\_SB.PCI0.PCNT");
	aml_method(&scope, e, 0, &m);
	aml_pkg(dsdt, AML_SCOPE, &scope);
}
