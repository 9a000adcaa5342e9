/* sigprop: a finite-width transformer at initialisation (theory.md §1, §12),
 * simulated in single precision with double-precision statistics: the
 * witness the mean-field theory is checked against.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_SIM_H
#define SIGPROP_SIM_H

#include "sigprop/export.h"
#include <stddef.h>

#include "sigprop/status.h"
#include "sigprop/model.h"

SP_BEGIN_DECLS

/** Opaque simulator workspace: the buffers of one layer of a network of a
 * fixed width, sequence length and number of heads, and a pool of threads.
 * Memory is O(T d + T^2 + d^2) whatever the depth: the weights of each block
 * are drawn when the block is reached and discarded after it.  One workspace
 * runs one network at a time (it is not re-entrant); use one per thread to
 * run networks in parallel. */
typedef struct sp_sim sp_sim;

/** Flags for sp_sim_alloc() and sp_sim_memory(). */
enum {
  SP_SIM_GRADIENT = 1u << 0, /**< also allocate what the query-weight gradient needs */
  SP_SIM_JACOBIAN = 1u << 1  /**< also allocate the tangents of Jacobian-vector products */
};

/** Bytes that sp_sim_alloc() with the same arguments would allocate, into
 * `*bytes` (a double, so that absurd sizes are reported instead of
 * overflowing).  `threads` <= 0 means the number of online processors.
 * Returns SP_EDOM when width < 2, tokens < 2, heads < 1 or heads does not
 * divide width; SP_EINVAL when bytes is NULL. */
int sp_sim_memory(long width, long tokens, long heads, int threads, unsigned flags,
                  double *bytes);

/** Physical memory of this machine in bytes (0 when unknown): the limit
 * sp_sim_alloc() refuses to exceed. */
double sp_sim_memory_limit(void);

/** A simulator for networks of width d = `width`, T = `tokens` tokens and H =
 * `heads` attention heads (head dimension d/H), computing with `threads`
 * threads (<= 0: the number of online processors; 1: no threads).  `flags`:
 * SP_SIM_GRADIENT to allow gradient runs, SP_SIM_JACOBIAN to allow Jacobian
 * runs (see sp_sim_options).  Returns SP_OK and the simulator in `*out`,
 * or (with *out NULL) SP_EINVAL for a NULL `out`, SP_EDOM for sizes out
 * of domain (see sp_sim_memory), SP_ENOMEM when the estimate exceeds
 * sp_sim_memory_limit() or an allocation fails.  The caller owns the
 * result: sp_sim_free() it. */
int sp_sim_alloc(long width, long tokens, long heads, int threads, unsigned flags, sp_sim **out);

/** Release `s`; NULL is a no-op. */
void sp_sim_free(sp_sim *s);

/** Threads the simulator computes with. */
int sp_sim_threads(const sp_sim *s);

/** Name of the matrix kernel in use (e.g. "avx512 12x32"), for metadata. */
const char *sp_sim_kernel_name(void);

/** Options of a run beyond the model. */
typedef struct {
  /** T' in sigma_a = beta sqrt(log T'), decoupling the query/key scale from
   * the number of simulated tokens (the paper's padded runs); 0 means T. */
  double tokens_scale;
  /** 1: measure the query-weight gradient of every block (needs a workspace
   * allocated with SP_SIM_GRADIENT).  0: no backward work at all. */
  int gradient;
  /** 1: measure the input-output Jacobians (needs a workspace allocated
   * with SP_SIM_JACOBIAN), by forward-mode differentiation: two tangents
   * are carried through the network with the same weights, exactly the
   * directional derivatives of the single-precision forward pass (no
   * step size, no cancellation).  One starts at the input as a random
   * isotropic probe u_0 (i.i.d. N(0, 1) entries over the T x d input) and
   * gives the end-to-end growth ||(dx_l/dx_0) u_0||^2 / ||u_0||^2; the
   * other is a fresh probe u_l drawn at block l's input, giving the growth
   * of that block alone, ||J_l u_l||^2 / ||u_l||^2 (theory.md §9, the
   * quantity sp_grad_block_chi() predicts).  It costs about two more
   * forward passes.  0: no tangents. */
  int jacobian;
  /** 1: LayerNorm the input tokens before the first block. */
  int input_ln;
  /** Called after the input and after every block with (progress_arg,
   * blocks done, depth): done is 0 after the input; may be NULL.  For
   * progress reports; runs on the calling thread. */
  sp_progress progress;
  void *progress_arg; /**< passed to progress as its first argument */
} sp_sim_options;

/** Fill `o` with the defaults: tokens_scale 0, no gradient, no input LN,
 * no progress callback. */
void sp_sim_options_default(sp_sim_options *o);

/** What one network records per layer.  Row 0 is the input; row l >= 1 is
 * the stream after block l together with the statistics of block l's
 * attention (as in sp_propagate).  Token overlaps are per unit width:
 * q_ts = x_t . x_s / d. */
