/* Attention statistics at finite T (theory.md §4): Laplace-transform
 * integrals by nested trapezoidal sums, causal row averages, lambda tables.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/rem_finite.h"
#include "sigprop/model.h"
#include "sigprop/status.h"
#include "rem_finite_private.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_interp.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

/* Quantities integrated: E Y^(1) (= 1, a check), E Y2, E Y3, E[(Y2)^2], E H. */
enum { Q_Y1, Q_Y2, Q_Y3, Q_Y2SQ, Q_H, NQ };

#define SERIES_Y 0.5

/* Integrands are dropped where they fall below e^-TAIL of their scale:
 * e^-45 ~ 3e-20, far below the quadrature tolerance. */
#define TAIL 45.0

/* Fine steps of the first try: x (energy) lattice and u = log t step 1/8,
 * Gaussian step in z at most 0.35.  Trapezoidal sums of the analytic
 * integrands here converge like exp(-pi^2 / step) (F_k(x) = e^{kx - e^x}
 * has Fourier transform Gamma(k - i w)); at the coarse steps 1/4 and 0.7
 * that is about 1e-12 relative, which the comparison of the two levels
 * measures. */
#define STEP_X 0.125
#define STEP_Z 0.35

/* Largest z-node count held in arrays; beyond it the light rule (see
 * rule_init).  There the z step is below 0.125 / 200 and the parity tail
 * sums, Euler-Maclaurin to the H^4 term with H = 2 hz, err by about
 * (H z)^6 / 30240 < 1e-15 relative for z < 12. */
#define LIGHT_NZ 16384L

/* Below this size the errors of E Y^(k) and E[(Y2)^2] are measured in
 * absolute terms: values that small (T > 1e6, lambda < 1) carry absolute
 * errors of order e^-TAIL from the truncations. */
#define SMALL 1e-10


/* Bernoulli numbers B_0..B_21 (B_1 = -1/2), for Faulhaber's formula. */
static const double bernoulli[NSER] = {
  1.0, -0.5, 1.0 / 6.0, 0.0, -1.0 / 30.0, 0.0, 1.0 / 42.0, 0.0, -1.0 / 30.0, 0.0,
  5.0 / 66.0, 0.0, -691.0 / 2730.0, 0.0, 7.0 / 6.0, 0.0, -3617.0 / 510.0, 0.0,
  43867.0 / 798.0, 0.0, -174611.0 / 330.0, 0.0};

/* Largest T whose power sums are summed directly; above it Faulhaber's
 * formula, whose terms then fall by at least a factor 1e-4 each. */
#define DIRECT_POWER_SUMS 20000L

/* Qhat_j = sum_{m=0}^{T-1} m^j / T^{j+1}, j = 0 .. NSER + 1. */
static void power_sums(long T, double *qhat)
{
  const int nj = NSER + 2;
  if (T <= DIRECT_POWER_SUMS) {
    long double acc[NSER + 2] = {0};
    for (long m = 0; m < T; m++) {
      long double x = (long double)m / (long double)T, p = 1.0L;
      for (int j = 0; j < nj; j++, p *= x)
        acc[j] += p;
    }
    for (int j = 0; j < nj; j++)
      qhat[j] = (double)(acc[j] / (long double)T);
    return;
  }
  double t = (double)T;
  for (int j = 0; j < nj; j++) {
    /* (1/(j+1)) sum_{i<=j} C(j+1, i) B_i T^{-i} */
    double sum = 0.0, binom = 1.0, tp = 1.0;
    for (int i = 0; i <= j && i < NSER; i++) {
      sum += binom * bernoulli[i] * tp;
      binom = binom * (double)(j + 1 - i) / (double)(i + 1);
      tp /= t;
    }
    qhat[j] = sum / (double)(j + 1);
  }
}

/* `series`: also the coefficients of the causal weights (O(T) work up to
 * T = DIRECT_POWER_SUMS), needed by the integrals but not by lambda = 0. */
