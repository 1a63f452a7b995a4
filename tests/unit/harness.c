#include "harness.h"

#include "cpu/x86/cpu_model.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

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
}

int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

static const uint8_t *harness_code_page(struct cpu *c, uint64_t page)
{
	if (page >= HARNESS_MEM_SIZE)
		return NULL;
	return (const uint8_t *)(c->guest_base + page);
}

static const struct cpu_env_ops harness_env = { harness_code_page, NULL };

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	cpu_host_fault((uintptr_t)si->si_addr, 0);
	/* not a guest access: a real crash */
	signal(sig, SIG_DFL);
	raise(sig);
}

int harness_init(struct harness *h, int mode64)
{
	memset(h, 0, sizeof(*h));
	/* Reserve 4 GiB (and a guard above) so that stray 32-bit guest
	 * addresses, and accesses running past 4 GiB, fault cleanly. */
	uint8_t *m = mmap(NULL, (1ull << 32) + (64u << 10), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	if (mprotect(m, HARNESS_MEM_SIZE, PROT_READ | PROT_WRITE))
		return -1;
	h->mem = m;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	cpu_init(&h->cpu, cpu_model_find("max"), mode64 ? CPU_MODE_USER64 : CPU_MODE_USER32);
	h->cpu.guest_base = (uintptr_t)m;
	h->cpu.mem_direct = true;
	h->cpu.env = &harness_env;
	h->cpu.tbc = tb_cache_new();
	return h->cpu.tbc ? 0 : -1;
}

void harness_fini(struct harness *h)
{
	tb_cache_free(h->cpu.tbc);
	munmap(h->mem, (1ull << 32) + (64u << 10));
}

int harness_run(struct harness *h, const void *code, size_t len)
{
	struct cpu *c = &h->cpu;
	memcpy(h->mem + HARNESS_CODE, code, len);
	tb_flush(c->tbc);
	memset(c->jmp_cache, 0, sizeof(c->jmp_cache));
	c->rip = HARNESS_CODE;
	c->regs[R_RSP] = HARNESS_STACK_TOP;
	for (;;) {
		int r = cpu_exec(c);
		if (r == EXIT_INT && c->exc_vector == EXC_BP)
			return -1;
		if (r == EXIT_EXCEPTION || r == EXIT_INT)
			return c->exc_vector;
		if (r == EXIT_SYSCALL)
			return 0x100;
		if (r == EXIT_REQUEST)
			return -2;
	}
}
