/*
 * Known-answer tests of SSE3, SSSE3, SSE4.1, SSE4.2, AES-NI and
 * PCLMULQDQ on lemu's CPU core (the exhaustive comparison against the host
 * CPU is test_sse4_diff.c).  AES is checked against FIPS-197 appendices
 * A.1 (key expansion), B and C.1 (cipher examples).
 */
#include "harness.h"
#include "cpu/x86/ops.h"
#include "cpu/x86/ops_simd.h"

#include <stdio.h>

static struct harness h;
static struct cpu *c;

/* Run one instruction (bytes) followed by INT3; returns -1 or the vector. */
static int run(const uint8_t *code, size_t n)
{
	uint8_t buf[32];
	memcpy(buf, code, n);
	buf[n] = 0xcc;
	return harness_run(&h, buf, n + 1);
}
#define RUN(...) run((const uint8_t[]){ __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }))

static void set_bytes(union xmm *x, const char *hex)
{
	/* hex is the FIPS-197 byte order: first byte -> lowest address */
	for (int i = 0; i < 16; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		x->b[i] = (uint8_t)v;
	}
}
static int eq_bytes(const union xmm *x, const char *hex)
{
	union xmm y;
	set_bytes(&y, hex);
	return !memcmp(x, &y, 16);
}

static void test_sse3(void)
{
	/* movddup xmm1, xmm2 */
	c->xmm[2].q[0] = 0x1122334455667788ull;
	c->xmm[2].q[1] = 0;
	int r = RUN(0xf2, 0x0f, 0x12, 0xca);
	tap_ok(r == -1 && c->xmm[1].q[0] == 0x1122334455667788ull && c->xmm[1].q[1] == c->xmm[1].q[0],
	       "movddup");
	/* movshdup xmm1, xmm2 */
	c->xmm[2].l[0] = 1, c->xmm[2].l[1] = 2, c->xmm[2].l[2] = 3, c->xmm[2].l[3] = 4;
	r = RUN(0xf3, 0x0f, 0x16, 0xca);
	tap_ok(r == -1 && c->xmm[1].l[0] == 2 && c->xmm[1].l[1] == 2 && c->xmm[1].l[2] == 4 &&
		       c->xmm[1].l[3] == 4, "movshdup");
	/* haddps xmm1, xmm2: (1,2,3,4) (5,6,7,8) -> (3,7,11,15) */
	for (int i = 0; i < 4; i++) {
		c->xmm[1].f[i] = (float)(i + 1);
		c->xmm[2].f[i] = (float)(i + 5);
	}
	r = RUN(0xf2, 0x0f, 0x7c, 0xca);
	tap_ok(r == -1 && c->xmm[1].f[0] == 3 && c->xmm[1].f[1] == 7 && c->xmm[1].f[2] == 11 &&
		       c->xmm[1].f[3] == 15, "haddps");
	/* addsubpd: (1, 2) (0.5, 0.25) -> (0.5, 2.25) */
	c->xmm[1].d[0] = 1, c->xmm[1].d[1] = 2, c->xmm[2].d[0] = 0.5, c->xmm[2].d[1] = 0.25;
	r = RUN(0x66, 0x0f, 0xd0, 0xca);
	tap_ok(r == -1 && c->xmm[1].d[0] == 0.5 && c->xmm[1].d[1] == 2.25, "addsubpd");
	/* lddqu xmm1, [rsi+1]: unaligned is fine */
	c->regs[R_RSI] = HARNESS_DATA + 1;
	for (int i = 0; i < 17; i++)
		h.mem[HARNESS_DATA + i] = (uint8_t)i;
	r = RUN(0xf2, 0x0f, 0xf0, 0x0e);
	tap_ok(r == -1 && c->xmm[1].b[0] == 1 && c->xmm[1].b[15] == 16, "lddqu unaligned");
	/* haddps xmm1, [rsi+1] -> #GP (legacy SSE m128 alignment) */
	r = RUN(0xf2, 0x0f, 0x7c, 0x0e);
	tap_ok(r == EXC_GP && c->rip == HARNESS_CODE, "haddps misaligned m128 -> #GP");
	/* lddqu with a register operand is #UD */
	r = RUN(0xf2, 0x0f, 0xf0, 0xca);
	tap_ok(r == EXC_UD, "lddqu xmm, xmm -> #UD");
}

