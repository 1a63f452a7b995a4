/*
 * Directed tests of MMX/SSE/SSE2 semantics that the differential test
 * (test_sse_diff) cannot express: alignment faults, MXCSR rounding/FTZ/
 * DAZ with known answers, sticky flags, #XM and #UD (CR4.OSXMMEXCPT
 * clear), the MMX/x87 aliasing state, CPUID feature gating, 32-bit mode,
 * and that the host MXCSR is left untouched.  One family per group of
 * TAP lines.
 */
#include "harness.h"
#include "cpu/x86/ops.h"

#include <stdio.h>

static struct harness H;
#define C (&H.cpu)

/* Run bytes followed by INT3; returns -1 or the exception vector. */
static int run(const uint8_t *code, size_t n)
{
	uint8_t buf[64];
	memcpy(buf, code, n);
	buf[n] = 0xcc;
	return harness_run(&H, buf, n + 1);
}
#define RUN(...) run((const uint8_t[]){ __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }))

static void set_ps(int r, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	C->xmm[r].l[0] = a, C->xmm[r].l[1] = b, C->xmm[r].l[2] = c, C->xmm[r].l[3] = d;
}
static uint32_t host_mxcsr(void)
{
	uint32_t m;
	__asm__ volatile("stmxcsr %0" : "=m"(m));
	return m;
}

static void test_alignment(void)
{
	uint8_t *mem = H.mem + HARNESS_DATA;
	for (int i = 0; i < 64; i++)
		mem[i] = (uint8_t)i;
	/* mov esi, HARNESS_DATA+1 is set directly */
	C->regs[R_RSI] = HARNESS_DATA + 1;
	set_ps(1, 0x11111111, 0x22222222, 0x33333333, 0x44444444);
	union xmm before = C->xmm[1];
	int r = RUN(0x0f, 0x28, 0x0e); /* movaps xmm1, [rsi] */
	tap_ok(r == EXC_GP && C->rip == HARNESS_CODE && !memcmp(&C->xmm[1], &before, 16),
	       "movaps misaligned load: #GP, rip and xmm1 unchanged (r=%d)", r);
	r = RUN(0x0f, 0x29, 0x0e); /* movaps [rsi], xmm1 */
	tap_ok(r == EXC_GP && mem[1] == 1, "movaps misaligned store: #GP, memory unchanged");
	r = RUN(0x66, 0x0f, 0x7f, 0x0e); /* movdqa [rsi], xmm1 */
	tap_ok(r == EXC_GP, "movdqa misaligned store: #GP");
	r = RUN(0x0f, 0x58, 0x0e); /* addps xmm1, [rsi] */
	tap_ok(r == EXC_GP, "addps misaligned m128: #GP");
	r = RUN(0x66, 0x0f, 0xfc, 0x0e); /* paddb xmm1, [rsi] */
	tap_ok(r == EXC_GP, "paddb misaligned m128: #GP");
	r = RUN(0x0f, 0x10, 0x0e); /* movups xmm1, [rsi] */
	tap_ok(r == -1 && C->xmm[1].b[0] == 1 && C->xmm[1].b[15] == 16, "movups misaligned: ok");
	r = RUN(0xf3, 0x0f, 0x6f, 0x0e); /* movdqu */
	tap_ok(r == -1 && C->xmm[1].b[0] == 1, "movdqu misaligned: ok");
	r = RUN(0xf3, 0x0f, 0x58, 0x0e); /* addss xmm1, [rsi] */
	tap_ok(r == -1, "addss misaligned m32: ok");
	r = RUN(0x0f, 0xfc, 0x0e); /* paddb mm1, [rsi] */
	tap_ok(r == -1, "paddb mmx misaligned m64: ok");
	C->regs[R_RSI] = HARNESS_DATA + 16;
	r = RUN(0x0f, 0x28, 0x0e);
	tap_ok(r == -1 && C->xmm[1].b[0] == 16, "movaps aligned: ok");
	/* a fault in the second access of nothing: #PF reports the address */
	C->regs[R_RSI] = HARNESS_MEM_SIZE - 8;
	r = RUN(0xf3, 0x0f, 0x6f, 0x0e);
	tap_ok(r == EXC_PF, "movdqu crossing the end of memory: #PF");
}

