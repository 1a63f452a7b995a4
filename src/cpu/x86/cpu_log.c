/*
 * -d in_asm / exec / cpu: the core's logging, in the shapes QEMU prints
 * (so existing habits and scripts keep working).  Disassembly uses
 * capstone when lemu was built with it, else raw bytes.
 */
#include "cpu.h"

#include <inttypes.h>
#include <stdio.h>

#ifdef HAVE_CAPSTONE
#include <capstone/capstone.h>
#endif

static FILE *log_file(struct cpu *c)
{
	return c->logfile ? (FILE *)c->logfile : stderr;
}

/* Copy up to n code bytes at lin through the environment (may cross a
 * page); returns how many could be read. */
static size_t code_bytes(struct cpu *c, uint64_t lin, uint8_t *out, size_t n)
{
	size_t got = 0;
	while (got < n) {
		uint64_t a = lin + got, page = a & ~4095ull;
		const uint8_t *hp = c->env->code_page(c, page);
		if (!hp)
			break;
		size_t k = 4096 - (a - page);
		if (k > n - got)
			k = n - got;
		memcpy(out + got, hp + (a - page), k);
		got += k;
	}
	return got;
}

void cpu_log_tb_in_asm(struct cpu *c, const struct tb *tb)
{
	FILE *f = log_file(c);
	fprintf(f, "----------------\nIN: \n");
#ifdef HAVE_CAPSTONE
	csh h;
	cs_mode mode = (tb->flags & TB_F_CODE64) ? CS_MODE_64 : (tb->flags & TB_F_CODE32) ? CS_MODE_32 : CS_MODE_16;
	int have_cs = cs_open(CS_ARCH_X86, mode, &h) == CS_ERR_OK;
	if (have_cs)
		cs_option(h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT); /* as QEMU prints it */
#endif
	for (uint32_t i = 0; i < tb->n; i++) {
		const struct insn *in = &tb->insns[i];
		uint8_t b[16];
		size_t len = in->len ? in->len : 1;
		size_t got = code_bytes(c, (tb->cs_base + in->rip) & c->lin_mask, b, len);
		/* QEMU's layout: address, the bytes, then the instruction */
		char hex[3 * 16 + 1];
		size_t hl = 0;
		for (size_t k = 0; k < got; k++)
			hl += (size_t)snprintf(hex + hl, sizeof(hex) - hl, k ? " %02x" : "%02x", b[k]);
		hex[hl] = 0;
		fprintf(f, "0x%08" PRIx64 ":  %-24s ", in->rip, hex);
#ifdef HAVE_CAPSTONE
		cs_insn *ci = NULL;
		if (have_cs && got == len && cs_disasm(h, b, got, in->rip, 1, &ci) == 1) {
			fprintf(f, "%-8s %s\n", ci->mnemonic, ci->op_str);
			cs_free(ci, 1);
			continue;
		}
#endif
		fprintf(f, "%s\n", got < len ? "(not readable)" : "(bad)");
	}
#ifdef HAVE_CAPSTONE
	if (have_cs)
		cs_close(&h);
#endif
	fprintf(f, "\n");
	fflush(f);
}

void cpu_dump_state(struct cpu *c, void *file)
{
	static const char *const names64[16] = { "RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "RSP",
						 "R8 ", "R9 ", "R10", "R11", "R12", "R13", "R14", "R15" };
	static const int order[16] = { R_RAX, R_RBX, R_RCX, R_RDX, R_RSI, R_RDI, R_RBP, R_RSP,
				       R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };
	FILE *f = file ? file : log_file(c);
	uint32_t fl = cpu_get_eflags(c);
	int code64 = (c->tb_flags & TB_F_CODE64) != 0;
	if (code64) {
		for (int i = 0; i < 16; i++)
			fprintf(f, "%s=%016" PRIx64 "%s", names64[i], c->regs[order[i]], (i % 4 == 3) ? "\n" : " ");
		fprintf(f, "RIP=%016" PRIx64 " RFL=%08x [%c%c%c%c%c%c%c] CPL=%u II=0 A20=1 SMM=0 HLT=0\n",
			c->rip, fl, fl & FL_DF ? 'D' : '-', fl & FL_OF ? 'O' : '-', fl & FL_SF ? 'S' : '-',
			fl & FL_ZF ? 'Z' : '-', fl & FL_AF ? 'A' : '-', fl & FL_PF ? 'P' : '-',
			fl & FL_CF ? 'C' : '-', c->cpl);
	} else {
		static const char *const names32[8] = { "EAX", "EBX", "ECX", "EDX", "ESI", "EDI", "EBP", "ESP" };
		for (int i = 0; i < 8; i++)
			fprintf(f, "%s=%08" PRIx32 "%s", names32[i], (uint32_t)c->regs[order[i]], (i % 4 == 3) ? "\n" : " ");
		fprintf(f, "EIP=%08" PRIx32 " EFL=%08x [%c%c%c%c%c%c%c] CPL=%u II=0 A20=1 SMM=0 HLT=0\n",
			(uint32_t)c->rip, fl, fl & FL_DF ? 'D' : '-', fl & FL_OF ? 'O' : '-', fl & FL_SF ? 'S' : '-',
			fl & FL_ZF ? 'Z' : '-', fl & FL_AF ? 'A' : '-', fl & FL_PF ? 'P' : '-',
			fl & FL_CF ? 'C' : '-', c->cpl);
	}
	static const char segn[6][3] = { "ES", "CS", "SS", "DS", "FS", "GS" };
	for (int s = 0; s < 6; s++)
		fprintf(f, "%s =%04x %016" PRIx64 " %08x %08x\n", segn[s], c->seg[s].sel, c->seg[s].base,
			c->seg[s].limit, c->seg[s].flags);
	fprintf(f, "EFER=%016" PRIx64 "\n", c->efer);
	fflush(f);
}

void cpu_log_tb_exec(struct cpu *c, const struct tb *tb)
{
	FILE *f = log_file(c);
	if (c->log_flags & CPU_LOG_CPU)
		cpu_dump_state(c, f);
	if (c->log_flags & CPU_LOG_EXEC) {
		fprintf(f, "Trace 0: %p [%016" PRIx64 "/%016" PRIx64 "/%08x/%08x] \n", (const void *)tb,
			(uint64_t)0, tb->pc, tb->flags, 0u);
		fflush(f);
	}
}
