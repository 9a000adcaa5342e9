/* The block map (maps.c) on vectors of SP_SIMD_LANES trajectories: the
 * post-, pre- and no-LN blocks with asymptotic (or uniform) attention
 * statistics and a ReLU or linear MLP.  Every lane repeats the scalar
 * path's IEEE operations in the scalar path's order (sp_rem_asymptotic,
 * sp_maps_attention_output, sp_maps_residual, sp_maps_mean_removal,
 * sp_maps_layernorm, the ReLU kernel of sp_gauss_phi_moments with the
 * arccosine of vmath.h), so its results are bit for bit those of
 * sp_maps_block; where the scalar path would return an error the lane is
 * flagged and recomputed by it.  This file is compiled once per
 * instruction set (meson.build: SP_SIMD_NAME with -mavx512f or -mavx2,
 * and plainly as the generic version); only the square root differs
 * between the builds, and it is correctly rounded in each.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "maps_simd.h"
#include "sigprop/model.h"
#include "vmath.h"

#include <float.h>
#include <math.h>
#include <string.h>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

#ifndef SP_SIMD_NAME
#define SP_SIMD_NAME sp_maps_simd_generic
#endif

/* Lanes per machine vector: a group of SP_SIMD_LANES is processed in
 * SP_SIMD_LANES / VW parts (vectors wider than the machine's would be
 * compared lane by lane in scalar code). */
#if defined(__AVX512F__)
#define VW 8
#elif defined(__AVX__)
#define VW 4
#else
#define VW 2
#endif

typedef double vd __attribute__((vector_size(8 * VW)));
typedef int64_t vi __attribute__((vector_size(8 * VW)));

static inline vd vsqrt(vd x)
{
#if defined(__AVX512F__)
  return (vd)_mm512_sqrt_pd((__m512d)x);
#elif defined(__AVX__)
  return (vd)_mm256_sqrt_pd((__m256d)x);
#elif defined(__SSE2__)
  return (vd)_mm_sqrt_pd((__m128d)x);
#else
  for (int i = 0; i < VW; i++)
    x[i] = sqrt(x[i]);
  return x;
#endif
}

/* m ? a : b lane by lane (m: -1 or 0). */
static inline vd vsel(vi m, vd a, vd b)
{
  return (vd)(((vi)a & m) | ((vi)b & ~m));
}

static const vd zero = {0};

static inline vi vfinite(vd x)
{
  return (vi)(x - x == 0.0);
}

static inline int vany(vi m)
{
  int64_t r = 0;
  for (int i = 0; i < VW; i++)
    r |= m[i];
  return r != 0;
}

static inline vd load(const double *a)
{
  vd v;
  memcpy(&v, a, sizeof v);
  return v;
}

static inline vi loadi(const int64_t *a)
{
  vi v;
  memcpy(&v, a, sizeof v);
  return v;
}

/* sp_rem_gap: q - p, 0 for a few ulps below; *bad where it fails. */
static inline vd gap_of(vd q, vd p, vi *bad)
{
  vd d = q - p;
  vi neg = (vi)(d < 0.0);
  *bad |= ~((vi)(q >= 0.0) & (vi)(q <= DBL_MAX) & vfinite(p));
  *bad |= neg & (vi)(-d > 16.0 * DBL_EPSILON * q);
  return vsel(neg, zero, d);
}

/* sp_maps_layernorm */
static inline void layernorm(vd *q, vd *p, vi *bad)
{
  *bad |= ~(vi)(*q > 0.0);
  vd r = *p / *q, one = zero + 1.0;
  *p = vsel((vi)(r > 1.0), one, r);
  *q = one;
}

/* check_range of maps.c */
static inline vi out_of_range(vd q)
{
  return ~((vi)(q >= DBL_MIN) & (vi)(q <= DBL_MAX));
}

/* sp_vmath_acos, lane by lane (fabs and copysign as bit operations). */
static inline vd vacos(vd c)
{
  vi sign = (vi)c & INT64_MIN;
  vd x = (vd)((vi)c & INT64_MAX), poly, z2, z4;
  vi big = (vi)(x > 0.5);
  vd z = vsel(big, (1.0 - x) * 0.5, x * x);
  vd s = vsel(big, vsqrt(z), x);
  SP_VMATH_ASIN_POLY(z, poly, z2, z4);
  vd r = s + s * z * poly;
  vd small = SP_VMATH_PIO2_HI - ((vd)((vi)r | sign) - SP_VMATH_PIO2_LO);
  vd large = vsel((vi)(c > 0.0), 2.0 * r, SP_VMATH_PI_HI - (2.0 * r - SP_VMATH_PI_LO));
  return vsel(big, large, small);
}

