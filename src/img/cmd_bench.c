/*
 * lemu-img bench [-c count] [-d depth] [-f fmt] [--flush-interval=n] [-i aio] [-n]
 *   [--no-drain] [-o offset] [--pattern=byte] [-q] [-s buffer_size] [-S step_size]
 *   [-t cache] [-w] [-U] filename
 *
 * Keeps depth requests in flight through the block layer's asynchronous interface.
 */
#include "img/img.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct bench {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int in_flight;
	int error;
	int nfree;
	int *free_slots;
};

struct bench_req {
	struct bench *b;
	int slot;
	struct iovec iov;
};

static void bench_done(void *opaque, int ret)
{
	struct bench_req *r = opaque;
	struct bench *b = r->b;
	pthread_mutex_lock(&b->lock);
	if (ret < 0 && !b->error)
		b->error = ret;
	b->in_flight--;
	b->free_slots[b->nfree++] = r->slot;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

static int bench_num(struct img *img, const char *arg, const char *what, uint64_t *out, bool size)
{
	int r = size ? img_parse_size(arg, 'B', out) : img_parse_uint(arg, out);
	if (r < 0 || *out > INT32_MAX) {
		img_error(img, "Invalid %s specified", what);
		return -EINVAL;
	}
	return 0;
}

int img_cmd_bench(struct img *img, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "flush-interval", required_argument, NULL, 'I' },
		{ "image-opts", no_argument, NULL, 'j' },
		{ "pattern", required_argument, NULL, 'P' },
		{ "no-drain", no_argument, NULL, 'D' },
		{ "force-share", no_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fmt = NULL, *cache = "writeback";
	uint64_t count = 75000, depth = 64, bufsize = 4096, step = 0, offset = 0;
	uint64_t flush_interval = 0, pattern = 0;
	bool write = false, quiet = false, drain = true, force_share = false, native = false;
	int c;

	while ((c = img_getopt(img, argc, argv, ":hc:d:f:ni:o:qs:S:t:wU", longopts)) != -1) {
		switch (c) {
		case '?': return 1;
		case 'h': return img_help(img);
		case 'c':
			if (bench_num(img, optarg, "request count", &count, false) < 0)
				return 1;
			break;
		case 'd':
			if (bench_num(img, optarg, "queue depth", &depth, false) < 0)
				return 1;
			if (depth == 0) {
				img_error(img, "Invalid queue depth specified");
				return 1;
			}
			break;
		case 'f': fmt = optarg; break;
		case 'n': native = true; break;
		case 'i':
			if (strcmp(optarg, "threads") && strcmp(optarg, "native") &&
			    strcmp(optarg, "io_uring")) {
				img_error(img, "Invalid aio option: %s", optarg);
				return 1;
			}
			break;
		case 'o':
			if (img_parse_size(optarg, 'B', &offset) < 0 || offset > INT64_MAX) {
				img_error(img, "Invalid offset specified");
				return 1;
			}
			break;
		case 'q': break;	/* qemu-img 7.2 prints its two lines even with -q */
		case 's':
			if (bench_num(img, optarg, "buffer size", &bufsize, true) < 0)
				return 1;
			break;
		case 'S':
			if (bench_num(img, optarg, "step size", &step, true) < 0)
				return 1;
			break;
		case 't': cache = optarg; break;
		case 'w': write = true; break;
		case 'U': force_share = true; break;
		case 'I':
			if (bench_num(img, optarg, "flush interval", &flush_interval, false) < 0)
				return 1;
			break;
		case 'P':
			if (img_parse_uint(optarg, &pattern) < 0 || pattern > 0xff) {
				img_error(img, "Invalid pattern byte specified");
				return 1;
			}
			break;
		case 'D': drain = false; break;
		case 'j':
			img_error(img, "--image-opts is not supported");
			return 1;
		}
	}
	if (optind != argc - 1)
		return img_usage_error(img, "Expecting one image file name");
	const char *filename = argv[optind];
	if (!step)
		step = bufsize;
	if (flush_interval && !write) {
		img_error(img, "--flush-interval is only available in write tests");
		return 1;
	}
	if (flush_interval && flush_interval < depth) {
		img_error(img, "Flush interval can't be smaller than depth");
		return 1;
	}
	if (native)
		cache = "none";
	if (img_check_cache(img, cache, "cache") < 0)
		return 1;
	struct img_open_req req = { .fmt = fmt, .cache = cache, .force_share = force_share,
				    .flags = write ? BLK_OPEN_RDWR : 0 };
	struct blk_node *node = img_open(img, filename, &req);
	if (!node)
		return 1;
	int64_t size = blk_getlength(node);
	int ret = 1;
	struct bench b = { .in_flight = 0 };
	struct bench_req *reqs = calloc(depth, sizeof(*reqs));
	uint8_t *bufs = aligned_alloc(4096, ((depth * bufsize + 4095) / 4096) * 4096 + 4096);
	b.free_slots = calloc(depth, sizeof(int));
	if (!reqs || !bufs || !b.free_slots || size < 0)
		goto out;
	memset(bufs, (int)pattern, depth * bufsize);
	pthread_mutex_init(&b.lock, NULL);
	pthread_cond_init(&b.cond, NULL);
	for (uint64_t i = 0; i < depth; i++)
		b.free_slots[b.nfree++] = (int)i;

	if (!quiet) {
		fprintf(img->out, "Sending %" PRIu64 " %s requests, %" PRIu64 " bytes each, %" PRIu64
				  " in parallel (starting at offset %" PRIu64 ", step size %" PRIu64 ")\n",
			count, write ? "write" : "read", bufsize, depth, offset, step);
		if (flush_interval)
			fprintf(img->out, "Sending flush every %" PRIu64 " requests\n", flush_interval);
		fflush(img->out);
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t off = offset;
	for (uint64_t n = 0; n < count; n++) {
		if (flush_interval && n && n % flush_interval == 0) {
			pthread_mutex_lock(&b.lock);
			while (drain && b.in_flight && !b.error)
				pthread_cond_wait(&b.cond, &b.lock);
			pthread_mutex_unlock(&b.lock);
			int fr = blk_flush(node);
			if (fr < 0) {
				pthread_mutex_lock(&b.lock);
				if (!b.error)
					b.error = fr;
				pthread_mutex_unlock(&b.lock);
			}
		}
		pthread_mutex_lock(&b.lock);
		while ((b.in_flight >= (int)depth || !b.nfree) && !b.error)
			pthread_cond_wait(&b.cond, &b.lock);
		int err = b.error;
		int slot = err ? 0 : b.free_slots[--b.nfree];
		if (!err)
			b.in_flight++;
		pthread_mutex_unlock(&b.lock);
		if (err)
			break;
		struct bench_req *r = &reqs[slot];
		r->b = &b;
		r->slot = slot;
		r->iov.iov_base = bufs + (size_t)slot * bufsize;
		r->iov.iov_len = bufsize;
		if ((int64_t)(off + bufsize) > size)
			off = 0;
		int s = write ? blk_aio_pwritev(node, (int64_t)off, &r->iov, 1, 0, bench_done, r)
			      : blk_aio_preadv(node, (int64_t)off, &r->iov, 1, 0, bench_done, r);
		if (s < 0)
			bench_done(r, s);
		off += step;
	}
	blk_drain(node);
	pthread_mutex_lock(&b.lock);
	while (b.in_flight)
		pthread_cond_wait(&b.cond, &b.lock);
	pthread_mutex_unlock(&b.lock);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (b.error) {
		img_error(img, "Failed request: %s", strerror(-b.error));
		goto out;
	}
	if (!quiet)
		fprintf(img->out, "Run completed in %3.3f seconds.\n",
			(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	ret = 0;
out:
	blk_close(node);
	free(reqs);
	free(bufs);
	free(b.free_slots);
	return ret;
}