static void test_ssse3(void)
{
	/* pshufb xmm1, xmm2: reverse, with one zeroed lane */
	for (int i = 0; i < 16; i++) {
		c->xmm[1].b[i] = (uint8_t)(0x10 + i);
		c->xmm[2].b[i] = (uint8_t)(15 - i);
	}
	c->xmm[2].b[3] = 0x80;
	int r = RUN(0x66, 0x0f, 0x38, 0x00, 0xca);
	tap_ok(r == -1 && c->xmm[1].b[0] == 0x1f && c->xmm[1].b[15] == 0x10 && c->xmm[1].b[3] == 0,
	       "pshufb xmm");
	/* pshufb mm0, mm1: MMX form uses the low 3 index bits and sets TOP=0, tags valid */
	mmx_set(c, 0, 0x0706050403020100ull);
	mmx_set(c, 1, 0x800f0e0d0c0b0a09ull);
	c->ftop = 3;
	c->ftag = 0;
	r = RUN(0x0f, 0x38, 0x00, 0xc1);
	tap_ok(r == -1 && mmx_get(c, 0) == 0x0007060504030201ull && c->ftop == 0 && c->ftag == 0xff,
	       "pshufb mmx: %016llx", (unsigned long long)mmx_get(c, 0));
	/* pabsw xmm1, xmm2 */
	c->xmm[2].sw[0] = -5, c->xmm[2].sw[1] = -32768, c->xmm[2].sw[2] = 7;
	r = RUN(0x66, 0x0f, 0x38, 0x1d, 0xca);
	tap_ok(r == -1 && c->xmm[1].w[0] == 5 && c->xmm[1].w[1] == 0x8000 && c->xmm[1].w[2] == 7,
	       "pabsw");
	/* palignr xmm1, xmm2, 5 */
	for (int i = 0; i < 16; i++) {
		c->xmm[1].b[i] = (uint8_t)(0x20 + i);
		c->xmm[2].b[i] = (uint8_t)i;
	}
	r = RUN(0x66, 0x0f, 0x3a, 0x0f, 0xca, 5);
	tap_ok(r == -1 && c->xmm[1].b[0] == 5 && c->xmm[1].b[10] == 15 && c->xmm[1].b[11] == 0x20 &&
		       c->xmm[1].b[15] == 0x24, "palignr 5");
	/* pmulhrsw: 0x4000 * 0x4000 -> 0x2000 */
	c->xmm[1].w[0] = 0x4000, c->xmm[2].w[0] = 0x4000;
	r = RUN(0x66, 0x0f, 0x38, 0x0b, 0xca);
	tap_ok(r == -1 && c->xmm[1].w[0] == 0x2000, "pmulhrsw");
	/* m64 operand of the MMX form has no alignment requirement */
	c->regs[R_RSI] = HARNESS_DATA + 3;
	r = RUN(0x0f, 0x38, 0x1c, 0x06); /* pabsb mm0, [rsi] */
	tap_ok(r == -1, "pabsb mm0, unaligned m64");
	r = RUN(0x66, 0x0f, 0x38, 0x1c, 0x0e); /* pabsb xmm1, [rsi] */
	tap_ok(r == EXC_GP, "pabsb xmm1, misaligned m128 -> #GP");
}

