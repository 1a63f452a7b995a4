/*
 * What the pc and microvm machines share: the machine state device, the
 * RAM split around the PCI hole, the E820 map, CMOS memory sizes, ACPI
 * placement, fw_cfg contents, the boot image and the reset hook.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/memory.h"
#include "core/vm.h"
#include "hw/pci/pci.h"
#include "hw/x86/acpi.h"
#include "hw/x86/fw_cfg.h"
#include "hw/x86/machine.h"
#include "hw/x86/pc_devices.h"
#include "hw/x86/x86.h"
#include "util/error.h"

static void x86_machine_unrealize(struct device *dev)
{
	struct x86_machine *m = (struct x86_machine *)dev;
	if (dev->vm && dev->vm->machine == m) {
		dev->vm->machine = NULL;
		dev->vm->reset_hook = NULL;
	}
	x86_machine_free(m);
}

const struct device_class x86_machine_class = {
	.name = "x86-machine-state",
	.desc = "state of lemu's x86 machines (internal)",
	.bus = "sys",
	.size = sizeof(struct x86_machine),
	.user_creatable = false,
	.unrealize = x86_machine_unrealize,
};

void x86_machine_free(struct x86_machine *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->boot.nblobs; i++)
		if (m->boot.blobs[i].owned)
			free(m->boot.blobs[i].data);
	free(m->boot.blobs);
	free(m->boot.file);
	free(m->boot.initrd);
	free(m->boot.setup);
	free(m->acpi);
	fw_cfg_free(m->fw_cfg);
	pci_bus_free(m->pci);
	memset(&m->boot, 0, sizeof(m->boot));
	m->acpi = NULL;
	m->fw_cfg = NULL;
	m->pci = NULL;
}

int x86_map_ram(struct x86_machine *m, uint64_t lowmem_limit, struct error **errp)
{
	struct vm *vm = m->vm;
	m->below_4g = vm->ram_size < lowmem_limit ? vm->ram_size : lowmem_limit;
	m->above_4g = vm->ram_size - m->below_4g;
	vm->below_4g = m->below_4g;
	if (!mem_add_ram(vm, "pc.ram", 0, m->below_4g, vm->ram, false) ||
	    (m->above_4g && !mem_add_ram(vm, "pc.ram-high", 0x100000000ull, m->above_4g, vm->ram + m->below_4g, false))) {
		error_setg_errno(errp, errno, "cannot map guest RAM");
		return -1;
	}
	return 0;
}

/* The map a BIOS would report (QEMU + SeaBIOS report the same shape):
 * conventional memory up to the EBDA, the BIOS area (which holds lemu's
 * ACPI tables on a direct boot), RAM from 1 MiB, the flash window under
 * 4 GiB and RAM above 4 GiB. */
void x86_build_e820(struct x86_machine *m)
{
	struct e820_table *t = &m->e820;
	t->n = 0;
	uint64_t low = m->below_4g < 0x9fc00 ? m->below_4g : 0x9fc00;
	e820_add(t, 0, low, E820_RAM);
	if (m->below_4g > 0x9fc00)
		e820_add(t, 0x9fc00, 0x400, E820_RESERVED);
	e820_add(t, 0xe0000, 0x20000, E820_RESERVED);
	if (m->below_4g > 0x100000)
		e820_add(t, 0x100000, m->below_4g - 0x100000, E820_RAM);
	e820_add(t, 0xfffc0000, 0x40000, E820_RESERVED);
	if (m->above_4g)
		e820_add(t, 0x100000000ull, m->above_4g, E820_RAM);
}

struct x86_machine *x86_machine_new(struct vm *vm, const struct machine_class *mc, uint64_t lowmem,
				    struct error **errp)
{
	struct x86_machine *m = (struct x86_machine *)device_create(vm, x86_machine_class.name, NULL, errp);
	if (!m)
		return NULL;
	m->vm = vm;
	m->mc = mc;
	vm->machine = m;
	if (x86_map_ram(m, lowmem, errp) < 0)
		return NULL;
	x86_build_e820(m);
	return m;
}

/* CMOS bytes firmware reads for the memory size (the RTC's NVRAM as the
 * PC/AT BIOS and SeaBIOS lay it out). */
