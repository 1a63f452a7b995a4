/*
 * Translation blocks and the threaded-code execution loop.
 *
 * TBs are shared by every vCPU of a process (user-mode threads) through
 * struct tb_cache, a hash table protected by a mutex that only the slow
 * path takes.  Each vCPU has a direct-mapped jump cache that is read
 * without locking; invalidated TBs are flagged, unlinked from the hash and
 * kept on a retire list (another thread may still be running one, and
 * other TBs' code may jump into it), so a stale pointer is always safe to
 * inspect.
 *
 * Memory is reclaimed a whole generation at a time.  When the code budget
 * is used up (tbgen_full) or the retired TBs grow past RETIRED_LIMIT, the
 * next vCPU at the top of its loop flushes: every TB is retired, the
 * retired list becomes the graveyard, the code chunks are set aside and
 * the epoch advances.  A vCPU holds pointers to TBs only inside cpu_exec
 * (prev, slot, the TB it runs, its jump cache); it drops them all when it
 * sees a new epoch at a quiescent point (entering cpu_exec, the top of its
 * loop).  inside[e & 1] counts the vCPUs in cpu_exec that last quiesced in
 * epoch e; when the previous epoch's count is zero, no vCPU can reach the
 * graveyard or the old code, and both are freed.  One flush is in grace at
 * a time, so two counters suffice.
 */
#include "cpu.h"
#include "mmu.h"
#include "ops.h"
#include "tbgen.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#define TB_HASH_BITS 16
#define TB_HASH_SIZE (1u << TB_HASH_BITS)
#define PAGE_HASH_BITS 12
#define PAGE_HASH_SIZE (1u << PAGE_HASH_BITS)
#define CODE_PAGE 4096ull

struct tb_cache {
	pthread_mutex_t lock;
	struct tb *hash[TB_HASH_SIZE];
	struct tb *pages[PAGE_HASH_SIZE]; /* chains through page_next[] */
	struct tb *retired;               /* chains through hash_next */
	size_t count;
	volatile unsigned generation;     /* bumped on every invalidation */
	struct tbgen *gen;
	size_t retired_bytes;             /* of the retired list */
	size_t retired_limit;
	unsigned epoch;                   /* advanced by each flush (atomic) */
	unsigned inside[2];               /* vCPUs in cpu_exec, by epoch parity (atomic) */
	struct tb *grave;                 /* TBs of the previous epoch, awaiting grace */
	int grace_pending;                /* grave and old code not yet freed */
	int flush_wanted;                 /* (atomic) */
	unsigned long flushes, reclaims;  /* statistics (LEMU_TBSTAT) */
};

/* A flush also comes when retired TBs (self-modifying or remapped code)
 * hold this much memory. */
#define RETIRED_LIMIT (64u << 20)

__thread struct cpu *cpu_current;

struct tb_cache *tb_cache_new(void)
{
	struct tb_cache *t = calloc(1, sizeof(*t));
	if (t) {
		pthread_mutex_init(&t->lock, NULL);
		if (!getenv("LEMU_NO_TBGEN"))
			t->gen = tbgen_new();
		t->retired_limit = RETIRED_LIMIT;
		const char *b = getenv("LEMU_TBGEN_BUDGET_KB");
		if (b && atol(b) >= 64 && ((size_t)atol(b) << 10) < RETIRED_LIMIT)
			t->retired_limit = (size_t)atol(b) << 10;
	}
	return t;
}

static void free_chain(struct tb *tb)
{
	while (tb) {
		struct tb *n = tb->hash_next;
		free(tb);
		tb = n;
	}
}

void tb_cache_report(struct tb_cache *t)
{
	if (!getenv("LEMU_TBSTAT"))
		return;
	size_t mapped = 0, used = 0;
	if (t->gen)
		tbgen_stats(t->gen, &mapped, &used);
	pthread_mutex_lock(&t->lock);
	fprintf(stderr, "lemu: tb: %zu live, %lu flushes, %lu reclaims, code mapped %zu KiB, in use %zu KiB\n",
	        t->count, t->flushes, t->reclaims, mapped >> 10, used >> 10);
	pthread_mutex_unlock(&t->lock);
}