static void test_sse41(void)
{
	/* ptest: ZF and CF */
	c->xmm[1].q[0] = 0xf0, c->xmm[1].q[1] = 0;
	c->xmm[2].q[0] = 0x0f, c->xmm[2].q[1] = 0;
	int r = RUN(0x66, 0x0f, 0x38, 0x17, 0xca);
	uint32_t fl = cpu_get_eflags(c) & FL_ARITH;
	tap_ok(r == -1 && fl == FL_ZF, "ptest disjoint: ZF only (%x)", fl);
	c->xmm[2].q[0] = 0x30;
	r = RUN(0x66, 0x0f, 0x38, 0x17, 0xca);
	fl = cpu_get_eflags(c) & FL_ARITH;
	tap_ok(r == -1 && fl == FL_CF, "ptest subset: CF only (%x)", fl);
	/* pmovsxbd xmm1, [rsi] (m32, unaligned) */
	c->regs[R_RSI] = HARNESS_DATA + 1;
	h.mem[HARNESS_DATA + 1] = 0xff, h.mem[HARNESS_DATA + 2] = 0x7f;
	h.mem[HARNESS_DATA + 3] = 0x80, h.mem[HARNESS_DATA + 4] = 0x01;
	r = RUN(0x66, 0x0f, 0x38, 0x21, 0x0e);
	tap_ok(r == -1 && c->xmm[1].sl[0] == -1 && c->xmm[1].sl[1] == 127 && c->xmm[1].sl[2] == -128 &&
		       c->xmm[1].sl[3] == 1, "pmovsxbd m32");
	/* movntdqa misaligned -> #GP; register form -> #UD */
	r = RUN(0x66, 0x0f, 0x38, 0x2a, 0x0e);
	tap_ok(r == EXC_GP, "movntdqa misaligned -> #GP");
	r = RUN(0x66, 0x0f, 0x38, 0x2a, 0xca);
	tap_ok(r == EXC_UD, "movntdqa register form -> #UD");
	/* pextrq rdx, xmm1, 1 / pextrb rdx, xmm1, 17 (index mod 16) */
	c->xmm[1].q[1] = 0x8877665544332211ull;
	c->xmm[1].b[1] = 0xab;
	c->regs[R_RDX] = ~0ull;
	r = RUN(0x66, 0x48, 0x0f, 0x3a, 0x16, 0xca, 1);
	tap_ok(r == -1 && c->regs[R_RDX] == 0x8877665544332211ull, "pextrq");
	r = RUN(0x66, 0x0f, 0x3a, 0x14, 0xca, 17);
	tap_ok(r == -1 && c->regs[R_RDX] == 0xab, "pextrb zero-extends, imm mod 16");
	/* pinsrd xmm1, edx, 2 */
	c->regs[R_RDX] = 0xdeadbeefcafef00dull;
	r = RUN(0x66, 0x0f, 0x3a, 0x22, 0xca, 2);
	tap_ok(r == -1 && c->xmm[1].l[2] == 0xcafef00d, "pinsrd");
	/* insertps xmm1, xmm2, (src 3, dst 0, zero lane 1) */
	c->xmm[1].l[0] = 1, c->xmm[1].l[1] = 2, c->xmm[2].l[3] = 0x42;
	r = RUN(0x66, 0x0f, 0x3a, 0x21, 0xca, 0xc2);
	tap_ok(r == -1 && c->xmm[1].l[0] == 0x42 && c->xmm[1].l[1] == 0, "insertps");
	/* roundps with imm 1 (floor) and imm 4 (MXCSR.RC = nearest) */
	c->xmm[2].f[0] = 1.5f, c->xmm[2].f[1] = -1.5f, c->xmm[2].f[2] = 2.5f, c->xmm[2].f[3] = -0.5f;
	c->mxcsr = 0x1f80;
	r = RUN(0x66, 0x0f, 0x3a, 0x08, 0xca, 1);
	tap_ok(r == -1 && c->xmm[1].f[0] == 1 && c->xmm[1].f[1] == -2 && c->xmm[1].f[2] == 2 &&
		       c->xmm[1].f[3] == -1 && (c->mxcsr & 0x20), "roundps floor sets PE");
	c->mxcsr = 0x1f80;
	r = RUN(0x66, 0x0f, 0x3a, 0x08, 0xca, 0x0c);
	tap_ok(r == -1 && c->xmm[1].f[0] == 2 && c->xmm[1].f[2] == 2 && !(c->mxcsr & 0x20),
	       "roundps MXCSR.RC with precision suppressed");
	/* dpps xmm1, xmm2, 0xf1: full dot product into lane 0 */
	for (int i = 0; i < 4; i++) {
		c->xmm[1].f[i] = (float)(i + 1);
		c->xmm[2].f[i] = (float)(i + 1);
	}
	r = RUN(0x66, 0x0f, 0x3a, 0x40, 0xca, 0xf1);
	tap_ok(r == -1 && c->xmm[1].f[0] == 30 && c->xmm[1].f[1] == 0, "dpps");
	/* phminposuw */
	for (int i = 0; i < 8; i++)
		c->xmm[2].w[i] = (uint16_t)(100 - i * 3);
	c->xmm[2].w[6] = 5, c->xmm[2].w[7] = 5;
	r = RUN(0x66, 0x0f, 0x38, 0x41, 0xca);
	tap_ok(r == -1 && c->xmm[1].w[0] == 5 && c->xmm[1].w[1] == 6 && c->xmm[1].q[1] == 0,
	       "phminposuw");
	/* pblendvb with implicit xmm0 */
	c->xmm[0].q[0] = 0x80, c->xmm[0].q[1] = 0;
	c->xmm[1].q[0] = 0x1111, c->xmm[2].q[0] = 0x2222;
	r = RUN(0x66, 0x0f, 0x38, 0x10, 0xca);
	tap_ok(r == -1 && c->xmm[1].q[0] == 0x1122, "pblendvb");
	/* mpsadbw */
	for (int i = 0; i < 16; i++)
		c->xmm[1].b[i] = (uint8_t)i, c->xmm[2].b[i] = 0;
	r = RUN(0x66, 0x0f, 0x3a, 0x42, 0xca, 0);
	tap_ok(r == -1 && c->xmm[1].w[0] == 6 && c->xmm[1].w[7] == 7 + 8 + 9 + 10, "mpsadbw");
}

