/*
 * fw_cfg, following QEMU's docs/specs/fw_cfg.rst: a selector chooses an
 * item, the data port streams it byte by byte (reads past the end give 0),
 * and the DMA interface moves whole ranges to and from guest memory as
 * described by a FWCfgDmaAccess {be32 control, be32 length, be64 address}.
 * Items are read-only: the old write path of the data port is ignored and
 * DMA writes end with the error bit, as QEMU does for read-only items.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/memory.h"
#include "core/vm.h"
#include "hw/x86/fw_cfg.h"

#define FW_CFG_VERSION 0x01
#define FW_CFG_VERSION_DMA 0x02
#define DMA_CTL_ERROR 0x01
#define DMA_CTL_READ 0x02
#define DMA_CTL_SKIP 0x04
#define DMA_CTL_SELECT 0x08
#define DMA_CTL_WRITE 0x10
#define DMA_SIGNATURE "QEMU CFG"

struct fw_cfg_item {
	uint16_t key;
	uint8_t *data;
	size_t len;
	bool owned;
};

struct fw_cfg_file {
	char name[56];
	struct fw_cfg_item item; /* key assigned from the sorted position */
};

struct fw_cfg {
	struct vm *vm;
	bool dma;
	struct fw_cfg_item items[FW_CFG_FILE_FIRST + 16]; /* fixed keys 0x00-0x1f, then arch keys */
	int nitems;
	struct fw_cfg_file files[FW_CFG_FILE_SLOTS];
	int nfiles;
	uint8_t *dir;       /* FW_CFG_FILE_DIR contents */
	size_t dir_len;
	uint16_t cur_key;
	uint32_t cur_off;
	uint32_t dma_hi;    /* high half of the DMA address register */
	struct pio_region *io, *dma_io;
};

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}
static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static const struct fw_cfg_item *fw_cfg_find(struct fw_cfg *f, uint16_t key)
{
	key &= 0xbfff; /* bit 14 was the write flag of the old interface */
	if (key >= FW_CFG_FILE_FIRST && key < FW_CFG_FILE_FIRST + f->nfiles)
		return &f->files[key - FW_CFG_FILE_FIRST].item;
	for (int i = 0; i < f->nitems; i++)
		if (f->items[i].key == key)
			return &f->items[i];
	return NULL;
}

static void item_free(struct fw_cfg_item *it)
{
	if (it->owned)
		free(it->data);
	it->data = NULL;
	it->len = 0;
}

static int item_set(struct fw_cfg_item *it, uint16_t key, const void *data, size_t len, bool copy)
{
	uint8_t *d = (uint8_t *)data;
	if (copy) {
		d = malloc(len ? len : 1);
		if (!d)
			return -ENOMEM;
		memcpy(d, data, len);
	}
	item_free(it);
	it->key = key;
	it->data = d;
	it->len = len;
	it->owned = copy;
	return 0;
}

int fw_cfg_add_bytes(struct fw_cfg *f, uint16_t key, const void *data, size_t len, bool copy)
{
	if (key >= FW_CFG_FILE_FIRST && key < FW_CFG_ARCH_LOCAL)
		return -EINVAL;
	for (int i = 0; i < f->nitems; i++)
		if (f->items[i].key == key)
			return item_set(&f->items[i], key, data, len, copy);
	if (f->nitems >= (int)(sizeof(f->items) / sizeof(f->items[0])))
		return -ENOSPC;
	int r = item_set(&f->items[f->nitems], key, data, len, copy);
	if (!r)
		f->nitems++;
	return r;
}

int fw_cfg_add_i16(struct fw_cfg *f, uint16_t key, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	return fw_cfg_add_bytes(f, key, b, 2, true);
}

int fw_cfg_add_i32(struct fw_cfg *f, uint16_t key, uint32_t v)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fw_cfg_add_bytes(f, key, b, 4, true);
}

