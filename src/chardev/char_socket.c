/*
 * socket backend: TCP or Unix stream, as server (listen, serve one client
 * at a time, serve the next after it leaves) or client (connect, optionally
 * reconnect=N seconds after a failure or a disconnect).  telnet=on adds
 * the option negotiation QEMU does (RFC 854/857/858/856: WILL ECHO, WILL
 * SUPPRESS-GO-AHEAD, WILL/DO BINARY) and strips telnet commands from input.
 */
#include "chardev/chardev_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/vm.h"
#include "util/error.h"
#include "util/opts.h"

/* RFC 854 command bytes */
#define TN_IAC 255
#define TN_DONT 254
#define TN_DO 253
#define TN_WONT 252
#define TN_WILL 251
#define TN_SB 250
#define TN_BREAK 243
#define TN_SE 240

enum { TN_DATA, TN_CMD, TN_OPT, TN_SUB, TN_SUB_IAC };

struct chr_socket {
	struct chardev chr;
	struct chr_io io;
	/* options */
	bool is_unix, server, wait, nodelay, telnet, ipv4, ipv6, abstract;
	char *host, *port, *path;
	uint64_t to, reconnect;
	int given_fd;
	/* state */
	bool opened;
	int listen_fd;
	bool listen_reg;
	int conn_fd;
	int connecting_fd; /* non-blocking connect in progress */
	struct timer timer;
	char *listen_str; /* "tcp:127.0.0.1:4444,server=on", "unix:/p" ... */
	int tn_state;
};

static const char *chr_sock_kind(struct chr_socket *s)
{
	return s->is_unix ? "unix" : s->telnet ? "telnet" : "tcp";
}

static void chr_sock_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%d", host, ntohs(a->sin6_port));
		return;
	} else {
		snprintf(buf, len, "unix");
		return;
	}
	snprintf(buf, len, "%s:%d", host, port);
}

/* query-chardev filename, as QEMU shows it. */
static void chr_sock_update_filename(struct chr_socket *s)
{
	const char *srv = s->server ? ",server=on" : "";
	if (s->conn_fd < 0) {
		chardev_set_filename(&s->chr, "disconnected:%s%s", s->listen_str, srv);
		return;
	}
	if (s->is_unix) {
		chardev_set_filename(&s->chr, "%s%s", s->listen_str, srv);
		return;
	}
	struct sockaddr_storage l, r;
	socklen_t ll = sizeof(l), rl = sizeof(r);
	char ls[80] = "?", rs[80] = "?";
	if (getsockname(s->conn_fd, (struct sockaddr *)&l, &ll) == 0)
		chr_sock_addr_str(&l, ls, sizeof(ls));
	if (getpeername(s->conn_fd, (struct sockaddr *)&r, &rl) == 0)
		chr_sock_addr_str(&r, rs, sizeof(rs));
	if (s->server)
		chardev_set_filename(&s->chr, "%s%s <-> %s", s->listen_str, srv, rs);
	else
		chardev_set_filename(&s->chr, "%s:%s <-> %s", chr_sock_kind(s), ls, rs);
}

/* Telnet: hand data bytes to the frontend, act on BREAK, drop the rest. */
static void chr_sock_telnet_filter(struct chr_io *io, const uint8_t *buf, size_t len)
{
	struct chr_socket *s = (struct chr_socket *)io->chr;
	uint8_t out[CHR_READ_MAX];
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = buf[i];
		switch (s->tn_state) {
		case TN_DATA:
			if (c == TN_IAC)
				s->tn_state = TN_CMD;
			else
				out[n++] = c;
			break;
		case TN_CMD:
			s->tn_state = TN_DATA;
			if (c == TN_IAC) {
				out[n++] = c; /* IAC IAC is a data 0xff */
			} else if (c >= TN_WILL && c <= TN_DONT) {
				s->tn_state = TN_OPT;
			} else if (c == TN_SB) {
				s->tn_state = TN_SUB;
			} else if (c == TN_BREAK) {
				chardev_be_receive(&s->chr, out, n);
				n = 0;
				chardev_be_event(&s->chr, CHR_EVENT_BREAK);
			}
			break;
		case TN_OPT:
			s->tn_state = TN_DATA;
			break;
		case TN_SUB:
			if (c == TN_IAC)
				s->tn_state = TN_SUB_IAC;
			break;
		case TN_SUB_IAC:
			s->tn_state = c == TN_SE ? TN_DATA : TN_SUB;
			break;
		}
	}
	chardev_be_receive(&s->chr, out, n);
}