void tb_cache_free(struct tb_cache *t)
{
	if (!t)
		return;
	tb_cache_report(t);
	for (unsigned i = 0; i < TB_HASH_SIZE; i++)
		free_chain(t->hash[i]);
	free_chain(t->retired);
	free_chain(t->grave);
	tbgen_free(t->gen);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static inline unsigned tb_hash(uint64_t pc, uint32_t flags)
{
	uint64_t h = (pc ^ (pc >> TB_HASH_BITS) ^ ((uint64_t)flags << 7)) * 0x9e3779b97f4a7c15ull;
	return (unsigned)(h >> (64 - TB_HASH_BITS));
}
static inline unsigned page_hash(uint64_t page)
{
	return (unsigned)(((page >> 12) * 0x9e3779b97f4a7c15ull) >> (64 - PAGE_HASH_BITS));
}
static inline unsigned jc_hash(uint64_t pc)
{
	return (unsigned)((pc ^ (pc >> JMP_CACHE_BITS)) & (JMP_CACHE_SIZE - 1));
}

/* A TB sits in the chain of page_hash(page[0]) through page_next[0] and,
 * when it spans two pages hashing differently, in that of page[1] through
 * page_next[1]. */
static inline int tb_has_slot1(const struct tb *tb)
{
	return tb->page[1] != ~0ull && page_hash(tb->page[1]) != page_hash(tb->page[0]);
}
static inline int tb_slot_for_bucket(const struct tb *tb, unsigned bucket)
{
	return page_hash(tb->page[0]) == bucket ? 0 : 1;
}

static void page_unlink(struct tb_cache *t, struct tb *tb, int k)
{
	unsigned bucket = page_hash(tb->page[k]);
	struct tb **pp = &t->pages[bucket];
	while (*pp) {
		struct tb *x = *pp;
		int xk = tb_slot_for_bucket(x, bucket);
		if (x == tb) {
			*pp = x->page_next[xk];
			return;
		}
		pp = &x->page_next[xk];
	}
}

static inline size_t tb_bytes(const struct tb *tb)
{
	return sizeof(*tb) + tb->n * sizeof(struct insn);
}

/* Account a TB just put on the retired list (lock held). */
static void note_retired(struct tb_cache *t, const struct tb *tb)
{
	t->retired_bytes += tb_bytes(tb);
	if (t->retired_bytes > t->retired_limit)
		__atomic_store_n(&t->flush_wanted, 1, __ATOMIC_RELAXED);
}

static void tb_retire(struct tb_cache *t, struct tb *tb)
{
	tb->invalid = 1;
	struct tb **pp = &t->hash[tb_hash(tb->pc, tb->flags)];
	while (*pp && *pp != tb)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = tb->hash_next;
	page_unlink(t, tb, 0);
	if (tb_has_slot1(tb))
		page_unlink(t, tb, 1);
	tb->hash_next = t->retired;
	t->retired = tb;
	t->count--;
	note_retired(t, tb);
}

int tb_invalidate_range(struct tb_cache *t, uint64_t start, uint64_t len)
{
	int n = 0;
	if (!len)
		return 0;
	pthread_mutex_lock(&t->lock);
	uint64_t first = start & ~(CODE_PAGE - 1), last = (start + len - 1) & ~(CODE_PAGE - 1);
	for (uint64_t pg = first;; pg += CODE_PAGE) {
		unsigned bucket = page_hash(pg);
		struct tb *tb = t->pages[bucket];
		while (tb) {
			struct tb *next = tb->page_next[tb_slot_for_bucket(tb, bucket)];
			if (tb->page[0] == pg || tb->page[1] == pg) {
				tb_retire(t, tb);
				n++;
			}
			tb = next;
		}
		if (pg == last)
			break;
	}
	if (n)
		__atomic_add_fetch(&t->generation, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&t->lock);
	return n;
}

/* Retire every cached TB (lock held). */
static void retire_all(struct tb_cache *t)
{
	for (unsigned i = 0; i < TB_HASH_SIZE; i++) {
		struct tb *tb = t->hash[i];
		while (tb) {
			struct tb *n = tb->hash_next;
			tb->invalid = 1;
			tb->hash_next = t->retired;
			t->retired = tb;
			t->retired_bytes += tb_bytes(tb);
			tb = n;
		}
		t->hash[i] = NULL;
	}
	memset(t->pages, 0, sizeof(t->pages));
	t->count = 0;
}

/* Free the graveyard and the old code once no vCPU is still in the epoch
 * before the current one (lock held). */
static void try_reclaim(struct tb_cache *t)
{
	unsigned e = __atomic_load_n(&t->epoch, __ATOMIC_SEQ_CST);
	if (!t->grace_pending || __atomic_load_n(&t->inside[(e - 1) & 1], __ATOMIC_SEQ_CST))
		return;
	free_chain(t->grave);
	t->grave = NULL;
	tbgen_release_code(t->gen);
	t->grace_pending = 0;
	t->reclaims++;
}

/* Flush every TB and start a new epoch whose memory can be reclaimed
 * (lock held).  Without a reclaimable epoch (the previous one is still in
 * grace), the TBs are only retired. */
static void flush_locked(struct tb_cache *t)
{
	retire_all(t);
	try_reclaim(t);
	if (!t->grace_pending && tbgen_retire_code(t->gen)) {
		t->grave = t->retired;
		t->retired = NULL;
		t->retired_bytes = 0;
		t->grace_pending = 1;
		__atomic_store_n(&t->flush_wanted, 0, __ATOMIC_RELAXED);
		/* the code is set aside before the generation moves: a TB
		 * decoded under the new generation has its code in new chunks */
		__atomic_add_fetch(&t->epoch, 1, __ATOMIC_SEQ_CST);
		t->flushes++;
	}
	__atomic_add_fetch(&t->generation, 1, __ATOMIC_SEQ_CST);
}

void tb_flush(struct tb_cache *t)
{
	pthread_mutex_lock(&t->lock);
	flush_locked(t);
	pthread_mutex_unlock(&t->lock);
}

/* Entering cpu_exec: count this vCPU in the current epoch, and forget a
 * jump cache from an earlier one. */
static void epoch_enter(struct tb_cache *t, struct cpu *c)
{
	unsigned e;
	for (;;) {
		e = __atomic_load_n(&t->epoch, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&t->inside[e & 1], 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&t->epoch, __ATOMIC_SEQ_CST) == e)
			break;
		__atomic_sub_fetch(&t->inside[e & 1], 1, __ATOMIC_SEQ_CST);
	}
	if (c->tb_epoch != e) {
		memset(c->jmp_cache, 0, sizeof(c->jmp_cache));
		c->tb_epoch = e;
	}
}

