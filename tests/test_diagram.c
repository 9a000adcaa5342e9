/* Tests of the diagram module: classification, curves, thread-count
 * invariance, agreement of alpha_c with sp_critical_rho and theory.md §7.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"
#include "test_util.h"

#include <gsl/gsl_errno.h>

static sp_axis axis(const char *name, double lo, double hi, size_t n)
{
  sp_axis a = {sp_param_lookup(name), lo, hi, n, SP_SPACING_LINEAR};
  return a;
}

/* What diagram `d` holds. */
static const sp_diagram_data *view(const sp_diagram *d)
{
  return sp_diagram_view(d);
}

static sp_diagram *make(const sp_model *m, sp_axis x, sp_axis y, const sp_diagram_options *o)
{
  sp_diagram *d;
  int s = tu_diagram_run(m, &x, &y, o, 1, &d);
  if (s) {
    printf("Bail out! diagram failed: %s\n", sp_strerror(s));
    exit(99);
  }
  return d;
}

static const sp_diagram_point *at(const sp_diagram *d, size_t i, size_t j)
{
  return &view(d)->pt[j * view(d)->nx + i];
}

/* Largest |f(vertex) - level| over the vertices of c; with `inner`, not
 * counting the ends of open lines (where clipping cut them). */
static double curve_residual(sp_diagram *d, const sp_contour *c, int rho, int inner)
{
  double e = 0.0;
  for (size_t i = 0; i < c->n; i++)
    for (size_t k = 0; k < c->lines[i].n; k++) {
      if (inner && !c->lines[i].closed && (k == 0 || k + 1 == c->lines[i].n))
        continue;
      sp_diagram_point p;
      sp_diagram_eval(d, c->lines[i].x[k], c->lines[i].y[k], &p);
      double r = rho ? p.rho_final - view(d)->opt.rho_max : p.beta_ratio - 1.0;
      e = fmax(e, fabs(r));
    }
  return e;
}