int fw_cfg_add_i64(struct fw_cfg *f, uint16_t key, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fw_cfg_add_bytes(f, key, b, 8, true);
}

/* FW_CFG_FILE_DIR: be32 count, then {be32 size, be16 select, be16
 * reserved, char name[56]} per file. */
static int fw_cfg_rebuild_dir(struct fw_cfg *f)
{
	size_t len = 4 + 64 * (size_t)f->nfiles;
	uint8_t *d = calloc(1, len);
	if (!d)
		return -ENOMEM;
	put_be(d, (uint64_t)f->nfiles, 4);
	for (int i = 0; i < f->nfiles; i++) {
		uint8_t *e = d + 4 + 64 * i;
		f->files[i].item.key = (uint16_t)(FW_CFG_FILE_FIRST + i);
		put_be(e, f->files[i].item.len, 4);
		put_be(e + 4, f->files[i].item.key, 2);
		memcpy(e + 8, f->files[i].name, 56);
	}
	free(f->dir);
	f->dir = d;
	f->dir_len = len;
	return 0;
}

int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, size_t len, bool copy)
{
	if (strlen(name) >= 56)
		return -ENAMETOOLONG;
	int pos = 0;
	while (pos < f->nfiles && strcmp(f->files[pos].name, name) < 0)
		pos++;
	if (pos < f->nfiles && !strcmp(f->files[pos].name, name)) {
		int r = item_set(&f->files[pos].item, f->files[pos].item.key, data, len, copy);
		return r ? r : fw_cfg_rebuild_dir(f);
	}
	if (f->nfiles >= FW_CFG_FILE_SLOTS)
		return -ENOSPC;
	struct fw_cfg_file nf;
	memset(&nf, 0, sizeof(nf));
	strcpy(nf.name, name);
	int r = item_set(&nf.item, 0, data, len, copy);
	if (r)
		return r;
	memmove(&f->files[pos + 1], &f->files[pos], sizeof(f->files[0]) * (f->nfiles - pos));
	f->files[pos] = nf;
	f->nfiles++;
	return fw_cfg_rebuild_dir(f);
}

static const uint8_t *item_bytes(struct fw_cfg *f, uint16_t key, size_t *len)
{
	if ((key & 0xbfff) == FW_CFG_FILE_DIR) {
		*len = f->dir_len;
		return f->dir;
	}
	const struct fw_cfg_item *it = fw_cfg_find(f, key);
	*len = it ? it->len : 0;
	return it ? it->data : NULL;
}

static void fw_cfg_select(struct fw_cfg *f, uint16_t key)
{
	f->cur_key = key;
	f->cur_off = 0;
}

/* Run one DMA request at guest address `addr` (fw_cfg.rst "DMA interface"). */
static void fw_cfg_dma(struct fw_cfg *f, uint64_t addr)
{
	uint8_t req[16];
	if (phys_read(f->vm, addr, req, sizeof(req)) < 0) {
		vm_log(f->vm, VM_LOG_GUEST_ERRORS, "fw_cfg: DMA descriptor at 0x%llx is not in memory\n",
		       (unsigned long long)addr);
		return;
	}
	uint32_t ctl = (uint32_t)get_be(req, 4), len = (uint32_t)get_be(req + 4, 4);
	uint64_t buf = get_be(req + 8, 8);
	bool err = false;
	if (ctl & DMA_CTL_SELECT)
		fw_cfg_select(f, (uint16_t)(ctl >> 16));
	size_t ilen;
	const uint8_t *data = item_bytes(f, f->cur_key, &ilen);
	if (ctl & DMA_CTL_READ) {
		/* Past the end of the item the transfer reads zeros. */
		size_t avail = f->cur_off < ilen ? ilen - f->cur_off : 0;
		size_t n = len < avail ? len : avail;
		if (n && phys_write(f->vm, buf, data + f->cur_off, n) < 0)
			err = true;
		static const uint8_t zeros[256];
		for (size_t done = n; done < len && !err;) {
			size_t c = len - done < sizeof(zeros) ? len - done : sizeof(zeros);
			if (phys_write(f->vm, buf + done, zeros, c) < 0)
				err = true;
			done += c;
		}
		f->cur_off += len;
	} else if (ctl & DMA_CTL_WRITE) {
		err = true; /* every item is read-only */
	} else if (ctl & DMA_CTL_SKIP) {
		f->cur_off += len;
	}
	uint8_t done[4];
	put_be(done, err ? DMA_CTL_ERROR : 0, 4);
	phys_write(f->vm, addr, done, 4);
}

