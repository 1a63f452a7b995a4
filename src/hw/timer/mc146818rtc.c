/*
 * MC146818 RTC and CMOS RAM.  Reference: Motorola MC146818A datasheet:
 * "Address Map" (registers 0-9 time/alarm, A-D status), Table 3 (time,
 * calendar and alarm data modes: BCD/binary, 12/24 hour with the PM bit),
 * "Register A" (UIP, DV2-0, RS3-0 and Table 5 periodic rates), "Register
 * B" (SET, PIE, AIE, UIE, SQWE, DM, 24/12, DSE), "Register C" (IRQF, PF,
 * AF, UF, cleared by reading), "Register D" (VRT), "Update Cycle" (UIP is
 * set 244 us before the update), alarm "don't care" codes 0xC0-0xFF.
 *
 * Time is host UTC plus the VM clock (QEMU's -rtc base=utc), so a paused
 * VM's clock does not run.  The divider bits of register A are stored but
 * do not stop the clock; Linux sets SET while it writes the time.
 */
#include "hw/timer/mc146818rtc.h"

#include <time.h>

#include "core/memory.h"
#include "core/vm.h"
#include "util/error.h"

#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define REG_D 0x0d

#define A_UIP 0x80
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_DM 0x04 /* binary */
#define B_24H 0x02
#define C_IRQF 0x80
#define C_PF 0x40
#define C_AF 0x20
#define C_UF 0x10

#define NS 1000000000ll
/* UIP goes high 244 us (8 cycles of the 32.768 kHz time base) before the
 * update. */
#define UIP_NS (8 * NS / 32768)

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b && (a < 0) != (b < 0)) ? q - 1 : q;
}

static uint8_t rtc_enc(const struct rtc *r, int v)
{
	if (v < 0)
		v = 0;
	if (r->cmos[REG_B] & B_DM)
		return (uint8_t)v;
	return (uint8_t)((v / 10 % 10) << 4 | (v % 10));
}

