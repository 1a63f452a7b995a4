/*
 * Transmission phase (proto.md "Transmission", "Request types"): the connection's
 * thread reads and checks requests; valid ones go to the connection's workers, which
 * call the export and send simple or structured replies.  Replies of different
 * requests never interleave on the wire because each whole reply is sent under
 * send_lock.
 *
 * A request header that is not one (bad magic) or a write whose payload is larger
 * than the advertised maximum ends the session: the stream cannot be trusted after
 * that.  Everything else wrong with a request (unknown command or flag, range outside
 * the export, writes to a read-only export) gets an error reply and the session goes
 * on (proto.md "Error values").
 */
#include "nbd/nbd-int.h"
#include "nbd/nbd-proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Flow control per connection: queued-plus-running requests, and bytes of their
 * buffers, so that a client pipelining huge writes cannot eat the host's memory. */
#define NBD_MAX_INFLIGHT 64
#define NBD_MAX_INFLIGHT_BYTES (256u << 20)
/* Extents per NBD_REPLY_TYPE_BLOCK_STATUS chunk (the spec allows up to 2^20). */
#define NBD_MAX_EXTENTS 65536
/* Content chunks per structured read before the rest is sent as plain data. */
#define NBD_MAX_READ_CHUNKS 64

uint32_t nbd_errno_to_wire(int err)
{
	switch (err < 0 ? -err : err) {
	case 0: return 0;
	case EPERM:
	case EROFS:
	case EACCES: return NBD_EPERM;
	case ENOMEM: return NBD_ENOMEM;
	case EINVAL: return NBD_EINVAL;
	case ENOSPC:
	case EDQUOT:
	case EFBIG: return NBD_ENOSPC;
	case EOVERFLOW: return NBD_EOVERFLOW;
	case ENOTSUP: return NBD_ENOTSUP;
	case ESHUTDOWN: return NBD_ESHUTDOWN;
	default: return NBD_EIO;
	}
}

static const char *wire_strerror(uint32_t e)
{
	switch (e) {
	case NBD_EPERM: return "Operation not permitted";
	case NBD_ENOMEM: return "Cannot allocate memory";
	case NBD_EINVAL: return "Invalid argument";
	case NBD_ENOSPC: return "No space left on device";
	case NBD_EOVERFLOW: return "Value too large";
	case NBD_ENOTSUP: return "Operation not supported";
	case NBD_ESHUTDOWN: return "Server shutting down";
	default: return "Input/output error";
	}
}

/* ------------------------------------------------------------------ sending */

static int conn_sendv(struct nbd_conn *c, const struct iovec *iov, int n)
{
	int r;
	pthread_mutex_lock(&c->send_lock);
	if (c->dead) {
		r = -EPIPE;
	} else {
		r = nbd_chan_writev(c->ch, iov, n);
		if (r < 0) {
			/* The client is gone or stuck: stop the reader too. */
			c->dead = true;
			c->ch->ops->shutdown(c->ch);
		}
	}
	pthread_mutex_unlock(&c->send_lock);
	return r;
}

static int send_simple(struct nbd_conn *c, uint64_t cookie, uint32_t err, const void *data,
                       size_t len)
{
	uint8_t h[NBD_SIMPLE_REPLY_SIZE];
	nbd_put32(h, NBD_SIMPLE_REPLY_MAGIC);
	nbd_put32(h + 4, err);
	nbd_put64(h + 8, cookie);
	struct iovec iov[2] = { { h, sizeof(h) }, { (void *)data, err ? 0 : len } };
	return conn_sendv(c, iov, 2);
}

static void chunk_header(uint8_t *h, uint64_t cookie, uint16_t flags, uint16_t type, uint32_t len)
{
	nbd_put32(h, NBD_STRUCTURED_REPLY_MAGIC);
	nbd_put16(h + 4, flags);
	nbd_put16(h + 6, type);
	nbd_put64(h + 8, cookie);
	nbd_put32(h + 16, len);
}

