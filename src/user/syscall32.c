/*
 * i386 system calls (int $0x80: number in eax, arguments in ebx, ecx,
 * edx, esi, edi, ebp).  Calls whose arguments are only integers and
 * pointers to layouts shared with x86_64 go to the host through a table
 * (i386 number -> x86_64 number + argument kinds); the calls lemu
 * emulates or whose structures differ (32-bit longs, time_t, pointers)
 * are converted in syscall32_conv.c and syscall32_net.c.
 */
#include "user.h"
#include "syscall32.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

/* Argument kinds: p = guest pointer, i = int (sign-extended), u =
 * unsigned (zero-extended), L = 64-bit value from two registers (lo, hi). */
struct sys32_pass {
	int16_t nr64;
	const char *spec;
};

static const struct sys32_pass pass32[] = {
	[3] = { SYS_read, "ipu" },          [4] = { SYS_write, "ipu" },
	[6] = { SYS_close, "i" },           [8] = { SYS_creat, "pu" },
	[9] = { SYS_link, "pp" },           [10] = { SYS_unlink, "p" },
	[12] = { SYS_chdir, "p" },          [14] = { SYS_mknod, "puu" },
	[15] = { SYS_chmod, "pu" },         [20] = { SYS_getpid, "" },
	[21] = { SYS_mount, "pppup" },      [27] = { SYS_alarm, "u" },
	[29] = { SYS_pause, "" },           [33] = { SYS_access, "pi" },
	[36] = { SYS_sync, "" },            [37] = { SYS_kill, "ii" },
	[38] = { SYS_rename, "pp" },        [39] = { SYS_mkdir, "pu" },
	[40] = { SYS_rmdir, "p" },          [41] = { SYS_dup, "i" },
	[42] = { SYS_pipe, "p" },           [51] = { SYS_acct, "p" },
	[52] = { SYS_umount2, "pi" },       [57] = { SYS_setpgid, "ii" },
	[60] = { SYS_umask, "u" },          [61] = { SYS_chroot, "p" },
	[63] = { SYS_dup2, "ii" },          [64] = { SYS_getppid, "" },
	[65] = { SYS_getpgrp, "" },         [66] = { SYS_setsid, "" },
	[74] = { SYS_sethostname, "pu" },   [83] = { SYS_symlink, "pp" },
	[94] = { SYS_fchmod, "iu" },        [96] = { SYS_getpriority, "ii" },
	[97] = { SYS_setpriority, "iii" },  [103] = { SYS_syslog, "ipi" },
	[111] = { SYS_vhangup, "" },        [118] = { SYS_fsync, "i" },
	[121] = { SYS_setdomainname, "pu" }, [132] = { SYS_getpgid, "i" },
	[133] = { SYS_fchdir, "i" },        [136] = { SYS_personality, "u" },
	[143] = { SYS_flock, "ii" },        [144] = { SYS_msync, "pui" },
	[147] = { SYS_getsid, "i" },        [148] = { SYS_fdatasync, "i" },
	[150] = { SYS_mlock, "pu" },        [151] = { SYS_munlock, "pu" },
	[152] = { SYS_mlockall, "i" },      [153] = { SYS_munlockall, "" },
	[154] = { SYS_sched_setparam, "ip" }, [155] = { SYS_sched_getparam, "ip" },
	[156] = { SYS_sched_setscheduler, "iip" }, [157] = { SYS_sched_getscheduler, "i" },
	[158] = { SYS_sched_yield, "" },    [159] = { SYS_sched_get_priority_max, "i" },
	[160] = { SYS_sched_get_priority_min, "i" }, [168] = { SYS_poll, "pui" },
	[180] = { SYS_pread64, "ipuL" },    [181] = { SYS_pwrite64, "ipuL" },
	[183] = { SYS_getcwd, "pu" },       [184] = { SYS_capget, "pp" },
	[185] = { SYS_capset, "pp" },       [193] = { SYS_truncate, "pL" },
	[194] = { SYS_ftruncate, "iL" },    [198] = { SYS_lchown, "puu" },
	[199] = { SYS_getuid, "" },         [200] = { SYS_getgid, "" },
	[201] = { SYS_geteuid, "" },        [202] = { SYS_getegid, "" },
	[203] = { SYS_setreuid, "uu" },     [204] = { SYS_setregid, "uu" },
	[205] = { SYS_getgroups, "ip" },    [206] = { SYS_setgroups, "ip" },
	[207] = { SYS_fchown, "iuu" },      [208] = { SYS_setresuid, "uuu" },
	[209] = { SYS_getresuid, "ppp" },   [210] = { SYS_setresgid, "uuu" },
	[211] = { SYS_getresgid, "ppp" },   [212] = { SYS_chown, "puu" },
	[213] = { SYS_setuid, "u" },        [214] = { SYS_setgid, "u" },
	[215] = { SYS_setfsuid, "u" },      [216] = { SYS_setfsgid, "u" },
	[217] = { SYS_pivot_root, "pp" },   [218] = { SYS_mincore, "pup" },
	[220] = { SYS_getdents64, "ipu" },  [224] = { SYS_gettid, "" },
	[225] = { SYS_readahead, "iLu" },   [226] = { SYS_setxattr, "pppui" },
	[227] = { SYS_lsetxattr, "pppui" }, [228] = { SYS_fsetxattr, "ippui" },
	[229] = { SYS_getxattr, "pppu" },   [230] = { SYS_lgetxattr, "pppu" },
	[231] = { SYS_fgetxattr, "ippu" },  [232] = { SYS_listxattr, "ppu" },
	[233] = { SYS_llistxattr, "ppu" },  [234] = { SYS_flistxattr, "ipu" },
	[235] = { SYS_removexattr, "pp" },  [236] = { SYS_lremovexattr, "pp" },
	[237] = { SYS_fremovexattr, "ip" }, [238] = { SYS_tkill, "ii" },
	[239] = { SYS_sendfile, "iipu" },   [241] = { SYS_sched_setaffinity, "iup" },
	[242] = { SYS_sched_getaffinity, "iup" }, [250] = { SYS_fadvise64, "iLui" },
	[254] = { SYS_epoll_create, "i" },  [255] = { SYS_epoll_ctl, "iiip" },
	[256] = { SYS_epoll_wait, "ipii" }, [262] = { SYS_timer_getoverrun, "i" },
	[263] = { SYS_timer_delete, "i" },  [270] = { SYS_tgkill, "iii" },
	[272] = { SYS_fadvise64, "iLLi" },  [289] = { SYS_ioprio_set, "iii" },
	[290] = { SYS_ioprio_get, "ii" },   [291] = { SYS_inotify_init, "" },
	[292] = { SYS_inotify_add_watch, "ipu" }, [293] = { SYS_inotify_rm_watch, "ii" },
	[296] = { SYS_mkdirat, "ipu" },     [297] = { SYS_mknodat, "ipuu" },
	[298] = { SYS_fchownat, "ipuui" },  [301] = { SYS_unlinkat, "ipi" },
	[302] = { SYS_renameat, "ipip" },   [303] = { SYS_linkat, "ipipi" },
	[304] = { SYS_symlinkat, "pip" },   [306] = { SYS_fchmodat, "ipu" },
	[307] = { SYS_faccessat, "ipi" },   [310] = { SYS_unshare, "u" },
	[313] = { SYS_splice, "ipipuu" },   [315] = { SYS_tee, "iiuu" },
	[318] = { SYS_getcpu, "ppp" },      [319] = { SYS_epoll_pwait, "ipiipu" },
	[321] = { SYS_signalfd, "ipu" },    [322] = { SYS_timerfd_create, "ii" },
	[323] = { SYS_eventfd, "u" },       [324] = { SYS_fallocate, "iiLL" },
	[327] = { SYS_signalfd4, "ipui" },  [328] = { SYS_eventfd2, "ui" },
	[329] = { SYS_epoll_create1, "i" }, [330] = { SYS_dup3, "iii" },
	[331] = { SYS_pipe2, "pi" },        [332] = { SYS_inotify_init1, "i" },
	[340] = { SYS_prlimit64, "iipp" },  [344] = { SYS_syncfs, "i" },
	[346] = { SYS_setns, "ii" },        [353] = { SYS_renameat2, "ipipu" },
	[355] = { SYS_getrandom, "puu" },   [356] = { SYS_memfd_create, "pu" },
	[359] = { SYS_socket, "iii" },      [360] = { SYS_socketpair, "iiip" },
	[361] = { SYS_bind, "ipu" },        [362] = { SYS_connect, "ipu" },
	[363] = { SYS_listen, "ii" },       [364] = { SYS_accept4, "ippi" },
	[366] = { SYS_setsockopt, "iiipu" }, [367] = { SYS_getsockname, "ipp" },
	[368] = { SYS_getpeername, "ipp" }, [369] = { SYS_sendto, "ipuupu" },
	[371] = { SYS_recvfrom, "ipuupp" }, [373] = { SYS_shutdown, "ii" },
	[375] = { SYS_membarrier, "iui" },  [376] = { SYS_mlock2, "puu" },
	[377] = { SYS_copy_file_range, "ipipuu" }, [383] = { SYS_statx, "ipuup" },
	[393] = { SYS_semget, "iii" },      [395] = { SYS_shmget, "iui" },
	[399] = { SYS_msgget, "ii" },       [403] = { SYS_clock_gettime, "ip" },
	[404] = { SYS_clock_settime, "ip" }, [406] = { SYS_clock_getres, "ip" },
	[407] = { SYS_clock_nanosleep, "iipp" }, [408] = { SYS_timer_gettime, "ip" },
	[409] = { SYS_timer_settime, "iipp" }, [410] = { SYS_timerfd_gettime, "ip" },
	[411] = { SYS_timerfd_settime, "iipp" }, [412] = { SYS_utimensat, "ippi" },
	[414] = { SYS_ppoll, "pupps" },     [423] = { SYS_sched_rr_get_interval, "ip" },
	[434] = { SYS_pidfd_open, "iu" },   [436] = { SYS_close_range, "uuu" },
	[439] = { SYS_faccessat2, "ipii" }, [420] = { SYS_semtimedop, "ipup" },
};