static void test_classes(void)
{
  sp_model m;
  sp_model_default(&m);
  m.depth = 60;
  sp_diagram *d = make(&m, axis("beta", 0.0, 5.0, 21), axis("alpha-sa", 0.0, 5.0, 21), NULL);
  /* Every point equals what sp_propagate_summary gives for its model. */
  int same = 1;
  for (size_t j = 0; j < view(d)->ny; j++)
    for (size_t i = 0; i < view(d)->nx; i++) {
      const sp_diagram_point *p = at(d, i, j);
      sp_model mm = m;
      mm.beta = p->x;
      mm.alpha_sa = p->y;
      sp_summary s;
      if (sp_propagate_summary(&mm, NULL, &s) != SP_OK)
        same = 0;
      same &= s.rho_final == p->rho_final && s.frozen_layers == p->frozen_layers;
      same &= (isnan(s.y2_first) && isnan(p->y2_first)) || s.y2_first == p->y2_first;
      same &= s.y2_max == p->y2_max;
      double la;
      sp_propagate_angle_exponent(&mm, NULL, &la);
      same &= la == p->lambda_a || (isinf(la) && isinf(p->lambda_a));
    }
  tap_ok(same, "every grid point matches sp_propagate_summary and sp_propagate_angle_exponent");

  /* Reference cases, depth 60, rho0 0.025: beta_c(rho0) = sqrt(2/0.975). */
  const sp_diagram_point *p = at(d, 2, 4); /* beta 0.5, alpha 1 */
  tap_ok(p->cls == SP_CLASS_RANK_COLLAPSE && p->rho_final >= 0.9 && p->frozen_layers == 0,
         "beta 0.5, alpha_SA 1: rank-collapse (rho_L = %.4f)", p->rho_final);
  p = at(d, 2, 20); /* beta 0.5, alpha 5 */
  tap_ok(p->cls == SP_CLASS_TRAINABLE && p->rho_final < 0.9,
         "beta 0.5, alpha_SA 5: trainable (rho_L = %.4f)", p->rho_final);
  p = at(d, 12, 20); /* beta 3, alpha 5 */
  tap_ok(p->cls == SP_CLASS_ENTROPY_COLLAPSE && p->frozen_layers >= 1,
         "beta 3: entropy-collapse (%ld frozen blocks)", p->frozen_layers);
  tap_close(p->y2_first, 1.0 - sqrt(2.0 / 0.975) / 3.0, 1e-15,
            "beta 3: first block E Y2 = 1 - beta_c/beta (theory.md §3)");
  p = at(d, 0, 0); /* beta 0, alpha 0: attention output only */
  tap_ok(p->cls == SP_CLASS_RANK_COLLAPSE && isinf(p->lambda_a) && p->lambda_a < 0,
         "alpha_SA 0: rank-collapse with lambda_a = -inf");
  size_t total = 0;
  for (int c = 0; c < SP_NCLASS; c++)
    total += view(d)->count[c];
  tap_ok(total == 21 * 21 && view(d)->count[SP_CLASS_UNDEFINED] == 0, "class counts add up");

  /* Curves: the contours sit on the exact level of the recomputed fields. */
  tap_ok(view(d)->entropy.n == 1, "one entropy-collapse boundary");
  double e = curve_residual(d, &view(d)->entropy, 0, 0);
  tap_ok(e < 1e-9, "entropy boundary vertices have beta/beta_c = 1 (max dev %.2g)", e);
  tap_ok(view(d)->rank.n == 1, "one rank-collapse boundary");
  e = curve_residual(d, &view(d)->rank, 1, 1);
  tap_ok(e < 1e-9, "rank boundary vertices have rho_L = 0.9 (max dev %.2g)", e);
  /* Where the clip cuts it, the end lies on the chord between two vertices. */
  e = curve_residual(d, &view(d)->rank, 1, 0);
  tap_ok(e < 1e-3, "rank boundary ends within 1e-3 of rho_L = 0.9 (max dev %.2g)", e);
  int clipped = 1;
  for (size_t k = 0; view(d)->rank.n && k < view(d)->rank.lines[0].n; k++)
    clipped &= view(d)->rank.lines[0].x[k] <= sqrt(2.0 / 0.975) + 1e-9;
  tap_ok(clipped, "rank boundary stops at the entropy-collapse region");
  tap_ok(view(d)->beta_c.n == 1 && fabs(view(d)->beta_c.lines[0].x[0] - sqrt(2.0 / 0.975)) < 1e-15
         && view(d)->beta_c.lines[0].y[0] == 0.0 && view(d)->beta_c.lines[0].y[view(d)->beta_c.lines[0].n - 1] == 5.0,
         "beta_c(rho0) overlay: the line beta = sqrt(2/(1 - rho0)) across the plot");
  tap_ok(view(d)->lambda0.n == 0, "no lambda_a = 0 curve for a ReLU MLP (lambda_a < 0 everywhere)");
  sp_diagram_free(d);

  /* --y2-max replaces the frozen criterion by E Y2 >= V. */
  sp_diagram_options o;
  sp_diagram_options_default(&o);
  o.y2_max = 0.5;
  d = make(&m, axis("beta", 1.0, 5.0, 9), axis("alpha-sa", 3.0, 5.0, 3), &o);
  int ok = 1;
  for (size_t j = 0; j < view(d)->ny; j++)
    for (size_t i = 0; i < view(d)->nx; i++) {
      p = at(d, i, j);
      int ent = p->y2_max >= 0.5;
      ok &= (p->cls == SP_CLASS_ENTROPY_COLLAPSE) == ent;
    }
  p = at(d, 1, 2); /* beta 1.5: frozen, E Y2 ~ 0.05 < 0.5 */
  ok &= p->frozen_layers > 0 && p->cls != SP_CLASS_ENTROPY_COLLAPSE;
  tap_ok(ok, "y2-max 0.5: entropy-collapse iff the largest E Y2 >= 0.5, not when merely frozen");
  sp_diagram_free(d);

  /* Uniform attention never freezes. */
  m.attention = SP_ATTN_UNIFORM;
  d = make(&m, axis("beta", 0.0, 5.0, 6), axis("alpha-sa", 0.0, 5.0, 6), NULL);
  tap_ok(view(d)->count[SP_CLASS_ENTROPY_COLLAPSE] == 0 && view(d)->entropy.n == 0 && view(d)->beta_c.n == 0,
         "uniform attention: no entropy collapse, no beta_c overlay");
  sp_diagram_free(d);
}

