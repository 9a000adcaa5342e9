/* sigprop train: its options and the helpers its two files share
 * (cmd_train.c: one network; cmd_train_grid.c: a grid of networks against
 * the diagram's classes).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_CLI_CMD_TRAIN_H
#define SIGPROP_CLI_CMD_TRAIN_H

#include "cli.h"

typedef struct {
  cli_list out;
  cli_figure fig;
  long width, heads, vocab, batch, steps, eval_every, eval_batches, log_every, threads, seed;
  long warmup, data_bytes, grid_seeds;
  double lr, beta1, beta2, eps, momentum, weight_decay, mask_fraction, gamma, holdout;
  double trained_fraction, rho_max, y2_max;
  int optim, schedule, task, masked, quiet;
  const char *data, *grid_x, *grid_y;
} options;

/* The task of the options (error recorded). */
int cli_train_task(const options *o, const sp_model *m, sp_task **out);

/* The training workspace of the options with the weights of --seed drawn,
 * after the memory check (error recorded). */
int cli_train_workspace(const options *o, const sp_model *m, sp_train **out);

/* The optimiser settings of the options. */
void cli_train_optim(const options *o, sp_optim_options *oo);

/* train --grid-x ... --grid-y ...: the grid run (m is the base model). */
int cli_train_grid(const options *o, const sp_model *m);

#endif
