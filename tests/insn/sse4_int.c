/* lemu-test: m32 */
/*
 * SSE3 moves, SSSE3 (MMX and XMM forms) and SSE4.1 integer instructions:
 * every instruction on edge values (0, 1, -1, sign boundaries) and random
 * data; PALIGNR, BLENDPS/PD, PBLENDW, INSERTPS, MPSADBW and the PEXTR/
 * PINSR/EXTRACTPS family over all 256 imm8 values, register and memory
 * forms.  Prints raw hex results (PTEST: ZF/CF and the cleared flags).
 */
#include "sse4_common.h"

typedef long long vx __attribute__((vector_size(16)));
typedef int vm __attribute__((vector_size(8)));

/* --- two-operand XMM and MMX ops ------------------------------------ */

#define DEFX(name)                                                                  \
	static void x_##name(v128 *dv, const v128 *sv)                             \
	{                                                                           \
		vx d, s;                                                            \
		memcpy(&d, dv, 16);                                                 \
		memcpy(&s, sv, 16);                                                 \
		__asm__(#name " %[s], %[d]" : [d] "+x"(d) : [s] "x"(s));            \
		memcpy(dv, &d, 16);                                                 \
	}                                                                           \
	static void xm_##name(v128 *dv, const v128 *sv)                            \
	{                                                                           \
		vx d;                                                               \
		memcpy(&d, dv, 16);                                                 \
		__asm__(#name " %[s], %[d]" : [d] "+x"(d) : [s] "m"(*sv));          \
		memcpy(dv, &d, 16);                                                 \
	}
#define DEFM(name)                                                                  \
	static void m_##name(v128 *dv, const v128 *sv)                             \
	{                                                                           \
		vm d, s;                                                            \
		memcpy(&d, dv, 8);                                                  \
		memcpy(&s, sv, 8);                                                  \
		__asm__(#name " %[s], %[d]\n\t" : [d] "+y"(d) : [s] "y"(s));        \
		__asm__ volatile("emms");                                           \
		memcpy(dv, &d, 8);                                                  \
	}                                                                           \
	static void mm_##name(v128 *dv, const v128 *sv)                            \
	{                                                                           \
		vm d;                                                               \
		memcpy(&d, dv, 8);                                                  \
		__asm__(#name " %[s], %[d]\n\t" : [d] "+y"(d) : [s] "m"(sv->q[0])); \
		__asm__ volatile("emms");                                           \
		memcpy(dv, &d, 8);                                                  \
	}

#define SSSE3_LIST(X)                                                                   \
	X(pshufb) X(phaddw) X(phaddd) X(phaddsw) X(pmaddubsw) X(phsubw) X(phsubd)       \
	X(phsubsw) X(psignb) X(psignw) X(psignd) X(pmulhrsw) X(pabsb) X(pabsw) X(pabsd)
#define SSE41_LIST(X)                                                                   \
	X(pmuldq) X(pcmpeqq) X(packusdw) X(pcmpgtq) X(pminsb) X(pminsd) X(pminuw)       \
	X(pminud) X(pmaxsb) X(pmaxsd) X(pmaxuw) X(pmaxud) X(pmulld) X(phminposuw)       \
	X(movsldup) X(movshdup) X(movddup) X(pmovsxbw) X(pmovsxbd) X(pmovsxbq)         \
	X(pmovsxwd) X(pmovsxwq) X(pmovsxdq) X(pmovzxbw) X(pmovzxbd) X(pmovzxbq)        \
	X(pmovzxwd) X(pmovzxwq) X(pmovzxdq)
SSSE3_LIST(DEFX)
SSSE3_LIST(DEFM)
SSE41_LIST(DEFX)

typedef void (*op2_fn)(v128 *, const v128 *);
struct op2 {
	const char *name;
	op2_fn reg, mem;
};
#define ENTRY_X(name) { #name, x_##name, xm_##name },
#define ENTRY_M(name) { #name " mmx", m_##name, mm_##name },
static const struct op2 op2s[] = { SSSE3_LIST(ENTRY_X) SSSE3_LIST(ENTRY_M) SSE41_LIST(ENTRY_X) };

/* BLENDV (implicit XMM0), PTEST (flags) */
static void blendv(int which, v128 *dv, const v128 *sv, const v128 *mask)
{
	vx d, s;
	memcpy(&d, dv, 16);
	memcpy(&s, sv, 16);
	if (which == 0)
		__asm__("movdqu %[m], %%xmm0\n\tpblendvb %%xmm0, %[s], %[d]"
			: [d] "+x"(d) : [s] "x"(s), [m] "m"(*mask) : "xmm0");
	else if (which == 1)
		__asm__("movdqu %[m], %%xmm0\n\tblendvps %%xmm0, %[s], %[d]"
			: [d] "+x"(d) : [s] "x"(s), [m] "m"(*mask) : "xmm0");
	else
		__asm__("movdqu %[m], %%xmm0\n\tblendvpd %%xmm0, %[m2], %[d]"
			: [d] "+x"(d) : [m2] "m"(*sv), [m] "m"(*mask) : "xmm0");
	memcpy(dv, &d, 16);
}
static unsigned ptest(const v128 *a, const v128 *b)
{
	vx d;
	unsigned long ax = 0;
	memcpy(&d, a, 16);
	/* set every arithmetic flag first so that clearing is visible */
	__asm__ volatile("mov $0xff, %%al\n\tadd $0x81, %%al\n\t"
			 "ptest %[b], %[d]" FLAGS_TAIL
			 : "+a"(ax) : [d] "x"(d), [b] "m"(*b) : "cc");
	return flags_of((unsigned)ax);
}

/* --- imm8 forms --------------------------------------------------------- */

#define IMMX(name, n)                                                                      \
	case n: __asm__(#name " %[i], %[s], %[d]" : [d] "+x"(d) : [s] "x"(s), [i] "i"(n)); break;
#define IMMXM(name, n)                                                                     \
	case n: __asm__(#name " %[i], %[s], %[d]" : [d] "+x"(d) : [s] "m"(*sv), [i] "i"(n)); break;
#define DEF_IMMX(name)                                                                     \
	static void i_##name(unsigned imm, v128 *dv, const v128 *sv, int mem)             \
	{                                                                                  \
		vx d, s;                                                                   \
		memcpy(&d, dv, 16);                                                        \
		memcpy(&s, sv, 16);                                                        \
		if (!mem)                                                                  \
			switch (imm) { REP256(C1_##name) }                                 \
		else                                                                       \
			switch (imm) { REP256(C2_##name) }                                 \
		memcpy(dv, &d, 16);                                                        \
	}
#define C1_palignr(n) IMMX(palignr, n)
#define C2_palignr(n) IMMXM(palignr, n)
#define C1_blendps(n) IMMX(blendps, n)
#define C2_blendps(n) IMMXM(blendps, n)
#define C1_blendpd(n) IMMX(blendpd, n)
#define C2_blendpd(n) IMMXM(blendpd, n)
#define C1_pblendw(n) IMMX(pblendw, n)
#define C2_pblendw(n) IMMXM(pblendw, n)
#define C1_mpsadbw(n) IMMX(mpsadbw, n)
#define C2_mpsadbw(n) IMMXM(mpsadbw, n)
#define C1_insertps(n) IMMX(insertps, n)
#define C2_insertps(n) \
	case n: __asm__("insertps %[i], %[s], %[d]" : [d] "+x"(d) : [s] "m"(sv->l[1]), [i] "i"(n)); break;
DEF_IMMX(palignr)
DEF_IMMX(blendps)
DEF_IMMX(blendpd)
DEF_IMMX(pblendw)
DEF_IMMX(mpsadbw)
DEF_IMMX(insertps)

/* PALIGNR mm, mm/m64 */
#define C_palignr_mmx(n)                                                                   \
	case n: __asm__("palignr %[i], %[s], %[d]" : [d] "+y"(d) : [s] "y"(s), [i] "i"(n)); break;
static void palignr_mmx(unsigned imm, v128 *dv, const v128 *sv)
{
	vm d, s;
	memcpy(&d, dv, 8);
	memcpy(&s, sv, 8);
	switch (imm) { REP256(C_palignr_mmx) }
	__asm__ volatile("emms");
	memcpy(dv, &d, 8);
}

/* Extracts to a GPR preset with garbage (shows zero-extension) or memory. */
#define C_EXR(insn, n)                                                                       \
	case n: __asm__(insn " %[i], %[x], %k[r]" : [r] "+r"(r) : [x] "x"(x), [i] "i"(n)); break;
#define C_EXM(insn, n)                                                                       \
	case n: __asm__(insn " %[i], %[x], %[m]" : [m] "+m"(*mem) : [x] "x"(x), [i] "i"(n)); break;
#define DEF_EXTR(name, insn)                                                                 \
	static unsigned long name##_r(unsigned imm, const v128 *xv)                          \
	{                                                                                    \
		vx x;                                                                        \
		unsigned long r = (unsigned long)0xa5a5a5a5a5a5a5a5ull;                      \
		memcpy(&x, xv, 16);                                                          \
		switch (imm) { REP256(CR_##name) }                                           \
		return r;                                                                    \
	}                                                                                    \
	static void name##_m(unsigned imm, const v128 *xv, v128 *mem)                        \
	{                                                                                    \
		vx x;                                                                        \
		memcpy(&x, xv, 16);                                                          \
		switch (imm) { REP256(CM_##name) }                                           \
	}
#define CR_pextrb(n) C_EXR("pextrb", n)
#define CM_pextrb(n) C_EXM("pextrb", n)
#define CR_pextrw(n) C_EXR("pextrw", n)
#define CM_pextrw(n) C_EXM("pextrw", n)
#define CR_pextrd(n) C_EXR("pextrd", n)
#define CM_pextrd(n) C_EXM("pextrd", n)
#define CR_extractps(n) C_EXR("extractps", n)
#define CM_extractps(n) C_EXM("extractps", n)
DEF_EXTR(pextrb, "pextrb")
DEF_EXTR(pextrw, "pextrw")
DEF_EXTR(pextrd, "pextrd")
DEF_EXTR(extractps, "extractps")

#define C_INR(insn, n)                                                                        \
	case n: __asm__(insn " %[i], %k[r], %[d]" : [d] "+x"(d) : [r] "r"(gpr), [i] "i"(n)); break;
#define C_INM(insn, n)                                                                        \
	case n: __asm__(insn " %[i], %[m], %[d]" : [d] "+x"(d) : [m] "m"(*mem), [i] "i"(n)); break;
#define DEF_INS(name, insn)                                                                   \
	static void name(unsigned imm, v128 *dv, unsigned long gpr, const uint8_t *mem, int m) \
	{                                                                                     \
		vx d;                                                                         \
		memcpy(&d, dv, 16);                                                           \
		if (!m)                                                                       \
			switch (imm) { REP256(CR_##name) }                                    \
		else                                                                          \
			switch (imm) { REP256(CM_##name) }                                    \
		memcpy(dv, &d, 16);                                                           \
	}
#define CR_pinsrb(n) C_INR("pinsrb", n)
#define CM_pinsrb(n) C_INM("pinsrb", n)
#define CR_pinsrd(n) C_INR("pinsrd", n)
#define CM_pinsrd(n) \
	case n: __asm__("pinsrd %[i], %[m], %[d]" : [d] "+x"(d) : [m] "m"(*(const uint32_t *)mem), [i] "i"(n)); break;
DEF_INS(pinsrb, "pinsrb")
DEF_INS(pinsrd, "pinsrd")

#ifdef __x86_64__
#define CR_pextrq(n) \
	case n: __asm__("pextrq %[i], %[x], %[r]" : [r] "=r"(r) : [x] "x"(x), [i] "i"(n)); break;
#define CM_pextrq(n) C_EXM("pextrq", n)
DEF_EXTR(pextrq, "pextrq")
#define CR_pinsrq(n) \
	case n: __asm__("pinsrq %[i], %[r], %[d]" : [d] "+x"(d) : [r] "r"(gpr), [i] "i"(n)); break;
#define CM_pinsrq(n) \
	case n: __asm__("pinsrq %[i], %[m], %[d]" : [d] "+x"(d) : [m] "m"(*(const uint64_t *)mem), [i] "i"(n)); break;
DEF_INS(pinsrq, "pinsrq")
#endif

/* --- inputs ------------------------------------------------------------ */

static const uint32_t edge32[] = { 0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0x8000,
				   0x7fff, 0xffff8000, 0x80, 0x7f, 0xff, 0x80808080,
				   0x7f7f7f7f, 0x00ff00ff, 0xff00ff00, 0x01000100, 0xfffe0002,
				   0x80017fff };
#define NE (sizeof(edge32) / sizeof(edge32[0]))

static void input(unsigned k, v128 *v)
{
	if (k < NE * NE) {
		for (unsigned i = 0; i < 4; i++)
			v->l[i] = edge32[(k / NE + i * (k % NE + 1)) % NE];
	} else {
		rnd_v(v);
	}
}

int main(void)
{
	static v128 a, b, m, mem[2];
	const unsigned ninputs = NE * NE + 64;
	for (unsigned oi = 0; oi < sizeof(op2s) / sizeof(op2s[0]); oi++) {
		const struct op2 *o = &op2s[oi];
		fnv = 0xcbf29ce484222325ull;
		printf("%s:", o->name);
		rng_state = 1000 + oi;
		for (unsigned k = 0; k < ninputs; k++) {
			input(k, &a);
			input((k * 7 + 5) % ninputs, &b);
			if (k >= NE * NE)
				rnd_v(&b);
			m = a;
			o->reg(&a, &b);
			mem[0] = b;
			o->mem(&m, &mem[0]);
			hash_bytes(&a, 16);
			hash_bytes(&m, 16);
			if (k % 41 == 0)
				pv(&a);
			if (memcmp(&a, &m, 16))
				printf(" [mem form differs]");
		}
		printf(" h=%016llx\n", (unsigned long long)fnv);
	}
	/* lddqu at every misalignment, movntdqa */
	{
		uint8_t buf[48];
		for (unsigned i = 0; i < 48; i++)
			buf[i] = (uint8_t)(i * 37 + 1);
		printf("lddqu:");
		for (unsigned off = 0; off < 17; off++) {
			vx d;
			__asm__("lddqu %[m], %[d]" : [d] "=x"(d) : [m] "m"(*(const v128 *)(buf + off)));
			memcpy(&a, &d, 16);
			pv(&a);
		}
		vx d;
		mem[1].q[0] = 0x0123456789abcdefull, mem[1].q[1] = 0xfedcba9876543210ull;
		__asm__("movntdqa %[m], %[d]" : [d] "=x"(d) : [m] "m"(mem[1]));
		memcpy(&a, &d, 16);
		printf("\nmovntdqa:");
		pv(&a);
		printf("\n");
	}
	/* blendv and ptest */
	for (unsigned w = 0; w < 3; w++) {
		printf("blendv%u:", w);
		rng_state = 55 + w;
		for (unsigned k = 0; k < 64; k++) {
			rnd_v(&a), rnd_v(&b), rnd_v(&m);
			blendv((int)w, &a, &b, &m);
			pv(&a);
		}
		printf("\n");
	}
	printf("ptest:");
	for (unsigned k = 0; k < NE * NE; k++) {
		input(k, &a);
		input((k * 5 + 1) % (NE * NE), &b);
		if (k % 3 == 0)
			b = a;
		if (k % 7 == 0)
			memset(&b, 0, 16);
		printf(" %03x", ptest(&a, &b));
	}
	printf("\n");
	/* imm8 sweeps */
	static const struct {
		const char *name;
		void (*f)(unsigned, v128 *, const v128 *, int);
	} immops[] = {
		{ "palignr", i_palignr }, { "blendps", i_blendps }, { "blendpd", i_blendpd },
		{ "pblendw", i_pblendw }, { "mpsadbw", i_mpsadbw }, { "insertps", i_insertps },
	};
	for (unsigned oi = 0; oi < 6; oi++)
		for (unsigned imm = 0; imm < 256; imm++) {
			printf("%s %02x:", immops[oi].name, imm);
			rng_state = 99 + imm;
			for (unsigned k = 0; k < 4; k++) {
				input(k * 53, &a);
				if (k >= 2)
					rnd_v(&a), rnd_v(&b);
				else
					input(k * 17 + 3, &b);
				m = a;
				immops[oi].f(imm, &a, &b, 0);
				mem[0] = b;
				immops[oi].f(imm, &m, &mem[0], 1);
				pv(&a);
				pv(&m);
			}
			printf("\n");
		}
	for (unsigned imm = 0; imm < 256; imm++) {
		printf("palignr mmx %02x:", imm);
		a.q[0] = 0x0706050403020100ull, b.q[0] = 0x8f8e8d8c8b8a8988ull;
		palignr_mmx(imm, &a, &b);
		printf(" %016llx\n", (unsigned long long)a.q[0]);
	}
	/* extract / insert */
	rng_state = 4242;
	rnd_v(&a);
	for (unsigned imm = 0; imm < 256; imm++) {
		printf("extract %02x: %lx %lx %lx %lx", imm, pextrb_r(imm, &a), pextrw_r(imm, &a),
		       pextrd_r(imm, &a), extractps_r(imm, &a));
		memset(mem, 0xee, sizeof(mem));
		pextrb_m(imm, &a, &mem[0]);
		pextrw_m(imm, &a, &mem[0]);
		pextrd_m(imm, &a, &mem[1]);
		pv(&mem[0]);
		pv(&mem[1]);
		memset(mem, 0xee, sizeof(mem));
		extractps_m(imm, &a, &mem[0]);
		pv(&mem[0]);
#ifdef __x86_64__
		printf(" %lx", pextrq_r(imm, &a));
		memset(mem, 0xee, sizeof(mem));
		pextrq_m(imm, &a, &mem[0]);
		pv(&mem[0]);
#endif
		printf("\n");
		uint8_t src[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
		b = a;
		pinsrb(imm, &b, (unsigned long)0xfedcba9876543210ull, src, 0);
		printf("insert %02x:", imm);
		pv(&b);
		b = a;
		pinsrb(imm, &b, 0, src, 1);
		pv(&b);
		b = a;
		pinsrd(imm, &b, (unsigned long)0xfedcba9876543210ull, src, 0);
		pv(&b);
		b = a;
		pinsrd(imm, &b, 0, src, 1);
		pv(&b);
#ifdef __x86_64__
		b = a;
		pinsrq(imm, &b, 0xfedcba9876543210ull, src, 0);
		pv(&b);
		b = a;
		pinsrq(imm, &b, 0, src, 1);
		pv(&b);
#endif
		printf("\n");
	}
	return 0;
}
