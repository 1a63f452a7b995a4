/*
 * x86_64 system calls.  The guest ABI is the host's (same numbers, same
 * structure layouts) and in direct mode guest pointers are host pointers,
 * so most calls go straight to the host kernel.  The calls that touch
 * state lemu owns (address space, signals, threads, TLS, /proc/self, exec)
 * are emulated.
 */
#include "user.h"

#include <asm/prctl.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <unistd.h>

/* Pointer argument translation when guest_base != 0 (-B/-R on x86_64):
 * bit i set = argument i is a guest pointer. */
static unsigned ptr_args64(long nr);

static void prepare_iov(struct user_thread *t, uint64_t iov, uint64_t cnt)
{
	struct user_proc *p = t->p;
	if (cnt > 1024)
		return;
	for (uint64_t i = 0; i < cnt; i++) {
		uint64_t e[2];
		if (user_copy_in(t, e, iov + 16 * i, 16))
			return;
		user_prepare_write(p, e[0], e[1]);
	}
}

/* Make output buffers the kernel will write writable (SMC protection). */
static void prepare_outputs(struct user_thread *t, long nr, const uint64_t *a)
{
	struct user_proc *p = t->p;
	switch (nr) {
	case SYS_read:
	case SYS_pread64:
	case SYS_recvfrom:
	case SYS_getrandom:
	case SYS_getdents64:
	case SYS_readlink:
		user_prepare_write(p, a[nr == SYS_readlink ? 1 : 1], a[2]);
		break;
	case SYS_readv:
	case SYS_preadv:
	case SYS_preadv2:
		prepare_iov(t, a[1], a[2]);
		break;
	case SYS_recvmsg: {
		uint64_t mh[7];
		if (!user_copy_in(t, mh, a[1], sizeof(mh)))
			prepare_iov(t, mh[2], mh[3]);
		break;
	}
	default:
		break;
	}
}

static long sys_arch_prctl(struct user_thread *t, int code, uint64_t addr)
{
	struct cpu *c = &t->cpu;
	uint64_t v;
	switch (code) {
	case ARCH_SET_FS:
		cpu_set_seg_base(c, SEG_FS, addr);
		return 0;
	case ARCH_SET_GS:
		cpu_set_seg_base(c, SEG_GS, addr);
		return 0;
	case ARCH_GET_FS:
		v = c->seg[SEG_FS].base;
		return user_copy_out(t, addr, &v, 8);
	case ARCH_GET_GS:
		v = c->seg[SEG_GS].base;
		return user_copy_out(t, addr, &v, 8);
	case 0x1011: /* ARCH_GET_CPUID */
		return 1;
	case 0x1012: /* ARCH_SET_CPUID */
		return addr ? 0 : -ENODEV;
	default:
		return -EINVAL;
	}
}

static long sys_rt_sigaction64(struct user_thread *t, uint64_t *a)
{
	struct guest_sigaction act, old;
	if (a[3] != 8)
		return -EINVAL;
	if (a[1] && user_copy_in(t, &act, a[1], sizeof(act)))
		return -EFAULT;
	long r = user_rt_sigaction(t, (int)a[0], a[1] ? &act : NULL, a[2] ? &old : NULL);
	if (!r && a[2] && user_copy_out(t, a[2], &old, sizeof(old)))
		return -EFAULT;
	return r;
}

static long sys_rt_sigprocmask64(struct user_thread *t, uint64_t *a)
{
	uint64_t set, old;
	if (a[3] != 8)
		return -EINVAL;
	if (a[1] && user_copy_in(t, &set, a[1], 8))
		return -EFAULT;
	long r = user_rt_sigprocmask(t, (int)a[0], a[1] ? &set : NULL, &old);
	if (!r && a[2] && user_copy_out(t, a[2], &old, 8))
		return -EFAULT;
	return r;
}

static int is_rlimit_protected(int res)
{
	/* Limits that would constrain lemu itself are not applied. */
	return res == RLIMIT_AS || res == RLIMIT_DATA || res == RLIMIT_STACK;
}

