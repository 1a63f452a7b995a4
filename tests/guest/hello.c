/* The smallest guest: prints, checks the multiboot hand-over, exits. */
#include "guest.h"

extern uint32_t mb_magic;

int main(void)
{
	printf("multiboot magic 0x%x\n", mb_magic);
	printf("cr0 PE=%lu PG=%lu\n", read_cr0() & 1, read_cr0() >> 31);
	printf("numbers: %d %u %x %08x %s %c\n", -42, 42u, 0xbeefu, 0x1234u, "str", 'c');
	return 0;
}