static void epoch_leave(struct tb_cache *t, struct cpu *c)
{
	__atomic_sub_fetch(&t->inside[c->tb_epoch & 1], 1, __ATOMIC_SEQ_CST);
}

/* A quiescent point inside cpu_exec, the caller holding no TB pointer:
 * move to epoch e (the current one; it cannot advance again before this
 * vCPU has left the previous one). */
static void epoch_move(struct tb_cache *t, struct cpu *c, unsigned e)
{
	memset(c->jmp_cache, 0, sizeof(c->jmp_cache));
	__atomic_add_fetch(&t->inside[e & 1], 1, __ATOMIC_SEQ_CST);
	__atomic_sub_fetch(&t->inside[c->tb_epoch & 1], 1, __ATOMIC_SEQ_CST);
	c->tb_epoch = e;
	if (__atomic_load_n(&t->inside[(e - 1) & 1], __ATOMIC_SEQ_CST) == 0) {
		pthread_mutex_lock(&t->lock);
		try_reclaim(t);
		pthread_mutex_unlock(&t->lock);
	}
}

/* --- exceptions --------------------------------------------------- */

void cpu_exit_now(struct cpu *c, int reason)
{
	c->exit_reason = reason;
	siglongjmp(c->jmp_env, 1);
}

void cpu_raise(struct cpu *c, int vector, uint32_t error)
{
	if (c->cur)
		c->rip = c->cur->rip;
	c->exc_vector = vector;
	c->exc_error = error;
	c->event_kind = EV_EXC;
	cpu_exit_now(c, EXIT_EXCEPTION);
}

