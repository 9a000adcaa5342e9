/* Figures with Cairo: panels with heat maps, colorbars, curves, error
 * bars, legends; one drawing routine for PNG, PDF and SVG.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/plot.h"
#include "sigprop/status.h"
#include "sigprop/utf8.h"

#include <cairo.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PANELS 64
#define MAX_TICKS 64
#define LABEL_LEN 64
#define MAX_RUNS 32

/* Typographic constants, in points or as fractions of the base size. */
#define PAD 4.0          /* figure edge to content */
#define TICK_LEN 3.5     /* tick marks, outward */
#define TICK_GAP 2.5     /* tick mark to its label */
#define LABEL_GAP 4.0    /* tick labels to the axis label */
#define FRAME_WIDTH 0.7
#define CBAR_GAP 7.0     /* axes box to colorbar */
#define CBAR_WIDTH 8.0
#define SAMPLE_LEN 20.0  /* legend line sample */
#define SCRIPT_SCALE 0.7
#define SUP_RAISE 0.42
#define SUB_DROP 0.2

/* ---- the figure's data ------------------------------------------------ */

typedef struct {
  char *label;
  sp_scale scale;
  double min, max; /* NaN: automatic */
} axis_spec;

typedef struct {
  size_t n;
  double *x, *y, *e;
  sp_plot_style st;
  char *label;
} series;

typedef struct {
  size_t nx, ny;
  double *z;
  double x0, x1, y0, y1;
  const sp_colormap *cm;
  double zmin, zmax;
  char *zlabel;
} heatmap;

typedef struct {
  unsigned char *mask;
  char *text;
} region;

typedef struct {
  axis_spec ax[2];
  heatmap *heat;
  series *ser;
  size_t nser, cap;
  region *reg;
  size_t nreg;
  char *title;
  sp_legend legend;
  size_t ncolor;
} panel;

struct sp_plot {
  int status;
  double w, h;
  size_t rows, cols, npanels;
  panel *pan;
  char *title;
  char *family;
  double fsize;
};

static const double palette[][3] = {
  {0.000, 0.447, 0.698}, /* blue */
  {0.835, 0.369, 0.000}, /* vermillion */
  {0.000, 0.620, 0.451}, /* bluish green */
  {0.800, 0.475, 0.655}, /* reddish purple */
  {0.902, 0.624, 0.000}, /* orange */
  {0.337, 0.706, 0.914}, /* sky blue */
  {0.000, 0.000, 0.000}, /* black */
};
#define NPALETTE (sizeof palette / sizeof palette[0])

/* A copy of every text of the figure, repaired to well-formed UTF-8 (each
 * stray byte becomes U+FFFD) so Cairo draws it and SVG and PDF carry it. */
static char *dup_or_null(const char *s)
{
  if (!s || !*s)
    return NULL;
  return sp_utf8_dup(s);
}

static double *dup_doubles(const double *a, size_t n)
{
  double *d = malloc(n * sizeof *d);
  if (d)
    memcpy(d, a, n * sizeof *d);
  return d;
}

/* Record and return the first error. */
static int fail(sp_plot *p, int status)
{
  if (p && !p->status)
    p->status = status;
  return p ? p->status : status;
}

void sp_plot_style_default(sp_plot_style *s)
{
  s->color[0] = -1.0;
  s->color[1] = s->color[2] = 0.0;
  s->width = 1.2;
  s->line = SP_LINE_SOLID;
  s->marker = SP_MARKER_NONE;
  s->marker_size = 4.5;
  s->halo = 0.0;
  s->halo_color[0] = s->halo_color[1] = s->halo_color[2] = 1.0;
}

int sp_plot_alloc(double width, double height, size_t rows, size_t cols, sp_plot **out)
{
  if (!out)
    return SP_EINVAL;
  *out = NULL;
  if (!(width >= 36.0 && width <= 14400.0 && height >= 36.0 && height <= 14400.0))
    return SP_EINVAL;
  if (rows < 1 || cols < 1 || rows > MAX_PANELS || cols > MAX_PANELS || rows * cols > MAX_PANELS)
    return SP_EINVAL;
  sp_plot *p = calloc(1, sizeof *p);
  if (!p)
    return SP_ENOMEM;
  p->w = width;
  p->h = height;
  p->rows = rows;
  p->cols = cols;
  p->npanels = rows * cols;
  p->pan = calloc(p->npanels, sizeof *p->pan);
  p->family = dup_or_null("DejaVu Sans");
  p->fsize = 7.5;
  if (!p->pan || !p->family) {
    sp_plot_free(p);
    return SP_ENOMEM;
  }
  for (size_t i = 0; i < p->npanels; i++)
    for (int a = 0; a < 2; a++) {
      p->pan[i].ax[a].scale = SP_SCALE_LINEAR;
      p->pan[i].ax[a].min = p->pan[i].ax[a].max = NAN;
    }
  *out = p;
  return SP_OK;
}

void sp_plot_free(sp_plot *p)
{
  if (!p)
    return;
  for (size_t i = 0; p->pan && i < p->npanels; i++) {
    panel *pn = &p->pan[i];
    free(pn->ax[0].label);
    free(pn->ax[1].label);
    if (pn->heat) {
      free(pn->heat->z);
      free(pn->heat->zlabel);
      free(pn->heat);
    }
    for (size_t k = 0; k < pn->nser; k++) {
      free(pn->ser[k].x);
      free(pn->ser[k].y);
      free(pn->ser[k].e);
      free(pn->ser[k].label);
    }
    free(pn->ser);
    for (size_t k = 0; k < pn->nreg; k++) {
      free(pn->reg[k].mask);
      free(pn->reg[k].text);
    }
    free(pn->reg);
    free(pn->title);
  }
  free(p->pan);
  free(p->title);
  free(p->family);
  free(p);
}

int sp_plot_status(const sp_plot *p)
{
  return p ? p->status : SP_EINVAL;
}

/* Common entry check: NULL, sticky error, panel index. */
static int check(sp_plot *p, size_t panel_index, panel **pn)
{
  if (!p)
    return SP_EINVAL;
  if (p->status)
    return p->status;
  if (pn) {
    if (panel_index >= p->npanels)
      return fail(p, SP_EINVAL);
    *pn = &p->pan[panel_index];
  }
  return SP_OK;
}

/* Replace *slot by a copy of s (NULL/"" clears). */
static int set_string(sp_plot *p, char **slot, const char *s)
{
  char *d = dup_or_null(s);
  if (s && *s && !d)
    return fail(p, SP_ENOMEM);
  free(*slot);
  *slot = d;
  return SP_OK;
}

int sp_plot_raster_size(const sp_plot *p, double dpi, double *px, double *py)
{
  if (!p || !px || !py || !(dpi > 0.0 && dpi < HUGE_VAL))
    return SP_EINVAL;
  double k = dpi / 72.0;
  *px = ceil(p->w * k - 1e-9);
  *py = ceil(p->h * k - 1e-9);
  return SP_OK;
}

int sp_plot_set_font(sp_plot *p, const char *family, double size)
{
  int s = check(p, 0, NULL);
  if (s)
    return s;
  if (!(size >= 4.0 && size <= 72.0))
    return fail(p, SP_EINVAL);
  if (family && (s = set_string(p, &p->family, family)))
    return s;
  p->fsize = size;
  return SP_OK;
}

int sp_plot_set_title(sp_plot *p, const char *markup)
{
  int s = check(p, 0, NULL);
  return s ? s : set_string(p, &p->title, markup);
}

int sp_plot_set_panel_title(sp_plot *p, size_t i, const char *markup)
{
  panel *pn;
  int s = check(p, i, &pn);
  return s ? s : set_string(p, &pn->title, markup);
}

int sp_plot_set_axis(sp_plot *p, size_t i, char axis, const char *label, sp_scale scale,
                     double min, double max)
{
  panel *pn;
  int s = check(p, i, &pn);
  if (s)
    return s;
  if ((axis != 'x' && axis != 'y') || (scale != SP_SCALE_LINEAR && scale != SP_SCALE_LOG))
    return fail(p, SP_EINVAL);
  if ((!isnan(min) && !isfinite(min)) || (!isnan(max) && !isfinite(max)))
    return fail(p, SP_EDOM);
  if (!isnan(min) && !isnan(max) && !(min < max))
    return fail(p, SP_EDOM);
  if (scale == SP_SCALE_LOG && (min <= 0.0 || max <= 0.0))
    return fail(p, SP_EDOM);
  axis_spec *a = &pn->ax[axis == 'y'];
  if ((s = set_string(p, &a->label, label)))
    return s;
  a->scale = scale;
  a->min = min;
  a->max = max;
  return SP_OK;
}

int sp_plot_heatmap(sp_plot *p, size_t i, size_t nx, size_t ny, const double *z, double x0,
                    double x1, double y0, double y1, const sp_colormap *cm, double zmin,
                    double zmax, const char *zlabel)
{
  panel *pn;
  int s = check(p, i, &pn);
  if (s)
    return s;
  if (!z || !cm || cm->n < 2 || nx < 1 || ny < 1 || nx > 32767 || ny > 32767 || pn->heat)
    return fail(p, SP_EINVAL);
  if (!(zmin < zmax) || !isfinite(zmin) || !isfinite(zmax) || !isfinite(x0) || !isfinite(x1)
      || !isfinite(y0) || !isfinite(y1) || (nx > 1 && !(x0 < x1)) || (ny > 1 && !(y0 < y1)))
    return fail(p, SP_EDOM);
  if ((pn->ax[0].scale == SP_SCALE_LOG && !(x0 > 0.0))
      || (pn->ax[1].scale == SP_SCALE_LOG && !(y0 > 0.0)))
    return fail(p, SP_EDOM);
  heatmap *h = calloc(1, sizeof *h);
  if (!h)
    return fail(p, SP_ENOMEM);
  *h = (heatmap){nx, ny, dup_doubles(z, nx * ny), x0, x1, y0, y1, cm, zmin, zmax,
                 dup_or_null(zlabel)};
  if (!h->z || (zlabel && *zlabel && !h->zlabel)) {
    free(h->z);
    free(h->zlabel);
    free(h);
    return fail(p, SP_ENOMEM);
  }
  pn->heat = h;
  return SP_OK;
}

