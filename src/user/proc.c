/*
 * /proc/self emulation: the files whose host contents describe lemu
 * instead of the guest (exe, maps, auxv, cmdline) are answered from the
 * emulator's bookkeeping.  Content files are served through a memfd.
 */
#include "user.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* If path names /proc/self/<x> (or our pid, or thread-self, or our tid),
 * return <x>; else NULL. */
static const char *proc_self_entry(struct user_thread *t, int dirfd, const char *path)
{
	char pfx[64];
	(void)dirfd;
	if (strncmp(path, "/proc/", 6))
		return NULL;
	const char *r = path + 6;
	if (!strncmp(r, "self/", 5))
		return r + 5;
	if (!strncmp(r, "thread-self/", 12))
		return r + 12;
	int n = snprintf(pfx, sizeof(pfx), "%d/", (int)getpid());
	if (!strncmp(r, pfx, (size_t)n))
		return r + n;
	n = snprintf(pfx, sizeof(pfx), "%d/task/%d/", (int)getpid(), t->tid);
	if (!strncmp(r, pfx, (size_t)n))
		return r + n;
	return NULL;
}

static long memfd_with(const void *data, size_t len, int flags)
{
	int fd = memfd_create("lemu-proc", (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
	if (fd < 0)
		return -errno;
	const char *d = data;
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, d + off, len - off);
		if (w <= 0) {
			close(fd);
			return -EIO;
		}
		off += (size_t)w;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

long user_open_special(struct user_thread *t, int dirfd, const char *path, int flags, int mode,
		       int *handled)
{
	struct user_proc *p = t->p;
	*handled = 0;
	const char *e = proc_self_entry(t, dirfd, path);
	if (!e)
		return 0;
	if (!strcmp(e, "exe")) {
		*handled = 1;
		int fd = open(p->exe_path, flags, mode);
		return fd < 0 ? -errno : fd;
	}
	if ((flags & O_ACCMODE) != O_RDONLY)
		return 0;
	if (!strcmp(e, "maps")) {
		char *txt;
		size_t len;
		*handled = 1;
		long r = user_maps_text(p, &txt, &len);
		if (r)
			return r;
		r = memfd_with(txt, len, flags);
		free(txt);
		return r;
	}
	if (!strcmp(e, "auxv")) {
		*handled = 1;
		return memfd_with(p->auxv, p->auxv_len, flags);
	}
	if (!strcmp(e, "cmdline")) {
		*handled = 1;
		return memfd_with(p->cmdline, p->cmdline_len, flags);
	}
	return 0;
}

long user_readlink_special(struct user_thread *t, int dirfd, const char *path, char *buf,
			   size_t sz, int *handled)
{
	struct user_proc *p = t->p;
	*handled = 0;
	const char *e = proc_self_entry(t, dirfd, path);
	if (!e || strcmp(e, "exe"))
		return 0;
	*handled = 1;
	size_t l = strlen(p->exe_path);
	if (l > sz)
		l = sz;
	memcpy(buf, p->exe_path, l);
	return (long)l;
}
