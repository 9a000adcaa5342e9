/* Classic mean field of a deep MLP (theory.md §8).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/meanfield.h"
#include "sigprop/activation.h"
#include "sigprop/gauss.h"
#include "sigprop/status.h"
#include "hermite.h"
#include "meanfield_private.h"
#include "root.h"

#include <math.h>

/* Downward scan of the correlation map for c* < 1: steps of 1/32 in c, fine
 * enough to separate the fixed points of these smooth maps (one below 1 for
 * every activation here) and cheap (64 kernels). */
#define C_SCAN 64
/* |chi1 - target| above this at the end of Brent's method means a jump,
 * not a root: chi1 is O(1) and its slope near a root O(1) too, so a root
 * located to xtol leaves a residual of order xtol. */
#define JUMP_TOL 1e-6

typedef struct {
  sp_activation act;
  double a, sw, sb;
  double q;   /* for the correlation map */
  int status; /* first error seen inside a solver */
  const sp_hermite *h; /* phi's Hermite expansion at q, or NULL */
  sp_hermite_table *ht; /* where to read that expansion, or NULL */
} mf_problem;

/* One of the maps' functions with its problem, as sp_root_brent() calls
 * it: the status is the problem's first error. */
typedef struct {
  double (*f)(double, void *);
  void *pb;
  int *status;
} mf_fn;

static int mf_call(double x, void *arg, double *fx)
{
  mf_fn *c = arg;
  *fx = c->f(x, c->pb);
  return *c->status;
}

/* Brent on f over [lo, hi] (f(lo), f(hi) of opposite signs) to relative
 * tolerance SP_MF_TOL (absolute `abstol`). */
static int brent(double (*f)(double, void *), mf_problem *pb, double lo, double hi,
                 double abstol, double *root)
{
  mf_fn c = {f, pb, &pb->status};
  double flo = f(lo, pb), fhi = f(hi, pb);
  if (pb->status)
    return pb->status;
  return sp_root_brent(mf_call, &c, lo, hi, flo, fhi, abstol, SP_MF_TOL, root);
}

/* E[phi(sqrt(q) z)^2] / q for q > 0; its limit phi'(0)^2 at q = 0. */
static double phi2_over_q(mf_problem *pb, double q)
{
  if (q == 0.0) {
    double d = sp_activation_dphi(pb->act, pb->a, 0.0);
    return d * d;
  }
  double e2;
  int s = pb->ht ? sp_hermite_table_moments(pb->ht, q, &e2, NULL) : SP_ENOCONV;
  if (s == SP_ENOCONV)
    s = sp_gauss_phi_moments(pb->act, pb->a, q, q, &e2, NULL);
  if (s && !pb->status)
    pb->status = s;
  return s ? NAN : e2 / q;
}

/* map(q) - q, and (map(q) - q) / q for sb = 0. */
static double q_excess(double q, void *arg)
{
  mf_problem *pb = arg;
  return pb->sw * q * phi2_over_q(pb, q) + pb->sb - q;
}

static double q_excess_rel(double q, void *arg)
{
  mf_problem *pb = arg;
  return pb->sw * phi2_over_q(pb, q) - 1.0;
}

static int solve_q(mf_problem *pb, sp_mf_q *kind, double *q_star)
{
  const double sw = pb->sw, sb = pb->sb;
  *q_star = NAN;
  if (pb->act == SP_ACT_RELU || pb->act == SP_ACT_LINEAR) {
    double slope = pb->act == SP_ACT_RELU ? 0.5 * sw : sw; /* the map is linear */
    if (slope < 1.0) {
      *kind = SP_MF_Q_FINITE;
      *q_star = sb / (1.0 - slope);
    } else {
      *kind = slope == 1.0 && sb == 0.0 ? SP_MF_Q_ANY : SP_MF_Q_NONE;
    }
    return SP_OK;
  }
  double (*f)(double, void *) = sb > 0.0 ? q_excess : q_excess_rel;
  double f0 = f(0.0, pb);
  if (pb->status)
    return pb->status;
  if (f0 <= 0.0) { /* sb = 0 and 0 is stable (or marginal) */
    *kind = SP_MF_Q_FINITE;
    *q_star = 0.0;
    return SP_OK;
  }
  /* Geometric scan from 1e-8 (below which a root of f would be found by
   * the bracket [0, 1e-8] all the same) by factors of 2. */
  double lo = 0.0, hi = 1e-8, fh = f(hi, pb);
  while (fh > 0.0 && hi < SP_MF_Q_MAX && !pb->status) {
    lo = hi;
    hi *= 2.0;
    fh = f(hi, pb);
  }
  if (pb->status)
    return pb->status;
  if (fh > 0.0 || isnan(fh)) {
    *kind = SP_MF_Q_NONE;
    return SP_OK;
  }
  *kind = SP_MF_Q_FINITE;
  if (fh == 0.0) {
    *q_star = hi;
    return SP_OK;
  }
  return brent(f, pb, lo, hi, 0.0, q_star);
}

