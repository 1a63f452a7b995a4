/*
 * lemu-img helpers: messages, getopt with qemu-img's error texts, sizes, cache
 * modes, -o option lists.
 */
#include "img/img.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void img_vmsg(struct img *img, const char *prefix, const char *fmt, va_list ap)
{
	fprintf(img->err, "%s: %s", img->progname, prefix);
	vfprintf(img->err, fmt, ap);
	fputc('\n', img->err);
}

void img_error(struct img *img, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	img_vmsg(img, "", fmt, ap);
	va_end(ap);
}

void img_warn(struct img *img, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	img_vmsg(img, "warning: ", fmt, ap);
	va_end(ap);
}

int img_usage_error(struct img *img, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	img_vmsg(img, "", fmt, ap);
	va_end(ap);
	fprintf(img->err, "Try '%s --help' for more information\n", img->progname);
	return 1;
}

int img_getopt(struct img *img, int argc, char **argv, const char *optstring,
	       const struct option *longopts)
{
	int c = getopt_long(argc, argv, optstring, longopts, NULL);
	if (c == '?') {
		img_usage_error(img, "unrecognized option '%s'", argv[optind - 1]);
		return '?';
	}
	if (c == ':') {
		img_usage_error(img, "missing argument for option '%s'", argv[optind - 1]);
		return '?';
	}
	return c;
}

/* ---------------------------------------------------------------- sizes */

static int suffix_shift(char c)
{
	switch (c) {
	case 'b': case 'B': return 0;
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	case 't': case 'T': return 40;
	case 'p': case 'P': return 50;
	case 'e': case 'E': return 60;
	default: return -1;
	}
}

/*
 * Observed qemu-img 7.2 behaviour: leading blanks and '+' accepted; decimal or 0x
 * hex integer part ("010" is ten); an optional fraction needs a digit before the
 * point and a suffix other than B ("1.5" and "1.5b" are errors); the result is
 * rounded to the nearest byte; anything after the suffix is an error; beyond
 * 2^64-1 is -ERANGE.
 */
int img_parse_size(const char *s, char default_suffix, uint64_t *out)
{
	const char *p = s;
	bool hex = false;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '-')
		return -ERANGE;
	if (*p == '+')
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && isxdigit((unsigned char)p[2])) {
		hex = true;
		p += 2;
	}
	if (!(hex ? isxdigit((unsigned char)*p) : isdigit((unsigned char)*p)))
		return -EINVAL;
	uint64_t ival = 0;
	bool overflow = false;
	while (hex ? isxdigit((unsigned char)*p) : isdigit((unsigned char)*p)) {
		int d = isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10);
		unsigned base = hex ? 16 : 10;
		if (ival > (UINT64_MAX - d) / base)
			overflow = true;
		else
			ival = ival * base + d;
		p++;
	}
	double frac = 0;
	bool has_frac = false;
	if (*p == '.') {
		if (hex)
			return -EINVAL;
		has_frac = true;
		p++;
		double scale = 0.1;
		while (isdigit((unsigned char)*p)) {
			frac += (*p - '0') * scale;
			scale /= 10;
			p++;
		}
	}
	int shift;
	if (*p) {
		shift = suffix_shift(*p);
		if (shift < 0)
			return -EINVAL;
		p++;
	} else {
		shift = suffix_shift(default_suffix);
	}
	if (*p)
		return -EINVAL;
	if (has_frac && shift == 0)
		return -EINVAL;
	if (overflow)
		return -ERANGE;
	if (shift && ival > (UINT64_MAX >> shift))
		return -ERANGE;
	uint64_t v = ival << shift;
	if (has_frac && frac > 0) {
		double add = round(frac * (double)(1ULL << shift));
		if ((double)(UINT64_MAX - v) < add)
			return -ERANGE;
		v += (uint64_t)add;
	}
	*out = v;
	return 0;
}

