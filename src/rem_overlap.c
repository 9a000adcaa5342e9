/* Overlap of two attention rows over correlated tokens at finite T.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/rem_overlap.h"
#include "sigprop/status.h"
#include "rem_overlap_private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Half-widths, in standard deviations, beyond which a standard normal
 * density is below 1e-17 of its peak: the truncation error of every
 * Gaussian expectation here is far below double rounding. */
#define GAUSS_CUT 9.0
/* Steps and cut-offs of one rule (see overlap_at). */
typedef struct {
  double step;   /* largest grid step in log u (and of the e-tabulation) */
  double hstep;  /* largest h step, as a fraction of sigma sqrt(c) ... */
  double hcap;   /* ... and in absolute units of y */
  double bfrac;  /* largest e-tabulation step as a fraction of sigma sqrt(1 - c) */
  double cut;    /* window: integrand above cut times its peak */
  double band;   /* encoder: pairs off the diagonal until below band times the peak (0: all) */
} rule;

/* The rule of sp_rem_overlap().  Largest grid step 0.25 in log u: the
 * functions vary on scale 1 there, and the trapezoidal rules are
 * spectrally accurate (halving it changes E O by < 1e-12 in the tests).
 * h steps of at most 1/10 standard deviation and 1/2 in y, where
 * g(y + sigma sqrt(c) h) varies (measured: the result is then stable to
 * 1e-12; a step of 1/4 in h errs by 1e-5 at sigma sqrt(c) = 6).  The
 * (log u, log v) window drops integrands below 1e-16 of the peak. */
static const rule direct_rule = {0.25, 0.1, 0.5, 0.5, 1e-16, 0.0};
/* The rule of the tables: every step doubled and the window cut at 1e-10
 * of the peak, about ten times faster; against direct_rule at 40 random
 * (lambda, c) with lambda <= 8, T = 512 it differs by at most 5e-8 (at
 * c near 1, where the e-kernel is narrow); 3e-6 with the h steps tripled. */
static const rule table_rule = {0.5, 0.2, 1.0, 1.0, 1e-10, 1e-12};

/* Smallest step: finer kernels use the second-order expansion, and a
 * shared field narrower than two steps the linear law in c. */
#define SP_REM_OVERLAP_MIN_STEP 0.005

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


/* sum_i a_i b_i + ..., four partial sums (independent chains). */
static double dot(const double *a, const double *b, long n)
{
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  long i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; i++)
    s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

/* Causal rows: coefficients a_t = t D_t, D_t = sum_{d=1}^{T-t} g^d
 * (t = 1 .. T-1), of the pair weight W(Phi) = sum_t a_t Phi^{t-1} of a
 * later row whose marginal is g, for n nodes j of marginals g[j] at once:
 * a_t of node j in a[(t - 1) stride + j].  D_t summed from t = T - 1 down
 * (positive terms only) in d (n entries, zero on entry). */
static void causal_coeffs(long T, const double *g, long n, long stride, double *d, double *a)
{
  for (long t = T - 1; t >= 1; t--)
    for (long j = 0; j < n; j++) {
      d[j] = g[j] * (1.0 + d[j]);
      a[(t - 1) * stride + j] = (double)t * d[j];
    }
}

/* Rows l of a block (a multiple of 4), and nodes j of a Horner chunk. */
#define CAUSAL_ROWS 32
#define CAUSAL_CHUNK 16

/* Number t0 of the terms of W(Phi) = sum_t a_t Phi^{t-1} that matter for
 * every Phi <= x: a_t = t D_t <= t a_1 <= t W (D_t <= D_1), so the terms
 * beyond t0 sum to at most T x^t0 / (1 - x) W, kept below 1e-17 W (all
 * T - 1 terms when x is within 1e-12 of 1). */
