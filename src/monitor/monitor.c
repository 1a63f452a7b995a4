/*
 * The monitors of a VM: creation from the command line, the chardev
 * frontend glue shared by QMP and HMP, and QMP events (QEMU's
 * docs/interop/qmp-spec: {"event", "data", "timestamp": {"seconds",
 * "microseconds"}}, sent to every QMP monitor that has finished
 * capability negotiation).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "chardev/chardev.h"
#include "core/vm.h"
#include "monitor/monitor_int.h"
#include "util/error.h"
#include "util/opts.h"

/* ---- strbuf ------------------------------------------------------------------ */

void sb_add(struct strbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->s, cap);
		if (!p)
			return; /* out of memory: the output is cut short */
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

void sb_vprintf(struct strbuf *b, const char *fmt, va_list ap)
{
	char small[512];
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(small, sizeof(small), fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		sb_add(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big)
		return;
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	sb_add(b, big, (size_t)n);
	free(big);
}

void sb_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(b, fmt, ap);
	va_end(ap);
}

void sb_free(struct strbuf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

/* ---- events ------------------------------------------------------------------ */

static const char *const shutdown_reasons[] = {
	[VM_EVENT_NONE] = "none",
	[VM_EVENT_GUEST_SHUTDOWN] = "guest-shutdown",
	[VM_EVENT_GUEST_RESET] = "guest-reset",
	[VM_EVENT_GUEST_PANIC] = "guest-panic",
	[VM_EVENT_HOST_QUIT] = "host-qmp-quit",
	[VM_EVENT_HOST_SIGNAL] = "host-signal",
	[VM_EVENT_EXIT] = "guest-shutdown",
	[VM_EVENT_HOST_RESET] = "host-qmp-system-reset",
};

void monitor_event(struct vm *vm, const char *name, json_t *data)
{
	struct monitor_hub *hub = vm->monitors;
	struct timeval tv;
	gettimeofday(&tv, NULL);
	json_t *ev = json_object();
	json_object_set_new(ev, "timestamp",
	                    json_pack("{s:I,s:I}", "seconds", (json_int_t)tv.tv_sec, "microseconds",
	                              (json_int_t)tv.tv_usec));
	json_object_set_new(ev, "event", json_string(name));
	if (data)
		json_object_set_new(ev, "data", data);
	for (struct monitor *m = hub ? hub->mons : NULL; m; m = m->next)
		if (m->qmp && m->open && m->negotiated)
			qmp_send(m, ev);
	json_decref(ev);
}

static void monitor_notify(struct vm *vm, enum vm_notify what, enum vm_event cause)
{
	bool guest = cause == VM_EVENT_GUEST_SHUTDOWN || cause == VM_EVENT_GUEST_RESET ||
	             cause == VM_EVENT_GUEST_PANIC || cause == VM_EVENT_EXIT;
	const char *reason =
	        (unsigned)cause < sizeof(shutdown_reasons) / sizeof(shutdown_reasons[0]) &&
	                        shutdown_reasons[cause] ?
	                shutdown_reasons[cause] :
	                "none";
	switch (what) {
	case VM_NOTIFY_STOP: monitor_event(vm, "STOP", NULL); break;
	case VM_NOTIFY_RESUME: monitor_event(vm, "RESUME", NULL); break;
	case VM_NOTIFY_RESET:
		monitor_event(vm, "RESET",
		              json_pack("{s:b,s:s}", "guest", guest, "reason", reason));
		break;
	case VM_NOTIFY_SHUTDOWN:
		monitor_event(vm, "SHUTDOWN",
		              json_pack("{s:b,s:s}", "guest", guest, "reason", reason));
		break;
	}
}

/* ---- chardev frontend --------------------------------------------------------- */

void monitor_write(struct monitor *mon, const char *s, size_t len)
{
	if (mon->chr && len)
		chardev_write(mon->chr, (const uint8_t *)s, len);
}

static size_t mon_can_receive(void *opaque)
{
	(void)opaque;
	return 4096;
}

static void mon_receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct monitor *mon = opaque;
	if (mon->qmp)
		qmp_receive(mon, buf, len);
	else
		hmp_receive(mon, buf, len);
}

static void mon_chr_event(void *opaque, enum chardev_event ev)
{
	struct monitor *mon = opaque;
	if (mon->qmp) {
		if (ev == CHR_EVENT_OPENED) {
			/* A new client: a new session (QEMU resets negotiation). */
			mon->open = true;
			mon->negotiated = false;
			json_streamer_reset(&mon->js);
			qmp_greet(mon);
		} else if (ev == CHR_EVENT_CLOSED) {
			mon->open = false;
			mon->negotiated = false;
			json_streamer_reset(&mon->js);
		}
		return;
	}
	hmp_event(mon, ev);
}

