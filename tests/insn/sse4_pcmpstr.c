/* lemu-test: m32 */
/*
 * SSE4.2 PCMPESTRI/PCMPESTRM/PCMPISTRI/PCMPISTRM over all 256 imm8 values:
 * byte and word strings with the terminating NUL at every position of
 * both operands (implicit forms), every interesting explicit length pair
 * incl. negative and saturating ones (explicit forms, and the REX.W forms
 * on x86_64), register and misaligned memory operands.  Prints ECX or
 * XMM0 and OSZAPC raw for a sample of inputs and a hash over the full
 * cross product for each imm8.
 */
#include "sse4_common.h"

#include <stdlib.h>

/* Run one PCMPxSTRx (opcode byte `op`, optional REX.W) with src1 in xmm1,
 * src2 in xmm2 or at p2 (any alignment); returns flags, sets cx and mask. */
#define BODY(n, pre, modrm)                                                                   \
	__asm__ volatile("movdqu %[a], %%xmm1\n\t"                                         \
			 "movdqu %[b], %%xmm2\n\t"                                         \
			 "pxor %%xmm0, %%xmm0\n\t"                                         \
			 ".byte " pre "0x0f, 0x3a, %c[op], " modrm ", %c[i]" FLAGS_TAIL    \
			 "movdqu %%xmm0, %[m]"                                             \
			 : "+a"(ax), "+c"(cx), [m] "=m"(*mask)                             \
			 : [a] "m"(*a), [b] "m"(*b), "d"(ld), "S"(p2), [i] "i"(n),          \
			   [op] "i"(OPC)                                                   \
			 : "xmm0", "xmm1", "xmm2", "cc", "memory");

#define CASE_REG(n) case n: BODY(n, "0x66, ", "0xca") break;
#define CASE_MEM(n) case n: BODY(n, "0x66, ", "0x0e") break;
#define CASE_W(n) case n: BODY(n, "0x66, 0x48, ", "0xca") break;

#define DEF_RUN(name, CASE)                                                                \
	static unsigned name(unsigned imm, const v128 *a, const v128 *b, const void *p2,   \
			     long la, long ld, unsigned *pcx, v128 *mask)                  \
	{                                                                                  \
		unsigned long ax = (unsigned long)la, cx = 0x5a5a5a5a;                     \
		switch (imm) { REP256(CASE) }                                              \
		*pcx = (unsigned)cx;                                                       \
		return flags_of((unsigned)ax);                                             \
	}

#define OPC 0x60
DEF_RUN(run60, CASE_REG)
DEF_RUN(run60m, CASE_MEM)
#ifdef __x86_64__
DEF_RUN(run60w, CASE_W)
#endif
#undef OPC
#define OPC 0x61
DEF_RUN(run61, CASE_REG)
DEF_RUN(run61m, CASE_MEM)
#ifdef __x86_64__
DEF_RUN(run61w, CASE_W)
#endif
#undef OPC
#define OPC 0x62
DEF_RUN(run62, CASE_REG)
DEF_RUN(run62m, CASE_MEM)
#undef OPC
#define OPC 0x63
DEF_RUN(run63, CASE_REG)
DEF_RUN(run63m, CASE_MEM)
#undef OPC

typedef unsigned (*run_fn)(unsigned, const v128 *, const v128 *, const void *, long, long,
			   unsigned *, v128 *);

/* Source patterns (pairs): substring hits, character classes, and
 * sign-boundary elements for the signed formats. */
static const uint8_t pat1[3][16] = {
	{ 'a', 'b', 'c', 'a', 'b', 'c', 'd', 'a', 'b', 'a', 'z', 'A', 'Z', '0', '9', 'c' },
	{ 'a', 'z', 'A', 'Z', '0', '9', '_', '_', 'a', 'c', 'x', 'y', 0x80, 0xff, '-', '-' },
	{ 0x80, 0x90, 0x7f, 0x01, 0xff, 0x80, 'a', 0xc0, 0x10, 0x20, 0x81, 0xfe, 0x7e, 0x00, 0x55, 0xaa },
};
static const uint8_t pat2[3][16] = {
	{ 'z', 'a', 'b', 'c', 'a', 'b', 'c', 'd', 'a', 'b', 'a', 'b', 'c', 'a', 'b', 'c' },
	{ 'H', 'e', 'l', 'l', 'o', ',', ' ', 'W', 'o', 'r', '_', 'd', '1', '9', 0x80, 'a' },
	{ 0xff, 0x80, 0x01, 0x7f, 0x90, 0x85, 0xc0, 0x7f, 0x80, 0x90, 0x7f, 0x01, 0xff, 0x80, 'a', 0x33 },
};

/* Element array for format `words` from a byte pattern: words take the
 * byte sign-extended (so signed word compares see negative values) and
 * mixed with the next byte for variety. */
static void mk(v128 *v, const uint8_t *p, int words, unsigned nulpos)
{
	if (!words) {
		memcpy(v->b, p, 16);
		if (nulpos < 16)
			v->b[nulpos] = 0;
	} else {
		for (unsigned i = 0; i < 8; i++)
			v->w[i] = (uint16_t)((int16_t)(int8_t)p[2 * i] & (p[2 * i + 1] == 'b' ? 0x7fff : 0xffff));
		for (unsigned i = 0; i < 8; i++)
			if (!v->w[i])
				v->w[i] = 0x100;
		if (nulpos < 8)
			v->w[nulpos] = 0;
	}
}

