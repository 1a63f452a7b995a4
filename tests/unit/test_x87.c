/*
 * Directed tests of the x87 unit and the state-save instructions on the
 * CPU core (unit harness): stack push/pop and tags, one case per operation
 * family, compares and FCOMI flags, FXAM classes, FNSTENV/FLDENV and
 * FNSAVE/FRSTOR (32- and 16-bit forms), FXSAVE/FXRSTOR and XSAVE/XRSTOR
 * round trips, #GP on misaligned areas and reserved MXCSR/header bits,
 * XGETBV/XSETBV, #MF delivered on the next waiting instruction when an
 * exception is unmasked, and the signal-frame helpers.  The snippets are
 * assembled by GAS into .rodata; data lives at HARNESS_DATA.
 * (tests/unit/test_x87_diff.c compares every D8-DF encoding with the host.)
 */
#include "harness.h"
#include "cpu/x86/fpu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define D "0x100000"
#define SNIP(name, text)                                                             \
	extern const uint8_t name[], name##_end[];                                   \
	__asm__(".pushsection .rodata\n" #name ":\n" text "\nint3\n" #name "_end:\n" \
		".popsection\n");
#define SNIP32(name, text)                                                           \
	extern const uint8_t name[], name##_end[];                                   \
	__asm__(".pushsection .rodata\n.code32\n" #name ":\n" text "\nint3\n" #name  \
		"_end:\n.code64\n.popsection\n");
#define RUN(h, name) harness_run(h, name, (size_t)(name##_end - name))

static struct harness h;
static struct cpu *c;

static long double st(unsigned i)
{
	return fpu_st(c, i)->ld;
}
static int is_pi(long double v)
{
	union fpreg r;
	memset(&r, 0, sizeof(r));
	r.ld = v;
	return r.x.mant == 0xc90fdaa22168c235ull && r.x.exp == 0x4000;
}
static uint8_t *dat(unsigned off)
{
	return h.mem + 0x100000 + off;
}

SNIP(s_push, "fninit; fld1; fldz; fldpi")
SNIP(s_pop, "fstp %st(0); fstp %st(0)")
SNIP(s_arith, "fninit; fld1; fld1; faddp; fld1; fadd %st(1), %st; fmul %st(0), %st;"
	      "fsub %st(1), %st; fdiv %st(1), %st; fsqrt")
SNIP(s_mem, "fninit; flds " D "; faddl " D "+8; fimull " D "+16; fstpl " D "+24;"
	    "filds " D "+32; fistpl " D "+40; fbld " D "+48; fbstp " D "+64")
SNIP(s_fcomi, "fninit; fld1; fldz; fcomi %st(1), %st; setb %al; sete %bl; setp %cl; fucomip %st(1), %st")
SNIP(s_fcom, "fninit; fld1; fldpi; fcom %st(1); fnstsw %ax; fcompp")
SNIP(s_xam, "fninit; fldt " D "; fxam; fnstsw %ax")
SNIP(s_env, "fninit; fld1; fldpi; fldcw " D "+200; fnstenv " D "; fninit; fldenv " D "; fnstsw %ax")
SNIP(s_save, "fninit; fld1; fldpi; fnsave " D "; fnstsw %ax; mov %eax, %ebx; frstor " D "; fnstsw %ax")
SNIP(s_save16, "fninit; fld1; fldpi; data16 fnsave " D "; data16 frstor " D "; fnstsw %ax")
SNIP32(s_env32_16, "fninit; fldl2e; data16 fnstenv " D "; fninit; data16 fldenv " D "; fnstsw %ax")
SNIP(s_fxsave, "fninit; fld1; fldpi; movq $5, %rax; movq %rax, %xmm3; fxsave64 " D ";"
	       "fninit; pxor %xmm3, %xmm3; fxrstor64 " D "; movq %xmm3, %rbx")
SNIP(s_fxsave_mis, "fxsave " D "+8")
SNIP(s_fxrstor_mx, "fxsave " D "; movl $0x10000, " D "+24; fxrstor " D)
SNIP(s_ldmxcsr_bad, "movl $0x10000, " D "; ldmxcsr " D)
SNIP(s_ldmxcsr, "movl $0x7f80, " D "; ldmxcsr " D "; stmxcsr " D "+4")
SNIP(s_xsave, "fninit; fld1; xor %edx, %edx; mov $3, %eax; xsave " D "; fninit; xrstor " D ";"
	      "fnstsw %ax")
