/*
 * CPU models, CPUID, reset state and mode bookkeeping.
 */
#include "cpu_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

/* CPUID.1:EDX */
#define E1_FPU 0
#define E1_VME 1
#define E1_DE 2
#define E1_PSE 3
#define E1_TSC 4
#define E1_MSR 5
#define E1_PAE 6
#define E1_MCE 7
#define E1_CX8 8
#define E1_APIC 9
#define E1_SEP 11
#define E1_MTRR 12
#define E1_PGE 13
#define E1_MCA 14
#define E1_CMOV 15
#define E1_PAT 16
#define E1_PSE36 17
#define E1_CLFLUSH 19
#define E1_MMX 23
#define E1_FXSR 24
#define E1_SSE 25
#define E1_SSE2 26

const struct cpu_feature_name cpu_feature_names[] = {
	{ "fpu", FW_1_EDX, 0 }, { "vme", FW_1_EDX, 1 }, { "de", FW_1_EDX, 2 },
	{ "pse", FW_1_EDX, 3 }, { "tsc", FW_1_EDX, 4 }, { "msr", FW_1_EDX, 5 },
	{ "pae", FW_1_EDX, 6 }, { "mce", FW_1_EDX, 7 }, { "cx8", FW_1_EDX, 8 },
	{ "apic", FW_1_EDX, 9 }, { "sep", FW_1_EDX, 11 }, { "mtrr", FW_1_EDX, 12 },
	{ "pge", FW_1_EDX, 13 }, { "mca", FW_1_EDX, 14 }, { "cmov", FW_1_EDX, 15 },
	{ "pat", FW_1_EDX, 16 }, { "pse36", FW_1_EDX, 17 }, { "clflush", FW_1_EDX, 19 },
	{ "mmx", FW_1_EDX, 23 }, { "fxsr", FW_1_EDX, 24 }, { "sse", FW_1_EDX, 25 },
	{ "sse2", FW_1_EDX, 26 }, { "ss", FW_1_EDX, 27 }, { "ht", FW_1_EDX, 28 },
	{ "pni", FW_1_ECX, 0 }, { "sse3", FW_1_ECX, 0 }, { "pclmulqdq", FW_1_ECX, 1 },
	{ "pclmuldq", FW_1_ECX, 1 }, { "monitor", FW_1_ECX, 3 }, { "ssse3", FW_1_ECX, 9 },
	{ "fma", FW_1_ECX, 12 }, { "cx16", FW_1_ECX, 13 }, { "pcid", FW_1_ECX, 17 },
	{ "sse4.1", FW_1_ECX, 19 }, { "sse4_1", FW_1_ECX, 19 }, { "sse4.2", FW_1_ECX, 20 },
	{ "sse4_2", FW_1_ECX, 20 }, { "x2apic", FW_1_ECX, 21 }, { "movbe", FW_1_ECX, 22 },
	{ "popcnt", FW_1_ECX, 23 }, { "tsc-deadline", FW_1_ECX, 24 }, { "aes", FW_1_ECX, 25 },
	{ "xsave", FW_1_ECX, 26 }, { "osxsave", FW_1_ECX, 27 }, { "avx", FW_1_ECX, 28 },
	{ "f16c", FW_1_ECX, 29 }, { "rdrand", FW_1_ECX, 30 }, { "hypervisor", FW_1_ECX, 31 },
	{ "fsgsbase", FW_7_0_EBX, 0 }, { "bmi1", FW_7_0_EBX, 3 }, { "avx2", FW_7_0_EBX, 5 },
	{ "smep", FW_7_0_EBX, 7 }, { "bmi2", FW_7_0_EBX, 8 }, { "erms", FW_7_0_EBX, 9 },
	{ "invpcid", FW_7_0_EBX, 10 }, { "rdseed", FW_7_0_EBX, 18 }, { "adx", FW_7_0_EBX, 19 },
	{ "smap", FW_7_0_EBX, 20 }, { "clflushopt", FW_7_0_EBX, 23 }, { "sha-ni", FW_7_0_EBX, 29 },
	{ "umip", FW_7_0_ECX, 2 }, { "pku", FW_7_0_ECX, 3 }, { "rdpid", FW_7_0_ECX, 22 },
	{ "fsrm", FW_7_0_EDX, 4 },
	{ "syscall", FW_8000_0001_EDX, 11 }, { "nx", FW_8000_0001_EDX, 20 },
	{ "xd", FW_8000_0001_EDX, 20 }, { "mmxext", FW_8000_0001_EDX, 22 },
	{ "pdpe1gb", FW_8000_0001_EDX, 26 }, { "rdtscp", FW_8000_0001_EDX, 27 },
	{ "lm", FW_8000_0001_EDX, 29 }, { "i64", FW_8000_0001_EDX, 29 },
	{ "lahf_lm", FW_8000_0001_ECX, 0 }, { "lahf-lm", FW_8000_0001_ECX, 0 },
	{ "svm", FW_8000_0001_ECX, 2 }, { "abm", FW_8000_0001_ECX, 5 },
	{ "lzcnt", FW_8000_0001_ECX, 5 }, { "sse4a", FW_8000_0001_ECX, 6 },
	{ "3dnowprefetch", FW_8000_0001_ECX, 8 },
	{ "xsaveopt", FW_D_1_EAX, 0 }, { "xsavec", FW_D_1_EAX, 1 }, { "xgetbv1", FW_D_1_EAX, 2 },
	{ NULL, 0, 0 },
};

