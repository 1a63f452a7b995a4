/*
 * lemu-system-x86_64: the PC emulator's command line (QEMU's spellings:
 * one or two leading dashes, "help" for -M/-cpu/-device), VM creation and
 * the main loop.  Errors name the option and exit with status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chardev/chardev.h"
#include "core/device.h"
#include "core/loop_int.h"
#include "core/vm.h"
#include "core/vm_int.h"
#include "cpu/x86/cpu_model.h"
#include "hw/block_backend.h"
#include "net/net.h"
#include "hw/x86/machine.h"
#include "lemu-config.h"
#include "monitor/monitor.h"
#include "util/error.h"
#include "util/opts.h"

#define PROG "lemu-system-x86_64"
#define MAX_LIST 64

struct cmdline {
	struct vm_config cfg;
	char *owned[MAX_LIST]; /* strings copied out of option parsing, freed at exit */
	int nowned;
	const char *machine_opts;
	const char *accel;
	const char *serial[MAX_LIST];
	int nserial;
	const char *chardev[MAX_LIST];
	int nchardev;
	const char *device[MAX_LIST];
	int ndevice;
	const char *global[MAX_LIST];
	int nglobal;
	const char *drive[MAX_LIST];
	int ndrive;
	const char *blockdev[MAX_LIST];
	int nblockdev;
	bool snapshot;
	/* -netdev, -nic, -net in order (net/net_opts.c) */
	struct {
		const char *kind, *arg;
	} net[MAX_LIST];
	int nnet;
	/* -monitor DEV, -qmp DEV, -qmp-pretty DEV, -mon OPTS, in order */
	struct {
		const char *kind;
		const char *arg;
	} mon[MAX_LIST];
	int nmon;
	const char *debugcon;
	const char *pidfile;
	const char *logfile;
	const char *log_items;
	bool nographic, display_none, daemonize;
};

/* A copy of s owned by the command line (freed when main returns). */
static const char *keep(struct cmdline *cl, const char *s)
{
	char *d = strdup(s);
	if (!d || cl->nowned >= (int)(sizeof(cl->owned) / sizeof(cl->owned[0]))) {
		free(d);
		fprintf(stderr, PROG ": %s: too many options\n", s);
		exit(1);
	}
	cl->owned[cl->nowned++] = d;
	return d;
}

static void usage(void)
{
	printf("usage: " PROG " [options] [disk_image]\n\n"
	       "'disk_image' is a raw hard disk image for IDE hard disk 0 (not supported yet)\n\n"
	       "Standard options:\n"
	       "-h or -help     display this help and exit\n"
	       "-version        display version information and exit\n"
	       "-machine [type=]name[,prop[=value][,...]]\n"
	       "                selects emulated machine ('-machine help' for list)\n"
	       "-M name         same as -machine name\n"
	       "-accel tcg      select accelerator (tcg; kvm is not available yet)\n"
	       "-cpu cpu        select CPU ('-cpu help' for list)\n"
	       "-smp [[cpus=]n][,maxcpus=maxcpus][,sockets=sockets][,cores=cores][,threads=threads]\n"
	       "                set the number of initial CPUs to 'n' [default=1]\n"
	       "-m [size=]megs  configure guest RAM size (default 128 MiB; suffixes k, M, G)\n"
	       "-name string    set the name of the guest\n"
	       "-L path         set the directory for the BIOS and other firmware files\n"
	       "-bios file      set the filename for the BIOS\n"
	       "-device driver[,prop[=value][,...]]\n"
	       "                add device driver; prop=value set driver properties ('-device help')\n"
	       "-global driver.property=value\n"
	       "                set a default value of a driver's property\n"
	       "-nodefaults     don't create default devices\n\n"
	       "Boot Image or Kernel specific:\n"
	       "-kernel bzImage use 'bzImage' as kernel image (bzImage, PVH ELF vmlinux or multiboot)\n"
	       "-append cmdline use 'cmdline' as kernel command line\n"
	       "-initrd file    use 'file' as initial ram disk\n\n"
	       "Display and character devices:\n"
	       "-nographic      disable graphical output; serial port and monitor on stdio\n"
	       "-display none   no display\n"
	       "-serial dev     redirect the serial port to char device 'dev' (stdio, file:PATH,\n"
	       "                null, none, mon:stdio, pty, ...)\n"
	       "-chardev backend,id=id[,...]\n"
	       "                configure a character device\n"
	       "-debugcon dev   redirect the debug console (port 0xe9) to char device 'dev'\n"
	       "-monitor dev    redirect the monitor to char device 'dev'\n"
	       "-qmp dev        like -monitor but opens in 'control' mode\n"
	       "-qmp-pretty dev like -qmp but uses pretty JSON formatting\n"
	       "-mon [chardev=]name[,mode=readline|control][,pretty[=on|off]]\n\n"
	       "Run control and debugging:\n"
	       "-no-reboot      exit instead of rebooting\n"
	       "-no-shutdown    stop before shutdown\n"
	       "-S              freeze CPU at startup (use 'c' to start execution)\n"
	       "-daemonize      daemonize QEMU after initializing\n"
	       "-pidfile file   write PID to 'file'\n"
	       "-d item1,...    enable logging of specified items (use '-d help' for a list)\n"
	       "-D logfile      output log to logfile (default stderr)\n\n"
	       "During emulation, with -nographic, the following keys are useful:\n"
	       "ctrl-a h        print this help\n"
	       "ctrl-a x        exit emulator\n");
}

