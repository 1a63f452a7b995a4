/*
 * Guest address space: mmap/munmap/mprotect/mremap/brk/shmat on top of the
 * host kernel, page bookkeeping in p->map, and self-modifying-code
 * detection (code pages are write-protected on the host; the SIGSEGV
 * handler calls user_smc_fault()).
 */
#include "user.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* Lowest address reserved-mode placement uses (vm.mmap_min_addr). */
#define RESERVED_MIN 0x10000ull

/* The host never executes guest pages (they are interpreted), so PROT_EXEC
 * is only bookkeeping; dropping it also lets noexec mounts work. */
static int host_prot(int prot)
{
	return prot & (PROT_READ | PROT_WRITE);
}

#define RESERVE_GUARD (64u << 10)

int user_mem_init(struct user_proc *p)
{
	vma_map_init(&p->map);
	if (!p->reserved)
		return 0;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	void *hint = NULL;
	if (p->guest_base) {
		hint = (void *)p->guest_base;
		flags |= MAP_FIXED_NOREPLACE;
	}
	/* A guard above the reservation: a guest access that runs past its
	 * end (a 32-bit address wrapping at 4 GiB, an FXSAVE at the top)
	 * faults there instead of reaching host memory. */
	void *r = mmap(hint, p->reserve + RESERVE_GUARD, PROT_NONE, flags, -1, 0);
	if (r == MAP_FAILED)
		return -errno;
	if (hint && r != hint) {
		munmap(r, p->reserve + RESERVE_GUARD);
		return -EEXIST;
	}
	p->guest_base = (uintptr_t)r;
	if (!p->mmap_base)
		p->mmap_base = p->abi32 ? 0x40000000ull : p->reserve / 4;
	return 0;
}

/* Give back a range of the reservation (reserved mode) or the host. */
static void mem_release(struct user_proc *p, uint64_t a, uint64_t len)
{
	if (p->reserved)
		mmap(g2h(p, a), len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		     -1, 0);
	else
		munmap(g2h(p, a), len);
}

/* Forget translated code in [a, a+len): called with p->lock held when the
 * mapping there changes. */
static void mem_forget_code(struct user_proc *p, uint64_t a, uint64_t len)
{
	if (!vma_map_any_exec(&p->map, a, a + len))
		return;
	if (p->code.used) {
		if (len / TARGET_PAGE < p->code.cap) {
			for (uint64_t pg = a; pg < a + len; pg += TARGET_PAGE)
				page_set_del(&p->code, pg);
		} else {
			for (size_t i = 0; i < p->code.cap; i++) {
				uint64_t k = p->code.slot[i];
				if (k && k != ~0ull && (k - 1) * TARGET_PAGE >= a &&
				    (k - 1) * TARGET_PAGE < a + len)
					p->code.slot[i] = ~0ull;
			}
		}
	}
	if (p->tbc)
		tb_invalidate_range(p->tbc, a, len);
}

