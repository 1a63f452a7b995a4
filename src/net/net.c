/*
 * The network layer core: net clients, peers, the bounded receive queues,
 * link state, and the small helpers NICs and backends share (MAC parsing,
 * Internet checksums).  Command-line parsing is in net_opts.c, hubs in
 * hub.c, backends in user.c, tap.c, socket.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm.h"
#include "net/net_int.h"

struct net_state *net_state_get(struct vm *vm)
{
	if (!vm->net) {
		vm->net = calloc(1, sizeof(*vm->net));
		if (!vm->net)
			return NULL;
		vm->net->nics_tail = &vm->net->nics;
	}
	return vm->net;
}

void net_client_init(struct net_client *nc, struct vm *vm, const struct net_client_ops *ops,
                     const char *name, void *opaque)
{
	nc->ops = ops;
	nc->vm = vm;
	nc->name = strdup(name ? name : "");
	nc->opaque = opaque;
	nc->peer = NULL;
	nc->next = NULL;
	struct net_state *ns = vm ? net_state_get(vm) : NULL;
	if (ns) {
		struct net_client **pp = &ns->clients;
		while (*pp)
			pp = &(*pp)->next;
		*pp = nc;
	}
}

static void queue_purge(struct net_client *nc, struct net_client *sender)
{
	struct net_packet **pp = &nc->q_head;
	nc->q_tail = NULL;
	while (*pp) {
		struct net_packet *p = *pp;
		if (!sender || p->sender == sender) {
			*pp = p->next;
			nc->q_packets--;
			nc->q_bytes -= p->len;
			free(p);
		} else {
			nc->q_tail = p;
			pp = &p->next;
		}
	}
}

void net_client_uninit(struct net_client *nc)
{
	if (nc->peer) {
		/* Frames we sent that wait at the peer name us as sender. */
		queue_purge(nc->peer, nc);
		nc->peer->peer = NULL;
		nc->peer = NULL;
	}
	queue_purge(nc, NULL);
	if (nc->vm && nc->vm->net) {
		for (struct net_client **pp = &nc->vm->net->clients; *pp; pp = &(*pp)->next) {
			if (*pp == nc) {
				*pp = nc->next;
				break;
			}
		}
	}
	nc->next = NULL;
	free(nc->name);
	nc->name = NULL;
}

int net_client_connect(struct net_client *a, struct net_client *b)
{
	if (a->peer || b->peer)
		return -EBUSY;
	a->peer = b;
	b->peer = a;
	return 0;
}

struct net_client *net_client_find(struct vm *vm, const char *name)
{
	if (!vm->net)
		return NULL;
	for (struct net_client *nc = vm->net->clients; nc; nc = nc->next)
		if (nc->name && !strcmp(nc->name, name))
			return nc;
	return NULL;
}

struct net_client *net_backend_new(struct vm *vm, const struct net_client_ops *ops, const char *name,
                                   size_t size)
{
	struct net_client *nc = calloc(1, sizeof(*nc) + size);
	if (!nc)
		return NULL;
	net_client_init(nc, vm, ops, name, size ? (void *)(nc + 1) : NULL);
	nc->from_cmdline = true;
	return nc;
}

void net_backend_free(struct net_client *nc)
{
	if (!nc)
		return;
	if (nc->ops->cleanup)
		nc->ops->cleanup(nc);
	net_client_uninit(nc);
	free(nc);
}

/* ---- delivery ---- */

static bool queue_full(const struct net_client *nc, size_t len)
{
	return nc->q_packets >= NET_QUEUE_MAX_PACKETS || nc->q_bytes + len > NET_QUEUE_MAX_BYTES;
}

bool net_can_send(struct net_client *nc)
{
	struct net_client *peer = nc->peer;
	if (!peer)
		return true;
	if (!queue_full(peer, 1514))
		return true;
	nc->want_send_ready = true;
	return false;
}

