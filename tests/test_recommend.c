/* Classification, trainable beta, critical gains and recommendations on
 * cases with known answers (theory.md §3, §7, §9, §10).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"
#include "test_util.h"

#include <gsl/gsl_errno.h>

/* Attention-only post-LN, no bias, beta < beta_c (theory.md §7): with
 * u = (1 - rho)/rho, u_L = (a^2/(a^2 + sv))^L u_0, so the smallest a with
 * rho_L <= rho_max is a_c^2 = sv / ((u0/umax)^{1/L} - 1). */
static double alpha_c_closed(double sv, double rho0, double rho_max, long L)
{
  double u0 = (1.0 - rho0) / rho0, um = (1.0 - rho_max) / rho_max;
  return sqrt(sv / (pow(u0 / um, 1.0 / (double)L) - 1.0));
}

static void attention_only(sp_model *m)
{
  tu_attention_only(m);
  m->rho0 = 0.1;
}

static void closed_forms(void)
{
  sp_model m;
  attention_only(&m);
  double prev = 0.0;
  const long depths[] = {10, 60, 240, 1000};
  for (size_t i = 0; i < 4; i++) {
    m.depth = depths[i];
    double g, want = alpha_c_closed(m.var_v, m.rho0, 0.9, m.depth);
    int s = sp_recommend_critical_gain(&m, NULL, SP_GAIN_ALPHA_SA, 0.9, 1e-12, &g);
    tap_ok(s == SP_OK, "critical alpha-sa at L = %ld found", m.depth);
    tap_close(g, want, 1e-9, "alpha_c(L = %ld) = %.10f, closed form %.10f", m.depth, g, want);
    double g2;
    sp_recommend_critical_gain(&m, NULL, SP_GAIN_ALPHA, 0.9, 1e-12, &g2);
    tap_close(g2, g, 1e-12, "without an MLP, alpha (both skips) = alpha-sa");
    tap_ok(g > prev, "alpha_c grows with depth");
    prev = g;
  }
  /* sqrt(L) growth: a_c^2 ~ sv L / log(u0/umax) at large L. */
  m.depth = 100000;
  double g;
  sp_recommend_critical_gain(&m, NULL, SP_GAIN_ALPHA_SA, 0.9, 1e-10, &g);
  double asym = sqrt(m.var_v * (double)m.depth / log(81.0));
  tap_close(g / asym, 1.0, 1e-4, "alpha_c -> sqrt(sv L / log(u0/umax)) at L = 1e5 (ratio %.6f)",
            g / asym);

  /* Uniform attention with branch gain gamma at finite T (theory.md §7):
   * with a = (1 + (T-1) rho)/T and b = a/(1-a), b_L = (1 + gamma^2 sv)^L b_0,
   * so the largest gamma with rho_L <= rho_max is
   * gamma^2 = ((b_max/b_0)^{1/L} - 1) / sv. */
  attention_only(&m);
  tu_model_set(&m, "--attention uniform --tokens 64 --rho0 0.05 --depth 30 --var-b 0.0");
  double T = 64.0, a0 = (1.0 + (T - 1.0) * 0.05) / T, am = (1.0 + (T - 1.0) * 0.9) / T;
  double b0 = a0 / (1.0 - a0), bm = am / (1.0 - am);
  double want = sqrt((pow(bm / b0, 1.0 / 30.0) - 1.0) / m.var_v);
  int s = sp_recommend_critical_gain(&m, NULL, SP_GAIN_BRANCH_SA, 0.9, 1e-12, &g);
  tap_ok(s == SP_OK, "critical branch-sa (uniform attention) found");
  tap_close(g, want, 1e-9, "gamma_c = %.10f, closed form %.10f", g, want);
  sp_model x = m;
  x.branch_sa = g;
  sp_summary sum;
  sp_propagate_summary(&x, NULL, &sum);
  tap_close(sum.rho_final, 0.9, 1e-9, "rho_L = rho_max at gamma_c");
  x.branch_sa = 1.0 / sqrt(30.0);
  sp_propagate_summary(&x, NULL, &sum);
  double bL = (1.0 + sum.rho_final * (T - 1.0)) / T;
  bL /= 1.0 - bL;
  tap_ok(bL <= exp(m.var_v) * b0 * (1 + 1e-12), "gamma^2 = 1/L keeps b_L <= e^sv b_0");
}

