/*
 * Differential tests (host CPU vs lemu) of shifts and rotates, SHLD/SHRD,
 * group 3 (TEST NOT NEG MUL IMUL DIV IDIV), IMUL r,r/m(,imm), BT/BTS/BTR/
 * BTC, BSF/BSR/TZCNT/LZCNT/POPCNT; #DE from DIV/IDIV.  See test_int2.h.
 * Only the flags the SDM defines are compared (INT2_STRICT=1: all).
 */
#include "test_int2.h"

#define ALLF FL_ARITH

/* --- shifts and rotates ---------------------------------------------- */

static uint32_t grp2_mask(unsigned op, unsigned size, unsigned cnt)
{
	unsigned m = cnt & (size == 8 ? 63 : 31), bits = size * 8;
	if (!m)
		return ALLF;
	if (op <= 3) /* rotates: only CF/OF change, OF defined for 1 */
		return m == 1 ? ALLF : ALLF & ~FL_OF;
	uint32_t f = FL_SF | FL_ZF | FL_PF | FL_CF;
	if (m == 1)
		f |= FL_OF;
	if (m >= bits && op != 7)
		f &= ~FL_CF;
	return f;
}

static void test_grp2(struct t2 *x)
{
	static const char *const names[8] = { "rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar" };
	struct cb cb;
	char nm[64];
	for (unsigned op = 0; op < 8; op++) {
		t2_begin(x);
		for (unsigned si = 0; si < 4; si++) {
			unsigned size = t2_sizes[si];
			for (unsigned v = 0; v < T2_NV; v++) {
				for (unsigned cnt = 0; cnt <= 65; cnt++) {
					struct gst in = { 0 };
					in.r[R_RAX] = t2_vals[v];
					in.r[R_RCX] = 0xabcd00 | cnt;
					uint32_t fm = grp2_mask(op, size, cnt);
					snprintf(nm, sizeof(nm), "%s size %u count %u", names[op], size, cnt);
					/* op r/m, cl */
					cb_reset(&cb);
					cb_size(&cb, size, 0);
					CB(&cb, size == 1 ? 0xd2 : 0xd3, (uint8_t)(0xc0 | op << 3));
					for (int f = 0; f < 2; f++) {
						in.fl = f ? 0x8d5 : 0;
						t2_check(x, nm, cb.b, cb.n, &in, fm);
					}
					/* op r/m, imm8 */
					cb_reset(&cb);
					cb_size(&cb, size, 0);
					CB(&cb, size == 1 ? 0xc0 : 0xc1, (uint8_t)(0xc3 | op << 3), (uint8_t)cnt);
					in.r[R_RBX] = t2_vals[(v + 7) % T2_NV];
					in.fl = (v & 1) ? 0x8d5 : 0x001;
					t2_check(x, nm, cb.b, cb.n, &in, fm);
					/* op [rsi+8], cl (a few counts) */
					if (cnt <= 2 || cnt == 7 || cnt == 31 || cnt == 33 || cnt == 63) {
						cb_reset(&cb);
						cb_size(&cb, size, 0);
						CB(&cb, size == 1 ? 0xd2 : 0xd3, (uint8_t)(0x46 | op << 3), 8);
						in.r[R_RSI] = 8 * (v % 16);
						t2_check(x, nm, cb.b, cb.n, &in, fm);
						in.r[R_RSI] = 0;
					}
				}
				/* by one: D0/D1 */
				struct gst in = { 0 };
				in.r[R_RDX] = t2_vals[v];
				cb_reset(&cb);
				cb_size(&cb, size, 0);
				CB(&cb, size == 1 ? 0xd0 : 0xd1, (uint8_t)(0xc2 | op << 3));
				for (int f = 0; f < 2; f++) {
					in.fl = f ? 0x8d5 : 0;
					t2_check(x, names[op], cb.b, cb.n, &in, grp2_mask(op, size, 1));
				}
			}
		}
		snprintf(nm, sizeof(nm), "%s (C0/C1/D0-D3, reg and mem, counts 0..65)", names[op]);
		t2_end(x, nm);
	}
}

