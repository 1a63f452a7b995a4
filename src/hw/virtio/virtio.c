/*
 * Virtio device core: status (§2.1), features (§2.2, §3.1.1), the
 * device-specific configuration space (§2.5) and the broken state
 * (DEVICE_NEEDS_RESET, §2.1.2).  Transport-independent; see virtio.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/virtio/virtio.h"

int virtio_init(struct virtio_device *vdev, const char *name, uint16_t device_id,
                uint32_t config_len, unsigned nvqs)
{
	vdev->name = name;
	vdev->device_id = device_id;
	vdev->config_len = config_len;
	vdev->config = calloc(1, config_len ? config_len : 1);
	vdev->nvqs = nvqs;
	vdev->vqs = calloc(nvqs ? nvqs : 1, sizeof(*vdev->vqs));
	vdev->scratch_iov = calloc(VIRTQ_MAX_IOV, sizeof(*vdev->scratch_iov));
	vdev->scratch_addr = calloc(VIRTQ_MAX_IOV, sizeof(*vdev->scratch_addr));
	vdev->scratch_write = calloc(VIRTQ_MAX_IOV, 1);
	if (!vdev->config || !vdev->vqs || !vdev->scratch_iov || !vdev->scratch_addr ||
	    !vdev->scratch_write) {
		virtio_cleanup(vdev);
		return -ENOMEM;
	}
	/* Every device offers these; VERSION_1 only over a modern interface
	 * (the transport clears it for a legacy-only device). */
	vdev->host_features |=
	        VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) |
	        VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_NOTIFY_ON_EMPTY) |
	        VIRTIO_BIT(VIRTIO_F_ANY_LAYOUT);
	for (unsigned i = 0; i < nvqs; i++) {
		vdev->vqs[i].vdev = vdev;
		vdev->vqs[i].index = i;
	}
	vdev->config_vector = VIRTIO_NO_VECTOR;
	return 0;
}

void virtio_cleanup(struct virtio_device *vdev)
{
	free(vdev->config);
	free(vdev->vqs);
	free(vdev->scratch_iov);
	free(vdev->scratch_addr);
	free(vdev->scratch_write);
	vdev->config = NULL;
	vdev->vqs = NULL;
	vdev->scratch_iov = NULL;
	vdev->scratch_addr = NULL;
	vdev->scratch_write = NULL;
	vdev->nvqs = 0;
}

void virtio_set_queue(struct virtio_device *vdev, unsigned idx, uint16_t num_max,
                      virtqueue_handler *h)
{
	if (idx >= vdev->nvqs)
		return;
	struct virtqueue *vq = &vdev->vqs[idx];
	vq->num_max = num_max;
	vq->handler = h;
	virtqueue_reset(vq);
}

void virtio_reset(struct virtio_device *vdev)
{
	if (vdev->ops && vdev->ops->reset)
		vdev->ops->reset(vdev);
	vdev->status = 0;
	vdev->guest_features = 0;
	vdev->isr = 0;
	vdev->config_vector = VIRTIO_NO_VECTOR;
	vdev->broken = false;
	vdev->legacy_driver = false;
	for (unsigned i = 0; i < vdev->nvqs; i++)
		virtqueue_reset(&vdev->vqs[i]);
}

void virtio_set_driver_features(struct virtio_device *vdev, unsigned sel, uint32_t val)
{
	if (sel > 1 || (vdev->status & VIRTIO_STATUS_FEATURES_OK))
		return;
	uint64_t mask = 0xffffffffull << (32 * sel);
	vdev->guest_features = (vdev->guest_features & ~mask) | ((uint64_t)val << (32 * sel));
}

void virtio_set_status(struct virtio_device *vdev, uint8_t status)
{
	uint8_t old = vdev->status;
	if ((status & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK)) {
		/* §3.1.1 step 5-6: accept only a subset of what we offered (and,
		 * over the modern interface, VERSION_1); otherwise leave
		 * FEATURES_OK clear so that the driver sees the refusal. */
		bool ok = !(vdev->guest_features & ~vdev->host_features);
		if (ok && !vdev->legacy_driver && !virtio_has_feature(vdev, VIRTIO_F_VERSION_1))
			ok = false;
		if (ok && vdev->ops && vdev->ops->validate_features &&
		    vdev->ops->validate_features(vdev) < 0)
			ok = false;
		if (!ok)
			status &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	}
	/* NEEDS_RESET is the device's to set, not the driver's. */
	status = (uint8_t)((status & ~VIRTIO_STATUS_NEEDS_RESET) |
	                   (old & VIRTIO_STATUS_NEEDS_RESET));
	vdev->status = status;
	if (vdev->ops && vdev->ops->set_status)
		vdev->ops->set_status(vdev, old);
	/* Buffers made available before DRIVER_OK (§3.1.1 step 8 allows
	 * "the device MAY process") are looked at now. */
	if ((status & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK))
		for (unsigned i = 0; i < vdev->nvqs; i++)
			if (vdev->vqs[i].mapped)
				virtqueue_kick(&vdev->vqs[i]);
}

uint32_t virtio_config_read(struct virtio_device *vdev, uint32_t off, unsigned size)
{
	if (size > 4 || off >= vdev->config_len || size > vdev->config_len - off)
		return 0;
	if (vdev->ops && vdev->ops->get_config)
		vdev->ops->get_config(vdev);
	uint32_t v = 0;
	memcpy(&v, vdev->config + off, size);
	return v;
}

void virtio_config_write(struct virtio_device *vdev, uint32_t off, uint32_t val, unsigned size)
{
	if (size > 4 || off >= vdev->config_len || size > vdev->config_len - off)
		return;
	memcpy(vdev->config + off, &val, size);
	if (vdev->ops && vdev->ops->set_config)
		vdev->ops->set_config(vdev, off, size);
}

void virtio_config_changed(struct virtio_device *vdev)
{
	vdev->generation++;
	if (!(vdev->status & VIRTIO_STATUS_DRIVER_OK))
		return;
	if (vdev->tops && vdev->tops->notify)
		vdev->tops->notify(vdev, vdev->config_vector, true);
}

void virtio_error(struct virtio_device *vdev, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (vdev->tops && vdev->tops->log) {
		char line[320];
		snprintf(line, sizeof(line), "%s: %s; device needs reset\n",
		         vdev->name ? vdev->name : "virtio", msg);
		vdev->tops->log(vdev, line);
	}
	if (vdev->broken)
		return;
	vdev->broken = true;
	/* §2.1.2: set DEVICE_NEEDS_RESET and, once the driver is running,
	 * tell it through a configuration change notification. */
	vdev->status |= VIRTIO_STATUS_NEEDS_RESET;
	if (vdev->status & VIRTIO_STATUS_DRIVER_OK)
		virtio_config_changed(vdev);
}