static const struct {
	const char *name;
	unsigned flag;
	const char *help;
} log_items[] = {
	{ "in_asm", CPU_LOG_IN_ASM, "show target assembly code for each compiled TB" },
	{ "int", CPU_LOG_INT | VM_LOG_INT, "show interrupts/exceptions in short format" },
	{ "exec", CPU_LOG_EXEC, "show trace before each executed TB (lots of logs)" },
	{ "cpu", CPU_LOG_CPU, "show CPU registers before entering a TB (lots of logs)" },
	{ "guest_errors", VM_LOG_GUEST_ERRORS | CPU_LOG_GUEST_ERRORS, "log when the guest OS does something invalid (eg accessing a\nnon-existent register)" },
	{ "unimp", VM_LOG_UNIMP | CPU_LOG_UNIMP, "log unimplemented functionality" },
};

static int parse_log_items(const char *s, unsigned *out)
{
	if (!strcmp(s, "help")) {
		/* QEMU lists the items and exits with status 1. */
		printf("Log items (comma separated):\n");
		for (size_t i = 0; i < sizeof(log_items) / sizeof(log_items[0]); i++)
			printf("%-15s %s\n", log_items[i].name, log_items[i].help);
		exit(1);
	}
	char *dup = strdup(s), *save = NULL;
	unsigned flags = 0;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t i;
		for (i = 0; i < sizeof(log_items) / sizeof(log_items[0]); i++)
			if (!strcmp(t, log_items[i].name))
				break;
		if (i == sizeof(log_items) / sizeof(log_items[0])) {
			fprintf(stderr, PROG ": -d %s: unknown logging item '%s' (see '-d help')\n", s, t);
			free(dup);
			return -1;
		}
		flags |= log_items[i].flag;
	}
	free(dup);
	*out = flags;
	return 0;
}

/* -smp [cpus=]n[,sockets=s][,dies=d][,cores=c][,threads=t][,maxcpus=m]: missing
 * values are derived as QEMU 7.2 does for pc-i440fx-7.2 (cores preferred over
 * sockets), with its error messages. */
