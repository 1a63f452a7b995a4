/*
 * Processes and threads: clone (threads as host pthreads sharing the
 * process's TB cache; fork-like clones as host fork), exit, exit_group and
 * execve (x86 programs of our flavour re-run under lemu).
 */
#include "user.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>


struct user_thread *user_thread_new(struct user_proc *p)
{
	struct user_thread *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->p = p;
	t->cpu.opaque = t;
	return t;
}

struct clone_start {
	struct user_thread *t;
	uint64_t flags, ptid, ctid;
	sem_t ready;
	int tid; /* the new thread's, for the parent (t may be gone by then) */
};

static void *thread_main(void *arg)
{
	struct clone_start *cs = arg;
	struct user_thread *t = cs->t;
	t->tid = (int)gettid();
	cpu_current = &t->cpu;
	int tid32 = t->tid;
	if (cs->flags & CLONE_PARENT_SETTID)
		user_copy_out(t, cs->ptid, &tid32, 4);
	if (cs->flags & CLONE_CHILD_SETTID)
		user_copy_out(t, cs->ctid, &tid32, 4);
	cs->tid = tid32;
	sem_post(&cs->ready); /* cs is gone after this */
	user_sync_host_mask(t);
	user_cpu_loop(t);
	return NULL;
}

static long clone_thread(struct user_thread *t, uint64_t flags, uint64_t newsp, uint64_t ptid,
			 uint64_t ctid, uint64_t tls)
{
	struct user_proc *p = t->p;
	struct user_thread *nt = user_thread_new(p);
	if (!nt)
		return -ENOMEM;
	/* The new vCPU starts as a copy of the parent's. */
	memcpy(&nt->cpu, &t->cpu, sizeof(nt->cpu));
	nt->cpu.opaque = nt;
	nt->cpu.exit_request = 0;
	nt->cpu.cur = NULL;
	nt->cpu.regs[R_RAX] = 0;
	if (newsp)
		nt->cpu.regs[R_RSP] = newsp;
	nt->sigmask = t->sigmask;
	memcpy(nt->tls, t->tls, sizeof(nt->tls));
	if (flags & CLONE_CHILD_CLEARTID)
		nt->clear_child_tid = ctid;
	if (flags & CLONE_SETTLS) {
		if (p->abi32) {
			extern long user_set_thread_area(struct user_thread *t, uint64_t uinfo);
			long r = user_set_thread_area(nt, tls);
			if (r) {
				free(nt);
				return r;
			}
		} else {
			cpu_set_seg_base(&nt->cpu, SEG_FS, tls);
		}
	}

	struct clone_start cs = { nt, flags, ptid, ctid };
	sem_init(&cs.ready, 0, 0);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 1 << 20);
	/* No host signal may reach the new thread before its vCPU exists. */
	uint64_t all = ~0ull, old;
	host_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&old, 8, 0, 0);
	__atomic_add_fetch(&p->nthreads, 1, __ATOMIC_SEQ_CST);
	int r = pthread_create(&nt->host, &attr, thread_main, &cs);
	host_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0, 0);
	pthread_attr_destroy(&attr);
	if (r) {
		__atomic_sub_fetch(&p->nthreads, 1, __ATOMIC_SEQ_CST);
		sem_destroy(&cs.ready);
		free(nt);
		return -r;
	}
	while (sem_wait(&cs.ready) && errno == EINTR)
		;
	sem_destroy(&cs.ready);
	return cs.tid; /* not nt->tid: the thread may already have exited */
}

static long clone_fork(struct user_thread *t, uint64_t flags, uint64_t newsp, uint64_t ptid,
		       uint64_t ctid)
{
	struct user_proc *p = t->p;
	fflush(NULL);
	pthread_mutex_lock(&p->lock);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		pthread_mutex_unlock(&p->lock);
		return -e;
	}
	if (pid == 0) {
		pthread_mutex_init(&p->lock, NULL);
		user_mem_after_fork(p);
		t->cpu.tbc = p->tbc;
		memset(t->cpu.jmp_cache, 0, sizeof(t->cpu.jmp_cache));
		p->nthreads = 1;
		t->tid = (int)gettid();
		t->pending = 0;
		int tid32 = t->tid;
		if (flags & CLONE_CHILD_SETTID)
			user_copy_out(t, ctid, &tid32, 4);
		if (flags & CLONE_CHILD_CLEARTID)
			t->clear_child_tid = ctid;
		if (newsp)
			t->cpu.regs[R_RSP] = newsp;
		if (flags & CLONE_SETTLS) {
			if (p->abi32) {
				extern long user_set_thread_area(struct user_thread *t, uint64_t uinfo);
				user_set_thread_area(t, 0);
			} else
				cpu_set_seg_base(&t->cpu, SEG_FS, 0);
		}
		return 0;
	}
	pthread_mutex_unlock(&p->lock);
	if (flags & CLONE_PARENT_SETTID) {
		int pid32 = pid;
		user_copy_out(t, ptid, &pid32, 4);
	}
	return pid;
}

