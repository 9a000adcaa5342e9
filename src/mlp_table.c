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
  double theta[2 * SP_MLP_TABLE_NODES + 1];
  double r[2 * SP_MLP_TABLE_NODES + 1];
  gsl_interp *interp;
};

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
  for (int i = 0; i <= n; i++) {
    double th = M_PI * (double)i / (double)n, r;
    sp_kernel k;
    if (i == 0) {
      double d2;
      if ((s = sp_gauss_kernel(act, a, q1, q1, &k)) || (s = sp_gauss_dphi2(act, a, q1, &d2)))
        goto fail;
      t->qf = sw_out * k.phi2 + sb;
      r = sw_in * sw_out * d2;
    } else {
      /* 1 - c = 2 sin^2(theta/2) accurately, and q_1 - p_1 = sw_in (1 - c). */
      double omc = 2.0 * sin(0.5 * th) * sin(0.5 * th);
      if ((s = sp_gauss_kernel_d(act, a, q1, sw_in * omc, &k)))
        goto fail;
      r = sw_out * k.gap / omc;
    }
    t->theta[i] = th;
    t->r[i] = r;
    t->theta[2 * n - i] = 2.0 * M_PI - th;
    t->r[2 * n - i] = r;
  }
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