long user_do_syscall64(struct user_thread *t, long nr, uint64_t a[6])
{
	struct user_proc *p = t->p;
	struct cpu *c = &t->cpu;
	char path[4096];
	long r;
	int handled;

	switch (nr) {
	case SYS_mmap:
		return (long)user_mmap(p, a[0], a[1], (int)a[2], (int)a[3], (int)a[4], a[5]);
	case SYS_munmap:
		return user_munmap(p, a[0], a[1]);
	case SYS_mprotect:
	case SYS_pkey_mprotect:
		return user_mprotect(p, a[0], a[1], (int)a[2]);
	case SYS_mremap:
		return (long)user_mremap(p, a[0], a[1], a[2], (int)a[3], a[4]);
	case SYS_brk:
		return (long)user_brk(p, a[0]);
	case SYS_shmat:
		return (long)user_shmat(p, (int)a[0], a[1], (int)a[2]);
	case SYS_shmdt:
		return user_shmdt(p, a[0]);
	case SYS_madvise:
		if (a[2] == MADV_DONTNEED || a[2] == MADV_REMOVE || a[2] == MADV_FREE)
			user_prepare_write(p, a[0], a[1]);
		break;

	case SYS_rt_sigaction:
		return sys_rt_sigaction64(t, a);
	case SYS_rt_sigprocmask:
		return sys_rt_sigprocmask64(t, a);
	case SYS_rt_sigreturn:
		return user_rt_sigreturn(t);
	case SYS_sigaltstack:
		return user_sigaltstack(t, a[0], a[1]);
	case SYS_rt_sigsuspend: {
		uint64_t m;
		if (a[1] != 8)
			return -EINVAL;
		if (user_copy_in(t, &m, a[0], 8))
			return -EFAULT;
		return user_rt_sigsuspend(t, m);
	}
	case SYS_rt_sigpending: {
		uint64_t m = 0;
		if (a[1] != 8)
			return -EINVAL;
		r = host_syscall(SYS_rt_sigpending, (long)&m, 8, 0, 0, 0, 0);
		if (r)
			return r;
		m |= t->pending;
		return user_copy_out(t, a[0], &m, 8);
	}

	case SYS_clone:
		/* x86_64 argument order: flags, newsp, parent_tid, child_tid, tls */
		return user_clone(t, a[0], a[1], a[2], a[3], a[4]);
	case SYS_fork:
		return user_clone(t, SIGCHLD, 0, 0, 0, 0);
	case SYS_vfork:
		return user_clone(t, CLONE_VFORK | CLONE_VM | SIGCHLD, 0, 0, 0, 0);
	case SYS_clone3:
		return -ENOSYS; /* glibc falls back to clone */
	case SYS_execve:
	case SYS_execveat: {
		int ex = nr == SYS_execveat;
		r = user_strncpy_in(t, path, a[ex], sizeof(path));
		if (r < 0)
			return r;
		return user_execve(t, ex ? (int)a[0] : AT_FDCWD, path, a[ex + 1], a[ex + 2],
				   ex ? (int)a[4] : 0);
	}
	case SYS_exit:
		user_thread_exit(t, (int)a[0]);
	case SYS_exit_group:
		user_exit_group(t, (int)a[0]);

	case SYS_arch_prctl:
		return sys_arch_prctl(t, (int)a[0], a[1]);
	case SYS_set_tid_address:
		t->clear_child_tid = a[0];
		return t->tid;
	case SYS_set_robust_list:
		if (a[1] != 24)
			return -EINVAL;
		t->robust_list = a[0];
		t->robust_len = a[1];
		return 0;
	case SYS_get_robust_list:
		if (a[0] && a[0] != (uint64_t)t->tid)
			return -EPERM;
		if (user_copy_out(t, a[1], &t->robust_list, 8) ||
		    user_copy_out(t, a[2], &t->robust_len, 8))
			return -EFAULT;
		return 0;
	case SYS_rseq:
	case SYS_seccomp:
	case SYS_modify_ldt:
		return -ENOSYS;
	case SYS_iopl:
	case SYS_ioperm:
	case SYS_ptrace:
		return -EPERM;
	case SYS_prctl:
		if (a[0] == PR_SET_SECCOMP)
			return -EINVAL;
		if (a[0] == PR_GET_TID_ADDRESS)
			return user_copy_out(t, a[1], &t->clear_child_tid, 8);
		break;

	case SYS_uname:
		r = host_syscall(nr, (long)g2h(p, a[0]), 0, 0, 0, 0, 0);
		if (!r && p->opts && p->opts->uname_release) {
			struct utsname *u = g2h(p, a[0]);
			snprintf(u->release, sizeof(u->release), "%s", p->opts->uname_release);
		}
		return r;

	case SYS_setrlimit:
		if (is_rlimit_protected((int)a[0]))
			return 0;
		break;
	case SYS_prlimit64:
		if (a[2] && (a[0] == 0 || a[0] == (uint64_t)getpid()) && is_rlimit_protected((int)a[1])) {
			if (a[3])
				return host_syscall(nr, (long)a[0], (long)a[1], 0, (long)g2h(p, a[3]), 0, 0);
			return 0;
		}
		break;

	case SYS_open:
	case SYS_openat:
	case SYS_openat2: {
		int at = nr != SYS_open;
		r = user_strncpy_in(t, path, a[at], sizeof(path));
		if (r < 0)
			return r;
		int flags = nr == SYS_openat2 ? 0 : (int)a[at + 1];
		if (nr == SYS_openat2) {
			uint64_t how[3] = { 0 };
			if (user_copy_in(t, how, a[2], 8))
				return -EFAULT;
			flags = (int)how[0];
		}
		r = user_open_special(t, at ? (int)a[0] : AT_FDCWD, path, flags,
				      nr == SYS_openat2 ? 0 : (int)a[at + 2], &handled);
		if (handled)
			return r;
		break;
	}
	case SYS_readlink:
	case SYS_readlinkat: {
		int at = nr == SYS_readlinkat;
		r = user_strncpy_in(t, path, a[at], sizeof(path));
		if (r < 0)
			return r;
		char out[4096];
		size_t sz = a[at + 2] < sizeof(out) ? a[at + 2] : sizeof(out);
		r = user_readlink_special(t, at ? (int)a[0] : AT_FDCWD, path, out, sz, &handled);
		if (handled) {
			if (r > 0 && user_copy_out(t, a[at + 1], out, (size_t)r))
				return -EFAULT;
			return r;
		}
		break;
	}
	default:
		break;
	}

	if (nr < 0 || nr > 462 || !strace_name(0, nr)) {
		user_log(p, LOG_UNIMP, "Unsupported syscall: %ld\n", nr);
		return -ENOSYS;
	}
	(void)c;
	prepare_outputs(t, nr, a);
	uint64_t h[6];
	memcpy(h, a, sizeof(h));
	if (p->guest_base) {
		unsigned m = ptr_args64(nr);
		for (int i = 0; i < 6; i++)
			if ((m >> i) & 1 && h[i])
				h[i] += p->guest_base;
	}
	return user_host_syscall_blocking(t, nr, (long)h[0], (long)h[1], (long)h[2], (long)h[3],
					  (long)h[4], (long)h[5]);
}