static int send_error_chunk(struct nbd_conn *c, uint64_t cookie, uint32_t err)
{
	const char *msg = wire_strerror(err);
	uint8_t h[NBD_STRUCTURED_REPLY_SIZE], p[6];
	size_t ml = strlen(msg);
	chunk_header(h, cookie, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_ERROR, (uint32_t)(6 + ml));
	nbd_put32(p, err);
	nbd_put16(p + 4, (uint16_t)ml);
	struct iovec iov[3] = { { h, sizeof(h) }, { p, 6 }, { (void *)msg, ml } };
	return conn_sendv(c, iov, 3);
}

/* A reply without payload: success or an error, simple or structured as negotiated.
 * Errors go in an error chunk when structured replies are on, as the spec prefers
 * (and must for READ). */
static int send_status(struct nbd_conn *c, uint64_t cookie, uint32_t err)
{
	if (err && c->structured)
		return send_error_chunk(c, cookie, err);
	return send_simple(c, cookie, err, NULL, 0);
}

/* ------------------------------------------------------------------ commands */

struct read_ext {
	uint64_t off;
	uint32_t len;
	bool hole;
};

static int do_read_structured(struct nbd_conn *c, struct nbd_req *q)
{
	struct nbd_export *e = c->exp;
	uint8_t h[NBD_STRUCTURED_REPLY_SIZE];
	if (q->length == 0) {
		chunk_header(h, q->cookie, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_NONE, 0);
		struct iovec iov = { h, sizeof(h) };
		return conn_sendv(c, &iov, 1);
	}
	uint8_t *buf = malloc(q->length);
	struct read_ext ext[NBD_MAX_READ_CHUNKS];
	int n = 0, r = 0;
	if (!buf)
		return send_error_chunk(c, q->cookie, NBD_ENOMEM);

	/* Holes become NBD_REPLY_TYPE_OFFSET_HOLE chunks: no read, no payload. A DF
	 * read must be one chunk. */
	uint64_t off = q->offset, end = q->offset + q->length;
	while (off < end) {
		uint64_t pnum = end - off;
		uint32_t state = 0;
		bool last = n == NBD_MAX_READ_CHUNKS - 1;
		if (!(q->flags & NBD_CMD_FLAG_DF) && e->ops->block_status && !last) {
			if (e->ops->block_status(e->opaque, off, end - off, &pnum, &state) < 0 ||
			    pnum == 0 || pnum > end - off) {
				pnum = end - off;
				state = 0;
			}
		}
		bool hole = state & NBD_STATE_ZERO;
		if (n && ext[n - 1].hole == hole) {
			ext[n - 1].len += (uint32_t)pnum;
		} else {
			ext[n].off = off;
			ext[n].len = (uint32_t)pnum;
			ext[n].hole = hole;
			n++;
		}
		off += pnum;
	}
	for (int i = 0; i < n && r >= 0; i++) {
		if (!ext[i].hole)
			r = e->ops->pread(e->opaque, buf + (ext[i].off - q->offset), ext[i].off,
			                  ext[i].len);
	}
	if (r < 0) {
		free(buf);
		return send_error_chunk(c, q->cookie, nbd_errno_to_wire(r));
	}
	/* All data is in memory now, so no error can follow: the last content chunk
	 * carries NBD_REPLY_FLAG_DONE. */
	for (int i = 0; i < n && r >= 0; i++) {
		uint16_t fl = i == n - 1 ? NBD_REPLY_FLAG_DONE : 0;
		uint8_t p[12];
		nbd_put64(p, ext[i].off);
		if (ext[i].hole) {
			nbd_put32(p + 8, ext[i].len);
			chunk_header(h, q->cookie, fl, NBD_REPLY_TYPE_OFFSET_HOLE, 12);
			struct iovec iov[2] = { { h, sizeof(h) }, { p, 12 } };
			r = conn_sendv(c, iov, 2);
		} else {
			chunk_header(h, q->cookie, fl, NBD_REPLY_TYPE_OFFSET_DATA, 8 + ext[i].len);
			struct iovec iov[3] = { { h, sizeof(h) },
				                { p, 8 },
				                { buf + (ext[i].off - q->offset), ext[i].len } };
			r = conn_sendv(c, iov, 3);
		}
	}
	free(buf);
	return r;
}

