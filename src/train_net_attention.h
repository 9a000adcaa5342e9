/* Attention of the trained network, one (sequence, head) pair per task:
 * forward (scores q_t . k_s / sqrt(d/H), row softmax with the maximum
 * subtracted, causal or not; uniform weights 1/n) and reverse mode.  Part
 * of train_net_body.h (same R and FN()).
 * SPDX-License-Identifier: GPL-3.0-or-later */

typedef struct {
  const R *qkv; /* BT x 3d */
  R *att;       /* B x H x T x T */
  R *y;         /* BT x d */
  const R *dy;  /* backward: BT x d */
  R *dqkv;      /* backward: BT x 3d */
} FN(attn_arg);

static void FN(attn_fwd_task)(void *ctx, long task, int tid)
{
  const FN(attn_arg) *j = ((void **)ctx)[1];
  NET *n = ((void **)ctx)[0];
  long d = n->lay.d, T = n->lay.T, H = n->lay.H, dh = n->lay.dh;
  long b = task / H, h = task % H;
  int causal = n->m.causal, uniform = n->m.attention == SP_ATTN_UNIFORM;
  const R *base = j->qkv + (size_t)b * (size_t)T * (size_t)(3 * d);
  R *A = j->att + (size_t)task * (size_t)T * (size_t)T;
  double scale = 1.0 / sqrt((double)dh);
  (void)tid;
  for (long t = 0; t < T; t++) {
    long nk = causal ? t + 1 : T;
    R *a = A + (size_t)t * (size_t)T;
    const R *q = base + (size_t)t * (size_t)(3 * d) + h * dh;
    if (uniform) {
      for (long u = 0; u < nk; u++)
        a[u] = (R)(1.0 / (double)nk);
    } else {
      R mx = 0;
      for (long u = 0; u < nk; u++) {
        const R *k = base + (size_t)u * (size_t)(3 * d) + d + h * dh;
        R s = 0;
        for (long i = 0; i < dh; i++)
          s += q[i] * k[i];
        a[u] = (R)(s * scale);
        mx = u == 0 || a[u] > mx ? a[u] : mx;
      }
      double z = 0.0;
      for (long u = 0; u < nk; u++) {
        a[u] = (R)exp((double)(a[u] - mx));
        z += a[u];
      }
      for (long u = 0; u < nk; u++)
        a[u] = (R)(a[u] / z);
    }
    for (long u = nk; u < T; u++)
      a[u] = 0;
    R *y = j->y + ((size_t)b * (size_t)T + (size_t)t) * (size_t)d + h * dh;
    for (long i = 0; i < dh; i++)
      y[i] = 0;
    for (long u = 0; u < nk; u++) {
      const R *v = base + (size_t)u * (size_t)(3 * d) + 2 * d + h * dh;
      for (long i = 0; i < dh; i++)
        y[i] += a[u] * v[i];
    }
  }
}

/* dv_s = sum_t A_ts dy_t; dA_ts = dy_t . v_s; ds_ts = A_ts (dA_ts - sum_u
 * A_tu dA_tu); dq_t = sum_s ds_ts k_s / sqrt(dh); dk_s = sum_t ds_ts q_t /
 * sqrt(dh).  Uniform weights are constants: dq = dk = 0. */
static void FN(attn_bwd_task)(void *ctx, long task, int tid)
{
  const FN(attn_arg) *j = ((void **)ctx)[1];
  NET *n = ((void **)ctx)[0];
  long d = n->lay.d, T = n->lay.T, H = n->lay.H, dh = n->lay.dh;
  long b = task / H, h = task % H;
  int causal = n->m.causal, uniform = n->m.attention == SP_ATTN_UNIFORM;
  size_t row0 = (size_t)b * (size_t)T;
  const R *base = j->qkv + row0 * (size_t)(3 * d);
  R *dbase = j->dqkv + row0 * (size_t)(3 * d);
  const R *A = j->att + (size_t)task * (size_t)T * (size_t)T;
  R scale = (R)(1.0 / sqrt((double)dh));
  (void)tid;
  for (long t = 0; t < T; t++)
    for (long i = 0; i < 3 * dh; i++)
      dbase[(size_t)t * (size_t)(3 * d) + (size_t)((i / dh) * d + h * dh + i % dh)] = 0;
  for (long t = 0; t < T; t++) {
    long nk = causal ? t + 1 : T;
    const R *a = A + (size_t)t * (size_t)T;
    const R *dy = j->dy + (row0 + (size_t)t) * (size_t)d + h * dh;
    const R *q = base + (size_t)t * (size_t)(3 * d) + h * dh;
    R *dq = dbase + (size_t)t * (size_t)(3 * d) + h * dh;
    double mean = 0.0;
    for (long u = 0; u < nk; u++) {
      const R *v = base + (size_t)u * (size_t)(3 * d) + 2 * d + h * dh;
      R *dv = dbase + (size_t)u * (size_t)(3 * d) + 2 * d + h * dh;
      R da = 0;
      for (long i = 0; i < dh; i++) {
        dv[i] += a[u] * dy[i];
        da += dy[i] * v[i];
      }
      mean += (double)a[u] * (double)da;
    }
    if (uniform)
      continue;
    for (long u = 0; u < nk; u++) {
      const R *v = base + (size_t)u * (size_t)(3 * d) + 2 * d + h * dh;
      const R *k = base + (size_t)u * (size_t)(3 * d) + d + h * dh;
      R *dk = dbase + (size_t)u * (size_t)(3 * d) + d + h * dh;
      R da = 0;
      for (long i = 0; i < dh; i++)
        da += dy[i] * v[i];
      R ds = (R)((double)a[u] * ((double)da - mean)) * scale;
      for (long i = 0; i < dh; i++) {
        dq[i] += ds * k[i];
        dk[i] += ds * q[i];
      }
    }
  }
}

static void FN(attention)(NET *n, FN(attn_arg) *a, int backward)
{
  void *ctx[2] = {n, a};
  sp_pool_run(n->pool, n->lay.B * n->lay.H, backward ? FN(attn_bwd_task) : FN(attn_fwd_task),
              ctx);
}