/* divss xmm1, xmm2 under each rounding mode, and cvtss2si eax, xmm1 */
static void test_rounding(void)
{
	static const uint32_t third[4] = { 0x3eaaaaab, 0x3eaaaaaa, 0x3eaaaaab, 0x3eaaaaaa };
	static const uint32_t mthird[4] = { 0xbeaaaaab, 0xbeaaaaab, 0xbeaaaaaa, 0xbeaaaaaa };
	static const int32_t half[4] = { 2, 2, 3, 2 }, mhalf[4] = { -2, -3, -2, -2 };
	static const char *rc[4] = { "nearest", "down", "up", "zero" };
	for (int m = 0; m < 4; m++) {
		C->mxcsr = 0x1f80 | (uint32_t)m << 13;
		set_ps(1, 0x3f800000, 0, 0, 0);
		set_ps(2, 0x40400000, 0, 0, 0);
		int r = RUN(0xf3, 0x0f, 0x5e, 0xca);
		tap_ok(r == -1 && C->xmm[1].l[0] == third[m] && (C->mxcsr & 0x3f) == 0x20,
		       "divss 1/3 round %s: %08x mxcsr %x", rc[m], C->xmm[1].l[0], C->mxcsr);
		set_ps(1, 0xbf800000, 0, 0, 0);
		r = RUN(0xf3, 0x0f, 0x5e, 0xca);
		tap_ok(r == -1 && C->xmm[1].l[0] == mthird[m], "divss -1/3 round %s: %08x", rc[m],
		       C->xmm[1].l[0]);
		set_ps(1, 0x40200000, 0, 0, 0);  /* 2.5 */
		r = RUN(0xf3, 0x0f, 0x2d, 0xc1); /* cvtss2si eax, xmm1 */
		tap_ok(r == -1 && (int32_t)C->regs[R_RAX] == half[m], "cvtss2si 2.5 round %s: %d",
		       rc[m], (int32_t)C->regs[R_RAX]);
		set_ps(1, 0xc0200000, 0, 0, 0);
		r = RUN(0xf3, 0x0f, 0x2d, 0xc1);
		tap_ok(r == -1 && (int32_t)C->regs[R_RAX] == mhalf[m], "cvtss2si -2.5 round %s: %d",
		       rc[m], (int32_t)C->regs[R_RAX]);
		r = RUN(0xf3, 0x0f, 0x2c, 0xc1); /* cvttss2si truncates in every mode */
		tap_ok(r == -1 && (int32_t)C->regs[R_RAX] == -2, "cvttss2si -2.5 round %s", rc[m]);
	}
	/* FTZ: min_normal * 0.5 */
	C->mxcsr = 0x1f80;
	set_ps(1, 0x00800000, 0, 0, 0);
	set_ps(2, 0x3f000000, 0, 0, 0);
	int r = RUN(0xf3, 0x0f, 0x59, 0xca);
	tap_ok(r == -1 && C->xmm[1].l[0] == 0x00400000 && (C->mxcsr & 0x3f) == 0,
	       "mulss exact denormal result without FTZ: no flags");
	C->mxcsr = 0x1f80 | 0x8000;
	set_ps(1, 0x00800000, 0, 0, 0);
	r = RUN(0xf3, 0x0f, 0x59, 0xca);
	tap_ok(r == -1 && C->xmm[1].l[0] == 0 && (C->mxcsr & 0x3f) == 0x30,
	       "mulss with FTZ: flushed to 0, UE|PE (mxcsr %x)", C->mxcsr);
	/* DAZ: denormal + 0 */
	C->mxcsr = 0x1f80 | 0x40;
	set_ps(1, 0x00000001, 0, 0, 0);
	set_ps(2, 0, 0, 0, 0);
	r = RUN(0xf3, 0x0f, 0x58, 0xca);
	tap_ok(r == -1 && C->xmm[1].l[0] == 0 && (C->mxcsr & 0x3f) == 0,
	       "addss with DAZ: 0, no DE");
	C->mxcsr = 0x1f80;
	set_ps(1, 0x00000001, 0, 0, 0);
	r = RUN(0xf3, 0x0f, 0x58, 0xca);
	tap_ok(r == -1 && C->xmm[1].l[0] == 1 && (C->mxcsr & 0x3f) == 2, "addss without DAZ: DE");
	/* sticky: an exact operation keeps earlier flags */
	C->mxcsr = 0x1f80 | 0x20;
	set_ps(1, 0x3f800000, 0, 0, 0);
	set_ps(2, 0x3f800000, 0, 0, 0);
	r = RUN(0xf3, 0x0f, 0x58, 0xca);
	tap_ok(r == -1 && C->mxcsr == 0x1fa0, "flags are sticky");
	/* guest operations never change the host's control bits (the host
	 * flags may hold guest flags after the fast path) */
	uint32_t before = host_mxcsr();
	C->mxcsr = 0x1f80 | 0x8000 | 0x6000 | 0x40;
	r = RUN(0xf3, 0x0f, 0x5e, 0xca, 0x0f, 0x59, 0xca, 0xf2, 0x0f, 0x2d, 0xc1);
	tap_ok(r == -1 && host_mxcsr() == before, "host MXCSR preserved, guest RC/FTZ/DAZ (%x)",
	       host_mxcsr());
	C->mxcsr = 0x1f80;
	set_ps(1, 0x3f800000, 0, 0, 0);
	set_ps(2, 0x40400000, 0, 0, 0);
	r = RUN(0xf3, 0x0f, 0x5e, 0xca);
	tap_ok(r == -1 && (host_mxcsr() & ~0x3fu) == (before & ~0x3fu) && C->mxcsr == 0x1fa0,
	       "host MXCSR control preserved, default guest MXCSR (%x)", host_mxcsr());
	/* foreign host flags do not leak into the guest */
	__asm__ volatile("ldmxcsr %0" : : "m"((uint32_t){ 0x1f80 | 0x3f }));
	C->mxcsr = 0x1f80;
	set_ps(1, 0x3f800000, 0, 0, 0);
	set_ps(2, 0x3f800000, 0, 0, 0);
	r = RUN(0xf3, 0x0f, 0x58, 0xca);
	tap_ok(r == -1 && C->mxcsr == 0x1f80, "host flags are not merged into the guest (%x)",
	       C->mxcsr);
	__asm__ volatile("ldmxcsr %0" : : "m"(before));
}

