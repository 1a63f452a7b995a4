/*
 * qcow2: opening (header, extensions, L1 and refcount tables, backing file), the
 * header writer (extensions preserved), feature bits, flush ordering, info.
 * Spec sections "Header", "Header extensions", "Feature name table".
 */
#include "block/qcow2/qcow2.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void qcow2_signal_corruption(struct qcow2 *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!s->corrupt_reported) {
		if (!s->read_only && !(s->incompat & QCOW2_INCOMPAT_CORRUPT))
			fprintf(stderr, "qcow2: Marking image as corrupt: %s; further corruption events will be suppressed\n", msg);
		else
			fprintf(stderr, "qcow2: Image is corrupt: %s; further non-fatal corruption events will be suppressed\n", msg);
		s->corrupt_reported = true;
	}
	/* Spec: the corrupt bit tells that data structures may be inconsistent; an
	 * image with it set is only opened read-only until repaired. */
	if (!s->read_only && !(s->incompat & QCOW2_INCOMPAT_CORRUPT)) {
		s->incompat |= QCOW2_INCOMPAT_CORRUPT;
		qcow2_write_header(s);
		blk_flush(s->file);
	}
}

static const uint8_t feature_names[][48] = {
	{ 0, 0, 'd', 'i', 'r', 't', 'y', ' ', 'b', 'i', 't' },
	{ 0, 1, 'c', 'o', 'r', 'r', 'u', 'p', 't', ' ', 'b', 'i', 't' },
	{ 0, 2, 'e', 'x', 't', 'e', 'r', 'n', 'a', 'l', ' ', 'd', 'a', 't', 'a', ' ', 'f', 'i', 'l', 'e' },
	{ 0, 3, 'c', 'o', 'm', 'p', 'r', 'e', 's', 's', 'i', 'o', 'n', ' ', 't', 'y', 'p', 'e' },
	{ 0, 4, 'e', 'x', 't', 'e', 'n', 'd', 'e', 'd', ' ', 'L', '2', ' ', 'e', 'n', 't', 'r', 'i', 'e', 's' },
	{ 1, 0, 'l', 'a', 'z', 'y', ' ', 'r', 'e', 'f', 'c', 'o', 'u', 'n', 't', 's' },
	{ 2, 0, 'b', 'i', 't', 'm', 'a', 'p', 's' },
	{ 2, 1, 'r', 'a', 'w', ' ', 'e', 'x', 't', 'e', 'r', 'n', 'a', 'l', ' ', 'd', 'a', 't', 'a' },
};

static size_t put_ext(uint8_t *buf, size_t pos, size_t cap, uint32_t type, const void *data,
		      uint32_t len)
{
	size_t need = 8 + qcow2_align_up(len, 8);
	if (pos + need > cap)
		return 0;
	be32_put(buf + pos, type);
	be32_put(buf + pos + 4, len);
	memset(buf + pos + 8, 0, qcow2_align_up(len, 8));
	if (len)
		memcpy(buf + pos + 8, data, len);
	return pos + need;
}

/* Rewrite the header cluster: fields, extensions (ours, then the preserved unknown
 * ones), end marker, backing file name. One write of the first cluster. */
