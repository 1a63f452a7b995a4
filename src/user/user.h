/*
 * Linux user-mode emulation: shared declarations.
 *
 * One struct user_proc per emulated process (address-space bookkeeping,
 * signal dispositions, options for re-exec) and one struct user_thread per
 * guest thread (its vCPU, signal mask and pending set, TLS descriptors).
 * Both x86_64 and i386 guests are handled by the same code; `p->abi32`
 * selects the i386 ABI.
 *
 * Address space: in "direct" mode (x86_64 default) guest addresses are
 * host addresses (guest_base 0) and guest mmaps go to the host kernel as
 * they are.  In "reserved" mode (i386, or -R/-B) a host region
 * [guest_base, guest_base + reserve) holds the whole guest address space
 * and lemu places every mapping itself with MAP_FIXED.
 */
#ifndef LEMU_USER_USER_H
#define LEMU_USER_USER_H

#include "cpu/x86/cpu.h"
#include "cpu/x86/cpu_model.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/types.h>

#define TARGET_PAGE 4096ull
#define PAGE_DOWN(x) ((x) & ~(TARGET_PAGE - 1))
#define PAGE_UP(x) (((x) + TARGET_PAGE - 1) & ~(TARGET_PAGE - 1))

/* -d log items */
enum {
	LOG_IN_ASM = 1 << 0,
	LOG_EXEC = 1 << 1,
	LOG_CPU = 1 << 2,
	LOG_INT = 1 << 3,
	LOG_STRACE = 1 << 4,
	LOG_PAGE = 1 << 5,
	LOG_UNIMP = 1 << 6,
	LOG_GUEST_ERRORS = 1 << 7,
};

struct log_item {
	const char *name;
	unsigned mask;
	const char *help;
};
extern const struct log_item user_log_items[];
/* Parse "item,item"; returns mask or -1 (unknown item in *bad). */
long user_log_parse(const char *s, const char **bad, size_t *badlen);

/* --- guest mappings (mmap.c) --------------------------------------- */

struct vma {
	uint64_t start, end; /* [start, end), page aligned */
	int prot;            /* guest PROT_* */
	int flags;           /* VMA_* */
	uint64_t offset;     /* file offset of start */
	uint64_t dev, ino;
	char *name;          /* file path, "[heap]", "[stack]" or NULL */
};
#define VMA_SHARED 1
#define VMA_EVER_EXEC 2 /* had PROT_EXEC at some point: TBs may exist */
#define VMA_COW 4       /* private file mapping that was writable (kernel: has an anon_vma) */

struct vma_map {
	struct vma *v;
	size_t n, cap;
};

void vma_map_init(struct vma_map *m);
void vma_map_free(struct vma_map *m);
/* Insert [start,end) replacing whatever overlapped (name is copied). */
int vma_map_set(struct vma_map *m, uint64_t start, uint64_t end, int prot, int flags,
		uint64_t offset, uint64_t dev, uint64_t ino, const char *name);
/* Remove [start,end). */
void vma_map_clear(struct vma_map *m, uint64_t start, uint64_t end);
/* Change prot on [start,end) where mapped; returns -1 if a hole exists. */
int vma_map_protect(struct vma_map *m, uint64_t start, uint64_t end, int prot);
/* The vma containing addr, or NULL. */
struct vma *vma_map_find(const struct vma_map *m, uint64_t addr);
/* Is [start,end) fully mapped with at least `prot`? */
int vma_map_covered(const struct vma_map *m, uint64_t start, uint64_t end, int prot);
/* Does [start,end) overlap a vma with VMA_EVER_EXEC? */
int vma_map_any_exec(const struct vma_map *m, uint64_t start, uint64_t end);
/* Lowest free gap of `len` bytes in [lo, hi), searching from `hint`
 * upward then from lo; returns ~0 on failure. */
uint64_t vma_map_find_free(const struct vma_map *m, uint64_t lo, uint64_t hi, uint64_t hint,
			   uint64_t len);

/* Set of guest pages that lemu write-protected because they hold
 * translated code (self-modifying code detection). */
