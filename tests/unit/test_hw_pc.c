/*
 * The pc and microvm machines on the real core (src/core without main.c):
 * ACPI tables (checksums, fields, and `iasl -d` as an outside parser of the
 * AML when acpica-tools is installed), E820, PCI configuration space of the
 * host and ISA bridges through ports 0xcf8/0xcfc, BAR sizing, INTx, fw_cfg
 * (port and DMA interfaces), the PIIX4 PM sleep and reset registers, and
 * the zero page lemu builds for the real Debian bzImage (skipped when
 * scripts/prepare-guest.sh has not run; LEMU_GUEST_DIR overrides).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/memory.h"
#include "core/vm.h"
#include "harness.h"
#include "hw/pci/pci.h"
#include "hw/x86/e820.h"
#include "hw/x86/fw_cfg.h"
#include "hw/x86/machine.h"
#include "hw/x86/piix_pm.h"
#include "hw/x86/x86.h"
#include "util/error.h"

static uint64_t rd(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}
static void wr(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static char tmpdir[] = "/tmp/lemu-test-hw-pc.XXXXXX";

static const char *write_tmp(const char *name, const void *data, size_t len)
{
	static char path[64][256];
	static int next;
	char *p = path[next++ & 63];
	snprintf(p, 256, "%s/%s", tmpdir, name);
	FILE *f = fopen(p, "wb");
	if (!f)
		return NULL;
	fwrite(data, 1, len, f);
	fclose(f);
	return p;
}

/* A minimal bzImage: boot sector + setup header, 4 setup sectors, and a
 * protected-mode part of `kbytes` bytes filled with a pattern. */
static const char *make_bzimage(unsigned version, size_t kbytes)
{
	size_t setup = 5 * 512, len = setup + kbytes;
	uint8_t *img = calloc(1, len);
	img[0x1f1] = 4;
	wr(img + 0x1fe, 0xaa55, 2);
	img[0x200] = 0xeb;
	img[0x201] = 0x66; /* header ends at 0x268 */
	memcpy(img + 0x202, "HdrS", 4);
	wr(img + 0x206, version, 2);
	img[0x211] = 0x01; /* LOADED_HIGH */
	wr(img + 0x214, 0x100000, 4);
	wr(img + 0x22c, 0x37ffffff, 4);
	wr(img + 0x238, 2047, 4);
	for (size_t i = 0; i < kbytes; i++)
		img[setup + i] = (uint8_t)(i * 7 + 3);
	const char *p = write_tmp(version < 0x204 ? "old-bzImage" : "bzImage", img, len);
	free(img);
	return p;
}

static struct vm *make_vm(const char *machine, uint64_t ram, int smp, const char *kernel, const char *initrd,
			  const char *append, struct error **err)
{
	struct vm_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.machine = machine;
	cfg.ram_size = ram;
	cfg.smp = smp;
	cfg.kernel = kernel;
	cfg.initrd = initrd;
	cfg.append = append;
	struct vm *vm = vm_new(&cfg, err);
	if (!vm)
		return NULL;
	const struct machine_class *mc = machine_find(machine);
	if (!mc || mc->init(vm, err) < 0) {
		vm_free(vm);
		return NULL;
	}
	return vm;
}

static uint32_t pci_cfg_read(struct vm *vm, int devfn, int reg, unsigned size)
{
	pio_write(vm, 0xcf8, 0x80000000u | (uint32_t)devfn << 8 | (reg & 0xfc), 4);
	return pio_read(vm, (uint16_t)(0xcfc + (reg & 3)), size);
}
static void pci_cfg_write(struct vm *vm, int devfn, int reg, uint32_t val, unsigned size)
{
	pio_write(vm, 0xcf8, 0x80000000u | (uint32_t)devfn << 8 | (reg & 0xfc), 4);
	pio_write(vm, (uint16_t)(0xcfc + (reg & 3)), val, size);
}

/* ---- ACPI ---- */

struct acpi_view {
	uint8_t rsdp[36];
	uint8_t *tab[16];
	char sig[16][5];
	int n;
	uint8_t *dsdt, *facs;
};

static uint8_t *read_table(struct vm *vm, uint64_t addr)
{
	uint8_t hdr[36];
	phys_read(vm, addr, hdr, sizeof(hdr));
	uint32_t len = (uint32_t)rd(hdr + 4, 4);
	if (len < 36 || len > 65536)
		return NULL;
	uint8_t *t = malloc(len);
	phys_read(vm, addr, t, len);
	return t;
}

static int load_acpi(struct vm *vm, uint64_t rsdp_addr, struct acpi_view *v)
{
	memset(v, 0, sizeof(*v));
	phys_read(vm, rsdp_addr, v->rsdp, 36);
	uint8_t *xsdt = read_table(vm, rd(v->rsdp + 24, 8));
	if (!xsdt)
		return -1;
	v->tab[v->n] = xsdt;
	memcpy(v->sig[v->n++], "XSDT", 4);
	uint8_t *rsdt = read_table(vm, rd(v->rsdp + 16, 4));
	if (rsdt) {
		v->tab[v->n] = rsdt;
		memcpy(v->sig[v->n++], "RSDT", 4);
	}
	uint32_t xl = (uint32_t)rd(xsdt + 4, 4);
	for (uint32_t o = 36; o + 8 <= xl && v->n < 14; o += 8) {
		uint8_t *t = read_table(vm, rd(xsdt + o, 8));
		if (!t)
			return -1;
		v->tab[v->n] = t;
		memcpy(v->sig[v->n++], t, 4);
		if (!memcmp(t, "FACP", 4)) {
			v->dsdt = read_table(vm, rd(t + 140, 8) ? rd(t + 140, 8) : rd(t + 40, 4));
			uint32_t facs = (uint32_t)rd(t + 36, 4);
			if (facs) {
				v->facs = malloc(64);
				phys_read(vm, facs, v->facs, 64);
			}
		}
	}
	return 0;
}

static uint8_t *find_table(struct acpi_view *v, const char *sig)
{
	for (int i = 0; i < v->n; i++)
		if (!memcmp(v->sig[i], sig, 4))
			return v->tab[i];
	return NULL;
}

static void free_acpi(struct acpi_view *v)
{
	for (int i = 0; i < v->n; i++)
		free(v->tab[i]);
	free(v->dsdt);
	free(v->facs);
}

/* \_S5: NameOp '\' "_S5_" PackageOp PkgLength NumElements elements */
static int find_s5(const uint8_t *dsdt, uint32_t len, uint8_t *typ_a)
{
	for (uint32_t i = 36; i + 10 < len; i++) {
		if (dsdt[i] == 0x08 && dsdt[i + 1] == '\\' && !memcmp(dsdt + i + 2, "_S5_", 4) && dsdt[i + 6] == 0x12) {
			const uint8_t *p = dsdt + i + 7;
			int pl = (p[0] >> 6) + 1;
			uint8_t n = p[pl];
			const uint8_t *e = p + pl + 1;
			if (n != 4)
				return -1;
			*typ_a = e[0] == 0x0a ? e[1] : e[0]; /* ZeroOp/OneOp or BytePrefix */
			return 0;
		}
	}
	return -1;
}

