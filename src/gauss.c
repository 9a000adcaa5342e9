/* Gaussian expectations of the MLP nonlinearities: closed forms, and
 * trapezoidal sums with an error estimate for the smooth activations.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/gauss.h"
#include "sigprop/activation.h"
#include "sigprop/status.h"
#include "vmath.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

/* Gaussian variables are integrated over |z| <= ZMAX: the density there,
 * e^{-45} ~ 3e-20 times a polynomial of the activation's growth, is far
 * below SP_GAUSS_TOL. */
#define ZMAX 9.5
/* Coarsest steps: 0.35 in a standard normal variable (the trapezoidal
 * error of a Gaussian at step 2 h = 0.7 is e^{-2 pi^2 / 0.49} ~ 3e-18),
 * and SCALE_STEP / sigma for an activation argument of scale sigma (see
 * sp_gauss_kernel in the header). */
#define STEP 0.35
#define SCALE_STEP 0.2
/* Step halvings before giving up (SP_ENOCONV): 2^6 = 64 times finer. */
#define MAXLEVEL 6

double sp_gauss_relu_kernel(double c)
{
  if (isnan(c))
    return NAN;
  if (c >= 1.0)
    return 1.0;
  if (c <= -1.0)
    return 0.0;
  /* the library's own arccosine, which the vector block map repeats */
  return (sqrt((1.0 - c) * (1.0 + c)) + c * (M_PI - sp_vmath_acos(c))) * M_1_PI;
}

/* ---- activations as integrands -------------------------------------- */

typedef struct {
  sp_activation act;
  double a;   /* erf scale */
  int deriv;  /* 0: phi, 1: phi', 2: phi phi'' (one-dimensional only) */
  double s;   /* argument scale: f(s z) */
} fctx;

static double feval(const fctx *c, double u)
{
  switch (c->deriv) {
  case 0: return sp_activation_phi(c->act, c->a, u);
  case 1: return sp_activation_dphi(c->act, c->a, u);
  default: return sp_activation_phi(c->act, c->a, u) * sp_activation_d2phi(c->act, c->a, u);
  }
}

static int smooth(sp_activation act)
{
  return act == SP_ACT_GELU || act == SP_ACT_TANH || act == SP_ACT_SILU;
}

/* Sharpness of the activation: the scale of its argument on which it
 * varies (erf(a u) varies on 1/a). */
static double sharpness(const fctx *c)
{
  return c->act == SP_ACT_ERF ? c->a : 1.0;
}

static double step_for(double sigma)
{
  double h = sigma > 0.0 ? SCALE_STEP / sigma : STEP;
  return h < STEP ? h : STEP;
}

static double normal_pdf(double z)
{
  return exp(-0.5 * z * z) / sqrt(2.0 * M_PI);
}

/* Above this argument scale (sigma times the activation's sharpness) the
 * one-dimensional rule integrates in t with x = sinh(t) / kappa: nodes
 * dense where phi bends and geometric beyond, so its cost grows like
 * log sigma instead of sigma (the length map of gelu and silu is scanned
 * up to q = 1e12). */
#define SINH_FROM 4.0
/* Step in t of the sinh rule's coarsest level: the integrand is analytic
 * in a strip of half-width about pi/4 (where the Gaussian factor still
 * decays), so the rule at 2 h = 0.2 errs by about e^{-2 pi (pi/4) / 0.2}
 * ~ 2e-11 and is refined when that is not enough. */
#define SINH_STEP 0.1

typedef struct {
  const fctx *c;
  int square;
  int sinh_rule;
  double alpha; /* 1 / kappa */
} g1ctx;

/* The integrand at node v of the chosen variable. */
static double g1(const g1ctx *g, double v)
{
  const fctx *c = g->c;
  double x, w;
  if (g->sinh_rule) {
    x = g->alpha * sinh(v);
    w = normal_pdf(x / c->s) / c->s * g->alpha * cosh(v);
  } else {
    x = c->s * v;
    w = normal_pdf(v);
  }
  double f = feval(c, x);
  return w * (g->square ? f * f : f);
}

