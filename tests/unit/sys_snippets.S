/*
 * Guest code for test_sys_cpu.c, copied to guest physical (= linear)
 * address 0x10000 as one block; ABS() gives a label's guest address.
 * The C side builds the GDT, IDT, TSS and page tables and checks the
 * values written to port 0xf0 (each handler reports vector, error code,
 * return address, CS and its own stack pointer).
 */
#define ABS(x) ((x) - snip_base + 0x10000)

	.section .rodata
	.globl snip_base, snip_end
	.globl t32_start, t32_ring3, t32_gate_target, t32_stub_table, t32_end_handler
	.globl t64_start, t64_stub_table, t64_lstar, t64_end_handler, t64_after_syscall
	.globl treal_start, treal_handler
	.globl tdf_start, Ldf_mov, ttask_start, ttask_b, tdf_task
	.globl tvm86_start, Lvm_cli, Lvm_pushf, Lvm_int
	.globl L32_int30, L32_div, L32_movds, L32_moves, L32_movss, L32_ud2, L32_int3, L32_inb, L32_cli, L32_int30r3, L32_int80
	.globl L64_int40, L64_int41, L64_pf, L64_hlt, L64_pfdf
	.p2align 4
snip_base:

/* ---- shared data */
resume:	.long 0, 0		/* return address a handler substitutes, once */

/* ---- 32-bit protected mode: exceptions, ring 3, gates --------------- */
	.code32
/* stubs: vectors without an error code push 0; order = t32 vector list in C */
	.macro stub32 vec, err
	.if \err == 0
	push $0
	.endif
	push $\vec
	jmp t32_common
	.p2align 4
	.endm
	.p2align 4
t32_stub_table:
	stub32 0, 0
	stub32 3, 0
	stub32 6, 0
	stub32 8, 1
	stub32 10, 1
	stub32 11, 1
	stub32 12, 1
	stub32 13, 1
	stub32 14, 1
	stub32 0x30, 0
	stub32 0x80, 0

t32_common:
	push %eax
	mov 4(%esp), %eax	/* vector */
	out %eax, $0xf0
	mov 8(%esp), %eax	/* error code */
	out %eax, $0xf0
	mov 12(%esp), %eax	/* eip */
	out %eax, $0xf0
	mov 16(%esp), %eax	/* cs */
	out %eax, $0xf0
	mov %esp, %eax
	out %eax, $0xf0
	mov ABS(resume), %eax
	test %eax, %eax
	jz 1f
	mov %eax, 12(%esp)
	movl $0, ABS(resume)
1:	pop %eax
	add $8, %esp
	iret

t32_end_handler:
	mov $0xe0d, %eax
	out %eax, $0xf0
	hlt

t32_start:
	int $0x30			/* trap gate: vec 0x30, eip after */
L32_int30:
	movl $ABS(1f), ABS(resume)
	xor %ecx, %ecx
L32_div:
	div %ecx			/* #DE: eip of the div */
1:	movl $ABS(1f), ABS(resume)
	mov $0x3f8, %ax
L32_movds:
	mov %ax, %ds			/* beyond the GDT limit: #GP(0x3f8) */
1:	movl $ABS(1f), ABS(resume)
	mov $0x40, %ax
L32_moves:
	mov %ax, %es			/* not present: #NP(0x40) */
1:	movl $ABS(1f), ABS(resume)
	mov $0x10, %ax
	mov %ax, %ss
	mov $0x48, %ax
L32_movss:
	mov %ax, %ss			/* read-only data: #GP(0x48) */
1:	movl $ABS(1f), ABS(resume)
L32_ud2:
	ud2
1:	int3				/* vec 3, eip after */
L32_int3:
	/* to ring 3 through IRET: SS, ESP, EFLAGS, CS, EIP */
	push $0x23
	push $0x90000
	push $0x2
	push $0x1b
	push $ABS(t32_ring3)
	iret

t32_ring3:
	mov %cs, %eax
	out %eax, $0xf0			/* allowed by the I/O bitmap: 0x1b */
	mov %ss, %eax
	out %eax, $0xf0			/* 0x23 */
	movl $ABS(1f), ABS(resume)
L32_inb:
	inb $0x80, %al			/* #GP(0): bitmap bit set */
1:	movl $ABS(1f), ABS(resume)
L32_cli:
	cli				/* #GP(0): IOPL 0 */
1:	movl $ABS(1f), ABS(resume)
L32_int30r3:
	int $0x30			/* gate DPL 0: #GP(0x30 * 8 + 2) */
