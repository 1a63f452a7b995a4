/*
 * virtio-blk (virtio 1.2 §5.2) on any block node (block/block.h), as the
 * PCI device virtio-blk-pci.
 *
 * Requests are parsed and checked under the VM lock in the queue handler
 * and submitted asynchronously to the block layer, which reads and writes
 * guest RAM directly through the request's iovecs.  Completions arrive on
 * block-layer worker threads; they are queued on the device and a bottom
 * half finishes them in the I/O thread under the VM lock (status byte,
 * used ring, interrupt), so no virtqueue is ever touched without the lock.
 * A device reset waits for in-flight requests (blk_drain) and drops their
 * completions.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"
#include "core/device.h"
#include "core/loop.h"
#include "core/vm.h"
#include "hw/block_backend.h"
#include "hw/virtio/virtio_pci.h"
#include "util/error.h"
#include "util/opts.h"

/* Feature bits (§5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_GEOMETRY 4
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_CONFIG_WCE 11
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types and status (§5.2.6). */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_T_BARRIER 0x80000000u /* legacy flag, ignored */
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_WZ_F_UNMAP 1
#define VIRTIO_BLK_ID_BYTES 20

/* Configuration layout (§5.2.4). */
#define CFG_CAPACITY 0x00
#define CFG_SEG_MAX 0x0c
#define CFG_CYLINDERS 0x10
#define CFG_HEADS 0x12
#define CFG_SECTORS 0x13
#define CFG_BLK_SIZE 0x14
#define CFG_PHYS_EXP 0x18
#define CFG_MIN_IO 0x1a
#define CFG_OPT_IO 0x1c
#define CFG_WRITEBACK 0x20
#define CFG_NUM_QUEUES 0x22
#define CFG_MAX_DISCARD_SECTORS 0x24
#define CFG_MAX_DISCARD_SEG 0x28
#define CFG_DISCARD_ALIGN 0x2c
#define CFG_MAX_WZ_SECTORS 0x30
#define CFG_MAX_WZ_SEG 0x34
#define CFG_WZ_MAY_UNMAP 0x38
#define CFG_SIZE 0x3c

#define SECTOR 512ull

struct blk_req;

struct virtio_blk {
	struct virtio_device vdev;
	struct vm *vm;
	/* properties */
	struct blk_backend *drive;
	char *serial;
	char *bootindex;     /* accepted: lemu boots with -kernel, no firmware reads it */
	uint16_t num_queues; /* 0xffff = one per vCPU (QEMU's auto) */
	uint16_t queue_size;
	bool config_wce, discard, write_zeroes;
	uint32_t max_discard_sectors, max_write_zeroes_sectors;
	uint64_t logical_block_size, physical_block_size, min_io_size, opt_io_size,
	        discard_granularity;
	char *write_cache; /* on, off, auto (= the drive's cache mode) */
	/* state */
	bool attached;
	uint64_t capacity; /* sectors */
	bool writeback;
	bool writeback_default;
	pthread_mutex_t cq_lock;
	struct blk_req *cq_head, **cq_tail;
	bool bh_scheduled;
	bool *notify_vq; /* per queue: used entries to signal */
};

struct virtio_blk_pci {
	struct virtio_pci vp;
	struct virtio_blk blk;
};

struct blk_req {
	struct virtq_elem elem; /* first: allocated by virtqueue_pop */
	struct virtio_blk *blk;
	struct virtqueue *vq;
	uint8_t *status;
	uint32_t in_len; /* bytes the device writes, status included */
	struct iovec *iov;
	int iovcnt;
	int ret;
	struct blk_req *next;
};

static struct virtio_blk *to_blk(struct virtio_device *vdev)
{
	return (struct virtio_blk *)vdev;
}

static void cfg_st16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}
static void cfg_st32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}
static void cfg_st64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* ---- completion -------------------------------------------------- */