static void chr_sock_accept_handler(void *opaque, int revents);
static void chr_sock_try_connect(struct chr_socket *s);

static void chr_sock_listen_arm(struct chr_socket *s, bool on)
{
	if (s->listen_fd < 0 || s->listen_reg == on)
		return;
	if (on)
		loop_set_fd(s->chr.vm, s->listen_fd, POLLIN, chr_sock_accept_handler, s);
	else
		loop_del_fd(s->chr.vm, s->listen_fd);
	s->listen_reg = on;
}

static void chr_sock_disconnect(struct chr_socket *s)
{
	if (s->conn_fd < 0)
		return;
	chr_io_stop(&s->io);
	close(s->conn_fd);
	s->conn_fd = -1;
	s->io.in_fd = s->io.out_fd = -1;
	chr_sock_update_filename(s);
	chardev_be_set_open(&s->chr, false);
	if (s->server)
		chr_sock_listen_arm(s, true); /* serve the next client */
	else if (s->reconnect)
		timer_mod(&s->timer, vm_clock_ns(s->chr.vm) + (int64_t)s->reconnect * 1000000000LL);
}

static void chr_sock_hangup(struct chr_io *io)
{
	chr_sock_disconnect((struct chr_socket *)io->chr);
}

static void chr_sock_connected(struct chr_socket *s, int fd)
{
	chr_set_nonblock(fd);
	chr_set_cloexec(fd);
	if (s->nodelay && !s->is_unix) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	s->conn_fd = fd;
	s->io.in_fd = s->io.out_fd = fd;
	s->io.in_eof = false;
	s->io.rdhup_seen = false;
	s->tn_state = TN_DATA;
	if (s->server)
		chr_sock_listen_arm(s, false); /* one client at a time */
	if (s->telnet) {
		static const uint8_t nego[] = {
			TN_IAC, TN_WILL, 1, /* ECHO (RFC 857): we echo, the client does not */
			TN_IAC, TN_WILL, 3, /* SUPPRESS-GO-AHEAD (RFC 858): character mode */
			TN_IAC, TN_WILL, 0, /* BINARY (RFC 856) both ways */
			TN_IAC, TN_DO,	 0,
		};
		chr_io_write(&s->io, nego, sizeof(nego));
	}
	chr_sock_update_filename(s);
	chardev_be_set_open(&s->chr, true);
	if (s->conn_fd == fd)
		chr_io_update(&s->io);
}

static void chr_sock_accept_handler(void *opaque, int revents)
{
	struct chr_socket *s = opaque;
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return; /* EAGAIN, or the client gave up already */
	if (s->conn_fd >= 0) {
		close(fd);
		return;
	}
	chr_sock_connected(s, fd);
}

/* ---- addresses ---- */

static int chr_sock_resolve(struct chr_socket *s, const char *port, struct addrinfo **res, struct error **errp)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = s->server ? AI_PASSIVE : 0 };
	hints.ai_family = s->ipv4 && !s->ipv6 ? AF_INET : s->ipv6 && !s->ipv4 ? AF_INET6 : AF_UNSPEC;
	const char *host = s->host && *s->host ? s->host : s->server ? NULL : "localhost";
	int r = getaddrinfo(host, port, &hints, res);
	if (r) {
		error_setg(errp, "address resolution failed for %s:%s: %s", host ? host : "", port,
			   gai_strerror(r));
		return -1;
	}
	return 0;
}

static socklen_t chr_sock_unix_addr(struct chr_socket *s, struct sockaddr_un *un, struct error **errp)
{
	memset(un, 0, sizeof(*un));
	un->sun_family = AF_UNIX;
	size_t len = strlen(s->path);
	size_t off = s->abstract ? 1 : 0;
	if (len + off >= sizeof(un->sun_path)) {
		error_setg(errp, "UNIX socket path '%s' is too long", s->path);
		return 0;
	}
	memcpy(un->sun_path + off, s->path, len);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + off + len + (s->abstract ? 0 : 1));
}