/* theory.md §7: attention-only post-LN without bias below beta_c has
 * u_L = (a^2/(a^2 + sv))^L u_0 with u = (1 - rho)/rho, so
 * alpha_c^2 = sv / ((u_0/u_max)^(1/L) - 1). */
static void test_alpha_c(void)
{
  sp_model m = tu_model("--depth 60 --mlp none --var-b 0.0");
  sp_diagram *d = make(&m, axis("beta", 0.0, 1.2, 13), axis("alpha-sa", 0.0, 5.0, 41), NULL);
  double u0 = (1.0 - m.rho0) / m.rho0, umax = (1.0 - 0.9) / 0.9;
  double want = sqrt(m.var_v / (pow(u0 / umax, 1.0 / (double)m.depth) - 1.0));
  double e = 0.0;
  size_t nv = 0;
  for (size_t i = 0; i < view(d)->alpha_c.n; i++)
    for (size_t k = 0; k < view(d)->alpha_c.lines[i].n; k++, nv++)
      e = fmax(e, fabs(view(d)->alpha_c.lines[i].y[k] - want));
  tap_ok(view(d)->alpha_c.n == 1 && nv == 13 && e < 1e-9,
         "attention-only alpha_c(L = 60) = %.10f at every beta < beta_c (max dev %.2g)", want, e);
  sp_diagram_free(d);

  /* Full block (ReLU MLP): alpha_c agrees with sp_critical_rho. */
  sp_model_default(&m);
  m.depth = 60;
  d = make(&m, axis("beta", 0.0, 5.0, 11), axis("alpha-sa", 0.0, 5.0, 21), NULL);
  const sp_param *asa = sp_param_lookup("alpha-sa");
  e = 0.0;
  nv = 0;
  int ok = view(d)->alpha_axis == asa && view(d)->alpha_c.n >= 1;
  for (size_t i = 0; i < view(d)->alpha_c.n; i++)
    for (size_t k = 0; k < view(d)->alpha_c.lines[i].n; k++, nv++) {
      sp_model mm = m;
      mm.beta = view(d)->alpha_c.lines[i].x[k];
      double root;
      ok &= sp_critical_rho(&mm, NULL, asa, 0.9, 0.0, 5.0, 1e-10, &root) == SP_OK;
      e = fmax(e, fabs(root - view(d)->alpha_c.lines[i].y[k]));
    }
  tap_ok(ok && nv == 11 && e < 1e-6,
         "alpha_c(beta) agrees with sp_critical_rho to 1e-6 at %zu betas (max dev %.2g)", nv, e);
  sp_diagram_free(d);
}

static int same_contour(const sp_contour *a, const sp_contour *b)
{
  if (a->n != b->n)
    return 0;
  for (size_t i = 0; i < a->n; i++) {
    const sp_polyline *p = &a->lines[i], *q = &b->lines[i];
    if (p->n != q->n || p->closed != q->closed || memcmp(p->x, q->x, p->n * sizeof *p->x)
        || memcmp(p->y, q->y, p->n * sizeof *p->y))
      return 0;
  }
  return 1;
}

static void test_threads(void)
{
  sp_model m;
  sp_model_default(&m);
  m.depth = 60;
  sp_diagram_options o = tu_diagram_options(1);
  sp_diagram *ref = make(&m, axis("beta", 0.0, 5.0, 37), axis("alpha-sa", 0.0, 5.0, 29), &o);
  static const unsigned counts[] = {2, 3, 8, 0};
  for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
    o.threads = counts[k];
    sp_diagram *d = make(&m, axis("beta", 0.0, 5.0, 37), axis("alpha-sa", 0.0, 5.0, 29), &o);
    int same = memcmp(view(ref)->pt, view(d)->pt, view(d)->nx * view(d)->ny * sizeof *view(d)->pt) == 0;
    same &= same_contour(&view(ref)->rank, &view(d)->rank) && same_contour(&view(ref)->entropy, &view(d)->entropy);
    same &= same_contour(&view(ref)->alpha_c, &view(d)->alpha_c) && same_contour(&view(ref)->beta_c, &view(d)->beta_c);
    tap_ok(same, "%u threads: points and curves bit-identical to 1 thread", counts[k]);
    sp_diagram_free(d);
  }
  sp_diagram_free(ref);
}

