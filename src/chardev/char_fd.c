/*
 * The fd engine shared by fd-based backends, and the simple backends on it:
 * null, file, pipe.
 *
 * Input is read only while the frontend can take it (can_receive > 0);
 * otherwise POLLIN is not watched and chardev_accept_input re-arms it.
 * Output to a non-blocking descriptor is written at once, the rest kept in
 * a bounded buffer flushed on POLLOUT and dropped beyond CHR_OUTBUF_MAX, so
 * a stalled reader never stalls the guest.  Files (and stdout) get
 * complete, blocking writes instead.
 */
#include "chardev/chardev_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/vm.h"
#include "util/error.h"
#include "util/opts.h"

int chr_write_full(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t r = write(fd, buf, len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				/* A non-blocking descriptor someone else set up: wait. */
				struct pollfd p = { .fd = fd, .events = POLLOUT };
				poll(&p, 1, -1);
				continue;
			}
			return -errno;
		}
		buf += r;
		len -= (size_t)r;
	}
	return 0;
}

void chr_io_init(struct chr_io *io, struct chardev *chr, int in_fd, int out_fd)
{
	memset(io, 0, sizeof(*io));
	io->chr = chr;
	io->in_fd = in_fd;
	io->out_fd = out_fd;
}

static void chr_io_hangup(struct chr_io *io)
{
	if (io->hangup)
		io->hangup(io);
	else
		io->in_eof = true;
}

static void chr_io_read(struct chr_io *io)
{
	size_t n = chardev_be_can_receive(io->chr);
	if (!n)
		return;
	if (n > CHR_READ_MAX)
		n = CHR_READ_MAX;
	uint8_t buf[CHR_READ_MAX];
	ssize_t r = read(io->in_fd, buf, n);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		/* EOF, or EIO from a pty master whose slave closed */
		chr_io_hangup(io);
		return;
	}
	if (io->filter)
		io->filter(io, buf, (size_t)r);
	else
		chardev_be_receive(io->chr, buf, (size_t)r);
}

/* Write what the descriptor takes now; returns bytes written or -errno. */
static ssize_t chr_io_try_write(struct chr_io *io, const uint8_t *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t r;
		if (io->is_socket)
			r = send(io->out_fd, buf + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		else
			r = write(io->out_fd, buf + done, len - done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return done ? (ssize_t)done : -errno;
		}
		done += (size_t)r;
	}
	return (ssize_t)done;
}

static void chr_io_flush(struct chr_io *io)
{
	if (!io->olen || io->out_fd < 0)
		return;
	ssize_t r = chr_io_try_write(io, io->obuf, io->olen);
	if (r < 0) {
		io->olen = 0;
		chr_io_hangup(io);
		return;
	}
	memmove(io->obuf, io->obuf + r, io->olen - (size_t)r);
	io->olen -= (size_t)r;
}

static void chr_io_handler(void *opaque, int revents)
{
	struct chr_io *io = opaque;
	bool same = io->in_fd == io->out_fd;
	if ((revents & POLLOUT) && io->out_fd >= 0)
		chr_io_flush(io);
	if (io->in_fd >= 0 && !io->in_eof && (revents & (POLLIN | POLLHUP | POLLERR | POLLRDHUP))) {
		int unread = 0;
		if (io->watch_in)
			chr_io_read(io);
		else if (revents & (POLLHUP | POLLERR))
			chr_io_hangup(io); /* peer gone while we were not reading */
		else if (ioctl(io->in_fd, FIONREAD, &unread) == 0 && unread == 0)
			chr_io_hangup(io); /* peer closed, nothing left to read */
		else
			io->rdhup_seen = true; /* deliver what is left first */
	} else if (same && (revents & (POLLHUP | POLLERR)) && io->in_fd >= 0) {
		chr_io_hangup(io);
	}
	chr_io_update(io);
}

static void chr_io_out_handler(void *opaque, int revents)
{
	struct chr_io *io = opaque;
	if (revents & (POLLERR | POLLHUP)) {
		io->olen = 0;
		chr_io_hangup(io);
	} else {
		chr_io_flush(io);
	}
	chr_io_update(io);
}

