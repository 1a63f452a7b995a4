/*
 * System-level instructions, part 2: control and debug registers, MSRs,
 * time stamp counter, fast system calls (SYSCALL/SYSRET, SYSENTER/
 * SYSEXIT), INVPCID and POPF (Intel SDM vol. 2; vol. 3 §2.5, §2.8,
 * §5.8.7-8, vol. 4 for MSR numbers).
 */
#include "decode.h"
#include "ops.h"
#include "sys.h"

#include <time.h>

/* Physical-address width advertised by CPUID 0x80000008 (40 bits). */
#define PHYS_BITS 40

static void need_cpl0(struct cpu *c)
{
	if (c->cpl != 0 || (sys_prot(c) && sys_vm86(c)))
		cpu_raise(c, EXC_GP, 0);
}

/* --- control registers ---------------------------------------------- */

/* A change of paging or mode: drop cached translations, recompute the
 * mode and leave the TB loop so that code is looked up again. */
static void mode_changed(struct cpu *c, bool flush)
{
	if (flush && c->sysmode)
		cpu_tlb_flush(c);
	cpu_update_mode(c);
	if (c->sysmode)
		cpu_mmu_update(c);
	c->exit_request = 1;
}

void sys_write_cr0(struct cpu *c, uint64_t v)
{
	/* SDM vol. 3 §2.5 and MOV CR: bits 63:32 #GP, others ignored. */
	if (v >> 32)
		cpu_raise(c, EXC_GP, 0);
	v &= CR0_PE | CR0_MPB | CR0_EMB | CR0_TSB | CR0_NE | CR0_WPB | CR0_AM | CR0_NW | CR0_CD | CR0_PGB;
	v |= CR0_ET;
	if ((v & CR0_PGB) && !(v & CR0_PE))
		cpu_raise(c, EXC_GP, 0);
	if ((v & CR0_NW) && !(v & CR0_CD))
		cpu_raise(c, EXC_GP, 0);
	uint64_t old = c->cr0;
	uint64_t efer = c->efer;
	if (!(old & CR0_PGB) && (v & CR0_PGB) && (efer & EFER_LME)) {
		/* IA-32e activation (SDM vol. 3 §9.8.5) */
		if (!(c->cr4 & CR4_PAE_B) || (c->seg[SEG_CS].flags & DESC_L))
			cpu_raise(c, EXC_GP, 0);
		efer |= EFER_LMA;
	}
	if ((old & CR0_PGB) && !(v & CR0_PGB) && (efer & EFER_LMA)) {
		if (sys_code64(c))
			cpu_raise(c, EXC_GP, 0);
		efer &= ~EFER_LMA;
	}
	c->cr0 = v;
	c->efer = efer;
	if (!(v & CR0_PE) && c->cpl != 0)
		seg_set_cpl(c, 0);
	mode_changed(c, ((old ^ v) & (CR0_PGB | CR0_WPB | CR0_PE)) != 0);
}

static uint64_t cr4_valid(struct cpu *c)
{
	uint64_t m = CR4_VME_B | CR4_PVI_B | CR4_TSD_B | CR4_DE_B | CR4_PSE_B | CR4_PAE_B | CR4_MCE_B |
		     CR4_PGE_B | CR4_PCE_B | CR4_OSFXSR_B | CR4_OSXMM_B;
	if (cpu_has(c, FEAT(FW_7_0_ECX, 2)))
		m |= CR4_UMIP_B;
	if (cpu_has(c, FEAT(FW_7_0_EBX, 0)))
		m |= CR4_FSGSBASE_B;
	if (cpu_has(c, FEAT(FW_1_ECX, 17)))
		m |= CR4_PCIDE_B;
	if (cpu_has(c, FEAT(FW_1_ECX, 26)))
		m |= CR4_OSXSAVE_B;
	if (cpu_has(c, FEAT(FW_7_0_EBX, 7)))
		m |= CR4_SMEP_B;
	if (cpu_has(c, FEAT(FW_7_0_EBX, 20)))
		m |= CR4_SMAP_B;
	return m;
}

