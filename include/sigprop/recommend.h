/* sigprop: where a configuration sits (rank collapse, entropy collapse,
 * trainable: theory.md §10) and what to change so that it trains: the
 * trainable range of beta, the critical residual gain at its depth, and
 * one recommended point.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_RECOMMEND_H
#define SIGPROP_RECOMMEND_H

#include "sigprop/export.h"
#include "sigprop/preset.h"
#include "sigprop/propagate.h"

SP_BEGIN_DECLS

/** Phase of a configuration at its depth L (theory.md §10). */
typedef enum {
  SP_PHASE_TRAINABLE,       /**< neither below */
  SP_PHASE_RANK_COLLAPSE,   /**< no block frozen, rho_L >= rho_max */
  SP_PHASE_ENTROPY_COLLAPSE, /**< some block's attention input has beta > beta_c */
  SP_PHASE_OVERFLOW         /**< the residual stream leaves the float16 range:
                                 q_L > SP_Q_MAX_FLOAT16, or the iteration
                                 overflowed a double */
} sp_phase;

/** Largest finite float16 value.  q is the stream's mean squared entry,
 * which every LayerNorm/RMSNorm and every attention score squares and
 * sums: a stream with q_L beyond this no longer has a representable
 * variance in half precision, and sp_recommend_verdict() never calls it
 * trainable. */
#define SP_Q_MAX_FLOAT16 65504.0
/** Largest finite bfloat16 value, (2 - 2^-7) 2^127 (float32's range is
 * about the same, 3.4028e38). */
#define SP_Q_MAX_BFLOAT16 3.3895313892515355e38

/** "trainable", "rank-collapse", "entropy-collapse", "stream-overflow"
 * (static; "?" for an invalid value). */
const char *sp_phase_name(sp_phase p);

/** The classification of one configuration and what it rests on. */
typedef struct {
  sp_phase phase;
  double rho_final;   /**< rho_L (of the last block before an overflow) */
  double q_final;     /**< q_L; +infinity when the iteration overflowed */
  long overflow_block;/**< block at which the iteration overflowed a
                           double, 0 if none */
  long frozen_layers; /**< blocks whose attention input has beta > beta_c */
  long first_frozen;  /**< first such block, 0 if none */
  double beta_c_min;  /**< smallest beta_c over the L attention inputs
                           (+infinity for uniform attention, which never
                           freezes) */
} sp_verdict;

/** Iterate the L blocks of `m` from (q0, rho0 q0) and classify it
 * (theory.md §10): stream overflow when the iteration overflows a double,
 * or fails in any way on a stream already beyond SP_Q_MAX_FLOAT16 (it
 * stops there), or q_L > SP_Q_MAX_FLOAT16, else entropy collapse when
 * some block is frozen, else rank collapse when rho_L >= rho_max, else
 * trainable.  `w` as for sp_propagate.  Errors: the model's validation
 * status, SP_EDOM for rho_max outside (-1, 1), or a propagation error
 * other than SP_EOVERFLOW (SP_EUNDERFLOW, ...). */
int sp_recommend_verdict(const sp_model *m, const sp_workspace *w, double rho_max, sp_verdict *v);

/** What bounds one end of a trainable interval. */
typedef enum {
  SP_EDGE_RANGE,   /**< the end of the searched range (beta = 0) */
  SP_EDGE_RANK,    /**< rho_L = rho_max: rank collapse beyond */
  SP_EDGE_ENTROPY, /**< beta = beta_c of some block: entropy collapse beyond */
  SP_EDGE_OVERFLOW /**< q_L = SP_Q_MAX_FLOAT16: stream overflow beyond */
} sp_edge;

/** "range", "rank-collapse", "entropy-collapse", "stream-overflow"
 * (static). */
const char *sp_edge_name(sp_edge e);

/** An interval [lo, hi] of beta and what bounds each end. */
typedef struct {
  double lo, hi;
  sp_edge lo_edge, hi_edge;
} sp_beta_interval;

/** Points of the scans in sp_recommend_trainable_beta() and sp_recommend_critical_gain(). */
#define SP_RECOMMEND_SCAN 128

