/*
 * Differential test of the x87 escape opcodes D8-DF: every encoding runs
 * on the host CPU (the oracle) and on lemu's CPU core (unit harness) from
 * the same state, loaded with FXRSTOR64 natively and cpu_fxrstor() in
 * lemu: random control word (every RC and PC, sometimes unmasked
 * exceptions), random TOP, C0-C3 and tags, registers and memory from edge
 * values (zeros, infinities, QNaN/SNaN with payloads, denormals and
 * pseudo-denormals, unnormals, extremes, rounding ties, huge arguments for
 * FSIN/FPREM, packed BCD with bad digits), random ZF/PF/CF for FCMOVcc.
 * The resulting FXSAVE images (FCW, FSW, tags, FOP, ST0-7), the memory
 * block, RAX (FNSTSW AX) and OSZAPC must be identical, and FDP must point
 * at the memory block in both or in neither (the host updates it only on
 * unmasked exceptions); FIP is not compared (code addresses differ).  Encodings the host rejects with SIGILL must be
 * #UD in lemu.  One TAP line per opcode byte, ModRM.reg and form.
 *
 * Usage: test_x87_diff [iterations]
 */
#include "harness.h"

#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

struct xst {
	uint8_t fx[512];  /* FXSAVE64 image */
	uint64_t rax;     /* 512 */
	uint64_t rflags;  /* 520 */
	uint64_t rsi;     /* 528 */
	uint8_t pad[8];
	uint8_t mem[64];  /* 544 */
} __attribute__((aligned(64)));

static uint8_t host_save[512] __attribute__((aligned(64)));

static void native_run(struct xst *s, void *code)
{
	__asm__ volatile("fxsave64 %[hs]\n\t"
			 "fxrstor64 0(%[s])\n\t"
			 "mov 512(%[s]), %%rax\n\t"
			 "mov 528(%[s]), %%rsi\n\t"
			 "lea -128(%%rsp), %%rsp\n\t"
			 "pushq 520(%[s])\n\t"
			 "popfq\n\t"
			 "call *%[code]\n\t"
			 "pushfq\n\t"
			 "popq 520(%[s])\n\t"
			 "lea 128(%%rsp), %%rsp\n\t"
			 "mov %%rax, 512(%[s])\n\t"
			 "fxsave64 0(%[s])\n\t"
			 "fxrstor64 %[hs]"
			 : [hs] "+m"(host_save)
			 : [s] "r"(s), [code] "r"(code)
			 : "rax", "rsi", "memory", "cc");
}

static sigjmp_buf ill_jmp;
static void on_ill(int sig)
{
	(void)sig;
	siglongjmp(ill_jmp, 1);
}

