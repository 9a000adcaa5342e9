/* The post-LayerNorm MLP kernel as a table over the correlation, built
 * from the Hermite (Mehler) expansion of the activation where that
 * converges fast, else from one two-dimensional quadrature per node.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/gauss.h"
#include "sigprop/activation.h"
#include "sigprop/status.h"
#include "hermite.h"
#include "mlp_table_private.h"

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

/* Fill the table's nodes from the Hermite coefficients h at q_1. */
static int fill_hermite(sp_mlp_table *t, double q1, const sp_hermite *h)
{
  const int n = SP_MLP_TABLE_NODES;
  double x[SP_MLP_TABLE_NODES + 1], g[SP_MLP_TABLE_NODES + 1];
  for (int i = 0; i <= n; i++)
    x[i] = (t->sw_in * cos(M_PI * (double)i / (double)n) + t->sb) / q1;
  int s = sp_hermite_gap_ratios(h, x, g, n + 1);
  if (s)
    return s;
  g[0] = h->price; /* x = 1 exactly */
  t->e2 = h->e2;
  t->d2 = h->price / q1; /* Price's theorem: sum n a_n^2 = q_1 E[phi'^2] */
  t->qf = t->sw_out * h->e2 + t->sb;
  for (int i = 0; i <= n; i++) {
    double th = M_PI * (double)i / (double)n;
    double r = t->sw_out * t->sw_in / q1 * g[i];
    t->theta[i] = th;
    t->r[i] = r;
    t->theta[2 * n - i] = 2.0 * M_PI - th;
    t->r[2 * n - i] = r;
  }
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

/* Build the table, from the expansion `h` when given, else from one
 * computed here (or by quadrature when that does not converge). */
static int table_build(sp_activation act, double a, double sw_in, double sw_out, double sb,
                       const sp_hermite *h, sp_mlp_table **out)
{
  int s;
  if (!out)
    return SP_EINVAL;
  *out = NULL;
  if ((unsigned)act >= SP_NACT)
    return SP_EINVAL;
  double q1 = sw_in + sb;
  if (!(sw_in >= 0.0 && sw_out >= 0.0 && sb >= 0.0 && isfinite(q1) && isfinite(sw_out))
      || !(q1 > 0.0) || !(a > 0.0) || !isfinite(a))
    return SP_EDOM;
  sp_mlp_table *t = calloc(1, sizeof *t);
  if (!t)
    return SP_ENOMEM;
  t->act = act, t->a = a, t->sw_in = sw_in, t->sw_out = sw_out, t->sb = sb;
  const int n = SP_MLP_TABLE_NODES;
  sp_hermite own;
  s = h ? SP_OK : sp_hermite_compute(act, a, q1, &own);
  if (!s) {
    s = fill_hermite(t, q1, h ? h : &own);
    if (!h)
      sp_hermite_free(&own);
  } else if (s == SP_ENOCONV)
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
  *out = t;
  return SP_OK;
fail:
  sp_mlp_table_free(t);
  return s;
}

int sp_mlp_table_alloc(sp_activation act, double a, double sw_in, double sw_out, double sb,
                       sp_mlp_table **out)
{
  return table_build(act, a, sw_in, sw_out, sb, NULL, out);
}

int sp_mlp_table_alloc_expansion(sp_activation act, double a, double sw_in, double sw_out,
                                 double sb, const sp_hermite *h, sp_mlp_table **out)
{
  if (!h) {
    if (out)
      *out = NULL;
    return SP_EINVAL;
  }
  return table_build(act, a, sw_in, sw_out, sb, h, out);
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