/** Largest residual gain searched by sp_recommend_critical_gain(). */
#define SP_GAIN_MAX 1e6

/** The trainable values of beta for model `m` with everything else fixed.
 * Every beta above beta_c of block 1's attention input (which does not
 * depend on beta) freezes block 1, so the search range is [0, that
 * beta_c] (or [0, max(10, 2 beta)] when it is infinite).  It is scanned at
 * SP_RECOMMEND_SCAN + 1 equally spaced points, each classified by
 * sp_recommend_verdict(); the ends of the widest run of trainable points are
 * refined by Brent's method (GSL) to `xtol`: on rho_L(beta) - rho_max at
 * a rank-collapse edge, on beta - beta_c_min(beta) at an entropy edge,
 * on log(q_L / SP_Q_MAX_FLOAT16) at an overflow edge.
 * `*runs` (may be NULL) receives the number of separate trainable runs
 * found.  Returns SP_OK, SP_ENOROOT when no scan point is trainable (*out
 * is then NaN), SP_ENOCONV when Brent does not converge in 200 iterations,
 * or an error of sp_recommend_verdict at beta = m->beta. */
int sp_recommend_trainable_beta(const sp_model *m, const sp_workspace *w, double rho_max,
                                double xtol,
                                sp_beta_interval *out, int *runs);

/** The entropy edge: the smallest beta at which some block of `m` freezes,
 * a root of beta - beta_c_min(beta) (Brent, to `xtol`) in [0, beta_c of
 * block 1's input].  +infinity for uniform attention or an input with
 * rho0 = 1 (nothing freezes).  Errors as sp_recommend_trainable_beta. */
int sp_recommend_entropy_edge(const sp_model *m, const sp_workspace *w, double xtol,
                              double *beta_e);

/** The critical residual gain of model `m` at its depth: for a skip gain
 * (alpha, which slows rank collapse) the smallest value in
 * [0, SP_GAIN_MAX] with rho_L <= rho_max; for a branch gain (gamma, which
 * speeds it up) the largest such value.  The range is widened by factors
 * of 4 from 4 max(1, current gain) until it brackets the boundary (or
 * reaches a gain where the iteration fails, e.g. a pre-LN stream that
 * overflows at a large skip gain), scanned
 * at SP_RECOMMEND_SCAN + 1 points for the first crossing from 0 upwards
 * (points where the iteration fails count as collapsed), and refined by
 * Brent's method (GSL) to `xtol`.  Frozen blocks do not matter here: only
 * rho_L.  Returns SP_OK with *gain = 0 when every skip gain qualifies
 * (even 0) or *gain = +infinity when every branch gain up to SP_GAIN_MAX
 * does; SP_ENOROOT (*gain = NaN) when none does; SP_EINVAL for a bad `g`;
 * SP_ENOCONV; or a propagation error met by Brent. */
int sp_recommend_critical_gain(const sp_model *m, const sp_workspace *w, sp_gain g, double rho_max,
                               double xtol, double *gain);

/** Block 1's attention input and the query/key gradient it predicts. */
typedef struct {
  double q, p;          /**< order parameters the attention sees (after the
                             pre-LN LayerNorm in pre-LN blocks) */
  sp_attn_stats stats;  /**< its statistics, all of them (SP_REM_ALL) */
  double qk_gradient;   /**< C beta var_v q (q - p)^2 G with C = 1:
                             T / (d^2 sqrt(log T)) E|dL/dW_Q|_F^2 per unit
                             loss scale, theory.md §9 [GG Result 2]; G is the
                             asymptotic m (1 - m) / 3 or the finite-T value */
  long width;           /**< d of qk_gradient_width, 0 when not known */
  double qk_gradient_width; /**< the same at width d (sp_grad_wq_width): G
                             plus E[(1 - Y2)^2] / d; equal to qk_gradient
                             when width is 0 */
  double qk_floor;      /**< beta var_v q^3 / d: the finite-width gradient
                             of the same block with orthogonal tokens
                             (p = 0) and flat attention (Y2 = G = 0); NaN
                             when width is 0 */
} sp_first_block;

