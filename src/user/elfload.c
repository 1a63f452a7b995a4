/*
 * ELF loader for user mode: PT_LOAD segments with bss, PT_INTERP (under the
 * -L prefix), PIE load bias, #! scripts, and the initial process stack
 * (argc, argv, envp, auxv) as laid out by Linux fs/binfmt_elf.c
 * create_elf_tables() and the System V x86-64 / i386 psABI §3.4.
 */
#include "user.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

struct elf_phdr_any {
	uint32_t type, flags;
	uint64_t offset, vaddr, filesz, memsz;
};

struct elf_img {
	int is64;
	uint16_t type, machine;
	uint64_t entry, phoff;
	unsigned phnum, phentsize;
	struct elf_phdr_any ph[64];
};

static int elf_parse(const uint8_t *buf, size_t n, int fd, struct elf_img *e)
{
	if (n < 52 || memcmp(buf, ELFMAG, SELFMAG))
		return -ENOEXEC;
	memset(e, 0, sizeof(*e));
	e->is64 = buf[EI_CLASS] == ELFCLASS64;
	if (buf[EI_DATA] != ELFDATA2LSB)
		return -ENOEXEC;
	if (e->is64) {
		if (n < sizeof(Elf64_Ehdr))
			return -ENOEXEC;
		const Elf64_Ehdr *h = (const void *)buf;
		e->type = h->e_type;
		e->machine = h->e_machine;
		e->entry = h->e_entry;
		e->phoff = h->e_phoff;
		e->phnum = h->e_phnum;
		e->phentsize = h->e_phentsize;
		if (e->phentsize != sizeof(Elf64_Phdr))
			return -ENOEXEC;
	} else {
		const Elf32_Ehdr *h = (const void *)buf;
		e->type = h->e_type;
		e->machine = h->e_machine;
		e->entry = h->e_entry;
		e->phoff = h->e_phoff;
		e->phnum = h->e_phnum;
		e->phentsize = h->e_phentsize;
		if (e->phentsize != sizeof(Elf32_Phdr))
			return -ENOEXEC;
	}
	if (e->phnum == 0 || e->phnum > 64)
		return -ENOEXEC;
	uint8_t phbuf[64 * sizeof(Elf64_Phdr)];
	size_t len = (size_t)e->phnum * e->phentsize;
	if (pread(fd, phbuf, len, (off_t)e->phoff) != (ssize_t)len)
		return -ENOEXEC;
	for (unsigned i = 0; i < e->phnum; i++) {
		struct elf_phdr_any *p = &e->ph[i];
		if (e->is64) {
			const Elf64_Phdr *s = (const void *)(phbuf + i * sizeof(Elf64_Phdr));
			*p = (struct elf_phdr_any){ s->p_type, s->p_flags, s->p_offset, s->p_vaddr,
						    s->p_filesz, s->p_memsz };
		} else {
			const Elf32_Phdr *s = (const void *)(phbuf + i * sizeof(Elf32_Phdr));
			*p = (struct elf_phdr_any){ s->p_type, s->p_flags, s->p_offset, s->p_vaddr,
						    s->p_filesz, s->p_memsz };
		}
	}
	/* Check what the loader will map and touch: a segment whose file
	 * part lies beyond the end of the file would fault inside lemu
	 * (SIGBUS) instead of failing cleanly; the rest is the kernel's
	 * own validation (binfmt_elf). */
	struct stat st;
	if (fstat(fd, &st))
		return -errno;
	for (unsigned i = 0; i < e->phnum; i++) {
		const struct elf_phdr_any *p = &e->ph[i];
		if (p->type != PT_LOAD && p->type != PT_INTERP)
			continue;
		if (p->offset + p->filesz < p->offset || p->offset + p->filesz > (uint64_t)st.st_size)
			return -ENOEXEC;
		if (p->type == PT_LOAD &&
		    (p->filesz > p->memsz || p->vaddr + p->memsz < p->vaddr ||
		     ((p->vaddr - p->offset) & (TARGET_PAGE - 1))))
			return -EINVAL;
	}
	return 0;
}

static int elf_prot(uint32_t f)
{
	return (f & PF_R ? PROT_READ : 0) | (f & PF_W ? PROT_WRITE : 0) | (f & PF_X ? PROT_EXEC : 0);
}

static int mmap_failed(uint64_t r)
{
	return r > (uint64_t)-4096;
}

