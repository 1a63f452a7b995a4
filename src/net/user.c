/*
 * -netdev user: user-mode networking with libslirp (a TCP/IP stack in the
 * emulator: DHCP, DNS proxy, NAT of the guest's connections onto host
 * sockets, host and guest forwarding).
 *
 * Loop integration.  libslirp wants a poll() loop: slirp_pollfds_fill()
 * lists the sockets and events it waits for (and how soon its TCP timers
 * need a call), slirp_pollfds_poll() takes the results.  lemu's loop
 * watches fds one by one, so after every call into slirp (a frame from
 * the guest, a ready fd, the timer) we fill again and bring the loop's
 * registrations in line with the new list: fds that left are removed,
 * new ones added, changed events updated, and a timer armed for slirp's
 * timeout.  A ready fd records its revents under the index slirp gave it
 * and runs slirp_pollfds_poll at once; other fds that were ready in the
 * same round stay ready (poll is level-triggered) and come next.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <slirp/libslirp.h>

#include "chardev/chardev.h"
#include "core/loop.h"
#include "core/vm.h"
#include "net/net_int.h"
#include "util/error.h"
#include "util/opts.h"

struct user_fd {
	struct user_state *s;
	int fd;
	short events;
	bool live; /* still in the latest fill */
};

struct user_timer {
	struct timer t;
	struct user_state *s;
	SlirpTimerId id;
	SlirpTimerCb cb; /* old-style timers */
	void *cb_opaque;
};

struct user_guestfwd {
	struct user_state *s;
	struct chardev *chr;
	struct in_addr addr;
	int port;
	struct user_guestfwd *next;
};

struct user_state {
	struct net_client *nc;
	struct vm *vm;
	Slirp *slirp;
	/* the latest fill: index -> fd, events, revents */
	struct pollfd *polls;
	int npolls, cap;
	/* fds registered with the loop */
	struct user_fd **fds;
	int nfds, fdcap;
	struct timer poll_timer;
	bool timer_ready;
	int depth; /* calls into slirp in progress */
	bool update_pending;
	struct user_guestfwd *guestfwds;
	char desc[128];
};

/* ---- poll integration ---- */

static int add_poll(int fd, int events, void *opaque)
{
	struct user_state *s = opaque;
	if (s->npolls == s->cap) {
		int cap = s->cap ? s->cap * 2 : 16;
		struct pollfd *p = realloc(s->polls, sizeof(*p) * (size_t)cap);
		if (!p)
			return -1; /* slirp skips the socket this round */
		s->polls = p;
		s->cap = cap;
	}
	short ev = 0;
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	s->polls[s->npolls] = (struct pollfd){ .fd = fd, .events = ev, .revents = 0 };
	return s->npolls++;
}

static int get_revents(int idx, void *opaque)
{
	struct user_state *s = opaque;
	if (idx < 0 || idx >= s->npolls)
		return 0;
	short r = s->polls[idx].revents;
	int ev = 0;
	if (r & POLLIN)
		ev |= SLIRP_POLL_IN;
	if (r & POLLOUT)
		ev |= SLIRP_POLL_OUT;
	if (r & POLLPRI)
		ev |= SLIRP_POLL_PRI;
	if (r & POLLERR)
		ev |= SLIRP_POLL_ERR;
	if (r & POLLHUP)
		ev |= SLIRP_POLL_HUP;
	return ev;
}

static void user_fd_ready(void *opaque, int revents);

static void user_update(struct user_state *s);

/* Leaving slirp: refresh the poll set, and deliver frames that waited
 * while slirp was busy (a hub can loop a frame back into it). */
static void slirp_leave(struct user_state *s)
{
	if (--s->depth)
		return;
	user_update(s);
	if (s->nc->q_head)
		net_flush_queue(s->nc);
}

static void user_dispatch(struct user_state *s)
{
	s->depth++;
	slirp_pollfds_poll(s->slirp, 0, get_revents, s);
	slirp_leave(s);
}

