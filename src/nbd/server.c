/*
 * The NBD server object: listening sockets, the accept loop and one thread per client.
 *
 * qemu-nbd's rules for clients are kept: at most --shared clients at once (more wait
 * in the listen backlog, as the listening socket is not polled meanwhile), and unless
 * --persistent the server stops once its last client has left.
 */
#include "nbd/nbd-int.h"
#include "util/error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct nbd_server *nbd_server_new(const struct nbd_server_config *cfg)
{
	struct nbd_server *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cfg = *cfg;
	if (!s->cfg.prog)
		s->cfg.prog = "lemu-nbd";
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake_fd < 0) {
		free(s);
		return NULL;
	}
	return s;
}

void nbd_server_free(struct nbd_server *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nlisten; i++)
		close(s->listen_fds[i]);
	for (int i = 0; i < s->nunix; i++) {
		unlink(s->unix_paths[i]);
		free(s->unix_paths[i]);
	}
	free(s->unix_paths);
	free(s->listen_fds);
	free(s->exports);
	close(s->wake_fd);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}

void nbd_server_add_export(struct nbd_server *s, struct nbd_export *exp)
{
	struct nbd_export **n = realloc(s->exports, (size_t)(s->nexports + 1) * sizeof(*n));
	if (!n)
		return;
	s->exports = n;
	s->exports[s->nexports++] = exp;
}

static int add_listen_fd(struct nbd_server *s, int fd)
{
	int *n = realloc(s->listen_fds, (size_t)(s->nlisten + 1) * sizeof(int));
	if (!n)
		return -ENOMEM;
	s->listen_fds = n;
	s->listen_fds[s->nlisten++] = fd;
	return 0;
}

int nbd_server_listen_tcp(struct nbd_server *s, const char *host, const char *port,
                          struct error **errp)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
		                  .ai_socktype = SOCK_STREAM,
		                  .ai_flags = AI_PASSIVE },
	                *res, *ai;
	int r = getaddrinfo(host, port, &hints, &res), n = 0, err = 0;
	if (r) {
		error_setg(errp, "address resolution failed for %s:%s: %s", host, port,
		           gai_strerror(r));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		int one = 1;
		if (fd < 0) {
			err = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0 ||
		    add_listen_fd(s, fd) < 0) {
			err = errno;
			close(fd);
			continue;
		}
		n++;
	}
	freeaddrinfo(res);
	if (!n) {
		error_setg_errno(errp, err, "Failed to bind socket");
		return -1;
	}
	return 0;
}

int nbd_server_listen_unix(struct nbd_server *s, const char *path, struct error **errp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		error_setg(errp, "UNIX socket path '%s' is too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		error_setg_errno(errp, errno, "Failed to create socket");
		return -1;
	}
	/* A stale socket from an earlier run would make bind fail, so it is removed (QEMU
	 * does the same); anything that is not a socket is left alone and bind says why. */
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		error_setg_errno(errp, errno, "Failed to bind socket to %s", path);
		close(fd);
		return -1;
	}
	if (listen(fd, 128) < 0 || add_listen_fd(s, fd) < 0) {
		error_setg_errno(errp, errno, "Failed to listen on socket %s", path);
		close(fd);
		unlink(path);
		return -1;
	}
	char **n = realloc(s->unix_paths, (size_t)(s->nunix + 1) * sizeof(char *));
	if (n) {
		s->unix_paths = n;
		s->unix_paths[s->nunix] = strdup(path);
		if (s->unix_paths[s->nunix])
			s->nunix++;
	}
	return 0;
}