/* (C(c) - c) / (1 - c) = 1 - sw gap(q, q c) / (q (1 - c)) at pb->q. */
static double c_excess(double c, void *arg)
{
  mf_problem *pb = arg;
  double q = pb->q;
  if (pb->h) /* gap / (1 - c) = sum a_n^2 (1 + c + ... + c^(n-1)) */
    return 1.0 - pb->sw * sp_hermite_gap_ratio(pb->h, c) / q;
  sp_kernel k;
  int s = sp_gauss_kernel_d(pb->act, pb->a, q, q * (1.0 - c), &k);
  if (s) {
    if (!pb->status)
      pb->status = s;
    return NAN;
  }
  return 1.0 - pb->sw * k.gap / (q * (1.0 - c));
}

static int solve_c(mf_problem *pb, double chi1, double *c_star)
{
  if (chi1 <= 1.0) {
    *c_star = 1.0;
    return SP_OK;
  }
  double hi = 1.0;
  for (int k = 1; k <= C_SCAN; k++) {
    double c = 1.0 - 2.0 * k / (double)C_SCAN, f = c_excess(c, pb);
    if (pb->status)
      return pb->status;
    if (f == 0.0) {
      *c_star = c;
      return SP_OK;
    }
    if (f > 0.0) {
      if (hi == 1.0) {
        /* The excess at 1 is its limit 1 - chi1 < 0; bracket just below,
         * where it is 1 - chi1 + O(1e-9) and the gap still has ~7 digits. */
        hi = 1.0 - 1e-9;
        if (c_excess(hi, pb) >= 0.0) {
          *c_star = hi;
          return pb->status;
        }
      }
      return brent(c_excess, pb, c, hi, 1e-15, c_star);
    }
    hi = c;
  }
  *c_star = -1.0; /* (C(-1) + 1) / 2 >= 0 always: reached only at equality */
  return SP_OK;
}

/* Depth scale -1/log(slope) of a fixed point: +infinity at slope 1
 * (criticality: power-law approach), 0 at slope 0. */
static double depth_scale(double slope)
{
  if (slope >= 1.0)
    return INFINITY;
  return slope > 0.0 ? -1.0 / log(slope) : 0.0;
}

static int check_args(sp_activation act, double a, double sw, double sb)
{
  if ((unsigned)act >= SP_NACT)
    return SP_EINVAL;
  if (!(sw >= 0.0) || !(sb >= 0.0) || !isfinite(sw) || !isfinite(sb) || !(a > 0.0)
      || !isfinite(a))
    return SP_EDOM;
  return SP_OK;
}

/* c* and xi_c at pb->q (> 0) given mf->chi1: the correlation map through
 * phi's Hermite expansion at q when it converges (gelu, tanh, silu, q <=
 * SP_HERMITE_QMAX: sums instead of a two-dimensional quadrature per
 * evaluation; read from pb->ht when given and covering q), else by
 * quadrature. */
static int solve_correlation(mf_problem *pb, sp_meanfield *mf)
{
  sp_hermite h;
  int s = pb->ht ? sp_hermite_table_eval(pb->ht, pb->q, &h) : SP_ENOCONV;
  if (s == SP_ENOCONV)
    s = sp_hermite_compute(pb->act, pb->a, pb->q, &h);
  if (s != SP_OK && s != SP_ENOCONV)
    return s;
  pb->h = s == SP_OK ? &h : NULL;
  double pp = NAN;
  s = solve_c(pb, mf->chi1, &mf->c_star);
  if (!s && mf->c_star != 1.0) {
    if (pb->h) /* E[phi'(u) phi'(v)] = sum n a_n^2 c^(n-1) / q */
      pp = sp_hermite_slope(pb->h, mf->c_star) / pb->q;
    else
      s = sp_gauss_dphi_pair(pb->act, pb->a, pb->q, pb->q * mf->c_star, &pp);
  }
  if (pb->h)
    sp_hermite_free(&h);
  pb->h = NULL;
  if (s)
    return s;
  mf->xi_c = depth_scale(mf->c_star == 1.0 ? mf->chi1 : pb->sw * pp);
  return SP_OK;
}

int sp_meanfield_solve(sp_activation act, double a, double sw, double sb, sp_meanfield *mf)
{
  return sp_meanfield_solve_tabulated(act, a, sw, sb, NULL, mf);
}

