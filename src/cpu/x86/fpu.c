/*
 * x87 state: reset, tags, the FNSTENV/FLDENV environment, the FXSAVE and
 * XSAVE images (SDM vol. 1 §8.1.10, §10.5.1, ch. 13).  The instruction
 * handlers (ops_x87*.c) and the user-mode signal frames share these.
 */
#include "fpu.h"

const union fpreg fpu_indefinite = { .x = { 0xc000000000000000ull, 0xffff } };

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

unsigned fpu_tag_of(const struct cpu *c, unsigned p)
{
	if (!((c->ftag >> p) & 1))
		return 3;
	const union fpreg *r = &c->fpr[p];
	unsigned e = r->x.exp & 0x7fff;
	if (e == 0x7fff)
		return 2;
	if (e == 0)
		return r->x.mant ? 2 : 1; /* denormal/pseudo-denormal : zero */
	return (r->x.mant >> 63) ? 0 : 2; /* unnormal is special */
}

uint16_t fpu_full_tag(const struct cpu *c)
{
	uint16_t t = 0;
	for (unsigned p = 0; p < 8; p++)
		t |= (uint16_t)(fpu_tag_of(c, p) << (2 * p));
	return t;
}

uint8_t fpu_abridge_tag(uint16_t ftw)
{
	uint8_t t = 0;
	for (unsigned p = 0; p < 8; p++)
		if (((ftw >> (2 * p)) & 3) != 3)
			t |= (uint8_t)(1u << p);
	return t;
}

/* --- guest memory in page-sized pieces ---------------------------- */

#define FPU_PAGE 4096u

void fpu_mem_read(struct cpu *c, uint64_t lin, void *dst, unsigned n)
{
	if (c->mem_direct) {
		memcpy(dst, cpu_mem(c, lin, n, 0), n);
		return;
	}
	uint8_t *d = dst;
	while (n) {
		unsigned chunk = FPU_PAGE - (unsigned)(lin & (FPU_PAGE - 1));
		if (chunk > n)
			chunk = n;
		memcpy(d, cpu_mem(c, lin, chunk, 0), chunk);
		d += chunk;
		lin = (lin + chunk) & c->lin_mask;
		n -= chunk;
	}
}

void fpu_mem_write(struct cpu *c, uint64_t lin, const void *src, unsigned n)
{
	if (c->mem_direct) {
		memcpy(cpu_mem(c, lin, n, 1), src, n);
		return;
	}
	/* Translate every page first so a fault leaves memory untouched. */
	void *p[2];
	unsigned len[2], k = 0;
	uint64_t a = lin;
	unsigned left = n;
	while (left && k < 2) {
		unsigned chunk = FPU_PAGE - (unsigned)(a & (FPU_PAGE - 1));
		if (chunk > left)
			chunk = left;
		p[k] = cpu_mem(c, a, chunk, 1);
		len[k++] = chunk;
		a = (a + chunk) & c->lin_mask;
		left -= chunk;
	}
	if (left) { /* more than two pages (XSAVE areas): write as we go */
		const uint8_t *s = src;
		for (unsigned i = 0; i < k; i++) {
			memcpy(p[i], s, len[i]);
			cpu_mem_done(c, p[i]);
			s += len[i];
		}
		while (left) {
			unsigned chunk = left < FPU_PAGE ? left : FPU_PAGE;
			void *q = cpu_mem(c, a, chunk, 1);
			memcpy(q, s, chunk);
			cpu_mem_done(c, q);
			s += chunk;
			a = (a + chunk) & c->lin_mask;
			left -= chunk;
		}
		return;
	}
	const uint8_t *s = src;
	for (unsigned i = 0; i < k; i++) {
		memcpy(p[i], s, len[i]);
		cpu_mem_done(c, p[i]);
		s += len[i];
	}
}

/* --- FNSTENV / FLDENV --------------------------------------------- */

/* FOP as recorded by the last instruction with an unmasked exception
 * (fpu_exc_note).  FCS and FDS are stored as 0 (CPUID.07H:EBX[13], FCS/FDS
 * deprecation). */
static uint16_t fpu_saved_fop(const struct cpu *c)
{
	return c->fop & 0x7ff;
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}
static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}
static uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}
static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

void fpu_env_image(struct cpu *c, uint8_t *out, bool size32, bool prot)
{
	uint16_t fop = fpu_saved_fop(c);
	uint32_t fip = (uint32_t)c->fip, fdp = (uint32_t)c->fdp;
	if (size32) {
		/* Reserved upper halves read back as ones (as the host does). */
		put32(out + 0, 0xffff0000u | c->fcw);
		put32(out + 4, 0xffff0000u | fpu_get_fsw(c));
		put32(out + 8, 0xffff0000u | fpu_full_tag(c));
		if (prot) {
			put32(out + 12, fip);
			put32(out + 16, (uint32_t)fop << 16); /* FCS = 0 */
			put32(out + 20, fdp);
			put32(out + 24, 0xffff0000u); /* FDS = 0 */
		} else {
			put32(out + 12, 0xffff0000u | (fip & 0xffff));
			put32(out + 16, ((fip >> 16) << 12) | fop);
			put32(out + 20, 0xffff0000u | (fdp & 0xffff));
			put32(out + 24, (fdp >> 16) << 12);
		}
	} else {
		put16(out + 0, c->fcw);
		put16(out + 2, fpu_get_fsw(c));
		put16(out + 4, fpu_full_tag(c));
		if (prot) {
			put16(out + 6, (uint16_t)fip);
			put16(out + 8, 0);
			put16(out + 10, (uint16_t)fdp);
			put16(out + 12, 0);
		} else {
			put16(out + 6, (uint16_t)fip);
			put16(out + 8, (uint16_t)(((fip >> 16) & 0xf) << 12 | fop));
			put16(out + 10, (uint16_t)fdp);
			put16(out + 12, (uint16_t)(((fdp >> 16) & 0xf) << 12));
		}
	}
}

