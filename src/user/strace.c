/*
 * -strace / -d strace: print each system call with decoded arguments and
 * its result, in the shape qemu-user prints them:
 *   PID name(arg,arg,...) = result
 */
#include "user.h"

#include "strace_defs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const char *strace_name(int abi32, long nr)
{
	const struct strace_def *d = strace_def(abi32, nr);
	return d ? d->name : NULL;
}

struct flagname {
	unsigned long v;
	const char *n;
};

static const struct flagname open_flags[] = {
	{ O_WRONLY, "O_WRONLY" }, { O_RDWR, "O_RDWR" }, { O_CREAT, "O_CREAT" },
	{ O_EXCL, "O_EXCL" }, { O_NOCTTY, "O_NOCTTY" }, { O_TRUNC, "O_TRUNC" },
	{ O_APPEND, "O_APPEND" }, { O_NONBLOCK, "O_NONBLOCK" }, { O_DSYNC, "O_DSYNC" },
	{ O_ASYNC, "O_ASYNC" }, { O_DIRECT, "O_DIRECT" }, { O_LARGEFILE, "O_LARGEFILE" },
	{ O_DIRECTORY, "O_DIRECTORY" }, { O_NOFOLLOW, "O_NOFOLLOW" }, { O_NOATIME, "O_NOATIME" },
	{ O_CLOEXEC, "O_CLOEXEC" }, { O_PATH, "O_PATH" }, { 0, NULL },
};
static const struct flagname prot_flags[] = {
	{ PROT_READ, "PROT_READ" }, { PROT_WRITE, "PROT_WRITE" }, { PROT_EXEC, "PROT_EXEC" },
	{ PROT_GROWSDOWN, "PROT_GROWSDOWN" }, { PROT_GROWSUP, "PROT_GROWSUP" }, { 0, NULL },
};
static const struct flagname mmap_flags[] = {
	{ MAP_FIXED, "MAP_FIXED" }, { MAP_ANONYMOUS, "MAP_ANONYMOUS" },
	{ MAP_GROWSDOWN, "MAP_GROWSDOWN" }, { MAP_DENYWRITE, "MAP_DENYWRITE" },
	{ MAP_EXECUTABLE, "MAP_EXECUTABLE" }, { MAP_LOCKED, "MAP_LOCKED" },
	{ MAP_NORESERVE, "MAP_NORESERVE" }, { MAP_POPULATE, "MAP_POPULATE" },
	{ MAP_NONBLOCK, "MAP_NONBLOCK" }, { MAP_STACK, "MAP_STACK" },
	{ MAP_HUGETLB, "MAP_HUGETLB" }, { 0x100000, "MAP_FIXED_NOREPLACE" }, { 0, NULL },
};

struct sbuf {
	char *b;
	size_t sz, n;
};

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (s->n < s->sz) {
		int r = vsnprintf(s->b + s->n, s->sz - s->n, fmt, ap);
		if (r > 0)
			s->n += (size_t)r;
		if (s->n >= s->sz)
			s->n = s->sz - 1;
	}
	va_end(ap);
}

static void sb_flags(struct sbuf *s, unsigned long v, const struct flagname *f)
{
	int first = 1;
	for (; f->n; f++)
		if ((v & f->v) == f->v && f->v) {
			sb_printf(s, "%s%s", first ? "" : "|", f->n);
			v &= ~f->v;
			first = 0;
		}
	if (v || first)
		sb_printf(s, "%s%#lx", first ? "" : "|", v);
}

static const char *const signames[] = {
	NULL, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
	"SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
	"SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
	"SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
};