static int chr_sock_listen(struct chr_socket *s, struct error **errp)
{
	if (s->is_unix) {
		struct sockaddr_un un;
		socklen_t ul = chr_sock_unix_addr(s, &un, errp);
		if (!ul)
			return -1;
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			error_setg_errno(errp, errno, "Failed to create Unix socket");
			return -1;
		}
		if (!s->abstract)
			unlink(s->path); /* a stale socket from an earlier run */
		if (bind(fd, (struct sockaddr *)&un, ul) < 0 || listen(fd, 1) < 0) {
			error_setg_errno(errp, errno, "Failed to bind socket to %s", s->path);
			close(fd);
			return -1;
		}
		s->listen_fd = fd;
		return 0;
	}
	uint64_t first, last;
	if (parse_u64(s->port, &first) < 0) {
		/* a service name: let getaddrinfo decide */
		first = last = 0;
	} else {
		last = s->to > first ? s->to : first;
	}
	int err = 0;
	for (uint64_t p = first; p <= last; p++) {
		char pbuf[16];
		const char *port = s->port;
		if (last > first) {
			snprintf(pbuf, sizeof(pbuf), "%llu", (unsigned long long)p);
			port = pbuf;
		}
		struct addrinfo *res;
		if (chr_sock_resolve(s, port, &res, errp) < 0)
			return -1;
		for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
			int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
			if (fd < 0) {
				err = errno;
				continue;
			}
			int one = 1;
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1) == 0) {
				freeaddrinfo(res);
				s->listen_fd = fd;
				return 0;
			}
			err = errno;
			close(fd);
		}
		freeaddrinfo(res);
	}
	error_setg_errno(errp, err, "Failed to find an available port");
	return -1;
}

/* Connect; blocking for the first attempt (an error is reported), else
 * non-blocking with completion on POLLOUT. Returns fd, -EINPROGRESS, or -1. */
static int chr_sock_connect(struct chr_socket *s, bool nonblock, struct error **errp)
{
	int flags = SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0);
	if (s->is_unix) {
		struct sockaddr_un un;
		socklen_t ul = chr_sock_unix_addr(s, &un, errp);
		if (!ul)
			return -1;
		int fd = socket(AF_UNIX, SOCK_STREAM | flags, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&un, ul) < 0) {
			if (fd >= 0 && errno == EINPROGRESS) {
				s->connecting_fd = fd;
				return -EINPROGRESS;
			}
			error_setg_errno(errp, errno, "Failed to connect to '%s'", s->path);
			if (fd >= 0)
				close(fd);
			return -1;
		}
		return fd;
	}
	struct addrinfo *res;
	if (chr_sock_resolve(s, s->port, &res, errp) < 0)
		return -1;
	int err = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | flags, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			freeaddrinfo(res);
			return fd;
		}
		err = errno;
		if (err == EINPROGRESS) {
			freeaddrinfo(res);
			s->connecting_fd = fd;
			return -EINPROGRESS;
		}
		close(fd);
	}
	freeaddrinfo(res);
	error_setg_errno(errp, err, "Failed to connect to '%s:%s'", s->host && *s->host ? s->host : "localhost",
			 s->port);
	return -1;
}

static void chr_sock_connect_done(void *opaque, int revents)
{
	struct chr_socket *s = opaque;
	int fd = s->connecting_fd, soerr = 0;
	socklen_t sl = sizeof(soerr);
	loop_del_fd(s->chr.vm, fd);
	s->connecting_fd = -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
		close(fd);
		timer_mod(&s->timer, vm_clock_ns(s->chr.vm) + (int64_t)s->reconnect * 1000000000LL);
		return;
	}
	chr_sock_connected(s, fd);
}

