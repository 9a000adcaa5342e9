/* The finite-width simulator: a transformer at initialisation in single
 * precision, its per-layer statistics in double precision (theory.md §1, §2,
 * §9, §12).  Work is split into tasks whose partition never depends on the
 * number of threads, so results are identical for any thread count.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/sim.h"
#include "sigprop/activation.h"
#include "sigprop/status.h"
#include "sim_private.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ROWS_TARGET 48 /* rows per attention / statistics task (rounded to MR) */
#define PROJ_ROWS 96   /* rows per projection task */
#define GEN_CHUNK 64   /* rows of a random matrix per random stream (at least) */
#define GEN_MAX_CHUNKS 4096 /* random streams per matrix (at most) */
#define ALIGN 64

/* Random streams: one per (layer, matrix, chunk of GEN_CHUNK rows). */
enum {
  STREAM_INPUT_U = SP_SIM_STREAM_INPUT_U, STREAM_INPUT_Z = SP_SIM_STREAM_INPUT_Z,
  STREAM_WQ = SP_SIM_STREAM_WQ, STREAM_WK = SP_SIM_STREAM_WK, STREAM_WV = SP_SIM_STREAM_WV,
  STREAM_BV = SP_SIM_STREAM_BV, STREAM_W1 = SP_SIM_STREAM_W1, STREAM_B1 = SP_SIM_STREAM_B1,
  STREAM_W2 = SP_SIM_STREAM_W2, STREAM_B2 = SP_SIM_STREAM_B2, STREAM_R = SP_SIM_STREAM_R,
  STREAM_PROBE = SP_SIM_STREAM_PROBE
};

/* Tangents of the Jacobian runs: the end-to-end one and the fresh probe of
 * the current block. */
enum { TAN_CHAIN, TAN_FRESH, NTAN };

struct sp_sim {
  long d, T, H, dh, dff;
  unsigned flags;
  int nthreads;
  long mb, nblk, tpad;
  sp_pool *pool;
  gsl_rng **rng;    /* per thread */
  float **work;     /* per thread: packing buffer of the matrix kernel */
  float **sbuf;     /* per thread: mb x tpad scores, then attention weights */
  float **gbuf;     /* per thread: mb x tpad gradient w.r.t. the weights (gradient) */
  float *x;         /* T x d residual stream */
  float *xa;        /* T x d LayerNormed stream (pre-LN sub-block inputs) */
  float *qkv;       /* T x 3d queries | keys | values */
  float *y;         /* T x d sub-block output; normalised tokens for statistics */
  float *hid;       /* T x dff MLP hidden layer */
  float *wp;        /* packed weights of one block */
  float *bias;      /* b_V (d) | b_1 (dff) | b_2 (d) */
  float *kt, *vp;   /* per head: packed K_h^T / sqrt(dh) (dh x T) and V_h (T x dh) */
  double *rowstat;  /* 4 x H x T: Y2, Y3, entropy, max weight per row */
  double *colsum;   /* H x nblk x T: column sums of A per row block */
  double *norms;    /* T: token norms */
  double *blk;      /* 3 x max(nblk, d / PROJ_ROWS + 1): per-task partial sums */
  double *colacc;   /* d (>= dff): token means */
  /* gradient */
  float *delta;     /* T x d dL/dy */
  float *dq;        /* T x d dL/d(queries) */
  float *dw;        /* d x d dL/dW_Q */
  float *vt, *kp;   /* per head: packed V_h^T (dh x T) and K_h / sqrt(dh) (T x dh) */
  float *dqp;       /* packed dq (T x d) */
  /* Jacobian (forward-mode tangents) */
  float **jbuf;     /* per thread: mb x tpad score tangents */
  float *tx[NTAN];  /* T x d tangents of the stream */
  float *tqkv[NTAN];/* T x 3d tangents of queries | keys | values */
  float *ty[NTAN];  /* T x d tangents of the sub-block output */
  float *tkt[NTAN], *tvp[NTAN]; /* per head: packed key (transposed, scaled) and value tangents */
  float *txa;       /* T x d tangent of a LayerNormed sub-block input */
  float *thid;      /* T x dff tangent of the MLP hidden layer */
  float *dphi;      /* T x dff phi' at the MLP pre-activations */
  double chain_norm;/* squared norm of the end-to-end tangent after renormalising */
  double chain_log; /* log of the end-to-end growth so far */
};

/* ---- sizes ---------------------------------------------------------- */

typedef struct {
  double thread_floats; /* per thread */
  double floats, doubles;
} layout;

static long round_up(long a, long b) { return (a + b - 1) / b * b; }

static long rows_per_task(void)
{
  long mr = sp_kern_mr();
  return round_up(ROWS_TARGET, mr);
}

static double packf(long k, long n)
{
  long nr = sp_kern_nr();
  return (double)k * (double)round_up(n, nr);
}

/* What sp_sim_alloc allocates, in floats and doubles (the same formulas). */
static void compute_layout(long d, long T, long H, int grad, int jac, layout *l)
{
  long dh = d / H, dff = d, mb = rows_per_task(), nblk = (T + mb - 1) / mb;
  double Td = (double)T * (double)d, tpad = (double)round_up(T, sp_kern_nr());
  double wq = packf(d, 3 * d), wm = packf(d, dff) + packf(dff, d);
  double heads_kt = fmax((double)H * packf(dh, T), packf(d, T));
  double nb = fmax((double)nblk, (double)(d / PROJ_ROWS + 1));
  l->thread_floats = (double)sp_kern_work_floats() +
                     (double)mb * tpad * (1.0 + (grad ? 1.0 : 0.0) + (jac ? 1.0 : 0.0));
  /* x, xa, qkv (3), y; hid; packed weights; biases; per-head packs */
  l->floats = 6.0 * Td + (double)T * (double)dff + fmax(wq, wm) + 2.0 * (double)d +
              (double)dff + heads_kt + (double)H * packf(T, dh);
  if (grad) /* delta, dq; dw; per-head packs; packed dq */
    l->floats += 2.0 * Td + (double)d * (double)d + (double)H * (packf(dh, T) + packf(T, dh)) +
                 packf(T, d);
  if (jac) /* tx, tqkv, ty per tangent; txa; thid, dphi; per-head packs per tangent */
    l->floats += (double)NTAN * 5.0 * Td + Td + 2.0 * (double)T * (double)dff +
                 (double)NTAN * (fmax((double)H * packf(dh, T), packf(d, T)) +
                                 (double)H * packf(T, dh));
  /* rowstat, colsum, norms, blk, colacc */
  l->doubles = 4.0 * (double)H * (double)T + (double)H * (double)nblk * (double)T + (double)T +
               3.0 * nb + (double)(d > dff ? d : dff);
}

static int online_threads(int threads)
{
  if (threads > 0)
    return threads;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)(n > 1024 ? 1024 : n) : 1;
}

static int check_sizes(long width, long tokens, long heads)
{
  if (width < 2 || tokens < 2 || heads < 1 || heads > width || width % heads != 0)
    return SP_EDOM;
  return SP_OK;
}

int sp_sim_memory(long width, long tokens, long heads, int threads, unsigned flags, double *bytes)
{
  if (!bytes)
    return SP_EINVAL;
  int s = check_sizes(width, tokens, heads);
  if (s)
    return s;
  layout l;
  compute_layout(width, tokens, heads, (flags & SP_SIM_GRADIENT) != 0,
                 (flags & SP_SIM_JACOBIAN) != 0, &l);
  int n = online_threads(threads);
  *bytes = 4.0 * (l.floats + (double)n * l.thread_floats) + 8.0 * l.doubles +
           (double)n * 4096.0 /* random generators, bookkeeping */ + 65536.0;
  return SP_OK;
}

double sp_sim_memory_limit(void)
{
  long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || size <= 0)
    return 0.0;
  return (double)pages * (double)size;
}

const char *sp_sim_kernel_name(void)
{
  return sp_kern_name();
}

int sp_sim_threads(const sp_sim *s)
{
  return s->nthreads;
}

/* ---- allocation ---------------------------------------------------- */

static void *alloc_floats(double n)
{
  size_t bytes = (size_t)n * sizeof(float);
  bytes = (bytes + ALIGN - 1) / ALIGN * ALIGN;
  if (bytes == 0)
    bytes = ALIGN;
  return aligned_alloc(ALIGN, bytes);
}