static size_t iov_total(const struct iovec *iov, int n)
{
	size_t t = 0;
	for (int i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

ssize_t net_sendv(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	struct net_client *peer = nc->peer;
	size_t len = iov_total(iov, iovcnt);
	if (!peer || nc->link_down || peer->link_down || len == 0)
		return (ssize_t)len;
	if (len > NET_MAX_FRAME) {
		nc->dropped++;
		return (ssize_t)len;
	}
	/* In order: while frames wait, new ones queue behind them. */
	if (!peer->q_head && !peer->flushing && (!peer->ops->can_receive || peer->ops->can_receive(peer))) {
		ssize_t r = peer->ops->receive(peer, iov, iovcnt);
		if (r != 0)
			return r < 0 ? (ssize_t)len : r;
	}
	if (queue_full(peer, len)) {
		peer->dropped++;
		return 0;
	}
	struct net_packet *p = malloc(sizeof(*p) + len);
	if (!p) {
		peer->dropped++;
		return 0;
	}
	p->next = NULL;
	p->sender = nc;
	p->len = len;
	size_t off = 0;
	for (int i = 0; i < iovcnt; i++) {
		memcpy(p->data + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	if (peer->q_tail)
		peer->q_tail->next = p;
	else
		peer->q_head = p;
	peer->q_tail = p;
	peer->q_packets++;
	peer->q_bytes += len;
	return 0;
}

ssize_t net_send(struct net_client *nc, const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };
	return net_sendv(nc, &iov, 1);
}

void net_flush_queue(struct net_client *nc)
{
	if (nc->flushing)
		return; /* a receive hook called us back: the outer loop goes on */
	nc->flushing = true;
	while (nc->q_head) {
		struct net_packet *p = nc->q_head;
		if (nc->ops->can_receive && !nc->ops->can_receive(nc))
			break;
		struct iovec iov = { p->data, p->len };
		if (nc->ops->receive(nc, &iov, 1) == 0)
			break;
		/* receive may have purged the queue (peer went away) */
		if (nc->q_head != p)
			continue;
		nc->q_head = p->next;
		if (!nc->q_head)
			nc->q_tail = NULL;
		nc->q_packets--;
		nc->q_bytes -= p->len;
		free(p);
	}
	nc->flushing = false;
	struct net_client *peer = nc->peer;
	if (peer && peer->want_send_ready && !queue_full(nc, 1514)) {
		peer->want_send_ready = false;
		if (peer->ops->send_ready)
			peer->ops->send_ready(peer);
	}
}

int net_set_link(struct vm *vm, const char *name, bool up)
{
	struct net_client *nc = net_client_find(vm, name);
	if (!nc)
		return -ENOENT;
	/* QEMU's set_link changes both ends of a NIC/backend pair. */
	struct net_client *ends[2] = { nc, nc->peer };
	for (int i = 0; i < 2; i++) {
		struct net_client *c = ends[i];
		if (!c || c->link_down == !up)
			continue;
		c->link_down = !up;
		if (c->ops->link_changed)
			c->ops->link_changed(c);
	}
	return 0;
}

/* ---- helpers ---- */

int net_parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		int v = 0;
		for (int k = 0; k < 2; k++) {
			char c = *s++;
			int d;
			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (c >= 'a' && c <= 'f')
				d = c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				d = c - 'A' + 10;
			else
				return -1;
			v = v * 16 + d;
		}
		mac[i] = (uint8_t)v;
		if (i < 5 && *s++ != ':' && s[-1] != '-')
			return -1;
	}
	return *s ? -1 : 0;
}

void net_client_unique_name(struct vm *vm, const char *prefix, char *buf, size_t size)
{
	for (unsigned i = 0;; i++) {
		snprintf(buf, size, "%s.%u", prefix, i);
		if (!net_client_find(vm, buf))
			return;
	}
}

void net_default_mac(struct vm *vm, uint8_t mac[6])
{
	/* QEMU's default: 52:54:00:12:34:56 for the first NIC, +1 for each
	 * next one (qemu_macaddr_default_if_unset). */
	struct net_state *ns = net_state_get(vm);
	unsigned idx = ns ? ns->mac_index++ : 0;
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	mac[3] = 0x12;
	mac[4] = 0x34;
	mac[5] = (uint8_t)(0x56 + idx);
}

uint32_t net_checksum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	/* RFC 1071: big-endian 16-bit words, a trailing odd byte is the
	 * high half of a word. */
	size_t i = 0;
	for (; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

uint16_t net_checksum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int net_checksum_finish(uint8_t *frame, size_t len, size_t start, size_t off)
{
	/* virtio 1.2 §5.1.6.2: the driver stored the pseudo-header sum at
	 * csum_start + csum_offset; the device sums from csum_start to the end
	 * and stores the folded result there. */
	if (start >= len || off > len - start || len - start - off < 2)
		return -1;
	uint32_t sum = net_checksum_add(0, frame + start, len - start);
	uint16_t c = net_checksum_fold(sum);
	/* A computed 0 goes out as 0xffff (RFC 768: 0 means "no checksum" for
	 * UDP); both are zero in ones' complement, so TCP verifies either. */
	if (!c)
		c = 0xffff;
	frame[start + off] = (uint8_t)(c >> 8);
	frame[start + off + 1] = (uint8_t)c;
	return 0;
}
