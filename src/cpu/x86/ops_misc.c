/*
 * Integer odds and ends: CMPXCHG, CMPXCHG8B/16B, XADD, BSWAP, MOVBE,
 * CRC32, RDTSC/RDTSCP, RDRAND, XLAT, PUSHA/POPA, the BCD adjustments
 * (DAA DAS AAA AAS AAM AAD), BOUND and the UD0/UD1/UD2 opcodes.
 * Intel SDM vol. 2.
 */
#include "decode.h"
#include "ops.h"

#include <sys/random.h>

/* --- CMPXCHG / XADD ------------------------------------------------- */

/*
 * Flags as CMP accumulator, destination.  Register destination: on a
 * mismatch only the accumulator is written (a 32-bit destination keeps
 * its upper half, checked on Intel hardware); on a match only the
 * destination is (the accumulator keeps its upper half).
 */
static void cmpxchg(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize;
	uint64_t acc = get_reg(c, R_RAX, size), src = op_reg(c, in), cur;
	bool ok;
	if (in->mem) {
		void *p = cpu_mem(c, insn_ea(c, in), size, CPU_MEM_RMW);
		cur = acc;
		ok = cpu_cas_sized(p, &cur, src, size);
		cpu_mem_done(c, p);
	} else {
		unsigned r = size == 1 ? in->rm8 : in->rm;
		cur = get_reg(c, r, size);
		ok = cur == acc;
		if (ok)
			set_reg(c, r, src, size);
	}
	if (!ok)
		set_reg(c, R_RAX, cur, size);
	cc_set(c, CC_SUB | cc_sz(size), acc - cur, cur, 0);
}

#if defined(__x86_64__)
static inline bool misc_cas16(void *p, uint64_t *lo, uint64_t *hi, uint64_t nlo, uint64_t nhi)
{
	bool ok;
	__asm__ volatile("lock cmpxchg16b %1"
			 : "=@ccz"(ok), "+m"(*(volatile unsigned __int128 *)p), "+a"(*lo), "+d"(*hi)
			 : "b"(nlo), "c"(nhi)
			 : "memory");
	return ok;
}
#else
static inline bool misc_cas16(void *p, uint64_t *lo, uint64_t *hi, uint64_t nlo, uint64_t nhi)
{
	unsigned __int128 e = ((unsigned __int128)*hi << 64) | *lo;
	unsigned __int128 d = ((unsigned __int128)nhi << 64) | nlo;
	bool ok = __atomic_compare_exchange_n((unsigned __int128 *)p, &e, d, 0, __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST);
	*lo = (uint64_t)e;
	*hi = (uint64_t)(e >> 64);
	return ok;
}
#endif

/* 0F C7 /1: CMPXCHG8B m64, or with REX.W CMPXCHG16B m128 (16-byte
 * alignment required, else #GP(0)).  Only ZF changes. */
static void cmpxchg8b(struct cpu *c, const struct insn *in)
{
	uint64_t ea = insn_ea(c, in);
	bool ok;
	if (in->prefix & PFX_REX_W) {
		if (!cpu_has(c, FEAT(FW_1_ECX, 13)))
			cpu_raise(c, EXC_UD, 0);
		if (ea & 15)
			cpu_raise(c, EXC_GP, 0);
		void *p = cpu_mem(c, ea, 16, CPU_MEM_RMW);
		uint64_t lo = c->regs[R_RAX], hi = c->regs[R_RDX];
		ok = misc_cas16(p, &lo, &hi, c->regs[R_RBX], c->regs[R_RCX]);
		cpu_mem_done(c, p);
		if (!ok) {
			c->regs[R_RAX] = lo;
			c->regs[R_RDX] = hi;
		}
	} else {
		void *p = cpu_mem(c, ea, 8, CPU_MEM_RMW);
		uint64_t cur = ((uint64_t)(uint32_t)c->regs[R_RDX] << 32) | (uint32_t)c->regs[R_RAX];
		uint64_t nv = ((uint64_t)(uint32_t)c->regs[R_RCX] << 32) | (uint32_t)c->regs[R_RBX];
		ok = cpu_cas_sized(p, &cur, nv, 8);
		cpu_mem_done(c, p);
		if (!ok) {
			set_reg(c, R_RAX, (uint32_t)cur, 4);
			set_reg(c, R_RDX, cur >> 32, 4);
		}
	}
	uint32_t f = cc_compute(c) & ~FL_ZF;
	cc_set_flags(c, f | (ok ? FL_ZF : 0));
}