static void test_sse42(void)
{
	/* strchr-like: pcmpistri xmm1="l", xmm2="hello", imm 0 (equal any) -> 2 */
	memset(&c->xmm[1], 0, 16);
	memset(&c->xmm[2], 0, 16);
	c->xmm[1].b[0] = 'l';
	memcpy(c->xmm[2].b, "hello", 5);
	int r = RUN(0x66, 0x0f, 0x3a, 0x63, 0xca, 0x00);
	uint32_t fl = cpu_get_eflags(c) & FL_ARITH;
	tap_ok(r == -1 && c->regs[R_RCX] == 2 && fl == (FL_CF | FL_ZF | FL_SF),
	       "pcmpistri equal any: ecx=%llu fl=%x", (unsigned long long)c->regs[R_RCX], fl);
	/* strstr-like: equal ordered "ll" in "hello" -> 2; msb variant */
	c->xmm[1].b[1] = 'l';
	r = RUN(0x66, 0x0f, 0x3a, 0x63, 0xca, 0x0c);
	tap_ok(r == -1 && c->regs[R_RCX] == 2, "pcmpistri equal ordered");
	/* strcmp-like (glibc: imm 0x1a, equal each negative): first difference */
	memcpy(c->xmm[1].b, "hellO", 6);
	r = RUN(0x66, 0x0f, 0x3a, 0x63, 0xca, 0x1a);
	tap_ok(r == -1 && c->regs[R_RCX] == 4 && (cpu_get_eflags(c) & FL_CF), "pcmpistri equal each neg");
	/* ranges: lower-case letters "az" in "heLLo" as mask, byte expansion */
	memset(&c->xmm[1], 0, 16);
	c->xmm[1].b[0] = 'a', c->xmm[1].b[1] = 'z';
	memcpy(c->xmm[2].b, "heLLo", 5);
	r = RUN(0x66, 0x0f, 0x3a, 0x62, 0xca, 0x44);
	tap_ok(r == -1 && c->xmm[0].q[0] == 0x000000ff0000ffffull && c->xmm[0].q[1] == 0,
	       "pcmpistrm ranges byte mask: %016llx", (unsigned long long)c->xmm[0].q[0]);
	/* explicit lengths: eax=-3 (abs 3), edx=100 (saturates to 16) */
	memset(&c->xmm[2], 'x', 16);
	memcpy(c->xmm[1].b, "xxx", 3);
	c->regs[R_RAX] = (uint32_t)-3;
	c->regs[R_RDX] = 100;
	c->regs[R_RCX] = ~0ull;
	r = RUN(0x66, 0x0f, 0x3a, 0x61, 0xca, 0x0c);
	fl = cpu_get_eflags(c) & FL_ARITH;
	tap_ok(r == -1 && c->regs[R_RCX] == 0 && fl == (FL_CF | FL_SF | FL_OF),
	       "pcmpestri explicit lengths: rcx=%llx fl=%x", (unsigned long long)c->regs[R_RCX], fl);
	/* memory operand may be misaligned */
	c->regs[R_RSI] = HARNESS_DATA + 7;
	r = RUN(0x66, 0x0f, 0x3a, 0x63, 0x0e, 0x00);
	tap_ok(r == -1, "pcmpistri misaligned m128 is allowed");
	/* pcmpgtq */
	c->xmm[1].sq[0] = -1, c->xmm[2].sq[0] = -2, c->xmm[1].sq[1] = 1, c->xmm[2].sq[1] = 2;
	r = RUN(0x66, 0x0f, 0x38, 0x37, 0xca);
	tap_ok(r == -1 && c->xmm[1].q[0] == ~0ull && c->xmm[1].q[1] == 0, "pcmpgtq");
}

