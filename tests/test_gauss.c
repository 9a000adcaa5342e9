/* Gaussian expectations of the activations (theory.md §5): quadrature
 * against GSL's adaptive integration on random arguments, the gap near
 * c = 1, the post-LayerNorm MLP table, the maps' use of it, error paths.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"
#include "test_util.h"

#include <float.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_rng.h>

#define SEED 7331UL
/* Workspace size of the adaptive reference. */
#define LIMIT 2000

static gsl_integration_workspace *wi, *wo;

/* ---- adaptive reference: nested qagi over the shared-factor form ------ */

typedef struct {
  sp_activation act;
  double a, sw, b; /* u = sw w + b z */
  int deriv;       /* 0 phi, 1 phi', 2 phi phi'' (1-D), 3 phi^2 (1-D) */
  double w;
} ref;

static double fval(const ref *r, double u)
{
  switch (r->deriv) {
  case 0: return sp_activation_phi(r->act, r->a, u);
  case 1: return sp_activation_dphi(r->act, r->a, u);
  case 2: return sp_activation_phi(r->act, r->a, u) * sp_activation_d2phi(r->act, r->a, u);
  default: {
    double f = sp_activation_phi(r->act, r->a, u);
    return f * f;
  }
  }
}

static double inner_f(double z, void *p)
{
  ref *r = p;
  return exp(-0.5 * z * z) / sqrt(2.0 * M_PI) * fval(r, r->sw * r->w + r->b * z);
}

/* E_z f(sw w + b z); breakpoint at the kink of relu, if any. */
static double psi(void *arg, double w)
{
  ref *r = arg;
  r->w = w;
  gsl_function F = {inner_f, r};
  double v = 0.0, e, v2;
  if (r->act == SP_ACT_RELU && r->b > 0.0) {
    /* split at the kink z0 = -sw w / b */
    double z0 = -r->sw * w / r->b;
    gsl_integration_qagil(&F, z0, 1e-14, 1e-12, LIMIT, wi, &v, &e);
    gsl_integration_qagiu(&F, z0, 1e-14, 1e-12, LIMIT, wi, &v2, &e);
    return v + v2;
  }
  gsl_integration_qagi(&F, 1e-14, 1e-12, LIMIT, wi, &v, &e);
  return v;
}

/* E[f(u) f(v)], Var = q1, Cov = p1 */
static double ref_pair(sp_activation act, double a, double q1, double p1, int deriv)
{
  ref r = {act, a, sqrt(fabs(p1)), sqrt(q1 - fabs(p1)), deriv, 0.0};
  tu_outer o = {psi, &r, p1 < 0.0};
  gsl_function F = {tu_outer_f, &o};
  double v = 0.0, e;
  gsl_integration_qagi(&F, 1e-13, 1e-11, LIMIT, wo, &v, &e);
  return v;
}

typedef struct {
  ref r;
  double sd;
} x_ctx;

static double x_f(double z, void *p)
{
  x_ctx *c = p;
  double f = fval(&c->r, c->sd * z);
  if (c->r.deriv == 1)
    f *= f;
  return exp(-0.5 * z * z) / sqrt(2.0 * M_PI) * f;
}

/* E[g(x)], x = sqrt(q1) z, for g = phi^2 (deriv 3), phi'^2 (1), phi phi''
 * (2): adaptive on each half-line in z, split at the kink of relu (and
 * where the sharp part of a large-argument phi sits). */
static double ref_one(sp_activation act, double a, double q1, int deriv)
{
  x_ctx c = {{act, a, 0.0, 0.0, deriv, 0.0}, sqrt(q1)};
  gsl_function F = {x_f, &c};
  /* phi bends within |x| < 50, i.e. |z| < zs: integrate that part on a
   * finite interval, the rest on half-lines */
  double zs = fmin(1.0, 50.0 / c.sd), v[4] = {0}, e;
  gsl_integration_qags(&F, -zs, 0.0, 1e-15, 1e-12, LIMIT, wi, &v[0], &e);
  gsl_integration_qags(&F, 0.0, zs, 1e-15, 1e-12, LIMIT, wi, &v[1], &e);
  gsl_integration_qagil(&F, -zs, 1e-15, 1e-12, LIMIT, wi, &v[2], &e);
  gsl_integration_qagiu(&F, zs, 1e-15, 1e-12, LIMIT, wi, &v[3], &e);
  return v[0] + v[1] + v[2] + v[3];
}