/* iasl -d on the table; returns 0 when it decompiled without errors and
 * the output contains `want`, 1 when iasl is missing, -1 otherwise. */
static int iasl_check(const uint8_t *tab, const char *name, const char *want)
{
	if (system("command -v iasl >/dev/null 2>&1") != 0)
		return 1;
	uint32_t len = (uint32_t)rd(tab + 4, 4);
	char cmd[1024];
	const char *p = write_tmp(name, tab, len);
	snprintf(cmd, sizeof(cmd), "cd %s && iasl -d %s > iasl.log 2>&1", tmpdir, p);
	if (system(cmd) != 0)
		return -1;
	char dsl[300];
	snprintf(dsl, sizeof(dsl), "%.*s.dsl", (int)(strlen(p) - 4), p);
	FILE *f = fopen(dsl, "r");
	if (!f)
		return -1;
	static char buf[1 << 18];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	snprintf(cmd, sizeof(cmd), "grep -qiE '[1-9][0-9]* Errors|Error +[0-9]' %s/iasl.log", tmpdir);
	if (system(cmd) == 0)
		return -1;
	/* Compiling the disassembly again must work too (ASL semantics). */
	snprintf(cmd, sizeof(cmd), "cd %s && iasl -p recompiled %s > iasl2.log 2>&1 && grep -q ' 0 Errors, 0 Warnings' iasl2.log",
		 tmpdir, dsl);
	if (!memcmp(tab, "DSDT", 4) && system(cmd) != 0)
		return -1;
	return strstr(buf, want) ? 0 : -1;
}

static void test_acpi_pc(struct vm *vm)
{
	struct acpi_view v;
	tap_ok(load_acpi(vm, 0xe0000, &v) == 0, "pc: RSDP at 0xe0000 leads to the XSDT");
	tap_ok(!memcmp(v.rsdp, "RSD PTR ", 8) && v.rsdp[15] == 2, "RSDP signature and revision 2");
	tap_ok(sum(v.rsdp, 20) == 0 && sum(v.rsdp, 36) == 0, "RSDP checksum and extended checksum");
	int bad = 0;
	for (int i = 0; i < v.n; i++)
		bad += sum(v.tab[i], (uint32_t)rd(v.tab[i] + 4, 4)) != 0;
	tap_ok(v.n >= 5 && bad == 0, "%d tables with valid checksums", v.n);
	uint8_t *fadt = find_table(&v, "FACP"), *madt = find_table(&v, "APIC"), *hpet = find_table(&v, "HPET");
	tap_ok(fadt && madt && hpet && v.dsdt && v.facs, "FADT, MADT, HPET, DSDT and FACS present");
	tap_ok(!find_table(&v, "MCFG"), "no MCFG on the (PCI, not PCIe) pc machine");
	if (!fadt || !madt || !hpet || !v.dsdt || !v.facs) {
		free_acpi(&v);
		return;
	}
	tap_ok(sum(v.dsdt, (uint32_t)rd(v.dsdt + 4, 4)) == 0, "DSDT checksum");
	tap_ok(!memcmp(v.facs, "FACS", 4) && rd(v.facs + 4, 4) == 64, "FACS signature and length");
	tap_ok(rd(fadt + 46, 2) == 9, "FADT SCI_INT 9");
	tap_ok(rd(fadt + 56, 4) == 0x600 && rd(fadt + 64, 4) == 0x604 && rd(fadt + 76, 4) == 0x608,
	       "FADT PM1a_EVT 0x600, PM1a_CNT 0x604, PM_TMR 0x608");
	tap_ok(fadt[88] == 4 && fadt[89] == 2 && fadt[91] == 4, "FADT block lengths 4/2/4");
	tap_ok((rd(fadt + 112, 4) & (1u << 10)) && fadt[116] == 1 && rd(fadt + 120, 8) == 0xcf9 && fadt[128] == 6,
	       "FADT reset register: I/O 0xcf9 value 6, RESET_REG_SUP");
	tap_ok(rd(fadt + 148 + 4, 8) == 0x600 && rd(fadt + 172 + 4, 8) == 0x604 && fadt[172 + 1] == 16,
	       "X_PM1a blocks agree with the 32-bit ones");
	/* MADT: 2 LAPICs, 1 IOAPIC, overrides */
	uint32_t ml = (uint32_t)rd(madt + 4, 4);
	int lapics = 0, ioapics = 0, iso0 = 0, iso9 = 0;
	for (uint32_t o = 44; o + 2 <= ml && madt[o + 1]; o += madt[o + 1]) {
		const uint8_t *e = madt + o;
		if (e[0] == 0 && (rd(e + 4, 4) & 1))
			lapics++;
		if (e[0] == 1 && rd(e + 4, 4) == 0xfec00000 && rd(e + 8, 4) == 0)
			ioapics++;
		if (e[0] == 2 && e[3] == 0 && rd(e + 4, 4) == 2)
			iso0++;
		if (e[0] == 2 && e[3] == 9 && rd(e + 4, 4) == 9 && rd(e + 8, 2) == 0x000d)
			iso9++;
	}
	tap_ok(rd(madt + 36, 4) == 0xfee00000 && (rd(madt + 40, 4) & 1), "MADT LAPIC address, PCAT_COMPAT");
	tap_ok(lapics == 2, "MADT has a LAPIC per vCPU (%d)", lapics);
	tap_ok(ioapics == 1 && iso0 == 1 && iso9 == 1, "MADT IOAPIC, IRQ0->GSI2 and IRQ9 level/high overrides");
	tap_ok(rd(hpet + 44, 8) == 0xfed00000, "HPET table base address");
	struct mem_region *hr = mem_find(vm, 0xfed00000);
	uint32_t cap = hr && hr->kind == MEM_MMIO ? (uint32_t)mmio_read(vm, hr, 0xfed00000, 4) : 0;
	tap_ok(cap && rd(hpet + 36, 4) == cap, "HPET table block ID 0x%x matches the device's capability register 0x%x",
	       (unsigned)rd(hpet + 36, 4), cap);
	uint8_t typ = 0xff;
	tap_ok(find_s5(v.dsdt, (uint32_t)rd(v.dsdt + 4, 4), &typ) == 0 && typ == 0,
	       "DSDT \\_S5 is a 4-element package with SLP_TYP 0 (PIIX4 soft off)");
	tap_ok(memmem(v.dsdt, rd(v.dsdt + 4, 4), "\x41\xd0\x0a\x03", 4) != NULL, "DSDT has EisaId PNP0A03");
	int r = iasl_check(v.dsdt, "dsdt.dat", "Name (\\_S5, Package (0x04)");
	if (r == 1)
		tap_ok(1, "# SKIP iasl not installed (acpica-tools)");
	else
		tap_ok(r == 0, "iasl -d decompiles the DSDT without errors and finds \\_S5");
	r = iasl_check(v.dsdt, "dsdt2.dat", "Name (_PRT, Package (0x80)");
	if (r != 1)
		tap_ok(r == 0, "iasl: PCI0 _PRT has 128 entries");
	r = iasl_check(v.dsdt, "dsdt3.dat", "PNP0501");
	if (r != 1)
		tap_ok(r == 0, "iasl: COM1 (PNP0501) declared");
	r = iasl_check(fadt, "facp.dat", "Reset Register");
	if (r != 1)
		tap_ok(r == 0, "iasl -d decompiles the FADT");
	r = iasl_check(madt, "apic.dat", "Interrupt Source Override");
	if (r != 1)
		tap_ok(r == 0, "iasl -d decompiles the MADT");
	free_acpi(&v);
}