/* Key expansion (FIPS-197 §5.2) driven by AESKEYGENASSIST; returns 0 on
 * success.  rk[0] = key. */
static int aes_expand(union xmm rk[11])
{
	static const uint8_t rcon[10] = { 1, 2, 4, 8, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36 };
	for (int i = 1; i <= 10; i++) {
		c->xmm[2] = rk[i - 1];
		/* aeskeygenassist xmm1, xmm2, rcon */
		if (run((const uint8_t[]){ 0x66, 0x0f, 0x3a, 0xdf, 0xca, rcon[i - 1] }, 6) != -1)
			return -1;
		uint32_t t = c->xmm[1].l[3]; /* RotWord(SubWord(w3)) ^ rcon */
		rk[i].l[0] = rk[i - 1].l[0] ^ t;
		rk[i].l[1] = rk[i - 1].l[1] ^ rk[i].l[0];
		rk[i].l[2] = rk[i - 1].l[2] ^ rk[i].l[1];
		rk[i].l[3] = rk[i - 1].l[3] ^ rk[i].l[2];
	}
	return 0;
}

static int aes_encrypt(const union xmm rk[11], union xmm *blk)
{
	c->xmm[1].q[0] = blk->q[0] ^ rk[0].q[0];
	c->xmm[1].q[1] = blk->q[1] ^ rk[0].q[1];
	for (int i = 1; i <= 10; i++) {
		c->xmm[2] = rk[i];
		/* aesenc / aesenclast xmm1, xmm2 */
		if (run((const uint8_t[]){ 0x66, 0x0f, 0x38, i < 10 ? 0xdc : 0xdd, 0xca }, 5) != -1)
			return -1;
	}
	*blk = c->xmm[1];
	return 0;
}

