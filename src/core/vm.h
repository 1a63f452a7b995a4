/*
 * struct vm: everything of one virtual machine.  No globals: two VMs in one
 * process work (unit tests rely on it).
 *
 * Threads and locking.  Each vCPU runs on its own host thread (vcpu.c);
 * the main thread runs the I/O loop (loop.h).  vm->lock is the big VM lock:
 * held by the I/O thread while it runs device callbacks (timers, fd
 * handlers, bottom halves) and by a vCPU thread around every MMIO and port
 * access and around interrupt acknowledge.  RAM accesses and translated
 * code run without it.  Devices therefore never need their own locks.
 */
#ifndef LEMU_CORE_VM_H
#define LEMU_CORE_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/irq.h"
#include "core/loop.h"
#include "core/memory.h"
#include "cpu/x86/cpu.h"

#define VM_MAX_CPUS 64
/* The guest TSC counts vm_clock_ns nanoseconds (1 GHz) plus the vCPU's
 * cpu.tsc_offset (written by WRMSR TSC); the TSC-deadline timer converts
 * with this too: deadline ns = tsc - tsc_offset. */
#define VM_TSC_HZ 1000000000ull

struct vm;
struct device;
struct chardev;
struct lapic;

/* Requests to a vCPU (vcpu->req bits), set by any thread with vcpu_kick. */
#define VCPU_REQ_INTR 0x01  /* the interrupt controller may have an interrupt: re-poll */
#define VCPU_REQ_NMI 0x02
#define VCPU_REQ_INIT 0x04
#define VCPU_REQ_SIPI 0x08  /* vcpu->sipi_vector holds the vector */
#define VCPU_REQ_TLB 0x10   /* flush the soft TLB (memory map changed) */
#define VCPU_REQ_STOP 0x20  /* pause (monitor stop, reset, shutdown) */
#define VCPU_REQ_SMI 0x40

struct vcpu {
	struct cpu cpu; /* first: cpu->opaque points back to the vcpu */
	struct vm *vm;
	int index;
	uint32_t apic_id;
	pthread_t thread;
	atomic_uint req;
	int sipi_vector;
	bool wait_sipi; /* AP after INIT: waits for a SIPI */
	bool halted;    /* in HLT, waiting for an interrupt */
	bool stopped;   /* parked by VCPU_REQ_STOP */
	struct lapic *apic;
	pthread_mutex_t halt_lock; /* with cond: sleeping in HLT / parked / waiting for SIPI */
	pthread_cond_t cond;
	struct mem_region *last_region; /* lookup cache (valid while mem_gen matches) */
	unsigned last_gen;
	bool is_bsp;
	bool parked;    /* the thread is parked (vcpus_pause waits for it) */
	int tid;        /* host thread id (query-cpus-fast "thread-id") */
};

/* The interrupt controller as the CPU sees it (the LAPIC, with the 8259 behind
 * LINT0 in virtual-wire mode).  Both are called with vm->lock held. */
struct intc_ops {
	/* A maskable interrupt is deliverable to this vCPU now (ignoring IF). */
	bool (*pending)(struct vcpu *v);
	/* INTA: the vector to deliver (and move it to in-service), or -1. */
	int (*ack)(struct vcpu *v);
};

/* Why the VM stops or restarts (QEMU's ShutdownCause names). */
enum vm_event {
	VM_EVENT_NONE,
	VM_EVENT_GUEST_SHUTDOWN, /* ACPI S5, isa-debug-exit is separate (exit code) */
	VM_EVENT_GUEST_RESET,    /* keyboard controller, 0xcf9, ACPI reset reg, triple fault */
	VM_EVENT_GUEST_PANIC,
	VM_EVENT_HOST_QUIT,      /* monitor quit, Ctrl-A x */
	VM_EVENT_HOST_SIGNAL,
	VM_EVENT_EXIT,           /* isa-debug-exit: exit with vm->exit_code */
	VM_EVENT_HOST_RESET,     /* monitor system_reset */
};

/* Run states, as QEMU names them in query-status / info status. */
enum run_state {
	RUN_STATE_PRELAUNCH, /* -S: built, vCPUs never ran */
	RUN_STATE_RUNNING,
	RUN_STATE_PAUSED,    /* monitor stop */
	RUN_STATE_SHUTDOWN,  /* guest powered off under -no-shutdown */
	RUN_STATE_INTERNAL_ERROR,
	RUN_STATE_GUEST_PANICKED,
};
const char *run_state_name(enum run_state s);

/* What the run-state machine tells the monitor through vm->notify (QMP
 * events STOP, RESUME, RESET, SHUTDOWN); `cause` is the request behind a
 * reset or shutdown, else VM_EVENT_NONE.  I/O thread, VM lock held. */
enum vm_notify { VM_NOTIFY_STOP, VM_NOTIFY_RESUME, VM_NOTIFY_RESET, VM_NOTIFY_SHUTDOWN };