/* E_z g(s z) with g = f, f^2 (square != 0), by nested trapezoidal sums,
 * halving the step until two levels agree to SP_GAUSS_TOL relative to
 * E|g|. */
static int gauss1(const fctx *c, int square, double *val, double *err)
{
  const double kap = sharpness(c);
  g1ctx g = {c, square, c->s * kap > SINH_FROM, 1.0 / kap};
  double h0, range;
  if (g.sinh_rule) {
    h0 = SINH_STEP;
    range = asinh(ZMAX * c->s * kap);
  } else {
    h0 = step_for(c->s * kap);
    range = ZMAX;
  }
  const long n0 = (long)ceil(range / h0);
  double sum = 0.0, abs_sum = 0.0;
  for (long k = -n0; k <= n0; k++) {
    double v = g1(&g, (double)k * h0);
    sum += v;
    abs_sum += fabs(v);
  }
  double h = h0, I = h * sum;
  long n = n0;
  for (int level = 1; level <= MAXLEVEL; level++) {
    double add = 0.0;
    h *= 0.5;
    n *= 2;
    for (long k = -n + 1; k < n; k += 2) {
      double v = g1(&g, (double)k * h);
      add += v;
      abs_sum += fabs(v);
    }
    double In = 0.5 * I + h * add;
    double e = fabs(In - I);
    I = In;
    if (!isfinite(I))
      return SP_EDOM;
    if (e <= SP_GAUSS_TOL * h * abs_sum) {
      *val = I;
      if (err)
        *err = e;
      return SP_OK;
    }
  }
  return SP_ENOCONV;
}

/* ---- the two-dimensional rule ----------------------------------------- */

/* A trapezoidal rule in a standard normal variable x at one level: either
 * uniform, x_k = k h on |x| <= ZMAX, or graded,
 * x_k = centre + BETA asinh((alpha / BETA) sinh(k h)): nodes at spacing
 * alpha h next to the centre, geometric further out, and spacing BETA h
 * once the distance passes BETA (on the Gaussian's own scale), so that a
 * bend of width alpha and the Gaussian are both resolved whatever their
 * distance, with 2 n + 1 ~ (2 log(2 BETA / alpha) + 2 (ZMAX + reach) / BETA)
 * / h nodes.  k = -n..n with n even, so that the even nodes form the rule
 * at 2 h. */
typedef struct {
  int graded;
  double alpha; /* graded: the scale resolved at the centre */
  double range; /* graded: the nodes cover |t| <= range */
  double h;
  long n;
} rule;

/* Saturated spacing of the graded rule, in units of the standard normal
 * variable: the rule at 2 h = 2 SINH_STEP integrates the Gaussian at
 * spacing 0.6, with an error of about e^{-2 pi^2 / 0.36} ~ 1e-24. */
#define BETA 3.0

/* The rule for an integrand of sharpness sigma (it varies on 1/sigma in
 * x) at its coarsest level; `reach` bounds |centre| (the graded rule
 * covers [-ZMAX, ZMAX] from any centre in [-reach, reach]).  Up to
 * SINH_FROM the uniform rule of step_for(), whose cost is bounded there. */
static void rule_init(rule *r, double sigma, double reach)
{
  r->graded = sigma > SINH_FROM;
  if (r->graded) {
    r->alpha = 1.0 / sigma;
    r->range = asinh(sinh((ZMAX + reach) / BETA) * BETA * sigma);
    r->h = SINH_STEP;
    r->n = (long)ceil(r->range / (2.0 * r->h)) * 2;
  } else {
    r->alpha = 1.0;
    r->range = ZMAX;
    r->h = step_for(sigma);
    r->n = (long)ceil(ZMAX / (2.0 * r->h)) * 2;
  }
}

static void rule_halve(rule *r)
{
  r->h *= 0.5;
  r->n = r->graded ? 2 * r->n : (long)ceil(ZMAX / (2.0 * r->h)) * 2;
}

/* Offsets from the centre and weights without the density (h dx/dt) of
 * the rule's 2 n + 1 nodes. */
