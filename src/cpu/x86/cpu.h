/*
 * x86 CPU state and the interface between the decoder, the threaded
 * interpreter and the instruction handlers.
 *
 * Shape (see docs/DESIGN and QEMU's translator notes): guest code is decoded
 * once into translation blocks (struct tb) of pre-decoded instructions
 * (struct insn).  Each insn carries a handler pointer; executing a TB is a
 * loop calling handlers.  Flags are lazy (cc_op + operands).  Exceptions
 * unwind with siglongjmp to cpu_exec() with the guest RIP restored from the
 * insn being executed, so every handler must perform all its memory
 * accesses (which may fault) before it writes any register.
 */
#ifndef LEMU_CPU_X86_CPU_H
#define LEMU_CPU_X86_CPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* General purpose registers; R_NONE indexes a slot that always holds 0 so
 * that effective-address computation needs no branches. */
enum {
	R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI,
	R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15,
	R_NONE = 16,
	R_COUNT
};

/* Byte registers: 0..15 are the low bytes, 16..19 are AH, CH, DH, BH. */
#define R8_AH 16

enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_ZERO, SEG_COUNT };

/* Exception vectors (Intel SDM vol. 3 §6.3.1). */
enum {
	EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5,
	EXC_UD = 6, EXC_NM = 7, EXC_DF = 8, EXC_TS = 10, EXC_NP = 11,
	EXC_SS = 12, EXC_GP = 13, EXC_PF = 14, EXC_MF = 16, EXC_AC = 17,
	EXC_MC = 18, EXC_XM = 19,
};

/* Reasons cpu_exec() returns to its caller (user-mode loop or machine). */
enum cpu_exit {
	EXIT_NONE = 0,
	EXIT_EXCEPTION, /* c->exc_vector, exc_error, exc_addr describe it */
	EXIT_SYSCALL,   /* SYSCALL (64-bit); rip already past the insn */
	EXIT_INT,       /* INT n (n in exc_vector); rip past the insn */
	EXIT_HLT,
	EXIT_REQUEST,   /* c->exit_request was set by another thread/signal */
	EXIT_SHUTDOWN,  /* system mode: triple fault (the machine resets) */
};

/* EFLAGS bits. */
#define FL_CF 0x0001
#define FL_PF 0x0004
#define FL_AF 0x0010
#define FL_ZF 0x0040
#define FL_SF 0x0080
#define FL_TF 0x0100
#define FL_IF 0x0200
#define FL_DF 0x0400
#define FL_OF 0x0800
#define FL_IOPL 0x3000
#define FL_NT 0x4000
#define FL_RF 0x10000
#define FL_VM 0x20000
#define FL_AC 0x40000
#define FL_VIF 0x80000
#define FL_VIP 0x100000
#define FL_ID 0x200000
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/*
 * Lazy condition codes.  cc_op says how OSZAPC derive from cc_dst (result),
 * cc_src (second operand) and cc_src2 (carry in, or auxiliary).  The size
 * is encoded in the low 2 bits (0=8, 1=16, 2=32, 3=64 bit).
 */
enum cc_op {
	CC_EFLAGS = 0, /* OSZAPC are in cc_src as literal EFLAGS bits */
	CC_ADD = 4,    /* dst = a + src; a = dst - src */
	CC_ADC = 8,    /* dst = a + src + src2(cf) */
	CC_SUB = 12,   /* dst = a - src */
	CC_SBB = 16,   /* dst = a - src - src2(cf) */
	CC_LOGIC = 20, /* CF=OF=0, AF=0 */
	CC_INC = 24,   /* CF preserved in src2; src unused */
	CC_DEC = 28,
	CC_SHL = 32,   /* src = value shifted by count-1 (CF from its top bit) */
	CC_SAR = 36,   /* src = value shifted by count-1 (CF from bit 0); OF=0 */
	CC_SHR = 40,   /* like SAR but OF = top bit of original: src2 */
	CC_MUL = 44,   /* CF=OF = (src != 0); other flags from dst */
	CC_BMI = 48,   /* BMI1 ops: ZF,SF from dst, CF = (src != 0), OF=0 */
	CC_ADCX = 52,  /* only CF changes (src2 = old flags, src = CF) */
	CC_ADOX = 56,  /* only OF changes */
	CC_POPCNT = 60,/* ZF from dst, others 0 */
	CC_NB
};
#define CC_SZ_8 0
#define CC_SZ_16 1
#define CC_SZ_32 2
#define CC_SZ_64 3

/* Condition codes as in Jcc/SETcc/CMOVcc low nibble. */
enum {
	COND_O, COND_NO, COND_B, COND_AE, COND_E, COND_NE, COND_BE, COND_A,
	COND_S, COND_NS, COND_P, COND_NP, COND_L, COND_GE, COND_LE, COND_G
};

struct seg {
	uint16_t sel;
	uint64_t base;
	uint32_t limit;
	uint32_t flags; /* descriptor attribute bits 8..23 of the high dword */
};

union xmm {
	uint8_t b[16];
	int8_t sb[16];
	uint16_t w[8];
	int16_t sw[8];
	uint32_t l[4];
	int32_t sl[4];
	uint64_t q[2];
	int64_t sq[2];
	float f[4];
	double d[2];
};

