/* The per-layer table of sigprop simulate.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/sim_table.h"

#include "sigprop/status.h"

#include <stdlib.h>
#include <string.h>

static const char *const columns[SP_SIM_TABLE_NCOL] = {
  "layer", "q", "q_se", "p", "p_se", "rho", "rho_se", "cos", "cos_se", "rho_std", "rho_std_se",
  "y2", "y2_se", "y3", "y3_se", "entropy", "entropy_se", "max_attention", "max_attention_se",
  "overlap", "overlap_se", "grad_wq", "grad_wq_se", "grad_chi", "grad_chi_se",
  "grad_chi_total", "grad_chi_total_se"};

const char *sp_sim_table_column(size_t i)
{
  return i < SP_SIM_TABLE_NCOL ? columns[i] : NULL;
}

void sp_sim_table_row(const sp_sim_summary *S, double *v)
{
  double row[SP_SIM_TABLE_NCOL] = {
    (double)S->layer, S->q.mean, S->q.se, S->p.mean, S->p.se, S->rho.mean, S->rho.se,
    S->cos_mean.mean, S->cos_mean.se, S->cos_std.mean, S->cos_std.se, S->y2.mean, S->y2.se,
    S->y3.mean, S->y3.se, S->entropy.mean, S->entropy.se, S->max_attention.mean,
    S->max_attention.se, S->overlap.mean, S->overlap.se, S->grad_wq.mean, S->grad_wq.se,
    S->grad_chi.mean, S->grad_chi.se, S->grad_chi_total.mean, S->grad_chi_total.se};
  memcpy(v, row, sizeof row);
}

void sp_sim_table_options_default(sp_sim_table_options *o)
{
  memset(o, 0, sizeof *o);
  o->heads = 1;
  o->seed = 1;
  sp_sim_options_default(&o->sim);
}

int sp_sim_table_memory(const sp_model *m, const sp_sim_table_options *o, double *bytes)
{
  if (!m || !o || !bytes)
    return SP_EINVAL;
  unsigned flags = (o->sim.gradient ? SP_SIM_GRADIENT : 0u)
                   | (o->sim.jacobian ? SP_SIM_JACOBIAN : 0u);
  double need;
  int s = sp_sim_memory(o->width, m->tokens, o->heads, o->threads, flags, &need);
  if (s)
    return s;
  *bytes = need + (double)o->seeds * (double)(m->depth + 1)
                    * (double)(sizeof(sp_sim_layer) + sizeof(sp_sim_summary));
  return SP_OK;
}

/* The caller's progress over all networks: network k's blocks after the
 * k networks before it. */
typedef struct {
  const sp_sim_options *user;
  size_t k, seeds;
} overall;

static void overall_progress(void *arg, size_t done, size_t depth)
{
  const overall *p = arg;
  p->user->progress(p->user->progress_arg, p->k * depth + done, p->seeds * depth);
}

int sp_sim_table_fill(const sp_model *m, const sp_sim_table_options *o, double *out,
                      int *threads, unsigned long *failed_seed, long *done)
{
  if (!m || !o || !out || o->seeds < 1)
    return SP_EINVAL;
  unsigned flags = (o->sim.gradient ? SP_SIM_GRADIENT : 0u)
                   | (o->sim.jacobian ? SP_SIM_JACOBIAN : 0u);
  sp_sim *sim = NULL;
  int s = sp_sim_alloc(o->width, m->tokens, o->heads, o->threads, flags, &sim);
  if (s)
    return s;
  if (threads)
    *threads = sp_sim_threads(sim);
  size_t rows = (size_t)m->depth + 1, seeds = (size_t)o->seeds;
  sp_sim_layer *runs = malloc(seeds * rows * sizeof *runs);
  sp_sim_summary *sum = malloc(rows * sizeof *sum);
  overall ov = {&o->sim, 0, seeds};
  sp_sim_options so = o->sim;
  if (so.progress) {
    so.progress = overall_progress;
    so.progress_arg = &ov;
  }
  s = runs && sum ? SP_OK : SP_ENOMEM;
  for (size_t k = 0; k < seeds && !s; k++) {
    ov.k = k;
    s = sp_sim_run(sim, m, &so, o->seed + k, runs + k * rows, done);
    if (s && failed_seed)
      *failed_seed = o->seed + k;
  }
  if (!s)
    s = sp_sim_summarise(runs, seeds, rows, sum);
  for (size_t l = 0; l < rows && !s; l++)
    sp_sim_table_row(&sum[l], out + l * SP_SIM_TABLE_NCOL);
  free(runs);
  free(sum);
  sp_sim_free(sim);
  return s;
}
