/*
 * Device model.  A device type is a `struct device_class` listed in the one
 * explicit table (src/hw/devices.c); an instance embeds `struct device`
 * first.  -device NAME,prop=val,... creates one: device_create allocates
 * cls->size bytes, applies property defaults then the options, and calls
 * realize.  Device cores know nothing of their bus: a UART core plus an ISA
 * glue file, as the design guide says.
 */
#ifndef LEMU_CORE_DEVICE_H
#define LEMU_CORE_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct error;
struct opts;

enum prop_type {
	PROP_BOOL,    /* bool */
	PROP_U8, PROP_U16, PROP_U32, PROP_U64, /* uintN_t; accepts 0x.. */
	PROP_SIZE,    /* uint64_t with k/M/G suffixes */
	PROP_STR,     /* char * (strdup'ed; freed with the device) */
	PROP_CHARDEV, /* struct chardev * looked up by -chardev id */
	PROP_NETDEV,  /* opaque pointer to a netdev looked up by id (issue 5) */
	PROP_DRIVE,   /* opaque pointer to a block backend by id (issue 5) */
};

struct prop {
	const char *name;
	enum prop_type type;
	size_t offset;   /* within the device struct */
	const char *def; /* default as a string, or NULL (zero) */
	const char *desc;
};
#define PROP_END { NULL, 0, 0, NULL, NULL }

struct device;

struct device_class {
	const char *name;
	const char *desc;   /* for -device help */
	const char *bus;    /* "isa", "pci", "sys" (-device help groups by it) */
	size_t size;
	const struct prop *props;
	bool user_creatable; /* may be given with -device */
	int (*realize)(struct device *d, struct error **errp);
	void (*reset)(struct device *d);
	void (*unrealize)(struct device *d);
};

struct device {
	const struct device_class *cls;
	struct vm *vm;
	char *id; /* -device id=, or NULL */
	struct device *next;
};

/* The device table (src/hw/devices.c). */
extern const struct device_class *const device_classes[];
const struct device_class *device_class_find(const char *name);

/* Create and realize a device of class `name` with properties from `props`
 * (may be NULL; keys other than "driver"/"id" must be properties, else
 * "Property 'NAME.KEY' not found").  Returns NULL with errp set. */
struct device *device_create(struct vm *vm, const char *name, struct opts *props, struct error **errp);
/* Set one property from a string (for -global and the machine). */
int device_set_prop(struct device *d, const char *key, const char *val, struct error **errp);
void device_reset_all(struct vm *vm);
void device_destroy_all(struct vm *vm);
/* Hot-unplug: take d out of the VM's list and unrealize it (its backends
 * are released); the memory stays for the caller to device_free() once
 * nothing can refer to it any more (bottom halves scheduled before). */
void device_unplug(struct device *d);
void device_free(struct device *d);
/* `-device help` and `-device NAME,help` output. */
void device_print_help(const char *name);

#endif