static void chr_io_watch(struct chr_io *io, int fd, short events, bool *reg, fd_handler h)
{
	struct vm *vm = io->chr->vm;
	if (events) {
		loop_set_fd(vm, fd, events, h, io);
		*reg = true;
	} else if (*reg) {
		loop_del_fd(vm, fd);
		*reg = false;
	}
}

void chr_io_update(struct chr_io *io)
{
	io->watch_in = io->in_fd >= 0 && !io->in_eof && chardev_be_can_receive(io->chr) > 0;
	io->watch_out = io->out_fd >= 0 && io->olen > 0;
	if (io->in_fd >= 0 && io->in_fd == io->out_fd) {
		short ev = (io->watch_in ? POLLIN : 0) | (io->watch_out ? POLLOUT : 0);
		if (io->watch_hup && !io->watch_in && !io->in_eof && !io->rdhup_seen) {
			/* POLLHUP/POLLERR come unasked; POLLRDHUP is a socket peer's FIN */
			ev |= POLLRDHUP;
		}
		chr_io_watch(io, io->in_fd, ev, &io->in_reg, chr_io_handler);
		return;
	}
	if (io->in_fd >= 0)
		chr_io_watch(io, io->in_fd, io->watch_in ? POLLIN : 0, &io->in_reg, chr_io_handler);
	if (io->out_fd >= 0)
		chr_io_watch(io, io->out_fd, io->watch_out ? POLLOUT : 0, &io->out_reg, chr_io_out_handler);
}

static void chr_io_bh(void *opaque)
{
	struct chr_io *io = opaque;
	io->update_pending = false;
	chr_io_update(io);
}

void chr_io_kick(struct chr_io *io)
{
	if (io->update_pending)
		return;
	io->update_pending = true;
	loop_schedule(io->chr->vm, chr_io_bh, io);
}

size_t chr_io_write(struct chr_io *io, const uint8_t *buf, size_t len)
{
	if (io->out_fd < 0)
		return 0;
	if (io->out_blocking)
		return chr_write_full(io->out_fd, buf, len) < 0 ? 0 : len;
	size_t done = 0;
	if (!io->olen) {
		ssize_t r = chr_io_try_write(io, buf, len);
		if (r < 0)
			return 0; /* the reader is gone; POLLHUP/EOF handling follows */
		done = (size_t)r;
	}
	size_t rest = len - done;
	if (rest) {
		size_t room = CHR_OUTBUF_MAX - io->olen;
		if (rest > room)
			rest = room; /* drop the excess */
		if (io->olen + rest > io->ocap) {
			size_t cap = io->ocap ? io->ocap : 4096;
			while (cap < io->olen + rest)
				cap *= 2;
			uint8_t *nb = realloc(io->obuf, cap);
			if (!nb)
				return done;
			io->obuf = nb;
			io->ocap = cap;
		}
		bool was_empty = io->olen == 0;
		memcpy(io->obuf + io->olen, buf + done, rest);
		io->olen += rest;
		done += rest;
		if (was_empty)
			chr_io_kick(io);
	}
	return done;
}

void chr_io_stop(struct chr_io *io)
{
	struct vm *vm = io->chr->vm;
	if (io->in_reg)
		loop_del_fd(vm, io->in_fd);
	if (io->out_reg && io->out_fd != io->in_fd)
		loop_del_fd(vm, io->out_fd);
	io->in_reg = io->out_reg = false;
	io->watch_in = io->watch_out = false;
	io->olen = 0;
}

void chr_io_close(struct chr_io *io)
{
	chr_io_stop(io);
	if (io->in_fd >= 0)
		close(io->in_fd);
	if (io->out_fd >= 0 && io->out_fd != io->in_fd)
		close(io->out_fd);
	io->in_fd = io->out_fd = -1;
	free(io->obuf);
	io->obuf = NULL;
	io->ocap = 0;
}

/* ---- null ---- */

static int chr_null_open(struct chardev *chr, struct error **errp)
{
	chr->be_open = true;
	return 0;
}

static size_t chr_null_write(struct chardev *chr, const uint8_t *buf, size_t len)
{
	return len;
}

const struct chardev_backend chr_null_backend = {
	.name = "null",
	.size = sizeof(struct chardev),
	.open = chr_null_open,
	.write = chr_null_write,
};

/* ---- file and pipe: both struct chr_fd ---- */

