/* The mean-field engine: invariants of the maps on random configurations,
 * exact closed forms of theory.md §7, the angle exponent, critical values.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"
#include "test_util.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

static gsl_rng *rng;

static double uniform(double lo, double hi)
{
  return lo + (hi - lo) * gsl_rng_uniform(rng);
}

/* A random closed-form configuration ("high-entropy" inputs). */
static void random_model(sp_model *m)
{
  sp_model_default(m);
  m->norm = (sp_norm)gsl_rng_uniform_int(rng, 3);
  m->attention = (sp_attention)gsl_rng_uniform_int(rng, 3);
  static const sp_activation acts[] = {SP_ACT_RELU, SP_ACT_ERF, SP_ACT_LINEAR};
  m->activation = acts[gsl_rng_uniform_int(rng, 3)];
  m->mlp = gsl_rng_uniform(rng) < 0.8;
  tu_random_attention(m, rng);
  tu_random_gains(m, rng);
  m->mean_removal = gsl_rng_uniform(rng) < 0.3 ? uniform(0.0, 1.0) : 0.0;
  tu_random_start(m, rng);
  m->beta_c_on = gsl_rng_uniform(rng) < 0.5 ? SP_BETAC_INPUT : SP_BETAC_STREAM;
}

static void invariants(void)
{
  int bad_rho = 0, bad_stats = 0, errors = 0, ran = 0;
  for (int k = 0; k < 3000; k++) {
    sp_model m;
    random_model(&m);
    sp_layer *t = malloc((size_t)(m.depth + 1) * sizeof *t);
    long done;
    int s = sp_propagate(&m, NULL, SP_REM_ALL, t, &done);
    if (s == SP_EOVERFLOW || s == SP_EUNDERFLOW) {
      free(t);
      continue; /* legitimate for no-LN and pre-LN stacks */
    }
    if (s) {
      errors++;
      tap_diag("status %d at config %d", s, k);
      free(t);
      continue;
    }
    ran++;
    for (long l = 0; l <= m.depth; l++) {
      if (!(t[l].rho >= -1.0 && t[l].rho <= 1.0) || !(t[l].q > 0.0))
        bad_rho++;
      if (l > 0) {
        const sp_attn_stats *a = &t[l].attn;
        if (!(a->y2 >= 0.0 && a->y2 <= 1.0 && a->y3 <= a->y2 && a->y2sq <= a->y2 + 1e-15
              && a->g >= -1e-15 && a->entropy >= -1e-12
              && a->entropy <= log((double)m.tokens) + 1e-12))
          bad_stats++;
      }
    }
    free(t);
  }
  tap_ok(errors == 0, "no unexpected status over random configurations");
  tap_ok(ran > 2000, "%d random configurations propagated", ran);
  tap_ok(bad_rho == 0, "rho in [-1, 1] and q > 0 on every layer (%d bad)", bad_rho);
  tap_ok(bad_stats == 0, "0 <= Y3 <= Y2 <= 1, G >= 0, 0 <= H <= log T (%d bad)", bad_stats);
}

static void rho_one_fixed(void)
{
  int moved = 0;
  for (int k = 0; k < 500; k++) {
    sp_model m;
    random_model(&m);
    m.mean_removal = 0.0;
    m.rho0 = 1.0;
    double q = m.q0, p = m.q0;
    for (int l = 0; l < 5; l++) {
      if (sp_maps_block(&m, NULL, &q, &p, SP_REM_Y2, NULL))
        break;
      if (p != q)
        moved++;
    }
  }
  tap_ok(moved == 0, "rho = 1 is a fixed point of every block without mean removal");
}

static void layernorm(void)
{
  int bad = 0;
  for (int k = 0; k < 1000; k++) {
    double q = uniform(1e-3, 1e3), p = q * uniform(-0.1, 1.0);
    double q1 = q, p1 = p;
    sp_maps_layernorm(&q1, &p1);
    double q2 = q1, p2 = p1;
    sp_maps_layernorm(&q2, &p2);
    bad += !(q1 == 1.0 && q2 == 1.0 && p2 == p1 && fabs(p1 - p / q) < 1e-15);
  }
  tap_ok(bad == 0, "LN normalises and is idempotent");
  double q = 0.0, p = 0.0;
  tap_ok(sp_maps_layernorm(&q, &p) == SP_EUNDERFLOW, "LN of a zero stream is an underflow");
}

