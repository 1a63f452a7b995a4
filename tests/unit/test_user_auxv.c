/* Unit test of the initial process stack (argc, argv, envp, auxv, strings)
 * built by user_setup_stack(), for both word sizes (SysV psABI §3.4.1). */
#include "harness.h"
#include "user/user.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

static uint64_t word(struct user_proc *p, uint64_t a)
{
	if (p->abi32) {
		uint32_t v;
		memcpy(&v, g2h(p, a), 4);
		return v;
	}
	uint64_t v;
	memcpy(&v, g2h(p, a), 8);
	return v;
}

static void check(int abi32)
{
	static uint8_t mem[65536] __attribute__((aligned(16)));
	struct user_proc p;
	memset(&p, 0, sizeof(p));
	memset(mem, 0xcc, sizeof(mem));
	p.abi32 = abi32;
	p.reserved = 1;
	p.reserve = sizeof(mem);
	p.guest_base = (uintptr_t)mem;
	char *argv[] = { "prog", "-x", "arg two", NULL };
	char *envp[] = { "A=1", "PATH=/bin", NULL };
	uint8_t rnd[16];
	for (int i = 0; i < 16; i++)
		rnd[i] = (uint8_t)(i * 7);
	uint64_t aux[] = { AT_PAGESZ, 4096, AT_RANDOM, 0, AT_EXECFN, 0, AT_PLATFORM, 0, AT_ENTRY, 0x1234 };
	uint64_t sp = user_setup_stack(&p, sizeof(mem), argv, envp, aux, 5, "/bin/prog", rnd);
	unsigned ws = abi32 ? 4 : 8;
	const char *tag = abi32 ? "i386" : "x86_64";
	tap_ok(sp % 16 == 0, "%s: sp 16-byte aligned", tag);
	tap_ok(word(&p, sp) == 3, "%s: argc", tag);
	int ok = 1;
	for (int i = 0; i < 3; i++)
		ok &= !strcmp((char *)g2h(&p, word(&p, sp + ws * (1 + (unsigned)i))), argv[i]);
	tap_ok(ok && word(&p, sp + 4 * ws) == 0, "%s: argv strings and NULL", tag);
	uint64_t e = sp + 5 * ws;
	tap_ok(!strcmp(g2h(&p, word(&p, e)), "A=1") && !strcmp(g2h(&p, word(&p, e + ws)), "PATH=/bin") &&
		       word(&p, e + 2 * ws) == 0,
	       "%s: envp", tag);
	uint64_t a = e + 3 * ws;
	int seen = 0;
	for (int i = 0; i < 10; i++, a += 2 * ws) {
		uint64_t k = word(&p, a), v = word(&p, a + ws);
		if (k == AT_NULL)
			break;
		if (k == AT_PAGESZ && v == 4096)
			seen |= 1;
		if (k == AT_RANDOM && !memcmp(g2h(&p, v), rnd, 16))
			seen |= 2;
		if (k == AT_EXECFN && !strcmp(g2h(&p, v), "/bin/prog"))
			seen |= 4;
		if (k == AT_PLATFORM && !strcmp(g2h(&p, v), abi32 ? "i686" : "x86_64"))
			seen |= 8;
		if (k == AT_ENTRY && v == 0x1234)
			seen |= 16;
	}
	tap_ok(seen == 31 && word(&p, a) == AT_NULL, "%s: auxv entries resolved (%#x)", tag, seen);
	tap_ok(p.auxv_len == 6 * 2 * ws && !memcmp(p.auxv, g2h(&p, e + 3 * ws), p.auxv_len),
	       "%s: /proc/self/auxv copy", tag);
	tap_ok(word(&p, sizeof(mem) - ws) == 0, "%s: end marker", tag);
}

int main(void)
{
	check(0);
	check(1);
	return tap_done();
}
