/* The simulator's forward-mode tangents: the directional derivatives of
 * attention, of the LayerNorm, the isotropic probes and the record of the
 * Jacobian's growth per block (theory.md §9).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/sim.h"
#include "sigprop/status.h"
#include "rowops.h"
#include "sim_state.h"

#include <math.h>

/* Tangents: da_ts = (dq_t . k_s + q_t . dk_s) / sqrt(dh), dA_ts = A_ts (da_ts
 * - sum_u A_tu da_tu), dy_t = sum_s (dA_ts v_s + A_ts dv_s). */
void sp_sim_attention_tangent_rows(sp_sim *s, int causal, long h, long r0, long r1,
                                   const sp_kpack *kt, const sp_kpack *vp, const float *S,
                                   int tid)
{
  long d = s->d, T = s->T, dh = s->dh, ld = s->tpad, m = r1 - r0;
  long ncols = causal ? r1 : T;
  float *work = s->work[tid];
  for (int tn = 0; tn < SP_SIM_NTAN; tn++) {
    float *D = s->jbuf[tid];
    sp_kpack tkt = {s->tkt[tn] + (size_t)h * sp_kern_packb_floats(dh, T), dh, T};
    sp_kpack tvp = {s->tvp[tn] + (size_t)h * sp_kern_packb_floats(T, dh), T, dh};
    size_t row0 = (size_t)r0 * (size_t)(3 * d) + (size_t)(h * dh);
    sp_kern_gemm(m, s->tqkv[tn] + row0, 3 * d, 0, kt, 0, ncols, dh, D, ld, 0, work);
    sp_kern_gemm(m, s->qkv + row0, 3 * d, 0, &tkt, 0, ncols, dh, D, ld, 1, work);
    for (long t = r0; t < r1; t++)
      sp_rows_softmax_jac(S + (size_t)(t - r0) * (size_t)ld, D + (size_t)(t - r0) * (size_t)ld,
                          causal ? t + 1 : T, ncols);
    float *ty = s->ty[tn] + (size_t)r0 * (size_t)d + h * dh;
    sp_kern_gemm(m, D, ld, 0, vp, 0, dh, ncols, ty, d, 0, work);
    sp_kern_gemm(m, S, ld, 0, &tvp, 0, dh, ncols, ty, d, 1, work);
  }
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

static void lnt_row(void *ctx, long t)
{
  lnt_job *j = ctx;
  long d = j->s->d;
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
    return;
  }
  /* xhat . c / d = dot / (d sd) */
  double inv = 1.0 / sqrt(var), k = dot / ((double)d * var);
  for (long i = 0; i < d; i++)
    o[i] = (float)((((double)u[i] - mt) - ((double)a[i] - mu) * k) * inv);
}

void sp_sim_layernorm_tangent(sp_sim *s, const float *x, const float *tin, float *tout)
{
  lnt_job j = {s, x, tin, tout};
  sp_sim_each_row(s, lnt_row, &j);
}

/* An isotropic probe (i.i.d. N(0, 1) entries) into the T x d array dst;
 * returns its squared norm. */
double sp_sim_draw_probe(sp_sim *s, unsigned long seed, long layer, float *dst)
{
  sp_sim_gen g = {SP_SIM_STREAM_PROBE, s->T, s->d, 1.0, dst, s->d, NULL, 0};
  sp_sim_generate(s, seed, layer, &g, 1);
  return sp_sim_sqnorm(s, dst);
}

/* The tangent tx[tn] as seen by a sub-block: itself, or for pre-LN blocks
 * its image under the LayerNorm's Jacobian at the stream, in s->txa. */
const float *sp_sim_tangent_input(sp_sim *s, int pre, int tn)
{
  if (!pre)
    return s->tx[tn];
  sp_sim_layernorm_tangent(s, s->x, s->tx[tn], s->txa);
  return s->txa;
}

/* After a block: the fresh probe's growth, and the end-to-end tangent's
 * growth folded into s->chain_log, the tangent rescaled to the norm of a
 * probe so that single precision never overflows along the way. */
void sp_sim_jacobian_record(sp_sim *s, double probe, sp_sim_layer *out)
{
  out->grad_chi = sp_sim_sqnorm(s, s->tx[SP_SIM_TAN_FRESH]) / probe;
  if (!isfinite(s->chain_log)) {
    out->grad_chi_total = exp(s->chain_log);
    return;
  }
  double n = sp_sim_sqnorm(s, s->tx[SP_SIM_TAN_CHAIN]);
  if (!(n > 0.0) || !isfinite(n)) {
    s->chain_log = n == 0.0 ? -INFINITY : NAN;
    out->grad_chi_total = exp(s->chain_log);
    return;
  }
  s->chain_log += log(n / s->chain_norm);
  out->grad_chi_total = exp(s->chain_log);
  float k = (float)sqrt((double)s->T * (double)s->d / n);
  float *a = s->tx[SP_SIM_TAN_CHAIN];
  for (size_t i = 0; i < (size_t)s->T * (size_t)s->d; i++)
    a[i] *= k;
  s->chain_norm = sp_sim_sqnorm(s, a);
}