static void sb_arg(struct sbuf *s, struct user_thread *t, char f, uint64_t v, int abi32)
{
	if (abi32 && f != 'l')
		v = (uint32_t)v;
	switch (f) {
	case 'd':
		sb_printf(s, "%d", (int)v);
		break;
	case 'u':
		sb_printf(s, "%" PRIu64, v);
		break;
	case 'l':
		sb_printf(s, "%" PRId64, (int64_t)v);
		break;
	case 'x':
		sb_printf(s, "%#" PRIx64, v);
		break;
	case 'o':
		if (!v)
			sb_printf(s, "F_OK");
		else
			sb_printf(s, "%s%s%s", v & 4 ? "R_OK" : "", v & 2 ? (v & 4 ? "|W_OK" : "W_OK") : "",
				  v & 1 ? (v & 6 ? "|X_OK" : "X_OK") : "");
		break;
	case 'm':
		sb_printf(s, "0%" PRIo64, v);
		break;
	case 'F':
		if ((int)v == AT_FDCWD)
			sb_printf(s, "AT_FDCWD");
		else
			sb_printf(s, "%d", (int)v);
		break;
	case 'O':
		if ((v & O_ACCMODE) == O_RDONLY) {
			sb_printf(s, "O_RDONLY");
			if (v & ~(uint64_t)O_ACCMODE) {
				sb_printf(s, "|");
				sb_flags(s, (unsigned long)(v & ~(uint64_t)O_ACCMODE), open_flags);
			}
		} else
			sb_flags(s, (unsigned long)v, open_flags);
		break;
	case 'P':
		if (!v)
			sb_printf(s, "PROT_NONE");
		else
			sb_flags(s, (unsigned long)v, prot_flags);
		break;
	case 'M': {
		unsigned long type = v & MAP_TYPE;
		sb_printf(s, "%s", type == MAP_SHARED ? "MAP_SHARED" : type == MAP_PRIVATE ? "MAP_PRIVATE" : "MAP_SHARED_VALIDATE");
		if (v & ~(uint64_t)MAP_TYPE) {
			sb_printf(s, "|");
			sb_flags(s, (unsigned long)(v & ~(uint64_t)MAP_TYPE), mmap_flags);
		}
		break;
	}
	case 'S':
		if (v < sizeof(signames) / sizeof(signames[0]) && signames[v])
			sb_printf(s, "%s", signames[v]);
		else
			sb_printf(s, "%d", (int)v);
		break;
	case 's': {
		char str[256];
		if (!v) {
			sb_printf(s, "NULL");
			break;
		}
		long r = t ? user_strncpy_in(t, str, v, sizeof(str)) : -EFAULT;
		if (r == -EFAULT)
			sb_printf(s, "%#" PRIx64, v);
		else
			sb_printf(s, "\"%s\"%s", str, r == -ENAMETOOLONG ? "..." : "");
		break;
	}
	case 'p':
	default:
		if (!v)
			sb_printf(s, "NULL");
		else
			sb_printf(s, "%#" PRIx64, v);
		break;
	}
}

int strace_format_call(char *buf, size_t sz, struct user_thread *t, int abi32, long nr,
		       const uint64_t a[6])
{
	struct sbuf s = { buf, sz, 0 };
	buf[0] = 0;
	const struct strace_def *d = strace_def(abi32, nr);
	if (!d) {
		sb_printf(&s, "Unknown syscall %ld", nr);
		return (int)s.n;
	}
	sb_printf(&s, "%s(", d->name);
	if (d->fmt) {
		for (int i = 0; d->fmt[i] && i < 6; i++) {
			if (i)
				sb_printf(&s, ",");
			sb_arg(&s, t, d->fmt[i], a[i], abi32);
		}
	} else {
		for (int i = 0; i < 6; i++)
			sb_printf(&s, "%s%" PRId64, i ? "," : "", abi32 ? (int64_t)(int32_t)a[i] : (int64_t)a[i]);
	}
	sb_printf(&s, ")");
	return (int)s.n;
}

int strace_format_ret(char *buf, size_t sz, long nr, long ret, int abi32)
{
	const char *n = strace_name(abi32, nr);
	if (abi32)
		ret = (int32_t)ret;
	if (ret < 0 && ret >= -4095) {
		return snprintf(buf, sz, " = -1 errno=%ld (%s)", -ret, strerror((int)-ret));
	}
	if (n && (!strcmp(n, "mmap") || !strcmp(n, "mmap2") || !strcmp(n, "brk") ||
		  !strcmp(n, "mremap") || !strcmp(n, "shmat")))
		return snprintf(buf, sz, abi32 ? " = 0x%08lx" : " = 0x%016lx", abi32 ? (unsigned long)(uint32_t)ret : (unsigned long)ret);
	return snprintf(buf, sz, " = %ld", ret);
}

static FILE *strace_out(struct user_proc *p)
{
	return p->log ? p->log : stderr;
}

void strace_enter(struct user_thread *t, long nr, const uint64_t a[6])
{
	char buf[1024];
	strace_format_call(buf, sizeof(buf), t, t->p->abi32, nr, a);
	FILE *f = strace_out(t->p);
	fprintf(f, "%d %s", (int)getpid(), buf);
	const char *n = strace_name(t->p->abi32, nr);
	if (n && (!strcmp(n, "exit") || !strcmp(n, "exit_group")))
		fputc('\n', f);
	fflush(f);
}

void strace_exit(struct user_thread *t, long nr, long ret)
{
	char buf[256];
	if (ret == -USER_ESIGRETURN) {
		fputc('\n', strace_out(t->p));
		return;
	}
	strace_format_ret(buf, sizeof(buf), nr, ret, t->p->abi32);
	FILE *f = strace_out(t->p);
	fprintf(f, "%s\n", buf);
	fflush(f);
}
