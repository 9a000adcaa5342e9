/* Checkpoint inspection: the family's parameter names, per-block weight
 * stds streamed from the memory-mapped tensors, and q0, rho0 of one input
 * through the embeddings (theory.md §2, §11).
 * Parameter names are those of the transformers library's modeling_<family>.py.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/inspect.h"
#include "sigprop/status.h"
#include "safetensors_private.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the families' names ----------------------------------------------- */

typedef enum { FUSE_NONE, FUSE_COLS, FUSE_HEADS } fusion;

typedef struct {
  const char *anchor;      /* token embedding (vit: patch projection) */
  const char *pos, *type;  /* learned position / token type tables */
  const char *cls;         /* vit's class token */
  const char *ln_w, *ln_b; /* embedding LayerNorm */
  const char *proj_w, *proj_b; /* electra's embeddings_project */
  const char *layer;       /* block prefix, "%ld" for the index */
  const char *mat[SP_NMAT];
  fusion fused;            /* Q, K, V in mat[SP_MAT_Q] */
  int conv1d;              /* weights stored [in, out] (GPT-2's Conv1D) */
} family_names;

#define BERT_NAMES(proj_w, proj_b)                                                        \
  {"embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",          \
   "embeddings.token_type_embeddings.weight", NULL, "embeddings.LayerNorm.weight",        \
   "embeddings.LayerNorm.bias", proj_w, proj_b, "encoder.layer.%ld.",                     \
   {"attention.self.query.weight", "attention.self.key.weight",                           \
    "attention.self.value.weight", "attention.output.dense.weight",                       \
    "intermediate.dense.weight", NULL, "output.dense.weight"}, FUSE_NONE, 0}

#define LLAMA_NAMES                                                                       \
  {"embed_tokens.weight", NULL, NULL, NULL, NULL, NULL, NULL, NULL, "layers.%ld.",         \
   {"self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",      \
    "self_attn.o_proj.weight", "mlp.up_proj.weight", "mlp.gate_proj.weight",              \
    "mlp.down_proj.weight"}, FUSE_NONE, 0}

static const family_names names[SP_NFAMILY] = {
  [SP_FAMILY_BERT] = BERT_NAMES(NULL, NULL),
  [SP_FAMILY_ROBERTA] = BERT_NAMES(NULL, NULL),
  [SP_FAMILY_ELECTRA] = BERT_NAMES("embeddings_project.weight", "embeddings_project.bias"),
  [SP_FAMILY_GPT2] = {"wte.weight", "wpe.weight", NULL, NULL, NULL, NULL, NULL, NULL, "h.%ld.",
    {"attn.c_attn.weight", NULL, NULL, "attn.c_proj.weight", "mlp.c_fc.weight", NULL,
     "mlp.c_proj.weight"}, FUSE_COLS, 1},
  [SP_FAMILY_LLAMA] = LLAMA_NAMES,
  [SP_FAMILY_MISTRAL] = LLAMA_NAMES,
  [SP_FAMILY_QWEN2] = LLAMA_NAMES,
  [SP_FAMILY_VIT] = {"embeddings.patch_embeddings.projection.weight",
    "embeddings.position_embeddings", NULL, "embeddings.cls_token", NULL, NULL,
    "embeddings.patch_embeddings.projection.weight", "embeddings.patch_embeddings.projection.bias",
    "encoder.layer.%ld.", {"attention.attention.query.weight", "attention.attention.key.weight",
    "attention.attention.value.weight", "attention.output.dense.weight",
    "intermediate.dense.weight", NULL, "output.dense.weight"}, FUSE_NONE, 0},
  [SP_FAMILY_GPT_NEOX] = {"embed_in.weight", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    "layers.%ld.", {"attention.query_key_value.weight", NULL, NULL, "attention.dense.weight",
    "mlp.dense_h_to_4h.weight", NULL, "mlp.dense_4h_to_h.weight"}, FUSE_HEADS, 0},
};

