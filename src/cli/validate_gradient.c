/* sigprop validate --gradient: the query-weight gradient of simulated
 * networks against its prediction over a sweep of beta (theory.md §9).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "validate.h"
#include "mpi_split.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const grad_columns[] = {
  "block", "beta", "beta_c", "y2_sim", "y2_theory", "g_sim", "g_sim_se", "g_theory",
  "grad_sim", "grad_sim_se", "grad_theory", "ratio", "ratio_se",
  "grad_theory_d", "ratio_d", "ratio_d_se",
  "grad_plugin", "plugin_ratio", "plugin_ratio_se", "extra_coef", "extra_coef_se"};
#define NGRAD (sizeof grad_columns / sizeof grad_columns[0])
enum { G_BLOCK, G_BETA, G_BETAC, G_Y2S, G_Y2T, G_GS, G_GSE, G_GT, G_SIM, G_SIMSE, G_THEORY,
       G_RATIO, G_RATIOSE, G_THEORYD, G_RATIOD, G_RATIODSE, G_PLUGIN, G_PRATIO, G_PRATIOSE,
       G_EXTRA, G_EXTRASE };

/* The beta where the values y over the sweep first reach --zero-fraction
 * times their largest value (sp_compare_onset), as a '#' line. */
static void zero_meta(cli_meta *meta, const char *key, const char *what, const double *beta,
                      const double *y, const validate_options *o)
{
  double bz;
  int first;
  int s = sp_compare_onset(beta, y, (size_t)o->bn, o->zero_frac, &bz, &first);
  if (s)
    cli_meta_add(meta, key, "undefined (%s is zero over the whole sweep)", what);
  else if (first)
    cli_meta_add(meta, key, "below %.4g (%s reaches %.3g of its sweep maximum at the first "
                 "beta)", o->bmin, what, o->zero_frac);
  else
    cli_meta_add(meta, key, "%.4g (%s reaches %.3g of its sweep maximum here)", bz, what,
                 o->zero_frac);
}

/* Bounds of the positive values of y +- e (log axes). */
static void positive_range(const double *y, const double *e, size_t n, double *lo, double *hi)
{
  for (size_t i = 0; i < n; i++) {
    double a = y[i] - (e && isfinite(e[i]) ? e[i] : 0.0), b = y[i] + (e && isfinite(e[i]) ? e[i] : 0.0);
    if (!(y[i] > 0.0))
      continue;
    if (!(a > 0.0))
      a = y[i];
    if (a < *lo)
      *lo = a;
    if (b > *hi)
      *hi = b;
  }
}

/* One column of block `b`'s rows (nbeta of them, starting at row0) of num. */
static void column(const double *num, size_t row0, size_t n, size_t col, double *out)
{
  for (size_t i = 0; i < n; i++)
    out[i] = num[(row0 + i) * NGRAD + col];
}

/* The figure being drawn: the panels of one block at a time share x and the
 * work arrays y, e (nbeta each). */
typedef struct {
  sp_plot *p;
  const validate_options *o;
  const double *num;
  size_t row0, nbeta;
  double *x, *y, *e;
  sp_plot_style st;
} gfig;

/* y (and e, when col_se is not (size_t)-1) from the block's columns. */
static void load(gfig *f, size_t col, size_t col_se)
{
  column(f->num, f->row0, f->nbeta, col, f->y);
  if (col_se != (size_t)-1)
    column(f->num, f->row0, f->nbeta, col_se, f->e);
}

/* Bounds of the positive gradients (the simulation with its errors and the
 * three predictions), padded for a log axis. */
static void gradient_range(gfig *f, double *lo, double *hi)
{
  *lo = INFINITY;
  *hi = 0.0;
  load(f, G_SIM, G_SIMSE);
  positive_range(f->y, f->e, f->nbeta, lo, hi);
  static const size_t cols[3] = {G_THEORY, G_PLUGIN, G_THEORYD};
  for (int k = 0; k < 3; k++) {
    load(f, cols[k], (size_t)-1);
    positive_range(f->y, NULL, f->nbeta, lo, hi);
  }
  if (!(*hi > 0.0)) {
    *lo = 1e-6;
    *hi = 1.0;
  }
  if (!(*hi > *lo))
    *lo = *hi / 10.0;
  /* a floor 6 decades below the top keeps the interesting range readable */
  *lo = fmax(*lo / 1.6, *hi * 1e-6);
  *hi *= 1.6;
}