/* ---- PCI ---- */

struct test_bar_dev {
	uint64_t last_off, last_val;
	int reads;
};
static uint64_t tb_read(void *o, uint64_t off, unsigned size)
{
	struct test_bar_dev *t = o;
	t->reads++;
	t->last_off = off;
	return 0x12345678;
}
static void tb_write(void *o, uint64_t off, uint64_t val, unsigned size)
{
	struct test_bar_dev *t = o;
	t->last_off = off;
	t->last_val = val;
}
static const struct io_ops tb_ops = { tb_read, tb_write, 1, 4 };
static const struct device_class tb_class = { .name = "test-pci", .bus = "pci" };
static int gsi_level[24];
static void gsi_rec(void *opaque, int n, int level)
{
	gsi_level[n] = level;
}

static void test_pci(struct vm *vm)
{
	tap_ok(pci_cfg_read(vm, 0, 0, 4) == 0x12378086, "00:00.0 is 8086:1237 (i440FX)");
	tap_ok(pci_cfg_read(vm, 8, 0, 4) == 0x70008086, "00:01.0 is 8086:7000 (PIIX3)");
	tap_ok(pci_cfg_read(vm, 11, 0, 4) == 0x71138086, "00:01.3 is 8086:7113 (PIIX4 PM)");
	tap_ok(pci_cfg_read(vm, 8, 0x0a, 2) == 0x0601 && (pci_cfg_read(vm, 8, 0x0e, 1) & 0x80),
	       "ISA bridge class 0601, multi-function header");
	tap_ok(pci_cfg_read(vm, 0, 0x0a, 2) == 0x0600, "host bridge class 0600");
	tap_ok(pci_cfg_read(vm, 0, 2, 2) == 0x1237 && pci_cfg_read(vm, 0, 1, 1) == 0x80,
	       "word and byte accesses at 0xcfe/0xcfd");
	tap_ok(pci_cfg_read(vm, 5 << 3, 0, 4) == 0xffffffffu, "empty slot reads all ones");
	pio_write(vm, 0xcf8, 0x80000000u, 4);
	tap_ok(pio_read(vm, 0xcf8, 4) == 0x80000000u, "CONFIG_ADDRESS reads back");
	tap_ok(pci_cfg_read(vm, 11, 0x40, 4) == 0x601 && (pci_cfg_read(vm, 11, 0x80, 1) & 1),
	       "PMBA = 0x600 and PMIOSE set by lemu");
	tap_ok(pci_cfg_read(vm, 11, 0x5b, 1) & 0x02, "DEVACTB.APMC_EN reads as set (no SMM for firmware to set up)");
	/* PIRQ registers are writable with their mask */
	pci_cfg_write(vm, 8, 0x60, 0xff, 1);
	tap_ok(pci_cfg_read(vm, 8, 0x60, 1) == 0x8f, "PIRQA route register masks to 0x8f");
	/* vendor ID is read-only */
	pci_cfg_write(vm, 0, 0, 0xffffffff, 4);
	tap_ok(pci_cfg_read(vm, 0, 0, 4) == 0x12378086, "vendor/device ID are read-only");

	/* A device with a memory BAR, an I/O BAR and INTA at slot 3 */
	struct pci_device *d = calloc(1, sizeof(*d));
	struct test_bar_dev tb = { 0 };
	struct error *err = NULL;
	d->dev.cls = &tb_class;
	d->dev.vm = vm;
	d->addr = "3";
	int ok = pci_device_realize(d, &err) == 0;
	pci_set_ids(d, 0x1af4, 0x1000, 0, 0x020000);
	pci_set_intx_pin(d, 1);
	ok = ok && pci_register_bar(d, 0, PCI_BAR_IO, 32, &tb_ops, &tb, &err) == 0;
	ok = ok && pci_register_bar(d, 1, 0, 0x1000, &tb_ops, &tb, &err) == 0;
	ok = ok && pci_register_bar(d, 2, PCI_BAR_MEM64 | PCI_BAR_PREFETCH, 0x4000, &tb_ops, &tb, &err) == 0;
	tap_ok(ok, "test device realized with three BARs");
	int devfn = 3 << 3;
	uint32_t io = pci_cfg_read(vm, devfn, 0x10, 4), mem = pci_cfg_read(vm, devfn, 0x14, 4);
	uint32_t m64 = pci_cfg_read(vm, devfn, 0x18, 4);
	tap_ok((io & 1) && io >= 0xc000 && !(io & 31 & ~3u), "I/O BAR assigned at 0x%x", io & ~3u);
	tap_ok(!(mem & 0xf) && mem >= 0xe0000000u && mem < 0xfec00000u, "memory BAR assigned at 0x%x", mem);
	tap_ok((m64 & 0xf) == 0xc && pci_cfg_read(vm, devfn, 0x1c, 4) == 0, "64-bit prefetchable BAR type bits");
	tap_ok((pci_cfg_read(vm, devfn, 4, 2) & 3) == 3, "I/O and memory decoding enabled by lemu");
	/* MMIO and port accesses reach the device */
	struct mem_region *r = mem_find(vm, mem + 0x10);
	tap_ok(r && mmio_read(vm, r, mem + 0x10, 4) == 0x12345678 && tb.last_off == 0x10,
	       "MMIO read at BAR1+0x10 reaches the device at offset 0x10");
	pio_write(vm, (uint16_t)((io & ~3u) + 4), 0xab, 1);
	tap_ok(tb.last_off == 4 && tb.last_val == 0xab, "port write at BAR0+4 reaches the device");
	/* Sizing: all ones, read the mask, restore */
	pci_cfg_write(vm, devfn, 4, 0, 2);
	pci_cfg_write(vm, devfn, 0x14, 0xffffffff, 4);
	tap_ok(pci_cfg_read(vm, devfn, 0x14, 4) == 0xfffff000u, "memory BAR sizing reads ~(size-1)");
	pci_cfg_write(vm, devfn, 0x10, 0xffffffff, 4);
	tap_ok(pci_cfg_read(vm, devfn, 0x10, 4) == 0xffffffe1u, "I/O BAR sizing reads ~(size-1) | 1");
	pci_cfg_write(vm, devfn, 0x14, 0xe8000000u, 4);
	pci_cfg_write(vm, devfn, 0x10, 0xd000, 4);
	pci_cfg_write(vm, devfn, 4, 3, 2);
	r = mem_find(vm, 0xe8000004);
	tap_ok(r && mmio_read(vm, r, 0xe8000004, 4) == 0x12345678 && pci_bar_addr(d, 1) == 0xe8000000u,
	       "memory BAR moved to 0xe8000000 by the guest");
	tap_ok(!mem_find(vm, mem) || mem_find(vm, mem) != r, "old BAR address no longer decodes");
	pio_write(vm, 0xd008, 0x5a, 1);
	tap_ok(tb.last_off == 8 && tb.last_val == 0x5a, "I/O BAR moved to 0xd000");
	pci_cfg_write(vm, devfn, 4, 1, 2);
	tap_ok(!mem_find(vm, 0xe8000004) || mem_find(vm, 0xe8000004)->opaque != &tb,
	       "clearing COMMAND.MEMORY unmaps the BAR");
	/* INTx: slot 3 INTA -> GSI 16 + 3 */
	int gsi = pci_slot_gsi(3, 0);
	vm->gsi[gsi] = (struct irq){ gsi_rec, NULL, gsi };
	tap_ok(gsi == 19 && pci_cfg_read(vm, devfn, 0x3c, 1) == 19 && pci_cfg_read(vm, devfn, 0x3d, 1) == 1,
	       "INTA of slot 3 routes to GSI 19; interrupt line/pin registers");
	pci_set_irq(d, 1);
	tap_ok(gsi_level[gsi] == 1 && (pci_cfg_read(vm, devfn, 6, 2) & 8), "INTx raises the GSI, STATUS.INTERRUPT");
	pci_cfg_write(vm, devfn, 4, 0x401, 2);
	tap_ok(gsi_level[gsi] == 0, "COMMAND.INTX_DISABLE masks it");
	pci_cfg_write(vm, devfn, 4, 0x001, 2);
	tap_ok(gsi_level[gsi] == 1, "re-enabled");
	pci_set_irq(d, 0);
	tap_ok(gsi_level[gsi] == 0, "INTx lowered");
	/* DMA needs bus mastering */
	uint8_t buf[4] = { 1, 2, 3, 4 };
	tap_ok(pci_dma_write(d, 0x5000, buf, 4) < 0, "DMA refused without bus mastering");
	pci_cfg_write(vm, devfn, 4, 0x005, 2);
	uint8_t back[4] = { 0 };
	tap_ok(pci_dma_write(d, 0x5000, buf, 4) == 0 && pci_dma_read(d, 0x5000, back, 4) == 0 && !memcmp(buf, back, 4),
	       "DMA write/read with bus mastering");
	tap_ok(pci_dma_read(d, 0xfff00000ull, back, 4) < 0, "DMA from unassigned memory fails");
	int cap = pci_add_capability(d, 0x09, 8);
	tap_ok(cap == 0x40 && pci_cfg_read(vm, devfn, 0x34, 1) == 0x40 && (pci_cfg_read(vm, devfn, 6, 2) & 0x10),
	       "capability list: first at 0x40, STATUS.CAP_LIST");
	/* duplicate address */
	struct pci_device *d2 = calloc(1, sizeof(*d2));
	d2->dev.cls = &tb_class;
	d2->dev.vm = vm;
	d2->addr = "3.0";
	err = NULL;
	int rr = pci_device_realize(d2, &err);
	tap_ok(rr < 0 && err && strstr(err->msg, "slot 3 function 0 not available"),
	       "a second device at 03.0 is refused: %s", err ? err->msg : "");
	error_free(err);
	free(d2);
	vm->gsi[gsi] = (struct irq){ 0 };
	pci_device_unrealize(d);
	free(d);
}

