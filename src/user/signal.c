/*
 * Guest signals.
 *
 * Host dispositions mirror the guest's: SIG_IGN and SIG_DFL are set on the
 * host as they are (so exec, SIGCHLD reaping and default termination
 * behave natively), guest handlers become lemu's host handler, which
 * records the siginfo in the thread, keeps the signal blocked on the host
 * until it is delivered, and asks the vCPU to leave its TB loop
 * (exit_request).  SIGSEGV and SIGBUS are always caught by lemu: they
 * carry guest page faults, self-modifying-code write faults and faults in
 * emulator copies from guest memory.  The host thread's signal mask
 * follows the guest's, so sigsuspend, sigtimedwait, signalfd and ppoll
 * work by passing the calls through.
 *
 * Frames follow Linux arch/x86/kernel/signal.c (rt_sigframe, ucontext,
 * sigcontext, FPU state in FXSAVE format with the FP_XSTATE magic).
 */
#include "user.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))
/* Signals lemu itself needs unblocked on the host. */
#define HOST_KEEP (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS))

struct ksigaction {
	uint64_t handler, flags, restorer, mask;
};

static long host_sigaction(int sig, const struct ksigaction *a, struct ksigaction *o)
{
	return host_syscall(SYS_rt_sigaction, sig, (long)a, (long)o, 8, 0, 0);
}

/* --- guest memory copies with fault recovery ------------------------- */

static int range_ok(struct user_proc *p, uint64_t a, size_t n)
{
	if (a + n < a)
		return 0;
	if (p->reserved && a + n > p->reserve)
		return 0;
	return 1;
}

int user_copy_in(struct user_thread *t, void *dst, uint64_t src, size_t n)
{
	if (!n)
		return 0;
	if (!range_ok(t->p, src, n))
		return -EFAULT;
	if (sigsetjmp(t->fault_jmp, 0)) {
		t->fault_active = 0;
		return -EFAULT;
	}
	t->fault_active = 1;
	memcpy(dst, g2h(t->p, src), n);
	t->fault_active = 0;
	return 0;
}

int user_copy_out(struct user_thread *t, uint64_t dst, const void *src, size_t n)
{
	if (!n)
		return 0;
	if (!range_ok(t->p, dst, n))
		return -EFAULT;
	if (sigsetjmp(t->fault_jmp, 0)) {
		t->fault_active = 0;
		return -EFAULT;
	}
	t->fault_active = 1;
	memcpy(g2h(t->p, dst), src, n);
	t->fault_active = 0;
	return 0;
}

/* Copy at most max bytes of a string; returns its length, or max if no
 * NUL was found.  Kept out of line so nothing lives across sigsetjmp. */
__attribute__((noinline)) static size_t str_copy(char *dst, const char *src, size_t max)
{
	size_t i = 0;
	for (; i < max; i++) {
		dst[i] = src[i];
		if (!src[i])
			break;
	}
	return i;
}

long user_strncpy_in(struct user_thread *t, char *buf, uint64_t src, size_t sz)
{
	if (!src || !range_ok(t->p, src, 1))
		return -EFAULT;
	const size_t max = t->p->reserved && src + sz - 1 > t->p->reserve ? t->p->reserve - src : sz - 1;
	if (sigsetjmp(t->fault_jmp, 0)) {
		t->fault_active = 0;
		return -EFAULT;
	}
	t->fault_active = 1;
	size_t n = str_copy(buf, g2h(t->p, src), max);
	t->fault_active = 0;
	buf[n] = 0;
	if (n == sz - 1)
		return -ENAMETOOLONG;
	return (long)n;
}

/* --- host handlers ---------------------------------------------------- */

static void record_signal(struct user_thread *t, int sig, const siginfo_t *si, void *puc)
{
	t->pending_info[sig] = *si;
	__atomic_or_fetch(&t->pending, SIGBIT(sig), __ATOMIC_SEQ_CST);
	t->cpu.exit_request = 1;
	user_safe_syscall_interrupt(t, sig, puc);
	/* keep it blocked until the guest handler has been set up, so that
	 * further instances stay queued in the host kernel */
	ucontext_t *uc = puc;
	((uint64_t *)&uc->uc_sigmask)[0] |= SIGBIT(sig);
}

