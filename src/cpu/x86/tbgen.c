/*
 * Call-threaded TB routines: for every TB, a short host routine that runs
 * its instructions without the interpreter loop.  Hot forms listed in
 * insn_templates[] (ops_fast.c) become inline host code working on the
 * guest registers in struct cpu (register and flat-memory ALU, loads and
 * stores, PUSH/POP/RET, Jcc on host flags left by the previous ALU
 * template); every other instruction is a direct CALL of its handler.  The
 * decoded form (struct insn) is unchanged.  TBs chain: a direct exit is a
 * patchable jump that cpu_exec() links to the next TB's chained entry, and
 * RET/indirect jumps probe the vCPU's jump cache inline.  This is the step
 * before the dynamic translator, which will cover every instruction and
 * keep guest registers in host registers.
 *
 * x86-64 hosts only; anywhere else (or when executable memory cannot be
 * had) tbgen_emit() returns NULL and cpu_exec() interprets the TB.
 *
 * Code memory is handed out from 32 MiB chunks.  It is not reused piecemeal
 * (a TB's routine may still be running on another thread when the TB is
 * invalidated, and other routines may jump straight into it); instead,
 * when the chunks of the current epoch reach their budget, exec.c flushes
 * every TB, tbgen_retire_code() sets all chunks aside, and once every vCPU
 * has passed a quiescent point (exec.c's epochs) tbgen_release_code()
 * returns them for reuse.  While a release is pending and the new epoch's
 * budget is exhausted too, new TBs are interpreted.
 */
#include "tbgen.h"

#include "ops.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define TBGEN_CHUNK (32u << 20)
#define TBGEN_BUDGET (256ull << 20) /* code of one epoch; a retired epoch may hold as much */
#define TBGEN_MAX_CHUNKS 64

struct tbgen {
	pthread_mutex_t lock;
	uint8_t *chunk, *pos, *end;
	size_t chunk_size, budget;
	size_t total;                     /* bytes mapped */
	uint8_t *used[TBGEN_MAX_CHUNKS];  /* chunks holding the current epoch's code */
	uint8_t *grave[TBGEN_MAX_CHUNKS]; /* chunks of a flushed epoch, awaiting release */
	uint8_t *spare[TBGEN_MAX_CHUNKS]; /* released, ready for reuse */
	int nused, ngrave, nspare;
	int full;     /* the current epoch's budget is used up: a flush is due */
	int disabled; /* no executable memory at all: interpret */
	int no_inline; /* LEMU_TBGEN=calls: call every handler (debugging) */
	int no_chain;  /* LEMU_TBGEN=nochain: no jump-cache probes at indirect exits */
};

struct tbgen *tbgen_new(void)
{
	struct tbgen *g = calloc(1, sizeof(*g));
	if (g) {
		pthread_mutex_init(&g->lock, NULL);
		const char *e = getenv("LEMU_TBGEN");
		g->no_inline = e && !strcmp(e, "calls");
		g->no_chain = e && !strcmp(e, "nochain");
		g->chunk_size = TBGEN_CHUNK;
		g->budget = TBGEN_BUDGET;
		/* LEMU_TBGEN_BUDGET_KB: a small code budget, so that tests
		 * exercise flushing and reuse often */
		const char *b = getenv("LEMU_TBGEN_BUDGET_KB");
		if (b && atol(b) >= 64) {
			g->budget = (size_t)atol(b) << 10;
			if (g->budget > TBGEN_BUDGET)
				g->budget = TBGEN_BUDGET;
			g->chunk_size = g->budget < TBGEN_CHUNK ? (g->budget + 4095) & ~(size_t)4095 :
			                                          TBGEN_CHUNK;
		}
	}
	return g;
}

int tbgen_full(struct tbgen *g)
{
	return g && __atomic_load_n(&g->full, __ATOMIC_RELAXED);
}