void x86_cmos_init(struct x86_machine *m)
{
	struct vm *vm = m->vm;
	uint64_t ext = m->below_4g > 0x100000 ? (m->below_4g - 0x100000) >> 10 : 0;
	uint64_t above16 = m->below_4g > (16u << 20) ? (m->below_4g - (16u << 20)) >> 16 : 0;
	uint64_t above4g = m->above_4g >> 16;
	if (ext > 0xffff)
		ext = 0xffff;
	if (above16 > 0xffff)
		above16 = 0xffff;
	pc_cmos_set(vm, 0x15, 640 & 0xff);
	pc_cmos_set(vm, 0x16, 640 >> 8);
	pc_cmos_set(vm, 0x17, (uint8_t)ext);
	pc_cmos_set(vm, 0x18, (uint8_t)(ext >> 8));
	pc_cmos_set(vm, 0x30, (uint8_t)ext);
	pc_cmos_set(vm, 0x31, (uint8_t)(ext >> 8));
	pc_cmos_set(vm, 0x34, (uint8_t)above16);
	pc_cmos_set(vm, 0x35, (uint8_t)(above16 >> 8));
	pc_cmos_set(vm, 0x5b, (uint8_t)above4g);
	pc_cmos_set(vm, 0x5c, (uint8_t)(above4g >> 8));
	pc_cmos_set(vm, 0x5d, (uint8_t)(above4g >> 16));
	pc_cmos_set(vm, 0x5f, (uint8_t)(vm->ncpus - 1));
}

static void x86_reset(struct vm *vm)
{
	struct x86_machine *m = x86_machine_of(vm);
	if (!m)
		return;
	if (m->fw_cfg)
		fw_cfg_reset(m->fw_cfg);
	x86_boot_apply(m);
}

static int x86_fw_cfg_init(struct x86_machine *m, struct acpi_tables *t, struct error **errp)
{
	struct vm *vm = m->vm;
	struct fw_cfg *f = fw_cfg_new(vm, true);
	uint8_t uuid[16] = { 0 };
	int r = 0;
	if (!f) {
		error_setg(errp, "fw_cfg: I/O ports 0x510-0x51b are already in use");
		return -1;
	}
	m->fw_cfg = f;
	r |= fw_cfg_add_bytes(f, FW_CFG_UUID, uuid, 16, true);
	r |= fw_cfg_add_i64(f, FW_CFG_RAM_SIZE, vm->ram_size);
	r |= fw_cfg_add_i16(f, FW_CFG_NOGRAPHIC, 1);
	r |= fw_cfg_add_i16(f, FW_CFG_NB_CPUS, (uint16_t)vm->ncpus);
	r |= fw_cfg_add_i16(f, FW_CFG_MAX_CPUS, (uint16_t)(vm->cfg.maxcpus > vm->ncpus ? vm->cfg.maxcpus : vm->ncpus));
	r |= fw_cfg_add_i32(f, FW_CFG_MACHINE_ID, 0);
	r |= fw_cfg_add_i16(f, FW_CFG_BOOT_MENU, 0);
	r |= fw_cfg_add_i32(f, FW_CFG_IRQ0_OVERRIDE, 1);
	/* etc/e820: the RAM ranges ({le64 addr, le64 len, le32 type}); firmware
	 * carves out its own reservations. */
	struct e820_table ram = { .n = 0 };
	e820_add(&ram, 0, m->below_4g, E820_RAM);
	if (m->above_4g)
		e820_add(&ram, 0x100000000ull, m->above_4g, E820_RAM);
	uint8_t e820[E820_MAX * 20];
	r |= fw_cfg_add_file(f, "etc/e820", e820, (size_t)e820_pack(&ram, e820, E820_MAX), true);
	if (t) {
		/* Pointers hold offsets into etc/acpi/tables; the firmware adds the
		 * address where it allocated the file (etc/table-loader). */
		uint8_t rsdp[36];
		uint8_t *tables = malloc(t->len ? t->len : 1);
		size_t llen = 0;
		uint8_t *loader = acpi_table_loader(t, &llen);
		if (!tables || !loader) {
			free(tables);
			free(loader);
			error_setg(errp, "out of memory");
			return -1;
		}
		acpi_tables_link(t, 0, 0, rsdp, tables);
		r |= fw_cfg_add_file(f, ACPI_RSDP_FILE, rsdp, sizeof(rsdp), true);
		r |= fw_cfg_add_file(f, ACPI_TABLES_FILE, tables, t->len, true);
		r |= fw_cfg_add_file(f, "etc/table-loader", loader, llen, true);
		free(tables);
		free(loader);
	}
	if (r) {
		error_setg(errp, "fw_cfg: cannot add items (out of memory)");
		return -1;
	}
	return 0;
}

