/*
 * The QMP command table and the run-control, memory and small query
 * commands (QEMU 7.2 qapi schema names, arguments and reply members).
 * The operations HMP shares are the mon_* functions.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/device.h"
#include "core/vm.h"
#include "cpu/x86/mmu.h"
#include "hw/pci/pci.h"
#include "hw/x86/acpi_hotplug.h"
#include "hw/x86/pc_devices.h"
#include "hw/x86/piix_pm.h"
#include "hw/x86/x86.h"
#include "lemu-config.h"
#include "monitor/monitor_int.h"
#include "util/error.h"
#include "util/opts.h"

/* ---- shared operations ---------------------------------------------------------- */

static bool needs_reset(struct vm *vm)
{
	return vm->run_state == RUN_STATE_SHUTDOWN || vm->run_state == RUN_STATE_INTERNAL_ERROR ||
	       vm->run_state == RUN_STATE_GUEST_PANICKED;
}

int mon_stop(struct vm *vm, struct error **errp)
{
	(void)errp;
	vm_stop(vm, RUN_STATE_PAUSED);
	return 0;
}

int mon_cont(struct vm *vm, struct error **errp)
{
	if (needs_reset(vm)) {
		error_setg(errp, "Resetting the Virtual Machine is required");
		return -1;
	}
	vm_cont(vm);
	return 0;
}

void mon_system_reset(struct vm *vm)
{
	/* The main loop resets and sends RESET (or SHUTDOWN under -no-reboot). */
	vm_request(vm, VM_EVENT_HOST_RESET);
}

void mon_system_powerdown(struct vm *vm)
{
	/* The ACPI power button (PWRBTN_STS + SCI); the guest decides. */
	struct x86_machine *m = vm->machine;
	if (m && m->pm)
		piix_pm_power_button(m->pm);
	monitor_event(vm, "POWERDOWN", NULL);
}

void mon_quit(struct vm *vm)
{
	vm_request(vm, VM_EVENT_HOST_QUIT);
}

int mon_inject_nmi(struct vm *vm, struct error **errp)
{
	(void)errp;
	/* As QEMU on x86: an NMI on every CPU's LINT1 (the guest's LVT decides). */
	pc_inject_nmi(vm);
	return 0;
}

int mon_read_mem(struct vm *vm, uint64_t addr, void *buf, size_t len, int cpu)
{
	if (cpu < 0)
		return phys_read(vm, addr, buf, len);
	if (cpu >= vm->ncpus)
		return -1;
	struct cpu *c = &vm->vcpus[cpu]->cpu;
	uint8_t *p = buf;
	while (len) {
		uint64_t phys;
		size_t n = 4096 - (addr & 4095);
		if (n > len)
			n = len;
		if (mmu_debug_translate(c, addr, &phys) < 0)
			return -1;
		if (phys_read(vm, phys, p, n) < 0)
			return -1;
		p += n;
		addr += n;
		len -= n;
	}
	return 0;
}

int mon_memsave(struct vm *vm, uint64_t addr, uint64_t size, const char *file, int cpu,
                struct error **errp)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		error_setg_errno(errp, errno, "Could not open '%s'", file);
		return -1;
	}
	uint8_t buf[4096];
	int r = 0;
	while (size) {
		size_t n = size < sizeof(buf) ? (size_t)size : sizeof(buf);
		if (cpu >= 0 && mon_read_mem(vm, addr, buf, n, cpu) < 0) {
			error_setg(errp, "Invalid addr 0x%016llx/size %llu specified",
			           (unsigned long long)addr, (unsigned long long)size);
			r = -1;
			break;
		}
		if (cpu < 0)
			phys_read(vm, addr, buf, n); /* unassigned reads as all ones, as QEMU */
		size_t done = 0;
		while (done < n) {
			ssize_t w = write(fd, buf + done, n - done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				error_setg_errno(errp, errno, "writing memory to '%s' failed",
				                 file);
				r = -1;
				break;
			}
			done += (size_t)w;
		}
		if (r < 0)
			break;
		addr += n;
		size -= n;
	}
	close(fd);
	return r;
}

/* ---- handlers --------------------------------------------------------------------- */

#define ARG_STR(a, k) json_string_value(json_object_get(a, k))
#define ARG_INT(a, k) json_integer_value(json_object_get(a, k))

static json_t *q_capabilities(struct vm *vm, json_t *args, struct error **errp)
{
	json_t *en = json_object_get(args, "enable");
	size_t i;
	json_t *v;
	json_array_foreach(en, i, v)
	{
		if (!json_is_string(v) || strcmp(json_string_value(v), "oob")) {
			error_setg(errp, "Parameter 'enable' does not accept value '%s'",
			           json_is_string(v) ? json_string_value(v) : "?");
			return NULL;
		}
	}
	return json_object();
}