int sp_plot_series(sp_plot *p, size_t i, size_t n, const double *x, const double *y,
                   const double *yerr, const sp_plot_style *style, const char *label)
{
  panel *pn;
  int s = check(p, i, &pn);
  if (s)
    return s;
  if (!x || !y || n == 0)
    return fail(p, SP_EINVAL);
  sp_plot_style st;
  if (style)
    st = *style;
  else
    sp_plot_style_default(&st);
  if (!(st.width > 0.0) || !(st.marker_size > 0.0) || !(st.halo >= 0.0)
      || (unsigned)st.line > SP_LINE_NONE || (unsigned)st.marker > SP_MARKER_STAR)
    return fail(p, SP_EDOM);
  if (st.color[0] < 0.0) {
    memcpy(st.color, palette[pn->ncolor % NPALETTE], sizeof st.color);
    pn->ncolor++;
  }
  if (pn->nser == pn->cap) {
    size_t cap = pn->cap ? 2 * pn->cap : 8;
    series *ns = realloc(pn->ser, cap * sizeof *ns);
    if (!ns)
      return fail(p, SP_ENOMEM);
    pn->ser = ns;
    pn->cap = cap;
  }
  series *se = &pn->ser[pn->nser];
  *se = (series){n, dup_doubles(x, n), dup_doubles(y, n), yerr ? dup_doubles(yerr, n) : NULL,
                 st, dup_or_null(label)};
  if (!se->x || !se->y || (yerr && !se->e) || (label && *label && !se->label)) {
    free(se->x);
    free(se->y);
    free(se->e);
    free(se->label);
    return fail(p, SP_ENOMEM);
  }
  pn->nser++;
  return SP_OK;
}

int sp_plot_region_label(sp_plot *p, size_t i, size_t nx, size_t ny, const unsigned char *mask,
                         const char *markup)
{
  panel *pn;
  int s = check(p, i, &pn);
  if (s)
    return s;
  if (!mask || !markup || !*markup || !pn->heat || pn->heat->nx != nx || pn->heat->ny != ny)
    return fail(p, SP_EINVAL);
  region *r = realloc(pn->reg, (pn->nreg + 1) * sizeof *r);
  if (!r)
    return fail(p, SP_ENOMEM);
  pn->reg = r;
  region *nr = &pn->reg[pn->nreg];
  nr->mask = malloc(nx * ny);
  nr->text = dup_or_null(markup);
  if (!nr->mask || !nr->text) {
    free(nr->mask);
    free(nr->text);
    return fail(p, SP_ENOMEM);
  }
  memcpy(nr->mask, mask, nx * ny);
  pn->nreg++;
  return SP_OK;
}

int sp_plot_legend(sp_plot *p, size_t i, sp_legend where)
{
  panel *pn;
  int s = check(p, i, &pn);
  if (s)
    return s;
  if ((unsigned)where > SP_LEGEND_BELOW)
    return fail(p, SP_EINVAL);
  pn->legend = where;
  return SP_OK;
}

/* ---- text with sub- and superscripts ---------------------------------- */

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
        while (*m && *m != '}') {
          if (*m == '\\' && m[1])
            m++;
          size_t l = utf8_len((unsigned char)*m);
          run_append(r, m, l);
          for (size_t k = 0; k < l && *m; k++)
            m++;
        }
        if (*m == '}')
          m++;
      } else {
        if (*m == '\\' && m[1])
          m++;
        size_t l = utf8_len((unsigned char)*m);
        run_append(r, m, l);
        for (size_t k = 0; k < l && *m; k++)
          m++;
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
    if (*m == '\\' && m[1])
      m++;
    size_t l = utf8_len((unsigned char)*m);
    run_append(&runs[n - 1], m, l);
    for (size_t k = 0; k < l && *m; k++)
      m++;
  }
  return n;
}

typedef struct {
  double w, asc, desc; /* advance width, ink above and below the baseline */
} tbox;

enum { TEXT_MEASURE, TEXT_SHOW, TEXT_PATH };

typedef struct {
  cairo_t *cr;
  const char *family;
} pen;

