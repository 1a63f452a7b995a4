/* A fake core for the device unit tests (see hw_fake.h). */
#include "hw_fake.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/opts.h"

/* Per test process: the tests are single-threaded, so the "current vCPU"
 * of the fake is a plain thread-local. */
static __thread struct vcpu *fake_self;

extern const struct device_class i8259_class, ioapic_class, lapic_class, pc_intc_class;
extern const struct device_class i8254_class, rtc_class, hpet_class;
extern const struct device_class isa_serial_class, isa_debugcon_class, isa_debug_exit_class;
extern const struct device_class i8042_class, port92_class;
static const struct device_class *const fake_classes[] = {
	&pc_intc_class, &i8259_class, &ioapic_class, &lapic_class, &i8254_class, &rtc_class, &hpet_class,
	&isa_serial_class, &isa_debugcon_class, &isa_debug_exit_class, &i8042_class, &port92_class, NULL,
};

struct fake_loop {
	int64_t now;
	struct timer *timers;
};

struct vm *fake_vm_new(int ncpus)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	pthread_mutex_init(&vm->lock, NULL);
	vm->pio_map = calloc(65536, sizeof(*vm->pio_map));
	vm->loop = (struct loop *)calloc(1, sizeof(struct fake_loop));
	vm->a20_mask = ~0ull;
	vm->ncpus = ncpus;
	for (int i = 0; i < ncpus; i++) {
		struct vcpu *v = calloc(1, sizeof(*v));
		v->vm = vm;
		v->index = i;
		v->apic_id = i;
		v->cpu.features[FW_1_ECX] = 1u << 21; /* x2apic */
		vm->vcpus[i] = v;
	}
	return vm;
}

void fake_vm_free(struct vm *vm)
{
	struct device *d = vm->devices;
	while (d) {
		struct device *n = d->next;
		if (d->cls->unrealize)
			d->cls->unrealize(d);
		for (const struct prop *p = d->cls->props; p && p->name; p++)
			if (p->type == PROP_STR)
				free(*(char **)((char *)d + p->offset));
		free(d->id);
		free(d);
		d = n;
	}
	for (int i = 0; i < vm->nregions; i++)
		free(vm->regions[i]);
	free(vm->regions);
	for (int i = 0; i < 65536; i++) {
		struct pio_region *r = vm->pio_map[i];
		if (!r)
			continue;
		for (uint32_t j = 0; j < r->len; j++)
			vm->pio_map[r->base + j] = NULL;
		free(r);
	}
	free(vm->pio_map);
	struct chardev *c = vm->chardevs;
	while (c) {
		struct chardev *n = c->next;
		free(c);
		c = n;
	}
	for (int i = 0; i < vm->ncpus; i++)
		free(vm->vcpus[i]);
	free(vm->loop);
	free(vm);
}

/* --- clock and timers ---------------------------------------------- */

int64_t vm_clock_ns(struct vm *vm)
{
	return ((struct fake_loop *)vm->loop)->now;
}

void timer_init(struct timer *t, struct vm *vm, timer_cb cb, void *opaque)
{
	t->vm = vm;
	t->cb = cb;
	t->opaque = opaque;
	t->expire = -1;
	t->next = NULL;
}

static void timer_unlink(struct timer *t)
{
	struct fake_loop *l = (struct fake_loop *)t->vm->loop;
	for (struct timer **pp = &l->timers; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	t->next = NULL;
}

void timer_mod(struct timer *t, int64_t expire)
{
	timer_unlink(t);
	struct fake_loop *l = (struct fake_loop *)t->vm->loop;
	t->expire = expire < 0 ? 0 : expire;
	t->next = l->timers;
	l->timers = t;
}

void timer_del(struct timer *t)
{
	if (!t->vm)
		return;
	timer_unlink(t);
	t->expire = -1;
}

static struct timer *fake_earliest(struct fake_loop *l)
{
	struct timer *best = NULL;
	for (struct timer *t = l->timers; t; t = t->next)
		if (!best || t->expire < best->expire)
			best = t;
	return best;
}

void fake_set_clock(struct vm *vm, int64_t ns)
{
	struct fake_loop *l = (struct fake_loop *)vm->loop;
	for (;;) {
		struct timer *t = fake_earliest(l);
		if (!t || t->expire > ns)
			break;
		if (t->expire > l->now)
			l->now = t->expire;
		timer_unlink(t);
		t->expire = -1;
		t->cb(t->opaque);
	}
	l->now = ns;
}

void fake_advance(struct vm *vm, int64_t ns)
{
	fake_set_clock(vm, vm_clock_ns(vm) + ns);
}

/* --- vCPUs and VM requests ----------------------------------------- */

struct vcpu *vcpu_self(void)
{
	return fake_self;
}

void fake_set_self(struct vcpu *v)
{
	fake_self = v;
}

void vcpu_kick(struct vcpu *v, unsigned req)
{
	atomic_fetch_or(&v->req, req);
}

unsigned fake_take_req(struct vcpu *v)
{
	return atomic_exchange(&v->req, 0);
}

struct vcpu *vm_vcpu_by_apic_id(struct vm *vm, uint32_t apic_id)
{
	for (int i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i]->apic_id == apic_id)
			return vm->vcpus[i];
	return NULL;
}

