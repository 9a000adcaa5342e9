/* sigprop mlp: the classic mean field of the MLP alone (theory.md §8).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <math.h>
#include <string.h>

static const char help[] =
  "Usage: sigprop mlp [--activation A] [--var-w V] [--var-b B] [--erf-scale A] [-o FILE]\n\n"
  "Mean field of a deep MLP alone (theory.md §8): pre-activation length q and\n"
  "correlation c of two inputs through layers x -> W phi(x) + b with weight\n"
  "variance var-w (times fan-in) and bias variance var-b.  Prints one row\n"
  "q_star,chi1,c_star,xi_c,xi_q: the stable fixed point q* of the length map,\n"
  "chi_1 = var-w E[phi'(sqrt(q*) z)^2] (< 1 ordered, > 1 chaotic), the stable\n"
  "correlation c*, and the depth scales of the correlation and of the length\n"
  "(in layers; inf at criticality).  Empty cells are undefined; '#' lines say\n"
  "why and record the parameters.\n\n"
  "  --activation relu|gelu|tanh|erf|silu|linear   nonlinearity [relu]\n"
  "  --var-w V      weight variance times fan-in [0.2]\n"
  "  --var-b B      bias variance [4e-4]\n"
  "  --erf-scale A  a in erf(a u) [1]\n"
  "  -o FILE        write CSV, TSV or JSON (by extension) instead of CSV on stdout\n\n";

static const char *const columns[] = {"q_star", "chi1", "c_star", "xi_c", "xi_q"};
#define NCOL (sizeof columns / sizeof columns[0])

int cmd_mlp(int argc, char **argv)
{
  sp_model m;
  sp_model_default(&m);
  cli_args a = {argc, argv, 1, NULL, NULL, "mlp"};
  const char *out = NULL;
  int r;
  while ((r = cli_next(&a, NULL, NULL, 0)) == 1) {
    const char *n = a.name;
    if (strcmp(n, "help") == 0 || strcmp(n, "h") == 0) {
      cli_set_help(help, NULL);
      return CLI_OK;
    }
    if (strcmp(n, "o") == 0 || strcmp(n, "output") == 0) {
      if (!(out = cli_value(&a)))
        return CLI_USAGE;
      continue;
    }
    if (strcmp(n, "activation") != 0 && strcmp(n, "var-w") != 0 && strcmp(n, "var-b") != 0
        && strcmp(n, "erf-scale") != 0)
      return cli_error(CLI_USAGE, "mlp: unknown option '%s' (see --help)", a.argv[a.i - 1]);
    if (cli_model_option(&m, &a) < 0)
      return CLI_USAGE;
  }
  if (r < 0)
    return CLI_USAGE;
  if (out && strcmp(out, "-") != 0 && !sp_format_is_table(sp_format_from_path(out)))
    return cli_error(CLI_USAGE, "-o %s: a table is written as .csv, .tsv or .json", out);

  sp_meanfield mf;
  int s = sp_meanfield_solve(m.activation, m.erf_scale, m.var_w_in, m.var_b, &mf);
  if (s)
    return cli_status(s, "mlp");

  cli_meta meta;
  char buf[48];
  meta.n = 0;
  cli_meta_add(&meta, "sigprop", "%s", sp_version());
  meta.items[meta.n].key = "command";
  meta.items[meta.n].value = cli_command_line;
  meta.n++;
  cli_meta_add(&meta, "activation", "%s", sp_activation_name(m.activation));
  sp_format_double(buf, sizeof buf, m.var_w_in);
  cli_meta_add(&meta, "var-w", "%s", buf);
  sp_format_double(buf, sizeof buf, m.var_b);
  cli_meta_add(&meta, "var-b", "%s", buf);
  if (m.activation == SP_ACT_ERF) {
    sp_format_double(buf, sizeof buf, m.erf_scale);
    cli_meta_add(&meta, "erf-scale", "%s", buf);
  }
  switch (mf.kind) {
  case SP_MF_Q_NONE:
    cli_meta_add(&meta, "q_star", "none: q grows without bound (no fixed point below %g)",
                 SP_MF_Q_MAX);
    cli_meta_add(&meta, "chi1", "its limit as q -> infinity");
    cli_meta_add(&meta, "undefined", "c_star, xi_c, xi_q (they live at q*)");
    break;
  case SP_MF_Q_ANY:
    cli_meta_add(&meta, "q_star", "undefined: every q is a fixed point");
    break;
  default:
    cli_meta_add(&meta, "q_star", "stable fixed point of q = var-w E[phi(sqrt q z)^2] + var-b");
    break;
  }
  if (mf.kind != SP_MF_Q_NONE) {
    const char *phase = mf.chi1 < 1.0 ? "ordered (chi1 < 1: c* = 1 attracts)"
                        : mf.chi1 > 1.0 ? "chaotic (chi1 > 1: c* < 1)"
                                        : "critical (chi1 = 1, edge of chaos)";
    cli_meta_add(&meta, "phase", "%s", phase);
  }
  cli_meta_add(&meta, "xi_c, xi_q", "depth scales in layers (inf: power-law approach)");
  double row[NCOL] = {mf.q_star, mf.chi1, mf.c_star, mf.xi_c, mf.xi_q};
  sp_table t = {NCOL, 1, columns, row, NULL};
  return cli_write_table(out, &t, &meta);
}
