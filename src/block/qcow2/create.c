/*
 * qcow2 image creation (qemu-img create -o), measure, resize (grow/shrink with
 * preallocation), make_empty. The new image starts as header + refcount table +
 * one refcount block, then grows to its size through the normal resize path.
 */
#include "block/qcow2/qcow2.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct blk_create_opt_desc qcow2_create_opts[] = {
	{ "backing_file", "str", "File name of a base image", NULL },
	{ "backing_fmt", "str", "Image format of the base image", NULL },
	{ "cluster_size", "size", "qcow2 cluster size", "65536" },
	{ "compat", "str", "Compatibility level (v2 [0.10] or v3 [1.1])", NULL },
	{ "compression_type", "str", "Compression method used for image cluster compression", "zlib" },
	{ "data_file", "str", "File name of an external data file", NULL },
	{ "data_file_raw", "bool (on/off)", "The external data file must stay valid as a raw image", NULL },
	{ "encrypt.cipher-alg", "str", "Name of encryption cipher algorithm", NULL },
	{ "encrypt.cipher-mode", "str", "Name of encryption cipher mode", NULL },
	{ "encrypt.format", "str", "Encrypt the image, format choices: 'aes', 'luks'", NULL },
	{ "encrypt.hash-alg", "str", "Name of encryption hash algorithm", NULL },
	{ "encrypt.iter-time", "num", "Time to spend in PBKDF in milliseconds", NULL },
	{ "encrypt.ivgen-alg", "str", "Name of IV generator algorithm", NULL },
	{ "encrypt.ivgen-hash-alg", "str", "Name of IV generator hash algorithm", NULL },
	{ "encrypt.key-secret", "str", "ID of secret providing qcow AES key or LUKS passphrase", NULL },
	{ "encryption", "bool (on/off)", "Encrypt the image with format 'aes'. (Deprecated in favor of encrypt.format=aes)", NULL },
	{ "extended_l2", "bool (on/off)", "Extended L2 tables", "off" },
	{ "extent_size_hint", "size", "Extent size hint for the image file, 0 to disable", NULL },
	{ "lazy_refcounts", "bool (on/off)", "Postpone refcount updates", "off" },
	{ "nocow", "bool (on/off)", "Turn off copy-on-write (valid only on btrfs)", NULL },
	{ "preallocation", "str", "Preallocation mode (allowed values: off, metadata, falloc, full)", NULL },
	{ "refcount_bits", "num", "Width of a reference count entry in bits", "16" },
	{ "size", "size", "Virtual disk size", NULL },
	{ NULL, NULL, NULL, NULL },
};

struct create_params {
	uint64_t size;
	bool has_size;
	int version;
	uint32_t cluster_bits;
	uint32_t refcount_order;
	bool lazy;
	int compression; /* 0 zlib, 1 zstd */
	const char *prealloc;
	const char *backing_file, *backing_fmt;
};

