/* Hermite (Mehler) expansion of the smooth activations' Gaussian kernels.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "hermite.h"

#include "sigprop/activation.h"
#include "sigprop/status.h"

#include <math.h>
#include <stdlib.h>

/* With f(z) = phi(sigma z), sigma^2 = q_1, and a_n = E[f(z) h_n(z)] for the
 * orthonormal Hermite polynomials h_n = He_n / sqrt(n!), Mehler's formula
 * gives E[phi(u) phi(v)] = sum_n a_n^2 c_1^n at correlation c_1 = p_1/q_1,
 * so E[phi^2] = sum a_n^2 and gap = sum a_n^2 (1 - c_1^n)
 * = (1 - c_1) sum a_n^2 S_n(c_1), S_n(x) = 1 + x + ... + x^(n-1): every
 * node of the table from one set of one-dimensional integrals, and 1 - c
 * factored out exactly.  The coefficients of gelu, tanh and silu decay
 * fast enough up to q_1 = SP_HERMITE_QMAX (at most SP_HERMITE_NMAX terms);
 * above, or when the checks below fail, callers integrate in two
 * dimensions instead. */
/* |z| <= 14: the integrand is below |f| e^{-z^2/4} < 6e-22 |f| beyond. */
#define HERMITE_Z 14.0
/* Relative tolerance on sum n a_n^2 (= q_1 E[phi'^2]) of the quadrature
 * (rules at h and 2 h) and of the truncation (the last quarter's share). */
#define HERMITE_TOL 1e-12

/* Accumulate the trapezoidal sums of a_n at step h (fine) and 2 h (coarse,
 * the even nodes) over n < nt.  psi_n(z) = h_n(z) e^{-z^2/4}, bounded by
 * about 1, follows the three-term recurrence
 * psi_{n+1} = (z psi_n - sqrt(n) psi_{n-1}) / sqrt(n + 1), advanced for all
 * nodes z >= 0 at once (n outside, nodes inside: the inner loops
 * vectorise); psi_n(-z) = (-1)^n psi_n(z) folds the nodes z < 0 into the
 * weights of the even and the odd n. */
static int hermite_sums(sp_activation act, double a, double sigma, double h, int nt,
                        double *fine, double *coarse)
{
  const long nk = (long)ceil(HERMITE_Z / h);
  const size_t m = (size_t)nk + 1;
  double *buf = malloc(7 * m * sizeof *buf);
  if (!buf)
    return SP_ENOMEM;
  double *z = buf, *pm = buf + m, *p = buf + 2 * m;
  double *w[2][2] = {{buf + 3 * m, buf + 4 * m}, {buf + 5 * m, buf + 6 * m}}; /* [coarse][odd] */
  for (size_t j = 0; j < m; j++) {
    z[j] = (double)j * h;
    double g = exp(-0.25 * z[j] * z[j]), c = h * g / sqrt(2.0 * M_PI);
    double fp = sp_activation_phi(act, a, sigma * z[j]) * c;
    double fm = j ? sp_activation_phi(act, a, -sigma * z[j]) * c : 0.0;
    w[0][0][j] = fp + fm;
    w[0][1][j] = fp - fm;
    w[1][0][j] = (j & 1) == 0 ? 2.0 * (fp + fm) : 0.0;
    w[1][1][j] = (j & 1) == 0 ? 2.0 * (fp - fm) : 0.0;
    pm[j] = 0.0;
    p[j] = g;
  }
  for (int n = 0; n < nt; n++) {
    const double *wf = w[0][n & 1], *wc = w[1][n & 1];
    double sf[4] = {0.0, 0.0, 0.0, 0.0}, sc[4] = {0.0, 0.0, 0.0, 0.0};
    size_t j = 0;
    for (; j + 4 <= m; j += 4)
      for (int l = 0; l < 4; l++) {
        sf[l] += wf[j + l] * p[j + l];
        sc[l] += wc[j + l] * p[j + l];
      }
    for (; j < m; j++) {
      sf[0] += wf[j] * p[j];
      sc[0] += wc[j] * p[j];
    }
    fine[n] = (sf[0] + sf[1]) + (sf[2] + sf[3]);
    coarse[n] = (sc[0] + sc[1]) + (sc[2] + sc[3]);
    const double r0 = sqrt((double)n), r1 = 1.0 / sqrt((double)n + 1.0);
    for (j = 0; j < m; j++) {
      double pn = (z[j] * p[j] - r0 * pm[j]) * r1;
      pm[j] = p[j];
      p[j] = pn;
    }
  }
  free(buf);
  return SP_OK;
}