static void test_xm(void)
{
	/* divss by zero with ZM clear: #XM, ZE set, destination unchanged */
	C->mxcsr = 0x1f80 & ~0x200;
	set_ps(1, 0x3f800000, 5, 6, 7);
	set_ps(2, 0, 0, 0, 0);
	int r = RUN(0xf3, 0x0f, 0x5e, 0xca);
	tap_ok(r == EXC_XM && C->xmm[1].l[0] == 0x3f800000 && C->mxcsr == (0x1d80 | 4) &&
	               C->rip == HARNESS_CODE,
	       "divss 1/0 ZM clear: #XM, dest unchanged, ZE (mxcsr %x)", C->mxcsr);
	/* masked: inf */
	C->mxcsr = 0x1f80;
	r = RUN(0xf3, 0x0f, 0x5e, 0xca);
	tap_ok(r == -1 && C->xmm[1].l[0] == 0x7f800000 && C->mxcsr == 0x1f84,
	       "divss 1/0 masked: inf, ZE");
	/* pre-computation exception hides post-computation ones */
	C->mxcsr = 0x1f80 & ~(0x200 | 0x1000);
	set_ps(1, 0x3f800000, 0x3f800000, 0, 0);
	set_ps(2, 0, 0x40400000, 0x3f800000, 0x3f800000);
	r = RUN(0x0f, 0x5e, 0xca);
	tap_ok(r == EXC_XM && (C->mxcsr & 0x3f) == 4, "divps 1/0 and 1/3: only ZE reported (%x)",
	       C->mxcsr);
	/* unmasked overflow: OE without PE for an exact biased result */
	C->mxcsr = 0x1f80 & ~0x400;
	set_ps(1, 0x7f7fffff, 0, 0, 0);
	set_ps(2, 0x7f7fffff, 0, 0, 0);
	r = RUN(0xf3, 0x0f, 0x58, 0xca);
	tap_ok(r == EXC_XM && (C->mxcsr & 0x3f) == 8, "addss max+max OM clear: OE only (%x)",
	       C->mxcsr);
	C->mxcsr = 0x1f80 & ~0x400;
	r = RUN(0xf3, 0x0f, 0x59, 0xca);
	tap_ok(r == EXC_XM && (C->mxcsr & 0x3f) == 0x28, "mulss max*max OM clear: OE|PE (%x)",
	       C->mxcsr);
	/* unmasked underflow with an exact tiny result */
	C->mxcsr = 0x1f80 & ~0x800;
	set_ps(1, 0x00800000, 0, 0, 0);
	set_ps(2, 0x3f000000, 0, 0, 0);
	r = RUN(0xf3, 0x0f, 0x59, 0xca);
	tap_ok(r == EXC_XM && (C->mxcsr & 0x3f) == 0x10, "mulss exact tiny UM clear: UE (%x)",
	       C->mxcsr);
	/* CR4.OSXMMEXCPT clear: #UD instead */
	uint64_t cr4 = C->cr4;
	C->cr4 &= ~(1ull << 10);
	C->mxcsr = 0x1f80 & ~0x200;
	set_ps(2, 0, 0, 0, 0);
	r = RUN(0xf3, 0x0f, 0x5e, 0xca);
	tap_ok(r == EXC_UD, "unmasked exception with CR4.OSXMMEXCPT clear: #UD");
	C->cr4 = cr4;
	/* comiss with QNaN, IM clear: #XM, flags unchanged; ucomiss: no fault */
	C->mxcsr = 0x1f80 & ~0x80;
	set_ps(1, 0x7fc00000, 0, 0, 0);
	r = RUN(0x0f, 0x2f, 0xca);
	tap_ok(r == EXC_XM && (C->mxcsr & 1), "comiss QNaN IM clear: #XM");
	C->mxcsr = 0x1f00;
	r = RUN(0x0f, 0x2e, 0xca);
	tap_ok(r == -1 && (cpu_get_eflags(C) & (FL_ZF | FL_PF | FL_CF)) == (FL_ZF | FL_PF | FL_CF),
	       "ucomiss QNaN IM clear: unordered, no fault");
	C->mxcsr = 0x1f80;
	set_ps(1, 0x3f800000, 0, 0, 0);
	set_ps(2, 0x40000000, 0, 0, 0);
	r = RUN(0x0f, 0x2f, 0xca);
	tap_ok(r == -1 && (cpu_get_eflags(C) & FL_ARITH) == FL_CF, "comiss 1 < 2: CF only");
}

