/* lemu-test: m32 */
/*
 * Unmasked x87 exceptions: each of #I, #D, #Z, #O, #U, #P (and a stack
 * fault) unmasked in turn; the faulting instruction sets ES/B and the next
 * waiting instruction (FWAIT) raises #MF, which Linux delivers as SIGFPE
 * with an si_code derived from the status word.  Also prints what the
 * faulting instruction left behind (FNSTSW/FNSTENV before the FWAIT: flags,
 * FOP, destination untouched or bias-adjusted) and that FNCLEX defuses a
 * pending exception.
 */
#include "x87_common.h"

struct tcase {
	const char *name;
	uint16_t cw;
	int op;
};

static void run(const struct tcase *t)
{
	static uint8_t env[28];
	static f80 top;
	static uint16_t sw;
	memset(env, 0, sizeof(env));
	memset(&top, 0, sizeof(top));
	const f80 *big = &edges[15], *tiny = &edges[17], *denorm = &edges[10];
	TRY({
		switch (t->op) {
		case 0: /* invalid: sqrt(-1) */
			__asm__ volatile("fninit\n\tfldcw %[cw]\n\tfld1\n\tfchs\n\tfsqrt\n\tfnstsw %[sw]\n\tfnstenv %[env]\n\t"
					 "fldenv %[env]\n\tfwait"
					 : [sw] "=m"(sw), [env] "=m"(env) : [cw] "m"(t->cw));
			break;
		case 1: /* denormal operand */
			__asm__ volatile("fninit\n\tfldcw %[cw]\n\tfld1\n\tfldt %[d]\n\tfadd %%st(1), %%st\n\tfnstsw %[sw]\n\t"
					 "fnstenv %[env]\n\tfldenv %[env]\n\tfwait"
					 : [sw] "=m"(sw), [env] "=m"(env) : [cw] "m"(t->cw), [d] "m"(*denorm));
			break;
		case 2: /* divide by zero */
			__asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldz\n\tfld1\n\tfdivp\n\tfnstsw %[sw]\n\tfnstenv %[env]\n\t"
					 "fldenv %[env]\n\tfwait"
					 : [sw] "=m"(sw), [env] "=m"(env) : [cw] "m"(t->cw));
			break;
		case 3: /* overflow: largest * largest, result bias-adjusted when unmasked */
			__asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[b]\n\tfmul %%st(0), %%st\n\tfnstsw %[sw]\n\t"
					 "fnstenv %[env]\n\tfldenv %[env]\n\tfstpt %[top]\n\tfwait"
					 : [sw] "=m"(sw), [env] "=m"(env), [top] "=m"(top) : [cw] "m"(t->cw), [b] "m"(*big));
			break;
		case 4: /* underflow: smallest normal squared */
			__asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[b]\n\tfmul %%st(0), %%st\n\tfnstsw %[sw]\n\t"
					 "fnstenv %[env]\n\tfldenv %[env]\n\tfstpt %[top]\n\tfwait"
					 : [sw] "=m"(sw), [env] "=m"(env), [top] "=m"(top) : [cw] "m"(t->cw), [b] "m"(*tiny));
			break;
		case 5: /* precision: 1/3 */
			__asm__ volatile("fninit\n\tfldcw %[cw]\n\tfld1\n\tfld1\n\tfld1\n\tfaddp\n\tfld1\n\tfaddp\n\tfdivrp\n\t"
					 "fnstsw %[sw]\n\tfnstenv %[env]\n\tfldenv %[env]\n\tfstpt %[top]\n\tfwait"
					 : [sw] "=m"(sw), [env] "=m"(env), [top] "=m"(top) : [cw] "m"(t->cw));
			break;
		case 6: /* stack underflow */
			__asm__ volatile("fninit\n\tfldcw %[cw]\n\tfadd %%st(3), %%st\n\tfnstsw %[sw]\n\tfnstenv %[env]\n\t"
					 "fldenv %[env]\n\tfwait"
					 : [sw] "=m"(sw), [env] "=m"(env) : [cw] "m"(t->cw));
			break;
		case 7: /* pending exception defused by FNCLEX */
			__asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldz\n\tfld1\n\tfdivp\n\tfnstsw %[sw]\n\tfnclex\n\t"
					 "fnstenv %[env]\n\tfldenv %[env]\n\tfwait"
					 : [sw] "=m"(sw), [env] "=m"(env) : [cw] "m"(t->cw));
			break;
		}
	});
	uint16_t fop = (uint16_t)((env[18] | (env[19] << 8)) & 0x7ff);
	printf("%s: sig=%d code=%d sw=%04x env.cw=%02x%02x env.sw=%02x%02x env.tw=%02x%02x fop=%03x top=",
	       t->name, fault_sig, fault_sig ? fault_code : 0, sw, env[1], env[0], env[5], env[4], env[9],
	       env[8], fop);
	p80(&top);
	printf("\n");
	__asm__ volatile("fninit");
}

int main(void)
{
	fault_setup();
	static const struct tcase cases[] = {
		{ "invalid", 0x037e, 0 }, { "denormal", 0x037d, 1 }, { "zerodiv", 0x037b, 2 },
		{ "overflow", 0x0377, 3 }, { "underflow", 0x036f, 4 }, { "precision", 0x035f, 5 },
		{ "stack", 0x037e, 6 }, { "fnclex", 0x037b, 7 },
		{ "invalid-masked", 0x037f, 0 }, { "overflow-masked", 0x037f, 3 },
		{ "underflow-masked", 0x037f, 4 }, { "all-unmasked-zerodiv", 0x0340, 2 },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run(&cases[i]);
	return 0;
}