/* One x87 physical register: 80-bit extended value (host long double on
 * x86 hosts has exactly this layout) whose low 64 bits alias MMX regs. */
union fpreg {
	long double ld;
	struct {
		uint64_t mant;
		uint16_t exp;
	} x;
	uint8_t raw[16];
};

struct cpu;
struct insn;
typedef void (*insn_fn)(struct cpu *c, const struct insn *in);

/*
 * A pre-decoded instruction.  The decoder fills everything a handler needs
 * so that handlers never look at code bytes.
 */
struct insn {
	insn_fn fn;
	uint64_t rip;      /* address of this instruction (for faults) */
	uint64_t next_rip; /* address of the next one */
	int64_t disp;      /* displacement; RIP-relative already resolved */
	uint64_t imm;      /* immediate (sign/zero-extended per flags) */
	uint64_t imm2;     /* second immediate (ENTER level, far selector) */
	uint64_t amask;    /* address-size mask: 0xffff, 0xffffffff, ~0 */
	uint8_t opsize;    /* operand size in bytes: 1, 2, 4, 8 */
	uint8_t addrsize;  /* 2, 4, 8 */
	uint8_t seg;       /* SEG_* for the memory operand (SEG_ZERO = base 0) */
	uint8_t mem;       /* 1: r/m operand is memory; 0: register */
	uint8_t reg;       /* ModRM.reg | REX.R << 3 (also opcode low bits reg) */
	uint8_t rm;        /* ModRM.rm | REX.B << 3 when register form */
	uint8_t reg8;      /* reg as byte register (0..15, or R8_AH+n) */
	uint8_t rm8;       /* rm as byte register */
	uint8_t base;      /* memory: base register or R_NONE */
	uint8_t index;     /* memory: index register or R_NONE */
	uint8_t scale;     /* memory: shift count 0..3 */
	uint8_t prefix;    /* PFX_* bits actually present */
	uint8_t rex;       /* raw REX byte (0x40..0x4f) or 0 */
	uint8_t aux;       /* per-opcode constant from the opcode table */
	uint8_t modrm;     /* raw ModRM byte (x87 and group decoding) */
	uint8_t op;        /* opcode byte (last byte of the opcode) */
	uint8_t vvvv;      /* VEX.vvvv register (already un-inverted) */
	uint8_t vex;       /* bit 0: VEX-encoded; bit 1: VEX.L */
	uint8_t len;       /* length in bytes */
	uint8_t flg;       /* INSN_FLG_*: effect on OSZAPC, for flag liveness */
};
#define INSN_FLG_OTHER 0 /* reads flags, or unknown */
#define INSN_FLG_KILL 1  /* writes all OSZAPC without reading them */
#define INSN_FLG_NONE 2  /* does not touch flags */
#define INSN_FLG_INCDEC 3 /* writes all but CF, reads none */

/* insn.prefix bits */
#define PFX_66 0x01
#define PFX_67 0x02
#define PFX_F2 0x04 /* REPNE */
#define PFX_F3 0x08 /* REP/REPE */
#define PFX_LOCK 0x10
#define PFX_SEG 0x20 /* a segment override was present */
#define PFX_REX_W 0x40

/* Translation block: straight-line decoded code ending in a control
 * transfer, a TB-ending instruction, a page end or TB_MAX_INSNS. */
#define TB_MAX_INSNS 128
typedef void (*tb_code_fn)(struct cpu *c);
struct tb {
	tb_code_fn code;   /* call-threaded routine, or NULL to interpret */
	uint64_t pc;       /* RIP of the first instruction (an offset in CS) */
	uint64_t cs_base;  /* CS base it was decoded with: linear = cs_base + pc */
	uint64_t end_pc;   /* fall-through address after the last one */
	uint64_t page[2];  /* code pages covered (page[1] = ~0 if one page) */
	uint32_t flags;    /* TB_F_* decode-relevant CPU state */
	uint32_t n;        /* number of insns */
	uint32_t term;     /* the last insn ends the TB by itself (branch, fault...) */
	struct tb *hash_next;
	struct tb *page_next[2];
	struct tb *link[2];      /* chained successors (taken / fall-through) */
	volatile int invalid;
	struct insn insns[];
};

/* Decode-relevant CPU state baked into a TB. */
#define TB_F_CODE64 0x1  /* 64-bit code segment (long mode) */
#define TB_F_CODE32 0x2  /* CS.D: 32-bit default operand/address size */
#define TB_F_STACK32 0x4 /* SS.B */
#define TB_F_ZEROSEG 0x8 /* DS/ES/SS bases are 0 */
#define TB_F_CPL3 0x10
#define TB_F_PROT 0x20   /* CR0.PE */
/* System mode, CPL < 3, CR4.SMAP and EFLAGS.AC = 0: explicit data accesses
 * use the MMU_KSMAP soft TLB (generated code bakes the TLB index in). */
#define TB_F_KSMAP 0x40
/* Debug mode (debug.c): EFLAGS.TF or RF, or a DR7 enable bit.  TBs are one
 * interpreted instruction, checked by cpu_exec for instruction
 * breakpoints before and for single-step / data breakpoint traps after;
 * without it translated code is exactly as fast as ever. */
