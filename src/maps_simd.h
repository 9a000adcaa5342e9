/* Private: the block map of SP_SIMD_LANES trajectories per vector, for
 * sp_propagate_summary_batch (propagate_simd.c packs the models, picks the
 * instruction set and sends failing lanes back to the scalar path).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SP_MAPS_SIMD_H
#define SP_MAPS_SIMD_H

#include <stddef.h>
#include <stdint.h>

/* Trajectories in one vector group (a 512-bit register of doubles). */
#define SP_SIMD_LANES 8

/* What every lane of a call shares: the block's structure. */
typedef struct {
  int norm;       /* sp_norm */
  int attention;  /* sp_attention; uniform only without the causal mask */
  int mlp;        /* 0: no MLP sub-block */
  int linear;     /* 1: linear activation, 0: ReLU */
  int stream;     /* 1: beta_c on the stream (pre-LN with SP_BETAC_STREAM) */
  int mean_removal; /* 1: some lane has tau > 0 (the others skip it) */
} sp_simd_shape;

/* One group of lanes: the parameters (as the scalar block map derives them
 * from sp_model), the state and the summary.  Lanes past the group's
 * models have depth 0 and are never advanced. */
typedef struct {
  double beta[SP_SIMD_LANES], tokens[SP_SIMD_LANES];
  double sv[SP_SIMD_LANES], svb[SP_SIMD_LANES];           /* var_v, value-bias variance */
  double a2sa[SP_SIMD_LANES], g2sa[SP_SIMD_LANES];        /* squared skip and branch gains */
  double a2mlp[SP_SIMD_LANES], g2mlp[SP_SIMD_LANES];
  double mr_k[SP_SIMD_LANES];                             /* 2 tau - tau^2 */
  double sw_in[SP_SIMD_LANES], sw_out[SP_SIMD_LANES], sb[SP_SIMD_LANES];
  int64_t depth[SP_SIMD_LANES], mr_on[SP_SIMD_LANES];     /* mr_on: -1 when tau > 0, else 0 */
  double q[SP_SIMD_LANES], p[SP_SIMD_LANES];              /* state in, state out */
  double y2_first[SP_SIMD_LANES], y2_max[SP_SIMD_LANES];
  double lambda_max[SP_SIMD_LANES]; /* largest lambda (beta_ratio times sqrt 2) */
  int64_t frozen_layers[SP_SIMD_LANES], first_frozen[SP_SIMD_LANES];
  int64_t bad[SP_SIMD_LANES]; /* out: -1 where the scalar path would fail */
} sp_simd_group;

/* Advance the ng groups `g` through `depth` blocks (each lane stops at its
 * own depth), filling the summaries; one function per instruction set,
 * all giving identical results (maps_simd.c, compiled once per set). */
void sp_maps_simd_generic(const sp_simd_shape *sh, sp_simd_group *g, size_t ng, long depth);
void sp_maps_simd_avx2(const sp_simd_shape *sh, sp_simd_group *g, size_t ng, long depth);
void sp_maps_simd_avx512(const sp_simd_shape *sh, sp_simd_group *g, size_t ng, long depth);

#endif
