/*
 * i440FX host bridge (Intel 82441FX PMC datasheet), 00:00.0 8086:1237,
 * with configuration mechanism #1 at 0xcf8/0xcfc and the PIIX reset
 * control register at 0xcf9 (82371SB datasheet §4.1.5 RC: bit 2 RST_CPU
 * 0->1 resets the system; the FADT reset register points here, value 6).
 *
 * PAM (0x59-0x5f) and SMRAM (0x72) are plain registers: the BIOS area is
 * always RAM (hw/x86/bios.c refills it from the image on reset) and there
 * is no SMM, so neither has an effect.
 */
#include <stdlib.h>

#include "core/memory.h"
#include "core/vm.h"
#include "hw/pci/pci.h"
#include "util/error.h"

#define I440FX_PAM0 0x59
#define I440FX_SMRAM 0x72

struct i440fx {
	struct pci_device pci; /* first */
	uint32_t cf8;
	uint8_t rcr;
	struct pio_region *io;
};

static uint64_t host_io_read(void *opaque, uint64_t off, unsigned size)
{
	struct i440fx *h = opaque;
	if (off == 0 && size == 4)
		return h->cf8;
	if (off == 1 && size == 1)
		return h->rcr;
	if (off >= 4)
		return pci_host_config_read(h->pci.bus, h->cf8, (unsigned)off - 4, size);
	return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static void host_io_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
	struct i440fx *h = opaque;
	if (off == 0 && size == 4) {
		/* Register bits 1:0 are reserved and read as 0. */
		h->cf8 = (uint32_t)val & 0x80fffffcu;
	} else if (off == 1 && size == 1) {
		if ((val & 0x04) && !(h->rcr & 0x04))
			vm_request(h->pci.dev.vm, VM_EVENT_GUEST_RESET);
		h->rcr = (uint8_t)(val & 0x0a); /* RST_CPU self-clears */
	} else if (off >= 4) {
		pci_host_config_write(h->pci.bus, h->cf8, (unsigned)off - 4, (uint32_t)val, size);
	}
}

static const struct io_ops host_io_ops = {
	.read = host_io_read,
	.write = host_io_write,
	.min_size = 1,
	.max_size = 4,
};

static void i440fx_reset(struct device *dev)
{
	struct i440fx *h = (struct i440fx *)dev;
	pci_device_reset(&h->pci);
	for (int i = 0; i < 7; i++)
		h->pci.config[I440FX_PAM0 + i] = 0;
	h->pci.config[I440FX_SMRAM] = 0x02;
	h->cf8 = 0;
	h->rcr = 0;
}

static int i440fx_realize(struct device *dev, struct error **errp)
{
	struct i440fx *h = (struct i440fx *)dev;
	if (pci_device_realize(&h->pci, errp) < 0)
		return -1;
	/* 8086:1237 rev 2, class 0x060000 (host bridge) */
	pci_set_ids(&h->pci, 0x8086, 0x1237, 0x02, 0x060000);
	h->pci.wmask[I440FX_PAM0] = 0x30;
	for (int i = 1; i < 7; i++)
		h->pci.wmask[I440FX_PAM0 + i] = 0x33;
	h->pci.wmask[I440FX_SMRAM] = 0x78;
	h->io = pio_add(dev->vm, "pci-conf", 0xcf8, 8, &host_io_ops, h);
	if (!h->io) {
		error_setg(errp, "i440FX: I/O ports 0xcf8-0xcff are already in use");
		pci_device_unrealize(&h->pci);
		return -1;
	}
	i440fx_reset(dev);
	return 0;
}

static void i440fx_unrealize(struct device *dev)
{
	struct i440fx *h = (struct i440fx *)dev;
	if (h->io)
		pio_del(dev->vm, h->io);
	pci_device_unrealize(&h->pci);
}

static const struct prop i440fx_props[] = { PCI_DEVICE_PROPS, PROP_END };

const struct device_class i440fx_class = {
	.name = "i440FX",
	.desc = "Host bridge",
	.bus = "pci",
	.size = sizeof(struct i440fx),
	.props = i440fx_props,
	.realize = i440fx_realize,
	.reset = i440fx_reset,
	.unrealize = i440fx_unrealize,
};