static void test_shxd(struct t2 *x)
{
	struct cb cb;
	char nm[64];
	for (int right = 0; right < 2; right++) {
		t2_begin(x);
		for (unsigned si = 1; si < 4; si++) {
			unsigned size = t2_sizes[si], bits = size * 8;
			for (unsigned v = 0; v < T2_NV; v += 2) {
				for (unsigned w = 1; w < T2_NV; w += 3) {
					for (unsigned cnt = 0; cnt <= 65; cnt++) {
						unsigned m = cnt & (size == 8 ? 63 : 31);
						uint32_t fm = !m ? ALLF : m > bits ? 0 :
							(FL_SF | FL_ZF | FL_PF | FL_CF | (m == 1 ? FL_OF : 0));
						struct gst in = { 0 };
						in.r[R_RAX] = t2_vals[v];
						in.r[R_RDX] = t2_vals[w];
						in.r[R_RCX] = cnt;
						in.fl = (cnt & 1) ? 0x8d5 : 0;
						snprintf(nm, sizeof(nm), "sh%cd size %u count %u", right ? 'r' : 'l', size, cnt);
						/* shxd eax, edx, cl */
						cb_reset(&cb);
						cb_size(&cb, size, 0);
						CB(&cb, 0x0f, right ? 0xad : 0xa5, 0xd0);
						t2_check(x, nm, cb.b, cb.n, &in, fm);
						/* shxd [rsi+16], edx, imm8 */
						if ((cnt & 3) == 1 || cnt == 16 || cnt == 17) {
							cb_reset(&cb);
							cb_size(&cb, size, 0);
							CB(&cb, 0x0f, right ? 0xac : 0xa4, 0x56, 16, (uint8_t)cnt);
							t2_check(x, nm, cb.b, cb.n, &in, fm);
						}
					}
				}
			}
		}
		t2_end(x, right ? "shrd (16/32/64, cl/imm, reg/mem, 16-bit counts > 16)"
				: "shld (16/32/64, cl/imm, reg/mem, 16-bit counts > 16)");
	}
}

/* --- group 3, IMUL ---------------------------------------------------- */

static int div_faults(unsigned size, uint64_t rax, uint64_t rdx, uint64_t d, int sign)
{
	unsigned bits = size * 8;
	uint64_t mask = size == 8 ? ~0ull : (1ull << bits) - 1;
	d &= mask;
	if (!d)
		return 1;
	if (!sign) {
		unsigned __int128 n = size == 1 ? (rax & 0xffff) :
			(((unsigned __int128)(rdx & mask) << bits) | (rax & mask));
		return n / d > mask;
	}
	__int128 n;
	int64_t sd;
	switch (size) {
	case 1: n = (int16_t)rax; sd = (int8_t)d; break;
	case 2: n = (int32_t)(((rdx & 0xffff) << 16) | (rax & 0xffff)); sd = (int16_t)d; break;
	case 4: n = (int64_t)((rdx << 32) | (uint32_t)rax); sd = (int32_t)d; break;
	default: n = (__int128)(((unsigned __int128)rdx << 64) | rax); sd = (int64_t)d; break;
	}
	if (sd == -1 && n == (__int128)((unsigned __int128)1 << 127))
		return 1;
	__int128 q = n / sd;
	__int128 lim = (__int128)(mask >> 1);
	return q > lim || q < -lim - 1;
}