int sp_meanfield_solve_tabulated(sp_activation act, double a, double sw, double sb,
                                 sp_hermite_table *ht, sp_meanfield *mf)
{
  if (!mf)
    return SP_EINVAL;
  int s = check_args(act, a, sw, sb);
  if (s)
    return s;
  mf_problem pb = {act, a, sw, sb, 0.0, SP_OK, NULL, ht};
  mf->q_star = mf->chi1 = mf->c_star = mf->xi_c = mf->xi_q = NAN;
  if ((s = solve_q(&pb, &mf->kind, &mf->q_star)))
    return s;
  double d2;
  if (mf->kind == SP_MF_Q_NONE) {
    /* phi' tends to the unit step for relu, gelu, silu (1 for linear). */
    mf->chi1 = act == SP_ACT_LINEAR ? sw : 0.5 * sw;
    return SP_OK;
  }
  /* relu and linear do not depend on q; any q serves for SP_MF_Q_ANY. */
  double q = mf->kind == SP_MF_Q_ANY ? 1.0 : mf->q_star;
  double price;
  if (ht && q > 0.0 && sp_hermite_table_moments(ht, q, NULL, &price) == SP_OK)
    d2 = price / q; /* Price's theorem */
  else if ((s = sp_gauss_dphi2(act, a, q, &d2)))
    return s;
  mf->chi1 = sw * d2;
  double phid2;
  if ((s = sp_gauss_phi_d2phi(act, a, q, &phid2)))
    return s;
  mf->xi_q = depth_scale(mf->chi1 + sw * phid2);
  if (q == 0.0) {
    /* q* = 0 is stable: chi1 <= 1 and the correlation is that of a
     * linear network, kept by the map. */
    mf->c_star = 1.0;
    mf->xi_c = depth_scale(mf->chi1);
    return SP_OK;
  }
  pb.q = q;
  return solve_correlation(&pb, mf);
}

int sp_meanfield_map(sp_activation act, double a, double sw, double sb, double q, double c,
                     double *q_next, double *c_next)
{
  int s = check_args(act, a, sw, sb);
  if (s)
    return s;
  if (!(q > 0.0) || !isfinite(q) || !(fabs(c) <= 1.0 + 1e-15))
    return SP_EDOM;
  c = c > 1.0 ? 1.0 : c < -1.0 ? -1.0 : c;
  sp_kernel k;
  if ((s = sp_gauss_kernel_d(act, a, q, q * (1.0 - c), &k)))
    return s;
  double qn = sw * k.phi2 + sb;
  if (!(qn > 0.0))
    return SP_EDOM;
  if (q_next)
    *q_next = qn;
  if (c_next)
    *c_next = 1.0 - sw * k.gap / qn; /* (sw phiphi + sb) / q' through the gap */
  return SP_OK;
}

typedef struct {
  sp_activation act;
  double a, sw, sb, target;
  sp_mf_param param;
  int status;
} crit_problem;

static double chi_excess(double x, void *arg)
{
  crit_problem *pb = arg;
  sp_meanfield mf;
  int s = pb->param == SP_MF_VAR_W ? sp_meanfield_solve(pb->act, pb->a, x, pb->sb, &mf)
                                   : sp_meanfield_solve(pb->act, pb->a, pb->sw, x, &mf);
  if (s) {
    if (!pb->status)
      pb->status = s;
    return NAN;
  }
  return mf.chi1 - pb->target;
}

int sp_meanfield_critical(sp_activation act, double a, double sw, double sb, sp_mf_param param,
                          double target, double lo, double hi, double xtol, double *root)
{
  if (!root)
    return SP_EINVAL;
  *root = NAN;
  if (param != SP_MF_VAR_W && param != SP_MF_VAR_B)
    return SP_EINVAL;
  int s = check_args(act, a, param == SP_MF_VAR_W ? 0.0 : sw, param == SP_MF_VAR_B ? 0.0 : sb);
  if (s)
    return s;
  if (!(lo >= 0.0) || !(hi > lo) || !isfinite(hi) || !(target > 0.0) || !isfinite(target)
      || !(xtol > 0.0))
    return SP_EDOM;
  crit_problem pb = {act, a, sw, sb, target, param, SP_OK};
  double xp = lo, fp = chi_excess(lo, &pb);
  if (pb.status)
    return pb.status;
  if (fp == 0.0) {
    *root = lo;
    return SP_OK;
  }
  for (int i = 1; i <= SP_MF_SCAN; i++) {
    double x = lo + (hi - lo) * (double)i / SP_MF_SCAN, f = chi_excess(x, &pb);
    if (pb.status)
      return pb.status;
    if (f == 0.0) {
      *root = x;
      return SP_OK;
    }
    if ((f > 0.0) != (fp > 0.0)) {
      mf_fn c = {chi_excess, &pb, &pb.status};
      double r;
      int st = sp_root_brent(mf_call, &c, xp, x, fp, f, xtol, 0.0, &r);
      if (st)
        return st;
      *root = r;
      /* A jump of chi1 across the target (q* disappearing) is bracketed
       * like a root; tell them apart by the residual. */
      double fr = chi_excess(r, &pb);
      if (pb.status)
        return pb.status;
      return fabs(fr) <= JUMP_TOL ? SP_OK : SP_ENOROOT;
    }
    xp = x;
    fp = f;
  }
  return SP_ENOROOT;
}
