/*
 * i386 sockets and SysV IPC: the socketcall(2) and ipc(2) multiplexers,
 * msghdr/iovec/cmsghdr conversion for sendmsg/recvmsg (and the mmsg
 * variants), socket options carrying a struct timeval.
 */
#include "syscall32.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>

#define U(i) ((uint32_t)a[i])
#define S(i) ((int32_t)a[i])

/* A host msghdr built from a guest msghdr32, with its buffers. */
struct msg_conv {
	struct msghdr h;
	struct iovec *iov;
	uint8_t *ctl;
	uint32_t gctl, gctl_len;
};

#define CMSG32_ALIGN(n) (((n) + 3) & ~3u)

static long msg_in(struct user_thread *t, uint32_t addr, struct msg_conv *m, int out)
{
	struct user_proc *p = t->p;
	uint32_t v[7];
	memset(m, 0, sizeof(*m));
	if (user_copy_in(t, v, addr, sizeof(v)))
		return -EFAULT;
	m->h.msg_name = v[0] ? g2h(p, v[0]) : NULL;
	m->h.msg_namelen = v[1];
	if (v[3] > 1024)
		return -EMSGSIZE;
	m->iov = calloc(v[3] ? v[3] : 1, sizeof(struct iovec));
	for (uint32_t i = 0; i < v[3]; i++) {
		uint32_t e[2];
		if (user_copy_in(t, e, v[2] + 8 * i, 8))
			return -EFAULT;
		m->iov[i].iov_base = e[0] ? g2h(p, e[0]) : NULL;
		m->iov[i].iov_len = e[1];
		if (out)
			user_prepare_write(p, e[0], e[1]);
	}
	m->h.msg_iov = m->iov;
	m->h.msg_iovlen = v[3];
	m->h.msg_flags = (int)v[6];
	m->gctl = v[4];
	m->gctl_len = v[5];
	if (v[4] && v[5]) {
		/* host cmsgs are larger (16-byte header, 8-byte alignment) */
		size_t cap = (size_t)v[5] * 2 + 64;
		m->ctl = calloc(1, cap);
		m->h.msg_control = m->ctl;
		m->h.msg_controllen = cap;
		if (!out) {
			uint8_t *g = malloc(v[5]);
			if (user_copy_in(t, g, v[4], v[5])) {
				free(g);
				return -EFAULT;
			}
			size_t go = 0, ho = 0;
			while (go + 12 <= v[5]) {
				uint32_t len;
				int32_t lt[2];
				memcpy(&len, g + go, 4);
				memcpy(lt, g + go + 4, 8);
				if (len < 12 || go + len > v[5])
					break;
				struct cmsghdr *c = (struct cmsghdr *)(m->ctl + ho);
				c->cmsg_len = CMSG_LEN(len - 12);
				c->cmsg_level = lt[0];
				c->cmsg_type = lt[1];
				memcpy(CMSG_DATA(c), g + go + 12, len - 12);
				ho += CMSG_SPACE(len - 12);
				go += CMSG32_ALIGN(len);
			}
			m->h.msg_controllen = ho;
			if (!ho)
				m->h.msg_control = NULL;
			free(g);
		}
	}
	return 0;
}

/* Write back what recvmsg produced: namelen, flags, control messages. */
static long msg_out(struct user_thread *t, uint32_t addr, struct msg_conv *m)
{
	uint32_t go = 0;
	if (m->ctl && m->h.msg_control) {
		uint8_t *g = calloc(1, m->gctl_len ? m->gctl_len : 1);
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m->h); c; c = CMSG_NXTHDR(&m->h, c)) {
			size_t dl = c->cmsg_len - CMSG_LEN(0);
			if (go + 12 + dl > m->gctl_len) {
				m->h.msg_flags |= MSG_CTRUNC;
				break;
			}
			uint32_t len = (uint32_t)(12 + dl);
			int32_t lt[2] = { c->cmsg_level, c->cmsg_type };
			memcpy(g + go, &len, 4);
			memcpy(g + go + 4, lt, 8);
			memcpy(g + go + 12, CMSG_DATA(c), dl);
			go += CMSG32_ALIGN(len);
			if (go > m->gctl_len)
				go = m->gctl_len;
		}
		if (user_copy_out(t, m->gctl, g, go)) {
			free(g);
			return -EFAULT;
		}
		free(g);
	}
	uint32_t nl = m->h.msg_namelen;
	int32_t fl = m->h.msg_flags;
	if (user_copy_out(t, addr + 4, &nl, 4) || user_copy_out(t, addr + 20, &go, 4) ||
	    user_copy_out(t, addr + 24, &fl, 4))
		return -EFAULT;
	return 0;
}

