/* The trained network's allocation, forward pass (keeping what the reverse
 * pass needs), loss, reverse pass and per-layer statistics.  Part of
 * train_net_body.h (same R and FN()).
 * SPDX-License-Identifier: GPL-3.0-or-later */

static R *FN(layer)(R *base, long l, size_t per)
{
  return base + (size_t)l * per;
}

void FN(free)(NET *n)
{
  if (!n)
    return;
  R *bufs[] = {n->w, n->g, n->stream, n->srs, n->x1, n->x1rs, n->lna, n->lnars, n->lnm,
               n->lnmrs, n->qkv, n->att, n->hp, n->h, n->xf, n->xfrs, n->prob, n->dx,
               n->dr, n->dy, n->da, n->dqkv, n->dh};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
    free(bufs[i]);
  free(n->part);
  free(n->acc);
  for (int i = 0; n->tscr && i < n->nthreads; i++)
    free(n->tscr[i]);
  free(n->tscr);
#if TRAIN_PACKED
  free(n->pack);
  for (int i = 0; n->work && i < n->nthreads; i++)
    free(n->work[i]);
  free(n->work);
  for (int i = 0; n->tpack && i < n->nthreads; i++)
    free(n->tpack[i]);
  free(n->tpack);
#endif
  free(n);
}

#if TRAIN_PACKED
/* The largest packed B of the products the passes compute. */
static double FN(pack_floats)(const sp_train_layout *y, long BT)
{
  long shapes[][2] = {{y->d, 3 * y->d}, {BT, 3 * y->d}, {3 * y->d, y->d}, {y->d, y->dff},
                      {BT, y->dff}, {y->dff, y->d}, {BT, y->d}, {y->d, y->V}, {BT, y->V},
                      {y->V, y->d}};
  double mx = 0.0;
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    double f = (double)sp_kern_packb_floats(shapes[i][0], shapes[i][1]);
    mx = f > mx ? f : mx;
  }
  return mx;
}
#endif