/* ---- fw_cfg ---- */

static void fw_select(struct vm *vm, uint16_t key)
{
	pio_write(vm, 0x510, key, 2);
}

static void test_fw_cfg(struct vm *vm)
{
	char sig[5] = { 0 };
	fw_select(vm, FW_CFG_SIGNATURE);
	for (int i = 0; i < 4; i++)
		sig[i] = (char)pio_read(vm, 0x511, 1);
	tap_ok(!strcmp(sig, "QEMU"), "fw_cfg signature QEMU");
	fw_select(vm, FW_CFG_ID);
	tap_ok((pio_read(vm, 0x511, 1) & 3) == 3, "fw_cfg ID: traditional and DMA interfaces");
	fw_select(vm, FW_CFG_NB_CPUS);
	uint32_t n = pio_read(vm, 0x511, 1) | pio_read(vm, 0x511, 1) << 8;
	tap_ok(n == 2, "FW_CFG_NB_CPUS = 2");
	uint32_t dmasig = pio_read(vm, 0x514, 4);
	tap_ok(!memcmp(&dmasig, "QEMU", 4), "DMA register reads the \"QEMU CFG\" signature");
	/* File directory through DMA: request at 0x8000, buffer at 0x9000 */
	uint8_t req[16];
	uint32_t ctl = (FW_CFG_FILE_DIR << 16) | 0x08 | 0x02; /* select + read */
	for (int i = 0; i < 4; i++)
		req[i] = (uint8_t)(ctl >> (24 - 8 * i));
	uint32_t len = 4 + 64 * 16;
	for (int i = 0; i < 4; i++)
		req[4 + i] = (uint8_t)(len >> (24 - 8 * i));
	uint64_t buf = 0x90000;
	for (int i = 0; i < 8; i++)
		req[8 + i] = (uint8_t)(buf >> (56 - 8 * i));
	phys_write(vm, 0x80000, req, sizeof(req));
	pio_write(vm, 0x514, 0, 4);
	pio_write(vm, 0x518, __builtin_bswap32(0x80000), 4);
	uint8_t done[4], dir[4 + 64 * 16];
	phys_read(vm, 0x80000, done, 4);
	phys_read(vm, buf, dir, sizeof(dir));
	tap_ok(rd(done, 4) == 0, "DMA completed (control cleared)");
	uint32_t count = (uint32_t)(dir[0] << 24 | dir[1] << 16 | dir[2] << 8 | dir[3]);
	int have = 0, sorted = 1;
	uint32_t loader_size = 0;
	uint16_t loader_key = 0;
	for (uint32_t i = 0; i < count && i < 16; i++) {
		const char *name = (const char *)dir + 4 + 64 * i + 8;
		if (!strcmp(name, "etc/acpi/rsdp") || !strcmp(name, "etc/acpi/tables") || !strcmp(name, "etc/e820") ||
		    !strcmp(name, "etc/table-loader"))
			have++;
		if (!strcmp(name, "etc/table-loader")) {
			const uint8_t *e = dir + 4 + 64 * i;
			loader_size = (uint32_t)(e[0] << 24 | e[1] << 16 | e[2] << 8 | e[3]);
			loader_key = (uint16_t)(e[4] << 8 | e[5]);
		}
		if (i && strcmp(name - 64, name) >= 0)
			sorted = 0;
	}
	tap_ok(have == 4 && sorted, "file directory: %u files, sorted, with etc/acpi/{rsdp,tables}, etc/e820, "
	       "etc/table-loader", count);
	tap_ok(loader_size && loader_size % 128 == 0, "etc/table-loader is a list of 128-byte commands");
	/* First loader command allocates etc/acpi/tables (traditional port) */
	fw_select(vm, loader_key);
	uint8_t cmd[128];
	for (int i = 0; i < 128; i++)
		cmd[i] = (uint8_t)pio_read(vm, 0x511, 1);
	tap_ok(rd(cmd, 4) == 1 && !strcmp((char *)cmd + 4, "etc/acpi/tables"), "loader command 1: ALLOCATE etc/acpi/tables");
	/* Reading past the end gives zeros */
	fw_select(vm, FW_CFG_SIGNATURE);
	for (int i = 0; i < 4; i++)
		pio_read(vm, 0x511, 1);
	tap_ok(pio_read(vm, 0x511, 1) == 0, "reads past the end of an item return 0");
	/* DMA write is refused: error bit */
	ctl = (FW_CFG_SIGNATURE << 16) | 0x08 | 0x10;
	for (int i = 0; i < 4; i++)
		req[i] = (uint8_t)(ctl >> (24 - 8 * i));
	phys_write(vm, 0x80000, req, sizeof(req));
	pio_write(vm, 0x514, 0, 4);
	pio_write(vm, 0x518, __builtin_bswap32(0x80000), 4);
	phys_read(vm, 0x80000, done, 4);
	tap_ok(done[3] & 1, "DMA write to a read-only item sets the error bit");
}