1:	int $0x80			/* DPL 3 gate: to ring 0 on the TSS stack */
L32_int80:
	push $0x1111
	push $0x2222
	lcall $0x2b, $0			/* call gate with 2 parameters */
	out %eax, $0xf0			/* value from the ring-0 routine */
	mov %esp, %eax
	out %eax, $0xf0			/* parameters released by lret $8 */
	int $0x81			/* ends the test at ring 0 */

t32_gate_target:
	mov %cs, %eax
	out %eax, $0xf0
	mov %ss, %eax
	out %eax, $0xf0
	mov 8(%esp), %eax		/* params: [esp+8] = 0x2222, [esp+12] = 0x1111 */
	out %eax, $0xf0
	mov 12(%esp), %eax
	out %eax, $0xf0
	mov 16(%esp), %eax		/* caller esp */
	out %eax, $0xf0
	mov 20(%esp), %eax		/* caller ss */
	out %eax, $0xf0
	mov $0x77, %eax
	lret $8

/* ---- double fault / triple fault (32-bit) ------------------------- */
tdf_start:
	movl $ABS(1f), ABS(resume)
	mov $0x3f8, %ax
Ldf_mov:
	mov %ax, %ds			/* #GP, whose gate is not present: #NP -> #DF */
1:	hlt

/* ---- hardware task switches (32-bit TSS) -------------------------- */
ttask_start:
	lcall $0x50, $0			/* CALL to TSS B: NT, back link */
	pushf
	pop %eax
	and $0x4200, %eax
	out %eax, $0xf0			/* back in A after B's IRET: NT clear */
	str %ax
	movzwl %ax, %eax
	out %eax, $0xf0			/* TR = 0x30 */
	ljmp $0x50, $0			/* JMP to B: B resumes after its IRET */
	mov $0xe0d, %eax		/* B jumped back to A */
	out %eax, $0xf0
	hlt
ttask_b:
	pushf
	pop %eax
	and $0x4200, %eax
	out %eax, $0xf0			/* NT set by the CALL */
	str %ax
	movzwl %ax, %eax
	out %eax, $0xf0			/* TR = 0x50 */
	mov %ebx, %eax
	out %eax, $0xf0			/* EBX from the TSS */
	iret				/* NT: back to the caller task */
	ljmp $0x30, $0
tdf_task:				/* #DF through an IDT task gate */
	pop %eax
	out %eax, $0xf0			/* error code on the new task's stack */
	str %ax
	movzwl %ax, %eax
	out %eax, $0xf0
	hlt

/* ---- virtual-8086 mode (code run from a copy at 0x9000, CS = 0x900) */
#define VOFF(x) ((x) - snip_base)
tvm86_start:				/* ring 0: IRET into VM86 with IOPL 0 */
	push $0				/* GS */
	push $0				/* FS */
	push $0				/* DS */
	push $0x1000			/* ES: the resume word at linear 0x10000 */
	push $0x0800			/* SS */
	push $0x1000			/* ESP */
	push $0x20002			/* EFLAGS: VM */
	push $0x0900			/* CS */
	push $VOFF(tvm86_code)
	iret
	.code16
tvm86_code:
	movw %cs, %ax
	movzwl %ax, %eax
	outl %eax, $0xf0		/* 0x900, through the I/O bitmap */
	movw %sp, %ax
	movzwl %ax, %eax
	outl %eax, $0xf0		/* 0x1000 */
	movl $VOFF(1f), %es:0
Lvm_cli:
	cli				/* IOPL 0: #GP(0) */
1:	movl $VOFF(1f), %es:0
Lvm_pushf:
	pushf				/* #GP(0) */
1:	movl $VOFF(1f), %es:0
Lvm_int:
	int $0x30			/* #GP(0) */
1:	movw $0x2000, %ax
	movw %ax, %ds			/* real-mode style load: base 0x20000 */
	movl $0x5a5a, 0x10
	ud2				/* #UD: the end handler */

/* ---- real mode ---------------------------------------------------- */
	.code16
treal_start:
	movw $0, %ax
	movw %ax, %ss
	movw $0x8000, %sp
	sti
	int $0x20
	pushf
	popw %ax
	movzwl %ax, %eax
	outl %eax, $0xf0		/* flags after IRET: IF back */
	cli
	hlt
treal_handler:
	pushf
	popw %ax
	movzwl %ax, %eax
	outl %eax, $0xf0		/* IF clear in the handler */
	movw %sp, %ax
	movzwl %ax, %eax
	outl %eax, $0xf0		/* 3 words pushed */
	iret

/* ---- long mode ---------------------------------------------------- */
	.code32