const char *sp_matrix_name(sp_matrix m)
{
  static const char *const n[SP_NMAT] = {"q", "k", "v", "o", "ff_in", "gate", "ff_out"};
  return (unsigned)m < SP_NMAT ? n[m] : "?";
}

void sp_inspect_options_default(sp_inspect_options *o)
{
  o->seed = 1;
  o->tokens = 0;
}

/* ---- context and errors ------------------------------------------------- */

#define CHUNK 262144

typedef struct {
  const sp_safetensors *st;
  const family_names *nm;
  sp_family family;
  char prefix[64];
  const char *file;
  sp_st_error *err;
  double *buf;   /* CHUNK doubles */
  long d, heads;
} ictx;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(const ictx *c, const char *tensor, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int s = sp_st_error_vset(c->err, c->file, tensor, 120, c->err ? c->err->offset : 0, 512, fmt, ap);
  va_end(ap);
  return s;
}

/* The tensor prefix + suffix (suffix may hold one %ld for the block);
 * NULL with `*s` set when `required` and missing. */
static const sp_st_tensor *get(const ictx *c, const char *suffix, long layer, int required,
                               int *s)
{
  char name[256], sfx[192];
  snprintf(sfx, sizeof sfx, suffix, layer);
  snprintf(name, sizeof name, "%s%s", c->prefix, sfx);
  const sp_st_tensor *t = sp_safetensors_find(c->st, name);
  if (!t && required)
    *s = fail(c, name, "missing (a %s checkpoint has it)", sp_family_name(c->family));
  else if (t && t->dtype == SP_DTYPE_OTHER && required)
    *s = fail(c, name, "dtype %s is not a float type (F64, F32, F16, BF16)", t->dtype_name);
  return t && t->dtype != SP_DTYPE_OTHER ? t : NULL;
}

/* Block matrix suffix: layer prefix + matrix name. */
static const sp_st_tensor *get_mat(const ictx *c, long layer, sp_matrix m, int *s)
{
  char sfx[192];
  snprintf(sfx, sizeof sfx, "%s%s", c->nm->layer, c->nm->mat[m]);
  return get(c, sfx, layer, 1, s);
}

/* ---- finding the family ---------------------------------------------------- */

static int ends_with(const char *s, const char *suffix, size_t *pre)
{
  size_t n = strlen(s), k = strlen(suffix);
  if (n < k || strcmp(s + n - k, suffix) != 0)
    return 0;
  *pre = n - k;
  return 1;
}

/* The prefix before family f's anchor, if the checkpoint has one. */
static int find_prefix(ictx *c, sp_family f)
{
  size_t n = sp_safetensors_count(c->st), pre;
  for (size_t i = 0; i < n; i++) {
    const char *name = sp_safetensors_tensor(c->st, i)->name;
    if (ends_with(name, names[f].anchor, &pre) && pre < sizeof c->prefix
        && (pre == 0 || name[pre - 1] == '.')) {
      snprintf(c->prefix, sizeof c->prefix, "%.*s", (int)pre, name);
      return 1;
    }
  }
  return 0;
}

static int detect(ictx *c, const sp_config *cfg)
{
  if (cfg) {
    c->family = cfg->family;
    if (!find_prefix(c, c->family))
      return fail(c, NULL, "no tensor named [PREFIX.]%s: not a %s checkpoint",
                  names[c->family].anchor, sp_family_name(c->family));
    return SP_OK;
  }
  static const sp_family order[] = {SP_FAMILY_BERT, SP_FAMILY_GPT2, SP_FAMILY_LLAMA,
                                    SP_FAMILY_VIT, SP_FAMILY_GPT_NEOX};
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
    if (!find_prefix(c, order[i]))
      continue;
    c->family = order[i];
    int s = 0;
    if (c->family == SP_FAMILY_BERT) {
      if (strncmp(c->prefix, "roberta.", 8) == 0)
        c->family = SP_FAMILY_ROBERTA;
      else if (strncmp(c->prefix, "electra.", 8) == 0 || get(c, "embeddings_project.weight", 0, 0, &s))
        c->family = SP_FAMILY_ELECTRA;
    } else if (c->family == SP_FAMILY_LLAMA && get(c, "layers.0.self_attn.q_proj.bias", 0, 0, &s)) {
      c->family = SP_FAMILY_QWEN2;
    } else if (c->family == SP_FAMILY_GPT_NEOX) {
      return fail(c, NULL, "a gpt_neox checkpoint needs its config.json (the fused "
                  "query_key_value is split by the number of heads)");
    }
    return SP_OK;
  }
  return fail(c, NULL, "no tensor of a known family (supported: %s)", sp_family_list());
}

