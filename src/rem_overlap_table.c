/* Tables of the finite-T row overlap over (lambda, c) for one T.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/rem_overlap.h"
#include "sigprop/model.h"
#include "sigprop/status.h"
#include "rem_overlap_private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef SP_HAVE_THREADS
#include <pthread.h>
#endif

/* Chebyshev-Lobatto levels: 2^k + 1 nodes, k from KMIN to KMAX. */
#define KMIN 4
#define KMAX 6
#define NMAX ((1 << KMAX) + 1)
/* Uniform resampling grid of the evaluation: steps wmax/NWU and 1/NXU. */
#define NWU 256
#define NXU 128
/* lambda = WSCALE sinh(w): of the scales tried (0.125 .. 4) the one whose
 * Chebyshev interpolants converge fastest along w (T = 64, 512). */
#define WSCALE 0.5
/* Worker threads of the build. */
#define MAX_THREADS 16

struct sp_overlap_table {
  long tokens;
  double logt, lmax, wmax, errest;
  int nw, nx;       /* Chebyshev nodes used: total over [-wmax, wmax], over x */
  double f[NWU + 1][NXU + 1]; /* E O on the uniform (w, x) grid */
};

/* ---- coordinates ---------------------------------------------------- */

/* x(lambda, c) = asinh(s v) / asinh(s), v = sqrt(1 - c), s = lambda sqrt(log T):
 * the rows differ by s v in energy units, so E O changes on the scale v ~ 1/s
 * near c = 1; x resolves that layer with a step independent of s. */
static double x_of(double s, double c)
{
  double v = sqrt(1.0 - c);
  return s > 1e-6 ? asinh(s * v) / asinh(s) : v;
}

static double c_of(double s, double x)
{
  double v = s > 1e-6 ? sinh(x * asinh(s)) / s : x;
  double c = 1.0 - v * v;
  return c < 0.0 ? 0.0 : c > 1.0 ? 1.0 : c;
}

/* Node j of n Chebyshev-Lobatto nodes on [lo, hi], from hi down to lo. */
static double lobatto(int j, int n, double lo, double hi)
{
  return 0.5 * (lo + hi) + 0.5 * (hi - lo) * cos(M_PI * (double)j / (double)(n - 1));
}

/* Barycentric interpolation through n Lobatto nodes xs (every `step`-th of
 * the stored ones) of values fs. */
static double bary(const double *xs, const double *fs, int n, int step, double x)
{
  double num = 0.0, den = 0.0;
  for (int j = 0; j < n; j++) {
    double d = x - xs[j * step];
    if (d == 0.0)
      return fs[j * step];
    double wj = ((j & 1) ? -1.0 : 1.0) * ((j == 0 || j == n - 1) ? 0.5 : 1.0) / d;
    num += wj * fs[j * step];
    den += wj;
  }
  return num / den;
}

/* ---- the build: node values, in parallel -------------------------- */

typedef struct {
  long tokens;
  double logt, wmax;
  int nw, nx;           /* current levels */
  double (*v)[NMAX];    /* v[i][j]: w node i (i <= (nw-1)/2, from wmax), x node j */
  char (*done)[NMAX];
  int next, status;
#ifdef SP_HAVE_THREADS
  pthread_mutex_t lock;
#endif
} build;

/* Node (i, j) of the current levels. */
static int node_value(const build *b, int i, int j, double *out)
{
  int nhalf = (b->nw - 1) / 2;
  double w = lobatto(i, b->nw, -b->wmax, b->wmax), x = lobatto(j, b->nx, 1.0, 0.0);
  double lambda = WSCALE * sinh(w), s = lambda * sqrt(b->logt);
  if (i == nhalf || j == b->nx - 1) { /* lambda = 0 or c = 0: 1/T exactly */
    *out = 1.0 / (double)b->tokens;
    return SP_OK;
  }
  double c = j == 0 ? 1.0 : c_of(s, x);
  int st = sp_rem_overlap_rule(b->tokens, lambda, c, 1, out);
  if (st == SP_ENOCONV) /* the direct rule's wider window and finer steps */
    st = sp_rem_overlap_rule(b->tokens, lambda, c, 0, out);
  return st;
}

static void *worker(void *arg)
{
  build *b = arg;
  int nhalf = (b->nw - 1) / 2, total = (nhalf + 1) * b->nx;
  for (;;) {
#ifdef SP_HAVE_THREADS
    pthread_mutex_lock(&b->lock);
#endif
    int k = b->next;
    while (k < total && b->done[k / b->nx][k % b->nx])
      k++;
    b->next = k + 1;
    int stop = k >= total || b->status;
#ifdef SP_HAVE_THREADS
    pthread_mutex_unlock(&b->lock);
#endif
    if (stop)
      return NULL;
    int i = k / b->nx, j = k % b->nx;
    double val;
    int st = node_value(b, i, j, &val);
#ifdef SP_HAVE_THREADS
    pthread_mutex_lock(&b->lock);
#endif
    if (st && !b->status)
      b->status = st;
    b->v[i][j] = val;
#ifdef SP_HAVE_THREADS
    pthread_mutex_unlock(&b->lock);
#endif
  }
}

