/*
 * Handshake phase: fixed newstyle negotiation and option haggling
 * (proto.md "Fixed newstyle negotiation", "Option types", "TLS support").
 *
 * Every length the client sends is checked against the option's own length before
 * use; anything that breaks a MUST of the protocol ends the session (a "hard
 * disconnect"), anything merely unsupported or malformed inside a well-framed option
 * gets an error reply and haggling goes on, as the spec asks of servers.
 */
#include "nbd/nbd-int.h"
#include "nbd/nbd-proto.h"
#include "util/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Largest option payload read at all: SET_META_CONTEXT with many queries is the
 * biggest legitimate one.  A longer option is a client lying or attacking. */
#define NBD_MAX_OPTION_LEN (1u << 20)

#define META_BASE_ALLOCATION "base:allocation"
#define META_ID_BASE_ALLOCATION 0

static int send_rep(struct nbd_conn *c, uint32_t opt, uint32_t type, const void *d1, size_t l1,
                    const void *d2, size_t l2)
{
	uint8_t h[NBD_REP_HEADER_SIZE];
	nbd_put64(h, NBD_REP_MAGIC);
	nbd_put32(h + 8, opt);
	nbd_put32(h + 12, type);
	nbd_put32(h + 16, (uint32_t)(l1 + l2));
	struct iovec iov[3] = {
		{ h, sizeof(h) },
		{ (void *)d1, l1 },
		{ (void *)d2, l2 },
	};
	return nbd_chan_writev(c->ch, iov, 3);
}

static int send_ack(struct nbd_conn *c, uint32_t opt)
{
	return send_rep(c, opt, NBD_REP_ACK, NULL, 0, NULL, 0);
}

/* Error replies carry a human-readable message (proto.md "Option reply types"). */
static int send_err(struct nbd_conn *c, uint32_t opt, uint32_t type, const char *msg)
{
	nbd_conn_log(c, "option %u: %s", opt, msg);
	return send_rep(c, opt, type, msg, strlen(msg), NULL, 0);
}

static struct nbd_export *find_export(struct nbd_server *s, const char *name, size_t len)
{
	for (int i = 0; i < s->nexports; i++) {
		struct nbd_export *e = s->exports[i];
		if (strlen(e->name) == len && (len == 0 || memcmp(e->name, name, len) == 0))
			return e;
	}
	/* The empty name is the "default" export (proto.md NBD_OPT_EXPORT_NAME):
	 * with one export, that is it. */
	if (len == 0 && s->nexports == 1)
		return s->exports[0];
	return NULL;
}

uint16_t nbd_conn_tflags(struct nbd_conn *c, struct nbd_export *e)
{
	uint16_t f =
	        NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH | NBD_FLAG_SEND_FUA | NBD_FLAG_SEND_CACHE;
	if (e->read_only) {
		f |= NBD_FLAG_READ_ONLY;
	} else {
		f |= NBD_FLAG_SEND_WRITE_ZEROES;
		if (e->can_trim)
			f |= NBD_FLAG_SEND_TRIM;
		if (e->can_fast_zero)
			f |= NBD_FLAG_SEND_FAST_ZERO;
	}
	/* DF only means something with structured replies (proto.md NBD_FLAG_SEND_DF). */
	if (c->structured)
		f |= NBD_FLAG_SEND_DF;
	if (e->can_multi_conn)
		f |= NBD_FLAG_CAN_MULTI_CONN;
	if (e->rotational)
		f |= NBD_FLAG_ROTATIONAL;
	return f;
}

static bool tls_required(struct nbd_conn *c)
{
	return c->server->cfg.tls && !c->tls_active;
}

/* NBD_OPT_EXPORT_NAME: cannot fail politely; an unknown export ends the session. */
static int opt_export_name(struct nbd_conn *c, const uint8_t *data, uint32_t len)
{
	if (len > NBD_MAX_STRING)
		return -EINVAL;
	struct nbd_export *e = find_export(c->server, (const char *)data, len);
	if (!e) {
		nbd_conn_log(c, "unknown export '%.*s'", (int)len, (const char *)data);
		return -ENOENT;
	}
	uint8_t r[8 + 2 + 124];
	memset(r, 0, sizeof(r));
	c->exp = e;
	c->tflags = nbd_conn_tflags(c, e);
	/* Without a matching SET_META_CONTEXT no block status is allowed. */
	if (!c->meta_export || strcmp(c->meta_export, e->name) != 0)
		c->meta_alloc = false;
	nbd_put64(r, e->size);
	nbd_put16(r + 8, c->tflags);
	return nbd_chan_write(c->ch, r, c->no_zeroes ? 10 : sizeof(r));
}

