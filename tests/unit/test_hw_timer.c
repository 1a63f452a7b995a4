/*
 * 8254 PIT (modes, latch, read-back, BCD, channel 2 through port 0x61),
 * MC146818 RTC (formats, SET, UIP, periodic/update/alarm interrupts on
 * IRQ8, CMOS) and HPET (counter, one-shot, periodic, 32-bit, level/edge,
 * legacy replacement cutting the PIT and RTC lines), on a manual clock.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "hw/intc/ioapic.h"
#include "hw/intc/lapic.h"
#include "hw/timer/hpet.h"
#include "hw/timer/i8254.h"
#include "hw/timer/mc146818rtc.h"
#include "hw/x86/pc_devices.h"
#include "hw_fake.h"
#include "util/error.h"

static struct vm *vm;
/* rising edges and current level seen on ISA IRQ lines */
static int edges[24], level[24];

static void count_irq(void *opaque, int n, int l)
{
	if (l && !level[n])
		edges[n]++;
	level[n] = l;
}

static void out(uint16_t port, uint8_t v) { pio_write(vm, port, v, 1); }
static uint8_t in(uint16_t port) { return pio_read(vm, port, 1); }
/* Nanoseconds for k PIT clocks (rounded up so that k have elapsed). */
static int64_t pit_ns(int64_t k) { return (k * 1000000000 + PIT_FREQ - 1) / PIT_FREQ; }
/* Two data-port reads, LSB first (kept in order: C leaves the order of
 * the operands of | unspecified). */
static uint16_t read_word(int ch)
{
	uint8_t lo = in(0x40 + ch);
	return lo | in(0x40 + ch) << 8;
}
static uint16_t latch_read(int ch)
{
	out(0x43, ch << 6);
	uint8_t lo = in(0x40 + ch);
	return lo | in(0x40 + ch) << 8;
}

