/* lemu-test: m32 */
/*
 * MMX and SSE2 integer instructions, MMX (mm) and XMM forms, register and
 * memory sources: add/sub (wrapping and saturating), multiplies, PMADDWD,
 * PAVG, PMIN/PMAX, PSADBW, compares, logic, pack/unpack, over every pair
 * of 16 edge vectors (sign boundaries, all-ones, saturation limits) plus
 * random pairs; shifts by register/memory counts 0..70 and huge counts,
 * and by every imm8; PSHUFD/HW/LW/W, SHUFPS/PD, PINSRW/PEXTRW over every
 * imm8; PSLLDQ/PSRLDQ.  Prints raw hex.
 */
#include "sse_common.h"

typedef void (*opfn)(v128 *d, const v128 *s);

#define DEFX(fn, text)                                                                    \
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
/* MMX forms work on the low 64 bits of d and s. */
#define DEFM(fn, text)                                                                    \
	static void fn##_mr(v128 *d, const v128 *s)                                       \
	{                                                                                 \
		__asm__ volatile("movq %[d], %%mm1\n\t"                                   \
				 "movq %[s], %%mm2\n\t" text " %%mm2, %%mm1\n\t"          \
				 "movq %%mm1, %[d]\n\temms"                                \
				 : [d] "+m"(d->q[0])                                       \
				 : [s] "m"(s->q[0])                                        \
				 : "mm1", "mm2");                                          \
	}                                                                                 \
	static void fn##_mm(v128 *d, const v128 *s)                                       \
	{                                                                                 \
		__asm__ volatile("movq %[d], %%mm1\n\t" text " %[s], %%mm1\n\t"           \
				 "movq %%mm1, %[d]\n\temms"                                \
				 : [d] "+m"(d->q[0])                                       \
				 : [s] "m"(s->q[0])                                        \
				 : "mm1");                                                 \
	}
#define DEF2(fn) DEFX(fn, #fn) DEFM(fn, #fn)

DEF2(paddb) DEF2(paddw) DEF2(paddd) DEF2(paddq) DEF2(psubb) DEF2(psubw) DEF2(psubd) DEF2(psubq)
DEF2(paddsb) DEF2(paddsw) DEF2(paddusb) DEF2(paddusw) DEF2(psubsb) DEF2(psubsw) DEF2(psubusb)
DEF2(psubusw) DEF2(pmullw) DEF2(pmulhw) DEF2(pmulhuw) DEF2(pmuludq) DEF2(pmaddwd) DEF2(pavgb)
DEF2(pavgw) DEF2(pminub) DEF2(pmaxub) DEF2(pminsw) DEF2(pmaxsw) DEF2(psadbw) DEF2(pcmpeqb)
DEF2(pcmpeqw) DEF2(pcmpeqd) DEF2(pcmpgtb) DEF2(pcmpgtw) DEF2(pcmpgtd) DEF2(pand) DEF2(pandn)
DEF2(por) DEF2(pxor) DEF2(packsswb) DEF2(packssdw) DEF2(packuswb) DEF2(punpcklbw)
DEF2(punpcklwd) DEF2(punpckldq) DEF2(punpckhbw) DEF2(punpckhwd) DEF2(punpckhdq)
DEF2(psllw) DEF2(pslld) DEF2(psllq) DEF2(psrlw) DEF2(psrld) DEF2(psrlq) DEF2(psraw) DEF2(psrad)
DEFX(punpcklqdq, "punpcklqdq") DEFX(punpckhqdq, "punpckhqdq")

struct op {
	const char *name;
	opfn r, m, mr, mm;
};
#define O(n) { #n, n##_r, n##_m, n##_mr, n##_mm }
#define OX(n) { #n, n##_r, n##_m, NULL, NULL }
static const struct op ops[] = {
	O(paddb), O(paddw), O(paddd), O(paddq), O(psubb), O(psubw), O(psubd), O(psubq),
	O(paddsb), O(paddsw), O(paddusb), O(paddusw), O(psubsb), O(psubsw), O(psubusb),
	O(psubusw), O(pmullw), O(pmulhw), O(pmulhuw), O(pmuludq), O(pmaddwd), O(pavgb),
	O(pavgw), O(pminub), O(pmaxub), O(pminsw), O(pmaxsw), O(psadbw), O(pcmpeqb),
	O(pcmpeqw), O(pcmpeqd), O(pcmpgtb), O(pcmpgtw), O(pcmpgtd), O(pand), O(pandn),
	O(por), O(pxor), O(packsswb), O(packssdw), O(packuswb), O(punpcklbw),
	O(punpcklwd), O(punpckldq), O(punpckhbw), O(punpckhwd), O(punpckhdq),
	OX(punpcklqdq), OX(punpckhqdq),
};
static const struct op shifts[] = {
	O(psllw), O(pslld), O(psllq), O(psrlw), O(psrld), O(psrlq), O(psraw), O(psrad),
};

