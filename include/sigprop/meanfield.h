/* sigprop: classic mean field of a deep MLP alone (theory.md §8, [PS]):
 * fixed points of the length and correlation maps, chi_1, depth scales,
 * and the edge of chaos chi_1 = 1.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_MEANFIELD_H
#define SIGPROP_MEANFIELD_H

#include "sigprop/export.h"
#include "sigprop/model.h"

SP_BEGIN_DECLS

/** What the length map q -> sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2 does. */
typedef enum {
  SP_MF_Q_FINITE, /**< a finite stable fixed point q* (possibly 0) */
  SP_MF_Q_NONE,   /**< no finite fixed point reached: q grows without bound
                       (relu above sigma_w^2 = 2, linear above 1, gelu and
                       silu at large sigma_w^2) */
  SP_MF_Q_ANY     /**< every q is a fixed point (relu at sigma_w^2 = 2 and
                       linear at 1, both with sigma_b^2 = 0) */
} sp_mf_q;

/** Mean-field description of a deep MLP with weight variance sigma_w^2
 * (times fan-in) and bias variance sigma_b^2, theory.md §8.  Pre-activation
 * length q (variance per unit), correlation c of two inputs.  Undefined
 * fields are NaN.  A depth scale is -1/log(slope) of the map at its fixed
 * point: +infinity at slope 1 (criticality: the approach is a power law),
 * 0 at slope 0. */
typedef struct {
  sp_mf_q kind;
  double q_star; /**< stable fixed point of q = sw E[phi(sqrt(q) z)^2] + sb:
                      the smallest one at which the map crosses from above to
                      below (or 0 when 0 is stable); NaN unless kind is
                      SP_MF_Q_FINITE */
  double chi1;   /**< sw E[phi'(sqrt(q*) z)^2]; for relu and linear q*
                      plays no part; for kind SP_MF_Q_NONE the limit
                      q -> infinity (sw/2 for relu, gelu, silu; sw linear) */
  double c_star; /**< stable fixed point of the correlation map at q*:
                      1 when chi1 <= 1 (ordered phase and its edge), else the
                      largest fixed point below 1 (chaotic phase) */
  double xi_c;   /**< -1/log(sw E[phi'(u1) phi'(u2)]) at (q*, c*), the slope
                      of the correlation map there; -1/log chi1 when c* = 1 */
  double xi_q;   /**< -1/log(chi1 + sw E[phi(u) phi''(u)]) at q*, the slope
                      of the length map */
} sp_meanfield;

/** Largest q searched for a fixed point; beyond it q* counts as absent. */
#define SP_MF_Q_MAX 1e12

/** Relative tolerance of the fixed points q* and c* (Brent's method,
 * GSL, on the sign change of map(x) - x bracketed by a scan; the maps are
 * evaluated by sp_gauss_* to SP_GAUSS_TOL). */
#define SP_MF_TOL 1e-12

/** Solve the classic mean field of an MLP with activation `act` (erf
 * scale `erf_scale`), weight variance `var_w` >= 0 and bias variance
 * `var_b` >= 0.  q*: closed form for relu (sb / (1 - sw/2)) and linear
 * (sb / (1 - sw)); otherwise, with F(q) = map(q) - q: if sb = 0 and
 * sw phi'(0)^2 <= 1 then q* = 0 (stable); else the first sign change of F
 * (of F(q)/q when sb = 0, whose limit at 0 is sw phi'(0)^2 - 1) on a
 * geometric scan up to SP_MF_Q_MAX, refined by Brent.  c*: 1 when chi1 <= 1;
 * else the first sign change of (C(c) - c)/(1 - c) going down from c = 1,
 * where C is the correlation map at q* and (1 - C(c))/(1 - c) is computed
 * from the kernel's gap without cancellation, on a scan of 64 points
 * refined by Brent.  For gelu, tanh and silu with q* <= 16 the correlation
 * map and xi_c's slope come from the Hermite expansion of phi at q*
 * (E[phi(u) phi(v)] = sum a_n^2 c^n, computed once; see
 * sp_mlp_table_alloc()), which agrees with the two-dimensional quadrature
 * to about 1e-12 and makes a solve about 20 times faster (a tanh grid of
 * 36 x 26 points: 0.36 s of CPU instead of 8.2 s); otherwise every
 * evaluation is a sp_gauss_kernel_d() quadrature.  Returns SP_EDOM for a negative or non-finite variance
 * or erf scale, SP_EINVAL for an unknown activation or mf == NULL,
 * SP_ENOCONV when Brent or the quadrature fails. */