static void set_font(cairo_t *cr, const char *family, double size)
{
  cairo_select_font_face(cr, family, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

/* Typeset `markup` at `size` with its baseline starting at (x, y):
 * measure, draw, or append glyph outlines to the path. */
static tbox typeset(const pen *pe, const char *markup, double size, double x, double y, int mode)
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

static tbox measure(const pen *pe, const char *markup, double size)
{
  return typeset(pe, markup, size, 0.0, 0.0, TEXT_MEASURE);
}

/* Text rotated by -90 degrees (reading upwards), centred on y = cy, with
 * its baseline on x = bx. */
static void show_vertical(const pen *pe, const char *markup, double size, double bx, double cy)
{
  tbox b = measure(pe, markup, size);
  cairo_save(pe->cr);
  cairo_translate(pe->cr, bx, cy);
  cairo_rotate(pe->cr, -M_PI / 2.0);
  typeset(pe, markup, size, -b.w / 2.0, 0.0, TEXT_SHOW);
  cairo_restore(pe->cr);
}

/* ---- ticks ------------------------------------------------------------- */

typedef struct {
  double lo, hi; /* range in axis units (log10 of the value on log axes) */
  int log;
  size_t nt, nminor;
  double t[MAX_TICKS];           /* major ticks, axis units */
  char label[MAX_TICKS][LABEL_LEN];
  double minor[4 * MAX_TICKS];
  double max_w, max_asc, max_desc; /* largest tick label */
} ticks;

/* Number with `dec` decimals, a true minus sign, no "-0". */
static void format_number(char *buf, size_t size, double v, int dec)
{
  char tmp[40];
  snprintf(tmp, sizeof tmp, "%.*f", dec, v);
  const char *s = tmp;
  int neg = *s == '-';
  if (neg) {
    s++;
    int zero = 1;
    for (const char *c = s; *c; c++)
      zero &= *c == '0' || *c == '.';
    neg = !zero;
  }
  snprintf(buf, size, "%s%s", neg ? "\xe2\x88\x92" : "", s);
}

/* Decimals needed to print multiples of `step` exactly. */
static int step_decimals(double step)
{
  for (int d = 0; d < 12; d++) {
    double scaled = step * pow(10.0, d);
    if (fabs(scaled - floor(scaled + 0.5)) < 1e-6 * scaled)
      return d;
  }
  return 12;
}

static void tick_label(char *buf, double v, double step, int sci_exp)
{
  if (fabs(v) < 1e-9 * step)
    v = 0.0;
  if (sci_exp) {
    double sc = pow(10.0, sci_exp);
    char m[44];
    format_number(m, sizeof m, v / sc, step_decimals(step / sc));
    if (v == 0.0)
      snprintf(buf, LABEL_LEN, "0");
    else
      snprintf(buf, LABEL_LEN, "%s\xc3\x97" "10^{%d}", m, sci_exp);
    return;
  }
  format_number(buf, LABEL_LEN, v, step_decimals(step));
}

static void measure_labels(const pen *pe, double size, ticks *tk)
{
  tk->max_w = tk->max_asc = tk->max_desc = 0.0;
  for (size_t i = 0; i < tk->nt; i++) {
    tbox b = measure(pe, tk->label[i], size);
    tk->max_w = fmax(tk->max_w, b.w);
    tk->max_asc = fmax(tk->max_asc, b.asc);
    tk->max_desc = fmax(tk->max_desc, b.desc);
  }
}

/* Do the labels fit along an axis `length` points long? */
static int labels_fit(const ticks *tk, double length, int horizontal, double size)
{
  if (tk->nt < 2)
    return 1;
  double spacing = length * (tk->t[1] - tk->t[0]) / (tk->hi - tk->lo);
  if (horizontal)
    return spacing >= fmax(tk->max_w + 1.2 * size, 3.2 * size);
  return spacing >= fmax(2.0 * (tk->max_asc + tk->max_desc), 2.4 * size);
}

static void linear_ticks(const pen *pe, double size, double length, int horizontal, ticks *tk)
{
  double span = tk->hi - tk->lo;
  static const double mant[] = {1.0, 2.0, 2.5, 5.0};
  int e0 = (int)floor(log10(span)) - 2;
  for (int e = e0; e < e0 + 6; e++)
    for (size_t k = 0; k < 4; k++) {
      double step = mant[k] * pow(10.0, e);
      double first = ceil(tk->lo / step - 1e-9), last = floor(tk->hi / step + 1e-9);
      if (last - first + 1 > 9 || last - first + 1 > MAX_TICKS)
        continue;
      double mag = fmax(fabs(tk->lo), fabs(tk->hi));
      int sci = 0;
      if (mag >= 1e5 || step < 1e-4)
        sci = (int)floor(log10(mag));
      tk->nt = 0;
      for (double q = first; q <= last; q++) {
        tk->t[tk->nt] = q * step;
        tick_label(tk->label[tk->nt], q * step, step, sci);
        tk->nt++;
      }
      measure_labels(pe, size, tk);
      if (labels_fit(tk, length, horizontal, size))
        return;
    }
}

static void log_ticks(const pen *pe, double size, double length, int horizontal, ticks *tk)
{
  double dlo = ceil(tk->lo - 1e-9), dhi = floor(tk->hi + 1e-9);
  tk->nminor = 0;
  if (dhi - dlo >= 1.0) {
    for (int stride = 1; stride <= 100; stride = stride < 2 ? 2 : stride < 5 ? 5 : stride * 2) {
      tk->nt = 0;
      for (double d = dlo; d <= dhi && tk->nt < MAX_TICKS; d++) {
        if (fmod(d, stride) != 0.0)
          continue;
        tk->t[tk->nt] = d;
        snprintf(tk->label[tk->nt], LABEL_LEN, "10^{%s%d}", d < 0 ? "\xe2\x88\x92" : "",
                 (int)fabs(d));
        tk->nt++;
      }
      measure_labels(pe, size, tk);
      if (labels_fit(tk, length, horizontal, size) || tk->nt < 3) {
        if (stride == 1)
          for (double d = floor(tk->lo); d <= tk->hi && tk->nminor < 4 * MAX_TICKS - 8; d++)
            for (int m = 2; m <= 9; m++) {
              double v = d + log10((double)m);
              if (v > tk->lo && v < tk->hi)
                tk->minor[tk->nminor++] = v;
            }
        return;
      }
    }
    return;
  }
  /* Less than a decade: 1, 2, 5 times powers of ten, printed plainly. */
  static const double sets[3][3] = {{1, 2, 5}, {1, 5, 0}, {1, 0, 0}};
  for (int s = 0; s < 3; s++) {
    tk->nt = 0;
    for (double d = floor(tk->lo); d <= ceil(tk->hi); d++)
      for (int k = 0; k < 3 && sets[s][k] > 0; k++) {
        double v = log10(sets[s][k]) + d;
        if (v >= tk->lo - 1e-9 && v <= tk->hi + 1e-9 && tk->nt < MAX_TICKS) {
          double val = sets[s][k] * pow(10.0, d);
          tk->t[tk->nt] = v;
          format_number(tk->label[tk->nt], LABEL_LEN, val, d < 0 ? (int)-d : 0);
          tk->nt++;
        }
      }
    measure_labels(pe, size, tk);
    if (tk->nt >= 2 && labels_fit(tk, length, horizontal, size))
      break;
  }
  if (tk->nt < 2) {
    /* Too narrow for round numbers: label the ends. */
    tk->nt = 2;
    tk->t[0] = tk->lo;
    tk->t[1] = tk->hi;
    snprintf(tk->label[0], LABEL_LEN, "%.3g", pow(10.0, tk->lo));
    snprintf(tk->label[1], LABEL_LEN, "%.3g", pow(10.0, tk->hi));
    measure_labels(pe, size, tk);
  }
}

static void make_ticks(const pen *pe, double size, double length, int horizontal, ticks *tk)
{
  tk->nt = tk->nminor = 0;
  if (tk->log)
    log_ticks(pe, size, length, horizontal, tk);
  else
    linear_ticks(pe, size, length, horizontal, tk);
}

/* ---- layout ------------------------------------------------------------ */

typedef struct {
  double x, y, w, h; /* axes box; y is the top edge */
  ticks tk[2];
  ticks cb;          /* colorbar */
  int cbar;
} panel_layout;

typedef struct {
  double fs;          /* base font size */
  double title_size;  /* title font size (smaller when it would not fit) */
  double title_base;  /* baseline of the figure title */
  double legend_top;  /* top of the legend band */
  size_t legend_panel;
  int legend_below;
  panel_layout pl[MAX_PANELS];
} layout;

static double axis_t(int log, double v)
{
  if (!log)
    return v;
  return v > 0.0 ? log10(v) : NAN;
}

/* Automatic range of axis a (0 x, 1 y) of a panel, in axis units. */
static void auto_range(const panel *pn, int a, double *lo, double *hi)
{
  const axis_spec *as = &pn->ax[a];
  int log = as->scale == SP_SCALE_LOG;
  *lo = INFINITY;
  *hi = -INFINITY;
  if (pn->heat) {
    const heatmap *h = pn->heat;
    size_t n = a ? h->ny : h->nx;
    double c0 = axis_t(log, a ? h->y0 : h->x0), c1 = axis_t(log, a ? h->y1 : h->x1);
    double d = n > 1 ? (c1 - c0) / (double)(n - 1) : 1.0;
    *lo = c0 - d / 2.0;
    *hi = c1 + d / 2.0;
  } else {
    for (size_t k = 0; k < pn->nser; k++) {
      const series *s = &pn->ser[k];
      for (size_t i = 0; i < s->n; i++) {
        double v = a ? s->y[i] : s->x[i];
        double e = a && s->e && isfinite(s->e[i]) ? fabs(s->e[i]) : 0.0;
        double lo_v = axis_t(log, v - e), hi_v = axis_t(log, v + e);
        if (isnan(lo_v))
          lo_v = axis_t(log, v);
        if (!isfinite(lo_v) || !isfinite(hi_v))
          continue;
        *lo = fmin(*lo, lo_v);
        *hi = fmax(*hi, hi_v);
      }
    }
    if (!isfinite(*lo)) {
      *lo = 0.0;
      *hi = 1.0;
    } else if (*hi - *lo < 1e-12 * fmax(1.0, fabs(*hi))) {
      *lo -= log ? 0.5 : fmax(0.5, 0.05 * fabs(*lo));
      *hi += log ? 0.5 : fmax(0.5, 0.05 * fabs(*hi));
    } else {
      double m = 0.04 * (*hi - *lo);
      *lo -= m;
      *hi += m;
    }
  }
  if (!isnan(as->min))
    *lo = axis_t(log, as->min);
  if (!isnan(as->max))
    *hi = axis_t(log, as->max);
}

static double font_axis(const layout *L) { return 1.2 * L->fs; }
static double font_title(const layout *L) { return 1.3 * L->fs; }
static double font_legend(const layout *L) { return 1.07 * L->fs; }
static double font_panel(const layout *L) { return 1.13 * L->fs; }

/* Size of one legend entry. */
static double entry_width(const pen *pe, const layout *L, const series *s)
{
  return SAMPLE_LEN + 4.0 + measure(pe, s->label, font_legend(L)).w;
}

static double legend_row_height(const layout *L)
{
  return 1.55 * font_legend(L);
}

/* Rows the BELOW legend needs across `width`. */
static size_t legend_rows(const pen *pe, const layout *L, const panel *pn, double width)
{
  size_t rows = 0;
  double x = 0.0;
  for (size_t k = 0; k < pn->nser; k++) {
    if (!pn->ser[k].label)
      continue;
    double w = entry_width(pe, L, &pn->ser[k]);
    if (rows == 0 || x + w > width) {
      rows++;
      x = 0.0;
    }
    x += w + 1.6 * L->fs;
  }
  return rows;
}

static int compute_layout(const sp_plot *p, const pen *pe, layout *L)
{
  memset(L, 0, sizeof *L);
  L->fs = p->fsize;
  double top = PAD, bottom = p->h - PAD;
  if (p->title) {
    L->title_size = font_title(L);
    tbox b = measure(pe, p->title, L->title_size);
    if (b.w > p->w - 2.0 * PAD) {
      L->title_size *= (p->w - 2.0 * PAD) / b.w;
      b = measure(pe, p->title, L->title_size);
    }
    L->title_base = top + b.asc;
    top += b.asc + b.desc + 0.6 * L->fs;
  }
  for (size_t i = 0; i < p->npanels; i++)
    if (p->pan[i].legend == SP_LEGEND_BELOW && !L->legend_below) {
      size_t rows = legend_rows(pe, L, &p->pan[i], p->w - 2.0 * PAD);
      if (rows) {
        L->legend_below = 1;
        L->legend_panel = i;
        bottom -= (double)rows * legend_row_height(L) + 0.2 * L->fs;
        L->legend_top = bottom + 0.2 * L->fs;
      }
    }
  double cw = (p->w - 2.0 * PAD) / (double)p->cols;
  double ch = (bottom - top) / (double)p->rows;

  /* Margins shared by all panels, so that their axes line up; two passes
   * because the tick labels depend on the axis lengths and vice versa. */
  double ml = 4.0 * L->fs, mr = L->fs, mt = L->fs, mb = 4.0 * L->fs;
  for (int pass = 0; pass < 3; pass++) {
    double nl = 0.0, nr = 0.0, nt = 0.0, nb = 0.0;
    for (size_t i = 0; i < p->npanels; i++) {
      const panel *pn = &p->pan[i];
      panel_layout *pl = &L->pl[i];
      size_t r = i / p->cols, c = i % p->cols;
      pl->x = PAD + (double)c * cw + ml;
      pl->y = top + (double)r * ch + mt;
      pl->w = cw - ml - mr;
      pl->h = ch - mt - mb;
      if (pl->w < 10.0 || pl->h < 10.0)
        return SP_EINVAL;
      for (int a = 0; a < 2; a++) {
        ticks *tk = &pl->tk[a];
        tk->log = pn->ax[a].scale == SP_SCALE_LOG;
        auto_range(pn, a, &tk->lo, &tk->hi);
        if (!(tk->lo < tk->hi))
          return SP_EDOM;
        make_ticks(pe, L->fs, a ? pl->h : pl->w, !a, tk);
      }
      pl->cbar = pn->heat != NULL;
      double right = 0.0;
      if (pl->cbar) {
        pl->cb.log = 0;
        pl->cb.lo = pn->heat->zmin;
        pl->cb.hi = pn->heat->zmax;
        make_ticks(pe, L->fs, pl->h, 0, &pl->cb);
        right = CBAR_GAP + CBAR_WIDTH + TICK_LEN + TICK_GAP + pl->cb.max_w;
        if (pn->heat->zlabel) {
          tbox b = measure(pe, pn->heat->zlabel, font_axis(L));
          right += LABEL_GAP + b.asc + b.desc;
        }
      }
      /* The last x tick label may stick out on the right. */
      const ticks *tx = &pl->tk[0];
      if (tx->nt) {
        double last = (tx->t[tx->nt - 1] - tx->lo) / (tx->hi - tx->lo) * pl->w;
        double over = last + measure(pe, tx->label[tx->nt - 1], L->fs).w / 2.0 - pl->w;
        right = fmax(right, over);
      }
      nr = fmax(nr, right + 2.0);
      double left = TICK_LEN + TICK_GAP + pl->tk[1].max_w;
      if (pn->ax[1].label) {
        tbox b = measure(pe, pn->ax[1].label, font_axis(L));
        left += LABEL_GAP + b.asc + b.desc;
      }
      nl = fmax(nl, left);
      double below = TICK_LEN + TICK_GAP + pl->tk[0].max_asc + pl->tk[0].max_desc;
      if (pn->ax[0].label) {
        tbox b = measure(pe, pn->ax[0].label, font_axis(L));
        below += LABEL_GAP + b.asc + b.desc;
      }
      nb = fmax(nb, below + 1.0);
      double above = 0.5 * (pl->tk[1].max_asc + pl->tk[1].max_desc) + 1.0;
      if (pn->title) {
        tbox b = measure(pe, pn->title, font_panel(L));
        above = fmax(above, b.asc + b.desc + 0.5 * L->fs);
      }
      nt = fmax(nt, above);
    }
    ml = nl;
    mr = nr;
    mt = nt;
    mb = nb;
  }
  return SP_OK;
}

/* Data (axis units) to figure points. */
static double to_px(const panel_layout *pl, double t)
{
  return pl->x + (t - pl->tk[0].lo) / (pl->tk[0].hi - pl->tk[0].lo) * pl->w;
}

static double to_py(const panel_layout *pl, double t)
{
  return pl->y + pl->h - (t - pl->tk[1].lo) / (pl->tk[1].hi - pl->tk[1].lo) * pl->h;
}

/* ---- drawing ------------------------------------------------------------ */

static void set_rgb(cairo_t *cr, const double *c)
{
  cairo_set_source_rgb(cr, c[0], c[1], c[2]);
}

/* Dash pattern of `line`; when `centre` > 0 the pattern is shifted so that
 * a dash is centred at that distance along the path (legend samples come
 * out symmetric). */
static void set_dash(cairo_t *cr, sp_line line, double width, double centre)
{
  double k = fmax(1.0, width / 1.2);
  double dashed[] = {4.2 * k, 2.4 * k}, dotted[] = {0.0, 2.2 * k};
  double dashdot[] = {5.0 * k, 1.8 * k, 1.0 * k, 1.8 * k};
  /* Round caps only for dots (zero-length dashes); butt caps keep a dash
   * cut short at the end of a line from showing as a stray dot. */
  cairo_set_line_cap(cr, line == SP_LINE_DOTTED ? CAIRO_LINE_CAP_ROUND : CAIRO_LINE_CAP_BUTT);
  const double *d = line == SP_LINE_DASHED ? dashed : line == SP_LINE_DOTTED ? dotted
                   : line == SP_LINE_DASHDOT ? dashdot : NULL;
  int n = line == SP_LINE_DASHDOT ? 4 : d ? 2 : 0;
  double period = 0.0;
  for (int i = 0; i < n; i++)
    period += d[i];
  double off = 0.0;
  if (n && centre > 0.0)
    off = fmod(fmod(d[0] / 2.0 - centre, period) + period, period);
  cairo_set_dash(cr, d, n, off);
}

static void marker_path(cairo_t *cr, sp_marker m, double x, double y, double size)
{
  double r = size / 2.0;
  switch (m) {
  case SP_MARKER_CIRCLE:
    cairo_new_sub_path(cr);
    cairo_arc(cr, x, y, r, 0.0, 2.0 * M_PI);
    break;
  case SP_MARKER_SQUARE:
    cairo_rectangle(cr, x - 0.886 * r, y - 0.886 * r, 1.772 * r, 1.772 * r);
    break;
  case SP_MARKER_TRIANGLE:
    cairo_move_to(cr, x, y - 1.15 * r);
    cairo_line_to(cr, x + r, y + 0.6 * r);
    cairo_line_to(cr, x - r, y + 0.6 * r);
    cairo_close_path(cr);
    break;
  case SP_MARKER_DIAMOND:
    cairo_move_to(cr, x, y - 1.2 * r);
    cairo_line_to(cr, x + 0.85 * r, y);
    cairo_line_to(cr, x, y + 1.2 * r);
    cairo_line_to(cr, x - 0.85 * r, y);
    cairo_close_path(cr);
    break;
  case SP_MARKER_CROSS:
    cairo_move_to(cr, x - r, y - r);
    cairo_line_to(cr, x + r, y + r);
    cairo_move_to(cr, x - r, y + r);
    cairo_line_to(cr, x + r, y - r);
    break;
  case SP_MARKER_PLUS:
    cairo_move_to(cr, x - r, y);
    cairo_line_to(cr, x + r, y);
    cairo_move_to(cr, x, y - r);
    cairo_line_to(cr, x, y + r);
    break;
  case SP_MARKER_STAR:
    for (int k = 0; k < 10; k++) {
      double a = -M_PI / 2.0 + k * M_PI / 5.0, rr = k % 2 ? 0.45 * r * 1.3 : 1.3 * r;
      if (k == 0)
        cairo_move_to(cr, x + rr * cos(a), y + rr * sin(a));
      else
        cairo_line_to(cr, x + rr * cos(a), y + rr * sin(a));
    }
    cairo_close_path(cr);
    break;
  default:
    break;
  }
}

static int marker_is_stroked(sp_marker m)
{
  return m == SP_MARKER_CROSS || m == SP_MARKER_PLUS;
}

static void draw_marker(cairo_t *cr, const sp_plot_style *st, double x, double y)
{
  if (st->marker == SP_MARKER_NONE)
    return;
  cairo_set_dash(cr, NULL, 0, 0.0);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
  if (st->halo > 0.0) {
    marker_path(cr, st->marker, x, y, st->marker_size);
    set_rgb(cr, st->halo_color);
    cairo_set_line_width(cr, (marker_is_stroked(st->marker) ? st->width : 0.0) + 2.0 * st->halo);
    cairo_stroke(cr);
  }
  marker_path(cr, st->marker, x, y, st->marker_size);
  set_rgb(cr, st->color);
  if (marker_is_stroked(st->marker)) {
    cairo_set_line_width(cr, st->width);
    cairo_stroke(cr);
  } else {
    cairo_fill(cr);
  }
}

/* A sample of the style's line from x0 to x1 at height y (legends). */
static void draw_sample(cairo_t *cr, const sp_plot_style *st, double x0, double x1, double y)
{
  if (st->line != SP_LINE_NONE) {
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    if (st->halo > 0.0) {
      cairo_set_dash(cr, NULL, 0, 0.0);
      cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
      cairo_move_to(cr, x0, y);
      cairo_line_to(cr, x1, y);
      set_rgb(cr, st->halo_color);
      cairo_set_line_width(cr, st->width + 2.0 * st->halo);
      cairo_stroke(cr);
    }
    set_dash(cr, st->line, st->width, 0.5 * (x1 - x0));
    cairo_move_to(cr, x0, y);
    cairo_line_to(cr, x1, y);
    set_rgb(cr, st->color);
    cairo_set_line_width(cr, st->width);
    cairo_stroke(cr);
  }
  draw_marker(cr, st, 0.5 * (x0 + x1), y);
}

static int point_of(const panel_layout *pl, const series *s, size_t i, double *px, double *py)
{
  double tx = axis_t(pl->tk[0].log, s->x[i]), ty = axis_t(pl->tk[1].log, s->y[i]);
  if (!isfinite(tx) || !isfinite(ty))
    return 0;
  *px = to_px(pl, tx);
  *py = to_py(pl, ty);
  return 1;
}

static void series_path(cairo_t *cr, const panel_layout *pl, const series *s)
{
  int down = 0;
  for (size_t i = 0; i < s->n; i++) {
    double x, y;
    if (!point_of(pl, s, i, &x, &y)) {
      down = 0;
      continue;
    }
    if (down)
      cairo_line_to(cr, x, y);
    else
      cairo_move_to(cr, x, y);
    down = 1;
  }
}

/* Markers of a series, at the points inside the axes' ranges; drawn
 * without clipping so that a marker on the frame stays whole. */
static void draw_markers(cairo_t *cr, const panel_layout *pl, const series *s)
{
  for (size_t i = 0; s->st.marker != SP_MARKER_NONE && i < s->n; i++) {
    double x, y;
    if (point_of(pl, s, i, &x, &y) && x >= pl->x - 1e-9 && x <= pl->x + pl->w + 1e-9
        && y >= pl->y - 1e-9 && y <= pl->y + pl->h + 1e-9)
      draw_marker(cr, &s->st, x, y);
  }
}

/* Error bars and the line of a series (the caller clips to the axes). */
static void draw_series(cairo_t *cr, const panel_layout *pl, const series *s)
{
  const sp_plot_style *st = &s->st;
  if (s->e) {
    cairo_set_dash(cr, NULL, 0, 0.0);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    cairo_set_line_width(cr, 0.8);
    set_rgb(cr, st->color);
    double cap = 0.35 * st->marker_size + 0.6;
    for (size_t i = 0; i < s->n; i++) {
      double x, y, e = s->e[i];
      if (!isfinite(e) || e == 0.0 || !point_of(pl, s, i, &x, &y))
        continue;
      e = fabs(e);
      double lo = axis_t(pl->tk[1].log, s->y[i] - e), hi = axis_t(pl->tk[1].log, s->y[i] + e);
      double ylo = isfinite(lo) ? to_py(pl, lo) : pl->y + pl->h + 1.0, yhi = to_py(pl, hi);
      cairo_move_to(cr, x, ylo);
      cairo_line_to(cr, x, yhi);
      cairo_move_to(cr, x - cap, ylo);
      cairo_line_to(cr, x + cap, ylo);
      cairo_move_to(cr, x - cap, yhi);
      cairo_line_to(cr, x + cap, yhi);
    }
    cairo_stroke(cr);
  }
  if (st->line != SP_LINE_NONE) {
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    if (st->halo > 0.0) {
      cairo_set_dash(cr, NULL, 0, 0.0);
      cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
      series_path(cr, pl, s);
      set_rgb(cr, st->halo_color);
      cairo_set_line_width(cr, st->width + 2.0 * st->halo);
      cairo_stroke(cr);
    }
    set_dash(cr, st->line, st->width, 0.0);
    series_path(cr, pl, s);
    set_rgb(cr, st->color);
    cairo_set_line_width(cr, st->width);
    cairo_stroke(cr);
  }
}

/* The heat map's placement in figure points. */
static void heat_rect(const panel_layout *pl, const heatmap *h, double *x, double *y, double *w,
                      double *hh)
{
  int lx = pl->tk[0].log, ly = pl->tk[1].log;
  double cx0 = axis_t(lx, h->x0), cx1 = axis_t(lx, h->x1);
  double cy0 = axis_t(ly, h->y0), cy1 = axis_t(ly, h->y1);
  double dx = h->nx > 1 ? (cx1 - cx0) / (double)(h->nx - 1) : pl->tk[0].hi - pl->tk[0].lo;
  double dy = h->ny > 1 ? (cy1 - cy0) / (double)(h->ny - 1) : pl->tk[1].hi - pl->tk[1].lo;
  double left = to_px(pl, cx0 - dx / 2.0), right = to_px(pl, cx1 + dx / 2.0);
  double top = to_py(pl, cy1 + dy / 2.0), bottom = to_py(pl, cy0 - dy / 2.0);
  *x = left;
  *y = top;
  *w = right - left;
  *hh = bottom - top;
}

static uint32_t cell_pixel(const heatmap *h, double z)
{
  double rgb[3] = {0.85, 0.85, 0.85};
  if (!isnan(z))
    sp_colormap_eval(h->cm, (z - h->zmin) / (h->zmax - h->zmin), rgb);
  uint32_t px = 0;
  for (int c = 0; c < 3; c++) {
    double v = floor(rgb[c] * 255.0 + 0.5);
    px = (px << 8) | (uint32_t)(v < 0.0 ? 0.0 : v > 255.0 ? 255.0 : v);
  }
  return px;
}

static int draw_heatmap(cairo_t *cr, const panel_layout *pl, const heatmap *h)
{
  cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)h->nx, (int)h->ny);
  if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(img);
    return SP_ERENDER;
  }
  cairo_surface_flush(img);
  unsigned char *data = cairo_image_surface_get_data(img);
  int stride = cairo_image_surface_get_stride(img);
  for (size_t j = 0; j < h->ny; j++) {
    uint32_t *row = (uint32_t *)(void *)(data + (size_t)stride * (h->ny - 1 - j));
    for (size_t i = 0; i < h->nx; i++)
      row[i] = cell_pixel(h, h->z[j * h->nx + i]);
  }
  cairo_surface_mark_dirty(img);
  double x, y, w, hh;
  heat_rect(pl, h, &x, &y, &w, &hh);
  cairo_save(cr);
  cairo_rectangle(cr, pl->x, pl->y, pl->w, pl->h);
  cairo_clip(cr);
  cairo_translate(cr, x, y);
  cairo_scale(cr, w / (double)h->nx, hh / (double)h->ny);
  cairo_set_source_surface(cr, img, 0.0, 0.0);
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
  cairo_rectangle(cr, 0.0, 0.0, (double)h->nx, (double)h->ny);
  cairo_fill(cr);
  cairo_restore(cr);
  cairo_surface_destroy(img);
  return SP_OK;
}