uint64_t fw_cfg_io_read(void *opaque, uint64_t off, unsigned size)
{
	struct fw_cfg *f = opaque;
	uint64_t v = 0;
	if (off == 1) { /* data port */
		size_t ilen;
		const uint8_t *data = item_bytes(f, f->cur_key, &ilen);
		for (unsigned i = 0; i < size; i++) {
			uint8_t b = f->cur_off < ilen ? data[f->cur_off] : 0;
			if (f->cur_off < ilen)
				f->cur_off++;
			v |= (uint64_t)b << (8 * i);
		}
		return v;
	}
	if (off >= 4 && off < 12 && f->dma) {
		/* The DMA register reads as the signature "QEMU CFG". */
		for (unsigned i = 0; i < size && off - 4 + i < 8; i++)
			v |= (uint64_t)(uint8_t)DMA_SIGNATURE[off - 4 + i] << (8 * i);
		return v;
	}
	return 0;
}

void fw_cfg_io_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct fw_cfg *f = opaque;
	if (off == 0 && size == 2) {
		fw_cfg_select(f, (uint16_t)val);
		return;
	}
	if (!f->dma || off < 4)
		return; /* the data port's legacy write path does nothing */
	/* The address register is big-endian: the guest writes bswap32 halves. */
	uint32_t be = __builtin_bswap32((uint32_t)val);
	if (off == 4 && size == 4) {
		f->dma_hi = be;
	} else if (off == 8 && size == 4) {
		uint64_t addr = (uint64_t)f->dma_hi << 32 | be;
		f->dma_hi = 0;
		fw_cfg_dma(f, addr);
	}
}

static const struct io_ops fw_cfg_ops = {
	.read = fw_cfg_io_read,
	.write = fw_cfg_io_write,
	.min_size = 1,
	.max_size = 4,
};

void fw_cfg_reset(struct fw_cfg *f)
{
	fw_cfg_select(f, 0);
	f->dma_hi = 0;
}

struct fw_cfg *fw_cfg_new(struct vm *vm, bool dma)
{
	struct fw_cfg *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->vm = vm;
	f->dma = dma;
	if (fw_cfg_add_bytes(f, FW_CFG_SIGNATURE, "QEMU", 4, false) < 0 ||
	    fw_cfg_add_i32(f, FW_CFG_ID, FW_CFG_VERSION | (dma ? FW_CFG_VERSION_DMA : 0)) < 0 ||
	    fw_cfg_rebuild_dir(f) < 0) {
		fw_cfg_free(f);
		return NULL;
	}
	/* One region for both: selector 0x510, data 0x511, DMA 0x514-0x51b. */
	f->io = pio_add(vm, "fw_cfg", FW_CFG_IO_BASE, dma ? 12 : 2, &fw_cfg_ops, f);
	if (!f->io) {
		fw_cfg_free(f);
		return NULL;
	}
	return f;
}

void fw_cfg_free(struct fw_cfg *f)
{
	if (!f)
		return;
	if (f->io)
		pio_del(f->vm, f->io);
	for (int i = 0; i < f->nitems; i++)
		item_free(&f->items[i]);
	for (int i = 0; i < f->nfiles; i++)
		item_free(&f->files[i].item);
	free(f->dir);
	free(f);
}
