/*
 * Queries and block commands shared by QMP and HMP: query-block,
 * query-blockstats, query-chardev, query-cpus-fast, query-machines,
 * query-cpu-definitions, the small QOM tree of qom-list/qom-get, and
 * block_resize, eject, commit.  Member names and types are QEMU 7.2's
 * (qapi/block-core.json, machine.json, qom.json).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"
#include "chardev/chardev.h"
#include "core/device.h"
#include "core/vm.h"
#include "cpu/x86/cpu_model.h"
#include "hw/block_backend.h"
#include "hw/x86/machine.h"
#include "hw/x86/x86.h"
#include "monitor/monitor_int.h"
#include "util/error.h"

/* ---- device paths --------------------------------------------------------------- */

/* /machine/peripheral/ID for -device id=ID, else /machine/unattached/device[N]
 * with N the device's place in creation order. */
const char *mon_device_path(struct vm *vm, struct device *d, char *buf, size_t size)
{
	if (d->id) {
		snprintf(buf, size, "/machine/peripheral/%s", d->id);
		return buf;
	}
	int n = 0;
	for (struct device *x = vm->devices; x && x != d; x = x->next)
		n++;
	snprintf(buf, size, "/machine/unattached/device[%d]", n + vm->ncpus);
	return buf;
}

/* ---- block ---------------------------------------------------------------------- */

static struct blk_backend *find_drive(struct vm *vm, const char *id)
{
	for (struct blk_backend *b = drive_next(vm, NULL); b; b = drive_next(vm, b))
		if (!strcmp(drive_id(b), id))
			return b;
	return NULL;
}

static int drive_index(struct vm *vm, struct blk_backend *b)
{
	int i = 0;
	for (struct blk_backend *x = drive_next(vm, NULL); x && x != b; x = drive_next(vm, x))
		i++;
	return i;
}

static void set_qdev(struct vm *vm, json_t *o, struct blk_backend *b)
{
	struct device *d = drive_device(b);
	if (!d)
		return;
	char path[160], full[200];
	mon_device_path(vm, d, path, sizeof(path));
	/* virtio devices: QEMU names the virtio device under the proxy */
	if (!strncmp(d->cls->name, "virtio-", 7))
		snprintf(full, sizeof(full), "%s/virtio-backend", path);
	else
		snprintf(full, sizeof(full), "%s", path);
	json_object_set_new(o, "qdev", json_string(full));
}

static json_t *image_info(struct blk_node *n, int *depth)
{
	struct blk_image_info info;
	memset(&info, 0, sizeof(info));
	json_t *img = json_object();
	if (blk_get_info(n, &info) < 0) {
		json_object_set_new(img, "filename", json_string(blk_node_filename(n)));
		json_object_set_new(img, "format", json_string(blk_node_driver(n)));
		json_object_set_new(img, "virtual-size", json_integer(blk_getlength(n)));
		return img;
	}
	json_object_set_new(img, "virtual-size", json_integer(info.virtual_size));
	json_object_set_new(img, "filename",
	                    json_string(info.filename ? info.filename : blk_node_filename(n)));
	if (info.cluster_size)
		json_object_set_new(img, "cluster-size", json_integer(info.cluster_size));
	json_object_set_new(img, "format",
	                    json_string(info.format ? info.format : blk_node_driver(n)));
	if (info.actual_size >= 0)
		json_object_set_new(img, "actual-size", json_integer(info.actual_size));
	json_object_set_new(img, "dirty-flag",
	                    json_boolean(info.has_dirty_flag && info.dirty_flag));
	if (info.backing_filename) {
		json_object_set_new(img, "backing-filename", json_string(info.backing_filename));
		if (info.full_backing_filename)
			json_object_set_new(img, "full-backing-filename",
			                    json_string(info.full_backing_filename));
		if (info.backing_format)
			json_object_set_new(img, "backing-filename-format",
			                    json_string(info.backing_format));
		struct blk_node *bk = blk_node_backing(n);
		if (bk) {
			(*depth)++;
			json_object_set_new(img, "backing-image", image_info(bk, depth));
		}
	}
	blk_image_info_free(&info);
	return img;
}

