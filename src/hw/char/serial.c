/*
 * 16550A UART.  Reference: National Semiconductor PC16550D datasheet
 * (June 1995): Table II register summary (RBR/THR/DLL at 0, IER/DLM at 1,
 * IIR/FCR at 2, LCR, MCR, LSR, MSR, SCR), §8.4 LSR, §8.6 IIR and Table
 * IV interrupt priorities (RLS > RDA/character timeout > THRE > modem
 * status), §8.5 FCR (FIFO enable/reset, receiver trigger 1/4/8/14), §8.7
 * IER, §8.8 MCR (loopback wiring: RTS->CTS, DTR->DSR, OUT1->RI,
 * OUT2->DCD), §8.9 MSR (delta bits, TERI), "FIFO Interrupt Mode
 * Operation" (character timeout after 4 character times).
 *
 * Transmission is immediate: a byte written to THR goes straight to the
 * chardev (which never blocks) and THR/TSR are empty again at once.
 */
#include "hw/char/serial.h"

#include <string.h>

#include "chardev/chardev.h"
#include "core/vm.h"
#include "util/error.h"

#define IER_RDI 0x01
#define IER_THRI 0x02
#define IER_RLSI 0x04
#define IER_MSI 0x08

#define IIR_NO_INT 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_CTI 0x0c
#define IIR_FIFO 0xc0

#define LCR_DLAB 0x80
#define MCR_LOOP 0x10
#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_PE 0x04
#define LSR_FE 0x08
#define LSR_BI 0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)
#define FCR_ENABLE 0x01
#define MSR_DELTAS 0x0f

#define UART_CLOCK 1843200 /* Hz: divisor 1 = 115200 baud */

static bool fifo_on(const struct serial *s)
{
	return s->fcr & FCR_ENABLE;
}

static int rx_trigger(const struct serial *s)
{
	static const int lv[4] = { 1, 4, 8, 14 };
	return fifo_on(s) ? lv[s->fcr >> 6] : 1;
}

/* Interrupt identification in priority order (Table IV). */
static void serial_update_irq(struct serial *s)
{
	uint8_t id = IIR_NO_INT;
	if ((s->ier & IER_RLSI) && (s->lsr & LSR_ERRS))
		id = IIR_RLSI;
	else if ((s->ier & IER_RDI) && s->timeout_ipending)
		id = IIR_CTI;
	else if ((s->ier & IER_RDI) && s->rx_count >= rx_trigger(s))
		id = IIR_RDI;
	else if ((s->ier & IER_THRI) && s->thr_ipending)
		id = IIR_THRI;
	else if ((s->ier & IER_MSI) && (s->msr & MSR_DELTAS))
		id = IIR_MSI;
	s->iir = id | (fifo_on(s) ? IIR_FIFO : 0);
	int level = id != IIR_NO_INT;
	if (level != s->irq_level) {
		s->irq_level = level;
		irq_set(&s->irq, level);
	}
}

/* One character on the wire: start + data + parity + stop bits. */
static int64_t serial_char_ns(const struct serial *s)
{
	int bits = 1 + 5 + (s->lcr & 3) + ((s->lcr & 0x08) ? 1 : 0) + ((s->lcr & 0x04) ? 2 : 1);
	uint32_t div = s->divider ? s->divider : 1;
	return (int64_t)bits * div * 16 * 1000000000ll / UART_CLOCK;
}

static void serial_arm_timeout(struct serial *s)
{
	s->timeout_ipending = false;
	if (fifo_on(s) && s->rx_count)
		timer_mod(&s->rx_timer, vm_clock_ns(s->vm) + 4 * serial_char_ns(s));
	else
		timer_del(&s->rx_timer);
}

static void serial_timeout_cb(void *opaque)
{
	struct serial *s = opaque;
	if (fifo_on(s) && s->rx_count) {
		s->timeout_ipending = true;
		serial_update_irq(s);
	}
}

