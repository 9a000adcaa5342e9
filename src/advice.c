/* Advice on a network given by its framework stds: both forms of the
 * recommendation, sensitivity and flags (theory.md §9, §10, §11).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/advice.h"
#include "sigprop/preset.h"
#include "sigprop/status.h"

#include <math.h>
#include <string.h>

const char *sp_advice_flag_name(unsigned f)
{
  switch (f) {
  case SP_FLAG_FLOAT16: return "float16-range";
  case SP_FLAG_BFLOAT16: return "bfloat16-range";
  case SP_FLAG_OVERFLOW: return "overflow";
  case SP_FLAG_QK_VANISHING: return "qk-gradient-vanishing";
  case SP_FLAG_MARGIN_FLIP: return "margin-flip";
  default: return "?";
  }
}

/* Flags of a verdict and of block 1's gradient. */
static unsigned point_flags(const sp_verdict *v, const sp_first_block *fb)
{
  unsigned f = 0;
  if (!(v->q_final <= SP_Q_MAX_FLOAT16))
    f |= SP_FLAG_FLOAT16;
  if (!(v->q_final <= SP_Q_MAX_BFLOAT16))
    f |= SP_FLAG_BFLOAT16;
  if (v->overflow_block)
    f |= SP_FLAG_OVERFLOW;
  if (fb && fb->width > 0
      && (!(fb->qk_floor > 0.0) || !(fb->qk_gradient_width >= SP_QK_VANISHING * fb->qk_floor)))
    f |= SP_FLAG_QK_VANISHING;
  return f;
}

/* x strictly inside (c/(1+M), c (1+M)) for c > 0, by more than rounding:
 * a point placed at an edge divided by (1 + M) keeps its margin. */
static int within(double x, double c, double onem)
{
  const double slack = 1e-9;
  return c > 0.0 && x > c / onem * (1.0 + slack) && x < c * onem * (1.0 - slack);
}

/* An end of a beta interval where the verdict changes, within the margin;
 * NaN when none. */
static double beta_flip(int status, const sp_beta_interval *b, double beta, double onem)
{
  if (status)
    return NAN;
  if (b->lo_edge != SP_EDGE_RANGE && within(b->lo, beta, onem))
    return b->lo;
  if (b->hi_edge != SP_EDGE_RANGE && within(b->hi, beta, onem))
    return b->hi;
  return NAN;
}

static void sensitivity(const sp_model *m, const sp_workspace *w, const sp_recommend_options *o,
                        sp_advice *a)
{
  memset(&a->sens, 0, sizeof a->sens);
  a->sens.rho0_down = a->sens.rho0_up = NAN;
  a->sens_rho0_status = sp_sensitivity_rho0(m, w, o->rho_max, 1e-6, &a->sens);
  long L = m->depth, lmax = L > 100 ? 4 * L : L + 100;
  if (lmax > SP_MAX_DEPTH || lmax < L)
    lmax = SP_MAX_DEPTH;
  a->sens_depth_status = sp_sensitivity_depth(m, w, o->rho_max, lmax, &a->sens);
}

static unsigned given_flags(const sp_model *m, const sp_recommend_options *o, sp_advice *a,
                            const sp_recommendation *r)
{
  double onem = 1.0 + o->margin;
  unsigned f = point_flags(&r->verdict, &r->first);
  const sp_sensitivity *s = &a->sens;
  a->flip_rho0 = a->flip_beta = NAN;
  a->flip_depth = 0;
  if (!a->sens_rho0_status) {
    if (within(s->rho0_up, m->rho0, onem))
      a->flip_rho0 = s->rho0_up;
    else if (within(s->rho0_down, m->rho0, onem))
      a->flip_rho0 = s->rho0_down;
  }
  if (!a->sens_depth_status) {
    if (s->depth_up && within((double)s->depth_up, (double)m->depth, onem))
      a->flip_depth = s->depth_up;
    else if (s->depth_down && within((double)s->depth_down, (double)m->depth, onem))
      a->flip_depth = s->depth_down;
  }
  a->flip_beta = beta_flip(r->beta_status, &r->beta_range, m->beta, onem);
  if (!isnan(a->flip_rho0) || a->flip_depth || !isnan(a->flip_beta))
    f |= SP_FLAG_MARGIN_FLIP;
  return f;
}

