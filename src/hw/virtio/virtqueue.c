/*
 * Split virtqueues (virtio 1.2 §2.7), device side.
 *
 * The three rings are mapped once when the driver enables the queue (their
 * addresses and alignment checked against §2.7 "Virtqueue Alignment"); each
 * descriptor is copied out of guest memory exactly once and validated on
 * the copy, so a driver rewriting the ring from another vCPU cannot make us
 * follow a value we did not check.  Violations (§2.7.4 "the driver MUST
 * NOT ...") call virtio_error(), which marks the device broken.
 *
 * Byte order: virtio 1.x rings are little endian, and legacy rings are in
 * guest order, which is little endian on x86; lemu hosts are little endian
 * too (checked below), so fields are read in place.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/virtio/virtio.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "virtqueue.c assumes a little-endian host");

/* Copy n bytes of shared guest memory; the compiler barrier makes sure the
 * copy is what later code uses (no re-reads of guest memory). */
static inline void guest_copy(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
	__asm__ __volatile__("" ::: "memory");
}

static inline uint16_t ld16(const uint8_t *p)
{
	return __atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_RELAXED);
}

static inline void st16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, v, __ATOMIC_RELAXED);
}

static inline void st32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)(void *)p, v, __ATOMIC_RELAXED);
}

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* Ring offsets (§2.7.6, §2.7.8). */
#define AVAIL_FLAGS 0
#define AVAIL_IDX 2
#define AVAIL_RING(i) (4 + 2 * (size_t)(i))
#define USED_FLAGS 0
#define USED_IDX 2
#define USED_RING(i) (4 + 8 * (size_t)(i))

static size_t desc_size(uint16_t num)
{
	return 16 * (size_t)num;
}
static size_t avail_size(uint16_t num)
{
	return 6 + 2 * (size_t)num;
} /* with used_event */
static size_t used_size(uint16_t num)
{
	return 6 + 8 * (size_t)num;
} /* with avail_event */

bool virtqueue_ready(struct virtqueue *vq)
{
	const struct virtio_device *vdev = vq->vdev;
	return vq->mapped && !vdev->broken && (vdev->status & VIRTIO_STATUS_DRIVER_OK);
}

void virtqueue_set_num(struct virtqueue *vq, uint16_t num)
{
	vq->num = num;
}

void virtqueue_set_addrs(struct virtqueue *vq, uint64_t desc, uint64_t avail, uint64_t used)
{
	vq->desc_addr = desc;
	vq->avail_addr = avail;
	vq->used_addr = used;
}

void virtqueue_reset(struct virtqueue *vq)
{
	vq->num = vq->num_max;
	vq->enabled = false;
	vq->desc_addr = vq->avail_addr = vq->used_addr = 0;
	vq->vector = VIRTIO_NO_VECTOR;
	vq->mapped = false;
	vq->desc = vq->avail = vq->used = NULL;
	vq->last_avail = vq->shadow_avail = vq->used_idx = 0;
	vq->signalled_used = 0;
	vq->signalled_used_valid = false;
	vq->inflight = 0;
}

/* A whole ring must be guest RAM in one piece. */
static uint8_t *map_ring(struct virtio_device *vdev, uint64_t gpa, size_t len, bool write)
{
	uint64_t got = 0;
	uint8_t *p = vdev->mem.map(vdev->mem.opaque, gpa, len, write, &got);
	return p && got == len ? p : NULL;
}

int virtqueue_enable(struct virtqueue *vq)
{
	struct virtio_device *vdev = vq->vdev;
	uint16_t num = vq->num;
	vq->enabled = true;
	vq->mapped = false;
	/* §2.7: split queue sizes are powers of two up to 32768; ours up to num_max. */
	if (!num || num > vq->num_max || (num & (num - 1))) {
		virtio_error(vdev, "queue %u: invalid size %u (max %u)", vq->index, num,
		             vq->num_max);
		return -1;
	}
	/* §2.7.2 alignment: descriptors 16, driver area 2, device area 4. */
	if ((vq->desc_addr & 15) || (vq->avail_addr & 1) || (vq->used_addr & 3)) {
		virtio_error(vdev,
		             "queue %u: misaligned rings (desc 0x%llx avail 0x%llx used 0x%llx)",
		             vq->index, (unsigned long long)vq->desc_addr,
		             (unsigned long long)vq->avail_addr, (unsigned long long)vq->used_addr);
		return -1;
	}
	vq->desc = map_ring(vdev, vq->desc_addr, desc_size(num), false);
	vq->avail = map_ring(vdev, vq->avail_addr, avail_size(num), false);
	vq->used = map_ring(vdev, vq->used_addr, used_size(num), true);
	if (!vq->desc || !vq->avail || !vq->used) {
		virtio_error(
		        vdev,
		        "queue %u: rings outside guest RAM (desc 0x%llx avail 0x%llx used 0x%llx, size %u)",
		        vq->index, (unsigned long long)vq->desc_addr,
		        (unsigned long long)vq->avail_addr, (unsigned long long)vq->used_addr, num);
		vq->desc = vq->avail = vq->used = NULL;
		return -1;
	}
	vq->mapped = true;
	vq->last_avail = vq->shadow_avail = 0;
	vq->used_idx = 0;
	vq->signalled_used_valid = false;
	vq->inflight = 0;
	return 0;
}

