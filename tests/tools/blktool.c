/*
 * blktool: a small driver of the block layer API for tests (qemu-img is the oracle
 * the results are compared with).
 *
 *   blktool dump IMG OUT [FMT]            read the whole image into a raw file OUT
 *   blktool create IMG FMT OPTS           blk_create with -o style OPTS ("" for none)
 *   blktool write IMG OFF LEN SEED [FMT]  write a pattern (SEED) and flush
 *   blktool zero IMG OFF LEN [unmap]      write zeroes
 *   blktool discard IMG OFF LEN
 *   blktool compress IMG SRC              copy raw SRC into IMG with compressed clusters
 *   blktool copy IMG SRC                  copy raw SRC into IMG (plain writes, zero detection)
 *   blktool snap IMG create|apply|delete NAME
 *   blktool snaplist IMG
 *   blktool check IMG [leaks|all]         prints qemu-img check style counts
 *   blktool resize IMG SIZE [shrink]
 *   blktool amend IMG OPTS
 *   blktool rebase IMG BACKING FMT        header-only backing change ("" removes)
 *   blktool map IMG                       block_status_above extents
 *   blktool crashwriter IMG LOG           random allocating writes, flushes; appends each
 *                                         flushed write "off len seed" to LOG (until killed)
 *   blktool verify IMG LOG                every logged write reads back
 *   blktool aio IMG                       many async writes/reads in flight, verified
 */
#include "block/block.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>

static void fill(uint8_t *b, size_t len, uint64_t off, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t x = (off + i) * 0x9e3779b97f4a7c15ull ^ seed * 0xbf58476d1ce4e5b9ull;
		x ^= x >> 29;
		b[i] = (uint8_t)(x ^ (x >> 17));
	}
}

static struct blk_node *open_img(const char *fn, const char *fmt, unsigned flags)
{
	struct blk_error err = { 0 };
	struct blk_node *n = blk_open(fn, fmt, NULL, flags, &err);
	if (!n) {
		fprintf(stderr, "blktool: %s\n", err.msg);
		exit(1);
	}
	return n;
}

static void die_r(int r, const char *what)
{
	if (r < 0) {
		fprintf(stderr, "blktool: %s: %s\n", what, strerror(-r));
		exit(1);
	}
}

static void report(void *opaque, const char *line)
{
	fprintf(stderr, "%s\n", line);
}

struct aio_ctx {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int pending, errors;
};