/* ---- tests ------------------------------------------------------------ */

static void versus_reference(void)
{
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, SEED);
  const sp_activation acts[] = {SP_ACT_TANH, SP_ACT_GELU, SP_ACT_SILU, SP_ACT_ERF, SP_ACT_RELU};
  double worst[5] = {0};
  for (int i = 0; i < 5; i++) {
    sp_activation act = acts[i];
    int n = 0;
    for (int k = 0; k < 5; k++) {
      double q1 = exp(log(0.01) + gsl_rng_uniform(rng) * log(3000.0)); /* 0.01 .. 30 */
      double c = 2.0 * gsl_rng_uniform(rng) - 1.0;
      double a = act == SP_ACT_ERF ? 0.3 + 2.0 * gsl_rng_uniform(rng) : 1.0;
      sp_kernel kk;
      double d2, pp, fd;
      int s = sp_gauss_kernel(act, a, q1, c * q1, &kk);
      s |= sp_gauss_dphi2(act, a, q1, &d2);
      s |= sp_gauss_dphi_pair(act, a, q1, c * q1, &pp);
      s |= sp_gauss_phi_d2phi(act, a, q1, &fd);
      double want[5] = {ref_one(act, a, q1, 3), ref_pair(act, a, q1, c * q1, 0), 0.0,
                        ref_one(act, a, q1, 1), ref_pair(act, a, q1, c * q1, 1)};
      want[2] = want[0] - want[1];
      double got[5] = {kk.phi2, kk.phiphi, kk.gap, d2, pp};
      double e = 0.0;
      for (int j = 0; j < 5; j++)
        e = fmax(e, fabs(got[j] - want[j]) / fmax(1.0, fabs(want[0])));
      if (act != SP_ACT_RELU && act != SP_ACT_LINEAR) {
        double wfd = ref_one(act, a, q1, 2);
        e = fmax(e, fabs(fd - wfd) / fmax(1.0, fabs(want[0])));
      }
      worst[i] = fmax(worst[i], s ? INFINITY : e);
      n++;
    }
    tap_ok(worst[i] < 1e-9, "%s: E phi^2, E phi phi, gap, E phi'^2, E phi' phi', E phi phi'' "
           "at %d random (q1, c) in [0.01, 30] x [-1, 1] within %.1e of adaptive quadrature "
           "(relative to max(1, E phi^2))", sp_activation_name(act), n, worst[i]);
  }
  /* Large arguments take the sinh rule in one dimension. */
  double w1 = 0.0;
  const double qs[] = {50.0, 1e4, 1e8};
  for (int i = 0; i < 3; i++) {
    const sp_activation big[] = {SP_ACT_GELU, SP_ACT_SILU, SP_ACT_TANH};
    for (int j = 0; j < 3; j++) {
      double e2, d2;
      int s = sp_gauss_phi_moments(big[j], 1.0, qs[i], qs[i], &e2, NULL)
              | sp_gauss_dphi2(big[j], 1.0, qs[i], &d2);
      double r2 = ref_one(big[j], 1.0, qs[i], 3), rd = ref_one(big[j], 1.0, qs[i], 1);
      double e = s ? INFINITY : fmax(fabs(e2 / r2 - 1.0), fabs(d2 / rd - 1.0));
      if (e > 1e-9)
        tap_diag("%s q %g: E phi^2 %.15g (adaptive %.15g), E phi'^2 %.15g (adaptive %.15g)",
                 sp_activation_name(big[j]), qs[i], e2, r2, d2, rd);
      w1 = fmax(w1, e);
    }
  }
  tap_ok(w1 < 1e-9, "one-dimensional sinh rule at q = 50, 1e4, 1e8: relative error %.1e", w1);
  gsl_rng_free(rng);
}

/* Near c = 1 the gap must keep its relative accuracy: gap ~ (q1 - p1)
 * E[phi'(u)^2] (Price's theorem) up to O((1 - c)^2). */