int qcow2_write_header(struct qcow2 *s)
{
	size_t cap = s->cluster_size;
	uint8_t *buf = calloc(1, cap);
	if (!buf)
		return -ENOMEM;
	uint32_t hlen = s->version >= 3 ? (s->header_length < 104 ? 104 : s->header_length) : 72;
	if (s->version >= 3 && hlen < 112)
		hlen = 112;
	if (hlen > cap / 2)
		hlen = 112;
	be32_put(buf, QCOW2_MAGIC);
	be32_put(buf + 4, s->version);
	be32_put(buf + 20, s->cluster_bits);
	be64_put(buf + 24, s->size);
	be32_put(buf + 32, s->crypt_method);
	be32_put(buf + 36, s->l1_size);
	be64_put(buf + 40, s->l1_offset);
	be64_put(buf + 48, s->rt_offset);
	be32_put(buf + 56, s->rt_clusters);
	be32_put(buf + 60, s->nb_snapshots);
	be64_put(buf + 64, s->snapshots_offset);
	if (s->version >= 3) {
		be64_put(buf + 72, s->incompat);
		be64_put(buf + 80, s->compat);
		be64_put(buf + 88, s->autoclear);
		be32_put(buf + 96, s->refcount_order);
		be32_put(buf + 100, hlen);
		buf[104] = s->compression_type;
	}
	size_t pos = hlen;
	if (s->backing_fmt && s->backing_file)
		pos = put_ext(buf, pos, cap, QCOW2_EXT_BACKING_FMT, s->backing_fmt,
			      (uint32_t)strlen(s->backing_fmt));
	if (pos && s->version >= 3) {
		if (s->feature_table)
			pos = put_ext(buf, pos, cap, QCOW2_EXT_FEATURES, s->feature_table,
				      s->feature_table_len);
		else
			pos = put_ext(buf, pos, cap, QCOW2_EXT_FEATURES, feature_names,
				      sizeof(feature_names));
	}
	for (int i = 0; pos && i < s->nb_exts; i++)
		pos = put_ext(buf, pos, cap, s->exts[i].type, s->exts[i].data, s->exts[i].len);
	if (pos)
		pos = put_ext(buf, pos, cap, QCOW2_EXT_END, NULL, 0);
	size_t blen = s->backing_file ? strlen(s->backing_file) : 0;
	if (!pos || pos + blen > cap) {
		free(buf);
		return -ENOSPC;
	}
	if (blen) {
		memcpy(buf + pos, s->backing_file, blen);
		be64_put(buf + 8, pos);
		be32_put(buf + 16, (uint32_t)blen);
	}
	int r = blk_pwrite(s->file, 0, buf, pos + blen, 0);
	free(buf);
	return r;
}

int qcow2_update_incompat(struct qcow2 *s, uint64_t set, uint64_t clear)
{
	uint64_t old = s->incompat;
	s->incompat = (s->incompat | set) & ~clear;
	if (s->incompat == old)
		return 0;
	int r = qcow2_write_header(s);
	if (!r)
		r = blk_flush(s->file);
	return r;
}

/* Lazy refcounts (spec: incompatible bit 0): set the dirty bit before the first
 * write of this open; cleared again on a clean close. */
int qcow2_mark_dirty(struct qcow2 *s)
{
	if (s->dirty_set || !(s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS) || s->version < 3)
		return 0;
	int r = blk_flush(s->file);
	if (!r)
		r = qcow2_update_incompat(s, QCOW2_INCOMPAT_DIRTY, 0);
	if (!r)
		s->dirty_set = true;
	return r;
}

int qcow2_write_l1(struct qcow2 *s)
{
	size_t bytes = (size_t)s->l1_size * 8;
	if (!bytes) {
		s->l1_dirty = false;
		return 0;
	}
	uint8_t *b = malloc(bytes);
	if (!b)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->l1_size; i++)
		be64_put(b + i * 8, s->l1[i]);
	int r = blk_pwrite(s->file, (int64_t)s->l1_offset, b, bytes, 0);
	free(b);
	if (!r)
		s->l1_dirty = false;
	return r;
}

void qcow2_wait_idle(struct qcow2 *s)
{
	while (s->inflight)
		pthread_cond_wait(&s->io_done, &s->lock);
}

int qcow2_flush_locked(struct qcow2 *s)
{
	int r = 0;
	if (s->read_only)
		return 0;
	bool meta = qcow2_cache_has_dirty(&s->l2c) || s->l1_dirty || s->nb_frees;
	if (meta) {
		r = qcow2_cache_write_all(s, &s->rcc);
		if (!r && (qcow2_cache_has_dirty(&s->l2c) || s->l1_dirty))
			r = blk_flush(s->file);
		if (!r)
			r = qcow2_cache_write_all(s, &s->l2c);
		if (!r && s->l1_dirty)
			r = qcow2_write_l1(s);
		if (!r && s->nb_frees && !s->inflight) {
			r = blk_flush(s->file);
			if (!r)
				r = qcow2_apply_frees(s);
		}
	}
	if (!r)
		r = qcow2_cache_write_all(s, &s->rcc);
	if (!r)
		r = blk_flush(s->file);
	return r;
}

