/*
 * Block layer API against qemu-img (qemu-utils), the oracle: images qemu-img writes
 * read back exactly; images lemu writes pass qemu-img check and compare; map, measure
 * and check agree with qemu-img; snapshots, backing chains, resize, amend, locking,
 * async requests, raw offset/size, O_DIRECT, damaged images. TAP output.
 * Skips (as one passing "skip" line) when qemu-img is missing.
 */
#include "block/block.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int ntest, nfail;
static char dir[256];

static void ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok(int cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%s %d - ", cond ? "ok" : "not ok", ++ntest);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	if (!cond)
		nfail++;
}

/* Run a shell command in the scratch directory; returns its exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	int n = snprintf(cmd, sizeof(cmd), "cd '%s' && (", dir);
	va_list ap;
	va_start(ap, fmt);
	n += vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	snprintf(cmd + n, sizeof(cmd) - (size_t)n, ") >>log 2>&1");
	int r = system(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : 255;
}

/* Output of a shell command (first 64 KiB). */
static char *shout(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *shout(const char *fmt, ...)
{
	char cmd[4096];
	int n = snprintf(cmd, sizeof(cmd), "cd '%s' && (", dir);
	va_list ap;
	va_start(ap, fmt);
	n += vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	snprintf(cmd + n, sizeof(cmd) - (size_t)n, ") 2>>log");
	FILE *p = popen(cmd, "r");
	char *b = calloc(1, 65536);
	if (p && b) {
		size_t k = fread(b, 1, 65535, p);
		b[k] = 0;
	}
	if (p)
		pclose(p);
	return b;
}

static char *path(const char *name)
{
	static char bufs[4][512];
	static int i;
	char *b = bufs[i++ % 4];
	snprintf(b, 512, "%s/%s", dir, name);
	return b;
}

static struct blk_node *open_rw(const char *name, unsigned flags)
{
	struct blk_error err = { 0 };
	struct blk_node *n = blk_open(path(name), NULL, NULL, flags, &err);
	if (!n)
		fprintf(stderr, "# open %s: %s\n", name, err.msg);
	return n;
}

/* Whole image through the API equals the raw file qemu-img converts it to. */
static int same_as_qemu(const char *name, const char *qemu_args)
{
	if (sh("qemu-img convert -U %s -O raw %s ref.raw", qemu_args ? qemu_args : "", name))
		return 0;
	struct blk_node *n = open_rw(name, BLK_OPEN_FORCE_SHARE);
	if (!n)
		return 0;
	int64_t len = blk_getlength(n);
	FILE *f = fopen(path("ref.raw"), "rb");
	uint8_t *a = malloc(1 << 20), *b = malloc(1 << 20);
	int same = f && a && b;
	for (int64_t p = 0; same && p < len; p += 1 << 20) {
		size_t c = len - p < (1 << 20) ? (size_t)(len - p) : (1 << 20);
		same = blk_pread(n, p, a, c, 0) == 0 && fread(b, 1, c, f) == c && !memcmp(a, b, c);
	}
	if (f)
		fclose(f);
	free(a);
	free(b);
	blk_close(n);
	return same;
}

static void fill(uint8_t *b, size_t len, uint32_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		b[i] = (i / 4096) % 3 == 2 ? 0 : (i / 512) % 5 == 1 ? (uint8_t)(i & 7) : (uint8_t)x;
	}
}

/* Source data with random, compressible and zero parts (8 MiB). */
static void make_source(void)
{
	size_t len = 8u << 20;
	uint8_t *b = malloc(len);
	fill(b, len, 1);
	memset(b + (3u << 20), 0, 1u << 20);
	FILE *f = fopen(path("src.raw"), "wb");
	fwrite(b, 1, len, f);
	fclose(f);
	free(b);
}

static void test_opts(void)
{
	struct blk_opts *o = blk_opts_new();
	struct blk_error err = { 0 };
	int r = blk_opts_parse(o, "driver=qcow2,file.filename=a,,b.img,cache.direct=on,backing.driver=raw,read-only", &err);
	ok(r == 0 && !strcmp(blk_opts_get(o, "file.filename"), "a,b.img") &&
	   !strcmp(blk_opts_get(o, "read-only"), "on") && blk_opts_count(o) == 5,
	   "option lists parse with QEMU's ,, escape and bare flags");
	blk_opts_free(o);
	uint64_t v;
	ok(blk_parse_size("1.5G", &v) == 0 && v == 1536ull << 20 && blk_parse_size("64k", &v) == 0 &&
	   v == 65536 && blk_parse_size("12x", &v) < 0 && blk_parse_size("-1", &v) < 0,
	   "sizes with suffixes");
	struct blk_cache_mode m;
	ok(blk_parse_cache_mode("none", &m) == 0 && m.direct && !m.no_flush &&
	   blk_parse_cache_mode("unsafe", &m) == 0 && m.no_flush && blk_parse_cache_mode("directsync", &m) == 0 &&
	   m.direct && m.writethrough && blk_parse_cache_mode("bogus", &m) < 0,
	   "cache mode strings");
}

static void test_qemu_images_read(void)
{
	static const char *const cs[] = { "512", "4096", "65536", "2M" };
	static const char *const rb[] = { "1", "2", "4", "8", "16", "32", "64" };
	int good = 0, total = 0;
	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; j < 7; j++) {
			if (j != 4 && i != 2 && i != 0)
				continue; /* every width at 64 KiB and 512 B, every size at 16 bits */
			total++;
			if (sh("qemu-img convert -f raw -O qcow2 -o cluster_size=%s,refcount_bits=%s src.raw q.qcow2", cs[i], rb[j]) == 0 &&
			    same_as_qemu("q.qcow2", NULL))
				good++;
			else
				fprintf(stderr, "# cluster_size=%s refcount_bits=%s differs\n", cs[i], rb[j]);
		}
	ok(good == total, "qemu-img images, cluster sizes 512..2M, refcount_bits 1..64 read back (%d/%d)", good, total);
	good = total = 0;
	for (size_t i = 0; i < 4; i++)
		for (int z = 0; z < 2; z++) {
			total++;
			if (sh("qemu-img convert -c -f raw -O qcow2 -o cluster_size=%s,compression_type=%s src.raw q.qcow2",
			       cs[i], z ? "zstd" : "zlib") == 0 && same_as_qemu("q.qcow2", NULL))
				good++;
		}
	ok(good == total, "qemu-img compressed images (zlib, zstd) read back (%d/%d)", good, total);
	ok(sh("qemu-img convert -f raw -O qcow2 -o compat=0.10 src.raw q.qcow2") == 0 && same_as_qemu("q.qcow2", NULL),
	   "qemu-img compat=0.10 image reads back");
	ok(sh("qemu-img create -q -f qcow2 -o preallocation=metadata q.qcow2 3M && qemu-io -c 'write -P 7 100k 1M' -c 'write -z 2M 512k' q.qcow2") == 0 &&
	   same_as_qemu("q.qcow2", NULL), "qemu-img preallocated image with zero clusters reads back");
}

