/*
 * shifts, rotates, MUL/DIV, bit ops, string ops, CMPXCHG, XADD, BSWAP, MOVBE, BMI, ADX, BCD.
 */
#include "decode.h"
#include "ops.h"

const struct opdesc ops_int2[] = {
	{ 0 },
};
