/* Classification of a configuration, trainable ranges, critical gains and
 * a recommended point (theory.md §7, §9, §10).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/recommend.h"
#include "sigprop/grad.h"
#include "sigprop/status.h"
#include "root.h"
#include "verdict.h"

#include <math.h>
#include <string.h>

const char *sp_phase_name(sp_phase p)
{
  switch (p) {
  case SP_PHASE_TRAINABLE: return "trainable";
  case SP_PHASE_RANK_COLLAPSE: return "rank-collapse";
  case SP_PHASE_ENTROPY_COLLAPSE: return "entropy-collapse";
  case SP_PHASE_OVERFLOW: return "stream-overflow";
  default: return "?";
  }
}

const char *sp_edge_name(sp_edge e)
{
  switch (e) {
  case SP_EDGE_RANGE: return "range";
  case SP_EDGE_RANK: return "rank-collapse";
  case SP_EDGE_ENTROPY: return "entropy-collapse";
  case SP_EDGE_OVERFLOW: return "stream-overflow";
  default: return "?";
  }
}

void sp_verdict_walk_start(const sp_model *m, sp_verdict_walk *k)
{
  k->q = m->q0;
  k->p = m->rho0 * m->q0;
  k->rho = m->rho0;
  k->beta_c_min = INFINITY;
  k->frozen = k->first_frozen = k->overflow = 0;
}

int sp_verdict_walk_block(const sp_model *m, const sp_workspace *w, long l, sp_verdict_walk *k)
{
  if (k->overflow)
    return SP_OK;
  sp_attn_stats st;
  double q_in = k->q;
  int s = sp_maps_block(m, w, &k->q, &k->p, SP_REM_Y2, &st);
  /* An overflow, or any failure of a stream already beyond the range
   * (e.g. finite-T statistics of a score variance near DBL_MAX). */
  if (s == SP_EOVERFLOW || (s && q_in > SP_Q_MAX_FLOAT16)) {
    k->overflow = l;
    k->q = INFINITY;
    return SP_OK;
  }
  if (s)
    return s;
  k->rho = k->p / k->q;
  if (m->attention != SP_ATTN_UNIFORM && st.beta_c < k->beta_c_min)
    k->beta_c_min = st.beta_c;
  if (st.frozen) {
    k->frozen++;
    if (!k->first_frozen)
      k->first_frozen = l;
  }
  return SP_OK;
}

sp_phase sp_verdict_walk_phase(const sp_verdict_walk *k, double rho_max)
{
  return !(k->q <= SP_Q_MAX_FLOAT16) ? SP_PHASE_OVERFLOW
         : k->frozen ? SP_PHASE_ENTROPY_COLLAPSE
         : k->rho >= rho_max ? SP_PHASE_RANK_COLLAPSE : SP_PHASE_TRAINABLE;
}

int sp_recommend_verdict(const sp_model *m, const sp_workspace *w, double rho_max, sp_verdict *v)
{
  if (!v)
    return SP_EINVAL;
  int s = sp_workspace_check(w, m);
  if (s)
    return s;
  if (!(rho_max > -1.0 && rho_max < 1.0))
    return SP_EDOM;
  sp_verdict_walk k;
  sp_verdict_walk_start(m, &k);
  for (long l = 1; l <= m->depth && !k.overflow; l++)
    if ((s = sp_verdict_walk_block(m, w, l, &k)))
      return s;
  v->phase = sp_verdict_walk_phase(&k, rho_max);
  v->rho_final = k.rho;
  v->q_final = k.q;
  v->overflow_block = k.overflow;
  v->frozen_layers = k.frozen;
  v->first_frozen = k.first_frozen;
  v->beta_c_min = k.beta_c_min;
  return SP_OK;
}

int sp_recommend_first_block(const sp_model *m, const sp_workspace *w, long width,
                             sp_first_block *fb)
{
  if (!fb)
    return SP_EINVAL;
  int s = sp_workspace_check(w, m);
  if (s)
    return s;
  if (width < 0)
    return SP_EDOM;
  /* What the attention sees (theory.md §6), and where beta_c is judged. */
  double q = m->q0, p = m->rho0 * m->q0, qb = q, pb = p;
  if (m->norm == SP_NORM_PRE) {
    q = 1.0;
    p = m->rho0;
    if (m->beta_c_on == SP_BETAC_INPUT)
      qb = q, pb = p;
  }
  if ((s = sp_maps_attention_stats(m, w, qb, pb, SP_REM_ALL, &fb->stats)))
    return s;
  fb->q = q;
  fb->p = p;
  double gap = q - p > 0.0 ? q - p : 0.0;
  fb->qk_gradient = m->beta * m->var_v * q * gap * gap * fb->stats.g;
  fb->width = width;
  fb->qk_gradient_width = fb->qk_gradient;
  fb->qk_floor = NAN;
  if (width > 0) {
    double y2 = fb->stats.y2, y2sq = fb->stats.y2sq;
    /* Clip rounding of the quadratures into the function's domain. */
    y2 = fmin(fmax(y2, 0.0), 1.0);
    y2sq = fmin(fmax(y2sq, 0.0), y2);
    fb->qk_gradient_width = sp_grad_wq_width(m->beta, m->var_v, q, p > q ? q : p,
                                             fb->stats.g > 0.0 ? fb->stats.g : 0.0, y2, y2sq,
                                             width);
    fb->qk_floor = m->beta * m->var_v * q * q * q / (double)width;
  }
  return SP_OK;
}

