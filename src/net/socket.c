/*
 * -netdev socket: Ethernet frames over a host socket, to connect VMs.
 *   listen=[host]:port   TCP server, one peer at a time
 *   connect=host:port    TCP client
 *   mcast=maddr:port[,localaddr=addr]   UDP multicast group (every member sees every frame)
 *   udp=host:port,localaddr=host:port   UDP unicast between two ends
 *   fd=N                 an already open socket (stream or datagram by its type)
 * On TCP each frame is preceded by its length as a 32-bit big-endian
 * number, QEMU's framing, so lemu and QEMU interoperate; UDP carries one
 * frame per datagram.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/vm.h"
#include "net/net_int.h"
#include "util/error.h"
#include "util/opts.h"

/* Bytes of frames waiting for a slow TCP peer before new frames drop. */
#define SOCK_OUT_MAX (1u << 20)

struct sock_state {
	struct net_client *nc;
	struct vm *vm;
	int fd;        /* the connection or datagram socket, or -1 */
	int listen_fd; /* listen=, or -1 */
	bool dgram;
	struct sockaddr_in dest; /* datagram destination */
	bool held;     /* input held back: the peer's queue is full */
	/* TCP input: length prefix then frame */
	uint8_t len_buf[4];
	unsigned len_have;
	uint32_t frame_len;
	uint8_t *frame;
	size_t frame_have;
	/* TCP output not yet written */
	uint8_t *out;
	size_t out_len, out_cap;
	char desc[128];
};

static void sock_io(void *opaque, int revents);

static void sock_watch(struct sock_state *s)
{
	if (s->fd < 0)
		return;
	short ev = 0;
	if (!s->held)
		ev |= POLLIN;
	if (s->out_len)
		ev |= POLLOUT;
	loop_set_fd(s->vm, s->fd, ev, sock_io, s);
}

static void sock_accept(void *opaque, int revents);

static void sock_disconnect(struct sock_state *s)
{
	if (s->fd >= 0) {
		loop_del_fd(s->vm, s->fd);
		close(s->fd);
		s->fd = -1;
	}
	s->len_have = 0;
	s->frame_have = 0;
	s->frame_len = 0;
	s->out_len = 0;
	/* A server takes the next client (QEMU does the same). */
	if (s->listen_fd >= 0)
		loop_set_fd(s->vm, s->listen_fd, POLLIN, sock_accept, s);
}

/* Read what is there; deliver complete frames. */
static void sock_read_stream(struct sock_state *s)
{
	uint8_t buf[65536];
	ssize_t n = read(s->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		sock_disconnect(s);
		return;
	}
	size_t off = 0;
	while (off < (size_t)n) {
		if (s->len_have < 4) {
			s->len_buf[s->len_have++] = buf[off++];
			if (s->len_have == 4) {
				s->frame_len = (uint32_t)s->len_buf[0] << 24 | (uint32_t)s->len_buf[1] << 16 |
				               (uint32_t)s->len_buf[2] << 8 | s->len_buf[3];
				if (s->frame_len > NET_MAX_FRAME) {
					/* Not our framing: drop the connection
					 * rather than misread the stream. */
					vm_log(s->vm, VM_LOG_GUEST_ERRORS,
					       "netdev %s: frame length %u from the socket is too large; disconnecting\n",
					       s->nc->name, s->frame_len);
					sock_disconnect(s);
					return;
				}
				s->frame_have = 0;
			}
			if (s->len_have < 4 || s->frame_len)
				continue;
			s->len_have = 0; /* empty frame */
			continue;
		}
		size_t want = s->frame_len - s->frame_have;
		size_t take = (size_t)n - off < want ? (size_t)n - off : want;
		memcpy(s->frame + s->frame_have, buf + off, take);
		s->frame_have += take;
		off += take;
		if (s->frame_have == s->frame_len) {
			net_send(s->nc, s->frame, s->frame_len);
			s->len_have = 0;
			if (s->fd < 0)
				return;
		}
	}
}