static void rx_push(struct serial *s, uint8_t c)
{
	int cap = fifo_on(s) ? UART_FIFO_SIZE : 1;
	if (s->rx_count >= cap) {
		/* Overrun: the FIFO keeps its contents (a 16450 overwrites
		 * RBR; in FIFO mode the new character is lost). */
		s->lsr |= LSR_OE;
		if (!fifo_on(s))
			s->rx_fifo[s->rx_head] = c;
		return;
	}
	s->rx_fifo[(s->rx_head + s->rx_count) % UART_FIFO_SIZE] = c;
	s->rx_count++;
	s->lsr |= LSR_DR;
}

size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		rx_push(s, buf[i]);
	serial_arm_timeout(s);
	serial_update_irq(s);
	return len;
}

/* The modem status inputs: the chardev side is always "ready" (DCD, DSR,
 * CTS), loopback wires them to MCR. */
static void serial_update_msr(struct serial *s)
{
	uint8_t in;
	if (s->mcr & MCR_LOOP)
		in = ((s->mcr & 0x02) << 3) | ((s->mcr & 0x01) << 5) | ((s->mcr & 0x04) << 4) |
		     ((s->mcr & 0x08) << 4);
	else
		in = 0xb0;
	uint8_t old = s->msr & 0xf0;
	uint8_t d = 0;
	if ((old ^ in) & 0x10)
		d |= 0x01; /* DCTS */
	if ((old ^ in) & 0x20)
		d |= 0x02; /* DDSR */
	if ((old & 0x40) && !(in & 0x40))
		d |= 0x04; /* TERI: trailing edge of RI */
	if ((old ^ in) & 0x80)
		d |= 0x08; /* DDCD */
	s->msr = in | (s->msr & MSR_DELTAS) | d;
}

static void serial_transmit(struct serial *s, uint8_t c)
{
	if (s->mcr & MCR_LOOP) {
		rx_push(s, c);
		serial_arm_timeout(s);
	} else if (s->chr) {
		chardev_write(s->chr, &c, 1);
	}
	/* THR and TSR are empty again: THRE interrupt. */
	s->thr_ipending = true;
}

uint8_t serial_read(struct serial *s, unsigned reg)
{
	uint8_t v;
	switch (reg & 7) {
	case 0:
		if (s->lcr & LCR_DLAB)
			return s->divider & 0xff;
		v = s->rx_fifo[s->rx_head]; /* empty: the last character again */
		if (s->rx_count) {
			s->rx_head = (s->rx_head + 1) % UART_FIFO_SIZE;
			s->rx_count--;
		}
		if (!s->rx_count)
			s->lsr &= ~LSR_DR;
		serial_arm_timeout(s);
		serial_update_irq(s);
		if (s->chr && !(s->mcr & MCR_LOOP))
			chardev_accept_input(s->chr);
		return v;
	case 1:
		if (s->lcr & LCR_DLAB)
			return s->divider >> 8;
		return s->ier;
	case 2:
		v = s->iir;
		/* Reading IIR when it reports THRE clears that interrupt. */
		if ((v & 0x0f) == IIR_THRI) {
			s->thr_ipending = false;
			serial_update_irq(s);
		}
		return v;
	case 3:
		return s->lcr;
	case 4:
		return s->mcr;
	case 5:
		v = s->lsr;
		if (fifo_on(s) && (s->lsr & LSR_BI))
			v |= 0x80; /* error in the FIFO */
		s->lsr &= ~LSR_ERRS;
		serial_update_irq(s);
		return v;
	case 6:
		v = s->msr;
		s->msr &= ~MSR_DELTAS;
		serial_update_irq(s);
		return v;
	default:
		return s->scr;
	}
}

