/*
 * The PC's legacy ISA devices and the A20 gate (see pc_devices.h).
 */
#include "hw/x86/pc_devices.h"

#include <stdio.h>

#include "chardev/chardev.h"
#include "core/device.h"
#include "core/vm.h"
#include "hw/timer/hpet.h"
#include "hw/timer/i8254.h"
#include "hw/timer/mc146818rtc.h"
#include "util/error.h"
#include "util/opts.h"

void pc_set_a20(struct vm *vm, int enabled)
{
	uint64_t m = enabled ? ~0ull : ~(1ull << 20);
	if (vm->a20_mask == m)
		return;
	vm->a20_mask = m;
	/* Cached translations assumed the old mask. */
	for (int i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i])
			vcpu_kick(vm->vcpus[i], VCPU_REQ_TLB);
}

static struct device *pc_create(struct vm *vm, const char *name, const char *opts, struct error **errp)
{
	struct opts *o = NULL;
	if (opts) {
		o = opts_parse(opts, NULL, errp);
		if (!o)
			return NULL;
	}
	struct device *d = device_create(vm, name, o, errp);
	opts_free(o);
	return d;
}

static struct device *pc_find(struct vm *vm, const struct device_class *cls)
{
	for (struct device *d = vm->devices; d; d = d->next)
		if (d->cls == cls)
			return d;
	return NULL;
}

void pc_cmos_set(struct vm *vm, unsigned idx, uint8_t val)
{
	struct rtc *r = (struct rtc *)pc_find(vm, &rtc_class);
	if (r)
		rtc_cmos_set(r, idx, val);
}

int pc_isa_devices_init(struct vm *vm, struct error **errp)
{
	char buf[256];
	struct hpet *hpet = (struct hpet *)pc_create(vm, "hpet", NULL, errp);
	if (!hpet)
		return -1;
	struct i8254 *pit = (struct i8254 *)pc_create(vm, "isa-pit", NULL, errp);
	if (!pit)
		return -1;
	struct rtc *rtc = (struct rtc *)pc_create(vm, "mc146818rtc", NULL, errp);
	if (!rtc)
		return -1;
	/* The PIT's and the RTC's interrupts pass through the HPET, which
	 * cuts them in legacy replacement mode (HPET spec 1.0a §2.4). */
	pit->irq = (struct irq){ hpet_legacy_in, hpet, 0 };
	rtc->irq = (struct irq){ hpet_legacy_in, hpet, 1 };
	for (int i = 0; i < 4; i++) {
		if (!vm->serial[i])
			continue;
		snprintf(buf, sizeof(buf), "index=%d,chardev=%s", i, chardev_id(vm->serial[i]));
		if (!pc_create(vm, "isa-serial", buf, errp))
			return -1;
	}
	if (!pc_create(vm, "i8042", NULL, errp) || !pc_create(vm, "port92", NULL, errp))
		return -1;
	if (vm->debugcon) {
		snprintf(buf, sizeof(buf), "chardev=%s", chardev_id(vm->debugcon));
		if (!pc_create(vm, "isa-debugcon", buf, errp))
			return -1;
	}
	return 0;
}