void cpu_raise_pf(struct cpu *c, uint64_t addr, int write)
{
	c->exc_addr = addr;
	c->exc_write = write;
	cpu_raise(c, EXC_PF, write ? 2 : 0);
}

/* Handler installed for an instruction whose bytes could not be fetched:
 * the fault address is in imm. */
static void op_fetch_fault(struct cpu *c, const struct insn *in)
{
	if (c->sysmode) {
		mmu_fetch_fault(c, in->imm);
		/* Fetchable now (mapped meanwhile) or not RAM: MMIO execution is
		 * not supported; report it as a fetch #PF-free #GP... only if
		 * the walk succeeds, which means the page is not RAM. */
		cpu_raise(c, EXC_GP, 0);
	}
	cpu_raise_pf(c, in->imm, 0);
}

/* Host pointer to the code page at linear `page` and its TB key (the
 * physical page in system mode, the linear one in user mode). */
static const uint8_t *code_page(struct cpu *c, uint64_t page, uint64_t *key)
{
	if (c->sysmode) {
		const uint8_t *h = mmu_code_page(c, page, key);
		if (h && c->env->code_page_used)
			c->env->code_page_used(c, *key);
		return h;
	}
	*key = page;
	return c->env->code_page(c, page);
}

/* --- TB construction ---------------------------------------------- */

/* Decode a TB at pc.  Called with the cache lock not held. */
static struct tb *tb_build(struct cpu *c, uint64_t pc, uint32_t flags)
{
	struct insn buf[TB_MAX_INSNS];
	uint8_t window[16];
	unsigned n = 0;
	uint64_t cur = pc;
	/* Code is fetched by linear address: CS base + RIP (real mode and
	 * segmented protected mode have non-zero CS bases). */
	uint64_t csb = c->seg_base[SEG_CS];
	uint64_t lin = (csb + pc) & c->lin_mask;
	uint64_t page0 = lin & ~(CODE_PAGE - 1), page1 = ~0ull;
	uint64_t key0 = ~0ull, key1 = ~0ull;
	int fetch_fault = 0;
	const uint8_t *hp0 = code_page(c, page0, &key0);

