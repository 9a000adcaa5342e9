/* Fixtures shared by the C tests: the attention-only model, a path in a
 * test's directory, a prepared workspace, a diagram swept in one call, the
 * outer integrand of the Gaussian references.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_TEST_UTIL_H
#define SIGPROP_TEST_UTIL_H

#include "sigprop.h"

#include <math.h>
#include <stdio.h>

/* The default model without MLP and without value bias (its variance 0,
 * not following var_b): the attention-only stack of theory.md §7. */
static inline void tu_attention_only(sp_model *m)
{
  sp_model_default(m);
  m->mlp = 0;
  m->var_vb = 0.0;
  m->var_vb_follows_b = 0;
}

/* "dir/name" in one of four rotating static buffers (so that a call may
 * use up to four paths at once). */
static inline const char *tu_path(const char *dir, const char *name)
{
  static char buf[4][512];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

/* sp_workspace_alloc() then sp_workspace_prepare() for m: the first error.
 * *w is the workspace (free it with sp_workspace_free() whatever the
 * status; NULL when the allocation failed). */
static inline int tu_workspace(const sp_model *m, sp_workspace **w)
{
  *w = NULL;
  int s = sp_workspace_alloc(w);
  return s ? s : sp_workspace_prepare(*w, m);
}

/* Diagram options with `threads` threads, the rest their defaults. */
static inline sp_diagram_options tu_diagram_options(int threads)
{
  sp_diagram_options o;
  sp_diagram_options_default(&o);
  o.threads = threads;
  return o;
}

/* sp_diagram_alloc(), then sp_diagram_sweep() and, when `curves`,
 * sp_diagram_curves(): the first error.  *d is the diagram (free it with
 * sp_diagram_free() whatever the status; NULL when the allocation failed). */
static inline int tu_diagram_run(const sp_model *m, const sp_axis *x, const sp_axis *y,
                                 const sp_diagram_options *o, int curves, sp_diagram **d)
{
  *d = NULL;
  int s = sp_diagram_alloc(m, x, y, o, d);
  if (!s)
    s = sp_diagram_sweep(*d);
  if (!s && curves)
    s = sp_diagram_curves(*d);
  return s;
}

/* The outer integrand of a bivariate Gaussian expectation written as
 * E_w[psi(w) psi(+-w)], w ~ N(0, 1): psi is the inner (one-dimensional)
 * expectation at w, `negative` takes -w in the second factor (a negative
 * covariance).  For gsl_function, with a tu_outer as its parameter. */
typedef struct {
  double (*psi)(void *arg, double w);
  void *arg;
  int negative;
} tu_outer;

static inline double tu_outer_f(double w, void *p)
{
  const tu_outer *o = p;
  double a = o->psi(o->arg, w), b = o->psi(o->arg, o->negative ? -w : w);
  return exp(-0.5 * w * w) / sqrt(2.0 * M_PI) * a * b;
}

#endif