static int qcow2_flush(struct blk_node *n)
{
	struct qcow2 *s = n->opaque;
	pthread_mutex_lock(&s->lock);
	int r = qcow2_flush_locked(s);
	pthread_mutex_unlock(&s->lock);
	return r;
}

static int feature_error(struct qcow2 *s, uint64_t bits, struct blk_error *err)
{
	char names[512] = "";
	size_t len = 0;
	for (int b = 0; b < 64; b++) {
		if (!(bits & (1ull << b)))
			continue;
		const char *name = NULL;
		char tmp[64];
		for (uint32_t i = 0; s->feature_table && i + 48 <= s->feature_table_len; i += 48) {
			if (s->feature_table[i] == 0 && s->feature_table[i + 1] == b) {
				memcpy(tmp, s->feature_table + i + 2, 46);
				tmp[46] = 0;
				name = tmp;
				break;
			}
		}
		char one[128];
		if (name)
			snprintf(one, sizeof(one), "%s", name);
		else
			snprintf(one, sizeof(one), "Unknown incompatible feature: %" PRIx64, (uint64_t)1 << b);
		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", len ? ", " : "", one);
		if (len >= sizeof(names))
			break;
	}
	blk_error_set(err, -ENOTSUP, "Unsupported qcow2 feature(s): %s", names);
	return -ENOTSUP;
}

static int parse_extensions(struct qcow2 *s, const uint8_t *buf, size_t start, size_t end,
			    struct blk_error *err)
{
	size_t pos = start;
	while (pos + 8 <= end) {
		uint32_t type = be32_get(buf + pos), len = be32_get(buf + pos + 4);
		pos += 8;
		if (type == QCOW2_EXT_END)
			return 0;
		if (len > end - pos) {
			blk_error_set(err, -EINVAL, "Could not read qcow2 header: ext_magic=0x%x: invalid extension length", type);
			return -EINVAL;
		}
		const uint8_t *d = buf + pos;
		if (type == QCOW2_EXT_BACKING_FMT) {
			if (len > 1023) {
				blk_error_set(err, -EINVAL, "ERROR: ext_backing_format: len=%u too large", len);
				return -EINVAL;
			}
			free(s->backing_fmt);
			s->backing_fmt = strndup((const char *)d, len);
		} else if (type == QCOW2_EXT_FEATURES) {
			free(s->feature_table);
			s->feature_table = malloc(len ? len : 1);
			if (!s->feature_table)
				return -ENOMEM;
			memcpy(s->feature_table, d, len);
			s->feature_table_len = len;
		} else if (type == QCOW2_EXT_CRYPTO || type == QCOW2_EXT_DATA_FILE) {
			/* Refused below through their feature bits / crypt_method; keep them. */
			goto keep;
		} else {
keep:;
			struct qcow2_ext *e = realloc(s->exts, (size_t)(s->nb_exts + 1) * sizeof(*e));
			if (!e)
				return -ENOMEM;
			s->exts = e;
			e[s->nb_exts].type = type;
			e[s->nb_exts].len = len;
			e[s->nb_exts].data = malloc(len ? len : 1);
			if (!e[s->nb_exts].data)
				return -ENOMEM;
			memcpy(e[s->nb_exts].data, d, len);
			s->nb_exts++;
		}
		pos += qcow2_align_up(len, 8);
	}
	return 0;
}

static int load_table(struct qcow2 *s, uint64_t off, uint32_t entries, uint64_t **out)
{
	uint8_t *b = malloc(entries ? (size_t)entries * 8 : 1);
	uint64_t *t = calloc(entries ? entries : 1, 8);
	if (!b || !t) {
		free(b);
		free(t);
		return -ENOMEM;
	}
	int r = entries ? blk_pread(s->file, (int64_t)off, b, (size_t)entries * 8, 0) : 0;
	for (uint32_t i = 0; !r && i < entries; i++)
		t[i] = be64_get(b + i * 8);
	free(b);
	if (r) {
		free(t);
		return r;
	}
	*out = t;
	return 0;
}

