/*
 * libFuzzer target for the split-virtqueue parser (src/hw/virtio/virtqueue.c):
 * the input is the whole guest RAM (8 KiB in two regions of exactly-sized
 * heap blocks) holding the descriptor table, the rings and indirect tables,
 * plus a header choosing the queue size and features.  The device pops
 * every chain, writes into every writable buffer and pushes it back, as a
 * device model would.  Whatever the guest wrote: no crash, no access
 * outside the fake RAM (ASan), every iovec inside it (checked), and a
 * device that either works or is marked broken.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -Ibuild \
 *     tests/fuzz/fuzz_virtqueue.c src/hw/virtio/virtqueue.c src/hw/virtio/virtio.c -o fuzz_virtqueue
 *   ./fuzz_virtqueue -max_total_time=60
 */
#include <stdlib.h>
#include <string.h>

#include "hw/virtio/virtio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_REG 4096u

struct fz {
	uint8_t *reg[2];
};

static void *fz_map(void *opaque, uint64_t gpa, uint64_t len, bool write, uint64_t *mapped)
{
	struct fz *f = opaque;
	(void)write;
	if (gpa >= 2ull * FZ_REG)
		return NULL;
	uint64_t off = gpa % FZ_REG, n = FZ_REG - off;
	*mapped = n < len ? n : len;
	return f->reg[gpa / FZ_REG] + off;
}

static void fz_notify(struct virtio_device *vdev, uint16_t vector, bool config)
{
	(void)vdev;
	(void)vector;
	(void)config;
}

static const struct virtio_transport_ops fz_tops = { fz_notify, NULL };

static void check_elem(struct fz *f, const struct virtq_elem *e)
{
	for (unsigned i = 0; i < e->out_num + e->in_num; i++) {
		const uint8_t *p = e->out[i].iov_base;
		size_t n = e->out[i].iov_len;
		bool in = false;
		for (int k = 0; k < 2; k++)
			if (p >= f->reg[k] && n <= FZ_REG && p + n <= f->reg[k] + FZ_REG)
				in = true;
		if (!in || !n)
			abort();
	}
	uint64_t tot = 0;
	for (unsigned i = 0; i < e->in_num; i++)
		tot += e->in[i].iov_len;
	if (tot != e->in_len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	uint8_t hdr = data[0], hdr2 = data[1], push_len = data[2], rounds = (uint8_t)(1 + (data[3] & 7));
	data += 4;
	size -= 4;
	struct fz f;
	f.reg[0] = calloc(1, FZ_REG);
	f.reg[1] = calloc(1, FZ_REG);
	if (!f.reg[0] || !f.reg[1]) {
		free(f.reg[0]);
		free(f.reg[1]);
		return 0;
	}
	/* The input is guest RAM (repeated if short, so rings are never all zero). */
	for (size_t i = 0; i < 2 * FZ_REG && size; i++)
		f.reg[i / FZ_REG][i % FZ_REG] = data[i % size];

	uint16_t num = (uint16_t)(1u << (hdr & 7)); /* 1..128 */
	uint64_t features = VIRTIO_BIT(VIRTIO_F_VERSION_1);
	if (hdr & 0x08)
		features |= VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC);
	if (hdr & 0x10)
		features |= VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX);
	/* Descriptor addresses point into (or just around) the 8 KiB of RAM
	 * most of the time, so chains get past the first check. */
	bool fold = hdr & 0x20;
	if (fold) {
		uint8_t *d = f.reg[0];
		for (unsigned i = 0; i < num && 16u * i + 8 <= 2048; i++) {
			uint64_t a;
			memcpy(&a, d + 16 * i, 8);
			a &= 0x3fff;
			memcpy(d + 16 * i, &a, 8);
		}
	}

	struct virtio_device vdev;
	memset(&vdev, 0, sizeof(vdev));
	if (virtio_init(&vdev, "fuzz", 1, 16, 1) < 0) {
		free(f.reg[0]);
		free(f.reg[1]);
		return 0;
	}
	vdev.mem = (struct virtio_mem){ fz_map, NULL, &f };
	vdev.tops = &fz_tops;
	virtio_set_queue(&vdev, 0, 128, NULL);
	struct virtqueue *vq = &vdev.vqs[0];
	for (int round = 0; round < rounds; round++) {
		virtio_reset(&vdev);
		vdev.host_features |= features;
		virtio_set_driver_features(&vdev, 0, (uint32_t)features);
		virtio_set_driver_features(&vdev, 1, (uint32_t)(features >> 32));
		virtio_set_status(&vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
		virtqueue_set_num(vq, num);
		/* Ring placement: fixed, or chosen by the input (possibly bad). */
		if (hdr2 & 0x80)
			virtqueue_set_addrs(vq, (uint64_t)(hdr2 & 0x7f) << 6, 2048 + (hdr2 & 3), 3072 + (round & 3) * 4);
		else
			virtqueue_set_addrs(vq, 0, 2048, 3072);
		virtqueue_enable(vq);
		virtio_set_status(&vdev, vdev.status | VIRTIO_STATUS_DRIVER_OK);
		(void)virtqueue_avail_bytes(vq, 1u << 20);
		for (int i = 0; i < 2 * 128; i++) {
			struct virtq_elem *e = virtqueue_pop(vq, sizeof(*e) + (size_t)(i & 7));
			if (!e)
				break;
			check_elem(&f, e);
			for (unsigned k = 0; k < e->in_num; k++)
				memset(e->in[k].iov_base, 0xa5, e->in[k].iov_len);
			uint8_t hdrbuf[16];
			iov_to_buf(e->out, e->out_num, 0, hdrbuf, sizeof(hdrbuf));
			if ((i + round) % 5 == 4)
				virtqueue_unpop(vq, e);
			else
				virtqueue_push(vq, e, (uint32_t)push_len * (uint32_t)(i + 1));
			free(e);
			virtqueue_notify(vq);
			/* The guest moves its index under us: the next round
			 * re-reads it. */
			if (round & 1)
				f.reg[0][2048 + 2] ^= (uint8_t)i;
		}
		(void)virtqueue_enable_notify(vq);
	}
	virtio_cleanup(&vdev);
	free(f.reg[0]);
	free(f.reg[1]);
	return 0;
}