static void gap_near_one(void)
{
  const sp_activation acts[] = {SP_ACT_TANH, SP_ACT_GELU, SP_ACT_SILU, SP_ACT_ERF, SP_ACT_RELU,
                                SP_ACT_LINEAR};
  for (int i = 0; i < 6; i++) {
    double q1 = 1.3, worst = 0.0, d2;
    sp_gauss_dphi2(acts[i], 1.0, q1, &d2);
    for (double eps = 1e-4; eps >= 1e-13; eps *= 0.01) {
      sp_kernel k;
      sp_gauss_kernel_d(acts[i], 1.0, q1, q1 * eps, &k);
      double lin = q1 * eps * d2;
      /* relu: 1 - f(c) = (1 - c) - (2 sqrt 2 / 3 pi)(1 - c)^{3/2} + ... */
      double corr = acts[i] == SP_ACT_RELU ? 0.5 * q1 * 2.0 * M_SQRT2 / (3.0 * M_PI) *
                                                 pow(eps, 1.5) : 0.0;
      double rel = fabs((k.gap + corr) / lin - 1.0);
      double allowed = acts[i] == SP_ACT_RELU ? 10.0 * eps : 10.0 * eps * q1;
      worst = fmax(worst, rel / fmax(allowed, 1e-9));
    }
    tap_ok(worst <= 1.0, "%s: gap at 1 - c = 1e-4 .. 1e-12 follows (q1 - p1) E[phi'^2] to "
           "O(1 - c) (worst ratio to allowance %.2f)", sp_activation_name(acts[i]), worst);
  }
}

static void derivatives(void)
{
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, SEED + 1);
  double worst = 0.0;
  for (int act = 0; act < SP_NACT; act++) {
    for (int k = 0; k < 20; k++) {
      double u = 8.0 * gsl_rng_uniform(rng) - 4.0, h = 1e-5, a = 0.7;
      if (act == SP_ACT_RELU && fabs(u) < 1e-3)
        continue;
      double d1 = (sp_activation_phi(act, a, u + h) - sp_activation_phi(act, a, u - h)) / (2 * h);
      double d2 = (sp_activation_dphi(act, a, u + h) - sp_activation_dphi(act, a, u - h)) / (2 * h);
      worst = fmax(worst, fabs(d1 - sp_activation_dphi(act, a, u)));
      worst = fmax(worst, fabs(d2 - sp_activation_d2phi(act, a, u)));
    }
  }
  tap_ok(worst < 1e-8, "phi' and phi'' match central differences (worst %.1e)", worst);
  tap_ok(isnan(sp_activation_d2phi((sp_activation)42, 1.0, 0.0)), "unknown activation: NaN");
  gsl_rng_free(rng);
}

static void mlp_table(void)
{
  const sp_activation acts[] = {SP_ACT_TANH, SP_ACT_GELU, SP_ACT_SILU};
  const double sws[] = {0.2, 1.0, 4.0, 9.7};
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, SEED + 2);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 4; j++) {
      double sw = sws[j], sb = 0.05, worst_abs = 0.0, worst_rel = 0.0;
      int st;
      sp_mlp_table *t = NULL;
      st = sp_mlp_table_alloc(acts[i], 1.0, sw, 1.3 * sw, sb, &t);
      if (!t) {
        tap_ok(0, "table %s sw %g: status %d", sp_activation_name(acts[i]), sw, st);
        continue;
      }
      for (int k = 0; k < 40; k++) {
        /* half uniform on [-1, 1], half log-uniform close to 1 */
        double c = k & 1 ? 1.0 - pow(10.0, -12.0 * gsl_rng_uniform(rng))
                         : 2.0 * gsl_rng_uniform(rng) - 1.0;
        double qf, pf;
        sp_kernel kk;
        st = sp_mlp_table_eval(t, c, &qf, &pf);
        st |= sp_gauss_kernel_d(acts[i], 1.0, sw + sb, sw * (1.0 - c), &kk);
        double qd = 1.3 * sw * kk.phi2 + sb, gd = 1.3 * sw * kk.gap;
        worst_abs = fmax(worst_abs, st ? INFINITY : fabs(pf - (qd - gd)) / qd + fabs(qf - qd) / qd);
        /* p_f is a double next to q_f: the gap it carries is exact only to
         * a few ulps of q_f. */
        if (gd > 0.0)
          worst_rel = fmax(worst_rel, fabs((qf - pf) - gd) / (gd + 1e6 * DBL_EPSILON * qf));
      }
      tap_ok(worst_abs < 1e-7 && worst_rel < 1e-6, "MLP table %s sw_in %g sw_out %g: p_f "
             "error %.1e of q_f, q_f - p_f relative error %.1e (80 random c, half near 1)",
             sp_activation_name(acts[i]), sw, 1.3 * sw, worst_abs, worst_rel);
      sp_mlp_table_free(t);
    }
  gsl_rng_free(rng);
}

