/*
 * HMP "info" subcommands, in QEMU 7.2's output format for what lemu has.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/block.h"
#include "chardev/chardev.h"
#include "core/device.h"
#include "core/vm.h"
#include "hw/block_backend.h"
#include "hw/pci/pci.h"
#include "lemu-config.h"
#include "monitor/monitor_int.h"
#include "net/net.h"
#include "net/net_int.h"
#include "util/error.h"

struct info_ctx {
	struct vm *vm;
	struct strbuf *out;
	int *cpu;
	struct readline *rl;
	const char *args;
};

static void info_status(struct info_ctx *c)
{
	struct vm *vm = c->vm;
	if (vm->run_state == RUN_STATE_RUNNING)
		hmp_printf(c->out, "VM status: running\n");
	else if (vm->run_state == RUN_STATE_PAUSED)
		hmp_printf(c->out, "VM status: paused\n");
	else
		hmp_printf(c->out, "VM status: paused (%s)\n", run_state_name(vm->run_state));
}

static void info_version(struct info_ctx *c)
{
	hmp_printf(c->out, "7.2.0lemu " LEMU_VERSION "\n");
}

static void info_name(struct info_ctx *c)
{
	if (c->vm->cfg.name)
		hmp_printf(c->out, "%s\n", c->vm->cfg.name);
}

static void info_uuid(struct info_ctx *c)
{
	hmp_printf(c->out, "00000000-0000-0000-0000-000000000000\n");
}

static void info_kvm(struct info_ctx *c)
{
	hmp_printf(c->out, "kvm support: %s\n",
	           access("/dev/kvm", F_OK) == 0 ? "disabled" : "not compiled");
}

static void info_cpus(struct info_ctx *c)
{
	for (int i = 0; i < c->vm->ncpus; i++)
		hmp_printf(c->out, "%c CPU #%d: thread_id=%d\n", i == *c->cpu ? '*' : ' ', i,
		           c->vm->vcpus[i]->tid);
}

static void dump_seg(struct strbuf *o, const char *name, const struct seg *s, bool lm)
{
	if (lm)
		hmp_printf(o, "%-3s=%04x %016" PRIx64 " %08x %08x\n", name, s->sel, s->base,
		           s->limit, s->flags);
	else
		hmp_printf(o, "%-3s=%04x %08x %08x %08x\n", name, s->sel, (uint32_t)s->base,
		           s->limit, s->flags);
}

/* QEMU's x86_cpu_dump_state layout (target/i386/cpu-dump.c) with the FPU. */
static void dump_regs(struct strbuf *o, struct vcpu *v)
{
	struct cpu *c = &v->cpu;
	static const char *const n64[16] = {
		"RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "RSP",
		"R8 ", "R9 ", "R10", "R11", "R12", "R13", "R14", "R15"
	};
	static const int ord[16] = { R_RAX, R_RBX, R_RCX, R_RDX, R_RSI, R_RDI, R_RBP, R_RSP,
		                     R_R8,  R_R9,  R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };
	uint32_t fl = cpu_get_eflags(c);
	bool lm = (c->efer & (1u << 10)) && (c->seg[SEG_CS].flags & (1u << 21));
	char flags[8] = {
		fl & FL_DF ? 'D' : '-', fl & FL_OF ? 'O' : '-',
		fl & FL_SF ? 'S' : '-', fl & FL_ZF ? 'Z' : '-',
		fl & FL_AF ? 'A' : '-', fl & FL_PF ? 'P' : '-',
		fl & FL_CF ? 'C' : '-', 0,
	};
	if (lm) {
		for (int i = 0; i < 16; i++)
			hmp_printf(o, "%s=%016" PRIx64 "%s", n64[i], c->regs[ord[i]],
			           i % 4 == 3 ? "\n" : " ");
		hmp_printf(o, "RIP=%016" PRIx64 " RFL=%08x [%s] CPL=%u II=0 A20=%d SMM=0 HLT=%d\n",
		           c->rip, fl, flags, c->cpl, (int)((c->a20_mask >> 20) & 1), v->halted);
	} else {
		for (int i = 0; i < 8; i++)
			hmp_printf(o, "%c%s=%08x%s", 'E', n64[i] + 1, (uint32_t)c->regs[ord[i]],
			           i % 4 == 3 ? "\n" : " ");
		hmp_printf(o, "EIP=%08x EFL=%08x [%s] CPL=%u II=0 A20=%d SMM=0 HLT=%d\n",
		           (uint32_t)c->rip, fl, flags, c->cpl, (int)((c->a20_mask >> 20) & 1),
		           v->halted);
	}
	static const char *const sn[6] = { "ES", "CS", "SS", "DS", "FS", "GS" };
	for (int s = 0; s < 6; s++)
		dump_seg(o, sn[s], &c->seg[s], lm);
	dump_seg(o, "LDT", &c->ldt, lm);
	dump_seg(o, "TR", &c->tr, lm);
	if (lm) {
		hmp_printf(o, "GDT=     %016" PRIx64 " %08x\n", c->gdt.base, c->gdt.limit);
		hmp_printf(o, "IDT=     %016" PRIx64 " %08x\n", c->idt.base, c->idt.limit);
		hmp_printf(o, "CR0=%08x CR2=%016" PRIx64 " CR3=%016" PRIx64 " CR4=%08x\n",
		           (uint32_t)c->cr0, c->cr2, c->cr3, (uint32_t)c->cr4);
	} else {
		hmp_printf(o, "GDT=     %08x %08x\n", (uint32_t)c->gdt.base, c->gdt.limit);
		hmp_printf(o, "IDT=     %08x %08x\n", (uint32_t)c->idt.base, c->idt.limit);
		hmp_printf(o, "CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", (uint32_t)c->cr0,
		           (uint32_t)c->cr2, (uint32_t)c->cr3, (uint32_t)c->cr4);
	}
	for (int i = 0; i < 4; i++)
		hmp_printf(o, "DR%d=%016" PRIx64 " ", i, c->dr[i]);
	hmp_printf(o, "\nDR6=%016" PRIx64 " DR7=%016" PRIx64 "\n", c->dr[6], c->dr[7]);
	hmp_printf(o, "EFER=%016" PRIx64 "\n", c->efer);
	hmp_printf(o, "FCW=%04x FSW=%04x [ST=%d] FTW=%02x MXCSR=%08x\n", c->fcw,
	           (c->fsw & ~0x3800u) | ((unsigned)(c->ftop & 7) << 11), c->ftop & 7, c->ftag,
	           c->mxcsr);
	for (int i = 0; i < 8; i++) {
		uint64_t mant;
		uint16_t exp;
		memcpy(&mant, &c->fpr[i], 8);
		memcpy(&exp, (const uint8_t *)&c->fpr[i] + 8, 2);
		hmp_printf(o, "FPR%d=%016" PRIx64 " %04x%s", i, mant, exp, i % 2 ? "\n" : " ");
	}
	int nx = lm ? 16 : 8;
	for (int i = 0; i < nx; i++)
		hmp_printf(o, "XMM%02d=%016" PRIx64 " %016" PRIx64 "%s", i, c->xmm[i].q[1],
		           c->xmm[i].q[0], i % 2 ? "\n" : " ");
}

