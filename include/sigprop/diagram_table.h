/* sigprop: the tables of sigprop diagram -- the grid (one row per point)
 * and the boundary and overlay curves (one row per vertex).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_DIAGRAM_TABLE_H
#define SIGPROP_DIAGRAM_TABLE_H

#include "sigprop/export.h"
#include "sigprop/diagram.h"
#include "sigprop/io.h"

#include <stddef.h>

SP_BEGIN_DECLS

/** Most columns of the grid table: x, y, rho_final, y2_first, y2_max,
 * beta_ratio, frozen_layers, lambda_a, grad_wq, lambda_g, class; lambda_g
 * only when the diagram computed it (opt.lambda_g). */
#define SP_DIAGRAM_GRID_NCOL 11

/** Columns of the curves table: curve, piece, x, y. */
#define SP_DIAGRAM_CURVES_NCOL 4

/** Number of columns of the grid table of `d`: SP_DIAGRAM_GRID_NCOL with
 * lambda_g, one fewer without; 0 for a NULL `d`. */
size_t sp_diagram_grid_ncol(const sp_diagram_data *d);

/** The grid table of a swept diagram `d` (theory.md §10), one row per grid
 * point in the order of d->pt (x fastest), into the caller's arrays of
 * nx * ny * sp_diagram_grid_ncol(d) entries, row-major: `num` receives the
 * numbers (frozen_layers NaN at an undefined point; class NaN) and `str`
 * the class names (sp_class_name, static) in the last column, NULL
 * elsewhere.  *t (may be NULL) is set to the table over them, with static
 * column names, ready for sp_table_write.  Errors: SP_EINVAL (NULL d, num
 * or str). */
int sp_diagram_grid_table(const sp_diagram_data *d, double *num, const char **str, sp_table *t);

/** Number of rows of the curves table of `d` after sp_diagram_curves():
 * every vertex of every curve, a closed curve's first vertex repeated at
 * its end; 0 for a NULL `d`. */
size_t sp_diagram_curves_nrow(const sp_diagram_data *d);

/** The curves table of `d` (after sp_diagram_curves()) into the caller's
 * arrays of sp_diagram_curves_nrow(d) * SP_DIAGRAM_CURVES_NCOL entries:
 * the curves rank, entropy, lambda0, beta_c, alpha_c, grad and lambda_g0 in
 * turn, one row per vertex with the curve's name in `str` (column curve,
 * static), the piece's index (0, 1, ...) and the vertex's axis
 * coordinates in `num` (column curve NaN).  *t (may be NULL) is set as for
 * sp_diagram_grid_table.  Errors: SP_EINVAL (NULL d, num or str). */
int sp_diagram_curves_table(const sp_diagram_data *d, double *num, const char **str,
                            sp_table *t);

SP_END_DECLS
#endif
