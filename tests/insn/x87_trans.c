/* lemu-test: m32 */
/*
 * x87 transcendental instructions and constants: FSIN, FCOS, FPTAN,
 * FSINCOS (C2 for |x| >= 2^63), FPATAN, FYL2X, FYL2XP1, F2XM1, FLD1,
 * FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ under every rounding and
 * precision control, FPREM/FPREM1 quotient bits (C0, C3, C1) and partial
 * remainders (C2) on huge exponent differences.  The host's x87 unit is
 * the oracle: results must be bit-identical.
 */
#include "x87_ops.h"
#define CONST(name, text)                                                                   \
	static void name(uint16_t cw, const f80 *a, const f80 *b, struct res *r)          \
	{                                                                                   \
		(void)a;                                                                    \
		(void)b;                                                                    \
		__asm__ volatile("fninit\n\tfldcw %[cw]\n\t" text                             \
				 "\n\tfnstsw %[sw]\n\tfstpt %[r0]\n\tfstpt %[r1]\n\tfninit"   \
				 : [sw] "=m"(r->sw), [r0] "=m"(r->r0), [r1] "=m"(r->r1)      \
				 : [cw] "m"(cw));                                            \
	}

UN(op_fsin, "fsin")
UN(op_fcos, "fcos")
UN(op_fptan, "fptan")
UN(op_fsincos, "fsincos")
UN(op_f2xm1, "f2xm1")
BIN(op_fpatan, "fpatan")
BIN(op_fyl2x, "fyl2x")
BIN(op_fyl2xp1, "fyl2xp1")
BIN(op_fprem, "fprem")
BIN(op_fprem1, "fprem1")
CONST(op_fld1, "fld1")
CONST(op_fldl2t, "fldl2t")
CONST(op_fldl2e, "fldl2e")
CONST(op_fldpi, "fldpi")
CONST(op_fldlg2, "fldlg2")
CONST(op_fldln2, "fldln2")
CONST(op_fldz, "fldz")

struct op {
	const char *name;
	void (*fn)(uint16_t, const f80 *, const f80 *, struct res *);
	int nargs;
};
static const struct op ops[] = {
	{ "fsin", op_fsin, 1 }, { "fcos", op_fcos, 1 }, { "fptan", op_fptan, 1 },
	{ "fsincos", op_fsincos, 1 }, { "f2xm1", op_f2xm1, 1 }, { "fpatan", op_fpatan, 2 },
	{ "fyl2x", op_fyl2x, 2 }, { "fyl2xp1", op_fyl2xp1, 2 }, { "fprem", op_fprem, 2 },
	{ "fprem1", op_fprem1, 2 }, { "fld1", op_fld1, 0 }, { "fldl2t", op_fldl2t, 0 },
	{ "fldl2e", op_fldl2e, 0 }, { "fldpi", op_fldpi, 0 }, { "fldlg2", op_fldlg2, 0 },
	{ "fldln2", op_fldln2, 0 }, { "fldz", op_fldz, 0 },
};

/* Arguments for the trigonometric range: small, near multiples of pi/2,
 * around 2^62..2^64 (C2 boundary). */
static f80 trig_arg(unsigned k)
{
	f80 v;
	switch (k % 8) {
	case 0: v.m = 0x8000000000000000ull | (k * 0x9e3779b97f4a7c15ull >> 1); v.e = (uint16_t)(0x3ff0 + k % 20); break;
	case 1: v.m = 0xc90fdaa22168c234ull + k; v.e = (uint16_t)(0x3fff + k % 3); break;
	case 2: v.m = ~0ull - k; v.e = 0x403d; break;
	case 3: v.m = 0x8000000000000000ull + k; v.e = 0x403e; break;
	case 4: v.m = 0x8000000000000000ull | (k * 0x2545f4914f6cdd1dull); v.e = (uint16_t)(0x3fe0 + k % 64); break;
	case 5: v.m = 0x8000000000000000ull | (k * 0x2545f4914f6cdd1dull); v.e = 0x8000 | (uint16_t)(0x3fe0 + k % 64); break;
	case 6: v.m = 0xb17217f7d1cf79acull ^ k; v.e = 0x3ffe; break;
	default: v.m = 0x8000000000000000ull | k; v.e = (uint16_t)(0x3c00 + k % 512); break;
	}
	return v;
}

int main(void)
{
	struct res r;
	for (unsigned o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		const struct op *op = &ops[o];
		if (op->nargs == 0) {
			for (unsigned rc = 0; rc < 4; rc++)
				for (unsigned p = 0; p < 4; p++) {
					uint16_t cw = cw_make(rc, p);
					op->fn(cw, NULL, NULL, &r);
					printf("%s cw=%04x:", op->name, cw);
					p80(&r.r0);
					printf(" sw=%04x\n", r.sw);
				}
			continue;
		}
		/* Edge values in full at the default control word. */
		for (unsigned i = 0; i < NEDGES; i++)
			for (unsigned j = 0; j < (op->nargs == 2 ? NEDGES : 1); j += (op->nargs == 2 ? 3 : 1)) {
				op->fn(0x037f, &edges[i], &edges[j], &r);
				printf("%s a=%u b=%u:", op->name, i, j);
				p80(&r.r0);
				p80(&r.r1);
				printf(" sw=%04x\n", r.sw);
			}
		/* Generated arguments, printed. */
		for (unsigned k = 0; k < 64; k++) {
			f80 a = trig_arg(k), b = trig_arg(k * 7 + 3);
			if (op->fn == op_fyl2xp1 || op->fn == op_f2xm1)
				a.e = (uint16_t)((a.e & 0x8000) | 0x3ffd); /* |x| < 1 - sqrt(2)/2 */
			op->fn(0x037f, &a, &b, &r);
			printf("%s k=%u:", op->name, k);
			p80(&a);
			p80(&r.r0);
			p80(&r.r1);
			printf(" sw=%04x\n", r.sw);
		}
		/* Hashed under every RC and PC. */
		for (unsigned rc = 0; rc < 4; rc++)
			for (unsigned p = 0; p < 3; p++) {
				uint16_t cw = cw_make(rc, pcs[p]);
				hash_reset();
				for (unsigned i = 0; i < NEDGES; i++)
					for (unsigned j = 0; j < (op->nargs == 2 ? NEDGES : 1); j++) {
						op->fn(cw, &edges[i], &edges[j], &r);
						hash_bytes(&r, sizeof(r));
					}
				for (unsigned k = 0; k < 256; k++) {
					f80 a = trig_arg(k), b = trig_arg(k * 5 + 1);
					op->fn(cw, &a, &b, &r);
					hash_bytes(&r, sizeof(r));
				}
				printf("%s cw=%04x hash=%016llx\n", op->name, cw, (unsigned long long)fnv);
			}
	}
	/* FPREM loop: quotient bits over a partial-remainder sequence. */
	for (unsigned k = 0; k < 40; k++) {
		f80 a = { 0x8000000000000000ull | (k * 0x9e3779b97f4a7c15ull), (uint16_t)(0x3fff + k * 9) };
		f80 b = { 0xc90fdaa22168c235ull, 0x4000 };
		for (unsigned pass = 0; pass < 8; pass++) {
			op_fprem(0x037f, &a, &b, &r);
			printf("fprem-loop k=%u pass=%u:", k, pass);
			p80(&r.r0);
			printf(" sw=%04x\n", r.sw & 0x4700);
			a = r.r0;
			if (!(r.sw & 0x400))
				break;
		}
	}
	return 0;
}