static int parse_params(const struct blk_opts *o, struct create_params *p, bool for_measure,
			struct blk_error *err)
{
	const char *v;
	memset(p, 0, sizeof(*p));
	p->version = 3;
	p->cluster_bits = 16;
	p->refcount_order = 4;
	if ((v = blk_opts_get(o, "size"))) {
		if (blk_parse_size(v, &p->size) < 0 || p->size > INT64_MAX) {
			blk_error_set(err, -EINVAL, "Parameter 'size' expects a non-negative number below 2^64\nOptional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively.");
			return -EINVAL;
		}
		p->size = qcow2_align_up(p->size, 512);
		p->has_size = true;
	}
	if ((v = blk_opts_get(o, "compat"))) {
		if (!strcmp(v, "0.10") || !strcmp(v, "v2"))
			p->version = 2;
		else if (!strcmp(v, "1.1") || !strcmp(v, "v3"))
			p->version = 3;
		else {
			blk_error_set(err, -EINVAL, "Parameter 'version' does not accept value '%s'", v);
			return -EINVAL;
		}
	}
	if ((v = blk_opts_get(o, "cluster_size"))) {
		uint64_t cs;
		if (blk_parse_size(v, &cs) < 0 || cs < 512 || cs > (2u << 20) || (cs & (cs - 1))) {
			blk_error_set(err, -EINVAL, "Cluster size must be a power of two between 512 and 2048k");
			return -EINVAL;
		}
		p->cluster_bits = (uint32_t)__builtin_ctzll(cs);
	}
	if ((v = blk_opts_get(o, "refcount_bits"))) {
		char *end;
		unsigned long b = strtoul(v, &end, 10);
		if (*end || !b || b > 64 || (b & (b - 1))) {
			blk_error_set(err, -EINVAL, "Refcount width must be a power of two and may not exceed 64 bits");
			return -EINVAL;
		}
		p->refcount_order = (uint32_t)__builtin_ctzl(b);
		if (p->version < 3 && b != 16) {
			blk_error_set(err, -EINVAL, "Different refcount widths than 16 bits require compatibility level 1.1 or above (use compat=1.1 or greater)");
			return -EINVAL;
		}
	}
	if (blk_opts_get_bool(o, "lazy_refcounts", false, &p->lazy, err) < 0)
		return -EINVAL;
	if (p->lazy && p->version < 3) {
		blk_error_set(err, -EINVAL, "Lazy refcounts only supported with compatibility level 1.1 and above (use compat=1.1 or greater)");
		return -EINVAL;
	}
	if ((v = blk_opts_get(o, "compression_type"))) {
		if (!strcmp(v, "zlib"))
			p->compression = 0;
		else if (!strcmp(v, "zstd"))
			p->compression = 1;
		else {
			blk_error_set(err, -EINVAL, "Parameter 'compression-type' does not accept value '%s'", v);
			return -EINVAL;
		}
		if (p->compression && p->version < 3) {
			blk_error_set(err, -EINVAL, "Non-zlib compression type is only supported with compatibility level 1.1 and above (use compat=1.1 or greater)");
			return -EINVAL;
		}
	}
	p->prealloc = blk_opts_get(o, "preallocation");
	if (p->prealloc && strcmp(p->prealloc, "off") && strcmp(p->prealloc, "metadata") &&
	    strcmp(p->prealloc, "falloc") && strcmp(p->prealloc, "full")) {
		blk_error_set(err, -EINVAL, "Parameter 'preallocation' does not accept value '%s'", p->prealloc);
		return -EINVAL;
	}
	bool b;
	if (blk_opts_get_bool(o, "extended_l2", false, &b, err) < 0)
		return -EINVAL;
	if (b) {
		blk_error_set(err, -ENOTSUP, "Extended L2 tables are not supported by lemu");
		return -ENOTSUP;
	}
	if (blk_opts_get(o, "data_file") || blk_opts_get(o, "data_file_raw")) {
		blk_error_set(err, -ENOTSUP, "External data files are not supported by lemu");
		return -ENOTSUP;
	}
	if (blk_opts_get_bool(o, "encryption", false, &b, err) < 0)
		return -EINVAL;
	for (int i = 0; i < blk_opts_count(o); i++)
		if (!strncmp(blk_opts_key(o, i), "encrypt.", 8))
			b = true;
	if (b) {
		blk_error_set(err, -ENOTSUP, "Encrypted images are not supported by lemu");
		return -ENOTSUP;
	}
	p->backing_file = blk_opts_get(o, "backing_file");
	p->backing_fmt = blk_opts_get(o, "backing_fmt");
	if (p->backing_fmt && !p->backing_file && !for_measure) {
		blk_error_set(err, -EINVAL, "Backing format cannot be used without backing file");
		return -EINVAL;
	}
	if (p->backing_file && p->prealloc && strcmp(p->prealloc, "off") && !for_measure) {
		blk_error_set(err, -EINVAL, "Backing file and preallocation can only be used at the same time if extended_l2 is on");
		return -EINVAL;
	}
	return 0;
}

