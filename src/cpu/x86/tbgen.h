/* Call-threaded host code for translation blocks (tbgen.c). */
#ifndef LEMU_CPU_X86_TBGEN_H
#define LEMU_CPU_X86_TBGEN_H

#include "cpu.h"

struct tbgen;
struct tbgen *tbgen_new(void);
void tbgen_free(struct tbgen *g);
/* Emit the routine for tb (whose insns are final); NULL = interpret. */
tb_code_fn tbgen_emit(struct tbgen *g, struct tb *tb, const struct cpu *c);
/* The current epoch's code budget is used up: the caller should flush every
 * TB, then tbgen_retire_code() (see tbgen.c). */
int tbgen_full(struct tbgen *g);
/* Set every chunk of the current epoch aside; 0 if the previous epoch's
 * chunks are still awaiting release (then nothing is done). */
int tbgen_retire_code(struct tbgen *g);
/* No vCPU can be running or jumping into retired code any more: reuse it. */
void tbgen_release_code(struct tbgen *g);
void tbgen_stats(struct tbgen *g, size_t *mapped, size_t *used);
/* Offset of a TB routine's chained entry (see tbgen.c). */
#define TBGEN_CENTRY_OFF 6
/* Make the exit jump at slot (c->last_exit) go straight to next's code. */
void tbgen_link(uint8_t *slot, struct tb *next);

#endif
