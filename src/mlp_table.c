/* The post-LayerNorm MLP kernel as a table over the correlation, built
 * from the Hermite (Mehler) expansion of the activation where that
 * converges fast, else from one two-dimensional quadrature per node.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/gauss.h"
#include "sigprop/activation.h"
#include "sigprop/status.h"

#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_interp.h>

/* ---- the post-LayerNorm MLP table ------------------------------------ */

struct sp_mlp_table {
  sp_activation act;
  double a, sw_in, sw_out, sb;
  double qf;        /* sw_out E[phi^2] + sb */
  double e2, d2;    /* E[phi^2], E[phi'^2] at q_1 */
  double theta[2 * SP_MLP_TABLE_NODES + 1];
  double r[2 * SP_MLP_TABLE_NODES + 1];
  gsl_interp *interp;
};

/* ---- the Hermite route ------------------------------------------------ */

/* With f(z) = phi(sigma z), sigma^2 = q_1, and a_n = E[f(z) h_n(z)] for the
 * orthonormal Hermite polynomials h_n = He_n / sqrt(n!), Mehler's formula
 * gives E[phi(u) phi(v)] = sum_n a_n^2 c_1^n at correlation c_1 = p_1/q_1,
 * so E[phi^2] = sum a_n^2 and gap = sum a_n^2 (1 - c_1^n)
 * = (1 - c_1) sum a_n^2 S_n(c_1), S_n(x) = 1 + x + ... + x^(n-1): every
 * node of the table from one set of one-dimensional integrals, and 1 - c
 * factored out exactly.  The coefficients of gelu, tanh and silu decay
 * fast enough up to q_1 = HERMITE_QMAX (at most HERMITE_NMAX terms);
 * above, or when the checks below fail, the table falls back to one
 * two-dimensional quadrature per node. */
#define HERMITE_QMAX 16.0
#define HERMITE_NMAX 4096
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

/* The squared coefficients a_n^2 (n < *nt) of phi at variance q1; SP_ENOCONV
 * when the quadrature or the truncation misses HERMITE_TOL. */
