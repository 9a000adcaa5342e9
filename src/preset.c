/* Architecture presets: a strict "key = value" parser, the derivation of
 * the model parameters (theory.md §11), and the built-in table.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/preset.h"
#include "sigprop/status.h"
#include "infile.h"
#include "names.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- gains (their names: names.c) ---------------------------------- */

int sp_gain_is_branch(sp_gain g)
{
  return g == SP_GAIN_BRANCH || g == SP_GAIN_BRANCH_SA || g == SP_GAIN_BRANCH_MLP;
}

double sp_gain_get(const sp_model *m, sp_gain g)
{
  switch (g) {
  case SP_GAIN_ALPHA:
  case SP_GAIN_ALPHA_SA: return m->alpha_sa;
  case SP_GAIN_ALPHA_MLP: return m->alpha_mlp;
  case SP_GAIN_BRANCH:
  case SP_GAIN_BRANCH_SA: return m->branch_sa;
  case SP_GAIN_BRANCH_MLP: return m->branch_mlp;
  default: return NAN;
  }
}

void sp_gain_set(sp_model *m, sp_gain g, double v)
{
  switch (g) {
  case SP_GAIN_ALPHA: m->alpha_sa = m->alpha_mlp = v; break;
  case SP_GAIN_ALPHA_SA: m->alpha_sa = v; break;
  case SP_GAIN_ALPHA_MLP: m->alpha_mlp = v; break;
  case SP_GAIN_BRANCH: m->branch_sa = m->branch_mlp = v; break;
  case SP_GAIN_BRANCH_SA: m->branch_sa = v; break;
  case SP_GAIN_BRANCH_MLP: m->branch_mlp = v; break;
  default: break;
  }
}

/* ---- framework conversions (theory.md §11) --------------------------- */

double sp_preset_std_qk(double beta, long tokens, long d_model)
{
  if (!(beta >= 0.0) || !isfinite(beta) || tokens < 2 || d_model < 1)
    return NAN;
  return sqrt(beta * sqrt(log((double)tokens)) / (double)d_model);
}

double sp_preset_beta_from_std(double std_q, double std_k, long tokens, long d_model)
{
  if (!(std_q >= 0.0) || !(std_k >= 0.0) || !isfinite(std_q) || !isfinite(std_k) || tokens < 2
      || d_model < 1)
    return NAN;
  return (double)d_model * std_q * std_k / sqrt(log((double)tokens));
}

/* ---- the keys ---------------------------------------------------------- */

typedef enum {
  T_NAME,   /* [a-z0-9][a-z0-9._-]* */
  T_TEXT,   /* the rest of the line */
  T_NORM, T_ACT, T_ATTN, T_MLP, T_YESNO, T_GAIN,
  T_INT,    /* digits, in [imin, imax] */
  T_STD,    /* decimal >= 0 */
  T_PARAM   /* decimal in the domain of the model parameter of that name */
} key_type;

enum {
  K_NAME, K_TITLE, K_SOURCE, K_NORM, K_ACTIVATION, K_ATTENTION, K_MLP, K_CAUSAL,
  K_D_MODEL, K_HEADS, K_D_FF, K_TOKENS, K_DEPTH, K_OUTPUT_PROJECTION,
  K_STD_Q, K_STD_K, K_STD_V, K_STD_O, K_STD_FF_IN, K_STD_FF_OUT, K_STD_BIAS, K_STD_EMB,
  K_BETA, K_VAR_V, K_VAR_W_IN, K_VAR_W_OUT, K_VAR_B,
  K_ALPHA_SA, K_ALPHA_MLP, K_BRANCH_SA, K_BRANCH_MLP, K_MEAN_REMOVAL, K_ERF_SCALE, K_Q0,
  K_GAIN, NKEYS
};

typedef struct {
  const char *name;
  key_type type;
  int required;
  long imin, imax;
} key_spec;

