/* lemu-test: m32 */
/*
 * SSE3 and SSE4.1 floating point: ADDSUBPS/PD, HADDPS/PD, HSUBPS/PD,
 * ROUNDPS/PD/SS/SD and DPPS/DPPD over all 256 imm8 values, on special
 * values (zeros, halves, integers at the 2^23/2^52 boundaries, denormals,
 * infinities, QNaN/SNaN payloads), under every rounding mode with and
 * without DAZ/FTZ.  Prints each result with the MXCSR after it (the
 * exception flags); large sweeps are hashed.  All exceptions stay masked.
 */
#include "sse4_common.h"

typedef float vf __attribute__((vector_size(16)));

static const uint32_t fspec[] = {
	0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0xbfc00000, 0x40200000,
	0xc0200000, 0x3f000000, 0xbf000000, 0x3effffff, 0x3f7fffff, 0x4b000000, 0x4affffff,
	0xcb7fffff, 0x4b800000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc12345, 0x7f800001,
	0xff900000, 0x00000001, 0x807fffff, 0x00800000, 0x7f7fffff, 0xff7fffff, 0x3eaaaaab,
	0x40490fdb, 0xc0490fdb, 0x34000000, 0x1f800000,
};
#define NF (sizeof(fspec) / sizeof(fspec[0]))
static const uint64_t dspec[] = {
	0, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull,
	0x3ff8000000000000ull, 0xbff8000000000000ull, 0x4004000000000000ull,
	0x3fe0000000000000ull, 0xbfe0000000000000ull, 0x3fdfffffffffffffull,
	0x4330000000000000ull, 0x432fffffffffffffull, 0xc33fffffffffffffull,
	0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull,
	0xfff8000000012345ull, 0x7ff0000000000001ull, 0xfff4000000000000ull, 1,
	0x800fffffffffffffull, 0x0010000000000000ull, 0x7fefffffffffffffull,
	0x400921fb54442d18ull, 0xc00921fb54442d18ull, 0x3fd5555555555555ull,
	0x3cb0000000000000ull, 0x1ff0000000000000ull,
};
#define ND (sizeof(dspec) / sizeof(dspec[0]))

/* MXCSR configurations: every RC, with/without FTZ+DAZ, all masked. */
static const uint32_t csrs[] = { 0x1f80, 0x3f80, 0x5f80, 0x7f80, 0x9fc0, 0xbfc0, 0xdfc0, 0xffc0 };

static inline void csr_restore(void)
{
	uint32_t d = 0x1f80;
	__asm__ volatile("ldmxcsr %0" : : "m"(d));
}

/* d = op(d, s) under csr; returns the MXCSR after. */
#define FP_CASE(text, n)                                                                  \
	case n:                                                                           \
		__asm__ volatile("ldmxcsr %[ci]\n\t" text " %[i], %[s], %[d]\n\t"           \
				 "stmxcsr %[co]"                                          \
				 : [d] "+x"(d), [co] "=m"(co)                             \
				 : [s] "x"(s), [ci] "m"(ci), [i] "i"(n));                 \
		break;
