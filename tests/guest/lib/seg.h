/* GDT layout shared by crt32.S, crt64.S and the C side of the test guests.
 * 0x38..0x58 follow what SYSCALL/SYSRET need (AMD APM vol. 2 §6.1.1, Intel SDM vol. 2 SYSRET):
 * STAR[47:32] = 0x38 gives CS 0x38, SS 0x40; STAR[63:48] = 0x48 gives the compat CS 0x48,
 * SS 0x50 and the 64-bit CS 0x58 (RPL 3). */
#ifndef GUEST_SEG_H
#define GUEST_SEG_H
#define SEL_CODE32 0x08
#define SEL_DATA32 0x10
#define SEL_CODE16 0x18		/* base 0, limit 0xffff, 16-bit */
#define SEL_DATA16 0x20
#define SEL_UCODE32 0x2b	/* ring 3 flat 32-bit, RPL 3 */
#define SEL_UDATA32 0x33
#define SEL_CODE64 0x38
#define SEL_DATA64 0x40
#define SEL_UCODE32C 0x4b	/* ring 3 compat-mode code (SYSRET to 32-bit) */
#define SEL_UDATA64 0x53
#define SEL_UCODE64 0x5b
#define SEL_TSS 0x60		/* 16 bytes in long mode: 0x60 and 0x68 */
#define SEL_FREE 0x70		/* first descriptor a test may use */
#define GDT_FREE_SLOTS 20
#define GDT_SLOTS (14 + GDT_FREE_SLOTS)
#endif
