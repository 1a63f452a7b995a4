/*
 * QEMU-style option strings: "value,key=val,flag,key2=a,,b".  The first
 * element may omit its key (implied_key, e.g. the driver of -device); ",,"
 * stands for a literal comma; a bare "key" means "key=on".  Keys are kept in
 * order and may repeat (opts_get returns the last).  Every lookup marks the
 * key used so that opts_check_unused can reject unknown parameters the way
 * QEMU does ("Invalid parameter 'x'").
 */
#ifndef LEMU_UTIL_OPTS_H
#define LEMU_UTIL_OPTS_H

#include <stdbool.h>
#include <stdint.h>

struct error;

struct opt {
	char *key;
	char *val;
	bool used;
};

struct opts {
	int n;
	struct opt *v;
};

struct opts *opts_parse(const char *str, const char *implied_key, struct error **errp);
void opts_free(struct opts *o);
/* Add (or override) key=val. */
void opts_set(struct opts *o, const char *key, const char *val);
/* Last value of key (marks it used), or NULL. */
const char *opts_get(struct opts *o, const char *key);
bool opts_has(struct opts *o, const char *key);
/* Typed getters: return 0 (with *out = def when the key is absent) or -1
 * with an error naming the key ("Parameter 'key' expects ..."). */
int opts_get_bool(struct opts *o, const char *key, bool def, bool *out, struct error **errp);
int opts_get_u64(struct opts *o, const char *key, uint64_t def, uint64_t *out, struct error **errp);
int opts_get_size(struct opts *o, const char *key, uint64_t def, uint64_t *out, struct error **errp);
/* Error for the first key never looked at. */
int opts_check_unused(struct opts *o, struct error **errp);

/* "on/off/yes/no/true/false" -> 0/1, else -1. */
int parse_bool(const char *s);
/* Integer with optional suffix k/K, M, G, T, P, E (powers of 1024, or
 * 'b'/'B' for bytes); default_shift applies to a bare number (0 = bytes,
 * 20 = MiB as for -m).  Accepts decimal fractions with a suffix ("1.5G").
 * Returns 0 or -1 (syntax or overflow). */
int parse_size(const char *s, unsigned default_shift, uint64_t *out);
/* Plain unsigned integer (decimal, 0x hex, 0 octal), whole string. */
int parse_u64(const char *s, uint64_t *out);
/* QEMU's rule for object ids (-netdev, -chardev, -device ...): a letter, then letters,
 * digits, '-', '.', '_'. */
bool id_wellformed(const char *id);

#endif