static void chr_sock_try_connect(struct chr_socket *s)
{
	if (s->conn_fd >= 0 || s->connecting_fd >= 0)
		return;
	int fd = chr_sock_connect(s, true, NULL);
	if (fd >= 0)
		chr_sock_connected(s, fd);
	else if (fd == -EINPROGRESS)
		loop_set_fd(s->chr.vm, s->connecting_fd, POLLOUT, chr_sock_connect_done, s);
	else
		timer_mod(&s->timer, vm_clock_ns(s->chr.vm) + (int64_t)s->reconnect * 1000000000LL);
}

static void chr_sock_timer(void *opaque)
{
	chr_sock_try_connect(opaque);
}

/* ---- backend ops ---- */

static int chr_sock_parse(struct chardev *chr, struct opts *o, struct error **errp)
{
	struct chr_socket *s = (struct chr_socket *)chr;
	const char *path = opts_get(o, "path"), *host = opts_get(o, "host"), *port = opts_get(o, "port");
	const char *fd = opts_get(o, "fd");
	bool nowait = false;
	s->given_fd = -1;
	static const char *const unsupported[] = { "tls-creds", "tls-authz", "websocket", "tn3270", NULL };
	for (int i = 0; unsupported[i]; i++) {
		if (opts_has(o, unsupported[i])) {
			error_setg(errp, "socket option '%s' is not supported by lemu", unsupported[i]);
			return -1;
		}
	}
	if (opts_get_bool(o, "server", false, &s->server, errp) < 0 ||
	    opts_get_bool(o, "wait", true, &s->wait, errp) < 0 ||
	    opts_get_bool(o, "nowait", false, &nowait, errp) < 0 || /* legacy spelling */
	    opts_get_bool(o, "nodelay", false, &s->nodelay, errp) < 0 ||
	    opts_get_bool(o, "telnet", false, &s->telnet, errp) < 0 ||
	    opts_get_bool(o, "ipv4", false, &s->ipv4, errp) < 0 ||
	    opts_get_bool(o, "ipv6", false, &s->ipv6, errp) < 0 ||
	    opts_get_bool(o, "abstract", false, &s->abstract, errp) < 0 ||
	    opts_get_u64(o, "reconnect", 0, &s->reconnect, errp) < 0 || opts_get_u64(o, "to", 0, &s->to, errp) < 0)
		return -1;
	bool tight;
	if (opts_get_bool(o, "tight", true, &tight, errp) < 0)
		return -1;
	if (nowait)
		s->wait = false;
	if (s->server && s->reconnect) {
		error_setg(errp, "'reconnect' option is incompatible with socket in server listen mode");
		return -1;
	}
	if (!s->server && opts_has(o, "wait")) {
		error_setg(errp, "'wait' option is incompatible with socket in client connect mode");
		return -1;
	}
	if (path) {
		s->is_unix = true;
		s->path = strdup(path);
		if (s->telnet) {
			/* QEMU allows it; the negotiation is the same */
		}
	} else if (host || port) {
		if (!port) {
			error_setg(errp, "chardev: socket: no port given");
			return -1;
		}
		s->host = strdup(host ? host : "");
		s->port = strdup(port);
	} else if (fd) {
		uint64_t v;
		if (parse_u64(fd, &v) < 0 || v > 65535) {
			error_setg(errp, "Unable to parse FD number %s", fd);
			return -1;
		}
		s->given_fd = (int)v;
	} else {
		error_setg(errp, "chardev: socket: no host/port, path or fd given");
		return -1;
	}
	return 0;
}

