/*
 * Character devices: the object list of a VM, -chardev option handling,
 * frontend attachment and the paths between frontends and backends.
 */
#include "chardev/chardev_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/vm.h"
#include "util/error.h"
#include "util/opts.h"

/* Names -chardev accepts, in `-chardev help` order (aliases map to one). */
static const struct {
	const char *name;
	const struct chardev_backend *be;
} chr_backends[] = {
	{ "file", &chr_file_backend },	   { "null", &chr_null_backend },
	{ "pipe", &chr_pipe_backend },	   { "pty", &chr_pty_backend },
	{ "serial", &chr_serial_backend }, { "tty", &chr_serial_backend },
	{ "socket", &chr_socket_backend }, { "stdio", &chr_stdio_backend },
	{ "udp", &chr_udp_backend },
	/* a virtual console needs a graphical display, which lemu does not have:
	 * its output goes nowhere, as QEMU's does without a display */
	{ "vc", &chr_null_backend },
};

/* QEMU backends lemu knows of but does not implement. */
static const char *const chr_unsupported[] = { "ringbuf", "memory", "msmouse", "braille", "testdev",
					       "spicevmc", "spiceport", "qemu-vdagent", "parallel", "parport",
					       "wctablet", "dbus", NULL };

static const char *const chr_backend_names[] = { "file",  "null", "pipe", "pty", "serial", "socket",
						 "stdio", "tty",  "udp",  "vc",  NULL };

const char *const *chardev_backend_names(void)
{
	return chr_backend_names;
}

int chr_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

int chr_set_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);
	if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

struct chardev *chardev_find(struct vm *vm, const char *id)
{
	for (struct chardev *c = vm->chardevs; c; c = c->next)
		if (!strcmp(c->id, id))
			return c;
	return NULL;
}

const char *chardev_id(struct chardev *chr)
{
	return chr->id;
}

const char *chardev_filename(struct chardev *chr)
{
	return chr->filename ? chr->filename : chr->be->name;
}

const char *chardev_backend_name(struct chardev *chr)
{
	return chr->be->name;
}

bool chardev_is_mux(struct chardev *chr)
{
	return chr->be == &chr_mux_backend;
}

void chardev_set_filename(struct chardev *chr, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(chr->filename);
	chr->filename = s;
}

static const struct chardev_backend *chr_lookup_backend(const char *name)
{
	for (size_t i = 0; i < sizeof(chr_backends) / sizeof(chr_backends[0]); i++)
		if (!strcmp(chr_backends[i].name, name))
			return chr_backends[i].be;
	return NULL;
}

static void chr_link(struct vm *vm, struct chardev *chr)
{
	struct chardev **pp = &vm->chardevs;
	while (*pp)
		pp = &(*pp)->next;
	*pp = chr;
}

static void chr_unlink(struct chardev *chr)
{
	for (struct chardev **pp = &chr->vm->chardevs; *pp; pp = &(*pp)->next) {
		if (*pp == chr) {
			*pp = chr->next;
			return;
		}
	}
}

/* Options every backend takes (QEMU's ChardevCommon): logfile, logappend. */
static int chr_open_log(struct chardev *chr, struct opts *o, struct error **errp)
{
	const char *path = opts_get(o, "logfile");
	bool append;
	if (opts_get_bool(o, "logappend", false, &append, errp) < 0)
		return -1;
	if (!path)
		return 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0666);
	if (fd < 0) {
		error_setg_errno(errp, errno, "Could not create '%s'", path);
		return -1;
	}
	chr->log_fd = fd;
	return 0;
}

struct chardev *chardev_new_backend(struct vm *vm, const char *id, const char *backend, struct opts *o,
				    struct error **errp)
{
	const struct chardev_backend *be = chr_lookup_backend(backend);
	for (int i = 0; !be && chr_unsupported[i]; i++) {
		if (!strcmp(backend, chr_unsupported[i])) {
			error_setg(errp, "chardev backend '%s' is not supported by lemu", backend);
			return NULL;
		}
	}
	if (!be) {
		error_setg(errp, "'%s' is not a valid char driver name", backend);
		return NULL;
	}
	struct chardev *chr = calloc(1, be->size);
	if (!chr) {
		error_setg(errp, "out of memory");
		return NULL;
	}
	chr->vm = vm;
	chr->be = be;
	chr->id = strdup(id);
	chr->log_fd = -1;
	if (be->parse && be->parse(chr, o, errp) < 0)
		goto fail;
	if (chr_open_log(chr, o, errp) < 0 || opts_check_unused(o, errp) < 0)
		goto fail;
	/* Linked before open: stdio checks for another stdio, pty prints the id. */
	chr_link(vm, chr);
	if (be->open && be->open(chr, errp) < 0) {
		chr_unlink(chr);
		goto fail;
	}
	return chr;
fail:
	if (chr->log_fd >= 0)
		close(chr->log_fd);
	chr->log_fd = -1;
	/* parse may have allocated; close knows how to free a half-built one */
	if (be->close)
		be->close(chr);
	free(chr->filename);
	free(chr->id);
	free(chr);
	return NULL;
}

