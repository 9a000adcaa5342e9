/* Hugging Face config.json: the families, their fields and defaults, and
 * the derivation of the model through a preset (theory.md §11).
 * The defaults are those of each family's configuration class in the
 * transformers library (src/transformers/models/<family>/
 * configuration_<family>.py), the initialisers those of its
 * <Family>PreTrainedModel._init_weights (modeling_<family>.py).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/config.h"
#include "sigprop/status.h"
#include "errtext.h"
#include "infile.h"

#include <jansson.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the families ------------------------------------------------------ */

typedef enum { F_INT, F_REAL, F_BOOL, F_ACT } field_kind;

static const field_kind field_kinds[SP_NCF] = {
  [SP_CF_D_MODEL] = F_INT, [SP_CF_HEADS] = F_INT, [SP_CF_DEPTH] = F_INT,
  [SP_CF_D_FF] = F_INT, [SP_CF_ACTIVATION] = F_ACT, [SP_CF_INIT_STD] = F_REAL,
  [SP_CF_POSITIONS] = F_INT, [SP_CF_DECODER] = F_BOOL, [SP_CF_NORM_EPS] = F_REAL,
  [SP_CF_VOCAB] = F_INT, [SP_CF_TYPE_VOCAB] = F_INT, [SP_CF_PAD] = F_INT,
  [SP_CF_EMBEDDING_SIZE] = F_INT, [SP_CF_KV_HEADS] = F_INT, [SP_CF_SLIDING_WINDOW] = F_INT,
  [SP_CF_USE_SLIDING] = F_BOOL, [SP_CF_IMAGE_SIZE] = F_INT, [SP_CF_PATCH_SIZE] = F_INT,
  [SP_CF_CHANNELS] = F_INT, [SP_CF_PARALLEL] = F_BOOL, [SP_CF_ROTARY_PCT] = F_REAL,
};

/* A field of one family: its key and default.  A NaN default is computed
 * from other fields (n_inner: 4 n_embd; num_key_value_heads: the heads). */
typedef struct {
  const char *key;
  double def;
} field_spec;

typedef struct {
  const char *name;     /* model_type */
  const char *act_def;  /* default activation, as the config spells it */
  sp_norm norm;
  int causal;           /* decoders; encoders read is_decoder */
  sp_position position;
  int gate;             /* SwiGLU MLP */
  int emb_norm;         /* LayerNorm on the embeddings */
  field_spec f[SP_NCF];
} family_spec;

#define BERT_LIKE(vocab, d, heads, dff, pos)                                              \
  [SP_CF_D_MODEL] = {"hidden_size", d}, [SP_CF_HEADS] = {"num_attention_heads", heads},   \
  [SP_CF_DEPTH] = {"num_hidden_layers", 12}, [SP_CF_D_FF] = {"intermediate_size", dff},   \
  [SP_CF_ACTIVATION] = {"hidden_act", 0}, [SP_CF_INIT_STD] = {"initializer_range", 0.02}, \
  [SP_CF_POSITIONS] = {"max_position_embeddings", pos}, [SP_CF_DECODER] = {"is_decoder", 0}, \
  [SP_CF_NORM_EPS] = {"layer_norm_eps", 1e-12}, [SP_CF_VOCAB] = {"vocab_size", vocab},    \
  [SP_CF_TYPE_VOCAB] = {"type_vocab_size", 2}

#define LLAMA_LIKE(vocab, dff, pos, kv)                                                   \
  [SP_CF_D_MODEL] = {"hidden_size", 4096}, [SP_CF_HEADS] = {"num_attention_heads", 32},   \
  [SP_CF_DEPTH] = {"num_hidden_layers", 32}, [SP_CF_D_FF] = {"intermediate_size", dff},   \
  [SP_CF_ACTIVATION] = {"hidden_act", 0}, [SP_CF_INIT_STD] = {"initializer_range", 0.02}, \
  [SP_CF_POSITIONS] = {"max_position_embeddings", pos},                                    \
  [SP_CF_NORM_EPS] = {"rms_norm_eps", 1e-6}, [SP_CF_VOCAB] = {"vocab_size", vocab},       \
  [SP_CF_KV_HEADS] = {"num_key_value_heads", kv}