static const long lens[] = { -17, -16, -9, -8, -7, -3, -1, 0, 1, 2, 5, 7, 8, 9, 15, 16, 17,
			     0x7fffffffL, (long)0x80000000UL };
#define NLENS (sizeof(lens) / sizeof(lens[0]))

struct opinfo {
	const char *name;
	run_fn reg, mem;
	int explicit_len, mask;
};

int main(void)
{
	static const struct opinfo ops[] = {
		{ "pcmpestrm", run60, run60m, 1, 1 },
		{ "pcmpestri", run61, run61m, 1, 0 },
		{ "pcmpistrm", run62, run62m, 0, 1 },
		{ "pcmpistri", run63, run63m, 0, 0 },
	};
	uint8_t *buf = aligned_alloc(64, 128);
	for (unsigned oi = 0; oi < 4; oi++) {
		const struct opinfo *o = &ops[oi];
		for (unsigned imm = 0; imm < 256; imm++) {
			int words = imm & 1;
			unsigned ub = words ? 8 : 16;
			v128 a, b, m;
			unsigned cx, fl;
			/* raw sample: random strings from a small alphabet */
			printf("%s %02x:", o->name, imm);
			rng_state = 0x1234567 + imm;
			for (unsigned k = 0; k < 6; k++) {
				for (unsigned i = 0; i < 16; i++) {
					a.b[i] = (uint8_t)("abc\0\x80\xff"[rnd64() % 6]);
					b.b[i] = (uint8_t)("abcd\0\x80\x7f"[rnd64() % 7]);
				}
				if (k == 0)
					memset(&a, 'a', 16), memset(&b, 'a', 16);
				long la = (long)(rnd64() % 40) - 20, ld = (long)(rnd64() % 40) - 20;
				fl = o->reg(imm, &a, &b, buf, la, ld, &cx, &m);
				if (o->mask)
					printf(" %03x", fl), pv(&m);
				else
					printf(" %03x:%x", fl, cx);
			}
			/* memory operand at every misalignment (allowed) */
			for (unsigned off = 0; off < 16; off += 5) {
				mk(&a, pat1[0], words, 5);
				memcpy(buf + off, pat2[0], 16);
				fl = o->mem(imm, &a, &a, buf + off, 16, 16, &cx, &m);
				if (o->mask)
					printf(" m%03x", fl), pv(&m);
				else
					printf(" m%03x:%x", fl, cx);
			}
			/* full cross product, hashed */
			fnv = 0xcbf29ce484222325ull;
			for (unsigned pi = 0; pi < 3; pi++) {
				if (o->explicit_len) {
					mk(&a, pat1[pi], words, 99);
					mk(&b, pat2[pi], words, 99);
					for (unsigned x = 0; x < NLENS; x++)
						for (unsigned y = 0; y < NLENS; y++) {
							fl = o->reg(imm, &a, &b, buf, lens[x], lens[y], &cx, &m);
							hash_bytes(&fl, sizeof(fl));
							hash_bytes(o->mask ? (void *)&m : (void *)&cx,
								   o->mask ? 16 : sizeof(cx));
						}
				} else {
					for (unsigned p = 0; p <= ub; p++)
						for (unsigned q = 0; q <= ub; q++) {
							mk(&a, pat1[pi], words, p);
							mk(&b, pat2[pi], words, q);
							fl = o->reg(imm, &a, &b, buf, 0, 0, &cx, &m);
							hash_bytes(&fl, sizeof(fl));
							hash_bytes(o->mask ? (void *)&m : (void *)&cx,
								   o->mask ? 16 : sizeof(cx));
							/* src1 == src2 prefix cases */
							mk(&b, pat1[pi], words, q);
							fl = o->reg(imm, &a, &b, buf, 0, 0, &cx, &m);
							hash_bytes(&fl, sizeof(fl));
							hash_bytes(o->mask ? (void *)&m : (void *)&cx,
								   o->mask ? 16 : sizeof(cx));
						}
				}
			}
			printf(" h=%016llx\n", (unsigned long long)fnv);
		}
	}
#ifdef __x86_64__
	/* REX.W: 64-bit signed lengths in RAX/RDX */
	static const long wl[] = { 0, 5, -5, 16, 0x100000003L, (long)0xffffffff00000005UL,
				   (long)0x8000000000000000UL, -17, 0x7fffffffffffffffL, 0xffffffffL };
	for (unsigned mi = 0; mi < 2; mi++) {
		run_fn f = mi ? run61w : run60w;
		for (unsigned imm = 0; imm < 256; imm++) {
			v128 a, b, m;
			unsigned cx, fl;
			fnv = 0xcbf29ce484222325ull;
			mk(&a, pat1[0], imm & 1, 99);
			mk(&b, pat2[0], imm & 1, 99);
			for (unsigned x = 0; x < 10; x++)
				for (unsigned y = 0; y < 10; y++) {
					fl = f(imm, &a, &b, buf, wl[x], wl[y], &cx, &m);
					hash_bytes(&fl, sizeof(fl));
					hash_bytes(mi ? (void *)&cx : (void *)&m, mi ? sizeof(cx) : 16);
				}
			printf("%s.w %02x: h=%016llx\n", mi ? "pcmpestri" : "pcmpestrm", imm,
			       (unsigned long long)fnv);
		}
	}
#endif
	free(buf);
	return 0;
}
