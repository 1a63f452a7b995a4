#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void error_vset(struct error **errp, enum error_class cls, const char *suffix, const char *fmt,
		       va_list ap)
{
	if (!errp)
		return;
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	if (msg && suffix) {
		char *full = NULL;
		if (asprintf(&full, "%s: %s", msg, suffix) >= 0) {
			free(msg);
			msg = full;
		}
	}
	struct error *e = calloc(1, sizeof(*e));
	if (!e) {
		free(msg);
		return;
	}
	e->cls = cls;
	e->msg = msg ? msg : strdup("out of memory");
	/* Keep the first error: later ones are usually consequences. */
	if (*errp)
		error_free(e);
	else
		*errp = e;
}

void error_setg(struct error **errp, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset(errp, ERROR_CLASS_GENERIC, NULL, fmt, ap);
	va_end(ap);
}

void error_set(struct error **errp, enum error_class cls, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset(errp, cls, NULL, fmt, ap);
	va_end(ap);
}

void error_setg_errno(struct error **errp, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset(errp, ERROR_CLASS_GENERIC, strerror(errnum < 0 ? -errnum : errnum), fmt, ap);
	va_end(ap);
}

void error_prepend(struct error **errp, const char *fmt, ...)
{
	if (!errp || !*errp)
		return;
	char *pre = NULL, *full = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&pre, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	if (asprintf(&full, "%s%s", pre, (*errp)->msg) >= 0) {
		free((*errp)->msg);
		(*errp)->msg = full;
	}
	free(pre);
}

void error_free(struct error *err)
{
	if (!err)
		return;
	free(err->msg);
	free(err);
}

void error_propagate(struct error **dst, struct error *src)
{
	if (!src)
		return;
	if (!dst || *dst) {
		error_free(src);
		return;
	}
	*dst = src;
}

void error_report_err(const char *prog, struct error *err)
{
	if (!err)
		return;
	fprintf(stderr, "%s: %s\n", prog, err->msg);
	error_free(err);
}