static void verdicts(void)
{
  sp_model m;
  sp_model_default(&m);
  sp_verdict v;
  sp_summary sum;
  tap_ok(sp_recommend_verdict(&m, NULL, 0.9, &v) == SP_OK && v.phase == SP_PHASE_RANK_COLLAPSE,
                              "paper's defaults at L = 50: rank collapse");
  sp_propagate_summary(&m, NULL, &sum);
  tap_ok(v.rho_final == sum.rho_final && v.frozen_layers == sum.frozen_layers,
         "verdict agrees with sp_propagate_summary");
  tap_close(v.beta_c_min, sqrt(2.0 / (1.0 - 0.025)), 1e-15,
            "post-LN: smallest beta_c is block 1's, sqrt(2/(1 - rho0))");
  m.beta = 3.0;
  sp_recommend_verdict(&m, NULL, 0.9, &v);
  sp_propagate_summary(&m, NULL, &sum);
  tap_ok(v.phase == SP_PHASE_ENTROPY_COLLAPSE && v.first_frozen == 1
         && v.frozen_layers == sum.frozen_layers, "beta = 3: entropy collapse from block 1");
  m.beta = 0.5;
  m.alpha_sa = 3.0;
  sp_recommend_verdict(&m, NULL, 0.9, &v);
  tap_ok(v.phase == SP_PHASE_TRAINABLE, "alpha-sa = 3: trainable (rho_L = %.3f)", v.rho_final);
  tap_ok(sp_recommend_verdict(&m, NULL, 1.0, &v) == SP_EDOM, "rho_max = 1 rejected");
  tap_ok(sp_recommend_verdict(&m, NULL, NAN, &v) == SP_EDOM, "rho_max NaN rejected");
  tap_ok(sp_recommend_verdict(NULL, NULL, 0.9, &v) == SP_EINVAL, "NULL model");
  m.var_v = -1.0;
  tap_ok(sp_recommend_verdict(&m, NULL, 0.9, &v) == SP_EDOM, "invalid model");
  m = tu_model("--attention uniform --beta 100.0");
  sp_recommend_verdict(&m, NULL, 0.9, &v);
  tap_ok(v.frozen_layers == 0 && isinf(v.beta_c_min), "uniform attention never freezes");
  tap_ok(strcmp(sp_phase_name(SP_PHASE_ENTROPY_COLLAPSE), "entropy-collapse") == 0
         && strcmp(sp_phase_name((sp_phase)7), "?") == 0, "phase names");
  tap_ok(strcmp(sp_edge_name(SP_EDGE_RANK), "rank-collapse") == 0, "edge names");
}

static void first_block(void)
{
  sp_model m;
  sp_model_default(&m);
  m.beta = 3.0;
  sp_first_block fb;
  tap_ok(sp_recommend_first_block(&m, NULL, 0, &fb) == SP_OK, "first block at beta = 3");
  /* theory.md §9 with C = 1: beta sv q (q - p)^2 G, G = m(1 - m)/3. */
  double bc = sqrt(2.0 / (1.0 - 0.025)), mm = bc / 3.0;
  double want = 3.0 * 0.2 * 1.0 * (0.975 * 0.975) * mm * (1.0 - mm) / 3.0;
  tap_close(fb.qk_gradient, want, 1e-15, "q/k gradient %.6f = beta sv q (q-p)^2 m(1-m)/3",
            fb.qk_gradient);
  tap_close(fb.stats.y2, 1.0 - mm, 1e-15, "E Y2 = 1 - beta_c/beta");
  m.beta = 1.0;
  sp_recommend_first_block(&m, NULL, 0, &fb);
  tap_ok(fb.qk_gradient == 0.0, "q/k gradient vanishes below beta_c");
  m.norm = SP_NORM_PRE;
  m.q0 = 5.0;
  m.rho0 = 0.3;
  sp_recommend_first_block(&m, NULL, 0, &fb);
  tap_ok(fb.q == 1.0 && fb.p == 0.3, "pre-LN: the attention sees the normalised input");
  m.beta_c_on = SP_BETAC_STREAM;
  sp_recommend_first_block(&m, NULL, 0, &fb);
  tap_close(fb.stats.beta_c, sqrt(2.0 / (5.0 * (5.0 - 1.5))), 1e-15,
            "beta-c-on stream: beta_c of the raw stream");
}

