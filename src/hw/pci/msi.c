/*
 * MSI and MSI-X (PCI Local Bus Specification 3.0 §6.8); see msi.h.
 */
#include <errno.h>
#include <string.h>

#include "core/memory.h"
#include "core/vm.h"
#include "hw/intc/lapic.h"
#include "hw/pci/msi.h"
#include "hw/pci/pci.h"
#include "util/error.h"

/* MSI-X capability registers (§6.8.2). */
#define MSIX_CTRL 2
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_CTRL_MASKALL 0x4000
#define MSIX_TABLE 4
#define MSIX_PBA 8
#define MSIX_CAP_SIZE 12
#define MSIX_PBA_OFFSET 0x800
#define MSIX_BAR_SIZE 0x1000
#define MSIX_ENTRY_MASKED 1

/* MSI capability, 64-bit with per-vector masking (§6.8.1). */
#define MSI_CTRL 2
#define MSI_CTRL_ENABLE 0x0001
#define MSI_CTRL_MMC_SHIFT 1 /* multiple message capable */
#define MSI_CTRL_MME_SHIFT 4 /* multiple message enable */
#define MSI_CTRL_64 0x0080
#define MSI_CTRL_PVM 0x0100
#define MSI_ADDR_LO 4
#define MSI_ADDR_HI 8
#define MSI_DATA 12
#define MSI_MASK 16
#define MSI_PENDING 20
#define MSI_CAP_SIZE 24

static void msg_send(struct pci_device *d, uint64_t addr, uint32_t data)
{
	struct vm *vm = d->dev.vm;
	/* Interrupt messages are memory writes; the ones to the APIC window
	 * are claimed by the local APICs (SDM 10.11.1). */
	if ((addr & 0xfff00000ull) == 0xfee00000ull)
		lapic_deliver_msi(vm, addr, data);
	else if (pci_dma_write(d, addr, &data, 4) < 0)
		vm_log(vm, VM_LOG_GUEST_ERRORS, "pci %s: MSI write to 0x%llx failed\n",
		       d->dev.cls->name, (unsigned long long)addr);
}

/* ---- MSI-X ---------------------------------------------------------- */

static uint16_t msix_ctrl(const struct msix *m)
{
	return pci_get_word(m->dev->config + m->cap + MSIX_CTRL);
}

bool msix_enabled(const struct msix *m)
{
	return m->cap && (msix_ctrl(m) & MSIX_CTRL_ENABLE);
}

static bool msix_masked(const struct msix *m, unsigned v)
{
	return (msix_ctrl(m) & MSIX_CTRL_MASKALL) ||
	       (pci_get_long(m->table + 16 * v + 12) & MSIX_ENTRY_MASKED);
}

static void msix_send(struct msix *m, unsigned v)
{
	const uint8_t *e = m->table + 16 * v;
	uint64_t addr = pci_get_long(e) | (uint64_t)pci_get_long(e + 4) << 32;
	msg_send(m->dev, addr, pci_get_long(e + 8));
}

void msix_notify(struct msix *m, unsigned vector)
{
	if (!msix_enabled(m) || vector >= m->nvec)
		return;
	if (msix_masked(m, vector)) {
		m->pba[vector / 64] |= 1ull << (vector % 64);
		return;
	}
	msix_send(m, vector);
}

/* A mask was cleared: deliver what became pending meanwhile (§6.8.2.9). */
static void msix_unmasked(struct msix *m)
{
	if (!msix_enabled(m))
		return;
	for (unsigned v = 0; v < m->nvec; v++) {
		uint64_t bit = 1ull << (v % 64);
		if ((m->pba[v / 64] & bit) && !msix_masked(m, v)) {
			m->pba[v / 64] &= ~bit;
			msix_send(m, v);
		}
	}
}

