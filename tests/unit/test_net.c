/*
 * The network layer (src/net) and virtio-net (src/hw/virtio/virtio_net.c)
 * without a guest: option parsing with QEMU's messages (observed from
 * qemu-system-x86_64 7.2), the bounded queues and hubs between fake
 * clients, and virtio-net's receive and transmit paths against a fake
 * guest memory and a fake netdev backend.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop_int.h"
#include "core/vm.h"
#include "hw/virtio/virtio_net.h"
#include "net/net_int.h"
#include "util/error.h"

static int tap_n, tap_bad;
static void ok(int cond, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = ' '; /* one TAP line per test */
	printf("%sok %d - %s\n", cond ? "" : "not ", ++tap_n, msg);
	if (!cond)
		tap_bad++;
}

static struct vm *fake_vm(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	pthread_mutex_init(&vm->lock, NULL);
	vm->loop = loop_new();
	vm->clock_stopped_at = -1;
	return vm;
}

static void fake_vm_free(struct vm *vm)
{
	net_cleanup(vm);
	loop_free(vm->loop);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
}

/* ---- option parsing ---- */

static void test_hostfwd(void)
{
	static const struct {
		const char *rule, *why; /* why NULL: valid */
		int udp, hport, gport;
		const char *haddr, *gaddr;
	} cases[] = {
		{ "tcp::2222-:22", NULL, 0, 2222, 22, "0.0.0.0", "0.0.0.0" },
		{ "udp:127.0.0.1:5353-10.0.2.15:53", NULL, 1, 5353, 53, "127.0.0.1", "10.0.2.15" },
		{ "::80-:8080", NULL, 0, 80, 8080, "0.0.0.0", "0.0.0.0" },
		{ "tcp::0x50-:0x16", NULL, 0, 80, 22, "0.0.0.0", "0.0.0.0" },
		{ "tcp::abc-:22", "Bad host port", 0, 0, 0, NULL, NULL },
		{ "xyz::1-:22", "Bad protocol name", 0, 0, 0, NULL, NULL },
		{ "tcp::1", "Bad host port separator", 0, 0, 0, NULL, NULL },
		{ "tcp::1-1.2.3.4.5:22", "Bad guest address", 0, 0, 0, NULL, NULL },
		{ "tcp::70000-:22", "Bad host port", 0, 0, 0, NULL, NULL },
		{ "tcp::1-:0", "Bad guest port", 0, 0, 0, NULL, NULL },
		{ "tcp::1-:", "Bad guest port", 0, 0, 0, NULL, NULL },
		{ "tcp", "No : separators", 0, 0, 0, NULL, NULL },
		{ "tcp:1.2.3.4", "Missing : separator", 0, 0, 0, NULL, NULL },
		{ "tcp:nohost:1-:2", "Bad host address", 0, 0, 0, NULL, NULL },
		{ "tcp::1-22", "Missing guest address", 0, 0, 0, NULL, NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct net_hostfwd f;
		const char *why = net_user_parse_hostfwd(cases[i].rule, &f);
		if (cases[i].why) {
			ok(why && !strcmp(why, cases[i].why), "hostfwd '%s': '%s' (want '%s')", cases[i].rule,
			   why ? why : "(valid)", cases[i].why);
			continue;
		}
		char h[16], g[16];
		inet_ntop(AF_INET, &f.host, h, sizeof(h));
		inet_ntop(AF_INET, &f.guest, g, sizeof(g));
		ok(!why && f.udp == cases[i].udp && f.host_port == cases[i].hport && f.guest_port == cases[i].gport &&
		           !strcmp(h, cases[i].haddr) && !strcmp(g, cases[i].gaddr),
		   "hostfwd '%s' -> %s %s:%d - %s:%d", cases[i].rule, f.udp ? "udp" : "tcp", h, f.host_port, g,
		   f.guest_port);
	}
}

static void test_netdev_options(void)
{
	static const struct {
		const char *opt, *msg; /* msg NULL: accepted */
	} cases[] = {
		{ "user", "Parameter 'id' is missing" },
		{ "user,id=n0,foo=1", "Invalid parameter 'foo'" },
		{ "bogus,id=n0", "Parameter 'type' does not accept value 'bogus'" },
		{ "user,id=1abc", "Parameter 'id' expects an identifier\n"
		                  "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter." },
		{ "user,id=n0,hostfwd=tcp::abc-:22", "Invalid host forwarding rule 'tcp::abc-:22' (Bad host port)" },
		{ "user,id=n0,guestfwd=tcp:10.0.2.100:80", "Invalid guest forwarding rule 'tcp:10.0.2.100:80'" },
		{ "user,id=n0,net=10.0.2.0/33", "Invalid netmask provided (must be in range 4-32)" },
		{ "user,id=n0,net=foo", "Failed to parse netmask" },
		{ "user,id=n0,host=1.2.3.4", "Host doesn't belong to network" },
		{ "user,id=n0,dhcpstart=1.2.3.4", "DHCP doesn't belong to network" },
		{ "user,id=n0,restrict=maybe", "Parameter 'restrict' expects 'on' or 'off'" },
		{ "user,id=n0,ipv6=off,ipv4=off", "IPv4 and IPv6 disabled" },
		{ "socket,id=s", "exactly one of listen=, connect=, mcast= or udp= is required" },
		{ "socket,id=s,listen=:1,connect=:2", "exactly one of listen=, connect=, mcast= or udp= is required" },
		{ "socket,id=s,listen=foo", "host address 'foo' doesn't contain ':' separating host from port" },
		{ "tap,id=t,ifname=x,fd=3", "ifname=, script=, downscript=, vnet_hdr=, helper=, queues=, fds=, and "
		                            "vhostfds= are invalid with fd=" },
		{ "hubport,id=h", "Parameter 'hubid' is missing" },
		{ "user,id=u1,net=10.0.3.0/24,hostfwd=tcp:127.0.0.1:0-:22,ipv6=off", NULL },
		{ "user,id=u1", "Duplicate ID 'u1' for netdev" },
		{ "hubport,id=h1,hubid=2,netdev=u1", NULL },
		{ "hubport,id=h2,hubid=2,netdev=u1", "Device 'u1' is in use" },
	};
	struct vm *vm = fake_vm();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct error *err = NULL;
		int r = net_netdev_add(vm, cases[i].opt, &err);
		if (cases[i].msg)
			ok(r < 0 && err && !strcmp(err->msg, cases[i].msg), "-netdev %s: '%s'", cases[i].opt,
			   err ? err->msg : "(accepted)");
		else
			ok(r == 0, "-netdev %s accepted%s%s", cases[i].opt, err ? ": " : "", err ? err->msg : "");
		error_free(err);
	}
	/* -nic and -net make backends and NIC requests. */
	struct error *err = NULL;
	ok(net_nic_add(vm, "user,model=virtio,mac=52:54:00:00:00:09", &err) == 0, "-nic user,model=virtio");
	ok(net_client_find(vm, "__org.qemu.nic0") != NULL, "-nic backend named __org.qemu.nic0");
	ok(net_nic_add(vm, "user,model=e1000", &err) < 0 && !strcmp(err->msg, "Unsupported NIC model: e1000"),
	   "-nic model=e1000 refused");
	error_free(err);
	err = NULL;
	ok(net_legacy_add(vm, "user", &err) == 0 && net_client_find(vm, "user.0") && net_client_find(vm, "hub0port0"),
	   "-net user joins hub 0 as user.0");
	ok(net_legacy_add(vm, "nic,macaddr=52:54:00:00:00:0a", &err) == 0 && net_client_find(vm, "hub0port1"),
	   "-net nic gets hub 0's next port");
	bool in_use;
	ok(net_netdev_lookup(vm, "u1", &in_use) == NULL && in_use, "netdev u1 is in use by hub port h1");
	ok(net_netdev_lookup(vm, "hub0port1", &in_use) != NULL, "the -net nic's hub port is free for its NIC");
	ok(net_netdev_lookup(vm, "nosuch", &in_use) == NULL && !in_use, "unknown netdev");
	fake_vm_free(vm);
}