#define TB_F_DEBUG 0x80

struct tb_cache;
struct cpu_model;

/* What the environment (user mode or a machine) provides to the core. */
struct cpu_env_ops {
	/* Host pointer to the code page at linear address `page` (aligned),
	 * or NULL if it is not executable (the core raises #PF).  User mode
	 * write-protects the page here to catch self-modifying code. */
	const uint8_t *(*code_page)(struct cpu *c, uint64_t page);
	/* Slow path of memory access when !c->mem_direct (system mode). */
	void *(*mem_slow)(struct cpu *c, uint64_t lin, unsigned size, int write);
	/* Load a segment register (MOV Sreg, POP Sreg, LFS ...): fills
	 * c->seg[seg] and returns 0, or returns -1 for #GP(sel).  NULL: only
	 * null selectors are accepted (base 0).  Not used when c->sysmode
	 * (the core reads the descriptor tables itself). */
	int (*load_seg)(struct cpu *c, int seg, uint16_t sel);

	/* System emulation only (NULL in user mode). */
	/* IN/OUT after the core's IOPL / TSS I/O-bitmap checks. */
	uint32_t (*io_in)(struct cpu *c, uint16_t port, unsigned size);
	void (*io_out)(struct cpu *c, uint16_t port, uint32_t val, unsigned size);
	/* MSRs the core does not keep itself (APIC base, x2APIC, TSC deadline,
	 * anything machine-specific): 0, or -1 for #GP. */
	int (*msr_read)(struct cpu *c, uint32_t idx, uint64_t *val);
	int (*msr_write)(struct cpu *c, uint32_t idx, uint64_t val);
	/* Guest TSC (RDTSC/RDTSCP/MSR 0x10 read); NULL = host TSC. */
	uint64_t (*rdtsc)(struct cpu *c);
	/* The guest changed CR8/TPR (so the APIC can re-evaluate). */
	void (*tpr_changed)(struct cpu *c);
	/* Physical memory for the page walker and the soft TLB (mmu.c).
	 * phys_ram: host pointer to the RAM/ROM byte at paddr (valid to the
	 * end of its 4 KiB page), or NULL for MMIO / unassigned memory, or for
	 * write on ROM; *code is set when the page holds translated code. */
	uint8_t *(*phys_ram)(struct cpu *c, uint64_t paddr, bool write, bool *code);
	uint64_t (*phys_io_read)(struct cpu *c, uint64_t paddr, unsigned size);
	void (*phys_io_write)(struct cpu *c, uint64_t paddr, uint64_t val, unsigned size);
	/* A write is about to hit a page holding translated code: invalidate
	 * its TBs (setting c->tb_break if the running TB is among them). */
	void (*code_write)(struct cpu *c, uint64_t paddr, unsigned len);
	/* A TB is being built from physical page paddr: remember it as code and
	 * drop fast-path write tags for it in every vCPU's TLB. */
	void (*code_page_used)(struct cpu *c, uint64_t paddr);
};

/* Soft TLB (system mode, mmu.c): direct-mapped, one array per MMU index.
 * tag_r/tag_w/tag_x hold the page-aligned linear address when the access
 * kind is allowed through the fast path, TLB_INVALID otherwise; the host
 * address is addend + linear.  Pages that are MMIO, or RAM holding
 * translated code (for writes), never get a fast-path tag. */
#define TLB_BITS 8
#define TLB_SIZE (1u << TLB_BITS)
/* Never equal to a page address, nor to one masked with ~0xfff | (size-1)
 * as the generated probes do (bit 11 is always cleared there). */
#define TLB_INVALID 0x800ull
/* MMU_KSMAP: supervisor data accesses with SMAP enforced (CR4.SMAP and
 * EFLAGS.AC = 0, or implicit accesses, SDM vol. 3 §4.6): user pages get no
 * read/write rights there, so STAC/CLAC only switch the index. */
/* MMU_EDGE: never filled, so that every access misses the fast path while
 * an instruction's operand lies near its segment's limit (the slow path
 * then checks the access's last byte, cpu_seg_edge_access). */
enum { MMU_KERNEL, MMU_USER, MMU_KSMAP, MMU_EDGE, MMU_NB };
struct tlb_entry {
	uint64_t tag_r, tag_w, tag_x;
	uintptr_t addend;
	uint64_t tag;  /* linear page the translation below is for, or TLB_INVALID */
	uint64_t phys; /* its physical page (also to drop write tags of new code pages) */
	uint8_t prot;  /* TLB_PROT_*: accesses the walk allowed at this MMU index */
	uint8_t global;
	uint8_t pad[14]; /* 64 bytes: generated code indexes entries with a shift */
};
#define TLB_PROT_R 1
#define TLB_PROT_W 2 /* allowed and the dirty bit is already set */
#define TLB_PROT_X 4

/* Kinds of event delivered through the IDT (c->event_kind). */
enum {
	EV_EXC,     /* fault/trap raised by an instruction (exc_error valid for #DF #TS #NP #SS #GP #PF #AC) */
	EV_HW,      /* external interrupt (INTR) */
	EV_NMI,
	EV_SOFT,    /* INT n: privilege-checked against the gate DPL, returns to next insn */
	EV_SOFTEXC, /* INT3 / INTO: like EV_SOFT for DPL checks, vector is an exception */
	EV_ICEBP,   /* INT1 (F1): #DB without the DPL check */
};

