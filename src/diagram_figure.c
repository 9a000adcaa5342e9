/* The figure of sigprop diagram.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/diagram_figure.h"

#include "sigprop/io.h"
#include "sigprop/status.h"
#include "grow.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sp_diagram_figure_options_default(sp_diagram_figure_options *o)
{
  if (!o)
    return;
  memset(o, 0, sizeof *o);
  o->colormap = sp_colormap_lookup("viridis");
  o->range_lo = o->range_hi = NAN;
}

int sp_diagram_figure_contour(sp_plot *p, size_t panel, const sp_contour *c,
                              const sp_plot_style *st, const char *label)
{
  if (!p || !c || !st)
    return SP_EINVAL;
  size_t n = 0;
  for (size_t k = 0; k < c->n; k++)
    n += c->lines[k].n + 2;
  if (!n)
    return SP_OK;
  double *x, *y;
  if (sp_alloc_points(n, &x, &y))
    return SP_ENOMEM;
  size_t r = 0;
  for (size_t k = 0; k < c->n; k++) {
    const sp_polyline *l = &c->lines[k];
    for (size_t v = 0; v < l->n + (l->closed ? 1 : 0); v++, r++) {
      x[r] = l->x[v % l->n];
      y[r] = l->y[v % l->n];
    }
    x[r] = y[r] = NAN;
    r++;
  }
  int s = sp_plot_series(p, panel, r, x, y, NULL, st, label);
  free(x);
  free(y);
  return s;
}

/* Fractional grid index of coordinate c on axis a. */
static double grid_index(const sp_axis *a, double c)
{
  if (a->spacing == SP_SPACING_LOG)
    return (log(c) - log(a->min)) / (log(a->max) - log(a->min)) * (double)(a->n - 1);
  return (c - a->min) / (a->max - a->min) * (double)(a->n - 1);
}

/* Clear from `mask` the cells the curves pass through (and, on fine grids
 * where a cell is narrower than a line, their neighbours), so that region
 * labels do not cover the curves. */
static void mask_curve(const sp_diagram_data *d, const sp_contour *c, unsigned char *mask)
{
  long gx = d->nx > 60, gy = d->ny > 60;
  for (size_t k = 0; k < c->n; k++) {
    const sp_polyline *l = &c->lines[k];
    for (size_t v = 0; v + 1 < l->n + (l->closed ? 1 : 0); v++) {
      size_t b = (v + 1) % l->n;
      double i0 = grid_index(&d->x, l->x[v]), j0 = grid_index(&d->y, l->y[v]);
      double i1 = grid_index(&d->x, l->x[b]), j1 = grid_index(&d->y, l->y[b]);
      int steps = 1 + (int)(2.0 * fmax(fabs(i1 - i0), fabs(j1 - j0)));
      for (int t = 0; t <= steps; t++) {
        double f = (double)t / steps;
        long ci = lround(i0 + f * (i1 - i0)), cj = lround(j0 + f * (j1 - j0));
        for (long dj = -gy; dj <= gy; dj++)
          for (long di = -gx; di <= gx; di++) {
            long ii = ci + di, jj = cj + dj;
            if (ii >= 0 && jj >= 0 && ii < (long)d->nx && jj < (long)d->ny)
              mask[(size_t)jj * d->nx + (size_t)ii] = 0;
          }
      }
    }
  }
}

/* The heat map of rho_L and the class names in their regions. */
static int draw_classes(sp_plot *p, const sp_diagram_data *d, const sp_diagram_figure_options *o)
{
  size_t n = d->nx * d->ny;
  double *z = malloc(n * sizeof *z), zmin = 0.0;
  unsigned char *mask = malloc(n);
  if (!z || !mask) {
    free(z);
    free(mask);
    return SP_ENOMEM;
  }
  for (size_t k = 0; k < n; k++) {
    z[k] = d->pt[k].rho_final;
    if (z[k] < zmin)
      zmin = z[k];
  }
  sp_plot_heatmap(p, 0, d->nx, d->ny, z, d->x.min, d->x.max, d->y.min, d->y.max, o->colormap,
                  isnan(o->range_lo) ? zmin : o->range_lo,
                  isnan(o->range_hi) ? 1.0 : o->range_hi, "ρ_L");
  /* Entropy-collapsed points whose rho_L also passes the rank-collapse
   * threshold have both failures: a region of their own. */
  static const char *const names[] = {"trainable", "rank collapse", "entropy collapse",
                                      "rank + entropy collapse"};
  const sp_contour *curves[] = {&d->rank,    &d->entropy, &d->lambda0,  &d->beta_c,
                                &d->alpha_c, &d->grad,    &d->lambda_g0};
  for (int c = 0; c < 4; c++) {
    size_t cnt = 0;
    for (size_t k = 0; k < n; k++) {
      int both = d->pt[k].cls == SP_CLASS_ENTROPY_COLLAPSE
                 && d->pt[k].rho_final >= d->opt.rho_max;
      cnt += (mask[k] = c == 3 ? both : d->pt[k].cls == (sp_class)c && !both);
    }
    for (size_t k = 0; k < sizeof curves / sizeof curves[0]; k++)
      mask_curve(d, curves[k], mask);
    if (o->mark) {
      double mx[2] = {o->mark_x, o->mark_x}, my[2] = {o->mark_y, o->mark_y};
      sp_polyline dot = {2, mx, my, 0};
      sp_contour one = {1, &dot};
      mask_curve(d, &one, mask);
    }
    if (cnt)
      sp_plot_region_label(p, 0, d->nx, d->ny, mask, names[c]);
  }
  free(z);
  free(mask);
  return SP_OK;
}

