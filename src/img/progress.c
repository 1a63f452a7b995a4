/*
 * The -p progress bar: "    (12.50/100%)\r" lines, printed again only when the
 * value has moved by at least one percent (and always for 100%), then a newline at
 * the end, as qemu-img does. img_progress_done() is the final "100%" that convert,
 * rebase, commit and amend print before the newline.
 */
#include "img/img.h"

void img_progress_init(struct img_progress *p, bool enabled, FILE *out)
{
	p->enabled = enabled;
	p->out = out;
	p->last = -1;
	p->min_step = 1.0;
	img_progress_print(p, 0);
}

void img_progress_print(struct img_progress *p, double percent)
{
	if (!p->enabled)
		return;
	if (percent > 100)
		percent = 100;
	if (p->last >= 0 && percent < p->last + p->min_step && percent != 100)
		return;
	p->last = percent;
	fprintf(p->out, "    (%3.2f/100%%)\r", percent);
	fflush(p->out);
}

void img_progress_update(struct img_progress *p, uint64_t done, uint64_t total)
{
	img_progress_print(p, total ? (double)done * 100.0 / (double)total : 100.0);
}

void img_progress_end(struct img_progress *p)
{
	if (!p->enabled)
		return;
	fputc('\n', p->out);
	fflush(p->out);
}

void img_progress_done(struct img_progress *p)
{
	if (!p->enabled)
		return;
	p->last = -1;
	img_progress_print(p, 100);
	img_progress_end(p);
}
