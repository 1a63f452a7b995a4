/*
 * The multiplexer (mux=on, mon:DEV): up to four frontends share one
 * backend.  All frontends' output goes to the backend; input goes to the
 * frontend with the focus.  The escape character (Ctrl-A unless -echr)
 * followed by a key is a command to the mux itself, with QEMU's keys:
 * h/? help, x quit, s sync disks, t timestamps, b break, c next frontend,
 * and the escape character again for a literal one.  Unknown keys are
 * swallowed, as in QEMU.
 *
 * Like QEMU, the mux tells its frontends CHR_EVENT_OPENED only after the
 * machine is built (a bottom half after the first attach), so that a
 * monitor's banner waits until every frontend has attached.
 */
#include "chardev/chardev_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/loop.h"
#include "core/vm.h"
#include "util/error.h"

#define MUX_MAX 4
#define MUX_BUF 32

/* Ctrl-A x: QEMU prints "QEMU: Terminated"; lemu names itself (docs/chardev.md). */
#define MUX_TERMINATED "lemu: Terminated\n\r"

struct mux_fe {
	struct chardev_fe fe;
	uint8_t buf[MUX_BUF]; /* input the frontend could not take yet */
	size_t len;
};

struct chr_mux {
	struct chardev chr;
	struct chardev *base;
	struct mux_fe fes[MUX_MAX];
	int nfe;
	int focus; /* -1: none */
	int escape;
	bool got_escape;
	bool timestamps, linestart;
	int64_t ts_start; /* ms, -1 until the first stamped line */
	bool opened, open_pending;
	void (*sync)(void *opaque);
	void *sync_opaque;
};

static void mux_send(struct chr_mux *m, int i, enum chardev_event ev)
{
	if (i >= 0 && i < m->nfe && m->fes[i].fe.event)
		m->fes[i].fe.event(m->fes[i].fe.opaque, ev);
}

static void mux_send_all(struct chr_mux *m, enum chardev_event ev)
{
	for (int i = 0; i < m->nfe; i++)
		mux_send(m, i, ev);
}

/* Give buffered input to frontend i as far as it takes it. */
static void mux_flush(struct chr_mux *m, int i)
{
	struct mux_fe *f = &m->fes[i];
	while (f->len) {
		size_t n = f->fe.can_receive ? f->fe.can_receive(f->fe.opaque) : 0;
		if (!n)
			return;
		if (n > f->len)
			n = f->len;
		uint8_t tmp[MUX_BUF];
		memcpy(tmp, f->buf, n);
		memmove(f->buf, f->buf + n, f->len - n);
		f->len -= n;
		if (f->fe.receive)
			f->fe.receive(f->fe.opaque, tmp, n);
	}
}

static void mux_set_focus(struct chr_mux *m, int focus)
{
	if (m->focus >= 0)
		mux_send(m, m->focus, CHR_EVENT_MUX_OUT);
	m->focus = focus;
	mux_send(m, focus, CHR_EVENT_MUX_IN);
	if (focus >= 0)
		mux_flush(m, focus);
}

static int64_t mux_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t mux_write(struct chardev *chr, const uint8_t *buf, size_t len)
{
	struct chr_mux *m = (struct chr_mux *)chr;
	if (!m->timestamps)
		return chardev_write(m->base, buf, len);
	/* "[hh:mm:ss.mmm] " before every line, time since the first stamp. */
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		if (m->linestart) {
			if (i > start)
				chardev_write(m->base, buf + start, i - start);
			start = i;
			int64_t t = mux_now_ms();
			if (m->ts_start < 0)
				m->ts_start = t;
			t -= m->ts_start;
			int64_t secs = t / 1000;
			char stamp[48];
			int n = snprintf(stamp, sizeof(stamp), "[%02d:%02d:%02d.%03d] ", (int)(secs / 3600),
					 (int)(secs / 60 % 60), (int)(secs % 60), (int)(t % 1000));
			chardev_write(m->base, (const uint8_t *)stamp, (size_t)n);
			m->linestart = false;
		}
		if (buf[i] == '\n')
			m->linestart = true;
	}
	chardev_write(m->base, buf + start, len - start);
	return len;
}

static void mux_puts(struct chr_mux *m, const char *s)
{
	mux_write(&m->chr, (const uint8_t *)s, strlen(s));
}

