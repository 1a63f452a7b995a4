/* lemu-test: m32 */
/*
 * MMX/SSE/SSE2 data movement: MOVUPS/UPD/SS/SD, MOVAPS/APD, MOVLPS/HPS/
 * LPD/HPD, MOVHLPS/MOVLHPS, MOVD/MOVQ (GPR, MMX, XMM), MOVDQA/MOVDQU,
 * MOVNTPS/PD/DQ/I/Q, MOVQ2DQ/MOVDQ2Q, MASKMOVQ/MASKMOVDQU, MOVMSKPS/PD,
 * PMOVMSKB; the x87 tag word and TOP after MMX instructions, EMMS and the
 * MMX-register conversions; #GP (SIGSEGV) on misaligned 16-byte operands
 * of the aligned forms and of legacy SSE arithmetic, none for the
 * unaligned, scalar and MMX forms; #UD (SIGILL) for LOCK and for missing
 * register/memory forms.  Prints raw hex.
 */
#include "sse_common.h"

/* buf+off through the pointer register (rdi/edi) */
#ifdef __x86_64__
#define P(off) #off "(%%rdi)"
#else
#define P(off) #off "(%%edi)"
#endif

static v128 A, B;
static uint8_t buf[64] __attribute__((aligned(64)));

static void show(const char *name, const v128 *v)
{
	printf("%s:", name);
	pv(v);
	printf("\n");
}
static void showbuf(const char *name)
{
	printf("%s: ", name);
	for (int i = 0; i < 48; i++)
		printf("%02x", buf[i]);
	printf("\n");
}
static void fillbuf(void)
{
	for (int i = 0; i < 64; i++)
		buf[i] = (uint8_t)(0xa0 + i);
}

/* xmm1 = A, xmm2 = B, then `text`, then store xmm1 to *out. */
#define XX(name, text)                                                                         \
	do {                                                                                   \
		v128 r_;                                                                       \
		fillbuf();                                                                     \
		__asm__ volatile("movdqa %[a], %%xmm1\n\tmovdqa %[b], %%xmm2\n\t" text "\n\t"  \
				 "movdqa %%xmm1, %[r]"                                         \
				 : [r] "=m"(r_)                                                \
				 : [a] "m"(A), [b] "m"(B), [m] "m"(*(v128 *)buf), "D"(buf)     \
				 : "xmm1", "xmm2", "mm1", "mm2", "eax", "memory");              \
		show(name, &r_);                                                       \
	} while (0)
/* ... and show the memory buffer too. */
#define XM(name, text)                                                                         \
	do {                                                                                   \
		XX(name, text);                                                                \
		showbuf(name);                                                                 \
	} while (0)

/* x87 tag word (full) and TOP after `text`. */
static void x87_state(const char *name, uint16_t tw_before)
{
	uint8_t env[28];
	__asm__ volatile("fnstenv %0\n\tfldcw %0" : "=m"(env));
	uint16_t sw, tw;
	memcpy(&sw, env + 4, 2);
	memcpy(&tw, env + 8, 2);
	printf("%s: tag %04x top %u (before %04x)\n", name, tw, (sw >> 11) & 7, tw_before);
}
/* Put the x87 unit in a known non-MMX state: empty, TOP=5 after 3 pushes
 * and one pop -- then run text and dump the tag word. */
#define X87(name, text)                                                                        \
	do {                                                                                   \
		__asm__ volatile("fninit\n\tfld1\n\tfldz\n\tfld1\n\tfstp %%st(0)\n\t" text     \
				 : : [m] "m"(A), "D"(buf) : "memory", "eax", "xmm1", "mm1", "st", "st(1)"); \
		x87_state(name, 0);                                                    \
		__asm__ volatile("emms\n\tfninit");                                     \
	} while (0)