static v128 vecs[16];
static void init_vecs(void)
{
	static const uint64_t pat[12][2] = {
		{ 0, 0 },
		{ ~0ull, ~0ull },
		{ 0x8080808080808080ull, 0x7f7f7f7f7f7f7f7full },
		{ 0x7f7f7f7f80808080ull, 0x0101010101010101ull },
		{ 0x8000800080008000ull, 0x7fff7fff7fff7fffull },
		{ 0x7fff80007fff8000ull, 0xffff0001ffff0001ull },
		{ 0x800000007fffffffull, 0x80000000ffffffffull },
		{ 0x8000000000000000ull, 0x7fffffffffffffffull },
		{ 0x00ff00ff00ff00ffull, 0xff00ff00ff00ff00ull },
		{ 0x0123456789abcdefull, 0xfedcba9876543210ull },
		{ 0x00000001ffffffffull, 0xffffffff00000001ull },
		{ 0xff7f0180fe02817eull, 0x7ffe80020001fffeull },
	};
	for (int i = 0; i < 12; i++) {
		vecs[i].q[0] = pat[i][0];
		vecs[i].q[1] = pat[i][1];
	}
	for (int i = 12; i < 16; i++) {
		vecs[i].q[0] = rnd64();
		vecs[i].q[1] = rnd64();
	}
}

static void run_op(const struct op *o)
{
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 16; j++) {
			v128 d = vecs[i], dm = vecs[i], s = vecs[j];
			o->r(&d, &s);
			o->m(&dm, &s);
			printf("%s %d,%d:", o->name, i, j);
			pv(&d);
			if (memcmp(&d, &dm, 16)) {
				printf(" mem:");
				pv(&dm);
			}
			if (o->mr) {
				v128 e = vecs[i], em = vecs[i], f = vecs[j];
				e.q[0] = vecs[i].q[1] ^ vecs[j].q[0];
				em = e;
				o->mr(&e, &f);
				o->mm(&em, &f);
				printf(" mmx %016llx", (unsigned long long)e.q[0]);
				if (e.q[0] != em.q[0])
					printf(" mem %016llx", (unsigned long long)em.q[0]);
			}
			printf("\n");
		}
	/* random pairs, hashed */
	hash_reset();
	for (int k = 0; k < 2000; k++) {
		v128 d, s;
		d.q[0] = rnd64(), d.q[1] = rnd64(), s.q[0] = rnd64(), s.q[1] = rnd64();
		if (k & 1)
			s.q[1] = d.q[0] ^ (1ull << (k % 64));
		v128 d2 = d;
		o->r(&d, &s);
		hash_bytes(&d, 16);
		if (o->mr) {
			o->mr(&d2, &s);
			hash_bytes(&d2, 8);
		}
	}
	printf("%s random: %016llx\n", o->name, (unsigned long long)fnv);
}

static void run_shift(const struct op *o)
{
	static const uint64_t counts[] = { 0x100, 0x10000, 0x100000000ull, 0x8000000000000000ull,
					   0xffffffffffffffffull, 0x4000000000000001ull };
	v128 base = vecs[11];
	for (unsigned k = 0; k < 71 + 6; k++) {
		v128 s, d = base, dm = base, e = base;
		s.q[0] = k < 71 ? k : counts[k - 71];
		s.q[1] = 0xffffffffffffffffull; /* ignored */
		o->r(&d, &s);
		o->m(&dm, &s);
		o->mr(&e, &s);
		printf("%s count %llx:", o->name, (unsigned long long)s.q[0]);
		pv(&d);
		if (memcmp(&d, &dm, 16)) {
			printf(" mem:");
			pv(&dm);
		}
		printf(" mmx %016llx\n", (unsigned long long)e.q[0]);
	}
}

/* --- immediate forms: one instantiation per imm8 ------------------------ */

