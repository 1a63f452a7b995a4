/*
 * NBD exports over block-layer nodes.
 */
#ifndef LEMU_NBD_EXPORT_BLOCK_H
#define LEMU_NBD_EXPORT_BLOCK_H

#include "block/block.h"
#include "nbd/nbd.h"

/* Flags of nbd_export_new_block */
#define NBD_BLK_READ_ONLY (1u << 0)
/* The format was probed: writes that would make a raw image probe as something else
 * are refused (NBD_EPERM), as QEMU does. */
#define NBD_BLK_GUARD_SECTOR0 (1u << 1)
/* NBD_CMD_TRIM reaches the image (qemu-nbd --discard=unmap); without it a trim is
 * accepted and ignored, which the protocol allows for a hint. */
#define NBD_BLK_TRIM (1u << 2)

/* An export of node (not owned) starting dev_offset bytes into it.  Returns NULL with a
 * message in err.  can_multi_conn is left false; the caller decides. */
struct nbd_export *nbd_export_new_block(struct blk_node *node, const char *name,
                                        const char *description, uint64_t dev_offset,
                                        unsigned flags, struct blk_error *err);
void nbd_export_free_block(struct nbd_export *exp);

#endif
