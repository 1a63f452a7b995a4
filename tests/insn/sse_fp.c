/* lemu-test: m32 */
/*
 * SSE/SSE2 floating-point arithmetic: ADD/SUB/MUL/DIV/MIN/MAX/SQRT in
 * PS/PD/SS/SD forms, RCP/RSQRT PS/SS, CMPccPS/PD/SS/SD with all 8
 * predicates (and ignored high imm8 bits), COMISS/UCOMISS/COMISD/UCOMISD,
 * register and memory sources.  Operands are every pair of edge values
 * (zeros, ones, extremes, denormals, infinities, QNaN/SNaN with payloads)
 * in each of the 16 MXCSR modes (4 rounding modes x FTZ x DAZ, all
 * exceptions masked).  Mode 0 prints every result and the MXCSR flags raw;
 * every mode prints a hash of all results and flags of the sweep.
 * Scalar forms run with recognisable upper lanes (destination) and SNaNs
 * (source) so that touching them shows.
 */
#include "sse_common.h"

#include <stdlib.h>

typedef void (*opfn)(v128 *d, const v128 *s);

/* Register and memory forms of "text xmm2/m, xmm1". */
#define DEF(fn, text)                                                                     \
	static void fn##_r(v128 *d, const v128 *s)                                        \
	{                                                                                 \
		__asm__ volatile("movdqa %[d], %%xmm1\n\t"                                \
				 "movdqa %[s], %%xmm2\n\t" text " %%xmm2, %%xmm1\n\t"     \
				 "movdqa %%xmm1, %[d]"                                     \
				 : [d] "+m"(*d)                                            \
				 : [s] "m"(*s)                                             \
				 : "xmm1", "xmm2");                                        \
	}                                                                                 \
	static void fn##_m(v128 *d, const v128 *s)                                        \
	{                                                                                 \
		__asm__ volatile("movdqa %[d], %%xmm1\n\t" text " %[s], %%xmm1\n\t"       \
				 "movdqa %%xmm1, %[d]"                                     \
				 : [d] "+m"(*d)                                            \
				 : [s] "m"(*s)                                             \
				 : "xmm1");                                                \
	}