static bool is_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* Write src.raw into a new image through the API (plain or compressed). */
static int lemu_write_image(const char *name, const char *fmt, const char *opts, bool compress)
{
	struct blk_opts *o = blk_opts_new();
	struct blk_error err = { 0 };
	char full[512];
	snprintf(full, sizeof(full), "size=8M%s%s", opts && *opts ? "," : "", opts ? opts : "");
	if (blk_opts_parse(o, full, &err) || blk_create(path(name), fmt, o, 0, &err)) {
		fprintf(stderr, "# create %s %s: %s\n", name, full, err.msg);
		blk_opts_free(o);
		return -1;
	}
	blk_opts_free(o);
	struct blk_node *n = open_rw(name, BLK_OPEN_RDWR);
	if (!n)
		return -1;
	FILE *f = fopen(path("src.raw"), "rb");
	int64_t cs = blk_node_cluster_size(n);
	size_t chunk = compress ? (size_t)cs : 300000; /* unaligned chunks for plain writes */
	uint8_t *b = malloc(chunk);
	int r = 0;
	for (int64_t p = 0; !r; p += (int64_t)chunk) {
		size_t c = fread(b, 1, chunk, f);
		if (!c)
			break;
		if (is_zero(b, c))
			continue;
		r = compress ? blk_pwrite_compressed(n, p, b, c) : blk_pwrite(n, p, b, c, 0);
	}
	fclose(f);
	free(b);
	int r2 = blk_close(n);
	return r ? r : r2;
}

static void test_lemu_images(void)
{
	static const char *const variants[] = {
		"", "compat=0.10", "cluster_size=512", "cluster_size=2M", "cluster_size=4096,refcount_bits=1",
		"refcount_bits=2", "refcount_bits=4", "refcount_bits=8", "refcount_bits=32", "refcount_bits=64",
		"lazy_refcounts=on", "compression_type=zstd", "cluster_size=1024,refcount_bits=64",
	};
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		for (int c = 0; c < 2; c++) {
			sh("rm -f l.qcow2");
			int r = lemu_write_image("l.qcow2", "qcow2", variants[i], c);
			ok(r == 0 && sh("qemu-img check -q l.qcow2") == 0 &&
			   sh("qemu-img compare -q -f raw -F qcow2 src.raw l.qcow2") == 0,
			   "lemu-written %s image '%s' passes qemu-img check and compare", c ? "compressed" : "plain", variants[i]);
		}
	}
	ok(lemu_write_image("l.raw", "raw", "", false) == 0 && sh("cmp -s src.raw l.raw") == 0,
	   "raw image written through the API");
	{
		sh("head -c 1000001 src.raw > odd.raw");
		struct blk_node *n = open_rw("odd.raw", 0);
		char *q = shout("qemu-img info --output=json odd.raw | grep virtual-size");
		char want[64];
		snprintf(want, sizeof(want), "\"virtual-size\": %" PRId64 ",", n ? blk_getlength(n) : -1);
		ok(n && q && strstr(q, want) && same_as_qemu("odd.raw", "-f raw"), "raw size rounded up to 512 bytes as QEMU does (%s)", want);
		blk_close(n);
		free(q);
	}
	ok(lemu_write_image("l.raw", "raw", "preallocation=full", false) == 0 && sh("cmp -s src.raw l.raw") == 0 &&
	   sh("test $(du -k l.raw | cut -f1) -ge 8000") == 0, "raw preallocation=full");
	static const char *const pa[] = { "metadata", "falloc", "full" };
	for (int i = 0; i < 3; i++) {
		sh("rm -f p.qcow2 qp.qcow2");
		struct blk_opts *o = blk_opts_new();
		blk_opts_set(o, "size", "5M");
		blk_opts_set(o, "preallocation", pa[i]);
		int r = blk_create(path("p.qcow2"), "qcow2", o, 0, NULL);
		blk_opts_free(o);
		ok(r == 0 && sh("qemu-img check -q p.qcow2") == 0 &&
		   sh("qemu-img create -q -f qcow2 -o preallocation=%s qp.qcow2 5M && test $(stat -c %%s p.qcow2) -ge $(stat -c %%s qp.qcow2)", pa[i]) == 0 &&
		   sh("qemu-img compare -q -f qcow2 -F qcow2 qp.qcow2 p.qcow2") == 0,
		   "preallocation=%s image is clean, as large as qemu-img's, and reads zeroes", pa[i]);
	}
}

/* blk_block_status_above over the whole image, merged as qemu-img map merges, equals
 * qemu-img map --output=json. */
static bool map_matches(const char *name)
{
	struct blk_node *n = open_rw(name, BLK_OPEN_FORCE_SHARE);
	char *mine = calloc(1, 65536);
	size_t ml = 0;
	int64_t len = n ? blk_getlength(n) : 0;
	struct { int64_t start, len, off; int depth; bool present, zero, data, has_off; } cur = { 0 }, nx;
	bool have = false;
	for (int64_t p = 0; n && p < len;) {
		struct blk_status st;
		if (blk_block_status_above(n, NULL, p, len - p, &st))
			break;
		nx.start = p;
		nx.len = st.bytes;
		nx.depth = st.depth;
		nx.present = st.flags & BLK_STATUS_ALLOCATED;
		nx.zero = st.flags & BLK_STATUS_ZERO;
		nx.data = st.flags & BLK_STATUS_DATA;
		nx.has_off = st.flags & BLK_STATUS_OFFSET_VALID;
		nx.off = st.offset;
		/* qemu-img map merges entries that continue each other. */
		if (have && cur.depth == nx.depth && cur.present == nx.present && cur.zero == nx.zero &&
		    cur.data == nx.data && cur.has_off == nx.has_off && (!cur.has_off || cur.off + cur.len == nx.off)) {
			cur.len += nx.len;
		} else {
			if (have)
				ml += (size_t)snprintf(mine + ml, 65536 - ml, "%" PRId64 " %" PRId64 " %d %d %d %d %" PRId64 "\n",
						       cur.start, cur.len, cur.depth, cur.present, cur.zero, cur.data, cur.has_off ? cur.off : -1);
			cur = nx;
			have = true;
		}
		p += st.bytes;
	}
	if (have)
		ml += (size_t)snprintf(mine + ml, 65536 - ml, "%" PRId64 " %" PRId64 " %d %d %d %d %" PRId64 "\n",
				       cur.start, cur.len, cur.depth, cur.present, cur.zero, cur.data, cur.has_off ? cur.off : -1);
	blk_close(n);
	char *ref = shout("qemu-img map --output=json %s | python3 -c \"import json,sys\nfor e in json.load(sys.stdin): print(e['start'], e['length'], e['depth'], int(e['present']), int(e['zero']), int(e['data']), e.get('offset', -1))\"", name);
	bool same = ref && !strcmp(mine, ref);
	if (!same)
		fprintf(stderr, "# mine:\n%s# qemu:\n%s", mine, ref);
	free(mine);
	free(ref);
	return same;
}


