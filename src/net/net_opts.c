/*
 * The network options of QEMU's command line: -netdev, -nic, the legacy
 * -net, and the lookup behind a NIC's netdev= property.  Messages follow
 * QEMU 7.2 (observed) so scripts and users see the same errors.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/device.h"
#include "core/vm.h"
#include "net/net_int.h"
#include "util/error.h"
#include "util/opts.h"

const char *const net_nic_models[] = { "virtio-net-pci", NULL };

const char *net_nic_model(const char *model)
{
	static const struct {
		const char *alias, *name;
	} aliases[] = {
		{ "virtio-net-pci", "virtio-net-pci" },
		{ "virtio", "virtio-net-pci" },
		{ "virtio-net", "virtio-net-pci" },
		{ "virtio-net-pci-transitional", "virtio-net-pci-transitional" },
		{ "virtio-net-pci-non-transitional", "virtio-net-pci-non-transitional" },
	};
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(model, aliases[i].alias))
			return aliases[i].name;
	return NULL;
}

static void print_models(void)
{
	printf("Supported NIC models:\n");
	for (int i = 0; net_nic_models[i]; i++)
		printf("%s\n", net_nic_models[i]);
}

void net_print_help(void)
{
	printf("Available netdev backend types:\nsocket\nhubport\ntap\nuser\n");
}

int net_opts_each(struct opts *o, const char *key, int (*fn)(void *ctx, const char *val, struct error **errp),
                  void *ctx, struct error **errp)
{
	for (int i = 0; i < o->n; i++) {
		if (strcmp(o->v[i].key, key))
			continue;
		o->v[i].used = true;
		if (fn(ctx, o->v[i].val, errp) < 0)
			return -1;
	}
	return 0;
}

typedef struct net_client *backend_new_fn(struct vm *vm, struct opts *o, const char *name, struct error **errp);

static backend_new_fn *backend_find(const char *type, bool *known)
{
	/* Types QEMU 7.2 has that lemu does not implement: a clear refusal
	 * instead of "does not accept value". */
	static const char *const unsupported[] = { "stream", "dgram", "l2tpv3", "bridge", "vde", "vhost-user",
		                                   "vhost-vdpa", "netmap", "af-xdp", NULL };
	*known = false;
	if (!strcmp(type, "user"))
		return net_user_new;
	if (!strcmp(type, "tap"))
		return net_tap_new;
	if (!strcmp(type, "socket"))
		return net_socket_new;
	if (!strcmp(type, "hubport"))
		return net_hubport_new;
	for (int i = 0; unsupported[i]; i++)
		if (!strcmp(type, unsupported[i]))
			*known = true;
	return NULL;
}

/* Create the backend of type `type` from o, named name; check leftovers. */
static struct net_client *backend_create(struct vm *vm, const char *type, struct opts *o, const char *name,
                                         bool allow_hubport, struct error **errp)
{
	bool known;
	backend_new_fn *fn = backend_find(type, &known);
	if (!fn || (!allow_hubport && fn == net_hubport_new)) {
		if (known)
			error_setg(errp, "network backend '%s' is not supported by lemu", type);
		else
			error_setg(errp, "Parameter 'type' does not accept value '%s'", type);
		return NULL;
	}
	/* Unknown parameters first, as QEMU validates before creating. */
	struct error *e = NULL;
	struct net_client *nc = fn(vm, o, name, &e);
	if (!nc) {
		error_propagate(errp, e);
		return NULL;
	}
	if (opts_check_unused(o, errp) < 0) {
		net_backend_free(nc);
		return NULL;
	}
	return nc;
}

int net_netdev_add(struct vm *vm, const char *optstr, struct error **errp)
{
	struct opts *o = opts_parse(optstr, "type", errp);
	if (!o)
		return -1;
	int ret = -1;
	const char *type = opts_get(o, "type");
	const char *id = opts_get(o, "id");
	if (!type) {
		error_setg(errp, "Parameter 'type' is missing");
		goto out;
	}
	if (!id) {
		error_setg(errp, "Parameter 'id' is missing");
		goto out;
	}
	if (!id_wellformed(id)) {
		error_setg(errp, "Parameter 'id' expects an identifier\n"
		                 "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.");
		goto out;
	}
	if (net_client_find(vm, id)) {
		error_setg(errp, "Duplicate ID '%s' for netdev", id);
		goto out;
	}
	if (backend_create(vm, type, o, id, true, errp))
		ret = 0;
out:
	opts_free(o);
	return ret;
}

