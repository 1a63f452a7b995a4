/*
 * Runners shared by x87_arith.c and x87_trans.c: execute an x87
 * instruction sequence on ST0 = *a (and ST1 = *b for BIN) under control
 * word cw, and capture ST0, ST1 and the status word.
 */
#ifndef X87_OPS_H
#define X87_OPS_H

#include "x87_common.h"

struct res {
	f80 r0, r1;
	uint16_t sw;
};

#define BIN(name, text)                                                                     \
	static void name(uint16_t cw, const f80 *a, const f80 *b, struct res *r)          \
	{                                                                                   \
		__asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[b]\n\tfldt %[a]\n\t" text  \
				 "\n\tfnstsw %[sw]\n\tfstpt %[r0]\n\tfstpt %[r1]\n\tfninit"   \
				 : [sw] "=m"(r->sw), [r0] "=m"(r->r0), [r1] "=m"(r->r1)      \
				 : [cw] "m"(cw), [a] "m"(*a), [b] "m"(*b));                  \
	}
#define UN(name, text)                                                                      \
	static void name(uint16_t cw, const f80 *a, const f80 *b, struct res *r)          \
	{                                                                                   \
		(void)b;                                                                    \
		__asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\t" text               \
				 "\n\tfnstsw %[sw]\n\tfstpt %[r0]\n\tfstpt %[r1]\n\tfninit"   \
				 : [sw] "=m"(r->sw), [r0] "=m"(r->r0), [r1] "=m"(r->r1)      \
				 : [cw] "m"(cw), [a] "m"(*a));                               \
	}

#endif