void sp_rem_ctx_init(rem_ctx *c, long T, int causal, int series)
{
  c->T = T;
  c->causal = causal;
  c->t = (double)T;
  c->logt = log(c->t);
  c->Z = sqrt(2.0 * c->logt + 80.0);
  if (!causal || !series)
    return;
  double qhat[NSER + 2], fact = 1.0;
  power_sums(T, qhat);
  for (int k = 0; k < NSER; k++) {
    if (k)
      fact *= (double)k;
    c->b[k] = (c->t * qhat[k + 1] + qhat[k]) / fact;
    c->c[k] = (c->t * c->t * qhat[k + 2] + c->t * qhat[k + 1]) / fact;
    c->a[k] = (qhat[k] + 1.0 / c->t) / fact;
  }
}

/* Weights of the u-integrands as functions of g = g(e^u) (eps = 1 - g,
 * both computed directly so that each is accurate when small):
 * encoder: A = 1 - g^T, B = T g^{T-1}, C = T (T-1) g^{T-2};
 * causal:  A = (1/T) sum_t (1 - g^t), B = (1/T) sum_t t g^{t-1},
 *          C = (1/T) sum_t t (t-1) g^{t-2}     (t = 1..T). */
static void weights(const rem_ctx *c, double eps, double g, double *A, double *B, double *C)
{
  const double T = c->t;
  double lg;
  if (eps <= 0.0)
    lg = 0.0;
  else if (eps < 0.5)
    lg = log1p(-eps);
  else
    lg = g > 0.0 ? log(g) : -INFINITY;
  if (!c->causal) {
    if (lg == -INFINITY) {
      *A = 1.0;
      *B = 0.0;
      *C = c->T == 2 ? 2.0 : 0.0;
      return;
    }
    *A = -expm1(T * lg);
    *B = T * exp((T - 1.0) * lg);
    *C = c->T == 2 ? 2.0 : T * (T - 1.0) * exp((T - 2.0) * lg);
    return;
  }
  double x = -lg, y = T * x;
  if (y < SERIES_Y) {
    double sa = 0.0, sb = 0.0, sc = 0.0;
    for (int k = NSER - 1; k >= 0; k--) {
      sb = sb * -y + c->b[k];
      sc = sc * -y + c->c[k];
      if (k >= 1)
        sa = sa * -y + c->a[k];
    }
    *A = y * sa; /* -sum_{k>=1} (-y)^k a_k */
    *B = sb;
    *C = exp(x) * sc;
    return;
  }
  if (lg == -INFINITY) {
    *A = 1.0;
    *B = 1.0 / T;
    *C = 2.0 / T;
    return;
  }
  /* Closed forms; for y >= 0.5 their cancellation costs at most a factor
   * 6 / y^3 = 48 in relative precision. */
  double e = eps, gT = exp(-y), gT1 = exp(-(T - 1.0) * x);
  *A = 1.0 - g * -expm1(-y) / (T * e);
  *B = (1.0 - gT * (1.0 + T * e)) / (T * e * e);
  *C = 2.0 * (1.0 - gT * g - (T + 1.0) * e * gT - 0.5 * (T + 1.0) * T * e * e * gT1)
       / (T * e * e * e);
}

/* Inner sums at one u node: eps, g, h1, kappa, h2, h3, h4. */
enum { S_EPS, S_G, S_H1, S_K, S_H2, S_H3, S_H4, NS };

/* Accumulate the u-integrands of node sums `S` with quadrature weight `du`;
 * `ref` is the reference step R(u) of the entropy integral, centred at u0
 * (see quad). */
static void accumulate(const rem_ctx *c, const double *S, double du, double ref, double u0,
                       double *acc)
{
  double A, B, C;
  weights(c, S[S_EPS], S[S_G], &A, &B, &C);
  acc[Q_Y1] += du * S[S_H1] * B;
  acc[Q_Y2] += du * S[S_H2] * B;
  acc[Q_Y3] += du * 0.5 * S[S_H3] * B;
  acc[Q_Y2SQ] += du * (S[S_H4] * B + S[S_H2] * S[S_H2] * C) / 6.0;
  acc[Q_H] += du * ((A - ref) - (S[S_K] + u0 * S[S_H1]) * B);
}

