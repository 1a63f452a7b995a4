/*
 * -drive, -blockdev and -snapshot (see block_backend.h).  Option names,
 * defaults and messages follow QEMU 7.2's: a -drive opens its image at
 * once (so a locked or missing image fails with the option named); a
 * -blockdev node is opened when something uses it, because libvirt-style
 * command lines define a protocol node first and then a format node that
 * refers to it by name (file=NODE), and opening both would make the image
 * lock conflict with itself.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/block.h"
#include "chardev/chardev.h"
#include "core/device.h"
#include "core/vm.h"
#include "hw/block_acct.h"
#include "hw/block_backend.h"
#include "util/error.h"
#include "util/opts.h"

enum drive_if { IF_NONE, IF_VIRTIO };

struct blk_backend {
	struct vm *vm;
	char *id;
	struct blk_opts *opts; /* -blockdev: what to open (lazy) */
	struct blk_node *node;
	enum drive_if iface;
	bool is_blockdev;
	bool consumed; /* another -blockdev node took it as file/backing */
	bool read_only;
	bool writeback;
	bool discard_unmap;
	struct device *dev; /* attached device */
	/* -snapshot / snapshot=on: the image under the temporary overlay, for
	 * Ctrl-A s (commit the overlay into it) */
	char *snap_base, *snap_fmt;
	struct blk_opts *snap_opts;
	int refs; /* the list + an attached device */
	struct blk_backend *next;
	struct drive_acct acct; /* I/O accounting (block_acct.c) */
};

/* A new backend with one reference (the list's), or NULL. */
static struct blk_backend *backend_new(struct vm *vm, const char *id)
{
	struct blk_backend *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->id = strdup(id);
	if (!b->id) {
		free(b);
		return NULL;
	}
	b->vm = vm;
	b->refs = 1;
	/* QEMU's defaults for stats-account-invalid / stats-account-failed. */
	drive_acct_init(&b->acct, true, true);
	return b;
}

static void backend_unref(struct blk_backend *b)
{
	if (--b->refs > 0)
		return;
	if (b->node)
		blk_close(b->node);
	blk_opts_free(b->opts);
	blk_opts_free(b->snap_opts);
	free(b->snap_base);
	free(b->snap_fmt);
	free(b->id);
	drive_acct_destroy(&b->acct);
	free(b);
}

static struct blk_backend *find(struct vm *vm, const char *id)
{
	for (struct blk_backend *b = vm->drives; b; b = b->next)
		if (!strcmp(b->id, id))
			return b;
	return NULL;
}

static void append(struct vm *vm, struct blk_backend *b)
{
	struct blk_backend **pp = &vm->drives;
	while (*pp)
		pp = &(*pp)->next;
	*pp = b;
}

/* Settings the guest sees, from the cache mode (QEMU: cache=writethrough
 * and directsync show a write-through disk). */
static int apply_cache(struct blk_backend *b, const char *cache, struct error **errp)
{
	b->writeback = true;
	if (!cache)
		return 0;
	struct blk_cache_mode cm;
	if (blk_parse_cache_mode(cache, &cm) < 0) {
		error_setg(errp, "invalid cache option");
		return -1;
	}
	b->writeback = !cm.writethrough;
	return 0;
}

/* ---- -drive ---------------------------------------------------------- */

/* Keys of -drive that are ours, not the block layer's. */
static const char *const drive_own_keys[] = { "file",
	                                      "format",
	                                      "if",
	                                      "id",
	                                      "index",
	                                      "media",
	                                      "bus",
	                                      "unit",
	                                      "snapshot",
	                                      "readonly",
	                                      "read-only",
	                                      "werror",
	                                      "rerror",
	                                      "serial",
	                                      "copy-on-read",
	                                      "addr",
	                                      "stats-account-invalid",
	                                      "stats-account-failed",
	                                      NULL };

static bool is_own_key(const char *k)
{
	for (int i = 0; drive_own_keys[i]; i++)
		if (!strcmp(k, drive_own_keys[i]))
			return true;
	return false;
}

/* -snapshot / snapshot=on: a temporary qcow2 overlay over the image, in
 * $TMPDIR or /var/tmp as QEMU does, unlinked once open so that it vanishes
 * with the process. */
