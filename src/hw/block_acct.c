/*
 * I/O accounting of the drive backends (query-blockstats, info blockstats):
 * devices submit guest requests through drive_aio_*, which count them the
 * way QEMU 7.2 counts at its BlockBackend (observed behaviour, see
 * block_backend.h), then hand them to the block layer.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "block/block.h"
#include "hw/block_acct.h"
#include "hw/block_backend.h"

void drive_acct_init(struct drive_acct *a, bool account_invalid, bool account_failed)
{
	pthread_mutex_init(&a->lock, NULL);
	a->stats.account_invalid = account_invalid;
	a->stats.account_failed = account_failed;
}

void drive_acct_destroy(struct drive_acct *a)
{
	pthread_mutex_destroy(&a->lock);
}

static int64_t acct_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One request in flight: what to count when it completes. */
struct acct_req {
	struct drive_acct *a;
	enum drive_acct_type type;
	uint64_t bytes;
	int64_t start_ns;
	void (*cb)(void *opaque, int ret);
	void *opaque;
};

/* Success adds bytes and an operation; failure a failed operation; the
 * latency and the idle clock count for failures only while account_failed
 * (QEMU's rules). */
static void acct_done(struct drive_acct *a, enum drive_acct_type type, uint64_t bytes,
                      int64_t start_ns, int ret)
{
	int64_t now = acct_now_ns();
	struct drive_stats *s = &a->stats;
	pthread_mutex_lock(&a->lock);
	if (ret < 0) {
		s->failed_ops[type]++;
	} else {
		s->bytes[type] += bytes;
		s->ops[type]++;
	}
	if (ret >= 0 || s->account_failed) {
		s->total_time_ns[type] += (uint64_t)(now - start_ns);
		a->last_access_ns = now;
	}
	pthread_mutex_unlock(&a->lock);
}

/* Block-layer worker thread: count, then the device's own completion. */
static void acct_complete(void *opaque, int ret)
{
	struct acct_req *r = opaque;
	void (*cb)(void *, int) = r->cb;
	void *cb_opaque = r->opaque;
	acct_done(r->a, r->type, r->bytes, r->start_ns, ret);
	free(r);
	cb(cb_opaque, ret);
}

/* Writes raise the high-water mark whether they succeed or not (QEMU
 * does it when the request finishes at the node, before the result). */
static void acct_write_end(struct drive_acct *a, int64_t offset, int64_t bytes)
{
	if (offset < 0 || bytes <= 0)
		return;
	uint64_t end = (uint64_t)offset + (uint64_t)bytes;
	pthread_mutex_lock(&a->lock);
	if (end > a->stats.wr_highest_offset)
		a->stats.wr_highest_offset = end;
	pthread_mutex_unlock(&a->lock);
}

/* The node to submit to and a new in-flight record, or -errno: no medium,
 * a write to a read-only drive (both counted as failed), no memory. */
static int acct_start(struct blk_backend *b, enum drive_acct_type type, uint64_t bytes,
                      void (*cb)(void *, int), void *opaque, struct blk_node **node,
                      struct acct_req **out)
{
	struct drive_acct *a = drive_acct_of(b);
	int ret = 0;
	*node = drive_node(b);
	if (!*node)
		ret = -ENOMEDIUM;
	else if (type != DRIVE_ACCT_READ && type != DRIVE_ACCT_FLUSH && drive_read_only(b))
		ret = -EPERM;
	if (ret < 0) {
		acct_done(a, type, bytes, acct_now_ns(), ret);
		return ret;
	}
	struct acct_req *r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->a = a;
	r->type = type;
	r->bytes = bytes;
	r->start_ns = acct_now_ns();
	r->cb = cb;
	r->opaque = opaque;
	*out = r;
	return 0;
}

/* After the submit call: a request that could not be queued is a failed
 * one (its callback never runs). */
static int acct_submitted(struct acct_req *r, int ret)
{
	if (ret < 0) {
		acct_done(r->a, r->type, r->bytes, r->start_ns, ret);
		free(r);
	}
	return ret;
}

