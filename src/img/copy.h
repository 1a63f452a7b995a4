/*
 * The parallel copy engine of lemu-img convert (copy.c).
 */
#ifndef LEMU_IMG_COPY_H
#define LEMU_IMG_COPY_H

#include <pthread.h>

#include "img/img.h"

#define IMG_COPY_MAX_SRC 64

struct img_copy {
	/* set by the caller */
	int nsrc;
	struct blk_node *src[IMG_COPY_MAX_SRC];
	int64_t src_len[IMG_COPY_MAX_SRC];
	struct blk_node *dst;
	bool compress;		/* -c: whole clusters through blk_pwrite_compressed */
	bool target_zero;	/* the target reads as zeroes everywhere (fresh image) */
	bool target_has_backing; /* -B: copy only the source's top layer */
	bool out_of_order;	/* -W */
	int64_t sparse_size;	/* -S in bytes, 0 = write everything */
	size_t chunk;		/* bytes per work item (the cluster size when compressing) */
	int threads;
	struct img_progress *progress;

	/* results */
	int error;		/* -errno of the first failure */
	bool error_is_write;
	int64_t error_offset;

	/* internal */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int64_t total, next, done;
	uint64_t seq, write_seq;
};

/* Returns 0 or the first -errno (details in c->error_*). */
int img_copy_run(struct img_copy *c);

#endif
