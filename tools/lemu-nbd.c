/*
 * lemu-nbd: export a disk image over NBD, with qemu-nbd's options, messages and exit
 * codes.  The protocol lives in src/nbd/, the image in src/block/; this file parses
 * the command line, opens the image, and runs the server.
 */
#include "block/block.h"
#include "lemu-config.h"
#include "nbd/client.h"
#include "nbd/export-block.h"
#include "nbd/image.h"
#include "nbd/kernel.h"
#include "nbd/nbd.h"
#include "util/error.h"
#include "util/opts.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG "lemu-nbd"

struct tls_object {
	char *id;
	struct nbd_tls *tls;
};

struct nbd_cli {
	const char *port, *bind, *sock, *export_name, *description, *format, *load_snapshot;
	const char *cache, *aio, *discard, *detect_zeroes, *pid_file, *tls_creds, *device;
	const char *tls_hostname;
	bool read_only, persistent, snapshot, verbose, fork, image_opts, disconnect, list;
	unsigned shared;
	uint64_t offset;
	struct tls_object *objects;
	int nobjects;
	char *tmp_overlay; /* -s / -l temporary file, removed on exit */
};

static void usage(void)
{
	printf("Usage: " PROG " [OPTIONS] FILE\n"
	       "QEMU-compatible Disk Network Block Device server\n"
	       "\n"
	       "  -h, --help                display this help and exit\n"
	       "  -V, --version             output version information and exit\n"
	       "\n"
	       "Connection properties:\n"
	       "  -p, --port=PORT           port to listen on (default `10809')\n"
	       "  -b, --bind=IFACE          interface to bind to (default `0.0.0.0')\n"
	       "  -k, --socket=PATH         path to the unix socket\n"
	       "  -e, --shared=NUM          device can be shared by NUM clients (default '1')\n"
	       "  -t, --persistent          don't exit on the last connection\n"
	       "  -v, --verbose             display extra debugging information\n"
	       "  -x, --export-name=NAME    expose export by name (default is empty string)\n"
	       "  -D, --description=TEXT    export a human-readable description\n"
	       "\n"
	       "Exposing part of the image:\n"
	       "  -o, --offset=OFFSET       offset into the image\n"
	       "\n"
	       "General purpose options:\n"
	       "  -L, --list                list exports available from another NBD server\n"
	       "  --object type,id=ID,...   define an object such as 'tls-creds-x509'\n"
	       "  --tls-creds=ID            use id of an earlier --object to provide TLS\n"
	       "  --tls-hostname=HOSTNAME   override hostname used to check x509 certificate\n"
	       "  --fork                    fork off the server process and exit the parent\n"
	       "                            once the server is running\n"
	       "  --pid-file=PATH           store the server's process ID in the given file\n"
	       "\n"
	       "Kernel NBD client support:\n"
	       "  -c, --connect=DEV         connect FILE to the local NBD device DEV\n"
	       "  -d, --disconnect          disconnect the specified device\n"
	       "\n"
	       "Block device options:\n"
	       "  -f, --format=FORMAT       set image format (raw, qcow2, ...)\n"
	       "  -r, --read-only           export read-only\n"
	       "  -s, --snapshot            use FILE as an external snapshot, create a temporary\n"
	       "                            file with backing_file=FILE, redirect the write to\n"
	       "                            the temporary one\n"
	       "  -l, --load-snapshot=SNAPSHOT_PARAM\n"
	       "                            load an internal snapshot inside FILE and export it\n"
	       "                            as an read-only device, SNAPSHOT_PARAM format is\n"
	       "                            'snapshot.id=[ID],snapshot.name=[NAME]', or\n"
	       "                            '[ID_OR_NAME]'\n"
	       "  -n, --nocache             disable host cache\n"
	       "      --cache=MODE          set cache mode used to access the disk image, the\n"
	       "                            valid options are: 'none', 'writeback' (default),\n"
	       "                            'writethrough', 'directsync' and 'unsafe'\n"
	       "      --aio=MODE            set AIO mode (native, io_uring or threads)\n"
	       "      --discard=MODE        set discard mode (ignore, unmap)\n"
	       "      --detect-zeroes=MODE  set detect-zeroes mode (off, on, unmap)\n"
	       "      --image-opts          treat FILE as a full set of image options\n");
}

