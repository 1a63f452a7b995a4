/*
 * The short string forms of -serial, -monitor, -qmp, -debugcon and
 * -parallel (QEMU's "compat" chardev syntax), turned into the options of
 * a -chardev and created with chardev_new:
 *
 *   stdio  pty  null  none  vc[:WxH]  file:PATH  pipe:PATH  /dev/TTY
 *   tcp:[HOST]:PORT[,server=on|off][,wait=on|off][,nodelay][,reconnect=N]...
 *   telnet:[HOST]:PORT[,...]   unix:PATH[,server][,wait][,reconnect=N]
 *   udp:[REMOTE_HOST]:REMOTE_PORT[@[SRC_IP]:SRC_PORT]
 *   chardev:ID   mon:DEV (DEV behind a mux; the caller adds the monitor)
 */
#include "chardev/chardev_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/opts.h"

static bool strstart(const char *s, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix);
	if (strncmp(s, prefix, n))
		return false;
	if (rest)
		*rest = s + n;
	return true;
}

/* "[HOST]:PORT" or "[V6ADDR]:PORT" at p, ending at end_chars or the string's
 * end.  On success *next points past the port. */
static int legacy_host_port(const char *p, const char *end_chars, char **host, char **port, const char **next)
{
	const char *h = p, *he;
	if (*p == '[') {
		he = strchr(p, ']');
		if (!he || he[1] != ':')
			return -1;
		h = p + 1;
		p = he + 2;
	} else {
		he = strchr(p, ':');
		if (!he)
			return -1;
		size_t stop = strcspn(p, end_chars);
		if ((size_t)(he - p) > stop)
			return -1;
		p = he + 1;
	}
	size_t pl = strcspn(p, end_chars);
	if (!pl)
		return -1;
	*host = strndup(h, (size_t)(he - h));
	*port = strndup(p, pl);
	*next = p + pl;
	return 0;
}

/* Append the options of "k=v,flag,..." to o. */
static int legacy_more_opts(struct opts *o, const char *s, struct error **errp)
{
	struct opts *more = opts_parse(s, NULL, errp);
	if (!more)
		return -1;
	for (int i = 0; i < more->n; i++)
		opts_set(o, more->v[i].key, more->v[i].val);
	opts_free(more);
	return 0;
}

static struct opts *legacy_to_opts(const char *str, struct error **errp)
{
	struct opts *o = opts_parse("", NULL, errp);
	const char *p;
	if (!strcmp(str, "stdio") || !strcmp(str, "pty") || !strcmp(str, "null")) {
		opts_set(o, "backend", str);
		return o;
	}
	/* A virtual console belongs to a graphical display, which lemu does
	 * not have: its output is discarded, as QEMU's is with no display. */
	if (!strcmp(str, "vc") || strstart(str, "vc:", NULL)) {
		opts_set(o, "backend", "null");
		return o;
	}
	if (strstart(str, "file:", &p)) {
		opts_set(o, "backend", "file");
		opts_set(o, "path", p);
		return o;
	}
	if (strstart(str, "pipe:", &p)) {
		opts_set(o, "backend", "pipe");
		opts_set(o, "path", p);
		return o;
	}
	if (strstart(str, "/dev/", NULL)) {
		opts_set(o, "backend", "serial");
		opts_set(o, "path", str);
		return o;
	}
	bool telnet = strstart(str, "telnet:", &p);
	if (telnet || strstart(str, "tcp:", &p)) {
		char *host, *port;
		const char *next;
		if (legacy_host_port(p, ",", &host, &port, &next) < 0) {
			error_setg(errp, "'%s': expected %s:[HOST]:PORT[,OPTIONS]", str, telnet ? "telnet" : "tcp");
			goto fail;
		}
		opts_set(o, "backend", "socket");
		opts_set(o, "host", host);
		opts_set(o, "port", port);
		free(host);
		free(port);
		if (telnet)
			opts_set(o, "telnet", "on");
		if (*next == ',' && legacy_more_opts(o, next + 1, errp) < 0)
			goto fail;
		return o;
	}
	if (strstart(str, "unix:", &p)) {
		if (!*p || *p == ',') {
			error_setg(errp, "'%s': expected unix:PATH[,OPTIONS]", str);
			goto fail;
		}
		opts_free(o);
		o = opts_parse(p, "path", errp);
		if (!o)
			return NULL;
		opts_set(o, "backend", "socket");
		return o;
	}
	if (strstart(str, "udp:", &p)) {
		char *host, *port;
		const char *next;
		/* the remote host may be empty: "udp::4555" */
		if (legacy_host_port(p, "@", &host, &port, &next) < 0) {
			error_setg(errp, "'%s': expected udp:[REMOTE_HOST]:REMOTE_PORT[@[SRC_IP]:SRC_PORT]", str);
			goto fail;
		}
		opts_set(o, "backend", "udp");
		opts_set(o, "host", host);
		opts_set(o, "port", port);
		free(host);
		free(port);
		if (*next == '@') {
			if (legacy_host_port(next + 1, "", &host, &port, &next) < 0) {
				error_setg(errp, "'%s': expected [SRC_IP]:SRC_PORT after '@'", str);
				goto fail;
			}
			opts_set(o, "localaddr", host);
			opts_set(o, "localport", port);
			free(host);
			free(port);
		}
		return o;
	}
	error_setg(errp, "'%s' is not a valid char driver", str);
fail:
	opts_free(o);
	return NULL;
}

struct chardev *chardev_parse_legacy(struct vm *vm, const char *str, const char *id, struct error **errp)
{
	const char *p;
	if (!strcmp(str, "none"))
		return NULL;
	if (strstart(str, "chardev:", &p)) {
		struct chardev *c = chardev_find(vm, p);
		if (!c)
			error_setg(errp, "Chardev '%s' not found", p);
		return c;
	}
	bool mux = strstart(str, "mon:", &p);
	if (mux)
		str = p;
	struct opts *o = legacy_to_opts(str, errp);
	if (!o)
		return NULL;
	opts_set(o, "id", id);
	if (mux)
		opts_set(o, "mux", "on");
	struct chardev *chr = chardev_new(vm, o, errp);
	opts_free(o);
	return chr;
}