static struct blk_node *open_snapshot(const char *file, const char *fmt, const struct blk_opts *bo,
                                      struct blk_backend *b, struct blk_error *berr)
{
	struct blk_node *base = blk_open(file, fmt, bo, 0, berr);
	if (!base)
		return NULL;
	int64_t size = blk_getlength(base);
	char bfmt[32];
	snprintf(bfmt, sizeof(bfmt), "%s", blk_node_driver(base));
	blk_close(base);
	if (size < 0) {
		blk_error_set(berr, (int)size, "Could not get the size of '%s'", file);
		return NULL;
	}
	char abs[PATH_MAX];
	if (!realpath(file, abs)) {
		blk_error_set(berr, -errno, "Could not open '%s': %s", file, strerror(errno));
		return NULL;
	}
	const char *dir = getenv("TMPDIR");
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s/vl.XXXXXX", dir && *dir ? dir : "/var/tmp");
	int fd = mkstemp(tmp);
	if (fd < 0) {
		blk_error_set(berr, -errno, "Could not get temporary filename: %s",
		              strerror(errno));
		return NULL;
	}
	close(fd);
	if (!b->snap_base) {
		b->snap_base = strdup(abs);
		b->snap_fmt = strdup(bfmt);
		b->snap_opts = bo ? blk_opts_dup(bo) : NULL;
	}
	struct blk_opts *co = blk_opts_new();
	char sz[32];
	snprintf(sz, sizeof(sz), "%lld", (long long)size);
	blk_opts_set(co, "size", sz);
	blk_opts_set(co, "backing_file", abs);
	blk_opts_set(co, "backing_fmt", bfmt);
	int r = blk_create(tmp, "qcow2", co, 0, berr);
	blk_opts_free(co);
	struct blk_node *n = NULL;
	if (r == 0) {
		/* The backing file (from the overlay's header) opens read-only,
		 * so other readers may share the base image. */
		n = blk_open(tmp, "qcow2", NULL, BLK_OPEN_RDWR, berr);
	}
	unlink(tmp);
	return n;
}