/* Equivalent inverse cipher (FIPS-197 §5.3.5): AESIMC on round keys 1-9. */
static int aes_decrypt(const union xmm rk[11], union xmm *blk)
{
	c->xmm[1].q[0] = blk->q[0] ^ rk[10].q[0];
	c->xmm[1].q[1] = blk->q[1] ^ rk[10].q[1];
	for (int i = 9; i >= 0; i--) {
		union xmm k = rk[i];
		if (i) {
			union xmm save = c->xmm[1];
			c->xmm[2] = rk[i];
			if (run((const uint8_t[]){ 0x66, 0x0f, 0x38, 0xdb, 0xda }, 5) != -1) /* aesimc xmm3, xmm2 */
				return -1;
			k = c->xmm[3];
			c->xmm[1] = save;
		}
		c->xmm[2] = k;
		if (run((const uint8_t[]){ 0x66, 0x0f, 0x38, i ? 0xde : 0xdf, 0xca }, 5) != -1)
			return -1;
	}
	*blk = c->xmm[1];
	return 0;
}

static void test_aes(void)
{
	union xmm rk[11], blk;
	/* FIPS-197 appendix A.1: key 2b7e1516..., w[40..43]; appendix B */
	set_bytes(&rk[0], "2b7e151628aed2a6abf7158809cf4f3c");
	int ok = aes_expand(rk) == 0;
	tap_ok(ok && eq_bytes(&rk[10], "d014f9a8c9ee2589e13f0cc8b6630ca6") &&
		       eq_bytes(&rk[1], "a0fafe1788542cb123a339392a6c7605"),
	       "AES-128 key expansion (FIPS-197 A.1)");
	set_bytes(&blk, "3243f6a8885a308d313198a2e0370734");
	ok = aes_encrypt(rk, &blk) == 0;
	tap_ok(ok && eq_bytes(&blk, "3925841d02dc09fbdc118597196a0b32"), "AES-128 cipher (FIPS-197 B)");
	/* appendix C.1 */
	set_bytes(&rk[0], "000102030405060708090a0b0c0d0e0f");
	ok = aes_expand(rk) == 0;
	set_bytes(&blk, "00112233445566778899aabbccddeeff");
	ok = ok && aes_encrypt(rk, &blk) == 0;
	tap_ok(ok && eq_bytes(&blk, "69c4e0d86a7b0430d8cdb78070b4c55a"), "AES-128 cipher (FIPS-197 C.1)");
	ok = ok && aes_decrypt(rk, &blk) == 0;
	tap_ok(ok && eq_bytes(&blk, "00112233445566778899aabbccddeeff"),
	       "AES-128 inverse cipher (FIPS-197 C.1)");
	/* misaligned round key in memory -> #GP */
	c->regs[R_RSI] = HARNESS_DATA + 8;
	int r = RUN(0x66, 0x0f, 0x38, 0xdc, 0x0e);
	tap_ok(r == EXC_GP, "aesenc misaligned m128 -> #GP");
}

static void test_pclmul(void)
{
	/* (x+1)^2 = x^2+1 */
	c->xmm[1].q[0] = 3, c->xmm[1].q[1] = 0;
	c->xmm[2].q[0] = 0, c->xmm[2].q[1] = 3;
	int r = RUN(0x66, 0x0f, 0x3a, 0x44, 0xca, 0x10);
	tap_ok(r == -1 && c->xmm[1].q[0] == 5 && c->xmm[1].q[1] == 0, "pclmulqdq (x+1)^2");
	/* (sum of x^0..x^63)^2 = sum of the even powers x^0..x^126 */
	c->xmm[1].q[1] = ~0ull, c->xmm[1].q[0] = 0;
	c->xmm[2].q[0] = ~0ull;
	r = RUN(0x66, 0x0f, 0x3a, 0x44, 0xca, 0x01);
	tap_ok(r == -1 && c->xmm[1].q[0] == 0x5555555555555555ull &&
		       c->xmm[1].q[1] == 0x5555555555555555ull, "pclmulqdq all-ones squared");
	/* x^63 * x^63 = x^126 */
	c->xmm[1].q[0] = 1ull << 63, c->xmm[2].q[0] = 1ull << 63;
	r = RUN(0x66, 0x0f, 0x3a, 0x44, 0xca, 0x00);
	tap_ok(r == -1 && c->xmm[1].q[0] == 0 && c->xmm[1].q[1] == 1ull << 62, "pclmulqdq x^63*x^63");
}

