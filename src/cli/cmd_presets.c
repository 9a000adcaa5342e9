/* sigprop presets: the built-in architectures and their parameters.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cli_command command = {
  "presets",
  "[-o FILE]... | --show NAME",
  "Lists the built-in architectures (use one with --preset NAME in any command): their norm "
  "placement, activation, widths, sequence length, depth, and the model parameters their "
  "published initialisers give (theory.md §11).  With -o, the full table: every framework std "
  "and model parameter, the title and the source.",
  0, NULL};

typedef struct {
  cli_list out;
  const char *show;
} options;

static const cli_opt opts[] = {
  CLI_STRING("show", 0, options, show, "NAME",
             "print the preset file as shipped, with its sources and the arithmetic; a starting "
             "point for a preset file of your own"),
};

static const char *const columns[] = {
  "name", "title", "source", "norm", "attention", "activation", "mlp", "causal", "d-model",
  "heads", "d-ff", "tokens", "depth", "output-projection", "std-q", "std-k", "std-v",
  "std-o", "std-ff-in", "std-ff-out", "std-bias", "beta", "var-v", "var-w-in", "var-w-out",
  "var-b", "alpha-sa", "alpha-mlp", "branch-sa", "branch-mlp", "q0", "gain"};
#define NCOL (sizeof columns / sizeof columns[0])

static int load_all(sp_preset **out, size_t *n)
{
  *n = sp_preset_count();
  *out = calloc(*n ? *n : 1, sizeof **out);
  if (!*out)
    return cli_error(CLI_FAIL, "out of memory");
  for (size_t i = 0; i < *n; i++) {
    sp_preset_error e;
    int s = sp_preset_builtin(i, &(*out)[i], &e);
    if (s) {
      free(*out);
      return cli_error(CLI_FAIL, "built-in preset: %s", e.text[0] ? e.text : sp_strerror(s));
    }
  }
  return CLI_OK;
}

static void fill_row(const sp_preset *p, const char **str, double *num)
{
  const sp_model *m = &p->model;
  const char *s[NCOL] = {
    p->name, p->title, p->source, sp_norm_name(m->norm), sp_attention_name(m->attention),
    sp_activation_name(m->activation), m->mlp ? "on" : "none", m->causal ? "yes" : "no",
    NULL, NULL, NULL, NULL, NULL, p->output_projection ? "yes" : "no"};
  double x[NCOL] = {
    NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, (double)p->d_model, (double)p->heads,
    (double)p->d_ff, (double)m->tokens, (double)m->depth, NAN, p->std_q, p->std_k, p->std_v,
    p->std_o, p->std_ff_in, p->std_ff_out, p->std_bias, m->beta, m->var_v, m->var_w_in,
    m->var_w_out, m->var_b, m->alpha_sa, m->alpha_mlp, m->branch_sa, m->branch_mlp,
    p->has_q0 ? m->q0 : NAN, NAN};
  s[NCOL - 1] = sp_gain_name(p->gain);
  memcpy(str, s, sizeof s);
  memcpy(num, x, sizeof x);
}

/* The terminal table: the columns that tell the architectures apart. */
static void print_text(const sp_preset *ps, size_t n)
{
  printf("%-12s %-4s %-6s %-3s %5s %3s %6s %5s %3s %7s %7s %7s %7s %s\n", "name", "norm",
         "act", "dec", "d", "H", "d-ff", "T", "L", "beta", "var-v", "var-w1", "var-w2",
         "gain");
  for (size_t i = 0; i < n; i++) {
    const sp_preset *p = &ps[i];
    const sp_model *m = &p->model;
    char gain[32];
    double g = sp_gain_get(m, p->gain);
    if (g == 1.0)
      snprintf(gain, sizeof gain, "%s", sp_gain_name(p->gain));
    else
      snprintf(gain, sizeof gain, "%s %.3g", sp_gain_name(p->gain), g);
    printf("%-12s %-4s %-6s %-3s %5ld %3ld %6ld %5ld %3ld %7.4g %7.4g %7.4g %7.4g %s\n",
           p->name, sp_norm_name(m->norm), sp_activation_name(m->activation),
           m->causal ? "yes" : "no", p->d_model, p->heads, p->d_ff, m->tokens, m->depth,
           m->beta, m->var_v, m->var_w_in, m->var_w_out, gain);
  }
}

int cmd_presets(int argc, char **argv)
{
  options o = {{{NULL}, 0}, NULL};
  cli_opt_group groups[] = {CLI_GROUP(opts, &o), cli_output_group(&o.out, 0)};
  int r = cli_parse(&command, groups, 2, argc, argv, NULL, NULL);
  if (r)
    return r;
  const char *show = o.show;
  int out = o.out.n > 0;
  if (show && out)
    return cli_error(CLI_USAGE, "presets: --show and -o exclude each other");
  if (show) {
    for (size_t i = 0; i < sp_preset_count(); i++)
      if (strcmp(show, sp_preset_name(i)) == 0) {
        fputs(sp_preset_text(i), stdout);
        return CLI_OK;
      }
    return cli_error(CLI_USAGE, "--show: '%s' is not a built-in preset (see sigprop presets)",
                     show);
  }
  cli_outputs files;
  if (out && ((r = cli_outputs_check(&o.out, 0)) || (r = cli_outputs_begin(&files, &o.out))))
    return r;
  sp_preset *ps;
  size_t n;
  if ((r = load_all(&ps, &n)))
    return out ? cli_outputs_end(&files, NULL, NULL, 0.0, NULL, r) : r;
  if (!out) {
    print_text(ps, n);
    free(ps);
    return CLI_OK;
  }
  const char **str = calloc(n * NCOL + 1, sizeof *str);
  double *num = calloc(n * NCOL + 1, sizeof *num);
  if (!str || !num) {
    free(ps);
    free(str);
    free(num);
    return cli_outputs_end(&files, NULL, NULL, 0.0, NULL, cli_error(CLI_FAIL, "out of memory"));
  }
  for (size_t i = 0; i < n; i++)
    fill_row(&ps[i], str + i * NCOL, num + i * NCOL);
  cli_meta meta;
  cli_meta_begin(&meta);
  sp_table t = {NCOL, n, columns, num, str};
  r = cli_outputs_end(&files, &t, NULL, 0.0, &meta, CLI_OK);
  free(ps);
  free(str);
  free(num);
  return r;
}
