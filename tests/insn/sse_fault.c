/* lemu-test: m32 */
/*
 * MMX/SSE/SSE2 memory operands next to an inaccessible page: loads and
 * stores that cross into it fault (SIGSEGV at the right address) without
 * changing the destination register or writing any part of the memory;
 * accesses that end exactly at the boundary do not fault; MASKMOVDQU only
 * touches the bytes its mask selects.  Prints offsets relative to the
 * guard page, never raw addresses.
 */
#include "sse_common.h"

#include <sys/mman.h>
#include <unistd.h>

#ifdef __x86_64__
#include <ucontext.h>
#endif

static uint8_t *page; /* page[0..4095] accessible, page[4096..] not */
static volatile uintptr_t fault_addr;
static v128 fault_xmm1;
static uint64_t fault_mm1;

/* The registers at the fault come from the signal frame (64-bit only:
 * the i386 frame keeps XMM state in an extension this test skips). */
static void on_segv(int sig, siginfo_t *si, void *ucv)
{
	fault_addr = (uintptr_t)si->si_addr;
#ifdef __x86_64__
	ucontext_t *uc = ucv;
	memcpy(&fault_xmm1, &uc->uc_mcontext.fpregs->_xmm[1], 16);
	memcpy(&fault_mm1, &uc->uc_mcontext.fpregs->_st[1], 8); /* TOP = 0 */
#else
	(void)ucv;
	memset(&fault_xmm1, 0, 16);
	fault_mm1 = 0;
#endif
	siglongjmp(fault_jmp, sig);
}

static v128 R;

/* Run text with xmm1 = 0x11.., mm1 = 0x22.., %0 = pointer p; print the
 * signal and fault offset, xmm1/mm1 afterwards and the last 32 bytes of
 * the page.  %0 is rdi/edi (MASKMOVDQU's implicit operand). */
#define T(name, off, text)                                                                      \
	do {                                                                                    \
		uint8_t *p_ = page + 4096 - (off);                                              \
		memset(page + 4096 - 48, 0x5a, 48);                                             \
		v128 x_;                                                                        \
		uint64_t m_;                                                                    \
		fault_addr = 0;                                                                 \
		int sig_ = sigsetjmp(fault_jmp, 1);                                             \
		if (!sig_) {                                                                    \
			__asm__ volatile("movdqa %[r], %%xmm1\n\tpcmpeqb %%xmm2, %%xmm2\n\t"     \
					 "movq %[r], %%mm1\n\t" text                             \
					 : : "D"(p_), [r] "m"(R) : "xmm1", "xmm2", "xmm3", "mm1", "memory"); \
		}                                                                               \
		__asm__ volatile("movdqu %%xmm1, %[x]\n\tmovq %%mm1, %[m]\n\temms"              \
				 : [x] "=m"(x_), [m] "=m"(m_));                                 \
		printf("%s: ", name);                                                           \
		if (sig_ && !fault_addr)                                                        \
			printf("signal %d at 0", sig_);                                         \
		else if (sig_)                                                                  \
			printf("signal %d at page%+ld", sig_,                                   \
			       (long)(fault_addr - (uintptr_t)(page + 4096)));                  \
		else                                                                            \
			printf("ok");                                                           \
		if (sig_) {                                                                     \
			x_ = fault_xmm1;                                                        \
			m_ = fault_mm1;                                                         \
		}                                                                               \
		printf(" xmm1");                                                                \
		pv(&x_);                                                                        \
		printf(" mm1 %016llx mem ", (unsigned long long)m_);                            \
		for (int i = 4096 - 32; i < 4096; i++)                                          \
			printf("%02x", page[i]);                                                \
		printf("\n");                                                                   \
	} while (0)

int main(void)
{
	long ps = sysconf(_SC_PAGESIZE);
	page = mmap(NULL, 2 * (size_t)ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return 1;
	page += ps - 4096; /* 4096 accessible bytes before the guard */
	mprotect(page + 4096, (size_t)ps, PROT_NONE);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	R.q[0] = 0x1111111111111111ull;
	R.q[1] = 0x1212121212121212ull;

	T("movdqu load end", 16, "movdqu (%0), %%xmm1");
	T("movdqu load cross", 8, "movdqu (%0), %%xmm1");
	T("movdqu load cross 1", 15, "movdqu (%0), %%xmm1");
	T("movups store end", 16, "movups %%xmm2, (%0)");
	T("movups store cross", 12, "movups %%xmm2, (%0)");
	T("movdqa load aligned end", 16, "movdqa (%0), %%xmm1");
	T("movsd load end", 8, "movsd (%0), %%xmm1");
	T("movsd load cross", 4, "movsd (%0), %%xmm1");
	T("movss store cross", 2, "movss %%xmm2, (%0)");
	T("movhps load cross", 6, "movhps (%0), %%xmm1");
	T("movlps store cross", 7, "movlps %%xmm2, (%0)");
	T("paddb load cross", 8, "paddb (%0), %%xmm1"); /* misaligned: #GP */
	T("paddb mm load cross", 4, "paddb (%0), %%mm1");
	T("addsd load cross", 4, "addsd (%0), %%xmm1");
	T("cvtps2pd load cross", 4, "cvtps2pd (%0), %%xmm1");
	T("movq mm load cross", 4, "movq (%0), %%mm1");
	T("movq mm store cross", 4, "movq %%mm1, (%0)");
	T("movd mm load end", 4, "movd (%0), %%mm1");
	T("movd xmm store cross", 2, "movd %%xmm2, (%0)");
	T("punpcklbw mm m32 end", 4, "punpcklbw (%0), %%mm1");
	T("pinsrw m16 cross", 1, "pinsrw $1, (%0), %%xmm1");
	T("movntdq aligned end", 16, "movntdq %%xmm2, (%0)");
	T("cvtsi2sd m32 cross", 2, "cvtsi2sdl (%0), %%xmm1");
	T("comisd m64 cross", 4, "comisd (%0), %%xmm1");
	/* the mask selects only accessible bytes: still faults on this
	 * host's implementation (SDM: implementation dependent) */
	T("maskmovdqu partial", 8,
	  "pxor %%xmm2, %%xmm2\n\tpcmpeqb %%xmm3, %%xmm3\n\tpsrldq $8, %%xmm3\n\t"
	  "maskmovdqu %%xmm3, %%xmm1");
	return 0;
}