static int nic_request(struct vm *vm, const char *model, const char *netdev, const char *mac, const char *id,
                       struct error **errp)
{
	struct net_state *ns = net_state_get(vm);
	struct net_nic_req *r = calloc(1, sizeof(*r));
	if (!ns || !r) {
		free(r);
		error_setg(errp, "out of memory");
		return -1;
	}
	r->model = strdup(model);
	r->netdev = strdup(netdev);
	r->mac = mac ? strdup(mac) : NULL;
	r->id = id ? strdup(id) : NULL;
	*ns->nics_tail = r;
	ns->nics_tail = &r->next;
	return 0;
}

/* model= of -nic / -net nic: 1 when "help" was printed, 0, or -1. */
static int check_model(const char *model, const char **canon, struct error **errp)
{
	if (!strcmp(model, "help") || !strcmp(model, "?")) {
		print_models();
		return 1;
	}
	*canon = net_nic_model(model);
	if (!*canon) {
		error_setg(errp, "Unsupported NIC model: %s", model);
		return -1;
	}
	return 0;
}

static int check_mac(const char *mac, const char *key, struct error **errp)
{
	uint8_t m[6];
	if (mac && net_parse_mac(mac, m) < 0) {
		error_setg(errp, "Parameter '%s' expects a MAC address", key);
		return -1;
	}
	return 0;
}

int net_nic_add(struct vm *vm, const char *optstr, struct error **errp)
{
	struct opts *o = opts_parse(optstr, "type", errp);
	if (!o)
		return -1;
	int ret = -1;
	const char *type = opts_get(o, "type");
	const char *model = opts_get(o, "model");
	const char *mac = opts_get(o, "mac");
	const char *id = opts_get(o, "id");
	const char *canon = "virtio-net-pci"; /* lemu's default NIC (QEMU's pc: e1000) */
	if (model) {
		ret = check_model(model, &canon, errp);
		if (ret)
			goto out;
		ret = -1;
	}
	if (check_mac(mac, "mac", errp) < 0)
		goto out;
	if (!type) {
		error_setg(errp, "Parameter 'type' is missing");
		goto out;
	}
	if (!strcmp(type, "none")) {
		ret = opts_check_unused(o, errp);
		goto out;
	}
	struct net_state *ns = net_state_get(vm);
	char auto_id[32];
	if (!id) {
		snprintf(auto_id, sizeof(auto_id), "__org.qemu.nic%u", ns->nic_auto++);
		id = auto_id;
	} else if (net_client_find(vm, id)) {
		error_setg(errp, "Duplicate ID '%s' for netdev", id);
		goto out;
	}
	if (!backend_create(vm, type, o, id, false, errp))
		goto out;
	ret = nic_request(vm, canon, id, mac, NULL, errp);
out:
	opts_free(o);
	return ret;
}

