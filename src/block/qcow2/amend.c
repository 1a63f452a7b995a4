/*
 * qcow2 amend (qemu-img amend -o): compat upgrade/downgrade, lazy_refcounts,
 * refcount_bits (rebuilds the refcount structures), size, backing file.
 */
#include "block/qcow2/qcow2.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Compat 1.1 -> 0.10: zero clusters do not exist in v2 (spec), so they become
 * unallocated (no backing file) or real zero-filled clusters. */
static int expand_zero_clusters(struct qcow2 *s)
{
	uint64_t cs = s->cluster_size;
	bool backing = s->backing_file != NULL;
	uint8_t *z = calloc(1, cs);
	if (!z)
		return -ENOMEM;
	int r = 0;
	for (uint64_t p = 0; p < s->size && !r; p += cs) {
		uint64_t e;
		r = qcow2_get_l2_entry(s, p, &e);
		if (r)
			break;
		enum qcow2_ctype t = qcow2_entry_type(s, e);
		if (t == QC_ZERO_ALLOC) {
			uint64_t h = e & QCOW2_L2E_OFFSET_MASK;
			r = blk_pwrite(s->file, (int64_t)h, z, cs, 0);
			if (!r)
				r = qcow2_set_l2_entry(s, p, e & ~QCOW2_OFLAG_ZERO, NULL);
		} else if (t == QC_ZERO_PLAIN) {
			if (!backing) {
				r = qcow2_set_l2_entry(s, p, 0, NULL);
				continue;
			}
			int64_t h = qcow2_alloc_clusters(s, 1);
			if (h < 0) {
				r = (int)h;
				break;
			}
			r = blk_pwrite(s->file, h, z, cs, 0);
			if (!r)
				r = qcow2_set_l2_entry(s, p, (uint64_t)h | QCOW2_OFLAG_COPIED, NULL);
		}
	}
	free(z);
	return r;
}

static bool snapshots_have_zero_clusters(struct qcow2 *s)
{
	for (uint32_t i = 0; i < s->nb_snapshots; i++) {
		uint32_t n = s->snaps[i].l1_size;
		uint8_t *b = malloc(n ? (size_t)n * 8 : 1);
		if (!b)
			return true;
		if (n && blk_pread(s->file, (int64_t)s->snaps[i].l1_offset, b, (size_t)n * 8, 0)) {
			free(b);
			return true;
		}
		for (uint32_t k = 0; k < n; k++) {
			uint64_t o = be64_get(b + k * 8) & QCOW2_L1E_OFFSET_MASK;
			if (!o)
				continue;
			int idx = qcow2_cache_get(s, &s->l2c, o, false);
			if (idx < 0) {
				free(b);
				return true;
			}
			bool z = false;
			for (uint64_t j = 0; j < (1ull << s->l2_bits) && !z; j++) {
				uint64_t e = be64_get(s->l2c.e[idx].data + j * 8);
				z = !(e & QCOW2_OFLAG_COMPRESSED) && (e & QCOW2_OFLAG_ZERO);
			}
			qcow2_cache_put(&s->l2c, idx);
			if (z) {
				free(b);
				return true;
			}
		}
		free(b);
	}
	return false;
}

/* New refcount structures with another entry width: count every reference, write
 * new blocks and table past the end of the file, switch the header in one write,
 * then release the old structures. */
