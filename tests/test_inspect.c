/* Checkpoint inspection: tiny BERT-, LLaMA-, GPT-2- and GPT-NeoX-like
 * checkpoints written here with known stds (Gaussian draws, seeded).
 * Recovered stds are checked within 4 sampling standard errors: a std
 * estimated from n Gaussian entries has relative standard error
 * 1/sqrt(2n) (plus the dtype's rounding, far smaller).  q0 and rho0 are
 * checked against a brute-force recomputation here (every pair of tokens)
 * on the same ids, drawn as sigprop-inspect documents (splitmix64).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "tap.h"
#include "test_util.h"

#include "sigprop/inspect.h"
#include "sigprop/status.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- values and encodings ------------------------------------------------- */

static uint64_t splitmix(uint64_t *x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static uint64_t draw_state = 20261207;

static double normal(void)
{
  double u = ((double)(splitmix(&draw_state) >> 11) + 0.5) * 0x1p-53;
  double v = ((double)(splitmix(&draw_state) >> 11) + 0.5) * 0x1p-53;
  return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* Round x to a binary float of `mant` fraction bits and exponent `bias`
 * (half: 10, 15; bfloat16: 7, 127), subnormals included; the bits into
 * *bits, the value returned.  Pure double arithmetic. */
static double round_small(double x, int mant, int bias, uint16_t *bits)
{
  unsigned sign = x < 0;
  double a = fabs(x);
  int e;
  frexp(a, &e); /* a = f 2^e, f in [0.5, 1) */
  int ex = e - 1 + bias;
  double m;
  if (ex < 1) { /* subnormal */
    m = nearbyint(ldexp(a, bias - 1 + mant));
    ex = 0;
    if (m >= ldexp(1, mant)) {
      ex = 1;
      m -= ldexp(1, mant);
    }
  } else {
    m = nearbyint((ldexp(a, -(e - 1)) - 1) * ldexp(1, mant));
    if (m >= ldexp(1, mant)) {
      m = 0;
      ex++;
    }
  }
  *bits = (uint16_t)(sign << 15 | (unsigned)ex << mant | (unsigned)m);
  double v = ex ? ldexp(1 + m / ldexp(1, mant), ex - bias) : ldexp(m, 1 - bias - mant);
  return sign ? -v : v;
}

/* ---- a tiny checkpoint writer ----------------------------------------------- */

typedef struct {
  char name[96];
  const char *dtype;
  int ndim;
  uint64_t shape[4];
  uint64_t n;
  double *v;            /* the stored values, exactly */
  unsigned char *bytes;
} tensor;

typedef struct {
  tensor t[64];
  int n;
} ckpt;

static size_t esize(const char *dt)
{
  return strcmp(dt, "F64") == 0 ? 8 : strcmp(dt, "I32") == 0 ? 4 : 2;
}

/* A tensor of N(0, sd^2) entries (sd < 0: the constant -sd - 1, so -2
 * gives 1 and -1 gives 0), stored in dtype (F64, F16, BF16, I32). */
static tensor *add(ckpt *c, const char *name, const char *dtype, double sd, int ndim, uint64_t a,
                   uint64_t b, uint64_t cc, uint64_t d)
{
  tensor *t = &c->t[c->n++];
  snprintf(t->name, sizeof t->name, "%s", name);
  t->dtype = dtype;
  t->ndim = ndim;
  uint64_t sh[4] = {a, b, cc, d};
  t->n = 1;
  for (int i = 0; i < ndim; i++)
    t->n *= (t->shape[i] = sh[i]);
  t->v = malloc(t->n * sizeof *t->v);
  t->bytes = malloc(t->n * esize(dtype));
  for (uint64_t i = 0; i < t->n; i++) {
    double x = sd < 0 ? -sd - 1 : sd * normal();
    uint16_t h;
    if (strcmp(dtype, "F64") == 0) {
      memcpy(t->bytes + 8 * i, &x, 8);
    } else if (strcmp(dtype, "I32") == 0) {
      int32_t k = (int32_t)i;
      memcpy(t->bytes + 4 * i, &k, 4);
    } else {
      x = strcmp(dtype, "F16") == 0 ? round_small(x, 10, 15, &h) : round_small(x, 7, 127, &h);
      t->bytes[2 * i] = (unsigned char)h;
      t->bytes[2 * i + 1] = (unsigned char)(h >> 8);
    }
    t->v[i] = x;
  }
  return t;
}

static const tensor *find(const ckpt *c, const char *name)
{
  for (int i = 0; i < c->n; i++)
    if (strcmp(c->t[i].name, name) == 0)
      return &c->t[i];
  return NULL;
}

static int write_ckpt(const ckpt *c, const char *path)
{
  size_t cap = 16384, h = 0;
  char *hdr = malloc(cap);
  uint64_t off = 0;
  h += (size_t)snprintf(hdr, cap, "{\"__metadata__\": {\"format\": \"pt\"}");
  for (int i = 0; i < c->n; i++) {
    const tensor *t = &c->t[i];
    h += (size_t)snprintf(hdr + h, cap - h, ", \"%s\": {\"dtype\": \"%s\", \"shape\": [", t->name,
                          t->dtype);
    for (int k = 0; k < t->ndim; k++)
      h += (size_t)snprintf(hdr + h, cap - h, "%s%llu", k ? ", " : "",
                            (unsigned long long)t->shape[k]);
    uint64_t nb = t->n * esize(t->dtype);
    h += (size_t)snprintf(hdr + h, cap - h, "], \"data_offsets\": [%llu, %llu]}",
                          (unsigned long long)off, (unsigned long long)(off + nb));
    off += nb;
  }
  h += (size_t)snprintf(hdr + h, cap - h, "}");
  FILE *fp = fopen(path, "wb");
  if (!fp)
    return -1;
  for (int i = 0; i < 8; i++)
    fputc((int)((uint64_t)h >> (8 * i)) & 0xff, fp);
  fwrite(hdr, 1, h, fp);
  for (int i = 0; i < c->n; i++)
    fwrite(c->t[i].bytes, 1, c->t[i].n * esize(c->t[i].dtype), fp);
  free(hdr);
  return fclose(fp);
}

static void free_ckpt(ckpt *c)
{
  for (int i = 0; i < c->n; i++) {
    free(c->t[i].v);
    free(c->t[i].bytes);
  }
  c->n = 0;
}

static sp_safetensors *open_ckpt(const ckpt *c, const char *path)
{
  sp_safetensors *st = NULL;
  sp_st_error e;
  if (write_ckpt(c, path) || sp_safetensors_open(path, &st, &e))
    tap_diag("cannot open %s: %s", path, e.text);
  return st;
}

/* sp_inspect_checkpoint() of st with cfg (NULL: none), one test point
 * "<what>: inspected"; on failure it shows the error and frees c and st.
 * Returns 1 when inspected. */
static int inspected(ckpt *c, sp_safetensors *st, const sp_config *cfg, sp_inspection *in,
                     const char *what)
{
  sp_st_error e;
  int s = sp_inspect_checkpoint(st, cfg, NULL, in, &e);
  if (tap_ok(s == SP_OK, "%s: inspected", what))
    return 1;
  tap_diag("%s", e.text);
  free_ckpt(c);
  sp_safetensors_free(st);
  return 0;
}

/* sp_inspect_checkpoint() of st with cfg (NULL: none) and the default
 * options; an error's message as a TAP comment.  The status. */
static int inspect(const sp_safetensors *st, const sp_config *cfg, sp_inspection *in)
{
  sp_st_error e;
  int s = sp_inspect_checkpoint(st, cfg, NULL, in, &e);
  if (s)
    tap_diag("%s", e.text);
  return s;
}

static sp_config config_of(const char *json)
{
  sp_config c;
  sp_config_error e;
  if (sp_config_parse(json, strlen(json), "config.json", &c, &e))
    tap_diag("config: %s", e.text);
  return c;
}

/* |got/want - 1| within 4 standard errors 1/sqrt(2 n). */
static void check_std(double got, double want, double n, const char *what, long l)
{
  double se = 1 / sqrt(2 * n);
  int ok = fabs(got / want - 1) <= 4 * se;
  tap_ok(ok, "%s, block %ld: std %.5f, drawn %.5f (4 s.e. = %.2f%%)", what, l, got, want,
         400 * se);
}

/* ---- brute-force q0 and rho0 ---------------------------------------------------- */

/* Mean |x|^2/d and mean pairwise cosine over every pair of the T rows of x. */
static void brute(const double *x, long T, long d, double *q0, double *rho0)
{
  double q = 0, r = 0;
  for (long t = 0; t < T; t++) {
    double n2 = 0;
    for (long j = 0; j < d; j++)
      n2 += x[t * d + j] * x[t * d + j];
    q += n2 / (double)d;
    for (long s = 0; s < T; s++) {
      if (s == t)
        continue;
      double ab = 0, bb = 0;
      for (long j = 0; j < d; j++) {
        ab += x[t * d + j] * x[s * d + j];
        bb += x[s * d + j] * x[s * d + j];
      }
      r += ab / sqrt(n2 * bb);
    }
  }
  *q0 = q / (double)T;
  *rho0 = r / ((double)T * (double)(T - 1));
}

static void layer_norm(double *x, long d, double eps)
{
  double mu = 0, v = 0;
  for (long j = 0; j < d; j++)
    mu += x[j] / (double)d;
  for (long j = 0; j < d; j++)
    v += (x[j] - mu) * (x[j] - mu) / (double)d;
  for (long j = 0; j < d; j++)
    x[j] = (x[j] - mu) / sqrt(v + eps);
}

/* A fused tensor whose parts have their own stds: part of entry i is
 * (i % row) / width (cols) or ((i / row) % (3 width)) / width (rows). */
static tensor *add_fused(ckpt *c, const char *name, const char *dtype, const double sd[3],
                         int rows, uint64_t a, uint64_t b, uint64_t width)
{
  tensor *t = add(c, name, dtype, 1.0, 2, a, b, 0, 0);
  for (uint64_t i = 0; i < t->n; i++) {
    int p = rows ? (int)(((i / b) % (3 * width)) / width) : (int)((i % b) / width);
    uint16_t h;
    double x = round_small(t->v[i] * sd[p], 10, 15, &h);
    t->bytes[2 * i] = (unsigned char)h;
    t->bytes[2 * i + 1] = (unsigned char)(h >> 8);
    t->v[i] = x;
  }
  return t;
}

static char dir[256];

static const char *at(const char *name)
{
  return tu_path(dir, name);
}

/* ---- BERT-like ------------------------------------------------------------------ */

#define BERT_D 64
#define BERT_FF 256
#define BERT_V 397
#define BERT_P 40
#define BERT_L 3

static const char bert_json[] =
  "{\"model_type\": \"bert\", \"hidden_size\": 64, \"num_attention_heads\": 4,"
  " \"num_hidden_layers\": 3, \"intermediate_size\": 256, \"max_position_embeddings\": 40,"
  " \"vocab_size\": 397, \"type_vocab_size\": 2, \"initializer_range\": 0.02,"
  " \"layer_norm_eps\": 1e-12, \"hidden_act\": \"gelu\"}";

static const double bert_sd[SP_NMAT] = {0.031, 0.027, 0.019, 0.023, 0.037, NAN, 0.013};

static void make_bert(ckpt *c, const char *qdtype)
{
  char n[96];
  add(c, "bert.embeddings.word_embeddings.weight", "F64", 0.021, 2, BERT_V, BERT_D, 0, 0);
  add(c, "bert.embeddings.position_embeddings.weight", "F64", 0.017, 2, BERT_P, BERT_D, 0, 0);
  add(c, "bert.embeddings.token_type_embeddings.weight", "F64", 0.011, 2, 2, BERT_D, 0, 0);
  add(c, "bert.embeddings.LayerNorm.weight", "F64", -2, 1, BERT_D, 0, 0, 0);
  add(c, "bert.embeddings.LayerNorm.bias", "F64", -1, 1, BERT_D, 0, 0, 0);
  add(c, "bert.embeddings.position_ids", "I32", 0, 2, 1, BERT_P, 0, 0);
  static const char *const mat[SP_NMAT] = {"attention.self.query", "attention.self.key",
    "attention.self.value", "attention.output.dense", "intermediate.dense", NULL, "output.dense"};
  for (long l = 0; l < BERT_L; l++)
    for (int m = 0; m < SP_NMAT; m++) {
      if (!mat[m])
        continue;
      uint64_t out = m == SP_MAT_FF_IN ? BERT_FF : BERT_D, in = m == SP_MAT_FF_OUT ? BERT_FF : BERT_D;
      snprintf(n, sizeof n, "bert.encoder.layer.%ld.%s.weight", l, mat[m]);
      add(c, n, l == 0 && m == SP_MAT_Q ? qdtype : "F64", bert_sd[m], 2, out, in, 0, 0);
      snprintf(n, sizeof n, "bert.encoder.layer.%ld.%s.bias", l, mat[m]);
      add(c, n, "F64", -1, 1, out, 0, 0, 0);
    }
}

static void check_layers(const sp_inspection *in, const double *sd, const double *n, const char *w)
{
  for (long l = 0; l < in->depth; l++)
    for (int m = 0; m < SP_NMAT; m++) {
      char what[64];
      snprintf(what, sizeof what, "%s %s", w, sp_matrix_name((sp_matrix)m));
      if (isnan(sd[m]))
        tap_ok(isnan(in->layers[l].std[m]), "%s, block %ld: absent", what, l);
      else
        check_std(in->layers[l].std[m], sd[m], n[m], what, l);
    }
}

/* The BERT-like checkpoint without its config, and with wrong ones. */
static void bert_variants(const sp_safetensors *st, const sp_config *cfg)
{
  sp_inspection in;
  sp_st_error e;
  int s;
  /* Without the config: recognised by its names, T from the position table. */
  s = sp_inspect_checkpoint(st, NULL, NULL, &in, &e);
  tap_ok(s == SP_OK && in.family == SP_FAMILY_BERT && in.tokens == 40 && in.depth == 3
         && in.preset.heads == 1, "BERT-like without config: bert, T 40, 3 blocks, heads unknown (1)");
  sp_inspect_free(&in);
  sp_inspect_options o = {.seed = 1, .tokens = 41};
  s = sp_inspect_checkpoint(st, cfg, &o, &in, &e);
  tap_ok(s == SP_EINVAL && strstr(e.text, "T = 41 tokens does not fit (2 to 40, the position "
         "table's rows)"), "T beyond the position table: %s", e.text);
  sp_config big = config_of("{\"model_type\": \"bert\", \"hidden_size\": 128, "
                            "\"num_attention_heads\": 4, \"intermediate_size\": 256, \"max_position_embeddings\": 40}");
  s = sp_inspect_checkpoint(st, &big, NULL, &in, &e);
  tap_ok(s == SP_EPARSE && strstr(e.text, "tensor 'bert.encoder.layer.0.attention.self.query.weight'"
         ": shape [64, 64] differs from the config's width 128"), "config width differs: %s", e.text);
  sp_config deep = config_of("{\"model_type\": \"bert\", \"hidden_size\": 64, \"num_attention_heads\": 4, "
    "\"num_hidden_layers\": 4, \"intermediate_size\": 256, \"max_position_embeddings\": 40}");
  s = sp_inspect_checkpoint(st, &deep, NULL, &in, &e);
  tap_ok(s == SP_EPARSE && strstr(e.text, "tensor 'bert.encoder.layer.3.attention.self.query.weight'"
         ": missing (a bert checkpoint has it)"), "missing tensor named: %s", e.text);
  sp_config llama = config_of("{\"model_type\": \"llama\"}");
  s = sp_inspect_checkpoint(st, &llama, NULL, &in, &e);
  tap_ok(s == SP_EPARSE && strstr(e.text, "no tensor named [PREFIX.]embed_tokens.weight: not a "
         "llama checkpoint"), "wrong family: %s", e.text);
}

static void test_bert(void)
{
  ckpt c = {.n = 0};
  make_bert(&c, "F64");
  sp_safetensors *st = open_ckpt(&c, at("bert.safetensors"));
  sp_config cfg = config_of(bert_json);
  sp_inspection in;
  if (!inspected(&c, st, &cfg, &in, "BERT-like"))
    return;
  tap_ok(in.family == SP_FAMILY_BERT && strcmp(in.prefix, "bert.") == 0 && in.d_model == BERT_D
         && in.d_ff == BERT_FF && in.depth == BERT_L && in.tokens == BERT_P && !in.tokens_assumed
         && in.vocab == BERT_V && !in.has_gate, "BERT-like: family, prefix, sizes, T from config");
  const double n[SP_NMAT] = {4096, 4096, 4096, 4096, 16384, 1, 16384};
  check_layers(&in, bert_sd, n, "BERT-like");
  check_std(in.std_emb, 0.021, BERT_V * BERT_D, "BERT-like embedding", 0);
  check_std(in.std_pos, 0.017, BERT_P * BERT_D, "BERT-like position table", 0);
  const sp_inspect_layer *L = &in.layers[1];
  tap_close(L->beta, 64 * L->std[0] * L->std[1] / sqrt(log(40.0)), 1e-15,
            "beta = d s_q s_k / sqrt(log T) per block");
  tap_close(L->var_v, 64 * 64 * pow(L->std[2] * L->std[3], 2), 1e-15, "var-v = d s_v^2 d s_o^2");
  tap_close(L->var_w_out, 256 * L->std[6] * L->std[6], 1e-15, "var-w-out = d_ff s_2^2");
  tap_close(L->gain_sa, L->std[3] / L->std[2], 1e-15, "gain_sa = s_o / s_v");
  double rq = sqrt((pow(in.layers[0].std[0], 2) + pow(in.layers[1].std[0], 2)
                    + pow(in.layers[2].std[0], 2)) / 3);
  tap_close(in.preset.std_q, rq, 1e-15, "preset std-q: RMS over blocks");
  const sp_model *m = &in.preset.model;
  tap_ok(m->norm == SP_NORM_POST && m->activation == SP_ACT_GELU && m->depth == 3
         && m->tokens == 40 && m->branch_sa == 1 && m->q0 == in.q0 && m->rho0 == in.rho0,
         "model: the config's architecture with the measured q0, rho0");
  tap_close(m->beta, 64 * in.preset.std_q * in.preset.std_k / sqrt(log(40.0)), 1e-15,
            "model beta from the RMS stds");
  /* The input, recomputed: ids from splitmix64(seed 1), positions 0..T-1, type 0, LN. */
  const tensor *we = find(&c, "bert.embeddings.word_embeddings.weight");
  const tensor *pe = find(&c, "bert.embeddings.position_embeddings.weight");
  const tensor *te = find(&c, "bert.embeddings.token_type_embeddings.weight");
  double *x = malloc(BERT_P * BERT_D * sizeof *x), q0, rho0;
  uint64_t rng = 1;
  for (long t = 0; t < BERT_P; t++) {
    uint64_t id = splitmix(&rng) % BERT_V;
    for (long j = 0; j < BERT_D; j++)
      x[t * BERT_D + j] = we->v[id * BERT_D + j] + pe->v[t * BERT_D + j] + te->v[j];
    layer_norm(x + t * BERT_D, BERT_D, 1e-12);
  }
  brute(x, BERT_P, BERT_D, &q0, &rho0);
  tap_close(in.q0, q0, 1e-12, "BERT-like q0 = %.9f (1 after the embedding LayerNorm)", q0);
  tap_close(in.rho0, rho0, 1e-12, "BERT-like rho0 = %.6f, every pair of tokens", rho0);
  free(x);
  sp_inspect_free(&in);

  bert_variants(st, &cfg);
  sp_safetensors_free(st);
  free_ckpt(&c);

  make_bert(&c, "I32");
  st = open_ckpt(&c, at("bert-int.safetensors"));
  sp_st_error e;
  int s = sp_inspect_checkpoint(st, &cfg, NULL, &in, &e);
  tap_ok(s == SP_EPARSE && strstr(e.text, "query.weight': dtype I32 is not a float type"),
         "integer matrix: %s", e.text);
  sp_safetensors_free(st);
  free_ckpt(&c);
}

/* ---- ELECTRA- and RoBERTa-like: embeddings projected E -> d; positions
 * offset by pad_token_id + 1 ---------------------------------------------------- */

static void make_encoder(ckpt *c, const char *pfx, long e, long d, int project)
{
  char n[96];
  snprintf(n, sizeof n, "%s.embeddings.word_embeddings.weight", pfx);
  add(c, n, "F64", 0.023, 2, 101, (uint64_t)e, 0, 0);
  snprintf(n, sizeof n, "%s.embeddings.position_embeddings.weight", pfx);
  add(c, n, "F64", 0.019, 2, 20, (uint64_t)e, 0, 0);
  snprintf(n, sizeof n, "%s.embeddings.token_type_embeddings.weight", pfx);
  add(c, n, "F64", 0.015, 2, 1, (uint64_t)e, 0, 0);
  snprintf(n, sizeof n, "%s.embeddings.LayerNorm.weight", pfx);
  add(c, n, "F64", 0.3, 1, (uint64_t)e, 0, 0, 0); /* a trained-looking affine */
  snprintf(n, sizeof n, "%s.embeddings.LayerNorm.bias", pfx);
  add(c, n, "F64", 0.05, 1, (uint64_t)e, 0, 0, 0);
  if (project) {
    snprintf(n, sizeof n, "%s.embeddings_project.weight", pfx);
    add(c, n, "F64", 0.02, 2, (uint64_t)d, (uint64_t)e, 0, 0);
    snprintf(n, sizeof n, "%s.embeddings_project.bias", pfx);
    add(c, n, "F64", 0.01, 1, (uint64_t)d, 0, 0, 0);
  }
  static const char *const mat[] = {"attention.self.query", "attention.self.key",
    "attention.self.value", "attention.output.dense", "intermediate.dense", "output.dense"};
  for (int m = 0; m < 6; m++) {
    snprintf(n, sizeof n, "%s.encoder.layer.0.%s.weight", pfx, mat[m]);
    add(c, n, "F64", 0.02, 2, m == 4 ? 64 : (uint64_t)d, m == 5 ? 64 : (uint64_t)d, 0, 0);
  }
}

/* The input of `T` tokens, recomputed: ids from splitmix64(seed 1), rows
 * offset.., type 0, LayerNorm with the stored affine, then W x + b. */
static void encoder_input(const ckpt *c, const char *pfx, long e, long d, long T, long offset,
                          double *x)
{
  char n[6][96];
  const char *k[6] = {"embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
    "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight",
    "embeddings.LayerNorm.bias", "embeddings_project.weight"};
  const tensor *t[7];
  for (int i = 0; i < 6; i++) {
    snprintf(n[i], sizeof n[i], "%s.%s", pfx, k[i]);
    t[i] = find(c, n[i]);
  }
  char nb[96];
  snprintf(nb, sizeof nb, "%s.embeddings_project.bias", pfx);
  t[6] = find(c, nb);
  double a[64];
  uint64_t rng = 1;
  for (long s = 0; s < T; s++) {
    uint64_t id = splitmix(&rng) % 101;
    for (long j = 0; j < e; j++)
      a[j] = t[0]->v[id * (uint64_t)e + (uint64_t)j] + t[1]->v[(offset + s) * e + j] + t[2]->v[j];
    layer_norm(a, e, 1e-12);
    for (long j = 0; j < e; j++)
      a[j] = a[j] * t[3]->v[j] + t[4]->v[j];
    for (long i = 0; i < d; i++) {
      double y = 0;
      for (long j = 0; j < e && t[5]; j++)
        y += t[5]->v[i * e + j] * a[j];
      x[s * d + i] = t[5] ? y + t[6]->v[i] : a[i];
    }
  }
}

static void test_electra_roberta(void)
{
  ckpt c = {.n = 0};
  make_encoder(&c, "electra", 16, 32, 1);
  sp_safetensors *st = open_ckpt(&c, at("electra.safetensors"));
  sp_config cfg = config_of("{\"model_type\": \"electra\", \"embedding_size\": 16, "
    "\"hidden_size\": 32, \"num_attention_heads\": 4, \"num_hidden_layers\": 1, "
    "\"intermediate_size\": 64, \"max_position_embeddings\": 20, \"vocab_size\": 101}");
  sp_inspection in;
  double x[20 * 32], q0, rho0;
  int s = inspect(st, &cfg, &in);
  encoder_input(&c, "electra", 16, 32, 20, 0, x);
  brute(x, 20, 32, &q0, &rho0);
  tap_ok(s == SP_OK && in.family == SP_FAMILY_ELECTRA && in.d_model == 32 && in.tokens == 20,
         "ELECTRA-like: E 16 projected to d 32, T 20");
  tap_close(in.q0, q0, 1e-12 * q0, "ELECTRA-like q0 = %.4g: LayerNorm (stored affine), then "
            "embeddings_project", q0);
  tap_close(in.rho0, rho0, 1e-12, "ELECTRA-like rho0 = %.4f", rho0);
  sp_inspect_free(&in);
  s = inspect(st, NULL, &in);
  tap_ok(s == SP_OK && in.family == SP_FAMILY_ELECTRA, "ELECTRA-like without config: electra");
  sp_inspect_free(&in);
  sp_safetensors_free(st);
  free_ckpt(&c);

  make_encoder(&c, "roberta", 32, 32, 0);
  st = open_ckpt(&c, at("roberta.safetensors"));
  cfg = config_of("{\"model_type\": \"roberta\", \"hidden_size\": 32, "
    "\"num_attention_heads\": 4, \"num_hidden_layers\": 1, \"intermediate_size\": 64, "
    "\"max_position_embeddings\": 20, \"vocab_size\": 101, \"pad_token_id\": 1}");
  s = inspect(st, &cfg, &in);
  encoder_input(&c, "roberta", 32, 32, 18, 2, x);
  brute(x, 18, 32, &q0, &rho0);
  tap_ok(s == SP_OK && in.family == SP_FAMILY_ROBERTA && in.tokens == 18,
         "RoBERTa-like: T = 20 - (pad 1 + 1) = 18");
  tap_close(in.q0, q0, 1e-12 * q0, "RoBERTa-like q0 = %.4g, positions from 2", q0);
  tap_close(in.rho0, rho0, 1e-12, "RoBERTa-like rho0 = %.4f", rho0);
  sp_inspect_free(&in);
  s = inspect(st, NULL, &in);
  tap_ok(s == SP_OK && in.family == SP_FAMILY_ROBERTA && in.tokens == 18,
         "RoBERTa-like without config: roberta from the prefix, T 18");
  sp_inspect_free(&in);
  sp_safetensors_free(st);
  free_ckpt(&c);
}

/* ---- LLaMA-like (bfloat16, grouped-query attention, SwiGLU) ----------------------- */

static void test_llama(void)
{
  ckpt c = {.n = 0};
  char n[96];
  const double sd[SP_NMAT] = {0.029, 0.033, 0.021, 0.0041, 0.018, 0.026, 0.0077};
  static const char *const mat[SP_NMAT] = {"self_attn.q_proj", "self_attn.k_proj",
    "self_attn.v_proj", "self_attn.o_proj", "mlp.up_proj", "mlp.gate_proj", "mlp.down_proj"};
  const uint64_t rows[SP_NMAT] = {64, 16, 16, 64, 176, 176, 64};
  add(&c, "model.embed_tokens.weight", "BF16", 0.024, 2, 300, 64, 0, 0);
  for (long l = 0; l < 2; l++) {
    for (int m = 0; m < SP_NMAT; m++) {
      snprintf(n, sizeof n, "model.layers.%ld.%s.weight", l, mat[m]);
      add(&c, n, "BF16", sd[m], 2, rows[m], m == SP_MAT_FF_OUT ? 176 : 64, 0, 0);
    }
    snprintf(n, sizeof n, "model.layers.%ld.input_layernorm.weight", l);
    add(&c, n, "BF16", -2, 1, 64, 0, 0, 0);
  }
  add(&c, "model.norm.weight", "BF16", -2, 1, 64, 0, 0, 0);
  add(&c, "lm_head.weight", "BF16", 0.024, 2, 300, 64, 0, 0);
  sp_safetensors *st = open_ckpt(&c, at("llama.safetensors"));
  sp_config cfg = config_of("{\"model_type\": \"llama\", \"hidden_size\": 64,"
    " \"num_attention_heads\": 8, \"num_key_value_heads\": 2, \"num_hidden_layers\": 2,"
    " \"intermediate_size\": 176, \"max_position_embeddings\": 24, \"vocab_size\": 300,"
    " \"rms_norm_eps\": 1e-06, \"hidden_act\": \"silu\"}");
  sp_inspection in;
  if (!inspected(&c, st, &cfg, &in, "LLaMA-like"))
    return;
  tap_ok(in.family == SP_FAMILY_LLAMA && strcmp(in.prefix, "model.") == 0 && in.has_gate
         && in.d_ff == 176 && in.tokens == 24 && in.preset.has_gate, "LLaMA-like: gate, sizes");
  const double cnt[SP_NMAT] = {4096, 1024, 1024, 4096, 11264, 11264, 11264};
  check_layers(&in, sd, cnt, "LLaMA-like");
  const sp_inspect_layer *L = &in.layers[0];
  tap_close(L->var_w_in, 64 * L->std[SP_MAT_GATE] * L->std[SP_MAT_GATE], 1e-15,
            "var-w-in from W_gate (phi acts on it)");
  double se = sqrt(1 / 2048.0 + 1 / 8192.0); /* of the ratio s_o / s_v */
  tap_ok(fabs(L->gain_sa / (0.0041 / 0.021) - 1) <= 4 * se, "gain_sa = s_o/s_v = %.4f, drawn %.4f "
         "(4 s.e. = %.1f%%)", L->gain_sa, 0.0041 / 0.021, 400 * se);
  tap_close(in.preset.std_gate, sqrt((pow(in.layers[0].std[5], 2) + pow(in.layers[1].std[5], 2)) / 2),
            1e-15, "preset std-gate: RMS over blocks");
  check_std(in.std_emb, 0.024, 300 * 64, "LLaMA-like embedding", 0);
  tap_ok(isnan(in.std_pos), "rotary: no position table");
  const tensor *we = find(&c, "model.embed_tokens.weight");
  double x[24 * 64], q0, rho0;
  uint64_t rng = 7;
  for (long t = 0; t < 24; t++) {
    uint64_t id = splitmix(&rng) % 300;
    memcpy(x + t * 64, we->v + id * 64, 64 * sizeof *x);
  }
  brute(x, 24, 64, &q0, &rho0);
  sp_inspect_free(&in);
  sp_inspect_options o = {.seed = 7, .tokens = 0};
  sp_st_error e;
  int s = sp_inspect_checkpoint(st, &cfg, &o, &in, &e);
  tap_close(in.q0, q0, 1e-15, "LLaMA-like q0 = %.3g (token embedding alone; drawn 0.024^2 = %.3g)",
            q0, 0.024 * 0.024);
  tap_close(in.rho0, rho0, 1e-12, "LLaMA-like rho0 = %.4f, every pair of tokens", rho0);
  tap_ok(s == SP_OK && in.preset.model.norm == SP_NORM_PRE && in.preset.model.causal
         && in.preset.model.activation == SP_ACT_SILU, "model: pre-norm, causal, SiLU");
  sp_inspect_free(&in);
  s = sp_inspect_checkpoint(st, NULL, NULL, &in, &e);
  tap_ok(s == SP_OK && in.family == SP_FAMILY_LLAMA && in.tokens == 2048 && in.tokens_assumed,
         "LLaMA-like without config: llama, T 2048 assumed");
  sp_inspect_free(&in);
  sp_safetensors_free(st);
  free_ckpt(&c);
}

/* ---- GPT-2-like: c_attn is Conv1D [d, 3d], columns Q | K | V ---------------------- */

static void test_gpt2(void)
{
  ckpt c = {.n = 0};
  char n[96];
  const double qkv[3] = {0.031, 0.017, 0.024};
  add(&c, "wte.weight", "F16", 0.02, 2, 211, 48, 0, 0);
  add(&c, "wpe.weight", "F16", 0.01, 2, 30, 48, 0, 0);
  for (long l = 0; l < 2; l++) {
    snprintf(n, sizeof n, "h.%ld.attn.c_attn.weight", l);
    add_fused(&c, n, "F16", qkv, 0, 48, 144, 48);
    snprintf(n, sizeof n, "h.%ld.attn.c_proj.weight", l);
    add(&c, n, "F16", 0.01, 2, 48, 48, 0, 0); /* 0.02 / sqrt(2 L), L = 2 */
    snprintf(n, sizeof n, "h.%ld.mlp.c_fc.weight", l);
    add(&c, n, "F16", 0.02, 2, 48, 192, 0, 0);
    snprintf(n, sizeof n, "h.%ld.mlp.c_proj.weight", l);
    add(&c, n, "F16", 0.01, 2, 192, 48, 0, 0);
  }
  sp_safetensors *st = open_ckpt(&c, at("gpt2.safetensors"));
  sp_inspection in;
  if (!inspected(&c, st, NULL, &in, "GPT-2-like without config"))
    return;
  tap_ok(in.family == SP_FAMILY_GPT2 && in.d_model == 48 && in.d_ff == 192 && in.tokens == 30,
         "GPT-2-like: gpt2, d 48 from c_attn's rows, d_ff 192 from c_fc's columns, T 30 (wpe)");
  const double sd[SP_NMAT] = {0.031, 0.017, 0.024, 0.01, 0.02, NAN, 0.01};
  const double cnt[SP_NMAT] = {2304, 2304, 2304, 2304, 9216, 1, 9216};
  check_layers(&in, sd, cnt, "GPT-2-like (c_attn split by columns)");
  double se = sqrt(2 / 4608.0);
  tap_ok(fabs(in.layers[0].gain_mlp / 0.5 - 1) <= 4 * se, "gain_mlp = %.4f, 1/sqrt(2 L) = 0.5 "
         "(4 s.e. = %.1f%%)", in.layers[0].gain_mlp, 400 * se);
  const tensor *we = find(&c, "wte.weight"), *pe = find(&c, "wpe.weight");
  double x[30 * 48], q0, rho0;
  uint64_t rng = 1;
  for (long t = 0; t < 30; t++) {
    uint64_t id = splitmix(&rng) % 211;
    for (long j = 0; j < 48; j++)
      x[t * 48 + j] = we->v[id * 48 + j] + pe->v[t * 48 + j];
  }
  brute(x, 30, 48, &q0, &rho0);
  tap_close(in.q0, q0, 1e-15, "GPT-2-like q0 = %.3g: token + position", q0);
  tap_close(in.rho0, rho0, 1e-12, "GPT-2-like rho0 = %.4f", rho0);
  sp_inspect_free(&in);
  sp_safetensors_free(st);
  free_ckpt(&c);
}

/* ---- GPT-NeoX-like: query_key_value [3d, d], rows per head Q | K | V ---------------- */

static void test_neox(void)
{
  ckpt c = {.n = 0};
  const double qkv[3] = {0.03, 0.012, 0.02};
  add(&c, "gpt_neox.embed_in.weight", "F16", 0.02, 2, 150, 64, 0, 0);
  add_fused(&c, "gpt_neox.layers.0.attention.query_key_value.weight", "F16", qkv, 1, 192, 64, 16);
  add(&c, "gpt_neox.layers.0.attention.dense.weight", "F16", 0.02, 2, 64, 64, 0, 0);
  add(&c, "gpt_neox.layers.0.mlp.dense_h_to_4h.weight", "F16", 0.02, 2, 128, 64, 0, 0);
  add(&c, "gpt_neox.layers.0.mlp.dense_4h_to_h.weight", "F16", 0.02, 2, 64, 128, 0, 0);
  add(&c, "embed_out.weight", "F16", 0.02, 2, 150, 64, 0, 0);
  sp_safetensors *st = open_ckpt(&c, at("neox.safetensors"));
  sp_config cfg = config_of("{\"model_type\": \"gpt_neox\", \"hidden_size\": 64,"
    " \"num_attention_heads\": 4, \"num_hidden_layers\": 1, \"intermediate_size\": 128,"
    " \"max_position_embeddings\": 20, \"vocab_size\": 150}");
  sp_inspection in;
  sp_st_error e;
  int s = sp_inspect_checkpoint(st, &cfg, NULL, &in, &e);
  if (!tap_ok(s == SP_OK, "GPT-NeoX-like: inspected"))
    tap_diag("%s", e.text);
  const double sd[SP_NMAT] = {0.03, 0.012, 0.02, 0.02, 0.02, NAN, 0.02};
  const double cnt[SP_NMAT] = {4096, 4096, 4096, 4096, 8192, 1, 8192};
  if (!s)
    check_layers(&in, sd, cnt, "GPT-NeoX-like (qkv split per head)");
  sp_inspect_free(&in);
  s = sp_inspect_checkpoint(st, NULL, NULL, &in, &e);
  tap_ok(s == SP_EPARSE && strstr(e.text, "a gpt_neox checkpoint needs its config.json"),
         "gpt_neox without config: %s", e.text);
  sp_safetensors_free(st);
  free_ckpt(&c);
}

/* ---- ViT-like: patches of 4 x 4 x 3 over 16 x 16 px, T = 17 ------------------------- */

static void test_vit(void)
{
  ckpt c = {.n = 0};
  add(&c, "vit.embeddings.cls_token", "F64", 0.02, 3, 1, 1, 32, 0);
  add(&c, "vit.embeddings.position_embeddings", "F64", 0.02, 3, 1, 17, 32, 0);
  add(&c, "vit.embeddings.patch_embeddings.projection.weight", "F64", 0.02, 4, 32, 3, 4, 4);
  add(&c, "vit.embeddings.patch_embeddings.projection.bias", "F64", -1, 1, 32, 0, 0, 0);
  static const char *const mat[] = {"attention.attention.query", "attention.attention.key",
    "attention.attention.value", "attention.output.dense", "intermediate.dense", "output.dense"};
  for (int m = 0; m < 6; m++) {
    char n[96];
    snprintf(n, sizeof n, "vit.encoder.layer.0.%s.weight", mat[m]);
    add(&c, n, "F64", 0.02, 2, m == 4 ? 64 : 32, m == 5 ? 64 : 32, 0, 0);
  }
  sp_safetensors *st = open_ckpt(&c, at("vit.safetensors"));
  sp_config cfg = config_of("{\"model_type\": \"vit\", \"hidden_size\": 32, \"num_attention_heads\": 4,"
    " \"num_hidden_layers\": 1, \"intermediate_size\": 64, \"image_size\": 16, \"patch_size\": 4}");
  sp_inspection in;
  int s = inspect(st, &cfg, &in);
  /* q0 = (16 (s^2 + 48 s^2) + 2 s^2) / 17 with unit-variance pixels. */
  double want = 4e-4 * (16 * 49 + 2) / 17.0;
  tap_ok(s == SP_OK && in.tokens == 17 && fabs(in.q0 / want - 1) < 0.3,
         "ViT-like: T 17, q0 %.4f near %.4f (within 30%%: d 32, 17 tokens)", in.q0, want);
  check_std(in.std_emb, 0.02, 1536, "ViT-like patch projection", 0);
  sp_inspect_free(&in);
  sp_safetensors_free(st);
  free_ckpt(&c);
}

static void test_errors(void)
{
  ckpt c = {.n = 0};
  add(&c, "foo.weight", "F64", 0.02, 2, 4, 4, 0, 0);
  sp_safetensors *st = open_ckpt(&c, at("foo.safetensors"));
  sp_inspection in;
  sp_st_error e;
  int s = sp_inspect_checkpoint(st, NULL, NULL, &in, &e);
  tap_ok(s == SP_EPARSE && strstr(e.text, "foo.safetensors: no tensor of a known family "
         "(supported: bert, roberta"), "unknown checkpoint: %s", e.text);
  sp_safetensors_free(st);
  free_ckpt(&c);
  st = open_ckpt(&c, at("empty.safetensors"));
  s = sp_inspect_checkpoint(st, NULL, NULL, &in, &e);
  tap_ok(s == SP_EPARSE && strstr(e.text, "no tensors"), "empty checkpoint: %s", e.text);
  tap_ok(sp_inspect_checkpoint(NULL, NULL, NULL, &in, &e) == SP_EINVAL
         && sp_inspect_checkpoint(st, NULL, NULL, NULL, &e) == SP_EINVAL, "NULL: SP_EINVAL");
  sp_safetensors_free(st);
  sp_inspect_free(NULL);
  tap_ok(strcmp(sp_matrix_name(SP_MAT_GATE), "gate") == 0 && strcmp(sp_matrix_name(SP_NMAT), "?") == 0,
         "matrix names");
}

int main(void)
{
  if (!tu_tempdir(dir, sizeof dir, "sp_test_inspect"))
    return 1;
  test_bert();
  test_electra_roberta();
  test_llama();
  test_gpt2();
  test_neox();
  test_vit();
  test_errors();
  tu_remove_tree(dir);
  return tap_done();
}
