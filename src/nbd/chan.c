/*
 * Byte-stream channels to NBD clients: a plain socket here, TLS in tls.c, memory in
 * the fuzz harness.  The helpers loop over short reads and writes.
 */
#include "nbd/nbd.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int nbd_chan_read(struct nbd_chan *ch, void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len) {
		long n = ch->ops->recv(ch, p, len);
		if (n == -EINTR)
			continue;
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int nbd_chan_writev(struct nbd_chan *ch, const struct iovec *iov_in, int iovcnt)
{
	struct iovec iov[16];
	if (iovcnt > 16)
		return -EINVAL;
	for (int i = 0; i < iovcnt; i++)
		iov[i] = iov_in[i];
	struct iovec *v = iov;
	while (iovcnt > 0) {
		if (v->iov_len == 0) {
			v++;
			iovcnt--;
			continue;
		}
		long n = ch->ops->sendv(ch, v, iovcnt);
		if (n == -EINTR)
			continue;
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EPIPE;
		while (n > 0 && iovcnt > 0) {
			if ((size_t)n >= v->iov_len) {
				n -= (long)v->iov_len;
				v++;
				iovcnt--;
			} else {
				v->iov_base = (uint8_t *)v->iov_base + n;
				v->iov_len -= (size_t)n;
				n = 0;
			}
		}
	}
	return 0;
}

int nbd_chan_write(struct nbd_chan *ch, const void *buf, size_t len)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	return nbd_chan_writev(ch, &iov, 1);
}

/* ------------------------------------------------------------------ plain sockets */

struct fd_chan {
	struct nbd_chan ch;
	int fd;
};

static long fd_recv(struct nbd_chan *ch, void *buf, size_t len)
{
	struct fd_chan *f = (struct fd_chan *)ch;
	ssize_t n = recv(f->fd, buf, len, 0);
	return n < 0 ? -errno : n;
}

static long fd_sendv(struct nbd_chan *ch, const struct iovec *iov, int iovcnt)
{
	struct fd_chan *f = (struct fd_chan *)ch;
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
	/* MSG_NOSIGNAL: a client that vanished must not kill the server with SIGPIPE. */
	ssize_t n = sendmsg(f->fd, &m, MSG_NOSIGNAL);
	return n < 0 ? -errno : n;
}

static void fd_shutdown(struct nbd_chan *ch)
{
	struct fd_chan *f = (struct fd_chan *)ch;
	shutdown(f->fd, SHUT_RDWR);
}

static void fd_free(struct nbd_chan *ch)
{
	struct fd_chan *f = (struct fd_chan *)ch;
	close(f->fd);
	free(f);
}

static const struct nbd_chan_ops fd_chan_ops = {
	.recv = fd_recv,
	.sendv = fd_sendv,
	.shutdown = fd_shutdown,
	.free = fd_free,
};

struct nbd_chan *nbd_chan_new_fd(int fd)
{
	struct fd_chan *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->ch.ops = &fd_chan_ops;
	f->fd = fd;
	return &f->ch;
}
