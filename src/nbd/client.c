/*
 * The client side of the handshake, enough for lemu-nbd -L (list a server's exports and
 * what they offer) and for the kernel client glue: fixed newstyle, NBD_OPT_LIST, then per
 * export NBD_OPT_INFO and NBD_OPT_LIST_META_CONTEXT, then NBD_OPT_ABORT (proto.md
 * "Option types").  Every length the server sends is checked before use.
 */
#include "nbd/client.h"
#include "nbd/nbd-proto.h"
#include "util/error.h"

#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Largest option reply accepted: names and descriptions are at most 4 KiB each. */
#define MAX_REPLY (64u << 10)

static int send_opt_raw(struct nbd_chan *ch, uint32_t opt, const void *d, size_t l)
{
	uint8_t h[NBD_OPT_HEADER_SIZE];
	nbd_put64(h, NBD_OPTS_MAGIC);
	nbd_put32(h + 8, opt);
	nbd_put32(h + 12, (uint32_t)l);
	struct iovec iov[2] = { { h, sizeof(h) }, { (void *)d, l } };
	return nbd_chan_writev(ch, iov, 2);
}

/* errp is set on failure: the server went away (after refusing our certificate, say). */
static int send_opt_e(struct nbd_chan *ch, uint32_t opt, const void *d, size_t l,
                      struct error **errp)
{
	int r = send_opt_raw(ch, opt, d, l);
	if (r < 0)
		error_setg_errno(errp, -r, "Failed to send option %u", opt);
	return r;
}

/* One option reply; *data is malloc'd (NUL-terminated for convenience). */
static int recv_rep(struct nbd_chan *ch, uint32_t opt, uint32_t *type, uint8_t **data,
                    uint32_t *len, struct error **errp)
{
	uint8_t h[NBD_REP_HEADER_SIZE];
	int r = nbd_chan_read(ch, h, sizeof(h));
	if (r < 0) {
		error_setg_errno(errp, -r, "Failed to read option reply");
		return r;
	}
	if (nbd_get64(h) != NBD_REP_MAGIC || nbd_get32(h + 8) != opt) {
		error_setg(errp, "Unexpected option reply from the server");
		return -EPROTO;
	}
	*type = nbd_get32(h + 12);
	*len = nbd_get32(h + 16);
	if (*len > MAX_REPLY) {
		error_setg(errp, "Option reply of %u bytes is too large", *len);
		return -EPROTO;
	}
	*data = malloc(*len + 1);
	if (!*data)
		return -ENOMEM;
	if (*len && (r = nbd_chan_read(ch, *data, *len)) < 0) {
		free(*data);
		error_setg_errno(errp, -r, "Failed to read option reply");
		return r;
	}
	(*data)[*len] = 0;
	return 0;
}

static char *dup_str(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);
	if (s) {
		memcpy(s, p, n);
		s[n] = 0;
	}
	return s;
}

int nbd_client_hello(struct nbd_chan *ch, struct error **errp)
{
	uint8_t hello[18], cf[4];
	int r = nbd_chan_read(ch, hello, sizeof(hello));
	if (r < 0) {
		error_setg_errno(errp, -r, "Failed to read the server's greeting");
		return r;
	}
	if (nbd_get64(hello) != NBD_MAGIC || nbd_get64(hello + 8) != NBD_OPTS_MAGIC ||
	    !(nbd_get16(hello + 16) & NBD_FLAG_FIXED_NEWSTYLE)) {
		error_setg(errp, "Server does not speak fixed newstyle NBD");
		return -EPROTO;
	}
	uint32_t flags = NBD_FLAG_C_FIXED_NEWSTYLE;
	if (nbd_get16(hello + 16) & NBD_FLAG_NO_ZEROES)
		flags |= NBD_FLAG_C_NO_ZEROES;
	nbd_put32(cf, flags);
	r = nbd_chan_write(ch, cf, 4);
	if (r < 0)
		error_setg_errno(errp, -r, "Failed to send the client flags");
	return r;
}

