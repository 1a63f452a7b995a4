/*
 * Character devices: the backends behind serial ports, debugcon, monitors
 * and virtio consoles.  A backend (stdio, file, pipe, pty, null, socket,
 * udp, mux ...) implements `struct chardev_ops`; a frontend (a UART, a
 * monitor) attaches with chardev_attach and receives input through its
 * `struct chardev_fe` callbacks, in the I/O thread with the VM lock held.
 *
 * The multiplexer (mon:stdio, mux=on) gives several frontends one backend;
 * Ctrl-A c switches between them, and the mux handles the other Ctrl-A
 * keys itself (h help, x quit, s sync, b break, t timestamps).
 */
#ifndef LEMU_CHARDEV_CHARDEV_H
#define LEMU_CHARDEV_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct error;
struct opts;
struct chardev;

enum chardev_event {
	CHR_EVENT_OPENED, /* a client connected (socket server), or the backend opened */
	CHR_EVENT_CLOSED, /* the client went away */
	CHR_EVENT_BREAK,  /* Ctrl-A b on a mux: send a break to the serial port */
	CHR_EVENT_MUX_IN, /* this frontend now has the mux focus */
	CHR_EVENT_MUX_OUT,
};

struct chardev_fe {
	/* How many bytes the frontend can take now (0 = stop reading). */
	size_t (*can_receive)(void *opaque);
	void (*receive)(void *opaque, const uint8_t *buf, size_t len);
	void (*event)(void *opaque, enum chardev_event ev);
	void *opaque;
};

/* -chardev BACKEND,id=ID,... parsed with opts_parse(str, "backend", ...).
 * Common options: id, mux, logfile, logappend; unknown ones are rejected
 * with QEMU's messages ("Invalid parameter 'x'", "Duplicate ID 'x' for
 * chardev", "'x' is not a valid char driver name"). */
struct chardev *chardev_new(struct vm *vm, struct opts *o, struct error **errp);
/* The legacy string forms of -serial/-monitor/-qmp/-debugcon: "stdio",
 * "file:PATH", "pipe:PATH", "pty", "null", "none" (returns NULL without an
 * error), "mon:DEV", "tcp:...", "telnet:...", "unix:...", "udp:...",
 * "chardev:ID".  `id` names the new chardev (e.g. "serial0"). */
struct chardev *chardev_parse_legacy(struct vm *vm, const char *str, const char *id, struct error **errp);
struct chardev *chardev_find(struct vm *vm, const char *id);
const char *chardev_id(struct chardev *chr);
/* For query-chardev: "pty:/dev/pts/3", "file", "stdio", "socket ..." */
const char *chardev_filename(struct chardev *chr);

/* Attach a frontend.  Returns 0, or -EBUSY if the chardev already has one
 * and is not a mux ("Device 'ID' is in use"). */
int chardev_attach(struct chardev *chr, const struct chardev_fe *fe, struct error **errp);
void chardev_detach(struct chardev *chr, void *fe_opaque);
/* Frontend output; never blocks the guest for long: returns the number of
 * bytes accepted (all of them for files and terminals; a disconnected socket
 * drops them and returns 0; a stalled reader of a pipe/pty/socket gets up to
 * 64 KiB buffered, the excess is dropped).  Dropped bytes are gone: callers
 * need not retry.  Any thread, VM lock held. */
size_t chardev_write(struct chardev *chr, const uint8_t *buf, size_t len);
/* The frontend can take input again after can_receive returned 0. */
void chardev_accept_input(struct chardev *chr);

/* ---- additions (chardev owner) ---- */
/* NULL-terminated list of -chardev backend names (for `-chardev help`). */
const char *const *chardev_backend_names(void);
/* "socket", "stdio", "mux" ... (query-chardev-backends, info chardev). */
const char *chardev_backend_name(struct chardev *chr);
/* A frontend is attached (query-chardev "frontend-open"). */
bool chardev_has_frontend(struct chardev *chr);
/* mux=on / mon:DEV chardevs: the caller of chardev_parse_legacy adds the
 * monitor for "mon:" itself (the string starts with "mon:"). */
bool chardev_is_mux(struct chardev *chr);
/* Give the mux focus to the frontend with this opaque (the last frontend
 * attached has it otherwise).  0, -EINVAL (not a mux), -ENOENT. */
int chardev_mux_focus(struct chardev *chr, void *fe_opaque);
/* -echr: the mux escape character of every mux created so far. */
void chardev_mux_set_escape(struct vm *vm, int ch);
/* Ctrl-A s: called to write -snapshot data back (every mux created so far). */
void chardev_mux_set_sync(struct vm *vm, void (*fn)(void *opaque), void *opaque);
/* Iterate over every chardev of the VM in creation order (query-chardev):
 * chardev_next(vm, NULL) is the first; NULL after the last. */
struct chardev *chardev_next(struct vm *vm, struct chardev *prev);
/* The slave path of a pty chardev ("/dev/pts/3"), else NULL. */
const char *chardev_pty_path(struct chardev *chr);

/* Put stdio back to its original terminal mode (atexit path, signals).
 * Async-signal-safe (tcsetattr only). */
void chardev_restore_terminals(struct vm *vm);
/* After the loop stopped (pending bottom halves must not run later). */
void chardev_destroy_all(struct vm *vm);

#endif
