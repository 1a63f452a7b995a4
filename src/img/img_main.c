/*
 * lemu-img entry point: global options (-h, -V, -T), then the subcommand table.
 */
#include "img/img.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "lemu-config.h"

struct img_command {
	const char *name;
	int (*fn)(struct img *img, int argc, char **argv);
};

static const struct img_command img_commands[] = {
	{ "amend", img_cmd_amend },
	{ "bench", img_cmd_bench },
	{ "check", img_cmd_check },
	{ "commit", img_cmd_commit },
	{ "compare", img_cmd_compare },
	{ "convert", img_cmd_convert },
	{ "create", img_cmd_create },
	{ "dd", img_cmd_dd },
	{ "info", img_cmd_info },
	{ "map", img_cmd_map },
	{ "measure", img_cmd_measure },
	{ "snapshot", img_cmd_snapshot },
	{ "rebase", img_cmd_rebase },
	{ "resize", img_cmd_resize },
};

static const char img_help_text[] =
	"usage: lemu-img [standard options] command [command options]\n"
	"lemu disk image utility (qemu-img compatible)\n"
	"\n"
	"    '-h', '--help'       display this help and exit\n"
	"    '-V', '--version'    output version information and exit\n"
	"    '-T', '--trace'      accepted for compatibility (no trace events)\n"
	"\n"
	"Command syntax:\n"
	"  amend [-p] [-q] [-f fmt] [-t cache] [--force] -o options filename\n"
	"  bench [-c count] [-d depth] [-f fmt] [--flush-interval=flush_interval] [-i aio] [-n] [--no-drain] [-o offset] [--pattern=pattern] [-q] [-s buffer_size] [-S step_size] [-t cache] [-w] [-U] filename\n"
	"  check [-q] [-f fmt] [--output=ofmt] [-r [leaks | all]] [-T src_cache] [-U] filename\n"
	"  commit [-q] [-f fmt] [-t cache] [-b base] [-r rate_limit] [-d] [-p] filename\n"
	"  compare [-f fmt] [-F fmt] [-T src_cache] [-p] [-q] [-s] [-U] filename1 filename2\n"
	"  convert [--target-is-zero] [-U] [-C] [-c] [-p] [-q] [-n] [-f fmt] [-t cache] [-T src_cache] [-O output_fmt] [-B backing_file [-F backing_fmt]] [-o options] [-S sparse_size] [-r rate_limit] [-m num_coroutines] [-W] filename [filename2 [...]] output_filename\n"
	"  create [-q] [-f fmt] [-b backing_file [-F backing_fmt]] [-u] [-o options] filename [size]\n"
	"  dd [-U] [-f fmt] [-O output_fmt] [bs=block_size] [count=blocks] [skip=blocks] if=input of=output\n"
	"  info [-f fmt] [--output=ofmt] [--backing-chain] [-U] filename\n"
	"  map [-f fmt] [--start-offset=offset] [--max-length=len] [--output=ofmt] [-U] filename\n"
	"  measure [--output=ofmt] [-O output_fmt] [-o options] [--size N | [-f fmt] filename]\n"
	"  snapshot [-U] [-q] [-l | -a snapshot | -c snapshot | -d snapshot] filename\n"
	"  rebase [-U] [-q] [-f fmt] [-t cache] [-T src_cache] [-p] [-u] -b backing_file [-F backing_fmt] filename\n"
	"  resize [-f fmt] [--preallocation=prealloc] [-q] [--shrink] filename [+ | -]size\n"
	"\n"
	"Command parameters:\n"
	"  'filename' is a disk image filename\n"
	"  'fmt' is the disk image format (raw or qcow2). It is guessed automatically in most cases\n"
	"  'cache' is the cache mode used to write the output disk image, the valid\n"
	"    options are: 'none', 'writeback' (default, except for convert), 'writethrough',\n"
	"    'directsync' and 'unsafe' (default for convert)\n"
	"  'src_cache' is the cache mode used to read input disk images, the valid\n"
	"    options are the same as for the 'cache' option\n"
	"  'size' is the disk image size in bytes. Optional suffixes\n"
	"    'k' or 'K' (kilobyte, 1024), 'M' (megabyte, 1024k), 'G' (gigabyte, 1024M),\n"
	"    'T' (terabyte, 1024G), 'P' (petabyte, 1024T) and 'E' (exabyte, 1024P)  are\n"
	"    supported. 'b' is ignored.\n"
	"  'output_filename' is the destination disk image filename\n"
	"  'output_fmt' is the destination format\n"
	"  'options' is a comma separated list of format specific options in a\n"
	"    name=value format. Use -o help for an overview of the options supported by\n"
	"    the used format\n"
	"  '-c' indicates that target image must be compressed (qcow2 only)\n"
	"  '-u' allows unsafe backing chains (create: do not open the backing file;\n"
	"       rebase: only rewrite the backing file name)\n"
	"  '-p' show progress of command (only certain commands)\n"
	"  '-q' use Quiet mode - do not print any output (except errors)\n"
	"  '-S' sparse size for convert (default 4k, 0 = fully allocate)\n"
	"  '--output' takes the format in which the output must be done (human or json)\n"
	"  '-n' skips the target volume creation\n"
	"\n"
	"Supported formats: file qcow2 raw\n"
	"\n"
	"See docs/lemu-img.md for details.\n";

int img_help(struct img *img)
{
	fputs(img_help_text, img->out);
	return 0;
}

static void img_version(struct img *img)
{
	fprintf(img->out, "%s version " LEMU_VERSION " (qemu-img 7.2 compatible)\n", img->progname);
}

int img_main(int argc, char **argv)
{
	struct img img_s = { .progname = IMG_PROGNAME, .out = stdout, .err = stderr };
	struct img *img = &img_s;
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "trace", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	if (argc < 2)
		return img_usage_error(img, "Not enough arguments");
	optind = 0;
	/* '+': stop at the command name; its options belong to the command. */
	while ((c = img_getopt(img, argc, argv, "+:hVT:", longopts)) != -1) {
		switch (c) {
		case '?':
			return 1;
		case 'h':
			return img_help(img);
		case 'V':
			img_version(img);
			return 0;
		case 'T':
			break;
		}
	}
	if (optind >= argc)
		return img_usage_error(img, "Not enough arguments");
	const char *cmd = argv[optind];
	for (size_t i = 0; i < sizeof(img_commands) / sizeof(img_commands[0]); i++) {
		if (!strcmp(cmd, img_commands[i].name)) {
			int sub_argc = argc - optind;
			char **sub_argv = argv + optind;
			optind = 0;
			int rc = img_commands[i].fn(img, sub_argc, sub_argv);
			fflush(img->out);
			return rc;
		}
	}
	return img_usage_error(img, "Command not found: %s", cmd);
}