int qcow2_create(const char *filename, const struct blk_opts *opts, unsigned flags,
		 struct blk_error *err)
{
	struct create_params p;
	int r = parse_params(opts, &p, false, err);
	if (r)
		return r;
	char *bfmt_probed = NULL;
	if (p.backing_file && (!p.has_size || !(flags & BLK_CREATE_NO_BACKING_CHECK))) {
		if (flags & BLK_CREATE_NO_BACKING_CHECK) {
			blk_error_set(err, -EINVAL, "Image creation needs a size parameter");
			return -EINVAL;
		}
		/* The backing file must open; it gives the default size. */
		char *path = blk_path_combine(filename, p.backing_file);
		struct blk_error berr = { 0 };
		struct blk_node *b = path ? blk_open(path, p.backing_fmt, NULL, BLK_OPEN_FORCE_SHARE | BLK_OPEN_NO_BACKING, &berr) : NULL;
		free(path);
		if (!b) {
			blk_error_set(err, berr.code ? berr.code : -ENOENT, "Could not open backing image: %s", berr.msg);
			return err ? err->code : -ENOENT;
		}
		if (!p.backing_fmt)
			bfmt_probed = strdup(blk_node_driver(b));
		if (!p.has_size) {
			int64_t l = blk_getlength(b);
			p.size = l > 0 ? (uint64_t)l : 0;
			p.has_size = true;
		}
		blk_close(b);
	}
	if (!p.has_size) {
		blk_error_set(err, -EINVAL, "Image creation needs a size parameter");
		return -EINVAL;
	}
	uint64_t cs = 1ull << p.cluster_bits;
	/* Minimal image: header, refcount table at cluster 1, refcount block at 2. */
	r = blk_file_create(filename, 0, NULL, err);
	if (r) {
		free(bfmt_probed);
		return r;
	}
	struct blk_node *f = blk_open(filename, "file", NULL, BLK_OPEN_RDWR, err);
	if (!f) {
		free(bfmt_probed);
		return err ? err->code : -EIO;
	}
	struct qcow2 *s = calloc(1, sizeof(*s));
	uint8_t *buf = calloc(1, cs);
	if (!s || !buf) {
		r = -ENOMEM;
		goto out;
	}
	s->file = f;
	s->version = (uint32_t)p.version;
	s->cluster_bits = p.cluster_bits;
	s->cluster_size = cs;
	s->refcount_order = p.refcount_order;
	s->header_length = p.version >= 3 ? 112 : 72;
	s->compression_type = (uint8_t)p.compression;
	s->incompat = p.compression ? QCOW2_INCOMPAT_COMPRESSION : 0;
	s->rt_offset = cs;
	s->rt_clusters = 1;
	r = qcow2_write_header(s);
	if (!r) {
		be64_put(buf, 2 * cs);
		r = blk_pwrite(f, (int64_t)cs, buf, cs, 0);
	}
	if (!r) {
		memset(buf, 0, cs);
		for (int i = 0; i < 3; i++)
			qcow2_rb_set(s, buf, (uint64_t)i, 1);
		r = blk_pwrite(f, 2 * (int64_t)cs, buf, cs, 0);
	}
	if (!r)
		r = blk_flush(f);
out:
	free(buf);
	free(s);
	blk_close(f);
	if (r) {
		blk_error_set(err, r, "Could not write qcow2 header of '%s': %s", filename, strerror(-r));
		free(bfmt_probed);
		return r;
	}
	/* Then everything else through the driver itself. */
	struct blk_node *n = blk_open(filename, "qcow2", NULL, BLK_OPEN_RDWR | BLK_OPEN_NO_BACKING, err);
	if (!n) {
		free(bfmt_probed);
		return err ? err->code : -EIO;
	}
	struct qcow2 *q = n->opaque;
	/* Size first: growing an image that has a backing file zeroes the new area (so
	 * that a resize never shows stale backing data), which a new image must not do. */
	if (p.size)
		r = qcow2_truncate(n, (int64_t)p.size, false, p.prealloc, err);
	pthread_mutex_lock(&q->lock);
	if (p.lazy)
		q->compat |= QCOW2_COMPAT_LAZY_REFCOUNTS;
	if (p.backing_file) {
		q->backing_file = strdup(p.backing_file);
		const char *bf = p.backing_fmt ? p.backing_fmt : bfmt_probed;
		q->backing_fmt = bf ? strdup(bf) : NULL;
	}
	if (!r) {
		r = qcow2_write_header(q);
		if (r == -ENOSPC)
			blk_error_set(err, r, "Could not write qcow2 header: backing file name too long for the cluster size");
	}
	pthread_mutex_unlock(&q->lock);
	free(bfmt_probed);
	int r2 = blk_close(n);
	return r ? r : r2;
}

