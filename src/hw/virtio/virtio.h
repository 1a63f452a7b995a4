/*
 * Virtio core (Virtual I/O Device (VIRTIO) Version 1.2): device status and
 * feature negotiation (§2.1, §2.2, §3.1), the device configuration space
 * with its generation counter (§2.5), and split virtqueues (§2.7) with
 * indirect descriptors (§2.7.5.3) and event-index notification suppression
 * (§2.7.7, §2.7.10).
 *
 * A device model (virtio-blk, -rng, -serial, -net) embeds a struct
 * virtio_device, sets its ops and device features, adds its queues with
 * virtio_add_queue(), and is driven by a transport (virtio_pci.c) that maps
 * the driver's register accesses onto the functions below.  The core knows
 * nothing of PCI: the transport supplies guest-memory access (struct
 * virtio_mem) and interrupt delivery (struct virtio_transport_ops), which
 * is also how the unit tests and the fuzz harness run it without a VM.
 *
 * Hostile drivers.  Every ring index, descriptor, length and guest address
 * is validated against the queue size and the guest RAM map before use; the
 * ring is read exactly once per field (a second vCPU may rewrite it under
 * us).  A driver that breaks the rules gets the device marked broken
 * (DEVICE_NEEDS_RESET, §2.1.2, plus a configuration change interrupt), and
 * the device then ignores its queues until the driver resets it.  Never a
 * crash, never an access outside guest RAM.
 *
 * Threads: everything here runs with the VM lock held (MMIO handlers, I/O
 * thread bottom halves); devices with asynchronous backends hand their
 * completions back to the I/O thread before touching a queue.
 */
#ifndef LEMU_HW_VIRTIO_VIRTIO_H
#define LEMU_HW_VIRTIO_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Device IDs (§5). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4

/* Device status bits (§2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

/* Reserved feature bits (§6). */
#define VIRTIO_F_NOTIFY_ON_EMPTY 24 /* legacy */
#define VIRTIO_F_ANY_LAYOUT 27      /* legacy */
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX 29
#define VIRTIO_F_BAD_FEATURE 30 /* legacy: a driver acking it is broken */
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34

#define VIRTIO_BIT(b) (1ull << (b))

/* Split ring layout (§2.7). */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

/* Largest queue a device offers (QEMU's VIRTQUEUE_MAX_SIZE), and the
 * longest descriptor chain or indirect table lemu follows. */
#define VIRTQ_MAX_SIZE 1024
#define VIRTQ_MAX_CHAIN 1024
/* Iovec slots per element: a descriptor may straddle RAM regions. */
#define VIRTQ_MAX_IOV (VIRTQ_MAX_CHAIN + 16)

#define VIRTIO_NO_VECTOR 0xffff

struct virtio_device;
struct virtqueue;

/* Guest memory as a device sees it.  map returns a host pointer to the
 * longest prefix of [gpa, gpa+len) that is guest RAM in one piece, with
 * its length in *mapped (<= len), or NULL when gpa is not RAM.  dirty is
 * called after the device wrote through a mapping (translated-code
 * invalidation). */
struct virtio_mem {
	void *(*map)(void *opaque, uint64_t gpa, uint64_t len, bool write, uint64_t *mapped);
	void (*dirty)(void *opaque, uint64_t gpa, uint64_t len);
	void *opaque;
};

/* What the transport does for the core. */
struct virtio_transport_ops {
	/* Signal a used-buffer (config=false, vector of the queue) or a
	 * configuration change (config=true, vdev->config_vector). */
	void (*notify)(struct virtio_device *vdev, uint16_t vector, bool config);
	/* -d guest_errors output (may be NULL). */
	void (*log)(struct virtio_device *vdev, const char *msg);
};

/* Device-type hooks; all optional. */
struct virtio_device_ops {
	/* Refresh vdev->config before the driver reads it. */
	void (*get_config)(struct virtio_device *vdev);
	/* The driver wrote config bytes [off, off+len) (already stored). */
	void (*set_config)(struct virtio_device *vdev, uint32_t off, uint32_t len);
	/* Accept the negotiated features (FEATURES_OK), or return -1. */
	int (*validate_features)(struct virtio_device *vdev);
	/* After a status change (DRIVER_OK set, ...); not called for reset. */
	void (*set_status)(struct virtio_device *vdev, uint8_t old_status);
	/* Device reset (§2.4): drop in-flight requests, forget queue state. */
	void (*reset)(struct virtio_device *vdev);
};

typedef void virtqueue_handler(struct virtio_device *vdev, struct virtqueue *vq);

/* One descriptor chain taken from the available ring: device-readable
 * buffers (out) first, then device-writable ones (in).  Devices usually
 * embed it first in their request struct (virtqueue_pop's `size`). */
struct virtq_elem {
	uint16_t head;
	unsigned out_num, in_num;
	uint64_t out_len, in_len; /* bytes */
	struct iovec *out, *in;
	uint64_t *in_addr; /* guest address of each in iovec (dirty marking) */
};

struct virtqueue {
	struct virtio_device *vdev;
	unsigned index;
	uint16_t num_max; /* the device's maximum (power of two) */
	uint16_t num;     /* size the driver chose */
	bool enabled;     /* modern queue_enable, or legacy PFN != 0 */
	uint64_t desc_addr, avail_addr, used_addr;
	uint16_t vector; /* MSI-X vector, VIRTIO_NO_VECTOR */
	virtqueue_handler *handler;

	/* run state (reset with the queue) */
	bool mapped; /* the three rings below are valid host pointers */
	uint8_t *desc, *avail, *used;
	uint16_t last_avail;   /* next available entry to take */
	uint16_t shadow_avail; /* avail->idx as last read */
	uint16_t used_idx;     /* our copy of used->idx */
	uint16_t signalled_used;
	bool signalled_used_valid;
	unsigned inflight; /* popped, not yet pushed */
};

