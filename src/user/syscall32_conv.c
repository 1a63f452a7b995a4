/*
 * i386 system calls whose structures differ from x86_64's: stat and
 * statfs families, 32-bit time_t (timespec, timeval, itimerval, times),
 * rlimit, rusage, sysinfo, getdents, flock, iovec, select, waitid.
 * Layouts from the Linux i386 UAPI (asm/stat.h, asm/statfs.h, compat.h).
 */
#include "syscall32.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define U(i) ((uint32_t)a[i])
#define S(i) ((int32_t)a[i])

static void w32(uint8_t *b, unsigned off, uint32_t v)
{
	memcpy(b + off, &v, 4);
}
static void w64(uint8_t *b, unsigned off, uint64_t v)
{
	memcpy(b + off, &v, 8);
}
static void w16(uint8_t *b, unsigned off, uint16_t v)
{
	memcpy(b + off, &v, 2);
}

int user_get_ts32(struct user_thread *t, uint32_t addr, struct timespec *ts)
{
	int32_t v[2];
	if (user_copy_in(t, v, addr, 8))
		return -EFAULT;
	ts->tv_sec = v[0];
	ts->tv_nsec = v[1];
	return 0;
}

int user_put_ts32(struct user_thread *t, uint32_t addr, const struct timespec *ts)
{
	int32_t v[2] = { (int32_t)ts->tv_sec, (int32_t)ts->tv_nsec };
	return user_copy_out(t, addr, v, 8);
}

int user_get_ts64(struct user_thread *t, uint32_t addr, struct timespec *ts)
{
	int64_t v[2];
	if (user_copy_in(t, v, addr, 16))
		return -EFAULT;
	ts->tv_sec = v[0];
	ts->tv_nsec = v[1];
	return 0;
}

static int get_tv32(struct user_thread *t, uint32_t addr, struct timeval *tv)
{
	int32_t v[2];
	if (user_copy_in(t, v, addr, 8))
		return -EFAULT;
	tv->tv_sec = v[0];
	tv->tv_usec = v[1];
	return 0;
}

static int put_tv32(struct user_thread *t, uint32_t addr, const struct timeval *tv)
{
	int32_t v[2] = { (int32_t)tv->tv_sec, (int32_t)tv->tv_usec };
	return user_copy_out(t, addr, v, 8);
}

/* struct stat64 for i386 (96 bytes, 4-byte aligned 64-bit fields) */
static int put_stat64(struct user_thread *t, uint32_t addr, const struct stat *st)
{
	uint8_t b[96];
	memset(b, 0, sizeof(b));
	w64(b, 0, st->st_dev);
	w32(b, 12, (uint32_t)st->st_ino);
	w32(b, 16, st->st_mode);
	w32(b, 20, (uint32_t)st->st_nlink);
	w32(b, 24, st->st_uid);
	w32(b, 28, st->st_gid);
	w64(b, 32, st->st_rdev);
	w64(b, 44, (uint64_t)st->st_size);
	w32(b, 52, (uint32_t)st->st_blksize);
	w64(b, 56, (uint64_t)st->st_blocks);
	w32(b, 64, (uint32_t)st->st_atim.tv_sec);
	w32(b, 68, (uint32_t)st->st_atim.tv_nsec);
	w32(b, 72, (uint32_t)st->st_mtim.tv_sec);
	w32(b, 76, (uint32_t)st->st_mtim.tv_nsec);
	w32(b, 80, (uint32_t)st->st_ctim.tv_sec);
	w32(b, 84, (uint32_t)st->st_ctim.tv_nsec);
	w64(b, 88, st->st_ino);
	return user_copy_out(t, addr, b, sizeof(b)) ? -EFAULT : 0;
}