/* Refcount table + blocks needed to describe `clusters` clusters plus themselves. */
static uint64_t refcount_meta_clusters(uint64_t clusters, uint64_t cs, uint32_t order)
{
	uint64_t per_block = cs * 8 >> order, per_table = cs / 8;
	uint64_t blocks = 0, table = 0, prev = UINT64_MAX, total = clusters;
	while (total != prev) {
		prev = total;
		blocks = (clusters + blocks + table + per_block - 1) / per_block;
		table = (blocks + per_table - 1) / per_table;
		total = clusters + blocks + table;
	}
	return blocks + table;
}

/* Size of a fully allocated image (header, L1, all L2 tables, refcounts, data). */
static uint64_t full_size(uint64_t size, uint32_t cluster_bits, uint32_t order)
{
	uint64_t cs = 1ull << cluster_bits;
	uint64_t data = qcow2_align_up(size, cs);
	uint64_t l2e = qcow2_align_up(data / cs, cs / 8);
	uint64_t meta = cs + l2e * 8;
	uint64_t l1e = qcow2_align_up(l2e * 8 / cs, cs / 8);
	meta += l1e * 8;
	meta += refcount_meta_clusters((meta + data) / cs, cs, order) * cs;
	return meta + data;
}

int qcow2_measure(const struct blk_opts *opts, struct blk_node *src, struct blk_measure *out,
		  struct blk_error *err)
{
	struct create_params p;
	int r = parse_params(opts, &p, true, err);
	if (r)
		return r;
	uint64_t cs = 1ull << p.cluster_bits;
	uint64_t vsize = p.size, data = 0;
	bool full = p.prealloc && (!strcmp(p.prealloc, "full") || !strcmp(p.prealloc, "falloc"));
	if (src) {
		int64_t l = blk_getlength(src);
		if (l < 0)
			return (int)l;
		vsize = qcow2_align_up((uint64_t)l, 512);
		if (full) {
			data = qcow2_align_up(vsize, cs);
		} else {
			/* Count the clusters that hold data anywhere in the source chain. */
			for (uint64_t off = 0; off < (uint64_t)l;) {
				struct blk_status st;
				r = blk_block_status_above(src, NULL, (int64_t)off, l - (int64_t)off, &st);
				if (r) {
					blk_error_set(err, r, "Unable to get block status: %s", strerror(-r));
					return r;
				}
				uint64_t pnum = (uint64_t)st.bytes;
				if (!(st.flags & BLK_STATUS_ZERO) &&
				    (st.flags & (BLK_STATUS_DATA | BLK_STATUS_ALLOCATED)) == (BLK_STATUS_DATA | BLK_STATUS_ALLOCATED)) {
					pnum = qcow2_align_up(off + pnum, cs) - off;
					data += off % cs + pnum;
				}
				off += pnum;
			}
		}
	} else if (!p.has_size) {
		blk_error_set(err, -EINVAL, "Either --size N or one filename must be specified.");
		return -EINVAL;
	} else if (full) {
		data = qcow2_align_up(vsize, cs);
	}
	out->fully_allocated = full_size(vsize, p.cluster_bits, p.refcount_order);
	out->required = out->fully_allocated - qcow2_align_up(vsize, cs) + data;
	out->has_bitmaps = p.version >= 3 && src && !strcmp(blk_node_driver(src), "qcow2");
	out->bitmaps = 0;
	return 0;
}

