/*
 * Virtio PCI transport (virtio 1.2 §4.1): the modern interface through
 * vendor capabilities and a memory BAR, the legacy (transitional) I/O BAR,
 * ISR/INTx and MSI-X.  See virtio_pci.h for the BAR layout.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/memory.h"
#include "core/vm.h"
#include "hw/virtio/virtio_pci.h"
#include "util/error.h"
#include "util/opts.h"

/* Capability types (§4.1.4). */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5

#define LEGACY_BAR 0
#define MSIX_BAR 1
#define MODERN_BAR 4
#define MODERN_BAR_SIZE 0x4000
#define COMMON_OFF 0x0000
#define ISR_OFF 0x1000
#define DEVICE_OFF 0x2000
#define NOTIFY_OFF 0x3000
#define REGION_SIZE 0x1000
#define NOTIFY_MULT 4

/* Common configuration structure (§4.1.4.3). */
#define CC_DFSELECT 0x00
#define CC_DF 0x04
#define CC_GFSELECT 0x08
#define CC_GF 0x0c
#define CC_MSIX 0x10
#define CC_NUMQ 0x12
#define CC_STATUS 0x14
#define CC_CFGGEN 0x15
#define CC_Q_SELECT 0x16
#define CC_Q_SIZE 0x18
#define CC_Q_MSIX 0x1a
#define CC_Q_ENABLE 0x1c
#define CC_Q_NOFF 0x1e
#define CC_Q_DESCLO 0x20
#define CC_Q_DESCHI 0x24
#define CC_Q_AVAILLO 0x28
#define CC_Q_AVAILHI 0x2c
#define CC_Q_USEDLO 0x30
#define CC_Q_USEDHI 0x34
#define CC_SIZE 0x38

/* Legacy registers (§4.1.4.8). */
#define L_HOST_FEATURES 0x00
#define L_GUEST_FEATURES 0x04
#define L_QUEUE_PFN 0x08
#define L_QUEUE_NUM 0x0c
#define L_QUEUE_SEL 0x0e
#define L_QUEUE_NOTIFY 0x10
#define L_STATUS 0x12
#define L_ISR 0x13
#define L_MSIX_CONFIG 0x14
#define L_MSIX_QUEUE 0x16
#define L_QUEUE_ALIGN 4096

struct vm *virtio_pci_vm(struct virtio_device *vdev)
{
	struct virtio_pci *vp = vdev->transport;
	return vp->pci.dev.vm;
}

/* ---- guest memory and interrupts for the core ---------------------- */

static void *vp_map(void *opaque, uint64_t gpa, uint64_t len, bool write, uint64_t *mapped)
{
	struct virtio_pci *vp = opaque;
	struct vm *vm = vp->pci.dev.vm;
	/* No bus mastering, no DMA (PCI 3.0 §6.2.2). */
	if (!(pci_get_word(vp->pci.config + PCI_COMMAND) & PCI_COMMAND_MASTER))
		return NULL;
	struct mem_region *r = mem_find(vm, gpa);
	if (!r || !r->host || r->kind == MEM_MMIO || (write && r->kind != MEM_RAM))
		return NULL;
	uint64_t off = gpa - r->base, n = r->size - off;
	*mapped = n < len ? n : len;
	return r->host + off;
}

static void vp_dirty(void *opaque, uint64_t gpa, uint64_t len)
{
	struct virtio_pci *vp = opaque;
	phys_dirty(vp->pci.dev.vm, gpa, len);
}

static void vp_notify(struct virtio_device *vdev, uint16_t vector, bool config)
{
	struct virtio_pci *vp = vdev->transport;
	if (msix_enabled(&vp->msix)) {
		if (vector != VIRTIO_NO_VECTOR)
			msix_notify(&vp->msix, vector);
		return;
	}
	vdev->isr |= config ? 2 : 1;
	pci_set_irq(&vp->pci, 1);
}

static void vp_log(struct virtio_device *vdev, const char *msg)
{
	struct virtio_pci *vp = vdev->transport;
	vm_log(vp->pci.dev.vm, VM_LOG_GUEST_ERRORS, "%s", msg);
}

static const struct virtio_transport_ops vp_tops = {
	.notify = vp_notify,
	.log = vp_log,
};