void vm_request(struct vm *vm, enum vm_event ev)
{
	vm->event = ev;
}

void vm_log(struct vm *vm, unsigned flag, const char *fmt, ...)
{
	if (!getenv("HW_TEST_LOG"))
		return;
	va_list ap;
	va_start(ap, fmt);
	printf("# log: ");
	vprintf(fmt, ap);
	va_end(ap);
}

/* --- port I/O and MMIO --------------------------------------------- */

struct pio_region *pio_add(struct vm *vm, const char *name, uint16_t base, uint32_t len,
			   const struct io_ops *ops, void *opaque)
{
	if (!len || base + len > 65536)
		return NULL;
	for (uint32_t i = 0; i < len; i++)
		if (vm->pio_map[base + i]) {
			errno = EBUSY;
			return NULL;
		}
	struct pio_region *r = calloc(1, sizeof(*r));
	*r = (struct pio_region){ name, base, len, ops, opaque };
	for (uint32_t i = 0; i < len; i++)
		vm->pio_map[base + i] = r;
	return r;
}

void pio_del(struct vm *vm, struct pio_region *r)
{
	for (uint32_t i = 0; i < r->len; i++)
		vm->pio_map[r->base + i] = NULL;
	free(r);
}

static unsigned min_sz(const struct io_ops *o) { return o->min_size ? o->min_size : 1; }
static unsigned max_sz(const struct io_ops *o) { return o->max_size ? o->max_size : 4; }

uint32_t pio_read(struct vm *vm, uint16_t port, unsigned size)
{
	struct pio_region *r = vm->pio_map[port];
	if (!r)
		return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	if (size > max_sz(r->ops)) {
		/* split: little-endian pieces */
		unsigned piece = max_sz(r->ops);
		uint32_t v = 0;
		for (unsigned i = 0; i < size; i += piece)
			v |= pio_read(vm, port + i, piece) << (8 * i);
		return v;
	}
	return (uint32_t)r->ops->read(r->opaque, port - r->base, size < min_sz(r->ops) ? min_sz(r->ops) : size);
}

void pio_write(struct vm *vm, uint16_t port, uint32_t val, unsigned size)
{
	struct pio_region *r = vm->pio_map[port];
	if (!r)
		return;
	if (size > max_sz(r->ops)) {
		unsigned piece = max_sz(r->ops);
		for (unsigned i = 0; i < size; i += piece)
			pio_write(vm, port + i, val >> (8 * i), piece);
		return;
	}
	r->ops->write(r->opaque, port - r->base, val, size);
}

struct mem_region *mem_add_mmio(struct vm *vm, const char *name, uint64_t base, uint64_t size,
				const struct io_ops *ops, void *opaque, int priority)
{
	struct mem_region *r = calloc(1, sizeof(*r));
	*r = (struct mem_region){ name, base, size, MEM_MMIO, NULL, ops, opaque, priority };
	vm->regions = realloc(vm->regions, sizeof(*vm->regions) * (vm->nregions + 1));
	vm->regions[vm->nregions++] = r;
	return r;
}

struct mem_region *mem_find(struct vm *vm, uint64_t paddr)
{
	struct mem_region *best = NULL;
	for (int i = 0; i < vm->nregions; i++) {
		struct mem_region *r = vm->regions[i];
		if (paddr >= r->base && paddr - r->base < r->size && (!best || r->priority > best->priority))
			best = r;
	}
	return best;
}

uint64_t fake_mmio_read(struct vm *vm, uint64_t addr, unsigned size)
{
	struct mem_region *r = mem_find(vm, addr);
	if (!r)
		return ~0ull;
	return r->ops->read(r->opaque, addr - r->base, size);
}

void fake_mmio_write(struct vm *vm, uint64_t addr, uint64_t val, unsigned size)
{
	struct mem_region *r = mem_find(vm, addr);
	if (r)
		r->ops->write(r->opaque, addr - r->base, val, size);
}

/* --- chardevs ------------------------------------------------------ */

struct chardev *fake_chardev(struct vm *vm, const char *id)
{
	struct chardev *c = calloc(1, sizeof(*c));
	c->vm = vm;
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->next = vm->chardevs;
	vm->chardevs = c;
	return c;
}