/* The kernel items QEMU's fw_cfg carries for firmware-driven Linux boots. */
static int x86_fw_cfg_kernel(struct x86_machine *m)
{
	struct fw_cfg *f = m->fw_cfg;
	const struct vm_config *cfg = &m->vm->cfg;
	struct x86_boot *b = &m->boot;
	int r = 0;
	if (!b->file)
		return 0;
	const char *append = cfg->append ? cfg->append : "";
	size_t setup = b->kind == BOOT_LINUX ? b->setup_len : 0;
	size_t klen = b->file_len - setup;
	r |= fw_cfg_add_i32(f, FW_CFG_KERNEL_ADDR, 0x100000);
	r |= fw_cfg_add_i32(f, FW_CFG_KERNEL_SIZE, (uint32_t)klen);
	r |= fw_cfg_add_bytes(f, FW_CFG_KERNEL_DATA, b->file + setup, klen, false);
	r |= fw_cfg_add_i32(f, FW_CFG_CMDLINE_ADDR, b->cmdline_addr);
	r |= fw_cfg_add_i32(f, FW_CFG_CMDLINE_SIZE, (uint32_t)strlen(append) + 1);
	r |= fw_cfg_add_bytes(f, FW_CFG_CMDLINE_DATA, append, strlen(append) + 1, true);
	if (b->initrd) {
		r |= fw_cfg_add_i32(f, FW_CFG_INITRD_ADDR, (uint32_t)b->initrd_addr);
		r |= fw_cfg_add_i32(f, FW_CFG_INITRD_SIZE, (uint32_t)b->initrd_len);
		r |= fw_cfg_add_bytes(f, FW_CFG_INITRD_DATA, b->initrd, b->initrd_len, false);
	}
	if (setup && b->setup) {
		r |= fw_cfg_add_i32(f, FW_CFG_SETUP_ADDR, 0x10000);
		r |= fw_cfg_add_i32(f, FW_CFG_SETUP_SIZE, (uint32_t)setup);
		r |= fw_cfg_add_bytes(f, FW_CFG_SETUP_DATA, b->setup, setup, false);
	}
	return r;
}

int x86_machine_finish(struct x86_machine *m, struct error **errp)
{
	struct vm *vm = m->vm;
	struct acpi_tables t;
	int r = -1;
	memset(&t, 0, sizeof(t));
	if (acpi_build(m, &t) < 0) {
		error_setg(errp, "cannot build the ACPI tables (out of memory)");
		goto out;
	}
	if (vm->cfg.kernel) {
		/* Direct boot: RSDP at the start of the BIOS area, tables after it. */
		size_t total = 0x40 + t.len;
		if (total > ACPI_TABLES_MAX || m->below_4g < ACPI_TABLES_ADDR + ACPI_TABLES_MAX) {
			error_setg(errp, "ACPI tables (%zu bytes) do not fit below 1 MiB", total);
			goto out;
		}
		m->acpi = calloc(1, total);
		if (!m->acpi) {
			error_setg(errp, "out of memory");
			goto out;
		}
		m->acpi_len = total;
		m->rsdp_addr = ACPI_TABLES_ADDR;
		acpi_tables_link(&t, ACPI_TABLES_ADDR, ACPI_TABLES_ADDR + 0x40, m->acpi, m->acpi + 0x40);
		if (boot_add_blob(&m->boot, ACPI_TABLES_ADDR, m->acpi, total, false) < 0) {
			error_setg(errp, "out of memory");
			goto out;
		}
	}
	if (x86_fw_cfg_init(m, &t, errp) < 0)
		goto out;
	if (x86_load_kernel(m, errp) < 0)
		goto out;
	if (x86_fw_cfg_kernel(m)) {
		error_setg(errp, "fw_cfg: cannot add the kernel items (out of memory)");
		goto out;
	}
	vm->reset_hook = x86_reset;
	x86_boot_apply(m);
	r = 0;
out:
	acpi_tables_free(&t);
	return r;
}