json_t *qmp_query_block(struct vm *vm, json_t *args, struct error **errp)
{
	json_t *a = json_array();
	for (struct blk_backend *b = drive_next(vm, NULL); b; b = drive_next(vm, b)) {
		json_t *o = json_object();
		json_object_set_new(o, "io-status", json_string("ok"));
		json_object_set_new(o, "device", json_string(drive_id(b)));
		json_object_set_new(o, "locked", json_false());
		json_object_set_new(o, "removable", json_false());
		struct blk_node *n = drive_node(b);
		if (n) {
			int depth = 0;
			char nn[32];
			snprintf(nn, sizeof(nn), "#block%03d", drive_index(vm, b));
			json_t *img = image_info(n, &depth);
			json_t *ins = json_pack("{s:I,s:b,s:s,s:s,s:s}", "iops_rd", (json_int_t)0,
			                        "ro", drive_read_only(b), "node-name", nn, "drv",
			                        blk_node_driver(n), "detect_zeroes", "off");
			json_object_set_new(ins, "iops_wr", json_integer(0));
			json_object_set_new(ins, "image", img);
			json_object_set_new(ins, "iops", json_integer(0));
			json_object_set_new(ins, "bps_wr", json_integer(0));
			json_object_set_new(ins, "write_threshold", json_integer(0));
			const char *bf = blk_node_backing_filename(n);
			if (bf)
				json_object_set_new(ins, "backing_file", json_string(bf));
			json_object_set_new(ins, "backing_file_depth", json_integer(depth));
			json_object_set_new(ins, "encrypted", json_false());
			json_object_set_new(ins, "bps_rd", json_integer(0));
			json_object_set_new(ins, "bps", json_integer(0));
			json_object_set_new(ins, "cache",
			                    json_pack("{s:b,s:b,s:b}", "no-flush", 0, "direct", 0,
			                              "writeback", drive_writeback(b)));
			json_object_set_new(ins, "file", json_string(blk_node_filename(n)));
			json_object_set_new(o, "inserted", ins);
		}
		set_qdev(vm, o, b);
		json_object_set_new(o, "type", json_string("unknown"));
		json_array_append_new(a, o);
	}
	return a;
}

/* QEMU 7.2's BlockDeviceStats (qapi/block-core.json) from the backend's
 * counters (hw/block_backend.c).  lemu does not merge requests and has no
 * timed statistics, so *_merged are 0 and timed_stats is empty (7.2 has
 * no zone_append_* members: zoned devices came in QEMU 8.0); idle_time_ns appears after the first I/O, as in
 * QEMU.  Member order is QEMU's. */
static json_t *stats_json(const struct drive_stats *st)
{
	static const char *const kind[DRIVE_ACCT_NR] = {
		[DRIVE_ACCT_READ] = "rd",
		[DRIVE_ACCT_WRITE] = "wr",
		[DRIVE_ACCT_FLUSH] = "flush",
		[DRIVE_ACCT_UNMAP] = "unmap",
	};
	json_t *s = json_object();
	char k[48];
#define SET(key, v) json_object_set_new(s, key, json_integer((json_int_t)(v)))
	SET("rd_bytes", st->bytes[DRIVE_ACCT_READ]);
	SET("wr_bytes", st->bytes[DRIVE_ACCT_WRITE]);
	SET("unmap_bytes", st->bytes[DRIVE_ACCT_UNMAP]);
	for (int t = 0; t < DRIVE_ACCT_NR; t++) {
		snprintf(k, sizeof(k), "%s_operations", kind[t]);
		SET(k, st->ops[t]);
	}
	SET("rd_merged", 0);
	SET("wr_merged", 0);
	SET("unmap_merged", 0);
	SET("wr_highest_offset", st->wr_highest_offset);
	for (int t = 0; t < DRIVE_ACCT_NR; t++) {
		snprintf(k, sizeof(k), "%s_total_time_ns", kind[t]);
		SET(k, st->total_time_ns[t]);
	}
	if (st->idle_time_ns >= 0)
		SET("idle_time_ns", st->idle_time_ns);
	for (int t = 0; t < DRIVE_ACCT_NR; t++) {
		snprintf(k, sizeof(k), "failed_%s_operations", kind[t]);
		SET(k, st->failed_ops[t]);
	}
	for (int t = 0; t < DRIVE_ACCT_NR; t++) {
		snprintf(k, sizeof(k), "invalid_%s_operations", kind[t]);
		SET(k, st->invalid_ops[t]);
	}
#undef SET
	json_object_set_new(s, "account_invalid", json_boolean(st->account_invalid));
	json_object_set_new(s, "account_failed", json_boolean(st->account_failed));
	json_object_set_new(s, "timed_stats", json_array());
	return s;
}