static void rule_nodes(const rule *r, double *off, double *dw)
{
  const double ratio = r->alpha / BETA;
  for (long k = -r->n; k <= r->n; k++) {
    double t = (double)k * r->h;
    if (r->graded) {
      double sh = ratio * sinh(t);
      off[k + r->n] = BETA * asinh(sh);
      dw[k + r->n] = r->h * r->alpha * cosh(t) / sqrt(1.0 + sh * sh);
    } else {
      off[k + r->n] = t;
      dw[k + r->n] = r->h;
    }
  }
}

/* Sums of one inner row: psi at h and 2 h, and the z-variances of f about
 * them (the latter only when `gap`). */
typedef struct {
  double pf, pc, df, dc;
} row;

/* psi(w) = E_z f(aw w + b z) by the inner rule: in sinh form centred on
 * the kink z0 = -aw w / b (clamped to the Gaussian's support) so that
 * both the kink and the Gaussian are resolved at any b. */
static row inner_row(const fctx *c, const rule *rz, const double *off, const double *dw,
                     double *fz, double *wz, double base, double b, int gap)
{
  double centre = 0.0;
  if (rz->graded) {
    centre = -base / b;
    centre = centre > ZMAX ? ZMAX : centre < -ZMAX ? -ZMAX : centre;
  }
  const double shift = base + b * centre;
  row r = {0.0, 0.0, 0.0, 0.0};
  for (long j = -rz->n; j <= rz->n; j++) {
    double z = centre + off[j + rz->n];
    double wt = fabs(z) <= ZMAX + 1.0 ? dw[j + rz->n] * normal_pdf(z) : 0.0;
    double f = wt > 0.0 ? feval(c, shift + b * off[j + rz->n]) : 0.0;
    fz[j + rz->n] = f;
    wz[j + rz->n] = wt;
    r.pf += wt * f;
    if ((j & 1) == 0)
      r.pc += wt * f;
  }
  r.pc *= 2.0;
  if (!gap)
    return r;
  for (long j = -rz->n; j <= rz->n; j++) {
    double d1 = fz[j + rz->n] - r.pf;
    r.df += wz[j + rz->n] * d1 * d1;
    if ((j & 1) == 0) {
      double d2 = fz[j + rz->n] - r.pc;
      r.dc += wz[j + rz->n] * d2 * d2;
    }
  }
  r.dc *= 2.0;
  return r;
}

/* Two-dimensional rule for the pair (u, v) = (aw w + b z1, +-aw w + b z2)
 * with f = phi or phi' (c->deriv): returns E[f(u) f(v)] in *pp and, for
 * the + sign, E_w[Var_z f] in *gap (else *gap untouched).  Fine and coarse
 * rules on nested nodes; halves both steps until they agree.  psi(w) is f
 * smoothed over b z, so in w it varies on max(1/kappa, b) / aw: the outer
 * rule takes that sharpness once it would otherwise be a sinh rule. */