/* A random post-LN model without mean removal, its skip gains drawn
 * uniformly in [lo, hi]. */
static void random_post_ln(sp_model *m, double lo, double hi)
{
  random_model(m);
  m->norm = SP_NORM_POST;
  m->mean_removal = 0.0;
  m->alpha_sa = uniform(lo, hi);
  m->alpha_mlp = uniform(lo, hi);
}

/* Post-LN: skip gain alpha with branch gain 1 equals skip 1, branch 1/alpha. */
static void gain_duality(void)
{
  double worst = 0.0;
  for (int k = 0; k < 300; k++) {
    sp_model a;
    random_post_ln(&a, 0.2, 4.0);
    a.branch_sa = a.branch_mlp = 1.0;
    sp_model b = a;
    b.alpha_sa = b.alpha_mlp = 1.0;
    b.branch_sa = 1.0 / a.alpha_sa;
    b.branch_mlp = 1.0 / a.alpha_mlp;
    double qa = a.q0, pa = a.rho0 * a.q0, qb = qa, pb = pa;
    for (long l = 0; l < a.depth; l++) {
      if (l == 0) {
        /* the first block sees the raw input; both start post-LN'd */
        qa = qb = 1.0;
        pa = pb = a.rho0;
      }
      sp_maps_block(&a, NULL, &qa, &pa, SP_REM_Y2, NULL);
      sp_maps_block(&b, NULL, &qb, &pb, SP_REM_Y2, NULL);
      double d = fabs(pa / qa - pb / qb);
      if (d > worst)
        worst = d;
    }
  }
  tap_close(worst, 0.0, 1e-12, "post-LN: skip gain a == branch gain 1/a (worst %.1e)", worst);
}

/* theory.md §7: attention-only post-LN, no bias, beta < beta_c:
 * u = (1 - rho)/rho contracts by a^2/(a^2 + sv) per block. */
static void attention_only_closed_form(void)
{
  double worst = 0.0;
  for (int k = 0; k < 200; k++) {
    sp_model m;
    tu_attention_only(&m);
    m.rho0 = uniform(0.01, 0.9);
    m.beta = uniform(0.0, 0.99) * sp_rem_beta_c(1.0, m.rho0);
    m.alpha_sa = uniform(0.1, 5.0);
    m.var_v = uniform(0.01, 2.0);
    m.depth = 1 + (long)gsl_rng_uniform_int(rng, 200);
    sp_layer *t = malloc((size_t)(m.depth + 1) * sizeof *t);
    sp_propagate(&m, NULL, SP_REM_Y2, t, NULL);
    double u0 = (1 - m.rho0) / m.rho0, r = m.alpha_sa * m.alpha_sa;
    r /= r + m.var_v;
    for (long l = 0; l <= m.depth; l++) {
      double u = u0 * pow(r, (double)l), rho = 1.0 / (1.0 + u);
      double d = fabs(rho - t[l].rho);
      if (d > worst)
        worst = d;
    }
    free(t);
  }
  tap_close(worst, 0.0, 1e-12, "attention-only closed form u_L = (a^2/(a^2+sv))^L u_0 "
            "(worst %.1e)", worst);
}

/* theory.md §7: uniform attention, branch gain g: odds b of
 * a = (1 + (T-1) rho)/T grow by (1 + g^2 sv) per block (post-LN and no-LN). */
