/*
 * x87 FPU.
 */
#include "decode.h"
#include "ops.h"

const struct opdesc ops_x87[] = {
	{ 0 },
};
