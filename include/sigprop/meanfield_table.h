/* sigprop: the tables of sigprop mlp: the classic mean field of the MLP
 * alone (theory.md §8) at one point and over a (var-w, var-b) grid.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_MEANFIELD_TABLE_H
#define SIGPROP_MEANFIELD_TABLE_H

#include "sigprop/export.h"
#include "sigprop/meanfield.h"
#include "sigprop/model.h"

#include <stddef.h>

SP_BEGIN_DECLS

/** Columns of the grid table: var_w, var_b, then those of one point,
 * q_star, chi1, c_star, xi_c, xi_q (the last SP_MEANFIELD_TABLE_NPOINT). */
#define SP_MEANFIELD_TABLE_NCOL 7
#define SP_MEANFIELD_TABLE_NPOINT 5

/** Name of column i (static), or NULL for i >= SP_MEANFIELD_TABLE_NCOL. */
const char *sp_meanfield_table_column(size_t i);

/** Point i of an axis of n >= 2 points from min to max, evenly spaced or,
 * with log_spacing, geometrically (min > 0); the last exactly max. */
double sp_meanfield_table_axis(double min, double max, long n, int log_spacing, long i);

/** The SP_MEANFIELD_TABLE_NPOINT columns of model m's MLP (activation,
 * erf_scale, var_w_in as var-w, var_b) into v, and the whole solution into
 * *mf (may be NULL) (sp_meanfield_solve).  Errors of sp_meanfield_solve;
 * v is then unchanged. */
int sp_meanfield_table_point(const sp_model *m, double *v, sp_meanfield *mf);

/** Every point of the grid of var-w and var-b (x the var-w axis when
 * x_is_w, else var-b), solved on one thread per processor, x fastest, into
 * out (nx ny rows of SP_MEANFIELD_TABLE_NCOL, the caller's): a point whose
 * solve does not converge has NaN columns and counts in *undefined;
 * *chaotic counts the points with chi1 > 1 (both may be NULL).  Another
 * failure stops at that point (the first in grid order), whose variances go
 * to *bad_w, *bad_b (may be NULL), and is returned. */
int sp_meanfield_table_grid(const sp_model *m, int x_is_w, const double *xs, size_t nx,
                            const double *ys, size_t ny, double *out, size_t *chaotic,
                            size_t *undefined, double *bad_w, double *bad_b);

/** sp_meanfield_table_grid() with the points shared among `threads` threads
 * (sp_meanfield_solve_batch; 0: one per online processor, at most
 * SP_MF_MAX_THREADS): the same table whatever the thread count, the first
 * failing point in grid order reported.  sp_meanfield_table_grid() is this
 * with 0.  Also SP_ENOMEM, and SP_EINVAL for threads > SP_MF_MAX_THREADS. */
int sp_meanfield_table_grid_threads(const sp_model *m, int x_is_w, const double *xs, size_t nx,
                                    const double *ys, size_t ny, unsigned threads, double *out,
                                    size_t *chaotic, size_t *undefined, double *bad_w,
                                    double *bad_b);

SP_END_DECLS
#endif