/* ---- shared register semantics ------------------------------------ */

static uint8_t vp_isr_read(struct virtio_pci *vp)
{
	/* §4.1.4.5.1: reading ISR resets it and de-asserts INTx. */
	uint8_t v = vp->vdev->isr;
	vp->vdev->isr = 0;
	pci_set_irq(&vp->pci, 0);
	return v;
}

static void vp_device_reset(struct virtio_pci *vp)
{
	virtio_reset(vp->vdev);
	vp->vdev->host_features &= vp->modern ? ~0ull : ~VIRTIO_BIT(VIRTIO_F_VERSION_1);
	vp->queue_sel = 0;
	pci_set_irq(&vp->pci, 0);
}

static void vp_set_status(struct virtio_pci *vp, uint8_t val)
{
	if (!val)
		vp_device_reset(vp);
	else
		virtio_set_status(vp->vdev, val);
}

static uint16_t vp_check_vector(struct virtio_pci *vp, uint16_t v)
{
	/* An unsupported vector reads back as NO_VECTOR (§4.1.5.1.2). */
	return v < vp->msix.nvec && vp->msix.cap ? v : VIRTIO_NO_VECTOR;
}

static struct virtqueue *vp_cur_vq(struct virtio_pci *vp)
{
	return vp->queue_sel < vp->vdev->nvqs ? &vp->vdev->vqs[vp->queue_sel] : NULL;
}

static void vp_kick(struct virtio_pci *vp, uint32_t q)
{
	if (q < vp->vdev->nvqs && vp->vdev->vqs[q].enabled)
		virtqueue_kick(&vp->vdev->vqs[q]);
}

/* ---- modern: common configuration ---------------------------------- */

static uint32_t common_read(struct virtio_pci *vp, uint32_t off, unsigned size)
{
	struct virtio_device *vdev = vp->vdev;
	struct virtqueue *vq = vp_cur_vq(vp);
	uint8_t img[CC_SIZE];
	memset(img, 0, sizeof(img));
	pci_set_long(img + CC_DFSELECT, vp->dfselect);
	pci_set_long(img + CC_DF,
	             vp->dfselect < 2 ? (uint32_t)(vdev->host_features >> (32 * vp->dfselect)) : 0);
	pci_set_long(img + CC_GFSELECT, vp->gfselect);
	pci_set_long(img + CC_GF, vp->gfselect < 2 ?
	                                  (uint32_t)(vdev->guest_features >> (32 * vp->gfselect)) :
	                                  0);
	pci_set_word(img + CC_MSIX, vdev->config_vector);
	pci_set_word(img + CC_NUMQ, (uint16_t)vdev->nvqs);
	img[CC_STATUS] = vdev->status;
	img[CC_CFGGEN] = vdev->generation;
	pci_set_word(img + CC_Q_SELECT, vp->queue_sel);
	if (vq) {
		pci_set_word(img + CC_Q_SIZE, vq->num_max ? vq->num : 0);
		pci_set_word(img + CC_Q_MSIX, vq->vector);
		pci_set_word(img + CC_Q_ENABLE, vq->enabled);
		pci_set_word(img + CC_Q_NOFF, vp->queue_sel);
		pci_set_long(img + CC_Q_DESCLO, (uint32_t)vq->desc_addr);
		pci_set_long(img + CC_Q_DESCHI, (uint32_t)(vq->desc_addr >> 32));
		pci_set_long(img + CC_Q_AVAILLO, (uint32_t)vq->avail_addr);
		pci_set_long(img + CC_Q_AVAILHI, (uint32_t)(vq->avail_addr >> 32));
		pci_set_long(img + CC_Q_USEDLO, (uint32_t)vq->used_addr);
		pci_set_long(img + CC_Q_USEDHI, (uint32_t)(vq->used_addr >> 32));
	}
	if (off >= CC_SIZE || size > CC_SIZE - off)
		return 0;
	uint32_t v = 0;
	memcpy(&v, img + off, size);
	return v;
}

static void set_lo(uint64_t *a, uint32_t v)
{
	*a = (*a & ~0xffffffffull) | v;
}
static void set_hi(uint64_t *a, uint32_t v)
{
	*a = (*a & 0xffffffffull) | (uint64_t)v << 32;
}

