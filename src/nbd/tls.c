/*
 * TLS for NBD (proto.md "TLS support"): X.509 credentials laid out as QEMU's
 * tls-creds-x509 object expects them in its dir= (ca-cert.pem, server-cert.pem,
 * server-key.pem, optional ca-crl.pem and dh-params.pem), and a channel that runs
 * GnuTLS over another channel after NBD_OPT_STARTTLS.
 *
 * GnuTLS allows one thread to send while another receives on the same session (its
 * manual, "Thread safety"); the connection's reader thread receives and the workers
 * send under the connection's send lock, which is exactly that.
 */
#include "nbd/nbd.h"
#include "util/error.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct nbd_tls {
	gnutls_certificate_credentials_t cred;
	bool verify_peer;
	bool client; /* endpoint=client */
};

/* QEMU names a missing file this way: "Unable to access credentials PATH: reason". */
static int creds_file(const char *dir, const char *name, bool required, char **out,
                      struct error **errp)
{
	char *path;
	if (asprintf(&path, "%s/%s", dir, name) < 0) {
		error_setg(errp, "out of memory");
		return -1;
	}
	if (access(path, R_OK) < 0) {
		int e = errno;
		if (!required && e == ENOENT) {
			free(path);
			*out = NULL;
			return 0;
		}
		error_setg_errno(errp, e, "Unable to access credentials %s", path);
		free(path);
		return -1;
	}
	*out = path;
	return 0;
}

struct nbd_tls *nbd_tls_new_x509(const char *dir, bool client, bool verify_peer,
                                 struct error **errp)
{
	char *ca = NULL, *crl = NULL, *cert = NULL, *key = NULL, *dh = NULL;
	struct nbd_tls *t = NULL;
	int r;

	/* A server needs its certificate; a client's is optional (QEMU's layout). */
	if (creds_file(dir, "ca-cert.pem", verify_peer, &ca, errp) < 0 ||
	    creds_file(dir, "ca-crl.pem", false, &crl, errp) < 0 ||
	    creds_file(dir, client ? "client-cert.pem" : "server-cert.pem", !client, &cert, errp) <
	            0 ||
	    creds_file(dir, client ? "client-key.pem" : "server-key.pem", !client, &key, errp) <
	            0 ||
	    (!client && creds_file(dir, "dh-params.pem", false, &dh, errp) < 0))
		goto out;

	t = calloc(1, sizeof(*t));
	if (!t) {
		error_setg(errp, "out of memory");
		goto out;
	}
	t->verify_peer = verify_peer;
	t->client = client;
	r = gnutls_certificate_allocate_credentials(&t->cred);
	if (r < 0) {
		error_setg(errp, "Cannot allocate credentials: %s", gnutls_strerror(r));
		free(t);
		t = NULL;
		goto out;
	}
	if (ca) {
		r = gnutls_certificate_set_x509_trust_file(t->cred, ca, GNUTLS_X509_FMT_PEM);
		if (r < 0) {
			error_setg(errp, "Cannot load CA certificate '%s': %s", ca,
			           gnutls_strerror(r));
			goto fail;
		}
	}
	if (crl) {
		r = gnutls_certificate_set_x509_crl_file(t->cred, crl, GNUTLS_X509_FMT_PEM);
		if (r < 0) {
			error_setg(errp, "Cannot load CRL '%s': %s", crl, gnutls_strerror(r));
			goto fail;
		}
	}
	r = cert && key ?
	            gnutls_certificate_set_x509_key_file(t->cred, cert, key, GNUTLS_X509_FMT_PEM) :
	            0;
	if (r < 0) {
		error_setg(errp, "Cannot load certificate '%s' & key '%s': %s", cert, key,
		           gnutls_strerror(r));
		goto fail;
	}
	if (dh) {
		/* An explicit DH parameter file is honoured; otherwise GnuTLS's built-in
		 * RFC 7919 groups are used. */
		FILE *f = fopen(dh, "r");
		gnutls_dh_params_t params;
		char buf[8192];
		size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
		if (f)
			fclose(f);
		gnutls_datum_t d = { .data = (unsigned char *)buf, .size = (unsigned)n };
		if (gnutls_dh_params_init(&params) < 0 ||
		    gnutls_dh_params_import_pkcs3(params, &d, GNUTLS_X509_FMT_PEM) < 0) {
			error_setg(errp, "Unable to load DH parameters from %s", dh);
			goto fail;
		}
		/* The credentials keep a reference to params for their lifetime. */
		gnutls_certificate_set_dh_params(t->cred, params);
	} else if (!client) {
		gnutls_certificate_set_known_dh_params(t->cred, GNUTLS_SEC_PARAM_MEDIUM);
	}
	goto out;
fail:
	gnutls_certificate_free_credentials(t->cred);
	free(t);
	t = NULL;
out:
	free(ca);
	free(crl);
	free(cert);
	free(key);
	free(dh);
	return t;
}

