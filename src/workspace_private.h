/* Layout of sp_workspace, shared by the modules that read its tables.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_WORKSPACE_PRIVATE_H
#define SIGPROP_WORKSPACE_PRIVATE_H

#include "sigprop/gauss.h"
#include "sigprop/rem_finite.h"
#include "sigprop/rem_overlap.h"
#include "sigprop/workspace.h"
#include "hermite_table.h"

struct sp_workspace {
  int prepared;   /* 1 after a successful sp_workspace_prepare */
  sp_model model; /* the model it was last prepared for */
  /* Most recently prepared first. */
  sp_rem_table *rem[SP_WORKSPACE_CACHE_REM];
  size_t nrem;
  sp_mlp_table *mlp[SP_WORKSPACE_CACHE_MLP];
  size_t nmlp;
  /* The expansions the MLP tables are built from, one per activation. */
  sp_hermite_table *her[SP_NACT];
  int built[SP_NACT]; /* 1 when her[i] has every panel computed */
  sp_overlap_table *ovl[SP_WORKSPACE_CACHE_OVL];
  size_t novl;
};

/* The finite-T table for (tokens, causal), or NULL; w may be NULL. */
const sp_rem_table *sp_workspace_rem(const sp_workspace *w, long tokens, int causal);

/* The row-overlap table for T = tokens of encoder (causal == 0) or causal
 * rows, or NULL; w may be NULL. */
const sp_overlap_table *sp_workspace_overlap(const sp_workspace *w, long tokens, int causal);

/* The fully built table of the Hermite expansion of m's activation (what
 * an MLP without LayerNorm reads at any input variance), or NULL. */
const sp_hermite_table *sp_workspace_hermite(const sp_workspace *w, const sp_model *m);

/* The post-LayerNorm MLP table for the MLP of model m, or NULL. */
const sp_mlp_table *sp_workspace_mlp(const sp_workspace *w, const sp_model *m);

#endif
