/*
 * QMP sessions: the greeting, splitting the input stream into JSON texts,
 * request checking and dispatch with QEMU 7.2's error classes and wording
 * (docs/interop/qmp-spec.txt: 2.2 greeting, 2.3 commands, 2.4 replies,
 * 2.5 events; 4 capability negotiation), and replies with CRLF line ends.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm.h"
#include "lemu-config.h"
#include "monitor/monitor_int.h"
#include "util/error.h"

/* ---- the stream splitter ------------------------------------------------------ */

void json_streamer_reset(struct json_streamer *js)
{
	js->buf.len = 0;
	js->depth = 0;
	js->in_str = js->esc = js->garbage = js->skip_to_nl = false;
}

static bool is_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void stray(struct json_streamer *js, json_msg_fn fn, void *opaque)
{
	char msg[96];
	snprintf(msg, sizeof(msg), "JSON parse error, stray '%.*s'",
	         (int)(js->buf.len > 32 ? 32 : js->buf.len), js->buf.s ? js->buf.s : "");
	js->garbage = false;
	js->buf.len = 0;
	fn(opaque, NULL, 0, msg);
}

void json_streamer_feed(struct json_streamer *js, const uint8_t *buf, size_t len, json_msg_fn fn,
                        void *opaque)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = buf[i];
		if (js->skip_to_nl) {
			if (c == '\n')
				js->skip_to_nl = false;
			continue;
		}
		if (js->depth == 0) {
			if (js->garbage) {
				if (!is_ws(c) && c != '{' && c != '[') {
					if (js->buf.len < 64)
						sb_add(&js->buf, (const char *)&c, 1);
					continue;
				}
				stray(js, fn, opaque);
			}
			if (is_ws(c))
				continue;
			js->buf.len = 0;
			sb_add(&js->buf, (const char *)&c, 1);
			if (c == '{' || c == '[') {
				js->depth = 1;
				js->in_str = js->esc = false;
			} else {
				js->garbage = true;
			}
			continue;
		}
		sb_add(&js->buf, (const char *)&c, 1);
		if (js->in_str) {
			if (js->esc)
				js->esc = false;
			else if (c == '\\')
				js->esc = true;
			else if (c == '"')
				js->in_str = false;
		} else if (c == '"') {
			js->in_str = true;
		} else if (c == '{' || c == '[') {
			js->depth++;
		} else if (c == '}' || c == ']') {
			if (--js->depth == 0) {
				fn(opaque, js->buf.s, js->buf.len, NULL);
				js->buf.len = 0;
				continue;
			}
		}
		if (js->depth > QMP_MAX_DEPTH || js->buf.len > QMP_MAX_MSG) {
			bool nl = c == '\n';
			json_streamer_reset(js);
			js->skip_to_nl = !nl;
			fn(opaque, NULL, 0,
			   "JSON parse error, message too large or too deeply nested");
		}
	}
}

/* ---- replies ----------------------------------------------------------------- */

static const char *const class_names[] = {
	[ERROR_CLASS_GENERIC] = "GenericError",
	[ERROR_CLASS_COMMAND_NOT_FOUND] = "CommandNotFound",
	[ERROR_CLASS_DEVICE_NOT_ACTIVE] = "DeviceNotActive",
	[ERROR_CLASS_DEVICE_NOT_FOUND] = "DeviceNotFound",
	[ERROR_CLASS_KVM_MISSING_CAP] = "KVMMissingCap",
};

static json_t *error_obj(int cls, const char *msg)
{
	const char *name = (unsigned)cls < sizeof(class_names) / sizeof(class_names[0]) ?
	                           class_names[cls] :
	                           "GenericError";
	json_t *r = json_object();
	json_object_set_new(r, "error", json_pack("{s:s,s:s}", "class", name, "desc", msg));
	return r;
}

json_t *qmp_error_reply(int cls, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_obj(cls, msg);
}

void qmp_send(struct monitor *mon, json_t *msg)
{
	char *s = json_dumps(msg, (mon->pretty ? JSON_INDENT(4) : 0) | JSON_PRESERVE_ORDER |
	                                  JSON_ENCODE_ANY);
	if (!s) /* never expected: every reply is built from valid strings; say so, not silence */
		s = strdup("{\"error\": {\"class\": \"GenericError\", \"desc\": "
		           "\"the reply could not be encoded as JSON\"}}");
	if (!s)
		return;
	monitor_write(mon, s, strlen(s));
	monitor_write(mon, "\r\n", 2);
	free(s);
}

void qmp_greet(struct monitor *mon)
{
	/* QEMU 7.2's greeting; "package" names lemu so that clients can tell. */
	json_t *g = json_pack("{s:{s:{s:{s:i,s:i,s:i},s:s},s:[s]}}", "QMP", "version", "qemu",
	                      "micro", 0, "minor", 2, "major", 7, "package", "lemu " LEMU_VERSION,
	                      "capabilities", "oob");
	qmp_send(mon, g);
	json_decref(g);
}

/* ---- argument checking -------------------------------------------------------- */

static const char *type_word(char t)
{
	switch (t) {
	case 'i': return "integer";
	case 's': return "string";
	case 'b': return "boolean";
	case 'o': return "object";
	case 'l': return "array";
	default: return "value";
	}
}

static bool type_ok(char t, json_t *v)
{
	switch (t) {
	case 'i': return json_is_integer(v);
	case 's': return json_is_string(v);
	case 'b': return json_is_boolean(v);
	case 'o': return json_is_object(v);
	case 'l': return json_is_array(v);
	default: return true;
	}
}

/* QEMU's visitor order: each schema member in turn (missing, wrong type),
 * then members the schema does not have. */
