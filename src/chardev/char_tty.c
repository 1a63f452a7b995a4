/*
 * Terminal backends: stdio (the emulator's own terminal, raw while lemu
 * runs), pty (a new pseudo-terminal for screen/minicom), and serial/tty
 * (a host serial port or terminal device).
 */
#include "chardev/chardev_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/vm.h"
#include "util/error.h"
#include "util/opts.h"

/* ---- stdio ---- */

struct chr_stdio {
	struct chardev chr;
	struct chr_io io;
	bool allow_signal;   /* signal=on: ^C still kills lemu */
	bool saved;          /* saved_tty holds the terminal's mode */
	int tty_fd;
	struct termios saved_tty;
};

static int chr_stdio_parse(struct chardev *chr, struct opts *o, struct error **errp)
{
	struct chr_stdio *s = (struct chr_stdio *)chr;
	return opts_get_bool(o, "signal", true, &s->allow_signal, errp);
}

/* Raw input with output post-processing kept, as QEMU sets the terminal:
 * no echo, no line editing, no CR/NL translation on input, 8 bits. */
static void chr_stdio_raw(struct chr_stdio *s)
{
	struct termios t = s->saved_tty;
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_oflag |= OPOST;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | IEXTEN);
	if (!s->allow_signal)
		t.c_lflag &= ~(tcflag_t)ISIG;
	t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tcsetattr(s->tty_fd, TCSANOW, &t);
}

static int chr_stdio_open(struct chardev *chr, struct error **errp)
{
	struct chr_stdio *s = (struct chr_stdio *)chr;
	for (struct chardev *c = chr->vm->chardevs; c; c = c->next) {
		if (c != chr && c->be == &chr_stdio_backend) {
			error_setg(errp, "cannot use stdio by multiple character devices");
			return -1;
		}
	}
	s->tty_fd = 0;
	if (isatty(0) && tcgetattr(0, &s->saved_tty) == 0) {
		s->saved = true;
		chr_stdio_raw(s);
	}
	chr_io_init(&s->io, chr, 0, 1);
	/* stdout may be shared with stderr and the shell: keep it blocking and
	 * write completely (as a terminal user expects every byte). */
	s->io.out_blocking = true;
	chr->be_open = true;
	return 0;
}

static size_t chr_stdio_write(struct chardev *chr, const uint8_t *buf, size_t len)
{
	return chr_io_write(&((struct chr_stdio *)chr)->io, buf, len);
}

static void chr_stdio_accept_input(struct chardev *chr)
{
	chr_io_update(&((struct chr_stdio *)chr)->io);
}

static void chr_stdio_restore(struct chardev *chr)
{
	struct chr_stdio *s = (struct chr_stdio *)chr;
	if (s->saved)
		tcsetattr(s->tty_fd, TCSANOW, &s->saved_tty);
}

static void chr_stdio_close(struct chardev *chr)
{
	struct chr_stdio *s = (struct chr_stdio *)chr;
	chr_stdio_restore(chr);
	s->saved = false;
	if (s->io.chr) {
		/* stdin/stdout belong to the process: unregister, do not close */
		chr_io_stop(&s->io);
		free(s->io.obuf);
	}
}

const struct chardev_backend chr_stdio_backend = {
	.name = "stdio",
	.size = sizeof(struct chr_stdio),
	.parse = chr_stdio_parse,
	.open = chr_stdio_open,
	.write = chr_stdio_write,
	.accept_input = chr_stdio_accept_input,
	.restore_terminal = chr_stdio_restore,
	.close = chr_stdio_close,
};

/* ---- pty ----
 * The master is ours; nothing is connected until a program opens the
 * slave.  While the slave is closed the master reports POLLHUP, so we stop
 * watching it and look again every second (and on output), as QEMU does;
 * output meanwhile is dropped. */

#define PTY_POLL_NS 1000000000LL

struct chr_pty {
	struct chardev chr;
	struct chr_io io;
	int master;
	bool connected;
	struct timer timer;
	bool timer_ready;
	char path[64];
};

static bool chr_pty_slave_open(struct chr_pty *s)
{
	struct pollfd p = { .fd = s->master, .events = POLLIN };
	if (poll(&p, 1, 0) < 0)
		return false;
	return !(p.revents & POLLHUP);
}

static void chr_pty_set_connected(struct chr_pty *s, bool on)
{
	if (s->connected == on)
		return;
	s->connected = on;
	if (on) {
		timer_del(&s->timer);
		s->io.in_fd = s->io.out_fd = s->master;
		s->io.rdhup_seen = false;
		chardev_be_set_open(&s->chr, true);
		chr_io_update(&s->io);
	} else {
		chr_io_stop(&s->io);
		s->io.in_fd = s->io.out_fd = -1;
		chardev_be_set_open(&s->chr, false);
		timer_mod(&s->timer, vm_clock_ns(s->chr.vm) + PTY_POLL_NS);
	}
}

static void chr_pty_timer(void *opaque)
{
	struct chr_pty *s = opaque;
	if (chr_pty_slave_open(s))
		chr_pty_set_connected(s, true);
	else
		timer_mod(&s->timer, vm_clock_ns(s->chr.vm) + PTY_POLL_NS);
}

