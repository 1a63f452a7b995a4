/*
 * The file protocol: a host file or block device. pread/pwrite (thread-safe by
 * themselves), O_DIRECT with aligned bounce buffers for cache=none/directsync,
 * fallocate for zeroes and discard, SEEK_DATA/SEEK_HOLE for block status, and QEMU's
 * image locking.
 *
 * Locking (observed behaviour of QEMU 7.2's file-posix, so lemu and QEMU exclude each
 * other): OFD read locks on single bytes. Byte 100+i is held while this open uses
 * permission i, byte 200+i while it refuses to share permission i with others.
 * Permissions: 0 consistent read, 1 write, 2 write unchanged, 3 resize. A read-write
 * open uses {0,1,3} and shares neither write nor resize; a read-only open uses {0} and
 * does not share write/resize; force-share (-U) uses {0} and shares everything. Before
 * taking byte 100+i we test that nobody holds 200+i and vice versa.
 */
#include "block/block_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_LIBURING
#include <liburing.h>
#endif

struct file_uring;

#define LOCK_PERM_BASE 100
#define LOCK_SHARED_BASE 200
#define DIRECT_ALIGN 4096

struct file_state {
	int fd;
	bool is_blockdev;
	bool direct;
	bool has_fallocate;
	/* Length of a regular file we hold the write/resize lock on (or that nobody may
	 * write): cached, since only we change it. -1: ask fstat every time. */
	int64_t cached_len;
	pthread_mutex_t lock;
	/* io_uring for asynchronous requests, set up on the first one; uring_failed
	 * remembers that the host refused it (then the worker pool serves them). */
	pthread_mutex_t uring_lock;
	struct file_uring *uring;
	bool uring_failed; /* serialises O_DIRECT read-modify-write of partial blocks */
};

static const char *const perm_names[] = { "consistent read", "write", "write unchanged", "resize" };

static int lock_test(int fd, int byte)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1 };
	if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
		return -errno;
	return fl.l_type == F_UNLCK ? 0 : -EAGAIN;
}

static int lock_take(int fd, int byte)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1 };
	if (fcntl(fd, F_OFD_SETLK, &fl) < 0)
		return -errno;
	return 0;
}

static int file_lock(struct blk_node *n, struct file_state *s, struct blk_error *err)
{
	unsigned perm = 1u << 0, unshared = 0;
	if (!n->read_only)
		perm |= (1u << 1) | (1u << 3);
	if (!n->force_share)
		unshared = (1u << 1) | (1u << 3);
	for (int i = 0; i < 4; i++) {
		if ((perm & (1u << i)) && lock_test(s->fd, LOCK_SHARED_BASE + i) == -EAGAIN) {
			blk_error_set(err, -EAGAIN, "Failed to get \"%s\" lock\nIs another process using the image [%s]?",
				      perm_names[i], n->filename);
			return -EAGAIN;
		}
		if ((unshared & (1u << i)) && lock_test(s->fd, LOCK_PERM_BASE + i) == -EAGAIN) {
			blk_error_set(err, -EAGAIN, "Failed to get shared \"%s\" lock\nIs another process using the image [%s]?",
				      perm_names[i], n->filename);
			return -EAGAIN;
		}
	}
	for (int i = 0; i < 4; i++) {
		int r = 0;
		if (perm & (1u << i))
			r = lock_take(s->fd, LOCK_PERM_BASE + i);
		if (!r && (unshared & (1u << i)))
			r = lock_take(s->fd, LOCK_SHARED_BASE + i);
		if (r == -EINVAL || r == -ENOLCK || r == -EOPNOTSUPP)
			return 0; /* file system without OFD locks: like QEMU's locking=auto */
		if (r < 0) {
			blk_error_set(err, r, "Failed to lock byte %d of '%s': %s",
				      LOCK_PERM_BASE + i, n->filename, strerror(-r));
			return r;
		}
	}
	return 0;
}