static void test_pm(struct vm *vm)
{
	vm->event = VM_EVENT_NONE;
	tap_ok(pio_read(vm, 0x604, 2) & 1, "PM1_CNT.SCI_EN reads as set");
	uint32_t t1 = pio_read(vm, 0x608, 4);
	tap_ok(t1 <= 0xffffff, "PM timer is 24 bits wide");
	pio_write(vm, 0x604, (1u << 10) | (1u << 13), 2); /* SLP_TYP 1 (S3): not supported */
	tap_ok(vm->event == VM_EVENT_NONE, "SLP_TYP 1 does not power off");
	pio_write(vm, 0x604, (0u << 10) | (1u << 13) | 1, 2);
	tap_ok(vm->event == VM_EVENT_GUEST_SHUTDOWN, "SLP_TYP 0 + SLP_EN requests a guest shutdown");
	vm->event = VM_EVENT_NONE;
	pio_write(vm, 0xcf9, 0x02, 1);
	tap_ok(vm->event == VM_EVENT_NONE, "0xcf9 without RST_CPU does nothing");
	pio_write(vm, 0xcf9, 0x06, 1);
	tap_ok(vm->event == VM_EVENT_GUEST_RESET, "0xcf9 = 0x06 requests a reset");
	vm->event = VM_EVENT_NONE;
	/* power button -> PWRBTN_STS, SCI on GSI 9 once enabled */
	vm->gsi[9] = (struct irq){ gsi_rec, NULL, 9 };
	pio_write(vm, 0x602, 0x0100, 2);
	piix_pm_power_button(x86_machine_of(vm)->pm);
	tap_ok((pio_read(vm, 0x600, 2) & 0x100) && gsi_level[9] == 1, "power button: PWRBTN_STS and SCI");
	pio_write(vm, 0x600, 0x100, 2);
	tap_ok(!(pio_read(vm, 0x600, 2) & 0x100) && gsi_level[9] == 0, "PWRBTN_STS is write-1-to-clear, SCI drops");
	/* GPE0 registers are byte-accessible */
	pio_write(vm, 0x60e, 0xff, 1);
	tap_ok(pio_read(vm, 0x60e, 1) == 0xff && pio_read(vm, 0x60f, 1) == 0, "GPE0_EN byte access");
	vm->gsi[9] = (struct irq){ 0 };
}

/* ---- boot ---- */

static void test_e820(void)
{
	struct e820_table t = { .n = 0 };
	e820_add(&t, 0, 0x10000000, E820_RAM);
	e820_add(&t, 0x9fc00, 0x400, E820_RESERVED);
	e820_add(&t, 0xa0000, 0x60000, E820_RESERVED);
	tap_ok(t.n == 3 && t.e[0].size == 0x9fc00 && t.e[1].addr == 0x9fc00 && t.e[1].size == 0x60400 &&
	       t.e[2].addr == 0x100000, "e820: holes split RAM, neighbours of one type merge");
	tap_ok(e820_ram_between(&t, 0, 0x100000000ull) == 0x10000000 - 0x60400, "e820: RAM total");
	uint8_t p[20 * 3];
	tap_ok(e820_pack(&t, p, 3) == 60 && rd(p + 20, 8) == 0x9fc00 && rd(p + 36, 4) == E820_RESERVED,
	       "e820: packed 20-byte entries");
}

