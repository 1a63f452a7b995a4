/* lemu-test: m32 */
/*
 * Bit instructions and atomics: BT/BTS/BTR/BTC (register, imm8, memory
 * with signed bit offsets reaching outside the operand, LOCK), BSF/BSR
 * (zero source: destination unchanged), TZCNT/LZCNT/POPCNT, CMPXCHG, XADD,
 * CMPXCHG8B/16B, BSWAP, MOVBE, CRC32.  Defined flags only.
 */
#include "int_common.h"

static uint8_t buf[256] __attribute__((aligned(16)));

static void buf_init(void)
{
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 73 + 11);
}
static uint32_t buf_hash(void)
{
	uint32_t h = 2166136261u;
	for (unsigned i = 0; i < sizeof(buf); i++)
		h = (h ^ buf[i]) * 16777619u;
	return h;
}

/* bt* r, r and bt* [mem], r  (mem = buf+128, offsets +-) */
#define BTR(NAME, INSN, SUF, MOD)                                                            \
	static ureg NAME(ureg a, ureg b, ureg fin, ureg *fo)                                 \
	{                                                                                    \
		ureg f;                                                                      \
		__asm__(FL_IN INSN SUF " %" MOD "[b], %" MOD "[a]" FL_OUT                    \
			: [a] "+r"(a), [fo] "=&r"(f) : [b] "r"(b), [fin] "r"(fin) : "cc");   \
		*fo = f;                                                                     \
		return a;                                                                    \
	}                                                                                    \
	static ureg NAME##_m(ureg a, ureg b, ureg fin, ureg *fo)                             \
	{                                                                                    \
		ureg f;                                                                      \
		(void)a;                                                                     \
		__asm__(FL_IN INSN SUF " %" MOD "[b], 128(%[p])" FL_OUT                      \
			: [fo] "=&r"(f) : [b] "r"(b), [p] "r"(buf), [fin] "r"(fin) : "cc", "memory"); \
		*fo = f;                                                                     \
		return 0;                                                                    \
	}                                                                                    \
	static ureg NAME##_i(ureg a, ureg b, ureg fin, ureg *fo)                             \
	{                                                                                    \
		ureg f;                                                                      \
		(void)b;                                                                     \
		__asm__(FL_IN INSN SUF " $45, %" MOD "[a]\n\t" INSN SUF " $3, 128(%[p])" FL_OUT \
			: [a] "+r"(a), [fo] "=&r"(f) : [p] "r"(buf), [fin] "r"(fin) : "cc", "memory"); \
		*fo = f;                                                                     \
		return a;                                                                    \
	}
#define BTL(NAME, INSN, SUF, MOD)                                                            \
	static ureg NAME##_l(ureg a, ureg b, ureg fin, ureg *fo)                             \
	{                                                                                    \
		ureg f;                                                                      \
		(void)a;                                                                     \
		__asm__(FL_IN "lock " INSN SUF " %" MOD "[b], 128(%[p])" FL_OUT              \
			: [fo] "=&r"(f) : [b] "r"(b), [p] "r"(buf), [fin] "r"(fin) : "cc", "memory"); \
		*fo = f;                                                                     \
		return 0;                                                                    \
	}
#define BT_SIZES(OP) BTR(OP##16, #OP, "w", "w") BTR(OP##32, #OP, "l", "k")
BT_SIZES(bt) BT_SIZES(bts) BT_SIZES(btr) BT_SIZES(btc)
BTL(bts16, "bts", "w", "w") BTL(bts32, "bts", "l", "k") BTL(btr16, "btr", "w", "w")
BTL(btr32, "btr", "l", "k") BTL(btc16, "btc", "w", "w") BTL(btc32, "btc", "l", "k")
#ifdef __x86_64__
BTR(bt64, "bt", "q", "q") BTR(bts64, "bts", "q", "q") BTR(btr64, "btr", "q", "q") BTR(btc64, "btc", "q", "q")
BTL(bts64, "bts", "q", "q") BTL(btr64, "btr", "q", "q") BTL(btc64, "btc", "q", "q")
#endif

/* scans: dst (preloaded) <- op(src) */
#define SCAN(NAME, INSN, SUF, MOD)                                                           \
	static ureg NAME(ureg a, ureg b, ureg fin, ureg *fo)                                 \
	{                                                                                    \
		ureg f;                                                                      \
		__asm__(FL_IN INSN SUF " %" MOD "[b], %" MOD "[a]" FL_OUT                    \
			: [a] "+r"(a), [fo] "=&r"(f) : [b] "r"(b), [fin] "r"(fin) : "cc");   \
		*fo = f;                                                                     \
		return a;                                                                    \
	}