/* The rule of one evaluation.  z nodes i hz (|i| <= nz) with weights
 * wz = hz phi(z); u nodes m du.  In lattice mode hz = delta / s and
 * du = r delta, so that x = u + s z_i = (m r + i) delta and the functions
 * of x are computed once per lattice point. */
typedef struct {
  double s, delta, hz, du, xlo, xhi;
  long nz, r, jlo, jhi;
  int lattice;
  int light;            /* no per-node arrays (see rule_init) */
  double *wz, *wk;      /* 2 nz + 1 each */
  double *pre[2], *suf[2]; /* parity tail sums, 2 nz + 2 each */
  double *F;            /* lattice functions, 6 per point */
} rule;

static void rule_free(rule *q)
{
  free(q->wz);
  free(q->F);
}

/* Per-node arrays of the z rule: weights, and parity tail sums. */
static int rule_arrays(rule *q)
{
  const size_t nn = (size_t)(2 * q->nz + 1);
  q->wz = malloc((6 * nn + 4) * sizeof *q->wz);
  if (!q->wz)
    return SP_ENOMEM;
  q->wk = q->wz + nn; /* w_i s z_i (lattice) or e^{s z_i} (direct) */
  /* pre[p][k] = sum of w_i over i < k - nz of parity p, suf[p][k] = sum
   * over i >= k - nz: the nodes beyond the x range, where exp(-e^x) is 1
   * (below) or 1 - exp(-e^x) is 1 (above).  Both are summed from the tail
   * inwards, so a small tail keeps its relative precision. */
  q->pre[0] = q->wz + 2 * nn;
  q->pre[1] = q->wz + 3 * nn + 1;
  q->suf[0] = q->wz + 4 * nn + 2;
  q->suf[1] = q->wz + 5 * nn + 3;
  q->pre[0][0] = q->pre[1][0] = 0.0;
  q->suf[0][nn] = q->suf[1][nn] = 0.0;
  for (long i = -q->nz; i <= q->nz; i++) {
    double z = (double)i * q->hz;
    size_t k = (size_t)(i + q->nz);
    q->wz[k] = q->hz * exp(-0.5 * z * z) / sqrt(2.0 * M_PI);
    q->wk[k] = q->lattice ? q->wz[k] * q->s * z : exp(q->s * z);
    q->pre[i & 1][k + 1] = q->pre[i & 1][k] + q->wz[k];
    q->pre[!(i & 1)][k + 1] = q->pre[!(i & 1)][k];
  }
  for (long i = q->nz; i >= -q->nz; i--) {
    size_t k = (size_t)(i + q->nz);
    q->suf[i & 1][k] = q->suf[i & 1][k + 1] + q->wz[k];
    q->suf[!(i & 1)][k] = q->suf[!(i & 1)][k + 1];
  }
  return SP_OK;
}

static int rule_init(rule *q, const rem_ctx *c, double s, double scale)
{
  const double Z = c->Z;
  q->s = s;
  q->delta = STEP_X * scale;
  q->hz = STEP_Z * scale;
  q->lattice = s * q->hz >= q->delta;
  if (q->lattice)
    q->hz = q->delta / s;
  /* The u-integrands vary on the scale of the Gaussian tail of the largest
   * energy, s / Z at the narrowest, analytic in a strip of about that
   * width: step the outer sum at a quarter of it, in whole lattice steps. */
  q->r = 1;
  if (q->lattice) {
    double rr = floor(s / (4.0 * Z * STEP_X));
    q->r = rr > 1.0 ? (long)rr : 1;
  }
  q->du = (double)q->r * q->delta;
  q->xlo = -(TAIL + c->logt + log1p(s * Z));
  q->xhi = 4.5; /* e^{4x - e^x} < e^-72 above */
  q->nz = (long)floor(Z / q->hz);
  q->F = NULL;
  q->wz = q->wk = q->pre[0] = q->pre[1] = q->suf[0] = q->suf[1] = NULL;
  q->jlo = q->jhi = 0;
  /* Above LIGHT_NZ nodes (s > ~200) the Gaussian weights are generated by
   * a recurrence inside the inner loop and the tail sums come from the
   * normal distribution with Euler-Maclaurin corrections, so that memory
   * and set-up stay bounded for any s. */
  q->light = q->lattice && q->nz > LIGHT_NZ;
  int rc = q->light ? SP_OK : rule_arrays(q);
  if (rc || !q->lattice)
    return rc;
  q->jlo = (long)floor(q->xlo / q->delta);
  q->jhi = (long)ceil(q->xhi / q->delta);
  q->F = malloc((size_t)(q->jhi - q->jlo + 1) * 6 * sizeof *q->F);
  if (!q->F) {
    rule_free(q);
    return SP_ENOMEM;
  }
  for (long j = q->jlo; j <= q->jhi; j++) {
    double ex = exp((double)j * q->delta), em = expm1(-ex);
    double *f = q->F + 6 * (j - q->jlo);
    f[0] = -em;       /* 1 - exp(-e^x) */
    f[1] = 1.0 + em;  /* exp(-e^x) */
    f[2] = ex * f[1]; /* F_1 = e^{x - e^x} */
    f[3] = ex * f[2]; /* F_2 */
    f[4] = ex * f[3]; /* F_3 */
    f[5] = ex * f[4]; /* F_4 */
  }
  return SP_OK;
}

