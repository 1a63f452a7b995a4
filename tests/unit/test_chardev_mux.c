/* Unit tests for the mux (Ctrl-A keys, focus, events, flow control; the
 * help text is QEMU 7.2's, recorded from qemu-system-x86_64 -serial
 * mon:stdio), the stdio backend on a pty (raw mode, signal=off, restore),
 * and the pty backend (redirect message, connect/disconnect/reconnect). */
#include "test_chardev_fake.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "util/error.h"
#include "util/opts.h"

/* What qemu-system-x86_64 7.2 prints for Ctrl-A h (od -c of a real run). */
static const char qemu_help[] = "\n\r"
				"C-a h    print this help\n\r"
				"C-a x    exit emulator\n\r"
				"C-a s    save disk data back to file (if -snapshot)\n\r"
				"C-a t    toggle console timestamps\n\r"
				"C-a b    send break (magic sysrq)\n\r"
				"C-a c    switch between console and monitor\n\r"
				"C-a C-a  sends C-a\n\r";

static struct chardev *new_chr(struct vm *vm, const char *str, char **msg)
{
	struct error *err = NULL;
	struct opts *o = opts_parse(str, "backend", &err);
	struct chardev *c = o ? chardev_new(vm, o, &err) : NULL;
	opts_free(o);
	if (msg)
		*msg = err ? strdup(err->msg) : NULL;
	else if (err)
		printf("# %s: %s\n", str, err->msg);
	error_free(err);
	return c;
}

/* Everything the peer end has received so far (loop runs meanwhile). */
static size_t drain(struct vm *vm, int fd, char *buf, size_t cap)
{
	size_t n = 0;
	for (int i = 0; i < 10; i++) {
		fake_loop_once(vm, 3);
		ssize_t r;
		while (n < cap - 1 && (r = recv(fd, buf + n, cap - 1 - n, MSG_DONTWAIT)) > 0)
			n += (size_t)r;
	}
	buf[n] = 0;
	return n;
}

static void feed(struct vm *vm, int fd, const char *s, size_t len)
{
	if (send(fd, s, len, 0) != (ssize_t)len)
		printf("# short send\n");
	for (int i = 0; i < 10; i++)
		fake_loop_once(vm, 3);
}

static int sync_calls;
static void on_sync(void *opaque)
{
	sync_calls++;
}