static void qcow2_state_free(struct qcow2 *s)
{
	qcow2_cache_destroy(&s->l2c);
	qcow2_cache_destroy(&s->rcc);
	qcow2_free_snapshots(s);
	for (int i = 0; i < s->nb_exts; i++)
		free(s->exts[i].data);
	free(s->exts);
	free(s->feature_table);
	free(s->backing_file);
	free(s->backing_fmt);
	free(s->l1);
	free(s->rt);
	free(s->frees);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->io_done);
	free(s);
}

static bool table_ok(uint64_t off, uint64_t bytes, uint64_t cs, int64_t flen)
{
	if (off % cs || off >= QCOW2_MAX_HOST_OFFSET || !off)
		return false;
	return flen >= 0 && bytes <= (uint64_t)flen && off <= (uint64_t)flen - bytes;
}

static int qcow2_read_header(struct qcow2 *s, struct blk_error *err)
{
	const char *fn = s->node->filename;
	int64_t flen = blk_getlength(s->file);
	if (flen < 0)
		return (int)flen;
	uint8_t h[112];
	memset(h, 0, sizeof(h));
	if (flen < 72) {
		blk_error_set(err, -EINVAL, "Image is not in qcow2 format");
		return -EINVAL;
	}
	int r = blk_pread(s->file, 0, h, flen < 112 ? (size_t)flen : 112, 0);
	if (r < 0) {
		blk_error_set(err, r, "Could not read qcow2 header: %s", strerror(-r));
		return r;
	}
	if (be32_get(h) != QCOW2_MAGIC) {
		blk_error_set(err, -EINVAL, "Image is not in qcow2 format");
		return -EINVAL;
	}
	s->version = be32_get(h + 4);
	if (s->version < 2 || s->version > 3) {
		blk_error_set(err, -ENOTSUP, "Unsupported qcow2 version %u", s->version);
		return -ENOTSUP;
	}
	s->cluster_bits = be32_get(h + 20);
	if (s->cluster_bits < 9 || s->cluster_bits > 21) {
		blk_error_set(err, -EINVAL, "Unsupported cluster size: 2^%u", s->cluster_bits);
		return -EINVAL;
	}
	s->cluster_size = 1ull << s->cluster_bits;
	s->l2_bits = s->cluster_bits - 3;
	s->size = be64_get(h + 24);
	s->crypt_method = be32_get(h + 32);
	s->l1_size = be32_get(h + 36);
	s->l1_offset = be64_get(h + 40);
	s->rt_offset = be64_get(h + 48);
	s->rt_clusters = be32_get(h + 56);
	s->nb_snapshots = be32_get(h + 60);
	s->snapshots_offset = be64_get(h + 64);
	if (s->version >= 3) {
		s->incompat = be64_get(h + 72);
		s->compat = be64_get(h + 80);
		s->autoclear = be64_get(h + 88);
		s->refcount_order = be32_get(h + 96);
		s->header_length = be32_get(h + 100);
		if (s->header_length < 104 || s->header_length > s->cluster_size ||
		    s->header_length > (uint64_t)flen) {
			blk_error_set(err, -EINVAL, "qcow2 header too short or exceeds cluster size");
			return -EINVAL;
		}
		s->compression_type = s->header_length > 104 ? h[104] : 0;
	} else {
		s->refcount_order = 4;
		s->header_length = 72;
	}
	if (s->refcount_order > 6) {
		blk_error_set(err, -EINVAL, "Reference count entry width too large; may not exceed 64 bits");
		return -EINVAL;
	}
	if (s->size > (1ull << 62) || (s->size >> s->cluster_bits) > QCOW2_MAX_HOST_OFFSET) {
		blk_error_set(err, -EFBIG, "Image is too big");
		return -EFBIG;
	}
	/* Extensions and the backing file name live in the first cluster. */
	size_t hc = flen < (int64_t)s->cluster_size ? (size_t)flen : s->cluster_size;
	uint8_t *c0 = calloc(1, s->cluster_size);
	if (!c0)
		return -ENOMEM;
	r = blk_pread(s->file, 0, c0, hc, 0);
	uint64_t bf_off = be64_get(h + 8);
	uint32_t bf_len = be32_get(h + 16);
	size_t ext_end = s->cluster_size;
	if (bf_off && bf_off < ext_end)
		ext_end = bf_off;
	if (!r)
		r = parse_extensions(s, c0, s->header_length, ext_end, err);
	if (!r && bf_off) {
		if (bf_len > 1023 || bf_off > s->cluster_size - bf_len) {
			blk_error_set(err, -EINVAL, "Backing file name too long");
			r = -EINVAL;
		} else if (bf_len) {
			s->backing_file = strndup((const char *)c0 + bf_off, bf_len);
			if (!s->backing_file)
				r = -ENOMEM;
		}
	}
	free(c0);
	if (r)
		return r;
	if (s->crypt_method) {
		blk_error_set(err, -ENOTSUP, "Encrypted qcow2 images are not supported by lemu (crypt_method=%u)",
			      s->crypt_method);
		return -ENOTSUP;
	}
	if (s->incompat & QCOW2_INCOMPAT_DATA_FILE) {
		blk_error_set(err, -ENOTSUP, "qcow2 images with an external data file are not supported by lemu");
		return -ENOTSUP;
	}
	if (s->incompat & QCOW2_INCOMPAT_EXTL2) {
		blk_error_set(err, -ENOTSUP, "qcow2 images with extended L2 entries are not supported by lemu");
		return -ENOTSUP;
	}
	if (s->incompat & ~QCOW2_INCOMPAT_KNOWN)
		return feature_error(s, s->incompat & ~QCOW2_INCOMPAT_KNOWN, err);
	if ((s->incompat & QCOW2_INCOMPAT_COMPRESSION) ? s->compression_type > 1 : s->compression_type != 0) {
		blk_error_set(err, -EINVAL, "qcow2: unknown compression type %u (or compression type bit not set)",
			      s->compression_type);
		return -EINVAL;
	}
	/* Tables: alignment, size limits and position inside the file are checked before
	 * anything is read from them (spec: offsets must be cluster-aligned). */
	if (s->l1_size > QCOW2_MAX_L1_ENTRIES) {
		blk_error_set(err, -EFBIG, "Active L1 table too large");
		return -EFBIG;
	}
	if (s->l1_size < qcow2_size_to_l1(s, s->size)) {
		blk_error_set(err, -EINVAL, "L1 table is too small");
		return -EINVAL;
	}
	if (s->l1_size && !table_ok(s->l1_offset, (uint64_t)s->l1_size * 8, s->cluster_size, flen)) {
		blk_error_set(err, -EINVAL, "Invalid L1 table offset");
		return -EINVAL;
	}
	if ((uint64_t)s->rt_clusters * s->cluster_size > QCOW2_MAX_RT_CLUSTERS_BYTES ||
	    !s->rt_clusters) {
		blk_error_set(err, -EINVAL, "Reference count table too large");
		return -EINVAL;
	}
	if (!table_ok(s->rt_offset, (uint64_t)s->rt_clusters * s->cluster_size, s->cluster_size, flen)) {
		blk_error_set(err, -EINVAL, "Invalid reference count table offset");
		return -EINVAL;
	}
	if (s->nb_snapshots > QCOW2_MAX_SNAPSHOTS) {
		blk_error_set(err, -EFBIG, "Too many snapshots");
		return -EFBIG;
	}
	if (s->nb_snapshots && !table_ok(s->snapshots_offset, 40ull * s->nb_snapshots, s->cluster_size, flen)) {
		blk_error_set(err, -EINVAL, "Invalid snapshot table offset");
		return -EINVAL;
	}
	(void)fn;
	return 0;
}