/*
 * vfork and CLONE_VM|CLONE_VFORK (posix_spawn): the child is a host
 * process sharing lemu's address space, as the guest expects (posix_spawn
 * reports exec errors through shared memory), running a copy of the
 * parent's vCPU on a host stack of its own.  The kernel keeps the parent
 * thread suspended until the child execs or exits, so the child may use
 * the parent thread's TLS (cpu_current, malloc caches); the parent puts
 * cpu_current back when it resumes.  Other parent threads keep running:
 * shared structures use process-private locks, which work across the two
 * processes because they share one mm.
 */
#define VFORK_STACK (1u << 20)

struct vfork_start {
	struct user_thread *ct;
	uint64_t flags, ctid;
};

static int vfork_child_main(void *arg)
{
	struct vfork_start *vs = arg;
	struct user_thread *ct = vs->ct;
	cpu_current = &ct->cpu;
	ct->tid = (int)gettid();
	int tid32 = ct->tid;
	if (vs->flags & CLONE_CHILD_SETTID)
		user_copy_out(ct, vs->ctid, &tid32, 4);
	user_sync_host_mask(ct);
	user_cpu_loop(ct); /* ends in execve or exit */
}

static long clone_vfork(struct user_thread *t, uint64_t flags, uint64_t newsp, uint64_t ptid,
			uint64_t ctid)
{
	struct user_thread *ct = user_thread_new(t->p);
	if (!ct)
		return -ENOMEM;
	void *stack = mmap(NULL, VFORK_STACK, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		free(ct);
		return -ENOMEM;
	}
	memcpy(&ct->cpu, &t->cpu, sizeof(ct->cpu));
	ct->cpu.opaque = ct;
	ct->cpu.exit_request = 0;
	ct->cpu.cur = NULL;
	ct->cpu.regs[R_RAX] = 0;
	if (newsp)
		ct->cpu.regs[R_RSP] = newsp;
	ct->sigmask = t->sigmask;
	memcpy(ct->tls, t->tls, sizeof(ct->tls));
	ct->vfork_child = 1;
	if (flags & CLONE_CHILD_CLEARTID)
		ct->clear_child_tid = ctid;
	struct vfork_start vs = { ct, flags, ctid };
	fflush(NULL);
	/* No host signal may run lemu's handlers in the child before its
	 * vCPU is current. */
	uint64_t all = ~0ull, old;
	host_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&old, 8, 0, 0);
	int pid = clone(vfork_child_main, (char *)stack + VFORK_STACK,
			CLONE_VM | CLONE_VFORK | (int)(flags & CSIGNAL), &vs);
	int e = errno;
	cpu_current = &t->cpu; /* the child ran on this thread's TLS */
	host_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0, 0);
	/* the child's frames left redzones in the shadow of this stack */
	user_asan_fresh(stack, VFORK_STACK);
	munmap(stack, VFORK_STACK);
	free(ct);
	if (pid < 0)
		return -e;
	if (flags & CLONE_PARENT_SETTID) {
		int pid32 = pid;
		user_copy_out(t, ptid, &pid32, 4);
	}
	return pid;
}

long user_clone(struct user_thread *t, uint64_t flags, uint64_t newsp, uint64_t ptid,
		uint64_t ctid, uint64_t tls)
{
	if ((flags & (CLONE_VM | CLONE_VFORK)) == (CLONE_VM | CLONE_VFORK) &&
	    !(flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_SETTLS)))
		return clone_vfork(t, flags, newsp, ptid, ctid);
	if ((flags & CLONE_VM) && !(flags & CLONE_VFORK)) {
		const uint64_t need = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
		if ((flags & need) != need) {
			user_log(t->p, LOG_UNIMP, "lemu: clone flags %#llx not supported\n",
				 (unsigned long long)flags);
			return -EINVAL;
		}
		return clone_thread(t, flags, newsp, ptid, ctid, tls);
	}
	if (flags & (CLONE_THREAD | CLONE_SIGHAND))
		return -EINVAL;
	/* vfork and fork-like clones: a host fork.  A vfork child that got a
	 * separate stack (posix_spawn) runs on it in its own copy. */
	return clone_fork(t, flags, newsp, ptid, ctid);
}

