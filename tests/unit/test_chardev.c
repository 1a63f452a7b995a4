/* Unit tests for src/chardev: -chardev option handling (QEMU 7.2's error
 * messages, recorded from qemu-system-x86_64), the null/file/pipe backends
 * over real fds, flow control, and the legacy -serial string parser. */
#include "harness.h"
#include "test_chardev_fake.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"
#include "util/opts.h"

static char tmpdir[64];

static struct chardev *new_chr(struct vm *vm, const char *str, char **msg)
{
	struct error *err = NULL;
	struct opts *o = opts_parse(str, "backend", &err);
	struct chardev *c = o ? chardev_new(vm, o, &err) : NULL;
	opts_free(o);
	if (msg)
		*msg = err ? strdup(err->msg) : NULL;
	error_free(err);
	return c;
}

static bool err_is(struct vm *vm, const char *str, const char *want)
{
	char *msg = NULL;
	struct chardev *c = new_chr(vm, str, &msg);
	bool ok = !c && msg && !strcmp(msg, want);
	if (!ok)
		printf("# %s: got '%s', want '%s'\n", str, msg ? msg : "(created)", want);
	free(msg);
	return ok;
}

static struct chardev *legacy(struct vm *vm, const char *str, const char *id, char **msg)
{
	struct error *err = NULL;
	struct chardev *c = chardev_parse_legacy(vm, str, id, &err);
	if (msg)
		*msg = err ? strdup(err->msg) : NULL;
	error_free(err);
	return c;
}

static bool legacy_err(struct vm *vm, const char *str, const char *want_part)
{
	char *msg = NULL;
	struct chardev *c = legacy(vm, str, "ser", &msg);
	bool ok = !c && msg && strstr(msg, want_part);
	if (!ok)
		printf("# %s: got '%s', want '...%s...'\n", str, msg ? msg : "(created)", want_part);
	free(msg);
	return ok;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = calloc(1, 1 << 20);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	return buf;
}

static char *tpath(const char *name)
{
	static char buf[4][128];
	static int k;
	char *p = buf[k++ % 4];
	snprintf(p, 128, "%s/%s", tmpdir, name);
	return p;
}

static bool fe_got(void *arg)
{
	struct test_fe *t = arg;
	return t->nin > 0;
}

struct want {
	struct test_fe *t;
	size_t n;
};
static bool fe_got_n(void *arg)
{
	struct want *w = arg;
	return w->t->nin >= w->n;
}

