/* Tasks of the train module, generated from a seed: copy, a first-order
 * Markov chain with its exact entropy rate, their masked forms, and windows
 * of a user's token file with a held-out part.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/sim.h"
#include "sigprop/status.h"
#include "sigprop/train.h"

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BEST_SEQUENCES 512 /* evaluation sequences of the masked Markov best loss */

struct sp_task {
  sp_task_options o;
  long nstate;     /* ids of the data (V, or V - 1 when masked) */
  double *P, *pi;  /* markov: nstate x nstate transitions, stationary law */
  uint32_t *data;  /* data: the token file */
  long ndata, split;
  double best;
};

void sp_task_options_default(sp_task_options *o)
{
  memset(o, 0, sizeof *o);
  o->kind = SP_TASK_COPY;
  o->vocab = 16;
  o->tokens = 32;
  o->mask_fraction = 0.15;
  o->gamma = 0.5;
  o->seed = 1;
  o->bytes = 2;
  o->holdout = 0.1;
}

const char *sp_task_name(sp_task_kind kind)
{
  switch (kind) {
  case SP_TASK_COPY: return "copy";
  case SP_TASK_MARKOV: return "markov";
  case SP_TASK_DATA: return "data";
  }
  return "?";
}

void sp_task_free(sp_task *k)
{
  if (!k)
    return;
  free(k->P);
  free(k->pi);
  free(k->data);
  free(k);
}