static void test_direct_boot(struct vm *vm, const char *kernel)
{
	struct x86_machine *m = x86_machine_of(vm);
	uint8_t zp[4096];
	phys_read(vm, BOOT_ZERO_PAGE_ADDR, zp, sizeof(zp));
	FILE *f = fopen(kernel, "rb");
	uint8_t hdr[1024];
	size_t n = fread(hdr, 1, sizeof(hdr), f);
	tap_ok(n == sizeof(hdr) && rd(zp + 0x1fe, 2) == 0xaa55 && !memcmp(zp + 0x202, "HdrS", 4) &&
	       rd(zp + 0x206, 2) == rd(hdr + 0x206, 2), "zero page: setup header copied (protocol %x)",
	       (unsigned)rd(hdr + 0x206, 2));
	tap_ok(zp[0x210] == 0xff && (zp[0x211] & 0x80) && (zp[0x211] & 1), "type_of_loader 0xff, CAN_USE_HEAP, LOADED_HIGH");
	tap_ok(rd(zp + 0x1fa, 2) == 0xffff, "vid_mode normal");
	char cmdline[64] = { 0 };
	phys_read(vm, rd(zp + 0x228, 4), cmdline, sizeof(cmdline) - 1);
	tap_ok(!strcmp(cmdline, "console=ttyS0 lemu-test"), "cmd_line_ptr -> the -append string");
	uint32_t rd_addr = (uint32_t)rd(zp + 0x218, 4), rd_size = (uint32_t)rd(zp + 0x21c, 4);
	tap_ok(rd_addr && !(rd_addr & 0xfff) && rd_addr + rd_size <= m->below_4g &&
	       rd_addr + rd_size - 1 <= rd(hdr + 0x22c, 4) && rd_addr + rd_size > m->below_4g - 0x2000,
	       "initrd at 0x%x (%u bytes): page aligned, as high as possible below RAM end and initrd_addr_max",
	       rd_addr, rd_size);
	int ne = zp[0x1e8];
	int ok = ne == m->e820.n;
	for (int i = 0; i < ne && ok; i++)
		ok = rd(zp + 0x2d0 + 20 * i, 8) == m->e820.e[i].addr && rd(zp + 0x2d0 + 20 * i + 16, 4) == m->e820.e[i].type;
	tap_ok(ok && ne >= 4, "e820_table in the zero page (%d entries)", ne);
	tap_ok(rd(zp + 0x070, 8) == 0xe0000, "acpi_rsdp_addr = 0xe0000");
	tap_ok(zp[0x1ef] == 0, "sentinel 0");
	/* protected-mode kernel at 1 MiB */
	unsigned setup = (hdr[0x1f1] ? hdr[0x1f1] : 4) + 1;
	uint8_t a[512], b[512];
	fseek(f, (long)setup * 512, SEEK_SET);
	n = fread(a, 1, sizeof(a), f);
	fclose(f);
	phys_read(vm, 0x100000, b, sizeof(b));
	tap_ok(n == sizeof(a) && !memcmp(a, b, sizeof(a)), "protected-mode kernel loaded at 1 MiB");
	struct cpu *c = &vm->vcpus[0]->cpu;
	tap_ok(c->rip == 0x100000 && c->regs[R_RSI] == BOOT_ZERO_PAGE_ADDR && (c->cr0 & 1) && !(c->cr0 & 0x80000000u) &&
	       c->seg[SEG_CS].sel == 0x10 && c->seg[SEG_DS].sel == 0x18 && !(c->eflags & FL_IF) &&
	       (c->tb_flags & 0x2), "BSP: 32-bit entry at 1 MiB, ESI = zero page, CS 0x10, DS 0x18, paging off");
	/* reset reloads the zero page */
	uint8_t junk[16];
	memset(junk, 0xcc, sizeof(junk));
	phys_write(vm, BOOT_ZERO_PAGE_ADDR + 0x200, junk, sizeof(junk));
	c->rip = 0x1234;
	vm->reset_hook(vm);
	phys_read(vm, BOOT_ZERO_PAGE_ADDR, zp, sizeof(zp));
	tap_ok(!memcmp(zp + 0x202, "HdrS", 4) && c->rip == 0x100000, "reset hook reloads the zero page and entry state");
}

static void test_pvh(const char *vmlinux, const char *initrd)
{
	struct error *err = NULL;
	struct vm *vm = make_vm("pc", 256 << 20, 1, vmlinux, initrd, "console=ttyS0", &err);
	tap_ok(vm != NULL, "pc with the PVH vmlinux: %s", err ? err->msg : "ok");
	if (!vm) {
		error_free(err);
		return;
	}
	uint8_t si[64];
	phys_read(vm, BOOT_PVH_INFO_ADDR, si, sizeof(si));
	tap_ok(rd(si, 4) == 0x336ec578 && rd(si + 4, 4) == 1, "hvm_start_info magic, version 1");
	tap_ok(rd(si + 12, 4) == 1 && rd(si + 32, 8) == 0xe0000 && rd(si + 48, 4) >= 4,
	       "one module (initrd), rsdp_paddr, memory map entries");
	/* Oracle for the entry point: readelf's view of the notes */
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "readelf -nW '%s' | awk '/0x00000012/ {for (i = NF - 7; i <= NF; i++) printf \"%%s\", $i}'",
		 vmlinux);
	FILE *p = popen(cmd, "r");
	char hex[64] = { 0 };
	if (p) {
		if (!fgets(hex, sizeof(hex), p))
			hex[0] = 0;
		pclose(p);
	}
	uint32_t entry = 0;
	for (int i = 0; i < 4 && hex[0]; i++) {
		unsigned byte;
		sscanf(hex + 2 * i, "%2x", &byte);
		entry |= byte << (8 * i);
	}
	struct cpu *c = &vm->vcpus[0]->cpu;
	tap_ok(entry && c->rip == entry && c->regs[R_RBX] == BOOT_PVH_INFO_ADDR,
	       "BSP at XEN_ELFNOTE_PHYS32_ENTRY 0x%x (readelf), EBX = start_info", entry);
	vm_free(vm);
}

static void test_multiboot(void)
{
	/* a.out kludge image loaded at 1 MiB: header at offset 0 */
	uint8_t img[8192];
	memset(img, 0x90, sizeof(img));
	uint32_t flags = 0x10002;
	wr(img, 0x1badb002, 4);
	wr(img + 4, flags, 4);
	wr(img + 8, (uint32_t)-(0x1badb002u + flags), 4);
	wr(img + 12, 0x100000, 4);        /* header_addr */
	wr(img + 16, 0x100000, 4);        /* load_addr */
	wr(img + 20, 0x100000 + 8192, 4); /* load_end_addr */
	wr(img + 24, 0x100000 + 16384, 4); /* bss_end_addr */
	wr(img + 28, 0x100040, 4);        /* entry */
	const char *k = write_tmp("mb.bin", img, sizeof(img));
	const char *mod = write_tmp("mod.bin", "module-data", 11);
	char mods[400];
	snprintf(mods, sizeof(mods), "%s arg1 arg2", mod);
	struct error *err = NULL;
	struct vm *vm = make_vm("pc", 64 << 20, 1, k, mods, "quiet", &err);
	tap_ok(vm != NULL, "multiboot a.out-kludge kernel: %s", err ? err->msg : "ok");
	if (!vm) {
		error_free(err);
		return;
	}
	struct cpu *c = &vm->vcpus[0]->cpu;
	tap_ok(c->rip == 0x100040 && (uint32_t)c->regs[R_RAX] == 0x2badb002 && c->regs[R_RBX] == BOOT_MBI_ADDR,
	       "EAX = 0x2BADB002, EBX = mbi, EIP = entry_addr");
	uint8_t mbi[88];
	phys_read(vm, BOOT_MBI_ADDR, mbi, sizeof(mbi));
	uint32_t f = (uint32_t)rd(mbi, 4);
	tap_ok((f & 0x4f) == 0x4d && rd(mbi + 4, 4) == 640 && rd(mbi + 8, 4) == (64u << 10) - 1024,
	       "mbi flags (mem, cmdline, mods, mmap), mem_lower 640, mem_upper %u", (unsigned)rd(mbi + 8, 4));
	char s[256] = { 0 };
	phys_read(vm, rd(mbi + 16, 4), s, sizeof(s) - 1);
	char want[700];
	snprintf(want, sizeof(want), "%s quiet", k);
	tap_ok(!strcmp(s, want), "cmdline is \"kernel append\"");
	uint8_t me[16];
	phys_read(vm, rd(mbi + 24, 4), me, sizeof(me));
	char data[12] = { 0 };
	phys_read(vm, rd(me, 4), data, 11);
	memset(s, 0, sizeof(s));
	phys_read(vm, rd(me + 8, 4), s, sizeof(s) - 1);
	tap_ok(rd(mbi + 20, 4) == 1 && rd(me + 4, 4) - rd(me, 4) == 11 && !strcmp(data, "module-data") &&
	       rd(me, 4) >= 0x100000 + 16384 && !(rd(me, 4) & 0xfff) && !strcmp(s, mods),
	       "module after the bss, page aligned, with its command line");
	uint8_t bss[4];
	phys_read(vm, 0x100000 + 12000, bss, 4);
	tap_ok(rd(bss, 4) == 0, "bss zeroed");
	vm_free(vm);
}

