/*
 * The human monitor (HMP): QEMU 7.2's command names, argument syntax and
 * messages for the commands lemu has.  Lines come from the readline
 * editor (readline.c) of a monitor chardev, or from QMP's
 * human-monitor-command; output always goes to a buffer with CRLF line
 * ends, as QEMU's monitor writes it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chardev/chardev.h"
#include "core/device.h"
#include "core/vm.h"
#include "hw/input/i8042.h"
#include "lemu-config.h"
#include "monitor/monitor_int.h"
#include "util/error.h"
#include "util/opts.h"

#define PROMPT "(qemu) "

void hmp_printf(struct strbuf *out, const char *fmt, ...)
{
	struct strbuf tmp = { 0 };
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(&tmp, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < tmp.len; i++) {
		if (tmp.s[i] == '\n')
			sb_add(out, "\r\n", 2);
		else
			sb_add(out, tmp.s + i, 1);
	}
	sb_free(&tmp);
}

struct hmp_ctx {
	struct vm *vm;
	struct strbuf *out;
	int *cpu;
	struct readline *rl;
	const char *name; /* the command as typed (for "Try help ...") */
};

struct hmp_cmd {
	const char *names; /* "print|p" */
	const char *params;
	const char *help;
	void (*fn)(struct hmp_ctx *c, const char *args);
};

static const struct hmp_cmd hmp_cmds[];

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Next whitespace-separated word into buf; returns the rest or NULL. */
static const char *get_word(const char *p, char *buf, size_t size)
{
	p = skip_ws(p);
	if (!*p)
		return NULL;
	size_t n = 0;
	while (*p && *p != ' ' && *p != '\t') {
		if (n < size - 1)
			buf[n++] = *p;
		p++;
	}
	buf[n] = 0;
	return p;
}

static void try_help(struct hmp_ctx *c)
{
	hmp_printf(c->out, "Try \"help %s\" for more information\n", c->name);
}

static void report(struct hmp_ctx *c, struct error *err)
{
	hmp_printf(c->out, "Error: %s\n", err->msg);
	error_free(err);
}

/* An expression argument; prints QEMU's messages on failure. */
static bool get_expr(struct hmp_ctx *c, const char **p, int64_t *v)
{
	struct error *err = NULL;
	*p = skip_ws(*p);
	if (hmp_eval(c->vm, *c->cpu, p, v, &err) < 0) {
		hmp_printf(c->out, "%s\n", err->msg);
		error_free(err);
		try_help(c);
		return false;
	}
	return true;
}

static bool at_end(struct hmp_ctx *c, const char *p)
{
	p = skip_ws(p);
	if (*p) {
		hmp_printf(c->out, "%s: extraneous characters at the end of line\n", c->name);
		return false;
	}
	return true;
}

/* ---- /fmt ------------------------------------------------------------------------ */

struct fmt {
	int count;
	char format; /* x d u o c i */
	int size;    /* 1 2 4 8 */
};

/* QEMU's "/fmt": [count][format][size] in any order after the count; what
 * is not given comes from the last command that gave it. */
static bool parse_fmt(struct hmp_ctx *c, const char **pp, struct fmt *f)
{
	struct monitor_hub *hub = monitor_hub_of(c->vm);
	char def_format = hub ? hub->fmt_format : 'x';
	int def_size = hub ? hub->fmt_size : 4;
	const char *p = skip_ws(*pp);
	f->count = 1;
	if (*p != '/') {
		f->format = def_format;
		f->size = def_size;
		*pp = p;
		return true;
	}
	p++;
	if (isdigit((unsigned char)*p)) {
		f->count = 0;
		while (isdigit((unsigned char)*p) && f->count < 100000000)
			f->count = f->count * 10 + (*p++ - '0');
	}
	int format = -1, size = -1;
	for (;; p++) {
		if (*p && strchr("oduxic", *p))
			format = *p;
		else if (*p == 'b')
			size = 1;
		else if (*p == 'h')
			size = 2;
		else if (*p == 'w')
			size = 4;
		else if (*p == 'g' || *p == 'L')
			size = 8;
		else
			break;
	}
	if (*p && *p != ' ' && *p != '\t') {
		hmp_printf(c->out, "invalid char in format: '%c'\n", *p);
		return false;
	}
	if (format < 0)
		format = def_format;
	if (size < 0)
		size = def_size;
	if (hub) {
		hub->fmt_format = (char)format;
		hub->fmt_size = size;
	}
	f->format = (char)format;
	f->size = size;
	*pp = p;
	return true;
}