static void req_finish(struct blk_req *r, uint8_t status)
{
	struct virtio_blk *blk = r->blk;
	*r->status = status;
	virtqueue_push(r->vq, &r->elem, r->in_len);
	blk->notify_vq[r->vq->index] = true;
	free(r->iov);
	free(r);
}

static void blk_notify_queues(struct virtio_blk *blk)
{
	for (unsigned i = 0; i < blk->vdev.nvqs; i++)
		if (blk->notify_vq[i]) {
			blk->notify_vq[i] = false;
			virtqueue_notify(&blk->vdev.vqs[i]);
		}
}

static struct blk_req *cq_take(struct virtio_blk *blk)
{
	pthread_mutex_lock(&blk->cq_lock);
	struct blk_req *l = blk->cq_head;
	blk->cq_head = NULL;
	blk->cq_tail = &blk->cq_head;
	blk->bh_scheduled = false;
	pthread_mutex_unlock(&blk->cq_lock);
	return l;
}

/* I/O thread, VM lock held. */
static void blk_bh(void *opaque)
{
	struct virtio_blk *blk = opaque;
	/* Unrealized (hot-unplugged) since this was scheduled: its requests
	 * were drained and dropped, and the device is freed by a bottom half
	 * queued after this one. */
	if (!blk->notify_vq)
		return;
	struct blk_req *r = cq_take(blk);
	while (r) {
		struct blk_req *n = r->next;
		if (r->ret < 0)
			vm_log(blk->vm, VM_LOG_GUEST_ERRORS, "virtio-blk: I/O error: %s\n",
			       strerror(-r->ret));
		req_finish(r, r->ret < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK);
		r = n;
	}
	blk_notify_queues(blk);
}

/* Block-layer worker thread: hand over to the I/O thread. */
static void blk_complete(void *opaque, int ret)
{
	struct blk_req *r = opaque;
	struct virtio_blk *blk = r->blk;
	r->ret = ret;
	r->next = NULL;
	pthread_mutex_lock(&blk->cq_lock);
	*blk->cq_tail = r;
	blk->cq_tail = &r->next;
	bool sched = !blk->bh_scheduled;
	blk->bh_scheduled = true;
	pthread_mutex_unlock(&blk->cq_lock);
	if (sched)
		loop_schedule(blk->vm, blk_bh, blk);
}

/* Wait for in-flight requests and forget them (reset, unrealize). */
static void blk_drop_inflight(struct virtio_blk *blk)
{
	struct blk_node *node = drive_node(blk->drive);
	if (node)
		blk_drain(node);
	struct blk_req *r = cq_take(blk);
	while (r) {
		struct blk_req *n = r->next;
		free(r->iov);
		free(r);
		r = n;
	}
	for (unsigned i = 0; i < blk->vdev.nvqs; i++)
		blk->notify_vq[i] = false;
}

/* ---- requests ---------------------------------------------------- */

static bool range_ok(struct virtio_blk *blk, uint64_t sector, uint64_t bytes)
{
	/* In range, and whole logical blocks (sectors are always 512 bytes). */
	uint64_t lbs = blk->logical_block_size;
	return sector <= blk->capacity && bytes / SECTOR <= blk->capacity - sector &&
	       (sector * SECTOR) % lbs == 0 && bytes % lbs == 0;
}

/* The data part of a request as its own iovec array. */
static int req_slice(struct blk_req *r, const struct iovec *iov, unsigned n, size_t off, size_t len)
{
	r->iov = calloc(n ? n : 1, sizeof(*r->iov));
	if (!r->iov)
		return -1;
	r->iovcnt = iov_slice(iov, n, off, len, r->iov, n);
	return r->iovcnt < 0 ? -1 : 0;
}