static int chr_sock_open(struct chardev *chr, struct error **errp)
{
	struct chr_socket *s = (struct chr_socket *)chr;
	s->listen_fd = s->conn_fd = s->connecting_fd = -1;
	chr_io_init(&s->io, chr, -1, -1);
	s->io.is_socket = true;
	s->io.watch_hup = true;
	s->io.hangup = chr_sock_hangup;
	if (s->telnet)
		s->io.filter = chr_sock_telnet_filter;
	timer_init(&s->timer, chr->vm, chr_sock_timer, s);
	s->opened = true;

	if (s->given_fd >= 0) {
		if (asprintf(&s->listen_str, "fd:%d", s->given_fd) < 0)
			s->listen_str = NULL;
		if (s->server) {
			s->listen_fd = s->given_fd;
		} else {
			chr_sock_connected(s, s->given_fd);
			return 0;
		}
	} else if (s->server) {
		if (chr_sock_listen(s, errp) < 0)
			return -1;
	}

	if (s->server) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char a[80];
		if (s->is_unix) {
			if (asprintf(&s->listen_str, "unix:%s", s->path) < 0)
				s->listen_str = NULL;
		} else if (!s->listen_str) {
			if (getsockname(s->listen_fd, (struct sockaddr *)&ss, &sl) == 0)
				chr_sock_addr_str(&ss, a, sizeof(a));
			else
				snprintf(a, sizeof(a), "%s:%s", s->host, s->port);
			if (asprintf(&s->listen_str, "%s:%s", chr_sock_kind(s), a) < 0)
				s->listen_str = NULL;
		}
		chr_set_nonblock(s->listen_fd);
		chr_sock_update_filename(s);
		if (s->wait) {
			/* QEMU's words, and it blocks the same way until a client comes. */
			fprintf(stderr, "%s: info: lemu waiting for connection on: %s\n",
				program_invocation_short_name, chardev_filename(chr));
			struct pollfd p = { .fd = s->listen_fd, .events = POLLIN };
			for (;;) {
				if (poll(&p, 1, -1) < 0 && errno != EINTR) {
					error_setg_errno(errp, errno, "waiting for a connection");
					return -1;
				}
				int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
				if (fd >= 0) {
					chr_sock_connected(s, fd);
					break;
				}
			}
		} else {
			chr_sock_listen_arm(s, true);
		}
		return 0;
	}

	if (s->is_unix) {
		if (asprintf(&s->listen_str, "unix:%s", s->path) < 0)
			s->listen_str = NULL;
	} else if (asprintf(&s->listen_str, "%s:%s:%s", chr_sock_kind(s), *s->host ? s->host : "localhost",
			    s->port) < 0) {
		s->listen_str = NULL;
	}
	struct error *err = NULL;
	int fd = chr_sock_connect(s, false, &err);
	if (fd < 0) {
		if (!s->reconnect) {
			error_propagate(errp, err);
			return -1;
		}
		/* With reconnect= a missing server is not fatal: try again later. */
		error_free(err);
		chr_sock_update_filename(s);
		timer_mod(&s->timer, vm_clock_ns(chr->vm) + (int64_t)s->reconnect * 1000000000LL);
		return 0;
	}
	chr_sock_connected(s, fd);
	return 0;
}

static size_t chr_sock_write(struct chardev *chr, const uint8_t *buf, size_t len)
{
	struct chr_socket *s = (struct chr_socket *)chr;
	if (s->conn_fd < 0)
		return 0; /* nobody connected: dropped */
	return chr_io_write(&s->io, buf, len);
}

static void chr_sock_accept_input(struct chardev *chr)
{
	struct chr_socket *s = (struct chr_socket *)chr;
	if (s->conn_fd >= 0)
		chr_io_update(&s->io);
}

static void chr_sock_close(struct chardev *chr)
{
	struct chr_socket *s = (struct chr_socket *)chr;
	if (s->opened) {
		timer_del(&s->timer);
		chr_io_stop(&s->io);
		free(s->io.obuf);
		if (s->conn_fd >= 0)
			close(s->conn_fd);
		if (s->connecting_fd >= 0) {
			loop_del_fd(chr->vm, s->connecting_fd);
			close(s->connecting_fd);
		}
		chr_sock_listen_arm(s, false);
		if (s->listen_fd >= 0) {
			close(s->listen_fd);
			if (s->is_unix && !s->abstract && s->given_fd < 0)
				unlink(s->path);
		}
	}
	free(s->host);
	free(s->port);
	free(s->path);
	free(s->listen_str);
}

const struct chardev_backend chr_socket_backend = {
	.name = "socket",
	.size = sizeof(struct chr_socket),
	.parse = chr_sock_parse,
	.open = chr_sock_open,
	.write = chr_sock_write,
	.accept_input = chr_sock_accept_input,
	.close = chr_sock_close,
};
