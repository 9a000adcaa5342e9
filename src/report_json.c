/* The JSON report shared by `recommend` and `inspect` (jansson): one
 * schema, documented in sigprop-recommend(1); and recommend's run.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/report.h"

#include "sigprop.h"

#include "sigprop/utf8.h"
#include "sigprop/workspace.h"
#include "report_private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Members are added through put(), which remembers an allocation failure. */
typedef struct {
  int failed;
} builder;

static void put(builder *b, json_t *obj, const char *key, json_t *v)
{
  if (!obj || !v || json_object_set_new(obj, key, v))
    b->failed = 1;
}

static json_t *num(double x)
{
  return isfinite(x) ? json_real(x) : json_null();
}

static json_t *str(const char *s)
{
  if (!s)
    return json_null();
  json_t *v = json_string(s);
  if (!v) { /* not UTF-8: every stray byte becomes U+FFFD */
    char *u = sp_utf8_dup(s);
    v = u ? json_string(u) : NULL;
    free(u);
  }
  return v;
}

/* A count, null when `known` is 0. */
static json_t *count(long x, int known)
{
  return known ? json_integer((json_int_t)x) : json_null();
}

/* The stds object: q k v o ff_in ff_out emb, and ff_gate with a gate. */
static json_t *stds_json(builder *b, const sp_stds *s)
{
  json_t *o = json_object();
  put(b, o, "q", num(s->q));
  put(b, o, "k", num(s->k));
  put(b, o, "v", num(s->v));
  put(b, o, "o", num(s->output_projection ? s->o : NAN));
  put(b, o, "ff_in", num(s->ff_in));
  if (s->gate)
    put(b, o, "ff_gate", num(s->ff_gate));
  put(b, o, "ff_out", num(s->ff_out));
  put(b, o, "emb", num(s->emb));
  return o;
}

static json_t *model_json(builder *b, const sp_model *m)
{
  json_t *o = json_object();
  put(b, o, "norm", str(sp_norm_name(m->norm)));
  put(b, o, "attention", str(sp_attention_name(m->attention)));
  put(b, o, "attention_stats", str(sp_stats_name(m->stats)));
  put(b, o, "activation", str(sp_activation_name(m->activation)));
  put(b, o, "mlp", json_boolean(m->mlp));
  put(b, o, "causal", json_boolean(m->causal));
  put(b, o, "beta_c_on", str(sp_betac_on_name(m->beta_c_on)));
  put(b, o, "row_overlap", str(sp_row_overlap_name(m->row_overlap)));
  size_t np;
  const sp_param *params = sp_param_table(&np);
  for (size_t i = 0; i < np; i++) {
    double v;
    if (strcmp(params[i].name, "var-w") == 0)
      continue;
    sp_model_get(m, &params[i], &v);
    char key[40];
    snprintf(key, sizeof key, "%s", params[i].name);
    for (char *c = key; *c; c++)
      if (*c == '-')
        *c = '_';
    put(b, o, key, params[i].kind == SP_PARAM_INTEGER ? json_integer((json_int_t)v) : num(v));
  }
  return o;
}

static json_t *verdict_json(builder *b, const sp_verdict *v)
{
  json_t *o = json_object();
  put(b, o, "phase", str(sp_phase_name(v->phase)));
  put(b, o, "rho_final", num(v->rho_final));
  put(b, o, "q_final", num(v->q_final));
  put(b, o, "overflow_block", count(v->overflow_block, v->overflow_block > 0));
  put(b, o, "frozen_layers", json_integer((json_int_t)v->frozen_layers));
  put(b, o, "first_frozen", count(v->first_frozen, v->first_frozen > 0));
  put(b, o, "beta_c_min", num(v->beta_c_min));
  return o;
}

static json_t *first_block_json(builder *b, const sp_first_block *fb)
{
  json_t *o = json_object();
  put(b, o, "q", num(fb->q));
  put(b, o, "p", num(fb->p));
  put(b, o, "beta_c", num(fb->stats.beta_c));
  put(b, o, "y2", num(fb->stats.y2));
  put(b, o, "g", num(fb->stats.g));
  put(b, o, "entropy_ratio", num(fb->stats.entropy_ratio));
  put(b, o, "qk_gradient", num(fb->qk_gradient));
  put(b, o, "qk_gradient_width", num(fb->qk_gradient_width));
  put(b, o, "qk_floor", num(fb->qk_floor));
  put(b, o, "width", count(fb->width, fb->width > 0));
  return o;
}

