/* lemu-test: m32 */
/*
 * x87 arithmetic on register operands over edge values (zeros, infinities,
 * QNaN/SNaN with payloads, denormals, pseudo-denormals, unnormals,
 * extremes, pi, rounding ties) under every rounding control and precision
 * control: FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR (both D8 and DE-pop forms),
 * FSCALE, FPREM, FPREM1, FSQRT, FRNDINT, FXTRACT, FCHS, FABS.  Prints the
 * raw 80-bit results and the full FSW (TOP included: it is deterministic).
 * Full sweeps are hashed per op and control word; a subset is printed.
 */
#include "x87_ops.h"

BIN(op_fadd, ".byte 0xd8, 0xc1")
BIN(op_fmul, ".byte 0xd8, 0xc9")
BIN(op_fsub, ".byte 0xd8, 0xe1")
BIN(op_fsubr, ".byte 0xd8, 0xe9")
BIN(op_fdiv, ".byte 0xd8, 0xf1")
BIN(op_fdivr, ".byte 0xd8, 0xf9")
BIN(op_faddp, ".byte 0xde, 0xc1")
BIN(op_fsubp, ".byte 0xde, 0xe9")
BIN(op_fdivrp, ".byte 0xde, 0xf1")
BIN(op_fscale, "fscale")
BIN(op_fprem, "fprem")
BIN(op_fprem1, "fprem1")
UN(op_fsqrt, "fsqrt")
UN(op_frndint, "frndint")
UN(op_fxtract, "fxtract")
UN(op_fchs, "fchs")
UN(op_fabs, "fabs")

struct op {
	const char *name;
	void (*fn)(uint16_t, const f80 *, const f80 *, struct res *);
	int binary;
};
static const struct op ops[] = {
	{ "fadd", op_fadd, 1 }, { "fmul", op_fmul, 1 }, { "fsub", op_fsub, 1 },
	{ "fsubr", op_fsubr, 1 }, { "fdiv", op_fdiv, 1 }, { "fdivr", op_fdivr, 1 },
	{ "faddp", op_faddp, 1 }, { "fsubp", op_fsubp, 1 }, { "fdivrp", op_fdivrp, 1 },
	{ "fscale", op_fscale, 1 }, { "fprem", op_fprem, 1 }, { "fprem1", op_fprem1, 1 },
	{ "fsqrt", op_fsqrt, 0 }, { "frndint", op_frndint, 0 }, { "fxtract", op_fxtract, 0 },
	{ "fchs", op_fchs, 0 }, { "fabs", op_fabs, 0 },
};

/* Second operands printed in full (the sweep covers all of them). */
static const unsigned shown_b[] = { 0, 2, 4, 6, 8, 10, 18, 24 };

int main(void)
{
	struct res r;
	for (unsigned o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		const struct op *op = &ops[o];
		/* Full output at the default control word. */
		for (unsigned i = 0; i < NEDGES; i++) {
			unsigned nb = op->binary ? sizeof(shown_b) / sizeof(shown_b[0]) : 1;
			for (unsigned j = 0; j < nb; j++) {
				const f80 *b = &edges[shown_b[j]];
				op->fn(0x037f, &edges[i], b, &r);
				printf("%s a=%u b=%u:", op->name, i, op->binary ? shown_b[j] : 0);
				p80(&r.r0);
				p80(&r.r1);
				printf(" sw=%04x\n", r.sw);
			}
		}
		/* Hashed sweeps under every RC and PC. */
		for (unsigned rc = 0; rc < 4; rc++)
			for (unsigned p = 0; p < 3; p++) {
				uint16_t cw = cw_make(rc, pcs[p]);
				hash_reset();
				for (unsigned i = 0; i < NEDGES; i++)
					for (unsigned j = 0; j < (op->binary ? NEDGES : 1); j++) {
						op->fn(cw, &edges[i], &edges[j], &r);
						hash_bytes(&r, sizeof(r));
					}
				printf("%s cw=%04x hash=%016llx\n", op->name, cw, (unsigned long long)fnv);
			}
	}
	return 0;
}
