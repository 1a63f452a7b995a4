/* Mode switches (Intel SDM vol. 3 §9.9): 32-bit protected mode -> 16-bit protected mode ->
 * real mode (CR0.PE = 0) and back, with real-mode segment arithmetic, an interrupt through a
 * real-mode IVT (IDTR base 0, limit 0x3ff), 32-bit operands in real mode, port I/O, and a far
 * jump into a non-zero CS base.  The 16-bit code is copied below 1 MiB and run at 0800:xxxx. */
#include "guest.h"

#define RM_BASE 0x8000u
#define RM_OFF(sym) ((uint32_t)((char *)(sym) - rm_start))

extern char rm_start[], rm_end[], rm_res_seg[], rm_res_int[], rm_res_op32[], rm_res_flags[],
	rm_res_cs[], rm_res_lea[];
void rm_enter(void);

asm(".section .rodata\n"
    ".code16\n"
    ".globl rm_start, rm_end, rm_res_seg, rm_res_int, rm_res_op32, rm_res_flags, rm_res_cs, rm_res_lea\n"
    "rm_start:\n"
    /* 16-bit protected mode, CS = SEL_CODE16 (base 0): load 16-bit data segments, drop PE */
    "	mov $0x20, %ax\n"
    "	mov %ax, %ds\n"
    "	mov %ax, %es\n"
    "	mov %ax, %ss\n"
    "	mov %cr0, %eax\n"
    "	and $0xfffffffe, %eax\n"
    "	mov %eax, %cr0\n"
    "	ljmp $0x0800, $(rm_real - rm_start)\n"
    "rm_real:\n"
    "	mov $0x0800, %ax\n"
    "	mov %ax, %ds\n"
    "	mov %ax, %ss\n"
    "	mov $0x0ff0, %sp\n"
    "	lidt (rm_idtr - rm_start)\n"
    /* IVT entry 0x80 -> 0800:rm_int80 */
    "	xor %ax, %ax\n"
    "	mov %ax, %es\n"
    "	movw $(rm_int80 - rm_start), %es:0x200\n"
    "	movw $0x0800, %es:0x202\n"
    /* print from real mode */
    "	mov $0x3f8, %dx\n"
    "	mov $'R', %al\n"
    "	out %al, %dx\n"
    "	mov $'M', %al\n"
    "	out %al, %dx\n"
    "	mov $'\\n', %al\n"
    "	out %al, %dx\n"
    /* segment arithmetic: 1234:0010 and 1235:0000 are the same byte */
    "	mov $0x1234, %ax\n"
    "	mov %ax, %es\n"
    "	movw $0xabcd, %es:0x10\n"
    "	mov $0x1235, %ax\n"
    "	mov %ax, %es\n"
    "	mov %es:0, %bx\n"
    "	mov %bx, (rm_res_seg - rm_start)\n"
    /* software interrupt through the IVT; the handler sees CS = 0800 */
    "	mov $1, %ax\n"
    "	int $0x80\n"
    "	mov %ax, (rm_res_int - rm_start)\n"
    "	mov %bx, (rm_res_cs - rm_start)\n"
    /* 32-bit operand and address sizes in real mode */
    "	mov $0x12345678, %eax\n"
    "	rol $8, %eax\n"
    "	mov %eax, (rm_res_op32 - rm_start)\n"
    "	mov $0x10, %esi\n"
    "	lea 0x20(%esi,%esi,2), %ecx\n"
    "	mov %cx, (rm_res_lea - rm_start)\n"
    /* flags: 16-bit pushf after an add that carries */
    "	mov $0xffff, %ax\n"
    "	add $1, %ax\n"
    "	pushf\n"
    "	pop %ax\n"
    "	and $0x08d5, %ax\n"
    "	mov %ax, (rm_res_flags - rm_start)\n"
    /* back to 32-bit protected mode through the GDT that is still loaded */
    "	mov %cr0, %eax\n"
    "	or $1, %eax\n"
    "	mov %eax, %cr0\n"
    "	ljmpl $0x08, $rm_back32\n"
    "rm_int80:\n"
    "	add $0x5a59, %ax\n"
    "	push %bp\n"
    "	mov %sp, %bp\n"
    "	mov 4(%bp), %bx\n" /* the CS pushed by INT */
    "	pop %bp\n"
    "	iret\n"
    "rm_idtr: .word 0x3ff\n .long 0\n"
    "rm_res_seg: .word 0\n"
    "rm_res_int: .word 0\n"
    "rm_res_cs: .word 0\n"
    "rm_res_lea: .word 0\n"
    "rm_res_flags: .word 0\n"
    "rm_res_op32: .long 0\n"
    "rm_end:\n"
    ".code32\n"
    ".text\n"
    ".globl rm_enter\n"
    "rm_enter:\n"
    "	pushal\n"
    "	mov %esp, rm_saved_esp\n"
    "	sidt rm_saved_idt\n"
    "	ljmp $0x18, $0x8000\n"
    "rm_back32:\n"
    "	mov $0x10, %ax\n"
    "	mov %ax, %ds\n"
    "	mov %ax, %es\n"
    "	mov %ax, %ss\n"
    "	mov rm_saved_esp, %esp\n"
    "	lidt rm_saved_idt\n"
    "	popal\n"
    "	ret\n"
    ".data\n"
    "rm_saved_esp: .long 0\n"
    "rm_saved_idt: .word 0\n .long 0\n"
    ".text\n");

static uint32_t rd16(char *sym) { return *(volatile uint16_t *)(RM_BASE + RM_OFF(sym)); }

int main(void)
{
	memcpy((void *)RM_BASE, rm_start, (size_t)(rm_end - rm_start));
	printf("entering real mode\n");
	rm_enter();
	printf("back in protected mode: cr0 PE=%lu\n", read_cr0() & 1);
	printf("1234:0010 read as 1235:0000 = 0x%x\n", rd16(rm_res_seg));
	printf("int 0x80 through the IVT: ax=0x%x, pushed cs=0x%x\n", rd16(rm_res_int), rd16(rm_res_cs));
	printf("rol eax in real mode = 0x%x\n", *(volatile uint32_t *)(RM_BASE + RM_OFF(rm_res_op32)));
	printf("lea 0x20(esi,esi,2) = 0x%x\n", rd16(rm_res_lea));
	printf("flags after 0xffff+1 = 0x%x\n", rd16(rm_res_flags));
	/* a second round trip: the switch works repeatedly */
	rm_enter();
	printf("second round trip: PE=%lu seg=0x%x\n", read_cr0() & 1, rd16(rm_res_seg));
	return 0;
}