static uint64_t msix_bar_read(void *opaque, uint64_t off, unsigned size)
{
	struct msix *m = opaque;
	uint64_t v = 0;
	if (off + size <= 16ull * m->nvec)
		memcpy(&v, m->table + off, size);
	else if (off >= MSIX_PBA_OFFSET && off + size <= MSIX_PBA_OFFSET + sizeof(m->pba))
		memcpy(&v, (const uint8_t *)m->pba + (off - MSIX_PBA_OFFSET), size);
	return v;
}

static void msix_bar_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct msix *m = opaque;
	/* The PBA is read-only; only the table takes writes. */
	if (off + size > 16ull * m->nvec)
		return;
	memcpy(m->table + off, &val, size);
	msix_unmasked(m);
}

static const struct io_ops msix_bar_ops = {
	.read = msix_bar_read,
	.write = msix_bar_write,
	.min_size = 4,
	.max_size = 8,
};

int msix_init_bar(struct msix *m, struct pci_device *d, unsigned nvec, int bar, struct error **errp)
{
	memset(m, 0, sizeof(*m));
	m->dev = d;
	if (!nvec || nvec > MSIX_MAX_VECTORS) {
		error_setg(errp, "%s: MSI-X vectors must be 1..%d, not %u", d->dev.cls->name,
		           MSIX_MAX_VECTORS, nvec);
		return -1;
	}
	m->nvec = nvec;
	m->bar = bar;
	int cap = pci_add_capability(d, PCI_CAP_ID_MSIX, MSIX_CAP_SIZE);
	if (cap < 0) {
		error_setg(errp, "%s: no room for the MSI-X capability", d->dev.cls->name);
		return -1;
	}
	if (pci_register_bar(d, bar, 0, MSIX_BAR_SIZE, &msix_bar_ops, m, errp) < 0)
		return -1;
	m->cap = cap;
	pci_set_word(d->config + cap + MSIX_CTRL, (uint16_t)(nvec - 1));
	pci_set_long(d->config + cap + MSIX_TABLE, (uint32_t)bar);
	pci_set_long(d->config + cap + MSIX_PBA, MSIX_PBA_OFFSET | (uint32_t)bar);
	pci_set_word(d->wmask + cap + MSIX_CTRL, MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
	msix_reset(m);
	return 0;
}

void msix_config_write(struct msix *m, uint32_t addr, uint32_t val, unsigned size)
{
	(void)val;
	if (!m->cap || addr + size <= (uint32_t)m->cap + MSIX_CTRL ||
	    addr > (uint32_t)m->cap + MSIX_CTRL + 1)
		return;
	/* Enable or function mask changed: while MSI-X is on, INTx is not
	 * used (§6.8.2.3); pending vectors may now go out. */
	if (msix_enabled(m))
		pci_set_irq(m->dev, 0);
	msix_unmasked(m);
}

void msix_reset(struct msix *m)
{
	if (!m->cap)
		return;
	uint8_t *c = m->dev->config + m->cap + MSIX_CTRL;
	pci_set_word(c, (uint16_t)(pci_get_word(c) & ~(MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL)));
	/* §6.8.2.9: after reset every vector is masked, messages zero. */
	memset(m->table, 0, sizeof(m->table));
	for (unsigned v = 0; v < m->nvec; v++)
		pci_set_long(m->table + 16 * v + 12, MSIX_ENTRY_MASKED);
	memset(m->pba, 0, sizeof(m->pba));
}

/* ---- MSI ------------------------------------------------------------ */

static uint16_t msi_ctrl(const struct msi *m)
{
	return pci_get_word(m->dev->config + m->cap + MSI_CTRL);
}

bool msi_enabled(const struct msi *m)
{
	return m->cap && (msi_ctrl(m) & MSI_CTRL_ENABLE);
}

/* Vectors the driver enabled (MME, at most what we offered). */
static unsigned msi_nr_enabled(const struct msi *m)
{
	unsigned n = 1u << ((msi_ctrl(m) >> MSI_CTRL_MME_SHIFT) & 7);
	return n < m->nvec ? n : m->nvec;
}

static void msi_send(struct msi *m, unsigned v)
{
	const uint8_t *c = m->dev->config + m->cap;
	uint64_t addr = pci_get_long(c + MSI_ADDR_LO) | (uint64_t)pci_get_long(c + MSI_ADDR_HI)
	                                                        << 32;
	uint32_t data = pci_get_word(c + MSI_DATA);
	/* §6.8.1.6: with several vectors the low bits of data carry the number. */
	unsigned n = msi_nr_enabled(m);
	data = (data & ~(n - 1)) | v;
	msg_send(m->dev, addr, data);
}

void msi_notify(struct msi *m, unsigned vector)
{
	if (!msi_enabled(m) || vector >= msi_nr_enabled(m))
		return;
	uint32_t mask = pci_get_long(m->dev->config + m->cap + MSI_MASK);
	if (mask & (1u << vector)) {
		m->pending |= 1u << vector;
		pci_set_long(m->dev->config + m->cap + MSI_PENDING, m->pending);
		return;
	}
	msi_send(m, vector);
}

int msi_init(struct msi *m, struct pci_device *d, unsigned nvec, struct error **errp)
{
	memset(m, 0, sizeof(*m));
	m->dev = d;
	if (!nvec || nvec > 32 || (nvec & (nvec - 1))) {
		error_setg(errp, "%s: MSI vectors must be a power of two up to 32, not %u",
		           d->dev.cls->name, nvec);
		return -1;
	}
	int cap = pci_add_capability(d, PCI_CAP_ID_MSI, MSI_CAP_SIZE);
	if (cap < 0) {
		error_setg(errp, "%s: no room for the MSI capability", d->dev.cls->name);
		return -1;
	}
	m->cap = cap;
	m->nvec = nvec;
	unsigned mmc = (unsigned)__builtin_ctz(nvec);
	pci_set_word(d->config + cap + MSI_CTRL,
	             (uint16_t)(MSI_CTRL_64 | MSI_CTRL_PVM | mmc << MSI_CTRL_MMC_SHIFT));
	pci_set_word(d->wmask + cap + MSI_CTRL, MSI_CTRL_ENABLE | (7u << MSI_CTRL_MME_SHIFT));
	pci_set_long(d->wmask + cap + MSI_ADDR_LO, 0xfffffffcu);
	pci_set_long(d->wmask + cap + MSI_ADDR_HI, 0xffffffffu);
	pci_set_word(d->wmask + cap + MSI_DATA, 0xffff);
	pci_set_long(d->wmask + cap + MSI_MASK, nvec == 32 ? 0xffffffffu : (1u << nvec) - 1);
	return 0;
}

void msi_config_write(struct msi *m, uint32_t addr, uint32_t val, unsigned size)
{
	(void)val;
	if (!m->cap || addr + size <= (uint32_t)m->cap || addr >= (uint32_t)m->cap + MSI_CAP_SIZE)
		return;
	if (msi_enabled(m))
		pci_set_irq(m->dev, 0);
	/* Unmasked vectors with a pending message fire now. */
	uint32_t mask = pci_get_long(m->dev->config + m->cap + MSI_MASK);
	uint32_t fire = m->pending & ~mask;
	if (!fire || !msi_enabled(m))
		return;
	m->pending &= ~fire;
	pci_set_long(m->dev->config + m->cap + MSI_PENDING, m->pending);
	for (unsigned v = 0; v < 32; v++)
		if (fire & (1u << v))
			msi_send(m, v);
}

void msi_reset(struct msi *m)
{
	if (!m->cap)
		return;
	uint8_t *c = m->dev->config + m->cap;
	pci_set_word(c + MSI_CTRL, (uint16_t)(pci_get_word(c + MSI_CTRL) &
	                                      ~(MSI_CTRL_ENABLE | (7u << MSI_CTRL_MME_SHIFT))));
	pci_set_long(c + MSI_ADDR_LO, 0);
	pci_set_long(c + MSI_ADDR_HI, 0);
	pci_set_word(c + MSI_DATA, 0);
	pci_set_long(c + MSI_MASK, 0);
	pci_set_long(c + MSI_PENDING, 0);
	m->pending = 0;
}
