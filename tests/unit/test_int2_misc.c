/*
 * Differential tests (host CPU vs lemu, see test_int2.h) of the string
 * instructions with REP/REPE/REPNE, DF and 32-bit addressing; CMPXCHG,
 * CMPXCHG8B/16B, XADD, BSWAP, MOVBE, CRC32; BMI1/BMI2/ADX.  Emulator-only
 * checks: precise faults inside REP MOVS/STOS, segment overrides, RDRAND/
 * RDTSC(P), LOCK XADD/CMPXCHG atomicity from two host threads each running
 * its own vCPU on shared guest memory, and the 32-bit-only instructions
 * (BCD, PUSHA/POPA, BOUND, XLAT) with hand-checked values.
 */
#include "test_int2.h"

#include <pthread.h>

#define ALLF FL_ARITH

/* --- string instructions --------------------------------------------- */

/* Regions of the initial memory for CMPS/SCAS: 0x1000.. and 0x2000..
 * are equal for 1500 bytes; 0x2800.. holds 0x41 for 1000 bytes. */
static void str_prepare(struct t2 *x)
{
	memcpy(x->init + 0x2000, x->init + 0x1000, 1500);
	memset(x->init + 0x2800, 0x41, 1000);
	x->init[0x2800 + 1000] = 0x42;
}

static void test_string(struct t2 *x)
{
	static const struct {
		const char *name;
		uint8_t op;
	} ops[] = { { "movs", 0xa4 }, { "cmps", 0xa6 }, { "stos", 0xaa }, { "lods", 0xac }, { "scas", 0xae } };
	static const uint64_t counts[] = { 0, 1, 2, 3, 7, 64, 100, 1001, 3000, 5000 };
	/* (rsi, rdi) offset pairs: disjoint, equal regions, overlapping both ways */
	static const uint64_t fwd[][2] = { { 0x10, 0x1800 }, { 0x1000, 0x2000 }, { 0x100, 0x101 },
					   { 0x100, 0x103 }, { 0x108, 0x100 }, { 0x2800, 0x2800 },
					   { 0x0ffd, 0x1ffb } };
	static const uint64_t bwd[][2] = { { 0x2ff0, 0x1ff0 }, { 0x1500, 0x2500 }, { 0x1500, 0x14ff },
					   { 0x2bff, 0x2bff } };
	struct cb cb;
	char nm[80];
	str_prepare(x);
	for (unsigned o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		t2_begin(x);
		for (unsigned si = 0; si < 4; si++) {
			unsigned size = t2_sizes[si];
			for (int rep = 0; rep < 3; rep++)
				for (int a32 = 0; a32 < 2; a32++)
					for (int df = 0; df < 2; df++)
						for (unsigned ci = 0; ci < sizeof(counts) / sizeof(counts[0]); ci++) {
							uint64_t n = counts[ci];
							if (!rep && ci > 1)
								continue;
							unsigned np = df ? 4 : 7;
							for (unsigned p = 0; p < np; p++) {
								const uint64_t *pr = df ? bwd[p] : fwd[p];
								uint64_t nb = n * size;
								if (df ? (pr[0] < nb || pr[1] < nb)
								       : (pr[0] + nb > T2_MEMSZ || pr[1] + nb > T2_MEMSZ))
									continue;
								struct gst in = { 0 };
								in.r[R_RSI] = pr[0];
								in.r[R_RDI] = pr[1];
								in.r[R_RCX] = n | (a32 ? 0xdead00000000ull : 0);
								in.r[R_RAX] = p == 5 || (p == 3 && df) ? 0x4141414141414141ull
												       : 0x1122334455667788ull;
								in.fl = (df ? FL_DF : 0) | ((p & 1) ? 0x8d5 : 0);
								cb_reset(&cb);
								if (a32)
									CB(&cb, 0x67);
								if (rep)
									CB(&cb, rep == 1 ? 0xf3 : 0xf2);
								cb_size(&cb, size, 0);
								CB(&cb, (uint8_t)(ops[o].op + (size > 1)));
								snprintf(nm, sizeof(nm), "%s size %u rep %d a32 %d df %d n %llu pair %u",
									 ops[o].name, size, rep, a32, df,
									 (unsigned long long)n, p);
								t2_check(x, nm, cb.b, cb.n, &in, ALLF);
							}
						}
		}
		snprintf(nm, sizeof(nm), "%s (sizes, rep/repe/repne, DF, a32, overlap, page-crossing counts)",
			 ops[o].name);
		t2_end(x, nm);
	}
}