static void beta_ranges(void)
{
  sp_model m;
  sp_model_default(&m);
  sp_beta_interval b;
  int runs;
  tap_ok(sp_recommend_trainable_beta(&m, NULL, 0.9, 1e-12, &b, &runs) == SP_ENOROOT && runs == 0
         && isnan(b.lo), "defaults at L = 50: no trainable beta");
  m.alpha_sa = 3.0;
  int s = sp_recommend_trainable_beta(&m, NULL, 0.9, 1e-12, &b, &runs);
  double bc = sqrt(2.0 / (1.0 - 0.025));
  tap_ok(s == SP_OK && runs == 1 && b.lo == 0.0 && b.lo_edge == SP_EDGE_RANGE,
         "alpha-sa = 3: trainable from beta = 0");
  tap_close(b.hi, bc, 1e-12, "up to beta_c(rho0) = %.10f", bc);
  tap_ok(b.hi_edge == SP_EDGE_ENTROPY, "bounded by entropy collapse");
  double e;
  tap_ok(sp_recommend_entropy_edge(&m, NULL, 1e-12, &e) == SP_OK, "entropy edge");
  tap_close(e, bc, 1e-12, "entropy edge of post-LN = beta_c(rho0)");
  m.beta = 3.0;
  sp_recommend_entropy_edge(&m, NULL, 1e-12, &e);
  tap_close(e, bc, 1e-12, "same edge when found from above");

  /* Pre-LN with beta_c on the raw stream: q grows, beta_c shrinks with
   * depth, so a later block freezes first and the edge lies below block
   * 1's beta_c; check it by classifying either side. */
  m = tu_model("--norm pre --beta-c-on stream --depth 20");
  s = sp_recommend_trainable_beta(&m, NULL, 0.99, 1e-12, &b, &runs);
  tap_ok(s == SP_OK && b.hi_edge == SP_EDGE_ENTROPY && b.hi < bc,
         "pre-LN on the stream: entropy edge %.6f below block 1's %.6f", b.hi, bc);
  sp_model x = m;
  sp_verdict v;
  x.beta = b.hi * (1.0 - 1e-9);
  sp_recommend_verdict(&x, NULL, 0.99, &v);
  int below = v.frozen_layers == 0;
  x.beta = b.hi * (1.0 + 1e-9);
  sp_recommend_verdict(&x, NULL, 0.99, &v);
  tap_ok(below && v.frozen_layers > 0 && v.first_frozen > 1,
         "frozen just above the edge (first at block %ld), not below", v.first_frozen);
  sp_recommend_entropy_edge(&m, NULL, 1e-12, &e);
  tap_close(e, b.hi, 1e-10, "sp_recommend_entropy_edge agrees");

  m = tu_model("--attention uniform --alpha-sa 5.0 --alpha-mlp 5.0");
  sp_recommend_entropy_edge(&m, NULL, 1e-12, &e);
  tap_ok(isinf(e), "uniform attention: no entropy edge");
  s = sp_recommend_trainable_beta(&m, NULL, 0.9, 1e-12, &b, &runs);
  tap_ok(s == SP_OK && b.hi_edge == SP_EDGE_RANGE && b.hi == 10.0,
         "uniform attention: trainable over the whole searched range");
  tap_ok(sp_recommend_trainable_beta(&m, NULL, 0.9, 0.0, &b, &runs) == SP_EDOM, "xtol 0 rejected");
}

static void gains(void)
{
  sp_model m;
  sp_model_default(&m);
  double g, r;
  /* Agrees with sp_critical_rho on alpha-sa. */
  int s = sp_recommend_critical_gain(&m, NULL, SP_GAIN_ALPHA_SA, 0.9, 1e-12, &g);
  sp_critical_rho(&m, NULL, sp_param_lookup("alpha-sa"), 0.9, 0.0, 100.0, 1e-12, &r);
  tap_ok(s == SP_OK, "critical alpha-sa of the defaults");
  tap_close(g, r, 1e-10, "= sp_critical_rho (%.10f)", r);
  /* Both skips at once need less than alpha-sa alone. */
  double both;
  sp_recommend_critical_gain(&m, NULL, SP_GAIN_ALPHA, 0.9, 1e-12, &both);
  sp_model x = m;
  x.alpha_sa = x.alpha_mlp = both;
  sp_summary sum;
  sp_propagate_summary(&x, NULL, &sum);
  tap_close(sum.rho_final, 0.9, 1e-9, "alpha (both) %.6f puts rho_L at rho_max", both);
  tap_ok(both < g, "both skips: %.4f < alpha-sa alone %.4f", both, g);
  /* Branch gain in a post-LN block: the critical branch gain is 1/alpha_c
   * (LN removes the overall scale: LN(x + g f) = LN(x/g + f)). */
  double gb;
  s = sp_recommend_critical_gain(&m, NULL, SP_GAIN_BRANCH, 0.9, 1e-13, &gb);
  tap_ok(s == SP_OK, "critical branch gain of the defaults");
  tap_close(gb, 1.0 / both, 1e-9, "post-LN: gamma_c = 1/alpha_c (%.6f)", gb);
  /* No gain works: the MLP alone collapses when only alpha-sa is tuned. */
  m = tu_model("--alpha-mlp 0.3 --var-w 2.0 --depth 200");
  s = sp_recommend_critical_gain(&m, NULL, SP_GAIN_ALPHA_SA, 0.9, 1e-10, &g);
  tap_ok(s == SP_ENOROOT && isnan(g), "no alpha-sa avoids an MLP-driven collapse");
  /* Every branch gain works: centred attention passes nothing below beta_c. */
  attention_only(&m);
  m.attention = SP_ATTN_CENTRED;
  s = sp_recommend_critical_gain(&m, NULL, SP_GAIN_BRANCH_SA, 0.9, 1e-10, &g);
  tap_ok(s == SP_OK && isinf(g), "centred attention: every branch gain works");
  /* ... and every positive skip gain; alpha = 0 leaves a zero stream. */
  s = sp_recommend_critical_gain(&m, NULL, SP_GAIN_ALPHA_SA, 0.9, 1e-10, &g);
  tap_ok(s == SP_OK && g > 0.0 && g <= 4.0 / SP_RECOMMEND_SCAN,
         "centred attention: the smallest skip gain is the first positive point (%g)", g);
  /* Input already collapsed beyond rho_max: no branch gain helps. */
  sp_model_default(&m);
  m.rho0 = 0.95;
  s = sp_recommend_critical_gain(&m, NULL, SP_GAIN_BRANCH, 0.9, 1e-10, &g);
  tap_ok(s == SP_ENOROOT, "rho0 > rho_max: no branch gain");
  /* A skip gain of 0 can be enough: without the skip a post-LN block is
   * LN(f(x)), and frozen attention keeps tokens apart,
   * rho' = rho / ((1 - rho) Y2 + rho) (theory.md §3). */
  attention_only(&m);
  tu_model_set(&m, "--beta 100.0 --depth 1 --rho0 0.025");
  s = sp_recommend_critical_gain(&m, NULL, SP_GAIN_ALPHA_SA, 0.9, 1e-10, &g);
  tap_ok(s == SP_OK && g == 0.0, "frozen attention alone keeps rho_1 small: alpha_c = 0");
  /* Pre-LN: a skip gain alpha > 1 grows the stream like alpha^(4L); the
   * search must stop widening where it overflows and look below. */
  m = tu_model("--norm pre --beta 1.19 --depth 200");
  s = sp_recommend_critical_gain(&m, NULL, SP_GAIN_ALPHA, 0.9, 1e-12, &g);
  tap_ok(s == SP_OK && g > 1.0 && g < 1.1, "pre-LN, L = 200: critical alpha %.6f, below the "
         "gains that overflow", g);
  x = m;
  x.alpha_sa = x.alpha_mlp = g;
  sp_propagate_summary(&x, NULL, &sum);
  tap_close(sum.rho_final, 0.9, 1e-9, "rho_L = rho_max there");
  x.alpha_sa = x.alpha_mlp = 4.0;
  tap_ok(sp_propagate_summary(&x, NULL, &sum) == SP_EOVERFLOW, "alpha = 4 overflows");
  tap_ok(sp_recommend_critical_gain(&m, NULL, (sp_gain)42, 0.9, 1e-10, &g) == SP_EINVAL,
                                    "bad gain");
  tap_ok(sp_recommend_critical_gain(&m, NULL, SP_GAIN_ALPHA, 0.9, -1.0, &g) == SP_EDOM, "bad xtol");
}