SNIP(s_xrstor_init, "fld1; xor %edx, %edx; mov $3, %eax; movq $0, " D "+512; xrstor " D)
SNIP(s_xrstor_bad, "xor %edx, %edx; mov $3, %eax; movq $4, " D "+512; xrstor " D)
SNIP(s_xrstor_bad2, "xor %edx, %edx; mov $3, %eax; movq $0, " D "+512; movq $1, " D "+520; xrstor " D)
SNIP(s_xsave_mis, "xor %edx, %edx; mov $3, %eax; xsave " D "+16")
SNIP(s_xgetbv, "xor %ecx, %ecx; xgetbv")
SNIP(s_xgetbv1, "mov $1, %ecx; xgetbv")
SNIP(s_xsetbv, "xor %ecx, %ecx; xor %edx, %edx; mov $3, %eax; xsetbv")
SNIP(s_mf, "fninit; fldcw " D "; fldz; fld1; fdivp; fnstsw %ax; nop; fwait")
SNIP(s_mf2, "fninit; fldcw " D "; fldz; fld1; fdivp; fnclex; fld1; fwait")
SNIP(s_under, "fninit; fadd %st(1), %st; fnstsw %ax")
SNIP(s_over, "fninit; fld1; fld1; fld1; fld1; fld1; fld1; fld1; fld1; fld1; fnstsw %ax")
SNIP(s_fcmov, "fninit; fld1; fldz; stc; fcmovb %st(1), %st")
SNIP(s_trans, "fninit; fldpi; fsin; fldpi; fcos; fld1; fpatan; fld1; fld1; fyl2x")
SNIP(s_trig_range, "fninit; fldt " D "; fsin; fnstsw %ax")

