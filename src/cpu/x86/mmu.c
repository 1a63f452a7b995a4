/*
 * System-mode memory: linear-to-physical translation (Intel SDM vol. 3
 * chapter 4: 32-bit, PAE and 4-level paging with 4K/2M/4M/1G pages, NX, WP,
 * SMEP, SMAP, accessed/dirty bits), the soft TLB, and the slow path of cpu_mem()
 * for TLB misses, MMIO, code pages and page-crossing accesses.
 *
 * The TLB is direct-mapped per MMU index (kernel, user).  An entry caches
 * one 4 KiB piece of a translation (large pages are entered piecewise) and
 * the accesses the walk allowed (prot).  Only plain RAM gets fast-path tags;
 * a write tag additionally needs the dirty bit set and the page to hold no
 * translated code, so that the first write sets D and a write to code goes
 * through env->code_write (self-modifying code).  Physical memory is reached
 * through the env hooks, which keeps this file independent of struct vm.
 */
#include "cpu.h"
#include "mmu.h"

#define PG_P 0x1ull
#define PG_RW 0x2ull
#define PG_US 0x4ull
#define PG_A 0x20ull
#define PG_D 0x40ull
#define PG_PS 0x80ull
#define PG_G 0x100ull
#define PG_NX (1ull << 63)
#define PG_ADDR 0x000ffffffffff000ull /* bits 51:12 */
/* Physical-address bits above MAXPHYADDR (40, CPUID 0x80000008) are
 * reserved in PAE and 4-level entries; PAE also reserves bits 62:52. */
#define PG_RSVD_HI 0x000fff0000000000ull
#define PG_RSVD_PAE (PG_RSVD_HI | 0x7ff0000000000000ull)

#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_PGE (1ull << 7)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define EFER_NXE (1ull << 11)
#define EFER_LMA (1ull << 10)

/* #PF error code bits (SDM vol. 3 §4.7) */
#define PFERR_P 1u
#define PFERR_W 2u
#define PFERR_U 4u
#define PFERR_RSVD 8u
#define PFERR_I 16u

static inline struct tlb_entry *tlb_slot(struct cpu *c, unsigned idx, uint64_t lin)
{
	return &c->tlb[idx][(lin >> 12) & (TLB_SIZE - 1)];
}

static void tlb_entry_clear(struct tlb_entry *e)
{
	e->tag_r = e->tag_w = e->tag_x = TLB_INVALID;
	e->tag = TLB_INVALID;
	e->prot = 0;
	e->global = 0;
}

static void jmp_cache_clear(struct cpu *c)
{
	memset(c->jmp_cache, 0, sizeof(c->jmp_cache));
}

/* A large page is cached (as 4K pieces): grow the one aligned region that
 * covers all of them, so that INVLPG elsewhere (user pages, while the
 * kernel's direct map uses 2M pages) flushes one page, not everything. */
static void tlb_note_large(struct cpu *c, uint64_t lin, uint64_t size)
{
	uint64_t mask = ~(size - 1);
	if (!c->tlb_has_large) {
		c->tlb_has_large = true;
		c->tlb_large_addr = lin & mask;
		c->tlb_large_mask = mask;
		return;
	}
	mask &= c->tlb_large_mask;
	while ((c->tlb_large_addr ^ lin) & mask)
		mask <<= 1;
	c->tlb_large_mask = mask;
	c->tlb_large_addr &= mask;
}

void cpu_tlb_flush(struct cpu *c)
{
	for (unsigned i = 0; i < MMU_NB; i++)
		for (unsigned j = 0; j < TLB_SIZE; j++)
			tlb_entry_clear(&c->tlb[i][j]);
	c->tlb_has_large = false;
	jmp_cache_clear(c);
}

void cpu_tlb_flush_nonglobal(struct cpu *c)
{
	if (!(c->cr4 & CR4_PGE)) {
		cpu_tlb_flush(c);
		return;
	}
	for (unsigned i = 0; i < MMU_EDGE; i++) /* MMU_EDGE is never filled */
		for (unsigned j = 0; j < TLB_SIZE; j++)
			if (!c->tlb[i][j].global)
				tlb_entry_clear(&c->tlb[i][j]);
	jmp_cache_clear(c);
}