#define FAULT(name, text)                                                                      \
	TRY(name, __asm__ volatile(text : : "r"(buf + 1), "r"(buf + 8), "r"(buf), "D"(buf + 3)  \
				   : "xmm1", "xmm2", "mm1", "eax", "memory"))

int main(void)
{
	fault_setup();
	A.q[0] = 0x0123456789abcdefull;
	A.q[1] = 0xfedcba9876543210ull;
	B.q[0] = 0x8000000180ff7f01ull;
	B.q[1] = 0x7fffffff00800000ull;

	XX("movups r", "movups %%xmm2, %%xmm1");
	XX("movups m", "movups " P(1) ", %%xmm1");
	XX("movupd m", "movupd " P(3) ", %%xmm1");
	XX("movss r", "movss %%xmm2, %%xmm1");
	XX("movss m", "movss " P(5) ", %%xmm1");
	XX("movsd r", "movsd %%xmm2, %%xmm1");
	XX("movsd m", "movsd " P(7) ", %%xmm1");
	XM("movups st", "movups %%xmm2, " P(1) "");
	XM("movss st", "movss %%xmm2, " P(3) "");
	XM("movsd st", "movsd %%xmm2, " P(9) "");
	XX("movss st r", "movss %%xmm2, %%xmm1");
	XX("movlps m", "movlps " P(1) ", %%xmm1");
	XX("movhps m", "movhps " P(2) ", %%xmm1");
	XX("movlpd m", "movlpd " P(3) ", %%xmm1");
	XX("movhpd m", "movhpd " P(4) ", %%xmm1");
	XM("movlps st", "movlps %%xmm2, " P(5) "");
	XM("movhps st", "movhps %%xmm2, " P(6) "");
	XM("movlpd st", "movlpd %%xmm2, " P(7) "");
	XM("movhpd st", "movhpd %%xmm2, " P(8) "");
	XX("movhlps", "movhlps %%xmm2, %%xmm1");
	XX("movlhps", "movlhps %%xmm2, %%xmm1");
	XX("movaps r", "movaps %%xmm2, %%xmm1");
	XX("movaps m", "movaps " P(16) ", %%xmm1");
	XX("movapd m", "movapd " P(32) ", %%xmm1");
	XM("movaps st", "movaps %%xmm2, " P(16) "");
	XM("movapd st", "movapd %%xmm2, " P(32) "");
	XX("movdqa m", "movdqa " P(16) ", %%xmm1");
	XX("movdqu m", "movdqu " P(11) ", %%xmm1");
	XM("movdqa st", "movdqa %%xmm2, " P(16) "");
	XM("movdqu st", "movdqu %%xmm2, " P(13) "");
	XM("movntps", "movntps %%xmm2, " P(16) "");
	XM("movntpd", "movntpd %%xmm2, " P(32) "");
	XM("movntdq", "movntdq %%xmm2, " P(16) "");
	XM("movnti", "mov $0x13579bdf, %%eax\n\tmovnti %%eax, " P(3) "");
	XM("movntq", "movq %%xmm2, %%xmm1\n\tmovdq2q %%xmm2, %%mm1\n\tmovntq %%mm1, " P(5) "\n\temms");
	XX("movd xmm,r32", "movd %%edi, %%xmm1\n\tpsubd %%xmm1, %%xmm1\n\tmov $0x89abcdef, %%eax\n\tmovd %%eax, %%xmm1");
	XX("movd xmm,m32", "movd " P(3) ", %%xmm1");
	XX("movq xmm,m64", "movq " P(3) ", %%xmm1");
	XX("movq xmm,xmm", "movq %%xmm2, %%xmm1");
	XM("movd m32,xmm", "movd %%xmm2, " P(3) "");
	XM("movq m64,xmm", "movq %%xmm2, " P(3) "");
	XX("movq2dq", "movdq2q %%xmm2, %%mm1\n\tmovq2dq %%mm1, %%xmm1\n\temms");
	XX("movq mm", "movq " P(6) ", %%mm1\n\tmovq2dq %%mm1, %%xmm1\n\temms");
	XX("movd mm,m32", "movd " P(6) ", %%mm1\n\tmovq2dq %%mm1, %%xmm1\n\temms");
	XM("movd m32,mm", "movdq2q %%xmm2, %%mm1\n\tmovd %%mm1, " P(2) "\n\tmovq %%mm1, " P(9) "\n\temms");
	{
		uint32_t r32;
		__asm__ volatile("movd %[b], %%xmm2\n\tmovd %%xmm2, %[r]" : [r] "=r"(r32) : [b] "m"(B) : "xmm2");
		printf("movd r32,xmm: %08x\n", r32);
		__asm__ volatile("movq %[b], %%mm2\n\tpsrlq $8, %%mm2\n\tmovd %%mm2, %[r]\n\temms" : [r] "=r"(r32) : [b] "m"(B) : "mm2");
		printf("movd r32,mm: %08x\n", r32);
		__asm__ volatile("movl $0x12345678, %[r]\n\tmovd %[r], %%mm2\n\tpsllq $4, %%mm2\n\tmovd %%mm2, %[r]\n\temms" : [r] "=r"(r32) : : "mm2");
		printf("movd mm,r32: %08x\n", r32);
	}
#ifdef __x86_64__
	{
		uint64_t r64, g = 0xfedcba9876543210ull;
		__asm__ volatile("movq %[g], %%xmm2\n\tpsllq $4, %%xmm2\n\tmovq %%xmm2, %[r]" : [r] "=r"(r64) : [g] "r"(g) : "xmm2");
		printf("movq r64,xmm: %016llx\n", (unsigned long long)r64);
		__asm__ volatile("movq %[g], %%mm2\n\tpsrlq $4, %%mm2\n\tmovq %%mm2, %[r]\n\temms" : [r] "=r"(r64) : [g] "r"(g) : "mm2");
		printf("movq r64,mm: %016llx\n", (unsigned long long)r64);
		v128 r;
		__asm__ volatile("movdqa %[a], %%xmm1\n\tmovq %[g], %%xmm1\n\tmovdqa %%xmm1, %[r]" : [r] "=m"(r) : [g] "r"(g), [a] "m"(A) : "xmm1");
		show("movq xmm,r64", &r);
		uint32_t ps;
		__asm__ volatile("movdqa %[b], %%xmm2\n\tmovmskps %%xmm2, %%rax\n\tmov %%eax, %[r]" : [r] "=r"(ps) : [b] "m"(B) : "rax", "xmm2");
		printf("movmskps r64: %x\n", ps);
	}
#endif
#ifdef __x86_64__
	{
		/* REX.R/REX.B: xmm8-15; MMX registers ignore REX.B */
		v128 r[3];
		uint64_t q;
		__asm__ volatile("movdqa %[a], %%xmm9\n\tmovdqa %[b], %%xmm14\n\t"
				 "paddd %%xmm14, %%xmm9\n\tpshufd $0x1b, %%xmm9, %%xmm12\n\t"
				 "movdqa %%xmm9, %[r0]\n\tmovdqa %%xmm12, %[r1]\n\t"
				 "movq %%xmm12, %%r10\n\tmovq %%r10, %%xmm15\n\tmovdqa %%xmm15, %[r2]\n\t"
				 "movq %[a], %%mm2\n\t"
				 ".byte 0x41, 0x0f, 0x6f, 0xca\n\t" /* movq mm1, mm2 with REX.B */
				 "movq %%mm1, %[q]\n\temms"
				 : [r0] "=m"(r[0]), [r1] "=m"(r[1]), [r2] "=m"(r[2]), [q] "=m"(q)
				 : [a] "m"(A), [b] "m"(B)
				 : "xmm9", "xmm12", "xmm14", "xmm15", "r10", "mm1", "mm2");
		show("xmm9 paddd", &r[0]);
		show("xmm12 pshufd", &r[1]);
		show("xmm15 movq r10", &r[2]);
		printf("movq mm1, mm2 rex.b: %016llx\n", (unsigned long long)q);
	}
#endif
	/* mask extraction */
	{
		static const uint64_t pats[][2] = {
			{ 0, 0 }, { ~0ull, ~0ull }, { 0x8000000180ff7f01ull, 0x7fffffff00800000ull },
			{ 0x8080808080808080ull, 0x0080008000800080ull }, { 0x0123456789abcdefull, 0xfedcba9876543210ull },
		};
		for (int i = 0; i < 5; i++) {
			v128 v;
			v.q[0] = pats[i][0];
			v.q[1] = pats[i][1];
			uint32_t ps, pd, b, bm;
			__asm__ volatile("movdqa %[v], %%xmm2\n\tmovmskps %%xmm2, %[ps]\n\tmovmskpd %%xmm2, %[pd]\n\t"
					 "pmovmskb %%xmm2, %[b]\n\tmovdq2q %%xmm2, %%mm2\n\tpmovmskb %%mm2, %[bm]\n\temms"
					 : [ps] "=&r"(ps), [pd] "=&r"(pd), [b] "=&r"(b), [bm] "=&r"(bm)
					 : [v] "m"(v) : "xmm2", "mm2");
			printf("masks %d: ps %x pd %x b %x bmm %x\n", i, ps, pd, b, bm);
		}
	}
	/* masked stores to DS:[e/rdi] */
	XM("maskmovdqu", "maskmovdqu %%xmm2, %%xmm1");
	XM("maskmovq", "movdq2q %%xmm1, %%mm1\n\tmovdq2q %%xmm2, %%mm2\n\tmaskmovq %%mm2, %%mm1\n\temms");

	/* x87 state: MMX instructions set TOP=0 and tag all valid; EMMS
	 * empties; the MMX-register conversions switch, memory ones do not. */
	X87("x87 baseline", "");
	X87("movq mm", "movq %[m], %%mm1");
	X87("movq mm,emms", "movq %[m], %%mm1\n\temms");
	X87("paddb mm", "paddb %[m], %%mm1");
	X87("movd r32,mm", "movd %%mm1, %%eax");
	X87("movq m,mm", "movq %%mm1, 8(%%edi)");
	X87("cvtpi2ps m", "cvtpi2ps %[m], %%xmm1");
	X87("cvtpi2ps r", "cvtpi2ps %%mm1, %%xmm1");
	X87("cvtpi2pd m", "cvtpi2pd %[m], %%xmm1");
	X87("cvtpi2pd r", "cvtpi2pd %%mm1, %%xmm1");
	X87("cvtps2pi", "cvtps2pi %%xmm1, %%mm1");
	X87("cvttpd2pi m", "cvttpd2pi %[m], %%mm1");
	X87("movq2dq", "movq2dq %%mm1, %%xmm1");
	X87("movdq2q", "movdq2q %%xmm1, %%mm1");
	X87("maskmovq", "pxor %%mm1, %%mm1\n\tmaskmovq %%mm1, %%mm1");
	X87("pxor xmm", "pxor %%xmm1, %%xmm1");
	X87("emms", "emms");
	{
		/* MMX writes set the exponent field of the register to all ones */
		uint8_t st[108];
		__asm__ volatile("fninit\n\tmovq %[a], %%mm3\n\tfnsave %[s]\n\tfrstor %[s]\n\temms\n\tfninit"
				 : [s] "+m"(st) : [a] "m"(A) : "mm3", "memory");
		/* FSW/FTW, then ST(3) = physical register 3 (TOP = 0) */
		printf("fnsave after movq mm3: sw %02x%02x tw %02x%02x st3 ", st[5], st[4], st[9], st[8]);
		for (int i = 28 + 30; i < 28 + 40; i++)
			printf("%02x", st[i]);
		printf("\n");
	}

	/* alignment: 16-byte operands of aligned forms and legacy SSE */
	FAULT("movaps misaligned", "movaps (%0), %%xmm1");
	FAULT("movaps aligned", "movaps (%2), %%xmm1");
	FAULT("movapd misaligned", "movapd (%1), %%xmm1");
	FAULT("movdqa misaligned", "movdqa (%1), %%xmm1");
	FAULT("movdqa st misaligned", "movdqa %%xmm1, (%0)");
	FAULT("movaps st misaligned", "movaps %%xmm1, (%1)");
	FAULT("movntps misaligned", "movntps %%xmm1, (%1)");
	FAULT("movntdq misaligned", "movntdq %%xmm1, (%1)");
	FAULT("addps misaligned", "addps (%0), %%xmm1");
	FAULT("paddb misaligned", "paddb (%1), %%xmm1");
	FAULT("pcmpeqb misaligned", "pcmpeqb (%0), %%xmm1");
	FAULT("pshufd misaligned", "pshufd $0, (%0), %%xmm1");
	FAULT("cvtdq2ps misaligned", "cvtdq2ps (%1), %%xmm1");
	FAULT("cvtpd2ps misaligned", "cvtpd2ps (%1), %%xmm1");
	FAULT("cvtps2pd misaligned", "cvtps2pd (%0), %%xmm1");
	FAULT("cvtdq2pd misaligned", "cvtdq2pd (%0), %%xmm1");
	FAULT("comisd misaligned", "comisd (%0), %%xmm1");
	FAULT("movups misaligned", "movups (%0), %%xmm1");
	FAULT("movdqu misaligned", "movdqu (%0), %%xmm1");
	FAULT("movdqu st misaligned", "movdqu %%xmm1, (%0)");
	FAULT("addss misaligned", "addss (%0), %%xmm1");
	FAULT("movlps misaligned", "movlps (%0), %%xmm1");
	FAULT("movq misaligned", "movq (%0), %%xmm1");
	FAULT("paddb mmx misaligned", "paddb (%0), %%mm1\n\temms");
	FAULT("punpcklbw misaligned", "punpcklbw (%0), %%xmm1");
	FAULT("punpcklbw mmx misaligned", "punpcklbw (%0), %%mm1\n\temms");
	FAULT("cvtpi2ps misaligned", "cvtpi2ps (%0), %%xmm1\n\temms");
	FAULT("cvtpd2pi misaligned", "cvtpd2pi (%1), %%mm1\n\temms");
	FAULT("cvttpd2pi misaligned", "cvttpd2pi (%1), %%mm1\n\temms");
	FAULT("cvtps2pi misaligned", "cvtps2pi (%0), %%mm1\n\temms");
	FAULT("cvtpi2pd misaligned", "cvtpi2pd (%0), %%xmm1\n\temms");
	FAULT("pshufw misaligned", "pshufw $1, (%0), %%mm1\n\temms");
	FAULT("shufps misaligned", "shufps $1, (%1), %%xmm1");
	FAULT("unpcklps misaligned", "unpcklps (%1), %%xmm1");
	FAULT("ucomisd misaligned", "ucomisd (%0), %%xmm1");
	FAULT("sqrtsd misaligned", "sqrtsd (%0), %%xmm1");
	FAULT("cmpps misaligned", "cmpps $1, (%1), %%xmm1");
	FAULT("cvtsi2ss misaligned", "cvtsi2ssl (%0), %%xmm1");
	FAULT("cvttsd2si misaligned", "cvttsd2si (%0), %%eax");
	FAULT("movhps misaligned", "movhps (%0), %%xmm1");
	FAULT("movmskpd ok", "movmskpd %%xmm1, %%eax");
	FAULT("maskmovdqu misaligned", "pxor %%xmm2, %%xmm2\n\tmaskmovdqu %%xmm2, %%xmm1");

	/* invalid forms */
	FAULT("lock addps", ".byte 0xf0, 0x0f, 0x58, 0x0a");
	FAULT("lock movdqa", ".byte 0xf0, 0x66, 0x0f, 0x6f, 0x0a");
	FAULT("movlps reg", ".byte 0x66, 0x0f, 0x12, 0xca");
	FAULT("movhpd st reg", ".byte 0x66, 0x0f, 0x17, 0xca");
	FAULT("movntps reg", ".byte 0x0f, 0x2b, 0xca");
	FAULT("pmovmskb mem", ".byte 0x66, 0x0f, 0xd7, 0x08");
	FAULT("movmskps mem", ".byte 0x0f, 0x50, 0x08");
	FAULT("psrlw imm mem", ".byte 0x66, 0x0f, 0x71, 0x10, 0x01");
	FAULT("psrldq mmx", ".byte 0x0f, 0x73, 0xd9, 0x01\n\temms");
	FAULT("pslldq mmx", ".byte 0x0f, 0x73, 0xf9, 0x01\n\temms");
	FAULT("punpcklqdq mmx", ".byte 0x0f, 0x6c, 0xca\n\temms");
	FAULT("rcppd", ".byte 0x66, 0x0f, 0x53, 0xca");
	FAULT("rsqrtsd", ".byte 0xf2, 0x0f, 0x52, 0xca");
	FAULT("movq2dq mem", ".byte 0xf3, 0x0f, 0xd6, 0x08");
	FAULT("maskmovq mem", ".byte 0x0f, 0xf7, 0x08\n\temms");
	FAULT("movnti reg", ".byte 0x0f, 0xc3, 0xc8");
	FAULT("pextrw mem", ".byte 0x66, 0x0f, 0xc5, 0x08, 0x01");
	FAULT("cvtdq2ps f2", ".byte 0xf2, 0x0f, 0x5b, 0xca");
	FAULT("cvttpd2dq none", ".byte 0x0f, 0xe6, 0xca");
	FAULT("f3 paddb mm", ".byte 0xf3, 0x0f, 0xfc, 0xca\n\temms");
	FAULT("66 f2 paddb xmm", ".byte 0x66, 0xf2, 0x0f, 0xfc, 0xca");
	FAULT("66 f3 pxor xmm", ".byte 0x66, 0xf3, 0x0f, 0xef, 0xca");
	FAULT("f2 66 movdqa", ".byte 0xf2, 0x66, 0x0f, 0x6f, 0xca");
	FAULT("f3 66 andpd", ".byte 0xf3, 0x66, 0x0f, 0x54, 0xca");
	FAULT("f3 emms", ".byte 0xf3, 0x0f, 0x77");
	FAULT("66 emms", ".byte 0x66, 0x0f, 0x77");
	FAULT("f3 movaps", ".byte 0xf3, 0x0f, 0x28, 0xca");
	FAULT("f2 movups", ".byte 0xf2, 0x0f, 0x10, 0xca");
	FAULT("f3 movd", ".byte 0xf3, 0x0f, 0x6e, 0xca\n\temms");
	FAULT("f3 pmovmskb", ".byte 0xf3, 0x0f, 0xd7, 0xca\n\temms");
	FAULT("f3 shufps", ".byte 0xf3, 0x0f, 0xc6, 0xca, 0");
	FAULT("66 movnti", ".byte 0x66, 0x0f, 0xc3, 0x08");
	FAULT("66 f3 movss", ".byte 0x66, 0xf3, 0x0f, 0x10, 0xca");
	FAULT("f3 66 movss", ".byte 0xf3, 0x66, 0x0f, 0x10, 0xca");
	FAULT("f2 f3 addss", ".byte 0xf2, 0xf3, 0x0f, 0x58, 0xca");
	FAULT("f3 f2 addsd", ".byte 0xf3, 0xf2, 0x0f, 0x58, 0xca");
	return 0;
}