static void test_mux(void)
{
	struct vm *vm = fake_vm_new();
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	int peer = sv[1];
	char opt[64], out[4096];
	snprintf(opt, sizeof(opt), "socket,id=m,fd=%d,mux=on", sv[0]);
	struct chardev *m = new_chr(vm, opt, NULL);
	tap_ok(m && chardev_is_mux(m) && chardev_find(vm, "m-base") && !strcmp(chardev_filename(m), "mux"),
	       "mux=on: 'm' is a mux over 'm-base'");
	struct error *err = NULL;
	struct test_fe direct;
	test_fe_init(&direct);
	tap_ok(chardev_attach(chardev_find(vm, "m-base"), &direct.fe, &err) < 0 && err &&
		       !strcmp(err->msg, "Device 'm-base' is in use"),
	       "the base belongs to the mux");
	error_free(err);
	err = NULL;

	struct test_fe a, b;
	test_fe_init(&a);
	test_fe_init(&b);
	chardev_attach(m, &a.fe, NULL);
	chardev_attach(m, &b.fe, NULL);
	tap_ok(a.nev == 2 && a.ev[0] == CHR_EVENT_MUX_IN && a.ev[1] == CHR_EVENT_MUX_OUT && b.nev == 1 &&
		       b.ev[0] == CHR_EVENT_MUX_IN,
	       "the last frontend attached takes the focus");
	tap_ok(test_fe_count(&a, CHR_EVENT_OPENED) == 0, "OPENED waits until the machine is built");
	fake_loop_once(vm, 0);
	tap_ok(test_fe_count(&a, CHR_EVENT_OPENED) == 1 && test_fe_count(&b, CHR_EVENT_OPENED) == 1,
	       "then every frontend hears OPENED once");
	tap_ok(chardev_mux_focus(m, &a) == 0 && a.ev[a.nev - 1] == CHR_EVENT_MUX_IN &&
		       b.ev[b.nev - 1] == CHR_EVENT_MUX_OUT,
	       "chardev_mux_focus moves the focus");

	feed(vm, peer, "hello", 5);
	tap_ok(a.nin == 5 && !memcmp(a.in, "hello", 5) && b.nin == 0, "input goes to the focused frontend");

	chardev_write(m, (const uint8_t *)"from-a ", 7);
	chardev_write(m, (const uint8_t *)"from-b", 6);
	drain(vm, peer, out, sizeof(out));
	tap_ok(!strcmp(out, "from-a from-b"), "every frontend's output reaches the backend");

	feed(vm, peer, "\x01h", 2);
	drain(vm, peer, out, sizeof(out));
	tap_ok(!strcmp(out, qemu_help), "C-a h prints QEMU's help text");
	feed(vm, peer, "\x01?", 2);
	drain(vm, peer, out, sizeof(out));
	tap_ok(!strcmp(out, qemu_help), "C-a ? too");
	tap_ok(a.nin == 5 && b.nin == 0, "escape keys are not input");

	int bin = b.nev, ain = a.nev;
	feed(vm, peer, "\x01" "c", 2);
	tap_ok(b.nev == bin + 1 && b.ev[bin] == CHR_EVENT_MUX_IN && a.nev == ain + 1 && a.ev[ain] == CHR_EVENT_MUX_OUT,
	       "C-a c: MUX_OUT to the old, MUX_IN to the new focus");
	feed(vm, peer, "xyz", 3);
	tap_ok(b.nin == 3 && !memcmp(b.in, "xyz", 3) && a.nin == 5, "input follows the focus");
	feed(vm, peer, "\x01\x01", 2);
	tap_ok(b.nin == 4 && b.in[3] == 0x01, "C-a C-a sends one C-a");
	feed(vm, peer, "\x01", 1);
	feed(vm, peer, "\x01", 1);
	tap_ok(b.nin == 5 && b.in[4] == 0x01, "... also split over two reads");
	feed(vm, peer, "\x01z\x01q", 4);
	tap_ok(b.nin == 5, "unknown keys are swallowed");
	feed(vm, peer, "\x01" "b", 2);
	tap_ok(test_fe_count(&b, CHR_EVENT_BREAK) == 1 && test_fe_count(&a, CHR_EVENT_BREAK) == 0,
	       "C-a b: BREAK to the focused frontend");
	feed(vm, peer, "\x01" "c", 2);
	feed(vm, peer, "\x01" "c", 2);
	tap_ok(b.ev[b.nev - 1] == CHR_EVENT_MUX_IN, "C-a c cycles round");

	/* timestamps: "[hh:mm:ss.mmm] " before each line after the first newline */
	feed(vm, peer, "\x01t", 2);
	chardev_write(m, (const uint8_t *)"one\ntwo\nthree", 13);
	drain(vm, peer, out, sizeof(out));
	tap_ok(strlen(out) == 4 + 15 + 4 + 15 + 5 && !strncmp(out, "one\n[00:00:00.000] two\n[00:00:", 30) &&
		       out[4 + 15 + 4 + 3] == ':' && out[4 + 15 + 4 + 9] == '.' && !strcmp(out + 4 + 15 + 4 + 13, "] three"),
	       "C-a t stamps lines after the first newline");
	feed(vm, peer, "\x01t", 2);
	chardev_write(m, (const uint8_t *)"a\nb\n", 4);
	drain(vm, peer, out, sizeof(out));
	tap_ok(!strcmp(out, "a\nb\n"), "C-a t again turns it off");

	chardev_mux_set_sync(vm, on_sync, NULL);
	feed(vm, peer, "\x01s", 2);
	tap_ok(sync_calls == 1, "C-a s calls the disk sync hook");

	tap_ok(vm->event == VM_EVENT_NONE, "no quit yet");
	feed(vm, peer, "\x01x", 2);
	drain(vm, peer, out, sizeof(out));
	tap_ok(!strcmp(out, "lemu: Terminated\n\r") && vm->event == VM_EVENT_HOST_QUIT,
	       "C-a x prints 'lemu: Terminated' and requests quit");
	vm->event = VM_EVENT_NONE;

	/* flow control: the focused frontend takes nothing; bytes wait */
	struct test_fe *f = b.ev[b.nev - 1] == CHR_EVENT_MUX_IN ? &b : &a;
	size_t before = f->nin;
	f->room = 0;
	char many[100];
	for (int i = 0; i < 100; i++)
		many[i] = (char)('A' + i % 26);
	feed(vm, peer, many, 100);
	tap_ok(f->nin == before, "nothing delivered while can_receive is 0");
	f->room = SIZE_MAX;
	for (int k = 0; k < 10 && f->nin < before + 100; k++) {
		chardev_accept_input(m);
		for (int i = 0; i < 5; i++)
			fake_loop_once(vm, 3);
	}
	tap_ok(f->nin == before + 100 && !memcmp(f->in + before, many, 100), "accept_input delivers all, in order");

	/* -echr: another escape character */
	chardev_mux_set_escape(vm, 0x05);
	feed(vm, peer, "\x05h", 2);
	drain(vm, peer, out, sizeof(out));
	tap_ok(!strncmp(out, "\n\rC-e h    print this help\n\r", 28) && strstr(out, "C-e C-e  sends C-e\n\r"),
	       "-echr 5: help names C-e");
	chardev_mux_set_escape(vm, 0x1d + 10);
	feed(vm, peer, "\x27h", 2);
	drain(vm, peer, out, sizeof(out));
	tap_ok(!strncmp(out, "\n\rEscape-Char set to Ascii: 0x27\n\r\n\rEscape-Char h    print this help", 66),
	       "-echr beyond C-z: 'Escape-Char'");
	chardev_mux_set_escape(vm, 0x01);

	/* at most four frontends */
	struct test_fe c3, c4, c5;
	test_fe_init(&c3);
	test_fe_init(&c4);
	test_fe_init(&c5);
	tap_ok(chardev_attach(m, &c3.fe, NULL) == 0 && chardev_attach(m, &c4.fe, NULL) == 0, "four frontends");
	tap_ok(test_fe_count(&c3, CHR_EVENT_OPENED) == 1, "a late frontend hears OPENED at once");
	tap_ok(chardev_attach(m, &c5.fe, &err) < 0 && err && strstr(err->msg, "maximum is 4"), "a fifth is refused");
	error_free(err);
	chardev_detach(m, &c4); /* it had the focus */
	tap_ok(c3.ev[c3.nev - 1] == CHR_EVENT_MUX_IN, "detaching the focused frontend moves the focus");

	/* the base's client goes away: every frontend hears CLOSED */
	close(peer);
	for (int i = 0; i < 10; i++)
		fake_loop_once(vm, 3);
	tap_ok(test_fe_count(&a, CHR_EVENT_CLOSED) == 1 && test_fe_count(&b, CHR_EVENT_CLOSED) == 1 &&
		       test_fe_count(&c3, CHR_EVENT_CLOSED) == 1,
	       "backend CLOSED reaches all frontends");
	fake_vm_free(vm);

	/* two VMs, two muxes: no shared state */
	struct vm *v1 = fake_vm_new(), *v2 = fake_vm_new();
	int s1[2], s2[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, s1);
	socketpair(AF_UNIX, SOCK_STREAM, 0, s2);
	snprintf(opt, sizeof(opt), "socket,id=m,fd=%d,mux=on", s1[0]);
	struct chardev *m1 = new_chr(v1, opt, NULL);
	snprintf(opt, sizeof(opt), "socket,id=m,fd=%d,mux=on", s2[0]);
	struct chardev *m2 = new_chr(v2, opt, NULL);
	test_fe_init(&a);
	test_fe_init(&b);
	chardev_attach(m1, &a.fe, NULL);
	chardev_attach(m2, &b.fe, NULL);
	feed(v1, s1[1], "\x01", 1);
	feed(v2, s2[1], "q", 1);
	feed(v1, s1[1], "x", 1);
	tap_ok(v1->event == VM_EVENT_HOST_QUIT && v2->event == VM_EVENT_NONE && b.nin == 1,
	       "two VMs: escape state is per mux");
	close(s1[1]);
	close(s2[1]);
	fake_vm_free(v1);
	fake_vm_free(v2);
}

