/*
 * A hostile guest cannot crash the emulator: random byte strings are
 * executed as 32-bit and 16-bit code (their addresses stay inside the
 * harness's 4 GiB reservation, so every stray access is a guest #PF, not
 * a host one).  Each run must end in a guest exception, a system-call
 * exit or the watchdog's exit request; the process must survive all of
 * them.  Each snippet runs twice, on a CPU whose TB cache generates
 * call-threaded code with inline templates and on one that interprets
 * (LEMU_NO_TBGEN), and the two must end in the same state: registers,
 * flags, RIP, the exception and the data memory (runs cut short by the
 * watchdog are not compared).  Under the ASan/UBSan build this also finds
 * memory errors in handlers reached with odd operands.
 */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

/* The watchdog asks the running vCPU to stop (like a host signal would in
 * user mode); state reached through the thread's current vCPU. */
static void on_alarm(int sig)
{
	(void)sig;
	if (cpu_current)
		cpu_current->exit_request = 1;
}

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void setup(struct harness *h, int r, const uint64_t *regs)
{
	struct cpu *c = &h->cpu;
	/* a fresh CPU each run, so one divergence cannot cascade */
	struct tb_cache *tbc = c->tbc;
	uintptr_t base = c->guest_base;
	const struct cpu_env_ops *env = c->env;
	cpu_init(c, c->model, CPU_MODE_USER32);
	c->tbc = tbc;
	c->guest_base = base;
	c->mem_direct = true;
	c->env = env;
	/* 32-bit code mostly, 16-bit code sometimes */
	c->seg[SEG_CS].flags = (r % 4) ? ((1u << 22) | 0xfb00) : 0xfb00;
	cpu_update_mode(c);
	memcpy(c->regs, regs, 16 * sizeof(uint64_t));
	cc_set_flags(c, 0);
	c->eflags = 2;
	c->exit_request = 0;
	memset(h->mem, 0, 0x20000);
	memset(h->mem + HARNESS_DATA, 0, 0x20000);
	memset(h->mem + HARNESS_STACK_TOP - 0x1000, 0, 0x2000);
}

static int same_state(struct harness *a, int va, struct harness *b, int vb)
{
	struct cpu *x = &a->cpu, *y = &b->cpu;
	if (va != vb || x->rip != y->rip || memcmp(x->regs, y->regs, 16 * sizeof(uint64_t)))
		return 0;
	if ((cpu_get_eflags(x) ^ cpu_get_eflags(y)) & (FL_CF | FL_ZF | FL_SF | FL_OF | FL_PF | FL_DF))
		return 0;
	if (va == EXC_PF && x->exc_addr != y->exc_addr) {
		if (getenv("FUZZ_DUMP"))
			printf("# #PF address %#llx vs %#llx\n", (unsigned long long)x->exc_addr,
			       (unsigned long long)y->exc_addr);
		return 0;
	}
	if (getenv("FUZZ_DUMP"))
		for (uint32_t k = 0; k < HARNESS_MEM_SIZE; k++)
			if (a->mem[k] != b->mem[k]) {
				printf("# memory differs at %#x: %02x vs %02x\n", k, a->mem[k], b->mem[k]);
				break;
			}
	return !memcmp(a->mem, b->mem, 0x20000) && !memcmp(a->mem + HARNESS_DATA, b->mem + HARNESS_DATA, 0x20000) &&
	       !memcmp(a->mem + HARNESS_STACK_TOP - 0x1000, b->mem + HARNESS_STACK_TOP - 0x1000, 0x2000);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 3000;
	struct harness hg, hi;
	int bad = harness_init(&hg, 0);
	setenv("LEMU_NO_TBGEN", "1", 1);
	bad |= harness_init(&hi, 0);
	unsetenv("LEMU_NO_TBGEN");
	if (bad) {
		printf("Bail out! harness_init\n");
		return 1;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 2000 }, { 0, 2000 } };
	setitimer(ITIMER_REAL, &it, NULL);

	uint64_t seed = 0x2545f4914f6cdd1dull;
	int outcomes[4] = { 0, 0, 0, 0 }; /* exception, syscall/int, request, other */
	int compared = 0, differ = 0;
	uint8_t code[256];
	for (int r = 0; r < runs; r++) {
		for (size_t k = 0; k < sizeof(code); k += 8) {
			uint64_t v = next(&seed);
			memcpy(code + k, &v, 8);
		}
		/* RDTSC, RDTSCP and RDRAND give different values on every run:
		 * leave snippets that may contain them out of the comparison */
		int nondet = 0;
		for (size_t k = 0; k + 1 < sizeof(code); k++)
			if (code[k] == 0x0f && (code[k + 1] == 0x31 || code[k + 1] == 0xc7 || code[k + 1] == 0x01))
				nondet = 1;
		uint64_t regs[16];
		for (int i = 0; i < 16; i++)
			regs[i] = (r & 1) ? next(&seed) & 0xffffff : HARNESS_DATA + (next(&seed) & 0xffff);
		setup(&hg, r, regs);
		int vg = harness_run(&hg, code, sizeof(code));
		setup(&hi, r, regs);
		int vi = harness_run(&hi, code, sizeof(code));
		if (vg == -2 || vi == -2) {
			/* cut at different points: make the memories equal again
			 * (random stores reach all of guest memory) */
			memcpy(hi.mem, hg.mem, HARNESS_MEM_SIZE);
			outcomes[2]++;
		}
		else if (vg >= 0 && vg < 32)
			outcomes[0]++;
		else if (vg == -1 || vg >= 32)
			outcomes[1]++;
		else
			outcomes[3]++;
		if (vg != -2 && vi != -2 && !nondet) {
			compared++;
			if (!same_state(&hg, vg, &hi, vi)) {
				if (getenv("FUZZ_DUMP") && !differ) {
					printf("# run %d\n", r);
					for (size_t k = 0; k < sizeof(code); k++)
						printf("%02x%s", code[k], k % 32 == 31 ? "\n" : " ");
					cpu_dump_state(&hg.cpu, stdout);
					cpu_dump_state(&hi.cpu, stdout);
				}
				if (differ < 5)
					printf("# run %d: generated code ended with %d at rip %#llx, interpreter with %d at %#llx\n",
					       r, vg, (unsigned long long)hg.cpu.rip, vi, (unsigned long long)hi.cpu.rip);
				differ++;
			}
		}
	}
	it.it_value.tv_usec = 0;
	it.it_interval.tv_usec = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	tap_ok(outcomes[3] == 0,
	       "%d random code runs ended cleanly (%d exceptions, %d syscall/int exits, %d stopped by the watchdog)",
	       runs, outcomes[0], outcomes[1], outcomes[2]);
	tap_ok(outcomes[0] > runs / 2, "most random code faults (%d of %d)", outcomes[0], runs);
	tap_ok(compared > runs / 2 && differ == 0,
	       "generated code and interpreter agree on %d of %d compared runs", compared - differ, compared);
	harness_fini(&hg);
	harness_fini(&hi);
	return tap_done();
}