static void chr_pty_hangup(struct chr_io *io)
{
	chr_pty_set_connected((struct chr_pty *)io->chr, false);
}

static void chr_pty_check_bh(void *opaque)
{
	struct chr_pty *s = opaque;
	if (!s->connected && chr_pty_slave_open(s))
		chr_pty_set_connected(s, true);
}

static int chr_pty_open(struct chardev *chr, struct error **errp)
{
	struct chr_pty *s = (struct chr_pty *)chr;
	s->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s->master < 0 || grantpt(s->master) < 0 || unlockpt(s->master) < 0 ||
	    ptsname_r(s->master, s->path, sizeof(s->path)) != 0) {
		error_setg_errno(errp, errno, "Failed to create PTY");
		if (s->master >= 0)
			close(s->master);
		s->master = -1;
		return -1;
	}
	/* Raw line discipline on the slave, so the guest sees every byte. */
	int slave = open(s->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave >= 0) {
		struct termios t;
		if (tcgetattr(slave, &t) == 0) {
			cfmakeraw(&t);
			tcsetattr(slave, TCSANOW, &t);
		}
		close(slave);
	}
	chr_set_nonblock(s->master);
	chr_io_init(&s->io, chr, -1, -1);
	s->io.hangup = chr_pty_hangup;
	s->io.watch_hup = true;
	timer_init(&s->timer, chr->vm, chr_pty_timer, s);
	s->timer_ready = true;
	chardev_set_filename(chr, "pty:%s", s->path);
	/* QEMU prints this on stdout; scripts look for it there. */
	printf("char device redirected to %s (label %s)\n", s->path, chr->id);
	fflush(stdout);
	if (chr_pty_slave_open(s))
		chr_pty_set_connected(s, true);
	else
		timer_mod(&s->timer, vm_clock_ns(chr->vm) + PTY_POLL_NS);
	return 0;
}

static size_t chr_pty_write(struct chardev *chr, const uint8_t *buf, size_t len)
{
	struct chr_pty *s = (struct chr_pty *)chr;
	if (!s->connected) {
		/* Someone may have opened the slave since the last look. */
		if (chr_pty_slave_open(s))
			loop_schedule(chr->vm, chr_pty_check_bh, s);
		return 0;
	}
	return chr_io_write(&s->io, buf, len);
}

static void chr_pty_accept_input(struct chardev *chr)
{
	struct chr_pty *s = (struct chr_pty *)chr;
	if (s->connected)
		chr_io_update(&s->io);
}

static void chr_pty_close(struct chardev *chr)
{
	struct chr_pty *s = (struct chr_pty *)chr;
	if (!s->timer_ready)
		return; /* never opened (or open failed and cleaned up) */
	timer_del(&s->timer);
	if (s->io.chr) {
		chr_io_stop(&s->io);
		free(s->io.obuf);
	}
	if (s->master >= 0)
		close(s->master);
}

const struct chardev_backend chr_pty_backend = {
	.name = "pty",
	.size = sizeof(struct chr_pty),
	.open = chr_pty_open,
	.write = chr_pty_write,
	.accept_input = chr_pty_accept_input,
	.close = chr_pty_close,
};

const char *chardev_pty_path(struct chardev *chr)
{
	return chr->be == &chr_pty_backend ? ((struct chr_pty *)chr)->path : NULL;
}

/* ---- serial / tty: a host terminal device ---- */

struct chr_serial {
	struct chardev chr;
	struct chr_io io;
	char *path;
};

static int chr_serial_parse(struct chardev *chr, struct opts *o, struct error **errp)
{
	struct chr_serial *s = (struct chr_serial *)chr;
	const char *path = opts_get(o, "path");
	if (!path) {
		error_setg(errp, "chardev: serial/tty: no device path given");
		return -1;
	}
	s->path = strdup(path);
	return 0;
}

static int chr_serial_open(struct chardev *chr, struct error **errp)
{
	struct chr_serial *s = (struct chr_serial *)chr;
	int fd = open(s->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		error_setg_errno(errp, errno, "Could not open '%s'", s->path);
		return -1;
	}
	struct termios t;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	chr_io_init(&s->io, chr, fd, fd);
	chardev_set_filename(chr, "%s", s->path);
	chr->be_open = true;
	return 0;
}

static size_t chr_serial_write(struct chardev *chr, const uint8_t *buf, size_t len)
{
	return chr_io_write(&((struct chr_serial *)chr)->io, buf, len);
}

static void chr_serial_accept_input(struct chardev *chr)
{
	chr_io_update(&((struct chr_serial *)chr)->io);
}

static void chr_serial_close(struct chardev *chr)
{
	struct chr_serial *s = (struct chr_serial *)chr;
	if (s->io.chr)
		chr_io_close(&s->io);
	free(s->path);
}

const struct chardev_backend chr_serial_backend = {
	.name = "serial",
	.size = sizeof(struct chr_serial),
	.parse = chr_serial_parse,
	.open = chr_serial_open,
	.write = chr_serial_write,
	.accept_input = chr_serial_accept_input,
	.close = chr_serial_close,
};
