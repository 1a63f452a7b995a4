/*
 * The table of machine types and -machine help.
 */
#include <string.h>

#include "hw/x86/machine.h"

int pc_machine_init(struct vm *vm, const struct machine_class *mc, struct error **errp);
int microvm_machine_init(struct vm *vm, const struct machine_class *mc, struct error **errp);

static int pc_init(struct vm *vm, struct error **errp);
static int microvm_init(struct vm *vm, struct error **errp);

static const struct machine_class pc_i440fx = {
	.name = "pc-i440fx-7.2",
	.desc = "Standard PC (i440FX + PIIX, 1996)",
	.alias = "pc",
	.init = pc_init,
	.is_default = true,
};

static const struct machine_class microvm = {
	.name = "microvm",
	.desc = "microvm (i386)",
	.init = microvm_init,
};

const struct machine_class *const machine_classes[] = { &microvm, &pc_i440fx, NULL };

static int pc_init(struct vm *vm, struct error **errp)
{
	return pc_machine_init(vm, &pc_i440fx, errp);
}

static int microvm_init(struct vm *vm, struct error **errp)
{
	return microvm_machine_init(vm, &microvm, errp);
}

const struct machine_class *machine_find(const char *name)
{
	for (int i = 0; machine_classes[i]; i++) {
		const struct machine_class *mc = machine_classes[i];
		if (!name || !*name) {
			if (mc->is_default)
				return mc;
			continue;
		}
		if (!strcmp(mc->name, name) || (mc->alias && !strcmp(mc->alias, name)))
			return mc;
	}
	return NULL;
}

/* QEMU prints the alias line first, then the machine itself with
 * "(default)"; names are padded to 20 columns. */
void machine_print_help(FILE *out)
{
	fprintf(out, "Supported machines are:\n");
	for (int i = 0; machine_classes[i]; i++) {
		const struct machine_class *mc = machine_classes[i];
		if (mc->alias)
			fprintf(out, "%-20s %s (alias of %s)\n", mc->alias, mc->desc, mc->name);
		fprintf(out, "%-20s %s%s\n", mc->name, mc->desc, mc->is_default ? " (default)" : "");
	}
}
