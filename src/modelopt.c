/* The model options by name: one table, its handlers and its messages,
 * shared by the program and the bindings.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/modelopt.h"

#include "sigprop/io.h"
#include "sigprop/status.h"
#include "stds_private.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Groups of stds given as options that set their model parameters once
 * complete (theory.md §11); converted again whenever a width or T changes,
 * so that the order of these options does not matter. */
enum { FW_QK = 1, FW_V = 2, FW_FF_IN = 4, FW_FF_OUT = 8, FW_EMB = 16, FW_ALL = 31 };

struct sp_modelopt {
  sp_model model;
  sp_stds fw;
  unsigned pending; /* FW_* */
  unsigned given;   /* SP_GIVEN_* */
  sp_preset preset;
  sp_config config;
  int have_preset, have_config; /* have_config: the last architecture option was --config */
  char error[SP_MODELOPT_ERROR_SIZE];
};

/* Record the message of a failure in o; return `status`. */
static int fail(sp_modelopt *o, int status, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 3, 4)))
#endif
  ;

static int fail(sp_modelopt *o, int status, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(o->error, sizeof o->error, fmt, ap);
  va_end(ap);
  return status;
}

/* Strict numbers: the whole string, finite (and whole for a long). */
static int parse_double(sp_modelopt *o, const char *opt, const char *s, double *x)
{
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || *end != '\0')
    return fail(o, SP_EINVAL, "--%s: '%s' is not a number", opt, s);
  if (!isfinite(v) || errno == ERANGE)
    return fail(o, SP_EINVAL, "--%s: '%s' is not a finite number", opt, s);
  *x = v;
  return SP_OK;
}

static int parse_long(sp_modelopt *o, const char *opt, const char *s, long *x)
{
  double v = 0.0;
  int rc = parse_double(o, opt, s, &v);
  if (rc)
    return rc;
  if (v != floor(v) || fabs(v) > 9.0e15)
    return fail(o, SP_EINVAL, "--%s: '%s' is not a whole number", opt, s);
  *x = (long)v;
  return SP_OK;
}

/* ---- the framework stds ---------------------------------------------- */

/* Convert the pending groups whose stds and widths are complete. */
static int fw_apply(sp_modelopt *o)
{
  const sp_stds *s = &o->fw;
  sp_model *m = &o->model;
  sp_stds one;
  sp_stds_init(&one);
  one.d_model = s->d_model;
  one.d_ff = s->d_ff;
  one.output_projection = s->output_projection;
  one.gate = s->gate;
  one.skip_sa = m->alpha_sa;
  one.skip_mlp = m->alpha_mlp;
  if ((o->pending & FW_QK) && !isnan(s->q) && !isnan(s->k) && s->d_model > 0)
    one.q = s->q, one.k = s->k;
  if ((o->pending & FW_V) && !isnan(s->v) && (!s->output_projection || !isnan(s->o))
      && s->d_model > 0)
    one.v = s->v, one.o = s->o;
  if ((o->pending & FW_FF_IN) && !isnan(s->ff_in) && s->d_model > 0)
    one.ff_in = s->ff_in;
  if ((o->pending & FW_FF_OUT) && !isnan(s->ff_out) && s->d_ff > 0)
    one.ff_out = s->ff_out;
  if ((o->pending & FW_EMB) && !isnan(s->emb))
    one.emb = s->emb;
  const char *bad = NULL;
  int st = sp_stds_to_model(&one, m, &bad);
  if (st == SP_EDOM)
    return fail(o, SP_EDOM, "--%s: gives a model parameter outside its domain", bad);
  if (st)
    return fail(o, st, "stds: %s", sp_strerror(st));
  return SP_OK;
}

void sp_modelopt_use_preset(sp_modelopt *o, const sp_preset *p, int embedding_norm)
{
  sp_stds *s = &o->fw;
  sp_stds_init(s);
  s->d_model = p->d_model;
  s->heads = p->heads;
  s->d_ff = p->d_ff;
  s->output_projection = p->output_projection;
  s->gate = p->has_gate;
  sp_stds_preset_weights(s, p);
  s->emb = p->std_emb;
  s->emb_norm = embedding_norm;
  o->pending = 0;
  o->given |= SP_GIVEN_TOKENS | SP_GIVEN_DEPTH | SP_GIVEN_CAUSAL
              | (p->has_q0 ? SP_GIVEN_Q0 : 0u);
}