struct dtable {
	uint64_t base;
	uint32_t limit;
};

/* CPUID feature words, indexed as in struct cpu.features. */
enum {
	FW_1_EDX, FW_1_ECX, FW_7_0_EBX, FW_7_0_ECX, FW_7_0_EDX,
	FW_8000_0001_EDX, FW_8000_0001_ECX, FW_D_1_EAX, FW_NB
};
/* Feature bit id = word * 32 + bit; 0 means "always available". */
#define FEAT(w, b) ((uint16_t)((w) * 32 + (b) + 1))

#define JMP_CACHE_BITS 12
#define JMP_CACHE_SIZE (1u << JMP_CACHE_BITS)

struct cpu {
	uint64_t regs[R_COUNT]; /* regs[R_NONE] is always 0 */
	uint64_t rip;

	/* lazy flags */
	uint64_t cc_dst, cc_src, cc_src2;
	uint32_t cc_op;
	uint32_t eflags; /* every bit but OSZAPC (those are lazy) */

	uint64_t seg_base[SEG_COUNT]; /* cached; seg_base[SEG_ZERO] == 0 */
	struct seg seg[6];
	uint64_t lin_mask; /* 0xffffffff outside long mode */
	/* System mode outside 64-bit code: some usable segment has a limit below
	 * 4 GiB or is expand-down, so memory operands are checked against it
	 * (cpu_update_mode sets it; cpu_seg_check does the check). */
	uint8_t seg_chk;

	/* x87 */
	union fpreg fpr[8];
	uint16_t fcw, fsw; /* fsw without TOP; TOP kept in ftop */
	uint8_t ftop;
	uint8_t ftag; /* abridged: bit i set = physical reg i not empty */
	uint16_t fop;
	uint64_t fip, fdp;

	/* SSE */
	union xmm xmm[16];
	uint32_t mxcsr;

	/* system state (used by system emulation; user mode keeps defaults) */
	uint64_t cr0, cr2, cr3, cr4, cr8, efer;
	uint64_t xcr0;
	uint64_t fs_base_msr, gs_base_msr, kernel_gs_base;
	uint64_t tsc_aux;
	uint32_t cpl;
	uint32_t tb_flags; /* TB_F_* for the current state */

	/* features and model */
	uint32_t features[FW_NB];
	const struct cpu_model *model;
	uint32_t cpuid_level, cpuid_xlevel;
	char vendor[13];

	/* execution */
	const struct insn *cur; /* insn being executed (precise faults) */
	sigjmp_buf jmp_env;
	volatile int exit_request;
	/* Set (from a fault handler) when a store just modified code of the
	 * running TB: the TB stops after the current instruction. */
	volatile uint8_t tb_break;
	/* Set by generated code leaving a TB through a chainable exit: the
	 * address of that exit's jump, which cpu_exec() links to the next TB. */
	uint8_t *last_exit;
	int exit_reason;
	int exc_vector;
	uint32_t exc_error;
	uint64_t exc_addr; /* faulting linear address (#PF) */
	int exc_write;     /* #PF was a write */
	/* Debug registers in action (debug.c, SDM vol. 3 ch. 17): DR0-3 slots
	 * with an enabled data breakpoint (R/W 01 or 11), the data breakpoints
	 * the current instruction hit (reported as a #DB trap after it), and a
	 * MOV SS / POP SS that delays the single-step trap by one instruction. */
	uint8_t db_data;
	uint8_t db_io; /* slots with an enabled I/O breakpoint (R/W 10, CR4.DE) */
	uint8_t db_hits;
	bool db_ss_shadow;
	/* Segment-limit windows of the current instruction (cpu.c): operand
	 * offsets within 64 bytes of a segment's end put the CPU on the
	 * MMU_EDGE TLB (the real index saved in seg_edge_idx) so that the
	 * slow path checks the last byte of each access starting in
	 * [seg_edge_first, seg_edge_last] of that segment (SDM vol. 3 §5.3). */
	uint8_t seg_edge_mask;
	uint8_t seg_edge_idx;
	const struct insn *seg_edge_cur;
	uint64_t seg_edge_first[6], seg_edge_last[6];

	/* memory */
	uintptr_t guest_base;
	bool mem_direct; /* user mode: host = guest_base + linear */
	const struct cpu_env_ops *env;
	void *opaque; /* owner (user-mode thread, machine vCPU) */

	struct tb_cache *tbc;
	unsigned tb_epoch; /* the tbc epoch this vCPU last passed a quiescent point in */
	struct tb *jmp_cache[JMP_CACHE_SIZE];

	/* -d logging (cpu_log.c): CPU_LOG_* items, written to logfile */
	unsigned log_flags;
	void *logfile; /* FILE *; stderr when NULL */

