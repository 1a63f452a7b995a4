/*
 * virtio-net (virtio 1.2 §5.1) as the PCI device virtio-net-pci, connected
 * to a netdev backend (src/net) through its own net client.
 *
 * Queues: 0 receive, 1 transmit, 2 control (when VIRTIO_NET_F_CTRL_VQ).
 * Every frame carries a struct virtio_net_hdr (§5.1.6): 12 bytes with
 * VERSION_1 or MRG_RXBUF, else the legacy 10.
 *
 * Offloads.  The backends exchange complete frames, so the device does
 * the checksum the driver leaves to it (VIRTIO_NET_F_CSUM, §5.1.6.2:
 * NEEDS_CSUM with csum_start/csum_offset) before the frame leaves, and
 * hands received frames over with full checksums (GUEST_CSUM offered),
 * marked DATA_VALID when the device has verified their TCP/UDP checksum.  No segmentation offloads (HOST_TSO*, GUEST_TSO*): frames
 * stay MTU-sized.
 *
 * Receive.  A frame goes into one descriptor chain, or with
 * VIRTIO_NET_F_MRG_RXBUF into as many as it needs (§5.1.6.4, num_buffers
 * in the first header), published together.  When the driver has not
 * posted enough buffers the frame waits in the net client's bounded queue
 * (src/net/net.h) and the driver's next rx notification flushes it; a
 * driver that never refills makes the queue overflow and frames drop,
 * memory does not grow.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/device.h"
#include "core/loop.h"
#include "core/vm.h"
#include "hw/virtio/virtio_net.h"
#include "hw/virtio/virtio_pci.h"
#include "util/error.h"

struct virtio_net_pci {
	struct virtio_pci vp;
	struct virtio_net net;
};

static struct virtio_net *to_net(struct virtio_device *vdev) { return (struct virtio_net *)vdev; }

static unsigned hdr_len(struct virtio_net *n)
{
	return virtio_has_feature(&n->vdev, VIRTIO_F_VERSION_1) ||
	                       virtio_has_feature(&n->vdev, VIRTIO_NET_F_MRG_RXBUF)
	               ? 12
	               : 10;
}

static bool running(struct virtio_net *n)
{
	return (n->vdev.status & VIRTIO_STATUS_DRIVER_OK) && !n->vdev.broken;
}

/* ---- receive ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* Ones' complement sum of a byte range (big-endian 16-bit words), added to sum. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static bool csum_ok(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/*
 * Receive checksum offload (VIRTIO_NET_HDR_F_DATA_VALID, §5.1.6.4.1): the
 * device checks the TCP or UDP checksum of an unfragmented IPv4/IPv6 frame
 * here, natively, so that the guest does not do it again on the emulated
 * CPU.  A frame whose checksum does not verify (or that is not one of
 * these) goes in unmarked, and the guest's own check drops it as before.
 */
static bool rx_l4_csum_valid(const uint8_t *f, size_t len)
{
	if (len < 14)
		return false;
	unsigned type = (unsigned)(f[12] << 8 | f[13]);
	const uint8_t *ip = f + 14;
	size_t iplen = len - 14;
	uint32_t sum;
	const uint8_t *l4;
	size_t l4len;
	unsigned proto;
	if (type == 0x0800) {
		if (iplen < 20 || (ip[0] >> 4) != 4)
			return false;
		size_t ihl = (size_t)(ip[0] & 15) * 4;
		size_t tot = (size_t)(ip[2] << 8 | ip[3]);
		if (ihl < 20 || tot < ihl || tot > iplen || ((ip[6] & 0x3f) | ip[7]))
			return false; /* bad lengths, or a fragment (MF or an offset) */
		proto = ip[9];
		l4 = ip + ihl;
		l4len = tot - ihl;
		sum = csum_add(0, ip + 12, 8); /* pseudo header: addresses, protocol, length */
	} else if (type == 0x86dd) {
		if (iplen < 40 || (ip[0] >> 4) != 6)
			return false;
		size_t pl = (size_t)(ip[4] << 8 | ip[5]);
		if (pl > iplen - 40)
			return false;
		proto = ip[6]; /* extension headers: left to the guest */
		l4 = ip + 40;
		l4len = pl;
		sum = csum_add(0, ip + 8, 32);
	} else {
		return false;
	}
	if (proto == 6) {
		if (l4len < 20)
			return false;
	} else if (proto == 17) {
		if (l4len < 8 || (size_t)(l4[4] << 8 | l4[5]) != l4len)
			return false;
		if (type == 0x0800 && !l4[6] && !l4[7])
			return false; /* no checksum: nothing to vouch for */
	} else {
		return false;
	}
	sum += proto + (uint32_t)l4len;
	return csum_ok(csum_add(sum, l4, l4len));
}

