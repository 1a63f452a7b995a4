/*
 * The network layer: net clients (QEMU's NetClientState) joined in pairs of
 * peers.  A backend (-netdev user, tap, socket, hubport) is a net client
 * with an ops struct and opaque state; a NIC (virtio-net-pci) embeds its own
 * net client and is connected to one backend through netdev=.  Frames are
 * plain Ethernet frames without any virtio header: every backend sees
 * complete frames with complete checksums.
 *
 * Delivery and back-pressure.  net_send() hands a frame to the sender's
 * peer.  When the peer cannot take it now (a guest that does not refill its
 * receive ring), the frame waits in the peer's queue, bounded by
 * NET_QUEUE_MAX_PACKETS frames and NET_QUEUE_MAX_BYTES bytes; beyond that
 * frames are dropped (counted in nc->dropped), as a full NIC drops them.
 * Memory never grows with what a guest leaves unread.  The receiver calls
 * net_flush_queue() once it can take frames again; backends that can hold
 * their input back (socket, tap) watch net_can_send() and get
 * ops->send_ready() when the queue drained.
 *
 * Threads: everything runs under the VM lock (I/O thread handlers, vCPU
 * MMIO handlers of the NIC).
 */
#ifndef LEMU_NET_NET_H
#define LEMU_NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct vm;
struct error;
struct opts;
struct net_client;

#define NET_QUEUE_MAX_PACKETS 256
#define NET_QUEUE_MAX_BYTES (1u << 20)
/* Largest frame the layer carries (64 KiB of IP plus the Ethernet header,
 * as QEMU's NET_BUFSIZE allows for TSO-sized frames). */
#define NET_MAX_FRAME 69632

enum net_client_kind {
	NET_CLIENT_NIC,
	NET_CLIENT_USER,
	NET_CLIENT_TAP,
	NET_CLIENT_SOCKET,
	NET_CLIENT_HUBPORT,
	NET_CLIENT_OTHER, /* unit tests */
};

struct net_client_ops {
	enum net_client_kind kind;
	/* Take a frame from the peer.  Returns the length (consumed, even if
	 * dropped), or 0 when the client cannot take it now (it is queued). */
	ssize_t (*receive)(struct net_client *nc, const struct iovec *iov, int iovcnt);
	/* Optional: false when receive would return 0 now. */
	bool (*can_receive)(struct net_client *nc);
	/* Optional: the peer's queue drained after net_can_send was false. */
	void (*send_ready)(struct net_client *nc);
	/* Optional: nc->link_down changed (NICs update their status). */
	void (*link_changed)(struct net_client *nc);
	/* Optional: release the backend's resources (fds, timers). */
	void (*cleanup)(struct net_client *nc);
	/* Optional: one line for `info network`-style listings. */
	void (*describe)(struct net_client *nc, char *buf, size_t len);
};

struct net_packet {
	struct net_packet *next;
	struct net_client *sender;
	size_t len;
	uint8_t data[];
};

struct net_client {
	const struct net_client_ops *ops;
	struct vm *vm;
	char *name;           /* netdev id, or the NIC's device id/name */
	struct net_client *peer;
	struct net_client *next; /* in the VM's list */
	void *opaque;
	bool link_down;
	bool from_cmdline;    /* a -netdev/-net backend: freed by net_cleanup */
	bool want_send_ready; /* net_can_send said no to this sender */
	/* frames waiting for this client (sent by its peer) */
	struct net_packet *q_head, *q_tail;
	unsigned q_packets;
	size_t q_bytes;
	bool flushing;
	uint64_t dropped;
};

/* Register nc (zeroed by the caller or embedded in a device) in the VM. */
void net_client_init(struct net_client *nc, struct vm *vm, const struct net_client_ops *ops,
                     const char *name, void *opaque);
/* Disconnect from the peer, drop queued frames, unlink from the VM (does
 * not free nc; calls no cleanup). */
void net_client_uninit(struct net_client *nc);
/* Join two clients; -EBUSY when either already has a peer. */
int net_client_connect(struct net_client *a, struct net_client *b);

/* Send a frame to nc's peer (see above).  Returns the length, or 0 when
 * it was queued or dropped because the peer was busy; frames without a
 * peer or with the link down are silently consumed. */
ssize_t net_send(struct net_client *nc, const void *buf, size_t len);
ssize_t net_sendv(struct net_client *nc, const struct iovec *iov, int iovcnt);
/* The peer takes frames now (its queue is below its bound). */
bool net_can_send(struct net_client *nc);
/* nc can receive again: deliver what waits in its queue. */
void net_flush_queue(struct net_client *nc);
/* Set the link of the client named `name` (and its peer) up or down, as
 * QEMU's set_link.  -ENOENT when no such client. */
int net_set_link(struct vm *vm, const char *name, bool up);

/* ---- configuration (QEMU's command line) ---- */

/* -netdev TYPE,id=ID,...: create a backend.  0 or -1 with errp set
 * (QEMU's messages: "Parameter 'id' is missing", "Duplicate ID 'x' for
 * netdev", "Parameter 'type' expects a netdev backend type"). */
int net_netdev_add(struct vm *vm, const char *optstr, struct error **errp);
/* -nic TYPE[,model=M][,mac=][,backend options]: a backend plus a NIC that
 * net_create_nics creates after the machine. */
int net_nic_add(struct vm *vm, const char *optstr, struct error **errp);
/* -net nic[,model=,macaddr=,netdev=,name=] and -net TYPE,...: the legacy
 * form; without netdev= both sides join hub 0. */
int net_legacy_add(struct vm *vm, const char *optstr, struct error **errp);
/* Create the NIC devices of -nic and -net nic (after machine init, before
 * -device, as QEMU's pc machine does). */
int net_create_nics(struct vm *vm, struct error **errp);
/* Check that every backend has a peer (QEMU warns for -netdev without a
 * device; lemu says so on stderr too) -- call after all devices exist. */
void net_check_clients(struct vm *vm);
/* Free every backend created from the command line (after the main loop;
 * NIC clients stay with their devices). */
void net_cleanup(struct vm *vm);

/* The backend named id for a NIC's netdev= property, or NULL when there
 * is none or it already has a peer (*in_use says which; the caller names
 * the property in its message). */
struct net_client *net_netdev_lookup(struct vm *vm, const char *id, bool *in_use);
/* Print `-netdev help`. */
void net_print_help(void);
/* NIC models -nic/-net nic accept (NULL-terminated), and the canonical
 * device name of a model or alias ("virtio" -> "virtio-net-pci"), NULL if
 * unsupported. */
extern const char *const net_nic_models[];
const char *net_nic_model(const char *model);

/* ---- helpers for backends and NICs ---- */

/* "PREFIX.N" with the smallest N no client is named yet. */
void net_client_unique_name(struct vm *vm, const char *prefix, char *buf, size_t size);
/* Parse "52:54:00:12:34:56" into mac; 0 or -1. */
int net_parse_mac(const char *s, uint8_t mac[6]);
/* The next default MAC of the VM: 52:54:00:12:34:56, then :57, ... */
void net_default_mac(struct vm *vm, uint8_t mac[6]);
/* Complete a partial checksum: the 16-bit ones' complement sum of
 * [start, len) stored at start+off (virtio 1.2 §5.1.6.2).  -1 when the
 * offsets do not fit the frame. */
int net_checksum_finish(uint8_t *frame, size_t len, size_t start, size_t off);
/* Ones' complement sum helper (host order accumulate). */
uint32_t net_checksum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t net_checksum_fold(uint32_t sum);

#endif