static json_t *flags_json(builder *b, unsigned flags)
{
  json_t *a = json_array();
  for (int i = 0; i < SP_NFLAGS; i++)
    if ((flags & (1u << i))
        && (!a || json_array_append_new(a, json_string(sp_advice_flag_name(1u << i)))))
      b->failed = 1;
  return a;
}

static json_t *sensitivity_json(builder *b, const sp_advice *a)
{
  const sp_sensitivity *s = &a->sens;
  json_t *o = json_object();
  int r = a->sens_rho0_status == SP_OK, d = a->sens_depth_status == SP_OK;
  put(b, o, "rho0_down", num(r ? s->rho0_down : NAN));
  put(b, o, "phase_down", str(r && !isnan(s->rho0_down) ? sp_phase_name(s->phase_down) : NULL));
  put(b, o, "rho0_up", num(r ? s->rho0_up : NAN));
  put(b, o, "phase_up", str(r && !isnan(s->rho0_up) ? sp_phase_name(s->phase_up) : NULL));
  put(b, o, "rho0_tol", num(r ? s->rho0_tol : NAN));
  put(b, o, "depth_down", count(s->depth_down, d && s->depth_down));
  put(b, o, "depth_phase_down", str(d && s->depth_down ? sp_phase_name(s->depth_phase_down)
                                                       : NULL));
  put(b, o, "depth_up", count(s->depth_up, d && s->depth_up));
  put(b, o, "depth_phase_up", str(d && s->depth_up ? sp_phase_name(s->depth_phase_up) : NULL));
  put(b, o, "depth_max", count(s->depth_max, d));
  put(b, o, "margin_rho0", num(a->flip_rho0));
  put(b, o, "margin_depth", count(a->flip_depth, a->flip_depth > 0));
  put(b, o, "margin_beta", num(a->flip_beta));
  return o;
}

static json_t *interval_json(builder *b, int status, const sp_beta_interval *iv)
{
  if (status)
    return json_null();
  json_t *o = json_object();
  put(b, o, "min", num(iv->lo));
  put(b, o, "max", num(iv->hi));
  put(b, o, "min_edge", str(sp_edge_name(iv->lo_edge)));
  put(b, o, "max_edge", str(sp_edge_name(iv->hi_edge)));
  return o;
}

/* One form of the recommendation. */
static json_t *form_json(builder *b, const char *form, int status, const sp_recommendation *r,
                         const sp_stds *st, sp_gain g)
{
  json_t *o = json_object();
  put(b, o, "form", str(form));
  put(b, o, "status", str(status ? sp_strerror(status) : NULL));
  if (status)
    return o;
  const sp_model *x = &r->recommended;
  put(b, o, "gain", str(sp_gain_name(g)));
  put(b, o, "gain_value", num(r->gain));
  put(b, o, "gain_critical", num(r->gain_status ? NAN : r->gain_critical));
  put(b, o, "gain_overflow", num(r->gain_overflow));
  put(b, o, "margin_squeezed", json_boolean(r->margin_squeezed));
  put(b, o, "phase", str(r->rec_status ? NULL : sp_phase_name(r->rec_verdict.phase)));
  put(b, o, "rho_final", num(r->rec_status ? NAN : r->rec_verdict.rho_final));
  put(b, o, "q_final", num(r->rec_status ? NAN : r->rec_verdict.q_final));
  put(b, o, "beta", num(x->beta));
  put(b, o, "alpha_sa", num(x->alpha_sa));
  put(b, o, "alpha_mlp", num(x->alpha_mlp));
  put(b, o, "branch_sa", num(x->branch_sa));
  put(b, o, "branch_mlp", num(x->branch_mlp));
  put(b, o, "skip_sa", num(st->skip_sa));
  put(b, o, "skip_mlp", num(st->skip_mlp));
  put(b, o, "stds", stds_json(b, st));
  put(b, o, "trainable_beta", interval_json(b, r->rec_beta_status, &r->rec_beta_range));
  return o;
}

static json_t *recommendation_json(builder *b, const sp_recommend_options *o, const sp_advice *a)
{
  const int pure = a->primary_pure;
  sp_gain pg = a->pure_gain, cg = a->code_gain;
  json_t *main_ = pure ? form_json(b, "initialisation", a->pure_status, &a->pure, &a->pure_stds, pg)
                       : form_json(b, "code-change", a->code_status, &a->code, &a->code_stds, cg);
  json_t *alt = pure ? form_json(b, "code-change", a->code_status, &a->code, &a->code_stds, cg)
                     : form_json(b, "initialisation", a->pure_status, &a->pure, &a->pure_stds,
                                 pg);
  put(b, main_, "margin", num(o->margin));
  put(b, main_, "rho_max", num(o->rho_max));
  json_t *range = json_object();
  put(b, range, "min", num(a->std_qk_lo));
  put(b, range, "max", num(a->std_qk_hi));
  put(b, main_, "std_qk_range", range);
  put(b, main_, "flags", flags_json(b, a->rec_flags));
  put(b, main_, "margin_beta", num(a->rec_flip_beta));
  put(b, main_, "alternative", alt);
  return main_;
}

