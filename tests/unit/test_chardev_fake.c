/* Fake I/O loop and recording frontend for the chardev unit tests. */
#include "test_chardev_fake.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAKE_MAX_FDS 64
#define FAKE_MAX_BH 256

struct fake_fd {
	int fd;
	short events;
	fd_handler h;
	void *opaque;
};

struct fake_bh {
	timer_cb fn;
	void *opaque;
};

struct loop {
	struct fake_fd fds[FAKE_MAX_FDS];
	int nfds;
	struct timer *timers;
	struct fake_bh bh[FAKE_MAX_BH];
	int nbh;
};

static int64_t host_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct vm *fake_vm_new(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	pthread_mutex_init(&vm->lock, NULL);
	vm->loop = calloc(1, sizeof(struct loop));
	vm->clock_base = host_ns();
	vm->clock_stopped_at = -1;
	return vm;
}

void fake_vm_free(struct vm *vm)
{
	chardev_destroy_all(vm);
	free(vm->loop);
	free(vm);
}

int64_t vm_clock_ns(struct vm *vm)
{
	return host_ns() - vm->clock_base;
}

void timer_init(struct timer *t, struct vm *vm, timer_cb cb, void *opaque)
{
	memset(t, 0, sizeof(*t));
	t->vm = vm;
	t->cb = cb;
	t->opaque = opaque;
	t->expire = -1;
}

void timer_del(struct timer *t)
{
	if (t->expire < 0)
		return;
	for (struct timer **pp = &t->vm->loop->timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->expire = -1;
}

void timer_mod(struct timer *t, int64_t expire)
{
	timer_del(t);
	t->expire = expire < 0 ? 0 : expire;
	t->next = t->vm->loop->timers;
	t->vm->loop->timers = t;
}

int loop_set_fd(struct vm *vm, int fd, short events, fd_handler h, void *opaque)
{
	struct loop *l = vm->loop;
	for (int i = 0; i < l->nfds; i++) {
		if (l->fds[i].fd == fd) {
			l->fds[i] = (struct fake_fd){ fd, events, h, opaque };
			return 0;
		}
	}
	if (l->nfds == FAKE_MAX_FDS)
		abort();
	l->fds[l->nfds++] = (struct fake_fd){ fd, events, h, opaque };
	return 0;
}

void loop_del_fd(struct vm *vm, int fd)
{
	struct loop *l = vm->loop;
	for (int i = 0; i < l->nfds; i++) {
		if (l->fds[i].fd == fd) {
			l->fds[i] = l->fds[--l->nfds];
			return;
		}
	}
}

void loop_schedule(struct vm *vm, timer_cb fn, void *opaque)
{
	struct loop *l = vm->loop;
	if (l->nbh == FAKE_MAX_BH)
		abort();
	l->bh[l->nbh++] = (struct fake_bh){ fn, opaque };
}

void loop_kick(struct vm *vm)
{
}

void vm_request(struct vm *vm, enum vm_event ev)
{
	vm->event = ev;
}

int fake_loop_nfds(struct vm *vm)
{
	return vm->loop->nfds;
}

static void run_due(struct vm *vm)
{
	struct loop *l = vm->loop;
	int64_t now = vm_clock_ns(vm);
	for (struct timer **pp = &l->timers; *pp;) {
		struct timer *t = *pp;
		if (t->expire <= now) {
			*pp = t->next;
			t->expire = -1;
			t->cb(t->opaque);
			pp = &l->timers; /* the list may have changed */
		} else {
			pp = &t->next;
		}
	}
	while (l->nbh) {
		struct fake_bh b = l->bh[0];
		memmove(l->bh, l->bh + 1, sizeof(l->bh[0]) * (size_t)--l->nbh);
		b.fn(b.opaque);
	}
}

void fake_loop_once(struct vm *vm, int ms)
{
	struct loop *l = vm->loop;
	run_due(vm);
	struct pollfd p[FAKE_MAX_FDS];
	struct fake_fd snap[FAKE_MAX_FDS];
	int n = l->nfds;
	for (int i = 0; i < n; i++) {
		snap[i] = l->fds[i];
		p[i] = (struct pollfd){ .fd = l->fds[i].fd, .events = l->fds[i].events };
	}
	if (l->nbh)
		ms = 0;
	int r = poll(p, (nfds_t)n, ms);
	for (int i = 0; r > 0 && i < n; i++) {
		if (!p[i].revents)
			continue;
		/* still registered with the same handler? */
		bool still = false;
		for (int k = 0; k < l->nfds; k++)
			if (l->fds[k].fd == snap[i].fd && l->fds[k].h == snap[i].h && l->fds[k].opaque == snap[i].opaque)
				still = true;
		if (still)
			snap[i].h(snap[i].opaque, p[i].revents);
	}
	run_due(vm);
}

bool fake_loop_until(struct vm *vm, bool (*pred)(void *), void *arg, int ms)
{
	int64_t end = host_ns() + (int64_t)ms * 1000000;
	while (!pred(arg)) {
		if (host_ns() > end)
			return false;
		fake_loop_once(vm, 10);
	}
	return true;
}

static size_t tfe_can(void *opaque)
{
	struct test_fe *t = opaque;
	size_t space = sizeof(t->in) - t->nin;
	return t->room < space ? t->room : space;
}

static void tfe_receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct test_fe *t = opaque;
	if (len > sizeof(t->in) - t->nin)
		abort(); /* more than can_receive allowed */
	if (t->room != SIZE_MAX) {
		if (len > t->room)
			abort();
		t->room -= len;
	}
	memcpy(t->in + t->nin, buf, len);
	t->nin += len;
}

static void tfe_event(void *opaque, enum chardev_event ev)
{
	struct test_fe *t = opaque;
	if (t->nev < 64)
		t->ev[t->nev++] = ev;
}

void test_fe_init(struct test_fe *t)
{
	memset(t, 0, sizeof(*t));
	t->room = SIZE_MAX;
	t->fe = (struct chardev_fe){ tfe_can, tfe_receive, tfe_event, t };
}

int test_fe_count(struct test_fe *t, enum chardev_event ev)
{
	int n = 0;
	for (int i = 0; i < t->nev; i++)
		n += t->ev[i] == ev;
	return n;
}

bool test_fe_has(struct test_fe *t, const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i + n <= t->nin; i++)
		if (!memcmp(t->in + i, s, n))
			return true;
	return false;
}

int tap_count, tap_failed;

void tap_ok(int ok, const char *fmt, ...)
{
	va_list ap;
	tap_count++;
	if (!ok)
		tap_failed++;
	printf("%sok %d - ", ok ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}