/* A vertical reference line at beta = v when inside the sweep. */
static void vline(gfig *f, size_t panel, double v, double lo, double hi, sp_line line,
                  const char *label)
{
  double vx[2] = {v, v}, vy[2] = {lo, hi};
  if (!(v > f->o->bmin && v < f->o->bmax))
    return;
  validate_style(&f->st, validate_color_ref, line, SP_MARKER_NONE);
  f->st.width = 0.9;
  sp_plot_series(f->p, panel, 2, vx, vy, NULL, &f->st, label);
}

/* The first beta of the sweep x[0..n) where beta = f beta_c(beta), bc the
 * beta_c column, interpolated linearly; NaN when it does not cross. */
static double crossing(const double *x, const double *bc, size_t n, double f)
{
  for (size_t i = 0; i + 1 < n; i++) {
    double d0 = x[i] - f * bc[i], d1 = x[i + 1] - f * bc[i + 1];
    if (isfinite(d0) && isfinite(d1) && d0 <= 0.0 && d1 > 0.0)
      return x[i] + (x[i + 1] - x[i]) * (-d0) / (d1 - d0);
  }
  return NAN;
}

/* The beta_c and beta_c / 2 lines of a block: block 1's beta_c does not
 * depend on beta; a later block's does, and its lines go where beta
 * crosses beta_c(beta) and beta_c(beta) / 2.  Labels when `first`. */
static void betac_lines(gfig *f, size_t panel, int first, double beta_c1, double lo, double hi)
{
  column(f->num, f->row0, f->nbeta, G_BETAC, f->e);
  for (int half = 0; half < 2; half++) {
    double at = first ? beta_c1 / (half ? 2.0 : 1.0)
                      : crossing(f->x, f->e, f->nbeta, half ? 0.5 : 1.0);
    if (isfinite(at))
      vline(f, panel, at, lo, hi, half ? SP_LINE_DASHED : SP_LINE_DOTTED,
            !first ? NULL : half ? "β_c / 2" : "β_c");
  }
}

/* The gradient against beta (log axes) in `panel`; labels when `first`. */
static void gradient_panel(gfig *f, size_t panel, int first, const sp_model *mt,
                           const char *simlabel, double beta_c1)
{
  double lo, hi;
  gradient_range(f, &lo, &hi);
  sp_plot *p = f->p;
  sp_plot_set_axis(p, panel, 'x', NULL, f->o->blog ? SP_SCALE_LOG : SP_SCALE_LINEAR,
                   f->o->bmin, f->o->bmax);
  sp_plot_set_axis(p, panel, 'y', "scaled ‖∂L/∂W_Q‖^2", SP_SCALE_LOG, lo, hi);
  static const size_t cols[3] = {G_THEORY, G_THEORYD, G_PLUGIN};
  static const sp_line lines[3] = {SP_LINE_SOLID, SP_LINE_DASHDOT, SP_LINE_DASHED};
  const double *colors[3] = {validate_color_theory, validate_color_theory, validate_color_plugin};
  const char *labels[3] = {validate_theory_label(mt), "theory, G + (1 − Y^{(2)})^2/d",
                           "simulated G + (1 − Y^{(2)})^2/d"};
  for (int k = 0; k < 3; k++) {
    load(f, cols[k], (size_t)-1);
    validate_style(&f->st, colors[k], lines[k], SP_MARKER_NONE);
    sp_plot_series(p, panel, f->nbeta, f->x, f->y, NULL, &f->st, first ? labels[k] : NULL);
  }
  load(f, G_SIM, G_SIMSE);
  validate_style(&f->st, validate_color_sim, SP_LINE_NONE, SP_MARKER_CIRCLE);
  sp_plot_series(p, panel, f->nbeta, f->x, f->y, f->e, &f->st, first ? simlabel : NULL);
  betac_lines(f, panel, first, beta_c1, lo, hi);
}