static int rtc_dec(const struct rtc *r, uint8_t v)
{
	if (r->cmos[REG_B] & B_DM)
		return v;
	return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t rtc_enc_hour(const struct rtc *r, int h)
{
	if (r->cmos[REG_B] & B_24H)
		return rtc_enc(r, h);
	int h12 = h % 12 ? h % 12 : 12;
	return rtc_enc(r, h12) | (h >= 12 ? 0x80 : 0);
}

static int rtc_dec_hour(const struct rtc *r, uint8_t v)
{
	if (r->cmos[REG_B] & B_24H)
		return rtc_dec(r, v);
	return rtc_dec(r, v & 0x7f) % 12 + ((v & 0x80) ? 12 : 0);
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

/* The guest's UTC second at vm time `now`, and the nanoseconds into it. */
static int64_t rtc_sec(const struct rtc *r, int64_t now)
{
	return r->epoch_sec + floor_div(r->epoch_frac + now, NS);
}

static int64_t rtc_phase(const struct rtc *r, int64_t now)
{
	return floor_mod(r->epoch_frac + now, NS);
}

/* Make the guest clock read `secs` + `phase` ns at vm time `now`. */
static void rtc_set_clock(struct rtc *r, int64_t now, int64_t secs, int64_t phase)
{
	r->epoch_frac = floor_mod(phase - now, NS);
	r->epoch_sec = secs - floor_div(r->epoch_frac + now, NS);
}

/* Registers 0, 2, 4, 6-9 and the century byte from a UTC time. */
static void rtc_store_time(struct rtc *r, int64_t secs)
{
	/* 1970-01-01 .. 9999-12-31: what the registers can express */
	if (secs < 0)
		secs = 0;
	if (secs > 253402300799ll)
		secs = 253402300799ll;
	time_t t = (time_t)secs;
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		return;
	r->cmos[0] = rtc_enc(r, tm.tm_sec);
	r->cmos[2] = rtc_enc(r, tm.tm_min);
	r->cmos[4] = rtc_enc_hour(r, tm.tm_hour);
	r->cmos[6] = rtc_enc(r, tm.tm_wday + 1); /* Sunday = 1 */
	r->cmos[7] = rtc_enc(r, tm.tm_mday);
	r->cmos[8] = rtc_enc(r, tm.tm_mon + 1);
	r->cmos[9] = rtc_enc(r, tm.tm_year % 100);
	r->cmos[RTC_CENTURY] = rtc_enc(r, (tm.tm_year + 1900) / 100);
}

/* The UTC time the guest wrote into the registers. */
static int64_t rtc_load_time(const struct rtc *r)
{
	struct tm tm = { 0 };
	tm.tm_sec = rtc_dec(r, r->cmos[0]);
	tm.tm_min = rtc_dec(r, r->cmos[2]);
	tm.tm_hour = rtc_dec_hour(r, r->cmos[4]);
	tm.tm_mday = rtc_dec(r, r->cmos[7]);
	tm.tm_mon = rtc_dec(r, r->cmos[8]) - 1;
	int century = rtc_dec(r, r->cmos[RTC_CENTURY]);
	if (century < 19 || century > 99)
		century = 20;
	tm.tm_year = century * 100 + rtc_dec(r, r->cmos[9]) - 1900;
	return (int64_t)timegm(&tm);
}

static void rtc_refresh(struct rtc *r, int64_t now)
{
	if (!(r->cmos[REG_B] & B_SET))
		rtc_store_time(r, rtc_sec(r, now));
}

static int64_t rtc_period_ns(const struct rtc *r)
{
	int rs = r->cmos[REG_A] & 0x0f;
	if (!rs)
		return 0;
	if (rs <= 2)
		rs += 7; /* Table 5: RS 1 and 2 repeat rates 8 and 9 */
	return (int64_t)(1u << (rs - 1)) * NS / 32768;
}

static bool alarm_field(const struct rtc *r, int reg, int val, bool hour)
{
	uint8_t a = r->cmos[reg];
	if ((a & 0xc0) == 0xc0)
		return true; /* don't care */
	return (hour ? rtc_dec_hour(r, a) : rtc_dec(r, a)) == val;
}

static bool alarm_match(const struct rtc *r, int64_t sec)
{
	int64_t tod = sec - floor_div(sec, 86400) * 86400;
	return alarm_field(r, 1, tod % 60, false) && alarm_field(r, 3, tod / 60 % 60, false) &&
	       alarm_field(r, 5, (int)(tod / 3600), true);
}

static void rtc_set_irq(struct rtc *r, int level)
{
	if (level != r->irq_level) {
		r->irq_level = level;
		irq_set(&r->irq, level);
	}
}

/* Catch the flags of register C up with the clock: UF at every update,
 * AF when an update reaches the alarm time, PF at every periodic tick. */
static void rtc_eval(struct rtc *r, int64_t now)
{
	uint8_t *c = &r->cmos[REG_C];
	if (!(r->cmos[REG_B] & B_SET)) {
		int64_t sec = rtc_sec(r, now);
		if (sec > r->last_sec) {
			*c |= C_UF;
			if (sec - r->last_sec >= 86400) {
				*c |= C_AF;
			} else {
				for (int64_t s = r->last_sec + 1; s <= sec; s++)
					if (alarm_match(r, s)) {
						*c |= C_AF;
						break;
					}
			}
		}
		r->last_sec = sec;
	}
	int64_t period = rtc_period_ns(r);
	if (period) {
		int64_t p = floor_div(now, period);
		if (p > r->last_period)
			*c |= C_PF;
		r->last_period = p;
	}
	if (*c & r->cmos[REG_B] & (B_PIE | B_AIE | B_UIE))
		*c |= C_IRQF;
	rtc_set_irq(r, !!(*c & C_IRQF));
}

static void rtc_arm(struct rtc *r, int64_t now)
{
	int64_t next = INT64_MAX;
	uint8_t b = r->cmos[REG_B];
	int64_t period = rtc_period_ns(r);
	if ((b & B_PIE) && period)
		next = (floor_div(now, period) + 1) * period;
	if ((b & (B_UIE | B_AIE)) && !(b & B_SET)) {
		int64_t at = now + (NS - rtc_phase(r, now));
		if (at < next)
			next = at;
	}
	if (next == INT64_MAX)
		timer_del(&r->timer);
	else
		timer_mod(&r->timer, next);
}

static void rtc_timer_cb(void *opaque)
{
	struct rtc *r = opaque;
	int64_t now = vm_clock_ns(r->dev.vm);
	rtc_eval(r, now);
	rtc_arm(r, now);
}

/* The guest changed the time registers: restart the second at that time. */
static void rtc_time_written(struct rtc *r, int64_t now)
{
	rtc_set_clock(r, now, rtc_load_time(r), 0);
	r->last_sec = rtc_sec(r, now);
}

static uint8_t rtc_data_read(struct rtc *r)
{
	int64_t now = vm_clock_ns(r->dev.vm);
	uint8_t idx = r->index;
	switch (idx) {
	case REG_A: {
		uint8_t a = r->cmos[REG_A] & 0x7f;
		if (!(r->cmos[REG_B] & B_SET) && rtc_phase(r, now) >= NS - UIP_NS)
			a |= A_UIP;
		return a;
	}
	case REG_C: {
		rtc_eval(r, now);
		uint8_t c = r->cmos[REG_C];
		r->cmos[REG_C] = 0;
		rtc_set_irq(r, 0);
		rtc_arm(r, now);
		return c;
	}
	case REG_D:
		return 0x80; /* VRT: the battery is fine */
	}
	if (idx <= 9 || idx == RTC_CENTURY)
		rtc_refresh(r, now);
	return r->cmos[idx];
}

static void rtc_data_write(struct rtc *r, uint8_t v)
{
	int64_t now = vm_clock_ns(r->dev.vm);
	uint8_t idx = r->index;
	switch (idx) {
	case REG_A:
		rtc_eval(r, now);
		r->cmos[REG_A] = v & 0x7f; /* UIP is read-only */
		rtc_eval(r, now);
		rtc_arm(r, now);
		return;
	case REG_B: {
		rtc_eval(r, now);
		uint8_t old = r->cmos[REG_B];
		if ((v & B_SET) && !(old & B_SET)) {
			rtc_refresh(r, now); /* freeze the registers */
			v &= ~B_UIE;         /* SET clears UIE */
		}
		/* The time registers keep their values across a format
		 * change only as bit patterns, as on the chip. */
		r->cmos[REG_B] = v;
		if (!(v & B_SET) && (old & B_SET))
			rtc_time_written(r, now);
		rtc_eval(r, now);
		rtc_arm(r, now);
		return;
	}
	case REG_C:
	case REG_D:
		vm_log(r->dev.vm, VM_LOG_GUEST_ERRORS, "rtc: write 0x%02x to read-only register %c\n", v,
		       'A' + idx - REG_A);
		return;
	}
	if ((idx <= 9 || idx == RTC_CENTURY) && idx != 1 && idx != 3 && idx != 5 &&
	    !(r->cmos[REG_B] & B_SET)) {
		/* Writing the time without SET: applied at once. */
		rtc_refresh(r, now);
		r->cmos[idx] = v;
		int64_t phase = rtc_phase(r, now);
		rtc_set_clock(r, now, rtc_load_time(r), phase);
		r->last_sec = rtc_sec(r, now);
		return;
	}
	r->cmos[idx] = v;
	if (idx == 1 || idx == 3 || idx == 5)
		rtc_arm(r, now);
}

static uint64_t rtc_io_read(void *opaque, uint64_t off, unsigned size)
{
	struct rtc *r = opaque;
	if (off == 0)
		return 0xff; /* the index register is write-only */
	return rtc_data_read(r);
}

static void rtc_io_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct rtc *r = opaque;
	if (off == 0) {
		r->index = val & 0x7f;
		r->nmi_disabled = val & 0x80;
		return;
	}
	rtc_data_write(r, val);
}

static const struct io_ops rtc_ops = { rtc_io_read, rtc_io_write, 1, 1 };

void rtc_cmos_set(struct rtc *r, unsigned idx, uint8_t val)
{
	if (idx < 128 && (idx > REG_D || idx == 1 || idx == 3 || idx == 5))
		r->cmos[idx] = val;
}

uint8_t rtc_cmos_get(struct rtc *r, unsigned idx)
{
	return idx < 128 ? r->cmos[idx] : 0xff;
}

static void rtc_reset(struct device *d)
{
	struct rtc *r = (struct rtc *)d;
	int64_t now = vm_clock_ns(d->vm);
	/* RESET clears PIE, AIE, UIE, SQWE and the flags of register C; the
	 * time and the other CMOS bytes survive. */
	r->cmos[REG_B] &= ~(B_PIE | B_AIE | B_UIE | 0x08);
	r->cmos[REG_C] = 0;
	rtc_set_irq(r, 0);
	r->last_sec = rtc_sec(r, now);
	r->last_period = 0;
	rtc_arm(r, now);
}

static int rtc_realize(struct device *d, struct error **errp)
{
	struct rtc *r = (struct rtc *)d;
	struct vm *vm = d->vm;
	if (r->irq_num >= 24) {
		error_setg(errp, "mc146818rtc: irq %u out of range", r->irq_num);
		return -1;
	}
	r->irq = vm->gsi[r->irq_num];
	timer_init(&r->timer, vm, rtc_timer_cb, r);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	rtc_set_clock(r, vm_clock_ns(vm), ts.tv_sec, ts.tv_nsec);
	/* Power-on: 32.768 kHz time base, 1024 Hz periodic rate (RS=6), 24 h
	 * BCD, as a PC BIOS programs it. */
	r->cmos[REG_A] = 0x26;
	r->cmos[REG_B] = B_24H;
	rtc_store_time(r, rtc_sec(r, vm_clock_ns(vm)));
	if (!pio_add(vm, "rtc", r->iobase, 2, &rtc_ops, r)) {
		error_setg(errp, "mc146818rtc: I/O ports 0x%x-0x%x already in use", r->iobase, r->iobase + 1);
		return -1;
	}
	rtc_reset(d);
	return 0;
}

static void rtc_unrealize(struct device *d)
{
	timer_del(&((struct rtc *)d)->timer);
}

static const struct prop rtc_props[] = {
	{ "iobase", PROP_U32, offsetof(struct rtc, iobase), "0x70", "I/O base" },
	{ "irq", PROP_U32, offsetof(struct rtc, irq_num), "8", "ISA IRQ" },
	PROP_END,
};

const struct device_class rtc_class = {
	.name = "mc146818rtc",
	.desc = "MC146818 RTC with 128 bytes of CMOS",
	.bus = "isa",
	.size = sizeof(struct rtc),
	.props = rtc_props,
	.realize = rtc_realize,
	.reset = rtc_reset,
	.unrealize = rtc_unrealize,
};