static void sock_flush_out(struct sock_state *s)
{
	while (s->out_len) {
		ssize_t n = write(s->fd, s->out, s->out_len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				sock_disconnect(s);
			return;
		}
		memmove(s->out, s->out + n, s->out_len - (size_t)n);
		s->out_len -= (size_t)n;
	}
}

static void sock_io(void *opaque, int revents)
{
	struct sock_state *s = opaque;
	if (s->fd < 0)
		return;
	if (revents & POLLOUT) {
		sock_flush_out(s);
		if (s->fd < 0)
			return;
	}
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		if (!net_can_send(s->nc)) {
			s->held = true;
		} else if (s->dgram) {
			uint8_t buf[NET_MAX_FRAME];
			ssize_t n = recv(s->fd, buf, sizeof(buf), 0);
			if (n > 0)
				net_send(s->nc, buf, (size_t)n);
		} else {
			sock_read_stream(s);
		}
	}
	sock_watch(s);
}

static void sock_send_ready(struct net_client *nc)
{
	struct sock_state *s = nc->opaque;
	s->held = false;
	sock_watch(s);
}

static ssize_t sock_receive(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	struct sock_state *s = nc->opaque;
	size_t len = 0;
	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (s->fd < 0)
		return (ssize_t)len; /* no peer connected: the frame is lost, as on a cable */
	if (s->dgram) {
		struct msghdr m = { .msg_name = &s->dest, .msg_namelen = sizeof(s->dest),
			            .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
		if (sendmsg(s->fd, &m, MSG_DONTWAIT) < 0)
			nc->dropped++;
		return (ssize_t)len;
	}
	if (s->out_len + 4 + len > SOCK_OUT_MAX) {
		nc->dropped++;
		return (ssize_t)len;
	}
	if (s->out_len + 4 + len > s->out_cap) {
		size_t cap = s->out_cap ? s->out_cap : 65536;
		while (cap < s->out_len + 4 + len)
			cap *= 2;
		uint8_t *o = realloc(s->out, cap);
		if (!o) {
			nc->dropped++;
			return (ssize_t)len;
		}
		s->out = o;
		s->out_cap = cap;
	}
	uint8_t *p = s->out + s->out_len;
	p[0] = (uint8_t)(len >> 24);
	p[1] = (uint8_t)(len >> 16);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p += 4;
	for (int i = 0; i < iovcnt; i++) {
		memcpy(p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
	}
	bool was_empty = s->out_len == 0;
	s->out_len += 4 + len;
	if (was_empty) {
		sock_flush_out(s);
		if (s->fd >= 0 && s->out_len)
			sock_watch(s);
	}
	return (ssize_t)len;
}

static void sock_connected(struct sock_state *s, int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->fd = fd;
	s->held = false;
	sock_watch(s);
}

static void sock_accept(void *opaque, int revents)
{
	struct sock_state *s = opaque;
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (s->fd >= 0) {
		close(fd); /* one peer at a time */
		return;
	}
	loop_del_fd(s->vm, s->listen_fd);
	sock_connected(s, fd);
}

static void sock_cleanup(struct net_client *nc)
{
	struct sock_state *s = nc->opaque;
	if (s->fd >= 0) {
		loop_del_fd(s->vm, s->fd);
		close(s->fd);
		s->fd = -1;
	}
	if (s->listen_fd >= 0) {
		loop_del_fd(s->vm, s->listen_fd);
		close(s->listen_fd);
		s->listen_fd = -1;
	}
	free(s->frame);
	free(s->out);
	s->frame = s->out = NULL;
}

static void sock_describe(struct net_client *nc, char *buf, size_t len)
{
	struct sock_state *s = nc->opaque;
	snprintf(buf, len, "%s", s->desc);
}

static const struct net_client_ops sock_ops = {
	.kind = NET_CLIENT_SOCKET,
	.receive = sock_receive,
	.send_ready = sock_send_ready,
	.cleanup = sock_cleanup,
	.describe = sock_describe,
};

int net_parse_host_port(struct sockaddr_in *sa, const char *str, bool empty_host_any, struct error **errp)
{
	const char *colon = strrchr(str, ':');
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (!colon) {
		error_setg(errp, "host address '%s' doesn't contain ':' separating host from port", str);
		return -1;
	}
	char host[256];
	size_t hl = (size_t)(colon - str);
	if (hl >= sizeof(host)) {
		error_setg(errp, "host address '%s' is too long", str);
		return -1;
	}
	memcpy(host, str, hl);
	host[hl] = 0;
	if (!host[0]) {
		sa->sin_addr.s_addr = empty_host_any ? htonl(INADDR_ANY) : htonl(INADDR_LOOPBACK);
	} else if (host[0] >= '0' && host[0] <= '9') {
		if (!inet_aton(host, &sa->sin_addr)) {
			error_setg(errp, "host address '%s' is not a valid IPv4 address", host);
			return -1;
		}
	} else {
		struct addrinfo hints = { .ai_family = AF_INET }, *res = NULL;
		if (getaddrinfo(host, NULL, &hints, &res) || !res) {
			error_setg(errp, "can't resolve host address '%s'", host);
			return -1;
		}
		sa->sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
		freeaddrinfo(res);
	}
	char *end;
	const char *p = colon + 1;
	long port = strtol(p, &end, 0);
	if (end == p || *end || port < 0 || port > 65535) {
		error_setg(errp, "port number '%s' is invalid", p);
		return -1;
	}
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

static int sock_open_listen(struct sock_state *s, const char *addr, struct error **errp)
{
	struct sockaddr_in sa;
	if (net_parse_host_port(&sa, addr, true, errp) < 0)
		return -1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		error_setg_errno(errp, errno, "can't create stream socket");
		return -1;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		error_setg_errno(errp, errno, "can't bind ip=%s to socket", inet_ntoa(sa.sin_addr));
		close(fd);
		return -1;
	}
	if (listen(fd, 1) < 0) {
		error_setg_errno(errp, errno, "can't listen on socket");
		close(fd);
		return -1;
	}
	s->listen_fd = fd;
	loop_set_fd(s->vm, fd, POLLIN, sock_accept, s);
	snprintf(s->desc, sizeof(s->desc), "socket: wait from %s", addr);
	return 0;
}

static int sock_open_connect(struct sock_state *s, const char *addr, struct error **errp)
{
	struct sockaddr_in sa;
	if (net_parse_host_port(&sa, addr, false, errp) < 0)
		return -1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		error_setg_errno(errp, errno, "can't create stream socket");
		return -1;
	}
	/* Blocking connect at start-up: a refused connection is reported
	 * now, naming the option, instead of a silent unplugged cable. */
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		error_setg_errno(errp, errno, "can't connect socket to %s", addr);
		close(fd);
		return -1;
	}
	sock_connected(s, fd);
	snprintf(s->desc, sizeof(s->desc), "socket: connect to %s", addr);
	return 0;
}

