/* The simulator's tangents (theory.md §12): the forward-mode Jacobian-vector
 * product against central differences of the simulator itself, the per-block
 * and end-to-end records against the mean-field theory's Jacobian, and the
 * query-weight gradient against the finite-width theory with a Monte Carlo
 * of the REM rows.  Tolerances are stated in standard errors where the
 * comparison is statistical.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "sim_private.h"
/* tap.h defines helpers for reading data files that this program does not use */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "tap.h"
#include "test_util.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <string.h>

/* ---- Jacobian-vector products ------------------------------------------ */

/* The forward-mode tangent of the end-to-end probe against central
 * differences of the simulator itself (float32: steps of 1e-3 of the
 * input balance truncation against rounding). */
static void jacobian_fd(sp_norm norm, sp_attention att, sp_activation act, double beta, long L,
                        double tau, int causal, long H, double tol)
{
  long d = 48, T = 24;
  sp_model m = tu_sim_model(T, L, beta);
  m.norm = norm;
  m.attention = att;
  m.activation = act;
  m.mean_removal = tau;
  m.causal = causal;
  int st = SP_OK;
  sp_sim *s = NULL;
  st |= sp_sim_alloc(d, T, H, 2, SP_SIM_JACOBIAN, &s);
  tap_ok(st == SP_OK, "simulator allocated");
  sp_sim_options o;
  sp_sim_options_default(&o);
  o.jacobian = 1;
  sp_sim_layer out[8];
  size_t n = (size_t)(T * d);
  float *t0 = malloc(n * sizeof *t0), *xp = malloc(n * sizeof *xp), *u = malloc(n * sizeof *u);
  int rc = sp_sim_run(s, &m, &o, 5, out, NULL);
  memcpy(t0, sp_sim_stream(s, 1), n * sizeof *t0);
  sp_sim_draw(5, 0, SP_SIM_STREAM_PROBE, T, d, 1.0, u);
  double tn = 0.0, un = 0.0;
  for (size_t i = 0; i < n; i++) {
    tn += (double)t0[i] * t0[i];
    un += (double)u[i] * u[i];
  }
  double scale = sqrt(out[L].grad_chi_total * un / tn), h = 1e-3;
  rc |= sp_sim_run_perturbed(s, &m, &o, 5, h, out, NULL);
  memcpy(xp, sp_sim_stream(s, 0), n * sizeof *xp);
  rc |= sp_sim_run_perturbed(s, &m, &o, 5, -h, out, NULL);
  const float *xm = sp_sim_stream(s, 0);
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < n; i++) {
    double fd = ((double)xp[i] - (double)xm[i]) / (2.0 * h), jv = (double)t0[i] * scale;
    num += (fd - jv) * (fd - jv);
    den += jv * jv;
  }
  tap_ok(rc == SP_OK && sqrt(num / den) < tol,
         "Jacobian tangent = central differences (%s-LN, %s, %s, beta %g, L %ld, tau %g, "
         "causal %d, %ld heads): relative error %.1e < %.0e", sp_norm_name(norm),
         sp_attention_name(att), sp_activation_name(act), beta, L, tau, causal, H,
         sqrt(num / den), tol);
  free(t0);
  free(xp);
  free(u);
  sp_sim_free(s);
}

/* Jacobian runs leave the forward records unchanged and are identical for
 * any number of threads. */
static void jacobian_records(void)
{
  long d = 40, T = 20;
  sp_model m = tu_sim_model(T, 3, 2.0);
  int st = SP_OK;
  sp_sim *s1 = NULL;
  st |= sp_sim_alloc(d, T, 1, 1, SP_SIM_JACOBIAN | SP_SIM_GRADIENT, &s1);
  sp_sim *s2 = NULL;
  st |= sp_sim_alloc(d, T, 1, 3, SP_SIM_JACOBIAN | SP_SIM_GRADIENT, &s2);
  sp_sim_options o;
  sp_sim_options_default(&o);
  o.gradient = 1;
  sp_sim_layer a[4], b[4], c[4];
  int r = sp_sim_run(s1, &m, &o, 3, a, NULL);
  o.jacobian = 1;
  r |= sp_sim_run(s1, &m, &o, 3, b, NULL);
  r |= sp_sim_run(s2, &m, &o, 3, c, NULL);
  int same = 1;
  for (int l = 0; l <= 3; l++)
    same &= a[l].q == b[l].q && a[l].p == b[l].p && a[l].cos_std == b[l].cos_std;
  for (int l = 1; l <= 3; l++) /* row 0 has no attention (NaN) */
    same &= a[l].y2 == b[l].y2 && a[l].grad_wq == b[l].grad_wq && a[l].g == b[l].g &&
            a[l].qa == b[l].qa && a[l].pa == b[l].pa;
  tap_ok(r == SP_OK && same, "the Jacobian leaves the forward records and the gradient unchanged");
  tap_ok(memcmp(b, c, sizeof b) == 0, "Jacobian records identical with 1 and 3 threads");
  tap_ok(isnan(a[2].grad_chi) && b[0].grad_chi_total == 1.0 && b[2].grad_chi > 0.0 &&
         b[3].grad_chi_total > 0.0, "grad_chi only with the Jacobian; end-to-end growth 1 at the "
         "input");
  o.jacobian = 1;
  sp_sim *s3 = NULL;
  st |= sp_sim_alloc(d, T, 1, 1, 0, &s3);
  tap_ok(st == SP_OK, "simulator allocated");
  tap_ok(sp_sim_run(s3, &m, &o, 3, a, NULL) == SP_EINVAL,
         "Jacobian of a workspace without it: SP_EINVAL");
  sp_sim_free(s1);
  sp_sim_free(s2);
  sp_sim_free(s3);
}