t64_start:
	/* from 32-bit protected mode (CS 0x30): PAE, LME, paging, far jump */
	mov %cr4, %eax
	or $0x20, %eax
	mov %eax, %cr4
	mov $0x8000, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx
	rdmsr
	or $0x101, %eax			/* LME, SCE */
	wrmsr
	mov %cr0, %eax
	or $0x80000000, %eax
	mov %eax, %cr0
	ljmp $0x08, $ABS(1f)
	.code64
1:	mov $0x10, %eax
	mov %eax, %ss
	mov $0x80000, %rsp
	mov $0xc0000080, %ecx
	rdmsr
	out %eax, $0xf0			/* EFER: LMA | LME | SCE = 0x501 */
	mov $0x38, %ax
	ltr %ax
	int $0x40			/* RSP0-less, same CPL: aligned frame */
L64_int40:
	int $0x41			/* IST1 */
L64_int41:
	movl $ABS(1f), ABS(resume)
L64_pf:
	mov 0x40000000, %eax		/* not mapped: #PF(0), CR2 */
1:	mov %cr2, %rax
	out %eax, $0xf0
	/* #PF whose frame cannot be pushed: #DF on IST1 */
	movl $ABS(1f), ABS(resume)
	mov %rsp, %rbx
	mov $0x40001000, %rsp
L64_pfdf:
	mov 0x40000000, %eax
1:	mov %rbx, %rsp
	mov %cr2, %rax
	out %eax, $0xf0
	/* SYSCALL / SYSRET */
	mov $0xc0000081, %ecx		/* STAR: sysret base 0x18, syscall 0x08 */
	xor %eax, %eax
	mov $0x00180008, %edx
	wrmsr
	mov $0xc0000082, %ecx		/* LSTAR */
	mov $ABS(t64_lstar), %eax
	xor %edx, %edx
	wrmsr
	mov $0xc0000084, %ecx		/* FMASK: IF, DF */
	mov $0x600, %eax
	wrmsr
	mov $0xc0000101, %ecx		/* GS base */
	mov $0x1111, %eax
	wrmsr
	mov $0xc0000102, %ecx		/* KERNEL_GS base */
	mov $0x2222, %eax
	wrmsr
	mov $ABS(t64_user), %rcx
	mov $0x3202, %r11		/* IOPL 3 so that ring 3 can report */
	sysretq

t64_user:
	mov %cs, %eax
	out %eax, $0xf0			/* 0x2b */
	mov %ss, %eax
	out %eax, $0xf0			/* 0x23 */
	mov $0x90000, %rsp
	syscall
t64_after_syscall:
	mov %cs, %eax
	out %eax, $0xf0			/* back at ring 3 */
	movl $ABS(1f), ABS(resume)
L64_hlt:
	hlt				/* #GP(0) at CPL 3 */
1:	int $0x42			/* ends the test at ring 0 */

t64_lstar:
	mov %cs, %eax
	out %eax, $0xf0			/* 0x08 */
	mov %ss, %eax
	out %eax, $0xf0			/* 0x10 */
	mov %rcx, %rax
	out %eax, $0xf0			/* return rip */
	mov %r11, %rax
	out %eax, $0xf0			/* saved rflags */
	pushf
	pop %rax
	out %eax, $0xf0			/* IF, DF masked */
	swapgs
	mov $0xc0000101, %ecx
	rdmsr
	out %eax, $0xf0			/* 0x2222 */
	swapgs
	mov $ABS(t64_after_syscall), %rcx
	sysretq

	.macro stub64 vec, err
	.if \err == 0
	push $0
	.endif
	push $\vec
	jmp t64_common
	.p2align 4
	.endm
	.p2align 4
t64_stub_table:
	stub64 8, 1
	stub64 13, 1
	stub64 14, 1
	stub64 0x40, 0
	stub64 0x41, 0

t64_common:
	push %rax
	mov 8(%rsp), %rax
	out %eax, $0xf0			/* vector */
	mov 16(%rsp), %rax
	out %eax, $0xf0			/* error */
	mov 24(%rsp), %rax
	out %eax, $0xf0			/* rip */
	mov 32(%rsp), %rax
	out %eax, $0xf0			/* cs */
	mov 56(%rsp), %rax
	out %eax, $0xf0			/* ss */
	lea 8(%rsp), %rax
	out %eax, $0xf0			/* rsp at the frame (vector slot) */
	mov ABS(resume), %eax
	test %eax, %eax
	jz 1f
	mov %rax, 24(%rsp)
	movl $0, ABS(resume)
1:	pop %rax
	add $16, %rsp
	iretq

t64_end_handler:
	mov $0xe0d, %eax
	out %eax, $0xf0
	hlt

	.p2align 4
snip_end:
	.section .note.GNU-stack, "", @progbits