static void test_lambda0_and_axes(void)
{
  /* An erf MLP with large sigma_w^2 is chaotic: lambda_a changes sign. */
  sp_model m;
  sp_model_default(&m);
  m.depth = 20;
  m.activation = SP_ACT_ERF;
  sp_diagram *d = make(&m, axis("var-w", 0.5, 8.0, 16), axis("alpha-sa", 0.2, 5.0, 13), NULL);
  double e = 0.0;
  for (size_t i = 0; i < view(d)->lambda0.n; i++)
    for (size_t k = 0; k < view(d)->lambda0.lines[i].n; k++) {
      sp_model mm = m;
      mm.var_w_in = mm.var_w_out = view(d)->lambda0.lines[i].x[k];
      mm.alpha_sa = view(d)->lambda0.lines[i].y[k];
      double la;
      sp_propagate_angle_exponent(&mm, NULL, &la);
      e = fmax(e, fabs(la));
    }
  tap_ok(view(d)->lambda0.n >= 1 && e < 1e-9, "erf MLP: lambda_a = 0 curve, |lambda_a| < %.2g on it", e);
  tap_ok(view(d)->beta_c.n == 0, "no beta axis: no beta_c overlay");
  sp_diagram_free(d);

  /* beta against rho0: the overlay is the curve beta_c = sqrt(2/(1 - rho0)). */
  sp_model_default(&m);
  m.depth = 10;
  d = make(&m, axis("rho0", 0.0, 0.8, 9), axis("beta", 0.5, 4.0, 8), NULL);
  int ok = view(d)->beta_c.n == 1;
  for (size_t k = 0; ok && k < view(d)->beta_c.lines[0].n; k++) {
    double r = view(d)->beta_c.lines[0].x[k], b = view(d)->beta_c.lines[0].y[k];
    ok &= fabs(b - sqrt(2.0 / (1.0 - r))) < 1e-12;
  }
  tap_ok(ok, "beta over rho0: beta_c overlay follows sqrt(2/(1 - rho0))");
  sp_diagram_free(d);

  /* Log and integer axes. */
  sp_axis lx = {sp_param_lookup("alpha-sa"), 0.1, 10.0, 5, SP_SPACING_LOG};
  sp_axis ly = axis("depth", 1.0, 100.0, 7);
  d = make(&m, ly, lx, NULL);
  ok = fabs(view(d)->yc[1] - pow(10.0, -0.5)) < 1e-15 && view(d)->yc[0] == 0.1 && view(d)->yc[4] == 10.0;
  ok &= at(d, 1, 0)->x == floor(1.0 + 99.0 / 6.0 + 0.5);
  tap_ok(ok, "log axis is geometric with exact ends; integer axis values are rounded");
  sp_diagram_free(d);

  /* No LayerNorm and large gains: the norm overflows, the point is undefined. */
  sp_model_default(&m);
  m.norm = SP_NORM_NONE;
  m.depth = 100;
  sp_axis big = {sp_param_lookup("alpha-sa"), 1.0, 1e4, 5, SP_SPACING_LOG};
  d = make(&m, axis("beta", 0.0, 1.0, 3), big, NULL);
  const sp_diagram_point *p = at(d, 0, 4);
  tap_ok(view(d)->count[SP_CLASS_UNDEFINED] > 0 && p->cls == SP_CLASS_UNDEFINED
         && p->status == SP_EOVERFLOW && isnan(p->rho_final),
         "no-LN overflow: undefined points with status EOVERFLOW, NaN values");
  sp_diagram_free(d);
}

