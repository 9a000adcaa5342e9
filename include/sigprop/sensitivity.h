/* sigprop: how far a verdict is from changing: the input cosine rho0 and
 * the depth L at which the phase of a configuration (theory.md §10)
 * changes, everything else fixed.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_SENSITIVITY_H
#define SIGPROP_SENSITIVITY_H

#include "sigprop/export.h"
#include "sigprop/recommend.h"

SP_BEGIN_DECLS

/** Points of the rho0 scan on each side of the given rho0. */
#define SP_SENSITIVITY_SCAN 96

/** Where the verdict of one configuration changes. */
typedef struct {
  sp_phase phase;          /**< the verdict at the given rho0 and depth */
  double rho0_down;        /**< the largest rho0 below the given one at which
                                the verdict changes (a boundary to
                                `rho0_tol`), NaN when none in the domain */
  sp_phase phase_down;     /**< the verdict just below rho0_down */
  double rho0_up;          /**< the smallest such rho0 above, NaN if none */
  sp_phase phase_up;       /**< the verdict just above rho0_up */
  double rho0_tol;         /**< width of the bracket of each boundary: the
                                verdict is `phase` at rho0_up - rho0_tol/2
                                and phase_up at rho0_up + rho0_tol/2 */
  long depth_down;         /**< the largest depth below the given one with
                                another verdict, 0 when none */
  sp_phase depth_phase_down; /**< the verdict there */
  long depth_up;           /**< the smallest depth above it (up to
                                depth_max) with another verdict, 0 if none */
  sp_phase depth_phase_up; /**< the verdict there */
  long depth_max;          /**< the deepest depth searched */
} sp_sensitivity;

/** The rho0 part of `s` for model `m` (its rho0, depth and everything
 * else as given; verdicts of sp_recommend_verdict with `rho_max`): the domain
 * of rho0 ([-1/(T-1), 1] under finite-T statistics or uniform attention,
 * [0, 1] under asymptotic ones) is scanned at SP_SENSITIVITY_SCAN points
 * on each side of m->rho0 (evenly spaced in rho0), outward from it, and
 * the step between the last scan point with the given verdict and the
 * first with another is closed in on by Brent's method (the project's
 * root finder) to a bracket narrower than xtol/2.  A flip closer
 * to m->rho0 than the scan spacing can be missed.  Points where the
 * iteration fails count as failed, not as a verdict, and end the scan on
 * that side.  Errors: SP_EINVAL (NULL), SP_EDOM (xtol <= 0, rho_max
 * outside (-1, 1)), or an error of sp_recommend_verdict at m itself. */
int sp_sensitivity_rho0(const sp_model *m, const sp_workspace *w, double rho_max, double xtol,
                        sp_sensitivity *s);

/** The depth part of `s`: one pass of depth_max blocks from (q0, rho0 q0)
 * gives the verdict at every depth 1..depth_max exactly as
 * sp_recommend_verdict() would at that depth (the iteration of the first l
 * blocks does not depend on L).  depth_max in [m->depth, SP_MAX_DEPTH].
 * Errors: SP_EINVAL (NULL), SP_EDOM (depth_max out of range, rho_max
 * outside (-1, 1)), the model's validation status, or a propagation error
 * other than an overflow (which is the stream-overflow verdict). */
int sp_sensitivity_depth(const sp_model *m, const sp_workspace *w, double rho_max,
                         long depth_max, sp_sensitivity *s);

SP_END_DECLS
#endif
