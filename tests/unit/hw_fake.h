/*
 * A fake system-emulator core for the device unit tests (test_hw_*.c):
 * port and MMIO dispatch, a manual clock with timers, vCPU kicks recorded
 * in vcpu->req, chardevs that capture output, and device_create over the
 * PC device classes.  Lets the devices run without src/core.
 */
#ifndef LEMU_TESTS_HW_FAKE_H
#define LEMU_TESTS_HW_FAKE_H

#include <stddef.h>
#include <stdint.h>

#include "chardev/chardev.h"
#include "core/device.h"
#include "core/vm.h"

struct chardev {
	struct vm *vm;
	char id[32];
	uint8_t out[8192];
	size_t outlen;
	struct chardev_fe fe;
	int attached;
	struct chardev *next;
};

struct vm *fake_vm_new(int ncpus);
void fake_vm_free(struct vm *vm);
/* Advance the virtual clock by ns, running timers as they expire. */
void fake_advance(struct vm *vm, int64_t ns);
void fake_set_clock(struct vm *vm, int64_t ns);
/* The vCPU that vcpu_self() returns (NULL = the I/O thread). */
void fake_set_self(struct vcpu *v);
struct chardev *fake_chardev(struct vm *vm, const char *id);
/* Send input to the chardev's frontend (as much as it accepts). */
size_t fake_chardev_input(struct chardev *c, const void *buf, size_t len);
uint64_t fake_mmio_read(struct vm *vm, uint64_t addr, unsigned size);
void fake_mmio_write(struct vm *vm, uint64_t addr, uint64_t val, unsigned size);
/* device_create with an option string ("a=b,c=d" or NULL). */
struct device *fake_create(struct vm *vm, const char *name, const char *opts);
/* Read and clear a vCPU's request bits. */
unsigned fake_take_req(struct vcpu *v);

#endif