static int gauss2(const fctx *c, double aw, double b, int negative, double scale,
                  double *pp, double *gap, double *err)
{
  const double kap = sharpness(c);
  const int want_gap = !negative && gap;
  double sw = aw * kap;
  if (sw > SINH_FROM && b * kap > 1.0)
    sw = aw / b;
  rule rw, rz;
  rule_init(&rw, sw, 0.0);
  rule_init(&rz, b * kap, ZMAX);
  for (int level = 0; level <= MAXLEVEL; level++, rule_halve(&rw), rule_halve(&rz)) {
    const size_t mw = (size_t)(2 * rw.n + 1), mz = (size_t)(2 * rz.n + 1);
    double *buf = malloc((mz * 4 + mw * 4) * sizeof *buf);
    if (!buf)
      return SP_ENOMEM;
    double *offz = buf, *dwz = buf + mz, *fz = buf + 2 * mz, *wz = buf + 3 * mz;
    double *offw = buf + 4 * mz, *dww = offw + mw, *psif = dww + mw, *psic = psif + mw;
    rule_nodes(&rz, offz, dwz);
    rule_nodes(&rw, offw, dww);
    double vf = 0.0, vc = 0.0, kf = 0.0, kc = 0.0;
    for (long i = -rw.n; i <= rw.n; i++) {
      double w = offw[i + rw.n], ww = dww[i + rw.n] * normal_pdf(w);
      row r = {0.0, 0.0, 0.0, 0.0};
      if (fabs(w) <= ZMAX + 1.0)
        r = inner_row(c, &rz, offz, dwz, fz, wz, aw * w, b, want_gap);
      psif[i + rw.n] = r.pf;
      psic[i + rw.n] = r.pc;
      vf += ww * r.df;
      if ((i & 1) == 0)
        vc += 2.0 * ww * r.dc;
    }
    for (long i = -rw.n; i <= rw.n; i++) {
      double ww = dww[i + rw.n] * normal_pdf(offw[i + rw.n]);
      long o = negative ? -i : i;
      kf += ww * psif[i + rw.n] * psif[o + rw.n];
      if ((i & 1) == 0)
        kc += 2.0 * ww * psic[i + rw.n] * psic[o + rw.n];
    }
    free(buf);
    if (!isfinite(kf) || !isfinite(vf))
      return SP_EDOM;
    double e = fabs(kf - kc), eg = want_gap ? fabs(vf - vc) : 0.0;
    /* The gap is judged relative to itself (down to 1e-15 of the scale),
     * so that 1 - correlation keeps its relative accuracy. */
    if (e <= SP_GAUSS_TOL * scale && eg <= SP_GAUSS_TOL * vf + 1e-15 * scale) {
      *pp = kf;
      if (want_gap)
        *gap = vf;
      if (err)
        *err = e > eg ? e : eg;
      return SP_OK;
    }
  }
  return SP_ENOCONV;
}

/* ---- closed forms ---------------------------------------------------- */

/* sin t - t cos t without cancellation for small t. */
static double sin_minus_tcos(double t)
{
  if (t >= 0.5)
    return sin(t) - t * cos(t);
  /* sum_{n>=1} (-1)^{n+1} 2n t^{2n+1} / (2n+1)!; ten terms leave
   * (t^2/20)^10 < 1e-19 relative at t = 0.5. */
  double t2 = t * t, term = t * t2 / 6.0, sum = 0.0;
  for (int n = 1; n <= 10; n++) {
    sum += 2.0 * n * term * ((n & 1) ? 1.0 : -1.0);
    term *= t2 / ((2.0 * n + 2.0) * (2.0 * n + 3.0));
  }
  return sum;
}

/* asin(x1) - asin(x2) for -1 <= x2 <= x1 <= 1 given d = x1 - x2, and
 * 1 - x1, 1 - x2, computed directly: for x2 >= 0 through
 * sin(A - B) = x1 c2 - x2 c1 written as d (c2 + x2 (x1 + x2) / (c1 + c2)),
 * free of cancellation, with c = sqrt((1 - x)(1 + x)) from the given 1 - x
 * (which x itself, rounded near 1, would not give accurately). */
static double asin_diff(double x1, double x2, double d, double omx1, double omx2)
{
  if (x2 < 0.0)
    return asin(x1) - asin(x2);
  double c1 = sqrt(omx1 * (1.0 + x1)), c2 = sqrt(omx2 * (1.0 + x2));
  double den = c1 + c2;
  double sd = den > 0.0 ? d * (c2 + x2 * (x1 + x2) / den) : d;
  if (sd > 1.0)
    sd = 1.0;
  return asin(sd);
}

/* Closed forms; the gap only when `want_gap` (it costs an arc-cosine and
 * a sine the block maps do not need). */