static int submit_discard_wz(struct virtio_blk *blk, struct blk_req *r, uint32_t type,
                             uint8_t *status)
{
	struct virtq_elem *e = &r->elem;
	uint64_t body = e->out_len - 16;
	/* One 16-byte segment (max_discard_seg = max_write_zeroes_seg = 1). */
	if (body != 16) {
		*status = VIRTIO_BLK_S_UNSUPP;
		return 1;
	}
	uint8_t seg[16];
	iov_to_buf(e->out, e->out_num, 16, seg, 16);
	uint64_t sector;
	uint32_t nsec, flags;
	memcpy(&sector, seg, 8);
	memcpy(&nsec, seg + 8, 4);
	memcpy(&flags, seg + 12, 4);
	bool wz = type == VIRTIO_BLK_T_WRITE_ZEROES;
	uint32_t max = wz ? blk->max_write_zeroes_sectors : blk->max_discard_sectors;
	if (flags & ~(uint32_t)(wz ? VIRTIO_BLK_WZ_F_UNMAP : 0)) {
		*status = VIRTIO_BLK_S_UNSUPP;
		return 1;
	}
	if (nsec > max || !range_ok(blk, sector, (uint64_t)nsec * SECTOR)) {
		drive_acct_invalid(blk->drive, wz ? DRIVE_ACCT_WRITE : DRIVE_ACCT_UNMAP);
		*status = VIRTIO_BLK_S_IOERR;
		return 1;
	}
	/* Through the backend, which accounts the request (and fails writes
	 * to a read-only drive). */
	int64_t off = (int64_t)(sector * SECTOR), bytes = (int64_t)nsec * (int64_t)SECTOR;
	if (wz)
		return drive_aio_pwrite_zeroes(
		        blk->drive, off, bytes,
		        (flags & VIRTIO_BLK_WZ_F_UNMAP) ? BLK_REQ_MAY_UNMAP : 0, blk_complete, r);
	return drive_aio_discard(blk->drive, off, bytes, blk_complete, r);
}

/* Start one request: 0 = submitted, 1 = finished now (status set). */
static int blk_submit(struct virtio_blk *blk, struct blk_req *r, uint8_t *status)
{
	struct virtq_elem *e = &r->elem;
	struct blk_node *node = drive_node(blk->drive);
	uint8_t hdr[16];
	iov_to_buf(e->out, e->out_num, 0, hdr, 16);
	uint32_t type;
	uint64_t sector;
	memcpy(&type, hdr, 4);
	memcpy(&sector, hdr + 8, 8);
	type &= ~VIRTIO_BLK_T_BARRIER;
	if (!node) {
		*status = VIRTIO_BLK_S_IOERR;
		return 1;
	}
	uint64_t data_in = r->in_len - 1, data_out = e->out_len - 16;
	int ret;
	switch (type) {
	case VIRTIO_BLK_T_IN:
		if (data_in % SECTOR || !range_ok(blk, sector, data_in)) {
			drive_acct_invalid(blk->drive, DRIVE_ACCT_READ);
			*status = VIRTIO_BLK_S_IOERR;
			return 1;
		}
		if (req_slice(r, e->in, e->in_num, 0, data_in) < 0) {
			*status = VIRTIO_BLK_S_IOERR;
			return 1;
		}
		ret = drive_aio_preadv(blk->drive, (int64_t)(sector * SECTOR), r->iov, r->iovcnt, 0,
		                       blk_complete, r);
		break;
	case VIRTIO_BLK_T_OUT:
		if (data_out % SECTOR || !range_ok(blk, sector, data_out)) {
			drive_acct_invalid(blk->drive, DRIVE_ACCT_WRITE);
			*status = VIRTIO_BLK_S_IOERR;
			return 1;
		}
		if (req_slice(r, e->out, e->out_num, 16, data_out) < 0) {
			*status = VIRTIO_BLK_S_IOERR;
			return 1;
		}
		ret = drive_aio_pwritev(blk->drive, (int64_t)(sector * SECTOR), r->iov, r->iovcnt,
		                        blk->writeback ? 0 : BLK_REQ_FUA, blk_complete, r);
		break;
	case VIRTIO_BLK_T_FLUSH: ret = drive_aio_flush(blk->drive, blk_complete, r); break;
	case VIRTIO_BLK_T_GET_ID: {
		/* §5.2.6: up to 20 bytes, NUL-padded only if shorter. */
		char id[VIRTIO_BLK_ID_BYTES];
		memset(id, 0, sizeof(id));
		if (blk->serial) {
			size_t sl = strlen(blk->serial);
			memcpy(id, blk->serial, sl < sizeof(id) ? sl : sizeof(id));
		}
		uint64_t n = data_in < sizeof(id) ? data_in : sizeof(id);
		iov_from_buf(e->in, e->in_num, 0, id, (size_t)n);
		*status = VIRTIO_BLK_S_OK;
		return 1;
	}
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		if ((type == VIRTIO_BLK_T_DISCARD &&
		     !virtio_has_feature(&blk->vdev, VIRTIO_BLK_F_DISCARD)) ||
		    (type == VIRTIO_BLK_T_WRITE_ZEROES &&
		     !virtio_has_feature(&blk->vdev, VIRTIO_BLK_F_WRITE_ZEROES))) {
			*status = VIRTIO_BLK_S_UNSUPP;
			return 1;
		}
		ret = submit_discard_wz(blk, r, type, status);
		if (ret == 1)
			return 1;
		break;
	default: *status = VIRTIO_BLK_S_UNSUPP; return 1;
	}
	if (ret < 0) {
		*status = VIRTIO_BLK_S_IOERR;
		return 1;
	}
	return 0;
}