static void draw_colorbar(cairo_t *cr, const pen *pe, const layout *L, const panel_layout *pl,
                          const heatmap *h)
{
  double x = pl->x + pl->w + CBAR_GAP, y = pl->y, w = CBAR_WIDTH, hh = pl->h;
  cairo_pattern_t *g = cairo_pattern_create_linear(0.0, y + hh, 0.0, y);
  for (size_t k = 0; k < h->cm->n; k++) {
    double t = (double)k / (double)(h->cm->n - 1);
    cairo_pattern_add_color_stop_rgb(g, t, h->cm->rgb[k][0], h->cm->rgb[k][1], h->cm->rgb[k][2]);
  }
  cairo_rectangle(cr, x, y, w, hh);
  cairo_set_source(cr, g);
  cairo_fill(cr);
  cairo_pattern_destroy(g);
  cairo_set_dash(cr, NULL, 0, 0.0);
  cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
  cairo_set_line_width(cr, FRAME_WIDTH);
  cairo_rectangle(cr, x, y, w, hh);
  cairo_stroke(cr);
  const ticks *tk = &pl->cb;
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
  for (size_t i = 0; i < tk->nt; i++) {
    double ty = y + hh - (tk->t[i] - tk->lo) / (tk->hi - tk->lo) * hh;
    cairo_move_to(cr, x + w, ty);
    cairo_line_to(cr, x + w + TICK_LEN, ty);
  }
  cairo_stroke(cr);
  double digit_mid = 0.5 * tk->max_asc;
  for (size_t i = 0; i < tk->nt; i++) {
    double ty = y + hh - (tk->t[i] - tk->lo) / (tk->hi - tk->lo) * hh;
    typeset(pe, tk->label[i], L->fs, x + w + TICK_LEN + TICK_GAP, ty + digit_mid, TEXT_SHOW);
  }
  if (h->zlabel) {
    tbox b = measure(pe, h->zlabel, font_axis(L));
    double bx = x + w + TICK_LEN + TICK_GAP + tk->max_w + LABEL_GAP + b.asc;
    show_vertical(pe, h->zlabel, font_axis(L), bx, y + hh / 2.0);
  }
}