static void write_cr4(struct cpu *c, uint64_t v)
{
	uint64_t old = c->cr4;
	if (v & ~cr4_valid(c))
		cpu_raise(c, EXC_GP, 0);
	if ((c->efer & EFER_LMA) && !(v & CR4_PAE_B))
		cpu_raise(c, EXC_GP, 0);
	if ((v & CR4_PCIDE_B) && !(old & CR4_PCIDE_B) && ((c->cr3 & 0xfff) || !(c->efer & EFER_LMA)))
		cpu_raise(c, EXC_GP, 0);
	c->cr4 = v;
	mode_changed(c, ((old ^ v) & (CR4_PSE_B | CR4_PAE_B | CR4_PGE_B | CR4_PCIDE_B | CR4_SMEP_B |
				      CR4_SMAP_B)) != 0);
}

static void write_cr3(struct cpu *c, uint64_t v)
{
	/* With PCIDE, bit 63 asks to keep the TLB; the soft TLB is not
	 * tagged by PCID, so it is flushed anyway (always allowed). */
	if (c->cr4 & CR4_PCIDE_B)
		v &= ~(1ull << 63);
	if (c->efer & EFER_LMA) {
		if (v >> PHYS_BITS)
			cpu_raise(c, EXC_GP, 0);
	} else {
		v = (uint32_t)v;
	}
	c->cr3 = v;
	if (c->sysmode)
		cpu_tlb_flush_nonglobal(c);
	c->exit_request = 1;
}

/* 0F 20 /r: MOV r, CRn; 0F 22 /r: MOV CRn, r.  ModRM.mod is ignored
 * (always a register); 64-bit operands in 64-bit mode, else 32. */
static unsigned cr_size(struct cpu *c)
{
	return sys_code64(c) ? 8 : 4;
}
static void mov_r_cr(struct cpu *c, const struct insn *in)
{
	need_cpl0(c);
	uint64_t v;
	switch (in->reg) {
	case 0: v = c->cr0; break;
	case 2: v = c->cr2; break;
	case 3: v = c->cr3; break;
	case 4: v = c->cr4; break;
	case 8: v = c->cr8 & 15; break;
	default: cpu_raise(c, EXC_UD, 0);
	}
	set_reg(c, in->rm, v, cr_size(c));
}
static void mov_cr_r(struct cpu *c, const struct insn *in)
{
	need_cpl0(c);
	uint64_t v = get_reg(c, in->rm, cr_size(c));
	switch (in->reg) {
	case 0: sys_write_cr0(c, v); break;
	case 2: c->cr2 = v; break;
	case 3: write_cr3(c, v); break;
	case 4: write_cr4(c, v); break;
	case 8:
		if (v > 15)
			cpu_raise(c, EXC_GP, 0);
		c->cr8 = v;
		if (c->env->tpr_changed)
			c->env->tpr_changed(c);
		c->exit_request = 1; /* a lower TPR may unmask an interrupt */
		break;
	default: cpu_raise(c, EXC_UD, 0);
	}
}

/* 0F 21 / 0F 23: MOV DRn.  DR4/DR5 alias DR6/DR7 unless CR4.DE (then
 * #UD).  Writes to DR0-3 and DR7 re-arm the breakpoints (debug.c). */
