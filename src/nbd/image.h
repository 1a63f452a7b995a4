/*
 * Opening the image an NBD server exports, the way qemu-nbd's FILE, -f, -r, -s, -l,
 * --image-opts, --cache, --aio, --discard and --detect-zeroes ask for it.
 */
#ifndef LEMU_NBD_IMAGE_H
#define LEMU_NBD_IMAGE_H

#include "block/block.h"

#include <stdbool.h>
#include <stdio.h>

struct error;

struct nbd_image_config {
	const char *file;          /* FILE, or the option string with image_opts */
	const char *format;        /* -f; NULL = probe */
	bool image_opts;           /* --image-opts */
	bool read_only;            /* -r (implied by -l) */
	bool snapshot;             /* -s: writes go to a temporary overlay */
	const char *load_snapshot; /* -l: "ID_OR_NAME" or "snapshot.id=..,snapshot.name=.." */
	const char *cache, *aio, *discard, *detect_zeroes;
	FILE *warn; /* where the probed-raw warning goes (NULL: nowhere) */
};

/* Open the image; NULL with qemu-nbd's message in errp ("Failed to blk_new_open 'x': ..",
 * "Failed to load snapshot: .."). */
struct blk_node *nbd_image_open(const struct nbd_image_config *cfg, struct error **errp);
/* NBD_BLK_* flags (export-block.h) that go with the configuration. */
unsigned nbd_image_export_flags(const struct nbd_image_config *cfg);

#endif
