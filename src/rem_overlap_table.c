/* Tables of the finite-T row overlap over (lambda, c) for one T, of
 * encoder or causal rows, built panel by panel in lambda on first use.
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
#include <stdatomic.h>
#endif

/* Most Chebyshev-Lobatto nodes along an axis of a panel (2^6 + 1). */
#define NMAX 65
/* Uniform resampling grid of the evaluation: steps wmax/NWU and 1/NXU (at
 * NXU = 128 the bicubic reads missed by 3e-7 at lambda = 7, c = 0.03, where
 * x is stretched: 6e-8 at 256). */
#define NWU 256
#define NXU 256
/* lambda = WSCALE sinh(w): of the scales tried (0.125 .. 4) the one whose
 * Chebyshev interpolants converge fastest along w (T = 64, 512). */
#define WSCALE 0.5
/* Worker threads of a panel's build. */
#define MAX_THREADS 16
/* Chebyshev coefficients in an error estimate: the last two (one of them
 * zero along w in the even first panel). */
#define TAIL 2
/* Panels in w: rows PANEL_ROW[p] .. PANEL_ROW[p + 1] of the uniform grid,
 * lambda up to 1.515, 3.04, 5.04 and 8.  A node's quadrature costs more
 * the larger lambda is (0.2 ms at lambda < 1.5, 1.5 to 8 ms at 5 .. 8,
 * T = 512), so a sweep that stays below lambda = 1.5 (a recommendation
 * near beta_c) or 5 (the default diagram) never pays for the panels above. */
#define NPANEL 4
static const int PANEL_ROW[NPANEL + 1] = {0, 135, 185, 222, NWU};

typedef struct {
#ifdef SP_HAVE_THREADS
  atomic_int ready;      /* 1 once built (or failed): status and values final */
  pthread_mutex_t lock;  /* held while building */
#else
  int ready;
#endif
  int status, nw, nx;    /* build status; nodes over the panel's w interval, over x */
  double errest;
} panel;