/* query-nodes=true lists block nodes instead of devices: QEMU keeps the
 * request counters on the device's backend, so a node's are zero and only
 * wr_highest_offset is its own (no device, no qdev, accounting off). */
json_t *qmp_query_blockstats(struct vm *vm, json_t *args, struct error **errp)
{
	bool nodes = json_is_true(json_object_get(args, "query-nodes"));
	json_t *a = json_array();
	for (struct blk_backend *b = nodes ? drive_next(vm, NULL) : drive_next_backend(vm, NULL); b;
	     b = nodes ? drive_next(vm, b) : drive_next_backend(vm, b)) {
		if (nodes && !drive_node(b))
			continue;
		json_t *o = json_object();
		/* A -blockdev node's backend is the device's, which has no name. */
		if (!nodes)
			json_object_set_new(o, "device",
			                    json_string(drive_is_blockdev(b) ? "" : drive_id(b)));
		if (drive_is_blockdev(b)) {
			json_object_set_new(o, "node-name", json_string(drive_id(b)));
		} else if (drive_node(b)) {
			char nn[32];
			snprintf(nn, sizeof(nn), "#block%03d", drive_index(vm, b));
			json_object_set_new(o, "node-name", json_string(nn));
		}
		if (!nodes)
			set_qdev(vm, o, b);
		struct drive_stats st;
		drive_get_stats(b, &st);
		if (nodes) {
			uint64_t hi = st.wr_highest_offset;
			memset(&st, 0, sizeof(st));
			st.wr_highest_offset = hi;
			st.idle_time_ns = -1;
		}
		json_object_set_new(o, "stats", stats_json(&st));
		json_array_append_new(a, o);
	}
	return a;
}

static int find_for_block_cmd(struct vm *vm, const char *dev, struct blk_backend **out,
                              struct error **errp)
{
	struct blk_backend *b = find_drive(vm, dev);
	if (!b) {
		error_setg(errp, "Cannot find device='%s' nor node-name=''", dev);
		return -1;
	}
	if (!drive_node(b)) {
		error_set(errp, ERROR_CLASS_DEVICE_NOT_ACTIVE, "Device '%s' has no medium", dev);
		return -1;
	}
	*out = b;
	return 0;
}

int mon_block_resize(struct vm *vm, const char *dev, int64_t size, struct error **errp)
{
	struct blk_backend *b;
	if (find_for_block_cmd(vm, dev, &b, errp) < 0)
		return -1;
	if (size < 0) {
		error_setg(errp, "Parameter 'size' expects a >0 size");
		return -1;
	}
	if (drive_read_only(b)) {
		error_setg(errp, "Device '%s' is read only", dev);
		return -1;
	}
	struct blk_error berr = { 0 };
	struct blk_node *n = drive_node(b);
	/* The guest is not told (virtio-blk's config-change interrupt is not
	 * wired to this); it sees the new size after a re-read of its config. */
	if (blk_truncate(n, size, true, NULL, &berr) < 0) {
		error_setg(errp, "%s", berr.msg[0] ? berr.msg : strerror(-berr.code));
		return -1;
	}
	return 0;
}

int mon_eject(struct vm *vm, const char *dev, struct error **errp)
{
	struct blk_backend *b = find_drive(vm, dev);
	if (!b) {
		error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND, "Device '%s' not found", dev);
		return -1;
	}
	/* lemu's disks are virtio-blk: nothing is removable. */
	error_setg(errp, "Device '%s' is not removable", dev);
	return -1;
}

/* Copy what the top layer holds into its backing file, then empty the top
 * (qemu-img commit's steps; HMP commit). */
