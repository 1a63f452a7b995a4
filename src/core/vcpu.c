/*
 * vCPU threads: each runs the CPU core (cpu_exec) on its own host thread,
 * handles requests from other threads (interrupts, INIT/SIPI, TLB flushes,
 * stop), sleeps in HLT until an interrupt arrives, and provides the
 * cpu_env_ops through which the core reaches guest memory and devices.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/vcpu_int.h"
#include "core/vm.h"
#include "cpu/x86/cpu_model.h"
#include "cpu/x86/mmu.h"

static __thread struct vcpu *vcpu_tls;

struct vcpu *vcpu_self(void)
{
	return vcpu_tls;
}

static inline struct vcpu *to_vcpu(struct cpu *c)
{
	return (struct vcpu *)c->opaque;
}

void vcpu_kick(struct vcpu *v, unsigned req)
{
	atomic_fetch_or(&v->req, req);
	v->cpu.exit_request = 1;
	pthread_mutex_lock(&v->halt_lock);
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->halt_lock);
}

struct vcpu *vm_vcpu_by_apic_id(struct vm *vm, uint32_t apic_id)
{
	for (int i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i] && vm->vcpus[i]->apic_id == apic_id)
			return vm->vcpus[i];
	return NULL;
}

/* --- the core's view of the machine (cpu_env_ops) ---------------- */

static struct mem_region *vcpu_region(struct vcpu *v, uint64_t paddr)
{
	struct vm *vm = v->vm;
	unsigned gen = atomic_load(&vm->mem_gen);
	struct mem_region *r = v->last_region;
	if (r && v->last_gen == gen && paddr - r->base < r->size)
		return r;
	/* The region list is only changed under the VM lock (PCI BAR writes
	 * come from MMIO/PIO, which hold it), and the old array is not freed
	 * while a vCPU could scan it: take the lock for a stable view. */
	vm_lock(vm);
	r = mem_find(vm, paddr);
	v->last_region = r;
	v->last_gen = atomic_load(&vm->mem_gen);
	vm_unlock(vm);
	return r;
}

static uint8_t *env_phys_ram(struct cpu *c, uint64_t paddr, bool write, bool *code)
{
	struct vcpu *v = to_vcpu(c);
	struct mem_region *r = vcpu_region(v, paddr);
	*code = false;
	if (!r || r->kind == MEM_MMIO || (write && r->kind == MEM_ROM))
		return NULL;
	uint8_t *host = r->host + (paddr - r->base);
	if (r->kind == MEM_RAM) {
		size_t idx = (size_t)(host - v->vm->ram) >> 12;
		if (idx < (v->vm->ram_size >> 12))
			*code = __atomic_load_n(&v->vm->code_pages[idx], __ATOMIC_RELAXED) != 0;
	}
	return host;
}

static uint64_t env_phys_io_read(struct cpu *c, uint64_t paddr, unsigned size)
{
	struct vcpu *v = to_vcpu(c);
	struct vm *vm = v->vm;
	uint64_t val;
	vm_lock(vm);
	struct mem_region *r = mem_find(vm, paddr);
	if (r && r->kind == MEM_MMIO) {
		val = mmio_read(vm, r, paddr, size);
	} else if (r) {
		val = 0;
		memcpy(&val, r->host + (paddr - r->base), size);
	} else {
		vm_log(vm, VM_LOG_GUEST_ERRORS, "read from unassigned memory 0x%llx size %u\n",
		       (unsigned long long)paddr, size);
		val = size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
	}
	vm_unlock(vm);
	return val;
}

static void env_phys_io_write(struct cpu *c, uint64_t paddr, uint64_t val, unsigned size)
{
	struct vcpu *v = to_vcpu(c);
	struct vm *vm = v->vm;
	vm_lock(vm);
	struct mem_region *r = mem_find(vm, paddr);
	if (r && r->kind == MEM_MMIO)
		mmio_write(vm, r, paddr, val, size);
	else if (!r)
		vm_log(vm, VM_LOG_GUEST_ERRORS, "write to unassigned memory 0x%llx size %u\n",
		       (unsigned long long)paddr, size);
	/* ROM: writes are ignored, as on a real flash/ROM without commands. */
	vm_unlock(vm);
}

static void env_code_write(struct cpu *c, uint64_t paddr, unsigned len)
{
	struct vcpu *v = to_vcpu(c);
	struct vm *vm = v->vm;
	bool code;
	uint8_t *host = env_phys_ram(c, paddr, true, &code);
	if (!host || !code)
		return;
	size_t idx = (size_t)(host - vm->ram) >> 12;
	__atomic_store_n(&vm->code_pages[idx], 0, __ATOMIC_RELAXED);
	if (tb_invalidate_range(vm->tbc, paddr & ~0xfffull, 4096) > 0)
		c->tb_break = 1; /* the running TB may be one of them */
	(void)len;
}

