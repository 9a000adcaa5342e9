/* The trained network's forward and reverse passes, written once for a real
 * type R and a name prefix FN(): included by train_net_f32.c (float, the
 * simulator's packed kernels) and train_net_f64.c (double, plain loops).
 * The network is the simulator's (sigprop/sim.h, theory.md §1) between a
 * token + position embedding and an output projection with a softmax
 * cross-entropy loss.  Work is cut into tasks that never depend on the
 * number of threads (rows of a product, sequences, (sequence, head) pairs),
 * and every reduction runs in a fixed order, so results are identical for
 * any thread count.
 * SPDX-License-Identifier: GPL-3.0-or-later */

/* expects: R, FN(name), NET (struct name), and TRAIN_PACKED (1 or 0) */

#define GEMM_ROWS 64 /* rows of C per task */

struct NET {
  sp_train_layout lay;
  sp_model m;
  sp_pool *pool;
  int nthreads;
  long BT;
  R *w, *g;          /* parameters and their gradient */
  R *stream, *srs;   /* (L+1) x BT x d streams entering each block; inverse sd of
                        the post-LN that produced them (BT each) */
  R *x1, *x1rs;      /* L x BT x d stream after the attention sub-block */
  R *lna, *lnars;    /* L x BT x d pre-LN attention inputs */
  R *lnm, *lnmrs;    /* L x BT x d pre-LN MLP inputs */
  R *qkv;            /* L x BT x 3d */
  R *att;            /* L x B x H x T x T attention weights */
  R *hp, *h;         /* L x BT x dff MLP pre- and post-activations */
  R *xf, *xfrs;      /* BT x d final stream (LayerNormed for pre-LN) */
  R *prob;           /* BT x V softmax of the logits, then dL/dlogits */
  R *dx, *dr, *dy, *da; /* BT x d scratch */
  R *dqkv;           /* BT x 3d */
  R *dh;             /* BT x dff */
  double *part;      /* B: per-sequence partial sums */
  double *acc;       /* max(3d, dff): column sums */
  const int *tok, *tgt;
  long ntarget;
  R **tscr;          /* per thread: T x T attention scratch */
#if TRAIN_PACKED
  float *pack;       /* packed B of a product */
  float **work;      /* per thread */
  float **tpack;     /* per thread: packed B of an attention product */
#endif
};

static void *FN(alloc_r)(double n)
{
  size_t bytes = ((size_t)n * sizeof(R) + 63) / 64 * 64;
  return aligned_alloc(64, bytes ? bytes : 64);
}

/* ---- products ---------------------------------------------------------- */

typedef struct {
  NET *n;
  long m, k, nn;
  const R *a;
  long lda;
  int ta;
  const R *b;
  long ldb;
  int tb;
  R *c;
  long ldc;
  int acc;
} FN(gemm_job);

/* Columns per task of a packed product: whole panels, so that tasks never
 * share an element of C (each element is summed by one call, in the same
 * order whatever the partition). */
static long FN(gemm_cols)(void)
{
#if TRAIN_PACKED
  return 2L * sp_kern_nr();
#else
  return 1L << 30;
#endif
}

static void FN(gemm_task)(void *ctx, long task, int tid)
{
  FN(gemm_job) *j = ctx;
  long cols = FN(gemm_cols)(), ncb = (j->nn + cols - 1) / cols;
  long rb = task / ncb, cb = task % ncb;
  long r0 = rb * GEMM_ROWS, r1 = r0 + GEMM_ROWS < j->m ? r0 + GEMM_ROWS : j->m;
  const R *a = j->a + (j->ta ? (size_t)r0 : (size_t)r0 * (size_t)j->lda);
#if TRAIN_PACKED
  long c0 = cb * cols, c1 = c0 + cols < j->nn ? c0 + cols : j->nn;
  sp_kpack p = {j->n->pack, j->k, j->nn};
  sp_kern_gemm(r1 - r0, a, j->lda, j->ta, &p, c0, c1, j->k, j->c + (size_t)r0 * (size_t)j->ldc,
               j->ldc, j->acc, j->n->work[tid]);
#else
  (void)cb;
  (void)tid;
  for (long i = 0; i < r1 - r0; i++) {
    R *c = j->c + (size_t)(r0 + i) * (size_t)j->ldc;
    for (long col = 0; col < j->nn; col++) {
      double s = 0.0;
      for (long l = 0; l < j->k; l++) {
        R av = j->ta ? a[(size_t)l * (size_t)j->lda + (size_t)i] : a[(size_t)i * (size_t)j->lda + (size_t)l];
        R bv = j->tb ? j->b[(size_t)col * (size_t)j->ldb + (size_t)l]
                     : j->b[(size_t)l * (size_t)j->ldb + (size_t)col];
        s += (double)av * (double)bv;
      }
      c[col] = (R)(j->acc ? c[col] + s : s);
    }
  }
#endif
}

/* C[m x nn] (+)= op(A)[m x k] op(B)[k x nn]; op(A)(i, l) is a[l lda + i]
 * when ta, a[i lda + l] otherwise; likewise B with tb. */
static void FN(gemm)(NET *n, long m, long k, long nn, const R *a, long lda, int ta, const R *b,
                     long ldb, int tb, R *c, long ldc, int acc)
{
  FN(gemm_job) j = {n, m, k, nn, a, lda, ta, b, ldb, tb, c, ldc, acc};
#if TRAIN_PACKED
  sp_kpack p = {n->pack, k, nn};
  sp_kern_packb(k, nn, b, ldb, tb, 1.0f, &p);
#endif
  long cols = FN(gemm_cols)();
  sp_pool_run(n->pool, (m + GEMM_ROWS - 1) / GEMM_ROWS * ((nn + cols - 1) / cols),
              FN(gemm_task), &j);
}

