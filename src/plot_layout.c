/* Figure layout: axis ranges from the data, the title and legend band,
 * and panel margins shared across the grid so that axes line up.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "plot_private.h"
#include "sigprop/status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double sp_plot_axis_t(int log, double v)
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
    double c0 = sp_plot_axis_t(log, a ? h->y0 : h->x0), c1 = sp_plot_axis_t(log, a ? h->y1 : h->x1);
    double d = n > 1 ? (c1 - c0) / (double)(n - 1) : 1.0;
    *lo = c0 - d / 2.0;
    *hi = c1 + d / 2.0;
  } else {
    for (size_t k = 0; k < pn->nser; k++) {
      const series *s = &pn->ser[k];
      for (size_t i = 0; i < s->n; i++) {
        double v = a ? s->y[i] : s->x[i];
        double e = a && s->e && isfinite(s->e[i]) ? fabs(s->e[i]) : 0.0;
        double lo_v = sp_plot_axis_t(log, v - e), hi_v = sp_plot_axis_t(log, v + e);
        if (isnan(lo_v))
          lo_v = sp_plot_axis_t(log, v);
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
    *lo = sp_plot_axis_t(log, as->min);
  if (!isnan(as->max))
    *hi = sp_plot_axis_t(log, as->max);
}

/* Size of one legend entry. */
double sp_plot_legend_entry_width(const pen *pe, const layout *L, const series *s)
{
  return SAMPLE_LEN + 4.0 + sp_plot_measure(pe, s->label, font_legend(L)).w;
}

/* Rows the BELOW legend needs across `width`. */
/* Rows the BELOW legend needs across `width` with at most `cap` entries
 * in a row; *n gets the number of entries. */
static size_t rows_capped(const pen *pe, const layout *L, const panel *pn, double width,
                          size_t cap, size_t *n)
{
  size_t rows = 0, in_row = 0;
  double x = 0.0;
  *n = 0;
  for (size_t k = 0; k < pn->nser; k++) {
    if (!pn->ser[k].label)
      continue;
    double w = sp_plot_legend_entry_width(pe, L, &pn->ser[k]);
    if (rows == 0 || x + w > width || in_row == cap) {
      rows++;
      x = 0.0;
      in_row = 0;
    }
    x += w + 1.6 * L->fs;
    in_row++;
    (*n)++;
  }
  return rows;
}

/* Rows of the BELOW legend, balanced: the entries are spread evenly over
 * the rows they need (no last row with a lone entry); *cap gets the
 * largest number of entries in a row. */
static size_t legend_rows(const pen *pe, const layout *L, const panel *pn, double width,
                          size_t *cap)
{
  size_t n, rows = rows_capped(pe, L, pn, width, (size_t)-1, &n);
  *cap = n;
  while (rows > 1) {
    size_t c = (n + rows - 1) / rows, r = rows_capped(pe, L, pn, width, c, &n);
    if (r <= rows) {
      *cap = c;
      return r;
    }
    rows = r;
  }
  return rows;
}

/* The title and the legend band: sets the title's size and baseline and
 * the band's top, and returns the space left for the panels in *top and
 * *bottom. */
static void place_bands(const sp_plot *p, const pen *pe, layout *L, double *top, double *bottom)
{
  *top = PAD;
  *bottom = p->h - PAD;
  if (p->title) {
    L->title_size = font_title(L);
    tbox b = sp_plot_measure(pe, p->title, L->title_size);
    if (b.w > p->w - 2.0 * PAD) {
      L->title_size *= (p->w - 2.0 * PAD) / b.w;
      b = sp_plot_measure(pe, p->title, L->title_size);
    }
    L->title_base = *top + b.asc;
    *top += b.asc + b.desc + 0.6 * L->fs;
  }
  for (size_t i = 0; i < p->npanels; i++)
    if (p->pan[i].legend == SP_LEGEND_BELOW && !L->legend_below) {
      size_t rows = legend_rows(pe, L, &p->pan[i], p->w - 2.0 * PAD, &L->legend_cap);
      if (rows) {
        L->legend_below = 1;
        L->legend_panel = i;
        *bottom -= (double)rows * legend_row_height(L) + 0.2 * L->fs;
        L->legend_top = *bottom + 0.2 * L->fs;
      }
    }
}

/* Is axis a (0 x, 1 y) of a panel a linear axis whose data are whole
 * numbers (layers, token counts)?  Not with a heat map. */
static int integer_axis(const panel *pn, int a)
{
  if (pn->heat || pn->ax[a].scale == SP_SCALE_LOG)
    return 0;
  double lo = INFINITY, hi = -INFINITY;
  for (size_t k = 0; k < pn->nser; k++) {
    const series *s = &pn->ser[k];
    for (size_t i = 0; i < s->n; i++) {
      double v = a ? s->y[i] : s->x[i];
      if (!isfinite(v))
        continue;
      if (v != floor(v) || fabs(v) > 1e15)
        return 0;
      lo = fmin(lo, v);
      hi = fmax(hi, v);
    }
  }
  return lo < hi; /* constant data say nothing about the axis */
}

