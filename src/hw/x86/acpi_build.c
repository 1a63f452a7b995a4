/*
 * The ACPI tables of lemu's x86 machines (ACPI 6.4 §5.2): RSDP, RSDT and
 * XSDT, FADT (revision 6) with FACS, DSDT, MADT and HPET.
 *
 * pc: PIIX4 PM registers at PIIX_PM_BASE (PM1a event/control, PM timer,
 * GPE0), SCI on IRQ 9, reset register 0xcf9 = 0x06, \_S5 with SLP_TYP 0
 * (the PIIX4's "soft off" encoding), the PCI root bridge PNP0A03 with its
 * windows in _CRS and a _PRT routing INTA-D of every slot through link
 * devices GSIA-GSIH to IOAPIC inputs 16-23 (level, active high), the ISA
 * devices (RTC, keyboard, mouse, COM ports) and the HPET.
 *
 * microvm: the same fixed hardware (its PM block and reset register are in
 * microvm.c) and a DSDT with the ISA devices directly under \_SB, no PCI.
 * (Not hardware-reduced ACPI: Linux then assumes there is no PIT, PIC or
 * HPET and cannot calibrate the TSC on a CPU without a TSC leaf.)
 */
#include <stdio.h>
#include <string.h>

#include "core/vm.h"
#include "hw/pci/pci.h"
#include "hw/x86/acpi.h"
#include "hw/x86/acpi_hotplug.h"
#include "hw/x86/x86.h"

static void le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* §5.2.3.2 Generic Address Structure (12 bytes). */
static void gas(uint8_t *p, uint8_t space, uint8_t bits, uint8_t access, uint64_t addr)
{
	p[0] = space;
	p[1] = bits;
	p[2] = 0;
	p[3] = access;
	le(p + 4, addr, 8);
}
#define GAS_MEM 0
#define GAS_IO 1

static void isa_device(struct aml *scope, const char *name, const char *hid, int uid, struct aml_res *r)
{
	struct aml dev = AML_INIT, v = AML_INIT;
	aml_namestring(&dev, name);
	aml_eisaid(&v, hid);
	aml_name(&dev, "_HID", &v);
	if (uid >= 0)
		aml_name_int(&dev, "_UID", (uint64_t)uid);
	aml_name_int(&dev, "_STA", 0x0f);
	aml_res_template(&v, r);
	aml_name(&dev, "_CRS", &v);
	aml_pkg(scope, AML_DEVICE, &dev);
}

static void com_port(struct aml *scope, int n, uint16_t base, unsigned irq)
{
	char name[16]; /* an ACPI NameSeg: "COM1".."COM4" */
	struct aml_res r = { .n = 0 };
	snprintf(name, sizeof(name), "COM%d", (n & 3) + 1);
	res_io(&r, base, base, 0, 8);
	res_irq_noflags(&r, irq);
	isa_device(scope, name, "PNP0501", n + 1, &r);
}

static void build_isa(struct x86_machine *m, struct aml *scope)
{
	static const uint16_t com_base[4] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
	static const uint8_t com_irq[4] = { 4, 3, 4, 3 };
	struct aml_res r = { .n = 0 };
	res_io(&r, 0x70, 0x70, 1, 8);
	res_irq_noflags(&r, 8);
	isa_device(scope, "RTC", "PNP0B00", -1, &r);
	r = (struct aml_res){ .n = 0 };
	res_io(&r, 0x60, 0x60, 1, 1);
	res_io(&r, 0x64, 0x64, 1, 1);
	res_irq_noflags(&r, 1);
	isa_device(scope, "KBD", "PNP0303", -1, &r);
	r = (struct aml_res){ .n = 0 };
	res_irq_noflags(&r, 12);
	isa_device(scope, "MOU", "PNP0F13", -1, &r);
	for (int i = 0; i < 4; i++)
		if (i == 0 || m->vm->serial[i])
			com_port(scope, i, com_base[i], com_irq[i]);
}

/* Link devices GSIA..GSIH: fixed IOAPIC inputs 16..23 (pci.h swizzle). */
static void build_pci_links(struct aml *sb)
{
	for (int i = 0; i < PCI_INTX_GSIS; i++) {
		char name[5] = { 'G', 'S', 'I', (char)('A' + i), 0 };
		struct aml dev = AML_INIT, v = AML_INIT, body = AML_INIT;
		struct aml_res r = { .n = 0 };
		aml_namestring(&dev, name);
		aml_eisaid(&v, "PNP0C0F");
		aml_name(&dev, "_HID", &v);
		aml_name_int(&dev, "_UID", (uint64_t)i);
		res_interrupt(&r, PCI_INTX_GSI_BASE + i, true, false, true);
		aml_res_template(&v, &r);
		aml_name(&dev, "_PRS", &v);
		aml_res_template(&v, &r);
		aml_name(&dev, "_CRS", &v);
		aml_method(&dev, "_SRS", 1, &body); /* the routing is fixed: nothing to set */
		aml_pkg(sb, AML_DEVICE, &dev);
	}
}

