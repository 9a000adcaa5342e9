/* sigprop: the per-layer table of sigprop simulate (its columns, one row
 * of them from a summary row, and a whole run of several networks).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_SIM_TABLE_H
#define SIGPROP_SIM_TABLE_H

#include "sigprop/export.h"
#include "sigprop/sim.h"

#include <stddef.h>

SP_BEGIN_DECLS

/** Columns of the table: layer, then the mean and the standard error
 * (NAME, NAME_se) of q, p, rho, cos, rho_std, y2, y3, entropy,
 * max_attention, overlap (the base columns, SP_SIM_TABLE_NBASE of them),
 * grad_wq (measured with the gradient), grad_chi and grad_chi_total
 * (measured with the Jacobian). */
#define SP_SIM_TABLE_NCOL 27
#define SP_SIM_TABLE_NBASE 21

/** Name of column i (static), or NULL for i >= SP_SIM_TABLE_NCOL. */
const char *sp_sim_table_column(size_t i);

/** The SP_SIM_TABLE_NCOL columns of summary row S into v. */
void sp_sim_table_row(const sp_sim_summary *S, double *v);

/** What a run of several networks is: width d, heads, threads (<= 0: the
 * online processors), networks `seeds` >= 1 with seeds seed, seed + 1, ...,
 * and the options of every run (its progress callback, when set, is told
 * the blocks done over all networks: done of seeds x depth). */
typedef struct {
  long width, heads, seeds;
  int threads;
  unsigned long seed;
  sp_sim_options sim;
} sp_sim_table_options;

/** Defaults: width 0 (to be set), heads 1, seeds 0 (to be set), threads 0,
 * seed 1, sp_sim_options_default. */
void sp_sim_table_options_default(sp_sim_table_options *o);

/** Bytes a run of sp_sim_table_fill needs (the simulator's, sp_sim_memory,
 * and the per-layer records of every network and the summary), into
 * `*bytes`; compare with sp_sim_memory_limit().  Errors of sp_sim_memory. */
int sp_sim_table_memory(const sp_model *m, const sp_sim_table_options *o, double *bytes);

/** Simulate o->seeds networks of model m and summarise them
 * (sp_sim_summarise) into `out`, the caller's (m->depth + 1) x
 * SP_SIM_TABLE_NCOL doubles, row-major (sp_sim_table_row).  `*threads`
 * (may be NULL) receives the threads used.  Errors: those of sp_sim_alloc
 * (SP_EDOM sizes, SP_ENOMEM beyond the machine's memory), SP_ENOMEM, and
 * those of sp_sim_run, with `*failed_seed` and `*done` (may be NULL) its
 * seed and the rows it completed. */
int sp_sim_table_fill(const sp_model *m, const sp_sim_table_options *o, double *out,
                      int *threads, unsigned long *failed_seed, long *done);

SP_END_DECLS
#endif
