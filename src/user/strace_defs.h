/* Syscall name/format tables for -strace (syscall_names.c). */
#ifndef LEMU_USER_STRACE_DEFS_H
#define LEMU_USER_STRACE_DEFS_H

struct strace_def {
	const char *name;
	const char *fmt;
};

const struct strace_def *strace_def(int abi32, long nr);

#endif