#define B(n) (1u << (n))

/* Everything lemu's software CPU implements (the `max` model). */
static const uint32_t max_features[FW_NB] = {
	[FW_1_EDX] = B(0) | B(1) | B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(8) | B(9) | B(11) |
		     B(12) | B(13) | B(14) | B(15) | B(16) | B(17) | B(19) | B(23) | B(24) |
		     B(25) | B(26),
	/* 17 PCID, 7.0 EBX 10 INVPCID and 8000_0001 EDX 26 (1 GiB pages): the
	 * system CPU implements them (ops_sys2.c, mmu.c) */
	[FW_1_ECX] = B(0) | B(1) | B(9) | B(13) | B(17) | B(19) | B(20) | B(22) | B(23) | B(25) |
		     B(26) | B(30),
	/* 6, 13: x87 FDP_EXCPTN_ONLY, FCS/FDS deprecated; 7 SMEP, 20 SMAP (mmu.c, as QEMU TCG max) */
	[FW_7_0_EBX] = B(3) | B(6) | B(7) | B(8) | B(9) | B(10) | B(13) | B(19) | B(20),
	[FW_7_0_ECX] = 0,
	[FW_7_0_EDX] = 0,
	[FW_8000_0001_EDX] = B(11) | B(20) | B(26) | B(27) | B(29),
	[FW_8000_0001_ECX] = B(0) | B(5),
	[FW_D_1_EAX] = 0,
};

/* QEMU's qemu64: a conservative SSE3 x86-64 baseline. */
static const uint32_t qemu64_features[FW_NB] = {
	[FW_1_EDX] = B(0) | B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(8) | B(9) | B(11) |
		     B(12) | B(13) | B(14) | B(15) | B(16) | B(17) | B(19) | B(23) | B(24) |
		     B(25) | B(26),
	[FW_1_ECX] = B(0) | B(13),
	[FW_8000_0001_EDX] = B(11) | B(20) | B(29),
	[FW_8000_0001_ECX] = B(0),
};

static const uint32_t qemu32_features[FW_NB] = {
	[FW_1_EDX] = B(0) | B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(8) | B(9) | B(11) |
		     B(12) | B(13) | B(14) | B(15) | B(16) | B(17) | B(19) | B(23) | B(24) |
		     B(25) | B(26),
	[FW_1_ECX] = B(0),
};

static const uint32_t nehalem_features[FW_NB] = {
	[FW_1_EDX] = B(0) | B(1) | B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(8) | B(9) | B(11) |
		     B(12) | B(13) | B(14) | B(15) | B(16) | B(17) | B(19) | B(23) | B(24) |
		     B(25) | B(26),
	[FW_1_ECX] = B(0) | B(9) | B(13) | B(19) | B(20) | B(23),
	[FW_8000_0001_EDX] = B(11) | B(20) | B(27) | B(29),
	[FW_8000_0001_ECX] = B(0),
};