static int commit_one(struct blk_backend *b, struct error **errp)
{
	struct blk_node *top = drive_node(b);
	struct blk_node *base = top ? blk_node_backing(top) : NULL;
	if (!base) {
		error_setg(errp, "'commit' error for '%s': Operation not supported", drive_id(b));
		return -1;
	}
	if (blk_node_is_read_only(base)) {
		error_setg(errp,
		           "'commit' error for '%s': the backing file is open read-only "
		           "(lemu cannot reopen it read-write)",
		           drive_id(b));
		return -1;
	}
	int64_t len = blk_getlength(top);
	uint8_t *buf = malloc(1 << 20);
	if (!buf || len < 0) {
		free(buf);
		error_setg(errp, "'commit' error for '%s': %s", drive_id(b),
		           strerror(len < 0 ? (int)-len : ENOMEM));
		return -1;
	}
	int r = 0;
	for (int64_t off = 0; off < len && r == 0;) {
		struct blk_status st;
		r = blk_block_status(top, off, len - off, &st);
		if (r < 0 || st.bytes <= 0)
			break;
		if (st.flags & BLK_STATUS_ALLOCATED) {
			for (int64_t o = off; o < off + st.bytes && r == 0;) {
				size_t n = (size_t)((off + st.bytes - o) < (1 << 20) ?
				                            (off + st.bytes - o) :
				                            (1 << 20));
				r = blk_pread(top, o, buf, n, 0);
				if (r == 0)
					r = blk_pwrite(base, o, buf, n, 0);
				o += (int64_t)n;
			}
		}
		off += st.bytes;
	}
	free(buf);
	if (r == 0)
		r = blk_flush(base);
	if (r == 0)
		blk_make_empty(top, NULL);
	if (r < 0) {
		error_setg(errp, "'commit' error for '%s': %s", drive_id(b), strerror(-r));
		return -1;
	}
	return 0;
}

int mon_commit(struct vm *vm, const char *dev, struct error **errp)
{
	if (!strcmp(dev, "all")) {
		for (struct blk_backend *b = drive_next(vm, NULL); b; b = drive_next(vm, b))
			if (drive_node(b) && blk_node_backing(drive_node(b)) &&
			    commit_one(b, errp) < 0)
				return -1;
		return 0;
	}
	struct blk_backend *b = find_drive(vm, dev);
	if (!b) {
		error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND, "Device '%s' not found", dev);
		return -1;
	}
	return commit_one(b, errp);
}

/* ---- chardev, cpus, machines -------------------------------------------------------- */

json_t *qmp_query_chardev(struct vm *vm, json_t *args, struct error **errp)
{
	json_t *a = json_array();
	for (struct chardev *c = chardev_next(vm, NULL); c; c = chardev_next(vm, c)) {
		const char *fn = chardev_filename(c);
		json_array_append_new(a, json_pack("{s:s,s:s,s:b}", "label", chardev_id(c),
		                                   "filename", fn ? fn : "", "frontend-open",
		                                   chardev_has_frontend(c)));
	}
	return a;
}

json_t *qmp_query_cpus_fast(struct vm *vm, json_t *args, struct error **errp)
{
	json_t *a = json_array();
	int cores = vm->cfg.cores > 0 ? vm->cfg.cores : 1,
	    threads = vm->cfg.threads > 0 ? vm->cfg.threads : 1;
	for (int i = 0; i < vm->ncpus; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/machine/unattached/device[%d]", i);
		json_array_append_new(a, json_pack("{s:i,s:{s:i,s:i,s:i},s:s,s:i,s:s}", "cpu-index",
		                                   i, "props", "core-id", (i / threads) % cores,
		                                   "socket-id", i / (threads * cores), "thread-id",
		                                   i % threads, "qom-path", path, "thread-id",
		                                   vm->vcpus[i]->tid, "target", "x86_64"));
	}
	return a;
}