/* Does the host accept this encoding? */
static int native_valid(uint8_t *page, const uint8_t *code, unsigned n, struct xst *scratch)
{
	memcpy(page, code, n);
	page[n] = 0xc3;
	memset(scratch, 0, sizeof(*scratch));
	uint16_t fcw = 0x37f;
	memcpy(scratch->fx, &fcw, 2);
	uint32_t mx = 0x1f80;
	memcpy(scratch->fx + 24, &mx, 4);
	scratch->rsi = (uintptr_t)scratch->mem;
	scratch->rflags = 0x202;
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_ill;
	sigaction(SIGILL, &sa, &old);
	int ok = 1;
	if (sigsetjmp(ill_jmp, 1))
		ok = 0;
	else
		native_run(scratch, page);
	sigaction(SIGILL, &old, NULL);
	return ok;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct v80 {
	uint64_t m;
	uint16_t e;
};
static const struct v80 edge80[] = {
	{ 0, 0 }, { 0, 0x8000 },
	{ 1ull << 63, 0x3fff }, { 1ull << 63, 0xbfff },
	{ 1ull << 63, 0x4000 }, { 1ull << 63, 0x3ffe }, { 3ull << 62, 0x4000 }, { 3ull << 62, 0x3fff },
	{ 5ull << 61, 0x4000 }, { 5ull << 61, 0xc000 }, { 3ull << 62, 0xbffe },
	{ 0xc90fdaa22168c235ull, 0x4000 }, { 0xc90fdaa22168c235ull, 0xbfff },
	{ 1ull << 63, 0x7fff }, { 1ull << 63, 0xffff },
	{ 0xc000000000000000ull, 0x7fff }, { 0xc000000000001234ull, 0xffff },
	{ 0x8000000000000001ull, 0x7fff }, { 0xa000000000000000ull, 0xffff },
	{ 1, 0 }, { 0x4000000000000000ull, 0x8000 }, { 0x8000000000000001ull, 0 },
	{ 0x4000000000000000ull, 0x3fff }, { 0, 0x7fff }, { 0x4000000000000000ull, 0x7fff },
	{ ~0ull, 0x7ffe }, { ~0ull, 0xfffe }, { 1ull << 63, 1 }, { 1ull << 63, 0x8001 },
	{ 1ull << 63, 0x403e }, { 1ull << 63, 0x403f }, { 0xffffffffffffffffull, 0x403d },
	{ 0x8000008000000000ull, 0x3fff }, { 0x8000000000000400ull, 0x3fff },
	{ 0x8000018000000000ull, 0xbfff }, { 0x8000000000000c00ull, 0x4005 },
	{ ~0ull, 0x3fff }, { ~0ull, 0x3ffe }, { 1ull << 63, 0x3fbf }, { 1ull << 63, 0x3c01 },
	{ 1ull << 63, 0x43fe }, { 1ull << 63, 0x3f81 }, { 1ull << 63, 0x3c00 },
	{ 0x8000000000000000ull, 0x401e }, { 0x8000000000000000ull, 0xc01e },
	{ 0xfffe000000000000ull, 0x400e }, { 0x8000000000000000ull, 0xc00e },
};
#define NEDGE (sizeof(edge80) / sizeof(edge80[0]))

static void gen80(uint64_t *s, uint8_t *out)
{
	struct v80 v;
	unsigned k = rnd(s) % 10;
	if (k < 5) {
		v = edge80[rnd(s) % NEDGE];
	} else if (k < 8) {
		v.m = rnd(s) | (1ull << 63);
		v.e = (uint16_t)(0x3fff + (int)(rnd(s) % 130) - 65);
		if (rnd(s) & 1)
			v.e |= 0x8000;
	} else if (k < 9) {
		v.m = rnd(s) | (1ull << 63);
		v.e = (uint16_t)(rnd(s) & 0xffff);
	} else {
		/* small integers and halves */
		int64_t iv = (int64_t)(rnd(s) % 41) - 20;
		long double d = (long double)iv / ((rnd(s) & 1) ? 1 : 2);
		memcpy(out, &d, 10);
		return;
	}
	memcpy(out, &v.m, 8);
	memcpy(out + 8, &v.e, 2);
}

static const uint32_t edge32[] = { 0, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000,
				   0x7fc00000, 0x7fc01234, 0x7f800001, 0xffa00000, 1, 0x807fffff,
				   0x7f7fffff, 0x00800000, 0x40490fdb, 0x3f000000, 0x4b000000 };
static const uint64_t edge64[] = { 0, 0x8000000000000000ull, 0x3ff0000000000000ull,
				   0x7ff0000000000000ull, 0xfff0000000000000ull,
				   0x7ff8000000000000ull, 0x7ff0000000000001ull, 0xfff4000000000000ull,
				   1, 0x800fffffffffffffull, 0x7fefffffffffffffull,
				   0x0010000000000000ull, 0x400921fb54442d18ull, 0x4330000000000000ull };

static void gen_mem(uint64_t *s, uint8_t *mem)
{
	for (int i = 0; i < 64; i++)
		mem[i] = (uint8_t)rnd(s);
	switch (rnd(s) % 9) {
	case 0: memcpy(mem, &edge32[rnd(s) % (sizeof(edge32) / 4)], 4); break;
	case 1: memcpy(mem, &edge64[rnd(s) % (sizeof(edge64) / 8)], 8); break;
	case 2: { float f = (float)((int)(rnd(s) % 2001) - 1000) / 8; memcpy(mem, &f, 4); break; }
	case 3: { double d = (double)((int64_t)(rnd(s) % 200001) - 100000) / 16; memcpy(mem, &d, 8); break; }
	case 4: {
		static const int64_t ie[] = { 0, 1, -1, 32767, -32768, 2147483647, -2147483647 - 1,
					      INT64_MAX, INT64_MIN, 3, -7, 65535, 100 };
		int64_t v = ie[rnd(s) % (sizeof(ie) / 8)];
		memcpy(mem, &v, 8);
		break;
	}
	case 5: gen80(s, mem); break;
	case 6: { /* packed BCD, sometimes with bad digits or sign bits */
		for (int i = 0; i < 9; i++)
			mem[i] = (uint8_t)(((rnd(s) % 10) << 4) | (rnd(s) % 10));
		mem[9] = (rnd(s) & 1) ? 0x80 : 0;
		if (rnd(s) % 8 == 0)
			mem[rnd(s) % 10] = (uint8_t)rnd(s);
		break;
	}
	case 7: { uint16_t cw = (uint16_t)(0x1000 | (rnd(s) & 0xf3f)); memcpy(mem, &cw, 2); break; }
	default: break;
	}
}

static void gen_state(uint64_t *s, struct xst *x, int allow_unmasked)
{
	memset(x, 0, sizeof(*x));
	uint16_t fcw = (uint16_t)(0x40 | ((rnd(s) & 3) << 10) | ((rnd(s) & 3) << 8) | 0x3f);
	if (rnd(s) % 8 == 0)
		fcw = (uint16_t)(0x0340 | (rnd(s) & 0x3f));
	if (rnd(s) % 16 == 0)
		fcw ^= (uint16_t)(rnd(s) & 0xe040); /* reserved bits */
	if (allow_unmasked && rnd(s) % 6 == 0)
		fcw &= (uint16_t)~(rnd(s) & 0x3f);
	uint16_t fsw = (uint16_t)(rnd(s) & 0x4700) | (uint16_t)((rnd(s) & 7) << 11);
	memcpy(x->fx, &fcw, 2);
	memcpy(x->fx + 2, &fsw, 2);
	unsigned tagmode = rnd(s) % 4;
	x->fx[4] = tagmode == 0 ? 0xff : tagmode == 1 ? (uint8_t)rnd(s) : (uint8_t)(rnd(s) | rnd(s));
	uint32_t mx = 0x1f80;
	memcpy(x->fx + 24, &mx, 4);
	uint32_t mxm = 0xffff;
	memcpy(x->fx + 28, &mxm, 4);
	for (int i = 0; i < 8; i++)
		gen80(s, x->fx + 32 + 16 * i);
	gen_mem(s, x->mem);
	x->rax = rnd(s);
	x->rflags = 0x202 | (rnd(s) & (FL_ZF | FL_PF | FL_CF | FL_SF | FL_OF | FL_AF));
}

static int emu_run(struct harness *h, struct xst *x, const uint8_t *code, unsigned n)
{
	struct cpu *c = &h->cpu;
	uint8_t buf[32];
	memcpy(buf, code, n);
	buf[n] = 0xcc;
	cpu_fxrstor(c, x->fx);
	c->regs[R_RAX] = x->rax;
	c->regs[R_RSI] = HARNESS_DATA;
	cpu_set_eflags(c, (uint32_t)x->rflags, 0xffffffff);
	memcpy(h->mem + HARNESS_DATA, x->mem, 64);
	int r = harness_run(h, buf, n + 1);
	cpu_fxsave(c, x->fx);
	x->rax = c->regs[R_RAX];
	x->rflags = cpu_get_eflags(c);
	memcpy(x->mem, h->mem + HARNESS_DATA, 64);
	return r;
}

/* FDP: 0 (untouched), 1 (the memory block), 2 (anything else). */
static int fdp_class(const struct xst *x, uint64_t mem)
{
	uint64_t v;
	memcpy(&v, x->fx + 16, 8);
	return v == 0 ? 0 : v == mem ? 1 : 2;
}

static int diff_state(const struct xst *a, const struct xst *b)
{
	if (memcmp(a->fx, b->fx, 8) || memcmp(a->fx + 32, b->fx + 32, 128))
		return 1;
	if (fdp_class(a, (uintptr_t)a->mem) != fdp_class(b, HARNESS_DATA))
		return 5;
	if (memcmp(a->mem, b->mem, 64))
		return 2;
	if (a->rax != b->rax)
		return 3;
	if ((a->rflags ^ b->rflags) & FL_ARITH)
		return 4;
	return 0;
}

static void dump(const char *tag, const struct xst *x)
{
	uint16_t cw, sw, fop;
	memcpy(&cw, x->fx, 2);
	memcpy(&sw, x->fx + 2, 2);
	memcpy(&fop, x->fx + 6, 2);
	printf("# %s cw=%04x sw=%04x tag=%02x fop=%03x rax=%llx fl=%03llx\n#   st:", tag, cw, sw,
	       x->fx[4], fop, (unsigned long long)x->rax,
	       (unsigned long long)(x->rflags & FL_ARITH));
	for (int i = 0; i < 8; i++) {
		uint64_t m;
		uint16_t e;
		memcpy(&m, x->fx + 32 + 16 * i, 8);
		memcpy(&e, x->fx + 40 + 16 * i, 2);
		printf(" %04x:%016llx", e, (unsigned long long)m);
	}
	printf("\n#   mem:");
	for (int i = 0; i < 16; i++)
		printf("%02x", x->mem[i]);
	printf("\n");
}

int main(int argc, char **argv)
{
	unsigned iters = argc > 1 ? (unsigned)atoi(argv[1]) : 150;
	struct harness h;
	if (harness_init(&h, 1)) {
		printf("Bail out! harness_init\n");
		return 1;
	}
	uint8_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		printf("Bail out! mmap exec\n");
		return 1;
	}
	struct xst *in = aligned_alloc(64, sizeof(struct xst) * 3);
	struct xst *nat = in + 1, *emu = in + 2;
	for (unsigned op = 0xd8; op <= 0xdf; op++) {
		for (unsigned form = 0; form < 2; form++) {
			for (unsigned reg = 0; reg < 8; reg++) {
				/* The environment instructions store FIP/FDP. */
				if (form == 1 && ((op == 0xd9 && (reg == 4 || reg == 6)) ||
						  (op == 0xdd && (reg == 4 || reg == 6))))
					continue;
				unsigned bad = 0, runs = 0, invalid = 0;
				uint64_t seed = 0x9e3779b97f4a7c15ull ^ (op * 0x10001ull + reg * 77 + form);
				for (unsigned rm = 0; rm < (form ? 1u : 8u); rm++) {
					uint8_t code[3] = { (uint8_t)op,
							    (uint8_t)(form ? (reg << 3) | 6
									   : 0xc0 | (reg << 3) | rm) };
					if (!native_valid(page, code, 2, nat)) {
						*emu = *nat;
						int r = emu_run(&h, emu, code, 2);
						invalid++;
						if (r != EXC_UD && bad++ < 3)
							printf("# %02x %02x: host #UD, lemu r=%d\n", code[0], code[1], r);
						continue;
					}
					for (unsigned k = 0; k < iters; k++) {
						gen_state(&seed, in, 1);
						*nat = *in;
						nat->rsi = (uintptr_t)nat->mem;
						memcpy(page, code, 2);
						page[2] = 0xc3;
						native_run(nat, page);
						*emu = *in;
						int r = emu_run(&h, emu, code, 2);
						runs++;
						int d = r != -1 ? 9 : diff_state(nat, emu);
						if (d && bad++ < 3) {
							printf("# %02x %02x: diff %d exc=%d\n", code[0], code[1], d, r);
							dump("input ", in);
							dump("native", nat);
							dump("lemu  ", emu);
						}
					}
				}
				tap_ok(bad == 0, "%02x /%u %s: %u of %u runs differ (%u invalid encodings)", op,
				       reg, form ? "mem" : "reg", bad, runs, invalid);
			}
		}
	}
	free(in);
	harness_fini(&h);
	return tap_done();
}