/* ---- per-sequence work ------------------------------------------------- */

typedef struct {
  NET *n;
  void (*f)(NET *n, const void *arg, long b);
  const void *arg;
} FN(seq_job);

static void FN(seq_task)(void *ctx, long task, int tid)
{
  FN(seq_job) *j = ctx;
  (void)tid;
  j->f(j->n, j->arg, task);
}

static void FN(per_seq)(NET *n, void (*f)(NET *n, const void *arg, long b), const void *arg)
{
  FN(seq_job) j = {n, f, arg};
  sp_pool_run(n->pool, n->lay.B, FN(seq_task), &j);
}

/* LayerNorm (no affine, no epsilon) of sequence b's rows of src into dst,
 * with the inverse standard deviations into rs; a constant token gives 0. */
typedef struct {
  const R *src;
  R *dst, *rs;
} FN(ln_arg);

static void FN(ln_seq)(NET *n, const void *arg, long b)
{
  const FN(ln_arg) *a = arg;
  long d = n->lay.d, T = n->lay.T;
  for (long t = b * T; t < (b + 1) * T; t++) {
    const R *x = a->src + (size_t)t * (size_t)d;
    R *y = a->dst + (size_t)t * (size_t)d;
    double mu = 0.0, sq = 0.0;
    for (long i = 0; i < d; i++)
      mu += x[i];
    mu /= (double)d;
    for (long i = 0; i < d; i++)
      sq += ((double)x[i] - mu) * ((double)x[i] - mu);
    double var = sq / (double)d, inv = var > 0.0 && isfinite(var) ? 1.0 / sqrt(var) : 0.0;
    a->rs[t] = (R)inv;
    for (long i = 0; i < d; i++)
      y[i] = (R)(((double)x[i] - mu) * inv);
  }
}

static void FN(layernorm)(NET *n, const R *src, R *dst, R *rs)
{
  FN(ln_arg) a = {src, dst, rs};
  FN(per_seq)(n, FN(ln_seq), &a);
}

/* dx = rs (dy - mean dy - y mean(dy y)) for y = LN(x): into dx (may alias
 * dy), or added to it when acc. */
typedef struct {
  const R *dy, *y, *rs;
  R *dx;
  int acc;
} FN(lnb_arg);

static void FN(lnb_seq)(NET *n, const void *arg, long b)
{
  const FN(lnb_arg) *a = arg;
  long d = n->lay.d, T = n->lay.T;
  for (long t = b * T; t < (b + 1) * T; t++) {
    const R *dy = a->dy + (size_t)t * (size_t)d, *y = a->y + (size_t)t * (size_t)d;
    R *dx = a->dx + (size_t)t * (size_t)d;
    double m1 = 0.0, m2 = 0.0, rs = a->rs[t];
    for (long i = 0; i < d; i++) {
      m1 += dy[i];
      m2 += (double)dy[i] * (double)y[i];
    }
    m1 /= (double)d;
    m2 /= (double)d;
    for (long i = 0; i < d; i++) {
      double v = rs * ((double)dy[i] - m1 - (double)y[i] * m2);
      dx[i] = (R)(a->acc ? dx[i] + v : v);
    }
  }
}

static void FN(layernorm_back)(NET *n, const R *dy, const R *y, const R *rs, R *dx, int acc)
{
  FN(lnb_arg) a = {dy, y, rs, dx, acc};
  FN(per_seq)(n, FN(lnb_seq), &a);
}

/* Within each sequence: x <- x - tau mean_t x (token-mean removal; tau = 1
 * centres).  The map is symmetric, so the reverse pass applies it too. */
typedef struct {
  R *x;
  double tau;
} FN(centre_arg);

static void FN(centre_seq)(NET *n, const void *arg, long b)
{
  const FN(centre_arg) *a = arg;
  long d = n->lay.d, T = n->lay.T;
  R *x = a->x + (size_t)b * (size_t)T * (size_t)d;
  for (long i = 0; i < d; i++) {
    double s = 0.0;
    for (long t = 0; t < T; t++)
      s += x[(size_t)t * (size_t)d + (size_t)i];
    R mean = (R)(a->tau * s / (double)T);
    for (long t = 0; t < T; t++)
      x[(size_t)t * (size_t)d + (size_t)i] -= mean;
  }
}

static void FN(centre)(NET *n, R *x, double tau)
{
  FN(centre_arg) a = {x, tau};
  FN(per_seq)(n, FN(centre_seq), &a);
}

/* out = alpha x + gamma y elementwise over BT x d (out may alias x or y). */
static void FN(axpby)(NET *n, double alpha, const R *x, double gamma, const R *y, R *out)
{
  R a = (R)alpha, g = (R)gamma;
  size_t N = (size_t)n->BT * (size_t)n->lay.d;
  for (size_t i = 0; i < N; i++)
    out[i] = a * x[i] + g * y[i];
}

/* Column sums of the BT x cols array a (leading dimension ld) into g, in
 * row order. */
static void FN(colsum)(NET *n, const R *a, long ld, long cols, R *g)
{
  double *s = n->acc;
  sp_rows_colsum(a, n->BT, ld, cols, s);
  for (long j = 0; j < cols; j++)
    g[j] = (R)s[j];
}

/* Add the bias row b (cols) to every row of the BT x cols array a. */
static void FN(add_bias)(NET *n, R *a, long ld, long cols, const R *b)
{
  for (long t = 0; t < n->BT; t++) {
    R *row = a + (size_t)t * (size_t)ld;
    for (long j = 0; j < cols; j++)
      row[j] += b[j];
  }
}

#include "train_net_attention.h"
#include "train_net_passes.h"

#undef GEMM_ROWS
