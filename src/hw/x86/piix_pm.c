/*
 * PIIX4 power management function (Intel 82371AB datasheet §3.4 and §7;
 * register semantics of ACPI 6.4 §4.8.3 "PM1 Event/Control Registers").
 *
 * lemu programs PMBA (0x40) to PIIX_PM_BASE and sets PMIOSE (0x80 bit 0)
 * as firmware would, so the registers are live from the first instruction.
 * There is no SMM: SMI_CMD is 0 in the FADT and SCI_EN reads as set.
 * Sleep: SLP_EN with SLP_TYP 0 ("soft off", what \_S5 says) powers off;
 * other sleep types are ignored (logged under -d unimp).
 */
#include <stdlib.h>

#include "core/memory.h"
#include "core/vm.h"
#include "hw/x86/acpi.h"
#include "hw/x86/piix_pm.h"
#include "util/error.h"

#define PMBA 0x40
#define PMREGMISC 0x80
#define DEVACTB 0x58

#define PM1_TMR 0x0001
#define PM1_BM 0x0010
#define PM1_GBL 0x0020
#define PM1_PWRBTN 0x0100
#define PM1_RTC 0x0400
#define PM1_WAK 0x8000
#define PM1_STS_MASK (PM1_TMR | PM1_BM | PM1_GBL | PM1_PWRBTN | PM1_RTC | PM1_WAK)
#define PM1_EN_MASK (PM1_TMR | PM1_GBL | PM1_PWRBTN | PM1_RTC)
#define CNT_SCI_EN 0x0001
#define CNT_SLP_EN 0x2000
#define CNT_SLP_TYP(v) (((v) >> 10) & 7)
#define PM_TMR_HZ 3579545ull
#define PM_TMR_MASK 0xffffffu

uint32_t acpi_pm_ticks(int64_t ns)
{
	if (ns < 0)
		ns = 0;
	return (uint32_t)(((unsigned __int128)ns * PM_TMR_HZ / 1000000000u) & PM_TMR_MASK);
}

static void pm_update_sci(struct acpi_pm *pm)
{
	int level = (pm->pm1_cnt & CNT_SCI_EN) &&
		    ((pm->pm1_sts & pm->pm1_en & PM1_EN_MASK) || (pm->gpe_sts & pm->gpe_en));
	if (level == pm->sci_level)
		return;
	pm->sci_level = level;
	irq_set(&pm->vm->gsi[ACPI_SCI_IRQ], level);
}

/* Arm the timer for the next toggle of bit 23 (the TMR_STS event). */
static void pm_tmr_arm(struct acpi_pm *pm)
{
	if (!(pm->pm1_en & PM1_TMR)) {
		timer_del(&pm->tmr);
		return;
	}
	int64_t now = vm_clock_ns(pm->vm);
	unsigned __int128 ticks = (unsigned __int128)now * PM_TMR_HZ / 1000000000u;
	unsigned __int128 next = (ticks | 0x7fffff) + 1;
	int64_t at = (int64_t)((next * 1000000000u + PM_TMR_HZ - 1) / PM_TMR_HZ);
	timer_mod(&pm->tmr, at);
}

static void pm_tmr_fire(void *opaque)
{
	struct acpi_pm *pm = opaque;
	pm->pm1_sts |= PM1_TMR;
	pm_update_sci(pm);
	pm_tmr_arm(pm);
}

void acpi_pm_gpe_raise(struct acpi_pm *pm, unsigned bit)
{
	pm->gpe_sts |= (uint16_t)(1u << (bit & 15));
	pm_update_sci(pm);
}

void acpi_pm_power_button(struct acpi_pm *pm)
{
	pm->pm1_sts |= PM1_PWRBTN;
	pm_update_sci(pm);
}

