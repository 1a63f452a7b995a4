/*
 * A bare environment for running guest code snippets on the CPU core
 * without the user-mode loader: a flat guest memory block at guest
 * address 0, code at HARNESS_CODE, stack below HARNESS_STACK_TOP.  The
 * snippet ends with INT3.  Guest accesses outside the block fault as #PF.
 */
#ifndef LEMU_TESTS_HARNESS_H
#define LEMU_TESTS_HARNESS_H

#include "cpu/x86/cpu.h"

#define HARNESS_MEM_SIZE (16u << 20)
#define HARNESS_CODE 0x10000u
#define HARNESS_DATA 0x100000u
#define HARNESS_STACK_TOP 0xff0000u

struct harness {
	struct cpu cpu;
	uint8_t *mem;
};

/* mode64: 1 for 64-bit user code, 0 for 32-bit. Returns 0 or -1. */
int harness_init(struct harness *h, int mode64);
void harness_fini(struct harness *h);
/* Copy code to HARNESS_CODE and run it until INT3 or an exception.
 * Returns -1 when INT3 was reached, -2 when c->exit_request stopped it,
 * 0x100 for SYSCALL, otherwise the exception (or INT n) vector. */
int harness_run(struct harness *h, const void *code, size_t len);

/* Minimal TAP output. */
extern int tap_count, tap_failed;
void tap_ok(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tap_done(void);

#endif
