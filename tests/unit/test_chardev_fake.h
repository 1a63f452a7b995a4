/* A small stand-in for the VM's I/O loop (src/core/loop.c) so that the
 * chardev unit tests drive real fds without building a whole VM, plus a
 * recording frontend. */
#ifndef LEMU_TESTS_CHARDEV_FAKE_H
#define LEMU_TESTS_CHARDEV_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chardev/chardev.h"
#include "harness.h" /* tap_ok, tap_done (defined in test_chardev_fake.c) */
#include "core/vm.h"

struct vm *fake_vm_new(void);
void fake_vm_free(struct vm *vm);
/* One iteration: due timers, bottom halves, poll up to ms, handlers. */
void fake_loop_once(struct vm *vm, int ms);
/* Iterate until pred(arg) or about ms milliseconds passed; returns pred. */
bool fake_loop_until(struct vm *vm, bool (*pred)(void *), void *arg, int ms);
int fake_loop_nfds(struct vm *vm);

/* A frontend that records what it receives. */
struct test_fe {
	struct chardev_fe fe;
	uint8_t in[65536];
	size_t nin;
	size_t room; /* what can_receive answers (SIZE_MAX: all space left) */
	enum chardev_event ev[64];
	int nev;
};
void test_fe_init(struct test_fe *t);
int test_fe_count(struct test_fe *t, enum chardev_event ev);
bool test_fe_has(struct test_fe *t, const char *s);

#endif