static void *alloc_doubles(double n)
{
  size_t bytes = (size_t)n * sizeof(double);
  bytes = (bytes + ALIGN - 1) / ALIGN * ALIGN;
  if (bytes == 0)
    bytes = ALIGN;
  return aligned_alloc(ALIGN, bytes);
}

void sp_sim_free(sp_sim *s)
{
  if (!s)
    return;
  sp_pool_free(s->pool);
  for (int i = 0; i < s->nthreads; i++) {
    if (s->rng)
      gsl_rng_free(s->rng[i]);
    if (s->work)
      free(s->work[i]);
    if (s->sbuf)
      free(s->sbuf[i]);
    if (s->gbuf)
      free(s->gbuf[i]);
    if (s->jbuf)
      free(s->jbuf[i]);
  }
  free(s->jbuf);
  for (int j = 0; j < NTAN; j++) {
    free(s->tx[j]);
    free(s->tqkv[j]);
    free(s->ty[j]);
    free(s->tkt[j]);
    free(s->tvp[j]);
  }
  free(s->txa);
  free(s->thid);
  free(s->dphi);
  free(s->rng);
  free(s->work);
  free(s->sbuf);
  free(s->gbuf);
  free(s->x);
  free(s->xa);
  free(s->qkv);
  free(s->y);
  free(s->hid);
  free(s->wp);
  free(s->bias);
  free(s->kt);
  free(s->vp);
  free(s->rowstat);
  free(s->colsum);
  free(s->norms);
  free(s->blk);
  free(s->colacc);
  free(s->delta);
  free(s->dq);
  free(s->dw);
  free(s->vt);
  free(s->kp);
  free(s->dqp);
  free(s);
}

sp_sim *sp_sim_alloc(long width, long tokens, long heads, int threads, unsigned flags,
                     int *status)
{
  int dummy;
  if (!status)
    status = &dummy;
  double bytes;
  *status = sp_sim_memory(width, tokens, heads, threads, flags, &bytes);
  if (*status)
    return NULL;
  double limit = sp_sim_memory_limit();
  if ((limit > 0.0 && bytes > limit) || bytes > (double)SIZE_MAX / 2) {
    *status = SP_ENOMEM;
    return NULL;
  }
  sp_sim *s = calloc(1, sizeof *s);
  if (!s) {
    *status = SP_ENOMEM;
    return NULL;
  }
  long d = width, T = tokens, H = heads;
  int grad = (flags & SP_SIM_GRADIENT) != 0, jac = (flags & SP_SIM_JACOBIAN) != 0;
  s->d = d;
  s->T = T;
  s->H = H;
  s->dh = d / H;
  s->dff = d;
  s->flags = flags;
  s->mb = rows_per_task();
  s->nblk = (T + s->mb - 1) / s->mb;
  s->tpad = round_up(T, sp_kern_nr());
  s->pool = sp_pool_new(online_threads(threads));
  if (!s->pool)
    goto nomem;
  int n = s->nthreads = sp_pool_size(s->pool);
  s->rng = calloc((size_t)n, sizeof *s->rng);
  s->work = calloc((size_t)n, sizeof *s->work);
  s->sbuf = calloc((size_t)n, sizeof *s->sbuf);
  s->gbuf = calloc((size_t)n, sizeof *s->gbuf);
  s->jbuf = calloc((size_t)n, sizeof *s->jbuf);
  if (!s->rng || !s->work || !s->sbuf || !s->gbuf || !s->jbuf)
    goto nomem;
  for (int i = 0; i < n; i++) {
    s->rng[i] = gsl_rng_alloc(gsl_rng_taus2);
    s->work[i] = alloc_floats((double)sp_kern_work_floats());
    s->sbuf[i] = alloc_floats((double)s->mb * (double)s->tpad);
    if (grad)
      s->gbuf[i] = alloc_floats((double)s->mb * (double)s->tpad);
    if (jac)
      s->jbuf[i] = alloc_floats((double)s->mb * (double)s->tpad);
    if (!s->rng[i] || !s->work[i] || !s->sbuf[i] || (grad && !s->gbuf[i]) ||
        (jac && !s->jbuf[i]))
      goto nomem;
  }
  double Td = (double)T * (double)d;
  double wq = packf(d, 3 * d), wm = packf(d, s->dff) + packf(s->dff, d);
  double headpack = fmax((double)H * packf(s->dh, T), packf(d, T));
  long nb = s->nblk > d / PROJ_ROWS + 1 ? s->nblk : d / PROJ_ROWS + 1;
  s->x = alloc_floats(Td);
  s->xa = alloc_floats(Td);
  s->qkv = alloc_floats(3.0 * Td);
  s->y = alloc_floats(Td);
  s->hid = alloc_floats((double)T * (double)s->dff);
  s->wp = alloc_floats(wq > wm ? wq : wm);
  s->bias = alloc_floats(2.0 * (double)d + (double)s->dff);
  s->kt = alloc_floats(headpack);
  s->vp = alloc_floats((double)H * packf(T, s->dh));
  s->rowstat = alloc_doubles(4.0 * (double)H * (double)T);
  s->colsum = alloc_doubles((double)H * (double)s->nblk * (double)T);
  s->norms = alloc_doubles((double)T);
  s->blk = alloc_doubles(3.0 * (double)nb);
  s->colacc = alloc_doubles((double)(d > s->dff ? d : s->dff));
  if (!s->x || !s->xa || !s->qkv || !s->y || !s->hid || !s->wp || !s->bias || !s->kt ||
      !s->vp || !s->rowstat || !s->colsum || !s->norms || !s->blk || !s->colacc)
    goto nomem;
  if (grad) {
    s->delta = alloc_floats(Td);
    s->dq = alloc_floats(Td);
    s->dw = alloc_floats((double)d * (double)d);
    s->vt = alloc_floats((double)H * packf(s->dh, T));
    s->kp = alloc_floats((double)H * packf(T, s->dh));
    s->dqp = alloc_floats(packf(T, d));
    if (!s->delta || !s->dq || !s->dw || !s->vt || !s->kp || !s->dqp)
      goto nomem;
  }
  if (jac) {
    for (int j = 0; j < NTAN; j++) {
      s->tx[j] = alloc_floats(Td);
      s->tqkv[j] = alloc_floats(3.0 * Td);
      s->ty[j] = alloc_floats(Td);
      s->tkt[j] = alloc_floats(headpack);
      s->tvp[j] = alloc_floats((double)H * packf(T, s->dh));
      if (!s->tx[j] || !s->tqkv[j] || !s->ty[j] || !s->tkt[j] || !s->tvp[j])
        goto nomem;
    }
    s->txa = alloc_floats(Td);
    s->thid = alloc_floats((double)T * (double)s->dff);
    s->dphi = alloc_floats((double)T * (double)s->dff);
    if (!s->txa || !s->thid || !s->dphi)
      goto nomem;
  }
  *status = SP_OK;
  return s;
nomem:
  sp_sim_free(s);
  *status = SP_ENOMEM;
  return NULL;
}

void sp_sim_options_default(sp_sim_options *o)
{
  memset(o, 0, sizeof *o);
}

/* ---- random streams -------------------------------------------------- */