static void test_mmx_state(void)
{
	C->ftag = 0;
	C->ftop = 5;
	C->fpr[1].x.exp = 0x1234;
	int r = RUN(0x0f, 0xfc, 0xca); /* paddb mm1, mm2 */
	tap_ok(r == -1 && C->ftag == 0xff && C->ftop == 0 && C->fpr[1].x.exp == 0xffff,
	       "MMX op: TOP=0, all tags valid, exponent all ones");
	r = RUN(0x0f, 0x77); /* emms */
	tap_ok(r == -1 && C->ftag == 0 && C->ftop == 0, "EMMS: all tags empty");
	/* a faulting MMX load changes nothing */
	C->ftop = 3;
	C->regs[R_RSI] = 0x7fff0000;
	r = RUN(0x0f, 0x6f, 0x0e); /* movq mm1, [rsi] -> #PF */
	tap_ok(r == EXC_PF && C->ftop == 3 && C->ftag == 0,
	       "faulting MMX load: x87 state unchanged");
	/* movd mm1, eax; movq2dq xmm1, mm1 */
	C->regs[R_RAX] = 0xffffffff89abcdefull;
	r = RUN(0x0f, 0x6e, 0xc8, 0xf3, 0x0f, 0xd6, 0xc9);
	tap_ok(r == -1 && C->xmm[1].q[0] == 0x89abcdef && C->xmm[1].q[1] == 0, "movd/movq2dq");
}

