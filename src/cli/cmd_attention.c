/* sigprop attention: statistics of one softmax attention row over T i.i.d.
 * Gaussian energies, against their scale lambda: exact finite T
 * (theory.md §4) next to the T -> infinity laws (§3).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cli_command command = {
  "attention",
  "[--lambda MIN:MAX:N] [--tokens T1,T2,...] [--causal] [FIGURE OPTIONS] [-o FILE]...",
  "One softmax attention row over T keys whose energies are i.i.d. Gaussian with standard "
  "deviation lambda sqrt(log T): a Random Energy Model.  For inputs with order parameters (q, "
  "p) and query/key scale beta, lambda = beta sqrt(q (q - p)) (lambda = beta after LayerNorm "
  "with uncorrelated tokens).  For every T and lambda it prints the exact expectations "
  "(theory.md §4), then the T -> infinity laws (§3) in rows whose tokens cell is 'inf':\n"
  "  tokens,lambda,y2,y3,y2sq,g,entropy,entropy_ratio\n"
  "y2 = E sum_s A_s^2 (the inverse participation ratio), y3 = E sum_s A_s^3, y2sq = E (sum_s "
  "A_s^2)^2, g = y2 - 2 y3 + y2sq (the query/key gradient factor), entropy = E H in nats and "
  "entropy_ratio = E H / log T.  In the 'inf' rows the entropy in nats is empty below the "
  "freezing point lambda = sqrt(2), where it grows like log T; above it is psi(1) - psi(1 - m), "
  "m = sqrt(2)/lambda.  The figure draws E Y2 and H / log T against lambda.",
  0, NULL};

#define MAX_TOKENS_LIST 8
#define MAX_LAMBDA 2001

typedef struct {
  double lmin, lmax;
  long nl;
  long tokens[MAX_TOKENS_LIST];
  int ntokens;
  int causal;
  cli_list out;
  cli_figure fig;
} options;

static int parse_lambda(void *base, const cli_opt *opt, const char *spec)
{
  options *o = base;
  char buf[128], *f[5] = {NULL};
  if (cli_parse_range(opt->name, spec, buf, sizeof buf, f, &o->lmin, &o->lmax, &o->nl, NULL))
    return CLI_USAGE;
  if (!(o->lmin < o->lmax))
    return cli_error(CLI_USAGE, "--lambda: MIN must be below MAX (got %s and %s)", f[0], f[1]);
  if (o->lmin < 0.0 || o->lmax > SP_REM_TABLE_LAMBDA_MAX)
    return cli_error(CLI_USAGE, "--lambda: [%s, %s] leaves [0, %g]", f[0], f[1],
                     SP_REM_TABLE_LAMBDA_MAX);
  if (o->nl < 2 || o->nl > MAX_LAMBDA)
    return cli_error(CLI_USAGE, "--lambda: N must be between 2 and %d (got %ld)", MAX_LAMBDA,
                     o->nl);
  return CLI_OK;
}

static int token_item(void *base, const char *opt, const char *s)
{
  options *o = base;
  long t;
  if (cli_parse_long(opt, s, &t))
    return CLI_USAGE;
  if (t < 2 || t > SP_MAX_TOKENS)
    return cli_error(CLI_USAGE, "--tokens: %s is outside [2, %ld]", s, SP_MAX_TOKENS);
  o->tokens[o->ntokens++] = t;
  return CLI_OK;
}

static int parse_tokens(void *base, const cli_opt *opt, const char *spec)
{
  ((options *)base)->ntokens = 0;
  return cli_list_each(opt->name, spec, 256, 1, MAX_TOKENS_LIST, token_item, base);
}

static void show_lambda(const void *base, const cli_opt *opt, char *buf, size_t size)
{
  const options *o = base;
  (void)opt;
  snprintf(buf, size, "%g:%g:%ld", o->lmin, o->lmax, o->nl);
}

static void show_tokens(const void *base, const cli_opt *opt, char *buf, size_t size)
{
  const options *o = base;
  size_t k = 0;
  (void)opt;
  for (int i = 0; i < o->ntokens && k < size; i++)
    k += (size_t)snprintf(buf + k, size - k, "%s%ld", i ? "," : "", o->tokens[i]);
}

static const cli_opt opts[] = {
  {"lambda", 0, CLI_OPT_CALL, 0, 0, 0, NULL, parse_lambda, show_lambda, "MIN:MAX:N",
   "the energy scales: N points from MIN to MAX, 0 <= MIN < MAX <= 64, N in [2, 2001]", 0},
  {"tokens", 0, CLI_OPT_CALL, 0, 0, 0, NULL, parse_tokens, show_tokens, "T1,T2,...",
   "sequence lengths T, 2 <= T <= 1e9, at most 8", 0},
  CLI_FLAG("causal", 0, options, causal,
           "the decoder's row average over t = 1..T (row t sees t keys); the T -> infinity law "
           "is the same"),
  CLI_FLAG_SET("no-causal", 0, options, causal, 0, NULL),
};

static int parse(int argc, char **argv, options *o)
{
  cli_opt_group groups[] = {CLI_GROUP(opts, o), cli_figure_group(&o->fig),
                            cli_output_group(&o->out, 1)};
  return cli_parse(&command, groups, 3, argc, argv, NULL, NULL);
}

#define NCOL SP_ATTENTION_TABLE_NCOL

static void vline(sp_plot *p, size_t panel, double x, sp_line line, const char *label)
{
  double xs[2] = {x, x}, ys[2] = {-0.03, 1.03};
  sp_plot_style st;
  sp_plot_style_default(&st);
  st.color[0] = st.color[1] = st.color[2] = 0.35;
  st.width = 1.0;
  st.line = line;
  sp_plot_series(p, panel, 2, xs, ys, NULL, &st, label);
}

static int build_figure(const options *o, const double *num, sp_plot **out)
{
  sp_plot *p;
  int s = cli_figure_alloc(&o->fig, 1, 2, &p);
  if (s)
    return s;
  char title[160];
  if (o->fig.title)
    snprintf(title, sizeof title, "%s", o->fig.title);
  else
    snprintf(title, sizeof title, "%s softmax row over T Gaussian energies of std λ√(log T)",
             o->causal ? "Causal" : "One");
  sp_plot_set_title(p, title);
  static const char *const ylabel[2] = {"E Y^{(2)}", "E H / log T"};
  size_t nl = (size_t)o->nl;
  double *x = malloc(nl * sizeof *x), *y = malloc(nl * sizeof *y);
  if (!x || !y) {
    free(x);
    free(y);
    sp_plot_free(p);
    return SP_ENOMEM;
  }
  const double r2 = sqrt(2.0);
  for (size_t panel = 0; panel < 2; panel++) {
    sp_plot_set_axis(p, panel, 'x', "λ", SP_SCALE_LINEAR, o->lmin, o->lmax);
    sp_plot_set_axis(p, panel, 'y', ylabel[panel], SP_SCALE_LINEAR, -0.03, 1.03);
    size_t col = panel == 0 ? 2 : 7;
    /* The reference lines first, under the curves. */
    if (r2 >= o->lmin && r2 <= o->lmax)
      vline(p, panel, r2, SP_LINE_DOTTED, panel == 0 ? "λ = √2 (freezing)" : NULL);
    if (r2 / 2 >= o->lmin && r2 / 2 <= o->lmax)
      vline(p, panel, r2 / 2, SP_LINE_DASHDOT,
            panel == 0 ? "λ = √2/2 (limit law fails above)" : NULL);
    for (int k = 0; k <= o->ntokens; k++) {
      for (size_t i = 0; i < nl; i++) {
        const double *row = num + ((size_t)k * nl + i) * NCOL;
        x[i] = row[1];
        y[i] = row[col];
      }
      char label[48];
      sp_plot_style st;
      sp_plot_style_default(&st);
      st.width = 1.3;
      if (k == o->ntokens) {
        st.color[0] = st.color[1] = st.color[2] = 0.0;
        st.line = SP_LINE_DASHED;
        snprintf(label, sizeof label, "T → ∞");
      } else {
        snprintf(label, sizeof label, "T = %ld", o->tokens[k]);
      }
      sp_plot_series(p, panel, nl, x, y, NULL, &st, panel == 0 ? label : NULL);
    }
  }
  sp_plot_legend(p, 0, SP_LEGEND_BELOW);
  free(x);
  free(y);
  return cli_figure_done(p, SP_OK, out);
}