/* The source object: kind, name, widths, and a config's assumed fields. */
static json_t *source_json(builder *b, const sp_report_source *src, const sp_stds *st)
{
  json_t *s = json_object();
  put(b, s, "kind", str(src->kind));
  put(b, s, "name", str(src->name));
  put(b, s, "d_ff", count(st->d_ff, st->d_ff > 0));
  put(b, s, "output_projection", json_boolean(st->output_projection));
  put(b, s, "gate", json_boolean(st->gate));
  const sp_config *c = src->kind && strcmp(src->kind, "config") == 0 ? src->config : NULL;
  if (c) {
    /* The fields the config lacked, with the family's default taken. */
    json_t *fa = json_object();
    for (int f = 0; f < SP_NCF; f++) {
      const char *key = sp_config_field_key(c->family, (sp_config_field)f);
      double x = c->value[f];
      int real = f == SP_CF_INIT_STD || f == SP_CF_NORM_EPS || f == SP_CF_ROTARY_PCT;
      int flag = f == SP_CF_DECODER || f == SP_CF_USE_SLIDING || f == SP_CF_PARALLEL;
      if (key && ((c->assumed >> f) & 1))
        put(b, fa, key, f == SP_CF_ACTIVATION ? str(sp_activation_name((sp_activation)x))
                        : flag ? json_boolean(x != 0)
                        : real ? num(x) : json_integer((json_int_t)x));
    }
    put(b, s, "family", str(sp_family_name(c->family)));
    put(b, s, "assumed_fields", fa);
  }
  return s;
}

/* The report's members after the source: assumed ... recommendation. */
static void rest_json(builder *b, json_t *root, const sp_model *m, const sp_report_source *src,
                      const sp_verdict *v, const sp_recommend_options *o, const sp_advice *a)
{
  json_t *as = json_array();
  static const char *const names[] = {"rho0", "q0", "tokens", "attention_stats", "causal",
                                      "depth", "row_overlap"};
  for (int i = 0; i < 7; i++)
    if ((src->assumed & (1u << i)) && (!as || json_array_append_new(as, json_string(names[i]))))
      b->failed = 1;
  put(b, root, "assumed", as);
  put(b, root, "sigprop", str(sp_version()));
  put(b, root, "command", str(src->command));
  put(b, root, "model", model_json(b, m));
  put(b, root, "verdict", verdict_json(b, v));
  if (a) {
    const sp_recommendation *r = a->pure_status ? &a->code : &a->pure;
    put(b, root, "first_block", first_block_json(b, &r->first));
    put(b, root, "sensitivity", sensitivity_json(b, a));
    put(b, root, "flags", flags_json(b, a->flags));
    put(b, root, "recommendation", recommendation_json(b, o, a));
  } else {
    put(b, root, "first_block", json_null());
    put(b, root, "sensitivity", json_null());
    put(b, root, "flags", json_null());
    put(b, root, "recommendation", json_null());
  }
}

json_t *sp_report_tree(const sp_model *m, const sp_report_source *src, const sp_verdict *v,
                       const sp_recommend_options *o, const sp_advice *a)
{
  if (a)
    v = a->primary_pure || a->code_status ? &a->pure.verdict : &a->code.verdict;
  if (!m || !src || !v || (a && !o))
    return NULL;
  builder b = {0};
  json_t *root = json_object();
  const sp_stds *st = a ? &a->given : &src->stds;
  int asym = m->stats == SP_STATS_ASYMPTOTIC;
  put(&b, root, "phase", str(sp_phase_name(v->phase)));
  put(&b, root, "beta", num(m->beta));
  put(&b, root, "rho0", num(m->rho0));
  put(&b, root, "q0", num(m->q0));
  put(&b, root, "depth", json_integer((json_int_t)m->depth));
  put(&b, root, "d_model", count(st->d_model, st->d_model > 0));
  put(&b, root, "heads", count(st->heads, st->heads > 0));
  put(&b, root, "tokens", count(m->tokens, !asym));
  put(&b, root, "stds", stds_json(&b, st));
  put(&b, root, "source", source_json(&b, src, st));
  rest_json(&b, root, m, src, v, o, a);
  if (b.failed) {
    json_decref(root);
    return NULL;
  }
  return root;
}

