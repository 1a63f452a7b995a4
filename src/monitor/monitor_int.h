/* Private state of the monitors (src/monitor). */
#ifndef LEMU_MONITOR_MONITOR_INT_H
#define LEMU_MONITOR_MONITOR_INT_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"
#include "monitor/monitor.h"

struct vm;
struct error;
struct chardev;
struct device;

/* A growable string (command output, JSON text). */
struct strbuf {
	char *s;
	size_t len, cap;
};
__attribute__((format(printf, 2, 3))) void sb_printf(struct strbuf *b, const char *fmt, ...);
void sb_vprintf(struct strbuf *b, const char *fmt, va_list ap);
void sb_add(struct strbuf *b, const char *s, size_t n);
void sb_free(struct strbuf *b);

/* QMP input: splits a byte stream into JSON texts the way QEMU's streamer
 * does (balanced braces/brackets outside strings). */
#define QMP_MAX_MSG (1u << 20) /* bytes of one request */
#define QMP_MAX_DEPTH 1024
struct json_streamer {
	struct strbuf buf;
	int depth;
	bool in_str, esc;
	bool garbage;    /* collecting a stray token at top level */
	bool skip_to_nl; /* after an oversized text: drop input up to a newline */
};
/* Feed bytes; calls fn for each complete text (or error message). */
typedef void (*json_msg_fn)(void *opaque, const char *text, size_t len, const char *error);
void json_streamer_feed(struct json_streamer *js, const uint8_t *buf, size_t len, json_msg_fn fn,
                        void *opaque);
void json_streamer_reset(struct json_streamer *js);

/* HMP line editor (readline.c): left/right, home/end, backspace/delete,
 * Ctrl-A/E/K/U/W, up/down history, over VT100 escape sequences. */
#define RL_MAX_LINE 1024
#define RL_MAX_HIST 64
struct readline {
	char buf[RL_MAX_LINE];
	int len, pos;
	char *hist[RL_MAX_HIST];
	int nhist;
	int hist_pos; /* browsing: index into hist, nhist = the line being typed */
	int esc;      /* 0, 1 after ESC, 2 after ESC [ / ESC O */
	int esc_arg;
	bool last_cr;
};
/* Feed one byte.  Returns 1 and copies the finished line to `line` when
 * Enter completes one; echo goes to `echo`. */
int readline_feed(struct readline *rl, uint8_t ch, struct strbuf *echo, char *line, size_t size);
void readline_free(struct readline *rl);

struct monitor_hub;

struct monitor {
	struct monitor_hub *hub;
	struct vm *vm;
	struct chardev *chr;
	bool qmp, pretty;
	bool open; /* the backend is open (a client is connected) */
	/* QMP */
	bool negotiated; /* qmp_capabilities done */
	struct json_streamer js;
	/* HMP */
	struct readline rl;
	bool focused; /* has the mux focus (or no mux) */
	bool banner_done;
	int cpu_index; /* "cpu N" */
	struct monitor *next;
};

struct monitor_hub {
	struct vm *vm;
	struct monitor *mons;
	int ncompat; /* compat_monitorN labels */
	/* HMP's /fmt defaults: the last format and size used (x, xp, p, i, o
	 * share them, as in QEMU, across all human monitors) */
	char fmt_format;
	int fmt_size;
	/* sendkey: keys held down until the timer releases them */
	struct timer key_timer;
	bool key_timer_ready;
	void *kbc;
	const void *keys_held[16];
	int nkeys_held;
};

/* monitor.c */
struct monitor_hub *monitor_hub_of(struct vm *vm);
/* Send an event to every QMP monitor; takes ownership of data (may be NULL). */
void monitor_event(struct vm *vm, const char *name, json_t *data);
void monitor_write(struct monitor *mon, const char *s, size_t len);

/* qmp.c */
void qmp_receive(struct monitor *mon, const uint8_t *buf, size_t len);
void qmp_greet(struct monitor *mon);
void qmp_send(struct monitor *mon, json_t *msg);
/* Run one request object (a parsed JSON value) and return the reply, or
 * NULL when none is due.  `negotiated` is the session's state (updated by
 * qmp_capabilities).  Used by sessions and by the fuzz harness. */
