/* Private state of the I/O loop (loop.c) and the parts vm.c drives. */
#ifndef LEMU_CORE_LOOP_INT_H
#define LEMU_CORE_LOOP_INT_H

#include <pthread.h>
#include <stdint.h>

#include "core/loop.h"

struct loop_fd {
	int fd;
	short events;
	fd_handler h;
	void *opaque;
};

struct bh {
	timer_cb fn;
	void *opaque;
	struct bh *next;
};

struct loop {
	int wake_fd;
	struct loop_fd *fds;
	int nfds;
	unsigned fds_gen;
	struct timer *timers; /* sorted by expire */
	pthread_mutex_t bh_lock;
	struct bh *bhs;
};

struct loop *loop_new(void);
void loop_free(struct loop *l);
void loop_poll_once(struct vm *vm, int64_t max_wait_ns);
void vm_clock_stop(struct vm *vm);
void vm_clock_start(struct vm *vm);

#endif
