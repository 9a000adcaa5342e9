/* Classic mean field of the MLP alone (theory.md §8): reference tables,
 * closed forms, fixed points checked by iterating the maps, phases,
 * error paths.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"

#include <string.h>

#include <gsl/gsl_errno.h>

static void reference_critical(void)
{
  tap_csv c = tap_csv_read(tap_data("mlp_meanfield.csv"));
  int ia = tap_csv_col(&c, "activation"), ib = tap_csv_col(&c, "sigma_b2");
  int iw = tap_csv_col(&c, "sigma_w2_critical"), iq = tap_csv_col(&c, "q_star_at_critical");
  for (int r = 0; r < c.nrow; r++) {
    sp_activation act;
    sp_activation_from_name(tap_csv_str(&c, r, ia), &act);
    double sb = tap_csv_num(&c, r, ib), want = tap_csv_num(&c, r, iw);
    double wq = tap_csv_num(&c, r, iq), root;
    int s = sp_meanfield_critical(act, 1.0, 0.0, sb, SP_MF_VAR_W, 1.0, 0.0, 10.0, 1e-12, &root);
    tap_ok(s == SP_OK, "%s sigma_b^2 = %g: edge of chaos found", sp_activation_name(act), sb);
    tap_close(root, want, 1e-6, "%s sigma_b^2 = %g: critical sigma_w^2 = %.9f (table %.7g)",
              sp_activation_name(act), sb, root, want);
    sp_meanfield mf;
    s = sp_meanfield_solve(act, 1.0, root, sb, &mf);
    if (isnan(wq))
      tap_ok(s == SP_OK && isnan(mf.q_star) && mf.kind == SP_MF_Q_ANY,
             "%s: no q* at criticality (every q is a fixed point)", sp_activation_name(act));
    else
      tap_close(mf.q_star, wq, 1e-6, "%s sigma_b^2 = %g: q* = %.9f at criticality (table %.7g)",
                sp_activation_name(act), sb, mf.q_star, wq);
  }
  tap_csv_free(&c);
}

static void reference_relu_c_map(void)
{
  tap_csv c = tap_csv_read(tap_data("relu_critical_c_map.csv"));
  int il = tap_csv_col(&c, "layer"), ic = tap_csv_col(&c, "c");
  double cc = 0.0, prev = 0.0, worst = 0.0;
  long l = 0;
  int s = SP_OK;
  for (int r = 0; r < c.nrow; r++) {
    long want_l = (long)tap_csv_num(&c, r, il);
    for (; l < want_l && !s; l++) {
      prev = cc;
      s = sp_meanfield_map(SP_ACT_RELU, 1.0, 2.0, 0.0, 1.0, cc, NULL, &cc);
    }
    worst = fmax(worst, fabs(cc - tap_csv_num(&c, r, ic)));
  }
  tap_ok(s == SP_OK && worst < 1e-7, "relu c-map at sigma_w^2 = 2 over 1000 layers: worst "
         "|c_l - table| = %.1e", worst);
  /* 1 - c_l ~ 9 pi^2 / (2 (l + l0)^2) at criticality (theory.md §8; the
   * offset l0 comes from the first layers): (1 - c)^{-1/2} grows by
   * sqrt(2) / (3 pi) per layer. */
  double step = 1.0 / sqrt(1.0 - cc) - 1.0 / sqrt(1.0 - prev), law = M_SQRT2 / (3.0 * M_PI);
  tap_ok(fabs(step / law - 1.0) < 5e-3, "(1 - c_l)^(-1/2) grows by %.6f per layer at l = 1000 "
         "(9 pi^2/(2 l^2) law: %.6f); 1 - c_1000 = %.4g", step, law, 1.0 - cc);
  tap_csv_free(&c);
}

/* q* and c* are fixed points: iterate the maps from elsewhere and land on
 * them (geometric convergence away from criticality). */
