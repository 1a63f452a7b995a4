/*
 * Deterministic run of the NBD server fuzz target (tests/fuzz/fuzz_nbd.c): random byte
 * streams, well-framed options with random codes and lying lengths, and request streams
 * with valid magic but random commands, flags, offsets and lengths after a valid
 * handshake.  The libFuzzer build does the open-ended search; this one runs in the unit
 * suite (and under ASan/UBSan in unit-asan), where any out-of-range access, overread or
 * malformed reply aborts.
 */
#include "harness.h"
#include "nbd/nbd-proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

static uint64_t pick(struct rng *r, const uint64_t *v, size_t n)
{
	return v[rnd(r) % n];
}

int main(void)
{
	struct rng r = { 0x9e3779b97f4a7c15ull };
	enum { BUF_SIZE = 1 << 16 };
	uint8_t *buf = malloc(BUF_SIZE);
	int runs = 0;
	if (!buf)
		return 1;

	/* 1. raw bytes, any mode */
	for (int i = 0; i < 3000; i++) {
		size_t n = 1 + rnd(&r) % 300;
		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)rnd(&r);
		LLVMFuzzerTestOneInput(buf, n);
		runs++;
	}
	tap_ok(1, "%d random byte streams", runs);

	/* 2. client flags then well-framed options with random codes and lengths */
	static const uint64_t opts[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0xffffffff };
	static const uint64_t lens[] = { 0, 1, 4, 5, 6, 8, 12, 16, 40, 4100, 0xffffffff };
	int runs2 = 0;
	for (int i = 0; i < 3000; i++) {
		size_t n = 0;
		buf[n++] = (uint8_t)(rnd(&r) & 0xc); /* even mode: from the handshake on */
		nbd_put32(buf + n, (uint32_t)(rnd(&r) % 4 == 0 ? rnd(&r) : 3));
		n += 4;
		int nopt = 1 + (int)(rnd(&r) % 6);
		for (int o = 0; o < nopt && n < BUF_SIZE - 5000; o++) {
			uint32_t len = (uint32_t)pick(&r, lens, sizeof(lens) / 8);
			uint32_t real = len > 4100 ? (uint32_t)(rnd(&r) % 64) : len;
			nbd_put64(buf + n, rnd(&r) % 16 ? NBD_OPTS_MAGIC : rnd(&r));
			nbd_put32(buf + n + 8, (uint32_t)pick(&r, opts, sizeof(opts) / 8));
			nbd_put32(buf + n + 12, len);
			n += 16;
			/* payload: inner length fields that sometimes lie */
			for (uint32_t k = 0; k < real; k++)
				buf[n + k] = (uint8_t)rnd(&r);
			if (real >= 4)
				nbd_put32(buf + n,
				          (uint32_t)(rnd(&r) % 3 ? rnd(&r) % (real + 2) : rnd(&r)));
			if (real >= 12 && rnd(&r) % 2) {
				nbd_put32(buf + n + 4, 1);
				nbd_put32(buf + n + 8, (uint32_t)(rnd(&r) % (real + 4)));
			}
			n += real;
		}
		LLVMFuzzerTestOneInput(buf, n);
		runs2++;
	}
	tap_ok(1, "%d option streams", runs2);

	/* 3. valid handshake, then requests with correct magic and random fields */
	static const uint64_t offs[] = { 0,          1,
		                         511,        512,
		                         4096,       65536,
		                         13 << 16,   (1 << 20) - 512,
		                         1 << 20,    (1 << 20) + 1,
		                         1ull << 63, ~0ull };
	static const uint64_t rlens[] = { 0,      1,       512,           4096,     65536,
		                          200000, 1 << 20, (1 << 20) + 1, 1u << 31, 0xffffffff };
	int runs3 = 0;
	for (int i = 0; i < 3000; i++) {
		size_t n = 0;
		buf[n++] = (uint8_t)((rnd(&r) & 0xe) | 1);
		int nreq = 1 + (int)(rnd(&r) % 12);
		for (int q = 0; q < nreq && n < BUF_SIZE - 9000; q++) {
			uint16_t type = (uint16_t)(rnd(&r) % 10);
			uint16_t flags = (uint16_t)(rnd(&r) % 3 ? 0 : 1u << (rnd(&r) % 16));
			uint64_t off = pick(&r, offs, sizeof(offs) / 8);
			uint32_t len = (uint32_t)pick(&r, rlens, sizeof(rlens) / 8);
			nbd_put32(buf + n, rnd(&r) % 40 ? NBD_REQUEST_MAGIC : (uint32_t)rnd(&r));
			nbd_put16(buf + n + 4, flags);
			nbd_put16(buf + n + 6, type);
			nbd_put64(buf + n + 8, rnd(&r));
			nbd_put64(buf + n + 16, off);
			if (type == NBD_CMD_WRITE && len > 8192 && rnd(&r) % 4)
				len = (uint32_t)(rnd(&r) % 8192);
			nbd_put32(buf + n + 24, len);
			n += 28;
			if (type == NBD_CMD_WRITE) {
				/* sometimes the payload is cut short: the client vanishes */
				uint32_t send = len <= 8192 ? len : 100;
				if (rnd(&r) % 20 == 0)
					send /= 2;
				for (uint32_t k = 0; k < send; k++)
					buf[n + k] = (uint8_t)k;
				n += send;
			}
		}
		LLVMFuzzerTestOneInput(buf, n);
		runs3++;
	}
	tap_ok(1, "%d request streams after a valid handshake", runs3);

	/* 4. a hostile server talking to the -L client: valid greeting, then option
	 * replies with random types and lengths */
	int runs4 = 0;
	for (int i = 0; i < 2000; i++) {
		size_t n = 0;
		buf[n++] = 0x80;
		nbd_put64(buf + n, NBD_MAGIC);
		nbd_put64(buf + n + 8, NBD_OPTS_MAGIC);
		nbd_put16(buf + n + 16, 3);
		n += 18;
		static const uint64_t opts4[] = { 3, 6, 8, 9, 2, 7 };
		static const uint64_t types[] = { 1, 2, 3, 4, 0x80000001, 0x80000006, 77 };
		int nrep = 1 + (int)(rnd(&r) % 10);
		for (int k = 0; k < nrep && n < BUF_SIZE - 200; k++) {
			uint32_t len = (uint32_t)(rnd(&r) % 4 ? rnd(&r) % 40 : rnd(&r));
			uint32_t real = len < 40 ? len : (uint32_t)(rnd(&r) % 40);
			nbd_put64(buf + n, rnd(&r) % 20 ? NBD_REP_MAGIC : rnd(&r));
			nbd_put32(buf + n + 8, (uint32_t)pick(&r, opts4, 6));
			nbd_put32(buf + n + 12, (uint32_t)pick(&r, types, 7));
			nbd_put32(buf + n + 16, len);
			n += 20;
			for (uint32_t b = 0; b < real; b++)
				buf[n + b] = (uint8_t)rnd(&r);
			if (real >= 4)
				nbd_put32(buf + n, (uint32_t)(rnd(&r) % (real + 3)));
			if (real >= 2 && rnd(&r) % 2)
				nbd_put16(buf + n, (uint16_t)(rnd(&r) % 4));
			n += real;
		}
		LLVMFuzzerTestOneInput(buf, n);
		runs4++;
	}
	tap_ok(1, "%d hostile server streams against the -L client", runs4);
	free(buf);
	return tap_done();
}
