/* -d log items and the log output (-D file or stderr). */
#include "user.h"

#include <stdarg.h>
#include <string.h>

const struct log_item user_log_items[] = {
	{ "in_asm", LOG_IN_ASM, "show target assembly code for each compiled TB" },
	{ "exec", LOG_EXEC, "show trace before each executed TB (lots of logs)" },
	{ "cpu", LOG_CPU, "show CPU registers before entering a TB (lots of logs)" },
	{ "int", LOG_INT, "show interrupts/exceptions in short format" },
	{ "strace", LOG_STRACE, "log every user-mode syscall, its input, and its result" },
	{ "page", LOG_PAGE, "dump pages at beginning of user mode emulation" },
	{ "unimp", LOG_UNIMP, "log unimplemented functionality" },
	{ "guest_errors", LOG_GUEST_ERRORS,
	  "log when the guest OS does something invalid (eg accessing a\nnon-existent register)" },
	{ NULL, 0, NULL },
};

long user_log_parse(const char *s, const char **bad, size_t *badlen)
{
	long mask = 0;
	while (*s) {
		size_t l = strcspn(s, ",");
		int found = 0;
		if (l == 3 && !strncmp(s, "all", 3)) {
			for (const struct log_item *it = user_log_items; it->name; it++)
				if (it->mask != LOG_STRACE)
					mask |= it->mask;
			found = 1;
		}
		for (const struct log_item *it = user_log_items; !found && it->name; it++)
			if (strlen(it->name) == l && !strncmp(it->name, s, l)) {
				mask |= it->mask;
				found = 1;
			}
		if (!found) {
			*bad = s;
			*badlen = l;
			return -1;
		}
		s += l;
		if (*s == ',')
			s++;
	}
	return mask;
}

void user_log(struct user_proc *p, unsigned item, const char *fmt, ...)
{
	if (!(p->log_mask & item))
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(p->log ? p->log : stderr, fmt, ap);
	va_end(ap);
	fflush(p->log ? p->log : stderr);
}
