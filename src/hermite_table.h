/* Private: the Hermite expansion of gelu, tanh and silu tabulated over the
 * input variance q_1, so that a sweep over a weight or bias variance reads
 * the expansion at any q_1 instead of recomputing it.  Not installed.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SP_HERMITE_TABLE_H
#define SP_HERMITE_TABLE_H

#include "hermite.h"

/* Nodes (Chebyshev-Lobatto, ends shared by nothing: each panel is
 * independent) per panel of unit width in log q_1.  With 12 the
 * interpolated sums a_n^2 S_n(x), sum a_n^2 and sum n a_n^2 agree with
 * sp_hermite_compute() at the same q_1 to 3e-13 of themselves for gelu,
 * tanh and silu over q_1 in [1e-3, 16] and every x in [-1, 1] (measured
 * on 20 points a panel and 21 x; 8 nodes give 9e-9, 10 give 3e-11);
 * test_hermite_table checks 1e-11. */
#define SP_HERMITE_TABLE_NODES 12
/* Panels below log SP_HERMITE_QMAX: q_1 from 16 e^-24 (6e-10) to 16. */
#define SP_HERMITE_TABLE_PANELS 24

/* The table of one activation.  Panels are computed the first time a q_1
 * in them is asked for (a sweep pays only for the range it reaches: one
 * panel costs SP_HERMITE_TABLE_NODES expansions, 0.4 ms for q_1 < 0.4 to
 * 20 ms for q_1 near 16 with tanh), so evaluation writes to the table:
 * one table per thread. */
typedef struct sp_hermite_table sp_hermite_table;

/* A table for activation `act` (scale `a` as sp_hermite_compute() takes
 * it) with no panel computed yet, in *out (freed by
 * sp_hermite_table_free()).  SP_EINVAL for NULL `out`, SP_ENOMEM. */
int sp_hermite_table_alloc(sp_activation act, double a, sp_hermite_table **out);

/* Release `t`; NULL is a no-op. */
void sp_hermite_table_free(sp_hermite_table *t);

/* 1 when `t` was made for (act, a); `a` matters for erf only. */
int sp_hermite_table_matches(const sp_hermite_table *t, sp_activation act, double a);

/* The expansion at q_1 into *h (h->a2 allocated: free with
 * sp_hermite_free()), by barycentric interpolation in log q_1 of the
 * coefficients a_n^2 of the panel's nodes, and of their sums e2 and
 * price alike (the interpolant is linear: they stay the sums of the
 * interpolated a2 up to rounding).
 * SP_ENOCONV (nothing to free) when q_1 is outside the table's range,
 * when the activation has no expansion or when a node of the panel failed
 * its checks: the caller then computes the expansion directly or
 * integrates; SP_ENOMEM. */
int sp_hermite_table_eval(sp_hermite_table *t, double q1, sp_hermite *h);

/* The sums alone at q_1: e2 = E[phi^2] and price = q_1 E[phi'^2] (as
 * sp_hermite_table_eval() gives them, without the coefficients: a dozen
 * products once the panel is built).  Either output may be NULL.  Errors
 * as sp_hermite_table_eval(). */
int sp_hermite_table_moments(sp_hermite_table *t, double q1, double *e2, double *price);

/* Compute every panel the range holds now (panels whose nodes fail their
 * checks are recorded as such), so that the table can then be read by
 * any number of threads through sp_hermite_table_kernel().  One thread,
 * this machine: 17 to 30 ms for gelu and silu, 85 to 160 ms for tanh
 * (the spread is the load).  SP_EINVAL for NULL, SP_ENOMEM, else SP_OK. */
int sp_hermite_table_build(sp_hermite_table *t);

/* The kernel at variance q_1 and correlation x in [-1, 1] from a built
 * panel, without writing to the table: *e2 = E[phi(u)^2] and
 * *g = sum a_n^2 S_n(x) (the gap E[phi^2] - E[phi(u) phi(v)] over 1 - x),
 * each node's series summed by Horner's rule on its tails (all the
 * panel's nodes at once) and interpolated in log q_1.  SP_ENOCONV when
 * q_1 is outside the range, the panel not built (sp_hermite_table_build())
 * or failed, or x is not in [-1, 1]. */
int sp_hermite_table_kernel(const sp_hermite_table *t, double q1, double x, double *e2,
                            double *g);

#endif