static int do_read(struct nbd_conn *c, struct nbd_req *q)
{
	if (c->structured)
		return do_read_structured(c, q);
	uint8_t *buf = malloc(q->length ? q->length : 1);
	if (!buf)
		return send_simple(c, q->cookie, NBD_ENOMEM, NULL, 0);
	int r = q->length ? c->exp->ops->pread(c->exp->opaque, buf, q->offset, q->length) : 0;
	r = send_simple(c, q->cookie, nbd_errno_to_wire(r), buf, q->length);
	free(buf);
	return r;
}

static int do_block_status(struct nbd_conn *c, struct nbd_req *q)
{
	struct nbd_export *e = c->exp;
	uint64_t off = q->offset, end = q->offset + q->length;
	size_t cap = (q->flags & NBD_CMD_FLAG_REQ_ONE) ? 1 : 64, n = 0;
	uint8_t *d = malloc(4 + cap * 8);
	uint32_t prev = 0;
	int r = 0;
	if (!d)
		return send_error_chunk(c, q->cookie, NBD_ENOMEM);
	nbd_put32(d, 0); /* context id of base:allocation, as SET_META_CONTEXT gave it */
	while (off < end) {
		uint64_t pnum = end - off;
		uint32_t state = 0;
		if (e->ops->block_status) {
			r = e->ops->block_status(e->opaque, off, end - off, &pnum, &state);
			if (r < 0)
				break;
			if (pnum == 0 || pnum > end - off) {
				r = -EIO;
				break;
			}
			state &= NBD_STATE_HOLE | NBD_STATE_ZERO;
		}
		if (n && state == prev) {
			uint8_t *x = d + 4 + (n - 1) * 8;
			nbd_put32(x, nbd_get32(x) + (uint32_t)pnum);
		} else {
			if ((q->flags & NBD_CMD_FLAG_REQ_ONE) && n == 1)
				break;
			if (n == NBD_MAX_EXTENTS)
				break;
			if (n == cap) {
				size_t nc = cap * 4 > NBD_MAX_EXTENTS ? NBD_MAX_EXTENTS : cap * 4;
				uint8_t *nd = realloc(d, 4 + nc * 8);
				if (!nd)
					break;
				d = nd;
				cap = nc;
			}
			nbd_put32(d + 4 + n * 8, (uint32_t)pnum);
			nbd_put32(d + 4 + n * 8 + 4, state);
			prev = state;
			n++;
		}
		off += pnum;
	}
	if (n == 0) {
		free(d);
		return send_error_chunk(c, q->cookie, nbd_errno_to_wire(r ? r : -EIO));
	}
	uint8_t h[NBD_STRUCTURED_REPLY_SIZE];
	chunk_header(h, q->cookie, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_BLOCK_STATUS,
	             (uint32_t)(4 + n * 8));
	struct iovec iov[2] = { { h, sizeof(h) }, { d, 4 + n * 8 } };
	r = conn_sendv(c, iov, 2);
	free(d);
	return r;
}

static int req_run(struct nbd_conn *c, struct nbd_req *q)
{
	struct nbd_export *e = c->exp;
	unsigned fua = (q->flags & NBD_CMD_FLAG_FUA) ? NBD_IO_FUA : 0;
	int r = 0;

	if (q->error)
		return send_status(c, q->cookie, q->error);
	switch (q->type) {
	case NBD_CMD_READ: return do_read(c, q);
	case NBD_CMD_BLOCK_STATUS: return do_block_status(c, q);
	case NBD_CMD_WRITE:
		if (q->length)
			r = e->ops->pwrite(e->opaque, q->data, q->offset, q->length, fua);
		break;
	case NBD_CMD_FLUSH: r = e->ops->flush(e->opaque); break;
	case NBD_CMD_TRIM:
		if (q->length)
			r = e->ops->trim(e->opaque, q->offset, q->length, fua);
		break;
	case NBD_CMD_CACHE:
		if (q->length && e->ops->cache)
			r = e->ops->cache(e->opaque, q->offset, q->length);
		break;
	case NBD_CMD_WRITE_ZEROES: {
		unsigned fl = fua;
		if (!(q->flags & NBD_CMD_FLAG_NO_HOLE))
			fl |= NBD_IO_MAY_UNMAP;
		if (q->flags & NBD_CMD_FLAG_FAST_ZERO)
			fl |= NBD_IO_FAST;
		if (q->length)
			r = e->ops->write_zeroes(e->opaque, q->offset, q->length, fl);
		break;
	}
	}
	return send_status(c, q->cookie, nbd_errno_to_wire(r));
}

