/*
 * -bios FILE: a firmware image mapped read-only so that it ends at 4 GiB
 * (the reset vector F000:FFF0 runs its last 16 bytes), with its last
 * 128 KiB (or all of it, if smaller) also visible below 1 MiB at
 * 0xe0000-0xfffff as on a PC.
 *
 * The low copy is plain RAM refilled from the image on every reset: this
 * is what the i440FX PAM registers give once firmware has made the
 * shadow area read/write, which is the state every firmware establishes
 * first.  lemu does not model PAM's read-only or PCI-forwarding settings
 * (hw/pci/i440fx.c keeps the registers, documented there).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/memory.h"
#include "core/vm.h"
#include "hw/x86/x86.h"
#include "util/error.h"

#define BIOS_MAX (16u << 20)
#define ISA_BIOS_MAX 0x20000u

int bios_load(struct x86_machine *m, struct error **errp)
{
	struct vm *vm = m->vm;
	const char *path = vm->cfg.bios;
	size_t len;
	uint8_t *img = boot_read_file(path, "firmware", BIOS_MAX, &len, errp);
	if (!img)
		return -1;
	/* A firmware image is a whole number of 64 KiB blocks (QEMU's rule too). */
	if (len == 0 || len % 65536) {
		error_setg(errp, "could not load PC BIOS '%s': size %zu is not a non-zero multiple of 64 KiB", path,
			   len);
		free(img);
		return -1;
	}
	if (boot_add_blob(&m->boot, 0, NULL, 0, false) < 0) { /* keeps img owned below */
		free(img);
		error_setg(errp, "out of memory");
		return -1;
	}
	struct boot_blob *keep = &m->boot.blobs[m->boot.nblobs - 1];
	keep->data = img; /* zero-length blob owning the image */
	keep->owned = true;
	if (!mem_add_ram(vm, "pc.bios", X86_BIOS_TOP - len, len, img, true)) {
		error_setg_errno(errp, errno, "could not map PC BIOS '%s'", path);
		return -1;
	}
	/* With -kernel lemu boots the kernel directly and the BIOS area holds
	 * the ACPI tables instead of the low copy. */
	size_t isa = len < ISA_BIOS_MAX ? len : ISA_BIOS_MAX;
	if (!vm->cfg.kernel && boot_add_blob(&m->boot, 0x100000 - isa, img + len - isa, isa, false) < 0) {
		error_setg(errp, "out of memory");
		return -1;
	}
	return 0;
}