static const char *const qcow2_known_opts[] = {
	"driver", "backing", "cache", "cache.direct", "cache.no-flush", "cache.writeback",
	"read-only", "force-share", "locking", "discard", "detect-zeroes", "aio", "l2-cache-size",
	"refcount-cache-size", "cache-size", "lazy-refcounts", "x-aio-threads", "filename",
	"auto-read-only", "overlap-check", "pass-discard-request", "cache-clean-interval",
	"snapshot.id", "snapshot.name",
};

/* snapshot.id / snapshot.name (qemu-img convert -l, qemu-nbd -l): a read-only view of
 * an internal snapshot; its L1 table replaces the active one in memory only. */
static int load_snapshot_view(struct qcow2 *s, const struct blk_opts *opts, struct blk_error *err)
{
	const char *id = blk_opts_get(opts, "snapshot.id"), *name = blk_opts_get(opts, "snapshot.name");
	if (!id && !name)
		return 0;
	if (!s->read_only) {
		blk_error_set(err, -EINVAL, "Snapshots can only be loaded read-only");
		return -EINVAL;
	}
	uint32_t i;
	for (i = 0; i < s->nb_snapshots; i++)
		if ((!id || !strcmp(s->snaps[i].id, id)) && (!name || !strcmp(s->snaps[i].name, name)))
			break;
	if (i == s->nb_snapshots) {
		blk_error_set(err, -ENOENT, "Can't find snapshot '%s'", id ? id : name);
		return -ENOENT;
	}
	struct qcow2_snap *sn = &s->snaps[i];
	uint64_t *l1;
	int64_t flen = blk_getlength(s->file);
	if (qcow2_size_to_l1(s, sn->disk_size) > sn->l1_size || flen < 0 ||
	    (sn->l1_size && sn->l1_offset + (uint64_t)sn->l1_size * 8 > (uint64_t)flen)) {
		blk_error_set(err, -EINVAL, "Snapshot L1 table of '%s' is invalid", sn->name);
		return -EINVAL;
	}
	int r = load_table(s, sn->l1_offset, sn->l1_size, &l1);
	if (r)
		return r;
	free(s->l1);
	s->l1 = l1;
	s->l1_size = sn->l1_size;
	s->l1_offset = sn->l1_offset;
	s->size = sn->disk_size;
	return 0;
}

