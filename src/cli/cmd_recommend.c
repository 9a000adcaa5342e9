/* sigprop recommend: where a network's initialisation sits and what to
 * change so that it trains, as a complete table of weight stds.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cli_command command = {
  "recommend",
  "[--preset NAME|FILE] [MODEL OPTIONS] [--margin M] [--rho-max R] [--gain NAME] "
  "[-o FILE.json]...",
  "Classifies the network at its depth (rank collapse, entropy collapse, stream overflow or "
  "trainable; theory.md §10) under finite-T statistics unless --attention-stats asymptotic is "
  "given, and prints: the model as given (source, widths, weight stds and the parameters they "
  "give, theory.md §11); the assumptions (rho0, q0, T, statistics, causal, marked when a "
  "default was assumed); the verdict with block 1's finite-T, finite-width query/key gradient; "
  "the sensitivity (the rho0 and the depth at which the verdict changes); the recommendation "
  "as a complete table of weight stds, in the initialisation-only form (a branch gain folded "
  "into W_O and W_2) where it reaches a trainable point, else with a skip multiplier, and the "
  "other form as the alternative; the safe beta range also as a range of the W_Q, W_K std; "
  "the margin also in rho_L; and one numbered line per flag.  -o writes the same as JSON "
  "(sigprop-recommend(1)).",
  0, NULL};

static const cli_choice formats[] = {{"text", 0}, {"json", 1}, {NULL, 0}};
static const cli_choice gains[] = {
  {"alpha", SP_GAIN_ALPHA}, {"alpha-sa", SP_GAIN_ALPHA_SA}, {"alpha-mlp", SP_GAIN_ALPHA_MLP},
  {"branch", SP_GAIN_BRANCH}, {"branch-sa", SP_GAIN_BRANCH_SA},
  {"branch-mlp", SP_GAIN_BRANCH_MLP}, {NULL, 0}};

/* The command's options next to the library's. */
typedef struct {
  sp_recommend_options rec;
  cli_list out;
  int json, gain; /* json -1: no --format; gain -1: the preset's, else alpha */
} options;

static const cli_opt opts[] = {
  CLI_LIST(NULL, 'o', options, out, CLI_LIST_MAX, "FILE",
           "write the report as JSON to FILE (.json); '-' for JSON on standard output; "
           "repeatable [the text on standard output]"),
  CLI_CHOICE("format", 0, options, json, formats, "NAME",
             "the old spelling: json for -o -, text for no -o; deprecated [text]"),
  CLI_DOUBLE("margin", 0, options, rec.margin, 0.0, 10.0, "M",
             "relative safety margin on the gain and on beta"),
  CLI_DOUBLE_OPEN("rho-max", 0, options, rec.rho_max, 0.0, 1.0,
                  CLI_OPT_OPEN_LO | CLI_OPT_OPEN_HI, "R", "rank collapse when rho_L >= R"),
  CLI_CHOICE("gain", 0, options, gain, gains, "NAME",
             "the gain to tune: alpha (both skips), alpha-sa, alpha-mlp, branch (both "
             "branches), branch-sa, branch-mlp; the other kind is the alternative "
             "[the preset's, else alpha]"),
};

/* -o: JSON files or '-'; the old --format json is -o -. */
static int check_outputs(options *o)
{
  if (o->json >= 0) {
    cli_note("recommend: --format is deprecated; use -o FILE.json, or -o - for JSON on "
             "standard output");
    if (o->json == 1 && cli_outputs_add(&o->out, "-"))
      return CLI_USAGE;
  }
  for (int i = 0; i < o->out.n; i++)
    if (strcmp(o->out.v[i], "-") != 0 && sp_format_from_path(o->out.v[i]) != SP_FMT_JSON)
      return cli_error(CLI_USAGE, "-o %s: the report is written as .json", o->out.v[i]);
  return cli_outputs_check(&o->out, 0);
}

/* Everything the JSON writer needs, for cli_outputs_end_with. */
typedef struct {
  json_t *root;
} report;

static void write_json(FILE *fp, void *ctx)
{
  const report *r = ctx;
  cli_report_dump(fp, r->root);
}

int cmd_recommend(int argc, char **argv)
{
  sp_model m;
  sp_model_default(&m);
  options opt = {0};
  sp_recommend_options_default(&opt.rec);
  opt.gain = -1;
  opt.json = -1;
  cli_opt_group groups[] = {CLI_GROUP(opts, &opt), cli_model_group(&m)};
  int r = cli_parse(&command, groups, 2, argc, argv, NULL, NULL);
  if (r || (r = check_outputs(&opt)))
    return r;
  /* The library's run: finite T unless given, the check, the gain, the source. */
  sp_modelopt *mo = cli_model_options();
  if (!mo)
    return cli_error(CLI_FAIL, "out of memory");
  *sp_modelopt_model(mo) = m;
  sp_recommend_options o;
  cli_source src;
  int s = sp_report_prepare(mo, &opt.rec, opt.gain, &m, &o, &src);
  if (s)
    return cli_error(s == SP_ENOMEM ? CLI_FAIL : CLI_USAGE, "%s", sp_modelopt_error(mo));

  cli_outputs files;
  if (opt.out.n && (r = cli_outputs_begin(&files, &opt.out)))
    return r;
  sp_advice a;
  s = sp_report_advise(&m, &src, &o, &a);
  if (s)
    r = cli_status(s, "recommend");
  if (opt.out.n) {
    report rep = {r ? NULL : cli_report_json(&m, &src, NULL, &o, &a)};
    if (!r && !rep.root)
      r = cli_error(CLI_FAIL, "recommend: out of memory");
    r = cli_outputs_end_with(&files, write_json, &rep, r);
    json_decref(rep.root);
    return r;
  }
  if (!r)
    cli_report_text(stdout, &m, &src, &o, &a);
  return r;
}
