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
const char *fuzz_virtio_bios, *fuzz_virtio_image;

static int make_file(char *tmpl, size_t size, int byte)
{
	int fd = mkstemp(tmpl);
	if (fd < 0)
		return -1;
	char *buf = malloc(size);
	if (!buf)
		return -1;
	memset(buf, byte, size);
	int ok = write(fd, buf, size) == (ssize_t)size;
	free(buf);
	close(fd);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	char bios[] = "/tmp/lemu-fz-bios-XXXXXX", img[] = "/tmp/lemu-fz-img-XXXXXX";
	/* The firmware is never run (no vCPU starts): HLT bytes. */
	if (make_file(bios, 65536, 0xf4) < 0 || make_file(img, 1 << 20, 0x5a) < 0) {
		printf("not ok 1 - scratch files\n1..1\n");
		return 1;
	}
	fuzz_virtio_bios = bios;
	fuzz_virtio_image = img;
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
			buf[k] = (s & 3) ? (uint8_t)((s >> 8) % 16 | ((s >> 16) & 0x30)) : (uint8_t)(s >> 24);
		}
		LLVMFuzzerTestOneInput(buf, n);
	}
	unlink(bios);
	unlink(img);
	printf("ok 1 - %d pseudo-random guest drivers against virtio-blk/rng/serial without a fault\n1..1\n", runs);
	return 0;
}