/* NBD_OPT_INFO for one export: size, flags, block sizes (errors leave them 0). */
static int query_info(struct nbd_chan *ch, struct nbd_export_info *e, struct error **errp)
{
	size_t nl = strlen(e->name);
	uint8_t *req = malloc(4 + nl + 2 + 4);
	if (!req)
		return -ENOMEM;
	nbd_put32(req, (uint32_t)nl);
	memcpy(req + 4, e->name, nl);
	nbd_put16(req + 4 + nl, 2);
	nbd_put16(req + 6 + nl, NBD_INFO_DESCRIPTION);
	nbd_put16(req + 8 + nl, NBD_INFO_BLOCK_SIZE);
	int r = send_opt_e(ch, NBD_OPT_INFO, req, 10 + nl, errp);
	free(req);
	for (; r >= 0;) {
		uint32_t type, len;
		uint8_t *d;
		if ((r = recv_rep(ch, NBD_OPT_INFO, &type, &d, &len, errp)) < 0)
			break;
		if (type == NBD_REP_INFO && len >= 2) {
			uint16_t it = nbd_get16(d);
			if (it == NBD_INFO_EXPORT && len == 12) {
				e->size = nbd_get64(d + 2);
				e->flags = nbd_get16(d + 10);
			} else if (it == NBD_INFO_BLOCK_SIZE && len == 14) {
				e->min_block = nbd_get32(d + 2);
				e->pref_block = nbd_get32(d + 6);
				e->max_block = nbd_get32(d + 10);
			} else if (it == NBD_INFO_DESCRIPTION && !e->description) {
				e->description = dup_str(d + 2, len - 2);
			}
		}
		free(d);
		if (type == NBD_REP_ACK || (type & 0x80000000u))
			break;
	}
	return r;
}

/* NBD_OPT_LIST_META_CONTEXT for one export, no query: all contexts. */
static int query_meta(struct nbd_chan *ch, struct nbd_export_info *e, struct error **errp)
{
	size_t nl = strlen(e->name);
	uint8_t *req = malloc(8 + nl);
	if (!req)
		return -ENOMEM;
	nbd_put32(req, (uint32_t)nl);
	memcpy(req + 4, e->name, nl);
	nbd_put32(req + 4 + nl, 0);
	int r = send_opt_e(ch, NBD_OPT_LIST_META_CONTEXT, req, 8 + nl, errp);
	free(req);
	for (; r >= 0;) {
		uint32_t type, len;
		uint8_t *d;
		if ((r = recv_rep(ch, NBD_OPT_LIST_META_CONTEXT, &type, &d, &len, errp)) < 0)
			break;
		if (type == NBD_REP_META_CONTEXT && len > 4) {
			char **n =
			        realloc(e->contexts, (size_t)(e->ncontexts + 1) * sizeof(char *));
			if (n) {
				e->contexts = n;
				e->contexts[e->ncontexts] = dup_str(d + 4, len - 4);
				if (e->contexts[e->ncontexts])
					e->ncontexts++;
			}
		}
		free(d);
		if (type == NBD_REP_ACK || (type & 0x80000000u))
			break;
	}
	return r;
}

int nbd_client_starttls(struct nbd_chan **chp, struct nbd_tls *tls, const char *hostname,
                        struct error **errp)
{
	uint32_t type, len;
	uint8_t *d;
	int r;
	if ((r = send_opt_e(*chp, NBD_OPT_STARTTLS, NULL, 0, errp)) < 0 ||
	    (r = recv_rep(*chp, NBD_OPT_STARTTLS, &type, &d, &len, errp)) < 0)
		return r;
	free(d);
	if (type != NBD_REP_ACK) {
		error_setg(errp, "Server does not support STARTTLS");
		return -EPROTO;
	}
	struct nbd_chan *t = nbd_tls_wrap_client(tls, *chp, hostname, errp);
	if (!t)
		return -EPROTO;
	*chp = t;
	return 0;
}

int nbd_client_list(struct nbd_chan **chp, struct nbd_tls *tls, const char *hostname,
                    struct nbd_export_info **out, int *count, struct error **errp)
{
	struct nbd_export_info *v = NULL;
	int n = 0, r;
	uint32_t type, len;
	uint8_t *d;

