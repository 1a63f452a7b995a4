/* Runtime of the test guests (both 32- and 64-bit builds): COM1 output, a small printf,
 * descriptor tables, trap dispatch with expected-fault recovery (TRY), the 8259 PIC. */
#include <stdarg.h>
#include "guest.h"

#define COM1 0x3f8

int guest_failures;
struct trap_info last_trap = { .vector = -1 };
volatile ulong trap_fixup;
static void (*handlers[256])(struct frame *);

/* ---- output */
static int buffering;
static char outbuf[8192];
static unsigned outlen;

static void uart_tx(char c)
{
	/* LSR bit 5: transmit holding register empty (16550 data sheet, LSR) */
	for (int i = 0; i < 1000000 && !(inb(COM1 + 5) & 0x20); i++)
		;
	outb(COM1, (uint8_t)c);
}

void putch(char c)
{
	if (buffering) {
		if (outlen < sizeof(outbuf))
			outbuf[outlen++] = c;
		return;
	}
	uart_tx(c);
}

void out_buffer(int on)
{
	buffering = on;
	if (!on) {
		for (unsigned i = 0; i < outlen; i++)
			uart_tx(outbuf[i]);
		outlen = 0;
	}
}

void puts_raw(const char *s)
{
	while (*s)
		putch(*s++);
}

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

static void put_num(unsigned long long v, unsigned base, int width, char pad, int neg)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[n++] = '-';
	while (n < width--)
		putch(pad);
	while (n)
		putch(tmp[--n]);
}

/* %d %u %x %s %c %p with width, '0' padding and l/ll sizes: all the tests need. */
int printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			putch(*fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0, lng = 0;
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			lng++, fmt++;
		unsigned long long v;
		switch (*fmt) {
		case 'd': {
			long long s = lng == 2 ? va_arg(ap, long long) : lng ? va_arg(ap, long) : va_arg(ap, int);
			put_num(s < 0 ? -(unsigned long long)s : (unsigned long long)s, 10, width, pad, s < 0);
			break;
		}
		case 'u':
		case 'x':
			v = lng == 2 ? va_arg(ap, unsigned long long) : lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			put_num(v, *fmt == 'u' ? 10 : 16, width, pad, 0);
			break;
		case 'p':
			puts_raw("0x");
			put_num((ulong)va_arg(ap, void *), 16, width, pad, 0);
			break;
		case 's':
			puts_raw(va_arg(ap, const char *));
			break;
		case 'c':
			putch((char)va_arg(ap, int));
			break;
		default:
			putch(*fmt);
		}
	}
	va_end(ap);
	return 0;
}

__attribute__((noreturn)) void guest_exit(int status)
{
	out_buffer(0);
	/* isa-debug-exit: QEMU exits with status (value << 1) | 1 */
	outb(0xf4, (uint8_t)status);
	for (;;)
		asm volatile("cli; hlt");
}

/* ---- descriptors */
void gdt_set(unsigned sel, uint32_t base, uint32_t limit, unsigned access, unsigned flags)
{
	/* Intel SDM vol. 3 §3.4.5: segment descriptor layout */
	uint64_t d = (limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 | (uint64_t)(access & 0xff) << 40 |
		     (uint64_t)((limit >> 16) & 0xf) << 48 | (uint64_t)(flags & 0xf) << 52 |
		     (uint64_t)(base >> 24) << 56;
	gdt[sel >> 3] = d;
}

uint64_t gdt_get(unsigned sel)
{
	return gdt[sel >> 3];
}

#ifdef __x86_64__
static uint64_t idt[512] __attribute__((aligned(16)));
#else
static uint64_t idt[256] __attribute__((aligned(8)));
#endif

void idt_set(unsigned vec, void *handler, unsigned sel, unsigned type_dpl, unsigned ist)
{
	ulong a = (ulong)handler;
	/* SDM vol. 3 §6.11 (32-bit gates), §6.14.1 (64-bit gates: 16 bytes) */
	uint64_t lo = (a & 0xffff) | (uint64_t)sel << 16 | (uint64_t)(ist & 7) << 32 |
		      (uint64_t)(type_dpl & 0xff) << 40 | (uint64_t)((a >> 16) & 0xffff) << 48;
#ifdef __x86_64__
	idt[vec * 2] = lo;
	idt[vec * 2 + 1] = a >> 32;
#else
	idt[vec] = lo;
#endif
}

void idt_set_default(unsigned vec, unsigned dpl)
{
#ifdef __x86_64__
	idt_set(vec, vec_table[vec], SEL_CODE64, GATE_INT | dpl << 5, 0);
#else
	idt_set(vec, vec_table[vec], SEL_CODE32, GATE_INT | dpl << 5, 0);
#endif
}

void idt_clear_present(unsigned vec)
{
#ifdef __x86_64__
	idt[vec * 2] &= ~(1ull << 47);
#else
	idt[vec] &= ~(1ull << 47);
#endif
}

static void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++)
		idt_set_default(v, 0);
	idt_set_default(3, 3);		/* INT3 and INTO usable from ring 3 */
	idt_set_default(4, 3);
	idt_set_default(USER_RETURN_VECTOR, 3);
	struct __attribute__((packed)) {
		uint16_t limit;
		ulong base;
	} d = { sizeof(idt) - 1, (ulong)idt };
	asm volatile("lidt %0" : : "m"(d));
}