/* The table's entries: the public part first, then how to apply it. */
typedef struct entry entry;
typedef int (*set_fn)(sp_modelopt *o, const entry *e, const char *v);
typedef struct {
  const char *name;
  int value;
} choice;
struct entry {
  sp_modelopt_entry pub;
  set_fn set;
  const choice *choices; /* choice entries; a name starting with '~' is unlisted */
  size_t offset;         /* of the int a choice sets in sp_model */
};

/* --init-std and --std-*. */
static int std_set(sp_modelopt *o, const entry *e, const char *v)
{
  const char *name = e->pub.name;
  double x = 0.0;
  if (parse_double(o, name, v, &x))
    return SP_EINVAL;
  if (!(x >= 0.0 && x <= 1e3))
    return fail(o, SP_EDOM, "--%s: %s is outside [0, 1000]", name, v);
  sp_stds *s = &o->fw;
  const char *n = name + 4; /* after "std-" or "init" */
  if (strcmp(name, "init-std") == 0) {
    /* The embeddings' std is recorded but sets q0 only through --std-emb:
     * an embedding LayerNorm (BERT) makes q0 = 1 whatever it is. */
    sp_stds_set_all(s, x);
    o->pending |= FW_ALL & ~(unsigned)FW_EMB;
  } else if (strcmp(n, "q") == 0 || strcmp(n, "k") == 0) {
    *(n[0] == 'q' ? &s->q : &s->k) = x;
    o->pending |= FW_QK;
  } else if (strcmp(n, "v") == 0 || strcmp(n, "o") == 0) {
    *(n[0] == 'v' ? &s->v : &s->o) = x;
    o->pending |= FW_V;
  } else if (strcmp(n, "ff-in") == 0) {
    s->ff_in = x;
    o->pending |= FW_FF_IN;
  } else if (strcmp(n, "ff-out") == 0) {
    s->ff_out = x;
    o->pending |= FW_FF_OUT;
  } else {
    s->emb = x;
    o->pending |= FW_EMB;
    o->given |= SP_GIVEN_Q0;
  }
  return fw_apply(o);
}

/* --d-model, --heads, --d-ff. */
static int width_set(sp_modelopt *o, const entry *e, const char *v)
{
  const char *name = e->pub.name;
  long x = 0;
  if (parse_long(o, name, v, &x))
    return SP_EINVAL;
  if (x < 1 || x > 1000000000L)
    return fail(o, SP_EDOM, "--%s: %s is outside [1, 1e9]", name, v);
  sp_stds *s = &o->fw;
  *(strcmp(name, "d-model") == 0 ? &s->d_model : strcmp(name, "heads") == 0 ? &s->heads
                                                                              : &s->d_ff) = x;
  return fw_apply(o);
}

/* Model values that a later option gives directly end a std group's hold. */
static void fw_model_value(sp_modelopt *o, const char *name)
{
  static const struct {
    const char *name;
    unsigned groups, given;
  } t[] = {{"beta", FW_QK, 0}, {"eta", FW_QK, 0}, {"var-v", FW_V, 0},
           {"var-w", FW_FF_IN | FW_FF_OUT, 0}, {"var-w-in", FW_FF_IN, 0},
           {"var-w-out", FW_FF_OUT, 0}, {"q0", FW_EMB, SP_GIVEN_Q0},
           {"rho0", 0, SP_GIVEN_RHO0}, {"tokens", 0, SP_GIVEN_TOKENS},
           {"depth", 0, SP_GIVEN_DEPTH}};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (strcmp(t[i].name, name) == 0) {
      o->pending &= ~t[i].groups;
      o->given |= t[i].given;
    }
}

/* ---- architecture sources -------------------------------------------- */

/* --config: the config's preset at its place on the line, as --preset;
 * what the file lacks (T, depth) is not counted as given. */
