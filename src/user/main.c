/*
 * lemu-x86_64 / lemu-i386: Linux user-mode emulator entry point.
 * Command line and QEMU_* environment variables follow qemu-user
 * (linux-user/main.c usage table) so the binaries can be swapped.
 */
#include "user.h"

#include "lemu-config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#if defined(LEMU_USER_TARGET_I386)
#define TARGET_NAME "i386"
#define TARGET_ABI32 1
#else
#define TARGET_NAME "x86_64"
#define TARGET_ABI32 0
#endif

extern char **environ;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lemu-" TARGET_NAME " [options] program [arguments...]\n"
		"Linux CPU emulator (compiled for " TARGET_NAME " emulation)\n"
		"\n"
		"Options and associated environment variables:\n"
		"\n"
		"Argument             Env-variable      Description\n"
		"-h                                     print this help\n"
		"-help                                  \n"
		"-L path              QEMU_LD_PREFIX    set the elf interpreter prefix to 'path'\n"
		"-s size              QEMU_STACK_SIZE   set the stack size to 'size' bytes\n"
		"-cpu model           QEMU_CPU          select CPU (-cpu help for list)\n"
		"-E var=value         QEMU_SET_ENV      sets targets environment variable (see below)\n"
		"-U var               QEMU_UNSET_ENV    unsets targets environment variable (see below)\n"
		"-0 argv0             QEMU_ARGV0        forces target process argv[0] to be 'argv0'\n"
		"-r uname             QEMU_UNAME        set qemu uname release string to 'uname'\n"
		"-B address           QEMU_GUEST_BASE   set guest_base address to 'address'\n"
		"-R size              QEMU_RESERVED_VA  reserve 'size' bytes for guest virtual address space\n"
		"-d item[,...]        QEMU_LOG          enable logging of specified items (use '-d help' for a list of items)\n"
		"-D logfile           QEMU_LOG_FILENAME write logs to 'logfile' (default stderr)\n"
		"-p pagesize          QEMU_PAGESIZE     set the host page size to 'pagesize'\n"
		"-strace              QEMU_STRACE       log system calls\n"
		"-version             QEMU_VERSION      display version information and exit\n"
		"\n"
		"Defaults:\n"
		"QEMU_LD_PREFIX  = /\n"
		"QEMU_STACK_SIZE = 8388608 byte\n"
		"\n"
		"You can use -E and -U options or the QEMU_SET_ENV and\n"
		"QEMU_UNSET_ENV environment variables to set and unset\n"
		"environment variables for the target process.\n"
		"It is possible to provide several variables by separating them\n"
		"by commas in getsubopt(3) style. Additionally it is possible to\n"
		"provide the -E and -U options multiple times.\n"
		"The following lines are equivalent:\n"
		"    -E var1=val2 -E var2=val2 -U LD_PRELOAD -U LD_DEBUG\n"
		"    -E var1=val2,var2=val2 -U LD_PRELOAD,LD_DEBUG\n"
		"    QEMU_SET_ENV=var1=val2,var2=val2 QEMU_UNSET_ENV=LD_PRELOAD,LD_DEBUG\n"
		"Note that if you provide several changes to a single variable\n"
		"the last change will stay in effect.\n");
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'M': v <<= 20; end++; break;
	case 'G': v <<= 30; end++; break;
	case 'T': v <<= 40; end++; break;
	default: break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

/* Guest environment: host environ with -E/-U edits applied. */
struct envlist {
	char **v;
	int n, cap;
};

static void env_unset(struct envlist *e, const char *name)
{
	size_t l = strlen(name);
	for (int i = 0; i < e->n; i++)
		if (!strncmp(e->v[i], name, l) && e->v[i][l] == '=') {
			memmove(&e->v[i], &e->v[i + 1], (size_t)(e->n - i) * sizeof(char *));
			e->n--;
			i--;
		}
}

static void env_set(struct envlist *e, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq)
		return;
	char *name = strndup(kv, (size_t)(eq - kv));
	env_unset(e, name);
	free(name);
	if (e->n + 2 > e->cap) {
		e->cap = e->cap * 2 + 16;
		e->v = realloc(e->v, (size_t)e->cap * sizeof(char *));
	}
	e->v[e->n++] = strdup(kv);
	e->v[e->n] = NULL;
}