struct chardev *chardev_find(struct vm *vm, const char *id)
{
	for (struct chardev *c = vm->chardevs; c; c = c->next)
		if (!strcmp(c->id, id))
			return c;
	return NULL;
}

const char *chardev_id(struct chardev *chr)
{
	return chr->id;
}

int chardev_attach(struct chardev *chr, const struct chardev_fe *fe, struct error **errp)
{
	if (chr->attached) {
		error_setg(errp, "Device '%s' is in use", chr->id);
		return -EBUSY;
	}
	chr->fe = *fe;
	chr->attached = 1;
	return 0;
}

void chardev_detach(struct chardev *chr, void *fe_opaque)
{
	if (chr->attached && chr->fe.opaque == fe_opaque)
		chr->attached = 0;
}

size_t chardev_write(struct chardev *chr, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len && chr->outlen < sizeof(chr->out); i++)
		chr->out[chr->outlen++] = buf[i];
	return len;
}

void chardev_accept_input(struct chardev *chr)
{
}

size_t fake_chardev_input(struct chardev *c, const void *buf, size_t len)
{
	if (!c->attached)
		return 0;
	size_t n = c->fe.can_receive(c->fe.opaque);
	if (n > len)
		n = len;
	if (n)
		c->fe.receive(c->fe.opaque, buf, n);
	return n;
}

/* --- devices ------------------------------------------------------- */

static int fake_set_prop(struct vm *vm, struct device *d, const struct prop *p, const char *val,
			 struct error **errp)
{
	void *f = (char *)d + p->offset;
	uint64_t v = 0;
	switch (p->type) {
	case PROP_BOOL: {
		int b = parse_bool(val);
		if (b < 0)
			goto bad;
		*(bool *)f = b;
		return 0;
	}
	case PROP_U8: case PROP_U16: case PROP_U32: case PROP_U64: case PROP_SIZE:
		if (parse_u64(val, &v))
			goto bad;
		if (p->type == PROP_U8) *(uint8_t *)f = v;
		else if (p->type == PROP_U16) *(uint16_t *)f = v;
		else if (p->type == PROP_U32) *(uint32_t *)f = v;
		else *(uint64_t *)f = v;
		return 0;
	case PROP_STR:
		free(*(char **)f);
		*(char **)f = strdup(val);
		return 0;
	case PROP_CHARDEV:
		*(struct chardev **)f = chardev_find(vm, val);
		if (!*(struct chardev **)f) {
			error_setg(errp, "Property '%s.%s' can't find value '%s'", d->cls->name, p->name, val);
			return -1;
		}
		return 0;
	default:
		break;
	}
bad:
	error_setg(errp, "Property '%s.%s' doesn't take value '%s'", d->cls->name, p->name, val);
	return -1;
}

const struct device_class *device_class_find(const char *name)
{
	for (int i = 0; fake_classes[i]; i++)
		if (!strcmp(fake_classes[i]->name, name))
			return fake_classes[i];
	return NULL;
}

struct device *device_create(struct vm *vm, const char *name, struct opts *props, struct error **errp)
{
	const struct device_class *cls = device_class_find(name);
	if (!cls) {
		error_setg(errp, "'%s' is not a valid device model name", name);
		return NULL;
	}
	struct device *d = calloc(1, cls->size);
	d->cls = cls;
	d->vm = vm;
	for (const struct prop *p = cls->props; p && p->name; p++)
		if (p->def && fake_set_prop(vm, d, p, p->def, errp))
			goto fail;
	for (int i = 0; props && i < props->n; i++) {
		const struct prop *p = cls->props;
		while (p && p->name && strcmp(p->name, props->v[i].key))
			p++;
		if (!p || !p->name) {
			error_setg(errp, "Property '%s.%s' not found", name, props->v[i].key);
			goto fail;
		}
		if (fake_set_prop(vm, d, p, props->v[i].val, errp))
			goto fail;
	}
	if (cls->realize && cls->realize(d, errp) < 0)
		goto fail;
	struct device **pp = &vm->devices;
	while (*pp)
		pp = &(*pp)->next;
	*pp = d;
	return d;
fail:
	free(d);
	return NULL;
}

void device_reset_all(struct vm *vm)
{
	for (struct device *d = vm->devices; d; d = d->next)
		if (d->cls->reset)
			d->cls->reset(d);
}

struct device *fake_create(struct vm *vm, const char *name, const char *opts)
{
	struct error *err = NULL;
	struct opts *o = opts ? opts_parse(opts, NULL, &err) : NULL;
	struct device *d = (opts && !o) ? NULL : device_create(vm, name, o, &err);
	opts_free(o);
	if (!d) {
		printf("# fake_create %s: %s\n", name, err ? err->msg : "?");
		error_free(err);
	}
	return d;
}