void virtqueue_kick(struct virtqueue *vq)
{
	if (vq->handler && virtqueue_ready(vq))
		vq->handler(vq->vdev, vq);
}

/* Read avail->idx and check that the driver did not move it by more than
 * the ring holds (§2.7.13.3).  0 or -1 (broken). */
static int refresh_avail(struct virtqueue *vq)
{
	uint16_t idx = __atomic_load_n((const uint16_t *)(const void *)(vq->avail + AVAIL_IDX),
	                               __ATOMIC_ACQUIRE);
	if ((uint16_t)(idx - vq->last_avail) > vq->num) {
		virtio_error(vq->vdev, "queue %u: available index moved from %u to %u (size %u)",
		             vq->index, vq->last_avail, idx, vq->num);
		return -1;
	}
	vq->shadow_avail = idx;
	return 0;
}

static void set_avail_event(struct virtqueue *vq, uint16_t v)
{
	st16(vq->used + USED_RING(vq->num), v);
}

/* Entries are waiting (refreshing the shadow index only when needed). */
static int avail_pending(struct virtqueue *vq)
{
	if (vq->last_avail != vq->shadow_avail)
		return 1;
	if (refresh_avail(vq) < 0)
		return -1;
	return vq->last_avail != vq->shadow_avail;
}

bool virtqueue_enable_notify(struct virtqueue *vq)
{
	if (!virtqueue_ready(vq))
		return false;
	if (virtio_has_feature(vq->vdev, VIRTIO_RING_F_EVENT_IDX))
		set_avail_event(vq, vq->shadow_avail);
	/* The driver reads the event after writing avail->idx (§2.7.10); the
	 * full fence orders our event store before our index re-read. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return avail_pending(vq) > 0;
}

bool virtqueue_empty(struct virtqueue *vq)
{
	if (!virtqueue_ready(vq))
		return true;
	return avail_pending(vq) <= 0;
}

/* Map one buffer into the scratch iovecs, split at RAM region ends. */
static int map_buffer(struct virtqueue *vq, uint64_t addr, uint32_t len, bool write, unsigned *niov)
{
	struct virtio_device *vdev = vq->vdev;
	uint64_t left = len;
	while (left) {
		uint64_t got = 0;
		if (*niov >= VIRTQ_MAX_IOV) {
			virtio_error(vdev, "queue %u: descriptor chain maps to too many pieces",
			             vq->index);
			return -1;
		}
		void *p = vdev->mem.map(vdev->mem.opaque, addr, left, write, &got);
		if (!p || !got || got > left) {
			virtio_error(vdev, "queue %u: buffer 0x%llx+%u is not guest RAM", vq->index,
			             (unsigned long long)addr, len);
			return -1;
		}
		vdev->scratch_iov[*niov].iov_base = p;
		vdev->scratch_iov[*niov].iov_len = (size_t)got;
		vdev->scratch_addr[*niov] = addr;
		vdev->scratch_write[*niov] = write;
		(*niov)++;
		addr += got;
		left -= got;
	}
	return 0;
}

/* Walk the chain starting at `head` into the scratch arrays (§2.7.5).
 * Returns 0 with *niov pieces of which the first *nout are readable, or -1
 * after virtio_error. */
static int parse_chain(struct virtqueue *vq, uint16_t head, unsigned *niov, unsigned *nout,
                       uint64_t *out_len, uint64_t *in_len)
{
	struct virtio_device *vdev = vq->vdev;
	const uint8_t *table = vq->desc;
	unsigned tsize = vq->num, i = head, count = 0;
	bool indirect = false, seen_write = false;
	*niov = *nout = 0;
	*out_len = *in_len = 0;
	if (head >= vq->num) {
		virtio_error(vdev, "queue %u: head descriptor %u out of range (size %u)", vq->index,
		             head, vq->num);
		return -1;
	}
	for (;;) {
		struct vring_desc d;
		guest_copy(&d, table + 16 * (size_t)i, sizeof(d));
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* §2.7.5.3.1: only with the feature, never nested, not with
			 * NEXT; lemu also wants it to be the whole chain. */
			if (!virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC)) {
				virtio_error(
				        vdev,
				        "queue %u: indirect descriptor without VIRTIO_RING_F_INDIRECT_DESC",
				        vq->index);
				return -1;
			}
			if (indirect || count) {
				virtio_error(vdev, "queue %u: indirect descriptor inside a chain",
				             vq->index);
				return -1;
			}
			if (d.flags & VIRTQ_DESC_F_NEXT) {
				virtio_error(vdev, "queue %u: indirect descriptor with NEXT",
				             vq->index);
				return -1;
			}
			if (!d.len || d.len % 16 || d.len / 16 > VIRTQ_MAX_CHAIN) {
				virtio_error(vdev, "queue %u: indirect table of bad length %u",
				             vq->index, d.len);
				return -1;
			}
			const uint8_t *t = map_ring(vdev, d.addr, d.len, false);
			if (!t) {
				virtio_error(vdev,
				             "queue %u: indirect table 0x%llx+%u is not guest RAM",
				             vq->index, (unsigned long long)d.addr, d.len);
				return -1;
			}
			table = t;
			tsize = d.len / 16;
			indirect = true;
			i = 0;
			continue;
		}
		/* A chain visits each descriptor at most once: longer means a loop. */
		if (++count > tsize || count > VIRTQ_MAX_CHAIN) {
			virtio_error(vdev, "queue %u: descriptor chain longer than %u (loop?)",
			             vq->index, tsize);
			return -1;
		}
		if (!d.len) {
			virtio_error(vdev, "queue %u: zero-sized buffer", vq->index);
			return -1;
		}
		bool write = d.flags & VIRTQ_DESC_F_WRITE;
		if (!write && seen_write) {
			/* §2.7.4.2: device-writable buffers come after readable ones. */
			virtio_error(vdev, "queue %u: readable descriptor after a writable one",
			             vq->index);
			return -1;
		}
		seen_write |= write;
		if (map_buffer(vq, d.addr, d.len, write, niov) < 0)
			return -1;
		if (write)
			*in_len += d.len;
		else {
			*out_len += d.len;
			*nout = *niov;
		}
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		i = d.next;
		if (i >= tsize) {
			virtio_error(vdev, "queue %u: next descriptor %u out of range (%u)",
			             vq->index, i, tsize);
			return -1;
		}
	}
	return 0;
}