static void user_fd_ready(void *opaque, int revents)
{
	struct user_fd *uf = opaque;
	struct user_state *s = uf->s;
	if (s->depth)
		return; /* cannot happen: the loop runs handlers outside slirp */
	for (int i = 0; i < s->npolls; i++) {
		s->polls[i].revents = 0;
		if (s->polls[i].fd == uf->fd)
			s->polls[i].revents = (short)revents;
	}
	user_dispatch(s);
}

static void user_timer_cb(void *opaque)
{
	struct user_state *s = opaque;
	if (s->depth)
		return;
	for (int i = 0; i < s->npolls; i++)
		s->polls[i].revents = 0;
	user_dispatch(s); /* runs slirp's TCP fast/slow timeouts */
}

static void user_update(struct user_state *s)
{
	s->npolls = 0;
	uint32_t timeout = UINT32_MAX;
	slirp_pollfds_fill(s->slirp, &timeout, add_poll, s);
	for (int k = 0; k < s->nfds; k++)
		s->fds[k]->live = false;
	for (int i = 0; i < s->npolls; i++) {
		struct user_fd *uf = NULL;
		for (int k = 0; k < s->nfds; k++)
			if (s->fds[k]->fd == s->polls[i].fd)
				uf = s->fds[k];
		if (!uf) {
			if (s->nfds == s->fdcap) {
				int cap = s->fdcap ? s->fdcap * 2 : 16;
				struct user_fd **v = realloc(s->fds, sizeof(*v) * (size_t)cap);
				if (!v)
					continue;
				s->fds = v;
				s->fdcap = cap;
			}
			uf = calloc(1, sizeof(*uf));
			if (!uf)
				continue;
			uf->s = s;
			uf->fd = s->polls[i].fd;
			uf->events = -1;
			s->fds[s->nfds++] = uf;
		}
		uf->live = true;
		if (uf->events != s->polls[i].events) {
			uf->events = s->polls[i].events;
			loop_set_fd(s->vm, uf->fd, uf->events, user_fd_ready, uf);
		}
	}
	for (int k = 0; k < s->nfds;) {
		struct user_fd *uf = s->fds[k];
		if (uf->live) {
			k++;
			continue;
		}
		loop_del_fd(s->vm, uf->fd);
		free(uf);
		s->fds[k] = s->fds[--s->nfds];
	}
	if (timeout > 1000)
		timeout = 1000;
	timer_mod(&s->poll_timer, vm_clock_ns(s->vm) + (int64_t)timeout * 1000000);
}

static void user_update_bh(void *opaque)
{
	struct net_client *nc = opaque;
	struct user_state *s = nc->opaque;
	s->update_pending = false;
	if (!s->depth)
		user_update(s);
}

/* ---- slirp callbacks ---- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct user_state *s = opaque;
	net_send(s->nc, buf, len);
	return (ssize_t)len; /* a full NIC drops: TCP retransmits */
}

static void cb_guest_error(const char *msg, void *opaque)
{
	struct user_state *s = opaque;
	vm_log(s->vm, VM_LOG_GUEST_ERRORS, "netdev %s: %s\n", s->nc->name, msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
	struct user_state *s = opaque;
	return vm_clock_ns(s->vm);
}

static void slirp_timer_fire(void *opaque)
{
	struct user_timer *t = opaque;
	struct user_state *s = t->s;
	s->depth++;
	if (t->cb)
		t->cb(t->cb_opaque);
	else
		slirp_handle_timer(s->slirp, t->id, t->cb_opaque);
	slirp_leave(s);
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct user_state *s = opaque;
	struct user_timer *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->s = s;
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	timer_init(&t->t, s->vm, slirp_timer_fire, t);
	return t;
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct user_state *s = opaque;
	struct user_timer *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->s = s;
	t->id = id;
	t->cb_opaque = cb_opaque;
	timer_init(&t->t, s->vm, slirp_timer_fire, t);
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct user_timer *t = timer;
	if (!t)
		return;
	timer_del(&t->t);
	free(t);
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct user_timer *t = timer;
	if (t)
		timer_mod(&t->t, expire_ms * 1000000);
}

static void cb_register_poll_fd(int fd, void *opaque) { }
static void cb_unregister_poll_fd(int fd, void *opaque) { }

static void cb_notify(void *opaque)
{
	/* Called inside slirp: refresh the poll set once we are out. */
	struct user_state *s = opaque;
	if (!s->update_pending && !s->depth) {
		s->update_pending = true;
		loop_schedule(s->vm, user_update_bh, s->nc);
	}
}

static const SlirpCb user_callbacks = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_new = cb_timer_new,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_unregister_poll_fd,
	.notify = cb_notify,
	.timer_new_opaque = cb_timer_new_opaque,
};

