/* The tables of sigprop diagram: the grid and the curves.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/diagram_table.h"

#include <math.h>
#include <string.h>

/* The lambda_g column (next to last) appears only when it was computed. */
static const char *const grid_columns[SP_DIAGRAM_GRID_NCOL] = {
  "x", "y", "rho_final", "y2_first", "y2_max", "beta_ratio", "frozen_layers", "lambda_a",
  "grad_wq", "lambda_g", "class"};
static const char *const grid_columns_short[SP_DIAGRAM_GRID_NCOL - 1] = {
  "x", "y", "rho_final", "y2_first", "y2_max", "beta_ratio", "frozen_layers", "lambda_a",
  "grad_wq", "class"};

size_t sp_diagram_grid_ncol(const sp_diagram_data *d)
{
  if (!d)
    return 0;
  return d->opt.lambda_g ? SP_DIAGRAM_GRID_NCOL : SP_DIAGRAM_GRID_NCOL - 1;
}

int sp_diagram_grid_table(const sp_diagram_data *d, double *num, const char **str, sp_table *t)
{
  if (!d || !num || !str)
    return SP_EINVAL;
  size_t n = d->nx * d->ny, nc = sp_diagram_grid_ncol(d);
  for (size_t k = 0; k < n; k++) {
    const sp_diagram_point *p = &d->pt[k];
    double row[SP_DIAGRAM_GRID_NCOL] = {
      p->x, p->y, p->rho_final, p->y2_first, p->y2_max, p->beta_ratio,
      p->status ? NAN : (double)p->frozen_layers, p->lambda_a, p->grad_wq, p->lambda_g, NAN};
    if (!d->opt.lambda_g)
      row[SP_DIAGRAM_GRID_NCOL - 2] = NAN;
    memcpy(num + k * nc, row, nc * sizeof row[0]);
    for (size_t c = 0; c + 1 < nc; c++)
      str[k * nc + c] = NULL;
    str[k * nc + nc - 1] = sp_class_name(p->cls);
  }
  if (t)
    *t = (sp_table){nc, n, d->opt.lambda_g ? grid_columns : grid_columns_short, num, str};
  return SP_OK;
}

static const char *const curve_columns[SP_DIAGRAM_CURVES_NCOL] = {"curve", "piece", "x", "y"};
static const char *const curve_names[] = {"rank",    "entropy", "lambda0",  "beta_c",
                                          "alpha_c", "grad",    "lambda_g0"};
#define NCURVE (sizeof curve_names / sizeof curve_names[0])

/* The curves of d in the order of curve_names. */
static void curves_of(const sp_diagram_data *d, const sp_contour *c[NCURVE])
{
  const sp_contour *all[NCURVE] = {&d->rank,    &d->entropy, &d->lambda0,  &d->beta_c,
                                   &d->alpha_c, &d->grad,    &d->lambda_g0};
  memcpy(c, all, sizeof all);
}

size_t sp_diagram_curves_nrow(const sp_diagram_data *d)
{
  if (!d)
    return 0;
  const sp_contour *c[NCURVE];
  curves_of(d, c);
  size_t n = 0;
  for (size_t i = 0; i < NCURVE; i++)
    for (size_t k = 0; k < c[i]->n; k++)
      n += c[i]->lines[k].n + (c[i]->lines[k].closed ? 1 : 0);
  return n;
}

int sp_diagram_curves_table(const sp_diagram_data *d, double *num, const char **str,
                            sp_table *t)
{
  if (!d || !num || !str)
    return SP_EINVAL;
  const sp_contour *c[NCURVE];
  curves_of(d, c);
  size_t r = 0;
  for (size_t i = 0; i < NCURVE; i++)
    for (size_t k = 0; k < c[i]->n; k++) {
      const sp_polyline *l = &c[i]->lines[k];
      for (size_t v = 0; v < l->n + (l->closed ? 1 : 0); v++, r++) {
        size_t u = v % l->n;
        double row[SP_DIAGRAM_CURVES_NCOL] = {NAN, (double)k, l->x[u], l->y[u]};
        memcpy(num + r * SP_DIAGRAM_CURVES_NCOL, row, sizeof row);
        str[r * SP_DIAGRAM_CURVES_NCOL] = curve_names[i];
        for (size_t j = 1; j < SP_DIAGRAM_CURVES_NCOL; j++)
          str[r * SP_DIAGRAM_CURVES_NCOL + j] = NULL;
      }
    }
  if (t)
    *t = (sp_table){SP_DIAGRAM_CURVES_NCOL, r, curve_columns, num, str};
  return SP_OK;
}