static int qcow2_open(struct blk_node *n, const struct blk_opts *opts, unsigned flags,
		      struct blk_error *err)
{
	for (int i = 0; i < blk_opts_count(opts); i++) {
		const char *k = blk_opts_key(opts, i);
		size_t j;
		if (!strncmp(k, "file.", 5) || !strncmp(k, "backing.", 8))
			continue;
		for (j = 0; j < sizeof(qcow2_known_opts) / sizeof(qcow2_known_opts[0]) &&
			    strcmp(qcow2_known_opts[j], k); j++)
			;
		if (j == sizeof(qcow2_known_opts) / sizeof(qcow2_known_opts[0])) {
			blk_error_set(err, -EINVAL, "Invalid parameter '%s'", k);
			return -EINVAL;
		}
	}
	if (!n->file) {
		n->file = blk_open_child(n, n->filename, "file", opts, "file", flags, err);
		if (!n->file)
			return err && err->code ? err->code : -EIO;
	}
	struct qcow2 *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->meta_prealloc = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->io_done, NULL);
	s->node = n;
	s->file = n->file;
	s->read_only = n->read_only;
	n->opaque = s;
	int r = qcow2_read_header(s, err);
	if (r)
		goto fail;
	s->rb_bits = s->cluster_bits + 3 - s->refcount_order;
	s->refcount_max = s->refcount_order == 6 ? UINT64_MAX : (1ull << (1u << s->refcount_order)) - 1;
	if ((r = load_table(s, s->l1_offset, s->l1_size, &s->l1)))
		goto io_fail;
	s->rt_size = (uint32_t)(s->rt_clusters * s->cluster_size / 8);
	if ((r = load_table(s, s->rt_offset, s->rt_size, &s->rt)))
		goto io_fail;
	if ((r = qcow2_read_snapshots(s, err)) || (r = load_snapshot_view(s, opts, err)))
		goto fail;
	/* Caches: 32 MiB of L2 tables (covers 256 GiB at 64 KiB clusters), at most
	 * 4096 entries; refcount blocks a quarter of that. */
	{
		uint64_t l2n = (32ull << 20) >> s->cluster_bits;
		if (l2n > 4096)
			l2n = 4096;
		if (l2n < 16)
			l2n = 16;
		uint64_t rcn = l2n / 4 < 16 ? 16 : l2n / 4;
		const char *v = blk_opts_get(opts, "l2-cache-size");
		uint64_t bytes;
		if (v && blk_parse_size(v, &bytes) == 0 && (bytes >> s->cluster_bits) >= 2)
			l2n = bytes >> s->cluster_bits;
		if (l2n > 65536)
			l2n = 65536;
		if ((r = qcow2_cache_init(&s->l2c, (int)l2n, s->cluster_size, true)) ||
		    (r = qcow2_cache_init(&s->rcc, (int)rcn, s->cluster_size, false)))
			goto fail;
	}
	if (!n->read_only && (s->incompat & QCOW2_INCOMPAT_CORRUPT) && !(flags & BLK_OPEN_CHECK)) {
		blk_error_set(err, -EACCES, "qcow2: Image is corrupt; cannot be opened read/write");
		r = -EACCES;
		goto fail;
	}
	if ((r = qcow2_refcount_init(s)))
		goto io_fail;
	/* Backing file (spec: "backing_file_offset"), relative to this image's directory. */
	{
		const char *bopt = blk_opts_get(opts, "backing");
		bool nobacking = (flags & BLK_OPEN_NO_BACKING) ||
				 (bopt && (!*bopt || !strcmp(bopt, "null")));
		struct blk_opts *bsub = blk_opts_sub(opts, "backing");
		const char *bname = blk_opts_get(bsub, "file.filename");
		if (!nobacking && (s->backing_file || bname)) {
			char *path = bname ? strdup(bname) : blk_path_combine(n->filename, s->backing_file);
			unsigned bflags = flags & (BLK_OPEN_FORCE_SHARE | BLK_OPEN_NO_LOCK | BLK_OPEN_BACKING_RW);
			if (flags & BLK_OPEN_BACKING_RW)
				bflags |= BLK_OPEN_RDWR;
			struct blk_error berr = { 0 };
			const char *bfmt = blk_opts_get(bsub, "driver");
			if (!bfmt)
				bfmt = s->backing_fmt;
			if (path)
				n->backing = blk_open_child(n, path, bfmt, opts, "backing", bflags, &berr);
			if (!n->backing) {
				blk_error_set(err, berr.code ? berr.code : -ENOENT,
					      "Could not open backing file: %s", berr.msg);
				free(path);
				blk_opts_free(bsub);
				r = err ? err->code : -ENOENT;
				goto fail;
			}
			free(path);
		}
		blk_opts_free(bsub);
	}
	if (!n->read_only) {
		/* Spec: unknown autoclear bits must be cleared by software that does not
		 * know them; we keep no bitmaps, so the bitmaps bit goes too. */
		uint64_t ac = s->autoclear;
		s->autoclear = 0;
		if (ac && s->version >= 3 && (r = qcow2_write_header(s)))
			goto io_fail;
		if ((s->incompat & QCOW2_INCOMPAT_DIRTY) && !(flags & BLK_OPEN_CHECK)) {
			/* Not closed cleanly with lazy refcounts: rebuild refcounts. */
			struct blk_check_result res;
			pthread_mutex_lock(&s->lock);
			r = qcow2_check_locked(s, BLK_CHECK_FIX_LEAKS | BLK_CHECK_FIX_ERRORS, &res, NULL, NULL);
			if (!r)
				r = qcow2_flush_locked(s);
			if (!r)
				r = qcow2_update_incompat(s, 0, QCOW2_INCOMPAT_DIRTY);
			pthread_mutex_unlock(&s->lock);
			if (r) {
				blk_error_set(err, r, "Could not repair dirty image: %s", strerror(-r));
				goto fail;
			}
		}
	}
	return 0;
