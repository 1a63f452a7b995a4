/* lemu-test: m32 */
/*
 * x87 memory operands: FLD/FST/FSTP m32/m64/m80, FILD/FIST/FISTP
 * m16/m32/m64, FISTTP (SSE3), FBLD/FBSTP (packed BCD, bad digits), the
 * m32/m64/m16int/m32int arithmetic forms, under every rounding and
 * precision control; then stack overflow and underflow (masked: the
 * indefinite, IE|SF, C1), FXCH, FFREE, FINCSTP/FDECSTP, FLD ST(i),
 * FST ST(i), FNSTSW AX, FLDCW/FNSTCW with reserved bits.
 */
#include "x87_common.h"

static const uint32_t m32v[] = { 0, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000,
				 0x7fc00000, 0x7fc01234, 0x7f800001, 0xffa00000, 1, 0x807fffff,
				 0x7f7fffff, 0x00800000, 0x40490fdb, 0x3f000000, 0x4b000001,
				 0x3fc00000, 0xc0200000 };
static const uint64_t m64v[] = { 0, 0x8000000000000000ull, 0x3ff0000000000000ull,
				 0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull,
				 0x7ff0000000000001ull, 0xfff4000000000000ull, 1, 0x800fffffffffffffull,
				 0x7fefffffffffffffull, 0x0010000000000000ull, 0x400921fb54442d18ull,
				 0x4330000000000001ull, 0xc004000000000000ull };
static const int64_t intv[] = { 0, 1, -1, 2, 3, -7, 32767, -32768, 65535, 2147483647,
				-2147483647 - 1, 4294967295ll, 0x7fffffffffffffffll,
				(-0x7fffffffffffffffll - 1), 123456789012345678ll };

struct st_res {
	uint8_t m[16];
	uint16_t sw;
};

static void stores(uint16_t cw, const f80 *a, struct st_res r[10])
{
	memset(r, 0x5a, sizeof(*r) * 10);
#define ST(i, insn)                                                                          \
	__asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\t" insn " %[m]\n\tfnstsw %[sw]\n\tfninit" \
			 : [m] "+m"(r[i].m), [sw] "=m"(r[i].sw)                                 \
			 : [cw] "m"(cw), [a] "m"(*a))
	ST(0, "fsts");
	ST(1, "fstpl");
	ST(2, "fists");
	ST(3, "fistpl");
	ST(4, "fistpll");
	ST(5, "fisttps");
	ST(6, "fisttpl");
	ST(7, "fisttpll");
	ST(8, "fbstp");
	ST(9, "fstpt");
#undef ST
}

static void print_store(const char *tag, uint16_t cw, const f80 *a)
{
	static const unsigned sizes[10] = { 4, 8, 2, 4, 8, 2, 4, 8, 10, 10 };
	struct st_res r[10];
	stores(cw, a, r);
	printf("%s cw=%04x", tag, cw);
	p80(a);
	printf(":");
	for (int i = 0; i < 10; i++) {
		printf(" ");
		for (int b = (int)sizes[i] - 1; b >= 0; b--)
			printf("%02x", r[i].m[b]);
		printf("/%04x", r[i].sw);
	}
	printf("\n");
}

static void loads(uint16_t cw, const void *m, unsigned k)
{
	f80 r[7];
	uint16_t sw[7];
#define LD(i, insn)                                                                          \
	__asm__ volatile("fninit\n\tfldcw %[cw]\n\t" insn " %[m]\n\tfnstsw %[sw]\n\tfstpt %[r]\n\tfninit" \
			 : [r] "=m"(r[i]), [sw] "=m"(sw[i])                                     \
			 : [cw] "m"(cw), [m] "m"(*(const uint8_t(*)[10])m))
	LD(0, "flds");
	LD(1, "fldl");
	LD(2, "filds");
	LD(3, "fildl");
	LD(4, "fildll");
	LD(5, "fbld");
	LD(6, "fldt");
#undef LD
	printf("load k=%u cw=%04x:", k, cw);
	for (int i = 0; i < 7; i++) {
		p80(&r[i]);
		printf("/%04x", sw[i]);
	}
	printf("\n");
}

static void memarith(uint16_t cw, const f80 *a, const void *m, unsigned k)
{
	f80 r[16];
	uint16_t sw[16];
#define MA(i, insn)                                                                          \
	__asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\t" insn " %[m]\n\tfnstsw %[sw]\n\tfstpt %[r]\n\tfninit" \
			 : [r] "=m"(r[i]), [sw] "=m"(sw[i])                                     \
			 : [cw] "m"(cw), [a] "m"(*a), [m] "m"(*(const uint8_t(*)[8])m))
	MA(0, "fadds");
	MA(1, "fmuls");
	MA(2, "fsubs");
	MA(3, "fsubrs");
	MA(4, "fdivs");
	MA(5, "fdivrs");
	MA(6, "faddl");
	MA(7, "fsubl");
	MA(8, "fdivrl");
	MA(9, "fmull");
	MA(10, "fiadds");
	MA(11, "fisubrs");
	MA(12, "fidivs");
	MA(13, "fiaddl");
	MA(14, "fimull");
	MA(15, "fidivrl");
#undef MA
	hash_bytes(r, sizeof(r));
	hash_bytes(sw, sizeof(sw));
	if (k % 7 == 0) {
		printf("marith k=%u cw=%04x:", k, cw);
		for (int i = 0; i < 16; i++) {
			p80(&r[i]);
			printf("/%04x", sw[i]);
		}
		printf("\n");
	}
}

