/*
 * ACPI table building: a small AML byte-code builder (ACPI 6.4 §20 "ACPI
 * Machine Language Specification"), resource descriptors (§6.4), and a
 * table set with pointer and checksum fix-ups that can be placed either at
 * a fixed guest address (direct kernel boot) or handed to firmware through
 * fw_cfg with QEMU's table-loader commands (etc/table-loader).
 */
#ifndef LEMU_HW_X86_ACPI_H
#define LEMU_HW_X86_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- AML ---- */
struct aml {
	uint8_t *buf;
	size_t len, cap;
	bool oom;
};
#define AML_INIT { NULL, 0, 0, false }

/* Opcodes (§20.2); values above 0xff are ExtOpPrefix (0x5b) opcodes. */
#define AML_SCOPE 0x10
#define AML_BUFFER 0x11
#define AML_PACKAGE 0x12
#define AML_METHOD 0x14
#define AML_DEVICE 0x5b82

void aml_free(struct aml *a);
void aml_byte(struct aml *a, uint8_t b);
void aml_bytes(struct aml *a, const void *p, size_t n);
/* Append child's bytes (then frees child). */
void aml_append(struct aml *a, struct aml *child);
/* NameString: "\\_SB.PCI0", "^FOO", "_HID"; segments padded with '_'. */
void aml_namestring(struct aml *a, const char *path);
/* Integer constant with the shortest encoding (Zero/One/Byte..QWord). */
void aml_integer(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
/* EisaId("PNP0A03") as its 32-bit compressed form. */
void aml_eisaid(struct aml *a, const char *id);
/* Name(name, <value>): value is an already-encoded data object. */
void aml_name(struct aml *a, const char *name, struct aml *value);
void aml_name_int(struct aml *a, const char *name, uint64_t v);
/* op PkgLength body (body begins with the NameString where the op has
 * one): Scope, Device, Method ... */
void aml_pkg(struct aml *a, uint16_t op, struct aml *body);
/* Package(n){ elements } where body holds n encoded elements. */
void aml_package(struct aml *a, unsigned n, struct aml *elements);
/* Buffer(){ bytes } */
void aml_buffer(struct aml *a, const void *bytes, size_t n);
/* Method(name, nargs, NotSerialized) { body } (body may be empty). */
void aml_method(struct aml *a, const char *name, unsigned nargs, struct aml *body);
/* Encoded PkgLength of a body of n bytes (1..4 bytes); returns its size. */
int aml_pkglen(uint8_t out[4], size_t n);

/* ---- resource template (a Buffer of descriptors ended by EndTag) ---- */
struct aml_res {
	uint8_t b[512];
	size_t n;
	bool overflow;
};
void res_io(struct aml_res *r, uint16_t min, uint16_t max, uint8_t align, uint8_t len);
void res_irq_noflags(struct aml_res *r, unsigned irq);
void res_mem32_fixed(struct aml_res *r, uint32_t base, uint32_t len, bool rw);
void res_word_bus(struct aml_res *r, uint16_t min, uint16_t max);
void res_word_io(struct aml_res *r, uint16_t min, uint16_t max);
void res_dword_mem(struct aml_res *r, uint32_t min, uint32_t max, bool cacheable);
void res_qword_mem(struct aml_res *r, uint64_t min, uint64_t max, bool cacheable);
/* Extended interrupt, consumer: level/edge, active high/low, shared. */
void res_interrupt(struct aml_res *r, uint32_t gsi, bool level, bool active_low, bool shared);
/* End tag and emit as a Buffer. */
void aml_res_template(struct aml *a, struct aml_res *r);

/* ---- table set ---- */
#define ACPI_HDR_LEN 36

struct acpi_ptr {
	int file;         /* 0: the RSDP file, 1: the tables file */
	uint32_t off;     /* pointer field */
	uint8_t size;     /* 4 or 8 */
	uint32_t target;  /* offset in the tables file */
};
struct acpi_cksum {
	int file;
	uint32_t start, len, off;
};

struct acpi_tables {
	uint8_t rsdp[36];
	uint8_t *buf; /* the tables file */
	size_t len, cap;
	struct acpi_ptr ptrs[64];
	int nptrs;
	struct acpi_cksum cks[32];
	int ncks;
	bool oom;
};

void acpi_tables_free(struct acpi_tables *t);
/* Reserve a table of `len` bytes aligned to `align`; returns its offset
 * (the bytes are zeroed) or -1. */
long acpi_table_alloc(struct acpi_tables *t, size_t len, size_t align);
/* Fill the standard header of the table at off (length = len) and
 * register its checksum. */
void acpi_table_header(struct acpi_tables *t, uint32_t off, const char *sig, uint32_t len, uint8_t rev);
void acpi_add_ptr(struct acpi_tables *t, int file, uint32_t off, uint8_t size, uint32_t target);
/* Produce the guest image for a fixed placement: rsdp at rsdp_addr and
 * the tables file at tables_addr (pointers patched, checksums computed). */
void acpi_tables_link(struct acpi_tables *t, uint64_t rsdp_addr, uint64_t tables_addr, uint8_t *rsdp_out,
		      uint8_t *tables_out);
/* QEMU's etc/table-loader command list for the same set (malloc'ed). */
uint8_t *acpi_table_loader(const struct acpi_tables *t, size_t *len);
uint8_t acpi_checksum(const uint8_t *p, size_t n);

#define ACPI_RSDP_FILE "etc/acpi/rsdp"
#define ACPI_TABLES_FILE "etc/acpi/tables"

/* ---- the board's tables (acpi_build.c) ---- */
struct x86_machine;
/* Build RSDP, XSDT/RSDT, FADT, FACS, DSDT, MADT, HPET for m (with the PCI
 * root bridge when m->pci is set). */
int acpi_build(struct x86_machine *m, struct acpi_tables *t);

/* I/O addresses of the ACPI hardware (FADT) */
#define PIIX_PM_BASE 0x600   /* PIIX4 PMBA as lemu programs it */
#define PIIX_PM_LEN 64
#define ACPI_SCI_IRQ 9
#define PC_RESET_PORT 0xcf9
#define PC_RESET_VALUE 0x06

#endif
