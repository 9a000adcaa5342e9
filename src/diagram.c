/* Trainability diagrams: parallel sweeps, classification, boundaries and
 * analytic overlays (theory.md §10).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/diagram.h"
#include "sigprop/grad.h"
#include "sigprop/status.h"
#include "grow.h"
#include "root.h"
#include "threads.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Trajectories advanced in lockstep within a row, so that the processor
 * overlaps their (otherwise serial) chains of dependent operations and the
 * vector path fills its registers. */
#define GROUP SP_SUMMARY_BATCH
/* Absolute tolerance of the alpha_c roots, as sigprop critical uses. */
#define ALPHA_XTOL 1e-10
/* lambda_a is -infinity where a skip gain is 0; contouring needs finite
 * samples, and lambda_a = 0 is far from this. */
#define LAMBDA_FLOOR (-1e3)

const char *sp_class_name(sp_class c)
{
  switch (c) {
  case SP_CLASS_TRAINABLE: return "trainable";
  case SP_CLASS_RANK_COLLAPSE: return "rank-collapse";
  case SP_CLASS_ENTROPY_COLLAPSE: return "entropy-collapse";
  case SP_CLASS_UNDEFINED: return "undefined";
  default: return "unknown";
  }
}

void sp_diagram_options_default(sp_diagram_options *o)
{
  o->rho_max = 0.9;
  o->y2_max = NAN;
  o->threads = 0;
  o->progress = NULL;
  o->progress_arg = NULL;
  o->grad_fraction = NAN;
  o->lambda_g = 0;
}

/* ---- workspaces ----------------------------------------------------- */

enum { WS_NONE, WS_SHARED, WS_ROW, WS_POINT };

struct sp_diagram_private {
  int mode;
  int swept;             /* 1 after a successful sp_diagram_sweep */
  sp_workspace *shared;  /* WS_SHARED: read by every thread */
  sp_workspace *scratch; /* WS_ROW / WS_POINT: for the calling thread */
};

struct sp_diagram {
  sp_diagram_data pub;             /* what sp_diagram_view() shows */
  struct sp_diagram_private *priv; /* workspaces */
};

const sp_diagram_data *sp_diagram_view(const sp_diagram *d)
{
  return d ? &d->pub : NULL;
}

/* 1 when the workspace tables stay valid as `p` changes (the list of
 * sp_workspace_prepare). */
static int table_free(const sp_param *p)
{
  static const char *const names[] = {
    "beta", "alpha-sa", "alpha-mlp", "branch-sa", "branch-mlp", "rho0", "q0", "depth",
    "var-v", "var-vb", "mean-removal"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(p->name, names[i]) == 0)
      return 1;
  return 0;
}

static int same_param(const sp_param *a, const sp_param *b)
{
  if (a == b)
    return 1;
  int wa = strncmp(a->name, "var-w", 5) == 0, wb = strncmp(b->name, "var-w", 5) == 0;
  /* var-w writes both var-w-in and var-w-out. */
  return wa && wb && (strcmp(a->name, "var-w") == 0 || strcmp(b->name, "var-w") == 0);
}

static int model_at(const sp_diagram *d, double xc, double yc, sp_model *m)
{
  *m = d->pub.model;
  int s = sp_model_set(m, d->pub.x.param, sp_axis_value(&d->pub.x, xc));
  if (!s)
    s = sp_model_set(m, d->pub.y.param, sp_axis_value(&d->pub.y, yc));
  return s;
}

/* ---- allocation ----------------------------------------------------- */

void sp_diagram_free(sp_diagram *d)
{
  if (!d)
    return;
  free(d->pub.xc);
  free(d->pub.yc);
  free(d->pub.pt);
  sp_contour_free(&d->pub.rank);
  sp_contour_free(&d->pub.entropy);
  sp_contour_free(&d->pub.lambda0);
  sp_contour_free(&d->pub.grad);
  sp_contour_free(&d->pub.lambda_g0);
  sp_contour_free(&d->pub.beta_c);
  sp_contour_free(&d->pub.alpha_c);
  if (d->priv) {
    sp_workspace_free(d->priv->shared);
    sp_workspace_free(d->priv->scratch);
    free(d->priv);
  }
  free(d);
}