static void aio_done(void *opaque, int ret)
{
	struct aio_ctx *c = opaque;
	pthread_mutex_lock(&c->lock);
	if (ret)
		c->errors++;
	c->pending--;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: see tests/tools/blktool.c\n");
		return 2;
	}
	const char *cmd = argv[1], *img = argv[2];
	struct blk_error err = { 0 };
	int r;
	if (!strcmp(cmd, "dump") && argc >= 4) {
		struct blk_node *n = open_img(img, argc > 4 ? argv[4] : NULL, 0);
		int64_t len = blk_getlength(n);
		FILE *o = fopen(argv[3], "wb");
		if (!o)
			return 1;
		size_t chunk = 1 << 20;
		uint8_t *b = malloc(chunk);
		for (int64_t p = 0; p < len; p += (int64_t)chunk) {
			size_t c = len - p < (int64_t)chunk ? (size_t)(len - p) : chunk;
			die_r(blk_pread(n, p, b, c, 0), "read");
			fwrite(b, 1, c, o);
		}
		fclose(o);
		free(b);
		blk_close(n);
		return 0;
	}
	if (!strcmp(cmd, "create") && argc >= 5) {
		struct blk_opts *o = blk_opts_new();
		if (blk_opts_parse(o, argv[4], &err) < 0 || blk_create(img, argv[3], o, 0, &err) < 0) {
			fprintf(stderr, "blktool: %s\n", err.msg);
			return 1;
		}
		blk_opts_free(o);
		return 0;
	}
	if (!strcmp(cmd, "write") && argc >= 6) {
		struct blk_node *n = open_img(img, argc > 6 ? argv[6] : NULL, BLK_OPEN_RDWR);
		int64_t off = strtoll(argv[3], NULL, 0), len = strtoll(argv[4], NULL, 0);
		uint8_t *b = malloc((size_t)len);
		fill(b, (size_t)len, (uint64_t)off, (uint32_t)strtoul(argv[5], NULL, 0));
		die_r(blk_pwrite(n, off, b, (size_t)len, 0), "write");
		die_r(blk_flush(n), "flush");
		free(b);
		return blk_close(n) ? 1 : 0;
	}
	if (!strcmp(cmd, "zero") && argc >= 5) {
		struct blk_node *n = open_img(img, NULL, BLK_OPEN_RDWR);
		die_r(blk_pwrite_zeroes(n, strtoll(argv[3], NULL, 0), strtoll(argv[4], NULL, 0),
					argc > 5 ? BLK_REQ_MAY_UNMAP : 0), "zero");
		return blk_close(n) ? 1 : 0;
	}
	if (!strcmp(cmd, "discard") && argc >= 5) {
		struct blk_node *n = open_img(img, NULL, BLK_OPEN_RDWR);
		die_r(blk_discard(n, strtoll(argv[3], NULL, 0), strtoll(argv[4], NULL, 0)), "discard");
		return blk_close(n) ? 1 : 0;
	}
	if ((!strcmp(cmd, "compress") || !strcmp(cmd, "copy")) && argc >= 4) {
		struct blk_node *n = open_img(img, NULL, BLK_OPEN_RDWR);
		struct blk_node *src = open_img(argv[3], "raw", 0);
		int64_t len = blk_getlength(src);
		int64_t cs = blk_node_cluster_size(n);
		if (cs <= 0)
			cs = 65536;
		if (argc > 4)
			cs = strtoll(argv[4], NULL, 0); /* chunk size */
		uint8_t *b = malloc((size_t)cs);
		for (int64_t p = 0; p < len; p += cs) {
			size_t c = len - p < cs ? (size_t)(len - p) : (size_t)cs;
			die_r(blk_pread(src, p, b, c, 0), "read");
			bool zero = true;
			for (size_t i = 0; i < c && zero; i++)
				zero = !b[i];
			if (zero)
				continue;
			if (!strcmp(cmd, "compress"))
				die_r(blk_pwrite_compressed(n, p, b, c), "write compressed");
			else
				die_r(blk_pwrite(n, p, b, c, 0), "write");
		}
		free(b);
		blk_close(src);
		return blk_close(n) ? 1 : 0;
	}
	if (!strcmp(cmd, "snap") && argc >= 5) {
		struct blk_node *n = open_img(img, NULL, BLK_OPEN_RDWR);
		if (!strcmp(argv[3], "create")) {
			struct blk_snapshot sn = { 0 };
			snprintf(sn.name, sizeof(sn.name), "%s", argv[4]);
			r = blk_snapshot_create(n, &sn, &err);
		} else if (!strcmp(argv[3], "apply")) {
			r = blk_snapshot_apply(n, argv[4], &err);
		} else {
			r = blk_snapshot_delete(n, argv[4], &err);
		}
		if (r < 0)
			fprintf(stderr, "blktool: %s\n", err.msg);
		return blk_close(n) || r < 0 ? 1 : 0;
	}
	if (!strcmp(cmd, "snaplist")) {
		struct blk_node *n = open_img(img, NULL, BLK_OPEN_FORCE_SHARE);
		struct blk_snapshot *l;
		int k = blk_snapshot_list(n, &l);
		for (int i = 0; i < k; i++)
			printf("%s %s %" PRIu64 " %u %" PRIu64 "\n", l[i].id, l[i].name, l[i].vm_state_size,
			       l[i].date_sec, l[i].disk_size);
		free(l);
		blk_close(n);
		return 0;
	}
	if (!strcmp(cmd, "check")) {
		unsigned fix = 0;
		if (argc > 3)
			fix = !strcmp(argv[3], "all") ? BLK_CHECK_FIX_LEAKS | BLK_CHECK_FIX_ERRORS : BLK_CHECK_FIX_LEAKS;
		struct blk_node *n = open_img(img, NULL, BLK_OPEN_CHECK | (fix ? BLK_OPEN_RDWR : 0));
		struct blk_check_result res;
		r = blk_check(n, fix, &res, report, NULL, &err);
		if (r < 0) {
			fprintf(stderr, "blktool: %s\n", err.msg);
			return 1;
		}
		printf("corruptions=%" PRId64 " leaks=%" PRId64 " check_errors=%" PRId64
		       " corruptions_fixed=%" PRId64 " leaks_fixed=%" PRId64 " image_end=%" PRId64
		       " allocated=%" PRId64 " total=%" PRId64 " fragmented=%" PRId64 " compressed=%" PRId64 "\n",
		       res.corruptions, res.leaks, res.check_errors, res.corruptions_fixed, res.leaks_fixed,
		       res.image_end_offset, res.allocated_clusters, res.total_clusters,
		       res.fragmented_clusters, res.compressed_clusters);
		blk_close(n);
		return 0;
	}
	if (!strcmp(cmd, "resize") && argc >= 4) {
		struct blk_node *n = open_img(img, NULL, BLK_OPEN_RDWR);
		uint64_t sz;
		blk_parse_size(argv[3], &sz);
		r = blk_truncate(n, (int64_t)sz, argc > 4, NULL, &err);
		if (r < 0)
			fprintf(stderr, "blktool: %s\n", err.msg);
		return blk_close(n) || r < 0 ? 1 : 0;
	}
	if (!strcmp(cmd, "amend") && argc >= 4) {
		struct blk_node *n = open_img(img, NULL, BLK_OPEN_RDWR);
		struct blk_opts *o = blk_opts_new();
		blk_opts_parse(o, argv[3], &err);
		r = blk_amend(n, o, false, NULL, NULL, &err);
		if (r < 0)
			fprintf(stderr, "blktool: %s\n", err.msg);
		blk_opts_free(o);
		return blk_close(n) || r < 0 ? 1 : 0;
	}
	if (!strcmp(cmd, "rebase") && argc >= 5) {
		struct blk_node *n = open_img(img, NULL, BLK_OPEN_RDWR | BLK_OPEN_NO_BACKING);
		r = blk_change_backing_file(n, *argv[3] ? argv[3] : NULL, *argv[4] ? argv[4] : NULL, &err);
		if (r < 0)
			fprintf(stderr, "blktool: %s\n", err.msg);
		return blk_close(n) || r < 0 ? 1 : 0;
	}
	if (!strcmp(cmd, "measure") && argc >= 4) {
		/* blktool measure SRC|- FMT [OPTS] */
		struct blk_opts *o = blk_opts_new();
		if (argc > 4)
			blk_opts_parse(o, argv[4], &err);
		struct blk_node *src = strcmp(img, "-") ? open_img(img, NULL, BLK_OPEN_FORCE_SHARE) : NULL;
		struct blk_measure m;
		r = blk_measure(argv[3], o, src, &m, &err);
		if (r < 0) {
			fprintf(stderr, "blktool: %s\n", err.msg);
			return 1;
		}
		printf("required size: %" PRIu64 "\nfully allocated size: %" PRIu64 "\n", m.required, m.fully_allocated);
		if (m.has_bitmaps)
			printf("bitmaps size: %" PRIu64 "\n", m.bitmaps);
		blk_opts_free(o);
		if (src)
			blk_close(src);
		return 0;
	}
	if (!strcmp(cmd, "map")) {
		struct blk_node *n = open_img(img, NULL, BLK_OPEN_FORCE_SHARE);
		int64_t len = blk_getlength(n);
		for (int64_t p = 0; p < len;) {
			struct blk_status st;
			die_r(blk_block_status_above(n, NULL, p, len - p, &st), "block status");
			printf("%" PRId64 " %" PRId64 " depth=%d flags=%x offset=%" PRId64 "\n", p, st.bytes,
			       st.depth, st.flags, (st.flags & BLK_STATUS_OFFSET_VALID) ? st.offset : -1);
			p += st.bytes;
		}
		blk_close(n);
		return 0;
	}
	if (!strcmp(cmd, "crashwriter") && argc >= 4) {
		/* Each request is logged before it is issued; "F" follows every completed
		 * flush. Requests after the last "F" may or may not have reached the image. */
		struct blk_node *n = open_img(img, NULL, BLK_OPEN_RDWR);
		int log = open(argv[3], O_WRONLY | O_APPEND | O_CREAT, 0644);
		int64_t len = blk_getlength(n);
		uint64_t s = (uint64_t)getpid() * 2654435761u;
		uint8_t *b = malloc(1 << 20);
		char line[80];
		if (write(log, "R\n", 2) < 0)
			return 1;
		for (uint32_t seed = 1;; seed++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			int64_t wl = 512 * (int64_t)(1 + s % 512);
			int64_t off = (int64_t)((s >> 20) % (uint64_t)(len - wl)) & ~511ll;
			int op = (int)((s >> 50) % 16);
			/* seed 0: zeroes, 1: discarded (unspecified), else the fill pattern */
			uint32_t sd = op == 0 ? 0 : op == 1 ? 1 : (((uint32_t)getpid() * 65536 + seed) | 2);
			snprintf(line, sizeof(line), "%" PRId64 " %" PRId64 " %u\n", off, wl, sd);
			if (write(log, line, strlen(line)) < 0)
				return 1;
			if (op == 0) {
				die_r(blk_pwrite_zeroes(n, off, wl, (s >> 40) & 1 ? BLK_REQ_MAY_UNMAP : 0), "zero");
			} else if (op == 1) {
				die_r(blk_discard(n, off, wl), "discard");
			} else {
				fill(b, (size_t)wl, (uint64_t)off, sd);
				die_r(blk_pwrite(n, off, b, (size_t)wl, 0), "write");
			}
			if ((s >> 33) % 8 == 0) {
				die_r(blk_flush(n), "flush");
				if (write(log, "F\n", 2) < 0)
					return 1;
			}
		}
	}
	if (!strcmp(cmd, "verify") && argc >= 4) {
		/* Replay the log into a shadow copy. Requests become durable at the next "F";
		 * those still pending when a new writer starts ("R") or at the end of the log
		 * may or may not have reached the image, so their ranges become unknown. */
		struct blk_node *n = open_img(img, NULL, 0);
		int64_t len = blk_getlength(n);
		uint8_t *shadow = calloc(1, (size_t)len), *known = calloc(1, (size_t)len / 512 + 1);
		FILE *f = fopen(argv[3], "r");
		char line[128];
		struct { int64_t off, wl; unsigned sd; } *pend = malloc(sizeof(*pend) * 100000);
		int np = 0;
		long flushed = 0;
		for (bool eof = false; !eof;) {
			eof = !f || !fgets(line, sizeof(line), f);
			if (eof || line[0] == 'F' || line[0] == 'R') {
				bool durable = !eof && line[0] == 'F';
				for (int i = 0; i < np; i++) {
					int64_t off = pend[i].off, wl = pend[i].wl;
					if (pend[i].sd > 1)
						fill(shadow + off, (size_t)wl, (uint64_t)off, pend[i].sd);
					else if (pend[i].sd == 0)
						memset(shadow + off, 0, (size_t)wl);
					memset(known + off / 512, durable && pend[i].sd != 1, (size_t)wl / 512);
				}
				flushed += durable ? np : 0;
				np = 0;
				continue;
			}
			int64_t off, wl;
			unsigned sd;
			if (sscanf(line, "%" SCNd64 " %" SCNd64 " %u", &off, &wl, &sd) != 3 || off < 0 ||
			    wl < 0 || off + wl > len || np == 100000)
				continue;
			pend[np].off = off;
			pend[np].wl = wl;
			pend[np++].sd = sd;
		}
		uint8_t *b = malloc((size_t)len);
		die_r(blk_pread(n, 0, b, (size_t)len, 0), "read");
		int bad = 0;
		for (int64_t sct = 0; sct < len / 512; sct++)
			if (known[sct] && memcmp(b + sct * 512, shadow + sct * 512, 512)) {
				if (bad++ < 5)
					fprintf(stderr, "blktool: sector %" PRId64 " differs\n", sct);
			}
		blk_close(n);
		printf("%ld flushed requests, %d bad sectors\n", flushed, bad);
		return bad ? 1 : 0;
	}
	if (!strcmp(cmd, "aio")) {
		struct blk_node *n = open_img(img, NULL, BLK_OPEN_RDWR);
		int64_t len = blk_getlength(n);
		enum { NR = 256, SZ = 16384 };
		uint8_t *bufs = malloc((size_t)NR * SZ), *rb = malloc((size_t)NR * SZ);
		struct iovec iov[NR][2], riov[NR];
		struct aio_ctx c = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };
		int64_t stride = len / NR & ~4095ll;
		for (int i = 0; i < NR; i++) {
			fill(bufs + (size_t)i * SZ, SZ, (uint64_t)(i * stride), 77);
			iov[i][0] = (struct iovec){ bufs + (size_t)i * SZ, SZ / 2 };
			iov[i][1] = (struct iovec){ bufs + (size_t)i * SZ + SZ / 2, SZ / 2 };
			pthread_mutex_lock(&c.lock);
			c.pending++;
			pthread_mutex_unlock(&c.lock);
			die_r(blk_aio_pwritev(n, i * stride, iov[i], 2, 0, aio_done, &c), "submit");
		}
		blk_drain(n);
		pthread_mutex_lock(&c.lock);
		c.pending++;
		pthread_mutex_unlock(&c.lock);
		die_r(blk_aio_flush(n, aio_done, &c), "flush");
		blk_drain(n);
		for (int i = 0; i < NR; i++) {
			riov[i] = (struct iovec){ rb + (size_t)i * SZ, SZ };
			pthread_mutex_lock(&c.lock);
			c.pending++;
			pthread_mutex_unlock(&c.lock);
			die_r(blk_aio_preadv(n, i * stride, &riov[i], 1, 0, aio_done, &c), "submit");
		}
		pthread_mutex_lock(&c.lock);
		while (c.pending)
			pthread_cond_wait(&c.cond, &c.lock);
		pthread_mutex_unlock(&c.lock);
		int bad = memcmp(bufs, rb, (size_t)NR * SZ) != 0;
		printf("aio errors=%d mismatch=%d\n", c.errors, bad);
		blk_close(n);
		return c.errors || bad;
	}
	fprintf(stderr, "blktool: unknown command %s\n", cmd);
	return 2;
}