static void msg_free(struct msg_conv *m)
{
	free(m->iov);
	free(m->ctl);
}

static long sys32_sendrecvmsg(struct user_thread *t, int fd, uint32_t msg, int flags, int recv)
{
	struct msg_conv m;
	long r = msg_in(t, msg, &m, recv);
	if (r) {
		msg_free(&m);
		return r;
	}
	r = host_syscall(recv ? SYS_recvmsg : SYS_sendmsg, fd, (long)&m.h, flags, 0, 0, 0);
	if (recv && r >= 0) {
		long e = msg_out(t, msg, &m);
		if (e)
			r = e;
	}
	msg_free(&m);
	return r;
}

/* sendmmsg/recvmmsg: one call per message keeps the conversion simple. */
static long sys32_mmsg(struct user_thread *t, int fd, uint32_t vec, uint32_t vlen, int flags, int recv)
{
	uint32_t n = 0;
	for (; n < vlen; n++) {
		uint32_t hdr = vec + n * 32; /* struct mmsghdr32: msghdr32 + unsigned len */
		long r = sys32_sendrecvmsg(t, fd, hdr, flags | (recv && n ? MSG_DONTWAIT : 0), recv);
		if (r < 0) {
			if (n)
				break;
			return r;
		}
		uint32_t len = (uint32_t)r;
		if (user_copy_out(t, hdr + 28, &len, 4))
			return -EFAULT;
		if (recv && (flags & MSG_WAITFORONE))
			flags |= MSG_DONTWAIT;
	}
	return n;
}

static int sockopt_is_timeval(int level, int name)
{
	return level == SOL_SOCKET && (name == SO_RCVTIMEO_OLD || name == SO_SNDTIMEO_OLD);
}

static long sys32_getsockopt(struct user_thread *t, int fd, int level, int name, uint32_t val,
			     uint32_t lenp)
{
	struct user_proc *p = t->p;
	if (sockopt_is_timeval(level, name)) {
		struct timeval tv;
		socklen_t l = sizeof(tv);
		long r = host_syscall(SYS_getsockopt, fd, level, name, (long)&tv, (long)&l, 0);
		if (r)
			return r;
		int32_t v[2] = { (int32_t)tv.tv_sec, (int32_t)tv.tv_usec };
		uint32_t gl = 8;
		if (user_copy_out(t, val, v, 8) || user_copy_out(t, lenp, &gl, 4))
			return -EFAULT;
		return 0;
	}
	return host_syscall(SYS_getsockopt, fd, level, name, val ? (long)g2h(p, val) : 0,
			    lenp ? (long)g2h(p, lenp) : 0, 0);
}

static long sys32_setsockopt(struct user_thread *t, int fd, int level, int name, uint32_t val,
			     uint32_t len)
{
	struct user_proc *p = t->p;
	if (sockopt_is_timeval(level, name)) {
		int32_t v[2];
		if (len < 8 || user_copy_in(t, v, val, 8))
			return -EINVAL;
		struct timeval tv = { v[0], v[1] };
		return host_syscall(SYS_setsockopt, fd, level, name, (long)&tv, sizeof(tv), 0);
	}
	return host_syscall(SYS_setsockopt, fd, level, name, val ? (long)g2h(p, val) : 0, len, 0);
}

