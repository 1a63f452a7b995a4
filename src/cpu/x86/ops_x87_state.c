/*
 * Processor extended state instructions: FXSAVE/FXRSTOR (SDM vol. 2,
 * vol. 1 §10.5), LDMXCSR/STMXCSR, XSAVE/XRSTOR/XSAVEOPT and XGETBV/XSETBV
 * (vol. 1 ch. 13).  lemu's XCR0 covers x87 and SSE (c->xcr0 = 3), so the
 * standard-format XSAVE area is the 512-byte legacy area plus the 64-byte
 * header.
 */
#include "decode.h"
#include "fpu.h"
#include "ops.h"

#define CR4_OSXSAVE (1u << 18)

static void sse_state_check(struct cpu *c)
{
	if (unlikely(c->cr0 & CR0_EM))
		cpu_raise(c, EXC_UD, 0);
	if (unlikely(c->cr0 & CR0_TS))
		cpu_raise(c, EXC_NM, 0);
}

void x87_fxsave(struct cpu *c, const struct insn *in)
{
	sse_state_check(c);
	uint64_t ea = insn_ea(c, in);
	if (ea & 15)
		cpu_raise(c, EXC_GP, 0);
	uint8_t img[416];
	fpu_fxsave_insn_image(c, img, in->prefix & PFX_REX_W);
	/* Outside 64-bit mode XMM8-15 (bytes 288..415) are not written. */
	fpu_mem_write(c, ea, img, (c->tb_flags & TB_F_CODE64) ? 416 : 288);
}

void x87_fxrstor(struct cpu *c, const struct insn *in)
{
	sse_state_check(c);
	uint64_t ea = insn_ea(c, in);
	if (ea & 15)
		cpu_raise(c, EXC_GP, 0);
	uint8_t img[512];
	fpu_mem_read(c, ea, img, 512);
	uint32_t mxcsr;
	memcpy(&mxcsr, img + 24, 4);
	if (mxcsr & ~FPU_MXCSR_MASK)
		cpu_raise(c, EXC_GP, 0);
	fpu_fxrstor_insn_image(c, img, in->prefix & PFX_REX_W);
}

void x87_ldmxcsr(struct cpu *c, const struct insn *in)
{
	sse_state_check(c);
	uint32_t v = ld32(c, insn_ea(c, in));
	if (v & ~FPU_MXCSR_MASK)
		cpu_raise(c, EXC_GP, 0);
	c->mxcsr = v;
}

void x87_stmxcsr(struct cpu *c, const struct insn *in)
{
	sse_state_check(c);
	st32(c, insn_ea(c, in), c->mxcsr);
}

static uint64_t xsave_rfbm(struct cpu *c)
{
	return ((c->regs[R_RDX] << 32) | (uint32_t)c->regs[R_RAX]) & c->xcr0;
}

static uint64_t xsave_begin(struct cpu *c, const struct insn *in)
{
	if (unlikely(!(c->cr4 & CR4_OSXSAVE)))
		cpu_raise(c, EXC_UD, 0);
	if (unlikely(c->cr0 & CR0_TS))
		cpu_raise(c, EXC_NM, 0);
	uint64_t ea = insn_ea(c, in);
	if (ea & 63)
		cpu_raise(c, EXC_GP, 0);
	return ea;
}

/* XSAVE (and XSAVEOPT, which may always behave as XSAVE): the area is
 * read, the components in RFBM and their XSTATE_BV bits replaced, and
 * written back, so bytes the instruction does not own keep their value. */
void x87_xsave(struct cpu *c, const struct insn *in)
{
	uint64_t ea = xsave_begin(c, in);
	uint8_t img[XSAVE_SIZE];
	fpu_mem_read(c, ea, img, XSAVE_SIZE);
	fpu_xsave_image(c, img, xsave_rfbm(c), in->prefix & PFX_REX_W);
	fpu_mem_write(c, ea, img, XSAVE_SIZE);
}

void x87_xrstor(struct cpu *c, const struct insn *in)
{
	uint64_t ea = xsave_begin(c, in);
	uint8_t img[XSAVE_SIZE];
	fpu_mem_read(c, ea, img, XSAVE_SIZE);
	uint64_t rfbm = xsave_rfbm(c);
	if (fpu_xrstor_check(c, img, rfbm))
		cpu_raise(c, EXC_GP, 0);
	fpu_xrstor_image(c, img, rfbm, in->prefix & PFX_REX_W);
}

void x87_xgetbv(struct cpu *c, const struct insn *in)
{
	(void)in;
	if (unlikely(!(c->cr4 & CR4_OSXSAVE)))
		cpu_raise(c, EXC_UD, 0);
	uint64_t v;
	switch ((uint32_t)c->regs[R_RCX]) {
	case 0:
		v = c->xcr0;
		break;
	case 1: /* XINUSE & XCR0, only with CPUID.(EAX=0DH,ECX=1):EAX[2] */
		if (!cpu_has(c, FEAT(FW_D_1_EAX, 2)))
			cpu_raise(c, EXC_GP, 0);
		v = fpu_xinuse(c) & c->xcr0;
		break;
	default:
		cpu_raise(c, EXC_GP, 0);
	}
	set_reg(c, R_RAX, (uint32_t)v, 4);
	set_reg(c, R_RDX, v >> 32, 4);
}

void x87_xsetbv(struct cpu *c, const struct insn *in)
{
	(void)in;
	if (unlikely(!(c->cr4 & CR4_OSXSAVE)))
		cpu_raise(c, EXC_UD, 0);
	if (c->cpl != 0 || (uint32_t)c->regs[R_RCX] != 0)
		cpu_raise(c, EXC_GP, 0);
	uint64_t v = (c->regs[R_RDX] << 32) | (uint32_t)c->regs[R_RAX];
	if (!(v & XSTATE_X87) || (v & ~XSTATE_SUPPORTED))
		cpu_raise(c, EXC_GP, 0);
	c->xcr0 = v;
}
