/*
 * AML builder, resource descriptors and the table set with its fix-ups.
 * Section numbers are those of the ACPI 6.4 specification.
 */
#include <stdlib.h>
#include <string.h>

#include "hw/x86/acpi.h"

/* ---- AML ----------------------------------------------------------- */

static void aml_reserve(struct aml *a, size_t n)
{
	if (a->oom || a->len + n <= a->cap)
		return;
	size_t cap = a->cap ? a->cap : 64;
	while (cap < a->len + n)
		cap *= 2;
	uint8_t *nb = realloc(a->buf, cap);
	if (!nb) {
		a->oom = true;
		return;
	}
	a->buf = nb;
	a->cap = cap;
}

void aml_free(struct aml *a)
{
	free(a->buf);
	a->buf = NULL;
	a->len = a->cap = 0;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (!n)
		return;
	aml_reserve(a, n);
	if (a->oom)
		return;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

void aml_append(struct aml *a, struct aml *child)
{
	if (child->oom)
		a->oom = true;
	else
		aml_bytes(a, child->buf, child->len);
	aml_free(child);
}

/* §20.2.2: NameSeg is 4 chars [A-Z_][A-Z0-9_]*, padded with '_'. */
static void aml_nameseg(struct aml *a, const char *s, size_t n)
{
	char seg[4] = { '_', '_', '_', '_' };
	memcpy(seg, s, n > 4 ? 4 : n);
	aml_bytes(a, seg, 4);
}

void aml_namestring(struct aml *a, const char *path)
{
	const char *p = path;
	while (*p == '\\' || *p == '^')
		aml_byte(a, (uint8_t)*p++);
	int nseg = 0;
	for (const char *q = p; *q; q++)
		if (q == p || q[-1] == '.')
			nseg++;
	if (nseg == 0) {
		aml_byte(a, 0x00); /* NullName */
		return;
	}
	if (nseg == 2)
		aml_byte(a, 0x2e); /* DualNamePrefix */
	else if (nseg > 2) {
		aml_byte(a, 0x2f); /* MultiNamePrefix SegCount */
		aml_byte(a, (uint8_t)nseg);
	}
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		aml_nameseg(a, p, n);
		p += n;
		if (*p == '.')
			p++;
	}
}

void aml_integer(struct aml *a, uint64_t v)
{
	int n;
	if (v == 0) {
		aml_byte(a, 0x00); /* ZeroOp */
		return;
	}
	if (v == 1) {
		aml_byte(a, 0x01); /* OneOp */
		return;
	}
	if (v <= 0xff)
		aml_byte(a, 0x0a), n = 1;
	else if (v <= 0xffff)
		aml_byte(a, 0x0b), n = 2;
	else if (v <= 0xffffffffu)
		aml_byte(a, 0x0c), n = 4;
	else
		aml_byte(a, 0x0e), n = 8;
	for (int i = 0; i < n; i++)
		aml_byte(a, (uint8_t)(v >> (8 * i)));
}

void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, 0x0d);
	aml_bytes(a, s, strlen(s) + 1);
}

/* Compressed EISA ID (§6.1.5): three 5-bit letters and four hex digits,
 * e.g. PNP0A03 -> bytes 41 d0 0a 03. */
void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v = 0;
	for (int i = 0; i < 3; i++)
		v = v << 5 | ((id[i] - 0x40) & 0x1f);
	for (int i = 3; i < 7; i++) {
		char c = id[i];
		int d = c >= '0' && c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
		v = v << 4 | (d & 0xf);
	}
	aml_byte(a, 0x0c); /* DWordConst holding the ID in big-endian byte order */
	aml_byte(a, (uint8_t)(v >> 24));
	aml_byte(a, (uint8_t)(v >> 16));
	aml_byte(a, (uint8_t)(v >> 8));
	aml_byte(a, (uint8_t)v);
}

void aml_name(struct aml *a, const char *name, struct aml *value)
{
	aml_byte(a, 0x08); /* NameOp */
	aml_namestring(a, name);
	aml_append(a, value);
}

