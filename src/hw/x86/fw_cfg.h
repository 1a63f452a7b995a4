/*
 * QEMU's firmware configuration interface (QEMU docs/specs/fw_cfg.rst):
 * selector port 0x510 (16-bit), data port 0x511 (8-bit) and the DMA
 * address register at 0x514 (big-endian 64-bit, written as two 32-bit
 * halves; writing the low half at 0x518 starts the transfer).
 */
#ifndef LEMU_HW_X86_FW_CFG_H
#define LEMU_HW_X86_FW_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;

#define FW_CFG_IO_BASE 0x510
#define FW_CFG_DMA_BASE 0x514

/* Selector keys (fw_cfg.rst "Selector Register"). */
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID 0x01
#define FW_CFG_UUID 0x02
#define FW_CFG_RAM_SIZE 0x03
#define FW_CFG_NOGRAPHIC 0x04
#define FW_CFG_NB_CPUS 0x05
#define FW_CFG_MACHINE_ID 0x06
#define FW_CFG_KERNEL_ADDR 0x07
#define FW_CFG_KERNEL_SIZE 0x08
#define FW_CFG_KERNEL_CMDLINE 0x09
#define FW_CFG_INITRD_ADDR 0x0a
#define FW_CFG_INITRD_SIZE 0x0b
#define FW_CFG_BOOT_DEVICE 0x0c
#define FW_CFG_NUMA 0x0d
#define FW_CFG_BOOT_MENU 0x0e
#define FW_CFG_MAX_CPUS 0x0f
#define FW_CFG_KERNEL_ENTRY 0x10
#define FW_CFG_KERNEL_DATA 0x11
#define FW_CFG_INITRD_DATA 0x12
#define FW_CFG_CMDLINE_ADDR 0x13
#define FW_CFG_CMDLINE_SIZE 0x14
#define FW_CFG_CMDLINE_DATA 0x15
#define FW_CFG_SETUP_ADDR 0x16
#define FW_CFG_SETUP_SIZE 0x17
#define FW_CFG_SETUP_DATA 0x18
#define FW_CFG_FILE_DIR 0x19
#define FW_CFG_FILE_FIRST 0x20
#define FW_CFG_FILE_SLOTS 0x40
#define FW_CFG_ARCH_LOCAL 0x8000
#define FW_CFG_IRQ0_OVERRIDE (FW_CFG_ARCH_LOCAL + 2)
#define FW_CFG_E820_TABLE (FW_CFG_ARCH_LOCAL + 3)

struct fw_cfg;

/* Create the device and map its ports (DMA interface when dma is set). */
struct fw_cfg *fw_cfg_new(struct vm *vm, bool dma);
void fw_cfg_free(struct fw_cfg *f);
/* Items.  copy: keep a private copy; else `data` must outlive the device.
 * Return 0 or -errno. */
int fw_cfg_add_bytes(struct fw_cfg *f, uint16_t key, const void *data, size_t len, bool copy);
int fw_cfg_add_i16(struct fw_cfg *f, uint16_t key, uint16_t v);
int fw_cfg_add_i32(struct fw_cfg *f, uint16_t key, uint32_t v);
int fw_cfg_add_i64(struct fw_cfg *f, uint16_t key, uint64_t v);
/* A named file (at most 55 characters); the directory stays sorted by
 * name and file selectors follow that order, as in QEMU. */
int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, size_t len, bool copy);
/* Back to selector 0, offset 0 (machine reset). */
void fw_cfg_reset(struct fw_cfg *f);
/* Port I/O as the guest does it (also used by the unit tests). */
uint64_t fw_cfg_io_read(void *opaque, uint64_t off, unsigned size);
void fw_cfg_io_write(void *opaque, uint64_t off, uint64_t val, unsigned size);

#endif