static const family_spec families[SP_NFAMILY] = {
  [SP_FAMILY_BERT] = {"bert", "gelu", SP_NORM_POST, 0, SP_POSITION_LEARNED, 0, 1,
    {BERT_LIKE(30522, 768, 12, 3072, 512)}},
  [SP_FAMILY_ROBERTA] = {"roberta", "gelu", SP_NORM_POST, 0, SP_POSITION_LEARNED, 0, 1,
    {BERT_LIKE(50265, 768, 12, 3072, 512), [SP_CF_PAD] = {"pad_token_id", 1}}},
  [SP_FAMILY_ELECTRA] = {"electra", "gelu", SP_NORM_POST, 0, SP_POSITION_LEARNED, 0, 1,
    {BERT_LIKE(30522, 256, 4, 1024, 512), [SP_CF_EMBEDDING_SIZE] = {"embedding_size", 128}}},
  [SP_FAMILY_GPT2] = {"gpt2", "gelu_new", SP_NORM_PRE, 1, SP_POSITION_LEARNED, 0, 0, {
    [SP_CF_D_MODEL] = {"n_embd", 768}, [SP_CF_HEADS] = {"n_head", 12},
    [SP_CF_DEPTH] = {"n_layer", 12}, [SP_CF_D_FF] = {"n_inner", NAN},
    [SP_CF_ACTIVATION] = {"activation_function", 0},
    [SP_CF_INIT_STD] = {"initializer_range", 0.02}, [SP_CF_POSITIONS] = {"n_positions", 1024},
    [SP_CF_NORM_EPS] = {"layer_norm_epsilon", 1e-5}, [SP_CF_VOCAB] = {"vocab_size", 50257}}},
  [SP_FAMILY_LLAMA] = {"llama", "silu", SP_NORM_PRE, 1, SP_POSITION_ROTARY, 1, 0,
    {LLAMA_LIKE(32000, 11008, 2048, NAN)}},
  [SP_FAMILY_MISTRAL] = {"mistral", "silu", SP_NORM_PRE, 1, SP_POSITION_ROTARY, 1, 0,
    {LLAMA_LIKE(32000, 14336, 131072, 8), [SP_CF_SLIDING_WINDOW] = {"sliding_window", 4096}}},
  [SP_FAMILY_QWEN2] = {"qwen2", "silu", SP_NORM_PRE, 1, SP_POSITION_ROTARY, 1, 0,
    {LLAMA_LIKE(151936, 22016, 32768, 32), [SP_CF_SLIDING_WINDOW] = {"sliding_window", 4096},
     [SP_CF_USE_SLIDING] = {"use_sliding_window", 0}}},
  [SP_FAMILY_VIT] = {"vit", "gelu", SP_NORM_PRE, 0, SP_POSITION_LEARNED, 0, 0, {
    [SP_CF_D_MODEL] = {"hidden_size", 768}, [SP_CF_HEADS] = {"num_attention_heads", 12},
    [SP_CF_DEPTH] = {"num_hidden_layers", 12}, [SP_CF_D_FF] = {"intermediate_size", 3072},
    [SP_CF_ACTIVATION] = {"hidden_act", 0}, [SP_CF_INIT_STD] = {"initializer_range", 0.02},
    [SP_CF_NORM_EPS] = {"layer_norm_eps", 1e-12}, [SP_CF_IMAGE_SIZE] = {"image_size", 224},
    [SP_CF_PATCH_SIZE] = {"patch_size", 16}, [SP_CF_CHANNELS] = {"num_channels", 3}}},
  [SP_FAMILY_GPT_NEOX] = {"gpt_neox", "gelu", SP_NORM_PRE, 1, SP_POSITION_ROTARY, 0, 0, {
    [SP_CF_D_MODEL] = {"hidden_size", 6144}, [SP_CF_HEADS] = {"num_attention_heads", 64},
    [SP_CF_DEPTH] = {"num_hidden_layers", 44}, [SP_CF_D_FF] = {"intermediate_size", 24576},
    [SP_CF_ACTIVATION] = {"hidden_act", 0}, [SP_CF_INIT_STD] = {"initializer_range", 0.02},
    [SP_CF_POSITIONS] = {"max_position_embeddings", 2048},
    [SP_CF_NORM_EPS] = {"layer_norm_eps", 1e-5}, [SP_CF_VOCAB] = {"vocab_size", 50432},
    [SP_CF_PARALLEL] = {"use_parallel_residual", 1}, [SP_CF_ROTARY_PCT] = {"rotary_pct", 0.25}}},
};

