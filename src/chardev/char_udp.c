/*
 * udp backend: one UDP socket bound to localaddr:localport and connected to
 * host:port.  Each write is one datagram (dropped if the host cannot send
 * now); a received datagram is handed to the frontend as fast as it takes
 * it, and the next one is read only when the last is used up.
 */
#include "chardev/chardev_int.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/vm.h"
#include "util/error.h"
#include "util/opts.h"

#define UDP_MAX 65536

struct chr_udp {
	struct chardev chr;
	char *host, *port, *laddr, *lport;
	bool ipv4, ipv6;
	int fd;
	bool reg;
	uint8_t *buf;
	size_t off, len; /* undelivered part of the last datagram */
};

static void chr_udp_update(struct chr_udp *s);

static void chr_udp_deliver(struct chr_udp *s)
{
	while (s->off < s->len) {
		size_t n = chardev_be_can_receive(&s->chr);
		if (!n)
			return;
		if (n > s->len - s->off)
			n = s->len - s->off;
		chardev_be_receive(&s->chr, s->buf + s->off, n);
		s->off += n;
	}
}

static void chr_udp_handler(void *opaque, int revents)
{
	struct chr_udp *s = opaque;
	if (s->off >= s->len) {
		ssize_t r = recv(s->fd, s->buf, UDP_MAX, MSG_DONTWAIT);
		if (r > 0) {
			s->off = 0;
			s->len = (size_t)r;
		}
		/* errors (ICMP port unreachable from a previous send): ignore */
	}
	chr_udp_deliver(s);
	chr_udp_update(s);
}

static void chr_udp_update(struct chr_udp *s)
{
	bool want = s->fd >= 0 && chardev_be_can_receive(&s->chr) > 0;
	if (want && !s->reg) {
		loop_set_fd(s->chr.vm, s->fd, POLLIN, chr_udp_handler, s);
		s->reg = true;
	} else if (!want && s->reg) {
		loop_del_fd(s->chr.vm, s->fd);
		s->reg = false;
	}
}

static int chr_udp_parse(struct chardev *chr, struct opts *o, struct error **errp)
{
	struct chr_udp *s = (struct chr_udp *)chr;
	const char *host = opts_get(o, "host"), *port = opts_get(o, "port");
	const char *laddr = opts_get(o, "localaddr"), *lport = opts_get(o, "localport");
	if (opts_get_bool(o, "ipv4", false, &s->ipv4, errp) < 0 || opts_get_bool(o, "ipv6", false, &s->ipv6, errp) < 0)
		return -1;
	if (!port || !*port) {
		error_setg(errp, "chardev: udp: remote port not specified");
		return -1;
	}
	s->host = strdup(host && *host ? host : "localhost");
	s->port = strdup(port);
	s->laddr = strdup(laddr ? laddr : "");
	s->lport = strdup(lport && *lport ? lport : "0");
	return 0;
}

static int chr_udp_open(struct chardev *chr, struct error **errp)
{
	struct chr_udp *s = (struct chr_udp *)chr;
	s->fd = -1;
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM };
	hints.ai_family = s->ipv4 && !s->ipv6 ? AF_INET : s->ipv6 && !s->ipv4 ? AF_INET6 : AF_UNSPEC;
	struct addrinfo *rem, *loc;
	int r = getaddrinfo(s->host, s->port, &hints, &rem);
	if (r) {
		error_setg(errp, "address resolution failed for %s:%s: %s", s->host, s->port, gai_strerror(r));
		return -1;
	}
	hints.ai_family = rem->ai_family; /* local address in the remote's family */
	hints.ai_flags = AI_PASSIVE;
	r = getaddrinfo(*s->laddr ? s->laddr : NULL, s->lport, &hints, &loc);
	if (r) {
		error_setg(errp, "address resolution failed for %s:%s: %s", s->laddr, s->lport, gai_strerror(r));
		freeaddrinfo(rem);
		return -1;
	}
	int fd = socket(rem->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, loc->ai_addr, loc->ai_addrlen) < 0) {
		error_setg_errno(errp, errno, "Failed to bind socket");
		goto fail;
	}
	if (connect(fd, rem->ai_addr, rem->ai_addrlen) < 0) {
		error_setg_errno(errp, errno, "Failed to connect to '%s:%s'", s->host, s->port);
		goto fail;
	}
	freeaddrinfo(rem);
	freeaddrinfo(loc);
	s->buf = malloc(UDP_MAX);
	if (!s->buf) {
		close(fd);
		error_setg(errp, "out of memory");
		return -1;
	}
	s->fd = fd;
	chr->be_open = true;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(rem);
	freeaddrinfo(loc);
	return -1;
}

static size_t chr_udp_write(struct chardev *chr, const uint8_t *buf, size_t len)
{
	struct chr_udp *s = (struct chr_udp *)chr;
	ssize_t r = send(s->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	return r < 0 ? 0 : (size_t)r;
}

static void chr_udp_accept_input(struct chardev *chr)
{
	struct chr_udp *s = (struct chr_udp *)chr;
	if (s->fd < 0)
		return;
	chr_udp_deliver(s);
	chr_udp_update(s);
}

static void chr_udp_close(struct chardev *chr)
{
	struct chr_udp *s = (struct chr_udp *)chr;
	if (s->buf) { /* opened */
		if (s->reg)
			loop_del_fd(chr->vm, s->fd);
		close(s->fd);
		free(s->buf);
	}
	free(s->host);
	free(s->port);
	free(s->laddr);
	free(s->lport);
}

const struct chardev_backend chr_udp_backend = {
	.name = "udp",
	.size = sizeof(struct chr_udp),
	.parse = chr_udp_parse,
	.open = chr_udp_open,
	.write = chr_udp_write,
	.accept_input = chr_udp_accept_input,
	.close = chr_udp_close,
};