static void test_pit(void)
{
	/* channel 0, mode 2 (rate generator), ~1 kHz as Linux programs it */
	out(0x43, 0x34);
	out(0x43, 0xe2); /* read-back status of channel 0 */
	tap_ok(in(0x40) == 0xf4, "status after control word: OUT high, null count, rw=3, mode 2");
	out(0x40, 0xa9);
	out(0x40, 0x04); /* 1193 */
	fake_advance(vm, pit_ns(100));
	uint16_t v = latch_read(0);
	tap_ok(v == 1093, "mode 2 counter after 100 clocks: %u", v);
	edges[0] = 0;
	fake_advance(vm, 10000000 - pit_ns(100));
	tap_ok(edges[0] == 10, "mode 2: 10 IRQ0 edges in 10 ms at 1193 clocks (%d)", edges[0]);
	out(0x43, 0xe2);
	tap_ok((in(0x40) & 0x40) == 0, "null count clear once the count is loaded");

	/* counter latch holds while the counter runs */
	out(0x43, 0x00);
	fake_advance(vm, pit_ns(50));
	uint8_t lo = in(0x40), hi = in(0x40);
	out(0x43, 0x00);
	uint16_t v2 = read_word(0);
	tap_ok((uint16_t)((lo | hi << 8) - v2) == 50 || (uint16_t)((lo | hi << 8) - v2 + 1193) == 50,
	       "latched value frozen at the latch command (%u then %u)", lo | hi << 8, v2);

	/* mode 0: OUT low until terminal count, one IRQ */
	out(0x43, 0x30);
	out(0x40, 100);
	out(0x40, 0);
	edges[0] = 0;
	fake_advance(vm, pit_ns(99));
	out(0x43, 0xe2);
	tap_ok((in(0x40) & 0x80) == 0, "mode 0: OUT low before terminal count");
	fake_advance(vm, pit_ns(100) - pit_ns(99));
	out(0x43, 0xe2);
	tap_ok((in(0x40) & 0x80) && edges[0] == 1 && level[0], "mode 0: OUT high and IRQ0 raised at count 0");
	fake_advance(vm, pit_ns(70000));
	tap_ok(edges[0] == 1, "mode 0 interrupts once");
	v = latch_read(0);
	tap_ok(v == (uint16_t)(100 - 70100), "mode 0 keeps counting through 0 and wraps (%u)", v);

	/* LSB-only and MSB-only access, BCD */
	out(0x43, 0x50); /* ch1, LSB only, mode 0 */
	out(0x41, 0x80);
	fake_advance(vm, pit_ns(16));
	tap_ok(in(0x41) == 0x70, "LSB-only read/write");
	out(0x43, 0x61); /* ch1, MSB only, mode 0, BCD */
	out(0x41, 0x10); /* 0x1000 BCD = 1000 */
	fake_advance(vm, pit_ns(100));
	tap_ok(in(0x41) == 0x09, "BCD count 1000 - 100 = 0900, MSB 0x09");
	out(0x43, 0x71); /* ch1, LSB/MSB, mode 0, BCD */
	out(0x41, 0x00);
	out(0x41, 0x10);
	fake_advance(vm, pit_ns(10));
	v = latch_read(1);
	tap_ok(v == 0x0990, "BCD 1000 - 10 = 0x0990 (0x%04x)", v);

	/* read-back of count and status together: status comes first */
	out(0x43, 0x34);
	out(0x40, 0x00);
	out(0x40, 0x10);
	out(0x43, 0xc2);
	uint8_t st = in(0x40);
	tap_ok((st & 0x3f) == 0x34, "read-back: status byte first (0x%02x)", st);
	v = read_word(0);
	tap_ok(v <= 0x1000 && v > 0xf00, "then the latched count (0x%x)", v);

	/* channel 2 and port 0x61: the classic calibration loop */
	out(0x61, 0x00);
	out(0x43, 0xb0); /* ch2, mode 0 */
	out(0x42, 0xe8);
	out(0x42, 0x03); /* 1000 */
	fake_advance(vm, pit_ns(2000));
	tap_ok((in(0x61) & 0x20) == 0, "gate low: channel 2 does not count, OUT low");
	out(0x61, 0x01);
	fake_advance(vm, pit_ns(999));
	tap_ok((in(0x61) & 0x21) == 0x01, "gate high: still counting after 999 clocks");
	fake_advance(vm, pit_ns(1000) - pit_ns(999));
	tap_ok((in(0x61) & 0x20) == 0x20, "OUT2 high at terminal count (port 0x61 bit 5)");
	out(0x61, 0x03);
	tap_ok((in(0x61) & 0x0f) == 0x03, "speaker data bit reads back");
	/* gate low suspends mode 0 */
	out(0x43, 0xb0);
	out(0x42, 0x00);
	out(0x42, 0x01); /* 256 */
	fake_advance(vm, pit_ns(100));
	out(0x61, 0x00);
	fake_advance(vm, pit_ns(1000));
	v = latch_read(2);
	tap_ok(v == 156, "mode 0 suspended by GATE low at 156 (%u)", v);
	/* mode 1: one-shot triggered by the gate */
	out(0x43, 0xb2);
	out(0x42, 50);
	out(0x42, 0);
	fake_advance(vm, pit_ns(100));
	tap_ok(in(0x61) & 0x20, "mode 1: OUT high until triggered");
	out(0x61, 0x01);
	fake_advance(vm, pit_ns(10));
	tap_ok(!(in(0x61) & 0x20), "mode 1: OUT low after the gate edge");
	fake_advance(vm, pit_ns(50));
	tap_ok(in(0x61) & 0x20, "mode 1: OUT high after N clocks");
	/* mode 3 square wave */
	out(0x43, 0xb6);
	out(0x42, 100);
	out(0x42, 0);
	out(0x61, 0x00);
	out(0x61, 0x01);
	fake_advance(vm, pit_ns(25));
	int o1 = !!(in(0x61) & 0x20);
	v = latch_read(2);
	fake_advance(vm, pit_ns(50));
	int o2 = !!(in(0x61) & 0x20);
	tap_ok(o1 == 1 && o2 == 0 && v == 50, "mode 3: high first half (count %u by twos), low second", v);
	/* refresh toggle */
	uint8_t r1 = in(0x61) & 0x10;
	fake_advance(vm, 15085);
	tap_ok((in(0x61) & 0x10) != r1, "refresh toggle flips every 15 us");
}

static uint8_t cmos(uint8_t idx)
{
	out(0x70, idx);
	return in(0x71);
}
static void cmos_w(uint8_t idx, uint8_t v)
{
	out(0x70, idx);
	out(0x71, v);
}