json_t *qmp_query_machines(struct vm *vm, json_t *args, struct error **errp)
{
	json_t *a = json_array();
	for (int i = 0; machine_classes[i]; i++) {
		const struct machine_class *mc = machine_classes[i];
		json_t *o = json_object();
		json_object_set_new(o, "hotpluggable-cpus", json_false());
		json_object_set_new(o, "name", json_string(mc->name));
		json_object_set_new(o, "numa-mem-supported", json_false());
		if (mc->is_default)
			json_object_set_new(o, "is-default", json_true());
		json_object_set_new(o, "default-cpu-type", json_string("qemu64-x86_64-cpu"));
		json_object_set_new(o, "cpu-max", json_integer(VM_MAX_CPUS));
		json_object_set_new(o, "deprecated", json_false());
		if (mc->alias)
			json_object_set_new(o, "alias", json_string(mc->alias));
		json_object_set_new(
		        o, "default-ram-id",
		        json_string(strcmp(mc->name, "microvm") ? "pc.ram" : "microvm.ram"));
		json_array_append_new(a, o);
	}
	return a;
}

json_t *qmp_query_cpu_definitions(struct vm *vm, json_t *args, struct error **errp)
{
	json_t *a = json_array();
	for (const struct cpu_model *m = cpu_models; m->name; m++) {
		char tn[96];
		snprintf(tn, sizeof(tn), "%s-x86_64-cpu", m->name);
		json_array_append_new(a, json_pack("{s:s,s:s,s:b,s:b,s:b,s:[]}", "name", m->name,
		                                   "typename", tn, "static", 0, "migration-safe",
		                                   strcmp(m->name, "max") != 0, "deprecated", 0,
		                                   "unavailable-features"));
	}
	return a;
}

/* ---- QOM: a small tree ----------------------------------------------------------- */

/*
 * /machine                  type, kernel, initrd, append + containers
 * /machine/peripheral       one child per -device id=ID
 * /machine/peripheral/ID    type + the device's properties
 * /machine/unattached       the CPUs (device[N]) and devices without an id
 * Only what exists in lemu is listed (no links, no memory regions).
 */
static struct device *device_at_path(struct vm *vm, const char *path)
{
	char buf[200];
	for (struct device *d = vm->devices; d; d = d->next)
		if (!strcmp(mon_device_path(vm, d, buf, sizeof(buf)), path))
			return d;
	return NULL;
}

static int cpu_at_path(struct vm *vm, const char *path)
{
	int n;
	char tail;
	if (sscanf(path, "/machine/unattached/device[%d]%c", &n, &tail) == 2 && tail == ']' &&
	    n >= 0 && n < vm->ncpus)
		return n;
	return -1;
}

static const char *machine_type(struct vm *vm, char *buf, size_t size)
{
	const struct machine_class *mc = machine_find(vm->cfg.machine);
	snprintf(buf, size, "%s-machine", mc ? mc->name : "none");
	return buf;
}

static const char *prop_qom_type(enum prop_type t)
{
	switch (t) {
	case PROP_BOOL: return "bool";
	case PROP_U8: return "uint8";
	case PROP_U16: return "uint16";
	case PROP_U32: return "uint32";
	case PROP_U64: return "uint64";
	case PROP_SIZE: return "size";
	case PROP_CHARDEV: return "str";
	case PROP_NETDEV: return "str";
	case PROP_DRIVE: return "str";
	case PROP_STR: return "string";
	}
	return "string";
}

static void add_entry(json_t *a, const char *name, const char *type)
{
	json_array_append_new(a, json_pack("{s:s,s:s}", "name", name, "type", type));
}