#define DEF_IMM(name, text)                                                              \
	static uint32_t name(unsigned imm, v128 *dv, const v128 *sv, uint32_t ci)       \
	{                                                                                \
		vf d, s;                                                                 \
		uint32_t co = 0;                                                         \
		memcpy(&d, dv, 16);                                                      \
		memcpy(&s, sv, 16);                                                      \
		switch (imm) {                                                           \
			REP256(C_##name)                                                 \
		}                                                                        \
		csr_restore();                                                           \
		memcpy(dv, &d, 16);                                                      \
		return co;                                                               \
	}
#define C_roundps(n) FP_CASE("roundps", n)
#define C_roundpd(n) FP_CASE("roundpd", n)
#define C_roundss(n) FP_CASE("roundss", n)
#define C_roundsd(n) FP_CASE("roundsd", n)
#define C_dpps(n) FP_CASE("dpps", n)
#define C_dppd(n) FP_CASE("dppd", n)
DEF_IMM(roundps, "roundps")
DEF_IMM(roundpd, "roundpd")
DEF_IMM(roundss, "roundss")
DEF_IMM(roundsd, "roundsd")
DEF_IMM(dpps, "dpps")
DEF_IMM(dppd, "dppd")

#define DEF_OP2(name)                                                                    \
	static uint32_t name(unsigned imm, v128 *dv, const v128 *sv, uint32_t ci)       \
	{                                                                                \
		vf d, s;                                                                 \
		uint32_t co = 0;                                                         \
		(void)imm;                                                               \
		memcpy(&d, dv, 16);                                                      \
		memcpy(&s, sv, 16);                                                      \
		__asm__ volatile("ldmxcsr %[ci]\n\t" #name " %[s], %[d]\n\t"              \
				 "stmxcsr %[co]"                                          \
				 : [d] "+x"(d), [co] "=m"(co)                             \
				 : [s] "x"(s), [ci] "m"(ci));                             \
		csr_restore();                                                           \
		memcpy(dv, &d, 16);                                                      \
		return co;                                                               \
	}
DEF_OP2(addsubps)
DEF_OP2(addsubpd)
DEF_OP2(haddps)
DEF_OP2(haddpd)
DEF_OP2(hsubps)
DEF_OP2(hsubpd)

/* Memory-operand forms (aligned m128, m32, m64) for a few immediates. */
static uint32_t roundss_m(v128 *dv, const uint32_t *m, uint32_t ci)
{
	vf d;
	uint32_t co = 0;
	memcpy(&d, dv, 16);
	__asm__ volatile("ldmxcsr %[ci]\n\troundss $9, %[m], %[d]\n\tstmxcsr %[co]"
			 : [d] "+x"(d), [co] "=m"(co)
			 : [m] "m"(*m), [ci] "m"(ci));
	csr_restore();
	memcpy(dv, &d, 16);
	return co;
}
static uint32_t dpps_m(v128 *dv, const v128 *m, uint32_t ci)
{
	vf d;
	uint32_t co = 0;
	memcpy(&d, dv, 16);
	__asm__ volatile("ldmxcsr %[ci]\n\tdpps $0x7d, %[m], %[d]\n\tstmxcsr %[co]"
			 : [d] "+x"(d), [co] "=m"(co)
			 : [m] "m"(*m), [ci] "m"(ci));
	csr_restore();
	memcpy(dv, &d, 16);
	return co;
}

typedef uint32_t (*fp_fn)(unsigned, v128 *, const v128 *, uint32_t);

static void fill(v128 *v, int dbl, unsigned k)
{
	if (dbl) {
		v->q[0] = dspec[k % ND];
		v->q[1] = dspec[(k * 7 + 3) % ND];
	} else {
		for (unsigned i = 0; i < 4; i++)
			v->l[i] = fspec[(k + i * 9) % NF];
	}
}

/* Random finite values of modest range so that products/sums round. */
static void fill_rand(v128 *v, int dbl)
{
	if (dbl) {
		for (int i = 0; i < 2; i++) {
			double x = (double)(int32_t)rnd64() / (double)(1 << (rnd64() % 20));
			memcpy(&v->q[i], &x, 8);
		}
	} else {
		for (int i = 0; i < 4; i++) {
			float x = (float)(int32_t)rnd64() / (float)(1 << (rnd64() % 20));
			memcpy(&v->l[i], &x, 4);
		}
	}
}

static void sweep_imm(const char *name, fp_fn f, int dbl)
{
	unsigned n = dbl ? ND : NF;
	for (unsigned imm = 0; imm < 256; imm++) {
		fnv = 0xcbf29ce484222325ull;
		int raw = imm < 16 || (imm & 0x0f) == 0x0d;
		if (raw)
			printf("%s %02x:", name, imm);
		for (unsigned ci = 0; ci < 8; ci++)
			for (unsigned k = 0; k < n; k++) {
				v128 d, s;
				fill(&d, dbl, k * 3 + 1);
				fill(&s, dbl, k);
				uint32_t co = f(imm, &d, &s, csrs[ci]);
				hash_bytes(&d, 16);
				hash_bytes(&co, 4);
				if (raw && ci == 0 && k % 4 == 0) {
					pv(&d);
					printf(":%04x", co);
				}
			}
		rng_state = 77 + imm;
		for (unsigned k = 0; k < 16; k++) {
			v128 d, s;
			fill_rand(&d, dbl);
			fill_rand(&s, dbl);
			uint32_t co = f(imm, &d, &s, csrs[k & 7]);
			hash_bytes(&d, 16);
			hash_bytes(&co, 4);
			if (raw && k < 3) {
				pv(&d);
				printf(":%04x", co);
			}
		}
		if (raw)
			printf(" h=%016llx\n", (unsigned long long)fnv);
		else
			printf("%s %02x: h=%016llx\n", name, imm, (unsigned long long)fnv);
	}
}

static void sweep_pairs(const char *name, fp_fn f, int dbl)
{
	unsigned n = dbl ? ND : NF;
	for (unsigned ci = 0; ci < 8; ci++) {
		fnv = 0xcbf29ce484222325ull;
		printf("%s csr=%04x:", name, csrs[ci]);
		for (unsigned x = 0; x < n; x++)
			for (unsigned y = 0; y < n; y++) {
				v128 d, s;
				if (dbl) {
					d.q[0] = dspec[x], d.q[1] = dspec[y];
					s.q[0] = dspec[y], s.q[1] = dspec[(x + y) % n];
				} else {
					d.l[0] = fspec[x], d.l[1] = fspec[y], d.l[2] = fspec[y], d.l[3] = fspec[x];
					s.l[0] = fspec[y], s.l[1] = fspec[x], s.l[2] = fspec[(x + y) % n];
					s.l[3] = fspec[(x * y) % n];
				}
				uint32_t co = f(0, &d, &s, csrs[ci]);
				hash_bytes(&d, 16);
				hash_bytes(&co, 4);
				if (ci == 0 && x == y) {
					pv(&d);
					printf(":%02x", co & 0x3f);
				}
			}
		printf(" h=%016llx\n", (unsigned long long)fnv);
	}
}

int main(void)
{
	sweep_pairs("addsubps", addsubps, 0);
	sweep_pairs("addsubpd", addsubpd, 1);
	sweep_pairs("haddps", haddps, 0);
	sweep_pairs("haddpd", haddpd, 1);
	sweep_pairs("hsubps", hsubps, 0);
	sweep_pairs("hsubpd", hsubpd, 1);
	sweep_imm("roundps", roundps, 0);
	sweep_imm("roundpd", roundpd, 1);
	sweep_imm("roundss", roundss, 0);
	sweep_imm("roundsd", roundsd, 1);
	sweep_imm("dpps", dpps, 0);
	sweep_imm("dppd", dppd, 1);
	/* memory forms */
	static v128 mv;
	for (unsigned k = 0; k < NF; k++) {
		v128 d;
		fill(&d, 0, k);
		uint32_t co = roundss_m(&d, &fspec[k], csrs[k & 7]);
		printf("roundss m32 %08x:", fspec[k]);
		pv(&d);
		printf(":%04x\n", co);
		fill(&d, 0, k + 5);
		fill(&mv, 0, k * 5);
		co = dpps_m(&d, &mv, csrs[k & 7]);
		printf("dpps m128:");
		pv(&d);
		printf(":%04x\n", co);
	}
	return 0;
}
