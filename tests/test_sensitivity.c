/* Where a verdict changes in rho0 and in depth: closed forms where they
 * exist (post-LN entropy edge, attention-only rank collapse), and the
 * verdict re-evaluated on either side of every boundary found.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"
#include "test_util.h"

#include <gsl/gsl_errno.h>

static sp_phase verdict(const sp_model *m, const sp_workspace *w, double rho0, long depth)
{
  sp_model x = *m;
  x.rho0 = rho0;
  x.depth = depth;
  sp_verdict v;
  if (sp_recommend_verdict(&x, w, 0.9, &v))
    return (sp_phase)-1;
  return v.phase;
}

/* Both sides of every boundary of m's sensitivity (rho0 to 1e-8, depths
 * to 2000) give the verdicts it states. */
static void check_sides(const char *what, const sp_model *m, const sp_workspace *w)
{
  sp_sensitivity sv, *s = &sv;
  tap_ok(sp_sensitivity_rho0(m, w, 0.9, 1e-8, s) == SP_OK
           && sp_sensitivity_depth(m, w, 0.9, 2000, s) == SP_OK, "%s: sensitivity", what);
  double h = 0.5 * s->rho0_tol;
  if (!isnan(s->rho0_up)) {
    tap_ok(verdict(m, w, s->rho0_up - h, m->depth) == s->phase
             && verdict(m, w, s->rho0_up + h, m->depth) == s->phase_up,
           "%s: %s below rho0 = %.7f, %s above", what, sp_phase_name(s->phase), s->rho0_up,
           sp_phase_name(s->phase_up));
  }
  if (!isnan(s->rho0_down)) {
    tap_ok(verdict(m, w, s->rho0_down + h, m->depth) == s->phase
             && verdict(m, w, s->rho0_down - h, m->depth) == s->phase_down,
           "%s: %s above rho0 = %.7f, %s below", what, sp_phase_name(s->phase), s->rho0_down,
           sp_phase_name(s->phase_down));
  }
  if (s->depth_up) {
    tap_ok(verdict(m, w, m->rho0, s->depth_up) == s->depth_phase_up
             && verdict(m, w, m->rho0, s->depth_up - 1) == s->phase,
           "%s: %s at L = %ld, %s at L = %ld", what, sp_phase_name(s->phase), s->depth_up - 1,
           sp_phase_name(s->depth_phase_up), s->depth_up);
  }
  if (s->depth_down) {
    tap_ok(verdict(m, w, m->rho0, s->depth_down) == s->depth_phase_down
             && verdict(m, w, m->rho0, s->depth_down + 1) == s->phase,
           "%s: %s at L = %ld, %s at L = %ld", what, sp_phase_name(s->depth_phase_down),
           s->depth_down, sp_phase_name(s->phase), s->depth_down + 1);
  }
}

/* Post-LN, T -> infinity: block 1 freezes exactly when
 * beta > sqrt(2 / (1 - rho0)), i.e. below rho0 = 1 - 2/beta^2. */
static void entropy_edge(void)
{
  sp_model m = tu_model("--beta 1.537 --rho0 0.283 --depth 7 --alpha-sa 2.71 --alpha-mlp 2.71");
  sp_sensitivity s;
  tap_ok(sp_sensitivity_rho0(&m, NULL, 0.9, 1e-9, &s) == SP_OK, "rho0 sensitivity found");
  tap_ok(s.phase == SP_PHASE_TRAINABLE, "the configuration is trainable");
  double want = 1.0 - 2.0 / (1.537 * 1.537);
  tap_close(s.rho0_down, want, 1e-9, "entropy collapse below rho0 = 1 - 2/beta^2 = %.9f (%.9f)",
            want, s.rho0_down);
  tap_ok(s.phase_down == SP_PHASE_ENTROPY_COLLAPSE, "and it is entropy collapse");
  tap_ok(!isnan(s.rho0_up) && s.rho0_up > m.rho0 && s.phase_up == SP_PHASE_RANK_COLLAPSE,
         "rank collapse above rho0 = %.6f", s.rho0_up);
  tap_ok(sp_sensitivity_depth(&m, NULL, 0.9, 4000, &s) == SP_OK, "depth sensitivity found");
  tap_ok(s.depth_down == 0, "trainable at every smaller depth");
  check_sides("post-LN", &m, NULL);
}

/* Attention-only post-LN without biases at alpha: u_L = (a^2/(a^2+sv))^L u_0
 * with u = (1 - rho)/rho (test_recommend.c), so rank collapse starts at
 * the first L with u_L <= u_max. */
static void rank_depth(void)
{
  sp_model m;
  tu_attention_only(&m);
  tu_model_set(&m, "--rho0 0.0731 --var-v 0.173 --alpha-sa 1.19 --depth 23");
  sp_sensitivity s;
  tap_ok(sp_sensitivity_depth(&m, NULL, 0.9, 400, &s) == SP_OK, "depth sensitivity");
  double u0 = (1.0 - 0.0731) / 0.0731, um = 1.0 / 9.0, a2 = 1.19 * 1.19;
  long want = (long)ceil(log(u0 / um) / log((a2 + 0.173) / a2));
  tap_ok(s.phase == SP_PHASE_TRAINABLE && s.depth_up == want
           && s.depth_phase_up == SP_PHASE_RANK_COLLAPSE,
         "rank collapse from L = %ld (closed form %ld)", s.depth_up, want);
  tap_ok(s.depth_max == 400, "searched to 400");
  m.depth = want + 17;
  sp_sensitivity_depth(&m, NULL, 0.9, 400, &s);
  tap_ok(s.phase == SP_PHASE_RANK_COLLAPSE && s.depth_down == want - 1 && s.depth_up == 0,
         "at L = %ld: trainable up to L = %ld (closed form %ld), never again", m.depth,
         s.depth_down, want - 1);
  check_sides("attention only", &m, NULL);
}