void img_size_error(struct img *img, int err)
{
	if (err == -ERANGE) {
		img_error(img, "Invalid image size specified. Must be between 0 and 9223372036854775807.");
	} else {
		img_error(img, "Invalid image size specified. You may use k, M, G, T, P or E suffixes for");
		img_error(img, "kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
	}
}

int img_parse_uint(const char *s, uint64_t *out)
{
	char *end;
	if (!*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno)
		return -errno;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * QEMU picks the unit so that the number shown stays below 1000 (1000 KiB is
 * shown as "0.977 MiB"), then prints three significant digits.
 */
void img_size_to_str(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	int i = 0;
	double x = (double)v * 1024.0 / 1000.0;
	while (i < 6 && x >= ldexp(1.0, 10 * (i + 1)))
		i++;
	snprintf(buf, len, "%0.3g %s", (double)v / ldexp(1.0, 10 * i), units[i]);
}

int img_parse_cache(const char *mode, struct img_cache *c)
{
	memset(c, 0, sizeof(*c));
	if (!strcmp(mode, "none") || !strcmp(mode, "off")) {
		c->direct = true;
	} else if (!strcmp(mode, "directsync")) {
		c->direct = true;
		c->writethrough = true;
	} else if (!strcmp(mode, "writeback")) {
	} else if (!strcmp(mode, "unsafe")) {
		c->no_flush = true;
	} else if (!strcmp(mode, "writethrough")) {
		c->writethrough = true;
	} else {
		return -EINVAL;
	}
	return 0;
}

int img_parse_output(struct img *img, const char *arg, enum img_output *out)
{
	if (!strcmp(arg, "json")) {
		*out = IMG_OUT_JSON;
	} else if (!strcmp(arg, "human")) {
		*out = IMG_OUT_HUMAN;
	} else {
		img_error(img, "--output must be used with human or json as argument.");
		return -EINVAL;
	}
	return 0;
}

/* ---------------------------------------------------------------- -o lists */

int img_opts_parse(struct img_opts *o, const char *s)
{
	memset(o, 0, sizeof(*o));
	const char *p = s;
	while (*p) {
		size_t cap = strlen(p) + 1;
		char *item = malloc(cap);
		if (!item)
			return -ENOMEM;
		size_t n = 0;
		/* ",," is a literal comma inside a value; a single ',' ends the item. */
		while (*p) {
			if (*p == ',') {
				if (p[1] == ',') {
					item[n++] = ',';
					p += 2;
					continue;
				}
				p++;
				break;
			}
			item[n++] = *p++;
		}
		item[n] = 0;
		if (!n) {
			free(item);
			continue;
		}
		if (o->n >= IMG_OPTS_MAX) {
			free(item);
			return -E2BIG;
		}
		char *eq = strchr(item, '=');
		o->kv[o->n].key = item;
		o->kv[o->n].value = NULL;
		if (eq) {
			*eq = 0;
			o->kv[o->n].value = eq + 1;
		}
		o->n++;
	}
	return 0;
}

void img_opts_free(struct img_opts *o)
{
	for (int i = 0; i < o->n; i++)
		free(o->kv[i].key);
	o->n = 0;
}

/* The last occurrence wins, as with QemuOpts. */
const char *img_opts_get(const struct img_opts *o, const char *key)
{
	for (int i = o->n - 1; i >= 0; i--)
		if (!strcmp(o->kv[i].key, key))
			return o->kv[i].value ? o->kv[i].value : "";
	return NULL;
}

bool img_opts_has_help(const char *s)
{
	struct img_opts o;
	bool help = false;
	if (!s || img_opts_parse(&o, s) < 0)
		return false;
	for (int i = 0; i < o.n; i++)
		if (!o.kv[i].value && (!strcmp(o.kv[i].key, "help") || !strcmp(o.kv[i].key, "?")))
			help = true;
	img_opts_free(&o);
	return help;
}

int img_opts_append(char **acc, const char *s)
{
	size_t a = *acc ? strlen(*acc) : 0;
	char *n = realloc(*acc, a + strlen(s) + 2);
	if (!n)
		return -ENOMEM;
	if (a)
		n[a++] = ',';
	strcpy(n + a, s);
	*acc = n;
	return 0;
}
