/* lemu-test: m32 */
/*
 * String instructions MOVS CMPS STOS LODS SCAS at every size, without and
 * with REP/REPE/REPNE, DF clear and set, counts from 0 to several pages
 * (the emulator's bulk paths), overlapping moves (pattern replication),
 * and, in 64-bit builds, 32-bit addressing (67 prefix).  Prints the
 * resulting offsets, counter, accumulator, defined flags and a hash of the
 * buffer.
 */
#include "int_common.h"

#include <sys/mman.h>

#define BUFSZ 24576
static uint8_t *buf;

static void buf_init(void)
{
	for (unsigned i = 0; i < BUFSZ; i++)
		buf[i] = (uint8_t)(i * 37 + (i >> 8) * 11 + 5);
	memcpy(buf + 0x3000, buf + 0x1000, 3000); /* equal runs for REPE CMPS */
	memset(buf + 0x5000, 0x41, 2000);         /* REPE SCAS run */
	buf[0x5000 + 2000] = 0x42;
}
static uint32_t buf_hash(void)
{
	uint32_t h = 2166136261u;
	for (unsigned i = 0; i < BUFSZ; i++)
		h = (h ^ buf[i]) * 16777619u;
	return h;
}

struct sregs {
	ureg si, di, cx, ax, fl;
};

#define STR(NAME, TEXT)                                                                      \
	static void NAME(struct sregs *r)                                                    \
	{                                                                                    \
		ureg si = r->si, di = r->di, cx = r->cx, ax = r->ax, f, fin = r->fl;         \
		__asm__ volatile(FL_IN TEXT FL_OUT "cld"                                     \
				 : "+S"(si), "+D"(di), "+c"(cx), "+a"(ax), [fo] "=&r"(f)     \
				 : [fin] "r"(fin)                                            \
				 : "cc", "memory");                                          \
		r->si = si, r->di = di, r->cx = cx, r->ax = ax, r->fl = f;                   \
	}
#define STR_ALL(N, I)                                                                        \
	STR(N##b, I "b") STR(N##w, I "w") STR(N##l, I "l")                                   \
	STR(rep_##N##b, "rep " I "b") STR(rep_##N##w, "rep " I "w") STR(rep_##N##l, "rep " I "l")
#define STR_CMP(N, I)                                                                        \
	STR(N##b, I "b") STR(N##w, I "w") STR(N##l, I "l")                                   \
	STR(repe_##N##b, "repe " I "b") STR(repe_##N##w, "repe " I "w") STR(repe_##N##l, "repe " I "l") \
	STR(repne_##N##b, "repne " I "b") STR(repne_##N##w, "repne " I "w") STR(repne_##N##l, "repne " I "l")
STR_ALL(movs, "movs") STR_ALL(stos, "stos") STR_ALL(lods, "lods")
STR_CMP(cmps, "cmps") STR_CMP(scas, "scas")
#ifdef __x86_64__
STR(movsq, "movsq") STR(rep_movsq, "rep movsq") STR(rep_stosq, "rep stosq") STR(repne_scasq, "repne scasq")
STR(repe_cmpsq, "repe cmpsq")
STR(a32_rep_movsb, ".byte 0x67; rep movsb") STR(a32_rep_stosl, ".byte 0x67; rep stosl")
STR(a32_repne_scasb, ".byte 0x67; repne scasb") STR(a32_repe_cmpsw, ".byte 0x67; repe cmpsw")
#endif

struct op {
	const char *name;
	void (*fn)(struct sregs *);
	unsigned size;
};
#define OPS3(N) { #N "b", N##b, 1 }, { #N "w", N##w, 2 }, { #N "l", N##l, 4 }
static const struct op ops[] = {
	OPS3(movs), OPS3(stos), OPS3(lods), OPS3(cmps), OPS3(scas), OPS3(rep_movs), OPS3(rep_stos),
	OPS3(rep_lods), OPS3(repe_cmps), OPS3(repne_cmps), OPS3(repe_scas), OPS3(repne_scas),
#ifdef __x86_64__
	{ "movsq", movsq, 8 }, { "rep_movsq", rep_movsq, 8 }, { "rep_stosq", rep_stosq, 8 },
	{ "repne_scasq", repne_scasq, 8 }, { "repe_cmpsq", repe_cmpsq, 8 },
	{ "a32_rep_movsb", a32_rep_movsb, 1 }, { "a32_rep_stosl", a32_rep_stosl, 4 },
	{ "a32_repne_scasb", a32_repne_scasb, 1 }, { "a32_repe_cmpsw", a32_repe_cmpsw, 2 },
#endif
};

int main(void)
{
	/* below 4 GiB so the 32-bit address-size forms can reach it */
	buf = mmap(NULL, BUFSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS
#ifdef __x86_64__
		   | MAP_32BIT
#endif
		   , -1, 0);
	if (buf == MAP_FAILED)
		return 1;
	static const unsigned counts[] = { 0, 1, 2, 3, 5, 17, 100, 999, 3000, 4097, 9000 };
	/* (si, di) offset pairs for DF=0, then DF=1 */
	static const unsigned fwd[][2] = { { 0x10, 0x2810 }, { 0x1000, 0x3000 }, { 0x200, 0x201 },
					   { 0x200, 0x203 }, { 0x210, 0x200 }, { 0x5000, 0x5000 },
					   { 0x0ffd, 0x2ffb } };
	static const unsigned bwd[][2] = { { 0x5ff0, 0x3ff0 }, { 0x1bb8, 0x3bb8 }, { 0x2500, 0x24ff },
					   { 0x57cf, 0x57cf } };
	for (unsigned o = 0; o < sizeof(ops) / sizeof(ops[0]); o++)
		for (int df = 0; df < 2; df++)
			for (unsigned ci = 0; ci < sizeof(counts) / sizeof(counts[0]); ci++)
				for (unsigned p = 0; p < (df ? 4u : 7u); p++) {
					const unsigned *pr = df ? bwd[p] : fwd[p];
					unsigned nb = counts[ci] * ops[o].size;
					if (df ? (pr[0] < nb || pr[1] < nb)
					       : (pr[0] + nb > BUFSZ || pr[1] + nb > BUFSZ))
						continue;
					buf_init();
					struct sregs r;
					r.si = (ureg)(buf + pr[0]);
					r.di = (ureg)(buf + pr[1]);
					r.cx = counts[ci];
					r.ax = (p == 5 || (p == 3 && df)) ? (ureg)0x4141414141414141ull
									  : (ureg)0x1122334455667788ull;
					r.fl = 0x2 | (df ? 0x400 : 0) | ((p & 1) ? 0x8d5 : 0);
					ops[o].fn(&r);
					printf("%s df=%d n=%u p=%u: si=%lx di=%lx cx=%lx ax=%lx f=%03lx m=%08x\n",
					       ops[o].name, df, counts[ci], p, r.si - (ureg)buf, r.di - (ureg)buf, r.cx,
					       r.ax, r.fl & F_ALL, buf_hash());
				}
	return 0;
}
