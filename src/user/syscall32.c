/* i386 system calls (int $0x80).  Placeholder until milestone 4. */
#include "user.h"

#include <errno.h>

void user_syscall32(struct user_thread *t)
{
	t->cpu.regs[R_RAX] = (uint32_t)-ENOSYS;
}

int user_load_seg(struct cpu *c, int seg, uint16_t sel)
{
	(void)c; (void)seg; (void)sel;
	return -1;
}

long user_set_thread_area(struct user_thread *t, uint64_t uinfo)
{
	(void)t; (void)uinfo;
	return -ENOSYS;
}

int user_setup_frame32(struct user_thread *t, int sig, const struct guest_sigaction *ka,
		       const siginfo_t *info, uint64_t oldmask)
{
	(void)t; (void)sig; (void)ka; (void)info; (void)oldmask;
	return -EFAULT;
}