struct vm_config {
	const char *machine; /* "pc", "microvm" */
	uint64_t ram_size;
	int smp;
	int sockets, cores, threads, maxcpus;
	const char *cpu_model; /* -cpu string */
	const char *kernel, *initrd, *append, *bios;
	const char *name;
	const char *datadir; /* -L */
	bool no_reboot, no_shutdown, nodefaults;
	bool start_paused;   /* -S: stay in prelaunch until the monitor's cont */
	unsigned log_flags;  /* CPU_LOG_* and VM_LOG_* */
};

#define VM_LOG_INT 0x100
#define VM_LOG_GUEST_ERRORS 0x200
#define VM_LOG_UNIMP 0x400

struct vm {
	pthread_mutex_t lock; /* the big VM lock (see above) */
	struct vm_config cfg;

	/* guest RAM: one host mapping, split around the PCI hole by the machine */
	uint8_t *ram;
	uint64_t ram_size;
	uint64_t below_4g; /* bytes of RAM mapped at 0 */
	uint64_t a20_mask; /* ~0, or ~(1 << 20) while A20 is disabled */

	/* memory.c private state */
	struct mem_region **regions;
	int nregions;
	struct mem_region *dead_regions; /* retired by mem_del, reused by mem_add_* */
	struct pio_region **pio_map; /* 65536 entries */
	uint8_t *code_pages;         /* per RAM page: has translated code */
	atomic_uint mem_gen;         /* bumped when the map changes */

	/* CPUs */
	int ncpus;
	struct vcpu *vcpus[VM_MAX_CPUS];
	struct tb_cache *tbc;
	const struct intc_ops *intc;
	void *intc_opaque;
	/* MSRs the CPU core does not keep (APIC base, x2APIC, TSC deadline):
	 * set by the interrupt controller; 0 or -1 for #GP.  VM lock held. */
	int (*msr_read)(struct vcpu *v, uint32_t idx, uint64_t *val);
	int (*msr_write)(struct vcpu *v, uint32_t idx, uint64_t val);

	/* the I/O loop (loop.c private state) */
	struct loop *loop;
	int64_t clock_base;  /* host ns at vm_clock 0 */
	int64_t clock_stopped_at; /* -1 while running */

	/* devices (device.c), in creation order */
	struct device *devices;
	struct irq gsi[24];          /* PC: ISA IRQ n -> 8259 pin n and IOAPIC GSI */
	void *machine;               /* the machine's own state (struct pc_machine …) */
	struct chardev *serial[4];   /* -serial backends for COM1..COM4 */
	struct chardev *debugcon;
	struct chardev *chardevs;    /* every chardev (chardev.c), for lookup by id */
	struct blk_backend *drives;  /* -drive/-blockdev backends (hw/block_backend.c) */
	struct net_state *net;       /* net clients, hubs, -nic requests (net/net.c) */
	struct opts *globals;        /* -global DRIVER.PROP=VALUE (device_create applies them) */

	/* run state */
	enum vm_event event;     /* pending request for the main loop */
	int exit_code;           /* process exit status when event == VM_EVENT_EXIT */
	bool running;            /* run_state == RUN_STATE_RUNNING */
	enum run_state run_state;
	void (*notify)(struct vm *vm, enum vm_notify what, enum vm_event cause);
	void *monitors;          /* src/monitor state (struct monitor_hub) */
	atomic_bool quit;        /* vCPU threads exit */
	void *logfile;           /* FILE * for -d output (-D), or NULL = stderr */
	void (*reset_hook)(struct vm *vm); /* machine reset (devices, CPUs, firmware) */
};

/* vm.c */
struct vm *vm_new(const struct vm_config *cfg, struct error **errp);
void vm_free(struct vm *vm);
/* Ask the main loop to shut down / reset / exit (any thread). */
void vm_request(struct vm *vm, enum vm_event ev);
/* Monitor stop/cont (I/O thread, VM lock held; the lock is dropped while
 * the vCPUs park).  vm_stop does nothing unless the VM runs; vm_cont does
 * nothing if it runs already, else starts the vCPUs (also from prelaunch). */
void vm_stop(struct vm *vm, enum run_state state);
void vm_cont(struct vm *vm);
static inline void vm_lock(struct vm *vm) { pthread_mutex_lock(&vm->lock); }
static inline void vm_unlock(struct vm *vm) { pthread_mutex_unlock(&vm->lock); }

/* vcpu.c */
/* The vCPU running on the calling thread (for per-CPU MMIO such as the
 * LAPIC), or NULL on the I/O thread. */
struct vcpu *vcpu_self(void);
/* Set request bits and make the vCPU notice them soon (breaks it out of
 * translated code, wakes it from HLT).  Any thread, lock held or not. */
void vcpu_kick(struct vcpu *v, unsigned req);
struct vcpu *vm_vcpu_by_apic_id(struct vm *vm, uint32_t apic_id);

/* -d guest_errors / unimp logging (printf-like; no output unless enabled). */
__attribute__((format(printf, 3, 4))) void vm_log(struct vm *vm, unsigned flag, const char *fmt, ...);

#endif
