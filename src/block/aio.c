/*
 * Asynchronous requests: a small pool of worker threads per node that runs the
 * synchronous, thread-safe request functions and calls the completion callback.
 * The pool starts on the first request; blk_drain waits for the queue to empty.
 */
#include "block/block_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum aio_op { AIO_READ, AIO_WRITE, AIO_ZEROES, AIO_DISCARD, AIO_FLUSH };

struct aio_req {
	struct aio_req *next;
	enum aio_op op;
	int64_t offset, bytes;
	const struct iovec *iov;
	int iovcnt;
	unsigned flags;
	blk_completion_fn *cb;
	void *opaque;
};

struct blk_aio_pool {
	pthread_mutex_t lock;
	pthread_cond_t work;	/* a request was queued or the pool stops */
	pthread_cond_t idle;	/* pending reached zero */
	struct aio_req *head, *tail;
	int pending;		/* queued + running */
	bool stop;
	int nthreads;
	pthread_t threads[64];
};

static void *aio_worker(void *arg)
{
	struct blk_node *n = arg;
	struct blk_aio_pool *p = n->pool;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->head && !p->stop)
			pthread_cond_wait(&p->work, &p->lock);
		if (!p->head)
			break;
		struct aio_req *r = p->head;
		p->head = r->next;
		if (!p->head)
			p->tail = NULL;
		pthread_mutex_unlock(&p->lock);
		int ret;
		switch (r->op) {
		case AIO_READ: ret = blk_preadv(n, r->offset, r->iov, r->iovcnt, r->flags); break;
		case AIO_WRITE: ret = blk_pwritev(n, r->offset, r->iov, r->iovcnt, r->flags); break;
		case AIO_ZEROES: ret = blk_pwrite_zeroes(n, r->offset, r->bytes, r->flags); break;
		case AIO_DISCARD: ret = blk_discard(n, r->offset, r->bytes); break;
		default: ret = blk_flush(n); break;
		}
		r->cb(r->opaque, ret);
		free(r);
		pthread_mutex_lock(&p->lock);
		if (--p->pending == 0)
			pthread_cond_broadcast(&p->idle);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static struct blk_aio_pool *pool_get(struct blk_node *n)
{
	pthread_mutex_lock(&n->aio_lock);
	if (!n->pool) {
		struct blk_aio_pool *p = calloc(1, sizeof(*p));
		if (p) {
			pthread_mutex_init(&p->lock, NULL);
			pthread_cond_init(&p->work, NULL);
			pthread_cond_init(&p->idle, NULL);
			n->pool = p;
			for (int i = 0; i < n->aio_threads && i < 64; i++) {
				if (pthread_create(&p->threads[i], NULL, aio_worker, n))
					break;
				p->nthreads++;
			}
			if (!p->nthreads) {
				n->pool = NULL;
				free(p);
				p = NULL;
			}
		}
	}
	struct blk_aio_pool *p = n->pool;
	pthread_mutex_unlock(&n->aio_lock);
	return p;
}

/* Requests that go straight to io_uring: completion accounting for blk_drain. */
struct direct_req {
	struct blk_node *n;
	blk_completion_fn *cb;
	void *opaque;
};

static void direct_done(void *opaque, int ret)
{
	struct direct_req *d = opaque;
	struct blk_node *n = d->n;
	d->cb(d->opaque, ret);
	free(d);
	pthread_mutex_lock(&n->aio_lock);
	if (--n->direct_pending == 0)
		pthread_cond_broadcast(&n->direct_idle);
	pthread_mutex_unlock(&n->aio_lock);
}