int sp_diagram_alloc(const sp_model *m, const sp_axis *x, const sp_axis *y,
                     const sp_diagram_options *opt, sp_diagram **out)
{
  if (!out)
    return SP_EINVAL;
  *out = NULL;
  if (!m || !x || !y)
    return SP_EINVAL;
  int s = sp_axis_check(x);
  if (!s)
    s = sp_axis_check(y);
  if (s)
    return s;
  if (same_param(x->param, y->param))
    return SP_EINVAL;
  sp_diagram_options o;
  sp_diagram_options_default(&o);
  if (opt)
    o = *opt;
  if (!isfinite(o.rho_max) || (!isnan(o.y2_max) && !(o.y2_max > 0.0 && o.y2_max <= 1.0)))
    return SP_EINVAL;
  if (!isnan(o.grad_fraction) && !(o.grad_fraction > 0.0 && o.grad_fraction < 1.0))
    return SP_EINVAL;
  if (x->n > SP_GRID_MAX / y->n)
    return SP_ENOMEM;

  sp_diagram *d = calloc(1, sizeof *d);
  if (!d)
    return SP_ENOMEM;
  d->pub.model = *m;
  d->pub.x = *x;
  d->pub.y = *y;
  d->pub.opt = o;
  d->pub.grad_max = NAN;
  d->pub.nx = x->n;
  d->pub.ny = y->n;
  d->pub.xc = malloc(d->pub.nx * sizeof *d->pub.xc);
  d->pub.yc = malloc(d->pub.ny * sizeof *d->pub.yc);
  d->pub.pt = calloc(d->pub.nx * d->pub.ny, sizeof *d->pub.pt);
  d->priv = calloc(1, sizeof *d->priv);
  if (!d->pub.xc || !d->pub.yc || !d->pub.pt || !d->priv) {
    sp_diagram_free(d);
    return SP_ENOMEM;
  }
  for (size_t i = 0; i < d->pub.nx; i++)
    d->pub.xc[i] = sp_axis_coord(x, i);
  for (size_t j = 0; j < d->pub.ny; j++)
    d->pub.yc[j] = sp_axis_coord(y, j);
  /* The domains of the model's parameters are boxes except rho0 >= bounds
   * that move monotonically with T: checking the corners suffices. */
  for (int c = 0; c < 4 && !s; c++) {
    sp_model mc;
    s = model_at(d, c & 1 ? x->max : x->min, c & 2 ? y->max : y->min, &mc);
    if (!s)
      s = sp_model_validate(&mc, NULL);
  }
  if (s) {
    sp_diagram_free(d);
    return SP_EDOM;
  }
  if (sp_workspace_needed(m))
    d->priv->mode = !table_free(x->param) ? WS_POINT : !table_free(y->param) ? WS_ROW
                                                                              : WS_SHARED;
  *out = d;
  return SP_OK;
}

/* ---- one group of points -------------------------------------------- */

static int per_point_error(int s)
{
  return s == SP_EOVERFLOW || s == SP_EUNDERFLOW || s == SP_EDOM;
}

static double angle_exponent(const sp_model *m, const sp_workspace *w)
{
  double la = NAN, err;
  int s = sp_propagate_angle_exponent(m, w, &la);
  if (s == SP_EUNSUP)
    s = sp_propagate_angle_exponent_fd(m, w, &la, &err);
  return s ? NAN : la;
}

/* sp_grad_wq() at block 1's attention input; NaN for uniform attention
 * or when the block fails. */
static double grad_first(const sp_model *m, const sp_workspace *w)
{
  if (m->attention == SP_ATTN_UNIFORM)
    return NAN;
  double q = m->q0, p = m->rho0 * m->q0;
  sp_attn_stats st;
  sp_block_trace tr;
  if (sp_maps_block_traced(m, w, &q, &p, SP_REM_MOMENTS, &st, &tr))
    return NAN;
  return sp_grad_wq(m->beta, m->var_v, tr.qa, tr.pa, st.g);
}

static double grad_exponent(const sp_model *m, const sp_workspace *w)
{
  double lg = NAN;
  return sp_grad_exponent(m, w, &lg, NULL) ? NAN : lg;
}

