/* Recording #DB exceptions in the test guests debug.c and debug64.c: the handler stores each
 * exception's saved IP and DR6 (then clears DR6), can resume with RF (instruction breakpoints),
 * and stops a runaway (TF and DR7 cleared) after MAXDB; db_report prints them as offsets from a
 * base address. */
#ifndef GUEST_DBREC_H
#define GUEST_DBREC_H

#include "guest.h"

#define TF 0x100ul
#define RF 0x10000ul
#define MAXDB 24

static volatile unsigned ndb;
static volatile ulong db_ip[MAXDB], db_dr6[MAXDB];
static volatile int db_set_rf;	/* the handler resumes with RF (instruction breakpoints) */

__attribute__((unused)) static ulong read_dr6(void) { ulong v; asm volatile("mov %%dr6, %0" : "=r"(v)); return v; }
static void write_dr6(ulong v) { asm volatile("mov %0, %%dr6" : : "r"(v)); }
static void write_dr7(ulong v) { asm volatile("mov %0, %%dr7" : : "r"(v) : "memory"); }
__attribute__((unused)) static void write_dr(int n, ulong v)
{
	switch (n) {
	case 0: asm volatile("mov %0, %%dr0" : : "r"(v)); break;
	case 1: asm volatile("mov %0, %%dr1" : : "r"(v)); break;
	case 2: asm volatile("mov %0, %%dr2" : : "r"(v)); break;
	default: asm volatile("mov %0, %%dr3" : : "r"(v)); break;
	}
}

static void db_handler(struct frame *f)
{
	unsigned n = ndb;
	if (n < MAXDB) {
		db_ip[n] = f->ip;
		db_dr6[n] = read_dr6();
	}
	ndb = n + 1;
	write_dr6(0);
	if (db_set_rf)
		f->flags |= RF;
	if (n + 1 >= MAXDB) {	/* runaway: stop stepping and breaking */
		f->flags &= ~TF;
		write_dr7(0);
	}
}

static void db_reset(void)
{
	ndb = 0;
	db_set_rf = 0;
	write_dr6(0);
}

/* "<what>: N #DB +off/dr6 ..." with instruction offsets from base */
static void db_report(const char *what, ulong base)
{
	printf("%s: %u #DB", what, ndb);
	for (unsigned i = 0; i < ndb && i < MAXDB; i++)
		printf(" +%lu/%lx", db_ip[i] - base, db_dr6[i]);
	printf("\n");
}

#endif