static void env_apply_list(struct envlist *e, const char *list, int set)
{
	char *dup = strdup(list), *save = NULL;
	for (char *tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (set)
			env_set(e, tok);
		else
			env_unset(e, tok);
	}
	free(dup);
}

static void reexec_add(struct user_opts *o, const char *a, const char *b)
{
	o->reexec_argv = realloc(o->reexec_argv, (size_t)(o->reexec_argc + 3) * sizeof(char *));
	o->reexec_argv[o->reexec_argc++] = (char *)a;
	if (b)
		o->reexec_argv[o->reexec_argc++] = (char *)b;
	o->reexec_argv[o->reexec_argc] = NULL;
}

/* Options that take an argument and are passed on to exec'd guests. */
static int handle_opt(struct user_opts *o, struct envlist *env, const char *name, const char *arg,
		      int *want_version)
{
	uint64_t v;
	if (!strcmp(name, "L")) {
		o->ld_prefix = arg;
		reexec_add(o, "-L", arg);
	} else if (!strcmp(name, "s")) {
		if (parse_size(arg, &v) || v == 0) {
			fprintf(stderr, "lemu-" TARGET_NAME ": Invalid stack size: %s\n", arg);
			return -1;
		}
		o->stack_size = v;
		reexec_add(o, "-s", arg);
	} else if (!strcmp(name, "cpu")) {
		o->cpu_spec = arg;
		reexec_add(o, "-cpu", arg);
	} else if (!strcmp(name, "E")) {
		env_apply_list(env, arg, 1);
	} else if (!strcmp(name, "U")) {
		env_apply_list(env, arg, 0);
	} else if (!strcmp(name, "0")) {
		o->argv0 = arg;
	} else if (!strcmp(name, "r")) {
		o->uname_release = arg;
		reexec_add(o, "-r", arg);
	} else if (!strcmp(name, "B")) {
		if (parse_size(arg, &v) || (v & (TARGET_PAGE - 1))) {
			fprintf(stderr, "lemu-" TARGET_NAME ": Invalid guest base: %s\n", arg);
			return -1;
		}
		o->guest_base = v;
		o->have_guest_base = 1;
		reexec_add(o, "-B", arg);
	} else if (!strcmp(name, "R")) {
		if (parse_size(arg, &v)) {
			fprintf(stderr, "lemu-" TARGET_NAME ": Invalid reserved_va: %s\n", arg);
			return -1;
		}
		o->reserve = PAGE_UP(v);
		reexec_add(o, "-R", arg);
	} else if (!strcmp(name, "d")) {
		if (!strcmp(arg, "help")) {
			printf("Log items (comma separated):\n");
			for (const struct log_item *it = user_log_items; it->name; it++)
				printf("%-15s %s\n", it->name, it->help);
			exit(1); /* qemu-user exits 1 after -d help */
		}
		const char *bad;
		size_t bl;
		long m = user_log_parse(arg, &bad, &bl);
		if (m < 0) {
			fprintf(stderr, "lemu-" TARGET_NAME ": unknown log item '%.*s'\nLog items (comma separated):\n",
				(int)bl, bad);
			for (const struct log_item *it = user_log_items; it->name; it++)
				fprintf(stderr, "%-15s %s\n", it->name, it->help);
			return -1;
		}
		o->log_mask |= (unsigned)m;
		reexec_add(o, "-d", arg);
	} else if (!strcmp(name, "D")) {
		o->log_file = arg;
		reexec_add(o, "-D", arg);
	} else if (!strcmp(name, "p")) {
		if (parse_size(arg, &v) || v == 0 || (v & (v - 1))) {
			fprintf(stderr, "lemu-" TARGET_NAME ": page size must be a power of two\n");
			return -1;
		}
		/* Guest pages are 4 KiB like the host's; other sizes are
		 * accepted for compatibility and otherwise ignored. */
		reexec_add(o, "-p", arg);
	} else if (!strcmp(name, "dfilter") || !strcmp(name, "seed")) {
		/* accepted, no effect */
	} else if (!strcmp(name, "g") || !strcmp(name, "trace") || !strcmp(name, "plugin")) {
		fprintf(stderr, "lemu-" TARGET_NAME ": option -%s is not supported by lemu\n", name);
		return -1;
	} else {
		(void)want_version;
		return 1;
	}
	return 0;
}

