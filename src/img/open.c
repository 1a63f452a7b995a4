/*
 * Opening images and preparing creation options for the subcommands, with
 * qemu-img's messages.
 */
#include "img/img.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int img_check_cache(struct img *img, const char *mode, const char *what)
{
	struct blk_cache_mode m;
	if (mode && blk_parse_cache_mode(mode, &m) < 0) {
		img_error(img, "Invalid %s option: %s", what, mode);
		return -EINVAL;
	}
	return 0;
}

/*
 * Open the read-only view of an internal snapshot (-l): explicit snapshot.id/.name
 * options, or one word tried as an id and then as a name, as qemu-img does.
 */
static struct blk_node *img_open_snapshot(struct img *img, const char *filename,
					  const struct img_open_req *r, unsigned flags)
{
	struct blk_error err = { 0 };
	struct blk_node *node = NULL;
	struct blk_opts *opts = blk_opts_new();
	if (!opts)
		return NULL;
	if (r->cache)
		blk_opts_set(opts, "cache", r->cache);
	bool explicit = !strncmp(r->snapshot, "snapshot.", 9);
	if (explicit) {
		if (blk_opts_parse(opts, r->snapshot, &err) < 0) {
			img_error(img, "Failed in parsing snapshot param '%s'", r->snapshot);
			blk_opts_free(opts);
			return NULL;
		}
		node = blk_open(filename, r->fmt, opts, flags, &err);
	} else {
		blk_opts_set(opts, "snapshot.id", r->snapshot);
		node = blk_open(filename, r->fmt, opts, flags, &err);
		if (!node) {
			blk_opts_set(opts, "snapshot.id", NULL);
			blk_opts_set(opts, "snapshot.name", r->snapshot);
			node = blk_open(filename, r->fmt, opts, flags, &err);
		}
	}
	blk_opts_free(opts);
	if (node)
		return node;
	/* Tell a missing snapshot from an image that does not open at all. */
	struct blk_error e2 = { 0 };
	struct blk_node *plain = blk_open(filename, r->fmt, NULL, flags, &e2);
	if (!plain) {
		img_error(img, "Could not open '%s': %s", filename,
			  e2.msg[0] ? e2.msg : strerror(-e2.code ? -e2.code : EIO));
		return NULL;
	}
	blk_close(plain);
	img_error(img, "Failed to load snapshot: Can't find snapshot");
	return NULL;
}

struct blk_node *img_open(struct img *img, const char *filename, const struct img_open_req *r)
{
	struct blk_error err = { 0 };
	struct blk_opts *opts = NULL;
	unsigned flags = r->flags;
	if (r->force_share)
		flags |= BLK_OPEN_FORCE_SHARE;
	if (r->snapshot)
		return img_open_snapshot(img, filename, r, flags);
	if (r->cache) {
		opts = blk_opts_new();
		if (!opts || blk_opts_set(opts, "cache", r->cache) < 0) {
			blk_opts_free(opts);
			img_error(img, "Could not open '%s': %s", filename, strerror(ENOMEM));
			return NULL;
		}
	}
	struct blk_node *node = blk_open(filename, r->fmt, opts, flags, &err);
	blk_opts_free(opts);
	if (!node) {
		img_error(img, "Could not open '%s': %s", filename,
			  err.msg[0] ? err.msg : strerror(-err.code ? -err.code : EIO));
		return NULL;
	}
	/* qemu-img warns when a guessed raw image is opened for writing. */
	if (!r->fmt && (flags & BLK_OPEN_RDWR) && !r->quiet_probe &&
	    !strcmp(blk_node_driver(node), "raw")) {
		fprintf(img->err,
			"WARNING: Image format was not specified for '%s' and probing guessed raw.\n"
			"         Automatically detecting the format is dangerous for raw images, "
			"write operations on block 0 will be restricted.\n"
			"         Specify the 'raw' format explicitly to remove the restrictions.\n",
			filename);
	}
	return node;
}