static void recommendations(void)
{
  sp_model m;
  sp_model_default(&m);
  sp_recommend_options o;
  sp_recommend_options_default(&o);
  tap_ok(o.rho_max == 0.9 && o.margin == 0.2 && o.gain == SP_GAIN_ALPHA, "default options");
  o.gain = SP_GAIN_ALPHA_SA;
  sp_recommendation r;
  tap_ok(sp_recommend(&m, NULL, &o, &r) == SP_OK, "recommend on the defaults");
  double ac;
  sp_recommend_critical_gain(&m, NULL, SP_GAIN_ALPHA_SA, 0.9, 1e-10, &ac);
  tap_ok(r.verdict.phase == SP_PHASE_RANK_COLLAPSE, "configuration: rank collapse");
  tap_close(r.gain_critical, ac, 1e-9, "critical alpha-sa %.6f", ac);
  tap_close(r.gain, 1.2 * ac, 1e-9, "recommended alpha-sa = 1.2 alpha_c");
  tap_ok(r.recommended.alpha_sa == r.gain && r.recommended.alpha_mlp == 1.0,
         "only alpha-sa changed");
  tap_ok(r.beta == 0.5 && r.recommended.beta == 0.5, "beta kept (below the edge)");
  tap_ok(r.rec_status == SP_OK && r.rec_verdict.phase == SP_PHASE_TRAINABLE,
         "recommended point trainable (rho_L = %.3f)", r.rec_verdict.rho_final);
  tap_ok(r.rec_beta_status == SP_OK && r.rec_beta_range.lo == 0.0, "trainable beta there");
  tap_ok(r.lambda_status == SP_OK && !r.lambda_fd && r.lambda_a < 0.0
         && fabs(r.xi_a + 1.0 / r.lambda_a) < 1e-12, "lambda_a closed form, xi_a = -1/lambda_a");
  tap_ok(r.beta_status == SP_ENOROOT, "no trainable beta at the configuration's gains");

  /* Entropy collapse: beta is brought below the edge by the margin. */
  m.beta = 3.0;
  sp_recommend(&m, NULL, &o, &r);
  double bc = sqrt(2.0 / (1.0 - 0.025));
  tap_ok(r.verdict.phase == SP_PHASE_ENTROPY_COLLAPSE, "beta = 3: entropy collapse");
  tap_close(r.beta, bc / 1.2, 1e-9, "recommended beta = beta_c/1.2 = %.6f", bc / 1.2);
  tap_ok(r.rec_verdict.phase == SP_PHASE_TRAINABLE, "and trainable there");
  tap_ok(r.first.qk_gradient > 0.0, "q/k gradient positive above beta_c");

  /* Already trainable with margin: nothing changes. */
  sp_model_default(&m);
  m.alpha_sa = 10.0;
  sp_recommend(&m, NULL, &o, &r);
  tap_ok(r.verdict.phase == SP_PHASE_TRAINABLE && r.gain == 10.0
         && r.recommended.alpha_sa == 10.0 && r.beta == 0.5, "trainable: kept as is");

  /* Branch gain: the recommended gain is critical/(1 + M) when lower. */
  sp_model_default(&m);
  o.gain = SP_GAIN_BRANCH;
  sp_recommend(&m, NULL, &o, &r);
  tap_close(r.gain, r.gain_critical / 1.2, 1e-12, "branch: gamma = gamma_c / 1.2");
  tap_ok(r.rec_verdict.phase == SP_PHASE_TRAINABLE, "branch recommendation trainable");
  /* Pre-LN: lambda_a from finite differences at the final stream. */
  m.norm = SP_NORM_PRE;
  sp_recommend(&m, NULL, &o, &r);
  tap_ok(r.lambda_status == SP_OK && r.lambda_fd && r.lambda_q == r.verdict.q_final,
         "pre-LN: lambda_a linearised at q_L = %.3f", r.lambda_q);

  /* No LayerNorm: a larger skip gain grows the stream, whose beta_c falls,
   * so beta must follow the edge at the new gain. */
  m = tu_model("--norm none --depth 20");
  o.gain = SP_GAIN_ALPHA;
  tap_ok(sp_recommend(&m, NULL, &o, &r) == SP_OK, "no-LN recommendation");
  double edge;
  sp_recommend_entropy_edge(&r.recommended, NULL, 1e-12, &edge);
  tap_ok(r.gain > 1.0 && r.beta < m.beta && r.beta <= edge / 1.2 * (1 + 1e-9)
         && r.rec_verdict.phase == SP_PHASE_TRAINABLE,
         "no-LN: alpha %.4f, beta %.3g below the edge %.3g at that gain / 1.2, trainable",
         r.gain, r.beta, edge);

  o.rho_max = 1.0;
  tap_ok(sp_recommend(&m, NULL, &o, &r) == SP_EDOM, "rho_max 1 rejected");
  o.rho_max = 0.9;
  o.margin = -0.1;
  tap_ok(sp_recommend(&m, NULL, &o, &r) == SP_EDOM, "negative margin rejected");
  o.margin = 0.2;
  m.depth = 0;
  tap_ok(sp_recommend(&m, NULL, &o, &r) == SP_EDOM, "invalid model rejected");
  tap_ok(sp_recommend(NULL, NULL, &o, &r) == SP_EINVAL, "NULL model");
}