void *virtqueue_pop(struct virtqueue *vq, size_t size)
{
	struct virtio_device *vdev = vq->vdev;
	if (!virtqueue_ready(vq))
		return NULL;
	int pending = avail_pending(vq);
	if (pending < 0)
		return NULL;
	if (!pending) {
		/* Empty: ask for a kick on the next entry, then look once more. */
		if (!virtqueue_enable_notify(vq))
			return NULL;
	}
	if (vq->inflight >= vq->num) {
		virtio_error(vdev, "queue %u: more buffers in flight than the ring holds",
		             vq->index);
		return NULL;
	}
	uint16_t head = ld16(vq->avail + AVAIL_RING(vq->last_avail % vq->num));
	unsigned niov, nout;
	uint64_t out_len, in_len;
	if (parse_chain(vq, head, &niov, &nout, &out_len, &in_len) < 0)
		return NULL;
	vq->last_avail++;
	if (virtio_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX))
		set_avail_event(vq, vq->last_avail);

	if (size < sizeof(struct virtq_elem))
		size = sizeof(struct virtq_elem);
	size_t base = (size + 15) & ~(size_t)15;
	unsigned nin = niov - nout;
	struct virtq_elem *e =
	        calloc(1, base + niov * sizeof(struct iovec) + nin * sizeof(uint64_t));
	if (!e) {
		virtio_error(vdev, "queue %u: out of memory", vq->index);
		return NULL;
	}
	e->head = head;
	e->out_num = nout;
	e->in_num = nin;
	e->out_len = out_len;
	e->in_len = in_len;
	e->out = (struct iovec *)(void *)((uint8_t *)e + base);
	e->in = e->out + nout;
	e->in_addr = (uint64_t *)(void *)(e->out + niov);
	memcpy(e->out, vdev->scratch_iov, niov * sizeof(struct iovec));
	memcpy(e->in_addr, vdev->scratch_addr + nout, nin * sizeof(uint64_t));
	vq->inflight++;
	return e;
}

void virtqueue_unpop(struct virtqueue *vq, const struct virtq_elem *elem)
{
	(void)elem;
	vq->last_avail--;
	if (vq->inflight)
		vq->inflight--;
}