static void classify(const sp_diagram_options *o, sp_diagram_point *p)
{
  if (p->status) {
    p->cls = SP_CLASS_UNDEFINED;
    return;
  }
  int entropy = isnan(o->y2_max) ? p->frozen_layers > 0 : p->y2_max >= o->y2_max;
  if (entropy)
    p->cls = SP_CLASS_ENTROPY_COLLAPSE;
  else if (p->rho_final >= o->rho_max)
    p->cls = SP_CLASS_RANK_COLLAPSE;
  else
    p->cls = SP_CLASS_TRAINABLE;
}

/* Iterate the k <= GROUP models together (sharing workspace w) and fill
 * out[0..k-1].  Returns a fatal status, or SP_OK. */
static int run_group(const sp_diagram *d, const sp_model *models, size_t k,
                     const sp_workspace *w, sp_diagram_point *out)
{
  sp_summary sum[GROUP];
  int status[GROUP];
  int s = sp_propagate_summary_batch(models, k, w, sum, status);
  if (s)
    return s;
  for (size_t t = 0; t < k; t++) {
    sp_diagram_point *o = &out[t];
    if (status[t] && !per_point_error(status[t]))
      return status[t];
    o->status = status[t];
    if (o->status) {
      o->rho_final = o->y2_first = o->y2_max = o->beta_ratio = o->lambda_a = NAN;
      o->grad_wq = o->lambda_g = NAN;
      o->frozen_layers = 0;
    } else {
      o->rho_final = sum[t].rho_final;
      o->y2_first = sum[t].y2_first;
      o->y2_max = sum[t].y2_max;
      o->beta_ratio = sum[t].beta_ratio;
      o->frozen_layers = sum[t].frozen_layers;
      o->lambda_a = angle_exponent(&models[t], w);
      o->grad_wq = grad_first(&models[t], w);
      o->lambda_g = d->pub.opt.lambda_g ? grad_exponent(&models[t], w) : NAN;
    }
    classify(&d->pub.opt, o);
  }
  return SP_OK;
}

/* Compute grid row j; `own` is the calling thread's workspace for the
 * per-row and per-point modes (allocated on first use). */
static int compute_row(const sp_diagram *d, size_t j, sp_workspace **own)
{
  int mode = d->priv->mode;
  size_t step = mode == WS_POINT ? 1 : GROUP;
  const sp_workspace *w = mode == WS_SHARED ? d->priv->shared : NULL;
  if ((mode == WS_ROW || mode == WS_POINT) && !*own && sp_workspace_alloc(own))
    return SP_ENOMEM;
  for (size_t i0 = 0; i0 < d->pub.nx; i0 += step) {
    size_t k = d->pub.nx - i0 < step ? d->pub.nx - i0 : step;
    sp_model models[GROUP];
    for (size_t t = 0; t < k; t++) {
      int s = model_at(d, d->pub.xc[i0 + t], d->pub.yc[j], &models[t]);
      if (s)
        return s;
    }
    if (mode == WS_POINT || (mode == WS_ROW && i0 == 0)) {
      int s = sp_workspace_prepare(*own, &models[0]);
      if (s)
        return s;
    }
    if (mode == WS_ROW || mode == WS_POINT)
      w = *own;
    sp_diagram_point *out = d->pub.pt + j * d->pub.nx + i0;
    int s = run_group(d, models, k, w, out);
    if (s)
      return s;
    for (size_t t = 0; t < k; t++) {
      out[t].x = sp_axis_value(&d->pub.x, d->pub.xc[i0 + t]);
      out[t].y = sp_axis_value(&d->pub.y, d->pub.yc[j]);
    }
  }
  return SP_OK;
}

/* ---- the parallel sweep ---------------------------------------------- */

typedef struct {
  const sp_diagram *d;
  size_t next, done, end, total; /* rows next..end-1 left; done of total finished */
  int status;
  sp_threads_lock lock;
} sweep_job;