static void blk_handle(struct virtio_device *vdev, struct virtqueue *vq)
{
	struct virtio_blk *blk = to_blk(vdev);
	struct blk_req *r;
	do {
		while ((r = virtqueue_pop(vq, sizeof(*r)))) {
			struct virtq_elem *e = &r->elem;
			r->blk = blk;
			r->vq = vq;
			/* §5.2.6.1: a header of 16 readable bytes, a status byte last. */
			if (e->out_len < 16 || e->in_len < 1 || e->in_len > UINT32_MAX) {
				virtio_error(vdev, "request %u without a header or status byte",
				             e->head);
				virtqueue_push(vq, e, 0);
				free(r);
				return;
			}
			const struct iovec *last = &e->in[e->in_num - 1];
			r->status = (uint8_t *)last->iov_base + last->iov_len - 1;
			r->in_len = (uint32_t)e->in_len;
			uint8_t status = VIRTIO_BLK_S_IOERR;
			if (blk_submit(blk, r, &status))
				req_finish(r, status);
		}
	} while (virtqueue_enable_notify(vq));
	blk_notify_queues(blk);
}

/* ---- device ------------------------------------------------------ */

static void blk_get_config(struct virtio_device *vdev)
{
	struct virtio_blk *blk = to_blk(vdev);
	vdev->config[CFG_WRITEBACK] = blk->writeback;
}

static void blk_set_config(struct virtio_device *vdev, uint32_t off, uint32_t len)
{
	struct virtio_blk *blk = to_blk(vdev);
	/* Only the writeback byte is writable, with CONFIG_WCE (§5.2.5). */
	if (off <= CFG_WRITEBACK && off + len > CFG_WRITEBACK &&
	    virtio_has_feature(vdev, VIRTIO_BLK_F_CONFIG_WCE))
		blk->writeback = vdev->config[CFG_WRITEBACK] != 0;
	vdev->config[CFG_WRITEBACK] = blk->writeback;
}

static void blk_reset(struct virtio_device *vdev)
{
	struct virtio_blk *blk = to_blk(vdev);
	blk_drop_inflight(blk);
	blk->writeback = blk->writeback_default;
}

static const struct virtio_device_ops blk_ops = {
	.get_config = blk_get_config,
	.set_config = blk_set_config,
	.reset = blk_reset,
};