/* QEMU's monitor_printc */
static void printc(struct strbuf *out, int ch)
{
	switch (ch) {
	case '\'': hmp_printf(out, "'\\''"); break;
	case '\\': hmp_printf(out, "'\\\\'"); break;
	case '\n': hmp_printf(out, "'\\n'"); break;
	case '\r': hmp_printf(out, "'\\r'"); break;
	default:
		if (ch >= 32 && ch <= 126)
			hmp_printf(out, "'%c'", ch);
		else
			hmp_printf(out, "'\\x%02x'", (unsigned)ch);
		break;
	}
}

/* ---- commands ---------------------------------------------------------------------- */

static void cmd_help(struct hmp_ctx *c, const char *args)
{
	char w[64];
	const char *rest = get_word(args, w, sizeof(w));
	if (rest && !strcmp(w, "info")) {
		hmp_info_help(c->out);
		return;
	}
	for (const struct hmp_cmd *h = hmp_cmds; h->names; h++) {
		if (rest) {
			/* match one of the names */
			char names[64];
			snprintf(names, sizeof(names), "%s", h->names);
			bool hit = false;
			for (char *s = strtok(names, "|"); s; s = strtok(NULL, "|"))
				hit |= !strcmp(s, w);
			if (!hit)
				continue;
		}
		hmp_printf(c->out, "%s %s -- %s\n", h->names, h->params, h->help);
	}
}

static void cmd_info(struct hmp_ctx *c, const char *args)
{
	hmp_info(c->vm, skip_ws(args), c->out, c->cpu, c->rl);
}

static void cmd_quit(struct hmp_ctx *c, const char *args)
{
	mon_quit(c->vm);
}

static void cmd_stop(struct hmp_ctx *c, const char *args)
{
	mon_stop(c->vm, NULL);
}

static void cmd_cont(struct hmp_ctx *c, const char *args)
{
	struct error *err = NULL;
	if (mon_cont(c->vm, &err) < 0)
		report(c, err);
}

static void cmd_system_reset(struct hmp_ctx *c, const char *args)
{
	mon_system_reset(c->vm);
}

static void cmd_system_powerdown(struct hmp_ctx *c, const char *args)
{
	mon_system_powerdown(c->vm);
}

static void cmd_nmi(struct hmp_ctx *c, const char *args)
{
	mon_inject_nmi(c->vm, NULL);
}

static void cmd_cpu(struct hmp_ctx *c, const char *args)
{
	int64_t v;
	if (!get_expr(c, &args, &v))
		return;
	if (v < 0 || v >= c->vm->ncpus) {
		hmp_printf(c->out, "invalid CPU index\n");
		return;
	}
	*c->cpu = (int)v;
}