/* 0F C0/C1: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP. */
static void xadd(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize;
	uint64_t src = op_reg(c, in), old;
	if (in->mem) {
		uint64_t ea = insn_ea(c, in);
		if (in->prefix & PFX_LOCK) {
			void *p = cpu_mem(c, ea, size, CPU_MEM_RMW);
			switch (size) {
			case 1: old = __atomic_fetch_add((uint8_t *)p, (uint8_t)src, __ATOMIC_SEQ_CST); break;
			case 2: old = __atomic_fetch_add((uint16_t *)p, (uint16_t)src, __ATOMIC_SEQ_CST); break;
			case 4: old = __atomic_fetch_add((uint32_t *)p, (uint32_t)src, __ATOMIC_SEQ_CST); break;
			default: old = __atomic_fetch_add((uint64_t *)p, src, __ATOMIC_SEQ_CST); break;
			}
			cpu_mem_done(c, p);
		} else {
			old = ld_sz(c, ea, size);
			st_sz(c, ea, old + src, size);
		}
		op_reg_set(c, in, old);
	} else {
		unsigned r = size == 1 ? in->rm8 : in->rm;
		old = get_reg(c, r, size);
		op_reg_set(c, in, old);
		set_reg(c, r, old + src, size); /* the destination is written last */
	}
	cc_set(c, CC_ADD | cc_sz(size), old + src, src, 0);
}

/* --- BSWAP / MOVBE -------------------------------------------------- */

static inline uint64_t misc_bswap(uint64_t v, unsigned size)
{
	switch (size) {
	case 2: return __builtin_bswap16((uint16_t)v);
	case 4: return __builtin_bswap32((uint32_t)v);
	default: return __builtin_bswap64(v);
	}
}

/* 0F C8+r.  With a 16-bit operand the result is undefined; Intel
 * hardware clears the low word, and so does this. */
static void bswap(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize;
	uint64_t v = get_reg(c, in->reg, size);
	set_reg(c, in->reg, size == 2 ? 0 : misc_bswap(v, size), size);
}

/* 0F 38 F0: MOVBE r, m;  0F 38 F1: MOVBE m, r. */
static void movbe_load(struct cpu *c, const struct insn *in)
{
	uint64_t v = ld_sz(c, insn_ea(c, in), in->opsize);
	set_reg(c, in->reg, misc_bswap(v, in->opsize), in->opsize);
}
static void movbe_store(struct cpu *c, const struct insn *in)
{
	uint64_t v = get_reg(c, in->reg, in->opsize);
	st_sz(c, insn_ea(c, in), misc_bswap(v, in->opsize), in->opsize);
}

/* --- CRC32 (F2 0F 38 F0/F1) ------------------------------------------ */

/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), byte table. */
static const uint32_t crc32c_table[256] = {
	0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4, 0xc79a971f, 0x35f1141c,
	0x26a1e7e8, 0xd4ca64eb, 0x8ad958cf, 0x78b2dbcc, 0x6be22838, 0x9989ab3b,
	0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24, 0x105ec76f, 0xe235446c,
	0xf165b798, 0x030e349b, 0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384,
	0x9a879fa0, 0x68ec1ca3, 0x7bbcef57, 0x89d76c54, 0x5d1d08bf, 0xaf768bbc,
	0xbc267848, 0x4e4dfb4b, 0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a,
	0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35, 0xaa64d611, 0x580f5512,
	0x4b5fa6e6, 0xb93425e5, 0x6dfe410e, 0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa,
	0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45, 0xf779deae, 0x05125dad,
	0x1642ae59, 0xe4292d5a, 0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a,
	0x7da08661, 0x8fcb0562, 0x9c9bf696, 0x6ef07595, 0x417b1dbc, 0xb3109ebf,
	0xa0406d4b, 0x522bee48, 0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
	0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687, 0x0c38d26c, 0xfe53516f,
	0xed03a29b, 0x1f682198, 0x5125dad3, 0xa34e59d0, 0xb01eaa24, 0x42752927,
	0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38, 0xdbfc821c, 0x2997011f,
	0x3ac7f2eb, 0xc8ac71e8, 0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7,
	0x61c69362, 0x93ad1061, 0x80fde395, 0x72966096, 0xa65c047d, 0x5437877e,
	0x4767748a, 0xb50cf789, 0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859,
	0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46, 0x7198540d, 0x83f3d70e,
	0x90a324fa, 0x62c8a7f9, 0xb602c312, 0x44694011, 0x5739b3e5, 0xa55230e6,
	0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36, 0x3cdb9bdd, 0xceb018de,
	0xdde0eb2a, 0x2f8b6829, 0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c,
	0x456cac67, 0xb7072f64, 0xa457dc90, 0x563c5f93, 0x082f63b7, 0xfa44e0b4,
	0xe9141340, 0x1b7f9043, 0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
	0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3, 0x55326b08, 0xa759e80b,
	0xb4091bff, 0x466298fc, 0x1871a4d8, 0xea1a27db, 0xf94ad42f, 0x0b21572c,
	0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033, 0xa24bb5a6, 0x502036a5,
	0x4370c551, 0xb11b4652, 0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d,
	0x2892ed69, 0xdaf96e6a, 0xc9a99d9e, 0x3bc21e9d, 0xef087a76, 0x1d63f975,
	0x0e330a81, 0xfc588982, 0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d,
	0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622, 0x38cc2a06, 0xcaa7a905,
	0xd9f75af1, 0x2b9cd9f2, 0xff56bd19, 0x0d3d3e1a, 0x1e6dcdee, 0xec064eed,
	0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530, 0x0417b1db, 0xf67c32d8,
	0xe52cc12c, 0x1747422f, 0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff,
	0x8ecee914, 0x7ca56a17, 0x6ff599e3, 0x9d9e1ae0, 0xd3d3e1ab, 0x21b862a8,
	0x32e8915c, 0xc083125f, 0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
	0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90, 0x9e902e7b, 0x6cfbad78,
	0x7fab5e8c, 0x8dc0dd8f, 0xe330a81a, 0x115b2b19, 0x020bd8ed, 0xf0605bee,
	0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1, 0x69e9f0d5, 0x9b8273d6,
	0x88d28022, 0x7ab90321, 0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e,
	0xf36e6f75, 0x0105ec76, 0x12551f82, 0xe03e9c81, 0x34f4f86a, 0xc69f7b69,
	0xd5cf889d, 0x27a40b9e, 0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e,
	0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351,
};

