/* Unit tests for the socket and udp chardevs with real sockets: a server
 * chardev that a test client connects to, leaves and reconnects to; a
 * client chardev with reconnect=; telnet negotiation and IAC stripping;
 * bounded output to a client that stops reading; udp both ways. */
#include "test_chardev_fake.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/error.h"
#include "util/opts.h"

static char tmpdir[64];

static struct chardev *new_chr(struct vm *vm, const char *str)
{
	struct error *err = NULL;
	struct opts *o = opts_parse(str, "backend", &err);
	struct chardev *c = o ? chardev_new(vm, o, &err) : NULL;
	opts_free(o);
	if (err)
		printf("# %s: %s\n", str, err->msg);
	error_free(err);
	return c;
}

/* port of "...:PORT,server=on" / "...:PORT" in a disconnected filename */
static int filename_port(struct chardev *c)
{
	const char *f = chardev_filename(c);
	const char *comma = strstr(f, ",server");
	const char *end = comma ? comma : f + strlen(f);
	const char *p = end;
	while (p > f && p[-1] != ':')
		p--;
	return atoi(p);
}

static int tcp_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int unix_connect(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read what arrives on fd within the loop's pace (the chardev's loop runs
 * meanwhile). */
static size_t read_some(struct vm *vm, int fd, uint8_t *buf, size_t want, int ms)
{
	size_t n = 0;
	for (int i = 0; i < ms / 5 && n < want; i++) {
		fake_loop_once(vm, 5);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 0) > 0) {
			ssize_t r = recv(fd, buf + n, want - n, MSG_DONTWAIT);
			if (r > 0)
				n += (size_t)r;
			else if (r == 0)
				break;
		}
	}
	return n;
}

struct evwait {
	struct test_fe *t;
	enum chardev_event ev;
	int count;
};
static bool ev_reached(void *arg)
{
	struct evwait *w = arg;
	return test_fe_count(w->t, w->ev) >= w->count;
}
static bool wait_ev(struct vm *vm, struct test_fe *t, enum chardev_event ev, int count)
{
	struct evwait w = { t, ev, count };
	return fake_loop_until(vm, ev_reached, &w, 3000);
}

struct nwait {
	struct test_fe *t;
	size_t n;
};
static bool n_reached(void *arg)
{
	struct nwait *w = arg;
	return w->t->nin >= w->n;
}
static bool wait_in(struct vm *vm, struct test_fe *t, size_t n)
{
	struct nwait w = { t, n };
	return fake_loop_until(vm, n_reached, &w, 3000);
}

/* Connect, talk both ways, leave: shared by tcp and unix servers. */
static void server_session(struct vm *vm, struct chardev *c, struct test_fe *t, int fd, int round,
			   const char *what)
{
	tap_ok(fd >= 0 && wait_ev(vm, t, CHR_EVENT_OPENED, round), "%s: client %d connects, OPENED", what, round);
	char msg[32];
	size_t before = t->nin;
	int len = snprintf(msg, sizeof(msg), "hello%d", round);
	tap_ok(send(fd, msg, (size_t)len, 0) == len && wait_in(vm, t, before + (size_t)len) &&
		       !memcmp(t->in + before, msg, (size_t)len),
	       "%s: client %d input reaches the frontend", what, round);
	len = snprintf(msg, sizeof(msg), "reply%d", round);
	tap_ok(chardev_write(c, (const uint8_t *)msg, (size_t)len) == (size_t)len, "%s: write accepted", what);
	uint8_t buf[64];
	size_t n = read_some(vm, fd, buf, (size_t)len, 2000);
	tap_ok(n == (size_t)len && !memcmp(buf, msg, n), "%s: client %d receives the output", what, round);
	close(fd);
	tap_ok(wait_ev(vm, t, CHR_EVENT_CLOSED, round), "%s: client %d leaves, CLOSED", what, round);
	tap_ok(!strncmp(chardev_filename(c), "disconnected:", 13), "%s: filename %s", what, chardev_filename(c));
	tap_ok(chardev_write(c, (const uint8_t *)"lost", 4) == 0, "%s: output without a client is dropped", what);
}