typedef struct {
  long layer;
  double q;        /**< mean diagonal q_tt */
  double p;        /**< mean off-diagonal q_ts, t != s */
  double rho;      /**< p / q of this network */
  double cos_mean; /**< mean off-diagonal cosine similarity q_ts / sqrt(q_tt q_ss) */
  double cos_std;  /**< standard deviation of the off-diagonal cosine similarities */
  double y2;       /**< mean over rows and heads of Y2 = sum_s A_ts^2 (NaN in row 0) */
  double y3;       /**< mean of Y3 = sum_s A_ts^3 */
  double y2sq;     /**< mean over rows and heads of (Y2)^2 */
  double g;        /**< y2 - 2 y3 + y2sq: the measured G of theory.md §9 */
  double entropy;  /**< mean row entropy -sum_s A_ts log A_ts, nats */
  double max_attention; /**< mean over rows and heads of max_s A_ts */
  double overlap;  /**< mean over row pairs t != t' of sum_s A_ts A_t's */
  /** T / (d^2 sqrt(log T')) ||dL/dW_Q||_F^2 of block l's query weights under
   * the loss L = (1/T) sum_t r_t . y_t, r_t ~ N(0, I_d), y the attention
   * sub-block's output before the skip (theory.md §9, where this quantity is
   * C beta sigma_v^2 q (q - p)^2 G with C = 1).  NaN without gradient and in
   * row 0; 0 for uniform attention. */
  double grad_wq;
  /** Order parameters (mean diagonal, mean off-diagonal per unit width) of
   * block l's attention input: the stream of row l - 1 for post-LN and
   * no-LN blocks, its LayerNorm for pre-LN blocks (measured only with the
   * gradient or the Jacobian, NaN otherwise and in row 0). */
  double qa, pa;
  /** With the Jacobian: ||J_l u_l||^2 / ||u_l||^2 of block l for a fresh
   * isotropic probe u_l (see sp_sim_options.jacobian); NaN otherwise and
   * in row 0. */
  double grad_chi;
  /** With the Jacobian: ||(dx_l/dx_0) u_0||^2 / ||u_0||^2, the end-to-end
   * growth up to layer l (1 in row 0; the tangent is renormalised after
   * every block and the scale kept in double precision, so only a growth
   * beyond the range of double overflows); NaN otherwise. */
  double grad_chi_total;
} sp_sim_layer;

/** Run one network of model `m` drawn with seed `seed`, writing m->depth + 1
 * rows to `out` (caller-allocated).  The network (theory.md §1, §12):
 * - input x_t = sqrt(q0) (sqrt(rho0) u + sqrt(1 - rho0) z_t), u, z_t ~
 *   N(0, I_d); for rho0 < 0, x_t = sqrt(q0/(1+k)) (z_t - kappa zbar) with
 *   k = rho0/(1 - rho0), kappa = 1 - sqrt(1 + k T), which has the same two
 *   moments.  Optional LayerNorm (o->input_ln).
 * - attention per head h: scores (W_Q x_t)_h . (W_K x_s)_h / sqrt(d/H), W_Q,
 *   W_K entries ~ N(0, sigma_a/d), sigma_a = beta sqrt(log T') (theory.md §11:
 *   the score variance is beta^2 log T' q^2 for any H); row softmax with the
 *   maximum subtracted (causal: s <= t only); output sum_s A_ts (W_V x_s +
 *   b_V) with W_V ~ N(0, sigma_v^2/d), b_V ~ N(0, sigma_vb^2).  Centred
 *   attention subtracts the token mean of the output; uniform attention uses
 *   A_ts = 1/T (causal: 1/(t+1)) and draws no W_Q, W_K.
 * - MLP W_2 phi(W_1 x + b_1) + b_2, d_ff = d, weights ~ N(0, sigma_w^2 /
 *   fan-in) per layer, biases ~ N(0, sigma_b^2), phi from sp_activation_phi.
 * - blocks: post-LN x -> LN(a x + g f(x)), pre-LN x -> a x + g f(LN(x)), or
 *   no LN, for both sub-blocks; token-mean removal x -> x - tau xbar right
 *   after the attention sub-block's sum (before its LN in post-LN blocks),
 *   as sp_maps_block does.  LN has no affine parameters and no epsilon.
 * Weights are drawn from gsl_rng streams derived from (seed, layer, matrix,
 * row chunk), so a run is reproducible bit for bit and identical for any
 * number of threads.  Returns SP_EINVAL (NULL argument, m->tokens differing
 * from the workspace's, gradient requested of a workspace without it,
 * Jacobian requested of a workspace without it),
 * the status of sp_model_validate() (m->stats aside: a simulated network
 * uses no attention statistics, so any rho0 >= -1/(T-1) is valid), SP_EOVERFLOW / SP_EUNDERFLOW when the
 * stream overflows single precision or a token vanishes (LN of a zero
 * vector); then rows 0..(*done - 1) are valid.  `done` may be NULL. */
int sp_sim_run(sp_sim *s, const sp_model *m, const sp_sim_options *o, unsigned long seed,
               sp_sim_layer *out, long *done);

/** Mean and standard error over networks of one quantity. */
typedef struct {
  double mean;
  double se; /**< standard error of the mean; NaN for a single network */
} sp_sim_estimate;

/** Per-layer summary over networks. */
typedef struct {
  long layer;
  long n;                /**< networks */
  sp_sim_estimate q, p;
  /** Ratio of means, mean p / mean q (theory.md §2), with its delta-method
   * standard error. */
  sp_sim_estimate rho;
  sp_sim_estimate cos_mean, cos_std; /**< cosine similarity: mean and spread */
  sp_sim_estimate y2, y3, entropy, max_attention, overlap, grad_wq;
  sp_sim_estimate y2sq, g, qa, pa, grad_chi, grad_chi_total;
} sp_sim_summary;

/** Summarise `nruns` networks of `rows` rows each, stored one after the
 * other in `runs` (run r, row l at runs[r * rows + l]), into rows entries of
 * `out`.  Returns SP_EINVAL for NULL pointers or nruns < 1. */
int sp_sim_summarise(const sp_sim_layer *runs, size_t nruns, size_t rows, sp_sim_summary *out);

/** Floating-point operations of the matrix products of one forward pass of
 * `m` at this width (query, key and value projections, scores, attention
 * times values, both MLP layers, counted as dense products of any number of
 * heads, causal or not), not counting statistics or gradients.  For
 * throughput reports. */
double sp_sim_flops(const sp_model *m, long width, long heads);

SP_END_DECLS
#endif
