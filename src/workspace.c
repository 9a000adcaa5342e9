/* Tables shared by the maps: finite-T attention statistics and MLP kernels.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "workspace_private.h"

#include "sigprop/activation.h"
#include "sigprop/status.h"
#include "mlp_table_private.h"

#include <stdlib.h>
#include <string.h>

int sp_workspace_alloc(sp_workspace **out)
{
  if (!out)
    return SP_EINVAL;
  *out = calloc(1, sizeof(sp_workspace));
  return *out ? SP_OK : SP_ENOMEM;
}

void sp_workspace_free(sp_workspace *w)
{
  if (!w)
    return;
  for (size_t i = 0; i < w->nrem; i++)
    sp_rem_table_free(w->rem[i]);
  for (size_t i = 0; i < w->nmlp; i++)
    sp_mlp_table_free(w->mlp[i]);
  for (int i = 0; i < SP_NACT; i++)
    sp_hermite_table_free(w->her[i]);
  for (size_t i = 0; i < w->novl; i++)
    sp_overlap_table_free(w->ovl[i]);
  free(w);
}

/* A model reads a finite-T table when its softmax statistics are finite
 * (uniform attention is exact without one). */
static int wants_rem(const sp_model *m)
{
  return m->stats == SP_STATS_FINITE && m->attention != SP_ATTN_UNIFORM;
}

/* A model reads a row-overlap table when its exact overlap is used (the
 * softmax and centred outputs; causal rows up to the causal quadrature's
 * largest T, beyond which the maps refuse the exact overlap). */
static int wants_overlap(const sp_model *m)
{
  return wants_rem(m) && m->row_overlap == SP_OVERLAP_EXACT
         && (!m->causal || m->tokens <= SP_REM_OVERLAP_CAUSAL_MAX);
}

/* 1 when table t is the row-overlap table of (tokens, causal). */
static int ovl_is(const sp_overlap_table *t, long tokens, int causal)
{
  return sp_overlap_table_tokens(t) == tokens && sp_overlap_table_causal(t) == !!causal;
}

/* A model reads an MLP table when its MLP has no closed form and sees a
 * LayerNorm'd input (post-LN and pre-LN blocks). */
static int wants_mlp(const sp_model *m)
{
  return m->mlp && !sp_activation_has_closed_form(m->activation) && m->norm != SP_NORM_NONE;
}

/* A model reads the whole table of its activation's Hermite expansion
 * when its MLP has no closed form and no LayerNorm before it (the input
 * variance then changes from block to block). */
static int wants_hermite(const sp_model *m)
{
  return m->mlp && !sp_activation_has_closed_form(m->activation) && m->norm == SP_NORM_NONE;
}

int sp_workspace_needed(const sp_model *m)
{
  return wants_rem(m) || (m->mlp && !sp_activation_has_closed_form(m->activation));
}

const sp_rem_table *sp_workspace_rem(const sp_workspace *w, long tokens, int causal)
{
  if (!w)
    return NULL;
  for (size_t i = 0; i < w->nrem; i++)
    if (sp_rem_table_tokens(w->rem[i]) == tokens && sp_rem_table_causal(w->rem[i]) == causal)
      return w->rem[i];
  return NULL;
}

const sp_overlap_table *sp_workspace_overlap(const sp_workspace *w, long tokens, int causal)
{
  if (!w)
    return NULL;
  for (size_t i = 0; i < w->novl; i++)
    if (ovl_is(w->ovl[i], tokens, causal))
      return w->ovl[i];
  return NULL;
}

const sp_hermite_table *sp_workspace_hermite(const sp_workspace *w, const sp_model *m)
{
  if (!w || (unsigned)m->activation >= SP_NACT || !w->built[m->activation])
    return NULL;
  return w->her[m->activation];
}

const sp_mlp_table *sp_workspace_mlp(const sp_workspace *w, const sp_model *m)
{
  if (!w)
    return NULL;
  for (size_t i = 0; i < w->nmlp; i++)
    if (sp_mlp_table_matches(w->mlp[i], m->activation, m->erf_scale, m->var_w_in,
                             m->var_w_out, m->var_b))
      return w->mlp[i];
  return NULL;
}

/* Move entry i of a cache to the front. */
static void rem_to_front(sp_rem_table **v, size_t i)
{
  sp_rem_table *x = v[i];
  memmove(v + 1, v, i * sizeof *v);
  v[0] = x;
}

static void ovl_to_front(sp_overlap_table **v, size_t i)
{
  sp_overlap_table *x = v[i];
  memmove(v + 1, v, i * sizeof *v);
  v[0] = x;
}