static const struct {
	const char *env;
	const char *opt;
	int has_arg;
} env_opts[] = {
	{ "QEMU_LD_PREFIX", "L", 1 },   { "QEMU_STACK_SIZE", "s", 1 },
	{ "QEMU_CPU", "cpu", 1 },       { "QEMU_SET_ENV", "E", 1 },
	{ "QEMU_UNSET_ENV", "U", 1 },   { "QEMU_ARGV0", "0", 1 },
	{ "QEMU_UNAME", "r", 1 },       { "QEMU_GUEST_BASE", "B", 1 },
	{ "QEMU_RESERVED_VA", "R", 1 }, { "QEMU_LOG", "d", 1 },
	{ "QEMU_LOG_FILENAME", "D", 1 }, { "QEMU_PAGESIZE", "p", 1 },
	{ "QEMU_STRACE", "strace", 0 }, { "QEMU_VERSION", "version", 0 },
};

static const char *const arg_opts[] = { "L", "s", "cpu", "E", "U", "0", "r", "B", "R", "d",
					"D", "p", "dfilter", "seed", "g", "trace", "plugin", NULL };

static int opt_has_arg(const char *n)
{
	for (int i = 0; arg_opts[i]; i++)
		if (!strcmp(arg_opts[i], n))
			return 1;
	return 0;
}