/* The ratios of the simulation to each prediction (log axis around 1). */
static void ratio_panel(gfig *f, size_t panel)
{
  static const size_t cols[3][2] = {
    {G_RATIO, G_RATIOSE}, {G_RATIOD, G_RATIODSE}, {G_PRATIO, G_PRATIOSE}};
  static const sp_marker marks[3] = {SP_MARKER_SQUARE, SP_MARKER_DIAMOND, SP_MARKER_TRIANGLE};
  static const char *const labels[3] = {"÷ theory", "÷ theory, width term",
                                        "÷ simulated G, width term"};
  static const double sky[3] = {0.337, 0.706, 0.914};
  const double *colors[3] = {validate_color_theory, sky, validate_color_plugin};
  double rlo = INFINITY, rhi = 0.0;
  for (int k = 0; k < 3; k++) {
    load(f, cols[k][0], cols[k][1]);
    positive_range(f->y, f->e, f->nbeta, &rlo, &rhi);
  }
  rlo = fmin(rlo, 0.8) / 1.15;
  rhi = fmax(rhi, 1.25) * 1.15;
  if (!(rhi < 1e4))
    rhi = 1e4;
  if (!(rlo > 1e-4))
    rlo = 1e-4;
  const validate_options *o = f->o;
  sp_plot_set_axis(f->p, panel, 'x', "β", o->blog ? SP_SCALE_LOG : SP_SCALE_LINEAR, o->bmin,
                   o->bmax);
  sp_plot_set_axis(f->p, panel, 'y', "simulation / prediction", SP_SCALE_LOG, rlo, rhi);
  double hx[2] = {o->bmin, o->bmax}, hy[2] = {1.0, 1.0};
  validate_style(&f->st, validate_color_ref, SP_LINE_DOTTED, SP_MARKER_NONE);
  f->st.width = 0.9;
  sp_plot_series(f->p, panel, 2, hx, hy, NULL, &f->st, NULL);
  for (int k = 0; k < 3; k++) {
    load(f, cols[k][0], cols[k][1]);
    validate_style(&f->st, colors[k], SP_LINE_NONE, marks[k]);
    sp_plot_series(f->p, panel, f->nbeta, f->x, f->y, f->e, &f->st, labels[k]);
  }
  sp_plot_legend(f->p, panel, SP_LEGEND_BEST);
}

static int gradient_figure(const validate_options *o, const sp_model *mt, const cli_sim_args *sa,
                           const double *num, size_t nbeta, size_t nblocks, const long *blocks,
                           double beta_c1, const char *title, sp_plot **out)
{
  gfig f;
  memset(&f, 0, sizeof f);
  f.o = o;
  f.num = num;
  f.nbeta = nbeta;
  int s = cli_figure_alloc_laid_out(&o->fig, nblocks == 1 ? 246.0 : 500.0, 330.0, 2, nblocks,
                                    &f.p);
  if (s)
    return s;
  f.x = malloc(nbeta * sizeof *f.x);
  f.y = malloc(nbeta * sizeof *f.y);
  f.e = malloc(nbeta * sizeof *f.e);
  s = f.x && f.y && f.e ? SP_OK : SP_ENOMEM;
  sp_plot_set_title(f.p, title);
  char simlabel[96], ptitle[64];
  snprintf(simlabel, sizeof simlabel, "simulation, d = %ld, %ld network%s", sa->width,
           sa->seeds, sa->seeds == 1 ? "" : "s");
  for (size_t b = 0; b < nblocks && !s; b++) {
    f.row0 = b * nbeta;
    snprintf(ptitle, sizeof ptitle, "block %ld", blocks[b]);
    if (nblocks > 1)
      sp_plot_set_panel_title(f.p, b, ptitle);
    column(num, f.row0, nbeta, G_BETA, f.x);
    gradient_panel(&f, b, b == 0, mt, simlabel, beta_c1);
    ratio_panel(&f, nblocks + b);
  }
  sp_plot_legend(f.p, 0, SP_LEGEND_BELOW);
  free(f.x);
  free(f.y);
  free(f.e);
  return cli_figure_done(f.p, s, out);
}

/* The state of one sweep: the simulated configuration, the table rows, and
 * what the '#' lines report. */
typedef struct {
  const validate_options *o;
  const sp_model *m;
  cli_sim_args sa;
  sp_model ms, mt;    /* simulated; theory of the last point */
  long blocks[2];     /* 1, and --block */
  size_t nblocks, nbeta, rows, nruns;
  double *num, *betas; /* nblocks * nbeta rows of NGRAD; the betas */
  sp_layer *traj;
  double *va, *vb, *vc; /* per network: measured, plug-in, extra term */
  sp_workspace *w;
  double seconds, beta_c1;
  int threads, clamped;
} sweep;

/* One table row: block b at point i, from the summary S, the per-network
 * records R (the block's row of each network) and the theory L. */
