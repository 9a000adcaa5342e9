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

static int parse_range(const char *s, double *lo, double *hi)
{
  char buf[128];
  if (cli_copy_spec("range", s, buf, sizeof buf))
    return CLI_USAGE;
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

static int critical_solve(const sp_model *mp, const sp_workspace *w, cli_meta *meta,
                          const sp_param *param, double v, double lo, double hi);

/* --where chi1=V: the MLP alone (theory.md §8). */
static int critical_chi1(const sp_model *m, cli_meta *meta, const char *name, const char *val,
                         const char *range)
{
  double v, lo = 0.0, hi = 100.0, root;
  if (cli_parse_double("where", val, &v))
    return CLI_USAGE;
  if (!(v > 0.0))
    return cli_error(CLI_USAGE, "--where: chi1=%s must be positive", val);
  if (!name)
    return cli_error(CLI_USAGE, "critical: name the variance to solve for (var-w or var-b)");
  sp_mf_param which;
  if (strcmp(name, "var-w") == 0)
    which = SP_MF_VAR_W;
  else if (strcmp(name, "var-b") == 0)
    which = SP_MF_VAR_B;
  else
    return cli_error(CLI_USAGE, "critical: --where chi1 solves for var-w or var-b, not '%s'",
                     name);
  if (m->var_w_in != m->var_w_out)
    return cli_error(CLI_USAGE, "critical: --where chi1 needs one weight variance "
                     "(--var-w-in and --var-w-out differ)");
  if (range && parse_range(range, &lo, &hi))
    return CLI_USAGE;
  if (lo < 0.0)
    return cli_error(CLI_USAGE, "--range: [%g, %g] leaves the domain of %s, [0, inf)", lo, hi,
                     name);
  int s = sp_meanfield_critical(m->activation, m->erf_scale, m->var_w_in, m->var_b, which, v,
                                lo, hi, 1e-10, &root);
  if (s == SP_ENOROOT && isfinite(root))
    return cli_error(CLI_FAIL, "critical: chi1 jumps across %g at %s = %.10g, where the "
                     "finite fixed point q* of the %s MLP disappears (q grows without bound "
                     "beyond); no %s with chi1 = %g", v, name, root,
                     sp_activation_name(m->activation), name, v);
  if (s == SP_ENOROOT)
    return cli_error(CLI_FAIL, "critical: chi1 - %g keeps one sign for every %s in [%g, %g] "
                     "(widen --range)", v, name, lo, hi);
  if (s)
    return cli_status(s, "critical");
  char b[40];
  sp_io_format_double(b, sizeof b, root);
  cli_meta_add(meta, "answer", "%s in [%g, %g] with chi1 = %g for the %s MLP alone", name, lo,
               hi, v, sp_activation_name(m->activation));
  print_meta(meta);
  printf("%s\n", b);
  return CLI_OK;
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

  if (strcmp(where, "beta-c") == 0) {
    if (npos)
      return cli_error(CLI_USAGE, "critical: --where beta-c takes no PARAM (got '%s')", pos[0]);
    double q = m.q0, p = m.rho0 * m.q0;
    if (m.norm == SP_NORM_PRE && m.beta_c_on == SP_BETAC_INPUT)
      q = 1.0, p = m.rho0;
    char b[40];
    sp_io_format_double(b, sizeof b, sp_rem_beta_c(q, p));
    cli_meta_add(&meta, "answer", "beta_c of block 1's attention input (q = %g, p = %g)", q, p);
    print_meta(&meta);
    printf("%s\n", b);
    return CLI_OK;
  }
  if (strncmp(where, "chi1=", 5) == 0)
    return critical_chi1(&m, &meta, npos ? pos[0] : NULL, where + 5, range);
  if (strncmp(where, "rho-final=", 10) != 0)
    return cli_error(CLI_USAGE, "--where: '%s' is not rho-final=V, chi1=V or beta-c", where);
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

  sp_workspace *w = NULL;
  if (sp_workspace_needed(&m)) {
    int s = sp_workspace_alloc(&w) ? SP_ENOMEM : sp_workspace_prepare(w, &m);
    if (s) {
      sp_workspace_free(w);
      return cli_status(s, "critical");
    }
  }
  r = critical_solve(&m, w, &meta, param, v, lo, hi);
  sp_workspace_free(w);
  return r;
}

/* --where rho-final=V for `param` in [lo, hi]. */
static int critical_solve(const sp_model *mp, const sp_workspace *w, cli_meta *meta,
                          const sp_param *param, double v, double lo, double hi)
{
  sp_model m = *mp;
  if (param->kind == SP_PARAM_INTEGER) {
    long L;
    if (lo != floor(lo) || hi != floor(hi))
      return cli_error(CLI_USAGE, "--range: depths are whole numbers");
    int s = sp_critical_depth(&m, w, v, (long)lo, (long)hi, &L);
    if (s == SP_ENOROOT && L == (long)hi)
      return cli_error(CLI_FAIL, "critical: rho_l stays <= %g for every depth up to %ld "
                       "(no crossing in [%g, %g])", v, L, lo, hi);
    if (s == SP_ENOROOT)
      return cli_error(CLI_FAIL, "critical: rho exceeds %g already before depth %g "
                       "(no depth in [%g, %g] qualifies)", v, lo, lo, hi);
    if (s)
      return cli_status(s, "critical");
    cli_meta_add(meta, "answer", "largest depth with rho_l <= %g for all l <= L", v);
    print_meta(meta);
    printf("%ld\n", L);
    return CLI_OK;
  }
  double root;
  int s = sp_critical_rho(&m, w, param, v, lo, hi, 1e-10, &root);
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
  sp_io_format_double(b, sizeof b, root);
  cli_meta_add(meta, "answer", "smallest %s in [%g, %g] with rho_L <= %g", param->name, lo,
               hi, v);
  print_meta(meta);
  printf("%s\n", b);
  return CLI_OK;
}