static void draw_axes(cairo_t *cr, const pen *pe, const layout *L, const panel_layout *pl,
                      const panel *pn)
{
  cairo_set_dash(cr, NULL, 0, 0.0);
  cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
  cairo_set_line_width(cr, FRAME_WIDTH);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
  cairo_rectangle(cr, pl->x, pl->y, pl->w, pl->h);
  cairo_stroke(cr);
  const ticks *tx = &pl->tk[0], *ty = &pl->tk[1];
  double bottom = pl->y + pl->h;
  for (size_t i = 0; i < tx->nt; i++) {
    double x = to_px(pl, tx->t[i]);
    cairo_move_to(cr, x, bottom);
    cairo_line_to(cr, x, bottom + TICK_LEN);
  }
  for (size_t i = 0; i < ty->nt; i++) {
    double y = to_py(pl, ty->t[i]);
    cairo_move_to(cr, pl->x, y);
    cairo_line_to(cr, pl->x - TICK_LEN, y);
  }
  cairo_stroke(cr);
  cairo_set_line_width(cr, 0.5 * FRAME_WIDTH);
  for (size_t i = 0; i < tx->nminor; i++) {
    double x = to_px(pl, tx->minor[i]);
    cairo_move_to(cr, x, bottom);
    cairo_line_to(cr, x, bottom + 0.55 * TICK_LEN);
  }
  for (size_t i = 0; i < ty->nminor; i++) {
    double y = to_py(pl, ty->minor[i]);
    cairo_move_to(cr, pl->x, y);
    cairo_line_to(cr, pl->x - 0.55 * TICK_LEN, y);
  }
  cairo_stroke(cr);

  double fs = L->fs;
  double base = bottom + TICK_LEN + TICK_GAP + tx->max_asc;
  for (size_t i = 0; i < tx->nt; i++) {
    tbox b = measure(pe, tx->label[i], fs);
    typeset(pe, tx->label[i], fs, to_px(pl, tx->t[i]) - b.w / 2.0, base, TEXT_SHOW);
  }
  double digit_mid = 0.5 * ty->max_asc;
  for (size_t i = 0; i < ty->nt; i++) {
    tbox b = measure(pe, ty->label[i], fs);
    double x = pl->x - TICK_LEN - TICK_GAP - b.w;
    typeset(pe, ty->label[i], fs, x, to_py(pl, ty->t[i]) + digit_mid, TEXT_SHOW);
  }
  if (pn->ax[0].label) {
    tbox b = measure(pe, pn->ax[0].label, font_axis(L));
    double y = base + tx->max_desc + LABEL_GAP + b.asc;
    typeset(pe, pn->ax[0].label, font_axis(L), pl->x + pl->w / 2.0 - b.w / 2.0, y, TEXT_SHOW);
  }
  if (pn->ax[1].label) {
    tbox b = measure(pe, pn->ax[1].label, font_axis(L));
    double bx = pl->x - TICK_LEN - TICK_GAP - ty->max_w - LABEL_GAP - b.desc;
    show_vertical(pe, pn->ax[1].label, font_axis(L), bx, pl->y + pl->h / 2.0);
  }
  if (pn->title) {
    tbox b = measure(pe, pn->title, font_panel(L));
    typeset(pe, pn->title, font_panel(L), pl->x, pl->y - b.desc - 0.35 * L->fs, TEXT_SHOW);
  }
}

