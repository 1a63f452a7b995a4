/*
 * qcow2 compressed clusters (spec "Compressed Clusters Descriptor", header
 * "compression_type"): raw deflate with a 4 KiB window (zlib, type 0) or zstd frames
 * (type 1). The stored length is rounded to 512-byte sectors, so decompression stops
 * when the cluster is full and ignores what follows.
 */
#include "block/qcow2/qcow2.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

int qcow2_decompress(const struct qcow2 *s, const uint8_t *src, size_t slen, uint8_t *dst,
		     size_t dlen)
{
	if (s->compression_type == 0) {
		z_stream z;
		memset(&z, 0, sizeof(z));
		if (inflateInit2(&z, -12) != Z_OK)
			return -ENOMEM;
		z.next_in = (Bytef *)src;
		z.avail_in = (uInt)slen;
		z.next_out = dst;
		z.avail_out = (uInt)dlen;
		int r = inflate(&z, Z_FINISH);
		inflateEnd(&z);
		if ((r == Z_STREAM_END || r == Z_BUF_ERROR) && z.avail_out == 0)
			return 0;
		return -EIO;
	}
	ZSTD_DCtx *d = ZSTD_createDCtx();
	if (!d)
		return -ENOMEM;
	ZSTD_inBuffer in = { src, slen, 0 };
	ZSTD_outBuffer out = { dst, dlen, 0 };
	int ret = 0;
	while (out.pos < out.size) {
		size_t last = in.pos;
		size_t r = ZSTD_decompressStream(d, &out, &in);
		if (ZSTD_isError(r)) {
			ret = -EIO;
			break;
		}
		if (r == 0 && out.pos < out.size) {
			/* One frame ended early: a following frame may continue (QEMU writes one
			 * frame, but the format allows several). */
			if (in.pos >= in.size) {
				ret = -EIO;
				break;
			}
		}
		if (in.pos == last && in.pos >= in.size) {
			ret = -EIO;
			break;
		}
	}
	ZSTD_freeDCtx(d);
	return ret;
}

ssize_t qcow2_compress(int type, const uint8_t *src, size_t slen, uint8_t *dst, size_t max)
{
	if (type == 0) {
		z_stream z;
		memset(&z, 0, sizeof(z));
		if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9, Z_DEFAULT_STRATEGY) != Z_OK)
			return -ENOMEM;
		z.next_in = (Bytef *)src;
		z.avail_in = (uInt)slen;
		z.next_out = dst;
		z.avail_out = (uInt)max;
		int r = deflate(&z, Z_FINISH);
		size_t out = max - z.avail_out;
		deflateEnd(&z);
		if (r != Z_STREAM_END)
			return -ENOSPC;
		return (ssize_t)out;
	}
	size_t r = ZSTD_compress(dst, max, src, slen, ZSTD_CLEVEL_DEFAULT);
	if (ZSTD_isError(r))
		return -ENOSPC;
	return (ssize_t)r;
}

/* Read and inflate one compressed cluster into cluster (cluster_size bytes). */
int qcow2_read_compressed(struct qcow2 *s, uint64_t l2e, uint8_t *cluster)
{
	uint64_t off, len;
	qcow2_compressed_range(s, l2e, &off, &len);
	if (off < s->cluster_size || off + len > QCOW2_MAX_HOST_OFFSET || len > 2 * s->cluster_size + 512) {
		qcow2_signal_corruption(s, "Compressed cluster at %#" PRIx64 " (%" PRIu64 " bytes) is out of range", off, len);
		return -EIO;
	}
	uint8_t *c = malloc(len);
	if (!c)
		return -ENOMEM;
	int r = blk_pread(s->file, (int64_t)off, c, len, 0);
	if (!r) {
		r = qcow2_decompress(s, c, len, cluster, s->cluster_size);
		if (r == -EIO)
			fprintf(stderr, "qcow2: Could not decompress cluster at host offset %#" PRIx64 "\n", off);
	}
	free(c);
	return r;
}

/* Host bytes for compressed data: packed after the previous compressed cluster when
 * it fits in the same host cluster, else a new cluster (each host cluster a
 * compressed cluster touches holds one reference for it). */
static int64_t alloc_bytes(struct qcow2 *s, uint64_t len)
{
	uint64_t cs = s->cluster_size;
	uint64_t f = s->free_byte_offset;
	int r = -ERANGE;
	if (f && (f & (cs - 1)) && cs - (f & (cs - 1)) >= len) {
		/* -ERANGE: the refcount is at its maximum (narrow refcount_bits). */
		r = qcow2_update_refcount(s, f >> s->cluster_bits, 1);
		if (r && r != -ERANGE)
			return r;
	}
	if (r) {
		int64_t h = qcow2_alloc_clusters(s, (len + cs - 1) / cs);
		if (h < 0)
			return h;
		f = (uint64_t)h;
	}
	s->free_byte_offset = f + len;
	return (int64_t)f;
}

int qcow2_pwrite_compressed(struct blk_node *n, int64_t off, const void *buf, size_t bytes)
{
	struct qcow2 *s = n->opaque;
	uint64_t cs = s->cluster_size;
	if ((uint64_t)off % cs || bytes > cs || (bytes < cs && (uint64_t)off + bytes != s->size))
		return -EINVAL;
	uint8_t *in = (uint8_t *)buf, *pad = NULL;
	if (bytes < cs) {
		pad = calloc(1, cs);
		if (!pad)
			return -ENOMEM;
		memcpy(pad, buf, bytes);
		in = pad;
	}
	uint8_t *out = malloc(cs);
	if (!out) {
		free(pad);
		return -ENOMEM;
	}
	/* Compression runs without the lock so that callers on several threads use
	 * several cores. */
	ssize_t clen = qcow2_compress(s->compression_type, in, cs, out, cs - 1);
	int r;
	if (clen < 0) {
		r = qcow2_pwrite(n, off, in, bytes, 0); /* incompressible: store plainly */
		goto out;
	}
	pthread_mutex_lock(&s->lock);
	r = qcow2_mark_dirty(s);
	int64_t h = r ? r : alloc_bytes(s, (uint64_t)clen);
	if (h < 0) {
		r = (int)h;
	} else {
		r = blk_pwrite(s->file, h, out, (size_t)clen, 0);
		if (!r) {
			uint32_t x = 62 - (s->cluster_bits - 8);
			uint64_t nb = (((uint64_t)h + (uint64_t)clen - 1) >> 9) - ((uint64_t)h >> 9) + 1;
			uint64_t e = QCOW2_OFLAG_COMPRESSED | ((nb - 1) << x) | (uint64_t)h;
			uint64_t old;
			r = qcow2_set_l2_entry(s, (uint64_t)off, e, &old);
			if (!r) {
				enum qcow2_ctype t = qcow2_entry_type(s, old);
				if (t == QC_NORMAL || t == QC_ZERO_ALLOC)
					r = qcow2_free_later(s, old & QCOW2_L2E_OFFSET_MASK, cs);
				else if (t == QC_COMPRESSED) {
					uint64_t o2, l2;
					qcow2_compressed_range(s, old, &o2, &l2);
					r = qcow2_free_later(s, o2, l2);
				}
			}
		}
	}
	pthread_mutex_unlock(&s->lock);
out:
	free(out);
	free(pad);
	return r;
}