NET *FN(alloc)(const sp_train_layout *lay, const sp_model *m, sp_pool *pool, int *status)
{
  NET *n = calloc(1, sizeof *n);
  *status = SP_ENOMEM;
  if (!n)
    return NULL;
  n->lay = *lay;
  n->m = *m;
  n->pool = pool;
  n->nthreads = sp_pool_size(pool);
  long L = lay->L, d = lay->d, dff = lay->dff, T = lay->T, B = lay->B;
  double BT = (double)B * (double)T, BTd = BT * (double)d, Lr = (double)L;
  int pre = m->norm == SP_NORM_PRE;
  n->BT = B * T;
  n->w = FN(alloc_r)((double)lay->n);
  n->g = FN(alloc_r)((double)lay->n);
  n->stream = FN(alloc_r)((Lr + 1.0) * BTd);
  n->srs = FN(alloc_r)((Lr + 1.0) * BT);
  n->x1 = FN(alloc_r)(Lr * BTd);
  n->x1rs = FN(alloc_r)(Lr * BT);
  n->lna = FN(alloc_r)(pre ? Lr * BTd : 1.0);
  n->lnars = FN(alloc_r)(pre ? Lr * BT : 1.0);
  n->lnm = FN(alloc_r)(pre ? Lr * BTd : 1.0);
  n->lnmrs = FN(alloc_r)(pre ? Lr * BT : 1.0);
  n->qkv = FN(alloc_r)(3.0 * Lr * BTd);
  n->att = FN(alloc_r)(Lr * (double)B * (double)lay->H * (double)T * (double)T);
  n->hp = FN(alloc_r)(lay->mlp ? Lr * BT * (double)dff : 1.0);
  n->h = FN(alloc_r)(lay->mlp ? Lr * BT * (double)dff : 1.0);
  n->xf = FN(alloc_r)(BTd);
  n->xfrs = FN(alloc_r)(BT);
  n->prob = FN(alloc_r)(BT * (double)lay->V);
  n->dx = FN(alloc_r)(BTd);
  n->dr = FN(alloc_r)(BTd);
  n->dy = FN(alloc_r)(BTd);
  n->da = FN(alloc_r)(BTd);
  n->dqkv = FN(alloc_r)(3.0 * BTd);
  n->dh = FN(alloc_r)(BT * (double)dff);
  n->part = calloc((size_t)B, sizeof *n->part);
  n->acc = calloc((size_t)(3 * d > dff ? 3 * d : dff), sizeof *n->acc);
  if (!n->w || !n->g || !n->stream || !n->srs || !n->x1 || !n->x1rs || !n->lna || !n->lnars ||
      !n->lnm || !n->lnmrs || !n->qkv || !n->att || !n->hp || !n->h || !n->xf || !n->xfrs ||
      !n->prob || !n->dx || !n->dr || !n->dy || !n->da || !n->dqkv || !n->dh || !n->part || !n->acc)
    goto nomem;
  n->tscr = calloc((size_t)n->nthreads, sizeof *n->tscr);
  if (!n->tscr)
    goto nomem;
  for (int i = 0; i < n->nthreads; i++)
    if (!(n->tscr[i] = FN(alloc_r)((double)T * (double)T)))
      goto nomem;
#if TRAIN_PACKED
  n->pack = FN(alloc_r)(FN(pack_floats)(lay, n->BT));
  n->work = calloc((size_t)n->nthreads, sizeof *n->work);
  n->tpack = calloc((size_t)n->nthreads, sizeof *n->tpack);
  if (!n->pack || !n->work || !n->tpack)
    goto nomem;
  double tp = fmax((double)sp_kern_packb_floats(lay->dh, T), (double)sp_kern_packb_floats(T, lay->dh));
  for (int i = 0; i < n->nthreads; i++)
    if (!(n->work[i] = FN(alloc_r)((double)sp_kern_work_floats())) ||
        !(n->tpack[i] = FN(alloc_r)(tp)))
      goto nomem;
#endif
  memset(n->g, 0, lay->n * sizeof(R));
  *status = SP_OK;
  return n;
nomem:
  FN(free)(n);
  return NULL;
}

R *FN(params)(NET *n) { return n->w; }
R *FN(grads)(NET *n) { return n->g; }

/* x0 = E[token] + P[position] */
static void FN(embed)(NET *n)
{
  const sp_train_layout *y = &n->lay;
  for (long r = 0; r < n->BT; r++) {
    const R *e = n->w + y->emb + (size_t)n->tok[r] * (size_t)y->d;
    const R *p = n->w + y->pos + (size_t)(r % y->T) * (size_t)y->d;
    R *x = n->stream + (size_t)r * (size_t)y->d;
    for (long i = 0; i < y->d; i++)
      x[i] = e[i] + p[i];
  }
}