static void fixed_points_by_iteration(void)
{
  const sp_activation acts[] = {SP_ACT_TANH, SP_ACT_GELU, SP_ACT_SILU, SP_ACT_ERF, SP_ACT_RELU};
  /* away from the edge of chaos, where xi_c < 25: 600 steps converge */
  const double sws[] = {0.5, 1.0, 4.0};
  int n = 0, bad = 0;
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 3; j++) {
      double sw = sws[j], sb = 0.07;
      sp_meanfield mf;
      if (sp_meanfield_solve(acts[i], 1.0, sw, sb, &mf) || mf.kind != SP_MF_Q_FINITE)
        continue;
      double q = 1.0, c = 0.3, qn = q, cn = c;
      int s = SP_OK;
      for (int it = 0; it < 600 && !s; it++)
        s = sp_meanfield_map(acts[i], 1.0, sw, sb, q, c, &qn, &cn), q = qn, c = cn;
      /* the map at q*, c* returns them */
      double q2, c2;
      s |= sp_meanfield_map(acts[i], 1.0, sw, sb, mf.q_star, mf.c_star, &q2, &c2);
      int ok = !s && fabs(q - mf.q_star) < 1e-9 * fmax(1.0, q) && fabs(q2 - mf.q_star) < 1e-10
               * fmax(1.0, q) && fabs(c2 - mf.c_star) < 1e-9;
      /* iteration of c is slow near criticality: only check the side */
      ok &= mf.chi1 < 1.0 ? mf.c_star == 1.0 && c > 0.99 : fabs(c - mf.c_star) < 1e-6;
      n++;
      if (!ok) {
        bad++;
        tap_diag("%s sw %g: q* %.12g (iterated %.12g), c* %.12g (iterated %.12g), chi1 %g",
                 sp_activation_name(acts[i]), sw, mf.q_star, q, mf.c_star, c, mf.chi1);
      }
    }
  tap_ok(bad == 0 && n >= 10, "q* and c* are what 600 iterations of the maps reach (%d cases)", n);
}

static void closed_forms(void)
{
  sp_meanfield mf;
  /* relu: q* = sb / (1 - sw/2), chi1 = sw / 2, xi = -1/log chi1 */
  sp_meanfield_solve(SP_ACT_RELU, 1.0, 1.5, 0.1, &mf);
  tap_ok(mf.kind == SP_MF_Q_FINITE && fabs(mf.q_star - 0.4) < 1e-15 && fabs(mf.chi1 - 0.75) < 1e-15
         && mf.c_star == 1.0 && fabs(mf.xi_c + 1.0 / log(0.75)) < 1e-12
         && fabs(mf.xi_q + 1.0 / log(0.75)) < 1e-12, "relu sigma_w^2 = 1.5: q* = 0.4, chi1 = 0.75");
  sp_meanfield_solve(SP_ACT_RELU, 1.0, 3.0, 0.1, &mf);
  tap_ok(mf.kind == SP_MF_Q_NONE && isnan(mf.q_star) && mf.chi1 == 1.5 && isnan(mf.c_star)
         && isnan(mf.xi_c), "relu above sigma_w^2 = 2: no finite q*, chi1 = sw/2");
  sp_meanfield_solve(SP_ACT_RELU, 1.0, 2.0, 0.0, &mf);
  tap_ok(mf.kind == SP_MF_Q_ANY && mf.chi1 == 1.0 && mf.c_star == 1.0 && isinf(mf.xi_c)
         && mf.xi_c > 0.0, "relu at sigma_w^2 = 2, sigma_b = 0: every q fixed, xi_c = +inf");
  sp_meanfield_solve(SP_ACT_LINEAR, 1.0, 0.5, 0.2, &mf);
  tap_ok(fabs(mf.q_star - 0.4) < 1e-15 && mf.chi1 == 0.5, "linear: q* = sb / (1 - sw)");
  /* erf: chi1 = 4 sw / (pi sqrt(1 + 4 q*)) (theory.md §8), at a random-ish point */
  double sw = 1.7, sb = 0.03;
  sp_meanfield_solve(SP_ACT_ERF, 1.0, sw, sb, &mf);
  double q2;
  sp_meanfield_map(SP_ACT_ERF, 1.0, sw, sb, mf.q_star, 1.0, &q2, NULL);
  tap_ok(fabs(mf.chi1 - 4.0 * sw / (M_PI * sqrt(1.0 + 4.0 * mf.q_star))) < 1e-12
         && fabs(q2 - mf.q_star) < 1e-12, "erf: chi1 = 4 sw / (pi sqrt(1 + 4 q*)) = %.12f",
         mf.chi1);
  /* tanh without bias: q* = 0 up to sigma_w^2 = 1, chaotic above with c* = 0 */
  sp_meanfield_solve(SP_ACT_TANH, 1.0, 0.8, 0.0, &mf);
  tap_ok(mf.q_star == 0.0 && fabs(mf.chi1 - 0.8) < 1e-15 && mf.c_star == 1.0,
         "tanh sigma_b = 0, sigma_w^2 = 0.8: q* = 0, chi1 = 0.8");
  sp_meanfield_solve(SP_ACT_TANH, 1.0, 2.0, 0.0, &mf);
  tap_ok(mf.q_star > 0.0 && mf.chi1 > 1.0 && fabs(mf.c_star) < 1e-9 && mf.xi_c > 0.0,
         "tanh sigma_b = 0, sigma_w^2 = 2: chaotic, c* = 0 (%.1e), xi_c = %.4g", mf.c_star,
         mf.xi_c);
  /* the depth scale of c is finite off criticality and grows towards it */
  double x1, x2;
  sp_meanfield_solve(SP_ACT_TANH, 1.0, 1.70, 0.05, &mf);
  x1 = mf.xi_c;
  sp_meanfield_solve(SP_ACT_TANH, 1.0, 1.75, 0.05, &mf);
  x2 = mf.xi_c;
  tap_ok(x1 > 0.0 && x2 > 5.0 * x1 * 0.0 + x1 && isfinite(x2), "tanh xi_c grows towards the "
         "edge of chaos: %.4g at 1.70, %.4g at 1.75", x1, x2);
  /* chi1 = target through var-b at fixed var-w */
  double root;
  int s = sp_meanfield_critical(SP_ACT_TANH, 1.0, 1.760955, 0.0, SP_MF_VAR_B, 1.0, 0.0, 1.0,
                                1e-12, &root);
  tap_ok(s == SP_OK && fabs(root - 0.05) < 1e-6, "tanh: solving var-b at var-w = 1.760955 "
         "gives %.8f (0.05)", root);
  /* gelu: the stable q* disappears (saddle-node) before chi1 reaches 1 */
  s = sp_meanfield_critical(SP_ACT_GELU, 1.0, 0.0, 0.05, SP_MF_VAR_W, 1.0, 0.0, 10.0, 1e-10,
                            &root);
  sp_meanfield a, b;
  sp_meanfield_solve(SP_ACT_GELU, 1.0, root - 1e-6, 0.05, &a);
  sp_meanfield_solve(SP_ACT_GELU, 1.0, root + 1e-6, 0.05, &b);
  tap_ok(s == SP_ENOROOT && isfinite(root) && a.kind == SP_MF_Q_FINITE && a.chi1 < 1.0
         && b.kind == SP_MF_Q_NONE, "gelu sigma_b^2 = 0.05: chi1 jumps at sigma_w^2 = %.6f "
         "where q* vanishes (ENOROOT)", root);
}