static void clear_child_tid(struct user_thread *t)
{
	if (!t->clear_child_tid)
		return;
	int zero = 0;
	if (user_copy_out(t, t->clear_child_tid, &zero, 4) == 0)
		host_syscall(SYS_futex, (long)g2h(t->p, t->clear_child_tid), FUTEX_WAKE, 1, 0, 0, 0);
}

/*
 * The kernel's exit_robust_list() for a guest thread (Linux
 * Documentation/locking/robust-futex-ABI.rst): every futex on the thread's
 * robust list (and the one in list_op_pending) that it still owns gets
 * FUTEX_OWNER_DIED, and one waiter is woken, so that the next locker of a
 * robust mutex sees EOWNERDEAD instead of waiting forever.
 */
#define ROBUST_LIST_LIMIT 2048

static uint64_t read_uptr(struct user_thread *t, uint64_t a, int *bad)
{
	uint64_t v = 0;
	if (user_copy_in(t, &v, a, t->p->abi32 ? 4 : 8))
		*bad = 1;
	return v;
}

static void futex_owner_died(struct user_thread *t, uint64_t uaddr)
{
	if (t->p->abi32)
		uaddr &= 0xffffffffu;
	if (uaddr & 3)
		return;
	uint32_t *f = g2h(t->p, uaddr);
	uint32_t v;
	if (user_copy_in(t, &v, uaddr, 4))
		return;
	for (;;) {
		if ((v & FUTEX_TID_MASK) != (uint32_t)t->tid)
			return;
		uint32_t nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
		if (__atomic_compare_exchange_n(f, &v, nv, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			break;
	}
	if (v & FUTEX_WAITERS)
		host_syscall(SYS_futex, (long)f, FUTEX_WAKE, 1, 0, 0, 0);
}

static void exit_robust_list(struct user_thread *t)
{
	uint64_t head = t->robust_list;
	if (!head)
		return;
	int ws = t->p->abi32 ? 4 : 8, bad = 0;
	uint64_t entry = read_uptr(t, head, &bad);
	int64_t off = t->p->abi32 ? (int64_t)(int32_t)read_uptr(t, head + (uint64_t)ws, &bad)
				  : (int64_t)read_uptr(t, head + (uint64_t)ws, &bad);
	uint64_t pending = read_uptr(t, head + 2 * (uint64_t)ws, &bad);
	if (bad)
		return;
	for (int n = 0; n < ROBUST_LIST_LIMIT && (entry & ~1ull) != head; n++) {
		uint64_t e = entry & ~1ull; /* bit 0 marks PI futexes */
		uint64_t next = read_uptr(t, e, &bad);
		if (bad)
			return;
		if (e != (pending & ~1ull))
			futex_owner_died(t, e + (uint64_t)off);
		entry = next;
	}
	if (pending)
		futex_owner_died(t, (pending & ~1ull) + (uint64_t)off);
}

void user_thread_exit(struct user_thread *t, int status)
{
	exit_robust_list(t);
	struct user_proc *p = t->p;
	if (t->vfork_child)
		user_exit_group(t, status); /* the only thread of its process */
	if (__atomic_sub_fetch(&p->nthreads, 1, __ATOMIC_SEQ_CST) == 0)
		user_exit_group(t, status);
	clear_child_tid(t);
	cpu_current = NULL;
	uint64_t all = ~0ull;
	host_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, 0, 8, 0, 0);
	free(t);
	pthread_exit(NULL);
}

void user_exit_group(struct user_thread *t, int status)
{
	exit_robust_list(t); /* process-shared robust mutexes held by this thread */
	if (t->vfork_child) {
		/* shares the parent's memory: leave its stdio buffers alone */
		clear_child_tid(t);
		host_syscall(SYS_exit_group, status, 0, 0, 0, 0, 0);
	}
	if (t->p->tbc)
		tb_cache_report(t->p->tbc);
	fflush(NULL);
	host_syscall(SYS_exit_group, status, 0, 0, 0, 0, 0);
	_exit(status);
}

/* Read a guest NULL-terminated pointer array of strings. */
static char **read_strv(struct user_thread *t, uint64_t addr, long *err)
{
	int ws = t->p->abi32 ? 4 : 8;
	size_t n = 0, cap = 16;
	char **v = calloc(cap, sizeof(char *));
	if (!addr)
		return v;
	for (;;) {
		uint64_t ptr = 0;
		if (user_copy_in(t, &ptr, addr + n * (size_t)ws, (size_t)ws)) {
			*err = -EFAULT;
			goto fail;
		}
		if (!ptr)
			break;
		char buf[PATH_MAX * 32];
		long l = user_strncpy_in(t, buf, ptr, sizeof(buf));
		if (l < 0) {
			*err = l == -ENAMETOOLONG ? -E2BIG : l;
			goto fail;
		}
		if (n + 2 > cap) {
			cap *= 2;
			v = realloc(v, cap * sizeof(char *));
		}
		v[n++] = strdup(buf);
		v[n] = NULL;
	}
	return v;
fail:
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return NULL;
}

static void free_strv(char **v)
{
	if (!v)
		return;
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

/* The other user-mode emulator next to ours (lemu-i386 <-> lemu-x86_64). */
static int sibling_emulator(struct user_proc *p, const char *path, char *out, size_t sz)
{
	int arch = user_exec_arch(p, path, 0);
	const char *want = arch == 32 ? "lemu-i386" : arch == 64 ? "lemu-x86_64" : NULL;
	if (!want)
		return 0;
	const char *slash = strrchr(p->self_exe, '/');
	if (!slash)
		return 0;
	snprintf(out, sz, "%.*s/%s", (int)(slash - p->self_exe), p->self_exe, want);
	return access(out, X_OK) == 0;
}

long user_execve(struct user_thread *t, int dirfd, const char *gpath, uint64_t argv_addr,
		 uint64_t envp_addr, int flags)
{
	struct user_proc *p = t->p;
	char path[PATH_MAX];
	long err = 0;
	if (gpath[0] == 0 && (flags & AT_EMPTY_PATH))
		snprintf(path, sizeof(path), "/proc/self/fd/%d", dirfd);
	else if (gpath[0] != '/' && dirfd != AT_FDCWD) {
		char dpath[PATH_MAX], lnk[64];
		snprintf(lnk, sizeof(lnk), "/proc/self/fd/%d", dirfd);
		ssize_t n = readlink(lnk, dpath, sizeof(dpath) - 1);
		if (n < 0)
			return -EBADF;
		dpath[n] = 0;
		if (snprintf(path, sizeof(path), "%s/%s", dpath, gpath) >= (int)sizeof(path))
			return -ENAMETOOLONG;
	} else
		snprintf(path, sizeof(path), "%s", gpath);
	/* /proc/self/exe means the guest program, not lemu */
	if (!strcmp(path, "/proc/self/exe"))
		snprintf(path, sizeof(path), "%s", p->exe_path);

	char **argv = read_strv(t, argv_addr, &err);
	if (!argv)
		return err;
	char **envp = read_strv(t, envp_addr, &err);
	if (!envp) {
		free_strv(argv);
		return err;
	}
	int argc = 0;
	while (argv[argc])
		argc++;

	char sib[PATH_MAX];
	const char *emu = NULL;
	if (access(path, X_OK) == 0) {
		struct stat st;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (user_exec_is_ours(p, path))
				emu = p->self_exe;
			else if (sibling_emulator(p, path, sib, sizeof(sib)))
				emu = sib;
		}
	}
	long r;
	fflush(NULL);
	if (emu) {
		struct user_opts *o = p->opts;
		int n = 0;
		char **nv = calloc((size_t)(argc + o->reexec_argc + 8), sizeof(char *));
		nv[n++] = (char *)emu;
		for (int i = 0; i < o->reexec_argc; i++)
			nv[n++] = o->reexec_argv[i];
		nv[n++] = "-0";
		nv[n++] = argc ? argv[0] : (char *)"";
		nv[n++] = "--";
		nv[n++] = path;
		for (int i = 1; i < argc; i++)
			nv[n++] = argv[i];
		nv[n] = NULL;
		r = host_syscall(SYS_execve, (long)emu, (long)nv, (long)envp, 0, 0, 0);
		free(nv);
	} else {
		r = host_syscall(SYS_execve, (long)path, (long)argv, (long)envp, 0, 0, 0);
	}
	free_strv(argv);
	free_strv(envp);
	return r;
}