static uint64_t mix64(uint64_t z)
{
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* A bijection of 32-bit integers, so distinct stream numbers give distinct
 * generator seeds. */
static uint32_t mix32(uint32_t h)
{
  h ^= h >> 16;
  h *= 0x85ebca6bU;
  h ^= h >> 13;
  h *= 0xc2b2ae35U;
  h ^= h >> 16;
  return h;
}

/* Seed of stream (layer, kind, chunk) of the network drawn with `seed`:
 * distinct within a network as long as (layer * 16 + kind) * 4096 + chunk
 * < 2^32, i.e. for depth < 65536. */
static unsigned long stream_seed(unsigned long seed, long layer, int kind, long chunk)
{
  uint32_t base = (uint32_t)mix64((uint64_t)seed);
  uint32_t idx = (uint32_t)((((uint64_t)layer * 16u + (uint64_t)kind) << 12) + (uint64_t)chunk);
  return (unsigned long)mix32(base + idx);
}

/* A matrix of i.i.d. N(0, sd^2) entries, rows x cols, written either to a
 * plain array (dst, ld) or into columns col0.. of a packed matrix. */
typedef struct {
  int kind;
  long rows, cols;
  double sd;
  float *dst;
  long ld;
  sp_kpack *pack;
  long col0;
} gen_spec;

typedef struct {
  sp_sim *s;
  unsigned long seed;
  long layer;
  const gen_spec *specs;
  int nspecs;
} gen_job;

/* Rows per stream of a matrix with `rows` rows: GEN_CHUNK, or more so that
 * no matrix needs more than GEN_MAX_CHUNKS streams. */
static long chunk_rows(long rows)
{
  long c = (rows + GEN_MAX_CHUNKS - 1) / GEN_MAX_CHUNKS;
  return c > GEN_CHUNK ? c : GEN_CHUNK;
}

static long gen_chunks(const gen_spec *g)
{
  long c = chunk_rows(g->rows);
  return (g->rows + c - 1) / c;
}

static void gen_task(void *ctx, long task, int tid)
{
  const gen_job *job = ctx;
  const gen_spec *g = job->specs;
  for (int i = 0; i < job->nspecs; i++, g++) {
    long nc = gen_chunks(g);
    if (task >= nc) {
      task -= nc;
      continue;
    }
    gsl_rng *r = job->s->rng[tid];
    gsl_rng_set(r, stream_seed(job->seed, job->layer, g->kind, task));
    long c = chunk_rows(g->rows);
    long i0 = task * c, i1 = i0 + c < g->rows ? i0 + c : g->rows;
    for (long row = i0; row < i1; row++) {
      if (g->dst) {
        float *out = g->dst + (size_t)row * (size_t)g->ld;
        for (long j = 0; j < g->cols; j++)
          out[j] = (float)(g->sd * gsl_ran_gaussian_ziggurat(r, 1.0));
      } else {
        /* consecutive columns of a packed row are contiguous within a panel */
        sp_kpack *b = g->pack;
        long nr = sp_kern_nr();
        for (long j = 0; j < g->cols;) {
          long col = g->col0 + j, w = nr - col % nr;
          if (w > g->cols - j)
            w = g->cols - j;
          float *out = b->p + sp_kern_packb_index(b->k, b->n, row, col);
          for (long e = 0; e < w; e++)
            out[e] = (float)(g->sd * gsl_ran_gaussian_ziggurat(r, 1.0));
          j += w;
        }
      }
    }
    return;
  }
}

int sp_sim_draw(unsigned long seed, long layer, int kind, long rows, long cols, double sd,
                float *dst)
{
  gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
  if (!r)
    return SP_ENOMEM;
  long rc = chunk_rows(rows);
  for (long c = 0; c * rc < rows; c++) {
    gsl_rng_set(r, stream_seed(seed, layer, kind, c));
    for (long i = c * rc; i < rows && i < (c + 1) * rc; i++)
      for (long j = 0; j < cols; j++)
        dst[(size_t)i * (size_t)cols + (size_t)j] = (float)(sd * gsl_ran_gaussian_ziggurat(r, 1.0));
  }
  gsl_rng_free(r);
  return SP_OK;
}

static void generate(sp_sim *s, unsigned long seed, long layer, const gen_spec *specs,
                     int nspecs)
{
  gen_job job = {s, seed, layer, specs, nspecs};
  long n = 0;
  for (int i = 0; i < nspecs; i++)
    n += gen_chunks(&specs[i]);
  sp_pool_run(s->pool, n, gen_task, &job);
}

/* ---- row-wise helpers ------------------------------------------------ */

/* LayerNorm of the rows [r0, r1) of src into dst (may alias): centre and
 * scale each token over its d features.  Returns 0, or -1 when a token has
 * zero variance. */
static int layernorm_rows(const float *src, float *dst, long d, long r0, long r1)
{
  int bad = 0;
  for (long t = r0; t < r1; t++) {
    const float *a = src + (size_t)t * (size_t)d;
    float *b = dst + (size_t)t * (size_t)d;
    double sum = 0.0, sq = 0.0;
    for (long i = 0; i < d; i++)
      sum += a[i];
    double mu = sum / (double)d;
    for (long i = 0; i < d; i++) {
      double c = a[i] - mu;
      sq += c * c;
    }
    double var = sq / (double)d;
    if (!(var > 0.0) || !isfinite(var)) {
      bad = 1;
      for (long i = 0; i < d; i++)
        b[i] = 0.0f;
      continue;
    }
    double inv = 1.0 / sqrt(var);
    for (long i = 0; i < d; i++)
      b[i] = (float)((a[i] - mu) * inv);
  }
  return bad ? -1 : 0;
}

/* Token mean of the T x d array a into s->colacc (double). */
static void token_mean(sp_sim *s, const float *a, long ld, long cols)
{
  double *m = s->colacc;
  for (long j = 0; j < cols; j++)
    m[j] = 0.0;
  for (long t = 0; t < s->T; t++) {
    const float *r = a + (size_t)t * (size_t)ld;
    for (long j = 0; j < cols; j++)
      m[j] += r[j];
  }
  for (long j = 0; j < cols; j++)
    m[j] /= (double)s->T;
}

/* ---- per-layer statistics of the stream ----------------------------- */

typedef struct {
  sp_sim *s;
  const float *x;
} stats_job;

static void norms_task(void *ctx, long task, int tid)
{
  stats_job *job = ctx;
  sp_sim *s = job->s;
  (void)tid;
  long r0 = task * s->mb, r1 = r0 + s->mb < s->T ? r0 + s->mb : s->T;
  for (long t = r0; t < r1; t++) {
    const float *a = job->x + (size_t)t * (size_t)s->d;
    float *b = s->y + (size_t)t * (size_t)s->d;
    double sq = 0.0;
    for (long i = 0; i < s->d; i++)
      sq += (double)a[i] * (double)a[i];
    double n = sqrt(sq);
    s->norms[t] = n;
    double inv = n > 0.0 ? 1.0 / n : 0.0;
    for (long i = 0; i < s->d; i++)
      b[i] = (float)(a[i] * inv);
  }
}

static void gram_task(void *ctx, long task, int tid)
{
  stats_job *job = ctx;
  sp_sim *s = job->s;
  long r0 = task * s->mb, r1 = r0 + s->mb < s->T ? r0 + s->mb : s->T;
  sp_kpack b = {s->kt, s->d, s->T};
  float *c = s->sbuf[tid];
  sp_kern_gemm(r1 - r0, s->y + (size_t)r0 * (size_t)s->d, s->d, 0, &b, r0, s->T, s->d, c,
               s->tpad, 0, s->work[tid]);
  double sc = 0.0, sc2 = 0.0, sp = 0.0;
  for (long t = r0; t < r1; t++) {
    const float *row = c + (size_t)(t - r0) * (size_t)s->tpad;
    double nt = s->norms[t], a = 0.0, a2 = 0.0, ap = 0.0;
    for (long u = t + 1; u < s->T; u++) {
      double v = row[u];
      a += v;
      a2 += v * v;
      ap += v * s->norms[u];
    }
    sc += a;
    sc2 += a2;
    sp += nt * ap;
  }
  s->blk[3 * task] = sc;
  s->blk[3 * task + 1] = sc2;
  s->blk[3 * task + 2] = sp;
}

/* q, p, rho and the cosine statistics of the stream x into row `out`. */
static int stream_stats(sp_sim *s, const float *x, sp_sim_layer *out)
{
  stats_job job = {s, x};
  long T = s->T, d = s->d;
  sp_pool_run(s->pool, s->nblk, norms_task, &job);
  sp_kpack b = {s->kt, d, T};
  sp_kern_packb(d, T, s->y, d, 1, 1.0f, &b);
  sp_pool_run(s->pool, s->nblk, gram_task, &job);
  double sq = 0.0, sc = 0.0, sc2 = 0.0, sp = 0.0;
  for (long t = 0; t < T; t++)
    sq += s->norms[t] * s->norms[t];
  for (long k = 0; k < s->nblk; k++) {
    sc += s->blk[3 * k];
    sc2 += s->blk[3 * k + 1];
    sp += s->blk[3 * k + 2];
  }
  double pairs = 0.5 * (double)T * (double)(T - 1);
  out->q = sq / ((double)T * (double)d);
  out->p = sp / (pairs * (double)d);
  out->rho = out->p / out->q;
  out->cos_mean = sc / pairs;
  double var = sc2 / pairs - out->cos_mean * out->cos_mean;
  out->cos_std = sqrt(var > 0.0 ? var : 0.0);
  if (!isfinite(out->q))
    return SP_EOVERFLOW;
  if (!(out->q > 0.0))
    return SP_EUNDERFLOW;
  return SP_OK;
}

/* ---- projections ----------------------------------------------------- */

typedef struct {
  sp_sim *s;
  const float *a;   /* T x k input, leading dimension lda */
  long lda, k;
  const sp_kpack *b;
  float *c;
  long ldc;
  const float *bias; /* added to every row (may be NULL) */
  long bias_col;     /* first column the bias applies to */
  sp_activation act; /* applied after the bias when apply_act */
  int apply_act;
  double erf_scale;
  float *dphi;       /* when not NULL and apply_act: phi' at the pre-activations
                        (T x n, leading dimension ldc) */
  const float *mul;  /* when not NULL: multiply the result elementwise by it
                        (T x n, leading dimension ldc); a tangent through phi */
} proj_job;

static void proj_task(void *ctx, long task, int tid)
{
  proj_job *j = ctx;
  sp_sim *s = j->s;
  long r0 = task * PROJ_ROWS, r1 = r0 + PROJ_ROWS < s->T ? r0 + PROJ_ROWS : s->T;
  long n = j->b->n;
  float *c = j->c + (size_t)r0 * (size_t)j->ldc;
  sp_kern_gemm(r1 - r0, j->a + (size_t)r0 * (size_t)j->lda, j->lda, 0, j->b, 0, n, j->k, c,
               j->ldc, 0, s->work[tid]);
  if (!j->bias && !j->apply_act && !j->mul)
    return;
  for (long t = 0; t < r1 - r0; t++) {
    float *row = c + (size_t)t * (size_t)j->ldc;
    if (j->bias)
      for (long i = j->bias_col; i < n; i++)
        row[i] += j->bias[i - j->bias_col];
    if (j->mul) {
      const float *f = j->mul + (size_t)(r0 + t) * (size_t)j->ldc;
      for (long i = 0; i < n; i++)
        row[i] *= f[i];
    }
    if (!j->apply_act)
      continue;
    if (j->dphi) {
      float *f = j->dphi + (size_t)(r0 + t) * (size_t)j->ldc;
      if (j->act == SP_ACT_RELU)
        for (long i = 0; i < n; i++)
          f[i] = row[i] > 0.0f ? 1.0f : row[i] < 0.0f ? 0.0f : 0.5f;
      else
        for (long i = 0; i < n; i++)
          f[i] = (float)sp_activation_dphi(j->act, j->erf_scale, row[i]);
    }
    switch (j->act) {
    case SP_ACT_RELU:
      for (long i = 0; i < n; i++)
        row[i] = row[i] > 0.0f ? row[i] : 0.0f;
      break;
    case SP_ACT_LINEAR:
      break;
    default:
      for (long i = 0; i < n; i++)
        row[i] = (float)sp_activation_phi(j->act, j->erf_scale, row[i]);
    }
  }
}

static void project(sp_sim *s, proj_job *j)
{
  j->s = s;
  sp_pool_run(s->pool, (s->T + PROJ_ROWS - 1) / PROJ_ROWS, proj_task, j);
}

/* ---- attention -------------------------------------------------------- */

typedef struct {
  sp_sim *s;
  int causal;
  int grad;
  int jac;
} attn_job;

/* Packing tasks per head: keys and values, then (gradient) transposed
 * values and keys, then (Jacobian) the key and value tangents. */
static long pack_tasks(const attn_job *j)
{
  return 2 + (j->grad ? 2 : 0) + (j->jac ? 2 * NTAN : 0);
}

static void pack_heads_task(void *ctx, long task, int tid)
{
  attn_job *j = ctx;
  sp_sim *s = j->s;
  long per = pack_tasks(j);
  long d = s->d, T = s->T, dh = s->dh, h = task / per, kind = task % per;
  float scale = (float)(1.0 / sqrt((double)dh));
  const float *k = s->qkv + d + h * dh, *v = s->qkv + 2 * d + h * dh;
  sp_kpack b;
  (void)tid;
  if (kind >= 2 && !j->grad)
    kind += 2;
  if (kind >= 4) {
    int t = (int)((kind - 4) / 2);
    const float *tk = s->tqkv[t] + d + h * dh, *tv = s->tqkv[t] + 2 * d + h * dh;
    if ((kind - 4) % 2 == 0) {
      b.p = s->tkt[t] + (size_t)h * sp_kern_packb_floats(dh, T);
      sp_kern_packb(dh, T, tk, 3 * d, 1, scale, &b);
    } else {
      b.p = s->tvp[t] + (size_t)h * sp_kern_packb_floats(T, dh);
      sp_kern_packb(T, dh, tv, 3 * d, 0, 1.0f, &b);
    }
    return;
  }
  switch (kind) {
  case 0:
    b.p = s->kt + (size_t)h * sp_kern_packb_floats(dh, T);
    sp_kern_packb(dh, T, k, 3 * d, 1, scale, &b);
    break;
  case 1:
    b.p = s->vp + (size_t)h * sp_kern_packb_floats(T, dh);
    sp_kern_packb(T, dh, v, 3 * d, 0, 1.0f, &b);
    break;
  case 2:
    b.p = s->vt + (size_t)h * sp_kern_packb_floats(dh, T);
    sp_kern_packb(dh, T, v, 3 * d, 1, 1.0f, &b);
    break;
  default:
    b.p = s->kp + (size_t)h * sp_kern_packb_floats(T, dh);
    sp_kern_packb(T, dh, k, 3 * d, 0, scale, &b);
    break;
  }
}

static void attn_task(void *ctx, long task, int tid)
{
  attn_job *j = ctx;
  sp_sim *s = j->s;
  long d = s->d, T = s->T, dh = s->dh, H = s->H, ld = s->tpad;
  long h = task / s->nblk, blk = task % s->nblk;
  long r0 = blk * s->mb, r1 = r0 + s->mb < T ? r0 + s->mb : T, m = r1 - r0;
  long ncols = j->causal ? r1 : T;
  float *S = s->sbuf[tid], *work = s->work[tid];
  sp_kpack kt = {s->kt + (size_t)h * sp_kern_packb_floats(dh, T), dh, T};
  sp_kpack vp = {s->vp + (size_t)h * sp_kern_packb_floats(T, dh), T, dh};

  /* scores a_ts = q_t . k_s / sqrt(dh) (the scale is in the packed keys) */
  sp_kern_gemm(m, s->qkv + (size_t)r0 * (size_t)(3 * d) + h * dh, 3 * d, 0, &kt, 0, ncols, dh,
               S, ld, 0, work);

  double *y2 = s->rowstat + (size_t)(0 * H + h) * (size_t)T;
  double *y3 = s->rowstat + (size_t)(1 * H + h) * (size_t)T;
  double *ent = s->rowstat + (size_t)(2 * H + h) * (size_t)T;
  double *amax = s->rowstat + (size_t)(3 * H + h) * (size_t)T;
  double *cs = s->colsum + ((size_t)h * (size_t)s->nblk + (size_t)blk) * (size_t)T;
  for (long u = 0; u < T; u++)
    cs[u] = 0.0;
  for (long t = r0; t < r1; t++) {
    float *row = S + (size_t)(t - r0) * (size_t)ld;
    long n = j->causal ? t + 1 : T;
    float mx = row[0];
    for (long u = 1; u < n; u++)
      mx = row[u] > mx ? row[u] : mx;
    /* e_s = exp(a_ts - max); the entropy is log z - (1/z) sum_s e_s (a_ts - max) */
    double z = 0.0, zl = 0.0;
    for (long u = 0; u < n; u++) {
      float sh = row[u] - mx;
      float e = expf(sh);
      z += e;
      zl += (double)e * (double)sh;
      row[u] = e;
    }
    float inv = (float)(1.0 / z);
    double a2 = 0.0, a3 = 0.0;
    for (long u = 0; u < n; u++) {
      float a = row[u] * inv;
      double ad = a;
      a2 += ad * ad;
      a3 += ad * ad * ad;
      row[u] = a;
      cs[u] += ad;
    }
    for (long u = n; u < ncols; u++)
      row[u] = 0.0f;
    y2[t] = a2;
    y3[t] = a3;
    ent[t] = log(z) - zl / z;
    amax[t] = (double)inv; /* the largest weight is exp(0) / z */
  }

  /* y_t (head h) = sum_s A_ts v_s */
  sp_kern_gemm(m, S, ld, 0, &vp, 0, dh, ncols, s->y + (size_t)r0 * (size_t)d + h * dh, d, 0,
               work);

  /* Tangents: da_ts = (dq_t . k_s + q_t . dk_s) / sqrt(dh), dA_ts = A_ts (da_ts
   * - sum_u A_tu da_tu), dy_t = sum_s (dA_ts v_s + A_ts dv_s). */
  for (int tn = 0; j->jac && tn < NTAN; tn++) {
    float *D = s->jbuf[tid];
    sp_kpack tkt = {s->tkt[tn] + (size_t)h * sp_kern_packb_floats(dh, T), dh, T};
    sp_kpack tvp = {s->tvp[tn] + (size_t)h * sp_kern_packb_floats(T, dh), T, dh};
    size_t row0 = (size_t)r0 * (size_t)(3 * d) + (size_t)(h * dh);
    sp_kern_gemm(m, s->tqkv[tn] + row0, 3 * d, 0, &kt, 0, ncols, dh, D, ld, 0, work);
    sp_kern_gemm(m, s->qkv + row0, 3 * d, 0, &tkt, 0, ncols, dh, D, ld, 1, work);
    for (long t = r0; t < r1; t++) {
      const float *a = S + (size_t)(t - r0) * (size_t)ld;
      float *g = D + (size_t)(t - r0) * (size_t)ld;
      long n = j->causal ? t + 1 : T;
      double mean = 0.0;
      for (long u = 0; u < n; u++)
        mean += (double)a[u] * (double)g[u];
      for (long u = 0; u < n; u++)
        g[u] = (float)((double)a[u] * ((double)g[u] - mean));
      for (long u = n; u < ncols; u++)
        g[u] = 0.0f;
    }
    float *ty = s->ty[tn] + (size_t)r0 * (size_t)d + h * dh;
    sp_kern_gemm(m, D, ld, 0, &vp, 0, dh, ncols, ty, d, 0, work);
    sp_kern_gemm(m, S, ld, 0, &tvp, 0, dh, ncols, ty, d, 1, work);
  }

  if (!j->grad)
    return;
  /* dL/dA_ts = delta_t . v_s; softmax backward; dL/dq_t = sum_s dA_ts k_s / sqrt(dh) */
  float *G = s->gbuf[tid];
  sp_kpack vt = {s->vt + (size_t)h * sp_kern_packb_floats(dh, T), dh, T};
  sp_kpack kp = {s->kp + (size_t)h * sp_kern_packb_floats(T, dh), T, dh};
  sp_kern_gemm(m, s->delta + (size_t)r0 * (size_t)d + h * dh, d, 0, &vt, 0, ncols, dh, G, ld,
               0, work);
  for (long t = r0; t < r1; t++) {
    const float *a = S + (size_t)(t - r0) * (size_t)ld;
    float *g = G + (size_t)(t - r0) * (size_t)ld;
    long n = j->causal ? t + 1 : T;
    /* Shift by g[0] first: mathematically neutral (the weights sum to 1),
     * and exactly zero when every key carries the same value. */
    float ref = g[0];
    double mean = 0.0;
    for (long u = 0; u < n; u++)
      mean += (double)a[u] * (double)(g[u] - ref);
    for (long u = 0; u < n; u++)
      g[u] = (float)((double)a[u] * ((double)(g[u] - ref) - mean));
    for (long u = n; u < ncols; u++)
      g[u] = 0.0f;
  }
  sp_kern_gemm(m, G, ld, 0, &kp, 0, dh, ncols, s->dq + (size_t)r0 * (size_t)d + h * dh, d, 0,
               work);
}

typedef struct {
  sp_sim *s;
  const float *xa;
} dw_job;

static void dw_task(void *ctx, long task, int tid)
{
  dw_job *j = ctx;
  sp_sim *s = j->s;
  long d = s->d, i0 = task * PROJ_ROWS, i1 = i0 + PROJ_ROWS < d ? i0 + PROJ_ROWS : d;
  sp_kpack b = {s->dqp, s->T, d};
  float *c = s->dw + (size_t)i0 * (size_t)d;
  /* dW_Q[i][o] = sum_t xa[t][i] dq[t][o] */
  sp_kern_gemm(i1 - i0, j->xa + i0, d, 1, &b, 0, d, s->T, c, d, 0, s->work[tid]);
  double sum = 0.0;
  for (long i = 0; i < (i1 - i0) * d; i++)
    sum += (double)c[i] * (double)c[i];
  s->blk[task] = sum;
}

/* Uniform attention: every row averages the values it sees. */
static void uniform_attention(sp_sim *s, int causal, const float *qkv, float *y)
{
  long d = s->d, T = s->T;
  const float *v = qkv + 2 * d;
  double *acc = s->colacc;
  for (long i = 0; i < d; i++)
    acc[i] = 0.0;
  if (!causal) {
    for (long t = 0; t < T; t++)
      for (long i = 0; i < d; i++)
        acc[i] += v[(size_t)t * (size_t)(3 * d) + (size_t)i];
    for (long t = 0; t < T; t++)
      for (long i = 0; i < d; i++)
        y[(size_t)t * (size_t)d + (size_t)i] = (float)(acc[i] / (double)T);
  } else {
    for (long t = 0; t < T; t++) {
      for (long i = 0; i < d; i++) {
        acc[i] += v[(size_t)t * (size_t)(3 * d) + (size_t)i];
        y[(size_t)t * (size_t)d + (size_t)i] = (float)(acc[i] / (double)(t + 1));
      }
    }
  }
}

/* Reduce the per-row attention statistics into `out`. */
static void attention_stats(sp_sim *s, const sp_model *m, sp_sim_layer *out)
{
  long T = s->T, H = s->H;
  if (m->attention == SP_ATTN_UNIFORM) {
    /* A_ts = 1/n_t on the n_t keys row t sees */
    double y2 = 0.0, y3 = 0.0, ent = 0.0, c2 = 0.0, tail = 0.0;
    for (long t = 0; t < T; t++) {
      double n = m->causal ? (double)(t + 1) : (double)T;
      y2 += 1.0 / n;
      y3 += 1.0 / (n * n);
      ent += log(n);
    }
    out->y2sq = y3 / (double)T; /* (1/n)^2 = 1/n^2 */
    /* column sums: c_s = sum over rows seeing s of 1/n_t */
    for (long u = T - 1; u >= 0; u--) {
      if (m->causal)
        tail += 1.0 / (double)(u + 1);
      double c = m->causal ? tail : 1.0;
      c2 += c * c;
    }
    out->y2 = y2 / (double)T;
    out->y3 = y3 / (double)T;
    out->g = out->y2 - 2.0 * out->y3 + out->y2sq;
    out->entropy = ent / (double)T;
    out->max_attention = out->y2;
    out->overlap = (c2 - y2) / ((double)T * (double)(T - 1));
    return;
  }
  double sum[4] = {0.0, 0.0, 0.0, 0.0}, ov = 0.0, sq = 0.0, gs = 0.0;
  for (int k = 0; k < 4; k++)
    for (long h = 0; h < H; h++)
      for (long t = 0; t < T; t++)
        sum[k] += s->rowstat[((size_t)k * (size_t)H + (size_t)h) * (size_t)T + (size_t)t];
  /* G per row, Y2 - 2 Y3 + Y2^2, summed as such: at beta -> 0 the three
   * terms are each ~1/T while G ~ 1/T^2 */
  for (long h = 0; h < H; h++)
    for (long t = 0; t < T; t++) {
      double a2 = s->rowstat[(size_t)h * (size_t)T + (size_t)t];
      double a3 = s->rowstat[((size_t)H + (size_t)h) * (size_t)T + (size_t)t];
      sq += a2 * a2;
      gs += a2 - 2.0 * a3 + a2 * a2;
    }
  for (long h = 0; h < H; h++) {
    double c2 = 0.0, y2 = 0.0;
    for (long u = 0; u < T; u++) {
      double c = 0.0;
      for (long b = 0; b < s->nblk; b++)
        c += s->colsum[((size_t)h * (size_t)s->nblk + (size_t)b) * (size_t)T + (size_t)u];
      c2 += c * c;
    }
    for (long t = 0; t < T; t++)
      y2 += s->rowstat[(size_t)h * (size_t)T + (size_t)t];
    ov += (c2 - y2) / ((double)T * (double)(T - 1));
  }
  double n = (double)H * (double)T;
  out->y2 = sum[0] / n;
  out->y3 = sum[1] / n;
  out->y2sq = sq / n;
  out->g = gs / n;
  out->entropy = sum[2] / n;
  out->max_attention = sum[3] / n;
  out->overlap = ov / (double)H;
}

/* ---- one block -------------------------------------------------------- */

typedef struct {
  sp_sim *s;
  const sp_model *m;
  int post_ln;  /* LayerNorm after the residual sum */
  double alpha, gamma;
  const double *mean; /* token mean to subtract (times tau), or NULL */
  double tau;
  atomic_int bad;
  float *x;           /* the stream (or a tangent of it) */
  const float *y;     /* the sub-block output (or its tangent) */
} resid_job;

static void resid_task(void *ctx, long task, int tid)
{
  resid_job *j = ctx;
  sp_sim *s = j->s;
  long d = s->d, r0 = task * s->mb, r1 = r0 + s->mb < s->T ? r0 + s->mb : s->T;
  float a = (float)j->alpha, g = (float)j->gamma;
  (void)tid;
  for (long t = r0; t < r1; t++) {
    float *x = j->x + (size_t)t * (size_t)d;
    const float *y = j->y + (size_t)t * (size_t)d;
    for (long i = 0; i < d; i++)
      x[i] = a * x[i] + g * y[i];
  }
}

static void meanrm_task(void *ctx, long task, int tid)
{
  resid_job *j = ctx;
  sp_sim *s = j->s;
  long d = s->d, r0 = task * s->mb, r1 = r0 + s->mb < s->T ? r0 + s->mb : s->T;
  (void)tid;
  if (j->mean)
    for (long t = r0; t < r1; t++) {
      float *x = j->x + (size_t)t * (size_t)d;
      for (long i = 0; i < d; i++)
        x[i] = (float)(x[i] - j->tau * j->mean[i]);
    }
  if (j->post_ln && layernorm_rows(j->x, j->x, d, r0, r1))
    atomic_store(&j->bad, 1);
}

/* The LayerNorm's Jacobian at the stream x applied to a tangent: for each
 * token, with xhat = (x - mean)/sd, dt -> (c - xhat (xhat . c)/d) / sd where
 * c = dt - mean(dt). */
typedef struct {
  sp_sim *s;
  const float *x;
  const float *tin;
  float *tout; /* may alias tin */
} lnt_job;

static void lnt_task(void *ctx, long task, int tid)
{
  lnt_job *j = ctx;
  sp_sim *s = j->s;
  long d = s->d, r0 = task * s->mb, r1 = r0 + s->mb < s->T ? r0 + s->mb : s->T;
  (void)tid;
  for (long t = r0; t < r1; t++) {
    const float *a = j->x + (size_t)t * (size_t)d, *u = j->tin + (size_t)t * (size_t)d;
    float *o = j->tout + (size_t)t * (size_t)d;
    double sx = 0.0, su = 0.0, sq = 0.0, dot = 0.0;
    for (long i = 0; i < d; i++) {
      sx += a[i];
      su += u[i];
    }
    double mu = sx / (double)d, mt = su / (double)d;
    for (long i = 0; i < d; i++) {
      double c = a[i] - mu;
      sq += c * c;
      dot += c * ((double)u[i] - mt);
    }
    double var = sq / (double)d;
    if (!(var > 0.0) || !isfinite(var)) {
      for (long i = 0; i < d; i++)
        o[i] = 0.0f;
      continue;
    }
    /* xhat . c / d = dot / (d sd) */
    double inv = 1.0 / sqrt(var), k = dot / ((double)d * var);
    for (long i = 0; i < d; i++)
      o[i] = (float)((((double)u[i] - mt) - ((double)a[i] - mu) * k) * inv);
  }
}

static void layernorm_tangent(sp_sim *s, const float *x, const float *tin, float *tout)
{
  lnt_job j = {s, x, tin, tout};
  sp_pool_run(s->pool, s->nblk, lnt_task, &j);
}

typedef struct {
  sp_sim *s;
  const float *src;
  float *dst;
  atomic_int bad;
} ln_job;

static void ln_task(void *ctx, long task, int tid)
{
  ln_job *j = ctx;
  sp_sim *s = j->s;
  long r0 = task * s->mb, r1 = r0 + s->mb < s->T ? r0 + s->mb : s->T;
  (void)tid;
  if (layernorm_rows(j->src, j->dst, s->d, r0, r1))
    atomic_store(&j->bad, 1);
}

static int layernorm_all(sp_sim *s, const float *src, float *dst)
{
  ln_job j = {s, src, dst, 0};
  sp_pool_run(s->pool, s->nblk, ln_task, &j);
  return atomic_load(&j.bad) ? SP_EUNDERFLOW : SP_OK;
}

/* x <- a x + g y, token-mean removal (tau), LN when post_ln; with `jac`
 * the same linear maps on the tangents, and the LN's Jacobian at x. */
static int residual(sp_sim *s, const sp_model *m, double alpha, double gamma, double tau,
                    int post_ln, int jac)
{
  for (int tn = 0; jac && tn < NTAN; tn++) {
    resid_job t = {s, m, 0, alpha, gamma, NULL, tau, 0, s->tx[tn], s->ty[tn]};
    sp_pool_run(s->pool, s->nblk, resid_task, &t);
    if (tau > 0.0) {
      token_mean(s, s->tx[tn], s->d, s->d);
      t.mean = s->colacc;
      sp_pool_run(s->pool, s->nblk, meanrm_task, &t);
    }
  }
  resid_job j = {s, m, post_ln && !jac, alpha, gamma, NULL, tau, 0, s->x, s->y};
  sp_pool_run(s->pool, s->nblk, resid_task, &j);
  if (tau > 0.0) {
    token_mean(s, s->x, s->d, s->d);
    j.mean = s->colacc;
  }
  if (j.mean || j.post_ln)
    sp_pool_run(s->pool, s->nblk, meanrm_task, &j);
  if (post_ln && jac) {
    for (int tn = 0; tn < NTAN; tn++)
      layernorm_tangent(s, s->x, s->tx[tn], s->tx[tn]);
    return layernorm_all(s, s->x, s->x);
  }
  return atomic_load(&j.bad) ? SP_EUNDERFLOW : SP_OK;
}

static double sigma_a(const sp_model *m, const sp_sim_options *o)
{
  double tp = o->tokens_scale > 0.0 ? o->tokens_scale : (double)m->tokens;
  return m->beta * sqrt(log(tp));
}

/* Squared norm of a T x d array, reduced in a fixed order. */
typedef struct {
  sp_sim *s;
  const float *a;
} norm_job;

static void norm_task(void *ctx, long task, int tid)
{
  norm_job *j = ctx;
  sp_sim *s = j->s;
  long d = s->d, r0 = task * s->mb, r1 = r0 + s->mb < s->T ? r0 + s->mb : s->T;
  double sum = 0.0;
  (void)tid;
  for (size_t i = (size_t)r0 * (size_t)d; i < (size_t)r1 * (size_t)d; i++)
    sum += (double)j->a[i] * (double)j->a[i];
  s->blk[task] = sum;
}

static double sqnorm(sp_sim *s, const float *a)
{
  norm_job j = {s, a};
  sp_pool_run(s->pool, s->nblk, norm_task, &j);
  double sum = 0.0;
  for (long k = 0; k < s->nblk; k++)
    sum += s->blk[k];
  return sum;
}

/* An isotropic probe (i.i.d. N(0, 1) entries) into the T x d array dst;
 * returns its squared norm. */
static double draw_probe(sp_sim *s, unsigned long seed, long layer, float *dst)
{
  gen_spec g = {STREAM_PROBE, s->T, s->d, 1.0, dst, s->d, NULL, 0};
  generate(s, seed, layer, &g, 1);
  return sqnorm(s, dst);
}

/* The tangent tx[tn] as seen by a sub-block: itself, or for pre-LN blocks
 * its image under the LayerNorm's Jacobian at the stream, in s->txa. */
static const float *tangent_input(sp_sim *s, int pre, int tn)
{
  if (!pre)
    return s->tx[tn];
  layernorm_tangent(s, s->x, s->tx[tn], s->txa);
  return s->txa;
}

/* Subtract the token mean from every row of the T x d array a. */
static void centre_tokens(sp_sim *s, float *a)
{
  long d = s->d;
  token_mean(s, a, d, d);
  for (long t = 0; t < s->T; t++) {
    float *y = a + (size_t)t * (size_t)d;
    for (long i = 0; i < d; i++)
      y[i] = (float)(y[i] - s->colacc[i]);
  }
}

static int attention_block(sp_sim *s, const sp_model *m, const sp_sim_options *o,
                           unsigned long seed, long layer, const float *xa, sp_sim_layer *out)
{
  long d = s->d, T = s->T, H = s->H;
  int uniform = m->attention == SP_ATTN_UNIFORM;
  int grad = o->gradient && !uniform, jac = o->jacobian != 0;
  int pre = m->norm == SP_NORM_PRE;
  double sa = sigma_a(m, o);
  double sqk = sqrt(sa / (double)d), sv = sqrt(m->var_v / (double)d);
  double svb = sqrt(sp_model_var_vb(m));
  sp_kpack w = {s->wp, d, uniform ? d : 3 * d};
  sp_kern_packb_zero(&w);
  gen_spec g[5] = {
    {STREAM_WV, d, d, sv, NULL, 0, &w, uniform ? 0 : 2 * d},
    {STREAM_BV, 1, d, svb, s->bias, d, NULL, 0},
    {STREAM_WQ, d, d, sqk, NULL, 0, &w, 0},
    {STREAM_WK, d, d, sqk, NULL, 0, &w, d},
    {STREAM_R, T, d, 1.0, s->delta, d, NULL, 0},
  };
  int ng = uniform ? 2 : grad ? 5 : 4;
  generate(s, seed, layer, g, ng);

  proj_job pj = {s, xa, d, d, &w, uniform ? s->qkv + 2 * d : s->qkv, 3 * d, s->bias,
                 uniform ? 0 : 2 * d, SP_ACT_LINEAR, 0, 1.0, NULL, NULL};
  project(s, &pj);
  /* tangents of the queries, keys and values (no bias) */
  for (int tn = 0; jac && tn < NTAN; tn++) {
    proj_job tp = {s, tangent_input(s, pre, tn), d, d, &w,
                   uniform ? s->tqkv[tn] + 2 * d : s->tqkv[tn], 3 * d, NULL, 0,
                   SP_ACT_LINEAR, 0, 1.0, NULL, NULL};
    project(s, &tp);
    if (uniform)
      uniform_attention(s, m->causal, s->tqkv[tn], s->ty[tn]);
  }

  if (uniform) {
    uniform_attention(s, m->causal, s->qkv, s->y);
  } else {
    attn_job aj = {s, m->causal, grad, jac};
    if (grad) {
      /* delta = dL/dy = r / T, or its centred version when the output is */
      if (m->attention == SP_ATTN_CENTRED)
        token_mean(s, s->delta, d, d);
      for (long t = 0; t < T; t++) {
        float *r = s->delta + (size_t)t * (size_t)d;
        for (long i = 0; i < d; i++) {
          double v = r[i];
          if (m->attention == SP_ATTN_CENTRED)
            v -= s->colacc[i];
          r[i] = (float)(v / (double)T);
        }
      }
    }
    sp_pool_run(s->pool, pack_tasks(&aj) * H, pack_heads_task, &aj);
    sp_pool_run(s->pool, H * s->nblk, attn_task, &aj);
  }
  attention_stats(s, m, out);

  if (m->attention == SP_ATTN_CENTRED) {
    centre_tokens(s, s->y);
    for (int tn = 0; jac && tn < NTAN; tn++)
      centre_tokens(s, s->ty[tn]);
  }

  if (!o->gradient) {
    out->grad_wq = NAN;
  } else if (uniform) {
    out->grad_wq = 0.0;
  } else {
    sp_kpack b = {s->dqp, T, d};
    sp_kern_packb(T, d, s->dq, d, 0, 1.0f, &b);
    dw_job dj = {s, xa};
    long nt = (d + PROJ_ROWS - 1) / PROJ_ROWS;
    sp_pool_run(s->pool, nt, dw_task, &dj);
    double sum = 0.0;
    for (long k = 0; k < nt; k++)
      sum += s->blk[k];
    double tp = o->tokens_scale > 0.0 ? o->tokens_scale : (double)T;
    out->grad_wq = (double)T / ((double)d * (double)d * sqrt(log(tp))) * sum;
  }
  return SP_OK;
}

static int mlp_block(sp_sim *s, const sp_model *m, const sp_sim_options *o, unsigned long seed,
                     long layer, const float *xm)
{
  int jac = o->jacobian != 0, pre = m->norm == SP_NORM_PRE;
  long d = s->d, dff = s->dff;
  sp_kpack w1 = {s->wp, d, dff};
  sp_kpack w2 = {s->wp + sp_kern_packb_floats(d, dff), dff, d};
  sp_kern_packb_zero(&w1);
  sp_kern_packb_zero(&w2);
  double sb = sqrt(m->var_b);
  gen_spec g[4] = {
    {STREAM_W1, d, dff, sqrt(m->var_w_in / (double)d), NULL, 0, &w1, 0},
    {STREAM_W2, dff, d, sqrt(m->var_w_out / (double)dff), NULL, 0, &w2, 0},
    {STREAM_B1, 1, dff, sb, s->bias + d, dff, NULL, 0},
    {STREAM_B2, 1, d, sb, s->bias + d + dff, d, NULL, 0},
  };
  generate(s, seed, layer, g, 4);
  proj_job p1 = {s, xm, d, d, &w1, s->hid, dff, s->bias + d, 0, m->activation, 1, m->erf_scale,
                 jac ? s->dphi : NULL, NULL};
  project(s, &p1);
  proj_job p2 = {s, s->hid, dff, dff, &w2, s->y, d, s->bias + d + dff, 0, SP_ACT_LINEAR, 0, 1.0,
                 NULL, NULL};
  project(s, &p2);
  /* tangents: (dx W_1) phi'(pre-activation), then W_2 */
  for (int tn = 0; jac && tn < NTAN; tn++) {
    proj_job t1 = {s, tangent_input(s, pre, tn), d, d, &w1, s->thid, dff, NULL, 0,
                   SP_ACT_LINEAR, 0, 1.0, NULL, s->dphi};
    project(s, &t1);
    proj_job t2 = {s, s->thid, dff, dff, &w2, s->ty[tn], d, NULL, 0, SP_ACT_LINEAR, 0, 1.0,
                   NULL, NULL};
    project(s, &t2);
  }
  return SP_OK;
}

/* After a block: the fresh probe's growth, and the end-to-end tangent's
 * growth folded into s->chain_log, the tangent rescaled to the norm of a
 * probe so that single precision never overflows along the way. */
static void jacobian_record(sp_sim *s, double probe, sp_sim_layer *out)
{
  out->grad_chi = sqnorm(s, s->tx[TAN_FRESH]) / probe;
  if (!isfinite(s->chain_log)) {
    out->grad_chi_total = exp(s->chain_log);
    return;
  }
  double n = sqnorm(s, s->tx[TAN_CHAIN]);
  if (!(n > 0.0) || !isfinite(n)) {
    s->chain_log = n == 0.0 ? -INFINITY : NAN;
    out->grad_chi_total = exp(s->chain_log);
    return;
  }
  s->chain_log += log(n / s->chain_norm);
  out->grad_chi_total = exp(s->chain_log);
  float k = (float)sqrt((double)s->T * (double)s->d / n);
  float *a = s->tx[TAN_CHAIN];
  for (size_t i = 0; i < (size_t)s->T * (size_t)s->d; i++)
    a[i] *= k;
  s->chain_norm = sqnorm(s, a);
}

static int block(sp_sim *s, const sp_model *m, const sp_sim_options *o, unsigned long seed,
                 long layer, const sp_sim_layer *prev, sp_sim_layer *out)
{
  int st;
  int pre = m->norm == SP_NORM_PRE, post = m->norm == SP_NORM_POST;
  int jac = o->jacobian != 0;
  double probe = jac ? draw_probe(s, seed, layer, s->tx[TAN_FRESH]) : 0.0;
  const float *xa = s->x;
  if (pre) {
    if ((st = layernorm_all(s, s->x, s->xa)))
      return st;
    xa = s->xa;
  }
  if (o->gradient || jac) {
    if (pre) {
      sp_sim_layer in;
      if ((st = stream_stats(s, s->xa, &in)))
        return st;
      out->qa = in.q;
      out->pa = in.p;
    } else {
      out->qa = prev->q;
      out->pa = prev->p;
    }
  }
  if ((st = attention_block(s, m, o, seed, layer, xa, out)))
    return st;
  if ((st = residual(s, m, m->alpha_sa, m->branch_sa, m->mean_removal, post, jac)))
    return st;
  if (m->mlp) {
    const float *xm = s->x;
    if (pre) {
      if ((st = layernorm_all(s, s->x, s->xa)))
        return st;
      xm = s->xa;
    }
    if ((st = mlp_block(s, m, o, seed, layer, xm)))
      return st;
    if ((st = residual(s, m, m->alpha_mlp, m->branch_mlp, 0.0, post, jac)))
      return st;
  }
  if (jac)
    jacobian_record(s, probe, out);
  return stream_stats(s, s->x, out);
}

static void input_tokens(sp_sim *s, const sp_model *m, unsigned long seed)
{
  long d = s->d, T = s->T;
  /* u into y's first row, z into x */
  gen_spec g[2] = {
    {STREAM_INPUT_U, 1, d, 1.0, s->y, d, NULL, 0},
    {STREAM_INPUT_Z, T, d, 1.0, s->x, d, NULL, 0},
  };
  generate(s, seed, 0, g, 2);
  double q0 = m->q0, rho = m->rho0;
  if (rho >= 0.0) {
    double a = sqrt(q0 * rho), b = sqrt(q0 * (1.0 - rho));
    for (long t = 0; t < T; t++) {
      float *x = s->x + (size_t)t * (size_t)d;
      for (long i = 0; i < d; i++)
        x[i] = (float)(a * s->y[i] + b * x[i]);
    }
  } else {
    double k = rho / (1.0 - rho), kt = 1.0 + k * (double)T;
    double kappa = 1.0 - sqrt(kt > 0.0 ? kt : 0.0), c = sqrt(q0 / (1.0 + k));
    token_mean(s, s->x, d, d);
    for (long t = 0; t < T; t++) {
      float *x = s->x + (size_t)t * (size_t)d;
      for (long i = 0; i < d; i++)
        x[i] = (float)(c * (x[i] - kappa * s->colacc[i]));
    }
  }
}

static void nan_row(sp_sim_layer *r, long layer)
{
  r->layer = layer;
  r->q = r->p = r->rho = r->cos_mean = r->cos_std = NAN;
  r->y2 = r->y3 = r->entropy = r->max_attention = r->overlap = r->grad_wq = NAN;
  r->y2sq = r->g = r->qa = r->pa = r->grad_chi = r->grad_chi_total = NAN;
}

static int run(sp_sim *s, const sp_model *m, const sp_sim_options *o, unsigned long seed,
               double eps, sp_sim_layer *out, long *done)
{
  long dummy;
  if (!done)
    done = &dummy;
  *done = 0;
  if (!s || !m || !out)
    return SP_EINVAL;
  sp_sim_options def;
  if (!o) {
    sp_sim_options_default(&def);
    o = &def;
  }
  int st = sp_model_validate(m, NULL);
  if (st)
    return st;
  if (m->tokens != s->T || (o->gradient && !(s->flags & SP_SIM_GRADIENT)) ||
      (o->jacobian && !(s->flags & SP_SIM_JACOBIAN)))
    return SP_EINVAL;
  if (!(o->tokens_scale == 0.0 || (o->tokens_scale >= 2.0 && isfinite(o->tokens_scale))))
    return SP_EDOM;
  for (long l = 0; l <= m->depth; l++)
    nan_row(&out[l], l);

  input_tokens(s, m, seed);
  if (o->input_ln && (st = layernorm_all(s, s->x, s->x)))
    return st;
  if ((st = stream_stats(s, s->x, &out[0])))
    return st;
  if (o->jacobian) {
    s->chain_norm = draw_probe(s, seed, 0, s->tx[TAN_CHAIN]);
    s->chain_log = 0.0;
    out[0].grad_chi_total = 1.0;
    if (eps != 0.0) {
      for (size_t i = 0; i < (size_t)s->T * (size_t)s->d; i++)
        s->x[i] = (float)((double)s->x[i] + eps * (double)s->tx[TAN_CHAIN][i]);
      if ((st = stream_stats(s, s->x, &out[0])))
        return st;
    }
  }
  *done = 1;
  if (o->progress)
    o->progress(o->progress_data, 0, m->depth);
  for (long l = 1; l <= m->depth; l++) {
    if ((st = block(s, m, o, seed, l, &out[l - 1], &out[l]))) {
      nan_row(&out[l], l);
      return st;
    }
    *done = l + 1;
    if (o->progress)
      o->progress(o->progress_data, l, m->depth);
  }
  return SP_OK;
}

int sp_sim_run(sp_sim *s, const sp_model *m, const sp_sim_options *o, unsigned long seed,
               sp_sim_layer *out, long *done)
{
  return run(s, m, o, seed, 0.0, out, done);
}

int sp_sim_run_perturbed(sp_sim *s, const sp_model *m, const sp_sim_options *o,
                         unsigned long seed, double eps, sp_sim_layer *out, long *done)
{
  if (!o || !o->jacobian)
    return SP_EINVAL;
  return run(s, m, o, seed, eps, out, done);
}

const float *sp_sim_stream(const sp_sim *s, int tangent)
{
  if (!tangent)
    return s->x;
  return (s->flags & SP_SIM_JACOBIAN) ? s->tx[TAN_CHAIN] : NULL;
}

/* ---- summaries --------------------------------------------------------- */

static sp_sim_estimate estimate(const sp_sim_layer *runs, size_t nruns, size_t rows, size_t l,
                                size_t off)
{
  sp_sim_estimate e;
  double sum = 0.0;
  for (size_t r = 0; r < nruns; r++)
    sum += *(const double *)((const char *)&runs[r * rows + l] + off);
  e.mean = sum / (double)nruns;
  if (nruns < 2) {
    e.se = NAN;
    return e;
  }
  double ss = 0.0;
  for (size_t r = 0; r < nruns; r++) {
    double v = *(const double *)((const char *)&runs[r * rows + l] + off) - e.mean;
    ss += v * v;
  }
  e.se = sqrt(ss / (double)(nruns - 1) / (double)nruns);
  return e;
}

int sp_sim_summarise(const sp_sim_layer *runs, size_t nruns, size_t rows, sp_sim_summary *out)
{
  if (!runs || !out || nruns < 1)
    return SP_EINVAL;
  for (size_t l = 0; l < rows; l++) {
    sp_sim_summary *o = &out[l];
    o->layer = runs[l].layer;
    o->n = (long)nruns;
#define EST(field) estimate(runs, nruns, rows, l, offsetof(sp_sim_layer, field))
    o->q = EST(q);
    o->p = EST(p);
    o->cos_mean = EST(cos_mean);
    o->cos_std = EST(cos_std);
    o->y2 = EST(y2);
    o->y3 = EST(y3);
    o->entropy = EST(entropy);
    o->max_attention = EST(max_attention);
    o->overlap = EST(overlap);
    o->grad_wq = EST(grad_wq);
    o->y2sq = EST(y2sq);
    o->g = EST(g);
    o->qa = EST(qa);
    o->pa = EST(pa);
    o->grad_chi = EST(grad_chi);
    o->grad_chi_total = EST(grad_chi_total);
#undef EST
    double R = o->p.mean / o->q.mean;
    o->rho.mean = R;
    if (nruns < 2) {
      o->rho.se = NAN;
      continue;
    }
    double vpp = 0.0, vqq = 0.0, vpq = 0.0;
    for (size_t r = 0; r < nruns; r++) {
      double dp = runs[r * rows + l].p - o->p.mean, dq = runs[r * rows + l].q - o->q.mean;
      vpp += dp * dp;
      vqq += dq * dq;
      vpq += dp * dq;
    }
    double k = 1.0 / (double)(nruns - 1);
    double var = k * (vpp - 2.0 * R * vpq + R * R * vqq) / (o->q.mean * o->q.mean);
    o->rho.se = sqrt((var > 0.0 ? var : 0.0) / (double)nruns);
  }
  return SP_OK;
}

double sp_sim_flops(const sp_model *m, long width, long heads)
{
  double d = (double)width, T = (double)m->tokens, dff = d;
  (void)heads; /* the head split does not change the count */
  double f = 0.0;
  if (m->attention == SP_ATTN_UNIFORM)
    f += 2.0 * T * d * d;
  else
    f += 2.0 * T * d * 3.0 * d + 2.0 * 2.0 * T * T * d;
  if (m->mlp)
    f += 2.0 * 2.0 * T * d * dff;
  return f * (double)m->depth;
}
