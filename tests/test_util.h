/* Fixtures shared by the C tests: a model from its command-line options,
 * task options, the attention-only model, a path in a
 * test's directory, a temporary directory made and removed, a prepared
 * workspace, a diagram swept in one call, the outer integrand of the Gaussian
 * references, seeded simulations summarised.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_TEST_UTIL_H
#define SIGPROP_TEST_UTIL_H

#include "sigprop.h"

#include <ftw.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Model options applied to *m in order, as the program applies its command
 * line (sigprop(1) MODEL OPTIONS): opts is e.g. "--norm pre --tokens 317
 * --rho0 0.0417", a value being the word after its option unless that word
 * starts with "--" (--causal takes none).  An option the program refuses is
 * a mistake in the test: "Bail out!" and exit status 1. */
static inline void tu_model_set(sp_model *m, const char *opts)
{
  char buf[512], *word[64], *save = NULL;
  size_t n = 0;
  snprintf(buf, sizeof buf, "%s", opts);
  for (char *w = strtok_r(buf, " ", &save); w && n < 64; w = strtok_r(NULL, " ", &save))
    word[n++] = w;
  sp_modelopt *o = NULL;
  int s = strlen(opts) < sizeof buf && n < 64 ? sp_modelopt_alloc(&o) : SP_EINVAL;
  if (!s)
    *sp_modelopt_model(o) = *m;
  for (size_t i = 0; !s && i < n; i++) {
    const char *value = i + 1 < n && strncmp(word[i + 1], "--", 2) != 0 ? word[i + 1] : NULL;
    s = strncmp(word[i], "--", 2) != 0 ? SP_EINVAL
                                       : sp_modelopt_set(o, SP_MODELOPT_ALL, word[i] + 2, value);
    i += value != NULL;
  }
  if (s) {
    const char *why = o ? sp_modelopt_error(o) : "";
    printf("Bail out! model options '%s': %s\n", opts,
           *why ? why : "not --NAME [VALUE] words (at most 63 words, 511 characters)");
    exit(1);
  }
  *m = *sp_modelopt_model(o);
  sp_modelopt_free(o);
}

/* The default model (sp_model_default) with the model options opts
 * (tu_model_set). */
static inline sp_model tu_model(const char *opts)
{
  sp_model m;
  sp_model_default(&m);
  tu_model_set(&m, opts);
  return m;
}

/* Task options of `kind` over `vocab` token ids in sequences of `tokens`,
 * from `seed`, the others their defaults (sp_task_options_default). */
static inline sp_task_options tu_task_options(sp_task_kind kind, long vocab, long tokens,
                                              unsigned long seed)
{
  sp_task_options o;
  sp_task_options_default(&o);
  o.kind = kind;
  o.vocab = vocab;
  o.tokens = tokens;
  o.seed = seed;
  return o;
}

/* The default model without MLP and without value bias (its variance 0,
 * not following var_b): the attention-only stack of theory.md §7. */
static inline void tu_attention_only(sp_model *m)
{
  sp_model_default(m);
  m->mlp = 0;
  m->var_vb = 0.0;
  m->var_vb_follows_b = 0;
}

/* A draw from the uniform distribution on [lo, hi) of rng. */
static inline double tu_uniform(gsl_rng *rng, double lo, double hi)
{
  return lo + (hi - lo) * gsl_rng_uniform(rng);
}

/* The attention scale, the token count and the value and bias variances of
 * a random model ("high-entropy" inputs), four draws from rng in that order. */
static inline void tu_random_attention(sp_model *m, gsl_rng *rng)
{
  m->beta = tu_uniform(rng, 0.0, 6.0);
  m->tokens = 2 + (long)gsl_rng_uniform_int(rng, 5000);
  m->var_v = tu_uniform(rng, 0.0, 2.0);
  m->var_b = tu_uniform(rng, 0.0, 0.1);
}

/* The MLP weight variances, the skip gains and the branch gains of a random
 * model, six draws from rng in that order. */
static inline void tu_random_gains(sp_model *m, gsl_rng *rng)
{
  m->var_w_in = tu_uniform(rng, 0.0, 2.5);
  m->var_w_out = tu_uniform(rng, 0.0, 2.5);
  m->alpha_sa = tu_uniform(rng, 0.0, 3.0);
  m->alpha_mlp = tu_uniform(rng, 0.0, 3.0);
  m->branch_sa = tu_uniform(rng, 0.0, 2.0);
  m->branch_mlp = tu_uniform(rng, 0.0, 2.0);
}

