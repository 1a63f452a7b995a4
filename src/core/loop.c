/*
 * The I/O loop of a VM (see loop.h): poll() over the registered file
 * descriptors and an eventfd that other threads use to wake it, with the
 * timeout of the earliest timer.  Callbacks run with vm->lock held; the lock
 * is dropped only while sleeping in poll().
 */
#include "core/loop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/vm.h"
#include "core/loop_int.h"

static int64_t host_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t vm_clock_ns(struct vm *vm)
{
	int64_t stopped = __atomic_load_n(&vm->clock_stopped_at, __ATOMIC_ACQUIRE);
	if (stopped >= 0)
		return stopped;
	return host_ns() - __atomic_load_n(&vm->clock_base, __ATOMIC_RELAXED);
}

void vm_clock_stop(struct vm *vm)
{
	if (vm->clock_stopped_at < 0)
		__atomic_store_n(&vm->clock_stopped_at, host_ns() - vm->clock_base, __ATOMIC_RELEASE);
}

void vm_clock_start(struct vm *vm)
{
	if (vm->clock_stopped_at >= 0) {
		__atomic_store_n(&vm->clock_base, host_ns() - vm->clock_stopped_at, __ATOMIC_RELAXED);
		__atomic_store_n(&vm->clock_stopped_at, -1, __ATOMIC_RELEASE);
	}
}

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->wake_fd < 0) {
		free(l);
		return NULL;
	}
	pthread_mutex_init(&l->bh_lock, NULL);
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	close(l->wake_fd);
	free(l->fds);
	struct bh *b = l->bhs;
	while (b) {
		struct bh *n = b->next;
		free(b);
		b = n;
	}
	pthread_mutex_destroy(&l->bh_lock);
	free(l);
}

void loop_kick(struct vm *vm)
{
	uint64_t one = 1;
	if (write(vm->loop->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is already non-zero, the loop will wake. */
	}
}

/* --- timers ------------------------------------------------------- */

void timer_init(struct timer *t, struct vm *vm, timer_cb cb, void *opaque)
{
	memset(t, 0, sizeof(*t));
	t->vm = vm;
	t->cb = cb;
	t->opaque = opaque;
	t->expire = -1;
}

static void timer_unlink(struct loop *l, struct timer *t)
{
	for (struct timer **pp = &l->timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			t->next = NULL;
			return;
		}
	}
}

void timer_mod(struct timer *t, int64_t expire)
{
	struct loop *l = t->vm->loop;
	if (expire < 0)
		expire = 0;
	if (t->expire >= 0)
		timer_unlink(l, t);
	t->expire = expire;
	struct timer **pp = &l->timers;
	while (*pp && (*pp)->expire <= expire)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	if (pp == &l->timers)
		loop_kick(t->vm); /* new earliest deadline: recompute the poll timeout */
}

void timer_del(struct timer *t)
{
	if (t->expire < 0)
		return;
	timer_unlink(t->vm->loop, t);
	t->expire = -1;
}

/* --- fds and bottom halves ---------------------------------------- */

int loop_set_fd(struct vm *vm, int fd, short events, fd_handler h, void *opaque)
{
	struct loop *l = vm->loop;
	for (int i = 0; i < l->nfds; i++) {
		if (l->fds[i].fd == fd) {
			l->fds[i].events = events;
			l->fds[i].h = h;
			l->fds[i].opaque = opaque;
			loop_kick(vm);
			return 0;
		}
	}
	struct loop_fd *v = realloc(l->fds, sizeof(*v) * (size_t)(l->nfds + 1));
	if (!v)
		return -ENOMEM;
	l->fds = v;
	l->fds[l->nfds++] = (struct loop_fd){ fd, events, h, opaque };
	l->fds_gen++;
	loop_kick(vm);
	return 0;
}

void loop_del_fd(struct vm *vm, int fd)
{
	struct loop *l = vm->loop;
	for (int i = 0; i < l->nfds; i++) {
		if (l->fds[i].fd == fd) {
			l->fds[i] = l->fds[--l->nfds];
			l->fds_gen++;
			loop_kick(vm);
			return;
		}
	}
}