/* Evaluate every node of the current levels not computed yet. */
static int fill(build *b)
{
  b->next = 0;
#ifdef SP_HAVE_THREADS
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  int nt = ncpu > 1 ? (int)(ncpu < MAX_THREADS ? ncpu : MAX_THREADS) : 1, started = 0;
  pthread_t tid[MAX_THREADS];
  for (; started + 1 < nt; started++)
    if (pthread_create(&tid[started], NULL, worker, b) != 0)
      break;
  worker(b);
  for (int t = 0; t < started; t++)
    pthread_join(tid[t], NULL);
#else
  worker(b);
#endif
  int nhalf = (b->nw - 1) / 2;
  for (int i = 0; i <= nhalf; i++)
    for (int j = 0; j < b->nx; j++)
      b->done[i][j] = 1;
  return b->status;
}

/* Refine a level: node i of level k is node 2 i of level k + 1. */
static void spread(build *b, int along_w)
{
  int nhalf = (b->nw - 1) / 2;
  if (along_w) {
    for (int i = nhalf; i >= 0; i--)
      for (int j = 0; j < b->nx; j++) {
        b->v[2 * i][j] = b->v[i][j];
        b->done[2 * i][j] = b->done[i][j];
        if (i)
          b->done[2 * i - 1][j] = 0;
      }
    b->nw = 2 * b->nw - 1;
  } else {
    for (int i = 0; i <= nhalf; i++)
      for (int j = b->nx - 1; j >= 0; j--) {
        b->v[i][2 * j] = b->v[i][j];
        b->done[i][2 * j] = b->done[i][j];
        if (j)
          b->done[i][2 * j - 1] = 0;
      }
    b->nx = 2 * b->nx - 1;
  }
}

/* Values of x node column j (or w node row i) over the full symmetric w
 * nodes: f(-w) = f(w). */
static void w_column(const build *b, int j, double *ws, double *fs)
{
  int nhalf = (b->nw - 1) / 2;
  for (int i = 0; i < b->nw; i++) {
    int h = i <= nhalf ? i : b->nw - 1 - i;
    ws[i] = lobatto(i, b->nw, -b->wmax, b->wmax);
    fs[i] = b->v[h][j];
  }
}

/* Error of the interpolant through every other node, at the others: an
 * estimate of the error of the coarser level along w (along_w) or x. */
static double estimate(const build *b, int along_w)
{
  double worst = 0.0, xs[NMAX], fs[NMAX];
  int nhalf = (b->nw - 1) / 2;
  if (along_w) {
    for (int j = 0; j < b->nx; j++) {
      w_column(b, j, xs, fs);
      for (int i = 1; i < b->nw; i += 2) {
        double e = fabs(bary(xs, fs, (b->nw + 1) / 2, 2, xs[i]) - fs[i]);
        worst = e > worst ? e : worst;
      }
    }
  } else {
    for (int j = 0; j < b->nx; j++)
      xs[j] = lobatto(j, b->nx, 1.0, 0.0);
    for (int i = 0; i <= nhalf; i++)
      for (int j = 1; j < b->nx; j += 2) {
        double e = fabs(bary(xs, b->v[i], (b->nx + 1) / 2, 2, xs[j]) - b->v[i][j]);
        worst = e > worst ? e : worst;
      }
  }
  return worst;
}

/* The Chebyshev interpolant resampled on the uniform (w, x) grid. */
static int resample(const build *b, sp_overlap_table *t)
{
  double xs[NMAX], ws[NMAX], fs[NMAX];
  int nhalf = (b->nw - 1) / 2;
  for (int j = 0; j < b->nx; j++)
    xs[j] = lobatto(j, b->nx, 1.0, 0.0);
  for (int i = 0; i < b->nw; i++)
    ws[i] = lobatto(i, b->nw, -b->wmax, b->wmax);
  /* First along x on every w node, then along w. */
  double (*r)[NXU + 1] = malloc((size_t)(nhalf + 1) * sizeof *r);
  if (!r)
    return SP_ENOMEM;
  for (int i = 0; i <= nhalf; i++)
    for (int u = 0; u <= NXU; u++)
      r[i][u] = bary(xs, b->v[i], b->nx, 1, (double)u / NXU);
  for (int u = 0; u <= NXU; u++) {
    for (int i = 0; i < b->nw; i++)
      fs[i] = r[i <= nhalf ? i : b->nw - 1 - i][u];
    for (int k = 0; k <= NWU; k++)
      t->f[k][u] = bary(ws, fs, b->nw, 1, b->wmax * (double)k / NWU);
  }
  free(r);
  return SP_OK;
}