	if (!hp0) {
		memset(&buf[0], 0, sizeof(buf[0]));
		buf[0].fn = op_fetch_fault;
		buf[0].rip = pc;
		buf[0].next_rip = pc;
		buf[0].imm = lin;
		n = 1;
		goto done;
	}
	int term = 0;
	/* Debug mode (debug.c): one instruction per TB. */
	unsigned max_insns = (flags & TB_F_DEBUG) ? 1 : TB_MAX_INSNS;
	while (n < max_insns) {
		int ends = 0;
		size_t off = (size_t)(((csb + cur) & c->lin_mask) - page0);
		if (off >= CODE_PAGE)
			break; /* next instruction starts on the next page */
		size_t avail = CODE_PAGE - off;
		const uint8_t *code = hp0 + off;
		int len;
		if (avail < 15) {
			/* Instruction may straddle the page end. */
			memcpy(window, code, avail);
			size_t have = avail;
			const uint8_t *hp1 = code_page(c, (page0 + CODE_PAGE) & c->lin_mask, &key1);
			if (hp1) {
				memcpy(window + avail, hp1, 15 - avail);
				have = 15;
			}
			len = x86_decode(c, cur, window, have, flags, &buf[n], &ends);
			if (len < 0) {
				if (n > 0)
					break; /* let the next TB take the fault */
				memset(&buf[0], 0, sizeof(buf[0]));
				buf[0].fn = op_fetch_fault;
				buf[0].rip = cur;
				buf[0].next_rip = cur;
				buf[0].imm = page0 + CODE_PAGE;
				n = 1;
				fetch_fault = 1;
				break;
			}
			if ((size_t)len > avail) {
				if (n > 0)
					break; /* keep a straddling insn first in its TB */
				page1 = page0 + CODE_PAGE;
				n++;
				cur += (unsigned)len;
				term = ends;
				break;
			}
		} else {
			len = x86_decode(c, cur, code, avail, flags, &buf[n], &ends);
			if (len < 0)
				break;
		}
		n++;
		cur += (unsigned)len;
		if (ends) {
			term = 1;
			break;
		}
	}
	if (0) {
done:
		term = 1;
	}
	insn_flags_liveness(buf, n);
	struct tb *tb = malloc(sizeof(*tb) + n * sizeof(struct insn));
	if (!tb)
		abort();
	memset(tb, 0, sizeof(*tb));
	tb->pc = pc;
	tb->cs_base = csb;
	tb->flags = flags;
	tb->n = n;
	tb->term = (uint32_t)term;
	tb->page[0] = key0;
	tb->page[1] = page1 == ~0ull ? ~0ull : key1;
	if (!hp0 || fetch_fault)
		tb->invalid = 1; /* a fetch fault: never cached (the page may be mapped next) */
	tb->end_pc = n ? buf[n - 1].next_rip : pc;
	memcpy(tb->insns, buf, n * sizeof(struct insn));
	return tb;
}

/* System mode: the physical pages a TB at pc would come from now (~0 when
 * unmapped), to match cached TBs against the current address space. */
static int tb_phys_match(struct cpu *c, const struct tb *tb, uint64_t phys0)
{
	if (!c->sysmode)
		return 1;
	if (tb->page[0] != phys0)
		return 0;
	if (tb->page[1] == ~0ull)
		return 1;
	uint64_t k1;
	uint64_t lin = (tb->cs_base + tb->pc) & c->lin_mask;
	return mmu_code_page(c, ((lin & ~(CODE_PAGE - 1)) + CODE_PAGE) & c->lin_mask, &k1) && k1 == tb->page[1];
}

static struct tb *tb_find_slow(struct cpu *c, uint64_t pc, uint32_t flags)
{
	struct tb_cache *t = c->tbc;
	unsigned h = tb_hash(pc, flags);
	uint64_t phys0 = ~0ull;
	uint64_t csb = c->seg_base[SEG_CS];
	if (c->sysmode && !mmu_code_page(c, ((csb + pc) & c->lin_mask) & ~(CODE_PAGE - 1), &phys0)) {
		/* Not fetchable: a TB that raises the fault, never cached. */
		struct tb *tb = tb_build(c, pc, flags);
		pthread_mutex_lock(&t->lock);
		tb->hash_next = t->retired;
		t->retired = tb;
		note_retired(t, tb);
		pthread_mutex_unlock(&t->lock);
		return tb;
	}
	pthread_mutex_lock(&t->lock);
	for (struct tb *tb = t->hash[h]; tb; tb = tb->hash_next)
		if (tb->pc == pc && tb->flags == flags && tb->cs_base == csb && tb_phys_match(c, tb, phys0)) {
			pthread_mutex_unlock(&t->lock);
			return tb;
		}
	unsigned gen = t->generation;
	pthread_mutex_unlock(&t->lock);

	struct tb *tb = tb_build(c, pc, flags);
	if (!(flags & TB_F_DEBUG)) /* debug mode interprets (see cpu_dbg_before) */
		tb->code = tbgen_emit(t->gen, tb, c);
	if (unlikely(!tb->code) && tbgen_full(t->gen))
		__atomic_store_n(&t->flush_wanted, 1, __ATOMIC_RELAXED);
	if (unlikely(c->log_flags & CPU_LOG_IN_ASM))
		cpu_log_tb_in_asm(c, tb);