int drive_add(struct vm *vm, const char *optstr, bool snapshot, struct error **errp)
{
	struct opts *o = opts_parse(optstr, NULL, errp);
	if (!o)
		return -1;
	int ret = -1;
	struct blk_opts *bo = blk_opts_new();
	struct blk_backend *b = NULL;
	const char *file = opts_get(o, "file");
	const char *fmt = opts_get(o, "format");
	const char *ifs = opts_get(o, "if");
	const char *id = opts_get(o, "id");
	const char *media = opts_get(o, "media");
	const char *v;
	bool ro = false, snap = snapshot, acct_invalid = true, acct_failed = true;
	enum drive_if iface;
	char idbuf[32];

	if (!ifs || !strcmp(ifs, "ide") || !strcmp(ifs, "scsi") || !strcmp(ifs, "floppy") ||
	    !strcmp(ifs, "sd") || !strcmp(ifs, "pflash") || !strcmp(ifs, "mtd")) {
		/* QEMU's pc default is if=ide; lemu has no IDE controller. */
		error_setg(
		        errp,
		        "machine type does not support if=%s (lemu has virtio disks: use if=virtio, or if=none "
		        "with -device virtio-blk-pci,drive=ID)",
		        ifs ? ifs : "ide");
		goto out;
	}
	if (!strcmp(ifs, "virtio"))
		iface = IF_VIRTIO;
	else if (!strcmp(ifs, "none"))
		iface = IF_NONE;
	else {
		error_setg(errp, "unsupported bus type '%s'", ifs);
		goto out;
	}
	if (media && strcmp(media, "disk")) {
		error_setg(errp, "media=%s is not supported by lemu (virtio disks only)", media);
		goto out;
	}
	if (opts_get_bool(o, "readonly", false, &ro, errp) < 0 ||
	    opts_get_bool(o, "read-only", ro, &ro, errp) < 0 ||
	    opts_get_bool(o, "snapshot", snapshot, &snap, errp) < 0 ||
	    opts_get_bool(o, "stats-account-invalid", true, &acct_invalid, errp) < 0 ||
	    opts_get_bool(o, "stats-account-failed", true, &acct_failed, errp) < 0)
		goto out;
	if ((v = opts_get(o, "werror")) && strcmp(v, "report") && strcmp(v, "enospc")) {
		error_setg(errp, "werror=%s is not supported (lemu reports errors to the guest)",
		           v);
		goto out;
	}
	if ((v = opts_get(o, "rerror")) && strcmp(v, "report")) {
		error_setg(errp, "rerror=%s is not supported (lemu reports errors to the guest)",
		           v);
		goto out;
	}
	if ((v = opts_get(o, "copy-on-read")) && parse_bool(v) == 1) {
		error_setg(errp, "copy-on-read=on is not supported by lemu");
		goto out;
	}
	if (opts_get(o, "serial")) {
		error_setg(errp, "Invalid parameter 'serial' (use -device virtio-blk-pci,serial=)");
		goto out;
	}
	if (opts_get(o, "index") || opts_get(o, "bus") || opts_get(o, "unit") ||
	    opts_get(o, "addr")) {
		/* accepted: lemu places virtio disks in the first free PCI slot */
	}
	if (!file || !*file) {
		error_setg(errp, "A block device must be specified for \"file\"");
		goto out;
	}
	if (!id) {
		/* QEMU's generated names: virtio0, none0, ... */
		int n = 0;
		for (;;) {
			snprintf(idbuf, sizeof(idbuf), "%s%d",
			         iface == IF_VIRTIO ? "virtio" : "none", n++);
			if (!find(vm, idbuf))
				break;
		}
		id = idbuf;
	} else if (find(vm, id)) {
		error_setg(errp, "Duplicate ID '%s' for drive", id);
		goto out;
	}
	for (int i = 0; i < o->n; i++) {
		struct opt *e = &o->v[i];
		if (is_own_key(e->key))
			continue;
		if (!strcmp(e->key, "throttling") || !strncmp(e->key, "throttling.", 11) ||
		    !strncmp(e->key, "bps", 3) || !strncmp(e->key, "iops", 4)) {
			error_setg(errp, "I/O throttling (%s) is not supported by lemu", e->key);
			goto out;
		}
		e->used = true;
		blk_opts_set(bo, e->key, e->val);
	}
	b = backend_new(vm, id);
	if (!b) {
		error_setg(errp, "out of memory");
		goto out;
	}
	b->iface = iface;
	b->acct.stats.account_invalid = acct_invalid;
	b->acct.stats.account_failed = acct_failed;
	if (apply_cache(b, blk_opts_get(bo, "cache"), errp) < 0)
		goto out;
	v = blk_opts_get(bo, "discard");
	b->discard_unmap = v && (!strcmp(v, "unmap") || !strcmp(v, "on"));

	struct blk_error berr = { 0, "" };
	if (snap && !ro) {
		b->node = open_snapshot(file, fmt, bo, b, &berr);
	} else {
		if (fmt)
			blk_opts_set(bo, "driver", fmt);
		b->node = blk_open(file, fmt, bo, ro ? 0 : BLK_OPEN_RDWR, &berr);
		if (b->node && !fmt && !strcmp(blk_node_driver(b->node), "raw"))
			fprintf(stderr,
			        "WARNING: Image format was not specified for '%s' and probing guessed raw.\n"
			        "         Automatically detecting the format is dangerous for raw images, write operations "
			        "on block 0 will be restricted.\n"
			        "         Specify the 'raw' format explicitly to remove the restrictions.\n",
			        file);
	}
	if (!b->node) {
		error_setg(errp, "%s", berr.msg[0] ? berr.msg : "Could not open the image");
		goto out;
	}
	b->read_only = ro || blk_node_is_read_only(b->node);
	append(vm, b);
	b = NULL;
	ret = 0;
out:
	if (b) {
		b->refs = 1;
		backend_unref(b);
	}
	blk_opts_free(bo);
	opts_free(o);
	return ret;
}

/* ---- -blockdev -------------------------------------------------------- */