static int closed_kernel(sp_activation act, double a, double q1, double p1, double d1,
                         sp_kernel *k, int want_gap)
{
  k->abserr = 0.0;
  k->gap = NAN;
  switch (act) {
  case SP_ACT_RELU: {
    double c = q1 > 0.0 ? p1 / q1 : 1.0;
    if (c > 1.0) c = 1.0;
    if (c < -1.0) c = -1.0;
    k->phi2 = 0.5 * q1;
    k->phiphi = 0.5 * q1 * sp_gauss_relu_kernel(c);
    if (want_gap) {
      /* 1 - f(c) = (1 - c) - (sin t - t cos t) / pi */
      double omc = q1 > 0.0 ? d1 / q1 : 0.0;
      k->gap = 0.5 * q1 * (omc - sin_minus_tcos(acos(c)) * M_1_PI);
      if (k->gap < 0.0)
        k->gap = 0.0;
    }
    return SP_OK;
  }
  case SP_ACT_ERF: {
    double d = 1.0 + 2.0 * a * a * q1;
    double x1 = 2.0 * a * a * q1 / d, x2 = 2.0 * a * a * p1 / d;
    if (x2 > 1.0) x2 = 1.0;
    if (x2 < -1.0) x2 = -1.0;
    k->phi2 = M_2_PI * asin(x1);
    k->phiphi = M_2_PI * asin(x2);
    if (want_gap) /* 1 - x1 = 1 / d, 1 - x2 = (1 + 2 a^2 d1) / d */
      k->gap = M_2_PI * asin_diff(x1, x2, 2.0 * a * a * d1 / d, 1.0 / d,
                                  (1.0 + 2.0 * a * a * d1) / d);
    return SP_OK;
  }
  case SP_ACT_LINEAR:
    k->phi2 = q1;
    k->phiphi = p1;
    k->gap = d1;
    return SP_OK;
  default:
    return SP_EINVAL;
  }
}

static int check_pair(double q1, double *p1)
{
  if (!(q1 >= 0.0) || !isfinite(q1) || !isfinite(*p1))
    return SP_EDOM;
  if (fabs(*p1) > q1 * (1.0 + 16.0 * DBL_EPSILON))
    return SP_EDOM;
  if (*p1 > q1)
    *p1 = q1;
  if (*p1 < -q1)
    *p1 = -q1;
  return SP_OK;
}

/* The checks of a function of a (q1, p1) pair: its result pointer given
 * and a known activation (else SP_EINVAL), then the pair itself. */
static int check_call(const void *out, sp_activation act, double q1, double *p1)
{
  if (!out || (unsigned)act >= SP_NACT)
    return SP_EINVAL;
  return check_pair(q1, p1);
}

/* The kernel for Var = q1 and Cov = q1 - d1, with d1 in [0, 2 q1]. */
static int kernel(sp_activation act, double a, double q1, double d1, sp_kernel *k)
{
  double p1 = q1 - d1;
  if (!smooth(act))
    return closed_kernel(act, a, q1, p1, d1, k, 1);
  fctx c = {act, a, 0, sqrt(q1)};
  double e2, err = 0.0;
  int s = gauss1(&c, 1, &e2, &err);
  if (s)
    return s;
  k->phi2 = e2;
  if (d1 == 0.0) { /* u = v */
    k->phiphi = e2;
    k->gap = 0.0;
    k->abserr = err;
    return SP_OK;
  }
  /* u = aw w + b z1, v = +-aw w + b z2 with aw^2 = |p1|, b^2 = q1 - |p1|
   * (= d1 when p1 >= 0, directly from d1 so that it stays accurate). */
  double aw = sqrt(fabs(p1)), b = p1 >= 0.0 ? sqrt(d1) : sqrt(2.0 * q1 - d1);
  if (aw == 0.0) { /* independent: (E phi)^2 */
    double m, em;
    if ((s = gauss1(&c, 0, &m, &em)))
      return s;
    k->phiphi = m * m;
    k->gap = e2 - m * m;
    k->abserr = err + 2.0 * fabs(m) * em;
    return SP_OK;
  }
  double pp, gap = 0.0, e12;
  if ((s = gauss2(&c, aw, b, p1 < 0.0, e2, &pp, &gap, &e12)))
    return s;
  k->phiphi = pp;
  k->gap = p1 < 0.0 ? e2 - pp : gap;
  k->abserr = err + e12;
  return SP_OK;
}

int sp_gauss_kernel(sp_activation act, double a, double q1, double p1, sp_kernel *k)
{
  int s = check_call(k, act, q1, &p1);
  if (s)
    return s;
  return kernel(act, a, q1, q1 - p1, k);
}

