/*
 * System-level x86 shared by seg.c (descriptors, far transfers, TSS),
 * intr.c (event delivery, IRET) and ops_sys.c / ops_sys2.c (system
 * instructions).  Intel SDM vol. 3 chapters 3, 5, 6 and 7.
 */
#ifndef LEMU_CPU_X86_SYS_H
#define LEMU_CPU_X86_SYS_H

#include "cpu.h"

/* Control-register and EFER bits (SDM vol. 3 §2.5, §2.2.1). */
#define CR0_PE (1ull << 0)
#define CR0_MPB (1ull << 1)
#define CR0_EMB (1ull << 2)
#define CR0_TSB (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WPB (1ull << 16)
#define CR0_AM (1ull << 18)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PGB (1ull << 31)
#define CR4_VME_B (1ull << 0)
#define CR4_PVI_B (1ull << 1)
#define CR4_TSD_B (1ull << 2)
#define CR4_DE_B (1ull << 3)
#define CR4_PSE_B (1ull << 4)
#define CR4_PAE_B (1ull << 5)
#define CR4_MCE_B (1ull << 6)
#define CR4_PGE_B (1ull << 7)
#define CR4_PCE_B (1ull << 8)
#define CR4_OSFXSR_B (1ull << 9)
#define CR4_OSXMM_B (1ull << 10)
#define CR4_UMIP_B (1ull << 11)
#define CR4_FSGSBASE_B (1ull << 16)
#define CR4_PCIDE_B (1ull << 17)
#define CR4_OSXSAVE_B (1ull << 18)
#define CR4_SMEP_B (1ull << 20)
#define CR4_SMAP_B (1ull << 21)
#define CR4_PKE_B (1ull << 22)
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

/* Descriptor high-dword bits (SDM vol. 3 §3.4.5); seg.flags keeps bits
 * 8..23 of that dword in place. */
#define DESC_A (1u << 8)   /* accessed (code/data) or TSS busy bit - 8 */
#define DESC_TYPE_SHIFT 8
#define DESC_S (1u << 12)  /* code/data (1) or system (0) */
#define DESC_DPL_SHIFT 13
#define DESC_P (1u << 15)
#define DESC_AVL (1u << 20)
#define DESC_L (1u << 21)
#define DESC_B (1u << 22)
#define DESC_G (1u << 23)
#define DESC_CODE (1u << 11) /* with DESC_S: executable */
#define DESC_C (1u << 10)    /* code: conforming; data: expand-down */
#define DESC_W (1u << 9)     /* data: writable; code: readable */

static inline unsigned desc_dpl(uint32_t hi) { return (hi >> DESC_DPL_SHIFT) & 3; }
static inline unsigned desc_type(uint32_t hi) { return (hi >> DESC_TYPE_SHIFT) & 15; }
static inline uint64_t desc_base(uint32_t lo, uint32_t hi)
{
	return (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u);
}
static inline uint32_t desc_limit(uint32_t lo, uint32_t hi)
{
	uint32_t l = (lo & 0xffff) | (hi & 0x000f0000u);
	return (hi & DESC_G) ? (l << 12) | 0xfff : l;
}

/* System descriptor types (S = 0). */
enum {
	SYS_TSS16_AVAIL = 1, SYS_LDT = 2, SYS_TSS16_BUSY = 3, SYS_CALLGATE16 = 4,
	SYS_TASKGATE = 5, SYS_INTGATE16 = 6, SYS_TRAPGATE16 = 7,
	SYS_TSS32_AVAIL = 9, SYS_TSS32_BUSY = 11, SYS_CALLGATE32 = 12,
	SYS_INTGATE32 = 14, SYS_TRAPGATE32 = 15,
};

static inline bool sys_long(const struct cpu *c) { return (c->efer & EFER_LMA) != 0; }
static inline bool sys_code64(const struct cpu *c) { return (c->tb_flags & TB_F_CODE64) != 0; }
static inline bool sys_prot(const struct cpu *c) { return (c->cr0 & CR0_PE) != 0; }
static inline bool sys_vm86(const struct cpu *c) { return (c->eflags & FL_VM) != 0; }
static inline unsigned sys_iopl(const struct cpu *c) { return (c->eflags >> 12) & 3; }

/* --- seg.c ---------------------------------------------------------- */

/* Read the 8-byte descriptor of sel from the GDT/LDT into d[0..1].
 * Returns 0, or -1 when the selector is beyond the table limit (the
 * caller raises the fault its instruction defines). */
