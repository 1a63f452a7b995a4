/*
 * virtio-net device model (virtio 1.2 §5.1), without its PCI transport:
 * virtio_net.c puts it behind virtio-pci as virtio-net-pci; the unit tests
 * drive it directly with a fake guest memory and a fake netdev.
 */
#ifndef LEMU_HW_VIRTIO_VIRTIO_NET_H
#define LEMU_HW_VIRTIO_VIRTIO_NET_H

#include "hw/virtio/virtio.h"
#include "net/net.h"

/* Feature bits (§5.1.3). */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_CTRL_GUEST_OFFLOADS 2
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_CTRL_RX 18
#define VIRTIO_NET_F_CTRL_VLAN 19
#define VIRTIO_NET_F_GUEST_ANNOUNCE 21
#define VIRTIO_NET_F_MQ 22
#define VIRTIO_NET_F_CTRL_MAC_ADDR 23

#define VIRTIO_NET_S_LINK_UP 1

/* struct virtio_net_hdr (§5.1.6) */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0

/* Control queue (§5.1.6.5) */
#define VIRTIO_NET_OK 0
#define VIRTIO_NET_ERR 1
#define VIRTIO_NET_CTRL_RX 0
#define VIRTIO_NET_CTRL_MAC 1
#define VIRTIO_NET_CTRL_MAC_TABLE_SET 0
#define VIRTIO_NET_CTRL_MAC_ADDR_SET 1
#define VIRTIO_NET_CTRL_VLAN 2
#define VIRTIO_NET_CTRL_GUEST_OFFLOADS 5

#define VIRTIO_NET_RXQ 0
#define VIRTIO_NET_TXQ 1
#define VIRTIO_NET_CTRLQ 2
/* mac[6], status, max_virtqueue_pairs, mtu (§5.1.4) */
#define VIRTIO_NET_CONFIG_LEN 12
#define VIRTIO_NET_RX_MAX_CHAINS VIRTQ_MAX_SIZE

struct virtio_net {
	struct virtio_device vdev; /* first */
	struct vm *vm;
	struct net_client nic;
	bool nic_ready;
	/* properties */
	char *mac_str;
	struct net_client *netdev;
	bool mrg_rxbuf_prop, csum_prop, guest_csum_prop, status_prop;
	bool ctrl_vq_prop, ctrl_rx_prop, ctrl_mac_addr_prop;
	uint16_t rx_queue_size, tx_queue_size;
	uint32_t host_mtu;
	/* state */
	uint8_t perm_mac[6], mac[6];
	uint8_t *txbuf, *rxbuf;
	struct virtq_elem **rx_elems;
	bool rx_waiting;
	bool tx_bh_pending;
	uint64_t rx_frames, tx_frames;
};

/* Set up the model (properties already set): MAC, features, queues, its
 * net client named `name`, connected to n->netdev.  0 or -1 with errp. */
int virtio_net_init(struct virtio_net *n, struct vm *vm, const char *name, struct error **errp);
void virtio_net_cleanup(struct virtio_net *n);
/* The receive path (what the net client's receive does): the frame's
 * length when it was taken (or dropped), 0 when it must wait. */
ssize_t virtio_net_receive_frame(struct virtio_net *n, const uint8_t *frame, size_t len);

#endif