/* The instruction applies no pre/post inversion (SDM vol. 2 "CRC32"). */
static void crc32(struct cpu *c, const struct insn *in)
{
	unsigned ssize = in->aux ? in->aux : in->opsize;
	uint64_t v = in->mem ? ld_sz(c, insn_ea(c, in), ssize)
			     : get_reg(c, ssize == 1 ? in->rm8 : in->rm, ssize);
	uint32_t crc = (uint32_t)c->regs[in->reg];
	for (unsigned i = 0; i < ssize; i++)
		crc = crc32c_table[(crc ^ (uint8_t)(v >> (8 * i))) & 0xff] ^ (crc >> 8);
	set_reg(c, in->reg, crc, 4); /* a 64-bit destination is zero-extended */
}

/* --- RDTSC / RDTSCP / RDRAND ---------------------------------------- */

static inline uint64_t misc_tsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
#endif
}

#define CR4_TSD 0x4

static void rdtsc(struct cpu *c, const struct insn *in)
{
	if ((c->cr4 & CR4_TSD) && c->cpl)
		cpu_raise(c, EXC_GP, 0);
	uint64_t t = misc_tsc();
	set_reg(c, R_RAX, (uint32_t)t, 4);
	set_reg(c, R_RDX, t >> 32, 4);
}
static void rdtscp(struct cpu *c, const struct insn *in)
{
	rdtsc(c, in);
	set_reg(c, R_RCX, (uint32_t)c->tsc_aux, 4);
}

/* 0F C7 /6 (register): CF=1 and a random value, or CF=0 and 0 when the
 * entropy source has nothing (the guest is expected to retry). */
static void rdrand(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize;
	uint64_t v = 0;
	bool ok = getrandom(&v, size, GRND_NONBLOCK) == (ssize_t)size;
	set_reg(c, in->rm, ok ? v : 0, size);
	cc_set_flags(c, ok ? FL_CF : 0);
}

/* --- XLAT, PUSHA/POPA, BOUND ---------------------------------------- */

static void xlat(struct cpu *c, const struct insn *in)
{
	uint64_t off = (c->regs[R_RBX] + (uint8_t)c->regs[R_RAX]) & in->amask;
	set_reg8(c, R_RAX, ld8(c, seg_lin(c, in->seg, off)));
}

/* 60: push AX CX DX BX (original SP) BP SI DI; every store happens before
 * SP changes so a fault leaves the registers untouched. */