static int config_set(sp_modelopt *o, const entry *e, const char *v)
{
  (void)e;
  sp_config_error err;
  int s = sp_config_read(v, &o->config, &err);
  if (s) {
    o->have_config = o->have_preset = 0;
    return fail(o, s, "--config: %s", err.text[0] ? err.text : sp_strerror(s));
  }
  o->have_config = o->have_preset = 1;
  o->preset = o->config.preset;
  sp_preset_apply(&o->preset, &o->model);
  sp_modelopt_use_preset(o, &o->preset, o->config.embedding_norm);
  sp_family f = o->config.family;
  unsigned long a = o->config.assumed;
  sp_config_field tf = f == SP_FAMILY_VIT ? SP_CF_IMAGE_SIZE : SP_CF_POSITIONS;
  if (((a >> tf) & 1) || (f == SP_FAMILY_VIT && ((a >> SP_CF_PATCH_SIZE) & 1)))
    o->given &= ~(unsigned)SP_GIVEN_TOKENS;
  if ((a >> SP_CF_DEPTH) & 1)
    o->given &= ~(unsigned)SP_GIVEN_DEPTH;
  return SP_OK;
}

static int preset_set(sp_modelopt *o, const entry *e, const char *v)
{
  (void)e;
  sp_preset_error err;
  int s = sp_preset_load(v, &o->preset, &err);
  if (s) {
    o->have_preset = 0;
    return fail(o, s, "--preset: %s", err.text[0] ? err.text : sp_strerror(s));
  }
  o->have_preset = 1;
  o->have_config = 0;
  sp_preset_apply(&o->preset, &o->model);
  sp_modelopt_use_preset(o, &o->preset, 0);
  return SP_OK;
}

/* ---- model values ---------------------------------------------------- */

/* A numeric model parameter (sp_param_table) named like its option. */
static int param_set(sp_modelopt *o, const entry *e, const char *v)
{
  const char *name = e->pub.name;
  const sp_param *p = sp_param_lookup(name);
  double x = 0.0;
  if (!p)
    return fail(o, SP_EINVAL, "--%s: not a model parameter", name);
  if (parse_double(o, name, v, &x))
    return SP_EINVAL;
  int s = sp_model_set(&o->model, p, x);
  if (s == SP_EDOM) {
    if (p->kind == SP_PARAM_INTEGER && x != floor(x))
      return fail(o, SP_EDOM, "--%s: '%s' is not a whole number", name, v);
    return fail(o, SP_EDOM, "--%s: %s is outside the domain [%g, %g] (%s)", name, v, p->min,
                p->max, p->doc);
  }
  if (s)
    return fail(o, s, "--%s: %s", name, sp_strerror(s));
  fw_model_value(o, name);
  /* beta from stds depends on T. */
  return strcmp(name, "tokens") == 0 ? fw_apply(o) : SP_OK;
}

/* The listed names of a choice list, joined by `sep`. */
static void choice_names(const choice *c, const char *sep, char *buf, size_t size)
{
  size_t k = 0;
  buf[0] = '\0';
  for (; c->name && k < size; c++)
    if (c->name[0] != '~')
      k += (size_t)snprintf(buf + k, size - k, "%s%s", k ? sep : "", c->name);
}

/* A choice entry (--norm, --attention, ...): '~' names accepted too. */
static int choice_set(sp_modelopt *o, const entry *e, const char *v)
{
  for (const choice *c = e->choices; c->name; c++)
    if (strcmp(c->name + (c->name[0] == '~'), v) == 0) {
      *(int *)(void *)((char *)&o->model + e->offset) = c->value;
      return SP_OK;
    }
  char names[256];
  choice_names(e->choices, ", ", names, sizeof names);
  return fail(o, SP_EINVAL, "--%s: '%s' is not one of %s", e->pub.name, v, names);
}

/* --attention-stats and --row-overlap: listed names only; mark as given. */
static int given_choice_set(sp_modelopt *o, const entry *e, const char *v)
{
  for (const choice *c = e->choices; c->name; c++)
    if (strcmp(c->name, v) == 0) {
      *(int *)(void *)((char *)&o->model + e->offset) = c->value;
      o->given |= e->offset == offsetof(sp_model, stats) ? SP_GIVEN_STATS : SP_GIVEN_OVERLAP;
      return SP_OK;
    }
  char names[256];
  choice_names(e->choices, ", ", names, sizeof names);
  return fail(o, SP_EINVAL, "--%s: '%s' is not one of %s", e->pub.name, v, names);
}

static int causal_set(sp_modelopt *o, const entry *e, const char *v)
{
  (void)v;
  o->model.causal = strcmp(e->pub.name, "causal") == 0;
  o->given |= SP_GIVEN_CAUSAL;
  return SP_OK;
}

/* ---- the tables ------------------------------------------------------ */