static void build_pci0(struct x86_machine *m, struct aml *sb)
{
	struct aml dev = AML_INIT, v = AML_INIT, prt = AML_INIT, isa = AML_INIT;
	struct aml_res r = { .n = 0 };
	aml_namestring(&dev, "PCI0");
	aml_eisaid(&v, "PNP0A03");
	aml_name(&dev, "_HID", &v); /* and no _ADR: §6.1 allows one of the two */
	aml_name_int(&dev, "_UID", 0);
	/* Windows (PCI Firmware Spec 3.2 §4.1.1 / ACPI §6.4.3.5): bus 0, the
	 * config ports, all other I/O, legacy VGA, the 32-bit hole from the
	 * end of low RAM to the IOAPIC and a 64-bit window above high RAM. */
	res_word_bus(&r, 0, 0xff);
	res_io(&r, 0xcf8, 0xcf8, 1, 8);
	res_word_io(&r, 0x0000, 0x0cf7);
	res_word_io(&r, 0x0d00, 0xffff);
	res_dword_mem(&r, 0x000a0000, 0x000bffff, true);
	res_dword_mem(&r, (uint32_t)m->below_4g, 0xfebfffff, false);
	uint64_t hi = 0x100000000ull + m->above_4g;
	hi = (hi + (1ull << 30) - 1) & ~((1ull << 30) - 1);
	res_qword_mem(&r, hi, hi + (1ull << 35) - 1, false);
	aml_res_template(&v, &r);
	aml_name(&dev, "_CRS", &v);
	/* _PRT (§6.2.13): {Address 0xSSSSFFFF, Pin, Source, Source Index} */
	for (int slot = 0; slot < PCI_SLOTS; slot++)
		for (int pin = 0; pin < 4; pin++) {
			struct aml e = AML_INIT;
			char link[5] = { 'G', 'S', 'I',
					 (char)('A' + pci_slot_gsi(slot, pin) - PCI_INTX_GSI_BASE), 0 };
			aml_integer(&e, ((uint64_t)slot << 16) | 0xffff);
			aml_integer(&e, (uint64_t)pin);
			aml_namestring(&e, link);
			aml_integer(&e, 0);
			aml_package(&prt, 4, &e);
		}
	struct aml prt_pkg = AML_INIT;
	/* VarPackage is not needed: 128 entries fit a Package's byte count. */
	aml_package(&prt_pkg, PCI_SLOTS * 4, &prt);
	aml_name(&dev, "_PRT", &prt_pkg);
	/* The PIIX3 ISA bridge (00:01.0) and its devices. */
	aml_namestring(&isa, "ISA");
	aml_name_int(&isa, "_ADR", 0x00010000);
	build_isa(m, &isa);
	aml_pkg(&dev, AML_DEVICE, &isa);
	/* ACPI PCI hot-plug: registers, slot objects (acpi_hotplug.c). */
	if (m->pm)
		acpi_pcihp_build_pci0(&dev);
	aml_pkg(sb, AML_DEVICE, &dev);
}

static void build_dsdt_body(struct x86_machine *m, struct aml *d)
{
	struct aml sb = AML_INIT, hpet = AML_INIT, v = AML_INIT, s5 = AML_INIT;
	struct aml_res r = { .n = 0 };
	aml_namestring(&sb, "\\_SB");
	if (m->pci) {
		build_pci0(m, &sb);
		build_pci_links(&sb);
	} else {
		build_isa(m, &sb);
	}
	aml_namestring(&hpet, "HPET");
	aml_eisaid(&v, "PNP0103");
	aml_name(&hpet, "_HID", &v);
	aml_name_int(&hpet, "_UID", 0);
	aml_name_int(&hpet, "_STA", 0x0f);
	res_mem32_fixed(&r, X86_HPET_BASE, 0x400, false);
	aml_res_template(&v, &r);
	aml_name(&hpet, "_CRS", &v);
	aml_pkg(&sb, AML_DEVICE, &hpet);
	aml_pkg(d, AML_SCOPE, &sb);
	if (m->pci && m->pm)
		acpi_pcihp_build_gpe(d);
	/* \_S5 (§7.4.2): {PM1a SLP_TYP, PM1b SLP_TYP, reserved, reserved} */
	for (int i = 0; i < 4; i++)
		aml_integer(&s5, 0);
	aml_package(&v, 4, &s5);
	aml_name(d, "\\_S5", &v);
}

