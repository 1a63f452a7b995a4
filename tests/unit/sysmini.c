/*
 * Minimal PC around the CPU core for tests (see sysmini.h).
 */
#include "sysmini.h"

#include "cpu/x86/cpu_model.h"
#include "cpu/x86/mmu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static struct sysmini *mini_of(struct cpu *c)
{
	return (struct sysmini *)c->opaque;
}

static uint8_t *mini_phys_ram(struct cpu *c, uint64_t paddr, bool write, bool *code)
{
	struct sysmini *m = mini_of(c);
	(void)write;
	*code = false;
	return paddr < m->ram_size ? m->ram + paddr : NULL;
}
static uint64_t mini_io_read(struct cpu *c, uint64_t paddr, unsigned size)
{
	(void)c;
	(void)paddr;
	return size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
}
static void mini_io_write(struct cpu *c, uint64_t paddr, uint64_t v, unsigned size)
{
	(void)c;
	(void)paddr;
	(void)v;
	(void)size;
}
static void mini_putc(struct sysmini *m, char ch)
{
	if (m->out_len + 1 >= m->out_cap) {
		size_t n = m->out_cap ? m->out_cap * 2 : 4096;
		char *p = realloc(m->out, n);
		if (!p)
			return;
		m->out = p;
		m->out_cap = n;
	}
	m->out[m->out_len++] = ch;
	m->out[m->out_len] = 0;
}
static uint32_t mini_in(struct cpu *c, uint16_t port, unsigned size)
{
	(void)c;
	(void)size;
	if (port == 0x3fd)
		return 0x60; /* LSR: transmitter empty */
	return 0xffffffffu;
}
static void mini_out(struct cpu *c, uint16_t port, uint32_t v, unsigned size)
{
	struct sysmini *m = mini_of(c);
	(void)size;
	if ((port == 0x3f8 && !(m->lcr & 0x80)) || port == 0xe9)
		mini_putc(m, (char)v);
	else if (port == 0x3fb)
		m->lcr = (uint8_t)v;
	else if (port == 0xf0 && m->nvals < sizeof(m->vals) / sizeof(m->vals[0]))
		m->vals[m->nvals++] = v;
	else if (port == 0xf4)
		m->exit_code = (int)(((v & 0xff) << 1) | 1);
}
static const uint8_t *mini_code_page(struct cpu *c, uint64_t page)
{
	(void)c;
	(void)page;
	return NULL;
}

static const struct cpu_env_ops mini_env = {
	.code_page = mini_code_page,
	.mem_slow = mmu_mem_slow,
	.io_in = mini_in,
	.io_out = mini_out,
	.phys_ram = mini_phys_ram,
	.phys_io_read = mini_io_read,
	.phys_io_write = mini_io_write,
};

int sysmini_init(struct sysmini *m, size_t ram_mb)
{
	memset(m, 0, sizeof(*m));
	m->ram_size = ram_mb << 20;
	m->ram = mmap(NULL, m->ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->ram == MAP_FAILED)
		return -errno;
	struct cpu *c = &m->cpu;
	cpu_init(c, cpu_model_find("max"), CPU_MODE_REAL);
	c->sysmode = true;
	c->env = &mini_env;
	c->opaque = m;
	c->a20_mask = ~0ull;
	c->delivering = -1;
	c->inject_vector = -1;
	c->intr_shadow = ~0ull;
	c->gdt.limit = 0xffff;
	c->idt.limit = 0xffff;
	c->pat = 0x0007040600070406ull;
	c->tbc = tb_cache_new();
	m->exit_code = -1;
	cpu_tlb_flush(c);
	cpu_mmu_update(c);
	return c->tbc ? 0 : -ENOMEM;
}

void sysmini_fini(struct sysmini *m)
{
	tb_cache_free(m->cpu.tbc);
	munmap(m->ram, m->ram_size);
	free(m->out);
}

void sysmini_load(struct sysmini *m, uint64_t paddr, const void *p, size_t n)
{
	memcpy(m->ram + paddr, p, n);
}

/* Flat 32-bit protected mode as multiboot hands over (Multiboot 0.6.96 §3.2). */
static void mini_flat32(struct cpu *c)
{
	c->cr0 = 0x11; /* PE, ET */
	for (int s = 0; s < 6; s++) {
		c->seg[s].base = 0;
		c->seg[s].limit = 0xffffffff;
		c->seg[s].sel = s == SEG_CS ? 0x10 : 0x18;
		c->seg[s].flags = s == SEG_CS ? 0xcf9b00 : 0xcf9300;
	}
	c->cpl = 0;
	c->eflags = 2;
	cpu_update_mode(c);
	cpu_mmu_update(c);
}

int sysmini_load_multiboot(struct sysmini *m, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "sysmini: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	static const size_t max = 64u << 20;
	uint8_t *img = malloc(max);
	size_t n = img ? fread(img, 1, max, f) : 0;
	fclose(f);
	if (n < 52 || memcmp(img, "\177ELF\1\1", 6)) {
		fprintf(stderr, "sysmini: %s: not an ELF32 image\n", path);
		free(img);
		return -1;
	}
	uint32_t entry, phoff;
	uint16_t phnum, phentsize;
	memcpy(&entry, img + 24, 4);
	memcpy(&phoff, img + 28, 4);
	memcpy(&phentsize, img + 42, 2);
	memcpy(&phnum, img + 44, 2);
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + i * phentsize;
		if ((size_t)(ph - img) + 32 > n)
			break;
		uint32_t type, off, paddr, filesz, memsz;
		memcpy(&type, ph, 4);
		memcpy(&off, ph + 4, 4);
		memcpy(&paddr, ph + 12, 4);
		memcpy(&filesz, ph + 16, 4);
		memcpy(&memsz, ph + 20, 4);
		if (type != 1)
			continue;
		if ((uint64_t)paddr + memsz > m->ram_size || (uint64_t)off + filesz > n || filesz > memsz) {
			fprintf(stderr, "sysmini: %s: segment outside RAM or file\n", path);
			free(img);
			return -1;
		}
		memcpy(m->ram + paddr, img + off, filesz);
		memset(m->ram + paddr + filesz, 0, memsz - filesz);
	}
	free(img);
	/* multiboot info at 0x9000: flags = mem_lower/upper */
	uint32_t mbi[4] = { 1, 640, (uint32_t)(m->ram_size >> 10) - 1024, 0 };
	memcpy(m->ram + 0x9000, mbi, sizeof(mbi));
	struct cpu *c = &m->cpu;
	mini_flat32(c);
	c->regs[R_RAX] = 0x2badb002;
	c->regs[R_RBX] = 0x9000;
	c->rip = entry;
	return 0;
}

int sysmini_run(struct sysmini *m, uint64_t max_exec)
{
	struct cpu *c = &m->cpu;
	while (m->steps++ < max_exec) {
		int r = cpu_exec(c);
		if (m->exit_code >= 0)
			return m->exit_code;
		switch (r) {
		case EXIT_SHUTDOWN:
			return 256;
		case EXIT_HLT:
			if (!(c->eflags & FL_IF))
				return 257;
			break; /* no interrupt sources: just go on */
		case EXIT_EXCEPTION:
			/* exec.c without the system hook: deliver here */
			if (cpu_sys_event(c) == EXIT_SHUTDOWN)
				return 256;
			break;
		default:
			break;
		}
	}
	return 258;
}
