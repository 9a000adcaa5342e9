/* The simulator's attention, head by head: scores, softmax and the per-row
 * statistics, the product with the values, and the backward pass to the
 * query gradient (theory.md §1, §9); uniform attention.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/sim.h"
#include "sigprop/status.h"
#include "sim_state.h"

#include <math.h>

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
  return 2 + (j->grad ? 2 : 0) + (j->jac ? 2 * SP_SIM_NTAN : 0);
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

/* Scores of rows [r0, r1) of head h into S, softmax in place (the
 * weights, zero beyond the keys a row sees), and the per-row statistics. */
static void softmax_rows(sp_sim *s, int causal, long h, long blk, long r0, long r1,
                         const sp_kpack *kt, float *S, float *work)
{
  long d = s->d, T = s->T, dh = s->dh, H = s->H, ld = s->tpad;
  long ncols = causal ? r1 : T;
  /* scores a_ts = q_t . k_s / sqrt(dh) (the scale is in the packed keys) */
  sp_kern_gemm(r1 - r0, s->qkv + (size_t)r0 * (size_t)(3 * d) + h * dh, 3 * d, 0, kt, 0, ncols,
               dh, S, ld, 0, work);

  double *y2 = s->rowstat + (size_t)(0 * H + h) * (size_t)T;
  double *y3 = s->rowstat + (size_t)(1 * H + h) * (size_t)T;
  double *ent = s->rowstat + (size_t)(2 * H + h) * (size_t)T;
  double *amax = s->rowstat + (size_t)(3 * H + h) * (size_t)T;
  double *cs = s->colsum + ((size_t)h * (size_t)s->nblk + (size_t)blk) * (size_t)T;
  for (long u = 0; u < T; u++)
    cs[u] = 0.0;
  for (long t = r0; t < r1; t++) {
    float *row = S + (size_t)(t - r0) * (size_t)ld;
    long n = causal ? t + 1 : T;
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
}

/* dL/dA_ts = delta_t . v_s; softmax backward; dL/dq_t = sum_s dA_ts k_s /
 * sqrt(dh), rows [r0, r1) of head h. */
static void backward_rows(sp_sim *s, int causal, long h, long r0, long r1, const float *S,
                          int tid)
{
  long d = s->d, T = s->T, dh = s->dh, ld = s->tpad, m = r1 - r0;
  long ncols = causal ? r1 : T;
  float *work = s->work[tid];
  float *G = s->gbuf[tid];
  sp_kpack vt = {s->vt + (size_t)h * sp_kern_packb_floats(dh, T), dh, T};
  sp_kpack kp = {s->kp + (size_t)h * sp_kern_packb_floats(T, dh), T, dh};
  sp_kern_gemm(m, s->delta + (size_t)r0 * (size_t)d + h * dh, d, 0, &vt, 0, ncols, dh, G, ld,
               0, work);
  for (long t = r0; t < r1; t++) {
    const float *a = S + (size_t)(t - r0) * (size_t)ld;
    float *g = G + (size_t)(t - r0) * (size_t)ld;
    long n = causal ? t + 1 : T;
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

static void attn_task(void *ctx, long task, int tid)
{
  attn_job *j = ctx;
  sp_sim *s = j->s;
  long d = s->d, T = s->T, dh = s->dh, ld = s->tpad;
  long h = task / s->nblk, blk = task % s->nblk, r0, r1;
  sp_sim_rows(s, blk, s->mb, &r0, &r1);
  long m = r1 - r0, ncols = j->causal ? r1 : T;
  float *S = s->sbuf[tid], *work = s->work[tid];
  sp_kpack kt = {s->kt + (size_t)h * sp_kern_packb_floats(dh, T), dh, T};
  sp_kpack vp = {s->vp + (size_t)h * sp_kern_packb_floats(T, dh), T, dh};

  softmax_rows(s, j->causal, h, blk, r0, r1, &kt, S, work);
  /* y_t (head h) = sum_s A_ts v_s */
  sp_kern_gemm(m, S, ld, 0, &vp, 0, dh, ncols, s->y + (size_t)r0 * (size_t)d + h * dh, d, 0,
               work);
  if (j->jac)
    sp_sim_attention_tangent_rows(s, j->causal, h, r0, r1, &kt, &vp, S, tid);
  if (j->grad)
    backward_rows(s, j->causal, h, r0, r1, S, tid);
}

void sp_sim_attention_heads(sp_sim *s, int causal, int grad, int jac)
{
  attn_job aj = {s, causal, grad, jac};
  sp_pool_run(s->pool, pack_tasks(&aj) * s->H, pack_heads_task, &aj);
  sp_pool_run(s->pool, s->H * s->nblk, attn_task, &aj);
}

static void dw_task(void *ctx, long task, int tid)
{
  const sp_sim_array_job *j = ctx;
  sp_sim *s = j->s;
  long d = s->d, i0 = task * SP_SIM_PROJ_ROWS, i1 = i0 + SP_SIM_PROJ_ROWS < d ? i0 + SP_SIM_PROJ_ROWS : d;
  sp_kpack b = {s->dqp, s->T, d};
  float *c = s->dw + (size_t)i0 * (size_t)d;
  /* dW_Q[i][o] = sum_t xa[t][i] dq[t][o] */
  sp_kern_gemm(i1 - i0, j->a + i0, d, 1, &b, 0, d, s->T, c, d, 0, s->work[tid]);
  double sum = 0.0;
  for (long i = 0; i < (i1 - i0) * d; i++)
    sum += (double)c[i] * (double)c[i];
  s->blk[task] = sum;
}

double sp_sim_query_grad_sqnorm(sp_sim *s, const float *xa)
{
  long d = s->d, T = s->T;
  sp_kpack b = {s->dqp, T, d};
  sp_kern_packb(T, d, s->dq, d, 0, 1.0f, &b);
  sp_sim_array_job dj = {s, xa};
  long nt = (d + SP_SIM_PROJ_ROWS - 1) / SP_SIM_PROJ_ROWS;
  sp_pool_run(s->pool, nt, dw_task, &dj);
  double sum = 0.0;
  for (long k = 0; k < nt; k++)
    sum += s->blk[k];
  return sum;
}

/* Uniform attention: every row averages the values it sees. */
void sp_sim_uniform_attention(sp_sim *s, int causal, const float *qkv, float *y)
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
