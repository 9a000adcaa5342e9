/* sigprop: the per-layer table of sigprop propagate (its columns, one row
 * of them from a trajectory row, and a whole table in one call).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_PROPAGATE_TABLE_H
#define SIGPROP_PROPAGATE_TABLE_H

#include "sigprop/export.h"
#include "sigprop/grad.h"
#include "sigprop/propagate.h"

#include <stddef.h>

SP_BEGIN_DECLS

/** Columns of the table: layer, q, p, rho, beta_c, frozen, lambda, m, y2,
 * y3, y2sq, g, entropy, entropy_ratio, grad_wq, qk_v_ratio, grad_chi. */
#define SP_PROPAGATE_TABLE_NCOL 17

/** Name of column i (static), or NULL for i >= SP_PROPAGATE_TABLE_NCOL. */
const char *sp_propagate_table_column(size_t i);

/** The SP_PROPAGATE_TABLE_NCOL columns of trajectory row L of model m into
 * v: the row's state and attention statistics (frozen NaN in row 0), and
 * for rows l >= 1 the gradient columns sp_grad_wq, sp_grad_qk_v_ratio and
 * sp_grad_block_chi of block l (theory.md §9; NaN where undefined). */
void sp_propagate_table_row(const sp_model *m, const sp_layer *L, double *v);

/** The whole table of model m: sp_propagate with SP_REM_ALL statistics,
 * then m->depth + 1 rows of sp_propagate_table_row into `out` (the
 * caller's, (m->depth + 1) x SP_PROPAGATE_TABLE_NCOL doubles, row-major).
 * Errors as sp_propagate, and SP_ENOMEM; `*done` (may be NULL) as there:
 * on an error at block l the rows before it are written. */
int sp_propagate_table_fill(const sp_model *m, const sp_workspace *w, double *out, long *done);

SP_END_DECLS
#endif
