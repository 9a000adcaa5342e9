/* Private: the post-LayerNorm MLP table built from a given Hermite
 * expansion (the workspace's, read from its sp_hermite_table).  Not
 * installed.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SP_MLP_TABLE_PRIVATE_H
#define SP_MLP_TABLE_PRIVATE_H

#include "sigprop/gauss.h"
#include "hermite.h"

/* As sp_mlp_table_alloc(), with phi's expansion at q_1 = sw_in + sb taken
 * from `h` (whose h->q1 the caller guarantees; SP_EINVAL for NULL h)
 * instead of computed: the nodes are the same sums, so the table differs
 * from sp_mlp_table_alloc()'s only by h's own error. */
int sp_mlp_table_alloc_expansion(sp_activation act, double a, double sw_in, double sw_out,
                                 double sb, const sp_hermite *h, sp_mlp_table **out);

#endif