static void common_write(struct virtio_pci *vp, uint32_t off, uint32_t val, unsigned size)
{
	struct virtio_device *vdev = vp->vdev;
	struct virtqueue *vq = vp_cur_vq(vp);
	/* Fields are written with their natural width (§4.1.3.1). */
	static const uint8_t width[CC_SIZE] = {
		[CC_DFSELECT] = 4,  [CC_GFSELECT] = 4, [CC_GF] = 4,       [CC_MSIX] = 2,
		[CC_STATUS] = 1,    [CC_Q_SELECT] = 2, [CC_Q_SIZE] = 2,   [CC_Q_MSIX] = 2,
		[CC_Q_ENABLE] = 2,  [CC_Q_DESCLO] = 4, [CC_Q_DESCHI] = 4, [CC_Q_AVAILLO] = 4,
		[CC_Q_AVAILHI] = 4, [CC_Q_USEDLO] = 4, [CC_Q_USEDHI] = 4,
	};
	if (off >= CC_SIZE || width[off] != size) {
		vm_log(vp->pci.dev.vm, VM_LOG_GUEST_ERRORS,
		       "%s: common config write of %u bytes at 0x%x ignored\n",
		       vp->pci.dev.cls->name, size, off);
		return;
	}
	/* Queue registers are fixed while the queue is enabled (§4.1.4.3.2). */
	bool qw = vq && !vq->enabled;
	switch (off) {
	case CC_DFSELECT: vp->dfselect = val; break;
	case CC_GFSELECT: vp->gfselect = val; break;
	case CC_GF: virtio_set_driver_features(vdev, vp->gfselect, val); break;
	case CC_MSIX: vdev->config_vector = vp_check_vector(vp, (uint16_t)val); break;
	case CC_STATUS: vp_set_status(vp, (uint8_t)val); break;
	case CC_Q_SELECT: vp->queue_sel = (uint16_t)val; break;
	case CC_Q_SIZE:
		if (qw)
			virtqueue_set_num(vq, (uint16_t)val);
		break;
	case CC_Q_MSIX:
		if (vq)
			vq->vector = vp_check_vector(vp, (uint16_t)val);
		break;
	case CC_Q_ENABLE:
		if (qw && val == 1)
			virtqueue_enable(vq);
		break;
	case CC_Q_DESCLO:
		if (qw)
			set_lo(&vq->desc_addr, val);
		break;
	case CC_Q_DESCHI:
		if (qw)
			set_hi(&vq->desc_addr, val);
		break;
	case CC_Q_AVAILLO:
		if (qw)
			set_lo(&vq->avail_addr, val);
		break;
	case CC_Q_AVAILHI:
		if (qw)
			set_hi(&vq->avail_addr, val);
		break;
	case CC_Q_USEDLO:
		if (qw)
			set_lo(&vq->used_addr, val);
		break;
	case CC_Q_USEDHI:
		if (qw)
			set_hi(&vq->used_addr, val);
		break;
	}
}

/* ---- modern BAR ---------------------------------------------------- */

static uint64_t modern_read(void *opaque, uint64_t off, unsigned size)
{
	struct virtio_pci *vp = opaque;
	if (off < ISR_OFF)
		return common_read(vp, (uint32_t)off, size);
	if (off < DEVICE_OFF)
		return off == ISR_OFF ? vp_isr_read(vp) : 0;
	if (off < NOTIFY_OFF)
		return virtio_config_read(vp->vdev, (uint32_t)(off - DEVICE_OFF), size);
	return 0;
}

static void modern_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct virtio_pci *vp = opaque;
	vp->vdev->legacy_driver = false;
	if (off < ISR_OFF)
		common_write(vp, (uint32_t)off, (uint32_t)val, size);
	else if (off >= DEVICE_OFF && off < NOTIFY_OFF)
		virtio_config_write(vp->vdev, (uint32_t)(off - DEVICE_OFF), (uint32_t)val, size);
	else if (off >= NOTIFY_OFF)
		vp_kick(vp, (uint32_t)((off - NOTIFY_OFF) / NOTIFY_MULT));
}

static const struct io_ops modern_ops = {
	.read = modern_read,
	.write = modern_write,
	.min_size = 1,
	.max_size = 4,
};

/* ---- legacy I/O BAR ------------------------------------------------ */

