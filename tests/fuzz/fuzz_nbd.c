/*
 * libFuzzer target for the NBD server: the handshake (option haggling) and the
 * transmission-phase request parser, fed from a byte string standing in for the client.
 * Replies go to a sink that checks their framing (magic values, chunk lengths, cookies
 * it has seen).  The export is memory whose ops abort on any access outside it, so a
 * range the server failed to check shows up as a crash.  Requests are served inline
 * (no worker threads) to keep runs deterministic.
 *
 * The first input byte picks where the stream starts:
 *   even: the bytes are the whole client stream from the first byte of the handshake;
 *   odd:  a valid handshake (fixed newstyle, structured replies, base:allocation, GO)
 *         is prepended, so the rest goes straight to the request parser;
 *         bit 1 chooses NBD_OPT_EXPORT_NAME (simple replies) instead.
 *   0x80: the bytes are a server talking to the client of lemu-nbd -L instead.
 *
 *   clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -Isrc -Ibuild \
 *     tests/fuzz/fuzz_nbd.c src/nbd/{chan,client,handshake,server,transmission,tls}.c \
 *     src/util/error.c -lgnutls -lpthread -o fuzz_nbd
 *   ./fuzz_nbd -max_total_time=60
 */
#include "nbd/client.h"
#include "nbd/nbd-proto.h"
#include "nbd/nbd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EXPORT_SIZE (1u << 20)

struct mem_export {
	uint8_t *buf;
	uint64_t size;
};

static void range_ok(struct mem_export *m, uint64_t off, uint64_t len)
{
	if (off > m->size || len > m->size - off)
		abort(); /* the server let a request outside the export through */
}

static int m_pread(void *o, void *buf, uint64_t off, uint32_t len)
{
	struct mem_export *m = o;
	range_ok(m, off, len);
	memcpy(buf, m->buf + off, len);
	return 0;
}

static int m_pwrite(void *o, const void *buf, uint64_t off, uint32_t len, unsigned flags)
{
	struct mem_export *m = o;
	range_ok(m, off, len);
	memcpy(m->buf + off, buf, len);
	return 0;
}

static int m_flush(void *o)
{
	return 0;
}

static int m_trim(void *o, uint64_t off, uint32_t len, unsigned flags)
{
	range_ok(o, off, len);
	return 0;
}

static int m_zero(void *o, uint64_t off, uint32_t len, unsigned flags)
{
	struct mem_export *m = o;
	range_ok(m, off, len);
	if (flags & NBD_IO_FAST)
		return -ENOTSUP;
	memset(m->buf + off, 0, len);
	return 0;
}

/* Alternating 64 KiB data and zero extents, with an error now and then. */
static int m_status(void *o, uint64_t off, uint64_t len, uint64_t *pnum, uint32_t *state)
{
	struct mem_export *m = o;
	range_ok(m, off, len);
	if (len == 0)
		abort();
	uint64_t end = (off | 0xffff) + 1;
	*pnum = end - off < len ? end - off : len;
	*state = (off >> 16) & 1 ? NBD_STATE_HOLE | NBD_STATE_ZERO : 0;
	return (off >> 16) == 13 ? -EIO : 0;
}

static const struct nbd_export_ops mem_ops = {
	.pread = m_pread,
	.pwrite = m_pwrite,
	.flush = m_flush,
	.trim = m_trim,
	.write_zeroes = m_zero,
	.block_status = m_status,
};

/* ------------------------------------------------------------------ the channel */

struct fuzz_chan {
	struct nbd_chan ch;
	const uint8_t *in;
	size_t in_len, pos;
	size_t out_total;
	bool client; /* fuzzing the client: what it sends is not checked */
};

static long f_recv(struct nbd_chan *ch, void *buf, size_t len)
{
	struct fuzz_chan *f = (struct fuzz_chan *)ch;
	size_t n = f->in_len - f->pos;
	if (n == 0)
		return 0;
	/* short reads exercise the read loops */
	if (n > len)
		n = len;
	if (n > 1 && (f->pos & 7) == 3)
		n = n / 2;
	memcpy(buf, f->in + f->pos, n);
	f->pos += n;
	return (long)n;
}

