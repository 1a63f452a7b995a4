#include "util/opts.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

static void opts_append(struct opts *o, char *key, char *val)
{
	struct opt *v = realloc(o->v, sizeof(*v) * (size_t)(o->n + 1));
	if (!v)
		abort();
	o->v = v;
	o->v[o->n++] = (struct opt){ key, val, false };
}

/* Copy one element of str starting at *p up to an unescaped ',' (or '='
 * when stop_eq), un-doubling ",,". */
static char *opts_token(const char **p, bool stop_eq)
{
	const char *s = *p;
	size_t cap = strlen(s) + 1, n = 0;
	char *out = malloc(cap);
	if (!out)
		abort();
	while (*s) {
		if (*s == ',') {
			if (s[1] == ',') {
				out[n++] = ',';
				s += 2;
				continue;
			}
			break;
		}
		if (stop_eq && *s == '=')
			break;
		out[n++] = *s++;
	}
	out[n] = 0;
	*p = s;
	return out;
}

struct opts *opts_parse(const char *str, const char *implied_key, struct error **errp)
{
	struct opts *o = calloc(1, sizeof(*o));
	if (!o)
		abort();
	const char *p = str ? str : "";
	bool first = true;
	while (*p) {
		const char *start = p;
		char *key = opts_token(&p, true);
		char *val;
		if (*p == '=') {
			p++;
			val = opts_token(&p, false);
		} else if (first && implied_key) {
			/* No '=': the implied key's value (re-read with '=' allowed). */
			free(key);
			p = start;
			val = opts_token(&p, false);
			key = strdup(implied_key);
		} else {
			val = strdup("on");
		}
		if (!*key) {
			error_setg(errp, "Invalid parameter ''");
			free(key);
			free(val);
			opts_free(o);
			return NULL;
		}
		opts_append(o, key, val);
		first = false;
		if (*p == ',')
			p++;
	}
	return o;
}

void opts_free(struct opts *o)
{
	if (!o)
		return;
	for (int i = 0; i < o->n; i++) {
		free(o->v[i].key);
		free(o->v[i].val);
	}
	free(o->v);
	free(o);
}

void opts_set(struct opts *o, const char *key, const char *val)
{
	opts_append(o, strdup(key), strdup(val));
}

static struct opt *opts_find(struct opts *o, const char *key)
{
	struct opt *found = NULL;
	for (int i = 0; i < o->n; i++) {
		if (!strcmp(o->v[i].key, key)) {
			o->v[i].used = true;
			found = &o->v[i];
		}
	}
	return found;
}

const char *opts_get(struct opts *o, const char *key)
{
	struct opt *f = opts_find(o, key);
	return f ? f->val : NULL;
}

bool opts_has(struct opts *o, const char *key)
{
	for (int i = 0; i < o->n; i++)
		if (!strcmp(o->v[i].key, key))
			return true;
	return false;
}

int parse_bool(const char *s)
{
	if (!strcmp(s, "on") || !strcmp(s, "yes") || !strcmp(s, "true"))
		return 1;
	if (!strcmp(s, "off") || !strcmp(s, "no") || !strcmp(s, "false"))
		return 0;
	return -1;
}

int parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int parse_size(const char *s, unsigned default_shift, uint64_t *out)
{
	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -1;
	char *end;
	errno = 0;
	unsigned long long whole = strtoull(s, &end, 0);
	if (errno)
		return -1;
	double frac = 0;
	bool has_frac = false;
	if (*end == '.') {
		/* Only decimal fractions, and only with a suffix below. */
		char *fend;
		frac = strtod(end, &fend);
		if (fend == end + 1)
			return -1;
		end = fend;
		has_frac = true;
	}
	unsigned shift;
	switch (*end) {
	case 0: shift = default_shift; break;
	case 'b': case 'B': shift = 0; break;
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	case 'p': case 'P': shift = 50; break;
	case 'e': case 'E': shift = 60; break;
	default: return -1;
	}
	if (*end && end[1])
		return -1;
	if (has_frac && !*end)
		return -1;
	if (shift && whole > (UINT64_MAX >> shift))
		return -1;
	uint64_t v = (uint64_t)whole << shift;
	if (has_frac) {
		double f = frac * ldexp(1.0, (int)shift);
		if (v + (uint64_t)f < v)
			return -1;
		v += (uint64_t)f;
	}
	*out = v;
	return 0;
}

int opts_get_bool(struct opts *o, const char *key, bool def, bool *out, struct error **errp)
{
	const char *v = opts_get(o, key);
	if (!v) {
		*out = def;
		return 0;
	}
	int b = parse_bool(v);
	if (b < 0) {
		error_setg(errp, "Parameter '%s' expects 'on' or 'off'", key);
		return -1;
	}
	*out = b;
	return 0;
}

int opts_get_u64(struct opts *o, const char *key, uint64_t def, uint64_t *out, struct error **errp)
{
	const char *v = opts_get(o, key);
	if (!v) {
		*out = def;
		return 0;
	}
	if (parse_u64(v, out) < 0) {
		error_setg(errp, "Parameter '%s' expects a number", key);
		return -1;
	}
	return 0;
}

int opts_get_size(struct opts *o, const char *key, uint64_t def, uint64_t *out, struct error **errp)
{
	const char *v = opts_get(o, key);
	if (!v) {
		*out = def;
		return 0;
	}
	if (parse_size(v, 0, out) < 0) {
		error_setg(errp, "Parameter '%s' expects a non-negative number below 2^64\n"
				 "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n"
				 "and exabytes, respectively.",
			   key);
		return -1;
	}
	return 0;
}

int opts_check_unused(struct opts *o, struct error **errp)
{
	for (int i = 0; i < o->n; i++) {
		if (!o->v[i].used) {
			error_setg(errp, "Invalid parameter '%s'", o->v[i].key);
			return -1;
		}
	}
	return 0;
}

bool id_wellformed(const char *id)
{
	if (!isalpha((unsigned char)id[0]))
		return false;
	for (const char *p = id + 1; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-._", *p))
			return false;
	return true;
}