static int send_info(struct nbd_conn *c, uint32_t opt, uint16_t type, const void *d, size_t l)
{
	uint8_t t[2];
	nbd_put16(t, type);
	return send_rep(c, opt, NBD_REP_INFO, t, 2, d, l);
}

/* NBD_OPT_INFO / NBD_OPT_GO: returns 0 to go on haggling, 2 when GO succeeded. */
static int opt_info_go(struct nbd_conn *c, uint32_t opt, const uint8_t *data, uint32_t len)
{
	bool want_name = false, want_desc = false;
	if (len < 6)
		return send_err(c, opt, NBD_REP_ERR_INVALID, "request too short");
	uint32_t nlen = nbd_get32(data);
	if (nlen > len - 6)
		return send_err(c, opt, NBD_REP_ERR_INVALID, "name length exceeds option length");
	if (nlen > NBD_MAX_STRING)
		return send_err(c, opt, NBD_REP_ERR_INVALID, "export name too long");
	uint16_t nreq = nbd_get16(data + 4 + nlen);
	if ((uint64_t)6 + nlen + 2u * nreq != len)
		return send_err(c, opt, NBD_REP_ERR_INVALID,
		                "information request count does not match option length");
	for (unsigned i = 0; i < nreq; i++) {
		uint16_t t = nbd_get16(data + 6 + nlen + 2 * i);
		if (t == NBD_INFO_NAME)
			want_name = true;
		else if (t == NBD_INFO_DESCRIPTION)
			want_desc = true;
	}
	if (tls_required(c))
		return send_err(c, opt, NBD_REP_ERR_TLS_REQD, "TLS negotiation required");
	const char *name = (const char *)data + 4;
	struct nbd_export *e = find_export(c->server, name, nlen);
	if (!e)
		return send_err(c, opt, NBD_REP_ERR_UNKNOWN, "export not found");

	uint16_t tflags = nbd_conn_tflags(c, e);
	uint8_t exp[10], bs[12];
	int r;
	nbd_put64(exp, e->size);
	nbd_put16(exp + 8, tflags);
	if ((r = send_info(c, opt, NBD_INFO_EXPORT, exp, sizeof(exp))) < 0)
		return r;
	if (want_name && (r = send_info(c, opt, NBD_INFO_NAME, e->name, strlen(e->name))) < 0)
		return r;
	if (want_desc && e->description &&
	    (r = send_info(c, opt, NBD_INFO_DESCRIPTION, e->description, strlen(e->description))) <
	            0)
		return r;
	/* Block sizes are always sent: clients that did not ask may ignore them. */
	nbd_put32(bs, e->min_block);
	nbd_put32(bs + 4, e->pref_block);
	nbd_put32(bs + 8, e->max_payload);
	if ((r = send_info(c, opt, NBD_INFO_BLOCK_SIZE, bs, sizeof(bs))) < 0)
		return r;
	if ((r = send_ack(c, opt)) < 0)
		return r;
	if (opt == NBD_OPT_INFO)
		return 0;
	c->exp = e;
	c->tflags = tflags;
	if (!c->meta_export || strcmp(c->meta_export, e->name) != 0)
		c->meta_alloc = false;
	return 2;
}

static int opt_list(struct nbd_conn *c, uint32_t len)
{
	int r;
	if (len)
		return send_err(c, NBD_OPT_LIST, NBD_REP_ERR_INVALID, "NBD_OPT_LIST takes no data");
	for (int i = 0; i < c->server->nexports; i++) {
		struct nbd_export *e = c->server->exports[i];
		uint8_t l[4];
		size_t nl = strlen(e->name);
		nbd_put32(l, (uint32_t)nl);
		/* NBD_REP_SERVER: name, then a human-readable description. */
		uint8_t h[NBD_REP_HEADER_SIZE];
		size_t dl = e->description ? strlen(e->description) : 0;
		nbd_put64(h, NBD_REP_MAGIC);
		nbd_put32(h + 8, NBD_OPT_LIST);
		nbd_put32(h + 12, NBD_REP_SERVER);
		nbd_put32(h + 16, (uint32_t)(4 + nl + dl));
		struct iovec iov[4] = {
			{ h, sizeof(h) },
			{ l, 4 },
			{ e->name, nl },
			{ e->description, dl },
		};
		if ((r = nbd_chan_writev(c->ch, iov, 4)) < 0)
			return r;
	}
	return send_ack(c, NBD_OPT_LIST);
}

