/* Guest process test: fork, execve of ourselves and of a #! script, pipe
 * chains between processes, wait status, exec errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "child")) {
		/* stage of a pipe chain: read a number, add argv[2], write it */
		long v = 0;
		if (scanf("%ld", &v) != 1)
			return 2;
		printf("%ld\n", v + atol(argv[2]));
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "exit"))
		return atoi(argv[2]);

	/* chain: parent -> child(+1) -> child(+10) -> parent */
	int p1[2], p2[2], p3[2];
	if (pipe(p1) || pipe(p2) || pipe(p3))
		return 1;
	pid_t a = fork();
	if (a == 0) {
		dup2(p1[0], 0);
		dup2(p2[1], 1);
		close(p1[1]);
		close(p2[0]);
		execl("/proc/self/exe", argv[0], "child", "1", (char *)NULL);
		_exit(127);
	}
	pid_t b = fork();
	if (b == 0) {
		dup2(p2[0], 0);
		dup2(p3[1], 1);
		close(p2[1]);
		close(p1[1]);
		execl(argv[0], argv[0], "child", "10", (char *)NULL);
		_exit(127);
	}
	close(p1[0]);
	close(p2[0]);
	close(p2[1]);
	close(p3[1]);
	if (write(p1[1], "100\n", 4) != 4)
		return 1;
	close(p1[1]);
	char buf[64] = { 0 };
	ssize_t n = read(p3[0], buf, sizeof(buf) - 1);
	int st1, st2;
	waitpid(a, &st1, 0);
	waitpid(b, &st2, 0);
	printf("chain result: %.*s", (int)n, buf);
	printf("statuses: %d %d\n", WEXITSTATUS(st1), WEXITSTATUS(st2));

	/* exit status through exec */
	pid_t c = fork();
	if (c == 0) {
		execl(argv[0], argv[0], "exit", "42", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(c, &st, 0);
	printf("exit status: %d\n", WEXITSTATUS(st));

	/* a #! script run through /bin/sh */
	char script[] = "/tmp/lemu-test-scriptXXXXXX";
	int fd = mkstemp(script);
	const char *body = "#!/bin/sh\necho script says $1\n";
	if (write(fd, body, strlen(body)) < 0)
		return 1;
	fchmod(fd, 0755);
	close(fd);
	c = fork();
	if (c == 0) {
		execl(script, script, "hello", (char *)NULL);
		_exit(127);
	}
	waitpid(c, &st, 0);
	unlink(script);
	printf("script status: %d\n", WEXITSTATUS(st));

	/* exec errors come from the kernel */
	errno = 0;
	execl("/nonexistent/prog", "x", (char *)NULL);
	printf("missing: %s\n", strerror(errno));
	execl("/etc/passwd", "x", (char *)NULL);
	printf("not executable: %s\n", strerror(errno));

	/* vfork + exec */
	c = vfork();
	if (c == 0) {
		execl(argv[0], argv[0], "exit", "7", (char *)NULL);
		_exit(127);
	}
	waitpid(c, &st, 0);
	printf("vfork status: %d\n", WEXITSTATUS(st));
	fflush(stdout);
	return 0;
}