static int change_refcount_order(struct qcow2 *s, uint32_t order, struct blk_error *err)
{
	uint64_t cs = s->cluster_size;
	int r = qcow2_flush_locked(s);
	if (r)
		return r;
	/* Current refcounts are correct after the flush; read them all. */
	int64_t flen = blk_getlength(s->file);
	if (flen < 0)
		return (int)flen;
	uint64_t nb = qcow2_align_up((uint64_t)flen, cs) / cs;
	for (uint32_t i = 0; i < s->rt_size; i++)
		if (s->rt[i] && ((uint64_t)(i + 1) << s->rb_bits) > nb) {
			/* Clusters past EOF with references (allocated, never written). */
			for (uint64_t c = (uint64_t)i << s->rb_bits; c < ((uint64_t)(i + 1) << s->rb_bits); c++) {
				uint64_t rc;
				if (qcow2_get_refcount(s, c, &rc))
					break;
				if (rc && c + 1 > nb)
					nb = c + 1;
			}
		}
	uint64_t *ref = calloc(nb ? nb : 1, 8);
	if (!ref)
		return -ENOMEM;
	uint64_t newmax = order == 6 ? UINT64_MAX : (1ull << (1u << order)) - 1;
	for (uint64_t c = 0; c < nb; c++) {
		if ((r = qcow2_get_refcount(s, c, &ref[c])))
			goto out;
		if (ref[c] > newmax) {
			blk_error_set(err, -EINVAL, "Cannot decrease refcount entry width to %u bits: Cluster at offset %#" PRIx64 " has a refcount of %" PRIu64,
				      1u << order, c * cs, ref[c]);
			r = -EINVAL;
			goto out;
		}
	}
	uint64_t per_block = cs * 8 >> order, per_table = cs / 8;
	uint64_t blocks = 0, table = 0, prev = UINT64_MAX, total = nb;
	while (total != prev) {
		prev = total;
		blocks = (nb + blocks + table + per_block - 1) / per_block;
		table = (blocks + per_table - 1) / per_table;
		total = nb + blocks + table;
	}
	if (table * cs > QCOW2_MAX_RT_CLUSTERS_BYTES) {
		r = -EFBIG;
		goto out;
	}
	uint8_t *area = calloc(blocks + table, cs);
	if (!area) {
		r = -ENOMEM;
		goto out;
	}
	uint32_t old_order = s->refcount_order;
	s->refcount_order = order; /* for qcow2_rb_set */
	for (uint64_t c = 0; c < total; c++) {
		uint64_t v = c < nb ? ref[c] : 1;
		if (v)
			qcow2_rb_set(s, area + (c / per_block) * cs, c % per_block, v);
	}
	uint8_t *tbl = area + blocks * cs;
	for (uint64_t b = 0; b < blocks; b++)
		be64_put(tbl + b * 8, (nb + b) * cs);
	s->refcount_order = old_order;
	r = blk_pwrite(s->file, (int64_t)(nb * cs), area, (blocks + table) * cs, 0);
	free(area);
	if (!r)
		r = blk_flush(s->file);
	if (r)
		goto out;
	uint64_t *ort = s->rt, oofs = s->rt_offset;
	uint32_t osize = s->rt_size, oclus = s->rt_clusters, oorder = s->refcount_order;
	uint64_t *nrt = calloc(table * per_table, 8);
	if (!nrt) {
		r = -ENOMEM;
		goto out;
	}
	for (uint64_t b = 0; b < blocks; b++)
		nrt[b] = (nb + b) * cs;
	s->rt = nrt;
	s->rt_size = (uint32_t)(table * per_table);
	s->rt_offset = (nb + blocks) * cs;
	s->rt_clusters = (uint32_t)table;
	s->refcount_order = order;
	s->rb_bits = s->cluster_bits + 3 - order;
	s->refcount_max = newmax;
	qcow2_cache_drop_all(&s->rcc);
	r = qcow2_write_header(s);
	if (!r)
		r = blk_flush(s->file);
	if (r) {
		free(nrt);
		s->rt = ort;
		s->rt_size = osize;
		s->rt_offset = oofs;
		s->rt_clusters = oclus;
		s->refcount_order = oorder;
		s->rb_bits = s->cluster_bits + 3 - oorder;
		s->refcount_max = oorder == 6 ? UINT64_MAX : (1ull << (1u << oorder)) - 1;
		goto out;
	}
	/* The old blocks and table are now only counted, not used. */
	for (uint32_t i = 0; i < osize && !r; i++) {
		uint64_t o = ort[i] & ~511ull;
		if (o)
			r = qcow2_free_now(s, o, cs);
	}
	if (!r)
		r = qcow2_free_now(s, oofs, (uint64_t)oclus * cs);
	free(ort);
	s->free_cluster_index = 0;
	if (!r)
		r = qcow2_flush_locked(s);
out:
	free(ref);
	return r;
}