/* Room (points) that markers and error-bar caps need beyond a data point
 * of the panel drawn at the ends of axis a: a point within that distance
 * of an end pushes the end out so that nothing is cut by the frame. */
static double marker_room(const series *s)
{
  double r = 0.0;
  if (s->orig.marker != SP_MARKER_NONE)
    r = 0.65 * s->orig.marker_size + s->orig.halo + 0.5 * s->orig.width;
  if (s->e)
    r = fmax(r, 0.35 * s->orig.marker_size + 0.6 + 0.4);
  return r;
}

/* Widen [tk->lo, tk->hi] (axis a, `length` points long) so that every
 * marker or error bar of a point inside the range lies inside the frame. */
static void pad_for_markers(const panel *pn, int a, double length, ticks *tk)
{
  double lo = tk->lo, hi = tk->hi, grow_lo = 0.0, grow_hi = 0.0;
  for (size_t k = 0; k < pn->nser; k++) {
    const series *s = &pn->ser[k];
    double room = marker_room(s);
    if (room <= 0.0)
      continue;
    double r = room / length * (hi - lo);
    for (size_t i = 0; i < s->n; i++) {
      double t = sp_plot_axis_t(tk->log, a ? s->y[i] : s->x[i]);
      if (!isfinite(t) || t < lo - 1e-9 * (hi - lo) || t > hi + 1e-9 * (hi - lo))
        continue;
      grow_lo = fmax(grow_lo, r - (t - lo));
      grow_hi = fmax(grow_hi, r - (hi - t));
    }
  }
  /* Growing the range shrinks a point's distance in points a little: aim
   * for the room with the grown span. */
  double span = hi - lo, total = span + grow_lo + grow_hi;
  tk->lo = lo - grow_lo * total / span;
  tk->hi = hi + grow_hi * total / span;
}

/* Ticks of one panel whose axes box is already placed, and the margins
 * (left, right, top, bottom) its labels need around that box. */
static int panel_margins(const pen *pe, const layout *L, const panel *pn, panel_layout *pl,
                         double m[4])
{
  for (int a = 0; a < 2; a++) {
    ticks *tk = &pl->tk[a];
    tk->log = pn->ax[a].scale == SP_SCALE_LOG;
    tk->integer = integer_axis(pn, a);
    auto_range(pn, a, &tk->lo, &tk->hi);
    if (!(tk->lo < tk->hi))
      return SP_EDOM;
    if (a == 1 && pl->headroom > 0.0)
      tk->hi = tk->lo + (tk->hi - tk->lo) / (1.0 - pl->headroom);
    if (!pn->heat)
      pad_for_markers(pn, a, a ? pl->h : pl->w, tk);
    sp_plot_ticks_make(pe, L->fs, a ? pl->h : pl->w, !a, tk);
  }
  pl->cbar = pn->heat != NULL;
  double right = 0.0;
  if (pl->cbar) {
    pl->cb.log = 0;
    pl->cb.lo = pn->heat->zmin;
    pl->cb.hi = pn->heat->zmax;
    sp_plot_ticks_make(pe, L->fs, pl->h, 0, &pl->cb);
    right = CBAR_GAP + CBAR_WIDTH + TICK_LEN + TICK_GAP + pl->cb.max_w;
    if (pn->heat->zlabel) {
      tbox b = sp_plot_measure(pe, pn->heat->zlabel, font_axis(L));
      right += LABEL_GAP + b.asc + b.desc;
    }
  }
  /* The last x tick label may stick out on the right. */
  const ticks *tx = &pl->tk[0];
  if (tx->nt) {
    double last = (tx->t[tx->nt - 1] - tx->lo) / (tx->hi - tx->lo) * pl->w;
    double over = last + sp_plot_measure(pe, tx->label[tx->nt - 1], L->fs).w / 2.0 - pl->w;
    right = fmax(right, over);
  }
  m[1] = right + 2.0;
  double left = TICK_LEN + TICK_GAP + pl->tk[1].max_w;
  if (pn->ax[1].label) {
    tbox b = sp_plot_measure(pe, pn->ax[1].label, font_axis(L));
    left += LABEL_GAP + b.asc + b.desc;
  }
  m[0] = left;
  double below = TICK_LEN + TICK_GAP + pl->tk[0].max_asc + pl->tk[0].max_desc;
  if (pn->ax[0].label) {
    tbox b = sp_plot_measure(pe, pn->ax[0].label, font_axis(L));
    below += LABEL_GAP + b.asc + b.desc;
  }
  m[3] = below + 1.0;
  double above = 0.5 * (pl->tk[1].max_asc + pl->tk[1].max_desc) + 1.0;
  if (pn->title) {
    tbox b = sp_plot_measure(pe, pn->title, font_panel(L));
    above = fmax(above, b.asc + b.desc + 0.5 * L->fs);
  }
  m[2] = above;
  return SP_OK;
}