static void mux_print_help(struct chr_mux *m)
{
	static const char *const help[] = {
		"% h    print this help\n\r",
		"% x    exit emulator\n\r",
		"% s    save disk data back to file (if -snapshot)\n\r",
		"% t    toggle console timestamps\n\r",
		"% b    send break (magic sysrq)\n\r",
		"% c    switch between console and monitor\n\r",
		"% %  sends %\n\r",
	};
	char name[16], head[64];
	if (m->escape > 0 && m->escape < 26) {
		snprintf(name, sizeof(name), "C-%c", 'a' + m->escape - 1);
		snprintf(head, sizeof(head), "\n\r");
	} else {
		snprintf(name, sizeof(name), "Escape-Char");
		snprintf(head, sizeof(head), "\n\rEscape-Char set to Ascii: 0x%02x\n\r\n\r", m->escape & 0xff);
	}
	mux_puts(m, head);
	for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++) {
		char line[128];
		size_t n = 0;
		for (const char *p = help[i]; *p && n + sizeof(name) < sizeof(line); p++) {
			if (*p == '%') {
				memcpy(line + n, name, strlen(name));
				n += strlen(name);
			} else {
				line[n++] = *p;
			}
		}
		mux_write(&m->chr, (const uint8_t *)line, n);
	}
}

/* One input byte: true when it is data for the focused frontend. */
static bool mux_proc_byte(struct chr_mux *m, uint8_t ch)
{
	if (!m->got_escape) {
		if (ch == m->escape) {
			m->got_escape = true;
			return false;
		}
		return true;
	}
	m->got_escape = false;
	if (ch == m->escape)
		return true;
	switch (ch) {
	case '?':
	case 'h':
		mux_print_help(m);
		break;
	case 'x':
		mux_puts(m, MUX_TERMINATED);
		vm_request(m->chr.vm, VM_EVENT_HOST_QUIT);
		break;
	case 's':
		if (m->sync)
			m->sync(m->sync_opaque);
		break;
	case 'b':
		mux_send(m, m->focus, CHR_EVENT_BREAK);
		break;
	case 'c':
		if (m->nfe)
			mux_set_focus(m, (m->focus + 1) % m->nfe);
		break;
	case 't':
		m->timestamps = !m->timestamps;
		m->ts_start = -1;
		m->linestart = false;
		break;
	}
	return false;
}

/* ---- the mux as the base's frontend ---- */

static size_t mux_can_receive(void *opaque)
{
	struct chr_mux *m = opaque;
	if (m->focus < 0)
		return 0;
	return MUX_BUF - m->fes[m->focus].len;
}

static void mux_receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct chr_mux *m = opaque;
	for (size_t i = 0; i < len; i++) {
		if (!mux_proc_byte(m, buf[i]) || m->focus < 0)
			continue;
		struct mux_fe *f = &m->fes[m->focus];
		if (f->len == MUX_BUF)
			mux_flush(m, m->focus);
		if (f->len < MUX_BUF) /* else: focus moved to a full frontend mid-chunk */
			f->buf[f->len++] = buf[i];
	}
	if (m->focus >= 0)
		mux_flush(m, m->focus);
}

static void mux_event(void *opaque, enum chardev_event ev)
{
	struct chr_mux *m = opaque;
	if (ev == CHR_EVENT_OPENED || ev == CHR_EVENT_CLOSED) {
		m->chr.be_open = ev == CHR_EVENT_OPENED;
		if (!m->opened)
			return; /* told when the mux opens */
	}
	mux_send_all(m, ev);
}

static void mux_open_bh(void *opaque)
{
	struct chr_mux *m = opaque;
	m->open_pending = false;
	m->opened = true;
	m->chr.be_open = m->base->be_open;
	if (m->chr.be_open)
		mux_send_all(m, CHR_EVENT_OPENED);
}

/* ---- the mux as a chardev ---- */

