/*
 * Deterministic run of the decoder fuzz target over pseudo-random and
 * prefix-heavy byte strings (the libFuzzer harness in tests/fuzz/ does
 * the open-ended search); under the ASan build any overread aborts.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(void)
{
	uint64_t s = 0x9e3779b97f4a7c15ull;
	static const uint8_t interesting[] = { 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x36,
					       0x64, 0x65, 0x40, 0x48, 0x4f, 0x0f, 0x38, 0x3a, 0xc4,
					       0xc5, 0x62, 0x8f, 0xd8, 0xdf, 0xff, 0x00, 0x05, 0x04, 0x24 };
	uint8_t buf[64];
	int runs = 0;
	for (int i = 0; i < 200000; i++) {
		size_t n = 1 + (size_t)(i % 40);
		for (size_t k = 0; k < n; k++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			buf[k] = (s & 3) ? (uint8_t)(s >> 24) : interesting[(s >> 8) % sizeof(interesting)];
		}
		LLVMFuzzerTestOneInput(buf, n);
		runs++;
	}
	tap_ok(runs == 200000, "decoded %d random byte strings without a fault", runs);
	return tap_done();
}