/* §5.2.12 MADT */
static long build_madt(struct x86_machine *m, struct acpi_tables *t)
{
	struct vm *vm = m->vm;
	int ncpu = vm->ncpus > 0 ? vm->ncpus : (vm->cfg.smp > 0 ? vm->cfg.smp : 1);
	uint32_t len = 44 + 8 * (uint32_t)ncpu + 12 + 10 * 2 + 6;
	long off = acpi_table_alloc(t, len, 16);
	if (off < 0)
		return -1;
	uint8_t *p = t->buf + off;
	le(p + 36, X86_LAPIC_BASE, 4);
	le(p + 40, 1, 4); /* PCAT_COMPAT: dual 8259s present */
	uint8_t *e = p + 44;
	for (int i = 0; i < ncpu; i++, e += 8) {
		uint32_t id = (i < vm->ncpus && vm->vcpus[i]) ? vm->vcpus[i]->apic_id : (uint32_t)i;
		e[0] = 0; /* Processor Local APIC */
		e[1] = 8;
		e[2] = (uint8_t)i;
		e[3] = (uint8_t)id;
		le(e + 4, 1, 4); /* enabled */
	}
	e[0] = 1; /* I/O APIC */
	e[1] = 12;
	e[2] = 0; /* IOAPIC id: after nothing; Linux reads it from the chip */
	le(e + 4, X86_IOAPIC_BASE, 4);
	le(e + 8, 0, 4);
	e += 12;
	/* Interrupt Source Overrides: ISA IRQ0 (PIT) is on GSI 2; the SCI is
	 * level triggered, active high (flags: polarity bits 0-1 = 01,
	 * trigger bits 2-3 = 11). */
	e[0] = 2, e[1] = 10, e[2] = 0, e[3] = 0;
	le(e + 4, 2, 4);
	le(e + 8, 0, 2);
	e += 10;
	e[0] = 2, e[1] = 10, e[2] = 0, e[3] = ACPI_SCI_IRQ;
	le(e + 4, ACPI_SCI_IRQ, 4);
	le(e + 8, 0x000d, 2);
	e += 10;
	/* Local APIC NMI: all processors (0xff), LINT1, default flags */
	e[0] = 4, e[1] = 6, e[2] = 0xff;
	le(e + 3, 0, 2);
	e[5] = 1;
	acpi_table_header(t, (uint32_t)off, "APIC", len, 5);
	return off;
}

/* IA-PC HPET specification 1.0a §3.2.4 */
static long build_hpet(struct acpi_tables *t)
{
	long off = acpi_table_alloc(t, 56, 16);
	if (off < 0)
		return -1;
	uint8_t *p = t->buf + off;
	/* Event Timer Block ID: vendor 8086, legacy-capable, 64-bit, 3 timers, rev 1 */
	le(p + 36, 0x8086a201u, 4);
	gas(p + 40, GAS_MEM, 0, 0, X86_HPET_BASE);
	p[52] = 0;       /* HPET number */
	le(p + 53, 0x80, 2); /* minimum tick in periodic mode */
	p[55] = 0;
	acpi_table_header(t, (uint32_t)off, "HPET", 56, 1);
	return off;
}

/* §5.2.9 FADT, revision 6 (276 bytes) */
#define FADT_LEN 276
static long build_fadt(struct x86_machine *m, struct acpi_tables *t, long facs, long dsdt)
{
	long off = acpi_table_alloc(t, FADT_LEN, 16);
	if (off < 0)
		return -1;
	uint8_t *p = t->buf + off;
	uint32_t flags;
	/* §5.2.9: FIRMWARE_CTRL and X_FIRMWARE_CTRL must not both be set. */
	if (facs >= 0)
		acpi_add_ptr(t, 1, (uint32_t)off + 36, 4, (uint32_t)facs);
	acpi_add_ptr(t, 1, (uint32_t)off + 40, 4, (uint32_t)dsdt);
	acpi_add_ptr(t, 1, (uint32_t)off + 140, 8, (uint32_t)dsdt);
	{
		uint32_t pm = PIIX_PM_BASE;
		le(p + 46, ACPI_SCI_IRQ, 2);
		le(p + 48, 0, 4); /* SMI_CMD 0: always in ACPI mode (no SMM) */
		le(p + 56, pm, 4);        /* PM1a_EVT_BLK */
		le(p + 64, pm + 4, 4);    /* PM1a_CNT_BLK */
		le(p + 76, pm + 8, 4);    /* PM_TMR_BLK */
		le(p + 80, pm + 0x0c, 4); /* GPE0_BLK */
		p[88] = 4;
		p[89] = 2;
		p[91] = 4;
		p[92] = 4;
		le(p + 96, 0x0fff, 2); /* C2 not supported */
		le(p + 98, 0x0fff, 2); /* C3 not supported */
		p[108] = 0x32;         /* RTC CMOS century register */
		le(p + 109, 0x0003, 2); /* IAPC_BOOT_ARCH: LEGACY_DEVICES, 8042 */
		/* WBINVD, PROC_C1, SLP_BUTTON (none), RESET_REG_SUP */
		flags = 1u << 0 | 1u << 2 | 1u << 5 | 1u << 10;
		gas(p + 116, GAS_IO, 8, 1, PC_RESET_PORT);
		p[128] = PC_RESET_VALUE;
		gas(p + 148, GAS_IO, 32, 0, pm);
		gas(p + 172, GAS_IO, 16, 0, pm + 4);
		gas(p + 208, GAS_IO, 32, 0, pm + 8);
		gas(p + 220, GAS_IO, 32, 0, pm + 0x0c);
	}
	le(p + 112, flags, 4);
	p[131] = 4; /* FADT minor version: ACPI 6.4 */
	memcpy(p + 268, "LEMU    ", 8); /* hypervisor vendor identity */
	acpi_table_header(t, (uint32_t)off, "FACP", FADT_LEN, 6);
	return off;
}