/* Faults in the middle of a REP leave RSI/RDI/RCX at the completed part
 * (the end of guest memory is at HARNESS_MEM_SIZE). */
static void test_string_fault(struct t2 *x)
{
	struct cpu *c = &x->h.cpu;
	t2_begin(x);
	for (int stos = 0; stos < 2; stos++)
		for (int q = 0; q < 2; q++) {
			struct gst in = { 0 };
			uint64_t end = HARNESS_MEM_SIZE - HARNESS_DATA;
			uint8_t code[3] = { 0xf3, 0x48, stos ? 0xab : 0xa5 };
			size_t n = q ? 3 : 2;
			if (!q)
				code[1] = stos ? 0xaa : 0xa4;
			unsigned size = q ? 8 : 1;
			in.r[R_RSI] = stos ? 0 : end - 4000;
			in.r[R_RDI] = stos ? end - 4000 : 0x10;
			in.r[R_RCX] = 10000 / size;
			int r = t2_emu(x, &in, code, n);
			uint64_t done = 4000 / size;
			int ok = r == EXC_PF && c->exc_addr == HARNESS_MEM_SIZE && c->rip == HARNESS_CODE &&
				 in.r[R_RCX] == 10000 / size - done &&
				 in.r[stos ? R_RDI : R_RSI] == end &&
				 (stos || in.r[R_RDI] == 0x10 + 4000);
			x->runs++;
			if (!ok) {
				x->fails++;
				printf("# rep %s%s fault: r=%d addr=%llx rip=%llx\n", stos ? "stos" : "movs",
				       q ? "q" : "b", r, (unsigned long long)c->exc_addr,
				       (unsigned long long)c->rip);
				t2_dump("after", &in);
			}
		}
	/* fs: override on the source of MOVS; ES:rDI is not overridable */
	{
		struct gst in = { 0 };
		static const uint8_t code[] = { 0x64, 0xa4 }; /* fs movsb */
		memcpy(x->h.mem + HARNESS_DATA, x->init, T2_MEMSZ);
		cpu_set_seg_base(c, SEG_FS, 0x100);
		in.r[R_RSI] = 0x20;
		in.r[R_RDI] = 0x40;
		int r = t2_emu(x, &in, code, sizeof(code));
		cpu_set_seg_base(c, SEG_FS, 0);
		x->runs++;
		if (r != -1 || x->h.mem[HARNESS_DATA + 0x40] != x->init[0x20 + 0x100]) {
			x->fails++;
			printf("# fs: movsb did not read fs:rsi\n");
		}
	}
	t2_end(x, "string faults are precise mid-REP (rsi/rdi/rcx), fs: override");
}

/* --- CMPXCHG, XADD, BSWAP, MOVBE, CRC32 -------------------------------- */