void aml_name_int(struct aml *a, const char *name, uint64_t v)
{
	struct aml val = AML_INIT;
	aml_integer(&val, v);
	aml_name(a, name, &val);
}

/* §20.2.4 PkgLength: the count includes the PkgLength bytes. */
int aml_pkglen(uint8_t out[4], size_t n)
{
	if (n + 1 < 0x40) {
		out[0] = (uint8_t)(n + 1);
		return 1;
	}
	for (int bytes = 2; bytes <= 4; bytes++) {
		size_t total = n + bytes;
		if (total < (1ull << (4 + 8 * (bytes - 1)))) {
			out[0] = (uint8_t)(((bytes - 1) << 6) | (total & 0xf));
			for (int i = 1; i < bytes; i++)
				out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
			return bytes;
		}
	}
	return -1;
}

void aml_pkg(struct aml *a, uint16_t op, struct aml *body)
{
	uint8_t pl[4];
	if (op > 0xff)
		aml_byte(a, (uint8_t)(op >> 8));
	aml_byte(a, (uint8_t)op);
	int n = aml_pkglen(pl, body->len);
	if (n < 0)
		a->oom = true;
	else
		aml_bytes(a, pl, (size_t)n);
	aml_append(a, body);
}

void aml_package(struct aml *a, unsigned n, struct aml *elements)
{
	struct aml body = AML_INIT;
	aml_byte(&body, (uint8_t)n); /* NumElements */
	aml_append(&body, elements);
	aml_pkg(a, AML_PACKAGE, &body);
}

void aml_buffer(struct aml *a, const void *bytes, size_t n)
{
	struct aml body = AML_INIT;
	aml_integer(&body, n); /* BufferSize */
	aml_bytes(&body, bytes, n);
	aml_pkg(a, AML_BUFFER, &body);
}

void aml_method(struct aml *a, const char *name, unsigned nargs, struct aml *body)
{
	struct aml m = AML_INIT;
	aml_namestring(&m, name);
	aml_byte(&m, (uint8_t)(nargs & 7)); /* MethodFlags: NotSerialized, SyncLevel 0 */
	aml_append(&m, body);
	aml_pkg(a, AML_METHOD, &m);
}

/* ---- resource descriptors (§6.4) ------------------------------------------ */

static void res_put(struct aml_res *r, const uint8_t *p, size_t n)
{
	if (r->n + n + 2 > sizeof(r->b)) {
		r->overflow = true;
		return;
	}
	memcpy(r->b + r->n, p, n);
	r->n += n;
}

static void le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* §6.4.2.5 I/O Port Descriptor, 16-bit decode */
void res_io(struct aml_res *r, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
	uint8_t d[8] = { 0x47, 0x01 };
	le(d + 2, min, 2);
	le(d + 4, max, 2);
	d[6] = align;
	d[7] = len;
	res_put(r, d, sizeof(d));
}

/* §6.4.2.1 IRQ Descriptor without the information byte: edge, active high */
void res_irq_noflags(struct aml_res *r, unsigned irq)
{
	uint8_t d[3] = { 0x22 };
	le(d + 1, 1u << irq, 2);
	res_put(r, d, sizeof(d));
}

/* §6.4.3.4 32-Bit Fixed Memory Range Descriptor */
void res_mem32_fixed(struct aml_res *r, uint32_t base, uint32_t len, bool rw)
{
	uint8_t d[12] = { 0x86, 9, 0, rw ? 1 : 0 };
	le(d + 4, base, 4);
	le(d + 8, len, 4);
	res_put(r, d, sizeof(d));
}

/* §6.4.3.5.3 Word Address Space Descriptor; general flags 0x0c =
 * producer, positive decode, MinFixed, MaxFixed. */