static void memory_dump(struct hmp_ctx *c, const char *args, bool phys)
{
	struct fmt f;
	if (!parse_fmt(c, &args, &f))
		return;
	int64_t addr;
	if (!get_expr(c, &args, &addr) || !at_end(c, args))
		return;
	if (f.format == 'i') {
		hmp_printf(c->out, "lemu: the 'i' format (disassembly) is not supported\n");
		return;
	}
	/* QEMU's memory_dump: the line holds 8 bytes for byte units, else 16;
	 * 'c' prints bytes but keeps the length count * size */
	int wsize = f.size;
	int64_t len = (int64_t)wsize * f.count;
	int line_size = wsize == 1 ? 8 : 16;
	int digits = 0;
	switch (f.format) {
	case 'o': digits = (wsize * 8 + 2) / 3; break;
	case 'u':
	case 'd': digits = (wsize * 8 * 10 + 32) / 33; break;
	case 'c': wsize = 1; break;
	default: digits = wsize * 2; break;
	}
	int cpu = phys ? -1 : *c->cpu;
	uint64_t a = (uint64_t)addr;
	while (len > 0) {
		hmp_printf(c->out, "%016llx:", (unsigned long long)a);
		int l = len > line_size ? line_size : (int)len;
		uint8_t buf[16];
		if (mon_read_mem(c->vm, a, buf, (size_t)l, cpu) < 0) {
			hmp_printf(c->out, " Cannot access memory\n");
			return;
		}
		for (int i = 0; i < l; i += wsize) {
			uint64_t v = 0;
			memcpy(&v, buf + i, (size_t)wsize);
			hmp_printf(c->out, " ");
			switch (f.format) {
			case 'o':
				hmp_printf(c->out, "%#*llo", digits, (unsigned long long)v);
				break;
			case 'u': hmp_printf(c->out, "%*llu", digits, (unsigned long long)v); break;
			case 'd': hmp_printf(c->out, "%*lld", digits, (long long)v); break;
			case 'c': printc(c->out, (int)v); break;
			default:
				hmp_printf(c->out, "0x%0*llx", digits, (unsigned long long)v);
				break;
			}
		}
		hmp_printf(c->out, "\n");
		a += (uint64_t)l;
		len -= l;
	}
}

static void cmd_x(struct hmp_ctx *c, const char *args)
{
	memory_dump(c, args, false);
}

static void cmd_xp(struct hmp_ctx *c, const char *args)
{
	memory_dump(c, args, true);
}

static void cmd_print(struct hmp_ctx *c, const char *args)
{
	struct fmt f;
	if (!parse_fmt(c, &args, &f))
		return;
	int64_t v;
	if (!get_expr(c, &args, &v) || !at_end(c, args))
		return;
	switch (f.format) {
	case 'o': hmp_printf(c->out, "%#llo", (unsigned long long)v); break;
	case 'x': hmp_printf(c->out, "%#llx", (unsigned long long)v); break;
	case 'u': hmp_printf(c->out, "%llu", (unsigned long long)v); break;
	case 'c': printc(c->out, (int)v); break;
	default: hmp_printf(c->out, "%lld", (long long)v); break;
	}
	hmp_printf(c->out, "\n");
}

static void cmd_in(struct hmp_ctx *c, const char *args)
{
	struct fmt f;
	if (!parse_fmt(c, &args, &f))
		return;
	int64_t port;
	if (!get_expr(c, &args, &port) || !at_end(c, args))
		return;
	uint16_t p = (uint16_t)port;
	switch (f.size) {
	case 2:
		hmp_printf(c->out, "portw[0x%04x] = 0x%04x\n", p, pio_read(c->vm, p, 2) & 0xffff);
		break;
	case 4: hmp_printf(c->out, "portl[0x%04x] = 0x%08x\n", p, pio_read(c->vm, p, 4)); break;
	default:
		hmp_printf(c->out, "portb[0x%04x] = 0x%02x\n", p, pio_read(c->vm, p, 1) & 0xff);
		break;
	}
}

static void cmd_out(struct hmp_ctx *c, const char *args)
{
	struct fmt f;
	if (!parse_fmt(c, &args, &f))
		return;
	int64_t port, val;
	if (!get_expr(c, &args, &port) || !get_expr(c, &args, &val) || !at_end(c, args))
		return;
	unsigned size = f.size == 2 || f.size == 4 ? (unsigned)f.size : 1;
	pio_write(c->vm, (uint16_t)port, (uint32_t)val, size);
}