/* 16-bit register at even offset reg. */
static uint16_t pm_reg_read(struct acpi_pm *pm, uint64_t reg)
{
	struct vm *vm = pm->vm;
	switch (reg) {
	case 0x00:
		return pm->pm1_sts;
	case 0x02:
		return pm->pm1_en;
	case 0x04:
		return pm->pm1_cnt & ~CNT_SLP_EN;
	case 0x08:
		return (uint16_t)acpi_pm_ticks(vm_clock_ns(vm));
	case 0x0a:
		return (uint16_t)(acpi_pm_ticks(vm_clock_ns(vm)) >> 16);
	case 0x0c:
		return pm->gpe_sts;
	case 0x0e:
		return pm->gpe_en;
	default:
		vm_log(vm, VM_LOG_UNIMP, "PIIX4 PM: read of unimplemented register 0x%llx\n",
		       (unsigned long long)reg);
		return 0;
	}
}

static uint64_t pm_io_read(void *opaque, uint64_t off, unsigned size)
{
	struct acpi_pm *pm = opaque;
	if (off == 0x08 && size == 4) /* one sample of the 24-bit timer */
		return acpi_pm_ticks(vm_clock_ns(pm->vm));
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++) {
		uint64_t o = off + i;
		v |= (uint64_t)((pm_reg_read(pm, o & ~1ull) >> (8 * (o & 1))) & 0xff) << (8 * i);
	}
	return v;
}

/* Write `val` to the bytes of the 16-bit register reg selected by bmask. */
static void pm_reg_write(struct acpi_pm *pm, uint64_t reg, uint16_t val, uint16_t bmask)
{
	struct vm *vm = pm->vm;
	switch (reg) {
	case 0x00: /* write 1 to clear */
		pm->pm1_sts &= (uint16_t)~(val & bmask & PM1_STS_MASK);
		break;
	case 0x02:
		pm->pm1_en = (uint16_t)(((pm->pm1_en & ~bmask) | (val & bmask)) & PM1_EN_MASK);
		pm_tmr_arm(pm);
		break;
	case 0x04: {
		uint16_t v = (uint16_t)((pm->pm1_cnt & ~bmask) | (val & bmask));
		/* SCI_EN stays set: lemu has no SMM to hand events to. */
		pm->pm1_cnt = (uint16_t)((v & ~CNT_SLP_EN) | CNT_SCI_EN);
		if (v & CNT_SLP_EN) {
			if (CNT_SLP_TYP(v) == 0)
				vm_request(vm, VM_EVENT_GUEST_SHUTDOWN);
			else
				vm_log(vm, VM_LOG_UNIMP, "PIIX4 PM: sleep type %u not supported\n",
				       (unsigned)CNT_SLP_TYP(v));
		}
		break;
	}
	case 0x0c:
		pm->gpe_sts &= (uint16_t)~(val & bmask);
		break;
	case 0x0e:
		pm->gpe_en = (uint16_t)((pm->gpe_en & ~bmask) | (val & bmask));
		break;
	default:
		vm_log(vm, VM_LOG_UNIMP, "PIIX4 PM: write of unimplemented register 0x%llx\n",
		       (unsigned long long)reg);
		return;
	}
}

static void pm_io_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct acpi_pm *pm = opaque;
	/* Split into 16-bit registers; a byte write touches one half. */
	for (unsigned i = 0; i < size;) {
		uint64_t o = off + i;
		unsigned shift = 8 * (o & 1);
		unsigned n = (o & 1) || size - i == 1 ? 1 : 2;
		uint16_t bmask = (uint16_t)((n == 2 ? 0xffff : 0xff) << shift);
		uint16_t v = (uint16_t)(((val >> (8 * i)) & (n == 2 ? 0xffff : 0xff)) << shift);
		pm_reg_write(pm, o & ~1ull, v, bmask);
		i += n;
	}
	pm_update_sci(pm);
}

const struct io_ops acpi_pm_io_ops = {
	.read = pm_io_read,
	.write = pm_io_write,
	.min_size = 1,
	.max_size = 4,
};

void acpi_pm_init(struct acpi_pm *pm, struct vm *vm)
{
	pm->vm = vm;
	timer_init(&pm->tmr, vm, pm_tmr_fire, pm);
	acpi_pm_reset(pm);
}

