/*
 * Motorola MC146818 real-time clock with 128 bytes of CMOS RAM at ports
 * 0x70 (index, bit 7 = NMI disable) / 0x71 (data), IRQ8.
 */
#ifndef LEMU_HW_TIMER_MC146818RTC_H
#define LEMU_HW_TIMER_MC146818RTC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/device.h"
#include "core/irq.h"
#include "core/loop.h"

#define RTC_CENTURY 0x32

struct rtc {
	struct device dev;
	uint32_t iobase;  /* property, 0x70 */
	uint32_t irq_num; /* property, 8 */
	uint8_t cmos[128];
	uint8_t index;
	bool nmi_disabled;
	/* Guest UTC time = epoch_sec s + (epoch_frac + vm_clock_ns) ns: seconds
	 * and the sub-second phase apart, so that any year the registers can
	 * hold (up to 9999) fits. */
	int64_t epoch_sec;
	int64_t epoch_frac; /* 0 .. 1e9-1 */
	int64_t last_sec;  /* guest second at which UF/AF were last evaluated */
	int64_t last_period; /* vm_clock_ns / period at the last PF evaluation */
	struct timer timer;
	struct irq irq;    /* vm->gsi[irq_num]; the HPET may interpose */
	int irq_level;
};

void rtc_cmos_set(struct rtc *r, unsigned idx, uint8_t val);
uint8_t rtc_cmos_get(struct rtc *r, unsigned idx);

extern const struct device_class rtc_class;

#endif