/* The '#' lines of a run. */
static void add_meta(cli_meta *meta, const options *o)
{
  char a[40], b[40], list[200];
  cli_meta_begin(meta);
  sp_io_format_double(a, sizeof a, o->lmin);
  sp_io_format_double(b, sizeof b, o->lmax);
  cli_meta_add(meta, "lambda", "from %s to %s, %ld points", a, b, o->nl);
  size_t k = 0;
  for (int i = 0; i < o->ntokens && k < sizeof list; i++)
    k += (size_t)snprintf(list + k, sizeof list - k, "%s%ld", i ? ", " : "", o->tokens[i]);
  cli_meta_add(meta, "tokens", "%s, then inf (the T -> infinity law)", list);
  cli_meta_add(meta, "causal", "%s", o->causal ? "yes (row mean over t = 1..T)" : "no");
  cli_meta_add(meta, "energies", "i.i.d. N(0, lambda^2 log T); lambda = beta sqrt(q (q - p))");
  cli_meta_add(meta, "freezing", "lambda = sqrt(2); the T -> infinity law fails above "
               "sqrt(2)/2 at any finite T");
  cli_meta_add(meta, "entropy", "nats; empty in the inf rows below sqrt(2) (it grows like "
               "log T)");
}

int cmd_attention(int argc, char **argv)
{
  options o = {0};
  o.lmin = 0.0;
  o.lmax = 4.0;
  o.nl = 81;
  o.tokens[0] = 64;
  o.tokens[1] = 512;
  o.tokens[2] = 4096;
  o.ntokens = 3;
  cli_figure_default(&o.fig, 500.0, 210.0);
  int r = parse(argc, argv, &o);
  if (r || (r = cli_outputs_check(&o.out, 1)) || (r = cli_figure_check(&o.fig, &o.out)))
    return r;
  cli_outputs files;
  if ((r = cli_outputs_begin(&files, &o.out)))
    return r;

  size_t nl = (size_t)o.nl, nrow = nl * (size_t)(o.ntokens + 1);
  double *num = malloc(nrow * NCOL * sizeof *num);
  const char **str = calloc(nrow * NCOL, sizeof *str);
  sp_plot *plot = NULL;
  if (!num || !str)
    r = cli_error(CLI_FAIL, "out of memory for %zu rows", nrow);
  for (int k = 0; k <= o.ntokens && !r; k++)
    for (size_t i = 0; i < nl && !r; i++) {
      double lambda = sp_attention_table_lambda(o.lmin, o.lmax, o.nl, (long)i);
      size_t row = (size_t)k * nl + i;
      int s = sp_attention_table_row(k < o.ntokens ? o.tokens[k] : 0, o.causal, lambda,
                                     num + row * NCOL);
      if (k == o.ntokens)
        str[row * NCOL] = "inf";
      if (s) {
        char what[96];
        if (k < o.ntokens)
          snprintf(what, sizeof what, "attention: T = %ld, lambda = %g", o.tokens[k], lambda);
        else
          snprintf(what, sizeof what, "attention: T -> infinity, lambda = %g", lambda);
        r = cli_status(s, what);
        break;
      }
    }

  cli_meta meta;
  add_meta(&meta, &o);
  int s;
  if (!r && cli_outputs_figure(&o.out) && (s = build_figure(&o, num, &plot)))
    r = cli_status(s, "attention: figure");
  const char *columns[NCOL];
  for (size_t c = 0; c < NCOL; c++)
    columns[c] = sp_attention_table_column(c);
  sp_table t = {NCOL, nrow, columns, num, str};
  r = cli_outputs_end(&files, &t, plot, o.fig.dpi, &meta, r);
  sp_plot_free(plot);
  free(num);
  free(str);
  return r;
}