/* ---- one-dimensional problems for Brent ------------------------------ */

typedef enum {
  F_RHO_BETA,     /* rho_L(beta) - rho_max */
  F_ENTROPY_BETA, /* beta - beta_c_min(beta) */
  F_RHO_GAIN,     /* rho_L(gain) - rho_max */
  F_Q_BETA,       /* log(q_L(beta) / SP_Q_MAX_FLOAT16) */
  F_Q_GAIN        /* log(q_L(gain) / SP_Q_MAX_FLOAT16) */
} fn_kind;

typedef struct {
  sp_model m;
  const sp_workspace *w;
  fn_kind kind;
  sp_gain gain;
  double rho_max;
  int status; /* first error met inside the solver */
} problem;

static double fn(double x, void *arg)
{
  problem *pb = arg;
  sp_verdict v;
  if (pb->kind == F_RHO_GAIN || pb->kind == F_Q_GAIN)
    sp_gain_set(&pb->m, pb->gain, x);
  else
    pb->m.beta = x;
  int s = sp_recommend_verdict(&pb->m, pb->w, pb->rho_max, &v);
  if (s) {
    if (!pb->status)
      pb->status = s;
    return NAN;
  }
  if (pb->kind == F_ENTROPY_BETA)
    return isfinite(v.beta_c_min) ? x - v.beta_c_min : -1.0;
  if (pb->kind == F_Q_BETA || pb->kind == F_Q_GAIN)
    return isfinite(v.q_final) ? log(v.q_final / SP_Q_MAX_FLOAT16) : 1e3;
  return v.rho_final - pb->rho_max;
}

static int fn_status(double x, void *arg, double *f)
{
  problem *pb = arg;
  *f = fn(x, pb);
  return pb->status;
}

/* Root of pb's function in [a, b], where it changes sign, to xtol. */
static int brent(problem *pb, double a, double b, double xtol, double *root)
{
  double fa = fn(a, pb), fb = fn(b, pb), r;
  if (pb->status)
    return pb->status;
  int s = sp_root_brent(fn_status, pb, a, b, fa, fb, xtol, 0.0, &r);
  if (s == SP_OK)
    *root = r;
  return s;
}

/* ---- trainable beta ---------------------------------------------------- */

/* beta_c of block 1's input, which bounds every trainable beta. */
static int beta_top(const sp_model *m, const sp_workspace *w, double *top, sp_edge *edge)
{
  sp_first_block fb;
  int s = sp_recommend_first_block(m, w, 0, &fb);
  if (s)
    return s;
  if (m->attention == SP_ATTN_UNIFORM || !isfinite(fb.stats.beta_c)) {
    *top = fmax(10.0, 2.0 * m->beta);
    *edge = SP_EDGE_RANGE;
  } else {
    *top = fb.stats.beta_c;
    *edge = SP_EDGE_ENTROPY;
  }
  return SP_OK;
}

/* Refine the edge between a trainable beta `in` and a collapsed beta
 * `out` of phase `ph`. */
static int refine_beta(const sp_model *m, const sp_workspace *w, double rho_max, double xtol,
                       double in, double out, sp_phase ph, double *edge, sp_edge *kind)
{
  problem pb = {*m, w,
                ph == SP_PHASE_ENTROPY_COLLAPSE ? F_ENTROPY_BETA
                : ph == SP_PHASE_OVERFLOW       ? F_Q_BETA : F_RHO_BETA,
                SP_GAIN_ALPHA, rho_max, SP_OK};
  *kind = ph == SP_PHASE_ENTROPY_COLLAPSE ? SP_EDGE_ENTROPY
          : ph == SP_PHASE_OVERFLOW       ? SP_EDGE_OVERFLOW : SP_EDGE_RANK;
  double a = in < out ? in : out, b = in < out ? out : in;
  int s = brent(&pb, a, b, xtol, edge);
  if (s == SP_ENOROOT) {
    /* No sign change of the continuous function between the two points
     * (e.g. a failed iteration next door): keep the last trainable point. */
    *edge = in;
    return SP_OK;
  }
  return s;
}

