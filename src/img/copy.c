/*
 * The copy engine of "convert" (and of "dd"/"commit"-style whole-image copies):
 * sources are concatenated into one virtual address space and copied into the
 * target by a pool of threads. Each thread takes the next chunk, asks the block
 * layer what is there (data, zeroes, nothing), reads data, skips or writes zeroes
 * for zero runs of at least the sparse size, and writes the rest. Without
 * out-of-order mode (-W) the writes are issued in chunk order (qcow2 then
 * allocates clusters in guest order, as qemu-img does); reads, zero detection and
 * compression run in parallel either way.
 *
 * REQUEST(img): qcow2 allocating writes (write_alloc, also used for clusters that do
 * not compress) hold the node lock across the data pwrite; the compressed path holds
 * it across its pwrite too. With several copy threads on a loaded machine, a preempted
 * lock holder stalls the others (convert -c spent half its time in futex waits, see
 * bench/img.sh). Allocating under the lock and writing the data outside it (QEMU's
 * order: allocate, write data, then link the L2 entry) would let the writes overlap.
 */
#include "img/copy.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct copy_worker {
	struct img_copy *c;
	pthread_t tid;
	uint8_t *buf;
	uint8_t *zbuf;	/* zero buffer for sparse_size == 0 (full allocation) */
};

