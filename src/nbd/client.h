/*
 * NBD client side of the handshake (lemu-nbd -L, the kernel client glue).
 */
#ifndef LEMU_NBD_CLIENT_H
#define LEMU_NBD_CLIENT_H

#include "nbd/nbd.h"

struct error;

struct nbd_export_info {
	char *name;
	char *description; /* NULL if none */
	uint64_t size;
	uint16_t flags; /* transmission flags; 0 if NBD_OPT_INFO failed */
	uint32_t min_block, pref_block, max_block;
	int ncontexts;
	char **contexts;
};

/* Read the greeting and answer it (fixed newstyle, no zeroes if offered). */
int nbd_client_hello(struct nbd_chan *ch, struct error **errp);
/* NBD_OPT_STARTTLS and the TLS handshake; *chp becomes the TLS channel (owning the
 * old one). */
int nbd_client_starttls(struct nbd_chan **chp, struct nbd_tls *tls, const char *hostname,
                        struct error **errp);
/* Greeting (then STARTTLS if tls), then list every export with its details. *chp may be
 * replaced by a TLS channel.  0 or -errno with errp set. */
int nbd_client_list(struct nbd_chan **chp, struct nbd_tls *tls, const char *hostname,
                    struct nbd_export_info **out, int *count, struct error **errp);
void nbd_export_info_free(struct nbd_export_info *v, int n);
/* A connected socket to a Unix path (if path) or host:port; -1 with errp set. */
int nbd_client_connect(const char *path, const char *host, const char *port, struct error **errp);

#endif