static void info_registers(struct info_ctx *c)
{
	const char *a = c->args;
	while (*a == ' ')
		a++;
	for (int i = 0; i < c->vm->ncpus; i++) {
		bool all = !strcmp(a, "-a");
		if (!all && (*a ? atoi(a) != i : i != *c->cpu))
			continue;
		hmp_printf(c->out, "\nCPU#%d\n", i);
		dump_regs(c->out, c->vm->vcpus[i]);
	}
}

static void info_block(struct info_ctx *c)
{
	struct vm *vm = c->vm;
	bool first = true;
	for (struct blk_backend *b = drive_next(vm, NULL); b; b = drive_next(vm, b)) {
		if (*c->args && strcmp(c->args, drive_id(b)))
			continue;
		if (!first)
			hmp_printf(c->out, "\n");
		first = false;
		struct blk_node *n = drive_node(b);
		if (!n) {
			hmp_printf(c->out, "%s: [not inserted]\n", drive_id(b));
			continue;
		}
		hmp_printf(c->out, "%s (#block%03d): %s (%s%s)\n", drive_id(b), 0,
		           blk_node_filename(n), blk_node_driver(n),
		           drive_read_only(b) ? ", read-only" : "");
		/* the node-name number above is lemu's index */
		struct device *d = drive_device(b);
		if (d) {
			char path[160];
			mon_device_path(vm, d, path, sizeof(path));
			hmp_printf(c->out, "    Attached to:      %s%s\n", path,
			           !strncmp(d->cls->name, "virtio-", 7) ? "/virtio-backend" : "");
		}
		hmp_printf(c->out, "    Cache mode:       %s\n",
		           drive_writeback(b) ? "writeback" : "writethrough");
		const char *bf = blk_node_backing_filename(n);
		if (bf)
			hmp_printf(c->out, "    Backing file:     %s (chain depth: 1)\n", bf);
	}
}

