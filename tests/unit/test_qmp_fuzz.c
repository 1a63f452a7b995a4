/*
 * Deterministic run of the QMP fuzz target (tests/fuzz/fuzz_qmp.c): random bytes,
 * JSON-ish noise (brackets, quotes, escapes, deep nesting), and every command of the
 * table with arguments of random types and values, before and after negotiation.  The
 * libFuzzer build does the open-ended search; this one runs in the unit suite (and under
 * ASan/UBSan in unit-asan), where a crash, a leak or a reply that is not JSON fails it.
 */
#include "harness.h"
#include "monitor/monitor_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static const char *const values[] = {
	"0",
	"-1",
	"1",
	"4096",
	"9223372036854775807",
	"-9223372036854775808",
	"18446744073709551616",
	"1.5",
	"true",
	"false",
	"null",
	"\"\"",
	"\"disk0\"",
	"\"d0\"",
	"\"n0\"",
	"\"/machine\"",
	"\"/machine/peripheral\"",
	"\"/machine/unattached/device[1]\"",
	"\"/machine/unattached/device[99]\"",
	"\"type\"",
	"\"info registers\"",
	"\"x /16xb 0\"",
	"\"xp /4c 0xfffff000\"",
	"\"p $rax+$pc*3%0\"",
	"\"p ((((((1\"",
	"\"info block\"",
	"\"info mtree\"",
	"\"info qtree\"",
	"\"sendkey ctrl-alt-delete\"",
	"\"i/w 0x60\"",
	"\"o 0x80 1\"",
	"\"help\"",
	"\"info\"",
	"\"x/999999999xg 0\"",
	"\"x /\u00e9 0\"",
	"\"\\u0000\"",
	"[]",
	"[\"oob\"]",
	"[\"x\"]",
	"{}",
	"{\"a\": [1, {\"b\": null}]}",
};

static const char *const keys[] = {
	"val",          "size",        "filename", "cpu-index", "path",      "property",
	"command-line", "device",      "id",       "driver",    "node-name", "force",
	"enable",       "query-nodes", "bus",      "bogus",
};

int main(void)
{
	uint64_t r = 0x243f6a8885a308d3ull;
	enum { BUF = 1 << 16 };
	char *buf = malloc(BUF);
	if (!buf)
		return 1;
	int runs = 0;
	for (int i = 0; i < 2000; i++) {
		size_t n = 1 + rnd(&r) % 400;
		for (size_t k = 0; k < n; k++)
			buf[k] = (char)rnd(&r);
		LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
		runs++;
	}
	tap_ok(1, "%d random byte streams", runs);

	static const char noise[] = "{}[]\",:\\ \n\r\t0123456789abcdefxyz-+.eE";
	runs = 0;
	for (int i = 0; i < 2000; i++) {
		size_t n = 1 + rnd(&r) % 600;
		for (size_t k = 0; k < n; k++)
			buf[k] = noise[rnd(&r) % (sizeof(noise) - 1)];
		LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
		runs++;
	}
	/* deep nesting and an oversized text */
	memset(buf, '[', 5000);
	LLVMFuzzerTestOneInput((const uint8_t *)buf, 5000);
	memset(buf, '{', 3000);
	LLVMFuzzerTestOneInput((const uint8_t *)buf, 3000);
	tap_ok(1, "%d JSON-like noise streams, deep nesting", runs);

	runs = 0;
	int ncmds = 0;
	while (qmp_commands[ncmds].name)
		ncmds++;
	for (int i = 0; i < 6000; i++) {
		size_t n = 0;
		buf[n++] = (char)(rnd(&r) % 4 ? 1 : 0);
		int nreq = 1 + (int)(rnd(&r) % 4);
		for (int q = 0; q < nreq && n < BUF - 2000; q++) {
			const char *name = rnd(&r) % 20 ?
			                           qmp_commands[rnd(&r) % (uint64_t)ncmds].name :
			                           "no-such";
			n += (size_t)snprintf(buf + n, BUF - n, "{\"execute\": \"%s\"", name);
			if (rnd(&r) % 5) {
				n += (size_t)snprintf(buf + n, BUF - n, ", \"arguments\": {");
				int na = (int)(rnd(&r) % 5);
				for (int a = 0; a < na; a++)
					n += (size_t)snprintf(
					        buf + n, BUF - n, "%s\"%s\": %s", a ? ", " : "",
					        keys[rnd(&r) % (sizeof(keys) / sizeof(keys[0]))],
					        values[rnd(&r) %
					               (sizeof(values) / sizeof(values[0]))]);
				n += (size_t)snprintf(buf + n, BUF - n, "}");
			}
			if (rnd(&r) % 2)
				n += (size_t)snprintf(
				        buf + n, BUF - n, ", \"id\": %s",
				        values[rnd(&r) % (sizeof(values) / sizeof(values[0]))]);
			n += (size_t)snprintf(buf + n, BUF - n, "}\r\n");
		}
		/* sometimes cut or corrupt the stream */
		if (rnd(&r) % 8 == 0 && n > 2)
			buf[1 + rnd(&r) % (n - 1)] = (char)rnd(&r);
		LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
		runs++;
	}
	tap_ok(1, "%d request streams over every command with random arguments", runs);

	/* HMP output that is not UTF-8 (a format character that is half of a two-byte
	 * sequence, echoed back in the error) still gives a reply that encodes as JSON;
	 * the harness aborts on one that does not. */
	static const char nonutf8[] =
	        "\x01{\"execute\": \"human-monitor-command\", "
	        "\"arguments\": {\"command-line\": \"x /\xc3\xa9 0\"}}";
	LLVMFuzzerTestOneInput((const uint8_t *)nonutf8, sizeof(nonutf8) - 1);
	tap_ok(1, "HMP output with bytes that are not UTF-8 is still a JSON reply");
	free(buf);
	return tap_done();
}
