/* lemu-test: m32 */
/*
 * SSE/SSE2 conversions: CVTPI2PS/PD, CVTSI2SS/SD (32- and, on x86_64,
 * 64-bit sources), CVT(T)PS2PI, CVT(T)PD2PI, CVT(T)SS2SI, CVT(T)SD2SI
 * (32/64-bit destinations), CVTPS2PD, CVTPD2PS, CVTSS2SD, CVTSD2SS,
 * CVTDQ2PS, CVT(T)PS2DQ, CVTDQ2PD, CVT(T)PD2DQ, register and memory
 * sources, over edge values (NaNs -> integer indefinite, out-of-range,
 * halfway cases, denormals) in all 16 MXCSR modes.  Prints the raw result
 * and the MXCSR flags of every conversion.
 */
#include "sse_common.h"

static const uint32_t cf32[] = {
	0x3f000000, 0xbf000000, 0x3fc00000, 0x40200000, 0xbfc00000, 0xc0200000, 0x4effffff,
	0xcf000001, 0x5f000000, 0xdf000000, 0x5effffff, 0xdf000001, 0x4b000001, 0x4afffffd,
	0x3effffff, 0x7f000000,
};
static const uint64_t cf64[] = {
	0x3fe0000000000000ull, 0xbfe0000000000000ull, 0x4004000000000000ull, 0xc004000000000000ull,
	0x41dfffffffe00000ull, 0x41dfffffffc00000ull, 0xc1e0000000100000ull, 0xc1e0000000200000ull,
	0x41dfffffffffffffull, 0x43dfffffffffffffull, 0x43e0000000000000ull, 0xc3e0000000000000ull,
	0xc3e0000000000001ull, 0x43f0000000000000ull, 0x4330000000000001ull, 0x3fdfffffffffffffull,
};
#define NCF32 (N_F32 + sizeof(cf32) / 4)
#define NCF64 (N_F64 + sizeof(cf64) / 8)
static uint32_t vf32(unsigned i)
{
	i %= NCF32;
	return i < N_F32 ? f32_edges[i] : cf32[i - N_F32];
}
static uint64_t vf64(unsigned i)
{
	i %= NCF64;
	return i < N_F64 ? f64_edges[i] : cf64[i - N_F64];
}
static const uint64_t ints[] = {
	0, 1, ~0ull, 0x7fffffff, 0x80000000, 0xffffffff, 16777217, (uint64_t)-16777217,
	0x7fffffc0, 0x7fffffbf, 0x7fffff80, 0x8000007f, 0x01000003, 0x12345678,
	0x7fffffffffffffffull, 0x8000000000000000ull, 0x0020000000000001ull,
	0xffdfffffffffffffull, 0x7ffffffffffffdffull, 0x4000000000000401ull, 0x0000000100000001ull,
	0xfffffffefffffffdull,
};
#define NINTS (sizeof(ints) / sizeof(ints[0]))

typedef void (*opfn)(v128 *d, const v128 *s, int mem);

/* xmm <- xmm/mem (dest preloaded from d). */
#define DEFX(fn, text)                                                                         \
	static void fn(v128 *d, const v128 *s, int mem)                                        \
	{                                                                                      \
		if (mem)                                                                       \
			__asm__ volatile("movdqa %[d], %%xmm1\n\t" text " %[s], %%xmm1\n\t"    \
					 "movdqa %%xmm1, %[d]"                                  \
					 : [d] "+m"(*d) : [s] "m"(*s) : "xmm1");                \
		else                                                                           \
			__asm__ volatile("movdqa %[d], %%xmm1\n\tmovdqa %[s], %%xmm2\n\t" text \
					 " %%xmm2, %%xmm1\n\tmovdqa %%xmm1, %[d]"               \
					 : [d] "+m"(*d) : [s] "m"(*s) : "xmm1", "xmm2");        \
	}
/* mm <- xmm/mem: result in d->q[0] */
#define DEFTOM(fn, text)                                                                       \
	static void fn(v128 *d, const v128 *s, int mem)                                        \
	{                                                                                      \
		if (mem)                                                                       \
			__asm__ volatile("movq %[d], %%mm1\n\t" text " %[s], %%mm1\n\t"        \
					 "movq %%mm1, %[d]\n\temms"                             \
					 : [d] "+m"(d->q[0]) : [s] "m"(*s) : "mm1");            \
		else                                                                           \
			__asm__ volatile("movq %[d], %%mm1\n\tmovdqa %[s], %%xmm2\n\t" text    \
					 " %%xmm2, %%mm1\n\tmovq %%mm1, %[d]\n\temms"           \
					 : [d] "+m"(d->q[0]) : [s] "m"(*s) : "mm1", "xmm2");    \
	}