static void uniform_odds(void)
{
  sp_norm norms[2] = {SP_NORM_POST, SP_NORM_NONE};
  for (int n = 0; n < 2; n++) {
    double worst = 0.0;
    for (int k = 0; k < 200; k++) {
      sp_model m;
      tu_attention_only(&m);
      m.norm = norms[n];
      m.attention = SP_ATTN_UNIFORM;
      m.tokens = 2 + (long)gsl_rng_uniform_int(rng, 1000);
      m.rho0 = uniform(0.0, 0.5);
      m.branch_sa = uniform(0.05, 1.0);
      m.var_v = uniform(0.05, 1.0);
      m.depth = 1 + (long)gsl_rng_uniform_int(rng, 30);
      sp_layer *t = malloc((size_t)(m.depth + 1) * sizeof *t);
      if (sp_propagate(&m, NULL, SP_REM_Y2, t, NULL)) {
        free(t);
        continue;
      }
      double T = (double)m.tokens;
      double a0 = (1 + (T - 1) * m.rho0) / T, b0 = a0 / (1 - a0);
      double f = 1 + m.branch_sa * m.branch_sa * m.var_v;
      long l = m.depth;
      double aL = (1 + (T - 1) * t[l].rho) / T, bL = aL / (1 - aL);
      double d = fabs(log(bL / b0) - (double)l * log(f));
      if (d > worst)
        worst = d;
      free(t);
    }
    tap_close(worst, 0.0, 1e-9, "%s uniform attention: log odds grow by log(1+g^2 sv) per "
              "block (worst %.1e)", sp_norm_name(norms[n]), worst);
  }
}

/* theory.md §7: pre-LN with uniform attention collapses polynomially:
 * 1 - rho_l >= (1 - rho_0)/(1 + s l), s = g^2 sv, with equality as rho -> 1. */
static void pre_ln_polynomial(void)
{
  sp_model m;
  tu_attention_only(&m);
  tu_model_set(&m, "--norm pre --attention uniform --var-v 0.5 --rho0 0.3 --depth 20000");
  sp_layer *t = malloc((size_t)(m.depth + 1) * sizeof *t);
  int s = sp_propagate(&m, NULL, SP_REM_Y2, t, NULL);
  tap_ok(s == SP_OK, "pre-LN uniform 20000 blocks");
  int below = 0;
  for (long l = 0; l <= m.depth; l++)
    below += (1 - t[l].rho) < (1 - m.rho0) / (1 + m.var_v * (double)l) * (1 - 1e-12);
  tap_ok(below == 0, "1 - rho_l >= (1 - rho_0)/(1 + s l) on every layer");
  double ratio = (1 - t[m.depth].rho) * (1 + m.var_v * (double)m.depth) / (1 - m.rho0);
  tap_ok(ratio > 1.0 && ratio < 1.002, "ratio to (1 - rho_0)/(1 + s L) at L = 20000 is %.5f",
         ratio);
  free(t);
}

static void angle_exponent(void)
{
  double worst = 0.0;
  int n = 0;
  for (int k = 0; k < 400; k++) {
    sp_model m;
    random_post_ln(&m, 0.3, 3.0);
    double lc, lf, err;
    if (sp_propagate_angle_exponent(&m, NULL, &lc) || sp_propagate_angle_exponent_fd(&m, NULL, &lf, &err))
      continue;
    double d = fabs(lc - lf);
    if (d > worst)
      worst = d;
    n++;
  }
  tap_ok(n == 400, "closed form and finite differences on %d post-LN configurations", n);
  tap_close(worst, 0.0, 1e-6, "lambda_a closed form == Richardson finite differences (worst %.1e)",
            worst);

  sp_model m;
  sp_model_default(&m);
  double la;
  tap_ok(sp_propagate_angle_exponent(&m, NULL, &la) == SP_OK, "default lambda_a");
  /* e^la = 1/(1 + 0.2004) x (1 + 0.04 * 1/2) / (1 + 0.2 * (0.2004/2) + 4e-4) */
  double want = log(1.0 / 1.2004 * 1.02 / (1.0 + 0.2 * 0.1002 + 4e-4));
  tap_close(la, want, 1e-15, "default lambda_a by hand = %.6f", want);
  m.norm = SP_NORM_PRE;
  tap_ok(sp_propagate_angle_exponent(&m, NULL, &la) == SP_EUNSUP, "closed form refuses pre-LN");
  tap_ok(sp_propagate_angle_exponent_fd(&m, NULL, &la, NULL) == SP_OK && la < 0.0,
         "finite differences work for pre-LN (%.4f)", la);
}

