/*
 * i386 guest: signal frames (Linux arch/x86/include/asm/sigframe.h
 * sigframe_ia32 and rt_sigframe_ia32, sigcontext_32, _fpstate_32), the
 * TLS descriptor table behind set_thread_area/get_thread_area, and
 * segment-register loads (mov %ax,%gs after set_thread_area).
 */
#include "user.h"

#include <errno.h>
#include <string.h>


static void w32(uint8_t *b, unsigned off, uint32_t v)
{
	memcpy(b + off, &v, 4);
}
static uint32_t r32(const uint8_t *b, unsigned off)
{
	uint32_t v;
	memcpy(&v, b + off, 4);
	return v;
}

/* --- TLS descriptors and segment loads ------------------------------- */

#define FLAT_DATA_FLAGS ((1u << 22) | 0xf300)
#define FLAT_CODE_FLAGS ((1u << 22) | 0xfb00)

int user_load_seg(struct cpu *c, int seg, uint16_t sel)
{
	struct user_thread *t = cpu_thread(c);
	unsigned idx = sel >> 3;
	uint64_t base = 0;
	uint32_t limit = 0xffffffff, flags = FLAT_DATA_FLAGS;
	if ((sel & ~3u) == 0) {
		/* null selector: fine for data segments, #GP for SS/CS */
		if (seg == SEG_SS || seg == SEG_CS)
			return -1;
		c->seg[seg].sel = sel;
		c->seg[seg].base = 0;
		return 0;
	}
	if ((sel & 4) || (sel & 3) != 3)
		return -1; /* no LDT; user selectors have RPL 3 */
	if (idx == 4 || idx == 6) { /* __USER32_CS, __USER_CS */
		if (seg != SEG_CS)
			return -1;
		flags = FLAT_CODE_FLAGS;
	} else if (idx == 5) {      /* __USER_DS */
		flags = FLAT_DATA_FLAGS;
	} else if (idx >= GDT_TLS_MIN && idx < GDT_TLS_MIN + GDT_TLS_NUM && t) {
		struct tls_desc *d = &t->tls[idx - GDT_TLS_MIN];
		if (!d->used)
			return -1;
		base = d->base;
		limit = d->limit;
		flags = d->flags;
		if (seg == SEG_CS)
			return -1;
	} else {
		return -1;
	}
	c->seg[seg].sel = sel;
	c->seg[seg].base = base;
	c->seg[seg].limit = limit;
	c->seg[seg].flags = flags;
	return 0;
}

/* struct user_desc (asm/ldt.h) */
long user_set_thread_area(struct user_thread *t, uint64_t uinfo)
{
	uint8_t u[16];
	if (user_copy_in(t, u, uinfo, sizeof(u)))
		return -EFAULT;
	int32_t entry = (int32_t)r32(u, 0);
	uint32_t base = r32(u, 4), limit = r32(u, 8), bits = r32(u, 12);
	if (entry == -1) {
		for (int i = 0; i < GDT_TLS_NUM; i++)
			if (!t->tls[i].used) {
				entry = GDT_TLS_MIN + i;
				break;
			}
		if (entry == -1)
			return -ESRCH;
		w32(u, 0, (uint32_t)entry);
		if (user_copy_out(t, uinfo, u, 4))
			return -EFAULT;
	}
	if (entry < GDT_TLS_MIN || entry >= GDT_TLS_MIN + GDT_TLS_NUM)
		return -EINVAL;
	struct tls_desc *d = &t->tls[entry - GDT_TLS_MIN];
	int seg_32bit = bits & 1, limit_in_pages = (bits >> 4) & 1, not_present = (bits >> 5) & 1;
	(void)not_present;
	/* LDT_empty(): the all-zero or "not present, read-only" descriptor */
	if (!base && !limit && ((bits & 0x7f) == 0x28 || (bits & 0x7f) == 0)) {
		memset(d, 0, sizeof(*d));
	} else {
		d->used = 1;
		d->base = base;
		d->limit = limit_in_pages ? (limit << 12) | 0xfff : limit;
		d->flags = 0xf300 | ((uint32_t)seg_32bit << 22) | ((uint32_t)limit_in_pages << 23);
	}
	/* a segment register already holding this selector follows */
	struct cpu *c = &t->cpu;
	for (int s = SEG_ES; s <= SEG_GS; s++)
		if ((c->seg[s].sel >> 3) == (unsigned)entry && s != SEG_CS) {
			c->seg[s].base = d->base;
			cpu_update_mode(c);
		}
	return 0;
}

