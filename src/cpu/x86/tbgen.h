/* Call-threaded host code for translation blocks (tbgen.c). */
#ifndef LEMU_CPU_X86_TBGEN_H
#define LEMU_CPU_X86_TBGEN_H

#include "cpu.h"

struct tbgen;
struct tbgen *tbgen_new(void);
void tbgen_free(struct tbgen *g);
/* Emit the routine for tb (whose insns are final); NULL = interpret. */
tb_code_fn tbgen_emit(struct tbgen *g, struct tb *tb, const struct cpu *c);
/* Offset of a TB routine's chained entry (see tbgen.c). */
#define TBGEN_CENTRY_OFF 6
/* Make the exit jump at slot (c->last_exit) go straight to next's code. */
void tbgen_link(uint8_t *slot, struct tb *next);

#endif
