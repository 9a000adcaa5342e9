/* Private: the MLP mean field reading phi's Hermite expansion from a
 * table over q (what sp_meanfield_solve_batch() gives each thread).  Not
 * installed.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SP_MEANFIELD_PRIVATE_H
#define SP_MEANFIELD_PRIVATE_H

#include "sigprop/meanfield.h"
#include "hermite_table.h"

/* sp_meanfield_solve(), with the expansion at q* read from `ht` (NULL:
 * computed, as sp_meanfield_solve() does) where the table covers q*; the
 * table's error (3e-13 of the sums, hermite_table.h) is all that
 * differs.  `ht` is written to (panels built on demand): one per thread. */
int sp_meanfield_solve_tabulated(sp_activation act, double a, double sw, double sb,
                                 sp_hermite_table *ht, sp_meanfield *mf);

#endif