static const key_spec keys[NKEYS] = {
  [K_NAME] = {"name", T_NAME, 1, 0, 0},
  [K_TITLE] = {"title", T_TEXT, 1, 0, 0},
  [K_SOURCE] = {"source", T_TEXT, 1, 0, 0},
  [K_NORM] = {"norm", T_NORM, 1, 0, 0},
  [K_ACTIVATION] = {"activation", T_ACT, 1, 0, 0},
  [K_ATTENTION] = {"attention", T_ATTN, 0, 0, 0},
  [K_MLP] = {"mlp", T_MLP, 0, 0, 0},
  [K_CAUSAL] = {"causal", T_YESNO, 1, 0, 0},
  [K_D_MODEL] = {"d-model", T_INT, 1, 1, 1000000000L},
  [K_HEADS] = {"heads", T_INT, 1, 1, 1000000000L},
  [K_D_FF] = {"d-ff", T_INT, 1, 1, 1000000000L},
  [K_TOKENS] = {"tokens", T_INT, 1, 2, SP_MAX_TOKENS},
  [K_DEPTH] = {"depth", T_INT, 1, 1, SP_MAX_DEPTH},
  [K_OUTPUT_PROJECTION] = {"output-projection", T_YESNO, 1, 0, 0},
  [K_STD_Q] = {"std-q", T_STD, 0, 0, 0},
  [K_STD_K] = {"std-k", T_STD, 0, 0, 0},
  [K_STD_V] = {"std-v", T_STD, 0, 0, 0},
  [K_STD_O] = {"std-o", T_STD, 0, 0, 0},
  [K_STD_FF_IN] = {"std-ff-in", T_STD, 0, 0, 0},
  [K_STD_FF_OUT] = {"std-ff-out", T_STD, 0, 0, 0},
  [K_STD_BIAS] = {"std-bias", T_STD, 0, 0, 0},
  [K_STD_EMB] = {"std-emb", T_STD, 0, 0, 0},
  [K_BETA] = {"beta", T_PARAM, 0, 0, 0},
  [K_VAR_V] = {"var-v", T_PARAM, 0, 0, 0},
  [K_VAR_W_IN] = {"var-w-in", T_PARAM, 0, 0, 0},
  [K_VAR_W_OUT] = {"var-w-out", T_PARAM, 0, 0, 0},
  [K_VAR_B] = {"var-b", T_PARAM, 0, 0, 0},
  [K_ALPHA_SA] = {"alpha-sa", T_PARAM, 0, 0, 0},
  [K_ALPHA_MLP] = {"alpha-mlp", T_PARAM, 0, 0, 0},
  [K_BRANCH_SA] = {"branch-sa", T_PARAM, 0, 0, 0},
  [K_BRANCH_MLP] = {"branch-mlp", T_PARAM, 0, 0, 0},
  [K_MEAN_REMOVAL] = {"mean-removal", T_PARAM, 0, 0, 0},
  [K_ERF_SCALE] = {"erf-scale", T_PARAM, 0, 0, 0},
  [K_Q0] = {"q0", T_PARAM, 0, 0, 0},
  [K_GAIN] = {"gain", T_GAIN, 0, 0, 0},
};

/* What has been read so far. */
typedef struct {
  const char *file;
  sp_preset_error *err;
  long line[NKEYS]; /* line of each key, 0 when absent */
  double num[NKEYS];
  long inum[NKEYS];
  int choice[NKEYS];
} parse_state;

#define MAX_LINE 1023
#define MAX_TEXT (64L * 1024L)

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static int fail(sp_preset_error *err, const char *file, long line, const char *key,
                const char *fmt, ...)
{
  if (!err)
    return SP_EPARSE;
  snprintf(err->file, sizeof err->file, "%s", file);
  err->line = line;
  snprintf(err->key, sizeof err->key, "%s", key ? key : "");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->why, sizeof err->why, fmt, ap);
  va_end(ap);
  char where[300];
  if (line > 0)
    snprintf(where, sizeof where, "%s:%ld", err->file, line);
  else
    snprintf(where, sizeof where, "%s", err->file);
  if (err->key[0])
    snprintf(err->text, sizeof err->text, "%s: %s: %s", where, err->key, err->why);
  else
    snprintf(err->text, sizeof err->text, "%s: %s", where, err->why);
  return SP_EPARSE;
}

/* A plain decimal: [+-]digits[.digits][(e|E)[+-]digits], finite, normal
 * or zero.  Returns 1 and sets *x, else 0. */
static int parse_decimal(const char *s, double *x)
{
  const char *p = s;
  int digits = 0;
  if (*p == '+' || *p == '-')
    p++;
  while (*p >= '0' && *p <= '9')
    p++, digits++;
  if (*p == '.') {
    p++;
    while (*p >= '0' && *p <= '9')
      p++, digits++;
  }
  if (!digits)
    return 0;
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-')
      p++;
    if (!(*p >= '0' && *p <= '9'))
      return 0;
    while (*p >= '0' && *p <= '9')
      p++;
  }
  if (*p)
    return 0;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (*end || errno == ERANGE || !isfinite(v))
    return 0;
  *x = v;
  return 1;
}