/* Finite T (a workspace), pre-LN and an overflowing stream. */
static void finite_and_overflow(void)
{
  sp_model m = tu_model("--norm pre --attention-stats finite --tokens 317 --beta 1.21 --depth 41 "
                        "--rho0 0.0417");
  sp_workspace *w;
  tap_ok(tu_workspace(&m, &w) == SP_OK, "workspace");
  sp_sensitivity s;
  tap_ok(sp_sensitivity_rho0(&m, w, 0.9, 1e-7, &s) == SP_OK, "finite T: rho0 sensitivity");
  sp_sensitivity_depth(&m, w, 0.9, 300, &s);
  tap_diag("finite T: %s, rho0 flips at %.6g (%s) and %.6g (%s); depth at %ld and %ld",
           sp_phase_name(s.phase), s.rho0_down, sp_phase_name(s.phase_down), s.rho0_up,
           sp_phase_name(s.phase_up), s.depth_down, s.depth_up);
  tap_ok(!isnan(s.rho0_up) || !isnan(s.rho0_down), "a rho0 flip exists");
  check_sides("pre-LN finite T", &m, w);

  /* Skip gain 1.13 in pre-LN: q grows about 1.13^(4 l); the stream leaves
   * the float16 range at some depth and stays out. */
  m.alpha_sa = m.alpha_mlp = 1.13;
  m.depth = 10;
  sp_sensitivity_depth(&m, w, 0.9, 300, &s);
  tap_ok(s.depth_up > 10 && s.depth_phase_up == SP_PHASE_OVERFLOW,
         "pre-LN, alpha 1.13: stream overflow from L = %ld", s.depth_up);
  check_sides("pre-LN overflow", &m, w);
  m.depth = 300;
  sp_sensitivity_depth(&m, w, 0.9, 300, &s);
  tap_ok(s.phase == SP_PHASE_OVERFLOW && s.depth_down > 10, "at L = 300: overflow, not below %ld",
         s.depth_down + 1);
  /* No-LN stack that overflows a double: the rest of the depths too. */
  sp_model n = tu_model("--norm none --alpha-sa 40.3 --depth 1");
  sp_sensitivity_depth(&n, NULL, 0.9, 1000, &s);
  tap_ok(s.depth_phase_up == SP_PHASE_OVERFLOW && s.depth_up == 2,
         "no-LN alpha 40.3: overflow from L = %ld", s.depth_up);
  check_sides("no-LN", &n, NULL);
  sp_workspace_free(w);
}

static void errors(void)
{
  sp_model m;
  sp_model_default(&m);
  sp_sensitivity s;
  tap_ok(sp_sensitivity_rho0(NULL, NULL, 0.9, 1e-6, &s) == SP_EINVAL
           && sp_sensitivity_rho0(&m, NULL, 0.9, 1e-6, NULL) == SP_EINVAL, "rho0: NULL");
  tap_ok(sp_sensitivity_rho0(&m, NULL, 0.9, 0.0, &s) == SP_EDOM
           && sp_sensitivity_rho0(&m, NULL, 1.0, 1e-6, &s) == SP_EDOM
           && sp_sensitivity_rho0(&m, NULL, 0.9, NAN, &s) == SP_EDOM,
         "rho0: xtol <= 0, rho_max = 1, NaN");
  tap_ok(sp_sensitivity_depth(NULL, NULL, 0.9, 100, &s) == SP_EINVAL
           && sp_sensitivity_depth(&m, NULL, 0.9, 100, NULL) == SP_EINVAL, "depth: NULL");
  tap_ok(sp_sensitivity_depth(&m, NULL, 0.9, m.depth - 1, &s) == SP_EDOM
           && sp_sensitivity_depth(&m, NULL, 0.9, SP_MAX_DEPTH + 1, &s) == SP_EDOM
           && sp_sensitivity_depth(&m, NULL, -1.0, 100, &s) == SP_EDOM,
         "depth: depth_max out of range, rho_max = -1");
  m.stats = SP_STATS_FINITE;
  tap_ok(sp_sensitivity_rho0(&m, NULL, 0.9, 1e-6, &s) == SP_EINVAL
           && sp_sensitivity_depth(&m, NULL, 0.9, 100, &s) == SP_EINVAL,
         "finite T without a workspace: SP_EINVAL");
  sp_model_default(&m);
  m.var_v = -0.5;
  tap_ok(sp_sensitivity_rho0(&m, NULL, 0.9, 1e-6, &s) == SP_EDOM
           && sp_sensitivity_depth(&m, NULL, 0.9, 100, &s) == SP_EDOM, "invalid model: SP_EDOM");
  /* A no-LN stack that underflows: a propagation error. */
  m = tu_model("--norm none --alpha-sa 0.0 --alpha-mlp 0.0 --branch-sa 1e-3 --branch-mlp 1e-3 "
               "--var-b 0.0");
  m.var_vb_follows_b = 1;
  m.depth = 3;
  int st = sp_sensitivity_depth(&m, NULL, 0.9, 400, &s);
  tap_ok(st == SP_EUNDERFLOW, "no-LN stack that underflows: %s", sp_strerror(st));
}

int main(void)
{
  gsl_set_error_handler_off();
  entropy_edge();
  rank_depth();
  finite_and_overflow();
  errors();
  return tap_done();
}