struct virtio_device {
	const char *name; /* for messages: "virtio-blk" */
	uint16_t device_id;
	uint64_t host_features;
	uint64_t guest_features;
	uint8_t status;
	uint8_t isr;        /* bit 0 queue, bit 1 config (§4.1.4.5) */
	uint8_t generation; /* config_generation (§2.5.1) */
	uint16_t config_vector;
	bool broken;
	bool legacy_driver; /* driving us through the legacy interface */
	uint8_t *config;    /* device-specific configuration (little endian) */
	uint32_t config_len;
	unsigned nvqs;
	struct virtqueue *vqs;
	const struct virtio_device_ops *ops;
	const struct virtio_transport_ops *tops;
	void *transport; /* the transport's own state */
	struct virtio_mem mem;
	/* scratch for chain parsing (one pop at a time, VM lock held) */
	struct iovec *scratch_iov;
	uint64_t *scratch_addr;
	uint8_t *scratch_write;
};

/* Set up a device: name, ID, config space of config_len bytes (zeroed,
 * owned by vdev), nvqs queues (handlers added with virtio_set_queue).
 * 0 or -ENOMEM. */
int virtio_init(struct virtio_device *vdev, const char *name, uint16_t device_id,
                uint32_t config_len, unsigned nvqs);
void virtio_cleanup(struct virtio_device *vdev);
void virtio_set_queue(struct virtio_device *vdev, unsigned idx, uint16_t num_max,
                      virtqueue_handler *h);

static inline bool virtio_has_feature(const struct virtio_device *vdev, unsigned bit)
{
	return (vdev->guest_features >> bit) & 1;
}

/* §2.4: back to the initial state (status 0, features 0, queues off). */
void virtio_reset(struct virtio_device *vdev);
/* A driver status write (not 0: that is virtio_reset). */
void virtio_set_status(struct virtio_device *vdev, uint8_t status);
/* Driver feature write for bits [32*sel, 32*sel+32). Ignored after
 * FEATURES_OK (§3.1.1). */
void virtio_set_driver_features(struct virtio_device *vdev, unsigned sel, uint32_t val);

/* Configuration space access; out of range reads are 0, writes ignored. */
uint32_t virtio_config_read(struct virtio_device *vdev, uint32_t off, unsigned size);
void virtio_config_write(struct virtio_device *vdev, uint32_t off, uint32_t val, unsigned size);
/* The device changed its config: bump the generation, signal the driver. */
void virtio_config_changed(struct virtio_device *vdev);

/* The driver hit a protocol violation: log it, set DEVICE_NEEDS_RESET
 * and stop processing.  printf-like. */
__attribute__((format(printf, 2, 3))) void virtio_error(struct virtio_device *vdev, const char *fmt,
                                                        ...);

/* ---- virtqueues (virtqueue.c) ---- */

/* Queue registers as the transport writes them. */
void virtqueue_set_num(struct virtqueue *vq, uint16_t num);
void virtqueue_set_addrs(struct virtqueue *vq, uint64_t desc, uint64_t avail, uint64_t used);
/* Modern queue_enable = 1 / legacy PFN: validate and map the rings (a bad
 * layout makes the device broken).  0 or -1. */
int virtqueue_enable(struct virtqueue *vq);
void virtqueue_reset(struct virtqueue *vq);
/* The driver notified queue vq: run its handler (unless broken). */
void virtqueue_kick(struct virtqueue *vq);

/* Take the next available chain as a malloc'd block of `size` bytes
 * (>= sizeof(struct virtq_elem)) that starts with the element.  NULL when
 * the ring is empty or the device is (now) broken.  free() it after push. */
void *virtqueue_pop(struct virtqueue *vq, size_t size);
/* Return a chain to the used ring with `len` bytes written by the device;
 * marks the written guest memory dirty.  Does not interrupt: call
 * virtqueue_notify after a batch. */
void virtqueue_push(struct virtqueue *vq, const struct virtq_elem *elem, uint32_t len);
/* The same in two steps, for devices that return several chains as one
 * unit (virtio-net's mergeable receive buffers, §5.1.6.4): fill writes the
 * used entry `idx` places after the current used index without publishing
 * it; flush publishes `count` filled entries at once. */
void virtqueue_fill(struct virtqueue *vq, const struct virtq_elem *elem, uint32_t len, unsigned idx);
void virtqueue_flush(struct virtqueue *vq, unsigned count);
/* Put back the last popped element without using it (reverse of pop). */
void virtqueue_unpop(struct virtqueue *vq, const struct virtq_elem *elem);
/* Interrupt the driver if it wants one (§2.7.7, §2.7.10). */
void virtqueue_notify(struct virtqueue *vq);
/* Entries available now (0 when broken / not running). */
bool virtqueue_empty(struct virtqueue *vq);
/* Ask for a driver notification when new buffers arrive; returns true if
 * some arrived meanwhile (the caller should pop again). */
bool virtqueue_enable_notify(struct virtqueue *vq);
/* Bytes of device-writable space in the available ring (up to `want`)
 * without taking anything (virtio-serial flow control). */
uint64_t virtqueue_avail_bytes(struct virtqueue *vq, uint64_t want);
/* The ring is usable: device running (DRIVER_OK), not broken, enabled. */
bool virtqueue_ready(struct virtqueue *vq);

/* iovec helpers */
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t off, const void *buf, size_t len);
/* Clip an iovec array to [off, off+len): writes into out (capacity cap),
 * returns the count (or -1 when cap is too small). */
int iov_slice(const struct iovec *iov, unsigned n, size_t off, size_t len, struct iovec *out,
              unsigned cap);

#endif