static void test_helpers(void)
{
	uint8_t mac[6];
	ok(net_parse_mac("52:54:00:AB:cd:0f", mac) == 0 && mac[3] == 0xab && mac[5] == 0x0f, "MAC parsed");
	ok(net_parse_mac("52:54:00:ab:cd", mac) < 0 && net_parse_mac("52:54:00:ab:cd:0g", mac) < 0 &&
	           net_parse_mac("52:54:00:ab:cd:01:", mac) < 0,
	   "bad MACs refused");
	/* The IPv4 header checksum example of RFC 1071 practice: 0xb861. */
	uint8_t ip[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		           0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	ok(net_checksum_finish(ip, 20, 0, 10) == 0 && ip[10] == 0xb8 && ip[11] == 0x61, "IPv4 header checksum 0x%02x%02x",
	   ip[10], ip[11]);
	ok(net_checksum_finish(ip, 20, 0, 19) < 0 && net_checksum_finish(ip, 20, 20, 0) < 0,
	   "checksum offsets outside the frame refused");
}

/* ---- fake clients ---- */

struct fake {
	struct net_client nc;
	bool busy;
	int frames;
	size_t last_len;
	uint8_t last[NET_MAX_FRAME];
	int seq[600];
	int send_ready;
};

static ssize_t fake_receive(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	struct fake *f = nc->opaque;
	if (f->busy)
		return 0;
	size_t off = 0;
	for (int i = 0; i < iovcnt; i++) {
		memcpy(f->last + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	f->last_len = off;
	if (f->frames < 600)
		f->seq[f->frames] = f->last[0] | f->last[1] << 8;
	f->frames++;
	return (ssize_t)off;
}

static void fake_send_ready(struct net_client *nc)
{
	struct fake *f = nc->opaque;
	f->send_ready++;
}

static const struct net_client_ops fake_ops = {
	.kind = NET_CLIENT_OTHER,
	.receive = fake_receive,
	.send_ready = fake_send_ready,
};

static void fake_init(struct fake *f, struct vm *vm, const char *name)
{
	memset(f, 0, sizeof(*f));
	net_client_init(&f->nc, vm, &fake_ops, name, f);
}

static void send_seq(struct net_client *nc, int i)
{
	uint8_t fr[64] = { (uint8_t)i, (uint8_t)(i >> 8) };
	net_send(nc, fr, sizeof(fr));
}

static void test_queue(void)
{
	struct vm *vm = fake_vm();
	struct fake *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	fake_init(a, vm, "a");
	fake_init(b, vm, "b");
	net_client_connect(&a->nc, &b->nc);
	send_seq(&a->nc, 0);
	ok(b->frames == 1, "a frame reaches the peer");
	b->busy = true;
	for (int i = 1; i < 1 + NET_QUEUE_MAX_PACKETS + 10; i++)
		send_seq(&a->nc, i);
	ok(b->nc.q_packets == NET_QUEUE_MAX_PACKETS && b->nc.dropped == 10,
	   "a busy peer queues %u frames and drops the rest (%llu)", b->nc.q_packets, (unsigned long long)b->nc.dropped);
	ok(!net_can_send(&a->nc), "the sender is told to hold back");
	b->busy = false;
	net_flush_queue(&b->nc);
	bool order = b->frames == 1 + NET_QUEUE_MAX_PACKETS;
	for (int i = 0; order && i < b->frames; i++)
		order = b->seq[i] == i;
	ok(order, "the queue drains in order (%d frames)", b->frames);
	ok(a->send_ready == 1, "the sender hears that it may send again");
	ok(net_set_link(vm, "a", false) == 0 && a->nc.link_down && b->nc.link_down, "set_link down affects both ends");
	send_seq(&a->nc, 1000);
	ok(b->frames == 1 + NET_QUEUE_MAX_PACKETS, "no frames while the link is down");
	net_set_link(vm, "b", true);
	send_seq(&a->nc, 1001);
	ok(b->frames == 2 + NET_QUEUE_MAX_PACKETS && !a->nc.link_down, "link up again");
	/* Frames queued from a sender that goes away are forgotten with it. */
	b->busy = true;
	send_seq(&a->nc, 7);
	net_client_uninit(&a->nc);
	ok(b->nc.q_packets == 0 && b->nc.peer == NULL, "uninit drops the sender's queued frames");
	net_client_uninit(&b->nc);
	free(a);
	free(b);
	fake_vm_free(vm);
}

static void test_hub(void)
{
	struct vm *vm = fake_vm();
	struct fake *f[3];
	for (int i = 0; i < 3; i++) {
		char name[8];
		snprintf(name, sizeof(name), "f%d", i);
		f[i] = malloc(sizeof(*f[i]));
		fake_init(f[i], vm, name);
		struct net_client *port = net_hub_add_port(vm, 5, NULL, NULL);
		net_client_connect(port, &f[i]->nc);
	}
	ok(net_client_find(vm, "hub5port2") != NULL, "hub ports are named hubNportM");
	send_seq(&f[1]->nc, 42);
	ok(f[0]->frames == 1 && f[2]->frames == 1 && f[1]->frames == 0, "a hub floods every other port");
	for (int i = 0; i < 3; i++) {
		net_client_uninit(&f[i]->nc);
		free(f[i]);
	}
	fake_vm_free(vm);
}

/* ---- virtio-net against a fake guest ---- */

#define RAM_SIZE (1u << 20)
#define QN 256
#define RX_DESC 0x1000
#define RX_AVAIL 0x2000
#define RX_USED 0x3000
#define TX_DESC 0x5000
#define TX_AVAIL 0x6000
#define TX_USED 0x7000
#define BUFS 0x10000

struct guest {
	uint8_t *ram;
	int notifies;
	uint16_t rx_avail, tx_avail;
};

static void *g_map(void *opaque, uint64_t gpa, uint64_t len, bool write, uint64_t *mapped)
{
	struct guest *g = opaque;
	if (gpa >= RAM_SIZE)
		return NULL;
	*mapped = RAM_SIZE - gpa < len ? RAM_SIZE - gpa : len;
	return g->ram + gpa;
}
static void g_dirty(void *opaque, uint64_t gpa, uint64_t len) { }
static void g_notify(struct virtio_device *vdev, uint16_t vector, bool config)
{
	struct guest *g = vdev->mem.opaque;
	g->notifies++;
}
static const struct virtio_transport_ops g_tops = { g_notify, NULL };

static void w16(struct guest *g, uint64_t a, uint16_t v) { memcpy(g->ram + a, &v, 2); }
static void w32(struct guest *g, uint64_t a, uint32_t v) { memcpy(g->ram + a, &v, 4); }
static void w64(struct guest *g, uint64_t a, uint64_t v) { memcpy(g->ram + a, &v, 8); }
static uint16_t r16(struct guest *g, uint64_t a) { uint16_t v; memcpy(&v, g->ram + a, 2); return v; }
static uint32_t r32(struct guest *g, uint64_t a) { uint32_t v; memcpy(&v, g->ram + a, 4); return v; }

static void desc(struct guest *g, uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                 uint16_t next)
{
	w64(g, table + 16 * i, addr);
	w32(g, table + 16 * i + 8, len);
	w16(g, table + 16 * i + 12, flags);
	w16(g, table + 16 * i + 14, next);
}

/* Post rx buffer i (one writable descriptor of len bytes at BUFS + i*2048). */
static void post_rx(struct guest *g, unsigned i, uint32_t len)
{
	desc(g, RX_DESC, i, BUFS + i * 2048u, len, VIRTQ_DESC_F_WRITE, 0);
	w16(g, RX_AVAIL + 4 + 2 * (g->rx_avail % QN), (uint16_t)i);
	g->rx_avail++;
	w16(g, RX_AVAIL + 2, g->rx_avail);
}

struct rig {
	struct vm *vm;
	struct guest g;
	struct virtio_net n;
	struct fake *be;
};

static void rig_setup(struct rig *r, uint64_t features)
{
	memset(r, 0, sizeof(*r));
	r->vm = fake_vm();
	r->g.ram = calloc(1, RAM_SIZE);
	r->be = malloc(sizeof(*r->be));
	fake_init(r->be, r->vm, "be");
	r->be->nc.from_cmdline = false;
	struct virtio_net *n = &r->n;
	n->netdev = &r->be->nc;
	n->mac_str = strdup("52:54:00:12:34:99");
	n->mrg_rxbuf_prop = n->csum_prop = n->guest_csum_prop = n->status_prop = true;
	n->ctrl_vq_prop = n->ctrl_rx_prop = n->ctrl_mac_addr_prop = true;
	n->rx_queue_size = n->tx_queue_size = QN;
	struct error *err = NULL;
	ok(virtio_net_init(n, r->vm, "nic0", &err) == 0, "virtio_net_init%s%s", err ? ": " : "", err ? err->msg : "");
	error_free(err);
	struct virtio_device *v = &n->vdev;
	v->mem = (struct virtio_mem){ g_map, g_dirty, &r->g };
	v->tops = &g_tops;
	virtio_set_driver_features(v, 0, (uint32_t)features);
	virtio_set_driver_features(v, 1, (uint32_t)(features >> 32));
	virtio_set_status(v, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	virtqueue_set_num(&v->vqs[0], QN);
	virtqueue_set_addrs(&v->vqs[0], RX_DESC, RX_AVAIL, RX_USED);
	virtqueue_enable(&v->vqs[0]);
	virtqueue_set_num(&v->vqs[1], QN);
	virtqueue_set_addrs(&v->vqs[1], TX_DESC, TX_AVAIL, TX_USED);
	virtqueue_enable(&v->vqs[1]);
	virtio_set_status(v, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
	                             VIRTIO_STATUS_DRIVER_OK);
}

static void rig_free(struct rig *r)
{
	virtio_net_cleanup(&r->n);
	free(r->n.mac_str);
	net_client_uninit(&r->be->nc);
	free(r->be);
	free(r->g.ram);
	fake_vm_free(r->vm);
}

static void frame_fill(uint8_t *f, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		f[i] = (uint8_t)(i * 7 + seed);
}

/* RFC 1071 checksum, written out here independently of the device's */
static uint16_t rfc1071(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An Ethernet + IPv4 + UDP (proto 17) or TCP (6) frame with `plen` payload bytes and correct
 * checksums; returns its length. */
static size_t l4_frame(uint8_t *f, unsigned proto, size_t plen)
{
	size_t hl = proto == 17 ? 8 : 20, l4 = hl + plen;
	memset(f, 0, 14 + 20 + l4);
	memcpy(f, "\x52\x54\x00\x12\x34\x99\x52\x55\x0a\x00\x02\x02\x08\x00", 14);
	uint8_t *ip = f + 14, *t = ip + 20;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + l4) >> 8);
	ip[3] = (uint8_t)(20 + l4);
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = (uint8_t)proto;
	memcpy(ip + 12, "\x0a\x00\x02\x02\x0a\x00\x02\x0f", 8);
	uint16_t c = rfc1071(ip, 20, 0);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	t[0] = 0x1f; t[1] = 0x90; t[2] = 0xc3; t[3] = 0x50; /* ports 8080 -> 50000 */
	if (proto == 17) {
		t[4] = (uint8_t)(l4 >> 8);
		t[5] = (uint8_t)l4;
	} else {
		t[12] = 0x50; /* data offset 5 */
		t[13] = 0x18; /* ACK PSH */
	}
	for (size_t i = 0; i < plen; i++)
		t[hl + i] = (uint8_t)(i * 13 + 5);
	uint8_t ph[12];
	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = (uint8_t)proto;
	ph[10] = (uint8_t)(l4 >> 8);
	ph[11] = (uint8_t)l4;
	uint32_t pre = 0;
	for (int i = 0; i < 12; i += 2)
		pre += (uint32_t)ph[i] << 8 | ph[i + 1];
	c = rfc1071(t, l4, pre);
	if (proto == 17 && c == 0)
		c = 0xffff;
	t[proto == 17 ? 6 : 16] = (uint8_t)(c >> 8);
	t[proto == 17 ? 7 : 17] = (uint8_t)c;
	return 14 + 20 + l4;
}

/* Receive checksum offload: with GUEST_CSUM, a frame whose TCP/UDP checksum the device verified is
 * marked DATA_VALID (the guest then skips its own check); a frame with a wrong checksum, a
 * fragment, a UDP frame without checksum or a non-IP frame is not. */
static void test_virtio_net_rx_csum(void)
{
	struct rig r;
	uint64_t feat = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) |
	                VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM);
	rig_setup(&r, feat);
	static uint8_t f[2000];
	static const char *const what[] = { "TCP, valid", "UDP, valid (odd length)", "TCP, one payload byte flipped",
		                            "UDP, checksum field wrong", "TCP, a fragment (MF)", "UDP without checksum",
		                            "ARP", "TCP, IP total length past the frame" };
	static const uint8_t want[] = { 2, 2, 0, 0, 0, 0, 0, 0 };
	int good = 0;
	for (unsigned k = 0; k < 8; k++) {
		size_t len = l4_frame(f, k == 1 || k == 3 || k == 5 ? 17 : 6, k == 1 ? 1001 : 1000);
		if (k == 2)
			f[14 + 20 + 20 + 500] ^= 0x40;
		if (k == 3)
			f[14 + 20 + 6] ^= 1;
		if (k == 4)
			f[14 + 6] = 0x20; /* MF */
		if (k == 5)
			f[14 + 20 + 6] = f[14 + 20 + 7] = 0;
		if (k == 6)
			f[12] = 0x08, f[13] = 0x06;
		if (k == 7)
			f[14 + 2] = 0x10; /* 4096 + ... bytes claimed */
		post_rx(&r.g, k % 4, 2000);
		net_send(&r.be->nc, f, len);
		uint8_t flags = r.g.ram[BUFS + (k % 4) * 2048u];
		if (flags == want[k])
			good++;
		else
			fprintf(stderr, "# %s: flags %u, want %u\n", what[k], flags, want[k]);
	}
	ok(good == 8, "rx checksum offload: DATA_VALID only on verified TCP/UDP frames (%d/8)", good);
	rig_free(&r);
}

static void test_virtio_net_rx(void)
{
	struct rig r;
	uint64_t feat = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) |
	                VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS) | VIRTIO_BIT(VIRTIO_NET_F_CSUM);
	rig_setup(&r, feat);
	ok(!r.n.vdev.status || (r.n.vdev.status & VIRTIO_STATUS_FEATURES_OK), "features accepted");
	ok(!memcmp(r.n.vdev.config, "\x52\x54\x00\x12\x34\x99", 6) && r.n.vdev.config[6] == 1,
	   "config: MAC and LINK_UP");
	static uint8_t frame[4000];
	frame_fill(frame, 2500, 1);
	/* No buffers: the frame waits. */
	net_send(&r.be->nc, frame, 2500);
	ok(r.n.nic.q_packets == 1 && r.n.rx_waiting, "without rx buffers the frame waits in the queue");
	/* Three 1000-byte buffers; the guest kicks: 12 + 2500 bytes across 3. */
	for (unsigned i = 0; i < 3; i++)
		post_rx(&r.g, i, 1000);
	virtqueue_kick(&r.n.vdev.vqs[0]);
	ok(r16(&r.g, RX_USED + 2) == 3, "three used entries (%u)", r16(&r.g, RX_USED + 2));
	ok(r32(&r.g, RX_USED + 4 + 4) == 1000 && r32(&r.g, RX_USED + 12 + 4) == 1000 &&
	           r32(&r.g, RX_USED + 20 + 4) == 512,
	   "used lengths 1000, 1000, 512");
	ok(r16(&r.g, BUFS + 10) == 3 && r.g.ram[BUFS] == 0 && r.g.ram[BUFS + 1] == 0, "header: num_buffers 3, no flags");
	static uint8_t got[4000];
	memcpy(got, r.g.ram + BUFS + 12, 988);
	memcpy(got + 988, r.g.ram + BUFS + 2048, 1000);
	memcpy(got + 1988, r.g.ram + BUFS + 4096, 512);
	ok(!memcmp(got, frame, 2500), "the frame's bytes across the buffers");
	ok(r.n.nic.q_packets == 0 && r.g.notifies > 0, "queue empty, guest interrupted");

	/* A guest that never refills: memory stays bounded, frames drop. */
	for (int i = 0; i < NET_QUEUE_MAX_PACKETS + 50; i++)
		net_send(&r.be->nc, frame, 1000);
	ok(r.n.nic.q_packets == NET_QUEUE_MAX_PACKETS && r.n.nic.dropped == 50,
	   "a starving guest: %u frames queued, %llu dropped", r.n.nic.q_packets, (unsigned long long)r.n.nic.dropped);
	/* Link down: status bit clears, a config interrupt. */
	int before = r.g.notifies;
	net_set_link(r.vm, "nic0", false);
	ok(r.n.vdev.config[6] == 0 && r.g.notifies == before + 1, "link down: status 0, config interrupt");
	net_set_link(r.vm, "nic0", true);
	rig_free(&r);

	/* Without MRG_RXBUF: one buffer per frame, 12-byte header (VERSION_1). */
	rig_setup(&r, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	post_rx(&r.g, 0, 1600);
	post_rx(&r.g, 1, 100);
	frame_fill(frame, 1514, 9);
	net_send(&r.be->nc, frame, 1514);
	ok(r32(&r.g, RX_USED + 4 + 4) == 1526 && !memcmp(r.g.ram + BUFS + 12, frame, 1514),
	   "one buffer holds header + frame");
	net_send(&r.be->nc, frame, 1514);
	ok(r16(&r.g, RX_USED + 2) == 2 && r32(&r.g, RX_USED + 12 + 4) == 0 && !r.n.vdev.broken,
	   "a too small buffer loses the frame (used length 0), the device keeps going");
	rig_free(&r);
}

