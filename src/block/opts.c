/*
 * Block layer: errors, key=value option lists with QEMU's spellings, and the small
 * parse helpers (booleans, sizes, cache modes).
 */
#include "block/block_int.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void blk_error_set(struct blk_error *err, int code, const char *fmt, ...)
{
	if (!err)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->code = code;
}

void blk_error_prefix(struct blk_error *err, const char *fmt, ...)
{
	if (!err)
		return;
	char pre[512], old[sizeof(err->msg)];
	char both[sizeof(pre) + sizeof(old) + 2];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	if (old[0])
		snprintf(both, sizeof(both), "%s: %s", pre, old);
	else
		snprintf(both, sizeof(both), "%s", pre);
	memcpy(err->msg, both, sizeof(err->msg) - 1);
	err->msg[sizeof(err->msg) - 1] = 0;
}

struct blk_opts {
	int n, cap;
	char **keys, **vals;
};

struct blk_opts *blk_opts_new(void)
{
	return calloc(1, sizeof(struct blk_opts));
}

void blk_opts_free(struct blk_opts *o)
{
	if (!o)
		return;
	for (int i = 0; i < o->n; i++) {
		free(o->keys[i]);
		free(o->vals[i]);
	}
	free(o->keys);
	free(o->vals);
	free(o);
}

static int opts_find(const struct blk_opts *o, const char *key)
{
	for (int i = 0; o && i < o->n; i++)
		if (!strcmp(o->keys[i], key))
			return i;
	return -1;
}

int blk_opts_set(struct blk_opts *o, const char *key, const char *value)
{
	int i = opts_find(o, key);
	if (!value) {
		if (i >= 0) {
			free(o->keys[i]);
			free(o->vals[i]);
			memmove(&o->keys[i], &o->keys[i + 1], (size_t)(o->n - i - 1) * sizeof(char *));
			memmove(&o->vals[i], &o->vals[i + 1], (size_t)(o->n - i - 1) * sizeof(char *));
			o->n--;
		}
		return 0;
	}
	char *v = strdup(value);
	if (!v)
		return -ENOMEM;
	if (i >= 0) {
		/* Keep the original position: later settings replace the value in place. */
		free(o->vals[i]);
		o->vals[i] = v;
		return 0;
	}
	if (o->n == o->cap) {
		int cap = o->cap ? o->cap * 2 : 8;
		char **k = realloc(o->keys, (size_t)cap * sizeof(char *));
		if (!k) {
			free(v);
			return -ENOMEM;
		}
		o->keys = k;
		char **vv = realloc(o->vals, (size_t)cap * sizeof(char *));
		if (!vv) {
			free(v);
			return -ENOMEM;
		}
		o->vals = vv;
		o->cap = cap;
	}
	o->keys[o->n] = strdup(key);
	if (!o->keys[o->n]) {
		free(v);
		return -ENOMEM;
	}
	o->vals[o->n++] = v;
	return 0;
}

struct blk_opts *blk_opts_dup(const struct blk_opts *o)
{
	struct blk_opts *d = blk_opts_new();
	for (int i = 0; d && o && i < o->n; i++)
		if (blk_opts_set(d, o->keys[i], o->vals[i]) < 0) {
			blk_opts_free(d);
			return NULL;
		}
	return d;
}

const char *blk_opts_get(const struct blk_opts *o, const char *key)
{
	int i = opts_find(o, key);
	return i >= 0 ? o->vals[i] : NULL;
}

int blk_opts_count(const struct blk_opts *o)
{
	return o ? o->n : 0;
}

const char *blk_opts_key(const struct blk_opts *o, int i)
{
	return o && i >= 0 && i < o->n ? o->keys[i] : NULL;
}

const char *blk_opts_value(const struct blk_opts *o, int i)
{
	return o && i >= 0 && i < o->n ? o->vals[i] : NULL;
}

struct blk_opts *blk_opts_sub(const struct blk_opts *o, const char *prefix)
{
	struct blk_opts *s = blk_opts_new();
	size_t pl = strlen(prefix);
	for (int i = 0; s && o && i < o->n; i++) {
		if (!strncmp(o->keys[i], prefix, pl) && o->keys[i][pl] == '.' && o->keys[i][pl + 1])
			blk_opts_set(s, o->keys[i] + pl + 1, o->vals[i]);
	}
	return s;
}