static long sys32_socketcall(struct user_thread *t, int call, uint32_t args)
{
	static const uint8_t nargs[21] = { 0, 3, 3, 3, 2, 3, 3, 3, 4, 4, 4, 6, 6, 2, 5, 5, 3, 3, 4, 5, 4 };
	if (call < 1 || call > 20)
		return -EINVAL;
	uint32_t v[6] = { 0 };
	if (user_copy_in(t, v, args, nargs[call] * 4u))
		return -EFAULT;
	uint64_t a[6];
	for (int i = 0; i < 6; i++)
		a[i] = v[i];
	static const int16_t map[21] = { 0, 359, 361, 362, 363, 364, 367, 368, 360, 369, 371, 369,
					 371, 373, 366, 365, 370, 372, 364, 337, 345 };
	int handled;
	switch (call) {
	case 5: /* accept(fd, addr, len) = accept4(..., 0) */
		a[3] = 0;
		break;
	case 9: /* send(fd, buf, len, flags) = sendto(..., NULL, 0) */
	case 10: /* recv = recvfrom(..., NULL, NULL) */
		a[4] = a[5] = 0;
		break;
	default:
		break;
	}
	return user_do_syscall32(t, map[call], a) + 0 * (long)&handled;
}

/* struct ipc_perm for i386 ipc64 (IPC_64 flag): kernel's ipc64_perm is the
 * same as x86_64's, but the surrounding *id64_ds use 32-bit longs. */
static long sys32_shmctl(struct user_thread *t, int id, int cmd, uint32_t buf)
{
	cmd &= ~0x100; /* IPC_64 */
	if (cmd == IPC_RMID || cmd == SHM_LOCK || cmd == SHM_UNLOCK)
		return host_syscall(SYS_shmctl, id, cmd, 0, 0, 0, 0);
	if (cmd == IPC_STAT || cmd == SHM_STAT || cmd == SHM_STAT_ANY) {
		struct shmid_ds ds;
		long r = host_syscall(SYS_shmctl, id, cmd, (long)&ds, 0, 0, 0);
		if (r < 0)
			return r;
		/* shmid64_ds (i386): ipc64_perm (48), segsz, atime, atime_hi,
		 * dtime, dtime_hi, ctime, ctime_hi, cpid, lpid, nattch, 2 unused */
		uint8_t b[48 + 4 * 12];
		memset(b, 0, sizeof(b));
		memcpy(b, &ds.shm_perm, 48 < sizeof(ds.shm_perm) ? 48 : sizeof(ds.shm_perm));
		uint32_t f[10] = { (uint32_t)ds.shm_segsz, (uint32_t)ds.shm_atime, 0, (uint32_t)ds.shm_dtime, 0,
				   (uint32_t)ds.shm_ctime, 0, (uint32_t)ds.shm_cpid, (uint32_t)ds.shm_lpid,
				   (uint32_t)ds.shm_nattch };
		memcpy(b + 48, f, sizeof(f));
		return user_copy_out(t, buf, b, sizeof(b)) ? -EFAULT : r;
	}
	return -EINVAL;
}

static long sys32_semctl(struct user_thread *t, int id, int num, int cmd, uint32_t arg)
{
	struct user_proc *p = t->p;
	cmd &= ~0x100;
	switch (cmd) {
	case IPC_RMID: case GETVAL: case GETPID: case GETNCNT: case GETZCNT:
		return host_syscall(SYS_semctl, id, num, cmd, 0, 0, 0);
	case SETVAL:
		return host_syscall(SYS_semctl, id, num, cmd, (long)(int32_t)arg, 0, 0);
	case GETALL: case SETALL:
		return host_syscall(SYS_semctl, id, num, cmd, (long)g2h(p, arg), 0, 0);
	default:
		return -EINVAL;
	}
}

/* msgsnd/msgrcv: struct msgbuf has a long mtype (4 bytes on i386). */
static long sys32_msgsnd(struct user_thread *t, int id, uint32_t msgp, uint32_t sz, int flg)
{
	uint8_t *b = malloc(8 + (size_t)sz);
	int32_t type;
	if (user_copy_in(t, &type, msgp, 4) || user_copy_in(t, b + 8, msgp + 4, sz)) {
		free(b);
		return -EFAULT;
	}
	int64_t lt = type;
	memcpy(b, &lt, 8);
	long r = host_syscall(SYS_msgsnd, id, (long)b, sz, flg, 0, 0);
	free(b);
	return r;
}

