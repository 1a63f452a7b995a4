/*
 * lemu-img: the disk image tool (qemu-img compatible command line).
 * tools/lemu-img.c only calls img_main(); every subcommand lives in src/img/.
 */
#ifndef LEMU_IMG_IMG_H
#define LEMU_IMG_IMG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define IMG_PROGNAME "lemu-img"

/* Per-invocation state (no globals: two invocations in one process must work). */
struct img {
	const char *progname;
	bool quiet;
	FILE *out;	/* normal output (stdout) */
	FILE *err;	/* messages (stderr) */
};

int img_main(int argc, char **argv);

/* ---------------------------------------------------------------- messages (util.c) */
void img_error(struct img *img, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void img_warn(struct img *img, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "lemu-img: MSG" + "Try 'lemu-img --help' for more information"; returns 1. */
int img_usage_error(struct img *img, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------- option parsing (util.c) */
struct option;
/*
 * getopt_long with qemu-img's error messages. optstring must start with ':'.
 * Returns the option character, -1 at the end, or '?' after printing an error
 * (the caller returns 1).
 */
int img_getopt(struct img *img, int argc, char **argv, const char *optstring,
	       const struct option *longopts);

/*
 * Parse a size with the k/M/G/T/P/E suffixes (1024-based, 'b'/'B' = bytes) and
 * optional decimal fraction, as QEMU's size parser does. default_suffix applies
 * when none is given ('B' normally). Returns 0, -EINVAL (garbage) or -ERANGE.
 */
int img_parse_size(const char *s, char default_suffix, uint64_t *out);
/* Print the "Invalid image size" message for err from img_parse_size. */
void img_size_error(struct img *img, int err);
/* Parse a plain unsigned number (decimal, 0x hex). */
int img_parse_uint(const char *s, uint64_t *out);
/* "64 MiB", "1.25 MiB", "196 KiB" exactly as QEMU's size_to_str(). */
void img_size_to_str(uint64_t v, char *buf, size_t len);

/* Cache modes of -t / -T. Returns 0 or -EINVAL. */
struct img_cache {
	bool direct;	/* O_DIRECT */
	bool no_flush;	/* unsafe: flushes are ignored */
	bool writethrough;
};
int img_parse_cache(const char *mode, struct img_cache *c);

/* --output=human|json */
enum img_output { IMG_OUT_HUMAN, IMG_OUT_JSON };
int img_parse_output(struct img *img, const char *arg, enum img_output *out);

/* -o lists: "a=b,c=d" with ",," as an escaped comma; several -o are joined by ','. */
#define IMG_OPTS_MAX 64
struct img_kv {
	char *key;
	char *value;	/* NULL for a bare key ("help") */
};
struct img_opts {
	int n;
	struct img_kv kv[IMG_OPTS_MAX];
};
int img_opts_parse(struct img_opts *o, const char *s);
void img_opts_free(struct img_opts *o);
const char *img_opts_get(const struct img_opts *o, const char *key);
bool img_opts_has_help(const char *s);	/* "help" or "?" among the -o items */
/* Append "s" to *acc with a ',' (for repeated -o); returns 0 or -ENOMEM. */
int img_opts_append(char **acc, const char *s);

/* ---------------------------------------------------------------- JSON writer (json.c) */
#define JW_MAX_DEPTH 16
struct jw {
	FILE *out;
	int depth;
	int have_key;
	int count[JW_MAX_DEPTH];
};
void jw_init(struct jw *w, FILE *out);
void jw_string_raw(FILE *out, const char *s);
void jw_key(struct jw *w, const char *key);
void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_str(struct jw *w, const char *s);
void jw_int(struct jw *w, int64_t v);
void jw_uint(struct jw *w, uint64_t v);
void jw_bool(struct jw *w, bool v);
void jw_kstr(struct jw *w, const char *k, const char *s);
void jw_kint(struct jw *w, const char *k, int64_t v);
void jw_kuint(struct jw *w, const char *k, uint64_t v);
void jw_kbool(struct jw *w, const char *k, bool v);

/* ---------------------------------------------------------------- progress bar (progress.c) */
struct img_progress {
	bool enabled;
	FILE *out;
	double last;	/* last printed percentage, < 0 before the first */
	double min_step;
};
void img_progress_init(struct img_progress *p, bool enabled, FILE *out);
void img_progress_print(struct img_progress *p, double percent);
/* Report done/total of the current phase. */
void img_progress_update(struct img_progress *p, uint64_t done, uint64_t total);
void img_progress_end(struct img_progress *p);
/* A last "100%" line, then the newline. */
void img_progress_done(struct img_progress *p);

/* ---------------------------------------------------------------- subcommands */
int img_cmd_create(struct img *img, int argc, char **argv);
int img_cmd_info(struct img *img, int argc, char **argv);
int img_cmd_check(struct img *img, int argc, char **argv);
int img_cmd_convert(struct img *img, int argc, char **argv);
int img_cmd_compare(struct img *img, int argc, char **argv);
int img_cmd_map(struct img *img, int argc, char **argv);
int img_cmd_measure(struct img *img, int argc, char **argv);
int img_cmd_resize(struct img *img, int argc, char **argv);
int img_cmd_snapshot(struct img *img, int argc, char **argv);
int img_cmd_rebase(struct img *img, int argc, char **argv);
int img_cmd_commit(struct img *img, int argc, char **argv);
int img_cmd_amend(struct img *img, int argc, char **argv);
int img_cmd_dd(struct img *img, int argc, char **argv);
int img_cmd_bench(struct img *img, int argc, char **argv);

/* ---------------------------------------------------------------- shared helpers (open.c) */
#include "block/block.h"

int img_help(struct img *img);
void img_print_snapshot_table(struct img *img, const struct blk_snapshot *sn, int n);

/* Flags of img_open besides the BLK_OPEN_* ones. */
struct img_open_req {
	const char *fmt;	/* NULL: probe */
	unsigned flags;		/* BLK_OPEN_* */
	const char *cache;	/* -t/-T mode or NULL */
	bool force_share;	/* -U */
	bool quiet_probe;	/* no "probing guessed raw" warning */
	const char *snapshot;	/* -l: "snapshot.id=I,snapshot.name=N" or "ID_OR_NAME" */
};
/* Open with "Could not open 'x': reason" on failure (NULL returned). */
struct blk_node *img_open(struct img *img, const char *filename, const struct img_open_req *r);
/* Validate a -t/-T value; prints "Invalid cache option: x" (what = "cache" or "source cache"). */
int img_check_cache(struct img *img, const char *mode, const char *what);

/* Path of a backing file name relative to the directory of image (malloc'd). */
char *img_backing_path(const char *image, const char *backing);

/*
 * Turn a -o string into blk_opts for fmt, checking names and value types against the
 * format's table as qemu-img does before "Formatting ..." ("Invalid parameter 'x'",
 * "Parameter 'x' expects 'on' or 'off'", ...). prefix (may be NULL) starts the
 * messages ("x.qcow2: "). Returns NULL after printing an error.
 */
struct blk_opts *img_create_opts(struct img *img, const char *fmt, const char *optstr,
				 const char *prefix);
/* Print "Supported options:" for -o help; returns 0. */
int img_print_create_help(struct img *img, const char *fmt, bool with_protocol);
/* Print "Formatting 'f', fmt=... " as qemu-img does. */
void img_print_formatting(struct img *img, const char *filename, const char *fmt,
			  const struct blk_opts *opts);
/* Create (message "filename: reason" on failure). Returns 0 or 1. */
int img_do_create(struct img *img, const char *filename, const char *fmt,
		  struct blk_opts *opts, unsigned flags, bool quiet);

#endif
