/*
 * The I/O accounting a drive backend keeps (block_backend.h has the
 * public side: drive_aio_*, drive_acct_invalid, drive_get_stats).  Only
 * block_backend.c and block_acct.c include this.
 */
#ifndef LEMU_HW_BLOCK_ACCT_H
#define LEMU_HW_BLOCK_ACCT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/block_backend.h"

/* Written on block-layer worker threads (completions) and the I/O thread
 * (invalid requests), read by the monitor: everything under lock. */
struct drive_acct {
	pthread_mutex_t lock;
	struct drive_stats stats; /* idle_time_ns unused here */
	int64_t last_access_ns;   /* 0 = no accounted I/O yet */
};

void drive_acct_init(struct drive_acct *a, bool account_invalid, bool account_failed);
void drive_acct_destroy(struct drive_acct *a);
/* The backend's (block_backend.c). */
struct drive_acct *drive_acct_of(struct blk_backend *b);

#endif