static int coefficients(sp_activation act, double a, double q1, double *a2, int *nt)
{
  const double sigma = sqrt(q1);
  /* a_n^2 falls like e^{-d sqrt(2 n)} for poles at distance d of the real
   * axis: d = pi / (2 sigma) for tanh, pi / sigma for silu; gelu is
   * entire.  HERMITE_TOL then needs about 240 q_1 terms for tanh. */
  int n = 64 + (int)((act == SP_ACT_TANH ? 240.0 : 60.0) * q1);
  if (n > SP_HERMITE_NMAX)
    n = SP_HERMITE_NMAX;
  double *buf = malloc(2 * (size_t)n * sizeof *buf);
  if (!buf)
    return SP_ENOMEM;
  double *fine = buf, *coarse = buf + n;
  /* h resolves phi's bend (0.2 / sigma) and h_n's oscillation (about
   * sqrt(n) per unit of z), even for the check at 2 h. */
  double h = fmin(0.35, fmin(0.2 / sigma, 0.6 / sqrt((double)n)));
  int s = SP_ENOCONV;
  for (int level = 0; level < 3 && s == SP_ENOCONV; level++, h *= 0.5) {
    if (hermite_sums(act, a, sigma, h, n, fine, coarse)) {
      s = SP_ENOMEM;
      break;
    }
    double price = 0.0, err = 0.0, tail = 0.0;
    for (int k = 0; k < n; k++) {
      double nf = (double)k * fine[k] * fine[k], nc = (double)k * coarse[k] * coarse[k];
      price += nf;
      err += fabs(nf - nc);
      if (k >= n - n / 4)
        tail += nf;
    }
    if (!isfinite(price) || !(price > 0.0) || tail > HERMITE_TOL * price)
      break;
    if (err <= HERMITE_TOL * price)
      s = SP_OK;
  }
  for (int k = 0; s == SP_OK && k < n; k++)
    a2[k] = fine[k] * fine[k];
  free(buf);
  *nt = n;
  return s;
}

int sp_hermite_compute(sp_activation act, double a, double q1, sp_hermite *h)
{
  h->n = 0;
  h->a2 = NULL;
  if (!(act == SP_ACT_GELU || act == SP_ACT_TANH || act == SP_ACT_SILU) || !(q1 > 0.0)
      || !(q1 <= SP_HERMITE_QMAX))
    return SP_ENOCONV;
  double *a2 = malloc(SP_HERMITE_NMAX * sizeof *a2);
  if (!a2)
    return SP_ENOMEM;
  int nt, s = coefficients(act, a, q1, a2, &nt);
  if (s) {
    free(a2);
    return s;
  }
  h->q1 = q1;
  h->n = nt;
  h->a2 = a2;
  h->e2 = h->price = 0.0;
  for (int k = nt - 1; k >= 0; k--) {
    h->e2 += a2[k];
    h->price += (double)k * a2[k];
  }
  return SP_OK;
}

void sp_hermite_free(sp_hermite *h)
{
  free(h->a2);
  h->a2 = NULL;
  h->n = 0;
}

double sp_hermite_gap_ratio(const sp_hermite *h, double x)
{
  if (x == 1.0)
    return h->price;
  double sum = 0.0, sn = 0.0, xn = 1.0;
  for (int k = 1; k < h->n; k++) { /* S_k = S_{k-1} + x^(k-1) */
    sn += xn;
    xn *= x;
    sum += h->a2[k] * sn;
  }
  return sum;
}

int sp_hermite_gap_ratios(const sp_hermite *h, const double *x, double *out, int m)
{
  for (int i = 0; i < m; i++)
    out[i] = 0.0;
  if (h->n < 2)
    return SP_OK;
  double *tail = malloc((size_t)h->n * sizeof *tail);
  if (!tail)
    return SP_ENOMEM;
  double t = 0.0;
  for (int j = h->n - 2; j >= 0; j--) { /* T_j = a_{j+1}^2 + T_{j+1} */
    t += h->a2[j + 1];
    tail[j] = t;
  }
  for (int j = h->n - 2; j >= 0; j--) {
    const double tj = tail[j];
    for (int i = 0; i < m; i++)
      out[i] = out[i] * x[i] + tj;
  }
  free(tail);
  return SP_OK;
}

double sp_hermite_slope(const sp_hermite *h, double x)
{
  double sum = 0.0, xn = 1.0;
  for (int k = 1; k < h->n; k++) {
    sum += (double)k * h->a2[k] * xn;
    xn *= x;
  }
  return sum;
}