static void version(void)
{
	printf(PROG " " LEMU_VERSION "\n"
	            "lemu: a QEMU-family machine emulator; NBD server compatible with qemu-nbd.\n");
}

__attribute__((format(printf, 1, 2))) static void die(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_FAILURE);
}

static void die_err(struct error *err)
{
	error_report_err(PROG, err);
	exit(EXIT_FAILURE);
}

static bool one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* --object tls-creds-x509,id=ID,dir=DIR,endpoint=server|client[,verify-peer=on|off] */
static void add_object(struct nbd_cli *cli, const char *spec)
{
	struct error *err = NULL;
	struct opts *o = opts_parse(spec, "qom-type", &err);
	if (!o)
		die_err(err);
	const char *type = opts_get(o, "qom-type");
	if (!type)
		die("Parameter 'qom-type' is missing");
	if (strcmp(type, "tls-creds-x509") != 0)
		die("Parameter 'qom-type' does not accept value '%s'", type);
	const char *id = opts_get(o, "id");
	if (!id)
		die("Parameter 'id' is missing");
	const char *dir = opts_get(o, "dir");
	const char *endpoint = opts_get(o, "endpoint");
	bool verify = true;
	if (opts_get_bool(o, "verify-peer", true, &verify, &err) < 0)
		die_err(err);
	if (endpoint && strcmp(endpoint, "server") != 0 && strcmp(endpoint, "client") != 0)
		die("Parameter 'endpoint' does not accept value '%s'", endpoint);
	/* QEMU accepts and ignores these; dir is what matters. */
	opts_get(o, "priority");
	opts_get(o, "sanity-check");
	opts_get(o, "loaded");
	if (opts_check_unused(o, &err) < 0)
		die_err(err);
	for (int i = 0; i < cli->nobjects; i++)
		if (strcmp(cli->objects[i].id, id) == 0)
			die("attempt to add duplicate property '%s' to object (type 'container')",
			    id);
	if (!dir)
		die("Unable to access credentials: no dir= given for object '%s'", id);
	bool client = endpoint && strcmp(endpoint, "client") == 0;
	struct nbd_tls *tls = nbd_tls_new_x509(dir, client, verify, &err);
	if (!tls)
		die_err(err);
	cli->objects = realloc(cli->objects, (size_t)(cli->nobjects + 1) * sizeof(*cli->objects));
	if (!cli->objects)
		die("out of memory");
	cli->objects[cli->nobjects].id = strdup(id);
	cli->objects[cli->nobjects].tls = tls;
	cli->nobjects++;
	opts_free(o);
}

static void free_objects(struct nbd_cli *cli)
{
	for (int i = 0; i < cli->nobjects; i++) {
		nbd_tls_free(cli->objects[i].tls);
		free(cli->objects[i].id);
	}
	free(cli->objects);
	cli->objects = NULL;
	cli->nobjects = 0;
}

enum {
	OPT_CACHE = 256,
	OPT_AIO,
	OPT_DISCARD,
	OPT_DETECT_ZEROES,
	OPT_FORK,
	OPT_PID_FILE,
	OPT_OBJECT,
	OPT_TLS_CREDS,
	OPT_TLS_HOSTNAME,
	OPT_IMAGE_OPTS,
};