void fpu_env_load(struct cpu *c, const uint8_t *in, bool size32, bool prot)
{
	if (size32) {
		c->fcw = fpu_fcw_fix(get16(in + 0));
		uint16_t fsw = get16(in + 4);
		c->ftag = fpu_abridge_tag(get16(in + 8));
		if (prot) {
			c->fip = get32(in + 12);
			c->fop = (get32(in + 16) >> 16) & 0x7ff;
			c->fdp = get32(in + 20);
		} else {
			c->fip = (get32(in + 12) & 0xffff) | (((get32(in + 16) >> 12) & 0xffff) << 16);
			c->fop = get32(in + 16) & 0x7ff;
			c->fdp = (get32(in + 20) & 0xffff) | (((get32(in + 24) >> 12) & 0xffff) << 16);
		}
		fpu_set_fsw(c, fsw);
	} else {
		c->fcw = fpu_fcw_fix(get16(in + 0));
		uint16_t fsw = get16(in + 2);
		c->ftag = fpu_abridge_tag(get16(in + 4));
		c->fip = get16(in + 6);
		c->fdp = get16(in + 10);
		c->fop = 0;
		if (!prot) {
			c->fip |= (uint32_t)(get16(in + 8) >> 12) << 16;
			c->fop = get16(in + 8) & 0x7ff;
			c->fdp |= (uint32_t)(get16(in + 12) >> 12) << 16;
		}
		fpu_set_fsw(c, fsw);
	}
}

/* --- FXSAVE image (SDM vol. 2 FXSAVE, table 3-53/3-56) ------------- */

/* Number of XMM registers FXSAVE/XSAVE cover in the current mode. */
static unsigned fpu_nxmm(const struct cpu *c)
{
	return (c->tb_flags & TB_F_CODE64) ? 16 : 8;
}

/* x87 part of the legacy area: bytes 0..23 and 32..159. */
static void fx_x87_save(struct cpu *c, uint8_t *out, bool rexw)
{
	put16(out + 0, c->fcw);
	put16(out + 2, fpu_get_fsw(c));
	out[4] = c->ftag;
	out[5] = 0;
	put16(out + 6, fpu_saved_fop(c));
	if (rexw) {
		memcpy(out + 8, &c->fip, 8);
		memcpy(out + 16, &c->fdp, 8);
	} else {
		put32(out + 8, (uint32_t)c->fip);
		put32(out + 12, 0); /* FCS (deprecated), reserved */
		put32(out + 16, (uint32_t)c->fdp);
		put32(out + 20, 0); /* FDS (deprecated), reserved */
	}
	for (unsigned i = 0; i < 8; i++) {
		memcpy(out + 32 + 16 * i, fpu_st(c, i)->raw, 10);
		memset(out + 32 + 16 * i + 10, 0, 6);
	}
}

static void fx_x87_load(struct cpu *c, const uint8_t *in, bool rexw)
{
	c->fcw = fpu_fcw_fix(get16(in + 0));
	uint16_t fsw = get16(in + 2);
	c->ftag = in[4];
	c->fop = get16(in + 6) & 0x7ff;
	if (rexw) {
		memcpy(&c->fip, in + 8, 8);
		memcpy(&c->fdp, in + 16, 8);
	} else {
		c->fip = get32(in + 8);
		c->fdp = get32(in + 16);
	}
	fpu_set_fsw(c, fsw);
	for (unsigned i = 0; i < 8; i++) {
		union fpreg *r = fpu_st(c, i);
		memcpy(r->raw, in + 32 + 16 * i, 10);
		memset(r->raw + 10, 0, 6);
	}
}

static void fx_x87_init(struct cpu *c)
{
	cpu_fpu_reset(c);
}

static void fx_mxcsr_save(struct cpu *c, uint8_t *out)
{
	put32(out + 24, c->mxcsr);
	put32(out + 28, FPU_MXCSR_MASK);
}

static void fx_xmm_save(struct cpu *c, uint8_t *out)
{
	memcpy(out + 160, c->xmm, 16 * fpu_nxmm(c));
}

static void fx_xmm_load(struct cpu *c, const uint8_t *in)
{
	memcpy(c->xmm, in + 160, 16 * fpu_nxmm(c));
}