static int json_flatten(json_t *j, const char *prefix, struct blk_opts *bo, struct error **errp)
{
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v)
	{
		char key[512];
		snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "", k);
		char num[64];
		switch (json_typeof(v)) {
		case JSON_OBJECT:
			if (json_flatten(v, key, bo, errp) < 0)
				return -1;
			break;
		case JSON_STRING: blk_opts_set(bo, key, json_string_value(v)); break;
		case JSON_TRUE: blk_opts_set(bo, key, "on"); break;
		case JSON_FALSE: blk_opts_set(bo, key, "off"); break;
		case JSON_NULL: blk_opts_set(bo, key, "null"); break;
		case JSON_INTEGER:
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			blk_opts_set(bo, key, num);
			break;
		default:
			error_setg(errp, "Parameter '%s' has an unsupported JSON type", key);
			return -1;
		}
	}
	return 0;
}

/* file=NODE / backing=NODE: splice the referenced node's options in under
 * the prefix ("file.driver", "file.filename", ...). */
static int resolve_ref(struct vm *vm, struct blk_opts *bo, const char *key, struct error **errp)
{
	const char *ref = blk_opts_get(bo, key);
	if (!ref || !*ref || !strcmp(ref, "null"))
		return 0;
	struct blk_backend *c = find(vm, ref);
	if (!c || !c->is_blockdev) {
		error_setg(errp, "Cannot find device='%s' nor node-name='%s'", ref, ref);
		return -1;
	}
	if (c->consumed || c->dev) {
		error_setg(errp, "Node '%s' is already in use", ref);
		return -1;
	}
	char *name = strdup(ref);
	blk_opts_set(bo, key, NULL);
	for (int i = 0; i < blk_opts_count(c->opts); i++) {
		char k[512];
		snprintf(k, sizeof(k), "%s.%s", key, blk_opts_key(c->opts, i));
		blk_opts_set(bo, k, blk_opts_value(c->opts, i));
	}
	c->consumed = true;
	free(name);
	return 0;
}

int blockdev_add(struct vm *vm, const char *optstr, struct error **errp)
{
	struct blk_opts *bo = blk_opts_new();
	struct blk_error berr = { 0, "" };
	if (optstr[0] == '{') {
		json_error_t je;
		json_t *j = json_loads(optstr, 0, &je);
		if (!j || !json_is_object(j)) {
			error_setg(errp, "JSON parse error, %s",
			           j ? "expected an object" : je.text);
			json_decref(j);
			blk_opts_free(bo);
			return -1;
		}
		int r = json_flatten(j, "", bo, errp);
		json_decref(j);
		if (r < 0) {
			blk_opts_free(bo);
			return -1;
		}
	} else if (blk_opts_parse(bo, optstr, &berr) < 0) {
		error_setg(errp, "%s", berr.msg);
		blk_opts_free(bo);
		return -1;
	}
	const char *drv = blk_opts_get(bo, "driver");
	const char *name = blk_opts_get(bo, "node-name");
	if (!drv) {
		error_setg(errp, "Parameter 'driver' is missing");
		goto fail;
	}
	if (strcmp(drv, "file") && strcmp(drv, "raw") && strcmp(drv, "qcow2")) {
		error_setg(errp, "Parameter 'driver' does not accept value '%s'", drv);
		goto fail;
	}
	if (!name || !*name) {
		error_setg(errp, "A top-level node needs a node-name (node-name=NAME)");
		goto fail;
	}
	if (find(vm, name)) {
		error_setg(errp, "Duplicate nodes with node-name='%s'", name);
		goto fail;
	}
	if (resolve_ref(vm, bo, "file", errp) < 0 || resolve_ref(vm, bo, "backing", errp) < 0)
		goto fail;
	struct blk_backend *b = backend_new(vm, name);
	if (!b) {
		error_setg(errp, "out of memory");
		goto fail;
	}
	b->is_blockdev = true;
	b->iface = IF_NONE;
	blk_opts_set(bo, "node-name", NULL);
	b->opts = bo;
	const char *v = blk_opts_get(bo, "discard");
	b->discard_unmap = v && (!strcmp(v, "unmap") || !strcmp(v, "on"));
	if (apply_cache(b, blk_opts_get(bo, "cache"), errp) < 0) {
		backend_unref(b);
		return -1;
	}
	/* cache.direct / cache.no-flush are what -blockdev spells; the
	 * guest-visible cache is writeback unless the device says otherwise. */
	append(vm, b);
	return 0;
fail:
	blk_opts_free(bo);
	return -1;
}