/* Models that need workspace tables: one shared workspace, one per row
 * (the y axis changes the tables), one per point (the x axis does).
 * Until the library can build the tables the sweep must fail cleanly with
 * the status of sp_workspace_prepare; once it can, every point must equal
 * a trajectory with its own workspace, for any thread count. */
static void test_workspaces(void)
{
  sp_model m = tu_model("--depth 4 --attention-stats finite --tokens 64");
  sp_workspace *w;
  int want = tu_workspace(&m, &w);
  static const char *const axes[3][2] = {
    {"beta", "alpha-sa"}, {"beta", "tokens"}, {"tokens", "beta"}};
  static const char *const mode[3] = {"shared", "per row", "per point"};
  for (int k = 0; k < 3; k++) {
    sp_axis x = axis(axes[k][0], k == 2 ? 32.0 : 0.5, k == 2 ? 64.0 : 3.0, 3);
    sp_axis y = axis(axes[k][1], k == 1 ? 32.0 : 0.5, k == 1 ? 64.0 : 3.0, 3);
    sp_diagram_options o = tu_diagram_options(2);
    sp_diagram *d;
    int s = tu_diagram_run(&m, &x, &y, &o, 0, &d);
    if (want != SP_OK) {
      tap_ok(s == want, "finite-T tables (%s workspace): sweep returns the workspace status "
             "'%s' (got '%s')", mode[k], sp_strerror(want), sp_strerror(s));
    } else {
      int same = s == SP_OK;
      for (size_t j = 0; same && j < view(d)->ny; j++)
        for (size_t i = 0; i < view(d)->nx; i++) {
          const sp_diagram_point *p = at(d, i, j);
          sp_model mm = m;
          sp_model_set(&mm, x.param, p->x);
          sp_model_set(&mm, y.param, p->y);
          sp_summary sum;
          same &= sp_workspace_prepare(w, &mm) == SP_OK
                  && sp_propagate_summary(&mm, w, &sum) == SP_OK
                  && sum.rho_final == p->rho_final && sum.frozen_layers == p->frozen_layers;
        }
      tap_ok(same, "finite-T tables (%s workspace): points equal their own trajectories",
             mode[k]);
    }
    sp_diagram_free(d);
  }
  sp_workspace_free(w);
}

static void test_errors(void)
{
  sp_model m;
  sp_model_default(&m);
  sp_diagram *d = (sp_diagram *)&m;
  sp_axis b = axis("beta", 0.0, 5.0, 11), a = axis("alpha-sa", 0.0, 5.0, 11);
  sp_axis eta = axis("eta", 0.0, 5.0, 11);
  tap_ok(sp_diagram_alloc(&m, &b, &eta, NULL, &d) == SP_EINVAL && d == NULL,
         "beta and eta on both axes: EINVAL, *out = NULL");
  sp_axis w = axis("var-w", 0.1, 1.0, 3), win = axis("var-w-in", 0.1, 1.0, 3);
  tap_ok(sp_diagram_alloc(&m, &w, &win, NULL, &d) == SP_EINVAL, "var-w and var-w-in: EINVAL");
  sp_axis bad = axis("beta", 5.0, 5.0, 11);
  tap_ok(sp_diagram_alloc(&m, &bad, &a, NULL, &d) == SP_EDOM, "MIN = MAX: EDOM");
  bad = axis("beta", 0.0, 5.0, 1);
  tap_ok(sp_diagram_alloc(&m, &bad, &a, NULL, &d) == SP_EINVAL, "N = 1: EINVAL");
  bad.n = 11;
  bad.spacing = SP_SPACING_LOG;
  tap_ok(sp_diagram_alloc(&m, &bad, &a, NULL, &d) == SP_EDOM, "log axis from 0: EDOM");
  bad = axis("depth", 1.5, 10.0, 4);
  tap_ok(sp_diagram_alloc(&m, &bad, &a, NULL, &d) == SP_EDOM, "integer axis from 1.5: EDOM");
  bad = axis("rho0", -0.5, 0.5, 4);
  tap_ok(sp_diagram_alloc(&m, &bad, &a, NULL, &d) == SP_EDOM, "rho0 below its bound: EDOM");
  sp_axis x = axis("beta", 0.0, 5.0, SP_GRID_MAX / 1000 + 1 > SP_AXIS_MAX ? SP_AXIS_MAX : 2);
  sp_axis y = axis("alpha-sa", 0.0, 5.0, SP_AXIS_MAX);
  x.n = SP_AXIS_MAX;
  tap_ok(sp_diagram_alloc(&m, &x, &y, NULL, &d) == SP_ENOMEM, "grid above SP_GRID_MAX: ENOMEM");
  sp_diagram_alloc(&m, &b, &a, NULL, &d);
  tap_ok(d && sp_diagram_curves(d) == SP_EINVAL, "curves before the sweep: EINVAL");
  sp_diagram_free(d);
  tap_ok(strcmp(sp_class_name(SP_CLASS_RANK_COLLAPSE), "rank-collapse") == 0
         && strcmp(sp_class_name(SP_CLASS_ENTROPY_COLLAPSE), "entropy-collapse") == 0
         && strcmp(sp_class_name(SP_CLASS_TRAINABLE), "trainable") == 0,
         "class names");
  sp_diagram_free(NULL);
}

