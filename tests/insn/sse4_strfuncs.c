/* lemu-test: m32 */
/*
 * glibc's string functions as a whole-program check of the SSE2/SSSE3/
 * SSE4.2 code they dispatch to (PCMPISTRI in strcspn/strspn/strpbrk/
 * strcasecmp, PALIGNR/PSHUFB in memmove and strcpy variants, PTEST in
 * memcmp): every function on strings of every length 0..80 at every
 * alignment 0..15 near page ends, with matches at every position.
 * Prints a hash per function and raw results for a sample.
 */
#define _GNU_SOURCE
#include "sse4_common.h"

#include <stdlib.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

static uint8_t *page_end; /* one page before a PROT_NONE guard page */

static char *place(const char *s, size_t len, unsigned align, int at_end)
{
	/* at_end: the NUL is the last byte before the guard page */
	char *p = at_end ? (char *)page_end - len - 1 : (char *)page_end - 4096 + 64 + align;
	memcpy(p, s, len);
	p[len] = 0;
	return p;
}

static void h(long v)
{
	hash_bytes(&v, sizeof(v));
}

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *m = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 1;
	mprotect(m + 2 * pg, pg, PROT_NONE);
	page_end = m + 2 * pg;
	static char a[128], b[128], buf[256];
	static const char alpha[] = "abcABC xyz-_.0123";
	static const char *names[] = { "strlen", "strcmp", "strncmp", "strcasecmp", "strncasecmp",
				       "strchr", "strrchr", "strstr", "strcasestr", "strcspn",
				       "strspn", "strpbrk", "memcmp", "memchr", "memrchr",
				       "strcpy", "memmove", "rawmemchr", "strnlen", "stpcpy" };
	for (unsigned f = 0; f < sizeof(names) / sizeof(names[0]); f++) {
		fnv = 0xcbf29ce484222325ull;
		rng_state = 17 + f;
		printf("%s:", names[f]);
		for (unsigned len = 0; len <= 80; len++)
			for (unsigned al = 0; al < 16; al++) {
				for (unsigned i = 0; i < len; i++)
					a[i] = alpha[rnd64() % (sizeof(alpha) - 1)];
				a[len] = 0;
				memcpy(b, a, len + 1);
				unsigned pos = len ? (unsigned)(rnd64() % len) : 0;
				if (len && (rnd64() & 1))
					b[pos] = (char)(b[pos] ^ ((rnd64() & 1) ? 0x20 : 1));
				int end = (al + len) & 1;
				char *pa = place(a, len, al, end);
				char *pb = (char *)m + 200 + ((al * 5) & 15);
				memcpy(pb, b, len + 1);
				/* a short needle / set taken from a */
				char set[8] = { 0 };
				unsigned sl = len ? 1 + (unsigned)(rnd64() % 5) : 0;
				for (unsigned i = 0; i < sl; i++)
					set[i] = a[(pos + i) % len];
				if (rnd64() % 3 == 0 && sl)
					set[0] = '!';
				char ch = len ? a[pos] : 0;
				long r = 0;
				switch (f) {
				case 0: r = (long)strlen(pa); break;
				case 1: r = strcmp(pa, pb) > 0 ? 1 : strcmp(pa, pb) < 0 ? -1 : 0; break;
				case 2: r = strncmp(pa, pb, pos + 1) > 0 ? 1 : strncmp(pa, pb, pos + 1) < 0 ? -1 : 0; break;
				case 3: r = strcasecmp(pa, pb) > 0 ? 1 : strcasecmp(pa, pb) < 0 ? -1 : 0; break;
				case 4: r = strncasecmp(pa, pb, pos) > 0 ? 1 : strncasecmp(pa, pb, pos) < 0 ? -1 : 0; break;
				case 5: r = strchr(pa, ch) ? strchr(pa, ch) - pa : -1; break;
				case 6: r = strrchr(pa, ch) ? strrchr(pa, ch) - pa : -1; break;
				case 7: r = strstr(pa, set) ? strstr(pa, set) - pa : -1; break;
				case 8: r = strcasestr(pa, set) ? strcasestr(pa, set) - pa : -1; break;
				case 9: r = (long)strcspn(pa, set); break;
				case 10: r = (long)strspn(pa, set); break;
				case 11: r = strpbrk(pa, set) ? strpbrk(pa, set) - pa : -1; break;
				case 12: r = memcmp(pa, pb, len) > 0 ? 1 : memcmp(pa, pb, len) < 0 ? -1 : 0; break;
				case 13: r = memchr(pa, ch, len) ? (char *)memchr(pa, ch, len) - pa : -1; break;
				case 14: r = memrchr(pa, ch, len) ? (char *)memrchr(pa, ch, len) - pa : -1; break;
				case 15:
					strcpy(buf + al, pa);
					hash_bytes(buf + al, len + 1);
					break;
				case 16:
					memcpy(buf, a, len);
					memmove(buf + (pos & 7), buf + al, len);
					hash_bytes(buf, len + 16);
					break;
				case 17: r = (char *)rawmemchr(pa, ch) - pa; break;
				case 18: r = (long)strnlen(pa, pos); break;
				case 19: r = stpcpy(buf + 1 + (al & 7), pa) - buf; break;
				}
				h(r);
				if (al == 3 && len % 16 == 5)
					printf(" %ld", r);
			}
		printf(" h=%016llx\n", (unsigned long long)fnv);
	}
	return 0;
}
