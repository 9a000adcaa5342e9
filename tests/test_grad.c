/* Gradient predictions (theory.md §9): identities and consistency.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"

#include <gsl/gsl_errno.h>
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
    sp_angle_exponent(&m, NULL, &la);
    sp_block_traced(&m, NULL, &q, &p, SP_REM_ALL, &st, &tr);
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
  sp_block_traced(&m, NULL, &q, &p, SP_REM_ALL, &st, &tr);
  sp_grad_block_chi(&m, &st, &tr, &chi1);
  q = 1.0, p = 0.0;
  m.tokens = 512 * 512;
  sp_block_traced(&m, NULL, &q, &p, SP_REM_ALL, &st, &tr);
  sp_grad_block_chi(&m, &st, &tr, &chi2);
  tap_ok(chi2 > chi1 * 1.5, "frozen attention: chi grows with log T (%.3f -> %.3f)", chi1, chi2);
  tap_ok(sp_grad_block_chi(&m, NULL, &tr, &chi1) == SP_EINVAL, "NULL statistics");
  sp_block_traced(&m, NULL, &q, &p, SP_REM_Y2, &st, &tr);
  tap_ok(sp_grad_block_chi(&m, &st, &tr, &chi1) == SP_EINVAL, "statistics without G refused");

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
