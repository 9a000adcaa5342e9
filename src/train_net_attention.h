/* Attention of the trained network, one (sequence, head) pair per task:
 * forward (scores q_t . k_s / sqrt(d/H), row softmax with the maximum
 * subtracted, causal or not; uniform weights 1/n) and reverse mode, every
 * product on the packed kernels (single precision) or plain loops (double).
 * Part of train_net_body.h (same R and FN()).
 * SPDX-License-Identifier: GPL-3.0-or-later */

typedef struct {
  const R *qkv; /* BT x 3d */
  R *att;       /* B x H x T x T */
  R *y;         /* BT x d */
  const R *dy;  /* backward: BT x d */
  R *dqkv;      /* backward: BT x 3d */
} FN(attn_arg);

/* C[m x nn] (+)= op(A) op(B) scale on thread tid (no pool): op as in
 * FN(gemm). */
static void FN(lgemm)(NET *n, int tid, long m, long k, long nn, const R *a, long lda, int ta,
                      const R *b, long ldb, int tb, double scale, R *c, long ldc)
{
#if TRAIN_PACKED
  sp_kpack p = {n->tpack[tid], k, nn};
  sp_kern_packb(k, nn, b, ldb, tb, (float)scale, &p);
  sp_kern_gemm(m, a, lda, ta, &p, 0, nn, k, c, ldc, 0, n->work[tid]);
#else
  (void)n;
  (void)tid;
  for (long i = 0; i < m; i++)
    for (long j = 0; j < nn; j++) {
      double s = 0.0;
      for (long l = 0; l < k; l++)
        s += (double)(ta ? a[(size_t)l * (size_t)lda + (size_t)i] : a[(size_t)i * (size_t)lda + (size_t)l]) *
             (double)(tb ? b[(size_t)j * (size_t)ldb + (size_t)l] : b[(size_t)l * (size_t)ldb + (size_t)j]);
      c[(size_t)i * (size_t)ldc + (size_t)j] = (R)(s * scale);
    }
#endif
}

/* Softmax of the rows of S (T x T) in place, the keys a row sees only. */
static void FN(softmax_rows)(NET *n, R *S)
{
  long T = n->lay.T;
  for (long t = 0; t < T; t++) {
    long nk = n->m.causal ? t + 1 : T;
    R *a = S + (size_t)t * (size_t)T;
    if (n->m.attention == SP_ATTN_UNIFORM) {
      for (long u = 0; u < nk; u++)
        a[u] = (R)(1.0 / (double)nk);
    } else {
      R mx = a[0];
      for (long u = 1; u < nk; u++)
        mx = a[u] > mx ? a[u] : mx;
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
  }
}

static void FN(attn_fwd_task)(void *ctx, long task, int tid)
{
  const FN(attn_arg) *j = ((void **)ctx)[1];
  NET *n = ((void **)ctx)[0];
  long d = n->lay.d, T = n->lay.T, H = n->lay.H, dh = n->lay.dh;
  long b = task / H, h = task % H;
  const R *base = j->qkv + (size_t)b * (size_t)T * (size_t)(3 * d) + h * dh;
  R *A = j->att + (size_t)task * (size_t)T * (size_t)T;
  if (n->m.attention != SP_ATTN_UNIFORM)
    FN(lgemm)(n, tid, T, dh, T, base, 3 * d, 0, base + d, 3 * d, 1, 1.0 / sqrt((double)dh), A, T);
  FN(softmax_rows)(n, A);
  FN(lgemm)(n, tid, T, T, dh, A, T, 0, base + 2 * d, 3 * d, 0, 1.0,
            j->y + (size_t)b * (size_t)T * (size_t)d + h * dh, d);
}

/* dv = A^T dy; dA_ts = dy_t . v_s; ds_ts = A_ts (dA_ts - sum_u A_tu dA_tu);
 * dq = ds k / sqrt(dh); dk = ds^T q / sqrt(dh).  Uniform weights are
 * constants: dq = dk = 0. */
static void FN(attn_bwd_task)(void *ctx, long task, int tid)
{
  const FN(attn_arg) *j = ((void **)ctx)[1];
  NET *n = ((void **)ctx)[0];
  long d = n->lay.d, T = n->lay.T, H = n->lay.H, dh = n->lay.dh;
  long b = task / H, h = task % H;
  size_t row0 = (size_t)b * (size_t)T;
  const R *base = j->qkv + row0 * (size_t)(3 * d) + h * dh;
  R *dbase = j->dqkv + row0 * (size_t)(3 * d) + h * dh;
  const R *dy = j->dy + row0 * (size_t)d + h * dh;
  const R *A = j->att + (size_t)task * (size_t)T * (size_t)T;
  R *G = n->tscr[tid];
  double scale = 1.0 / sqrt((double)dh);
  FN(lgemm)(n, tid, T, T, dh, A, T, 1, dy, d, 0, 1.0, dbase + 2 * d, 3 * d);
  if (n->m.attention == SP_ATTN_UNIFORM) {
    for (long t = 0; t < T; t++)
      for (long i = 0; i < dh; i++)
        dbase[(size_t)t * (size_t)(3 * d) + (size_t)i] =
          dbase[(size_t)t * (size_t)(3 * d) + (size_t)(d + i)] = 0;
    return;
  }
  FN(lgemm)(n, tid, T, dh, T, dy, d, 0, base + 2 * d, 3 * d, 1, 1.0, G, T);
  for (long t = 0; t < T; t++)
    sp_rows_softmax_jac(A + (size_t)t * (size_t)T, G + (size_t)t * (size_t)T,
                        n->m.causal ? t + 1 : T, T);
  FN(lgemm)(n, tid, T, T, dh, G, T, 0, base + d, 3 * d, 0, scale, dbase, 3 * d);
  FN(lgemm)(n, tid, T, T, dh, G, T, 1, base, 3 * d, 0, scale, dbase + d, 3 * d);
}

static void FN(attention)(NET *n, FN(attn_arg) *a, int backward)
{
  void *ctx[2] = {n, a};
  sp_pool_run(n->pool, n->lay.B * n->lay.H, backward ? FN(attn_bwd_task) : FN(attn_fwd_task),
              ctx);
}