io_fail:
	if (err && !err->msg[0])
		blk_error_set(err, r, "Could not read qcow2 metadata of '%s': %s", n->filename, strerror(-r));
fail:
	if (n->backing) {
		blk_close(n->backing);
		n->backing = NULL;
	}
	qcow2_state_free(s);
	n->opaque = NULL;
	return r;
}

static void qcow2_close(struct blk_node *n)
{
	struct qcow2 *s = n->opaque;
	if (!s)
		return;
	if (!s->read_only) {
		pthread_mutex_lock(&s->lock);
		qcow2_wait_idle(s);
		int r = qcow2_flush_locked(s);
		if (!r && s->dirty_set)
			qcow2_update_incompat(s, 0, QCOW2_INCOMPAT_DIRTY);
		pthread_mutex_unlock(&s->lock);
	}
	qcow2_state_free(s);
	n->opaque = NULL;
}

static int64_t qcow2_getlength(struct blk_node *n)
{
	struct qcow2 *s = n->opaque;
	return (int64_t)s->size;
}

const char *qcow2_backing_name(const struct blk_node *n, bool fmt)
{
	struct qcow2 *s = n->opaque;
	return fmt ? s->backing_fmt : s->backing_file;
}

static int qcow2_get_info(struct blk_node *n, struct blk_image_info *info)
{
	struct qcow2 *s = n->opaque;
	pthread_mutex_lock(&s->lock);
	info->cluster_size = (int64_t)s->cluster_size;
	info->has_dirty_flag = true;
	info->dirty_flag = !!(s->incompat & QCOW2_INCOMPAT_DIRTY);
	info->backing_filename = s->backing_file;
	info->backing_format = s->backing_file ? s->backing_fmt : NULL;
	info->full_backing_filename = n->backing ? n->backing->filename : NULL;
	info->has_qcow2 = true;
	info->qcow2.compat = s->version >= 3 ? "1.1" : "0.10";
	info->qcow2.compression_type = s->compression_type ? "zstd" : "zlib";
	info->qcow2.lazy_refcounts = !!(s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS);
	info->qcow2.refcount_bits = 1 << s->refcount_order;
	info->qcow2.corrupt = !!(s->incompat & QCOW2_INCOMPAT_CORRUPT);
	info->qcow2.extended_l2 = false;
	pthread_mutex_unlock(&s->lock);
	info->actual_size = blk_get_allocated_file_size(n->file);
	info->nb_snapshots = qcow2_snapshot_list(n, &info->snapshots);
	if (info->nb_snapshots < 0)
		info->nb_snapshots = 0;
	return 0;
}

