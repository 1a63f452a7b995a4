/* VM run control used by main.c (and later the monitor). */
#ifndef LEMU_CORE_VM_INT_H
#define LEMU_CORE_VM_INT_H

#include "core/vm.h"

/* Start the vCPU threads. */
int vm_start(struct vm *vm);
/* Run the I/O loop until the VM ends; returns the process exit status
 * (0 for shutdown/quit, the isa-debug-exit code, ...).  Joins the vCPUs. */
int vm_main_loop(struct vm *vm);

#endif