long user_get_thread_area(struct user_thread *t, uint64_t uinfo)
{
	uint8_t u[16];
	if (user_copy_in(t, u, uinfo, 4))
		return -EFAULT;
	int32_t entry = (int32_t)r32(u, 0);
	if (entry < GDT_TLS_MIN || entry >= GDT_TLS_MIN + GDT_TLS_NUM)
		return -EINVAL;
	struct tls_desc *d = &t->tls[entry - GDT_TLS_MIN];
	memset(u + 4, 0, 12);
	if (d->used) {
		int pages = (d->flags >> 23) & 1;
		w32(u, 4, d->base);
		w32(u, 8, pages ? d->limit >> 12 : d->limit);
		w32(u, 12, ((d->flags >> 22) & 1) | (uint32_t)pages << 4 | 1u << 6);
	} else {
		w32(u, 12, 0x28); /* read_exec_only | seg_not_present */
	}
	return user_copy_out(t, uinfo, u, 16) ? -EFAULT : 0;
}

/* --- frames ----------------------------------------------------------- */

#define SC32_SIZE 88
#define FP32_SIZE 624        /* struct _fpstate_32 (fsave header + FXSAVE) */
#define FP32_FX 112          /* FXSAVE image offset in it */
#define SIGFRAME32_SC 8
#define SIGFRAME32_EXTRAMASK (8 + SC32_SIZE + FP32_SIZE)
#define SIGFRAME32_RETCODE (SIGFRAME32_EXTRAMASK + 4)
#define SIGFRAME32_SIZE (SIGFRAME32_RETCODE + 8)
#define RTFRAME32_INFO 16
#define RTFRAME32_UC (16 + 128)
#define UC32_MCTX 20
#define UC32_SIGMASK (20 + SC32_SIZE)
#define UC32_SIZE (UC32_SIGMASK + 8)
#define RTFRAME32_RETCODE (RTFRAME32_UC + UC32_SIZE)
#define RTFRAME32_SIZE (RTFRAME32_RETCODE + 8)

/* sigcontext_32: gs fs es ds (u16 + pad), edi esi ebp esp ebx edx ecx eax
 * trapno err eip, cs, eflags, esp_at_signal, ss, fpstate, oldmask, cr2 */
static void sc32_build(struct user_thread *t, uint8_t *sc, uint32_t fpstate, uint32_t oldmask)
{
	struct cpu *c = &t->cpu;
	memset(sc, 0, SC32_SIZE);
	w32(sc, 0, c->seg[SEG_GS].sel);
	w32(sc, 4, c->seg[SEG_FS].sel);
	w32(sc, 8, c->seg[SEG_ES].sel);
	w32(sc, 12, c->seg[SEG_DS].sel);
	static const int order[] = { R_RDI, R_RSI, R_RBP, R_RSP, R_RBX, R_RDX, R_RCX, R_RAX };
	for (int i = 0; i < 8; i++)
		w32(sc, 16 + 4 * (unsigned)i, (uint32_t)c->regs[order[i]]);
	w32(sc, 48, (uint32_t)t->trapno);
	w32(sc, 52, (uint32_t)t->err);
	w32(sc, 56, (uint32_t)c->rip);
	w32(sc, 60, c->seg[SEG_CS].sel);
	w32(sc, 64, cpu_get_eflags(c));
	w32(sc, 68, (uint32_t)c->regs[R_RSP]);
	w32(sc, 72, c->seg[SEG_SS].sel);
	w32(sc, 76, fpstate);
	w32(sc, 80, oldmask);
	w32(sc, 84, (uint32_t)t->cr2);
}

static int sc32_restore(struct user_thread *t, const uint8_t *sc)
{
	struct cpu *c = &t->cpu;
	static const int order[] = { R_RDI, R_RSI, R_RBP, R_RSP, R_RBX, R_RDX, R_RCX, R_RAX };
	for (int i = 0; i < 8; i++)
		c->regs[order[i]] = r32(sc, 16 + 4 * (unsigned)i);
	c->rip = r32(sc, 56);
	cpu_set_eflags(c, r32(sc, 64),
		       FL_AC | FL_OF | FL_DF | FL_TF | FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF | FL_RF);
	if (user_load_seg(c, SEG_GS, (uint16_t)r32(sc, 0)) ||
	    user_load_seg(c, SEG_FS, (uint16_t)r32(sc, 4)))
		return -1;
	cpu_update_mode(c);
	uint32_t fp = r32(sc, 76);
	if (fp) {
		uint8_t fx[512];
		if (user_copy_in(t, fx, fp + FP32_FX, sizeof(fx)))
			return -1;
		cpu_fxrstor(c, fx);
	} else {
		cpu_fpu_reset(c);
	}
	return 0;
}

/* The _fpstate_32 area: an FSAVE-format header built from the FXSAVE
 * image, then the image itself with the FP_XSTATE software bytes. */