static bool buf_is_zero(const uint8_t *p, size_t len)
{
	/* Word at a time; callers pass 512-byte multiples except at the image tail. */
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t v;
		memcpy(&v, p + i, 8);
		if (v)
			return false;
	}
	for (; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static void copy_fail(struct img_copy *c, int err, bool write, int64_t off)
{
	pthread_mutex_lock(&c->lock);
	if (!c->error) {
		c->error = err;
		c->error_is_write = write;
		c->error_offset = off;
	}
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* Find the source holding global offset g. */
static int copy_src(const struct img_copy *c, int64_t g, int64_t *local, int64_t *left)
{
	int64_t base = 0;
	for (int i = 0; i < c->nsrc; i++) {
		if (g < base + c->src_len[i]) {
			*local = g - base;
			*left = base + c->src_len[i] - g;
			return i;
		}
		base += c->src_len[i];
	}
	return -1;
}

/* Block status of a source run, reduced to what the copy needs. */
enum run_kind { RUN_DATA, RUN_ZERO, RUN_SKIP };

static int copy_status(struct img_copy *c, int si, int64_t local, int64_t len, int64_t *n,
		       enum run_kind *kind)
{
	struct blk_status st;
	int r;
	memset(&st, 0, sizeof(st));
	if (c->target_has_backing)
		r = blk_block_status(c->src[si], local, len, &st);
	else
		r = blk_block_status_above(c->src[si], NULL, local, len, &st);
	if (r < 0 || st.bytes <= 0) {
		/* No status: treat as data and let the read decide. */
		*n = len;
		*kind = RUN_DATA;
		return 0;
	}
	*n = st.bytes < len ? st.bytes : len;
	if (c->target_has_backing) {
		if (!(st.flags & BLK_STATUS_ALLOCATED))
			*kind = RUN_SKIP;
		else if (st.flags & BLK_STATUS_ZERO)
			*kind = RUN_ZERO;
		else
			*kind = RUN_DATA;
	} else {
		if (st.flags & BLK_STATUS_ZERO)
			*kind = RUN_ZERO;
		else if (st.flags & BLK_STATUS_DATA)
			*kind = RUN_DATA;
		else
			*kind = RUN_ZERO;
	}
	return 0;
}

/* Wait for our turn to write (in-order mode). Returns false on error. */
static bool copy_wait_turn(struct img_copy *c, uint64_t seq)
{
	if (c->out_of_order)
		return true;
	pthread_mutex_lock(&c->lock);
	while (c->write_seq != seq && !c->error)
		pthread_cond_wait(&c->cond, &c->lock);
	bool ok = !c->error;
	pthread_mutex_unlock(&c->lock);
	return ok;
}

static void copy_end_turn(struct img_copy *c, uint64_t seq, int64_t bytes)
{
	pthread_mutex_lock(&c->lock);
	if (!c->out_of_order)
		c->write_seq = seq + 1;
	c->done += bytes;
	img_progress_update(c->progress, (uint64_t)c->done, (uint64_t)c->total);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* Zeroes at [off, off+len) of the target, unless it already reads as zero there. */
static int copy_zero(struct copy_worker *w, int64_t off, int64_t len)
{
	struct img_copy *c = w->c;
	if (c->sparse_size == 0 && !c->compress) {
		/* Fully allocated output: real zero data. */
		while (len > 0) {
			size_t n = len < (int64_t)c->chunk ? (size_t)len : c->chunk;
			int r = blk_pwrite(c->dst, off, w->zbuf, n, 0);
			if (r < 0)
				return r;
			off += n;
			len -= n;
		}
		return 0;
	}
	if (c->target_zero && !c->target_has_backing)
		return 0;
	return blk_pwrite_zeroes(c->dst, off, len, BLK_REQ_MAY_UNMAP);
}

/* Write data at target offset off, skipping/zeroing runs of sparse_size zero bytes. */
static int copy_data(struct copy_worker *w, int64_t off, const uint8_t *buf, int64_t len)
{
	struct img_copy *c = w->c;
	if (c->compress) {
		if (buf_is_zero(buf, (size_t)len))
			return copy_zero(w, off, len);
		return blk_pwrite_compressed(c->dst, off, buf, (size_t)len);
	}
	if (c->sparse_size == 0)
		return blk_pwrite(c->dst, off, buf, (size_t)len, 0);
	int64_t s = c->sparse_size, pos = 0;
	while (pos < len) {
		/* Blocks aligned to the sparse size in target offsets. */
		int64_t blk_end = ((off + pos) / s + 1) * s - off;
		if (blk_end > len)
			blk_end = len;
		bool zero = buf_is_zero(buf + pos, (size_t)(blk_end - pos));
		int64_t run_end = blk_end;
		while (run_end < len) {
			int64_t next = run_end + s < len ? run_end + s : len;
			if (buf_is_zero(buf + run_end, (size_t)(next - run_end)) != zero)
				break;
			run_end = next;
		}
		int r;
		/* A zero run shorter than the sparse size (the tail) is written as data. */
		if (zero && run_end - pos >= s)
			r = copy_zero(w, off + pos, run_end - pos);
		else
			r = blk_pwrite(c->dst, off + pos, buf + pos, (size_t)(run_end - pos), 0);
		if (r < 0)
			return r;
		pos = run_end;
	}
	return 0;
}

static int copy_chunk(struct copy_worker *w, int64_t g, int64_t len, uint64_t seq)
{
	struct img_copy *c = w->c;
	int64_t local, left;
	int si = copy_src(c, g, &local, &left);
	if (si < 0)
		return -EIO;
	if (len > left)
		len = left;

	/* Classify the chunk's runs first (reads happen before our write turn). */
	struct { int64_t off, len; enum run_kind kind; } runs[64];
	int nruns = 0;
	int64_t pos = 0;
	bool any_data = false;
	while (pos < len) {
		int64_t n;
		enum run_kind kind;
		copy_status(c, si, local + pos, len - pos, &n, &kind);
		if (nruns && runs[nruns - 1].kind == kind) {
			runs[nruns - 1].len += n;
		} else if (nruns == 64) {
			runs[nruns - 1].len += n;
			runs[nruns - 1].kind = RUN_DATA;
		} else {
			runs[nruns].off = pos;
			runs[nruns].len = n;
			runs[nruns].kind = kind;
			nruns++;
		}
		if (kind == RUN_DATA)
			any_data = true;
		pos += n;
	}
	/* A compressed cluster is written whole: read everything if any part has data. */
	if (c->compress && any_data) {
		runs[0].off = 0;
		runs[0].len = len;
		runs[0].kind = RUN_DATA;
		nruns = 1;
	}
	for (int i = 0; i < nruns; i++) {
		if (runs[i].kind != RUN_DATA)
			continue;
		int r = blk_pread(c->src[si], local + runs[i].off, w->buf + runs[i].off,
				  (size_t)runs[i].len, 0);
		if (r < 0) {
			/* Name the first failing 64 KiB piece, as precise as qemu-img's report. */
			int64_t bad = runs[i].off;
			for (int64_t p = runs[i].off; p < runs[i].off + runs[i].len; p += 65536) {
				int64_t n = runs[i].off + runs[i].len - p;
				if (blk_pread(c->src[si], local + p, w->buf + p,
					      (size_t)(n < 65536 ? n : 65536), 0) < 0) {
					bad = p;
					break;
				}
			}
			copy_fail(c, r, false, g + bad);
			return r;
		}
	}
	/* Compression is the expensive part: never serialize it behind the write order. */
	if (!c->compress && !copy_wait_turn(c, seq))
		return -ECANCELED;
	for (int i = 0; i < nruns; i++) {
		int r = 0;
		int64_t toff = g + runs[i].off;
		if (runs[i].kind == RUN_DATA)
			r = copy_data(w, toff, w->buf + runs[i].off, runs[i].len);
		else if (runs[i].kind == RUN_ZERO)
			r = copy_zero(w, toff, runs[i].len);
		if (r < 0) {
			copy_fail(c, r, true, toff);
			return r;
		}
	}
	copy_end_turn(c, seq, len);
	return 0;
}

static void *copy_thread(void *opaque)
{
	struct copy_worker *w = opaque;
	struct img_copy *c = w->c;
	for (;;) {
		pthread_mutex_lock(&c->lock);
		if (c->error || c->next >= c->total) {
			pthread_mutex_unlock(&c->lock);
			break;
		}
		int64_t g = c->next;
		int64_t len = (int64_t)c->chunk - g % (int64_t)c->chunk;
		if (len > c->total - g)
			len = c->total - g;
		/* Chunks do not cross a source boundary. */
		int64_t local, left;
		if (copy_src(c, g, &local, &left) >= 0 && len > left)
			len = left;
		c->next = g + len;
		uint64_t seq = c->seq++;
		pthread_mutex_unlock(&c->lock);
		if (copy_chunk(w, g, len, seq) < 0)
			break;
	}
	return NULL;
}

int img_copy_run(struct img_copy *c)
{
	int nthreads = c->threads > 0 ? c->threads : 1;
	struct copy_worker *w = calloc((size_t)nthreads, sizeof(*w));
	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	c->total = 0;
	for (int i = 0; i < c->nsrc; i++)
		c->total += c->src_len[i];
	c->next = c->done = 0;
	c->seq = c->write_seq = 0;
	c->error = 0;
	int started = 0;
	for (int i = 0; i < nthreads; i++) {
		w[i].c = c;
		w[i].buf = malloc(c->chunk);
		w[i].zbuf = c->sparse_size == 0 ? calloc(1, c->chunk) : NULL;
		if (!w[i].buf || (c->sparse_size == 0 && !w[i].zbuf)) {
			copy_fail(c, -ENOMEM, false, 0);
			break;
		}
		if (pthread_create(&w[i].tid, NULL, copy_thread, &w[i]) != 0) {
			copy_fail(c, -EAGAIN, false, 0);
			break;
		}
		started++;
	}
	for (int i = 0; i < started; i++)
		pthread_join(w[i].tid, NULL);
	for (int i = 0; i < nthreads; i++) {
		free(w[i].buf);
		free(w[i].zbuf);
	}
	free(w);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	return c->error;
}