/* A name or a free text (title, source). */
static int parse_text(parse_state *st, int k, const char *v, long ln, sp_preset *out)
{
  const key_spec *ks = &keys[k];
  const char *kn = ks->name;
  switch (ks->type) {
  case T_NAME: {
    size_t n = strlen(v);
    if (n > SP_PRESET_NAME_MAX)
      return fail(st->err, st->file, ln, kn, "longer than %d characters", SP_PRESET_NAME_MAX);
    for (size_t i = 0; i < n; i++) {
      char c = v[i];
      int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
               || (i > 0 && (c == '-' || c == '.' || c == '_'));
      if (!ok)
        return fail(st->err, st->file, ln, kn, "'%s' is not a name (lower-case letters, "
                    "digits, '-', '.', '_'; starting with a letter or digit)", v);
    }
    memcpy(out->name, v, n + 1);
    return SP_OK;
  }
  case T_TEXT: {
    size_t n = strlen(v);
    if (n > SP_PRESET_TEXT_MAX)
      return fail(st->err, st->file, ln, kn, "longer than %d characters", SP_PRESET_TEXT_MAX);
    memcpy(k == K_TITLE ? out->title : out->source, v, n + 1);
    return SP_OK;
  }
  default:
    return SP_EINVAL;
  }
}

/* The keys that take one of a fixed list of names: the names with the value
 * each gives, and the list as a message spells it. */
static const sp_name_value mlp_values[] = {{"on", 1}, {"none", 0}};
static const sp_name_value yesno_values[] = {{"yes", 1}, {"no", 0}};
static const sp_name_list mlp_names = {mlp_values, 2}, yesno_names = {yesno_values, 2};

static const struct {
  const sp_name_list *names;
  const char *expect;
} choices[] = {
  [T_NORM] = {&sp_names_norm, "one of post, pre, none"},
  [T_ACT] = {&sp_names_activation, "one of relu, gelu, tanh, erf, silu, linear"},
  [T_ATTN] = {&sp_names_attention, "one of softmax, centred, uniform"},
  [T_MLP] = {&mlp_names, "one of on, none"},
  [T_YESNO] = {&yesno_names, "yes or no"},
  [T_GAIN] = {&sp_names_gain, "one of alpha, alpha-sa, alpha-mlp, branch, branch-sa, branch-mlp"},
};

static int parse_choice(parse_state *st, int k, const char *v, long ln)
{
  key_type t = keys[k].type;
  if (sp_names_find(choices[t].names, v, &st->choice[k]))
    return fail(st->err, st->file, ln, keys[k].name, "'%s' is not %s", v, choices[t].expect);
  return SP_OK;
}

/* A whole number in its range, or a decimal in its domain. */
static int parse_number(parse_state *st, int k, const char *v, long ln)
{
  const key_spec *ks = &keys[k];
  const char *kn = ks->name;
  switch (ks->type) {
  case T_INT: {
    const char *p = v;
    while (*p >= '0' && *p <= '9')
      p++;
    if (p == v || *p)
      return fail(st->err, st->file, ln, kn, "'%s' is not a whole number (digits only)", v);
    errno = 0;
    long x = strtol(v, NULL, 10);
    if (errno == ERANGE || x < ks->imin || x > ks->imax)
      return fail(st->err, st->file, ln, kn, "%s is outside [%ld, %ld]", v, ks->imin, ks->imax);
    st->inum[k] = x;
    return SP_OK;
  }
  case T_STD:
  case T_PARAM: {
    double x;
    if (!parse_decimal(v, &x))
      return fail(st->err, st->file, ln, kn, "'%s' is not a finite decimal number", v);
    if (ks->type == T_STD) {
      if (x < 0.0)
        return fail(st->err, st->file, ln, kn, "%s is negative (a standard deviation)", v);
    } else {
      const sp_param *p = sp_param_lookup(kn);
      if (p && (x < p->min || x > p->max))
        return fail(st->err, st->file, ln, kn, "%s is outside the domain [%g, %g] (%s)", v,
                    p->min, p->max, p->doc);
    }
    st->num[k] = x;
    return SP_OK;
  }
  default:
    return SP_EINVAL;
  }
}

