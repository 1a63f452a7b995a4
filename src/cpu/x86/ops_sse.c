/*
 * MMX, SSE, SSE2.
 */
#include "decode.h"
#include "ops.h"

const struct opdesc ops_sse[] = {
	{ 0 },
};