/* The table's moments E[phi^2], E[phi'^2] (Hermite sums up to q_1 = 16,
 * quadrature above) against the one-dimensional quadrature, on both sides
 * of the switch. */
static void mlp_table_moments(void)
{
  const sp_activation acts[] = {SP_ACT_TANH, SP_ACT_GELU, SP_ACT_SILU};
  const double sws[] = {0.0137, 0.61, 2.3, 7.9, 15.93, 16.07, 27.0};
  for (int i = 0; i < 3; i++) {
    double worst = 0.0;
    for (int j = 0; j < 7; j++) {
      int st;
      double sb = 0.03, e2, d2, r2, rd;
      sp_mlp_table *t = NULL;
      st = sp_mlp_table_alloc(acts[i], 1.0, sws[j], 0.7 * sws[j], sb, &t);
      st |= sp_mlp_table_moments(t, &e2, &d2);
      st |= sp_gauss_phi_moments(acts[i], 1.0, sws[j] + sb, sws[j] + sb, &r2, NULL);
      st |= sp_gauss_dphi2(acts[i], 1.0, sws[j] + sb, &rd);
      worst = fmax(worst, st ? INFINITY : fmax(fabs(e2 / r2 - 1.0), fabs(d2 / rd - 1.0)));
      sp_mlp_table_free(t);
    }
    tap_ok(worst < 1e-10, "%s: table moments E phi^2, E phi'^2 at q_1 = 0.04 .. 27 (Hermite "
           "sums and quadrature) within %.1e of the 1-D quadrature", sp_activation_name(acts[i]),
           worst);
  }
}