static int parse_value(parse_state *st, int k, const char *v, long ln, sp_preset *out)
{
  switch (keys[k].type) {
  case T_NAME:
  case T_TEXT:
    return parse_text(st, k, v, ln, out);
  case T_INT:
  case T_STD:
  case T_PARAM:
    return parse_number(st, k, v, ln);
  default:
    return parse_choice(st, k, v, ln);
  }
}

static void trim(const char **b, const char **e)
{
  while (*b < *e && (**b == ' ' || **b == '\t'))
    (*b)++;
  while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
    (*e)--;
}

/* One line [b, e) without its newline. */
static int parse_line(parse_state *st, const char *b, const char *e, long ln, sp_preset *out)
{
  if (e > b && e[-1] == '\r')
    e--;
  if (e - b > MAX_LINE)
    return fail(st->err, st->file, ln, NULL, "line longer than %d bytes", MAX_LINE);
  for (const char *p = b; p < e; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == 0)
      return fail(st->err, st->file, ln, NULL, "NUL byte (not a text file)");
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return fail(st->err, st->file, ln, NULL, "control character 0x%02x", c);
  }
  trim(&b, &e);
  if (b == e || *b == '#')
    return SP_OK;
  const char *eq = memchr(b, '=', (size_t)(e - b));
  if (!eq)
    return fail(st->err, st->file, ln, NULL, "expected 'key = value', got '%.*s'",
                (int)(e - b > 60 ? 60 : e - b), b);
  const char *kb = b, *ke = eq, *vb = eq + 1, *ve = e;
  trim(&kb, &ke);
  trim(&vb, &ve);
  char key[40], value[MAX_LINE + 1];
  size_t kn = (size_t)(ke - kb), vn = (size_t)(ve - vb);
  if (kn == 0)
    return fail(st->err, st->file, ln, NULL, "missing key before '='");
  for (const char *p = kb; p < ke; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
      return fail(st->err, st->file, ln, NULL, "'%.*s' is not a key (lower-case letters, digits "
                  "and '-')", (int)(kn > 60 ? 60 : kn), kb);
  if (kn >= sizeof key)
    return fail(st->err, st->file, ln, NULL, "unknown key '%.30s...'", kb);
  memcpy(key, kb, kn);
  key[kn] = '\0';
  int k = -1;
  for (int i = 0; i < NKEYS; i++)
    if (strcmp(keys[i].name, key) == 0)
      k = i;
  if (k < 0)
    return fail(st->err, st->file, ln, key, "unknown key");
  if (st->line[k])
    return fail(st->err, st->file, ln, key, "duplicate key (first given on line %ld)",
                st->line[k]);
  if (vn == 0)
    return fail(st->err, st->file, ln, key, "missing value");
  memcpy(value, vb, vn);
  value[vn] = '\0';
  int s = parse_value(st, k, value, ln, out);
  if (s)
    return s;
  st->line[k] = ln;
  return SP_OK;
}

/* Exactly one of the model key `model` or the framework keys `a` (and `b`
 * when b >= 0) must be present. */
static int one_of(parse_state *st, int model, int a, int b)
{
  const char *f = st->file;
  int ha = st->line[a] != 0, hb = b >= 0 && st->line[b] != 0, hm = st->line[model] != 0;
  if (hm && (ha || hb)) {
    int other = ha ? a : b;
    return fail(st->err, f, st->line[model], keys[model].name, "conflicts with %s on line %ld "
                "(give the model value or the framework std, not both)", keys[other].name,
                st->line[other]);
  }
  if (hm)
    return SP_OK;
  if (!ha && !hb) {
    if (b >= 0)
      return fail(st->err, f, 0, keys[a].name, "missing: give %s and %s, or %s",
                  keys[a].name, keys[b].name, keys[model].name);
    return fail(st->err, f, 0, keys[a].name, "missing: give %s or %s", keys[a].name,
                keys[model].name);
  }
  if (b >= 0 && !(ha && hb)) {
    int missing = ha ? b : a, given = ha ? a : b;
    return fail(st->err, f, 0, keys[missing].name, "missing (%s is given on line %ld)",
                keys[given].name, st->line[given]);
  }
  return SP_OK;
}