static int parse_smp(const char *s, struct vm_config *cfg)
{
	struct error *err = NULL;
	struct opts *o = opts_parse(s, "cpus", &err);
	if (!o) {
		fprintf(stderr, PROG ": -smp %s: %s\n", s, err->msg);
		error_free(err);
		return -1;
	}
	uint64_t cpus = 0, sockets = 0, dies = 0, cores = 0, threads = 0, maxcpus = 0;
	int r = -1;
	if (opts_get_u64(o, "cpus", 0, &cpus, &err) < 0 || opts_get_u64(o, "sockets", 0, &sockets, &err) < 0 ||
	    opts_get_u64(o, "dies", 0, &dies, &err) < 0 || opts_get_u64(o, "cores", 0, &cores, &err) < 0 ||
	    opts_get_u64(o, "threads", 0, &threads, &err) < 0 || opts_get_u64(o, "maxcpus", 0, &maxcpus, &err) < 0 ||
	    opts_check_unused(o, &err) < 0) {
		fprintf(stderr, PROG ": -smp %s: %s\n", s, err->msg);
		error_free(err);
		goto out;
	}
	if (dies > 1) {
		fprintf(stderr, PROG ": -smp %s: dies not supported by this machine's CPU topology\n", s);
		goto out;
	}
	dies = 1;
	if (cpus == 0 && maxcpus == 0) {
		sockets = sockets ? sockets : 1;
		cores = cores ? cores : 1;
		threads = threads ? threads : 1;
	} else {
		maxcpus = maxcpus ? maxcpus : cpus;
		if (cores == 0) {
			sockets = sockets ? sockets : 1;
			threads = threads ? threads : 1;
			cores = maxcpus / (sockets * threads);
		} else if (sockets == 0) {
			threads = threads ? threads : 1;
			sockets = maxcpus / (cores * threads);
		}
		if (threads == 0)
			threads = maxcpus / ((sockets * cores) != 0 ? sockets * cores : 1);
	}
	maxcpus = maxcpus ? maxcpus : sockets * cores * threads;
	cpus = cpus ? cpus : maxcpus;
	if (sockets * cores * threads != maxcpus) {
		fprintf(stderr, PROG ": Invalid CPU topology: product of the hierarchy must match maxcpus: "
				"sockets (%llu) * dies (%llu) * cores (%llu) * threads (%llu) != maxcpus (%llu)\n",
			(unsigned long long)sockets, (unsigned long long)dies, (unsigned long long)cores,
			(unsigned long long)threads, (unsigned long long)maxcpus);
	} else if (maxcpus < cpus) {
		fprintf(stderr, PROG ": Invalid CPU topology: maxcpus must be equal to or greater than smp: "
				"sockets (%llu) * dies (%llu) * cores (%llu) * threads (%llu) == maxcpus (%llu) < smp_cpus (%llu)\n",
			(unsigned long long)sockets, (unsigned long long)dies, (unsigned long long)cores,
			(unsigned long long)threads, (unsigned long long)maxcpus, (unsigned long long)cpus);
	} else if (maxcpus > VM_MAX_CPUS) {
		fprintf(stderr, PROG ": Invalid SMP CPUs %llu. The max CPUs supported by machine 'pc-i440fx-7.2' is %d\n",
			(unsigned long long)maxcpus, VM_MAX_CPUS);
	} else {
		cfg->smp = (int)cpus;
		cfg->sockets = (int)sockets;
		cfg->cores = (int)cores;
		cfg->threads = (int)threads;
		cfg->maxcpus = (int)maxcpus;
		r = 0;
	}
out:
	opts_free(o);
	return r;
}

/* -m [size=]N[suffix][,slots=,maxmem=]: a bare number is MiB. */
static int parse_mem(const char *s, uint64_t *out)
{
	struct error *err = NULL;
	struct opts *o = opts_parse(s, "size", &err);
	if (!o) {
		fprintf(stderr, PROG ": -m %s: %s\n", s, err->msg);
		error_free(err);
		return -1;
	}
	const char *v = opts_get(o, "size");
	(void)opts_get(o, "slots");
	(void)opts_get(o, "maxmem");
	uint64_t sz;
	int r = 0;
	if (opts_check_unused(o, &err) < 0) {
		fprintf(stderr, PROG ": -m %s: %s\n", s, err->msg);
		error_free(err);
		r = -1;
	} else if (!v || parse_size(v, 20, &sz) < 0) {
		fprintf(stderr, PROG ": -m %s: Parameter 'size' expects a non-negative number below 2^64\n", s);
		r = -1;
	} else if (sz < (2u << 20)) {
		fprintf(stderr, PROG ": -m %s: ram size too small (minimum 2 MiB)\n", s);
		r = -1;
	} else {
		*out = (sz + 0xfff) & ~0xfffull;
	}
	opts_free(o);
	return r;
}

static const char *const accepted_ignored[] = { "-no-hpet", NULL };

