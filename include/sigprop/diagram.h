/* sigprop: trainability diagrams -- two-parameter sweeps, classification
 * of every grid point, class boundaries and analytic overlays
 * (theory.md §10).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_DIAGRAM_H
#define SIGPROP_DIAGRAM_H

#include "sigprop/export.h"
#include "sigprop/status.h"
#include "sigprop/contour.h"
#include "sigprop/propagate.h"

SP_BEGIN_DECLS

/** Spacing of the points of a swept axis. */
typedef enum {
  SP_SPACING_LINEAR, /**< equal steps in the value */
  SP_SPACING_LOG     /**< equal steps in log(value); needs 0 < min */
} sp_spacing;

/** One swept axis: `n` >= 2 values of the numeric model parameter `param`
 * from `min` to `max` (both included, min < max, both inside the
 * parameter's domain; whole numbers for an integer parameter). */
typedef struct {
  const sp_param *param;
  double min, max;
  size_t n;
  sp_spacing spacing;
} sp_axis;

/** Largest number of points on one axis. */
#define SP_AXIS_MAX 20000
/** Largest number of points in a whole grid (88 bytes each: about 1.4 GB). */
#define SP_GRID_MAX 16000000

/** Check `a`: SP_EINVAL for a NULL or unknown parameter or n outside
 * [2, SP_AXIS_MAX]; SP_EDOM when min >= max, an end is not finite, lies
 * outside the parameter's domain or is not whole for an integer
 * parameter, or when a log axis has min <= 0. */
int sp_axis_check(const sp_axis *a);

/** Coordinate of point k (0 <= k < n) of the checked axis `a`: linear
 * min + (max - min) k/(n - 1), or log exp(log min + (log max - log min)
 * k/(n - 1)); the ends are exactly min and max.  This is where the point
 * is drawn; the parameter takes sp_axis_value(). */
double sp_axis_coord(const sp_axis *a, size_t k);

/** The parameter value at coordinate `c` of axis `a`: `c` itself for a
 * real parameter, the nearest whole number for an integer one. */
double sp_axis_value(const sp_axis *a, double c);

/** Largest number of points on one axis of an MLP mean-field grid
 * (`sigprop mlp --x/--y`). */
#define SP_AXIS_MLP_MAX 1001

/** Parse and check the axis specification `spec` of the option `opt`
 * (its name without dashes, used in the message): "NAME:MIN:MAX:N" with
 * an optional fifth field "log", "lin" or "linear" (theory.md §10).  NAME
 * is a numeric model parameter (sp_param_lookup), MIN < MAX finite
 * numbers inside its domain (whole for an integer parameter), N a whole
 * number in [2, SP_AXIS_MAX], MIN > 0 on a log axis.  On success fills
 * `*out` (which passes sp_axis_check) and returns SP_OK; otherwise leaves
 * `*out` alone, writes one line "--OPT: <what>: <why>" (no newline, no
 * "sigprop:" prefix; truncated to `msgsize`, nothing written when `msg`
 * is NULL or `msgsize` is 0) and returns SP_EINVAL.  `opt` and `spec`
 * must not be NULL (SP_EINVAL, empty message). */
int sp_axis_parse(const char *opt, const char *spec, sp_axis *out, char *msg, size_t msgsize);

/** As sp_axis_parse() for the axes of an MLP mean-field grid (theory.md
 * §8): NAME is "var-w" or "var-b", MIN >= 0 (a variance), N in [2,
 * SP_AXIS_MLP_MAX]; the domain of the parameter is not otherwise
 * checked.  `out->param` is the var-w or var-b entry of the parameter
 * table.  Same status and message convention. */
int sp_axis_parse_mlp(const char *opt, const char *spec, sp_axis *out, char *msg,
                      size_t msgsize);

/** Class of a grid point, theory.md §10. */
typedef enum {
  SP_CLASS_TRAINABLE,        /**< neither failure */
  SP_CLASS_RANK_COLLAPSE,    /**< rho_L >= rho_max (and no entropy collapse) */
  SP_CLASS_ENTROPY_COLLAPSE, /**< some block's attention input is frozen
                                  (beta > beta_c), or E Y2 >= y2_max */
  SP_CLASS_UNDEFINED,        /**< the propagation failed (e.g. the squared
                                  norm of a no-LN stack overflowed) */
  SP_NCLASS                  /**< number of classes; not a class */
} sp_class;

/** "trainable", "rank-collapse", "entropy-collapse" or "undefined";
 * static, never NULL ("unknown" for an out-of-range value). */
const char *sp_class_name(sp_class c);

/** Thresholds and execution of a diagram.  Fill with
 * sp_diagram_options_default(), then change what you need. */