	*out = NULL;
	*count = 0;
	if ((r = nbd_client_hello(*chp, errp)) < 0)
		return r;
	if (tls && (r = nbd_client_starttls(chp, tls, hostname, errp)) < 0)
		return r;
	struct nbd_chan *ch = *chp;
	if ((r = send_opt_e(ch, NBD_OPT_LIST, NULL, 0, errp)) < 0)
		return r;
	for (;;) {
		if ((r = recv_rep(ch, NBD_OPT_LIST, &type, &d, &len, errp)) < 0)
			goto fail;
		if (type == NBD_REP_ACK) {
			free(d);
			break;
		}
		if (type == NBD_REP_ERR_TLS_REQD) {
			/* qemu-nbd -L's wording */
			error_setg(errp,
			           "TLS negotiation required before option %u (list)\n"
			           "Did you forget a valid tls-creds?%s%s",
			           NBD_OPT_LIST, len ? "\nserver reported: " : "",
			           len ? (char *)d : "");
			free(d);
			r = -EPERM;
			goto fail;
		}
		if (type & 0x80000000u) {
			error_setg(errp, "Server refused to list exports%s%s", len ? ": " : "",
			           len ? (char *)d : "");
			free(d);
			r = -EPERM;
			goto fail;
		}
		if (type == NBD_REP_SERVER && len >= 4 && nbd_get32(d) <= len - 4) {
			uint32_t nl = nbd_get32(d);
			struct nbd_export_info *nv = realloc(v, (size_t)(n + 1) * sizeof(*v));
			if (!nv) {
				free(d);
				r = -ENOMEM;
				goto fail;
			}
			v = nv;
			memset(&v[n], 0, sizeof(v[n]));
			v[n].name = dup_str(d + 4, nl);
			if (len - 4 > nl)
				v[n].description = dup_str(d + 4 + nl, len - 4 - nl);
			n++;
		}
		free(d);
	}
	/* Structured replies before INFO, so that the flags show what a real client gets. */
	if ((r = send_opt_e(ch, NBD_OPT_STRUCTURED_REPLY, NULL, 0, errp)) < 0 ||
	    (r = recv_rep(ch, NBD_OPT_STRUCTURED_REPLY, &type, &d, &len, errp)) < 0)
		goto fail;
	free(d);
	bool structured = type == NBD_REP_ACK;
	for (int i = 0; i < n; i++) {
		if ((r = query_info(ch, &v[i], errp)) < 0)
			goto fail;
		if (structured && (r = query_meta(ch, &v[i], errp)) < 0)
			goto fail;
	}
	/* A soft disconnect; the server may close before answering. */
	if (send_opt_raw(ch, NBD_OPT_ABORT, NULL, 0) == 0 &&
	    recv_rep(ch, NBD_OPT_ABORT, &type, &d, &len, NULL) == 0)
		free(d);
	*out = v;
	*count = n;
	return 0;
fail:
	nbd_export_info_free(v, n);
	return r;
}

void nbd_export_info_free(struct nbd_export_info *v, int n)
{
	for (int i = 0; v && i < n; i++) {
		free(v[i].name);
		free(v[i].description);
		for (int j = 0; j < v[i].ncontexts; j++)
			free(v[i].contexts[j]);
		free(v[i].contexts);
	}
	free(v);
}

int nbd_client_connect(const char *path, const char *host, const char *port, struct error **errp)
{
	if (path) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		if (strlen(path) >= sizeof(sa.sun_path)) {
			error_setg(errp, "UNIX socket path '%s' is too long", path);
			return -1;
		}
		strcpy(sa.sun_path, path);
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			error_setg_errno(errp, errno, "Failed to connect to '%s'", path);
			if (fd >= 0)
				close(fd);
			return -1;
		}
		return fd;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res, *ai;
	int r = getaddrinfo(host, port, &hints, &res), err = ECONNREFUSED;
	if (r) {
		error_setg(errp, "address resolution failed for %s:%s: %s", host, port,
		           gai_strerror(r));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			freeaddrinfo(res);
			return fd;
		}
		err = errno;
		close(fd);
	}
	freeaddrinfo(res);
	error_setg_errno(errp, err, "Failed to connect to '%s:%s'", host, port);
	return -1;
}
