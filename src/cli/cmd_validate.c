/* sigprop validate: simulated networks against the mean-field theory of the
 * same configuration, layer by layer, in standard errors and absolute terms.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
  "Usage: sigprop validate --width D --seeds S [SIMULATION OPTIONS]\n"
  "                        [--theory-input measured|model] [MODEL OPTIONS]\n"
  "                        [--table FILE] [-o FILE]\n\n"
  "Simulates S networks (as 'sigprop simulate') and iterates the recursions of\n"
  "theory.md §6 for the same configuration (as 'sigprop propagate', with the\n"
  "statistics --attention-stats selects), then prints per layer the simulated mean\n"
  "and standard error of rho (mean p / mean q) and of E Y2, the theory, the\n"
  "deviation simulation - theory (_dev) and that deviation in standard errors (_z).\n"
  "'#' lines name the worst layers (largest |_dev| and largest |_z|, blocks >= 1).\n"
  "With --tokens-scale T', the theory uses beta sqrt(log T' / log T), the same\n"
  "query/key scale sigma_a as the simulation.\n\n"
  CLI_SIM_HELP
  "  --theory-input measured|model  start the theory from the simulated input's mean\n"
  "                     q and rho (measured, the default) or from --q0, --rho0\n"
  "  --table FILE       write the table to FILE (.csv, .tsv, .json)\n"
  "  -o FILE            a table file as --table; a plot (.png, .pdf, .svg) is not\n"
  "                     available in this version\n\n";

static const char *const columns[] = {
  "layer", "rho_sim", "rho_sim_se", "rho_theory", "rho_dev", "rho_z",
  "y2_sim", "y2_sim_se", "y2_theory", "y2_dev", "y2_z"};
#define NCOL (sizeof columns / sizeof columns[0])

/* The largest |dev| and |z| over blocks >= 1 of one quantity. */
typedef struct {
  long layer_dev, layer_z;
  double dev, dev_z, z, z_dev; /* at layer_dev: dev and its z; at layer_z: z and its dev */
} worst;

static void track(worst *w, long l, double dev, double z)
{
  if (isfinite(dev) && (w->layer_dev < 0 || fabs(dev) > fabs(w->dev))) {
    w->layer_dev = l;
    w->dev = dev;
    w->dev_z = z;
  }
  if (isfinite(z) && (w->layer_z < 0 || fabs(z) > fabs(w->z))) {
    w->layer_z = l;
    w->z = z;
    w->z_dev = dev;
  }
}

static void worst_meta(cli_meta *meta, const char *key_dev, const char *key_z, const worst *w)
{
  if (w->layer_dev < 0)
    cli_meta_add(meta, key_dev, "undefined");
  else if (isfinite(w->dev_z))
    cli_meta_add(meta, key_dev, "layer %ld: deviation %+.4g (%+.2f standard errors)",
                 w->layer_dev, w->dev, w->dev_z);
  else
    cli_meta_add(meta, key_dev, "layer %ld: deviation %+.4g", w->layer_dev, w->dev);
  if (w->layer_z < 0)
    cli_meta_add(meta, key_z, "undefined (one network has no standard error)");
  else
    cli_meta_add(meta, key_z, "layer %ld: %+.2f standard errors (deviation %+.4g)", w->layer_z,
                 w->z, w->z_dev);
}