/* ---- moments ------------------------------------------------------------ */

typedef struct {
  double sum[3], sumsq[3];
  double n[3];
} moments;

/* Sums over the entries of t, split into parts: FUSE_COLS part = column /
 * width in rows of `row` entries; FUSE_HEADS part = (row index % (3 width))
 * / width for rows of `row` entries; FUSE_NONE one part. */
static int accumulate(const ictx *c, const sp_st_tensor *t, fusion how, uint64_t row,
                      uint64_t width, moments *m)
{
  memset(m, 0, sizeof *m);
  for (uint64_t i0 = 0; i0 < t->count; i0 += CHUNK) {
    size_t n = t->count - i0 < CHUNK ? (size_t)(t->count - i0) : CHUNK;
    int s = sp_safetensors_read(c->st, t, i0, n, c->buf);
    if (s)
      return s;
    double s0[3] = {0, 0, 0}, q0[3] = {0, 0, 0}, n0[3] = {0, 0, 0};
    if (how == FUSE_NONE) {
      /* Four chains of additions, so that their latencies overlap. */
      double a[4] = {0, 0, 0, 0}, b[4] = {0, 0, 0, 0};
      size_t k = 0;
      for (; k + 4 <= n; k += 4)
        for (int j = 0; j < 4; j++) {
          a[j] += c->buf[k + j];
          b[j] += c->buf[k + j] * c->buf[k + j];
        }
      for (; k < n; k++) {
        a[0] += c->buf[k];
        b[0] += c->buf[k] * c->buf[k];
      }
      s0[0] = (a[0] + a[1]) + (a[2] + a[3]);
      q0[0] = (b[0] + b[1]) + (b[2] + b[3]);
      n0[0] = (double)n;
    } else {
      for (size_t k = 0; k < n; k++) {
        uint64_t i = i0 + k;
        int p = how == FUSE_COLS ? (int)((i % row) / width) : (int)(((i / row) % (3 * width)) / width);
        s0[p] += c->buf[k];
        q0[p] += c->buf[k] * c->buf[k];
        n0[p] += 1;
      }
    }
    for (int p = 0; p < 3; p++) {
      m->sum[p] += s0[p];
      m->sumsq[p] += q0[p];
      m->n[p] += n0[p];
    }
  }
  return SP_OK;
}

/* Sums that a NaN or infinite entry made non-finite. */
static int check_finite(const ictx *c, const sp_st_tensor *t, const moments *m)
{
  for (int p = 0; p < 3; p++)
    if (!isfinite(m->sum[p]) || !isfinite(m->sumsq[p]))
      return fail(c, t->name, "holds NaN or infinite entries (or entries whose squares "
                  "overflow a double)");
  return SP_OK;
}

static void std_of(const moments *m, int p, double *mean, double *sd)
{
  *mean = m->n[p] > 0 ? m->sum[p] / m->n[p] : NAN;
  double v = m->n[p] > 0 ? m->sumsq[p] / m->n[p] - *mean * *mean : NAN;
  *sd = sqrt(v > 0 ? v : 0);
}

/* ---- sizes -------------------------------------------------------------- */