static void res_word(struct aml_res *r, uint8_t type, uint8_t tflags, uint16_t min, uint16_t max)
{
	uint8_t d[16] = { 0x88, 13, 0, type, 0x0c, tflags };
	le(d + 6, 0, 2);
	le(d + 8, min, 2);
	le(d + 10, max, 2);
	le(d + 12, 0, 2);
	le(d + 14, (uint32_t)max - min + 1, 2);
	res_put(r, d, sizeof(d));
}

void res_word_bus(struct aml_res *r, uint16_t min, uint16_t max)
{
	res_word(r, 2, 0, min, max);
}

void res_word_io(struct aml_res *r, uint16_t min, uint16_t max)
{
	res_word(r, 1, 3 /* EntireRange */, min, max);
}

/* §6.4.3.5.2 DWord Address Space Descriptor (memory); type flags: bit 0
 * read/write, bits 1-2 cacheability. */
void res_dword_mem(struct aml_res *r, uint32_t min, uint32_t max, bool cacheable)
{
	uint8_t d[26] = { 0x87, 23, 0, 0, 0x0c, (uint8_t)(1 | (cacheable ? 2 : 0)) };
	le(d + 6, 0, 4);
	le(d + 10, min, 4);
	le(d + 14, max, 4);
	le(d + 18, 0, 4);
	le(d + 22, (uint64_t)max - min + 1, 4);
	res_put(r, d, sizeof(d));
}

/* §6.4.3.5.1 QWord Address Space Descriptor (memory) */
void res_qword_mem(struct aml_res *r, uint64_t min, uint64_t max, bool cacheable)
{
	uint8_t d[46] = { 0x8a, 43, 0, 0, 0x0c, (uint8_t)(1 | (cacheable ? 2 : 0)) };
	le(d + 6, 0, 8);
	le(d + 14, min, 8);
	le(d + 22, max, 8);
	le(d + 30, 0, 8);
	le(d + 38, max - min + 1, 8);
	res_put(r, d, sizeof(d));
}

/* §6.4.3.6 Extended Interrupt Descriptor: flags bit 0 consumer, bit 1
 * edge, bit 2 active low, bit 3 shared. */
void res_interrupt(struct aml_res *r, uint32_t gsi, bool level, bool active_low, bool shared)
{
	uint8_t d[9] = { 0x89, 6, 0, (uint8_t)(1 | (level ? 0 : 2) | (active_low ? 4 : 0) | (shared ? 8 : 0)), 1 };
	le(d + 5, gsi, 4);
	res_put(r, d, sizeof(d));
}

void aml_res_template(struct aml *a, struct aml_res *r)
{
	uint8_t end[2] = { 0x79, 0 }; /* §6.4.2.9 End Tag, checksum 0 = not computed */
	if (r->overflow) {
		a->oom = true;
		return;
	}
	memcpy(r->b + r->n, end, 2);
	aml_buffer(a, r->b, r->n + 2);
}

/* ---- table set ---------------------------------------------------------- */

uint8_t acpi_checksum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return (uint8_t)(0 - s);
}

void acpi_tables_free(struct acpi_tables *t)
{
	free(t->buf);
	t->buf = NULL;
	t->len = t->cap = 0;
}

long acpi_table_alloc(struct acpi_tables *t, size_t len, size_t align)
{
	size_t off = (t->len + align - 1) & ~(align - 1);
	if (off + len > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		while (cap < off + len)
			cap *= 2;
		uint8_t *nb = realloc(t->buf, cap);
		if (!nb) {
			t->oom = true;
			return -1;
		}
		memset(nb + t->cap, 0, cap - t->cap);
		t->buf = nb;
		t->cap = cap;
	}
	memset(t->buf + t->len, 0, off + len - t->len);
	t->len = off + len;
	return (long)off;
}

