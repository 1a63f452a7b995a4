/* lemu-test: m32 */
/*
 * AES-NI and PCLMULQDQ: AESENC/AESENCLAST/AESDEC/AESDECLAST/AESIMC on
 * edge and random states and keys (register and memory forms),
 * AESKEYGENASSIST and PCLMULQDQ over all 256 imm8 values, and a full
 * AES-128 encryption/decryption of the FIPS-197 appendix C.1 vector.
 */
#include "sse4_common.h"

typedef long long vx __attribute__((vector_size(16)));

#define DEF_AES(name)                                                                      \
	static void name(v128 *dv, const v128 *kv, int mem)                               \
	{                                                                                  \
		vx d, k;                                                                   \
		memcpy(&d, dv, 16);                                                        \
		memcpy(&k, kv, 16);                                                        \
		if (mem)                                                                   \
			__asm__(#name " %[k], %[d]" : [d] "+x"(d) : [k] "m"(*kv));         \
		else                                                                       \
			__asm__(#name " %[k], %[d]" : [d] "+x"(d) : [k] "x"(k));           \
		memcpy(dv, &d, 16);                                                        \
	}
DEF_AES(aesenc)
DEF_AES(aesenclast)
DEF_AES(aesdec)
DEF_AES(aesdeclast)
static void aesimc(v128 *dv, const v128 *kv, int mem)
{
	vx d, k;
	memcpy(&k, kv, 16);
	if (mem)
		__asm__("aesimc %[k], %[d]" : [d] "=x"(d) : [k] "m"(*kv));
	else
		__asm__("aesimc %[k], %[d]" : [d] "=x"(d) : [k] "x"(k));
	memcpy(dv, &d, 16);
}

#define C_KGA(n) \
	case n: __asm__("aeskeygenassist %[i], %[s], %[d]" : [d] "=x"(d) : [s] "x"(s), [i] "i"(n)); break;
static void keygen(unsigned imm, v128 *dv, const v128 *sv)
{
	vx d = { 0, 0 }, s;
	memcpy(&s, sv, 16);
	switch (imm) { REP256(C_KGA) }
	memcpy(dv, &d, 16);
}
#define C_CLMUL(n) \
	case n: __asm__("pclmulqdq %[i], %[s], %[d]" : [d] "+x"(d) : [s] "x"(s), [i] "i"(n)); break;
#define C_CLMULM(n) \
	case n: __asm__("pclmulqdq %[i], %[s], %[d]" : [d] "+x"(d) : [s] "m"(*sv), [i] "i"(n)); break;
static void clmul(unsigned imm, v128 *dv, const v128 *sv, int mem)
{
	vx d, s;
	memcpy(&d, dv, 16);
	memcpy(&s, sv, 16);
	if (mem)
		switch (imm) { REP256(C_CLMULM) }
	else
		switch (imm) { REP256(C_CLMUL) }
	memcpy(dv, &d, 16);
}

static const uint8_t rcons[10] = { 1, 2, 4, 8, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36 };
#define C_EXP(n) case n: keygen(n, &t, &rk[i - 1]); break;

int main(void)
{
	static v128 a, k, r, mem;
	static const uint64_t edges[] = { 0, ~0ull, 0x8080808080808080ull, 0x0101010101010101ull,
					  0x0123456789abcdefull, 0x6363636363636363ull };
	void (*fns[5])(v128 *, const v128 *, int) = { aesenc, aesenclast, aesdec, aesdeclast, aesimc };
	static const char *names[5] = { "aesenc", "aesenclast", "aesdec", "aesdeclast", "aesimc" };
	for (unsigned f = 0; f < 5; f++) {
		printf("%s:", names[f]);
		rng_state = 31 + f;
		fnv = 0xcbf29ce484222325ull;
		for (unsigned n = 0; n < 300; n++) {
			if (n < 36) {
				a.q[0] = edges[n % 6], a.q[1] = edges[(n + 3) % 6];
				k.q[0] = edges[n / 6], k.q[1] = edges[(n / 6 + 1) % 6];
			} else {
				rnd_v(&a), rnd_v(&k);
			}
			r = a;
			fns[f](&r, &k, 0);
			mem = k;
			v128 r2 = a;
			fns[f](&r2, &mem, 1);
			hash_bytes(&r, 16);
			if (n % 10 == 0)
				pv(&r);
			if (memcmp(&r, &r2, 16))
				printf(" [mem form differs]");
		}
		printf(" h=%016llx\n", (unsigned long long)fnv);
	}
	rng_state = 7;
	rnd_v(&a);
	for (unsigned imm = 0; imm < 256; imm++) {
		keygen(imm, &r, &a);
		printf("aeskeygenassist %02x:", imm);
		pv(&r);
		v128 x = { .q = { 0x0123456789abcdefull, 0xfedcba9876543210ull } };
		v128 y = { .q = { 0xffffffffffffffffull, 0x8000000000000001ull } };
		clmul(imm, &x, &y, 0);
		printf(" pclmul");
		pv(&x);
		x.q[0] = 0x8000000000000000ull, x.q[1] = 3;
		mem.q[0] = 0x8000000000000001ull, mem.q[1] = 0xdeadbeefcafef00dull;
		clmul(imm, &x, &mem, 1);
		pv(&x);
		printf("\n");
	}
	fnv = 0xcbf29ce484222325ull;
	for (unsigned n = 0; n < 2000; n++) {
		v128 x, y;
		rnd_v(&x), rnd_v(&y);
		clmul((unsigned)(n & 0x11), &x, &y, 0);
		hash_bytes(&x, 16);
	}
	printf("pclmul random h=%016llx\n", (unsigned long long)fnv);

	/* FIPS-197 C.1: AES-128 with key 00..0f on 00112233..ff */
	v128 rk[11], t, blk;
	for (unsigned i = 0; i < 16; i++)
		rk[0].b[i] = (uint8_t)i, blk.b[i] = (uint8_t)(i * 0x11);
	for (unsigned i = 1; i <= 10; i++) {
		switch (rcons[i - 1]) {
		C_EXP(1) C_EXP(2) C_EXP(4) C_EXP(8) C_EXP(0x10) C_EXP(0x20) C_EXP(0x40) C_EXP(0x80)
		C_EXP(0x1b) C_EXP(0x36)
		}
		uint32_t w = t.l[3];
		rk[i].l[0] = rk[i - 1].l[0] ^ w;
		rk[i].l[1] = rk[i - 1].l[1] ^ rk[i].l[0];
		rk[i].l[2] = rk[i - 1].l[2] ^ rk[i].l[1];
		rk[i].l[3] = rk[i - 1].l[3] ^ rk[i].l[2];
	}
	blk.q[0] ^= rk[0].q[0], blk.q[1] ^= rk[0].q[1];
	for (unsigned i = 1; i < 10; i++)
		aesenc(&blk, &rk[i], 0);
	aesenclast(&blk, &rk[10], 0);
	printf("fips-197 c.1 cipher:");
	for (unsigned i = 0; i < 16; i++)
		printf("%02x", blk.b[i]);
	blk.q[0] ^= rk[10].q[0], blk.q[1] ^= rk[10].q[1];
	for (unsigned i = 9; i >= 1; i--) {
		v128 ik;
		aesimc(&ik, &rk[i], 0);
		aesdec(&blk, &ik, 0);
	}
	aesdeclast(&blk, &rk[0], 0);
	printf("\nfips-197 c.1 inverse:");
	for (unsigned i = 0; i < 16; i++)
		printf("%02x", blk.b[i]);
	printf("\n");
	return 0;
}
