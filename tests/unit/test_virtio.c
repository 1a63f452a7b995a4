/*
 * The split-virtqueue parser (src/hw/virtio/virtqueue.c) against honest and
 * hostile drivers.  Guest memory is a fake: two RAM "regions" back to back
 * (so buffers can straddle them) in exactly-sized heap blocks, so that any
 * access outside guest RAM is an ASan error in the asan build and an
 * explicit check failure here.  Every hostile ring must leave the device
 * broken (DEVICE_NEEDS_RESET, a config interrupt), never crash.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/virtio/virtio.h"

static int tap_n, tap_bad;
static void ok(int cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	if (!cond)
		tap_bad++;
}

/* ---- fake guest: RAM at [0, 64K) and [64K, 128K) as two regions ---- */
#define REG_SIZE 0x10000u
struct guest {
	uint8_t *reg[2];
	int notifies, config_notifies;
	uint16_t last_vector;
	int dirty_calls;
	int logs;
};

static void *fake_map(void *opaque, uint64_t gpa, uint64_t len, bool write, uint64_t *mapped)
{
	struct guest *g = opaque;
	(void)write;
	if (gpa >= 2ull * REG_SIZE)
		return NULL;
	unsigned r = (unsigned)(gpa / REG_SIZE);
	uint64_t off = gpa % REG_SIZE, n = REG_SIZE - off;
	*mapped = n < len ? n : len;
	return g->reg[r] + off;
}

static void fake_dirty(void *opaque, uint64_t gpa, uint64_t len)
{
	struct guest *g = opaque;
	(void)gpa;
	(void)len;
	g->dirty_calls++;
}

static void fake_notify(struct virtio_device *vdev, uint16_t vector, bool config)
{
	struct guest *g = vdev->mem.opaque;
	if (config)
		g->config_notifies++;
	else
		g->notifies++;
	g->last_vector = vector;
}

static void fake_log(struct virtio_device *vdev, const char *msg)
{
	struct guest *g = vdev->mem.opaque;
	(void)msg;
	g->logs++;
}

static const struct virtio_transport_ops fake_tops = { fake_notify, fake_log };

static uint8_t *gp(struct guest *g, uint64_t gpa) { return g->reg[gpa / REG_SIZE] + gpa % REG_SIZE; }
static void w16(struct guest *g, uint64_t gpa, uint16_t v) { memcpy(gp(g, gpa), &v, 2); }
static void w32(struct guest *g, uint64_t gpa, uint32_t v) { memcpy(gp(g, gpa), &v, 4); }
static void w64(struct guest *g, uint64_t gpa, uint64_t v) { memcpy(gp(g, gpa), &v, 8); }
static uint16_t r16(struct guest *g, uint64_t gpa) { uint16_t v; memcpy(&v, gp(g, gpa), 2); return v; }
static uint32_t r32(struct guest *g, uint64_t gpa) { uint32_t v; memcpy(&v, gp(g, gpa), 4); return v; }

#define QSIZE 8
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define DATA 0x8000

struct rig {
	struct guest g;
	struct virtio_device vdev;
	struct virtqueue *vq;
	uint16_t avail_idx;
};