static long pass_call(struct user_thread *t, const struct sys32_pass *e, const uint64_t *a)
{
	struct user_proc *p = t->p;
	long h[6] = { 0 };
	int k = 0;
	for (int i = 0; e->spec[i] && k < 6; i++) {
		switch (e->spec[i]) {
		case 'p':
			h[i] = a[k] ? (long)g2h(p, (uint32_t)a[k]) : 0;
			k++;
			break;
		case 'i':
			h[i] = (long)(int32_t)a[k++];
			break;
		case 's': /* sigset size: passes through */
		case 'u':
			h[i] = (long)(uint32_t)a[k++];
			break;
		case 'L':
			h[i] = (long)((uint64_t)(uint32_t)a[k] | (uint64_t)(uint32_t)a[k + 1] << 32);
			k += 2;
			break;
		}
	}
	return user_host_syscall_blocking(t, e->nr64, h[0], h[1], h[2], h[3], h[4], h[5]);
}

static long sys32_sigaction(struct user_thread *t, int sig, uint32_t act, uint32_t oact, int rt,
			    uint32_t sz)
{
	struct guest_sigaction n, o;
	uint8_t b[20];
	if (rt && sz != 8)
		return -EINVAL;
	if (act) {
		if (user_copy_in(t, b, act, rt ? 20 : 16))
			return -EFAULT;
		uint32_t v[5] = { 0 };
		memcpy(v, b, rt ? 20 : 16);
		n.handler = v[0];
		if (rt) {
			n.flags = v[1];
			n.restorer = v[2];
			n.mask = v[3] | (uint64_t)v[4] << 32;
		} else {
			n.mask = v[1];
			n.flags = v[2];
			n.restorer = v[3];
		}
	}
	long r = user_rt_sigaction(t, sig, act ? &n : NULL, oact ? &o : NULL);
	if (r || !oact)
		return r;
	uint32_t v[5];
	v[0] = (uint32_t)o.handler;
	if (rt) {
		v[1] = (uint32_t)o.flags;
		v[2] = (uint32_t)o.restorer;
		v[3] = (uint32_t)o.mask;
		v[4] = (uint32_t)(o.mask >> 32);
	} else {
		v[1] = (uint32_t)o.mask;
		v[2] = (uint32_t)o.flags;
		v[3] = (uint32_t)o.restorer;
	}
	return user_copy_out(t, oact, v, rt ? 20 : 16) ? -EFAULT : 0;
}