static void pusha(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize, ss = stack_size(c);
	uint64_t sp = c->regs[R_RSP], smask = size_mask(ss);
	for (unsigned i = 0; i < 8; i++) {
		uint64_t a = (sp - (i + 1) * size) & smask;
		st_sz(c, seg_lin(c, SEG_SS, a), get_reg(c, i, size), size);
	}
	set_reg(c, R_RSP, sp - 8 * size, ss);
}
/* 61: pop DI SI BP (SP discarded) BX DX CX AX. */
static void popa(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize, ss = stack_size(c);
	uint64_t sp = c->regs[R_RSP], smask = size_mask(ss), v[8];
	for (unsigned i = 0; i < 8; i++)
		v[7 - i] = ld_sz(c, seg_lin(c, SEG_SS, (sp + i * size) & smask), size);
	for (unsigned r = 0; r < 8; r++)
		if (r != R_RSP)
			set_reg(c, r, v[r], size);
	set_reg(c, R_RSP, sp + 8 * size, ss);
}

/* 62 (outside 64-bit mode): #BR unless lower <= index <= upper (signed). */
static void bound(struct cpu *c, const struct insn *in)
{
	unsigned size = in->opsize;
	uint64_t ea = insn_ea(c, in);
	int64_t lo = sext(ld_sz(c, ea, size), size);
	int64_t hi = sext(ld_sz(c, (ea + size) & c->lin_mask, size), size);
	int64_t idx = sext(get_reg(c, in->reg, size), size);
	if (idx < lo || idx > hi)
		cpu_raise(c, EXC_BR, 0);
}

/* --- BCD (SDM vol. 2 "DAA", "DAS", "AAA", "AAS", "AAM", "AAD") -------- */

static inline uint32_t misc_szp8(uint8_t v)
{
	return (v == 0 ? FL_ZF : 0) | (v & 0x80 ? FL_SF : 0) |
	       (__builtin_parity(v) ? 0 : FL_PF);
}

static void daa(struct cpu *c, const struct insn *in)
{
	uint32_t f = cc_compute(c);
	uint8_t al = (uint8_t)c->regs[R_RAX], old_al = al;
	unsigned old_cf = f & FL_CF, cf = 0, af = 0;
	if ((al & 0xf) > 9 || (f & FL_AF)) {
		al += 6;
		af = 1;
	}
	if (old_al > 0x99 || old_cf) {
		al += 0x60;
		cf = 1;
	}
	set_reg8(c, R_RAX, al);
	cc_set_flags(c, misc_szp8(al) | (cf ? FL_CF : 0) | (af ? FL_AF : 0));
}

static void das(struct cpu *c, const struct insn *in)
{
	uint32_t f = cc_compute(c);
	uint8_t al = (uint8_t)c->regs[R_RAX], old_al = al;
	unsigned old_cf = f & FL_CF, cf = 0, af = 0;
	if ((al & 0xf) > 9 || (f & FL_AF)) {
		cf = old_cf || al < 6;
		al -= 6;
		af = 1;
	}
	if (old_al > 0x99 || old_cf) {
		al -= 0x60;
		cf = 1;
	}
	set_reg8(c, R_RAX, al);
	cc_set_flags(c, misc_szp8(al) | (cf ? FL_CF : 0) | (af ? FL_AF : 0));
}

static void aaa(struct cpu *c, const struct insn *in)
{
	uint32_t f = cc_compute(c);
	uint16_t ax = (uint16_t)c->regs[R_RAX];
	unsigned adj = (ax & 0xf) > 9 || (f & FL_AF);
	if (adj)
		ax += 0x106;
	ax &= 0xff0f;
	set_reg(c, R_RAX, ax, 2);
	cc_set_flags(c, misc_szp8((uint8_t)ax) | (adj ? FL_CF | FL_AF : 0));
}

static void aas(struct cpu *c, const struct insn *in)
{
	uint32_t f = cc_compute(c);
	uint16_t ax = (uint16_t)c->regs[R_RAX];
	unsigned adj = (ax & 0xf) > 9 || (f & FL_AF);
	if (adj) {
		ax -= 6;
		ax -= 0x100;
	}
	ax &= 0xff0f;
	set_reg(c, R_RAX, ax, 2);
	cc_set_flags(c, misc_szp8((uint8_t)ax) | (adj ? FL_CF | FL_AF : 0));
}

static void aam(struct cpu *c, const struct insn *in)
{
	uint8_t base = (uint8_t)in->imm, al = (uint8_t)c->regs[R_RAX];
	if (!base)
		cpu_raise(c, EXC_DE, 0);
	uint8_t q = al / base, r = al % base;
	set_reg(c, R_RAX, ((unsigned)q << 8) | r, 2);
	cc_set(c, CC_LOGIC | CC_SZ_8, r, 0, 0);
}

