/* lemu-test: m32 */
/*
 * Faults of SSE3..SSE4.2/AES/PCLMUL: a misaligned m128 operand of a
 * legacy-SSE instruction is #GP (SIGSEGV) except where the SDM says
 * otherwise (LDDQU, PCMPxSTRx, and the narrower m64/m32/m16/m8 forms);
 * LOCK is #UD (SIGILL); an unmasked SIMD exception is #XM (SIGFPE).
 * Prints the signal number (or "ok") and the destination after a fault
 * (it must be unchanged).
 */
#include "sse4_common.h"

typedef long long vx __attribute__((vector_size(16)));

static uint8_t buf[64] __attribute__((aligned(16)));

#define M128(off) (*(const v128 *)(buf + (off)))
#define ALIGN_TEST(name, text, off, ...)                                              \
	do {                                                                          \
		static volatile vx d;                                                 \
		d = (vx){ 0x1111, 0x2222 };                                           \
		TRY(name, {                                                           \
			vx t = d;                                                     \
			__asm__ volatile(text : [d] "+x"(t) : [m] "m"(M128(off))      \
					 : "cc", ##__VA_ARGS__);                     \
			d = t;                                                        \
		});                                                                   \
		printf("  dst %llx %llx\n", (unsigned long long)d[0], (unsigned long long)d[1]); \
	} while (0)

int main(void)
{
	fault_setup();
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i + 1);
	for (unsigned off = 0; off < 16; off += 8) {
		printf("offset %u\n", off);
		/* #GP when misaligned */
		ALIGN_TEST("haddps", "haddps %[m], %[d]", off);
		ALIGN_TEST("addsubpd", "addsubpd %[m], %[d]", off);
		ALIGN_TEST("movsldup", "movsldup %[m], %[d]", off);
		ALIGN_TEST("pshufb", "pshufb %[m], %[d]", off);
		ALIGN_TEST("palignr", "palignr $3, %[m], %[d]", off);
		ALIGN_TEST("pabsd", "pabsd %[m], %[d]", off);
		ALIGN_TEST("ptest", "ptest %[m], %[d]", off);
		ALIGN_TEST("pmulld", "pmulld %[m], %[d]", off);
		ALIGN_TEST("packusdw", "packusdw %[m], %[d]", off);
		ALIGN_TEST("phminposuw", "phminposuw %[m], %[d]", off);
		ALIGN_TEST("movntdqa", "movntdqa %[m], %[d]", off);
		ALIGN_TEST("roundps", "roundps $1, %[m], %[d]", off);
		ALIGN_TEST("blendpd", "blendpd $1, %[m], %[d]", off);
		ALIGN_TEST("pblendw", "pblendw $0x55, %[m], %[d]", off);
		ALIGN_TEST("dpps", "dpps $0xff, %[m], %[d]", off);
		ALIGN_TEST("mpsadbw", "mpsadbw $5, %[m], %[d]", off);
		ALIGN_TEST("pcmpgtq", "pcmpgtq %[m], %[d]", off);
		ALIGN_TEST("aesenc", "aesenc %[m], %[d]", off);
		ALIGN_TEST("aesimc", "aesimc %[m], %[d]", off);
		ALIGN_TEST("aeskeygenassist", "aeskeygenassist $1, %[m], %[d]", off);
		ALIGN_TEST("pclmulqdq", "pclmulqdq $0x11, %[m], %[d]", off);
		ALIGN_TEST("pblendvb", "movdqa %[d], %%xmm0\n\tpblendvb %%xmm0, %[m], %[d]", off, "xmm0");
		/* no alignment requirement */
		ALIGN_TEST("lddqu", "lddqu %[m], %[d]", off);
		ALIGN_TEST("movddup", "movddup %[m], %[d]", off);
		ALIGN_TEST("pmovzxbw", "pmovzxbw %[m], %[d]", off);
		ALIGN_TEST("pmovsxdq", "pmovsxdq %[m], %[d]", off);
		ALIGN_TEST("roundss", "roundss $1, %[m], %[d]", off);
		ALIGN_TEST("insertps", "insertps $0x10, %[m], %[d]", off);
		ALIGN_TEST("pinsrd", "pinsrd $2, %[m], %[d]", off);
		ALIGN_TEST("pcmpistri", "pcmpistri $0x0c, %[m], %[d]", off, "ecx");
		ALIGN_TEST("pcmpestrm", "xor %%eax, %%eax\n\tmov $16, %%edx\n\t"
					"pcmpestrm $0x44, %[m], %[d]", off, "eax", "edx", "xmm0");
	}
	/* the MMX forms take m64, never aligned */
	TRY("pshufb mm, m64+3", {
		__asm__ volatile("pxor %%mm0, %%mm0\n\tpshufb %0, %%mm0\n\temms" : : "m"(buf[3]));
	});
	/* LOCK prefix: #UD */
	TRY("lock pshufb", __asm__ volatile(".byte 0xf0, 0x66, 0x0f, 0x38, 0x00, 0x06"
					    : : "S"(buf) : "xmm0", "memory"));
	TRY("lock pcmpistri", __asm__ volatile(".byte 0xf0, 0x66, 0x0f, 0x3a, 0x63, 0x06, 0x00"
					       : : "S"(buf) : "ecx", "xmm0", "cc", "memory"));
	/* F2/F3 with a 66-only opcode: #UD (F2/F3 is the mandatory prefix) */
	TRY("f3 66 pshufb", __asm__ volatile(".byte 0xf3, 0x66, 0x0f, 0x38, 0x00, 0xc1" : : : "xmm0"));
	TRY("66 f2 pcmpistri", __asm__ volatile(".byte 0x66, 0xf2, 0x0f, 0x3a, 0x63, 0xc1, 0x00"
						: : : "ecx", "cc"));
	TRY("f3 66 haddpd", __asm__ volatile(".byte 0xf3, 0x66, 0x0f, 0x7c, 0xc1" : : : "xmm0"));
	TRY("66 f2 haddps", __asm__ volatile(".byte 0x66, 0xf2, 0x0f, 0x7c, 0xc1" : : : "xmm0"));
	TRY("f2 66 aesenc", __asm__ volatile(".byte 0xf2, 0x66, 0x0f, 0x38, 0xdc, 0xc1" : : : "xmm0"));
	/* LDDQU and MOVNTDQA register forms: #UD */
	TRY("lddqu xmm, xmm", __asm__ volatile(".byte 0xf2, 0x0f, 0xf0, 0xc1" : : : "xmm0"));
	TRY("movntdqa xmm, xmm", __asm__ volatile(".byte 0x66, 0x0f, 0x38, 0x2a, 0xc1" : : : "xmm0"));
	/* unmasked precision exception: roundps without suppression -> SIGFPE,
	 * the destination is unchanged; with imm[3] set no exception */
	{
		static volatile vx d;
		static const float half[4] __attribute__((aligned(16))) = { 0.5f, 1.5f, 2.0f, 3.0f };
		d = (vx){ 0x1111, 0x2222 };
		uint32_t csr = 0x1f80 & ~0x1000; /* unmask PE */
		uint32_t after = 0;
		TRY("roundps inexact unmasked", {
			vx t = d;
			__asm__ volatile("ldmxcsr %[c]\n\troundps $0, %[m], %[d]\n\tstmxcsr %[a]"
					 : [d] "+x"(t), [a] "=m"(after) : [m] "m"(half), [c] "m"(csr));
			d = t;
		});
		__asm__ volatile("stmxcsr %0" : "=m"(after));
		printf("  dst %llx %llx mxcsr %x\n", (unsigned long long)d[0], (unsigned long long)d[1],
		       after);
		TRY("roundps inexact suppressed", {
			vx t = d;
			__asm__ volatile("ldmxcsr %[c]\n\troundps $8, %[m], %[d]\n\tstmxcsr %[a]"
					 : [d] "+x"(t), [a] "=m"(after) : [m] "m"(half), [c] "m"(csr));
			d = t;
		});
		printf("  dst %llx %llx mxcsr %x\n", (unsigned long long)d[0], (unsigned long long)d[1],
		       after);
		uint32_t def = 0x1f80;
		__asm__ volatile("ldmxcsr %0" : : "m"(def));
	}
	return 0;
}