/* sum of hz phi(i hz) over i >= k of parity par (light rule): half the
 * trapezoidal sum with step H = 2 hz from the first such node z0,
 * int_{z0}^inf phi + phi(z0) (H/2 + H^2 z0/12 + H^4 (3 z0 - z0^3)/720). */
static double tail_sum(double hz, long k, int par)
{
  long i0 = ((k % 2) + 2) % 2 == par ? k : k + 1;
  double z0 = (double)i0 * hz, H = 2.0 * hz, f = exp(-0.5 * z0 * z0) / sqrt(2.0 * M_PI);
  double em = H / 2.0 + H * H * z0 / 12.0 + H * H * H * H * (3.0 * z0 - z0 * z0 * z0) / 720.0;
  return 0.5 * (0.5 * erfc(z0 / M_SQRT2) + f * em);
}

/* inner() with the light rule: the tails in closed form, the nodes in
 * [ilo, ihi] with their weights by recurrence. */
static void inner_light(const rule *q, long m, long ilo, long ihi, double S[2][NS])
{
  const long nz = q->nz;
  /* nodes below the x range add to g, nodes above it to eps */
  for (int par = 0; par < 2; par++) {
    long below = ilo - 1 < nz ? ilo - 1 : nz, above = ihi + 1 > -nz ? ihi + 1 : -nz;
    if (below >= -nz)
      S[par][S_G] += tail_sum(q->hz, -below, par) - tail_sum(q->hz, nz + 1, par);
    if (above <= nz)
      S[par][S_EPS] += tail_sum(q->hz, above, par) - tail_sum(q->hz, nz + 1, par);
  }
  const double h = q->hz, rr = exp(-4.0 * h * h);
  for (long i0 = ilo; i0 <= ilo + 1 && i0 <= ihi; i0++) {
    double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0, a4 = 0.0, a5 = 0.0, a6 = 0.0;
    double z = (double)i0 * h, w = h * exp(-0.5 * z * z) / sqrt(2.0 * M_PI);
    double ratio = exp(-2.0 * z * h - 2.0 * h * h); /* phi(z + 2h) / phi(z) */
    const double *f = q->F + 6 * (m * q->r + i0 - q->jlo);
    for (long i = i0; i <= ihi; i += 2, f += 12) {
      double k = w * q->s * (double)i * h;
      a0 += w * f[0];
      a1 += w * f[1];
      a2 += w * f[2];
      a3 += k * f[2];
      a4 += w * f[3];
      a5 += w * f[4];
      a6 += w * f[5];
      w *= ratio;
      ratio *= rr;
    }
    double *s2 = S[i0 & 1];
    s2[S_EPS] += a0, s2[S_G] += a1, s2[S_H1] += a2, s2[S_K] += a3;
    s2[S_H2] += a4, s2[S_H3] += a5, s2[S_H4] += a6;
  }
}

/* inner() on the lattice (the finite-T tables' rule): the nodes in
 * [ilo, ihi] with their tabulated F. */
