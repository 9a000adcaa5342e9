/* sigprop propagate: the per-layer table of the mean-field recursions.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
  "Usage: sigprop propagate [MODEL OPTIONS] [-o FILE]\n\n"
  "Iterates the order-parameter recursions of theory.md §6 through L blocks and\n"
  "prints one row per layer: layer,q,p,rho,beta_c,frozen,lambda,m,y2,y3,y2sq,g,\n"
  "entropy,entropy_ratio,grad_wq,qk_v_ratio,grad_chi.  Row 0 is the input; row l >= 1 holds the state after\n"
  "block l and the attention statistics of block l's input.  '#' lines record\n"
  "the version, every parameter and the angle exponent lambda_a.\n\n"
  "  -o FILE   write CSV, TSV or JSON (by extension) instead of CSV on stdout\n\n";

static const char *const columns[] = {
  "layer", "q", "p", "rho", "beta_c", "frozen", "lambda", "m", "y2", "y3", "y2sq", "g",
  "entropy", "entropy_ratio", "grad_wq", "qk_v_ratio", "grad_chi"};
#define NCOL (sizeof columns / sizeof columns[0])

static void add_gradient_exponent(cli_meta *meta, const sp_model *m, const sp_workspace *w)
{
  double lg;
  int s = sp_grad_exponent(m, w, &lg, NULL);
  if (s) {
    cli_meta_add(meta, "lambda_g", "undefined (%s)", sp_strerror(s));
    return;
  }
  char a[40], b[40];
  sp_format_double(a, sizeof a, lg);
  cli_meta_add(meta, "lambda_g", "%s (per block, mean of log grad_chi over the %ld blocks)", a,
               m->depth);
  if (lg != 0.0) {
    sp_format_double(b, sizeof b, -1.0 / lg);
    cli_meta_add(meta, "xi_g", "%s (blocks; %s)", b,
                 lg < 0.0 ? "input gradients vanish" : "negative: input gradients explode");
  }
}

static void add_exponent(cli_meta *meta, const sp_model *m, const sp_workspace *w)
{
  double la, err;
  int s = sp_angle_exponent(m, w, &la);
  const char *how = "closed form";
  if (s == SP_EUNSUP) {
    s = sp_angle_exponent_fd(m, w, &la, &err);
    how = "finite differences";
  }
  if (s) {
    cli_meta_add(meta, "lambda_a", "undefined (%s)", sp_strerror(s));
    return;
  }
  char a[40], b[40];
  sp_format_double(a, sizeof a, la);
  cli_meta_add(meta, "lambda_a", "%s (%s; per block, rho -> 1)", a, how);
  if (la < 0.0) {
    sp_format_double(b, sizeof b, -1.0 / la);
    cli_meta_add(meta, "xi_a", "%s (blocks; rank collapse attracts)", b);
  } else {
    cli_meta_add(meta, "xi_a", "undefined (lambda_a >= 0: rank collapse repels)");
  }
}

int cmd_propagate(int argc, char **argv)
{
  sp_model m;
  sp_model_default(&m);
  cli_args a = {argc, argv, 1, NULL, NULL, "propagate"};
  const char *out = NULL;
  int r;
  while ((r = cli_next(&a, NULL, NULL, 0)) == 1) {
    int k = cli_model_option(&m, &a);
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
      continue;
    }
    return cli_error(CLI_USAGE, "propagate: unknown option '%s' (see --help)", a.argv[a.i - 1]);
  }
  if (r < 0)
    return CLI_USAGE;
  if ((r = cli_model_check(&m)))
    return r;
  if (out && strcmp(out, "-") != 0 && !sp_format_is_table(sp_format_from_path(out)))
    return cli_error(CLI_USAGE, "-o %s: a table is written as .csv, .tsv or .json", out);

  sp_workspace *w = NULL;
  if (sp_workspace_needed(&m)) {
    if (!(w = sp_workspace_alloc()))
      return cli_error(CLI_FAIL, "out of memory");
    int s = sp_workspace_prepare(w, &m);
    if (s) {
      sp_workspace_free(w);
      return cli_status(s, "propagate");
    }
  }
  size_t rows = (size_t)m.depth + 1;
  sp_layer *traj = malloc(rows * sizeof *traj);
  double *num = malloc(rows * NCOL * sizeof *num);
  if (!traj || !num) {
    free(traj);
    free(num);
    sp_workspace_free(w);
    return cli_error(CLI_FAIL, "out of memory for %zu layers", rows);
  }
  long done;
  int s = sp_propagate(&m, w, SP_REM_ALL, traj, &done);
  if (s) {
    free(traj);
    free(num);
    sp_workspace_free(w);
    char what[64];
    snprintf(what, sizeof what, "propagate: block %ld", done);
    return cli_status(s, what);
  }
  for (size_t l = 0; l < rows; l++) {
    const sp_layer *L = &traj[l];
    const sp_attn_stats *st = &L->attn;
    double row[NCOL] = {(double)L->layer, L->q, L->p, L->rho, st->beta_c,
                        l ? st->frozen : NAN, st->lambda, st->m, st->y2, st->y3, st->y2sq,
                        st->g, st->entropy, st->entropy_ratio, NAN, NAN, NAN};
    if (l > 0) {
      const sp_block_trace *tr = &L->trace;
      double ratio, chi;
      row[NCOL - 3] = sp_grad_wq(m.beta, m.var_v, tr->qa, tr->pa, st->g);
      if (!sp_grad_qk_v_ratio(m.tokens, tr->qa, tr->pa, &ratio))
        row[NCOL - 2] = ratio;
      if (!sp_grad_block_chi(&m, st, tr, &chi))
        row[NCOL - 1] = chi;
    }
    memcpy(num + l * NCOL, row, sizeof row);
  }
  cli_meta meta;
  cli_meta_init(&meta, &m);
  add_exponent(&meta, &m, w);
  add_gradient_exponent(&meta, &m, w);
  sp_table t = {NCOL, rows, columns, num, NULL};
  r = cli_write_table(out, &t, &meta);
  free(traj);
  free(num);
  sp_workspace_free(w);
  return r;
}