static int blk_realize_core(struct virtio_blk *blk, struct device *dev, struct error **errp)
{
	struct vm *vm = dev->vm;
	blk->vm = vm;
	if (!blk->drive) {
		error_setg(errp, "drive property not set");
		return -1;
	}
	if (blk->queue_size <= 2 || blk->queue_size > VIRTQ_MAX_SIZE ||
	    (blk->queue_size & (blk->queue_size - 1))) {
		error_setg(
		        errp,
		        "invalid queue-size property (%u), must be a power of 2 in range [4, %d]",
		        blk->queue_size, VIRTQ_MAX_SIZE);
		return -1;
	}
	if (blk->num_queues == 0xffff)
		blk->num_queues = (uint16_t)(vm->ncpus > 0 ? vm->ncpus : 1);
	if (!blk->num_queues || blk->num_queues > 64) {
		error_setg(errp, "num-queues property must be between 1 and 64");
		return -1;
	}
	if (blk->serial && strlen(blk->serial) > VIRTIO_BLK_ID_BYTES) {
		/* QEMU truncates silently; so do we, but say it under -d. */
		vm_log(vm, VM_LOG_UNIMP, "virtio-blk: serial '%s' truncated to 20 bytes\n",
		       blk->serial);
	}
	int64_t len = blk_getlength(drive_node(blk->drive));
	if (len < 0) {
		error_setg(errp, "Could not get the size of drive '%s': %s", drive_id(blk->drive),
		           strerror((int)-len));
		return -1;
	}
	uint64_t lbs = blk->logical_block_size;
	if (lbs < 512 || lbs > 32768 || (lbs & (lbs - 1))) {
		error_setg(
		        errp,
		        "logical_block_size must be a power of 2 between 512 and 32768, not %llu",
		        (unsigned long long)lbs);
		return -1;
	}
	if (!blk->physical_block_size || blk->physical_block_size < lbs)
		blk->physical_block_size = lbs;
	uint64_t pbs = blk->physical_block_size;
	if ((pbs & (pbs - 1)) || pbs / lbs > 128) {
		error_setg(errp,
		           "physical_block_size must be a power of 2 at least logical_block_size");
		return -1;
	}
	if (blk->min_io_size % lbs || blk->opt_io_size % lbs || blk->min_io_size / lbs > 0xffff ||
	    blk->opt_io_size / lbs > 0xffffffffull) {
		error_setg(errp,
		           "min_io_size and opt_io_size must be multiples of logical_block_size");
		return -1;
	}
	if (blk->discard_granularity % 512 || blk->discard_granularity > 0x80000000ull) {
		error_setg(errp, "discard_granularity must be a multiple of 512");
		return -1;
	}
	const char *wcs = blk->write_cache ? blk->write_cache : "auto";
	if (strcmp(wcs, "auto") && parse_bool(wcs) < 0) {
		error_setg(errp, "Parameter 'write-cache' does not accept value '%s'", wcs);
		return -1;
	}
	if (drive_attach(blk->drive, dev, errp) < 0)
		return -1;
	blk->attached = true;
	if (virtio_init(&blk->vdev, "virtio-blk", VIRTIO_ID_BLOCK, CFG_SIZE, blk->num_queues) < 0) {
		error_setg(errp, "out of memory");
		return -1;
	}
	blk->notify_vq = calloc(blk->num_queues, sizeof(bool));
	if (!blk->notify_vq) {
		error_setg(errp, "out of memory");
		return -1;
	}
	pthread_mutex_init(&blk->cq_lock, NULL);
	blk->cq_tail = &blk->cq_head;
	blk->vdev.ops = &blk_ops;
	for (unsigned i = 0; i < blk->num_queues; i++)
		virtio_set_queue(&blk->vdev, i, blk->queue_size, blk_handle);

	blk->capacity = (uint64_t)len / SECTOR;
	const char *wc = blk->write_cache ? blk->write_cache : "auto";
	blk->writeback_default =
	        !strcmp(wc, "auto") ? drive_writeback(blk->drive) : parse_bool(wc) == 1;
	blk->writeback = blk->writeback_default;
	uint64_t f = VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_GEOMETRY) |
	             VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) | VIRTIO_BIT(VIRTIO_BLK_F_TOPOLOGY) |
	             VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);
	if (blk->config_wce)
		f |= VIRTIO_BIT(VIRTIO_BLK_F_CONFIG_WCE);
	if (drive_read_only(blk->drive))
		f |= VIRTIO_BIT(VIRTIO_BLK_F_RO);
	if (blk->num_queues > 1)
		f |= VIRTIO_BIT(VIRTIO_BLK_F_MQ);
	if (blk->discard)
		f |= VIRTIO_BIT(VIRTIO_BLK_F_DISCARD);
	if (blk->write_zeroes)
		f |= VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
	blk->vdev.host_features |= f;

	uint8_t *c = blk->vdev.config;
	cfg_st64(c + CFG_CAPACITY, blk->capacity);
	cfg_st32(c + CFG_SEG_MAX, blk->queue_size - 2u);
	uint64_t cyl = blk->capacity / (16 * 63);
	cfg_st16(c + CFG_CYLINDERS, (uint16_t)(cyl > 65535 ? 65535 : cyl));
	c[CFG_HEADS] = 16;
	c[CFG_SECTORS] = 63;
	cfg_st32(c + CFG_BLK_SIZE, (uint32_t)lbs);
	c[CFG_PHYS_EXP] = (uint8_t)__builtin_ctzll(blk->physical_block_size / lbs);
	cfg_st16(c + CFG_MIN_IO, (uint16_t)(blk->min_io_size / lbs));
	cfg_st32(c + CFG_OPT_IO, (uint32_t)(blk->opt_io_size / lbs));
	c[CFG_WRITEBACK] = blk->writeback;
	cfg_st16(c + CFG_NUM_QUEUES, blk->num_queues);
	/* Discards are aligned to the image's clusters so that they can free
	 * whole clusters (qcow2), or to discard_granularity; one logical block
	 * for raw images. */
	int64_t cl = blk->discard_granularity ? (int64_t)blk->discard_granularity :
	                                        blk_node_cluster_size(drive_node(blk->drive));
	if (cl < (int64_t)lbs)
		cl = (int64_t)lbs;
	cfg_st32(c + CFG_MAX_DISCARD_SECTORS, blk->max_discard_sectors);
	cfg_st32(c + CFG_MAX_DISCARD_SEG, 1);
	cfg_st32(c + CFG_DISCARD_ALIGN,
	         cl > (int64_t)SECTOR ? (uint32_t)(cl / (int64_t)SECTOR) : 1);
	cfg_st32(c + CFG_MAX_WZ_SECTORS, blk->max_write_zeroes_sectors);
	cfg_st32(c + CFG_MAX_WZ_SEG, 1);
	c[CFG_WZ_MAY_UNMAP] = 1;
	return 0;
}

