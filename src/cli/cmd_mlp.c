/* sigprop mlp: the classic mean field of the MLP alone (theory.md §8), at
 * one point or over a (var-w, var-b) grid with the edge of chaos.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cli_command command = {
  "mlp",
  "[--activation A] [--var-w V] [--var-b B] [--erf-scale A] [-o FILE]\n"
  "--x var-w:MIN:MAX:N[:log] --y var-b:MIN:MAX:N[:log] [--activation A] [--erf-scale A] "
  "[FIGURE OPTIONS] [-o FILE]...",
  "Mean field of a deep MLP alone (theory.md §8): pre-activation length q and correlation c of "
  "two inputs through layers x -> W phi(x) + b with weight variance var-w (times fan-in) and "
  "bias variance var-b.  Prints one row q_star,chi1,c_star,xi_c,xi_q: the stable fixed point q* "
  "of the length map, chi_1 = var-w E[phi'(sqrt(q*) z)^2] (< 1 ordered, > 1 chaotic), the "
  "stable correlation c*, and the depth scales of the correlation and of the length (in layers; "
  "inf at criticality).  Empty cells are undefined; '#' lines say why and record the "
  "parameters.\n\n"
  "With --x and --y (both, one var-w and one var-b) it solves every point of the grid instead: "
  "a table var_w,var_b,q_star,chi1,c_star,xi_c,xi_q (one row per point, x fastest) and/or the "
  "phase diagram: chi_1 as a heat map clipped to [0, 2] with the edge of chaos chi_1 = 1 drawn "
  "as a curve.  A figure (-o FILE.png, .pdf, .svg) needs the grid.",
  0, NULL};

#define NCOL SP_MEANFIELD_TABLE_NPOINT


typedef struct {
  int set, is_w, log;
  double min, max;
  long n;
} axis;

typedef struct {
  axis x, y;
  cli_list out;
  cli_figure fig;
  const sp_colormap *cm;
  cli_range range; /* --range of the colours, NaN: from the data */
  long threads;    /* --threads, 0: one per processor */
} options;

static int parse_axis(void *target, const cli_opt *o, const char *spec)
{
  axis *a = target;
  sp_axis ax;
  char msg[1024];
  if (sp_axis_parse_mlp(o->name, spec, &ax, msg, sizeof msg))
    return cli_error(CLI_USAGE, "%s", msg);
  *a = (axis){.min = ax.min, .max = ax.max, .n = (long)ax.n,
              .log = ax.spacing == SP_SPACING_LOG, .is_w = strcmp(ax.param->name, "var-w") == 0,
              .set = 1};
  return CLI_OK;
}

static double axis_value(const axis *a, long i)
{
  return sp_meanfield_table_axis(a->min, a->max, a->n, a->log, i);
}

static const cli_opt opts[] = {
  CLI_CALL_AT("x", 0, options, x, parse_axis, NULL, "SPEC",
              "the grid's x axis: NAME:MIN:MAX:N, NAME var-w or var-b, N in [2, 1001], ':log' "
              "for log spacing (MIN > 0)"),
  CLI_CALL_AT("y", 0, options, y, parse_axis, NULL, "SPEC", "the grid's y axis, as --x"),
  CLI_CALL_AT("colormap", 0, options, cm, cli_colormap_call, cli_colormap_show, "NAME",
              "viridis, cividis, magma or inferno"),
  CLI_CALL_AT("range", 0, options, range, cli_range_call, NULL, "LO:HI",
              "colour range of chi_1 [the data's, within 0:2]"),
  CLI_LONG("threads", 0, options, threads, 1, SP_MF_MAX_THREADS, "N",
           "worker threads of a grid; results do not depend on it [one per processor]"),
};

static int parse(int argc, char **argv, sp_model *m, options *o)
{
  cli_opt_group groups[] = {CLI_GROUP(opts, o), cli_figure_group(&o->fig),
                            cli_output_group(&o->out, 1), cli_mlp_model_group(m)};
  return cli_parse(&command, groups, 4, argc, argv, NULL, NULL);
}