static void FN(block_fwd)(NET *n, long l)
{
  const sp_train_layout *y = &n->lay;
  const sp_model *m = &n->m;
  long d = y->d, dff = y->dff, BT = n->BT;
  size_t BTd = (size_t)BT * (size_t)d;
  int pre = m->norm == SP_NORM_PRE, post = m->norm == SP_NORM_POST;
  R *w = n->w + y->layer0 + (size_t)l * y->layer_stride;
  R *x0 = FN(layer)(n->stream, l, BTd), *x1 = FN(layer)(n->x1, l, BTd);
  R *x2 = FN(layer)(n->stream, l + 1, BTd), *qkv = FN(layer)(n->qkv, l, 3 * BTd);
  const R *ain = x0;
  if (pre) {
    ain = FN(layer)(n->lna, l, BTd);
    FN(layernorm)(n, x0, (R *)ain, FN(layer)(n->lnars, l, (size_t)BT));
  }
  FN(gemm)(n, BT, d, 3 * d, ain, d, 0, w + y->wqkv, 3 * d, 0, qkv, 3 * d, 0);
  FN(add_bias)(n, qkv + 2 * d, 3 * d, d, w + y->bv);
  FN(attn_arg) aa = {qkv, FN(layer)(n->att, l, (size_t)y->B * (size_t)(y->H * y->T * y->T)),
                     n->dy, NULL, NULL};
  FN(attention)(n, &aa, 0);
  if (m->attention == SP_ATTN_CENTRED)
    FN(centre)(n, n->dy, 1.0);
  FN(axpby)(n, m->alpha_sa, x0, m->branch_sa, n->dy, x1);
  if (m->mean_removal > 0.0)
    FN(centre)(n, x1, m->mean_removal);
  if (post)
    FN(layernorm)(n, x1, x1, FN(layer)(n->x1rs, l, (size_t)BT));
  if (!y->mlp) {
    memcpy(x2, x1, BTd * sizeof(R));
    return;
  }
  const R *min = x1;
  if (pre) {
    min = FN(layer)(n->lnm, l, BTd);
    FN(layernorm)(n, x1, (R *)min, FN(layer)(n->lnmrs, l, (size_t)BT));
  }
  size_t BTf = (size_t)BT * (size_t)dff;
  R *hp = FN(layer)(n->hp, l, BTf), *h = FN(layer)(n->h, l, BTf);
  FN(gemm)(n, BT, d, dff, min, d, 0, w + y->w1, dff, 0, hp, dff, 0);
  FN(add_bias)(n, hp, dff, dff, w + y->b1);
  for (size_t i = 0; i < BTf; i++) {
    if (m->activation == SP_ACT_RELU)
      h[i] = hp[i] > 0 ? hp[i] : 0;
    else
      h[i] = (R)sp_activation_phi(m->activation, m->erf_scale, (double)hp[i]);
  }
  FN(gemm)(n, BT, dff, d, h, dff, 0, w + y->w2, d, 0, n->dy, d, 0);
  FN(add_bias)(n, n->dy, d, d, w + y->b2);
  FN(axpby)(n, m->alpha_mlp, x1, m->branch_mlp, n->dy, x2);
  if (post)
    FN(layernorm)(n, x2, x2, FN(layer)(n->srs, l + 1, (size_t)BT));
}

/* Softmax of the logits of sequence b's rows, the loss of those with a
 * target into part[b], and dL/dlogits (before the 1/N of the mean). */
static void FN(loss_seq)(NET *n, const void *arg, long b)
{
  long V = n->lay.V, T = n->lay.T;
  double sum = 0.0;
  (void)arg;
  for (long t = b * T; t < (b + 1) * T; t++) {
    R *z = n->prob + (size_t)t * (size_t)V;
    R mx = z[0];
    for (long v = 1; v < V; v++)
      mx = z[v] > mx ? z[v] : mx;
    double s = 0.0;
    for (long v = 0; v < V; v++)
      s += exp((double)(z[v] - mx));
    double lse = log(s) + (double)mx;
    int k = n->tgt[t];
    if (k >= 0)
      sum += lse - (double)z[k];
    for (long v = 0; v < V; v++)
      z[v] = k < 0 ? 0 : (R)(exp((double)z[v] - lse) - (v == k ? 1.0 : 0.0));
  }
  n->part[b] = sum;
}

int FN(forward)(NET *n, const int *tokens, const int *targets, double *loss)
{
  const sp_train_layout *y = &n->lay;
  long d = y->d, BT = n->BT;
  n->tok = tokens;
  n->tgt = targets;
  n->ntarget = 0;
  for (long t = 0; t < BT; t++)
    n->ntarget += targets[t] >= 0;
  if (n->ntarget == 0)
    return SP_EINVAL;
  FN(embed)(n);
  for (long l = 0; l < y->L; l++)
    FN(block_fwd)(n, l);
  R *xl = FN(layer)(n->stream, y->L, (size_t)BT * (size_t)d);
  if (n->m.norm == SP_NORM_PRE)
    FN(layernorm)(n, xl, n->xf, n->xfrs);
  else
    memcpy(n->xf, xl, (size_t)BT * (size_t)d * sizeof(R));
  FN(gemm)(n, BT, d, y->V, n->xf, d, 0, n->w + y->unemb, y->V, 0, n->prob, y->V, 0);
  FN(per_seq)(n, FN(loss_seq), NULL);
  double sum = 0.0;
  for (long b = 0; b < y->B; b++)
    sum += n->part[b];
  *loss = sum / (double)n->ntarget;
  return isfinite(*loss) ? SP_OK : SP_EOVERFLOW;
}

