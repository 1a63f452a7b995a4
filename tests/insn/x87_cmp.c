/* lemu-test: m32 */
/*
 * x87 comparisons and classification over edge values: FCOM, FCOMP,
 * FCOMPP, FUCOM, FUCOMPP, FICOM m16/m32, FCOM m32/m64, FTST, FXAM (every
 * class, both signs, empty), FCOMI/FUCOMI/FCOMIP/FUCOMIP (ZF, PF, CF, OF,
 * SF), FCMOVcc under every ZF/PF/CF combination, and comparisons with an
 * empty register (stack underflow).  Prints C0-C3, the full FSW and the
 * flags.
 */
#include "x87_common.h"

static void fcom(const f80 *a, const f80 *b, const char *name)
{
	uint16_t sw1, sw2, sw3, sw4;
	__asm__ volatile("fninit\n\tfldt %[b]\n\tfldt %[a]\n\tfcom %%st(1)\n\tfnstsw %[s1]\n\t"
			 "fucom %%st(1)\n\tfnstsw %[s2]\n\tfcompp\n\tfnstsw %[s3]\n\t"
			 "fldt %[b]\n\tfldt %[a]\n\tfucompp\n\tfnstsw %[s4]\n\tfninit"
			 : [s1] "=m"(sw1), [s2] "=m"(sw2), [s3] "=m"(sw3), [s4] "=m"(sw4)
			 : [a] "m"(*a), [b] "m"(*b));
	printf("%s fcom=%04x fucom=%04x fcompp=%04x fucompp=%04x\n", name, sw1, sw2, sw3, sw4);
}

static void fcomi(const f80 *a, const f80 *b, const char *name)
{
	uint8_t z1, p1, c1, o1, s1, z2, p2, c2, o2, s2;
	uint16_t sw1, sw2;
	__asm__ volatile("fninit\n\tfldt %[b]\n\tfldt %[a]\n\tfcomi %%st(1), %%st\n\tfnstsw %[sw]\n\tfninit"
			 : [sw] "=m"(sw1), "=@ccz"(z1), "=@ccp"(p1), "=@ccc"(c1), "=@cco"(o1), "=@ccs"(s1)
			 : [a] "m"(*a), [b] "m"(*b));
	__asm__ volatile("fninit\n\tfldt %[b]\n\tfldt %[a]\n\tfucomip %%st(1), %%st\n\tfnstsw %[sw]\n\tfninit"
			 : [sw] "=m"(sw2), "=@ccz"(z2), "=@ccp"(p2), "=@ccc"(c2), "=@cco"(o2), "=@ccs"(s2)
			 : [a] "m"(*a), [b] "m"(*b));
	printf("%s fcomi zpc=%u%u%u os=%u%u sw=%04x fucomip zpc=%u%u%u os=%u%u sw=%04x\n", name, z1, p1,
	       c1, o1, s1, sw1, z2, p2, c2, o2, s2, sw2);
}

static void fxam_ftst(const f80 *a, const char *name)
{
	uint16_t sw1, sw2;
	__asm__ volatile("fninit\n\tfldt %[a]\n\tfxam\n\tfnstsw %[s1]\n\tftst\n\tfnstsw %[s2]\n\tfninit"
			 : [s1] "=m"(sw1), [s2] "=m"(sw2)
			 : [a] "m"(*a));
	printf("%s fxam=%04x ftst=%04x\n", name, sw1, sw2);
}

static void fcom_mem(const f80 *a, unsigned k)
{
	static const uint32_t m32[] = { 0, 0x80000000, 0x3f800000, 0x7f800000, 0x7fc00000, 0x7f800001,
					1, 0x40490fdb, 0xff7fffff };
	static const uint64_t m64[] = { 0, 0x3ff0000000000000ull, 0xfff0000000000000ull,
					0x7ff8000000000000ull, 0x7ff0000000000001ull, 1,
					0x400921fb54442d18ull };
	static const int16_t i16[] = { 0, 1, -1, 3, -32768, 32767 };
	static const int32_t i32[] = { 0, 1, -1, 3, -2147483647 - 1, 2147483647 };
	uint16_t s1, s2, s3, s4;
	const uint32_t *f = &m32[k % 9];
	const uint64_t *d = &m64[k % 7];
	const int16_t *w = &i16[k % 6];
	const int32_t *l = &i32[k % 6];
	__asm__ volatile("fninit\n\tfldt %[a]\n\tfcoms %[f]\n\tfnstsw %[s1]\n\tfcoml %[d]\n\tfnstsw %[s2]\n\t"
			 "ficoms %[w]\n\tfnstsw %[s3]\n\tficompl %[l]\n\tfnstsw %[s4]\n\tfninit"
			 : [s1] "=m"(s1), [s2] "=m"(s2), [s3] "=m"(s3), [s4] "=m"(s4)
			 : [a] "m"(*a), [f] "m"(*f), [d] "m"(*d), [w] "m"(*w), [l] "m"(*l));
	printf("mem k=%u fcoms=%04x fcoml=%04x ficoms=%04x ficompl=%04x\n", k, s1, s2, s3, s4);
}