/* The checks before a search: SP_EDOM for a tolerance that is not positive,
 * else the status of the verdict on m (which validates the model). */
static int check_search(const sp_model *m, const sp_workspace *w, double rho_max, double xtol)
{
  if (!(xtol > 0.0))
    return SP_EDOM;
  sp_verdict v;
  return sp_recommend_verdict(m, w, rho_max, &v);
}

int sp_recommend_trainable_beta(const sp_model *m, const sp_workspace *w, double rho_max,
                                double xtol,
                                sp_beta_interval *out, int *runs)
{
  if (!out)
    return SP_EINVAL;
  out->lo = out->hi = NAN;
  out->lo_edge = out->hi_edge = SP_EDGE_RANGE;
  if (runs)
    *runs = 0;
  int s = check_search(m, w, rho_max, xtol);
  if (s)
    return s;
  sp_verdict v;
  double top;
  sp_edge top_edge;
  if ((s = beta_top(m, w, &top, &top_edge)))
    return s;
  enum { N = SP_RECOMMEND_SCAN };
  int ph[N + 1]; /* phase, or -1 where the iteration failed */
  sp_model x = *m;
  for (int i = 0; i <= N; i++) {
    x.beta = top * (double)i / N;
    ph[i] = sp_recommend_verdict(&x, w, rho_max, &v) ? -1 : (int)v.phase;
  }
  int best = -1, best_len = 0, nruns = 0;
  for (int i = 0; i <= N;) {
    if (ph[i] != SP_PHASE_TRAINABLE) {
      i++;
      continue;
    }
    int j = i;
    while (j + 1 <= N && ph[j + 1] == SP_PHASE_TRAINABLE)
      j++;
    nruns++;
    if (j - i + 1 > best_len)
      best = i, best_len = j - i + 1;
    i = j + 1;
  }
  if (runs)
    *runs = nruns;
  if (best < 0)
    return SP_ENOROOT;
  int i = best, j = best + best_len - 1;
  double h = top / N;
  if (i == 0) {
    out->lo = 0.0;
    out->lo_edge = SP_EDGE_RANGE;
  } else if (ph[i - 1] < 0) {
    out->lo = i * h;
    out->lo_edge = SP_EDGE_RANK;
  } else if ((s = refine_beta(m, w, rho_max, xtol, i * h, (i - 1) * h, (sp_phase)ph[i - 1],
                              &out->lo, &out->lo_edge))) {
    return s;
  }
  if (j == N) {
    out->hi = top;
    out->hi_edge = top_edge;
  } else if (ph[j + 1] < 0) {
    out->hi = j * h;
    out->hi_edge = SP_EDGE_RANK;
  } else if ((s = refine_beta(m, w, rho_max, xtol, j * h, (j + 1) * h, (sp_phase)ph[j + 1],
                              &out->hi, &out->hi_edge))) {
    return s;
  }
  return SP_OK;
}

int sp_recommend_entropy_edge(const sp_model *m, const sp_workspace *w, double xtol, double *beta_e)
{
  if (!beta_e)
    return SP_EINVAL;
  *beta_e = NAN;
  if (!(xtol > 0.0))
    return SP_EDOM;
  double top;
  sp_edge top_edge;
  int s = beta_top(m, w, &top, &top_edge);
  if (s)
    return s;
  if (top_edge != SP_EDGE_ENTROPY) {
    *beta_e = INFINITY;
    return SP_OK;
  }
  problem pb = {*m, w, F_ENTROPY_BETA, SP_GAIN_ALPHA, 0.0, SP_OK};
  /* beta - beta_c_min(beta) is negative at 0 and >= 0 at top (block 1
   * alone reaches it there); start from the side of the given beta. */
  double b0 = m->beta < top ? m->beta : top;
  double f0 = fn(b0, &pb);
  if (pb.status)
    return pb.status;
  s = f0 > 0.0 ? brent(&pb, 0.0, b0, xtol, beta_e) : brent(&pb, b0, top, xtol, beta_e);
  if (s == SP_ENOROOT) {
    *beta_e = top;
    return SP_OK;
  }
  return s;
}

/* ---- critical gain ----------------------------------------------------- */

/* 1 when rho_L <= rho_max at gain x, 0 when not, -1 when the iteration
 * fails there (e.g. the stream of a pre-LN stack overflows). */
