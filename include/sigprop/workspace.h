/* sigprop: precomputed tables shared by the order-parameter maps.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_WORKSPACE_H
#define SIGPROP_WORKSPACE_H

#include "sigprop/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque workspace holding the tables that some models need (finite-T
 * attention statistics, MLP kernels of activations without a closed form).
 * Models with asymptotic statistics and a closed-form activation need none,
 * and the maps accept a NULL workspace for them. */
typedef struct sp_workspace sp_workspace;

/** A new, empty workspace; NULL when out of memory.  Free with
 * sp_workspace_free(). */
sp_workspace *sp_workspace_alloc(void);

/** Release `w` and its tables; NULL is a no-op. */
void sp_workspace_free(sp_workspace *w);

/** Make sure `w` holds every table model `m` needs (building only what
 * changed since the last call).  After it returns SP_OK, `w` may be read
 * by any number of threads at once through the maps, for `m` and for any
 * model that differs from it only in gains, beta, rho0, q0, depth, var-v,
 * var-vb or mean-removal.  Returns SP_EUNSUP for a model the library cannot
 * yet evaluate, SP_ENOMEM, SP_ENOCONV (quadrature), or the status of
 * sp_model_validate(). */
int sp_workspace_prepare(sp_workspace *w, const sp_model *m);

/** SP_OK when model `m` is valid (sp_model_validate) and `w` can serve it:
 * w may be NULL only when !sp_workspace_needed(m).  Else that status, or
 * SP_EINVAL. */
int sp_workspace_check(const sp_workspace *w, const sp_model *m);

/** 1 when model `m` needs a workspace (finite-T statistics, causal
 * attention, an activation without closed form); 0 when w may be NULL. */
int sp_workspace_needed(const sp_model *m);

#ifdef __cplusplus
}
#endif
#endif
