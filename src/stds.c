/* Framework weight stds <-> model parameters (theory.md §11).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/stds.h"
#include "sigprop/status.h"
#include "stds_private.h"

#include <math.h>

void sp_stds_preset_weights(sp_stds *s, const sp_preset *p)
{
  s->q = p->std_q;
  s->k = p->std_k;
  s->v = p->std_v;
  s->o = s->output_projection ? p->std_o : NAN;
  s->ff_in = p->std_ff_in;
  s->ff_out = p->std_ff_out;
  s->ff_gate = s->gate ? p->std_gate : NAN;
}

void sp_stds_init(sp_stds *s)
{
  if (!s)
    return;
  s->d_model = s->heads = s->d_ff = 0;
  s->output_projection = 1;
  s->gate = 0;
  s->emb_norm = 0;
  s->q = s->k = s->v = s->o = NAN;
  s->ff_in = s->ff_gate = s->ff_out = s->emb = NAN;
  s->skip_sa = s->skip_mlp = 1.0;
}

void sp_stds_set_all(sp_stds *s, double std)
{
  if (!s)
    return;
  s->q = s->k = s->v = s->o = std;
  s->ff_in = s->ff_gate = s->ff_out = s->emb = std;
}

static int known(double x)
{
  return !isnan(x);
}

/* A known std must be finite and >= 0. */
static int bad_std(double x)
{
  return known(x) && !(x >= 0.0 && isfinite(x));
}

static int set(sp_model *m, const char *name, double v, const char **bad, const char *opt)
{
  const sp_param *p = sp_param_lookup(name);
  if (!p || sp_model_set(m, p, v)) {
    if (bad)
      *bad = opt;
    return SP_EDOM;
  }
  return SP_OK;
}

static int fail(const char **bad, const char *opt)
{
  if (bad)
    *bad = opt;
  return SP_EDOM;
}

/* Every std in the range of its type and every partner and width there. */
static int check(const sp_stds *s, const char **bad)
{
  static const char *const names[] = {"std-q", "std-k", "std-v", "std-o", "std-ff-in",
                                      "std-ff-gate", "std-ff-out", "std-emb"};
  const double x[] = {s->q, s->k, s->v, s->o, s->ff_in, s->ff_gate, s->ff_out, s->emb};
  for (int i = 0; i < 8; i++)
    if (bad_std(x[i]))
      return fail(bad, names[i]);
  if (known(s->q) != known(s->k))
    return fail(bad, known(s->q) ? "std-k" : "std-q");
  if (known(s->v) && s->output_projection && !known(s->o))
    return fail(bad, "std-o");
  if (known(s->o) && !known(s->v))
    return fail(bad, "std-v");
  if ((known(s->q) || known(s->v) || known(s->gate ? s->ff_gate : s->ff_in)) && s->d_model < 1)
    return fail(bad, "d-model");
  if (known(s->ff_out) && s->d_ff < 1)
    return fail(bad, "d-ff");
  if (!(s->skip_sa >= 0.0 && isfinite(s->skip_sa)))
    return fail(bad, "alpha-sa");
  if (!(s->skip_mlp >= 0.0 && isfinite(s->skip_mlp)))
    return fail(bad, "alpha-mlp");
  return SP_OK;
}

int sp_stds_to_model(const sp_stds *s, sp_model *m, const char **bad)
{
  if (!s || !m)
    return SP_EINVAL;
  int st = check(s, bad);
  if (st)
    return st;
  sp_model x = *m;
  double d = (double)s->d_model;
  if (known(s->q)) {
    if (x.tokens < 2)
      return fail(bad, "tokens");
    if ((st = set(&x, "beta", d * s->q * s->k / sqrt(log((double)x.tokens)), bad, "std-q")))
      return st;
  }
  if (known(s->v)) {
    double vv = d * s->v * s->v;
    if (s->output_projection)
      vv *= d * s->o * s->o;
    if ((st = set(&x, "var-v", vv, bad, "std-v")))
      return st;
  }
  /* With a gate, phi acts on W_gate x: W_gate is the modelled first layer. */
  double w1 = s->gate ? s->ff_gate : s->ff_in;
  if (known(w1) && (st = set(&x, "var-w-in", d * w1 * w1, bad,
                             s->gate ? "std-ff-gate" : "std-ff-in")))
    return st;
  if (known(s->ff_out)
      && (st = set(&x, "var-w-out", (double)s->d_ff * s->ff_out * s->ff_out, bad, "std-ff-out")))
    return st;
  if (known(s->emb) || s->emb_norm) {
    double q0 = s->emb_norm ? 1.0 : s->emb * s->emb;
    if ((st = set(&x, "q0", q0, bad, "std-emb")))
      return st;
  }
  if ((st = set(&x, "alpha-sa", s->skip_sa, bad, "alpha-sa"))
      || (st = set(&x, "alpha-mlp", s->skip_mlp, bad, "alpha-mlp")))
    return st;
  *m = x;
  return SP_OK;
}

