/* sigprop recommend: where a network's initialisation sits and what to
 * change so that it trains, as a complete table of weight stds.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char help[] =
  "Usage: sigprop recommend [--preset NAME|FILE] [MODEL OPTIONS] [--format text|json]\n"
  "                         [--margin M] [--rho-max R] [--gain NAME]\n\n"
  "Classifies the network at its depth (rank collapse, entropy collapse, stream\n"
  "overflow or trainable; theory.md §10), under finite-T statistics unless\n"
  "--attention-stats asymptotic is given, and prints: the model as given (source,\n"
  "widths, weight stds and the parameters they give, theory.md §11); the\n"
  "assumptions (rho0, q0, T, statistics, causal, depth; * where a default was\n"
  "assumed); the verdict with block 1's finite-T, finite-width query/key gradient;\n"
  "the sensitivity (the rho0 and the depth at which the verdict changes); the\n"
  "recommendation as a complete table of weight stds, in the initialisation-only\n"
  "form (a branch gain folded into W_O and W_2) where that trains, else with a\n"
  "skip multiplier, and the other form as the alternative; the safe beta range\n"
  "also as a range of the W_Q, W_K std; the margin also in rho_L; one numbered\n"
  "line per flag.  JSON: sigprop-recommend(1).\n\n"
  "  --format text|json  text for a terminal [text], or JSON (sigprop-recommend(1))\n"
  "  --margin M          relative safety margin on the gain and on beta [0.2]\n"
  "  --rho-max R         rank collapse when rho_L >= R [0.9]\n"
  "  --gain NAME         the gain to tune: alpha (both skips), alpha-sa, alpha-mlp,\n"
  "                      branch (both branches), branch-sa, branch-mlp; the other\n"
  "                      kind is the alternative [the preset's, else alpha]\n"
  "  (--d-model D --heads H --d-ff F --init-std S --std-q S ... are model options)\n\n";

static int solve(const sp_model *m, const sp_stds *given, const sp_recommend_options *o,
                 sp_advice *a)
{
  sp_workspace *w = NULL;
  int s = SP_OK;
  if (sp_workspace_needed(m) && !(w = sp_workspace_alloc()))
    return SP_ENOMEM;
  if (w)
    s = sp_workspace_prepare(w, m);
  if (!s)
    s = sp_advise(m, w, given, o, a);
  sp_workspace_free(w);
  return s;
}

/* One option of recommend's own; CLI_OK or a recorded usage error. */
static int own_option(const char *n, const char *v, sp_recommend_options *o, int *json,
                      const char **gain)
{
  if (strcmp(n, "format") == 0) {
    if (strcmp(v, "text") && strcmp(v, "json"))
      return cli_error(CLI_USAGE, "--format: '%s' is not one of text, json", v);
    *json = strcmp(v, "json") == 0;
  } else if (strcmp(n, "margin") == 0) {
    if (cli_parse_double(n, v, &o->margin))
      return CLI_USAGE;
    if (!(o->margin >= 0.0 && o->margin <= 10.0))
      return cli_error(CLI_USAGE, "--margin: %s is outside [0, 10]", v);
  } else if (strcmp(n, "rho-max") == 0) {
    if (cli_parse_double(n, v, &o->rho_max))
      return CLI_USAGE;
    if (!(o->rho_max > 0.0 && o->rho_max < 1.0))
      return cli_error(CLI_USAGE, "--rho-max: %s is outside (0, 1)", v);
  } else {
    sp_gain g;
    if (sp_gain_from_name(v, &g))
      return cli_error(CLI_USAGE, "--gain: '%s' is not one of alpha, alpha-sa, alpha-mlp, "
                       "branch, branch-sa, branch-mlp", v);
    *gain = v;
  }
  return CLI_OK;
}

int cmd_recommend(int argc, char **argv)
{
  sp_model m;
  sp_model_default(&m);
  cli_args a = {argc, argv, 1, NULL, NULL, "recommend"};
  sp_recommend_options o;
  sp_recommend_options_default(&o);
  const char *gain = NULL;
  int json = 0, r;
  while ((r = cli_next(&a, NULL, NULL, 0)) == 1) {
    int k = cli_model_width_option(&m, &a);
    if (!k)
      k = cli_model_option(&m, &a);
    if (k < 0)
      return CLI_USAGE;
    if (k)
      continue;
    const char *n = a.name, *v;
    if (strcmp(n, "help") == 0 || strcmp(n, "h") == 0) {
      cli_set_help(help, cli_model_help);
      return CLI_OK;
    }
    if (strcmp(n, "format") && strcmp(n, "margin") && strcmp(n, "rho-max") && strcmp(n, "gain"))
      return cli_error(CLI_USAGE, "recommend: unknown option '%s' (see --help)", a.argv[a.i - 1]);
    if (!(v = cli_value(&a)) || own_option(n, v, &o, &json, &gain))
      return CLI_USAGE;
  }
  if (r < 0)
    return CLI_USAGE;
  unsigned given = cli_model_given();
  /* Every model has a finite T: use its statistics unless told otherwise. */
  if (!(given & CLI_GIVEN_STATS))
    m.stats = SP_STATS_FINITE;
  if ((r = cli_model_check_sweep(&m, "recommend")))
    return r;
  const sp_preset *p = cli_model_preset();
  if (gain)
    sp_gain_from_name(gain, &o.gain);
  else if (p)
    o.gain = p->gain;
  cli_source src = {p ? "preset" : "options", p ? p->name : NULL, *cli_model_stds(),
                    ~given & 63u};
  sp_advice adv;
  int s = solve(&m, &src.stds, &o, &adv);
  if (s)
    return cli_status(s, "recommend");
  if (!json) {
    cli_report_text(stdout, &m, &src, &o, &adv);
    return CLI_OK;
  }
  json_t *root = cli_report_json(&m, &src, NULL, &o, &adv);
  if (!root)
    return cli_error(CLI_FAIL, "recommend: out of memory");
  cli_report_dump(stdout, root);
  json_decref(root);
  return CLI_OK;
}
