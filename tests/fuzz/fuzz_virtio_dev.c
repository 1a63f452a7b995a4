/*
 * libFuzzer target for the virtio device models as a guest reaches them:
 * a real VM (the pc machine, no vCPU running) with virtio-blk-pci on a raw
 * image, virtio-rng-pci and virtio-serial-pci with a virtserialport and a
 * virtconsole on null chardevs.  The harness is the guest driver: it
 * configures the devices through port I/O (config mechanism #1) and MMIO
 * exactly as a CPU would, then the input decides what goes into guest RAM
 * (descriptors, ring entries, request headers, raw bytes), which queues
 * are notified, which registers are written, and when the I/O loop runs
 * block completions.  Whatever the input: no crash, no hang, and every
 * device either works or is marked DEVICE_NEEDS_RESET.
 *
 * Built with the system emulator's sources (see tests/unit/meson.build,
 * test_virtio_dev); for an open-ended run, link the same objects with
 * -fsanitize=fuzzer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chardev/chardev.h"
#include "core/device.h"
#include "core/loop_int.h"
#include "core/memory.h"
#include "core/vm.h"
#include "hw/block_backend.h"
#include "hw/pci/pci.h"
#include "hw/x86/machine.h"
#include "util/error.h"
#include "util/opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* A 64 KiB firmware file (never run: no vCPU starts) and a 1 MiB raw image of
 * 0x5a bytes, made on the first run and removed at exit. */
static char fuzz_virtio_bios[] = "/tmp/lemu-fz-bios-XXXXXX",
            fuzz_virtio_image[] = "/tmp/lemu-fz-img-XXXXXX";

static int make_file(char *tmpl, size_t size, int byte)
{
	int fd = mkstemp(tmpl);
	if (fd < 0)
		return -1;
	char buf[4096];
	memset(buf, byte, sizeof(buf));
	for (size_t done = 0; done < size; done += sizeof(buf))
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
			close(fd);
			return -1;
		}
	close(fd);
	return 0;
}

static void remove_files(void)
{
	unlink(fuzz_virtio_bios);
	unlink(fuzz_virtio_image);
}

static void setup_files(void)
{
	if (!strstr(fuzz_virtio_bios, "XXXXXX"))
		return;
	if (make_file(fuzz_virtio_bios, 65536, 0xf4) < 0 ||
	    make_file(fuzz_virtio_image, 1 << 20, 0x5a) < 0)
		abort();
	atexit(remove_files);
}

/* What the last run left behind, for tests with crafted inputs: each device's
 * status register and used indexes, and virtio-blk queue 0's first prepared
 * request (data buffer and status byte). */
struct fuzz_virtio_result {
	uint8_t status[3];
	uint16_t used_idx[3][8];
	uint8_t blk_data[512];
	uint8_t blk_status;
};
extern struct fuzz_virtio_result fuzz_virtio_result;
struct fuzz_virtio_result fuzz_virtio_result;

#define NDEV 3
#define QSIZE 16
#define AREA 0x100000ull /* guest area for rings and buffers: [1 MiB, 2 MiB) */
#define AREA_SIZE 0x100000ull
#define QSTRIDE 0x1000ull /* per queue: desc 256 B, avail, used */

struct fdev {
	struct pci_device *pci;
	uint64_t bar4;
	unsigned nq;
	uint16_t avail_idx[8];
	uint16_t qsize[8];
};

struct fz {
	struct vm *vm;
	struct fdev dev[NDEV];
	const uint8_t *p;
	size_t left;
};

static uint8_t take8(struct fz *f)
{
	if (!f->left)
		return 0;
	f->left--;
	return *f->p++;
}

static uint32_t take32(struct fz *f)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v |= (uint32_t)take8(f) << (8 * i);
	return v;
}

static void cfg_write(struct fz *f, struct fdev *d, unsigned reg, uint32_t val, unsigned size)
{
	uint32_t cf8 = 0x80000000u | (uint32_t)d->pci->devfn << 8 | (reg & 0xfc);
	pio_write(f->vm, 0xcf8, cf8, 4);
	pio_write(f->vm, (uint16_t)(0xcfc + (reg & 3)), val, size);
}