int sp_meanfield_solve(sp_activation act, double erf_scale, double var_w, double var_b,
                       sp_meanfield *mf);

/** One step of the maps at (q, c): with u, v of variance q and correlation
 * c, q' = sw E[phi(u)^2] + sb and c' = (sw E[phi(u) phi(v)] + sb) / q'
 * (at q = q* this is the correlation map C).  Either output may be NULL.
 * For relu with sb = 0, c' = f(c), the arc-cosine kernel, whatever q.
 * SP_EDOM for q <= 0 or |c| > 1 (beyond rounding), q' = 0, or bad
 * variances; errors of sp_gauss_kernel(). */
int sp_meanfield_map(sp_activation act, double erf_scale, double var_w, double var_b,
                     double q, double c, double *q_next, double *c_next);

/** Which variance sp_meanfield_critical() solves for. */
typedef enum { SP_MF_VAR_W, SP_MF_VAR_B } sp_mf_param;

/** The value x in [lo, hi] of sigma_w^2 (param SP_MF_VAR_W; `var_w` is
 * then ignored) or sigma_b^2 (SP_MF_VAR_B; `var_b` ignored) at which
 * chi1 = `target` (the edge of chaos for target 1, theory.md §8): the
 * first sign change of chi1(x) - target on a scan of SP_MF_SCAN points,
 * refined by Brent's method (GSL) to an interval narrower than `xtol`.
 * E.g. tanh with sigma_b^2 = 0.05: sigma_w^2 = 1.760955.
 * Returns SP_ENOROOT when there is no sign change on the scan, or when
 * chi1 jumps across the target instead of passing through it (*root is then
 * the jump: gelu and silu with sigma_b^2 > 0, whose stable q* disappears in
 * a saddle-node as sigma_w^2 grows, beyond which q grows without bound);
 * SP_EDOM for a bad range, target <= 0 or bad variances; SP_ENOCONV. */
int sp_meanfield_critical(sp_activation act, double erf_scale, double var_w, double var_b,
                          sp_mf_param param, double target, double lo, double hi,
                          double xtol, double *root);

/** Points of the bracketing scan of sp_meanfield_critical(): on the
 * default range [0, 100] a step of 0.39, below the distance between the
 * sign changes of chi1 - 1 for these activations (there is one), at a cost
 * of 256 mean-field solutions (~0.1 s). */
#define SP_MF_SCAN 256

/** Most threads sp_meanfield_solve_batch() starts. */
#define SP_MF_MAX_THREADS 256

/** sp_meanfield_solve() at n points (var_w[k], var_b[k]), shared among
 * `threads` POSIX threads (0: one per online processor; 1, or a build
 * without threads: the calling thread alone), points handed out one at a
 * time: out[k] and statuses[k] are what sp_meanfield_solve() returns for
 * point k, whatever the thread count (a phase diagram of var-w x var-b,
 * e.g.), except that for gelu, tanh and silu each thread reads phi's
 * Hermite expansion and E[phi^2], E[phi'^2] from a table over log q
 * (built a panel at a time, 3e-13 of the sums) instead of computing them
 * at every point: q* and chi_1 then agree with sp_meanfield_solve() to
 * about 1e-12 and c* to 1e-10 (a tanh grid of 201 x 201: 1.0 s of CPU,
 * from 10 s).  Returns SP_EINVAL for a NULL array (n > 0) or threads >
 * SP_MF_MAX_THREADS, else SP_OK (the points' own errors are in statuses). */
int sp_meanfield_solve_batch(sp_activation act, double erf_scale, size_t n, const double *var_w,
                             const double *var_b, unsigned threads, sp_meanfield *out,
                             int *statuses);

SP_END_DECLS
#endif
