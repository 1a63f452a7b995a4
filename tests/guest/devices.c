/* PC devices: 8254 PIT (channel 0 IRQ0 through the 8259 PIC, channel 2 gated by port 0x61),
 * MC146818 RTC/CMOS (register formats, update-in-progress, periodic interrupt on IRQ8),
 * 16550A UART (IER/IIR/LCR/MCR/LSR/MSR, loopback, FIFO, THRE interrupt on IRQ4).
 * Only counts, orders and register values are printed, never timings. */
#include "guest.h"

#define COM1 0x3f8

static volatile unsigned irq_count[16];
static volatile uint8_t rtc_c_seen;

static void on_irq(struct frame *f)
{
	unsigned irq = (unsigned)f->vector - 0x20;
	irq_count[irq]++;
	if (irq == 8) {
		outb(0x70, 0x0c);
		rtc_c_seen = inb(0x71);	/* reading C acknowledges the RTC interrupt */
	}
	if (irq == 4)
		(void)inb(COM1 + 2);	/* IIR read clears a THRE interrupt */
	pic_eoi(irq);
}

/* wait until irq_count[irq] reaches n, with hlt; a bound on the number of wake-ups keeps a
 * broken emulator from hanging the test (the runner has a timeout too) */
static int wait_count(unsigned irq, unsigned n)
{
	for (unsigned i = 0; i < 100000 && irq_count[irq] < n; i++)
		wait_irq();
	return irq_count[irq] >= n;
}

static void pit(void)
{
	printf("-- PIT\n");
	/* channel 0, lobyte/hibyte, mode 2 (rate generator), 1193182/11932 = 100 Hz */
	outb(0x43, 0x34);
	outb(0x40, 11932 & 0xff);
	outb(0x40, 11932 >> 8);
	pic_unmask(0);
	int ok = wait_count(0, 10);
	pic_mask(0);
	printf("irq0: reached 10 interrupts: %s\n", ok ? "yes" : "no");
	/* read-back status of channel 0: bits 5:0 = access mode and mode as programmed */
	outb(0x43, 0xe2);	/* read-back, latch status only, channel 0 */
	uint8_t st = inb(0x40);
	printf("channel 0 status: access=%u mode=%u bcd=%u\n", (st >> 4) & 3, (st >> 1) & 7, st & 1);
	/* counter latch: the count is within 1..11932 */
	outb(0x43, 0x00);
	unsigned lo = inb(0x40), hi = inb(0x40), c = lo | hi << 8;
	printf("channel 0 latched count in range: %s\n", c >= 1 && c <= 11932 ? "yes" : "no");

	/* channel 2, gate via port 0x61 bit 0, speaker off (bit 1 = 0); OUT2 is bit 5 */
	outb(0x61, inb(0x61) & ~3);
	outb(0x43, 0xb0);	/* channel 2, lobyte/hibyte, mode 0 */
	outb(0x42, 0xff);
	outb(0x42, 0xff);
	printf("mode 0 programmed: out2=%u\n", (inb(0x61) >> 5) & 1);
	outb(0x43, 0xb0);
	outb(0x42, 100);
	outb(0x42, 0);
	outb(0x61, (inb(0x61) & ~2) | 1);	/* gate on */
	unsigned i;
	for (i = 0; i < 10000000 && !(inb(0x61) & 0x20); i++)
		;
	printf("mode 0, count 100, gate on: out2 went high: %s\n", i < 10000000 ? "yes" : "no");
	/* (QEMU's PIT does not stop mode-0 counting when the gate goes low: not compared.) */
	/* port 0x61 bit 4 toggles with the DRAM refresh clock */
	uint8_t r0 = inb(0x61) & 0x10;
	for (i = 0; i < 10000000 && (inb(0x61) & 0x10) == r0; i++)
		;
	printf("port 0x61 refresh bit toggles: %s\n", i < 10000000 ? "yes" : "no");
}