static void blk_unrealize_core(struct virtio_blk *blk)
{
	if (blk->notify_vq) {
		blk_drop_inflight(blk);
		pthread_mutex_destroy(&blk->cq_lock);
	}
	free(blk->notify_vq);
	blk->notify_vq = NULL;
	virtio_cleanup(&blk->vdev);
	if (blk->attached)
		drive_detach(blk->drive);
	blk->attached = false;
}

/* ---- virtio-blk-pci ---------------------------------------------- */

static int blk_pci_realize(struct device *d, struct error **errp)
{
	struct virtio_blk_pci *p = (struct virtio_blk_pci *)d;
	if (blk_realize_core(&p->blk, d, errp) < 0) {
		blk_unrealize_core(&p->blk);
		return -1;
	}
	/* Mass storage, SCSI controller: what QEMU reports for virtio-blk. */
	if (virtio_pci_realize(&p->vp, &p->blk.vdev, 0x010000, p->blk.num_queues + 1u, errp) < 0) {
		blk_unrealize_core(&p->blk);
		return -1;
	}
	return 0;
}

static void blk_pci_reset(struct device *d)
{
	struct virtio_blk_pci *p = (struct virtio_blk_pci *)d;
	virtio_pci_reset(&p->vp);
}

static void blk_pci_unrealize(struct device *d)
{
	struct virtio_blk_pci *p = (struct virtio_blk_pci *)d;
	virtio_pci_unrealize(&p->vp);
	blk_unrealize_core(&p->blk);
}