static long f_sendv(struct nbd_chan *ch, const struct iovec *iov, int iovcnt)
{
	struct fuzz_chan *f = (struct fuzz_chan *)ch;
	size_t total = 0;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (f->client)
		return (long)total;
	/* Every message the server sends is one of: the greeting, an option reply whose
	 * length field matches its payload, the 10/134-byte NBD_OPT_EXPORT_NAME answer, a
	 * simple reply, or a structured chunk whose length matches its payload. */
	if (iovcnt < 1 || iov[0].iov_len < 4)
		abort();
	const uint8_t *h = iov[0].iov_base;
	uint32_t magic = nbd_get32(h);
	if (iov[0].iov_len >= 8 && nbd_get64(h) == NBD_MAGIC) {
		if (total != 18)
			abort();
	} else if (iov[0].iov_len >= 8 && nbd_get64(h) == NBD_REP_MAGIC) {
		if (iov[0].iov_len < NBD_REP_HEADER_SIZE ||
		    nbd_get32(h + 16) != total - NBD_REP_HEADER_SIZE)
			abort();
	} else if (magic == NBD_SIMPLE_REPLY_MAGIC) {
		if (iov[0].iov_len < NBD_SIMPLE_REPLY_SIZE)
			abort();
	} else if (magic == NBD_STRUCTURED_REPLY_MAGIC) {
		if (iov[0].iov_len < NBD_STRUCTURED_REPLY_SIZE ||
		    nbd_get32(h + 16) != total - NBD_STRUCTURED_REPLY_SIZE)
			abort();
	} else if (total != 10 && total != 134) {
		abort();
	}
	f->out_total += total;
	return (long)total;
}

static void f_shutdown(struct nbd_chan *ch)
{
}

static void f_free(struct nbd_chan *ch)
{
}

static const struct nbd_chan_ops fuzz_chan_ops = {
	.recv = f_recv,
	.sendv = f_sendv,
	.shutdown = f_shutdown,
	.free = f_free,
};

/* A valid client prologue, built from proto.md: flags, STRUCTURED_REPLY,
 * SET_META_CONTEXT base:allocation, GO "" with a BLOCK_SIZE request. */
static size_t prologue(uint8_t *p, bool export_name)
{
	size_t n = 0;
	nbd_put32(p + n, NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES);
	n += 4;
	if (export_name) {
		nbd_put64(p + n, NBD_OPTS_MAGIC);
		nbd_put32(p + n + 8, NBD_OPT_EXPORT_NAME);
		nbd_put32(p + n + 12, 0);
		return n + 16;
	}
	nbd_put64(p + n, NBD_OPTS_MAGIC);
	nbd_put32(p + n + 8, NBD_OPT_STRUCTURED_REPLY);
	nbd_put32(p + n + 12, 0);
	n += 16;
	static const char q[] = "base:allocation";
	nbd_put64(p + n, NBD_OPTS_MAGIC);
	nbd_put32(p + n + 8, NBD_OPT_SET_META_CONTEXT);
	nbd_put32(p + n + 12, 4 + 4 + 4 + (uint32_t)strlen(q));
	n += 16;
	nbd_put32(p + n, 0);
	nbd_put32(p + n + 4, 1);
	nbd_put32(p + n + 8, (uint32_t)strlen(q));
	memcpy(p + n + 12, q, strlen(q));
	n += 12 + strlen(q);
	nbd_put64(p + n, NBD_OPTS_MAGIC);
	nbd_put32(p + n + 8, NBD_OPT_GO);
	nbd_put32(p + n + 12, 8);
	n += 16;
	nbd_put32(p + n, 0);
	nbd_put16(p + n + 4, 1);
	nbd_put16(p + n + 6, NBD_INFO_BLOCK_SIZE);
	return n + 8;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	data++;
	size--;

	if (mode & 0x80) {
		/* The -L client against a hostile server: replies are discarded unchecked. */
		struct fuzz_chan f = {
			.ch.ops = &fuzz_chan_ops, .in = data, .in_len = size, .client = true
		};
		struct nbd_export_info *v = NULL;
		int n = 0;
		struct nbd_chan *ch = &f.ch;
		if (nbd_client_list(&ch, NULL, NULL, &v, &n, NULL) == 0)
			nbd_export_info_free(v, n);
		return 0;
	}

	struct mem_export m = { .buf = calloc(1, EXPORT_SIZE), .size = EXPORT_SIZE };
	if (!m.buf)
		return 0;
	struct nbd_export exp = {
		.name = "",
		.description = "fuzz",
		.size = EXPORT_SIZE,
		.read_only = (mode & 4) != 0,
		.can_trim = true,
		.can_fast_zero = true,
		.min_block = (mode & 8) ? 512 : 1,
		.pref_block = 4096,
		.max_payload = 1u << 20,
		.ops = &mem_ops,
		.opaque = &m,
	};
	struct nbd_server_config cfg = { .workers = 0, .prog = "fuzz" };
	struct nbd_server *s = nbd_server_new(&cfg);
	if (!s) {
		free(m.buf);
		return 0;
	}
	nbd_server_add_export(s, &exp);

	uint8_t *in = malloc(size + 256);
	size_t n = 0;
	if (in) {
		if (mode & 1)
			n = prologue(in, (mode & 2) != 0);
		memcpy(in + n, data, size);
		n += size;
		struct fuzz_chan f = { .ch.ops = &fuzz_chan_ops, .in = in, .in_len = n };
		nbd_server_serve_chan(s, &f.ch);
		free(in);
	}
	nbd_server_free(s);
	free(m.buf);
	return 0;
}