/* grad_wq of block 1 at grid point (i, j), computed directly from the
 * point's model: attention input (q0, rho0 q0), LayerNormed for pre-LN. */
static double direct_grad_wq(const sp_diagram *d, size_t i, size_t j)
{
  sp_model mm = view(d)->model;
  sp_model_set(&mm, view(d)->x.param, view(d)->xc[i]);
  sp_model_set(&mm, view(d)->y.param, view(d)->yc[j]);
  double q = mm.q0, p = mm.rho0 * mm.q0;
  if (mm.norm == SP_NORM_PRE)
    q = 1.0, p = mm.rho0;
  sp_attn_stats st;
  if (sp_maps_attention_stats(&mm, NULL, q, p, SP_REM_ALL, &st))
    return NAN;
  return sp_grad_wq(mm.beta, mm.var_v, q, p, st.g);
}

static void test_gradient(void)
{
  sp_model m;
  sp_model_default(&m);
  m.depth = 20;
  sp_diagram_options o;
  sp_diagram_options_default(&o);
  o.grad_fraction = 0.01;
  for (int pre = 0; pre < 2; pre++) {
    m.norm = pre ? SP_NORM_PRE : SP_NORM_POST;
    m.q0 = 2.0; /* the LN of a pre-LN block changes the input */
    sp_diagram *d = make(&m, axis("beta", 0.0, 5.0, 21), axis("alpha-sa", 0.5, 3.0, 6), &o);
    double bc = pre ? sp_rem_beta_c(1.0, m.rho0) : sp_rem_beta_c(m.q0, m.rho0 * m.q0);
    double e = 0.0, gmax = 0.0;
    int below = 1, above = 1, nan_lg = 1;
    for (size_t j = 0; j < view(d)->ny; j++)
      for (size_t i = 0; i < view(d)->nx; i++) {
        const sp_diagram_point *p = at(d, i, j);
        double g = direct_grad_wq(d, i, j);
        e = fmax(e, fabs(p->grad_wq - g) / fmax(fabs(g), 1e-300));
        if (p->x < bc)
          below &= p->grad_wq == 0.0;
        else if (p->x > bc)
          above &= p->grad_wq > 0.0;
        gmax = fmax(gmax, p->grad_wq);
        nan_lg &= isnan(p->lambda_g);
      }
    const char *nm = pre ? "pre-LN" : "post-LN";
    tap_ok(e < 1e-12, "%s: grad_wq equals sp_grad_wq at block 1's input (rel. err %.2g)", nm, e);
    tap_ok(below && above, "%s: grad_wq = 0 below beta_c = %.4g (G = 0), > 0 above", nm, bc);
    tap_ok(view(d)->grad_max == gmax && gmax > 0.0, "%s: grad_max is the grid maximum", nm);
    double r = 0.0;
    size_t nv = 0;
    for (size_t k = 0; k < view(d)->grad.n; k++)
      for (size_t v = 0; v < view(d)->grad.lines[k].n; v++, nv++) {
        sp_diagram_point p;
        sp_diagram_eval(d, view(d)->grad.lines[k].x[v], view(d)->grad.lines[k].y[v], &p);
        r = fmax(r, fabs(p.grad_wq - o.grad_fraction * gmax) / gmax);
        /* Block 1 sees the raw input: the curve is a line of constant beta
         * just above beta_c. */
        if (!(view(d)->grad.lines[k].x[v] > bc && view(d)->grad.lines[k].x[v] < bc + 0.25))
          r = INFINITY;
      }
    tap_ok(view(d)->grad.n >= 1 && nv >= 6 && r < 1e-8,
           "%s: grad_wq = 0.01 max curve (%zu vertices), relative residual %.2g", nm, nv, r);
    tap_ok(nan_lg && view(d)->lambda_g0.n == 0, "%s: no lambda_g unless asked", nm);
    sp_diagram_free(d);
  }

  /* lambda_g on request: equal to sp_grad_exponent, zero curve on it. */
  sp_model_default(&m);
  m.depth = 20;
  sp_diagram_options_default(&o);
  o.lambda_g = 1;
  sp_diagram *d = make(&m, axis("beta", 0.0, 5.0, 11), axis("alpha-sa", 0.0, 5.0, 11), &o);
  double e = 0.0;
  for (size_t k = 0; k < view(d)->nx * view(d)->ny; k += 7) {
    sp_model mm = m;
    mm.beta = view(d)->pt[k].x;
    mm.alpha_sa = view(d)->pt[k].y;
    double lg = NAN;
    sp_grad_exponent(&mm, NULL, &lg, NULL);
    e = fmax(e, lg == view(d)->pt[k].lambda_g ? 0.0 : fabs(lg - view(d)->pt[k].lambda_g));
  }
  tap_ok(e == 0.0, "lambda_g equals sp_grad_exponent (max diff %.2g)", e);
  double r = 0.0;
  for (size_t k = 0; k < view(d)->lambda_g0.n; k++)
    for (size_t v = 0; v < view(d)->lambda_g0.lines[k].n; v++) {
      sp_diagram_point p;
      sp_diagram_eval(d, view(d)->lambda_g0.lines[k].x[v], view(d)->lambda_g0.lines[k].y[v], &p);
      r = fmax(r, fabs(p.lambda_g));
    }
  tap_ok(view(d)->lambda_g0.n >= 1 && r < 1e-8, "lambda_g = 0 curve, |lambda_g| < %.2g on it", r);
  tap_ok(view(d)->grad.n == 0, "no gradient curve without grad_fraction");
  sp_diagram_free(d);

  /* Bad fractions. */
  const double bad[] = {0.0, 1.0, -0.5, 2.0, INFINITY};
  int rejected = 1;
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    sp_diagram_options_default(&o);
    o.grad_fraction = bad[k];
    sp_axis x = axis("beta", 0.0, 5.0, 3), y = axis("alpha-sa", 0.0, 5.0, 3);
    sp_diagram *dd = (sp_diagram *)1;
    rejected &= sp_diagram_alloc(&m, &x, &y, &o, &dd) == SP_EINVAL && dd == NULL;
  }
  tap_ok(rejected, "grad_fraction 0, 1, -0.5, 2, inf: SP_EINVAL");
}

