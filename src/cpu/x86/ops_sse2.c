/*
 * SSE3, SSSE3, SSE4.1, SSE4.2, AES-NI, PCLMULQDQ.
 */
#include "decode.h"
#include "ops.h"

const struct opdesc ops_sse2[] = {
	{ 0 },
};