void cpu_tlb_flush_page(struct cpu *c, uint64_t lin)
{
	if (c->tlb_has_large && !((lin ^ c->tlb_large_addr) & c->tlb_large_mask)) {
		/* The page may be part of a large page cached piecewise. */
		cpu_tlb_flush(c);
		return;
	}
	uint64_t page = lin & ~0xfffull;
	for (unsigned i = 0; i < MMU_EDGE; i++) {
		struct tlb_entry *e = tlb_slot(c, i, lin);
		if (e->tag == page)
			tlb_entry_clear(e);
	}
	jmp_cache_clear(c);
}

void cpu_tlb_drop_write(struct cpu *c, uint64_t phys_page)
{
	for (unsigned i = 0; i < MMU_EDGE; i++)
		for (unsigned j = 0; j < TLB_SIZE; j++) {
			struct tlb_entry *e = &c->tlb[i][j];
			if (e->phys == phys_page)
				__atomic_store_n(&e->tag_w, TLB_INVALID, __ATOMIC_RELAXED);
		}
}

void cpu_mmu_update(struct cpu *c)
{
	c->mmu_idx = (uint8_t)cpu_mmu_index(c);
	c->seg_edge_mask = 0;
}

/* --- the page walk ------------------------------------------------ */

/* Read a paging-structure entry; returns a host pointer to it (for A/D
 * updates) or NULL when the table is not in RAM (then treated as zero:
 * not present). */
static uint64_t *pte_ptr(struct cpu *c, uint64_t paddr)
{
	bool code;
	return (uint64_t *)(void *)c->env->phys_ram(c, paddr & c->a20_mask, true, &code);
}