/* F2/F3 with a 66-only opcode: F2/F3 is the mandatory prefix, 66 is
 * ignored, so the encoding is undefined. */
static void test_prefixes(void)
{
	int r = RUN(0xf3, 0x66, 0x0f, 0x38, 0x00, 0xca);
	tap_ok(r == EXC_UD, "F3 66 0F 38 00 (pshufb) -> #UD");
	r = RUN(0x66, 0xf2, 0x0f, 0x3a, 0x63, 0xca, 0x00);
	tap_ok(r == EXC_UD, "66 F2 0F 3A 63 (pcmpistri) -> #UD");
	r = RUN(0xf3, 0x66, 0x0f, 0x7c, 0xca);
	tap_ok(r == EXC_UD, "F3 66 0F 7C -> #UD");
	r = RUN(0x66, 0xf2, 0x0f, 0x7c, 0xca);
	tap_ok(r == -1, "66 F2 0F 7C is HADDPS");
	r = RUN(0xf3, 0x0f, 0x38, 0x00, 0xc1);
	tap_ok(r == EXC_UD, "F3 0F 38 00 (pshufb mm) -> #UD");
	r = RUN(0xf0, 0x66, 0x0f, 0x38, 0x00, 0x0e);
	tap_ok(r == EXC_UD, "LOCK pshufb -> #UD");
}

/* The software ROUNDxx/DPPx (used on hosts without SSE4.1) against the
 * host instructions, every imm8, every rounding mode with and without
 * DAZ/FTZ, special and random inputs, all exceptions masked. */
