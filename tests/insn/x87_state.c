/* lemu-test: m32 */
/*
 * x87 state save/restore: FNSTENV/FLDENV (28- and 14-byte forms), FNSAVE/
 * FRSTOR (108 and 94 bytes), FXSAVE/FXRSTOR, XSAVE/XRSTOR (RFBM = x87|SSE,
 * XSTATE_BV, init of components whose bit is clear), LDMXCSR/STMXCSR,
 * XGETBV(0) & 3, and the faults: misaligned FXSAVE/XSAVE, reserved MXCSR
 * bits, bad XSAVE header (SIGSEGV).  Images are printed raw (the static
 * binary has the same code addresses natively and under lemu, so FIP is
 * comparable; the XMM area is not printed).
 */
#include "x87_common.h"

static uint8_t area[1024] __attribute__((aligned(64)));

static void dump(const char *tag, const uint8_t *p, unsigned n)
{
	printf("%s:", tag);
	for (unsigned i = 0; i < n; i++)
		printf("%s%02x", i % 32 ? "" : "\n ", p[i]);
	printf("\n");
}

static void state(const char *tag)
{
	uint8_t env[28 + 80];
	__asm__ volatile("fnsave %0\n\tfrstor %0" : "+m"(env));
	dump(tag, env, sizeof(env));
}

int main(void)
{
	fault_setup();
	/* A state with values, TOP != 0, a pending (masked) flag, custom CW. */
	static const uint16_t cw = 0x0a7b;
	const f80 *pi = &edges[18];
	__asm__ volatile("fninit\n\tfldcw %0\n\tfld1\n\tfldt %1\n\tfldz\n\tfsqrt\n\tfld1\n\tfdivp\n\tfnclex\n\tfldl2t"
			 : : "m"(cw), "m"(*pi));
	memset(area, 0xa5, sizeof(area));
	__asm__ volatile("fnstenv %0\n\tfldenv %0" : "+m"(*(uint8_t(*)[28])area));
	dump("fnstenv32", area, 28);
	memset(area, 0xa5, sizeof(area));
	__asm__ volatile("data16 fnstenv %0\n\tdata16 fldenv %0" : "+m"(*(uint8_t(*)[14])area));
	dump("fnstenv16", area, 14);
	memset(area, 0xa5, sizeof(area));
	__asm__ volatile("fnsave %0\n\tfnstsw %%ax\n\tmov %%ax, 200+%0\n\tfrstor %0" : "+m"(*(uint8_t(*)[256])area) : : "eax");
	dump("fnsave32", area, 108);
	printf("after fnsave sw=%02x%02x\n", area[201], area[200]);
	memset(area, 0xa5, sizeof(area));
	__asm__ volatile("data16 fnsave %0\n\tdata16 frstor %0" : "+m"(*(uint8_t(*)[94])area));
	dump("fnsave16", area, 94);
	state("state");

	/* FRSTOR of an edited image: other TOP, tags, CW. */
	__asm__ volatile("fnsave %0" : "=m"(*(uint8_t(*)[108])area));
	area[0] = 0x7f;
	area[1] = 0x0f;               /* CW: RC=up... PC=64 */
	area[5] = (uint8_t)((area[5] & ~0x38) | (3 << 3)); /* TOP=3 */
	area[8] = 0x5a;
	area[9] = 0xf0;               /* tags */
	__asm__ volatile("frstor %0" : : "m"(*(uint8_t(*)[108])area));
	state("frstor-edited");

	/* FXSAVE / FXRSTOR (legacy area without the XMM registers). */
	memset(area, 0xa5, sizeof(area));
#ifdef __x86_64__
	__asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[512])area));
#else
	__asm__ volatile("fxsave %0" : "=m"(*(uint8_t(*)[512])area));
#endif
	dump("fxsave", area, 160);
	dump("fxsave-tail", area + 416, 96);
	area[4] = 0x0f; /* abridged tags */
	area[0] = 0x7f;
	area[1] = 0x03;
	__asm__ volatile("fxrstor %0" : : "m"(*(uint8_t(*)[512])area));
	state("fxrstor");

	/* XSAVE / XRSTOR with RFBM = 3 (XSTATE_BV shown for a state in use). */
	memset(area, 0, sizeof(area));
	__asm__ volatile("fld1\n\txsave %0" : "+m"(*(uint8_t(*)[576])area) : "a"(3), "d"(0));
	dump("xsave", area, 160);
	printf("xstate_bv&1=%x hdr8..63=", area[512] & 1);
	for (int i = 520; i < 576; i++)
		printf("%02x", area[i]);
	printf("\n");
	area[512] &= (uint8_t)~1; /* x87 -> init */
	__asm__ volatile("xrstor %0" : : "m"(*(uint8_t(*)[576])area), "a"(3), "d"(0));
	state("xrstor-init");
	area[512] |= 1;
	__asm__ volatile("xrstor %0" : : "m"(*(uint8_t(*)[576])area), "a"(1), "d"(0));
	state("xrstor-x87");
	memset(area + 512, 0, 64);
	__asm__ volatile("xrstor %0\n\txsave %0" : "+m"(*(uint8_t(*)[576])area) : "a"(3), "d"(0));
	printf("xrstor-all-init xstate_bv=%x\n", area[512] & 3);

	/* MXCSR */
	uint32_t mx = 0x3f80, mo = 0;
	__asm__ volatile("ldmxcsr %1\n\tstmxcsr %0" : "=m"(mo) : "m"(mx));
	printf("ldmxcsr %08x -> %08x\n", mx, mo);
	mx = 0x1f80;
	__asm__ volatile("ldmxcsr %0" : : "m"(mx));

	unsigned lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	printf("xgetbv(0)&3=%x\n", lo & 3);

	/* Faults */
	TRY(__asm__ volatile("fxsave %0" : "=m"(*(uint8_t(*)[512])(area + 8))));
	printf("fxsave misaligned: sig=%d code=%d\n", fault_sig, fault_code);
	TRY(__asm__ volatile("fxrstor %0" : : "m"(*(uint8_t(*)[512])(area + 8))));
	printf("fxrstor misaligned: sig=%d code=%d\n", fault_sig, fault_code);
	TRY(__asm__ volatile("xsave %0" : "+m"(*(uint8_t(*)[576])(area + 16)) : "a"(3), "d"(0)));
	printf("xsave misaligned: sig=%d code=%d\n", fault_sig, fault_code);
	mx = 0x10000;
	TRY(__asm__ volatile("ldmxcsr %0" : : "m"(mx)));
	printf("ldmxcsr reserved: sig=%d code=%d\n", fault_sig, fault_code);
	memset(area, 0, sizeof(area));
	area[0] = 0x7f;
	area[1] = 0x03;
	area[25] = 0x1f;
	area[24] = 0x80;
	area[520] = 1; /* XCOMP_BV */
	TRY(__asm__ volatile("xrstor %0" : : "m"(*(uint8_t(*)[576])area), "a"(3), "d"(0)));
	printf("xrstor xcomp_bv: sig=%d code=%d\n", fault_sig, fault_code);
	area[520] = 0;
	area[512] = 0x08; /* XSTATE_BV bit 3: beyond XCR0 here and on the host */
	TRY(__asm__ volatile("xrstor %0" : : "m"(*(uint8_t(*)[576])area), "a"(3), "d"(0)));
	printf("xrstor bv: sig=%d code=%d\n", fault_sig, fault_code);
	return 0;
}