/* ---- public ---------------------------------------------------------- */

void sp_overlap_table_free(sp_overlap_table *t)
{
  free(t);
}

/* Refine along w and x until both estimates meet SP_OVERLAP_TABLE_EST (or
 * the finest level), evaluating only the new nodes each time. */
static int refine(build *b, double *err)
{
  int s = fill(b);
  double ew = estimate(b, 1), ex = estimate(b, 0);
  while (!s && ((ew > SP_OVERLAP_TABLE_EST && b->nw < NMAX)
                || (ex > SP_OVERLAP_TABLE_EST && b->nx < NMAX))) {
    if (ew > SP_OVERLAP_TABLE_EST && b->nw < NMAX)
      spread(b, 1);
    if (ex > SP_OVERLAP_TABLE_EST && b->nx < NMAX)
      spread(b, 0);
    s = fill(b);
    ew = estimate(b, 1);
    ex = estimate(b, 0);
  }
  *err = ew > ex ? ew : ex;
  return s;
}

int sp_overlap_table_alloc(long tokens, sp_overlap_table **out)
{
  if (!out)
    return SP_EINVAL;
  *out = NULL;
  if (tokens < 2 || tokens > SP_MAX_TOKENS)
    return SP_EDOM;
  sp_overlap_table *t = calloc(1, sizeof *t);
  build b = {tokens, log((double)tokens), asinh(SP_OVERLAP_TABLE_LAMBDA_MAX / WSCALE),
             (1 << KMIN) + 1, (1 << KMIN) + 1, NULL, NULL, 0, SP_OK
#ifdef SP_HAVE_THREADS
             , PTHREAD_MUTEX_INITIALIZER
#endif
  };
  b.v = calloc(NMAX, sizeof *b.v);
  b.done = calloc(NMAX, sizeof *b.done);
  int s = t && b.v && b.done ? refine(&b, &t->errest) : SP_ENOMEM;
  if (!s) {
    t->tokens = tokens;
    t->logt = b.logt;
    t->wmax = b.wmax;
    t->lmax = SP_OVERLAP_TABLE_LAMBDA_MAX;
    t->nw = b.nw;
    t->nx = b.nx;
    s = resample(&b, t);
  }
#ifdef SP_HAVE_THREADS
  pthread_mutex_destroy(&b.lock);
#endif
  free(b.v);
  free(b.done);
  if (s) {
    free(t);
    return s;
  }
  *out = t;
  return SP_OK;
}

long sp_overlap_table_tokens(const sp_overlap_table *t)
{
  return t ? t->tokens : 0;
}

void sp_overlap_table_info(const sp_overlap_table *t, double *lambda_max, double *errest,
                           int *nodes)
{
  if (lambda_max)
    *lambda_max = t ? t->lmax : NAN;
  if (errest)
    *errest = t ? t->errest : NAN;
  if (nodes)
    *nodes = t ? ((t->nw + 1) / 2) * t->nx : 0;
}

/* Weights of the cubic through nodes k0 .. k0 + 3 at u (in steps). */
static void cubic(double u, double *l)
{
  double a = u, b = u - 1.0, c = u - 2.0, d = u - 3.0;
  l[0] = -b * c * d / 6.0;
  l[1] = a * c * d / 2.0;
  l[2] = -a * b * d / 2.0;
  l[3] = a * b * c / 6.0;
}

int sp_overlap_table_eval(const sp_overlap_table *t, double lambda, double c, double *overlap)
{
  if (!t || !overlap)
    return SP_EINVAL;
  if (!(lambda >= 0.0) || !isfinite(lambda) || !(c >= 0.0 && c <= 1.0))
    return SP_EDOM;
  if (lambda == 0.0 || c == 0.0) {
    *overlap = 1.0 / (double)t->tokens;
    return SP_OK;
  }
  if (lambda > t->lmax)
    return sp_rem_overlap(t->tokens, lambda, c, overlap, NULL);
  double w = asinh(lambda / WSCALE) * (NWU / t->wmax), x = x_of(lambda * sqrt(t->logt), c) * NXU;
  /* Stencils of four nodes, even in w (f(-w) = f(w)), one-sided at x = 0, 1
   * and at w = wmax. */
  int iw = (int)floor(w) - 1, ix = (int)floor(x) - 1;
  if (iw > NWU - 3)
    iw = NWU - 3;
  if (ix < 0)
    ix = 0;
  if (ix > NXU - 3)
    ix = NXU - 3;
  double lw[4], lx[4], sum = 0.0;
  cubic(w - (double)iw, lw);
  cubic(x - (double)ix, lx);
  for (int a = 0; a < 4; a++) {
    const double *row = t->f[abs(iw + a)] + ix;
    sum += lw[a] * (lx[0] * row[0] + lx[1] * row[1] + lx[2] * row[2] + lx[3] * row[3]);
  }
  *overlap = sum;
  return SP_OK;
}