/* Place the panels of the grid between `top` and `bottom` with `extra`
 * points more on every panel's right (for legends beside the axes). */
static int place_panels(const sp_plot *p, const pen *pe, layout *L, double top, double bottom,
                        double extra)
{
  double cw = (p->w - 2.0 * PAD) / (double)p->cols;
  double ch = (bottom - top) / (double)p->rows;

  /* Margins shared by all panels, so that their axes line up; three passes
   * because the tick labels depend on the axis lengths and vice versa. */
  double ml = 4.0 * L->fs, mr = L->fs, mt = L->fs, mb = 4.0 * L->fs;
  for (int pass = 0; pass < 3; pass++) {
    double nl = 0.0, nr = 0.0, nt = 0.0, nb = 0.0;
    for (size_t i = 0; i < p->npanels; i++) {
      panel_layout *pl = &L->pl[i];
      size_t r = i / p->cols, c = i % p->cols;
      pl->x = PAD + (double)c * cw + ml;
      pl->y = top + (double)r * ch + mt;
      pl->w = cw - ml - mr - extra;
      pl->h = ch - mt - mb;
      if (pl->w < 10.0 || pl->h < 10.0)
        return SP_EINVAL;
      double m[4];
      int s = panel_margins(pe, L, &p->pan[i], pl, m);
      if (s)
        return s;
      pl->legend_x = pl->x + pl->w + m[1] + 0.3 * L->fs;
      nl = fmax(nl, m[0]);
      nr = fmax(nr, m[1]);
      nt = fmax(nt, m[2]);
      nb = fmax(nb, m[3]);
    }
    ml = nl;
    mr = nr;
    mt = nt;
    mb = nb;
  }
  return SP_OK;
}

/* Data points hidden by the BEST legend of panel i where it goes
 * (0 without one); box gets its size. */
static size_t legend_hides(const sp_plot *p, const pen *pe, const layout *L, size_t i,
                           double box[4])
{
  if (p->pan[i].legend != SP_LEGEND_BEST)
    return 0;
  size_t hidden = sp_plot_legend_place(pe, L, &L->pl[i], &p->pan[i], box);
  return hidden == (size_t)-1 ? 0 : hidden;
}

int sp_plot_layout_compute(const sp_plot *p, const pen *pe, layout *L)
{
  memset(L, 0, sizeof *L);
  L->fs = p->fsize;
  double top, bottom, box[4];
  place_bands(p, pe, L, &top, &bottom);
  int s = place_panels(p, pe, L, top, bottom, 0.0);
  /* A legend that would hide data inside its axes gets a band of its own
   * at the top of the axes (the y range grows upwards) ... */
  int again = 0;
  for (size_t i = 0; i < p->npanels && !s; i++)
    if (legend_hides(p, pe, L, i, box)) {
      double f = (box[3] + 1.2 * L->fs) / L->pl[i].h;
      L->pl[i].headroom = f < 0.6 ? f : 0.0;
      again |= f < 0.6;
    }
  if (!s && again)
    s = place_panels(p, pe, L, top, bottom, 0.0);
  /* ... else goes beside them when the panels stay wide enough. */
  double extra = 0.0, cw = (p->w - 2.0 * PAD) / (double)p->cols;
  for (size_t i = 0; i < p->npanels && !s; i++)
    if (legend_hides(p, pe, L, i, box))
      extra = fmax(extra, box[2] + 0.3 * L->fs);
  if (s || extra == 0.0 || extra > 0.3 * cw)
    return s;
  s = place_panels(p, pe, L, top, bottom, extra);
  for (size_t i = 0; i < p->npanels && !s; i++)
    L->pl[i].legend_out = legend_hides(p, pe, L, i, box) > 0;
  return s;
}

int sp_plot_locate(sp_plot *p, size_t i, double x, double y, double *u, double *v)
{
  panel *pn;
  int s = sp_plot_check(p, i, &pn);
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
    sp_plot_configure(cr);
    s = sp_plot_layout_compute(p, &pe, L);
  }
  if (!s) {
    const panel_layout *pl = &L->pl[i];
    *u = to_px(pl, sp_plot_axis_t(pl->tk[0].log, x));
    *v = to_py(pl, sp_plot_axis_t(pl->tk[1].log, y));
  }
  free(L);
  cairo_destroy(cr);
  cairo_surface_destroy(sf);
  return s;
}