static void rig_init(struct rig *r, uint64_t features)
{
	memset(r, 0, sizeof(*r));
	r->g.reg[0] = calloc(1, REG_SIZE);
	r->g.reg[1] = calloc(1, REG_SIZE);
	virtio_init(&r->vdev, "virtio-test", 99, 8, 1);
	r->vdev.mem = (struct virtio_mem){ fake_map, fake_dirty, &r->g };
	r->vdev.tops = &fake_tops;
	virtio_set_queue(&r->vdev, 0, QSIZE, NULL);
	r->vq = &r->vdev.vqs[0];
	r->vdev.host_features |= features;
	virtio_set_driver_features(&r->vdev, 0, (uint32_t)features);
	virtio_set_driver_features(&r->vdev, 1, (uint32_t)(features >> 32) | 1); /* VERSION_1 */
	virtio_set_status(&r->vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	virtqueue_set_num(r->vq, QSIZE);
	virtqueue_set_addrs(r->vq, DESC, AVAIL, USED);
	virtqueue_enable(r->vq);
	virtio_set_status(&r->vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
					    VIRTIO_STATUS_DRIVER_OK);
}

static void rig_free(struct rig *r)
{
	virtio_cleanup(&r->vdev);
	free(r->g.reg[0]);
	free(r->g.reg[1]);
}

static void desc(struct rig *r, uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint64_t d = table + 16 * i;
	w64(&r->g, d, addr);
	w32(&r->g, d + 8, len);
	w16(&r->g, d + 12, flags);
	w16(&r->g, d + 14, next);
}

static void make_avail(struct rig *r, uint16_t head)
{
	w16(&r->g, AVAIL + 4 + 2 * (r->avail_idx % QSIZE), head);
	r->avail_idx++;
	w16(&r->g, AVAIL + 2, r->avail_idx);
}

static bool broken(struct rig *r)
{
	return r->vdev.broken && (r->vdev.status & VIRTIO_STATUS_NEEDS_RESET) && r->g.config_notifies > 0;
}

/* Every iovec lies inside the fake RAM. */
static bool elem_in_ram(struct rig *r, const struct virtq_elem *e)
{
	for (unsigned i = 0; i < e->out_num + e->in_num; i++) {
		const uint8_t *p = e->out[i].iov_base;
		size_t n = e->out[i].iov_len;
		bool in = false;
		for (int k = 0; k < 2; k++)
			if (p >= r->g.reg[k] && p + n <= r->g.reg[k] + REG_SIZE)
				in = true;
		if (!in)
			return false;
	}
	return true;
}

/* Pop once and expect the device to go broken. */
static void expect_broken(struct rig *r, const char *what)
{
	void *e = virtqueue_pop(r->vq, sizeof(struct virtq_elem));
	ok(!e && broken(r), "%s: device broken (DEVICE_NEEDS_RESET + config interrupt)", what);
	free(e);
	ok(!virtqueue_pop(r->vq, sizeof(struct virtq_elem)), "%s: nothing more is taken from a broken device", what);
}

static void test_honest(void)
{
	struct rig r;
	rig_init(&r, 0);
	desc(&r, DESC, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 1);
	desc(&r, DESC, 1, DATA + 0x100, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	desc(&r, DESC, 2, DATA + 0x400, 1, VIRTQ_DESC_F_WRITE, 0);
	make_avail(&r, 0);
	struct virtq_elem *e = virtqueue_pop(r.vq, sizeof(*e));
	ok(e && e->out_num == 1 && e->in_num == 2 && e->out_len == 16 && e->in_len == 513 && e->head == 0,
	   "honest chain: 1 readable + 2 writable buffers");
	ok(e && elem_in_ram(&r, e) && e->out[0].iov_base == gp(&r.g, DATA), "iovecs point at the guest buffers");
	ok(e && e->in_addr[1] == DATA + 0x400, "guest addresses of writable buffers are kept");
	ok(!virtqueue_pop(r.vq, sizeof(*e)), "ring empty after one chain");
	if (e) {
		virtqueue_push(r.vq, e, 513);
		virtqueue_notify(r.vq);
	}
	free(e);
	ok(r16(&r.g, USED + 2) == 1 && r32(&r.g, USED + 4) == 0 && r32(&r.g, USED + 8) == 513,
	   "used ring: idx 1, id 0, len 513");
	ok(r.g.notifies == 1 && r.g.dirty_calls == 2, "one interrupt, written buffers marked dirty");
	/* NO_INTERRUPT (without event index) suppresses the next interrupt. */
	w16(&r.g, AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	make_avail(&r, 2);
	e = virtqueue_pop(r.vq, sizeof(*e));
	ok(e && e->out_num == 0 && e->in_num == 1, "a chain of one writable buffer");
	if (e) {
		virtqueue_push(r.vq, e, 1);
		virtqueue_notify(r.vq);
	}
	free(e);
	ok(r.g.notifies == 1, "VIRTQ_AVAIL_F_NO_INTERRUPT suppresses the interrupt");
	ok(!r.vdev.broken, "an honest driver never breaks the device");
	rig_free(&r);
}

/* fill/flush: several chains published by one index update. */
static void test_fill_flush(void)
{
	struct rig r;
	rig_init(&r, 0);
	for (unsigned i = 0; i < 3; i++) {
		desc(&r, DESC, i, DATA + 0x100 * i, 64, VIRTQ_DESC_F_WRITE, 0);
		make_avail(&r, (uint16_t)i);
	}
	struct virtq_elem *e[3];
	for (int i = 0; i < 3; i++)
		e[i] = virtqueue_pop(r.vq, sizeof(struct virtq_elem));
	ok(e[0] && e[1] && e[2], "three chains popped");
	for (unsigned i = 0; i < 3; i++)
		if (e[i])
			virtqueue_fill(r.vq, e[i], 10 + i, i);
	ok(r16(&r.g, USED + 2) == 0, "filled entries are not published yet");
	virtqueue_flush(r.vq, 3);
	ok(r16(&r.g, USED + 2) == 3 && r32(&r.g, USED + 4 + 16) == 2 && r32(&r.g, USED + 4 + 16 + 4) == 12,
	   "flush publishes all three (entry 2: id 2, len 12)");
	for (int i = 0; i < 3; i++)
		free(e[i]);
	rig_free(&r);
}

static void test_split_regions(void)
{
	struct rig r;
	rig_init(&r, 0);
	/* 0x100 bytes before the region boundary, 0x100 after. */
	desc(&r, DESC, 0, REG_SIZE - 0x100, 0x200, VIRTQ_DESC_F_WRITE, 0);
	make_avail(&r, 0);
	struct virtq_elem *e = virtqueue_pop(r.vq, sizeof(*e));
	ok(e && e->in_num == 2 && e->in[0].iov_len == 0x100 && e->in[1].iov_len == 0x100 &&
		   e->in_addr[1] == REG_SIZE && elem_in_ram(&r, e),
	   "a buffer straddling two RAM regions maps to two iovecs");
	free(e);
	rig_free(&r);
}

static void test_indirect_ok(void)
{
	struct rig r;
	rig_init(&r, VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC));
	uint64_t t = 0x5000;
	desc(&r, t, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 1);
	desc(&r, t, 1, DATA + 0x200, 4096, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	desc(&r, t, 2, DATA + 0x2000, 1, VIRTQ_DESC_F_WRITE, 0);
	desc(&r, DESC, 3, t, 48, VIRTQ_DESC_F_INDIRECT, 0);
	make_avail(&r, 3);
	struct virtq_elem *e = virtqueue_pop(r.vq, sizeof(*e));
	ok(e && e->head == 3 && e->out_num == 1 && e->in_num == 2 && e->in_len == 4097,
	   "indirect table of 3 descriptors");
	free(e);
	ok(!r.vdev.broken, "valid indirect table accepted");
	rig_free(&r);
}

typedef void setup_fn(struct rig *r);

static void h_addr_oob(struct rig *r) { desc(r, DESC, 0, 0x40000, 64, 0, 0); make_avail(r, 0); }
static void h_addr_wrap(struct rig *r) { desc(r, DESC, 0, ~0ull - 7, 16, 0, 0); make_avail(r, 0); }
static void h_addr_tail(struct rig *r) { desc(r, DESC, 0, 2 * REG_SIZE - 8, 16, 0, 0); make_avail(r, 0); }
static void h_head_oob(struct rig *r) { make_avail(r, QSIZE); }
static void h_head_huge(struct rig *r) { make_avail(r, 0xffff); }
static void h_next_oob(struct rig *r) { desc(r, DESC, 0, DATA, 16, VIRTQ_DESC_F_NEXT, QSIZE + 3); make_avail(r, 0); }
static void h_loop(struct rig *r)
{
	desc(r, DESC, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 1);
	desc(r, DESC, 1, DATA, 16, VIRTQ_DESC_F_NEXT, 0);
	make_avail(r, 0);
}
static void h_self_loop(struct rig *r) { desc(r, DESC, 5, DATA, 16, VIRTQ_DESC_F_NEXT, 5); make_avail(r, 5); }
static void h_zero_len(struct rig *r) { desc(r, DESC, 0, DATA, 0, 0, 0); make_avail(r, 0); }
static void h_zero_len_mid(struct rig *r)
{
	desc(r, DESC, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 1);
	desc(r, DESC, 1, DATA, 0, VIRTQ_DESC_F_WRITE, 0);
	make_avail(r, 0);
}
static void h_order(struct rig *r)
{
	desc(r, DESC, 0, DATA, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	desc(r, DESC, 1, DATA, 16, 0, 0);
	make_avail(r, 0);
}
static void h_avail_jump(struct rig *r)
{
	desc(r, DESC, 0, DATA, 16, 0, 0);
	w16(&r->g, AVAIL + 2, QSIZE + 1);
}
static void h_avail_back(struct rig *r)
{
	desc(r, DESC, 0, DATA, 16, 0, 0);
	w16(&r->g, AVAIL + 2, 0xfff0);
}
static void h_ind_nofeature(struct rig *r)
{
	desc(r, 0x5000, 0, DATA, 16, 0, 0);
	desc(r, DESC, 0, 0x5000, 16, VIRTQ_DESC_F_INDIRECT, 0);
	make_avail(r, 0);
}
static void h_ind_badlen(struct rig *r)
{
	desc(r, 0x5000, 0, DATA, 16, 0, 0);
	desc(r, DESC, 0, 0x5000, 17, VIRTQ_DESC_F_INDIRECT, 0);
	make_avail(r, 0);
}
static void h_ind_zerolen(struct rig *r) { desc(r, DESC, 0, 0x5000, 0, VIRTQ_DESC_F_INDIRECT, 0); make_avail(r, 0); }
static void h_ind_huge(struct rig *r) { desc(r, DESC, 0, 0x5000, 0xfffffff0u, VIRTQ_DESC_F_INDIRECT, 0); make_avail(r, 0); }
static void h_ind_oob(struct rig *r) { desc(r, DESC, 0, 2 * REG_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0); make_avail(r, 0); }
static void h_ind_nested(struct rig *r)
{
	desc(r, 0x5000, 0, 0x6000, 16, VIRTQ_DESC_F_INDIRECT, 0);
	desc(r, 0x6000, 0, DATA, 16, 0, 0);
	desc(r, DESC, 0, 0x5000, 16, VIRTQ_DESC_F_INDIRECT, 0);
	make_avail(r, 0);
}
static void h_ind_next(struct rig *r)
{
	desc(r, 0x5000, 0, DATA, 16, 0, 0);
	desc(r, DESC, 0, 0x5000, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	desc(r, DESC, 1, DATA, 16, 0, 0);
	make_avail(r, 0);
}
static void h_ind_loop(struct rig *r)
{
	desc(r, 0x5000, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 1);
	desc(r, 0x5000, 1, DATA, 16, VIRTQ_DESC_F_NEXT, 0);
	desc(r, DESC, 0, 0x5000, 32, VIRTQ_DESC_F_INDIRECT, 0);
	make_avail(r, 0);
}
static void h_ind_next_oob(struct rig *r)
{
	desc(r, 0x5000, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 2);
	desc(r, DESC, 0, 0x5000, 32, VIRTQ_DESC_F_INDIRECT, 0);
	make_avail(r, 0);
}
static void h_ind_in_chain(struct rig *r)
{
	desc(r, 0x5000, 0, DATA, 16, 0, 0);
	desc(r, DESC, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 1);
	desc(r, DESC, 1, 0x5000, 16, VIRTQ_DESC_F_INDIRECT, 0);
	make_avail(r, 0);
}

static void test_hostile(void)
{
	static const struct {
		const char *name;
		setup_fn *fn;
	} cases[] = {
		{ "buffer beyond guest RAM", h_addr_oob },
		{ "buffer address wrapping 2^64", h_addr_wrap },
		{ "buffer running off the end of RAM", h_addr_tail },
		{ "head index = queue size", h_head_oob },
		{ "head index 0xffff", h_head_huge },
		{ "next index out of range", h_next_oob },
		{ "two-descriptor loop", h_loop },
		{ "descriptor chained to itself", h_self_loop },
		{ "zero-length buffer", h_zero_len },
		{ "zero-length buffer inside a chain", h_zero_len_mid },
		{ "readable after writable", h_order },
		{ "avail index jumping past the ring size", h_avail_jump },
		{ "avail index moving backwards", h_avail_back },
		{ "indirect without the feature", h_ind_nofeature },
		{ "indirect table length not a multiple of 16", h_ind_badlen },
		{ "indirect table of length 0", h_ind_zerolen },
		{ "indirect table of 4 GiB", h_ind_huge },
		{ "indirect table outside RAM", h_ind_oob },
		{ "nested indirect table", h_ind_nested },
		{ "indirect with NEXT", h_ind_next },
		{ "loop inside an indirect table", h_ind_loop },
		{ "next out of range in an indirect table", h_ind_next_oob },
		{ "indirect descriptor in the middle of a chain", h_ind_in_chain },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rig r;
		uint64_t f = cases[i].fn == h_ind_nofeature ? 0 : VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC);
		rig_init(&r, f);
		cases[i].fn(&r);
		expect_broken(&r, cases[i].name);
		/* A reset brings the device back. */
		virtio_reset(&r.vdev);
		ok(!r.vdev.broken && !(r.vdev.status & VIRTIO_STATUS_NEEDS_RESET), "%s: reset clears the broken state",
		   cases[i].name);
		rig_free(&r);
	}
}

static void test_bad_rings(void)
{
	static const struct {
		const char *name;
		uint16_t num;
		uint64_t d, a, u;
	} cases[] = {
		{ "queue size not a power of two", 6, DESC, AVAIL, USED },
		{ "queue size above the maximum", QSIZE * 2, DESC, AVAIL, USED },
		{ "queue size 0", 0, DESC, AVAIL, USED },
		{ "descriptor table misaligned", QSIZE, DESC + 8, AVAIL, USED },
		{ "used ring misaligned", QSIZE, DESC, AVAIL, USED + 2 },
		{ "descriptor table outside RAM", QSIZE, 0x7fff0000, AVAIL, USED },
		{ "used ring running off RAM", QSIZE, DESC, AVAIL, 2 * REG_SIZE - 16 },
		{ "avail ring at 2^64-2", QSIZE, DESC, ~1ull, USED },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rig r;
		rig_init(&r, 0);
		virtqueue_reset(r.vq);
		virtqueue_set_num(r.vq, cases[i].num);
		virtqueue_set_addrs(r.vq, cases[i].d, cases[i].a, cases[i].u);
		int rc = virtqueue_enable(r.vq);
		ok(rc < 0 && broken(&r), "%s: device broken", cases[i].name);
		make_avail(&r, 0);
		virtqueue_kick(r.vq);
		ok(!virtqueue_pop(r.vq, sizeof(struct virtq_elem)), "%s: queue not used", cases[i].name);
		rig_free(&r);
	}
}

static void test_event_idx(void)
{
	struct rig r;
	rig_init(&r, VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX));
	for (int i = 0; i < 4; i++)
		desc(&r, DESC, (unsigned)i, DATA + 0x100 * (unsigned)i, 16, VIRTQ_DESC_F_WRITE, 0);
	/* used_event = 1: interrupt only once the used index passes 1. */
	w16(&r.g, AVAIL + 4 + 2 * QSIZE, 1);
	for (int i = 0; i < 4; i++)
		make_avail(&r, (uint16_t)i);
	int got[4];
	for (int i = 0; i < 4; i++) {
		struct virtq_elem *e = virtqueue_pop(r.vq, sizeof(*e));
		if (!e) {
			got[i] = -1;
			continue;
		}
		virtqueue_push(r.vq, e, 16);
		free(e);
		int before = r.g.notifies;
		virtqueue_notify(r.vq);
		got[i] = r.g.notifies - before;
	}
	/* First notify always fires (nothing signalled yet); then only when
	 * used idx crosses used_event+1 = 2. */
	ok(got[0] == 1 && got[1] == 1 && got[2] == 0 && got[3] == 0, "event index: interrupts %d %d %d %d (want 1 1 0 0)",
	   got[0], got[1], got[2], got[3]);
	ok(r16(&r.g, USED + 4 + 8 * QSIZE) == 4, "avail_event follows the entries taken (%u)",
	   r16(&r.g, USED + 4 + 8 * QSIZE));
	ok(virtqueue_empty(r.vq), "queue empty");
	rig_free(&r);
}

static void test_features(void)
{
	struct rig r;
	rig_init(&r, 0);
	virtio_reset(&r.vdev);
	virtio_set_driver_features(&r.vdev, 0, 0);
	virtio_set_driver_features(&r.vdev, 1, 0); /* no VERSION_1 */
	virtio_set_status(&r.vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	ok(!(r.vdev.status & VIRTIO_STATUS_FEATURES_OK), "modern driver without VERSION_1: FEATURES_OK refused");
	virtio_reset(&r.vdev);
	virtio_set_driver_features(&r.vdev, 1, 1 | 0x80000000u); /* a bit we never offered */
	virtio_set_status(&r.vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	ok(!(r.vdev.status & VIRTIO_STATUS_FEATURES_OK), "unoffered feature bit: FEATURES_OK refused");
	virtio_reset(&r.vdev);
	virtio_set_driver_features(&r.vdev, 1, 1);
	virtio_set_status(&r.vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	ok(r.vdev.status & VIRTIO_STATUS_FEATURES_OK, "subset with VERSION_1: FEATURES_OK kept");
	virtio_set_driver_features(&r.vdev, 0, 0xffffffffu);
	ok(!(r.vdev.guest_features & 0xffffffffu), "features frozen after FEATURES_OK");
	virtio_set_status(&r.vdev, r.vdev.status | VIRTIO_STATUS_NEEDS_RESET);
	ok(!(r.vdev.status & VIRTIO_STATUS_NEEDS_RESET), "the driver cannot set DEVICE_NEEDS_RESET");
	ok(virtio_config_read(&r.vdev, 6, 4) == 0 && virtio_config_read(&r.vdev, 100, 4) == 0,
	   "config reads past the end return 0");
	virtio_config_write(&r.vdev, 7, 0xffffffffu, 4); /* ignored: runs past the end */
	ok(r.vdev.config[7] == 0, "config writes past the end are ignored");
	rig_free(&r);
}

/* Pseudo-random hostile rings through the fuzz target. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void test_fuzz(void)
{
	uint64_t s = 0x243f6a8885a308d3ull;
	static uint8_t buf[4096];
	int runs = 0;
	for (int i = 0; i < 20000; i++) {
		size_t n = 16 + (size_t)(i % 1500);
		for (size_t k = 0; k < n; k++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			/* Small numbers are interesting: indices, flags, lengths. */
			buf[k] = (s & 1) ? (uint8_t)(s >> 32) : (uint8_t)((s >> 8) & 0x1f);
		}
		LLVMFuzzerTestOneInput(buf, n);
		runs++;
	}
	ok(runs == 20000, "%d pseudo-random rings through the fuzz target without a fault", runs);
}

int main(void)
{
	test_honest();
	test_split_regions();
	test_fill_flush();
	test_indirect_ok();
	test_hostile();
	test_bad_rings();
	test_event_idx();
	test_features();
	test_fuzz();
	printf("1..%d\n", tap_n);
	return tap_bad ? 1 : 0;
}
