/* Text of figures: a small markup for sub- and superscripts ('_x',
 * '^{xy}', '\\' escapes), split into runs and typeset with Cairo's toy
 * font API -- measured, drawn, or turned into outlines.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "plot_private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RUNS 32

enum { RUN_BASE, RUN_SUB, RUN_SUP };

typedef struct {
  char text[128];
  int kind;
  int stack; /* starts where the previous script run started */
} run;

/* Length of the UTF-8 sequence starting with byte c. */
static size_t utf8_len(unsigned char c)
{
  return c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

static void run_append(run *r, const char *s, size_t n)
{
  size_t len = strlen(r->text);
  if (len + n < sizeof r->text) {
    memcpy(r->text + len, s, n);
    r->text[len + n] = '\0';
  }
}

/* Appends the character at m (after a '\\' escape, the one it escapes,
 * a whole UTF-8 sequence) to r; returns the markup that follows it. */
static const char *take_char(run *r, const char *m)
{
  if (*m == '\\' && m[1])
    m++;
  size_t l = utf8_len((unsigned char)*m);
  run_append(r, m, l);
  for (size_t k = 0; k < l && *m; k++)
    m++;
  return m;
}

/* Split markup into runs; returns their number. */
static size_t parse_markup(const char *m, run *runs, size_t max)
{
  size_t n = 0;
  if (!m || !max)
    return 0;
  runs[0].text[0] = '\0';
  runs[0].kind = RUN_BASE;
  runs[0].stack = 0;
  n = 1;
  while (*m) {
    if ((*m == '_' || *m == '^') && m[1]) {
      int kind = *m == '_' ? RUN_SUB : RUN_SUP;
      m++;
      if (n >= max)
        break;
      run *r = &runs[n++];
      r->text[0] = '\0';
      r->kind = kind;
      /* Stack when it immediately follows a script of the other kind. */
      r->stack = n >= 2 && runs[n - 2].kind != RUN_BASE && runs[n - 2].kind != kind;
      if (*m == '{') {
        m++;
        while (*m && *m != '}')
          m = take_char(r, m);
        if (*m == '}')
          m++;
      } else {
        m = take_char(r, m);
      }
      continue;
    }
    if (runs[n - 1].kind != RUN_BASE) {
      if (n >= max)
        break;
      run *r = &runs[n++];
      r->text[0] = '\0';
      r->kind = RUN_BASE;
      r->stack = 0;
    }
    m = take_char(&runs[n - 1], m);
  }
  return n;
}

char *sp_plot_markup_plain(const char *markup)
{
  if (!markup)
    return NULL;
  size_t n = strlen(markup) + 1;
  char *out = malloc(n), *o = out;
  if (!out)
    return NULL;
  for (const char *m = markup; *m; m++) {
    if (*m == '\\' && m[1])
      m++;
    else if ((*m == '_' || *m == '^') && m[1])
      continue;
    else if (*m == '{' || *m == '}')
      continue;
    *o++ = *m;
  }
  *o = '\0';
  return out;
}

static void set_font(cairo_t *cr, const char *family, double size)
{
  cairo_select_font_face(cr, family, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

/* Typeset `markup` at `size` with its baseline starting at (x, y):
 * measure, draw, or append glyph outlines to the path. */
tbox sp_plot_typeset(const pen *pe, const char *markup, double size, double x, double y, int mode)
{
  run runs[MAX_RUNS];
  tbox b = {0.0, 0.0, 0.0};
  size_t n = parse_markup(markup, runs, MAX_RUNS);
  double pen_x = 0.0, script_x = 0.0, script_w = 0.0;
  for (size_t i = 0; i < n; i++) {
    const run *r = &runs[i];
    if (!r->text[0])
      continue;
    double sz = r->kind == RUN_BASE ? size : size * SCRIPT_SCALE;
    double dy = r->kind == RUN_SUP ? -SUP_RAISE * size : r->kind == RUN_SUB ? SUB_DROP * size : 0.0;
    set_font(pe->cr, pe->family, sz);
    cairo_text_extents_t e;
    cairo_text_extents(pe->cr, r->text, &e);
    double start = pen_x;
    if (r->stack) {
      start = script_x;
    }
    if (mode != TEXT_MEASURE) {
      cairo_move_to(pe->cr, x + start, y + dy);
      if (mode == TEXT_SHOW)
        cairo_show_text(pe->cr, r->text);
      else
        cairo_text_path(pe->cr, r->text);
    }
    if (e.width > 0.0 || e.height > 0.0) {
      b.asc = fmax(b.asc, -(dy + e.y_bearing));
      b.desc = fmax(b.desc, dy + e.y_bearing + e.height);
    }
    /* A little air after a script before more base text. */
    double adv = e.x_advance + (r->kind != RUN_BASE ? 0.04 * size : 0.0);
    if (r->stack) {
      script_w = fmax(script_w, adv);
      pen_x = script_x + script_w;
    } else {
      if (r->kind != RUN_BASE) {
        script_x = start;
        script_w = adv;
      }
      pen_x = start + adv;
    }
  }
  b.w = pen_x;
  return b;
}

tbox sp_plot_measure(const pen *pe, const char *markup, double size)
{
  return sp_plot_typeset(pe, markup, size, 0.0, 0.0, TEXT_MEASURE);
}

/* Text rotated by -90 degrees (reading upwards), centred on y = cy, with
 * its baseline on x = bx. */
void sp_plot_show_vertical(const pen *pe, const char *markup, double size, double bx, double cy)
{
  tbox b = sp_plot_measure(pe, markup, size);
  cairo_save(pe->cr);
  cairo_translate(pe->cr, bx, cy);
  cairo_rotate(pe->cr, -M_PI / 2.0);
  sp_plot_typeset(pe, markup, size, -b.w / 2.0, 0.0, TEXT_SHOW);
  cairo_restore(pe->cr);
}

/* Text in white with a dark outline, baseline at (x, y). */
void sp_plot_show_outlined(const pen *pe, const char *markup, double size, double x, double y)
{
  cairo_t *cr = pe->cr;
  cairo_new_path(cr);
  sp_plot_typeset(pe, markup, size, x, y, TEXT_PATH);
  cairo_set_dash(cr, NULL, 0, 0.0);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_source_rgba(cr, 0.08, 0.08, 0.12, 0.85);
  cairo_set_line_width(cr, 0.28 * size);
  cairo_stroke(cr);
  cairo_set_source_rgb(cr, 1.0, 1.0, 1.0);
  sp_plot_typeset(pe, markup, size, x, y, TEXT_SHOW);
}

void sp_plot_configure(cairo_t *cr)
{
  cairo_font_options_t *fo = cairo_font_options_create();
  cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
  cairo_set_font_options(cr, fo);
  cairo_font_options_destroy(fo);
}
