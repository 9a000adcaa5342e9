/* Tables shared by the maps: finite-T attention statistics and MLP kernels.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "workspace_private.h"

#include "sigprop/activation.h"
#include "sigprop/status.h"
#include "mlp_table_private.h"

#include <stdlib.h>
#include <string.h>

/* ---- the three caches ------------------------------------------------ */

/* One kind of table: whether table t serves model m, how to make one
 * for m, how to free one. */
typedef struct {
  int (*serves)(const void *t, const sp_model *m);
  int (*make)(sp_workspace *w, const sp_model *m, void **t);
  void (*drop)(void *t);
} table_kind;

/* The entry of c serving m, or NULL. */
static void *cache_find(const sp_workspace_cache *c, const table_kind *k, const sp_model *m)
{
  for (size_t i = 0; i < c->n; i++)
    if (k->serves(c->t[i], m))
      return c->t[i];
  return NULL;
}

/* Put the table serving m at the front of c, made if missing (the least
 * recently prepared entry is dropped when c is full). */
static int cache_prepare(sp_workspace *w, sp_workspace_cache *c, const table_kind *k,
                         const sp_model *m)
{
  size_t i = 0;
  while (i < c->n && !k->serves(c->t[i], m))
    i++;
  void *t = i < c->n ? c->t[i] : NULL;
  if (!t) {
    int s = k->make(w, m, &t);
    if (s)
      return s;
    if (c->n == c->cap)
      k->drop(c->t[--c->n]);
    i = c->n++;
  }
  memmove(c->t + 1, c->t, i * sizeof *c->t);
  c->t[0] = t;
  return SP_OK;
}

static void cache_free(sp_workspace_cache *c, const table_kind *k)
{
  for (size_t i = 0; i < c->n; i++)
    k->drop(c->t[i]);
}

/* Finite-T statistics, keyed by (tokens, causal). */
static int rem_serves(const void *t, const sp_model *m)
{
  return sp_rem_table_tokens(t) == m->tokens && sp_rem_table_causal(t) == m->causal;
}

static int rem_make(sp_workspace *w, const sp_model *m, void **t)
{
  (void)w;
  sp_rem_table *r = NULL;
  int s = sp_rem_table_alloc(m->tokens, m->causal, &r);
  *t = r;
  return s;
}

static void rem_drop(void *t)
{
  sp_rem_table_free(t);
}

/* Row overlaps, keyed by (tokens, causal); panels built on first use. */
static int ovl_serves(const void *t, const sp_model *m)
{
  return sp_overlap_table_tokens(t) == m->tokens && sp_overlap_table_causal(t) == !!m->causal;
}

static int ovl_make(sp_workspace *w, const sp_model *m, void **t)
{
  (void)w;
  sp_overlap_table *o = NULL;
  int s = m->causal ? sp_overlap_table_alloc_causal(m->tokens, &o)
                    : sp_overlap_table_alloc(m->tokens, &o);
  *t = o;
  return s;
}

static void ovl_drop(void *t)
{
  sp_overlap_table_free(t);
}

/* Post-LayerNorm MLP kernels, keyed by the activation and the variances. */
static int mlp_serves(const void *t, const sp_model *m)
{
  return sp_mlp_table_matches(t, m->activation, m->erf_scale, m->var_w_in, m->var_w_out,
                              m->var_b);
}

/* A new MLP table for m: from the workspace's tabulated expansion of the
 * activation when it covers q_1 = var_w_in + var_b (a sweep over a
 * variance then computes each panel of expansions once instead of one
 * expansion a point), else built on its own. */
static int mlp_make(sp_workspace *w, const sp_model *m, void **t)
{
  sp_hermite_table **ht = &w->her[m->activation];
  sp_mlp_table *r = NULL;
  sp_hermite h;
  int s;
  if (!*ht && (s = sp_hermite_table_alloc(m->activation, m->erf_scale, ht)))
    return s;
  s = sp_hermite_table_eval(*ht, m->var_w_in + m->var_b, &h);
  if (s == SP_ENOCONV) {
    s = sp_mlp_table_alloc(m->activation, m->erf_scale, m->var_w_in, m->var_w_out, m->var_b,
                           &r);
  } else if (!s) {
    s = sp_mlp_table_alloc_expansion(m->activation, m->erf_scale, m->var_w_in, m->var_w_out,
                                     m->var_b, &h, &r);
    sp_hermite_free(&h);
  }
  *t = r;
  return s;
}

static void mlp_drop(void *t)
{
  sp_mlp_table_free(t);
}

static const table_kind REM = {rem_serves, rem_make, rem_drop};
static const table_kind OVL = {ovl_serves, ovl_make, ovl_drop};
static const table_kind MLP = {mlp_serves, mlp_make, mlp_drop};

/* ---- the workspace ---------------------------------------------------- */

int sp_workspace_alloc(sp_workspace **out)
{
  if (!out)
    return SP_EINVAL;
  sp_workspace *w = calloc(1, sizeof *w);
  *out = w;
  if (!w)
    return SP_ENOMEM;
  w->rem = (sp_workspace_cache){w->rem_t, 0, SP_WORKSPACE_CACHE_REM};
  w->mlp = (sp_workspace_cache){w->mlp_t, 0, SP_WORKSPACE_CACHE_MLP};
  w->ovl = (sp_workspace_cache){w->ovl_t, 0, SP_WORKSPACE_CACHE_OVL};
  return SP_OK;
}

void sp_workspace_free(sp_workspace *w)
{
  if (!w)
    return;
  cache_free(&w->rem, &REM);
  cache_free(&w->mlp, &MLP);
  cache_free(&w->ovl, &OVL);
  for (int i = 0; i < SP_NACT; i++)
    sp_hermite_table_free(w->her[i]);
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

const sp_rem_table *sp_workspace_rem(const sp_workspace *w, const sp_model *m)
{
  return w ? cache_find(&w->rem, &REM, m) : NULL;
}

const sp_overlap_table *sp_workspace_overlap(const sp_workspace *w, const sp_model *m)
{
  return w ? cache_find(&w->ovl, &OVL, m) : NULL;
}

const sp_hermite_table *sp_workspace_hermite(const sp_workspace *w, const sp_model *m)
{
  if (!w || (unsigned)m->activation >= SP_NACT || !w->built[m->activation])
    return NULL;
  return w->her[m->activation];
}

const sp_mlp_table *sp_workspace_mlp(const sp_workspace *w, const sp_model *m)
{
  return w ? cache_find(&w->mlp, &MLP, m) : NULL;
}

/* The whole table of m's activation's expansion, for an MLP without
 * LayerNorm. */
static int prepare_hermite(sp_workspace *w, const sp_model *m)
{
  sp_hermite_table **ht = &w->her[m->activation];
  int s;
  if ((!*ht && (s = sp_hermite_table_alloc(m->activation, m->erf_scale, ht)))
      || (s = sp_hermite_table_build(*ht)))
    return s;
  w->built[m->activation] = 1;
  return SP_OK;
}

int sp_workspace_prepare(sp_workspace *w, const sp_model *m)
{
  if (!w || !m)
    return SP_EINVAL;
  int s = sp_model_validate(m, NULL);
  if (s)
    return s;
  if ((wants_rem(m) && (s = cache_prepare(w, &w->rem, &REM, m)))
      || (wants_overlap(m) && (s = cache_prepare(w, &w->ovl, &OVL, m)))
      || (wants_hermite(m) && !w->built[m->activation] && (s = prepare_hermite(w, m)))
      || (wants_mlp(m) && (s = cache_prepare(w, &w->mlp, &MLP, m))))
    return s;
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