/* The stream leaves the float16 range: never trainable. */
static void overflow(void)
{
  sp_model m = tu_model("--norm pre --alpha-sa 1.13 --alpha-mlp 1.13 --depth 37");
  sp_verdict v;
  int st = sp_recommend_verdict(&m, NULL, 0.9, &v);
  tap_ok(st == SP_OK && v.phase == SP_PHASE_OVERFLOW
           && v.q_final > SP_Q_MAX_FLOAT16 && isfinite(v.q_final) && v.overflow_block == 0,
         "pre-LN alpha 1.13, L 37: q_L = %.3g beyond float16: stream overflow", v.q_final);
  tap_ok(v.rho_final < 0.9, "though rho_L = %.3f is below rho_max", v.rho_final);
  m.depth = 11;
  sp_recommend_verdict(&m, NULL, 0.9, &v);
  tap_ok(v.phase == SP_PHASE_TRAINABLE && v.q_final <= SP_Q_MAX_FLOAT16,
         "L 11: q_L = %.3g inside it, trainable", v.q_final);
  m = tu_model("--norm none --alpha-sa 40.3 --depth 500");
  st = sp_recommend_verdict(&m, NULL, 0.9, &v);
  tap_ok(st == SP_OK && v.phase == SP_PHASE_OVERFLOW
           && isinf(v.q_final) && v.overflow_block > 1 && isfinite(v.rho_final),
         "no-LN alpha 40.3: the iteration overflows at block %ld: a verdict, not an error",
         v.overflow_block);
  /* Finite T: the statistics of a stream near DBL_MAX fail before the
   * iteration overflows; beyond the range that is an overflow too. */
  m.stats = SP_STATS_FINITE;
  m.depth = 100;
  sp_workspace *w;
  tu_workspace(&m, &w);
  st = sp_recommend_verdict(&m, w, 0.9, &v);
  tap_ok(st == SP_OK && v.phase == SP_PHASE_OVERFLOW && v.overflow_block > 1,
         "finite T, no-LN alpha 40.3: stream overflow at block %ld, not an error",
         v.overflow_block);
  sp_sensitivity sens;
  st = sp_sensitivity_depth(&m, w, 0.9, 200, &sens);
  tap_ok(st == SP_OK && sens.phase == SP_PHASE_OVERFLOW, "and for the depth sensitivity");
  sp_workspace_free(w);
  tap_ok(strcmp(sp_phase_name(SP_PHASE_OVERFLOW), "stream-overflow") == 0
           && strcmp(sp_edge_name(SP_EDGE_OVERFLOW), "stream-overflow") == 0,
         "overflow phase and edge names");
}