static void test_grp3(struct t2 *x)
{
	static const char *const names[8] = { "test", "test/1", "not", "neg", "mul", "imul", "div", "idiv" };
	static const uint32_t masks[8] = { ALLF & ~FL_AF, ALLF & ~FL_AF, ALLF, ALLF,
					   FL_CF | FL_OF, FL_CF | FL_OF, 0, 0 };
	struct cb cb;
	char nm[64];
	for (unsigned op = 0; op < 8; op++) {
		t2_begin(x);
		for (unsigned si = 0; si < 4; si++) {
			unsigned size = t2_sizes[si];
			for (unsigned v = 0; v < T2_NV; v++)
				for (unsigned w = 0; w < T2_NV; w++) {
					struct gst in = { 0 };
					in.r[R_RAX] = t2_vals[v];
					in.r[R_RDX] = t2_vals[(v * 7 + w) % T2_NV];
					in.r[R_RBX] = t2_vals[w];
					in.fl = (w & 1) ? 0x8d5 : 0;
					snprintf(nm, sizeof(nm), "%s size %u", names[op], size);
					for (int mem = 0; mem < 2; mem++) {
						cb_reset(&cb);
						cb_size(&cb, size, 0);
						CB(&cb, size == 1 ? 0xf6 : 0xf7, (uint8_t)((mem ? 0x46 : 0xc3) | op << 3));
						if (mem) {
							CB(&cb, 0x20);
							in.r[R_RSI] = 8 * (w % 8);
						}
						if (op < 2)
							cb_imm(&cb, t2_vals[(w + 3) % T2_NV], size == 8 ? 4 : size);
						if (op >= 6) {
							uint64_t d = mem ? 0 : t2_vals[w];
							if (mem)
								memcpy(&d, x->init + 0x20 + in.r[R_RSI], 8);
							if (div_faults(size, in.r[R_RAX], in.r[R_RDX], d, op == 7)) {
								t2_check_fault(x, nm, cb.b, cb.n, &in, EXC_DE);
								continue;
							}
						}
						t2_check(x, nm, cb.b, cb.n, &in, masks[op]);
					}
				}
		}
		if (op == 2 || op == 3) {
			/* LOCK NOT/NEG [rsi] */
			for (unsigned si = 0; si < 4; si++) {
				struct gst in = { 0 };
				cb_reset(&cb);
				CB(&cb, 0xf0);
				cb_size(&cb, t2_sizes[si], 0);
				CB(&cb, si == 0 ? 0xf6 : 0xf7, (uint8_t)(0x16 | (op - 2) << 3));
				t2_check(x, "lock not/neg", cb.b, cb.n, &in, masks[op]);
			}
		}
		snprintf(nm, sizeof(nm), "%s (F6/F7, all sizes, reg and mem)", names[op]);
		t2_end(x, nm);
	}

	/* #DE details: 0, quotient overflow, INT_MIN / -1 at every size */
	t2_begin(x);
	for (unsigned si = 0; si < 4; si++) {
		unsigned size = t2_sizes[si];
		uint64_t smin = 1ull << (size * 8 - 1);
		struct gst in = { 0 };
		cb_reset(&cb);
		cb_size(&cb, size, 0);
		CB(&cb, size == 1 ? 0xf6 : 0xf7, 0xfb); /* idiv ebx */
		in.r[R_RAX] = smin;
		in.r[R_RDX] = size == 1 ? 0 : ~0ull;
		if (size == 1)
			in.r[R_RAX] = 0xff80;
		in.r[R_RBX] = ~0ull;
		t2_check_fault(x, "idiv INT_MIN/-1", cb.b, cb.n, &in, EXC_DE);
		in.r[R_RBX] = 0;
		t2_check_fault(x, "idiv by 0", cb.b, cb.n, &in, EXC_DE);
		cb.b[cb.n - 1] = 0xf3; /* div ebx */
		t2_check_fault(x, "div by 0", cb.b, cb.n, &in, EXC_DE);
		in.r[R_RBX] = 1;
		in.r[R_RDX] = 1;
		in.r[R_RAX] = size == 1 ? 0x100 : 0;
		t2_check_fault(x, "div overflow", cb.b, cb.n, &in, EXC_DE);
	}
	t2_end(x, "#DE: divide by zero, quotient overflow, INT_MIN/-1");

	/* IMUL r, r/m; IMUL r, r/m, imm8/imm32 */
	t2_begin(x);
	for (unsigned si = 1; si < 4; si++) {
		unsigned size = t2_sizes[si];
		for (unsigned v = 0; v < T2_NV; v++)
			for (unsigned w = 0; w < T2_NV; w++) {
				struct gst in = { 0 };
				in.r[R_RAX] = t2_vals[v];
				in.r[R_RBX] = t2_vals[w];
				in.fl = (v & 1) ? 0x8d5 : 0;
				cb_reset(&cb);
				cb_size(&cb, size, 0);
				CB(&cb, 0x0f, 0xaf, 0xc3);
				t2_check(x, "imul r,r/m", cb.b, cb.n, &in, FL_CF | FL_OF);
				cb_reset(&cb);
				cb_size(&cb, size, 0);
				CB(&cb, 0x6b, 0xc3, (uint8_t)t2_vals[v]);
				t2_check(x, "imul r,r/m,imm8", cb.b, cb.n, &in, FL_CF | FL_OF);
				cb_reset(&cb);
				cb_size(&cb, size, 0);
				CB(&cb, 0x69, 0xd3);
				cb_imm(&cb, t2_vals[v], size == 2 ? 2 : 4);
				t2_check(x, "imul r,r/m,imm", cb.b, cb.n, &in, FL_CF | FL_OF);
				cb_reset(&cb);
				cb_size(&cb, size, 0);
				CB(&cb, 0x0f, 0xaf, 0x46, 0x10);
				in.r[R_RSI] = w * 4;
				t2_check(x, "imul r,m", cb.b, cb.n, &in, FL_CF | FL_OF);
			}
	}
	t2_end(x, "imul 0F AF / 69 / 6B");
}