typedef struct {
  double rho_max;   /**< rank collapse when rho_L >= rho_max; default 0.9 */
  double y2_max;    /**< NaN (default): entropy collapse when some block is
                         frozen; a number V in (0, 1]: when the largest
                         E Y2 over the blocks is >= V instead */
  unsigned threads; /**< worker threads for the sweep, at most 256; 0
                         (default): one per online processor.  The results
                         do not depend on it. */
  /** Called after each finished grid row with the number of rows done and
   * the total as (progress_arg, rows done, rows); may be NULL.  Calls are
   * serialised but may come from any worker thread; the callback must not
   * call back into the diagram. */
  sp_progress progress;
  void *progress_arg; /**< passed to progress as its first argument */
  double grad_fraction; /**< NaN (default): no gradient overlay; F in (0, 1):
                             sp_diagram_curves() draws grad_wq = F times its
                             grid maximum (the vanishing-gradient boundary) */
  int lambda_g;     /**< nonzero: compute lambda_g at every point (a second
                         trajectory per point) and its zero curve; default 0 */
} sp_diagram_options;

/** Defaults: rho_max 0.9, y2_max NaN, threads 0, no progress callback,
 * grad_fraction NaN, lambda_g 0. */
void sp_diagram_options_default(sp_diagram_options *o);

/** What one grid point knows. */
typedef struct {
  double x, y;        /**< parameter values (integers rounded) */
  double rho_final;   /**< rho_L = p_L / q_L after the last block */
  double y2_first;    /**< E Y2 of block 1's attention input */
  double y2_max;      /**< largest E Y2 over the blocks */
  double beta_ratio;  /**< largest beta / beta_c over the blocks' attention
                           inputs (0 for uniform attention): > 1 iff frozen */
  double lambda_a;    /**< angle exponent per block (theory.md §7): closed
                           form for post-LN blocks, finite differences
                           otherwise; NaN when neither applies */
  double grad_wq;     /**< query-weight gradient of block 1, sp_grad_wq() at
                           block 1's attention input (q_a, p_a) with G of its
                           row statistics; NaN for uniform attention */
  double lambda_g;    /**< gradient exponent (sp_grad_exponent) when
                           opt.lambda_g is set, else NaN */
  long frozen_layers; /**< blocks whose attention input is frozen */
  sp_class cls;
  int status;         /**< SP_OK, or the error that made the point undefined */
} sp_diagram_point;

/** What a diagram holds, read through sp_diagram_view(): plain data owned
 * by the diagram (valid until sp_diagram_free()); read it, do not modify
 * it.  Grid point (i, j) is pt[j * nx + i], at coordinates (xc[i], yc[j])
 * of the x and y axes.  Curves are in axis coordinates (sp_axis_coord). */
typedef struct {
  sp_model model;       /**< the base model (swept fields at their base value) */
  sp_axis x, y;
  sp_diagram_options opt;
  size_t nx, ny;
  double *xc, *yc;      /**< axis coordinates, nx and ny of them */
  sp_diagram_point *pt; /**< nx * ny points, valid after sp_diagram_sweep() */
  size_t count[SP_NCLASS]; /**< number of points of each class */

  /* Filled by sp_diagram_curves(); empty when they do not exist. */
  sp_contour rank;      /**< rho_L = rho_max, where not entropy-collapsed */
  sp_contour entropy;   /**< edge of the entropy-collapse class (beta_ratio = 1,
                             or largest E Y2 = y2_max) */
  sp_contour lambda0;   /**< lambda_a = 0 */
  sp_contour grad;      /**< grad_wq = opt.grad_fraction * grad_max, when the
                             fraction is set and grad_max > 0 */
  double grad_max;      /**< largest grad_wq over the grid (NaN when none) */
  sp_contour lambda_g0; /**< lambda_g = 0, when opt.lambda_g is set */
  sp_contour beta_c;    /**< beta = beta_c of block 1's input, when an axis is beta */
  sp_contour alpha_c;   /**< smallest skip gain with rho_L <= rho_max, for each
                             value of the other axis, when an axis is alpha-sa
                             or alpha-mlp (y preferred) */
  const sp_param *alpha_axis; /**< the parameter alpha_c solves for, or NULL */
} sp_diagram_data;

/** A phase diagram (opaque): the grid, its points and curves, and the
 * workspaces that compute them.  Made by sp_diagram_alloc(), filled by
 * sp_diagram_sweep() and sp_diagram_curves(), read by sp_diagram_view(),
 * released by sp_diagram_free(). */
typedef struct sp_diagram sp_diagram;

/** The data of `d` (see sp_diagram_data): a pointer into `d`, valid until
 * sp_diagram_free(d); the points after sp_diagram_sweep(), the curves after
 * sp_diagram_curves().  NULL for a NULL `d`. */
const sp_diagram_data *sp_diagram_view(const sp_diagram *d);

/** Check the arguments and allocate a diagram of the sweep of `x` and `y`
 * around the base model `m` (copied).  `opt` may be NULL (defaults).
 * Errors: SP_EINVAL (NULL, the same parameter on both axes -- "eta" is
 * "beta", "var-w" overlaps "var-w-in" and "var-w-out" -- or a bad option,
 * e.g. a grad_fraction that is not NaN and not in (0, 1)),
 * SP_EDOM (a bad axis, see sp_axis_check, or a model that
 * sp_model_validate() rejects at a corner of the grid), SP_ENOMEM (also
 * when nx * ny > SP_GRID_MAX).  On error *out is NULL. */