	/* --- system emulation (c->sysmode); user mode leaves these zero --- */
	bool sysmode;        /* descriptor tables, paging, in-guest exception delivery */
	uint8_t mmu_idx;     /* MMU_KERNEL, MMU_USER (CPL 3) or MMU_KSMAP: selects the TLB */
	struct dtable gdt, idt;
	struct seg ldt, tr;  /* LDTR and TR: selector + cached descriptor */
	uint64_t dr[8];
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t star, lstar, cstar, fmask;
	uint64_t pat, misc_enable, mtrr_def_type, mtrr_fixed[11], mtrr_var[16];
	int64_t tsc_offset;
	/* event being delivered / raised: exc_vector, exc_error and */
	uint8_t event_kind;       /* EV_* */
	uint64_t event_next_rip;  /* return address for EV_SOFT / traps */
	int delivering;           /* vector being delivered (for #DF), or -1 */
	/* interrupts are inhibited while rip == intr_shadow (after STI, MOV SS) */
	uint64_t intr_shadow;
	bool nmi_blocked;         /* from NMI delivery to the next IRET */
	/* An event for cpu_exec to deliver first (external interrupt chosen by
	 * the vCPU loop, NMI): inject_vector >= 0 with inject_kind EV_*. */
	int inject_vector;
	uint8_t inject_kind;
	bool shutdown;            /* triple fault: cpu_exec returned EXIT_SHUTDOWN */
	/* soft TLB and the bounce buffer for MMIO / page-crossing accesses */
	struct tlb_entry tlb[MMU_NB][TLB_SIZE];
	uint8_t bounce[64];
	uint64_t bounce_phys[2];  /* pending write-back of bounce (mmu.c) */
	unsigned bounce_len[2];
	bool bounce_pending;
	bool tlb_has_large;       /* a 2M/4M/1G page is cached piecewise: INVLPG in */
	uint64_t tlb_large_addr;  /* the aligned region (addr, mask) covering every */
	uint64_t tlb_large_mask;  /* such page flushes all (mmu.c tlb_note_large) */
	bool implicit_sv;         /* cpu_ld_sys/st_sys in progress */
	uint64_t a20_mask;

	uint64_t rng_state; /* RDRAND fallback state */
	uint64_t icount;    /* statistics; not exact */
	uint32_t apic_id;   /* system mode: initial APIC ID reported by CPUID */
};

/* --- exceptions ---------------------------------------------------- */

__attribute__((noreturn)) void cpu_raise(struct cpu *c, int vector, uint32_t error);
__attribute__((noreturn)) void cpu_raise_pf(struct cpu *c, uint64_t addr, int write);
/* Unwind and re-execute the current instruction (after self-modifying
 * code invalidated the running TB). */
__attribute__((noreturn)) void cpu_restart_insn(struct cpu *c);
/* The vCPU running on this host thread, for signal handlers. */
extern __thread struct cpu *cpu_current;
/* From a host SIGSEGV/SIGBUS handler: if the fault happened while this
 * thread executed guest code, raise the guest #PF (does not return);
 * otherwise return so the caller can treat it as an emulator bug. */
void cpu_host_fault(uintptr_t host_addr, int write);
/* Leave the TB loop with a given exit reason; rip must already be set. */
__attribute__((noreturn)) void cpu_exit_now(struct cpu *c, int reason);

/* --- memory ------------------------------------------------------- */

/*
 * Host pointer for an access of `size` bytes at linear address `lin`.
 * write: 0 read, 1 store (the caller overwrites all `size` bytes),
 * CPU_MEM_RMW read-modify-write.  In system mode a miss, an MMIO page or a
 * page-crossing access goes to env->mem_slow, which may return c->bounce:
 * after writing through the pointer the caller must call cpu_mem_done().
 */
#define CPU_MEM_RMW 3
static inline void *cpu_mem(struct cpu *c, uint64_t lin, unsigned size, int write)
{
	if (likely(c->mem_direct))
		return (void *)(uintptr_t)(c->guest_base + lin);
	const struct tlb_entry *e = &c->tlb[c->mmu_idx][(lin >> 12) & (TLB_SIZE - 1)];
	uint64_t tag = write ? e->tag_w : e->tag_r;
	if (likely((lin & ~0xfffull) == tag && (lin & 0xfff) + size <= 0x1000))
		return (void *)(e->addend + (uintptr_t)lin);
	return c->env->mem_slow(c, lin, size, write);
}
/* Host pointer for [lin, lin+size) when it lies in one page that the TLB
 * maps to plain RAM for this access (or always in user mode), else NULL:
 * for bulk paths (REP MOVS/STOS) that fall back to element accesses. */
static inline void *cpu_mem_fast(struct cpu *c, uint64_t lin, unsigned size, int write)
{
	if (likely(c->mem_direct))
		return (void *)(uintptr_t)(c->guest_base + lin);
	const struct tlb_entry *e = &c->tlb[c->mmu_idx][(lin >> 12) & (TLB_SIZE - 1)];
	uint64_t tag = write ? e->tag_w : e->tag_r;
	if ((lin & ~0xfffull) == tag && (lin & 0xfff) + size <= 0x1000)
		return (void *)(e->addend + (uintptr_t)lin);
	return NULL;
}
/* Commit a write that went through the bounce buffer (MMIO, page cross). */
void cpu_mem_commit(struct cpu *c);
static inline void cpu_mem_done(struct cpu *c, void *p)
{
	if (unlikely(p == (void *)c->bounce))
		cpu_mem_commit(c);
}