void nbd_tls_free(struct nbd_tls *t)
{
	if (!t)
		return;
	gnutls_certificate_free_credentials(t->cred);
	free(t);
}

/* ------------------------------------------------------------------ the channel */

struct tls_chan {
	struct nbd_chan ch;
	struct nbd_chan *inner;
	gnutls_session_t sess;
};

static ssize_t tls_pull(gnutls_transport_ptr_t p, void *buf, size_t len)
{
	struct tls_chan *t = p;
	long n;
	do
		n = t->inner->ops->recv(t->inner, buf, len);
	while (n == -EINTR);
	if (n < 0) {
		gnutls_transport_set_errno(t->sess, (int)-n);
		return -1;
	}
	return n;
}

static ssize_t tls_vec_push(gnutls_transport_ptr_t p, const giovec_t *iov, int iovcnt)
{
	struct tls_chan *t = p;
	long n;
	do
		n = t->inner->ops->sendv(t->inner, (const struct iovec *)iov, iovcnt);
	while (n == -EINTR);
	if (n < 0) {
		gnutls_transport_set_errno(t->sess, (int)-n);
		return -1;
	}
	return n;
}

static long tls_recv(struct nbd_chan *ch, void *buf, size_t len)
{
	struct tls_chan *t = (struct tls_chan *)ch;
	for (;;) {
		ssize_t n = gnutls_record_recv(t->sess, buf, len);
		if (n >= 0)
			return n;
		if (n == GNUTLS_E_INTERRUPTED || n == GNUTLS_E_AGAIN)
			continue;
		/* A peer that closes without close_notify is treated as end of stream. */
		if (n == GNUTLS_E_PREMATURE_TERMINATION)
			return 0;
		return -EIO;
	}
}

static long tls_sendv(struct nbd_chan *ch, const struct iovec *iov, int iovcnt)
{
	struct tls_chan *t = (struct tls_chan *)ch;
	long total = 0;
	/* Cork so that a reply header and its payload travel in as few records as possible. */
	gnutls_record_cork(t->sess);
	for (int i = 0; i < iovcnt; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t left = iov[i].iov_len;
		while (left) {
			ssize_t n = gnutls_record_send(t->sess, p, left);
			if (n == GNUTLS_E_INTERRUPTED || n == GNUTLS_E_AGAIN)
				continue;
			if (n < 0)
				return -EIO;
			p += n;
			left -= (size_t)n;
			total += n;
		}
	}
	for (;;) {
		int r = gnutls_record_uncork(t->sess, GNUTLS_RECORD_WAIT);
		if (r >= 0)
			break;
		if (r != GNUTLS_E_INTERRUPTED && r != GNUTLS_E_AGAIN)
			return -EIO;
	}
	return total;
}

static void tls_shutdown(struct nbd_chan *ch)
{
	struct tls_chan *t = (struct tls_chan *)ch;
	t->inner->ops->shutdown(t->inner);
}

static void tls_free(struct nbd_chan *ch)
{
	struct tls_chan *t = (struct tls_chan *)ch;
	/* "the server MUST close down the TLS session" before closing the connection
	 * (proto.md NBD_CMD_DISC): a close_notify, without waiting for the peer's. A dead
	 * peer makes this fail at once; that is fine. */
	gnutls_bye(t->sess, GNUTLS_SHUT_WR);
	gnutls_deinit(t->sess);
	t->inner->ops->free(t->inner);
	free(t);
}