static void fp32_build(struct cpu *c, uint8_t *out)
{
	memset(out, 0, FP32_SIZE + 4);
	uint8_t *fx = out + FP32_FX;
	cpu_fxsave(c, fx);
	uint16_t fcw, fsw;
	memcpy(&fcw, fx, 2);
	memcpy(&fsw, fx + 2, 2);
	uint32_t tag = 0;
	for (int i = 0; i < 8; i++)
		if (!((fx[4] >> i) & 1))
			tag |= 3u << (2 * i); /* empty */
	w32(out, 0, 0xffff0000u | fcw);
	w32(out, 4, 0xffff0000u | fsw);
	w32(out, 8, 0xffff0000u | tag);
	w32(out, 12, r32(fx, 8));
	w32(out, 20, r32(fx, 16));
	for (int i = 0; i < 8; i++)
		memcpy(out + 28 + 10 * i, fx + 32 + 16 * i, 10);
	memcpy(out + 108, &fsw, 2);
	/* magic 0x0000 at 110: FXSR format present */
	uint32_t m1 = 0x46505853u, ext = FP32_SIZE - FP32_FX + 64 + 4, xs = 512 + 64;
	uint64_t xf = 3;
	memcpy(fx + 464, &m1, 4);
	memcpy(fx + 468, &ext, 4);
	memcpy(fx + 472, &xf, 8);
	memcpy(fx + 480, &xs, 4);
}

static uint32_t frame32_sp(struct user_thread *t, const struct guest_sigaction *ka, size_t fsize,
			   uint32_t *fp_out)
{
	uint64_t sp = user_sigframe_sp(t, ka, (uint32_t)t->cpu.regs[R_RSP]);
	/* FXSAVE image 64-byte aligned, the FSAVE header right below it */
	sp = ((sp - (512 + 64 + 4)) & ~63ull) - FP32_FX;
	*fp_out = (uint32_t)sp;
	sp -= fsize;
	sp = ((sp + 4) & ~15ull) - 4;
	return (uint32_t)sp;
}

static void enter_handler(struct user_thread *t, const struct guest_sigaction *ka, uint32_t frame)
{
	struct cpu *c = &t->cpu;
	c->regs[R_RSP] = frame;
	c->rip = (uint32_t)ka->handler;
	cpu_set_eflags(c, 0, FL_TF | FL_DF | FL_RF | FL_AC);
	cpu_fpu_reset(c);
	c->mxcsr = 0x1f80;
	user_load_seg(c, SEG_DS, 0x2b);
	user_load_seg(c, SEG_ES, 0x2b);
	cpu_update_mode(c);
	t->trapno = t->err = t->cr2 = 0;
}

/* siginfo for an i386 guest (compat_siginfo_t): 3 ints, then the union
 * with 32-bit pointers and clock_t. */
void user_siginfo_to32(const siginfo_t *in, uint8_t out[128])
{
	memset(out, 0, 128);
	w32(out, 0, (uint32_t)in->si_signo);
	w32(out, 4, (uint32_t)in->si_errno);
	w32(out, 8, (uint32_t)in->si_code);
	int sig = in->si_signo, code = in->si_code;
	if (code == SI_TIMER) {
		w32(out, 12, (uint32_t)in->si_timerid);
		w32(out, 16, (uint32_t)in->si_overrun);
		w32(out, 20, (uint32_t)in->si_value.sival_int);
		return;
	}
	if (code == SI_QUEUE || code == SI_MESGQ || code == SI_ASYNCIO) {
		w32(out, 12, (uint32_t)in->si_pid);
		w32(out, 16, in->si_uid);
		w32(out, 20, (uint32_t)in->si_value.sival_int);
		return;
	}
	if (code <= 0) { /* SI_USER, SI_TKILL and other user-sent codes */
		w32(out, 12, (uint32_t)in->si_pid);
		w32(out, 16, in->si_uid);
		return;
	}
	switch (sig) {
	case SIGCHLD:
		w32(out, 12, (uint32_t)in->si_pid);
		w32(out, 16, in->si_uid);
		w32(out, 20, (uint32_t)in->si_status);
		w32(out, 24, (uint32_t)in->si_utime);
		w32(out, 28, (uint32_t)in->si_stime);
		break;
	case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGTRAP:
		w32(out, 12, (uint32_t)(uintptr_t)in->si_addr);
		break;
	case SIGPOLL:
		w32(out, 12, (uint32_t)in->si_band);
		w32(out, 16, (uint32_t)in->si_fd);
		break;
	default:
		w32(out, 12, (uint32_t)in->si_pid);
		w32(out, 16, in->si_uid);
		w32(out, 20, (uint32_t)in->si_value.sival_int);
		break;
	}
}