static void draw_grid(cairo_t *cr, const panel_layout *pl)
{
  cairo_set_dash(cr, NULL, 0, 0.0);
  cairo_set_source_rgb(cr, 0.89, 0.89, 0.89);
  cairo_set_line_width(cr, 0.4);
  for (size_t i = 0; i < pl->tk[0].nt; i++) {
    double x = to_px(pl, pl->tk[0].t[i]);
    cairo_move_to(cr, x, pl->y);
    cairo_line_to(cr, x, pl->y + pl->h);
  }
  for (size_t i = 0; i < pl->tk[1].nt; i++) {
    double y = to_py(pl, pl->tk[1].t[i]);
    cairo_move_to(cr, pl->x, y);
    cairo_line_to(cr, pl->x + pl->w, y);
  }
  cairo_stroke(cr);
}

/* Text in white with a dark outline, baseline at (x, y). */
static void show_outlined(const pen *pe, const char *markup, double size, double x, double y)
{
  cairo_t *cr = pe->cr;
  cairo_new_path(cr);
  typeset(pe, markup, size, x, y, TEXT_PATH);
  cairo_set_dash(cr, NULL, 0, 0.0);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_source_rgba(cr, 0.08, 0.08, 0.12, 0.85);
  cairo_set_line_width(cr, 0.28 * size);
  cairo_stroke(cr);
  cairo_set_source_rgb(cr, 1.0, 1.0, 1.0);
  typeset(pe, markup, size, x, y, TEXT_SHOW);
}

/* Largest margin m (points, up to 400) such that the box centred on
 * (cx, cy) with half-sizes hw, hh, grown by m, lies inside the axes and
 * inside the region; -1 when even m = 0 fails.  `sum` holds the prefix
 * sums of "outside the region" over the cells, top row first. */
static double box_margin(const panel_layout *pl, const size_t *sum, size_t nx, size_t ny,
                         double hx, double hy, double cw, double ch, double cx, double cy,
                         double hw, double hh)
{
  double lo = -1.0, hi = 400.0;
  for (int it = 0; it < 12; it++) {
    double m = it == 0 ? 0.0 : 0.5 * (lo + hi);
    double x0 = cx - hw - m, x1 = cx + hw + m, y0 = cy - hh - m, y1 = cy + hh + m;
    int ok = x0 >= pl->x && x1 <= pl->x + pl->w && y0 >= pl->y && y1 <= pl->y + pl->h;
    if (ok) {
      long c0 = (long)floor((x0 - hx) / cw), c1 = (long)floor((x1 - hx) / cw);
      long r0 = (long)floor((y0 - hy) / ch), r1 = (long)floor((y1 - hy) / ch);
      ok = c0 >= 0 && r0 >= 0 && c1 < (long)nx && r1 < (long)ny;
      if (ok) {
        size_t w = nx + 1;
        size_t a = (size_t)r0 * w + (size_t)c0, b = (size_t)r0 * w + (size_t)c1 + 1;
        size_t c = ((size_t)r1 + 1) * w + (size_t)c0, d = ((size_t)r1 + 1) * w + (size_t)c1 + 1;
        ok = sum[d] - sum[b] - sum[c] + sum[a] == 0;
      }
    }
    if (it == 0) {
      if (!ok)
        return -1.0;
      lo = 0.0;
    } else if (ok) {
      lo = m;
    } else {
      hi = m;
    }
  }
  return lo;
}

#define MAX_LINES 8

/* Place a region label: among the spots where the text box (on one line,
 * else one word per line) fits inside the region, the one with the widest
 * margin, ties going to the one nearest the region's centroid. */
static int draw_region_label(const pen *pe, const layout *L, const panel_layout *pl,
                             const heatmap *h, const region *rg)
{
  double fs = font_panel(L), hx, hy, hw, hh;
  heat_rect(pl, h, &hx, &hy, &hw, &hh);
  size_t nx = h->nx, ny = h->ny, w = nx + 1;
  double cw = hw / (double)nx, ch = hh / (double)ny;
  size_t *sum = calloc(w * (ny + 1), sizeof *sum);
  if (!sum)
    return SP_ENOMEM;
  double gx = 0.0, gy = 0.0, cnt = 0.0;
  for (size_t r = 0; r < ny; r++)
    for (size_t c = 0; c < nx; c++) {
      int in = rg->mask[(ny - 1 - r) * nx + c] != 0;
      sum[(r + 1) * w + c + 1] = (size_t)!in + sum[r * w + c + 1] + sum[(r + 1) * w + c] - sum[r * w + c];
      if (in) {
        gx += hx + ((double)c + 0.5) * cw;
        gy += hy + ((double)r + 0.5) * ch;
        cnt += 1.0;
      }
    }
  if (cnt > 0.0) {
    gx /= cnt;
    gy /= cnt;
  }
  char lines[MAX_LINES][128];
  for (int layout_try = 0; layout_try < 2; layout_try++) {
    size_t nl = 0;
    if (layout_try == 0) {
      snprintf(lines[nl++], sizeof lines[0], "%s", rg->text);
    } else {
      const char *t = rg->text;
      while (*t && nl < MAX_LINES) {
        size_t k = strcspn(t, " ");
        snprintf(lines[nl++], sizeof lines[0], "%.*s", (int)k, t);
        t += k;
        t += strspn(t, " ");
      }
      if (nl < 2)
        break;
    }
    double tw = 0.0, asc = 0.0, lead = 1.15 * fs;
    tbox b[MAX_LINES];
    for (size_t i = 0; i < nl; i++) {
      b[i] = measure(pe, lines[i], fs);
      tw = fmax(tw, b[i].w);
      asc = fmax(asc, b[i].asc);
    }
    double th = asc + (double)(nl - 1) * lead + b[nl - 1].desc;
    double half_w = tw / 2.0 + 0.3 * fs, half_h = th / 2.0 + 0.3 * fs;
    double best = -1.0, bx = 0.0, by = 0.0, bd = INFINITY;
    /* At most about 250 x 250 candidate centres. */
    size_t sx = nx / 250 + 1, sy = ny / 250 + 1;
    for (size_t r = sy / 2; r < ny; r += sy)
      for (size_t c = sx / 2; c < nx; c += sx) {
        double cx = hx + ((double)c + 0.5) * cw, cy = hy + ((double)r + 0.5) * ch;
        double m = box_margin(pl, sum, nx, ny, hx, hy, cw, ch, cx, cy, half_w, half_h);
        if (m < 0.0)
          continue;
        double dist = hypot(cx - gx, cy - gy);
        if (m > best + 0.5 || (m > best - 0.5 && dist < bd)) {
          best = fmax(best, m);
          bx = cx;
          by = cy;
          bd = dist;
        }
      }
    if (best >= 0.0) {
      double y = by - th / 2.0 + asc;
      for (size_t i = 0; i < nl; i++, y += lead)
        show_outlined(pe, lines[i], fs, bx - b[i].w / 2.0, y);
      break;
    }
  }
  free(sum);
  return SP_OK;
}

/* Number of data points of the panel inside the box (legend placement). */
static size_t points_in(const panel_layout *pl, const panel *pn, double x0, double y0, double x1,
                        double y1)
{
  size_t n = 0;
  for (size_t k = 0; k < pn->nser; k++) {
    const series *s = &pn->ser[k];
    double px = 0.0, py = 0.0, qx, qy;
    int prev = 0;
    for (size_t i = 0; i < s->n; i++) {
      if (!point_of(pl, s, i, &qx, &qy)) {
        prev = 0;
        continue;
      }
      /* Sample the segment every 2 points, so long straight lines count. */
      int steps = prev ? 1 + (int)(hypot(qx - px, qy - py) / 2.0) : 1;
      for (int t = 1; t <= steps; t++) {
        double f = (double)t / steps, x = prev ? px + f * (qx - px) : qx;
        double y = prev ? py + f * (qy - py) : qy;
        n += x >= x0 && x <= x1 && y >= y0 && y <= y1;
      }
      px = qx;
      py = qy;
      prev = 1;
    }
  }
  return n;
}

static void draw_legend_inside(cairo_t *cr, const pen *pe, const layout *L,
                               const panel_layout *pl, const panel *pn)
{
  double fs = font_legend(L), rowh = legend_row_height(L), wmax = 0.0;
  size_t n = 0;
  for (size_t k = 0; k < pn->nser; k++)
    if (pn->ser[k].label) {
      wmax = fmax(wmax, entry_width(pe, L, &pn->ser[k]));
      n++;
    }
  if (!n)
    return;
  double pad = 0.45 * fs, bw = wmax + 2.0 * pad, bh = (double)n * rowh + 2.0 * pad - 0.3 * fs;
  double inset = 0.5 * fs, pad_box = 3.0;
  /* Candidates on a 5 x 5 grid of positions; corners win ties, then the
   * middles of the sides, then the rest. */
  size_t best_n = (size_t)-1;
  double bx = 0.0, by = 0.0;
  int best_rank = 99;
  for (int gy = 0; gy < 5; gy++)
    for (int gx = 4; gx >= 0; gx--) {
      double x = pl->x + inset + (pl->w - 2.0 * inset - bw) * gx / 4.0;
      double y = pl->y + inset + (pl->h - 2.0 * inset - bh) * gy / 4.0;
      int edge_x = gx == 0 || gx == 4, edge_y = gy == 0 || gy == 4;
      int rank = edge_x && edge_y ? 0 : (edge_x || edge_y) ? 1 : 2;
      size_t k = points_in(pl, pn, x - pad_box, y - pad_box, x + bw + pad_box, y + bh + pad_box);
      if (k < best_n || (k == best_n && rank < best_rank)) {
        best_n = k;
        best_rank = rank;
        bx = x;
        by = y;
      }
    }
  double x = bx, y = by;
  cairo_rectangle(cr, x, y, bw, bh);
  cairo_set_source_rgba(cr, 1.0, 1.0, 1.0, 0.88);
  cairo_fill_preserve(cr);
  cairo_set_source_rgb(cr, 0.75, 0.75, 0.75);
  cairo_set_line_width(cr, 0.5);
  cairo_set_dash(cr, NULL, 0, 0.0);
  cairo_stroke(cr);
  double cap = measure(pe, "0", fs).asc;
  double row_y = y + pad + 0.5 * (rowh - 0.3 * fs);
  for (size_t k = 0; k < pn->nser; k++) {
    const series *s = &pn->ser[k];
    if (!s->label)
      continue;
    draw_sample(cr, &s->st, x + pad, x + pad + SAMPLE_LEN, row_y);
    cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
    typeset(pe, s->label, fs, x + pad + SAMPLE_LEN + 4.0, row_y + cap / 2.0, TEXT_SHOW);
    row_y += rowh;
  }
}