#define SCAN_SIZES(OP) SCAN(OP##16, #OP, "w", "w") SCAN(OP##32, #OP, "l", "k")
SCAN_SIZES(bsf) SCAN_SIZES(bsr) SCAN_SIZES(tzcnt) SCAN_SIZES(lzcnt) SCAN_SIZES(popcnt)
SCAN(xadd8, "xadd", "b", "b") SCAN(xadd16, "xadd", "w", "w") SCAN(xadd32, "xadd", "l", "k")
#ifdef __x86_64__
SCAN(bsf64, "bsf", "q", "q") SCAN(bsr64, "bsr", "q", "q") SCAN(tzcnt64, "tzcnt", "q", "q")
SCAN(lzcnt64, "lzcnt", "q", "q") SCAN(popcnt64, "popcnt", "q", "q") SCAN(xadd64, "xadd", "q", "q")
#endif

typedef ureg (*fn2)(ureg, ureg, ureg, ureg *);
struct t {
	const char *name;
	ureg mask;
	fn2 fn;
	int mem;
};
#ifdef __x86_64__
#define Q(...) __VA_ARGS__,
#else
#define Q(...)
#endif
#define BTROWS(OP) { #OP "16", F_CF | F_ZF, OP##16, 0 }, { #OP "32", F_CF | F_ZF, OP##32, 0 },            \
	{ #OP "16m", F_CF | F_ZF, OP##16_m, 1 }, { #OP "32m", F_CF | F_ZF, OP##32_m, 1 },                  \
	{ #OP "16i", F_CF | F_ZF, OP##16_i, 1 }, { #OP "32i", F_CF | F_ZF, OP##32_i, 1 },                  \
	Q({ #OP "64", F_CF | F_ZF, OP##64, 0 }) Q({ #OP "64m", F_CF | F_ZF, OP##64_m, 1 })                 \
	Q({ #OP "64i", F_CF | F_ZF, OP##64_i, 1 })
#define LKROWS(OP) { #OP "16l", F_CF | F_ZF, OP##16_l, 1 }, { #OP "32l", F_CF | F_ZF, OP##32_l, 1 },      \
	Q({ #OP "64l", F_CF | F_ZF, OP##64_l, 1 })
static const struct t tests[] = {
	BTROWS(bt) BTROWS(bts) BTROWS(btr) BTROWS(btc) LKROWS(bts) LKROWS(btr) LKROWS(btc)
	{ "bsf16", F_ZF, bsf16, 0 }, { "bsf32", F_ZF, bsf32, 0 }, { "bsr16", F_ZF, bsr16, 0 },
	{ "bsr32", F_ZF, bsr32, 0 }, { "tzcnt16", F_ZF | F_CF, tzcnt16, 0 },
	{ "tzcnt32", F_ZF | F_CF, tzcnt32, 0 }, { "lzcnt16", F_ZF | F_CF, lzcnt16, 0 },
	{ "lzcnt32", F_ZF | F_CF, lzcnt32, 0 }, { "popcnt16", F_ALL, popcnt16, 0 },
	{ "popcnt32", F_ALL, popcnt32, 0 }, { "xadd8", F_ALL, xadd8, 0 }, { "xadd16", F_ALL, xadd16, 0 },
	{ "xadd32", F_ALL, xadd32, 0 },
	Q({ "bsf64", F_ZF, bsf64, 0 }) Q({ "bsr64", F_ZF, bsr64, 0 }) Q({ "tzcnt64", F_ZF | F_CF, tzcnt64, 0 })
	Q({ "lzcnt64", F_ZF | F_CF, lzcnt64, 0 }) Q({ "popcnt64", F_ALL, popcnt64, 0 })
	Q({ "xadd64", F_ALL, xadd64, 0 })
};

/* cmpxchg r/m, r with the accumulator equal or not */
#define CX(NAME, SUF, MOD)                                                                   \
	static ureg NAME(ureg *acc, ureg d, ureg s, ureg fin, ureg *fo)                      \
	{                                                                                    \
		ureg f;                                                                      \
		__asm__(FL_IN "cmpxchg" SUF " %" MOD "[s], %" MOD "[d]" FL_OUT               \
			: [d] "+q"(d), "+a"(*acc), [fo] "=&r"(f) : [s] "q"(s), [fin] "r"(fin) : "cc"); \
		*fo = f;                                                                     \
		return d;                                                                    \
	}
CX(cx8, "b", "b") CX(cx16, "w", "w") CX(cx32, "l", "k")
#ifdef __x86_64__
CX(cx64, "q", "q")
#endif

#define BS(NAME, PFX, MOD)                                                                   \
	static ureg NAME(ureg a)                                                             \
	{                                                                                    \
		__asm__(PFX "bswap %" MOD "[a]" : [a] "+r"(a));                              \
		return a;                                                                    \
	}
BS(bswap32, "", "k")
BS(bswap16, ".byte 0x66\n\t", "k")
#ifdef __x86_64__
BS(bswap64, "", "q")
#endif

static uint32_t crc8(uint32_t c, uint8_t v) { __asm__("crc32b %1, %0" : "+r"(c) : "q"(v)); return c; }
static uint32_t crc16(uint32_t c, uint16_t v) { __asm__("crc32w %1, %0" : "+r"(c) : "r"(v)); return c; }
static uint32_t crc32m(uint32_t c, const void *p) { __asm__("crc32l %1, %0" : "+r"(c) : "m"(*(const uint32_t *)p)); return c; }

int main(void)
{
	for (unsigned t = 0; t < sizeof(tests) / sizeof(tests[0]); t++)
		for (unsigned i = 0; i < NV; i++)
			for (unsigned j = 0; j < NV; j++) {
				ureg b = (ureg)vals[j];
				if (tests[t].mem)
					b = (ureg)(long)((int)(j * 37) - 400); /* signed bit offsets */
				buf_init();
				ureg f, r = tests[t].fn((ureg)vals[i], b, fins[(i ^ j) & 1], &f);
				printf("%s %lx %lx: %lx f=%03lx m=%08x\n", tests[t].name, (ureg)vals[i], b, r,
				       f & tests[t].mask, buf_hash());
			}
	static const struct {
		const char *name;
		ureg (*fn)(ureg *, ureg, ureg, ureg, ureg *);
	} cx[] = { { "cmpxchg8", cx8 }, { "cmpxchg16", cx16 }, { "cmpxchg32", cx32 }, Q({ "cmpxchg64", cx64 }) };
	for (unsigned t = 0; t < sizeof(cx) / sizeof(cx[0]); t++)
		for (unsigned i = 0; i < NV; i++)
			for (unsigned j = 0; j < NV; j++)
				for (int eq = 0; eq < 2; eq++) {
					ureg acc = eq ? (ureg)vals[i] : (ureg)vals[j], f;
					ureg d = cx[t].fn(&acc, (ureg)vals[i], (ureg)vals[(j + 3) % NV], fins[eq], &f);
					printf("%s %lx %lx: %lx %lx f=%03lx\n", cx[t].name, (ureg)vals[i], (ureg)vals[j], d,
					       acc, f & F_ALL);
				}
	/* cmpxchg8b / cmpxchg16b on buf */
	for (unsigned i = 0; i < NV; i++)
		for (int eq = 0; eq < 2; eq++) {
			buf_init();
			uint32_t lo, hi;
			memcpy(&lo, buf + 64, 4);
			memcpy(&hi, buf + 68, 4);
			uint32_t a = eq ? lo : (uint32_t)vals[i], d = eq ? hi : 7, bl = (uint32_t)vals[i], ch = 99;
			unsigned char z;
			__asm__ volatile("lock cmpxchg8b %[m]; setz %[z]"
					 : [m] "+m"(*(uint64_t *)(buf + 64)), "+a"(a), "+d"(d), [z] "=q"(z)
					 : "b"(bl), "c"(ch)
					 : "cc", "memory");
			printf("cmpxchg8b %d %lx: %x %x z=%u m=%08x\n", eq, (ureg)vals[i], a, d, z, buf_hash());
#ifdef __x86_64__
			uint64_t q0, q1;
			memcpy(&q0, buf + 96, 8);
			memcpy(&q1, buf + 104, 8);
			uint64_t qa = eq ? q0 : vals[i], qd = eq ? q1 : 5;
			__asm__ volatile("lock cmpxchg16b %[m]; setz %[z]"
					 : [m] "+m"(*(unsigned __int128 *)(buf + 96)), "+a"(qa), "+d"(qd), [z] "=q"(z)
					 : "b"(vals[i]), "c"(~vals[i])
					 : "cc", "memory");
			printf("cmpxchg16b %d %lx: %lx %lx z=%u m=%08x\n", eq, (ureg)vals[i], (ureg)qa, (ureg)qd, z,
			       buf_hash());
#endif
		}
	for (unsigned i = 0; i < NV; i++) {
		ureg v = (ureg)vals[i];
		printf("bswap %lx: %lx %lx", v, bswap32(v), bswap16(v));
#ifdef __x86_64__
		printf(" %lx", bswap64(v));
#endif
		uint32_t m32 = 0;
		uint16_t m16 = 0;
		__asm__("movbe %1, %0" : "=r"(m32) : "m"(*(const uint32_t *)&vals[i]));
		__asm__("movbew %1, %0" : "=r"(m16) : "m"(*(const uint16_t *)&vals[i]));
		printf(" movbe %x %x", m32, m16);
		__asm__("movbe %1, %0" : "=m"(*(uint32_t *)buf) : "r"((uint32_t)v));
		printf(" %08x", *(uint32_t *)buf);
#ifdef __x86_64__
		uint64_t m64;
		__asm__("movbe %1, %0" : "=r"(m64) : "m"(vals[i]));
		printf(" %llx", (unsigned long long)m64);
		uint64_t c64 = vals[i];
		__asm__("crc32q %1, %0" : "+r"(c64) : "r"(vals[(i + 1) % NV]));
		printf(" crc64 %llx", (unsigned long long)c64);
#endif
		uint32_t c = (uint32_t)v;
		c = crc8(c, (uint8_t)vals[(i + 1) % NV]);
		c = crc16(c, (uint16_t)vals[(i + 2) % NV]);
		c = crc32m(c, &vals[(i + 3) % NV]);
		printf(" crc %08x\n", c);
	}
	return 0;
}
