/* Input-file generators of the command-line fuzz suite: one per kind of
 * file sigprop reads: preset files (mutated from the shipped ones), Hugging
 * Face config.json files and safetensors checkpoints (a tiny BERT-like one,
 * its header and its lengths mutated).  To add a kind, write its make()
 * function here and add a row to fz_file_kinds; the option kinds V_PRESET,
 * V_CONFIG and V_CHECKPOINT in fuzz_gen.c show how an option asks for one.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "fuzz_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXTEXT 8192

static const char *const odd_values[] = {
  "nan", "inf", "-1", "1e308", "1e-320", "", "0", "0x10", "1e", "yes", "no", "maybe",
  "\xff\xfe", "12abc", "-0", "99999999999999999999", "post", "gelu", "1 2", "="};
static const char *const keys[] = {
  "name", "title", "source", "norm", "activation", "causal", "d-model", "heads", "d-ff",
  "tokens", "depth", "output-projection", "std-q", "std-k", "beta", "std-v", "std-o",
  "var-v", "std-ff-in", "var-w-in", "std-ff-out", "var-w-out", "std-bias", "var-b",
  "attention", "mlp", "alpha-sa", "alpha-mlp", "branch-sa", "branch-mlp", "mean-removal",
  "erf-scale", "q0", "gain", "unknown-key", "NAME", ""};

/* Start of line `k` of text (0-based), or NULL when there are fewer. */
static char *line_start(char *t, size_t k)
{
  while (k--) {
    t = strchr(t, '\n');
    if (!t)
      return NULL;
    t++;
  }
  return t;
}

static size_t count_lines(const char *t)
{
  size_t n = 1;
  for (; *t; t++)
    n += *t == '\n';
  return n;
}

/* Replace bytes [at, at + len) of t (of capacity MAXTEXT) by `with`. */
static void splice(char *t, size_t at, size_t len, const char *with)
{
  size_t n = strlen(t), w = strlen(with);
  if (at > n)
    at = n;
  if (at + len > n)
    len = n - at;
  if (n - len + w + 1 > MAXTEXT)
    return;
  memmove(t + at + w, t + at + len, n - at - len + 1);
  memcpy(t + at, with, w);
}

/* One mutation of text t whose lines hold "key SEP value". */
static void mutate(fz_rng *r, char *t, char sep)
{
  size_t n = strlen(t), nl = count_lines(t);
  char *ls = line_start(t, fz_below(r, nl));
  size_t at = ls ? (size_t)(ls - t) : 0, llen = ls ? strcspn(ls, "\n") : 0;
  char buf[2200];
  switch (fz_below(r, 8)) {
  case 0: /* a random byte */
    if (n)
      t[fz_below(r, n)] = (char)(1 + fz_below(r, 255));
    break;
  case 1: /* drop a line */
    splice(t, at, llen + 1, "");
    break;
  case 2: /* duplicate a line */
    snprintf(buf, sizeof buf, "%.*s\n", (int)(llen < 600 ? llen : 600), ls ? ls : "");
    splice(t, at, 0, buf);
    break;
  case 3: { /* an odd value after '=' */
    char *eq = ls ? memchr(ls, sep, llen) : NULL;
    if (eq) {
      size_t v = (size_t)(eq + 1 - t);
      snprintf(buf, sizeof buf, " %s", odd_values[fz_below(r, sizeof odd_values / sizeof *odd_values)]);
      splice(t, v, llen - (v - at), buf);
    }
    break;
  }
  case 4: /* a new key line */
    snprintf(buf, sizeof buf, "%s = %s\n", keys[fz_below(r, sizeof keys / sizeof *keys)],
             odd_values[fz_below(r, sizeof odd_values / sizeof *odd_values)]);
    splice(t, at, 0, buf);
    break;
  case 5: /* truncate */
    t[fz_below(r, n + 1)] = '\0';
    break;
  case 6: /* a line over the 1023-byte limit */
    memset(buf, 'x', 1100);
    buf[1100] = '\0';
    splice(t, at, 0, buf);
    break;
  default: /* CR line ends and stray spaces */
    splice(t, at + llen, 0, fz_below(r, 2) ? "\r" : " \t ");
    break;
  }
}

static int write_file(fz_rng *r, const char *dir, const char *name, const char *head,
                      size_t nhead, const unsigned char *tail, size_t ntail);

/* A mutated preset: a shipped one (bases) with 1 to 4 mutations, written
 * with fwrite so that NUL bytes from mutation stop the text as C sees it. */
static int make_preset(fz_rng *r, const char *dir, const char *name, const char *const *bases,
                       size_t nbases)
{
  static char t[MAXTEXT];
  const char *base = nbases ? bases[fz_below(r, nbases)] : "name = x\n";
  snprintf(t, sizeof t, "%s", base);
  size_t k = 1 + fz_below(r, 4);
  while (k--)
    mutate(r, t, '=');
  return write_file(r, dir, name, t, strlen(t), NULL, 0);
}

/* Write head (and tail) to dir/name; a text file now and then gets a NUL
 * byte after its head. */
static int write_file(fz_rng *r, const char *dir, const char *name, const char *head,
                      size_t nhead, const unsigned char *tail, size_t ntail)
{
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *fp = fopen(path, "wb");
  if (!fp)
    return -1;
  int bad = fwrite(head, 1, nhead, fp) != nhead;
  if (!tail && fz_below(r, 30) == 0)
    bad |= fputc('\0', fp) == EOF; /* an embedded NUL byte */
  if (tail && ntail)
    bad |= fwrite(tail, 1, ntail, fp) != ntail;
  bad |= fclose(fp) != 0;
  return bad ? -1 : 0;
}

