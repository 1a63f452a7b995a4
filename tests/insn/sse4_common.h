/*
 * Helpers for the tests/insn/sse4_*.c and aes_*.c oracle programs: those
 * of sse_common.h (PRNG, hex printing, hashing of large sweeps, fault
 * catching, REP256() to instantiate an instruction for every imm8) plus a
 * random vector.
 */
#ifndef SSE4_COMMON_H
#define SSE4_COMMON_H

#include "sse_common.h"

__attribute__((unused)) static void rnd_v(v128 *v)
{
	v->q[0] = rnd64();
	v->q[1] = rnd64();
}

#endif