/* Give guest clusters [c0, c1) host clusters (preallocation=metadata and above). */
static int prealloc_clusters(struct qcow2 *s, uint64_t c0, uint64_t c1, const char *mode)
{
	uint64_t cs = s->cluster_size;
	while (c0 < c1) {
		/* One L2 table's worth at a time, so that tables and data interleave. */
		uint64_t l2n = 1ull << s->l2_bits;
		uint64_t e = (c0 / l2n + 1) * l2n;
		if (e > c1)
			e = c1;
		uint64_t l2e;
		int r = qcow2_get_l2_entry(s, c0 * cs, &l2e);
		if (r)
			return r;
		r = qcow2_set_l2_entry(s, c0 * cs, l2e, NULL); /* allocates the L2 table */
		if (r)
			return r;
		int64_t h = qcow2_alloc_clusters(s, e - c0);
		if (h < 0)
			return (int)h;
		for (uint64_t c = c0; c < e; c++) {
			r = qcow2_set_l2_entry(s, c * cs, ((uint64_t)h + (c - c0) * cs) | QCOW2_OFLAG_COPIED, NULL);
			if (r)
				return r;
		}
		/* falloc/full: real blocks for the data clusters. */
		uint64_t len = (e - c0) * cs;
		int64_t flen = blk_getlength(s->file);
		if (flen < 0)
			return (int)flen;
		if ((uint64_t)flen <= (uint64_t)h || ((uint64_t)flen < h + len && !strcmp(mode, "metadata"))) {
			/* metadata: the file still covers the data clusters (sparse). */
			struct blk_error e2 = { 0 };
			r = blk_truncate(s->file, h + (int64_t)len, false,
					 strcmp(mode, "metadata") ? mode : "off", &e2);
		} else if (!strcmp(mode, "full")) {
			r = blk_pwrite_zeroes(s->file, h, (int64_t)len, 0);
		}
		if (r)
			return r;
		c0 = e;
	}
	return 0;
}

int qcow2_truncate(struct blk_node *n, int64_t size, bool shrink, const char *prealloc,
		   struct blk_error *err)
{
	struct qcow2 *s = n->opaque;
	uint64_t cs = s->cluster_size;
	uint64_t ns = (uint64_t)size;
	if (prealloc && strcmp(prealloc, "off") && strcmp(prealloc, "metadata") &&
	    strcmp(prealloc, "falloc") && strcmp(prealloc, "full")) {
		blk_error_set(err, -EINVAL, "Unsupported preallocation mode '%s'", prealloc);
		return -EINVAL;
	}
	if (ns % 512) {
		blk_error_set(err, -EINVAL, "The new size must be a multiple of 512");
		return -EINVAL;
	}
	pthread_mutex_lock(&s->lock);
	qcow2_wait_idle(s);
	uint64_t old = s->size;
	int r = 0;
	if (ns < old && s->nb_snapshots) {
		blk_error_set(err, -ENOTSUP, "Can't resize an image which has snapshots");
		r = -ENOTSUP;
		goto out;
	}
	if (ns < old && prealloc && strcmp(prealloc, "off")) {
		blk_error_set(err, -ENOTSUP, "Preallocation can't be used for shrinking an image");
		r = -ENOTSUP;
		goto out;
	}
	if ((r = qcow2_grow_l1(s, qcow2_size_to_l1(s, ns)))) {
		blk_error_set(err, r, "Failed to grow the L1 table: %s", strerror(-r));
		goto out;
	}
	if (ns < old) {
		/* Drop every cluster past the new end (spec: entries past the virtual size
		 * must not be used), then the L2 tables that are left empty. */
		uint64_t a = qcow2_align_up(ns, cs);
		for (uint64_t p = a; p < qcow2_align_up(old, cs) && !r; p += cs) {
			uint64_t l2e;
			r = qcow2_get_l2_entry(s, p, &l2e);
			if (!r && l2e)
				r = qcow2_set_l2_entry(s, p, 0, NULL);
			if (!r && l2e) {
				enum qcow2_ctype t = qcow2_entry_type(s, l2e);
				if (t == QC_NORMAL || t == QC_ZERO_ALLOC)
					r = qcow2_free_later(s, l2e & QCOW2_L2E_OFFSET_MASK, cs);
				else if (t == QC_COMPRESSED) {
					uint64_t co, cl;
					qcow2_compressed_range(s, l2e, &co, &cl);
					r = qcow2_free_later(s, co, cl);
				}
			}
		}
		uint64_t keep = qcow2_size_to_l1(s, ns);
		for (uint32_t i = (uint32_t)keep; !r && i < s->l1_size; i++) {
			uint64_t o = s->l1[i] & QCOW2_L1E_OFFSET_MASK;
			if (!o)
				continue;
			s->l1[i] = 0;
			s->l1_dirty = true;
			r = qcow2_free_later(s, o, cs);
		}
	}
	if (!r)
		r = qcow2_flush_locked(s);
	if (!r) {
		uint8_t h[8];
		be64_put(h, ns);
		r = blk_pwrite(s->file, 24, h, 8, 0);
		if (!r)
			r = blk_flush(s->file);
		if (!r)
			s->size = ns;
	}
	if (!r && ns > old) {
		/* The tail of a partial last cluster may hold stale bytes; a backing file
		 * must not show through the new area (it reads as zeroes). */
		uint64_t tail = qcow2_align_up(old, cs);
		if (tail > old) {
			uint64_t l2e;
			r = qcow2_get_l2_entry(s, old & ~(cs - 1), &l2e);
			if (!r && qcow2_entry_type(s, l2e) != QC_UNALLOC && qcow2_entry_type(s, l2e) != QC_ZERO_PLAIN) {
				pthread_mutex_unlock(&s->lock);
				uint64_t e = tail < ns ? tail : ns;
				r = blk_pwrite_zeroes(n, (int64_t)old, (int64_t)(e - old), 0);
				pthread_mutex_lock(&s->lock);
			}
		}
		if (!r && s->backing_file && s->version >= 3 && tail < ns)
			r = qcow2_zero_range_locked(s, tail, qcow2_align_up(ns, cs) - tail, true, false);
		if (!r && prealloc && strcmp(prealloc, "off"))
			r = prealloc_clusters(s, tail / cs, qcow2_align_up(ns, cs) / cs, prealloc);
		if (!r)
			r = qcow2_flush_locked(s);
	}
	if (!r && ns < old) {
		/* Give back the space past the last used cluster. */
		int64_t flen = blk_getlength(s->file);
		uint64_t last = 0;
		for (uint64_t c = 0; flen > 0 && c < ((uint64_t)flen + cs - 1) / cs; c++) {
			uint64_t rc;
			if (qcow2_get_refcount(s, c, &rc))
				break;
			if (rc)
				last = c;
		}
		if (flen > 0 && (last + 1) * cs < (uint64_t)flen) {
			struct blk_error e2 = { 0 };
			blk_truncate(s->file, (int64_t)((last + 1) * cs), true, NULL, &e2);
		}
	}
	if (r)
		blk_error_set(err, r, "Could not resize image: %s", strerror(-r));
out:
	pthread_mutex_unlock(&s->lock);
	return r;
}