/* ---- net client ---- */

static ssize_t user_receive(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	struct user_state *s = nc->opaque;
	size_t len = 0;
	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	uint8_t stackbuf[2048], *buf = stackbuf;
	if (len > sizeof(stackbuf)) {
		buf = malloc(len);
		if (!buf)
			return (ssize_t)len;
	}
	size_t off = 0;
	for (int i = 0; i < iovcnt; i++) {
		memcpy(buf + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	s->depth++;
	slirp_input(s->slirp, buf, (int)len);
	slirp_leave(s);
	if (buf != stackbuf)
		free(buf);
	return (ssize_t)len;
}

static bool user_can_receive(struct net_client *nc)
{
	struct user_state *s = nc->opaque;
	return s->depth == 0;
}

static void user_cleanup(struct net_client *nc)
{
	struct user_state *s = nc->opaque;
	for (struct user_guestfwd *g = s->guestfwds; g;) {
		struct user_guestfwd *n = g->next;
		chardev_detach(g->chr, g);
		free(g);
		g = n;
	}
	s->guestfwds = NULL;
	if (s->timer_ready)
		timer_del(&s->poll_timer);
	for (int k = 0; k < s->nfds; k++) {
		loop_del_fd(s->vm, s->fds[k]->fd);
		free(s->fds[k]);
	}
	free(s->fds);
	s->fds = NULL;
	s->nfds = 0;
	if (s->slirp)
		slirp_cleanup(s->slirp);
	s->slirp = NULL;
	free(s->polls);
	s->polls = NULL;
}

static void user_describe(struct net_client *nc, char *buf, size_t len)
{
	struct user_state *s = nc->opaque;
	snprintf(buf, len, "%s", s->desc);
}

static const struct net_client_ops user_ops = {
	.kind = NET_CLIENT_USER,
	.receive = user_receive,
	.can_receive = user_can_receive,
	.cleanup = user_cleanup,
	.describe = user_describe,
};

/* ---- options ---- */

/* Cut *p at the first sep: copy the part before it into buf. -1 when
 * there is no sep (*p unchanged). */
static int take_field(char *buf, size_t size, const char **p, char sep)
{
	const char *e = strchr(*p, sep);
	if (!e)
		return -1;
	size_t n = (size_t)(e - *p);
	if (n >= size)
		n = size - 1;
	memcpy(buf, *p, n);
	buf[n] = 0;
	*p = e + 1;
	return 0;
}

/* Parse a port number: the whole string, in [lo, 65535]. */
static int parse_port(const char *s, int lo)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 0);
	if (!*s || *end || errno || v < lo || v > 65535)
		return -1;
	return (int)v;
}

const char *net_user_parse_hostfwd(const char *str, struct net_hostfwd *f)
{
	char buf[256];
	const char *p = str;
	memset(f, 0, sizeof(*f));
	if (take_field(buf, sizeof(buf), &p, ':') < 0)
		return "No : separators";
	if (!strcmp(buf, "tcp") || !buf[0])
		f->udp = false;
	else if (!strcmp(buf, "udp"))
		f->udp = true;
	else
		return "Bad protocol name";
	if (take_field(buf, sizeof(buf), &p, ':') < 0)
		return "Missing : separator";
	f->host.s_addr = htonl(INADDR_ANY);
	if (buf[0] && !inet_aton(buf, &f->host))
		return "Bad host address";
	if (take_field(buf, sizeof(buf), &p, '-') < 0)
		return "Bad host port separator";
	f->host_port = parse_port(buf, 0);
	if (f->host_port < 0)
		return "Bad host port";
	if (take_field(buf, sizeof(buf), &p, ':') < 0)
		return "Missing guest address";
	f->guest.s_addr = 0;
	if (buf[0] && !inet_aton(buf, &f->guest))
		return "Bad guest address";
	f->guest_port = parse_port(p, 1);
	if (f->guest_port < 0)
		return "Bad guest port";
	return NULL;
}