	pthread_mutex_lock(&t->lock);
	/* Another thread may have built the same TB meanwhile: use theirs
	 * (our generated code, if any, is simply never run). */
	for (struct tb *x = t->hash[h]; x; x = x->hash_next)
		if (x->pc == pc && x->flags == flags && x->cs_base == csb && x->page[0] == tb->page[0] &&
		    x->page[1] == tb->page[1]) {
			pthread_mutex_unlock(&t->lock);
			free(tb);
			return x;
		}
	if (t->generation != gen || tb->invalid) {
		/* Code may have been modified while we decoded it: run this
		 * TB once (it was decoded from the bytes as they were when
		 * execution reached them) but do not cache it. */
		pthread_mutex_unlock(&t->lock);
		tb->invalid = 1;
		pthread_mutex_lock(&t->lock);
		tb->hash_next = t->retired;
		t->retired = tb;
		note_retired(t, tb);
		pthread_mutex_unlock(&t->lock);
		return tb;
	}
	tb->hash_next = t->hash[h];
	t->hash[h] = tb;
	unsigned ph = page_hash(tb->page[0]);
	tb->page_next[0] = t->pages[ph];
	t->pages[ph] = tb;
	if (tb_has_slot1(tb)) {
		ph = page_hash(tb->page[1]);
		tb->page_next[1] = t->pages[ph];
		t->pages[ph] = tb;
	}
	t->count++;
	pthread_mutex_unlock(&t->lock);
	return tb;
}

/* --- the execution loop ------------------------------------------- */

/* System mode: deliver the event in c->exc_vector/event_kind through the
 * guest's IDT (intr.c).  Returns 0 to continue, or an exit reason.  This
 * weak default (no system CPU linked) hands the exception to the caller. */
__attribute__((weak)) int cpu_sys_event(struct cpu *c)
{
	(void)c;
	return EXIT_EXCEPTION;
}

/* Chaining TB a -> b without a lookup is only safe in system mode when b
 * lies in the same linear page as a (so that it is mapped by the same,
 * already verified translation) and does not span pages. */
static inline int chain_ok(struct cpu *c, const struct tb *a, const struct tb *b)
{
	if (!c->sysmode)
		return 1;
	return (((a->cs_base + a->pc) ^ (b->cs_base + b->pc)) & ~(CODE_PAGE - 1)) == 0 && b->page[1] == ~0ull &&
	       a->page[1] == ~0ull;
}

static int cpu_exec_tbs(struct cpu *c_arg);

int cpu_exec(struct cpu *c)
{
	struct tb_cache *t = c->tbc;
	epoch_enter(t, c);
	int r = cpu_exec_tbs(c);
	epoch_leave(t, c);
	return r;
}