int user_setup_frame32(struct user_thread *t, int sig, const struct guest_sigaction *ka,
		       const siginfo_t *info, uint64_t oldmask)
{
	struct cpu *c = &t->cpu;
	uint8_t fp[FP32_SIZE + 4];
	uint32_t fp_addr;
	fp32_build(c, fp);
	if (ka->flags & SA_SIGINFO) {
		uint8_t f[RTFRAME32_SIZE];
		uint32_t frame = frame32_sp(t, ka, sizeof(f), &fp_addr);
		memset(f, 0, sizeof(f));
		uint32_t ret = (ka->flags & TARGET_SA_RESTORER) ? (uint32_t)ka->restorer
								: frame + RTFRAME32_RETCODE;
		w32(f, 0, ret);
		w32(f, 4, (uint32_t)sig);
		w32(f, 8, frame + RTFRAME32_INFO);
		w32(f, 12, frame + RTFRAME32_UC);
		user_siginfo_to32(info, f + RTFRAME32_INFO);
		uint8_t *uc = f + RTFRAME32_UC;
		w32(uc, 0, 1); /* UC_FP_XSTATE */
		uint32_t osp = (uint32_t)c->regs[R_RSP];
		int onstack = t->ss_size && osp > t->ss_sp && osp - t->ss_sp <= t->ss_size;
		w32(uc, 8, (uint32_t)t->ss_sp);
		w32(uc, 12, !t->ss_size ? 2 /* SS_DISABLE */ : onstack ? 1 : 0);
		w32(uc, 16, (uint32_t)t->ss_size);
		sc32_build(t, uc + UC32_MCTX, fp_addr, (uint32_t)oldmask);
		memcpy(uc + UC32_SIGMASK, &oldmask, 8);
		/* movl $__NR_rt_sigreturn,%eax ; int $0x80 */
		static const uint8_t rc[8] = { 0xb8, 173, 0, 0, 0, 0xcd, 0x80, 0 };
		memcpy(f + RTFRAME32_RETCODE, rc, 8);
		if (user_copy_out(t, fp_addr, fp, sizeof(fp)) || user_copy_out(t, frame, f, sizeof(f)))
			return -EFAULT;
		enter_handler(t, ka, frame);
		c->regs[R_RAX] = (uint32_t)sig;
		c->regs[R_RDX] = frame + RTFRAME32_INFO;
		c->regs[R_RCX] = frame + RTFRAME32_UC;
	} else {
		uint8_t f[SIGFRAME32_SIZE];
		uint32_t frame = frame32_sp(t, ka, sizeof(f), &fp_addr);
		memset(f, 0, sizeof(f));
		uint32_t ret = (ka->flags & TARGET_SA_RESTORER) ? (uint32_t)ka->restorer
								: frame + SIGFRAME32_RETCODE;
		w32(f, 0, ret);
		w32(f, 4, (uint32_t)sig);
		sc32_build(t, f + SIGFRAME32_SC, fp_addr, (uint32_t)oldmask);
		w32(f, SIGFRAME32_EXTRAMASK, (uint32_t)(oldmask >> 32));
		/* popl %eax ; movl $__NR_sigreturn,%eax ; int $0x80 */
		static const uint8_t rc[8] = { 0x58, 0xb8, 119, 0, 0, 0, 0xcd, 0x80 };
		memcpy(f + SIGFRAME32_RETCODE, rc, 8);
		if (user_copy_out(t, fp_addr, fp, sizeof(fp)) || user_copy_out(t, frame, f, sizeof(f)))
			return -EFAULT;
		enter_handler(t, ka, frame);
		c->regs[R_RAX] = (uint32_t)sig;
		c->regs[R_RDX] = 0;
		c->regs[R_RCX] = 0;
	}
	return 0;
}

long user_sigreturn32(struct user_thread *t, int rt)
{
	struct cpu *c = &t->cpu;
	uint64_t mask;
	if (rt) {
		uint32_t frame = (uint32_t)c->regs[R_RSP] - 4;
		uint8_t uc[UC32_SIZE];
		if (user_copy_in(t, uc, frame + RTFRAME32_UC, sizeof(uc)) ||
		    sc32_restore(t, uc + UC32_MCTX))
			user_die_by_signal(SIGSEGV);
		memcpy(&mask, uc + UC32_SIGMASK, 8);
		t->sigmask = mask & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
		user_sync_host_mask(t);
		user_sigaltstack(t, frame + RTFRAME32_UC + 8, 0);
	} else {
		uint32_t frame = (uint32_t)c->regs[R_RSP] - 8;
		uint8_t f[SIGFRAME32_EXTRAMASK + 4];
		if (user_copy_in(t, f, frame, sizeof(f)) || sc32_restore(t, f + SIGFRAME32_SC))
			user_die_by_signal(SIGSEGV);
		mask = r32(f, SIGFRAME32_SC + 80) | (uint64_t)r32(f, SIGFRAME32_EXTRAMASK) << 32;
		t->sigmask = mask & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
		user_sync_host_mask(t);
	}
	return -USER_ESIGRETURN;
}