static void test_sse41_soft(void)
{
	static const uint32_t fsp[] = { 0, 0x80000000, 0x3f800000, 0xbfc00000, 0x3f000000, 0xbf000000,
					0x3effffff, 0x3f7fffff, 0x4b000000, 0xcaffffff, 0x4b7fffff,
					0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffa00000,
					0x00000001, 0x807fffff, 0x00800000, 0x7f7fffff, 0x40490fdb,
					0xc0490fdb, 0x1f800000, 0x5f800000 };
	static const uint64_t dsp[] = { 0, 0x8000000000000000ull, 0x3ff8000000000000ull,
					0xbfe0000000000000ull, 0x3fdfffffffffffffull,
					0x4330000000000000ull, 0xc32fffffffffffffull,
					0x7ff0000000000000ull, 0x7ff8000000000000ull,
					0x7ff0000000000001ull, 1, 0x800fffffffffffffull,
					0x0010000000000000ull, 0x7fefffffffffffffull,
					0x400921fb54442d18ull, 0x1ff0000000000000ull };
	static const uint8_t opc[6] = { 0x08, 0x09, 0x0a, 0x0b, 0x40, 0x41 };
	static const char *names[6] = { "roundps", "roundpd", "roundss", "roundsd", "dpps", "dppd" };
	uint64_t rs = 12345;
	for (unsigned op = 0; op < 6; op++) {
		unsigned bad = 0, runs = 0;
		for (unsigned imm = 0; imm < 256; imm++) {
			uint8_t code[7] = { 0x66, 0x0f, 0x3a, opc[op], 0xca, (uint8_t)imm, 0xcc };
			memcpy(h.mem + HARNESS_CODE, code, sizeof(code));
			tb_invalidate_range(c->tbc, HARNESS_CODE, 16);
			unsigned nin = op < 4 ? 12 : 6;
			for (unsigned k = 0; k < nin * 8; k++) {
				union xmm d, s;
				for (unsigned i = 0; i < 4; i++) {
					rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
					bool rnd = (rs >> 60) < 4;
					if (op & 1) {
						if (i < 2)
							d.q[i] = rnd ? rs : dsp[(rs >> 8) % 16];
						if (i < 2)
							s.q[i] = rnd ? rs * 3 : dsp[(rs >> 16) % 16];
					} else {
						d.l[i] = rnd ? (uint32_t)rs : fsp[(rs >> 8) % 24];
						s.l[i] = rnd ? (uint32_t)(rs >> 32) : fsp[(rs >> 16) % 24];
					}
				}
				uint32_t csr = 0x1f80 | ((k & 3) << 13) | ((k & 4) ? 0x8040 : 0);
				union xmm d0 = d;
				c->xmm[1] = d;
				c->xmm[2] = s;
				c->mxcsr = csr;
				c->rip = HARNESS_CODE;
				c->regs[R_RSP] = HARNESS_STACK_TOP;
				int e;
				do
					e = cpu_exec(c);
				while (e != EXIT_INT && e != EXIT_EXCEPTION);
				union xmm hw = c->xmm[1];
				uint32_t hcsr = c->mxcsr;
				c->mxcsr = csr;
				sse41fp_soft(c, op, imm, &d, &s);
				runs++;
				if (e != EXIT_INT || memcmp(&d, &hw, 16) || c->mxcsr != hcsr) {
					if (bad++ < 3)
						printf("# %s imm=%02x csr=%04x d=%016llx%016llx s=%016llx%016llx: hw %016llx%016llx/%04x soft %016llx%016llx/%04x\n",
						       names[op], imm, csr, (unsigned long long)d0.q[1], (unsigned long long)d0.q[0], (unsigned long long)s.q[1],
						       (unsigned long long)s.q[0], (unsigned long long)hw.q[1],
						       (unsigned long long)hw.q[0], hcsr, (unsigned long long)d.q[1],
						       (unsigned long long)d.q[0], c->mxcsr);
				}
			}
		}
		tap_ok(bad == 0, "%s software path = host: %u of %u differ", names[op], bad, runs);
	}
	c->mxcsr = 0x1f80;
}

/* Decoding in 32-bit mode: the same encodings, no REX. */
static void test_mode32(void)
{
	struct harness h32;
	if (harness_init(&h32, 0)) {
		tap_ok(0, "harness_init 32");
		return;
	}
	struct cpu *c32 = &h32.cpu;
	memset(&c32->xmm[1], 0, 16);
	memset(&c32->xmm[2], 0, 16);
	memcpy(c32->xmm[1].b, "lo", 2);
	memcpy(c32->xmm[2].b, "hello world", 11);
	/* pcmpistri xmm1, xmm2, 0x0c; pextrd edx, xmm1, 0; int3 */
	static const uint8_t p[] = { 0x66, 0x0f, 0x3a, 0x63, 0xca, 0x0c,
				     0x66, 0x0f, 0x3a, 0x16, 0xca, 0x00, 0xcc };
	int r = harness_run(&h32, p, sizeof(p));
	tap_ok(r == -1 && (uint32_t)c32->regs[R_RCX] == 3 && (uint32_t)c32->regs[R_RDX] == 0x6f6c,
	       "32-bit mode pcmpistri/pextrd");
	harness_fini(&h32);
}

int main(void)
{
	if (harness_init(&h, 1)) {
		printf("Bail out! harness_init\n");
		return 1;
	}
	c = &h.cpu;
	test_sse3();
	test_ssse3();
	test_sse41();
	test_sse42();
	test_aes();
	test_pclmul();
	test_prefixes();
	test_sse41_soft();
	test_mode32();
	harness_fini(&h);
	return tap_done();
}