/* Options and whether they take an argument. */
static const struct {
	const char *name;
	bool arg;
} known_opts[] = {
	{ "h", false }, { "help", false }, { "version", false }, { "machine", true }, { "M", true },
	{ "accel", true }, { "enable-kvm", false }, { "cpu", true }, { "smp", true }, { "m", true },
	{ "kernel", true }, { "initrd", true }, { "append", true }, { "bios", true }, { "L", true },
	{ "nographic", false }, { "display", true }, { "serial", true }, { "no-reboot", false },
	{ "no-shutdown", false }, { "name", true }, { "pidfile", true }, { "daemonize", false },
	{ "d", true }, { "D", true }, { "device", true }, { "global", true }, { "nodefaults", false },
	{ "chardev", true }, { "debugcon", true }, { "vga", true }, { "monitor", true }, { "qmp", true },
	{ "mon", true }, { "S", false }, { "no-hpet", false }, { "drive", true }, { "netdev", true },
	{ "nic", true }, { "net", true }, { "blockdev", true }, { "snapshot", false },
	{ "qmp-pretty", true },
};

static int find_opt(const char *name)
{
	for (size_t i = 0; i < sizeof(known_opts) / sizeof(known_opts[0]); i++)
		if (!strcmp(known_opts[i].name, name))
			return (int)i;
	return -1;
}

static void apply_globals(struct vm *vm, struct cmdline *cl, struct error **errp)
{
	/* -global DRIVER.PROP=VALUE: kept on the VM for device_create. */
	for (int i = 0; i < cl->nglobal; i++) {
		const char *g = cl->global[i];
		const char *dot = strchr(g, '.'), *eq = strchr(g, '=');
		if (!dot || !eq || eq < dot || dot == g || eq == dot + 1) {
			error_setg(errp, "-global %s: Invalid format: expected DRIVER.PROPERTY=VALUE", g);
			return;
		}
		char *drv = strndup(g, (size_t)(dot - g));
		if (!device_class_find(drv)) {
			error_setg(errp, "-global %s: '%s' is not a valid device model name", g, drv);
			free(drv);
			return;
		}
		free(drv);
		if (!vm->globals)
			vm->globals = opts_parse("", NULL, NULL);
		char *key = strndup(g, (size_t)(eq - g));
		opts_set(vm->globals, key, eq + 1);
		free(key);
	}
}

static int daemonize_start(int *ready_fd)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		/* Parent: wait until the child says it is up, then exit. */
		close(p[1]);
		char st = 1;
		ssize_t n = read(p[0], &st, 1);
		_exit(n == 1 && st == 0 ? 0 : 1);
	}
	close(p[0]);
	setsid();
	*ready_fd = p[1];
	return 0;
}

static void daemonize_done(int ready_fd)
{
	if (ready_fd < 0)
		return;
	int fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	char ok = 0;
	if (write(ready_fd, &ok, 1) < 0) {
		/* the parent is gone; nothing to tell */
	}
	close(ready_fd);
}

static struct vm *signal_vm;
static void on_signal(int sig)
{
	(void)sig;
	if (signal_vm)
		vm_request(signal_vm, VM_EVENT_HOST_SIGNAL);
}

