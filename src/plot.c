/* Figures with Cairo: the figure object -- panels, axes, heat maps,
 * series, region labels and legends as the caller describes them.  Text
 * markup, ticks, layout, drawing and file output are in plot_*.c.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "grow.h"
#include "plot_private.h"
#include "sigprop/utf8.h"
#include "sigprop/status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
int sp_plot_fail(sp_plot *p, int status)
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

void sp_plot_style_line(sp_plot_style *s, double r, double g, double b, double width, sp_line line,
                        double halo, double hr, double hg, double hb)
{
  sp_plot_style_default(s);
  s->color[0] = r;
  s->color[1] = g;
  s->color[2] = b;
  s->width = width;
  s->line = line;
  s->halo = halo;
  s->halo_color[0] = hr;
  s->halo_color[1] = hg;
  s->halo_color[2] = hb;
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
int sp_plot_check(sp_plot *p, size_t panel_index, panel **pn)
{
  if (!p)
    return SP_EINVAL;
  if (p->status)
    return p->status;
  if (pn) {
    if (panel_index >= p->npanels)
      return sp_plot_fail(p, SP_EINVAL);
    *pn = &p->pan[panel_index];
  }
  return SP_OK;
}

/* Replace *slot by a copy of s (NULL/"" clears). */
static int set_string(sp_plot *p, char **slot, const char *s)
{
  char *d = dup_or_null(s);
  if (s && *s && !d)
    return sp_plot_fail(p, SP_ENOMEM);
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
  int s = sp_plot_check(p, 0, NULL);
  if (s)
    return s;
  if (!(size >= 4.0 && size <= 72.0))
    return sp_plot_fail(p, SP_EINVAL);
  if (family && (s = set_string(p, &p->family, family)))
    return s;
  p->fsize = size;
  return SP_OK;
}

int sp_plot_set_title(sp_plot *p, const char *markup)
{
  int s = sp_plot_check(p, 0, NULL);
  return s ? s : set_string(p, &p->title, markup);
}

int sp_plot_set_panel_title(sp_plot *p, size_t i, const char *markup)
{
  panel *pn;
  int s = sp_plot_check(p, i, &pn);
  return s ? s : set_string(p, &pn->title, markup);
}

int sp_plot_set_axis(sp_plot *p, size_t i, char axis, const char *label, sp_scale scale,
                     double min, double max)
{
  panel *pn;
  int s = sp_plot_check(p, i, &pn);
  if (s)
    return s;
  if ((axis != 'x' && axis != 'y') || (scale != SP_SCALE_LINEAR && scale != SP_SCALE_LOG))
    return sp_plot_fail(p, SP_EINVAL);
  if ((!isnan(min) && !isfinite(min)) || (!isnan(max) && !isfinite(max)))
    return sp_plot_fail(p, SP_EDOM);
  if (!isnan(min) && !isnan(max) && !(min < max))
    return sp_plot_fail(p, SP_EDOM);
  if (scale == SP_SCALE_LOG && (min <= 0.0 || max <= 0.0))
    return sp_plot_fail(p, SP_EDOM);
  axis_spec *a = &pn->ax[axis == 'y'];
  if ((s = set_string(p, &a->label, label)))
    return s;
  a->scale = scale;
  a->min = min;
  a->max = max;
  return SP_OK;
}

/* The finite range of z[0..n) into *lo and/or *hi (either may be NULL);
 * a single value v gives [v - 0.5, v + 0.5], no finite value [0, 1].  A
 * given end on the wrong side of the data's range fails the caller's
 * zmin < zmax check. */
static void data_range(const double *z, size_t n, double *lo, double *hi)
{
  double a = INFINITY, b = -INFINITY;
  for (size_t i = 0; i < n; i++)
    if (isfinite(z[i])) {
      a = fmin(a, z[i]);
      b = fmax(b, z[i]);
    }
  if (!(a <= b)) {
    a = 0.0;
    b = 1.0;
  } else if (a == b) {
    a -= 0.5;
    b += 0.5;
  }
  if (lo)
    *lo = a;
  if (hi)
    *hi = b;
}