/* --- bit tests and scans ---------------------------------------------- */

static void test_bt(struct t2 *x)
{
	static const char *const names[4] = { "bt", "bts", "btr", "btc" };
	static const uint8_t opr[4] = { 0xa3, 0xab, 0xb3, 0xbb };
	struct cb cb;
	for (unsigned op = 0; op < 4; op++) {
		t2_begin(x);
		for (unsigned si = 1; si < 4; si++) {
			unsigned size = t2_sizes[si];
			for (unsigned v = 0; v < T2_NV; v++)
				for (int off = -300; off <= 300; off += 7) {
					struct gst in = { 0 };
					in.r[R_RAX] = t2_vals[v];
					in.r[R_RDX] = (uint64_t)(int64_t)off;
					in.r[R_RSI] = 0x800;
					in.fl = (v & 1) ? 0x8d5 : 0x040;
					for (int lock = 0; lock < 2; lock++) {
						/* bt* r/m, reg: register and memory (offset beyond the operand) */
						cb_reset(&cb);
						if (lock) {
							if (op == 0)
								continue;
							CB(&cb, 0xf0);
						}
						cb_size(&cb, size, 0);
						CB(&cb, 0x0f, opr[op], 0x56, 0x10);
						t2_check(x, names[op], cb.b, cb.n, &in, FL_CF | FL_ZF);
					}
					cb_reset(&cb);
					cb_size(&cb, size, 0);
					CB(&cb, 0x0f, opr[op], 0xd0);
					t2_check(x, names[op], cb.b, cb.n, &in, FL_CF | FL_ZF);
					/* 0F BA /4-7 imm8 */
					cb_reset(&cb);
					cb_size(&cb, size, 0);
					CB(&cb, 0x0f, 0xba, (uint8_t)(0xe0 | op << 3), (uint8_t)off);
					t2_check(x, names[op], cb.b, cb.n, &in, FL_CF | FL_ZF);
					cb_reset(&cb);
					cb_size(&cb, size, 0);
					CB(&cb, 0x0f, 0xba, (uint8_t)(0x66 | op << 3), 0x10, (uint8_t)off);
					t2_check(x, names[op], cb.b, cb.n, &in, FL_CF | FL_ZF);
				}
		}
		char nm[64];
		snprintf(nm, sizeof(nm), "%s (reg, mem with signed offsets, imm8, lock)", names[op]);
		t2_end(x, nm);
	}
}

static void test_scan(struct t2 *x)
{
	static const struct {
		const char *name;
		uint8_t pfx, op;
		uint32_t mask;
	} t[] = {
		{ "bsf", 0, 0xbc, FL_ZF }, { "bsr", 0, 0xbd, FL_ZF },
		{ "tzcnt", 0xf3, 0xbc, FL_ZF | FL_CF }, { "lzcnt", 0xf3, 0xbd, FL_ZF | FL_CF },
		{ "popcnt", 0xf3, 0xb8, ALLF },
	};
	struct cb cb;
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		t2_begin(x);
		for (unsigned si = 1; si < 4; si++) {
			unsigned size = t2_sizes[si];
			for (unsigned v = 0; v < T2_NV; v++)
				for (unsigned sh = 0; sh < 64; sh += 5) {
					struct gst in = { 0 };
					in.r[R_RAX] = 0xdeadbeefcafebabeull;
					in.r[R_RBX] = t2_vals[v] << sh;
					in.fl = (v & 1) ? 0x8d5 : 0;
					cb_reset(&cb);
					if (size == 2)
						CB(&cb, 0x66);
					if (t[i].pfx)
						CB(&cb, t[i].pfx);
					if (size == 8)
						CB(&cb, 0x48);
					CB(&cb, 0x0f, t[i].op, 0xc3);
					t2_check(x, t[i].name, cb.b, cb.n, &in, t[i].mask);
					in.r[R_RSI] = v * 8;
					cb.b[cb.n - 1] = 0x06;
					t2_check(x, t[i].name, cb.b, cb.n, &in, t[i].mask);
				}
		}
		t2_end(x, t[i].name);
	}
}

int main(void)
{
	static struct t2 x;
	if (t2_init(&x, 1)) {
		printf("Bail out! init\n");
		return 1;
	}
	test_grp2(&x);
	test_shxd(&x);
	test_grp3(&x);
	test_bt(&x);
	test_scan(&x);
	harness_fini(&x.h);
	return tap_done();
}