/* ---- config.json --------------------------------------------------------- */

static const char *const configs[] = {
  "{\n\"model_type\": \"bert\",\n\"hidden_size\": 32,\n\"num_attention_heads\": 4,\n"
  "\"num_hidden_layers\": 2,\n\"intermediate_size\": 128,\n\"max_position_embeddings\": 24,\n"
  "\"vocab_size\": 97,\n\"initializer_range\": 0.02,\n\"hidden_act\": \"gelu\",\n"
  "\"is_decoder\": false,\n\"layer_norm_eps\": 1e-12\n}\n",
  "{\n\"model_type\": \"gpt2\",\n\"n_embd\": 32,\n\"n_head\": 4,\n\"n_layer\": 3,\n"
  "\"n_positions\": 64,\n\"vocab_size\": 50,\n\"initializer_range\": 0.02,\n"
  "\"activation_function\": \"gelu_new\"\n}\n",
  "{\n\"model_type\": \"llama\",\n\"hidden_size\": 64,\n\"num_attention_heads\": 4,\n"
  "\"num_hidden_layers\": 2,\n\"intermediate_size\": 172,\n\"max_position_embeddings\": 128,\n"
  "\"hidden_act\": \"silu\",\n\"rms_norm_eps\": 1e-6,\n\"initializer_range\": 0.02\n}\n"};

/* A config.json: one of three families with 0 to 3 mutations. */
static int make_config(fz_rng *r, const char *dir, const char *name, const char *const *bases,
                       size_t nbases)
{
  (void)bases;
  (void)nbases;
  static char t[MAXTEXT];
  snprintf(t, sizeof t, "%s", configs[fz_below(r, sizeof configs / sizeof *configs)]);
  size_t k = fz_below(r, 4);
  while (k--)
    mutate(r, t, ':');
  return write_file(r, dir, name, t, strlen(t), NULL, 0);
}

/* ---- safetensors ------------------------------------------------------------ */

/* The header of a one-block BERT-like checkpoint (d 4, d_ff 8, vocab 5,
 * 4 positions, F32) into t, one tensor a line; its data size in *ndata. */
static void bert_header(char *t, size_t size, size_t *ndata)
{
  static const struct { const char *name; int rows, cols; } w[] = {
    {"bert.embeddings.word_embeddings.weight", 5, 4},
    {"bert.embeddings.position_embeddings.weight", 4, 4},
    {"bert.encoder.layer.0.attention.self.query.weight", 4, 4},
    {"bert.encoder.layer.0.attention.self.key.weight", 4, 4},
    {"bert.encoder.layer.0.attention.self.value.weight", 4, 4},
    {"bert.encoder.layer.0.attention.output.dense.weight", 4, 4},
    {"bert.encoder.layer.0.intermediate.dense.weight", 8, 4},
    {"bert.encoder.layer.0.output.dense.weight", 4, 8}};
  size_t k = (size_t)snprintf(t, size, "{\n\"__metadata__\": {\"format\": \"pt\"}");
  size_t off = 0;
  for (size_t i = 0; i < sizeof w / sizeof w[0] && k < size; i++) {
    size_t n = (size_t)(w[i].rows * w[i].cols) * 4;
    k += (size_t)snprintf(t + k, size - k, ",\n\"%s\": {\"dtype\": \"F32\", \"shape\": [%d, %d], "
                          "\"data_offsets\": [%zu, %zu]}", w[i].name, w[i].rows, w[i].cols, off,
                          off + n);
    off += n;
  }
  if (k < size)
    snprintf(t + k, size - k, "\n}");
  *ndata = off;
}

/* A safetensors file: the tiny checkpoint with its header mutated (JSON
 * lines, values), its length field wrong, or its data cut. */
static int make_safetensors(fz_rng *r, const char *dir, const char *name,
                            const char *const *bases, size_t nbases)
{
  (void)bases;
  (void)nbases;
  static char t[MAXTEXT], head[8 + MAXTEXT];
  static unsigned char data[4096];
  size_t ndata;
  bert_header(t, sizeof t, &ndata);
  size_t k = fz_below(r, 4);
  while (k--)
    mutate(r, t, ':');
  size_t nt = strlen(t);
  uint64_t len = nt;
  switch (fz_below(r, 6)) {
  case 0: len = fz_next(r) >> fz_below(r, 64); break; /* any length */
  case 1: len = len + 1 - fz_below(r, 3); break;      /* off by one */
  case 2: ndata = fz_below(r, ndata + 1); break;       /* data cut */
  default: break;
  }
  if (ndata > sizeof data)
    ndata = sizeof data;
  for (size_t i = 0; i < ndata; i++) /* mostly 0x3c3c3c3c, about 0.0115 */
    data[i] = (unsigned char)(fz_below(r, 4) ? 0x3c : fz_next(r));
  for (int b = 0; b < 8; b++)
    head[b] = (char)(len >> (8 * b) & 0xffu);
  memcpy(head + 8, t, nt);
  return write_file(r, dir, name, head, 8 + nt, data, ndata);
}


const fz_file_kind fz_file_kinds[] = {
  {"preset", ".preset", make_preset},
  {"config", ".json", make_config},
  {"safetensors", ".safetensors", make_safetensors},
};
const size_t fz_nfile_kinds = sizeof fz_file_kinds / sizeof fz_file_kinds[0];