struct sp_overlap_table {
  long tokens;
  int causal;            /* 1: sp_rem_overlap_causal(), 0: sp_rem_overlap() */
  double logt, lmax, wmax;
  double indep;          /* E O at lambda = 0 or c = 0 (independent rows) */
  panel pan[NPANEL];
  /* E O on the uniform (w, x) grid: panel p's rows PANEL_ROW[p] ..
   * PANEL_ROW[p + 1] at rows PANEL_ROW[p] + p .. (boundary rows twice). */
  double f[NWU + NPANEL][NXU + 1];
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

/* Barycentric interpolation through the n Lobatto nodes xs of values fs. */
static double bary(const double *xs, const double *fs, int n, double x)
{
  double num = 0.0, den = 0.0;
  for (int j = 0; j < n; j++) {
    double d = x - xs[j];
    if (d == 0.0)
      return fs[j];
    double wj = ((j & 1) ? -1.0 : 1.0) * ((j == 0 || j == n - 1) ? 0.5 : 1.0) / d;
    num += wj * fs[j];
    den += wj;
  }
  return num / den;
}

/* Sum of the magnitudes of the last TAIL Chebyshev coefficients of the
 * interpolant through n Lobatto values fs: an estimate of its error (the
 * coefficients of these functions decay geometrically). */
static double tail(const double *fs, int n)
{
  double sum = 0.0;
  for (int k = n - TAIL; k < n; k++) {
    double a = 0.0;
    for (int j = 0; j < n; j++)
      a += ((j == 0 || j == n - 1) ? 0.5 : 1.0) * fs[j] * cos(M_PI * (double)k * j / (n - 1));
    sum += fabs(a) * (k == n - 1 ? 1.0 : 2.0) / (double)(n - 1);
  }
  return sum;
}

/* ---- the build of one panel: node values, in parallel ---------------- */

typedef struct {
  long tokens;
  int causal;
  double logt, indep;
  double lo, hi;       /* w interval; even: [-hi, hi] with f(-w) = f(w) */
  int even, nw, nx;    /* current levels */
  double (*v)[NMAX];   /* v[i][j]: stored w node i (from hi down), x node j */
  char (*done)[NMAX];
  int next, status;
#ifdef SP_HAVE_THREADS
  pthread_mutex_t lock;
#endif
} build;

/* w nodes stored: those of w >= 0 when even, else all. */
static int stored(const build *b)
{
  return b->even ? (b->nw - 1) / 2 + 1 : b->nw;
}

static double w_node(const build *b, int i)
{
  return lobatto(i, b->nw, b->even ? -b->hi : b->lo, b->hi);
}

/* Node (i, j) of the current levels. */
static int node_value(const build *b, int i, int j, double *out)
{
  double lambda = WSCALE * sinh(w_node(b, i)), s = lambda * sqrt(b->logt);
  if ((b->even && i == (b->nw - 1) / 2) || j == b->nx - 1) { /* lambda = 0 or c = 0 */
    *out = b->indep;
    return SP_OK;
  }
  double c = j == 0 ? 1.0 : c_of(s, lobatto(j, b->nx, 1.0, 0.0));
  int st = sp_rem_overlap_rule(b->tokens, b->causal, lambda, c, 1, out);
  if (st == SP_ENOCONV) /* the direct rule's wider window and finer steps */
    st = sp_rem_overlap_rule(b->tokens, b->causal, lambda, c, 0, out);
  return st;
}

/* Takes (lock) or releases (!lock) the build's mutex; nothing without threads. */
static void build_hold(build *b, int lock)
{
#ifdef SP_HAVE_THREADS
  if (lock)
    pthread_mutex_lock(&b->lock);
  else
    pthread_mutex_unlock(&b->lock);
#else
  (void)b;
  (void)lock;
#endif
}

static void *worker(void *arg)
{
  build *b = arg;
  int total = stored(b) * b->nx;
  for (;;) {
    build_hold(b, 1);
    int k = b->next;
    while (k < total && b->done[k / b->nx][k % b->nx])
      k++;
    b->next = k + 1;
    int stop = k >= total || b->status;
    build_hold(b, 0);
    if (stop)
      return NULL;
    int i = k / b->nx, j = k % b->nx;
    double val;
    int st = node_value(b, i, j, &val);
    build_hold(b, 1);
    if (st && !b->status)
      b->status = st;
    b->v[i][j] = val;
    build_hold(b, 0);
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
  for (int i = 0; i < stored(b); i++)
    for (int j = 0; j < b->nx; j++)
      b->done[i][j] = 1;
  return b->status;
}

/* Refine a level: node i of level k is node 2 i of level k + 1. */
static void spread(build *b, int along_w)
{
  int ns = stored(b);
  if (along_w) {
    for (int i = ns - 1; i >= 0; i--)
      for (int j = 0; j < b->nx; j++) {
        b->v[2 * i][j] = b->v[i][j];
        b->done[2 * i][j] = b->done[i][j];
        if (i)
          b->done[2 * i - 1][j] = 0;
      }
    b->nw = 2 * b->nw - 1;
  } else {
    for (int i = 0; i < ns; i++)
      for (int j = b->nx - 1; j >= 0; j--) {
        b->v[i][2 * j] = b->v[i][j];
        b->done[i][2 * j] = b->done[i][j];
        if (j)
          b->done[i][2 * j - 1] = 0;
      }
    b->nx = 2 * b->nx - 1;
  }
}

/* Values of x node j over all w nodes: f(-w) = f(w) for even panels. */
static void w_line(const build *b, int j, double *fs)
{
  int ns = stored(b);
  for (int i = 0; i < b->nw; i++)
    fs[i] = b->v[i < ns ? i : b->nw - 1 - i][j];
}

/* Error estimates of the interpolant along w and along x (tail()). */
static void estimate(const build *b, double *ew, double *ex)
{
  double fs[NMAX];
  *ew = *ex = 0.0;
  for (int j = 0; j < b->nx; j++) {
    w_line(b, j, fs);
    *ew = fmax(*ew, tail(fs, b->nw));
  }
  for (int i = 0; i < stored(b); i++)
    *ex = fmax(*ex, tail(b->v[i], b->nx));
}

/* Refine along w and x until both estimates meet SP_OVERLAP_TABLE_EST (or
 * the finest level), evaluating only the new nodes each time. */
static int refine(build *b, double *err)
{
  int s = fill(b);
  double ew, ex;
  estimate(b, &ew, &ex);
  while (!s && ((ew > SP_OVERLAP_TABLE_EST && b->nw < NMAX)
                || (ex > SP_OVERLAP_TABLE_EST && b->nx < NMAX))) {
    if (ew > SP_OVERLAP_TABLE_EST && b->nw < NMAX)
      spread(b, 1);
    if (ex > SP_OVERLAP_TABLE_EST && b->nx < NMAX)
      spread(b, 0);
    s = fill(b);
    estimate(b, &ew, &ex);
  }
  *err = ew > ex ? ew : ex;
  return s;
}

/* The panel's interpolant resampled on its rows of the uniform grid: along
 * x on every stored w node, then along w. */
static void resample(const build *b, sp_overlap_table *t, int p)
{
  double xs[NMAX], ws[NMAX], fs[NMAX], col[NMAX];
  int ns = stored(b), r0 = PANEL_ROW[p], r1 = PANEL_ROW[p + 1];
  for (int j = 0; j < b->nx; j++)
    xs[j] = lobatto(j, b->nx, 1.0, 0.0);
  for (int i = 0; i < b->nw; i++)
    ws[i] = w_node(b, i);
  for (int u = 0; u <= NXU; u++) {
    for (int i = 0; i < ns; i++)
      col[i] = bary(xs, b->v[i], b->nx, (double)u / NXU);
    for (int i = 0; i < b->nw; i++)
      fs[i] = col[i < ns ? i : b->nw - 1 - i];
    for (int k = r0; k <= r1; k++)
      t->f[k + p][u] = bary(ws, fs, b->nw, t->wmax * (double)k / NWU);
  }
}

/* Build panel p: Chebyshev-Lobatto nodes over its w interval (even about 0
 * for the first), 9 x 9 to start with, refined to NMAX each way. */
static int build_panel(sp_overlap_table *t, int p)
{
  panel *P = &t->pan[p];
  build b = {t->tokens, t->causal, t->logt, t->indep, t->wmax * PANEL_ROW[p] / NWU,
             t->wmax * PANEL_ROW[p + 1] / NWU, p == 0, p == 0 ? 17 : 9, 9, NULL, NULL, 0,
             SP_OK
#ifdef SP_HAVE_THREADS
             , PTHREAD_MUTEX_INITIALIZER
#endif
  };
  b.v = calloc(NMAX, sizeof *b.v);
  b.done = calloc(NMAX, sizeof *b.done);
  int s = b.v && b.done ? refine(&b, &P->errest) : SP_ENOMEM;
  if (!s)
    resample(&b, t, p);
  P->nw = stored(&b);
  P->nx = b.nx;
#ifdef SP_HAVE_THREADS
  pthread_mutex_destroy(&b.lock);
#endif
  free(b.v);
  free(b.done);
  return s;
}

/* Panel p built (once, by the first caller; the others wait for it). */
static int ensure(const sp_overlap_table *ct, int p)
{
  sp_overlap_table *t = (sp_overlap_table *)ct; /* allocated by us, never const */
  panel *P = &t->pan[p];
#ifdef SP_HAVE_THREADS
  if (atomic_load_explicit(&P->ready, memory_order_acquire))
    return P->status;
  pthread_mutex_lock(&P->lock);
  if (!atomic_load_explicit(&P->ready, memory_order_relaxed)) {
    P->status = build_panel(t, p);
    atomic_store_explicit(&P->ready, 1, memory_order_release);
  }
  pthread_mutex_unlock(&P->lock);
#else
  if (!P->ready) {
    P->status = build_panel(t, p);
    P->ready = 1;
  }
#endif
  return P->status;
}

/* ---- public ---------------------------------------------------------- */

void sp_overlap_table_free(sp_overlap_table *t)
{
  if (!t)
    return;
#ifdef SP_HAVE_THREADS
  for (int p = 0; p < NPANEL; p++)
    pthread_mutex_destroy(&t->pan[p].lock);
#endif
  free(t);
}

/* A table of the encoder's (causal = 0) or the causal overlap. */
static int table_alloc(long tokens, int causal, sp_overlap_table **out)
{
  if (!out)
    return SP_EINVAL;
  *out = NULL;
  if (tokens < 2 || tokens > (causal ? SP_REM_OVERLAP_CAUSAL_MAX : SP_MAX_TOKENS))
    return SP_EDOM;
  sp_overlap_table *t = calloc(1, sizeof *t);
  if (!t)
    return SP_ENOMEM;
  t->tokens = tokens;
  t->causal = causal;
  sp_rem_overlap_rule(tokens, causal, 0.0, 0.0, 0, &t->indep); /* exact: no quadrature */
  t->logt = log((double)tokens);
  t->lmax = SP_OVERLAP_TABLE_LAMBDA_MAX;
  t->wmax = asinh(SP_OVERLAP_TABLE_LAMBDA_MAX / WSCALE);
#ifdef SP_HAVE_THREADS
  for (int p = 0; p < NPANEL; p++) {
    atomic_init(&t->pan[p].ready, 0);
    if (pthread_mutex_init(&t->pan[p].lock, NULL)) {
      while (p--)
        pthread_mutex_destroy(&t->pan[p].lock);
      free(t);
      return SP_ENOMEM;
    }
  }
#endif
  *out = t;
  return SP_OK;
}

int sp_overlap_table_alloc(long tokens, sp_overlap_table **out)
{
  return table_alloc(tokens, 0, out);
}

int sp_overlap_table_alloc_causal(long tokens, sp_overlap_table **out)
{
  return table_alloc(tokens, 1, out);
}

/* The panel holding w (in grid rows, 0 <= u <= NWU). */
static int panel_of(double u)
{
  int p = 0;
  while (p + 1 < NPANEL && u > PANEL_ROW[p + 1])
    p++;
  return p;
}

int sp_overlap_table_build(sp_overlap_table *t, double lambda_max)
{
  if (!t)
    return SP_EINVAL;
  if (!(lambda_max >= 0.0))
    return SP_EDOM;
  double l = lambda_max < t->lmax ? lambda_max : t->lmax;
  int last = panel_of(asinh(l / WSCALE) * (NWU / t->wmax)), s = SP_OK;
  for (int p = 0; p <= last && !s; p++)
    s = ensure(t, p);
  return s;
}

long sp_overlap_table_tokens(const sp_overlap_table *t)
{
  return t ? t->tokens : 0;
}

int sp_overlap_table_causal(const sp_overlap_table *t)
{
  return t ? t->causal : 0;
}

void sp_overlap_table_info(const sp_overlap_table *t, double *lambda_max, double *errest,
                           int *nodes)
{
  double e = t ? 0.0 : NAN;
  int n = 0;
  for (int p = 0; t && p < NPANEL; p++) {
    const panel *P = &t->pan[p];
#ifdef SP_HAVE_THREADS
    int ready = atomic_load_explicit(&P->ready, memory_order_acquire);
#else
    int ready = P->ready;
#endif
    if (ready && !P->status) {
      e = fmax(e, P->errest);
      n += P->nw * P->nx;
    }
  }
  if (lambda_max)
    *lambda_max = t ? t->lmax : NAN;
  if (errest)
    *errest = e;
  if (nodes)
    *nodes = n;
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
    *overlap = t->indep;
    return SP_OK;
  }
  if (lambda > t->lmax)
    return t->causal ? sp_rem_overlap_causal(t->tokens, lambda, c, overlap, NULL)
                     : sp_rem_overlap(t->tokens, lambda, c, overlap, NULL);
  double w = asinh(lambda / WSCALE) * (NWU / t->wmax), x = x_of(lambda * sqrt(t->logt), c) * NXU;
  if (w > NWU)
    w = NWU;
  int p = panel_of(w), s = ensure(t, p);
  if (s)
    return s;
  /* Stencils of four rows of the panel, even in w about 0 (f(-w) = f(w)),
   * one-sided at the panel's other ends and at x = 0, 1. */
  int r0 = PANEL_ROW[p], r1 = PANEL_ROW[p + 1];
  int iw = (int)floor(w) - 1, ix = (int)floor(x) - 1;
  if (iw > r1 - 3)
    iw = r1 - 3;
  if (p > 0 && iw < r0)
    iw = r0;
  if (ix < 0)
    ix = 0;
  if (ix > NXU - 3)
    ix = NXU - 3;
  double lw[4], lx[4], sum = 0.0;
  cubic(w - (double)iw, lw);
  cubic(x - (double)ix, lx);
  for (int a = 0; a < 4; a++) {
    const double *row = t->f[abs(iw + a) + p] + ix;
    sum += lw[a] * (lx[0] * row[0] + lx[1] * row[1] + lx[2] * row[2] + lx[3] * row[3]);
  }
  *overlap = sum;
  return SP_OK;
}