static int file_open(struct blk_node *n, const struct blk_opts *opts, unsigned flags,
		     struct blk_error *err)
{
	struct file_state *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (int i = 0; i < blk_opts_count(opts); i++) {
		static const char *const known[] = { "driver", "filename", "cache", "cache.direct",
						     "cache.no-flush", "cache.writeback", "aio",
						     "locking", "discard", "read-only", "force-share",
						     "detect-zeroes", "x-aio-threads", "auto-read-only" };
		const char *k = blk_opts_key(opts, i);
		size_t j;
		for (j = 0; j < sizeof(known) / sizeof(known[0]) && strcmp(known[j], k); j++)
			;
		if (j == sizeof(known) / sizeof(known[0])) {
			blk_error_set(err, -EINVAL, "Invalid parameter '%s'", k);
			free(s);
			return -EINVAL;
		}
	}
	int oflags = (n->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	if (n->cache.direct)
		oflags |= O_DIRECT;
	s->fd = open(n->filename, oflags);
	if (s->fd < 0) {
		int e = errno;
		if (e == EINVAL && n->cache.direct)
			blk_error_set(err, -e, "Could not open '%s': filesystem does not support O_DIRECT",
				      n->filename);
		else
			blk_error_set(err, -e, "Could not open '%s': %s", n->filename, strerror(e));
		free(s);
		return -e;
	}
	struct stat st;
	if (fstat(s->fd, &st) == 0 && S_ISBLK(st.st_mode))
		s->is_blockdev = true;
	else if (fstat(s->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		blk_error_set(err, -EISDIR, "Could not open '%s': Is a directory", n->filename);
		close(s->fd);
		free(s);
		return -EISDIR;
	}
	s->direct = n->cache.direct;
	s->has_fallocate = !s->is_blockdev;
	s->cached_len = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->uring_lock, NULL);
	n->opaque = s;
	if (!n->no_lock) {
		int r = file_lock(n, s, err);
		if (r < 0) {
			close(s->fd);
			pthread_mutex_destroy(&s->lock);
			free(s);
			n->opaque = NULL;
			return r;
		}
	}
	/* With locking, nobody else may resize the file while we have it open unless
	 * we share write/resize (force-share). */
	if (!n->no_lock && !n->force_share && !s->is_blockdev)
		s->cached_len = st.st_size;
	return 0;
}

static void len_grow(struct file_state *s, int64_t end)
{
	int64_t cur = __atomic_load_n(&s->cached_len, __ATOMIC_RELAXED);
	while (cur >= 0 && end > cur &&
	       !__atomic_compare_exchange_n(&s->cached_len, &cur, end, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void len_refresh(struct file_state *s)
{
	struct stat st;
	if (__atomic_load_n(&s->cached_len, __ATOMIC_RELAXED) >= 0 && fstat(s->fd, &st) == 0)
		__atomic_store_n(&s->cached_len, (int64_t)st.st_size, __ATOMIC_RELAXED);
}

static void uring_destroy(struct file_state *s);

static void file_close(struct blk_node *n)
{
	struct file_state *s = n->opaque;
	if (!s)
		return;
	uring_destroy(s);
	pthread_mutex_destroy(&s->uring_lock);
	close(s->fd); /* drops the OFD locks */
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static int64_t file_getlength(struct blk_node *n)
{
	struct file_state *s = n->opaque;
	if (s->is_blockdev) {
		uint64_t sz;
		if (ioctl(s->fd, BLKGETSIZE64, &sz) < 0)
			return -errno;
		return (int64_t)sz;
	}
	int64_t c = __atomic_load_n(&s->cached_len, __ATOMIC_RELAXED);
	if (c >= 0)
		return c;
	struct stat st;
	if (fstat(s->fd, &st) < 0)
		return -errno;
	return st.st_size;
}

static int64_t file_allocated(struct blk_node *n)
{
	struct file_state *s = n->opaque;
	struct stat st;
	if (fstat(s->fd, &st) < 0)
		return -errno;
	return (int64_t)st.st_blocks * 512;
}

/* Plain full-length pread/pwrite; reads past EOF are zero-filled. */
static int raw_pread_full(int fd, int64_t off, void *buf, size_t bytes)
{
	uint8_t *p = buf;
	while (bytes) {
		ssize_t r = pread(fd, p, bytes, off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0) {
			memset(p, 0, bytes);
			return 0;
		}
		p += r;
		off += r;
		bytes -= (size_t)r;
	}
	return 0;
}

static int raw_pwrite_full(int fd, int64_t off, const void *buf, size_t bytes)
{
	const uint8_t *p = buf;
	while (bytes) {
		ssize_t r = pwrite(fd, p, bytes, off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO;
		p += r;
		off += r;
		bytes -= (size_t)r;
	}
	return 0;
}

static bool is_aligned(int64_t off, const void *buf, size_t bytes)
{
	return !(off % DIRECT_ALIGN) && !(bytes % DIRECT_ALIGN) && !((uintptr_t)buf % DIRECT_ALIGN);
}

static int file_pread(struct blk_node *n, int64_t off, void *buf, size_t bytes)
{
	struct file_state *s = n->opaque;
	if (!s->direct || is_aligned(off, buf, bytes))
		return raw_pread_full(s->fd, off, buf, bytes);
	/* O_DIRECT: read the covering aligned range into a bounce buffer. */
	int64_t a0 = off & ~(int64_t)(DIRECT_ALIGN - 1);
	int64_t a1 = (off + (int64_t)bytes + DIRECT_ALIGN - 1) & ~(int64_t)(DIRECT_ALIGN - 1);
	uint8_t *b = blk_alloc_aligned((size_t)(a1 - a0));
	if (!b)
		return -ENOMEM;
	int r = raw_pread_full(s->fd, a0, b, (size_t)(a1 - a0));
	if (!r)
		memcpy(buf, b + (off - a0), bytes);
	free(b);
	return r;
}

static int file_pwrite(struct blk_node *n, int64_t off, const void *buf, size_t bytes,
		       unsigned flags)
{
	struct file_state *s = n->opaque;
	if (!s->direct || is_aligned(off, buf, bytes)) {
		int r = raw_pwrite_full(s->fd, off, buf, bytes);
		if (!r)
			len_grow(s, off + (int64_t)bytes);
		return r;
	}
	int64_t a0 = off & ~(int64_t)(DIRECT_ALIGN - 1);
	int64_t a1 = (off + (int64_t)bytes + DIRECT_ALIGN - 1) & ~(int64_t)(DIRECT_ALIGN - 1);
	uint8_t *b = blk_alloc_aligned((size_t)(a1 - a0));
	if (!b)
		return -ENOMEM;
	/* Read-modify-write of the partial blocks; serialised so that two unaligned
	 * writes into the same block do not undo each other. */
	pthread_mutex_lock(&s->lock);
	int64_t oldlen = file_getlength(n);
	int r = raw_pread_full(s->fd, a0, b, (size_t)(a1 - a0));
	if (!r) {
		memcpy(b + (off - a0), buf, bytes);
		r = raw_pwrite_full(s->fd, a0, b, (size_t)(a1 - a0));
	}
	/* The aligned write may have extended the file past the intended end. */
	int64_t end = off + (int64_t)bytes;
	if (!r && !s->is_blockdev && oldlen >= 0 && a1 > end && a1 > oldlen)
		r = ftruncate(s->fd, end > oldlen ? end : oldlen) < 0 ? -errno : 0;
	if (!r)
		len_grow(s, end);
	pthread_mutex_unlock(&s->lock);
	free(b);
	return r;
}

/* Vectored I/O straight into the caller's buffers; with O_DIRECT only when
 * every buffer and length is aligned (else -ENOTSUP: the linear bounce path).
 * Short transfers continue where they stopped; reads past the end of the
 * file give zeroes. */
#define FILE_IOV_MAX 1024

static bool iov_direct_ok(int64_t off, const struct iovec *iov, int iovcnt)
{
	if (off % DIRECT_ALIGN)
		return false;
	for (int i = 0; i < iovcnt; i++)
		if ((uintptr_t)iov[i].iov_base % DIRECT_ALIGN || iov[i].iov_len % DIRECT_ALIGN)
			return false;
	return true;
}

/* Drop `done` bytes from the front of v[*first..cnt). */
static void iov_skip(struct iovec *v, int cnt, int *first, size_t done)
{
	while (*first < cnt && done >= v[*first].iov_len) {
		done -= v[*first].iov_len;
		(*first)++;
	}
	if (*first < cnt) {
		v[*first].iov_base = (uint8_t *)v[*first].iov_base + done;
		v[*first].iov_len -= done;
	}
}

static int file_rwv(struct blk_node *n, int64_t off, const struct iovec *iov, int iovcnt, bool write)
{
	struct file_state *s = n->opaque;
	if (iovcnt < 1 || iovcnt > FILE_IOV_MAX || (s->direct && !iov_direct_ok(off, iov, iovcnt)))
		return -ENOTSUP;
	struct iovec v[FILE_IOV_MAX];
	memcpy(v, iov, (size_t)iovcnt * sizeof(*iov));
	int first = 0;
	int64_t pos = off;
	while (first < iovcnt) {
		ssize_t r = write ? pwritev(s->fd, v + first, iovcnt - first, pos) :
		                    preadv(s->fd, v + first, iovcnt - first, pos);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0) {
			if (write)
				return -EIO;
			for (int i = first; i < iovcnt; i++) /* end of file */
				memset(v[i].iov_base, 0, v[i].iov_len);
			break;
		}
		pos += r;
		iov_skip(v, iovcnt, &first, (size_t)r);
	}
	if (write)
		len_grow(s, pos);
	return 0;
}

static int file_preadv(struct blk_node *n, int64_t off, const struct iovec *iov, int iovcnt)
{
	return file_rwv(n, off, iov, iovcnt, false);
}

static int file_pwritev(struct blk_node *n, int64_t off, const struct iovec *iov, int iovcnt,
			unsigned flags)
{
	(void)flags;
	return file_rwv(n, off, iov, iovcnt, true);
}

static int write_zero_buffers(struct blk_node *n, int64_t off, int64_t bytes)
{
	size_t chunk = bytes > (1 << 20) ? (1 << 20) : (size_t)bytes;
	uint8_t *z = blk_alloc_aligned(chunk);
	if (!z)
		return -ENOMEM;
	memset(z, 0, chunk);
	int r = 0;
	while (bytes > 0 && !r) {
		size_t c = bytes > (int64_t)chunk ? chunk : (size_t)bytes;
		r = file_pwrite(n, off, z, c, 0);
		off += (int64_t)c;
		bytes -= (int64_t)c;
	}
	free(z);
	return r;
}

static int file_pwrite_zeroes(struct blk_node *n, int64_t off, int64_t bytes, unsigned flags)
{
	struct file_state *s = n->opaque;
	if (s->is_blockdev) {
		uint64_t range[2] = { (uint64_t)off, (uint64_t)bytes };
		if (ioctl(s->fd, BLKZEROOUT, range) == 0)
			return 0;
	} else {
		int64_t len = file_getlength(n);
		if (len >= 0 && off >= len) {
			/* Past the end: extending the file gives zeroes. */
			if (ftruncate(s->fd, off + bytes) == 0) {
				len_grow(s, off + bytes);
				return 0;
			}
		}
		if ((flags & BLK_REQ_MAY_UNMAP) &&
		    fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, bytes) == 0) {
			if (len >= 0 && off + bytes > len && ftruncate(s->fd, off + bytes) < 0)
				return -errno;
			len_grow(s, off + bytes);
			return 0;
		}
		if (fallocate(s->fd, FALLOC_FL_ZERO_RANGE, off, bytes) == 0) {
			len_grow(s, off + bytes);
			return 0;
		}
	}
	if (flags & BLK_REQ_NO_FALLBACK)
		return -ENOTSUP;
	return write_zero_buffers(n, off, bytes);
}

static int file_discard(struct blk_node *n, int64_t off, int64_t bytes)
{
	struct file_state *s = n->opaque;
	if (s->is_blockdev) {
		uint64_t range[2] = { (uint64_t)off, (uint64_t)bytes };
		return ioctl(s->fd, BLKDISCARD, range) < 0 ? 0 : 0; /* a hint */
	}
	if (fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, bytes) < 0)
		return 0; /* discard is advisory */
	return 0;
}

static int file_flush(struct blk_node *n)
{
	struct file_state *s = n->opaque;
	if (n->cache.no_flush)
		return 0;
	return fdatasync(s->fd) < 0 ? -errno : 0;
}

static int file_truncate(struct blk_node *n, int64_t size, bool shrink, const char *prealloc,
			 struct blk_error *err)
{
	struct file_state *s = n->opaque;
	int64_t old = file_getlength(n);
	if (s->is_blockdev) {
		if (size > old) {
			blk_error_set(err, -EINVAL, "Cannot grow device files");
			return -EINVAL;
		}
		return 0;
	}
	if (ftruncate(s->fd, size) < 0) {
		int e = errno;
		blk_error_set(err, -e, "Failed to resize '%s': %s", n->filename, strerror(e));
		return -e;
	}
	len_refresh(s);
	if (prealloc && size > old && old >= 0) {
		int r = 0;
		if (!strcmp(prealloc, "falloc")) {
			r = -posix_fallocate(s->fd, old, size - old);
		} else if (!strcmp(prealloc, "full")) {
			r = write_zero_buffers(n, old, size - old);
		} else if (strcmp(prealloc, "off")) {
			blk_error_set(err, -EINVAL, "Unsupported preallocation mode '%s'", prealloc);
			return -EINVAL;
		}
		len_refresh(s);
		if (r < 0) {
			blk_error_set(err, r, "Could not preallocate new data: %s", strerror(-r));
			return r;
		}
	}
	return 0;
}

static int file_block_status(struct blk_node *n, int64_t off, int64_t bytes,
			     struct blk_status *st)
{
	struct file_state *s = n->opaque;
	st->flags = BLK_STATUS_ALLOCATED | BLK_STATUS_OFFSET_VALID | BLK_STATUS_DATA;
	st->offset = off;
	st->file = n;
	st->bytes = bytes;
	if (s->is_blockdev)
		return 0;
	off_t d = lseek(s->fd, off, SEEK_DATA);
	if (d < 0) {
		if (errno == ENXIO) { /* only a hole up to EOF */
			st->flags = BLK_STATUS_ALLOCATED | BLK_STATUS_OFFSET_VALID | BLK_STATUS_ZERO;
			return 0;
		}
		return 0; /* no SEEK_DATA: all data */
	}
	if (d > off) {
		st->flags = BLK_STATUS_ALLOCATED | BLK_STATUS_OFFSET_VALID | BLK_STATUS_ZERO;
		st->bytes = d - off < bytes ? d - off : bytes;
		return 0;
	}
	off_t h = lseek(s->fd, off, SEEK_HOLE);
	if (h > off && h - off < bytes)
		st->bytes = h - off;
	return 0;
}

/* ------------------------------------------------------------------ io_uring */

#ifdef HAVE_LIBURING
struct file_uring {
	struct io_uring ring;
	pthread_mutex_t sq_lock;	/* the submission queue is not thread-safe */
	pthread_t reaper;
};

struct uring_req {
	struct file_state *s;
	int op;			/* 0 read, 1 write, 2 flush */
	int64_t off;
	struct iovec *iov;	/* our copy, advanced on short transfers */
	int iovcnt;
	unsigned rw_flags;
	blk_completion_fn *cb;
	void *opaque;
};

static void uring_prep(struct io_uring_sqe *sqe, struct uring_req *r)
{
	if (r->op == 0)
		io_uring_prep_readv(sqe, r->s->fd, r->iov, (unsigned)r->iovcnt, (uint64_t)r->off);
	else if (r->op == 1)
		io_uring_prep_writev(sqe, r->s->fd, r->iov, (unsigned)r->iovcnt, (uint64_t)r->off);
	else
		io_uring_prep_fsync(sqe, r->s->fd, IORING_FSYNC_DATASYNC);
	if (r->op == 1)
		sqe->rw_flags = (int)r->rw_flags;
	io_uring_sqe_set_data(sqe, r);
}

static int uring_queue(struct file_uring *u, struct uring_req *r)
{
	pthread_mutex_lock(&u->sq_lock);
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	if (!sqe) {
		io_uring_submit(&u->ring);
		sqe = io_uring_get_sqe(&u->ring);
	}
	int ret = -EAGAIN;
	if (sqe) {
		uring_prep(sqe, r);
		ret = io_uring_submit(&u->ring);
		ret = ret < 0 ? ret : 0;
	}
	pthread_mutex_unlock(&u->sq_lock);
	return ret;
}

/* Skip `done` bytes of the request's iovec (after a short read or write). */
static void iov_advance(struct uring_req *r, size_t done)
{
	r->off += (int64_t)done;
	while (r->iovcnt && done >= r->iov[0].iov_len) {
		done -= r->iov[0].iov_len;
		r->iov++;
		r->iovcnt--;
	}
	if (r->iovcnt && done) {
		r->iov[0].iov_base = (uint8_t *)r->iov[0].iov_base + done;
		r->iov[0].iov_len -= done;
	}
}

static void uring_complete(struct uring_req *r, struct iovec *base, int ret)
{
	if (!ret && r->op == 1)
		len_grow(r->s, r->off);
	r->cb(r->opaque, ret);
	free(base);
	free(r);
}

static void *uring_reaper(void *arg)
{
	struct file_uring *u = arg;
	for (;;) {
		struct io_uring_cqe *cqe;
		int e = io_uring_wait_cqe(&u->ring, &cqe);
		if (e == -EINTR)
			continue;
		if (e < 0)
			break;
		struct uring_req *r = io_uring_cqe_get_data(cqe);
		int res = cqe->res;
		io_uring_cqe_seen(&u->ring, cqe);
		/* The kernel orders submission before completion; taking the submission
		 * lock once makes that visible to thread checkers too. */
		pthread_mutex_lock(&u->sq_lock);
		pthread_mutex_unlock(&u->sq_lock);
		if (!r)
			break; /* the stop marker */
		if (res == -EINTR || res == -EAGAIN) {
			if (uring_queue(u, r) == 0)
				continue;
		}
		if (res < 0 || r->op == 2) {
			uring_complete(r, NULL, res < 0 ? res : 0);
			continue;
		}
		size_t left = 0;
		for (int i = 0; i < r->iovcnt; i++)
			left += r->iov[i].iov_len;
		if ((size_t)res >= left) {
			r->off += res;
			uring_complete(r, NULL, 0);
			continue;
		}
		if (res == 0 && r->op == 0) {
			/* End of file: the rest reads as zeroes (as the synchronous path). */
			for (int i = 0; i < r->iovcnt; i++)
				memset(r->iov[i].iov_base, 0, r->iov[i].iov_len);
			uring_complete(r, NULL, 0);
			continue;
		}
		if (res == 0) {
			uring_complete(r, NULL, -EIO);
			continue;
		}
		iov_advance(r, (size_t)res); /* short transfer: queue the rest */
		if (uring_queue(u, r) < 0)
			uring_complete(r, NULL, -EIO);
	}
	return NULL;
}

static struct file_uring *uring_get(struct file_state *s)
{
	pthread_mutex_lock(&s->uring_lock);
	if (!s->uring && !s->uring_failed) {
		struct file_uring *u = calloc(1, sizeof(*u));
		if (u && io_uring_queue_init(128, &u->ring, 0) == 0) {
			pthread_mutex_init(&u->sq_lock, NULL);
			if (pthread_create(&u->reaper, NULL, uring_reaper, u) == 0) {
				s->uring = u;
			} else {
				io_uring_queue_exit(&u->ring);
				free(u);
			}
		} else {
			free(u);
		}
		if (!s->uring)
			s->uring_failed = true;
	}
	struct file_uring *u = s->uring;
	pthread_mutex_unlock(&s->uring_lock);
	return u;
}

static void uring_destroy(struct file_state *s)
{
	struct file_uring *u = s->uring;
	if (!u)
		return;
	/* A NOP without data tells the reaper to stop (after every earlier completion:
	 * callers drained before closing). */
	pthread_mutex_lock(&u->sq_lock);
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	if (!sqe) {
		io_uring_submit(&u->ring);
		sqe = io_uring_get_sqe(&u->ring);
	}
	if (sqe) {
		io_uring_prep_nop(sqe);
		io_uring_sqe_set_data(sqe, NULL);
		io_uring_submit(&u->ring);
	}
	pthread_mutex_unlock(&u->sq_lock);
	if (sqe)
		pthread_join(u->reaper, NULL);
	else
		pthread_cancel(u->reaper), pthread_join(u->reaper, NULL);
	io_uring_queue_exit(&u->ring);
	pthread_mutex_destroy(&u->sq_lock);
	free(u);
	s->uring = NULL;
}

int blk_file_aio(struct blk_node *n, int op, int64_t off, const struct iovec *iov, int iovcnt,
		 unsigned flags, blk_completion_fn *cb, void *opaque)
{
	struct file_state *s = n->opaque;
	if (op == 2 && n->cache.no_flush)
		return -ENOTSUP;
	if (op != 2 && (off < 0 || iovcnt < 1 || iovcnt > 1024))
		return -ENOTSUP;
	if (s->direct && op != 2) {
		/* O_DIRECT needs aligned buffers and lengths: otherwise the pool's
		 * bounce-buffer path. */
		if (off % DIRECT_ALIGN)
			return -ENOTSUP;
		for (int i = 0; i < iovcnt; i++)
			if ((uintptr_t)iov[i].iov_base % DIRECT_ALIGN || iov[i].iov_len % DIRECT_ALIGN)
				return -ENOTSUP;
	}
	struct file_uring *u = uring_get(s);
	if (!u)
		return -ENOTSUP;
	struct uring_req *r = malloc(sizeof(*r) + (size_t)(iovcnt > 0 ? iovcnt : 1) * sizeof(struct iovec));
	if (!r)
		return -ENOMEM;
	*r = (struct uring_req){ .s = s, .op = op, .off = off, .iov = (struct iovec *)(r + 1),
				 .iovcnt = op == 2 ? 0 : iovcnt, .cb = cb, .opaque = opaque };
	if (op != 2)
		memcpy(r->iov, iov, (size_t)iovcnt * sizeof(*iov));
	if (op == 1 && ((flags & BLK_REQ_FUA) || n->cache.writethrough))
		r->rw_flags = RWF_DSYNC;
	int ret = uring_queue(u, r);
	if (ret < 0) {
		free(r);
		return -ENOTSUP; /* the pool takes it */
	}
	return 0;
}
#else
static void uring_destroy(struct file_state *s)
{
	(void)s;
}

int blk_file_aio(struct blk_node *n, int op, int64_t off, const struct iovec *iov, int iovcnt,
		 unsigned flags, blk_completion_fn *cb, void *opaque)
{
	return -ENOTSUP;
}
#endif

static const struct blk_create_opt_desc file_create_opts[] = {
	{ "extent_size_hint", "size", "Extent size hint for the image file, 0 to disable", NULL },
	{ "nocow", "bool (on/off)", "Turn off copy-on-write (valid only on btrfs)", NULL },
	{ "preallocation", "str", "Preallocation mode (allowed values: off, falloc, full)", NULL },
	{ "size", "size", "Virtual disk size", NULL },
	{ NULL, NULL, NULL, NULL },
};

/* Create (or truncate) a host file of the given size; used by raw and qcow2. */
int blk_file_create(const char *filename, uint64_t size, const char *prealloc,
		    struct blk_error *err)
{
	if (prealloc && strcmp(prealloc, "off") && strcmp(prealloc, "falloc") &&
	    strcmp(prealloc, "full")) {
		blk_error_set(err, -EINVAL, "Invalid parameter '%s'", prealloc);
		return -EINVAL;
	}
	int fd = open(filename, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		blk_error_set(err, -e, "Could not create '%s': %s", filename, strerror(e));
		return -e;
	}
	/* Do not clobber an image another process is using (QEMU takes the write lock). */
	if (lock_test(fd, LOCK_PERM_BASE + 1) == -EAGAIN || lock_test(fd, LOCK_SHARED_BASE + 1) == -EAGAIN) {
		close(fd);
		blk_error_set(err, -EAGAIN, "Failed to get \"write\" lock\nIs another process using the image [%s]?",
			      filename);
		return -EAGAIN;
	}
	struct stat st;
	int r = 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)size) < 0)
			r = -errno;
		if (!r && prealloc && !strcmp(prealloc, "falloc") && size)
			r = -posix_fallocate(fd, 0, (off_t)size);
		if (!r && prealloc && !strcmp(prealloc, "full") && size) {
			size_t chunk = 1 << 20;
			uint8_t *z = calloc(1, chunk);
			for (uint64_t o = 0; z && o < size && !r; o += chunk) {
				size_t c = size - o < chunk ? (size_t)(size - o) : chunk;
				r = raw_pwrite_full(fd, (int64_t)o, z, c);
			}
			if (!z)
				r = -ENOMEM;
			free(z);
		}
	}
	if (!r && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		blk_error_set(err, r, "Could not resize file '%s': %s", filename, strerror(-r));
	return r;
}

static int file_create(const char *filename, const struct blk_opts *opts, unsigned flags,
		       struct blk_error *err)
{
	uint64_t size = 0;
	const char *v = blk_opts_get(opts, "size");
	if (v && blk_parse_size(v, &size) < 0) {
		blk_error_set(err, -EINVAL, "Parameter 'size' expects a non-negative number below 2^64");
		return -EINVAL;
	}
	return blk_file_create(filename, size, blk_opts_get(opts, "preallocation"), err);
}

const struct blk_driver blk_driver_file = {
	.name = "file",
	.open = file_open,
	.close = file_close,
	.pread = file_pread,
	.pwrite = file_pwrite,
	.preadv = file_preadv,
	.pwritev = file_pwritev,
	.pwrite_zeroes = file_pwrite_zeroes,
	.discard = file_discard,
	.flush = file_flush,
	.getlength = file_getlength,
	.allocated_size = file_allocated,
	.truncate = file_truncate,
	.block_status = file_block_status,
	.create = file_create,
	.create_opts = file_create_opts,
};
