/*
 * NBD exports over block-layer nodes.
 */
#ifndef LEMU_NBD_EXPORT_BLOCK_H
#define LEMU_NBD_EXPORT_BLOCK_H

#include "block/block.h"
#include "nbd/nbd.h"

/* An export of node (not owned) starting dev_offset bytes into it.  guard_sector0: the
 * format was probed, so writes that would make a raw image probe as something else are
 * refused (NBD_EPERM), as QEMU does.  Returns NULL with a message in err.
 * can_multi_conn is left false; the caller decides. */
struct nbd_export *nbd_export_new_block(struct blk_node *node, const char *name,
					const char *description, uint64_t dev_offset,
					bool read_only, bool guard_sector0, struct blk_error *err);
void nbd_export_free_block(struct nbd_export *exp);

#endif