struct monitor_hub *monitor_hub_of(struct vm *vm)
{
	if (!vm->monitors) {
		struct monitor_hub *hub = calloc(1, sizeof(*hub));
		if (!hub)
			return NULL;
		hub->vm = vm;
		hub->fmt_format = 'x';
		hub->fmt_size = 4;
		vm->monitors = hub;
		vm->notify = monitor_notify;
	}
	return vm->monitors;
}

int monitor_add(struct vm *vm, struct chardev *chr, enum monitor_mode mode, bool pretty,
                struct error **errp)
{
	struct monitor_hub *hub = monitor_hub_of(vm);
	struct monitor *mon = hub ? calloc(1, sizeof(*mon)) : NULL;
	if (!mon) {
		error_setg(errp, "out of memory");
		return -1;
	}
	mon->hub = hub;
	mon->vm = vm;
	mon->chr = chr;
	mon->qmp = mode == MONITOR_QMP;
	mon->pretty = pretty;
	mon->focused = !chardev_is_mux(chr);
	mon->rl.hist_pos = 0;
	/* Linked before attaching: the backend may report OPENED at once. */
	struct monitor **pp = &hub->mons;
	while (*pp)
		pp = &(*pp)->next;
	*pp = mon;
	struct chardev_fe fe = {
		.can_receive = mon_can_receive,
		.receive = mon_receive,
		.event = mon_chr_event,
		.opaque = mon,
	};
	if (chardev_attach(chr, &fe, errp) < 0) {
		*pp = NULL;
		free(mon);
		return -1;
	}
	return 0;
}

int monitor_parse_option(struct vm *vm, const char *kind, const char *arg, struct error **errp)
{
	struct monitor_hub *hub = monitor_hub_of(vm);
	if (!hub) {
		error_setg(errp, "out of memory");
		return -1;
	}
	if (!strcmp(kind, "mon")) {
		struct opts *o = opts_parse(arg, "chardev", errp);
		if (!o)
			return -1;
		const char *id = opts_get(o, "chardev");
		const char *mode = opts_get(o, "mode");
		bool pretty = false;
		int r = -1;
		if (opts_get_bool(o, "pretty", false, &pretty, errp) < 0 ||
		    opts_check_unused(o, errp) < 0)
			goto out;
		if (!id) {
			error_setg(errp, "Parameter 'chardev' is missing");
			goto out;
		}
		struct chardev *chr = chardev_find(vm, id);
		if (!chr) {
			error_setg(errp, "chardev \"%s\" not found", id);
			goto out;
		}
		enum monitor_mode m;
		if (!mode || !strcmp(mode, "readline")) {
			m = MONITOR_HMP;
		} else if (!strcmp(mode, "control")) {
			m = MONITOR_QMP;
		} else {
			error_setg(errp, "Parameter 'mode' does not accept value '%s'", mode);
			goto out;
		}
		if (pretty && m == MONITOR_HMP) {
			error_setg(errp, "'pretty' is not compatible with HMP monitors");
			goto out;
		}
		r = monitor_add(vm, chr, m, pretty, errp);
out:
		opts_free(o);
		return r;
	}
	if (!strcmp(arg, "none"))
		return 0;
	char id[32];
	snprintf(id, sizeof(id), "compat_monitor%d", hub->ncompat++);
	struct chardev *chr = chardev_parse_legacy(vm, arg, id, errp);
	if (!chr)
		return errp && *errp ? -1 : 0;
	bool qmp = strcmp(kind, "monitor") != 0;
	return monitor_add(vm, chr, qmp ? MONITOR_QMP : MONITOR_HMP, !strcmp(kind, "qmp-pretty"),
	                   errp);
}

void monitor_cleanup(struct vm *vm)
{
	struct monitor_hub *hub = vm ? vm->monitors : NULL;
	if (!hub)
		return;
	vm->notify = NULL;
	if (hub->key_timer_ready)
		timer_del(&hub->key_timer);
	while (hub->mons) {
		struct monitor *m = hub->mons;
		hub->mons = m->next;
		chardev_detach(m->chr, m);
		sb_free(&m->js.buf);
		readline_free(&m->rl);
		free(m);
	}
	free(hub);
	vm->monitors = NULL;
}
