/* sigprop validate: what the layer comparison (cmd_validate.c) and the
 * gradient sweep (validate_gradient.c) share.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_CLI_VALIDATE_H
#define SIGPROP_CLI_VALIDATE_H

#include "cli.h"

#define MAX_BETAS 200

typedef struct {
  cli_sim_args sim;
  cli_list out;
  const char *table; /* --table FILE, the old spelling of -o FILE.csv */
  cli_figure fig;    /* width 0: the size of the figure's layout */
  int measured;
  const char *range_spec;
  double bmin, bmax;
  long bn;
  int blog;
  long block; /* 0: block 1 only */
  double zero_frac;
  /* --also-theory: further theories drawn and compared (layer mode) */
  int nalso;
  sp_stats also_stats[3];
  sp_row_overlap also_overlap[3];
} validate_options;


/* Okabe-Ito colours: distinguishable with every common colour-vision deficiency. */
extern const double validate_color_theory[3], validate_color_sim[3], validate_color_plugin[3],
  validate_color_ref[3];

/* A line or marker style of colour rgb. */
void validate_style(sp_plot_style *st, const double rgb[3], sp_line line, sp_marker marker);

/* Theory of model mt (SP_REM_ALL statistics) into traj, with a workspace
 * prepared once (*w, allocated when needed) for every model of a sweep. */
int validate_theory(const sp_model *mt, sp_workspace **w, sp_layer *traj);

/* Start the theory from the simulated input's mean q and rho when asked
 * (--theory-input measured); *clamped = 1 when a slightly negative measured
 * rho0 was set to 0. */
void validate_theory_input(const validate_options *o, const sp_sim_summary *row0, sp_model *mt,
                           int *clamped);
void validate_theory_input_meta(cli_meta *meta, const validate_options *o, const sp_model *mt,
                                int clamped);

/* "theory, T -> inf", "theory, finite T" or "theory, finite T, exact overlap" */
const char *validate_theory_label(const sp_model *m);

/* The gradient sweep (--gradient): tables and figure to the open outputs. */
int validate_gradient(const validate_options *o, const sp_model *m, const cli_sim_args *sa,
                      cli_outputs *files);

#endif