static void env_code_page_used(struct cpu *c, uint64_t paddr)
{
	struct vcpu *v = to_vcpu(c);
	struct vm *vm = v->vm;
	bool code;
	uint8_t *host = env_phys_ram(c, paddr, false, &code);
	if (!host || code)
		return;
	struct mem_region *r = vcpu_region(v, paddr);
	if (!r || r->kind != MEM_RAM)
		return;
	size_t idx = (size_t)(host - vm->ram) >> 12;
	__atomic_store_n(&vm->code_pages[idx], 1, __ATOMIC_SEQ_CST);
	/* No vCPU may keep writing this page through its fast path. */
	for (int i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i])
			cpu_tlb_drop_write(&vm->vcpus[i]->cpu, paddr & ~0xfffull);
}

static uint32_t env_io_in(struct cpu *c, uint16_t port, unsigned size)
{
	struct vm *vm = to_vcpu(c)->vm;
	vm_lock(vm);
	uint32_t v = pio_read(vm, port, size);
	vm_unlock(vm);
	return v;
}

static void env_io_out(struct cpu *c, uint16_t port, uint32_t val, unsigned size)
{
	struct vm *vm = to_vcpu(c)->vm;
	vm_lock(vm);
	pio_write(vm, port, val, size);
	vm_unlock(vm);
}

/*
 * MSRs neither the core nor the interrupt controller knows read as 0 and
 * ignore writes, as QEMU's TCG does: guests tuned on QEMU (Linux reads AMD's
 * SYSCFG with a plain RDMSR on the qemu64 model) expect no #GP there.
 * -d unimp shows them.
 */
static int env_msr_read(struct cpu *c, uint32_t idx, uint64_t *val)
{
	struct vcpu *v = to_vcpu(c);
	int r = -1;
	if (v->vm->msr_read) {
		vm_lock(v->vm);
		r = v->vm->msr_read(v, idx, val);
		vm_unlock(v->vm);
	}
	if (r < 0) {
		vm_log(v->vm, VM_LOG_UNIMP, "vCPU %d: rdmsr 0x%x: unknown MSR, reads as 0\n", v->index, idx);
		*val = 0;
	}
	return 0;
}

static int env_msr_write(struct cpu *c, uint32_t idx, uint64_t val)
{
	struct vcpu *v = to_vcpu(c);
	int r = -1;
	if (v->vm->msr_write) {
		vm_lock(v->vm);
		r = v->vm->msr_write(v, idx, val);
		vm_unlock(v->vm);
	}
	if (r < 0)
		vm_log(v->vm, VM_LOG_UNIMP, "vCPU %d: wrmsr 0x%x <- 0x%llx: unknown MSR, ignored\n", v->index, idx,
		       (unsigned long long)val);
	return 0;
}

static uint64_t env_rdtsc(struct cpu *c)
{
	return (uint64_t)vm_clock_ns(to_vcpu(c)->vm);
}

static void env_tpr_changed(struct cpu *c)
{
	/* A lower TPR may unmask a pending interrupt: re-poll. */
	struct vcpu *v = to_vcpu(c);
	atomic_fetch_or(&v->req, VCPU_REQ_INTR);
	c->exit_request = 1;
}

static const uint8_t *env_code_page(struct cpu *c, uint64_t page)
{
	uint64_t phys;
	return mmu_code_page(c, page, &phys);
}

static const struct cpu_env_ops sys_env_ops = {
	.code_page = env_code_page,
	.mem_slow = mmu_mem_slow,
	.io_in = env_io_in,
	.io_out = env_io_out,
	.msr_read = env_msr_read,
	.msr_write = env_msr_write,
	.rdtsc = env_rdtsc,
	.tpr_changed = env_tpr_changed,
	.phys_ram = env_phys_ram,
	.phys_io_read = env_phys_io_read,
	.phys_io_write = env_phys_io_write,
	.code_write = env_code_write,
	.code_page_used = env_code_page_used,
};

/* --- lifecycle ---------------------------------------------------- */

