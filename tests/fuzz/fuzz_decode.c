/*
 * libFuzzer target for the x86 decoder: any byte string, in each code
 * size, must decode to an instruction of 1..15 bytes with a handler, or
 * report truncation; never crash or read past the buffer.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -Ibuild \
 *     tests/fuzz/fuzz_decode.c src/cpu/x86/[a-z]*.c -lm -o fuzz_decode
 */
#include "cpu/x86/cpu.h"
#include "cpu/x86/cpu_model.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t modes[3] = { TB_F_CODE64, TB_F_CODE32, 0 };
	struct cpu *c = calloc(1, sizeof(*c));
	if (!c)
		return 0;
	cpu_init(c, cpu_model_find("max"), CPU_MODE_USER64);
	for (int m = 0; m < 3; m++) {
		size_t off = 0;
		while (off < size) {
			struct insn in;
			int ends;
			uint8_t *copy = malloc(size - off);
			if (!copy)
				break;
			memcpy(copy, data + off, size - off); /* exact-size buffer for ASan */
			int len = x86_decode(c, 0x1000 + off, copy, size - off, modes[m], &in, &ends);
			free(copy);
			if (len < 0)
				break;
			if (len < 1 || len > 15 || !in.fn || (size_t)len > size - off)
				abort();
			off += (size_t)len;
		}
	}
	free(c);
	return 0;
}