/* The class boundaries, the analytic overlays and the mark. */
static int draw_curves(sp_plot *p, const sp_diagram_data *d, const sp_diagram_figure_options *o)
{
  char label[96];
  sp_plot_style st;
  /* Class boundaries: white with a dark edge.  Analytic overlays: thin
   * dashed lines with a light edge, drawn on top. */
  sp_plot_style_line(&st, 1, 1, 1, 1.4, SP_LINE_SOLID, 0.45, 0.12, 0.12, 0.12);
  int s = sp_diagram_figure_contour(p, 0, &d->rank, &st, d->rank.n ? "class boundary" : NULL);
  if (!s)
    s = sp_diagram_figure_contour(p, 0, &d->entropy, &st, d->rank.n ? NULL : "class boundary");
  /* The vanishing-gradient boundary: a broad light line under the dashed
   * overlays (it often runs along beta = beta_c, which stays visible). */
  if (!s && d->grad.n) {
    char num[40];
    sp_io_format_double(num, sizeof num, d->opt.grad_fraction);
    snprintf(label, sizeof label, "‖∂L/∂W_Q‖^2 = %s max", num);
    sp_plot_style_line(&st, 0.337, 0.706, 0.914, 2.2, SP_LINE_SOLID, 0.35, 0.12, 0.12, 0.12);
    s = sp_diagram_figure_contour(p, 0, &d->grad, &st, label);
  }
  sp_plot_style_line(&st, 0.835, 0.369, 0.0, 1.0, SP_LINE_DASHED, 0.4, 1, 1, 1);
  if (!s)
    s = sp_diagram_figure_contour(p, 0, &d->beta_c, &st, "β = β_c(ρ_0)");
  sp_plot_style_line(&st, 0.1, 0.1, 0.1, 0.9, SP_LINE_DASHED, 0.35, 1, 1, 1);
  snprintf(label, sizeof label, "%s(L)",
           d->alpha_axis && strcmp(d->alpha_axis->name, "alpha-mlp") == 0 ? "α_{MLP,c}" : "α_c");
  if (!s)
    s = sp_diagram_figure_contour(p, 0, &d->alpha_c, &st, label);
  sp_plot_style_line(&st, 0.8, 0.475, 0.655, 1.1, SP_LINE_DASHDOT, 0.4, 1, 1, 1);
  if (!s)
    s = sp_diagram_figure_contour(p, 0, &d->lambda0, &st,
                                  "λ_a = 0 (ρ → 1 attracts where λ_a < 0)");
  sp_plot_style_line(&st, 0.0, 0.447, 0.698, 1.1, SP_LINE_DOTTED, 0.45, 1, 1, 1);
  if (!s)
    s = sp_diagram_figure_contour(p, 0, &d->lambda_g0, &st, "λ_g = 0");
  if (!s && o->mark) {
    sp_plot_style_line(&st, 1, 1, 1, 1, SP_LINE_NONE, 0.7, 0, 0, 0);
    st.marker = SP_MARKER_STAR;
    st.marker_size = 8.0;
    s = sp_plot_series(p, 0, 1, &o->mark_x, &o->mark_y, NULL, &st, "configuration");
  }
  return s;
}

int sp_diagram_figure_draw(sp_plot *p, const sp_diagram_data *d,
                           const sp_diagram_figure_options *o, const char *title)
{
  sp_diagram_figure_options def;
  if (!p || !d)
    return SP_EINVAL;
  if (!o) {
    sp_diagram_figure_options_default(&def);
    o = &def;
  }
  if (!o->colormap)
    return SP_EINVAL;
  if (o->mark && !(o->mark_x >= d->x.min && o->mark_x <= d->x.max && o->mark_y >= d->y.min
                   && o->mark_y <= d->y.max))
    return SP_EINVAL;
  sp_scale xs = d->x.spacing == SP_SPACING_LOG ? SP_SCALE_LOG : SP_SCALE_LINEAR;
  sp_scale ys = d->y.spacing == SP_SPACING_LOG ? SP_SCALE_LOG : SP_SCALE_LINEAR;
  sp_plot_set_title(p, title);
  /* The axes span exactly [min, max]: the outer cells show half, and the
   * curves, which live on the grid, reach the frame. */
  sp_plot_set_axis(p, 0, 'x', d->x.param->label, xs, d->x.min, d->x.max);
  sp_plot_set_axis(p, 0, 'y', d->y.param->label, ys, d->y.min, d->y.max);
  int s = draw_classes(p, d, o);
  if (!s)
    s = draw_curves(p, d, o);
  if (!s)
    s = sp_plot_legend(p, 0, SP_LEGEND_BELOW);
  return s;
}