static void test_tcp_server(void)
{
	struct vm *vm = fake_vm_new();
	struct chardev *c = new_chr(vm, "socket,id=s,host=127.0.0.1,port=0,server=on,wait=off,nodelay=on");
	tap_ok(c != NULL, "tcp server created: %s", c ? chardev_filename(c) : "");
	int port = filename_port(c);
	struct test_fe t;
	test_fe_init(&t);
	chardev_attach(c, &t.fe, NULL);
	tap_ok(test_fe_count(&t, CHR_EVENT_OPENED) == 0, "no OPENED before a client");

	int fd = tcp_connect(port);
	server_session(vm, c, &t, fd, 1, "tcp");
	/* the same server serves the next client */
	fd = tcp_connect(port);
	server_session(vm, c, &t, fd, 2, "tcp");

	/* one client at a time: the second waits until the first leaves */
	int a = tcp_connect(port);
	tap_ok(wait_ev(vm, &t, CHR_EVENT_OPENED, 3), "client A served");
	tap_ok(strstr(chardev_filename(c), ",server=on <-> 127.0.0.1:") != NULL, "connected filename %s",
	       chardev_filename(c));
	int b = tcp_connect(port);
	send(b, "B", 1, 0);
	size_t before = t.nin;
	for (int i = 0; i < 20; i++)
		fake_loop_once(vm, 5);
	tap_ok(t.nin == before && test_fe_count(&t, CHR_EVENT_OPENED) == 3, "client B waits");
	close(a);
	tap_ok(wait_ev(vm, &t, CHR_EVENT_OPENED, 4) && wait_in(vm, &t, before + 1) && t.in[before] == 'B',
	       "client B served after A left");

	/* flow control: only as much as the frontend takes */
	t.room = 2;
	before = t.nin;
	send(b, "0123456789", 10, 0);
	for (int i = 0; i < 20; i++)
		fake_loop_once(vm, 5);
	tap_ok(t.nin == before + 2, "input stops at can_receive (%zu)", t.nin - before);
	t.room = 100;
	chardev_accept_input(c);
	tap_ok(wait_in(vm, &t, before + 10) && !memcmp(t.in + before, "0123456789", 10), "accept_input resumes");

	/* the peer leaves while the frontend takes nothing: noticed at once */
	int closed = test_fe_count(&t, CHR_EVENT_CLOSED);
	t.room = 0;
	close(b);
	tap_ok(wait_ev(vm, &t, CHR_EVENT_CLOSED, closed + 1), "client leaving is noticed while input is stopped");
	/* ... and with unread input, that input is delivered first */
	b = tcp_connect(port);
	tap_ok(wait_ev(vm, &t, CHR_EVENT_OPENED, 5), "next client");
	before = t.nin;
	send(b, "last", 4, 0);
	close(b);
	for (int i = 0; i < 20; i++)
		fake_loop_once(vm, 5);
	tap_ok(test_fe_count(&t, CHR_EVENT_CLOSED) == closed + 1, "unread input keeps the session until read");
	t.room = 100;
	chardev_accept_input(c);
	tap_ok(wait_ev(vm, &t, CHR_EVENT_CLOSED, closed + 2) && t.nin == before + 4 && !memcmp(t.in + before, "last", 4),
	       "then the input, then CLOSED");
	b = tcp_connect(port);
	tap_ok(wait_ev(vm, &t, CHR_EVENT_OPENED, 6), "and the next client is served");

	/* a client that stops reading never blocks the writer */
	int small = 4096;
	setsockopt(b, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	static uint8_t chunk[65536];
	memset(chunk, 'z', sizeof(chunk));
	size_t acc = 0;
	for (int i = 0; i < 512; i++) /* 32 MiB: more than any socket buffer */
		acc += chardev_write(c, chunk, sizeof(chunk));
	tap_ok(acc < 512 * sizeof(chunk), "stalled client: 32 MiB written without blocking (%zu accepted)", acc);
	close(b);
	tap_ok(wait_ev(vm, &t, CHR_EVENT_CLOSED, closed + 3), "stalled client closes, CLOSED");
	fake_vm_free(vm);
}

static void test_unix_server(void)
{
	struct vm *vm = fake_vm_new();
	char path[128], opt[256];
	snprintf(path, sizeof(path), "%s/srv.sock", tmpdir);
	snprintf(opt, sizeof(opt), "socket,id=u,path=%s,server=on,wait=off", path);
	struct chardev *c = new_chr(vm, opt);
	tap_ok(c != NULL, "unix server: %s", c ? chardev_filename(c) : "");
	struct test_fe t;
	test_fe_init(&t);
	chardev_attach(c, &t.fe, NULL);
	server_session(vm, c, &t, unix_connect(path), 1, "unix");
	server_session(vm, c, &t, unix_connect(path), 2, "unix");
	fake_vm_free(vm);
	tap_ok(access(path, F_OK) != 0, "unix socket file removed on close");
}

static void test_telnet(void)
{
	struct vm *vm = fake_vm_new();
	struct chardev *c = new_chr(vm, "socket,id=t,host=127.0.0.1,port=0,server=on,wait=off,telnet=on");
	tap_ok(c && !strncmp(chardev_filename(c), "disconnected:telnet:127.0.0.1:", 30), "telnet server %s",
	       c ? chardev_filename(c) : "");
	struct test_fe t;
	test_fe_init(&t);
	chardev_attach(c, &t.fe, NULL);
	int fd = tcp_connect(filename_port(c));
	uint8_t buf[64];
	size_t n = read_some(vm, fd, buf, 12, 2000);
	/* the bytes QEMU 7.2 sends (recorded from qemu-system-x86_64) */
	static const uint8_t qemu_nego[] = { 0xff, 0xfb, 0x01, 0xff, 0xfb, 0x03, 0xff, 0xfb, 0x00, 0xff, 0xfd, 0x00 };
	tap_ok(n == 12 && !memcmp(buf, qemu_nego, 12), "negotiation: WILL ECHO, WILL SGA, WILL/DO BINARY");
	static const uint8_t in[] = { 'a', 0xff, 0xfd, 0x01, 'b', 0xff, 0xff, 'c',  0xff, 0xfa, 0x18,
				      0x01, 0xff, 0xf0, 'd', 0xff, 0xf3, 'e',  0xff, 0xf1, 'f' };
	send(fd, in, sizeof(in), 0);
	bool got = wait_in(vm, &t, 7);
	tap_ok(got && t.nin == 7 && !memcmp(t.in, "ab\xff" "cdef", 7),
	       "IAC commands stripped, IAC IAC kept as 0xff (%zu bytes)", t.nin);
	tap_ok(test_fe_count(&t, CHR_EVENT_BREAK) == 1, "IAC BREAK is CHR_EVENT_BREAK");
	/* split across reads */
	send(fd, "\xff", 1, 0);
	for (int i = 0; i < 10; i++)
		fake_loop_once(vm, 5);
	send(fd, "\xffg", 2, 0);
	tap_ok(wait_in(vm, &t, 9) && t.in[7] == 0xff && t.in[8] == 'g', "IAC IAC split over two reads");
	close(fd);
	/* a reconnecting telnet client gets the negotiation again */
	tap_ok(wait_ev(vm, &t, CHR_EVENT_CLOSED, 1), "telnet client left");
	fd = tcp_connect(filename_port(c));
	n = read_some(vm, fd, buf, 12, 2000);
	tap_ok(n == 12 && !memcmp(buf, qemu_nego, 12), "negotiation again for the next client");
	close(fd);
	fake_vm_free(vm);
}

static int listen_tcp(int *port)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)*port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 4) < 0) {
		close(l);
		return -1;
	}
	socklen_t al = sizeof(a);
	getsockname(l, (struct sockaddr *)&a, &al);
	*port = ntohs(a.sin_port);
	return l;
}