/* old struct stat for i386 (64 bytes) */
static int put_stat32(struct user_thread *t, uint32_t addr, const struct stat *st)
{
	uint8_t b[64];
	if (st->st_ino > 0xffffffffu || st->st_size > 0x7fffffff)
		return -EOVERFLOW;
	memset(b, 0, sizeof(b));
	w32(b, 0, (uint32_t)st->st_dev);
	w32(b, 4, (uint32_t)st->st_ino);
	w16(b, 8, (uint16_t)st->st_mode);
	w16(b, 10, (uint16_t)st->st_nlink);
	w16(b, 12, (uint16_t)st->st_uid);
	w16(b, 14, (uint16_t)st->st_gid);
	w32(b, 16, (uint32_t)st->st_rdev);
	w32(b, 20, (uint32_t)st->st_size);
	w32(b, 24, (uint32_t)st->st_blksize);
	w32(b, 28, (uint32_t)st->st_blocks);
	w32(b, 32, (uint32_t)st->st_atim.tv_sec);
	w32(b, 36, (uint32_t)st->st_atim.tv_nsec);
	w32(b, 40, (uint32_t)st->st_mtim.tv_sec);
	w32(b, 44, (uint32_t)st->st_mtim.tv_nsec);
	w32(b, 48, (uint32_t)st->st_ctim.tv_sec);
	w32(b, 52, (uint32_t)st->st_ctim.tv_nsec);
	return user_copy_out(t, addr, b, sizeof(b)) ? -EFAULT : 0;
}

static long do_stat(struct user_thread *t, int dirfd, uint32_t path, int flags, struct stat *st)
{
	char buf[4096];
	long r = user_strncpy_in(t, buf, path, sizeof(buf));
	if (r < 0)
		return r;
	return host_syscall(SYS_newfstatat, dirfd, (long)buf, (long)st, flags, 0, 0);
}

static int put_statfs(struct user_thread *t, uint32_t addr, const struct statfs *s, int is64)
{
	uint8_t b[84];
	memset(b, 0, sizeof(b));
	w32(b, 0, (uint32_t)s->f_type);
	w32(b, 4, (uint32_t)s->f_bsize);
	if (is64) {
		w64(b, 8, s->f_blocks);
		w64(b, 16, s->f_bfree);
		w64(b, 24, s->f_bavail);
		w64(b, 32, s->f_files);
		w64(b, 40, s->f_ffree);
		memcpy(b + 48, &s->f_fsid, 8);
		w32(b, 56, (uint32_t)s->f_namelen);
		w32(b, 60, (uint32_t)s->f_frsize);
		w32(b, 64, (uint32_t)s->f_flags);
		return user_copy_out(t, addr, b, 84) ? -EFAULT : 0;
	}
	if ((s->f_blocks | s->f_bfree | s->f_bavail) >> 32)
		return -EOVERFLOW;
	w32(b, 8, (uint32_t)s->f_blocks);
	w32(b, 12, (uint32_t)s->f_bfree);
	w32(b, 16, (uint32_t)s->f_bavail);
	w32(b, 20, (uint32_t)(s->f_files > 0xffffffffu ? 0xffffffffu : s->f_files));
	w32(b, 24, (uint32_t)(s->f_ffree > 0xffffffffu ? 0xffffffffu : s->f_ffree));
	memcpy(b + 28, &s->f_fsid, 8);
	w32(b, 36, (uint32_t)s->f_namelen);
	w32(b, 40, (uint32_t)s->f_frsize);
	w32(b, 44, (uint32_t)s->f_flags);
	return user_copy_out(t, addr, b, 64) ? -EFAULT : 0;
}

static int put_rusage(struct user_thread *t, uint32_t addr, const struct rusage *ru)
{
	int32_t v[18];
	v[0] = (int32_t)ru->ru_utime.tv_sec;
	v[1] = (int32_t)ru->ru_utime.tv_usec;
	v[2] = (int32_t)ru->ru_stime.tv_sec;
	v[3] = (int32_t)ru->ru_stime.tv_usec;
	const long *rest = &ru->ru_maxrss;
	for (int i = 0; i < 14; i++)
		v[4 + i] = (int32_t)rest[i];
	return user_copy_out(t, addr, v, sizeof(v)) ? -EFAULT : 0;
}

static uint32_t rlim32(rlim_t v)
{
	return v == RLIM_INFINITY || v > 0xffffffffu ? 0xffffffffu : (uint32_t)v;
}