static long causal_terms(long T, double x)
{
  if (!(x < 1.0 - 1e-12))
    return T - 1;
  if (x <= 0.0)
    return 1;
  double t0 = ceil(log(1e-17 * (1.0 - x) / (double)T) / log(x));
  return t0 < (double)(T - 1) ? (long)t0 : T - 1;
}

/* Four doubles: one AVX register, or two SSE2 registers (generic vector
 * code elsewhere). */
typedef double v4d __attribute__((vector_size(32)));

/* out[b ostride + r] = sum_i p[b nt + i] x[4 i + r], b, r < 4: a 4 x 4
 * tile of Phi or K, its sums held in vector registers along the h-columns
 * (each sum in the order of i, as a scalar loop would add). */
static inline __attribute__((always_inline)) void
tile_body(const double *p, const double *x, long nt, double *out, long ostride)
{
  v4d acc[4] = {{0.0}};
  for (long i = 0; i < nt; i++) {
    v4d xi;
    memcpy(&xi, x + 4 * i, sizeof xi);
    for (int bb = 0; bb < 4; bb++) {
      double pb = p[bb * nt + i];
      acc[bb] += (v4d){pb, pb, pb, pb} * xi;
    }
  }
  for (int bb = 0; bb < 4; bb++)
    memcpy(out + bb * ostride, &acc[bb], sizeof acc[bb]);
}

/* Row l's share of the causal pair sum over nodes j >= l (up to n, a
 * multiple of CAUSAL_CHUNK): sum_j ea_j kr_j w_j with w_l = W_l(pr_l) and,
 * for j > l, w_j = W_l(pr_j) + W_j(pr_j) (the later row at l, then at j:
 * the ordered pairs (j, l) and (l, j)).  W_l has the coefficients al, W_j
 * those of node j, ct[(t - 1) np + j]; Horner's rule on the terms that
 * matter (causal_terms of the chunk's largest Phi), chunk by chunk in
 * vector registers; nodes with pr_j or kr_j <= 0 left out. */
static inline __attribute__((always_inline)) double
row_body(const double *pr, const double *kr, const double *ea, long l, long n, const double *al,
         const double *ct, long T)
{
  enum { NV = CAUSAL_CHUNK / 4 };
  double row = 0.0;
  for (long j0 = l / CAUSAL_CHUNK * CAUSAL_CHUNK; j0 < n; j0 += CAUSAL_CHUNK) {
    v4d w[NV], v[NV], x[NV];
    double xmax = 0.0, ws[CAUSAL_CHUNK], vs[CAUSAL_CHUNK];
    for (int k = 0; k < CAUSAL_CHUNK; k++)
      xmax = pr[j0 + k] > xmax ? pr[j0 + k] : xmax;
    memcpy(x, pr + j0, sizeof x);
    for (int k = 0; k < NV; k++)
      w[k] = v[k] = (v4d){0.0, 0.0, 0.0, 0.0};
    for (long t = causal_terms(T, xmax); t >= 1; t--) {
      double c = al[t - 1];
      const double *ctt = ct + (t - 1) * n + j0;
      v4d at = {c, c, c, c};
      for (int k = 0; k < NV; k++) {
        v4d bt;
        memcpy(&bt, ctt + 4 * k, sizeof bt);
        w[k] = w[k] * x[k] + at;
        v[k] = v[k] * x[k] + bt;
      }
    }
    memcpy(ws, w, sizeof ws);
    memcpy(vs, v, sizeof vs);
    for (int k = 0; k < CAUSAL_CHUNK; k++) {
      long j = j0 + k;
      if (j >= l && pr[j] > 0.0 && kr[j] > 0.0)
        row += ea[j] * kr[j] * (j > l ? ws[k] + vs[k] : ws[k]);
    }
  }
  return row;
}

/* The kernels once for the baseline instruction set and, on x86-64, once
 * more for AVX2 (without FMA: every lane multiplies and adds as the baseline
 * does, so both give the same values, bit for bit), the latter where the
 * processor has it. */
