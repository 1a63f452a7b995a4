/*
 * Hubs: QEMU's replacement of the old "vlans".  A hub is a set of ports;
 * each port is a net client whose peer is a NIC or a backend, and a frame
 * that enters one port leaves through every other one.  -net (without
 * netdev=) puts its NIC and backends on hub 0; -netdev hubport,hubid=N
 * makes ports explicitly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm.h"
#include "net/net_int.h"
#include "util/error.h"
#include "util/opts.h"

struct hub_port {
	struct net_hub *hub;
	struct net_client *nc;
	struct hub_port *next;
};

struct net_hub {
	int id;
	unsigned nports; /* ever created: port names */
	struct hub_port *ports;
	struct net_hub *next;
};

static ssize_t hubport_receive(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	struct hub_port *port = nc->opaque;
	size_t len = 0;
	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	for (struct hub_port *p = port->hub->ports; p; p = p->next)
		if (p != port)
			net_sendv(p->nc, iov, iovcnt);
	return (ssize_t)len;
}

/* A hub port always takes a frame: each destination queues it or drops it
 * under its own bound (a hub has no memory of its own, as QEMU's). */

static void hubport_cleanup(struct net_client *nc)
{
	struct hub_port *port = nc->opaque;
	for (struct hub_port **pp = &port->hub->ports; *pp; pp = &(*pp)->next) {
		if (*pp == port) {
			*pp = port->next;
			break;
		}
	}
}

static void hubport_describe(struct net_client *nc, char *buf, size_t len)
{
	struct hub_port *port = nc->opaque;
	snprintf(buf, len, "hub %d", port->hub->id);
}

static const struct net_client_ops hubport_ops = {
	.kind = NET_CLIENT_HUBPORT,
	.receive = hubport_receive,
	.cleanup = hubport_cleanup,
	.describe = hubport_describe,
};

struct net_client *net_hub_add_port(struct vm *vm, int hubid, const char *name, struct error **errp)
{
	struct net_state *ns = net_state_get(vm);
	if (!ns) {
		error_setg(errp, "out of memory");
		return NULL;
	}
	struct net_hub *hub = ns->hubs;
	while (hub && hub->id != hubid)
		hub = hub->next;
	if (!hub) {
		hub = calloc(1, sizeof(*hub));
		if (!hub) {
			error_setg(errp, "out of memory");
			return NULL;
		}
		hub->id = hubid;
		hub->next = ns->hubs;
		ns->hubs = hub;
	}
	char auto_name[48];
	if (!name) {
		/* QEMU's names: hub0port0, hub0port1, ... */
		snprintf(auto_name, sizeof(auto_name), "hub%dport%u", hubid, hub->nports);
		name = auto_name;
	}
	struct net_client *nc = net_backend_new(vm, &hubport_ops, name, sizeof(struct hub_port));
	if (!nc) {
		error_setg(errp, "out of memory");
		return NULL;
	}
	struct hub_port *port = nc->opaque;
	port->hub = hub;
	port->nc = nc;
	struct hub_port **pp = &hub->ports;
	while (*pp)
		pp = &(*pp)->next;
	*pp = port;
	hub->nports++;
	return nc;
}

void net_hubs_free(struct vm *vm)
{
	if (!vm->net)
		return;
	while (vm->net->hubs) {
		struct net_hub *h = vm->net->hubs;
		vm->net->hubs = h->next;
		free(h);
	}
}

/* -netdev hubport,id=ID,hubid=N[,netdev=BACKEND] */
struct net_client *net_hubport_new(struct vm *vm, struct opts *o, const char *name, struct error **errp)
{
	const char *hubid = opts_get(o, "hubid");
	if (!hubid) {
		error_setg(errp, "Parameter 'hubid' is missing");
		return NULL;
	}
	uint64_t id;
	if (parse_u64(hubid, &id) < 0 || id > 0x7fffffff) {
		error_setg(errp, "Parameter 'hubid' expects int32");
		return NULL;
	}
	const char *nd = opts_get(o, "netdev");
	struct net_client *backend = NULL;
	if (nd) {
		backend = net_client_find(vm, nd);
		if (!backend || backend->ops->kind == NET_CLIENT_NIC) {
			error_setg(errp, "Device '%s' not found", nd);
			return NULL;
		}
		if (backend->peer) {
			error_setg(errp, "Device '%s' is in use", nd);
			return NULL;
		}
	}
	struct net_client *nc = net_hub_add_port(vm, (int)id, name, errp);
	if (nc && backend)
		net_client_connect(nc, backend);
	return nc;
}
