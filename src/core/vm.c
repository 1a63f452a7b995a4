/*
 * struct vm lifecycle and the main loop: creation (RAM, vCPUs, the I/O
 * loop), the run-state machine driven by vm_request (shutdown, reset, exit),
 * and -d logging.
 */
#include "core/vm.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "chardev/chardev.h"
#include "core/device.h"
#include "core/loop_int.h"
#include "core/vcpu_int.h"
#include "core/vm_int.h"
#include "cpu/x86/cpu_model.h"
#include "util/error.h"
#include "util/opts.h"

struct vm *vm_new(const struct vm_config *cfg, struct error **errp)
{
	struct cpu_config cc;
	char err[256];
	const char *spec = cfg->cpu_model ? cfg->cpu_model : "qemu64";
	if (cpu_config_parse(&cc, spec, err, sizeof(err)) < 0) {
		error_setg(errp, "%s", err);
		return NULL;
	}
	if (cfg->smp < 1 || cfg->smp > VM_MAX_CPUS) {
		error_setg(errp, "Invalid SMP CPUs %d. The max CPUs supported by machine '%s' is %d",
			   cfg->smp, cfg->machine ? cfg->machine : "pc", VM_MAX_CPUS);
		return NULL;
	}
	if (cfg->ram_size < (1u << 20) || (cfg->ram_size & 0xfff)) {
		error_setg(errp, "Invalid RAM size: %llu bytes (at least 1 MiB, a multiple of 4 KiB)",
			   (unsigned long long)cfg->ram_size);
		return NULL;
	}
	struct vm *vm = calloc(1, sizeof(*vm));
	if (!vm) {
		error_setg(errp, "out of memory");
		return NULL;
	}
	vm->cfg = *cfg;
	pthread_mutex_init(&vm->lock, NULL);
	vm->a20_mask = ~0ull;
	vm->clock_stopped_at = -1;
	vm->ram_size = cfg->ram_size;
	vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	if (vm->ram == MAP_FAILED) {
		error_setg_errno(errp, errno, "cannot set up guest memory 'pc.ram'");
		vm->ram = NULL;
		vm_free(vm);
		return NULL;
	}
	madvise(vm->ram, vm->ram_size, MADV_HUGEPAGE);
	vm->code_pages = calloc(vm->ram_size >> 12, 1);
	vm->pio_map = calloc(65536, sizeof(*vm->pio_map));
	vm->loop = loop_new();
	vm->tbc = tb_cache_new();
	if (!vm->code_pages || !vm->pio_map || !vm->loop || !vm->tbc) {
		error_setg(errp, "out of memory");
		vm_free(vm);
		return NULL;
	}
	{
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		vm->clock_base = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	}
	vm->ncpus = cfg->smp;
	for (int i = 0; i < vm->ncpus; i++) {
		vm->vcpus[i] = vcpu_create(vm, i, cc.model, cc.features);
		if (!vm->vcpus[i]) {
			error_setg(errp, "out of memory");
			vm_free(vm);
			return NULL;
		}
	}
	return vm;
}

void vm_free(struct vm *vm)
{
	if (!vm)
		return;
	vcpus_join(vm);
	device_destroy_all(vm);
	chardev_destroy_all(vm);
	opts_free(vm->globals);
	for (int i = 0; i < vm->ncpus; i++) {
		if (vm->vcpus[i]) {
			pthread_mutex_destroy(&vm->vcpus[i]->halt_lock);
			pthread_cond_destroy(&vm->vcpus[i]->cond);
			free(vm->vcpus[i]);
		}
	}
	for (int i = 0; i < vm->nregions; i++)
		free(vm->regions[i]);
	free(vm->regions);
	while (vm->dead_regions) {
		struct mem_region *r = vm->dead_regions;
		vm->dead_regions = r->next_dead;
		free(r);
	}
	if (vm->pio_map) {
		/* pio regions are owned by the table: free each once */
		for (int p = 0; p < 65536; p++) {
			struct pio_region *r = vm->pio_map[p];
			if (r) {
				for (uint32_t q = r->base; q < r->base + r->len; q++)
					vm->pio_map[q] = NULL;
				free(r);
			}
		}
		free(vm->pio_map);
	}
	free(vm->code_pages);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	if (vm->tbc)
		tb_cache_free(vm->tbc);
	loop_free(vm->loop);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
}

void vm_request(struct vm *vm, enum vm_event ev)
{
	/* The first request wins until the main loop handles it, except that
	 * an exit (isa-debug-exit) or quit overrides a pending reset. */
	enum vm_event cur = __atomic_load_n(&vm->event, __ATOMIC_ACQUIRE);
	if (cur == VM_EVENT_NONE || ev == VM_EVENT_EXIT || ev == VM_EVENT_HOST_QUIT)
		__atomic_store_n(&vm->event, ev, __ATOMIC_RELEASE);
	loop_kick(vm);
}