static void tile_base(const double *p, const double *x, long nt, double *out, long os)
{
  tile_body(p, x, nt, out, os);
}

static double row_base(const double *pr, const double *kr, const double *ea, long l, long n,
                       const double *al, const double *ct, long T)
{
  return row_body(pr, kr, ea, l, n, al, ct, T);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx2"))) static void tile_avx2(const double *p, const double *x, long nt,
                                                      double *out, long os)
{
  tile_body(p, x, nt, out, os);
}

__attribute__((target("avx2"))) static double row_avx2(const double *pr, const double *kr,
                                                       const double *ea, long l, long n,
                                                       const double *al, const double *ct,
                                                       long T)
{
  return row_body(pr, kr, ea, l, n, al, ct, T);
}

static int has_avx2(void)
{
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}
#else
#define tile_avx2 tile_base
#define row_avx2 row_base
static int has_avx2(void)
{
  return 0;
}
#endif

/* Causal rows: the pair sum over every ordered pair of window nodes (j, l),
 * e^{a_j + a_l} K_jl W_l(Phi_jl), with W_l the pair weight of a later row
 * at node l (causal_coeffs of gbar at l), taken over j >= l (Phi and K are
 * symmetric; row_body).  Nodes padded with zeros to a multiple of
 * CAUSAL_CHUNK; the h-columns stored by groups of four nodes (x[(j/4) 4 nt
 * + 4 i + j%4]) and Phi, K taken by 4 x 4 tiles for a block of rows l, from
 * the block's first node on. */
static int pair_sum_causal(const efun *F, long base, long stride, long m, long nh,
                           const double *wh, long j0, long j1, double alo, double da, long nT,
                           const double *gbar, double *out)
{
  long nt = 2 * nh + 1, nw = j1 - j0 + 1;
  long np = (nw + CAUSAL_CHUNK - 1) / CAUSAL_CHUNK * CAUSAL_CHUNK;
  size_t len = (size_t)(2 * nt + 2 * CAUSAL_ROWS + 2 + nT) * (size_t)np
               + (size_t)(2 * CAUSAL_ROWS + 1) * (size_t)nt + (size_t)nT;
  double *gt = calloc(len, sizeof *gt);
  if (!gt)
    return SP_ENOMEM;
  double *kt = gt + nt * np, *phi = kt + nt * np, *kk = phi + CAUSAL_ROWS * np;
  double *ea = kk + CAUSAL_ROWS * np, *pw = ea + np, *qw = pw + CAUSAL_ROWS * nt;
  double *ca = qw + CAUSAL_ROWS * nt, *e2 = ca + nT, *d = e2 + nt, *ct = d + np;
  int wide = has_avx2();
  void (*tile)(const double *, const double *, long, double *, long) = wide ? tile_avx2
                                                                          : tile_base;
  double (*row)(const double *, const double *, const double *, long, long, const double *,
                const double *, long) = wide ? row_avx2 : row_base;
  causal_coeffs(nT, gbar + j0, nw, np, d, ct);
  for (long i = 0; i < nt; i++) /* the h weights of k k: e^{2 a_i} */
    e2[i] = wh[i] * exp(2.0 * (double)((i - nh) * m) * F->dy);
  for (long j = 0; j < nw; j++) {
    ea[j] = exp(alo + (double)(j0 + j) * da);
    for (long i = 0; i < nt; i++) {
      long n = base + (j0 + j) * stride + (i - nh) * m, at = (j / 4) * 4 * nt + 4 * i + j % 4;
      gt[at] = F->g[n];
      kt[at] = F->k[n];
    }
  }
  double sum = 0.0;
  for (long l0 = 0; l0 < nw; l0 += CAUSAL_ROWS) {
    long nb = nw - l0 < CAUSAL_ROWS ? nw - l0 : CAUSAL_ROWS;
    for (long b = 0; b < CAUSAL_ROWS; b++) /* h-weighted columns of the block's rows */
      for (long i = 0; i < nt; i++) {
        long l = l0 + b, at = (l / 4) * 4 * nt + 4 * i + l % 4;
        pw[b * nt + i] = b < nb ? wh[i] * gt[at] : 0.0;
        qw[b * nt + i] = b < nb ? e2[i] * kt[at] : 0.0;
      }
    for (long jt = l0 / 4; jt < np / 4; jt++)
      for (long b = 0; b < nb; b += 4) {
        tile(pw + b * nt, gt + jt * 4 * nt, nt, phi + b * np + 4 * jt, np);
        tile(qw + b * nt, kt + jt * 4 * nt, nt, kk + b * np + 4 * jt, np);
      }
    for (long b = 0; b < nb; b++) {
      for (long t = 0; t + 1 < nT; t++) /* row l's coefficients, contiguous */
        ca[t] = ct[t * np + l0 + b];
      sum += ea[l0 + b] * row(phi + b * np, kk + b * np, ea, l0 + b, np, ca, ct, nT);
    }
  }
  free(gt);
  *out = sum;
  return SP_OK;
}