/* "text $imm, %xmm1" / "%mm1" on d (shift groups 12-14). */
#define SHI_CASE_X(n) case n: __asm__ volatile("movdqa %[d], %%xmm1\n\t" TEXT " %[i], %%xmm1\n\tmovdqa %%xmm1, %[d]" : [d] "+m"(*d) : [i] "i"(n) : "xmm1"); break;
#define SHI_CASE_M(n) case n: __asm__ volatile("movq %[d], %%mm1\n\t" TEXT " %[i], %%mm1\n\tmovq %%mm1, %[d]\n\temms" : [d] "+m"(d->q[0]) : [i] "i"(n) : "mm1"); break;
#define SHI_FN(fn)                                                       \
	static void fn##_ix(v128 *d, unsigned imm)                       \
	{                                                                \
		switch (imm) { REP256(SHI_CASE_X) }                      \
	}                                                                \
	static void fn##_im(v128 *d, unsigned imm)                       \
	{                                                                \
		switch (imm) { REP256(SHI_CASE_M) }                      \
	}
#define TEXT "psllw"
SHI_FN(psllw)
#undef TEXT
#define TEXT "pslld"
SHI_FN(pslld)
#undef TEXT
#define TEXT "psllq"
SHI_FN(psllq)
#undef TEXT
#define TEXT "psrlw"
SHI_FN(psrlw)
#undef TEXT
#define TEXT "psrld"
SHI_FN(psrld)
#undef TEXT
#define TEXT "psrlq"
SHI_FN(psrlq)
#undef TEXT
#define TEXT "psraw"
SHI_FN(psraw)
#undef TEXT
#define TEXT "psrad"
SHI_FN(psrad)
#undef TEXT

#define DQ_CASE(n) case n: __asm__ volatile("movdqa %[d], %%xmm1\n\t" TEXT " %[i], %%xmm1\n\tmovdqa %%xmm1, %[d]" : [d] "+m"(*d) : [i] "i"(n) : "xmm1"); break;
#define TEXT "pslldq"
static void pslldq_i(v128 *d, unsigned imm) { switch (imm) { REP256(DQ_CASE) } }
#undef TEXT
#define TEXT "psrldq"
static void psrldq_i(v128 *d, unsigned imm) { switch (imm) { REP256(DQ_CASE) } }
#undef TEXT

/* "text $imm, src, dst" forms: reg and mem source. */
#define SH_CASE(n)                                                                                   \
	case n:                                                                                      \
		__asm__ volatile("movdqa %[d], %%xmm1\n\tmovdqa %[s], %%xmm2\n\t" TEXT " %[i], %%xmm2, %%xmm1\n\t" \
				 "movdqa %%xmm1, %[d]\n\tmovdqa %[dm], %%xmm1\n\t" TEXT " %[i], %[s], %%xmm1\n\t" \
				 "movdqa %%xmm1, %[dm]"                                              \
				 : [d] "+m"(*d), [dm] "+m"(*dm)                                      \
				 : [s] "m"(*s), [i] "i"(n)                                           \
				 : "xmm1", "xmm2");                                                  \
		break;
#define SHM_CASE(n)                                                                                  \
	case n:                                                                                      \
		__asm__ volatile("movq %[d], %%mm1\n\tmovq %[s], %%mm2\n\t" TEXT " %[i], %%mm2, %%mm1\n\t"   \
				 "movq %%mm1, %[d]\n\tmovq %[dm], %%mm1\n\t" TEXT " %[i], %[s], %%mm1\n\t" \
				 "movq %%mm1, %[dm]\n\temms"                                         \
				 : [d] "+m"(d->q[0]), [dm] "+m"(dm->q[0])                            \
				 : [s] "m"(s->q[0]), [i] "i"(n)                                      \
				 : "mm1", "mm2");                                                    \
		break;
typedef void (*immfn)(v128 *d, v128 *dm, const v128 *s, unsigned imm);
#define TEXT "pshufd"
static void pshufd_i(v128 *d, v128 *dm, const v128 *s, unsigned imm) { switch (imm) { REP256(SH_CASE) } }
#undef TEXT
#define TEXT "pshufhw"
static void pshufhw_i(v128 *d, v128 *dm, const v128 *s, unsigned imm) { switch (imm) { REP256(SH_CASE) } }
#undef TEXT
#define TEXT "pshuflw"
static void pshuflw_i(v128 *d, v128 *dm, const v128 *s, unsigned imm) { switch (imm) { REP256(SH_CASE) } }
#undef TEXT
#define TEXT "shufps"
static void shufps_i(v128 *d, v128 *dm, const v128 *s, unsigned imm) { switch (imm) { REP256(SH_CASE) } }
#undef TEXT
#define TEXT "shufpd"
static void shufpd_i(v128 *d, v128 *dm, const v128 *s, unsigned imm) { switch (imm) { REP256(SH_CASE) } }
#undef TEXT
#define TEXT "pshufw"
static void pshufw_i(v128 *d, v128 *dm, const v128 *s, unsigned imm) { switch (imm) { REP256(SHM_CASE) } }
#undef TEXT