int acpi_build(struct x86_machine *m, struct acpi_tables *t)
{
	long facs = -1, tables[8];
	int ntables = 0;

	/* FACS (§5.2.10): 64 bytes, 64-byte aligned, no checksum. */
	facs = acpi_table_alloc(t, 64, 64);
	if (facs < 0)
		return -1;
	memcpy(t->buf + facs, "FACS", 4);
	le(t->buf + facs + 4, 64, 4);
	t->buf[facs + 32] = 2; /* version */
	/* DSDT */
	struct aml body = AML_INIT;
	build_dsdt_body(m, &body);
	if (body.oom) {
		aml_free(&body);
		return -1;
	}
	long dsdt = acpi_table_alloc(t, ACPI_HDR_LEN + body.len, 16);
	if (dsdt < 0) {
		aml_free(&body);
		return -1;
	}
	memcpy(t->buf + dsdt + ACPI_HDR_LEN, body.buf, body.len);
	/* Revision 2: 64-bit integers (the QWord window in _CRS). */
	acpi_table_header(t, (uint32_t)dsdt, "DSDT", (uint32_t)(ACPI_HDR_LEN + body.len), 2);
	aml_free(&body);

	tables[ntables++] = build_fadt(m, t, facs, dsdt);
	tables[ntables++] = build_madt(m, t);
	tables[ntables++] = build_hpet(t);
	for (int i = 0; i < ntables; i++)
		if (tables[i] < 0)
			return -1;

	/* RSDT (§5.2.7) and XSDT (§5.2.8) */
	uint32_t rlen = ACPI_HDR_LEN + 4 * (uint32_t)ntables, xlen = ACPI_HDR_LEN + 8 * (uint32_t)ntables;
	long rsdt = acpi_table_alloc(t, rlen, 16), xsdt = acpi_table_alloc(t, xlen, 16);
	if (rsdt < 0 || xsdt < 0)
		return -1;
	for (int i = 0; i < ntables; i++) {
		acpi_add_ptr(t, 1, (uint32_t)rsdt + ACPI_HDR_LEN + 4 * i, 4, (uint32_t)tables[i]);
		acpi_add_ptr(t, 1, (uint32_t)xsdt + ACPI_HDR_LEN + 8 * i, 8, (uint32_t)tables[i]);
	}
	acpi_table_header(t, (uint32_t)rsdt, "RSDT", rlen, 1);
	acpi_table_header(t, (uint32_t)xsdt, "XSDT", xlen, 1);

	/* RSDP (§5.2.5.3), revision 2: checksum of the first 20 bytes, then
	 * the extended checksum of all 36. */
	memset(t->rsdp, 0, sizeof(t->rsdp));
	memcpy(t->rsdp, "RSD PTR ", 8);
	memcpy(t->rsdp + 9, "LEMU  ", 6);
	t->rsdp[15] = 2;
	le(t->rsdp + 20, 36, 4);
	acpi_add_ptr(t, 0, 16, 4, (uint32_t)rsdt);
	acpi_add_ptr(t, 0, 24, 8, (uint32_t)xsdt);
	t->cks[t->ncks++] = (struct acpi_cksum){ 0, 0, 20, 8 };
	t->cks[t->ncks++] = (struct acpi_cksum){ 0, 0, 36, 32 };
	return t->oom ? -1 : 0;
}