/* Encoder rows: the largest diagonal term e^{2 a_j} K_jj Phi_jj^(T-1), which
 * is the largest term (Cauchy-Schwarz: Phi_jl^2 <= Phi_jj Phi_ll, and so
 * for K, with positive weights). */
static double diagonal_peak(const double *gc, const double *kc, const double *wh,
                            const double *wk, long nw, long nt, double alo, double da, long j0,
                            double T)
{
  double peak = 0.0;
  for (long j = 0; j < nw; j++) {
    double phi = 0.0, kk = 0.0;
    for (long i = 0; i < nt; i++) {
      phi += wh[i] * gc[j * nt + i] * gc[j * nt + i];
      kk += wk[i] * kc[j * nt + i] * kc[j * nt + i];
    }
    if (phi > 0.0 && kk > 0.0)
      peak = fmax(peak, exp(2.0 * (alo + (double)(j0 + j) * da) + log(kk)
                            + (T - 1.0) * log(phi)));
  }
  return peak;
}

/* Encoder rows: double sum over the window j0..j1 of log u (step da from
 * alo) of e^{a_j + a_l} K_jl Phi_jl^(T-1), Phi_jl = E_h g g, K_jl = E_h k k,
 * the summand symmetric in (j, l).  The h-columns of every window node are
 * gathered once so that the inner sums are contiguous dot products.  band >
 * 0: the sum over l > j stops at the first term below band times the
 * largest term (the terms fall off monotonically away from the diagonal). */
static int pair_sum(const efun *F, long base, long stride, long m, long nh, const double *wh,
                    long j0, long j1, double alo, double da, double T, double band, double *out)
{
  long nt = 2 * nh + 1, nw = j1 - j0 + 1;
  double *gc = malloc((size_t)(2 * nw + 3) * (size_t)nt * sizeof *gc);
  if (!gc)
    return SP_ENOMEM;
  double *kc = gc + nw * nt, *pj = kc + nw * nt, *qj = pj + nt, *wk = qj + nt;
  for (long i = 0; i < nt; i++) /* the h weights of k k: e^{2 a_i} */
    wk[i] = wh[i] * exp(2.0 * (double)((i - nh) * m) * F->dy);
  for (long l = 0; l < nw; l++)
    for (long i = 0; i < nt; i++) {
      long n = base + (j0 + l) * stride + (i - nh) * m;
      gc[l * nt + i] = F->g[n];
      kc[l * nt + i] = F->k[n];
    }
  double sum = 0.0, thr = 0.0;
  if (band > 0.0)
    thr = band * diagonal_peak(gc, kc, wh, wk, nw, nt, alo, da, j0, T);
  for (long j = 0; j < nw; j++) {
    for (long i = 0; i < nt; i++) {
      pj[i] = wh[i] * gc[j * nt + i];
      qj[i] = wk[i] * kc[j * nt + i];
    }
    double aj = alo + (double)(j0 + j) * da;
    for (long l = j; l < nw; l++) {
      double al = alo + (double)(j0 + l) * da;
      double phi = dot(pj, gc + l * nt, nt), kk = dot(qj, kc + l * nt, nt);
      double v = phi > 0.0 && kk > 0.0 ? exp(aj + al + log(kk) + (T - 1.0) * log(phi)) : 0.0;
      if (l > j && v < thr)
        break;
      if (v > 0.0)
        sum += (l == j ? 1.0 : 2.0) * v;
    }
  }
  free(gc);
  *out = sum;
  return SP_OK;
}