/** Evaluate sp_first_block for `m` at width `width` (d_model; 0 when not
 * known: the infinite-width form only).  Errors as
 * sp_maps_attention_stats, SP_EDOM for width < 0. */
int sp_recommend_first_block(const sp_model *m, const sp_workspace *w, long width,
                             sp_first_block *fb);

/** Options of sp_recommend(). */
typedef struct {
  double rho_max; /**< rank-collapse threshold on rho_L, in (0, 1); 0.9 */
  double margin;  /**< relative safety margin M >= 0; 0.2 */
  sp_gain gain;   /**< the residual gain to tune; SP_GAIN_ALPHA */
  double xtol;    /**< absolute tolerance of every root; 1e-10 */
  long width;     /**< d_model for the finite-width q/k gradient; 0 when
                       not known */
} sp_recommend_options;

/** Fill `o` with the defaults above. */
void sp_recommend_options_default(sp_recommend_options *o);

/** Everything sp_recommend() finds.  A `*_status` field is the status of
 * the computation of the fields after it (SP_OK or the error; the fields
 * are NaN unless SP_OK, except as stated). */
typedef struct {
  sp_verdict verdict;       /**< the configuration as given */
  sp_first_block first;     /**< block 1 of the configuration */
  int lambda_status;
  double lambda_a;          /**< angle exponent per block (theory.md §7) */
  double lambda_a_err;      /**< error estimate, 0 for the closed form */
  int lambda_fd;            /**< 1 when from finite differences: blocks
                                 other than post-LN (whose stream norm
                                 drifts, so that the rate changes with
                                 depth) are linearised at q = q_L, the
                                 stream after the last block */
  double lambda_q;          /**< q at which lambda_a was taken (1 for the
                                 post-LN closed form) */
  double xi_a;              /**< -1/lambda_a when lambda_a < 0, else +inf */
  int beta_status;
  sp_beta_interval beta_range; /**< trainable beta at the given gains */
  int beta_runs;
  int edge_status;
  double beta_entropy;      /**< entropy edge of the configuration */
  double beta;              /**< recommended beta: min(beta, edge/(1+M)),
                                 the edge at the recommended gain */
  int gain_status;
  double gain_critical;     /**< critical gain (sp_recommend_critical_gain) at the
                                 recommended beta; 0 or +inf when any gain
                                 works, NaN when none does */
  double gain;              /**< recommended gain: for a skip gain
                                 max(current, (1+M) critical), for a branch
                                 gain min(current, critical/(1+M)); the
                                 current gain when no gain works; then
                                 capped at gain_overflow / (1+M) */
  double gain_overflow;     /**< the gain at which q_L reaches
                                 SP_Q_MAX_FLOAT16 when the gain above
                                 overflowed, else +infinity (NaN when even
                                 the smallest admissible gain overflows) */
  int margin_squeezed;      /**< 1 when the rank and overflow bounds leave
                                 less than the margin on both sides: the
                                 gain is then their geometric mean */
  sp_model recommended;     /**< the model with both applied */
  int rec_status;
  sp_verdict rec_verdict;   /**< its classification */
  int rec_beta_status;
  sp_beta_interval rec_beta_range; /**< trainable beta at the recommended gain */
  int rec_beta_runs;
} sp_recommendation;

/** Assess model `m` and recommend a change (theory.md §7, §9, §10):
 * classify it, evaluate block 1 and lambda_a (closed form for post-LN,
 * else finite differences at the final q_L), the trainable beta range at its
 * gains, the entropy edge and the critical gain, then recommend
 * beta' = min(beta, beta_e / (1 + M)) and the gain above; when the new
 * gain moves the entropy edge (no-LN stacks, beta_c on the raw stream),
 * beta' is lowered to the new edge / (1 + M) and the gain found again, for
 * at most 8 rounds.  Classify the result and give its trainable beta range.  Sub-computations that fail
 * record their status in `r` and do not fail the call; the call fails
 * (SP_EINVAL, SP_EDOM, or a propagation error) only when the model itself
 * cannot be classified or the options are out of their domains. */
int sp_recommend(const sp_model *m, const sp_workspace *w, const sp_recommend_options *o,
                 sp_recommendation *r);

SP_END_DECLS
#endif