static unsigned dr_index(struct cpu *c, const struct insn *in)
{
	unsigned r = in->reg;
	if (r > 7)
		cpu_raise(c, EXC_UD, 0);
	if (r == 4 || r == 5) {
		if (c->cr4 & CR4_DE_B)
			cpu_raise(c, EXC_UD, 0);
		r += 2;
	}
	need_cpl0(c);
	/* DR7.GD (general detect, SDM vol. 3 §17.2.4): a MOV DR is a #DB
	 * fault with DR6.BD; GD is cleared so the handler may use them.  (QEMU
	 * 7.2 ignores GD: unit/test_mmu checks this.) */
	if (c->dr[7] & (1u << 13)) {
		c->dr[6] |= 1u << 13;
		c->dr[7] &= ~(uint64_t)(1u << 13);
		cpu_raise(c, EXC_DB, 0);
	}
	return r;
}
static void mov_r_dr(struct cpu *c, const struct insn *in)
{
	unsigned r = dr_index(c, in);
	uint64_t v = c->dr[r];
	if (r == 6)
		v = (v & 0xe00f) | 0xffff0ff0u;
	else if (r == 7)
		v = (v & ~0xd800ull) | 0x400;
	set_reg(c, in->rm, v, cr_size(c));
}
static void mov_dr_r(struct cpu *c, const struct insn *in)
{
	unsigned r = dr_index(c, in);
	uint64_t v = get_reg(c, in->rm, cr_size(c));
	if ((r == 6 || r == 7) && (v >> 32))
		cpu_raise(c, EXC_GP, 0);
	if (!sys_code64(c) && r < 4)
		v = (uint32_t)v;
	c->dr[r] = v;
	if (r != 6)
		cpu_dbg_dr_changed(c);
}

/* 0F 01 CA: CLAC, 0F 01 CB: STAC (SDM vol. 2): #UD at CPL > 0 (and, by
 * the table's feature bit, without CPUID.7.0:EBX.SMAP).  AC selects the
 * SMAP soft TLB (TB_F_KSMAP).  CLAC ends the TB: code after it must use
 * the stricter TLB.  STAC need not (Linux runs one per user copy): the
 * rest of its TB probes the SMAP TLB, whose misses on user pages fall to
 * the handlers, which use c->mmu_idx -- already the permissive one. */
static void clac(struct cpu *c, const struct insn *in)
{
	(void)in;
	if (c->cpl != 0)
		cpu_raise(c, EXC_UD, 0);
	c->eflags &= ~FL_AC;
	cpu_update_dyn_flags(c);
}
static void stac(struct cpu *c, const struct insn *in)
{
	(void)in;
	if (c->cpl != 0)
		cpu_raise(c, EXC_UD, 0);
	c->eflags |= FL_AC;
	cpu_update_dyn_flags(c);
}

/* --- time stamp counter --------------------------------------------- */

static uint64_t tsc_base(struct cpu *c)
{
	if (c->env && c->env->rdtsc)
		return c->env->rdtsc(c);
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
#endif
}
static uint64_t tsc_read(struct cpu *c)
{
	return tsc_base(c) + (uint64_t)c->tsc_offset;
}
static void rdtsc(struct cpu *c, const struct insn *in)
{
	(void)in;
	if ((c->cr4 & CR4_TSD_B) && c->cpl && sys_prot(c))
		cpu_raise(c, EXC_GP, 0);
	uint64_t t = tsc_read(c);
	set_reg(c, R_RAX, (uint32_t)t, 4);
	set_reg(c, R_RDX, t >> 32, 4);
}
static void rdtscp(struct cpu *c, const struct insn *in)
{
	rdtsc(c, in);
	set_reg(c, R_RCX, (uint32_t)c->tsc_aux, 4);
}
/* No performance counters are modelled: RDPMC is #GP for every index. */
static void rdpmc(struct cpu *c, const struct insn *in)
{
	(void)in;
	cpu_raise(c, EXC_GP, 0);
}

/* --- MSRs ----------------------------------------------------------- */

enum {
	MSR_TSC = 0x10, MSR_PLATFORM_ID = 0x17, MSR_APIC_BASE = 0x1b, MSR_FEATURE_CONTROL = 0x3a,
	MSR_TSC_ADJUST = 0x3b, MSR_BIOS_SIGN = 0x8b, MSR_MTRRCAP = 0xfe, MSR_SYSENTER_CS = 0x174,
	MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176, MSR_MCG_CAP = 0x179,
	MSR_MCG_STATUS = 0x17a, MSR_MISC_ENABLE = 0x1a0, MSR_MTRR_PHYS0 = 0x200,
	MSR_MTRR_FIX64K = 0x250, MSR_MTRR_FIX16K_80 = 0x258, MSR_MTRR_FIX16K_A0 = 0x259,
	MSR_MTRR_FIX4K_C0 = 0x268, MSR_MTRR_FIX4K_F8 = 0x26f, MSR_PAT = 0x277,
	MSR_MTRR_DEF_TYPE = 0x2ff, MSR_EFER = 0xc0000080, MSR_STAR = 0xc0000081,
	MSR_LSTAR = 0xc0000082, MSR_CSTAR = 0xc0000083, MSR_FMASK = 0xc0000084,
	MSR_FS_BASE = 0xc0000100, MSR_GS_BASE = 0xc0000101, MSR_KERNEL_GS_BASE = 0xc0000102,
	MSR_TSC_AUX = 0xc0000103, MSR_AMD_SYSCFG = 0xc0010010, MSR_AMD_HWCR = 0xc0010015,
	MSR_AMD_INT_PENDING = 0xc0010055,
};