/* QEMU's hmp_info_blockstats line; idle_time_ns is 0 before the first I/O.
 * A device's backend on a -blockdev node has no name: QEMU prints the line
 * with an empty one. */
static void info_blockstats(struct info_ctx *c)
{
	for (struct blk_backend *b = drive_next_backend(c->vm, NULL); b;
	     b = drive_next_backend(c->vm, b)) {
		struct drive_stats st;
		drive_get_stats(b, &st);
		hmp_printf(c->out,
		           "%s: rd_bytes=%" PRIu64 " wr_bytes=%" PRIu64 " rd_operations=%" PRIu64
		           " wr_operations=%" PRIu64 " flush_operations=%" PRIu64
		           " wr_total_time_ns=%" PRIu64 " rd_total_time_ns=%" PRIu64
		           " flush_total_time_ns=%" PRIu64 " rd_merged=0 wr_merged=0"
		           " idle_time_ns=%" PRId64 "\n",
		           drive_is_blockdev(b) ? "" : drive_id(b), st.bytes[DRIVE_ACCT_READ],
		           st.bytes[DRIVE_ACCT_WRITE], st.ops[DRIVE_ACCT_READ],
		           st.ops[DRIVE_ACCT_WRITE], st.ops[DRIVE_ACCT_FLUSH],
		           st.total_time_ns[DRIVE_ACCT_WRITE], st.total_time_ns[DRIVE_ACCT_READ],
		           st.total_time_ns[DRIVE_ACCT_FLUSH],
		           st.idle_time_ns < 0 ? (int64_t)0 : st.idle_time_ns);
	}
}

static void info_chardev(struct info_ctx *c)
{
	for (struct chardev *ch = chardev_next(c->vm, NULL); ch; ch = chardev_next(c->vm, ch)) {
		const char *fn = chardev_filename(ch);
		hmp_printf(c->out, "%s: filename=%s\n", chardev_id(ch), fn ? fn : "");
	}
}

static void print_net_client(struct strbuf *o, struct net_client *nc)
{
	static const char *const kinds[] = {
		[NET_CLIENT_NIC] = "nic",         [NET_CLIENT_USER] = "user",
		[NET_CLIENT_TAP] = "tap",         [NET_CLIENT_SOCKET] = "socket",
		[NET_CLIENT_HUBPORT] = "hubport", [NET_CLIENT_OTHER] = "other",
	};
	char desc[256] = "";
	if (nc->ops->describe)
		nc->ops->describe(nc, desc, sizeof(desc));
	unsigned k = (unsigned)nc->ops->kind;
	hmp_printf(o, "%s: index=0,type=%s,%s%s\n", nc->name ? nc->name : "",
	           k < sizeof(kinds) / sizeof(kinds[0]) && kinds[k] ? kinds[k] : "other", desc,
	           nc->link_down ? " link=down" : "");
}