/* ---- stdio on a pty, in a child whose stdin/stdout is the slave ---- */

static struct vm *child_vm;
static void child_sigint(int sig)
{
	chardev_restore_terminals(child_vm); /* what main()'s fatal-signal path does */
	_exit(42);
}

static size_t child_echo_can(void *o)
{
	return 64;
}

/* Echo what arrives as "got:<bytes, ^X for controls>"; 'q' ends the child. */
static void child_echo(void *o, const uint8_t *buf, size_t len)
{
	struct chardev *c = o;
	char msg[200];
	int n = snprintf(msg, sizeof(msg), "got:");
	for (size_t i = 0; i < len && n < 150; i++) {
		if (buf[i] < 32)
			n += snprintf(msg + n, sizeof(msg) - (size_t)n, "^%c", buf[i] + '@');
		else
			msg[n++] = (char)buf[i];
	}
	msg[n++] = '\n';
	chardev_write(c, (const uint8_t *)msg, (size_t)n);
	if (memchr(buf, 'q', len))
		child_vm->event = VM_EVENT_HOST_QUIT;
}

static void run_stdio_child(const char *opt)
{
	struct vm *vm = fake_vm_new();
	child_vm = vm;
	signal(SIGINT, child_sigint);
	struct chardev *c = new_chr(vm, opt, NULL);
	if (!c)
		_exit(3);
	struct termios t;
	tcgetattr(0, &t);
	char msg[64];
	int n = snprintf(msg, sizeof(msg), "RAW:%d\n", !(t.c_lflag & (ICANON | ECHO)));
	chardev_write(c, (const uint8_t *)msg, (size_t)n);
	struct chardev_fe fe = { child_echo_can, child_echo, NULL, c };
	chardev_attach(c, &fe, NULL);
	for (int i = 0; i < 2000 && vm->event == VM_EVENT_NONE; i++)
		fake_loop_once(vm, 5);
	chardev_destroy_all(vm);
	tcgetattr(0, &t);
	n = snprintf(msg, sizeof(msg), "RESTORED:%d\n", !!(t.c_lflag & ICANON) && !!(t.c_lflag & ECHO));
	if (write(1, msg, (size_t)n) < 0)
		_exit(4);
	_exit(0);
}