json_t *qmp_dispatch(struct vm *vm, json_t *req, bool *negotiated);
/* Reply for a text the streamer flagged or jansson refused. */
json_t *qmp_error_reply(int cls, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* qmp_cmds.c: the command table */
struct qmp_cmd {
	const char *name;
	/* comma-separated argument specs "name:T" (T: i integer, s string,
	 * b bool, a any, o object, l list), a trailing '?' = optional */
	const char *args;
	json_t *(*fn)(struct vm *vm, json_t *args, struct error **errp);
};
extern const struct qmp_cmd qmp_commands[];
const struct qmp_cmd *qmp_find(const char *name);

/* qmp_info.c: queries shared with HMP */
json_t *qmp_query_block(struct vm *vm, json_t *args, struct error **errp);
json_t *qmp_query_blockstats(struct vm *vm, json_t *args, struct error **errp);
json_t *qmp_query_chardev(struct vm *vm, json_t *args, struct error **errp);
json_t *qmp_qom_list(struct vm *vm, json_t *args, struct error **errp);
json_t *qmp_qom_get(struct vm *vm, json_t *args, struct error **errp);
json_t *qmp_query_cpus_fast(struct vm *vm, json_t *args, struct error **errp);
json_t *qmp_query_machines(struct vm *vm, json_t *args, struct error **errp);
json_t *qmp_query_cpu_definitions(struct vm *vm, json_t *args, struct error **errp);
int mon_block_resize(struct vm *vm, const char *dev, int64_t size, struct error **errp);
int mon_eject(struct vm *vm, const char *dev, struct error **errp);
/* device_add / device_del (qmp_cmds.c): o holds driver=, id=, bus= and the
 * device's properties. */
struct opts;
int mon_device_add(struct vm *vm, struct opts *o, struct error **errp);
int mon_device_del(struct vm *vm, const char *id, struct error **errp);
int mon_commit(struct vm *vm, const char *dev, struct error **errp);
const char *mon_device_path(struct vm *vm, struct device *d, char *buf, size_t size);

/* shared operations (qmp_cmds.c) */
int mon_stop(struct vm *vm, struct error **errp);
int mon_cont(struct vm *vm, struct error **errp);
void mon_system_reset(struct vm *vm);
void mon_system_powerdown(struct vm *vm);
void mon_quit(struct vm *vm);
int mon_inject_nmi(struct vm *vm, struct error **errp);
/* Save guest memory: physical (cpu < 0) or virtual through vCPU `cpu`. */
int mon_memsave(struct vm *vm, uint64_t addr, uint64_t size, const char *file, int cpu,
                struct error **errp);
/* Read guest memory for x/xp; virtual when cpu >= 0.  0 or -1 (unmapped). */
int mon_read_mem(struct vm *vm, uint64_t addr, void *buf, size_t len, int cpu);

/* hmp.c */
void hmp_receive(struct monitor *mon, const uint8_t *buf, size_t len);
void hmp_event(struct monitor *mon, int ev);
/* Run one command line, output (with CRLF line ends) into out.  `cpu` is
 * the monitor's current CPU (updated by "cpu N"), `rl` its history or NULL. */
void hmp_execute(struct vm *vm, const char *line, struct strbuf *out, int *cpu,
                 struct readline *rl);
/* printf into an HMP output buffer, turning \n into \r\n as QEMU does. */
__attribute__((format(printf, 2, 3))) void hmp_printf(struct strbuf *out, const char *fmt, ...);

/* hmp_info.c */
void hmp_info(struct vm *vm, const char *what, struct strbuf *out, int *cpu, struct readline *rl);
void hmp_info_help(struct strbuf *out);

/* hmp_expr.c: QEMU's monitor integer expressions ($reg, + - * / % & | ^ ~ ( )) */
int hmp_eval(struct vm *vm, int cpu, const char **p, int64_t *out, struct error **errp);

#endif