/* Read a guest iovec32 array into host iovecs (pointers translated). */
static struct iovec *get_iov(struct user_thread *t, uint32_t addr, uint32_t cnt, int out, long *err)
{
	if (cnt > 1024) {
		*err = -EINVAL;
		return NULL;
	}
	struct iovec *v = calloc(cnt ? cnt : 1, sizeof(*v));
	for (uint32_t i = 0; i < cnt; i++) {
		uint32_t e[2];
		if (user_copy_in(t, e, addr + 8 * i, 8)) {
			free(v);
			*err = -EFAULT;
			return NULL;
		}
		v[i].iov_base = e[0] ? g2h(t->p, e[0]) : NULL;
		v[i].iov_len = e[1];
		if (out)
			user_prepare_write(t->p, e[0], e[1]);
	}
	return v;
}

static long sys32_getdents(struct user_thread *t, int fd, uint32_t dirp, uint32_t count)
{
	uint8_t *buf = malloc(count);
	if (!buf)
		return -ENOMEM;
	long n = host_syscall(SYS_getdents64, fd, (long)buf, count, 0, 0, 0);
	if (n <= 0) {
		free(buf);
		return n;
	}
	/* linux_dirent64 -> linux_dirent32 {u32 ino, u32 off, u16 reclen,
	 * name, pad, type}: records only shrink, so convert in place into
	 * a second buffer. */
	uint8_t *out = malloc(count);
	long o = 0, i = 0;
	int64_t last_off = 0;
	while (i < n) {
		struct dirent64 *d = (struct dirent64 *)(buf + i);
		size_t nl = strlen(d->d_name);
		size_t rl = (10 + nl + 2 + 3) & ~3u;
		if (o + (long)rl > (long)count)
			break;
		memset(out + o, 0, rl);
		w32(out + o, 0, (uint32_t)d->d_ino);
		w32(out + o, 4, (uint32_t)d->d_off);
		w16(out + o, 8, (uint16_t)rl);
		memcpy(out + o + 10, d->d_name, nl);
		out[o + rl - 1] = d->d_type;
		o += (long)rl;
		last_off = d->d_off;
		i += d->d_reclen;
	}
	long r = user_copy_out(t, dirp, out, (size_t)o) ? -EFAULT : o;
	if (i < n) /* the rest did not fit: continue after the last one */
		lseek(fd, (off_t)last_off, SEEK_SET);
	free(buf);
	free(out);
	return r;
}

static long sys32_fcntl(struct user_thread *t, int fd, int cmd, uint32_t arg, int is64)
{
	struct flock fl;
	int lk64 = 0;
	switch (cmd) {
	case 12: case 13: case 14: /* F_GETLK64/SETLK64/SETLKW64 (i386) */
		if (!is64)
			return -EINVAL;
		lk64 = 1;
		cmd = cmd == 12 ? F_GETLK : cmd == 13 ? F_SETLK : F_SETLKW;
		break;
	case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
		lk64 = 1;
		break;
	case F_GETLK: case F_SETLK: case F_SETLKW:
		break;
	default:
		return host_syscall(SYS_fcntl, fd, cmd, (long)(int32_t)arg, 0, 0, 0);
	}
	uint8_t b[24];
	if (user_copy_in(t, b, arg, lk64 ? 24 : 16))
		return -EFAULT;
	int16_t s16[2];
	memcpy(s16, b, 4);
	fl.l_type = s16[0];
	fl.l_whence = s16[1];
	if (lk64) {
		int64_t st, ln;
		memcpy(&st, b + 4, 8);
		memcpy(&ln, b + 12, 8);
		fl.l_start = st;
		fl.l_len = ln;
		int32_t pid;
		memcpy(&pid, b + 20, 4);
		fl.l_pid = pid;
	} else {
		int32_t v[3];
		memcpy(v, b + 4, 12);
		fl.l_start = v[0];
		fl.l_len = v[1];
		fl.l_pid = v[2];
	}
	long r = host_syscall(SYS_fcntl, fd, cmd, (long)&fl, 0, 0, 0);
	if (r || (cmd != F_GETLK && cmd != F_OFD_GETLK))
		return r;
	s16[0] = fl.l_type;
	s16[1] = fl.l_whence;
	memcpy(b, s16, 4);
	if (lk64) {
		int64_t st = fl.l_start, ln = fl.l_len;
		memcpy(b + 4, &st, 8);
		memcpy(b + 12, &ln, 8);
		int32_t pid = fl.l_pid;
		memcpy(b + 20, &pid, 4);
	} else {
		if (fl.l_start > 0x7fffffff || fl.l_len > 0x7fffffff)
			return -EOVERFLOW;
		int32_t v[3] = { (int32_t)fl.l_start, (int32_t)fl.l_len, fl.l_pid };
		memcpy(b + 4, v, 12);
	}
	return user_copy_out(t, arg, b, lk64 ? 24 : 16) ? -EFAULT : 0;
}