/* The maps read the table when the workspace has one and q = 1. */
static void maps_use_table(void)
{
  sp_model m = tu_model("--activation tanh --var-w 1.2 --var-b 0.05");
  tap_ok(sp_workspace_needed(&m), "tanh needs a workspace");
  sp_workspace *w;
  int s = tu_workspace(&m, &w);
  tap_ok(s == SP_OK, "prepare for tanh");
  double worst = 0.0;
  for (double c = -0.9; c < 1.0; c += 0.237) {
    double q1, p1, q2, p2;
    sp_maps_mlp(&m, w, 1.0, c, &q1, &p1);
    sp_maps_mlp(&m, NULL, 1.0, c, &q2, &p2);
    worst = fmax(worst, fabs(q1 - q2) + fabs(p1 - p2));
  }
  tap_ok(worst < 1e-8, "sp_maps_mlp: table and direct quadrature agree (%.1e)", worst);
  /* a different variance: no table, direct quadrature, still right */
  sp_model m2 = m;
  m2.var_w_in = 0.7;
  double q1, p1, q2, p2;
  s = sp_maps_mlp(&m2, w, 1.0, 0.3, &q1, &p1);
  sp_maps_mlp(&m2, NULL, 1.0, 0.3, &q2, &p2);
  tap_ok(s == SP_OK && q1 == q2 && p1 == p2, "model without a table: direct quadrature");
  /* q != 1 (no LayerNorm): direct */
  m.norm = SP_NORM_NONE;
  s = sp_maps_mlp(&m, w, 2.0, 0.5, &q1, &p1);
  sp_maps_mlp(&m, NULL, 2.0, 0.5, &q2, &p2);
  tap_ok(s == SP_OK && q1 == q2 && p1 == p2, "q != 1: direct quadrature");
  /* the cache keeps SP_WORKSPACE_CACHE_MLP tables; older ones are rebuilt
   * (silu at a small variance: the cheapest tables) */
  m.norm = SP_NORM_POST;
  sp_model keep = m;
  m.activation = SP_ACT_SILU;
  m.var_w_in = m.var_w_out = 0.05;
  int ok = 1;
  for (int k = 0; k < SP_WORKSPACE_CACHE_MLP + 3; k++) {
    m.var_b = 0.001 * (k + 1);
    ok &= sp_workspace_prepare(w, &m) == SP_OK;
  }
  m.var_b = 0.001;
  ok &= sp_workspace_prepare(w, &m) == SP_OK;
  sp_maps_mlp(&m, w, 1.0, 0.5, &q1, &p1);
  sp_maps_mlp(&m, NULL, 1.0, 0.5, &q2, &p2);
  tap_ok(ok && fabs(p1 - p2) < 1e-8, "cache of %d MLP tables: evicted one rebuilt",
         SP_WORKSPACE_CACHE_MLP);
  m = keep;
  /* propagate through a tanh post-LN stack with the table vs direct */
  m.var_b = 0.05;
  m.depth = 30;
  sp_workspace_prepare(w, &m);
  sp_summary a, b;
  sp_propagate_summary(&m, w, &a);
  sp_workspace *empty = NULL;
  sp_workspace_alloc(&empty);
  tap_ok(sp_workspace_alloc(NULL) == SP_EINVAL, "workspace without a place for it: SP_EINVAL");
  sp_propagate_summary(&m, empty, &b);
  tap_ok(fabs(a.rho_final - b.rho_final) < 1e-8 && fabs(log((1 - a.rho_final) /
         (1 - b.rho_final))) < 1e-6, "30 tanh blocks: table vs direct rho_L %.12f / %.12f",
         a.rho_final, b.rho_final);
  double la, lf, err;
  sp_propagate_angle_exponent(&m, w, &la);
  sp_propagate_angle_exponent_fd(&m, w, &lf, &err);
  tap_close(la, lf, 1e-5, "tanh lambda_a closed form %.8f = finite differences %.8f", la, lf);
  sp_workspace_free(empty);
  sp_workspace_free(w);
}

