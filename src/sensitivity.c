/* Where a verdict changes in rho0 and in depth (theory.md §10).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/sensitivity.h"
#include "sigprop/status.h"
#include "root.h"
#include "verdict.h"

#include <math.h>

/* The verdict at input cosine r as a step for the root finder: -1 where
 * it is `ph`, +1 where it is another (recorded in *other). */
typedef struct {
  const sp_model *m;
  const sp_workspace *w;
  double rho_max;
  int ph;
} step_problem;

static int step(double r, void *arg, double *f)
{
  const step_problem *sp = arg;
  sp_model x = *sp->m;
  x.rho0 = r;
  sp_verdict v;
  int s = sp_recommend_verdict(&x, sp->w, sp->rho_max, &v);
  if (s)
    return s;
  *f = (int)v.phase == sp->ph ? -1.0 : 1.0;
  return SP_OK;
}

/* Scan from m->rho0 (verdict ph) towards `end` (sp_root_scan) and close
 * in on the first change (sp_root_brent on the step, to xtol/2).  *at is
 * NaN when none is found or the iteration fails on the way. */
static void one_side(const sp_model *m, const sp_workspace *w, double rho_max, double xtol,
                     int ph, double end, double *at, sp_phase *other)
{
  *at = NAN;
  *other = (sp_phase)ph;
  step_problem sp = {m, w, rho_max, ph};
  double lo = m->rho0 < end ? m->rho0 : end, hi = m->rho0 < end ? end : m->rho0;
  if (!(hi > lo))
    return;
  double a, b, fa, fb, r;
  if (end > m->rho0) {
    if (sp_root_scan(step, &sp, lo, hi, -1.0, SP_SENSITIVITY_SCAN, &a, &b, &fa, &fb))
      return;
  } else {
    /* Scan from the top down by hand: sp_root_scan only walks upwards. */
    double same = hi, diff = NAN;
    for (int i = 1; i <= SP_SENSITIVITY_SCAN; i++) {
      double x = hi - (hi - lo) * (double)i / SP_SENSITIVITY_SCAN, f;
      if (step(x, &sp, &f))
        return;
      if (f > 0.0) {
        diff = x;
        break;
      }
      same = x;
    }
    if (isnan(diff))
      return;
    a = diff, b = same, fa = 1.0, fb = -1.0;
  }
  if (sp_root_brent(step, &sp, a, b, fa, fb, 0.5 * xtol, 0.0, &r))
    return;
  double beyond = end > m->rho0 ? r + 0.5 * xtol : r - 0.5 * xtol, f;
  sp_model x = *m;
  x.rho0 = beyond;
  sp_verdict v;
  if (step(beyond, &sp, &f) || f < 0.0 || sp_recommend_verdict(&x, w, rho_max, &v))
    return;
  *at = r;
  *other = v.phase;
}

int sp_sensitivity_rho0(const sp_model *m, const sp_workspace *w, double rho_max, double xtol,
                        sp_sensitivity *s)
{
  if (!m || !s)
    return SP_EINVAL;
  if (!(xtol > 0.0) || !(rho_max > -1.0 && rho_max < 1.0))
    return SP_EDOM;
  sp_verdict v;
  int st = sp_recommend_verdict(m, w, rho_max, &v);
  if (st)
    return st;
  s->phase = v.phase;
  s->rho0_tol = xtol;
  int signed_domain = m->stats == SP_STATS_FINITE || m->attention == SP_ATTN_UNIFORM;
  double lo = signed_domain ? -1.0 / (double)(m->tokens - 1) : 0.0;
  one_side(m, w, rho_max, xtol, (int)v.phase, lo, &s->rho0_down, &s->phase_down);
  one_side(m, w, rho_max, xtol, (int)v.phase, 1.0, &s->rho0_up, &s->phase_up);
  return SP_OK;
}

int sp_sensitivity_depth(const sp_model *m, const sp_workspace *w, double rho_max,
                         long depth_max, sp_sensitivity *s)
{
  if (!m || !s)
    return SP_EINVAL;
  int st = sp_workspace_check(w, m);
  if (st)
    return st;
  if (depth_max < m->depth || depth_max > SP_MAX_DEPTH || !(rho_max > -1.0 && rho_max < 1.0))
    return SP_EDOM;
  long L = m->depth;
  sp_phase at_l = SP_PHASE_TRAINABLE, want = SP_PHASE_TRAINABLE;
  s->depth_down = s->depth_up = 0;
  s->depth_phase_down = s->depth_phase_up = SP_PHASE_TRAINABLE;
  s->depth_max = depth_max;
  /* Verdicts of depths 1..L-1 are only known once the verdict at L is:
   * remember the last depth below L whose verdict differs from each
   * other phase (four phases). */
  long last_other[4] = {0, 0, 0, 0};
  sp_phase last_phase[4] = {SP_PHASE_TRAINABLE, SP_PHASE_TRAINABLE, SP_PHASE_TRAINABLE,
                            SP_PHASE_TRAINABLE};
  sp_verdict_walk walk; /* the verdict after l blocks, as sp_recommend_verdict forms it */
  sp_verdict_walk_start(m, &walk);
  for (long l = 1; l <= depth_max; l++) {
    if ((st = sp_verdict_walk_block(m, w, l, &walk)))
      return st;
    at_l = sp_verdict_walk_phase(&walk, rho_max);
    if (l < L) {
      for (int k = 0; k < 4; k++)
        if ((int)at_l != k) {
          last_other[k] = l;
          last_phase[k] = at_l;
        }
    } else if (l == L) {
      want = at_l;
      s->phase = want;
      if (last_other[want]) {
        s->depth_down = last_other[want];
        s->depth_phase_down = last_phase[want];
      }
    } else if (at_l != want) {
      s->depth_up = l;
      s->depth_phase_up = at_l;
      break;
    }
  }
  return SP_OK;
}
