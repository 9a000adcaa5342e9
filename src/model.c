/* The model struct: defaults, named parameters, validation.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/model.h"
#include "sigprop/status.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

void sp_model_default(sp_model *m)
{
  memset(m, 0, sizeof *m);
  m->norm = SP_NORM_POST;
  m->attention = SP_ATTN_SOFTMAX;
  m->activation = SP_ACT_RELU;
  m->stats = SP_STATS_ASYMPTOTIC;
  m->beta_c_on = SP_BETAC_INPUT;
  m->row_overlap = SP_OVERLAP_INDEPENDENT;
  m->mlp = 1;
  m->causal = 0;
  m->var_vb_follows_b = 1;
  m->beta = 0.5;
  m->tokens = 512;
  m->var_v = 0.2;
  m->var_vb = 4e-4;
  m->var_w_in = 0.2;
  m->var_w_out = 0.2;
  m->var_b = 4e-4;
  m->alpha_sa = 1.0;
  m->alpha_mlp = 1.0;
  m->branch_sa = 1.0;
  m->branch_mlp = 1.0;
  m->mean_removal = 0.0;
  m->rho0 = 0.025;
  m->q0 = 1.0;
  m->depth = 50;
  m->erf_scale = 1.0;
}

double sp_model_var_vb(const sp_model *m)
{
  return m->var_vb_follows_b ? m->var_b : m->var_vb;
}

/* Offsets into sp_model; VAR_W is the one parameter that writes two fields. */
#define VAR_W ((size_t)-1)

static const sp_param params[] = {
  {"beta", "β", SP_PARAM_REAL, 0.0, 1e6, "query/key scale (inverse temperature)"},
  {"tokens", "T", SP_PARAM_INTEGER, 2.0, (double)SP_MAX_TOKENS, "sequence length"},
  {"var-v", "σ_v^2", SP_PARAM_REAL, 0.0, 1e6, "value weight variance times width"},
  {"var-vb", "σ_{vb}^2", SP_PARAM_REAL, 0.0, 1e6, "value bias variance"},
  {"var-w", "σ_w^2", SP_PARAM_REAL, 0.0, 1e6, "MLP weight variance times fan-in, both layers"},
  {"var-w-in", "σ_{w1}^2", SP_PARAM_REAL, 0.0, 1e6, "first MLP layer weight variance times fan-in"},
  {"var-w-out", "σ_{w2}^2", SP_PARAM_REAL, 0.0, 1e6, "second MLP layer weight variance times fan-in"},
  {"var-b", "σ_b^2", SP_PARAM_REAL, 0.0, 1e6, "MLP bias variance"},
  {"alpha-sa", "α_{SA}", SP_PARAM_REAL, 0.0, 1e6, "skip gain around attention"},
  {"alpha-mlp", "α_{MLP}", SP_PARAM_REAL, 0.0, 1e6, "skip gain around the MLP"},
  {"branch-sa", "γ_{SA}", SP_PARAM_REAL, 0.0, 1e6, "gain on the attention branch"},
  {"branch-mlp", "γ_{MLP}", SP_PARAM_REAL, 0.0, 1e6, "gain on the MLP branch"},
  {"mean-removal", "τ", SP_PARAM_REAL, 0.0, 2.0, "token-mean removal strength"},
  {"rho0", "ρ_0", SP_PARAM_REAL, -1.0, 1.0, "input cosine similarity"},
  {"q0", "q_0", SP_PARAM_REAL, 1e-300, 1e300, "input squared norm per unit width"},
  {"depth", "L", SP_PARAM_INTEGER, 1.0, (double)SP_MAX_DEPTH, "number of blocks"},
  {"erf-scale", "a", SP_PARAM_REAL, 1e-300, 1e300, "a in the erf(a u) activation"},
};

/* Where each entry of params[] lives in sp_model, in the same order. */
static const size_t offsets[] = {
  offsetof(sp_model, beta),
  offsetof(sp_model, tokens),
  offsetof(sp_model, var_v),
  offsetof(sp_model, var_vb),
  VAR_W,
  offsetof(sp_model, var_w_in),
  offsetof(sp_model, var_w_out),
  offsetof(sp_model, var_b),
  offsetof(sp_model, alpha_sa),
  offsetof(sp_model, alpha_mlp),
  offsetof(sp_model, branch_sa),
  offsetof(sp_model, branch_mlp),
  offsetof(sp_model, mean_removal),
  offsetof(sp_model, rho0),
  offsetof(sp_model, q0),
  offsetof(sp_model, depth),
  offsetof(sp_model, erf_scale),
};