static void draw_legend_below(cairo_t *cr, const pen *pe, const layout *L, const sp_plot *p)
{
  const panel *pn = &p->pan[L->legend_panel];
  double fs = font_legend(L), rowh = legend_row_height(L), width = p->w - 2.0 * PAD;
  double gap = 1.6 * L->fs, cap = measure(pe, "0", fs).asc;
  size_t k = 0;
  double y = L->legend_top + 0.5 * rowh;
  while (k < pn->nser) {
    /* Entries of this row. */
    size_t first = k, last = k;
    double w = 0.0;
    for (; last < pn->nser; last++) {
      if (!pn->ser[last].label)
        continue;
      double ew = entry_width(pe, L, &pn->ser[last]);
      if (w > 0.0 && w + gap + ew > width)
        break;
      w += (w > 0.0 ? gap : 0.0) + ew;
    }
    if (w == 0.0)
      break;
    double x = PAD + (width - w) / 2.0;
    for (size_t i = first; i < last; i++) {
      const series *s = &pn->ser[i];
      if (!s->label)
        continue;
      draw_sample(cr, &s->st, x, x + SAMPLE_LEN, y);
      cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
      typeset(pe, s->label, fs, x + SAMPLE_LEN + 4.0, y + cap / 2.0, TEXT_SHOW);
      x += entry_width(pe, L, s) + gap;
    }
    k = last;
    y += rowh;
  }
}

static void configure(cairo_t *cr)
{
  cairo_font_options_t *fo = cairo_font_options_create();
  cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
  cairo_set_font_options(cr, fo);
  cairo_font_options_destroy(fo);
}

/* The one drawing routine: the figure in points on any Cairo context. */
static int draw(const sp_plot *p, cairo_t *cr)
{
  pen pe = {cr, p->family};
  layout *L = malloc(sizeof *L);
  if (!L)
    return SP_ENOMEM;
  configure(cr);
  int s = compute_layout(p, &pe, L);
  if (s) {
    free(L);
    return s;
  }
  cairo_set_source_rgb(cr, 1.0, 1.0, 1.0);
  cairo_paint(cr);
  for (size_t i = 0; i < p->npanels && !s; i++) {
    const panel *pn = &p->pan[i];
    const panel_layout *pl = &L->pl[i];
    if (pn->heat)
      s = draw_heatmap(cr, pl, pn->heat);
    else
      draw_grid(cr, pl);
    for (size_t k = 0; k < pn->nreg && !s; k++)
      s = draw_region_label(&pe, L, pl, pn->heat, &pn->reg[k]);
    cairo_save(cr);
    cairo_rectangle(cr, pl->x, pl->y, pl->w, pl->h);
    cairo_clip(cr);
    for (size_t k = 0; k < pn->nser; k++)
      draw_series(cr, pl, &pn->ser[k]);
    cairo_restore(cr);
    for (size_t k = 0; k < pn->nser; k++)
      draw_markers(cr, pl, &pn->ser[k]);
    if (pn->heat)
      draw_colorbar(cr, &pe, L, pl, pn->heat);
    cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
    draw_axes(cr, &pe, L, pl, pn);
    if (pn->legend == SP_LEGEND_BEST)
      draw_legend_inside(cr, &pe, L, pl, pn);
  }
  if (!s && L->legend_below)
    draw_legend_below(cr, &pe, L, p);
  if (!s && p->title) {
    tbox b = measure(&pe, p->title, L->title_size);
    cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
    typeset(&pe, p->title, L->title_size, p->w / 2.0 - b.w / 2.0, L->title_base, TEXT_SHOW);
  }
  free(L);
  if (!s && cairo_status(cr) != CAIRO_STATUS_SUCCESS)
    s = SP_ERENDER;
  return s;
}

/* ---- output ------------------------------------------------------------- */

typedef struct {
  unsigned char *data;
  size_t n, cap;
} buffer;

static cairo_status_t buffer_write(void *closure, const unsigned char *data, unsigned int len)
{
  buffer *b = closure;
  if (b->n + len > b->cap) {
    size_t cap = b->cap ? b->cap : 65536;
    while (cap < b->n + len)
      cap *= 2;
    unsigned char *d = realloc(b->data, cap);
    if (!d)
      return CAIRO_STATUS_WRITE_ERROR;
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->n, data, len);
  b->n += len;
  return CAIRO_STATUS_SUCCESS;
}

static cairo_status_t file_write(void *closure, const unsigned char *data, unsigned int len)
{
  return fwrite(data, 1, len, closure) == len ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static const char *meta_value(const sp_meta *meta, size_t n, const char *key)
{
  for (size_t i = 0; i < n; i++)
    if (meta[i].key && strcmp(meta[i].key, key) == 0)
      return meta[i].value;
  return NULL;
}

/* "key: value; key: value" of the metadata other than the skipped keys. */
static char *meta_join(const sp_meta *meta, size_t n, const char *sep)
{
  size_t len = 1;
  for (size_t i = 0; i < n; i++)
    if (meta[i].key && meta[i].value)
      len += strlen(meta[i].key) + strlen(meta[i].value) + 2 + strlen(sep);
  char *s = malloc(len);
  if (!s)
    return NULL;
  s[0] = '\0';
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (!meta[i].key || !meta[i].value || strcmp(meta[i].key, "command") == 0
        || strcmp(meta[i].key, "sigprop") == 0)
      continue;
    k += (size_t)snprintf(s + k, len - k, "%s%s: %s", k ? sep : "", meta[i].key, meta[i].value);
  }
  return s;
}

static uint32_t crc32_update(uint32_t crc, const unsigned char *d, size_t n)
{
  crc = ~crc;
  for (size_t i = 0; i < n; i++) {
    crc ^= d[i];
    for (int k = 0; k < 8; k++)
      crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

static void put_be32(unsigned char *d, uint32_t v)
{
  d[0] = (unsigned char)(v >> 24);
  d[1] = (unsigned char)(v >> 16);
  d[2] = (unsigned char)(v >> 8);
  d[3] = (unsigned char)v;
}

/* Append an iTXt chunk (UTF-8 text) to out. */
static int png_text(buffer *out, const char *key, const char *text)
{
  size_t kl = strlen(key), tl = strlen(text), dl = kl + 5 + tl;
  unsigned char *c = malloc(dl + 12);
  if (!c)
    return SP_ENOMEM;
  put_be32(c, (uint32_t)dl);
  memcpy(c + 4, "iTXt", 4);
  memcpy(c + 8, key, kl);
  memset(c + 8 + kl, 0, 5); /* NUL, no compression, method 0, no language, no translation */
  memcpy(c + 8 + kl + 5, text, tl);
  put_be32(c + 8 + dl, crc32_update(0, c + 4, dl + 4));
  int s = buffer_write(out, c, (unsigned)(dl + 12)) == CAIRO_STATUS_SUCCESS ? SP_OK : SP_ENOMEM;
  free(c);
  return s;
}

static int write_png(const sp_plot *p, FILE *fp, double dpi, const sp_meta *meta, size_t nmeta)
{
  double k = dpi / 72.0, pw = 0.0, ph = 0.0;
  if (sp_plot_raster_size(p, dpi, &pw, &ph) || pw > SP_PLOT_MAX_PIXELS || ph > SP_PLOT_MAX_PIXELS)
    return SP_EINVAL;
  cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)pw, (int)ph);
  cairo_t *cr = cairo_create(sf);
  int s = cairo_status(cr) != CAIRO_STATUS_SUCCESS ? SP_ERENDER : SP_OK;
  if (!s) {
    cairo_scale(cr, k, k);
    s = draw(p, cr);
  }
  if (!s && (cairo_status(cr) != CAIRO_STATUS_SUCCESS
             || cairo_surface_status(sf) != CAIRO_STATUS_SUCCESS))
    s = SP_ERENDER;
  cairo_destroy(cr);
  buffer png = {NULL, 0, 0};
  if (!s && cairo_surface_write_to_png_stream(sf, buffer_write, &png) != CAIRO_STATUS_SUCCESS)
    s = SP_ERENDER;
  cairo_surface_destroy(sf);
  /* Metadata chunks go right after IHDR (8-byte signature + 25 bytes). */
  buffer out = {NULL, 0, 0};
  if (!s && png.n < 33)
    s = SP_ERENDER;
  if (!s && buffer_write(&out, png.data, 33) != CAIRO_STATUS_SUCCESS)
    s = SP_ENOMEM;
  const char *title = p->title ? p->title : "";
  const char *sw = meta_value(meta, nmeta, "sigprop"), *cmd = meta_value(meta, nmeta, "command");
  char software[64];
  snprintf(software, sizeof software, "sigprop%s%s", sw ? " " : "", sw ? sw : "");
  if (!s && title[0])
    s = png_text(&out, "Title", title);
  if (!s)
    s = png_text(&out, "Software", software);
  if (!s && cmd)
    s = png_text(&out, "Description", cmd);
  char *rest = !s && nmeta ? meta_join(meta, nmeta, "\n") : NULL;
  if (!s && nmeta && !rest)
    s = SP_ENOMEM;
  if (!s && rest && rest[0])
    s = png_text(&out, "Comment", rest);
  free(rest);
  if (!s && buffer_write(&out, png.data + 33, (unsigned)(png.n - 33)) != CAIRO_STATUS_SUCCESS)
    s = SP_ENOMEM;
  if (!s && fwrite(out.data, 1, out.n, fp) != out.n)
    s = SP_EIO;
  free(png.data);
  free(out.data);
  return s;
}

