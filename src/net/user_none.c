/* -netdev user without libslirp at build time: a clear refusal. */
#include "net/net_int.h"
#include "util/error.h"

struct net_client *net_user_new(struct vm *vm, struct opts *o, const char *name, struct error **errp)
{
	(void)vm;
	(void)o;
	(void)name;
	error_setg(errp, "this lemu was built without libslirp: -netdev user is not available");
	return NULL;
}

const char *net_user_parse_hostfwd(const char *str, struct net_hostfwd *f)
{
	(void)str;
	(void)f;
	return "built without libslirp";
}
