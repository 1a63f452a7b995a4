/*
 * Integer expressions of the human monitor, as QEMU's monitor parses them:
 * numbers (decimal, 0x hex, 0 octal), $register names of the current CPU,
 * unary + - ~, and the binary operators * / % (higher), + - (lower),
 * & | ^ (lowest, left to right), with parentheses.  QEMU has no shifts.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm.h"
#include "monitor/monitor_int.h"
#include "util/error.h"

struct expr {
	struct vm *vm;
	int cpu;
	const char *p;
	struct error **errp;
	bool failed;
};

static void skip_ws(struct expr *e)
{
	while (*e->p == ' ' || *e->p == '\t')
		e->p++;
}

static void fail(struct expr *e, const char *msg)
{
	if (!e->failed)
		error_setg(e->errp, "%s", msg);
	e->failed = true;
}

static int64_t reg_value(struct expr *e, const char *name, bool *ok)
{
	static const char *const r64[] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
		                           "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15" };
	static const char *const r32[] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
	static const char *const segs[] = { "es", "cs", "ss", "ds", "fs", "gs" };
	struct cpu *c = &e->vm->vcpus[e->cpu]->cpu;
	*ok = true;
	for (int i = 0; i < 16; i++)
		if (!strcmp(name, r64[i]))
			return (int64_t)c->regs[i];
	for (int i = 0; i < 8; i++)
		if (!strcmp(name, r32[i]))
			return (int32_t)c->regs[i];
	for (int i = 0; i < 6; i++)
		if (!strcmp(name, segs[i]))
			return c->seg[i].sel;
	if (!strcmp(name, "pc"))
		return (int64_t)(c->seg[SEG_CS].base + c->rip);
	if (!strcmp(name, "rip"))
		return (int64_t)c->rip;
	if (!strcmp(name, "eip"))
		return (int32_t)c->rip;
	if (!strcmp(name, "eflags"))
		return cpu_get_eflags(c);
	if (!strcmp(name, "cr0"))
		return (int64_t)c->cr0;
	if (!strcmp(name, "cr2"))
		return (int64_t)c->cr2;
	if (!strcmp(name, "cr3"))
		return (int64_t)c->cr3;
	if (!strcmp(name, "cr4"))
		return (int64_t)c->cr4;
	*ok = false;
	return 0;
}

static int64_t parse_sum(struct expr *e);

static int64_t parse_unary(struct expr *e)
{
	skip_ws(e);
	char c = *e->p;
	if (c == '+') {
		e->p++;
		return parse_unary(e);
	}
	if (c == '-') {
		e->p++;
		return (int64_t)(0 - (uint64_t)parse_unary(e));
	}
	if (c == '~') {
		e->p++;
		return ~parse_unary(e);
	}
	if (c == '(') {
		e->p++;
		int64_t v = parse_sum(e);
		skip_ws(e);
		if (*e->p != ')') {
			fail(e, "')' expected");
			return 0;
		}
		e->p++;
		return v;
	}
	if (c == '$') {
		e->p++;
		char name[32];
		size_t n = 0;
		while ((isalnum((unsigned char)*e->p) || *e->p == '_' || *e->p == '.') &&
		       n < sizeof(name) - 1)
			name[n++] = (char)tolower((unsigned char)*e->p++);
		name[n] = 0;
		bool ok;
		int64_t v = reg_value(e, name, &ok);
		if (!ok)
			fail(e, "unknown register");
		return v;
	}
	if (c == '\0') {
		fail(e, "unexpected end of expression");
		return 0;
	}
	if (!isdigit((unsigned char)c)) {
		fail(e, "invalid char in expression");
		return 0;
	}
	char *end;
	uint64_t v = strtoull(e->p, &end, 0);
	if (end == e->p) {
		fail(e, "invalid number");
		return 0;
	}
	e->p = end;
	return (int64_t)v;
}

static int64_t parse_prod(struct expr *e)
{
	int64_t v = parse_unary(e);
	for (;;) {
		skip_ws(e);
		char op = *e->p;
		if (op != '*' && op != '/' && op != '%')
			return v;
		e->p++;
		int64_t r = parse_unary(e);
		if (e->failed)
			return 0;
		if (op == '*') {
			v = (int64_t)((uint64_t)v * (uint64_t)r);
		} else {
			if (r == 0) {
				fail(e, "division by zero");
				return 0;
			}
			if (v == INT64_MIN && r == -1)
				v = op == '/' ? v : 0;
			else
				v = op == '/' ? v / r : v % r;
		}
	}
}

static int64_t parse_add(struct expr *e)
{
	int64_t v = parse_prod(e);
	for (;;) {
		skip_ws(e);
		char op = *e->p;
		if (op != '+' && op != '-')
			return v;
		e->p++;
		int64_t r = parse_prod(e);
		v = (int64_t)(op == '+' ? (uint64_t)v + (uint64_t)r : (uint64_t)v - (uint64_t)r);
	}
}

static int64_t parse_sum(struct expr *e)
{
	int64_t v = parse_add(e);
	for (;;) {
		skip_ws(e);
		char op = *e->p;
		if (op != '&' && op != '|' && op != '^')
			return v;
		e->p++;
		int64_t r = parse_add(e);
		v = op == '&' ? v & r : op == '|' ? v | r : v ^ r;
	}
}

int hmp_eval(struct vm *vm, int cpu, const char **p, int64_t *out, struct error **errp)
{
	struct expr e = { .vm = vm, .cpu = cpu < vm->ncpus ? cpu : 0, .p = *p, .errp = errp };
	int64_t v = parse_sum(&e);
	if (e.failed)
		return -1;
	*p = e.p;
	*out = v;
	return 0;
}