static int sock_open_dgram(struct sock_state *s, const char *dest, const char *local, bool mcast,
                           struct error **errp)
{
	struct sockaddr_in d, l;
	if (net_parse_host_port(&d, dest, false, errp) < 0)
		return -1;
	if (mcast && !IN_MULTICAST(ntohl(d.sin_addr.s_addr))) {
		error_setg(errp, "specified mcastaddr %s (0x%08x) does not contain a multicast address",
		           inet_ntoa(d.sin_addr), ntohl(d.sin_addr.s_addr));
		return -1;
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		error_setg_errno(errp, errno, "can't create datagram socket");
		return -1;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (mcast) {
		/* Bind to the group's port; join on localaddr's interface. */
		struct in_addr ifaddr = { htonl(INADDR_ANY) };
		if (local && !inet_aton(local, &ifaddr)) {
			error_setg(errp, "localaddr '%s' is not a valid IPv4 address", local);
			goto fail;
		}
		l = d;
		if (bind(fd, (struct sockaddr *)&l, sizeof(l)) < 0) {
			error_setg_errno(errp, errno, "can't bind ip=%s to socket", inet_ntoa(l.sin_addr));
			goto fail;
		}
		struct ip_mreq mr = { .imr_multiaddr = d.sin_addr, .imr_interface = ifaddr };
		if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
			error_setg_errno(errp, errno, "setsockopt(IP_ADD_MEMBERSHIP)");
			goto fail;
		}
		unsigned char loopc = 1;
		setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loopc, sizeof(loopc));
		if (local)
			setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &ifaddr, sizeof(ifaddr));
		snprintf(s->desc, sizeof(s->desc), "socket: mcast=%s", dest);
	} else {
		if (!local) {
			error_setg(errp, "localaddr= is mandatory with udp=");
			goto fail;
		}
		if (net_parse_host_port(&l, local, true, errp) < 0)
			goto fail;
		if (bind(fd, (struct sockaddr *)&l, sizeof(l)) < 0) {
			error_setg_errno(errp, errno, "can't bind ip=%s to socket", inet_ntoa(l.sin_addr));
			goto fail;
		}
		snprintf(s->desc, sizeof(s->desc), "socket: udp=%s", dest);
	}
	s->dgram = true;
	s->dest = d;
	s->fd = fd;
	sock_watch(s);
	return 0;