static void mem_record(struct user_proc *p, uint64_t a, uint64_t len, int prot, int flags, int fd,
		       uint64_t off)
{
	char path[4096];
	const char *name = NULL;
	uint64_t dev = 0, ino = 0;
	int vf = 0;
	if ((flags & MAP_TYPE) == MAP_SHARED || (flags & MAP_TYPE) == MAP_SHARED_VALIDATE)
		vf |= VMA_SHARED;
	if (prot & PROT_EXEC)
		vf |= VMA_EVER_EXEC;
	if (!(flags & MAP_ANONYMOUS) && fd >= 0 && !(vf & VMA_SHARED) && (prot & PROT_WRITE))
		vf |= VMA_COW;
	if (!(flags & MAP_ANONYMOUS) && fd >= 0) {
		struct stat st;
		char lnk[64];
		snprintf(lnk, sizeof(lnk), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(lnk, path, sizeof(path) - 1);
		if (n > 0) {
			path[n] = 0;
			name = path;
		}
		if (fstat(fd, &st) == 0) {
			dev = st.st_dev;
			ino = st.st_ino;
		}
	} else {
		off = 0;
		if (vf & VMA_SHARED)
			name = "/dev/zero (deleted)";
	}
	vma_map_set(&p->map, a, a + len, prot, vf, off, dev, ino, name);
}

uint64_t user_mmap(struct user_proc *p, uint64_t addr, uint64_t len, int prot, int flags, int fd,
		   uint64_t off)
{
	if (!len)
		return (uint64_t)-EINVAL;
	if (off & (TARGET_PAGE - 1))
		return (uint64_t)-EINVAL;
	uint64_t alen = PAGE_UP(len);
	if (alen < len)
		return (uint64_t)-ENOMEM;
	int fixed = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0;
	if (fixed && (addr & (TARGET_PAGE - 1)))
		return (uint64_t)-EINVAL;
	if (flags & MAP_ANONYMOUS)
		fd = -1;
	long r;
	pthread_mutex_lock(&p->lock);
	if (!p->reserved) {
		if (fixed)
			mem_forget_code(p, addr, alen);
		r = host_syscall(SYS_mmap, (long)addr, (long)len, host_prot(prot), flags, fd, (long)off);
		if (r < 0 && r > -4096)
			goto out;
	} else {
		uint64_t a = addr;
		flags &= ~MAP_32BIT;
		if (fixed) {
			if (a + alen > p->reserve || a + alen < a) {
				r = -ENOMEM;
				goto out;
			}
			if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED)) {
				if (vma_map_find_free(&p->map, a, a + alen, a, alen) != a) {
					r = -EEXIST;
					goto out;
				}
			}
		} else {
			uint64_t hint = a ? PAGE_DOWN(a) : p->mmap_base;
			a = vma_map_find_free(&p->map, RESERVED_MIN, p->reserve, hint, alen);
			if (a == ~0ull) {
				r = -ENOMEM;
				goto out;
			}
		}
		mem_forget_code(p, a, alen);
		int hf = (flags & ~MAP_FIXED_NOREPLACE) | MAP_FIXED;
		r = host_syscall(SYS_mmap, (long)g2h(p, a), (long)len, host_prot(prot), hf, fd, (long)off);
		if (r < 0 && r > -4096)
			goto out;
		r = (long)a;
	}
	if (!p->reserved)
		r = (long)h2g(p, (void *)r);
	mem_record(p, (uint64_t)r, alen, prot, flags, fd, off);
	user_asan_fresh(g2h(p, (uint64_t)r), alen);
out:
	pthread_mutex_unlock(&p->lock);
	return (uint64_t)r;
}