static int hermite(sp_activation act, double a, double q1, double *a2, int *nt)
{
  const double sigma = sqrt(q1);
  /* a_n^2 falls like e^{-d sqrt(2 n)} for poles at distance d of the real
   * axis: d = pi / (2 sigma) for tanh, pi / sigma for silu; gelu is
   * entire.  HERMITE_TOL then needs about 240 q_1 terms for tanh. */
  int n = 64 + (int)((act == SP_ACT_TANH ? 240.0 : 60.0) * q1);
  if (n > HERMITE_NMAX)
    n = HERMITE_NMAX;
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

/* Fill the table's nodes from the Hermite coefficients (SP_ENOCONV when
 * they do not converge: the caller then integrates node by node). */
static int fill_hermite(sp_mlp_table *t, double q1)
{
  if (!(t->act == SP_ACT_GELU || t->act == SP_ACT_TANH || t->act == SP_ACT_SILU)
      || !(q1 <= HERMITE_QMAX))
    return SP_ENOCONV;
  double *a2 = malloc(HERMITE_NMAX * sizeof *a2);
  if (!a2)
    return SP_ENOMEM;
  int nt, s = hermite(t->act, t->a, q1, a2, &nt);
  if (s) {
    free(a2);
    return s;
  }
  double e2 = 0.0, price = 0.0;
  for (int k = nt - 1; k >= 0; k--) {
    e2 += a2[k];
    price += (double)k * a2[k];
  }
  t->e2 = e2;
  t->d2 = price / q1; /* Price's theorem: sum n a_n^2 = q_1 E[phi'^2] */
  t->qf = t->sw_out * e2 + t->sb;
  const int n = SP_MLP_TABLE_NODES;
  for (int i = 0; i <= n; i++) {
    double th = M_PI * (double)i / (double)n;
    double x = i == 0 ? 1.0 : (t->sw_in * cos(th) + t->sb) / q1, sum = 0.0, sn = 0.0, xn = 1.0;
    for (int k = 1; k < nt; k++) { /* S_k = S_{k-1} + x^(k-1) */
      sn += xn;
      xn *= x;
      sum += a2[k] * sn;
    }
    double r = t->sw_out * t->sw_in / q1 * sum;
    t->theta[i] = th;
    t->r[i] = r;
    t->theta[2 * n - i] = 2.0 * M_PI - th;
    t->r[2 * n - i] = r;
  }
  free(a2);
  return SP_OK;
}

/* Fill the table's nodes by one two-dimensional quadrature each. */
static int fill_quadrature(sp_mlp_table *t, double q1)
{
  const sp_activation act = t->act;
  const double a = t->a, sw_in = t->sw_in, sw_out = t->sw_out, sb = t->sb;
  const int n = SP_MLP_TABLE_NODES;
  for (int i = 0; i <= n; i++) {
    double th = M_PI * (double)i / (double)n, r;
    sp_kernel k;
    int s;
    if (i == 0) {
      double d2;
      if ((s = sp_gauss_kernel(act, a, q1, q1, &k)) || (s = sp_gauss_dphi2(act, a, q1, &d2)))
        return s;
      t->e2 = k.phi2;
      t->d2 = d2;
      t->qf = sw_out * k.phi2 + sb;
      r = sw_in * sw_out * d2;
    } else {
      /* 1 - c = 2 sin^2(theta/2) accurately, and q_1 - p_1 = sw_in (1 - c). */
      double omc = 2.0 * sin(0.5 * th) * sin(0.5 * th);
      if ((s = sp_gauss_kernel_d(act, a, q1, sw_in * omc, &k)))
        return s;
      r = sw_out * k.gap / omc;
    }
    t->theta[i] = th;
    t->r[i] = r;
    t->theta[2 * n - i] = 2.0 * M_PI - th;
    t->r[2 * n - i] = r;
  }
  return SP_OK;
}

void sp_mlp_table_free(sp_mlp_table *t)
{
  if (!t)
    return;
  gsl_interp_free(t->interp);
  free(t);
}

sp_mlp_table *sp_mlp_table_alloc(sp_activation act, double a, double sw_in, double sw_out,
                                 double sb, int *status)
{
  int dummy, s;
  if (!status)
    status = &dummy;
  if ((unsigned)act >= SP_NACT) {
    *status = SP_EINVAL;
    return NULL;
  }
  double q1 = sw_in + sb;
  if (!(sw_in >= 0.0 && sw_out >= 0.0 && sb >= 0.0 && isfinite(q1) && isfinite(sw_out))
      || !(q1 > 0.0) || !(a > 0.0) || !isfinite(a)) {
    *status = SP_EDOM;
    return NULL;
  }
  sp_mlp_table *t = calloc(1, sizeof *t);
  if (!t) {
    *status = SP_ENOMEM;
    return NULL;
  }
  t->act = act, t->a = a, t->sw_in = sw_in, t->sw_out = sw_out, t->sb = sb;
  const int n = SP_MLP_TABLE_NODES;
  s = fill_hermite(t, q1);
  if (s == SP_ENOCONV)
    s = fill_quadrature(t, q1);
  if (s)
    goto fail;
  for (int i = 0; i <= 2 * n; i++)
    if (!isfinite(t->r[i])) { /* only finite values reach GSL */
      s = SP_EDOM;
      goto fail;
    }
  t->interp = gsl_interp_alloc(gsl_interp_cspline_periodic, (size_t)(2 * n + 1));
  if (!t->interp) {
    s = SP_ENOMEM;
    goto fail;
  }
  if (gsl_interp_init(t->interp, t->theta, t->r, (size_t)(2 * n + 1)) != GSL_SUCCESS) {
    s = SP_ENOMEM;
    goto fail;
  }
  *status = SP_OK;
  return t;
fail:
  sp_mlp_table_free(t);
  *status = s;
  return NULL;
}

int sp_mlp_table_matches(const sp_mlp_table *t, sp_activation act, double a, double sw_in,
                         double sw_out, double sb)
{
  return t && t->act == act && t->sw_in == sw_in && t->sw_out == sw_out && t->sb == sb
         && (act != SP_ACT_ERF || t->a == a);
}

int sp_mlp_table_eval(const sp_mlp_table *t, double c, double *qf, double *pf)
{
  if (!t)
    return SP_EINVAL;
  if (!(fabs(c) <= 1.0 + 1e-12))
    return SP_EDOM;
  if (c > 1.0) c = 1.0;
  if (c < -1.0) c = -1.0;
  double r;
  if (gsl_interp_eval_e(t->interp, t->theta, t->r, acos(c), NULL, &r) != GSL_SUCCESS)
    return SP_EDOM;
  if (qf)
    *qf = t->qf;
  if (pf)
    *pf = t->qf - (1.0 - c) * r;
  return SP_OK;
}

int sp_mlp_table_moments(const sp_mlp_table *t, double *e_phi2, double *e_dphi2)
{
  if (!t)
    return SP_EINVAL;
  if (e_phi2)
    *e_phi2 = t->e2;
  if (e_dphi2)
    *e_dphi2 = t->d2;
  return SP_OK;
}