static int classify_gain(problem *pb, double x)
{
  pb->status = SP_OK;
  double f = fn(x, pb);
  int c = pb->status != SP_OK ? -1 : f <= 0.0;
  pb->status = SP_OK;
  return c;
}

/* A failed iteration counts as collapsed. */
static int qualifies(problem *pb, double x)
{
  return classify_gain(pb, x) == 1;
}

int sp_recommend_critical_gain(const sp_model *m, const sp_workspace *w, sp_gain g, double rho_max,
                               double xtol, double *gain)
{
  if (!gain)
    return SP_EINVAL;
  *gain = NAN;
  if ((unsigned)g >= SP_NGAIN)
    return SP_EINVAL;
  int s = check_search(m, w, rho_max, xtol);
  if (s)
    return s;
  int branch = sp_gain_is_branch(g);
  problem pb = {*m, w, F_RHO_GAIN, g, rho_max, SP_OK};
  int ok0 = qualifies(&pb, 0.0);
  double cur = sp_gain_get(m, g);
  double hi = 4.0 * (cur > 1.0 ? cur : 1.0);
  /* Widen until the far end is on the other side of the boundary, or
   * where the iteration fails (then the boundary, if any, is below). */
  for (;;) {
    int c = classify_gain(&pb, hi);
    if (c < 0 || (branch ? c == 0 : c == 1))
      break;
    if (hi >= SP_GAIN_MAX) {
      if (branch && ok0) {
        *gain = INFINITY;
        return SP_OK;
      }
      return SP_ENOROOT;
    }
    hi = fmin(4.0 * hi, SP_GAIN_MAX);
  }
  if (!branch && ok0) {
    *gain = 0.0;
    return SP_OK;
  }
  if (branch && !ok0)
    return SP_ENOROOT;
  /* First crossing from 0 upwards. */
  enum { N = SP_RECOMMEND_SCAN };
  double prev = 0.0, a = NAN, b = NAN;
  for (int i = 1; i <= N; i++) {
    double x = hi * (double)i / N;
    int ok = qualifies(&pb, x);
    if (branch ? !ok : ok) {
      a = prev;
      b = x;
      break;
    }
    prev = x;
  }
  if (isnan(a))
    return SP_ENOROOT;
  pb.status = SP_OK;
  s = brent(&pb, a, b, xtol, gain);
  if (s != SP_OK && s != SP_ENOCONV && s != SP_ENOMEM) {
    /* The iteration fails at the collapsed end (e.g. a zero stream at
     * alpha = 0) or inside: nothing continuous to refine.  Report the
     * scan point that qualified, a safe side of the boundary. */
    *gain = branch ? a : b;
    return SP_OK;
  }
  return s;
}

/* ---- recommendation ---------------------------------------------------- */

void sp_recommend_options_default(sp_recommend_options *o)
{
  o->rho_max = 0.9;
  o->margin = 0.2;
  o->gain = SP_GAIN_ALPHA;
  o->xtol = 1e-10;
  o->width = 0;
}

static void no_interval(sp_beta_interval *b)
{
  b->lo = b->hi = NAN;
  b->lo_edge = b->hi_edge = SP_EDGE_RANGE;
}

/* log(q_L / SP_Q_MAX_FLOAT16) at gain g of x (> 0: overflow); 1e3 where the
 * iteration overflows a double, NaN on another error. */
static double q_excess(const sp_model *x, const sp_workspace *w, sp_gain g, double v)
{
  problem pb = {*x, w, F_Q_GAIN, g, 0.5, SP_OK};
  double f = fn(v, &pb);
  return pb.status ? NAN : f;
}

/* Keep the recommended gain below the one at which the stream leaves the
 * float16 range (q_L grows with every gain): cap it at that gain / (1+M);
 * when a skip gain's rank bound (critical (1+M)) then lies above the cap,
 * use the geometric mean of the two bounds and mark the margin squeezed. */