int cmd_validate(int argc, char **argv)
{
  sp_model m;
  sp_model_default(&m);
  cli_sim_args sa;
  cli_sim_args_default(&sa);
  cli_args a = {argc, argv, 1, NULL, NULL, "validate"};
  const char *out = NULL, *table = NULL;
  int measured = 1, r;
  while ((r = cli_next(&a, NULL, NULL, 0)) == 1) {
    int k = cli_model_option(&m, &a);
    if (k == 0)
      k = cli_sim_option(&sa, &a);
    if (k < 0)
      return CLI_USAGE;
    if (k)
      continue;
    if (strcmp(a.name, "help") == 0 || strcmp(a.name, "h") == 0) {
      cli_set_help(help, cli_model_help);
      return CLI_OK;
    }
    if (strcmp(a.name, "o") == 0 || strcmp(a.name, "output") == 0) {
      if (!(out = cli_value(&a)))
        return CLI_USAGE;
    } else if (strcmp(a.name, "table") == 0) {
      if (!(table = cli_value(&a)))
        return CLI_USAGE;
    } else if (strcmp(a.name, "theory-input") == 0) {
      const char *v = cli_value(&a);
      if (!v)
        return CLI_USAGE;
      if (strcmp(v, "measured") == 0)
        measured = 1;
      else if (strcmp(v, "model") == 0)
        measured = 0;
      else
        return cli_error(CLI_USAGE, "--theory-input: '%s' is not one of measured, model", v);
    } else {
      return cli_error(CLI_USAGE, "validate: unknown option '%s' (see --help)",
                       a.argv[a.i - 1]);
    }
  }
  if (r < 0)
    return CLI_USAGE;
  if (sa.gradient)
    return cli_error(CLI_USAGE, "validate: --gradient: there is no gradient theory to compare "
                     "with yet (use simulate --gradient)");
  if ((r = cli_model_check(&m)))
    return r;
  if (table && strcmp(table, "-") != 0 && !sp_format_is_table(sp_format_from_path(table)))
    return cli_error(CLI_USAGE, "--table %s: a table is written as .csv, .tsv or .json", table);
  if (out && strcmp(out, "-") != 0) {
    sp_format f = sp_format_from_path(out);
    if (f == SP_FMT_PNG || f == SP_FMT_PDF || f == SP_FMT_SVG)
      return cli_error(CLI_FAIL, "-o %s: plots are not available in this version; write the "
                       "table with --table FILE.csv", out);
    if (!sp_format_is_table(f))
      return cli_error(CLI_USAGE, "-o %s: the output is a table (.csv, .tsv, .json)", out);
    if (table)
      return cli_error(CLI_USAGE, "validate: -o %s and --table %s both name the table", out,
                       table);
    table = out;
  }
  if ((r = cli_sim_check(&sa, &m, "validate")))
    return r;

  sp_sim_summary *sum;
  double seconds;
  int threads;
  if ((r = cli_sim_run(&sa, &m, "validate", &sum, &seconds, &threads)))
    return r;

  /* The theory of the same configuration. */
  sp_model mt = m;
  if (measured) {
    mt.q0 = sum[0].q.mean;
    mt.rho0 = sum[0].rho.mean;
  }
  if (sa.tokens_scale > 0.0)
    mt.beta = m.beta * sqrt(log(sa.tokens_scale) / log((double)m.tokens));
  size_t rows = (size_t)m.depth + 1;
  sp_layer *traj = malloc(rows * sizeof *traj);
  double *num = malloc(rows * NCOL * sizeof *num);
  sp_workspace *w = NULL;
  int s = SP_OK;
  if (!traj || !num) {
    s = SP_ENOMEM;
  } else if (sp_workspace_needed(&mt)) {
    if (!(w = sp_workspace_alloc()))
      s = SP_ENOMEM;
    else
      s = sp_workspace_prepare(w, &mt);
  }
  long done = 0;
  if (!s)
    s = sp_propagate(&mt, w, SP_REM_ALL, traj, &done);
  sp_workspace_free(w);
  if (s) {
    free(traj);
    free(num);
    free(sum);
    char what[64];
    snprintf(what, sizeof what, "validate: theory, block %ld", done);
    return cli_status(s, what);
  }

  worst wr = {-1, -1, 0, 0, 0, 0}, wy = {-1, -1, 0, 0, 0, 0};
  for (size_t l = 0; l < rows; l++) {
    const sp_sim_summary *S = &sum[l];
    double rt = traj[l].rho, yt = l ? traj[l].attn.y2 : NAN;
    double rd = S->rho.mean - rt, yd = S->y2.mean - yt;
    double rz = rd / S->rho.se, yz = yd / S->y2.se;
    if (!(S->rho.se > 0.0))
      rz = NAN;
    if (!(S->y2.se > 0.0))
      yz = NAN;
    double row[NCOL] = {(double)l, S->rho.mean, S->rho.se, rt, rd, rz,
                        S->y2.mean, S->y2.se, yt, yd, yz};
    memcpy(num + l * NCOL, row, sizeof row);
    if (l) {
      track(&wr, (long)l, rd, rz);
      track(&wy, (long)l, yd, yz);
    }
  }
  cli_meta meta;
  cli_meta_init(&meta, &m);
  cli_sim_meta(&meta, &sa, &m, threads, seconds);
  char q0[40], r0[40];
  sp_format_double(q0, sizeof q0, mt.q0);
  sp_format_double(r0, sizeof r0, mt.rho0);
  cli_meta_add(&meta, "theory-input", "%s (q0 = %s, rho0 = %s)",
               measured ? "measured" : "model", q0, r0);
  if (sa.tokens_scale > 0.0)
    cli_meta_add(&meta, "theory-beta", "%.17g", mt.beta);
  worst_meta(&meta, "worst-rho", "worst-rho-z", &wr);
  worst_meta(&meta, "worst-y2", "worst-y2-z", &wy);
  sp_table t = {NCOL, rows, columns, num, NULL};
  r = cli_write_table(table, &t, &meta);
  free(traj);
  free(num);
  free(sum);
  return r;
}