int qcow2_make_empty(struct blk_node *n, struct blk_error *err)
{
	struct qcow2 *s = n->opaque;
	if (s->read_only) {
		blk_error_set(err, -EACCES, "Image is read-only");
		return -EACCES;
	}
	pthread_mutex_lock(&s->lock);
	qcow2_wait_idle(s);
	int r = 0;
	for (uint32_t i = 0; i < s->l1_size && !r; i++) {
		uint64_t o = s->l1[i] & QCOW2_L1E_OFFSET_MASK;
		if (!o)
			continue;
		if (o % s->cluster_size) {
			qcow2_signal_corruption(s, "L2 table offset %#" PRIx64 " unaligned", o);
			r = -EIO;
			break;
		}
		int idx = qcow2_cache_get(s, &s->l2c, o, false);
		if (idx < 0) {
			r = idx;
			break;
		}
		for (uint64_t j = 0; j < (1ull << s->l2_bits) && !r; j++) {
			uint64_t e = be64_get(s->l2c.e[idx].data + j * 8);
			enum qcow2_ctype t = qcow2_entry_type(s, e);
			if (t == QC_NORMAL || t == QC_ZERO_ALLOC)
				r = qcow2_free_later(s, e & QCOW2_L2E_OFFSET_MASK, s->cluster_size);
			else if (t == QC_COMPRESSED) {
				uint64_t co, cl;
				qcow2_compressed_range(s, e, &co, &cl);
				r = qcow2_free_later(s, co, cl);
			}
		}
		qcow2_cache_put(&s->l2c, idx);
		if (!r) {
			s->l1[i] = 0;
			s->l1_dirty = true;
			r = qcow2_free_later(s, o, s->cluster_size);
		}
	}
	if (!r)
		r = qcow2_flush_locked(s);
	pthread_mutex_unlock(&s->lock);
	if (r)
		blk_error_set(err, r, "Could not empty '%s': %s", n->filename, strerror(-r));
	return r;
}