int main(void)
{
	/* Stores of every edge value under each control word. */
	for (unsigned rc = 0; rc < 4; rc++)
		for (unsigned p = 0; p < 3; p++) {
			uint16_t cw = cw_make(rc, pcs[p]);
			for (unsigned i = 0; i < NEDGES; i++)
				print_store("store", cw, &edges[i]);
			for (unsigned k = 0; k < 40; k++) {
				/* near integer and half-integer boundaries */
				long double v = (long double)((int64_t)k * 0x1fffffffll - 0x7ffffffll) + (k & 3) * 0.25L;
				if (k > 30)
					v = (k & 1 ? -1 : 1) * (0x1p63L - (k - 30) * 0.5L * (1 << 11));
				f80 f;
				memcpy(&f, &v, 10);
				print_store("storei", cw, &f);
			}
		}
	/* Loads of every format. */
	uint8_t m[16];
	for (unsigned k = 0; k < 60; k++) {
		memset(m, 0, sizeof(m));
		if (k < 19) {
			memcpy(m, &m32v[k], 4);
			memcpy(m + 4, &m64v[k % 15], 4);
		} else if (k < 34) {
			memcpy(m, &m64v[k - 19], 8);
		} else if (k < 49) {
			memcpy(m, &intv[k - 34], 8);
		} else {
			/* packed BCD: digits, sign byte, some invalid nibbles */
			for (int i = 0; i < 9; i++)
				m[i] = (uint8_t)((((k + i) % 10) << 4) | ((k * 3 + i) % 10));
			m[9] = (k & 1) ? 0x80 : 0x00;
			if (k % 3 == 0)
				m[k % 9] = 0xab;
			if (k == 59)
				memset(m, 0xff, 10);
		}
		for (unsigned rc = 0; rc < 4; rc += 3)
			loads(cw_make(rc, 3), m, k);
	}
	/* Memory-operand arithmetic, hashed per control word. */
	for (unsigned rc = 0; rc < 4; rc++)
		for (unsigned p = 0; p < 3; p++) {
			uint16_t cw = cw_make(rc, pcs[p]);
			hash_reset();
			unsigned k = 0;
			for (unsigned i = 0; i < NEDGES; i++)
				for (unsigned j = 0; j < 19; j++, k++) {
					memset(m, 0, sizeof(m));
					memcpy(m, &m32v[j], 4);
					if (j < 15 && (i & 1))
						memcpy(m, &m64v[j], 8);
					if (j < 15 && (i % 3) == 2)
						memcpy(m, &intv[j], 8);
					memarith(cw, &edges[i], m, k);
				}
			printf("marith cw=%04x hash=%016llx\n", cw, (unsigned long long)fnv);
		}

	/* Stack faults and stack manipulation. */
	f80 o[10];
	uint16_t sw[6], ax;
	__asm__ volatile("fninit\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfldpi\n\t"
			 "fnstsw %[s0]\n\tfldz\n\tfnstsw %[s1]\n\tfnclex\n\tfxch %%st(3)\n\tfnstsw %[s2]\n\t"
			 "ffree %%st(2)\n\tfincstp\n\tfincstp\n\tfadd %%st(0), %%st\n\tfnstsw %[s3]\n\t"
			 "fdecstp\n\tfnclex\n\tfstp %%st(3)\n\tfnstsw %[s4]\n\t"
			 "fstpt %[o0]\n\tfstpt %[o1]\n\tfstpt %[o2]\n\tfstpt %[o3]\n\tfstpt %[o4]\n\t"
			 "fstpt %[o5]\n\tfstpt %[o6]\n\tfstpt %[o7]\n\tfstpt %[o8]\n\tfnstsw %%ax\n\t"
			 "mov %%ax, %[ax]\n\tfninit"
			 : [s0] "=m"(sw[0]), [s1] "=m"(sw[1]), [s2] "=m"(sw[2]), [s3] "=m"(sw[3]),
			   [s4] "=m"(sw[4]), [o0] "=m"(o[0]), [o1] "=m"(o[1]), [o2] "=m"(o[2]),
			   [o3] "=m"(o[3]), [o4] "=m"(o[4]), [o5] "=m"(o[5]), [o6] "=m"(o[6]),
			   [o7] "=m"(o[7]), [o8] "=m"(o[8]), [ax] "=m"(ax)
			 :
			 : "eax");
	printf("stack: sw=%04x %04x %04x %04x %04x ax=%04x\n ", sw[0], sw[1], sw[2], sw[3], sw[4], ax);
	for (int i = 0; i < 9; i++)
		p80(&o[i]);
	printf("\n");

	/* FLDCW with reserved bits; FNSTCW. */
	for (unsigned v = 0; v < 0x10000; v += 0x1111) {
		uint16_t in = (uint16_t)(v | 0x3f), out;
		__asm__ volatile("fninit\n\tfldcw %[i]\n\tfnstcw %[o]\n\tfninit" : [o] "=m"(out) : [i] "m"(in));
		printf("fldcw %04x -> %04x\n", in, out);
	}
	return 0;
}