static void errors(void)
{
  sp_meanfield mf;
  double r, q, c;
  tap_ok(sp_meanfield_solve(SP_ACT_TANH, 1.0, -1.0, 0.0, &mf) == SP_EDOM, "solve: sw < 0");
  tap_ok(sp_meanfield_solve(SP_ACT_TANH, 1.0, 1.0, NAN, &mf) == SP_EDOM, "solve: sb NaN");
  tap_ok(sp_meanfield_solve(SP_ACT_ERF, 0.0, 1.0, 0.0, &mf) == SP_EDOM, "solve: erf scale 0");
  tap_ok(sp_meanfield_solve((sp_activation)42, 1.0, 1.0, 0.0, &mf) == SP_EINVAL, "solve: act");
  tap_ok(sp_meanfield_solve(SP_ACT_TANH, 1.0, 1.0, 0.0, NULL) == SP_EINVAL, "solve: NULL");
  tap_ok(sp_meanfield_map(SP_ACT_TANH, 1.0, 1.0, 0.0, 0.0, 0.5, &q, &c) == SP_EDOM
         && sp_meanfield_map(SP_ACT_TANH, 1.0, 1.0, 0.0, 1.0, 1.5, &q, &c) == SP_EDOM
         && sp_meanfield_map(SP_ACT_TANH, 1.0, 0.0, 0.0, 1.0, 0.5, &q, &c) == SP_EDOM,
         "map: q = 0, |c| > 1, q' = 0");
  tap_ok(sp_meanfield_critical(SP_ACT_TANH, 1.0, 0.0, 0.05, SP_MF_VAR_W, 1.0, 0.0, 1.0, 1e-10,
                               &r) == SP_ENOROOT, "critical: no root in [0, 1]");
  tap_ok(sp_meanfield_critical(SP_ACT_TANH, 1.0, 0.0, 0.05, SP_MF_VAR_W, 1.0, 2.0, 1.0, 1e-10,
                               &r) == SP_EDOM
         && sp_meanfield_critical(SP_ACT_TANH, 1.0, 0.0, 0.05, SP_MF_VAR_W, -1.0, 0.0, 1.0,
                                  1e-10, &r) == SP_EDOM
         && sp_meanfield_critical(SP_ACT_TANH, 1.0, 0.0, 0.05, (sp_mf_param)7, 1.0, 0.0, 1.0,
                                  1e-10, &r) == SP_EINVAL
         && sp_meanfield_critical(SP_ACT_TANH, 1.0, 0.0, 0.05, SP_MF_VAR_W, 1.0, 0.0, 1.0,
                                  1e-10, NULL) == SP_EINVAL, "critical: bad arguments");
}