/* The pre-LN example: beta 2, L 200 tuned by the skip gain once
 * recommended alpha = 1.2 alpha_c, whose stream grows to q_L ~ 1e64. */
static void pre_ln_example(void)
{
  sp_model m = tu_model("--norm pre --beta 2.0 --depth 200");
  sp_recommend_options o;
  sp_recommend_options_default(&o);
  sp_recommendation r;
  tap_ok(sp_recommend(&m, NULL, &o, &r) == SP_OK, "pre-LN example: recommend");
  sp_model old = r.recommended;
  sp_gain_set(&old, SP_GAIN_ALPHA, 1.2 * r.gain_critical);
  sp_verdict v;
  sp_recommend_verdict(&old, NULL, 0.9, &v);
  tap_ok(v.phase == SP_PHASE_OVERFLOW && v.q_final > 1e60,
         "the old point alpha = 1.2 alpha_c = %.4f: q_L = %.3g, stream overflow, not trainable",
         1.2 * r.gain_critical, v.q_final);
  tap_ok(r.rec_status == SP_OK && r.rec_verdict.q_final <= SP_Q_MAX_FLOAT16,
         "the recommendation keeps q_L = %.4g in range", r.rec_verdict.q_final);
  tap_ok(isfinite(r.gain_overflow) && r.margin_squeezed && r.gain > r.gain_critical
           && r.gain < r.gain_overflow,
         "alpha_c %.5f < alpha %.5f < overflow gain %.5f, margin squeezed", r.gain_critical,
         r.gain, r.gain_overflow);
  tap_close(r.gain, sqrt(r.gain_critical * r.gain_overflow), 1e-12,
            "squeezed: the geometric mean of the two bounds");
  sp_model at = r.recommended;
  sp_gain_set(&at, SP_GAIN_ALPHA, r.gain_overflow * (1.0 + 1e-6));
  sp_recommend_verdict(&at, NULL, 0.9, &v);
  tap_ok(v.phase == SP_PHASE_OVERFLOW, "just above the overflow gain: overflow");
  sp_gain_set(&at, SP_GAIN_ALPHA, r.gain_overflow * (1.0 - 1e-6));
  sp_recommend_verdict(&at, NULL, 0.9, &v);
  tap_ok(v.phase != SP_PHASE_OVERFLOW, "just below: in range (q_L %.6g)", v.q_final);
  /* A branch gain below its rank bound keeps the stream in range: no cap. */
  m = tu_model("--norm none --attention uniform --branch-sa 1.73 --branch-mlp 1.73 --depth 61");
  o.gain = SP_GAIN_BRANCH;
  sp_recommend(&m, NULL, &o, &r);
  tap_ok(r.rec_status == SP_OK && r.rec_verdict.phase != SP_PHASE_OVERFLOW
           && isinf(r.gain_overflow) && !r.margin_squeezed && r.gain < 1.73,
         "no-LN branch gain lowered to %.4f: in range, no overflow gain", r.gain);
}

/* BERT-base (its preset, *p) with finite-T statistics (*m), and the
 * workspace prepared for it (the caller frees it). */
static sp_workspace *bert_finite(sp_preset *p, sp_model *m)
{
  sp_model_default(m);
  tap_ok(sp_preset_load("bert-base", p, NULL) == SP_OK, "bert-base preset");
  sp_preset_apply(p, m);
  m->stats = SP_STATS_FINITE;
  sp_workspace *w;
  tap_ok(tu_workspace(m, &w) == SP_OK, "bert-base finite-T workspace");
  return w;
}

/* BERT-base at its T = 512: finite-T statistics give a nonzero q/k
 * gradient, and the width term adds E[(1 - Y2)^2]/d to G. */