void serial_write(struct serial *s, unsigned reg, uint8_t v)
{
	switch (reg & 7) {
	case 0:
		if (s->lcr & LCR_DLAB) {
			s->divider = (s->divider & 0xff00) | v;
			return;
		}
		s->thr_ipending = false;
		serial_transmit(s, v);
		break;
	case 1:
		if (s->lcr & LCR_DLAB) {
			s->divider = (s->divider & 0x00ff) | (uint16_t)v << 8;
			return;
		}
		/* Enabling ETBEI while THR is empty raises THRE at once (the
		 * "THRE test" drivers use). */
		if ((v & IER_THRI) && !(s->ier & IER_THRI) && (s->lsr & LSR_THRE))
			s->thr_ipending = true;
		s->ier = v & 0x0f;
		break;
	case 2: {
		uint8_t nf = v & 0xc9;
		/* Changing the FIFO enable clears both FIFOs. */
		if ((nf ^ s->fcr) & FCR_ENABLE)
			v |= 0x06;
		if (v & 0x02) {
			s->rx_count = 0;
			s->rx_head = 0;
			s->lsr &= ~LSR_DR;
			s->timeout_ipending = false;
			timer_del(&s->rx_timer);
		}
		s->fcr = (nf & FCR_ENABLE) ? nf : 0;
		if (s->chr && (v & 0x02))
			chardev_accept_input(s->chr);
		break;
	}
	case 3:
		s->lcr = v;
		return;
	case 4: {
		bool was_loop = s->mcr & MCR_LOOP;
		s->mcr = v & 0x1f;
		serial_update_msr(s);
		if (was_loop && !(s->mcr & MCR_LOOP) && s->chr)
			chardev_accept_input(s->chr);
		break;
	}
	case 5:
		return; /* LSR: factory test only */
	case 6:
		return; /* MSR is read-only */
	default:
		s->scr = v;
		return;
	}
	serial_update_irq(s);
}

/* --- chardev frontend --------------------------------------------- */

static size_t serial_can_receive(void *opaque)
{
	struct serial *s = opaque;
	if (s->mcr & MCR_LOOP)
		return 0; /* the receiver listens to the transmitter */
	int cap = fifo_on(s) ? UART_FIFO_SIZE : 1;
	return s->rx_count < cap ? (size_t)(cap - s->rx_count) : 0;
}

static void serial_chr_receive(void *opaque, const uint8_t *buf, size_t len)
{
	serial_receive(opaque, buf, len);
}

static void serial_chr_event(void *opaque, enum chardev_event ev)
{
	struct serial *s = opaque;
	if (ev == CHR_EVENT_BREAK) {
		/* A break: a zero character with BI set (§8.4). */
		rx_push(s, 0);
		s->lsr |= LSR_BI;
		serial_arm_timeout(s);
		serial_update_irq(s);
	}
}

void serial_reset(struct serial *s)
{
	s->divider = 12; /* 9600 baud, a common power-on choice */
	s->ier = 0;
	s->lcr = 0;
	/* The datasheet resets MCR to 0; QEMU (the reference the test guests
	 * are compared against) comes up with OUT2 set, as a PC BIOS leaves
	 * it (OUT2 gates the IRQ on PC boards). */
	s->mcr = 0x08;
	s->scr = 0;
	s->fcr = 0;
	s->lsr = LSR_THRE | LSR_TEMT;
	s->msr = 0xb0;
	s->rx_head = s->rx_count = 0;
	s->thr_ipending = false;
	s->timeout_ipending = false;
	timer_del(&s->rx_timer);
	serial_update_irq(s);
}

int serial_init(struct serial *s, struct vm *vm, struct chardev *chr, struct irq irq, struct error **errp)
{
	s->vm = vm;
	s->chr = chr;
	s->irq = irq;
	s->irq_level = 0;
	timer_init(&s->rx_timer, vm, serial_timeout_cb, s);
	serial_reset(s);
	if (chr) {
		s->fe = (struct chardev_fe){ serial_can_receive, serial_chr_receive, serial_chr_event, s };
		if (chardev_attach(chr, &s->fe, errp) < 0)
			return -1;
	}
	return 0;
}

void serial_fini(struct serial *s)
{
	timer_del(&s->rx_timer);
	if (s->chr)
		chardev_detach(s->chr, s);
	s->chr = NULL;
}