/* QEMU's option syntax: comma-separated key=value, ",," escapes a comma in a value. */
int blk_opts_parse(struct blk_opts *o, const char *str, struct blk_error *err)
{
	const char *p = str;
	size_t len = strlen(str);
	char *key = malloc(len + 1), *val = malloc(len + 1);
	int ret = 0;
	if (!key || !val) {
		ret = -ENOMEM;
		goto out;
	}
	while (*p) {
		size_t kl = 0, vl = 0;
		while (*p && *p != '=' && *p != ',')
			key[kl++] = *p++;
		key[kl] = 0;
		if (*p == '=') {
			p++;
			for (;;) {
				if (*p == ',' && p[1] == ',') {
					val[vl++] = ',';
					p += 2;
				} else if (*p == ',' || !*p) {
					break;
				} else {
					val[vl++] = *p++;
				}
			}
			val[vl] = 0;
		} else {
			strcpy(val, "on");
		}
		if (*p == ',')
			p++;
		if (!kl) {
			if (!*p && vl == 0)
				break;
			blk_error_set(err, -EINVAL, "Invalid option list: '%s' (empty parameter name)", str);
			ret = -EINVAL;
			goto out;
		}
		ret = blk_opts_set(o, key, val);
		if (ret < 0)
			goto out;
	}
out:
	free(key);
	free(val);
	return ret;
}

int blk_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "on", "true", "yes", "1" };
	static const char *const no[] = { "off", "false", "no", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (!strcmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

int blk_opts_get_bool(const struct blk_opts *o, const char *key, bool def, bool *out,
		      struct blk_error *err)
{
	const char *v = blk_opts_get(o, key);
	*out = def;
	if (!v)
		return 0;
	if (blk_parse_bool(v, out) < 0) {
		blk_error_set(err, -EINVAL, "Parameter '%s' expects 'on' or 'off'", key);
		return -EINVAL;
	}
	return 0;
}

int blk_parse_size(const char *s, uint64_t *out)
{
	char *end;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '-' || !*s)
		return -EINVAL;
	errno = 0;
	/* Integers are parsed exactly; a fraction goes through double like QEMU's
	 * qemu_strtosz (which rejects fractions that are not exact on bytes). */
	unsigned long long iv = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	double fv = 0;
	bool frac = false;
	if (*end == '.') {
		frac = true;
		fv = strtod(s, &end);
	}
	uint64_t mul = 1;
	switch (*end) {
	case 0: break;
	case 'b': case 'B': mul = 1; end++; break;
	case 'k': case 'K': mul = 1ull << 10; end++; break;
	case 'm': case 'M': mul = 1ull << 20; end++; break;
	case 'g': case 'G': mul = 1ull << 30; end++; break;
	case 't': case 'T': mul = 1ull << 40; end++; break;
	case 'p': case 'P': mul = 1ull << 50; end++; break;
	case 'e': case 'E': mul = 1ull << 60; end++; break;
	default: return -EINVAL;
	}
	if (*end)
		return -EINVAL;
	if (frac) {
		if (mul == 1)
			return -EINVAL;
		double r = fv * (double)mul;
		if (r >= 18446744073709551616.0)
			return -ERANGE;
		*out = (uint64_t)r;
		return 0;
	}
	if (iv && mul > UINT64_MAX / iv)
		return -ERANGE;
	*out = iv * mul;
	return 0;
}

int blk_parse_cache_mode(const char *mode, struct blk_cache_mode *out)
{
	struct blk_cache_mode m = { 0 };
	if (!strcmp(mode, "none") || !strcmp(mode, "off")) {
		m.direct = true;
	} else if (!strcmp(mode, "writeback")) {
	} else if (!strcmp(mode, "unsafe")) {
		m.no_flush = true;
	} else if (!strcmp(mode, "directsync")) {
		m.direct = true;
		m.writethrough = true;
	} else if (!strcmp(mode, "writethrough")) {
		m.writethrough = true;
	} else {
		return -EINVAL;
	}
	*out = m;
	return 0;
}

char *blk_path_combine(const char *base_image, const char *name)
{
	if (!name)
		return NULL;
	if (name[0] == '/' || !base_image || !strchr(base_image, '/') || strstr(name, "://"))
		return strdup(name);
	const char *slash = strrchr(base_image, '/');
	size_t dl = (size_t)(slash - base_image) + 1;
	char *r = malloc(dl + strlen(name) + 1);
	if (!r)
		return NULL;
	memcpy(r, base_image, dl);
	strcpy(r + dl, name);
	return r;
}

bool blk_buffer_is_zero(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len && ((uintptr_t)p & 7)) {
		if (*p++)
			return false;
		len--;
	}
	const uint64_t *q = (const uint64_t *)p;
	while (len >= 32) {
		if (q[0] | q[1] | q[2] | q[3])
			return false;
		q += 4;
		len -= 32;
	}
	p = (const uint8_t *)q;
	while (len--)
		if (*p++)
			return false;
	return true;
}

void *blk_alloc_aligned(size_t size)
{
	void *p = NULL;
	if (posix_memalign(&p, 4096, size ? size : 1))
		return NULL;
	return p;
}