static const uint32_t westmere_features[FW_NB] = {
	[FW_1_EDX] = B(0) | B(1) | B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(8) | B(9) | B(11) |
		     B(12) | B(13) | B(14) | B(15) | B(16) | B(17) | B(19) | B(23) | B(24) |
		     B(25) | B(26),
	[FW_1_ECX] = B(0) | B(1) | B(9) | B(13) | B(19) | B(20) | B(23) | B(25),
	[FW_8000_0001_EDX] = B(11) | B(20) | B(27) | B(29),
	[FW_8000_0001_ECX] = B(0),
};

const struct cpu_model cpu_models[] = {
	/* Vendor, family, model and stepping of QEMU's TCG "max": an Intel
	 * signature (6/85) made Linux apply Skylake-X errata and print
	 * "RETBleed: WARNING" for a CPU without IBRS. */
	{ "max", "Enables all features supported by the accelerator in the current host",
	  "AuthenticAMD", 15, 107, 1, 0xd, 0x80000008, "lemu TCG CPU version " LEMU_CPU_VERSION,
	  max_features },
	{ "qemu64", "QEMU Virtual CPU version 2.5+", "AuthenticAMD", 15, 107, 1, 0xd, 0x8000000a,
	  "QEMU Virtual CPU version 2.5+", qemu64_features },
	{ "qemu32", "QEMU Virtual CPU version 2.5+", "GenuineIntel", 6, 6, 3, 4, 0x80000004,
	  "QEMU Virtual CPU version 2.5+", qemu32_features },
	{ "Nehalem", "Intel Core i7 9xx (Nehalem Class Core i7)", "GenuineIntel", 6, 26, 3, 0xb,
	  0x80000008, "Intel Core i7 9xx (Nehalem Class Core i7)", nehalem_features },
	{ "Westmere", "Westmere E56xx/L56xx/X56xx (Nehalem-C)", "GenuineIntel", 6, 44, 1, 0xb,
	  0x80000008, "Westmere E56xx/L56xx/X56xx (Nehalem-C)", westmere_features },
	{ NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

const struct cpu_model *cpu_model_find(const char *name)
{
	for (const struct cpu_model *m = cpu_models; m->name; m++)
		if (!strcasecmp(m->name, name))
			return m;
	return NULL;
}

void cpu_model_list(FILE *out)
{
	fprintf(out, "Available CPUs:\n");
	for (const struct cpu_model *m = cpu_models; m->name; m++)
		fprintf(out, "  %-16s %s\n", m->name, m->desc);
	fprintf(out, "\nRecognized CPUID flags:\n ");
	int col = 1;
	for (const struct cpu_feature_name *f = cpu_feature_names; f->name; f++) {
		int w = (int)strlen(f->name) + 1;
		if (col + w > 76) {
			fprintf(out, "\n ");
			col = 1;
		}
		fprintf(out, " %s", f->name);
		col += w;
	}
	fprintf(out, "\n");
}

/* Bits that the software CPU can actually execute; requesting more is an
 * error rather than a lie to the guest. */
int cpu_config_parse(struct cpu_config *cfg, const char *spec, char *err, size_t errlen)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", spec ? spec : "max");
	char *save = NULL, *tok = strtok_r(buf, ",", &save);
	if (!tok || !*tok)
		tok = "max";
	const struct cpu_model *m = cpu_model_find(tok);
	if (!m) {
		snprintf(err, errlen, "unable to find CPU model '%s'", tok);
		return -1;
	}
	cfg->model = m;
	memcpy(cfg->features, m->features, sizeof(cfg->features));
	while ((tok = strtok_r(NULL, ",", &save))) {
		int on;
		char name[64];
		if (tok[0] == '+' || tok[0] == '-') {
			on = tok[0] == '+';
			snprintf(name, sizeof(name), "%s", tok + 1);
		} else {
			char *eq = strchr(tok, '=');
			if (!eq) {
				on = 1;
				snprintf(name, sizeof(name), "%s", tok);
			} else {
				*eq = 0;
				snprintf(name, sizeof(name), "%s", tok);
				const char *v = eq + 1;
				if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes"))
					on = 1;
				else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no"))
					on = 0;
				else {
					snprintf(err, errlen, "Parameter '%s' expects 'on' or 'off'", name);
					return -1;
				}
			}
		}
		for (char *p = name; *p; p++)
			if (*p == '_' && strcmp(name, "lahf_lm") && strncmp(name, "sse4_", 5))
				*p = '-';
		const struct cpu_feature_name *f;
		for (f = cpu_feature_names; f->name; f++)
			if (!strcmp(f->name, name))
				break;
		if (!f->name) {
			snprintf(err, errlen, "Property '%s.%s' not found", m->name, name);
			return -1;
		}
		if (on && !((max_features[f->word] >> f->bit) & 1)) {
			snprintf(err, errlen,
				 "CPU feature '%s' is not supported by lemu's software CPU", name);
			return -1;
		}
		if (on)
			cfg->features[f->word] |= 1u << f->bit;
		else
			cfg->features[f->word] &= ~(1u << f->bit);
	}
	return 0;
}

void cpu_update_mode(struct cpu *c)
{
	uint32_t f = 0;
	int lma = (c->efer & (1u << 10)) != 0;
	/* seg.flags holds the descriptor's high dword bits 8..23 in place:
	 * L is bit 21, D/B bit 22 (SDM vol. 3 §3.4.5). */
	int cs_l = (c->seg[SEG_CS].flags >> 21) & 1;
	int cs_d = (c->seg[SEG_CS].flags >> 22) & 1;
	int ss_b = (c->seg[SEG_SS].flags >> 22) & 1;
	if (lma && cs_l)
		f |= TB_F_CODE64;
	else if (cs_d)
		f |= TB_F_CODE32;
	if (ss_b)
		f |= TB_F_STACK32;
	if (c->cpl == 3)
		f |= TB_F_CPL3;
	if (c->cr0 & 1)
		f |= TB_F_PROT;
	c->tb_flags = f;
	/* SMAP and debug-mode bits; the soft TLB in use follows the CPL and
	 * SMAP (implicit supervisor accesses switch it themselves, see
	 * cpu_ld_sys). */
	cpu_update_dyn_flags(c);
	c->lin_mask = (f & TB_F_CODE64) ? ~0ull : 0xffffffffull;
	c->seg_chk = 0;
	if (c->sysmode && !(f & TB_F_CODE64)) {
		for (int s = 0; s < 6; s++) {
			uint32_t fl = c->seg[s].flags;
			/* usable (present) segments only: a null selector keeps
			 * its old behaviour */
			if ((fl & 0x8000) && (c->seg[s].limit != 0xffffffffu || (fl & 0xc00) == 0x400))
				c->seg_chk = 1;
		}
	}
	for (int s = 0; s < 6; s++) {
		if ((f & TB_F_CODE64) && s != SEG_FS && s != SEG_GS)
			c->seg_base[s] = 0;
		else
			c->seg_base[s] = c->seg[s].base;
	}
	c->seg_base[SEG_ZERO] = 0;
}

void cpu_set_seg_base(struct cpu *c, int seg, uint64_t base)
{
	c->seg[seg].base = base;
	cpu_update_mode(c);
}

void cpu_init(struct cpu *c, const struct cpu_model *model, enum cpu_start_mode mode)
{
	memset(c, 0, offsetof(struct cpu, tbc));
	memset(c->jmp_cache, 0, sizeof(c->jmp_cache));
	if (!model)
		model = &cpu_models[0];
	c->model = model;
	memcpy(c->features, model->features, sizeof(c->features));
	c->cpuid_level = model->level;
	c->cpuid_xlevel = model->xlevel;
	memcpy(c->vendor, model->vendor, 12);
	c->eflags = 2;
	c->cc_op = CC_EFLAGS;
	c->xcr0 = 3;
	c->mxcsr = 0x1f80;
	cpu_fpu_reset(c);
	c->rng_state = 0x853c49e6748fea9bull ^ (uint64_t)(uintptr_t)c;
	for (int s = 0; s < 6; s++)
		c->seg[s].limit = 0xffffffff;
	switch (mode) {
	case CPU_MODE_REAL:
		c->seg[SEG_CS].sel = 0xf000;
		c->seg[SEG_CS].base = 0xffff0000;
		for (int s = 0; s < 6; s++)
			c->seg[s].limit = 0xffff, c->seg[s].flags = 0x9300;
		c->rip = 0xfff0;
		c->cr0 = 0x60000010;
		break;
	case CPU_MODE_USER64:
		c->eflags |= FL_IF; /* user code runs with interrupts enabled */
		c->efer = 0x500 | 1; /* LME, LMA, SCE */
		c->cr0 = 0x80050033;
		c->cr4 = 0x6f0 | (1u << 18); /* PAE, PGE, OSFXSR, OSXMMEXCPT, OSXSAVE */
		c->cpl = 3;
		c->seg[SEG_CS].sel = 0x33;
		c->seg[SEG_CS].flags = (1u << 21) | 0xfb00; /* L, P, DPL3, code */
		c->seg[SEG_SS].sel = 0x2b;
		c->seg[SEG_SS].flags = (1u << 22) | 0xf300;
		c->seg[SEG_DS].flags = c->seg[SEG_ES].flags = (1u << 22) | 0xf300;
		break;
	case CPU_MODE_USER32:
		c->eflags |= FL_IF;
		c->efer = 0x500 | 1;
		c->cr0 = 0x80050033;
		c->cr4 = 0x6f0 | (1u << 18);
		c->cpl = 3;
		c->seg[SEG_CS].sel = 0x23;
		c->seg[SEG_CS].flags = (1u << 22) | 0xfb00;
		c->seg[SEG_SS].sel = 0x2b;
		c->seg[SEG_DS].sel = c->seg[SEG_ES].sel = 0x2b;
		c->seg[SEG_SS].flags = (1u << 22) | 0xf300;
		c->seg[SEG_DS].flags = c->seg[SEG_ES].flags = (1u << 22) | 0xf300;
		break;
	}
	cpu_update_mode(c);
}

static void put_str(uint32_t *regs, const char *s)
{
	memcpy(regs, s, 16);
}

void cpu_cpuid(struct cpu *c, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	const struct cpu_model *m = c->model;
	r[0] = r[1] = r[2] = r[3] = 0;
	if (leaf < 0x80000000 && leaf > c->cpuid_level)
		leaf = c->cpuid_level;
	if (leaf >= 0x80000000 && leaf > c->cpuid_xlevel)
		leaf = c->cpuid_level;
	switch (leaf) {
	case 0:
		r[0] = c->cpuid_level;
		memcpy(&r[1], c->vendor, 4);
		memcpy(&r[3], c->vendor + 4, 4);
		memcpy(&r[2], c->vendor + 8, 4);
		break;
	case 1: {
		uint32_t fam = m->family, mod = m->model;
		uint32_t eax = m->stepping | ((mod & 0xf) << 4) | ((mod >> 4) << 16);
		if (fam > 15)
			eax |= (15u << 8) | ((fam - 15) << 20);
		else
			eax |= fam << 8;
		r[0] = eax;
		/* CLFLUSH line 64 bytes, 1 logical CPU per package (each vCPU
		 * is a socket, as QEMU's default -smp), initial APIC ID */
		r[1] = (8u << 8) | (1u << 16) | (c->apic_id << 24);
		r[2] = c->features[FW_1_ECX];
		if ((c->features[FW_1_ECX] & B(26)) && (c->cr4 & (1u << 18)))
			r[2] |= B(27); /* OSXSAVE reflects CR4 */
		r[3] = c->features[FW_1_EDX];
		break;
	}
	case 2:
		r[0] = 0x00000001; r[1] = 0; r[2] = 0; r[3] = 0x002c307d;
		break;
	case 4: {
		/* Deterministic cache parameters: L1d, L1i, L2, L3. */
		static const uint32_t caches[4][4] = {
			{ 0x121, 0x1c0003f, 0x3f, 1 }, { 0x122, 0x1c0003f, 0x3f, 1 },
			{ 0x143, 0x3c0003f, 0xfff, 1 }, { 0x163, 0x3c0003f, 0x3fff, 6 },
		};
		if (sub < 4) {
			r[0] = caches[sub][0];
			r[1] = caches[sub][1];
			r[2] = caches[sub][2];
			r[3] = caches[sub][3];
		}
		break;
	}
	case 7:
		if (sub == 0) {
			r[1] = c->features[FW_7_0_EBX];
			r[2] = c->features[FW_7_0_ECX];
			r[3] = c->features[FW_7_0_EDX];
		}
		break;
	case 0xd:
		if (!(c->features[FW_1_ECX] & B(26)))
			break;
		if (sub == 0) {
			r[0] = 3;       /* x87 and SSE state components */
			r[1] = 512 + 64; /* size for the enabled XCR0 */
			r[2] = 512 + 64; /* size for all supported */
		} else if (sub == 1) {
			r[0] = c->features[FW_D_1_EAX];
		}
		break;
	case 0x80000000:
		r[0] = c->cpuid_xlevel;
		memcpy(&r[1], c->vendor, 4);
		memcpy(&r[3], c->vendor + 4, 4);
		memcpy(&r[2], c->vendor + 8, 4);
		break;
	case 0x80000001: {
		uint32_t t[4];
		cpu_cpuid(c, 1, 0, t);
		r[0] = t[0];
		r[2] = c->features[FW_8000_0001_ECX];
		r[3] = c->features[FW_8000_0001_EDX];
		if (!strcmp(c->vendor, "AuthenticAMD"))
			r[3] |= t[3] & 0x0183f3ff; /* AMD mirrors leaf 1 EDX bits */
		break;
	}
	case 0x80000002: case 0x80000003: case 0x80000004: {
		char name[48];
		memset(name, 0, sizeof(name));
		snprintf(name, sizeof(name), "%s", m->model_id);
		put_str(r, name + 16 * (leaf - 0x80000002));
		break;
	}
	case 0x80000005:
		r[2] = 0x40020140; r[3] = 0x40020140;
		break;
	case 0x80000006:
		r[2] = 0x02008140;
		break;
	case 0x80000008:
		r[0] = 0x00003028; /* 40-bit physical, 48-bit virtual */
		break;
	default:
		break;
	}
}

void cpu_seg_check(struct cpu *c, int seg, uint64_t off)
{
	const struct seg *s = &c->seg[seg];
	uint32_t fl = s->flags;
	if (!(fl & 0x8000))
		return;
	bool ok;
	uint64_t last; /* highest valid offset */
	if ((fl & 0xc00) == 0x400) { /* expand-down data: above the limit, up to 64K or 4G */
		last = (fl & (1u << 22)) ? 0xffffffffull : 0xffffull;
		ok = off > s->limit && off <= last;
	} else {
		last = s->limit;
		ok = off <= last;
	}
	if (!ok)
		cpu_raise(c, seg == SEG_SS ? EXC_SS : EXC_GP, 0);
	if (unlikely(c->seg_edge_mask) && c->seg_edge_cur != c->cur) {
		/* windows of an earlier instruction */
		c->seg_edge_mask = 0;
		if (c->mmu_idx == MMU_EDGE)
			c->mmu_idx = c->seg_edge_idx;
	}
	if (likely(last - off >= 64) || !c->sysmode || c->mem_direct)
		return;
	/* The access may end past the limit: let the slow path see it. */
	if (c->seg_edge_cur != c->cur)
		c->seg_edge_mask = 0;
	c->seg_edge_cur = c->cur;
	c->seg_edge_first[seg] = c->seg_base[seg] + off;
	c->seg_edge_last[seg] = c->seg_base[seg] + last;
	c->seg_edge_mask |= (uint8_t)(1u << seg);
	if (c->mmu_idx != MMU_EDGE) {
		c->seg_edge_idx = c->mmu_idx;
		c->mmu_idx = MMU_EDGE;
	}
}

void cpu_seg_edge_access(struct cpu *c, uint64_t lin, unsigned size)
{
	for (int s = 0; s < 6; s++) {
		if (!((c->seg_edge_mask >> s) & 1))
			continue;
		if (lin >= c->seg_edge_first[s] && lin <= c->seg_edge_last[s] &&
		    lin + size - 1 > c->seg_edge_last[s])
			cpu_raise(c, s == SEG_SS ? EXC_SS : EXC_GP, 0);
	}
}

void cpu_push(struct cpu *c, uint64_t v, unsigned size)
{
	unsigned ss = stack_size(c);
	uint64_t sp = (c->regs[R_RSP] - size) & size_mask(ss);
	st_sz(c, seg_lin(c, SEG_SS, sp), v, size);
	set_reg(c, R_RSP, sp, ss);
}

uint64_t cpu_pop(struct cpu *c, unsigned size)
{
	unsigned ss = stack_size(c);
	uint64_t sp = c->regs[R_RSP] & size_mask(ss);
	uint64_t v = ld_sz(c, seg_lin(c, SEG_SS, sp), size);
	set_reg(c, R_RSP, sp + size, ss);
	return v;
}
