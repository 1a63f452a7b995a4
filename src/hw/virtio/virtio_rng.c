/*
 * virtio-rng (virtio 1.2 §5.4) fed by the host's getrandom(2), as the PCI
 * device virtio-rng-pci.  One request queue; every writable buffer the
 * driver offers is filled with random bytes.  QEMU's rate limit is
 * honoured: at most max-bytes per period milliseconds, the rest waits for
 * a timer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/device.h"
#include "core/loop.h"
#include "core/vm.h"
#include "hw/virtio/virtio_pci.h"
#include "util/error.h"

struct virtio_rng {
	struct virtio_device vdev;
	struct vm *vm;
	uint64_t max_bytes; /* property max-bytes */
	uint32_t period_ms; /* property period */
	uint64_t quota;     /* bytes left in this period */
	struct timer timer;
	bool timer_ready;
};

struct virtio_rng_pci {
	struct virtio_pci vp;
	struct virtio_rng rng;
};

/* Fill [buf, buf+len) with host randomness; 0 or -errno. */
static int fill_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void rng_handle(struct virtio_device *vdev, struct virtqueue *vq)
{
	struct virtio_rng *rng = (struct virtio_rng *)vdev;
	bool used = false;
	while (rng->quota) {
		struct virtq_elem *e = virtqueue_pop(vq, sizeof(*e));
		if (!e)
			break;
		uint64_t want = e->in_len < rng->quota ? e->in_len : rng->quota;
		uint64_t done = 0;
		for (unsigned i = 0; i < e->in_num && done < want; i++) {
			size_t n = e->in[i].iov_len;
			if (n > want - done)
				n = (size_t)(want - done);
			if (fill_random(e->in[i].iov_base, n) < 0)
				break;
			done += n;
		}
		rng->quota -= done;
		virtqueue_push(vq, e, (uint32_t)done);
		free(e);
		used = true;
	}
	if (used)
		virtqueue_notify(vq);
	/* Out of quota with requests waiting: the period timer refills. */
	if (!rng->quota && rng->timer_ready && !timer_pending(&rng->timer))
		timer_mod(&rng->timer, vm_clock_ns(rng->vm) + (int64_t)rng->period_ms * 1000000);
}

static void rng_timer(void *opaque)
{
	struct virtio_rng *rng = opaque;
	rng->quota = rng->max_bytes;
	if (rng->vdev.nvqs)
		virtqueue_kick(&rng->vdev.vqs[0]);
}

static void rng_reset(struct virtio_device *vdev)
{
	struct virtio_rng *rng = (struct virtio_rng *)vdev;
	if (rng->timer_ready)
		timer_del(&rng->timer);
	rng->quota = rng->max_bytes;
}

static const struct virtio_device_ops rng_ops = {
	.reset = rng_reset,
};

static int rng_pci_realize(struct device *d, struct error **errp)
{
	struct virtio_rng_pci *p = (struct virtio_rng_pci *)d;
	struct virtio_rng *rng = &p->rng;
	rng->vm = d->vm;
	if (!rng->period_ms) {
		error_setg(errp, "'period' parameter expects a positive integer");
		return -1;
	}
	if (!rng->max_bytes) {
		error_setg(errp, "'max-bytes' parameter must be non-zero");
		return -1;
	}
	if (virtio_init(&rng->vdev, "virtio-rng", VIRTIO_ID_RNG, 0, 1) < 0) {
		error_setg(errp, "out of memory");
		return -1;
	}
	rng->vdev.ops = &rng_ops;
	virtio_set_queue(&rng->vdev, 0, 8, rng_handle);
	rng->quota = rng->max_bytes;
	timer_init(&rng->timer, d->vm, rng_timer, rng);
	rng->timer_ready = true;
	/* QEMU's class for virtio-rng-pci: PCI_CLASS_OTHERS. */
	if (virtio_pci_realize(&p->vp, &rng->vdev, 0xff0000, 2, errp) < 0) {
		timer_del(&rng->timer);
		virtio_cleanup(&rng->vdev);
		return -1;
	}
	return 0;
}

static void rng_pci_reset(struct device *d)
{
	struct virtio_rng_pci *p = (struct virtio_rng_pci *)d;
	virtio_pci_reset(&p->vp);
}

static void rng_pci_unrealize(struct device *d)
{
	struct virtio_rng_pci *p = (struct virtio_rng_pci *)d;
	timer_del(&p->rng.timer);
	virtio_pci_unrealize(&p->vp);
	virtio_cleanup(&p->rng.vdev);
}

static const struct prop rng_pci_props[] = {
	VIRTIO_PCI_PROPS,
	{ "max-bytes", PROP_U64, offsetof(struct virtio_rng_pci, rng.max_bytes),
	  "9223372036854775807", "bytes of entropy per period" },
	{ "period", PROP_U32, offsetof(struct virtio_rng_pci, rng.period_ms), "65536",
	  "period in milliseconds" },
	PROP_END,
};

/* The class under QEMU's four names (see virtio_pci.h). */
#define VIRTIO_RNG_PCI_CLASS(n, b)                                                          \
	{                                                                                   \
		.name = n, .desc = "Virtio random number generator", .bus = b,              \
		.size = sizeof(struct virtio_rng_pci), .props = rng_pci_props,              \
		.user_creatable = true, .realize = rng_pci_realize, .reset = rng_pci_reset, \
		.unrealize = rng_pci_unrealize,                                             \
	}
const struct device_class virtio_rng_pci_class = VIRTIO_RNG_PCI_CLASS("virtio-rng-pci", "pci");
const struct device_class virtio_rng_pci_class_transitional =
        VIRTIO_RNG_PCI_CLASS("virtio-rng-pci-transitional", "pci");
const struct device_class virtio_rng_pci_class_non_transitional =
        VIRTIO_RNG_PCI_CLASS("virtio-rng-pci-non-transitional", "pci");
const struct device_class virtio_rng_pci_class_alias = VIRTIO_RNG_PCI_CLASS("virtio-rng", NULL);