fail:
	close(fd);
	return -1;
}

static int sock_open_fd(struct sock_state *s, const char *str, struct error **errp)
{
	uint64_t v;
	if (parse_u64(str, &v) < 0 || v > 0x7fffffff || fcntl((int)v, F_GETFD) < 0) {
		error_setg(errp, "Invalid file descriptor %s", str);
		return -1;
	}
	int fd = (int)v, type = 0;
	socklen_t tl = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0) {
		error_setg(errp, "file descriptor %d is not a socket", fd);
		return -1;
	}
	if (type == SOCK_DGRAM) {
		/* QEMU takes a connected or bound datagram socket: send to its peer. */
		socklen_t dl = sizeof(s->dest);
		if (getpeername(fd, (struct sockaddr *)&s->dest, &dl) < 0) {
			error_setg(errp, "datagram socket fd=%d is not connected", fd);
			return -1;
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		s->dgram = true;
		s->fd = fd;
		sock_watch(s);
	} else {
		sock_connected(s, fd);
	}
	snprintf(s->desc, sizeof(s->desc), "socket: fd=%d", fd);
	return 0;
}

struct net_client *net_socket_new(struct vm *vm, struct opts *o, const char *name, struct error **errp)
{
	const char *listen_ = opts_get(o, "listen"), *connect_ = opts_get(o, "connect");
	const char *mcast = opts_get(o, "mcast"), *udp = opts_get(o, "udp"), *fd = opts_get(o, "fd");
	const char *local = opts_get(o, "localaddr");
	int n = !!listen_ + !!connect_ + !!mcast + !!udp + !!fd;
	if (n != 1) {
		error_setg(errp, "exactly one of listen=, connect=, mcast= or udp= is required");
		return NULL;
	}
	if (local && !mcast && !udp) {
		error_setg(errp, "localaddr= is only valid with mcast= or udp=");
		return NULL;
	}
	struct net_client *nc = net_backend_new(vm, &sock_ops, name, sizeof(struct sock_state));
	struct sock_state *s = nc ? nc->opaque : NULL;
	if (s)
		s->frame = malloc(NET_MAX_FRAME);
	if (!s || !s->frame) {
		if (nc)
			net_backend_free(nc);
		error_setg(errp, "out of memory");
		return NULL;
	}
	s->nc = nc;
	s->vm = vm;
	s->fd = -1;
	s->listen_fd = -1;
	int r;
	if (listen_)
		r = sock_open_listen(s, listen_, errp);
	else if (connect_)
		r = sock_open_connect(s, connect_, errp);
	else if (fd)
		r = sock_open_fd(s, fd, errp);
	else
		r = sock_open_dgram(s, mcast ? mcast : udp, local, mcast != NULL, errp);
	if (r < 0) {
		net_backend_free(nc);
		return NULL;
	}
	return nc;
}