static json_t *q_version(struct vm *vm, json_t *args, struct error **errp)
{
	return json_pack("{s:{s:i,s:i,s:i},s:s}", "qemu", "micro", 0, "minor", 2, "major", 7,
	                 "package", "lemu " LEMU_VERSION);
}

static json_t *q_commands(struct vm *vm, json_t *args, struct error **errp)
{
	json_t *a = json_array();
	for (const struct qmp_cmd *c = qmp_commands; c->name; c++)
		json_array_append_new(a, json_pack("{s:s}", "name", c->name));
	return a;
}

static json_t *q_status(struct vm *vm, json_t *args, struct error **errp)
{
	return json_pack("{s:s,s:b,s:b}", "status", run_state_name(vm->run_state), "singlestep", 0,
	                 "running", vm->run_state == RUN_STATE_RUNNING);
}

static json_t *q_stop(struct vm *vm, json_t *args, struct error **errp)
{
	return mon_stop(vm, errp) < 0 ? NULL : json_object();
}

static json_t *q_cont(struct vm *vm, json_t *args, struct error **errp)
{
	return mon_cont(vm, errp) < 0 ? NULL : json_object();
}

static json_t *q_system_reset(struct vm *vm, json_t *args, struct error **errp)
{
	mon_system_reset(vm);
	return json_object();
}

static json_t *q_system_powerdown(struct vm *vm, json_t *args, struct error **errp)
{
	mon_system_powerdown(vm);
	return json_object();
}

static json_t *q_quit(struct vm *vm, json_t *args, struct error **errp)
{
	mon_quit(vm);
	return json_object();
}

static json_t *q_name(struct vm *vm, json_t *args, struct error **errp)
{
	return vm->cfg.name ? json_pack("{s:s}", "name", vm->cfg.name) : json_object();
}

static json_t *q_uuid(struct vm *vm, json_t *args, struct error **errp)
{
	/* lemu has no -uuid: the null UUID, as QEMU reports without one. */
	return json_pack("{s:s}", "UUID", "00000000-0000-0000-0000-000000000000");
}

static json_t *q_target(struct vm *vm, json_t *args, struct error **errp)
{
	return json_pack("{s:s}", "arch", "x86_64");
}

static json_t *q_kvm(struct vm *vm, json_t *args, struct error **errp)
{
	/* lemu runs on its software CPU; KVM is "present" when the host has it. */
	return json_pack("{s:b,s:b}", "enabled", 0, "present", access("/dev/kvm", F_OK) == 0);
}

static json_t *q_memory_size_summary(struct vm *vm, json_t *args, struct error **errp)
{
	return json_pack("{s:I,s:I}", "base-memory", (json_int_t)vm->ram_size, "plugged-memory",
	                 (json_int_t)0);
}

/* The optional "cpu-index" argument (default 0), checked against the VM's CPUs. */
static bool arg_cpu_index(struct vm *vm, json_t *args, int *cpu, struct error **errp)
{
	json_t *ci = json_object_get(args, "cpu-index");
	json_int_t n = ci ? json_integer_value(ci) : 0;
	if (n < 0 || n >= vm->ncpus) {
		error_setg(errp, "Parameter 'cpu-index' expects a CPU number");
		return false;
	}
	*cpu = (int)n;
	return true;
}

/* A JSON string from bytes that need not be UTF-8 (HMP output may hold guest memory shown as
 * characters): each byte that does not start a well-formed sequence becomes U+FFFD, as
 * QEMU's JSON writer does, so that the reply can always be encoded. */
static json_t *utf8_json_string(const char *s, size_t len)
{
	json_t *r = json_stringn(s, len);
	if (r)
		return r;
	struct strbuf b = { 0 };
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		unsigned c = p[i];
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 :
		           (c & 0xf8) == 0xf0 ? 4 : 0;
		bool ok = n && i + n <= len;
		uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
		for (size_t k = 1; ok && k < n; k++) {
			ok = (p[i + k] & 0xc0) == 0x80;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		/* overlong forms, surrogates and values past U+10FFFF are not UTF-8 */
		if (ok && ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		           (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		           (cp >= 0xd800 && cp <= 0xdfff)))
			ok = false;
		if (ok) {
			sb_add(&b, s + i, n);
			i += n;
		} else {
			sb_add(&b, "\xef\xbf\xbd", 3);
			i++;
		}
	}
	r = json_stringn(b.s ? b.s : "", b.len);
	sb_free(&b);
	return r ? r : json_string("");
}

static json_t *q_hmp(struct vm *vm, json_t *args, struct error **errp)
{
	int cpu;
	if (!arg_cpu_index(vm, args, &cpu, errp))
		return NULL;
	struct strbuf out = { 0 };
	hmp_execute(vm, ARG_STR(args, "command-line"), &out, &cpu, NULL);
	json_t *r = utf8_json_string(out.s ? out.s : "", out.s ? out.len : 0);
	sb_free(&out);
	return r;
}