static unsigned rec_flags(const sp_workspace *w, const sp_recommend_options *o,
                          const sp_recommendation *r, sp_advice *a)
{
  a->rec_flip_beta = NAN;
  a->rec_first_status = r->rec_status ? r->rec_status
                        : sp_recommend_first_block(&r->recommended, w, o->width, &a->rec_first);
  if (r->rec_status)
    return 0;
  unsigned f = point_flags(&r->rec_verdict, a->rec_first_status ? NULL : &a->rec_first);
  a->rec_flip_beta = beta_flip(r->rec_beta_status, &r->rec_beta_range, r->recommended.beta,
                               1.0 + o->margin);
  if (r->margin_squeezed || !isnan(a->rec_flip_beta))
    f |= SP_FLAG_MARGIN_FLIP;
  return f;
}

/* Both recommendations and their std tables. */
static void recommend_both(const sp_model *m, const sp_workspace *w, const sp_stds *given,
                           const sp_recommend_options *o, sp_advice *a)
{
  sp_recommend_options po = *o, co = *o;
  if (sp_gain_is_branch(o->gain))
    co.gain = SP_GAIN_ALPHA;
  else
    po.gain = SP_GAIN_BRANCH;
  a->pure_gain = po.gain;
  a->code_gain = co.gain;
  a->pure_status = sp_recommend(m, w, &po, &a->pure);
  a->code_status = sp_recommend(m, w, &co, &a->code);
  a->pure_ok = !a->pure_status && !a->pure.rec_status
               && a->pure.rec_verdict.phase == SP_PHASE_TRAINABLE;
  a->primary_pure = a->pure_ok;
  sp_stds_init(&a->pure_stds);
  sp_stds_init(&a->code_stds);
  a->std_qk_lo = a->std_qk_hi = NAN;
  if (given->d_model < 1)
    return;
  if (!a->pure_status)
    sp_stds_from_model(&a->pure.recommended, given, 1, &a->pure_stds);
  if (!a->code_status)
    sp_stds_from_model(&a->code.recommended, given, 0, &a->code_stds);
  const sp_recommendation *r = a->primary_pure ? &a->pure : &a->code;
  int rs = a->primary_pure ? a->pure_status : a->code_status;
  if (!rs && !r->rec_beta_status) {
    a->std_qk_lo = sp_preset_std_qk(r->rec_beta_range.lo, m->tokens, given->d_model);
    a->std_qk_hi = sp_preset_std_qk(r->rec_beta_range.hi, m->tokens, given->d_model);
  }
}

int sp_advice_eval(const sp_model *m, const sp_workspace *w, const sp_stds *given,
              const sp_recommend_options *o, sp_advice *a)
{
  if (!m || !given || !o || !a)
    return SP_EINVAL;
  if (given->d_model < 0)
    return SP_EDOM;
  memset(a, 0, sizeof *a);
  sp_verdict v;
  int s = sp_recommend_verdict(m, w, o->rho_max, &v);
  if (s)
    return s;
  sp_recommend_options oo = *o;
  oo.width = given->d_model;
  sp_stds_init(&a->given);
  if (given->d_model >= 1 && (s = sp_stds_from_model(m, given, 0, &a->given)))
    return s;
  if (given->d_model < 1)
    a->given = *given;
  recommend_both(m, w, given, &oo, a);
  if (a->pure_status && a->code_status)
    return a->code_status;
  sensitivity(m, w, &oo, a);
  const sp_recommendation *r = a->primary_pure ? &a->pure : &a->code;
  a->flags = given_flags(m, &oo, a, a->pure_status ? &a->code : &a->pure);
  a->rec_flags = rec_flags(w, &oo, r, a);
  return SP_OK;
}