static void save(struct hmp_ctx *c, const char *args, bool phys)
{
	int64_t addr, size;
	char file[512];
	if (!get_expr(c, &args, &addr) || !get_expr(c, &args, &size))
		return;
	if (!get_word(args, file, sizeof(file))) {
		hmp_printf(c->out, "%s: filename expected\n", c->name);
		try_help(c);
		return;
	}
	struct error *err = NULL;
	if (mon_memsave(c->vm, (uint64_t)addr, (uint64_t)size, file, phys ? -1 : *c->cpu, &err) < 0)
		report(c, err);
}

static void cmd_memsave(struct hmp_ctx *c, const char *args)
{
	save(c, args, false);
}

static void cmd_pmemsave(struct hmp_ctx *c, const char *args)
{
	save(c, args, true);
}

static void cmd_eject(struct hmp_ctx *c, const char *args)
{
	char dev[128];
	const char *rest = get_word(args, dev, sizeof(dev));
	if (rest && !strcmp(dev, "-f"))
		rest = get_word(rest, dev, sizeof(dev));
	if (!rest) {
		hmp_printf(c->out, "%s: block device name expected\n", c->name);
		try_help(c);
		return;
	}
	struct error *err = NULL;
	if (mon_eject(c->vm, dev, &err) < 0)
		report(c, err);
}

/* device_add driver[,prop=value][,...] and device_del id (qmp_cmds.c). */
static void cmd_device_add(struct hmp_ctx *c, const char *args)
{
	struct error *err = NULL;
	struct opts *o = opts_parse(skip_ws(args), "driver", &err);
	if (o)
		mon_device_add(c->vm, o, &err);
	opts_free(o);
	if (err)
		report(c, err);
}

static void cmd_device_del(struct hmp_ctx *c, const char *args)
{
	char id[128];
	if (!get_word(args, id, sizeof(id))) {
		hmp_printf(c->out, "%s: device id expected\n", c->name);
		try_help(c);
		return;
	}
	struct error *err = NULL;
	if (mon_device_del(c->vm, id, &err) < 0)
		report(c, err);
}

static void cmd_commit(struct hmp_ctx *c, const char *args)
{
	char dev[128];
	if (!get_word(args, dev, sizeof(dev))) {
		hmp_printf(c->out, "%s: block device name expected\n", c->name);
		try_help(c);
		return;
	}
	struct error *err = NULL;
	if (mon_commit(c->vm, dev, &err) < 0)
		report(c, err);
}

static void cmd_block_resize(struct hmp_ctx *c, const char *args)
{
	char dev[128], sz[64];
	const char *rest = get_word(args, dev, sizeof(dev));
	if (!rest || !get_word(rest, sz, sizeof(sz))) {
		hmp_printf(c->out, "%s: %s expected\n", c->name,
		           rest ? "size" : "block device name");
		try_help(c);
		return;
	}
	/* a size: a number with an optional k/M/G/T suffix (MiB without one) */
	char *end;
	double v = strtod(sz, &end);
	uint64_t mul = 1ull << 20;
	if (*end) {
		const char *suf = "bkmgtpe";
		const char *s = strchr(suf, tolower((unsigned char)*end));
		if (!s || end[1]) {
			hmp_printf(c->out, "invalid size\n");
			try_help(c);
			return;
		}
		mul = 1ull << (10 * (s - suf));
	}
	struct error *err = NULL;
	if (mon_block_resize(c->vm, dev, (int64_t)(v * (double)mul), &err) < 0)
		report(c, err);
}

/* ---- sendkey ------------------------------------------------------------------------- */

