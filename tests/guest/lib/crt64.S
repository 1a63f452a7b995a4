/* Start-up of the 64-bit test guests: a multiboot v1 header and 32-bit entry that builds
 * identity page tables for the first 4 GiB (2 MiB pages, user-accessible), enables PAE,
 * EFER.LME and paging (Intel SDM vol. 3 §9.8.5), and jumps to 64-bit code. */
#include "seg.h"

	.section .multiboot, "a"
	.align 4
	.long 0x1BADB002
	.long 0x00000003
	.long -(0x1BADB002 + 0x00000003)

	.text
	.code32
	.globl _start
_start:
	cli
	mov $stack_top, %esp
	mov %eax, mb_magic
	mov %ebx, mb_info
	/* 2048 PDEs: 0-4 GiB in 2 MiB pages, P|RW|US|PS */
	mov $boot_pd, %edi
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $21, %eax
	or $0x87, %eax
	mov %eax, (%edi, %ecx, 8)
	movl $0, 4(%edi, %ecx, 8)
	inc %ecx
	cmp $2048, %ecx
	jne 1b
	/* 4 PDPTEs, one PML4E */
	xor %ecx, %ecx
2:	mov %ecx, %eax
	shl $12, %eax
	add $boot_pd, %eax
	or $7, %eax
	mov %eax, boot_pdpt(, %ecx, 8)
	inc %ecx
	cmp $4, %ecx
	jne 2b
	mov $boot_pdpt, %eax
	or $7, %eax
	mov %eax, boot_pml4
	mov %cr4, %eax
	or $0x20, %eax			/* PAE */
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx
	rdmsr
	or $0x100, %eax			/* EFER.LME */
	wrmsr
	mov %cr0, %eax
	or $0x80000001, %eax		/* PG, PE */
	mov %eax, %cr0
	lgdt gdt_desc
	ljmp $SEL_CODE64, $long_entry

	.code64
long_entry:
	mov $SEL_DATA64, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	mov $stack_top, %rsp
	call guest_start
3:	hlt
	jmp 3b

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
	push %rax
	push %rcx
	push %rdx
	push %rbx
	push %rbp
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rdi
	/* keep the C call's stack 16-byte aligned */
	mov %rsp, %rbx
	and $-16, %rsp
	call trap_dispatch
	mov %rbx, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rbp
	pop %rbx
	pop %rdx
	pop %rcx
	pop %rax
	add $16, %rsp
	iretq

/* ulong run_user(void (*fn)(void)): fn at CPL 3 in 64-bit mode; see crt32.S */
	.globl run_user, leave_user
run_user:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, user_kctx_sp
	mov %rdi, %r12
	lea -64(%rsp), %rdi
	and $-16, %rdi
	call tss_set_sp0
	push $SEL_UDATA64
	push $user_stack_top
	pushfq
	push $SEL_UCODE64
	push %r12
	iretq
leave_user:
	mov %rdi, %rax
	mov user_kctx_sp, %rsp
	/* the interrupt from ring 3 loaded a null SS (64-bit mode, SDM vol. 3 §6.14.4): give
	 * ring 0 its data segment back, compatibility-mode code needs one */
	mov $SEL_DATA64, %ecx
	mov %ecx, %ss
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

	.macro vecaddr n
	.quad vec\n
	.endm
	.section .rodata
	.align 8
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
	.quad 0x00009a000000ffff		/* 0x18 code16 ring 0 */
	.quad 0x000092000000ffff		/* 0x20 data16 ring 0 */
	.quad 0x00cffa000000ffff		/* 0x28 code32 ring 3 */
	.quad 0x00cff2000000ffff		/* 0x30 data32 ring 3 */
	.quad 0x00af9a000000ffff		/* 0x38 code64 ring 0 */
	.quad 0x00cf92000000ffff		/* 0x40 data ring 0 (SYSCALL SS) */
	.quad 0x00cffa000000ffff		/* 0x48 code32 ring 3 (SYSRET compat CS) */
	.quad 0x00cff2000000ffff		/* 0x50 data ring 3 (SYSRET SS) */
	.quad 0x00affa000000ffff		/* 0x58 code64 ring 3 (SYSRET 64-bit CS) */
	.quad 0, 0				/* 0x60 TSS */
	.fill GDT_FREE_SLOTS, 8, 0
gdt_end:
	.globl gdt_desc
gdt_desc:
	.word gdt_end - gdt - 1
	.quad gdt

	.bss
	.align 4096
	.globl boot_pml4, boot_pdpt, boot_pd
boot_pml4: .space 4096
boot_pdpt: .space 4096
boot_pd: .space 4096 * 4
	.align 16
user_kctx_sp: .quad 0
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
