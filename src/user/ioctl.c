/*
 * ioctl for i386 guests.  The terminal structures (termios, winsize) and
 * most ioctl arguments are the same on i386 and x86_64; what differs is
 * whether the third argument is a pointer (translated by guest_base) or
 * an integer.  Encoded ioctls (_IOC with a size) always take a pointer;
 * the classic tty ioctls listed below take integers.
 */
#include "user.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>

static int ioctl_int_arg(unsigned cmd)
{
	switch (cmd) {
	case TCSBRK: case TCXONC: case TCFLSH: case TIOCSCTTY: case TCSBRKP:
	case TIOCSBRK: case TIOCCBRK: case FIOCLEX: case FIONCLEX: case TIOCNOTTY:
	case TIOCEXCL: case TIOCNXCL: case TIOCCONS: case 0x5437 /* TIOCVHANGUP */:
		return 1;
	default:
		return 0;
	}
}

long user_ioctl32(struct user_thread *t, int fd, unsigned cmd, uint32_t arg)
{
	struct user_proc *p = t->p;
	long harg;
	if (ioctl_int_arg(cmd) || (!arg && !(cmd >> 16)))
		harg = (long)(int32_t)arg;
	else
		harg = (long)g2h(p, arg);
	if (cmd == FIONREAD || cmd == TCGETS || cmd == TIOCGWINSZ || cmd == TIOCGPGRP)
		user_prepare_write(p, arg, 64);
	return host_syscall(SYS_ioctl, fd, cmd, harg, 0, 0, 0);
}