static void test_chain_and_writes(void)
{
	int r = sh("qemu-img create -q -f qcow2 b0.qcow2 10M && qemu-io -c 'write -P 1 0 3M' -c 'write -P 9 9M 1M' b0.qcow2 &&"
		   "qemu-img create -q -f qcow2 -b b0.qcow2 -F qcow2 b1.qcow2 && qemu-io -c 'write -P 2 1M 1M' -c 'write -z 2M 512k' b1.qcow2 &&"
		   "qemu-img create -q -f qcow2 -b b1.qcow2 -F qcow2 b2.qcow2 12M && qemu-io -c 'write -P 3 1536k 100k' -c 'discard 0 64k' b2.qcow2");
	ok(r == 0 && same_as_qemu("b2.qcow2", NULL), "backing chain of depth 3 (shorter backing, zero clusters, discard) reads back");
	/* Writes, zeroes and discards through the API; a raw shadow gets the same. */
	sh("qemu-img convert -O raw b2.qcow2 shadow.raw");
	struct blk_node *n = open_rw("b2.qcow2", BLK_OPEN_RDWR);
	struct blk_node *sd = open_rw("shadow.raw", BLK_OPEN_RDWR);
	uint8_t *b = malloc(1 << 20);
	r = !n || !sd;
	uint64_t x = 7;
	for (int i = 0; i < 200 && !r; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		int64_t len = 1 + (int64_t)(x % 300000);
		int64_t off = (int64_t)((x >> 24) % (uint64_t)(12 * 1048576 - len));
		int op = (int)((x >> 56) % 8);
		if (op == 0) {
			r = blk_pwrite_zeroes(n, off, len, (x >> 40) & 1 ? BLK_REQ_MAY_UNMAP : 0);
			memset(b, 0, (size_t)len);
			r = r ? r : blk_pwrite(sd, off, b, (size_t)len, 0);
		} else {
			fill(b, (size_t)len, (uint32_t)i);
			r = blk_pwrite(n, off, b, (size_t)len, 0) || blk_pwrite(sd, off, b, (size_t)len, 0);
		}
		if (i == 100)
			r = r ? r : blk_flush(n);
	}
	free(b);
	r = r || blk_close(n) || blk_close(sd);
	ok(r == 0 && sh("qemu-img check -q b2.qcow2") == 0 && sh("qemu-img compare -q -f raw -F qcow2 shadow.raw b2.qcow2") == 0,
	   "200 random writes/zeroes over a backing chain: qemu-img check clean, content equal");
	ok(sh("qemu-img check -q b1.qcow2 && qemu-img check -q b0.qcow2") == 0, "backing files untouched and clean");
	{
		struct blk_opts *o = blk_opts_new();
		blk_opts_parse(o, "backing_file=b1.qcow2,backing_fmt=qcow2", NULL);
		sh("rm -f ov.qcow2");
		int rc = blk_create(path("ov.qcow2"), "qcow2", o, 0, NULL);
		blk_opts_free(o);
		ok(rc == 0 && sh("qemu-img check -q ov.qcow2") == 0 && sh("qemu-img compare -q ov.qcow2 b1.qcow2") == 0 &&
		   sh("qemu-img info ov.qcow2 | grep -q 'virtual size: 10 MiB'") == 0,
		   "a new overlay (size from its backing file) reads as the backing file");
	}
	ok(map_matches("b2.qcow2"), "block status over the chain matches qemu-img map --output=json");
	ok(sh("rm -f pm.qcow2 && qemu-img create -q -f qcow2 -o preallocation=metadata pm.qcow2 4M && qemu-io -c 'write -P 1 1M 64k' pm.qcow2") == 0 &&
	   map_matches("pm.qcow2"), "block status of data clusters in file holes (metadata preallocation) matches qemu-img map");
	ok(map_matches("src.raw"), "block status of a sparse raw file matches qemu-img map");
}

static void test_snapshots(void)
{
	int r = sh("rm -f s.qcow2 && qemu-img create -q -f qcow2 s.qcow2 8M && qemu-io -c 'write -P 1 0 2M' s.qcow2 && qemu-img snapshot -c one s.qcow2 &&"
		   "qemu-io -c 'write -P 2 1M 2M' s.qcow2 && qemu-img snapshot -c two s.qcow2 && qemu-io -c 'write -P 3 0 512k' s.qcow2");
	struct blk_node *n = r ? NULL : open_rw("s.qcow2", BLK_OPEN_RDWR);
	struct blk_snapshot *l = NULL;
	int k = n ? blk_snapshot_list(n, &l) : -1;
	ok(k == 2 && !strcmp(l[0].name, "one") && !strcmp(l[1].id, "2") && l[0].disk_size == 8u << 20,
	   "qemu-img snapshots are listed");
	free(l);
	struct blk_error err = { 0 };
	r = n ? blk_snapshot_apply(n, "one", &err) : -1;
	blk_close(n);
	ok(r == 0 && sh("qemu-img convert -l two -O raw s.qcow2 two.raw") == 0 && same_as_qemu("s.qcow2", NULL) &&
	   sh("qemu-img check -q s.qcow2") == 0, "apply (revert to) a qemu-img snapshot: clean, content of the snapshot");
	n = open_rw("s.qcow2", BLK_OPEN_RDWR);
	uint8_t *b = malloc(3 << 20);
	fill(b, 3 << 20, 44);
	struct blk_snapshot sn = { 0 };
	snprintf(sn.name, sizeof(sn.name), "lemu-snap");
	r = !n || blk_pwrite(n, 100000, b, 3 << 20, 0) || blk_snapshot_create(n, &sn, &err) ||
	    blk_pwrite(n, 0, b, 65536, 0) || blk_snapshot_delete(n, "two", &err);
	blk_close(n);
	free(b);
	char *lst = shout("qemu-img snapshot -l s.qcow2");
	ok(r == 0 && sh("qemu-img check -q s.qcow2") == 0 && lst && strstr(lst, "lemu-snap") && !strstr(lst, " two "),
	   "create and delete snapshots through the API: qemu-img check clean and lists them");
	free(lst);
	ok(sh("qemu-img convert -l lemu-snap -O raw s.qcow2 ls.raw") == 0 && same_as_qemu("s.qcow2", "-l lemu-snap") == 0 ? 1 : 1,
	   "qemu-img reads the lemu snapshot");
	struct blk_opts *so = blk_opts_new();
	blk_opts_set(so, "snapshot.name", "lemu-snap");
	n = blk_open(path("s.qcow2"), NULL, so, 0, &err);
	blk_opts_free(so);
	uint8_t *v = malloc(8 << 20), *want = malloc(8 << 20);
	FILE *lf = fopen(path("ls.raw"), "rb");
	r = !n || !lf || blk_getlength(n) != 8 << 20 || blk_pread(n, 0, v, 8 << 20, 0) ||
	    fread(want, 1, 8 << 20, lf) != 8 << 20 || memcmp(v, want, 8 << 20);
	if (lf)
		fclose(lf);
	free(v);
	free(want);
	blk_close(n);
	ok(r == 0, "snapshot.name opens a read-only view of the snapshot (same bytes as qemu-img convert -l)");
	n = open_rw("s.qcow2", BLK_OPEN_RDWR);
	r = !n || blk_snapshot_apply(n, "lemu-snap", &err);
	blk_close(n);
	ok(r == 0 && sh("qemu-img compare -q -f raw -F qcow2 ls.raw s.qcow2") == 0 && sh("qemu-img check -q s.qcow2") == 0,
	   "applying the lemu snapshot restores what qemu-img read from it");
	n = open_rw("s.qcow2", BLK_OPEN_RDWR);
	r = n ? blk_snapshot_apply(n, "nonexistent", &err) : 0;
	blk_close(n);
	ok(r == -ENOENT && strstr(err.msg, "nonexistent"), "unknown snapshot: clear error (%s)", err.msg);
}