static int write_pdf(const sp_plot *p, FILE *fp, const sp_meta *meta, size_t nmeta)
{
  cairo_surface_t *sf = cairo_pdf_surface_create_for_stream(file_write, fp, p->w, p->h);
  const char *title = p->title ? p->title : "";
  const char *sw = meta_value(meta, nmeta, "sigprop"), *cmd = meta_value(meta, nmeta, "command");
  char creator[64];
  snprintf(creator, sizeof creator, "sigprop%s%s", sw ? " " : "", sw ? sw : "");
  char *rest = meta_join(meta, nmeta, "; ");
  int s = rest ? SP_OK : SP_ENOMEM;
  if (!s && cairo_surface_status(sf) == CAIRO_STATUS_SUCCESS) {
    if (title[0])
      cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_TITLE, title);
    cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_CREATOR, creator);
    if (cmd)
      cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_SUBJECT, cmd);
    if (rest[0])
      cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_KEYWORDS, rest);
  }
  free(rest);
  cairo_t *cr = cairo_create(sf);
  if (!s)
    s = cairo_status(cr) != CAIRO_STATUS_SUCCESS ? SP_ERENDER : draw(p, cr);
  if (!s && cairo_status(cr) != CAIRO_STATUS_SUCCESS)
    s = SP_ERENDER;
  cairo_destroy(cr);
  cairo_surface_finish(sf);
  cairo_status_t cs = cairo_surface_status(sf);
  cairo_surface_destroy(sf);
  if (!s && cs == CAIRO_STATUS_WRITE_ERROR)
    s = SP_EIO;
  else if (!s && cs != CAIRO_STATUS_SUCCESS)
    s = SP_ERENDER;
  return s;
}

/* XML-escaped copy of s appended to out (control characters dropped). */
static int xml_text(buffer *out, const char *s)
{
  for (; *s; s++) {
    const char *rep = NULL;
    switch (*s) {
    case '&': rep = "&amp;"; break;
    case '<': rep = "&lt;"; break;
    case '>': rep = "&gt;"; break;
    case '"': rep = "&quot;"; break;
    default: break;
    }
    if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
      continue;
    const char *w = rep ? rep : s;
    if (buffer_write(out, (const unsigned char *)w, rep ? (unsigned)strlen(rep) : 1u))
      return SP_ENOMEM;
  }
  return SP_OK;
}

static int xml_raw(buffer *out, const char *s)
{
  return buffer_write(out, (const unsigned char *)s, (unsigned)strlen(s)) ? SP_ENOMEM : SP_OK;
}

static int write_svg(const sp_plot *p, FILE *fp, const sp_meta *meta, size_t nmeta)
{
  buffer svg = {NULL, 0, 0};
  cairo_surface_t *sf = cairo_svg_surface_create_for_stream(buffer_write, &svg, p->w, p->h);
  if (cairo_surface_status(sf) == CAIRO_STATUS_SUCCESS)
    cairo_svg_surface_set_document_unit(sf, CAIRO_SVG_UNIT_PT);
  cairo_t *cr = cairo_create(sf);
  int s = cairo_status(cr) != CAIRO_STATUS_SUCCESS ? SP_ERENDER : draw(p, cr);
  if (!s && cairo_status(cr) != CAIRO_STATUS_SUCCESS)
    s = SP_ERENDER;
  cairo_destroy(cr);
  cairo_surface_finish(sf);
  if (!s && cairo_surface_status(sf) != CAIRO_STATUS_SUCCESS)
    s = SP_ERENDER;
  cairo_surface_destroy(sf);
  /* Insert title, description and metadata after the root element's tag. */
  buffer out = {NULL, 0, 0};
  const char *root = NULL, *end = NULL;
  if (!s && svg.n && buffer_write(&svg, (const unsigned char *)"", 1) == CAIRO_STATUS_SUCCESS) {
    root = strstr((const char *)svg.data, "<svg");
    end = root ? strchr(root, '>') : NULL;
  }
  if (!s && !end)
    s = SP_ERENDER;
  if (!s) {
    size_t head = (size_t)(end + 1 - (const char *)svg.data);
    const char *title = p->title ? p->title : "";
    const char *cmd = meta_value(meta, nmeta, "command");
    char *rest = meta_join(meta, nmeta, "\n");
    s = rest ? SP_OK : SP_ENOMEM;
    if (!s && buffer_write(&out, svg.data, (unsigned)head))
      s = SP_ENOMEM;
    if (!s && title[0]) {
      s = xml_raw(&out, "\n<title>");
      s = s ? s : xml_text(&out, title);
      s = s ? s : xml_raw(&out, "</title>");
    }
    if (!s && cmd) {
      s = xml_raw(&out, "\n<desc>");
      s = s ? s : xml_text(&out, cmd);
      s = s ? s : xml_raw(&out, "</desc>");
    }
    if (!s && rest && rest[0]) {
      s = xml_raw(&out, "\n<metadata>");
      s = s ? s : xml_text(&out, rest);
      s = s ? s : xml_raw(&out, "</metadata>");
    }
    free(rest);
    /* The rest, without the NUL added above; images (the heat maps) are
     * marked for nearest-neighbour scaling, which Cairo does not write. */
    const char *rest_svg = (const char *)svg.data + head, *img;
    while (!s && (img = strstr(rest_svg, "<image "))) {
      size_t k = (size_t)(img - rest_svg) + 7;
      if (buffer_write(&out, (const unsigned char *)rest_svg, (unsigned)k))
        s = SP_ENOMEM;
      if (!s)
        s = xml_raw(&out, "image-rendering=\"optimizeSpeed\" "
                    "style=\"image-rendering:crisp-edges;image-rendering:pixelated\" ");
      rest_svg += k;
    }
    if (!s && xml_raw(&out, rest_svg))
      s = SP_ENOMEM;
  }
  if (!s && fwrite(out.data, 1, out.n, fp) != out.n)
    s = SP_EIO;
  free(svg.data);
  free(out.data);
  return s;
}

/* Free a copy made by meta_repaired. */
static void meta_free(sp_meta *m, size_t n)
{
  for (size_t i = 0; m && i < n; i++) {
    free((char *)m[i].key);
    free((char *)m[i].value);
  }
  free(m);
}

/* A copy of the metadata with keys and values repaired to UTF-8 (the
 * program's command line may hold any bytes); NULL when memory runs out. */
static sp_meta *meta_repaired(const sp_meta *meta, size_t n)
{
  sp_meta *m = calloc(n ? n : 1, sizeof *m);
  for (size_t i = 0; m && i < n; i++) {
    m[i].key = meta[i].key ? sp_utf8_dup(meta[i].key) : NULL;
    m[i].value = meta[i].value ? sp_utf8_dup(meta[i].value) : NULL;
    if ((meta[i].key && !m[i].key) || (meta[i].value && !m[i].value)) {
      meta_free(m, i + 1);
      return NULL;
    }
  }
  return m;
}

int sp_plot_write(sp_plot *p, FILE *fp, sp_format fmt, double dpi, const sp_meta *meta_in,
                  size_t nmeta)
{
  int s = check(p, 0, NULL);
  if (s)
    return s;
  if (!fp || (nmeta && !meta_in))
    return SP_EINVAL;
  sp_meta *meta = meta_repaired(meta_in, nmeta);
  if (!meta)
    return SP_ENOMEM;
  switch (fmt) {
  case SP_FMT_PNG:
    s = dpi >= 10.0 && dpi <= 2400.0 ? write_png(p, fp, dpi, meta, nmeta) : SP_EINVAL;
    break;
  case SP_FMT_PDF: s = write_pdf(p, fp, meta, nmeta); break;
  case SP_FMT_SVG: s = write_svg(p, fp, meta, nmeta); break;
  default: s = SP_EINVAL; break;
  }
  meta_free(meta, nmeta);
  if (s == SP_EINVAL)
    return s;
  if (!s && (fflush(fp) != 0 || ferror(fp)))
    s = SP_EIO;
  /* A failed write is not the figure's fault: only rendering errors stick. */
  if (s == SP_ERENDER || s == SP_ENOMEM)
    fail(p, s);
  return s;
}

int sp_plot_locate(sp_plot *p, size_t i, double x, double y, double *u, double *v)
{
  panel *pn;
  int s = check(p, i, &pn);
  (void)pn;
  if (s)
    return s;
  if (!u || !v)
    return SP_EINVAL;
  cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
  cairo_t *cr = cairo_create(sf);
  layout *L = malloc(sizeof *L);
  s = L ? SP_OK : SP_ENOMEM;
  if (!s && cairo_status(cr) != CAIRO_STATUS_SUCCESS)
    s = SP_ERENDER;
  if (!s) {
    pen pe = {cr, p->family};
    configure(cr);
    s = compute_layout(p, &pe, L);
  }
  if (!s) {
    const panel_layout *pl = &L->pl[i];
    *u = to_px(pl, axis_t(pl->tk[0].log, x));
    *v = to_py(pl, axis_t(pl->tk[1].log, y));
  }
  free(L);
  cairo_destroy(cr);
  cairo_surface_destroy(sf);
  return s;
}
