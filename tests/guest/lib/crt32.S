/* Start-up of the 32-bit test guests: multiboot v1 header, flat GDT, IDT stubs.
 * The loader (QEMU's or lemu's multiboot support) enters at _start in 32-bit protected mode
 * with paging off, EAX = 0x2BADB002, EBX = multiboot info (Multiboot Specification 0.6.96 §3.2).
 * Flat code/data at selectors 0x08/0x10; the other descriptors are for the tests (guest.h). */
#include "seg.h"

	.section .multiboot, "a"
	.align 4
	.long 0x1BADB002		/* magic */
	.long 0x00000003		/* flags: page-align modules, memory info */
	.long -(0x1BADB002 + 0x00000003)

	.text
	.code32
	.globl _start
_start:
	cli
	mov $stack_top, %esp
	mov %eax, mb_magic
	mov %ebx, mb_info
	lgdt gdt_desc
	ljmp $SEL_CODE32, $1f
1:	mov $SEL_DATA32, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	call guest_start
2:	hlt
	jmp 2b

/* Exception/interrupt entry: every vector pushes (error code or 0) and its number, then
 * the common path saves the registers and calls trap_dispatch(struct frame *). */
	.macro stub n
	.globl vec\n
vec\n:
	.if (\n == 8) || (\n >= 10 && \n <= 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
	.else
	push $0
	.endif
	push $\n
	jmp trap_common
	.endm

	.altmacro
	.set i, 0
	.rept 256
	stub %i
	.set i, i + 1
	.endr

trap_common:
	pusha
	push %ds
	push %es
	push %fs
	push %gs
	mov $SEL_DATA32, %ax
	mov %ax, %ds
	mov %ax, %es
	push %esp
	call trap_dispatch
	add $4, %esp
	pop %gs
	pop %fs
	pop %es
	pop %ds
	popa
	add $8, %esp
	iret

	.macro vecaddr n
	.long vec\n
	.endm
	.section .rodata
	.globl vec_table
vec_table:
	.set i, 0
	.rept 256
	vecaddr %i
	.set i, i + 1
	.endr

	.data
	.align 8
	.globl gdt
gdt:
	.quad 0					/* 0x00 null */
	.quad 0x00cf9a000000ffff		/* 0x08 code32 ring 0 */
	.quad 0x00cf92000000ffff		/* 0x10 data32 ring 0 */
	.quad 0x00009a000000ffff		/* 0x18 code16 ring 0, base 0, limit 64K */
	.quad 0x000092000000ffff		/* 0x20 data16 ring 0 */
	.quad 0x00cffa000000ffff		/* 0x28 code32 ring 3 */
	.quad 0x00cff2000000ffff		/* 0x30 data32 ring 3 */
	.quad 0x00af9a000000ffff		/* 0x38 code64 ring 0 */
	.quad 0x00cf92000000ffff		/* 0x40 data ring 0 (SYSCALL SS) */
	.quad 0x00cffa000000ffff		/* 0x48 code32 ring 3 (SYSRET compat CS) */
	.quad 0x00cff2000000ffff		/* 0x50 data ring 3 (SYSRET SS) */
	.quad 0x00affa000000ffff		/* 0x58 code64 ring 3 (SYSRET 64-bit CS) */
	.quad 0, 0				/* 0x60 TSS (16 bytes in long mode) */
	.fill GDT_FREE_SLOTS, 8, 0		/* 0x70.. per-test descriptors */
gdt_end:
	.globl gdt_desc
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt

/* ulong run_user(void (*fn)(void)): enter fn at CPL 3 with IRET; user_return(v) comes back
 * through INT 0x80, whose handler calls leave_user(v) to return v from here. */
	.text
	.globl run_user, leave_user
run_user:
	push %ebp
	push %ebx
	push %esi
	push %edi
	mov %esp, user_kctx_sp
	mov 20(%esp), %eax
	/* Traps from ring 3 switch to the stack below this frame (TSS.ESP0). */
	lea -16(%esp), %ecx
	push %eax
	push %ecx
	call tss_set_sp0
	add $4, %esp
	pop %eax
	push $SEL_UDATA32
	push $user_stack_top
	pushf
	push $SEL_UCODE32
	push %eax
	mov $SEL_UDATA32, %cx
	mov %cx, %ds
	mov %cx, %es
	mov %cx, %fs
	mov %cx, %gs
	iret
leave_user:
	mov 4(%esp), %eax
	mov user_kctx_sp, %esp
	mov $SEL_DATA32, %cx
	mov %cx, %ds
	mov %cx, %es
	mov %cx, %fs
	mov %cx, %gs
	pop %edi
	pop %esi
	pop %ebx
	pop %ebp
	ret

	.bss
	.align 16
user_kctx_sp: .long 0
	.align 16
	.globl user_stack_top
	.space 8192
user_stack_top:
	.globl stack_bottom
stack_bottom:
	.space 16384
	.globl stack_top
stack_top:
	.globl mb_magic, mb_info
mb_magic: .long 0
mb_info: .long 0
