/* sigprop: precomputed tables shared by the order-parameter maps.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_WORKSPACE_H
#define SIGPROP_WORKSPACE_H

#include "sigprop/export.h"
#include "sigprop/model.h"

SP_BEGIN_DECLS

/** Opaque workspace holding the tables that some models need: finite-T
 * attention statistics (sp_rem_table, one per (T, causal)) and the
 * post-LayerNorm MLP kernel of activations without a closed form
 * (sp_mlp_table, one per (activation, variances)).  Models with asymptotic
 * statistics and a closed-form activation need none, and the maps accept a
 * NULL workspace for them.  The maps also accept a workspace without the
 * table a model needs: they then evaluate the integrals directly, exactly
 * but about a thousand times slower. */
typedef struct sp_workspace sp_workspace;

/** Finite-T tables a workspace keeps (see sp_workspace_prepare): about
 * 70 kB each. */
#define SP_WORKSPACE_CACHE_REM 64
/** Row-overlap tables (sp_overlap_table, one per (T, causal)) a workspace
 * keeps, about 530 kB each. */
#define SP_WORKSPACE_CACHE_OVL 8
/** MLP tables a workspace keeps, about 10 kB each: enough for a sweep of
 * 201 values of a variance to build each table once. */
#define SP_WORKSPACE_CACHE_MLP 256

/** A new, empty workspace in `*out`, which the caller frees with
 * sp_workspace_free().  Returns SP_OK, or (with *out NULL) SP_ENOMEM, or
 * SP_EINVAL for a NULL `out`. */
int sp_workspace_alloc(sp_workspace **out);

/** Release `w` and its tables; NULL is a no-op. */
void sp_workspace_free(sp_workspace *w);

/** Make sure `w` holds every table model `m` needs, building only those it
 * does not hold yet: the finite-T table for (m->tokens, m->causal) when
 * m->stats is finite and the attention is not uniform (0.1 to 0.5 s), and
 * the MLP table for (activation, erf-scale, var-w-in, var-w-out, var-b)
 * when the activation has no closed form and the blocks have a LayerNorm
 * (gelu, tanh, silu with var-w-in + var-b <= 16: about 0.1 ms, from the
 * workspace's table of the activation's Hermite expansion over q_1, whose
 * panels of one unit of log q_1 are computed on first use, 0.4 to 20 ms
 * each, so a sweep over var-w or var-b computes no expansion per point;
 * otherwise 20 to 100 ms), the whole table of that expansion when the
 * MLP has no LayerNorm before it (17 to 30 ms for gelu and silu, 85 to
 * 160 ms for tanh; read by the MLP map at every input variance up to 16), and the
 * row-overlap table for (m->tokens, m->causal) when the statistics are
 * finite, the attention softmax or centred, the row overlap exact and, for
 * causal rows, T <= 4096 (sp_overlap_table_alloc() or
 * sp_overlap_table_alloc_causal(): no panel
 * built yet; the maps build the panels of the lambda they reach on first
 * use, 0.07 to 0.7 s of processor time each over all processors, causal
 * 0.2 to 4 s, so a sweep pays only for the range it reaches).  Up to SP_WORKSPACE_CACHE_REM and
 * SP_WORKSPACE_CACHE_MLP (SP_WORKSPACE_CACHE_OVL) tables are kept (the least recently prepared is
 * dropped beyond that), so a sweep over T or over the MLP variances can
 * prepare every value first, or prepare point by point and build each
 * table once; the table of the last prepared model is found first.  After it
 * returns SP_OK, `w` may be read by any number of threads at once through
 * the maps, for every model prepared since and for any model that differs
 * from one of them only in gains, beta, rho0, q0, depth, var-v, var-vb,
 * mean-removal, attention variant or LayerNorm placement.  Not to be called
 * while another thread reads `w`.  Returns SP_EINVAL for NULL arguments,
 * SP_ENOMEM, SP_ENOCONV (quadrature), or the status of sp_model_validate(). */
int sp_workspace_prepare(sp_workspace *w, const sp_model *m);

/** SP_OK when model `m` is valid (sp_model_validate) and `w` can serve it:
 * w may be NULL only when !sp_workspace_needed(m).  Else that status, or
 * SP_EINVAL. */
int sp_workspace_check(const sp_workspace *w, const sp_model *m);

/** 1 when model `m` needs a workspace for fast evaluation: finite-T
 * statistics with softmax or centred attention, or an MLP activation
 * without a closed form (gelu, tanh, silu).  The propagation functions
 * refuse a NULL workspace for such models (SP_EINVAL). */
int sp_workspace_needed(const sp_model *m);

SP_END_DECLS
#endif