struct chardev *chardev_new(struct vm *vm, struct opts *o, struct error **errp)
{
	const char *id = opts_get(o, "id");
	const char *backend = opts_get(o, "backend");
	if (!id) {
		error_setg(errp, "chardev: no id specified");
		return NULL;
	}
	if (!id_wellformed(id)) {
		error_setg(errp, "Parameter 'id' expects an identifier\n"
				 "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.");
		return NULL;
	}
	if (!backend) {
		error_setg(errp, "chardev: \"%s\" missing backend", id);
		return NULL;
	}
	bool mux;
	if (opts_get_bool(o, "mux", false, &mux, errp) < 0)
		return NULL;
	if (chardev_find(vm, id)) {
		error_setg(errp, "Duplicate ID '%s' for chardev", id);
		return NULL;
	}
	if (!mux)
		return chardev_new_backend(vm, id, backend, o, errp);

	/* mux=on: the backend is "ID-base", the mux frontends see "ID" (as QEMU). */
	char *base_id = NULL;
	if (asprintf(&base_id, "%s-base", id) < 0) {
		error_setg(errp, "out of memory");
		return NULL;
	}
	if (chardev_find(vm, base_id)) {
		error_setg(errp, "Duplicate ID '%s' for chardev", base_id);
		free(base_id);
		return NULL;
	}
	struct chardev *base = chardev_new_backend(vm, base_id, backend, o, errp);
	free(base_id);
	if (!base)
		return NULL;
	struct chardev *m = chr_mux_new(vm, id, base, errp);
	if (!m) {
		chr_unlink(base);
		chardev_free(base);
	}
	return m;
}

/* ---- frontends ---- */

int chardev_attach(struct chardev *chr, const struct chardev_fe *fe, struct error **errp)
{
	if (chr->be->attach)
		return chr->be->attach(chr, fe, errp);
	if (chr->has_fe) {
		error_setg(errp, "Device '%s' is in use", chr->id);
		return -EBUSY;
	}
	chr->fe = *fe;
	chr->has_fe = true;
	/* A frontend joining an open backend still hears that it is open. */
	if (chr->be_open && fe->event)
		fe->event(fe->opaque, CHR_EVENT_OPENED);
	if (chr->be->accept_input)
		chr->be->accept_input(chr);
	return 0;
}

void chardev_detach(struct chardev *chr, void *fe_opaque)
{
	if (chr->be->detach) {
		chr->be->detach(chr, fe_opaque);
		return;
	}
	if (chr->has_fe && chr->fe.opaque == fe_opaque) {
		chr->has_fe = false;
		memset(&chr->fe, 0, sizeof(chr->fe));
		if (chr->be->accept_input)
			chr->be->accept_input(chr);
	}
}

size_t chardev_write(struct chardev *chr, const uint8_t *buf, size_t len)
{
	if (!len)
		return 0;
	if (chr->log_fd >= 0)
		chr_write_full(chr->log_fd, buf, len);
	return chr->be->write ? chr->be->write(chr, buf, len) : len;
}

static void chr_accept_bh(void *opaque)
{
	struct chardev *chr = opaque;
	chr->accept_pending = false;
	if (chr->be->accept_input)
		chr->be->accept_input(chr);
}

void chardev_accept_input(struct chardev *chr)
{
	/* May be a vCPU thread (a UART's RBR read): the loop is touched only
	 * from the I/O thread, so defer to a bottom half. */
	if (chr->accept_pending)
		return;
	chr->accept_pending = true;
	loop_schedule(chr->vm, chr_accept_bh, chr);
}

/* ---- backend side ---- */

size_t chardev_be_can_receive(struct chardev *chr)
{
	if (!chr->has_fe || !chr->fe.can_receive)
		return 0;
	return chr->fe.can_receive(chr->fe.opaque);
}

void chardev_be_receive(struct chardev *chr, const uint8_t *buf, size_t len)
{
	if (len && chr->has_fe && chr->fe.receive)
		chr->fe.receive(chr->fe.opaque, buf, len);
}

void chardev_be_event(struct chardev *chr, enum chardev_event ev)
{
	if (chr->has_fe && chr->fe.event)
		chr->fe.event(chr->fe.opaque, ev);
}

void chardev_be_set_open(struct chardev *chr, bool open)
{
	if (chr->be_open == open)
		return;
	chr->be_open = open;
	chardev_be_event(chr, open ? CHR_EVENT_OPENED : CHR_EVENT_CLOSED);
}

/* ---- teardown ---- */

void chardev_restore_terminals(struct vm *vm)
{
	/* Runs from signal handlers too: only async-signal-safe calls below. */
	for (struct chardev *c = vm->chardevs; c; c = c->next)
		if (c->be->restore_terminal)
			c->be->restore_terminal(c);
}

void chardev_free(struct chardev *chr)
{
	if (chr->be->close)
		chr->be->close(chr);
	if (chr->log_fd >= 0)
		close(chr->log_fd);
	free(chr->filename);
	free(chr->id);
	free(chr);
}

void chardev_destroy_all(struct vm *vm)
{
	chardev_restore_terminals(vm);
	/* Muxes first: they are frontends of their bases. */
	for (int pass = 0; pass < 2; pass++) {
		struct chardev **pp = &vm->chardevs;
		while (*pp) {
			struct chardev *c = *pp;
			if ((pass == 0) == chardev_is_mux(c)) {
				*pp = c->next;
				chardev_free(c);
			} else {
				pp = &c->next;
			}
		}
	}
}

bool chardev_has_frontend(struct chardev *chr)
{
	return chr->has_fe;
}

struct chardev *chardev_next(struct vm *vm, struct chardev *prev)
{
	return prev ? prev->next : vm->chardevs;
}