/* Marginals over the shared field at the na outer nodes: the one-row
 * functions of total variance s^2 (gbar, kbar), and the one-row integrand
 * marg of E Y^(1) (its sum *y1 and largest value *peak find the window).
 * marg has room for 2 nh + 1 more entries (scratch). */
static void marginals(const efun *F, long base, long stride, long m, long nh, const double *wh,
                      long na, double alo, double da, double T, double *gbar, double *kbar,
                      double *marg, double *y1, double *peak)
{
  double *we = marg + na;
  for (long i = -nh; i <= nh; i++) /* the h weights of k: e^{a_i} */
    we[i + nh] = wh[i + nh] * exp((double)(i * m) * F->dy);
  for (long j = 0; j < na; j++) {
    long n = base + j * stride;
    double sg = 0.0, sk = 0.0;
    for (long i = -nh; i <= nh; i++) {
      sg += wh[i + nh] * F->g[n + i * m];
      sk += we[i + nh] * F->k[n + i * m];
    }
    gbar[j] = sg;
    kbar[j] = sk;
    double alpha = alo + (double)j * da;
    marg[j] = sg > 0.0 ? exp(alpha + log(sk) + (T - 1.0) * log(sg)) : 0.0;
    if (!(sk > 0.0))
      marg[j] = 0.0;
    *y1 += marg[j];
    if (marg[j] > *peak)
      *peak = marg[j];
  }
}

/* One evaluation by rule R; also returns E Y^(1) as a check. */
static int overlap_at(long tokens, int causal, double lambda, double c, const rule *R,
                      double *out, double *ey1)
{
  double T = (double)tokens, logt = log(T);
  double s = lambda * sqrt(logt), b = s * sqrt(1.0 - c), sh = s * sqrt(c);
  /* The step resolves the convolution kernel and the shared field. */
  double dy = fmin(R->step, fmax(SP_REM_OVERLAP_MIN_STEP, fmin(R->bfrac * b, R->hstep * sh)));
  /* h grid aligned with the y grid: a_i = i m dy. */
  long m = (long)floor(fmin(R->hstep * sh, R->hcap) / dy);
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
  long stride = (long)floor(R->step / dy); /* outer step <= R->step */
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
  double *marg = malloc((size_t)(na + 2 * nh + 1) * sizeof *marg);
  if (!marg) {
    free(F.g), free(F.k), free(wh), free(gbar), free(kbar);
    return SP_ENOMEM;
  }
  marginals(&F, base, stride, m, nh, wh, na, alo, da, T, gbar, kbar, marg, &y1, &peak);
  *ey1 = T * da * y1;
  long j0 = 0, j1 = na - 1;
  while (j0 < j1 && marg[j0] < R->cut * peak)
    j0++;
  while (!causal && j1 > j0 && marg[j1] < R->cut * peak)
    j1--; /* causal rows as short as one key reach the top of the grid */
  double sum;
  int st2 = causal ? pair_sum_causal(&F, base, stride, m, nh, wh, j0, j1, alo, da, tokens,
                                     gbar, &sum)
                   : pair_sum(&F, base, stride, m, nh, wh, j0, j1, alo, da, T, R->band, &sum);
  if (st2) {
    free(F.g), free(F.k), free(wh), free(gbar), free(kbar), free(marg);
    return st2;
  }
  /* encoder: T sum; causal: the mean over pairs t < t', 2 / (T (T - 1)) */
  *out = (causal ? 2.0 / (T * (T - 1.0)) : T) * da * da * sum;
  free(F.g), free(F.k), free(wh), free(gbar), free(kbar), free(marg);
  return SP_OK;
}