static void *sweep_worker(void *arg)
{
  sweep_job *job = arg;
  const sp_diagram *d = job->d;
  sp_workspace *own = NULL;
  for (;;) {
    sp_threads_lock_take(&job->lock);
    size_t j = job->next++;
    int stop = job->status != SP_OK || j >= job->end;
    sp_threads_lock_release(&job->lock);
    if (stop)
      break;
    int s = compute_row(d, j, &own);
    sp_threads_lock_take(&job->lock);
    if (s && !job->status)
      job->status = s;
    job->done++;
    if (!s && d->pub.opt.progress)
      d->pub.opt.progress(d->pub.opt.progress_arg, job->done, job->total);
    sp_threads_lock_release(&job->lock);
  }
  sp_workspace_free(own);
  return NULL;
}

/* The workspace all threads read when no axis changes the tables (once). */
static int shared_prepare(sp_diagram *d)
{
  sp_model m0;
  if (d->priv->mode != WS_SHARED || d->priv->shared)
    return SP_OK;
  int s = model_at(d, d->pub.xc[0], d->pub.yc[0], &m0);
  if (!s && sp_workspace_alloc(&d->priv->shared))
    s = SP_ENOMEM;
  return s ? s : sp_workspace_prepare(d->priv->shared, &m0);
}

int sp_diagram_sweep_rows(sp_diagram *d, size_t first, size_t count)
{
  if (!d || !d->priv || first > d->pub.ny || count > d->pub.ny - first)
    return SP_EINVAL;
  int s = shared_prepare(d);
  if (s || !count)
    return s;
  sweep_job job = {d, first, 0, first + count, count, SP_OK, SP_THREADS_LOCK_INIT};
  sp_threads_run(sweep_worker, &job, sp_threads_count(d->pub.opt.threads, count));
  sp_threads_lock_destroy(&job.lock);
  return job.status;
}

int sp_diagram_set_rows(sp_diagram *d, size_t first, size_t count, const sp_diagram_point *pt)
{
  if (!d || !d->priv || (!pt && count) || first > d->pub.ny || count > d->pub.ny - first)
    return SP_EINVAL;
  if (count)
    memcpy(d->pub.pt + first * d->pub.nx, pt, count * d->pub.nx * sizeof *pt);
  return SP_OK;
}

int sp_diagram_sweep_done(sp_diagram *d)
{
  int s = d && d->priv ? shared_prepare(d) : SP_EINVAL;
  if (s)
    return s;
  memset(d->pub.count, 0, sizeof d->pub.count);
  for (size_t k = 0; k < d->pub.nx * d->pub.ny; k++)
    d->pub.count[d->pub.pt[k].cls < SP_NCLASS ? d->pub.pt[k].cls : SP_CLASS_UNDEFINED]++;
  d->priv->swept = 1;
  return SP_OK;
}

int sp_diagram_sweep(sp_diagram *d)
{
  int s = d ? sp_diagram_sweep_rows(d, 0, d->pub.ny) : SP_EINVAL;
  return s ? s : sp_diagram_sweep_done(d);
}

/* ---- single points on the calling thread ------------------------------ */

/* The workspace for a serial evaluation of model m. */
static int serial_workspace(sp_diagram *d, const sp_model *m, const sp_workspace **w)
{
  struct sp_diagram_private *pv = d->priv;
  *w = NULL;
  if (pv->mode == WS_NONE)
    return SP_OK;
  if (pv->mode == WS_SHARED && pv->shared) {
    *w = pv->shared;
    return SP_OK;
  }
  if (!pv->scratch && sp_workspace_alloc(&pv->scratch))
    return SP_ENOMEM;
  int s = sp_workspace_prepare(pv->scratch, m);
  if (!s)
    *w = pv->scratch;
  return s;
}

int sp_diagram_eval(sp_diagram *d, double xc, double yc, sp_diagram_point *pt)
{
  if (!d || !d->priv || !pt)
    return SP_EINVAL;
  sp_model m;
  const sp_workspace *w;
  int s = model_at(d, xc, yc, &m);
  if (!s)
    s = serial_workspace(d, &m, &w);
  if (!s)
    s = run_group(d, &m, 1, w, pt);
  pt->x = sp_axis_value(&d->pub.x, xc);
  pt->y = sp_axis_value(&d->pub.y, yc);
  return s;
}