/* QEMU's hmp_info_network: NICs with their backend below them, then the
 * backends nobody uses. */
static void info_network(struct info_ctx *c)
{
	struct net_state *ns = c->vm->net;
	for (struct net_client *nc = ns ? ns->clients : NULL; nc; nc = nc->next) {
		bool nic = nc->ops->kind == NET_CLIENT_NIC;
		if (!nc->peer || nic)
			print_net_client(c->out, nc);
		if (nc->peer && nic) {
			hmp_printf(c->out, " \\ ");
			print_net_client(c->out, nc->peer);
		}
	}
}

static const char *pci_class_name(uint16_t cls)
{
	switch (cls) {
	case 0x0100: return "SCSI controller";
	case 0x0101: return "IDE controller";
	case 0x0106: return "SATA controller";
	case 0x0200: return "Ethernet controller";
	case 0x0300: return "VGA controller";
	case 0x0600: return "Host bridge";
	case 0x0601: return "ISA bridge";
	case 0x0604: return "PCI bridge";
	case 0x0680: return "Bridge";
	case 0x0780: return "Communication controller";
	}
	return NULL;
}

static void info_pci(struct info_ctx *c)
{
	struct pci_bus *bus = pci_root_bus(c->vm);
	if (!bus)
		return;
	for (int devfn = 0; devfn < 256; devfn++) {
		struct pci_device *d = pci_find_device(bus, devfn);
		if (!d)
			continue;
		const uint8_t *cf = d->config;
		uint16_t vendor = (uint16_t)(cf[0] | cf[1] << 8),
		         device = (uint16_t)(cf[2] | cf[3] << 8);
		uint16_t cls = (uint16_t)(cf[0x0a] | cf[0x0b] << 8);
		hmp_printf(c->out, "  Bus  0, device %3d, function %d:\n", devfn >> 3, devfn & 7);
		const char *cn = pci_class_name(cls);
		if (cn)
			hmp_printf(c->out, "    %s: PCI device %04x:%04x\n", cn, vendor, device);
		else
			hmp_printf(c->out, "    Class %04x: PCI device %04x:%04x\n", cls, vendor,
			           device);
		hmp_printf(c->out, "      PCI subsystem %04x:%04x\n", cf[0x2c] | cf[0x2d] << 8,
		           cf[0x2e] | cf[0x2f] << 8);
		if (cf[0x3d])
			hmp_printf(c->out, "      IRQ %d, pin %c\n", cf[0x3c], 'A' + cf[0x3d] - 1);
		for (int i = 0; i < PCI_NUM_BARS; i++) {
			const struct pci_bar *bar = &d->bars[i];
			if (!bar->size)
				continue;
			uint64_t addr = bar->mapped_addr ? bar->mapped_addr : (uint64_t)-1;
			if (!bar->mr && !bar->pr)
				addr = (uint64_t)-1;
			if (bar->type & PCI_BAR_IO)
				hmp_printf(c->out,
				           "      BAR%d: I/O at 0x%04" PRIx64 " [0x%04" PRIx64
				           "].\n",
				           i, addr, addr + bar->size - 1);
			else
				hmp_printf(c->out,
				           "      BAR%d: %d bit %smemory at 0x%08" PRIx64
				           " [0x%08" PRIx64 "].\n",
				           i, bar->type & PCI_BAR_MEM64 ? 64 : 32,
				           bar->type & PCI_BAR_PREFETCH ? "prefetchable " : "",
				           addr, addr + bar->size - 1);
		}
		hmp_printf(c->out, "      id \"%s\"\n", d->dev.id ? d->dev.id : "");
	}
}