#define DEF4(fn, m) DEF(fn##ps, #m "ps") DEF(fn##pd, #m "pd") DEF(fn##ss, #m "ss") DEF(fn##sd, #m "sd")
DEF4(add, add)
DEF4(sub, sub)
DEF4(mul, mul)
DEF4(div, div)
DEF4(min, min)
DEF4(max, max)
DEF4(sqrt, sqrt)
DEF(rcpps, "rcpps")
DEF(rcpss, "rcpss")
DEF(rsqrtps, "rsqrtps")
DEF(rsqrtss, "rsqrtss")
#define DEFCMP(n) DEF(cmpps##n, "cmpps $" #n ",") DEF(cmppd##n, "cmppd $" #n ",") \
	DEF(cmpss##n, "cmpss $" #n ",") DEF(cmpsd##n, "cmpsd $" #n ",")
DEFCMP(0)
DEFCMP(1)
DEFCMP(2)
DEFCMP(3)
DEFCMP(4)
DEFCMP(5)
DEFCMP(6)
DEFCMP(7)
DEFCMP(11)
DEFCMP(31)
DEFCMP(255)

enum { K_PS, K_PD, K_SS, K_SD };
struct op {
	const char *name;
	opfn r, m;
	int kind, unary;
};
#define O(n, k, u) { #n, n##_r, n##_m, k, u }
#define O4(n, u) O(n##ps, K_PS, u), O(n##pd, K_PD, u), O(n##ss, K_SS, u), O(n##sd, K_SD, u)
#define OCMP(n) O(cmpps##n, K_PS, 0), O(cmppd##n, K_PD, 0), O(cmpss##n, K_SS, 0), O(cmpsd##n, K_SD, 0)
static const struct op ops[] = {
	O4(add, 0), O4(sub, 0), O4(mul, 0), O4(div, 0), O4(min, 0), O4(max, 0), O4(sqrt, 1),
	O(rcpps, K_PS, 1), O(rcpss, K_SS, 1), O(rsqrtps, K_PS, 1), O(rsqrtss, K_SS, 1),
	OCMP(0), OCMP(1), OCMP(2), OCMP(3), OCMP(4), OCMP(5), OCMP(6), OCMP(7),
	OCMP(11), OCMP(31), OCMP(255),
};

/* Fill lane l of v with edge value i of the kind. */
static void put(v128 *v, int kind, int l, unsigned i)
{
	if (kind == K_PS || kind == K_SS)
		v->l[l] = f32_edges[i];
	else
		v->q[l] = f64_edges[i];
}

static void run_op(const struct op *o)
{
	int single = o->kind == K_PS || o->kind == K_SS;
	unsigned n = single ? N_F32 : N_F64;
	unsigned lanes = o->kind == K_PS ? 4 : o->kind == K_PD ? 2 : 1;
	unsigned total = o->unary ? n * 4 : n * n;
	for (unsigned mode = 0; mode < 16; mode++) {
		hash_reset();
		uint32_t orf = 0;
		for (unsigned k = 0; k < total; k += lanes) {
			v128 d, s, dm;
			/* upper lanes of scalar forms: markers / SNaNs */
			d.q[0] = d.q[1] = 0x5555aaaa3333ccccull;
			s.q[0] = s.q[1] = single ? 0x7f8000017f800001ull : 0x7ff0000000000001ull;
			for (unsigned l = 0; l < lanes && k + l < total; l++) {
				unsigned p = k + l;
				if (o->unary) {
					put(&s, o->kind, (int)l, p % n);
					put(&d, o->kind, (int)l, (p / n * 7 + p) % n);
				} else {
					put(&d, o->kind, (int)l, p / n);
					put(&s, o->kind, (int)l, p % n);
				}
			}
			dm = d;
			set_mxcsr(mode_csr(mode));
			o->r(&d, &s);
			uint32_t f = get_mxcsr() & 0x3f;
			set_mxcsr(mode_csr(mode));
			o->m(&dm, &s);
			uint32_t fm = get_mxcsr() & 0x3f;
			set_mxcsr(0x1f80);
			orf |= f;
			hash_bytes(&d, 16);
			hash_bytes(&f, 4);
			hash_bytes(&dm, 16);
			hash_bytes(&fm, 4);
			if (mode == 0) {
				printf("%s %u:", o->name, k);
				pv(&d);
				printf(" f=%02x", f);
				if (memcmp(&d, &dm, 16) || f != fm) {
					printf(" mem:");
					pv(&dm);
					printf(" f=%02x", fm);
				}
				printf("\n");
			}
		}
		printf("%s mode %u: %016llx or=%02x\n", o->name, mode, (unsigned long long)fnv, orf);
	}
}

/* COMISS/UCOMISS/COMISD/UCOMISD: OSZAPC and the MXCSR flags. */
#define DEFCOMI(fn, text, sz)                                                              \
	static unsigned fn(const v128 *a, const v128 *b, int mem)                          \
	{                                                                                  \
		unsigned ax = 0;                                                           \
		if (mem)                                                                   \
			__asm__ volatile("movdqa %[a], %%xmm1\n\t" text " %[b], %%xmm1" FLAGS_TAIL \
					 : "+a"(ax)                                         \
					 : [a] "m"(*a), [b] "m"(*b)                         \
					 : "xmm1", "cc");                                   \
		else                                                                       \
			__asm__ volatile("movdqa %[a], %%xmm1\n\tmovdqa %[b], %%xmm2\n\t" text \
					 " %%xmm2, %%xmm1" FLAGS_TAIL                       \
					 : "+a"(ax)                                         \
					 : [a] "m"(*a), [b] "m"(*b)                         \
					 : "xmm1", "xmm2", "cc");                           \
		return flags_of(ax);                                                       \
	}
DEFCOMI(comiss, "comiss", 4)
DEFCOMI(ucomiss, "ucomiss", 4)
DEFCOMI(comisd, "comisd", 8)
DEFCOMI(ucomisd, "ucomisd", 8)

static void run_comi(const char *name, unsigned (*fn)(const v128 *, const v128 *, int), int single)
{
	unsigned n = single ? N_F32 : N_F64;
	for (unsigned mode = 0; mode < 16; mode += 4) { /* RC does not matter; FTZ/DAZ do */
		hash_reset();
		for (unsigned p = 0; p < n * n; p++) {
			v128 a, b;
			a.q[1] = b.q[1] = 0x7ff0000000000001ull;
			put(&a, single ? K_SS : K_SD, 0, p / n);
			put(&b, single ? K_SS : K_SD, 0, p % n);
			if (single)
				a.l[1] = b.l[1] = 0x7f800001;
			unsigned fl[2];
			uint32_t f[2];
			for (int mem = 0; mem < 2; mem++) {
				set_mxcsr(mode_csr(mode));
				fl[mem] = fn(&a, &b, mem);
				f[mem] = get_mxcsr() & 0x3f;
			}
			set_mxcsr(0x1f80);
			hash_bytes(fl, sizeof(fl));
			hash_bytes(f, sizeof(f));
			if (mode == 0)
				printf("%s %u: fl=%03x f=%02x mem fl=%03x f=%02x\n", name, p, fl[0], f[0],
				       fl[1], f[1]);
		}
		printf("%s mode %u: %016llx\n", name, mode, (unsigned long long)fnv);
	}
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!only || !strcmp(only, ops[i].name))
			run_op(&ops[i]);
	if (!only || !strcmp(only, "comi")) {
		run_comi("comiss", comiss, 1);
		run_comi("ucomiss", ucomiss, 1);
		run_comi("comisd", comisd, 0);
		run_comi("ucomisd", ucomisd, 0);
	}
	return 0;
}