/* ---- boundaries ------------------------------------------------------ */

enum { FIELD_RHO, FIELD_ENTROPY };

typedef struct {
  sp_diagram *d;
  int field;
} field_arg;

static double field_value(const sp_diagram *d, int field, const sp_diagram_point *p)
{
  if (p->status)
    return NAN;
  if (field == FIELD_RHO)
    return p->rho_final - d->pub.opt.rho_max;
  return isnan(d->pub.opt.y2_max) ? p->beta_ratio - 1.0 : p->y2_max - d->pub.opt.y2_max;
}

/* 1 when v is exactly one of the n increasing coordinates c. */
static int on_grid(const double *c, size_t n, double v)
{
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (c[mid] < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && c[lo] == v;
}

/* Along an integer axis the quantities are step functions of the
 * coordinate; between grid lines report "unknown" so that crossings are
 * interpolated linearly instead of snapping to the steps. */
static int off_integer_grid(const sp_diagram *d, double x, double y)
{
  return (d->pub.x.param->kind == SP_PARAM_INTEGER && !on_grid(d->pub.xc, d->pub.nx, x))
         || (d->pub.y.param->kind == SP_PARAM_INTEGER && !on_grid(d->pub.yc, d->pub.ny, y));
}

static int field_fn(double x, double y, void *arg, double *v)
{
  field_arg *fa = arg;
  sp_diagram_point p;
  if (off_integer_grid(fa->d, x, y)) {
    *v = NAN;
    return SP_OK;
  }
  int s = sp_diagram_eval(fa->d, x, y, &p);
  *v = s ? NAN : field_value(fa->d, fa->field, &p);
  return s;
}

/* A quantity evaluated afresh at any (x, y) for the contour refinement:
 * value(model, workspace), floored at LAMBDA_FLOOR for the exponents. */
typedef struct {
  sp_diagram *d;
  double (*value)(const sp_model *, const sp_workspace *);
  int floored;
} model_field;

static int model_field_fn(double x, double y, void *arg, double *v)
{
  const model_field *f = arg;
  sp_model m;
  const sp_workspace *w;
  *v = NAN;
  if (off_integer_grid(f->d, x, y))
    return SP_OK;
  int s = model_at(f->d, x, y, &m);
  if (!s)
    s = serial_workspace(f->d, &m, &w);
  if (s)
    return s;
  double z = f->value(&m, w);
  *v = f->floored && !isnan(z) ? fmax(z, LAMBDA_FLOOR) : z;
  return SP_OK;
}

static int grid_contour(sp_diagram *d, const double *z, double level, sp_contour_fn f,
                        void *arg, sp_contour *out)
{
  sp_contour_free(out);
  return sp_contour_lines(d->pub.nx, d->pub.ny, d->pub.xc, d->pub.yc, z, level, f, arg, out);
}

/* The zero line of an exponent (the double at byte offset `field` of each
 * point: lambda_a or lambda_g, floored at LAMBDA_FLOOR) into *out, traced
 * when `on` and the exponent changes sign on the grid; `value` evaluates it
 * afresh for the refinement, z is scratch for the grid's values.  *out is
 * emptied first; a status s other than SP_OK is passed on, nothing traced. */
static int exponent_zero(sp_diagram *d, double *z, int s, int on, size_t field,
                         double (*value)(const sp_model *, const sp_workspace *),
                         sp_contour *out)
{
  size_t n = d->pub.nx * d->pub.ny;
  int neg = 0, pos = 0;
  for (size_t k = 0; k < n && !s && on; k++) {
    double x = *(const double *)((const char *)&d->pub.pt[k] + field);
    z[k] = isnan(x) ? NAN : fmax(x, LAMBDA_FLOOR);
    neg |= z[k] < 0.0;
    pos |= z[k] >= 0.0;
  }
  sp_contour_free(out);
  if (s || !neg || !pos)
    return s;
  model_field mf = {d, value, 1};
  return grid_contour(d, z, 0.0, model_field_fn, &mf, out);
}

/* ---- analytic overlays ------------------------------------------------ */

/* Append the polyline px/py[0..n-1] to c (n >= 2), taking the arrays. */
static int contour_take(sp_contour *c, double *px, double *py, size_t n)
{
  sp_polyline *l = realloc(c->lines, (c->n + 1) * sizeof *l);
  if (!l)
    return SP_ENOMEM;
  c->lines = l;
  c->lines[c->n++] = (sp_polyline){n, px, py, 0};
  return SP_OK;
}

/* Split the samples (u[k], v[k]), NaN v marking gaps, into polylines of
 * at least two points; `swap` stores (v, u) as (x, y). */
static int runs_to_contour(const double *u, const double *v, size_t n, int swap, sp_contour *c)
{
  size_t k = 0;
  while (k < n) {
    while (k < n && isnan(v[k]))
      k++;
    size_t a = k;
    while (k < n && !isnan(v[k]))
      k++;
    size_t m = k - a;
    if (m < 2)
      continue;
    double *px, *py;
    if (sp_alloc_points(m, &px, &py))
      return SP_ENOMEM;
    for (size_t t = 0; t < m; t++) {
      px[t] = swap ? v[a + t] : u[a + t];
      py[t] = swap ? u[a + t] : v[a + t];
    }
    int s = contour_take(c, px, py, m);
    if (s) {
      free(px);
      free(py);
      return s;
    }
  }
  return SP_OK;
}

static int beta_c_overlay(sp_diagram *d)
{
  const sp_param *beta = sp_param_lookup("beta");
  int on_x = d->pub.x.param == beta, on_y = d->pub.y.param == beta;
  if ((!on_x && !on_y) || d->pub.model.attention == SP_ATTN_UNIFORM)
    return SP_OK;
  const sp_axis *b = on_x ? &d->pub.x : &d->pub.y, *o = on_x ? &d->pub.y : &d->pub.x;
  size_t n = 4 * (o->n - 1) + 1;
  n = n < 129 ? 129 : n > 4001 ? 4001 : n;
  double *u, *v;
  if (sp_alloc_points(n, &u, &v))
    return SP_ENOMEM;
  sp_axis fine = *o; /* the other axis at n points */
  fine.n = n;
  for (size_t k = 0; k < n; k++) {
    sp_model m = d->pub.model;
    u[k] = sp_axis_coord(&fine, k);
    v[k] = NAN;
    if (sp_model_set(&m, o->param, sp_axis_value(o, u[k])))
      continue;
    double q = m.q0, p = m.rho0 * m.q0;
    if (m.norm == SP_NORM_PRE && m.beta_c_on == SP_BETAC_INPUT)
      q = 1.0, p = m.rho0;
    double bc = sp_rem_beta_c(q, p);
    if (bc >= b->min && bc <= b->max)
      v[k] = bc;
  }
  int s = runs_to_contour(u, v, n, on_x, &d->pub.beta_c);
  free(u);
  free(v);
  return s;
}

typedef struct {
  sp_diagram *d;
  int alpha_on_x;
  double other; /* coordinate on the other axis */
  double lo, hi, flo, fhi;
  int status;
} alpha_problem;

static int alpha_fn(double a, void *arg, double *f)
{
  alpha_problem *pb = arg;
  sp_diagram_point p;
  int s = pb->alpha_on_x ? sp_diagram_eval(pb->d, a, pb->other, &p)
                         : sp_diagram_eval(pb->d, pb->other, a, &p);
  if (s && !pb->status)
    pb->status = s;
  *f = s || p.status ? NAN : p.rho_final - pb->d->pub.opt.rho_max;
  return s;
}

/* Root of rho_L - rho_max in [lo, hi] (a sign change), or NaN (also where
 * a point on the way has no value). */
static int alpha_root(alpha_problem *pb, double *root)
{
  *root = NAN;
  double r;
  int s = sp_root_brent(alpha_fn, pb, pb->lo, pb->hi, pb->flo, pb->fhi, ALPHA_XTOL, 0.0, &r);
  if (s == SP_OK)
    *root = r;
  return pb->status ? pb->status : s == SP_ENOMEM ? s : SP_OK;
}

static int alpha_c_overlay(sp_diagram *d)
{
  const sp_param *asa = sp_param_lookup("alpha-sa"), *amlp = sp_param_lookup("alpha-mlp");
  int on_y = d->pub.y.param == asa || d->pub.y.param == amlp;
  int on_x = !on_y && (d->pub.x.param == asa || d->pub.x.param == amlp);
  d->pub.alpha_axis = on_y ? d->pub.y.param : on_x ? d->pub.x.param : NULL;
  if (!on_x && !on_y)
    return SP_OK;
  size_t na = on_y ? d->pub.ny : d->pub.nx, nb = on_y ? d->pub.nx : d->pub.ny;
  const double *ac = on_y ? d->pub.yc : d->pub.xc, *bc = on_y ? d->pub.xc : d->pub.yc;
  double *v = malloc(nb * sizeof *v);
  if (!v)
    return SP_ENOMEM;
  int s = SP_OK;
  for (size_t b = 0; b < nb && !s; b++) {
    v[b] = NAN;
    double prev = NAN;
    for (size_t a = 0; a < na; a++) {
      size_t nx = d->pub.nx;
      const sp_diagram_point *p = on_y ? &d->pub.pt[a * nx + b] : &d->pub.pt[b * nx + a];
      double f = p->status ? NAN : p->rho_final - d->pub.opt.rho_max;
      if (isnan(f))
        break;
      if (f <= 0.0) {
        if (a > 0) {
          alpha_problem pb = {d, on_x, bc[b], ac[a - 1], ac[a], prev, f, SP_OK};
          s = alpha_root(&pb, &v[b]);
        }
        break;
      }
      prev = f;
    }
  }
  if (!s)
    s = runs_to_contour(bc, v, nb, on_x, &d->pub.alpha_c);
  free(v);
  return s;
}

int sp_diagram_curves(sp_diagram *d)
{
  if (!d || !d->priv || !d->priv->swept)
    return SP_EINVAL;
  size_t n = d->pub.nx * d->pub.ny;
  double *z = malloc(n * sizeof *z);
  if (!z)
    return SP_ENOMEM;
  field_arg rho = {d, FIELD_RHO}, ent = {d, FIELD_ENTROPY};
  double ent_level = 0.0;

  for (size_t k = 0; k < n; k++)
    z[k] = field_value(d, FIELD_ENTROPY, &d->pub.pt[k]);
  int s = grid_contour(d, z, ent_level, field_fn, &ent, &d->pub.entropy);

  for (size_t k = 0; k < n && !s; k++)
    z[k] = field_value(d, FIELD_RHO, &d->pub.pt[k]);
  if (!s)
    s = grid_contour(d, z, 0.0, field_fn, &rho, &d->pub.rank);
  if (!s && d->pub.rank.n)
    s = sp_contour_clip(&d->pub.rank, field_fn, &ent, ent_level);

  s = exponent_zero(d, z, s, 1, offsetof(sp_diagram_point, lambda_a), angle_exponent,
                    &d->pub.lambda0);

  /* grad_wq = F max grad_wq: the vanishing-gradient boundary. */
  d->pub.grad_max = NAN;
  for (size_t k = 0; k < n; k++) {
    double g = d->pub.pt[k].grad_wq;
    if (!isnan(g) && !(g <= d->pub.grad_max))
      d->pub.grad_max = g;
  }
  sp_contour_free(&d->pub.grad);
  double gmax = d->pub.grad_max;
  if (!s && !isnan(d->pub.opt.grad_fraction) && gmax > 0.0 && isfinite(gmax)) {
    for (size_t k = 0; k < n; k++)
      z[k] = d->pub.pt[k].grad_wq;
    model_field mf = {d, grad_first, 0};
    s = grid_contour(d, z, d->pub.opt.grad_fraction * gmax, model_field_fn, &mf, &d->pub.grad);
  }

  s = exponent_zero(d, z, s, d->pub.opt.lambda_g, offsetof(sp_diagram_point, lambda_g),
                    grad_exponent, &d->pub.lambda_g0);
  free(z);

  sp_contour_free(&d->pub.beta_c);
  sp_contour_free(&d->pub.alpha_c);
  if (!s)
    s = beta_c_overlay(d);
  if (!s)
    s = alpha_c_overlay(d);
  return s;
}