ssize_t virtio_net_receive_frame(struct virtio_net *n, const uint8_t *frame, size_t len)
{
	struct virtqueue *vq = &n->vdev.vqs[VIRTIO_NET_RXQ];
	if (!running(n) || !virtqueue_ready(vq) || n->nic.link_down)
		return (ssize_t)len; /* nobody listens: the frame is lost */
	unsigned hl = hdr_len(n);
	bool mrg = virtio_has_feature(&n->vdev, VIRTIO_NET_F_MRG_RXBUF);
	uint64_t need = hl + len;
	if (virtqueue_avail_bytes(vq, mrg ? need : 1) < (mrg ? need : 1)) {
		n->rx_waiting = true;
		return 0; /* queued until the driver posts buffers */
	}
	uint8_t hdr[12] = { 0 }; /* GSO_NONE: complete checksums */
	if (virtio_has_feature(&n->vdev, VIRTIO_NET_F_GUEST_CSUM) && rx_l4_csum_valid(frame, len))
		hdr[0] = VIRTIO_NET_HDR_F_DATA_VALID;
	put16(hdr + 10, 1);
	size_t copied = 0;
	unsigned count = 0;
	struct virtq_elem *first = NULL;
	struct virtq_elem **elems = n->rx_elems;
	while (copied < len || count == 0) {
		if (count >= n->vdev.vqs[VIRTIO_NET_RXQ].num || count >= VIRTIO_NET_RX_MAX_CHAINS) {
			virtio_error(&n->vdev, "rx: a frame of %zu bytes needs more than %u buffers", len, count);
			goto undo;
		}
		struct virtq_elem *e = virtqueue_pop(vq, sizeof(*e));
		if (!e) {
			/* The driver took buffers back or the ring went bad:
			 * put back what we took, try again later. */
			if (n->vdev.broken)
				goto undo_broken;
			goto undo;
		}
		elems[count++] = e;
		size_t off = 0;
		if (!first) {
			first = e;
			if (e->in_len < hl) {
				virtio_error(&n->vdev, "rx: buffer of %llu bytes cannot hold the %u-byte header",
				             (unsigned long long)e->in_len, hl);
				goto undo_broken;
			}
			iov_from_buf(e->in, e->in_num, 0, hdr, hl);
			off = hl;
		}
		size_t put = iov_from_buf(e->in, e->in_num, off, frame + copied, len - copied);
		copied += put;
		if (!mrg && copied < len) {
			/* §5.1.6.3.1: without MRG_RXBUF each buffer holds a whole
			 * frame; a driver posting less loses the frame. */
			vm_log(n->vm, VM_LOG_GUEST_ERRORS,
			       "virtio-net: rx buffer of %llu bytes too small for a %zu-byte frame; dropped\n",
			       (unsigned long long)e->in_len, len);
			virtqueue_push(vq, e, 0);
			free(e);
			virtqueue_notify(vq);
			return (ssize_t)len;
		}
		if (put == 0 && off == 0) {
			virtio_error(&n->vdev, "rx: zero-sized receive buffer");
			goto undo_broken;
		}
	}
	if (mrg)
		iov_from_buf(first->in, first->in_num, 10, (uint8_t[2]){ (uint8_t)count, (uint8_t)(count >> 8) }, 2);
	{
		uint32_t left = (uint32_t)(hl + len);
		for (unsigned i = 0; i < count; i++) {
			uint32_t l = elems[i]->in_len < left ? (uint32_t)elems[i]->in_len : left;
			virtqueue_fill(vq, elems[i], l, i);
			left -= l;
		}
	}
	virtqueue_flush(vq, count);
	for (unsigned i = 0; i < count; i++)
		free(elems[i]);
	virtqueue_notify(vq);
	n->rx_frames++;
	return (ssize_t)len;
undo:
	while (count) {
		count--;
		virtqueue_unpop(vq, elems[count]);
		free(elems[count]);
	}
	n->rx_waiting = true;
	return 0;
undo_broken:
	while (count)
		free(elems[--count]);
	return (ssize_t)len;
}