static int add_hostfwd(void *ctx, const char *val, struct error **errp)
{
	struct user_state *s = ctx;
	struct net_hostfwd f;
	const char *why = net_user_parse_hostfwd(val, &f);
	if (why) {
		error_setg(errp, "Invalid host forwarding rule '%s' (%s)", val, why);
		return -1;
	}
	if (slirp_add_hostfwd(s->slirp, f.udp, f.host, f.host_port, f.guest, f.guest_port) < 0) {
		error_setg(errp, "Could not set up host forwarding rule '%s'", val);
		return -1;
	}
	return 0;
}

/* guestfwd: a chardev frontend feeding slirp's guest connection. */
static size_t gfwd_can_receive(void *opaque)
{
	struct user_guestfwd *g = opaque;
	return slirp_socket_can_recv(g->s->slirp, g->addr, g->port) > 0 ? 4096 : 0;
}

static void gfwd_receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct user_guestfwd *g = opaque;
	struct user_state *s = g->s;
	s->depth++;
	slirp_socket_recv(s->slirp, g->addr, g->port, buf, (int)len);
	slirp_leave(s);
}

static ssize_t gfwd_write(const void *buf, size_t len, void *opaque)
{
	struct user_guestfwd *g = opaque;
	return (ssize_t)chardev_write(g->chr, buf, len);
}

static int add_guestfwd(void *ctx, const char *val, struct error **errp)
{
	struct user_state *s = ctx;
	char buf[256];
	const char *p = val;
	struct in_addr server = { 0 };
	int port;
	if (take_field(buf, sizeof(buf), &p, ':') < 0 || (strcmp(buf, "tcp") && buf[0]))
		goto fail;
	if (take_field(buf, sizeof(buf), &p, ':') < 0 || (buf[0] && !inet_aton(buf, &server)))
		goto fail;
	if (take_field(buf, sizeof(buf), &p, '-') < 0 || (port = parse_port(buf, 1)) < 0)
		goto fail;
	if (!strncmp(p, "cmd:", 4)) {
		if (slirp_add_exec(s->slirp, p + 4, &server, port) < 0) {
			error_setg(errp, "Conflicting/invalid host:port in guest forwarding rule '%s'", val);
			return -1;
		}
		return 0;
	}
	char id[64];
	/* A chardev id must be an identifier: the backend's name without
	 * what identifiers do not allow ("__org.qemu.nic0"). */
	int k = snprintf(id, sizeof(id), "guestfwd-");
	for (const char *c = s->nc->name; *c && k < (int)sizeof(id) - 8; c++)
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.')
			id[k++] = *c;
	snprintf(id + k, sizeof(id) - (size_t)k, "-%d", port);
	struct error *e = NULL;
	struct chardev *chr = chardev_parse_legacy(s->vm, p, id, &e);
	if (!chr) {
		error_setg(errp, "could not open guest forwarding device '%s'%s%s", p, e ? ": " : "", e ? e->msg : "");
		error_free(e);
		return -1;
	}
	struct user_guestfwd *g = calloc(1, sizeof(*g));
	if (!g) {
		error_setg(errp, "out of memory");
		return -1;
	}
	g->s = s;
	g->chr = chr;
	g->addr = server;
	g->port = port;
	if (slirp_add_guestfwd(s->slirp, gfwd_write, g, &g->addr, port) < 0) {
		free(g);
		error_setg(errp, "Conflicting/invalid host:port in guest forwarding rule '%s'", val);
		return -1;
	}
	const struct chardev_fe fe = { gfwd_can_receive, gfwd_receive, NULL, g };
	if (chardev_attach(chr, &fe, errp) < 0) {
		free(g);
		return -1;
	}
	g->next = s->guestfwds;
	s->guestfwds = g;
	return 0;
fail:
	error_setg(errp, "Invalid guest forwarding rule '%s'", val);
	return -1;
}

