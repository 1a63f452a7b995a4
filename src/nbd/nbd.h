/*
 * NBD server: exports, the server object and its connections.
 *
 * The protocol side (handshake, option haggling, transmission) knows nothing of the
 * block layer: an export is a size, a few capability bits and a struct nbd_export_ops.
 * src/nbd/export-block.c builds one from a block.h node; the fuzz harness and the unit
 * tests build one over memory.  Protocol facts cite NetworkBlockDevice/nbd doc/proto.md.
 *
 * Concurrency: one thread per connection runs the handshake and then reads requests;
 * each request is handed to a small per-connection pool of worker threads that call the
 * export ops (which must therefore be thread-safe) and send the reply under the
 * connection's send lock.  Requests of one connection so run concurrently and are
 * answered out of order, as the protocol allows (proto.md "Transmission").
 */
#ifndef LEMU_NBD_NBD_H
#define LEMU_NBD_NBD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct error;

/* Flags of nbd_export_ops calls */
#define NBD_IO_FUA (1u << 0)       /* persist before returning */
#define NBD_IO_MAY_UNMAP (1u << 1) /* write_zeroes may punch a hole */
#define NBD_IO_FAST (1u << 2)      /* write_zeroes: fail with -ENOTSUP unless cheap */

/* Backend of an export.  Every call returns 0 or -errno and may run on several
 * threads at once.  Lengths never cross the export's end (the server checks). */
struct nbd_export_ops {
	int (*pread)(void *opaque, void *buf, uint64_t off, uint32_t len);
	int (*pwrite)(void *opaque, const void *buf, uint64_t off, uint32_t len, unsigned flags);
	int (*flush)(void *opaque);
	int (*trim)(void *opaque, uint64_t off, uint32_t len, unsigned flags);
	int (*write_zeroes)(void *opaque, uint64_t off, uint32_t len, unsigned flags);
	/* optional (NULL: NBD_CMD_CACHE just succeeds) */
	int (*cache)(void *opaque, uint64_t off, uint32_t len);
	/* optional: base:allocation state (NBD_STATE_HOLE|ZERO) of the *pnum bytes
	 * (0 < *pnum <= len) from off.  NULL: everything is data. */
	int (*block_status)(void *opaque, uint64_t off, uint64_t len, uint64_t *pnum,
	                    uint32_t *state);
};

struct nbd_export {
	char *name;        /* "" is the default export */
	char *description; /* or NULL */
	uint64_t size;
	bool read_only;
	bool can_trim;      /* advertise NBD_FLAG_SEND_TRIM */
	bool can_fast_zero; /* backend honours NBD_IO_FAST */
	bool can_multi_conn;
	bool rotational;
	uint32_t min_block;   /* 1 unless the backend needs alignment */
	uint32_t pref_block;  /* 4096 */
	uint32_t max_payload; /* 32 MiB */
	const struct nbd_export_ops *ops;
	void *opaque;
};

/* ------------------------------------------------------------------ channels
 * A byte stream to one client: plain socket, TLS over a channel, or memory (fuzzing). */
struct nbd_chan;
struct nbd_chan_ops {
	/* >0 bytes read, 0 at end of stream, -errno */
	long (*recv)(struct nbd_chan *ch, void *buf, size_t len);
	/* bytes written (may be short), -errno */
	long (*sendv)(struct nbd_chan *ch, const struct iovec *iov, int iovcnt);
	/* stop both directions: wakes a thread blocked in recv */
	void (*shutdown)(struct nbd_chan *ch);
	void (*free)(struct nbd_chan *ch);
};
struct nbd_chan {
	const struct nbd_chan_ops *ops;
};

/* 0, -EPIPE at end of stream, -errno */
int nbd_chan_read(struct nbd_chan *ch, void *buf, size_t len);
int nbd_chan_writev(struct nbd_chan *ch, const struct iovec *iov, int iovcnt);
int nbd_chan_write(struct nbd_chan *ch, const void *buf, size_t len);
/* A channel over a connected socket; the channel owns (closes) fd. */
struct nbd_chan *nbd_chan_new_fd(int fd);

/* ------------------------------------------------------------------ TLS (tls.c) */
struct nbd_tls;
/* X.509 credentials from dir as QEMU's tls-creds-x509 reads them: ca-cert.pem and the
 * optional ca-crl.pem; for a server server-cert.pem, server-key.pem and the optional
 * dh-params.pem; for a client (client) the optional client-cert.pem, client-key.pem.
 * verify_peer: the other side must present a certificate signed by the CA. */
struct nbd_tls *nbd_tls_new_x509(const char *dir, bool client, bool verify_peer,
                                 struct error **errp);
bool nbd_tls_is_client(const struct nbd_tls *tls);
void nbd_tls_free(struct nbd_tls *tls);
/* Run the server side of a TLS handshake over inner; on success the returned channel
 * owns inner. On failure inner is left alone. */
struct nbd_chan *nbd_tls_wrap(struct nbd_tls *tls, struct nbd_chan *inner, struct error **errp);
/* The client side: the server's certificate must match hostname (if not NULL). */
struct nbd_chan *nbd_tls_wrap_client(struct nbd_tls *tls, struct nbd_chan *inner,
                                     const char *hostname, struct error **errp);

/* ------------------------------------------------------------------ server */
struct nbd_server_config {
	unsigned max_clients; /* -e/--shared; 0 = no limit */
	bool persistent;      /* -t: keep running when the last client leaves */
	bool verbose;
	unsigned workers;              /* worker threads per connection; 0 = serve inline */
	struct nbd_tls *tls;           /* not owned; NULL = no TLS */
	unsigned handshake_timeout_ms; /* whole handshake, TLS included; 0 = none */
	const char *prog;              /* for messages ("lemu-nbd") */
};

struct nbd_server;
struct nbd_server *nbd_server_new(const struct nbd_server_config *cfg);
void nbd_server_free(struct nbd_server *s);
/* The export is not owned; it must outlive the server. */
void nbd_server_add_export(struct nbd_server *s, struct nbd_export *exp);
/* Listening sockets; return 0 or -1 with a message in errp (qemu-nbd's wording). */
int nbd_server_listen_tcp(struct nbd_server *s, const char *host, const char *port,
                          struct error **errp);
int nbd_server_listen_unix(struct nbd_server *s, const char *path, struct error **errp);
/* Accept clients until stop_fd (if >= 0) becomes readable, or, unless persistent,
 * until the last client has gone.  Returns 0 or -errno. */
int nbd_server_run(struct nbd_server *s, int stop_fd);
/* Serve one client on ch in the calling thread (takes ownership of ch). Returns 0 after
 * a clean disconnect, -errno when the client was dropped. */
int nbd_server_serve_chan(struct nbd_server *s, struct nbd_chan *ch);

/* Error mapping -errno -> NBD_E* (proto.md "Error values") */
uint32_t nbd_errno_to_wire(int err);

#endif