static void bert_gradient(void)
{
  sp_preset p;
  sp_model m;
  sp_workspace *w = bert_finite(&p, &m);
  sp_first_block fb;
  int st = sp_recommend_first_block(&m, w, 768, &fb);
  tap_ok(st == SP_OK, "block 1 at width 768");
  tap_ok(fb.qk_gradient > 0.0 && fb.qk_gradient_width > fb.qk_gradient,
         "finite-T q/k gradient %.4g > 0; with the width term %.4g", fb.qk_gradient,
         fb.qk_gradient_width);
  double want = sp_grad_wq_width(m.beta, m.var_v, fb.q, fb.p, fb.stats.g, fb.stats.y2,
                                 fb.stats.y2sq, 768);
  tap_close(fb.qk_gradient_width, want, 1e-18, "= sp_grad_wq_width");
  tap_close(fb.qk_floor, m.beta * m.var_v / 768.0, 1e-18, "floor beta sv q^3 / d (q = 1)");
  sp_recommend_first_block(&m, w, 0, &fb);
  tap_ok(fb.qk_gradient_width == fb.qk_gradient && isnan(fb.qk_floor) && fb.width == 0,
         "width 0: the infinite-width form");
  tap_ok(sp_recommend_first_block(&m, w, -1, &fb) == SP_EDOM, "negative width rejected");
  m.stats = SP_STATS_ASYMPTOTIC;
  sp_recommend_first_block(&m, w, 768, &fb);
  tap_ok(fb.qk_gradient == 0.0 && fb.qk_gradient_width > 0.0,
         "T -> infinity: G = 0 below beta_c, the width term alone %.3g", fb.qk_gradient_width);
  sp_workspace_free(w);
}

/* The framework form of preset p as --preset gives it (widths, stds, an
 * embedding LayerNorm as in BERT). */
static void stds_of_preset(const sp_preset *p, sp_stds *g)
{
  sp_modelopt *o = NULL;
  if (sp_modelopt_alloc(&o)) {
    printf("Bail out! out of memory\n");
    exit(1);
  }
  sp_modelopt_use_preset(o, p, 1);
  *g = *sp_modelopt_stds(o);
  sp_modelopt_free(o);
}

static sp_phase phase_of(const sp_model *m, const sp_workspace *w)
{
  sp_verdict v;
  return sp_recommend_verdict(m, w, 0.9, &v) ? (sp_phase)-1 : v.phase;
}

static void advice_bert(void)
{
  sp_preset p;
  sp_model m;
  sp_workspace *w = bert_finite(&p, &m);
  sp_stds g;
  stds_of_preset(&p, &g);
  sp_recommend_options o;
  sp_recommend_options_default(&o);
  sp_advice a;
  int st = sp_advice_eval(&m, w, &g, &o, &a);
  tap_ok(st == SP_OK, "advice on bert-base");
  tap_ok(a.pure_ok && a.primary_pure && a.flags == 0 && a.rec_flags == 0,
         "pure form trainable, no flags");
  const sp_stds *t = &a.pure_stds;
  tap_ok(t->q == 0.02 && t->k == 0.02 && t->v == 0.02 && t->o == 0.02 && t->ff_in == 0.02
           && t->ff_out == 0.02 && t->emb == 0.02 && t->skip_sa == 1.0,
         "already trainable: the table is the given 0.02 everywhere");
  tap_ok(a.pure.first.qk_gradient_width > 0.0, "nonzero q/k gradient %.3g",
         a.pure.first.qk_gradient_width);
  /* The std range: W_Q = W_K std just inside is trainable, just outside not. */
  sp_model x = a.pure.recommended;
  double hi = a.std_qk_hi;
  x.beta = 768.0 * hi * hi * (1.0 - 1e-6) / sqrt(log(512.0));
  sp_phase in = phase_of(&x, w);
  x.beta = 768.0 * hi * hi * (1.0 + 1e-6) / sqrt(log(512.0));
  tap_ok(in == SP_PHASE_TRAINABLE && phase_of(&x, w) != SP_PHASE_TRAINABLE,
         "std of W_Q, W_K up to %.5f trainable, above not", hi);
  tap_ok(a.std_qk_lo == 0.0, "down to 0");
  /* Sensitivity re-evaluated on either side. */
  const sp_sensitivity *s = &a.sens;
  tap_ok(!a.sens_rho0_status && !isnan(s->rho0_up) && s->phase_up == SP_PHASE_RANK_COLLAPSE,
         "rank collapse from rho0 = %.6f", s->rho0_up);
  x = m;
  x.rho0 = s->rho0_up - s->rho0_tol;
  in = phase_of(&x, w);
  x.rho0 = s->rho0_up + s->rho0_tol;
  tap_ok(in == SP_PHASE_TRAINABLE && phase_of(&x, w) == SP_PHASE_RANK_COLLAPSE,
         "trainable just below it, rank collapse just above");
  x = m;
  x.depth = s->depth_up - 1;
  in = phase_of(&x, w);
  x.depth = s->depth_up;
  tap_ok(!a.sens_depth_status && s->depth_up > 12 && in == SP_PHASE_TRAINABLE
           && phase_of(&x, w) == s->depth_phase_up,
         "trainable to L = %ld, %s at L = %ld", s->depth_up - 1,
         sp_phase_name(s->depth_phase_up), s->depth_up);
  /* Both recommendations' tables realise their models. */
  sp_model back = m;
  tap_ok(sp_stds_to_model(&a.code_stds, &back, NULL) == SP_OK
           && fabs(back.beta - a.code.recommended.beta) < 1e-14
           && back.alpha_sa == a.code.recommended.alpha_sa,
         "code-change table gives back its model");
  sp_workspace_free(w);
}

