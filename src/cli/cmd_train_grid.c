/* sigprop train --grid-x ... --grid-y ...: networks trained at every point
 * of a grid of two model parameters, a few seeds each, against the class
 * the diagram predicts there (theory.md §10): the agreement fraction, a
 * table and a figure (the class boundaries with one marker per point).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cmd_train.h"
#include "mpi_split.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* NAME:MIN:MAX:N[:log] into a checked axis (error recorded). */
static int grid_axis(const char *opt, const char *spec, sp_axis *a)
{
  char buf[256], *f[6] = {NULL};
  int nf = cli_split_fields(opt, spec, buf, sizeof buf, f, 6);
  if (nf < 0)
    return CLI_USAGE;
  if (nf < 4 || nf > 5 || (nf == 5 && strcmp(f[4], "log") != 0))
    return cli_error(CLI_USAGE, "--%s: '%s' is not NAME:MIN:MAX:N[:log]", opt, spec);
  long n;
  a->param = sp_param_lookup(f[0]);
  a->spacing = nf == 5 ? SP_SPACING_LOG : SP_SPACING_LINEAR;
  if (!a->param)
    return cli_error(CLI_USAGE, "--%s: '%s' is not a model parameter", opt, f[0]);
  if (strcmp(a->param->name, "tokens") == 0)
    return cli_error(CLI_USAGE, "--%s: tokens is the task's sequence length, not swept", opt);
  if (cli_parse_double(opt, f[1], &a->min) || cli_parse_double(opt, f[2], &a->max) ||
      cli_parse_long(opt, f[3], &n))
    return CLI_USAGE;
  a->n = n > 0 ? (size_t)n : 0;
  if (n < 2 || n > 100 || sp_axis_check(a))
    return cli_error(CLI_USAGE, "--%s: '%s' is not a valid axis (2 to 100 points, MIN < MAX "
                     "inside the domain of %s, MIN > 0 when log)", opt, spec, a->param->name);
  return CLI_OK;
}

/* Train one network; its final held-out loss into *loss. */
static int train_one(const options *o, const sp_model *m, sp_task *k, double *loss)
{
  sp_train *t = NULL;
  int r = cli_train_workspace(o, m, &t);
  if (r)
    return r;
  long n = o->batch * m->tokens;
  int *tok = malloc((size_t)n * sizeof *tok), *tgt = malloc((size_t)n * sizeof *tgt);
  sp_optim_options oo;
  cli_train_optim(o, &oo);
  int st = tok && tgt ? SP_OK : SP_ENOMEM;
  double l, sum = 0.0;
  for (long s = 1; s <= o->steps && !st; s++) {
    sp_task_batch(k, 0, s - 1, o->batch, tok, tgt);
    st = sp_train_step(t, &oo, s, tok, tgt, &l);
  }
  for (long b = 0; b < o->eval_batches && !st; b++) {
    sp_task_batch(k, 1, b, o->batch, tok, tgt);
    st = sp_train_loss(t, tok, tgt, &l);
    sum += l;
  }
  /* a network whose loss overflowed did not train */
  *loss = st == SP_EOVERFLOW ? INFINITY : sum / (double)o->eval_batches;
  free(tok);
  free(tgt);
  sp_train_free(t);
  return st && st != SP_EOVERFLOW ? cli_status(st, "train --grid") : CLI_OK;
}

typedef struct {
  size_t npt, nnet;
  double *loss;     /* nnet = npt x seeds */
  double *best;     /* npt */
  long agree, counted;
} grid_result;

/* The networks of the grid, a farm's work items: one per point, its
 * results the task's best loss and the seeds' held-out losses. */
typedef struct {
  const options *o;
  const sp_diagram_data *d;
  size_t npt;
  double *res; /* npt x (1 + seeds) */
  int progress;
} grid_job;

static int grid_compute(void *ctx, size_t first, size_t count)
{
  const grid_job *j = ctx;
  const options *o = j->o;
  const sp_diagram_data *d = j->d;
  for (size_t p = first; p < first + count; p++) {
    sp_model mp = d->model;
    size_t i = p % d->nx, k = p / d->nx;
    sp_model_set(&mp, d->x.param, sp_axis_value(&d->x, d->xc[i]));
    sp_model_set(&mp, d->y.param, sp_axis_value(&d->y, d->yc[k]));
    sp_task *task = NULL;
    int r = cli_train_task(o, &mp, &task);
    if (r)
      return r;
    double *res = j->res + p * (1 + (size_t)o->grid_seeds);
    res[0] = sp_task_best_loss(task);
    for (long s = 0; s < o->grid_seeds && !r; s++) {
      options os = *o;
      os.seed = o->seed + s;
      r = train_one(&os, &mp, task, &res[1 + s]);
      if (j->progress)
        fprintf(stderr, "\rtrain --grid: point %zu/%zu, seed %ld   ", p + 1, j->npt, s + 1);
    }
    sp_task_free(task);
    if (r)
      return r;
  }
  return CLI_OK;
}

