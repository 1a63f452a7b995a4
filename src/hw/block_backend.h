/*
 * Block backends of the system emulator: what -drive, -blockdev and
 * -snapshot create, and what disk devices (virtio-blk-pci drive=ID) attach
 * to.  A backend wraps a node graph of the block layer (block/block.h)
 * with the guest-facing settings QEMU keeps on its BlockBackend: the id,
 * read-only, the write cache mode the guest sees, and a -snapshot overlay.
 *
 * Lifetime: backends hang off struct vm (vm->drives).  main() calls
 * drive_add / blockdev_add while parsing, drive_create_devices after the
 * -device list (if=virtio drives get their virtio-blk-pci there), and
 * drive_close_all after the main loop (flush, close, delete overlays);
 * a device that attached holds a reference until its unrealize.
 */
#ifndef LEMU_HW_BLOCK_BACKEND_H
#define LEMU_HW_BLOCK_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct vm;
struct error;
struct device;
struct blk_node;
struct blk_backend;

/* -drive OPTSTR.  snapshot = -snapshot was given (snapshot=on default). */
int drive_add(struct vm *vm, const char *optstr, bool snapshot, struct error **errp);
/* -blockdev OPTSTR: dotted keys (driver=qcow2,node-name=d0,file.driver=file,
 * file.filename=x.qcow2) or JSON ({"driver": "qcow2", "file": {...}}). */
int blockdev_add(struct vm *vm, const char *optstr, struct error **errp);
/* Devices for if=virtio drives; opens -blockdev nodes nobody used yet so
 * that their errors show.  0 or -1 with errp. */
int drive_create_devices(struct vm *vm, struct error **errp);
/* Flush and close everything (after the main loop, before vm_free). */
void drive_close_all(struct vm *vm);

/* By -drive id or -blockdev node-name, opened on first use.  NULL without
 * touching errp when there is no such backend, NULL with errp when a
 * -blockdev node fails to open. */
struct blk_backend *drive_lookup(struct vm *vm, const char *id, struct error **errp);
/* A device takes the backend (one device per backend, as QEMU). */
int drive_attach(struct blk_backend *b, struct device *dev, struct error **errp);
void drive_detach(struct blk_backend *b);

/* NULL after drive_close_all. */
struct blk_node *drive_node(struct blk_backend *b);
const char *drive_id(struct blk_backend *b);
bool drive_read_only(struct blk_backend *b);
/* The guest sees a volatile write cache (cache=writeback/none/unsafe). */
bool drive_writeback(struct blk_backend *b);
/* discard=unmap was asked for (guest discards reach the image). */
bool drive_discard_unmap(struct blk_backend *b);

/* Every backend in creation order (the monitor's query-block):
 * drive_next(vm, NULL) is the first, NULL after the last. */
struct blk_backend *drive_next(struct vm *vm, struct blk_backend *prev);
/* The device attached to it, or NULL. */
struct device *drive_device(struct blk_backend *b);
/* Made by -blockdev (a node: QEMU gives it no name of a backend). */
bool drive_is_blockdev(struct blk_backend *b);
/* What QEMU lists as block backends (query-blockstats, info blockstats),
 * in its order: every -drive (its backend exists from the command line
 * on), then each -blockdev node a device uses (the device makes an
 * anonymous backend when it is realized). */
struct blk_backend *drive_next_backend(struct vm *vm, struct blk_backend *prev);

/* ---- I/O accounting (query-blockstats, info blockstats) --------------
 *
 * Devices submit guest requests through drive_aio_*, never straight to
 * the node, so that every request of every device is counted in one
 * place, as QEMU counts at its BlockBackend (block/accounting.c there):
 * a completed request adds its bytes, one operation and its latency; a
 * failed one (ret < 0, or a submit that could not be queued) one failed
 * operation (and its latency while account_failed); a request the device
 * refused before submitting (out of range, misaligned) is "invalid".
 * Completions arrive on block-layer worker threads: the counters are
 * kept under a per-backend lock. */
enum drive_acct_type {
	DRIVE_ACCT_READ,
	DRIVE_ACCT_WRITE, /* write zeroes count as writes, as in QEMU */
	DRIVE_ACCT_FLUSH,
	DRIVE_ACCT_UNMAP, /* discard */
	DRIVE_ACCT_NR,
};

struct drive_stats {
	uint64_t bytes[DRIVE_ACCT_NR];
	uint64_t ops[DRIVE_ACCT_NR];
	uint64_t failed_ops[DRIVE_ACCT_NR];
	uint64_t invalid_ops[DRIVE_ACCT_NR];
	uint64_t total_time_ns[DRIVE_ACCT_NR];
	/* End (offset + bytes) of the highest write or write-zeroes, failed
	 * ones included (QEMU's wr_highest_offset). */
	uint64_t wr_highest_offset;
	/* Nanoseconds since the last accounted I/O; -1 before the first. */
	int64_t idle_time_ns;
	bool account_invalid, account_failed;
};

/* The completion contract is blk_aio_*'s (block/block.h): cb(opaque, ret)
 * on a worker thread, never from inside the call; -errno when the request
 * could not be queued (cb is then not called).  A write to a read-only
 * backend fails with -EPERM (counted as a failed write). */
int drive_aio_preadv(struct blk_backend *b, int64_t offset, const struct iovec *iov, int iovcnt,
                     unsigned flags, void (*cb)(void *opaque, int ret), void *opaque);
int drive_aio_pwritev(struct blk_backend *b, int64_t offset, const struct iovec *iov, int iovcnt,
                      unsigned flags, void (*cb)(void *opaque, int ret), void *opaque);
int drive_aio_pwrite_zeroes(struct blk_backend *b, int64_t offset, int64_t bytes, unsigned flags,
                            void (*cb)(void *opaque, int ret), void *opaque);
int drive_aio_discard(struct blk_backend *b, int64_t offset, int64_t bytes,
                      void (*cb)(void *opaque, int ret), void *opaque);
int drive_aio_flush(struct blk_backend *b, void (*cb)(void *opaque, int ret), void *opaque);
/* The device refused a request of this type before submitting it. */
void drive_acct_invalid(struct blk_backend *b, enum drive_acct_type type);
/* A consistent copy of the counters. */
void drive_get_stats(struct blk_backend *b, struct drive_stats *st);

#endif