#define DEF_LDST(bits)                                                         \
	static inline uint##bits##_t ld##bits(struct cpu *c, uint64_t lin)     \
	{                                                                      \
		uint##bits##_t v;                                              \
		memcpy(&v, cpu_mem(c, lin, bits / 8, 0), sizeof(v));           \
		return v;                                                      \
	}                                                                      \
	static inline void st##bits(struct cpu *c, uint64_t lin, uint##bits##_t v) \
	{                                                                      \
		void *p = cpu_mem(c, lin, bits / 8, 1);                         \
		memcpy(p, &v, sizeof(v));                                      \
		cpu_mem_done(c, p);                                            \
	}
DEF_LDST(8)
DEF_LDST(16)
DEF_LDST(32)
DEF_LDST(64)
#undef DEF_LDST

/* Load/store of `size` bytes (1,2,4,8), zero-extended. */
static inline uint64_t ld_sz(struct cpu *c, uint64_t lin, unsigned size)
{
	switch (size) {
	case 1: return ld8(c, lin);
	case 2: return ld16(c, lin);
	case 4: return ld32(c, lin);
	default: return ld64(c, lin);
	}
}
static inline void st_sz(struct cpu *c, uint64_t lin, uint64_t v, unsigned size)
{
	switch (size) {
	case 1: st8(c, lin, (uint8_t)v); break;
	case 2: st16(c, lin, (uint16_t)v); break;
	case 4: st32(c, lin, (uint32_t)v); break;
	default: st64(c, lin, v); break;
	}
}
static inline void ld_bytes(struct cpu *c, uint64_t lin, void *dst, unsigned n)
{
	memcpy(dst, cpu_mem(c, lin, n, 0), n);
}
static inline void st_bytes(struct cpu *c, uint64_t lin, const void *src, unsigned n)
{
	void *p = cpu_mem(c, lin, n, 1);
	memcpy(p, src, n);
	cpu_mem_done(c, p);
}

/* System mode (mmu.c).  Implicit supervisor accesses (descriptor tables,
 * TSS, IDT, the interrupt stack frame of a CPL change) regardless of CPL. */
uint64_t cpu_ld_sys(struct cpu *c, uint64_t lin, unsigned size);
void cpu_st_sys(struct cpu *c, uint64_t lin, uint64_t v, unsigned size);
/* Flush the soft TLB (and the jump cache): all entries, non-global ones
 * (CR3 write without PCID preservation), or one page (INVLPG).  The caller
 * must also end the TB (set c->exit_request) when the mapping of running
 * code may have changed. */
void cpu_tlb_flush(struct cpu *c);
void cpu_tlb_flush_nonglobal(struct cpu *c);
void cpu_tlb_flush_page(struct cpu *c, uint64_t lin);
/* Recompute c->mmu_idx and friends after CPL/CR0/CR4/EFER changes. */
void cpu_mmu_update(struct cpu *c);
/* The TLB index of explicit accesses in the current state, and that of
 * implicit supervisor accesses (always SMAP-checked at CPL 3). */
unsigned cpu_mmu_index(const struct cpu *c);
unsigned cpu_mmu_index_sys(const struct cpu *c);

/* --- operands ----------------------------------------------------- */

/* Linear address of the memory operand. */
/* Segment limit check at offset off (SDM vol. 3 §5.3): #GP(0), or #SS(0)
 * for SS, when off is outside the segment; near the segment's end the
 * access's last byte is checked in the memory slow path
 * (cpu_seg_edge_access from mmu_mem_slow). */
void cpu_seg_check(struct cpu *c, int seg, uint64_t off);
void cpu_seg_edge_access(struct cpu *c, uint64_t lin, unsigned size);
/* The TLB index behind MMU_EDGE. */
static inline unsigned cpu_tlb_idx(const struct cpu *c)
{
	return c->mmu_idx == MMU_EDGE ? c->seg_edge_idx : c->mmu_idx;
}
static inline uint64_t insn_ea(struct cpu *c, const struct insn *in)
{
	uint64_t a = ((uint64_t)in->disp + c->regs[in->base] + (c->regs[in->index] << in->scale)) & in->amask;
	if (unlikely(c->seg_chk) && in->seg < 6)
		cpu_seg_check(c, in->seg, a);
	return (a + c->seg_base[in->seg]) & c->lin_mask;
}
/* Offset-only (LEA). */
static inline uint64_t insn_ea_off(struct cpu *c, const struct insn *in)
{
	uint64_t a = (uint64_t)in->disp + c->regs[in->base] + (c->regs[in->index] << in->scale);
	return a & in->amask;
}
/* Linear address of a segment:offset pair (string ops, stack). */
static inline uint64_t seg_lin(struct cpu *c, int seg, uint64_t off)
{
	if (unlikely(c->seg_chk) && seg < 6)
		cpu_seg_check(c, seg, off);
	return (off + c->seg_base[seg]) & c->lin_mask;
}

static inline uint64_t size_mask(unsigned size)
{
	return size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
}
static inline int64_t sext(uint64_t v, unsigned size)
{
	switch (size) {
	case 1: return (int8_t)v;
	case 2: return (int16_t)v;
	case 4: return (int32_t)v;
	default: return (int64_t)v;
	}
}