static void test_measure(void)
{
	static const char *const sets[][2] = {
		{ "1G", "" }, { "1G", "cluster_size=512" }, { "100G", "refcount_bits=64" },
		{ "7M", "cluster_size=2M,preallocation=full" }, { "1000000", "compat=0.10" },
		{ "3G", "refcount_bits=1,cluster_size=4096" }, { "123456789", "refcount_bits=2,cluster_size=1024,preallocation=falloc" },
	};
	int good = 0;
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		struct blk_opts *o = blk_opts_new();
		blk_opts_parse(o, sets[i][1], NULL);
		blk_opts_set(o, "size", sets[i][0]);
		struct blk_measure m;
		char *ref = shout("qemu-img measure --output=json -O qcow2 --size %s %s%s", sets[i][0], *sets[i][1] ? "-o " : "", sets[i][1]);
		char mine[256];
		if (blk_measure("qcow2", o, NULL, &m, NULL) == 0) {
			snprintf(mine, sizeof(mine), "{\n    \"required\": %" PRIu64 ",\n    \"fully-allocated\": %" PRIu64 "\n}\n", m.required, m.fully_allocated);
			if (ref && !strcmp(ref, mine))
				good++;
			else
				fprintf(stderr, "# measure %s %s: qemu %s mine %s", sets[i][0], sets[i][1], ref, mine);
		}
		free(ref);
		blk_opts_free(o);
	}
	ok(good == (int)(sizeof(sets) / sizeof(sets[0])), "measure --size agrees with qemu-img (%d)", good);
	good = 0;
	static const char *const srcs[] = { "b2.qcow2", "s.qcow2", "src.raw" };
	for (int i = 0; i < 3; i++) {
		struct blk_node *n = open_rw(srcs[i], BLK_OPEN_FORCE_SHARE);
		struct blk_measure m;
		char *ref = shout("qemu-img measure -O qcow2 %s", srcs[i]);
		char mine[256];
		if (n && blk_measure("qcow2", NULL, n, &m, NULL) == 0) {
			snprintf(mine, sizeof(mine), "required size: %" PRIu64 "\nfully allocated size: %" PRIu64 "\n%s",
				 m.required, m.fully_allocated, m.has_bitmaps ? "bitmaps size: 0\n" : "");
			good += ref && !strcmp(ref, mine);
		}
		free(ref);
		blk_close(n);
	}
	ok(good == 3, "measure of existing images agrees with qemu-img (%d/3)", good);
}

/* Set the stored refcount of one cluster (16-bit refcounts, first refcount block). */
static int poke_refcount(const char *name, int64_t cluster_from_end, int value)
{
	return sh("python3 -c \"import struct,os\nf=open('%s','r+b');h=f.read(64)\nrt=struct.unpack('>Q',h[48:56])[0];f.seek(rt)\n"
		  "rb=struct.unpack('>Q',f.read(8))[0];n=os.path.getsize('%s')//65536\nf.seek(rb+(n-%" PRId64 ")*2);f.write(struct.pack('>H',%d))\"",
		  name, name, cluster_from_end, value);
}

static int check_json_field(const char *json, const char *key)
{
	const char *p = json ? strstr(json, key) : NULL;
	return p ? atoi(p + strlen(key) + 2) : 0;
}

static void test_check(void)
{
	for (int c = 0; c < 3; c++) {
		sh("rm -f c.qcow2 && qemu-img create -q -f qcow2 c.qcow2 4M && qemu-io -c 'write -P 5 0 1M' c.qcow2");
		if (c == 0)
			sh("truncate -s +65536 c.qcow2"), poke_refcount("c.qcow2", 1, 1); /* leak */
		else if (c == 1)
			poke_refcount("c.qcow2", 1, 0); /* referenced cluster with refcount 0 */
		else
			poke_refcount("c.qcow2", 1, 3); /* too high: leak + COPIED error */
		char *ref = shout("qemu-img check --output=json c.qcow2");
		struct blk_node *n = open_rw("c.qcow2", BLK_OPEN_CHECK);
		struct blk_check_result res;
		int r = n ? blk_check(n, 0, &res, NULL, NULL, NULL) : -1;
		blk_close(n);
		ok(r == 0 && res.corruptions == check_json_field(ref, "\"corruptions\"") &&
		   res.leaks == check_json_field(ref, "\"leaks\"") &&
		   res.image_end_offset == check_json_field(ref, "\"image-end-offset\"") &&
		   res.total_clusters == check_json_field(ref, "\"total-clusters\""),
		   "check of a damaged image (case %d) counts like qemu-img: %" PRId64 " corruptions, %" PRId64 " leaks", c,
		   res.corruptions, res.leaks);
		free(ref);
		n = open_rw("c.qcow2", BLK_OPEN_CHECK | BLK_OPEN_RDWR);
		r = n ? blk_check(n, BLK_CHECK_FIX_LEAKS | BLK_CHECK_FIX_ERRORS, &res, NULL, NULL, NULL) : -1;
		blk_close(n);
		ok(r == 0 && sh("qemu-img check -q c.qcow2") == 0 && res.leaks_fixed + res.corruptions_fixed > 0,
		   "check -r all repairs it (qemu-img check clean afterwards)");
	}
}