/* net=ADDR[/MASK]: the mask as a prefix length or a dotted quad; without
 * one, the classful mask of the address (QEMU's rule). */
static int parse_vnet(const char *str, struct in_addr *net, struct in_addr *mask, struct error **errp)
{
	char buf[64];
	const char *slash = strchr(str, '/');
	size_t n = slash ? (size_t)(slash - str) : strlen(str);
	if (n >= sizeof(buf)) {
		error_setg(errp, "Failed to parse netmask");
		return -1;
	}
	memcpy(buf, str, n);
	buf[n] = 0;
	if (!inet_aton(buf, net)) {
		error_setg(errp, "Failed to parse netmask");
		return -1;
	}
	uint32_t a = ntohl(net->s_addr), m;
	if (!slash) {
		if (!(a & 0x80000000))
			m = 0xff000000;
		else if ((a & 0xfff00000) == 0xac100000)
			m = 0xfff00000;
		else if ((a & 0xc0000000) == 0x80000000)
			m = 0xffff0000;
		else if ((a & 0xffff0000) == 0xc0a80000)
			m = 0xffff0000;
		else
			m = 0xffffff00;
	} else {
		char *end;
		long bits = strtol(slash + 1, &end, 10);
		if (*end == 0 && slash[1]) {
			if (bits < 4 || bits > 32) {
				error_setg(errp, "Invalid netmask provided (must be in range 4-32)");
				return -1;
			}
			m = bits == 32 ? 0xffffffff : ~(0xffffffffu >> bits);
		} else {
			struct in_addr ma;
			if (!inet_aton(slash + 1, &ma)) {
				error_setg(errp, "Failed to parse netmask");
				return -1;
			}
			m = ntohl(ma.s_addr);
		}
	}
	if (a & ~m) {
		error_setg(errp, "Network doesn't match the mask");
		return -1;
	}
	mask->s_addr = htonl(m);
	return 0;
}

/* An address option inside the network (host=, dhcpstart=, dns=). */
static int parse_in_net(struct opts *o, const char *key, uint32_t dflt, struct in_addr net, struct in_addr mask,
                        const char *what, struct in_addr *out, struct error **errp)
{
	const char *v = opts_get(o, key);
	if (!v) {
		out->s_addr = htonl(ntohl(net.s_addr) | dflt);
		return 0;
	}
	if (!inet_aton(v, out)) {
		error_setg(errp, "Failed to parse %s", key);
		return -1;
	}
	if ((out->s_addr & mask.s_addr) != net.s_addr) {
		error_setg(errp, "%s doesn't belong to network", what);
		return -1;
	}
	return 0;
}

static int get_bool(struct opts *o, const char *key, bool def, bool *out, struct error **errp)
{
	const char *v = opts_get(o, key);
	if (!v) {
		*out = def;
		return 0;
	}
	int b = parse_bool(v);
	if (b < 0) {
		error_setg(errp, "Parameter '%s' expects 'on' or 'off'", key);
		return -1;
	}
	*out = b;
	return 0;
}

static int parse_in6(struct opts *o, const char *key, const char *def, struct in6_addr *out, struct error **errp)
{
	const char *v = opts_get(o, key);
	if (inet_pton(AF_INET6, v ? v : def, out) != 1) {
		error_setg(errp, "Failed to parse %s", key);
		return -1;
	}
	return 0;
}

