/* i386 ABI helpers shared by the syscall32*.c files. */
#ifndef LEMU_USER_SYSCALL32_H
#define LEMU_USER_SYSCALL32_H

#include "user.h"

#include <time.h>

long user_do_syscall32(struct user_thread *t, long nr, uint64_t *a);
/* Conversions (syscall32_conv.c); *handled = 0 if nr is not one of them. */
long user_sys32_conv(struct user_thread *t, long nr, uint64_t *a, int *handled);
/* Sockets and SysV IPC (syscall32_net.c). */
long user_sys32_net(struct user_thread *t, long nr, uint64_t *a, int *handled);
long user_sys32_sigtimedwait(struct user_thread *t, const uint64_t *a, int time64);
long user_get_thread_area(struct user_thread *t, uint64_t uinfo);
void user_siginfo_to32(const siginfo_t *in, uint8_t out[128]);

int user_get_ts32(struct user_thread *t, uint32_t addr, struct timespec *ts);
int user_put_ts32(struct user_thread *t, uint32_t addr, const struct timespec *ts);
int user_get_ts64(struct user_thread *t, uint32_t addr, struct timespec *ts);

#endif