static void test_features(void)
{
	uint32_t save = C->features[FW_1_EDX];
	C->features[FW_1_EDX] &= ~(1u << 26);
	int r = RUN(0x66, 0x0f, 0x58, 0xca); /* addpd */
	int r2 = RUN(0x0f, 0x58, 0xca);      /* addps still there */
	tap_ok(r == EXC_UD && r2 == -1, "SSE2 off: addpd #UD, addps ok");
	C->features[FW_1_EDX] &= ~(1u << 25);
	r = RUN(0x0f, 0x58, 0xca);
	tap_ok(r == EXC_UD, "SSE off: addps #UD");
	C->features[FW_1_EDX] &= ~(1u << 23);
	r = RUN(0x0f, 0xfc, 0xca);
	tap_ok(r == EXC_UD, "MMX off: paddb mm #UD");
	C->features[FW_1_EDX] = save;
	r = RUN(0xf0, 0x0f, 0x58, 0x0e);
	tap_ok(r == EXC_UD, "LOCK addps: #UD");
}

/* glibc-style strlen inner loop in 32-bit mode: pxor, pcmpeqb, pmovmskb,
 * bsf over an aligned string. */
static void test_mode32(void)
{
	struct harness h32;
	if (harness_init(&h32, 0)) {
		tap_ok(0, "harness_init 32-bit");
		return;
	}
	struct cpu *c = &h32.cpu;
	static const char str[] = "hello, 32-bit world";
	memset(h32.mem + HARNESS_DATA, 0x55, 64);
	memcpy(h32.mem + HARNESS_DATA, str, sizeof(str));
	c->regs[R_RSI] = HARNESS_DATA;
	/* pxor xmm0,xmm0; movdqa xmm1,[esi+16]; pcmpeqb xmm1,xmm0; pmovmskb eax,xmm1;
	 * movdqu xmm2,[esi+1]; movd ecx, xmm2 */
	static const uint8_t code[] = { 0x66, 0x0f, 0xef, 0xc0, 0x66, 0x0f, 0x6f, 0x4e, 0x10,
		                        0x66, 0x0f, 0x74, 0xc8, 0x66, 0x0f, 0xd7, 0xc1, 0xf3,
		                        0x0f, 0x6f, 0x56, 0x01, 0x66, 0x0f, 0x7e, 0xd1, 0xcc };
	int r = harness_run(&h32, code, sizeof(code));
	tap_ok(r == -1 && c->regs[R_RAX] == 0x8 && (uint32_t)c->regs[R_RCX] == 0x6f6c6c65,
	       "32-bit: pcmpeqb/pmovmskb/movdqu/movd (eax=%llx ecx=%llx)",
	       (unsigned long long)c->regs[R_RAX], (unsigned long long)c->regs[R_RCX]);
	harness_fini(&h32);
}

int main(void)
{
	if (harness_init(&H, 1)) {
		printf("Bail out! harness_init\n");
		return 1;
	}
	test_alignment();
	test_rounding();
	test_xm();
	test_mmx_state();
	test_features();
	test_mode32();
	harness_fini(&H);
	return tap_done();
}
