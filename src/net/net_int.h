/* Private parts of the network layer shared by the files of src/net. */
#ifndef LEMU_NET_NET_INT_H
#define LEMU_NET_NET_INT_H

#include <netinet/in.h>

#include "net/net.h"

struct net_hub;

/* A NIC asked for by -nic or -net nic, created by net_create_nics. */
struct net_nic_req {
	struct net_nic_req *next;
	char *model;
	char *netdev; /* id of the backend or hub port */
	char *mac;    /* NULL: the device's default */
	char *id;     /* device id (-net nic,name=) or NULL */
};

/* Per-VM state, vm->net (allocated on first use). */
struct net_state {
	struct net_client *clients; /* every client, in creation order */
	struct net_hub *hubs;
	struct net_nic_req *nics, **nics_tail;
	unsigned nic_auto;  /* -nic backends: __org.qemu.nicN */
	unsigned legacy_auto[8];
	unsigned mac_index; /* default MACs handed out */
};

struct net_state *net_state_get(struct vm *vm);

/* Allocate a command-line backend: a net client followed by `size` bytes of
 * zeroed backend state (nc->opaque), registered under `name`. */
struct net_client *net_backend_new(struct vm *vm, const struct net_client_ops *ops, const char *name,
                                   size_t size);
/* Free one (ops->cleanup first). */
void net_backend_free(struct net_client *nc);
struct net_client *net_client_find(struct vm *vm, const char *name);

/* Backend constructors: parse their options from o (type and id already
 * consumed), create the client named `name`.  NULL with errp set. */
struct net_client *net_user_new(struct vm *vm, struct opts *o, const char *name, struct error **errp);
struct net_client *net_tap_new(struct vm *vm, struct opts *o, const char *name, struct error **errp);
struct net_client *net_socket_new(struct vm *vm, struct opts *o, const char *name, struct error **errp);
struct net_client *net_hubport_new(struct vm *vm, struct opts *o, const char *name, struct error **errp);

/* Hubs (hub.c): a new port of hub `hubid` (created on first use). */
struct net_client *net_hub_add_port(struct vm *vm, int hubid, const char *name, struct error **errp);
void net_hubs_free(struct vm *vm);

/* The opts entries of a repeatable key, in order (marks them used). */
int net_opts_each(struct opts *o, const char *key, int (*fn)(void *ctx, const char *val, struct error **errp),
                  void *ctx, struct error **errp);

/* "host:port" (host may be empty or a name): fills sa (IPv4).  0, or -1
 * with QEMU's message in errp. */
struct sockaddr_in;
int net_parse_host_port(struct sockaddr_in *sa, const char *str, bool empty_host_any, struct error **errp);

/* hostfwd=tcp|udp:[hostaddr]:hostport-[guestaddr]:guestport (user.c).
 * Addresses in network order; 0 = any / the first DHCP address.  Returns
 * NULL, or the reason in QEMU's words ("Bad host port"). */
struct net_hostfwd {
	bool udp;
	struct in_addr host, guest;
	int host_port, guest_port;
};
const char *net_user_parse_hostfwd(const char *str, struct net_hostfwd *f);

#endif