/* ------------------------------------------------------------------ workers */

static uint64_t req_cost(const struct nbd_req *q)
{
	return q->type == NBD_CMD_READ || q->type == NBD_CMD_WRITE ? q->length : 0;
}

static void req_free(struct nbd_req *q)
{
	free(q->data);
	free(q);
}

static void *worker_main(void *arg)
{
	struct nbd_conn *c = arg;
	pthread_mutex_lock(&c->qlock);
	for (;;) {
		while (!c->qhead && !c->quit)
			pthread_cond_wait(&c->qcond, &c->qlock);
		struct nbd_req *q = c->qhead;
		if (!q)
			break;
		c->qhead = q->next;
		if (!c->qhead)
			c->qtail = NULL;
		pthread_mutex_unlock(&c->qlock);
		uint64_t cost = req_cost(q);
		req_run(c, q);
		req_free(q);
		pthread_mutex_lock(&c->qlock);
		c->inflight--;
		c->inflight_bytes -= cost;
		pthread_cond_broadcast(&c->roomcond);
	}
	pthread_mutex_unlock(&c->qlock);
	return NULL;
}

/* Wait until a request costing cost bytes fits in the connection's budget. */
static void wait_for_room(struct nbd_conn *c, uint64_t cost)
{
	pthread_mutex_lock(&c->qlock);
	while (c->inflight && (c->inflight >= NBD_MAX_INFLIGHT ||
	                       c->inflight_bytes + cost > NBD_MAX_INFLIGHT_BYTES))
		pthread_cond_wait(&c->roomcond, &c->qlock);
	c->inflight++;
	c->inflight_bytes += cost;
	pthread_mutex_unlock(&c->qlock);
}

static void give_back_room(struct nbd_conn *c, uint64_t cost)
{
	pthread_mutex_lock(&c->qlock);
	c->inflight--;
	c->inflight_bytes -= cost;
	pthread_cond_broadcast(&c->roomcond);
	pthread_mutex_unlock(&c->qlock);
}

static void enqueue(struct nbd_conn *c, struct nbd_req *q)
{
	pthread_mutex_lock(&c->qlock);
	q->next = NULL;
	if (c->qtail)
		c->qtail->next = q;
	else
		c->qhead = q;
	c->qtail = q;
	pthread_cond_signal(&c->qcond);
	pthread_mutex_unlock(&c->qlock);
}

static void start_workers(struct nbd_conn *c)
{
	unsigned n = c->server->cfg.workers;
	c->workers = n ? calloc(n, sizeof(pthread_t)) : NULL;
	c->nworkers = 0;
	for (unsigned i = 0; c->workers && i < n; i++) {
		if (pthread_create(&c->workers[i], NULL, worker_main, c) != 0)
			break;
		c->nworkers++;
	}
}

static void stop_workers(struct nbd_conn *c)
{
	pthread_mutex_lock(&c->qlock);
	c->quit = true;
	pthread_cond_broadcast(&c->qcond);
	pthread_mutex_unlock(&c->qlock);
	for (unsigned i = 0; i < c->nworkers; i++)
		pthread_join(c->workers[i], NULL);
	free(c->workers);
	c->workers = NULL;
	c->nworkers = 0;
	/* Nothing is left queued: workers drain the queue before they see quit. */
}

/* ------------------------------------------------------------------ the reader */