/* Open a -blockdev node now. */
static int blockdev_open(struct blk_backend *b, struct error **errp)
{
	if (b->node)
		return 0;
	struct blk_error berr = { 0, "" };
	struct blk_opts *o = blk_opts_dup(b->opts);
	/* Node names of children were for references only. */
	for (int i = blk_opts_count(o) - 1; i >= 0; i--) {
		const char *k = blk_opts_key(o, i);
		size_t n = strlen(k);
		if (n >= 9 && !strcmp(k + n - 9, "node-name")) {
			char *kk = strdup(k);
			blk_opts_set(o, kk, NULL);
			free(kk);
		}
	}
	bool ro = false;
	const char *v = blk_opts_get(o, "read-only");
	if (v && blk_parse_bool(v, &ro) < 0) {
		error_setg(errp, "Parameter 'read-only' expects 'on' or 'off'");
		blk_opts_free(o);
		return -1;
	}
	const char *fname = blk_opts_get(o, "filename");
	if (!fname)
		fname = blk_opts_get(o, "file.filename");
	b->node = blk_open(fname, blk_opts_get(o, "driver"), o, ro ? 0 : BLK_OPEN_RDWR, &berr);
	blk_opts_free(o);
	if (!b->node) {
		error_setg(errp, "%s", berr.msg[0] ? berr.msg : "Could not open the node");
		return -1;
	}
	b->read_only = ro || blk_node_is_read_only(b->node);
	return 0;
}

/* ---- devices ---------------------------------------------------------- */

struct blk_backend *drive_lookup(struct vm *vm, const char *id, struct error **errp)
{
	struct blk_backend *b = find(vm, id);
	if (!b || b->consumed)
		return NULL;
	if (b->is_blockdev && blockdev_open(b, errp) < 0)
		return NULL;
	if (!b->node) {
		error_setg(errp, "Drive '%s' is closed", id);
		return NULL;
	}
	return b;
}

int drive_attach(struct blk_backend *b, struct device *dev, struct error **errp)
{
	if (b->dev) {
		error_setg(errp, "Drive '%s' is already in use by another device", b->id);
		return -1;
	}
	b->dev = dev;
	b->refs++;
	return 0;
}

void drive_detach(struct blk_backend *b)
{
	if (!b)
		return;
	b->dev = NULL;
	backend_unref(b);
}

/* Ctrl-A s with -snapshot (QEMU's "save disk data back to file"): copy what
 * the overlay holds into the image, then start over with a fresh overlay
 * (the old one's backing node has the image's metadata cached from before
 * the copy).  Called in the I/O thread with the VM lock held, so no new
 * request starts meanwhile. */
static int snapshot_commit(struct blk_backend *b, struct blk_error *berr)
{
	struct blk_node *top = b->node;
	blk_drain(top);
	/* Our own overlay holds the image open read-only (with its locks). */
	struct blk_opts *o = b->snap_opts ? blk_opts_dup(b->snap_opts) : blk_opts_new();
	blk_opts_set(o, "locking", "off");
	blk_opts_set(o, "driver", b->snap_fmt);
	struct blk_node *base = blk_open(b->snap_base, b->snap_fmt, o, BLK_OPEN_RDWR, berr);
	blk_opts_free(o);
	if (!base)
		return -1;
	int64_t len = blk_getlength(top);
	size_t bufsz = 1 << 20;
	uint8_t *buf = malloc(bufsz);
	int r = len < 0 ? (int)len : buf ? 0 : -ENOMEM;
	for (int64_t off = 0; r == 0 && off < len;) {
		struct blk_status st;
		r = blk_block_status(top, off, len - off, &st);
		if (r < 0 || st.bytes <= 0)
			break;
		if ((st.flags & BLK_STATUS_ALLOCATED) && (st.flags & BLK_STATUS_ZERO))
			r = blk_pwrite_zeroes(base, off, st.bytes, 0);
		else if (st.flags & BLK_STATUS_ALLOCATED)
			for (int64_t done = 0; r == 0 && done < st.bytes; done += (int64_t)bufsz) {
				size_t n = st.bytes - done < (int64_t)bufsz ?
				                   (size_t)(st.bytes - done) :
				                   bufsz;
				r = blk_pread(top, off + done, buf, n, 0);
				if (r == 0)
					r = blk_pwrite(base, off + done, buf, n, 0);
			}
		off += st.bytes;
	}
	free(buf);
	if (r == 0)
		r = blk_flush(base);
	int rc = blk_close(base);
	if (r == 0)
		r = rc;
	if (r < 0) {
		blk_error_set(berr, r, "Could not write the snapshot data back to '%s': %s",
		              b->snap_base, strerror(-r));
		return -1;
	}
	struct blk_node *fresh = open_snapshot(b->snap_base, b->snap_fmt, b->snap_opts, b, berr);
	if (!fresh)
		return -1;
	blk_close(top);
	b->node = fresh;
	return 0;
}