/* The row-overlap table for (m->tokens, m->causal), allocated if missing
 * (its panels are built on first use). */
static int prepare_overlap(sp_workspace *w, const sp_model *m)
{
  size_t i = 0;
  int s = SP_OK;
  while (i < w->novl && !ovl_is(w->ovl[i], m->tokens, m->causal))
    i++;
  if (i == w->novl) {
    sp_overlap_table *t = NULL;
    s = m->causal ? sp_overlap_table_alloc_causal(m->tokens, &t)
                  : sp_overlap_table_alloc(m->tokens, &t);
    if (s)
      return s;
    if (w->novl == SP_WORKSPACE_CACHE_OVL)
      sp_overlap_table_free(w->ovl[--w->novl]);
    w->ovl[w->novl++] = t;
    i = w->novl - 1;
  }
  ovl_to_front(w->ovl, i);
  return SP_OK;
}

static void mlp_to_front(sp_mlp_table **v, size_t i)
{
  sp_mlp_table *x = v[i];
  memmove(v + 1, v, i * sizeof *v);
  v[0] = x;
}

/* A new MLP table for m: from the workspace's tabulated expansion of the
 * activation when it covers q_1 = var_w_in + var_b (a sweep over a
 * variance then computes each panel of expansions once instead of one
 * expansion a point), else built on its own. */
static int mlp_table_new(sp_workspace *w, const sp_model *m, sp_mlp_table **t)
{
  sp_hermite_table **ht = &w->her[m->activation];
  sp_hermite h;
  int s;
  if (!*ht && (s = sp_hermite_table_alloc(m->activation, m->erf_scale, ht)))
    return s;
  s = sp_hermite_table_eval(*ht, m->var_w_in + m->var_b, &h);
  if (s == SP_ENOCONV)
    return sp_mlp_table_alloc(m->activation, m->erf_scale, m->var_w_in, m->var_w_out,
                              m->var_b, t);
  if (s)
    return s;
  s = sp_mlp_table_alloc_expansion(m->activation, m->erf_scale, m->var_w_in, m->var_w_out,
                                   m->var_b, &h, t);
  sp_hermite_free(&h);
  return s;
}

int sp_workspace_prepare(sp_workspace *w, const sp_model *m)
{
  if (!w || !m)
    return SP_EINVAL;
  int s = sp_model_validate(m, NULL);
  if (s)
    return s;
  if (wants_rem(m)) {
    size_t i = 0;
    while (i < w->nrem && !(sp_rem_table_tokens(w->rem[i]) == m->tokens
                            && sp_rem_table_causal(w->rem[i]) == m->causal))
      i++;
    if (i == w->nrem) {
      sp_rem_table *t = NULL;
      if ((s = sp_rem_table_alloc(m->tokens, m->causal, &t)))
        return s;
      if (w->nrem == SP_WORKSPACE_CACHE_REM)
        sp_rem_table_free(w->rem[--w->nrem]);
      w->rem[w->nrem++] = t;
      i = w->nrem - 1;
    }
    rem_to_front(w->rem, i);
  }
  if (wants_overlap(m) && (s = prepare_overlap(w, m)))
    return s;
  if (wants_hermite(m) && !w->built[m->activation]) {
    sp_hermite_table **ht = &w->her[m->activation];
    if ((!*ht && (s = sp_hermite_table_alloc(m->activation, m->erf_scale, ht)))
        || (s = sp_hermite_table_build(*ht)))
      return s;
    w->built[m->activation] = 1;
  }
  if (wants_mlp(m)) {
    size_t i = 0;
    while (i < w->nmlp && !sp_mlp_table_matches(w->mlp[i], m->activation, m->erf_scale,
                                                m->var_w_in, m->var_w_out, m->var_b))
      i++;
    if (i == w->nmlp) {
      sp_mlp_table *t = NULL;
      if ((s = mlp_table_new(w, m, &t)))
        return s;
      if (w->nmlp == SP_WORKSPACE_CACHE_MLP)
        sp_mlp_table_free(w->mlp[--w->nmlp]);
      w->mlp[w->nmlp++] = t;
      i = w->nmlp - 1;
    }
    mlp_to_front(w->mlp, i);
  }
  w->model = *m;
  w->prepared = 1;
  return SP_OK;
}

int sp_workspace_check(const sp_workspace *w, const sp_model *m)
{
  if (!m)
    return SP_EINVAL;
  int s = sp_model_validate(m, NULL);
  if (s)
    return s;
  if (!w && sp_workspace_needed(m))
    return SP_EINVAL;
  return SP_OK;
}