static int check_args(const struct qmp_cmd *c, json_t *args, struct error **errp)
{
	const char *p = c->args ? c->args : "";
	while (*p) {
		const char *colon = strchr(p, ':');
		if (!colon)
			break;
		char name[64];
		size_t n = (size_t)(colon - p) < sizeof(name) - 1 ? (size_t)(colon - p) :
		                                                    sizeof(name) - 1;
		memcpy(name, p, n);
		name[n] = 0;
		char t = colon[1];
		bool optional = colon[2] == '?';
		p = colon + 2 + optional;
		if (*p == ',')
			p++;
		json_t *v = json_object_get(args, name);
		if (!v) {
			if (!optional) {
				error_setg(errp, "Parameter '%s' is missing", name);
				return -1;
			}
			continue;
		}
		if (!type_ok(t, v)) {
			error_setg(errp, "Invalid parameter type for '%s', expected: %s", name,
			           type_word(t));
			return -1;
		}
	}
	if (c->args && strchr(c->args, '*'))
		return 0; /* device_add: the device's own properties */
	const char *key;
	json_t *v;
	json_object_foreach(args, key, v)
	{
		/* the key must be a whole entry of the spec */
		const char *s = c->args ? c->args : "";
		size_t kl = strlen(key);
		bool found = false;
		while (*s) {
			if (!strncmp(s, key, kl) && s[kl] == ':') {
				found = true;
				break;
			}
			const char *comma = strchr(s, ',');
			if (!comma)
				break;
			s = comma + 1;
		}
		if (!found) {
			error_setg(errp, "Parameter '%s' is unexpected", key);
			return -1;
		}
	}
	return 0;
}

/* ---- dispatch ------------------------------------------------------------------ */

static json_t *with_id(json_t *reply, json_t *id)
{
	if (id)
		json_object_set(reply, "id", id);
	return reply;
}

json_t *qmp_dispatch(struct vm *vm, json_t *req, bool *negotiated)
{
	if (!json_is_object(req))
		return qmp_error_reply(ERROR_CLASS_GENERIC, "QMP input must be a JSON object");
	json_t *id = json_object_get(req, "id");
	json_t *exec = json_object_get(req, "execute");
	json_t *oob = json_object_get(req, "exec-oob");
	if (exec && oob)
		return with_id(
		        qmp_error_reply(ERROR_CLASS_GENERIC,
		                        "QMP input must not contain both 'execute' and 'exec-oob'"),
		        id);
	if (!exec)
		exec = oob;
	if (!exec)
		return with_id(
		        qmp_error_reply(ERROR_CLASS_GENERIC, "QMP input lacks member 'execute'"),
		        id);
	if (!json_is_string(exec))
		return with_id(qmp_error_reply(ERROR_CLASS_GENERIC,
		                               "QMP input member '%s' must be a string",
		                               oob == exec ? "exec-oob" : "execute"),
		               id);
	const char *key;
	json_t *v;
	json_object_foreach(req, key, v)
	{
		if (strcmp(key, "execute") && strcmp(key, "exec-oob") && strcmp(key, "arguments") &&
		    strcmp(key, "id"))
			return with_id(qmp_error_reply(ERROR_CLASS_GENERIC,
			                               "QMP input member '%s' is unexpected", key),
			               id);
	}
	json_t *args = json_object_get(req, "arguments");
	if (args && !json_is_object(args))
		return with_id(qmp_error_reply(ERROR_CLASS_GENERIC,
		                               "QMP input member 'arguments' must be an object"),
		               id);
	const char *name = json_string_value(exec);
	bool is_caps = !strcmp(name, "qmp_capabilities");
	if (!*negotiated && !is_caps)
		return with_id(
		        qmp_error_reply(
		                ERROR_CLASS_COMMAND_NOT_FOUND,
		                "Expecting capabilities negotiation with 'qmp_capabilities'"),
		        id);
	if (*negotiated && is_caps)
		return with_id(
		        qmp_error_reply(
		                ERROR_CLASS_COMMAND_NOT_FOUND,
		                "Capabilities negotiation is already complete, command ignored"),
		        id);
	const struct qmp_cmd *c = qmp_find(name);
	if (!c)
		return with_id(qmp_error_reply(ERROR_CLASS_COMMAND_NOT_FOUND,
		                               "The command %s has not been found", name),
		               id);
	json_t *empty = NULL;
	if (!args)
		args = empty = json_object();
	struct error *err = NULL;
	json_t *ret = NULL;
	if (check_args(c, args, &err) == 0) {
		ret = c->fn(vm, args, &err);
		if (!ret && !err)
			ret = json_object();
	}
	json_decref(empty);
	if (err) {
		json_decref(ret);
		json_t *r = error_obj(err->cls, err->msg);
		error_free(err);
		return with_id(r, id);
	}
	if (is_caps)
		*negotiated = true;
	json_t *r = json_object();
	json_object_set_new(r, "return", ret);
	return with_id(r, id);
}

static void qmp_text(void *opaque, const char *text, size_t len, const char *error)
{
	struct monitor *mon = opaque;
	json_t *reply;
	if (error) {
		reply = qmp_error_reply(ERROR_CLASS_GENERIC, "%s", error);
	} else {
		json_error_t jerr;
		json_t *req = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
		if (!req) {
			reply = qmp_error_reply(ERROR_CLASS_GENERIC, "JSON parse error, %s",
			                        jerr.text);
		} else {
			reply = qmp_dispatch(mon->vm, req, &mon->negotiated);
			json_decref(req);
		}
	}
	if (reply) {
		qmp_send(mon, reply);
		json_decref(reply);
	}
}

void qmp_receive(struct monitor *mon, const uint8_t *buf, size_t len)
{
	json_streamer_feed(&mon->js, buf, len, qmp_text, mon);
}