int net_legacy_add(struct vm *vm, const char *optstr, struct error **errp)
{
	struct opts *o = opts_parse(optstr, "type", errp);
	if (!o)
		return -1;
	int ret = -1;
	const char *type = opts_get(o, "type");
	const char *name = opts_get(o, "name");
	const char *id = opts_get(o, "id");
	struct net_state *ns = net_state_get(vm);
	if (!type) {
		error_setg(errp, "Parameter 'type' is missing");
		goto out;
	}
	if (opts_has(o, "vlan")) {
		/* Removed in QEMU 3.0: hub 0 is implied. */
		error_setg(errp, "Invalid parameter 'vlan'");
		goto out;
	}
	if (!strcmp(type, "none")) {
		ret = opts_check_unused(o, errp);
		goto out;
	}
	if (!strcmp(type, "nic")) {
		const char *model = opts_get(o, "model");
		const char *mac = opts_get(o, "macaddr");
		const char *netdev = opts_get(o, "netdev");
		const char *canon = "virtio-net-pci";
		if (model) {
			ret = check_model(model, &canon, errp);
			if (ret)
				goto out;
			ret = -1;
		}
		if (check_mac(mac, "macaddr", errp) < 0 || opts_check_unused(o, errp) < 0)
			goto out;
		char port[32];
		if (!netdev) {
			struct net_client *p = net_hub_add_port(vm, 0, NULL, errp);
			if (!p)
				goto out;
			snprintf(port, sizeof(port), "%s", p->name);
			netdev = port;
		} else if (!net_client_find(vm, netdev)) {
			error_setg(errp, "Property 'virtio-net-device.netdev' can't find value '%s'", netdev);
			goto out;
		}
		ret = nic_request(vm, canon, netdev, mac, id ? id : name, errp);
		goto out;
	}
	char auto_name[40];
	if (!name)
		name = id;
	if (!name) {
		/* QEMU's names for -net backends: "user.0", "tap.1", ... */
		snprintf(auto_name, sizeof(auto_name), "%s.%u", type, ns->legacy_auto[0]++);
		name = auto_name;
	}
	if (net_client_find(vm, name)) {
		error_setg(errp, "Duplicate ID '%s' for net", name);
		goto out;
	}
	struct net_client *nc = backend_create(vm, type, o, name, false, errp);
	if (!nc)
		goto out;
	struct net_client *port = net_hub_add_port(vm, 0, NULL, errp);
	if (!port)
		goto out;
	net_client_connect(port, nc);
	ret = 0;
out:
	opts_free(o);
	return ret;
}

struct net_client *net_netdev_lookup(struct vm *vm, const char *id, bool *in_use)
{
	*in_use = false;
	struct net_client *nc = net_client_find(vm, id);
	if (!nc || nc->ops->kind == NET_CLIENT_NIC)
		return NULL;
	if (nc->peer) {
		*in_use = true;
		return NULL;
	}
	return nc;
}

int net_create_nics(struct vm *vm, struct error **errp)
{
	if (!vm->net)
		return 0;
	for (struct net_nic_req *r = vm->net->nics; r; r = r->next) {
		struct opts *o = opts_parse(r->model, "driver", errp);
		if (!o)
			return -1;
		opts_set(o, "netdev", r->netdev);
		if (r->mac)
			opts_set(o, "mac", r->mac);
		if (r->id)
			opts_set(o, "id", r->id);
		struct device *d = device_create(vm, r->model, o, errp);
		opts_free(o);
		if (!d)
			return -1;
	}
	return 0;
}

void net_check_clients(struct vm *vm)
{
	if (!vm->net)
		return;
	for (struct net_client *nc = vm->net->clients; nc; nc = nc->next) {
		if (nc->peer)
			continue;
		if (nc->ops->kind == NET_CLIENT_NIC)
			fprintf(stderr, "lemu-system-x86_64: warning: nic %s has no peer\n", nc->name);
		else if (!nc->from_cmdline)
			continue;
		else if (nc->ops->kind == NET_CLIENT_HUBPORT)
			fprintf(stderr, "lemu-system-x86_64: warning: hub port %s has no peer\n", nc->name);
		else
			fprintf(stderr, "lemu-system-x86_64: warning: netdev %s has no peer\n", nc->name);
	}
}

void net_cleanup(struct vm *vm)
{
	struct net_state *ns = vm ? vm->net : NULL;
	if (!ns)
		return;
	/* Backends first (their fds and timers); NICs stay with their
	 * devices but lose their peer. */
	for (;;) {
		struct net_client *nc = ns->clients;
		while (nc && !nc->from_cmdline)
			nc = nc->next;
		if (!nc)
			break;
		net_backend_free(nc);
	}
	while (ns->clients) {
		struct net_client *nc = ns->clients;
		ns->clients = nc->next;
		nc->next = NULL;
		if (nc->peer)
			nc->peer->peer = NULL;
		nc->peer = NULL;
	}
	net_hubs_free(vm);
	while (ns->nics) {
		struct net_nic_req *r = ns->nics;
		ns->nics = r->next;
		free(r->model);
		free(r->netdev);
		free(r->mac);
		free(r->id);
		free(r);
	}
	free(ns);
	vm->net = NULL;
}