/* sp_gauss_relu_kernel for c in [-1, 1] */
static inline vd relu_kernel(vd c)
{
  vd f = (vsqrt((1.0 - c) * (1.0 + c)) + c * (M_PI - vacos(c))) * M_1_PI;
  return vsel((vi)(c >= 1.0), zero + 1.0, vsel((vi)(c <= -1.0), zero, f));
}

/* The parameters of one group, loaded once per block. */
typedef struct {
  vd beta, tokens, sv, svb, a2sa, g2sa, a2mlp, g2mlp, mr_k, sw_in, sw_out, sb;
  vi mr_on;
} lanes;

static inline void load_lanes(const sp_simd_group *g, int h, lanes *v)
{
  v->beta = load(g->beta + h), v->tokens = load(g->tokens + h);
  v->sv = load(g->sv + h), v->svb = load(g->svb + h);
  v->a2sa = load(g->a2sa + h), v->g2sa = load(g->g2sa + h);
  v->a2mlp = load(g->a2mlp + h), v->g2mlp = load(g->g2mlp + h);
  v->mr_k = load(g->mr_k + h), v->mr_on = loadi(g->mr_on + h);
  v->sw_in = load(g->sw_in + h), v->sw_out = load(g->sw_out + h), v->sb = load(g->sb + h);
}

/* What a block reports of its attention input. */
typedef struct {
  vd lambda, y2;
  vi frozen;
} stats;

/* The attention sub-block: statistics at (qb, pb) (sp_rem_asymptotic or
 * sp_rem_uniform), output (qs, ps) for the input (qa, pa). */
static inline void attention(const sp_simd_shape *sh, const lanes *v, vd qa, vd pa, vd qb,
                             vd pb, stats *st, vd *qs, vd *ps, vi *bad)
{
  vd gb = gap_of(qb, pb, bad), ov;
  st->lambda = v->beta * vsqrt(qb * gb);
  if (sh->attention == SP_ATTN_UNIFORM) {
    st->frozen = (vi)(zero != zero);
    st->y2 = ov = 1.0 / v->tokens;
  } else {
    st->frozen = (vi)(st->lambda > M_SQRT2);
    vd m = zero + 1.0;
    if (vany(st->frozen)) /* no division where no lane is frozen */
      m = vsel(st->frozen, M_SQRT2 / st->lambda, m);
    st->y2 = 1.0 - m;
    ov = zero;
  }
  vd ga = gap_of(qa, pa, bad);
  switch (sh->attention) {
  case SP_ATTN_SOFTMAX:
    *qs = v->sv * (pa + ga * st->y2) + v->svb;
    *ps = v->sv * (pa + ga * ov) + v->svb;
    break;
  case SP_ATTN_CENTRED: /* asymptotic statistics */
    *qs = v->sv * ga * st->y2;
    *ps = zero;
    break;
  default: /* uniform, no causal mask */
    *qs = *ps = v->sv * (pa + ga / v->tokens) + v->svb;
    break;
  }
}

/* sp_maps_mlp for ReLU or the identity (sp_gauss_phi_moments' closed form). */
static inline void mlp(const sp_simd_shape *sh, const lanes *v, vd q, vd p, vd *qf, vd *pf,
                       vi *bad)
{
  vd q1 = v->sw_in * q + v->sb, p1 = v->sw_in * p + v->sb, e2, e12;
  *bad |= ~((vi)(q1 >= 0.0) & (vi)(q1 <= DBL_MAX) & vfinite(p1));
  vd ap = (vd)((vi)p1 & INT64_MAX);
  *bad |= (vi)(ap > q1 * (1.0 + 16.0 * DBL_EPSILON));
  p1 = vsel((vi)(p1 > q1), q1, p1);
  p1 = vsel((vi)(p1 < -q1), -q1, p1);
  if (sh->linear) {
    e2 = q1, e12 = p1;
  } else {
    vd c = vsel((vi)(q1 > 0.0), p1 / q1, zero + 1.0);
    c = vsel((vi)(c > 1.0), zero + 1.0, c);
    c = vsel((vi)(c < -1.0), zero - 1.0, c);
    e2 = 0.5 * q1;
    e12 = 0.5 * q1 * relu_kernel(c);
  }
  *qf = v->sw_out * e2 + v->sb;
  *pf = v->sw_out * e12 + v->sb;
}