static void grad_row(sweep *g, size_t b, size_t i, const sp_sim_summary *S,
                     const sp_sim_layer *runs, const sp_layer *L)
{
  double beta = g->betas[i], sv = g->m->var_v;
  size_t l = (size_t)g->blocks[b];
  double *row = g->num + (b * g->nbeta + i) * NGRAD;
  double gt = sp_grad_wq(beta, sv, L->trace.qa, L->trace.pa, L->attn.g);
  double gd = sp_grad_wq_width(beta, sv, L->trace.qa, L->trace.pa, L->attn.g, L->attn.y2,
                               L->attn.y2sq, g->sa.width);
  double v[NGRAD] = {(double)l, beta, L->attn.beta_c, S->y2.mean, L->attn.y2, S->g.mean,
                     S->g.se, L->attn.g, S->grad_wq.mean, S->grad_wq.se, gt,
                     gt > 0.0 ? S->grad_wq.mean / gt : NAN, gt > 0.0 ? S->grad_wq.se / gt : NAN,
                     gd, gd > 0.0 ? S->grad_wq.mean / gd : NAN,
                     gd > 0.0 ? S->grad_wq.se / gd : NAN};
  /* per network: the measurement, the width-corrected formula with that
   * network's q, p, G and Y2, and the hypothetical extra term
   * beta sv q (q - p) p E[Y2^2] */
  double plug = 0.0;
  for (size_t k = 0; k < g->nruns; k++) {
    const sp_sim_layer *R = &runs[k * g->rows + l];
    double gap = R->qa - R->pa;
    g->va[k] = R->grad_wq;
    g->vb[k] = sp_grad_wq_width(beta, sv, R->qa, R->pa, R->g, R->y2, R->y2sq, g->sa.width);
    g->vc[k] = beta * sv * R->qa * gap * R->pa * R->y2sq;
    plug += g->vb[k] / (double)g->nruns;
  }
  v[G_PLUGIN] = plug;
  sp_compare_ratio_of_means(g->va, g->vb, g->nruns, &v[G_PRATIO], &v[G_PRATIOSE]);
  for (size_t k = 0; k < g->nruns; k++)
    g->va[k] -= g->vb[k];
  sp_compare_ratio_of_means(g->va, g->vc, g->nruns, &v[G_EXTRA], &v[G_EXTRASE]);
  memcpy(row, v, sizeof v);
}

/* Point i of the sweep: simulate, compute the theory, fill the rows. */
static int grad_point(sweep *g, size_t i)
{
  const validate_options *o = g->o;
  double f = (double)i / (double)(g->nbeta - 1);
  double beta = o->blog ? exp(log(o->bmin) + f * (log(o->bmax) - log(o->bmin)))
                        : o->bmin + f * (o->bmax - o->bmin);
  if (i == g->nbeta - 1)
    beta = o->bmax;
  g->betas[i] = beta;
  g->ms.beta = beta;
  char what[64];
  snprintf(what, sizeof what, "beta = %.4g (%zu/%zu)", beta, i + 1, g->nbeta);
  g->sa.progress_what = what;
  sp_sim_summary *sum;
  sp_sim_layer *runs;
  double seconds;
  int r = cli_sim_run(&g->sa, &g->ms, "validate", &sum, &seconds, &g->threads, &runs);
  if (r)
    return r;
  g->seconds += seconds;
  g->mt = g->ms;
  validate_theory_input(o, &sum[0], &g->mt, &g->clamped);
  if (g->sa.run.tokens_scale > 0.0)
    g->mt.beta = beta * sqrt(log(g->sa.run.tokens_scale) / log((double)g->ms.tokens));
  int s = validate_theory(&g->mt, &g->w, g->traj);
  if (s) {
    snprintf(what, sizeof what, "validate: theory at beta = %g", beta);
    r = cli_status(s, what);
  }
  if (!r && i == 0)
    g->beta_c1 = g->traj[1].attn.beta_c;
  for (size_t b = 0; b < g->nblocks && !r; b++)
    grad_row(g, b, i, &sum[g->blocks[b]], runs, &g->traj[g->blocks[b]]);
  free(sum);
  free(runs);
  return r;
}