static inline uint8_t get_reg8(struct cpu *c, unsigned r8)
{
	if (r8 < 16)
		return (uint8_t)c->regs[r8];
	return (uint8_t)(c->regs[r8 - R8_AH] >> 8);
}
static inline void set_reg8(struct cpu *c, unsigned r8, uint8_t v)
{
	if (r8 < 16)
		c->regs[r8] = (c->regs[r8] & ~0xffull) | v;
	else
		c->regs[r8 - R8_AH] = (c->regs[r8 - R8_AH] & ~0xff00ull) | ((uint64_t)v << 8);
}

/* Read a GPR of `size`; for size 1 `r` is a byte-register number. */
static inline uint64_t get_reg(struct cpu *c, unsigned r, unsigned size)
{
	switch (size) {
	case 1: return get_reg8(c, r);
	case 2: return (uint16_t)c->regs[r];
	case 4: return (uint32_t)c->regs[r];
	default: return c->regs[r];
	}
}
/* Write a GPR with x86 semantics: 32-bit writes zero the upper half,
 * 8/16-bit writes merge. */
static inline void set_reg(struct cpu *c, unsigned r, uint64_t v, unsigned size)
{
	switch (size) {
	case 1: set_reg8(c, r, (uint8_t)v); break;
	case 2: c->regs[r] = (c->regs[r] & ~0xffffull) | (uint16_t)v; break;
	case 4: c->regs[r] = (uint32_t)v; break;
	default: c->regs[r] = v; break;
	}
}

/* The ModRM.reg operand at the insn's operand size. */
static inline uint64_t op_reg(struct cpu *c, const struct insn *in)
{
	return get_reg(c, in->opsize == 1 ? in->reg8 : in->reg, in->opsize);
}
static inline void op_reg_set(struct cpu *c, const struct insn *in, uint64_t v)
{
	set_reg(c, in->opsize == 1 ? in->reg8 : in->reg, v, in->opsize);
}
/* The r/m operand at an explicit size (register or memory). */
static inline uint64_t op_rm_sz(struct cpu *c, const struct insn *in, unsigned size)
{
	if (in->mem)
		return ld_sz(c, insn_ea(c, in), size);
	return get_reg(c, size == 1 ? in->rm8 : in->rm, size);
}
static inline void op_rm_set_sz(struct cpu *c, const struct insn *in, uint64_t v, unsigned size)
{
	if (in->mem)
		st_sz(c, insn_ea(c, in), v, size);
	else
		set_reg(c, size == 1 ? in->rm8 : in->rm, v, size);
}
static inline uint64_t op_rm(struct cpu *c, const struct insn *in)
{
	return op_rm_sz(c, in, in->opsize);
}
static inline void op_rm_set(struct cpu *c, const struct insn *in, uint64_t v)
{
	op_rm_set_sz(c, in, v, in->opsize);
}

/* --- stack -------------------------------------------------------- */

/* Stack address size: 8 in 64-bit mode, else SS.B ? 4 : 2. */
static inline unsigned stack_size(struct cpu *c)
{
	if (c->tb_flags & TB_F_CODE64)
		return 8;
	return (c->tb_flags & TB_F_STACK32) ? 4 : 2;
}
void cpu_push(struct cpu *c, uint64_t v, unsigned size);
uint64_t cpu_pop(struct cpu *c, unsigned size);

/* --- flags (flags.c) ---------------------------------------------- */

uint32_t cc_compute(struct cpu *c);           /* OSZAPC as EFLAGS bits */
int cc_cf(struct cpu *c);
int cc_eval(struct cpu *c, unsigned cond);    /* cond = COND_* */
uint32_t cpu_get_eflags(struct cpu *c);       /* full EFLAGS */
void cpu_set_eflags(struct cpu *c, uint32_t v, uint32_t mask);
static inline void cc_set(struct cpu *c, unsigned op, uint64_t dst, uint64_t src, uint64_t src2)
{
	c->cc_op = op;
	c->cc_dst = dst;
	c->cc_src = src;
	c->cc_src2 = src2;
}
/* Size code of the lazy-flag op for an operand size in bytes. */
static inline unsigned cc_sz(unsigned size)
{
	return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
}
/* Replace OSZAPC by explicit values (flags = EFLAGS-bit mask). */
static inline void cc_set_flags(struct cpu *c, uint32_t flags)
{
	c->cc_op = CC_EFLAGS;
	c->cc_src = flags & FL_ARITH;
}

/* --- cpu lifecycle (cpu.c, exec.c) -------------------------------- */

enum cpu_start_mode { CPU_MODE_REAL, CPU_MODE_USER32, CPU_MODE_USER64 };
struct error;
void cpu_init(struct cpu *c, const struct cpu_model *model, enum cpu_start_mode mode);
void cpu_update_mode(struct cpu *c); /* recompute tb_flags, lin_mask */
/* Recompute the TB_F_KSMAP / TB_F_DEBUG bits and the TLB index after
 * EFLAGS (TF, RF, AC), DR7 or CR4 changed (cpu_update_mode does it too). */
void cpu_update_dyn_flags(struct cpu *c);