/* The sweep in parts (as MPI ranks make it): rows computed in reverse
 * chunks by one diagram and by another, stored into the first, give the
 * points, counts and curves of the sweep in one call, bit for bit. */
static void parts_case(const sp_model *m, sp_axis x, sp_axis y, const char *what)
{
  sp_diagram_options o = tu_diagram_options(2);
  sp_diagram *ref = make(m, x, y, &o), *a = NULL, *b = NULL;
  int s = sp_diagram_alloc(m, &x, &y, &o, &a);
  if (!s)
    s = sp_diagram_alloc(m, &x, &y, &o, &b);
  size_t ny = y.n, nx = x.n;
  for (size_t end = ny; end > 0 && !s;) {
    size_t c = end >= 3 ? 3 : end, first = end - c;
    sp_diagram *who = (end / 3) % 2 ? a : b;
    s = sp_diagram_sweep_rows(who, first, c);
    if (!s && who == b)
      s = sp_diagram_set_rows(a, first, c, view(b)->pt + first * nx);
    end = first;
  }
  if (!s)
    s = sp_diagram_sweep_done(a);
  if (!s)
    s = sp_diagram_curves(a);
  int same = !s && memcmp(view(ref)->pt, view(a)->pt, nx * ny * sizeof *view(a)->pt) == 0
             && memcmp(view(ref)->count, view(a)->count, sizeof view(a)->count) == 0;
  same = same && same_contour(&view(ref)->rank, &view(a)->rank)
         && same_contour(&view(ref)->entropy, &view(a)->entropy)
         && same_contour(&view(ref)->alpha_c, &view(a)->alpha_c)
         && same_contour(&view(ref)->lambda0, &view(a)->lambda0);
  tap_ok(same, "%s: a sweep in parts (status %d) equals the whole sweep bit for bit", what, s);
  sp_diagram_free(a);
  sp_diagram_free(b);
  sp_diagram_free(ref);
}