static void run_imm(void)
{
	static const struct {
		const char *name;
		void (*x)(v128 *, unsigned), (*m)(v128 *, unsigned);
	} sh[] = {
		{ "psllw", psllw_ix, psllw_im }, { "pslld", pslld_ix, pslld_im },
		{ "psllq", psllq_ix, psllq_im }, { "psrlw", psrlw_ix, psrlw_im },
		{ "psrld", psrld_ix, psrld_im }, { "psrlq", psrlq_ix, psrlq_im },
		{ "psraw", psraw_ix, psraw_im }, { "psrad", psrad_ix, psrad_im },
		{ "pslldq", pslldq_i, NULL }, { "psrldq", psrldq_i, NULL },
	};
	for (size_t i = 0; i < sizeof(sh) / sizeof(sh[0]); i++)
		for (unsigned imm = 0; imm < 256; imm++) {
			v128 d = vecs[11], e = vecs[9];
			sh[i].x(&d, imm);
			printf("%s $%u:", sh[i].name, imm);
			pv(&d);
			if (sh[i].m) {
				sh[i].m(&e, imm);
				printf(" mmx %016llx", (unsigned long long)e.q[0]);
			}
			printf("\n");
		}
	static const struct {
		const char *name;
		immfn f;
	} sf[] = {
		{ "pshufd", pshufd_i }, { "pshufhw", pshufhw_i }, { "pshuflw", pshuflw_i },
		{ "shufps", shufps_i }, { "shufpd", shufpd_i }, { "pshufw", pshufw_i },
	};
	for (size_t i = 0; i < sizeof(sf) / sizeof(sf[0]); i++)
		for (unsigned imm = 0; imm < 256; imm++) {
			v128 d = vecs[9], dm = vecs[9], s = vecs[11];
			sf[i].f(&d, &dm, &s, imm);
			printf("%s $%u:", sf[i].name, imm);
			pv(&d);
			if (memcmp(&d, &dm, 16)) {
				printf(" mem:");
				pv(&dm);
			}
			printf("\n");
		}
}

/* PINSRW / PEXTRW over imm 0..15 (the high bits are ignored). */
#define INS_CASE(n)                                                                              \
	case n:                                                                                  \
		__asm__ volatile("movdqa %[d], %%xmm1\n\tpinsrw %[i], %[g], %%xmm1\n\t"           \
				 "pinsrw %[i], %[w], %%xmm1\n\tmovdqa %%xmm1, %[d]\n\t"           \
				 "movq %[d], %%mm1\n\tpinsrw %[i], %[g], %%mm1\n\tmovq %%mm1, %[m]\n\t" \
				 "pextrw %[i], %%xmm1, %[x]\n\tpextrw %[i], %%mm1, %[y]\n\temms"   \
				 : [d] "+m"(*d), [m] "=m"(*mm), [x] "=r"(*x), [y] "=r"(*y)        \
				 : [g] "r"(g), [w] "m"(*w), [i] "i"(n)                            \
				 : "xmm1", "mm1");                                                \
		break;
static void insext(unsigned imm, v128 *d, uint64_t *mm, unsigned *x, unsigned *y, unsigned g,
		   const uint16_t *w)
{
	switch (imm) { REP16(INS_CASE, 0) }
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	init_vecs();
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!only || !strcmp(only, ops[i].name))
			run_op(&ops[i]);
	for (size_t i = 0; i < sizeof(shifts) / sizeof(shifts[0]); i++)
		if (!only || !strcmp(only, shifts[i].name))
			run_shift(&shifts[i]);
	if (!only || !strcmp(only, "imm"))
		run_imm();
	if (!only || !strcmp(only, "pinsrw")) {
		for (unsigned imm = 0; imm < 16; imm++) {
			v128 d = vecs[9];
			uint64_t mm;
			unsigned x = 0, y = 0;
			uint16_t w = (uint16_t)(0xbeef + imm);
			insext(imm, &d, &mm, &x, &y, 0xdead0000u | imm, &w);
			printf("pinsrw/pextrw $%u:", imm);
			pv(&d);
			printf(" mmx %016llx x=%08x y=%08x\n", (unsigned long long)mm, x, y);
		}
	}
	return 0;
}