static const struct nbd_chan_ops tls_chan_ops = {
	.recv = tls_recv,
	.sendv = tls_sendv,
	.shutdown = tls_shutdown,
	.free = tls_free,
};

/* A session over inner, set up for either side (the handshake is the caller's). */
static struct tls_chan *chan_new(struct nbd_tls *tls, struct nbd_chan *inner, unsigned mode,
                                 struct error **errp)
{
	struct tls_chan *t = calloc(1, sizeof(*t));
	if (!t) {
		error_setg(errp, "out of memory");
		return NULL;
	}
	t->ch.ops = &tls_chan_ops;
	t->inner = inner;
	int r = gnutls_init(&t->sess, mode);
	if (r < 0) {
		error_setg(errp, "Cannot initialize TLS session: %s", gnutls_strerror(r));
		free(t);
		return NULL;
	}
	gnutls_set_default_priority(t->sess);
	gnutls_credentials_set(t->sess, GNUTLS_CRD_CERTIFICATE, tls->cred);
	gnutls_transport_set_ptr(t->sess, t);
	gnutls_transport_set_pull_function(t->sess, tls_pull);
	gnutls_transport_set_vec_push_function(t->sess, tls_vec_push);
	return t;
}

static int chan_handshake(struct tls_chan *t)
{
	int r;
	do
		r = gnutls_handshake(t->sess);
	while (r < 0 && !gnutls_error_is_fatal(r));
	return r;
}

static void chan_free(struct tls_chan *t)
{
	gnutls_deinit(t->sess);
	free(t);
}

/* "<Who> certificate is not trusted: <gnutls's reasons>" */
static void not_trusted(struct error **errp, const char *who, unsigned status)
{
	gnutls_datum_t out;
	if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) == 0) {
		error_setg(errp, "%s certificate is not trusted: %s", who, out.data);
		gnutls_free(out.data);
	} else {
		error_setg(errp, "%s certificate is not trusted", who);
	}
}

struct nbd_chan *nbd_tls_wrap(struct nbd_tls *tls, struct nbd_chan *inner, struct error **errp)
{
	struct tls_chan *t = chan_new(tls, inner, GNUTLS_SERVER, errp);
	if (!t)
		return NULL;
	gnutls_certificate_server_set_request(t->sess, tls->verify_peer ? GNUTLS_CERT_REQUIRE :
	                                                                  GNUTLS_CERT_IGNORE);
	int r = chan_handshake(t);
	if (r < 0) {
		error_setg(errp, "TLS handshake failed: %s", gnutls_strerror(r));
		goto fail;
	}
	if (tls->verify_peer) {
		unsigned status = 0;
		r = gnutls_certificate_verify_peers2(t->sess, &status);
		if (r < 0) {
			error_setg(errp, "Cannot verify the client certificate: %s",
			           gnutls_strerror(r));
			goto fail;
		}
		if (status) {
			not_trusted(errp, "Client", status);
			goto fail;
		}
	}
	return &t->ch;
fail:
	chan_free(t);
	return NULL;
}

bool nbd_tls_is_client(const struct nbd_tls *tls)
{
	return tls->client;
}

struct nbd_chan *nbd_tls_wrap_client(struct nbd_tls *tls, struct nbd_chan *inner,
                                     const char *hostname, struct error **errp)
{
	struct tls_chan *t = chan_new(tls, inner, GNUTLS_CLIENT, errp);
	if (!t)
		return NULL;
	if (hostname)
		gnutls_server_name_set(t->sess, GNUTLS_NAME_DNS, hostname, strlen(hostname));
	/* The server's certificate is checked against the CA and the host name during
	 * the handshake itself. */
	if (tls->verify_peer)
		gnutls_session_set_verify_cert(t->sess, hostname, 0);
	int r = chan_handshake(t);
	if (r < 0) {
		if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
			not_trusted(errp, "Server", gnutls_session_get_verify_cert_status(t->sess));
		else
			error_setg(errp, "TLS handshake failed: %s", gnutls_strerror(r));
		chan_free(t);
		return NULL;
	}
	return &t->ch;
}