json_t *qmp_qom_list(struct vm *vm, json_t *args, struct error **errp)
{
	const char *path = json_string_value(json_object_get(args, "path"));
	json_t *a = json_array();
	char buf[200], t[96];
	struct device *d;
	int cpu;
	if (!strcmp(path, "/")) {
		add_entry(a, "type", "string");
		add_entry(a, "machine", "child<container>");
	} else if (!strcmp(path, "/machine")) {
		add_entry(a, "type", "string");
		add_entry(a, "kernel", "string");
		add_entry(a, "initrd", "string");
		add_entry(a, "append", "string");
		add_entry(a, "unattached", "child<container>");
		add_entry(a, "peripheral", "child<container>");
		add_entry(a, "peripheral-anon", "child<container>");
	} else if (!strcmp(path, "/machine/peripheral") ||
	           !strcmp(path, "/machine/peripheral-anon") ||
	           !strcmp(path, "/machine/unattached")) {
		add_entry(a, "type", "string");
		bool per = !strcmp(path, "/machine/peripheral");
		if (!strcmp(path, "/machine/unattached")) {
			for (int i = 0; i < vm->ncpus; i++) {
				snprintf(buf, sizeof(buf), "device[%d]", i);
				snprintf(t, sizeof(t), "child<%s-x86_64-cpu>",
				         vm->vcpus[i]->cpu.model ? vm->vcpus[i]->cpu.model->name :
				                                   "qemu64");
				add_entry(a, buf, t);
			}
		}
		for (d = vm->devices; d; d = d->next) {
			if (per != (d->id != NULL) || !strcmp(path, "/machine/peripheral-anon"))
				continue;
			const char *p = mon_device_path(vm, d, buf, sizeof(buf));
			snprintf(t, sizeof(t), "child<%s>", d->cls->name);
			add_entry(a, strrchr(p, '/') + 1, t);
		}
	} else if ((d = device_at_path(vm, path))) {
		add_entry(a, "type", "string");
		for (const struct prop *p = d->cls->props; p && p->name; p++)
			add_entry(a, p->name, prop_qom_type(p->type));
	} else if ((cpu = cpu_at_path(vm, path)) >= 0) {
		add_entry(a, "type", "string");
		add_entry(a, "apic-id", "uint32");
	} else {
		json_decref(a);
		error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND, "Device '%s' not found", path);
		return NULL;
	}
	return a;
}

static json_t *prop_value(struct device *d, const struct prop *p)
{
	const uint8_t *base = (const uint8_t *)d + p->offset;
	switch (p->type) {
	case PROP_BOOL: return json_boolean(*(const bool *)base);
	case PROP_U8: return json_integer(*(const uint8_t *)base);
	case PROP_U16: return json_integer(*(const uint16_t *)base);
	case PROP_U32: return json_integer(*(const uint32_t *)base);
	case PROP_U64:
	case PROP_SIZE: return json_integer((json_int_t) * (const uint64_t *)base);
	case PROP_STR: {
		const char *s = *(char *const *)base;
		return json_string(s ? s : "");
	}
	case PROP_CHARDEV: {
		struct chardev *c = *(struct chardev *const *)base;
		return json_string(c ? chardev_id(c) : "");
	}
	case PROP_DRIVE: {
		struct blk_backend *b = *(struct blk_backend *const *)base;
		return json_string(b ? drive_id(b) : "");
	}
	case PROP_NETDEV: return json_string("");
	}
	return json_null();
}

json_t *qmp_qom_get(struct vm *vm, json_t *args, struct error **errp)
{
	const char *path = json_string_value(json_object_get(args, "path"));
	const char *prop = json_string_value(json_object_get(args, "property"));
	char t[96];
	struct device *d;
	int cpu;
	const char *type = NULL;
	if (!strcmp(path, "/machine")) {
		type = machine_type(vm, t, sizeof(t));
		if (!strcmp(prop, "kernel") || !strcmp(prop, "initrd") || !strcmp(prop, "append")) {
			const char *v = !strcmp(prop, "kernel") ? vm->cfg.kernel :
			                !strcmp(prop, "initrd") ? vm->cfg.initrd :
			                                          vm->cfg.append;
			return json_string(v ? v : "");
		}
	} else if (!strcmp(path, "/machine/peripheral") ||
	           !strcmp(path, "/machine/peripheral-anon") ||
	           !strcmp(path, "/machine/unattached") || !strcmp(path, "/")) {
		type = "container";
	} else if ((d = device_at_path(vm, path))) {
		type = d->cls->name;
		for (const struct prop *p = d->cls->props; p && p->name; p++)
			if (!strcmp(p->name, prop))
				return prop_value(d, p);
	} else if ((cpu = cpu_at_path(vm, path)) >= 0) {
		snprintf(t, sizeof(t), "%s-x86_64-cpu",
		         vm->vcpus[cpu]->cpu.model ? vm->vcpus[cpu]->cpu.model->name : "qemu64");
		type = t;
		if (!strcmp(prop, "apic-id"))
			return json_integer(vm->vcpus[cpu]->apic_id);
	} else {
		error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND, "Device '%s' not found", path);
		return NULL;
	}
	if (!strcmp(prop, "type"))
		return json_string(type);
	error_setg(errp, "Property '%s.%s' not found", type, prop);
	return NULL;
}
