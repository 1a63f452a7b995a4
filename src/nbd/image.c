/*
 * The exported image: plain, a throw-away overlay (-s) or an internal snapshot (-l),
 * opened with qemu-nbd's defaults and messages.
 */
#include "nbd/image.h"
#include "nbd/export-block.h"
#include "util/error.h"
#include "util/opts.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A temporary file for -s, in $TMPDIR or /var/tmp as QEMU does. */
static char *temp_name(void)
{
	const char *dir = getenv("TMPDIR");
	char *p;
	if (!dir || !*dir)
		dir = "/var/tmp";
	if (asprintf(&p, "%s/lemu-nbd.XXXXXX", dir) < 0)
		return NULL;
	int fd = mkstemp(p);
	if (fd < 0) {
		free(p);
		return NULL;
	}
	close(fd);
	return p;
}

/* Options every open of the exported image gets from the command line. */
static void common_opts(const struct nbd_image_config *cfg, struct blk_opts *o)
{
	if (cfg->cache)
		blk_opts_set(o, "cache", cfg->cache);
	if (cfg->aio)
		blk_opts_set(o, "aio", cfg->aio);
	/* qemu-nbd's default is discard=ignore (the block layer's own default is unmap). */
	if (cfg->discard)
		blk_opts_set(o, "discard", cfg->discard);
	else if (!blk_opts_get(o, "discard"))
		blk_opts_set(o, "discard", "ignore");
	if (cfg->detect_zeroes)
		blk_opts_set(o, "detect-zeroes", cfg->detect_zeroes);
}

/* FILE as given (or the --image-opts string), with extra options. */
static struct blk_node *open_with(const struct nbd_image_config *cfg, const char *key1,
                                  const char *val1, const char *key2, const char *val2, bool rw,
                                  struct blk_error *err)
{
	struct blk_opts *o = blk_opts_new();
	const char *fname = cfg->file, *fmt = cfg->format;
	if (!o) {
		blk_error_set(err, -ENOMEM, "Out of memory");
		return NULL;
	}
	if (cfg->image_opts) {
		if (blk_opts_parse(o, cfg->file, err) < 0) {
			blk_opts_free(o);
			return NULL;
		}
		fname = NULL;
		fmt = NULL;
	}
	common_opts(cfg, o);
	if (key1)
		blk_opts_set(o, key1, val1);
	if (key2)
		blk_opts_set(o, key2, val2);
	struct blk_node *n = blk_open(fname, fmt, o, rw ? BLK_OPEN_RDWR : 0, err);
	blk_opts_free(o);
	return n;
}

static struct blk_node *open_plain(const struct nbd_image_config *cfg, bool rw, struct error **errp)
{
	struct blk_error err = { 0 };
	struct blk_node *n = open_with(cfg, NULL, NULL, NULL, NULL, rw, &err);
	if (!n) {
		error_setg(errp, "Failed to blk_new_open '%s': %s", cfg->file, err.msg);
		return NULL;
	}
	/* qemu-nbd's warning; export-block.c guards sector 0 of such an image. */
	if (cfg->warn && !cfg->format && !cfg->image_opts && rw &&
	    strcmp(blk_node_driver(n), "raw") == 0)
		fprintf(cfg->warn,
		        "WARNING: Image format was not specified for '%s' and probing guessed raw.\n"
		        "         Automatically detecting the format is dangerous for raw images, "
		        "write operations on block 0 will be restricted.\n"
		        "         Specify the 'raw' format explicitly to remove the restrictions.\n",
		        cfg->file);
	return n;
}

/* -s: a temporary qcow2 overlay with FILE as its backing file takes all writes; it is
 * unlinked right away, so nothing is left behind however the server ends. */
static struct blk_node *open_overlay(const struct nbd_image_config *cfg, struct error **errp)
{
	struct blk_node *base = open_plain(cfg, false, errp);
	if (!base)
		return NULL;
	const char *bname = blk_node_filename(base);
	char *abs = bname ? realpath(bname, NULL) : NULL;
	char fmt[32], sz[32];
	snprintf(fmt, sizeof(fmt), "%s", blk_node_driver(base));
	snprintf(sz, sizeof(sz), "%lld", (long long)blk_getlength(base));
	blk_close(base);
	if (!abs) {
		error_setg(errp, "Failed to blk_new_open '%s': cannot resolve the image path",
		           cfg->file);
		return NULL;
	}

