/*
 * A small streaming JSON writer that prints exactly the layout qemu-img uses for
 * --output=json (QEMU's pretty printer: four-space indentation, "key": value,
 * one member per line). Keys come out in the order the caller emits them; the
 * callers emit them in the order qemu-img 7.2 prints them, so that diffs of the
 * two tools' outputs stay readable (consumers must not depend on the order).
 */
#include "img/img.h"

#include <inttypes.h>
#include <string.h>

void jw_init(struct jw *w, FILE *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

static void jw_indent(struct jw *w)
{
	for (int i = 0; i < w->depth; i++)
		fputs("    ", w->out);
}

/* Separator and indentation before a new value inside a container. */
static void jw_pre(struct jw *w)
{
	if (w->depth == 0)
		return;
	if (w->count[w->depth])
		fputc(',', w->out);
	fputc('\n', w->out);
	w->count[w->depth]++;
	jw_indent(w);
}

void jw_string_raw(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\b': fputs("\\b", out); break;
		case '\f': fputs("\\f", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

void jw_key(struct jw *w, const char *key)
{
	jw_pre(w);
	jw_string_raw(w->out, key);
	fputs(": ", w->out);
	w->have_key = 1;
}

/* A value either follows a key (no separator of its own) or is an array element. */
static void jw_value_pre(struct jw *w)
{
	if (w->have_key)
		w->have_key = 0;
	else
		jw_pre(w);
}

static void jw_open(struct jw *w, char c)
{
	jw_value_pre(w);
	fputc(c, w->out);
	if (w->depth + 1 < JW_MAX_DEPTH)
		w->depth++;
	w->count[w->depth] = 0;
}

static void jw_close(struct jw *w, char c)
{
	int had = w->count[w->depth];
	if (w->depth > 0)
		w->depth--;
	if (had) {
		fputc('\n', w->out);
		jw_indent(w);
	}
	fputc(c, w->out);
	if (w->depth == 0)
		fputc('\n', w->out);
}

void jw_obj_begin(struct jw *w) { jw_open(w, '{'); }
void jw_obj_end(struct jw *w) { jw_close(w, '}'); }
void jw_arr_begin(struct jw *w) { jw_open(w, '['); }
void jw_arr_end(struct jw *w) { jw_close(w, ']'); }

void jw_str(struct jw *w, const char *s)
{
	jw_value_pre(w);
	jw_string_raw(w->out, s);
}

void jw_int(struct jw *w, int64_t v)
{
	jw_value_pre(w);
	fprintf(w->out, "%" PRId64, v);
}

void jw_uint(struct jw *w, uint64_t v)
{
	jw_value_pre(w);
	fprintf(w->out, "%" PRIu64, v);
}

void jw_bool(struct jw *w, bool v)
{
	jw_value_pre(w);
	fputs(v ? "true" : "false", w->out);
}

void jw_kstr(struct jw *w, const char *k, const char *s) { jw_key(w, k); jw_str(w, s); }
void jw_kint(struct jw *w, const char *k, int64_t v) { jw_key(w, k); jw_int(w, v); }
void jw_kuint(struct jw *w, const char *k, uint64_t v) { jw_key(w, k); jw_uint(w, v); }
void jw_kbool(struct jw *w, const char *k, bool v) { jw_key(w, k); jw_bool(w, v); }
