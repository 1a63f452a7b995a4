/*
 * Device instances: creation from -device options (properties by type),
 * reset and teardown in creation order, and `-device help` output in
 * QEMU's format.
 */
#include "core/device.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chardev/chardev.h"
#include "core/vm.h"
#include "hw/block_backend.h"
#include "net/net.h"
#include "util/error.h"
#include "util/opts.h"

const struct device_class *device_class_find(const char *name)
{
	for (int i = 0; device_classes[i]; i++)
		if (!strcmp(device_classes[i]->name, name))
			return device_classes[i];
	return NULL;
}

static const struct prop *prop_find(const struct device_class *cls, const char *key)
{
	for (const struct prop *p = cls->props; p && p->name; p++)
		if (!strcmp(p->name, key))
			return p;
	return NULL;
}

static int prop_set(struct device *d, const struct prop *p, const char *val, struct error **errp)
{
	void *field = (char *)d + p->offset;
	uint64_t u;
	int b;
	switch (p->type) {
	case PROP_BOOL:
		b = parse_bool(val);
		if (b < 0) {
			error_setg(errp, "Parameter '%s' expects 'on' or 'off'", p->name);
			return -1;
		}
		*(bool *)field = b;
		return 0;
	case PROP_U8:
	case PROP_U16:
	case PROP_U32:
	case PROP_U64:
		if (parse_u64(val, &u) < 0) {
			error_setg(errp, "Parameter '%s' expects a number", p->name);
			return -1;
		}
		if ((p->type == PROP_U8 && u > 0xff) || (p->type == PROP_U16 && u > 0xffff) ||
		    (p->type == PROP_U32 && u > 0xffffffffull)) {
			error_setg(errp, "Property %s.%s doesn't take value %s (out of range)", d->cls->name,
				   p->name, val);
			return -1;
		}
		switch (p->type) {
		case PROP_U8: *(uint8_t *)field = (uint8_t)u; break;
		case PROP_U16: *(uint16_t *)field = (uint16_t)u; break;
		case PROP_U32: *(uint32_t *)field = (uint32_t)u; break;
		default: *(uint64_t *)field = u; break;
		}
		return 0;
	case PROP_SIZE:
		if (parse_size(val, 0, &u) < 0) {
			error_setg(errp, "Parameter '%s' expects a size", p->name);
			return -1;
		}
		*(uint64_t *)field = u;
		return 0;
	case PROP_STR:
		free(*(char **)field);
		*(char **)field = strdup(val);
		return 0;
	case PROP_CHARDEV: {
		struct chardev *chr = chardev_find(d->vm, val);
		if (!chr) {
			error_setg(errp, "Property '%s.%s' can't find value '%s'", d->cls->name, p->name, val);
			return -1;
		}
		*(struct chardev **)field = chr;
		return 0;
	}
	case PROP_DRIVE: {
		/* -drive id or -blockdev node-name (hw/block_backend.c) */
		struct error *e = NULL;
		struct blk_backend *b = drive_lookup(d->vm, val, &e);
		if (!b) {
			if (e)
				error_propagate(errp, e);
			else {
				/* QEMU names the inner device of a virtio proxy:
				 * virtio-blk-pci -> 'virtio-blk-device.drive'. */
				const char *n = d->cls->name;
				size_t l = strlen(n);
				bool proxy = !strncmp(n, "virtio-", 7) && l > 4 && !strcmp(n + l - 4, "-pci");
				error_setg(errp, "Property '%.*s%s.%s' can't find value '%s'", (int)(proxy ? l - 4 : l), n,
					   proxy ? "-device" : "", p->name, val);
			}
			return -1;
		}
		*(struct blk_backend **)field = b;
		return 0;
	}
	case PROP_NETDEV: {
		/* -netdev id (net/net_opts.c); QEMU names the inner device of a
		 * virtio proxy: virtio-net-pci -> 'virtio-net-device.netdev'. */
		bool in_use;
		struct net_client *nc = net_netdev_lookup(d->vm, val, &in_use);
		if (!nc) {
			const char *n = d->cls->name;
			size_t l = strlen(n);
			bool proxy = !strncmp(n, "virtio-", 7) && l > 4 && !strcmp(n + l - 4, "-pci");
			if (in_use)
				error_setg(errp, "Property '%.*s%s.%s' can't take value '%s', it's in use", (int)(proxy ? l - 4 : l), n,
					   proxy ? "-device" : "", p->name, val);
			else
				error_setg(errp, "Property '%.*s%s.%s' can't find value '%s'", (int)(proxy ? l - 4 : l), n,
					   proxy ? "-device" : "", p->name, val);
			return -1;
		}
		*(struct net_client **)field = nc;
		return 0;
	}
	}
	return -1;
}

int device_set_prop(struct device *d, const char *key, const char *val, struct error **errp)
{
	const struct prop *p = prop_find(d->cls, key);
	if (!p) {
		error_setg(errp, "Property '%s.%s' not found", d->cls->name, key);
		return -1;
	}
	return prop_set(d, p, val, errp);
}

void device_free(struct device *d)
{
	for (const struct prop *p = d->cls->props; p && p->name; p++)
		if (p->type == PROP_STR)
			free(*(char **)((char *)d + p->offset));
	free(d->id);
	free(d);
}