static long sys32_sigprocmask(struct user_thread *t, int how, uint32_t set, uint32_t oset, int rt)
{
	uint64_t s = 0, o;
	size_t n = rt ? 8 : 4;
	if (set && user_copy_in(t, &s, set, n))
		return -EFAULT;
	if (!rt && set)
		s = (t->sigmask & ~0xffffffffull) | (uint32_t)s;
	long r = user_rt_sigprocmask(t, how, set ? &s : NULL, &o);
	if (!r && oset && user_copy_out(t, oset, &o, n))
		return -EFAULT;
	return r;
}

static long sys32_futex(struct user_thread *t, const uint64_t *a, int time64)
{
	struct user_proc *p = t->p;
	int op = (int)a[1], cmd = op & FUTEX_CMD_MASK;
	struct timespec ts, *tsp = NULL;
	long arg4 = (long)(uint32_t)a[3];
	int timed = cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_LOCK_PI ||
		    cmd == FUTEX_WAIT_REQUEUE_PI || cmd == FUTEX_LOCK_PI2;
	if (timed) {
		if (a[3]) {
			if (time64 ? user_get_ts64(t, (uint32_t)a[3], &ts) : user_get_ts32(t, (uint32_t)a[3], &ts))
				return -EFAULT;
			tsp = &ts;
		}
		arg4 = (long)tsp;
	}
	long uaddr2 = a[4] ? (long)g2h(p, (uint32_t)a[4]) : 0;
	return user_host_syscall_blocking(t, SYS_futex, (long)g2h(p, (uint32_t)a[0]), op,
					  (long)(uint32_t)a[2], arg4, uaddr2, (long)(uint32_t)a[5]);
}

