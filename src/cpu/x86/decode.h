/*
 * Opcode description tables.  Each instruction group (ops_*.c) exports a
 * const array of struct opdesc terminated by an entry with fn == NULL;
 * decode.c lists those arrays explicitly and indexes them once.
 */
#ifndef LEMU_CPU_X86_DECODE_H
#define LEMU_CPU_X86_DECODE_H

#include "cpu.h"

enum { MAP_1B, MAP_0F, MAP_0F38, MAP_0F3A, MAP_NB };

/* Mandatory-prefix selector (SSE and friends). */
enum {
	P_ANY = 0, /* prefixes have their legacy meaning */
	P_NONE,    /* no 66/F2/F3 */
	P_66,
	P_F3,
	P_F2,
};

/* Which ModRM forms an entry accepts. */
enum {
	M_ANY = 0,
	M_MEM,   /* mod != 3 */
	M_REG,   /* mod == 3, any rm */
	M_RM0,   /* mod == 3 and rm == rmval (x87 D9 E0, 0F 01 D0, ...) */
};

/* opdesc.flags */
#define F_MODRM 0x0001
#define F_BYTE 0x0002    /* operand size 1 */
#define F_DEF64 0x0004   /* default operand size 64 in long mode (push, jmp r/m) */
#define F_FORCE64 0x0008 /* always 64 in long mode (near branches) */
#define F_NO64 0x0010    /* invalid in 64-bit mode */
#define F_ONLY64 0x0020  /* valid only in 64-bit mode */
#define F_TERM 0x0040    /* ends the TB (control transfer or mode change) */
#define F_LOCK 0x0080    /* LOCK prefix allowed (with memory operand) */
#define F_IMM8 0x0100    /* imm8 sign-extended to operand size */
#define F_IMM8U 0x0200   /* imm8 zero-extended */
#define F_IMMZ 0x0400    /* imm16/imm32 by operand size, sign-extended to 64 */
#define F_IMMV 0x0800    /* imm of full operand size (MOV r, imm64) */
#define F_IMM16 0x1000   /* imm16 (RET n, ENTER first) */
#define F_REL 0x2000     /* relative branch: rel8 with F_IMM8, else relz;
			  * imm holds the absolute target */
#define F_MOFFS 0x4000   /* moffs of address size (MOV AL, [moffs]) */
#define F_FAR 0x8000     /* ptr16:16/32 far pointer (imm=offset, imm2=sel) */
#define F_ENTER 0x10000  /* imm16 then imm8 (imm2) */
#define F_SIZE16 0x20000 /* operand size fixed at 2 (e.g. MOV Sreg) */
#define F_SIZE32 0x40000 /* 4 unless REX.W: 8 (ignores 66, used by SSE<->GPR) */
#define F_REPOK 0x80000  /* F2/F3 act as REP prefixes */
#define F_WFLAGS 0x200000 /* writes all of OSZAPC and reads none (flag liveness) */
#define F_NOFLAGS 0x400000 /* neither reads nor writes flags, and touches no memory
			    * other than through its r/m operand */
#define F_INCDEC 0x800000 /* writes OF/SF/ZF/AF/PF, passes CF (INC, DEC) */
#define F_VEX 0x100000   /* VEX-encoded (BMI1/BMI2 GPR forms); pfx = VEX.pp,
			  * map = VEX.mmmmm; insn.vvvv and insn.vex are set */

struct opdesc {
	uint8_t map;   /* MAP_* */
	uint8_t op;    /* opcode byte */
	uint8_t pfx;   /* P_* */
	int8_t ext;    /* ModRM.reg required (0..7) or -1 */
	uint8_t mod;   /* M_* */
	uint8_t rmval; /* with M_RM0 */
	uint8_t aux;   /* copied to insn.aux */
	uint16_t feat; /* FEAT(word, bit) required, 0 = always */
	uint32_t flags;
	insn_fn fn;
};

/* Helpers to write tables compactly. */
#define OP(map, op, fl, fn, aux) { map, op, P_ANY, -1, M_ANY, 0, aux, 0, fl, fn }
#define OPX(map, op, ext, fl, fn, aux) { map, op, P_ANY, ext, M_ANY, 0, aux, 0, fl, fn }
#define OPF(map, op, pfx, ext, mod, rmval, aux, feat, fl, fn) \
	{ map, op, pfx, ext, mod, rmval, aux, feat, fl, fn }

/* The groups; each is defined in its ops_*.c file. */
extern const struct opdesc ops_int[];    /* ops_int.c: integer core */
extern const struct opdesc ops_int2[];   /* ops_int2.c: shifts, group 3, mul/div, bit tests/scans */
extern const struct opdesc ops_string[]; /* ops_string.c: MOVS CMPS STOS LODS SCAS, REP */
extern const struct opdesc ops_misc[];   /* ops_misc.c: CMPXCHG XADD BSWAP MOVBE CRC32 RDTSC RDRAND BCD ... */
extern const struct opdesc ops_bmi[];    /* ops_bmi.c: BMI1, BMI2, ADX */
extern const struct opdesc ops_sys[];    /* ops_sys.c: system / privileged */
extern const struct opdesc ops_sys2[];   /* ops_sys2.c: CRn, DRn, MSRs, TSC, SYSCALL/SYSENTER, POPF */
extern const struct opdesc ops_x87[];    /* ops_x87.c */
extern const struct opdesc ops_sse[];    /* ops_sse.c: MMX, SSE, SSE2 moves */
extern const struct opdesc ops_sse_int[]; /* ops_sse_int.c: MMX/SSE2 integer */
extern const struct opdesc ops_sse_fp[]; /* ops_sse_fp.c: SSE/SSE2 FP arithmetic */
extern const struct opdesc ops_sse_cvt[]; /* ops_sse_cvt.c: SSE/SSE2 conversions */
extern const struct opdesc ops_sse2[];   /* ops_sse2.c: SSE3, SSSE3 */
extern const struct opdesc ops_sse41[];  /* ops_sse41.c: SSE4.1 integer, PCMPGTQ */
extern const struct opdesc ops_sse41fp[]; /* ops_sse41fp.c: ROUNDxx, DPPS/DPPD */
extern const struct opdesc ops_sse42[];  /* ops_sse42.c: PCMPxSTRx */
extern const struct opdesc ops_aes[];    /* ops_aes.c: AES-NI, PCLMULQDQ */

/* Common handlers any group may reference. */
void op_ud(struct cpu *c, const struct insn *in); /* raise #UD */

#endif