static int cmp_region(const void *a, const void *b)
{
	const struct mem_region *x = *(const struct mem_region *const *)a,
	                        *y = *(const struct mem_region *const *)b;
	return x->base < y->base ? -1 : x->base > y->base ? 1 : y->priority - x->priority;
}

static void info_mtree(struct info_ctx *c)
{
	struct vm *vm = c->vm;
	/* lemu's map is flat: one list of regions, as QEMU's "-f" view */
	hmp_printf(
	        c->out,
	        "address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n");
	struct mem_region **r = malloc(sizeof(*r) * (size_t)(vm->nregions ? vm->nregions : 1));
	if (!r)
		return;
	memcpy(r, vm->regions, sizeof(*r) * (size_t)vm->nregions);
	qsort(r, (size_t)vm->nregions, sizeof(*r), cmp_region);
	for (int i = 0; i < vm->nregions; i++)
		hmp_printf(c->out, "    %016" PRIx64 "-%016" PRIx64 " (prio %d, %s): %s\n",
		           r[i]->base, r[i]->base + r[i]->size - 1, r[i]->priority,
		           r[i]->kind == MEM_RAM ? "ram" :
		           r[i]->kind == MEM_ROM ? "rom" :
		                                   "i/o",
		           r[i]->name);
	free(r);
	hmp_printf(c->out,
	           "\naddress-space: I/O\n  0000000000000000-000000000000ffff (prio 0, i/o): io\n");
	for (int p = 0; p < 65536;) {
		struct pio_region *pr = vm->pio_map[p];
		if (!pr) {
			p++;
			continue;
		}
		hmp_printf(c->out, "    %016x-%016x (prio 0, i/o): %s\n", pr->base,
		           pr->base + pr->len - 1, pr->name);
		p = (int)(pr->base + pr->len) > p ? (int)(pr->base + pr->len) : p + 1;
	}
}

static void info_qtree(struct info_ctx *c)
{
	hmp_printf(c->out, "bus: main-system-bus\n  type System\n");
	for (struct device *d = c->vm->devices; d; d = d->next) {
		hmp_printf(c->out, "  dev: %s, id \"%s\"\n", d->cls->name, d->id ? d->id : "");
		for (const struct prop *p = d->cls->props; p && p->name; p++) {
			const uint8_t *base = (const uint8_t *)d + p->offset;
			switch (p->type) {
			case PROP_BOOL:
				hmp_printf(c->out, "    %s = %s\n", p->name,
				           *(const bool *)base ? "true" : "false");
				break;
			case PROP_U8:
				hmp_printf(c->out, "    %s = %u (0x%x)\n", p->name, *base, *base);
				break;
			case PROP_U16:
				hmp_printf(c->out, "    %s = %u (0x%x)\n", p->name,
				           *(const uint16_t *)base, *(const uint16_t *)base);
				break;
			case PROP_U32:
				hmp_printf(c->out, "    %s = %u (0x%x)\n", p->name,
				           *(const uint32_t *)base, *(const uint32_t *)base);
				break;
			case PROP_U64:
			case PROP_SIZE:
				hmp_printf(c->out, "    %s = %" PRIu64 " (0x%" PRIx64 ")\n",
				           p->name, *(const uint64_t *)base,
				           *(const uint64_t *)base);
				break;
			case PROP_STR: {
				const char *s = *(char *const *)base;
				hmp_printf(c->out, "    %s = \"%s\"\n", p->name, s ? s : "");
				break;
			}
			case PROP_CHARDEV: {
				struct chardev *ch = *(struct chardev *const *)base;
				hmp_printf(c->out, "    %s = \"%s\"\n", p->name,
				           ch ? chardev_id(ch) : "");
				break;
			}
			case PROP_DRIVE: {
				struct blk_backend *b = *(struct blk_backend *const *)base;
				hmp_printf(c->out, "    %s = \"%s\"\n", p->name,
				           b ? drive_id(b) : "");
				break;
			}
			case PROP_NETDEV: hmp_printf(c->out, "    %s = \"\"\n", p->name); break;
			}
		}
	}
}