static const struct option long_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "port", required_argument, NULL, 'p' },
	{ "bind", required_argument, NULL, 'b' },
	{ "socket", required_argument, NULL, 'k' },
	{ "shared", required_argument, NULL, 'e' },
	{ "persistent", no_argument, NULL, 't' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "export-name", required_argument, NULL, 'x' },
	{ "description", required_argument, NULL, 'D' },
	{ "offset", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, 'f' },
	{ "read-only", no_argument, NULL, 'r' },
	{ "snapshot", no_argument, NULL, 's' },
	{ "load-snapshot", required_argument, NULL, 'l' },
	{ "nocache", no_argument, NULL, 'n' },
	{ "connect", required_argument, NULL, 'c' },
	{ "disconnect", no_argument, NULL, 'd' },
	{ "list", no_argument, NULL, 'L' },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "aio", required_argument, NULL, OPT_AIO },
	{ "discard", required_argument, NULL, OPT_DISCARD },
	{ "detect-zeroes", required_argument, NULL, OPT_DETECT_ZEROES },
	{ "fork", no_argument, NULL, OPT_FORK },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "object", required_argument, NULL, OPT_OBJECT },
	{ "tls-creds", required_argument, NULL, OPT_TLS_CREDS },
	{ "tls-hostname", required_argument, NULL, OPT_TLS_HOSTNAME },
	{ "image-opts", no_argument, NULL, OPT_IMAGE_OPTS },
	{ NULL, 0, NULL, 0 },
};

static void parse_args(struct nbd_cli *cli, int argc, char **argv, const char ***objects,
                       int *nobjects)
{
	static const char *const caches[] = { "none",       "writeback", "writethrough",
		                              "directsync", "unsafe",    NULL };
	static const char *const aios[] = { "native", "io_uring", "threads", NULL };
	static const char *const discards[] = { "ignore", "off", "unmap", "on", NULL };
	static const char *const dzs[] = { "off", "on", "unmap", NULL };
	int ch;
	uint64_t v;

	cli->shared = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hVp:b:k:e:tvx:D:o:f:rsl:nc:dL", long_opts, NULL)) !=
	       -1) {
		switch (ch) {
		case 'h': usage(); exit(0);
		case 'V': version(); exit(0);
		case 'p': cli->port = optarg; break;
		case 'b': cli->bind = optarg; break;
		case 'k':
			/* qemu-nbd insists on it (the socket outlives any cwd change). */
			if (optarg[0] != '/')
				die("socket path must be absolute");
			cli->sock = optarg;
			break;
		case 'e':
			if (parse_u64(optarg, &v) < 0 || v > INT_MAX)
				die("Invalid shared device number '%s'", optarg);
			cli->shared = (unsigned)v;
			break;
		case 't': cli->persistent = true; break;
		case 'v': cli->verbose = true; break;
		case 'x':
			if (strlen(optarg) > 4096)
				die("Export name '%s' too long", optarg);
			cli->export_name = optarg;
			break;
		case 'D':
			if (strlen(optarg) > 4096)
				die("Export description '%s' too long", optarg);
			cli->description = optarg;
			break;
		case 'o':
			if (parse_u64(optarg, &v) < 0 || (int64_t)v < 0)
				die("Invalid offset '%s'", optarg);
			cli->offset = v;
			break;
		case 'f': cli->format = optarg; break;
		case 'r': cli->read_only = true; break;
		case 's': cli->snapshot = true; break;
		case 'l':
			cli->load_snapshot = optarg;
			cli->read_only = true;
			break;
		case 'n': cli->cache = "none"; break;
		case 'c': cli->device = optarg; break;
		case 'd': cli->disconnect = true; break;
		case 'L': cli->list = true; break;
		case OPT_CACHE:
			if (!one_of(optarg, caches))
				die("Invalid cache mode `%s'", optarg);
			cli->cache = optarg;
			break;
		case OPT_AIO:
			if (!one_of(optarg, aios))
				die("Invalid aio mode '%s'", optarg);
			cli->aio = optarg;
			break;
		case OPT_DISCARD:
			if (!one_of(optarg, discards))
				die("Invalid discard mode `%s'", optarg);
			cli->discard = optarg;
			break;
		case OPT_DETECT_ZEROES:
			if (!one_of(optarg, dzs))
				die("Failed to parse detect_zeroes mode: invalid parameter value: %s",
				    optarg);
			cli->detect_zeroes = optarg;
			break;
		case OPT_FORK: cli->fork = true; break;
		case OPT_PID_FILE: cli->pid_file = optarg; break;
		case OPT_OBJECT:
			*objects = realloc(*objects, (size_t)(*nobjects + 1) * sizeof(char *));
			if (!*objects)
				die("out of memory");
			(*objects)[(*nobjects)++] = optarg;
			break;
		case OPT_TLS_CREDS: cli->tls_creds = optarg; break;
		case OPT_TLS_HOSTNAME: cli->tls_hostname = optarg; break;
		case OPT_IMAGE_OPTS: cli->image_opts = true; break;
		case ':':
			if (strncmp(argv[optind - 1], "--", 2) == 0)
				fprintf(stderr, PROG ": option '%s' requires an argument\n",
				        argv[optind - 1]);
			else
				fprintf(stderr, PROG ": option requires an argument -- '%c'\n",
				        optopt);
			fprintf(stderr, PROG ": Try `" PROG " --help' for more information.\n");
			exit(EXIT_FAILURE);
		default:
			if (optopt)
				fprintf(stderr, PROG ": invalid option -- '%c'\n", optopt);
			else
				fprintf(stderr, PROG ": unrecognized option '%s'\n",
				        argv[optind - 1]);
			fprintf(stderr, PROG ": Try `" PROG " --help' for more information.\n");
			exit(EXIT_FAILURE);
		}
	}
	/* Linux native AIO only works with O_DIRECT; QEMU refuses the combination. */
	if (cli->aio && strcmp(cli->aio, "native") == 0 &&
	    !(cli->cache &&
	      (strcmp(cli->cache, "none") == 0 || strcmp(cli->cache, "directsync") == 0)))
		die("Failed to blk_new_open '%s': aio=native was specified, but it requires "
		    "cache.direct=on, which was not specified.",
		    optind < argc ? argv[optind] : "");
	if (cli->detect_zeroes && strcmp(cli->detect_zeroes, "unmap") == 0 &&
	    !(cli->discard &&
	      (strcmp(cli->discard, "unmap") == 0 || strcmp(cli->discard, "on") == 0)))
		die("setting detect-zeroes to unmap is not allowed without setting discard "
		    "operation to unmap");
}