struct chr_fd {
	struct chardev chr;
	struct chr_io io;
	char *path, *in_path;
	bool append;
};

static size_t chr_fd_write(struct chardev *chr, const uint8_t *buf, size_t len)
{
	struct chr_fd *s = (struct chr_fd *)chr;
	return chr_io_write(&s->io, buf, len);
}

static void chr_fd_accept_input(struct chardev *chr)
{
	chr_io_update(&((struct chr_fd *)chr)->io);
}

static void chr_fd_close(struct chardev *chr)
{
	struct chr_fd *s = (struct chr_fd *)chr;
	if (s->io.chr)
		chr_io_close(&s->io);
	free(s->path);
	free(s->in_path);
}

static int chr_file_parse(struct chardev *chr, struct opts *o, struct error **errp)
{
	struct chr_fd *s = (struct chr_fd *)chr;
	const char *path = opts_get(o, "path");
	const char *in = opts_get(o, "input-path");
	if (opts_get_bool(o, "append", false, &s->append, errp) < 0)
		return -1;
	if (!path) {
		error_setg(errp, "chardev: file: no filename given");
		return -1;
	}
	s->path = strdup(path);
	s->in_path = in ? strdup(in) : NULL;
	return 0;
}

static int chr_file_open(struct chardev *chr, struct error **errp)
{
	struct chr_fd *s = (struct chr_fd *)chr;
	int out = open(s->path, O_WRONLY | O_CREAT | O_CLOEXEC | (s->append ? O_APPEND : O_TRUNC), 0666);
	if (out < 0) {
		error_setg_errno(errp, errno, "Could not open '%s'", s->path);
		return -1;
	}
	int in = -1;
	if (s->in_path) {
		in = open(s->in_path, O_RDONLY | O_CLOEXEC);
		if (in < 0) {
			error_setg_errno(errp, errno, "Could not open '%s'", s->in_path);
			close(out);
			return -1;
		}
	}
	chr_io_init(&s->io, chr, in, out);
	s->io.out_blocking = true; /* writes to a file are complete */
	chr->be_open = true;
	return 0;
}

const struct chardev_backend chr_file_backend = {
	.name = "file",
	.size = sizeof(struct chr_fd),
	.parse = chr_file_parse,
	.open = chr_file_open,
	.write = chr_fd_write,
	.accept_input = chr_fd_accept_input,
	.close = chr_fd_close,
};

static int chr_pipe_parse(struct chardev *chr, struct opts *o, struct error **errp)
{
	struct chr_fd *s = (struct chr_fd *)chr;
	const char *path = opts_get(o, "path");
	if (!path) {
		error_setg(errp, "chardev: pipe: no filename given");
		return -1;
	}
	s->path = strdup(path);
	return 0;
}

/* QEMU's pipe: PATH.in and PATH.out when both exist, else PATH both ways.
 * O_RDWR so that opening a FIFO does not wait for the other end. */
static int chr_pipe_open(struct chardev *chr, struct error **errp)
{
	struct chr_fd *s = (struct chr_fd *)chr;
	char *pin = NULL, *pout = NULL;
	int in = -1, out = -1;
	if (asprintf(&pin, "%s.in", s->path) >= 0 && asprintf(&pout, "%s.out", s->path) >= 0) {
		in = open(pin, O_RDWR | O_CLOEXEC);
		out = open(pout, O_RDWR | O_CLOEXEC);
	}
	free(pin);
	free(pout);
	if (in < 0 || out < 0) {
		if (in >= 0)
			close(in);
		if (out >= 0)
			close(out);
		in = out = open(s->path, O_RDWR | O_CLOEXEC);
		if (in < 0) {
			error_setg_errno(errp, errno, "Could not open '%s'", s->path);
			return -1;
		}
	}
	chr_set_nonblock(in);
	chr_set_nonblock(out);
	chr_io_init(&s->io, chr, in, out);
	chr->be_open = true;
	return 0;
}

const struct chardev_backend chr_pipe_backend = {
	.name = "pipe",
	.size = sizeof(struct chr_fd),
	.parse = chr_pipe_parse,
	.open = chr_pipe_open,
	.write = chr_fd_write,
	.accept_input = chr_fd_accept_input,
	.close = chr_fd_close,
};