struct page_set {
	uint64_t *slot; /* page number + 1; 0 empty, ~0 deleted */
	size_t cap, used;
};
int page_set_add(struct page_set *s, uint64_t page);
int page_set_has(const struct page_set *s, uint64_t page);
int page_set_del(struct page_set *s, uint64_t page);

/* --- options ------------------------------------------------------- */

struct user_opts {
	const char *ld_prefix;
	uint64_t stack_size;
	const char *cpu_spec;
	const char *argv0;
	uint64_t guest_base;
	int have_guest_base;
	uint64_t reserve;
	unsigned log_mask;
	const char *log_file;
	const char *uname_release;
	int strace;
	/* option words to pass on when the guest execs an x86 program */
	char **reexec_argv;
	int reexec_argc;
};

/* --- signals ------------------------------------------------------- */

#define TARGET_NSIG 64
struct guest_sigaction {
	uint64_t handler; /* 0 = SIG_DFL, 1 = SIG_IGN */
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask; /* guest sigset (64 signals) */
};
#define TARGET_SA_RESTORER 0x04000000

/* --- process and thread -------------------------------------------- */

struct user_proc {
	pthread_mutex_t lock; /* map, code pages, brk, sigactions */
	struct vma_map map;
	struct page_set code;
	int abi32;            /* i386 guest */
	int reserved;         /* reserved-region mode */
	uintptr_t guest_base;
	uint64_t reserve;     /* size of the reserved region */
	uint64_t mmap_base;   /* where reserved-mode placement starts */
	uint64_t brk_start, brk_cur, brk_mapped;
	uint64_t stack_top, stack_limit;

	char exe_path[4096];
	int exe_fd;
	uint8_t auxv[64 * 16];
	size_t auxv_len;
	char *cmdline;        /* argv joined by NULs */
	size_t cmdline_len;

	struct guest_sigaction sigact[TARGET_NSIG + 1];

	struct tb_cache *tbc;
	struct cpu_config cpu_cfg;
	struct user_opts *opts;
	char *self_exe;       /* lemu's own path for re-exec */
	FILE *log;
	unsigned log_mask;
	int nthreads;
	uint64_t host_restorer; /* glibc's sa_restorer for raw rt_sigaction */
	uint64_t entry, load_bias, phdr, interp_base;
};

/* i386 TLS descriptor (struct user_desc, Linux arch/x86) */
struct tls_desc {
	uint32_t base, limit, flags;
	int used;
};
#define GDT_TLS_MIN 12
#define GDT_TLS_NUM 3

struct user_thread {
	struct cpu cpu;
	struct user_proc *p;
	int tid;
	uint64_t clear_child_tid;
	uint64_t robust_list, robust_len;
	uint64_t sigmask;                  /* guest blocked set, bit (sig-1) */
	volatile int safe_intr;            /* safe_syscall.c: a deliverable signal came */
	int vfork_child;                   /* a vfork child sharing the parent's memory */
	volatile uint64_t pending;         /* bit (sig-1) */
	siginfo_t pending_info[TARGET_NSIG + 1];
	uint64_t ss_sp, ss_size;           /* sigaltstack */
	int ss_flags;
	int in_sigsuspend;
	uint64_t saved_mask;               /* mask to restore after sigsuspend */
	struct tls_desc tls[GDT_TLS_NUM];
	pthread_t host;
	/* guest-memory access from emulator code (user_copy_*) */
	volatile int fault_active;
	sigjmp_buf fault_jmp;
	/* syscall interrupted by a host signal: restart or -EINTR */
	int sys_interrupted;
	long sys_nr;
	int sys_restartable;
	/* last exception, for sigcontext trapno/err/cr2 */
	uint64_t trapno, err, cr2;
};

/* Internal syscall results (never seen by the guest). */
#define USER_ESIGRETURN 513 /* registers already set (sigreturn, execve) */
/* A deliverable guest signal is pending before a blocking call was entered:
 * the caller rewinds to the SYSCALL/INT 0x80 so the signal is delivered
 * first and the call made after the handler (as the kernel does). */
#define USER_ERESTART_PRE 4096
/* Bit of signal s in a guest signal set. */
#define SIGBIT(s) (1ull << ((s) - 1))
#define USER_STR_(x) #x
#define USER_STR(x) USER_STR_(x)