/* Power-on / INIT state (SDM vol. 3 §9.1.1): real mode at F000:FFF0. */
void vcpu_reset(struct vcpu *v)
{
	struct cpu *c = &v->cpu;
	const struct cpu_model *model = c->model;
	uint32_t features[FW_NB];
	memcpy(features, c->features, sizeof(features));
	const struct cpu_env_ops *env = c->env;
	void *opaque = c->opaque;
	unsigned log_flags = c->log_flags;
	void *logfile = c->logfile;
	cpu_init(c, model, CPU_MODE_REAL);
	memcpy(c->features, features, sizeof(features));
	c->env = env;
	c->opaque = opaque;
	c->log_flags = log_flags;
	c->logfile = logfile;
	c->mem_direct = false;
	/* The system block lives after tbc, which cpu_init keeps. */
	c->sysmode = true;
	c->mmu_idx = MMU_KERNEL;
	c->gdt = (struct dtable){ 0, 0xffff };
	c->idt = (struct dtable){ 0, 0xffff };
	memset(&c->ldt, 0, sizeof(c->ldt));
	c->ldt.limit = 0xffff;
	c->ldt.flags = 0x8200;
	memset(&c->tr, 0, sizeof(c->tr));
	c->tr.limit = 0xffff;
	c->tr.flags = 0x8b00;
	memset(c->dr, 0, sizeof(c->dr));
	c->dr[6] = 0xffff0ff0;
	c->dr[7] = 0x400;
	c->sysenter_cs = c->sysenter_esp = c->sysenter_eip = 0;
	c->star = c->lstar = c->cstar = c->fmask = 0;
	c->pat = 0x0007040600070406ull;
	c->misc_enable = 1; /* fast strings */
	c->mtrr_def_type = 0;
	memset(c->mtrr_fixed, 0, sizeof(c->mtrr_fixed));
	memset(c->mtrr_var, 0, sizeof(c->mtrr_var));
	c->tsc_offset = 0;
	c->delivering = -1;
	c->inject_vector = -1;
	c->intr_shadow = ~0ull;
	c->nmi_blocked = false;
	c->shutdown = false;
	c->bounce_pending = false;
	c->implicit_sv = false;
	c->a20_mask = v->vm->a20_mask;
	c->xcr0 = 1;
	c->regs[R_RDX] = 0x600; /* processor signature after reset: family 6 */
	cpu_tlb_flush(c);
	cpu_update_mode(c);
	v->halted = false;
	v->wait_sipi = !v->is_bsp;
	atomic_store(&v->req, 0);
}

struct vcpu *vcpu_create(struct vm *vm, int index, const struct cpu_model *model,
			 const uint32_t *features)
{
	struct vcpu *v = aligned_alloc(64, (sizeof(*v) + 63) & ~(size_t)63);
	if (!v)
		return NULL;
	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->index = index;
	v->apic_id = (uint32_t)index;
	v->is_bsp = index == 0;
	pthread_mutex_init(&v->halt_lock, NULL);
	pthread_cond_init(&v->cond, NULL);
	struct cpu *c = &v->cpu;
	cpu_init(c, model, CPU_MODE_REAL);
	if (features)
		memcpy(c->features, features, sizeof(c->features));
	c->env = &sys_env_ops;
	c->opaque = v;
	c->tbc = vm->tbc;
	c->apic_id = v->apic_id;
	c->log_flags = vm->cfg.log_flags & 0xff;
	c->logfile = vm->logfile;
	vcpu_reset(v);
	return v;
}

/* Requests from other threads, then interrupt delivery decisions.  Returns
 * false when the vCPU has nothing to run (halted, parked, waiting). */
static bool vcpu_prepare(struct vcpu *v)
{
	struct cpu *c = &v->cpu;
	struct vm *vm = v->vm;
	unsigned req = atomic_exchange(&v->req, 0);
	if (req & VCPU_REQ_STOP)
		v->stopped = true;
	if (req & VCPU_REQ_TLB) {
		c->a20_mask = vm->a20_mask;
		cpu_tlb_flush(c);
		v->last_region = NULL;
	}
	if (req & VCPU_REQ_INIT) {
		if (v->is_bsp) {
			vm_log(vm, VM_LOG_GUEST_ERRORS, "INIT to the BSP ignored\n");
		} else {
			vm_log(vm, VM_LOG_INT, "vCPU %d: INIT\n", v->index);
			vcpu_reset(v);
			v->wait_sipi = true;
		}
	}
	if ((req & VCPU_REQ_SIPI) && v->wait_sipi) {
		/* Start-up: real mode at vector << 8 : 0 (SDM vol. 3 §8.4.4). */
		vm_log(vm, VM_LOG_INT, "vCPU %d: SIPI, start at %02x00:0000\n", v->index, v->sipi_vector);
		v->wait_sipi = false;
		v->halted = false;
		c->seg[SEG_CS].sel = (uint16_t)(v->sipi_vector << 8);
		cpu_set_seg_base(c, SEG_CS, (uint64_t)v->sipi_vector << 12);
		c->rip = 0;
		cpu_update_mode(c);
	}
	if (v->stopped || v->wait_sipi)
		return false;
	if (req & VCPU_REQ_NMI) {
		if (!c->nmi_blocked) {
			c->inject_vector = EXC_NMI;
			c->inject_kind = EV_NMI;
			v->halted = false;
			return true;
		}
		atomic_fetch_or(&v->req, VCPU_REQ_NMI); /* keep it pending until IRET */
	}
	/* Maskable interrupts: level-sensitive, so always ask the controller. */
	if (vm->intc && (c->eflags & FL_IF) && c->rip != c->intr_shadow) {
		vm_lock(vm);
		int vec = vm->intc->pending(v) ? vm->intc->ack(v) : -1;
		vm_unlock(vm);
		if (vec >= 0) {
			c->inject_vector = vec;
			c->inject_kind = EV_HW;
			v->halted = false;
			return true;
		}
	}
	if (v->halted && vm->intc && !(c->eflags & FL_IF)) {
		/* HLT with interrupts off waits for NMI/INIT/SIPI only. */
	}
	return !v->halted;
}

