/* sigprop: level curves of a function sampled on a rectangular grid
 * (marching squares), with crossings refined by root finding.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_CONTOUR_H
#define SIGPROP_CONTOUR_H

#include "sigprop/export.h"
#include <stddef.h>

SP_BEGIN_DECLS

/** One connected piece of a level curve: `n` >= 2 vertices (x[k], y[k])
 * in grid coordinates.  When `closed` is 1 the curve also joins the last
 * vertex to the first (which is not repeated). */
typedef struct {
  size_t n;
  double *x, *y;
  int closed;
} sp_polyline;

/** A set of polylines; owned by the caller, released with
 * sp_contour_free().  A zero-initialised sp_contour is a valid empty set. */
typedef struct {
  size_t n;
  sp_polyline *lines;
} sp_contour;

/** A continuous function f(x, y) supplied by the caller, used to place
 * crossings exactly.  Store f(x, y) in *value and return SP_OK; store NaN
 * when f is not defined at (x, y) (the caller then falls back to linear
 * interpolation); any other return status aborts the computation and is
 * passed on.  It is called from one thread only. */
typedef int (*sp_contour_fn)(double x, double y, void *arg, double *value);

/** Level curves z = `level` of the samples z[j*nx + i] taken at
 * (x[i], y[j]), with x and y strictly increasing and nx, ny >= 2.
 *
 * Method: marching squares.  A corner is "above" when z >= level.  Each
 * grid edge whose corners are on different sides holds one crossing,
 * shared by the two cells next to it; it is placed by linear interpolation
 * or, when `f` is not NULL, by Brent's method (GSL) on f - level along the
 * edge until the bracket is shorter than 1e-10 of the edge (linear
 * interpolation again when f is NaN at a bracket end, disagrees in sign
 * with the samples or fails to converge).  Ambiguous (saddle) cells are
 * resolved by the sign of f - level at the cell centre when `f` is given,
 * else by the value of the bilinear interpolant at its saddle point (the
 * "asymptotic decider"), so the curves never cross.  Cells with a NaN
 * corner are skipped, so curves end at them.  The segments are stitched
 * into maximal polylines: open ones end on the grid border or at a skipped
 * cell; closed ones are loops.  The order of the output depends only on
 * the input.
 *
 * Accuracy: with linear interpolation the crossings carry the O(h^2)
 * error of interpolating z along an edge of length h (for z = x^2 + y^2
 * every vertex lies within h^2/(8r) + O(h^4) of the circle of radius r,
 * tests/test_contour.c).
 *
 * `out` must be empty (zero-initialised or freed); on success it receives
 * the curves (possibly none).  Errors: SP_EINVAL (NULL pointer, fewer
 * than 2 points, coordinates not strictly increasing, non-empty out),
 * SP_EDOM (NaN level), SP_ENOMEM, or the status returned by `f`; on error
 * `out` is left empty. */
int sp_contour_lines(size_t nx, size_t ny, const double *x, const double *y, const double *z,
                     double level, sp_contour_fn f, void *arg, sp_contour *out);

/** Keep only the parts of the curves in `c` where h(x, y) <= `level`,
 * in place: h is evaluated at every vertex, and a segment that leaves or
 * enters the kept region is cut where h = level (Brent's method along the
 * segment, to 1e-10 of its length; the midpoint when h is NaN there).
 * Vertices where h is NaN are kept.  Pieces shorter than two vertices are
 * dropped.  Errors: SP_EINVAL, SP_EDOM (NaN level), SP_ENOMEM or the
 * status of `h`; on error `c` is left unchanged. */
int sp_contour_clip(sp_contour *c, sp_contour_fn h, void *arg, double level);

/** Free the polylines of `c` and make it empty.  NULL is a no-op. */
void sp_contour_free(sp_contour *c);

SP_END_DECLS
#endif