/* d from block 0's Q (GPT-2: c_attn is [d, 3d]) and d_ff from its W_1. */
static int sizes(ictx *c, const sp_config *cfg, long *dff)
{
  int s = 0;
  const sp_st_tensor *q = get_mat(c, 0, SP_MAT_Q, &s), *w1 = q ? get_mat(c, 0, SP_MAT_FF_IN, &s) : NULL;
  if (!w1)
    return s;
  if (q->ndim != 2 || w1->ndim != 2)
    return fail(c, q->ndim != 2 ? q->name : w1->name, "expected a matrix, got %d dimensions",
                q->ndim != 2 ? q->ndim : w1->ndim);
  c->d = (long)(c->nm->conv1d ? q->shape[0] : q->shape[1]);
  *dff = (long)(c->nm->conv1d ? w1->shape[1] : w1->shape[0]);
  if (cfg && (c->d != cfg->preset.d_model || *dff != cfg->preset.d_ff))
    return fail(c, c->d != cfg->preset.d_model ? q->name : w1->name, "shape [%" PRIu64 ", %"
                PRIu64 "] differs from the config's width %ld and MLP width %ld",
                c->d != cfg->preset.d_model ? q->shape[0] : w1->shape[0],
                c->d != cfg->preset.d_model ? q->shape[1] : w1->shape[1], cfg->preset.d_model,
                cfg->preset.d_ff);
  uint64_t fused = c->nm->fused != FUSE_NONE ? 3 : 1;
  if (q->count != fused * (uint64_t)c->d * (uint64_t)c->d && c->nm->fused != FUSE_NONE)
    return fail(c, q->name, "%" PRIu64 " entries, a fused Q, K, V of width %ld has %" PRIu64,
                q->count, c->d, 3 * (uint64_t)c->d * (uint64_t)c->d);
  if (c->nm->fused == FUSE_HEADS && (!c->heads || c->d % c->heads))
    return fail(c, q->name, "cannot split by %ld heads", c->heads);
  return SP_OK;
}

static long count_layers(const ictx *c, const sp_config *cfg, int *s)
{
  if (cfg) {
    for (long l = 0; l < cfg->preset.model.depth; l++)
      for (int m = 0; m < SP_NMAT; m++)
        if (c->nm->mat[m] && !get_mat(c, l, (sp_matrix)m, s))
          return 0;
    return cfg->preset.model.depth;
  }
  long l = 0;
  char sfx[192];
  snprintf(sfx, sizeof sfx, "%s%s", c->nm->layer, c->nm->mat[SP_MAT_Q]);
  while (l < SP_MAX_DEPTH && get(c, sfx, l, 0, s))
    l++;
  return l;
}

/* ---- one block ------------------------------------------------------------ */

static int measure_layer(const ictx *c, long l, long dff, long T, sp_inspect_layer *L)
{
  int s = 0;
  for (int m = 0; m < SP_NMAT; m++)
    L->std[m] = L->mean[m] = NAN;
  for (int m = 0; m < SP_NMAT; m++) {
    if (!c->nm->mat[m])
      continue;
    const sp_st_tensor *t = get_mat(c, l, (sp_matrix)m, &s);
    if (!t)
      return s;
    moments mo;
    int fusedq = m == SP_MAT_Q && c->nm->fused != FUSE_NONE;
    uint64_t row = t->ndim == 2 ? t->shape[1] : t->count;
    uint64_t width = c->nm->fused == FUSE_HEADS ? (uint64_t)(c->d / c->heads) : (uint64_t)c->d;
    if ((s = accumulate(c, t, fusedq ? c->nm->fused : FUSE_NONE, row, width, &mo)))
      return s == SP_EUNSUP ? fail(c, t->name, "dtype %s does not convert", t->dtype_name) : s;
    if ((s = check_finite(c, t, &mo)))
      return s;
    for (int p = 0; p < (fusedq ? 3 : 1); p++)
      std_of(&mo, p, &L->mean[m + p], &L->std[m + p]);
  }
  double d = (double)c->d, *sd = L->std;
  double s1 = c->nm->mat[SP_MAT_GATE] ? sd[SP_MAT_GATE] : sd[SP_MAT_FF_IN];
  L->beta = d * sd[SP_MAT_Q] * sd[SP_MAT_K] / sqrt(log((double)T));
  L->var_v = d * sd[SP_MAT_V] * sd[SP_MAT_V] * d * sd[SP_MAT_O] * sd[SP_MAT_O];
  L->var_w_in = d * s1 * s1;
  L->var_w_out = (double)dff * sd[SP_MAT_FF_OUT] * sd[SP_MAT_FF_OUT];
  L->gain_sa = sd[SP_MAT_O] / sd[SP_MAT_V];
  L->gain_mlp = sd[SP_MAT_FF_OUT] / s1;
  return SP_OK;
}

