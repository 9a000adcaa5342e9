/* The overlap quadrature as the tables call it.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_REM_OVERLAP_PRIVATE_H
#define SIGPROP_REM_OVERLAP_PRIVATE_H

/* sp_rem_overlap() (causal == 0) or sp_rem_overlap_causal() (causal != 0,
 * T <= SP_REM_OVERLAP_CAUSAL_MAX) without argument checks (T >= 2, lambda
 * >= 0, 0 <= c <= 1 assumed); fast != 0 selects the table rule (steps
 * doubled, window cut at 1e-10: within 5e-8 of the direct rule, about ten
 * times faster).  SP_ENOCONV when E Y^(1) by the same grids is off 1 by
 * more than 1e-6. */
int sp_rem_overlap_rule(long tokens, int causal, double lambda, double c, int fast,
                        double *overlap);

#endif
