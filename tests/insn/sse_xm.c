/*
 * Unmasked SIMD floating-point exceptions (#XM -> SIGFPE): for each
 * exception and a few combinations, the signal's si_code, the MXCSR and
 * the destination register as saved in the signal frame (the destination
 * must be unchanged), including the two-phase rule (an unmasked
 * pre-computation exception suppresses post-computation flags, SDM vol. 1
 * §11.5.2) and exact tiny results with underflow unmasked.  x86_64 only
 * (reads the 64-bit ucontext).
 */
#include "sse_common.h"

#include <ucontext.h>

static sigjmp_buf xm_jmp;
static volatile int xm_code;
static volatile uint32_t xm_mxcsr;
static v128 xm_xmm1;

static void on_fpe(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	xm_code = si->si_code;
	xm_mxcsr = uc->uc_mcontext.fpregs->mxcsr;
	memcpy(&xm_xmm1, &uc->uc_mcontext.fpregs->_xmm[1], 16);
	siglongjmp(xm_jmp, sig);
}

static v128 A, B;

/* xmm1 = A, xmm2 = B; run text under csr; print what happened. */
#define XM(name, csr, text)                                                                     \
	do {                                                                                    \
		v128 r_;                                                                        \
		uint32_t after_;                                                                \
		int sig_ = sigsetjmp(xm_jmp, 1);                                                \
		if (!sig_) {                                                                    \
			set_mxcsr(csr);                                                         \
			__asm__ volatile("movdqa %[a], %%xmm1\n\tmovdqa %[b], %%xmm2\n\t" text  \
					 "\n\tmovdqa %%xmm1, %[r]"                              \
					 : [r] "=m"(r_)                                         \
					 : [a] "m"(A), [b] "m"(B)                               \
					 : "xmm1", "xmm2", "rax", "memory", "cc");              \
			after_ = get_mxcsr();                                                   \
			set_mxcsr(0x1f80);                                                      \
			printf("%s: no signal, mxcsr %08x", name, after_);                      \
			pv(&r_);                                                                \
			printf("\n");                                                           \
		} else {                                                                        \
			set_mxcsr(0x1f80);                                                      \
			printf("%s: signal %d code %d mxcsr %08x xmm1", name, sig_, xm_code,    \
			       xm_mxcsr);                                                       \
			pv(&xm_xmm1);                                                           \
			printf("\n");                                                           \
		}                                                                               \
	} while (0)

static void set4(v128 *v, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	v->l[0] = a, v->l[1] = b, v->l[2] = c, v->l[3] = d;
}
static void set2(v128 *v, uint64_t a, uint64_t b)
{
	v->q[0] = a, v->q[1] = b;
}