/* Validate a request; 0 if it may run, else the NBD error to answer with. */
static uint32_t req_check(struct nbd_conn *c, const struct nbd_req *q)
{
	struct nbd_export *e = c->exp;
	uint16_t allowed = NBD_CMD_FLAG_FUA;
	bool ranged = true, writes = false;

	switch (q->type) {
	case NBD_CMD_READ:
		if (c->structured)
			allowed |= NBD_CMD_FLAG_DF;
		break;
	case NBD_CMD_WRITE:
	case NBD_CMD_TRIM: writes = true; break;
	case NBD_CMD_WRITE_ZEROES:
		writes = true;
		allowed |= NBD_CMD_FLAG_NO_HOLE;
		if (c->tflags & NBD_FLAG_SEND_FAST_ZERO)
			allowed |= NBD_CMD_FLAG_FAST_ZERO;
		break;
	case NBD_CMD_FLUSH: ranged = false; break;
	case NBD_CMD_CACHE: break;
	case NBD_CMD_BLOCK_STATUS:
		allowed |= NBD_CMD_FLAG_REQ_ONE;
		if (!c->meta_alloc)
			return NBD_EINVAL;
		break;
	default: return NBD_EINVAL;
	}
	if (q->flags & ~allowed)
		return NBD_EINVAL;
	if (ranged) {
		if (q->offset > e->size || q->length > e->size - q->offset)
			return q->type == NBD_CMD_WRITE || q->type == NBD_CMD_WRITE_ZEROES ?
			               NBD_ENOSPC :
			               NBD_EINVAL;
		if (e->min_block > 1 && ((q->offset | q->length) & (e->min_block - 1)))
			return NBD_EINVAL;
	}
	if (q->type == NBD_CMD_READ && q->length > e->max_payload)
		return NBD_EINVAL;
	if (q->type == NBD_CMD_BLOCK_STATUS && q->length == 0)
		return NBD_EINVAL;
	if (writes && e->read_only)
		return NBD_EPERM;
	return 0;
}

int nbd_conn_transmit(struct nbd_conn *c)
{
	uint8_t h[NBD_REQUEST_SIZE];
	int r;

	start_workers(c);
	for (;;) {
		if ((r = nbd_chan_read(c->ch, h, sizeof(h))) < 0)
			break;
		if (nbd_get32(h) != NBD_REQUEST_MAGIC) {
			nbd_conn_log(c, "bad request magic 0x%08x", nbd_get32(h));
			r = -EPROTO;
			break;
		}
		struct nbd_req *q = calloc(1, sizeof(*q));
		if (!q) {
			r = -ENOMEM;
			break;
		}
		q->flags = nbd_get16(h + 4);
		q->type = nbd_get16(h + 6);
		q->cookie = nbd_get64(h + 8);
		q->offset = nbd_get64(h + 16);
		q->length = nbd_get32(h + 24);

		if (q->type == NBD_CMD_DISC) {
			/* No reply; outstanding requests finish first (stop_workers). */
			free(q);
			r = 0;
			break;
		}
		if (q->type == NBD_CMD_WRITE && q->length > c->exp->max_payload) {
			/* The payload cannot be skipped safely: the client lies or attacks. */
			nbd_conn_log(c, "write of %u bytes exceeds the maximum payload", q->length);
			free(q);
			r = -EPROTO;
			break;
		}
		uint64_t cost = req_cost(q);
		if (c->nworkers)
			wait_for_room(c, cost);
		if (q->type == NBD_CMD_WRITE && q->length) {
			q->data = malloc(q->length);
			r = q->data ? nbd_chan_read(c->ch, q->data, q->length) : -ENOMEM;
			if (r < 0) {
				req_free(q);
				if (c->nworkers)
					give_back_room(c, cost);
				break;
			}
		}
		q->error = req_check(c, q);
		if (c->nworkers) {
			enqueue(c, q);
		} else {
			r = req_run(c, q);
			req_free(q);
			if (r < 0)
				break;
		}
	}
	stop_workers(c);
	return r;
}