#define NPARAMS (sizeof params / sizeof params[0])
_Static_assert(sizeof offsets / sizeof offsets[0] == NPARAMS, "one offset per parameter");

const sp_param *sp_param_table(size_t *n)
{
  if (n)
    *n = NPARAMS;
  return params;
}

/* Index of p in params[], or -1. */
static long index_of(const sp_param *p)
{
  if (!p || !p->name)
    return -1;
  for (size_t i = 0; i < NPARAMS; i++)
    if (strcmp(params[i].name, p->name) == 0)
      return (long)i;
  return -1;
}

const sp_param *sp_param_lookup(const char *name)
{
  if (!name)
    return NULL;
  if (strcmp(name, "eta") == 0)
    name = "beta";
  for (size_t i = 0; i < NPARAMS; i++)
    if (strcmp(params[i].name, name) == 0)
      return &params[i];
  return NULL;
}

/* Value of params[i] in m. */
static double value_at(const sp_model *m, size_t i)
{
  double v;
  size_t off = offsets[i] == VAR_W ? offsetof(sp_model, var_w_in) : offsets[i];
  const char *base = (const char *)m + off;
  if (params[i].kind == SP_PARAM_INTEGER) {
    long x;
    memcpy(&x, base, sizeof x);
    v = (double)x;
  } else if (off == offsetof(sp_model, var_vb)) {
    v = sp_model_var_vb(m);
  } else {
    memcpy(&v, base, sizeof v);
  }
  return v;
}

int sp_model_get(const sp_model *m, const sp_param *p, double *v)
{
  long i = index_of(p);
  if (!m || i < 0 || !v)
    return SP_EINVAL;
  *v = value_at(m, (size_t)i);
  return SP_OK;
}

int sp_model_set(sp_model *m, const sp_param *p, double v)
{
  long i = index_of(p);
  if (!m || i < 0)
    return SP_EINVAL;
  if (!isfinite(v) || v < params[i].min || v > params[i].max)
    return SP_EDOM;
  if (params[i].kind == SP_PARAM_INTEGER) {
    if (v != floor(v))
      return SP_EDOM;
    long x = (long)v;
    memcpy((char *)m + offsets[i], &x, sizeof x);
    return SP_OK;
  }
  if (offsets[i] == VAR_W) {
    m->var_w_in = v;
    m->var_w_out = v;
    return SP_OK;
  }
  if (offsets[i] == offsetof(sp_model, var_vb))
    m->var_vb_follows_b = 0;
  memcpy((char *)m + offsets[i], &v, sizeof v);
  return SP_OK;
}

int sp_model_validate(const sp_model *m, const char **bad)
{
  const char *dummy;
  if (!bad)
    bad = &dummy;
  *bad = NULL;
  if (!m)
    return SP_EINVAL;
  if ((unsigned)m->norm > SP_NORM_NONE) { *bad = "norm"; return SP_EINVAL; }
  if ((unsigned)m->attention > SP_ATTN_UNIFORM) { *bad = "attention"; return SP_EINVAL; }
  if ((unsigned)m->activation >= SP_NACT) { *bad = "activation"; return SP_EINVAL; }
  if ((unsigned)m->stats > SP_STATS_FINITE) { *bad = "attention-stats"; return SP_EINVAL; }
  if ((unsigned)m->beta_c_on > SP_BETAC_STREAM) { *bad = "beta-c-on"; return SP_EINVAL; }
  if ((unsigned)m->row_overlap > SP_OVERLAP_EXACT) { *bad = "row-overlap"; return SP_EINVAL; }
  if (m->mlp != 0 && m->mlp != 1) { *bad = "mlp"; return SP_EINVAL; }
  if (m->causal != 0 && m->causal != 1) { *bad = "causal"; return SP_EINVAL; }
  for (size_t i = 0; i < NPARAMS; i++) {
    const sp_param *p = &params[i];
    if (offsets[i] == VAR_W)
      continue;
    double v = value_at(m, i);
    if (!isfinite(v) || v < p->min || v > p->max) {
      *bad = p->name;
      return SP_EDOM;
    }
  }
  /* T unit vectors cannot all have cosine below -1/(T-1); under the
   * T -> infinity laws that bound is 0 (a negative p would make the
   * attention output's squared norm sv p + svb negative). */
  if (m->rho0 < -1.0 / (double)(m->tokens - 1)
      || (m->rho0 < 0.0 && m->stats == SP_STATS_ASYMPTOTIC && m->attention != SP_ATTN_UNIFORM)) {
    *bad = "rho0";
    return SP_EDOM;
  }
  return SP_OK;
}