/* QEMU's key names with their scan codes in set 1 and set 2 (0xe0xx = extended). */
static const struct keycode {
	const char *name;
	uint16_t set1, set2;
} keycodes[] = {
	{ "esc", 0x01, 0x76 },
	{ "1", 0x02, 0x16 },
	{ "2", 0x03, 0x1e },
	{ "3", 0x04, 0x26 },
	{ "4", 0x05, 0x25 },
	{ "5", 0x06, 0x2e },
	{ "6", 0x07, 0x36 },
	{ "7", 0x08, 0x3d },
	{ "8", 0x09, 0x3e },
	{ "9", 0x0a, 0x46 },
	{ "0", 0x0b, 0x45 },
	{ "minus", 0x0c, 0x4e },
	{ "equal", 0x0d, 0x55 },
	{ "backspace", 0x0e, 0x66 },
	{ "tab", 0x0f, 0x0d },
	{ "q", 0x10, 0x15 },
	{ "w", 0x11, 0x1d },
	{ "e", 0x12, 0x24 },
	{ "r", 0x13, 0x2d },
	{ "t", 0x14, 0x2c },
	{ "y", 0x15, 0x35 },
	{ "u", 0x16, 0x3c },
	{ "i", 0x17, 0x43 },
	{ "o", 0x18, 0x44 },
	{ "p", 0x19, 0x4d },
	{ "bracket_left", 0x1a, 0x54 },
	{ "bracket_right", 0x1b, 0x5b },
	{ "ret", 0x1c, 0x5a },
	{ "ctrl", 0x1d, 0x14 },
	{ "a", 0x1e, 0x1c },
	{ "s", 0x1f, 0x1b },
	{ "d", 0x20, 0x23 },
	{ "f", 0x21, 0x2b },
	{ "g", 0x22, 0x34 },
	{ "h", 0x23, 0x33 },
	{ "j", 0x24, 0x3b },
	{ "k", 0x25, 0x42 },
	{ "l", 0x26, 0x4b },
	{ "semicolon", 0x27, 0x4c },
	{ "apostrophe", 0x28, 0x52 },
	{ "grave_accent", 0x29, 0x0e },
	{ "shift", 0x2a, 0x12 },
	{ "backslash", 0x2b, 0x5d },
	{ "z", 0x2c, 0x1a },
	{ "x", 0x2d, 0x22 },
	{ "c", 0x2e, 0x21 },
	{ "v", 0x2f, 0x2a },
	{ "b", 0x30, 0x32 },
	{ "n", 0x31, 0x31 },
	{ "m", 0x32, 0x3a },
	{ "comma", 0x33, 0x41 },
	{ "dot", 0x34, 0x49 },
	{ "slash", 0x35, 0x4a },
	{ "shift_r", 0x36, 0x59 },
	{ "asterisk", 0x37, 0x7c },
	{ "alt", 0x38, 0x11 },
	{ "spc", 0x39, 0x29 },
	{ "caps_lock", 0x3a, 0x58 },
	{ "f1", 0x3b, 0x05 },
	{ "f2", 0x3c, 0x06 },
	{ "f3", 0x3d, 0x04 },
	{ "f4", 0x3e, 0x0c },
	{ "f5", 0x3f, 0x03 },
	{ "f6", 0x40, 0x0b },
	{ "f7", 0x41, 0x83 },
	{ "f8", 0x42, 0x0a },
	{ "f9", 0x43, 0x01 },
	{ "f10", 0x44, 0x09 },
	{ "num_lock", 0x45, 0x77 },
	{ "scroll_lock", 0x46, 0x7e },
	{ "f11", 0x57, 0x78 },
	{ "f12", 0x58, 0x07 },
	{ "ctrl_r", 0xe01d, 0xe014 },
	{ "alt_r", 0xe038, 0xe011 },
	{ "home", 0xe047, 0xe06c },
	{ "up", 0xe048, 0xe075 },
	{ "pgup", 0xe049, 0xe07d },
	{ "left", 0xe04b, 0xe06b },
	{ "right", 0xe04d, 0xe074 },
	{ "end", 0xe04f, 0xe069 },
	{ "down", 0xe050, 0xe072 },
	{ "pgdn", 0xe051, 0xe07a },
	{ "insert", 0xe052, 0xe070 },
	{ "delete", 0xe053, 0xe071 },
	{ "kp_enter", 0xe01c, 0xe05a },
	{ NULL, 0, 0 },
};