int sp_gauss_kernel_d(sp_activation act, double a, double q1, double d1, sp_kernel *k)
{
  if (!k || (unsigned)act >= SP_NACT)
    return SP_EINVAL;
  if (!(q1 >= 0.0) || !isfinite(q1) || !(d1 >= -16.0 * DBL_EPSILON * q1) || !isfinite(d1)
      || d1 > 2.0 * q1 * (1.0 + 16.0 * DBL_EPSILON))
    return SP_EDOM;
  d1 = d1 < 0.0 ? 0.0 : d1 > 2.0 * q1 ? 2.0 * q1 : d1;
  return kernel(act, a, q1, d1, k);
}

int sp_gauss_phi_moments(sp_activation act, double a, double q1, double p1,
                         double *e_phi2, double *e_phiphi)
{
  sp_kernel k;
  int s;
  if ((unsigned)act >= SP_NACT)
    return SP_EINVAL;
  if (!smooth(act)) {
    if ((s = check_pair(q1, &p1)) || (s = closed_kernel(act, a, q1, p1, q1 - p1, &k, 0)))
      return s;
  } else if ((s = sp_gauss_kernel(act, a, q1, p1, &k))) {
    return s;
  }
  if (e_phi2) *e_phi2 = k.phi2;
  if (e_phiphi) *e_phiphi = k.phiphi;
  return SP_OK;
}

int sp_gauss_dphi2(sp_activation act, double a, double q1, double *e_dphi2)
{
  if (!(q1 >= 0.0) || !isfinite(q1) || !e_dphi2)
    return SP_EDOM;
  switch (act) {
  case SP_ACT_RELU: *e_dphi2 = 0.5; return SP_OK;
  case SP_ACT_ERF: *e_dphi2 = 4.0 * a * a / M_PI / sqrt(1.0 + 4.0 * a * a * q1); return SP_OK;
  case SP_ACT_LINEAR: *e_dphi2 = 1.0; return SP_OK;
  case SP_ACT_GELU:
  case SP_ACT_TANH:
  case SP_ACT_SILU: {
    fctx c = {act, a, 1, sqrt(q1)};
    return gauss1(&c, 1, e_dphi2, NULL);
  }
  default: return SP_EINVAL;
  }
}

int sp_gauss_dphi_pair(sp_activation act, double a, double q1, double p1, double *e)
{
  int s = check_call(e, act, q1, &p1);
  if (s)
    return s;
  switch (act) {
  case SP_ACT_RELU: {
    double c = q1 > 0.0 ? p1 / q1 : 1.0;
    *e = (M_PI - acos(c > 1.0 ? 1.0 : c < -1.0 ? -1.0 : c)) / (2.0 * M_PI);
    return SP_OK;
  }
  case SP_ACT_ERF: {
    double d = 1.0 + 2.0 * a * a * q1, x = 2.0 * a * a * p1;
    *e = 4.0 * a * a / M_PI / sqrt((d - x) * (d + x));
    return SP_OK;
  }
  case SP_ACT_LINEAR:
    *e = 1.0;
    return SP_OK;
  default:
    break;
  }
  fctx c = {act, a, 1, sqrt(q1)};
  double aw = sqrt(fabs(p1)), b = sqrt(q1 - fabs(p1)), d2;
  if ((s = gauss1(&c, 1, &d2, NULL)))
    return s;
  if (b == 0.0 && p1 >= 0.0) {
    *e = d2;
    return SP_OK;
  }
  if (aw == 0.0) {
    double m;
    if ((s = gauss1(&c, 0, &m, NULL)))
      return s;
    *e = m * m;
    return SP_OK;
  }
  return gauss2(&c, aw, b, p1 < 0.0, d2, e, NULL, NULL);
}

int sp_gauss_phi_d2phi(sp_activation act, double a, double q1, double *e)
{
  if (!e || (unsigned)act >= SP_NACT)
    return SP_EINVAL;
  if (!(q1 >= 0.0) || !isfinite(q1))
    return SP_EDOM;
  if (act == SP_ACT_RELU || act == SP_ACT_LINEAR) {
    *e = 0.0;
    return SP_OK;
  }
  fctx c = {act, a, 2, sqrt(q1)};
  return gauss1(&c, 0, e, NULL);
}