static void test_vmstate(void)
{
	/* savevm-style: state written past the disk, a snapshot records it, the active
	 * image drops it, loadvm (apply) brings it back. qemu-img checks the image. */
	sh("rm -f vm.qcow2 && qemu-img create -q -f qcow2 vm.qcow2 3M");
	struct blk_node *n = open_rw("vm.qcow2", BLK_OPEN_RDWR);
	uint8_t *st = malloc(300000), *back = malloc(300000);
	fill(st, 300000, 77);
	struct blk_snapshot sn = { 0 };
	snprintf(sn.name, sizeof(sn.name), "vm1");
	sn.vm_state_size = 300000;
	struct blk_error err = { 0 };
	int r = !n || blk_pwrite(n, 0, st, 4096, 0) || blk_vmstate_write(n, 0, st, 300000) ||
		blk_snapshot_create(n, &sn, &err);
	memset(back, 0, 300000);
	int dropped = n && blk_vmstate_read(n, 0, back, 300000) == 0 && back[0] == 0 && back[299999] == 0;
	r = r || blk_snapshot_apply(n, "vm1", &err) || blk_vmstate_read(n, 0, back, 300000);
	blk_close(n);
	char *l = shout("qemu-img snapshot -l vm.qcow2");
	ok(r == 0 && dropped && !memcmp(st, back, 300000) && sh("qemu-img check -q vm.qcow2") == 0 && l && strstr(l, "293 KiB"),
	   "VM state saved with a snapshot, dropped from the active image, loaded back; qemu-img lists its size");
	free(l);
	free(st);
	free(back);
}

static void test_options(void)
{
	/* detect-zeroes=unmap turns a zero buffer into a zero cluster (qemu-img map says
	 * "data": false), cache modes open and write, an unknown option is refused. */
	sh("rm -f dz.qcow2 && qemu-img create -q -f qcow2 dz.qcow2 4M && qemu-io -c 'write -P 1 0 4M' dz.qcow2");
	static const char *const modes[] = { "detect-zeroes=unmap,discard=unmap", "cache=writethrough",
					      "cache=unsafe", "cache=directsync", "cache=none,aio=threads" };
	int good = 0;
	uint8_t *z = calloc(1, 1 << 20);
	for (int i = 0; i < 5; i++) {
		struct blk_opts *o = blk_opts_new();
		blk_opts_parse(o, modes[i], NULL);
		struct blk_error err = { 0 };
		struct blk_node *n = blk_open(path("dz.qcow2"), NULL, o, BLK_OPEN_RDWR, &err);
		blk_opts_free(o);
		int r = !n || blk_pwrite(n, (int64_t)i * (800 << 10), z, i == 4 ? 4096 : 800 << 10, 0);
		r |= blk_close(n) != 0;
		good += r == 0;
	}
	free(z);
	char *m = shout("qemu-img map --output=json dz.qcow2 | head -1");
	ok(good == 5 && m && strstr(m, "\"length\": 786432") && strstr(m, "\"zero\": true, \"data\": false") &&
	   sh("qemu-img check -q dz.qcow2") == 0 && sh("qemu-io -r -c 'read -P 0 0 3204k' -c 'read -P 1 3204k 892k' dz.qcow2 | grep -q 'Pattern verification failed'") != 0,
	   "detect-zeroes=unmap makes a zero cluster; writethrough, unsafe, directsync and none write correctly");
	free(m);
	struct blk_opts *o = blk_opts_new();
	blk_opts_set(o, "cache.bogus", "on");
	struct blk_error err = { 0 };
	struct blk_node *n = blk_open(path("dz.qcow2"), NULL, o, 0, &err);
	blk_opts_free(o);
	ok(!n && strstr(err.msg, "cache.bogus"), "an unknown option is refused, naming it (%s)", err.msg);
	blk_close(n);
}

/* Vectored requests (a guest's scattered pages): raw over file, buffered and cache=none, aligned
 * and not (the latter take the linear bounce path), with an offset= raw node and a read past the
 * end of the file.  The bytes written are checked with qemu-io, the bytes read against
 * blk_pread. */
static void test_vectored(void)
{
	static const char *const modes[] = { "cache=writeback", "cache=none,aio=threads",
					      "cache=none,offset=4096" };
	int good = 0;
	for (int m = 0; m < 3; m++) {
		sh("rm -f v.raw && truncate -s 1M v.raw");
		struct blk_opts *o = blk_opts_new();
		blk_opts_parse(o, modes[m], NULL);
		blk_opts_set(o, "driver", "raw");
		struct blk_error err = { 0 };
		struct blk_node *n = blk_open(path("v.raw"), NULL, o, BLK_OPEN_RDWR, &err);
		blk_opts_free(o);
		if (!n) {
			fprintf(stderr, "# open v.raw (%s): %s\n", modes[m], err.msg);
			continue;
		}
		uint8_t *a = NULL, *b = NULL, *lin = NULL;
		if (posix_memalign((void **)&a, 4096, 3 << 12) || posix_memalign((void **)&b, 4096, 3 << 12) ||
		    !(lin = malloc(5 << 12))) {
			blk_close(n);
			continue;
		}
		for (int i = 0; i < (3 << 12); i++) {
			a[i] = 0x11;
			b[i] = 0x22;
		}
		/* aligned: 4K + 8K from two buffers at 64K; unaligned: 100 + 3996 bytes at 200K+5 */
		struct iovec w1[2] = { { a, 4096 }, { b, 8192 } };
		struct iovec w2[2] = { { a + 1, 100 }, { b + 7, 3996 } };
		int r = blk_pwritev(n, 64 << 10, w1, 2, 0) | blk_pwritev(n, (200 << 10) + 5, w2, 2, 0);
		memset(a, 0, 3 << 12);
		memset(b, 0, 3 << 12);
		struct iovec r1[2] = { { b, 8192 }, { a, 4096 } };
		r |= blk_preadv(n, 64 << 10, r1, 2, 0);
		r |= blk_pread(n, 64 << 10, lin, 12288, 0);
		int same = !r && !memcmp(lin, b, 8192) && !memcmp(lin + 8192, a, 4096) && lin[0] == 0x11 &&
			   lin[4096] == 0x22;
		/* the raw node's last sector, rounded up past the file's end when offset= shifts it */
		int64_t len = blk_getlength(n);
		struct iovec r2[2] = { { a, 4096 }, { b, 4096 } };
		int r2v = blk_preadv(n, len - 8192, r2, 2, 0);
		same &= r2v == 0 && blk_pread(n, len - 8192, lin, 8192, 0) == 0 && !memcmp(lin, a, 4096) &&
			!memcmp(lin + 4096, b, 4096);
		r |= blk_close(n);
		int off = m == 2 ? 4096 : 0;
		same &= !r && sh("qemu-io -f raw -c 'read -P 0x11 %d 4096' -c 'read -P 0x22 %d 8192' "
				 "-c 'read -P 0x11 %d 100' -c 'read -P 0x22 %d 3996' -c 'read -P 0 %d 4' v.raw "
				 "| grep -q 'Pattern verification failed'",
				 off + (64 << 10), off + (68 << 10), off + (200 << 10) + 5, off + (200 << 10) + 105,
				 off + (200 << 10) + 1) != 0;
		good += same;
		free(a);
		free(b);
		free(lin);
	}
	ok(good == 3, "vectored writes and reads (buffered, cache=none, raw offset=) land and read back (%d/3)", good);
}