/* xmm <- mm/m64 */
#define DEFFROMM(fn, text)                                                                     \
	static void fn(v128 *d, const v128 *s, int mem)                                        \
	{                                                                                      \
		if (mem)                                                                       \
			__asm__ volatile("movdqa %[d], %%xmm1\n\t" text " %[s], %%xmm1\n\t"    \
					 "movdqa %%xmm1, %[d]"                                  \
					 : [d] "+m"(*d) : [s] "m"(s->q[0]) : "xmm1");           \
		else                                                                           \
			__asm__ volatile("movdqa %[d], %%xmm1\n\tmovq %[s], %%mm2\n\t" text    \
					 " %%mm2, %%xmm1\n\tmovdqa %%xmm1, %[d]\n\temms"        \
					 : [d] "+m"(*d) : [s] "m"(s->q[0]) : "xmm1", "mm2");    \
	}
DEFX(cvtps2pd, "cvtps2pd")
DEFX(cvtpd2ps, "cvtpd2ps")
DEFX(cvtss2sd, "cvtss2sd")
DEFX(cvtsd2ss, "cvtsd2ss")
DEFX(cvtdq2ps, "cvtdq2ps")
DEFX(cvtps2dq, "cvtps2dq")
DEFX(cvttps2dq, "cvttps2dq")
DEFX(cvtdq2pd, "cvtdq2pd")
DEFX(cvtpd2dq, "cvtpd2dq")
DEFX(cvttpd2dq, "cvttpd2dq")
DEFTOM(cvtps2pi, "cvtps2pi")
DEFTOM(cvttps2pi, "cvttps2pi")
DEFTOM(cvtpd2pi, "cvtpd2pi")
DEFTOM(cvttpd2pi, "cvttpd2pi")
DEFFROMM(cvtpi2ps, "cvtpi2ps")
DEFFROMM(cvtpi2pd, "cvtpi2pd")

enum { S_F32, S_F64, S_I32 };
static const struct {
	const char *name;
	opfn f;
	int src;
} vops[] = {
	{ "cvtps2pd", cvtps2pd, S_F32 }, { "cvtpd2ps", cvtpd2ps, S_F64 },
	{ "cvtss2sd", cvtss2sd, S_F32 }, { "cvtsd2ss", cvtsd2ss, S_F64 },
	{ "cvtdq2ps", cvtdq2ps, S_I32 }, { "cvtps2dq", cvtps2dq, S_F32 },
	{ "cvttps2dq", cvttps2dq, S_F32 }, { "cvtdq2pd", cvtdq2pd, S_I32 },
	{ "cvtpd2dq", cvtpd2dq, S_F64 }, { "cvttpd2dq", cvttpd2dq, S_F64 },
	{ "cvtps2pi", cvtps2pi, S_F32 }, { "cvttps2pi", cvttps2pi, S_F32 },
	{ "cvtpd2pi", cvtpd2pi, S_F64 }, { "cvttpd2pi", cvttpd2pi, S_F64 },
	{ "cvtpi2ps", cvtpi2ps, S_I32 }, { "cvtpi2pd", cvtpi2pd, S_I32 },
};

static void run_vec(unsigned k)
{
	unsigned n = vops[k].src == S_F32 ? NCF32 : vops[k].src == S_F64 ? NCF64 : NINTS;
	for (unsigned mode = 0; mode < 16; mode++) {
		hash_reset();
		for (unsigned i = 0; i < n; i++) {
			v128 s, d[2];
			for (int l = 0; l < 4; l++) {
				if (vops[k].src == S_F32)
					s.l[l] = vf32(i + 5 * (unsigned)l);
				else if (vops[k].src == S_I32)
					s.l[l] = (uint32_t)ints[(i + 3 * (unsigned)l) % NINTS];
			}
			if (vops[k].src == S_F64) {
				s.q[0] = vf64(i);
				s.q[1] = vf64(i + 7);
			}
			uint32_t f[2];
			for (int mem = 0; mem < 2; mem++) {
				d[mem].q[0] = 0x1111222233334444ull;
				d[mem].q[1] = 0x5555666677778888ull;
				set_mxcsr(mode_csr(mode));
				vops[k].f(&d[mem], &s, mem);
				f[mem] = get_mxcsr() & 0x3f;
				set_mxcsr(0x1f80);
			}
			hash_bytes(d, sizeof(d));
			hash_bytes(f, sizeof(f));
			if (mode < 4 || mode == 12 || mode == 15) {
				printf("%s m%u %u:", vops[k].name, mode, i);
				pv(&d[0]);
				printf(" f=%02x", f[0]);
				if (memcmp(&d[0], &d[1], 16) || f[0] != f[1]) {
					printf(" mem:");
					pv(&d[1]);
					printf(" f=%02x", f[1]);
				}
				printf("\n");
			}
		}
		printf("%s mode %u: %016llx\n", vops[k].name, mode, (unsigned long long)fnv);
	}
}