int sp_family_from_name(const char *s, sp_family *out)
{
  if (!s)
    return SP_EINVAL;
  for (int i = 0; i < SP_NFAMILY; i++)
    if (strcmp(s, families[i].name) == 0) {
      if (out)
        *out = (sp_family)i;
      return SP_OK;
    }
  return SP_EINVAL;
}

const char *sp_family_name(sp_family f)
{
  return (unsigned)f < SP_NFAMILY ? families[f].name : "?";
}

const char *sp_family_list(void)
{
  return "bert, roberta, electra, gpt2, llama, mistral, qwen2, vit, gpt_neox";
}

const char *sp_config_field_key(sp_family fam, sp_config_field f)
{
  if ((unsigned)fam >= SP_NFAMILY || (unsigned)f >= SP_NCF)
    return NULL;
  return families[fam].f[f].key;
}

/* Activation names of the transformers library (ACT2FN) that sigprop
 * models; the tanh and sigmoid approximations of GELU count as GELU. */
static const struct { const char *name; sp_activation act; } activations[] = {
  {"gelu", SP_ACT_GELU}, {"gelu_new", SP_ACT_GELU}, {"gelu_fast", SP_ACT_GELU},
  {"gelu_pytorch_tanh", SP_ACT_GELU}, {"gelu_python", SP_ACT_GELU},
  {"gelu_accurate", SP_ACT_GELU}, {"quick_gelu", SP_ACT_GELU}, {"relu", SP_ACT_RELU},
  {"silu", SP_ACT_SILU}, {"swish", SP_ACT_SILU}, {"tanh", SP_ACT_TANH},
  {"linear", SP_ACT_LINEAR},
};
#define NACT_NAMES (sizeof activations / sizeof activations[0])

/* ---- errors ------------------------------------------------------------ */

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int fail(sp_config_error *err, const char *file, const char *key, const char *fmt, ...)
{
  if (!err)
    return SP_EPARSE;
  snprintf(err->key, sizeof err->key, "%s", key ? key : "");
  va_list ap;
  va_start(ap, fmt);
  sp_errtext_vformat(err->text, sizeof err->text, file, err->key, 512, fmt, ap);
  va_end(ap);
  return SP_EPARSE;
}

/* ---- reading the fields -------------------------------------------------- */

static const char *json_kind(const json_t *v)
{
  switch (json_typeof(v)) {
  case JSON_OBJECT: return "an object";
  case JSON_ARRAY: return "an array";
  case JSON_STRING: return "a string";
  case JSON_INTEGER: return "an integer";
  case JSON_REAL: return "a real number";
  case JSON_TRUE: return "true";
  case JSON_FALSE: return "false";
  default: return "null";
  }
}

/* Read field f of the family into c->value[f]; a missing one takes the
 * default.  Returns SP_OK or SP_EPARSE. */