static uint64_t mix64(uint64_t z)
{
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* The generator of sequence j of stream `which` (0 train, 1 eval, 2 the
 * chain itself). */
static void seed_rng(gsl_rng *r, unsigned long seed, int which, long j)
{
  uint64_t h = mix64(mix64((uint64_t)seed) ^ ((uint64_t)which << 56) ^ (uint64_t)j);
  gsl_rng_set(r, (unsigned long)(h >> 32) ^ (unsigned long)(h & 0xffffffffu));
}

static long draw_row(gsl_rng *r, const double *p, long n)
{
  double u = gsl_rng_uniform(r), c = 0.0;
  for (long i = 0; i < n - 1; i++) {
    c += p[i];
    if (u < c)
      return i;
  }
  return n - 1;
}

/* Stationary law: solve pi (P - I) = 0 with sum pi = 1 (the last equation
 * replaced by the normalisation). */
static int stationary(long n, const double *P, double *pi)
{
  gsl_matrix *A = gsl_matrix_alloc((size_t)n, (size_t)n);
  gsl_vector *b = gsl_vector_calloc((size_t)n), *x = gsl_vector_alloc((size_t)n);
  gsl_permutation *perm = gsl_permutation_alloc((size_t)n);
  int st = SP_ENOMEM, sign;
  if (A && b && x && perm) {
    for (long i = 0; i < n; i++)
      for (long j = 0; j < n; j++)
        gsl_matrix_set(A, (size_t)i, (size_t)j,
                       i == n - 1 ? 1.0 : P[(size_t)j * (size_t)n + (size_t)i] - (i == j));
    gsl_vector_set(b, (size_t)(n - 1), 1.0);
    st = gsl_linalg_LU_decomp(A, perm, &sign) || gsl_linalg_LU_solve(A, perm, b, x) ? SP_ENOCONV
                                                                                    : SP_OK;
    for (long i = 0; !st && i < n; i++)
      pi[i] = gsl_vector_get(x, (size_t)i);
  }
  gsl_matrix_free(A);
  gsl_vector_free(b);
  gsl_vector_free(x);
  gsl_permutation_free(perm);
  return st;
}

static int make_chain(sp_task *k)
{
  long n = k->nstate;
  k->P = malloc((size_t)n * (size_t)n * sizeof *k->P);
  k->pi = malloc((size_t)n * sizeof *k->pi);
  double *alpha = malloc((size_t)n * sizeof *alpha);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
  int st = SP_ENOMEM;
  if (k->P && k->pi && alpha && r) {
    for (long i = 0; i < n; i++)
      alpha[i] = k->o.gamma;
    seed_rng(r, k->o.seed, 2, 0);
    for (long i = 0; i < n; i++)
      gsl_ran_dirichlet(r, (size_t)n, alpha, k->P + (size_t)i * (size_t)n);
    st = stationary(n, k->P, k->pi);
  }
  free(alpha);
  gsl_rng_free(r);
  if (st)
    return st;
  double h = 0.0;
  for (long i = 0; i < n; i++)
    for (long j = 0; j < n; j++) {
      double p = k->P[(size_t)i * (size_t)n + (size_t)j];
      h -= p > 0.0 ? k->pi[i] * p * log(p) : 0.0;
    }
  k->best = h;
  return SP_OK;
}

/* Read a token file of little-endian ids. */
/* Ids from n bytes at p (2 or 4 bytes each, little-endian) into out;
 * SP_EPARSE when one is >= vocab. */
static int decode_ids(const unsigned char *p, size_t n, size_t w, long vocab, uint32_t *out)
{
  for (size_t i = 0; i < n / w; i++, p += w) {
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8;
    if (w == 4)
      v |= (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    if ((long)v >= vocab)
      return SP_EPARSE;
    out[i] = v;
  }
  return SP_OK;
}

/* The token file: a regular file of at most SP_TASK_DATA_MAX_TOKENS ids
 * whose ids fit in memory, sized before anything is read, then read in
 * chunks of its stated size. */
static int read_data(sp_task *k)
{
  FILE *f = fopen(k->o.path, "rb");
  if (!f)
    return SP_EIO;
  struct stat sb;
  size_t w = (size_t)k->o.bytes;
  int st = fstat(fileno(f), &sb) ? SP_EIO : SP_OK;
  if (!st && !S_ISREG(sb.st_mode))
    st = SP_EINVAL;
  else if (!st && (sb.st_size <= 0 || (size_t)sb.st_size % w != 0))
    st = SP_EPARSE;
  else if (!st && sp_task_data_memory(sb.st_size, k->o.bytes) < 0.0)
    st = SP_ENOMEM;
  size_t ntok = st ? 0 : (size_t)sb.st_size / w, done = 0;
  unsigned char buf[1 << 16];
  if (!st && !(k->data = malloc(ntok * sizeof *k->data)))
    st = SP_ENOMEM;
  while (!st && done < ntok) {
    size_t want = ntok - done < sizeof buf / w ? ntok - done : sizeof buf / w;
    if (fread(buf, w, want, f) != want)
      st = SP_EIO; /* shorter than its size said, or a read error */
    else
      st = decode_ids(buf, want * w, w, k->o.vocab, k->data + done);
    done += want;
  }
  fclose(f);
  k->ndata = st ? 0 : (long)ntok;
  return st;
}

double sp_task_data_memory(long long size, int bytes)
{
  if (size <= 0 || (bytes != 2 && bytes != 4) || size % bytes != 0)
    return -1.0;
  long long ntok = size / bytes;
  double need = (double)ntok * (double)sizeof(uint32_t), limit = sp_sim_memory_limit();
  if (ntok > SP_TASK_DATA_MAX_TOKENS || (limit > 0.0 && need > limit / 2.0))
    return -1.0;
  return need;
}

static double masked_best(const sp_task *k);

/* The task, or NULL with *status set (sp_task_alloc). */
static sp_task *task_build(const sp_task_options *o, int *status)
{
  int dummy;
  if (!status)
    status = &dummy;
  *status = SP_EINVAL;
  if (!o)
    return NULL;
  *status = SP_EDOM;
  int masked = o->masked && o->kind != SP_TASK_DATA;
  if (o->vocab < 2 + masked || o->tokens < 2 || (o->kind == SP_TASK_COPY && o->tokens % 2) ||
      (masked && !(o->mask_fraction > 0.0 && o->mask_fraction <= 1.0)) ||
      (o->kind == SP_TASK_MARKOV && !(o->gamma > 0.0 && isfinite(o->gamma))) ||
      (o->kind == SP_TASK_DATA && (!o->path || (o->bytes != 2 && o->bytes != 4) ||
                                   !(o->holdout > 0.0 && o->holdout < 1.0))) ||
      (o->kind != SP_TASK_COPY && o->kind != SP_TASK_MARKOV && o->kind != SP_TASK_DATA) ||
      (o->masked && o->kind == SP_TASK_DATA))
    return NULL;
  sp_task *k = calloc(1, sizeof *k);
  if (!k) {
    *status = SP_ENOMEM;
    return NULL;
  }
  k->o = *o;
  k->o.path = NULL;
  k->nstate = o->vocab - masked;
  k->best = 0.0;
  int st = SP_OK;
  if (o->kind == SP_TASK_MARKOV) {
    st = make_chain(k);
    if (!st && masked)
      k->best = masked_best(k);
  } else if (o->kind == SP_TASK_DATA) {
    k->o.path = o->path;
    st = read_data(k);
    k->o.path = NULL;
    k->best = NAN;
    k->split = (long)floor((double)k->ndata * (1.0 - o->holdout));
    if (!st && (k->split < o->tokens + 1 || k->ndata - k->split < o->tokens + 1))
      st = SP_EDOM;
  }
  if (st) {
    sp_task_free(k);
    *status = st;
    return NULL;
  }
  *status = SP_OK;
  return k;
}

int sp_task_alloc(const sp_task_options *o, sp_task **out)
{
  if (!out)
    return SP_EINVAL;
  int s;
  *out = task_build(o, &s);
  return s;
}

double sp_task_best_loss(const sp_task *k)
{
  return k ? k->best : NAN;
}

/* Mask each of positions [from, T) with probability f (at least one):
 * the target is the token, the token becomes the mask id. */
static void mask_positions(const sp_task *k, gsl_rng *r, long from, int *tok, int *tgt)
{
  long T = k->o.tokens, any = 0;
  for (long t = 0; t < T; t++)
    tgt[t] = -1;
  for (long t = from; t < T; t++)
    if (gsl_rng_uniform(r) < k->o.mask_fraction) {
      tgt[t] = tok[t];
      any = 1;
    }
  if (!any) {
    long t = from + (long)gsl_rng_uniform_int(r, (unsigned long)(T - from));
    tgt[t] = tok[t];
  }
  for (long t = from; t < T; t++)
    if (tgt[t] >= 0)
      tok[t] = (int)(k->o.vocab - 1);
}

/* Sequence j of stream `eval` into T tokens and targets. */
static void sequence(const sp_task *k, gsl_rng *r, int eval, long j, int *tok, int *tgt)
{
  long T = k->o.tokens, n = T / 2;
  seed_rng(r, k->o.seed, eval, j);
  if (k->o.kind == SP_TASK_COPY) {
    for (long t = 0; t < n; t++)
      tok[t] = tok[t + n] = (int)gsl_rng_uniform_int(r, (unsigned long)k->nstate);
    if (k->o.masked)
      mask_positions(k, r, n, tok, tgt);
    else
      for (long t = 0; t < T; t++)
        tgt[t] = t >= n - 1 && t < T - 1 ? tok[t + 1] : -1;
  } else if (k->o.kind == SP_TASK_MARKOV) {
    long x = draw_row(r, k->pi, k->nstate);
    for (long t = 0; t < T; t++) {
      tok[t] = (int)x;
      x = draw_row(r, k->P + (size_t)x * (size_t)k->nstate, k->nstate);
      tgt[t] = (int)x;
    }
    if (k->o.masked)
      mask_positions(k, r, 0, tok, tgt);
  } else {
    long lo = eval ? k->split : 0, hi = eval ? k->ndata : k->split;
    long s = lo + (long)gsl_rng_uniform_int(r, (unsigned long)(hi - lo - T));
    for (long t = 0; t < T; t++) {
      tok[t] = (int)k->data[s + t];
      tgt[t] = (int)k->data[s + t + 1];
    }
  }
}

int sp_task_batch(const sp_task *k, int eval, long index, long batch, int *tokens, int *targets)
{
  if (!k || !tokens || !targets || index < 0 || batch < 1)
    return SP_EINVAL;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
  if (!r)
    return SP_ENOMEM;
  long T = k->o.tokens;
  for (long i = 0; i < batch; i++)
    sequence(k, r, eval != 0, index * batch + i, tokens + (size_t)i * (size_t)T,
             targets + (size_t)i * (size_t)T);
  gsl_rng_free(r);
  return SP_OK;
}

/* Bayes loss of one masked Markov sequence: the sum over masked positions
 * of -log p(x_t | unmasked tokens), by normalised forward-backward; the
 * number of masked positions into *count. */
static double masked_sequence_loss(const sp_task *k, const int *tok, const int *tgt,
                                   double *fw, double *bw, long *count)
{
  long n = k->nstate, T = k->o.tokens;
  const double *P = k->P;
  for (long t = 0; t < T; t++) {
    double *a = fw + (size_t)t * (size_t)n, z = 0.0;
    for (long x = 0; x < n; x++) {
      double p = 0.0;
      if (t == 0)
        p = k->pi[x];
      else
        for (long y = 0; y < n; y++)
          p += fw[(size_t)(t - 1) * (size_t)n + (size_t)y] * P[(size_t)y * (size_t)n + (size_t)x];
      a[x] = tgt[t] < 0 && tok[t] != x ? 0.0 : p;
      z += a[x];
    }
    for (long x = 0; x < n; x++)
      a[x] /= z;
  }
  double loss = 0.0;
  *count = 0;
  for (long t = T - 1; t >= 0; t--) {
    double *b = bw + (size_t)t * (size_t)n, z = 0.0;
    for (long x = 0; x < n; x++) {
      double p = 1.0;
      if (t < T - 1) {
        const double *nb = bw + (size_t)(t + 1) * (size_t)n;
        int obs = tgt[t + 1] < 0;
        p = 0.0;
        for (long y = 0; y < n; y++)
          if (!obs || tok[t + 1] == y)
            p += P[(size_t)x * (size_t)n + (size_t)y] * nb[y];
      }
      b[x] = p;
      z += p;
    }
    for (long x = 0; x < n; x++)
      b[x] /= z;
    if (tgt[t] >= 0) {
      double s = 0.0;
      for (long x = 0; x < n; x++)
        s += fw[(size_t)t * (size_t)n + (size_t)x] * b[x];
      loss -= log(fw[(size_t)t * (size_t)n + (size_t)tgt[t]] * b[tgt[t]] / s);
      (*count)++;
    }
  }
  return loss;
}

static double masked_best(const sp_task *k)
{
  long T = k->o.tokens, n = k->nstate, count = 0;
  int *tok = malloc((size_t)T * sizeof *tok), *tgt = malloc((size_t)T * sizeof *tgt);
  double *fw = malloc((size_t)T * (size_t)n * sizeof *fw);
  double *bw = malloc((size_t)T * (size_t)n * sizeof *bw);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
  double sum = 0.0;
  if (tok && tgt && fw && bw && r)
    for (long j = 0; j < BEST_SEQUENCES; j++) {
      long c;
      sequence(k, r, 1, j, tok, tgt);
      sum += masked_sequence_loss(k, tok, tgt, fw, bw, &c);
      count += c;
    }
  free(tok);
  free(tgt);
  free(fw);
  free(bw);
  gsl_rng_free(r);
  return count ? sum / (double)count : NAN;
}