struct net_client *net_user_new(struct vm *vm, struct opts *o, const char *name, struct error **errp)
{
	SlirpConfig cfg = { .version = 4 };
	bool restrict_, ipv4, ipv6;
	struct in_addr net, mask, host, dhcp, dns;
	struct in6_addr prefix6, host6, dns6;
	const char *vnet = opts_get(o, "net");
	if (opts_has(o, "smb")) {
		error_setg(errp, "smb= is not supported by lemu");
		return NULL;
	}
	if (get_bool(o, "restrict", false, &restrict_, errp) < 0 || get_bool(o, "ipv4", true, &ipv4, errp) < 0 ||
	    get_bool(o, "ipv6", true, &ipv6, errp) < 0)
		return NULL;
	if (!ipv4 && !ipv6) {
		error_setg(errp, "IPv4 and IPv6 disabled");
		return NULL;
	}
	if (!ipv4 && vnet) {
		error_setg(errp, "IPv4 disabled but netmask/prefix specified");
		return NULL;
	}
	if (parse_vnet(vnet ? vnet : "10.0.2.0/24", &net, &mask, errp) < 0)
		return NULL;
	if (parse_in_net(o, "host", 2, net, mask, "Host", &host, errp) < 0 ||
	    parse_in_net(o, "dhcpstart", 15, net, mask, "DHCP", &dhcp, errp) < 0 ||
	    parse_in_net(o, "dns", 3, net, mask, "DNS", &dns, errp) < 0)
		return NULL;
	if (host.s_addr == net.s_addr || host.s_addr == (net.s_addr | ~mask.s_addr)) {
		error_setg(errp, "Host address can't be the network or broadcast address");
		return NULL;
	}
	if (dns.s_addr == host.s_addr) {
		error_setg(errp, "DNS must be different from host address");
		return NULL;
	}
	const char *pfx = opts_get(o, "ipv6-prefix");
	char pfxbuf[64];
	uint64_t plen = 64;
	if (opts_get_u64(o, "ipv6-prefixlen", 64, &plen, errp) < 0)
		return NULL;
	if (plen < 1 || plen > 126) {
		error_setg(errp, "Invalid IPv6 prefix provided (IPv6 prefix length must be between 0 and 126)");
		return NULL;
	}
	snprintf(pfxbuf, sizeof(pfxbuf), "%s", pfx ? pfx : "fec0::");
	if (inet_pton(AF_INET6, pfxbuf, &prefix6) != 1) {
		error_setg(errp, "Failed to parse IPv6 prefix");
		return NULL;
	}
	if (parse_in6(o, "ipv6-host", "fec0::2", &host6, errp) < 0 || parse_in6(o, "ipv6-dns", "fec0::3", &dns6, errp) < 0)
		return NULL;

	struct net_client *nc = net_backend_new(vm, &user_ops, name, sizeof(struct user_state));
	if (!nc) {
		error_setg(errp, "out of memory");
		return NULL;
	}
	struct user_state *s = nc->opaque;
	s->nc = nc;
	s->vm = vm;
	cfg.restricted = restrict_;
	cfg.in_enabled = ipv4;
	cfg.vnetwork = net;
	cfg.vnetmask = mask;
	cfg.vhost = host;
	cfg.in6_enabled = ipv6;
	cfg.vprefix_addr6 = prefix6;
	cfg.vprefix_len = (uint8_t)plen;
	cfg.vhost6 = host6;
	cfg.vhostname = opts_get(o, "hostname");
	cfg.tftp_server_name = opts_get(o, "tftp-server-name");
	cfg.tftp_path = opts_get(o, "tftp");
	cfg.bootfile = opts_get(o, "bootfile");
	cfg.vdhcp_start = dhcp;
	cfg.vnameserver = dns;
	cfg.vnameserver6 = dns6;
	cfg.vdomainname = opts_get(o, "domainname");
	const char *search[2] = { opts_get(o, "dnssearch"), NULL };
	cfg.vdnssearch = search[0] ? search : NULL;
	s->slirp = slirp_new(&cfg, &user_callbacks, s);
	if (!s->slirp) {
		net_backend_free(nc);
		error_setg(errp, "could not initialize user networking (libslirp)");
		return NULL;
	}
	timer_init(&s->poll_timer, vm, user_timer_cb, s);
	s->timer_ready = true;
	char a[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &net, a, sizeof(a));
	inet_ntop(AF_INET, &mask, m, sizeof(m));
	snprintf(s->desc, sizeof(s->desc), "net=%s/%s,restrict=%s", a, m, restrict_ ? "on" : "off");
	if (net_opts_each(o, "hostfwd", add_hostfwd, s, errp) < 0 ||
	    net_opts_each(o, "guestfwd", add_guestfwd, s, errp) < 0) {
		net_backend_free(nc);
		return NULL;
	}
	user_update(s);
	return nc;
}