_Static_assert(sizeof(sp_norm) == sizeof(int) && sizeof(sp_attention) == sizeof(int)
               && sizeof(sp_activation) == sizeof(int) && sizeof(sp_stats) == sizeof(int)
               && sizeof(sp_betac_on) == sizeof(int) && sizeof(sp_row_overlap) == sizeof(int),
               "model enumerations are set as int");

static const choice norms[] = {
  {"post", SP_NORM_POST}, {"pre", SP_NORM_PRE}, {"none", SP_NORM_NONE}, {NULL, 0}};
static const choice attentions[] = {
  {"softmax", SP_ATTN_SOFTMAX}, {"centred", SP_ATTN_CENTRED}, {"~centered", SP_ATTN_CENTRED},
  {"uniform", SP_ATTN_UNIFORM}, {NULL, 0}};
static const choice stats[] = {
  {"asymptotic", SP_STATS_ASYMPTOTIC}, {"finite", SP_STATS_FINITE}, {NULL, 0}};
static const choice activations[] = {
  {"relu", SP_ACT_RELU}, {"gelu", SP_ACT_GELU}, {"tanh", SP_ACT_TANH}, {"erf", SP_ACT_ERF},
  {"silu", SP_ACT_SILU}, {"linear", SP_ACT_LINEAR}, {NULL, 0}};
static const choice on_none[] = {{"on", 1}, {"none", 0}, {"~off", 0}, {NULL, 0}};
static const choice betac_on[] = {
  {"input", SP_BETAC_INPUT}, {"stream", SP_BETAC_STREAM}, {NULL, 0}};
static const choice overlaps[] = {
  {"independent", SP_OVERLAP_INDEPENDENT}, {"exact", SP_OVERLAP_EXACT}, {NULL, 0}};

#define PARAM(N, M, H) {{N, M, H, 0}, param_set, NULL, 0}
#define CHOICE(N, F, C, M, H) {{N, M, H, 0}, choice_set, C, offsetof(sp_model, F)}
#define STD(N, H) {{N, "S", H, 1}, std_set, NULL, 0}
#define WIDTH(N, M, H) {{N, M, H, 1}, width_set, NULL, 0}

/* The model options (theory.md §1 names), documented in sigprop(1). */
static const entry all_opts[] = {
  {{"preset", "NAME|FILE",
    "an architecture: a built-in NAME (sigprop presets) or a preset file (a path with '/' or "
    "ending in .preset), set at its place on the line", 0}, preset_set, NULL, 0},
  {{"config", "FILE",
    "a Hugging Face config.json (model_type bert, roberta, electra, gpt2, llama, mistral, "
    "qwen2, vit or gpt_neox), set at its place on the line like --preset; a field it lacks "
    "takes the family's default and is listed as assumed (sigprop-inspect(1))", 0},
   config_set, NULL, 0},
  CHOICE("norm", norm, norms, "post|pre|none", "LayerNorm placement"),
  CHOICE("attention", attention, attentions, "softmax|centred|uniform", "attention variant"),
  {{"attention-stats", "asymptotic|finite",
    "T -> inf REM laws or exact finite T [asymptotic; recommend: finite unless given]", 0},
   given_choice_set, stats, offsetof(sp_model, stats)},
  CHOICE("activation", activation, activations, "relu|gelu|tanh|erf|silu|linear",
         "MLP nonlinearity"),
  CHOICE("mlp", mlp, on_none, "on|none", "keep or drop the MLP sub-block"),
  {{"causal", NULL,
    "decoder (causal mask) or encoder [encoder]; a decoder's statistics are row means "
    "over t = 1..T (finite statistics; the T -> inf law is the encoder's)", 0},
   causal_set, NULL, 0},
  {{"no-causal", NULL, NULL, 0}, causal_set, NULL, 0},
  PARAM("beta", "B", "query/key scale"),
  PARAM("eta", "B", NULL),
  PARAM("tokens", "T", "sequence length"),
  PARAM("var-v", "V", "value weight variance"),
  PARAM("var-vb", "V", "value bias variance"),
  PARAM("var-w", "V", "MLP weight variance, both layers"),
  PARAM("var-w-in", "V", "first MLP layer weight variance"),
  PARAM("var-w-out", "V", "second MLP layer weight variance"),
  PARAM("var-b", "V", "MLP bias variance"),
  PARAM("alpha-sa", "A", "skip gain around attention"),
  PARAM("alpha-mlp", "A", "skip gain around the MLP"),
  PARAM("branch-sa", "G", "gain on the attention branch"),
  PARAM("branch-mlp", "G", "gain on the MLP branch"),
  PARAM("mean-removal", "TAU", "token-mean removal after attention"),
  PARAM("rho0", "R", "input cosine similarity"),
  PARAM("q0", "Q", "input squared norm"),
  PARAM("depth", "L", "number of blocks"),
  CHOICE("beta-c-on", beta_c_on, betac_on, "input|stream", "where pre-LN beta_c is evaluated"),
  {{"row-overlap", "independent|exact",
    "finite-T overlap of two attention rows: 1/T, or the shared-key law (tabulated per T, "
    "on first use) [independent; recommend: exact where tabulated]", 0},
   given_choice_set, overlaps, offsetof(sp_model, row_overlap)},
  PARAM("erf-scale", "A", "a in erf(a u)"),
  STD("init-std", "every weight std, as a framework's initializer_range (theory.md §11); "
                  "q0 follows only --std-emb"),
  STD("std-q", "std of W_Q (fan-in d): beta = d std-q std-k / sqrt(log T)"),
  STD("std-k", "std of W_K"),
  STD("std-v", "std of W_V: var-v = d std-v^2 d std-o^2"),
  STD("std-o", "std of the attention output W_O"),
  STD("std-ff-in", "std of the first MLP layer: var-w-in = d std-ff-in^2"),
  STD("std-ff-out", "std of the second MLP layer (fan-in d-ff): var-w-out = d-ff std^2"),
  STD("std-emb", "std of the token embeddings: q0 = std-emb^2"),
  WIDTH("d-model", "D", "residual width d, for the stds [the preset's]"),
  WIDTH("heads", "H", "attention heads, dividing d-model [the preset's]"),
  WIDTH("d-ff", "F", "MLP hidden width, for std-ff-out [the preset's]"),
};