static void add_model_meta(cli_meta *meta, const sp_model *m, int grid)
{
  char buf[48];
  cli_meta_begin(meta);
  cli_meta_add(meta, "activation", "%s", sp_activation_name(m->activation));
  if (!grid) {
    sp_io_format_double(buf, sizeof buf, m->var_w_in);
    cli_meta_add(meta, "var-w", "%s", buf);
    sp_io_format_double(buf, sizeof buf, m->var_b);
    cli_meta_add(meta, "var-b", "%s", buf);
  }
  if (m->activation == SP_ACT_ERF) {
    sp_io_format_double(buf, sizeof buf, m->erf_scale);
    cli_meta_add(meta, "erf-scale", "%s", buf);
  }
}

static int one_point(const sp_model *m, const options *o)
{
  int r;
  if (cli_outputs_figure(&o->out))
    return cli_error(CLI_USAGE, "-o: a figure needs --x and --y");
  if ((r = cli_outputs_check(&o->out, 0)))
    return r;
  cli_outputs files;
  if ((r = cli_outputs_begin(&files, &o->out)))
    return r;
  sp_meanfield mf;
  double row[NCOL];
  int s = sp_meanfield_table_point(m, row, &mf);
  if (s)
    return cli_outputs_end(&files, NULL, NULL, 0.0, NULL, cli_status(s, "mlp"));

  cli_meta meta;
  add_model_meta(&meta, m, 0);
  switch (mf.kind) {
  case SP_MF_Q_NONE:
    cli_meta_add(&meta, "q_star", "none: q grows without bound (no fixed point below %g)",
                 SP_MF_Q_MAX);
    cli_meta_add(&meta, "chi1", "its limit as q -> infinity");
    cli_meta_add(&meta, "undefined", "c_star, xi_c, xi_q (they live at q*)");
    break;
  case SP_MF_Q_ANY:
    cli_meta_add(&meta, "q_star", "undefined: every q is a fixed point");
    break;
  default:
    cli_meta_add(&meta, "q_star", "stable fixed point of q = var-w E[phi(sqrt q z)^2] + var-b");
    break;
  }
  if (mf.kind != SP_MF_Q_NONE) {
    const char *phase = mf.chi1 < 1.0 ? "ordered (chi1 < 1: c* = 1 attracts)"
                        : mf.chi1 > 1.0 ? "chaotic (chi1 > 1: c* < 1)"
                                        : "critical (chi1 = 1, edge of chaos)";
    cli_meta_add(&meta, "phase", "%s", phase);
  }
  cli_meta_add(&meta, "xi_c, xi_q", "depth scales in layers (inf: power-law approach)");
  const char *columns[NCOL];
  for (size_t c = 0; c < NCOL; c++)
    columns[c] = sp_meanfield_table_column(c + 2);
  sp_table t = {NCOL, 1, columns, row, NULL};
  return cli_outputs_end(&files, &t, NULL, 0.0, &meta, CLI_OK);
}

/* ---- the (var-w, var-b) grid ----------------------------------------- */

typedef struct {
  const sp_model *m;
  int x_is_w;
} chi_arg;

/* chi1 at grid coordinates (x, y), for placing the chi1 = 1 crossings. */
static int chi_at(double x, double y, void *arg, double *value)
{
  const chi_arg *c = arg;
  sp_meanfield mf;
  double w = c->x_is_w ? x : y, b = c->x_is_w ? y : x;
  *value = sp_meanfield_solve(c->m->activation, c->m->erf_scale, w, b, &mf) ? NAN : mf.chi1;
  return SP_OK;
}

#define NGRID SP_MEANFIELD_TABLE_NCOL

/* The colours' range [*lo, *hi] and the colour bar's label: --range, or
 * the data's, but no more than [0, 2] (chi_1 grows without bound deep in
 * the chaotic phase); the label says when values fall outside. */
static void colour_range(const options *o, const double *chi, size_t n, double *lo, double *hi,
                         char *label, size_t size)
{
  double dlo = INFINITY, dhi = -INFINITY;
  for (size_t k = 0; k < n; k++)
    if (isfinite(chi[k])) {
      dlo = fmin(dlo, chi[k]);
      dhi = fmax(dhi, chi[k]);
    }
  if (!isnan(o->range.lo)) {
    *lo = o->range.lo;
    *hi = o->range.hi;
  } else {
    *lo = isfinite(dlo) ? fmax(dlo, 0.0) : 0.0;
    *hi = isfinite(dhi) ? fmin(dhi, 2.0) : 2.0;
    if (!(*lo < *hi)) {
      *lo = isfinite(dlo) ? *lo - 0.5 : 0.0;
      *hi = *lo + 1.0;
    }
  }
  if (dlo < *lo || dhi > *hi)
    snprintf(label, size, "χ_1 (clipped to [%.3g, %.3g])", *lo, *hi);
  else
    snprintf(label, size, "χ_1");
}