static void test_errors(void)
{
	struct error *err = NULL;
	int rr;
	struct vm *vm = make_vm("pc", 64 << 20, 1, "/nonexistent/kernel", NULL, NULL, &err);
	tap_ok(!vm && err && strstr(err->msg, "/nonexistent/kernel") && strstr(err->msg, "No such file"),
	       "missing kernel: %s", err ? err->msg : "");
	error_free(err);
	err = NULL;
	const char *junk = write_tmp("junk", "this is not a kernel at all", 27);
	vm = make_vm("pc", 64 << 20, 1, junk, NULL, NULL, &err);
	tap_ok(!vm && err && strstr(err->msg, "not a Linux bzImage"), "garbage kernel: %s", err ? err->msg : "");
	error_free(err);
	err = NULL;
	vm = make_vm("pc", 64 << 20, 1, make_bzimage(0x202, 4096), NULL, NULL, &err);
	tap_ok(!vm && err && strstr(err->msg, "too old"), "old boot protocol: %s", err ? err->msg : "");
	error_free(err);
	err = NULL;
	char *longcmd = malloc(3000);
	memset(longcmd, 'a', 2999);
	longcmd[2999] = 0;
	vm = make_vm("pc", 64 << 20, 1, make_bzimage(0x20f, 4096), NULL, longcmd, &err);
	tap_ok(!vm && err && strstr(err->msg, "-append"), "command line too long: %s", err ? err->msg : "");
	free(longcmd);
	error_free(err);
	err = NULL;
	vm = make_vm("pc", 8 << 20, 1, make_bzimage(0x20f, 16 << 20), NULL, NULL, &err);
	tap_ok(!vm && err && strstr(err->msg, "fit in guest memory"), "kernel larger than RAM: %s", err ? err->msg : "");
	error_free(err);
	err = NULL;
	const char *odd = write_tmp("odd.rom", "xx", 2);
	struct vm_config cfg = { .machine = "pc", .ram_size = 64 << 20, .smp = 1, .bios = odd };
	vm = vm_new(&cfg, &err);
	rr = vm ? machine_find("pc")->init(vm, &err) : 0;
	tap_ok(vm && rr < 0 && err && strstr(err->msg, "64 KiB"),
	       "bad -bios size: %s", err ? err->msg : "");
	error_free(err);
	vm_free(vm);
}

static void test_bios(void)
{
	size_t len = 128 << 10;
	uint8_t *rom = malloc(len);
	for (size_t i = 0; i < len; i++)
		rom[i] = (uint8_t)(i ^ (i >> 8));
	const char *path = write_tmp("bios.bin", rom, len);
	struct error *err = NULL;
	struct vm_config cfg = { .machine = "pc", .ram_size = 64 << 20, .smp = 1, .bios = path };
	struct vm *vm = vm_new(&cfg, &err);
	int ok = vm && machine_find("pc")->init(vm, &err) == 0;
	tap_ok(ok, "pc with -bios: %s", err ? err->msg : "ok");
	if (ok) {
		uint8_t top[16], low[16];
		phys_read(vm, 0xfffffff0ull, top, 16);
		phys_read(vm, 0xffff0, low, 16);
		tap_ok(!memcmp(top, rom + len - 16, 16) && !memcmp(low, rom + len - 16, 16),
		       "reset vector page at 4 GiB - 16 and its copy at 0xffff0");
		struct cpu *c = &vm->vcpus[0]->cpu;
		tap_ok(!(c->cr0 & 1) && c->seg[SEG_CS].sel == 0xf000 && c->rip == 0xfff0, "BSP starts at the reset vector");
	}
	error_free(err);
	vm_free(vm);
	free(rom);
}

static void test_microvm(const char *kernel)
{
	struct error *err = NULL;
	struct vm *vm = make_vm("microvm", 128 << 20, 2, kernel, NULL, "console=ttyS0", &err);
	tap_ok(vm != NULL, "microvm: %s", err ? err->msg : "ok");
	if (!vm) {
		error_free(err);
		return;
	}
	tap_ok(pci_cfg_read(vm, 0, 0, 4) == 0xffffffffu, "microvm has no PCI");
	struct acpi_view v;
	tap_ok(load_acpi(vm, 0xe0000, &v) == 0, "microvm ACPI tables");
	uint8_t *fadt = find_table(&v, "FACP");
	int bad = 0;
	for (int i = 0; i < v.n; i++)
		bad += sum(v.tab[i], (uint32_t)rd(v.tab[i] + 4, 4)) != 0;
	tap_ok(!bad && fadt && !(rd(fadt + 112, 4) & (1u << 20)) && rd(fadt + 56, 4) == 0x600 &&
	       rd(fadt + 120, 8) == 0xcf9, "FADT with the PM block at 0x600 and reset at 0xcf9, valid checksums");
	uint8_t typ = 0xff;
	tap_ok(v.dsdt && find_s5(v.dsdt, (uint32_t)rd(v.dsdt + 4, 4), &typ) == 0 && typ == 0, "\\_S5 SLP_TYP 0");
	tap_ok(v.dsdt && !memmem(v.dsdt, rd(v.dsdt + 4, 4), "\x41\xd0\x0a\x03", 4), "no PCI root bridge in the DSDT");
	if (v.dsdt) {
		int r = iasl_check(v.dsdt, "mdsdt.dat", "PNP0B00");
		if (r != 1)
			tap_ok(r == 0, "iasl -d decompiles the microvm DSDT");
	}
	free_acpi(&v);
	vm->event = VM_EVENT_NONE;
	uint32_t t = pio_read(vm, 0x608, 4);
	tap_ok(t <= 0xffffff && (pio_read(vm, 0x604, 2) & 1), "PM timer and SCI_EN");
	pio_write(vm, 0x604, (1u << 13) | 1, 2);
	tap_ok(vm->event == VM_EVENT_GUEST_SHUTDOWN, "PM1_CNT SLP_TYP 0 | SLP_EN powers off");
	vm->event = VM_EVENT_NONE;
	pio_write(vm, 0xcf9, 0x06, 1);
	tap_ok(vm->event == VM_EVENT_GUEST_RESET, "reset register 0xcf9");
	vm_free(vm);
}


/* A small ELF64 with one PT_LOAD at 1 MiB and a PT_NOTE carrying
 * XEN_ELFNOTE_PHYS32_ENTRY. */
