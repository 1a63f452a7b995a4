/* vCPU lifecycle, used by vm.c and the machines. */
#ifndef LEMU_CORE_VCPU_INT_H
#define LEMU_CORE_VCPU_INT_H

#include "core/vm.h"

struct cpu_model;
struct vcpu *vcpu_create(struct vm *vm, int index, const struct cpu_model *model, const uint32_t *features);
/* Power-on state: real mode at F000:FFF0, APs wait for SIPI. */
void vcpu_reset(struct vcpu *v);
int vcpu_start(struct vcpu *v);
void vcpus_pause(struct vm *vm);
void vcpus_resume(struct vm *vm);
void vcpus_join(struct vm *vm);

#endif