int main(void)
{
	if (harness_init(&h, 1)) {
		printf("Bail out! harness_init\n");
		return 1;
	}
	c = &h.cpu;
	int r;

	/* stack push/pop */
	r = RUN(&h, s_push);
	tap_ok(r == -1 && c->ftop == 5 && c->ftag == 0xe0 && is_pi(st(0)) &&
	       st(1) == 0 && st(2) == 1, "push: TOP=5, three valid tags, values (top=%u tag=%02x)",
	       c->ftop, c->ftag);
	r = RUN(&h, s_pop);
	tap_ok(r == -1 && c->ftop == 7 && c->ftag == 0x80 && st(0) == 1, "pop: TOP=7, tag=%02x", c->ftag);

	/* arithmetic */
	r = RUN(&h, s_arith);
	tap_ok(r == -1 && st(0) == sqrtl(3.5L) && st(1) == 2.0L && c->ftop == 6,
	       "fadd/faddp/fmul/fsub/fdiv/fsqrt: sqrt(((1+2)^2-2)/2) = %Lg", st(0));

	/* memory operands of every format */
	float f = 1.5f;
	double d = 2.25;
	int32_t i32 = 4;
	int16_t i16 = -1234;
	memcpy(dat(0), &f, 4);
	memcpy(dat(8), &d, 8);
	memcpy(dat(16), &i32, 4);
	memcpy(dat(32), &i16, 2);
	static const uint8_t bcd[10] = { 0x89, 0x67, 0x45, 0x23, 0x01, 0, 0, 0, 0, 0x80 };
	memcpy(dat(48), bcd, 10);
	r = RUN(&h, s_mem);
	double out;
	int32_t iout;
	memcpy(&out, dat(24), 8);
	memcpy(&iout, dat(40), 4);
	tap_ok(r == -1 && out == 15.0 && iout == -1234 && !memcmp(dat(64), bcd, 10) && c->ftop == 0,
	       "flds/faddl/fimull/fstpl=%g filds/fistpl=%d fbld/fbstp round trip", out, iout);

	/* compares */
	c->regs[R_RAX] = c->regs[R_RBX] = c->regs[R_RCX] = 0;
	r = RUN(&h, s_fcomi);
	tap_ok(r == -1 && (c->regs[R_RAX] & 0xff) == 1 && (c->regs[R_RBX] & 0xff) == 0 &&
	       (c->regs[R_RCX] & 0xff) == 0 && c->ftop == 7,
	       "fcomi 0 vs 1: CF=1 ZF=0 PF=0; fucomip pops");
	r = RUN(&h, s_fcom);
	tap_ok(r == -1 && (c->regs[R_RAX] & 0x4500) == 0 && c->ftop == 0 && c->ftag == 0,
	       "fcom pi vs 1: C3=C2=C0=0 (sw=%04x); fcompp pops twice", (unsigned)(c->regs[R_RAX] & 0xffff));
	static const struct { uint64_t m; uint16_t e; uint16_t cc; } xam[] = {
		{ 1ull << 63, 0x3fff, 0x0400 }, { 0, 0, 0x4000 }, { 1ull << 63, 0x7fff, 0x0500 },
		{ 3ull << 62, 0xffff, 0x0300 }, { 1, 0, 0x4400 }, { 1ull << 62, 0x3fff, 0x0000 },
	};
	for (unsigned i = 0; i < 6; i++) {
		memcpy(dat(0), &xam[i].m, 8);
		memcpy(dat(8), &xam[i].e, 2);
		r = RUN(&h, s_xam);
		tap_ok(r == -1 && (c->regs[R_RAX] & 0x4700) == xam[i].cc, "fxam class %u: sw=%04x", i,
		       (unsigned)(c->regs[R_RAX] & 0xffff));
	}

	/* environment */
	uint16_t cw = 0x0b7f;
	memcpy(dat(200), &cw, 2);
	r = RUN(&h, s_env);
	uint32_t env[7];
	memcpy(env, dat(0), 28);
	tap_ok(r == -1 && (env[0] & 0xffff) == 0x0b7f && (env[1] & 0x3800) == 0x3000 &&
	       (env[2] & 0xffff) == 0x0fff && c->fcw == 0x0b7f && c->ftop == 6 && c->ftag == 0xc0 &&
	       is_pi(st(0)),
	       "fnstenv (28 bytes: cw=%04x sw=%04x tw=%04x) / fldenv", env[0] & 0xffff, env[1] & 0xffff,
	       env[2] & 0xffff);
	r = RUN(&h, s_save);
	tap_ok(r == -1 && (c->regs[R_RBX] & 0x3800) == 0 && c->ftop == 6 && st(1) == 1 &&
	       is_pi(st(0)) && !memcmp(dat(28), fpu_st(c, 0)->raw, 10),
	       "fnsave (108 bytes, then FNINIT) / frstor");
	r = RUN(&h, s_save16);
	tap_ok(r == -1 && c->ftop == 6 && st(1) == 1 && !memcmp(dat(14), fpu_st(c, 0)->raw, 10) &&
	       !memcmp(dat(24), fpu_st(c, 1)->raw, 10), "fnsave/frstor 94-byte (16-bit operand size) form");

	/* FXSAVE / FXRSTOR */
	r = RUN(&h, s_fxsave);
	uint16_t fsw;
	memcpy(&fsw, dat(2), 2);
	tap_ok(r == -1 && c->regs[R_RBX] == 5 && c->ftop == 6 && is_pi(st(0)) &&
	       dat(4)[0] == 0xc0 && (fsw & 0x3800) == 0x3000,
	       "fxsave64/fxrstor64 round trip (tag byte %02x, xmm3 restored)", dat(4)[0]);
	r = RUN(&h, s_fxsave_mis);
	tap_ok(r == EXC_GP, "fxsave misaligned -> #GP (r=%d)", r);
	r = RUN(&h, s_fxrstor_mx);
	tap_ok(r == EXC_GP, "fxrstor with reserved MXCSR bits -> #GP");
	r = RUN(&h, s_ldmxcsr_bad);
	tap_ok(r == EXC_GP, "ldmxcsr with reserved bits -> #GP");
	r = RUN(&h, s_ldmxcsr);
	uint32_t mx;
	memcpy(&mx, dat(4), 4);
	tap_ok(r == -1 && c->mxcsr == 0x7f80 && mx == 0x7f80, "ldmxcsr/stmxcsr");
	c->mxcsr = 0x1f80;

	/* XSAVE / XRSTOR */
	memset(dat(0), 0, 1024);
	r = RUN(&h, s_xsave);
	uint64_t bv;
	memcpy(&bv, dat(512), 8);
	tap_ok(r == -1 && (bv & 1) && c->ftop == 7 && st(0) == 1, "xsave/xrstor round trip (XSTATE_BV=%llx)",
	       (unsigned long long)bv);
	r = RUN(&h, s_xrstor_init);
	tap_ok(r == -1 && c->ftop == 0 && c->ftag == 0 && c->fcw == 0x37f && fpu_st(c, 7)->ld == 0,
	       "xrstor with XSTATE_BV[0]=0 initialises the x87 state");
	r = RUN(&h, s_xrstor_bad);
	tap_ok(r == EXC_GP, "xrstor with XSTATE_BV outside XCR0 -> #GP");
	r = RUN(&h, s_xrstor_bad2);
	tap_ok(r == EXC_GP, "xrstor with XCOMP_BV != 0 -> #GP");
	r = RUN(&h, s_xsave_mis);
	tap_ok(r == EXC_GP, "xsave misaligned (not 64) -> #GP");
	r = RUN(&h, s_xgetbv);
	tap_ok(r == -1 && (uint32_t)c->regs[R_RAX] == 3 && (uint32_t)c->regs[R_RDX] == 0, "xgetbv(0) = 3");
	r = RUN(&h, s_xgetbv1);
	tap_ok(r == EXC_GP, "xgetbv(1) -> #GP (not advertised)");
	r = RUN(&h, s_xsetbv);
	tap_ok(r == EXC_GP, "xsetbv at CPL 3 -> #GP");

	/* #MF */
	cw = 0x037b; /* ZE unmasked */
	memcpy(dat(0), &cw, 2);
	r = RUN(&h, s_mf);
	tap_ok(r == EXC_MF && c->rip == (uint64_t)HARNESS_CODE + (uint64_t)(s_mf_end - s_mf) - 2 &&
	       (c->regs[R_RAX] & 0x8084) == 0x8084 && c->ftop == 6,
	       "unmasked #Z: ES|B set, no pop, #MF on the next waiting insn (rip=%llx)",
	       (unsigned long long)c->rip);
	r = RUN(&h, s_mf2);
	tap_ok(r == -1, "fnclex clears the pending exception");

	/* stack faults */
	r = RUN(&h, s_under);
	tap_ok(r == -1 && (c->regs[R_RAX] & 0x0241) == 0x0041 && fpu_st(c, 0)->x.exp == 0xffff &&
	       fpu_st(c, 0)->x.mant == 0xc000000000000000ull, "underflow: IE|SF, C1=0, indefinite");
	r = RUN(&h, s_over);
	tap_ok(r == -1 && (c->regs[R_RAX] & 0x0241) == 0x0241 && fpu_st(c, 0)->x.exp == 0xffff,
	       "overflow: IE|SF, C1=1, indefinite");

	r = RUN(&h, s_fcmov);
	tap_ok(r == -1 && st(0) == 1, "fcmovb taken");
	r = RUN(&h, s_trans);
	tap_ok(r == -1 && c->ftop == 5 && st(0) == 0 && fabsl(st(1) + atanl(1)) < 1e-18L &&
	       fabsl(st(2)) < 1e-18L, "fsin(pi)/fcos/fpatan(-1,1)/fyl2x(1,1)");
	uint64_t big = 1ull << 63;
	uint16_t bige = 0x403e;
	memcpy(dat(0), &big, 8);
	memcpy(dat(8), &bige, 2);
	r = RUN(&h, s_trig_range);
	tap_ok(r == -1 && (c->regs[R_RAX] & 0x0400) && st(0) == 0x1p63L, "fsin 2^63: C2=1, unchanged");

	/* Signal-frame helpers */
	uint8_t img[XSAVE_SIZE], img2[XSAVE_SIZE];
	memset(img, 0, sizeof(img));
	RUN(&h, s_push);
	cpu_xsave_image(c, img, 3);
	struct cpu saved = *c;
	cpu_fpu_reset(c);
	tap_ok(cpu_xrstor_image(c, img, 3) == 0 && c->ftop == saved.ftop && c->ftag == saved.ftag &&
	       !memcmp(c->fpr, saved.fpr, sizeof(c->fpr)), "cpu_xsave_image/cpu_xrstor_image round trip");
	memcpy(img2, img, sizeof(img));
	img2[520] = 1;
	tap_ok(cpu_xrstor_image(c, img2, 3) == -1, "cpu_xrstor_image rejects a bad header");
	cpu_fxsave(c, img);
	cpu_fpu_reset(c);
	cpu_fxrstor(c, img);
	tap_ok(c->ftop == saved.ftop && c->ftag == saved.ftag && !memcmp(c->fpr, saved.fpr, sizeof(c->fpr)),
	       "cpu_fxsave/cpu_fxrstor round trip");
	harness_fini(&h);

	/* 32-bit mode: the 14-byte environment (66 prefix) */
	if (harness_init(&h, 0)) {
		printf("Bail out! harness_init 32\n");
		return 1;
	}
	c = &h.cpu;
	r = RUN(&h, s_env32_16);
	uint16_t e16[7];
	memcpy(e16, dat(0), 14);
	tap_ok(r == -1 && e16[0] == 0x037f && (e16[1] & 0x3800) == 0x3800 && e16[2] == 0x3fff &&
	       e16[3] == (uint16_t)(HARNESS_CODE + 2) && c->ftop == 7 && c->ftag == 0x80,
	       "32-bit: data16 fnstenv (14 bytes, fip=%04x) / fldenv", e16[3]);
	harness_fini(&h);
	return tap_done();
}