void user_syscall64(struct user_thread *t)
{
	struct cpu *c = &t->cpu;
	struct user_proc *p = t->p;
	long nr = (long)c->regs[R_RAX];
	uint64_t a[6] = { c->regs[R_RDI], c->regs[R_RSI], c->regs[R_RDX],
			  c->regs[R_R10], c->regs[R_R8],  c->regs[R_R9] };
	/* SYSCALL leaves the return address in rcx and rflags in r11. */
	c->regs[R_RCX] = c->rip;
	c->regs[R_R11] = cpu_get_eflags(c) & ~(uint64_t)FL_RF;
	if (p->log_mask & LOG_STRACE)
		strace_enter(t, nr, a);
	user_syscall_finish(t, nr, user_do_syscall64(t, nr, a), ~0ull);
}

void user_syscall_finish(struct user_thread *t, long nr, long r, uint64_t rax_mask)
{
	struct cpu *c = &t->cpu;
	struct user_proc *p = t->p;
	if (r == -USER_ERESTART_PRE) {
		/* a signal to deliver first: back to the SYSCALL or INT 0x80
		 * (both 2 bytes), RAX intact */
		c->rip -= 2;
		return;
	}
	if (r != -USER_ESIGRETURN) {
		if (r == -EINTR && t->pending) {
			t->sys_interrupted = 1;
			t->sys_nr = nr;
		}
		c->regs[R_RAX] = (uint64_t)r & rax_mask;
	}
	if (p->log_mask & LOG_STRACE)
		strace_exit(t, nr, r);
}