static void inner_lattice(const rule *q, long m, long ilo, long ihi, double S[2][NS])
{
  const long nz = q->nz;
  /* Each parity in its own pass with scalar accumulators: the hot loop
   * of the finite-T tables. */
  for (long i0 = ilo; i0 <= ilo + 1 && i0 <= ihi; i0++) {
    double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0, a4 = 0.0, a5 = 0.0, a6 = 0.0;
    const double *f = q->F + 6 * (m * q->r + i0 - q->jlo);
    const double *wz = q->wz + nz, *wk = q->wk + nz;
    for (long i = i0; i <= ihi; i += 2, f += 12) {
      double w = wz[i];
      a0 += w * f[0];
      a1 += w * f[1];
      a2 += w * f[2];
      a3 += wk[i] * f[2];
      a4 += w * f[3];
      a5 += w * f[4];
      a6 += w * f[5];
    }
    double *s2 = S[i0 & 1];
    s2[S_EPS] += a0, s2[S_G] += a1, s2[S_H1] += a2, s2[S_K] += a3;
    s2[S_H2] += a4, s2[S_H3] += a5, s2[S_H4] += a6;
  }
}

/* Inner sums at u node m, split by the parity of the z index: S[0] the
 * even nodes (which form the coarse rule), S[1] the odd ones. */
static void inner(const rule *q, long m, double S[2][NS])
{
  const long nz = q->nz;
  const double u = (double)m * q->du;
  long ilo, ihi;
  for (int k = 0; k < NS; k++)
    S[0][k] = S[1][k] = 0.0;
  if (q->lattice) {
    ilo = q->jlo - m * q->r;
    ihi = q->jhi - m * q->r;
  } else {
    double a = (q->xlo - u) / (q->s * q->hz), b = (q->xhi - u) / (q->s * q->hz);
    ilo = (long)ceil(fmax(fmin(a, (double)nz + 1.0), (double)-nz - 1.0));
    ihi = (long)floor(fmax(fmin(b, (double)nz + 1.0), (double)-nz - 1.0));
  }
  if (ilo < -nz)
    ilo = -nz;
  if (ihi > nz)
    ihi = nz;
  if (q->light) {
    inner_light(q, m, ilo, ihi, S);
    return;
  }
  /* Nodes below the x range add to g, nodes above it to eps. */
  for (int par = 0; par < 2; par++) {
    long below = ilo - 1 < nz ? ilo - 1 : nz, above = ihi + 1 > -nz ? ihi + 1 : -nz;
    if (below >= -nz)
      S[par][S_G] += q->pre[par][below + nz + 1];
    if (above <= nz)
      S[par][S_EPS] += q->suf[par][above + nz];
  }
  if (q->lattice) {
    inner_lattice(q, m, ilo, ihi, S);
    return;
  }
  double eu = exp(u);
  for (long i = ilo; i <= ihi; i++) {
    double w = q->wz[i + nz], ez = q->wk[i + nz];
    double ex = eu * ez, em = expm1(-ex);
    double f1 = ex * (1.0 + em), f2 = ex * f1;
    double *s2 = S[i & 1];
    s2[S_EPS] -= w * em;
    s2[S_G] += w * (1.0 + em);
    s2[S_H1] += w * f1;
    s2[S_K] += w * q->s * (double)i * q->hz * f1;
    s2[S_H2] += w * f2;
    s2[S_H3] += w * ex * f2;
    s2[S_H4] += w * ex * ex * f2;
  }
}

/* One evaluation at step scale `scale` (1, 1/2, ...): the fine rule into
 * fine[], the coarse rule (every other node in u and in z) into coarse[]. */