/* The starting correlation (above -1/(T - 1) with uniform attention, else
 * non-negative), the starting squared norm and the depth of a random model,
 * three draws from rng in that order; m->tokens and m->attention set. */
static inline void tu_random_start(sp_model *m, gsl_rng *rng)
{
  double lo = m->attention == SP_ATTN_UNIFORM ? -1.0 / (double)(m->tokens - 1) : 0.0;
  m->rho0 = tu_uniform(rng, lo, 1.0);
  m->q0 = tu_uniform(rng, 0.2, 3.0);
  m->depth = 1 + (long)gsl_rng_uniform_int(rng, 80);
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

/* A new empty directory "$TMPDIR/<name>-XXXXXX" (/tmp when TMPDIR is unset
 * or empty) in dir (size bytes): 1, or 0 when it cannot be made. */
static inline int tu_tempdir(char *dir, size_t size, const char *name)
{
  const char *tmp = getenv("TMPDIR");
  int n = snprintf(dir, size, "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
  return n > 0 && (size_t)n < size && mkdtemp(dir) != NULL;
}

static inline int tu_remove_entry(const char *path, const struct stat *sb, int flag,
                                  struct FTW *ftw)
{
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

/* Removes dir and everything below it (links not followed): 0 on success. */
static inline int tu_remove_tree(const char *dir)
{
  return nftw(dir, tu_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
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

/* The default diagram of the overlap tests: finite-T statistics with the row
 * overlap ovl, 60 blocks, beta and alpha-sa over [0, 5] at n points each. */
static inline void tu_overlap_grid(sp_row_overlap ovl, size_t n, sp_model *m, sp_axis *x,
                                   sp_axis *y)
{
  sp_model_default(m);
  m->stats = SP_STATS_FINITE;
  m->row_overlap = ovl;
  m->depth = 60;
  *x = (sp_axis){sp_param_lookup("beta"), 0.0, 5.0, n, SP_SPACING_LINEAR};
  *y = (sp_axis){sp_param_lookup("alpha-sa"), 0.0, 5.0, n, SP_SPACING_LINEAR};
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

/* The default model with T tokens, `depth` blocks and attention scale beta. */
static inline sp_model tu_sim_model(long T, long depth, double beta)
{
  sp_model m;
  sp_model_default(&m);
  m.tokens = T;
  m.depth = depth;
  m.beta = beta;
  return m;
}

/* Simulate `m` (width d, one head, two threads, the default options and,
 * when `jacobian`, the Jacobian tangents) from the seeds seed0, seed0 + 1,
 * ..., seed0 + seeds - 1 and summarise the depth + 1 records of the runs
 * into `sum`.  Returns the statuses of the allocation and the runs OR-ed
 * together. */
static inline int tu_sim_summary(const sp_model *m, long d, int jacobian, unsigned long seed0,
                                 int seeds, sp_sim_summary *sum)
{
  long rows = m->depth + 1;
  sp_sim_options opt;
  sp_sim_options_default(&opt);
  opt.jacobian = jacobian;
  sp_sim *s = NULL;
  int st = sp_sim_alloc(d, m->tokens, 1, 2, jacobian ? SP_SIM_JACOBIAN : 0u, &s);
  sp_sim_layer *runs = malloc(sizeof *runs * (size_t)(seeds * rows));
  if (st || !runs) {
    sp_sim_free(s);
    free(runs);
    return st ? st : SP_ENOMEM;
  }
  for (int k = 0; k < seeds; k++)
    st |= sp_sim_run(s, m, &opt, seed0 + (unsigned long)k, runs + k * rows, NULL);
  sp_sim_free(s);
  st |= sp_sim_summarise(runs, (size_t)seeds, (size_t)rows, sum);
  free(runs);
  return st;
}

/* `m` started from the input a simulation measured (layer 0 of `sum`). */
static inline sp_model tu_measured_input(const sp_model *m, const sp_sim_summary *sum)
{
  sp_model mt = *m;
  mt.q0 = sum[0].q.mean;
  mt.rho0 = sum[0].rho.mean;
  return mt;
}

#endif