int qcow2_amend(struct blk_node *n, const struct blk_opts *opts, bool force,
		blk_progress_fn *progress, void *opaque, struct blk_error *err)
{
	struct qcow2 *s = n->opaque;
	if (s->read_only) {
		blk_error_set(err, -EACCES, "Image is read-only");
		return -EACCES;
	}
	int version = (int)s->version;
	int lazy = -1;
	int order = -1;
	const char *size = NULL, *bfile = NULL, *bfmt = NULL;
	bool has_bfile = false, has_bfmt = false;
	for (int i = 0; i < blk_opts_count(opts); i++) {
		const char *k = blk_opts_key(opts, i), *v = blk_opts_value(opts, i);
		bool b;
		if (!strcmp(k, "compat")) {
			if (!strcmp(v, "0.10") || !strcmp(v, "v2"))
				version = 2;
			else if (!strcmp(v, "1.1") || !strcmp(v, "v3"))
				version = 3;
			else {
				blk_error_set(err, -EINVAL, "Unknown compatibility level %s", v);
				return -EINVAL;
			}
		} else if (!strcmp(k, "lazy_refcounts")) {
			if (blk_parse_bool(v, &b) < 0) {
				blk_error_set(err, -EINVAL, "Parameter 'lazy_refcounts' expects 'on' or 'off'");
				return -EINVAL;
			}
			lazy = b;
		} else if (!strcmp(k, "refcount_bits")) {
			char *end;
			unsigned long w = strtoul(v, &end, 10);
			if (*end || !w || w > 64 || (w & (w - 1))) {
				blk_error_set(err, -EINVAL, "Refcount width must be a power of two and may not exceed 64 bits");
				return -EINVAL;
			}
			order = __builtin_ctzl(w);
		} else if (!strcmp(k, "size")) {
			size = v;
		} else if (!strcmp(k, "backing_file")) {
			bfile = v;
			has_bfile = true;
		} else if (!strcmp(k, "backing_fmt")) {
			bfmt = v;
			has_bfmt = true;
		} else if (!strcmp(k, "cluster_size")) {
			blk_error_set(err, -ENOTSUP, "Changing the cluster size is not supported");
			return -ENOTSUP;
		} else if (!strcmp(k, "preallocation")) {
			blk_error_set(err, -ENOTSUP, "Changing the preallocation mode is not supported");
			return -ENOTSUP;
		} else if (!strcmp(k, "compression_type")) {
			blk_error_set(err, -ENOTSUP, "Changing the compression type is not supported");
			return -ENOTSUP;
		} else if (!strcmp(k, "encryption") || !strncmp(k, "encrypt.", 8)) {
			blk_error_set(err, -ENOTSUP, "Changing the encryption flag is not supported");
			return -ENOTSUP;
		} else if (!strcmp(k, "data_file") || !strcmp(k, "data_file_raw") || !strcmp(k, "extended_l2")) {
			blk_error_set(err, -ENOTSUP, "Changing '%s' is not supported", k);
			return -ENOTSUP;
		} else if (strcmp(k, "nocow") && strcmp(k, "extent_size_hint")) {
			blk_error_set(err, -EINVAL, "Invalid parameter '%s'", k);
			return -EINVAL;
		}
	}
	(void)force;
	int eff_order = order >= 0 ? order : (int)s->refcount_order;
	bool eff_lazy = lazy >= 0 ? lazy : !!(s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS);
	if (version < 3) {
		if (eff_lazy) {
			blk_error_set(err, -EINVAL, "Lazy refcounts only supported with compatibility level 1.1 and above (use compat=1.1 or greater)");
			return -EINVAL;
		}
		if (eff_order != 4) {
			blk_error_set(err, -EINVAL, "Different refcount widths than 16 bits require compatibility level 1.1 or above (use compat=1.1 or greater)");
			return -EINVAL;
		}
		if (s->compression_type) {
			blk_error_set(err, -ENOTSUP, "Cannot downgrade an image with a non-zlib compression type");
			return -ENOTSUP;
		}
	}
	pthread_mutex_lock(&s->lock);
	qcow2_wait_idle(s);
	int r = qcow2_flush_locked(s);
	if (!r && order >= 0 && (uint32_t)order != s->refcount_order)
		r = change_refcount_order(s, (uint32_t)order, err);
	if (!r && version == 3 && s->version == 2) {
		s->version = 3;
		s->header_length = 112;
		r = qcow2_write_header(s);
	}
	if (!r && lazy >= 0) {
		if (lazy)
			s->compat |= QCOW2_COMPAT_LAZY_REFCOUNTS;
		else
			s->compat &= ~QCOW2_COMPAT_LAZY_REFCOUNTS;
		r = qcow2_flush_locked(s);
		if (!r && !lazy && (s->incompat & QCOW2_INCOMPAT_DIRTY)) {
			s->incompat &= ~QCOW2_INCOMPAT_DIRTY;
			s->dirty_set = false;
		}
		if (!r)
			r = qcow2_write_header(s);
	}
	if (!r && version == 2 && s->version == 3) {
		if (snapshots_have_zero_clusters(s)) {
			blk_error_set(err, -ENOTSUP, "Cannot downgrade: snapshots contain zero clusters");
			r = -ENOTSUP;
		} else {
			r = expand_zero_clusters(s);
			if (!r)
				r = qcow2_flush_locked(s);
			if (!r) {
				s->incompat &= ~QCOW2_INCOMPAT_DIRTY;
				s->dirty_set = false;
				s->version = 2;
				s->header_length = 72;
				r = qcow2_write_header(s);
			}
		}
	}
	if (!r)
		r = blk_flush(s->file);
	if (progress)
		progress(opaque, 0.5);
	pthread_mutex_unlock(&s->lock);
	if (!r && (has_bfile || has_bfmt))
		r = blk_change_backing_file(n, has_bfile ? bfile : s->backing_file,
					    has_bfmt ? bfmt : s->backing_fmt, err);
	if (!r && size) {
		uint64_t ns;
		if (blk_parse_size(size, &ns) < 0) {
			blk_error_set(err, -EINVAL, "Invalid size '%s'", size);
			return -EINVAL;
		}
		r = qcow2_truncate(n, (int64_t)ns, true, NULL, err);
	}
	if (r && err && !err->msg[0])
		blk_error_set(err, r, "Error while amending options: %s", strerror(-r));
	if (progress)
		progress(opaque, 1.0);
	return r;
}