static ssize_t nic_receive(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	struct virtio_net *n = nc->opaque;
	size_t len = 0;
	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (len > NET_MAX_FRAME)
		return (ssize_t)len;
	const uint8_t *frame = iov[0].iov_base;
	if (iovcnt != 1) {
		size_t off = 0;
		for (int i = 0; i < iovcnt; i++) {
			memcpy(n->rxbuf + off, iov[i].iov_base, iov[i].iov_len);
			off += iov[i].iov_len;
		}
		frame = n->rxbuf;
	}
	return virtio_net_receive_frame(n, frame, len);
}

static void rx_handle(struct virtio_device *vdev, struct virtqueue *vq)
{
	/* The driver posted buffers: deliver what waited. */
	struct virtio_net *n = to_net(vdev);
	n->rx_waiting = false;
	net_flush_queue(&n->nic);
}

/* ---- transmit ---- */

static void tx_bh(void *opaque);

static void tx_handle(struct virtio_device *vdev, struct virtqueue *vq)
{
	struct virtio_net *n = to_net(vdev);
	unsigned hl = hdr_len(n);
	/* A bounded burst per notification; the rest in a bottom half so a
	 * guest streaming frames cannot hold the vCPU (and the lock) forever. */
	unsigned budget = 256;
	bool sent = false;
	while (budget--) {
		struct virtq_elem *e = virtqueue_pop(vq, sizeof(*e));
		if (!e)
			break;
		sent = true;
		uint8_t hdr[12] = { 0 };
		if (e->out_len < hl) {
			virtio_error(vdev, "tx: chain of %llu bytes has no room for the %u-byte header",
			             (unsigned long long)e->out_len, hl);
			free(e);
			return;
		}
		uint64_t flen = e->out_len - hl;
		iov_to_buf(e->out, e->out_num, 0, hdr, hl);
		if (flen > NET_MAX_FRAME || flen < 14) {
			vm_log(n->vm, VM_LOG_GUEST_ERRORS, "virtio-net: tx frame of %llu bytes dropped\n",
			       (unsigned long long)flen);
		} else if (hdr[1] != VIRTIO_NET_HDR_GSO_NONE) {
			vm_log(n->vm, VM_LOG_GUEST_ERRORS,
			       "virtio-net: tx frame with GSO type %u, which was not offered; dropped\n", hdr[1]);
		} else {
			iov_to_buf(e->out, e->out_num, hl, n->txbuf, (size_t)flen);
			if ((hdr[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM) && virtio_has_feature(vdev, VIRTIO_NET_F_CSUM)) {
				/* flags, gso_type, hdr_len, gso_size, csum_start, csum_offset */
				size_t start = (size_t)(hdr[6] | hdr[7] << 8), off = (size_t)(hdr[8] | hdr[9] << 8);
				if (net_checksum_finish(n->txbuf, (size_t)flen, start, off) < 0)
					vm_log(n->vm, VM_LOG_GUEST_ERRORS,
					       "virtio-net: tx checksum at %zu+%zu outside the %llu-byte frame\n",
					       start, off, (unsigned long long)flen);
			}
			n->tx_frames++;
			net_send(&n->nic, n->txbuf, (size_t)flen);
		}
		virtqueue_push(vq, e, 0);
		free(e);
	}
	if (sent)
		virtqueue_notify(vq);
	if (budget == (unsigned)-1 && !n->tx_bh_pending) {
		n->tx_bh_pending = true;
		loop_schedule(n->vm, tx_bh, n);
	}
}

static void tx_bh(void *opaque)
{
	struct virtio_net *n = opaque;
	n->tx_bh_pending = false;
	if (n->vdev.nvqs > VIRTIO_NET_TXQ)
		virtqueue_kick(&n->vdev.vqs[VIRTIO_NET_TXQ]);
}

/* ---- control queue (§5.1.6.5) ---- */

static uint8_t ctrl_command(struct virtio_net *n, uint8_t cls, uint8_t cmd, const uint8_t *data, size_t len)
{
	switch (cls) {
	case VIRTIO_NET_CTRL_RX:
		/* Receive filtering (promiscuous, all-multicast ...): lemu
		 * delivers every frame, which these modes allow; the driver
		 * filters the rest itself. */
		if (!virtio_has_feature(&n->vdev, VIRTIO_NET_F_CTRL_RX) || len < 1 || cmd > 5)
			return VIRTIO_NET_ERR;
		return VIRTIO_NET_OK;
	case VIRTIO_NET_CTRL_MAC:
		if (cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET) {
			if (len != 6)
				return VIRTIO_NET_ERR;
			memcpy(n->mac, data, 6);
			memcpy(n->vdev.config, data, 6);
			return VIRTIO_NET_OK;
		}
		if (cmd == VIRTIO_NET_CTRL_MAC_TABLE_SET)
			return VIRTIO_NET_OK; /* two tables; no filtering (see above) */
		return VIRTIO_NET_ERR;
	case VIRTIO_NET_CTRL_GUEST_OFFLOADS:
		/* Only checksum offload is offered; accept turning it on/off. */
		return len == 8 ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
	default:
		return VIRTIO_NET_ERR;
	}
}

static void ctrl_handle(struct virtio_device *vdev, struct virtqueue *vq)
{
	struct virtio_net *n = to_net(vdev);
	struct virtq_elem *e;
	bool used = false;
	while ((e = virtqueue_pop(vq, sizeof(*e)))) {
		uint8_t buf[256];
		if (e->out_len < 2 || e->in_len < 1) {
			virtio_error(vdev, "control queue: command of %llu/%llu bytes is malformed",
			             (unsigned long long)e->out_len, (unsigned long long)e->in_len);
			free(e);
			return;
		}
		size_t len = iov_to_buf(e->out, e->out_num, 0, buf, sizeof(buf));
		uint8_t ack = e->out_len > sizeof(buf) ? VIRTIO_NET_ERR : ctrl_command(n, buf[0], buf[1], buf + 2, len - 2);
		iov_from_buf(e->in, e->in_num, 0, &ack, 1);
		virtqueue_push(vq, e, 1);
		free(e);
		used = true;
	}
	if (used)
		virtqueue_notify(vq);
}

/* ---- device ---- */

static void net_update_status(struct virtio_net *n)
{
	uint16_t st = n->nic.link_down ? 0 : VIRTIO_NET_S_LINK_UP;
	put16(n->vdev.config + 6, st);
}

static void nic_link_changed(struct net_client *nc)
{
	struct virtio_net *n = nc->opaque;
	net_update_status(n);
	if (n->status_prop && (n->vdev.status & VIRTIO_STATUS_DRIVER_OK))
		virtio_config_changed(&n->vdev);
}

static void nic_describe(struct net_client *nc, char *buf, size_t len)
{
	struct virtio_net *n = nc->opaque;
	snprintf(buf, len, "model=virtio-net-pci,macaddr=%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1],
	         n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
}

static const struct net_client_ops nic_ops = {
	.kind = NET_CLIENT_NIC,
	.receive = nic_receive,
	.link_changed = nic_link_changed,
	.describe = nic_describe,
};

static void net_set_status(struct virtio_device *vdev, uint8_t old)
{
	struct virtio_net *n = to_net(vdev);
	/* The driver is ready: frames that waited can go in now. */
	if ((vdev->status & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK))
		net_flush_queue(&n->nic);
}

static void net_reset(struct virtio_device *vdev)
{
	struct virtio_net *n = to_net(vdev);
	n->rx_waiting = false;
	memcpy(n->mac, n->perm_mac, 6);
	memcpy(vdev->config, n->mac, 6);
	net_update_status(n);
}

static const struct virtio_device_ops net_ops = {
	.set_status = net_set_status,
	.reset = net_reset,
};

int virtio_net_init(struct virtio_net *n, struct vm *vm, const char *name, struct error **errp)
{
	n->vm = vm;
	if (n->mac_str) {
		if (net_parse_mac(n->mac_str, n->perm_mac) < 0) {
			error_setg(errp, "Property 'virtio-net-device.mac' doesn't take value '%s'", n->mac_str);
			return -1;
		}
	} else {
		net_default_mac(vm, n->perm_mac);
	}
	/* Queue sizes: QEMU accepts powers of two from 256 to 1024. */
	const uint16_t qs[2] = { n->rx_queue_size, n->tx_queue_size };
	const char *qn[2] = { "rx_queue_size", "tx_queue_size" };
	for (int i = 0; i < 2; i++) {
		if (qs[i] < 256 || qs[i] > VIRTQ_MAX_SIZE || (qs[i] & (qs[i] - 1))) {
			error_setg(errp,
			           "Invalid %s (= %u), must be a power of 2 between 256 and %u.", qn[i], qs[i],
			           VIRTQ_MAX_SIZE);
			return -1;
		}
	}
	n->txbuf = malloc(NET_MAX_FRAME);
	n->rxbuf = malloc(NET_MAX_FRAME);
	n->rx_elems = calloc(VIRTIO_NET_RX_MAX_CHAINS, sizeof(*n->rx_elems));
	if (!n->txbuf || !n->rxbuf || !n->rx_elems ||
	    virtio_init(&n->vdev, "virtio-net", VIRTIO_ID_NET, VIRTIO_NET_CONFIG_LEN, 3) < 0) {
		error_setg(errp, "out of memory");
		virtio_net_cleanup(n);
		return -1;
	}
	uint64_t f = VIRTIO_BIT(VIRTIO_NET_F_MAC);
	if (n->csum_prop)
		f |= VIRTIO_BIT(VIRTIO_NET_F_CSUM);
	if (n->guest_csum_prop)
		f |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM);
	if (n->mrg_rxbuf_prop)
		f |= VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);
	if (n->status_prop)
		f |= VIRTIO_BIT(VIRTIO_NET_F_STATUS);
	if (n->ctrl_vq_prop) {
		f |= VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ);
		if (n->ctrl_rx_prop)
			f |= VIRTIO_BIT(VIRTIO_NET_F_CTRL_RX);
		if (n->ctrl_mac_addr_prop)
			f |= VIRTIO_BIT(VIRTIO_NET_F_CTRL_MAC_ADDR);
	}
	if (n->host_mtu) {
		if (n->host_mtu < 68 || n->host_mtu > 65535) {
			error_setg(errp, "Invalid host_mtu (= %u), must be between 68 and 65535", n->host_mtu);
			virtio_net_cleanup(n);
			return -1;
		}
		f |= VIRTIO_BIT(VIRTIO_NET_F_MTU);
		put16(n->vdev.config + 10, (uint16_t)n->host_mtu);
	}
	n->vdev.host_features |= f;
	n->vdev.ops = &net_ops;
	memcpy(n->mac, n->perm_mac, 6);
	memcpy(n->vdev.config, n->mac, 6);
	put16(n->vdev.config + 8, 1); /* max_virtqueue_pairs (read only with MQ) */
	virtio_set_queue(&n->vdev, VIRTIO_NET_RXQ, n->rx_queue_size, rx_handle);
	virtio_set_queue(&n->vdev, VIRTIO_NET_TXQ, n->tx_queue_size, tx_handle);
	virtio_set_queue(&n->vdev, VIRTIO_NET_CTRLQ, 64, n->ctrl_vq_prop ? ctrl_handle : NULL);
	net_client_init(&n->nic, vm, &nic_ops, name, n);
	n->nic_ready = true;
	if (n->netdev && net_client_connect(&n->nic, n->netdev) < 0) {
		error_setg(errp, "Property 'virtio-net-device.netdev' can't take value '%s', it's in use",
		           n->netdev->name);
		virtio_net_cleanup(n);
		return -1;
	}
	net_update_status(n);
	return 0;
}