static uint64_t iov_bytes(const struct iovec *iov, int iovcnt)
{
	uint64_t n = 0;
	for (int i = 0; i < iovcnt; i++)
		n += iov[i].iov_len;
	return n;
}

int drive_aio_preadv(struct blk_backend *b, int64_t offset, const struct iovec *iov, int iovcnt,
                     unsigned flags, void (*cb)(void *opaque, int ret), void *opaque)
{
	struct blk_node *node;
	struct acct_req *r;
	int ret = acct_start(b, DRIVE_ACCT_READ, iov_bytes(iov, iovcnt), cb, opaque, &node, &r);
	if (ret < 0)
		return ret;
	return acct_submitted(r,
	                      blk_aio_preadv(node, offset, iov, iovcnt, flags, acct_complete, r));
}

int drive_aio_pwritev(struct blk_backend *b, int64_t offset, const struct iovec *iov, int iovcnt,
                      unsigned flags, void (*cb)(void *opaque, int ret), void *opaque)
{
	struct blk_node *node;
	struct acct_req *r;
	uint64_t bytes = iov_bytes(iov, iovcnt);
	int ret = acct_start(b, DRIVE_ACCT_WRITE, bytes, cb, opaque, &node, &r);
	if (ret < 0)
		return ret;
	acct_write_end(r->a, offset, (int64_t)bytes);
	return acct_submitted(r,
	                      blk_aio_pwritev(node, offset, iov, iovcnt, flags, acct_complete, r));
}

int drive_aio_pwrite_zeroes(struct blk_backend *b, int64_t offset, int64_t bytes, unsigned flags,
                            void (*cb)(void *opaque, int ret), void *opaque)
{
	struct blk_node *node;
	struct acct_req *r;
	int ret = acct_start(b, DRIVE_ACCT_WRITE, bytes > 0 ? (uint64_t)bytes : 0, cb, opaque,
	                     &node, &r);
	if (ret < 0)
		return ret;
	acct_write_end(r->a, offset, bytes);
	return acct_submitted(r,
	                      blk_aio_pwrite_zeroes(node, offset, bytes, flags, acct_complete, r));
}

int drive_aio_discard(struct blk_backend *b, int64_t offset, int64_t bytes,
                      void (*cb)(void *opaque, int ret), void *opaque)
{
	struct blk_node *node;
	struct acct_req *r;
	int ret = acct_start(b, DRIVE_ACCT_UNMAP, bytes > 0 ? (uint64_t)bytes : 0, cb, opaque,
	                     &node, &r);
	if (ret < 0)
		return ret;
	return acct_submitted(r, blk_aio_discard(node, offset, bytes, acct_complete, r));
}

int drive_aio_flush(struct blk_backend *b, void (*cb)(void *opaque, int ret), void *opaque)
{
	struct blk_node *node;
	struct acct_req *r;
	int ret = acct_start(b, DRIVE_ACCT_FLUSH, 0, cb, opaque, &node, &r);
	if (ret < 0)
		return ret;
	return acct_submitted(r, blk_aio_flush(node, acct_complete, r));
}

void drive_acct_invalid(struct blk_backend *b, enum drive_acct_type type)
{
	if (!b || type >= DRIVE_ACCT_NR)
		return;
	struct drive_acct *a = drive_acct_of(b);
	int64_t now = acct_now_ns();
	pthread_mutex_lock(&a->lock);
	a->stats.invalid_ops[type]++;
	if (a->stats.account_invalid)
		a->last_access_ns = now;
	pthread_mutex_unlock(&a->lock);
}

void drive_get_stats(struct blk_backend *b, struct drive_stats *st)
{
	struct drive_acct *a = drive_acct_of(b);
	int64_t now = acct_now_ns();
	pthread_mutex_lock(&a->lock);
	*st = a->stats;
	st->idle_time_ns = a->last_access_ns ? now - a->last_access_ns : -1;
	pthread_mutex_unlock(&a->lock);
}