int user_munmap(struct user_proc *p, uint64_t addr, uint64_t len)
{
	if ((addr & (TARGET_PAGE - 1)) || !len)
		return -EINVAL;
	uint64_t alen = PAGE_UP(len);
	if (p->reserved && (addr + alen > p->reserve || addr + alen < addr))
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	mem_forget_code(p, addr, alen);
	if (p->reserved)
		mem_release(p, addr, alen);
	else {
		long r = host_syscall(SYS_munmap, (long)addr, (long)len, 0, 0, 0, 0);
		if (r < 0) {
			pthread_mutex_unlock(&p->lock);
			return (int)r;
		}
	}
	vma_map_clear(&p->map, addr, addr + alen);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

int user_mprotect(struct user_proc *p, uint64_t addr, uint64_t len, int prot)
{
	if (addr & (TARGET_PAGE - 1))
		return -EINVAL;
	uint64_t alen = PAGE_UP(len);
	if (!alen)
		return 0;
	pthread_mutex_lock(&p->lock);
	if (!vma_map_covered(&p->map, addr, addr + alen, 0)) {
		pthread_mutex_unlock(&p->lock);
		return -ENOMEM;
	}
	/* Changing the protection of code pages: drop their translations so
	 * the protection lemu added is not needed any more. */
	mem_forget_code(p, addr, alen);
	long r = host_syscall(SYS_mprotect, (long)g2h(p, addr), (long)alen, host_prot(prot), 0, 0, 0);
	if (r == 0)
		vma_map_protect(&p->map, addr, addr + alen, prot & (PROT_READ | PROT_WRITE | PROT_EXEC));
	pthread_mutex_unlock(&p->lock);
	return (int)r;
}

uint64_t user_mremap(struct user_proc *p, uint64_t old, uint64_t olen, uint64_t nlen, int flags,
		     uint64_t naddr)
{
	if (old & (TARGET_PAGE - 1))
		return (uint64_t)-EINVAL;
	olen = PAGE_UP(olen);
	nlen = PAGE_UP(nlen);
	if (!nlen)
		return (uint64_t)-EINVAL;
	pthread_mutex_lock(&p->lock);
	struct vma *v = vma_map_find(&p->map, old);
	if (!v) {
		pthread_mutex_unlock(&p->lock);
		return (uint64_t)-EFAULT;
	}
	struct vma save = *v;
	save.name = v->name ? strdup(v->name) : NULL;
	mem_forget_code(p, old, olen);
	long r;
	if (!p->reserved) {
		r = host_syscall(SYS_mremap, (long)old, (long)olen, (long)nlen, flags, (long)naddr, 0);
	} else if (nlen <= olen && !(flags & MREMAP_FIXED)) {
		if (nlen < olen)
			mem_release(p, old + nlen, olen - nlen);
		r = (long)old;
		goto record;
	} else {
		uint64_t dest;
		if (flags & MREMAP_FIXED) {
			dest = naddr;
		} else if (vma_map_find_free(&p->map, old + olen, p->reserve, old + olen, nlen - olen) ==
			   old + olen) {
			/* grow in place: free the reservation behind it first */
			munmap(g2h(p, old + olen), nlen - olen);
			r = host_syscall(SYS_mremap, (long)g2h(p, old), (long)olen, (long)nlen, 0, 0, 0);
			if (r < 0 && r > -4096) {
				mem_release(p, old + olen, nlen - olen);
				goto out;
			}
			r = (long)old;
			goto record;
		} else if (flags & MREMAP_MAYMOVE) {
			dest = vma_map_find_free(&p->map, RESERVED_MIN, p->reserve, p->mmap_base, nlen);
			if (dest == ~0ull) {
				r = -ENOMEM;
				goto out;
			}
		} else {
			r = -ENOMEM;
			goto out;
		}
		r = host_syscall(SYS_mremap, (long)g2h(p, old), (long)olen, (long)nlen,
				 MREMAP_MAYMOVE | MREMAP_FIXED, (long)g2h(p, dest), 0);
		if (r < 0 && r > -4096)
			goto out;
		mem_release(p, old, olen);
		r = (long)dest;
	}
	if (r < 0 && r > -4096)
		goto out;
record:
	vma_map_clear(&p->map, old, old + olen);
	if (!(flags & MREMAP_DONTUNMAP) || (uint64_t)r == old)
		;
	else
		vma_map_set(&p->map, old, old + olen, save.prot, save.flags, save.offset, save.dev,
			    save.ino, save.name);
	vma_map_set(&p->map, (uint64_t)r, (uint64_t)r + nlen, save.prot, save.flags, save.offset,
		    save.dev, save.ino, save.name);
	user_asan_fresh(g2h(p, (uint64_t)r), nlen);
out:
	free(save.name);
	pthread_mutex_unlock(&p->lock);
	return (uint64_t)r;
}

uint64_t user_brk(struct user_proc *p, uint64_t nbrk)
{
	pthread_mutex_lock(&p->lock);
	uint64_t cur = p->brk_cur;
	if (nbrk < p->brk_start)
		goto out;
	uint64_t need = PAGE_UP(nbrk);
	if (need > p->brk_mapped) {
		uint64_t len = need - p->brk_mapped;
		if (p->reserved) {
			if (need > p->reserve ||
			    vma_map_find_free(&p->map, p->brk_mapped, need, p->brk_mapped, len) !=
				    p->brk_mapped)
				goto out;
		}
		int fl = MAP_PRIVATE | MAP_ANONYMOUS | (p->reserved ? MAP_FIXED : MAP_FIXED_NOREPLACE);
		void *r = mmap(g2h(p, p->brk_mapped), len, PROT_READ | PROT_WRITE, fl, -1, 0);
		if (r == MAP_FAILED)
			goto out;
		if (r != g2h(p, p->brk_mapped)) {
			munmap(r, len);
			goto out;
		}
		user_asan_fresh(r, len);
		vma_map_set(&p->map, p->brk_mapped, need, PROT_READ | PROT_WRITE, 0, 0, 0, 0, "[heap]");
		p->brk_mapped = need;
	} else if (need < p->brk_mapped) {
		mem_release(p, need, p->brk_mapped - need);
		vma_map_clear(&p->map, need, p->brk_mapped);
		p->brk_mapped = need;
	}
	/* Memory between the new brk and its page end must read as zero if
	 * the heap later grows again (the kernel zeroes it too). */
	if (nbrk < cur && PAGE_UP(nbrk) > nbrk)
		memset(g2h(p, nbrk), 0, PAGE_UP(nbrk) - nbrk < cur - nbrk ? PAGE_UP(nbrk) - nbrk : cur - nbrk);
	p->brk_cur = nbrk;
	cur = nbrk;
out:
	pthread_mutex_unlock(&p->lock);
	return cur;
}

uint64_t user_shmat(struct user_proc *p, int id, uint64_t addr, int flg)
{
	struct shmid_ds ds;
	if (shmctl(id, IPC_STAT, &ds) < 0)
		return (uint64_t)-errno;
	uint64_t len = PAGE_UP(ds.shm_segsz);
	pthread_mutex_lock(&p->lock);
	uint64_t a = addr;
	if (p->reserved) {
		if (!a) {
			a = vma_map_find_free(&p->map, RESERVED_MIN, p->reserve, p->mmap_base, len);
			if (a == ~0ull) {
				pthread_mutex_unlock(&p->lock);
				return (uint64_t)-ENOMEM;
			}
		}
		flg |= SHM_REMAP;
	}
	if (a)
		mem_forget_code(p, a, len);
	void *r = shmat(id, a || p->reserved ? g2h(p, a) : NULL, flg);
	if (r == (void *)-1) {
		pthread_mutex_unlock(&p->lock);
		return (uint64_t)-errno;
	}
	a = h2g(p, r);
	int prot = PROT_READ | ((flg & SHM_RDONLY) ? 0 : PROT_WRITE) | ((flg & SHM_EXEC) ? PROT_EXEC : 0);
	vma_map_set(&p->map, a, a + len, prot, VMA_SHARED, 0, 0, (uint64_t)id, "/SYSV00000000 (deleted)");
	pthread_mutex_unlock(&p->lock);
	return a;
}

int user_shmdt(struct user_proc *p, uint64_t addr)
{
	pthread_mutex_lock(&p->lock);
	struct vma *v = vma_map_find(&p->map, addr);
	uint64_t end = v ? v->end : addr;
	if (shmdt(g2h(p, addr)) < 0) {
		int e = errno;
		pthread_mutex_unlock(&p->lock);
		return -e;
	}
	if (v) {
		mem_forget_code(p, addr, end - addr);
		vma_map_clear(&p->map, addr, end);
		if (p->reserved)
			mem_release(p, addr, end - addr);
	}
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* --- code pages and SMC --------------------------------------------- */

static void smc_unprotect_locked(struct user_proc *p, uint64_t page)
{
	if (!page_set_del(&p->code, page))
		return;
	tb_invalidate_range(p->tbc, page, TARGET_PAGE);
	struct vma *v = vma_map_find(&p->map, page);
	int prot = v ? v->prot : PROT_READ | PROT_WRITE;
	mprotect(g2h(p, page), TARGET_PAGE, host_prot(prot));
}

int user_smc_fault(struct user_proc *p, uint64_t gaddr)
{
	uint64_t page = PAGE_DOWN(gaddr);
	pthread_mutex_lock(&p->lock);
	int hit = page_set_has(&p->code, page);
	if (hit) {
		smc_unprotect_locked(p, page);
	} else {
		/* Two threads storing to the same code page fault together;
		 * the first one unprotected it, so the second finds it gone
		 * from the set.  If the guest may write there, the fault was
		 * ours: make sure the page is writable and retry the store. */
		struct vma *v = vma_map_find(&p->map, page);
		if (v && (v->prot & PROT_WRITE))
			hit = mprotect(g2h(p, page), TARGET_PAGE, host_prot(v->prot)) == 0;
	}
	pthread_mutex_unlock(&p->lock);
	return hit;
}

void user_prepare_write(struct user_proc *p, uint64_t addr, uint64_t len)
{
	if (!p->code.used || !len)
		return;
	pthread_mutex_lock(&p->lock);
	uint64_t first = PAGE_DOWN(addr), last = PAGE_DOWN(addr + len - 1);
	if ((last - first) / TARGET_PAGE < 4 * p->code.cap) {
		for (uint64_t pg = first;; pg += TARGET_PAGE) {
			if (page_set_has(&p->code, pg))
				smc_unprotect_locked(p, pg);
			if (pg == last)
				break;
		}
	} else {
		for (size_t i = 0; i < p->code.cap; i++) {
			uint64_t k = p->code.slot[i];
			if (k && k != ~0ull && (k - 1) * TARGET_PAGE >= first && (k - 1) * TARGET_PAGE <= last)
				smc_unprotect_locked(p, (k - 1) * TARGET_PAGE);
		}
	}
	pthread_mutex_unlock(&p->lock);
}

int user_access_ok(struct user_proc *p, uint64_t addr, uint64_t len, int prot)
{
	if (!len)
		return 1;
	if (addr + len < addr)
		return 0;
	pthread_mutex_lock(&p->lock);
	int ok = vma_map_covered(&p->map, PAGE_DOWN(addr), PAGE_UP(addr + len), prot);
	pthread_mutex_unlock(&p->lock);
	return ok;
}

/* cpu_env_ops.code_page: the guest page must be mapped executable; if it
 * is also writable, write-protect it on the host so that a store to it
 * faults and invalidates its translations. */
static const uint8_t *user_code_page(struct cpu *c, uint64_t page)
{
	struct user_proc *p = cpu_thread(c)->p;
	const uint8_t *ret = NULL;
	pthread_mutex_lock(&p->lock);
	struct vma *v = vma_map_find(&p->map, page);
	if (v && (v->prot & PROT_EXEC) && (!p->reserved || page < p->reserve)) {
		if ((v->prot & PROT_WRITE) && page_set_add(&p->code, page) == 1)
			mprotect(g2h(p, page), TARGET_PAGE, host_prot(v->prot) & ~PROT_WRITE);
		if (!(v->prot & PROT_READ))
			mprotect(g2h(p, page), TARGET_PAGE, PROT_READ);
		ret = g2h(p, page);
	}
	pthread_mutex_unlock(&p->lock);
	return ret;
}

const struct cpu_env_ops user_env_ops = { user_code_page, NULL, user_load_seg };

/* --- /proc/self/maps ------------------------------------------------- */

int user_maps_text(struct user_proc *p, char **out, size_t *len)
{
	char *buf = NULL;
	size_t sz = 0;
	FILE *f = open_memstream(&buf, &sz);
	if (!f)
		return -ENOMEM;
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->map.n; i++) {
		const struct vma *v = &p->map.v[i];
		char line[600];
		int n = snprintf(line, sizeof(line), "%08" PRIx64 "-%08" PRIx64 " %c%c%c%c %08" PRIx64
				 " %02x:%02x %" PRIu64 " ",
				 v->start, v->end, v->prot & PROT_READ ? 'r' : '-',
				 v->prot & PROT_WRITE ? 'w' : '-', v->prot & PROT_EXEC ? 'x' : '-',
				 v->flags & VMA_SHARED ? 's' : 'p', v->offset, major(v->dev), minor(v->dev),
				 v->ino);
		fputs(line, f);
		if (v->name) {
			for (; n < 73; n++)
				fputc(' ', f);
			fputs(v->name, f);
		}
		fputc('\n', f);
	}
	pthread_mutex_unlock(&p->lock);
	fclose(f);
	*out = buf;
	*len = sz;
	return 0;
}

void user_dump_maps(struct user_proc *p, FILE *f)
{
	char *t;
	size_t n;
	if (user_maps_text(p, &t, &n) == 0) {
		fprintf(f, "guest_base  0x%" PRIxPTR "\nstart            end              size             prot\n",
			p->guest_base);
		fwrite(t, 1, n, f);
		free(t);
	}
}

void user_mem_after_fork(struct user_proc *p)
{
	/* The child's translations are rebuilt from scratch: the parent's
	 * cache may have been locked by another thread at fork time. */
	p->tbc = tb_cache_new();
}