/* The options of the MLP alone (sigprop mlp). */
static const entry mlp_opts[] = {
  CHOICE("activation", activation, activations, "relu|gelu|tanh|erf|silu|linear",
         "MLP nonlinearity"),
  PARAM("var-w", "V", "weight variance times fan-in"),
  PARAM("var-b", "V", "bias variance"),
  PARAM("erf-scale", "A", "a in erf(a u)"),
};

static const entry *table(sp_modelopt_table which, size_t *n)
{
  if (which == SP_MODELOPT_ALL) {
    *n = sizeof all_opts / sizeof all_opts[0];
    return all_opts;
  }
  if (which == SP_MODELOPT_MLP) {
    *n = sizeof mlp_opts / sizeof mlp_opts[0];
    return mlp_opts;
  }
  *n = 0;
  return NULL;
}

size_t sp_modelopt_count(sp_modelopt_table which)
{
  size_t n;
  table(which, &n);
  return n;
}

const sp_modelopt_entry *sp_modelopt_entry_at(sp_modelopt_table which, size_t i)
{
  size_t n;
  const entry *t = table(which, &n);
  return i < n ? &t[i].pub : NULL;
}

static const entry *find(sp_modelopt_table which, const char *name)
{
  size_t n;
  const entry *t = table(which, &n);
  for (size_t i = 0; name && i < n; i++)
    if (strcmp(t[i].pub.name, name) == 0)
      return &t[i];
  return NULL;
}

int sp_modelopt_set(sp_modelopt *o, sp_modelopt_table which, const char *name,
                    const char *value)
{
  if (!o)
    return SP_EINVAL;
  const entry *e = find(which, name);
  if (!e)
    return fail(o, SP_EINVAL, "--%s: not a model option", name ? name : "");
  if (!e->pub.metavar && value)
    return fail(o, SP_EINVAL, "--%s takes no value", name);
  if (e->pub.metavar && !value)
    return fail(o, SP_EINVAL, "--%s: needs a value", name);
  return e->set(o, e, value);
}

/* ---- the object ------------------------------------------------------ */

int sp_modelopt_alloc(sp_modelopt **out)
{
  if (!out)
    return SP_EINVAL;
  sp_modelopt *o = calloc(1, sizeof *o);
  if (!(*out = o))
    return SP_ENOMEM;
  sp_model_default(&o->model);
  sp_stds_init(&o->fw);
  return SP_OK;
}