static long sys32_select(struct user_thread *t, uint32_t n, uint32_t rd, uint32_t wr, uint32_t ex,
			 uint32_t tvp)
{
	struct user_proc *p = t->p;
	struct timeval tv;
	if (tvp && get_tv32(t, tvp, &tv))
		return -EFAULT;
	long r = host_syscall(SYS_select, (int32_t)n, rd ? (long)g2h(p, rd) : 0, wr ? (long)g2h(p, wr) : 0,
			      ex ? (long)g2h(p, ex) : 0, tvp ? (long)&tv : 0, 0);
	if (tvp && r >= 0 && put_tv32(t, tvp, &tv))
		return -EFAULT;
	return r;
}

static long sys32_pselect(struct user_thread *t, const uint64_t *a, int time64)
{
	struct user_proc *p = t->p;
	struct timespec ts;
	if (U(4) && (time64 ? user_get_ts64(t, U(4), &ts) : user_get_ts32(t, U(4), &ts)))
		return -EFAULT;
	/* sixth argument: struct { const sigset_t *ss; size_t ss_len; } */
	struct {
		void *ss;
		size_t len;
	} sg = { NULL, 8 }, *sgp = NULL;
	if (U(5)) {
		uint32_t v[2];
		if (user_copy_in(t, v, U(5), 8))
			return -EFAULT;
		sg.ss = v[0] ? g2h(p, v[0]) : NULL;
		sg.len = v[1];
		sgp = &sg;
	}
	long r = host_syscall(SYS_pselect6, S(0), U(1) ? (long)g2h(p, U(1)) : 0,
			      U(2) ? (long)g2h(p, U(2)) : 0, U(3) ? (long)g2h(p, U(3)) : 0,
			      U(4) ? (long)&ts : 0, (long)sgp);
	if (U(4) && r >= 0 && !time64)
		user_put_ts32(t, U(4), &ts);
	return r;
}

static long put_siginfo32(struct user_thread *t, uint32_t addr, const siginfo_t *si)
{
	uint8_t b[128];
	user_siginfo_to32(si, b);
	return user_copy_out(t, addr, b, sizeof(b)) ? -EFAULT : 0;
}

long user_sys32_sigtimedwait(struct user_thread *t, const uint64_t *a, int time64)
{
	uint64_t set;
	struct timespec ts;
	siginfo_t si;
	if (U(3) != 8)
		return -EINVAL;
	if (user_copy_in(t, &set, U(0), 8))
		return -EFAULT;
	if (U(2) && (time64 ? user_get_ts64(t, U(2), &ts) : user_get_ts32(t, U(2), &ts)))
		return -EFAULT;
	memset(&si, 0, sizeof(si));
	long r = host_syscall(SYS_rt_sigtimedwait, (long)&set, (long)&si, U(2) ? (long)&ts : 0, 8, 0, 0);
	if (r > 0 && U(1) && put_siginfo32(t, U(1), &si))
		return -EFAULT;
	return r;
}