static void test_atomic_ops(struct t2 *x)
{
	struct cb cb;
	t2_begin(x);
	for (unsigned si = 0; si < 4; si++) {
		unsigned size = t2_sizes[si];
		for (unsigned v = 0; v < T2_NV; v++)
			for (unsigned w = 0; w < T2_NV; w += 2) {
				struct gst in = { 0 };
				in.r[R_RAX] = t2_vals[v];
				in.r[R_RBX] = t2_vals[w];
				in.r[R_RDX] = (w & 2) ? t2_vals[v] : t2_vals[(v + 1) % T2_NV];
				in.r[R_RSI] = 0x40;
				in.fl = (v & 1) ? 0x8d5 : 0;
				/* cmpxchg edx, ebx: equal or not depending on rdx */
				cb_reset(&cb);
				cb_size(&cb, size, 0);
				CB(&cb, 0x0f, size == 1 ? 0xb0 : 0xb1, 0xda);
				t2_check(x, "cmpxchg reg", cb.b, cb.n, &in, ALLF);
				/* [lock] cmpxchg [rsi], ebx with rax = memory or not */
				uint64_t m = 0;
				memcpy(&m, x->init + 0x40, 8);
				if (w & 2)
					in.r[R_RAX] = m ^ (t2_vals[v] << (size * 8 - 1) << 1);
				for (int lock = 0; lock < 2; lock++) {
					cb_reset(&cb);
					if (lock)
						CB(&cb, 0xf0);
					cb_size(&cb, size, 0);
					CB(&cb, 0x0f, size == 1 ? 0xb0 : 0xb1, 0x1e);
					t2_check(x, "cmpxchg mem", cb.b, cb.n, &in, ALLF);
					cb_reset(&cb);
					if (lock)
						CB(&cb, 0xf0);
					cb_size(&cb, size, 0);
					CB(&cb, 0x0f, size == 1 ? 0xc0 : 0xc1, 0x1e);
					t2_check(x, "xadd mem", cb.b, cb.n, &in, ALLF);
				}
				cb_reset(&cb);
				cb_size(&cb, size, 0);
				CB(&cb, 0x0f, size == 1 ? 0xc0 : 0xc1, 0xd8); /* xadd eax, ebx */
				t2_check(x, "xadd reg", cb.b, cb.n, &in, ALLF);
				cb.b[cb.n - 1] = 0xc0; /* xadd eax, eax */
				t2_check(x, "xadd same reg", cb.b, cb.n, &in, ALLF);
			}
	}
	t2_end(x, "cmpxchg / xadd (reg, mem, lock, all sizes)");

	t2_begin(x);
	for (unsigned v = 0; v < T2_NV; v++)
		for (int eq = 0; eq < 2; eq++) {
			struct gst in = { 0 };
			uint64_t m[2];
			memcpy(m, x->init + 0x100, 16);
			in.r[R_RAX] = eq ? m[0] : t2_vals[v];
			in.r[R_RDX] = eq ? m[1] : ~t2_vals[v];
			in.r[R_RBX] = t2_vals[v];
			in.r[R_RCX] = t2_vals[(v + 5) % T2_NV];
			in.r[R_RSI] = 0x100;
			in.fl = (v & 1) ? 0x8d5 : 0;
			if (eq)
				in.r[R_RDX] = (in.r[R_RDX] & ~0xffffffffull) | (uint32_t)(m[0] >> 32);
			static const uint8_t c8[] = { 0xf0, 0x0f, 0xc7, 0x0e };
			t2_check(x, "lock cmpxchg8b", c8, sizeof(c8), &in, ALLF);
			t2_check(x, "cmpxchg8b", c8 + 1, sizeof(c8) - 1, &in, ALLF);
			if (eq)
				in.r[R_RDX] = m[1];
			static const uint8_t c16[] = { 0xf0, 0x48, 0x0f, 0xc7, 0x0e };
			t2_check(x, "lock cmpxchg16b", c16, sizeof(c16), &in, ALLF);
			in.r[R_RSI] = 0x108;
			t2_check_fault(x, "cmpxchg16b misaligned", c16, sizeof(c16), &in, EXC_GP);
		}
	t2_end(x, "cmpxchg8b / cmpxchg16b (+#GP on misalignment)");

	t2_begin(x);
	for (unsigned v = 0; v < T2_NV; v++)
		for (unsigned r = 0; r < 16; r++) {
			if (r == R_RSP || r == R_RSI || r == R_RDI)
				continue; /* rsi/rdi are memory offsets in these tests */
			struct gst in = { 0 };
			for (int i = 0; i < 16; i++)
				in.r[i] = t2_vals[(v + i) % T2_NV];
			in.r[R_RSI] = 0x200;
			in.r[R_RDI] = 0x300;
			for (unsigned si = 1; si < 4; si++) {
				struct cb cb2;
				cb_reset(&cb2);
				cb_size(&cb2, t2_sizes[si], r >= 8 ? 1 : 0);
				CB(&cb2, 0x0f, (uint8_t)(0xc8 + (r & 7)));
				t2_check(x, "bswap", cb2.b, cb2.n, &in, ALLF);
			}
		}
	for (unsigned v = 0; v < T2_NV; v++)
		for (unsigned si = 1; si < 4; si++) {
			struct gst in = { 0 };
			in.r[R_RAX] = t2_vals[v];
			in.r[R_RSI] = 8 * v;
			cb_reset(&cb);
			cb_size(&cb, t2_sizes[si], 0);
			CB(&cb, 0x0f, 0x38, 0xf0, 0x46, 0x03); /* movbe eax, [rsi+3] */
			t2_check(x, "movbe load", cb.b, cb.n, &in, ALLF);
			cb_reset(&cb);
			cb_size(&cb, t2_sizes[si], 0);
			CB(&cb, 0x0f, 0x38, 0xf1, 0x46, 0x05); /* movbe [rsi+5], eax */
			t2_check(x, "movbe store", cb.b, cb.n, &in, ALLF);
		}
	t2_end(x, "bswap (all regs, 16/32/64) / movbe");

	t2_begin(x);
	for (unsigned v = 0; v < T2_NV; v++)
		for (unsigned w = 0; w < T2_NV; w++)
			for (unsigned si = 0; si < 4; si++)
				for (int w64 = 0; w64 < 2; w64++) {
					unsigned size = t2_sizes[si];
					if (size == 8 && !w64)
						continue;
					struct gst in = { 0 };
					in.r[R_RAX] = t2_vals[v];
					in.r[R_RBX] = t2_vals[w];
					in.r[R_RSI] = 4 * w;
					cb_reset(&cb);
					if (size == 2)
						CB(&cb, 0x66);
					CB(&cb, 0xf2);
					if (w64)
						CB(&cb, 0x48);
					CB(&cb, 0x0f, 0x38, size == 1 ? 0xf0 : 0xf1, 0xc3);
					t2_check(x, "crc32 reg", cb.b, cb.n, &in, ALLF);
					cb.b[cb.n - 1] = 0x06;
					t2_check(x, "crc32 mem", cb.b, cb.n, &in, ALLF);
				}
	t2_end(x, "crc32 (8/16/32/64-bit sources, reg and mem)");
}