/* Map the PT_LOAD segments of an image.  Returns 0 or -errno. */
static int elf_map(struct user_proc *p, int fd, const struct elf_img *e, uint64_t hint,
		   uint64_t *bias_out, uint64_t *end_out, uint64_t *phdr_out)
{
	uint64_t lo = ~0ull, hi = 0;
	for (unsigned i = 0; i < e->phnum; i++) {
		const struct elf_phdr_any *ph = &e->ph[i];
		if (ph->type != PT_LOAD)
			continue;
		if (PAGE_DOWN(ph->vaddr) < lo)
			lo = PAGE_DOWN(ph->vaddr);
		if (ph->vaddr + ph->memsz > hi)
			hi = ph->vaddr + ph->memsz;
	}
	if (lo == ~0ull)
		return -ENOEXEC;
	hi = PAGE_UP(hi);
	uint64_t bias = 0;
	if (e->type == ET_DYN) {
		/* Reserve the whole span, then map segments into it. */
		uint64_t r = user_mmap(p, hint, hi - lo, PROT_NONE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (mmap_failed(r))
			return (int)r;
		bias = r - lo;
	} else if (p->reserved && hi > p->reserve) {
		return -ENOMEM;
	}
	uint64_t phdr = 0, end = 0;
	for (unsigned i = 0; i < e->phnum; i++) {
		const struct elf_phdr_any *ph = &e->ph[i];
		if (ph->type == PT_PHDR)
			phdr = ph->vaddr + bias;
		if (ph->type != PT_LOAD)
			continue;
		int prot = elf_prot(ph->flags);
		uint64_t va = ph->vaddr + bias;
		uint64_t start = PAGE_DOWN(va);
		uint64_t pad = va - start;
		uint64_t file_end = va + ph->filesz, mem_end = va + ph->memsz;
		if (ph->filesz) {
			uint64_t r = user_mmap(p, start, ph->filesz + pad, prot, MAP_PRIVATE | MAP_FIXED, fd,
					       ph->offset - pad);
			if (mmap_failed(r))
				return (int)r;
		}
		if (mem_end > file_end) {
			/* bss: zero the tail of the last file page, then map
			 * anonymous pages for the rest. */
			uint64_t zpage_end = PAGE_UP(file_end);
			if (ph->filesz && zpage_end > file_end) {
				/* up to the page end, as the kernel's padzero():
				 * ld.so's early malloc uses the rest of the page */
				uint64_t zend = zpage_end;
				if (!(prot & PROT_WRITE))
					mprotect(g2h(p, PAGE_DOWN(file_end)), TARGET_PAGE, PROT_READ | PROT_WRITE);
				memset(g2h(p, file_end), 0, zend - file_end);
				if (!(prot & PROT_WRITE))
					mprotect(g2h(p, PAGE_DOWN(file_end)), TARGET_PAGE, prot & ~PROT_EXEC);
			}
			uint64_t astart = ph->filesz ? zpage_end : start;
			if (PAGE_UP(mem_end) > astart) {
				uint64_t r = user_mmap(p, astart, PAGE_UP(mem_end) - astart, prot,
						       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
				if (mmap_failed(r))
					return (int)r;
			}
		}
		if (!phdr && ph->offset <= e->phoff && e->phoff < ph->offset + ph->filesz)
			phdr = e->phoff - ph->offset + va;
		if (mem_end > end)
			end = mem_end;
	}
	*bias_out = bias;
	*end_out = end;
	*phdr_out = phdr;
	return 0;
}

/* Path of a file under the -L prefix if it exists there. */
static void prefix_path(struct user_proc *p, const char *path, char *out, size_t sz)
{
	const char *pre = p->opts ? p->opts->ld_prefix : NULL;
	if (pre && *pre && strcmp(pre, "/") && path[0] == '/') {
		snprintf(out, sz, "%s%s", pre, path);
		if (access(out, F_OK) == 0)
			return;
	}
	snprintf(out, sz, "%s", path);
}

static int elf_machine_ok(struct user_proc *p, const struct elf_img *e)
{
	if (p->abi32)
		return !e->is64 && e->machine == EM_386;
	return e->is64 && e->machine == EM_X86_64;
}

int user_exec_arch(struct user_proc *p, const char *path, int depth)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	uint8_t buf[256];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n >= 2 && buf[0] == '#' && buf[1] == '!') {
		/* a script runs under the emulator of its interpreter */
		if (depth > 2)
			return 0;
		buf[n] = 0;
		char *s = (char *)buf + 2;
		while (*s == ' ' || *s == '\t')
			s++;
		size_t l = strcspn(s, " \t\r\n");
		s[l] = 0;
		if (!*s)
			return 0;
		char full[PATH_MAX];
		prefix_path(p, s, full, sizeof(full));
		return user_exec_arch(p, full, depth + 1);
	}
	if (n < 20 || memcmp(buf, ELFMAG, SELFMAG))
		return 0;
	uint16_t mach;
	memcpy(&mach, buf + 18, 2);
	if (buf[EI_CLASS] == ELFCLASS32 && mach == EM_386)
		return 32;
	if (buf[EI_CLASS] == ELFCLASS64 && mach == EM_X86_64)
		return 64;
	return 0;
}