static void test_rtc(void)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	uint8_t min = cmos(2);
	int m = (min >> 4) * 10 + (min & 15);
	tap_ok(m == tm.tm_min || m == (tm.tm_min + 1) % 60, "minutes from the host UTC clock (BCD 0x%02x)", min);
	tap_ok(cmos(0x0b) == 0x02 && cmos(0x0a) == 0x26 && cmos(0x0d) == 0x80, "B=02 (24h BCD), A=26, D=VRT");
	tap_ok(in(0x70) == 0xff, "index port reads 0xff");
	/* set 2024-02-29 23:59:58 with SET */
	int64_t t0 = vm_clock_ns(vm);
	cmos_w(0x0b, 0x82);
	cmos_w(0, 0x58); cmos_w(2, 0x59); cmos_w(4, 0x23); cmos_w(7, 0x29); cmos_w(8, 0x02); cmos_w(9, 0x24);
	cmos_w(0x32, 0x20);
	fake_advance(vm, 3000000000);
	tap_ok(cmos(0) == 0x58, "SET holds the clock");
	t0 = vm_clock_ns(vm);
	cmos_w(0x0b, 0x02);
	fake_advance(vm, 2000000000);
	tap_ok(cmos(0) == 0 && cmos(2) == 0 && cmos(4) == 0 && cmos(7) == 1 && cmos(8) == 3 && cmos(9) == 0x24,
	       "2024-02-29 23:59:58 + 2 s = 2024-03-01 00:00:00");
	tap_ok(cmos(6) == 6, "day of week: Friday = 6");
	/* UIP: 244 us before each update */
	fake_set_clock(vm, t0 + 3000000000 - 100000);
	tap_ok(cmos(0x0a) & 0x80, "UIP set 100 us before the update");
	fake_set_clock(vm, t0 + 3000000000 - 300000);
	fake_set_clock(vm, t0 + 3000000000 + 10000);
	tap_ok(!(cmos(0x0a) & 0x80), "UIP clear after it");
	fake_set_clock(vm, t0 + 4000000000 - 300000);
	tap_ok(!(cmos(0x0a) & 0x80), "UIP clear 300 us before");
	/* binary and 12-hour formats: now 00:00:02 */
	cmos_w(0x0b, 0x82);
	cmos_w(0, 0x58); cmos_w(2, 0x59); cmos_w(4, 0x23);
	cmos_w(0x0b, 0x02);
	cmos_w(0x0b, 0x00); /* 12 h BCD */
	tap_ok(cmos(4) == 0x91, "12-hour BCD: 23 h reads 0x91 (PM|11) (0x%02x)", cmos(4));
	cmos_w(0x0b, 0x06);
	tap_ok(cmos(4) == 23 && cmos(2) == 59, "binary 24-hour");
	cmos_w(0x0b, 0x02);
	/* periodic interrupt, RS=6: 976.5625 us */
	cmos(0x0c);
	edges[8] = 0;
	cmos_w(0x0b, 0x42);
	fake_advance(vm, 1000000);
	tap_ok(edges[8] == 1 && level[8], "periodic interrupt raises IRQ8");
	uint8_t c = cmos(0x0c);
	tap_ok((c & 0xc0) == 0xc0 && !level[8], "C = IRQF|PF (0x%02x), reading C lowers IRQ8", c);
	tap_ok(cmos(0x0c) == 0, "C cleared by the read");
	fake_advance(vm, 10000000);
	tap_ok(edges[8] == 2, "IRQ8 held high until C is read: one edge (%d)", edges[8]);
	cmos_w(0x0b, 0x02);
	cmos(0x0c);
	/* update-ended interrupt */
	edges[8] = 0;
	cmos_w(0x0b, 0x12);
	fake_advance(vm, 1000000000);
	c = cmos(0x0c);
	tap_ok(edges[8] == 1 && (c & 0x90) == 0x90, "update-ended interrupt each second (C=0x%02x)", c);
	cmos_w(0x0b, 0x02);
	cmos(0x0c);
	/* alarm at hh:mm:ss = now + 3 s, read in BCD */
	uint8_t s = cmos(0), mi = cmos(2), h = cmos(4);
	int sec = (s >> 4) * 10 + (s & 15) + 3;
	cmos_w(1, (uint8_t)((sec % 60 / 10) << 4 | sec % 60 % 10));
	cmos_w(3, sec >= 60 ? 0xff : mi);
	cmos_w(5, sec >= 60 ? 0xff : h);
	edges[8] = 0;
	cmos_w(0x0b, 0x22);
	fake_advance(vm, 1900000000);
	tap_ok(edges[8] == 0, "alarm not yet");
	fake_advance(vm, 1200000000);
	c = cmos(0x0c);
	tap_ok(edges[8] == 1 && (c & 0xa0) == 0xa0, "alarm interrupt (C=0x%02x)", c);
	cmos_w(1, 0xff); cmos_w(3, 0xff); cmos_w(5, 0xff);
	fake_advance(vm, 1000000000);
	tap_ok(cmos(0x0c) & 0x20, "don't-care alarm matches every second");
	cmos_w(0x0b, 0x02);
	/* a year past 2262 (beyond int64 nanoseconds) still counts */
	cmos_w(0x0b, 0x82);
	cmos_w(0, 0x59); cmos_w(2, 0x59); cmos_w(4, 0x23); cmos_w(7, 0x31); cmos_w(8, 0x12); cmos_w(9, 0x99);
	cmos_w(0x32, 0x23);
	cmos_w(0x0b, 0x02);
	fake_advance(vm, 1000000000);
	tap_ok(cmos(9) == 0x00 && cmos(0x32) == 0x24 && cmos(8) == 1 && cmos(7) == 1,
	       "2399-12-31 23:59:59 + 1 s = 2400-01-01 (century byte 0x%02x)", cmos(0x32));
	cmos(0x0c);
	/* SET clears UIE */
	cmos_w(0x0b, 0x92);
	tap_ok(cmos(0x0b) == 0x82, "SET clears UIE");
	cmos_w(0x0b, 0x02);
	/* CMOS RAM and NMI bit */
	out(0x70, 0x80 | 0x40);
	out(0x71, 0x5a);
	tap_ok(cmos(0x40) == 0x5a, "CMOS RAM byte (index written with the NMI-disable bit)");
	pc_cmos_set(vm, 0x15, 0x80);
	tap_ok(cmos(0x15) == 0x80, "pc_cmos_set fills CMOS for the machine");
	cmos_w(0x0c, 0xff);
	tap_ok(cmos(0x0c) == 0, "C is read-only");
}