static int build_figure(const options *o, const sp_model *m, const double *xs, const double *ys,
                        const double *chi, const sp_contour *edge, sp_plot **out)
{
  size_t nx = (size_t)o->x.n, ny = (size_t)o->y.n, n = nx * ny;
  sp_plot *p;
  int s = cli_figure_alloc(&o->fig, 1, 1, &p);
  if (s)
    return s;
  static const char *const acts[] = {"ReLU", "GELU", "tanh", "erf", "SiLU", "linear"};
  char title[160];
  if (o->fig.title)
    snprintf(title, sizeof title, "%s", o->fig.title);
  else
    snprintf(title, sizeof title, "%s MLP: mean-field phases", acts[m->activation]);
  sp_plot_set_title(p, title);
  const char *lw = "σ_w^2", *lb = "σ_b^2";
  sp_plot_set_axis(p, 0, 'x', o->x.is_w ? lw : lb, o->x.log ? SP_SCALE_LOG : SP_SCALE_LINEAR,
                   o->x.min, o->x.max);
  sp_plot_set_axis(p, 0, 'y', o->y.is_w ? lw : lb, o->y.log ? SP_SCALE_LOG : SP_SCALE_LINEAR,
                   o->y.min, o->y.max);
  double lo, hi;
  char label[64];
  colour_range(o, chi, n, &lo, &hi, label, sizeof label);
  sp_plot_heatmap(p, 0, nx, ny, chi, o->x.min, o->x.max, o->y.min, o->y.max, o->cm, lo, hi,
                  label);
  unsigned char *mask = malloc(n);
  if (!mask) {
    sp_plot_free(p);
    return SP_ENOMEM;
  }
  static const char *const names[2] = {"ordered", "chaotic"};
  for (int c = 0; c < 2; c++) {
    size_t cnt = 0;
    for (size_t k = 0; k < n; k++)
      cnt += (mask[k] = !isnan(chi[k]) && (c ? chi[k] > 1.0 : chi[k] < 1.0));
    /* Keep the label off the edge curve: drop cells next to the other phase. */
    for (size_t j = 0; j < ny; j++)
      for (size_t i = 0; i < nx; i++) {
        size_t k = j * nx + i;
        int near = 0;
        for (int dj = -2; dj <= 2 && !near; dj++)
          for (int di = -2; di <= 2 && !near; di++) {
            long ii = (long)i + di, jj = (long)j + dj;
            if (ii < 0 || jj < 0 || ii >= (long)nx || jj >= (long)ny)
              continue;
            double z = chi[(size_t)jj * nx + (size_t)ii];
            near = c ? z <= 1.0 : z >= 1.0;
          }
        if (near)
          mask[k] = 0;
      }
    if (cnt)
      sp_plot_region_label(p, 0, nx, ny, mask, names[c]);
  }
  free(mask);
  if (edge->n) {
    sp_plot_style st;
    sp_plot_style_line(&st, 1, 1, 1, 1.5, SP_LINE_SOLID, 0.5, 0.12, 0.12, 0.12);
    cli_plot_contour(p, edge, &st, "edge of chaos χ_1 = 1");
    sp_plot_legend(p, 0, SP_LEGEND_BELOW);
  }
  (void)xs;
  (void)ys;
  return cli_figure_done(p, SP_OK, out);
}

/* The grid's points: axes xs, ys, chi1 per point and the table rows num
 * (NGRID columns); counts of chaotic and undefined points. */
typedef struct {
  double *xs, *ys, *chi, *num;
  size_t chaotic, undefined;
} grid;

