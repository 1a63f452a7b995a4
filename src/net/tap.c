/*
 * -netdev tap: a host TAP interface (Linux /dev/net/tun, IFF_TAP |
 * IFF_NO_PI: one read or write is one Ethernet frame).
 *   ifname=NAME       the interface (created or attached; default tapN)
 *   script=PATH|no    run "PATH ifname" after opening (default /etc/qemu-ifup)
 *   downscript=PATH|no  run at exit (default /etc/qemu-ifdown)
 *   fd=N              an already open tap fd (from a parent process)
 * Where the host has no /dev/net/tun or lemu lacks CAP_NET_ADMIN, the error
 * says which.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/vm.h"
#include "net/net_int.h"
#include "util/error.h"
#include "util/opts.h"

struct tap_state {
	struct net_client *nc;
	struct vm *vm;
	int fd;
	bool held;
	char ifname[IFNAMSIZ];
	char *downscript;
	uint8_t buf[NET_MAX_FRAME];
};

static void tap_io(void *opaque, int revents);

static void tap_watch(struct tap_state *s)
{
	loop_set_fd(s->vm, s->fd, s->held ? 0 : POLLIN, tap_io, s);
}

static void tap_io(void *opaque, int revents)
{
	struct tap_state *s = opaque;
	/* A bounded batch per wake-up, so one busy tap cannot starve the loop. */
	for (int i = 0; i < 64; i++) {
		if (!net_can_send(s->nc)) {
			s->held = true;
			tap_watch(s);
			return;
		}
		ssize_t n = read(s->fd, s->buf, sizeof(s->buf));
		if (n <= 0)
			return;
		net_send(s->nc, s->buf, (size_t)n);
	}
}

static void tap_send_ready(struct net_client *nc)
{
	struct tap_state *s = nc->opaque;
	s->held = false;
	tap_watch(s);
}

static ssize_t tap_receive(struct net_client *nc, const struct iovec *iov, int iovcnt)
{
	struct tap_state *s = nc->opaque;
	size_t len = 0;
	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	/* A full tap queue drops, as a busy interface does. */
	if (writev(s->fd, iov, iovcnt) < 0)
		nc->dropped++;
	return (ssize_t)len;
}

/* Run "script ifname"; 0, or -1 with errp set. */
static int run_script(const char *script, const char *ifname, struct error **errp)
{
	pid_t pid = fork();
	if (pid < 0) {
		error_setg_errno(errp, errno, "could not launch network script %s", script);
		return -1;
	}
	if (pid == 0) {
		/* Only the standard fds go to the script. */
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		execl(script, script, ifname, (char *)NULL);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			error_setg_errno(errp, errno, "waitpid for network script %s", script);
			return -1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		error_setg(errp, "network script %s failed with status %d", script, status);
		return -1;
	}
	return 0;
}

static void tap_cleanup(struct net_client *nc)
{
	struct tap_state *s = nc->opaque;
	if (s->fd >= 0) {
		loop_del_fd(s->vm, s->fd);
		if (s->downscript) {
			struct error *e = NULL;
			if (run_script(s->downscript, s->ifname, &e) < 0) {
				fprintf(stderr, "lemu-system-x86_64: %s\n", e->msg);
				error_free(e);
			}
		}
		close(s->fd);
		s->fd = -1;
	}
	free(s->downscript);
	s->downscript = NULL;
}

static void tap_describe(struct net_client *nc, char *buf, size_t len)
{
	struct tap_state *s = nc->opaque;
	snprintf(buf, len, "ifname=%s", s->ifname);
}

static const struct net_client_ops tap_ops = {
	.kind = NET_CLIENT_TAP,
	.receive = tap_receive,
	.send_ready = tap_send_ready,
	.cleanup = tap_cleanup,
	.describe = tap_describe,
};

static int tap_open(const char *ifname, char *out, struct error **errp)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		error_setg_errno(errp, errno, "could not open /dev/net/tun");
		return -1;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname && *ifname ? ifname : "tap%d");
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		error_setg_errno(errp, e, "could not configure /dev/net/tun (%s)%s", ifr.ifr_name,
		                 e == EPERM ? " (creating a tap interface needs CAP_NET_ADMIN)" : "");
		close(fd);
		return -1;
	}
	snprintf(out, IFNAMSIZ, "%s", ifr.ifr_name);
	return fd;
}

struct net_client *net_tap_new(struct vm *vm, struct opts *o, const char *name, struct error **errp)
{
	const char *fdstr = opts_get(o, "fd");
	const char *ifname = opts_get(o, "ifname");
	const char *script = opts_get(o, "script");
	const char *downscript = opts_get(o, "downscript");
	const char *vnet_hdr = opts_get(o, "vnet_hdr");
	if (opts_has(o, "fds") || opts_has(o, "helper") || opts_has(o, "queues") || opts_has(o, "vhost") ||
	    opts_has(o, "vhostfd") || opts_has(o, "vhostfds") || opts_has(o, "br")) {
		error_setg(errp, "tap: fds=, helper=, queues=, vhost=, vhostfd(s)= and br= are not supported by lemu");
		return NULL;
	}
	if (vnet_hdr && parse_bool(vnet_hdr) == 1) {
		error_setg(errp, "tap: vnet_hdr=on is not supported by lemu (frames are exchanged without it)");
		return NULL;
	}
	if (fdstr && (ifname || script || downscript || vnet_hdr)) {
		error_setg(errp, "ifname=, script=, downscript=, vnet_hdr=, helper=, queues=, fds=, and vhostfds= are "
		                 "invalid with fd=");
		return NULL;
	}
	int fd;
	char ifn[IFNAMSIZ] = "";
	if (fdstr) {
		uint64_t v;
		if (parse_u64(fdstr, &v) < 0 || v > 0x7fffffff || fcntl((int)v, F_GETFD) < 0) {
			error_setg(errp, "Invalid file descriptor %s", fdstr);
			return NULL;
		}
		fd = (int)v;
		struct ifreq ifr;
		if (ioctl(fd, TUNGETIFF, &ifr) == 0)
			snprintf(ifn, sizeof(ifn), "%s", ifr.ifr_name);
	} else {
		if (ifname && strlen(ifname) >= IFNAMSIZ) {
			error_setg(errp, "interface name '%s' is too long", ifname);
			return NULL;
		}
		fd = tap_open(ifname, ifn, errp);
		if (fd < 0)
			return NULL;
		if (!script)
			script = "/etc/qemu-ifup";
		if (!downscript)
			downscript = "/etc/qemu-ifdown";
		if (strcmp(script, "no") && *script && run_script(script, ifn, errp) < 0) {
			close(fd);
			return NULL;
		}
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	struct net_client *nc = net_backend_new(vm, &tap_ops, name, sizeof(struct tap_state));
	if (!nc) {
		close(fd);
		error_setg(errp, "out of memory");
		return NULL;
	}
	struct tap_state *s = nc->opaque;
	s->nc = nc;
	s->vm = vm;
	s->fd = fd;
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifn);
	if (downscript && strcmp(downscript, "no") && *downscript)
		s->downscript = strdup(downscript);
	tap_watch(s);
	return nc;
}