int user_exec_is_ours(struct user_proc *p, const char *path)
{
	return user_exec_arch(p, path, 0) == (p->abi32 ? 32 : 64);
}

uint64_t user_setup_stack(struct user_proc *p, uint64_t top, char **argv, char **envp,
			  const uint64_t *auxv_in, size_t npairs, const char *execfn,
			  const uint8_t random16[16])
{
	unsigned ws = p->abi32 ? 4 : 8;
	int argc = 0, envc = 0;
	while (argv[argc])
		argc++;
	while (envp[envc])
		envc++;
	uint64_t sp = top - ws; /* end marker */
	memset(g2h(p, sp), 0, ws);
	size_t l = strlen(execfn) + 1;
	sp -= l;
	memcpy(g2h(p, sp), execfn, l);
	uint64_t execfn_addr = sp;
	/* argv and envp strings, argv[0] lowest */
	size_t total = 0;
	for (int i = 0; i < argc; i++)
		total += strlen(argv[i]) + 1;
	for (int i = 0; i < envc; i++)
		total += strlen(envp[i]) + 1;
	sp -= total;
	uint64_t strp = sp;
	uint64_t *argv_a = calloc((size_t)argc + 1, sizeof(uint64_t));
	uint64_t *envp_a = calloc((size_t)envc + 1, sizeof(uint64_t));
	for (int i = 0; i < argc; i++) {
		l = strlen(argv[i]) + 1;
		memcpy(g2h(p, strp), argv[i], l);
		argv_a[i] = strp;
		strp += l;
	}
	for (int i = 0; i < envc; i++) {
		l = strlen(envp[i]) + 1;
		memcpy(g2h(p, strp), envp[i], l);
		envp_a[i] = strp;
		strp += l;
	}
	const char *plat = p->abi32 ? "i686" : "x86_64";
	l = strlen(plat) + 1;
	sp -= l;
	memcpy(g2h(p, sp), plat, l);
	uint64_t plat_addr = sp;
	sp -= 16;
	memcpy(g2h(p, sp), random16, 16);
	uint64_t rand_addr = sp;
	sp &= ~15ull;

	size_t nwords = 1 + (size_t)argc + 1 + (size_t)envc + 1 + 2 * (npairs + 1);
	sp -= nwords * ws;
	sp &= ~15ull;
	uint64_t w = sp;
#define PUT(v)                                                      \
	do {                                                        \
		uint64_t v_ = (v);                                  \
		if (ws == 8)                                        \
			memcpy(g2h(p, w), &v_, 8);                  \
		else {                                              \
			uint32_t v32_ = (uint32_t)v_;               \
			memcpy(g2h(p, w), &v32_, 4);                \
		}                                                   \
		w += ws;                                            \
	} while (0)
	PUT((uint64_t)argc);
	for (int i = 0; i < argc; i++)
		PUT(argv_a[i]);
	PUT(0);
	for (int i = 0; i < envc; i++)
		PUT(envp_a[i]);
	PUT(0);
	uint64_t auxv_start = w;
	for (size_t i = 0; i < npairs; i++) {
		uint64_t k = auxv_in[2 * i], v = auxv_in[2 * i + 1];
		if (k == AT_RANDOM)
			v = rand_addr;
		else if (k == AT_EXECFN)
			v = execfn_addr;
		else if (k == AT_PLATFORM)
			v = plat_addr;
		PUT(k);
		PUT(v);
	}
	PUT(AT_NULL);
	PUT(0);
#undef PUT
	p->auxv_len = w - auxv_start;
	if (p->auxv_len > sizeof(p->auxv))
		p->auxv_len = sizeof(p->auxv);
	memcpy(p->auxv, g2h(p, auxv_start), p->auxv_len);
	free(argv_a);
	free(envp_a);
	return sp;
}