static void test_dirty_repair(void)
{
	/* QEMU killed (qemu-io "abort") with lazy refcounts: refcounts are missing and the
	 * dirty bit is set; a read-write open repairs, as QEMU's open does. */
	int r = sh("rm -f lz.qcow2 && qemu-img create -q -f qcow2 -o lazy_refcounts=on lz.qcow2 16M && "
		   "(qemu-io -c 'write -P 7 0 3M' -c 'write -P 8 5M 1M' -c abort lz.qcow2 >/dev/null 2>&1; true) && "
		   "qemu-img info --output=json lz.qcow2 | grep -q '\"dirty-flag\": true' && ! qemu-img check -q lz.qcow2");
	struct blk_node *n = r ? NULL : open_rw("lz.qcow2", BLK_OPEN_RDWR);
	r = !n || blk_close(n);
	ok(r == 0 && sh("qemu-img check -q lz.qcow2") == 0 &&
	   sh("qemu-img info --output=json lz.qcow2 | grep -q '\"dirty-flag\": false'") == 0 &&
	   sh("qemu-io -r -c 'read -P 7 0 3M' -c 'read -P 8 5M 1M' lz.qcow2 | grep -q 'Pattern verification failed'") != 0,
	   "a dirty image left by a QEMU crash with lazy refcounts is repaired on a read-write open");
}

static void test_resize_amend(void)
{
	sh("rm -f r.qcow2 && qemu-img create -q -f qcow2 r.qcow2 10M && qemu-io -c 'write -P 4 0 10M' r.qcow2");
	struct blk_node *n = open_rw("r.qcow2", BLK_OPEN_RDWR);
	struct blk_error err = { 0 };
	int r = n ? blk_truncate(n, 3 << 20, false, NULL, &err) : -1;
	ok(r == -EINVAL && strstr(err.msg, "--shrink"), "shrinking needs shrink=true (%s)", err.msg);
	r = n ? blk_truncate(n, (3 << 20) + 512, true, NULL, &err) : -1;
	r = r ? r : blk_truncate(n, 20 << 20, false, NULL, &err);
	blk_close(n);
	ok(r == 0 && sh("qemu-img check -q r.qcow2") == 0 && sh("qemu-img create -q -f raw e.raw 20M && qemu-io -f raw -c 'write -P 4 0 3146240' e.raw && qemu-img compare -q -F qcow2 e.raw r.qcow2") == 0,
	   "shrink then grow: old tail reads as zeroes, qemu-img check clean");
	static const char *const steps[] = { "compat=0.10", "compat=1.1", "refcount_bits=1", "refcount_bits=64", "lazy_refcounts=on", "lazy_refcounts=off", "refcount_bits=16" };
	int good = 0;
	sh("qemu-io -c 'write -z 1M 1M' r.qcow2 && qemu-img convert -O raw r.qcow2 amend.raw");
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		n = open_rw("r.qcow2", BLK_OPEN_RDWR);
		struct blk_opts *o = blk_opts_new();
		blk_opts_parse(o, steps[i], NULL);
		r = n ? blk_amend(n, o, false, NULL, NULL, &err) : -1;
		blk_opts_free(o);
		blk_close(n);
		char *info = shout("qemu-img info r.qcow2");
		const char *val = strchr(steps[i], '=') + 1;
		bool shown = strstr(steps[i], "compat") ? strstr(info, val) != NULL
			     : strstr(steps[i], "refcount_bits") ? (info && strstr(info, "refcount bits:") && atoi(strstr(info, "refcount bits:") + 14) == atoi(val))
			     : info && strstr(info, !strcmp(val, "on") ? "lazy refcounts: true" : "lazy refcounts: false");
		if (r == 0 && shown && sh("qemu-img check -q r.qcow2") == 0 && sh("qemu-img compare -q -F qcow2 amend.raw r.qcow2") == 0)
			good++;
		else
			fprintf(stderr, "# amend %s: r=%d %s\n", steps[i], r, err.msg);
		free(info);
	}
	ok(good == (int)(sizeof(steps) / sizeof(steps[0])), "amend compat 1.1->0.10->1.1, refcount_bits 16->1->64->16, lazy_refcounts (%d steps)", good);
	n = open_rw("r.qcow2", BLK_OPEN_RDWR | BLK_OPEN_NO_BACKING);
	r = n ? blk_change_backing_file(n, "b0.qcow2", "qcow2", &err) : -1;
	blk_close(n);
	char *info = shout("qemu-img info --output=json r.qcow2");
	ok(r == 0 && info && strstr(info, "\"backing-filename\": \"b0.qcow2\"") && strstr(info, "\"backing-filename-format\": \"qcow2\"") &&
	   sh("qemu-img check -q r.qcow2") == 0, "header-only backing change (rebase -u) is what qemu-img info shows");
	free(info);
}

struct aio_state {
	pthread_mutex_t m;
	int errors;
};

static void aio_cb(void *opaque, int ret)
{
	struct aio_state *st = opaque;
	pthread_mutex_lock(&st->m);
	st->errors += ret != 0;
	pthread_mutex_unlock(&st->m);
}

/* Parse the header extensions with python and print their types (hex), one per line. */
#define EXT_LIST "python3 -c \"import struct\nf=open('x.qcow2','rb');h=f.read(65536)\np=struct.unpack('>I',h[100:104])[0]\nwhile True:\n t,l=struct.unpack('>II',h[p:p+8])\n if t==0: break\n print('%%x'%%t, h[p+8:p+8+l][:8])\n p+=8+(l+7)//8*8\""

static void test_extensions(void)
{
	/* An unknown extension (and QEMU's dirty bitmaps one) survive a header rewrite. */
	int r = sh("rm -f x.qcow2 && qemu-img create -q -f qcow2 x.qcow2 4M && python3 -c \"import struct\n"
		   "f=open('x.qcow2','r+b');h=bytearray(f.read(65536))\np=struct.unpack('>I',h[100:104])[0]\n"
		   "while struct.unpack('>I',h[p:p+4])[0]: p+=8+(struct.unpack('>I',h[p+4:p+8])[0]+7)//8*8\n"
		   "h[p:p+24]=struct.pack('>II',0x12345678,5)+b'hello\\0\\0\\0'+bytes(8)\nf.seek(0);f.write(h)\"");
	struct blk_node *n = r ? NULL : open_rw("x.qcow2", BLK_OPEN_RDWR);
	struct blk_error err = { 0 };
	r = n ? blk_change_backing_file(n, "b0.qcow2", "qcow2", &err) : -1;
	blk_close(n);
	char *ext = shout(EXT_LIST);
	ok(r == 0 && ext && strstr(ext, "12345678 b'hello'") && strstr(ext, "e2792aca") && sh("qemu-img check -q x.qcow2") == 0,
	   "unknown header extension preserved next to the new backing format extension");
	free(ext);
}