void nbd_conn_log(struct nbd_conn *c, const char *fmt, ...)
{
	if (!c->server->cfg.verbose)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: client %s: %s\n", c->server->cfg.prog, c->peer, msg);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct nbd_conn *conn_new(struct nbd_server *s, struct nbd_chan *ch, int sock)
{
	struct nbd_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->server = s;
	c->ch = ch;
	c->sock = sock;
	snprintf(c->peer, sizeof(c->peer), "%s", "(local)");
	pthread_mutex_init(&c->send_lock, NULL);
	pthread_mutex_init(&c->qlock, NULL);
	pthread_cond_init(&c->qcond, NULL);
	pthread_cond_init(&c->roomcond, NULL);
	return c;
}

static void conn_free(struct nbd_conn *c)
{
	c->ch->ops->free(c->ch);
	free(c->meta_export);
	pthread_mutex_destroy(&c->send_lock);
	pthread_mutex_destroy(&c->qlock);
	pthread_cond_destroy(&c->qcond);
	pthread_cond_destroy(&c->roomcond);
	free(c);
}

/* Handshake then transmission; returns 0 on a clean end. */
static int conn_serve(struct nbd_conn *c)
{
	struct nbd_server *s = c->server;
	int r = nbd_conn_handshake(c);
	/* From here on the accept loop's handshake watchdog leaves this connection alone. */
	pthread_mutex_lock(&s->lock);
	c->handshake_deadline = 0;
	pthread_mutex_unlock(&s->lock);
	if (r == 1)
		return 0;
	if (r < 0) {
		nbd_conn_log(c, "dropped during the handshake (%s)", strerror(-r));
		return r;
	}
	nbd_conn_log(c, "export '%s', %s replies", c->exp->name,
	             c->structured ? "structured" : "simple");
	r = nbd_conn_transmit(c);
	if (r < 0 && r != -EPIPE)
		nbd_conn_log(c, "dropped (%s)", strerror(-r));
	/* A flush on disconnect, as a client vanishing must not lose written data that
	 * a later reader would expect (QEMU flushes on close too). */
	if (!c->exp->read_only)
		c->exp->ops->flush(c->exp->opaque);
	return r == -EPIPE ? 0 : r;
}

int nbd_server_serve_chan(struct nbd_server *s, struct nbd_chan *ch)
{
	struct nbd_conn *c = conn_new(s, ch, -1);
	if (!c) {
		ch->ops->free(ch);
		return -ENOMEM;
	}
	int r = conn_serve(c);
	conn_free(c);
	return r;
}

static void *conn_thread(void *arg)
{
	struct nbd_conn *c = arg;
	struct nbd_server *s = c->server;
	conn_serve(c);
	nbd_conn_log(c, "disconnected");
	pthread_mutex_lock(&s->lock);
	for (struct nbd_conn **p = &s->conns; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	conn_free(c);
	/* The last touch of s: once nclients drops, nbd_server_run may return and the
	 * server be freed, so the wake-up is written under the lock. */
	pthread_mutex_lock(&s->lock);
	s->nclients--;
	uint64_t one = 1;
	if (write(s->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow in practice; the loop also re-checks */
	}
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void accept_one(struct nbd_server *s, int lfd)
{
	struct sockaddr_storage sa;
	socklen_t sl = sizeof(sa);
	int fd = accept4(lfd, (struct sockaddr *)&sa, &sl, SOCK_CLOEXEC);
	if (fd < 0) {
		/* Out of descriptors: the pending client stays in the backlog and poll would
		 * report it again at once; a short pause keeps the loop from spinning. */
		if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS)
			poll(NULL, 0, 100);
		return;
	}
	int one = 1;
	if (sa.ss_family == AF_INET || sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct nbd_chan *ch = nbd_chan_new_fd(fd);
	struct nbd_conn *c = ch ? conn_new(s, ch, fd) : NULL;
	if (!c) {
		if (ch)
			ch->ops->free(ch);
		else
			close(fd);
		return;
	}
	char host[64] = "?";
	if (sa.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, host, sizeof(host));
	else if (sa.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, host, sizeof(host));
	else if (sa.ss_family == AF_UNIX)
		snprintf(host, sizeof(host), "unix");
	snprintf(c->peer, sizeof(c->peer), "%s", host);

	pthread_mutex_lock(&s->lock);
	c->next = s->conns;
	s->conns = c;
	s->nclients++;
	if (s->cfg.handshake_timeout_ms)
		c->handshake_deadline = now_ms() + s->cfg.handshake_timeout_ms;
	pthread_mutex_unlock(&s->lock);
	nbd_conn_log(c, "connected");

	pthread_t t;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &at, conn_thread, c) != 0) {
		pthread_mutex_lock(&s->lock);
		s->conns = c->next;
		s->nclients--;
		pthread_mutex_unlock(&s->lock);
		conn_free(c);
	}
	pthread_attr_destroy(&at);
}

int nbd_server_run(struct nbd_server *s, int stop_fd)
{
	bool served = false;
	struct pollfd *pfd = calloc((size_t)s->nlisten + 2, sizeof(*pfd));
	if (!pfd)
		return -ENOMEM;
	for (;;) {
		pthread_mutex_lock(&s->lock);
		int n = s->nclients;
		pthread_mutex_unlock(&s->lock);
		if (served && n == 0 && !s->cfg.persistent)
			break;
		bool full = s->cfg.max_clients && (unsigned)n >= s->cfg.max_clients;
		int np = 0;
		pfd[np++] = (struct pollfd){ .fd = s->wake_fd, .events = POLLIN };
		if (stop_fd >= 0)
			pfd[np++] = (struct pollfd){ .fd = stop_fd, .events = POLLIN };
		int first_listen = np;
		if (!full)
			for (int i = 0; i < s->nlisten; i++)
				pfd[np++] =
				        (struct pollfd){ .fd = s->listen_fds[i], .events = POLLIN };
		/* With a handshake limit, wake up now and then to end handshakes that take
		 * too long in total (a client trickling bytes defeats per-read timeouts). */
		int timeout = s->cfg.handshake_timeout_ms ? 500 : -1;
		if (poll(pfd, (nfds_t)np, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents) {
			uint64_t v;
			if (read(s->wake_fd, &v, sizeof(v)) < 0) {
				/* EAGAIN: another wake-up consumed it */
			}
		}
		if (stop_fd >= 0 && pfd[1].revents)
			break;
		if (s->cfg.handshake_timeout_ms) {
			uint64_t t = now_ms();
			pthread_mutex_lock(&s->lock);
			for (struct nbd_conn *c = s->conns; c; c = c->next) {
				if (c->handshake_deadline && t > c->handshake_deadline &&
				    c->sock >= 0) {
					nbd_conn_log(c, "handshake not finished in %u ms",
					             s->cfg.handshake_timeout_ms);
					shutdown(c->sock, SHUT_RDWR);
					c->handshake_deadline = 0;
				}
			}
			pthread_mutex_unlock(&s->lock);
		}
		for (int i = first_listen; i < np; i++) {
			if (pfd[i].revents & POLLIN) {
				accept_one(s, pfd[i].fd);
				served = true;
			}
		}
	}
	free(pfd);

	/* Stop: wake every connection and wait for them to finish. */
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	for (struct nbd_conn *c = s->conns; c; c = c->next)
		if (c->sock >= 0)
			shutdown(c->sock, SHUT_RDWR); /* not c->ch: STARTTLS may swap it */
	while (s->nclients)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
	return 0;
}
