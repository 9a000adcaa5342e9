/* The vector path of sp_propagate_summary_batch: which blocks it covers,
 * packing the models into lanes, the instruction set chosen at run time,
 * and the summaries written back (maps_simd.c holds the block map).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "propagate_simd.h"
#include "maps_simd.h"

#include <math.h>
#include <string.h>

int sp_propagate_simd_supported(int isa)
{
  switch (isa) {
  case SP_SIMD_NONE:
  case SP_SIMD_GENERIC:
    return 1;
#ifdef SP_HAVE_SIMD_X86
  case SP_SIMD_AVX2:
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
  case SP_SIMD_AVX512:
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
#endif
  default:
    return 0;
  }
}

int sp_propagate_simd_best(void)
{
  if (sp_propagate_simd_supported(SP_SIMD_AVX512))
    return SP_SIMD_AVX512;
  return sp_propagate_simd_supported(SP_SIMD_AVX2) ? SP_SIMD_AVX2 : SP_SIMD_GENERIC;
}

/* The structure of m's block when the vector path covers it. */
static int shape_of(const sp_model *m, sp_simd_shape *sh)
{
  memset(sh, 0, sizeof *sh);
  if (m->attention == SP_ATTN_UNIFORM ? m->causal : m->stats != SP_STATS_ASYMPTOTIC)
    return 0;
  if (m->mlp && m->activation != SP_ACT_RELU && m->activation != SP_ACT_LINEAR)
    return 0;
  if (!(m->beta >= 0.0) || !isfinite(m->beta) || m->tokens < 2)
    return 0; /* refused by the scalar path */
  sh->norm = (int)m->norm;
  sh->attention = (int)m->attention;
  sh->mlp = m->mlp != 0;
  sh->linear = sh->mlp && m->activation == SP_ACT_LINEAR;
  sh->stream = m->norm == SP_NORM_PRE && m->beta_c_on == SP_BETAC_STREAM;
  return 1;
}

static void pack(const sp_model *m, sp_simd_group *g, int j)
{
  g->beta[j] = m->beta;
  g->tokens[j] = (double)m->tokens;
  g->sv[j] = m->var_v;
  g->svb[j] = sp_model_var_vb(m);
  g->a2sa[j] = m->alpha_sa * m->alpha_sa;
  g->g2sa[j] = m->branch_sa * m->branch_sa;
  g->a2mlp[j] = m->alpha_mlp * m->alpha_mlp;
  g->g2mlp[j] = m->branch_mlp * m->branch_mlp;
  g->mr_on[j] = m->mean_removal > 0.0 ? -1 : 0;
  g->mr_k[j] = 2.0 * m->mean_removal - m->mean_removal * m->mean_removal;
  g->sw_in[j] = m->var_w_in;
  g->sw_out[j] = m->var_w_out;
  g->sb[j] = m->var_b;
  g->depth[j] = m->depth;
  g->q[j] = m->q0;
  g->p[j] = m->rho0 * m->q0;
  g->y2_first[j] = NAN;
  g->y2_max[j] = g->lambda_max[j] = 0.0;
  g->frozen_layers[j] = g->first_frozen[j] = g->bad[j] = 0;
}

static void run(int isa, const sp_simd_shape *sh, sp_simd_group *g, size_t ng, long depth)
{
#ifdef SP_HAVE_SIMD_X86
  if (isa == SP_SIMD_AVX512) {
    sp_maps_simd_avx512(sh, g, ng, depth);
    return;
  }
  if (isa == SP_SIMD_AVX2) {
    sp_maps_simd_avx2(sh, g, ng, depth);
    return;
  }
#else
  (void)isa;
#endif
  sp_maps_simd_generic(sh, g, ng, depth);
}

/* Lane j of g into the summary (as summary_end in propagate.c). */
static void unpack(const sp_simd_group *g, int j, int uniform, sp_summary *s)
{
  s->y2_first = g->y2_first[j];
  s->y2_max = g->y2_max[j];
  /* the largest lambda / sqrt 2 is the largest lambda over sqrt 2: a
   * rounded division by a positive constant is monotone */
  s->beta_ratio = uniform ? 0.0 : g->lambda_max[j] / M_SQRT2;
  s->frozen_layers = (long)g->frozen_layers[j];
  s->first_frozen = (long)g->first_frozen[j];
  s->q_final = g->q[j];
  s->p_final = g->p[j];
  s->rho_final = g->p[j] / g->q[j];
}

uint64_t sp_propagate_simd_chunk(const sp_model *models, size_t k, const int *statuses,
                                 sp_summary *out, int isa)
{
  enum { NG = SP_SUMMARY_BATCH / SP_SIMD_LANES };
  sp_simd_shape sh, first;
  sp_simd_group g[NG];
  int have = 0, any_mr = 0;
  long depth = 0;
  if (k > SP_SUMMARY_BATCH)
    return 0;
  for (size_t j = 0; j < k; j++) {
    if (statuses[j])
      continue;
    if (!shape_of(&models[j], &sh) || (have && memcmp(&sh, &first, sizeof sh)))
      return 0;
    first = sh, have = 1;
    any_mr |= models[j].mean_removal > 0.0;
    if (models[j].depth > depth)
      depth = models[j].depth;
  }
  if (!have)
    return 0;
  size_t ng = (k + SP_SIMD_LANES - 1) / SP_SIMD_LANES;
  for (size_t j = 0; j < ng * SP_SIMD_LANES; j++) {
    /* idle lanes repeat a running model with depth 0 */
    size_t src = j < k && !statuses[j] ? j : 0;
    while (statuses[src])
      src++;
    pack(&models[src], &g[j / SP_SIMD_LANES], (int)(j % SP_SIMD_LANES));
    if (src != j)
      g[j / SP_SIMD_LANES].depth[j % SP_SIMD_LANES] = 0;
  }
  first.mean_removal = any_mr;
  run(isa, &first, g, ng, depth);
  uint64_t done = 0;
  for (size_t j = 0; j < k; j++) {
    const sp_simd_group *gj = &g[j / SP_SIMD_LANES];
    if (statuses[j] || gj->bad[j % SP_SIMD_LANES])
      continue;
    unpack(gj, (int)(j % SP_SIMD_LANES), first.attention == SP_ATTN_UNIFORM, &out[j]);
    done |= (uint64_t)1 << j;
  }
  return done;
}