/* Scalar float -> integer register. */
#define DEF2SI(fn, text, T, suf)                                                              \
	static T fn(const v128 *s, int mem)                                                   \
	{                                                                                     \
		T r;                                                                          \
		if (mem)                                                                      \
			__asm__ volatile(text " %[s], %" suf "[r]" : [r] "=r"(r) : [s] "m"(*s)); \
		else                                                                          \
			__asm__ volatile("movdqa %[s], %%xmm2\n\t" text " %%xmm2, %" suf "[r]" \
					 : [r] "=r"(r) : [s] "m"(*s) : "xmm2");                \
		return r;                                                                     \
	}
DEF2SI(cvtss2si32, "cvtss2si", uint32_t, "k")
DEF2SI(cvttss2si32, "cvttss2si", uint32_t, "k")
DEF2SI(cvtsd2si32, "cvtsd2si", uint32_t, "k")
DEF2SI(cvttsd2si32, "cvttsd2si", uint32_t, "k")
#ifdef __x86_64__
DEF2SI(cvtss2si64, "cvtss2si", uint64_t, "q")
DEF2SI(cvttss2si64, "cvttss2si", uint64_t, "q")
DEF2SI(cvtsd2si64, "cvtsd2si", uint64_t, "q")
DEF2SI(cvttsd2si64, "cvttsd2si", uint64_t, "q")
#endif

static void run_2si(void)
{
	static const struct {
		const char *name;
		uint32_t (*f)(const v128 *, int);
		int dbl;
	} o32[] = {
		{ "cvtss2si", cvtss2si32, 0 }, { "cvttss2si", cvttss2si32, 0 },
		{ "cvtsd2si", cvtsd2si32, 1 }, { "cvttsd2si", cvttsd2si32, 1 },
	};
	for (size_t k = 0; k < 4; k++)
		for (unsigned mode = 0; mode < 16; mode++) {
			unsigned n = o32[k].dbl ? NCF64 : NCF32;
			for (unsigned i = 0; i < n; i++) {
				v128 s;
				s.q[1] = 0x7ff0000000000001ull;
				if (o32[k].dbl)
					s.q[0] = vf64(i);
				else
					s.q[0] = 0x7f800001ull << 32 | vf32(i);
				uint32_t r[2], f[2];
				for (int mem = 0; mem < 2; mem++) {
					set_mxcsr(mode_csr(mode));
					r[mem] = o32[k].f(&s, mem);
					f[mem] = get_mxcsr() & 0x3f;
					set_mxcsr(0x1f80);
				}
				printf("%s m%u %u: %08x f=%02x", o32[k].name, mode, i, r[0], f[0]);
				if (r[0] != r[1] || f[0] != f[1])
					printf(" mem: %08x f=%02x", r[1], f[1]);
				printf("\n");
			}
		}
#ifdef __x86_64__
	static const struct {
		const char *name;
		uint64_t (*f)(const v128 *, int);
		int dbl;
	} o64[] = {
		{ "cvtss2si64", cvtss2si64, 0 }, { "cvttss2si64", cvttss2si64, 0 },
		{ "cvtsd2si64", cvtsd2si64, 1 }, { "cvttsd2si64", cvttsd2si64, 1 },
	};
	for (size_t k = 0; k < 4; k++)
		for (unsigned mode = 0; mode < 16; mode++) {
			unsigned n = o64[k].dbl ? NCF64 : NCF32;
			for (unsigned i = 0; i < n; i++) {
				v128 s;
				s.q[1] = 0x7ff0000000000001ull;
				if (o64[k].dbl)
					s.q[0] = vf64(i);
				else
					s.q[0] = 0x7f800001ull << 32 | vf32(i);
				uint64_t r[2];
				uint32_t f[2];
				for (int mem = 0; mem < 2; mem++) {
					set_mxcsr(mode_csr(mode));
					r[mem] = o64[k].f(&s, mem);
					f[mem] = get_mxcsr() & 0x3f;
					set_mxcsr(0x1f80);
				}
				printf("%s m%u %u: %016llx f=%02x", o64[k].name, mode, i,
				       (unsigned long long)r[0], f[0]);
				if (r[0] != r[1] || f[0] != f[1])
					printf(" mem: %016llx f=%02x", (unsigned long long)r[1], f[1]);
				printf("\n");
			}
		}
#endif
}