static void errors(void)
{
  sp_kernel k;
  double e;
  tap_ok(sp_gauss_kernel(SP_ACT_TANH, 1.0, -1.0, 0.0, &k) == SP_EDOM, "kernel: q1 < 0");
  tap_ok(sp_gauss_kernel(SP_ACT_TANH, 1.0, 1.0, 1.5, &k) == SP_EDOM, "kernel: p1 > q1");
  tap_ok(sp_gauss_kernel(SP_ACT_GELU, 1.0, NAN, 0.0, &k) == SP_EDOM, "kernel: NaN");
  tap_ok(sp_gauss_kernel(SP_ACT_GELU, 1.0, 1.0, INFINITY, &k) == SP_EDOM, "kernel: inf");
  tap_ok(sp_gauss_kernel((sp_activation)42, 1.0, 1.0, 0.5, &k) == SP_EINVAL, "kernel: unknown");
  tap_ok(sp_gauss_kernel(SP_ACT_TANH, 1.0, 1.0, 0.5, NULL) == SP_EINVAL, "kernel: NULL");
  tap_ok(sp_gauss_kernel(SP_ACT_SILU, 1.0, 1.0, 1.0 + 1e-16, &k) == SP_OK && k.gap == 0.0,
         "kernel: p1 a rounding above q1 is clamped");
  tap_ok(sp_gauss_kernel(SP_ACT_TANH, 1.0, 0.0, 0.0, &k) == SP_OK && k.phi2 == 0.0,
         "kernel: q1 = 0");
  tap_ok(sp_gauss_dphi2(SP_ACT_TANH, 1.0, -1.0, &e) == SP_EDOM
         && sp_gauss_dphi2((sp_activation)42, 1.0, 1.0, &e) == SP_EINVAL
         && sp_gauss_dphi2(SP_ACT_TANH, 1.0, 1.0, NULL) == SP_EDOM, "dphi2 errors");
  tap_ok(sp_gauss_dphi_pair(SP_ACT_TANH, 1.0, 1.0, 2.0, &e) == SP_EDOM
         && sp_gauss_dphi_pair(SP_ACT_TANH, 1.0, 1.0, 0.5, NULL) == SP_EINVAL
         && sp_gauss_dphi_pair((sp_activation)42, 1.0, 1.0, 0.5, &e) == SP_EINVAL,
         "dphi_pair errors");
  tap_ok(sp_gauss_phi_d2phi(SP_ACT_TANH, 1.0, -2.0, &e) == SP_EDOM
         && sp_gauss_phi_d2phi(SP_ACT_TANH, 1.0, 1.0, NULL) == SP_EINVAL
         && sp_gauss_phi_d2phi((sp_activation)42, 1.0, 1.0, &e) == SP_EINVAL,
         "phi_d2phi errors");
  int s = 0;
  sp_mlp_table *t = (sp_mlp_table *)&s;
  tap_ok(sp_mlp_table_alloc(SP_ACT_TANH, 1.0, -1.0, 1.0, 0.0, &t) == SP_EDOM && !t,
         "table: negative variance (and *out NULL)");
  tap_ok(sp_mlp_table_alloc(SP_ACT_TANH, 1.0, 0.0, 1.0, 0.0, &t) == SP_EDOM, "table: q_1 = 0");
  tap_ok(sp_mlp_table_alloc((sp_activation)42, 1.0, 1.0, 1.0, 0.0, &t) == SP_EINVAL,
         "table: unknown activation");
  tap_ok(sp_mlp_table_alloc(SP_ACT_ERF, 0.0, 1.0, 1.0, 0.0, &t) == SP_EDOM, "table: erf scale 0");
  tap_ok(sp_mlp_table_alloc(SP_ACT_GELU, 1.0, 1.0, 1.0, 0.0, NULL) == SP_EINVAL,
         "table: NULL out");
  s = sp_mlp_table_alloc(SP_ACT_GELU, 1.0, 1.0, 1.0, 0.0, &t);
  double qf, pf;
  tap_ok(sp_mlp_table_eval(t, 1.5, &qf, &pf) == SP_EDOM && sp_mlp_table_eval(t, NAN, &qf, &pf)
         == SP_EDOM && sp_mlp_table_eval(NULL, 0.0, &qf, &pf) == SP_EINVAL
         && sp_mlp_table_eval(t, 1.0 + 1e-14, &qf, &pf) == SP_OK && fabs(pf - qf) < 1e-15,
         "table eval errors; c a rounding above 1 is 1");
  tap_ok(sp_mlp_table_moments(NULL, &qf, &pf) == SP_EINVAL, "table moments: NULL table");
  tap_ok(sp_mlp_table_moments(t, NULL, NULL) == SP_OK, "table moments: NULL outputs");
  tap_ok(sp_mlp_table_matches(t, SP_ACT_GELU, 5.0, 1.0, 1.0, 0.0)
         && !sp_mlp_table_matches(t, SP_ACT_GELU, 1.0, 1.0, 1.0, 0.1)
         && !sp_mlp_table_matches(NULL, SP_ACT_GELU, 1.0, 1.0, 1.0, 0.0),
         "table matching ignores the erf scale except for erf");
  sp_mlp_table_free(t);
  sp_mlp_table_free(NULL);
  sp_workspace_free(NULL);
  sp_model m;
  sp_model_default(&m);
  sp_workspace *w = NULL;
  sp_workspace_alloc(&w);
  tap_ok(sp_workspace_prepare(NULL, &m) == SP_EINVAL && sp_workspace_prepare(w, NULL) == SP_EINVAL,
         "prepare: NULL");
  m.var_v = -1.0;
  tap_ok(sp_workspace_prepare(w, &m) == SP_EDOM, "prepare: invalid model");
  sp_workspace_free(w);
}

int main(void)
{
  gsl_set_error_handler_off();
  wi = gsl_integration_workspace_alloc(LIMIT);
  wo = gsl_integration_workspace_alloc(LIMIT);
  versus_reference();
  gap_near_one();
  derivatives();
  mlp_table();
  mlp_table_moments();
  maps_use_table();
  errors();
  gsl_integration_workspace_free(wi);
  gsl_integration_workspace_free(wo);
  return tap_done();
}