/* Copy between emulator and guest memory; -EFAULT if the guest range is
 * not accessible (a host fault is caught and turned into -EFAULT). */
int user_copy_in(struct user_thread *t, void *dst, uint64_t src, size_t n);
int user_copy_out(struct user_thread *t, uint64_t dst, const void *src, size_t n);
/* Guest C string into buf (NUL-terminated, at most sz-1 chars):
 * length or -EFAULT / -ENAMETOOLONG. */
long user_strncpy_in(struct user_thread *t, char *buf, uint64_t src, size_t sz);

static inline struct user_thread *cpu_thread(struct cpu *c)
{
	return (struct user_thread *)c->opaque;
}

/* ASan builds of lemu: memory the guest maps through raw system calls
 * may lie where lemu's own (instrumented) memory was, whose shadow still
 * carries redzones; clear it so guest accesses from lemu code are not
 * reported. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define user_asan_fresh(h, len) __asan_unpoison_memory_region((h), (len))
#else
#define user_asan_fresh(h, len) ((void)(h), (void)(len))
#endif

/* Host pointer of a guest address. */
static inline void *g2h(struct user_proc *p, uint64_t a)
{
	return (void *)(uintptr_t)(p->guest_base + a);
}
static inline uint64_t h2g(struct user_proc *p, const void *h)
{
	return (uint64_t)((uintptr_t)h - p->guest_base);
}