/* Set model parameter `name` to x; on a domain error blame key k. */
static int set_param(parse_state *st, sp_model *m, const char *name, double x, int k)
{
  const sp_param *p = sp_param_lookup(name);
  if (sp_model_set(m, p, x) == SP_OK)
    return SP_OK;
  return fail(st->err, st->file, st->line[k], keys[k].name, "gives %s = %g, outside the domain "
              "[%g, %g]", name, x, p->min, p->max);
}

/* The keys a preset must give, once each, and heads dividing d-model. */
static int derive_check(parse_state *st)
{
  const char *f = st->file;
  long *line = st->line;
  for (int k = 0; k < NKEYS; k++)
    if (keys[k].required && !line[k])
      return fail(st->err, f, 0, keys[k].name, "missing (required)");
  int wo = st->choice[K_OUTPUT_PROJECTION], s;
  if (!wo && line[K_STD_O])
    return fail(st->err, f, line[K_STD_O], "std-o", "given, but output-projection = no (line %ld)",
                line[K_OUTPUT_PROJECTION]);
  if ((s = one_of(st, K_BETA, K_STD_Q, K_STD_K)) || (s = one_of(st, K_VAR_V, K_STD_V, wo ? K_STD_O : -1))
      || (s = one_of(st, K_VAR_W_IN, K_STD_FF_IN, -1))
      || (s = one_of(st, K_VAR_W_OUT, K_STD_FF_OUT, -1)) || (s = one_of(st, K_VAR_B, K_STD_BIAS, -1)))
    return s;
  long d = st->inum[K_D_MODEL], heads = st->inum[K_HEADS];
  if (d % heads)
    return fail(st->err, f, line[K_HEADS], "heads", "%ld does not divide d-model = %ld", heads, d);
  return SP_OK;
}

/* beta and var-v from the attention's standard deviations, or these from
 * them (theory.md §11). */
static int derive_attention(parse_state *st, sp_preset *out, sp_model *m, int wo)
{
  long *line = st->line, T = st->inum[K_TOKENS], d = st->inum[K_D_MODEL];
  double dd = (double)d;
  int s;
  /* theory.md §11: beta = d s_q s_k / sqrt(log T). */
  if (line[K_BETA]) {
    if ((s = set_param(st, m, "beta", st->num[K_BETA], K_BETA)))
      return s;
    out->std_q = out->std_k = sp_preset_std_qk(m->beta, T, d);
    out->derived |= SP_PRESET_DERIVED_QK;
  } else {
    out->std_q = st->num[K_STD_Q];
    out->std_k = st->num[K_STD_K];
    if ((s = set_param(st, m, "beta", dd * out->std_q * out->std_k / sqrt(log((double)T)),
                       K_STD_Q)))
      return s;
  }
  /* sigma_v^2 = d s_v^2, times d s_o^2 with an output projection. */
  if (line[K_VAR_V]) {
    if ((s = set_param(st, m, "var-v", st->num[K_VAR_V], K_VAR_V)))
      return s;
    if (wo)
      out->std_v = out->std_o = pow(m->var_v, 0.25) / sqrt(dd);
    else {
      out->std_v = sqrt(m->var_v / dd);
      out->std_o = NAN;
    }
    out->derived |= SP_PRESET_DERIVED_VO;
  } else {
    out->std_v = st->num[K_STD_V];
    out->std_o = wo ? st->num[K_STD_O] : NAN;
    double vv = dd * out->std_v * out->std_v;
    if (wo)
      vv *= dd * out->std_o * out->std_o;
    if ((s = set_param(st, m, "var-v", vv, K_STD_V)))
      return s;
  }
  return SP_OK;
}

