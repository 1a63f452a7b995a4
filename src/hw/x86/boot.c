/*
 * Common part of the x86 boot loaders: reading the images, the list of
 * memory blobs a loader fills (written again on every reset, since the
 * guest is free to overwrite them), and the flat 32-bit protected-mode
 * entry state shared by the Linux 32-bit boot protocol, PVH and multiboot.
 *
 * Why the 32-bit entry for bzImage: it needs no page tables from us (the
 * kernel's decompressor builds its own and switches to long mode), it is
 * the same state PVH and multiboot want, and it is what the software CPU
 * can enter with nothing in guest memory but a GDT.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/memory.h"
#include "core/vm.h"
#include "hw/x86/x86.h"
#include "util/error.h"

uint8_t *boot_read_file(const char *path, const char *what, size_t max, size_t *len, struct error **errp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		error_setg_errno(errp, errno, "could not load %s '%s'", what, path);
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		error_setg(errp, "could not load %s '%s': not a regular file", what, path);
		close(fd);
		return NULL;
	}
	if ((uint64_t)st.st_size > max) {
		error_setg(errp, "could not load %s '%s': %llu bytes do not fit in guest memory", what, path,
			   (unsigned long long)st.st_size);
		close(fd);
		return NULL;
	}
	size_t n = (size_t)st.st_size;
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf) {
		error_setg(errp, "could not load %s '%s': out of memory", what, path);
		close(fd);
		return NULL;
	}
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			error_setg_errno(errp, r < 0 ? errno : EIO, "could not load %s '%s'", what, path);
			free(buf);
			close(fd);
			return NULL;
		}
		got += (size_t)r;
	}
	close(fd);
	*len = n;
	return buf;
}

int boot_add_blob(struct x86_boot *b, uint64_t paddr, const void *data, size_t len, bool copy)
{
	struct boot_blob *nb = realloc(b->blobs, sizeof(*nb) * (b->nblobs + 1));
	if (!nb)
		return -ENOMEM;
	b->blobs = nb;
	struct boot_blob *bl = &nb[b->nblobs];
	bl->paddr = paddr;
	bl->len = len;
	bl->owned = false;
	bl->data = (uint8_t *)data;
	if (data && copy) {
		bl->data = malloc(len ? len : 1);
		if (!bl->data)
			return -ENOMEM;
		memcpy(bl->data, data, len);
		bl->owned = true;
	}
	b->nblobs++;
	return 0;
}

uint64_t x86_initrd_limit(struct x86_machine *m)
{
	/* Highest RAM address below 4 GiB (the initrd goes right under it). */
	return m->below_4g;
}

void x86_boot_gdt(uint8_t out[40])
{
	/* Intel SDM vol. 3 §3.4.5: base 0, limit 0xfffff pages, G, D/B, P. */
	static const uint64_t gdt[5] = {
		0,
		0,
		0x00cf9b000000ffffull, /* 0x10: code, execute/read, accessed */
		0x00cf93000000ffffull, /* 0x18: data, read/write, accessed */
		0x00008b0000000067ull, /* 0x20: 32-bit TSS (busy), base 0, limit 0x67 */
	};
	for (int i = 0; i < 5; i++)
		for (int j = 0; j < 8; j++)
			out[i * 8 + j] = (uint8_t)(gdt[i] >> (8 * j));
}

void x86_cpu_enter_flat32(struct cpu *c, uint32_t eip)
{
	for (int s = 0; s < 6; s++) {
		c->seg[s].sel = 0x18;
		c->seg[s].base = 0;
		c->seg[s].limit = 0xffffffff;
		c->seg[s].flags = 0x00cf9300;
	}
	c->seg[SEG_CS].sel = 0x10;
	c->seg[SEG_CS].flags = 0x00cf9b00;
	c->gdt.base = BOOT_GDT_ADDR;
	c->gdt.limit = 5 * 8 - 1;
	c->idt.base = 0;
	c->idt.limit = 0;
	c->ldt = (struct seg){ 0, 0, 0, 0 };
	c->tr = (struct seg){ 0x20, 0, 0x67, 0x8b00 };
	c->cr0 = 0x11; /* PE, ET; paging off */
	c->cr2 = c->cr3 = c->cr4 = 0;
	c->efer = 0;
	c->cpl = 0;
	c->eflags = 2; /* IF clear */
	c->cc_op = CC_EFLAGS;
	c->cc_src = 0;
	for (int r = 0; r < 16; r++)
		c->regs[r] = 0;
	c->rip = eip;
	cpu_update_mode(c);
	cpu_mmu_update(c);
	cpu_tlb_flush(c);
}

void x86_boot_apply(struct x86_machine *m)
{
	static const uint8_t zeros[4096];
	struct vm *vm = m->vm;
	for (int i = 0; i < m->boot.nblobs; i++) {
		const struct boot_blob *b = &m->boot.blobs[i];
		if (b->data) {
			phys_load(vm, b->paddr, b->data, b->len);
			continue;
		}
		for (size_t off = 0; off < b->len; off += sizeof(zeros)) {
			size_t n = b->len - off < sizeof(zeros) ? b->len - off : sizeof(zeros);
			phys_load(vm, b->paddr + off, zeros, n);
		}
	}
	if (m->boot.kind == BOOT_NONE || m->boot.kind == BOOT_FIRMWARE || vm->ncpus < 1 || !vm->vcpus[0])
		return;
	struct cpu *c = &vm->vcpus[0]->cpu;
	x86_cpu_enter_flat32(c, m->boot.eip);
	c->regs[R_RAX] = m->boot.eax;
	c->regs[R_RBX] = m->boot.ebx;
	c->regs[R_RSI] = m->boot.esi;
}

int x86_load_kernel(struct x86_machine *m, struct error **errp)
{
	struct vm *vm = m->vm;
	const struct vm_config *cfg = &vm->cfg;
	uint8_t gdt[40];

	if (cfg->bios && bios_load(m, errp) < 0)
		return -1;
	if (!cfg->kernel) {
		if (!cfg->bios) {
			error_setg(errp, "no -kernel given and no -bios: lemu has no built-in firmware");
			return -1;
		}
		if (cfg->initrd || cfg->append) {
			error_setg(errp, "%s only allowed with -kernel option", cfg->initrd ? "-initrd" : "-append");
			return -1;
		}
		m->boot.kind = BOOT_FIRMWARE;
		return 0;
	}
	m->boot.file = boot_read_file(cfg->kernel, "kernel", vm->ram_size, &m->boot.file_len, errp);
	if (!m->boot.file)
		return -1;
	x86_boot_gdt(gdt);
	if (boot_add_blob(&m->boot, BOOT_GDT_ADDR, gdt, sizeof(gdt), true) < 0) {
		error_setg(errp, "out of memory");
		return -1;
	}
	uint32_t pvh_entry;
	int r;
	if (linux_probe(m->boot.file, m->boot.file_len))
		r = linux_load(m, errp);
	else if (pvh_probe(m->boot.file, m->boot.file_len, &pvh_entry))
		r = pvh_load(m, pvh_entry, errp);
	else if (multiboot_probe(m->boot.file, m->boot.file_len))
		r = multiboot_load(m, errp);
	else {
		error_setg(errp, "-kernel '%s': not a Linux bzImage, a PVH ELF (XEN_ELFNOTE_PHYS32_ENTRY) "
			   "or a multiboot kernel", cfg->kernel);
		r = -1;
	}
	return r;
}
