/*
 * PIIX4 power management function (00:01.3, 8086:7113): the ACPI fixed
 * hardware of the pc machine (PM1 event and control, PM timer, GPE0) and
 * the SCI on ISA IRQ 9.
 */
#ifndef LEMU_HW_X86_PIIX_PM_H
#define LEMU_HW_X86_PIIX_PM_H

#include <stdint.h>

#include "core/loop.h"
#include "hw/pci/pci.h"

struct pio_region;

struct piix_pm {
	struct pci_device pci; /* first */
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint16_t gpe_sts, gpe_en;
	struct pio_region *io;
	uint16_t io_base;      /* mapped base, 0 = unmapped */
	struct timer tmr;      /* PM timer carry (bit 23 toggles) while TMR_EN */
	int sci_level;
};

/* ACPI PM timer ticks (3.579545 MHz) at guest time ns. */
uint32_t acpi_pm_ticks(int64_t ns);
/* The power button was pressed (QMP system_powerdown): PWRBTN_STS + SCI. */
void piix_pm_power_button(struct piix_pm *pm);

extern const struct device_class piix_pm_class;

#endif