/* The MLP's and the biases' variances, or their standard deviations. */
static int derive_mlp(parse_state *st, sp_preset *out, sp_model *m)
{
  long *line = st->line, dff = st->inum[K_D_FF];
  double dd = (double)st->inum[K_D_MODEL];
  int s;
  /* sigma_w1^2 = d s_1^2, sigma_w2^2 = d_ff s_2^2. */
  if (line[K_VAR_W_IN]) {
    if ((s = set_param(st, m, "var-w-in", st->num[K_VAR_W_IN], K_VAR_W_IN)))
      return s;
    out->std_ff_in = sqrt(m->var_w_in / dd);
    out->derived |= SP_PRESET_DERIVED_FF_IN;
  } else {
    out->std_ff_in = st->num[K_STD_FF_IN];
    if ((s = set_param(st, m, "var-w-in", dd * out->std_ff_in * out->std_ff_in, K_STD_FF_IN)))
      return s;
  }
  if (line[K_VAR_W_OUT]) {
    if ((s = set_param(st, m, "var-w-out", st->num[K_VAR_W_OUT], K_VAR_W_OUT)))
      return s;
    out->std_ff_out = sqrt(m->var_w_out / (double)dff);
    out->derived |= SP_PRESET_DERIVED_FF_OUT;
  } else {
    out->std_ff_out = st->num[K_STD_FF_OUT];
    if ((s = set_param(st, m, "var-w-out", (double)dff * out->std_ff_out * out->std_ff_out,
                       K_STD_FF_OUT)))
      return s;
  }
  /* Biases are not scaled by a fan-in: sigma_b^2 = s_b^2. */
  if (line[K_VAR_B]) {
    if ((s = set_param(st, m, "var-b", st->num[K_VAR_B], K_VAR_B)))
      return s;
    out->std_bias = sqrt(m->var_b);
    out->derived |= SP_PRESET_DERIVED_BIAS;
  } else {
    out->std_bias = st->num[K_STD_BIAS];
    if ((s = set_param(st, m, "var-b", out->std_bias * out->std_bias, K_STD_BIAS)))
      return s;
  }
  return SP_OK;
}

static int derive(parse_state *st, sp_preset *out)
{
  const char *f = st->file;
  long *line = st->line;
  int s, wo = st->choice[K_OUTPUT_PROJECTION];
  if ((s = derive_check(st)))
    return s;
  long d = st->inum[K_D_MODEL], heads = st->inum[K_HEADS], dff = st->inum[K_D_FF];
  long T = st->inum[K_TOKENS];
  out->d_model = d;
  out->heads = heads;
  out->d_ff = dff;
  out->output_projection = wo;
  out->derived = 0;
  out->std_emb = line[K_STD_EMB] ? st->num[K_STD_EMB] : NAN;
  out->has_gate = 0;
  out->std_gate = NAN;
  out->has_q0 = line[K_Q0] != 0;
  out->gain = line[K_GAIN] ? (sp_gain)st->choice[K_GAIN] : SP_GAIN_ALPHA;

  sp_model *m = &out->model;
  sp_model_default(m);
  m->norm = (sp_norm)st->choice[K_NORM];
  m->activation = (sp_activation)st->choice[K_ACTIVATION];
  m->attention = line[K_ATTENTION] ? (sp_attention)st->choice[K_ATTENTION] : SP_ATTN_SOFTMAX;
  m->mlp = line[K_MLP] ? st->choice[K_MLP] : 1;
  m->causal = st->choice[K_CAUSAL];
  m->tokens = T;
  m->depth = st->inum[K_DEPTH];
  if ((s = derive_attention(st, out, m, wo)) || (s = derive_mlp(st, out, m)))
    return s;
  m->var_vb_follows_b = 1;
  m->var_vb = m->var_b;
  static const int direct[] = {K_ALPHA_SA, K_ALPHA_MLP, K_BRANCH_SA, K_BRANCH_MLP,
                               K_MEAN_REMOVAL, K_ERF_SCALE, K_Q0};
  for (size_t i = 0; i < sizeof direct / sizeof direct[0]; i++) {
    int k = direct[i];
    if (line[k] && (s = set_param(st, m, keys[k].name, st->num[k], k)))
      return s;
  }
  const char *bad = NULL;
  if ((s = sp_model_validate(m, &bad)))
    return fail(st->err, f, 0, bad, "the derived model is invalid: %s", sp_strerror(s));
  return SP_OK;
}

int sp_preset_parse(const char *text, size_t len, const char *file, sp_preset *out,
                    sp_preset_error *err)
{
  if (!file)
    file = "<preset>";
  if (err)
    memset(err, 0, sizeof *err);
  if (!text || !out)
    return SP_EINVAL;
  memset(out, 0, sizeof *out);
  parse_state st;
  memset(&st, 0, sizeof st);
  st.file = file;
  st.err = err;
  if ((long)len > MAX_TEXT)
    return fail(err, file, 0, NULL, "larger than %ld bytes", MAX_TEXT);
  const char *p = text, *end = text + len;
  long ln = 0;
  int any = 0;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *e = nl ? nl : end;
    ln++;
    int s = parse_line(&st, p, e, ln, out);
    if (s)
      return s;
    p = nl ? nl + 1 : end;
  }
  for (int k = 0; k < NKEYS; k++)
    any |= st.line[k] != 0;
  if (!any)
    return fail(err, file, 0, NULL, "empty preset (no 'key = value' lines)");
  return derive(&st, out);
}