/* --- BMI1 / BMI2 / ADX --------------------------------------------------- */

static void vex(struct cb *cb, unsigned map, unsigned w, unsigned vvvv, unsigned pp, uint8_t op, uint8_t modrm)
{
	CB(cb, 0xc4, (uint8_t)(0xe0 | map), (uint8_t)((w << 7) | ((~vvvv & 15) << 3) | pp), op, modrm);
}

static void test_bmi(struct t2 *x)
{
	static const struct {
		const char *name;
		uint8_t map, pp, op, ext; /* ext 8 = none */
		uint32_t mask;
		int imm;
	} t[] = {
		{ "andn", 2, 0, 0xf2, 8, FL_SF | FL_ZF | FL_CF | FL_OF, 0 },
		{ "bextr", 2, 0, 0xf7, 8, FL_ZF | FL_CF | FL_OF, 0 },
		{ "blsr", 2, 0, 0xf3, 1, FL_SF | FL_ZF | FL_CF | FL_OF, 0 },
		{ "blsmsk", 2, 0, 0xf3, 2, FL_SF | FL_ZF | FL_CF | FL_OF, 0 },
		{ "blsi", 2, 0, 0xf3, 3, FL_SF | FL_ZF | FL_CF | FL_OF, 0 },
		{ "bzhi", 2, 0, 0xf5, 8, FL_SF | FL_ZF | FL_CF | FL_OF, 0 },
		{ "pdep", 2, 3, 0xf5, 8, ALLF, 0 },
		{ "pext", 2, 2, 0xf5, 8, ALLF, 0 },
		{ "mulx", 2, 3, 0xf6, 8, ALLF, 0 },
		{ "rorx", 3, 3, 0xf0, 8, ALLF, 1 },
		{ "sarx", 2, 2, 0xf7, 8, ALLF, 0 },
		{ "shlx", 2, 1, 0xf7, 8, ALLF, 0 },
		{ "shrx", 2, 3, 0xf7, 8, ALLF, 0 },
	};
	struct cb cb;
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		t2_begin(x);
		for (unsigned w64 = 0; w64 < 2; w64++)
			for (unsigned v = 0; v < T2_NV; v++)
				for (unsigned k = 0; k < T2_NV + 40; k++) {
					struct gst in = { 0 };
					in.r[R_RBX] = t2_vals[v] ^ (k > T2_NV ? 0x0123456789abcdefull * k : 0);
					/* second source: values, then BEXTR/BZHI-style controls */
					in.r[R_RDX] = k < T2_NV ? t2_vals[k] : ((k - T2_NV) * 5) | (((k * 7) % 70) << 8);
					in.r[R_RAX] = 0x5a5a5a5a5a5a5a5aull;
					in.r[R_RSI] = 8 * v;
					in.fl = (k & 1) ? 0x8d5 : 0;
					uint8_t modrm = (uint8_t)(0xc3 | ((t[i].ext == 8 ? 0 : t[i].ext) << 3));
					for (int mem = 0; mem < 2; mem++) {
						cb_reset(&cb);
						vex(&cb, t[i].map, w64, t[i].imm ? 0 : 2, t[i].pp, t[i].op, mem ? (uint8_t)(modrm & 0x38) | 0x06 : modrm);
						if (t[i].imm)
							CB(&cb, (uint8_t)k);
						t2_check(x, t[i].name, cb.b, cb.n, &in, t[i].mask);
					}
				}
		/* VEX.L = 1 is #UD */
		struct gst in = { 0 };
		cb_reset(&cb);
		CB(&cb, 0xc4, (uint8_t)(0xe0 | t[i].map), (uint8_t)(0x7c | t[i].pp), t[i].op, 0xc3);
		if (t[i].imm)
			CB(&cb, 1);
		t2_check_fault(x, t[i].name, cb.b, cb.n, &in, EXC_UD);
		if (t[i].imm) { /* RORX: VEX.vvvv other than 1111b is #UD */
			cb_reset(&cb);
			vex(&cb, t[i].map, 0, 2, t[i].pp, t[i].op, 0xc3);
			CB(&cb, 1);
			t2_check_fault(x, t[i].name, cb.b, cb.n, &in, EXC_UD);
		}
		char nm[64];
		snprintf(nm, sizeof(nm), "%s (32/64, reg and mem, VEX.L=1 #UD)", t[i].name);
		t2_end(x, nm);
	}
	/* mulx with the same destination twice keeps the high half */
	t2_begin(x);
	for (unsigned v = 0; v < T2_NV; v++) {
		struct gst in = { 0 };
		in.r[R_RDX] = t2_vals[v];
		in.r[R_RBX] = t2_vals[(v * 3 + 1) % T2_NV];
		cb_reset(&cb);
		vex(&cb, 2, 1, 0, 3, 0xf6, 0xc3); /* mulx rax, rax, rbx */
		t2_check(x, "mulx same dest", cb.b, cb.n, &in, ALLF);
	}
	/* ADCX / ADOX */
	for (unsigned si = 2; si < 4; si++)
		for (unsigned v = 0; v < T2_NV; v++)
			for (unsigned w = 0; w < T2_NV; w++)
				for (int f = 0; f < 4; f++) {
					struct gst in = { 0 };
					in.r[R_RAX] = t2_vals[v];
					in.r[R_RBX] = t2_vals[w];
					in.fl = (f & 1 ? FL_CF : 0) | (f & 2 ? FL_OF : 0) | (w & 1 ? 0xd4 : 0);
					for (int ox = 0; ox < 2; ox++) {
						cb_reset(&cb);
						CB(&cb, ox ? 0xf3 : 0x66);
						if (t2_sizes[si] == 8)
							CB(&cb, 0x48);
						CB(&cb, 0x0f, 0x38, 0xf6, 0xc3);
						t2_check(x, ox ? "adox" : "adcx", cb.b, cb.n, &in, ALLF);
					}
				}
	t2_end(x, "mulx same destination, adcx/adox");
}