static void mmio_w(struct fz *f, uint64_t addr, uint64_t val, unsigned size)
{
	struct mem_region *r = mem_find(f->vm, addr);
	if (r && r->kind == MEM_MMIO)
		mmio_write(f->vm, r, addr, val, size);
}

static uint64_t mmio_r(struct fz *f, uint64_t addr, unsigned size)
{
	struct mem_region *r = mem_find(f->vm, addr);
	return r && r->kind == MEM_MMIO ? mmio_read(f->vm, r, addr, size) : ~0ull;
}

static uint64_t qbase(unsigned dev, unsigned q)
{
	return AREA + (uint64_t)(dev * 8 + q) * QSTRIDE;
}

/* The modern driver sequence of virtio 1.2 §3.1.1, with the features the
 * input picks (always VERSION_1). */
static void driver_init(struct fz *f, unsigned di, uint32_t feat_lo)
{
	struct fdev *d = &f->dev[di];
	uint64_t cc = d->bar4;
	cfg_write(f, d, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER, 2);
	mmio_w(f, cc + 0x14, 0, 1);
	mmio_w(f, cc + 0x14, 3, 1);
	mmio_w(f, cc + 0x00, 0, 4);
	uint32_t lo = (uint32_t)mmio_r(f, cc + 0x04, 4);
	mmio_w(f, cc + 0x08, 0, 4);
	mmio_w(f, cc + 0x0c, lo & feat_lo, 4);
	mmio_w(f, cc + 0x08, 1, 4);
	mmio_w(f, cc + 0x0c, 1, 4); /* VERSION_1 */
	mmio_w(f, cc + 0x14, 3 | 8, 1);
	d->nq = (unsigned)mmio_r(f, cc + 0x12, 2);
	if (d->nq > 8)
		d->nq = 8;
	for (unsigned q = 0; q < d->nq; q++) {
		uint64_t b = qbase(di, q);
		mmio_w(f, cc + 0x16, q, 2);
		uint16_t max = (uint16_t)mmio_r(f, cc + 0x18, 2);
		d->qsize[q] = max < QSIZE ? max : QSIZE;
		mmio_w(f, cc + 0x18, d->qsize[q], 2);
		/* Honest chains to start from, as a block driver builds them:
		 * header (readable 16 bytes) -> 512 data bytes -> status byte,
		 * a read of sector k; the input then mutates them. */
		for (unsigned i = 0; i < QSIZE; i++) {
			unsigned k = i / 3, r = i % 3;
			uint64_t buf = AREA + 0x80000 + (uint64_t)(di * 8 + q) * 0x2000 + k * 0x400;
			uint64_t addr = r == 0 ? buf : r == 1 ? buf + 0x100 : buf + 0x300;
			uint32_t len = r == 0 ? 16 : r == 1 ? 512 : 1;
			uint16_t flags = (uint16_t)((r < 2 ? 1 : 0) | (r > 0 ? 2 : 0)),
			         next = (uint16_t)(i + 1);
			uint8_t desc[16];
			memcpy(desc, &addr, 8);
			memcpy(desc + 8, &len, 4);
			memcpy(desc + 12, &flags, 2);
			memcpy(desc + 14, &next, 2);
			phys_write(f->vm, b + 16 * i, desc, 16);
			if (r == 0) {
				uint32_t hdr[4] = { 0, 0, k, 0 };
				phys_write(f->vm, buf, hdr, 16);
			}
		}
		mmio_w(f, cc + 0x20, (uint32_t)b, 4);
		mmio_w(f, cc + 0x24, 0, 4);
		mmio_w(f, cc + 0x28, (uint32_t)(b + 0x400), 4);
		mmio_w(f, cc + 0x2c, 0, 4);
		mmio_w(f, cc + 0x30, (uint32_t)(b + 0x800), 4);
		mmio_w(f, cc + 0x34, 0, 4);
		mmio_w(f, cc + 0x1c, 1, 2);
		d->avail_idx[q] = 0;
	}
	mmio_w(f, cc + 0x14, 3 | 8 | 4, 1);
}

