/* The simulator's statistics: order parameters and cosine similarities of
 * the stream, attention statistics per layer, squared norms, the summary
 * over networks (means, standard errors, the ratio rho with its
 * delta-method error), and the flop count for throughput reports
 * (theory.md §2, §9, §12).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/sim.h"
#include "sigprop/status.h"
#include "sim_state.h"

#include <math.h>
#include <stddef.h>

/* ---- per-layer statistics of the stream ----------------------------- */

/* The norm of token t of the array into s->norms[t], the token over it into
 * s->y (zero for a zero token). */
static void norms_row(void *ctx, long t)
{
  const sp_sim_array_job *job = ctx;
  sp_sim *s = job->s;
  const float *a = job->a + (size_t)t * (size_t)s->d;
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

static void gram_task(void *ctx, long task, int tid)
{
  const sp_sim_array_job *job = ctx;
  sp_sim *s = job->s;
  long r0, r1;
  sp_sim_rows(s, task, s->mb, &r0, &r1);
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
int sp_sim_stream_stats(sp_sim *s, const float *x, sp_sim_layer *out)
{
  sp_sim_array_job job = {s, x};
  long T = s->T, d = s->d;
  sp_sim_each_row(s, norms_row, &job);
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

/* Reduce the per-row attention statistics into `out`. */
void sp_sim_attention_stats(sp_sim *s, const sp_model *m, sp_sim_layer *out)
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

/* Squared norm of a T x d array, reduced in a fixed order. */
static void norm_task(void *ctx, long task, int tid)
{
  const sp_sim_array_job *j = ctx;
  sp_sim *s = j->s;
  long d = s->d, r0, r1;
  sp_sim_rows(s, task, s->mb, &r0, &r1);
  double sum = 0.0;
  (void)tid;
  for (size_t i = (size_t)r0 * (size_t)d; i < (size_t)r1 * (size_t)d; i++)
    sum += (double)j->a[i] * (double)j->a[i];
  s->blk[task] = sum;
}

double sp_sim_sqnorm(sp_sim *s, const float *a)
{
  sp_sim_array_job j = {s, a};
  sp_pool_run(s->pool, s->nblk, norm_task, &j);
  double sum = 0.0;
  for (long k = 0; k < s->nblk; k++)
    sum += s->blk[k];
  return sum;
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