static bool canonical(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

/* Index of a fixed-range MTRR MSR in c->mtrr_fixed, or -1. */
static int mtrr_fixed_index(uint32_t idx)
{
	if (idx == MSR_MTRR_FIX64K)
		return 0;
	if (idx == MSR_MTRR_FIX16K_80 || idx == MSR_MTRR_FIX16K_A0)
		return 1 + (int)(idx - MSR_MTRR_FIX16K_80);
	if (idx >= MSR_MTRR_FIX4K_C0 && idx <= MSR_MTRR_FIX4K_F8)
		return 3 + (int)(idx - MSR_MTRR_FIX4K_C0);
	return -1;
}

/* 0 and *v, or -1 for #GP. */
int cpu_msr_read(struct cpu *c, uint32_t idx, uint64_t *v)
{
	int k;
	switch (idx) {
	case MSR_TSC: *v = tsc_read(c); return 0;
	case MSR_PLATFORM_ID: case MSR_BIOS_SIGN: case MSR_FEATURE_CONTROL:
	case MSR_MCG_CAP: case MSR_MCG_STATUS: case MSR_AMD_SYSCFG: case MSR_AMD_HWCR:
	case MSR_AMD_INT_PENDING:
		/* no microcode, no VMX, no machine-check banks.  The AMD ones
		 * are read by Linux without a fault handler on family 0Fh
		 * models (qemu64): SYSCFG (MTRR fixed ranges), the C1E
		 * interrupt-pending message (erratum 400); 0 = features off. */
		*v = 0;
		return 0;
	case MSR_MTRRCAP: *v = 0x508; return 0; /* 8 variable, fixed, WC */
	case MSR_SYSENTER_CS: *v = c->sysenter_cs; return 0;
	case MSR_SYSENTER_ESP: *v = c->sysenter_esp; return 0;
	case MSR_SYSENTER_EIP: *v = c->sysenter_eip; return 0;
	case MSR_MISC_ENABLE: *v = c->misc_enable; return 0;
	case MSR_PAT: *v = c->pat; return 0;
	case MSR_MTRR_DEF_TYPE: *v = c->mtrr_def_type; return 0;
	case MSR_EFER: *v = c->efer; return 0;
	case MSR_STAR: *v = c->star; return 0;
	case MSR_LSTAR: *v = c->lstar; return 0;
	case MSR_CSTAR: *v = c->cstar; return 0;
	case MSR_FMASK: *v = c->fmask; return 0;
	case MSR_FS_BASE: *v = c->seg[SEG_FS].base; return 0;
	case MSR_GS_BASE: *v = c->seg[SEG_GS].base; return 0;
	case MSR_KERNEL_GS_BASE: *v = c->kernel_gs_base; return 0;
	case MSR_TSC_AUX:
		if (!cpu_has(c, FEAT(FW_8000_0001_EDX, 27)))
			break;
		*v = c->tsc_aux;
		return 0;
	default: break;
	}
	if (idx >= MSR_MTRR_PHYS0 && idx < MSR_MTRR_PHYS0 + 16) {
		*v = c->mtrr_var[idx - MSR_MTRR_PHYS0];
		return 0;
	}
	if ((k = mtrr_fixed_index(idx)) >= 0) {
		*v = c->mtrr_fixed[k];
		return 0;
	}
	if (c->env && c->env->msr_read)
		return c->env->msr_read(c, idx, v);
	return -1;
}

static bool pat_valid(uint64_t v)
{
	/* each byte a memory type 0, 1, 4, 5, 6 or 7 */
	for (int i = 0; i < 8; i++) {
		unsigned t = (v >> (8 * i)) & 0xff;
		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

int cpu_msr_write(struct cpu *c, uint32_t idx, uint64_t v)
{
	int k;
	switch (idx) {
	case MSR_TSC: c->tsc_offset = (int64_t)(v - tsc_base(c)); return 0;
	case MSR_BIOS_SIGN: case MSR_FEATURE_CONTROL: case MSR_MCG_STATUS: case MSR_AMD_SYSCFG:
	case MSR_AMD_HWCR: case MSR_AMD_INT_PENDING:
		return 0;
	case MSR_SYSENTER_CS: c->sysenter_cs = v & 0xffff; return 0;
	case MSR_SYSENTER_ESP:
		if (!canonical(v))
			return -1;
		c->sysenter_esp = v;
		return 0;
	case MSR_SYSENTER_EIP:
		if (!canonical(v))
			return -1;
		c->sysenter_eip = v;
		return 0;
	case MSR_MISC_ENABLE:
		/* fast strings (0) and the other enables are remembered */
		c->misc_enable = v;
		return 0;
	case MSR_PAT:
		if (!pat_valid(v))
			return -1;
		c->pat = v;
		return 0;
	case MSR_MTRR_DEF_TYPE:
		if (v & ~0xcffull)
			return -1;
		c->mtrr_def_type = v;
		return 0;
	case MSR_EFER: {
		uint64_t valid = EFER_SCE | EFER_LME | EFER_LMA;
		if (cpu_has(c, FEAT(FW_8000_0001_EDX, 20)))
			valid |= EFER_NXE;
		if (v & ~valid)
			return -1;
		/* LME cannot change while paging is on; LMA is read-only */
		if ((c->cr0 & CR0_PGB) && ((v ^ c->efer) & EFER_LME))
			return -1;
		if ((v & EFER_LME) && !cpu_has(c, FEAT(FW_8000_0001_EDX, 29)))
			return -1;
		uint64_t old = c->efer;
		c->efer = (v & ~EFER_LMA) | (old & EFER_LMA);
		if ((old ^ c->efer) & EFER_NXE) {
			if (c->sysmode)
				cpu_tlb_flush(c);
			c->exit_request = 1;
		}
		return 0;
	}
	case MSR_STAR: c->star = v; return 0;
	case MSR_LSTAR: case MSR_CSTAR:
		if (!canonical(v))
			return -1;
		if (idx == MSR_LSTAR)
			c->lstar = v;
		else
			c->cstar = v;
		return 0;
	case MSR_FMASK: c->fmask = (uint32_t)v; return 0;
	case MSR_FS_BASE: case MSR_GS_BASE: case MSR_KERNEL_GS_BASE:
		if (!canonical(v))
			return -1;
		if (idx == MSR_KERNEL_GS_BASE)
			c->kernel_gs_base = v;
		else
			cpu_set_seg_base(c, idx == MSR_FS_BASE ? SEG_FS : SEG_GS, v);
		return 0;
	case MSR_TSC_AUX:
		if (!cpu_has(c, FEAT(FW_8000_0001_EDX, 27)) || (v >> 32))
			return -1;
		c->tsc_aux = v;
		return 0;
	default: break;
	}
	if (idx >= MSR_MTRR_PHYS0 && idx < MSR_MTRR_PHYS0 + 16) {
		c->mtrr_var[idx - MSR_MTRR_PHYS0] = v;
		return 0;
	}
	if ((k = mtrr_fixed_index(idx)) >= 0) {
		c->mtrr_fixed[k] = v;
		return 0;
	}
	if (c->env && c->env->msr_write)
		return c->env->msr_write(c, idx, v);
	return -1;
}

static void rdmsr(struct cpu *c, const struct insn *in)
{
	(void)in;
	need_cpl0(c);
	uint32_t idx = (uint32_t)c->regs[R_RCX];
	uint64_t v = 0;
	if (!c->sysmode || cpu_msr_read(c, idx, &v)) {
		sys_log(c, CPU_LOG_UNIMP | CPU_LOG_GUEST_ERRORS, "rdmsr %#x: #GP\n", idx);
		cpu_raise(c, EXC_GP, 0);
	}
	set_reg(c, R_RAX, (uint32_t)v, 4);
	set_reg(c, R_RDX, v >> 32, 4);
}
static void wrmsr(struct cpu *c, const struct insn *in)
{
	(void)in;
	need_cpl0(c);
	uint32_t idx = (uint32_t)c->regs[R_RCX];
	uint64_t v = ((uint64_t)(uint32_t)c->regs[R_RDX] << 32) | (uint32_t)c->regs[R_RAX];
	if (!c->sysmode || cpu_msr_write(c, idx, v)) {
		sys_log(c, CPU_LOG_UNIMP | CPU_LOG_GUEST_ERRORS, "wrmsr %#x <- %#llx: #GP\n", idx,
			(unsigned long long)v);
		cpu_raise(c, EXC_GP, 0);
	}
}

/* --- fast system calls ---------------------------------------------- */

#define FLAT_CODE (DESC_P | DESC_S | DESC_CODE | DESC_W | DESC_A | DESC_G | 0xf0000u)
#define FLAT_DATA (DESC_P | DESC_S | DESC_W | DESC_A | DESC_G | DESC_B | 0xf0000u)

/* SYSCALL (SDM vol. 2; AMD APM vol. 2 §6.1.1 for legacy mode).  User
 * mode hands it to its runtime. */
static void op_syscall(struct cpu *c, const struct insn *in)
{
	if (!(c->efer & EFER_SCE))
		cpu_raise(c, EXC_UD, 0);
	if (!c->sysmode) {
		c->rip = in->next_rip;
		c->exit_reason = EXIT_SYSCALL;
		return;
	}
	if (!sys_prot(c))
		cpu_raise(c, EXC_UD, 0);
	uint16_t sel = (uint16_t)(c->star >> 32) & 0xfffc;
	uint32_t fl = cpu_get_eflags(c);
	if (sys_long(c)) {
		c->regs[R_RCX] = in->next_rip;
		c->regs[R_R11] = fl & ~FL_RF;
		seg_flat(c, SEG_CS, sel, FLAT_CODE | DESC_L);
		seg_flat(c, SEG_SS, (uint16_t)(sel + 8), FLAT_DATA);
		cpu_set_eflags(c, fl & ~(uint32_t)c->fmask & ~FL_RF, ~0u);
		c->rip = sys_code64(c) ? c->lstar : c->cstar;
	} else {
		c->regs[R_RCX] = (uint32_t)in->next_rip;
		seg_flat(c, SEG_CS, sel, FLAT_CODE | DESC_B);
		seg_flat(c, SEG_SS, (uint16_t)(sel + 8), FLAT_DATA);
		c->eflags &= ~(FL_VM | FL_IF | FL_RF);
		c->rip = (uint32_t)c->star;
	}
	seg_set_cpl(c, 0);
	cpu_update_mode(c);
}

static void op_sysret(struct cpu *c, const struct insn *in)
{
	if (!(c->efer & EFER_SCE))
		cpu_raise(c, EXC_UD, 0);
	if (!c->sysmode || !sys_prot(c) || c->cpl != 0)
		cpu_raise(c, EXC_GP, 0);
	uint16_t sel = (uint16_t)(c->star >> 48);
	uint32_t old_if = c->eflags & FL_IF;
	if (sys_long(c)) {
		uint64_t rip = in->opsize == 8 ? c->regs[R_RCX] : (uint32_t)c->regs[R_RCX];
		if (!canonical(rip))
			cpu_raise(c, EXC_GP, 0);
		if (in->opsize == 8)
			seg_flat(c, SEG_CS, (uint16_t)((sel + 16) | 3), FLAT_CODE | DESC_L | (3u << DESC_DPL_SHIFT));
		else
			seg_flat(c, SEG_CS, sel | 3, FLAT_CODE | DESC_B | (3u << DESC_DPL_SHIFT));
		cpu_set_eflags(c, ((uint32_t)c->regs[R_R11] & 0x3c7fd7u) | 2, ~0u);
		c->rip = rip;
	} else {
		seg_flat(c, SEG_CS, sel | 3, FLAT_CODE | DESC_B | (3u << DESC_DPL_SHIFT));
		c->eflags |= FL_IF;
		c->rip = (uint32_t)c->regs[R_RCX];
	}
	seg_flat(c, SEG_SS, (uint16_t)((sel + 8) | 3), FLAT_DATA | (3u << DESC_DPL_SHIFT));
	seg_set_cpl(c, 3);
	cpu_update_mode(c);
	if (!old_if && (c->eflags & FL_IF))
		c->exit_request = 1;
}

/* SYSENTER / SYSEXIT (SDM vol. 2) */
static void op_sysenter(struct cpu *c, const struct insn *in)
{
	(void)in;
	if (!c->sysmode || !sys_prot(c) || (c->sysenter_cs & 0xfffc) == 0)
		cpu_raise(c, EXC_GP, 0);
	uint16_t sel = (uint16_t)(c->sysenter_cs & 0xfffc);
	c->eflags &= ~(FL_VM | FL_IF | FL_RF);
	if (sys_long(c)) {
		seg_flat(c, SEG_CS, sel, FLAT_CODE | DESC_L);
		c->regs[R_RSP] = c->sysenter_esp;
		c->rip = c->sysenter_eip;
	} else {
		seg_flat(c, SEG_CS, sel, FLAT_CODE | DESC_B);
		c->regs[R_RSP] = (uint32_t)c->sysenter_esp;
		c->rip = (uint32_t)c->sysenter_eip;
	}
	seg_flat(c, SEG_SS, (uint16_t)(sel + 8), FLAT_DATA);
	seg_set_cpl(c, 0);
	cpu_update_mode(c);
}

static void op_sysexit(struct cpu *c, const struct insn *in)
{
	if (!c->sysmode || !sys_prot(c) || c->cpl != 0 || (c->sysenter_cs & 0xfffc) == 0)
		cpu_raise(c, EXC_GP, 0);
	uint16_t sel = (uint16_t)c->sysenter_cs;
	if (in->opsize == 8) {
		if (!canonical(c->regs[R_RDX]) || !canonical(c->regs[R_RCX]))
			cpu_raise(c, EXC_GP, 0);
		seg_flat(c, SEG_CS, (uint16_t)((sel + 32) | 3), FLAT_CODE | DESC_L | (3u << DESC_DPL_SHIFT));
		seg_flat(c, SEG_SS, (uint16_t)((sel + 40) | 3), FLAT_DATA | (3u << DESC_DPL_SHIFT));
		c->regs[R_RSP] = c->regs[R_RCX];
		c->rip = c->regs[R_RDX];
	} else {
		seg_flat(c, SEG_CS, (uint16_t)((sel + 16) | 3), FLAT_CODE | DESC_B | (3u << DESC_DPL_SHIFT));
		seg_flat(c, SEG_SS, (uint16_t)((sel + 24) | 3), FLAT_DATA | (3u << DESC_DPL_SHIFT));
		c->regs[R_RSP] = (uint32_t)c->regs[R_RCX];
		c->rip = (uint32_t)c->regs[R_RDX];
	}
	seg_set_cpl(c, 3);
	cpu_update_mode(c);
}

/* --- INVPCID (66 0F 38 82 /r) --------------------------------------- */

static void invpcid(struct cpu *c, const struct insn *in)
{
	need_cpl0(c);
	if (!c->sysmode)
		cpu_raise(c, EXC_GP, 0);
	uint64_t type = get_reg(c, in->reg, sys_code64(c) ? 8 : 4);
	uint64_t ea = insn_ea(c, in);
	uint64_t pcid = ld64(c, ea), lin = ld64(c, (ea + 8) & c->lin_mask);
	if (pcid > 0xfff)
		cpu_raise(c, EXC_GP, 0);
	switch (type) {
	case 0:
		if (!canonical(lin))
			cpu_raise(c, EXC_GP, 0);
		cpu_tlb_flush_page(c, lin);
		break;
	case 1: case 3: cpu_tlb_flush_nonglobal(c); break;
	case 2: cpu_tlb_flush(c); break;
	default: cpu_raise(c, EXC_GP, 0);
	}
	c->exit_request = 1;
}

/* --- PUSHF (9C), POPF (9D) ------------------------------------------ */

/* VM and RF are never pushed; in virtual-8086 mode IOPL < 3 is #GP. */
static void pushf(struct cpu *c, const struct insn *in)
{
	if (sys_vm86(c) && sys_iopl(c) < 3)
		cpu_raise(c, EXC_GP, 0);
	cpu_push(c, cpu_get_eflags(c) & ~(FL_VM | FL_RF), in->opsize);
}


/* IOPL changes at CPL 0 only, IF when CPL <= IOPL (SDM vol. 2, POPF).
 * Setting IF leaves the TB loop so that a pending interrupt is taken. */
static void popf(struct cpu *c, const struct insn *in)
{
	if (sys_vm86(c) && sys_iopl(c) < 3)
		cpu_raise(c, EXC_GP, 0);
	uint64_t v = cpu_pop(c, in->opsize);
	uint32_t mask = FL_ARITH | FL_TF | FL_DF | FL_NT | FL_AC | FL_ID;
	if (c->cpl == 0)
		mask |= FL_IOPL | FL_IF;
	else if (c->cpl <= sys_iopl(c))
		mask |= FL_IF;
	if (in->opsize == 2)
		mask &= 0xffff;
	uint32_t old = c->eflags;
	cpu_set_eflags(c, (uint32_t)v, mask);
	if (c->sysmode && !(old & FL_IF) && (c->eflags & FL_IF))
		c->exit_request = 1;
}

#define M0F MAP_0F
#define M38 MAP_0F38
#define RM F_MODRM

const struct opdesc ops_sys2[] = {
	OP(MAP_1B, 0x9c, F_DEF64, pushf, 0),
	OP(MAP_1B, 0x9d, F_DEF64 | F_TERM, popf, 0),
	OP(M0F, 0x20, RM, mov_r_cr, 0),
	OP(M0F, 0x22, RM | F_TERM, mov_cr_r, 0),
	OP(M0F, 0x21, RM, mov_r_dr, 0),
	OP(M0F, 0x23, RM | F_TERM, mov_dr_r, 0),
	OPF(M0F, 0x01, P_NONE, 1, M_RM0, 2, 0, FEAT(FW_7_0_EBX, 20), RM | F_TERM | F_NOFLAGS, clac),
	OPF(M0F, 0x01, P_NONE, 1, M_RM0, 3, 0, FEAT(FW_7_0_EBX, 20), RM | F_NOFLAGS, stac),
	OP(M0F, 0x30, F_TERM, wrmsr, 0),
	OP(M0F, 0x32, 0, rdmsr, 0),
	OP(M0F, 0x31, F_NOFLAGS, rdtsc, 0),
	OPF(M0F, 0x01, P_ANY, 7, M_RM0, 1, 0, FEAT(FW_8000_0001_EDX, 27), RM | F_NOFLAGS, rdtscp),
	OP(M0F, 0x33, 0, rdpmc, 0),
	OP(M0F, 0x05, F_TERM, op_syscall, 0),
	OP(M0F, 0x07, F_TERM, op_sysret, 0),
	OP(M0F, 0x34, F_TERM, op_sysenter, 0),
	OP(M0F, 0x35, F_TERM, op_sysexit, 0),
	OPF(M38, 0x82, P_66, -1, M_MEM, 0, 0, FEAT(FW_7_0_EBX, 10), RM | F_TERM, invpcid),
	{ 0 },
};