/* Clamp p <= q after a residual sum, then the norm's step. */
static inline void clamp_norm(const sp_simd_shape *sh, vd *q, vd *p, vi *bad)
{
  *p = vsel((vi)(*p > *q), *q, *p);
  if (sh->norm == SP_NORM_POST)
    layernorm(q, p, bad);
  else
    *bad |= out_of_range(*q);
}

/* sp_maps_block_traced without the trace. */
static inline void block(const sp_simd_shape *sh, const lanes *v, vd *q, vd *p, stats *st,
                         vi *bad)
{
  vd q0 = *q, p0 = *p, qa = q0, pa = p0, qs, ps;
  if (sh->norm == SP_NORM_PRE)
    layernorm(&qa, &pa, bad);
  if (sh->stream)
    attention(sh, v, qa, pa, q0, p0, st, &qs, &ps, bad);
  else
    attention(sh, v, qa, pa, qa, pa, st, &qs, &ps, bad);
  q0 = v->a2sa * q0 + v->g2sa * qs;
  p0 = v->a2sa * p0 + v->g2sa * ps;
  if (sh->mean_removal) {
    vd mbar = p0 + (q0 - p0) / v->tokens;
    q0 = vsel(v->mr_on, q0 - v->mr_k * mbar, q0);
    p0 = vsel(v->mr_on, p0 - v->mr_k * mbar, p0);
  }
  clamp_norm(sh, &q0, &p0, bad);
  if (sh->mlp) {
    vd qn = q0, pn = p0, qf, pf;
    if (sh->norm == SP_NORM_PRE)
      layernorm(&qn, &pn, bad);
    mlp(sh, v, qn, pn, &qf, &pf, bad);
    q0 = v->a2mlp * q0 + v->g2mlp * qf;
    p0 = v->a2mlp * p0 + v->g2mlp * pf;
    clamp_norm(sh, &q0, &p0, bad);
  }
  *bad |= out_of_range(q0);
  *q = q0;
  *p = p0;
}

/* One block of lanes h .. h + VW - 1 of group g at layer l: advance the
 * lanes still running and account for the block as summary_add in
 * propagate.c does. */
static inline void step(const sp_simd_shape *sh, sp_simd_group *g, int h, long l)
{
  lanes v;
  stats st;
  load_lanes(g, h, &v);
  vd q = load(g->q + h), p = load(g->p + h);
  vi bad = loadi(g->bad + h), nb = (vi)zero, on = (vi)(loadi(g->depth + h) >= l);
  block(sh, &v, &q, &p, &st, &nb);
  q = vsel(on, q, load(g->q + h));
  p = vsel(on, p, load(g->p + h));
  memcpy(g->q + h, &q, sizeof q);
  memcpy(g->p + h, &p, sizeof p);
  bad |= nb & on;
  memcpy(g->bad + h, &bad, sizeof bad);
  vd lm = load(g->lambda_max + h), ym = load(g->y2_max + h);
  lm = vsel(on & (vi)(st.lambda > lm), st.lambda, lm);
  ym = vsel(on & (vi)(st.y2 > ym), st.y2, ym);
  memcpy(g->lambda_max + h, &lm, sizeof lm);
  memcpy(g->y2_max + h, &ym, sizeof ym);
  if (l == 1) {
    vd yf = vsel(on, st.y2, load(g->y2_first + h));
    memcpy(g->y2_first + h, &yf, sizeof yf);
  }
  vi fz = st.frozen & on, fl = loadi(g->frozen_layers + h), ff = loadi(g->first_frozen + h);
  vi first = fz & (vi)(ff == 0);
  fl -= fz;
  ff = (first & l) | (ff & ~first);
  memcpy(g->frozen_layers + h, &fl, sizeof fl);
  memcpy(g->first_frozen + h, &ff, sizeof ff);
}

void SP_SIMD_NAME(const sp_simd_shape *sh, sp_simd_group *g, size_t ng, long depth)
{
  for (long l = 1; l <= depth; l++)
    for (size_t i = 0; i < ng; i++)
      for (int h = 0; h < SP_SIMD_LANES; h += VW)
        step(sh, &g[i], h, l);
}