/* Debug registers (debug.c).  cpu_dbg_before: at the start of a debug-mode
 * TB, raise the instruction-breakpoint #DB fault (unless RF); cpu_dbg_after:
 * after its instruction completed, clear RF and raise the single-step /
 * data-breakpoint #DB trap that is due.  cpu_dbg_access: a slow-path
 * access [lin, lin+size) (write: 0 read, else write) hit a data breakpoint?
 * cpu_dbg_dr7_changed: DR0-3 or DR7 were written. */
void cpu_dbg_before(struct cpu *c);
void cpu_dbg_after(struct cpu *c, uint32_t eflags_before);
void cpu_dbg_access(struct cpu *c, uint64_t lin, unsigned size, int write);
/* IN/OUT/INS/OUTS of size bytes at port: an I/O breakpoint hit? */
void cpu_dbg_io(struct cpu *c, uint16_t port, unsigned size);
void cpu_dbg_dr_changed(struct cpu *c);
/* A page holding an armed data breakpoint gets no fast-path TLB tags. */
bool cpu_dbg_page(const struct cpu *c, uint64_t page);
void cpu_set_seg_base(struct cpu *c, int seg, uint64_t base);
int cpu_exec(struct cpu *c); /* runs until an exit; returns enum cpu_exit */
/* System mode: deliver c->exc_vector (event_kind, exc_error, event_next_rip,
 * exc_addr) through the IDT; 0 to go on at c->rip, or EXIT_SHUTDOWN (intr.c). */
int cpu_sys_event(struct cpu *c);

/* -d items the core itself logs (cpu_log.c). */
#define CPU_LOG_IN_ASM 1 /* disassembly of each new TB */
#define CPU_LOG_EXEC 2   /* a line per executed TB */
#define CPU_LOG_CPU 4    /* registers before each executed TB */
#define CPU_LOG_GUEST_ERRORS 16 /* guest did something invalid (unknown MSR ...) */
#define CPU_LOG_UNIMP 32 /* guest reached something lemu does not implement */

/* System mode events and MSRs (intr.c, ops_sys2.c). */
/* Raise a software interrupt or trap from a handler: delivered by
 * cpu_sys_event() with return address next_rip (kind EV_SOFT, EV_SOFTEXC,
 * EV_ICEBP). */
__attribute__((noreturn)) void cpu_raise_event(struct cpu *c, int vector, int kind, uint32_t error,
					       uint64_t next_rip);
/* May an event of kind EV_HW / EV_NMI be injected now (IF, NMI blocking,
 * the STI / MOV SS interrupt shadow)? */
bool cpu_intr_allowed(const struct cpu *c, int kind);
/* MSRs kept by the core (forwarding the rest to env->msr_read/write):
 * 0, or -1 where RDMSR/WRMSR would raise #GP. */
int cpu_msr_read(struct cpu *c, uint32_t idx, uint64_t *val);
int cpu_msr_write(struct cpu *c, uint32_t idx, uint64_t val);
#define CPU_LOG_INT 8    /* system mode: each interrupt/exception delivered (-d int) */
struct tb;
void cpu_log_tb_in_asm(struct cpu *c, const struct tb *tb);
void cpu_log_tb_exec(struct cpu *c, const struct tb *tb);
void cpu_dump_state(struct cpu *c, void *file);

/* TB cache (exec.c) */
struct tb_cache *tb_cache_new(void);
void tb_cache_free(struct tb_cache *tbc);
/* Invalidate all TBs overlapping [start, start+len); returns count. */
int tb_invalidate_range(struct tb_cache *tbc, uint64_t start, uint64_t len);
void tb_flush(struct tb_cache *tbc);
/* With LEMU_TBSTAT set: one line of TB and code-memory statistics on stderr. */
void tb_cache_report(struct tb_cache *tbc);

/* Decoder (decode.c): decode one instruction at `pc`; returns its length,
 * or a negative value when the bytes at pc raise an exception (the insn
 * is then a handler that raises it). */
int x86_decode(struct cpu *c, uint64_t pc, const uint8_t *code, size_t avail,
	       uint32_t tb_flags, struct insn *out, int *ends_tb);

/* CPUID (cpuid.c) */
void cpu_cpuid(struct cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4]);
static inline bool cpu_has(const struct cpu *c, uint16_t feat)
{
	if (!feat)
		return true;
	feat--;
	return (c->features[feat / 32] >> (feat % 32)) & 1;
}

/* x87/SSE state helpers used by signal frames and XSAVE (fpu.c). */
void cpu_fxsave(struct cpu *c, uint8_t out[512]);
void cpu_fxrstor(struct cpu *c, const uint8_t in[512]);
void cpu_fpu_reset(struct cpu *c);
/* XSAVE-layout image (576 bytes: legacy area + header) of the components
 * in rfbm & XCR0, 64-bit format; XSTATE_BV bits outside rfbm keep the
 * value already in `out`.  cpu_xrstor_image returns -1 (state untouched)
 * on an invalid header or MXCSR, as XRSTOR would raise #GP. */
void cpu_xsave_image(struct cpu *c, uint8_t *out, uint64_t rfbm);
int cpu_xrstor_image(struct cpu *c, const uint8_t *in, uint64_t rfbm);

#endif
