/*
 * libFuzzer target for QMP: the input is the byte stream a client sends,
 * split by the monitor's JSON streamer, parsed, and run through the real
 * dispatcher (argument checking and the commands) on a real VM: two vCPUs
 * (never started), 16 MiB of RAM, a raw drive "d0" on a scratch image and a
 * null chardev.  Human-monitor commands run through the same path
 * (human-monitor-command), so the HMP parser and its expressions are fuzzed
 * too.  Every reply must serialise to JSON.
 *
 * The first byte picks the session state: bit 0 set = capabilities already
 * negotiated.  Commands that act on the host or that need running vCPU
 * threads are refused by the harness before dispatch (file writes:
 * memsave, pmemsave, logfile, log, commit, block_resize; stop/cont, whose
 * vCPU handshake needs the threads).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc -Ibuild \
 *     tests/fuzz/fuzz_qmp.c src/monitor/[a-z]*.c build/tests/unit/libsystest.a \
 *     build/liblemucpu.a build/liblemublock.a -ljansson -lz -lzstd -lgnutls -lm -lpthread ...
 *   ./fuzz_qmp -max_total_time=60
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chardev/chardev.h"
#include "core/vm.h"
#include "hw/block_backend.h"
#include "monitor/monitor_int.h"
#include "util/error.h"
#include "util/opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_state {
	struct vm *vm;
	bool negotiated;
	char image[64];
	unsigned long replies, returns; /* statistics (FUZZ_QMP_STATS=1 prints them) */
};

static struct fuzz_state *fuzz_setup(void)
{
	static struct fuzz_state st;
	if (st.vm)
		return &st;
	struct vm_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.machine = "pc-i440fx-7.2";
	cfg.ram_size = 16u << 20;
	cfg.smp = 2;
	cfg.sockets = 1;
	cfg.cores = 2;
	cfg.threads = 1;
	cfg.maxcpus = 2;
	cfg.name = "fuzz";
	struct error *err = NULL;
	st.vm = vm_new(&cfg, &err);
	if (!st.vm) {
		fprintf(stderr, "fuzz_qmp: %s\n", err ? err->msg : "vm_new failed");
		abort();
	}
	snprintf(st.image, sizeof(st.image), "/tmp/lemu-fz-qmp-XXXXXX");
	int fd = mkstemp(st.image);
	if (fd < 0 || ftruncate(fd, 1 << 20) < 0)
		abort();
	close(fd);
	char opt[128];
	snprintf(opt, sizeof(opt), "file=%s,format=raw,if=none,id=d0", st.image);
	if (drive_add(st.vm, opt, false, &err) < 0) {
		fprintf(stderr, "fuzz_qmp: %s\n", err->msg);
		abort();
	}
	struct opts *o = opts_parse("null,id=n0", "backend", NULL);
	if (!o || !chardev_new(st.vm, o, &err))
		abort();
	opts_free(o);
	return &st;
}

static bool refused(json_t *req)
{
	static const char *const deny[] = { "memsave", "pmemsave", "block_resize",
		                            "stop",    "cont",     NULL };
	const char *name = json_string_value(json_object_get(req, "execute"));
	if (!name)
		name = json_string_value(json_object_get(req, "exec-oob"));
	if (!name)
		return false;
	for (int i = 0; deny[i]; i++)
		if (!strcmp(name, deny[i]))
			return true;
	if (!strcmp(name, "human-monitor-command")) {
		json_t *args = json_object_get(req, "arguments");
		const char *line = json_string_value(json_object_get(args, "command-line"));
		if (!line)
			return false;
		while (*line == ' ' || *line == '\t')
			line++;
		static const char *const hdeny[] = { "memsave", "pmemsave", "log",
			                             "logfile", "commit",   "block_resize",
			                             "stop",    "s",        "cont",
			                             "c",       NULL };
		size_t n = strcspn(line, " \t/");
		for (int i = 0; hdeny[i]; i++)
			if (strlen(hdeny[i]) == n && !strncmp(line, hdeny[i], n))
				return true;
	}
	return false;
}

static void on_text(void *opaque, const char *text, size_t len, const char *error)
{
	struct fuzz_state *st = opaque;
	json_t *reply = NULL;
	if (error) {
		reply = qmp_error_reply(0, "%s", error);
	} else {
		json_error_t jerr;
		json_t *req = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
		if (!req) {
			reply = qmp_error_reply(0, "JSON parse error, %s", jerr.text);
		} else if (json_is_object(req) && refused(req)) {
			json_decref(req);
			return;
		} else {
			reply = qmp_dispatch(st->vm, req, &st->negotiated);
			json_decref(req);
		}
	}
	if (reply) {
		st->replies++;
		st->returns += json_object_get(reply, "return") != NULL;
		char *s = json_dumps(reply, JSON_ENCODE_ANY);
		if (!s)
			abort(); /* a reply that is not JSON */
		free(s);
		json_decref(reply);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_state *st = fuzz_setup();
	if (!size)
		return 0;
	st->negotiated = data[0] & 1;
	struct json_streamer js;
	memset(&js, 0, sizeof(js));
	vm_lock(st->vm);
	json_streamer_feed(&js, data + 1, size - 1, on_text, st);
	vm_unlock(st->vm);
	sb_free(&js.buf);
	if (getenv("FUZZ_QMP_STATS"))
		fprintf(stderr, "fuzz_qmp: %lu replies, %lu successful\n", st->replies,
		        st->returns);
	return 0;
}