static void test_options(void)
{
	struct vm *vm = fake_vm_new();
	tap_ok(err_is(vm, "foo,id=x", "'foo' is not a valid char driver name"), "unknown backend");
	tap_ok(err_is(vm, "null", "chardev: no id specified"), "missing id");
	tap_ok(err_is(vm, "foo", "chardev: no id specified"), "missing id is reported before the backend");
	tap_ok(err_is(vm, "id=x", "chardev: \"x\" missing backend"), "missing backend");
	tap_ok(err_is(vm, "null,id=1x",
		      "Parameter 'id' expects an identifier\n"
		      "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter."),
	       "malformed id");
	tap_ok(err_is(vm, "null,id=x,foo=bar", "Invalid parameter 'foo'"), "unknown parameter");
	tap_ok(err_is(vm, "null,id=x,mux=maybe", "Parameter 'mux' expects 'on' or 'off'"), "bad bool");
	tap_ok(err_is(vm, "file,id=x", "chardev: file: no filename given"), "file without path");
	tap_ok(err_is(vm, "pipe,id=x,path=/nonexistent/p", "Could not open '/nonexistent/p': No such file or directory"),
	       "pipe that does not exist");
	tap_ok(err_is(vm, "file,id=x,path=/nonexistent/a", "Could not open '/nonexistent/a': No such file or directory"),
	       "file in a missing directory");
	tap_ok(err_is(vm, "null,id=x,logfile=/nonexistent/x", "Could not create '/nonexistent/x': No such file or directory"),
	       "logfile that cannot be created");
	tap_ok(err_is(vm, "udp,id=x", "chardev: udp: remote port not specified"), "udp without port");
	tap_ok(err_is(vm, "socket,id=x,host=localhost", "chardev: socket: no port given"), "socket without port");
	tap_ok(err_is(vm, "socket,id=x,path=/tmp/zz,server=on,wait=off,reconnect=2",
		      "'reconnect' option is incompatible with socket in server listen mode"),
	       "reconnect with server");
	tap_ok(err_is(vm, "socket,id=x,host=127.0.0.1,port=45700,wait=off",
		      "'wait' option is incompatible with socket in client connect mode"),
	       "wait with client");
	tap_ok(err_is(vm, "socket,id=x,host=localhost,port=abc",
		      "address resolution failed for localhost:abc: Servname not supported for ai_socktype"),
	       "unresolvable port");
	tap_ok(err_is(vm, "stdio,id=x,signal=maybe", "Parameter 'signal' expects 'on' or 'off'"), "stdio signal=");
	tap_ok(err_is(vm, "ringbuf,id=x", "chardev backend 'ringbuf' is not supported by lemu"),
	       "known QEMU backend lemu lacks");
	tap_ok(err_is(vm, "socket,id=x,host=localhost,port=1,tls-creds=t", "socket option 'tls-creds' is not supported by lemu"),
	       "TLS on sockets");
	tap_ok(vm->chardevs == NULL, "failed creations leave nothing behind");
	struct chardev *v = new_chr(vm, "vc,id=v", NULL);
	tap_ok(v && !strcmp(chardev_backend_name(v), "null"), "-chardev vc is null");

	struct chardev *a = new_chr(vm, "null,id=x", NULL);
	tap_ok(a && chardev_find(vm, "x") == a && !strcmp(chardev_id(a), "x"), "null created and found");
	tap_ok(err_is(vm, "null,id=x", "Duplicate ID 'x' for chardev"), "duplicate id");
	tap_ok(!strcmp(chardev_filename(a), "null") && !strcmp(chardev_backend_name(a), "null"), "null filename");

	struct test_fe f1, f2;
	test_fe_init(&f1);
	test_fe_init(&f2);
	struct error *err = NULL;
	tap_ok(chardev_attach(a, &f1.fe, &err) == 0 && test_fe_count(&f1, CHR_EVENT_OPENED) == 1,
	       "attach to an open backend sends OPENED");
	int r = chardev_attach(a, &f2.fe, &err);
	tap_ok(r == -EBUSY && err && !strcmp(err->msg, "Device 'x' is in use"), "second frontend refused: %s",
	       err ? err->msg : "");
	error_free(err);
	tap_ok(chardev_write(a, (const uint8_t *)"abc", 3) == 3, "null swallows output");
	chardev_detach(a, &f1);
	tap_ok(!chardev_has_frontend(a), "detach");
	tap_ok(chardev_attach(a, &f2.fe, NULL) == 0, "attach after detach");

	const char *const *names = chardev_backend_names();
	int n = 0;
	for (; names[n]; n++)
		;
	tap_ok(n >= 8, "backend list (%d names)", n);
	fake_vm_free(vm);
}

