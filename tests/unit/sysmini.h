/*
 * A minimal PC for exercising the system-level CPU core without the
 * machine: flat RAM, a multiboot v1 ELF32 loader, COM1 output (THR/LSR only),
 * isa-debug-exit at 0xf4, debugcon at 0xe9, and port 0xf0 where unit
 * tests report 32-bit values.  Enough for the test
 * guests that need no timers (tests/guest: hello, hello64, exceptions,
 * paging32, long64).  Used by test_sys_cpu and the sysmini tool.
 */
#ifndef LEMU_TESTS_SYSMINI_H
#define LEMU_TESTS_SYSMINI_H

#include "cpu/x86/cpu.h"

#include <stddef.h>

struct sysmini {
	struct cpu cpu;
	uint8_t *ram;
	size_t ram_size;
	char *out;          /* serial + debugcon output */
	size_t out_len, out_cap;
	int exit_code;      /* isa-debug-exit: (value << 1) | 1, or -1 */
	uint64_t steps;     /* cpu_exec calls */
	uint8_t lcr;        /* COM1 line control (DLAB) */
	uint64_t vals[256]; /* values written to port 0xf0 (test reports) */
	unsigned nvals;
};

int sysmini_init(struct sysmini *m, size_t ram_mb);
void sysmini_fini(struct sysmini *m);
/* Load a multiboot v1 ELF32 image and set the CPU to its entry state.
 * Returns 0 or -errno / -1 with a message on stderr. */
int sysmini_load_multiboot(struct sysmini *m, const char *path);
/* Copy raw code to paddr and start there in the given state. */
void sysmini_load(struct sysmini *m, uint64_t paddr, const void *p, size_t n);
/* Run until isa-debug-exit, triple fault (returns 256), a HLT with IF=0
 * (returns 257) or max_exec cpu_exec calls (returns 258). */
int sysmini_run(struct sysmini *m, uint64_t max_exec);

#endif