/* Integer register/memory -> scalar float. */
static void run_si2(void)
{
	for (unsigned mode = 0; mode < 4; mode++)
		for (unsigned i = 0; i < NINTS; i++) {
			uint32_t g = (uint32_t)ints[i];
			v128 d[4];
			uint32_t f[4];
			for (int k = 0; k < 4; k++) {
				d[k].q[0] = 0x1111222233334444ull;
				d[k].q[1] = 0x5555666677778888ull;
				set_mxcsr(mode_csr(mode));
				switch (k) {
				case 0: __asm__ volatile("movdqa %[d], %%xmm1\n\tcvtsi2ssl %[g], %%xmm1\n\tmovdqa %%xmm1, %[d]" : [d] "+m"(d[k]) : [g] "r"(g) : "xmm1"); break;
				case 1: __asm__ volatile("movdqa %[d], %%xmm1\n\tcvtsi2ssl %[g], %%xmm1\n\tmovdqa %%xmm1, %[d]" : [d] "+m"(d[k]) : [g] "m"(g) : "xmm1"); break;
				case 2: __asm__ volatile("movdqa %[d], %%xmm1\n\tcvtsi2sdl %[g], %%xmm1\n\tmovdqa %%xmm1, %[d]" : [d] "+m"(d[k]) : [g] "r"(g) : "xmm1"); break;
				default: __asm__ volatile("movdqa %[d], %%xmm1\n\tcvtsi2sdl %[g], %%xmm1\n\tmovdqa %%xmm1, %[d]" : [d] "+m"(d[k]) : [g] "m"(g) : "xmm1"); break;
				}
				f[k] = get_mxcsr() & 0x3f;
				set_mxcsr(0x1f80);
			}
			printf("cvtsi2ss/sd m%u %08x:", mode, g);
			for (int k = 0; k < 4; k++) {
				pv(&d[k]);
				printf(" f=%02x", f[k]);
			}
			printf("\n");
#ifdef __x86_64__
			uint64_t q = ints[i];
			for (int k = 0; k < 4; k++) {
				d[k].q[0] = 0x1111222233334444ull;
				d[k].q[1] = 0x5555666677778888ull;
				set_mxcsr(mode_csr(mode));
				switch (k) {
				case 0: __asm__ volatile("movdqa %[d], %%xmm1\n\tcvtsi2ssq %[g], %%xmm1\n\tmovdqa %%xmm1, %[d]" : [d] "+m"(d[k]) : [g] "r"(q) : "xmm1"); break;
				case 1: __asm__ volatile("movdqa %[d], %%xmm1\n\tcvtsi2ssq %[g], %%xmm1\n\tmovdqa %%xmm1, %[d]" : [d] "+m"(d[k]) : [g] "m"(q) : "xmm1"); break;
				case 2: __asm__ volatile("movdqa %[d], %%xmm1\n\tcvtsi2sdq %[g], %%xmm1\n\tmovdqa %%xmm1, %[d]" : [d] "+m"(d[k]) : [g] "r"(q) : "xmm1"); break;
				default: __asm__ volatile("movdqa %[d], %%xmm1\n\tcvtsi2sdq %[g], %%xmm1\n\tmovdqa %%xmm1, %[d]" : [d] "+m"(d[k]) : [g] "m"(q) : "xmm1"); break;
				}
				f[k] = get_mxcsr() & 0x3f;
				set_mxcsr(0x1f80);
			}
			printf("cvtsi2ss/sd q m%u %016llx:", mode, (unsigned long long)q);
			for (int k = 0; k < 4; k++) {
				pv(&d[k]);
				printf(" f=%02x", f[k]);
			}
			printf("\n");
#endif
		}
}

int main(void)
{
	for (unsigned k = 0; k < sizeof(vops) / sizeof(vops[0]); k++)
		run_vec(k);
	run_2si();
	run_si2();
	return 0;
}