static void advice_flags(void)
{
  sp_model m;
  sp_model_default(&m);
  sp_stds g;
  sp_stds_init(&g);
  g.d_model = 611;
  g.d_ff = 2417;
  sp_recommend_options o;
  sp_recommend_options_default(&o);
  sp_advice a;
  m.rho0 = 0.99991;
  m.depth = 3;
  sp_advice_eval(&m, NULL, &g, &o, &a);
  tap_ok(a.flags & SP_FLAG_QK_VANISHING, "rho0 0.99991: q/k gradient %.3g vanishes (floor %.3g)",
         a.pure.first.qk_gradient_width, a.pure.first.qk_floor);
  m.rho0 = 0.0271;
  sp_advice_eval(&m, NULL, &g, &o, &a);
  tap_ok(!(a.flags & SP_FLAG_QK_VANISHING), "rho0 0.0271: it does not");
  m.beta = 1.537;
  m.rho0 = 0.163;
  m.depth = 7;
  m.alpha_sa = m.alpha_mlp = 2.71;
  sp_advice_eval(&m, NULL, &g, &o, &a);
  tap_ok(a.pure.verdict.phase == SP_PHASE_TRAINABLE && (a.flags & SP_FLAG_MARGIN_FLIP)
           && a.sens.rho0_down > 0.163 / 1.2,
         "entropy collapse below rho0 = %.4f, inside the margin of 0.163: flagged",
         a.sens.rho0_down);
  m.rho0 = 0.5;
  sp_advice_eval(&m, NULL, &g, &o, &a);
  tap_ok(!(a.flags & SP_FLAG_MARGIN_FLIP), "rho0 0.5 (beta_c = 2 > 1.2 beta): not flagged");
  m = tu_model("--norm none --alpha-sa 40.3 --depth 500");
  tap_ok(sp_advice_eval(&m, NULL, &g, &o, &a) == SP_OK, "advice on an overflowing stack");
  unsigned all = SP_FLAG_FLOAT16 | SP_FLAG_BFLOAT16 | SP_FLAG_OVERFLOW;
  tap_ok((a.flags & all) == all, "flags float16, bfloat16, overflow (%#x)", a.flags);
  m = tu_model("--norm pre --alpha-sa 1.13 --alpha-mlp 1.13 --depth 37");
  sp_advice_eval(&m, NULL, &g, &o, &a);
  tap_ok((a.flags & all) == SP_FLAG_FLOAT16, "pre-LN alpha 1.13: float16 only (%#x)", a.flags);
  tap_ok(!a.pure_ok && !a.primary_pure && a.code.rec_verdict.phase == SP_PHASE_TRAINABLE
           && !(a.rec_flags & all),
         "a branch gain cannot undo the skip gain's growth; the code change alpha %.4f can",
         a.code.gain);
  const char *names[] = {"float16-range", "bfloat16-range", "overflow", "qk-gradient-vanishing",
                         "margin-flip"};
  int ok = 1;
  for (int i = 0; i < SP_NFLAGS; i++)
    ok &= strcmp(sp_advice_flag_name(1u << i), names[i]) == 0;
  tap_ok(ok && strcmp(sp_advice_flag_name(3u), "?") == 0, "flag names");
  /* Without a width: no tables, no gradient flag. */
  g.d_model = 0;
  sp_advice_eval(&m, NULL, &g, &o, &a);
  tap_ok(isnan(a.pure_stds.q) && isnan(a.std_qk_hi) && !(a.flags & SP_FLAG_QK_VANISHING),
         "without d_model: no tables");
  g.d_model = -1;
  tap_ok(sp_advice_eval(&m, NULL, &g, &o, &a) == SP_EDOM, "negative d_model rejected");
  tap_ok(sp_advice_eval(NULL, NULL, &g, &o, &a) == SP_EINVAL && sp_advice_eval(&m, NULL, NULL, &o, &a)
           == SP_EINVAL, "NULL rejected");
  g.d_model = 611;
  o.rho_max = 1.5;
  tap_ok(sp_advice_eval(&m, NULL, &g, &o, &a) == SP_EDOM, "rho_max 1.5 rejected");
  sp_recommend_options_default(&o);
  o.width = -3;
  sp_recommendation r;
  tap_ok(sp_recommend(&m, NULL, &o, &r) == SP_EDOM, "sp_recommend: negative width rejected");
}

int main(void)
{
  gsl_set_error_handler_off();
  closed_forms();
  verdicts();
  first_block();
  beta_ranges();
  gains();
  recommendations();
  overflow();
  pre_ln_example();
  bert_gradient();
  advice_bert();
  advice_flags();
  return tap_done();
}
