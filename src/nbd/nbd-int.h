/*
 * Internals shared by the files of src/nbd: the server object and one client connection.
 */
#ifndef LEMU_NBD_INT_H
#define LEMU_NBD_INT_H

#include "nbd/nbd.h"

#include <pthread.h>

struct nbd_conn;

struct nbd_server {
	struct nbd_server_config cfg;
	struct nbd_export **exports;
	int nexports;
	int *listen_fds;
	int nlisten;
	char **unix_paths; /* removed again in nbd_server_free */
	int nunix;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	int nclients;           /* connections alive */
	int wake_fd;            /* eventfd: a connection ended */
	bool stopping;          /* run loop is shutting down */
	struct nbd_conn *conns; /* list of live connections */
};

/* One queued request (transmission.c) */
struct nbd_req {
	struct nbd_req *next;
	uint16_t flags;
	uint16_t type;
	uint64_t cookie;
	uint64_t offset;
	uint32_t length;
	uint32_t error; /* NBD_E* decided by the reader (validation), 0 = run it */
	uint8_t *data;  /* write payload */
};

struct nbd_conn {
	struct nbd_server *server;
	struct nbd_chan *ch;
	int sock;              /* the socket under ch (for timeouts), or -1 */
	struct nbd_conn *next; /* server->conns */
	char peer[80];
	uint64_t handshake_deadline; /* ms, CLOCK_MONOTONIC; 0 = none (server->lock) */

	/* handshake state (handshake.c) */
	bool no_zeroes;
	bool tls_active;
	bool structured;
	bool meta_alloc;        /* base:allocation selected */
	char *meta_export;      /* export name given to SET_META_CONTEXT */
	struct nbd_export *exp; /* chosen export */
	uint16_t tflags;        /* transmission flags sent */

	/* transmission (transmission.c) */
	pthread_mutex_t send_lock;
	pthread_mutex_t qlock;
	pthread_cond_t qcond;    /* work queued, or quitting */
	pthread_cond_t roomcond; /* in-flight dropped */
	struct nbd_req *qhead, *qtail;
	unsigned inflight; /* queued + running */
	uint64_t inflight_bytes;
	bool quit;
	bool dead; /* a send failed: stop reading */
	pthread_t *workers;
	unsigned nworkers;
};

/* handshake.c: 0 = transmission phase entered, 1 = client left cleanly, -errno = drop */
int nbd_conn_handshake(struct nbd_conn *c);
/* transmission.c: serve requests until NBD_CMD_DISC (0) or an error (-errno) */
int nbd_conn_transmit(struct nbd_conn *c);
/* Transmission flags the export gets on this connection */
uint16_t nbd_conn_tflags(struct nbd_conn *c, struct nbd_export *exp);
void nbd_conn_log(struct nbd_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