/* -L: what qemu-nbd -L prints, from the server at -k or -b/-p. */
static int list_exports(const struct nbd_cli *cli, struct nbd_tls *tls)
{
	static const char *const flag_names[16] = {
		[1] = "readonly", [2] = "flush",  [3] = "fua",        [4] = "rotational",
		[5] = "trim",     [6] = "zeroes", [7] = "df",         [8] = "multi",
		[9] = "resize",   [10] = "cache", [11] = "fast-zero",
	};
	struct error *err = NULL;
	int fd = nbd_client_connect(cli->sock, cli->bind ? cli->bind : "localhost",
	                            cli->port ? cli->port : "10809", &err);
	if (fd < 0)
		die_err(err);
	struct nbd_chan *ch = nbd_chan_new_fd(fd);
	struct nbd_export_info *v;
	int n;
	if (!ch)
		die("out of memory");
	/* The certificate is checked against --tls-hostname, else the -b host; a Unix
	 * socket has no host name to check (QEMU refuses that too). */
	const char *host = cli->tls_hostname;
	if (!host && !cli->sock)
		host = cli->bind ? cli->bind : "localhost";
	if (tls && !host) {
		ch->ops->free(ch);
		die("No hostname for certificate validation");
	}
	if (nbd_client_list(&ch, tls, host, &v, &n, &err) < 0) {
		ch->ops->free(ch);
		die_err(err);
	}
	ch->ops->free(ch);
	printf("exports available: %d\n", n);
	for (int i = 0; i < n; i++) {
		printf(" export: '%s'\n", v[i].name);
		if (v[i].description && *v[i].description)
			printf("  description: %s\n", v[i].description);
		if (v[i].flags & 1) {
			printf("  size:  %llu\n", (unsigned long long)v[i].size);
			printf("  flags: 0x%x (", v[i].flags);
			for (int b = 1; b < 16; b++)
				if ((v[i].flags & (1u << b)) && flag_names[b])
					printf(" %s", flag_names[b]);
			printf(" )\n");
		}
		if (v[i].min_block) {
			printf("  min block: %u\n", v[i].min_block);
			printf("  opt block: %u\n", v[i].pref_block);
			printf("  max block: %u\n", v[i].max_block);
		}
		if (v[i].ncontexts) {
			printf("  available meta contexts: %d\n", v[i].ncontexts);
			for (int j = 0; j < v[i].ncontexts; j++)
				printf("   %s\n", v[i].contexts[j]);
		}
	}
	nbd_export_info_free(v, n);
	return 0;
}