#ifdef __x86_64__
static struct __attribute__((packed)) {
	uint32_t res0;
	uint64_t rsp[3];
	uint64_t res1;
	uint64_t ist[7];
	uint64_t res2;
	uint16_t res3, iomap;
} tss;
#else
static struct __attribute__((packed)) {
	uint16_t link, r0;
	uint32_t esp0;
	uint16_t ss0, r1;
	uint32_t esp1;
	uint16_t ss1, r2;
	uint32_t esp2;
	uint16_t ss2, r3;
	uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint16_t es, r4, cs, r5, ss, r6, ds, r7, fs, r8, gs, r9, ldt, r10, trap, iomap;
} tss;
#endif

void tss_setup(void)
{
	memset(&tss, 0, sizeof(tss));
	tss.iomap = sizeof(tss);	/* no I/O permission bitmap */
#ifndef __x86_64__
	tss.ss0 = SEL_DATA32;
#endif
	/* 0x89: present, DPL 0, available 32/64-bit TSS (SDM vol. 3 §7.2.2, §7.7) */
	gdt_set(SEL_TSS, (uint32_t)(ulong)&tss, sizeof(tss) - 1, 0x89, 0);
#ifdef __x86_64__
	gdt[(SEL_TSS >> 3) + 1] = (ulong)&tss >> 32;
#endif
	asm volatile("ltr %w0" : : "r"(SEL_TSS));
}

void tss_set_sp0(ulong sp)
{
#ifdef __x86_64__
	tss.rsp[0] = sp;
#else
	tss.esp0 = (uint32_t)sp;
#endif
}

void tss_set_ist(int n, ulong sp)
{
#ifdef __x86_64__
	tss.ist[n - 1] = sp;
#else
	(void)n;
	(void)sp;
#endif
}

/* ---- traps */
static const char *const names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#MF(9)", "#TS", "#NP",
	"#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

const char *vector_name(int v)
{
	if (v >= 0 && v < 32 && names[v])
		return names[v];
	return "vector";
}

void trap_register(unsigned vec, void (*fn)(struct frame *))
{
	handlers[vec] = fn;
}

void leave_user(ulong v) __attribute__((noreturn));

void trap_dispatch(struct frame *f)
{
	unsigned v = (unsigned)f->vector;
	if (handlers[v]) {
		handlers[v](f);
		return;
	}
	if (v == USER_RETURN_VECTOR && (f->cs & 3) == 3) {
#ifdef __x86_64__
		leave_user(f->rax);
#else
		leave_user(f->eax);
#endif
	}
	if (trap_fixup) {
		last_trap.vector = (int)v;
		last_trap.err = f->err;
		last_trap.cr2 = v == 14 ? read_cr2() : 0;
		last_trap.ip = f->ip;
		last_trap.cs = (unsigned)f->cs;
		last_trap.count++;
		f->ip = trap_fixup;
		trap_fixup = 0;
		return;
	}
	printf("unexpected %s (vector %u) err=0x%lx at 0x%lx cs=0x%lx cr2=0x%lx\n", vector_name((int)v), v,
	       (ulong)f->err, (ulong)f->ip, (ulong)f->cs, (ulong)read_cr2());
	guest_exit(0x7f);
}

void report_trap(const char *what)
{
	if (last_trap.vector < 0) {
		printf("%s: no fault\n", what);
		return;
	}
	printf("%s: %s err=0x%lx", what, vector_name(last_trap.vector), last_trap.err);
	if (last_trap.vector == 14)
		printf(" cr2=0x%lx", last_trap.cr2);
	printf("\n");
}

/* ---- 8259 PIC (8259A data sheet: ICW1-ICW4, OCW1/OCW2) */
void pic_init(void)
{
	outb(0x20, 0x11);	/* ICW1: edge, cascade, ICW4 */
	outb(0xa0, 0x11);
	outb(0x21, 0x20);	/* ICW2: vector base */
	outb(0xa1, 0x28);
	outb(0x21, 0x04);	/* ICW3: slave on IRQ2 */
	outb(0xa1, 0x02);
	outb(0x21, 0x01);	/* ICW4: 8086 mode */
	outb(0xa1, 0x01);
	outb(0x21, 0xff);	/* OCW1: all masked */
	outb(0xa1, 0xff);
}

void pic_unmask(unsigned irq)
{
	if (irq >= 8) {
		outb(0xa1, inb(0xa1) & ~(1 << (irq - 8)));
		irq = 2;
	}
	outb(0x21, inb(0x21) & ~(1 << irq));
}

void pic_mask(unsigned irq)
{
	if (irq >= 8)
		outb(0xa1, inb(0xa1) | 1 << (irq - 8));
	else
		outb(0x21, inb(0x21) | 1 << irq);
}

void pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(0xa0, 0x20);
	outb(0x20, 0x20);
}

int cpu_has(uint32_t leaf, int reg, int bit)
{
	uint32_t r[4];
	cpuid(leaf & 0x80000000, 0, r);
	if (r[0] < leaf)
		return 0;
	cpuid(leaf, 0, r);
	return (r[reg] >> bit) & 1;
}

static void uart_init(void)
{
	outb(COM1 + 1, 0x00);	/* no interrupts */
	outb(COM1 + 3, 0x80);	/* DLAB */
	outb(COM1 + 0, 0x01);	/* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);	/* 8N1 */
	outb(COM1 + 2, 0x07);	/* FIFO on, cleared */
}

#ifndef GUEST_NAME
#define GUEST_NAME "guest"
#endif

void guest_start(void)
{
	if (!&guest_no_uart_init || !guest_no_uart_init)
		uart_init();
	idt_init();
	tss_setup();
	printf("=== lemu test guest %s ===\n", GUEST_NAME);
	int r = main();
	if (guest_failures)
		printf("%d check(s) failed\n", guest_failures);
	printf("=== end: %s ===\n", r == 0 && !guest_failures ? "PASS" : "FAIL");
	guest_exit(r == 0 && !guest_failures ? 0 : 1);
}