static void host_signal_handler(int sig, siginfo_t *si, void *puc)
{
	struct cpu *c = cpu_current;
	if (!c || !c->opaque)
		return;
	record_signal(cpu_thread(c), sig, si, puc);
}

static void host_fault_handler(int sig, siginfo_t *si, void *puc)
{
	ucontext_t *uc = puc;
	struct cpu *c = cpu_current;
	struct user_thread *t = c ? cpu_thread(c) : NULL;
	if (t && si->si_code <= 0) {
		/* sent by kill()/tgkill(): an ordinary asynchronous signal */
		record_signal(t, sig, si, puc);
		return;
	}
	if (t) {
		struct user_proc *p = t->p;
		int write = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
		uintptr_t ha = (uintptr_t)si->si_addr;
		if (sig == SIGSEGV && write && ha >= p->guest_base) {
			uint64_t ga = ha - p->guest_base;
			if (user_smc_fault(p, ga)) {
				const struct insn *in = c->cur;
				/* The store is retried and now succeeds.  If the
				 * running TB is on the modified page, the insns
				 * after the store may be stale: c->tb_break makes
				 * the TB stop after this instruction, so the next
				 * one is translated again from its address.
				 * (Restarting the store itself would re-protect
				 * the page and fault forever.)  During a TB,
				 * c->rip holds the TB's end address. */
				if (in && in->next_rip != c->rip &&
				    (PAGE_DOWN(in->rip) == PAGE_DOWN(ga) ||
				     PAGE_DOWN(in->next_rip - 1) == PAGE_DOWN(ga)))
					c->tb_break = 1;
				return; /* retry the write */
			}
		}
		if (t->fault_active) {
			t->fault_active = 0;
			siglongjmp(t->fault_jmp, 1);
		}
		t->err = (uint64_t)uc->uc_mcontext.gregs[REG_ERR] | 4;
		if (c->cur && ha >= p->guest_base)
			cpu_host_fault(ha, write); /* guest access: does not return */
	}
	/* A fault in lemu itself: let it crash with the host signal. */
	static const char msg[] = "lemu: internal fault (host signal in emulator code)\n";
	if (write(2, msg, sizeof(msg) - 1) < 0) {
	}
	struct ksigaction dfl = { 0 };
	host_sigaction(sig, &dfl, NULL);
}

static void sig_host_update(struct user_proc *p, int sig)
{
	if (sig == SIGKILL || sig == SIGSTOP)
		return;
	struct ksigaction ka = { 0 };
	ka.restorer = p->host_restorer;
	ka.flags = SA_SIGINFO | TARGET_SA_RESTORER;
	if (sig == SIGSEGV || sig == SIGBUS) {
		ka.handler = (uint64_t)(uintptr_t)host_fault_handler;
		ka.flags |= SA_NODEFER | SA_ONSTACK;
	} else {
		struct guest_sigaction *g = &p->sigact[sig];
		if (g->handler == (uint64_t)(uintptr_t)SIG_IGN)
			ka.handler = (uint64_t)(uintptr_t)SIG_IGN;
		else if (g->handler == (uint64_t)(uintptr_t)SIG_DFL)
			ka.handler = (uint64_t)(uintptr_t)SIG_DFL;
		else
			ka.handler = (uint64_t)(uintptr_t)host_signal_handler;
		if (sig == SIGCHLD)
			ka.flags |= g->flags & (SA_NOCLDSTOP | SA_NOCLDWAIT);
	}
	host_sigaction(sig, &ka, NULL);
}

void user_signal_init(struct user_proc *p)
{
	/* Learn glibc's sa_restorer so raw rt_sigaction can be used for
	 * every signal (glibc refuses to touch 32 and 33). */
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = host_signal_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR2, NULL, &old);
	sigaction(SIGUSR2, &sa, NULL);
	struct ksigaction k;
	host_sigaction(SIGUSR2, NULL, &k);
	p->host_restorer = k.restorer;
	sigaction(SIGUSR2, &old, NULL);

	for (int s = 1; s <= TARGET_NSIG; s++) {
		memset(&p->sigact[s], 0, sizeof(p->sigact[s]));
		if (s == SIGKILL || s == SIGSTOP)
			continue;
		if (host_sigaction(s, NULL, &k) == 0 && k.handler == (uint64_t)(uintptr_t)SIG_IGN)
			p->sigact[s].handler = (uint64_t)(uintptr_t)SIG_IGN;
		if (s == SIGSEGV || s == SIGBUS)
			sig_host_update(p, s);
		else if (k.handler != p->sigact[s].handler)
			sig_host_update(p, s);
	}
}