static bool check_size(json_t *args, struct error **errp)
{
	if (ARG_INT(args, "size") < 0) {
		error_setg(errp, "Parameter 'size' expects uint64");
		return false;
	}
	return true;
}

static json_t *q_memsave(struct vm *vm, json_t *args, struct error **errp)
{
	int cpu;
	if (!arg_cpu_index(vm, args, &cpu, errp))
		return NULL;
	if (!check_size(args, errp))
		return NULL;
	if (mon_memsave(vm, (uint64_t)ARG_INT(args, "val"), (uint64_t)ARG_INT(args, "size"),
	                ARG_STR(args, "filename"), cpu, errp) < 0)
		return NULL;
	return json_object();
}

static json_t *q_pmemsave(struct vm *vm, json_t *args, struct error **errp)
{
	if (!check_size(args, errp))
		return NULL;
	if (mon_memsave(vm, (uint64_t)ARG_INT(args, "val"), (uint64_t)ARG_INT(args, "size"),
	                ARG_STR(args, "filename"), -1, errp) < 0)
		return NULL;
	return json_object();
}

static json_t *q_inject_nmi(struct vm *vm, json_t *args, struct error **errp)
{
	return mon_inject_nmi(vm, errp) < 0 ? NULL : json_object();
}

static json_t *q_block_resize(struct vm *vm, json_t *args, struct error **errp)
{
	const char *dev = ARG_STR(args, "device");
	const char *node = ARG_STR(args, "node-name");
	if (mon_block_resize(vm, dev ? dev : node ? node : "", ARG_INT(args, "size"), errp) < 0) {
		if (errp && *errp && !dev && !node) {
			error_free(*errp);
			*errp = NULL;
			error_setg(errp, "Cannot find device='' nor node-name=''");
		}
		return NULL;
	}
	return json_object();
}

static json_t *q_eject(struct vm *vm, json_t *args, struct error **errp)
{
	const char *dev = ARG_STR(args, "device");
	if (!dev)
		dev = ARG_STR(args, "id");
	return mon_eject(vm, dev ? dev : "", errp) < 0 ? NULL : json_object();
}

static struct device *find_device(struct vm *vm, const char *id)
{
	for (struct device *d = vm->devices; d; d = d->next)
		if (d->id && !strcmp(d->id, id))
			return d;
	return NULL;
}

/* A device_add argument as the option string -device would give it. */
static char *prop_string(const char *key, json_t *v, struct error **errp)
{
	char buf[64];
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		return strdup(buf);
	}
	if (json_is_boolean(v))
		return strdup(json_is_true(v) ? "on" : "off");
	if (json_is_real(v)) {
		snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
		return strdup(buf);
	}
	error_setg(errp, "Parameter '%s' expects a scalar value", key);
	return NULL;
}

/* device_add (QEMU's qdev_device_add order of checks): the model, a bus that
 * takes hot-plugged devices (pci.0 with the pc machine's ACPI PCI hotplug),
 * the id, then the device itself; the guest learns of it through a GPE
 * (hw/x86/acpi_hotplug.c).  `o` holds driver=, id=, bus= and the device's
 * properties (QMP's arguments, HMP's option string). */
int mon_device_add(struct vm *vm, struct opts *o, struct error **errp)
{
	const char *drv = opts_get(o, "driver");
	if (!drv) {
		error_setg(errp, "Parameter 'driver' is missing");
		return -1;
	}
	const struct device_class *dc = device_class_find(drv);
	if (!dc) {
		error_setg(errp, "'%s' is not a valid device model name", drv);
		return -1;
	}
	if (!dc->user_creatable) {
		error_setg(errp, "Parameter 'driver' expects a pluggable device type");
		return -1;
	}
	/* The aliases without a bus (virtio-blk ...) are the PCI proxies too. */
	bool pci = !dc->bus || !strcmp(dc->bus, "pci");
	const char *busname = opts_get(o, "bus");
	if (busname && (!pci || strcmp(busname, "pci.0") || !pci_root_bus(vm))) {
		error_setg(errp, "Bus '%s' not found", busname);
		return -1;
	}
	if (!pci) {
		error_setg(errp, "Bus '%s' does not support hotplugging",
		           !strcmp(dc->bus, "isa") ? "isa.0" : dc->bus);
		return -1;
	}
	if (!pci_root_bus(vm)) {
		error_setg(errp, "No 'PCI' bus found for device '%s'", drv);
		return -1;
	}
	struct acpi_pcihp *hp = acpi_pcihp_of(vm);
	if (!hp) {
		error_setg(errp, "Bus 'pci.0' does not support hotplugging");
		return -1;
	}
	const char *id = opts_get(o, "id");
	if (id && find_device(vm, id)) {
		error_setg(errp, "Duplicate device ID '%s'", id);
		return -1;
	}
	/* The device's own properties (and id); bus= was for us. */
	struct opts *props = opts_parse("", NULL, errp);
	if (!props)
		return -1;
	for (int i = 0; i < o->n; i++)
		if (strcmp(o->v[i].key, "bus"))
			opts_set(props, o->v[i].key, o->v[i].val);
	struct device *d = device_create(vm, drv, props, errp);
	opts_free(props);
	if (!d)
		return -1;
	acpi_pcihp_plug(hp, (struct pci_device *)d);
	return 0;
}