static int qcow2_change_backing(struct blk_node *n, const char *file, const char *fmt,
				struct blk_error *err)
{
	struct qcow2 *s = n->opaque;
	if (s->read_only) {
		blk_error_set(err, -EACCES, "Image is read-only");
		return -EACCES;
	}
	if (file && strlen(file) > 1023) {
		blk_error_set(err, -EINVAL, "Backing file name too long");
		return -EINVAL;
	}
	pthread_mutex_lock(&s->lock);
	char *of = s->backing_file, *ofmt = s->backing_fmt;
	s->backing_file = file && *file ? strdup(file) : NULL;
	s->backing_fmt = fmt && s->backing_file ? strdup(fmt) : NULL;
	int r = qcow2_flush_locked(s);
	if (!r)
		r = qcow2_write_header(s);
	if (!r)
		r = blk_flush(s->file);
	if (r) {
		free(s->backing_file);
		free(s->backing_fmt);
		s->backing_file = of;
		s->backing_fmt = ofmt;
		blk_error_set(err, r, r == -ENOSPC ? "Could not change the backing file: header does not fit in the first cluster"
						   : "Could not change the backing file: %s", strerror(-r));
	} else {
		free(of);
		free(ofmt);
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

static int64_t qcow2_allocated(struct blk_node *n)
{
	return blk_get_allocated_file_size(n->file);
}

const struct blk_driver blk_driver_qcow2 = {
	.name = "qcow2",
	.open = qcow2_open,
	.close = qcow2_close,
	.pread = qcow2_pread,
	.pwrite = qcow2_pwrite,
	.pwrite_zeroes = qcow2_pwrite_zeroes,
	.discard = qcow2_discard,
	.flush = qcow2_flush,
	.getlength = qcow2_getlength,
	.allocated_size = qcow2_allocated,
	.truncate = qcow2_truncate,
	.block_status = qcow2_block_status,
	.pwrite_compressed = qcow2_pwrite_compressed,
	.get_info = qcow2_get_info,
	.make_empty = qcow2_make_empty,
	.create = qcow2_create,
	.measure = qcow2_measure,
	.create_opts = qcow2_create_opts,
	.snapshot_list = qcow2_snapshot_list,
	.snapshot_create = qcow2_snapshot_create,
	.snapshot_apply = qcow2_snapshot_apply,
	.snapshot_delete = qcow2_snapshot_delete,
	.check = qcow2_check,
	.amend = qcow2_amend,
	.change_backing = qcow2_change_backing,
	.vmstate_rw = qcow2_vmstate_rw,
};