/* Raw host system call: returns the kernel's value (-errno on error). */
static inline long host_syscall(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
	long ret;
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* syscall.c: store a system call's result (or rewind for a signal) */
void user_syscall_finish(struct user_thread *t, long nr, long r, uint64_t rax_mask);

/* safe_syscall.c */
long user_safe_syscall(volatile int *flag, long nr, long a1, long a2, long a3, long a4, long a5,
		       long a6);
extern const char user_safe_syscall_start[], user_safe_syscall_end[], user_safe_syscall_intr[];
/* host_syscall() for calls that may block: returns -USER_ERESTART_PRE
 * instead of blocking when a deliverable guest signal is pending. */
long user_host_syscall_blocking(struct user_thread *t, long nr, long a1, long a2, long a3,
				long a4, long a5, long a6);
/* From a host signal handler: note a deliverable signal for a thread that
 * may be about to block (returns 1 if it redirected the interrupted PC). */
int user_safe_syscall_interrupt(struct user_thread *t, int sig, void *puc);

/* main.c */
void user_log(struct user_proc *p, unsigned item, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int user_cpu_loop(struct user_thread *t) __attribute__((noreturn));
extern const struct cpu_env_ops user_env_ops;

/* elfload.c */
struct elf_info {
	uint64_t entry, load_bias, phdr, phnum, phent, interp_base, interp_entry;
	uint64_t brk, stack_top, sp, start_code, end_code;
};
int user_load_program(struct user_proc *p, struct cpu *c, const char *path, char **argv,
		      char **envp, struct elf_info *info, char *err, size_t errlen);
/* Classify a file for execve: 1 = runnable under this emulator (ELF of our
 * machine or #! script), 0 = leave to the kernel. */
int user_exec_is_ours(struct user_proc *p, const char *path);
/* 64 or 32 for an x86-64 / i386 ELF (or a #! script whose interpreter is
 * one), 0 otherwise. */
int user_exec_arch(struct user_proc *p, const char *path, int depth);
/* Build the initial stack; returns the initial sp (also for tests). */
uint64_t user_setup_stack(struct user_proc *p, uint64_t top, char **argv, char **envp,
			  const uint64_t *auxv_pairs, size_t npairs, const char *execfn,
			  const uint8_t random16[16]);

/* mmap.c */
int user_mem_init(struct user_proc *p);
uint64_t user_mmap(struct user_proc *p, uint64_t addr, uint64_t len, int prot, int flags, int fd,
		   uint64_t off);
int user_munmap(struct user_proc *p, uint64_t addr, uint64_t len);
int user_mprotect(struct user_proc *p, uint64_t addr, uint64_t len, int prot);
uint64_t user_mremap(struct user_proc *p, uint64_t old, uint64_t olen, uint64_t nlen, int flags,
		     uint64_t naddr);
uint64_t user_brk(struct user_proc *p, uint64_t nbrk);
uint64_t user_shmat(struct user_proc *p, int id, uint64_t addr, int flg);
int user_shmdt(struct user_proc *p, uint64_t addr);
/* Make [addr, addr+len) writable for the kernel (drop SMC protection). */
void user_prepare_write(struct user_proc *p, uint64_t addr, uint64_t len);
/* 1 if the guest may access the range with prot (PROT_READ/PROT_WRITE). */
int user_access_ok(struct user_proc *p, uint64_t addr, uint64_t len, int prot);
/* Handle a host write fault at guest page: returns 1 if it was SMC. */
int user_smc_fault(struct user_proc *p, uint64_t gaddr);
void user_dump_maps(struct user_proc *p, FILE *f);
int user_maps_text(struct user_proc *p, char **out, size_t *len);
void user_mem_after_fork(struct user_proc *p);

/* syscall.c */
void user_syscall64(struct user_thread *t);
long user_do_syscall64(struct user_thread *t, long nr, uint64_t a[6]);
/* thread.c / proc */
long user_clone(struct user_thread *t, uint64_t flags, uint64_t newsp, uint64_t ptid,
		uint64_t ctid, uint64_t tls);
long user_execve(struct user_thread *t, int dirfd, const char *path, uint64_t argv,
		 uint64_t envp, int flags);
void user_thread_exit(struct user_thread *t, int status) __attribute__((noreturn));
void user_exit_group(struct user_thread *t, int status) __attribute__((noreturn));
struct user_thread *user_thread_new(struct user_proc *p);

/* syscall_file.c: paths the emulator answers itself */
long user_open_special(struct user_thread *t, int dirfd, const char *path, int flags, int mode,
		       int *handled);
long user_readlink_special(struct user_thread *t, int dirfd, const char *path, char *buf,
			   size_t sz, int *handled);

/* signal.c */
void user_signal_init(struct user_proc *p);
void user_signal_thread_init(struct user_thread *t);
void user_sync_host_mask(struct user_thread *t);
void user_deliver_pending(struct user_thread *t);
void user_force_signal(struct user_thread *t, int sig, int code, uint64_t addr);
void user_die_by_signal(int sig) __attribute__((noreturn));
long user_rt_sigaction(struct user_thread *t, int sig, const struct guest_sigaction *act,
		       struct guest_sigaction *old);
long user_rt_sigprocmask(struct user_thread *t, int how, const uint64_t *set, uint64_t *old);
long user_sigaltstack(struct user_thread *t, uint64_t ss, uint64_t old);
long user_rt_sigreturn(struct user_thread *t);
long user_sigreturn32(struct user_thread *t, int rt);
long user_rt_sigsuspend(struct user_thread *t, uint64_t mask);
/* Signal frames (signal.c for x86_64, signal32.c for i386) */
int user_setup_frame64(struct user_thread *t, int sig, const struct guest_sigaction *ka,
		       const siginfo_t *info, uint64_t oldmask);
int user_setup_frame32(struct user_thread *t, int sig, const struct guest_sigaction *ka,
		       const siginfo_t *info, uint64_t oldmask);
uint64_t user_sigframe_sp(struct user_thread *t, const struct guest_sigaction *ka,
			  uint64_t sp);

/* strace.c */
void strace_enter(struct user_thread *t, long nr, const uint64_t a[6]);
void strace_exit(struct user_thread *t, long nr, long ret);
/* Format into buf (for unit tests); returns length. */
int strace_format_call(char *buf, size_t sz, struct user_thread *t, int abi32, long nr,
		       const uint64_t a[6]);
int strace_format_ret(char *buf, size_t sz, long nr, long ret, int abi32);
const char *strace_name(int abi32, long nr);

/* syscall32.c */
void user_syscall32(struct user_thread *t);
/* Load a segment register in an i386 guest (mov Sreg / pop Sreg):
 * 0 on success (selector and base updated), -1 for #GP. */
int user_load_seg(struct cpu *c, int seg, uint16_t sel);
long user_set_thread_area(struct user_thread *t, uint64_t uinfo);

/* ioctl.c */
long user_ioctl32(struct user_thread *t, int fd, unsigned cmd, uint32_t arg);

#endif