char *img_backing_path(const char *image, const char *backing)
{
	const char *slash = strrchr(image, '/');
	if (backing[0] == '/' || !slash)
		return strdup(backing);
	size_t dl = (size_t)(slash - image) + 1;
	char *p = malloc(dl + strlen(backing) + 1);
	if (!p)
		return NULL;
	memcpy(p, image, dl);
	strcpy(p + dl, backing);
	return p;
}

/* ---------------------------------------------------------------- creation options */

static const struct blk_create_opt_desc *find_desc(const struct blk_create_opt_desc *t,
						   const char *name)
{
	for (; t && t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

static void size_type_error(struct img *img, const char *prefix, const char *key)
{
	img_error(img, "%sParameter '%s' expects a non-negative number below 2^64", prefix, key);
	fprintf(img->err, "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n"
			  "and exabytes, respectively.\n");
}

/*
 * Options valid for fmt: the format's table plus the protocol's (file) ones, as
 * qemu-img accepts nocow and extent_size_hint for a target file.
 */
static const struct blk_create_opt_desc *lookup_opt(const char *fmt, const char *key)
{
	const struct blk_create_opt_desc *d = find_desc(blk_create_opts_table(fmt), key);
	if (!d && strcmp(fmt, "file"))
		d = find_desc(blk_create_opts_table("file"), key);
	return d;
}

struct blk_opts *img_create_opts(struct img *img, const char *fmt, const char *optstr,
				 const char *prefix)
{
	struct img_opts o;
	char num[32];
	if (!prefix)
		prefix = "";
	struct blk_opts *bo = blk_opts_new();
	if (!bo)
		return NULL;
	if (!optstr)
		return bo;
	if (img_opts_parse(&o, optstr) < 0) {
		img_error(img, "%sInvalid option list '%s'", prefix, optstr);
		blk_opts_free(bo);
		return NULL;
	}
	for (int i = 0; i < o.n; i++) {
		const char *key = o.kv[i].key, *val = o.kv[i].value;
		const struct blk_create_opt_desc *d = lookup_opt(fmt, key);
		if (!d) {
			img_error(img, "%sInvalid parameter '%s'", prefix, key);
			goto fail;
		}
		if (!strncmp(d->type, "bool", 4)) {
			bool b;
			if (!val)
				val = "on";
			if (blk_parse_bool(val, &b) < 0) {
				img_error(img, "%sParameter '%s' expects 'on' or 'off'", prefix, key);
				goto fail;
			}
		} else if (!strcmp(d->type, "size")) {
			uint64_t v;
			if (!val || img_parse_size(val, 'B', &v) < 0) {
				size_type_error(img, prefix, key);
				goto fail;
			}
			snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
			val = num;
		} else if (!strcmp(d->type, "num")) {
			uint64_t v;
			if (!val || img_parse_uint(val, &v) < 0) {
				img_error(img, "%sParameter '%s' expects a number", prefix, key);
				goto fail;
			}
			snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
			val = num;
		} else if (!val) {
			val = "on";
		}
		if (blk_opts_set(bo, key, val) < 0)
			goto fail;
	}
	img_opts_free(&o);
	return bo;
fail:
	img_opts_free(&o);
	blk_opts_free(bo);
	return NULL;
}

int img_print_create_help(struct img *img, const char *fmt, bool with_protocol)
{
	const struct blk_create_opt_desc *t = blk_create_opts_table(fmt);
	const struct blk_create_opt_desc *pt = with_protocol ? blk_create_opts_table("file") : NULL;
	const struct blk_create_opt_desc *list[128];
	int n = 0;
	/* Without a target file qemu-img lists only the format's own options. */
	for (; t && t->name && n < 128; t++)
		if (with_protocol || !(!strcmp(t->name, "nocow") ||
				       !strcmp(t->name, "extent_size_hint") ||
				       (!strcmp(fmt, "raw") && !strcmp(t->name, "preallocation"))))
			list[n++] = t;
	/* Merge the protocol's options in name order, skipping duplicates. */
	for (; pt && pt->name && n < 128; pt++)
		if (!find_desc(blk_create_opts_table(fmt), pt->name))
			list[n++] = pt;
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && strcmp(list[j - 1]->name, list[j]->name) > 0; j--) {
			const struct blk_create_opt_desc *x = list[j];
			list[j] = list[j - 1];
			list[j - 1] = x;
		}
	if (with_protocol)
		fprintf(img->out, "Supported options:\n");
	else
		fprintf(img->out, "Supported %s options:\n", fmt);
	for (int i = 0; i < n; i++) {
		char left[128];
		snprintf(left, sizeof(left), "%s=<%s>", list[i]->name, list[i]->type);
		fprintf(img->out, "  %-22s - %s\n", left, list[i]->help);
	}
	if (!with_protocol)
		fprintf(img->out, "\nThe protocol level may support further options.\n"
				  "Specify the target filename to include those options.\n");
	return 0;
}

/* qemu-img lists the options in this order; the ones marked 1 always appear
 * (with their default when not given). */
static const struct {
	const char *name;
	const char *def;
} formatting_order_qcow2[] = {
	{ "cluster_size", "65536" }, { "extended_l2", "off" }, { "preallocation", NULL },
	{ "compression_type", "zlib" }, { "size", "0" }, { "backing_file", NULL },
	{ "backing_fmt", NULL }, { "data_file", NULL }, { "data_file_raw", NULL },
	{ "compat", NULL }, { "encryption", NULL }, { "lazy_refcounts", "off" },
	{ "refcount_bits", "16" }, { "nocow", NULL }, { "extent_size_hint", NULL },
}, formatting_order_raw[] = {
	{ "size", "0" }, { "backing_file", NULL }, { "backing_fmt", NULL },
	{ "preallocation", NULL }, { "nocow", NULL }, { "extent_size_hint", NULL },
};

void img_print_formatting(struct img *img, const char *filename, const char *fmt,
			  const struct blk_opts *opts)
{
	bool q = !strcmp(fmt, "qcow2");
	size_t n = q ? sizeof(formatting_order_qcow2) / sizeof(formatting_order_qcow2[0])
		     : sizeof(formatting_order_raw) / sizeof(formatting_order_raw[0]);
	fprintf(img->out, "Formatting '%s', fmt=%s", filename, fmt);
	for (size_t i = 0; i < n; i++) {
		const char *name = q ? formatting_order_qcow2[i].name : formatting_order_raw[i].name;
		const char *def = q ? formatting_order_qcow2[i].def : formatting_order_raw[i].def;
		const char *v = blk_opts_get(opts, name);
		if (!v)
			v = def;
		if (v)
			fprintf(img->out, " %s=%s", name, v);
	}
	/* Anything else the user gave (encrypt.*, ...), in the order given. */
	for (int i = 0; i < blk_opts_count(opts); i++) {
		const char *k = blk_opts_key(opts, i);
		bool known = false;
		for (size_t j = 0; j < n; j++)
			if (!strcmp(k, q ? formatting_order_qcow2[j].name : formatting_order_raw[j].name))
				known = true;
		if (!known)
			fprintf(img->out, " %s=%s", k, blk_opts_value(opts, i));
	}
	fputc('\n', img->out);
	fflush(img->out);
}

int img_do_create(struct img *img, const char *filename, const char *fmt,
		  struct blk_opts *opts, unsigned flags, bool quiet)
{
	struct blk_error err = { 0 };
	if (!quiet)
		img_print_formatting(img, filename, fmt, opts);
	if (blk_create(filename, fmt, opts, flags, &err) < 0) {
		img_error(img, "%s: %s", filename,
			  err.msg[0] ? err.msg : strerror(-err.code ? -err.code : EIO));
		return 1;
	}
	return 0;
}