/* --- RDRAND, RDTSC, RDTSCP (emulator only: the values differ) -------- */

static void test_random(struct t2 *x)
{
	struct cpu *c = &x->h.cpu;
	static const uint8_t code[] = {
		0x48, 0x0f, 0xc7, 0xf0, /* rdrand rax */
		0x0f, 0xc7, 0xf3,       /* rdrand ebx */
		0x66, 0x0f, 0xc7, 0xf1, /* rdrand cx */
		0x0f, 0x92, 0xc2,       /* setc dl */
	};
	struct gst in = { 0 };
	in.r[R_RBX] = ~0ull;
	int r = t2_emu(x, &in, code, sizeof(code));
	struct gst in2 = { 0 };
	t2_emu(x, &in2, code, 4);
	tap_ok(r == -1 && (in.r[R_RDX] & 0xff) == 1 && (in.r[R_RBX] >> 32) == 0 && in.r[R_RAX] != in2.r[R_RAX],
	       "rdrand: CF=1, 16/32/64-bit, values differ");
	static const uint8_t ts[] = { 0x0f, 0x31, 0x48, 0x89, 0xc3, 0x49, 0x89, 0xd0, /* rdtsc; mov rbx,rax; mov r8,rdx */
				      0x0f, 0x01, 0xf9 };                               /* rdtscp */
	c->tsc_aux = 0x1234;
	struct gst t = { 0 };
	t.r[R_RAX] = t.r[R_RDX] = ~0ull;
	r = t2_emu(x, &t, ts, sizeof(ts));
	uint64_t t1 = (t.r[R_R8] << 32) | t.r[R_RBX], t2 = (t.r[R_RDX] << 32) | t.r[R_RAX];
	tap_ok(r == -1 && t1 && t2 >= t1 && t.r[R_RCX] == 0x1234 && (t.r[R_RAX] >> 32) == 0,
	       "rdtsc/rdtscp: monotonic, TSC_AUX in ecx");
	static const uint8_t ud[] = { 0x0f, 0x0b };
	struct gst u = { 0 };
	t2_begin(x);
	t2_check_fault(x, "ud2", ud, 2, &u, EXC_UD);
	static const uint8_t rdseed[] = { 0x0f, 0xc7, 0xf8 };
	t2_check_fault(x, "rdseed (not advertised)", rdseed, 3, &u, EXC_UD);
	t2_end(x, "ud2, rdseed -> #UD");
}