void vm_log(struct vm *vm, unsigned flag, const char *fmt, ...)
{
	if (!(vm->cfg.log_flags & flag))
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(vm->logfile ? (FILE *)vm->logfile : stderr, fmt, ap);
	va_end(ap);
}

const char *run_state_name(enum run_state s)
{
	static const char *const names[] = {
		[RUN_STATE_PRELAUNCH] = "prelaunch", [RUN_STATE_RUNNING] = "running",
		[RUN_STATE_PAUSED] = "paused", [RUN_STATE_SHUTDOWN] = "shutdown",
		[RUN_STATE_INTERNAL_ERROR] = "internal-error", [RUN_STATE_GUEST_PANICKED] = "guest-panicked",
	};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

static void vm_notify(struct vm *vm, enum vm_notify what, enum vm_event cause)
{
	if (vm->notify)
		vm->notify(vm, what, cause);
}

void vm_stop(struct vm *vm, enum run_state state)
{
	if (vm->run_state != RUN_STATE_RUNNING)
		return;
	vm->run_state = state;
	vm->running = false;
	vm_unlock(vm);
	vcpus_pause(vm);
	vm_lock(vm);
	vm_clock_stop(vm);
	vm_notify(vm, VM_NOTIFY_STOP, VM_EVENT_NONE);
}

void vm_cont(struct vm *vm)
{
	if (vm->run_state == RUN_STATE_RUNNING)
		return;
	vm->run_state = RUN_STATE_RUNNING;
	vm->running = true;
	vm_clock_start(vm);
	vcpus_resume(vm);
	vm_notify(vm, VM_NOTIFY_RESUME, VM_EVENT_NONE);
}

int vm_start(struct vm *vm)
{
	if (vm->cfg.start_paused) {
		/* -S: the vCPU threads park before their first instruction and
		 * guest time stands still until cont. */
		vm->run_state = RUN_STATE_PRELAUNCH;
		vm_clock_stop(vm);
		for (int i = 0; i < vm->ncpus; i++)
			vm->vcpus[i]->stopped = true;
	} else {
		vm->run_state = RUN_STATE_RUNNING;
		vm->running = true;
	}
	for (int i = 0; i < vm->ncpus; i++) {
		int r = vcpu_start(vm->vcpus[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Machine reset: park the vCPUs, reset devices and CPUs, let the machine
 * reload what it loads (kernel, firmware), and go on. */
static void vm_reset(struct vm *vm)
{
	vm_unlock(vm);
	vcpus_pause(vm);
	vm_lock(vm);
	vm->a20_mask = ~0ull;
	for (int i = 0; i < vm->ncpus; i++)
		vcpu_reset(vm->vcpus[i]);
	tb_flush(vm->tbc);
	memset(vm->code_pages, 0, vm->ram_size >> 12);
	device_reset_all(vm);
	if (vm->reset_hook)
		vm->reset_hook(vm);
	/* A stopped VM stays stopped, in prelaunch as QEMU does after a
	 * reset of a VM that was not running. */
	if (vm->run_state == RUN_STATE_RUNNING)
		vcpus_resume(vm);
	else
		vm->run_state = RUN_STATE_PRELAUNCH;
}

int vm_main_loop(struct vm *vm)
{
	int status = 0;
	vm_lock(vm);
	for (;;) {
		loop_poll_once(vm, -1);
		enum vm_event ev = __atomic_exchange_n(&vm->event, VM_EVENT_NONE, __ATOMIC_ACQ_REL);
		if (ev == VM_EVENT_NONE)
			continue;
		bool reset = ev == VM_EVENT_GUEST_RESET || ev == VM_EVENT_HOST_RESET;
		if (reset && !vm->cfg.no_reboot) {
			vm_reset(vm);
			vm_notify(vm, VM_NOTIFY_RESET, ev);
			continue;
		}
		/* -no-reboot turns a reset into a shutdown (QEMU does so for
		 * system_reset too); the monitor reports the cause. */
		if (ev != VM_EVENT_EXIT)
			vm_notify(vm, VM_NOTIFY_SHUTDOWN, ev);
		if (ev == VM_EVENT_GUEST_SHUTDOWN && vm->cfg.no_shutdown) {
			/* -no-shutdown: stay alive, paused, for the monitor. */
			if (vm->run_state == RUN_STATE_RUNNING) {
				vm_stop(vm, RUN_STATE_SHUTDOWN);
			} else {
				vm->run_state = RUN_STATE_SHUTDOWN;
			}
			continue;
		}
		status = ev == VM_EVENT_EXIT ? vm->exit_code : 0;
		break;
	}
	vm_unlock(vm);
	vcpus_join(vm);
	return status;
}