static inline uint64_t pte_read(uint64_t *p, unsigned size)
{
	if (!p)
		return 0;
	if (size == 4)
		return __atomic_load_n((uint32_t *)p, __ATOMIC_RELAXED);
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void pte_set_bits(uint64_t *p, unsigned size, uint64_t bits)
{
	if (!p)
		return;
	/* Atomic so that another vCPU's concurrent update is not lost. */
	if (size == 4)
		__atomic_fetch_or((uint32_t *)p, (uint32_t)bits, __ATOMIC_RELAXED);
	else
		__atomic_fetch_or(p, bits, __ATOMIC_RELAXED);
}

/*
 * Translate lin for an access of kind acc (ACC_R/W/X) in TLB mode `mode`:
 * MMU_USER (CPL 3 and not an implicit supervisor access), MMU_KERNEL, or
 * MMU_KSMAP (supervisor with SMAP enforced: no data access to user pages).
 * On success fills *x and returns 0 (A/D bits updated); on failure returns
 * the #PF error code with bit 31 set (so that 0 stays "success").
 */
uint32_t mmu_walk(struct cpu *c, uint64_t lin, int acc, int mode, struct mmu_xlat *x)
{
	bool user = mode == MMU_USER;
	uint64_t *ptrs[5];
	unsigned sizes[5];
	int nlev = 0;
	uint64_t pte = 0, page_size, phys_base;
	bool rw = true, us = true, nx = false, global = false;
	bool nxe = (c->efer & EFER_NXE) != 0;
	uint32_t err = (acc == ACC_W ? PFERR_W : 0) | (user ? PFERR_U : 0) |
		       (acc == ACC_X && (nxe || (c->cr4 & CR4_SMEP)) ? PFERR_I : 0);

	if (!(c->cr0 & CR0_PG)) {
		x->phys = lin & 0xffffffffull & c->a20_mask;
		x->prot = TLB_PROT_R | TLB_PROT_W | TLB_PROT_X;
		x->large = false;
		x->global = false;
		x->size = 4096;
		return 0;
	}

	if ((c->efer & EFER_LMA) || (c->cr4 & CR4_PAE)) {
		/* 4-level paging (lin is canonical, checked by the caller) or PAE,
		 * whose 4 PDPTEs real CPUs load at CR3 write and lemu reads at
		 * walk time (SDM §4.4.1).  Both use 8-byte entries. */
		static const int shifts_lm[4] = { 39, 30, 21, 12 }, shifts_pae[2] = { 21, 12 };
		bool lm = (c->efer & EFER_LMA) != 0;
		const int *shifts = lm ? shifts_lm : shifts_pae;
		int levels = lm ? 4 : 2;
		uint64_t rsvd = lm ? PG_RSVD_HI : PG_RSVD_PAE;
		uint64_t table = c->cr3 & PG_ADDR;
		if (!lm) {
			uint64_t pdpte = pte_read(pte_ptr(c, (c->cr3 & 0xffffffe0ull) + (((lin >> 30) & 3) << 3)), 8);
			if (!(pdpte & PG_P))
				return err | 0x80000000u;
			table = pdpte & PG_ADDR;
		}
		for (int lvl = 0; lvl < levels; lvl++) {
			uint64_t *p = pte_ptr(c, table + (((lin >> shifts[lvl]) & 511) << 3));
			pte = pte_read(p, 8);
			ptrs[nlev] = p;
			sizes[nlev++] = 8;
			if (!(pte & PG_P))
				return err | 0x80000000u;
			if (((pte & PG_NX) && !nxe) || (pte & rsvd) || (lm && lvl == 0 && (pte & PG_PS)))
				return err | PFERR_P | PFERR_RSVD | 0x80000000u;
			rw &= (pte & PG_RW) != 0;
			us &= (pte & PG_US) != 0;
			nx |= (pte & PG_NX) != 0;
			/* 1 GiB (PDPTE) and 2 MiB (PDE) pages */
			if ((lm ? lvl == 1 || lvl == 2 : lvl == 0) && (pte & PG_PS)) {
				page_size = 1ull << shifts[lvl];
				/* reserved bits between the PAT bit (12) and the page size */
				if (pte & (page_size - 1) & ~0x1fffull & PG_ADDR)
					return err | PFERR_P | PFERR_RSVD | 0x80000000u;
				phys_base = pte & PG_ADDR & ~(page_size - 1);
				goto leaf;
			}
			table = pte & PG_ADDR;
		}
		page_size = 4096;
		phys_base = pte & PG_ADDR;
	} else {
		/* 32-bit paging */
		uint32_t l32 = (uint32_t)lin;
		uint64_t *p = pte_ptr(c, (c->cr3 & 0xfffff000ull) + ((l32 >> 22) << 2));
		pte = pte_read(p, 4);
		ptrs[nlev] = p;
		sizes[nlev++] = 4;
		if (!(pte & PG_P))
			return err | 0x80000000u;
		rw &= (pte & PG_RW) != 0;
		us &= (pte & PG_US) != 0;
		if ((pte & PG_PS) && (c->cr4 & CR4_PSE)) {
			page_size = 4ull << 20;
			/* PSE-36: PDE bits 20:13 are physical address bits 39:32 */
			phys_base = (pte & 0xffc00000ull) | ((pte & 0x1fe000ull) << 19);
			goto leaf;
		}
		p = pte_ptr(c, (pte & 0xfffff000ull) + (((l32 >> 12) & 1023) << 2));
		pte = pte_read(p, 4);
		ptrs[nlev] = p;
		sizes[nlev++] = 4;
		if (!(pte & PG_P))
			return err | 0x80000000u;
		rw &= (pte & PG_RW) != 0;
		us &= (pte & PG_US) != 0;
		page_size = 4096;
		phys_base = pte & 0xfffff000ull;
	}
	goto check;
leaf:
	x->large = true;
	x->size = page_size;
	goto check2;
check:
	x->large = false;
	x->size = 4096;
check2:
	global = (pte & PG_G) && (c->cr4 & CR4_PGE);
	/* Access rights (SDM §4.6). */
	{
		bool wp = (c->cr0 & CR0_WP) != 0;
		unsigned prot = 0;
		if (user) {
			if (us) {
				prot |= TLB_PROT_R;
				if (rw)
					prot |= TLB_PROT_W;
				if (!nx)
					prot |= TLB_PROT_X;
			}
		} else {
			/* SMAP (§4.6.1): no data reads or writes of user pages
			 * unless EFLAGS.AC (that choice made the mode) */
			if (!(us && mode == MMU_KSMAP)) {
				prot |= TLB_PROT_R;
				if (rw || !wp)
					prot |= TLB_PROT_W;
			}
			if (!nx && !(us && (c->cr4 & CR4_SMEP)))
				prot |= TLB_PROT_X;
		}
		unsigned need = acc == ACC_W ? TLB_PROT_W : acc == ACC_X ? TLB_PROT_X : TLB_PROT_R;
		if (!(prot & need))
			return err | PFERR_P | 0x80000000u;
		/* Accessed at every level; dirty on the leaf for writes. */
		for (int i = 0; i < nlev; i++)
			pte_set_bits(ptrs[i], sizes[i], PG_A);
		bool dirty = (pte & PG_D) != 0;
		if (acc == ACC_W && !dirty) {
			pte_set_bits(ptrs[nlev - 1], sizes[nlev - 1], PG_D);
			dirty = true;
		}
		if (!dirty)
			prot &= ~TLB_PROT_W; /* the first write must set D */
		x->prot = (uint8_t)prot;
	}
	x->phys = (phys_base | (lin & (page_size - 1))) & c->a20_mask;
	x->global = global;
	return 0;
}

static inline bool canonical(struct cpu *c, uint64_t lin)
{
	if (!(c->efer & EFER_LMA))
		return true;
	return (uint64_t)((int64_t)(lin << 16) >> 16) == lin;
}

__attribute__((noreturn)) static void raise_pf(struct cpu *c, uint64_t lin, uint32_t err)
{
	c->exc_addr = lin;
	c->exc_write = (err & PFERR_W) != 0;
	cpu_raise(c, EXC_PF, err & 0x7fffffffu);
}

/* Translate one page for acc through the TLB entry's cached walk, or walk
 * and refill the entry.  Raises #PF / #GP. */
static uint64_t translate(struct cpu *c, uint64_t lin, int acc, struct tlb_entry **ep)
{
	unsigned idx = c->implicit_sv ? cpu_mmu_index_sys(c) : cpu_tlb_idx(c);
	struct tlb_entry *e = tlb_slot(c, idx, lin);
	uint64_t page = lin & ~0xfffull;
	unsigned need = acc == ACC_W ? TLB_PROT_W : acc == ACC_X ? TLB_PROT_X : TLB_PROT_R;
	if (e->tag == page && (e->prot & need)) {
		*ep = e;
		return e->phys | (lin & 0xfff);
	}
	if (!canonical(c, lin))
		cpu_raise(c, EXC_GP, 0);
	struct mmu_xlat x;
	uint32_t err = mmu_walk(c, lin, acc, (int)idx, &x);
	if (err)
		raise_pf(c, lin, err);
	tlb_entry_clear(e);
	e->tag = page;
	e->phys = x.phys & ~0xfffull;
	e->prot = x.prot;
	e->global = x.global;
	if (x.large)
		tlb_note_large(c, lin, x.size);
	/* Fast-path tags for plain RAM only. */
	bool code = false;
	uint8_t *host = c->env->phys_ram(c, e->phys, false, &code);
	/* A page holding an armed data breakpoint: every access goes through
	 * mmu_mem_slow, which reports it (debug.c). */
	if (host && unlikely(c->db_data) && cpu_dbg_page(c, page))
		host = NULL;
	if (host) {
		e->addend = (uintptr_t)host - (uintptr_t)page;
		if (x.prot & TLB_PROT_R)
			e->tag_r = page;
		if (x.prot & TLB_PROT_X)
			e->tag_x = page;
		if ((x.prot & TLB_PROT_W) && !code && c->env->phys_ram(c, e->phys, true, &code) == host)
			e->tag_w = page;
	}
	*ep = e;
	return e->phys | (lin & 0xfff);
}

/* One piece (within a page) of a slow access, described for the commit. */
static uint8_t *piece(struct cpu *c, uint64_t phys, unsigned len, int write, bool *is_ram)
{
	bool code = false;
	uint8_t *host = c->env->phys_ram(c, phys, write != 0, &code);
	if (host && write && code && c->env->code_write)
		c->env->code_write(c, phys, len);
	*is_ram = host != NULL;
	return host;
}

static void io_read_bytes(struct cpu *c, uint64_t phys, uint8_t *dst, unsigned len)
{
	while (len) {
		unsigned n = len >= 8 && !(phys & 7) ? 8 : len >= 4 && !(phys & 3) ? 4 : len >= 2 && !(phys & 1) ? 2 : 1;
		uint64_t v = c->env->phys_io_read(c, phys, n);
		memcpy(dst, &v, n);
		dst += n;
		phys += n;
		len -= n;
	}
}

static void io_write_bytes(struct cpu *c, uint64_t phys, const uint8_t *src, unsigned len)
{
	while (len) {
		unsigned n = len >= 8 && !(phys & 7) ? 8 : len >= 4 && !(phys & 3) ? 4 : len >= 2 && !(phys & 1) ? 2 : 1;
		uint64_t v = 0;
		memcpy(&v, src, n);
		c->env->phys_io_write(c, phys, v, n);
		src += n;
		phys += n;
		len -= n;
	}
}

/* cpu_env_ops.mem_slow for system emulation. */
void *mmu_mem_slow(struct cpu *c, uint64_t lin, unsigned size, int write)
{
	int acc = write ? ACC_W : ACC_R;
	unsigned off = (unsigned)(lin & 0xfff);
	struct tlb_entry *e;
	if (c->bounce_pending)
		cpu_mem_commit(c); /* a caller forgot cpu_mem_done: keep order */
	if (unlikely(c->db_data) && !c->implicit_sv)
		cpu_dbg_access(c, lin, size, write);
	if (unlikely(c->mmu_idx == MMU_EDGE) && !c->implicit_sv)
		cpu_seg_edge_access(c, lin, size);
	if (off + size <= 0x1000) {
		uint64_t phys = translate(c, lin, acc, &e);
		bool ram;
		uint8_t *host = piece(c, phys, size, write, &ram);
		if (ram)
			return host;
		if (size > sizeof(c->bounce))
			cpu_raise(c, EXC_GP, 0); /* huge access to MMIO: not supported */
		if (write != 1)
			io_read_bytes(c, phys, c->bounce, size);
		if (write) {
			c->bounce_phys[0] = phys;
			c->bounce_len[0] = size;
			c->bounce_len[1] = 0;
			c->bounce_pending = true;
		}
		return c->bounce;
	}
	/* Page-crossing: translate both pages before touching anything, so a
	 * fault on the second leaves no partial effect. */
	if (size > sizeof(c->bounce))
		cpu_raise(c, EXC_GP, 0);
	unsigned n0 = 0x1000 - off, n1 = size - n0;
	uint64_t p0 = translate(c, lin, acc, &e);
	uint64_t p1 = translate(c, (lin + n0) & c->lin_mask, acc, &e);
	if (write != 1) {
		bool ram;
		uint8_t *h = piece(c, p0, n0, 0, &ram);
		if (ram)
			memcpy(c->bounce, h, n0);
		else
			io_read_bytes(c, p0, c->bounce, n0);
		h = piece(c, p1, n1, 0, &ram);
		if (ram)
			memcpy(c->bounce + n0, h, n1);
		else
			io_read_bytes(c, p1, c->bounce + n0, n1);
	}
	if (write) {
		c->bounce_phys[0] = p0;
		c->bounce_len[0] = n0;
		c->bounce_phys[1] = p1;
		c->bounce_len[1] = n1;
		c->bounce_pending = true;
	}
	return c->bounce;
}

void cpu_mem_commit(struct cpu *c)
{
	if (!c->bounce_pending)
		return;
	c->bounce_pending = false;
	unsigned done = 0;
	for (int i = 0; i < 2; i++) {
		unsigned len = c->bounce_len[i];
		if (!len)
			continue;
		bool ram;
		uint8_t *h = piece(c, c->bounce_phys[i], len, 1, &ram);
		if (ram)
			memcpy(h, c->bounce + done, len);
		else
			io_write_bytes(c, c->bounce_phys[i], c->bounce + done, len);
		done += len;
	}
}

/* Implicit supervisor accesses: the walk runs with supervisor rights
 * whatever the CPL.  A fault leaves implicit_sv set; cpu_exec's exception
 * path clears it. */
uint64_t cpu_ld_sys(struct cpu *c, uint64_t lin, unsigned size)
{
	if (c->mem_direct)
		return ld_sz(c, lin, size);
	bool old = c->implicit_sv;
	uint8_t oidx = c->mmu_idx;
	c->implicit_sv = true;
	c->mmu_idx = (uint8_t)cpu_mmu_index_sys(c);
	uint64_t v = ld_sz(c, lin, size);
	c->implicit_sv = old;
	c->mmu_idx = oidx;
	return v;
}

void cpu_st_sys(struct cpu *c, uint64_t lin, uint64_t v, unsigned size)
{
	if (c->mem_direct) {
		st_sz(c, lin, v, size);
		return;
	}
	bool old = c->implicit_sv;
	uint8_t oidx = c->mmu_idx;
	c->implicit_sv = true;
	c->mmu_idx = (uint8_t)cpu_mmu_index_sys(c);
	st_sz(c, lin, v, size);
	c->implicit_sv = old;
	c->mmu_idx = oidx;
}

/* Code fetch: host pointer and physical address of the page at lin
 * (page-aligned), or NULL when it cannot be fetched (no exception raised:
 * the TB gets a fetch-fault instruction, see mmu_fetch_fault). */
const uint8_t *mmu_code_page(struct cpu *c, uint64_t lin, uint64_t *phys)
{
	unsigned idx = cpu_tlb_idx(c);
	struct tlb_entry *e = tlb_slot(c, idx, lin);
	uint64_t page = lin & ~0xfffull;
	if (e->tag_x == page) {
		*phys = e->phys;
		return (const uint8_t *)(e->addend + (uintptr_t)page);
	}
	if (!canonical(c, lin))
		return NULL;
	struct mmu_xlat x;
	if (mmu_walk(c, lin, ACC_X, (int)idx, &x))
		return NULL;
	bool code;
	uint8_t *host = c->env->phys_ram(c, x.phys & ~0xfffull, false, &code);
	if (!host)
		return NULL;
	tlb_entry_clear(e);
	e->tag = page;
	e->phys = x.phys & ~0xfffull;
	e->prot = x.prot;
	e->global = x.global;
	if (x.large)
		tlb_note_large(c, lin, x.size);
	e->addend = (uintptr_t)host - (uintptr_t)page;
	if ((x.prot & TLB_PROT_R) && !(unlikely(c->db_data) && cpu_dbg_page(c, page)))
		e->tag_r = page;
	e->tag_x = page;
	*phys = e->phys;
	return host;
}

/* Raise the exception an instruction fetch at lin gets (#GP for a
 * non-canonical address, else #PF with the walk's error code).  If the walk
 * now succeeds (the page was mapped meanwhile, or it is MMIO), returns. */
void mmu_fetch_fault(struct cpu *c, uint64_t lin)
{
	if (!canonical(c, lin))
		cpu_raise(c, EXC_GP, 0);
	struct mmu_xlat x;
	uint32_t err = mmu_walk(c, lin, ACC_X, (int)cpu_tlb_idx(c), &x);
	if (err)
		raise_pf(c, lin, err);
}

/* Debug/monitor access: translate without side effects (no A/D updates is
 * not guaranteed: uses a normal read walk).  Returns 0 and *phys, or -1. */
int mmu_debug_translate(struct cpu *c, uint64_t lin, uint64_t *phys)
{
	struct mmu_xlat x;
	if (!canonical(c, lin))
		return -1;
	if (mmu_walk(c, lin, ACC_R, false, &x))
		return -1;
	*phys = x.phys;
	return 0;
}