static void fcmov_all(const f80 *a, const f80 *b)
{
	for (unsigned fl = 0; fl < 8; fl++) {
		/* fl bit 0 = CF, bit 1 = ZF, bit 2 = PF, set through SAHF */
		unsigned ah = ((fl & 1) ? 0x01 : 0) | ((fl & 2) ? 0x40 : 0) | ((fl & 4) ? 0x04 : 0);
		f80 out[8];
		uint16_t sw;
#define FCMOV(i, insn)                                                                             \
	__asm__ volatile("fninit\n\tfldt %[b]\n\tfldt %[a]\n\tmov %[ah], %%eax\n\tshl $8, %%eax\n\tsahf\n\t" insn \
			 " %%st(1), %%st\n\tfnstsw %[sw]\n\tfstpt %[o]\n\tfninit"                   \
			 : [o] "=m"(out[i]), [sw] "=m"(sw)                                          \
			 : [a] "m"(*a), [b] "m"(*b), [ah] "r"(ah)                                   \
			 : "eax", "cc")
		FCMOV(0, "fcmovb");
		FCMOV(1, "fcmove");
		FCMOV(2, "fcmovbe");
		FCMOV(3, "fcmovu");
		FCMOV(4, "fcmovnb");
		FCMOV(5, "fcmovne");
		FCMOV(6, "fcmovnbe");
		FCMOV(7, "fcmovnu");
		printf("fcmov fl=%u:", fl);
		for (int i = 0; i < 8; i++)
			printf(" %c", out[i].m == a->m && out[i].e == a->e ? 'a' : out[i].m == b->m && out[i].e == b->e ? 'b' : '?');
		printf(" sw=%04x\n", sw);
	}
}

int main(void)
{
	char name[64];
	for (unsigned i = 0; i < NEDGES; i++) {
		snprintf(name, sizeof(name), "e%u", i);
		fxam_ftst(&edges[i], name);
		for (unsigned j = 0; j < NEDGES; j++) {
			snprintf(name, sizeof(name), "e%u,e%u", i, j);
			fcom(&edges[i], &edges[j], name);
			fcomi(&edges[i], &edges[j], name);
		}
		for (unsigned k = 0; k < 18; k++)
			fcom_mem(&edges[i], k);
	}
	f80 one = { 1ull << 63, 0x3fff }, two = { 1ull << 63, 0x4000 };
	fcmov_all(&one, &two);

	/* Empty operands: FXAM of an empty register, compares with an empty
	 * ST(1) (masked stack underflow: C3=C2=C0=1, IE|SF), FCOMI likewise. */
	uint16_t s1, s2, s3, s4;
	uint8_t z, p, c;
	__asm__ volatile("fninit\n\tfxam\n\tfnstsw %[s1]\n\tfld1\n\tfcom %%st(1)\n\tfnstsw %[s2]\n\t"
			 "fnclex\n\tfcomi %%st(2), %%st\n\tfnstsw %[s3]\n\tfnclex\n\tfld1\n\tfchs\n\tfstp %%st(0)\n\t"
			 "fxam\n\tfnstsw %[s4]\n\tfninit"
			 : [s1] "=m"(s1), [s2] "=m"(s2), [s3] "=m"(s3), [s4] "=m"(s4), "=@ccz"(z), "=@ccp"(p),
			   "=@ccc"(c));
	printf("empty: fxam=%04x fcom=%04x fcomi=%04x zpc=%u%u%u fxam-neg-empty=%04x\n", s1, s2, s3, z, p, c, s4);
	return 0;
}