/* E O at lambda = 0 or c = 0: 1/T, or for causal rows the pair mean of
 * 1/max(t, t'), 2 (T - H_T) / (T (T - 1)). */
static double independent(long tokens, int causal)
{
  double T = (double)tokens, h = 0.0;
  if (!causal)
    return 1.0 / T;
  for (long t = tokens; t >= 1; t--)
    h += 1.0 / (double)t;
  return 2.0 * (T - h) / (T * (T - 1.0));
}

/* E O by rule R, for lambda > 0 and 0 < c <= 1; *y1 = E Y^(1) by the
 * same grids. */
static int evaluate(long tokens, int causal, double lambda, double c, const rule *R, double *o,
                    double *y1)
{
  double sh = lambda * sqrt(log((double)tokens) * c), o0 = independent(tokens, causal);
  if (R->hstep * sh < SP_REM_OVERLAP_MIN_STEP) {
    /* A very weakly shared field: E O is analytic in c, and linear between
     * c = 0 (1/T exactly) and the smallest c the grid resolves, with an
     * error O(c^2) below 1e-9 relative here. */
    double c1 = c * pow(SP_REM_OVERLAP_MIN_STEP / (R->hstep * sh), 2.0), o1;
    int st = overlap_at(tokens, causal, lambda, c1, R, &o1, y1);
    if (st)
      return st;
    *o = o0 + (o1 - o0) * c / c1;
    return SP_OK;
  }
  return overlap_at(tokens, causal, lambda, c, R, o, y1);
}

int sp_rem_overlap_rule(long tokens, int causal, double lambda, double c, int fast,
                        double *overlap)
{
  if (lambda == 0.0 || c == 0.0) {
    *overlap = independent(tokens, causal);
    return SP_OK;
  }
  double y1;
  int st = evaluate(tokens, causal, lambda, c, fast ? &table_rule : &direct_rule, overlap, &y1);
  if (st)
    return st;
  return fabs(y1 - 1.0) > 1e-6 ? SP_ENOCONV : SP_OK;
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
  int st = evaluate(tokens, 0, lambda, c, &direct_rule, &o, &y1);
  if (st)
    return st;
  *overlap = o;
  /* The trapezoidal rules converge exponentially here (halving the step
   * changes E O by ~1e-13 in the tests), so the error is dominated by the
   * truncations, which the normalisation E Y^(1) = 1 measures. */
  double err = fabs(y1 - 1.0) * o;
  if (abserr)
    *abserr = err;
  return err > 1e-6 * o ? SP_ENOCONV : SP_OK;
}

int sp_rem_overlap_causal(long tokens, double lambda, double c, double *overlap, double *abserr)
{
  if (!overlap)
    return SP_EINVAL;
  if (tokens < 2 || tokens > SP_REM_OVERLAP_CAUSAL_MAX || !(lambda >= 0.0) || !isfinite(lambda)
      || !(c >= 0.0 && c <= 1.0))
    return SP_EDOM;
  double o, y1 = 1.0;
  int st = lambda == 0.0 || c == 0.0
             ? (o = independent(tokens, 1), SP_OK)
             : evaluate(tokens, 1, lambda, c, &direct_rule, &o, &y1);
  if (st)
    return st;
  *overlap = o;
  double err = fabs(y1 - 1.0) * o;
  if (abserr)
    *abserr = err;
  return err > 1e-6 * o ? SP_ENOCONV : SP_OK;
}