#if defined(__SANITIZE_ADDRESS__)
/* ASan build of the emulator (tests run guests under it): lemu handles
 * SIGSEGV itself (guest faults, self-modifying code), and what is still
 * allocated at exit is not a leak worth failing a guest's exit status for. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0:handle_segv=0:allow_user_segv_handler=1";
}
#endif

int main(int argc, char **argv)
{
	struct user_opts *o = calloc(1, sizeof(*o));
	struct envlist env = { 0 };
	int want_version = 0;

	for (char **e = environ; *e; e++)
		env_set(&env, *e);
	if (!env.v) {
		env.v = calloc(1, sizeof(char *));
	}

	/* Environment first, then the command line overrides. */
	for (size_t i = 0; i < sizeof(env_opts) / sizeof(env_opts[0]); i++) {
		const char *v = getenv(env_opts[i].env);
		if (!v)
			continue;
		if (!env_opts[i].has_arg) {
			if (!strcmp(env_opts[i].opt, "strace")) {
				o->strace = 1;
				o->log_mask |= LOG_STRACE;
			} else
				want_version = 1;
			continue;
		}
		if (handle_opt(o, &env, env_opts[i].opt, v, &want_version) < 0)
			return 1;
	}

	int i = 1;
	while (i < argc) {
		const char *a = argv[i];
		if (a[0] != '-' || !a[1])
			break;
		i++;
		if (!strcmp(a, "--"))
			break;
		const char *name = a + 1;
		if (*name == '-')
			name++;
		if (!strcmp(name, "h") || !strcmp(name, "help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(name, "version")) {
			want_version = 1;
			continue;
		}
		if (!strcmp(name, "strace")) {
			o->strace = 1;
			o->log_mask |= LOG_STRACE;
			reexec_add(o, "-strace", NULL);
			continue;
		}
		if (!strcmp(name, "singlestep") || !strcmp(name, "one-insn-per-tb"))
			continue;
		if (!opt_has_arg(name)) {
			fprintf(stderr, "lemu-" TARGET_NAME ": unknown option '%s'\n", name);
			return 1;
		}
		if (i >= argc) {
			fprintf(stderr, "lemu-" TARGET_NAME ": option '%s' requires an argument\n", a);
			return 1;
		}
		if (!strcmp(name, "cpu") && (!strcmp(argv[i], "help") || !strcmp(argv[i], "?"))) {
			cpu_model_list(stdout);
			return 1; /* as qemu-user */
		}
		int r = handle_opt(o, &env, name, argv[i], &want_version);
		if (r < 0)
			return 1;
		i++;
	}
	if (want_version) {
		printf("lemu-" TARGET_NAME " version " LEMU_VERSION " (lemu user-mode emulator)\n"
		       "Copyright (c) 2024 the lemu developers\n");
		return 0;
	}
	if (i >= argc) {
		usage(stderr);
		return 1;
	}

	struct user_proc *p = calloc(1, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	p->abi32 = TARGET_ABI32;
	p->opts = o;
	p->exe_fd = -1;
	p->log_mask = o->log_mask;
	if (o->log_file) {
		p->log = fopen(o->log_file, "w");
		if (!p->log) {
			fprintf(stderr, "lemu-" TARGET_NAME ": cannot open log file %s: %s\n", o->log_file, strerror(errno));
			return 1;
		}
		int lfd = fileno(p->log);
		fcntl(lfd, F_SETFD, FD_CLOEXEC);
		setvbuf(p->log, NULL, _IOLBF, 0);
	}
	char selfbuf[4096];
	ssize_t sl = readlink("/proc/self/exe", selfbuf, sizeof(selfbuf) - 1);
	if (sl > 0) {
		selfbuf[sl] = 0;
		p->self_exe = strdup(selfbuf);
	} else
		p->self_exe = strdup(argv[0]);

	if (p->abi32) {
		p->reserved = 1;
		p->reserve = 1ull << 32;
		if (o->reserve && o->reserve < p->reserve)
			p->reserve = o->reserve;
	} else if (o->reserve) {
		p->reserved = 1;
		p->reserve = o->reserve;
	} else if (o->have_guest_base && o->guest_base) {
		/* A guest base with no size: reserve a 47-bit-safe window. */
		p->reserved = 1;
		p->reserve = 1ull << 40;
	}
	if (o->have_guest_base)
		p->guest_base = (uintptr_t)o->guest_base;
	int r = user_mem_init(p);
	if (r) {
		fprintf(stderr, "lemu-" TARGET_NAME ": Unable to reserve 0x%" PRIx64 " bytes of virtual address space at %#" PRIxPTR " (%s)\n",
			p->reserve, p->guest_base, strerror(-r));
		return 1;
	}

	struct user_thread *t = user_thread_new(p);
	struct cpu *c = &t->cpu;
	struct cpu_config cfg;
	char err[256];
	if (cpu_config_parse(&cfg, o->cpu_spec ? o->cpu_spec : "max", err, sizeof(err))) {
		fprintf(stderr, "lemu-" TARGET_NAME ": %s\n", err);
		return 1;
	}
	p->cpu_cfg = cfg;
	cpu_init(c, cfg.model, p->abi32 ? CPU_MODE_USER32 : CPU_MODE_USER64);
	cpu_apply_config(c, &cfg);
	c->guest_base = p->guest_base;
	c->mem_direct = true;
	c->env = &user_env_ops;
	c->opaque = t;
	c->log_flags = ((p->log_mask & LOG_IN_ASM) ? CPU_LOG_IN_ASM : 0) |
		       ((p->log_mask & LOG_EXEC) ? CPU_LOG_EXEC : 0) |
		       ((p->log_mask & LOG_CPU) ? CPU_LOG_CPU : 0);
	c->logfile = p->log;
	p->tbc = tb_cache_new();
	c->tbc = p->tbc;
	t->tid = (int)gettid();
	p->nthreads = 1;

	char **gargv = &argv[i];
	int gargc = argc - i;
	char **av = calloc((size_t)gargc + 1, sizeof(char *));
	for (int k = 0; k < gargc; k++)
		av[k] = gargv[k];
	const char *path = gargv[0];
	if (o->argv0)
		av[0] = (char *)o->argv0;
	if (!env.v[0] && env.n == 0)
		env.v[0] = NULL;

	user_signal_init(p);
	user_signal_thread_init(t);

	struct elf_info info;
	r = user_load_program(p, c, path, av, env.v, &info, err, sizeof(err));
	if (r) {
		fprintf(stderr, "lemu-" TARGET_NAME ": %s\n", err);
		return 1;
	}
	if (p->log_mask & LOG_PAGE) {
		FILE *lf = p->log ? p->log : stderr;
		user_dump_maps(p, lf);
		fprintf(lf, "start_brk   0x%016" PRIx64 "\nentry       0x%016" PRIx64 "\nstack_start 0x%016" PRIx64 "\n",
			p->brk_start, info.entry, info.sp);
	}
	free(av);
	user_cpu_loop(t);
}
