/*
 * Character devices, internal: the chardev object every backend embeds,
 * the backend ops table, and the fd I/O engine shared by the fd-based
 * backends (stdio, file, pipe, pty, serial tty, socket).
 *
 * Threads: chardev_write may run on a vCPU thread (VM lock held); all loop
 * registration happens in the I/O thread, so a writer that needs POLLOUT
 * (or a frontend that can take input again) schedules a bottom half.
 */
#ifndef LEMU_CHARDEV_CHARDEV_INT_H
#define LEMU_CHARDEV_CHARDEV_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chardev/chardev.h"

struct opts;

/* Pending output of a non-blocking descriptor is kept up to this many
 * bytes; beyond it output is dropped (never blocks the guest). */
#define CHR_OUTBUF_MAX (64 * 1024)
#define CHR_READ_MAX 4096

struct chardev_backend {
	const char *name;
	size_t size; /* of the backend's struct, which starts with struct chardev */
	/* Read the backend's options (every option it knows, so that unknown
	 * ones can be rejected before anything is opened). */
	int (*parse)(struct chardev *chr, struct opts *o, struct error **errp);
	/* Open files/sockets, register with the loop. */
	int (*open)(struct chardev *chr, struct error **errp);
	/* Output; returns bytes accepted. */
	size_t (*write)(struct chardev *chr, const uint8_t *buf, size_t len);
	/* The frontend may take input again (I/O thread). */
	void (*accept_input)(struct chardev *chr);
	/* A frontend attached or detached (mux overrides attach/detach). */
	int (*attach)(struct chardev *chr, const struct chardev_fe *fe, struct error **errp);
	void (*detach)(struct chardev *chr, void *fe_opaque);
	/* Put the host terminal back (async-signal-safe). */
	void (*restore_terminal)(struct chardev *chr);
	void (*close)(struct chardev *chr);
};

struct chardev {
	struct vm *vm;
	struct chardev *next; /* vm->chardevs */
	char *id;
	const struct chardev_backend *be;
	char *filename; /* query-chardev "filename" */
	struct chardev_fe fe;
	bool has_fe;
	bool be_open;        /* connected/open: a frontend attaching gets CHR_EVENT_OPENED */
	bool accept_pending; /* accept_input bottom half scheduled */
	int log_fd;          /* logfile=, or -1 */
	struct chardev *mux; /* the mux this chardev is the base of */
};

/* core (chardev.c) */
void chardev_set_filename(struct chardev *chr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
size_t chardev_be_can_receive(struct chardev *chr);
void chardev_be_receive(struct chardev *chr, const uint8_t *buf, size_t len);
void chardev_be_event(struct chardev *chr, enum chardev_event ev);
/* Backend opened/closed: sets be_open and tells the frontend. */
void chardev_be_set_open(struct chardev *chr, bool open);
/* Create a chardev with the given backend name and already-built options
 * (used by the mux for its base). */
struct chardev *chardev_new_backend(struct vm *vm, const char *id, const char *backend, struct opts *o,
				    struct error **errp);
void chardev_free(struct chardev *chr);
int chr_set_nonblock(int fd);
int chr_set_cloexec(int fd);

/* The fd engine (char_fd.c). */
struct chr_io {
	struct chardev *chr;
	int in_fd, out_fd; /* -1 when absent; may be equal */
	bool in_eof;       /* stop reading (EOF on stdin, pipe) */
	bool out_blocking; /* complete, blocking writes (files, stdio) */
	bool is_socket;    /* send(MSG_NOSIGNAL) */
	/* Notice the peer leaving even while not reading (sockets, pty
	 * masters): stay registered for hang-up; rdhup_seen once the peer
	 * closed with input still unread (read it first, then hang up). */
	bool watch_hup, rdhup_seen;
	bool watch_in, watch_out; /* what the loop watches now */
	bool in_reg, out_reg;     /* registered with the loop (fd) */
	bool update_pending;      /* bottom half scheduled */
	uint8_t *obuf;
	size_t olen, ocap;
	/* Called (I/O thread) when the peer went away: EOF on a socket, EPIPE,
	 * POLLHUP.  NULL: mark in_eof and stop reading. */
	void (*hangup)(struct chr_io *io);
	/* Input filter (telnet): consumes buf, delivers what remains. */
	void (*filter)(struct chr_io *io, const uint8_t *buf, size_t len);
};

void chr_io_init(struct chr_io *io, struct chardev *chr, int in_fd, int out_fd);
/* Re-evaluate what to watch (I/O thread). */
void chr_io_update(struct chr_io *io);
/* Same, from any thread (schedules a bottom half). */
void chr_io_kick(struct chr_io *io);
size_t chr_io_write(struct chr_io *io, const uint8_t *buf, size_t len);
/* Unregister from the loop and drop pending output (fds stay open). */
void chr_io_stop(struct chr_io *io);
/* chr_io_stop and close both fds. */
void chr_io_close(struct chr_io *io);
/* Write everything (blocking fd or not); 0 or -errno. */
int chr_write_full(int fd, const uint8_t *buf, size_t len);

/* Backends. */
extern const struct chardev_backend chr_null_backend;
extern const struct chardev_backend chr_file_backend;
extern const struct chardev_backend chr_pipe_backend;
extern const struct chardev_backend chr_stdio_backend;
extern const struct chardev_backend chr_pty_backend;
extern const struct chardev_backend chr_serial_backend;
extern const struct chardev_backend chr_socket_backend;
extern const struct chardev_backend chr_udp_backend;
extern const struct chardev_backend chr_mux_backend;

/* char_mux.c: wrap base in a mux named id. */
struct chardev *chr_mux_new(struct vm *vm, const char *id, struct chardev *base, struct error **errp);

#endif