#define BLK_PROP(n, t, f, def, desc)                                    \
	{                                                               \
		n, t, offsetof(struct virtio_blk_pci, blk.f), def, desc \
	}

static const struct prop blk_pci_props[] = {
	VIRTIO_PCI_PROPS,
	BLK_PROP("drive", PROP_DRIVE, drive, NULL,
	         "Node name or ID of a block device to use as a backend"),
	BLK_PROP("serial", PROP_STR, serial, NULL, "disk serial number (up to 20 bytes)"),
	BLK_PROP("bootindex", PROP_STR, bootindex, NULL,
	         "boot order for firmware (no effect with -kernel)"),
	BLK_PROP("logical_block_size", PROP_SIZE, logical_block_size, "512",
	         "logical block size (512..32768)"),
	BLK_PROP("physical_block_size", PROP_SIZE, physical_block_size, "0",
	         "physical block size (0 = logical)"),
	BLK_PROP("min_io_size", PROP_SIZE, min_io_size, "0", "minimum I/O size"),
	BLK_PROP("opt_io_size", PROP_SIZE, opt_io_size, "0", "optimal I/O size"),
	BLK_PROP("discard_granularity", PROP_SIZE, discard_granularity, "0",
	         "discard granularity (0 = the image's cluster size)"),
	BLK_PROP("write-cache", PROP_STR, write_cache, "auto",
	         "guest-visible write cache: on, off, auto"),
	BLK_PROP("num-queues", PROP_U16, num_queues, "65535",
	         "number of request queues (65535 = one per vCPU)"),
	BLK_PROP("queue-size", PROP_U16, queue_size, "256", "size of each request queue"),
	BLK_PROP("config-wce", PROP_BOOL, config_wce, "on", "guest may switch the write cache"),
	BLK_PROP("discard", PROP_BOOL, discard, "on", "offer discard to the guest"),
	BLK_PROP("write-zeroes", PROP_BOOL, write_zeroes, "on", "offer write-zeroes to the guest"),
	BLK_PROP("max-discard-sectors", PROP_U32, max_discard_sectors, "4194303",
	         "largest discard in sectors"),
	BLK_PROP("max-write-zeroes-sectors", PROP_U32, max_write_zeroes_sectors, "4194303",
	         "largest write-zeroes in sectors"),
	PROP_END,
};

/* The class under QEMU's four names (see virtio_pci.h). */
#define VIRTIO_BLK_PCI_CLASS(n, b)                                                          \
	{                                                                                   \
		.name = n, .desc = "Virtio block device", .bus = b,                         \
		.size = sizeof(struct virtio_blk_pci), .props = blk_pci_props,              \
		.user_creatable = true, .realize = blk_pci_realize, .reset = blk_pci_reset, \
		.unrealize = blk_pci_unrealize,                                             \
	}
const struct device_class virtio_blk_pci_class = VIRTIO_BLK_PCI_CLASS("virtio-blk-pci", "pci");
const struct device_class virtio_blk_pci_class_transitional =
        VIRTIO_BLK_PCI_CLASS("virtio-blk-pci-transitional", "pci");
const struct device_class virtio_blk_pci_class_non_transitional =
        VIRTIO_BLK_PCI_CLASS("virtio-blk-pci-non-transitional", "pci");
const struct device_class virtio_blk_pci_class_alias = VIRTIO_BLK_PCI_CLASS("virtio-blk", NULL);