void virtqueue_fill(struct virtqueue *vq, const struct virtq_elem *elem, uint32_t len, unsigned idx)
{
	struct virtio_device *vdev = vq->vdev;
	if (vq->inflight)
		vq->inflight--;
	if (!vq->mapped || vdev->broken)
		return;
	if (len > elem->in_len)
		len = (uint32_t)elem->in_len;
	/* What we wrote into guest RAM: the first len bytes of the in buffers. */
	uint64_t left = len;
	for (unsigned i = 0; i < elem->in_num && left; i++) {
		uint64_t n = elem->in[i].iov_len < left ? elem->in[i].iov_len : left;
		if (vdev->mem.dirty)
			vdev->mem.dirty(vdev->mem.opaque, elem->in_addr[i], n);
		left -= n;
	}
	uint8_t *ent = vq->used + USED_RING((uint16_t)(vq->used_idx + idx) % vq->num);
	st32(ent, elem->head);
	st32(ent + 4, len);
}

void virtqueue_flush(struct virtqueue *vq, unsigned count)
{
	if (!vq->mapped || vq->vdev->broken)
		return;
	vq->used_idx = (uint16_t)(vq->used_idx + count);
	/* §2.7.8: the entries are visible before the index that publishes them. */
	__atomic_store_n((uint16_t *)(void *)(vq->used + USED_IDX), vq->used_idx, __ATOMIC_RELEASE);
}

void virtqueue_push(struct virtqueue *vq, const struct virtq_elem *elem, uint32_t len)
{
	virtqueue_fill(vq, elem, len, 0);
	virtqueue_flush(vq, 1);
}

/* §2.7.7 / §2.7.10: does the driver want an interrupt for what we used? */
static bool should_notify(struct virtqueue *vq)
{
	struct virtio_device *vdev = vq->vdev;
	/* Our used->idx store before the driver's flags/event (it does the mirror). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (virtio_has_feature(vdev, VIRTIO_F_NOTIFY_ON_EMPTY) && !vq->inflight &&
	    vq->last_avail == ld16(vq->avail + AVAIL_IDX))
		return true;
	if (!virtio_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX))
		return !(ld16(vq->avail + AVAIL_FLAGS) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	uint16_t old = vq->signalled_used, now = vq->used_idx;
	bool valid = vq->signalled_used_valid;
	vq->signalled_used = now;
	vq->signalled_used_valid = true;
	if (!valid)
		return true;
	uint16_t event = ld16(vq->avail + AVAIL_RING(vq->num)); /* used_event */
	return (uint16_t)(now - event - 1) < (uint16_t)(now - old);
}

void virtqueue_notify(struct virtqueue *vq)
{
	struct virtio_device *vdev = vq->vdev;
	if (!vq->mapped || vdev->broken)
		return;
	if (should_notify(vq) && vdev->tops && vdev->tops->notify)
		vdev->tops->notify(vdev, vq->vector, false);
}

uint64_t virtqueue_avail_bytes(struct virtqueue *vq, uint64_t want)
{
	if (!virtqueue_ready(vq) || avail_pending(vq) < 0)
		return 0;
	uint64_t total = 0;
	uint16_t idx = vq->last_avail;
	for (int pass = 0; pass < 2; pass++) {
		for (; idx != vq->shadow_avail && total < want; idx++) {
			uint16_t head = ld16(vq->avail + AVAIL_RING(idx % vq->num));
			unsigned niov, nout;
			uint64_t out_len, in_len;
			if (parse_chain(vq, head, &niov, &nout, &out_len, &in_len) < 0)
				return 0;
			total += in_len;
		}
		if (total >= want || pass)
			break;
		/* Short: ask for a kick when more arrives, and look once more
		 * for entries added meanwhile. */
		if (virtio_has_feature(vq->vdev, VIRTIO_RING_F_EVENT_IDX))
			set_avail_event(vq, vq->shadow_avail);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (refresh_avail(vq) < 0)
			return 0;
	}
	return total < want ? total : want;
}

/* ---- iovec helpers ---- */

size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf, size_t len)
{
	size_t done = 0;
	for (unsigned i = 0; i < n && done < len; i++) {
		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		size_t c = iov[i].iov_len - off;
		if (c > len - done)
			c = len - done;
		guest_copy((uint8_t *)buf + done, (const uint8_t *)iov[i].iov_base + off, c);
		done += c;
		off = 0;
	}
	return done;
}

size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t off, const void *buf, size_t len)
{
	size_t done = 0;
	for (unsigned i = 0; i < n && done < len; i++) {
		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		size_t c = iov[i].iov_len - off;
		if (c > len - done)
			c = len - done;
		memcpy((uint8_t *)iov[i].iov_base + off, (const uint8_t *)buf + done, c);
		done += c;
		off = 0;
	}
	return done;
}

int iov_slice(const struct iovec *iov, unsigned n, size_t off, size_t len, struct iovec *out,
              unsigned cap)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n && len; i++) {
		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		size_t c = iov[i].iov_len - off;
		if (c > len)
			c = len;
		if (k >= cap)
			return -1;
		out[k].iov_base = (uint8_t *)iov[i].iov_base + off;
		out[k].iov_len = c;
		k++;
		len -= c;
		off = 0;
	}
	return (int)k;
}
