/* Layout of sp_workspace, shared by the modules that read its tables.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_WORKSPACE_PRIVATE_H
#define SIGPROP_WORKSPACE_PRIVATE_H

#include "sigprop/gauss.h"
#include "sigprop/rem_finite.h"
#include "sigprop/rem_overlap.h"
#include "sigprop/workspace.h"
#include "hermite_table.h"

/* Tables of one kind, most recently prepared first: entries t[0..n-1] of
 * at most `cap`, each owned by the cache. */
typedef struct {
  void **t;
  size_t n, cap;
} sp_workspace_cache;

struct sp_workspace {
  int prepared;   /* 1 after a successful sp_workspace_prepare */
  sp_model model; /* the model it was last prepared for */
  sp_workspace_cache rem, mlp, ovl; /* finite-T, MLP and row-overlap tables */
  void *rem_t[SP_WORKSPACE_CACHE_REM], *mlp_t[SP_WORKSPACE_CACHE_MLP];
  void *ovl_t[SP_WORKSPACE_CACHE_OVL];
  /* The expansions the MLP tables are built from, one per activation
   * (keyed by the activation alone: the scale matters only for erf, whose
   * closed form never reads them). */
  sp_hermite_table *her[SP_NACT];
  int built[SP_NACT]; /* 1 when her[i] has every panel computed */
};

/* The finite-T table for (m->tokens, m->causal), or NULL; w may be NULL. */
const sp_rem_table *sp_workspace_rem(const sp_workspace *w, const sp_model *m);

/* The row-overlap table for (m->tokens, m->causal), or NULL; w may be
 * NULL. */
const sp_overlap_table *sp_workspace_overlap(const sp_workspace *w, const sp_model *m);

/* The fully built table of the Hermite expansion of m's activation (what
 * an MLP without LayerNorm reads at any input variance), or NULL. */
const sp_hermite_table *sp_workspace_hermite(const sp_workspace *w, const sp_model *m);

/* The post-LayerNorm MLP table for the MLP of model m, or NULL. */
const sp_mlp_table *sp_workspace_mlp(const sp_workspace *w, const sp_model *m);

#endif