/* Sleep until another thread sets a request. */
static void vcpu_wait(struct vcpu *v)
{
	pthread_mutex_lock(&v->halt_lock);
	while (!atomic_load(&v->req))
		pthread_cond_wait(&v->cond, &v->halt_lock);
	pthread_mutex_unlock(&v->halt_lock);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct cpu *c = &v->cpu;
	struct vm *vm = v->vm;
	vcpu_tls = v;
	v->tid = (int)gettid();
	for (;;) {
		if (atomic_load(&vm->quit))
			break;
		/* Clear the exit flag before taking the requests: a kick that
		 * lands after this point sets it again and is seen by cpu_exec. */
		c->exit_request = 0;
		if (!vcpu_prepare(v)) {
			if (v->stopped) {
				pthread_mutex_lock(&v->halt_lock);
				v->parked = true;
				pthread_cond_broadcast(&v->cond);
				while (v->stopped && !atomic_load(&vm->quit))
					pthread_cond_wait(&v->cond, &v->halt_lock);
				v->parked = false;
				pthread_mutex_unlock(&v->halt_lock);
				continue;
			}
			vcpu_wait(v);
			continue;
		}
		int r = cpu_exec(c);
		switch (r) {
		case EXIT_HLT:
			v->halted = true;
			break;
		case EXIT_REQUEST:
		case EXIT_NONE:
			break;
		case EXIT_SHUTDOWN:
			/* Triple fault: the PC resets (QEMU: guest-reset). */
			vm_log(vm, VM_LOG_GUEST_ERRORS, "triple fault at rip 0x%llx: resetting\n",
			       (unsigned long long)c->rip);
			if (vm->cfg.log_flags & VM_LOG_INT)
				cpu_dump_state(c, vm->logfile);
			vm_request(vm, VM_EVENT_GUEST_RESET);
			v->stopped = true;
			break;
		default:
			/* An exception the core could not deliver (no system CPU
			 * support for it): report and stop the machine. */
			fprintf(stderr, "lemu-system-x86_64: vCPU %d: unhandled exception %d (error 0x%x) at rip 0x%llx\n",
				v->index, c->exc_vector, c->exc_error, (unsigned long long)c->rip);
			cpu_dump_state(c, stderr);
			vm->exit_code = 1;
			vm_request(vm, VM_EVENT_EXIT);
			v->stopped = true;
			break;
		}
	}
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	return -pthread_create(&v->thread, NULL, vcpu_thread, v);
}

/* Park every vCPU (they finish their current TB) and wait until they are.
 * Called from the I/O thread with the VM lock NOT held. */
void vcpus_pause(struct vm *vm)
{
	for (int i = 0; i < vm->ncpus; i++)
		vcpu_kick(vm->vcpus[i], VCPU_REQ_STOP);
	for (int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = vm->vcpus[i];
		pthread_mutex_lock(&v->halt_lock);
		while (!v->parked) {
			/* Re-kick: a vCPU sleeping in HLT consumed nothing yet. */
			atomic_fetch_or(&v->req, VCPU_REQ_STOP);
			v->cpu.exit_request = 1;
			pthread_cond_broadcast(&v->cond);
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 10000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&v->cond, &v->halt_lock, &ts);
		}
		pthread_mutex_unlock(&v->halt_lock);
	}
}

void vcpus_resume(struct vm *vm)
{
	for (int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = vm->vcpus[i];
		pthread_mutex_lock(&v->halt_lock);
		v->stopped = false;
		atomic_fetch_and(&v->req, ~(unsigned)VCPU_REQ_STOP);
		atomic_fetch_or(&v->req, VCPU_REQ_INTR);
		pthread_cond_broadcast(&v->cond);
		pthread_mutex_unlock(&v->halt_lock);
	}
}

void vcpus_join(struct vm *vm)
{
	atomic_store(&vm->quit, true);
	for (int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = vm->vcpus[i];
		if (!v || !v->thread)
			continue;
		vcpu_kick(v, VCPU_REQ_STOP);
		pthread_mutex_lock(&v->halt_lock);
		pthread_cond_broadcast(&v->cond);
		pthread_mutex_unlock(&v->halt_lock);
		pthread_join(v->thread, NULL);
		v->thread = 0;
	}
}