static int read_head(const char *path, int *fd_out, uint8_t *buf, size_t sz, ssize_t *n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*n = pread(fd, buf, sz, 0);
	if (*n < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	*fd_out = fd;
	return 0;
}

int user_load_program(struct user_proc *p, struct cpu *c, const char *path, char **argv,
		      char **envp, struct elf_info *info, char *err, size_t errlen)
{
	uint8_t buf[1024];
	ssize_t n;
	int fd, r;
	char **av = argv;
	char **script_argv = NULL;
	const char *exe = path;
	char interp_buf[PATH_MAX];

	r = read_head(path, &fd, buf, sizeof(buf), &n);
	if (r) {
		snprintf(err, errlen, "Error while loading %s: %s", path, strerror(-r));
		return r;
	}
	if (n >= 2 && buf[0] == '#' && buf[1] == '!') {
		/* #! interpreter [one argument] (Linux fs/binfmt_script.c) */
		close(fd);
		buf[n < (ssize_t)sizeof(buf) ? n : (ssize_t)sizeof(buf) - 1] = 0;
		char *line = (char *)buf + 2, *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		while (*line == ' ' || *line == '\t')
			line++;
		char *ie = line;
		while (*ie && *ie != ' ' && *ie != '\t')
			ie++;
		char *arg = NULL;
		if (*ie) {
			*ie++ = 0;
			while (*ie == ' ' || *ie == '\t')
				ie++;
			if (*ie) {
				arg = ie;
				char *t = arg + strlen(arg);
				while (t > arg && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\r'))
					*--t = 0;
			}
		}
		if (!*line) {
			snprintf(err, errlen, "Error while loading %s: %s", path, strerror(ENOEXEC));
			return -ENOEXEC;
		}
		int argc = 0;
		while (argv[argc])
			argc++;
		script_argv = calloc((size_t)argc + 4, sizeof(char *));
		int k = 0;
		script_argv[k++] = strdup(line);
		if (arg)
			script_argv[k++] = strdup(arg);
		script_argv[k++] = (char *)path;
		for (int i = 1; i < argc; i++)
			script_argv[k++] = argv[i];
		av = script_argv;
		prefix_path(p, line, interp_buf, sizeof(interp_buf));
		exe = interp_buf;
		r = read_head(exe, &fd, buf, sizeof(buf), &n);
		if (r) {
			snprintf(err, errlen, "Error while loading %s: %s", exe, strerror(-r));
			return r;
		}
	}

	struct elf_img e;
	r = elf_parse(buf, (size_t)n, fd, &e);
	if (r || !elf_machine_ok(p, &e) || (e.type != ET_EXEC && e.type != ET_DYN)) {
		close(fd);
		snprintf(err, errlen, "Error while loading %s: Exec format error", exe);
		return -ENOEXEC;
	}
	if (!realpath(exe, p->exe_path))
		snprintf(p->exe_path, sizeof(p->exe_path), "%s", exe);

	uint64_t hint = 0;
	if (e.type == ET_DYN)
		hint = p->abi32 ? 0x56555000ull : (p->reserved ? 0x5555000000ull : 0x555555554000ull);
	if (p->reserved && hint >= p->reserve)
		hint = p->reserve / 3;
	uint64_t bias, end, phdr;
	r = elf_map(p, fd, &e, hint, &bias, &end, &phdr);
	if (r) {
		close(fd);
		snprintf(err, errlen, "Error while loading %s: %s", exe, strerror(-r));
		return r;
	}
	memset(info, 0, sizeof(*info));
	info->load_bias = bias;
	info->entry = e.entry + bias;
	info->phdr = phdr;
	info->phnum = e.phnum;
	info->phent = e.phentsize;
	info->brk = end;

	/* interpreter */
	uint64_t entry = info->entry;
	for (unsigned i = 0; i < e.phnum; i++) {
		if (e.ph[i].type != PT_INTERP)
			continue;
		char ipath[PATH_MAX], full[PATH_MAX];
		size_t il = e.ph[i].filesz < sizeof(ipath) - 1 ? e.ph[i].filesz : sizeof(ipath) - 1;
		if (pread(fd, ipath, il, (off_t)e.ph[i].offset) != (ssize_t)il) {
			close(fd);
			snprintf(err, errlen, "Error while loading %s: bad PT_INTERP", exe);
			return -ENOEXEC;
		}
		ipath[il] = 0;
		prefix_path(p, ipath, full, sizeof(full));
		int ifd;
		uint8_t ibuf[1024];
		ssize_t in;
		r = read_head(full, &ifd, ibuf, sizeof(ibuf), &in);
		struct elf_img ie;
		if (!r)
			r = elf_parse(ibuf, (size_t)in, ifd, &ie);
		if (!r && !elf_machine_ok(p, &ie))
			r = -ENOEXEC;
		uint64_t ibias = 0, iend, iphdr;
		if (!r)
			r = elf_map(p, ifd, &ie, 0, &ibias, &iend, &iphdr);
		if (r) {
			close(fd);
			snprintf(err, errlen, "Error while loading %s: %s", full, strerror(-r));
			return r;
		}
		close(ifd);
		info->interp_base = ibias;
		info->interp_entry = ie.entry + ibias;
		entry = info->interp_entry;
		break;
	}
	if (p->exe_fd >= 0)
		close(p->exe_fd);
	p->exe_fd = fd;

	/* brk starts after the highest segment (randomization off). */
	p->brk_start = p->brk_cur = p->brk_mapped = PAGE_UP(info->brk);

	/* stack */
	uint64_t ssize = p->opts && p->opts->stack_size ? PAGE_UP(p->opts->stack_size) : 8ull << 20;
	uint64_t stack_hint = 0;
	if (p->reserved)
		stack_hint = (p->abi32 ? 0xff000000ull : p->reserve - (1ull << 20)) - ssize;
	uint64_t st = user_mmap(p, stack_hint, ssize, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | (p->reserved ? MAP_FIXED : 0), -1, 0);
	if (mmap_failed(st)) {
		snprintf(err, errlen, "Error while loading %s: cannot allocate stack", exe);
		return (int)st;
	}
	pthread_mutex_lock(&p->lock);
	struct vma *sv = vma_map_find(&p->map, st);
	if (sv) {
		free(sv->name);
		sv->name = strdup("[stack]");
	}
	pthread_mutex_unlock(&p->lock);
	p->stack_limit = st;
	p->stack_top = st + ssize;

	uint8_t rnd[16];
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		memset(rnd, 0x5a, sizeof(rnd));
	uint64_t aux[2 * 24];
	size_t na = 0;
#define AUX(k, v) (aux[2 * na] = (k), aux[2 * na + 1] = (v), na++)
	AUX(AT_HWCAP, c->features[FW_1_EDX]);
	AUX(AT_PAGESZ, TARGET_PAGE);
	AUX(AT_CLKTCK, 100);
	AUX(AT_PHDR, info->phdr);
	AUX(AT_PHENT, info->phent);
	AUX(AT_PHNUM, info->phnum);
	AUX(AT_BASE, info->interp_base);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, info->entry);
	AUX(AT_UID, getuid());
	AUX(AT_EUID, geteuid());
	AUX(AT_GID, getgid());
	AUX(AT_EGID, getegid());
	AUX(AT_SECURE, 0);
	AUX(AT_RANDOM, 0);
	AUX(AT_HWCAP2, 0);
	AUX(AT_EXECFN, 0);
	AUX(AT_PLATFORM, 0);
	AUX(AT_MINSIGSTKSZ, p->abi32 ? 2048 : 3072);
#undef AUX
	const char *execfn = script_argv ? path : path;
	uint64_t sp = user_setup_stack(p, p->stack_top, av, envp, aux, na, execfn, rnd);
	info->sp = sp;
	info->stack_top = p->stack_top;
	p->entry = info->entry;
	p->load_bias = bias;
	p->phdr = info->phdr;
	p->interp_base = info->interp_base;

	/* /proc/self/cmdline */
	size_t cl = 0;
	for (int i = 0; av[i]; i++)
		cl += strlen(av[i]) + 1;
	free(p->cmdline);
	p->cmdline = malloc(cl ? cl : 1);
	p->cmdline_len = cl;
	cl = 0;
	for (int i = 0; av[i]; i++) {
		size_t l = strlen(av[i]) + 1;
		memcpy(p->cmdline + cl, av[i], l);
		cl += l;
	}

	/* Linux process entry state: all GPRs zero (rdx = 0: no rtld_fini). */
	memset(c->regs, 0, sizeof(c->regs));
	c->regs[R_RSP] = sp;
	c->rip = entry;
	if (script_argv) {
		free(script_argv[0]);
		if (script_argv[1] != path)
			free(script_argv[1]);
		free(script_argv);
	}
	return 0;
}