/* Start a child on a new pty; returns the master, child pid in *pid. */
static int spawn_on_pty(const char *opt, pid_t *pid)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	grantpt(master);
	unlockpt(master);
	char *name = ptsname(master);
	char path[64];
	snprintf(path, sizeof(path), "%s", name);
	fflush(stdout);
	*pid = fork();
	if (*pid == 0) {
		setsid();
		int s = open(path, O_RDWR); /* becomes the controlling terminal */
		dup2(s, 0);
		dup2(s, 1);
		if (s > 1)
			close(s);
		run_stdio_child(opt);
	}
	return master;
}

/* Read from the master until `want` shows up (or 3 s pass). */
static bool pty_expect(int master, const char *want, char *acc, size_t cap)
{
	size_t n = strlen(acc);
	for (int i = 0; i < 300; i++) {
		if (strstr(acc, want))
			return true;
		struct pollfd p = { .fd = master, .events = POLLIN };
		if (poll(&p, 1, 10) > 0) {
			ssize_t r = read(master, acc + n, cap - 1 - n);
			if (r <= 0)
				break;
			n += (size_t)r;
			acc[n] = 0;
		}
	}
	return strstr(acc, want) != NULL;
}

static void test_stdio(void)
{
	pid_t pid;
	char acc[4096] = "";
	int master = spawn_on_pty("stdio,id=s,signal=off", &pid);
	tap_ok(pty_expect(master, "RAW:1", acc, sizeof(acc)), "stdio on a tty: raw mode (no ICANON/ECHO)");
	/* no newline: raw mode hands over each byte at once */
	tap_ok(write(master, "ab", 2) == 2 && pty_expect(master, "got:ab", acc, sizeof(acc)), "bytes arrive without a newline");
	tap_ok(strstr(acc, "abgot") == NULL, "no echo by the terminal");
	tap_ok(write(master, "\x03", 1) == 1 && pty_expect(master, "got:^C", acc, sizeof(acc)),
	       "signal=off: ^C is input, not SIGINT");
	tap_ok(write(master, "\r", 1) == 1 && pty_expect(master, "got:^M", acc, sizeof(acc)), "CR stays CR (no ICRNL)");
	tap_ok(write(master, "q", 1) == 1 && pty_expect(master, "RESTORED:1", acc, sizeof(acc)),
	       "terminal mode restored on exit");
	int st;
	waitpid(pid, &st, 0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child exit");
	close(master);

	/* signal=on (default): ^C kills; the fatal-signal path restores the tty */
	acc[0] = 0;
	master = spawn_on_pty("stdio,id=s", &pid);
	tap_ok(pty_expect(master, "RAW:1", acc, sizeof(acc)), "default stdio: raw too");
	tap_ok(write(master, "\x03", 1) == 1, "send ^C");
	waitpid(pid, &st, 0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 42, "signal=on: ^C raised SIGINT");
	struct termios t;
	tap_ok(tcgetattr(master, &t) == 0 && (t.c_lflag & ICANON) && (t.c_lflag & ECHO),
	       "chardev_restore_terminals put the tty back");
	close(master);
}

/* ---- pty backend ---- */

static bool has_opened(void *arg)
{
	return test_fe_count(arg, CHR_EVENT_OPENED) > 0;
}
static bool has_closed(void *arg)
{
	return test_fe_count(arg, CHR_EVENT_CLOSED) > 0;
}
static bool has_input(void *arg)
{
	return ((struct test_fe *)arg)->nin > 0;
}

static void test_pty(void)
{
	struct vm *vm = fake_vm_new();
	/* capture stdout: the redirect line goes there, as with QEMU */
	int pfd[2];
	if (pipe(pfd) < 0)
		return;
	fflush(stdout);
	int saved = dup(1);
	dup2(pfd[1], 1);
	struct chardev *c = new_chr(vm, "pty,id=pt", NULL);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(pfd[1]);
	char line[256] = "";
	ssize_t r = read(pfd[0], line, sizeof(line) - 1);
	close(pfd[0]);
	if (r > 0)
		line[r] = 0;
	char want[256];
	snprintf(want, sizeof(want), "char device redirected to %s (label pt)\n", c ? chardev_pty_path(c) : "?");
	tap_ok(c && !strcmp(line, want), "QEMU's redirect line on stdout: %.*s", (int)strcspn(line, "\n"), line);
	tap_ok(c && !strncmp(chardev_filename(c), "pty:/dev/pts/", 13), "filename %s", c ? chardev_filename(c) : "");
	struct test_fe t;
	test_fe_init(&t);
	chardev_attach(c, &t.fe, NULL);
	tap_ok(test_fe_count(&t, CHR_EVENT_OPENED) == 0 && chardev_write(c, (const uint8_t *)"x", 1) == 0,
	       "nobody on the slave: not open, output dropped");
	int s = open(chardev_pty_path(c), O_RDWR | O_NOCTTY);
	tap_ok(s >= 0 && fake_loop_until(vm, has_opened, &t, 3000), "opening the slave: OPENED");
	struct termios tio;
	tcgetattr(s, &tio);
	tap_ok(!(tio.c_lflag & (ICANON | ECHO)) && !(tio.c_oflag & OPOST), "slave is raw");
	tap_ok(write(s, "hi\n", 3) == 3 && fake_loop_until(vm, has_input, &t, 2000) && t.nin == 3 &&
		       !memcmp(t.in, "hi\n", 3),
	       "slave input reaches the frontend unchanged");
	chardev_write(c, (const uint8_t *)"out\n", 4);
	char buf[16] = "";
	struct pollfd p = { .fd = s, .events = POLLIN };
	poll(&p, 1, 2000);
	tap_ok(read(s, buf, sizeof(buf)) == 4 && !memcmp(buf, "out\n", 4), "output reaches the slave unchanged");
	close(s);
	tap_ok(fake_loop_until(vm, has_closed, &t, 3000), "closing the slave: CLOSED");
	t.nev = 0;
	s = open(chardev_pty_path(c), O_RDWR | O_NOCTTY);
	tap_ok(fake_loop_until(vm, has_opened, &t, 3000), "reopening: OPENED again");
	chardev_write(c, (const uint8_t *)"again", 5);
	poll(&p, 1, 2000);
	memset(buf, 0, sizeof(buf));
	p.fd = s;
	poll(&p, 1, 2000);
	tap_ok(read(s, buf, sizeof(buf)) == 5 && !memcmp(buf, "again", 5), "and output flows again");
	close(s);
	fake_vm_free(vm);
}

/* serial/tty backend and the legacy "/dev/..." form, on a pty's slave */
static void test_serial_tty(void)
{
	struct vm *vm = fake_vm_new();
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	grantpt(master);
	unlockpt(master);
	char path[64];
	snprintf(path, sizeof(path), "%s", ptsname(master));
	struct error *err = NULL;
	struct chardev *c = chardev_parse_legacy(vm, path, "serial0", &err);
	tap_ok(c && !strcmp(chardev_backend_name(c), "serial") && !strcmp(chardev_filename(c), path),
	       "legacy /dev/pts/N is a serial (tty) chardev");
	error_free(err);
	struct test_fe t;
	test_fe_init(&t);
	chardev_attach(c, &t.fe, NULL);
	tap_ok(test_fe_count(&t, CHR_EVENT_OPENED) == 1, "tty is open at once");
	tap_ok(write(master, "ab\r", 3) == 3 && fake_loop_until(vm, has_input, &t, 2000) &&
		       fake_loop_until(vm, has_input, &t, 100) && t.nin >= 1,
	       "input from the tty");
	for (int i = 0; i < 10; i++)
		fake_loop_once(vm, 3);
	tap_ok(t.nin == 3 && !memcmp(t.in, "ab\r", 3), "raw: CR unchanged, no line buffering");
	chardev_write(c, (const uint8_t *)"x\n", 2);
	char buf[8] = "";
	struct pollfd p = { .fd = master, .events = POLLIN };
	poll(&p, 1, 2000);
	tap_ok(read(master, buf, sizeof(buf)) == 2 && !memcmp(buf, "x\n", 2), "output to the tty, no NL->CRNL");
	struct opts *o = opts_parse("serial,id=t2", "backend", NULL);
	err = NULL;
	tap_ok(!chardev_new(vm, o, &err) && err && !strcmp(err->msg, "chardev: serial/tty: no device path given"),
	       "serial without path");
	error_free(err);
	opts_free(o);
	fake_vm_free(vm);
	close(master);
}

int main(void)
{
	test_mux();
	test_stdio();
	test_pty();
	test_serial_tty();
	return tap_done();
}
