/*
 * system and privileged instructions.
 */
#include "decode.h"
#include "ops.h"

const struct opdesc ops_sys[] = {
	{ 0 },
};