static uint8_t cmos(uint8_t r)
{
	outb(0x70, r);
	return inb(0x71);
}

static void cmos_w(uint8_t r, uint8_t v)
{
	outb(0x70, r);
	outb(0x71, v);
}

static int bcd_ok(uint8_t v, int max)
{
	return (v & 0xf) <= 9 && (v >> 4) <= 9 && ((v >> 4) * 10 + (v & 0xf)) <= max;
}

static void rtc(void)
{
	printf("-- RTC\n");
	printf("reg B=0x%x (24h, BCD)\n", cmos(0x0b));
	printf("reg D=0x%x (valid RAM and time)\n", cmos(0x0d));
	printf("reg A divider=0x%x rate=0x%x\n", (cmos(0x0a) >> 4) & 7, cmos(0x0a) & 0xf);
	/* wait for an update cycle: UIP (reg A bit 7) goes to 1, then back to 0 */
	unsigned i, j;
	for (i = 0; i < 50000000 && !(cmos(0x0a) & 0x80); i++)
		;
	for (j = 0; j < 50000000 && (cmos(0x0a) & 0x80); j++)
		;
	printf("update in progress seen, then cleared: %s\n", i < 50000000 && j < 50000000 ? "yes" : "no");
	uint8_t s = cmos(0), m = cmos(2), h = cmos(4), wd = cmos(6), d = cmos(7), mo = cmos(8), y = cmos(9);
	printf("BCD fields valid: %s\n",
	       bcd_ok(s, 59) && bcd_ok(m, 59) && bcd_ok(h, 23) && bcd_ok(wd, 7) && wd >= 1 && bcd_ok(d, 31) &&
			       d >= 1 && bcd_ok(mo, 12) && mo >= 1 && bcd_ok(y, 99)
		       ? "yes" : "no");
	/* binary mode (reg B bit 2) */
	cmos_w(0x0b, cmos(0x0b) | 0x04);
	s = cmos(0), m = cmos(2), h = cmos(4), d = cmos(7), mo = cmos(8);
	printf("binary fields valid: %s\n", s <= 59 && m <= 59 && h <= 23 && d >= 1 && d <= 31 && mo >= 1 && mo <= 12 ? "yes" : "no");
	/* set the time with SET (bit 7) held, read it back */
	cmos_w(0x0b, cmos(0x0b) | 0x80);
	cmos_w(0x04, 13);
	cmos_w(0x02, 45);
	cmos_w(0x00, 10);
	printf("while SET: %u:%u:%u\n", cmos(4), cmos(2), cmos(0));
	/* 12-hour mode: 13h binary reads as 1 with the PM bit (bit 7) after a write in that mode */
	cmos_w(0x0b, (cmos(0x0b) & ~0x02));
	cmos_w(0x04, 0x81);	/* 1 PM */
	printf("12-hour mode hour register: 0x%x\n", cmos(4));
	cmos_w(0x0b, 0x02);	/* back to 24h BCD, SET cleared */
	/* CMOS RAM */
	cmos_w(0x40, 0x5a);
	cmos_w(0x41, 0xa5);
	printf("cmos ram 0x40=0x%x 0x41=0x%x\n", cmos(0x40), cmos(0x41));
	/* periodic interrupt: rate 6 (1024 Hz), PIE (reg B bit 6), IRQ8 through the slave PIC */
	cmos_w(0x0a, (cmos(0x0a) & 0xf0) | 0x06);
	(void)cmos(0x0c);
	cmos_w(0x0b, cmos(0x0b) | 0x40);
	pic_unmask(8);
	int ok = wait_count(8, 8);
	cmos_w(0x0b, cmos(0x0b) & ~0x40);
	pic_mask(8);
	printf("irq8 periodic: reached 8 interrupts: %s, reg C had PF|IRQF: 0x%x\n", ok ? "yes" : "no",
	       rtc_c_seen & 0xc0);
}