	struct blk_node *n = NULL;
	struct blk_error err = { 0 };
	char *tmp = temp_name();
	struct blk_opts *co = blk_opts_new();
	if (!tmp || !co) {
		error_setg_errno(errp, errno ? errno : ENOMEM,
		                 "Could not create temporary overlay");
		goto out;
	}
	blk_opts_set(co, "size", sz);
	blk_opts_set(co, "backing_file", abs);
	blk_opts_set(co, "backing_fmt", fmt);
	if (blk_create(tmp, "qcow2", co, 0, &err) < 0) {
		error_setg(errp, "Could not create temporary overlay '%s': %s", tmp, err.msg);
		goto out;
	}
	struct blk_opts *o = blk_opts_new();
	common_opts(cfg, o);
	n = blk_open(tmp, "qcow2", o, BLK_OPEN_RDWR, &err);
	blk_opts_free(o);
	if (!n)
		error_setg(errp, "Failed to blk_new_open '%s': %s", cfg->file, err.msg);
out:
	if (tmp)
		unlink(tmp);
	free(tmp);
	blk_opts_free(co);
	free(abs);
	return n;
}

/* -l: the image as it was in an internal snapshot, read-only (the block layer's
 * snapshot.id / snapshot.name view; nothing is written to FILE). "ID_OR_NAME" tries the
 * id first, then the name, as QEMU does. */
static struct blk_node *open_internal_snapshot(const struct nbd_image_config *cfg,
                                               struct error **errp)
{
	const char *sid = NULL, *sname = NULL;
	struct opts *so = NULL;
	struct blk_node *n = NULL;
	if (strncmp(cfg->load_snapshot, "snapshot.", 9) == 0) {
		so = opts_parse(cfg->load_snapshot, NULL, errp);
		if (!so)
			return NULL;
		sid = opts_get(so, "snapshot.id");
		sname = opts_get(so, "snapshot.name");
		if (opts_check_unused(so, errp) < 0)
			goto out;
		if (!sid && !sname) {
			error_setg(
			        errp,
			        "Failed to load snapshot: snapshot.id or snapshot.name is required");
			goto out;
		}
	}
	/* A plain open first: its errors (missing file, bad format) are the usual ones. */
	struct blk_node *probe = open_plain(cfg, false, errp);
	if (!probe)
		goto out;
	char drv[32];
	snprintf(drv, sizeof(drv), "%s", blk_node_driver(probe));
	blk_close(probe);
	if (strcmp(drv, "qcow2") != 0) {
		error_setg(errp,
		           "Failed to load snapshot: Block format '%s' used by device '' does "
		           "not support temporarily loading internal snapshots",
		           drv);
		goto out;
	}
	struct blk_error err = { 0 };
	if (so)
		n = open_with(cfg, sid ? "snapshot.id" : NULL, sid, sname ? "snapshot.name" : NULL,
		              sname, false, &err);
	else {
		n = open_with(cfg, "snapshot.id", cfg->load_snapshot, NULL, NULL, false, &err);
		if (!n && err.code == -ENOENT) {
			memset(&err, 0, sizeof(err));
			n = open_with(cfg, "snapshot.name", cfg->load_snapshot, NULL, NULL, false,
			              &err);
		}
	}
	if (!n) {
		if (err.code == -ENOENT)
			error_setg(errp, "Failed to load snapshot: Can't find snapshot");
		else
			error_setg(errp, "Failed to load snapshot: %s", err.msg);
	}
out:
	opts_free(so);
	return n;
}

struct blk_node *nbd_image_open(const struct nbd_image_config *cfg, struct error **errp)
{
	if (cfg->load_snapshot)
		return open_internal_snapshot(cfg, errp);
	if (cfg->snapshot)
		return open_overlay(cfg, errp);
	return open_plain(cfg, !cfg->read_only, errp);
}

static bool discard_on(const char *d)
{
	return d && (strcmp(d, "unmap") == 0 || strcmp(d, "on") == 0);
}

unsigned nbd_image_export_flags(const struct nbd_image_config *cfg)
{
	unsigned f = 0;
	if (cfg->read_only || cfg->load_snapshot)
		f |= NBD_BLK_READ_ONLY;
	if (!cfg->format && !cfg->image_opts && !cfg->snapshot && !cfg->load_snapshot)
		f |= NBD_BLK_GUARD_SECTOR0;
	/* qemu-nbd ignores trims unless discard=unmap (its default is "ignore"); the
	 * --image-opts string may say so itself. */
	if (discard_on(cfg->discard))
		f |= NBD_BLK_TRIM;
	if (!cfg->discard && cfg->image_opts) {
		struct blk_opts *o = blk_opts_new();
		if (o && blk_opts_parse(o, cfg->file, NULL) == 0 &&
		    discard_on(blk_opts_get(o, "discard")))
			f |= NBD_BLK_TRIM;
		blk_opts_free(o);
	}
	return f;
}