void user_sync_host_mask(struct user_thread *t)
{
	uint64_t m = t->sigmask & ~(HOST_KEEP | UNBLOCKABLE);
	host_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&m, 0, 8, 0, 0);
}

void user_signal_thread_init(struct user_thread *t)
{
	uint64_t cur = 0;
	host_syscall(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&cur, 8, 0, 0);
	t->sigmask = cur & ~UNBLOCKABLE;
	cpu_current = &t->cpu;
	user_sync_host_mask(t);
}

/* --- default actions -------------------------------------------------- */

void user_die_by_signal(int sig)
{
	fflush(NULL);
	struct rlimit rl = { 0, 0 };
	setrlimit(RLIMIT_CORE, &rl);
	struct ksigaction dfl = { 0 };
	host_sigaction(sig, &dfl, NULL);
	uint64_t m = SIGBIT(sig);
	host_syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&m, 0, 8, 0, 0);
	host_syscall(SYS_tgkill, getpid(), gettid(), sig, 0, 0, 0);
	host_syscall(SYS_kill, getpid(), sig, 0, 0, 0, 0);
	_exit(128 + sig);
}

static int sig_default_ignored(int sig)
{
	return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

static int sig_default_stops(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* Syscalls Linux never restarts after a handler ran (they return EINTR
 * even with SA_RESTART): signal(7) "Interruption of system calls". */
static int sys_never_restart(struct user_thread *t, long nr)
{
	if (t->p->abi32) {
		switch (nr) {
		case 29: case 72: case 179: case 177: case 168: case 309: case 142: case 308:
		case 82: case 256: case 319: case 162: case 230: case 407: case 265: case 267:
		case 102: case 117:
			return 1;
		}
		return 0;
	}
	switch (nr) {
	case 34: case 130: case 128: case 7: case 271: case 23: case 270: case 232: case 281:
	case 441: case 35: case 230: case 65: case 220: case 208:
		return 1;
	}
	return 0;
}

static void resolve_restart(struct user_thread *t, const struct guest_sigaction *ka, int handler)
{
	if (!t->sys_interrupted)
		return;
	t->sys_interrupted = 0;
	struct cpu *c = &t->cpu;
	int restart = !handler || ((ka->flags & SA_RESTART) && !sys_never_restart(t, t->sys_nr));
	if (restart) {
		c->rip -= 2; /* both `syscall` and `int $0x80` are 2 bytes */
		c->regs[R_RAX] = (uint64_t)t->sys_nr;
	}
}

static void deliver_one(struct user_thread *t, int sig, const siginfo_t *info)
{
	struct user_proc *p = t->p;
	pthread_mutex_lock(&p->lock);
	struct guest_sigaction ka = p->sigact[sig];
	if (ka.handler > 1 && (ka.flags & SA_RESETHAND)) {
		p->sigact[sig].handler = 0;
		sig_host_update(p, sig);
	}
	pthread_mutex_unlock(&p->lock);

	user_log(p, LOG_INT, "lemu: delivering signal %d to thread %d\n", sig, t->tid);
	if (ka.handler == (uint64_t)(uintptr_t)SIG_IGN) {
		resolve_restart(t, &ka, 0);
		return;
	}
	if (ka.handler == (uint64_t)(uintptr_t)SIG_DFL) {
		resolve_restart(t, &ka, 0);
		if (sig_default_ignored(sig))
			return;
		if (sig_default_stops(sig)) {
			host_syscall(SYS_kill, getpid(), SIGSTOP, 0, 0, 0, 0);
			return;
		}
		user_die_by_signal(sig);
	}
	resolve_restart(t, &ka, 1);
	uint64_t oldmask = t->in_sigsuspend ? t->saved_mask : t->sigmask;
	t->in_sigsuspend = 0;
	int r = p->abi32 ? user_setup_frame32(t, sig, &ka, info, oldmask)
			 : user_setup_frame64(t, sig, &ka, info, oldmask);
	if (r) {
		/* could not write the frame: the kernel forces SIGSEGV */
		user_die_by_signal(SIGSEGV);
	}
	t->sigmask |= ka.mask;
	if (!(ka.flags & SA_NODEFER))
		t->sigmask |= SIGBIT(sig);
	t->sigmask &= ~UNBLOCKABLE;
}

void user_deliver_pending(struct user_thread *t)
{
	if (!t->pending) {
		if (t->sys_interrupted)
			t->sys_interrupted = 0;
		if (t->in_sigsuspend) {
			t->sigmask = t->saved_mask;
			t->in_sigsuspend = 0;
			user_sync_host_mask(t);
		}
		return;
	}
	for (int sig = 1; sig <= TARGET_NSIG; sig++) {
		uint64_t bit = SIGBIT(sig);
		if (!(t->pending & bit) || (t->sigmask & bit & ~UNBLOCKABLE))
			continue;
		siginfo_t info = t->pending_info[sig];
		__atomic_and_fetch(&t->pending, ~bit, __ATOMIC_SEQ_CST);
		deliver_one(t, sig, &info);
	}
	if (t->in_sigsuspend) {
		t->sigmask = t->saved_mask;
		t->in_sigsuspend = 0;
	}
	t->sys_interrupted = 0;
	user_sync_host_mask(t);
}

void user_force_signal(struct user_thread *t, int sig, int code, uint64_t addr)
{
	struct user_proc *p = t->p;
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.si_code = code;
	info.si_addr = (void *)(uintptr_t)addr;
	user_log(p, LOG_INT, "lemu: exception -> signal %d code %d addr 0x%llx at rip 0x%llx\n", sig,
		 code, (unsigned long long)addr, (unsigned long long)t->cpu.rip);
	pthread_mutex_lock(&p->lock);
	uint64_t h = p->sigact[sig].handler;
	pthread_mutex_unlock(&p->lock);
	if (h <= 1 || (t->sigmask & SIGBIT(sig)))
		user_die_by_signal(sig);
	deliver_one(t, sig, &info);
	user_sync_host_mask(t);
}

/* --- syscalls ------------------------------------------------------------ */

long user_rt_sigaction(struct user_thread *t, int sig, const struct guest_sigaction *act,
		       struct guest_sigaction *old)
{
	struct user_proc *p = t->p;
	if (sig < 1 || sig > TARGET_NSIG)
		return -EINVAL;
	if (act && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	if (old)
		*old = p->sigact[sig];
	if (act) {
		p->sigact[sig] = *act;
		p->sigact[sig].mask &= ~UNBLOCKABLE;
		sig_host_update(p, sig);
	}
	pthread_mutex_unlock(&p->lock);
	return 0;
}

long user_rt_sigprocmask(struct user_thread *t, int how, const uint64_t *set, uint64_t *old)
{
	if (old)
		*old = t->sigmask;
	if (!set)
		return 0;
	switch (how) {
	case SIG_BLOCK: t->sigmask |= *set; break;
	case SIG_UNBLOCK: t->sigmask &= ~*set; break;
	case SIG_SETMASK: t->sigmask = *set; break;
	default: return -EINVAL;
	}
	t->sigmask &= ~UNBLOCKABLE;
	user_sync_host_mask(t);
	return 0;
}

static int on_altstack(struct user_thread *t, uint64_t sp)
{
	return t->ss_size && sp > t->ss_sp && sp - t->ss_sp <= t->ss_size;
}

static int altstack_flags(struct user_thread *t, uint64_t sp)
{
	if (!t->ss_size)
		return SS_DISABLE;
	return on_altstack(t, sp) ? SS_ONSTACK : 0;
}

/* ss/old are guest addresses of a stack_t in the guest ABI. */
long user_sigaltstack(struct user_thread *t, uint64_t ss, uint64_t old)
{
	struct cpu *c = &t->cpu;
	uint64_t sp = c->regs[R_RSP];
	int ws = t->p->abi32 ? 4 : 8;
	if (old) {
		uint8_t buf[24] = { 0 };
		int fl = altstack_flags(t, sp);
		if (ws == 8) {
			memcpy(buf, &t->ss_sp, 8);
			memcpy(buf + 8, &fl, 4);
			memcpy(buf + 16, &t->ss_size, 8);
		} else {
			uint32_t a = (uint32_t)t->ss_sp, s = (uint32_t)t->ss_size;
			memcpy(buf, &a, 4);
			memcpy(buf + 4, &fl, 4);
			memcpy(buf + 8, &s, 4);
		}
		if (user_copy_out(t, old, buf, ws == 8 ? 24 : 12))
			return -EFAULT;
	}
	if (ss) {
		uint8_t buf[24];
		uint64_t nsp = 0, nsize = 0;
		int fl;
		if (user_copy_in(t, buf, ss, ws == 8 ? 24 : 12))
			return -EFAULT;
		if (ws == 8) {
			memcpy(&nsp, buf, 8);
			memcpy(&fl, buf + 8, 4);
			memcpy(&nsize, buf + 16, 8);
		} else {
			uint32_t a, s;
			memcpy(&a, buf, 4);
			memcpy(&fl, buf + 4, 4);
			memcpy(&s, buf + 8, 4);
			nsp = a;
			nsize = s;
		}
		if (on_altstack(t, sp))
			return -EPERM;
		fl &= ~(1 << 31); /* SS_AUTODISARM */
		if (fl != SS_DISABLE && fl != SS_ONSTACK && fl != 0)
			return -EINVAL;
		if (fl == SS_DISABLE) {
			t->ss_sp = 0;
			t->ss_size = 0;
		} else {
			if (nsize < (uint64_t)(t->p->abi32 ? 2048 : 2048))
				return -ENOMEM;
			t->ss_sp = nsp;
			t->ss_size = nsize;
		}
		t->ss_flags = fl;
	}
	return 0;
}

long user_rt_sigsuspend(struct user_thread *t, uint64_t mask)
{
	t->saved_mask = t->sigmask;
	t->in_sigsuspend = 1;
	t->sigmask = mask & ~UNBLOCKABLE;
	uint64_t m = t->sigmask & ~(HOST_KEEP | UNBLOCKABLE);
	long r = host_syscall(SYS_rt_sigsuspend, (long)&m, 8, 0, 0, 0, 0);
	return r;
}

uint64_t user_sigframe_sp(struct user_thread *t, const struct guest_sigaction *ka, uint64_t sp)
{
	if ((ka->flags & SA_ONSTACK) && t->ss_size && !on_altstack(t, sp))
		return t->ss_sp + t->ss_size;
	return sp;
}

/* --- x86_64 frame ------------------------------------------------------ */

#define FRAME64_UC 8
#define FRAME64_INFO 312
#define FRAME64_SIZE 440
#define UC_MCTX 40
#define UC_SIGMASK 296
#define FPSTATE_SIZE 576 /* FXSAVE image + XSAVE header */

static const int sc64_regs[] = { R_R8,  R_R9,  R_R10, R_R11, R_R12, R_R13, R_R14, R_R15,
				 R_RDI, R_RSI, R_RBP, R_RBX, R_RDX, R_RAX, R_RCX, R_RSP };

/* Build the FPU area: FXSAVE image with the software-reserved bytes
 * describing an XSAVE layout (x87 | SSE) and MAGIC2 after it. */
static void fpstate_build(struct cpu *c, uint8_t out[FPSTATE_SIZE + 4])
{
	memset(out, 0, FPSTATE_SIZE + 4);
	cpu_fxsave(c, out);
	uint32_t m1 = 0x46505853u /* FP_XSTATE_MAGIC1 */, ext = FPSTATE_SIZE + 4, xs = FPSTATE_SIZE;
	uint64_t xf = 3;
	memcpy(out + 464, &m1, 4);
	memcpy(out + 468, &ext, 4);
	memcpy(out + 472, &xf, 8);
	memcpy(out + 480, &xs, 4);
	memcpy(out + 512, &xf, 8); /* XSTATE_BV */
	uint32_t m2 = 0x46505845u; /* FP_XSTATE_MAGIC2 */
	memcpy(out + FPSTATE_SIZE, &m2, 4);
}

static void fpu_reset_for_handler(struct cpu *c)
{
	cpu_fpu_reset(c);
	c->mxcsr = 0x1f80;
	memset(c->xmm, 0, sizeof(c->xmm));
}

int user_setup_frame64(struct user_thread *t, int sig, const struct guest_sigaction *ka,
		       const siginfo_t *info, uint64_t oldmask)
{
	struct cpu *c = &t->cpu;
	if (!(ka->flags & TARGET_SA_RESTORER))
		return -EFAULT;
	uint64_t orig_sp = c->regs[R_RSP];
	uint64_t sp = user_sigframe_sp(t, ka, orig_sp - 128);
	sp -= FPSTATE_SIZE + 4;
	sp &= ~63ull;
	uint64_t fp_addr = sp;
	sp -= FRAME64_SIZE;
	sp = (sp & ~15ull) - 8;
	uint64_t frame = sp;

	uint8_t fp[FPSTATE_SIZE + 4];
	fpstate_build(c, fp);
	uint8_t f[FRAME64_SIZE];
	memset(f, 0, sizeof(f));
	memcpy(f, &ka->restorer, 8);
	uint8_t *uc = f + FRAME64_UC;
	uint64_t ucflags = 1 | 2 | 4; /* UC_FP_XSTATE, UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS */
	memcpy(uc, &ucflags, 8);
	int ssfl = altstack_flags(t, orig_sp);
	memcpy(uc + 16, &t->ss_sp, 8);
	memcpy(uc + 24, &ssfl, 4);
	memcpy(uc + 32, &t->ss_size, 8);
	uint8_t *sc = uc + UC_MCTX;
	for (int i = 0; i < 16; i++)
		memcpy(sc + 8 * i, &c->regs[sc64_regs[i]], 8);
	memcpy(sc + 128, &c->rip, 8);
	uint64_t efl = cpu_get_eflags(c);
	memcpy(sc + 136, &efl, 8);
	uint16_t cs = c->seg[SEG_CS].sel, gs = c->seg[SEG_GS].sel, fs = c->seg[SEG_FS].sel,
		 ss = c->seg[SEG_SS].sel;
	memcpy(sc + 144, &cs, 2);
	memcpy(sc + 146, &gs, 2);
	memcpy(sc + 148, &fs, 2);
	memcpy(sc + 150, &ss, 2);
	memcpy(sc + 152, &t->err, 8);
	memcpy(sc + 160, &t->trapno, 8);
	memcpy(sc + 168, &oldmask, 8);
	memcpy(sc + 176, &t->cr2, 8);
	memcpy(sc + 184, &fp_addr, 8);
	memcpy(uc + UC_SIGMASK, &oldmask, 8);
	memcpy(f + FRAME64_INFO, info, 128);
	if (user_copy_out(t, fp_addr, fp, sizeof(fp)) || user_copy_out(t, frame, f, sizeof(f)))
		return -EFAULT;

	c->regs[R_RDI] = (uint64_t)sig;
	c->regs[R_RSI] = frame + FRAME64_INFO;
	c->regs[R_RDX] = frame + FRAME64_UC;
	c->regs[R_RAX] = 0;
	c->regs[R_RSP] = frame;
	c->rip = ka->handler;
	cpu_set_eflags(c, 0, FL_TF | FL_DF | FL_RF | FL_AC);
	fpu_reset_for_handler(c);
	t->trapno = t->err = t->cr2 = 0;
	return 0;
}

long user_rt_sigreturn(struct user_thread *t)
{
	struct cpu *c = &t->cpu;
	uint64_t frame = c->regs[R_RSP] - 8;
	uint8_t uc[UC_SIGMASK + 8];
	if (user_copy_in(t, uc, frame + FRAME64_UC, sizeof(uc)))
		user_die_by_signal(SIGSEGV);
	const uint8_t *sc = uc + UC_MCTX;
	for (int i = 0; i < 16; i++)
		memcpy(&c->regs[sc64_regs[i]], sc + 8 * i, 8);
	memcpy(&c->rip, sc + 128, 8);
	uint64_t efl;
	memcpy(&efl, sc + 136, 8);
	cpu_set_eflags(c, (uint32_t)efl,
		       FL_AC | FL_OF | FL_DF | FL_TF | FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF | FL_RF);
	uint64_t fp_addr;
	memcpy(&fp_addr, sc + 184, 8);
	if (fp_addr) {
		uint8_t fx[512];
		if (user_copy_in(t, fx, fp_addr, sizeof(fx)))
			user_die_by_signal(SIGSEGV);
		cpu_fxrstor(c, fx);
	} else {
		fpu_reset_for_handler(c);
	}
	uint64_t mask;
	memcpy(&mask, uc + UC_SIGMASK, 8);
	t->sigmask = mask & ~UNBLOCKABLE;
	user_sync_host_mask(t);
	/* restore_altstack(): errors are ignored */
	user_sigaltstack(t, frame + FRAME64_UC + 16, 0);
	return -USER_ESIGRETURN;
}
