/*
 * The per-thread CPU loop: run guest code, turn exits into system calls
 * and exceptions into the signals Linux sends for them
 * (arch/x86/kernel/traps.c, fault.c).
 */
#include "user.h"

#include <signal.h>

/* si_code for #MF/#XM from the unmasked exception bits, as Linux
 * fpu__exception_code() does. */
static int fpe_code(unsigned status)
{
	if (status & 0x001)
		return FPE_FLTINV;
	if (status & 0x004)
		return FPE_FLTDIV;
	if (status & 0x008)
		return FPE_FLTOVF;
	if (status & 0x012)
		return FPE_FLTUND;
	if (status & 0x020)
		return FPE_FLTRES;
	return 0;
}

static void handle_exception(struct user_thread *t)
{
	struct cpu *c = &t->cpu;
	struct user_proc *p = t->p;
	int vec = c->exc_vector;
	t->trapno = (uint64_t)vec;
	t->cr2 = 0;
	user_log(p, LOG_INT, "lemu: exception %d err %#x at rip 0x%llx\n", vec, c->exc_error,
		 (unsigned long long)c->rip);
	switch (vec) {
	case EXC_PF: {
		uint64_t a = c->exc_addr;
		pthread_mutex_lock(&p->lock);
		struct vma *v = vma_map_find(&p->map, a);
		int mapped = v != NULL;
		pthread_mutex_unlock(&p->lock);
		t->cr2 = a;
		t->err = (uint64_t)(c->exc_write ? 2 : 0) | 4 | (mapped ? 1 : 0);
		user_force_signal(t, SIGSEGV, mapped ? SEGV_ACCERR : SEGV_MAPERR, a);
		break;
	}
	case EXC_UD:
		t->err = 0;
		user_force_signal(t, SIGILL, ILL_ILLOPN, c->rip);
		break;
	case EXC_DE:
		t->err = 0;
		user_force_signal(t, SIGFPE, FPE_INTDIV, c->rip);
		break;
	case EXC_MF:
		t->err = 0;
		user_force_signal(t, SIGFPE, fpe_code((c->fsw & 0x7f) & ~(c->fcw & 0x3f)), c->rip);
		break;
	case EXC_XM:
		t->err = 0;
		user_force_signal(t, SIGFPE, fpe_code((c->mxcsr & 0x3f) & ~((c->mxcsr >> 7) & 0x3f)),
				  c->rip);
		break;
	case EXC_BP:
		t->err = 0;
		user_force_signal(t, SIGTRAP, SI_KERNEL, 0);
		break;
	case EXC_DB:
		/* Linux: TRAP_TRACE for a single step (DR6.BS), TRAP_HWBKPT for
		 * DR0-3 hits, TRAP_BRKPT otherwise; si_addr is the saved IP. */
		t->err = 0;
		user_force_signal(t, SIGTRAP,
		                  (c->dr[6] & 0x4000) ? TRAP_TRACE :
		                  (c->dr[6] & 0xf)    ? TRAP_HWBKPT :
		                                        TRAP_BRKPT,
		                  c->rip);
		break;
	case EXC_AC:
		t->err = c->exc_error;
		user_force_signal(t, SIGBUS, BUS_ADRALN, 0);
		break;
	case EXC_SS:
		t->err = c->exc_error;
		user_force_signal(t, SIGBUS, SI_KERNEL, 0);
		break;
	case EXC_NM:
	case EXC_GP:
	case EXC_NP:
	case EXC_TS:
	case EXC_BR:
	case EXC_OF:
	default:
		t->err = c->exc_error;
		user_force_signal(t, SIGSEGV, SI_KERNEL, 0);
		break;
	}
}

int user_cpu_loop(struct user_thread *t)
{
	struct cpu *c = &t->cpu;
	struct user_proc *p = t->p;
	for (;;) {
		int r = cpu_exec(c);
		switch (r) {
		case EXIT_SYSCALL:
			if (p->abi32) {
				/* SYSCALL in compatibility mode: #UD on Intel */
				c->rip -= 2;
				c->exc_vector = EXC_UD;
				handle_exception(t);
			} else
				user_syscall64(t);
			break;
		case EXIT_INT:
			if (c->exc_vector == 0x80 && p->abi32) {
				user_syscall32(t);
			} else if (c->exc_vector == EXC_BP) {
				t->trapno = EXC_BP;
				t->err = 0;
				user_force_signal(t, SIGTRAP, SI_KERNEL, 0);
			} else if (c->exc_vector == EXC_OF) {
				t->trapno = EXC_OF;
				t->err = 0;
				user_force_signal(t, SIGSEGV, SI_KERNEL, 0);
			} else {
				/* INT n through a DPL0 gate: #GP(vector*8+2),
				 * reported at the INT instruction. */
				t->trapno = EXC_GP;
				t->err = (uint64_t)c->exc_vector * 8 + 2;
				c->rip -= 2;
				user_force_signal(t, SIGSEGV, SI_KERNEL, 0);
			}
			break;
		case EXIT_EXCEPTION:
			handle_exception(t);
			break;
		case EXIT_HLT:
			t->trapno = EXC_GP;
			t->err = 0;
			user_force_signal(t, SIGSEGV, SI_KERNEL, 0);
			break;
		case EXIT_REQUEST:
		default:
			break;
		}
		user_deliver_pending(t);
	}
}
