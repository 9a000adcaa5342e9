/* sigprop critical: solve for one parameter at a collapse boundary.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char help[] =
  "Usage: sigprop critical PARAM --where rho-final=V [--range MIN:MAX] [MODEL OPTIONS]\n"
  "       sigprop critical --where beta-c [MODEL OPTIONS]\n\n"
  "With rho-final=V: the smallest value of PARAM (alpha-sa, alpha-mlp, branch-sa,\n"
  "branch-mlp, beta, or any real model parameter) for which the final correlation\n"
  "rho_L is at most V, found by a scan of 1024 points and Brent's method to 1e-10;\n"
  "for PARAM = depth, the largest L with rho_l <= V for every l <= L.\n"
  "Default range [0, 100] ([1, 1000000] for depth).\n"
  "With beta-c: beta_c of the first block's attention input (theory.md §3).\n"
  "The answer is one number on stdout, after '#' lines describing the run.\n\n";

static int parse_range(const char *s, double *lo, double *hi)
{
  char buf[128];
  if (strlen(s) >= sizeof buf)
    return cli_error(CLI_USAGE, "--range: too long");
  strcpy(buf, s);
  char *colon = strchr(buf, ':');
  if (!colon)
    return cli_error(CLI_USAGE, "--range: '%s' is not MIN:MAX", s);
  *colon = '\0';
  if (cli_parse_double("range", buf, lo) || cli_parse_double("range", colon + 1, hi))
    return CLI_USAGE;
  if (!(*lo < *hi))
    return cli_error(CLI_USAGE, "--range: MIN must be below MAX (got %s)", s);
  return CLI_OK;
}

static void print_meta(const cli_meta *meta)
{
  for (size_t i = 0; i < meta->n; i++)
    printf("# %s: %s\n", meta->items[i].key, meta->items[i].value);
}

int cmd_critical(int argc, char **argv)
{
  sp_model m;
  sp_model_default(&m);
  cli_args a = {argc, argv, 1, NULL, NULL, "critical"};
  const char *pos[2];
  int npos = 0, r;
  const char *where = NULL, *range = NULL;
  while ((r = cli_next(&a, pos, &npos, 1)) == 1) {
    int k = cli_model_option(&m, &a);
    if (k < 0)
      return CLI_USAGE;
    if (k)
      continue;
    if (strcmp(a.name, "help") == 0 || strcmp(a.name, "h") == 0) {
      cli_set_help(help, cli_model_help);
      return CLI_OK;
    }
    if (strcmp(a.name, "where") == 0) {
      if (!(where = cli_value(&a)))
        return CLI_USAGE;
    } else if (strcmp(a.name, "range") == 0) {
      if (!(range = cli_value(&a)))
        return CLI_USAGE;
    } else {
      return cli_error(CLI_USAGE, "critical: unknown option '%s' (see --help)", a.argv[a.i - 1]);
    }
  }
  if (r < 0)
    return CLI_USAGE;
  if (!where)
    return cli_error(CLI_USAGE, "critical: --where rho-final=V or --where beta-c is required");
  if ((r = cli_model_check(&m)))
    return r;
  cli_meta meta;
  cli_meta_init(&meta, &m);

  if (strcmp(where, "beta-c") == 0) {
    if (npos)
      return cli_error(CLI_USAGE, "critical: --where beta-c takes no PARAM (got '%s')", pos[0]);
    double q = m.q0, p = m.rho0 * m.q0;
    if (m.norm == SP_NORM_PRE && m.beta_c_on == SP_BETAC_INPUT)
      q = 1.0, p = m.rho0;
    char b[40];
    sp_format_double(b, sizeof b, sp_rem_beta_c(q, p));
    cli_meta_add(&meta, "answer", "beta_c of block 1's attention input (q = %g, p = %g)", q, p);
    print_meta(&meta);
    printf("%s\n", b);
    return CLI_OK;
  }
  if (strncmp(where, "rho-final=", 10) != 0)
    return cli_error(CLI_USAGE, "--where: '%s' is not rho-final=V or beta-c", where);
  double v;
  if (cli_parse_double("where", where + 10, &v))
    return CLI_USAGE;
  if (!(v > -1.0 && v < 1.0))
    return cli_error(CLI_USAGE, "--where: rho-final=%s must lie in (-1, 1)", where + 10);
  if (npos != 1)
    return cli_error(CLI_USAGE, "critical: name the parameter to solve for (e.g. alpha-sa)");
  const sp_param *param = sp_param_lookup(pos[0]);
  if (!param)
    return cli_error(CLI_USAGE, "critical: '%s' is not a model parameter", pos[0]);

  if (param->kind == SP_PARAM_INTEGER && strcmp(param->name, "depth") != 0)
    return cli_error(CLI_USAGE, "critical: %s is an integer parameter; only depth is solved "
                     "for among those", param->name);
  double lo = param->kind == SP_PARAM_INTEGER ? 1.0 : fmax(0.0, param->min);
  double hi = param->kind == SP_PARAM_INTEGER ? (double)SP_MAX_DEPTH : fmin(100.0, param->max);
  if (range && parse_range(range, &lo, &hi))
    return CLI_USAGE;
  if (lo < param->min || hi > param->max)
    return cli_error(CLI_USAGE, "--range: [%g, %g] leaves the domain of %s, [%g, %g]", lo, hi,
                     param->name, param->min, param->max);

  if (param->kind == SP_PARAM_INTEGER) {
    long L;
    if (lo != floor(lo) || hi != floor(hi))
      return cli_error(CLI_USAGE, "--range: depths are whole numbers");
    int s = sp_critical_depth(&m, NULL, v, (long)lo, (long)hi, &L);
    if (s == SP_ENOROOT && L == (long)hi)
      return cli_error(CLI_FAIL, "critical: rho_l stays <= %g for every depth up to %ld "
                       "(no crossing in [%g, %g])", v, L, lo, hi);
    if (s == SP_ENOROOT)
      return cli_error(CLI_FAIL, "critical: rho exceeds %g already before depth %g "
                       "(no depth in [%g, %g] qualifies)", v, lo, lo, hi);
    if (s)
      return cli_status(s, "critical");
    cli_meta_add(&meta, "answer", "largest depth with rho_l <= %g for all l <= L", v);
    print_meta(&meta);
    printf("%ld\n", L);
    return CLI_OK;
  }
  double root;
  int s = sp_critical_rho(&m, NULL, param, v, lo, hi, 1e-10, &root);
  if (s == SP_ENOROOT) {
    if (root == lo)
      return cli_error(CLI_FAIL, "critical: rho_L <= %g already at %s = %g, the lower end of "
                       "the range [%g, %g]", v, param->name, lo, lo, hi);
    return cli_error(CLI_FAIL, "critical: rho_L > %g for every %s in [%g, %g]; no root in "
                     "that range (widen --range)", v, param->name, lo, hi);
  }
  if (s)
    return cli_status(s, "critical");
  char b[40];
  sp_format_double(b, sizeof b, root);
  cli_meta_add(&meta, "answer", "smallest %s in [%g, %g] with rho_L <= %g", param->name, lo,
               hi, v);
  print_meta(&meta);
  printf("%s\n", b);
  return CLI_OK;
}