static void drive_commit_all(void *opaque)
{
	struct vm *vm = opaque;
	for (struct blk_backend *b = vm->drives; b; b = b->next) {
		struct blk_error berr = { 0, "" };
		if (b->snap_base && b->node && snapshot_commit(b, &berr) < 0)
			fprintf(stderr, "lemu-system-x86_64: commit of drive '%s' failed: %s\n",
			        b->id, berr.msg);
	}
}

int drive_create_devices(struct vm *vm, struct error **errp)
{
	/* Ctrl-A s on the multiplexed console commits -snapshot overlays. */
	for (struct blk_backend *b = vm->drives; b; b = b->next)
		if (b->snap_base) {
			chardev_mux_set_sync(vm, drive_commit_all, vm);
			break;
		}
	for (struct blk_backend *b = vm->drives; b; b = b->next) {
		if (b->iface == IF_VIRTIO && !b->dev) {
			char buf[300];
			snprintf(buf, sizeof(buf), "virtio-blk-pci,drive=%s", b->id);
			struct opts *o = opts_parse(buf, "driver", errp);
			if (!o)
				return -1;
			struct device *d = device_create(vm, "virtio-blk-pci", o, errp);
			opts_free(o);
			if (!d)
				return -1;
		}
	}
	for (struct blk_backend *b = vm->drives; b; b = b->next)
		if (b->is_blockdev && !b->consumed && blockdev_open(b, errp) < 0) {
			error_prepend(errp, "-blockdev node-name=%s: ", b->id);
			return -1;
		}
	return 0;
}

void drive_close_all(struct vm *vm)
{
	struct blk_backend *b = vm->drives;
	vm->drives = NULL;
	while (b) {
		struct blk_backend *n = b->next;
		/* Flush and close now, even if a device still points here
		 * (its unrealize sees drive_node() == NULL). */
		if (b->node) {
			blk_drain(b->node);
			blk_close(b->node);
			b->node = NULL;
		}
		backend_unref(b);
		b = n;
	}
}

struct blk_node *drive_node(struct blk_backend *b)
{
	return b ? b->node : NULL;
}
const char *drive_id(struct blk_backend *b)
{
	return b->id;
}
bool drive_read_only(struct blk_backend *b)
{
	return b->read_only;
}
bool drive_writeback(struct blk_backend *b)
{
	return b->writeback;
}
bool drive_discard_unmap(struct blk_backend *b)
{
	return b->discard_unmap;
}

struct blk_backend *drive_next(struct vm *vm, struct blk_backend *prev)
{
	return prev ? prev->next : vm->drives;
}

struct device *drive_device(struct blk_backend *b)
{
	return b->dev;
}

bool drive_is_blockdev(struct blk_backend *b)
{
	return b->is_blockdev;
}

static bool listed_in_pass(struct blk_backend *b, int pass)
{
	return pass == 0 ? !b->is_blockdev : b->is_blockdev && b->dev;
}

struct blk_backend *drive_next_backend(struct vm *vm, struct blk_backend *prev)
{
	int pass = prev && prev->is_blockdev ? 1 : 0;
	struct blk_backend *b = prev ? prev->next : vm->drives;
	for (;;) {
		for (; b; b = b->next)
			if (listed_in_pass(b, pass))
				return b;
		if (++pass > 1)
			return NULL;
		b = vm->drives;
	}
}

struct drive_acct *drive_acct_of(struct blk_backend *b)
{
	return &b->acct;
}