static long sys32_utimes(struct user_thread *t, int dirfd, uint32_t path, uint32_t tvp)
{
	char buf[4096];
	struct timespec ts[2];
	long r = user_strncpy_in(t, buf, path, sizeof(buf));
	if (r < 0)
		return r;
	if (tvp) {
		struct timeval tv[2];
		if (get_tv32(t, tvp, &tv[0]) || get_tv32(t, tvp + 8, &tv[1]))
			return -EFAULT;
		for (int i = 0; i < 2; i++) {
			ts[i].tv_sec = tv[i].tv_sec;
			ts[i].tv_nsec = tv[i].tv_usec * 1000;
		}
	}
	return host_syscall(SYS_utimensat, dirfd, (long)buf, tvp ? (long)ts : 0, 0, 0, 0);
}

long user_sys32_conv(struct user_thread *t, long nr, uint64_t *a, int *handled)
{
	struct user_proc *p = t->p;
	struct stat st;
	struct statfs sfs;
	struct timespec ts, ts2;
	struct timeval tv;
	struct rusage ru;
	struct rlimit rl;
	long r;
	*handled = 1;
	switch (nr) {
	case 7: /* waitpid */
		return host_syscall(SYS_wait4, S(0), U(1) ? (long)g2h(p, U(1)) : 0, S(2), 0, 0, 0);
	case 114: /* wait4 */
		r = host_syscall(SYS_wait4, S(0), U(1) ? (long)g2h(p, U(1)) : 0, S(2), U(3) ? (long)&ru : 0, 0, 0);
		if (r > 0 && U(3) && put_rusage(t, U(3), &ru))
			return -EFAULT;
		return r;
	case 284: { /* waitid */
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		r = host_syscall(SYS_waitid, S(0), S(1), (long)&si, S(3), U(4) ? (long)&ru : 0, 0);
		if (r >= 0 && U(2) && put_siginfo32(t, U(2), &si))
			return -EFAULT;
		if (r >= 0 && U(4) && put_rusage(t, U(4), &ru))
			return -EFAULT;
		return r;
	}
	case 13: { /* time */
		int32_t now = (int32_t)time(NULL);
		if (U(0) && user_copy_out(t, U(0), &now, 4))
			return -EFAULT;
		return now;
	}
	case 43: { /* times */
		struct tms tm;
		r = host_syscall(SYS_times, (long)&tm, 0, 0, 0, 0, 0);
		if (U(0)) {
			int32_t v[4] = { (int32_t)tm.tms_utime, (int32_t)tm.tms_stime, (int32_t)tm.tms_cutime,
					 (int32_t)tm.tms_cstime };
			if (user_copy_out(t, U(0), v, sizeof(v)))
				return -EFAULT;
		}
		return (int32_t)r;
	}
	case 19: /* lseek */
		r = host_syscall(SYS_lseek, S(0), S(1), S(2), 0, 0, 0);
		if (r > 0x7fffffff)
			return -EOVERFLOW;
		return r;
	case 140: { /* _llseek(fd, hi, lo, loff_t *res, whence) */
		int64_t off = (int64_t)((uint64_t)U(1) << 32 | U(2));
		r = host_syscall(SYS_lseek, S(0), (long)off, S(4), 0, 0, 0);
		if (r < 0)
			return r;
		int64_t res = r;
		return user_copy_out(t, U(3), &res, 8) ? -EFAULT : 0;
	}
	case 30: { /* utime(path, struct utimbuf32 *) */
		char buf[4096];
		r = user_strncpy_in(t, buf, U(0), sizeof(buf));
		if (r < 0)
			return r;
		struct timespec tt[2];
		if (U(1)) {
			int32_t v[2];
			if (user_copy_in(t, v, U(1), 8))
				return -EFAULT;
			tt[0].tv_sec = v[0];
			tt[1].tv_sec = v[1];
			tt[0].tv_nsec = tt[1].tv_nsec = 0;
		}
		return host_syscall(SYS_utimensat, AT_FDCWD, (long)buf, U(1) ? (long)tt : 0, 0, 0, 0);
	}
	case 271:
		return sys32_utimes(t, AT_FDCWD, U(0), U(1));
	case 299:
		return sys32_utimes(t, S(0), U(1), U(2));
	case 320: { /* utimensat with timespec32 */
		struct timespec tt[2];
		if (U(2) && (user_get_ts32(t, U(2), &tt[0]) || user_get_ts32(t, U(2) + 8, &tt[1])))
			return -EFAULT;
		return host_syscall(SYS_utimensat, S(0), U(1) ? (long)g2h(p, U(1)) : 0, U(2) ? (long)tt : 0,
				    S(3), 0, 0);
	}
	case 55:
	case 221:
		return sys32_fcntl(t, S(0), S(1), U(2), nr == 221);
	case 75: /* setrlimit */
		if (user_copy_in(t, &ts, U(1), 8))
			return -EFAULT;
		{
			uint32_t v[2];
			memcpy(v, &ts, 8);
			rl.rlim_cur = v[0] == 0xffffffffu ? RLIM_INFINITY : v[0];
			rl.rlim_max = v[1] == 0xffffffffu ? RLIM_INFINITY : v[1];
		}
		if (S(0) == RLIMIT_AS || S(0) == RLIMIT_DATA || S(0) == RLIMIT_STACK)
			return 0;
		return host_syscall(SYS_setrlimit, S(0), (long)&rl, 0, 0, 0, 0);
	case 76:
	case 191: { /* getrlimit / ugetrlimit */
		r = host_syscall(SYS_getrlimit, S(0), (long)&rl, 0, 0, 0, 0);
		if (r)
			return r;
		uint32_t v[2] = { rlim32(rl.rlim_cur), rlim32(rl.rlim_max) };
		if (nr == 76) {
			if (v[0] > 0x7fffffff)
				v[0] = 0x7fffffff;
			if (v[1] > 0x7fffffff)
				v[1] = 0x7fffffff;
		}
		return user_copy_out(t, U(1), v, 8) ? -EFAULT : 0;
	}
	case 77:
		r = host_syscall(SYS_getrusage, S(0), (long)&ru, 0, 0, 0, 0);
		if (r)
			return r;
		return put_rusage(t, U(1), &ru);
	case 78:
		r = host_syscall(SYS_gettimeofday, (long)&tv, U(1) ? (long)g2h(p, U(1)) : 0, 0, 0, 0, 0);
		if (!r && U(0) && put_tv32(t, U(0), &tv))
			return -EFAULT;
		return r;
	case 79:
		if (U(0) && get_tv32(t, U(0), &tv))
			return -EFAULT;
		return host_syscall(SYS_settimeofday, U(0) ? (long)&tv : 0, U(1) ? (long)g2h(p, U(1)) : 0, 0, 0, 0, 0);
	case 82: { /* old select(struct sel_arg_struct *) */
		uint32_t v[5];
		if (user_copy_in(t, v, U(0), sizeof(v)))
			return -EFAULT;
		return sys32_select(t, v[0], v[1], v[2], v[3], v[4]);
	}
	case 142:
		return sys32_select(t, U(0), U(1), U(2), U(3), U(4));
	case 308:
	case 413:
		return sys32_pselect(t, a, nr == 413);
	case 309: /* ppoll with timespec32 */
		if (U(2) && user_get_ts32(t, U(2), &ts))
			return -EFAULT;
		r = host_syscall(SYS_ppoll, U(0) ? (long)g2h(p, U(0)) : 0, U(1), U(2) ? (long)&ts : 0,
				 U(3) ? (long)g2h(p, U(3)) : 0, U(4), 0);
		if (U(2) && r >= 0)
			user_put_ts32(t, U(2), &ts);
		return r;
	case 99:
	case 268: {
		char buf[4096];
		r = user_strncpy_in(t, buf, U(0), sizeof(buf));
		if (r < 0)
			return r;
		r = host_syscall(SYS_statfs, (long)buf, (long)&sfs, 0, 0, 0, 0);
		if (r)
			return r;
		return put_statfs(t, nr == 268 ? U(2) : U(1), &sfs, nr == 268);
	}
	case 100:
	case 269:
		r = host_syscall(SYS_fstatfs, S(0), (long)&sfs, 0, 0, 0, 0);
		if (r)
			return r;
		return put_statfs(t, nr == 269 ? U(2) : U(1), &sfs, nr == 269);
	case 106:
	case 107:
	case 195:
	case 196:
		r = do_stat(t, AT_FDCWD, U(0), (nr == 107 || nr == 196) ? AT_SYMLINK_NOFOLLOW : 0, &st);
		if (r)
			return r;
		return nr >= 195 ? put_stat64(t, U(1), &st) : put_stat32(t, U(1), &st);
	case 108:
	case 197:
		r = host_syscall(SYS_fstat, S(0), (long)&st, 0, 0, 0, 0);
		if (r)
			return r;
		return nr == 197 ? put_stat64(t, U(1), &st) : put_stat32(t, U(1), &st);
	case 300: /* fstatat64 */
		if (!U(1))
			return -EFAULT;
		r = do_stat(t, S(0), U(1), S(3), &st);
		if (r)
			return r;
		return put_stat64(t, U(2), &st);
	case 116: { /* sysinfo */
		struct sysinfo si;
		r = host_syscall(SYS_sysinfo, (long)&si, 0, 0, 0, 0, 0);
		if (r)
			return r;
		/* scale like the kernel's compat code when sizes overflow */
		unsigned shift = 0;
		uint64_t unit = si.mem_unit ? si.mem_unit : 1;
		while (((uint64_t)si.totalram >> shift) > 0xffffffffu ||
		       ((uint64_t)si.totalswap >> shift) > 0xffffffffu)
			shift++;
		uint8_t b[64];
		memset(b, 0, sizeof(b));
		w32(b, 0, (uint32_t)si.uptime);
		for (int i = 0; i < 3; i++)
			w32(b, 4 + 4 * (unsigned)i, (uint32_t)si.loads[i]);
		w32(b, 16, (uint32_t)(si.totalram >> shift));
		w32(b, 20, (uint32_t)(si.freeram >> shift));
		w32(b, 24, (uint32_t)(si.sharedram >> shift));
		w32(b, 28, (uint32_t)(si.bufferram >> shift));
		w32(b, 32, (uint32_t)(si.totalswap >> shift));
		w32(b, 36, (uint32_t)(si.freeswap >> shift));
		w16(b, 40, si.procs);
		w32(b, 44, (uint32_t)(si.totalhigh >> shift));
		w32(b, 48, (uint32_t)(si.freehigh >> shift));
		w32(b, 52, (uint32_t)(unit << shift));
		return user_copy_out(t, U(0), b, sizeof(b)) ? -EFAULT : 0;
	}
	case 141:
		return sys32_getdents(t, S(0), U(1), U(2));
	case 145:
	case 146:
	case 333:
	case 334:
	case 378:
	case 379: {
		int out = nr == 145 || nr == 333 || nr == 378;
		struct iovec *v = get_iov(t, U(1), U(2), out, &r);
		if (!v)
			return r;
		long sys = nr == 145 ? SYS_readv : nr == 146 ? SYS_writev : nr == 333 ? SYS_preadv
			 : nr == 334 ? SYS_pwritev : nr == 378 ? SYS_preadv2 : SYS_pwritev2;
		/* p{read,write}v{,2}: offset in two registers (lo, hi) */
		r = host_syscall(sys, S(0), (long)v, U(2), U(3), U(4), S(5));
		free(v);
		return r;
	}
	case 104:
	case 105: { /* setitimer / getitimer */
		struct itimerval it, old;
		if (nr == 104 && U(1)) {
			int32_t v[4];
			if (user_copy_in(t, v, U(1), 16))
				return -EFAULT;
			it.it_interval.tv_sec = v[0];
			it.it_interval.tv_usec = v[1];
			it.it_value.tv_sec = v[2];
			it.it_value.tv_usec = v[3];
		}
		if (nr == 104)
			r = host_syscall(SYS_setitimer, S(0), U(1) ? (long)&it : 0, (long)&old, 0, 0, 0);
		else
			r = host_syscall(SYS_getitimer, S(0), (long)&old, 0, 0, 0, 0);
		uint32_t dst = nr == 104 ? U(2) : U(1);
		if (!r && dst) {
			int32_t v[4] = { (int32_t)old.it_interval.tv_sec, (int32_t)old.it_interval.tv_usec,
					 (int32_t)old.it_value.tv_sec, (int32_t)old.it_value.tv_usec };
			if (user_copy_out(t, dst, v, 16))
				return -EFAULT;
		}
		return r;
	}
	case 162: /* nanosleep */
		if (user_get_ts32(t, U(0), &ts))
			return -EFAULT;
		r = host_syscall(SYS_nanosleep, (long)&ts, (long)&ts2, 0, 0, 0, 0);
		if (r == -EINTR && U(1))
			user_put_ts32(t, U(1), &ts2);
		return r;
	case 267: /* clock_nanosleep */
		if (user_get_ts32(t, U(2), &ts))
			return -EFAULT;
		r = host_syscall(SYS_clock_nanosleep, S(0), S(1), (long)&ts, (long)&ts2, 0, 0);
		if (r == -EINTR && U(3))
			user_put_ts32(t, U(3), &ts2);
		return r;
	case 265:
	case 266:
		r = host_syscall(nr == 265 ? SYS_clock_gettime : SYS_clock_getres, S(0), (long)&ts, 0, 0, 0, 0);
		if (!r && U(1) && user_put_ts32(t, U(1), &ts))
			return -EFAULT;
		return r;
	case 264:
		if (user_get_ts32(t, U(1), &ts))
			return -EFAULT;
		return host_syscall(SYS_clock_settime, S(0), (long)&ts, 0, 0, 0, 0);
	case 161:
		r = host_syscall(SYS_sched_rr_get_interval, S(0), (long)&ts, 0, 0, 0, 0);
		if (!r && user_put_ts32(t, U(1), &ts))
			return -EFAULT;
		return r;
	case 187: { /* sendfile with off_t (32-bit) offset */
		int64_t off = 0;
		if (U(2)) {
			int32_t o32;
			if (user_copy_in(t, &o32, U(2), 4))
				return -EFAULT;
			off = o32;
		}
		r = host_syscall(SYS_sendfile, S(0), S(1), U(2) ? (long)&off : 0, U(3), 0, 0);
		if (U(2) && r >= 0) {
			int32_t o32 = (int32_t)off;
			user_copy_out(t, U(2), &o32, 4);
		}
		return r;
	}
	case 260:
	case 261:
	case 325:
	case 326: { /* timer_settime/gettime, timerfd_settime/gettime: itimerspec32 */
		struct itimerspec in, old;
		int set = nr == 260 || nr == 325;
		if (set) {
			if (user_get_ts32(t, U(2), &in.it_interval) || user_get_ts32(t, U(2) + 8, &in.it_value))
				return -EFAULT;
			long sys = nr == 260 ? SYS_timer_settime : SYS_timerfd_settime;
			r = host_syscall(sys, S(0), S(1), (long)&in, (long)&old, 0, 0);
		} else {
			r = host_syscall(nr == 261 ? SYS_timer_gettime : SYS_timerfd_gettime, S(0), (long)&old, 0,
					 0, 0, 0);
		}
		uint32_t dst = set ? U(3) : U(1);
		if (!r && dst &&
		    (user_put_ts32(t, dst, &old.it_interval) || user_put_ts32(t, dst + 8, &old.it_value)))
			return -EFAULT;
		return r;
	}
	case 259: { /* timer_create(clock, struct sigevent32 *, timer_t *) */
		struct sigevent sev, *sevp = NULL;
		if (U(1)) {
			int32_t v[4];
			if (user_copy_in(t, v, U(1), 16))
				return -EFAULT;
			memset(&sev, 0, sizeof(sev));
			sev.sigev_value.sival_int = v[0];
			sev.sigev_signo = v[1];
			sev.sigev_notify = v[2];
			sev._sigev_un._tid = v[3];
			sevp = &sev;
		}
		int id;
		r = host_syscall(SYS_timer_create, S(0), (long)sevp, (long)&id, 0, 0, 0);
		if (!r && user_copy_out(t, U(2), &id, 4))
			return -EFAULT;
		return r;
	}
	default:
		break;
	}
	return user_sys32_net(t, nr, a, handled);
}