/* §5.2.6 System Description Table Header */
void acpi_table_header(struct acpi_tables *t, uint32_t off, const char *sig, uint32_t len, uint8_t rev)
{
	uint8_t *h = t->buf + off;
	memcpy(h, sig, 4);
	le(h + 4, len, 4);
	h[8] = rev;
	memcpy(h + 10, "LEMU  ", 6);
	memcpy(h + 16, "LEMU", 4);
	memcpy(h + 20, sig, 4); /* OEM table ID: "LEMU" + signature */
	le(h + 24, 1, 4);
	memcpy(h + 28, "LEMU", 4);
	le(h + 32, 1, 4);
	if (t->ncks < (int)(sizeof(t->cks) / sizeof(t->cks[0])))
		t->cks[t->ncks++] = (struct acpi_cksum){ 1, off, len, off + 9 };
	else
		t->oom = true;
}

void acpi_add_ptr(struct acpi_tables *t, int file, uint32_t off, uint8_t size, uint32_t target)
{
	if (t->nptrs >= (int)(sizeof(t->ptrs) / sizeof(t->ptrs[0]))) {
		t->oom = true;
		return;
	}
	t->ptrs[t->nptrs++] = (struct acpi_ptr){ file, off, size, target };
}

void acpi_tables_link(struct acpi_tables *t, uint64_t rsdp_addr, uint64_t tables_addr, uint8_t *rsdp_out,
		      uint8_t *tables_out)
{
	(void)rsdp_addr;
	memcpy(rsdp_out, t->rsdp, sizeof(t->rsdp));
	memcpy(tables_out, t->buf, t->len);
	for (int i = 0; i < t->nptrs; i++) {
		const struct acpi_ptr *p = &t->ptrs[i];
		uint8_t *f = p->file ? tables_out : rsdp_out;
		le(f + p->off, tables_addr + p->target, p->size);
	}
	for (int i = 0; i < t->ncks; i++) {
		const struct acpi_cksum *c = &t->cks[i];
		uint8_t *f = c->file ? tables_out : rsdp_out;
		f[c->off] = 0;
		f[c->off] = acpi_checksum(f + c->start, c->len);
	}
}

/* QEMU's linker/loader commands, 128 bytes each (little-endian):
 * u32 command; then ALLOCATE {char file[56]; u32 align; u8 zone},
 * ADD_POINTER {char dest[56]; char src[56]; u32 offset; u8 size},
 * ADD_CHECKSUM {char file[56]; u32 offset; u32 start; u32 length}. */
#define LOADER_ALLOCATE 1
#define LOADER_ADD_POINTER 2
#define LOADER_ADD_CHECKSUM 3
#define LOADER_ZONE_HIGH 1
#define LOADER_ZONE_FSEG 2

static void loader_name(uint8_t *p, int file)
{
	const char *n = file ? ACPI_TABLES_FILE : ACPI_RSDP_FILE;
	memcpy(p, n, strlen(n));
}

uint8_t *acpi_table_loader(const struct acpi_tables *t, size_t *len)
{
	int n = 2 + t->nptrs + t->ncks;
	uint8_t *out = calloc((size_t)n, 128);
	if (!out)
		return NULL;
	uint8_t *c = out;
	le(c, LOADER_ALLOCATE, 4);
	loader_name(c + 4, 1);
	le(c + 60, 64, 4);
	c[64] = LOADER_ZONE_HIGH;
	c += 128;
	le(c, LOADER_ALLOCATE, 4);
	loader_name(c + 4, 0);
	le(c + 60, 16, 4);
	c[64] = LOADER_ZONE_FSEG;
	c += 128;
	for (int i = 0; i < t->nptrs; i++, c += 128) {
		le(c, LOADER_ADD_POINTER, 4);
		loader_name(c + 4, t->ptrs[i].file);
		loader_name(c + 60, 1);
		le(c + 116, t->ptrs[i].off, 4);
		c[120] = t->ptrs[i].size;
	}
	for (int i = 0; i < t->ncks; i++, c += 128) {
		le(c, LOADER_ADD_CHECKSUM, 4);
		loader_name(c + 4, t->cks[i].file);
		le(c + 60, t->cks[i].off, 4);
		le(c + 64, t->cks[i].start, 4);
		le(c + 68, t->cks[i].len, 4);
	}
	*len = (size_t)n * 128;
	return out;
}