static int read_field(const json_t *root, const family_spec *fs, sp_config_field f, sp_config *c,
                      const char *file, sp_config_error *err)
{
  const char *key = fs->f[f].key;
  json_t *v = json_object_get(root, key);
  if (f == SP_CF_SLIDING_WINDOW && v && json_is_null(v)) {
    c->value[f] = 0; /* explicitly no window */
    return SP_OK;
  }
  if (!v || json_is_null(v)) {
    /* is_decoder is every configuration's own default (false), not the
     * family's: an encoder's file rightly leaves it out. */
    if (f != SP_CF_DECODER)
      c->assumed |= 1ul << f;
    c->value[f] = fs->f[f].def;
    return SP_OK;
  }
  switch (field_kinds[f]) {
  case F_INT:
    if (!json_is_integer(v))
      return fail(err, file, key, "expected an integer, got %s", json_kind(v));
    if (json_integer_value(v) < 0 || json_integer_value(v) > 1000000000000LL)
      return fail(err, file, key, "%lld is outside [0, 1e12]", (long long)json_integer_value(v));
    c->value[f] = (double)json_integer_value(v);
    return SP_OK;
  case F_REAL:
    if (!json_is_number(v))
      return fail(err, file, key, "expected a number, got %s", json_kind(v));
    c->value[f] = json_number_value(v);
    if (!(c->value[f] >= 0.0) || !isfinite(c->value[f]))
      return fail(err, file, key, "%g is negative", c->value[f]);
    return SP_OK;
  case F_BOOL:
    if (!json_is_boolean(v))
      return fail(err, file, key, "expected true or false, got %s", json_kind(v));
    c->value[f] = json_is_true(v);
    return SP_OK;
  case F_ACT: {
    if (!json_is_string(v))
      return fail(err, file, key, "expected a string, got %s", json_kind(v));
    const char *s = json_string_value(v);
    for (size_t i = 0; i < NACT_NAMES; i++)
      if (strcmp(s, activations[i].name) == 0) {
        c->value[f] = activations[i].act;
        return SP_OK;
      }
    return fail(err, file, key, "'%.40s' is not an activation sigprop models (gelu, gelu_new, "
                "gelu_fast, gelu_pytorch_tanh, gelu_python, gelu_accurate, quick_gelu, relu, "
                "silu, swish, tanh, linear)", s);
  }
  }
  return SP_EINVAL;
}

static sp_activation default_activation(const family_spec *fs)
{
  for (size_t i = 0; i < NACT_NAMES; i++)
    if (strcmp(fs->act_def, activations[i].name) == 0)
      return activations[i].act;
  return SP_ACT_GELU;
}

/* Integer field f in [lo, hi]. */
static int check_range(const sp_config *c, sp_config_field f, double lo, double hi,
                       const char *file, sp_config_error *err)
{
  double v = c->value[f];
  if (isnan(v) || (v >= lo && v <= hi))
    return SP_OK;
  return fail(err, file, families[c->family].f[f].key, "%.17g is outside [%.17g, %.17g]%s", v,
              lo, hi, (c->assumed >> f) & 1 ? " (the family's default)" : "");
}

static int check_fields(sp_config *c, const char *file, sp_config_error *err)
{
  const field_spec *fk = families[c->family].f;
  int s;
  if ((s = check_range(c, SP_CF_D_MODEL, 1, 1e9, file, err))
      || (s = check_range(c, SP_CF_HEADS, 1, 1e9, file, err))
      || (s = check_range(c, SP_CF_DEPTH, 1, (double)SP_MAX_DEPTH, file, err))
      || (s = check_range(c, SP_CF_D_FF, 1, 1e9, file, err))
      || (s = check_range(c, SP_CF_INIT_STD, 0, 1e3, file, err))
      || (s = check_range(c, SP_CF_POSITIONS, 1, (double)SP_MAX_TOKENS, file, err))
      || (s = check_range(c, SP_CF_VOCAB, 1, 1e12, file, err))
      || (s = check_range(c, SP_CF_EMBEDDING_SIZE, 1, 1e9, file, err))
      || (s = check_range(c, SP_CF_IMAGE_SIZE, 1, 1e6, file, err))
      || (s = check_range(c, SP_CF_PATCH_SIZE, 1, c->value[SP_CF_IMAGE_SIZE], file, err))
      || (s = check_range(c, SP_CF_CHANNELS, 1, 1e6, file, err))
      || (s = check_range(c, SP_CF_ROTARY_PCT, 0, 1, file, err)))
    return s;
  long d = (long)c->value[SP_CF_D_MODEL], h = (long)c->value[SP_CF_HEADS];
  if (d % h)
    return fail(err, file, fk[SP_CF_HEADS].key, "%ld does not divide %s = %ld", h,
                fk[SP_CF_D_MODEL].key, d);
  if (fk[SP_CF_KV_HEADS].key) {
    double kv = c->value[SP_CF_KV_HEADS];
    if (!isnan(kv) && (kv < 1 || (long)kv > h || h % (long)kv))
      return fail(err, file, fk[SP_CF_KV_HEADS].key, "%.0f does not divide %s = %ld", kv,
                  fk[SP_CF_HEADS].key, h);
  }
  return SP_OK;
}

