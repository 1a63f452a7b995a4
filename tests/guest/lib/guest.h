/* Runtime of lemu's test guests: bare-metal programs booted as multiboot v1 ELF images
 * (-kernel), reporting over COM1 and exiting through isa-debug-exit (port 0xf4). Built 32-bit
 * (crt32.S) or 64-bit (crt64.S: a 32-bit multiboot entry that switches to long mode).
 * Every line a guest prints must be deterministic: the same under QEMU and lemu. */
#ifndef GUEST_H
#define GUEST_H

#include <stdint.h>
#include <stddef.h>
#include "seg.h"

typedef unsigned long ulong;

/* ---- port I/O and control registers */
static inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

#define CR_ACCESSORS(n) \
	static inline ulong read_cr##n(void) { ulong v; asm volatile("mov %%cr" #n ", %0" : "=r"(v)); return v; } \
	static inline void write_cr##n(ulong v) { asm volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); }
CR_ACCESSORS(0)
CR_ACCESSORS(2)
CR_ACCESSORS(3)
CR_ACCESSORS(4)

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo | (uint64_t)hi << 32;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}
static inline void invlpg(const volatile void *p) { asm volatile("invlpg (%0)" : : "r"(p) : "memory"); }
static inline void sti(void) { asm volatile("sti" ::: "memory"); }
static inline void cli(void) { asm volatile("cli" ::: "memory"); }
/* sti; hlt: wait for one interrupt (the STI shadow makes the pair atomic) */
static inline void wait_irq(void) { asm volatile("sti; hlt; cli" ::: "memory"); }
static inline ulong read_flags(void) { ulong f; asm volatile("pushf; pop %0" : "=r"(f)); return f; }

#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_FMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_APIC_BASE 0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176

/* ---- output and exit */
void putch(char c);
void puts_raw(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
/* Output goes to a buffer instead of COM1 while the UART is under test (loopback). */
void out_buffer(int on);
__attribute__((noreturn)) void guest_exit(int status);
/* A test's self-check: prints "FAIL: ..." and counts; the exit status says if any failed. */
#define CHECK(cond, ...) do { if (!(cond)) { printf("FAIL: " __VA_ARGS__); printf("\n"); guest_failures++; } } while (0)
extern int guest_failures;
/* Define "int guest_no_uart_init = 1;" to keep COM1 in its reset state at start-up. */
extern int guest_no_uart_init __attribute__((weak));
int main(void);

/* ---- descriptors */
void gdt_set(unsigned sel, uint32_t base, uint32_t limit, unsigned access, unsigned flags);
uint64_t gdt_get(unsigned sel);
void idt_set(unsigned vec, void *handler, unsigned sel, unsigned type_dpl, unsigned ist);
void idt_set_default(unsigned vec, unsigned dpl);	/* back to the crt stub */
void idt_clear_present(unsigned vec);
void tss_setup(void);		/* a TSS at SEL_TSS, loaded with LTR */
void tss_set_sp0(ulong sp);
void tss_set_ist(int n, ulong sp);	/* 64-bit only */
#define GATE_INT 0x8e		/* present, DPL 0, interrupt gate (32/64-bit) */
#define GATE_TRAP 0x8f
#define GATE_DPL3 0x60
extern uint64_t gdt[];
extern void *vec_table[];

/* ---- traps */
struct frame {
#ifdef __x86_64__
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rdi, rsi, rbp, rbx, rdx, rcx, rax;
	uint64_t vector, err, ip, cs, flags, sp, ss;
#else
	uint32_t gs, fs, es, ds, edi, esi, ebp, esp_unused, ebx, edx, ecx, eax;
	uint32_t vector, err, ip, cs, flags, sp, ss;	/* sp, ss only from ring 3 */
#endif
};
/* A handler for one vector (interrupts, or exceptions a test wants to see itself). */
void trap_register(unsigned vec, void (*fn)(struct frame *));
/* The last expected fault: filled when a fault hits a TRY block. */
struct trap_info {
	int vector;		/* -1: none */
	ulong err, cr2, ip;
	unsigned cs;
	unsigned count;
};
extern struct trap_info last_trap;
extern volatile ulong trap_fixup;
/* TRY("insns", : outputs : inputs : clobbers): run the instructions; a fault resumes after
 * them, recorded in last_trap (a "1:" label of the caller's own, if any, is where it resumes).
 * Note the comma after the instruction string; TRY("ud2",) without operands. */
#ifdef __x86_64__
#define TRY_ARM "movq $1f, trap_fixup\n\t"
#else
#define TRY_ARM "movl $1f, trap_fixup\n\t"
#endif
#define TRY(insns, ...) do { last_trap.vector = -1; asm volatile("" ::: "memory"); \
	asm volatile(TRY_ARM insns "\n\t1:\n\t" __VA_ARGS__); \
	asm volatile("" ::: "memory"); trap_fixup = 0; } while (0)
/* Print "<what>: #XX err=... [cr2=...]" or "<what>: no fault". */
void report_trap(const char *what);
const char *vector_name(int v);

/* ---- rings: run fn at CPL 3 (flat ring-3 segments, its own stack); it comes back with
 * user_return() (an INT 0x80 gate of DPL 3). Returns the value given to user_return. */
ulong run_user(void (*fn)(void));
#define USER_RETURN_VECTOR 0x80
static inline __attribute__((noreturn)) void user_return(ulong v)
{
	asm volatile("int $0x80" : : "a"(v));
	__builtin_unreachable();
}

/* ---- 8259 PIC: vectors 0x20-0x2f, everything masked */
void pic_init(void);
void pic_unmask(unsigned irq);
void pic_mask(unsigned irq);
void pic_eoi(unsigned irq);
#define PIC_VEC(irq) (0x20 + (irq))

/* ---- CPUID features */
int cpu_has(uint32_t leaf, int reg, int bit);	/* reg 0..3 = eax ebx ecx edx */
#define HAS_PAE() cpu_has(1, 3, 6)
#define HAS_PSE() cpu_has(1, 3, 3)
#define HAS_APIC() cpu_has(1, 3, 9)
#define HAS_SEP() cpu_has(1, 3, 11)
#define HAS_TSC_DEADLINE() cpu_has(1, 2, 24)
#define HAS_NX() cpu_has(0x80000001, 3, 20)
#define HAS_1G() cpu_has(0x80000001, 3, 26)
#define HAS_LM() cpu_has(0x80000001, 3, 29)
#define HAS_SYSCALL() cpu_has(0x80000001, 3, 11)

#endif