#define HPET HPET_BASE
static uint64_t hr(unsigned off) { return fake_mmio_read(vm, HPET + off, 8); }
static void hw(unsigned off, uint64_t v) { fake_mmio_write(vm, HPET + off, v, 8); }
static uint32_t hr32(unsigned off) { return (uint32_t)fake_mmio_read(vm, HPET + off, 4); }
static void hw32(unsigned off, uint32_t v) { fake_mmio_write(vm, HPET + off, v, 4); }

static void test_hpet(void)
{
	tap_ok(hr32(0) == 0x8086a201 && hr32(4) == 10000000, "capabilities: 0x%08x period %u fs", hr32(0), hr32(4));
	tap_ok(hr(0xf0) == 0, "counter halted at reset");
	fake_advance(vm, 1000);
	tap_ok(hr(0xf0) == 0, "does not count while disabled");
	hw(0x10, 1);
	fake_advance(vm, 1000);
	tap_ok(hr(0xf0) == 100, "100 MHz counter: 100 ticks in 1 us (%llu)", (unsigned long long)hr(0xf0));
	tap_ok(hr(0x100) & (1ull << 4 | 1ull << 5), "timer 0: periodic and 64-bit capable");
	tap_ok((hr(0x100) >> 32) == 0x00f00000, "route capability GSI 20-23");
	tap_ok(hr(0x108) == ~0ull, "comparator resets to all ones");

	/* legacy replacement: cut the PIT (IRQ0) */
	int e0 = edges[0];
	fake_advance(vm, 10000000);
	tap_ok(edges[0] > e0, "PIT ticks reach IRQ0 outside legacy mode");
	hw(0x10, 3);
	e0 = edges[0];
	fake_advance(vm, 10000000);
	tap_ok(edges[0] == e0, "legacy replacement cuts the PIT");
	/* one-shot edge timer 0 -> IRQ0 */
	hw(0x100, 1 << 2);
	hw(0x108, hr(0xf0) + 1000);
	fake_advance(vm, 9990);
	tap_ok(edges[0] == e0, "one-shot: not before the comparator");
	fake_advance(vm, 20);
	tap_ok(edges[0] == e0 + 1, "one-shot fires at the comparator on IRQ0");
	fake_advance(vm, 1000000);
	tap_ok(edges[0] == e0 + 1, "and only once");
	/* periodic with VAL_SET */
	hw(0x100, 1 << 2 | 1 << 3 | 1 << 6);
	hw(0x108, hr(0xf0) + 1000);
	hw(0x108, 1000);
	e0 = edges[0];
	fake_advance(vm, 100000 + 5);
	tap_ok(edges[0] == e0 + 10, "periodic every 1000 ticks: 10 in 100 us (%d)", edges[0] - e0);
	/* a 1-tick period does not flood: interrupts at most every 10 us */
	hw(0x100, 1 << 2 | 1 << 3 | 1 << 6);
	hw(0x108, hr(0xf0) + 1);
	hw(0x108, 1);
	e0 = edges[0];
	fake_advance(vm, 1000000);
	tap_ok(edges[0] - e0 > 0 && edges[0] - e0 <= 100, "1-tick period: %d interrupts in 1 ms", edges[0] - e0);
	hw(0x100, 0);
	/* timer 1 in legacy mode -> IRQ8, level-triggered with status */
	int e8 = edges[8];
	hw(0x120, 1 << 1 | 1 << 2);
	hw(0x128, hr(0xf0) + 50);
	fake_advance(vm, 600);
	tap_ok(edges[8] == e8 + 1 && level[8] && (hr(0x20) & 2), "level timer 1: IRQ8 held, status bit 1");
	hw(0x20, 2);
	tap_ok(!level[8] && !(hr(0x20) & 2), "writing 1 to the status clears it and the line");
	hw(0x120, 0);
	/* 32-bit mode */
	hw(0x140, 1 << 8);
	hw(0x148, 0x123456789ull);
	tap_ok(hr(0x148) == 0x23456789, "32-bit mode comparator (0x%llx)", (unsigned long long)hr(0x148));
	/* non-legacy route: timer 2 -> GSI 20 -> APIC vector 0x55 */
	fake_mmio_write(vm, IOAPIC_BASE, 0x10 + 2 * 20, 4);
	fake_mmio_write(vm, IOAPIC_BASE + 0x10, 0x55, 4);
	struct vcpu *c0 = vm->vcpus[0];
	fake_set_self(c0);
	fake_mmio_write(vm, APIC_DEFAULT_BASE + 0xf0, 0x1ff, 4);
	hw(0x140, 20 << 9 | 1 << 2);
	hw32(0x148, (uint32_t)hr(0xf0) + 100);
	fake_advance(vm, 1010);
	tap_ok(vm->intc->pending(c0) && vm->intc->ack(c0) == 0x55, "timer 2 routed to GSI 20");
	fake_mmio_write(vm, APIC_DEFAULT_BASE + 0xb0, 0, 4);
	fake_set_self(NULL);
	hw(0x140, 0);
	/* leaving legacy mode hands IRQ0 back to the PIT */
	hw(0x10, 1);
	e0 = edges[0];
	fake_advance(vm, 10000000);
	tap_ok(edges[0] > e0, "PIT back on IRQ0 after legacy mode");
	/* halting keeps the counter */
	hw(0x10, 0);
	uint64_t cnt = hr(0xf0);
	fake_advance(vm, 5000);
	tap_ok(hr(0xf0) == cnt, "disabling freezes the main counter");
	hw(0xf0, 0x1000);
	tap_ok(hr(0xf0) == 0x1000, "main counter writable while halted");
}

int main(void)
{
	vm = fake_vm_new(1);
	if (pc_intc_init(vm)) {
		printf("Bail out! pc_intc_init\n");
		return 1;
	}
	/* watch ISA IRQ0 and IRQ8 */
	vm->gsi[0] = (struct irq){ count_irq, NULL, 0 };
	vm->gsi[8] = (struct irq){ count_irq, NULL, 8 };
	struct error *err = NULL;
	if (pc_isa_devices_init(vm, &err)) {
		printf("Bail out! pc_isa_devices_init: %s\n", err->msg);
		return 1;
	}
	test_pit();
	test_rtc();
	test_hpet();
	fake_vm_free(vm);
	return tap_done();
}