#define ONE 0x3f800000
#define THREE 0x40400000
#define FMAX 0x7f7fffff
#define FDEN 0x00000001
#define QNAN 0x7fc00000
#define SNAN 0x7f800001
#define M_IM 0x0080
#define M_DM 0x0100
#define M_ZM 0x0200
#define M_OM 0x0400
#define M_UM 0x0800
#define M_PM 0x1000
#define ALLM 0x1f80

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fpe;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGFPE, &sa, NULL);

	/* one exception at a time */
	set4(&A, ONE, ONE, ONE, ONE);
	set4(&B, 0, THREE, ONE, ONE);
	XM("divss zero ZM", ALLM & ~M_ZM, "divss %%xmm2, %%xmm1");
	XM("divss zero masked", ALLM, "divss %%xmm2, %%xmm1");
	XM("divps zero+inexact ZM|PM", ALLM & ~(M_ZM | M_PM), "divps %%xmm2, %%xmm1");
	XM("divps inexact PM", ALLM & ~M_PM, "divps %%xmm2, %%xmm1");
	set4(&B, THREE, THREE, ONE, ONE);
	XM("divss inexact PM", ALLM & ~M_PM, "divss %%xmm2, %%xmm1");
	XM("divss inexact PM rc-up", (ALLM & ~M_PM) | 0x4000, "divss %%xmm2, %%xmm1");
	set4(&A, 0, ONE, ONE, ONE);
	set4(&B, 0, 0, ONE, ONE);
	XM("divps 0/0 and 1/0 ZM", ALLM & ~M_ZM, "divps %%xmm2, %%xmm1");
	XM("divps 0/0 and 1/0 IM", ALLM & ~M_IM, "divps %%xmm2, %%xmm1");
	set4(&A, FMAX, ONE, ONE, ONE);
	set4(&B, FMAX, ONE, ONE, ONE);
	XM("addps overflow OM", ALLM & ~M_OM, "addps %%xmm2, %%xmm1");
	XM("addps overflow PM", ALLM & ~M_PM, "addps %%xmm2, %%xmm1");
	XM("addps overflow masked", ALLM, "addps %%xmm2, %%xmm1");
	set4(&A, 0x00800000, ONE, ONE, ONE);
	set4(&B, 0x3f000000, ONE, ONE, ONE);
	XM("mulss exact tiny UM", ALLM & ~M_UM, "mulss %%xmm2, %%xmm1");
	XM("mulss exact tiny masked", ALLM, "mulss %%xmm2, %%xmm1");
	XM("mulss exact tiny UM+FTZ", (ALLM & ~M_UM) | 0x8000, "mulss %%xmm2, %%xmm1");
	set4(&B, 0x3eaaaaab, ONE, ONE, ONE);
	XM("mulss inexact tiny UM", ALLM & ~M_UM, "mulss %%xmm2, %%xmm1");
	XM("mulss inexact tiny FTZ", ALLM | 0x8000, "mulss %%xmm2, %%xmm1");
	XM("mulss inexact tiny PM", ALLM & ~M_PM, "mulss %%xmm2, %%xmm1");
	set4(&A, FDEN, ONE, ONE, ONE);
	set4(&B, ONE, ONE, ONE, ONE);
	XM("addss denormal DM", ALLM & ~M_DM, "addss %%xmm2, %%xmm1");
	XM("addss denormal DM+DAZ", (ALLM & ~M_DM) | 0x40, "addss %%xmm2, %%xmm1");
	XM("mulss denormal*1 UM", ALLM & ~M_UM, "mulss %%xmm2, %%xmm1");
	XM("movss denormal all unmasked", 0, "movss %%xmm2, %%xmm1");
	set4(&A, 0xbf800000, ONE, ONE, ONE);
	XM("sqrtss -1 IM", ALLM & ~M_IM, "sqrtss %%xmm1, %%xmm1");
	XM("rsqrtps -1 all unmasked", 0, "rsqrtps %%xmm1, %%xmm1");
	XM("rcpps 0 all unmasked", 0, "xorps %%xmm2, %%xmm2\n\trcpps %%xmm2, %%xmm1");
	/* NaNs */
	set4(&A, QNAN, ONE, ONE, ONE);
	set4(&B, ONE, SNAN, ONE, ONE);
	XM("addss qnan IM", ALLM & ~M_IM, "addss %%xmm2, %%xmm1");
	XM("addps snan IM", ALLM & ~M_IM, "addps %%xmm2, %%xmm1");
	XM("cmpeqps snan IM", ALLM & ~M_IM, "cmpeqps %%xmm2, %%xmm1");
	XM("cmpltss qnan IM", ALLM & ~M_IM, "cmpltss %%xmm2, %%xmm1");
	XM("cmpeqss qnan IM", ALLM & ~M_IM, "cmpeqss %%xmm2, %%xmm1");
	XM("minss qnan IM", ALLM & ~M_IM, "minss %%xmm2, %%xmm1");
	XM("maxps snan IM", ALLM & ~M_IM, "maxps %%xmm2, %%xmm1");
	XM("comiss qnan IM", ALLM & ~M_IM, "comiss %%xmm2, %%xmm1");
	XM("ucomiss qnan IM", ALLM & ~M_IM, "ucomiss %%xmm2, %%xmm1");
	XM("ucomiss snan IM", ALLM & ~M_IM, "ucomiss %%xmm1, %%xmm2");
	XM("cvttss2si qnan IM", ALLM & ~M_IM, "cvttss2si %%xmm1, %%eax");
	XM("cvtss2si 1.0 all unmasked", 0, "cvtss2si %%xmm2, %%rax");
	set4(&A, 0x3fc00000, ONE, ONE, ONE);
	XM("cvtss2si 1.5 PM", ALLM & ~M_PM, "cvtss2si %%xmm1, %%eax");
	XM("cvtps2dq 1.5 PM", ALLM & ~M_PM, "cvtps2dq %%xmm1, %%xmm1");
	XM("cvtdq2ps big PM", ALLM & ~M_PM, "mov $0x7fffffff, %%eax\n\tmovd %%eax, %%xmm2\n\tcvtdq2ps %%xmm2, %%xmm1");
	XM("cvtsi2ss big PM", ALLM & ~M_PM, "mov $0x7fffffff, %%eax\n\tcvtsi2ss %%eax, %%xmm1");
	/* doubles */
	set2(&A, 0x7fefffffffffffffull, 0x3ff0000000000000ull);
	set2(&B, 0x7fefffffffffffffull, 0x0000000000000000ull);
	XM("mulpd overflow+zero OM", ALLM & ~M_OM, "mulpd %%xmm2, %%xmm1");
	XM("divpd overflow? ZM", ALLM & ~M_ZM, "divpd %%xmm2, %%xmm1");
	XM("cvtsd2ss overflow OM", ALLM & ~M_OM, "cvtsd2ss %%xmm1, %%xmm1");
	XM("cvtpd2ps overflow OM", ALLM & ~M_OM, "cvtpd2ps %%xmm1, %%xmm1");
	set2(&A, 0x3690000000000000ull, 0x3ff0000000000000ull);
	XM("cvtsd2ss tiny UM", ALLM & ~M_UM, "cvtsd2ss %%xmm1, %%xmm1");
	XM("cvtsd2ss tiny masked", ALLM, "cvtsd2ss %%xmm1, %%xmm1");
	set2(&A, 0x36a0000000000000ull, 0x3ff0000000000000ull);
	XM("cvtsd2ss exact tiny UM", ALLM & ~M_UM, "cvtsd2ss %%xmm1, %%xmm1");
	XM("cvtsd2ss exact tiny PM", ALLM & ~M_PM, "cvtsd2ss %%xmm1, %%xmm1");
	set2(&A, 0x41e0000000000000ull, 0);
	XM("cvttsd2si 2^31 IM", ALLM & ~M_IM, "cvttsd2si %%xmm1, %%eax");
	XM("cvttsd2si 2^31 64-bit IM", ALLM & ~M_IM, "cvttsd2si %%xmm1, %%rax");
	XM("cvttpd2dq 2^31 IM", ALLM & ~M_IM, "cvttpd2dq %%xmm1, %%xmm1");
	/* sticky flags stay; a masked flag already set does not fault */
	set4(&A, ONE, ONE, ONE, ONE);
	set4(&B, THREE, ONE, ONE, ONE);
	XM("sticky ZE already set", (ALLM & ~M_ZM) | 0x4, "divss %%xmm2, %%xmm1");
	return 0;
}