static uint32_t legacy_cfg_off(struct virtio_pci *vp)
{
	return msix_enabled(&vp->msix) ? 0x18 : 0x14;
}

static uint64_t legacy_read(void *opaque, uint64_t off, unsigned size)
{
	struct virtio_pci *vp = opaque;
	struct virtio_device *vdev = vp->vdev;
	struct virtqueue *vq = vp_cur_vq(vp);
	uint32_t co = legacy_cfg_off(vp);
	if (off >= co)
		return virtio_config_read(vdev, (uint32_t)(off - co), size);
	switch (off) {
	case L_HOST_FEATURES:
		return (uint32_t)vdev->host_features & ~VIRTIO_BIT(VIRTIO_F_BAD_FEATURE);
	case L_GUEST_FEATURES: return (uint32_t)vdev->guest_features;
	case L_QUEUE_PFN: return vq ? (uint32_t)(vq->desc_addr >> 12) : 0;
	case L_QUEUE_NUM: return vq ? vq->num_max : 0;
	case L_QUEUE_SEL: return vp->queue_sel;
	case L_STATUS: return vdev->status;
	case L_ISR: return vp_isr_read(vp);
	case L_MSIX_CONFIG: return vdev->config_vector;
	case L_MSIX_QUEUE: return vq ? vq->vector : VIRTIO_NO_VECTOR;
	}
	return 0;
}

static void legacy_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct virtio_pci *vp = opaque;
	struct virtio_device *vdev = vp->vdev;
	struct virtqueue *vq = vp_cur_vq(vp);
	uint32_t co = legacy_cfg_off(vp);
	vdev->legacy_driver = true;
	if (off >= co) {
		virtio_config_write(vdev, (uint32_t)(off - co), (uint32_t)val, size);
		return;
	}
	switch (off) {
	case L_GUEST_FEATURES:
		/* A legacy driver that acks BAD_FEATURE is not talking virtio. */
		if (val & VIRTIO_BIT(VIRTIO_F_BAD_FEATURE))
			val = 0;
		virtio_set_driver_features(vdev, 0, (uint32_t)val);
		break;
	case L_QUEUE_PFN:
		if (!vq)
			break;
		if (!val) {
			virtqueue_reset(vq);
			break;
		}
		/* The legacy layout: a contiguous, page-aligned vring of the
		 * device's queue size (§2.7.2 "Legacy Interfaces"). */
		{
			uint16_t num = vq->num_max;
			uint64_t desc = (uint64_t)(uint32_t)val << 12;
			uint64_t avail = desc + 16ull * num;
			uint64_t used = (avail + 6 + 2ull * num + L_QUEUE_ALIGN - 1) &
			                ~(uint64_t)(L_QUEUE_ALIGN - 1);
			virtqueue_set_num(vq, num);
			virtqueue_set_addrs(vq, desc, avail, used);
			virtqueue_enable(vq);
		}
		break;
	case L_QUEUE_SEL: vp->queue_sel = (uint16_t)val; break;
	case L_QUEUE_NOTIFY: vp_kick(vp, (uint32_t)val & 0xffff); break;
	case L_STATUS: vp_set_status(vp, (uint8_t)val); break;
	case L_MSIX_CONFIG: vdev->config_vector = vp_check_vector(vp, (uint16_t)val); break;
	case L_MSIX_QUEUE:
		if (vq)
			vq->vector = vp_check_vector(vp, (uint16_t)val);
		break;
	}
}

static const struct io_ops legacy_ops = {
	.read = legacy_read,
	.write = legacy_write,
	.min_size = 1,
	.max_size = 4,
};

/* ---- PCI configuration space: capabilities ------------------------- */

static int add_vendor_cap(struct virtio_pci *vp, uint8_t type, uint8_t len, uint32_t off,
                          uint32_t size)
{
	int c = pci_add_capability(&vp->pci, PCI_CAP_ID_VNDR, len);
	if (c < 0)
		return -1;
	uint8_t *p = vp->pci.config + c;
	p[2] = len;
	p[3] = type;
	p[4] = type == VIRTIO_PCI_CAP_PCI_CFG ? 0 : MODERN_BAR;
	pci_set_long(p + 8, off);
	pci_set_long(p + 12, size);
	return c;
}

