/* Overlap of two attention rows over correlated tokens at finite T.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/rem_overlap.h"
#include "sigprop/status.h"

#include <math.h>
#include <stdlib.h>

/* Half-widths, in standard deviations, beyond which a standard normal
 * density is below 1e-17 of its peak: the truncation error of every
 * Gaussian expectation here is far below double rounding. */
#define GAUSS_CUT 9.0
/* Relative size below which an integrand is dropped from the (log u, log v)
 * window: 1e-16 of its peak. */
#define WINDOW_CUT 1e-16

/* Largest grid step of the tabulated e-expectations, in units of log u:
 * the functions vary on scale 1 there, and the trapezoidal rules are
 * spectrally accurate (halving it changes E O by < 1e-12 in the tests). */
#define SP_REM_OVERLAP_STEP 0.25
/* Smallest step: finer kernels use the second-order expansion, and a
 * shared field narrower than two steps the linear law in c. */
#define SP_REM_OVERLAP_MIN_STEP 0.005
/* Largest step of the shared field h (standard deviations). */
#define SP_REM_OVERLAP_H_STEP 0.1

typedef struct {
  double dy;      /* grid step in y = log u + a */
  double y0;      /* y of grid point 0 */
  long ny;
  double *g, *k;  /* Gfun, Kfun on the grid */
} efun;

/* Gfun(y) = E exp(-e^{y + b e}), Kfun(y) = E e^{b e} exp(-e^{y + b e}) on
 * the grid, by the trapezoidal rule in x = b e on the same grid (a discrete
 * convolution), or exactly when b = 0. */
static int tabulate(efun *F, double b)
{
  F->g = malloc((size_t)F->ny * sizeof *F->g);
  F->k = malloc((size_t)F->ny * sizeof *F->k);
  if (!F->g || !F->k)
    return SP_ENOMEM;
  if (b < 2.0 * SP_REM_OVERLAP_MIN_STEP) {
    /* A kernel narrower than the grid: expand to second order in b,
     * G = f + (b^2/2) f'', and use K(y) = e^{b^2/2} G(y + b^2) (the shift of
     * a Gaussian by its variance); the error is O(b^4) < 1e-9. */
    double b2 = b * b;
    for (long n = 0; n < F->ny; n++) {
      double y = F->y0 + (double)n * F->dy, e = exp(y), e2 = exp(y + b2);
      F->g[n] = exp(-e) * (1.0 + 0.5 * b2 * (e * e - e));
      F->k[n] = exp(0.5 * b2) * exp(-e2) * (1.0 + 0.5 * b2 * (e2 * e2 - e2));
    }
    return SP_OK;
  }
  long half = b > 0.0 ? (long)ceil(GAUSS_CUT * b / F->dy) : 0;
  double *w = malloc((size_t)(2 * half + 1) * sizeof *w);
  if (!w)
    return SP_ENOMEM;
  double norm = 0.0;
  for (long k = -half; k <= half; k++) {
    double x = (double)k * F->dy;
    w[k + half] = half ? exp(-0.5 * x * x / (b * b)) : 1.0;
    norm += w[k + half];
  }
  for (long k = 0; k <= 2 * half; k++)
    w[k] /= norm; /* discrete normalisation: E 1 = 1 exactly */
  /* f(y) = exp(-e^y) once on the grid extended by the kernel's reach. */
  long nf = F->ny + 2 * half;
  double *f = malloc((size_t)nf * sizeof *f), *wx = malloc((size_t)(2 * half + 1) * sizeof *wx);
  if (!f || !wx) {
    free(f), free(wx), free(w);
    return SP_ENOMEM;
  }
  for (long n = 0; n < nf; n++)
    f[n] = exp(-exp(F->y0 + (double)(n - half) * F->dy));
  for (long k = -half; k <= half; k++)
    wx[k + half] = w[k + half] * exp((double)k * F->dy);
  for (long n = 0; n < F->ny; n++) {
    const double *fn = f + n; /* fn[k + half] = f(y_n + x_k) */
    double sg = 0.0, sk = 0.0;
    for (long k = 0; k <= 2 * half; k++) {
      sg += w[k] * fn[k];
      sk += wx[k] * fn[k];
    }
    F->g[n] = sg;
    F->k[n] = sk;
  }
  free(f);
  free(wx);
  free(w);
  return SP_OK;
}