static int accept_within(struct vm *vm, int l, int ms)
{
	for (int i = 0; i < ms / 5; i++) {
		struct pollfd p = { .fd = l, .events = POLLIN };
		if (poll(&p, 1, 0) > 0)
			return accept(l, NULL, NULL);
		fake_loop_once(vm, 5);
	}
	return -1;
}

static void test_tcp_client(void)
{
	struct vm *vm = fake_vm_new();
	int port = 0;
	int l = listen_tcp(&port);
	char opt[128];
	snprintf(opt, sizeof(opt), "socket,id=c,host=127.0.0.1,port=%d,reconnect=1", port);
	struct chardev *c = new_chr(vm, opt);
	struct test_fe t;
	test_fe_init(&t);
	chardev_attach(c, &t.fe, NULL);
	int s = accept_within(vm, l, 2000);
	tap_ok(c && s >= 0 && test_fe_count(&t, CHR_EVENT_OPENED) == 1, "client connects: %s",
	       c ? chardev_filename(c) : "");
	chardev_write(c, (const uint8_t *)"out", 3);
	uint8_t buf[16];
	tap_ok(read_some(vm, s, buf, 3, 2000) == 3 && !memcmp(buf, "out", 3), "client output");
	send(s, "in", 2, 0);
	tap_ok(wait_in(vm, &t, 2) && !memcmp(t.in, "in", 2), "client input");
	close(s);
	tap_ok(wait_ev(vm, &t, CHR_EVENT_CLOSED, 1), "server closed: CLOSED");
	s = accept_within(vm, l, 4000);
	tap_ok(s >= 0 && wait_ev(vm, &t, CHR_EVENT_OPENED, 2), "reconnect=1 connects again");
	close(s);
	close(l);
	tap_ok(wait_ev(vm, &t, CHR_EVENT_CLOSED, 2), "closed again");
	/* server gone: reconnect keeps trying; a new server on the port is found */
	for (int i = 0; i < 30; i++)
		fake_loop_once(vm, 5);
	l = listen_tcp(&port);
	s = accept_within(vm, l, 4000);
	tap_ok(l >= 0 && s >= 0 && wait_ev(vm, &t, CHR_EVENT_OPENED, 3), "reconnects to a restarted server");
	close(s);
	close(l);
	fake_vm_free(vm);

	/* reconnect= with no server at start is not an error */
	vm = fake_vm_new();
	port = 0;
	l = listen_tcp(&port);
	close(l);
	snprintf(opt, sizeof(opt), "socket,id=c,host=127.0.0.1,port=%d,reconnect=1", port);
	c = new_chr(vm, opt);
	tap_ok(c && !strncmp(chardev_filename(c), "disconnected:tcp:", 17), "reconnect: starts disconnected (%s)",
	       c ? chardev_filename(c) : "");
	test_fe_init(&t);
	chardev_attach(c, &t.fe, NULL);
	l = listen_tcp(&port);
	s = accept_within(vm, l, 4000);
	tap_ok(s >= 0 && wait_ev(vm, &t, CHR_EVENT_OPENED, 1), "connects once the server appears");
	close(s);
	close(l);
	fake_vm_free(vm);
}

