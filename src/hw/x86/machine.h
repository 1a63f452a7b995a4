/*
 * Machine types of lemu-system-x86_64 (-machine/-M).  A machine builds the
 * board on a freshly created struct vm: RAM layout, interrupt controllers,
 * buses and their fixed devices, firmware tables, and the boot image with
 * the vCPUs' initial state.  It installs vm->reset_hook, which main/vm.c
 * call on every system reset *after* the core has put the vCPUs back to
 * their power-on state and reset the devices: the hook reloads the boot
 * images (the guest may have overwritten them) and sets the BSP's entry
 * state again.
 */
#ifndef LEMU_HW_X86_MACHINE_H
#define LEMU_HW_X86_MACHINE_H

#include <stdbool.h>
#include <stdio.h>

struct vm;
struct error;

struct machine_class {
	const char *name;  /* canonical name ("pc-i440fx-7.2") */
	const char *desc;  /* one line for -machine help */
	const char *alias; /* short name ("pc"), or NULL */
	/* Build the board on vm (vm->cfg holds -m, -smp, -kernel ...).
	 * Returns 0, or -1 with errp set to a message naming the option or file. */
	int (*init)(struct vm *vm, struct error **errp);
	bool is_default;
};

/* NULL-terminated table of every machine (machine.c). */
extern const struct machine_class *const machine_classes[];

/* By name or alias; NULL or "" gives the default machine.  NULL if unknown. */
const struct machine_class *machine_find(const char *name);
/* The -machine help listing, in QEMU's format ("Supported machines are:"). */
void machine_print_help(FILE *out);

#endif