/* One evaluation at grid step dy; also returns E Y^(1) as a check. */
static int overlap_at(long tokens, double lambda, double c, double dy, double *out, double *ey1)
{
  double T = (double)tokens, logt = log(T);
  double s = lambda * sqrt(logt), b = s * sqrt(1.0 - c), sh = s * sqrt(c);
  /* The step resolves the convolution kernel (dy <= b/2) and the shared
   * field: a step in h of at most 1/10, and of at most 1/2 in y, where
   * g(y + sigma sqrt(c) h) varies (measured: the result is then stable to
   * 1e-12; a step of 1/4 in h errs by 1e-5 at sigma sqrt(c) = 6). */
  dy = fmin(dy, fmax(SP_REM_OVERLAP_MIN_STEP, fmin(0.5 * b, SP_REM_OVERLAP_H_STEP * sh)));
  /* h grid aligned with the y grid: a_i = i m dy. */
  long m = (long)floor(fmin(SP_REM_OVERLAP_H_STEP * sh, 0.5) / dy);
  if (m < 1)
    m = 1;
  long nh = (long)ceil(GAUSS_CUT * sh / ((double)m * dy));
  double amax = (double)(nh * m) * dy;
  /* log u window of theory.md §4, widened by the shared field's reach. */
  double alo = -(GAUSS_CUT * s + logt) - 15.0, ahi = GAUSS_CUT * s + 15.0;
  efun F = {dy, alo - amax, 0, NULL, NULL};
  F.ny = (long)ceil((ahi + amax - F.y0) / dy) + 1;
  int st = tabulate(&F, b);
  double *wh = malloc((size_t)(2 * nh + 1) * sizeof *wh);
  long stride = (long)floor(SP_REM_OVERLAP_STEP / dy); /* outer step <= 0.25 */
  if (stride < 1)
    stride = 1;
  long na = (long)floor((ahi - alo) / (dy * (double)stride)) + 1;
  double *gbar = malloc((size_t)na * sizeof *gbar), *kbar = malloc((size_t)na * sizeof *kbar);
  if (st || !wh || !gbar || !kbar) {
    free(F.g), free(F.k), free(wh), free(gbar), free(kbar);
    return st ? st : SP_ENOMEM;
  }
  double wsum = 0.0;
  for (long i = -nh; i <= nh; i++) {
    double h = sh > 0.0 ? (double)(i * m) * dy / sh : 0.0;
    wh[i + nh] = exp(-0.5 * h * h);
    wsum += wh[i + nh];
  }
  for (long i = 0; i <= 2 * nh; i++)
    wh[i] /= wsum;
  long base = (long)llround((alo - F.y0) / dy); /* grid index of alo */
  double da = dy * (double)stride, y1 = 0.0, peak = 0.0;
  /* Marginals over the shared field: the one-row functions of total
   * variance s^2, used for E Y^(1) and to find the window. */
  double *marg = malloc((size_t)na * sizeof *marg);
  if (!marg) {
    free(F.g), free(F.k), free(wh), free(gbar), free(kbar);
    return SP_ENOMEM;
  }
  for (long j = 0; j < na; j++) {
    long n = base + j * stride;
    double sg = 0.0, sk = 0.0;
    for (long i = -nh; i <= nh; i++) {
      double a = (double)(i * m) * dy;
      sg += wh[i + nh] * F.g[n + i * m];
      sk += wh[i + nh] * exp(a) * F.k[n + i * m];
    }
    gbar[j] = sg;
    kbar[j] = sk;
    double alpha = alo + (double)j * da;
    marg[j] = sg > 0.0 ? exp(alpha + log(sk) + (T - 1.0) * log(sg)) : 0.0;
    if (!(sk > 0.0))
      marg[j] = 0.0;
    y1 += marg[j];
    if (marg[j] > peak)
      peak = marg[j];
  }
  *ey1 = T * da * y1;
  long j0 = 0, j1 = na - 1;
  while (j0 < j1 && marg[j0] < WINDOW_CUT * peak)
    j0++;
  while (j1 > j0 && marg[j1] < WINDOW_CUT * peak)
    j1--;
  /* Double sum over the window: Phi_jl = E_h g g, K_jl = E_h k k; the
   * summand is symmetric in (j, l). */
  double *wk = malloc((size_t)(2 * nh + 1) * sizeof *wk);
  if (!wk) {
    free(F.g), free(F.k), free(wh), free(gbar), free(kbar), free(marg);
    return SP_ENOMEM;
  }
  for (long i = -nh; i <= nh; i++)
    wk[i + nh] = wh[i + nh] * exp(2.0 * (double)(i * m) * dy);
  double sum = 0.0;
  for (long j = j0; j <= j1; j++) {
    const double *gj = F.g + base + j * stride, *kj = F.k + base + j * stride;
    double aj = alo + (double)j * da;
    for (long l = j; l <= j1; l++) {
      const double *gl = F.g + base + l * stride, *kl = F.k + base + l * stride;
      double al = alo + (double)l * da, phi = 0.0, kk = 0.0;
      for (long i = -nh; i <= nh; i++) {
        long o = i * m;
        phi += wh[i + nh] * gj[o] * gl[o];
        kk += wk[i + nh] * kj[o] * kl[o];
      }
      if (phi > 0.0 && kk > 0.0)
        sum += (l == j ? 1.0 : 2.0) * exp(aj + al + log(kk) + (T - 1.0) * log(phi));
    }
  }
  free(wk);
  *out = T * da * da * sum;
  free(F.g), free(F.k), free(wh), free(gbar), free(kbar), free(marg);
  return SP_OK;
}