/* The '#' lines of the sweep. */
static int grad_meta(const sweep *g, cli_meta *meta)
{
  const validate_options *o = g->o;
  cli_meta_init(meta, g->m);
  cli_sim_meta(meta, &g->sa, &g->ms, g->threads, g->seconds);
  validate_theory_input_meta(meta, o, &g->mt, g->clamped);
  cli_meta_add(meta, "beta-range", "%.6g to %.6g, %ld values, %s spacing", o->bmin, o->bmax,
               o->bn, o->blog ? "log" : "linear");
  if (g->nblocks == 2)
    cli_meta_add(meta, "blocks", "1 and %ld (the simulation runs %ld blocks)", o->block,
                 g->ms.depth);
  else
    cli_meta_add(meta, "blocks", "1 (the simulation runs 1 block)");
  cli_meta_add(meta, "beta_c", "%.6g (block 1's input, theory); beta_c/2 = %.6g", g->beta_c1,
               g->beta_c1 / 2.0);
  double *ys = malloc(g->nbeta * sizeof *ys);
  if (!ys)
    return cli_error(CLI_FAIL, "validate: out of memory");
  static const char *const keys[2][2] = {{"beta-zero-sim", "beta-zero-theory"},
                                         {"beta-zero-sim-block", "beta-zero-theory-block"}};
  for (size_t b = 0; b < g->nblocks; b++) {
    int second = g->nblocks == 2 && b;
    column(g->num, b * g->nbeta, g->nbeta, G_SIM, ys);
    zero_meta(meta, keys[b][0], second ? "block L's simulated gradient" : "the simulated gradient",
              g->betas, ys, o);
    column(g->num, b * g->nbeta, g->nbeta, G_THEORY, ys);
    zero_meta(meta, keys[b][1], second ? "block L's predicted gradient" : "the predicted gradient",
              g->betas, ys, o);
  }
  free(ys);
  cli_meta_add(meta, "ratio", "grad_sim / grad_theory, grad_theory = beta var_v q (q-p)^2 G "
               "(%s)", sp_stats_name(g->m->stats));
  cli_meta_add(meta, "ratio_d", "grad_sim / grad_theory_d, the same with G + E[(1-Y2)^2]/d, "
               "d = %ld", g->sa.width);
  cli_meta_add(meta, "plugin_ratio", "mean grad / mean of that formula with each network's q, "
               "p, Y2, Y2^2");
  cli_meta_add(meta, "extra_coef", "(grad - plug-in) / (beta var_v q (q-p) p E[Y2^2]); 0 if "
               "there is no such term");
  return CLI_OK;
}

static int sweep_alloc(sweep *g, const validate_options *o, const sp_model *m,
                       const cli_sim_args *sa)
{
  memset(g, 0, sizeof *g);
  g->o = o;
  g->m = m;
  g->sa = *sa;
  g->sa.run.gradient = 1;
  g->blocks[0] = 1;
  g->blocks[1] = o->block;
  g->nblocks = o->block >= 2 ? 2 : 1;
  g->nbeta = (size_t)o->bn;
  g->ms = *m;
  g->ms.depth = g->nblocks == 2 ? o->block : 1;
  g->mt = g->ms;
  g->rows = (size_t)g->ms.depth + 1;
  g->nruns = (size_t)sa->seeds;
  g->beta_c1 = NAN;
  g->threads = 1;
  g->num = malloc(g->nblocks * g->nbeta * NGRAD * sizeof *g->num);
  g->betas = malloc(g->nbeta * sizeof *g->betas);
  g->traj = malloc(g->rows * sizeof *g->traj);
  g->va = malloc(3 * g->nruns * sizeof *g->va);
  if (!g->num || !g->betas || !g->traj || !g->va)
    return cli_error(CLI_FAIL, "validate: out of memory");
  g->vb = g->va + g->nruns;
  g->vc = g->vb + g->nruns;
  return CLI_OK;
}

static void sweep_free(sweep *g)
{
  sp_workspace_free(g->w);
  free(g->num);
  free(g->betas);
  free(g->traj);
  free(g->va);
}

int validate_gradient(const validate_options *o, const sp_model *m, const cli_sim_args *sa,
                      cli_outputs *files)
{
  sweep g;
  int r = sweep_alloc(&g, o, m, sa), other = 0;
  for (size_t i = 0; i < g.nbeta && !r; i++)
    if ((r = grad_point(&g, i)) == CLI_MPI_DONE) { /* not rank 0: on to the next beta */
      other = 1;
      r = CLI_OK;
    }
  if (other && !r) {
    sweep_free(&g);
    return CLI_MPI_DONE;
  }
  cli_meta meta;
  if (!r)
    r = grad_meta(&g, &meta);
  sp_table t = {NGRAD, g.nblocks * g.nbeta, grad_columns, g.num, NULL};
  sp_plot *plot = NULL;
  if (!r && cli_outputs_figure(&o->out)) {
    char title[200];
    if (o->fig.title)
      snprintf(title, sizeof title, "%s", o->fig.title);
    else
      cli_model_title(m, sp_param_lookup("beta"), sp_param_lookup("depth"), title,
                      sizeof title);
    size_t k = strlen(title);
    if (!o->fig.title && k < sizeof title)
      snprintf(title + k, sizeof title - k, ", T = %ld", m->tokens);
    int s = gradient_figure(o, &g.mt, &g.sa, g.num, g.nbeta, g.nblocks, g.blocks, g.beta_c1,
                            title, &plot);
    if (s)
      r = cli_status(s, "validate: figure");
  }
  r = cli_outputs_end(files, &t, plot, o->fig.dpi, r ? NULL : &meta, r);
  sp_plot_free(plot);
  sweep_free(&g);
  return r;
}
