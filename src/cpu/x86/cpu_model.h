/* CPU models (QEMU's names) and -cpu option parsing. */
#ifndef LEMU_CPU_X86_CPU_MODEL_H
#define LEMU_CPU_X86_CPU_MODEL_H

#include "cpu.h"

#include <stdio.h>

#define LEMU_CPU_VERSION "1"

struct cpu_model {
	const char *name;
	const char *desc;
	const char *vendor;
	uint32_t family, model, stepping;
	uint32_t level, xlevel;
	const char *model_id;
	const uint32_t *features; /* FW_NB words */
};

struct cpu_feature_name {
	const char *name;
	uint8_t word, bit;
};

/* Result of parsing "-cpu NAME,+feat,-feat,feat=on|off". */
struct cpu_config {
	const struct cpu_model *model;
	uint32_t features[FW_NB];
};

extern const struct cpu_model cpu_models[];
extern const struct cpu_feature_name cpu_feature_names[];

const struct cpu_model *cpu_model_find(const char *name);
void cpu_model_list(FILE *out);
int cpu_config_parse(struct cpu_config *cfg, const char *spec, char *err, size_t errlen);
/* Apply a parsed configuration to a CPU after cpu_init(). */
static inline void cpu_apply_config(struct cpu *c, const struct cpu_config *cfg)
{
	memcpy(c->features, cfg->features, sizeof(c->features));
}

#endif
