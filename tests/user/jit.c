/* Guest self-modifying code test: code written into an RWX buffer is run,
 * rewritten and run again, on a separate page and on the page of the
 * running code itself; also a W^X style (mprotect) JIT. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef int (*fn_t)(void);

/* mov eax, imm32 ; ret */
static void emit_ret_imm(uint8_t *p, int v)
{
	p[0] = 0xb8;
	memcpy(p + 1, &v, 4);
	p[5] = 0xc3;
}

int main(void)
{
	uint8_t *buf = mmap(NULL, 8192, PROT_READ | PROT_WRITE | PROT_EXEC,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fn_t f = (fn_t)buf;
	int sum = 0;
	for (int i = 0; i < 100; i++) {
		emit_ret_imm(buf, i);
		sum += f();
	}
	printf("separate page: sum=%d\n", sum);

	/* Code that patches its own immediate on the same page and then
	 * executes the patched instruction:
	 *   lea rcx,[rip+patch]   (48 8d 0d rel32)
	 *   mov dword [rcx+1], edi (89 79 01)
	 * patch: mov eax, 0 (b8 00 00 00 00)
	 *   ret (c3)                                          */
	uint8_t *q = buf + 4096 + 100;
	const uint8_t code[] = { 0x48, 0x8d, 0x0d, 0x03, 0x00, 0x00, 0x00, 0x89, 0x79, 0x01,
				 0xb8, 0x00, 0x00, 0x00, 0x00, 0xc3 };
	memcpy(q, code, sizeof(code));
	int (*g)(int) = (int (*)(int))q;
	int s2 = 0;
	for (int i = 1; i <= 50; i++)
		s2 += g(i);
	printf("same page self-patch: sum=%d\n", s2);

	/* patch the following instruction inside one straight-line block:
	 *   mov byte [rip+1], dil ... target is the imm8 of "mov al, imm8" */
	const uint8_t code2[] = { 0x31, 0xc0,                         /* xor eax,eax */
				  0x40, 0x88, 0x3d, 0x01, 0x00, 0x00, 0x00, /* mov [rip+1], dil */
				  0xb0, 0x00,                         /* mov al, 0 */
				  0xc3 };
	uint8_t *r = buf + 4096 + 1024;
	memcpy(r, code2, sizeof(code2));
	int (*h)(int) = (int (*)(int))r;
	int s3 = 0;
	for (int i = 1; i <= 20; i++)
		s3 += h(i);
	printf("next-insn patch: sum=%d\n", s3);

	/* W^X: write, mprotect RX, run, back to RW, rewrite, run */
	uint8_t *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int s4 = 0;
	for (int i = 0; i < 10; i++) {
		mprotect(w, 4096, PROT_READ | PROT_WRITE);
		emit_ret_imm(w, i * 3);
		mprotect(w, 4096, PROT_READ | PROT_EXEC);
		s4 += ((fn_t)w)();
	}
	printf("w^x: sum=%d\n", s4);

	/* read() into a code page that has been executed */
	emit_ret_imm(buf, 1);
	int before = f();
	int fds[2];
	if (pipe(fds))
		return 1;
	uint8_t nc[6];
	emit_ret_imm(nc, 77);
	if (write(fds[1], nc, 6) != 6)
		return 1;
	if (read(fds[0], buf, 6) != 6)
		return 1;
	printf("read into code: before=%d after=%d\n", before, f());
	return 0;
}