static void cap_overflow(const sp_workspace *w, const sp_recommend_options *o, sp_model *x,
    sp_recommendation *r)
{
  r->gain_overflow = INFINITY;
  r->margin_squeezed = 0;
  double onem = 1.0 + o->margin, hi = r->gain;
  if (!(q_excess(x, w, o->gain, hi) > 0.0))
    return;
  int branch = sp_gain_is_branch(o->gain);
  double lo = branch || r->gain_status || !isfinite(r->gain_critical) ? 0.0 : r->gain_critical;
  if (!(q_excess(x, w, o->gain, lo) <= 0.0)) {
    r->gain_overflow = NAN;
    return;
  }
  /* Bisection in the gain (the excess jumps where the iteration fails). */
  for (int i = 0; i < 200 && hi - lo > o->xtol * fmax(1.0, hi); i++) {
    double mid = 0.5 * (lo + hi), e = q_excess(x, w, o->gain, mid);
    if (e > 0.0)
      hi = mid;
    else
      lo = mid;
  }
  r->gain_overflow = lo;
  double cap = lo / onem, g = fmin(r->gain, cap);
  if (!branch && !r->gain_status && isfinite(r->gain_critical)
      && g < r->gain_critical * onem) {
    g = r->gain_critical > 0.0 ? sqrt(r->gain_critical * lo) : cap;
    r->margin_squeezed = 1;
  }
  r->gain = g;
  sp_gain_set(x, o->gain, g);
}

int sp_recommend(const sp_model *m, const sp_workspace *w, const sp_recommend_options *o,
                 sp_recommendation *r)
{
  if (!m || !o || !r)
    return SP_EINVAL;
  if (!(o->rho_max > 0.0 && o->rho_max < 1.0) || !(o->margin >= 0.0) || !isfinite(o->margin)
      || !(o->xtol > 0.0) || (unsigned)o->gain >= SP_NGAIN || o->width < 0)
    return SP_EDOM;
  memset(r, 0, sizeof *r);
  int s = sp_recommend_verdict(m, w, o->rho_max, &r->verdict);
  if (s)
    return s;
  if ((s = sp_recommend_first_block(m, w, o->width, &r->first)))
    return s;
  r->lambda_fd = 0;
  r->lambda_a_err = 0.0;
  r->lambda_q = 1.0;
  r->lambda_status = sp_propagate_angle_exponent(m, w, &r->lambda_a);
  if (r->lambda_status == SP_EUNSUP) {
    /* Pre-LN and no-LN blocks have no constant rate: linearise the last
     * block, at the stream's final squared norm. */
    sp_model y = *m;
    y.q0 = r->verdict.q_final;
    r->lambda_fd = 1;
    r->lambda_q = y.q0;
    r->lambda_status = sp_propagate_angle_exponent_fd(&y, w, &r->lambda_a, &r->lambda_a_err);
  }
  if (r->lambda_status)
    r->lambda_a = r->xi_a = NAN;
  else
    r->xi_a = r->lambda_a < 0.0 ? -1.0 / r->lambda_a : INFINITY;
  no_interval(&r->beta_range);
  r->beta_status = sp_recommend_trainable_beta(m, w, o->rho_max, o->xtol, &r->beta_range,
                                               &r->beta_runs);

  double onem = 1.0 + o->margin;
  r->edge_status = sp_recommend_entropy_edge(m, w, o->xtol, &r->beta_entropy);
  r->beta = m->beta;
  if (!r->edge_status && m->beta > r->beta_entropy / onem)
    r->beta = r->beta_entropy / onem;

  /* The gain at that beta.  Where the gain moves the entropy edge (the
   * stream's norm grows with it without a LayerNorm, or beta_c is judged
   * on the raw stream), lower beta again and repeat: a few rounds settle
   * it; post-LN blocks and pre-LN blocks judged on their normalised input
   * need one. */
  sp_model x = *m;
  double cur = sp_gain_get(m, o->gain);
  for (int round = 0; round < 8; round++) {
    x = *m;
    x.beta = r->beta;
    r->gain_status = sp_recommend_critical_gain(&x, w, o->gain, o->rho_max, o->xtol,
                                                &r->gain_critical);
    r->gain = cur;
    if (!r->gain_status && isfinite(r->gain_critical)) {
      if (sp_gain_is_branch(o->gain)) {
        if (cur > r->gain_critical / onem)
          r->gain = r->gain_critical / onem;
      } else if (cur < r->gain_critical * onem) {
        r->gain = r->gain_critical * onem;
      }
    }
    if (r->gain != cur)
      sp_gain_set(&x, o->gain, r->gain);
    double edge;
    if (r->gain == cur || sp_recommend_entropy_edge(&x, w, o->xtol, &edge)
        || r->beta <= edge / onem * (1.0 + 1e-12))
      break;
    r->beta = edge / onem;
  }
  cap_overflow(w, o, &x, r);
  r->recommended = x;
  r->rec_status = sp_recommend_verdict(&x, w, o->rho_max, &r->rec_verdict);
  no_interval(&r->rec_beta_range);
  r->rec_beta_status = r->rec_status ? r->rec_status
                       : sp_recommend_trainable_beta(&x, w, o->rho_max, o->xtol, &r->rec_beta_range,
                                                     &r->rec_beta_runs);
  return SP_OK;
}