static json_t *q_device_add(struct vm *vm, json_t *args, struct error **errp)
{
	struct opts *o = opts_parse("", NULL, errp);
	if (!o)
		return NULL;
	const char *key;
	json_t *v;
	json_object_foreach(args, key, v)
	{
		char *val = prop_string(key, v, errp);
		if (!val) {
			opts_free(o);
			return NULL;
		}
		opts_set(o, key, val);
		free(val);
	}
	int r = mon_device_add(vm, o, errp);
	opts_free(o);
	return r < 0 ? NULL : json_object();
}

/* device_del: ask the guest to eject the device; it goes (and
 * DEVICE_DELETED is sent) when the guest's _EJ0 says so. */
int mon_device_del(struct vm *vm, const char *id, struct error **errp)
{
	struct device *d = find_device(vm, id);
	if (!d) {
		error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND, "Device '%s' not found", id);
		return -1;
	}
	const char *bus = d->cls->bus ? d->cls->bus : "pci";
	if (strcmp(bus, "pci") || !d->cls->user_creatable) {
		error_setg(errp, "Bus '%s' does not support hotplugging", !strcmp(bus, "isa") ? "isa.0" : bus);
		return -1;
	}
	struct acpi_pcihp *hp = acpi_pcihp_of(vm);
	if (!hp) {
		error_setg(errp, "Bus 'pci.0' does not support hotplugging");
		return -1;
	}
	struct pci_device *pd = (struct pci_device *)d;
	if (!acpi_pcihp_device_ok(pd)) {
		error_setg(errp, "Device '%s' does not support hotplugging", d->cls->name);
		return -1;
	}
	if (acpi_pcihp_unplug_request(hp, pd, errp) < 0)
		return -1;
	return 0;
}

static json_t *q_device_del(struct vm *vm, json_t *args, struct error **errp)
{
	return mon_device_del(vm, ARG_STR(args, "id"), errp) < 0 ? NULL : json_object();
}

static json_t *q_cpus_fast(struct vm *vm, json_t *args, struct error **errp)
{
	return qmp_query_cpus_fast(vm, args, errp);
}

/* Sorted as QEMU's query-commands is not: by name, for people reading it. */
const struct qmp_cmd qmp_commands[] = {
	{ "block_resize", "device:s?,node-name:s?,size:i", q_block_resize },
	{ "cont", "", q_cont },
	{ "device_add", "driver:s,id:s?,bus:s?,*", q_device_add },
	{ "device_del", "id:s", q_device_del },
	{ "eject", "device:s?,id:s?,force:b?", q_eject },
	{ "human-monitor-command", "command-line:s,cpu-index:i?", q_hmp },
	{ "inject-nmi", "", q_inject_nmi },
	{ "memsave", "val:i,size:i,filename:s,cpu-index:i?", q_memsave },
	{ "pmemsave", "val:i,size:i,filename:s", q_pmemsave },
	{ "qmp_capabilities", "enable:l?", q_capabilities },
	{ "qom-get", "path:s,property:s", qmp_qom_get },
	{ "qom-list", "path:s", qmp_qom_list },
	{ "query-block", "", qmp_query_block },
	{ "query-blockstats", "query-nodes:b?", qmp_query_blockstats },
	{ "query-chardev", "", qmp_query_chardev },
	{ "query-commands", "", q_commands },
	{ "query-cpu-definitions", "", qmp_query_cpu_definitions },
	{ "query-cpus-fast", "", q_cpus_fast },
	{ "query-kvm", "", q_kvm },
	{ "query-machines", "", qmp_query_machines },
	{ "query-memory-size-summary", "", q_memory_size_summary },
	{ "query-name", "", q_name },
	{ "query-status", "", q_status },
	{ "query-target", "", q_target },
	{ "query-uuid", "", q_uuid },
	{ "query-version", "", q_version },
	{ "quit", "", q_quit },
	{ "stop", "", q_stop },
	{ "system_powerdown", "", q_system_powerdown },
	{ "system_reset", "", q_system_reset },
	{ NULL, NULL, NULL },
};

const struct qmp_cmd *qmp_find(const char *name)
{
	for (const struct qmp_cmd *c = qmp_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}