void virtio_net_cleanup(struct virtio_net *n)
{
	if (n->nic_ready)
		net_client_uninit(&n->nic);
	n->nic_ready = false;
	if (n->vdev.config)
		virtio_cleanup(&n->vdev);
	free(n->txbuf);
	free(n->rxbuf);
	free(n->rx_elems);
	n->txbuf = n->rxbuf = NULL;
	n->rx_elems = NULL;
}

static int net_pci_realize(struct device *d, struct error **errp)
{
	struct virtio_net_pci *p = (struct virtio_net_pci *)d;
	char name[64];
	/* QEMU names the NIC client by device id, else "virtio-net-pci.N". */
	if (d->id)
		snprintf(name, sizeof(name), "%s", d->id);
	else
		net_client_unique_name(d->vm, d->cls->name, name, sizeof(name));
	if (virtio_net_init(&p->net, d->vm, name, errp) < 0)
		return -1;
	/* Ethernet controller; 3 vectors: config, rx, tx (+ctrl shares). */
	if (virtio_pci_realize(&p->vp, &p->net.vdev, 0x020000, 3, errp) < 0) {
		virtio_net_cleanup(&p->net);
		return -1;
	}
	return 0;
}

static void net_pci_reset(struct device *d)
{
	struct virtio_net_pci *p = (struct virtio_net_pci *)d;
	virtio_pci_reset(&p->vp);
}

