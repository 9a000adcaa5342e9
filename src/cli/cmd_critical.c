/* sigprop critical: solve for one parameter at a collapse boundary.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const cli_command command = {
  "critical",
  "PARAM --where rho-final=V [--range MIN:MAX] [MODEL OPTIONS]\n"
  "--where beta-c [MODEL OPTIONS]\n"
  "var-w|var-b --where chi1=V [--range MIN:MAX] [--activation A --var-w V --var-b B "
  "--erf-scale A]",
  "With rho-final=V: the smallest value of PARAM (alpha-sa, alpha-mlp, branch-sa, branch-mlp, "
  "beta, or any real model parameter) for which the final correlation rho_L is at most V, "
  "found by a scan of 1024 points and Brent's method to 1e-10; for PARAM = depth, the largest "
  "L with rho_l <= V for every l <= L.  Default range [0, 100] ([1, 1000000] for depth).\n\n"
  "With beta-c: beta_c of the first block's attention input (theory.md §3).\n\n"
  "With chi1=V: the value of var-w (or var-b) at which the MLP alone has chi_1 = V (V = 1: the "
  "edge of chaos, theory.md §8), by a scan of 256 points and Brent's method to 1e-10; default "
  "range [0, 100].  For gelu and silu the finite q* can vanish before chi_1 reaches 1: that is "
  "reported, not solved.\n\n"
  "The answer is one number on stdout, after '#' lines describing the run.",
  1, NULL};

typedef struct {
  const char *where, *range;
} options;

static const cli_opt opts[] = {
  CLI_STRING("where", 0, options, where, "WHAT",
             "the boundary: rho-final=V, beta-c or chi1=V (required)"),
  CLI_STRING("range", 0, options, range, "MIN:MAX", "the interval searched for PARAM"),
};

static void print_meta(const cli_meta *meta)
{
  for (size_t i = 0; i < meta->n; i++)
    printf("# %s: %s\n", meta->items[i].key, meta->items[i].value);
}

int cmd_critical(int argc, char **argv)
{
  sp_model m;
  sp_model_default(&m);
  options o = {NULL, NULL};
  const char *pos[1];
  int npos = 0;
  cli_opt_group groups[] = {CLI_GROUP(opts, &o), cli_model_group(&m)};
  int r = cli_parse(&command, groups, 2, argc, argv, pos, &npos);
  if (r)
    return r;
  const char *where = o.where, *range = o.range;
  if (!where)
    return cli_error(CLI_USAGE, "critical: --where rho-final=V, chi1=V or beta-c is required");
  if ((r = cli_model_check_sweep(&m, "critical")))
    return r;
  cli_meta meta;
  cli_meta_init(&meta, &m);
  sp_critical_answer ans;
  char err[512];
  int usage;
  int s = sp_critical_query(&m, npos ? pos[0] : NULL, where, range, &ans, &usage, err,
                            sizeof err);
  if (s)
    return cli_error(usage ? CLI_USAGE : CLI_FAIL, "%s", err);
  char b[40];
  if (ans.is_depth)
    snprintf(b, sizeof b, "%ld", (long)ans.value);
  else
    sp_io_format_double(b, sizeof b, ans.value);
  cli_meta_add(&meta, "answer", "%s", ans.what);
  print_meta(&meta);
  printf("%s\n", b);
  return CLI_OK;
}