void sp_modelopt_free(sp_modelopt *o)
{
  free(o);
}

const char *sp_modelopt_error(const sp_modelopt *o)
{
  return o ? o->error : "";
}

sp_model *sp_modelopt_model(sp_modelopt *o)
{
  return &o->model;
}

const sp_stds *sp_modelopt_stds(const sp_modelopt *o)
{
  return &o->fw;
}

unsigned sp_modelopt_given(const sp_modelopt *o)
{
  return o->given;
}

void sp_modelopt_mark_given(sp_modelopt *o, unsigned set, unsigned clear)
{
  o->given = (o->given | set) & ~clear;
}

const sp_preset *sp_modelopt_preset(const sp_modelopt *o)
{
  return o->have_preset ? &o->preset : NULL;
}

const sp_config *sp_modelopt_config(const sp_modelopt *o)
{
  return o->have_config ? &o->config : NULL;
}

const char *sp_modelopt_source(const sp_modelopt *o, const char **name)
{
  *name = o->have_config ? o->config.preset.source : o->have_preset ? o->preset.name : NULL;
  return o->have_config ? "config" : o->have_preset ? "preset" : "options";
}

/* Std options whose partner or width never came. */
static int fw_check(sp_modelopt *o)
{
  const sp_stds *s = &o->fw;
  unsigned p = o->pending;
  if ((p & FW_QK) && isnan(s->q) != isnan(s->k))
    return fail(o, SP_EDOM, "--%s: give --%s too (or --init-std)",
                isnan(s->q) ? "std-k" : "std-q", isnan(s->q) ? "std-q" : "std-k");
  if ((p & FW_V) && s->output_projection && isnan(s->o) != isnan(s->v))
    return fail(o, SP_EDOM, "--%s: give --%s too (or --init-std)",
                isnan(s->o) ? "std-v" : "std-o", isnan(s->o) ? "std-o" : "std-v");
  if ((p & (FW_QK | FW_V | FW_FF_IN)) && s->d_model < 1)
    return fail(o, SP_EDOM, "--std-*: the stds need --d-model (or a preset)");
  if ((p & FW_FF_OUT) && s->d_ff < 1)
    return fail(o, SP_EDOM, "--std-ff-out: needs --d-ff (or a preset)");
  if (s->d_model > 0 && s->heads > 0 && s->d_model % s->heads)
    return fail(o, SP_EDOM, "--heads: %ld heads do not divide d-model = %ld", s->heads,
                s->d_model);
  return SP_OK;
}

int sp_modelopt_check(sp_modelopt *o, const sp_model *m)
{
  if (!o)
    return SP_EINVAL;
  if (!m)
    m = &o->model;
  int s = fw_check(o);
  if (s)
    return s;
  const char *bad = NULL;
  s = sp_model_validate(m, &bad);
  if (s && bad && strcmp(bad, "rho0") == 0 && m->rho0 >= -1.0 / (double)(m->tokens - 1))
    return fail(o, s, "--rho0: %g < 0 has no T -> infinity limit; use "
                "--attention-stats finite", m->rho0);
  if (s && bad && strcmp(bad, "rho0") == 0)
    return fail(o, s, "--rho0: %g is below -1/(T-1) = %g, impossible for %ld tokens", m->rho0,
                -1.0 / (double)(m->tokens - 1), m->tokens);
  if (s)
    return fail(o, s, "--%s: %s", bad ? bad : "model", sp_strerror(s));
  return SP_OK;
}

void sp_modelopt_show(const sp_model *m, const char *name, char *buf, size_t size)
{
  const entry *e = find(SP_MODELOPT_ALL, name);
  double v;
  buf[0] = '\0';
  if (!e || !m || !size)
    return;
  if (e->set == param_set) {
    if (strcmp(name, "var-vb") == 0 && m->var_vb_follows_b)
      snprintf(buf, size, "= var-b");
    else if (!sp_model_get(m, sp_param_lookup(name), &v))
      sp_io_format_double(buf, size, v);
  } else if (e->choices) {
    int cur = *(const int *)(const void *)((const char *)m + e->offset);
    for (const choice *c = e->choices; c->name; c++)
      if (c->value == cur && c->name[0] != '~') {
        snprintf(buf, size, "%s", c->name);
        break;
      }
  }
}