int sp_rem_overlap(long tokens, double lambda, double c, double *overlap, double *abserr)
{
  if (!overlap)
    return SP_EINVAL;
  if (tokens < 2 || !(lambda >= 0.0) || !isfinite(lambda) || !(c >= 0.0 && c <= 1.0))
    return SP_EDOM;
  if (lambda == 0.0 || c == 0.0) {
    *overlap = 1.0 / (double)tokens;
    if (abserr)
      *abserr = 0.0;
    return SP_OK;
  }
  double o, y1;
  double sh = lambda * sqrt(log((double)tokens) * c);
  int st;
  if (SP_REM_OVERLAP_H_STEP * sh < SP_REM_OVERLAP_MIN_STEP) {
    /* A very weakly shared field: E O is analytic in c, and linear between
     * c = 0 (1/T exactly) and the smallest c the grid resolves, with an
     * error O(c^2) below 1e-9 relative here. */
    double c1 = c * pow(SP_REM_OVERLAP_MIN_STEP / (SP_REM_OVERLAP_H_STEP * sh), 2.0), o1;
    st = overlap_at(tokens, lambda, c1, SP_REM_OVERLAP_STEP, &o1, &y1);
    if (st)
      return st;
    o = 1.0 / (double)tokens + (o1 - 1.0 / (double)tokens) * c / c1;
  } else {
    st = overlap_at(tokens, lambda, c, SP_REM_OVERLAP_STEP, &o, &y1);
    if (st)
      return st;
  }
  *overlap = o;
  /* The trapezoidal rules converge exponentially here (halving the step
   * changes E O by ~1e-13 in the tests), so the error is dominated by the
   * truncations, which the normalisation E Y^(1) = 1 measures. */
  double err = fabs(y1 - 1.0) * o;
  if (abserr)
    *abserr = err;
  return err > 1e-6 * o ? SP_ENOCONV : SP_OK;
}