static int cpu_exec_tbs(struct cpu *c_arg)
{
	cpu_current = c_arg;
	if (sigsetjmp(c_arg->jmp_env, 0)) {
		/* An exception, exit or restart unwound to here. */
		struct cpu *c = cpu_current;
		c->cur = NULL;
		int r = c->exit_reason;
		c->exit_reason = 0;
		if (c->sysmode) {
			c->implicit_sv = false;
			cpu_mmu_update(c);
			c->bounce_pending = false;
			if (r == EXIT_EXCEPTION) {
				r = cpu_sys_event(c);
				if (r == EXIT_NONE && c->exit_request) {
					c->exit_request = 0;
					return EXIT_REQUEST;
				}
			}
		}
		if (r != EXIT_NONE)
			return r;
		/* EXIT_NONE: continue at c->rip (self-modifying code, or an
		 * exception delivered in the guest). */
	} else if (c_arg->sysmode && c_arg->inject_vector >= 0) {
		/* An external interrupt or NMI chosen by the vCPU loop. */
		struct cpu *c = c_arg;
		c->exc_vector = c->inject_vector;
		c->event_kind = c->inject_kind;
		c->exc_error = 0;
		c->event_next_rip = c->rip;
		c->inject_vector = -1;
		int r = cpu_sys_event(c);
		if (r != EXIT_NONE)
			return r;
	}
	struct cpu *c = cpu_current;
	struct tb *prev = NULL;
	uint8_t *slot = NULL;  /* chainable exit the last TB routine left by */
	uint32_t slot_flags = 0;
	struct tb_cache *tbc = c->tbc;
	for (;;) {
		if (unlikely(c->exit_request)) {
			c->exit_request = 0;
			return EXIT_REQUEST;
		}
		/* a quiescent point: prev and slot are the only TB pointers held */
		if (unlikely(__atomic_load_n(&tbc->flush_wanted, __ATOMIC_RELAXED))) {
			pthread_mutex_lock(&tbc->lock);
			if (tbc->flush_wanted)
				flush_locked(tbc);
			pthread_mutex_unlock(&tbc->lock);
		}
		unsigned e = __atomic_load_n(&tbc->epoch, __ATOMIC_ACQUIRE);
		if (unlikely(e != c->tb_epoch)) {
			prev = NULL;
			slot = NULL;
			epoch_move(tbc, c, e);
		}
		uint64_t pc = c->rip;
		uint32_t flags = c->tb_flags;
		struct tb *tb;
		uint64_t csb = c->seg_base[SEG_CS];
		if (prev && (tb = prev->link[0]) && tb->pc == pc && tb->flags == flags && tb->cs_base == csb &&
		    !tb->invalid) {
			/* chained */
		} else {
			tb = c->jmp_cache[jc_hash(pc)];
			if (!tb || tb->pc != pc || tb->flags != flags || tb->cs_base != csb || tb->invalid) {
				tb = tb_find_slow(c, pc, flags);
				c->jmp_cache[jc_hash(pc)] = tb;
			}
			if (prev && !prev->invalid && chain_ok(c, prev, tb))
				prev->link[0] = tb;
		}
		if (slot) {
			/* link the exit to this TB: later runs jump straight here */
			if (tb->code && tb->flags == slot_flags && !tb->invalid && !(c->log_flags & (CPU_LOG_EXEC | CPU_LOG_CPU)) &&
			    chain_ok(c, prev, tb))
				tbgen_link(slot, tb);
			slot = NULL;
		}
		if (unlikely(c->log_flags & (CPU_LOG_EXEC | CPU_LOG_CPU)))
			cpu_log_tb_exec(c, tb);
		uint32_t dbg_eflags = 0;
		if (unlikely(flags & TB_F_DEBUG)) {
			cpu_dbg_before(c); /* may raise an instruction-breakpoint #DB */
			dbg_eflags = c->eflags;
		}
		c->rip = tb->end_pc;
		if (likely(tb->code != NULL)) {
			c->last_exit = NULL;
			tb->code(c);
			slot = c->last_exit;
			slot_flags = tb->flags;
		} else {
			const struct insn *in = tb->insns, *end = in + tb->n;
			do {
				c->cur = in;
				in->fn(c, in);
				if (unlikely(c->tb_break) && in + 1 < end) {
					c->tb_break = 0;
					c->rip = in->next_rip;
					break;
				}
			} while (++in < end);
		}
		c->cur = NULL;
		c->tb_break = 0;
		if (unlikely(c->exit_reason)) {
			int r = c->exit_reason;
			c->exit_reason = 0;
			return r;
		}
		if (unlikely(flags & TB_F_DEBUG))
			cpu_dbg_after(c, dbg_eflags); /* may raise a single-step / data #DB */
		prev = tb;
	}
}

/* Unwind to cpu_exec and re-execute the current instruction (used after
 * self-modifying code invalidated the running TB). */
__attribute__((noreturn)) void cpu_restart_insn(struct cpu *c)
{
	if (c->cur)
		c->rip = c->cur->rip;
	c->exit_reason = EXIT_NONE;
	siglongjmp(c->jmp_env, 1);
}

void cpu_host_fault(uintptr_t host_addr, int write)
{
	struct cpu *c = cpu_current;
	if (!c || !c->cur)
		return;
	cpu_raise_pf(c, (uint64_t)(host_addr - c->guest_base), write);
}