int tbgen_retire_code(struct tbgen *g)
{
	if (!g)
		return 0;
	pthread_mutex_lock(&g->lock);
	int ok = g->ngrave == 0;
	if (ok) {
		memcpy(g->grave, g->used, sizeof(g->used[0]) * (size_t)g->nused);
		g->ngrave = g->nused;
		g->nused = 0;
		g->chunk = g->pos = g->end = NULL;
		__atomic_store_n(&g->full, 0, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&g->lock);
	return ok;
}

void tbgen_release_code(struct tbgen *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	for (int i = 0; i < g->ngrave; i++) {
		/* give the pages back to the host until they are written again */
		madvise(g->grave[i], g->chunk_size, MADV_DONTNEED);
		g->spare[g->nspare++] = g->grave[i];
	}
	g->ngrave = 0;
	pthread_mutex_unlock(&g->lock);
}

void tbgen_stats(struct tbgen *g, size_t *mapped, size_t *used)
{
	pthread_mutex_lock(&g->lock);
	*mapped = g->total;
	*used = (size_t)g->nused * g->chunk_size;
	pthread_mutex_unlock(&g->lock);
}

void tbgen_free(struct tbgen *g)
{
	/* Code chunks are not unmapped: another thread of a user-mode
	 * process may still be unwinding through one at exit.  Only the
	 * bookkeeping goes (used at process exit and by tests). */
	if (!g)
		return;
	pthread_mutex_destroy(&g->lock);
	free(g);
}

#if defined(__x86_64__)

static int new_chunk(struct tbgen *g)
{
	if ((size_t)(g->nused + 1) * g->chunk_size > g->budget || g->nused == TBGEN_MAX_CHUNKS) {
		__atomic_store_n(&g->full, 1, __ATOMIC_RELAXED);
		return -1;
	}
	uint8_t *p;
	if (g->nspare) {
		p = g->spare[--g->nspare];
	} else {
		if (g->total + g->chunk_size > 2 * g->budget + g->chunk_size)
			return -1; /* cannot happen: used + grave + spare stay within this */
		/* Prefer memory within +-2 GiB of the handlers so calls are rel32. */
		uintptr_t text = (uintptr_t)&tbgen_emit;
		void *hint = (void *)((text & ~((uintptr_t)(1u << 20) - 1)) - (512u << 20) - g->total);
		void *m = mmap(hint, g->chunk_size, PROT_READ | PROT_WRITE | PROT_EXEC,
		               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED) {
			if (!g->total)
				g->disabled = 1; /* no executable memory: interpret */
			return -1;
		}
		p = m;
		g->total += g->chunk_size;
	}
	g->used[g->nused++] = p;
	g->chunk = g->pos = p;
	g->end = g->chunk + g->chunk_size;
	return 0;
}

static inline void put8(uint8_t **p, uint8_t v) { *(*p)++ = v; }
static inline void put32(uint8_t **p, uint32_t v) { memcpy(*p, &v, 4); *p += 4; }
static inline void put64(uint8_t **p, uint64_t v) { memcpy(*p, &v, 8); *p += 8; }

/* Worst case per insn: an inline template (a memory access with a 64-bit
 * displacement and the lazy-flag stores) is below 96 bytes. */
#define PER_INSN 240 /* a TLB-probed template plus its slow call */
#define OVERHEAD 192 /* entries, exits and their stubs */

enum { RAX = 0, RCX = 1, RDX = 2 };
#define OPK_CMP_ 5 /* OPK_* numbering of ops_fast.c: add sub and or xor cmp test */
#define OPK_TEST_ 6

static inline uint32_t reg_off(unsigned r)
{
	return (uint32_t)(offsetof(struct cpu, regs) + 8 * r);
}
/* Byte register (reg8 numbering: AH..BH are byte 1 of RAX..RBX; the
 * host is little-endian like the guest). */
static inline uint32_t reg8_off(unsigned r8)
{
	return r8 < 16 ? reg_off(r8) : reg_off(r8 - R8_AH) + 1;
}

/* host reg <- [rbx + off], zero-extended from size */
static void ld_cpu(uint8_t **p, unsigned host, uint32_t off, unsigned size)
{
	if (size == 8)
		put8(p, 0x48);
	if (size == 2 || size == 1) {
		put8(p, 0x0f);
		put8(p, size == 2 ? 0xb7 : 0xb6);
	} else {
		put8(p, 0x8b);
	}
	put8(p, (uint8_t)(0x80 | (host << 3) | 3));
	put32(p, off);
}
/* host reg <- [rax], zero-extended from size */
static void ld_mem(uint8_t **p, unsigned host, unsigned size)
{
	if (size == 8)
		put8(p, 0x48);
	if (size == 2 || size == 1) {
		put8(p, 0x0f);
		put8(p, size == 2 ? 0xb7 : 0xb6);
	} else {
		put8(p, 0x8b);
	}
	put8(p, (uint8_t)(host << 3)); /* [rax] */
}
/* mov [rbx + off] <- r64 */
static void st_cpu(uint8_t **p, unsigned host, uint32_t off)
{
	put8(p, 0x48);
	put8(p, 0x89);
	put8(p, (uint8_t)(0x80 | (host << 3) | 3));
	put32(p, off);
}
/* mov dword [rbx + off], imm32 */
static void st_cpu_imm32(uint8_t **p, uint32_t off, uint32_t v)
{
	put8(p, 0xc7);
	put8(p, 0x83);
	put32(p, off);
	put32(p, v);
}
/* mov qword [rbx + off], simm32 */
static void st_cpu_simm64(uint8_t **p, uint32_t off, int32_t v)
{
	put8(p, 0x48);
	put8(p, 0xc7);
	put8(p, 0x83);
	put32(p, off);
	put32(p, (uint32_t)v);
}
/* c->cur = in, so a fault in the following access is precise */
static void set_cur(uint8_t **p, const struct insn *in)
{
	put8(p, 0x48); put8(p, 0xbe); put64(p, (uint64_t)(uintptr_t)in); /* mov rsi, in */
	st_cpu(p, 6, (uint32_t)offsetof(struct cpu, cur));
}
/* rax = host address of the flat memory operand */
static void emit_ea(uint8_t **p, const struct insn *in, uint64_t guest_base)
{
	ld_cpu(p, RAX, reg_off(in->base), 8);
	if (in->index != R_NONE) {
		ld_cpu(p, RCX, reg_off(in->index), 8);
		/* lea rax, [rax + rcx*scale] */
		put8(p, 0x48); put8(p, 0x8d); put8(p, 0x04);
		put8(p, (uint8_t)((in->scale << 6) | (RCX << 3) | RAX));
	}
	/* LEA, not ADD: host flags may hold the guest's (see TPL_JCC) */
	uint64_t d = (uint64_t)in->disp + guest_base;
	if ((int64_t)d == (int32_t)d) {
		if (d) {
			put8(p, 0x48); put8(p, 0x8d); put8(p, 0x80); put32(p, (uint32_t)d); /* lea rax, [rax+d32] */
		}
	} else {
		put8(p, 0x48); put8(p, 0xba); put64(p, d);                           /* mov rdx, imm64 */
		put8(p, 0x48); put8(p, 0x8d); put8(p, 0x04); put8(p, 0x10);          /* lea rax, [rax+rdx] */
	}
}
/* rax <op>= rcx at size; op is OPK_* (cmp computes like sub, test like and) */
static void alu_rr(uint8_t **p, unsigned op, unsigned size)
{
	static const uint8_t opc[7] = { 0x01, 0x29, 0x21, 0x09, 0x31, 0x29, 0x21 };
	if (size == 8)
		put8(p, 0x48);
	else if (size == 2)
		put8(p, 0x66);
	put8(p, (uint8_t)(opc[op] - (size == 1))); /* 8-bit forms are one below */
	put8(p, 0xc8);
}
/* rax <op>= simm32 */
static void alu_ri(uint8_t **p, unsigned op, unsigned size, uint32_t imm)
{
	static const uint8_t ext[7] = { 0, 5, 4, 1, 6, 5, 4 };
	if (size == 8)
		put8(p, 0x48);
	put8(p, 0x81);
	put8(p, (uint8_t)(0xc0 | (ext[op] << 3)));
	put32(p, imm);
}
/* lazy flags after an ALU op: cc_dst = rax, cc_src = rcx (add/sub/cmp) */
static void alu_flags(uint8_t **p, unsigned op, unsigned size, int src_in_rcx, int32_t src_imm)
{
	unsigned sz = cc_sz(size);
	int logic = op == 2 || op == 3 || op == 4 || op == 6;
	st_cpu(p, RAX, (uint32_t)offsetof(struct cpu, cc_dst));
	if (!logic) {
		if (src_in_rcx)
			st_cpu(p, RCX, (uint32_t)offsetof(struct cpu, cc_src));
		else
			st_cpu_simm64(p, (uint32_t)offsetof(struct cpu, cc_src), src_imm);
	}
	uint32_t ccop = (op == 0 ? CC_ADD : logic ? CC_LOGIC : CC_SUB) | sz;
	st_cpu_imm32(p, (uint32_t)offsetof(struct cpu, cc_op), ccop);
}

/* rax op= rcx, the result written back to [rbx+dst_off] unless the op
 * only sets flags (cmp, test), then the lazy flags */
static void alu_rr_flags(uint8_t **p, unsigned op, unsigned size, uint32_t dst_off)
{
	alu_rr(p, op, size);
	if (op != OPK_CMP_ && op != OPK_TEST_)
		st_cpu(p, RAX, dst_off);
	alu_flags(p, op, size, 1, 0);
}

/*
 * System mode: rax holds the linear address of an access of `size` bytes.
 * Probe the soft TLB inline (as cpu_mem does): on a hit rax becomes the
 * host address; on a miss, a misaligned access or any other slow case,
 * jump to the returned rel32 slot, which emit_tlb_tail points at a plain
 * call of the handler.  Clobbers rcx, rdx and the host flags.
 */
_Static_assert(sizeof(struct tlb_entry) == 64, "tlb_entry is indexed with a shift by 6");
static uint8_t *emit_tlb(uint8_t **pp, int write, unsigned size, unsigned idx)
{
	uint8_t *p = *pp;
	put8(&p, 0x48); put8(&p, 0x89); put8(&p, 0xc2);                   /* mov rdx, rax */
	put8(&p, 0x48); put8(&p, 0xc1); put8(&p, 0xea); put8(&p, 12);     /* shr rdx, 12 */
	put8(&p, 0x81); put8(&p, 0xe2); put32(&p, TLB_SIZE - 1);          /* and edx, TLB_SIZE-1 */
	put8(&p, 0x48); put8(&p, 0xc1); put8(&p, 0xe2); put8(&p, 6);      /* shl rdx, 6 */
	put8(&p, 0x48); put8(&p, 0x8d); put8(&p, 0x94); put8(&p, 0x13);   /* lea rdx, [rbx+rdx+off] */
	put32(&p, (uint32_t)(offsetof(struct cpu, tlb) + idx * sizeof(((struct cpu *)0)->tlb[0])));
	put8(&p, 0x48); put8(&p, 0xc7); put8(&p, 0xc1);                   /* mov rcx, -4096|(size-1) */
	put32(&p, (uint32_t)(int32_t)(-4096 | (int32_t)(size - 1)));
	put8(&p, 0x48); put8(&p, 0x21); put8(&p, 0xc1);                   /* and rcx, rax */
	put8(&p, 0x48); put8(&p, 0x3b); put8(&p, 0x4a);                   /* cmp rcx, [rdx+tag] */
	put8(&p, (uint8_t)(write ? offsetof(struct tlb_entry, tag_w) : offsetof(struct tlb_entry, tag_r)));
	put8(&p, 0x0f); put8(&p, 0x85);                                   /* jne slow */
	uint8_t *slot = p;
	put32(&p, 0);
	put8(&p, 0x48); put8(&p, 0x03); put8(&p, 0x42);                   /* add rax, [rdx+addend] */
	put8(&p, (uint8_t)offsetof(struct tlb_entry, addend));
	*pp = p;
	return slot;
}

static void emit_call(uint8_t **pp, const struct insn *in);

/* After the fast path of a TLB-probed template: skip the slow call. */
static void emit_tlb_tail(uint8_t **pp, uint8_t *slow, const struct insn *in)
{
	uint8_t *p = *pp;
	put8(&p, 0xe9);                                                   /* jmp done */
	uint8_t *done = p;
	put32(&p, 0);
	int32_t rel = (int32_t)(p - (slow + 4));
	memcpy(slow, &rel, 4);
	emit_call(&p, in);
	rel = (int32_t)(p - (done + 4));
	memcpy(done, &rel, 4);
	*pp = p;
}

/* Bytes a TPL_LOAD reads. */
static unsigned load_size(unsigned op)
{
	switch (op) {
	case TLD_64: return 8;
	case TLD_32: case TLD_SX32: return 4;
	case TLD_ZX16: case TLD_R16: return 2;
	default: return 1;
	}
}

static const struct insn_template *template_for(insn_fn fn)
{
	for (const struct insn_template *t = insn_templates; t->fn; t++)
		if (t->fn == fn)
			return t;
	return NULL;
}

/* After an instruction that may store to guest memory (and is not the
 * TB's last): if the store hit this TB's own code, c->tb_break is set by
 * the fault handler; leave with rip = the next instruction. */
static void emit_break_check(uint8_t **p, const struct insn *in)
{
	put8(p, 0x80); put8(p, 0xbb); put32(p, (uint32_t)offsetof(struct cpu, tb_break));
	put8(p, 0x00);                                      /* cmp byte [rbx+tb_break], 0 */
	put8(p, 0x74); put8(p, 10 + 7 + 7 + 2);             /* je over the exit */
	put8(p, 0x48); put8(p, 0xb8); put64(p, in->next_rip); /* mov rax, next_rip */
	st_cpu(p, RAX, (uint32_t)offsetof(struct cpu, rip));
	put8(p, 0xc6); put8(p, 0x83); put32(p, (uint32_t)offsetof(struct cpu, tb_break));
	put8(p, 0x00);                                      /* mov byte [rbx+tb_break], 0 */
	put8(p, 0x5b);                                      /* pop rbx */
	put8(p, 0xc3);                                      /* ret */
}

/* Inline code for in, or 0 if it has no template here. */
/* *hostf: in = host flags equal the guest's (set by the last guest ALU
 * template, same size and operation); out = still so after in. */
static int emit_template(uint8_t **pp, const struct insn *in, const struct cpu *c, int *hostf)
{
	const struct insn_template *t = template_for(in->fn);
	if (!t)
		return 0;
	uint8_t *p = *pp;
	unsigned sz = t->size;
	/* System mode: memory templates probe the soft TLB inline (sys) */
	int sys = !c->mem_direct && c->sysmode;
	unsigned idx = (c->tb_flags & TB_F_CPL3) ? MMU_USER : (c->tb_flags & TB_F_KSMAP) ? MMU_KSMAP : MMU_KERNEL;
	uint8_t *slow = NULL;
	int mem_ok = c->mem_direct || sys;
	/* 64-bit stack slots at host address RSP (SS base is 0 in 64-bit mode) */
	int stack_ok = (c->mem_direct && c->guest_base == 0) || (sys && (c->tb_flags & TB_F_CODE64));
	int hf = *hostf;
	switch (t->kind) {
	case TPL_MOV_RR: {
		unsigned dst = t->dir ? in->rm : in->reg, src = t->dir ? in->reg : in->rm;
		ld_cpu(&p, RAX, reg_off(src), sz); /* 32-bit load zero-extends */
		st_cpu(&p, RAX, reg_off(dst));
		break;
	}
	case TPL_MOV_RI: {
		uint64_t v = sz == 8 ? in->imm : (uint32_t)in->imm;
		if ((int64_t)v == (int32_t)v) {
			st_cpu_simm64(&p, reg_off(in->reg), (int32_t)v);
		} else {
			put8(&p, 0x48); put8(&p, 0xb8); put64(&p, v);
			st_cpu(&p, RAX, reg_off(in->reg));
		}
		break;
	}
	case TPL_XOR_ZERO:
		hf = 0;
		st_cpu_simm64(&p, reg_off(in->reg), 0);
		st_cpu_simm64(&p, (uint32_t)offsetof(struct cpu, cc_dst), 0);
		st_cpu_imm32(&p, (uint32_t)offsetof(struct cpu, cc_op), CC_LOGIC | cc_sz(in->opsize));
		break;
	case TPL_LEA:
		emit_ea(&p, in, 0);
		if (sz == 4) {
			put8(&p, 0x89); put8(&p, 0xc0); /* mov eax, eax: zero-extend */
		}
		st_cpu(&p, RAX, reg_off(in->reg));
		break;
	case TPL_LOAD:
		if (!mem_ok)
			return 0;
		set_cur(&p, in);
		emit_ea(&p, in, c->guest_base);
		if (sys)
			slow = emit_tlb(&p, 0, load_size(t->op), idx);
		switch (t->op) {
		case TLD_64: put8(&p, 0x48); put8(&p, 0x8b); put8(&p, 0x00); break;
		case TLD_32: put8(&p, 0x8b); put8(&p, 0x00); break;
		case TLD_ZX8: put8(&p, 0x0f); put8(&p, 0xb6); put8(&p, 0x00); break;
		case TLD_ZX16: put8(&p, 0x0f); put8(&p, 0xb7); put8(&p, 0x00); break;
		case TLD_SX8_32: put8(&p, 0x0f); put8(&p, 0xbe); put8(&p, 0x00); break;
		case TLD_SX8_64: put8(&p, 0x48); put8(&p, 0x0f); put8(&p, 0xbe); put8(&p, 0x00); break;
		case TLD_R8:
			put8(&p, 0x8a); put8(&p, 0x00);                     /* mov al, [rax] */
			put8(&p, 0x88); put8(&p, 0x83); put32(&p, reg8_off(in->reg8)); /* mov [rbx+r8], al */
			goto loaded;
		case TLD_R16:
			put8(&p, 0x66); put8(&p, 0x8b); put8(&p, 0x00);     /* mov ax, [rax] */
			put8(&p, 0x66); put8(&p, 0x89); put8(&p, 0x83); put32(&p, reg_off(in->reg));
			goto loaded;
		default: put8(&p, 0x48); put8(&p, 0x63); put8(&p, 0x00); break;
		}
		st_cpu(&p, RAX, reg_off(in->reg));
	loaded:
		break;
	case TPL_STORE:
		if (!mem_ok)
			return 0;
		set_cur(&p, in);
		emit_ea(&p, in, c->guest_base);
		if (sys)
			slow = emit_tlb(&p, 1, sz, idx);
		if (sz == 1) {
			put8(&p, 0x8a); put8(&p, 0x8b); put32(&p, reg8_off(in->reg8)); /* mov cl, [rbx+r8] */
			put8(&p, 0x88); put8(&p, 0x08);                                 /* mov [rax], cl */
		} else {
			ld_cpu(&p, RCX, reg_off(in->reg), 8);
			if (sz == 8)
				put8(&p, 0x48);
			else if (sz == 2)
				put8(&p, 0x66);
			put8(&p, 0x89); put8(&p, 0x08); /* mov [rax], rcx/ecx/cx */
		}
		break;
	case TPL_ALU_RR: {
		unsigned dst = t->dir ? in->rm : in->reg, src = t->dir ? in->reg : in->rm;
		ld_cpu(&p, RAX, reg_off(dst), sz);
		ld_cpu(&p, RCX, reg_off(src), sz);
		alu_rr_flags(&p, t->op, sz, reg_off(dst));
		hf = 1;
		break;
	}
	case TPL_ALU_RM: /* reg op= [mem] */
	case TPL_CMP_MR: /* cmp [mem], reg */
		if (!mem_ok)
			return 0;
		set_cur(&p, in);
		emit_ea(&p, in, c->guest_base);
		if (sys)
			slow = emit_tlb(&p, 0, sz, idx);
		{
			int mem_first = t->kind == TPL_CMP_MR;
			uint32_t roff = sz == 1 ? reg8_off(in->reg8) : reg_off(in->reg);
			ld_mem(&p, mem_first ? RAX : RCX, sz);
			ld_cpu(&p, mem_first ? RCX : RAX, roff, sz);
			alu_rr_flags(&p, mem_first ? OPK_CMP_ : t->op, sz, roff);
		}
		hf = 1;
		break;
	case TPL_CMP_MI:
		if (!mem_ok)
			return 0;
		set_cur(&p, in);
		emit_ea(&p, in, c->guest_base);
		if (sys)
			slow = emit_tlb(&p, 0, sz, idx);
		ld_mem(&p, RAX, sz);
		/* sub rax/eax/ax/al, imm */
		if (sz == 8)
			put8(&p, 0x48);
		else if (sz == 2)
			put8(&p, 0x66);
		if (sz == 1) {
			put8(&p, 0x2c); put8(&p, (uint8_t)in->imm);
		} else if (sz == 2) {
			put8(&p, 0x2d); put8(&p, (uint8_t)in->imm); put8(&p, (uint8_t)(in->imm >> 8));
		} else {
			put8(&p, 0x2d); put32(&p, (uint32_t)in->imm);
		}
		alu_flags(&p, OPK_CMP_, sz, 0, (int32_t)in->imm);
		hf = 1;
		break;
	case TPL_PUSH:
		if (!stack_ok)
			return 0;
		set_cur(&p, in);
		ld_cpu(&p, RAX, reg_off(R_RSP), 8);
		put8(&p, 0x48); put8(&p, 0x8d); put8(&p, 0x40); put8(&p, 0xf8); /* lea rax, [rax-8] */
		if (sys) {
			/* keep the guest RSP in r8 (the probe turns rax into a host address) */
			put8(&p, 0x49); put8(&p, 0x89); put8(&p, 0xc0);      /* mov r8, rax */
			slow = emit_tlb(&p, 1, 8, idx);
		}
		ld_cpu(&p, RCX, reg_off(in->reg), 8);                        /* old RSP for push rsp */
		put8(&p, 0x48); put8(&p, 0x89); put8(&p, 0x08);              /* mov [rax], rcx */
		if (sys) {
			put8(&p, 0x4c); put8(&p, 0x89); put8(&p, 0x83);      /* mov [rbx+rsp], r8 */
			put32(&p, reg_off(R_RSP));
		} else {
			st_cpu(&p, RAX, reg_off(R_RSP));
		}
		break;
	case TPL_POP: /* rcx = the popped value; stored after RSP: pop rsp loads rsp */
	case TPL_RET:
		if (!stack_ok)
			return 0;
		set_cur(&p, in);
		ld_cpu(&p, RAX, reg_off(R_RSP), 8);
		if (sys) {
			put8(&p, 0x49); put8(&p, 0x89); put8(&p, 0xc0);      /* mov r8, rax */
			slow = emit_tlb(&p, 0, 8, idx);
			put8(&p, 0x48); put8(&p, 0x8b); put8(&p, 0x08);      /* mov rcx, [rax] */
			put8(&p, 0x49); put8(&p, 0x8d); put8(&p, 0x40); put8(&p, 0x08); /* lea rax, [r8+8] */
		} else {
			put8(&p, 0x48); put8(&p, 0x8b); put8(&p, 0x08);              /* mov rcx, [rax] */
			put8(&p, 0x48); put8(&p, 0x8d); put8(&p, 0x40); put8(&p, 0x08); /* lea rax, [rax+8] */
		}
		st_cpu(&p, RAX, reg_off(R_RSP));
		st_cpu(&p, RCX, t->kind == TPL_POP ? reg_off(in->reg) : (uint32_t)offsetof(struct cpu, rip));
		break;
	case TPL_INCDEC:
		/* Only when the host CF is the guest's: then the host INC/DEC
		 * leaves host flags equal to the guest's again. */
		if (!hf)
			return 0;
		put8(&p, 0x0f); put8(&p, 0x92); put8(&p, 0xc1);          /* setc cl */
		put8(&p, 0x0f); put8(&p, 0xb6); put8(&p, 0xc9);          /* movzx ecx, cl */
		ld_cpu(&p, RAX, reg_off(in->rm), sz);                    /* mov: flags kept */
		if (sz == 8)
			put8(&p, 0x48);
		put8(&p, 0xff); put8(&p, t->op ? 0xc8 : 0xc0);           /* dec/inc eax|rax */
		st_cpu(&p, RAX, reg_off(in->rm));
		st_cpu(&p, RAX, (uint32_t)offsetof(struct cpu, cc_dst));
		st_cpu_simm64(&p, (uint32_t)offsetof(struct cpu, cc_src), 1);
		st_cpu(&p, RCX, (uint32_t)offsetof(struct cpu, cc_src2)); /* FL_CF == 1 */
		st_cpu_imm32(&p, (uint32_t)offsetof(struct cpu, cc_op),
			     (t->op ? CC_DEC : CC_INC) | cc_sz(sz));
		hf = 1;
		break;
	case TPL_JCC:
		if (!hf)
			return 0;
		/* j!cc over: rip = target */
		put8(&p, (uint8_t)(0x70 + (t->op ^ 1)));
		put8(&p, 10 + 7);
		put8(&p, 0x48); put8(&p, 0xb8); put64(&p, in->imm);
		st_cpu(&p, RAX, (uint32_t)offsetof(struct cpu, rip));
		break;
	case TPL_ALU_RI:
		if ((int64_t)in->imm != (int32_t)in->imm && sz == 8)
			return 0;
		ld_cpu(&p, RAX, reg_off(in->rm), sz);
		alu_ri(&p, t->op, sz, (uint32_t)in->imm);
		if (t->op != OPK_CMP_ && t->op != OPK_TEST_)
			st_cpu(&p, RAX, reg_off(in->rm));
		alu_flags(&p, t->op, sz, 0, (int32_t)in->imm);
		hf = 1;
		break;
	case TPL_ROT_NF: {
		hf = 0;
		unsigned n = (in->aux == 1 ? 1u : (unsigned)in->imm) & (sz == 8 ? 63u : 31u);
		ld_cpu(&p, RAX, reg_off(in->rm), sz);
		if (sz == 8)
			put8(&p, 0x48);
		put8(&p, 0xc1); put8(&p, t->op ? 0xc8 : 0xc0); put8(&p, (uint8_t)n);
		st_cpu(&p, RAX, reg_off(in->rm));
		break;
	}
	default:
		return 0;
	}
	if (slow) {
		/* a TLB-probed memory template: the handler call as its slow
		 * path, which leaves the guest flags in memory only */
		emit_tlb_tail(&p, slow, in);
		hf = 0;
	}
	*pp = p;
	*hostf = hf;
	return 1;
}

/* A chainable exit: "jmp rel32" whose displacement is 4-byte aligned so
 * tbgen_link() can retarget it with one atomic store while other threads
 * run this code.  Returns the jump's address; its stub is emitted later. */
struct exit_slot {
	uint8_t *jmp;
	int set_rip;     /* the stub sets c->rip = target (inline Jcc/JMP) */
	uint64_t target;
};
static uint8_t *emit_slot(uint8_t **p)
{
	while (((uintptr_t)*p + 1) & 3)
		put8(p, 0x90);
	uint8_t *j = *p;
	put8(p, 0xe9);
	put32(p, 0); /* fixed up to the stub */
	return j;
}
static void emit_stub(uint8_t **p, struct exit_slot *s)
{
	int32_t rel = (int32_t)(*p - (s->jmp + 5));
	memcpy(s->jmp + 1, &rel, 4);
	if (s->set_rip) {
		put8(p, 0x48); put8(p, 0xb8); put64(p, s->target);
		st_cpu(p, RAX, (uint32_t)offsetof(struct cpu, rip));
	}
	put8(p, 0x48); put8(p, 0xb8); put64(p, (uint64_t)(uintptr_t)s->jmp);
	st_cpu(p, RAX, (uint32_t)offsetof(struct cpu, last_exit));
	put8(p, 0x5b); /* pop rbx */
	put8(p, 0xc3); /* ret */
}

/*
 * Leave a TB whose successor is only known at run time (RET, indirect
 * JMP/CALL): probe the vCPU's jump cache, as cpu_exec() would, and jump
 * straight to the successor's chained entry on a hit; otherwise return.
 * The hash must be jc_hash() of exec.c.
 */
static void emit_indirect_exit(uint8_t **pp)
{
	uint8_t *p = *pp;
	ld_cpu(&p, RAX, (uint32_t)offsetof(struct cpu, rip), 8);            /* rax = rip */
	put8(&p, 0x48); put8(&p, 0x89); put8(&p, 0xc1);                      /* mov rcx, rax */
	put8(&p, 0x48); put8(&p, 0xc1); put8(&p, 0xe9); put8(&p, JMP_CACHE_BITS); /* shr rcx, bits */
	put8(&p, 0x48); put8(&p, 0x31); put8(&p, 0xc1);                      /* xor rcx, rax */
	put8(&p, 0x81); put8(&p, 0xe1); put32(&p, JMP_CACHE_SIZE - 1);       /* and ecx, mask */
	put8(&p, 0x48); put8(&p, 0x8b); put8(&p, 0x94); put8(&p, 0xcb);      /* mov rdx, [rbx+rcx*8+d32] */
	put32(&p, (uint32_t)offsetof(struct cpu, jmp_cache));
	put8(&p, 0x48); put8(&p, 0x85); put8(&p, 0xd2);                      /* test rdx, rdx */
	put8(&p, 0x74); uint8_t *m1 = p; put8(&p, 0);                        /* jz miss */
	put8(&p, 0x48); put8(&p, 0x3b); put8(&p, 0x82);                      /* cmp rax, [rdx+pc] */
	put32(&p, (uint32_t)offsetof(struct tb, pc));
	put8(&p, 0x75); uint8_t *m2 = p; put8(&p, 0);                        /* jne miss */
	ld_cpu(&p, RAX, (uint32_t)offsetof(struct cpu, tb_flags), 4);        /* eax = tb_flags */
	put8(&p, 0x3b); put8(&p, 0x82); put32(&p, (uint32_t)offsetof(struct tb, flags)); /* cmp eax, [rdx+flags] */
	put8(&p, 0x75); uint8_t *m3 = p; put8(&p, 0);                        /* jne miss */
	put8(&p, 0x48); put8(&p, 0x8b); put8(&p, 0x82);                      /* mov rax, [rdx+code] */
	put32(&p, (uint32_t)offsetof(struct tb, code));
	put8(&p, 0x48); put8(&p, 0x85); put8(&p, 0xc0);                      /* test rax, rax */
	put8(&p, 0x74); uint8_t *m4 = p; put8(&p, 0);                        /* jz miss */
	put8(&p, 0x48); put8(&p, 0x83); put8(&p, 0xc0); put8(&p, TBGEN_CENTRY_OFF); /* add rax, centry */
	put8(&p, 0xff); put8(&p, 0xe0);                                      /* jmp rax */
	*m1 = (uint8_t)(p - (m1 + 1));
	*m2 = (uint8_t)(p - (m2 + 1));
	*m3 = (uint8_t)(p - (m3 + 1));
	*m4 = (uint8_t)(p - (m4 + 1));
	*pp = p;
}

static void emit_call(uint8_t **pp, const struct insn *in)
{
	uint8_t *p = *pp;
	set_cur(&p, in);
	put8(&p, 0x48); put8(&p, 0x89); put8(&p, 0xdf); /* mov rdi, rbx */
	intptr_t rel = (intptr_t)(uintptr_t)in->fn - (intptr_t)(uintptr_t)(p + 5);
	if (rel == (int32_t)rel) {
		put8(&p, 0xe8);
		put32(&p, (uint32_t)(int32_t)rel);      /* call rel32 */
	} else {
		put8(&p, 0x48); put8(&p, 0xb8);
		put64(&p, (uint64_t)(uintptr_t)in->fn); /* mov rax, fn */
		put8(&p, 0xff); put8(&p, 0xd0);         /* call rax */
	}
	*pp = p;
}

tb_code_fn tbgen_emit(struct tbgen *g, struct tb *tb, const struct cpu *c)
{
	if (!g || g->disabled)
		return NULL;
	size_t need = OVERHEAD + (size_t)tb->n * PER_INSN;
	pthread_mutex_lock(&g->lock);
	if (!g->chunk || (size_t)(g->end - g->pos) < need) {
		if (need > g->chunk_size || new_chunk(g)) {
			pthread_mutex_unlock(&g->lock);
			return NULL; /* interpreted; exec.c flushes when tbgen_full() */
		}
	}
	uint8_t *start = g->pos, *p = start;
	int hostf = 0;
	struct exit_slot slots[2];
	int nslots = 0;

	/* entry (from cpu_exec, c->rip already = end_pc) */
	put8(&p, 0x53);                                 /* push rbx */
	put8(&p, 0x48); put8(&p, 0x89); put8(&p, 0xfb); /* mov rbx, rdi */
	put8(&p, 0xeb);                                 /* jmp body (rel8, fixed below) */
	uint8_t *to_body = p;
	put8(&p, 0);
	/* chained entry, reached by a jump from another TB's exit: do what
	 * cpu_exec does before running a TB, or go back to it */
	if (p != start + TBGEN_CENTRY_OFF)
		abort();
	put8(&p, 0x83); put8(&p, 0xbb); put32(&p, (uint32_t)offsetof(struct cpu, exit_request));
	put8(&p, 0x00);                                 /* cmp dword [rbx+exit_request], 0 */
	put8(&p, 0x75); uint8_t *bail1 = p; put8(&p, 0);  /* jne bail */
	put8(&p, 0x48); put8(&p, 0xb8); put64(&p, (uint64_t)(uintptr_t)&tb->invalid);
	put8(&p, 0x83); put8(&p, 0x38); put8(&p, 0x00); /* cmp dword [rax], 0 */
	put8(&p, 0x75); uint8_t *bail2 = p; put8(&p, 0);  /* jne bail */
	put8(&p, 0x48); put8(&p, 0xb8); put64(&p, tb->end_pc);
	st_cpu(&p, RAX, (uint32_t)offsetof(struct cpu, rip));
	put8(&p, 0xeb); uint8_t *to_body2 = p; put8(&p, 0);
	/* bail: back to cpu_exec, which will run (or rebuild) this TB */
	*bail1 = (uint8_t)(p - (bail1 + 1));
	*bail2 = (uint8_t)(p - (bail2 + 1));
	put8(&p, 0x48); put8(&p, 0xb8); put64(&p, tb->pc);
	st_cpu(&p, RAX, (uint32_t)offsetof(struct cpu, rip));
	put8(&p, 0x5b);
	put8(&p, 0xc3);
	*to_body = (uint8_t)(p - (to_body + 1));
	*to_body2 = (uint8_t)(p - (to_body2 + 1));

	for (uint32_t i = 0; i < tb->n; i++) {
		const struct insn *in = &tb->insns[i];
		int last = i + 1 == tb->n;
		const struct insn_template *t = g->no_inline ? NULL : template_for(in->fn);
		if (last && t && t->kind == TPL_JCC && hostf) {
			/* j!cc over the taken exit */
			put8(&p, (uint8_t)(0x70 + (t->op ^ 1)));
			uint8_t *over = p;
			put8(&p, 0);
			slots[nslots++] = (struct exit_slot){ emit_slot(&p), 1, in->imm };
			*over = (uint8_t)(p - (over + 1));
			slots[nslots++] = (struct exit_slot){ emit_slot(&p), 0, 0 };
			goto exits;
		}
		if (last && t && t->kind == TPL_CALL && c->mem_direct && c->guest_base == 0) {
			/* push the return address inline; the exit goes to the target */
			set_cur(&p, in);
			ld_cpu(&p, RAX, reg_off(R_RSP), 8);
			put8(&p, 0x48); put8(&p, 0x8d); put8(&p, 0x40); put8(&p, 0xf8); /* lea rax, [rax-8] */
			put8(&p, 0x48); put8(&p, 0xb9); put64(&p, in->next_rip);     /* mov rcx, imm64 */
			put8(&p, 0x48); put8(&p, 0x89); put8(&p, 0x08);              /* mov [rax], rcx */
			st_cpu(&p, RAX, reg_off(R_RSP));
			slots[nslots++] = (struct exit_slot){ emit_slot(&p), 1, in->imm };
			goto exits;
		}
		if (last && t && t->kind == TPL_JMP) {
			slots[nslots++] = (struct exit_slot){ emit_slot(&p), 1, in->imm };
			goto exits;
		}
		if (t && t->kind != TPL_JMP && t->kind != TPL_CALL && emit_template(&p, in, c, &hostf)) {
			if ((t->kind == TPL_STORE || t->kind == TPL_PUSH) && !last) {
				emit_break_check(&p, in);
				hostf = 0;
			}
			if (t->kind == TPL_RET && last && !g->no_chain && !(c->log_flags & (CPU_LOG_EXEC | CPU_LOG_CPU))) {
				emit_indirect_exit(&p);
				goto exits;
			}
			continue;
		}
		hostf = 0;
		emit_call(&p, in);
		if (!last) {
			emit_break_check(&p, in);
			continue;
		}
		if (t && (t->kind == TPL_JMP || t->kind == TPL_CALL)) {
			/* the handler set rip to the static target */
			slots[nslots++] = (struct exit_slot){ emit_slot(&p), 0, 0 };
		} else if (t && t->kind == TPL_IND && !g->no_chain && !(c->log_flags & (CPU_LOG_EXEC | CPU_LOG_CPU))) {
			emit_indirect_exit(&p);
		} else if (t && t->kind == TPL_JCC) {
			/* cmp [rbx+rip], target; jne fall-through */
			put8(&p, 0x48); put8(&p, 0xb8); put64(&p, in->imm);
			put8(&p, 0x48); put8(&p, 0x39); put8(&p, 0x83);
			put32(&p, (uint32_t)offsetof(struct cpu, rip));
			put8(&p, 0x75);
			uint8_t *over = p;
			put8(&p, 0);
			slots[nslots++] = (struct exit_slot){ emit_slot(&p), 0, 0 };
			*over = (uint8_t)(p - (over + 1));
			slots[nslots++] = (struct exit_slot){ emit_slot(&p), 0, 0 };
		}
		goto exits;
	}
	/* the TB ran off its end (page end or size limit): rip = end_pc */
	if (!tb->term)
		slots[nslots++] = (struct exit_slot){ emit_slot(&p), 0, 0 };
exits:
	if (!nslots) {
		put8(&p, 0x5b); /* pop rbx */
		put8(&p, 0xc3); /* ret */
	}
	for (int k = 0; k < nslots; k++)
		emit_stub(&p, &slots[k]);
	if ((size_t)(p - start) > need)
		abort(); /* PER_INSN underestimated: a bug, caught in testing */
	g->pos = (uint8_t *)(((uintptr_t)p + 15) & ~(uintptr_t)15);
	pthread_mutex_unlock(&g->lock);
	/* x86 keeps instruction fetch coherent with stores on the same core;
	 * other threads only reach this code through the TB hash, published
	 * under the tb_cache mutex after this point. */
	return (tb_code_fn)(void *)start;
}

void tbgen_link(uint8_t *slot, struct tb *next)
{
	uint8_t *target = (uint8_t *)(void *)next->code + TBGEN_CENTRY_OFF;
	intptr_t rel = target - (slot + 5);
	if (rel != (int32_t)rel || slot[0] != 0xe9)
		return;
	__atomic_store_n((int32_t *)(void *)(slot + 1), (int32_t)rel, __ATOMIC_RELEASE);
}

#else

int tbgen_full(struct tbgen *g)
{
	(void)g;
	return 0;
}
int tbgen_retire_code(struct tbgen *g)
{
	(void)g;
	return 1;
}
void tbgen_release_code(struct tbgen *g)
{
	(void)g;
}
void tbgen_stats(struct tbgen *g, size_t *mapped, size_t *used)
{
	(void)g;
	*mapped = *used = 0;
}

tb_code_fn tbgen_emit(struct tbgen *g, struct tb *tb, const struct cpu *c)
{
	(void)g;
	(void)tb;
	(void)c;
	return NULL;
}

void tbgen_link(uint8_t *slot, struct tb *next)
{
	(void)slot;
	(void)next;
}

#endif