static void info_snapshots(struct info_ctx *c)
{
	/* QEMU's message when no writable qcow2 disk can hold VM state;
	 * lemu has no savevm, so it lists nothing either way. */
	hmp_printf(c->out, "no block device can store vmstate for snapshot\n");
}

static void info_history(struct info_ctx *c)
{
	if (!c->rl)
		return;
	for (int i = 0; i < c->rl->nhist; i++)
		hmp_printf(c->out, "%d: '%s'\n", i, c->rl->hist[i]);
}

static void info_memory_size_summary(struct info_ctx *c)
{
	hmp_printf(c->out, "base memory: %" PRIu64 "\nplugged memory: 0\n", c->vm->ram_size);
}

static const struct info_cmd {
	const char *name, *params, *help;
	void (*fn)(struct info_ctx *c);
} info_cmds[] = {
	{ "block", "[-n] [-v] [device]",
	  "show info of one block device or all block devices (-n: show named nodes; -v: show details)",
	  info_block },
	{ "blockstats", "", "show block device statistics", info_blockstats },
	{ "chardev", "", "show the character devices", info_chardev },
	{ "cpus", "", "show infos for each CPU", info_cpus },
	{ "history", "", "show the command line history", info_history },
	{ "kvm", "", "show KVM information", info_kvm },
	{ "memory_size_summary", "",
	  "show the amount of initially allocated and present hotpluggable (if enabled) memory in bytes.",
	  info_memory_size_summary },
	{ "mtree", "[-f][-d][-o][-D]",
	  "show memory tree (-f: dump flat view for address spaces;-d: dump dispatch tree, valid with -f only);-o: dump region owners/parents;-D: dump disabled regions",
	  info_mtree },
	{ "name", "", "show the current VM name", info_name },
	{ "network", "", "show the network state", info_network },
	{ "pci", "", "show PCI info", info_pci },
	{ "qtree", "", "show device tree", info_qtree },
	{ "registers", "[-a|vcpu]",
	  "show the cpu registers (-a: show register info for all cpus; vcpu: specific vCPU to query; show the current CPU's registers if no argument is specified)",
	  info_registers },
	{ "snapshots", "", "show the currently saved VM snapshots", info_snapshots },
	{ "status", "", "show the current VM status (running|paused)", info_status },
	{ "uuid", "", "show the current VM UUID", info_uuid },
	{ "version", "", "show the version of QEMU", info_version },
	{ NULL, NULL, NULL, NULL },
};

void hmp_info_help(struct strbuf *out)
{
	for (const struct info_cmd *i = info_cmds; i->name; i++)
		hmp_printf(out, "info %s %s -- %s\n", i->name, i->params, i->help);
}

void hmp_info(struct vm *vm, const char *what, struct strbuf *out, int *cpu, struct readline *rl)
{
	char name[64];
	size_t n = 0;
	while (*what == ' ')
		what++;
	while (what[n] && what[n] != ' ' && n < sizeof(name) - 1) {
		name[n] = what[n];
		n++;
	}
	name[n] = 0;
	if (!n) {
		hmp_info_help(out);
		return;
	}
	const char *args = what + n;
	while (*args == ' ')
		args++;
	for (const struct info_cmd *i = info_cmds; i->name; i++) {
		if (!strcmp(i->name, name)) {
			struct info_ctx c = {
				.vm = vm, .out = out, .cpu = cpu, .rl = rl, .args = args
			};
			i->fn(&c);
			return;
		}
	}
	hmp_printf(out, "unknown command: 'info %s'\n", name);
}
