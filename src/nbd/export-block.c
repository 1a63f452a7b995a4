/*
 * An NBD export over a block-layer node (src/block/block.h).  The block layer's
 * synchronous calls are thread-safe, which is what the connection workers need.
 *
 * base:allocation comes from the whole backing chain, as "qemu-img map" reports it:
 * a range no layer stores is a hole, a range that reads as zeroes has NBD_STATE_ZERO.
 */
#include "nbd/export-block.h"
#include "nbd/nbd-proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct blk_export {
	struct nbd_export exp;
	struct blk_node *node;
	uint64_t dev_offset; /* lemu-nbd -o: the export starts this far into the image */
	bool guard_sector0;  /* probed raw: refuse writes that make it probe as another format */
	bool trim;           /* trims reach the image */
};

static int bx_pread(void *opaque, void *buf, uint64_t off, uint32_t len)
{
	struct blk_export *b = opaque;
	return blk_pread(b->node, (int64_t)(off + b->dev_offset), buf, len, 0);
}

/* A raw image whose format was guessed must keep being guessed as raw: a client could
 * otherwise write a qcow2 header into sector 0 and make the next open follow a backing
 * file of its choice.  QEMU restricts such writes the same way. */
static int check_sector0(struct blk_export *b, const void *buf, uint64_t off, uint32_t len)
{
	uint8_t s0[512];
	uint64_t abs = off + b->dev_offset;
	if (!b->guard_sector0 || abs >= sizeof(s0))
		return 0;
	int r = blk_pread(b->node, 0, s0, sizeof(s0), 0);
	if (r < 0)
		return r;
	uint64_t n = sizeof(s0) - abs < len ? sizeof(s0) - abs : len;
	memcpy(s0 + abs, buf, n);
	const char *f = blk_probe_format(s0, sizeof(s0));
	return f && strcmp(f, "raw") != 0 ? -EPERM : 0;
}

static int bx_pwrite(void *opaque, const void *buf, uint64_t off, uint32_t len, unsigned flags)
{
	struct blk_export *b = opaque;
	int r = check_sector0(b, buf, off, len);
	if (r < 0)
		return r;
	return blk_pwrite(b->node, (int64_t)(off + b->dev_offset), buf, len,
	                  (flags & NBD_IO_FUA) ? BLK_REQ_FUA : 0);
}

static int bx_flush(void *opaque)
{
	struct blk_export *b = opaque;
	return blk_flush(b->node);
}

static int bx_trim(void *opaque, uint64_t off, uint32_t len, unsigned flags)
{
	struct blk_export *b = opaque;
	if (!b->trim)
		return 0;
	/* REQUEST(nbd): a BLK_REQ_FUA flag for blk_discard; a flush stands in for it. */
	int r = blk_discard(b->node, (int64_t)(off + b->dev_offset), len);
	if (r == 0 && (flags & NBD_IO_FUA))
		r = blk_flush(b->node);
	return r;
}

static int bx_write_zeroes(void *opaque, uint64_t off, uint32_t len, unsigned flags)
{
	struct blk_export *b = opaque;
	unsigned bf = 0;
	if (flags & NBD_IO_FUA)
		bf |= BLK_REQ_FUA;
	if (flags & NBD_IO_MAY_UNMAP)
		bf |= BLK_REQ_MAY_UNMAP;
	if (flags & NBD_IO_FAST)
		bf |= BLK_REQ_NO_FALLBACK;
	return blk_pwrite_zeroes(b->node, (int64_t)(off + b->dev_offset), len, bf);
}

static int bx_block_status(void *opaque, uint64_t off, uint64_t len, uint64_t *pnum,
                           uint32_t *state)
{
	struct blk_export *b = opaque;
	struct blk_status st;
	memset(&st, 0, sizeof(st));
	int r = blk_block_status_above(b->node, NULL, (int64_t)(off + b->dev_offset), (int64_t)len,
	                               &st);
	if (r < 0)
		return r;
	if (st.bytes <= 0)
		return -EIO;
	*pnum = (uint64_t)st.bytes > len ? len : (uint64_t)st.bytes;
	*state = ((st.flags & BLK_STATUS_DATA) ? 0 : NBD_STATE_HOLE) |
	         ((st.flags & BLK_STATUS_ZERO) ? NBD_STATE_ZERO : 0);
	return 0;
}

static const struct nbd_export_ops blk_export_ops = {
	.pread = bx_pread,
	.pwrite = bx_pwrite,
	.flush = bx_flush,
	.trim = bx_trim,
	.write_zeroes = bx_write_zeroes,
	.block_status = bx_block_status,
};

struct nbd_export *nbd_export_new_block(struct blk_node *node, const char *name,
                                        const char *description, uint64_t dev_offset,
                                        unsigned flags, struct blk_error *err)
{
	int64_t len = blk_getlength(node);
	if (len < 0) {
		blk_error_set(err, (int)len, "Failed to determine the image length: %s",
		              strerror((int)-len));
		return NULL;
	}
	if (dev_offset > (uint64_t)len) {
		blk_error_set(err, -EINVAL,
		              "Offset (%llu) has to be smaller than the image size (%lld)",
		              (unsigned long long)dev_offset, (long long)len);
		return NULL;
	}
	struct blk_export *b = calloc(1, sizeof(*b));
	if (!b) {
		blk_error_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	b->node = node;
	b->dev_offset = dev_offset;
	b->exp.name = strdup(name ? name : "");
	b->exp.description = description ? strdup(description) : NULL;
	b->exp.size = (uint64_t)len - dev_offset;
	b->exp.read_only = (flags & NBD_BLK_READ_ONLY) || blk_node_is_read_only(node);
	b->exp.can_trim = true;
	b->exp.can_fast_zero = true;
	b->exp.min_block = 1; /* the block layer aligns internally (bounce buffers, COW) */
	b->exp.pref_block = 4096;
	b->exp.max_payload = 32u << 20;
	b->guard_sector0 = (flags & NBD_BLK_GUARD_SECTOR0) && !b->exp.read_only &&
	                   strcmp(blk_node_driver(node), "raw") == 0;
	b->trim = flags & NBD_BLK_TRIM;
	b->exp.ops = &blk_export_ops;
	b->exp.opaque = b;
	return &b->exp;
}

void nbd_export_free_block(struct nbd_export *exp)
{
	if (!exp)
		return;
	struct blk_export *b = exp->opaque;
	free(exp->name);
	free(exp->description);
	free(b);
}