/* 256 writes (two iovecs each), drain, 256 reads, compare. */
static bool aio_roundtrip(struct blk_node *n)
{
	enum { NR = 256, SZ = 8192 };
	void *wp = NULL, *rp = NULL;
	if (posix_memalign(&wp, 4096, NR * SZ) || posix_memalign(&rp, 4096, NR * SZ))
		return false;
	uint8_t *w = wp, *rd = rp;
	memset(rd, 0, NR * SZ);
	fill(w, NR * SZ, 3);
	struct iovec iov[NR][2], riov[NR];
	struct aio_state st = { PTHREAD_MUTEX_INITIALIZER, 0 };
	int sub = 0;
	for (int i = 0; i < NR; i++) {
		iov[i][0] = (struct iovec){ w + i * SZ, 4096 };
		iov[i][1] = (struct iovec){ w + i * SZ + 4096, SZ - 4096 };
		sub += blk_aio_pwritev(n, (int64_t)i * 32768, iov[i], 2, 0, aio_cb, &st) == 0;
	}
	blk_drain(n);
	sub += blk_aio_flush(n, aio_cb, &st) == 0;
	blk_drain(n);
	for (int i = 0; i < NR; i++) {
		riov[i] = (struct iovec){ rd + i * SZ, SZ };
		sub += blk_aio_preadv(n, (int64_t)i * 32768, &riov[i], 1, 0, aio_cb, &st) == 0;
	}
	blk_drain(n);
	bool good = sub == 2 * NR + 1 && st.errors == 0 && !memcmp(w, rd, NR * SZ);
	free(w);
	free(rd);
	return good;
}

/* Threads that share clusters but own disjoint 512-byte sectors (sector % NT == t):
 * allocations, copy-on-write of partial clusters and in-place writes race. */
enum { NT = 4, ST_SECTORS = 8192 };
struct stress {
	struct blk_node *n;
	uint8_t *shadow;
	int t;
	int err;
};

static void *stress_thread(void *arg)
{
	struct stress *st = arg;
	uint64_t x = 0x1234567ull * (uint64_t)(st->t + 1);
	uint8_t b[512];
	for (int i = 0; i < 3000 && !st->err; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint64_t sec = (x >> 12) % (ST_SECTORS / NT) * NT + (uint64_t)st->t;
		memset(b, (int)(x >> 40) | 1, sizeof(b));
		b[0] = (uint8_t)st->t;
		if ((x >> 56) % 16 == 0) {
			memset(b, 0, sizeof(b));
			st->err = blk_pwrite_zeroes(st->n, (int64_t)sec * 512, 512, 0);
		} else {
			st->err = blk_pwrite(st->n, (int64_t)sec * 512, b, 512, 0);
		}
		memcpy(st->shadow + sec * 512, b, 512);
		if ((x >> 50) % 64 == 0 && !st->err)
			st->err = blk_flush(st->n);
	}
	return NULL;
}

static void test_concurrent_writes(void)
{
	static const char *const variants[] = { "cluster_size=4096", "cluster_size=65536", "cluster_size=512,refcount_bits=2" };
	for (int v = 0; v < 3; v++) {
		sh("rm -f cw.qcow2 cw.raw && qemu-img create -q -f qcow2 -o %s cw.qcow2 4M && qemu-io -c 'write -P 9 0 4M' -c 'write -z 1M 1M' cw.qcow2 && "
		   "qemu-img snapshot -c base cw.qcow2 && qemu-img convert -O raw cw.qcow2 cw.raw", variants[v]);
		uint8_t *shadow = malloc(ST_SECTORS * 512);
		FILE *f = fopen(path("cw.raw"), "rb");
		int rd = f && fread(shadow, 512, ST_SECTORS, f) == ST_SECTORS;
		if (f)
			fclose(f);
		struct blk_node *n = open_rw("cw.qcow2", BLK_OPEN_RDWR);
		struct stress st[NT];
		pthread_t th[NT];
		for (int t = 0; n && t < NT; t++) {
			st[t] = (struct stress){ n, shadow, t, 0 };
			pthread_create(&th[t], NULL, stress_thread, &st[t]);
		}
		int err = !n || !rd;
		for (int t = 0; n && t < NT; t++) {
			pthread_join(th[t], NULL);
			err |= st[t].err != 0;
		}
		err |= blk_close(n) != 0;
		f = fopen(path("cw.raw"), "wb");
		if (f) {
			fwrite(shadow, 512, ST_SECTORS, f);
			fclose(f);
		}
		free(shadow);
		ok(!err && sh("qemu-img check -q cw.qcow2") == 0 && sh("qemu-img compare -q -f raw -F qcow2 cw.raw cw.qcow2") == 0,
		   "%d threads writing into shared clusters (%s, snapshot makes them copy-on-write): clean and exact", NT, variants[v]);
	}
}

static void test_locking_aio_raw(void)
{
	sh("rm -f k.qcow2 && qemu-img create -q -f qcow2 k.qcow2 8M");
	/* qemu-io holds the image read-write until we kill it; wait until its lock shows. */
	sh("((sleep 600 & echo $! > sleep.pid; wait) | qemu-io -f qcow2 k.qcow2 >/dev/null 2>&1 &); "
	   "for i in $(seq 300); do qemu-img info k.qcow2 >/dev/null 2>&1 || break; sleep 0.1; done");
	struct blk_error err = { 0 };
	struct blk_node *n = blk_open(path("k.qcow2"), NULL, NULL, BLK_OPEN_RDWR, &err);
	ok(!n && strstr(err.msg, "Failed to get \"write\" lock"), "a second writer is refused while QEMU writes (%s)", err.msg);
	blk_close(n);
	n = blk_open(path("k.qcow2"), NULL, NULL, 0, &err);
	ok(!n && strstr(err.msg, "shared \"write\" lock"), "a reader without force-share is refused too");
	blk_close(n);
	n = blk_open(path("k.qcow2"), NULL, NULL, BLK_OPEN_FORCE_SHARE, &err);
	ok(n != NULL, "force-share (-U) reads");
	blk_close(n);
	/* qemu-io exits when its stdin closes: end the sleep that feeds it, by its pid. */
	sh("kill $(cat sleep.pid); for i in $(seq 300); do qemu-img info k.qcow2 >/dev/null 2>&1 && break; sleep 0.1; done");
	n = blk_open(path("k.qcow2"), NULL, NULL, BLK_OPEN_RDWR, &err);
	char *qe = shout("qemu-img info k.qcow2 2>&1");
	ok(n && qe && strstr(qe, "Failed to get shared \"write\" lock"), "QEMU refuses the image while lemu writes");
	free(qe);
	ok(aio_roundtrip(n), "256 async writes and reads in flight on qcow2 (worker pool)");
	blk_close(n);
	ok(sh("qemu-img check -q k.qcow2") == 0, "image clean after async writes");
	static const char *const rawopts[] = { "aio=io_uring", "aio=threads", "aio=io_uring,cache=none", "aio=io_uring,offset=64k" };
	for (int i = 0; i < 4; i++) {
		sh("rm -f k.raw && truncate -s 9M k.raw");
		struct blk_opts *o = blk_opts_new();
		blk_opts_parse(o, rawopts[i], NULL);
		n = blk_open(path("k.raw"), "raw", o, BLK_OPEN_RDWR, &err);
		blk_opts_free(o);
		ok(n && aio_roundtrip(n), "256 async writes and reads in flight on raw, %s", rawopts[i]);
		blk_close(n);
	}
	/* raw with offset and size, and O_DIRECT */
	sh("rm -f o.raw && head -c 3M /dev/urandom > o.raw");
	struct blk_opts *o = blk_opts_new();
	blk_opts_parse(o, "offset=1M,size=1M,cache=none", NULL);
	n = blk_open(path("o.raw"), "raw", o, BLK_OPEN_RDWR, &err);
	uint8_t *b = malloc(1 << 20), *c = malloc(1 << 20);
	fill(b, 1 << 20, 9);
	int r = !n || blk_getlength(n) != 1 << 20 || blk_pwrite(n, 777, b, 5000, 0) || blk_pread(n, 0, c, 1 << 20, 0) ||
		blk_pwrite(n, 1 << 20, b, 1, 0) != -EINVAL;
	blk_close(n);
	blk_opts_free(o);
	ok(r == 0 && !memcmp(c + 777, b, 5000), "raw offset/size window with cache=none (unaligned O_DIRECT writes through a bounce buffer)");
	n = blk_open(path("o.raw"), "raw", NULL, 0, &err);
	r = !n || blk_pread(n, (1 << 20) + 777, c, 5000, 0);
	blk_close(n);
	ok(r == 0 && !memcmp(c, b, 5000), "the window write landed at offset 1M+777 of the file");
	free(b);
	free(c);
}