static void test_fd_option(void)
{
	struct vm *vm = fake_vm_new();
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	char opt[64];
	snprintf(opt, sizeof(opt), "socket,id=f,fd=%d", sv[0]);
	struct chardev *c = new_chr(vm, opt);
	struct test_fe t;
	test_fe_init(&t);
	chardev_attach(c, &t.fe, NULL);
	send(sv[1], "xy", 2, 0);
	tap_ok(c && wait_in(vm, &t, 2) && test_fe_count(&t, CHR_EVENT_OPENED) == 1, "fd=N: a passed socket");
	chardev_write(c, (const uint8_t *)"q", 1);
	uint8_t b;
	tap_ok(read_some(vm, sv[1], &b, 1, 1000) == 1 && b == 'q', "fd=N output");
	close(sv[1]);
	fake_vm_free(vm);
}

static int udp_bound(int *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)*port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	socklen_t al = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &al);
	*port = ntohs(a.sin_port);
	return fd;
}

static void test_udp(void)
{
	struct vm *vm = fake_vm_new();
	int rport = 0, lport = 0;
	int peer = udp_bound(&rport);
	int tmp = udp_bound(&lport);
	close(tmp);
	char opt[160];
	snprintf(opt, sizeof(opt), "udp,id=d,host=127.0.0.1,port=%d,localaddr=127.0.0.1,localport=%d", rport, lport);
	struct chardev *c = new_chr(vm, opt);
	tap_ok(c && !strcmp(chardev_filename(c), "udp"), "udp created");
	struct test_fe t;
	test_fe_init(&t);
	chardev_attach(c, &t.fe, NULL);
	tap_ok(chardev_write(c, (const uint8_t *)"dgram", 5) == 5, "udp write");
	uint8_t buf[32];
	tap_ok(recv(peer, buf, sizeof(buf), 0) == 5 && !memcmp(buf, "dgram", 5), "datagram arrives at host:port");
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)lport) };
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	t.room = 3;
	sendto(peer, "abcdef", 6, 0, (struct sockaddr *)&to, sizeof(to));
	sendto(peer, "gh", 2, 0, (struct sockaddr *)&to, sizeof(to));
	for (int i = 0; i < 20; i++)
		fake_loop_once(vm, 5);
	tap_ok(t.nin == 3 && !memcmp(t.in, "abc", 3), "udp input limited by can_receive");
	t.room = 100;
	chardev_accept_input(c);
	tap_ok(wait_in(vm, &t, 8) && !memcmp(t.in, "abcdefgh", 8), "rest of the datagram, then the next");
	close(peer);
	fake_vm_free(vm);
}

/* to=: the first free port of a range */
static void test_port_range(void)
{
	struct vm *vm = fake_vm_new();
	int port = 0;
	int busy = listen_tcp(&port);
	char opt[128];
	snprintf(opt, sizeof(opt), "socket,id=r,host=127.0.0.1,port=%d,to=%d,server=on,wait=off", port, port + 20);
	struct chardev *c = new_chr(vm, opt);
	int got = c ? filename_port(c) : -1;
	tap_ok(c && got > port && got <= port + 20, "to=: port %d busy, took %d", port, got);
	snprintf(opt, sizeof(opt), "socket,id=r2,host=127.0.0.1,port=%d,server=on,wait=off", port);
	struct error *err = NULL;
	struct opts *o = opts_parse(opt, "backend", NULL);
	tap_ok(!chardev_new(vm, o, &err) && err &&
		       !strcmp(err->msg, "Failed to find an available port: Address already in use"),
	       "busy port: QEMU's message");
	error_free(err);
	opts_free(o);
	close(busy);
	fake_vm_free(vm);
}

int main(void)
{
	test_port_range();
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/lemu-chrs-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	test_tcp_server();
	test_unix_server();
	test_telnet();
	test_tcp_client();
	test_fd_option();
	test_udp();
	rmdir(tmpdir);
	return tap_done();
}
