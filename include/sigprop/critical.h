/* sigprop: critical values: the parameter value at which a network stops
 * (or starts) collapsing at a given depth.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_CRITICAL_H
#define SIGPROP_CRITICAL_H

#include "sigprop/export.h"
#include "sigprop/propagate.h"

SP_BEGIN_DECLS

/** Number of points of the bracketing scan in sp_critical_rho(). */
#define SP_CRITICAL_SCAN 1024

/** Smallest x in [lo, hi] of the real parameter `param` such that the final
 * correlation rho_L of model `m` (with param = x) is <= rho_max, theory.md
 * §7 and §10.  Method: scan SP_CRITICAL_SCAN equally spaced points for the
 * first one with rho_L <= rho_max, then Brent's method (GSL) on the
 * bracketing interval until it is narrower than `xtol` (absolute) -- the
 * iteration is INITIALIZE / ITERATE / TEST with gsl_root_test_interval.
 * Returns SP_ENOROOT when rho_L > rho_max on the whole scan, or when
 * rho_L <= rho_max already at lo (then *root = lo), SP_EINVAL for an integer
 * parameter (use sp_critical_depth), SP_ENOCONV when Brent does not
 * converge in 200 iterations, or a propagation error. */
int sp_critical_rho(const sp_model *m, const sp_workspace *w, const sp_param *param,
                    double rho_max, double lo, double hi, double xtol, double *root);

/** Largest depth L in [lo, hi] such that rho_l <= rho_max for every
 * l <= L: the last depth before the correlation first exceeds rho_max.
 * One trajectory of `hi` blocks, O(hi).  SP_ENOROOT when rho_lo > rho_max
 * (none in range) or when rho stays <= rho_max up to hi (then *depth = hi). */
int sp_critical_depth(const sp_model *m, const sp_workspace *w, double rho_max, long lo,
                      long hi, long *depth);

SP_END_DECLS
#endif