/* Arguments that are plain guest pointers, for guest_base != 0.  Nested
 * pointers (iovec, msghdr) are not translated: -B on x86_64 is meant for
 * testing the address-space layout, not for general use. */
static unsigned ptr_args64(long nr)
{
	switch (nr) {
	case SYS_read: case SYS_write: case SYS_pread64: case SYS_pwrite64:
	case SYS_fstat: case SYS_getdents64: case SYS_getdents: case SYS_getrandom:
	case SYS_fstatfs: case SYS_ioctl:
		return 2;
	case SYS_stat: case SYS_lstat: case SYS_statfs: case SYS_access: case SYS_chdir:
	case SYS_mkdir: case SYS_rmdir: case SYS_unlink: case SYS_chmod: case SYS_chown:
	case SYS_lchown: case SYS_truncate: case SYS_creat: case SYS_acct: case SYS_chroot:
		return 3;
	case SYS_rename: case SYS_link: case SYS_symlink:
		return 3;
	case SYS_newfstatat: case SYS_mkdirat: case SYS_unlinkat: case SYS_fchmodat:
	case SYS_fchownat: case SYS_faccessat: case SYS_faccessat2: case SYS_mknodat:
		return 6;
	case SYS_statx:
		return 2 | 16;
	case SYS_renameat: case SYS_renameat2: case SYS_linkat:
		return 2 | 8;
	case SYS_symlinkat:
		return 1 | 4;
	case SYS_utimensat:
		return 2 | 4;
	case SYS_getcwd: case SYS_pipe: case SYS_uname: case SYS_sysinfo: case SYS_times:
	case SYS_time: case SYS_set_tid_address:
		return 1;
	case SYS_pipe2: case SYS_gettimeofday: case SYS_nanosleep:
		return 1 | 2;
	case SYS_clock_gettime: case SYS_clock_getres: case SYS_getrlimit: case SYS_setrlimit:
	case SYS_getrusage:
		return 2;
	case SYS_clock_nanosleep:
		return 4 | 8;
	case SYS_wait4:
		return 2 | 8;
	case SYS_poll:
		return 1;
	case SYS_futex:
		return 1 | 8 | 16;
	case SYS_connect: case SYS_bind: case SYS_sendto:
		return 2 | 16;
	case SYS_accept: case SYS_accept4: case SYS_getsockname: case SYS_getpeername:
		return 2 | 4;
	case SYS_recvfrom:
		return 2 | 16 | 32;
	case SYS_socketpair:
		return 8;
	case SYS_getsockopt:
		return 8 | 16;
	case SYS_setsockopt:
		return 8;
	case SYS_epoll_ctl:
		return 8;
	case SYS_epoll_wait: case SYS_epoll_pwait:
		return 2;
	case SYS_prlimit64:
		return 4 | 8;
	case SYS_sched_getaffinity: case SYS_sched_setaffinity:
		return 4;
	default:
		return 0;
	}
}
