/*
 * PIIX3 PCI-to-ISA bridge (Intel 82371SB datasheet §2.2), 00:01.0
 * 8086:7000, multi-function (the PIIX4 PM function sits at 00:01.3).
 *
 * The PIRQ route control registers 0x60-0x63 keep their values but do not
 * route anything: lemu wires PCI INTx to IOAPIC inputs 16-23 with the fixed
 * swizzle of pci.h, which the ACPI _PRT describes (guests in PIC-only mode
 * get no PCI interrupts).  The ELCR lives with the 8259 (hw/intc).
 */
#include "core/vm.h"
#include "hw/pci/pci.h"
#include "util/error.h"

#define PIIX_PIRQC 0x60
#define PIIX_TOM 0x69

struct piix3 {
	struct pci_device pci; /* first */
};

static void piix3_reset(struct device *dev)
{
	struct piix3 *p = (struct piix3 *)dev;
	pci_device_reset(&p->pci);
	for (int i = 0; i < 4; i++)
		p->pci.config[PIIX_PIRQC + i] = 0x80; /* routing disabled */
	p->pci.config[0x4c] = 0x4d; /* ISA I/O recovery timer */
	p->pci.config[0x4e] = 0x03; /* X-bus chip select */
	p->pci.config[PIIX_TOM] = 0x02;
	p->pci.config[0x70] = 0x80; /* MBIRQ0 disabled */
	p->pci.config[0x76] = 0x0c;
	p->pci.config[0x77] = 0x0c;
	p->pci.config[0x78] = 0x02;
	p->pci.config[0xa0] = 0x08;
}

static int piix3_realize(struct device *dev, struct error **errp)
{
	struct piix3 *p = (struct piix3 *)dev;
	if (pci_device_realize(&p->pci, errp) < 0)
		return -1;
	/* 8086:7000, class 0x060100 (ISA bridge), multi-function header */
	pci_set_ids(&p->pci, 0x8086, 0x7000, 0x00, 0x060100);
	p->pci.config[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_MULTI;
	for (int i = 0; i < 4; i++)
		p->pci.wmask[PIIX_PIRQC + i] = 0x8f;
	p->pci.wmask[PIIX_TOM] = 0xfe;
	piix3_reset(dev);
	return 0;
}

static void piix3_unrealize(struct device *dev)
{
	pci_device_unrealize(&((struct piix3 *)dev)->pci);
}

static const struct prop piix3_props[] = { PCI_DEVICE_PROPS, PROP_END };

const struct device_class piix3_class = {
	.name = "PIIX3",
	.desc = "ISA bridge",
	.bus = "pci",
	.size = sizeof(struct piix3),
	.props = piix3_props,
	.realize = piix3_realize,
	.reset = piix3_reset,
	.unrealize = piix3_unrealize,
};