int sp_preset_read(const char *path, sp_preset *out, sp_preset_error *err)
{
  if (err)
    memset(err, 0, sizeof *err);
  if (!path || !out)
    return SP_EINVAL;
  char *buf;
  size_t n;
  int e, s = sp_infile_read(path, (size_t)MAX_TEXT, &buf, &n, &e);
  if (s == SP_EIO)
    fail(err, path, 0, NULL, "cannot read: %s", strerror(e));
  if (s)
    return s;
  s = sp_preset_parse(buf, n, path, out, err);
  free(buf);
  return s;
}

/* ---- built-in presets ----------------------------------------------- */

struct builtin_preset {
  const char *name;
  const char *text;
  size_t len;
};

/* Generated at build time from data/presets/ (src/embed_presets.py):
 * static const struct builtin_preset builtin_presets[], sorted by name. */
#include "presets_data.h"

#define NBUILTIN (sizeof builtin_presets / sizeof builtin_presets[0])

size_t sp_preset_count(void)
{
  return NBUILTIN;
}

const char *sp_preset_name(size_t i)
{
  return i < NBUILTIN ? builtin_presets[i].name : NULL;
}

const char *sp_preset_text(size_t i)
{
  return i < NBUILTIN ? builtin_presets[i].text : NULL;
}

int sp_preset_builtin(size_t i, sp_preset *out, sp_preset_error *err)
{
  if (err)
    memset(err, 0, sizeof *err);
  if (i >= NBUILTIN || !out)
    return SP_EINVAL;
  char file[SP_PRESET_NAME_MAX + 32];
  snprintf(file, sizeof file, "<built-in>/%s.preset", builtin_presets[i].name);
  int s = sp_preset_parse(builtin_presets[i].text, builtin_presets[i].len, file, out, err);
  if (!s && strcmp(out->name, builtin_presets[i].name) != 0)
    return fail(err, file, 0, "name", "'%s' differs from the file name", out->name);
  return s;
}

int sp_preset_load(const char *spec, sp_preset *out, sp_preset_error *err)
{
  if (err)
    memset(err, 0, sizeof *err);
  if (!spec || !out)
    return SP_EINVAL;
  for (size_t i = 0; i < NBUILTIN; i++)
    if (strcmp(spec, builtin_presets[i].name) == 0)
      return sp_preset_builtin(i, out, err);
  size_t n = strlen(spec);
  if (strchr(spec, '/') || (n > 7 && strcmp(spec + n - 7, ".preset") == 0))
    return sp_preset_read(spec, out, err);
  if (err) {
    char names[200] = "";
    size_t used = 0;
    for (size_t i = 0; i < NBUILTIN && used < sizeof names; i++) {
      int w = snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                       builtin_presets[i].name);
      if (w > 0)
        used += (size_t)w;
    }
    fail(err, spec, 0, NULL, "no such built-in preset (built in: %s; a file name needs a '/' "
         "or the .preset extension)", names);
  }
  return SP_EINVAL;
}

void sp_preset_apply(const sp_preset *p, sp_model *m)
{
  const sp_model *s = &p->model;
  m->norm = s->norm;
  m->attention = s->attention;
  m->activation = s->activation;
  m->mlp = s->mlp;
  m->causal = s->causal;
  m->beta = s->beta;
  m->tokens = s->tokens;
  m->var_v = s->var_v;
  m->var_vb = s->var_vb;
  m->var_vb_follows_b = s->var_vb_follows_b;
  m->var_w_in = s->var_w_in;
  m->var_w_out = s->var_w_out;
  m->var_b = s->var_b;
  m->alpha_sa = s->alpha_sa;
  m->alpha_mlp = s->alpha_mlp;
  m->branch_sa = s->branch_sa;
  m->branch_mlp = s->branch_mlp;
  m->mean_removal = s->mean_removal;
  m->erf_scale = s->erf_scale;
  m->depth = s->depth;
  if (p->has_q0)
    m->q0 = s->q0;
}
