/* Guest /proc/self test: exe link, maps lines for the program, auxv. */
#define _GNU_SOURCE
#include <elf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	(void)argc;
	char exe[PATH_MAX], real[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	if (!realpath(argv[0], real))
		strcpy(real, "?");
	printf("exe matches argv[0]: %d\n", strcmp(exe, real) == 0);

	char self[64];
	snprintf(self, sizeof(self), "/proc/%d/maps", (int)getpid());
	void *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect((char *)m + 4096, 4096, PROT_NONE);
	for (int pass = 0; pass < 2; pass++) {
		FILE *f = fopen(pass ? self : "/proc/self/maps", "r");
		char line[1024];
		int exe_lines = 0, exe_x = 0, stack = 0, mine = 0, bad = 0;
		while (fgets(line, sizeof(line), f)) {
			unsigned long lo, hi;
			char perms[8];
			if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3)
				bad++;
			if (strstr(line, real)) {
				exe_lines++;
				if (perms[2] == 'x')
					exe_x++;
			}
			if (strstr(line, "[stack]"))
				stack++;
			if (lo == (unsigned long)m + 4096 && hi == lo + 4096 && !strncmp(perms, "---p", 4))
				mine++;
			if (strstr(line, "lemu-x86_64") || strstr(line, "lemu-i386"))
				bad++;
		}
		fclose(f);
		printf("maps: exe_lines>0=%d exe_x=%d stack=%d guard=%d bad=%d\n", exe_lines > 0, exe_x,
		       stack, mine, bad);
	}

	FILE *f = fopen("/proc/self/auxv", "rb");
	unsigned long kv[2];
	int found_pagesz = 0, found_entry = 0;
	while (fread(kv, sizeof(kv), 1, f) == 1 && kv[0] != AT_NULL) {
		if (kv[0] == AT_PAGESZ && kv[1] == 4096)
			found_pagesz = 1;
		if (kv[0] == AT_ENTRY && kv[1] == getauxval(AT_ENTRY))
			found_entry = 1;
	}
	fclose(f);
	printf("auxv: pagesz=%d entry=%d\n", found_pagesz, found_entry);
	printf("at_random nonnull=%d platform=%s\n", getauxval(AT_RANDOM) != 0,
	       (const char *)getauxval(AT_PLATFORM));

	f = fopen("/proc/self/cmdline", "rb");
	char cl[256];
	size_t cn = fread(cl, 1, sizeof(cl), f);
	fclose(f);
	printf("cmdline starts with argv[0]: %d\n", cn > strlen(argv[0]) && !strcmp(cl, argv[0]));
	return 0;
}