static int solve_grid(const sp_model *m, const options *o, grid *g)
{
  size_t nx = (size_t)o->x.n, ny = (size_t)o->y.n, n = nx * ny;
  g->xs = malloc(nx * sizeof *g->xs);
  g->ys = malloc(ny * sizeof *g->ys);
  g->chi = malloc(n * sizeof *g->chi);
  g->num = malloc(n * NGRID * sizeof *g->num);
  if (!g->xs || !g->ys || !g->chi || !g->num)
    return cli_error(CLI_FAIL, "out of memory for a %zu-point grid", n);
  for (size_t i = 0; i < nx; i++)
    g->xs[i] = axis_value(&o->x, (long)i);
  for (size_t j = 0; j < ny; j++)
    g->ys[j] = axis_value(&o->y, (long)j);
  double w = NAN, b = NAN;
  int s = sp_meanfield_table_grid_threads(m, o->x.is_w, g->xs, nx, g->ys, ny,
                                          (unsigned)o->threads, g->num, &g->chaotic,
                                          &g->undefined, &w, &b);
  if (s) {
    char what[96];
    snprintf(what, sizeof what, "mlp: var-w = %g, var-b = %g", w, b);
    return cli_status(s, what);
  }
  for (size_t k = 0; k < n; k++)
    g->chi[k] = g->num[k * NGRID + 3];
  return CLI_OK;
}

static void grid_meta(cli_meta *meta, const sp_model *m, const options *o, const grid *g)
{
  char a[40], b[40];
  const axis *ax[2] = {&o->x, &o->y};
  const char *key[2] = {"x", "y"};
  size_t n = (size_t)o->x.n * (size_t)o->y.n;
  add_model_meta(meta, m, 1);
  for (int i = 0; i < 2; i++) {
    sp_io_format_double(a, sizeof a, ax[i]->min);
    sp_io_format_double(b, sizeof b, ax[i]->max);
    cli_meta_add(meta, key[i], "%s from %s to %s, %ld points, %s spacing",
                 ax[i]->is_w ? "var-w" : "var-b", a, b, ax[i]->n, ax[i]->log ? "log" : "linear");
  }
  cli_meta_add(meta, "phases", "%zu ordered or critical (chi1 <= 1), %zu chaotic, %zu "
               "undefined", n - g->chaotic - g->undefined, g->chaotic, g->undefined);
  cli_meta_add(meta, "q_star", "empty where q grows without bound (chi1 is then its limit as "
               "q -> infinity)");
}

static int sweep(const sp_model *m, options *o)
{
  if (!o->x.set || !o->y.set)
    return cli_error(CLI_USAGE, "--x and --y: give both (one var-w, one var-b) for a grid");
  if (o->x.is_w == o->y.is_w)
    return cli_error(CLI_USAGE, "--x and --y: both sweep %s; one must be var-w and the other "
                     "var-b", o->x.is_w ? "var-w" : "var-b");
  int r, s;
  cli_outputs files;
  if ((r = cli_outputs_check(&o->out, 1)) || (r = cli_figure_check(&o->fig, &o->out))
      || (r = cli_outputs_begin(&files, &o->out)))
    return r;
  size_t nx = (size_t)o->x.n, ny = (size_t)o->y.n;
  grid g = {NULL, NULL, NULL, NULL, 0, 0};
  sp_contour edge = {0};
  sp_plot *plot = NULL;
  r = solve_grid(m, o, &g);
  chi_arg ca = {m, o->x.is_w};
  if (!r && (s = sp_contour_lines(nx, ny, g.xs, g.ys, g.chi, 1.0, chi_at, &ca, &edge)))
    r = cli_status(s, "mlp: edge of chaos");
  cli_meta meta;
  grid_meta(&meta, m, o, &g);
  if (!r && cli_outputs_figure(&o->out)
      && (s = build_figure(o, m, g.xs, g.ys, g.chi, &edge, &plot)))
    r = cli_status(s, "mlp: figure");
  const char *grid_columns[NGRID];
  for (size_t c = 0; c < NGRID; c++)
    grid_columns[c] = sp_meanfield_table_column(c);
  sp_table t = {NGRID, nx * ny, grid_columns, g.num, NULL};
  r = cli_outputs_end(&files, &t, plot, o->fig.dpi, &meta, r);
  sp_plot_free(plot);
  sp_contour_free(&edge);
  free(g.xs);
  free(g.ys);
  free(g.chi);
  free(g.num);
  return r;
}

int cmd_mlp(int argc, char **argv)
{
  sp_model m;
  sp_model_default(&m);
  options o = {0};
  o.cm = sp_colormap_lookup("viridis");
  o.range.lo = o.range.hi = NAN;
  cli_figure_default(&o.fig, 252.0, 230.0);
  int r = parse(argc, argv, &m, &o);
  if (r)
    return r;
  if (o.x.set || o.y.set)
    return sweep(&m, &o);
  return one_point(&m, &o);
}