static const struct keycode *key_find(const char *name)
{
	for (const struct keycode *k = keycodes; k->name; k++)
		if (!strcmp(k->name, name))
			return k;
	return NULL;
}

static void key_put(struct i8042 *kbc, const struct keycode *k, bool release)
{
	/* With translation on (command byte bit 6) the guest reads set 1
	 * codes; otherwise the keyboard's own set (2 after reset). */
	bool set1 = (kbc->ctr & 0x40) || kbc->kbd_set == 1;
	uint16_t code = set1 ? k->set1 : k->set2;
	if (code >> 8)
		i8042_kbd_put(kbc, 0xe0);
	if (set1) {
		i8042_kbd_put(kbc, (uint8_t)((code & 0xff) | (release ? 0x80 : 0)));
	} else {
		if (release)
			i8042_kbd_put(kbc, 0xf0);
		i8042_kbd_put(kbc, (uint8_t)code);
	}
}

static void release_keys(void *opaque)
{
	struct monitor_hub *hub = opaque;
	for (int i = hub->nkeys_held - 1; i >= 0; i--)
		key_put(hub->kbc, hub->keys_held[i], true);
	hub->nkeys_held = 0;
}

static void cmd_sendkey(struct hmp_ctx *c, const char *args)
{
	char keys[256], hold[32];
	const char *rest = get_word(args, keys, sizeof(keys));
	if (!rest) {
		hmp_printf(c->out, "%s: string expected\n", c->name);
		try_help(c);
		return;
	}
	int64_t hold_ms = 100;
	if (get_word(rest, hold, sizeof(hold))) {
		char *end;
		hold_ms = strtoll(hold, &end, 0);
		if (*end || hold_ms < 0) {
			hmp_printf(c->out, "invalid hold time\n");
			try_help(c);
			return;
		}
	}
	const struct keycode *list[16];
	int n = 0;
	char *save = NULL;
	for (char *t = strtok_r(keys, "-", &save); t; t = strtok_r(NULL, "-", &save)) {
		const struct keycode *k = key_find(t);
		if (!k || n == 16) {
			hmp_printf(c->out, "invalid parameter: %s\n", t);
			return;
		}
		list[n++] = k;
	}
	struct i8042 *kbc = NULL;
	for (struct device *d = c->vm->devices; d; d = d->next)
		if (d->cls == &i8042_class)
			kbc = (struct i8042 *)d;
	struct monitor_hub *hub = monitor_hub_of(c->vm);
	if (!kbc || !hub) {
		hmp_printf(c->out, "Error: this machine has no PS/2 keyboard\n");
		return;
	}
	/* As QEMU: keys still held from the last sendkey go up first; these
	 * are pressed in order now and released in reverse order after
	 * hold_ms of guest time. */
	if (!hub->key_timer_ready) {
		timer_init(&hub->key_timer, c->vm, release_keys, hub);
		hub->key_timer_ready = true;
	}
	if (hub->nkeys_held) {
		timer_del(&hub->key_timer);
		release_keys(hub);
	}
	hub->kbc = kbc;
	for (int i = 0; i < n; i++) {
		key_put(kbc, list[i], false);
		hub->keys_held[hub->nkeys_held++] = list[i];
	}
	timer_mod(&hub->key_timer, vm_clock_ns(c->vm) + hold_ms * 1000000);
}

/* ---- log --------------------------------------------------------------------------- */

static const struct {
	const char *name;
	unsigned flag;
	const char *help;
} log_items[] = {
	{ "in_asm", 0x01, "show target assembly code for each compiled TB" },
	{ "int", 0x100, "show interrupts/exceptions in short format" },
	{ "exec", 0x04, "show trace before each executed TB (lots of logs)" },
	{ "cpu", 0x08, "show CPU registers before entering a TB (lots of logs)" },
	{ "guest_errors", 0x200,
	  "log when the guest OS does something invalid (eg accessing a\nnon-existent register)" },
	{ "unimp", 0x400, "log unimplemented functionality" },
};