/* Bit for bit (NaN equal to NaN), field by field. */
static int same(const sp_meanfield *a, const sp_meanfield *b)
{
  const double x[] = {a->q_star, a->chi1, a->c_star, a->xi_c, a->xi_q};
  const double y[] = {b->q_star, b->chi1, b->c_star, b->xi_c, b->xi_q};
  return a->kind == b->kind && memcmp(x, y, sizeof x) == 0;
}

/* Relative difference of two mean-field numbers (0 when both are the
 * same infinity or NaN). */
static double mf_rel(double a, double b)
{
  if (a == b || (isnan(a) && isnan(b)))
    return 0.0;
  return fabs(a - b) / fmax(fabs(b), 1e-300);
}

/* The batch solver: the same bits on 1 and 3 threads, and every point as
 * sp_meanfield_solve() gives it up to the tabulated expansion (meanfield.h:
 * q*, chi_1 and xi_q to 1e-11, c* to 1e-10, xi_c to 1e-8 relative), and its
 * errors. */
static void batch(void)
{
  enum { N = 23 };
  double sw[N], sb[N], wq = 0.0, wc = 0.0, wx = 0.0;
  sp_meanfield one[N], b1[N], b3[N];
  int s1[N], s3[N], ok = 1;
  for (int k = 0; k < N; k++) {
    sw[k] = 0.31 + 0.173 * k;
    sb[k] = k == 5 ? -1.0 : 0.0137 * (k % 7);
  }
  int r1 = sp_meanfield_solve_batch(SP_ACT_TANH, 1.0, N, sw, sb, 1, b1, s1);
  int r3 = sp_meanfield_solve_batch(SP_ACT_TANH, 1.0, N, sw, sb, 3, b3, s3);
  for (int k = 0; k < N; k++) {
    int s = sp_meanfield_solve(SP_ACT_TANH, 1.0, sw[k], sb[k], &one[k]);
    ok &= s == s1[k] && s == s3[k];
    if (s)
      continue;
    ok &= same(&b1[k], &b3[k]) && one[k].kind == b1[k].kind;
    wq = fmax(wq, fmax(mf_rel(b1[k].q_star, one[k].q_star), mf_rel(b1[k].chi1, one[k].chi1)));
    wq = fmax(wq, mf_rel(b1[k].xi_q, one[k].xi_q));
    wc = fmax(wc, fabs(b1[k].c_star - one[k].c_star));
    wx = fmax(wx, mf_rel(b1[k].xi_c, one[k].xi_c));
  }
  tap_ok(r1 == SP_OK && r3 == SP_OK && ok && s1[5] == SP_EDOM && wq < 1e-11 && wc < 1e-10
             && wx < 1e-8,
         "batch of %d tanh points on 1 and 3 threads: the same bits; against one solve each: "
         "q*, chi1, xi_q %.1e, c* %.1e, xi_c %.1e (a negative var-b: EDOM at its point)", N,
         wq, wc, wx);
  tap_ok(sp_meanfield_solve_batch(SP_ACT_TANH, 1.0, N, NULL, sb, 1, b1, s1) == SP_EINVAL
         && sp_meanfield_solve_batch(SP_ACT_TANH, 1.0, N, sw, sb, 1, b1, NULL) == SP_EINVAL
         && sp_meanfield_solve_batch(SP_ACT_TANH, 1.0, N, sw, sb, SP_MF_MAX_THREADS + 1, b1, s1)
            == SP_EINVAL
         && sp_meanfield_solve_batch(SP_ACT_TANH, 1.0, 0, NULL, NULL, 0, NULL, NULL) == SP_OK,
         "batch errors: NULL arrays, too many threads; n = 0 is nothing to do");
}

int main(void)
{
  gsl_set_error_handler_off();
  reference_critical();
  reference_relu_c_map();
  fixed_points_by_iteration();
  closed_forms();
  errors();
  batch();
  return tap_done();
}