static const void *grid_res(void *ctx, size_t first)
{
  const grid_job *j = ctx;
  return j->res + first * (1 + (size_t)j->o->grid_seeds);
}

static int grid_store(void *ctx, size_t first, size_t count, const void *bytes)
{
  const grid_job *j = ctx;
  size_t w = 1 + (size_t)j->o->grid_seeds;
  memcpy(j->res + first * w, bytes, count * w * sizeof *j->res);
  return CLI_OK;
}

/* Train every point's networks (under MPI, the points spread over the
 * ranks), then count the agreement with the diagram's classes. */
static int run_grid(const options *o, const sp_diagram_data *d, grid_result *g)
{
  size_t w = 1 + (size_t)o->grid_seeds;
  grid_job job = {o, d, g->npt, malloc(g->npt * w * sizeof(double)),
                  !o->quiet && isatty(2) && cli_mpi_size() == 1};
  if (!job.res)
    return cli_error(CLI_FAIL, "out of memory");
  cli_farm farm = {g->npt, w * sizeof(double), 1, grid_compute, grid_res, grid_store, &job,
                   "train --grid", !o->quiet};
  int r = cli_farm_run(&farm);
  if (job.progress && !r)
    fprintf(stderr, "\r%*s\r", 60, "");
  for (size_t p = 0; p < g->npt && !r; p++) {
    g->best[p] = job.res[p * w];
    double logv = log((double)(o->masked ? o->vocab - 1 : o->vocab));
    double thr = logv - o->trained_fraction * (logv - g->best[p]);
    for (size_t s = 0; s < (size_t)o->grid_seeds; s++) {
      double l = g->loss[p * (size_t)o->grid_seeds + s] = job.res[p * w + 1 + s];
      if (d->pt[p].cls != SP_CLASS_UNDEFINED) {
        g->counted++;
        g->agree += (l <= thr) == (d->pt[p].cls == SP_CLASS_TRAINABLE);
      }
    }
  }
  free(job.res);
  return r;
}

/* One marker series per (class, outcome): circle all seeds trained,
 * triangle some, cross none. */
static void grid_markers(sp_plot *p, const sp_diagram_data *d, const grid_result *g,
                         const options *o, double thr_frac, double *x, double *y)
{
  static const char *const cname[3] = {"trainable", "rank collapse", "entropy collapse"};
  static const char *const oname[3] = {"trained", "some trained", "not trained"};
  static const sp_marker mk[3] = {SP_MARKER_CIRCLE, SP_MARKER_TRIANGLE, SP_MARKER_CROSS};
  static const double col[3][3] = {{0.0, 0.6, 0.3}, {0.0, 0.35, 0.75}, {0.85, 0.2, 0.1}};
  for (int c = 0; c < 3; c++)
    for (int out = 0; out < 3; out++) {
      size_t n = 0;
      for (size_t q = 0; q < g->npt; q++) {
        if ((int)d->pt[q].cls != c)
          continue;
        double logv = log((double)(o->masked ? o->vocab - 1 : o->vocab));
        double thr = logv - thr_frac * (logv - g->best[q]);
        long ok = 0;
        for (long s = 0; s < o->grid_seeds; s++)
          ok += g->loss[q * (size_t)o->grid_seeds + (size_t)s] <= thr;
        int kind = ok == o->grid_seeds ? 0 : ok ? 1 : 2;
        if (kind != out)
          continue;
        x[n] = d->xc[q % d->nx];
        y[n++] = d->yc[q / d->nx];
      }
      if (!n)
        continue;
      sp_plot_style st;
      sp_plot_style_default(&st);
      st.line = SP_LINE_NONE;
      st.marker = mk[out];
      st.marker_size = 6.0;
      memcpy(st.color, col[c], sizeof st.color);
      char lab[64];
      snprintf(lab, sizeof lab, "%s, %s", cname[c], oname[out]);
      sp_plot_series(p, 0, n, x, y, NULL, &st, lab);
    }
}

static int grid_figure(const options *o, const sp_diagram_data *d, const grid_result *g,
                       sp_plot **out)
{
  sp_plot *p;
  int s = cli_figure_alloc_laid_out(&o->fig, 420.0, 320.0, 1, 1, &p);
  if (s)
    return s;
  double *x = malloc(g->npt * sizeof *x), *y = malloc(g->npt * sizeof *y);
  if (!x || !y) {
    free(x);
    free(y);
    sp_plot_free(p);
    return SP_ENOMEM;
  }
  char title[200];
  cli_model_title(&d->model, d->x.param, d->y.param, title, sizeof title);
  sp_plot_set_title(p, o->fig.title ? o->fig.title : title);
  sp_plot_set_axis(p, 0, 'x', d->x.param->label,
                   d->x.spacing == SP_SPACING_LOG ? SP_SCALE_LOG : SP_SCALE_LINEAR, d->x.min,
                   d->x.max);
  sp_plot_set_axis(p, 0, 'y', d->y.param->label,
                   d->y.spacing == SP_SPACING_LOG ? SP_SCALE_LOG : SP_SCALE_LINEAR, d->y.min,
                   d->y.max);
  sp_plot_style st;
  sp_plot_style_default(&st);
  st.color[0] = st.color[1] = st.color[2] = 0.2;
  cli_plot_contour(p, &d->rank, &st, d->rank.n ? "class boundary" : NULL);
  cli_plot_contour(p, &d->entropy, &st, d->rank.n ? NULL : "class boundary");
  grid_markers(p, d, g, o, o->trained_fraction, x, y);
  sp_plot_legend(p, 0, SP_LEGEND_BELOW);
  free(x);
  free(y);
  if ((s = sp_plot_status(p))) {
    sp_plot_free(p);
    return s;
  }
  *out = p;
  return SP_OK;
}

