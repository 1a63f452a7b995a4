/*
 * Errors for configuration and monitor paths: a function that can fail for
 * a reason a user should read takes `struct error **errp` and, on failure,
 * stores a message there (error_setg).  errp may be NULL (caller does not
 * care).  Internal code returns 0/-errno instead.
 */
#ifndef LEMU_UTIL_ERROR_H
#define LEMU_UTIL_ERROR_H

#include <stdarg.h>

/* QMP error classes (QEMU's names); GenericError unless stated. */
enum error_class {
	ERROR_CLASS_GENERIC,
	ERROR_CLASS_COMMAND_NOT_FOUND,
	ERROR_CLASS_DEVICE_NOT_ACTIVE,
	ERROR_CLASS_DEVICE_NOT_FOUND,
	ERROR_CLASS_KVM_MISSING_CAP,
};

struct error {
	enum error_class cls;
	char *msg;
};

__attribute__((format(printf, 2, 3))) void error_setg(struct error **errp, const char *fmt, ...);
__attribute__((format(printf, 3, 4))) void error_set(struct error **errp, enum error_class cls,
						     const char *fmt, ...);
/* error_setg plus ": strerror(errnum)" */
__attribute__((format(printf, 3, 4))) void error_setg_errno(struct error **errp, int errnum,
							    const char *fmt, ...);
/* Prefix an existing message: "prefix: old". */
__attribute__((format(printf, 2, 3))) void error_prepend(struct error **errp, const char *fmt, ...);
void error_free(struct error *err);
/* Move *src into *dst (if dst is NULL the error is freed). */
void error_propagate(struct error **dst, struct error *src);
/* "prog: msg\n" on stderr, then free. */
void error_report_err(const char *prog, struct error *err);

#endif