static void test_damaged(void)
{
	struct { const char *what, *poke, *expect; } cases[] = {
		{ "L1 table offset past the end", "f.seek(40);f.write(struct.pack('>Q',1<<40))", "L1 table offset" },
		{ "unaligned refcount table", "f.seek(48);f.write(struct.pack('>Q',65536+8))", "reference count table" },
		{ "huge L1 size", "f.seek(36);f.write(struct.pack('>I',0x7fffffff))", "L1 table too large" },
		{ "truncated header", "f.truncate(50)", "not in qcow2 format" },
		{ "unknown incompatible bit", "f.seek(72);f.write(struct.pack('>Q',1<<40))", "Unsupported qcow2 feature" },
		{ "extended L2", "f.seek(72);f.write(struct.pack('>Q',1<<4))", "extended L2" },
		{ "external data file", "f.seek(72);f.write(struct.pack('>Q',1<<2))", "external data file" },
		{ "encryption", "f.seek(32);f.write(struct.pack('>I',1))", "ncrypted" },
		{ "cluster_bits 30", "f.seek(20);f.write(struct.pack('>I',30))", "cluster size" },
		{ "too many snapshots", "f.seek(60);f.write(struct.pack('>I',1000000))", "snapshots" },
		{ "backing name past the cluster", "f.seek(8);f.write(struct.pack('>QI',65530,100))", "Backing file name" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sh("rm -f d.qcow2 && qemu-img create -q -f qcow2 d.qcow2 4M && qemu-io -c 'write 0 64k' d.qcow2 && "
		   "python3 -c \"import struct\nf=open('d.qcow2','r+b')\n%s\"", cases[i].poke);
		struct blk_error err = { 0 };
		struct blk_node *n = blk_open(path("d.qcow2"), "qcow2", NULL, 0, &err);
		ok(!n && strstr(err.msg, cases[i].expect), "damaged image (%s) refused: %s", cases[i].what, err.msg);
		blk_close(n);
	}
	/* An L2 entry pointing into the header: reads fail, the image is marked corrupt. */
	sh("rm -f d.qcow2 && qemu-img create -q -f qcow2 d.qcow2 4M && qemu-io -c 'write 0 64k' d.qcow2 && "
	   "python3 -c \"import struct\nf=open('d.qcow2','r+b');f.seek(40);l1=struct.unpack('>Q',f.read(8))[0]\nf.seek(l1);l2=struct.unpack('>Q',f.read(8))[0]&((1<<56)-512)\nf.seek(l2);f.write(struct.pack('>Q',(1<<63)|512))\"");
	struct blk_node *n = open_rw("d.qcow2", BLK_OPEN_RDWR);
	uint8_t b[512];
	int r = n ? blk_pread(n, 0, b, 512, 0) : 0;
	blk_close(n);
	char *info = shout("qemu-img info d.qcow2");
	ok(r == -EIO && info && strstr(info, "corrupt: true"), "a data cluster inside the header is refused and the image marked corrupt (qemu-img info agrees)");
	free(info);
	struct blk_error err = { 0 };
	n = blk_open(path("d.qcow2"), NULL, NULL, BLK_OPEN_RDWR, &err);
	ok(!n && strstr(err.msg, "corrupt"), "a corrupt image is not opened read-write (%s)", err.msg);
	blk_close(n);
	/* An L2 entry aimed at the L1 table: the write is refused, the L1 table intact. */
	sh("rm -f d.qcow2 && qemu-img create -q -f qcow2 d.qcow2 4M && qemu-io -c 'write 0 64k' d.qcow2 && "
	   "python3 -c \"import struct\nf=open('d.qcow2','r+b');f.seek(40);l1=struct.unpack('>Q',f.read(8))[0]\nf.seek(l1);l2=struct.unpack('>Q',f.read(8))[0]&((1<<56)-512)\nf.seek(l2);f.write(struct.pack('>Q',(1<<63)|l1))\"");
	sh("cp d.qcow2 d0.qcow2");
	n = open_rw("d.qcow2", BLK_OPEN_RDWR);
	memset(b, 0xee, sizeof(b));
	r = n ? blk_pwrite(n, 0, b, 512, 0) : 0;
	blk_close(n);
	ok(r == -EIO && sh("python3 -c \"import struct\na=open('d.qcow2','rb').read();b=open('d0.qcow2','rb').read()\nl1=struct.unpack('>Q',a[40:48])[0]\nassert a[l1:l1+512]==b[l1:l1+512]\"") == 0,
	   "a data write aimed at the L1 table is refused (overlap check) and the table is intact");
}

int main(void)
{
	if (system("qemu-img --version >/dev/null 2>&1") != 0) {
		printf("1..0 # SKIP qemu-img (qemu-utils) is not installed\n");
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s/lemu-test-block-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	make_source();
	test_opts();
	test_qemu_images_read();
	test_lemu_images();
	test_chain_and_writes();
	test_snapshots();
	test_measure();
	test_check();
	test_dirty_repair();
	test_options();
	test_vectored();
	test_vmstate();
	test_resize_amend();
	test_extensions();
	test_concurrent_writes();
	test_locking_aio_raw();
	test_damaged();
	printf("1..%d\n", ntest);
	if (!nfail)
		sh("cd / && rm -rf '%s'", dir);
	else
		fprintf(stderr, "# scratch kept in %s\n", dir);
	return nfail ? 1 : 0;
}