int sp_diagram_alloc(const sp_model *m, const sp_axis *x, const sp_axis *y,
                     const sp_diagram_options *opt, sp_diagram **out);

/** Release `d` and everything it holds.  NULL is a no-op. */
void sp_diagram_free(sp_diagram *d);

/** Compute every grid point: iterate the model's L blocks from
 * (q0, rho0 q0) as sp_propagate_summary() does, record the point's
 * quantities and classify it (theory.md §10):
 *   entropy-collapse  if some block is frozen (beta > beta_c of its
 *                     attention input) -- or, when opt.y2_max = V is a
 *                     number, if the largest E Y2 over the blocks is >= V;
 *   rank-collapse     else if rho_L >= rho_max;
 *   trainable         otherwise.
 * Rows are shared among opt.threads POSIX threads; every point is computed
 * by the same operations whatever the thread count, so the results are
 * bit-identical.  Models that need tables (sp_workspace_needed) get one
 * workspace prepared once and read by all threads, or one per row or per
 * point when an axis sweeps a parameter the tables depend on (tokens,
 * var-w*, var-b, erf-scale).  A point whose propagation fails with
 * SP_EOVERFLOW, SP_EUNDERFLOW or SP_EDOM is SP_CLASS_UNDEFINED (NaN
 * values, its status kept); any other failure stops the sweep and is
 * returned (SP_ENOMEM, SP_EUNSUP from the workspace, ...). */
int sp_diagram_sweep(sp_diagram *d);

/** The sweep in parts, for spreading one diagram over several processes
 * (the program's MPI runs): compute grid rows first .. first + count - 1
 * only, as sp_diagram_sweep() computes them (bit-identical points, the
 * same threads and workspaces; the progress callback counts the rows of
 * this call).  Rows may be computed in any order, in several calls, or
 * elsewhere and stored with sp_diagram_set_rows(); sp_diagram_sweep_done()
 * then completes the sweep.  Errors: SP_EINVAL (NULL, or rows outside
 * 0 .. ny - 1), else as sp_diagram_sweep. */
int sp_diagram_sweep_rows(sp_diagram *d, size_t first, size_t count);
/** Store rows first .. first + count - 1 computed by another diagram of
 * the same arguments with sp_diagram_sweep_rows(): `pt` holds count * nx
 * points, row after row (copied).  Errors: SP_EINVAL (NULL, or rows
 * outside the grid). */
int sp_diagram_set_rows(sp_diagram *d, size_t first, size_t count, const sp_diagram_point *pt);
/** Complete a sweep made of sp_diagram_sweep_rows() and
 * sp_diagram_set_rows() calls that covered every row: count the classes
 * and allow sp_diagram_curves().  sp_diagram_sweep() is
 * sp_diagram_sweep_rows(d, 0, ny) followed by this.  Errors: SP_EINVAL,
 * SP_ENOMEM or a workspace error. */
int sp_diagram_sweep_done(sp_diagram *d);
/** Boundaries and overlays of a swept diagram, theory.md §10:
 * - `entropy`: marching squares on beta_ratio at level 1 (or on the
 *   largest E Y2 at level y2_max), `rank`: on rho_L at level rho_max,
 *   clipped to where the point is not entropy-collapsed; every crossing is
 *   placed by Brent's method on the recomputed quantity along the cell
 *   edge, and saddles are decided by the quantity at the cell centre
 *   (along an integer axis, where the quantities are step functions,
 *   crossings are interpolated linearly instead);
 * - `lambda0`: lambda_a = 0 the same way, when lambda_a changes sign;
 * - `grad`: grad_wq = F grad_max the same way (F = opt.grad_fraction), when
 *   F is set and grad_max > 0: the vanishing-gradient boundary, not a class;
 * - `lambda_g0`: lambda_g = 0 the same way, when opt.lambda_g is set and
 *   lambda_g changes sign;
 * - `beta_c`: beta = beta_c(q0, rho0 q0) of block 1's input (on (1, rho0)
 *   for pre-LN with beta_c on the input) along the other axis, when one
 *   axis is beta and the attention is not uniform;
 * - `alpha_c`: for each value of the other axis, the smallest skip gain
 *   with rho_L <= rho_max: the first grid step on which rho_L falls to
 *   rho_max brackets it, then Brent's method (GSL) to an absolute 1e-10 --
 *   the answer of sp_critical_rho() when rho_L decreases with the gain.
 *   No vertex where rho_L <= rho_max already at the axis minimum or
 *   nowhere on the axis.
 * Runs on the calling thread.  Errors: SP_EINVAL before sp_diagram_sweep,
 * SP_ENOMEM, or a fatal propagation error. */
int sp_diagram_curves(sp_diagram *d);

/** Compute one point at axis coordinates (xc, yc) (not necessarily on the
 * grid) exactly as the sweep does, on the calling thread.  Errors as
 * sp_diagram_sweep (a failed propagation gives SP_OK and an undefined
 * point). */
int sp_diagram_eval(sp_diagram *d, double xc, double yc, sp_diagram_point *pt);

SP_END_DECLS
#endif