/* --- LOCK atomicity from two host threads ------------------------------ */

#define LOCK_ITERS 200000
struct lock_thread {
	struct cpu cpu;
	uint64_t stack;
	int result;
};

static void *lock_thread_main(void *arg)
{
	struct lock_thread *t = arg;
	struct cpu *c = &t->cpu;
	c->rip = HARNESS_CODE;
	c->regs[R_RSP] = t->stack;
	c->regs[R_RDI] = HARNESS_DATA;
	for (;;) {
		int r = cpu_exec(c);
		if (r == EXIT_INT && c->exc_vector == EXC_BP) {
			t->result = 0;
			break;
		}
		if (r == EXIT_EXCEPTION || r == EXIT_INT) {
			t->result = c->exc_vector + 1;
			break;
		}
	}
	return NULL;
}

static void test_lock_threads(struct t2 *x)
{
	/* The cmpxchg16b increment loop: rdx:rax = [rdi+32]; rcx:rbx = +1;
	 * retried until it succeeds. */
	static const uint8_t prog[] = {
		0x41, 0xb8, LOCK_ITERS & 0xff, (LOCK_ITERS >> 8) & 0xff, (LOCK_ITERS >> 16) & 0xff, 0, /* mov r8d, N */
		0xb8, 1, 0, 0, 0,                   /* L: mov eax, 1 */
		0xf0, 0x0f, 0xc1, 0x07,             /* lock xadd [rdi], eax */
		0x8b, 0x47, 0x08,                   /* M: mov eax, [rdi+8] */
		0x8d, 0x50, 0x01,                   /* lea edx, [rax+1] */
		0xf0, 0x0f, 0xb1, 0x57, 0x08,       /* lock cmpxchg [rdi+8], edx */
		0x75, 0xf3,                         /* jnz M */
		0xf0, 0x48, 0xff, 0x47, 0x18,       /* lock inc qword [rdi+24] */
		0x48, 0x8b, 0x47, 0x20,             /* N: mov rax, [rdi+32] */
		0x48, 0x8b, 0x57, 0x28,             /* mov rdx, [rdi+40] */
		0x48, 0x8d, 0x58, 0x01,             /* lea rbx, [rax+1] */
		0x48, 0x89, 0xd1,                   /* mov rcx, rdx */
		0xf0, 0x48, 0x0f, 0xc7, 0x4f, 0x20, /* lock cmpxchg16b [rdi+32] */
		0x75, 0xe9,                         /* jnz N */
		0xf0, 0x48, 0x0f, 0xba, 0x6f, 0x30, 3, /* lock bts qword [rdi+48], 3 */
		0x41, 0xff, 0xc8,                   /* dec r8d */
		0x75, 0xc2,                         /* jnz L */
		0xcc,
	};
	struct cpu *c0 = &x->h.cpu;
	memcpy(x->h.mem + HARNESS_CODE, prog, sizeof(prog));
	memset(x->h.mem + HARNESS_DATA, 0, 64);
	tb_flush(c0->tbc);
	static struct lock_thread th[2];
	pthread_t tid[2];
	for (int i = 0; i < 2; i++) {
		th[i].cpu = *c0;
		memset(th[i].cpu.jmp_cache, 0, sizeof(th[i].cpu.jmp_cache));
		th[i].stack = HARNESS_STACK_TOP - 0x10000 * (uint64_t)i;
		pthread_create(&tid[i], NULL, lock_thread_main, &th[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	uint64_t v[7];
	memcpy(v, x->h.mem + HARNESS_DATA, sizeof(v));
	uint64_t want = 2ull * LOCK_ITERS;
	tap_ok(th[0].result == 0 && th[1].result == 0 && (uint32_t)v[0] == want && (uint32_t)v[1] == want &&
		       v[3] == want && v[4] == want && v[5] == 0 && v[6] == 8,
	       "two threads, LOCK xadd/cmpxchg/inc/cmpxchg16b: %llu %llu %llu %llu (want %llu), exits %d %d",
	       (unsigned long long)(uint32_t)v[0], (unsigned long long)(uint32_t)v[1],
	       (unsigned long long)v[3], (unsigned long long)v[4], (unsigned long long)want, th[0].result,
	       th[1].result);
}

/* --- 32-bit mode: BCD, PUSHA/POPA, BOUND, XLAT, 16-bit addressing ------- */

static void test_legacy32(void)
{
	struct harness h;
	if (harness_init(&h, 0)) {
		tap_ok(0, "32-bit harness");
		return;
	}
	struct cpu *c = &h.cpu;
	int r;
	/* mov al,0x79; add al,0x35; daa -> 0x14, CF=1 */
	static const uint8_t p1[] = { 0xb0, 0x79, 0x04, 0x35, 0x27, 0x9c, 0x5b, 0xcc };
	r = harness_run(&h, p1, sizeof(p1));
	tap_ok(r == -1 && (c->regs[R_RAX] & 0xff) == 0x14 && (c->regs[R_RBX] & 0x11) == 0x11,
	       "daa: 79+35 -> 14 CF AF (al=%02llx fl=%llx)", (unsigned long long)(c->regs[R_RAX] & 0xff),
	       (unsigned long long)c->regs[R_RBX]);
	/* mov al,0x35; sub al,0x47; das -> 0x88, CF=1 */
	static const uint8_t p2[] = { 0xb0, 0x35, 0x2c, 0x47, 0x2f, 0x9c, 0x5b, 0xcc };
	r = harness_run(&h, p2, sizeof(p2));
	tap_ok(r == -1 && (c->regs[R_RAX] & 0xff) == 0x88 && (c->regs[R_RBX] & 1), "das: 35-47 -> 88 CF");
	/* mov ax,9; add al,8; aaa -> ax=0x0107 CF */
	static const uint8_t p3[] = { 0x66, 0xb8, 9, 0, 0x04, 8, 0x37, 0x9c, 0x5b, 0xcc };
	r = harness_run(&h, p3, sizeof(p3));
	tap_ok(r == -1 && (c->regs[R_RAX] & 0xffff) == 0x0107 && (c->regs[R_RBX] & 0x11) == 0x11, "aaa: 9+8 -> 0107");
	/* mov ax,0x0203; sub al,5; aas -> ax=0x0108 CF */
	static const uint8_t p4[] = { 0x66, 0xb8, 3, 2, 0x2c, 5, 0x3f, 0x9c, 0x5b, 0xcc };
	r = harness_run(&h, p4, sizeof(p4));
	tap_ok(r == -1 && (c->regs[R_RAX] & 0xffff) == 0x0108 && (c->regs[R_RBX] & 1), "aas: 23-5 -> 0108 (ax=%04llx)",
	       (unsigned long long)(c->regs[R_RAX] & 0xffff));
	/* mov al,63; aam; mov ebx,eax; aad */
	static const uint8_t p5[] = { 0xb0, 63, 0xd4, 10, 0x89, 0xc3, 0xd5, 10, 0xcc };
	r = harness_run(&h, p5, sizeof(p5));
	tap_ok(r == -1 && (c->regs[R_RBX] & 0xffff) == 0x0603 && (c->regs[R_RAX] & 0xffff) == 63, "aam/aad 10");
	static const uint8_t p6[] = { 0xd4, 0x00 };
	r = harness_run(&h, p6, sizeof(p6));
	tap_ok(r == EXC_DE && c->rip == HARNESS_CODE, "aam 0 -> #DE");
	/* pusha; zero the registers; popa */
	static const uint8_t p7[] = { 0x60, 0x31, 0xc0, 0x31, 0xdb, 0x31, 0xc9, 0x31, 0xd2, 0x31, 0xed,
				      0x31, 0xf6, 0x31, 0xff, 0x61, 0xcc };
	for (int i = 0; i < 8; i++)
		if (i != R_RSP)
			c->regs[i] = 0x1000 * (i + 1) + i;
	r = harness_run(&h, p7, sizeof(p7));
	int ok = r == -1 && c->regs[R_RSP] == HARNESS_STACK_TOP;
	for (int i = 0; i < 8; i++)
		if (i != R_RSP && c->regs[i] != 0x1000u * (i + 1) + i)
			ok = 0;
	uint32_t pushed_sp;
	memcpy(&pushed_sp, h.mem + HARNESS_STACK_TOP - 20, 4);
	tap_ok(ok && pushed_sp == HARNESS_STACK_TOP, "pusha/popa round trip, original esp pushed");
	/* bound eax, [0x100000] with [-5, 10] */
	int32_t bnd[2] = { -5, 10 };
	memcpy(h.mem + HARNESS_DATA, bnd, 8);
	static const uint8_t p8[] = { 0x62, 0x05, 0x00, 0x00, 0x10, 0x00, 0xcc };
	c->regs[R_RAX] = 10;
	r = harness_run(&h, p8, sizeof(p8));
	int okb = r == -1;
	c->regs[R_RAX] = (uint32_t)-6;
	r = harness_run(&h, p8, sizeof(p8));
	okb = okb && r == EXC_BR && c->rip == HARNESS_CODE;
	c->regs[R_RAX] = 11;
	r = harness_run(&h, p8, sizeof(p8));
	tap_ok(okb && r == EXC_BR, "bound: in range, #BR below and above");
	/* xlat: ebx = table, al = 5 */
	h.mem[HARNESS_DATA + 5] = 0x77;
	static const uint8_t p9[] = { 0xbb, 0x00, 0x00, 0x10, 0x00, 0xb0, 5, 0xd7, 0xcc };
	r = harness_run(&h, p9, sizeof(p9));
	tap_ok(r == -1 && (c->regs[R_RAX] & 0xff) == 0x77, "xlat");
	/* 16-bit addressing: a16 rep movsb with si = 0xfffe wraps within 64 KiB */
	memset(h.mem, 0, 0x10000);
	h.mem[0xfffe] = 1;
	h.mem[0xffff] = 2;
	h.mem[0] = 3;
	static const uint8_t p10[] = { 0x67, 0xf3, 0xa4, 0xcc };
	c->regs[R_RSI] = 0x5550fffe;
	c->regs[R_RDI] = 0x66660100;
	c->regs[R_RCX] = 0x77770003;
	c->eflags &= ~FL_DF;
	r = harness_run(&h, p10, sizeof(p10));
	tap_ok(r == -1 && c->regs[R_RSI] == 0x55500001 && c->regs[R_RDI] == 0x66660103 &&
		       c->regs[R_RCX] == 0x77770000 && h.mem[0x100] == 1 && h.mem[0x101] == 2 && h.mem[0x102] == 3,
	       "a16 rep movsb wraps SI, keeps the upper halves");
	harness_fini(&h);
}

int main(void)
{
	static struct t2 x;
	if (t2_init(&x, 1)) {
		printf("Bail out! init\n");
		return 1;
	}
	test_string(&x);
	test_string_fault(&x);
	test_atomic_ops(&x);
	test_bmi(&x);
	test_random(&x);
	test_lock_threads(&x);
	harness_fini(&x.h);
	test_legacy32();
	return tap_done();
}
