/*
 * x87 state: reset, FXSAVE/FXRSTOR image (SDM vol. 1 §10.5.1).
 */
#include "cpu.h"

void cpu_fpu_reset(struct cpu *c)
{
	memset(c->fpr, 0, sizeof(c->fpr));
	c->fcw = 0x37f;
	c->fsw = 0;
	c->ftop = 0;
	c->ftag = 0;
	c->fop = 0;
	c->fip = c->fdp = 0;
}

void cpu_fxsave(struct cpu *c, uint8_t out[512])
{
	memset(out, 0, 512);
	uint16_t fsw = (uint16_t)((c->fsw & ~0x3800) | ((c->ftop & 7) << 11));
	memcpy(out + 0, &c->fcw, 2);
	memcpy(out + 2, &fsw, 2);
	out[4] = c->ftag;
	memcpy(out + 6, &c->fop, 2);
	memcpy(out + 8, &c->fip, 8);
	memcpy(out + 16, &c->fdp, 8);
	memcpy(out + 24, &c->mxcsr, 4);
	uint32_t mask = 0xffff;
	memcpy(out + 28, &mask, 4);
	for (int i = 0; i < 8; i++)
		memcpy(out + 32 + 16 * i, c->fpr[(c->ftop + i) & 7].raw, 10);
	memcpy(out + 160, c->xmm, 256);
}

void cpu_fxrstor(struct cpu *c, const uint8_t in[512])
{
	uint16_t fsw;
	memcpy(&c->fcw, in + 0, 2);
	memcpy(&fsw, in + 2, 2);
	c->ftop = (fsw >> 11) & 7;
	c->fsw = fsw & ~0x3800;
	c->ftag = in[4];
	memcpy(&c->fop, in + 6, 2);
	memcpy(&c->fip, in + 8, 8);
	memcpy(&c->fdp, in + 16, 8);
	memcpy(&c->mxcsr, in + 24, 4);
	for (int i = 0; i < 8; i++) {
		memset(c->fpr[(c->ftop + i) & 7].raw, 0, 16);
		memcpy(c->fpr[(c->ftop + i) & 7].raw, in + 32 + 16 * i, 10);
	}
	memcpy(c->xmm, in + 160, 256);
}