static int quad(const rem_ctx *c, double s, double scale, double *fine, double *coarse)
{
  rule q;
  int rc = rule_init(&q, c, s, scale);
  if (rc)
    return rc;
  const double du = q.du, Z = c->Z;
  /* The entropy's first integral, int (A - E) du with E(u) = 1 - exp(-e^u),
   * is summed as int (A - R) du - gamma - u0 with the smooth step
   * R(u) = Phi((u - u0) / w): int (E - R) du = gamma + u0 (the integral of
   * E minus the unit step at 0 is Euler's gamma, that of R minus the unit
   * step at u0 is 0, and the two steps differ by u0).  Centring R where A
   * rises (T eps(u0) = 1) confines A - R to the region where the other
   * integrands live; its width covers that rise and two coarse steps.
   * Each of the two terms of E H is of the order of the largest energy,
   * -u0, while E H itself may be tiny: they are summed with the energies
   * shifted by -u0 (log Z by u0, kappa by u0 h_1), which leaves E H
   * unchanged because E Y^(1) = 1 and keeps both terms of order one. */
  const double w = fmax(fmax(1.0, 4.0 * du), s / sqrt(2.0 * c->logt + 1.0));
  const long mlo = (long)floor((q.xlo - s * Z - Z * w) / du) - 1;
  const long mhi = (long)ceil((q.xhi + s * Z) / du) + 1;
  const size_t nm = (size_t)(mhi - mlo + 1);
  double *sums = malloc(nm * 2 * NS * sizeof *sums);
  if (!sums) {
    rule_free(&q);
    return SP_ENOMEM;
  }
  /* Pass 1: inner sums, until the integrands other than the entropy's
   * A - R have died out (encoder rows with T > 2: T^2 g^{T-2} below
   * e^-TAIL bounds every weight, and A = 1 from there on). */
  long mstop = mhi;
  double u0 = NAN;
  for (long m = mlo; m <= mhi; m++) {
    double *S = sums + (size_t)(m - mlo) * 2 * NS;
    inner(&q, m, (double(*)[NS])S);
    double eps = S[S_EPS] + S[NS + S_EPS], g = S[S_G] + S[NS + S_G];
    if (isnan(u0) && c->t * eps >= 1.0)
      u0 = (double)m * du;
    double lg = eps < 0.5 ? log1p(-eps) : log(g);
    if (!c->causal && c->T > 2 && !isnan(u0) && (c->t - 2.0) * lg + 2.0 * c->logt < -TAIL - 10.0) {
      mstop = m;
      break;
    }
  }
  if (isnan(u0))
    u0 = 0.0;
  /* Pass 2: the outer sums; beyond mstop only the entropy's 1 - R. */
  const long mend = (long)ceil((u0 + Z * w) / du) + 1;
  for (int k = 0; k < NQ; k++)
    fine[k] = coarse[k] = 0.0;
  for (long m = mlo; m <= (mend > mstop ? mend : mstop); m++) {
    double u = (double)m * du, ref = 0.5 * erfc(-(u - u0) / (w * M_SQRT2));
    if (m > mstop) {
      double t = 1.0 - ref;
      fine[Q_H] += du * t;
      if ((m & 1) == 0)
        coarse[Q_H] += 2.0 * du * t;
      continue;
    }
    const double *S = sums + (size_t)(m - mlo) * 2 * NS;
    double Sf[NS], Sc[NS];
    for (int k = 0; k < NS; k++) {
      Sf[k] = S[k] + S[NS + k];
      Sc[k] = 2.0 * S[k];
    }
    accumulate(c, Sf, du, ref, u0, fine);
    if ((m & 1) == 0)
      accumulate(c, Sc, 2.0 * du, ref, u0, coarse);
  }
  fine[Q_H] -= M_EULER;
  coarse[Q_H] -= M_EULER;
  free(sums);
  rule_free(&q);
  return SP_OK;
}

/* Harmonic numbers and friends of the causal rows, through GSL's special
 * functions with their status checked (t >= 2 keeps every argument inside
 * their domains). */
static int causal_overlap(double t, double *overlap)
{
  gsl_sf_result psi;
  if (!(t >= 2.0) || gsl_sf_psi_e(t + 1.0, &psi) != GSL_SUCCESS)
    return SP_EDOM;
  double ht = psi.val + M_EULER;
  *overlap = 2.0 * (t - ht) / (t * (t - 1.0));
  return SP_OK;
}

