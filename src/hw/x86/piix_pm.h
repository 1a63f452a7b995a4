/*
 * PIIX4 power management function (00:01.3, 8086:7113): the ACPI fixed
 * hardware of the pc machine (PM1 event and control, PM timer, GPE0) and
 * the SCI on ISA IRQ 9.  microvm uses the same register block without PCI.
 */
#ifndef LEMU_HW_X86_PIIX_PM_H
#define LEMU_HW_X86_PIIX_PM_H

#include <stdint.h>

#include "core/loop.h"
#include "hw/pci/pci.h"
#include "hw/x86/acpi_hotplug.h"

struct pio_region;

/* The ACPI fixed-hardware register block as the PIIX4 lays it out (PM1
 * status/enable at 0, PM1 control at 4, PM timer at 8, GPE0 status/enable
 * at 0x0c), shared by the PIIX4 function and microvm's PM device. */
struct acpi_pm {
	struct vm *vm;
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint16_t gpe_sts, gpe_en;
	struct timer tmr;      /* PM timer carry (bit 23 toggles) while TMR_EN */
	int sci_level;
};
extern const struct io_ops acpi_pm_io_ops; /* opaque: struct acpi_pm */
void acpi_pm_init(struct acpi_pm *pm, struct vm *vm);
void acpi_pm_reset(struct acpi_pm *pm);
void acpi_pm_fini(struct acpi_pm *pm);
/* The power button was pressed (QMP system_powerdown): PWRBTN_STS + SCI. */
void acpi_pm_power_button(struct acpi_pm *pm);
/* Set GPE0 status bit `bit` (and raise the SCI if the guest enabled it). */
void acpi_pm_gpe_raise(struct acpi_pm *pm, unsigned bit);
/* ACPI PM timer ticks (3.579545 MHz) at guest time ns. */
uint32_t acpi_pm_ticks(int64_t ns);

struct piix_pm {
	struct pci_device pci; /* first */
	struct acpi_pm regs;
	struct pio_region *io;
	uint16_t io_base;      /* mapped base, 0 = unmapped */
	struct acpi_pcihp hp;  /* PCI hot-plug registers at 0xae00 */
};

static inline void piix_pm_power_button(struct piix_pm *pm)
{
	acpi_pm_power_button(&pm->regs);
}

extern const struct device_class piix_pm_class;

#endif