/* §4.1.4.9: the driver picks bar/offset/length, then pci_cfg_data is a
 * window on that BAR. */
static bool cfg_window(struct virtio_pci *vp, uint32_t *bar, uint32_t *off, uint32_t *len)
{
	const uint8_t *p = vp->pci.config + vp->cfg_cap;
	*bar = p[4];
	*off = pci_get_long(p + 8);
	*len = pci_get_long(p + 12);
	return *len == 1 || *len == 2 || *len == 4;
}

static uint32_t window_access(struct virtio_pci *vp, bool write, uint32_t val)
{
	uint32_t bar, off, len;
	if (!cfg_window(vp, &bar, &off, &len))
		return 0;
	if (off % len)
		return 0;
	if (bar == MODERN_BAR && vp->modern && off + len <= MODERN_BAR_SIZE) {
		if (write)
			modern_write(vp, off, val, len);
		else
			return (uint32_t)modern_read(vp, off, len);
	} else if (bar == LEGACY_BAR && vp->legacy && off + len <= vp->pci.bars[LEGACY_BAR].size) {
		if (write)
			legacy_write(vp, off, val, len);
		else
			return (uint32_t)legacy_read(vp, off, len);
	}
	return 0;
}

static void vp_config_write(struct pci_device *d, uint32_t addr, uint32_t val, unsigned size)
{
	struct virtio_pci *vp = (struct virtio_pci *)d;
	msix_config_write(&vp->msix, addr, val, size);
	uint32_t data = vp->cfg_cap + 16u;
	if (vp->cfg_cap && addr < data + 4 && addr + size > data) {
		uint32_t bar, off, len;
		if (cfg_window(vp, &bar, &off, &len))
			window_access(vp, true,
			              pci_get_long(d->config + data) &
			                      (len == 4 ? ~0u : (1u << (8 * len)) - 1));
	}
}

static uint32_t vp_config_read(struct pci_device *d, uint32_t addr, uint32_t val, unsigned size)
{
	struct virtio_pci *vp = (struct virtio_pci *)d;
	uint32_t data = vp->cfg_cap + 16u;
	if (!vp->cfg_cap || addr >= data + 4 || addr + size <= data)
		return val;
	uint8_t win[4];
	pci_set_long(win, window_access(vp, false, 0));
	for (unsigned i = 0; i < size; i++)
		if (addr + i >= data && addr + i < data + 4) {
			val &= ~(0xffu << (8 * i));
			val |= (uint32_t)win[addr + i - data] << (8 * i);
		}
	return val;
}

/* ---- realize ------------------------------------------------------- */

static uint16_t legacy_device_id(uint16_t id)
{
	/* Transitional PCI device IDs (§4.1.2.3). */
	switch (id) {
	case VIRTIO_ID_NET: return 0x1000;
	case VIRTIO_ID_BLOCK: return 0x1001;
	case VIRTIO_ID_CONSOLE: return 0x1003;
	case VIRTIO_ID_RNG: return 0x1005;
	}
	return 0;
}

static uint32_t pow2_ceil(uint32_t v)
{
	uint32_t p = 1;
	while (p < v)
		p <<= 1;
	return p;
}