int sp_rem_ctx_uniform(const rem_ctx *c, sp_attn_stats *st)
{
  double t = c->t;
  if (!c->causal) {
    st->y2 = 1.0 / t;
    st->y3 = st->y2sq = 1.0 / (t * t);
    st->entropy = c->logt;
    st->overlap = 1.0 / t;
  } else {
    gsl_sf_result psi, psi1, lng;
    if (!(t >= 2.0) || gsl_sf_psi_e(t + 1.0, &psi) != GSL_SUCCESS
        || gsl_sf_psi_1_e(t + 1.0, &psi1) != GSL_SUCCESS
        || gsl_sf_lngamma_e(t + 1.0, &lng) != GSL_SUCCESS)
      return SP_EDOM;
    double ht = psi.val + M_EULER;
    double h2 = M_PI * M_PI / 6.0 - psi1.val;
    st->y2 = ht / t;
    st->y3 = st->y2sq = h2 / t;
    st->entropy = lng.val / t;
    int s = causal_overlap(t, &st->overlap);
    if (s)
      return s;
  }
  st->g = st->y2 - 2.0 * st->y3 + st->y2sq;
  st->entropy_ratio = st->entropy / c->logt;
  return SP_OK;
}

void sp_rem_set_phase(double lambda, sp_attn_stats *st)
{
  st->lambda = lambda;
  st->beta_c = NAN;
  st->frozen = lambda > M_SQRT2;
  st->m = st->frozen ? M_SQRT2 / lambda : 1.0;
}

int sp_rem_ctx_eval(const rem_ctx *c, double lambda, sp_attn_stats *st, sp_rem_quad *info)
{
  sp_rem_set_phase(lambda, st);
  if (lambda == 0.0) {
    int s = sp_rem_ctx_uniform(c, st);
    if (info) {
      info->relerr = 0.0;
      info->y1 = 1.0;
      info->refinements = 0;
    }
    return s;
  }
  double s = lambda * sqrt(c->logt), fine[NQ], coarse[NQ], err = INFINITY;
  double scale = 1.0;
  int k;
  for (k = 0; k <= SP_REM_FINITE_REFINE; k++, scale *= 0.5) {
    int rc = quad(c, s, scale, fine, coarse);
    if (rc)
      return rc;
    err = 0.0;
    for (int q = 0; q < NQ; q++) {
      double sc = q == Q_H ? fmax(1.0, c->logt) : fmax(fabs(fine[q]), SMALL);
      double e = fabs(fine[q] - coarse[q]) / sc;
      if (!(e <= err)) /* NaN propagates */
        err = e;
    }
    if (err <= SP_REM_FINITE_TOL)
      break;
  }
  if (info) {
    info->relerr = err;
    info->y1 = fine[Q_Y1];
    info->refinements = k > SP_REM_FINITE_REFINE ? SP_REM_FINITE_REFINE : k;
  }
  if (!(err <= SP_REM_FINITE_TOL))
    return SP_ENOCONV;
  st->y2 = fine[Q_Y2];
  st->y3 = fine[Q_Y3];
  st->y2sq = fine[Q_Y2SQ];
  st->g = st->y2 - 2.0 * st->y3 + st->y2sq;
  st->entropy = fine[Q_H] > 0.0 ? fine[Q_H] : 0.0;
  st->entropy_ratio = st->entropy / c->logt;
  st->overlap = 1.0 / c->t;
  return c->causal ? causal_overlap(c->t, &st->overlap) : SP_OK;
}

int sp_rem_finite(long tokens, int causal, double lambda, sp_attn_stats *st, sp_rem_quad *info)
{
  if (!st)
    return SP_EINVAL;
  if (tokens < 2 || tokens > SP_MAX_TOKENS || !(lambda >= 0.0) || !isfinite(lambda))
    return SP_EDOM;
  rem_ctx c;
  sp_rem_ctx_init(&c, tokens, causal != 0, lambda > 0.0);
  return sp_rem_ctx_eval(&c, lambda, st, info);
}

int sp_rem_finite_uniform_causal(long tokens, sp_attn_stats *st)
{
  if (!st)
    return SP_EINVAL;
  if (tokens < 2 || tokens > SP_MAX_TOKENS)
    return SP_EDOM;
  rem_ctx c;
  sp_rem_ctx_init(&c, tokens, 1, 0);
  int s = sp_rem_ctx_uniform(&c, st);
  st->lambda = st->beta_c = st->m = NAN;
  st->frozen = 0;
  return s;
}