static void test_file(void)
{
	struct vm *vm = fake_vm_new();
	char opt[256];
	char *out = tpath("file.out");
	snprintf(opt, sizeof(opt), "file,id=f,path=%s", out);
	struct chardev *c = new_chr(vm, opt, NULL);
	tap_ok(c != NULL, "file created");
	uint8_t big[200000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	tap_ok(chardev_write(c, big, sizeof(big)) == sizeof(big), "file write complete");
	size_t len;
	char *got = slurp(out, &len);
	tap_ok(got && len == sizeof(big) && !memcmp(got, big, len), "file holds every byte");
	free(got);
	fake_vm_free(vm);

	/* append=on keeps what was there; the default truncates */
	vm = fake_vm_new();
	snprintf(opt, sizeof(opt), "file,id=f,path=%s,append=on", out);
	c = new_chr(vm, opt, NULL);
	chardev_write(c, (const uint8_t *)"tail", 4);
	got = slurp(out, &len);
	tap_ok(got && len == sizeof(big) + 4 && !memcmp(got + sizeof(big), "tail", 4), "append=on");
	free(got);
	fake_vm_free(vm);
	vm = fake_vm_new();
	snprintf(opt, sizeof(opt), "file,id=f,path=%s", out);
	c = new_chr(vm, opt, NULL);
	chardev_write(c, (const uint8_t *)"new", 3);
	got = slurp(out, &len);
	tap_ok(got && len == 3 && !memcmp(got, "new", 3), "default truncates");
	free(got);

	/* logfile= gets a copy of the output */
	char *log = tpath("log.out");
	snprintf(opt, sizeof(opt), "null,id=n,logfile=%s", log);
	c = new_chr(vm, opt, NULL);
	chardev_write(c, (const uint8_t *)"logged", 6);
	got = slurp(log, &len);
	tap_ok(got && len == 6 && !memcmp(got, "logged", 6), "logfile copy");
	free(got);

	/* input-path: input flows only while the frontend takes it */
	char *in = tpath("file.in");
	FILE *f = fopen(in, "w");
	fputs("0123456789", f);
	fclose(f);
	snprintf(opt, sizeof(opt), "file,id=g,path=%s,input-path=%s", out, in);
	c = new_chr(vm, opt, NULL);
	struct test_fe t;
	test_fe_init(&t);
	t.room = 3;
	chardev_attach(c, &t.fe, NULL);
	for (int i = 0; i < 20; i++)
		fake_loop_once(vm, 5);
	tap_ok(t.nin == 3 && !memcmp(t.in, "012", 3), "reads stop at can_receive (got %zu)", t.nin);
	t.room = 100;
	for (int i = 0; i < 20; i++)
		fake_loop_once(vm, 5);
	tap_ok(t.nin == 3, "no reads until chardev_accept_input");
	chardev_accept_input(c);
	struct want w = { &t, 10 };
	tap_ok(fake_loop_until(vm, fe_got_n, &w, 2000) && !memcmp(t.in, "0123456789", 10),
	       "accept_input resumes");
	fake_vm_free(vm);
}

static void test_pipe(void)
{
	struct vm *vm = fake_vm_new();
	char *base = tpath("p");
	char pin[160], pout[160], opt[256];
	snprintf(pin, sizeof(pin), "%s.in", base);
	snprintf(pout, sizeof(pout), "%s.out", base);
	tap_ok(mkfifo(pin, 0600) == 0 && mkfifo(pout, 0600) == 0, "fifos");
	snprintf(opt, sizeof(opt), "pipe,id=p,path=%s", base);
	struct chardev *c = new_chr(vm, opt, NULL);
	tap_ok(c && !strcmp(chardev_filename(c), "pipe"), "pipe created");
	int rfd = open(pout, O_RDONLY | O_NONBLOCK);
	int wfd = open(pin, O_WRONLY | O_NONBLOCK);
	struct test_fe t;
	test_fe_init(&t);
	chardev_attach(c, &t.fe, NULL);
	tap_ok(write(wfd, "hello", 5) == 5 && fake_loop_until(vm, fe_got, &t, 2000) && test_fe_has(&t, "hello"),
	       "PATH.in reaches the frontend");
	chardev_write(c, (const uint8_t *)"world", 5);
	char buf[16] = { 0 };
	tap_ok(read(rfd, buf, sizeof(buf)) == 5 && !memcmp(buf, "world", 5), "output reaches PATH.out");

	/* nobody reads PATH.out: the guest must not block, output is bounded */
	uint8_t chunk[4096];
	memset(chunk, 'x', sizeof(chunk));
	size_t accepted = 0;
	for (int i = 0; i < 256; i++) /* 1 MiB */
		accepted += chardev_write(c, chunk, sizeof(chunk));
	tap_ok(accepted < 512 * 1024, "stalled reader: 1 MiB written without blocking, %zu accepted", accepted);
	/* draining it delivers the buffered part in order */
	size_t drained = 0;
	for (int i = 0; i < 200; i++) {
		fake_loop_once(vm, 2);
		ssize_t r;
		while ((r = read(rfd, chunk, sizeof(chunk))) > 0)
			drained += (size_t)r;
	}
	tap_ok(drained == accepted, "buffered output flushed on POLLOUT (%zu of %zu)", drained, accepted);
	close(rfd);
	close(wfd);
	fake_vm_free(vm);

	/* a single PATH (no .in/.out): a FIFO used both ways */
	vm = fake_vm_new();
	char *one = tpath("q");
	mkfifo(one, 0600);
	snprintf(opt, sizeof(opt), "pipe,id=q,path=%s", one);
	tap_ok(new_chr(vm, opt, NULL) != NULL, "pipe on one PATH");
	fake_vm_free(vm);
}

static void test_legacy(void)
{
	struct vm *vm = fake_vm_new();
	char *msg = NULL;
	char s[256];
	struct chardev *c;

	tap_ok(legacy(vm, "none", "s0", &msg) == NULL && !msg, "none: no chardev, no error");
	c = legacy(vm, "null", "s1", NULL);
	tap_ok(c && !strcmp(chardev_backend_name(c), "null") && !strcmp(chardev_id(c), "s1"), "null");
	c = legacy(vm, "vc", "s2", NULL);
	tap_ok(c && !strcmp(chardev_backend_name(c), "null"), "vc is a null device (no display)");
	c = legacy(vm, "vc:80Cx24C", "s3", NULL);
	tap_ok(c && !strcmp(chardev_backend_name(c), "null"), "vc:WxH");
	snprintf(s, sizeof(s), "file:%s", tpath("legacy.out"));
	c = legacy(vm, s, "s4", NULL);
	tap_ok(c && !strcmp(chardev_backend_name(c), "file") && !strcmp(chardev_filename(c), "file"), "file:");
	char *pp = tpath("lp");
	mkfifo(pp, 0600);
	snprintf(s, sizeof(s), "pipe:%s", pp);
	c = legacy(vm, s, "s5", NULL);
	tap_ok(c && !strcmp(chardev_backend_name(c), "pipe"), "pipe:");
	c = legacy(vm, "pty", "s6", NULL);
	tap_ok(c && !strncmp(chardev_filename(c), "pty:/dev/pts/", 13) && chardev_pty_path(c), "pty (%s)",
	       c ? chardev_filename(c) : "");
	c = legacy(vm, "tcp:127.0.0.1:0,server=on,wait=off", "s7", &msg);
	tap_ok(c && !strncmp(chardev_filename(c), "disconnected:tcp:127.0.0.1:", 27) &&
		       strstr(chardev_filename(c), ",server=on"),
	       "tcp:host:port,server=on,wait=off (%s)", c ? chardev_filename(c) : msg);
	free(msg);
	c = legacy(vm, "telnet::0,server,nowait", "s8", &msg);
	tap_ok(c && !strncmp(chardev_filename(c), "disconnected:telnet:", 20), "telnet::port,server,nowait (%s)",
	       c ? chardev_filename(c) : msg);
	free(msg);
	c = legacy(vm, "tcp:[::1]:0,server=on,wait=off,ipv6", "s9", &msg);
	tap_ok(c || (msg && strstr(msg, "available port")), "tcp:[v6]:port (%s)", c ? chardev_filename(c) : msg);
	free(msg);
	snprintf(s, sizeof(s), "unix:%s,server,wait=off", tpath("l.sock"));
	c = legacy(vm, s, "s10", &msg);
	tap_ok(c && strstr(chardev_filename(c), "disconnected:unix:") && strstr(chardev_filename(c), "l.sock,server=on"),
	       "unix:path,server,wait=off (%s)", c ? chardev_filename(c) : msg);
	free(msg);
	c = legacy(vm, "udp:127.0.0.1:45999@127.0.0.1:0", "s11", &msg);
	tap_ok(c && !strcmp(chardev_backend_name(c), "udp"), "udp:host:port@src:port");
	free(msg);
	c = legacy(vm, "udp::45998", "s12", &msg);
	tap_ok(c && !strcmp(chardev_backend_name(c), "udp"), "udp::port (%s)", msg ? msg : "ok");
	free(msg);
	c = legacy(vm, "udp::45997@:0", "s13", &msg);
	tap_ok(c != NULL, "udp::port@:port (%s)", msg ? msg : "ok");
	free(msg);
	c = legacy(vm, "chardev:s1", "x", NULL);
	tap_ok(c == chardev_find(vm, "s1"), "chardev:id");
	c = legacy(vm, "mon:null", "s14", NULL);
	tap_ok(c && chardev_is_mux(c) && !strcmp(chardev_id(c), "s14") && chardev_find(vm, "s14-base") &&
		       !strcmp(chardev_filename(c), "mux"),
	       "mon:null is a mux over s14-base");
	/* tcp client: connect to one of ours */
	struct chardev *srv = chardev_find(vm, "s7");
	const char *fn = chardev_filename(srv);
	const char *port = strrchr(fn, ':');
	int pnum = 0;
	for (const char *q = fn + 27; *q >= '0' && *q <= '9'; q++)
		pnum = pnum * 10 + (*q - '0');
	(void)port;
	snprintf(s, sizeof(s), "tcp:127.0.0.1:%d,nodelay", pnum);
	c = legacy(vm, s, "s15", &msg);
	tap_ok(c && strstr(chardev_filename(c), " <-> 127.0.0.1:"), "tcp client (%s)", c ? chardev_filename(c) : msg);
	free(msg);

	/* malformed and refused strings */
	tap_ok(legacy_err(vm, "foo", "'foo' is not a valid char driver"), "unknown form");
	tap_ok(legacy_err(vm, "file", "'file' is not a valid char driver"), "file without colon");
	tap_ok(legacy_err(vm, "file:", "Could not open '': No such file or directory"), "file: empty path");
	tap_ok(legacy_err(vm, "tcp:", "expected tcp:[HOST]:PORT"), "tcp: alone");
	tap_ok(legacy_err(vm, "tcp:localhost", "expected tcp:[HOST]:PORT"), "tcp without port");
	tap_ok(legacy_err(vm, "tcp:localhost:", "expected tcp:[HOST]:PORT"), "tcp empty port");
	tap_ok(legacy_err(vm, "tcp:localhost,server", "expected tcp:[HOST]:PORT"), "tcp host,opts");
	tap_ok(legacy_err(vm, "tcp:[::1:4", "expected tcp:[HOST]:PORT"), "tcp unclosed bracket");
	tap_ok(legacy_err(vm, "telnet:", "expected telnet:[HOST]:PORT"), "telnet: alone");
	tap_ok(legacy_err(vm, "tcp:127.0.0.1:1234,foo=bar", "Invalid parameter 'foo'"), "tcp unknown option");
	tap_ok(legacy_err(vm, "tcp:127.0.0.1:1234,server=maybe", "Parameter 'server' expects 'on' or 'off'"),
	       "tcp bad bool");
	tap_ok(legacy_err(vm, "tcp:127.0.0.1:1", "Failed to connect to '127.0.0.1:1': Connection refused"),
	       "tcp refused (QEMU's message)");
	tap_ok(legacy_err(vm, "tcp:nonexistent.invalid:1", "address resolution failed for nonexistent.invalid:1"),
	       "tcp unresolvable host");
	tap_ok(legacy_err(vm, "unix:", "expected unix:PATH"), "unix: alone");
	tap_ok(legacy_err(vm, "unix:/nonexistent/s", "Failed to connect to '/nonexistent/s': No such file or directory"),
	       "unix client to nothing");
	tap_ok(legacy_err(vm, "unix:/nonexistent/s,server=on,wait=off", "Failed to bind socket to /nonexistent/s"),
	       "unix server in a missing directory");
	tap_ok(legacy_err(vm, "udp:", "expected udp:"), "udp: alone");
	tap_ok(legacy_err(vm, "udp:localhost", "expected udp:"), "udp without port");
	tap_ok(legacy_err(vm, "udp:localhost:1@", "expected [SRC_IP]:SRC_PORT"), "udp empty source");
	tap_ok(legacy_err(vm, "udp:localhost:1@x", "expected [SRC_IP]:SRC_PORT"), "udp source without port");
	tap_ok(legacy_err(vm, "chardev:nope", "Chardev 'nope' not found"), "chardev: unknown id");
	tap_ok(legacy_err(vm, "mon:foo", "'foo' is not a valid char driver"), "mon: over an unknown form");
	/* odd corners: an error each, never a crash */
	static const char *const odd[] = { "tcp:[", "tcp:]:", "tcp:[]:", "tcp::", "tcp:,", "udp:@", "udp::", "udp::1@",
					   "udp::1@:", "udp:[::1", "mon:", "mon:mon:null", "unix:,server", "telnet::",
					   "file", "pipe", "", ":", "tcp:a:b:c", "udp:a:1@b:2:3" };
	int odd_ok = 0;
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		char *m = NULL;
		struct chardev *x = legacy(vm, odd[i], "odd", &m);
		if (!x && m)
			odd_ok++;
		else
			printf("# '%s' -> %s\n", odd[i], x ? "created" : "no error");
		free(m);
	}
	tap_ok(odd_ok == (int)(sizeof(odd) / sizeof(odd[0])), "%d odd strings refused with a message", odd_ok);
	tap_ok(legacy_err(vm, "chardev:", "Chardev '' not found"), "chardev: without id");
	tap_ok(legacy_err(vm, "/dev/nonexistent-tty", "Could not open '/dev/nonexistent-tty'"), "/dev/ path");
	tap_ok(legacy(vm, "null", "ser", NULL) != NULL, "null as 'ser'");
	tap_ok(legacy_err(vm, "null", "Duplicate ID 'ser' for chardev"), "legacy id reused");
	fake_vm_free(vm);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/lemu-chr-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	test_options();
	test_file();
	test_pipe();
	test_legacy();
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd))
		printf("# cleanup failed\n");
	return tap_done();
}