static void critical(void)
{
  /* theory.md §7: alpha_c^2 = sv / ((u0/umax)^(1/L) - 1), attention-only. */
  sp_model m;
  tu_attention_only(&m);
  tu_model_set(&m, "--depth 60 --rho0 0.1 --beta 0.5");
  double rmax = 0.9, u0 = (1 - m.rho0) / m.rho0, um = (1 - rmax) / rmax;
  double want = sqrt(m.var_v / (pow(u0 / um, 1.0 / (double)m.depth) - 1.0));
  double root;
  int s = sp_critical_rho(&m, NULL, sp_param_lookup("alpha-sa"), rmax, 0.0, 100.0, 1e-12, &root);
  tap_ok(s == SP_OK, "critical alpha-sa status");
  tap_close(root, want, 1e-9, "alpha_c = %.10f from the closed form", want);
  tap_ok(sp_critical_rho(&m, NULL, sp_param_lookup("alpha-sa"), rmax, 0.0, 1.0, 1e-12, &root)
           == SP_ENOROOT, "no root below alpha 1");
  tap_ok(sp_critical_rho(&m, NULL, sp_param_lookup("alpha-sa"), rmax, 20.0, 30.0, 1e-12, &root)
           == SP_ENOROOT && root == 20.0, "already below rho_max at the lower end");
  tap_ok(sp_critical_rho(&m, NULL, sp_param_lookup("depth"), rmax, 1, 9, 1e-12, &root)
           == SP_EINVAL, "integer parameter refused");
  tap_ok(sp_critical_rho(&m, NULL, sp_param_lookup("alpha-sa"), rmax, 5.0, 1.0, 1e-12, &root)
           == SP_EDOM, "empty range refused");
  tap_ok(sp_critical_rho(&m, NULL, sp_param_lookup("alpha-sa"), NAN, 0.0, 1.0, 1e-12, &root)
           == SP_EDOM, "NaN target refused");

  /* depth: compare with a direct scan of the trajectory. */
  sp_model_default(&m);
  m.depth = 1000;
  sp_layer *t = malloc(1001 * sizeof *t);
  sp_propagate(&m, NULL, SP_REM_Y2, t, NULL);
  long L = 0;
  while (L + 1 <= 1000 && t[L + 1].rho <= 0.9)
    L++;
  free(t);
  long got;
  s = sp_critical_depth(&m, NULL, 0.9, 1, 1000, &got);
  tap_ok(s == SP_OK && got == L, "critical depth %ld == scan %ld", got, L);
  tap_ok(sp_critical_depth(&m, NULL, 0.9, 1, 5, &got) == SP_ENOROOT && got == 5,
         "depth range too short reports its end");
  tap_ok(sp_critical_depth(&m, NULL, 0.001, 1, 100, &got) == SP_ENOROOT,
         "rho above target from the start");
}

/* The batched sweep gives exactly what one-at-a-time summaries give,
 * including per-model errors and differing depths. */
static void batch(void)
{
  enum { N = 203 };
  sp_model *m = malloc(N * sizeof *m);
  sp_summary *a = malloc(N * sizeof *a), b;
  int st[N], mismatch = 0, errs = 0;
  for (int i = 0; i < N; i++)
    random_model(&m[i]);
  m[5].beta = -1.0; /* invalid: reported per model */
  sp_propagate_summary_batch(m, N, NULL, a, st);
  for (int i = 0; i < N; i++) {
    int s = sp_propagate_summary(&m[i], NULL, &b);
    errs += s != 0;
    if (s != st[i] || (!s && (memcmp(&a[i].rho_final, &b.rho_final, sizeof b.rho_final)
                              || a[i].frozen_layers != b.frozen_layers
                              || a[i].first_frozen != b.first_frozen
                              || memcmp(&a[i].y2_first, &b.y2_first, sizeof b.y2_first))))
      mismatch++;
  }
  tap_ok(mismatch == 0, "batched summaries identical to single ones (%d with errors)", errs);
  tap_ok(st[5] == SP_EDOM, "invalid model reported in its status slot");
  tap_ok(sp_propagate_summary_batch(m, N, NULL, NULL, st) == SP_EINVAL, "NULL output");
  free(m);
  free(a);
}