int main(int argc, char **argv)
{
	struct cmdline cl;
	memset(&cl, 0, sizeof(cl));
	cl.cfg.ram_size = 128ull << 20;
	cl.cfg.smp = 1;
	cl.cfg.sockets = cl.cfg.cores = cl.cfg.threads = cl.cfg.maxcpus = 1;
	const char *machine_name = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-') {
			fprintf(stderr, PROG ": %s: disk images on the command line are not supported yet "
					"(use -drive in a later release)\n", a);
			return 1;
		}
		const char *name = a + 1;
		if (*name == '-')
			name++;
		int k = find_opt(name);
		if (k < 0) {
			fprintf(stderr, PROG ": %s: invalid option\n", a);
			return 1;
		}
		const char *arg = NULL;
		if (known_opts[k].arg) {
			if (i + 1 >= argc) {
				fprintf(stderr, PROG ": %s: requires an argument\n", a);
				return 1;
			}
			arg = argv[++i];
		}
		if (!strcmp(name, "h") || !strcmp(name, "help")) {
			usage();
			return 0;
		} else if (!strcmp(name, "version")) {
			printf(PROG " version " LEMU_VERSION " (QEMU 7.2.0 compatible)\n"
			       "Copyright (c) 2024 the lemu developers\n");
			return 0;
		} else if (!strcmp(name, "machine") || !strcmp(name, "M")) {
			struct error *err = NULL;
			struct opts *o = opts_parse(arg, "type", &err);
			if (!o) {
				fprintf(stderr, PROG ": -%s %s: %s\n", name, arg, err->msg);
				error_free(err);
				return 1;
			}
			const char *t = opts_get(o, "type");
			if (t && !strcmp(t, "help")) {
				machine_print_help(stdout);
				opts_free(o);
				return 0;
			}
			if (t)
				machine_name = keep(&cl, t);
			const char *acc = opts_get(o, "accel");
			if (acc)
				cl.accel = keep(&cl, acc);
			/* Properties lemu's machines accept and ignore. */
			(void)opts_get(o, "usb");
			(void)opts_get(o, "vmport");
			(void)opts_get(o, "dump-guest-core");
			(void)opts_get(o, "mem-merge");
			if (opts_check_unused(o, &err) < 0) {
				fprintf(stderr, PROG ": -%s %s: %s\n", name, arg, err->msg);
				error_free(err);
				opts_free(o);
				return 1;
			}
			opts_free(o);
			cl.machine_opts = arg;
		} else if (!strcmp(name, "accel")) {
			struct opts *o = opts_parse(arg, "accel", NULL);
			const char *acc = o ? opts_get(o, "accel") : NULL;
			if (acc && !strcmp(acc, "help")) {
				printf("Accelerators supported in QEMU binary:\ntcg\n");
				opts_free(o);
				return 0;
			}
			cl.accel = acc ? keep(&cl, acc) : "";
			opts_free(o);
		} else if (!strcmp(name, "enable-kvm")) {
			cl.accel = "kvm";
		} else if (!strcmp(name, "cpu")) {
			if (!strcmp(arg, "help") || !strcmp(arg, "?")) {
				cpu_model_list(stdout);
				return 0;
			}
			cl.cfg.cpu_model = arg;
		} else if (!strcmp(name, "smp")) {
			if (parse_smp(arg, &cl.cfg) < 0)
				return 1;
		} else if (!strcmp(name, "m")) {
			if (parse_mem(arg, &cl.cfg.ram_size) < 0)
				return 1;
		} else if (!strcmp(name, "kernel")) {
			cl.cfg.kernel = arg;
		} else if (!strcmp(name, "initrd")) {
			cl.cfg.initrd = arg;
		} else if (!strcmp(name, "append")) {
			cl.cfg.append = arg;
		} else if (!strcmp(name, "bios")) {
			cl.cfg.bios = arg;
		} else if (!strcmp(name, "L")) {
			cl.cfg.datadir = arg;
		} else if (!strcmp(name, "nographic")) {
			cl.nographic = true;
		} else if (!strcmp(name, "display")) {
			if (strcmp(arg, "none") && strncmp(arg, "none,", 5)) {
				fprintf(stderr, PROG ": -display %s: lemu has no graphical display; use -display none or -nographic\n", arg);
				return 1;
			}
			cl.display_none = true;
		} else if (!strcmp(name, "vga")) {
			if (strcmp(arg, "none")) {
				fprintf(stderr, PROG ": -vga %s: no display adapters are emulated; only -vga none is accepted\n", arg);
				return 1;
			}
		} else if (!strcmp(name, "serial")) {
			if (cl.nserial >= 4) {
				fprintf(stderr, PROG ": -serial %s: too many serial ports (at most 4)\n", arg);
				return 1;
			}
			cl.serial[cl.nserial++] = arg;
		} else if (!strcmp(name, "chardev")) {
			cl.chardev[cl.nchardev++ % MAX_LIST] = arg;
		} else if (!strcmp(name, "drive") || !strcmp(name, "blockdev")) {
			/* hw/block_backend.c opens them once the VM exists */
			bool drv = !strcmp(name, "drive");
			int *n = drv ? &cl.ndrive : &cl.nblockdev;
			if (*n >= MAX_LIST) {
				fprintf(stderr, PROG ": %s %s: too many block devices\n", a, arg);
				return 1;
			}
			(drv ? cl.drive : cl.blockdev)[(*n)++] = arg;
		} else if (!strcmp(name, "netdev") || !strcmp(name, "nic") || !strcmp(name, "net")) {
			if (!strcmp(name, "netdev") && (!strcmp(arg, "help") || !strcmp(arg, "?"))) {
				net_print_help();
				return 0;
			}
			if (cl.nnet >= MAX_LIST) {
				fprintf(stderr, PROG ": %s %s: too many network options\n", a, arg);
				return 1;
			}
			cl.net[cl.nnet].kind = name;
			cl.net[cl.nnet++].arg = arg;
		} else if (!strcmp(name, "snapshot")) {
			cl.snapshot = true;
		} else if (!strcmp(name, "device")) {
			if (cl.ndevice >= MAX_LIST) {
				fprintf(stderr, PROG ": -device %s: too many devices\n", arg);
				return 1;
			}
			if (!strcmp(arg, "help") || !strcmp(arg, "?")) {
				device_print_help(NULL);
				return 0;
			}
			size_t n = strlen(arg);
			if (n > 5 && !strcmp(arg + n - 5, ",help")) {
				char *drv = strndup(arg, n - 5);
				device_print_help(drv);
				int ok = device_class_find(drv) != NULL;
				free(drv);
				return ok ? 0 : 1;
			}
			cl.device[cl.ndevice++] = arg;
		} else if (!strcmp(name, "global")) {
			if (cl.nglobal < MAX_LIST)
				cl.global[cl.nglobal++] = arg;
		} else if (!strcmp(name, "no-reboot")) {
			cl.cfg.no_reboot = true;
		} else if (!strcmp(name, "no-shutdown")) {
			cl.cfg.no_shutdown = true;
		} else if (!strcmp(name, "name")) {
			struct opts *o = opts_parse(arg, "guest", NULL);
			const char *g = o ? opts_get(o, "guest") : NULL;
			const char *proc = o ? opts_get(o, "process") : NULL;
			cl.cfg.name = g ? keep(&cl, g) : NULL;
			if (proc)
				prctl(PR_SET_NAME, proc);
			opts_free(o);
		} else if (!strcmp(name, "pidfile")) {
			cl.pidfile = arg;
		} else if (!strcmp(name, "daemonize")) {
			cl.daemonize = true;
		} else if (!strcmp(name, "d")) {
			cl.log_items = arg;
			if (parse_log_items(arg, &cl.cfg.log_flags) < 0)
				return 1;
		} else if (!strcmp(name, "D")) {
			cl.logfile = arg;
		} else if (!strcmp(name, "nodefaults")) {
			cl.cfg.nodefaults = true;
		} else if (!strcmp(name, "debugcon")) {
			cl.debugcon = arg;
		} else if (!strcmp(name, "monitor") || !strcmp(name, "qmp") || !strcmp(name, "qmp-pretty") ||
			   !strcmp(name, "mon")) {
			if (cl.nmon >= MAX_LIST) {
				fprintf(stderr, PROG ": %s %s: too many monitors\n", a, arg);
				return 1;
			}
			cl.mon[cl.nmon].kind = name;
			cl.mon[cl.nmon++].arg = arg;
		} else if (!strcmp(name, "S")) {
			cl.cfg.start_paused = true;
		} else if (!strcmp(name, "no-hpet")) {
			(void)accepted_ignored;
		} else {
			/* Recognised QEMU options whose subsystems come in later
			 * issues: refuse clearly rather than ignore. */
			fprintf(stderr, PROG ": %s: option not supported yet by lemu\n", a);
			return 1;
		}
	}

	if (cl.accel && strcmp(cl.accel, "tcg")) {
		if (!strcmp(cl.accel, "kvm"))
			fprintf(stderr, PROG ": -accel kvm: KVM acceleration is not supported yet; use -accel tcg\n");
		else
			fprintf(stderr, PROG ": -accel %s: invalid accelerator %s\n", cl.accel, cl.accel);
		return 1;
	}
	if (cl.daemonize && cl.nographic) {
		fprintf(stderr, PROG ": -nographic cannot be used with -daemonize\n");
		return 1;
	}
	const struct machine_class *mc = machine_find(machine_name);
	if (!mc) {
		fprintf(stderr, PROG ": unsupported machine type\nUse -machine help to list supported machines\n");
		return 1;
	}
	cl.cfg.machine = mc->name;
	if (!cl.cfg.kernel && !cl.cfg.bios) {
		fprintf(stderr, PROG ": no -kernel given and no -bios: lemu has no built-in firmware\n");
		return 1;
	}
	if ((cl.cfg.initrd || cl.cfg.append) && !cl.cfg.kernel) {
		fprintf(stderr, PROG ": -%s only allowed with -kernel option\n", cl.cfg.initrd ? "initrd" : "append");
		return 1;
	}

	FILE *logf = NULL;
	if (cl.logfile) {
		logf = fopen(cl.logfile, "w");
		if (!logf) {
			fprintf(stderr, PROG ": -D %s: %s\n", cl.logfile, strerror(errno));
			return 1;
		}
		setvbuf(logf, NULL, _IOLBF, 0);
	}

	struct error *err = NULL;
	struct vm *vm = vm_new(&cl.cfg, &err);
	if (!vm) {
		error_report_err(PROG, err);
		return 1;
	}
	vm->logfile = logf;
	for (int i = 0; i < vm->ncpus; i++) {
		vm->vcpus[i]->cpu.logfile = logf;
		vm->vcpus[i]->cpu.log_flags = cl.cfg.log_flags & 0xff;
	}

	int status = 1;
	int ready_fd = -1;
	/* Character devices: -chardev, then -serial/-debugcon forms. */
	for (int i = 0; i < cl.nchardev; i++) {
		struct opts *o = opts_parse(cl.chardev[i], "backend", &err);
		if (!o || !chardev_new(vm, o, &err)) {
			fprintf(stderr, PROG ": -chardev %s: %s\n", cl.chardev[i], err ? err->msg : "invalid");
			error_free(err);
			opts_free(o);
			goto out;
		}
		opts_free(o);
	}
	/* As QEMU: -nographic shares stdio between the serial port and the
	 * monitor unless a monitor was asked for elsewhere. */
	if (cl.nserial == 0 && !cl.cfg.nodefaults)
		cl.serial[cl.nserial++] = cl.nographic ? (cl.nmon ? "stdio" : "mon:stdio") : "null";
	for (int i = 0; i < cl.nserial; i++) {
		char id[24];
		snprintf(id, sizeof(id), "serial%d", i);
		vm->serial[i] = chardev_parse_legacy(vm, cl.serial[i], id, &err);
		/* mon:DEV: a human monitor shares the mux with the serial port
		 * (attached first, so the serial port has the focus). */
		if (!err && vm->serial[i] && !strncmp(cl.serial[i], "mon:", 4))
			monitor_add(vm, vm->serial[i], MONITOR_HMP, false, &err);
		if (err) {
			fprintf(stderr, PROG ": -serial %s: %s\n", cl.serial[i], err->msg);
			error_free(err);
			goto out;
		}
	}
	/* -monitor/-qmp/-mon, before the machine attaches its frontends. */
	for (int i = 0; i < cl.nmon; i++) {
		if (monitor_parse_option(vm, cl.mon[i].kind, cl.mon[i].arg, &err) < 0) {
			fprintf(stderr, PROG ": -%s %s: %s\n", cl.mon[i].kind, cl.mon[i].arg, err->msg);
			error_free(err);
			goto out;
		}
	}
	if (cl.debugcon) {
		vm->debugcon = chardev_parse_legacy(vm, cl.debugcon, "debugcon", &err);
		if (err) {
			fprintf(stderr, PROG ": -debugcon %s: %s\n", cl.debugcon, err->msg);
			error_free(err);
			goto out;
		}
	}
	apply_globals(vm, &cl, &err);
	if (err) {
		fprintf(stderr, PROG ": %s\n", err->msg);
		error_free(err);
		goto out;
	}
	/* Block backends: -blockdev nodes, then -drive (with -snapshot). */
	for (int i = 0; i < cl.nblockdev; i++) {
		if (blockdev_add(vm, cl.blockdev[i], &err) < 0) {
			fprintf(stderr, PROG ": -blockdev %s: %s\n", cl.blockdev[i], err->msg);
			error_free(err);
			goto out;
		}
	}
	for (int i = 0; i < cl.ndrive; i++) {
		if (drive_add(vm, cl.drive[i], cl.snapshot, &err) < 0) {
			fprintf(stderr, PROG ": -drive %s: %s\n", cl.drive[i], err->msg);
			error_free(err);
			goto out;
		}
	}
	/* Network backends (-netdev, -nic, -net); -nic/-net nic NICs come
	 * with the machine, before -device, as QEMU's pc creates them. */
	for (int i = 0; i < cl.nnet; i++) {
		const char *k = cl.net[i].kind;
		int r = !strcmp(k, "netdev") ? net_netdev_add(vm, cl.net[i].arg, &err)
		        : !strcmp(k, "nic")  ? net_nic_add(vm, cl.net[i].arg, &err)
		                             : net_legacy_add(vm, cl.net[i].arg, &err);
		if (r > 0) { /* model=help printed */
			status = 0;
			goto out;
		}
		if (r < 0) {
			fprintf(stderr, PROG ": -%s %s: %s\n", k, cl.net[i].arg, err->msg);
			error_free(err);
			goto out;
		}
	}
	if (mc->init(vm, &err) < 0) {
		error_report_err(PROG, err);
		goto out;
	}
	if (net_create_nics(vm, &err) < 0) {
		error_report_err(PROG, err);
		goto out;
	}
	for (int i = 0; i < cl.ndevice; i++) {
		struct opts *o = opts_parse(cl.device[i], "driver", &err);
		const char *drv = o ? opts_get(o, "driver") : NULL;
		if (!o || !drv) {
			fprintf(stderr, PROG ": -device %s: %s\n", cl.device[i], err ? err->msg : "'driver' is missing");
			error_free(err);
			opts_free(o);
			goto out;
		}
		const struct device_class *dc = device_class_find(drv);
		if (dc && !dc->user_creatable) {
			fprintf(stderr, PROG ": -device %s: Parameter 'driver' expects a pluggable device type\n", cl.device[i]);
			opts_free(o);
			goto out;
		}
		if (!device_create(vm, drv, o, &err)) {
			fprintf(stderr, PROG ": -device %s: %s\n", cl.device[i], err->msg);
			error_free(err);
			opts_free(o);
			goto out;
		}
		opts_free(o);
	}

	/* if=virtio drives get their virtio-blk-pci now (after -device, as QEMU). */
	if (drive_create_devices(vm, &err) < 0) {
		fprintf(stderr, PROG ": %s\n", err->msg);
		error_free(err);
		goto out;
	}
	net_check_clients(vm);

	if (cl.daemonize && daemonize_start(&ready_fd) < 0) {
		fprintf(stderr, PROG ": -daemonize: %s\n", strerror(errno));
		goto out;
	}
	if (cl.pidfile) {
		FILE *pf = fopen(cl.pidfile, "w");
		if (!pf) {
			fprintf(stderr, PROG ": cannot create PID file: %s: %s\n", cl.pidfile, strerror(errno));
			goto out;
		}
		fprintf(pf, "%d\n", (int)getpid());
		fclose(pf);
	}
	signal_vm = vm;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (vm_start(vm) < 0) {
		fprintf(stderr, PROG ": cannot start vCPU threads\n");
		goto out;
	}
	daemonize_done(ready_fd);
	ready_fd = -1;
	status = vm_main_loop(vm);
	if (cl.pidfile)
		unlink(cl.pidfile);
out:
	chardev_restore_terminals(vm);
	monitor_cleanup(vm);
	/* Flush and close images (qcow2 metadata, -snapshot overlays) while
	 * the devices still exist; they let go of their backends in vm_free. */
	drive_close_all(vm);
	/* Backends close their sockets and slirp before the devices go. */
	net_cleanup(vm);
	if (ready_fd >= 0)
		close(ready_fd);
	vm_free(vm);
	if (logf)
		fclose(logf);
	for (int i = 0; i < cl.nowned; i++)
		free(cl.owned[i]);
	return status;
}