/* NBD_OPT_LIST_META_CONTEXT / NBD_OPT_SET_META_CONTEXT (proto.md "Metadata querying").
 * Only base:allocation exists here. */
static int opt_meta(struct nbd_conn *c, uint32_t opt, const uint8_t *data, uint32_t len)
{
	bool set = opt == NBD_OPT_SET_META_CONTEXT;
	bool found = false;
	int r;

	if (set) {
		/* SET replaces the selection even when it fails. */
		c->meta_alloc = false;
		free(c->meta_export);
		c->meta_export = NULL;
	}
	if (!c->structured)
		return send_err(c, opt, NBD_REP_ERR_INVALID, "structured replies not negotiated");
	if (tls_required(c))
		return send_err(c, opt, NBD_REP_ERR_TLS_REQD, "TLS negotiation required");
	if (len < 8)
		return send_err(c, opt, NBD_REP_ERR_INVALID, "request too short");
	uint32_t nlen = nbd_get32(data);
	if (nlen > len - 8 || nlen > NBD_MAX_STRING)
		return send_err(c, opt, NBD_REP_ERR_INVALID, "bad export name length");
	const char *name = (const char *)data + 4;
	uint32_t nq = nbd_get32(data + 4 + nlen);
	uint32_t pos = 8 + nlen;
	/* Check the framing of every query before answering anything. */
	uint32_t p = pos;
	for (uint32_t i = 0; i < nq; i++) {
		if (len - p < 4)
			return send_err(c, opt, NBD_REP_ERR_INVALID, "query list truncated");
		uint32_t ql = nbd_get32(data + p);
		if (ql > len - p - 4)
			return send_err(c, opt, NBD_REP_ERR_INVALID, "query length exceeds option");
		if (ql > NBD_MAX_STRING)
			return send_err(c, opt, NBD_REP_ERR_INVALID, "query too long");
		p += 4 + ql;
	}
	if (p != len)
		return send_err(c, opt, NBD_REP_ERR_INVALID, "trailing data after queries");
	struct nbd_export *e = find_export(c->server, name, nlen);
	if (!e)
		return send_err(c, opt, NBD_REP_ERR_UNKNOWN, "export not found");

	if (nq == 0) {
		/* LIST with no query lists everything; SET with none selects nothing. */
		found = !set;
	}
	p = pos;
	for (uint32_t i = 0; i < nq; i++) {
		uint32_t ql = nbd_get32(data + p);
		const char *q = (const char *)data + p + 4;
		p += 4 + ql;
		size_t bl = strlen(META_BASE_ALLOCATION);
		if (ql == bl && memcmp(q, META_BASE_ALLOCATION, bl) == 0)
			found = true;
		/* "base:" is the namespace wildcard, valid for LIST only. */
		else if (!set && ql == 5 && memcmp(q, "base:", 5) == 0)
			found = true;
		/* Unknown namespaces and leaves are ignored, not errors. */
	}
	if (found) {
		uint8_t id[4];
		nbd_put32(id, META_ID_BASE_ALLOCATION);
		r = send_rep(c, opt, NBD_REP_META_CONTEXT, id, 4, META_BASE_ALLOCATION,
		             strlen(META_BASE_ALLOCATION));
		if (r < 0)
			return r;
		if (set) {
			c->meta_alloc = true;
			c->meta_export = strdup(e->name);
			if (!c->meta_export)
				c->meta_alloc = false;
		}
	}
	return send_ack(c, opt);
}

static int opt_starttls(struct nbd_conn *c, uint32_t len)
{
	struct nbd_server *s = c->server;
	if (len)
		return send_err(c, NBD_OPT_STARTTLS, NBD_REP_ERR_INVALID, "STARTTLS takes no data");
	if (!s->cfg.tls)
		return send_err(c, NBD_OPT_STARTTLS, NBD_REP_ERR_POLICY, "TLS not configured");
	if (c->tls_active)
		return send_err(c, NBD_OPT_STARTTLS, NBD_REP_ERR_INVALID, "TLS already active");
	int r = send_ack(c, NBD_OPT_STARTTLS);
	if (r < 0)
		return r;
	struct error *err = NULL;
	struct nbd_chan *t = nbd_tls_wrap(s->cfg.tls, c->ch, &err);
	if (!t) {
		/* Too late to go back to plain text: the session ends (proto.md FORCEDTLS). */
		nbd_conn_log(c, "%s", err ? err->msg : "TLS handshake failed");
		error_free(err);
		return -EPROTO;
	}
	c->ch = t;
	c->tls_active = true;
	/* Nothing negotiated before STARTTLS survives it (proto.md NBD_OPT_STARTTLS). */
	c->structured = false;
	c->meta_alloc = false;
	free(c->meta_export);
	c->meta_export = NULL;
	return 0;
}