static void errors(void)
{
  sp_attn_stats st;
  tap_ok(sp_rem_asymptotic(-1.0, 1.0, 0.5, 10, SP_REM_ALL, &st) == SP_EDOM, "beta < 0");
  tap_ok(sp_rem_asymptotic(1.0, 1.0, 1.5, 10, SP_REM_ALL, &st) == SP_EDOM, "p > q");
  tap_ok(sp_rem_asymptotic(1.0, -1.0, 0.0, 10, SP_REM_ALL, &st) == SP_EDOM, "q < 0");
  tap_ok(sp_rem_asymptotic(1.0, NAN, 0.0, 10, SP_REM_ALL, &st) == SP_EDOM, "NaN q");
  tap_ok(sp_rem_asymptotic(1.0, 1.0, 0.0, 1, SP_REM_ALL, &st) == SP_EDOM, "T = 1");
  tap_ok(sp_rem_asymptotic(1.0, 1.0, 0.0, 10, SP_REM_ALL, NULL) == SP_EINVAL, "NULL out");
  tap_ok(sp_rem_asymptotic(2.0, 1.0, 1.0 + 1e-16, 10, SP_REM_ALL, &st) == SP_OK
           && st.beta_c == INFINITY && st.y2 == 0.0, "p = q + rounding: beta_c = inf");
  tap_ok(sp_rem_asymptotic(0.0, 1.0, 0.3, 10, SP_REM_ALL, &st) == SP_OK && st.m == 1.0
           && st.entropy_ratio == 1.0, "beta = 0: uniform limit");
  tap_ok(sp_rem_asymptotic(1.4142135623730951 * 1.0000001, 1.0, 0.0, 512, SP_REM_ALL, &st)
           == SP_OK && st.entropy == log(512.0), "just above beta_c the entropy is capped at log T");
  double e2;
  tap_ok(sp_gauss_phi_moments(SP_ACT_RELU, 1, -1.0, 0.0, &e2, NULL) == SP_EDOM, "q1 < 0");
  tap_ok(sp_gauss_phi_moments(SP_ACT_RELU, 1, 1.0, 2.0, &e2, NULL) == SP_EDOM, "|p1| > q1");
  tap_ok(sp_gauss_phi_moments((sp_activation)42, 1, 1.0, 0.5, &e2, NULL) == SP_EINVAL,
         "unknown activation");
  sp_model m = tu_model("--norm none --alpha-sa 40.0 --alpha-mlp 40.0 --depth 200");
  sp_layer *t = malloc(201 * sizeof *t);
  long done;
  int s = sp_propagate(&m, NULL, SP_REM_ALL, t, &done);
  tap_ok(s == SP_EOVERFLOW && done > 1 && done <= 200,
         "no-LN stack with gain 40 overflows at block %ld", done);
  m.alpha_sa = m.alpha_mlp = 0.05;
  m.var_v = m.var_w_in = m.var_w_out = m.var_b = 0.0;
  m.var_vb_follows_b = 1;
  tap_ok(sp_propagate(&m, NULL, SP_REM_ALL, t, &done) == SP_EUNDERFLOW, "and underflows");
  free(t);
  sp_model_default(&m);
  m.activation = SP_ACT_TANH;
  tap_ok(sp_propagate(&m, NULL, SP_REM_ALL, NULL, NULL) == SP_EINVAL, "NULL output");
  tap_ok(sp_propagate_angle_exponent(NULL, NULL, NULL) == SP_EINVAL, "NULL model");
}

int main(void)
{
  gsl_set_error_handler_off();
  rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 20260523);
  invariants();
  rho_one_fixed();
  layernorm();
  gain_duality();
  attention_only_closed_form();
  uniform_odds();
  pre_ln_polynomial();
  angle_exponent();
  critical();
  batch();
  errors();
  gsl_rng_free(rng);
  return tap_done();
}