int sp_stds_pure_form(const sp_model *m)
{
  return m && (m->norm == SP_NORM_POST || (m->alpha_sa == 1.0 && m->alpha_mlp == 1.0));
}

/* Relative agreement of a parameter recomputed from stds with the model's. */
static int same(double a, double b)
{
  return fabs(a - b) <= 1e-12 * fmax(fabs(a), fabs(b));
}

static void qk_of(const sp_model *m, const sp_stds *g, sp_stds *o)
{
  double d = (double)g->d_model, sl = sqrt(log((double)m->tokens));
  if (known(g->q) && known(g->k) && g->q * g->k > 0.0) {
    double b = d * g->q * g->k / sl, r = same(b, m->beta) ? 1.0 : sqrt(m->beta / b);
    o->q = g->q * r;
    o->k = g->k * r;
  } else {
    o->q = o->k = sqrt(m->beta * sl / d);
  }
}

int sp_stds_from_model(const sp_model *m, const sp_stds *given, int pure, sp_stds *out)
{
  if (!m || !given || !out)
    return SP_EINVAL;
  if (given->d_model < 1)
    return SP_EDOM;
  sp_stds o = *given;
  double d = (double)given->d_model;
  qk_of(m, given, &o);
  int wo = given->output_projection;
  double vv = known(given->v) ? d * given->v * given->v * (wo ? d * given->o * given->o : 1.0)
                              : NAN;
  if (!(known(vv) && same(vv, m->var_v))) {
    o.v = wo ? pow(m->var_v, 0.25) / sqrt(d) : sqrt(m->var_v / d);
    o.o = wo ? o.v : NAN;
  }
  /* The modelled first layer: W_gate with a gate (W_1 is then the linear
   * factor, kept as given or, unknown, like W_gate), else W_1. */
  double w1 = o.gate ? given->ff_gate : given->ff_in;
  if (!(known(w1) && same(d * w1 * w1, m->var_w_in)))
    w1 = sqrt(m->var_w_in / d);
  if (o.gate) {
    o.ff_gate = w1;
    if (!known(o.ff_in))
      o.ff_in = w1;
  } else {
    o.ff_in = w1;
    o.ff_gate = NAN;
  }
  if (!wo)
    o.o = NAN;
  double dff = (double)given->d_ff;
  if (given->d_ff < 1)
    o.ff_out = NAN;
  else if (!(known(given->ff_out) && same(dff * given->ff_out * given->ff_out, m->var_w_out)))
    o.ff_out = sqrt(m->var_w_out / dff);
  /* Branch gains into the last weight of their branch; with `pure`,
   * post-LN skip gains too (LN(a x + g f) = LN(x + (g/a) f)). */
  double bsa = m->branch_sa, bmlp = m->branch_mlp;
  o.skip_sa = m->alpha_sa;
  o.skip_mlp = m->alpha_mlp;
  if (pure && m->norm == SP_NORM_POST && m->alpha_sa > 0.0 && m->alpha_mlp > 0.0) {
    bsa /= m->alpha_sa;
    bmlp /= m->alpha_mlp;
    o.skip_sa = o.skip_mlp = 1.0;
  }
  if (wo)
    o.o *= bsa;
  else
    o.v *= bsa;
  o.ff_out *= bmlp;
  *out = o;
  return SP_OK;
}
