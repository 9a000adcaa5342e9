/* The simulator's workspace and the helpers its files share (sim_memory.c,
 * sim_random.c, sim_stats.c, sim_attention.c, sim_tangent.c, sim_forward.c).
 * Private to the library.  Work is split into tasks whose partition never
 * depends on the number of threads, so results are identical for any
 * thread count.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_SIM_STATE_H
#define SIGPROP_SIM_STATE_H

#include <gsl/gsl_rng.h>
#include <stdatomic.h>

#include "sigprop/activation.h"
#include "sigprop/sim.h"
#include "sim_private.h"

#define SP_SIM_ROWS_TARGET 48 /* rows per attention / statistics task (rounded to MR) */
#define SP_SIM_PROJ_ROWS 96   /* rows per projection task */

/* Tangents of the Jacobian runs: the end-to-end one and the fresh probe of
 * the current block. */
enum { SP_SIM_TAN_CHAIN, SP_SIM_TAN_FRESH, SP_SIM_NTAN };

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
  float *tx[SP_SIM_NTAN];  /* T x d tangents of the stream */
  float *tqkv[SP_SIM_NTAN];/* T x 3d tangents of queries | keys | values */
  float *ty[SP_SIM_NTAN];  /* T x d tangents of the sub-block output */
  float *tkt[SP_SIM_NTAN], *tvp[SP_SIM_NTAN]; /* per head: packed key (transposed, scaled)
                                                 and value tangents */
  float *txa;       /* T x d tangent of a LayerNormed sub-block input */
  float *thid;      /* T x dff tangent of the MLP hidden layer */
  float *dphi;      /* T x dff phi' at the MLP pre-activations */
  double chain_norm;/* squared norm of the end-to-end tangent after renormalising */
  double chain_log; /* log of the end-to-end growth so far */
};

/* Rows [*r0, *r1) of task `task` when the T tokens are cut into blocks of
 * `rows` (the last one clipped at T). */
static inline void sp_sim_rows(const sp_sim *s, long task, long rows, long *r0, long *r1)
{
  *r0 = task * rows;
  *r1 = *r0 + rows < s->T ? *r0 + rows : s->T;
}

/* Calls row(ctx, t) for every token t < T, over the pool: the rows cut
 * into the tasks of s->mb rows each (the attention's blocks), so that the
 * work is split the same way for any number of threads.  For the maps that
 * treat each token on its own (residual sums, LayerNorms, norms). */
void sp_sim_each_row(sp_sim *s, void (*row)(void *ctx, long t), void *ctx);

/* The context of a pool task that reads one array of the stream (T x d,
 * or d x d for the weight gradient). */
typedef struct {
  sp_sim *s;
  const float *a;
} sp_sim_array_job;

/* ---- random streams (sim_random.c) ------------------------------------ */

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
} sp_sim_gen;

/* Draw the matrices `specs` of block `layer` of network `seed`. */
void sp_sim_generate(sp_sim *s, unsigned long seed, long layer, const sp_sim_gen *specs,
                     int nspecs);

/* ---- statistics (sim_stats.c) ----------------------------------------- */

/* q, p, rho and the cosine statistics of the T x d stream x into `out`
 * (uses s->y, s->kt, s->sbuf as scratch); SP_EOVERFLOW / SP_EUNDERFLOW. */
int sp_sim_stream_stats(sp_sim *s, const float *x, sp_sim_layer *out);

/* Reduce the per-row attention statistics of the last attention into `out`. */
void sp_sim_attention_stats(sp_sim *s, const sp_model *m, sp_sim_layer *out);

/* Squared norm of a T x d array, reduced in a fixed order. */
double sp_sim_sqnorm(sp_sim *s, const float *a);

/* ---- row-wise helpers and projections (sim_forward.c) ----------------- */

/* Token mean of the T x `cols` array a (leading dimension ld) into s->colacc. */
void sp_sim_token_mean(sp_sim *s, const float *a, long ld, long cols);

/* LayerNorm of every token of src into dst (may alias); SP_EUNDERFLOW when
 * a token has zero variance. */
int sp_sim_layernorm_all(sp_sim *s, const float *src, float *dst);

/* One product of the T-row array a (T x k) with a packed matrix, with an
 * optional bias, activation (and its derivative) or elementwise factor. */
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
} sp_sim_proj;

void sp_sim_project(sp_sim *s, sp_sim_proj *j);

/* ---- attention (sim_attention.c) -------------------------------------- */

/* Softmax or centred attention of the queries, keys and values in s->qkv
 * into s->y, head by head, with the per-row statistics; with `grad` the
 * query gradient dL/dq into s->dq for dL/dy = s->delta; with `jac` the
 * tangents s->tqkv -> s->ty. */
void sp_sim_attention_heads(sp_sim *s, int causal, int grad, int jac);

/* Uniform attention: every row averages the values it sees. */
void sp_sim_uniform_attention(sp_sim *s, int causal, const float *qkv, float *y);

/* ||dL/dW_Q||_F^2 = ||xa^T dq||^2 from s->dq and the attention input xa. */
double sp_sim_query_grad_sqnorm(sp_sim *s, const float *xa);

/* ---- tangents (sim_tangent.c) ----------------------------------------- */

/* Tangent rows [r0, r1) of head h: the score tangents in s->jbuf[tid],
 * then s->ty[tn] for both tangents.  S holds the attention weights of
 * those rows (leading dimension s->tpad), kt and vp the packed keys and
 * values of head h. */
void sp_sim_attention_tangent_rows(sp_sim *s, int causal, long h, long r0, long r1,
                                   const sp_kpack *kt, const sp_kpack *vp, const float *S,
                                   int tid);

/* The LayerNorm's Jacobian at the stream x applied to the tangent tin,
 * into tout (may alias tin). */
void sp_sim_layernorm_tangent(sp_sim *s, const float *x, const float *tin, float *tout);

/* The tangent tx[tn] as seen by a sub-block: itself, or for pre-LN blocks
 * its image under the LayerNorm's Jacobian at the stream, in s->txa. */
const float *sp_sim_tangent_input(sp_sim *s, int pre, int tn);

/* An isotropic probe (i.i.d. N(0, 1) entries) into the T x d array dst;
 * returns its squared norm. */
double sp_sim_draw_probe(sp_sim *s, unsigned long seed, long layer, float *dst);

/* After a block: record the probes' growth into `out` and renormalise the
 * end-to-end tangent. */
void sp_sim_jacobian_record(sp_sim *s, double probe, sp_sim_layer *out);

#endif