/* Reverse mode through block l: n->dx holds dL/d(stream l+1) on entry and
 * dL/d(stream l) on return. */
static void FN(block_bwd)(NET *n, long l)
{
  const sp_train_layout *y = &n->lay;
  const sp_model *m = &n->m;
  long d = y->d, dff = y->dff, BT = n->BT;
  size_t BTd = (size_t)BT * (size_t)d, BTf = (size_t)BT * (size_t)dff;
  int pre = m->norm == SP_NORM_PRE, post = m->norm == SP_NORM_POST;
  size_t off = y->layer0 + (size_t)l * y->layer_stride;
  R *w = n->w + off, *g = n->g + off;
  R *x0 = FN(layer)(n->stream, l, BTd), *x1 = FN(layer)(n->x1, l, BTd);
  if (y->mlp) {
    const R *x2 = FN(layer)(n->stream, l + 1, BTd);
    if (post)
      FN(layernorm_back)(n, n->dx, x2, FN(layer)(n->srs, l + 1, (size_t)BT), n->dx, 0);
    FN(axpby)(n, 0.0, n->dx, m->branch_mlp, n->dx, n->dy);
    FN(axpby)(n, m->alpha_mlp, n->dx, 0.0, n->dx, n->dx);
    const R *h = FN(layer)(n->h, l, BTf), *hp = FN(layer)(n->hp, l, BTf);
    const R *min = pre ? FN(layer)(n->lnm, l, BTd) : x1;
    FN(gemm)(n, dff, BT, d, h, dff, 1, n->dy, d, 0, g + y->w2, d, 0);
    FN(colsum)(n, n->dy, d, d, g + y->b2);
    FN(gemm)(n, BT, d, dff, n->dy, d, 0, w + y->w2, d, 1, n->dh, dff, 0);
    for (size_t i = 0; i < BTf; i++)
      if (m->activation == SP_ACT_RELU)
        n->dh[i] *= hp[i] > 0 ? (R)1 : hp[i] < 0 ? (R)0 : (R)0.5;
      else
        n->dh[i] *= (R)sp_activation_dphi(m->activation, m->erf_scale, (double)hp[i]);
    FN(gemm)(n, d, BT, dff, min, d, 1, n->dh, dff, 0, g + y->w1, dff, 0);
    FN(colsum)(n, n->dh, dff, dff, g + y->b1);
    FN(gemm)(n, BT, dff, d, n->dh, dff, 0, w + y->w1, dff, 1, n->da, d, 0);
    if (pre)
      FN(layernorm_back)(n, n->da, min, FN(layer)(n->lnmrs, l, (size_t)BT), n->dx, 1);
    else
      FN(axpby)(n, 1.0, n->dx, 1.0, n->da, n->dx);
  }
  if (post)
    FN(layernorm_back)(n, n->dx, x1, FN(layer)(n->x1rs, l, (size_t)BT), n->dx, 0);
  if (m->mean_removal > 0.0)
    FN(centre)(n, n->dx, m->mean_removal);
  FN(axpby)(n, 0.0, n->dx, m->branch_sa, n->dx, n->dy);
  FN(axpby)(n, m->alpha_sa, n->dx, 0.0, n->dx, n->dx);
  if (m->attention == SP_ATTN_CENTRED)
    FN(centre)(n, n->dy, 1.0);
  R *qkv = FN(layer)(n->qkv, l, 3 * BTd);
  FN(attn_arg) aa = {qkv, FN(layer)(n->att, l, (size_t)y->B * (size_t)(y->H * y->T * y->T)),
                     NULL, n->dy, n->dqkv};
  FN(attention)(n, &aa, 1);
  FN(colsum)(n, n->dqkv + 2 * d, 3 * d, d, g + y->bv);
  const R *ain = pre ? FN(layer)(n->lna, l, BTd) : x0;
  FN(gemm)(n, d, BT, 3 * d, ain, d, 1, n->dqkv, 3 * d, 0, g + y->wqkv, 3 * d, 0);
  FN(gemm)(n, BT, 3 * d, d, n->dqkv, 3 * d, 0, w + y->wqkv, 3 * d, 1, n->da, d, 0);
  if (pre)
    FN(layernorm_back)(n, n->da, ain, FN(layer)(n->lnars, l, (size_t)BT), n->dx, 1);
  else
    FN(axpby)(n, 1.0, n->dx, 1.0, n->da, n->dx);
}