int sp_report_text(json_t *root, char **out)
{
  const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17);
  char *text = root ? json_dumps(root, flags) : NULL;
  json_decref(root);
  if (!text)
    return SP_ENOMEM;
  *out = text;
  return SP_OK;
}

int sp_report_json(const sp_model *m, const sp_report_source *src, const sp_verdict *v,
                   const sp_recommend_options *o, const sp_advice *a, char **out)
{
  if (!out)
    return SP_EINVAL;
  *out = NULL;
  const sp_verdict *vv = a ? &a->pure.verdict : v;
  if (!m || !src || !vv || (a && !o))
    return SP_EINVAL;
  return sp_report_text(sp_report_tree(m, src, v, o, a), out);
}

void sp_report_free(char *text)
{
  free(text);
}

int sp_report_exact_overlap(const sp_model *m)
{
  int post = m->norm == SP_NORM_POST;
  if (m->stats != SP_STATS_FINITE || m->attention == SP_ATTN_UNIFORM
      || (m->causal && m->tokens > SP_REM_OVERLAP_CAUSAL_MAX)
      || !(post || (m->norm == SP_NORM_PRE && m->beta_c_on == SP_BETAC_INPUT)))
    return 0;
  double top = post ? sp_rem_beta_c(m->q0, m->rho0 * m->q0) : sp_rem_beta_c(1.0, m->rho0);
  double first = post ? m->q0 * sqrt(1.0 - m->rho0) : 1.0; /* block 1's q0 sqrt(1 - rho0) */
  double lambda = (m->beta > top ? m->beta : top) * (first > 1.0 ? first : 1.0)
                  * sqrt((double)m->tokens / ((double)m->tokens - 1.0));
  return lambda <= SP_OVERLAP_TABLE_LAMBDA_MAX;
}

int sp_report_prepare(sp_modelopt *mo, const sp_recommend_options *o, int gain, sp_model *m,
                      sp_recommend_options *ro, sp_report_source *src)
{
  if (!mo || !o || !m || !ro || !src)
    return SP_EINVAL;
  unsigned given = sp_modelopt_given(mo);
  *m = *sp_modelopt_model(mo);
  /* Every model has a finite T: its statistics unless asked otherwise, and
   * with them the exact row overlap where its table serves every block. */
  if (!(given & SP_GIVEN_STATS))
    m->stats = SP_STATS_FINITE;
  if (!(given & SP_GIVEN_OVERLAP) && sp_report_exact_overlap(m))
    m->row_overlap = SP_OVERLAP_EXACT;
  int s = sp_modelopt_check(mo, m);
  if (s)
    return s;
  const sp_preset *p = sp_modelopt_preset(mo);
  *ro = *o;
  if (gain >= 0)
    ro->gain = (sp_gain)gain;
  else if (p)
    ro->gain = p->gain;
  memset(src, 0, sizeof *src);
  src->kind = sp_modelopt_source(mo, &src->name);
  src->stds = *sp_modelopt_stds(mo);
  src->assumed = ~given & SP_REPORT_INPUTS;
  src->config = sp_modelopt_config(mo);
  return SP_OK;
}

int sp_report_advise(const sp_model *m, const sp_report_source *src,
                     const sp_recommend_options *ro, sp_advice *a)
{
  sp_workspace *w = NULL;
  int s = SP_OK;
  if (!m || !src || !ro || !a)
    return SP_EINVAL;
  if (sp_workspace_needed(m) && sp_workspace_alloc(&w))
    return SP_ENOMEM;
  if (w)
    s = sp_workspace_prepare(w, m);
  if (!s)
    s = sp_advice_eval(m, w, &src->stds, ro, a);
  sp_workspace_free(w);
  return s;
}

int sp_report_recommend(sp_modelopt *mo, const sp_recommend_options *o, int gain,
                        const char *command, char **out, char *err, size_t errsize)
{
  if (!mo || !out || !err || !errsize)
    return SP_EINVAL;
  *out = NULL;
  err[0] = '\0';
  sp_model m;
  sp_recommend_options ro;
  sp_report_source src;
  int s = sp_report_prepare(mo, o, gain, &m, &ro, &src);
  if (s) {
    snprintf(err, errsize, "%s", sp_modelopt_error(mo));
    return s;
  }
  src.command = command;
  sp_advice *a = malloc(sizeof *a);
  s = a ? sp_report_advise(&m, &src, &ro, a) : SP_ENOMEM;
  if (!s)
    s = sp_report_json(&m, &src, NULL, &ro, a, out);
  free(a);
  if (s)
    sp_status_describe(s, "recommend", err, errsize);
  return s;
}