/* The sequence length the attention sees: the position table's rows
 * (roberta: less the pad_token_id + 1 rows before the first position), the
 * sliding window when smaller, or the patches and the class token. */
static long family_tokens(const sp_config *c)
{
  const double *v = c->value;
  switch (c->family) {
  case SP_FAMILY_ROBERTA:
    return (long)v[SP_CF_POSITIONS] - (long)v[SP_CF_PAD] - 1;
  case SP_FAMILY_VIT: {
    long n = (long)v[SP_CF_IMAGE_SIZE] / (long)v[SP_CF_PATCH_SIZE];
    return n * n + 1;
  }
  case SP_FAMILY_MISTRAL:
  case SP_FAMILY_QWEN2: {
    long t = (long)v[SP_CF_POSITIONS], w = (long)v[SP_CF_SLIDING_WINDOW];
    int on = c->family == SP_FAMILY_MISTRAL || v[SP_CF_USE_SLIDING] != 0;
    return on && w > 0 && w < t ? w : t;
  }
  default:
    return (long)v[SP_CF_POSITIONS];
  }
}

/* ---- the derived model -------------------------------------------------------- */

typedef struct {
  char buf[2048];
  size_t n;
} text_buf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void put(text_buf *t, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(t->buf + t->n, sizeof t->buf - t->n, fmt, ap);
  va_end(ap);
  if (w > 0)
    t->n = t->n + (size_t)w < sizeof t->buf ? t->n + (size_t)w : sizeof t->buf - 1;
}

/* q0 of the stream entering block 1, per unit width (theory.md §1, §11):
 * after an embedding LayerNorm 1 (electra: then projected E -> d); else
 * the sum of the variances added: token (+ learned position) embedding, and
 * for vit the patch projection of unit-variance pixels (C p^2 s^2) on all
 * but the class token. */
static double family_q0(const sp_config *c, long tokens)
{
  double s2 = c->init_std * c->init_std;
  switch (c->family) {
  case SP_FAMILY_BERT:
  case SP_FAMILY_ROBERTA:
    return 1.0;
  case SP_FAMILY_ELECTRA:
    return c->embedding_size == (long)c->value[SP_CF_D_MODEL] ? 1.0 : (double)c->embedding_size * s2;
  case SP_FAMILY_GPT2:
    return 2.0 * s2;
  case SP_FAMILY_VIT: {
    double patch = (double)c->channels * (double)(c->patch_size * c->patch_size) * s2;
    return ((double)(tokens - 1) * (s2 + patch) + 2.0 * s2) / (double)tokens;
  }
  default:
    return s2;
  }
}