int nbd_conn_handshake(struct nbd_conn *c)
{
	uint8_t hello[18], cf[4], oh[NBD_OPT_HEADER_SIZE];
	int r;

	nbd_put64(hello, NBD_MAGIC);
	nbd_put64(hello + 8, NBD_OPTS_MAGIC);
	nbd_put16(hello + 16, NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
	if ((r = nbd_chan_write(c->ch, hello, sizeof(hello))) < 0)
		return r;
	if ((r = nbd_chan_read(c->ch, cf, 4)) < 0)
		return r;
	uint32_t cflags = nbd_get32(cf);
	/* "the server MUST close the TCP connection if it does not recognize the client's
	 * flags" (proto.md "Newstyle negotiation") */
	if (cflags & ~(uint32_t)(NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES)) {
		nbd_conn_log(c, "unknown client flags 0x%x", cflags);
		return -EPROTO;
	}
	bool fixed = cflags & NBD_FLAG_C_FIXED_NEWSTYLE;
	c->no_zeroes = cflags & NBD_FLAG_C_NO_ZEROES;
	/* TLS needs fixed newstyle (proto.md "Server-side requirements"). */
	if (!fixed && c->server->cfg.tls) {
		nbd_conn_log(c, "client without fixed newstyle cannot do TLS");
		return -EPROTO;
	}

	for (;;) {
		if ((r = nbd_chan_read(c->ch, oh, sizeof(oh))) < 0)
			return r;
		if (nbd_get64(oh) != NBD_OPTS_MAGIC) {
			nbd_conn_log(c, "bad option magic");
			return -EPROTO;
		}
		uint32_t opt = nbd_get32(oh + 8), len = nbd_get32(oh + 12);
		if (len > NBD_MAX_OPTION_LEN) {
			nbd_conn_log(c, "option %u length %u is too large", opt, len);
			return -EPROTO;
		}
		uint8_t *data = NULL;
		if (len) {
			data = malloc(len);
			if (!data)
				return -ENOMEM;
			if ((r = nbd_chan_read(c->ch, data, len)) < 0) {
				free(data);
				return r;
			}
		}
		if (!fixed && opt != NBD_OPT_EXPORT_NAME) {
			/* Plain newstyle knows no other option, and no error replies. */
			free(data);
			nbd_conn_log(c, "option %u from a client without fixed newstyle", opt);
			return -EPROTO;
		}
		if (tls_required(c) && opt != NBD_OPT_STARTTLS && opt != NBD_OPT_ABORT) {
			/* FORCEDTLS: everything but STARTTLS and ABORT is refused, and
			 * EXPORT_NAME, which cannot be refused, ends the session. */
			free(data);
			if (opt == NBD_OPT_EXPORT_NAME) {
				nbd_conn_log(c, "NBD_OPT_EXPORT_NAME before TLS");
				return -EPROTO;
			}
			if ((r = send_err(c, opt, NBD_REP_ERR_TLS_REQD,
			                  "TLS negotiation required")) < 0)
				return r;
			continue;
		}
		switch (opt) {
		case NBD_OPT_EXPORT_NAME:
			r = opt_export_name(c, data, len);
			free(data);
			return r;
		case NBD_OPT_ABORT:
			free(data);
			/* The client may have gone already; that is fine. */
			send_ack(c, opt);
			return 1;
		case NBD_OPT_LIST: r = opt_list(c, len); break;
		case NBD_OPT_STARTTLS: r = opt_starttls(c, len); break;
		case NBD_OPT_INFO:
		case NBD_OPT_GO:
			r = opt_info_go(c, opt, data, len);
			if (r == 2) {
				free(data);
				return 0;
			}
			break;
		case NBD_OPT_STRUCTURED_REPLY:
			if (len)
				r = send_err(c, opt, NBD_REP_ERR_INVALID, "option takes no data");
			else if (c->structured)
				r = send_err(c, opt, NBD_REP_ERR_INVALID, "already negotiated");
			else {
				c->structured = true;
				r = send_ack(c, opt);
			}
			break;
		case NBD_OPT_LIST_META_CONTEXT:
		case NBD_OPT_SET_META_CONTEXT: r = opt_meta(c, opt, data, len); break;
		default: r = send_err(c, opt, NBD_REP_ERR_UNSUP, "option not supported"); break;
		}
		free(data);
		if (r < 0)
			return r;
	}
}