void loop_schedule(struct vm *vm, timer_cb fn, void *opaque)
{
	struct loop *l = vm->loop;
	struct bh *b = malloc(sizeof(*b));
	if (!b)
		abort();
	b->fn = fn;
	b->opaque = opaque;
	pthread_mutex_lock(&l->bh_lock);
	/* Append: bottom halves run in the order they were scheduled. */
	b->next = NULL;
	struct bh **pp = &l->bhs;
	while (*pp)
		pp = &(*pp)->next;
	*pp = b;
	pthread_mutex_unlock(&l->bh_lock);
	loop_kick(vm);
}

static void run_bhs(struct vm *vm)
{
	struct loop *l = vm->loop;
	pthread_mutex_lock(&l->bh_lock);
	struct bh *b = l->bhs;
	l->bhs = NULL;
	pthread_mutex_unlock(&l->bh_lock);
	while (b) {
		struct bh *n = b->next;
		b->fn(b->opaque);
		free(b);
		b = n;
	}
}

static void run_timers(struct vm *vm)
{
	struct loop *l = vm->loop;
	int64_t now = vm_clock_ns(vm);
	/* A callback may re-arm its own timer for `now` or earlier: bound the
	 * work per pass so the loop still polls. */
	for (int budget = 1000; budget > 0 && l->timers && l->timers->expire <= now; budget--) {
		struct timer *t = l->timers;
		l->timers = t->next;
		t->next = NULL;
		t->expire = -1;
		t->cb(t->opaque);
		now = vm_clock_ns(vm);
	}
}

/* One iteration: run due timers and bottom halves, sleep in poll() (VM
 * lock dropped) up to max_wait_ns or the next timer, then dispatch ready
 * fds.  Called and returns with vm->lock held. */
void loop_poll_once(struct vm *vm, int64_t max_wait_ns)
{
	struct loop *l = vm->loop;
	run_timers(vm);
	run_bhs(vm);

	int64_t wait = max_wait_ns;
	if (l->timers) {
		int64_t until = l->timers->expire - vm_clock_ns(vm);
		if (until < 0)
			until = 0;
		if (wait < 0 || until < wait)
			wait = until;
	}
	if (l->bhs)
		wait = 0;

	int n = l->nfds + 1;
	struct pollfd *pfd = calloc((size_t)n, sizeof(*pfd));
	struct loop_fd *snap = calloc((size_t)n, sizeof(*snap));
	if (!pfd || !snap)
		abort();
	pfd[0].fd = l->wake_fd;
	pfd[0].events = POLLIN;
	for (int i = 0; i < l->nfds; i++) {
		snap[i + 1] = l->fds[i];
		pfd[i + 1].fd = l->fds[i].fd;
		pfd[i + 1].events = l->fds[i].events;
	}
	struct timespec ts, *tsp = NULL;
	if (wait >= 0) {
		ts.tv_sec = wait / 1000000000;
		ts.tv_nsec = wait % 1000000000;
		tsp = &ts;
	}
	vm_unlock(vm);
	int r = ppoll(pfd, (nfds_t)n, tsp, NULL);
	vm_lock(vm);
	if (r > 0) {
		if (pfd[0].revents & POLLIN) {
			uint64_t v;
			if (read(l->wake_fd, &v, sizeof(v)) < 0) {
				/* EAGAIN: another reader drained it */
			}
		}
		unsigned gen = l->fds_gen;
		for (int i = 1; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			/* The set may have changed in a handler: only dispatch
			 * fds that are still registered with that handler. */
			if (l->fds_gen != gen) {
				int still = 0;
				for (int k = 0; k < l->nfds; k++)
					if (l->fds[k].fd == snap[i].fd && l->fds[k].h == snap[i].h &&
					    l->fds[k].opaque == snap[i].opaque)
						still = 1;
				if (!still)
					continue;
			}
			snap[i].h(snap[i].opaque, pfd[i].revents);
		}
	}
	free(pfd);
	free(snap);
	run_timers(vm);
	run_bhs(vm);
}
