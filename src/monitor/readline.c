/*
 * The human monitor's line editor: insert/delete at the cursor, Ctrl-A/E
 * (home/end), Ctrl-B/F (left/right), Ctrl-K/U/W (kill), Ctrl-D (delete),
 * up/down (history), over the VT100 keys a terminal sends (ESC [ A ...,
 * ESC [ 1 ~ home, ESC [ 3 ~ delete, ESC O H/F).  Echo is written as VT100
 * sequences: plain characters at the end of the line, a redraw of the
 * tail (ESC [ K, ESC [ D) when the line changes in the middle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor_int.h"

static void move_left(struct strbuf *e, int n)
{
	for (int i = 0; i < n; i++)
		sb_add(e, "\033[D", 3);
}

/* Redraw from position `from` to the end, clear the rest, put the cursor back. */
static void redraw_tail(struct readline *rl, int from, struct strbuf *e)
{
	sb_add(e, rl->buf + from, (size_t)(rl->len - from));
	sb_add(e, "\033[K", 3);
	move_left(e, rl->len - rl->pos);
}

static void set_line(struct readline *rl, const char *s, struct strbuf *e)
{
	move_left(e, rl->pos);
	size_t n = strlen(s);
	if (n >= RL_MAX_LINE)
		n = RL_MAX_LINE - 1;
	memcpy(rl->buf, s, n);
	rl->len = rl->pos = (int)n;
	rl->buf[n] = 0;
	redraw_tail(rl, 0, e);
}

static void insert(struct readline *rl, char c, struct strbuf *e)
{
	if (rl->len >= RL_MAX_LINE - 1)
		return;
	memmove(rl->buf + rl->pos + 1, rl->buf + rl->pos, (size_t)(rl->len - rl->pos));
	rl->buf[rl->pos] = c;
	rl->len++;
	rl->pos++;
	if (rl->pos == rl->len) {
		sb_add(e, &c, 1);
	} else {
		sb_add(e, &c, 1);
		redraw_tail(rl, rl->pos, e);
	}
}

static void delete_range(struct readline *rl, int from, int to, struct strbuf *e)
{
	if (from >= to)
		return;
	move_left(e, rl->pos - from);
	memmove(rl->buf + from, rl->buf + to, (size_t)(rl->len - to));
	rl->len -= to - from;
	rl->pos = from;
	redraw_tail(rl, from, e);
}

static void history_add(struct readline *rl, const char *line)
{
	if (!*line)
		return;
	if (rl->nhist && !strcmp(rl->hist[rl->nhist - 1], line))
		return;
	if (rl->nhist == RL_MAX_HIST) {
		free(rl->hist[0]);
		memmove(rl->hist, rl->hist + 1, sizeof(rl->hist[0]) * (RL_MAX_HIST - 1));
		rl->nhist--;
	}
	char *dup = strdup(line);
	if (dup)
		rl->hist[rl->nhist++] = dup;
}

static void history_move(struct readline *rl, int dir, struct strbuf *e)
{
	int p = rl->hist_pos + dir;
	if (p < 0 || p > rl->nhist)
		return;
	rl->hist_pos = p;
	set_line(rl, p == rl->nhist ? "" : rl->hist[p], e);
}

static void key(struct readline *rl, int k, struct strbuf *e)
{
	switch (k) {
	case 'A': history_move(rl, -1, e); break; /* up */
	case 'B': history_move(rl, 1, e); break;  /* down */
	case 'C':                                 /* right */
		if (rl->pos < rl->len) {
			sb_add(e, "\033[C", 3);
			rl->pos++;
		}
		break;
	case 'D': /* left */
		if (rl->pos > 0) {
			move_left(e, 1);
			rl->pos--;
		}
		break;
	case 'H': /* home */
		move_left(e, rl->pos);
		rl->pos = 0;
		break;
	case 'F': /* end */
		sb_add(e, rl->buf + rl->pos, (size_t)(rl->len - rl->pos));
		rl->pos = rl->len;
		break;
	case 'X': /* delete */ delete_range(rl, rl->pos, rl->pos + (rl->pos < rl->len), e); break;
	}
}

int readline_feed(struct readline *rl, uint8_t ch, struct strbuf *e, char *line, size_t size)
{
	if (rl->hist_pos > rl->nhist || rl->hist_pos < 0)
		rl->hist_pos = rl->nhist;
	if (rl->esc == 1) {
		rl->esc = (ch == '[' || ch == 'O') ? 2 : 0;
		rl->esc_arg = 0;
		return 0;
	}
	if (rl->esc == 2) {
		if (ch >= '0' && ch <= '9') {
			rl->esc_arg = rl->esc_arg * 10 + (ch - '0');
			return 0;
		}
		rl->esc = 0;
		if (ch == '~')
			key(rl,
			    rl->esc_arg == 1 || rl->esc_arg == 7 ? 'H' :
			    rl->esc_arg == 4 || rl->esc_arg == 8 ? 'F' :
			    rl->esc_arg == 3                     ? 'X' :
			                                           0,
			    e);
		else
			key(rl, ch, e);
		return 0;
	}
	/* CR LF from a terminal or a socket is one Enter */
	if (ch == '\n' && rl->last_cr) {
		rl->last_cr = false;
		return 0;
	}
	rl->last_cr = ch == '\r';
	switch (ch) {
	case '\r':
	case '\n': {
		rl->buf[rl->len] = 0;
		snprintf(line, size, "%s", rl->buf);
		history_add(rl, rl->buf);
		rl->hist_pos = rl->nhist;
		rl->len = rl->pos = 0;
		sb_add(e, "\r\n", 2);
		return 1;
	}
	case 27: rl->esc = 1; break;
	case 1: key(rl, 'H', e); break;                        /* ^A */
	case 5: key(rl, 'F', e); break;                        /* ^E */
	case 2: key(rl, 'D', e); break;                        /* ^B */
	case 6: key(rl, 'C', e); break;                        /* ^F */
	case 16: key(rl, 'A', e); break;                       /* ^P */
	case 14: key(rl, 'B', e); break;                       /* ^N */
	case 4: key(rl, 'X', e); break;                        /* ^D */
	case 11: delete_range(rl, rl->pos, rl->len, e); break; /* ^K */
	case 21: delete_range(rl, 0, rl->pos, e); break;       /* ^U */
	case 23: {                                             /* ^W: the word before the cursor */
		int p = rl->pos;
		while (p > 0 && rl->buf[p - 1] == ' ')
			p--;
		while (p > 0 && rl->buf[p - 1] != ' ')
			p--;
		delete_range(rl, p, rl->pos, e);
		break;
	}
	case 8:
	case 127:
		if (rl->pos > 0)
			delete_range(rl, rl->pos - 1, rl->pos, e);
		break;
	default:
		if (ch >= 32 && ch < 127)
			insert(rl, (char)ch, e);
		break;
	}
	return 0;
}

void readline_free(struct readline *rl)
{
	for (int i = 0; i < rl->nhist; i++)
		free(rl->hist[i]);
	rl->nhist = 0;
}