void acpi_pm_reset(struct acpi_pm *pm)
{
	pm->pm1_sts = pm->pm1_en = 0;
	pm->pm1_cnt = CNT_SCI_EN;
	pm->gpe_sts = pm->gpe_en = 0;
	timer_del(&pm->tmr);
	pm_update_sci(pm);
}

void acpi_pm_fini(struct acpi_pm *pm)
{
	timer_del(&pm->tmr);
}

/* ---- the PIIX4 PCI function ---- */

/* Map the register block where PMBA says, if PMIOSE is set. */
static void piix_pm_update_io(struct piix_pm *p)
{
	struct vm *vm = p->pci.dev.vm;
	uint32_t pmba = pci_get_long(p->pci.config + PMBA) & 0xffc0;
	bool on = (p->pci.config[PMREGMISC] & 1) && pmba;
	if (on && p->io && p->io_base == pmba)
		return;
	if (p->io)
		pio_del(vm, p->io);
	p->io = NULL;
	p->io_base = 0;
	if (!on)
		return;
	p->io = pio_add(vm, "piix4-pm", (uint16_t)pmba, PIIX_PM_LEN, &acpi_pm_io_ops, &p->regs);
	if (p->io)
		p->io_base = (uint16_t)pmba;
}

static void piix_pm_config_write(struct pci_device *d, uint32_t addr, uint32_t val, unsigned size)
{
	if ((addr < PMBA + 4 && addr + size > PMBA) || (addr <= PMREGMISC && addr + size > PMREGMISC))
		piix_pm_update_io((struct piix_pm *)d);
}

static void piix_pm_reset(struct device *dev)
{
	struct piix_pm *p = (struct piix_pm *)dev;
	pci_device_reset(&p->pci);
	pci_set_long(p->pci.config + PMBA, PIIX_PM_BASE | 1);
	p->pci.config[PMREGMISC] = 1;
	/* DEVACTB (0x58) bit 25 APMC_EN: there is no SMM, so the APM control
	 * port never raises an SMI; reading the enable as already set makes
	 * firmware skip its SMM set-up (QEMU does the same without SMM). */
	p->pci.config[DEVACTB + 3] = 0x02;
	acpi_pm_reset(&p->regs);
	acpi_pcihp_reset(&p->hp);
	piix_pm_update_io(p);
}

static int piix_pm_realize(struct device *dev, struct error **errp)
{
	struct piix_pm *p = (struct piix_pm *)dev;
	if (pci_device_realize(&p->pci, errp) < 0)
		return -1;
	/* 8086:7113 rev 3, class 0x068000 (bridge, other). */
	pci_set_ids(&p->pci, 0x8086, 0x7113, 0x03, 0x068000);
	pci_set_long(p->pci.wmask + PMBA, 0xffc0);
	p->pci.wmask[PMREGMISC] = 0x01;
	p->pci.config_write = piix_pm_config_write;
	acpi_pm_init(&p->regs, dev->vm);
	if (acpi_pcihp_init(&p->hp, dev->vm, &p->regs) < 0) {
		error_setg(errp, "PIIX4_PM: cannot register the PCI hotplug ports at 0x%x", ACPI_PCIHP_BASE);
		acpi_pm_fini(&p->regs);
		pci_device_unrealize(&p->pci);
		return -1;
	}
	piix_pm_reset(dev);
	return 0;
}

static void piix_pm_unrealize(struct device *dev)
{
	struct piix_pm *p = (struct piix_pm *)dev;
	acpi_pm_fini(&p->regs);
	acpi_pcihp_fini(&p->hp);
	if (p->io)
		pio_del(dev->vm, p->io);
	p->io = NULL;
	pci_device_unrealize(&p->pci);
}

static const struct prop piix_pm_props[] = { PCI_DEVICE_PROPS, PROP_END };

const struct device_class piix_pm_class = {
	.name = "PIIX4_PM",
	.desc = "PM",
	.bus = "pci",
	.size = sizeof(struct piix_pm),
	.props = piix_pm_props,
	.user_creatable = false,
	.realize = piix_pm_realize,
	.reset = piix_pm_reset,
	.unrealize = piix_pm_unrealize,
};