/* The table: one row per network. */
static int grid_write(const options *o, const sp_model *m, const sp_diagram_data *d,
                      const grid_result *g, cli_outputs *files)
{
  size_t rows = g->nnet, nc = 7;
  double *v = malloc(rows * nc * sizeof *v);
  const char **str = calloc(rows * nc, sizeof *str);
  int r = v && str ? CLI_OK : cli_error(CLI_FAIL, "out of memory");
  for (size_t q = 0; !r && q < rows; q++) {
    size_t p = q / (size_t)o->grid_seeds;
    double logv = log((double)(o->masked ? o->vocab - 1 : o->vocab));
    double thr = logv - o->trained_fraction * (logv - g->best[p]);
    double row[7] = {d->pt[p].x, d->pt[p].y, NAN, (double)(o->seed + (long)(q % (size_t)o->grid_seeds)),
                     g->loss[q], g->loss[q] <= thr, NAN};
    if (d->pt[p].cls != SP_CLASS_UNDEFINED)
      row[6] = (g->loss[q] <= thr) == (d->pt[p].cls == SP_CLASS_TRAINABLE);
    memcpy(v + q * nc, row, sizeof row);
    str[q * nc + 2] = sp_class_name(d->pt[p].cls);
  }
  const char *names[7] = {d->x.param->name, d->y.param->name, "class", "seed", "eval_loss",
                          "trained", "agree"};
  sp_table t = {nc, rows, names, v, str};
  cli_meta meta;
  cli_meta_init(&meta, m);
  cli_meta_add(&meta, "grid", "%zu x %zu points, %ld seeds each, %ld steps, width %ld, batch %ld",
               d->nx, d->ny, o->grid_seeds, o->steps, o->width, o->batch);
  cli_meta_add(&meta, "trained", "held-out loss <= log V - %g (log V - best loss)",
               o->trained_fraction);
  cli_meta_add(&meta, "agreement", "%ld of %ld networks (%.3f): trained iff the class is "
               "trainable", g->agree, g->counted, g->counted ? (double)g->agree / (double)g->counted : NAN);
  sp_plot *plot = NULL;
  int s;
  if (!r && cli_outputs_figure(&o->out) && (s = grid_figure(o, d, g, &plot)))
    r = cli_status(s, "train --grid: figure");
  r = cli_outputs_end(files, &t, plot, o->fig.dpi, &meta, r);
  sp_plot_free(plot);
  free(v);
  free(str);
  return r;
}

int cli_train_grid(const options *o, const sp_model *m)
{
  if (!o->grid_x || !o->grid_y)
    return cli_error(CLI_USAGE, "--grid-x and --grid-y go together");
  if (o->data)
    return cli_error(CLI_USAGE, "--grid-x: built-in tasks only (a token file has no best loss)");
  sp_axis x, y;
  int r;
  if ((r = grid_axis("grid-x", o->grid_x, &x)) || (r = grid_axis("grid-y", o->grid_y, &y)))
    return r;
  sp_diagram_options dopt;
  sp_diagram_options_default(&dopt);
  dopt.rho_max = o->rho_max;
  dopt.y2_max = o->y2_max;
  dopt.threads = (unsigned)o->threads;
  sp_diagram *d = NULL;
  int s = sp_diagram_alloc(m, &x, &y, &dopt, &d);
  if (!s && !(s = sp_diagram_sweep(d)))
    s = sp_diagram_curves(d);
  if (s) {
    sp_diagram_free(d);
    return cli_status(s, "train --grid: diagram");
  }
  const sp_diagram_data *dd = sp_diagram_view(d);
  grid_result g = {dd->nx * dd->ny, dd->nx * dd->ny * (size_t)o->grid_seeds, NULL, NULL, 0, 0};
  g.loss = malloc(g.nnet * sizeof *g.loss);
  g.best = malloc(g.npt * sizeof *g.best);
  cli_outputs files;
  if (!g.loss || !g.best)
    r = cli_error(CLI_FAIL, "out of memory");
  if (!r && !(r = cli_outputs_begin(&files, &o->out))) {
    r = run_grid(o, dd, &g);
    if (r)
      r = cli_outputs_end(&files, NULL, NULL, 0.0, NULL, r);
    else
      r = grid_write(o, m, dd, &g, &files);
  }
  free(g.loss);
  free(g.best);
  sp_diagram_free(d);
  return r;
}