static void test_virtio_net_tx(void)
{
	struct rig r;
	rig_setup(&r, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_CSUM));
	/* An Ethernet + IPv4 + UDP frame whose UDP checksum is left to the
	 * device: the driver put the pseudo-header sum in the field. */
	uint8_t f[14 + 20 + 8 + 11] = { 0 };
	memset(f, 0xff, 6);
	f[12] = 0x08;
	uint8_t *ip = f + 14, *udp = ip + 20;
	ip[0] = 0x45;
	ip[3] = 20 + 8 + 11;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, "\x0a\x00\x02\x0f\x0a\x00\x02\x02", 8);
	udp[0] = 0x30, udp[1] = 0x39, udp[2] = 0x00, udp[3] = 0x35, udp[5] = 8 + 11;
	memcpy(udp + 8, "hello world", 11);
	/* pseudo header: src, dst, proto 17, UDP length (partial, not inverted) */
	uint32_t ps = net_checksum_add(0, ip + 12, 8) + 17 + 19;
	while (ps >> 16)
		ps = (ps & 0xffff) + (ps >> 16);
	udp[6] = (uint8_t)(ps >> 8);
	udp[7] = (uint8_t)ps;
	uint8_t hdr[12] = { VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 0, 0, 34, 0, 6, 0, 0, 0 };
	/* header and frame in separate descriptors, as Linux sends them */
	memcpy(r.g.ram + BUFS, hdr, 12);
	memcpy(r.g.ram + BUFS + 64, f, sizeof(f));
	desc(&r.g, TX_DESC, 0, BUFS, 12, VIRTQ_DESC_F_NEXT, 1);
	desc(&r.g, TX_DESC, 1, BUFS + 64, sizeof(f), 0, 0);
	w16(&r.g, TX_AVAIL + 4, 0);
	w16(&r.g, TX_AVAIL + 2, 1);
	virtqueue_kick(&r.n.vdev.vqs[1]);
	ok(r.be->frames == 1 && r.be->last_len == sizeof(f), "the backend got the frame (%zu bytes)", r.be->last_len);
	/* Verify the UDP checksum independently: the sum over pseudo header
	 * and datagram, checksum included, is all ones. */
	uint8_t *gudp = r.be->last + 34;
	uint32_t s = 0;
	for (int i = 0; i < 8; i += 2)
		s += (uint32_t)(r.be->last[26 + i] << 8 | r.be->last[27 + i]);
	s += 17 + 19;
	for (int i = 0; i < 19; i += 2)
		s += (uint32_t)(gudp[i] << 8 | (i + 1 < 19 ? gudp[i + 1] : 0));
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	ok(s == 0xffff && (gudp[6] || gudp[7]), "the device completed the UDP checksum (%04x)", gudp[6] << 8 | gudp[7]);
	ok(r16(&r.g, TX_USED + 2) == 1, "tx chain returned");
	/* A header-only chain shorter than the header: the device goes broken. */
	desc(&r.g, TX_DESC, 2, BUFS, 4, 0, 0);
	w16(&r.g, TX_AVAIL + 4 + 2, 2);
	w16(&r.g, TX_AVAIL + 2, 2);
	virtqueue_kick(&r.n.vdev.vqs[1]);
	ok(r.n.vdev.broken && r.be->frames == 1, "a chain without room for the header breaks the device");
	rig_free(&r);
}

int main(void)
{
	test_hostfwd();
	test_netdev_options();
	test_helpers();
	test_queue();
	test_hub();
	test_virtio_net_rx();
	test_virtio_net_rx_csum();
	test_virtio_net_tx();
	printf("1..%d\n", tap_n);
	return tap_bad ? 1 : 0;
}
