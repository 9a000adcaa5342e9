/* Gradient predictions (theory.md §9): identities and consistency.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

int main(void)
{
  gsl_set_error_handler_off();
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 977);

  tap_close(sp_grad_wq(2.0, 0.5, 1.0, 0.25, 0.1), 2.0 * 0.5 * 1.0 * 0.5625 * 0.1, 1e-15,
            "grad_wq = beta sv q (q-p)^2 G by hand");
  tap_ok(sp_grad_wq(3.0, 0.2, 0.7, 0.7, 0.2) == 0.0, "grad_wq = 0 for collapsed inputs q = p");
  tap_ok(sp_grad_wq(3.0, 0.2, 1.0, 0.3, 0.0) == 0.0, "grad_wq = 0 when G = 0 (below beta_c)");
  tap_ok(isnan(sp_grad_wq(-1.0, 0.2, 1.0, 0.3, 0.1)), "negative beta gives NaN");
  tap_ok(isnan(sp_grad_wq(1.0, 0.2, 1.0, 1.3, 0.1)), "p > q gives NaN");

  /* finite width: G + E[(1 - Y2)^2]/d */
  tap_close(sp_grad_wq_width(2.0, 0.5, 1.0, 0.25, 0.1, 0.4, 0.2, 100),
            2.0 * 0.5 * 0.5625 * (0.1 + (1.0 - 0.8 + 0.2) / 100.0), 1e-15,
            "grad_wq_width = beta sv q (q-p)^2 (G + (1 - 2 Y2 + Y2^2)/d) by hand");
  tap_close(sp_grad_wq_width(2.0, 0.5, 1.0, 0.25, 0.1, 0.4, 0.2, 1000000000L),
            sp_grad_wq(2.0, 0.5, 1.0, 0.25, 0.1), 1e-9, "grad_wq_width -> grad_wq as d -> inf");
  tap_ok(sp_grad_wq_width(3.0, 0.2, 0.7, 0.7, 0.2, 0.5, 0.3, 64) == 0.0,
         "grad_wq_width = 0 for collapsed inputs q = p");
  {
    /* uniform rows: G = 1/T - 1/T^2, so the ratio to the d -> inf formula is 1 + T/d
     * to O(1/T) */
    double T = 1024.0, d = 256.0, y2 = 1.0 / T, g = y2 - 2.0 / (T * T) + y2 * y2;
    double ratio = sp_grad_wq_width(0.1, 0.2, 1.0, 0.0, g, y2, y2 * y2, (long)d) /
                   sp_grad_wq(0.1, 0.2, 1.0, 0.0, g);
    tap_close(ratio, 1.0 + T / d, 0.01, "uniform attention: width term 1 + T/d (%.3f)", ratio);
  }
  tap_ok(isnan(sp_grad_wq_width(1.0, 0.2, 1.0, 0.3, 0.1, 0.2, 0.3, 64)), "Y2^2 > Y2 gives NaN");
  tap_ok(isnan(sp_grad_wq_width(1.0, 0.2, 1.0, 0.3, 0.1, 0.2, 0.1, 0)), "width 0 gives NaN");

  /* E[phi'(u) phi'(v)]: at p = q it is E[phi'^2]; relu at c = 0 is 1/4; erf by Monte Carlo */
  double e1, e2;
  int bad = 0;
  for (int act = 0; act < SP_NACT; act++) {
    if (sp_gauss_dphi2((sp_activation)act, 0.7, 1.3, &e1))
      continue;
    bad |= sp_gauss_dphi_pair((sp_activation)act, 0.7, 1.3, 1.3, &e2) || fabs(e1 - e2) > 1e-12;
  }
  tap_ok(!bad, "E[phi'(u) phi'(v)] at p = q equals E[phi'^2] for every activation");
  tap_ok(sp_gauss_dphi_pair(SP_ACT_RELU, 1.0, 2.0, 0.0, &e1) == SP_OK && fabs(e1 - 0.25) < 1e-15,
         "relu: E[phi'(u) phi'(v)] = 1/4 for independent u, v");
  tap_ok(sp_gauss_dphi_pair(SP_ACT_GELU, 1.0, 2.0, 0.5, &e1) == SP_OK && e1 > 0.0,
         "gelu: by quadrature");
  tap_ok(sp_gauss_dphi_pair(SP_ACT_RELU, 1.0, 1.0, 1.5, &e1) == SP_EDOM, "|p| > q: SP_EDOM");
  {
    double q1 = 0.8, p1 = 0.5, a = 1.3, sum = 0.0;
    long n = 400000;
    for (long k = 0; k < n; k++) {
      double z1 = gsl_ran_gaussian(rng, 1.0), z2 = gsl_ran_gaussian(rng, 1.0);
      double u = sqrt(q1) * z1, v = (p1 / sqrt(q1)) * z1 + sqrt(q1 - p1 * p1 / q1) * z2;
      sum += sp_activation_dphi(SP_ACT_ERF, a, u) * sp_activation_dphi(SP_ACT_ERF, a, v);
    }
    sp_gauss_dphi_pair(SP_ACT_ERF, a, q1, p1, &e1);
    tap_close(sum / (double)n, e1, 0.01 * e1, "erf: E[phi'(u) phi'(v)] = %.5f, Monte Carlo %.5f",
              e1, sum / (double)n);
  }

  double r;
  tap_ok(sp_grad_qk_v_ratio(512, 1.0, 1.0, &r) == SP_OK && r == 0.0, "qk/v ratio 0 at rho = 1");
  tap_ok(sp_grad_qk_v_ratio(512, 1.0, 0.0, &r) == SP_OK && fabs(r - 511.0 / 512.0) < 1e-15,
         "qk/v ratio (T-1)/T at rho = 0");
  tap_ok(sp_grad_qk_v_ratio(64, 2.0, 0.5, &r) == SP_OK
           && fabs(r - 4.0 * 0.5625 * 63.0 / (64.0 * (1.0 + 63.0 * 0.25))) < 1e-15,
         "qk/v ratio scales with q^2");
  tap_ok(sp_grad_qk_v_ratio(1, 1.0, 0.0, &r) == SP_EDOM, "T = 1 refused");
  tap_ok(sp_grad_qk_v_ratio(4, 1.0, -0.5, &r) == SP_EDOM, "p below -q/(T-1) refused");
  tap_ok(sp_grad_qk_v_ratio(4, 1.0, 0.0, NULL) == SP_EINVAL, "NULL output");

  /* At rho -> 1 the post-LN block's gradient factor equals e^lambda_a:
   * near collapse the backward and the angle linearisations coincide. */
  double worst = 0.0;
  for (int k = 0; k < 300; k++) {
    sp_model m;
    sp_model_default(&m);
    m.beta = 5.0 * gsl_rng_uniform(rng);
    m.var_v = 2.0 * gsl_rng_uniform(rng);
    m.var_w_in = 2.0 * gsl_rng_uniform(rng);
    m.var_w_out = 2.0 * gsl_rng_uniform(rng);
    m.var_b = 0.1 * gsl_rng_uniform(rng);
    m.alpha_sa = 0.2 + 2.0 * gsl_rng_uniform(rng);
    m.alpha_mlp = 0.2 + 2.0 * gsl_rng_uniform(rng);
    m.branch_sa = gsl_rng_uniform(rng);
    m.activation = gsl_rng_uniform(rng) < 0.5 ? SP_ACT_RELU : SP_ACT_ERF;
    double la, chi, q = 1.0, p = 1.0;
    sp_attn_stats st;
    sp_block_trace tr;
    sp_propagate_angle_exponent(&m, NULL, &la);
    sp_maps_block_traced(&m, NULL, &q, &p, SP_REM_ALL, &st, &tr);
    if (sp_grad_block_chi(&m, &st, &tr, &chi))
      continue;
    double d = fabs(log(chi) - la);
    if (d > worst)
      worst = d;
  }
  tap_close(worst, 0.0, 1e-12, "log chi at rho = 1 equals lambda_a (worst %.1e)", worst);

  /* The score path makes chi grow like log T above beta_c. */
  sp_model m;
  sp_model_default(&m);
  m.beta = 3.0;
  m.mlp = 0;
  double chi1, chi2, q = 1.0, p = 0.0;
  sp_attn_stats st;
  sp_block_trace tr;
  m.tokens = 512;
  sp_maps_block_traced(&m, NULL, &q, &p, SP_REM_ALL, &st, &tr);
  sp_grad_block_chi(&m, &st, &tr, &chi1);
  q = 1.0, p = 0.0;
  m.tokens = 512 * 512;
  sp_maps_block_traced(&m, NULL, &q, &p, SP_REM_ALL, &st, &tr);
  sp_grad_block_chi(&m, &st, &tr, &chi2);
  tap_ok(chi2 > chi1 * 1.5, "frozen attention: chi grows with log T (%.3f -> %.3f)", chi1, chi2);
  tap_ok(sp_grad_block_chi(&m, NULL, &tr, &chi1) == SP_EINVAL, "NULL statistics");
  sp_maps_block_traced(&m, NULL, &q, &p, SP_REM_Y2, &st, &tr);
  tap_ok(sp_grad_block_chi(&m, &st, &tr, &chi1) == SP_EINVAL, "statistics without G refused");

  /* The two-channel transfer applied to an isotropic probe, (1/T, 1 - 1/T),
   * gives the isotropic chi up to O(1/T); uniform attention keeps only the
   * token mean; the end-to-end growth of one block is that. */
  worst = 0.0;
  for (int k = 0; k < 200; k++) {
    sp_model_default(&m);
    m.tokens = 4096;
    m.beta = 4.0 * gsl_rng_uniform(rng);
    m.var_v = 2.0 * gsl_rng_uniform(rng);
    m.alpha_sa = 0.2 + 2.0 * gsl_rng_uniform(rng);
    m.norm = (sp_norm)(k % 3);
    m.attention = k % 5 == 0 ? SP_ATTN_CENTRED : SP_ATTN_SOFTMAX;
    m.activation = gsl_rng_uniform(rng) < 0.5 ? SP_ACT_RELU : SP_ACT_ERF;
    double t[4], chi, q2 = 1.0 + gsl_rng_uniform(rng), p2 = q2 * gsl_rng_uniform(rng);
    sp_maps_block_traced(&m, NULL, &q2, &p2, SP_REM_ALL, &st, &tr);
    if (sp_grad_block_chi(&m, &st, &tr, &chi) || sp_grad_block_transfer(&m, &st, &tr, t))
      continue;
    double T = (double)m.tokens, iso = (t[0] + t[1]) / T + (t[2] + t[3]) * (1.0 - 1.0 / T);
    /* in units of (1 + chi + var_v)/T */
    worst = fmax(worst, fabs(iso - chi) * T / (1.0 + chi + m.var_v));
  }
  tap_ok(worst < 4.0, "two-channel transfer on an isotropic probe = chi to O(1/T) "
         "(worst %.2f (1 + chi + var_v)/T)", worst);
  sp_model_default(&m);
  m.attention = SP_ATTN_UNIFORM;
  m.mlp = 0;
  m.alpha_sa = 0.0;
  {
    double t[4], q2 = 1.0, p2 = 0.2;
    sp_maps_block_traced(&m, NULL, &q2, &p2, SP_REM_ALL, &st, &tr);
    sp_grad_block_transfer(&m, &st, &tr, t);
    tap_ok(t[1] == 0.0 && t[2] == 0.0 && t[3] == 0.0 && t[0] > 0.0,
           "uniform attention, no skip: only the token mean passes (%.3g)", t[0]);
    double g[2];
    m.depth = 1;
    m.rho0 = 0.2;
    sp_grad_growth(&m, NULL, g);
    tap_close(g[1], t[0] / (double)m.tokens, 1e-12, "one block's end-to-end growth = t_mm / T");
  }
  /* after rank collapse the token mean carries the gradient: at the
   * default depth lambda_g is well above the mean log chi */
  {
    double lg2, chi[50], mean = 0.0;
    sp_model_default(&m);
    sp_grad_exponent(&m, NULL, &lg2, chi);
    for (int l = 0; l < 50; l++)
      mean += log(chi[l]) / 50.0;
    tap_ok(lg2 > mean + 0.03, "default network: lambda_g %.4f above the mean log chi %.4f", lg2,
           mean);
  }

  double lg;
  sp_model_default(&m);
  int s = sp_grad_exponent(&m, NULL, &lg, NULL);
  tap_ok(s == SP_OK && lg < 0.0,
         "default network: input gradients shrink (lambda_g = %.3e)", lg);
  m.depth = 0;
  tap_ok(sp_grad_exponent(&m, NULL, &lg, NULL) == SP_EDOM, "invalid model refused");
  gsl_rng_free(rng);
  return tap_done();
}
