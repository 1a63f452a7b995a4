/*
 * The virtio device models under a hostile guest driver: runs the fuzz
 * target tests/fuzz/fuzz_virtio_dev.c (a real pc VM with virtio-blk,
 * virtio-rng and virtio-serial, driven through port I/O and MMIO) over
 * pseudo-random inputs.  Passing means no crash, no hang and no ASan/UBSan
 * report in the sanitizer build.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_virtio_result {
	uint8_t status[3];
	uint16_t used_idx[3][8];
	uint8_t blk_data[512];
	uint8_t blk_status;
};
extern struct fuzz_virtio_result fuzz_virtio_result;

static int tap_n, tap_bad;
static void ok(int cond, const char *what)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++tap_n, what);
	if (!cond)
		tap_bad++;
}

#define NEEDS_RESET 0x40
#define DRIVER_OK 0x04

/* Crafted inputs in the harness's encoding: 12 bytes of driver features
 * (all offered), then ops (device << 4 | op, queue, operands). */
#define FEATURES 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
#define AVAIL_CHAIN0(dev) (dev) << 4 | 1, 0, 0
#define KICK(dev) (dev) << 4 | 2, 0
#define RUN 3, 0, 2

static void run(const uint8_t *in, size_t n)
{
	LLVMFuzzerTestOneInput(in, n);
}

static void scenarios(void)
{
	struct fuzz_virtio_result *r = &fuzz_virtio_result;
	/* An honest read of sector 0 (the image is all 0x5a). */
	static const uint8_t read0[] = { FEATURES, AVAIL_CHAIN0(0), KICK(0), RUN };
	run(read0, sizeof(read0));
	int all5a = 1;
	for (int i = 0; i < 512; i++)
		all5a &= r->blk_data[i] == 0x5a;
	ok(!(r->status[0] & NEEDS_RESET) && (r->status[0] & DRIVER_OK),
	   "virtio-blk: honest read leaves the device running");
	ok(r->used_idx[0][0] == 1 && r->blk_status == 0 && all5a,
	   "virtio-blk: sector 0 read through the ring, status OK");
	/* A zero-length descriptor as the head of a chain. */
	static const uint8_t zero[] = { FEATURES,        0x00,    0,  0, 0, 0, 0, 0, 0, 0, 0, 0,
		                        AVAIL_CHAIN0(0), KICK(0), RUN };
	run(zero, sizeof(zero));
	ok(r->status[0] & NEEDS_RESET, "virtio-blk: zero-length buffer -> DEVICE_NEEDS_RESET");
	/* An unknown request type: answered UNSUPP, the device keeps working. */
	static const uint8_t unsupp[] = { FEATURES, 0x04, 0,  0,  0,
		                          0,        0,    16, 99, 0,
		                          0,        0,    0,  0,  0,
		                          0,        0,    0,  0,  0,
		                          0,        0,    0,  0,  AVAIL_CHAIN0(0),
		                          KICK(0),  RUN };
	run(unsupp, sizeof(unsupp));
	ok(!(r->status[0] & NEEDS_RESET) && r->used_idx[0][0] == 1 && r->blk_status == 2,
	   "virtio-blk: unknown request type -> VIRTIO_BLK_S_UNSUPP");
	/* A read past the end of the disk: IOERR, not broken. */
	static const uint8_t past[] = { FEATURES, 0x04, 0,  0,    0,
		                        0,        0,    16, 0,    0,
		                        0,        0,    0,  0,    0,
		                        0,        0,    0,  0x10, 0,
		                        0,        0,    0,  0,    AVAIL_CHAIN0(0),
		                        KICK(0),  RUN };
	run(past, sizeof(past));
	ok(!(r->status[0] & NEEDS_RESET) && r->used_idx[0][0] == 1 && r->blk_status == 1,
	   "virtio-blk: read beyond the capacity -> VIRTIO_BLK_S_IOERR");
	/* virtio-rng fills a chain's writable buffers. */
	static const uint8_t rng[] = { FEATURES, AVAIL_CHAIN0(1), KICK(1), RUN };
	run(rng, sizeof(rng));
	ok(!(r->status[1] & NEEDS_RESET) && r->used_idx[1][0] == 1, "virtio-rng: request answered");
	/* A chain whose head is out of range breaks virtio-rng. */
	static const uint8_t rngbad[] = { FEATURES, 0x11, 0, 0x86, KICK(1), RUN }; /* head 8 of 8 */
	run(rngbad, sizeof(rngbad));
	ok(r->status[1] & NEEDS_RESET, "virtio-rng: head index out of range -> DEVICE_NEEDS_RESET");
}

int main(int argc, char **argv)
{
	scenarios();
	int runs = argc > 1 ? atoi(argv[1]) : 300;
	uint64_t s = 0x9e3779b97f4a7c15ull;
	static uint8_t buf[2048];
	for (int i = 0; i < runs; i++) {
		size_t n = 64 + (size_t)(i * 37 % 1900);
		for (size_t k = 0; k < n; k++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			/* ops 0..12 and small numbers most of the time */
			buf[k] = (s & 3) ? (uint8_t)((s >> 8) % 16 | ((s >> 16) & 0x30)) :
			                   (uint8_t)(s >> 24);
		}
		LLVMFuzzerTestOneInput(buf, n);
	}
	char msg[128];
	snprintf(msg, sizeof(msg),
	         "%d pseudo-random guest drivers against virtio-blk/rng/serial without a fault",
	         runs);
	ok(1, msg);
	printf("1..%d\n", tap_n);
	return tap_bad ? 1 : 0;
}