int FN(backward)(NET *n)
{
  const sp_train_layout *y = &n->lay;
  long d = y->d, BT = n->BT, V = y->V;
  size_t BTd = (size_t)BT * (size_t)d;
  R inv = (R)(1.0 / (double)n->ntarget);
  for (size_t i = 0; i < (size_t)BT * (size_t)V; i++)
    n->prob[i] *= inv;
  FN(gemm)(n, d, BT, V, n->xf, d, 1, n->prob, V, 0, n->g + y->unemb, V, 0);
  FN(gemm)(n, BT, V, d, n->prob, V, 0, n->w + y->unemb, V, 1, n->dx, d, 0);
  if (n->m.norm == SP_NORM_PRE)
    FN(layernorm_back)(n, n->dx, n->xf, n->xfrs, n->dx, 0);
  (void)BTd;
  for (long l = y->L - 1; l >= 0; l--)
    FN(block_bwd)(n, l);
  memset(n->g + y->emb, 0, (size_t)(y->V + y->T) * (size_t)d * sizeof(R));
  for (long r = 0; r < BT; r++) {
    R *ge = n->g + y->emb + (size_t)n->tok[r] * (size_t)d;
    R *gp = n->g + y->pos + (size_t)(r % y->T) * (size_t)d;
    const R *dx = n->dx + (size_t)r * (size_t)d;
    for (long i = 0; i < d; i++) {
      ge[i] += dx[i];
      gp[i] += dx[i];
    }
  }
  return SP_OK;
}

void FN(layer_stats)(NET *n, sp_train_layer_stat *out)
{
  const sp_train_layout *y = &n->lay;
  long d = y->d, T = y->T;
  for (long l = 0; l <= y->L; l++) {
    const R *x = FN(layer)(n->stream, l, (size_t)n->BT * (size_t)d);
    double rho = 0.0;
    for (long b = 0; b < y->B; b++) {
      double q = 0.0, p = 0.0;
      for (long t = 0; t < T; t++)
        for (long s = 0; s <= t; s++) {
          const R *xt = x + (size_t)(b * T + t) * (size_t)d, *xs = x + (size_t)(b * T + s) * (size_t)d;
          double dot = 0.0;
          for (long i = 0; i < d; i++)
            dot += (double)xt[i] * (double)xs[i];
          if (s == t)
            q += dot;
          else
            p += dot;
        }
      rho += (p / (0.5 * (double)T * (double)(T - 1))) / (q / (double)T);
    }
    out[l].rho = rho / (double)y->B;
    out[l].entropy = NAN;
    if (l == 0)
      continue;
    const R *A = FN(layer)(n->att, l - 1, (size_t)y->B * (size_t)(y->H * T * T));
    double ent = 0.0;
    for (size_t r = 0; r < (size_t)(y->B * y->H * T); r++)
      for (long u = 0; u < T; u++) {
        double a = A[r * (size_t)T + (size_t)u];
        ent -= a > 0.0 ? a * log(a) : 0.0;
      }
    out[l].entropy = ent / (double)(y->B * y->H * T);
  }
}