static void write_pid_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die("Could not create '%s': %s", path, strerror(errno));
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (write(fd, buf, (size_t)n) != n)
		die("Failed to write pid file '%s': %s", path, strerror(errno));
	close(fd);
}

/* --fork: the parent waits until the child says the server is ready, so errors before
 * that reach the parent's exit status (qemu-nbd behaves the same). Returns the write
 * end of the pipe in the child. */
static int do_fork(void)
{
	int p[2];
	if (pipe(p) < 0)
		die("Failed to create pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		die("Failed to fork: %s", strerror(errno));
	if (pid > 0) {
		char c;
		close(p[1]);
		ssize_t n;
		do
			n = read(p[0], &c, 1);
		while (n < 0 && errno == EINTR);
		if (n == 1)
			exit(0);
		int st = 0;
		waitpid(pid, &st, 0);
		exit(WIFEXITED(st) ? WEXITSTATUS(st) : EXIT_FAILURE);
	}
	close(p[0]);
	setsid();
	return p[1];
}

int main(int argc, char **argv)
{
	struct nbd_cli cli = { 0 };
	const char **objects = NULL;
	int nobjects = 0, ready_fd = -1;
	struct error *err = NULL;

	parse_args(&cli, argc, argv, &objects, &nobjects);
	if (cli.disconnect) {
		if (optind != argc - 1)
			die("Invalid number of arguments");
		if (nbd_kernel_disconnect(argv[optind], &err) < 0)
			die_err(err);
		printf("%s disconnected\n", argv[optind]);
		return 0;
	}
	if (cli.list && optind != argc)
		die("List mode is incompatible with a file name");
	if (!cli.list && optind != argc - 1) {
		fprintf(stderr, PROG ": Invalid number of arguments\n"
		                     "Try `" PROG " --help' for more information.\n");
		return EXIT_FAILURE;
	}
	if (cli.image_opts && cli.format)
		die("--image-opts and -f are mutually exclusive");
	for (int i = 0; i < nobjects; i++)
		add_object(&cli, objects[i]);
	free(objects);
	struct nbd_tls *tls = NULL;
	if (cli.tls_creds) {
		if (cli.device)
			die("TLS is not supported with a host device");
		for (int i = 0; i < cli.nobjects; i++)
			if (strcmp(cli.objects[i].id, cli.tls_creds) == 0)
				tls = cli.objects[i].tls;
		if (!tls)
			die("Failed to get TLS creds: No TLS credentials with id '%s'",
			    cli.tls_creds);
		if (cli.list && !nbd_tls_is_client(tls))
			die("Expecting TLS credentials with a client endpoint");
		if (!cli.list && nbd_tls_is_client(tls))
			die("Expecting TLS credentials with a server endpoint");
	}
	if (cli.tls_hostname && !cli.list)
		die("--tls-hostname is only permitted with -L");
	if (cli.list) {
		int r = list_exports(&cli, tls);
		free_objects(&cli);
		return r;
	}
	const char *file = argv[optind];
	if (cli.device && !nbd_kernel_available())
		die("Failed to open %s: the nbd kernel module is not loaded "
		    "(/sys/module/nbd does not exist; load it with 'modprobe nbd')",
		    cli.device);

	/* Threads (block-layer workers, connections) must not exist before fork. */
	if (cli.fork)
		ready_fd = do_fork();

	/* Signals end the server cleanly (image flushed and closed); they are taken
	 * from a signalfd so that no handler touches shared state. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);

	struct nbd_image_config icfg = {
		.file = file,
		.format = cli.format,
		.image_opts = cli.image_opts,
		.read_only = cli.read_only,
		.snapshot = cli.snapshot,
		.load_snapshot = cli.load_snapshot,
		.cache = cli.cache,
		.aio = cli.aio,
		.discard = cli.discard,
		.detect_zeroes = cli.detect_zeroes,
		.warn = stderr,
	};
	struct blk_node *node = nbd_image_open(&icfg, &err);
	if (!node)
		die_err(err);

	struct blk_error berr = { 0 };
	struct nbd_export *exp =
	        nbd_export_new_block(node, cli.export_name ? cli.export_name : "", cli.description,
	                             cli.offset, nbd_image_export_flags(&icfg), &berr);
	if (!exp)
		die("%s", berr.msg);
	/* One node serves every connection, so a flush on any of them covers writes
	 * completed on all (NBD_FLAG_CAN_MULTI_CONN); qemu-nbd offers it when it admits
	 * more than one client, and a client that opens several connections to a
	 * single-client server would wait forever. */
	exp->can_multi_conn = cli.shared != 1;

	struct nbd_server_config cfg = {
		.max_clients = cli.shared,
		.persistent = cli.persistent,
		.verbose = cli.verbose,
		.workers = 8,
		.tls = tls,
		.handshake_timeout_ms = 10000,
		.prog = PROG,
	};
	struct nbd_server *srv = nbd_server_new(&cfg);
	if (!srv)
		die("out of memory");
	nbd_server_add_export(srv, exp);

	int ret = 0;
	if (cli.device) {
		if (ready_fd >= 0) {
			if (write(ready_fd, "", 1) < 0) {
				/* parent gone: keep going */
			}
			close(ready_fd);
		}
		if (cli.pid_file)
			write_pid_file(cli.pid_file);
		if (nbd_kernel_connect(srv, cli.device, exp->name, &err) < 0) {
			error_report_err(PROG, err);
			ret = EXIT_FAILURE;
		}
	} else {
		int r;
		if (cli.sock)
			r = nbd_server_listen_unix(srv, cli.sock, &err);
		else
			r = nbd_server_listen_tcp(srv, cli.bind ? cli.bind : "0.0.0.0",
			                          cli.port ? cli.port : "10809", &err);
		if (r < 0)
			die_err(err);
		if (cli.pid_file)
			write_pid_file(cli.pid_file);
		if (ready_fd >= 0) {
			/* Ready: let the parent exit, and detach from its terminal. */
			int dn = open("/dev/null", O_RDWR);
			if (dn >= 0) {
				dup2(dn, 0);
				dup2(dn, 1);
				if (!cli.verbose)
					dup2(dn, 2);
				close(dn);
			}
			if (write(ready_fd, "", 1) < 0) {
				/* parent gone: keep going */
			}
			close(ready_fd);
		}
		nbd_server_run(srv, sfd);
	}
	nbd_server_free(srv);
	nbd_export_free_block(exp);
	if (blk_close(node) < 0)
		ret = EXIT_FAILURE;
	free_objects(&cli);
	if (sfd >= 0)
		close(sfd);
	return ret;
}