/* Per-block growth against sp_grad_block_chi: post-LN and pre-LN at
 * beta = 3, where the score path dominates.  Tolerance 4 SE + 0.06: the
 * theory's T -> infinity G and the LayerNorm's loss of 2/d of an isotropic
 * probe are of that size at T = 64, d = 128. */
static void jacobian_theory(sp_norm norm)
{
  long d = 128, T = 64;
  enum { SEEDS = 10, L = 3 };
  sp_model m = tu_sim_model(T, L, 3.0);
  m.norm = norm;
  sp_sim_summary sum[L + 1];
  int st = tu_sim_summary(&m, d, 1, 300, SEEDS, sum);
  sp_model mt = tu_measured_input(&m, sum);
  sp_layer traj[L + 1];
  st |= sp_propagate(&mt, NULL, SP_REM_ALL, traj, NULL);
  for (int l = 1; l <= L; l++) {
    double chi;
    st |= sp_grad_block_chi(&mt, &traj[l].attn, &traj[l].trace, &chi);
    double r = sum[l].grad_chi.mean / chi, se = sum[l].grad_chi.se / chi;
    tap_ok(st == SP_OK && fabs(r - 1.0) <= 4.0 * se + 0.06,
           "%s-LN beta 3 block %d: chi sim %.3f +- %.3f, theory %.3f (ratio %.3f)",
           sp_norm_name(norm), l, sum[l].grad_chi.mean, sum[l].grad_chi.se, chi, r);
  }
}

/* End-to-end growth through a collapsing post-LN stack: the token-mean
 * channel carries it (sp_grad_growth), not the product of the isotropic
 * per-block factors, which is ~15 times smaller here.  The LayerNorms
 * remove up to 2/d of the tangent each, which the d -> infinity theory
 * leaves out, so the simulation must lie between (1 - 2/d)^(2L) / 1.5 (0.26)
 * and 1.5 times the two-channel prediction, and above 4 times the product. */
static void jacobian_depth(void)
{
  long d = 128, T = 16;
  enum { SEEDS = 4, L = 30 };
  sp_model m = tu_sim_model(T, L, 0.0);
  sp_sim_summary sum[L + 1];
  int st = tu_sim_summary(&m, d, 1, 400, SEEDS, sum);
  sp_model mt = tu_measured_input(&m, sum);
  double growth[L + 1], chi[L], prod = 1.0, lg;
  st |= sp_grad_growth(&mt, NULL, growth);
  st |= sp_grad_exponent(&mt, NULL, &lg, chi);
  for (int l = 0; l < L; l++)
    prod *= chi[l];
  double sim = sum[L].grad_chi_total.mean, r = sim / growth[L];
  double lo = pow(1.0 - 2.0 / (double)d, 2.0 * L) / 1.5;
  tap_ok(st == SP_OK && r > lo && r < 1.5 && sim > 4.0 * prod,
         "post-LN, d = %ld, T = %ld, L = %d: end-to-end growth sim %.3g +- %.2g, two-channel "
         "theory %.3g (ratio %.2f, allowed %.2f to 1.5), product of isotropic chi %.3g", d, T, L,
         sim, sum[L].grad_chi_total.se, growth[L], r, lo, prod);
  tap_close(lg, log(growth[L]) / L, 1e-12, "lambda_g = log(growth[L]) / L");
}

/* ---- the query-weight gradient against theory.md §9 ---------------------- */

/* Row statistics of a softmax over T i.i.d. N(0, sd^2) energies (the REM of
 * theory.md §3, finite T), by Monte Carlo: E Y2, E[Y2^2], G. */
static void rem_rows(gsl_rng *r, long T, double sd, long n, double *y2, double *y2sq, double *g)
{
  double *e = malloc(sizeof *e * (size_t)T), s2 = 0.0, s22 = 0.0, sg = 0.0;
  for (long k = 0; k < n; k++) {
    double mx = -INFINITY, z = 0.0, a2 = 0.0, a3 = 0.0;
    for (long s = 0; s < T; s++) {
      e[s] = sd * gsl_ran_gaussian_ziggurat(r, 1.0);
      mx = fmax(mx, e[s]);
    }
    for (long s = 0; s < T; s++)
      z += (e[s] = exp(e[s] - mx));
    for (long s = 0; s < T; s++) {
      double w = e[s] / z;
      a2 += w * w;
      a3 += w * w * w;
    }
    s2 += a2;
    s22 += a2 * a2;
    sg += a2 - 2.0 * a3 + a2 * a2;
  }
  *y2 = s2 / (double)n;
  *y2sq = s22 / (double)n;
  *g = sg / (double)n;
  free(e);
}