static int derive(sp_config *c, const char *file, sp_config_error *err)
{
  const family_spec *fs = &families[c->family];
  const double *v = c->value;
  sp_preset *p = &c->preset;
  long d = (long)v[SP_CF_D_MODEL], depth = (long)v[SP_CF_DEPTH];
  long dff = isnan(v[SP_CF_D_FF]) ? 4 * d : (long)v[SP_CF_D_FF];
  c->value[SP_CF_D_FF] = (double)dff;
  if (fs->f[SP_CF_KV_HEADS].key && isnan(v[SP_CF_KV_HEADS]))
    c->value[SP_CF_KV_HEADS] = v[SP_CF_HEADS];
  c->init_std = v[SP_CF_INIT_STD];
  c->position = fs->position;
  c->std_pos = fs->position == SP_POSITION_LEARNED ? c->init_std : NAN;
  c->positions = isnan(v[SP_CF_POSITIONS]) ? 0 : (long)v[SP_CF_POSITIONS];
  c->position_offset = c->family == SP_FAMILY_ROBERTA ? (long)v[SP_CF_PAD] + 1 : 0;
  c->vocab = isnan(v[SP_CF_VOCAB]) ? 0 : (long)v[SP_CF_VOCAB];
  c->type_vocab = isnan(v[SP_CF_TYPE_VOCAB]) ? 0 : (long)v[SP_CF_TYPE_VOCAB];
  c->embedding_size = isnan(v[SP_CF_EMBEDDING_SIZE]) ? d : (long)v[SP_CF_EMBEDDING_SIZE];
  c->embedding_norm = fs->emb_norm;
  c->norm_eps = v[SP_CF_NORM_EPS];
  c->kv_heads = isnan(c->value[SP_CF_KV_HEADS]) ? (long)v[SP_CF_HEADS] : (long)c->value[SP_CF_KV_HEADS];
  c->image_size = isnan(v[SP_CF_IMAGE_SIZE]) ? 0 : (long)v[SP_CF_IMAGE_SIZE];
  c->patch_size = isnan(v[SP_CF_PATCH_SIZE]) ? 0 : (long)v[SP_CF_PATCH_SIZE];
  c->channels = isnan(v[SP_CF_CHANNELS]) ? 0 : (long)v[SP_CF_CHANNELS];
  c->parallel_residual = !isnan(v[SP_CF_PARALLEL]) && v[SP_CF_PARALLEL] != 0;
  long T = family_tokens(c);
  if (T < 2 || T > SP_MAX_TOKENS) {
    const char *k = fs->f[c->family == SP_FAMILY_VIT ? SP_CF_IMAGE_SIZE : SP_CF_POSITIONS].key;
    return fail(err, file, k, "gives a sequence length of %ld tokens (sigprop needs 2 to %ld)", T,
                SP_MAX_TOKENS);
  }
  int causal = fs->causal || (!isnan(v[SP_CF_DECODER]) && v[SP_CF_DECODER] != 0);
  double s = c->init_std;
  /* GPT-2 draws both c_proj (W_O, W_2) with s / sqrt(2 L); sigprop keeps
   * the stds unscaled and puts 1/sqrt(2 L) on the branch gains, the same
   * network while every bias is 0 (as the gpt2-small preset). */
  double branch = c->family == SP_FAMILY_GPT2 ? 1.0 / sqrt(2.0 * (double)depth) : 1.0;
  text_buf t = {.n = 0};
  put(&t, "name = %s\ntitle = %s config (%s)\nsource = %.200s\n", fs->name, fs->name,
      fs->norm == SP_NORM_POST ? "post-LN" : "pre-LN", file);
  put(&t, "norm = %s\nactivation = %s\ncausal = %s\n", sp_norm_name(fs->norm),
      sp_activation_name((sp_activation)v[SP_CF_ACTIVATION]), causal ? "yes" : "no");
  put(&t, "d-model = %ld\nheads = %ld\nd-ff = %ld\ntokens = %ld\ndepth = %ld\n", d,
      (long)v[SP_CF_HEADS], dff, T, depth);
  put(&t, "output-projection = yes\nstd-q = %.17g\nstd-k = %.17g\nstd-v = %.17g\n"
      "std-o = %.17g\nstd-ff-in = %.17g\nstd-ff-out = %.17g\nstd-bias = 0\n", s, s, s, s, s, s);
  put(&t, "q0 = %.17g\ngain = %s\n", family_q0(c, T), fs->norm == SP_NORM_POST ? "alpha" : "branch");
  if (branch != 1.0)
    put(&t, "branch-sa = %.17g\nbranch-mlp = %.17g\n", branch, branch);
  sp_preset_error perr;
  int st = sp_preset_parse(t.buf, t.n, file, p, &perr);
  if (st)
    return fail(err, file, perr.key, "the derived model: %s", perr.why);
  p->std_emb = s;
  p->has_gate = fs->gate;
  p->std_gate = fs->gate ? s : NAN; /* with the gate, phi acts on W_gate x */
  return SP_OK;
}