int seg_read_desc(struct cpu *c, uint16_t sel, uint32_t d[2]);
/* Linear address of sel's descriptor (valid after seg_read_desc). */
uint64_t seg_desc_addr(struct cpu *c, uint16_t sel);
/* Set the accessed bit of a code/data descriptor in memory if clear. */
void seg_set_accessed(struct cpu *c, uint16_t sel, uint32_t hi);
/* Fill the cached part of segment register seg (no checks). */
void seg_cache(struct cpu *c, int seg, uint16_t sel, uint32_t lo, uint32_t hi);
/* A flat segment (SYSCALL/SYSENTER): base 0, limit 4G, attributes. */
void seg_flat(struct cpu *c, int seg, uint16_t sel, uint32_t flags);
/* Null selector in a data segment register (unusable). */
void seg_null(struct cpu *c, int seg, uint16_t sel);
/* Load DS/ES/FS/GS/SS from sel with the protected-mode checks of MOV
 * Sreg / POP Sreg / LxS (raises #GP/#NP/#SS), or the real/VM86 rule. */
void seg_load_data(struct cpu *c, int seg, uint16_t sel);
/* Real mode / virtual-8086 segment load: base = sel << 4 (no checks). */
void seg_load_real(struct cpu *c, int seg, uint16_t sel);
/* Change CPL (and the MMU index that depends on it). */
void seg_set_cpl(struct cpu *c, unsigned cpl);
/* After a return to an outer level: data segment registers whose DPL is
 * below the new CPL become null (SDM vol. 2, RET/IRET). */
void seg_fixup_data(struct cpu *c);
/* Stack pointer for privilege level dpl from the current TSS (32/16-bit
 * TSS); raises #TS. */
void seg_tss_stack(struct cpu *c, unsigned dpl, uint16_t *ss, uint64_t *sp, uint32_t ext);
/* RSP0..2 (idx 0..2) or IST1..7 (idx 3 + n) from a 64-bit TSS. */
uint64_t seg_tss_rsp64(struct cpu *c, unsigned idx, uint32_t ext);
/* Check a new SS for a privilege change to `cpl` (raises #TS(sel)). */
void seg_check_new_ss(struct cpu *c, uint16_t ss, unsigned cpl, uint32_t d[2], int fault, uint32_t ext);
/* Far JMP/CALL to sel:off; RETF (imm = bytes to release). */
void seg_far_jmp(struct cpu *c, uint16_t sel, uint64_t off, unsigned opsize, uint64_t next_rip);
void seg_far_call(struct cpu *c, uint16_t sel, uint64_t off, unsigned opsize, uint64_t next_rip);
void seg_far_ret(struct cpu *c, unsigned opsize, unsigned imm);
/* I/O permission: raise #GP(0) unless the access is allowed (IOPL or the
 * TSS bitmap, SDM vol. 1 §19.5). */
void seg_io_check(struct cpu *c, uint16_t port, unsigned size);
/* A task switch that is not implemented: log it and stop the machine. */
__attribute__((noreturn)) void seg_task_unsupported(struct cpu *c, const char *why);
/* Switch to the task of TSS selector sel (task.c); next_eip is saved as
 * the old task's EIP; an error code is pushed on the new task's stack. */
enum { TASK_JMP, TASK_CALL, TASK_IRET, TASK_INT };
void seg_task_switch(struct cpu *c, uint16_t sel, int reason, uint64_t next_eip, bool has_err, uint32_t err);

/* A small stack cursor used while building frames (nothing is committed
 * until every store has succeeded). */
struct sys_stack {
	uint64_t base, sp, mask, lmask;
	bool sv; /* implicit supervisor access (new CPL < 3) */
};
void stk_push(struct cpu *c, struct sys_stack *s, uint64_t v, unsigned size);
uint64_t stk_pop(struct cpu *c, struct sys_stack *s, unsigned size);
/* Cursor over the current SS:RSP. */
void stk_current(struct cpu *c, struct sys_stack *s);
/* Write the cursor back to RSP (respecting the stack size). */
void stk_commit(struct cpu *c, const struct sys_stack *s);

/* Segment instruction handlers (seg.c). */
void op_lar(struct cpu *c, const struct insn *in);
void op_lsl(struct cpu *c, const struct insn *in);
void op_verr(struct cpu *c, const struct insn *in);
void op_verw(struct cpu *c, const struct insn *in);
void op_lldt(struct cpu *c, const struct insn *in);
void op_ltr(struct cpu *c, const struct insn *in);

/* CR0 write with its checks, IA-32e activation and TLB flush (ops_sys2.c). */
void sys_write_cr0(struct cpu *c, uint64_t v);

/* --- intr.c --------------------------------------------------------- */

/* IRET/IRETD/IRETQ (opsize 2/4/8). */
void sys_iret(struct cpu *c, unsigned opsize, uint64_t next_rip);
/* Logging of guest errors / unimplemented features (-d guest_errors,unimp). */
void sys_log(struct cpu *c, unsigned item, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
