/*
 * The VM's main loop (one I/O thread): file-descriptor handlers, timers on
 * the virtual clock, and bottom halves.  All callbacks run in the I/O thread
 * with the VM lock held, so device code never races with vCPUs touching the
 * same device (vCPUs take the lock around MMIO/PIO).
 *
 * Clock: vm_clock_ns() is host CLOCK_MONOTONIC nanoseconds since the VM was
 * created, stopped while the VM is paused (so guest time does not jump).
 */
#ifndef LEMU_CORE_LOOP_H
#define LEMU_CORE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct loop;

typedef void (*fd_handler)(void *opaque, int revents);
typedef void (*timer_cb)(void *opaque);

struct timer {
	struct vm *vm;
	timer_cb cb;
	void *opaque;
	int64_t expire; /* vm_clock_ns; -1 when not armed */
	struct timer *next;
};

int64_t vm_clock_ns(struct vm *vm);

void timer_init(struct timer *t, struct vm *vm, timer_cb cb, void *opaque);
/* Arm (or re-arm) to fire at absolute vm_clock_ns time `expire`. */
void timer_mod(struct timer *t, int64_t expire);
void timer_del(struct timer *t);
static inline bool timer_pending(const struct timer *t) { return t->expire >= 0; }

/* Watch fd for POLLIN/POLLOUT (events); handler runs in the I/O thread.
 * Changing events: call again with the same fd. */
int loop_set_fd(struct vm *vm, int fd, short events, fd_handler h, void *opaque);
void loop_del_fd(struct vm *vm, int fd);
/* Run fn(opaque) soon in the I/O thread (callable from any thread, with or
 * without the VM lock). */
void loop_schedule(struct vm *vm, timer_cb fn, void *opaque);
/* Wake the I/O thread (after changing timers from a vCPU thread). */
void loop_kick(struct vm *vm);

#endif