static void test_parts(void)
{
  sp_model m;
  sp_model_default(&m);
  m.depth = 23;
  parts_case(&m, axis("beta", 0.17, 4.3, 11), axis("alpha-sa", 0.13, 3.1, 14), "no tables");
  m.activation = SP_ACT_GELU; /* tables: one workspace per row or per point */
  m.depth = 13;
  parts_case(&m, axis("beta", 0.31, 2.7, 6), axis("var-w", 0.43, 5.9, 8), "tables per row");
  parts_case(&m, axis("var-w", 0.43, 5.9, 7), axis("alpha-sa", 0.23, 2.9, 5), "tables per point");

  sp_diagram *d = NULL;
  sp_axis x = axis("beta", 0.5, 2.5, 4), y = axis("alpha-sa", 0.5, 1.5, 5);
  if (sp_diagram_alloc(&m, &x, &y, NULL, &d))
    d = NULL;
  sp_diagram_point pt[4];
  memset(pt, 0, sizeof pt);
  tap_ok(sp_diagram_sweep_rows(NULL, 0, 1) == SP_EINVAL, "sweep_rows(NULL): EINVAL");
  tap_ok(sp_diagram_sweep_rows(d, 6, 0) == SP_EINVAL, "sweep_rows from row 6 of 5: EINVAL");
  tap_ok(sp_diagram_sweep_rows(d, 3, 3) == SP_EINVAL, "sweep_rows 3..5 of 5: EINVAL");
  tap_ok(sp_diagram_sweep_rows(d, 2, (size_t)-1) == SP_EINVAL, "sweep_rows: a count that "
         "wraps: EINVAL");
  tap_ok(sp_diagram_sweep_rows(d, 5, 0) == SP_OK, "sweep_rows: no rows at the end: OK");
  tap_ok(sp_diagram_set_rows(NULL, 0, 1, pt) == SP_EINVAL, "set_rows(NULL): EINVAL");
  tap_ok(sp_diagram_set_rows(d, 0, 1, NULL) == SP_EINVAL, "set_rows without points: EINVAL");
  tap_ok(sp_diagram_set_rows(d, 4, 2, pt) == SP_EINVAL, "set_rows past the last row: EINVAL");
  tap_ok(sp_diagram_curves(d) == SP_EINVAL, "curves before sweep_done: EINVAL");
  tap_ok(sp_diagram_sweep_done(NULL) == SP_EINVAL, "sweep_done(NULL): EINVAL");
  sp_diagram_free(d);
}

int main(void)
{
  gsl_set_error_handler_off();
  test_classes();
  test_alpha_c();
  test_threads();
  test_parts();
  test_lambda0_and_axes();
  test_workspaces();
  test_gradient();
  test_errors();
  return tap_done();
}