int sp_plot_heatmap(sp_plot *p, size_t i, size_t nx, size_t ny, const double *z, double x0,
                    double x1, double y0, double y1, const sp_colormap *cm, double zmin,
                    double zmax, const char *zlabel)
{
  panel *pn;
  int s = sp_plot_check(p, i, &pn);
  if (s)
    return s;
  if (!z || !cm || cm->n < 2 || nx < 1 || ny < 1 || nx > 32767 || ny > 32767 || pn->heat)
    return sp_plot_fail(p, SP_EINVAL);
  if (isnan(zmin) || isnan(zmax))
    data_range(z, nx * ny, isnan(zmin) ? &zmin : NULL, isnan(zmax) ? &zmax : NULL);
  if (!(zmin < zmax) || !isfinite(zmin) || !isfinite(zmax) || !isfinite(x0) || !isfinite(x1)
      || !isfinite(y0) || !isfinite(y1) || (nx > 1 && !(x0 < x1)) || (ny > 1 && !(y0 < y1)))
    return sp_plot_fail(p, SP_EDOM);
  if ((pn->ax[0].scale == SP_SCALE_LOG && !(x0 > 0.0))
      || (pn->ax[1].scale == SP_SCALE_LOG && !(y0 > 0.0)))
    return sp_plot_fail(p, SP_EDOM);
  heatmap *h = calloc(1, sizeof *h);
  if (!h)
    return sp_plot_fail(p, SP_ENOMEM);
  *h = (heatmap){nx, ny, dup_doubles(z, nx * ny), x0, x1, y0, y1, cm, zmin, zmax,
                 dup_or_null(zlabel)};
  if (!h->z || (zlabel && *zlabel && !h->zlabel)) {
    free(h->z);
    free(h->zlabel);
    free(h);
    return sp_plot_fail(p, SP_ENOMEM);
  }
  pn->heat = h;
  return SP_OK;
}

int sp_plot_series(sp_plot *p, size_t i, size_t n, const double *x, const double *y,
                   const double *yerr, const sp_plot_style *style, const char *label)
{
  panel *pn;
  int s = sp_plot_check(p, i, &pn);
  if (s)
    return s;
  if (!x || !y || n == 0)
    return sp_plot_fail(p, SP_EINVAL);
  sp_plot_style st;
  if (style)
    st = *style;
  else
    sp_plot_style_default(&st);
  if (!(st.width > 0.0) || !(st.marker_size > 0.0) || !(st.halo >= 0.0)
      || (unsigned)st.line > SP_LINE_NONE || (unsigned)st.marker > SP_MARKER_STAR)
    return sp_plot_fail(p, SP_EDOM);
  int auto_color = st.color[0] < 0.0;
  if (auto_color) {
    memcpy(st.color, palette[pn->ncolor % NPALETTE], sizeof st.color);
    pn->ncolor++;
  }
  if (sp_grow(&pn->ser, &pn->cap, pn->nser, sizeof *pn->ser, 8))
    return sp_plot_fail(p, SP_ENOMEM);
  series *se = &pn->ser[pn->nser];
  int auto_style = auto_color && st.line == SP_LINE_SOLID && st.marker == SP_MARKER_NONE;
  *se = (series){n, dup_doubles(x, n), dup_doubles(y, n), yerr ? dup_doubles(yerr, n) : NULL,
                 st, dup_or_null(label), st, auto_style, 0, 1, 0};
  if (!se->x || !se->y || (yerr && !se->e) || (label && *label && !se->label)) {
    free(se->x);
    free(se->y);
    free(se->e);
    free(se->label);
    return sp_plot_fail(p, SP_ENOMEM);
  }
  pn->nser++;
  return SP_OK;
}

int sp_plot_region_label(sp_plot *p, size_t i, size_t nx, size_t ny, const unsigned char *mask,
                         const char *markup)
{
  panel *pn;
  int s = sp_plot_check(p, i, &pn);
  if (s)
    return s;
  if (!mask || !markup || !*markup || !pn->heat || pn->heat->nx != nx || pn->heat->ny != ny)
    return sp_plot_fail(p, SP_EINVAL);
  region *r = realloc(pn->reg, (pn->nreg + 1) * sizeof *r);
  if (!r)
    return sp_plot_fail(p, SP_ENOMEM);
  pn->reg = r;
  region *nr = &pn->reg[pn->nreg];
  nr->mask = malloc(nx * ny);
  nr->text = dup_or_null(markup);
  if (!nr->mask || !nr->text) {
    free(nr->mask);
    free(nr->text);
    return sp_plot_fail(p, SP_ENOMEM);
  }
  memcpy(nr->mask, mask, nx * ny);
  pn->nreg++;
  return SP_OK;
}

int sp_plot_legend(sp_plot *p, size_t i, sp_legend where)
{
  panel *pn;
  int s = sp_plot_check(p, i, &pn);
  if (s)
    return s;
  if ((unsigned)where > SP_LEGEND_BELOW)
    return sp_plot_fail(p, SP_EINVAL);
  pn->legend = where;
  return SP_OK;
}