/* raw (without detect-zeroes) and file nodes: read/write/flush on io_uring. */
static int try_direct(struct blk_node *n, enum aio_op op, int64_t off, const struct iovec *iov,
		      int iovcnt, unsigned flags, blk_completion_fn *cb, void *opaque)
{
	if (op != AIO_READ && op != AIO_WRITE && op != AIO_FLUSH)
		return -ENOTSUP;
	struct blk_node *t = n;
	int64_t toff = off;
	if (t->drv == &blk_driver_raw) {
		size_t len = 0;
		for (int i = 0; i < iovcnt; i++)
			len += iov[i].iov_len;
		t = op == AIO_FLUSH ? t->file : blk_raw_passthrough(t, &toff, (int64_t)len);
	}
	if (!t || t->drv != &blk_driver_file || !t->use_uring)
		return -ENOTSUP;
	struct direct_req *d = malloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	*d = (struct direct_req){ n, cb, opaque };
	pthread_mutex_lock(&n->aio_lock);
	n->direct_pending++;
	pthread_mutex_unlock(&n->aio_lock);
	int r = blk_file_aio(t, op == AIO_READ ? 0 : op == AIO_WRITE ? 1 : 2, toff, iov, iovcnt,
			     flags, direct_done, d);
	if (r < 0) {
		free(d);
		pthread_mutex_lock(&n->aio_lock);
		if (--n->direct_pending == 0)
			pthread_cond_broadcast(&n->direct_idle);
		pthread_mutex_unlock(&n->aio_lock);
	}
	return r;
}

static int aio_submit(struct blk_node *n, enum aio_op op, int64_t off, int64_t bytes,
		      const struct iovec *iov, int iovcnt, unsigned flags, blk_completion_fn *cb,
		      void *opaque)
{
	if (!cb)
		return -EINVAL;
	if (op != AIO_READ && op != AIO_FLUSH && n->read_only)
		return -EPERM;
	if (n->use_uring) {
		int r = try_direct(n, op, off, iov, iovcnt, flags, cb, opaque);
		if (r != -ENOTSUP)
			return r;
	}
	struct blk_aio_pool *p = pool_get(n);
	struct aio_req *r = calloc(1, sizeof(*r));
	if (!p || !r) {
		free(r);
		return -ENOMEM;
	}
	*r = (struct aio_req){ .op = op, .offset = off, .bytes = bytes, .iov = iov,
			       .iovcnt = iovcnt, .flags = flags, .cb = cb, .opaque = opaque };
	pthread_mutex_lock(&p->lock);
	if (p->tail)
		p->tail->next = r;
	else
		p->head = r;
	p->tail = r;
	p->pending++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

int blk_aio_preadv(struct blk_node *node, int64_t offset, const struct iovec *iov, int iovcnt,
		   unsigned flags, blk_completion_fn *cb, void *opaque)
{
	return aio_submit(node, AIO_READ, offset, 0, iov, iovcnt, flags, cb, opaque);
}

int blk_aio_pwritev(struct blk_node *node, int64_t offset, const struct iovec *iov, int iovcnt,
		    unsigned flags, blk_completion_fn *cb, void *opaque)
{
	return aio_submit(node, AIO_WRITE, offset, 0, iov, iovcnt, flags, cb, opaque);
}

int blk_aio_pwrite_zeroes(struct blk_node *node, int64_t offset, int64_t bytes, unsigned flags,
			  blk_completion_fn *cb, void *opaque)
{
	return aio_submit(node, AIO_ZEROES, offset, bytes, NULL, 0, flags, cb, opaque);
}

int blk_aio_discard(struct blk_node *node, int64_t offset, int64_t bytes,
		    blk_completion_fn *cb, void *opaque)
{
	return aio_submit(node, AIO_DISCARD, offset, bytes, NULL, 0, 0, cb, opaque);
}

int blk_aio_flush(struct blk_node *node, blk_completion_fn *cb, void *opaque)
{
	return aio_submit(node, AIO_FLUSH, 0, 0, NULL, 0, 0, cb, opaque);
}

void blk_drain(struct blk_node *node)
{
	pthread_mutex_lock(&node->aio_lock);
	while (node->direct_pending)
		pthread_cond_wait(&node->direct_idle, &node->aio_lock);
	struct blk_aio_pool *p = node->pool;
	pthread_mutex_unlock(&node->aio_lock);
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	while (p->pending)
		pthread_cond_wait(&p->idle, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

int blk_aio_set_threads(struct blk_node *node, int threads)
{
	if (threads < 1 || threads > 64)
		return -EINVAL;
	pthread_mutex_lock(&node->aio_lock);
	int r = node->pool ? -EBUSY : 0;
	if (!r)
		node->aio_threads = threads;
	pthread_mutex_unlock(&node->aio_lock);
	return r;
}

void blk_aio_pool_destroy(struct blk_node *n)
{
	struct blk_aio_pool *p = n->pool;
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->idle);
	free(p);
	n->pool = NULL;
}