/*
 * The FXSAVE instruction writes bytes 0..415 (the processor never writes
 * 464..511, and this host leaves 416..463 alone as well); outside 64-bit
 * mode only XMM0-7.
 */
void fpu_fxsave_insn_image(struct cpu *c, uint8_t *out, bool rexw)
{
	memset(out, 0, 416);
	fx_x87_save(c, out, rexw);
	fx_mxcsr_save(c, out);
	fx_xmm_save(c, out);
}

void fpu_fxrstor_insn_image(struct cpu *c, const uint8_t *in, bool rexw)
{
	fx_x87_load(c, in, rexw);
	c->mxcsr = get32(in + 24) & FPU_MXCSR_MASK;
	fx_xmm_load(c, in);
}

/* Signal frames: the 64-bit (REX.W) layout the kernel's FXSAVE64/XSAVE64
 * writes; bytes 416..511 zero (the caller puts its software bytes there). */
void cpu_fxsave(struct cpu *c, uint8_t out[512])
{
	memset(out, 0, 512);
	fpu_fxsave_insn_image(c, out, true);
}

void cpu_fxrstor(struct cpu *c, const uint8_t in[512])
{
	fpu_fxrstor_insn_image(c, in, true);
}

/* --- XSAVE (SDM vol. 1 ch. 13) ------------------------------------ */

/* XINUSE: a component is reported in use unless it is in its initial
 * configuration (SDM vol. 1 §13.6). */
uint64_t fpu_xinuse(struct cpu *c)
{
	uint64_t u = 0;
	if (c->fcw != 0x37f || fpu_get_fsw(c) || c->ftag || c->fop || c->fip || c->fdp)
		u |= XSTATE_X87;
	else
		for (unsigned i = 0; i < 8; i++)
			if (c->fpr[i].x.mant || c->fpr[i].x.exp)
				u |= XSTATE_X87;
	for (unsigned i = 0; i < fpu_nxmm(c); i++)
		if (c->xmm[i].q[0] | c->xmm[i].q[1])
			u |= XSTATE_SSE;
	return u;
}

void fpu_xsave_image(struct cpu *c, uint8_t *out, uint64_t rfbm, bool rexw)
{
	rfbm &= XSTATE_SUPPORTED;
	if (rfbm & XSTATE_X87) {
		uint8_t tmp[160];
		memset(tmp, 0, sizeof(tmp));
		fx_x87_save(c, tmp, rexw);
		memcpy(out, tmp, 24);
		memcpy(out + 32, tmp + 32, 128);
	}
	if (rfbm & (XSTATE_SSE | 4)) /* MXCSR goes with SSE or AVX */
		fx_mxcsr_save(c, out);
	if (rfbm & XSTATE_SSE)
		fx_xmm_save(c, out);
	/* XSTATE_BV bits outside RFBM keep their old value. */
	uint64_t bv;
	memcpy(&bv, out + XSAVE_HDR, 8);
	bv = (bv & ~rfbm) | (fpu_xinuse(c) & rfbm);
	memcpy(out + XSAVE_HDR, &bv, 8);
}

int fpu_xrstor_check(struct cpu *c, const uint8_t *in, uint64_t rfbm)
{
	uint64_t bv, comp, r2;
	memcpy(&bv, in + XSAVE_HDR, 8);
	memcpy(&comp, in + XSAVE_HDR + 8, 8);
	memcpy(&r2, in + XSAVE_HDR + 16, 8);
	/* Standard form: XSTATE_BV within XCR0, header bytes 8..23 zero. */
	if ((bv & ~c->xcr0) || comp || r2)
		return -1;
	if ((rfbm & (XSTATE_SSE | 4)) && (get32(in + 24) & ~FPU_MXCSR_MASK))
		return -1;
	return 0;
}

void fpu_xrstor_image(struct cpu *c, const uint8_t *in, uint64_t rfbm, bool rexw)
{
	uint64_t bv;
	memcpy(&bv, in + XSAVE_HDR, 8);
	rfbm &= XSTATE_SUPPORTED;
	if (rfbm & XSTATE_X87) {
		if (bv & XSTATE_X87)
			fx_x87_load(c, in, rexw);
		else
			fx_x87_init(c);
	}
	if (rfbm & (XSTATE_SSE | 4))
		c->mxcsr = get32(in + 24) & FPU_MXCSR_MASK;
	if (rfbm & XSTATE_SSE) {
		if (bv & XSTATE_SSE)
			fx_xmm_load(c, in);
		else
			memset(c->xmm, 0, 16 * fpu_nxmm(c));
	}
}

/* Signal-frame helpers (64-bit layout; `out` holds XSAVE_SIZE bytes). */
void cpu_xsave_image(struct cpu *c, uint8_t *out, uint64_t rfbm)
{
	fpu_xsave_image(c, out, rfbm & c->xcr0, true);
}

int cpu_xrstor_image(struct cpu *c, const uint8_t *in, uint64_t rfbm)
{
	rfbm &= c->xcr0;
	if (fpu_xrstor_check(c, in, rfbm))
		return -1;
	fpu_xrstor_image(c, in, rfbm, true);
	return 0;
}