static void aad(struct cpu *c, const struct insn *in)
{
	uint8_t base = (uint8_t)in->imm;
	uint8_t al = (uint8_t)c->regs[R_RAX], ah = (uint8_t)(c->regs[R_RAX] >> 8);
	uint8_t r = (uint8_t)(al + ah * base);
	set_reg(c, R_RAX, r, 2);
	cc_set(c, CC_LOGIC | CC_SZ_8, r, 0, 0);
}

#define M1 MAP_1B
#define M0F MAP_0F
#define M38 MAP_0F38
#define RM F_MODRM
#define B F_BYTE

const struct opdesc ops_misc[] = {
	OP(M0F, 0xb0, RM | B | F_LOCK | F_WFLAGS, cmpxchg, 0),
	OP(M0F, 0xb1, RM | F_LOCK | F_WFLAGS, cmpxchg, 0),
	OPF(M0F, 0xc7, P_ANY, 1, M_MEM, 0, 0, FEAT(FW_1_EDX, 8), RM | F_LOCK, cmpxchg8b),
	OP(M0F, 0xc0, RM | B | F_LOCK | F_WFLAGS, xadd, 0),
	OP(M0F, 0xc1, RM | F_LOCK | F_WFLAGS, xadd, 0),
	OP(M0F, 0xc8, F_NOFLAGS, bswap, 0), OP(M0F, 0xc9, F_NOFLAGS, bswap, 0),
	OP(M0F, 0xca, F_NOFLAGS, bswap, 0), OP(M0F, 0xcb, F_NOFLAGS, bswap, 0),
	OP(M0F, 0xcc, F_NOFLAGS, bswap, 0), OP(M0F, 0xcd, F_NOFLAGS, bswap, 0),
	OP(M0F, 0xce, F_NOFLAGS, bswap, 0), OP(M0F, 0xcf, F_NOFLAGS, bswap, 0),
	OPF(M38, 0xf0, P_NONE, -1, M_MEM, 0, 0, FEAT(FW_1_ECX, 22), RM | F_NOFLAGS, movbe_load),
	OPF(M38, 0xf0, P_66, -1, M_MEM, 0, 0, FEAT(FW_1_ECX, 22), RM | F_NOFLAGS, movbe_load),
	OPF(M38, 0xf1, P_NONE, -1, M_MEM, 0, 0, FEAT(FW_1_ECX, 22), RM | F_NOFLAGS, movbe_store),
	OPF(M38, 0xf1, P_66, -1, M_MEM, 0, 0, FEAT(FW_1_ECX, 22), RM | F_NOFLAGS, movbe_store),
	OPF(M38, 0xf0, P_F2, -1, M_ANY, 0, 1, FEAT(FW_1_ECX, 20), RM | F_SIZE32 | F_NOFLAGS, crc32),
	OPF(M38, 0xf1, P_F2, -1, M_ANY, 0, 0, FEAT(FW_1_ECX, 20), RM | F_NOFLAGS, crc32),
	OP(M0F, 0x31, F_NOFLAGS, rdtsc, 0),
	OPF(M0F, 0x01, P_ANY, 7, M_RM0, 1, 0, FEAT(FW_8000_0001_EDX, 27), RM | F_NOFLAGS, rdtscp),
	OPF(M0F, 0xc7, P_NONE, 6, M_REG, 0, 0, FEAT(FW_1_ECX, 30), RM | F_WFLAGS, rdrand),
	OPF(M0F, 0xc7, P_66, 6, M_REG, 0, 0, FEAT(FW_1_ECX, 30), RM | F_WFLAGS, rdrand),
	OP(M1, 0xd7, 0, xlat, 0),
	OP(M1, 0x60, F_NO64, pusha, 0),
	OP(M1, 0x61, F_NO64, popa, 0),
	OPF(M1, 0x62, P_ANY, -1, M_MEM, 0, 0, 0, RM | F_NO64, bound),
	OP(M1, 0x27, F_NO64, daa, 0),
	OP(M1, 0x2f, F_NO64, das, 0),
	OP(M1, 0x37, F_NO64, aaa, 0),
	OP(M1, 0x3f, F_NO64, aas, 0),
	OP(M1, 0xd4, F_NO64 | F_IMM8U, aam, 0),
	OP(M1, 0xd5, F_NO64 | F_IMM8U, aad, 0),
	OP(M0F, 0x0b, 0, op_ud, 0),   /* UD2 */
	OP(M0F, 0xb9, RM, op_ud, 0),  /* UD1 */
	OP(M0F, 0xff, RM, op_ud, 0),  /* UD0 (Intel: with ModRM) */
	{ 0 },
};