/* Block 1's grad_wq over 16 networks against C beta sv q (q-p)^2 [G + E(1-Y2)^2/d]
 * (sp_grad_wq_width) with the finite-T statistics from a Monte Carlo of the
 * REM at the measured input: within 4 SE + 0.1 (the finite-width terms of
 * relative order log(T)/d left out of the formula are ~0.1 at d = 128).  With
 * correlated inputs, also the coefficient of a hypothetical extra
 * p E[(Y2)^2] term (theory.md §13, question 4), from each network's own
 * statistics: 0 within 4 SE + 0.2, where that term would give 1. */
static void gradient_theory(double beta, double rho0, int input_ln)
{
  long d = 128, T = 64;
  enum { SEEDS = 16 };
  sp_model m = tu_sim_model(T, 1, beta);
  m.rho0 = rho0;
  int st;
  sp_sim *s = NULL;
  st = sp_sim_alloc(d, T, 1, 2, SP_SIM_GRADIENT, &s);
  sp_sim_options o;
  sp_sim_options_default(&o);
  o.gradient = 1;
  o.input_ln = input_ln;
  sp_sim_layer runs[SEEDS * 2];
  double ex = 0.0, ex2 = 0.0, a[SEEDS], c[SEEDS];
  for (int k = 0; k < SEEDS; k++) {
    st |= sp_sim_run(s, &m, &o, (unsigned long)(500 + k), runs + 2 * k, NULL);
    const sp_sim_layer *R = &runs[2 * k + 1];
    double gap = R->qa - R->pa;
    double plug = sp_grad_wq_width(beta, m.var_v, R->qa, R->pa, R->g, R->y2, R->y2sq, d);
    a[k] = R->grad_wq - plug;
    c[k] = beta * m.var_v * R->qa * gap * R->pa * R->y2sq;
  }
  sp_sim_free(s);
  sp_sim_summary sum[2];
  sp_sim_summarise(runs, SEEDS, 2, sum);
  double q = sum[1].qa.mean, p = sum[1].pa.mean, y2, y2sq, g;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  rem_rows(r, T, beta * sqrt(q * (q - p) * log((double)T)), 20000, &y2, &y2sq, &g);
  gsl_rng_free(r);
  double th = sp_grad_wq_width(beta, m.var_v, q, p, g, y2, y2sq, d);
  double ratio = sum[1].grad_wq.mean / th, se = sum[1].grad_wq.se / th;
  tap_ok(st == SP_OK && fabs(ratio - 1.0) <= 4.0 * se + 0.1,
         "grad_wq at beta %g, rho0 %g (d %ld, T %ld): sim %.4g +- %.2g, theory with finite-T G "
         "%.4g (ratio %.3f +- %.3f)", beta, rho0, d, T, sum[1].grad_wq.mean, sum[1].grad_wq.se,
         th, ratio, se);
  if (rho0 <= 0.1)
    return;
  double ma = 0.0, mc = 0.0;
  for (int k = 0; k < SEEDS; k++) {
    ma += a[k] / SEEDS;
    mc += c[k] / SEEDS;
  }
  for (int k = 0; k < SEEDS; k++) {
    ex += (a[k] - ma) * (a[k] - ma);
    ex2 += (a[k] - ma / mc * c[k]) * (a[k] - ma / mc * c[k]);
  }
  double kappa = ma / mc, kse = sqrt(ex2 / (SEEDS - 1) / SEEDS) / mc;
  tap_ok(fabs(kappa) <= 4.0 * kse + 0.2, "no extra p E[(Y2)^2] term at rho0 %g: its coefficient "
         "is %.3f +- %.3f (1 if it were there)", rho0, kappa, kse);
}

int main(void)
{
  gsl_set_error_handler_off();
  jacobian_fd(SP_NORM_POST, SP_ATTN_SOFTMAX, SP_ACT_GELU, 3.0, 2, 0.0, 0, 1, 2e-3);
  jacobian_fd(SP_NORM_PRE, SP_ATTN_SOFTMAX, SP_ACT_TANH, 2.0, 2, 0.5, 1, 2, 2e-3);
  jacobian_fd(SP_NORM_NONE, SP_ATTN_CENTRED, SP_ACT_ERF, 1.0, 2, 0.0, 0, 1, 2e-3);
  jacobian_fd(SP_NORM_PRE, SP_ATTN_UNIFORM, SP_ACT_SILU, 1.0, 2, 1.0, 0, 1, 2e-3);
  jacobian_fd(SP_NORM_POST, SP_ATTN_SOFTMAX, SP_ACT_RELU, 1.0, 2, 0.0, 0, 1, 2e-2);
  jacobian_records();
  jacobian_theory(SP_NORM_POST);
  jacobian_theory(SP_NORM_PRE);
  jacobian_depth();
  gradient_theory(1.2, 0.025, 0);
  gradient_theory(3.0, 0.5, 1);
  return tap_done();
}