static int parse_root(const json_t *root, const char *file, sp_config *out, sp_config_error *err)
{
  if (!json_is_object(root))
    return fail(err, file, NULL, "expected a JSON object, got %s", json_kind(root));
  json_t *mt = json_object_get(root, "model_type");
  if (!mt || !json_is_string(mt))
    return fail(err, file, "model_type", "%s (supported: %s)",
                mt ? "expected a string" : "missing", sp_family_list());
  if (sp_family_from_name(json_string_value(mt), &out->family))
    return fail(err, file, "model_type", "'%.40s' is not a supported family (supported: %s)",
                json_string_value(mt), sp_family_list());
  const family_spec *fs = &families[out->family];
  for (int f = 0; f < SP_NCF; f++) {
    out->value[f] = NAN;
    if (!fs->f[f].key)
      continue;
    int s = read_field(root, fs, (sp_config_field)f, out, file, err);
    if (s)
      return s;
    if (f == SP_CF_ACTIVATION && ((out->assumed >> f) & 1))
      out->value[f] = default_activation(fs);
  }
  int s = check_fields(out, file, err);
  return s ? s : derive(out, file, err);
}

int sp_config_parse(const char *buf, size_t len, const char *file, sp_config *out,
                    sp_config_error *err)
{
  if (!file)
    file = "<config>";
  if (err)
    memset(err, 0, sizeof *err);
  if (!buf || !out)
    return SP_EINVAL;
  memset(out, 0, sizeof *out);
  if (len > (size_t)SP_CONFIG_MAX_BYTES)
    return fail(err, file, NULL, "larger than %ld bytes", SP_CONFIG_MAX_BYTES);
  json_error_t je;
  json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
  if (!root) {
    if (json_error_code(&je) == json_error_out_of_memory)
      return SP_ENOMEM;
    if (err) {
      err->line = je.line > 0 ? je.line : 0;
      err->column = je.column > 0 ? je.column : 0;
      snprintf(err->text, sizeof err->text, "%s:%d:%d: %s", file, je.line, je.column, je.text);
    }
    return SP_EPARSE;
  }
  int s = parse_root(root, file, out, err);
  json_decref(root);
  return s;
}

int sp_config_read(const char *path, sp_config *out, sp_config_error *err)
{
  if (err)
    memset(err, 0, sizeof *err);
  if (!path || !out)
    return SP_EINVAL;
  char *buf;
  size_t n;
  int e, s = sp_infile_read(path, (size_t)SP_CONFIG_MAX_BYTES, &buf, &n, &e);
  if (s == SP_EIO)
    fail(err, path, NULL, "cannot read: %s", strerror(e));
  if (s)
    return s;
  s = sp_config_parse(buf, n, path, out, err);
  free(buf);
  return s;
}

int sp_config_assumed_text(const sp_config *c, char *buf, size_t size)
{
  if (size)
    buf[0] = '\0';
  if (!c || (unsigned)c->family >= SP_NFAMILY)
    return 0;
  const family_spec *fs = &families[c->family];
  size_t used = 0;
  int total = 0;
  for (int f = 0; f < SP_NCF; f++) {
    if (!((c->assumed >> f) & 1) || !fs->f[f].key)
      continue;
    char val[64];
    if (field_kinds[f] == F_ACT)
      snprintf(val, sizeof val, "%s", fs->act_def);
    else if (field_kinds[f] == F_BOOL)
      snprintf(val, sizeof val, "%s", c->value[f] != 0 ? "true" : "false");
    else
      snprintf(val, sizeof val, "%.15g", c->value[f]);
    int w = snprintf(size > used ? buf + used : NULL, size > used ? size - used : 0, "%s%s = %s",
                     total ? ", " : "", fs->f[f].key, val);
    if (w < 0)
      return total;
    total += w;
    used += (size_t)w;
  }
  return total;
}
