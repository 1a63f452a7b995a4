/*
 * libFuzzer target for the qcow2 driver: any byte string is an image file. Opening must
 * succeed or fail cleanly; when it opens, info, snapshot list, block status, reads of
 * the whole (bounded) virtual disk, a read-only check, and then a few writes, a
 * flush, a check with repair and a close must never crash, hang or touch memory out of
 * bounds. The file lives in a memfd; backing files are never opened.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -I<builddir> \
 *     tests/fuzz/fuzz_qcow2.c src/block/[a-z]*.c src/block/qcow2/[a-z]*.c -lz -lzstd \
 *     -lpthread \
 *     -o fuzz_qcow2
 *   ./fuzz_qcow2 -max_total_time=60 corpus/
 */
#include "block/block.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bound the work per input: a fuzzed header can claim an exabyte disk. */
#define MAX_READ (4u << 20)

static void exercise(struct blk_node *n, bool rw)
{
	struct blk_image_info info;
	if (blk_get_info(n, &info) == 0)
		blk_image_info_free(&info);
	struct blk_snapshot *sl;
	int ns = blk_snapshot_list(n, &sl);
	if (ns >= 0)
		free(sl);
	int64_t len = blk_getlength(n);
	if (len <= 0)
		return;
	uint8_t *buf = malloc(65536);
	if (!buf)
		return;
	int64_t end = len < MAX_READ ? len : MAX_READ;
	for (int64_t p = 0; p < end; p += 65536) {
		size_t c = end - p < 65536 ? (size_t)(end - p) : 65536;
		if (blk_pread(n, p, buf, c, 0) < 0)
			break;
	}
	/* The last bytes of a huge disk too (far L1 entries). */
	if (len > 4096)
		blk_pread(n, len - 4096, buf, 4096, 0);
	int steps = 0;
	for (int64_t p = 0; p < len && steps < 256; steps++) {
		struct blk_status st;
		if (blk_block_status_above(n, NULL, p, len - p, &st) < 0 || st.bytes <= 0)
			break;
		p += st.bytes;
	}
	/* check keeps a counter per host cluster: skip it once hostile writes made the
	 * (sparse) file huge, to stay within the fuzzer's memory limit. */
	struct blk_check_result res;
	bool small = blk_getlength(blk_node_file(n)) < (256 << 20);
	if (small)
		blk_check(n, 0, &res, NULL, NULL, NULL);
	if (rw) {
		memset(buf, 0x5a, 65536);
		blk_pwrite(n, 0, buf, 4096, 0);
		blk_pwrite(n, len / 2 & ~511ll, buf, len - (len / 2 & ~511ll) < 65536 ? 512 : 65536, 0);
		blk_pwrite_zeroes(n, 0, len < 1 << 20 ? len : 1 << 20, BLK_REQ_MAY_UNMAP);
		blk_flush(n);
		blk_pread(n, 0, buf, len < 65536 ? (size_t)len : 65536, 0);
		if (blk_getlength(blk_node_file(n)) < (256 << 20))
			blk_check(n, BLK_CHECK_FIX_LEAKS | BLK_CHECK_FIX_ERRORS, &res, NULL, NULL, NULL);
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-qcow2", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	for (int rw = 0; rw < 2; rw++) {
		struct blk_error err;
		struct blk_node *n = blk_open(path, "qcow2", NULL,
					      BLK_OPEN_NO_BACKING | BLK_OPEN_NO_LOCK |
						      (rw ? BLK_OPEN_RDWR | BLK_OPEN_CHECK : 0),
					      &err);
		if (!n)
			break;
		exercise(n, rw);
		blk_close(n);
		/* Keep the file from growing without bound between the two passes. */
	}
	close(fd);
	return 0;
}