static void cmd_log(struct hmp_ctx *c, const char *args)
{
	char items[256];
	if (!get_word(args, items, sizeof(items))) {
		hmp_printf(c->out, "%s: string expected\n", c->name);
		try_help(c);
		return;
	}
	unsigned n_items = sizeof(log_items) / sizeof(log_items[0]);
	if (!strcmp(items, "help")) {
		hmp_printf(c->out, "Log items (comma separated):\n");
		hmp_printf(c->out, "%-15s %s\n", "none", "remove all logs");
		for (unsigned i = 0; i < n_items; i++)
			hmp_printf(c->out, "%-15s %s\n", log_items[i].name, log_items[i].help);
		return;
	}
	unsigned flags = 0;
	if (strcmp(items, "none")) {
		char *save = NULL;
		for (char *t = strtok_r(items, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			unsigned i;
			for (i = 0; i < n_items; i++)
				if (!strcmp(t, log_items[i].name))
					break;
			if (i == n_items) {
				hmp_printf(c->out, "Invalid log mask: %s\n", t);
				return;
			}
			flags |= log_items[i].flag;
		}
	}
	/* the same bits as -d (CPU_LOG_* in the low byte, VM_LOG_* above) */
	struct vm *vm = c->vm;
	vm->cfg.log_flags = flags;
	for (int i = 0; i < vm->ncpus; i++)
		vm->vcpus[i]->cpu.log_flags = flags & 0xff;
}

static void cmd_logfile(struct hmp_ctx *c, const char *args)
{
	char file[512];
	if (!get_word(args, file, sizeof(file))) {
		hmp_printf(c->out, "%s: filename expected\n", c->name);
		try_help(c);
		return;
	}
	FILE *f = fopen(file, "w");
	if (!f) {
		hmp_printf(c->out, "Error: could not open log file '%s': %s\n", file,
		           strerror(errno));
		return;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	/* The previous file stays open: vCPU threads may be writing to it
	 * right now (main() closes the one it opened at exit). */
	struct vm *vm = c->vm;
	vm->logfile = f;
	for (int i = 0; i < vm->ncpus; i++)
		vm->vcpus[i]->cpu.logfile = f;
}

static const struct hmp_cmd hmp_cmds[] = {
	{ "help|?", "[cmd]", "show the help", cmd_help },
	{ "commit", "device|all",
	  "commit changes to the disk images (if -snapshot is used) or backing files", cmd_commit },
	{ "q|quit", "", "quit the emulator", cmd_quit },
	{ "block_resize", "device size", "resize a block image", cmd_block_resize },
	{ "eject", "[-f] device", "eject a removable medium (use -f to force it)", cmd_eject },
	{ "device_add", "driver[,prop=value][,...]", "add device, like -device on the command line",
	  cmd_device_add },
	{ "device_del", "device", "remove device", cmd_device_del },
	{ "log", "item1[,...]", "activate logging of the specified items", cmd_log },
	{ "logfile", "filename", "output logs to 'filename'", cmd_logfile },
	{ "stop|s", "", "stop emulation", cmd_stop },
	{ "cont|c", "", "resume emulation", cmd_cont },
	{ "x", "/fmt addr", "virtual memory dump starting at 'addr'", cmd_x },
	{ "xp", "/fmt addr", "physical memory dump starting at 'addr'", cmd_xp },
	{ "print|p", "/fmt expr", "print expression value (use $reg for CPU register access)",
	  cmd_print },
	{ "i", "/fmt addr", "I/O port read", cmd_in },
	{ "o", "/fmt addr value", "I/O port write", cmd_out },
	{ "sendkey", "keys [hold_ms]",
	  "send keys to the VM (e.g. 'sendkey ctrl-alt-f1', default hold time=100 ms)",
	  cmd_sendkey },
	{ "system_reset", "", "reset the system", cmd_system_reset },
	{ "system_powerdown", "", "send system power down event", cmd_system_powerdown },
	{ "cpu", "index", "set the default CPU", cmd_cpu },
	{ "memsave", "addr size file",
	  "save to disk virtual memory dump starting at 'addr' of size 'size'", cmd_memsave },
	{ "pmemsave", "addr size file",
	  "save to disk physical memory dump starting at 'addr' of size 'size'", cmd_pmemsave },
	{ "nmi", "", "inject an NMI", cmd_nmi },
	{ "info", "[subcommand]", "show various information about the system state", cmd_info },
	{ NULL, NULL, NULL, NULL },
};

static const struct hmp_cmd *hmp_find(const char *name)
{
	for (const struct hmp_cmd *h = hmp_cmds; h->names; h++) {
		const char *s = h->names;
		size_t n = strlen(name);
		while (s) {
			if (!strncmp(s, name, n) && (s[n] == '|' || s[n] == 0))
				return h;
			s = strchr(s, '|');
			if (s)
				s++;
		}
	}
	return NULL;
}

void hmp_execute(struct vm *vm, const char *line, struct strbuf *out, int *cpu, struct readline *rl)
{
	char name[64];
	const char *p = skip_ws(line);
	/* the command name ends at a blank or at '/' (x/4x) */
	size_t n = 0;
	while (*p && *p != ' ' && *p != '\t' && *p != '/' && n < sizeof(name) - 1)
		name[n++] = *p++;
	name[n] = 0;
	if (!n)
		return;
	const struct hmp_cmd *h = hmp_find(name);
	if (!h) {
		hmp_printf(out, "unknown command: '%s'\n", name);
		return;
	}
	struct hmp_ctx c = { .vm = vm, .out = out, .cpu = cpu, .rl = rl, .name = name };
	h->fn(&c, p);
}

/* ---- the monitor on a chardev ------------------------------------------------------- */

static void flush_out(struct monitor *mon, struct strbuf *b)
{
	if (b->len && (mon->focused || !chardev_is_mux(mon->chr)))
		monitor_write(mon, b->s, b->len);
	b->len = 0;
}

static void banner(struct monitor *mon)
{
	struct strbuf b = { 0 };
	/* QEMU's banner; the version is the QEMU release lemu follows */
	hmp_printf(&b, "QEMU 7.2.0 monitor - type 'help' for more information\n" PROMPT);
	flush_out(mon, &b);
	sb_free(&b);
	mon->banner_done = true;
}

void hmp_event(struct monitor *mon, int ev)
{
	struct strbuf b = { 0 };
	switch (ev) {
	case CHR_EVENT_OPENED:
		mon->open = true;
		mon->banner_done = false;
		if (mon->focused)
			banner(mon);
		break;
	case CHR_EVENT_CLOSED: mon->open = false; break;
	case CHR_EVENT_MUX_IN:
		mon->focused = true;
		if (mon->open && !mon->banner_done) {
			banner(mon);
		} else if (mon->open) {
			sb_add(&b, PROMPT, strlen(PROMPT));
			sb_add(&b, mon->rl.buf, (size_t)mon->rl.len);
			flush_out(mon, &b);
		}
		break;
	case CHR_EVENT_MUX_OUT:
		if (mon->open && mon->banner_done && mon->focused)
			monitor_write(mon, "\r\n", 2);
		mon->focused = false;
		break;
	default: break;
	}
	sb_free(&b);
}

void hmp_receive(struct monitor *mon, const uint8_t *buf, size_t len)
{
	struct strbuf out = { 0 };
	char line[RL_MAX_LINE];
	for (size_t i = 0; i < len; i++) {
		if (readline_feed(&mon->rl, buf[i], &out, line, sizeof(line))) {
			flush_out(mon, &out);
			hmp_execute(mon->vm, line, &out, &mon->cpu_index, &mon->rl);
			sb_add(&out, PROMPT, strlen(PROMPT));
		}
	}
	flush_out(mon, &out);
	sb_free(&out);
}