static long sys32_uname(struct user_thread *t, uint32_t buf)
{
	struct utsname u;
	if (uname(&u) < 0)
		return -errno;
	snprintf(u.machine, sizeof(u.machine), "i686");
	if (t->p->opts && t->p->opts->uname_release)
		snprintf(u.release, sizeof(u.release), "%s", t->p->opts->uname_release);
	return user_copy_out(t, buf, &u, sizeof(u)) ? -EFAULT : 0;
}

long user_do_syscall32(struct user_thread *t, long nr, uint64_t *a)
{
	struct user_proc *p = t->p;
	char path[4096];
	long r;
	int handled;
#define U(i) ((uint32_t)a[i])
#define S(i) ((int32_t)a[i])

	switch (nr) {
	case 1:
		user_thread_exit(t, S(0));
	case 252:
		user_exit_group(t, S(0));
	case 2:
		return user_clone(t, SIGCHLD, 0, 0, 0, 0);
	case 190:
		return user_clone(t, CLONE_VFORK | CLONE_VM | SIGCHLD, 0, 0, 0, 0);
	case 120: /* clone(flags, newsp, ptid, tls, ctid) on i386 */
		return user_clone(t, U(0), U(1), U(2), U(4), U(3));
	case 11:
	case 358: {
		int ex = nr == 358;
		r = user_strncpy_in(t, path, U(ex), sizeof(path));
		if (r < 0)
			return r;
		return user_execve(t, ex ? S(0) : AT_FDCWD, path, U(ex + 1), U(ex + 2), ex ? S(4) : 0);
	}

	case 45:
		return (uint32_t)user_brk(p, U(0));
	case 90: { /* old_mmap(struct mmap_arg_struct *) */
		uint32_t m[6];
		if (user_copy_in(t, m, U(0), sizeof(m)))
			return -EFAULT;
		return (long)user_mmap(p, m[0], m[1], (int)m[2], (int)m[3], (int)m[4], m[5]);
	}
	case 192:
		return (long)user_mmap(p, U(0), U(1), S(2), S(3), S(4), (uint64_t)U(5) << 12);
	case 91:
		return user_munmap(p, U(0), U(1));
	case 125:
	case 380:
		return user_mprotect(p, U(0), U(1), S(2));
	case 163:
		return (long)user_mremap(p, U(0), U(1), U(2), S(3), U(4));
	case 219:
		if (S(2) == MADV_DONTNEED || S(2) == MADV_REMOVE || S(2) == MADV_FREE)
			user_prepare_write(p, U(0), U(1));
		return host_syscall(SYS_madvise, (long)g2h(p, U(0)), U(1), S(2), 0, 0, 0);
	case 397: {
		uint64_t ra = user_shmat(p, S(0), U(1), S(2));
		if (ra > (uint64_t)-4096)
			return (long)ra;
		if (U(3)) {
			uint32_t v = (uint32_t)ra;
			if (user_copy_out(t, U(3), &v, 4))
				return -EFAULT;
		}
		return (uint32_t)ra;
	}
	case 398:
		return user_shmdt(p, U(0));

	case 67:
		return sys32_sigaction(t, S(0), U(1), U(2), 0, 8);
	case 174:
		return sys32_sigaction(t, S(0), U(1), U(2), 1, U(3));
	case 126:
		return sys32_sigprocmask(t, S(0), U(1), U(2), 0);
	case 175:
		if (U(3) != 8)
			return -EINVAL;
		return sys32_sigprocmask(t, S(0), U(1), U(2), 1);
	case 119:
		return user_sigreturn32(t, 0);
	case 173:
		return user_sigreturn32(t, 1);
	case 186:
		return user_sigaltstack(t, U(0), U(1));
	case 72: /* sigsuspend(old_mask) -- glibc passes the mask directly */
		return user_rt_sigsuspend(t, (t->sigmask & ~0xffffffffull) | U(2));
	case 179: {
		uint64_t m;
		if (U(1) != 8)
			return -EINVAL;
		if (user_copy_in(t, &m, U(0), 8))
			return -EFAULT;
		return user_rt_sigsuspend(t, m);
	}
	case 73:
	case 176: {
		uint64_t m = 0;
		r = host_syscall(SYS_rt_sigpending, (long)&m, 8, 0, 0, 0, 0);
		if (r)
			return r;
		m |= t->pending;
		return user_copy_out(t, U(0), &m, nr == 73 ? 4 : 8) ? -EFAULT : 0;
	}
	case 177:
	case 421:
		return user_sys32_sigtimedwait(t, a, nr == 421);
	case 178:
	case 335:
		return -EPERM;

	case 243:
		return user_set_thread_area(t, U(0));
	case 244:
		return user_get_thread_area(t, U(0));
	case 258:
		t->clear_child_tid = U(0);
		return t->tid;
	case 311:
		if (U(1) != 12)
			return -EINVAL;
		t->robust_list = U(0);
		t->robust_len = U(1);
		return 0;
	case 312:
		return -ENOSYS;
	case 386: /* rseq */
	case 354: /* seccomp */
	case 435: /* clone3 */
	case 123: /* modify_ldt */
		return -ENOSYS;
	case 26:
	case 101:
	case 110:
		return -EPERM;
	case 384: /* arch_prctl on i386: only CET and CPUID queries */
		return -EINVAL;
	case 172:
		if (S(0) == PR_SET_SECCOMP)
			return -EINVAL;
		if (S(0) == PR_SET_NAME || S(0) == PR_GET_NAME)
			return host_syscall(SYS_prctl, S(0), (long)g2h(p, U(1)), 0, 0, 0, 0);
		return host_syscall(SYS_prctl, S(0), U(1), U(2), U(3), U(4), 0);
	case 122:
		return sys32_uname(t, U(0));
	case 240:
		return sys32_futex(t, a, 0);
	case 422:
		return sys32_futex(t, a, 1);

	case 5:
	case 295: {
		int at = nr == 295;
		r = user_strncpy_in(t, path, U(at), sizeof(path));
		if (r < 0)
			return r;
		r = user_open_special(t, at ? S(0) : AT_FDCWD, path, S(at + 1), S(at + 2), &handled);
		if (handled)
			return r;
		return host_syscall(SYS_openat, at ? S(0) : AT_FDCWD, (long)path, S(at + 1) | O_LARGEFILE,
				    U(at + 2), 0, 0);
	}
	case 85:
	case 305: {
		int at = nr == 305;
		r = user_strncpy_in(t, path, U(at), sizeof(path));
		if (r < 0)
			return r;
		char out[4096];
		size_t sz = U(at + 2) < sizeof(out) ? U(at + 2) : sizeof(out);
		r = user_readlink_special(t, at ? S(0) : AT_FDCWD, path, out, sz, &handled);
		if (!handled) {
			user_prepare_write(p, U(at + 1), U(at + 2));
			return host_syscall(SYS_readlinkat, at ? S(0) : AT_FDCWD, (long)path,
					    (long)g2h(p, U(at + 1)), U(at + 2), 0, 0);
		}
		if (r > 0 && user_copy_out(t, U(at + 1), out, (size_t)r))
			return -EFAULT;
		return r;
	}
	case 54:
		return user_ioctl32(t, S(0), U(1), U(2));
	default:
		break;
	}
	r = user_sys32_conv(t, nr, a, &handled);
	if (handled)
		return r;
	if (nr >= 0 && nr < (long)(sizeof(pass32) / sizeof(pass32[0])) && pass32[nr].spec) {
		if (nr == 3 || nr == 180)
			user_prepare_write(p, U(1), U(2));
		return pass_call(t, &pass32[nr], a);
	}
	user_log(p, LOG_UNIMP, "Unsupported syscall: %ld\n", nr);
	return -ENOSYS;
#undef U
#undef S
}

void user_syscall32(struct user_thread *t)
{
	struct cpu *c = &t->cpu;
	struct user_proc *p = t->p;
	long nr = (long)(uint32_t)c->regs[R_RAX];
	uint64_t a[6] = { (uint32_t)c->regs[R_RBX], (uint32_t)c->regs[R_RCX], (uint32_t)c->regs[R_RDX],
			  (uint32_t)c->regs[R_RSI], (uint32_t)c->regs[R_RDI], (uint32_t)c->regs[R_RBP] };
	if (p->log_mask & LOG_STRACE)
		strace_enter(t, nr, a);
	user_syscall_finish(t, nr, user_do_syscall32(t, nr, a), 0xffffffffull);
}