static size_t make_pvh_elf(uint8_t *img, size_t cap)
{
	memset(img, 0, cap);
	memcpy(img, "\177ELF", 4);
	img[4] = 2, img[5] = 1, img[6] = 1;
	wr(img + 16, 2, 2);     /* ET_EXEC */
	wr(img + 18, 62, 2);    /* EM_X86_64 */
	wr(img + 24, 0x100000, 8);
	wr(img + 32, 64, 8);    /* phoff */
	wr(img + 54, 56, 2);    /* phentsize */
	wr(img + 56, 2, 2);     /* phnum */
	uint8_t *ph = img + 64;
	wr(ph, 1, 4);           /* PT_LOAD */
	wr(ph + 8, 0x200, 8);   /* offset */
	wr(ph + 16, 0x100000, 8);
	wr(ph + 24, 0x100000, 8);
	wr(ph + 32, 0x100, 8);  /* filesz */
	wr(ph + 40, 0x2000, 8); /* memsz */
	ph += 56;
	wr(ph, 4, 4);           /* PT_NOTE */
	wr(ph + 8, 0x180, 8);
	wr(ph + 32, 20, 8);
	uint8_t *n = img + 0x180;
	wr(n, 4, 4), wr(n + 4, 4, 4), wr(n + 8, 18, 4);
	memcpy(n + 12, "Xen", 4);
	wr(n + 16, 0x100010, 4);
	for (int i = 0; i < 0x100; i++)
		img[0x200 + i] = 0x90;
	return 0x300;
}

/* Corrupted images must give an error or a machine, never a crash. */
static void test_hostile_images(void)
{
	uint8_t base[0x1800], img[0x1800];
	size_t len = make_pvh_elf(base, sizeof(base));
	struct error *err = NULL;
	struct vm *vm = make_vm("pc", 32 << 20, 1, write_tmp("pvh.elf", base, len), NULL, NULL, &err);
	tap_ok(vm && vm->vcpus[0]->cpu.rip == 0x100010, "synthetic PVH ELF enters at its note's address");
	vm_free(vm);
	error_free(err);
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	int made = 0, refused = 0;
	for (int round = 0; round < 300; round++) {
		size_t l;
		if (round % 3 == 0) {
			l = make_pvh_elf(img, sizeof(img));
		} else {
			FILE *f = fopen(make_bzimage(0x20f, 0x800), "rb");
			l = fread(img, 1, sizeof(img), f);
			fclose(f);
			if (round % 3 == 2) { /* multiboot header in front, ELF32 or a.out */
				memset(img, 0, 64);
				wr(img, 0x1badb002, 4);
				uint32_t fl = (round & 4) ? 0x10000 : 0;
				wr(img + 4, fl, 4);
				wr(img + 8, (uint32_t)-(0x1badb002u + fl), 4);
			}
		}
		for (int k = 0; k < 6; k++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			size_t off = (size_t)(seed >> 33) % (l < 0x280 ? l : 0x280);
			img[off] = (uint8_t)(seed >> 17);
			if (k == 0 && round % 3 == 2)
				off = 12 + (seed >> 40) % 20, img[off] = (uint8_t)(seed >> 50);
		}
		err = NULL;
		vm = make_vm("pc", 32 << 20, 1, write_tmp("fuzz.img", img, l), NULL, "x", &err);
		if (vm)
			made++;
		else if (err && err->msg[0])
			refused++;
		vm_free(vm);
		error_free(err);
	}
	tap_ok(made + refused == 300, "300 corrupted kernels: %d loaded, %d refused with a message, no crash", made,
	       refused);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_e820();
	tap_ok(machine_find(NULL) && !strcmp(machine_find(NULL)->name, "pc-i440fx-7.2") &&
	       machine_find("pc") == machine_find(NULL) && machine_find("microvm") && !machine_find("q35"),
	       "machine table: pc alias, default, microvm");

	/* The pc machine with the synthetic bzImage */
	const char *bz = make_bzimage(0x20f, 64 << 10);
	const char *initrd = write_tmp("initrd", "0707070707", 10);
	struct error *err = NULL;
	struct vm *vm = make_vm("pc", 256 << 20, 2, bz, initrd, "console=ttyS0 lemu-test", &err);
	tap_ok(vm != NULL, "pc machine with a bzImage: %s", err ? err->msg : "ok");
	if (vm) {
		test_acpi_pc(vm);
		test_pci(vm);
		test_fw_cfg(vm);
		test_pm(vm);
		test_direct_boot(vm, bz);
		vm_free(vm);
	}
	error_free(err);
	err = NULL;

	/* RAM above 4 GiB: split at 3 GiB (QEMU's gigabyte alignment) */
	vm = make_vm("pc", 4ull << 30, 1, bz, NULL, NULL, &err);
	if (vm) {
		struct x86_machine *m = x86_machine_of(vm);
		tap_ok(m->below_4g == 3ull << 30 && m->above_4g == 1ull << 30, "4 GiB: 3 GiB below, 1 GiB above 4 GiB");
		struct mem_region *r = mem_find(vm, 0x100000000ull + 4096);
		tap_ok(r && r->kind == MEM_RAM && r->host == vm->ram + (3ull << 30), "high RAM mapped at 4 GiB");
		vm_free(vm);
	} else {
		tap_ok(1, "# SKIP cannot reserve 4 GiB of address space: %s", err ? err->msg : "");
		error_free(err);
		err = NULL;
	}

	test_multiboot();
	test_bios();
	test_errors();
	test_microvm(bz);
	test_hostile_images();

	/* The real Debian kernel, if prepared */
	const char *gd = getenv("LEMU_GUEST_DIR");
	char kpath[512], vpath[512], ipath[512];
	snprintf(kpath, sizeof(kpath), "%s/vmlinuz", gd ? gd : LEMU_SOURCE_ROOT "/.cache/guest");
	snprintf(vpath, sizeof(vpath), "%s/vmlinux", gd ? gd : LEMU_SOURCE_ROOT "/.cache/guest");
	snprintf(ipath, sizeof(ipath), "%s/initrd.gz", gd ? gd : LEMU_SOURCE_ROOT "/.cache/guest");
	if (access(kpath, R_OK) == 0 && access(ipath, R_OK) == 0) {
		vm = make_vm("pc", 512 << 20, 1, kpath, ipath, "console=ttyS0 lemu-test", &err);
		tap_ok(vm != NULL, "pc with the Debian bzImage: %s", err ? err->msg : "ok");
		if (vm) {
			test_direct_boot(vm, kpath);
			vm_free(vm);
		}
		error_free(err);
		err = NULL;
	} else {
		tap_ok(1, "# SKIP no Debian kernel in .cache/guest (run scripts/prepare-guest.sh)");
	}
	if (access(vpath, R_OK) == 0 && access(ipath, R_OK) == 0)
		test_pvh(vpath, ipath);
	else
		tap_ok(1, "# SKIP no PVH vmlinux in .cache/guest");

	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (getenv("LEMU_TEST_KEEP"))
		fprintf(stderr, "# kept %s\n", tmpdir);
	else if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return tap_done();
}
