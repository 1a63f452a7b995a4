/*
 * vfork and posix_spawn (clone with CLONE_VM|CLONE_VFORK): the child
 * shares the parent's memory until it execs or exits, which is how
 * posix_spawn reports that the program could not be executed.
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(void)
{
	pid_t pid;
	int st;
	char *missing[] = { "/nonexistent/program", NULL };
	int r = posix_spawn(&pid, missing[0], NULL, NULL, missing, environ);
	printf("posix_spawn of a missing program: %s\n", strerror(r));

	/* flush first and print only after the child is done: the order of
	 * the two processes' output is then fixed */
	fflush(stdout);
	char *echo[] = { "/bin/echo", "hello from a spawned child", NULL };
	r = posix_spawn(&pid, echo[0], NULL, NULL, echo, environ);
	waitpid(pid, &st, 0);
	printf("posix_spawn of echo: %s, exit status %d\n", strerror(r), WEXITSTATUS(st));

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/nonexistent/dir/out", 0101, 0644);
	r = posix_spawn(&pid, echo[0], &fa, NULL, echo, environ);
	printf("posix_spawn with a failing file action: %s\n", strerror(r));
	posix_spawn_file_actions_destroy(&fa);

	volatile int shared = 1;
	pid = vfork();
	if (pid == 0) {
		shared = 42; /* the parent sees this: memory is shared */
		execl("/nonexistent", "x", (char *)0);
		_exit(7);
	}
	waitpid(pid, &st, 0);
	printf("after vfork: shared=%d, child status %d\n", shared, WEXITSTATUS(st));
	return 0;
}