static int guest_uart_poll_rx(uint8_t *c)
{
	for (int i = 0; i < 100000; i++)
		if (inb(COM1 + 5) & 1) {
			*c = inb(COM1);
			return 1;
		}
	return 0;
}

static void uart(void)
{
	printf("-- UART\n");
	printf("IER=0x%x IIR=0x%x LCR=0x%x MCR=0x%x LSR=0x%x\n", inb(COM1 + 1), inb(COM1 + 2), inb(COM1 + 3),
	       inb(COM1 + 4), inb(COM1 + 5) & 0x7f);
	/* From here to the end of the loopback tests the output is buffered: with DLAB set or in
	 * loopback, bytes written to THR do not go out. */
	out_buffer(1);
	/* scratch register and divisor latch */
	outb(COM1 + 7, 0x5a);
	printf("scratch: 0x%x\n", inb(COM1 + 7));
	outb(COM1 + 3, 0x80);
	outb(COM1, 0x0c);
	outb(COM1 + 1, 0x00);
	printf("divisor latch: 0x%x%02x\n", inb(COM1 + 1), inb(COM1));
	outb(COM1, 0x01);
	outb(COM1 + 3, 0x1b);	/* 8 bits, even parity */
	printf("LCR=0x%x\n", inb(COM1 + 3));
	outb(COM1 + 3, 0x03);

	/* loopback (MCR bit 4): transmitted bytes come back on the receiver; MSR mirrors MCR */
	outb(COM1 + 2, 0x07);	/* FIFO on and cleared */
	outb(COM1 + 4, 0x10 | 0x0f);
	printf("loopback MSR=0x%x (CTS/DSR/RI/DCD from RTS/DTR/OUT1/OUT2)\n", inb(COM1 + 6) & 0xf0);
	outb(COM1 + 4, 0x10);
	printf("loopback MSR=0x%x after clearing MCR\n", inb(COM1 + 6) & 0xf0);
	const char *msg = "loopback!";
	for (const char *p = msg; *p; p++)
		outb(COM1, (uint8_t)*p);
	char got[32];
	unsigned n = 0;
	uint8_t c;
	while (n < sizeof(got) - 1 && guest_uart_poll_rx(&c))
		got[n++] = (char)c;
	got[n] = 0;
	printf("received in loopback: '%s'\n", got);
	printf("LSR after draining: DR=%u\n", inb(COM1 + 5) & 1);
	/* FIFO: 16 bytes are held, then read back in order */
	for (int i = 0; i < 16; i++)
		outb(COM1, (uint8_t)('a' + i));
	for (volatile int d = 0; d < 10000; d++)
		;
	n = 0;
	while (n < sizeof(got) - 1 && guest_uart_poll_rx(&c))
		got[n++] = (char)c;
	got[n] = 0;
	printf("16 bytes through the FIFO: '%s'\n", got);
	outb(COM1 + 4, 0x00);
	out_buffer(0);

	/* THRE interrupt: IER bit 1 with OUT2 (MCR bit 3) gating IRQ4 */
	outb(COM1 + 4, 0x08);
	outb(COM1 + 1, 0x02);
	uint8_t iir1 = inb(COM1 + 2), iir2 = inb(COM1 + 2);
	printf("IIR with THRE enabled: 0x%x, read again: 0x%x\n", iir1, iir2);
	pic_unmask(4);
	irq_count[4] = 0;
	outb(COM1, '.');
	wait_count(4, 1);
	outb(COM1, '\n');
	wait_count(4, 2);
	outb(COM1 + 1, 0x00);
	pic_mask(4);
	printf("THRE interrupts after 2 bytes: %s\n", irq_count[4] >= 2 ? ">= 2" : "fewer");
	outb(COM1 + 4, 0x00);
}

int guest_no_uart_init = 1;

int main(void)
{
	pic_init();
	for (unsigned irq = 0; irq < 16; irq++)
		trap_register(PIC_VEC(irq), on_irq);
	uart();
	pit();
	rtc();
	return 0;
}