struct device *device_create(struct vm *vm, const char *name, struct opts *props, struct error **errp)
{
	const struct device_class *cls = device_class_find(name);
	if (!cls) {
		error_setg(errp, "'%s' is not a valid device model name", name);
		return NULL;
	}
	struct device *d = calloc(1, cls->size < sizeof(*d) ? sizeof(*d) : cls->size);
	if (!d) {
		error_setg(errp, "out of memory");
		return NULL;
	}
	d->cls = cls;
	d->vm = vm;
	for (const struct prop *p = cls->props; p && p->name; p++) {
		if (p->def && prop_set(d, p, p->def, errp) < 0) {
			device_free(d);
			return NULL;
		}
	}
	if (vm->globals) {
		size_t nl = strlen(cls->name);
		for (int i = 0; i < vm->globals->n; i++) {
			struct opt *g = &vm->globals->v[i];
			if (!strncmp(g->key, cls->name, nl) && g->key[nl] == '.') {
				g->used = true;
				if (device_set_prop(d, g->key + nl + 1, g->val, errp) < 0) {
					device_free(d);
					return NULL;
				}
			}
		}
	}
	if (props) {
		for (int i = 0; i < props->n; i++) {
			struct opt *o = &props->v[i];
			if (!strcmp(o->key, "driver")) {
				o->used = true;
				continue;
			}
			if (!strcmp(o->key, "id")) {
				o->used = true;
				for (struct device *x = vm->devices; x; x = x->next) {
					if (x->id && !strcmp(x->id, o->val)) {
						error_setg(errp, "Duplicate device ID '%s'", o->val);
						device_free(d);
						return NULL;
					}
				}
				free(d->id);
				d->id = strdup(o->val);
				continue;
			}
			o->used = true;
			if (device_set_prop(d, o->key, o->val, errp) < 0) {
				device_free(d);
				return NULL;
			}
		}
	}
	if (cls->realize && cls->realize(d, errp) < 0) {
		device_free(d);
		return NULL;
	}
	/* Append: reset and teardown go in creation order. */
	struct device **pp = &vm->devices;
	while (*pp)
		pp = &(*pp)->next;
	*pp = d;
	return d;
}

void device_reset_all(struct vm *vm)
{
	for (struct device *d = vm->devices; d; d = d->next)
		if (d->cls->reset)
			d->cls->reset(d);
}

void device_unplug(struct device *d)
{
	for (struct device **pp = &d->vm->devices; *pp; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	}
	d->next = NULL;
	if (d->cls->unrealize)
		d->cls->unrealize(d);
}

void device_destroy_all(struct vm *vm)
{
	struct device *d = vm->devices;
	vm->devices = NULL;
	while (d) {
		struct device *n = d->next;
		if (d->cls->unrealize)
			d->cls->unrealize(d);
		device_free(d);
		d = n;
	}
}

static const char *prop_type_name(enum prop_type t)
{
	switch (t) {
	case PROP_BOOL: return "bool";
	case PROP_U8: return "uint8";
	case PROP_U16: return "uint16";
	case PROP_U32: return "uint32";
	case PROP_U64: return "uint64";
	case PROP_SIZE: return "size";
	case PROP_STR: return "str";
	case PROP_CHARDEV: return "str";
	case PROP_NETDEV: return "str";
	case PROP_DRIVE: return "str";
	}
	return "str";
}

void device_print_help(const char *name)
{
	if (name) {
		const struct device_class *cls = device_class_find(name);
		if (!cls) {
			fprintf(stderr, "lemu-system-x86_64: -device %s,help: '%s' is not a valid device model name\n",
				name, name);
			return;
		}
		if (!cls->props || !cls->props->name) {
			printf("There are no options for %s.\n", name);
			return;
		}
		printf("%s options:\n", name);
		for (const struct prop *p = cls->props; p->name; p++) {
			char left[64];
			snprintf(left, sizeof(left), "%s=<%s>", p->name, prop_type_name(p->type));
			printf("  %-24s", left);
			if (p->desc)
				printf(" - %s", p->desc);
			if (p->def)
				printf(" (default: %s)", p->def);
			printf("\n");
		}
		return;
	}
	/* Grouped by bus as QEMU groups by category. */
	static const struct {
		const char *bus, *title;
	} groups[] = {
		{ "sys", "Controller/Bridge/Hub devices" },
		{ "isa", "Misc devices" },
		{ "pci", "PCI devices" },
		{ "virtio-serial-bus", "Input devices" },
	};
	int printed = 0;
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		int any = 0;
		for (int i = 0; device_classes[i]; i++) {
			const struct device_class *c = device_classes[i];
			if (!c->user_creatable || !c->bus || strcmp(c->bus, groups[g].bus))
				continue;
			if (!any)
				printf("%s%s:\n", printed ? "\n" : "", groups[g].title);
			any = printed = 1;
			printf("name \"%s\", bus %s", c->name, !strcmp(c->bus, "sys") ? "System" : !strcmp(c->bus, "isa") ? "ISA" : !strcmp(c->bus, "pci") ? "PCI" : c->bus);
			if (c->desc)
				printf(", desc \"%s\"", c->desc);
			printf("\n");
		}
	}
}