static int mux_attach(struct chardev *chr, const struct chardev_fe *fe, struct error **errp)
{
	struct chr_mux *m = (struct chr_mux *)chr;
	if (m->nfe >= MUX_MAX) {
		error_setg(errp, "too many uses of multiplexed chardev '%s' (maximum is %d)", chr->id, MUX_MAX);
		return -1;
	}
	int i = m->nfe++;
	memset(&m->fes[i], 0, sizeof(m->fes[i]));
	m->fes[i].fe = *fe;
	chr->has_fe = true;
	/* The newest frontend takes the focus (QEMU does the same on attach). */
	mux_set_focus(m, i);
	if (m->opened) {
		if (chr->be_open)
			mux_send(m, i, CHR_EVENT_OPENED);
	} else if (!m->open_pending) {
		m->open_pending = true;
		loop_schedule(chr->vm, mux_open_bh, m);
	}
	if (m->base->be->accept_input)
		m->base->be->accept_input(m->base);
	return 0;
}

static void mux_detach(struct chardev *chr, void *fe_opaque)
{
	struct chr_mux *m = (struct chr_mux *)chr;
	for (int i = 0; i < m->nfe; i++) {
		if (m->fes[i].fe.opaque != fe_opaque)
			continue;
		memmove(&m->fes[i], &m->fes[i + 1], sizeof(m->fes[0]) * (size_t)(m->nfe - i - 1));
		m->nfe--;
		chr->has_fe = m->nfe > 0;
		if (m->focus == i) {
			m->focus = -1;
			if (m->nfe)
				mux_set_focus(m, m->nfe - 1);
		} else if (m->focus > i) {
			m->focus--;
		}
		break;
	}
	if (m->base->be->accept_input)
		m->base->be->accept_input(m->base);
}

static void mux_accept_input(struct chardev *chr)
{
	struct chr_mux *m = (struct chr_mux *)chr;
	if (m->focus >= 0)
		mux_flush(m, m->focus);
	if (m->base->be->accept_input)
		m->base->be->accept_input(m->base);
}

static void mux_close(struct chardev *chr)
{
	struct chr_mux *m = (struct chr_mux *)chr;
	if (m->base)
		chardev_detach(m->base, m);
}

const struct chardev_backend chr_mux_backend = {
	.name = "mux",
	.size = sizeof(struct chr_mux),
	.write = mux_write,
	.accept_input = mux_accept_input,
	.attach = mux_attach,
	.detach = mux_detach,
	.close = mux_close,
};

struct chardev *chr_mux_new(struct vm *vm, const char *id, struct chardev *base, struct error **errp)
{
	struct chr_mux *m = calloc(1, sizeof(*m));
	if (!m) {
		error_setg(errp, "out of memory");
		return NULL;
	}
	m->chr.vm = vm;
	m->chr.be = &chr_mux_backend;
	m->chr.id = strdup(id);
	m->chr.log_fd = -1;
	m->focus = -1;
	m->escape = 0x01; /* Ctrl-A */
	m->ts_start = -1;
	m->base = base;
	const struct chardev_fe fe = { .can_receive = mux_can_receive, .receive = mux_receive,
				       .event = mux_event, .opaque = m };
	if (chardev_attach(base, &fe, errp) < 0) {
		m->base = NULL;
		chardev_free(&m->chr);
		return NULL;
	}
	m->chr.be_open = false;
	base->mux = &m->chr;
	/* After its base in vm->chardevs, as QEMU lists "ID" then "ID-base". */
	struct chardev **pp = &vm->chardevs;
	while (*pp)
		pp = &(*pp)->next;
	*pp = &m->chr;
	return &m->chr;
}

int chardev_mux_focus(struct chardev *chr, void *fe_opaque)
{
	if (chr->be != &chr_mux_backend)
		return -EINVAL;
	struct chr_mux *m = (struct chr_mux *)chr;
	for (int i = 0; i < m->nfe; i++) {
		if (m->fes[i].fe.opaque == fe_opaque) {
			if (m->focus != i)
				mux_set_focus(m, i);
			return 0;
		}
	}
	return -ENOENT;
}

void chardev_mux_set_escape(struct vm *vm, int ch)
{
	for (struct chardev *c = vm->chardevs; c; c = c->next)
		if (c->be == &chr_mux_backend)
			((struct chr_mux *)c)->escape = ch;
}

void chardev_mux_set_sync(struct vm *vm, void (*fn)(void *opaque), void *opaque)
{
	for (struct chardev *c = vm->chardevs; c; c = c->next) {
		if (c->be == &chr_mux_backend) {
			((struct chr_mux *)c)->sync = fn;
			((struct chr_mux *)c)->sync_opaque = opaque;
		}
	}
}