/* ---- the input ------------------------------------------------------------- */

static uint64_t splitmix(uint64_t *x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static double gauss(uint64_t *x)
{
  double u = ((double)(splitmix(x) >> 11) + 0.5) * 0x1p-53;
  double v = ((double)(splitmix(x) >> 11) + 0.5) * 0x1p-53;
  return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

typedef struct {
  const sp_st_tensor *emb, *pos, *type, *cls, *ln_w, *ln_b, *proj_w, *proj_b;
  double *w;      /* projection matrix, rows x k (electra, vit) */
  long rows, k;   /* its shape */
  long e;         /* width of the embedding tables */
  double eps;
} input_tensors;

/* x += row r of table t (width n). */
static int add_row(const ictx *c, const sp_st_tensor *t, uint64_t r, long n, double *x, double *tmp)
{
  int s = sp_safetensors_read(c->st, t, r * (uint64_t)n, (size_t)n, tmp);
  for (long j = 0; j < n && !s; j++)
    x[j] += tmp[j];
  return s;
}

static int layer_norm(const ictx *c, const input_tensors *in, double *x, double *tmp)
{
  double mu = 0, var = 0;
  long n = in->e;
  for (long j = 0; j < n; j++)
    mu += x[j];
  mu /= (double)n;
  for (long j = 0; j < n; j++)
    var += (x[j] - mu) * (x[j] - mu);
  double r = 1 / sqrt(var / (double)n + in->eps);
  for (long j = 0; j < n; j++)
    x[j] = (x[j] - mu) * r;
  int s = SP_OK;
  if (in->ln_w && !(s = sp_safetensors_read(c->st, in->ln_w, 0, (size_t)n, tmp)))
    for (long j = 0; j < n; j++)
      x[j] *= tmp[j];
  if (in->ln_b && !s && !(s = sp_safetensors_read(c->st, in->ln_b, 0, (size_t)n, tmp)))
    for (long j = 0; j < n; j++)
      x[j] += tmp[j];
  return s;
}

/* y = W x + b, W rows x k. */
static int project(const ictx *c, const input_tensors *in, const double *x, double *y, double *tmp)
{
  for (long i = 0; i < in->rows; i++) {
    double a = 0;
    for (long j = 0; j < in->k; j++)
      a += in->w[i * in->k + j] * x[j];
    y[i] = a;
  }
  return in->proj_b ? add_row(c, in->proj_b, 0, in->rows, y, tmp) : SP_OK;
}

/* Token t of the input, width d, into x (a, tmp: work of the tables' widths). */
static int token_vector(const ictx *c, const input_tensors *in, long t, long offset, uint64_t *rng,
                        double *x, double *a, double *tmp)
{
  int s = SP_OK;
  if (c->family == SP_FAMILY_VIT) {
    if (t == 0) {
      memset(x, 0, (size_t)c->d * sizeof *x);
      s = add_row(c, in->cls, 0, c->d, x, tmp);
    } else {
      for (long j = 0; j < in->k; j++)
        a[j] = gauss(rng);
      s = project(c, in, a, x, tmp);
    }
    return s ? s : add_row(c, in->pos, (uint64_t)t, c->d, x, tmp);
  }
  memset(a, 0, (size_t)in->e * sizeof *a);
  uint64_t id = splitmix(rng) % in->emb->shape[0];
  s = add_row(c, in->emb, id, in->e, a, tmp);
  if (!s && in->pos)
    s = add_row(c, in->pos, (uint64_t)(offset + t), in->e, a, tmp);
  if (!s && in->type)
    s = add_row(c, in->type, 0, in->e, a, tmp);
  if (!s && c->nm->ln_w)
    s = layer_norm(c, in, a, tmp);
  if (s)
    return s;
  if (in->w)
    return project(c, in, a, x, tmp);
  memcpy(x, a, (size_t)c->d * sizeof *x);
  return SP_OK;
}

/* q0 = mean |x_t|^2 / d; rho0 = mean over t != s of the cosine of x_t and
 * x_s = (|sum_t u_t|^2 - T) / (T (T - 1)) with u_t = x_t / |x_t|. */
static int measure_input(const ictx *c, const input_tensors *in, long T, long offset,
                         uint64_t seed, double *q0, double *rho0)
{
  long w = c->d > in->e ? c->d : in->e;
  if (in->k > w)
    w = in->k;
  double *x = calloc((size_t)w, sizeof *x), *a = calloc((size_t)w, sizeof *a);
  double *tmp = calloc((size_t)w, sizeof *tmp), *u = calloc((size_t)c->d, sizeof *u);
  int s = x && a && tmp && u ? SP_OK : SP_ENOMEM;
  double q = 0;
  uint64_t rng = seed;
  for (long t = 0; t < T && !s; t++) {
    if ((s = token_vector(c, in, t, offset, &rng, x, a, tmp)))
      break;
    double n2 = 0;
    for (long j = 0; j < c->d; j++)
      n2 += x[j] * x[j];
    q += n2 / (double)c->d;
    for (long j = 0; j < c->d && n2 > 0; j++)
      u[j] += x[j] / sqrt(n2);
  }
  double uu = 0;
  for (long j = 0; j < c->d && !s; j++)
    uu += u[j] * u[j];
  *q0 = q / (double)T;
  *rho0 = (uu - (double)T) / ((double)T * (double)(T - 1));
  free(x);
  free(a);
  free(tmp);
  free(u);
  return s;
}

static int load_input(const ictx *c, const sp_config *cfg, input_tensors *in)
{
  int s = 0;
  const family_names *nm = c->nm;
  memset(in, 0, sizeof *in);
  in->eps = cfg ? cfg->norm_eps : 1e-12;
  if (!(in->emb = get(c, nm->anchor, 0, 1, &s)))
    return s;
  if ((nm->pos && !(in->pos = get(c, nm->pos, 0, 1, &s)))
      || (nm->cls && !(in->cls = get(c, nm->cls, 0, 1, &s))))
    return s;
  if (nm->type)
    in->type = get(c, nm->type, 0, 0, &s);
  if (nm->ln_w) {
    in->ln_w = get(c, nm->ln_w, 0, 0, &s);
    in->ln_b = get(c, nm->ln_b, 0, 0, &s);
  }
  in->e = c->family == SP_FAMILY_VIT ? c->d : (long)(in->emb->ndim == 2 ? in->emb->shape[1] : 0);
  const sp_st_tensor *bad = in->emb->ndim != 2 && c->family != SP_FAMILY_VIT ? in->emb : NULL;
  if (in->pos && in->pos->count % (uint64_t)in->e)
    bad = in->pos;
  if ((in->type && in->type->count < (uint64_t)in->e) || (in->ln_w && in->ln_w->count != (uint64_t)in->e))
    bad = in->type && in->type->count < (uint64_t)in->e ? in->type : in->ln_w;
  if (bad)
    return fail(c, bad->name, "shape does not fit an embedding width of %ld", in->e);
  if (nm->proj_w && (in->proj_w = get(c, nm->proj_w, 0, c->family == SP_FAMILY_VIT, &s))) {
    in->proj_b = get(c, nm->proj_b, 0, 0, &s);
    in->rows = (long)in->proj_w->shape[0];
    in->k = in->proj_w->ndim >= 2 ? (long)(in->proj_w->count / in->proj_w->shape[0]) : 0;
    if (in->rows != c->d || (c->family != SP_FAMILY_VIT && in->k != in->e)
        || (in->proj_b && in->proj_b->count != (uint64_t)c->d))
      return fail(c, in->proj_w->name, "shape does not project width %ld to %ld",
                  c->family == SP_FAMILY_VIT ? in->k : in->e, c->d);
    if (!(in->w = malloc(in->proj_w->count * sizeof *in->w)))
      return SP_ENOMEM;
    if ((s = sp_safetensors_read(c->st, in->proj_w, 0, (size_t)in->proj_w->count, in->w)))
      return s;
  }
  if (s)
    return s;
  if (c->family != SP_FAMILY_ELECTRA && c->family != SP_FAMILY_VIT && in->e != c->d)
    return fail(c, in->emb->name, "width %ld differs from the blocks' %ld", in->e, c->d);
  return SP_OK;
}

/* ---- the model ------------------------------------------------------------ */

static double rms(const sp_inspect_layer *L, long n, int m)
{
  double a = 0;
  for (long l = 0; l < n; l++)
    a += L[l].std[m] * L[l].std[m];
  return sqrt(a / (double)n);
}

static int assemble(const ictx *c, const sp_config *cfg, sp_inspection *out)
{
  sp_config base;
  char json[64];
  if (cfg)
    base = *cfg;
  else {
    snprintf(json, sizeof json, "{\"model_type\": \"%s\"}", sp_family_name(c->family));
    if (sp_config_parse(json, strlen(json), NULL, &base, NULL))
      return SP_EINVAL;
  }
  sp_preset *p = &out->preset;
  *p = base.preset;
  p->d_model = c->d;
  p->d_ff = out->d_ff;
  p->heads = cfg ? cfg->preset.heads : c->d % base.preset.heads ? 1 : base.preset.heads;
  double s[SP_NMAT];
  for (int m = 0; m < SP_NMAT; m++)
    s[m] = rms(out->layers, out->depth, m);
  p->std_q = s[SP_MAT_Q];
  p->std_k = s[SP_MAT_K];
  p->std_v = s[SP_MAT_V];
  p->std_o = s[SP_MAT_O];
  p->std_ff_in = s[SP_MAT_FF_IN];
  p->std_ff_out = s[SP_MAT_FF_OUT];
  p->std_gate = s[SP_MAT_GATE];
  p->has_gate = c->nm->mat[SP_MAT_GATE] != NULL;
  p->std_emb = out->std_emb;
  p->derived = 0;
  snprintf(p->source, sizeof p->source, "%.250s", c->file);
  sp_model *m = &p->model;
  double d = (double)c->d, s1 = p->has_gate ? s[SP_MAT_GATE] : s[SP_MAT_FF_IN];
  m->tokens = out->tokens;
  m->depth = out->depth;
  m->beta = d * s[SP_MAT_Q] * s[SP_MAT_K] / sqrt(log((double)out->tokens));
  m->var_v = d * s[SP_MAT_V] * s[SP_MAT_V] * d * s[SP_MAT_O] * s[SP_MAT_O];
  m->var_w_in = d * s1 * s1;
  m->var_w_out = (double)out->d_ff * s[SP_MAT_FF_OUT] * s[SP_MAT_FF_OUT];
  m->branch_sa = m->branch_mlp = 1;
  m->q0 = out->q0;
  m->rho0 = out->rho0;
  m->stats = SP_STATS_FINITE;
  p->has_q0 = 1;
  const char *bad = NULL;
  int st = sp_model_validate(m, &bad);
  if (st)
    fail(c, NULL, "the measured model is outside sigprop's domain: %s = %g", bad ? bad : "?",
         bad && strcmp(bad, "q0") == 0 ? m->q0 : bad && strcmp(bad, "rho0") == 0 ? m->rho0 : NAN);
  return st ? SP_EDOM : SP_OK;
}

/* Everything after the family is known. */
static int run(ictx *c, const sp_config *cfg, const sp_inspect_options *o, sp_inspection *out)
{
  int s = sizes(c, cfg, &out->d_ff);
  if (s || !(out->depth = count_layers(c, cfg, &s)))
    return s ? s : fail(c, NULL, "no blocks (no tensor [PREFIX.]%s)", c->nm->layer);
  out->d_model = c->d;
  input_tensors in;
  if ((s = load_input(c, cfg, &in))) {
    free(in.w);
    return s;
  }
  long offset = cfg ? cfg->position_offset : c->family == SP_FAMILY_ROBERTA ? 2 : 0;
  long rows = in.pos ? (long)(in.pos->count / (uint64_t)in.e) : 0;
  out->tokens = o->tokens ? o->tokens : cfg ? cfg->preset.model.tokens : rows ? rows - offset : 2048;
  out->tokens_assumed = !o->tokens && !cfg && !rows;
  out->vocab = c->family == SP_FAMILY_VIT ? 0 : (long)in.emb->shape[0];
  out->has_gate = c->nm->mat[SP_MAT_GATE] != NULL;
  if (out->tokens < 2 || out->tokens > SP_MAX_TOKENS || (rows && offset + out->tokens > rows)) {
    free(in.w);
    fail(c, in.pos ? in.pos->name : NULL, "T = %ld tokens does not fit (2 to %ld%s)", out->tokens,
         rows ? rows - offset : SP_MAX_TOKENS, rows ? ", the position table's rows" : "");
    return SP_EINVAL;
  }
  moments mo;
  double mean;
  out->std_pos = NAN;
  const sp_st_tensor *et = in.proj_w && c->family == SP_FAMILY_VIT ? in.proj_w : in.emb;
  if (!(s = accumulate(c, et, FUSE_NONE, 1, 1, &mo)) && !(s = check_finite(c, et, &mo)))
    std_of(&mo, 0, &mean, &out->std_emb);
  if (!s && in.pos && !(s = accumulate(c, in.pos, FUSE_NONE, 1, 1, &mo))
      && !(s = check_finite(c, in.pos, &mo)))
    std_of(&mo, 0, &mean, &out->std_pos);
  if (!s && !(out->layers = calloc((size_t)out->depth, sizeof *out->layers)))
    s = SP_ENOMEM;
  for (long l = 0; l < out->depth && !s; l++)
    s = measure_layer(c, l, out->d_ff, out->tokens, &out->layers[l]);
  if (!s)
    s = measure_input(c, &in, out->tokens, offset, o->seed, &out->q0, &out->rho0);
  if (!s && !(isfinite(out->q0) && isfinite(out->rho0)))
    s = fail(c, NULL, "the measured input is not finite (q0 %g, rho0 %g): NaN or infinite "
             "entries in the embedding tables, LayerNorm or projection", out->q0, out->rho0);
  free(in.w);
  return s ? s : assemble(c, cfg, out);
}

int sp_inspect_checkpoint(const sp_safetensors *st, const sp_config *cfg,
                          const sp_inspect_options *opt, sp_inspection *out, sp_st_error *err)
{
  if (err)
    memset(err, 0, sizeof *err);
  if (!st || !out)
    return SP_EINVAL;
  memset(out, 0, sizeof *out);
  sp_inspect_options o;
  sp_inspect_options_default(&o);
  if (opt)
    o = *opt;
  ictx c = {.st = st, .err = err, .heads = cfg ? cfg->preset.heads : 0};
  const sp_st_tensor *t0 = sp_safetensors_tensor(st, 0);
  c.file = t0 ? sp_safetensors_file(st, t0) : "<checkpoint>";
  int s = t0 ? detect(&c, cfg) : fail(&c, NULL, "no tensors");
  if (s)
    return s;
  c.nm = &names[c.family];
  out->family = c.family;
  snprintf(out->prefix, sizeof out->prefix, "%s", c.prefix);
  if (!(c.buf = malloc(CHUNK * sizeof *c.buf)))
    return SP_ENOMEM;
  s = run(&c, cfg, &o, out);
  free(c.buf);
  if (s)
    sp_inspect_free(out);
  return s;
}

void sp_inspect_free(sp_inspection *in)
{
  if (!in)
    return;
  free(in->layers);
  in->layers = NULL;
}
