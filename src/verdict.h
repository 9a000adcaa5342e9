/* Private: the walk through a model's blocks that sp_recommend_verdict
 * classifies, one block at a time, shared with sp_sensitivity_depth, which
 * classifies every depth on the way (theory.md §10).  One rule for a
 * stream overflow and one for the phase.  Defined in recommend.c.  Not
 * installed.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SP_VERDICT_H
#define SP_VERDICT_H

#include "sigprop/recommend.h"

typedef struct {
  double q, p;       /* the state after the blocks walked (q infinite after an overflow) */
  double rho;        /* p / q of the last block before any overflow */
  double beta_c_min; /* smallest beta_c of the attention inputs (+infinity: none, or uniform) */
  long frozen;       /* attention inputs with beta > beta_c */
  long first_frozen; /* the first of them, 0 if none */
  long overflow;     /* the block at which the stream overflowed, 0 if none */
} sp_verdict_walk;

/* The walk at the input (q0, rho0 q0) of m. */
void sp_verdict_walk_start(const sp_model *m, sp_verdict_walk *k);

/* Block l (the next one) of m: SP_OK, an overflow being recorded in
 * k->overflow rather than returned (as any failure of a stream already
 * beyond SP_Q_MAX_FLOAT16 is); otherwise the block map's error.  Once the
 * walk has overflowed it stays as it is. */
int sp_verdict_walk_block(const sp_model *m, const sp_workspace *w, long l, sp_verdict_walk *k);

/* The phase of the blocks walked: overflow, else entropy collapse when an
 * attention input froze, else rank collapse when rho >= rho_max. */
sp_phase sp_verdict_walk_phase(const sp_verdict_walk *k, double rho_max);

#endif
