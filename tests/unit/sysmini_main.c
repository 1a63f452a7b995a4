/*
 * sysmini FILE.elf: run a multiboot test guest on the CPU core alone and
 * print its serial output; exit status as isa-debug-exit gives it (or 2
 * for a triple fault / halt / step limit, with a note on stderr).
 */
#include "sysmini.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	struct sysmini m;
	if (argc < 2) {
		fprintf(stderr, "usage: sysmini FILE.elf [-d int]\n");
		return 2;
	}
	if (sysmini_init(&m, 128))
		return 2;
	if (argc > 2)
		m.cpu.log_flags = CPU_LOG_INT | CPU_LOG_UNIMP | CPU_LOG_GUEST_ERRORS;
	if (sysmini_load_multiboot(&m, argv[1]))
		return 2;
	int r = sysmini_run(&m, 20000000);
	fwrite(m.out ? m.out : "", 1, m.out_len, stdout);
	if (r >= 256)
		fprintf(stderr, "sysmini: %s at rip=%#llx\n",
			r == 256 ? "triple fault" : r == 257 ? "halted with IF=0" : "step limit",
			(unsigned long long)m.cpu.rip);
	sysmini_fini(&m);
	return r >= 256 ? 2 : r;
}