int virtio_pci_realize(struct virtio_pci *vp, struct virtio_device *vdev, uint32_t class_code,
                       unsigned default_vectors, struct error **errp)
{
	const char *name = vp->pci.dev.cls->name;
	const char *dl = vp->disable_legacy ? vp->disable_legacy : "auto";
	int b = parse_bool(dl);
	if (b < 0 && strcmp(dl, "auto")) {
		error_setg(errp, "Parameter 'disable-legacy' does not accept value '%s'", dl);
		return -1;
	}
	/* auto: transitional on a conventional PCI bus, as QEMU. */
	vp->legacy = b != 1 && legacy_device_id(vdev->device_id);
	vp->modern = !vp->disable_modern;
	/* The NAME-transitional / NAME-non-transitional variants fix the mode. */
	size_t nl = strlen(name);
	if (nl > 17 && !strcmp(name + nl - 17, "-non-transitional")) {
		vp->legacy = false;
		vp->modern = true;
	} else if (nl > 13 && !strcmp(name + nl - 13, "-transitional")) {
		vp->legacy = true;
		vp->modern = true;
	}
	if (!vp->legacy && !vp->modern) {
		error_setg(errp, "device cannot work as neither modern nor legacy mode is enabled");
		return -1;
	}
	unsigned nvec = vp->vectors == VIRTIO_PCI_VECTORS_DEFAULT ? default_vectors : vp->vectors;
	if (nvec > MSIX_MAX_VECTORS) {
		error_setg(errp, "Property '%s.vectors' doesn't take value %u (maximum %d)", name,
		           nvec, MSIX_MAX_VECTORS);
		return -1;
	}
	if (pci_device_realize(&vp->pci, errp) < 0)
		return -1;
	vp->vdev = vdev;
	vdev->transport = vp;
	vdev->tops = &vp_tops;
	vdev->mem = (struct virtio_mem){ vp_map, vp_dirty, vp };
	if (!vp->modern)
		vdev->host_features &= ~VIRTIO_BIT(VIRTIO_F_VERSION_1);

	if (vp->legacy)
		pci_set_ids(&vp->pci, VIRTIO_PCI_VENDOR, legacy_device_id(vdev->device_id), 0,
		            class_code);
	else
		pci_set_ids(&vp->pci, VIRTIO_PCI_VENDOR, (uint16_t)(0x1040 + vdev->device_id), 1,
		            class_code);
	/* Legacy drivers find the device type in the subsystem ID (§4.1.2.3). */
	pci_set_subsystem(&vp->pci, VIRTIO_PCI_VENDOR, vp->legacy ? vdev->device_id : 0x1100);
	pci_set_intx_pin(&vp->pci, 1);
	vp->pci.config_write = vp_config_write;
	vp->pci.config_read = vp_config_read;

	if (vp->legacy) {
		uint32_t size = pow2_ceil(0x18 + vdev->config_len);
		if (size > 256) {
			error_setg(errp, "%s: legacy configuration space too large", name);
			goto fail;
		}
		if (pci_register_bar(&vp->pci, LEGACY_BAR, PCI_BAR_IO, size < 32 ? 32 : size,
		                     &legacy_ops, vp, errp) < 0)
			goto fail;
	}
	if (nvec && msix_init_bar(&vp->msix, &vp->pci, nvec, MSIX_BAR, errp) < 0)
		goto fail;
	if (vp->modern) {
		if (pci_register_bar(&vp->pci, MODERN_BAR, PCI_BAR_MEM64 | PCI_BAR_PREFETCH,
		                     MODERN_BAR_SIZE, &modern_ops, vp, errp) < 0)
			goto fail;
		int c1 = add_vendor_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG, 16, COMMON_OFF, REGION_SIZE);
		int c2 = add_vendor_cap(vp, VIRTIO_PCI_CAP_ISR_CFG, 16, ISR_OFF, REGION_SIZE);
		int c3 = add_vendor_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, 16, DEVICE_OFF, REGION_SIZE);
		int c4 = add_vendor_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, 20, NOTIFY_OFF, REGION_SIZE);
		int c5 = add_vendor_cap(vp, VIRTIO_PCI_CAP_PCI_CFG, 20, 0, 0);
		if (c1 < 0 || c2 < 0 || c3 < 0 || c4 < 0 || c5 < 0) {
			error_setg(errp, "%s: no room for the virtio capabilities", name);
			goto fail;
		}
		pci_set_long(vp->pci.config + c4 + 16, NOTIFY_MULT);
		vp->cfg_cap = (uint8_t)c5;
		vp->pci.wmask[c5 + 4] = 0xff;
		pci_set_long(vp->pci.wmask + c5 + 8, 0xffffffffu);
		pci_set_long(vp->pci.wmask + c5 + 12, 0xffffffffu);
		pci_set_long(vp->pci.wmask + c5 + 16, 0xffffffffu);
	}
	vp_device_reset(vp);
	return 0;
fail:
	pci_device_unrealize(&vp->pci);
	return -1;
}

void virtio_pci_reset(struct virtio_pci *vp)
{
	pci_device_reset(&vp->pci);
	msix_reset(&vp->msix);
	vp_device_reset(vp);
}

void virtio_pci_unrealize(struct virtio_pci *vp)
{
	pci_device_unrealize(&vp->pci);
}