static void net_pci_unrealize(struct device *d)
{
	struct virtio_net_pci *p = (struct virtio_net_pci *)d;
	virtio_pci_unrealize(&p->vp);
	virtio_net_cleanup(&p->net);
}

#define NET_PROP(n, t, f, def, desc) { n, t, offsetof(struct virtio_net_pci, net.f), def, desc }
static const struct prop net_pci_props[] = {
	VIRTIO_PCI_PROPS,
	NET_PROP("mac", PROP_STR, mac_str, NULL, "MAC address (default 52:54:00:12:34:56 + index)"),
	NET_PROP("netdev", PROP_NETDEV, netdev, NULL, "the -netdev backend"),
	NET_PROP("mrg_rxbuf", PROP_BOOL, mrg_rxbuf_prop, "on", "mergeable receive buffers"),
	NET_PROP("csum", PROP_BOOL, csum_prop, "on", "transmit checksum offload"),
	NET_PROP("guest_csum", PROP_BOOL, guest_csum_prop, "on", "receive checksum offload"),
	NET_PROP("status", PROP_BOOL, status_prop, "on", "link status in the config space"),
	NET_PROP("ctrl_vq", PROP_BOOL, ctrl_vq_prop, "on", "control virtqueue"),
	NET_PROP("ctrl_rx", PROP_BOOL, ctrl_rx_prop, "on", "receive filter commands"),
	NET_PROP("ctrl_mac_addr", PROP_BOOL, ctrl_mac_addr_prop, "on", "MAC address change command"),
	NET_PROP("rx_queue_size", PROP_U16, rx_queue_size, "256", "receive queue size"),
	NET_PROP("tx_queue_size", PROP_U16, tx_queue_size, "256", "transmit queue size"),
	NET_PROP("host_mtu", PROP_U32, host_mtu, "0", "MTU advertised to the guest (0 = none)"),
	PROP_END,
};

#define VIRTIO_NET_PCI_CLASS(n, b)                                                          \
	{                                                                                   \
		.name = n, .desc = "Virtio network device", .bus = b,                       \
		.size = sizeof(struct virtio_net_pci), .props = net_pci_props,              \
		.user_creatable = true, .realize = net_pci_realize, .reset = net_pci_reset, \
		.unrealize = net_pci_unrealize,                                             \
	}
const struct device_class virtio_net_pci_class = VIRTIO_NET_PCI_CLASS("virtio-net-pci", "pci");
const struct device_class virtio_net_pci_class_transitional =
        VIRTIO_NET_PCI_CLASS("virtio-net-pci-transitional", "pci");
const struct device_class virtio_net_pci_class_non_transitional =
        VIRTIO_NET_PCI_CLASS("virtio-net-pci-non-transitional", "pci");
const struct device_class virtio_net_pci_class_alias = VIRTIO_NET_PCI_CLASS("virtio-net", NULL);