static long sys32_msgrcv(struct user_thread *t, int id, uint32_t msgp, uint32_t sz, int32_t typ,
			 int flg)
{
	uint8_t *b = malloc(8 + (size_t)sz);
	long r = host_syscall(SYS_msgrcv, id, (long)b, sz, typ, flg, 0);
	if (r >= 0) {
		int64_t lt;
		memcpy(&lt, b, 8);
		int32_t t32 = (int32_t)lt;
		if (user_copy_out(t, msgp, &t32, 4) || user_copy_out(t, msgp + 4, b + 8, (size_t)r))
			r = -EFAULT;
	}
	free(b);
	return r;
}

static long sys32_ipc(struct user_thread *t, const uint64_t *a)
{
	struct user_proc *p = t->p;
	int call = S(0) & 0xffff, version = (int)(U(0) >> 16);
	switch (call) {
	case 1: /* semop */
		return host_syscall(SYS_semop, S(1), (long)g2h(p, U(4)), U(2), 0, 0, 0);
	case 2:
		return host_syscall(SYS_semget, S(1), S(2), S(3), 0, 0, 0);
	case 3: { /* semctl(id, num, cmd, union semun *ptr) */
		uint32_t arg = 0;
		if (U(4) && user_copy_in(t, &arg, U(4), 4))
			return -EFAULT;
		return sys32_semctl(t, S(1), S(2), S(3), arg);
	}
	case 11:
		return sys32_msgsnd(t, S(1), U(4), U(2), S(3));
	case 12:
		if (version == 0) { /* struct ipc_kludge { msgp, msgtyp } */
			uint32_t k[2];
			if (user_copy_in(t, k, U(4), 8))
				return -EFAULT;
			return sys32_msgrcv(t, S(1), k[0], U(2), (int32_t)k[1], S(3));
		}
		return sys32_msgrcv(t, S(1), U(4), U(2), S(5), S(3));
	case 13:
		return host_syscall(SYS_msgget, S(1), S(2), 0, 0, 0, 0);
	case 14:
		if ((S(2) & ~0x100) == IPC_RMID)
			return host_syscall(SYS_msgctl, S(1), IPC_RMID, 0, 0, 0, 0);
		return -EINVAL;
	case 21: { /* shmat(id, addr, flg, ulong *raddr) */
		uint64_t r = user_shmat(p, S(1), U(4), S(2));
		if (r > (uint64_t)-4096)
			return (long)r;
		uint32_t v = (uint32_t)r;
		return user_copy_out(t, U(3), &v, 4) ? -EFAULT : 0;
	}
	case 22:
		return user_shmdt(p, U(4));
	case 23:
		return host_syscall(SYS_shmget, S(1), U(2), S(3), 0, 0, 0);
	case 24:
		return sys32_shmctl(t, S(1), S(2), U(4));
	default:
		return -ENOSYS;
	}
}

long user_sys32_net(struct user_thread *t, long nr, uint64_t *a, int *handled)
{
	*handled = 1;
	switch (nr) {
	case 102:
		return sys32_socketcall(t, S(0), U(1));
	case 370:
		return sys32_sendrecvmsg(t, S(0), U(1), S(2), 0);
	case 372:
		return sys32_sendrecvmsg(t, S(0), U(1), S(2), 1);
	case 345:
		return sys32_mmsg(t, S(0), U(1), U(2), S(3), 0);
	case 337:
	case 417:
		return sys32_mmsg(t, S(0), U(1), U(2), S(3), 1);
	case 365:
		return sys32_getsockopt(t, S(0), S(1), S(2), U(3), U(4));
	case 366:
		return sys32_setsockopt(t, S(0), S(1), S(2), U(3), U(4));
	case 117:
		return sys32_ipc(t, a);
	case 394:
		return sys32_semctl(t, S(0), S(1), S(2), U(3));
	case 396:
		return sys32_shmctl(t, S(0), S(1), U(2));
	case 400:
		return sys32_msgsnd(t, S(0), U(1), U(2), S(3));
	case 401:
		return sys32_msgrcv(t, S(0), U(1), U(2), S(3), S(4));
	case 402:
		if ((S(1) & ~0x100) == IPC_RMID)
			return host_syscall(SYS_msgctl, S(0), IPC_RMID, 0, 0, 0, 0);
		return -EINVAL;
	default:
		*handled = 0;
		return 0;
	}
}