static void guest_w(struct fz *f, uint64_t gpa, const void *buf, size_t len)
{
	phys_write(f->vm, gpa, buf, len);
}

static void run_loop(struct fz *f, int rounds)
{
	for (int i = 0; i < rounds; i++)
		loop_poll_once(f->vm, 1000000);
}

/* One op per iteration, chosen by the input. */
static void step(struct fz *f)
{
	uint8_t op = take8(f);
	struct fdev *d = &f->dev[(op >> 4) % NDEV];
	unsigned di = (unsigned)(d - f->dev);
	unsigned q = d->nq ? take8(f) % d->nq : 0;
	uint64_t b = qbase(di, q);
	switch (op & 15) {
	case 0: { /* descriptor: address folded into the guest area (mostly) */
		uint8_t i = take8(f);
		uint64_t addr = AREA + 0x80000 + (take32(f) & 0x7ffff);
		if (i & 0x80)
			addr = (uint64_t)take32(f) << (take8(f) & 31);
		uint32_t len = take8(f) % 2 ? take32(f) : take8(f) * 16u + (i & 1);
		uint16_t flags = take8(f) & 7, next = take8(f) % (QSIZE + 2);
		uint8_t desc[16];
		memcpy(desc, &addr, 8);
		memcpy(desc + 8, &len, 4);
		memcpy(desc + 12, &flags, 2);
		memcpy(desc + 14, &next, 2);
		guest_w(f, b + 16 * (i % (d->qsize[q] ? d->qsize[q] : 1)), desc, 16);
		break;
	}
	case 1: { /* make a chain available */
		unsigned qs = d->qsize[q] ? d->qsize[q] : 1;
		/* heads of the prepared chains (0, 3, 6, ...) most of the time */
		uint8_t h = take8(f);
		uint16_t head = (uint16_t)(h & 0x80 ? h % (qs + 1) : 3 * (h % 5));
		guest_w(f, b + 0x400 + 4 + 2 * (d->avail_idx[q] % qs), &head, 2);
		d->avail_idx[q]++;
		guest_w(f, b + 0x400 + 2, &d->avail_idx[q], 2);
		break;
	}
	case 2: /* notify */ mmio_w(f, d->bar4 + 0x3000 + 4 * q, q, 2); break;
	case 3: /* let block completions and bottom halves run */
		run_loop(f, 1 + take8(f) % 3);
		break;
	case 4: { /* raw bytes anywhere in the data part of the area */
		uint32_t off = take32(f) & 0x7ffff;
		uint8_t n = take8(f) % 32;
		uint8_t buf[32];
		for (unsigned i = 0; i < n; i++)
			buf[i] = take8(f);
		guest_w(f, AREA + 0x80000 + off, buf, n);
		break;
	}
	case 5: { /* a virtio-blk request header (type, sector) */
		uint32_t off = take32(f) & 0x7fff0;
		uint32_t hdr[4] = { take8(f) % 16, 0, take32(f) % 300, 0 };
		guest_w(f, AREA + 0x80000 + off, hdr, 16);
		break;
	}
	case 6: /* any common/device config register */
		mmio_w(f, d->bar4 + (take8(f) & 1 ? 0x2000 : 0) + (take8(f) & 0x3f), take32(f),
		       1u << (take8(f) % 3));
		break;
	case 7: /* ISR read */ (void)mmio_r(f, d->bar4 + 0x1000, 1); break;
	case 8: /* PCI config space (MSI-X enable, command, the cfg window) */
		cfg_write(f, d, take8(f), take32(f), 1u << (take8(f) % 3));
		break;
	case 9: { /* MSI-X table */
		uint64_t t = pci_bar_addr(d->pci, 1);
		if (t)
			mmio_w(f, t + (take8(f) & 0x3c), take32(f), 4);
		break;
	}
	case 10: { /* legacy I/O BAR */
		uint64_t io = pci_bar_addr(d->pci, 0);
		if (io)
			pio_write(f->vm, (uint16_t)(io + (take8(f) & 0x1f)), take32(f),
			          1u << (take8(f) % 3));
		break;
	}
	case 11: /* reset and re-initialise with other features */
		driver_init(f, di, take32(f));
		break;
	case 12: { /* the used ring's flags/event, the avail flags and used_event */
		uint16_t v = (uint16_t)take32(f);
		guest_w(f, b + (take8(f) & 1 ? 0x400 : 0x400 + 4 + 2 * (uint64_t)d->qsize[q]), &v,
		        2);
		break;
	}
	default: break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup_files();
	struct vm_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.machine = "pc";
	cfg.ram_size = 16ull << 20;
	cfg.smp = 1;
	cfg.sockets = cfg.cores = cfg.threads = cfg.maxcpus = 1;
	cfg.bios = fuzz_virtio_bios;
	/* FUZZ_VIRTIO_LOG=1: -d guest_errors on stderr (what the devices refused). */
	if (getenv("FUZZ_VIRTIO_LOG"))
		cfg.log_flags = VM_LOG_GUEST_ERRORS;
	struct error *err = NULL;
	struct fz f;
	memset(&f, 0, sizeof(f));
	f.p = data;
	f.left = size;
	f.vm = vm_new(&cfg, &err);
	if (!f.vm)
		abort();
	struct vm *vm = f.vm;
	const struct machine_class *mc = machine_find("pc");
	char dopt[512];
	snprintf(dopt, sizeof(dopt), "file=%s,format=raw,if=none,id=d0,cache=unsafe,discard=unmap",
	         fuzz_virtio_image);
	const char *devs[] = { "virtio-blk-pci,drive=d0,num-queues=2,queue-size=16",
		               "virtio-rng-pci", "virtio-serial-pci,max_ports=3",
		               "virtserialport,chardev=c0,name=fz.0", "virtconsole,chardev=c1" };
	if (!mc || mc->init(vm, &err) < 0 || drive_add(vm, dopt, false, &err) < 0)
		abort();
	for (int i = 0; i < 2; i++) {
		struct opts *o = opts_parse(i ? "null,id=c1" : "null,id=c0", "backend", &err);
		if (!o || !chardev_new(vm, o, &err))
			abort();
		opts_free(o);
	}
	for (int i = 0; i < 5; i++) {
		struct opts *o = opts_parse(devs[i], "driver", &err);
		struct device *dv = o ? device_create(vm, opts_get(o, "driver"), o, &err) : NULL;
		if (!dv) {
			fprintf(stderr, "fuzz_virtio_dev: %s: %s\n", devs[i], err ? err->msg : "?");
			abort();
		}
		opts_free(o);
		if (i < NDEV) {
			f.dev[i].pci = (struct pci_device *)dv;
			f.dev[i].bar4 = pci_bar_addr(f.dev[i].pci, 4);
		}
	}
	/* From here on the harness is a vCPU: it holds the VM lock. */
	vm_lock(vm);
	for (unsigned i = 0; i < NDEV; i++)
		driver_init(&f, i, take32(&f));
	for (int n = 0; f.left && n < 4096; n++)
		step(&f);
	/* Let in-flight block requests finish (bounded). */
	for (int i = 0; i < 500; i++) {
		uint16_t avail = 0, used = 0;
		phys_read(vm, qbase(0, 0) + 0x400 + 2, &avail, 2);
		phys_read(vm, qbase(0, 0) + 0x800 + 2, &used, 2);
		if (avail == used && i >= 2)
			break;
		run_loop(&f, 1);
	}
	struct fuzz_virtio_result *res = &fuzz_virtio_result;
	memset(res, 0, sizeof(*res));
	for (unsigned i = 0; i < NDEV; i++) {
		res->status[i] = (uint8_t)mmio_r(&f, f.dev[i].bar4 + 0x14, 1);
		for (unsigned q = 0; q < 8; q++)
			phys_read(vm, qbase(i, q) + 0x800 + 2, &res->used_idx[i][q], 2);
	}
	phys_read(vm, AREA + 0x80000 + 0x100, res->blk_data, sizeof(res->blk_data));
	phys_read(vm, AREA + 0x80000 + 0x300, &res->blk_status, 1);
	vm_unlock(vm);
	drive_close_all(vm);
	vm_free(vm);
	return 0;
}
