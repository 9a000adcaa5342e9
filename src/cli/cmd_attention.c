/* sigprop attention: statistics of one softmax attention row over T i.i.d.
 * Gaussian energies, against their scale lambda: exact finite T
 * (theory.md §4) next to the T -> infinity laws (§3).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_sf_psi.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
  "Usage: sigprop attention [--lambda MIN:MAX:N] [--tokens T1,T2,...] [--causal]\n"
  "                         [FIGURE OPTIONS] [-o FILE]...\n\n"
  "One softmax attention row over T keys whose energies are i.i.d. Gaussian with\n"
  "standard deviation lambda sqrt(log T): a Random Energy Model.  For inputs with\n"
  "order parameters (q, p) and query/key scale beta, lambda = beta sqrt(q (q - p))\n"
  "(lambda = beta after LayerNorm with uncorrelated tokens).  For every T and\n"
  "lambda it prints the exact expectations (theory.md §4), then the T -> infinity\n"
  "laws (§3) in rows whose tokens cell is 'inf':\n"
  "  tokens,lambda,y2,y3,y2sq,g,entropy,entropy_ratio\n"
  "y2 = E sum_s A_s^2 (the inverse participation ratio), y3 = E sum_s A_s^3,\n"
  "y2sq = E (sum_s A_s^2)^2, g = y2 - 2 y3 + y2sq (the query/key gradient factor),\n"
  "entropy = E H in nats and entropy_ratio = E H / log T.  In the 'inf' rows the\n"
  "entropy in nats is empty below the freezing point lambda = sqrt(2), where it\n"
  "grows like log T; above it is psi(1) - psi(1 - m), m = sqrt(2)/lambda.\n\n"
  "  --lambda SPEC     MIN:MAX:N, 0 <= MIN < MAX <= 64, N in [2, 2001] [0:4:81]\n"
  "  --tokens LIST     sequence lengths T, 2 <= T <= 1e9, at most 8 [64,512,4096]\n"
  "  --causal          the decoder's row average over t = 1..T (row t sees t keys);\n"
  "                    the T -> infinity law is the same\n"
  "  -o FILE           output, by extension: .csv .tsv .json (table), .png .pdf\n"
  "                    .svg (E Y2 and H / log T against lambda); repeatable\n"
  "                    [CSV on standard output]\n"
  "  --title TEXT      figure title ('' for none)\n"
  "  --size W,H        figure size in points [500,210]\n"
  "  --dpi D           PNG resolution [300]\n\n";

#define MAX_OUT 8
#define MAX_TOKENS_LIST 8
#define MAX_LAMBDA 2001

typedef struct {
  double lmin, lmax;
  long nl;
  long tokens[MAX_TOKENS_LIST];
  int ntokens;
  int causal;
  const char *out[MAX_OUT];
  int nout;
  const char *title;
  double width, height, dpi;
} options;

static int parse_lambda(const char *spec, options *o)
{
  char buf[128], *f[4] = {NULL};
  int nf = cli_split_fields("lambda", spec, buf, sizeof buf, f, 4);
  if (nf < 0)
    return CLI_USAGE;
  if (nf != 3)
    return cli_error(CLI_USAGE, "--lambda: '%s' is not MIN:MAX:N", spec);
  if (cli_parse_double("lambda", f[0], &o->lmin) || cli_parse_double("lambda", f[1], &o->lmax)
      || cli_parse_long("lambda", f[2], &o->nl))
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

static int parse_tokens(const char *spec, options *o)
{
  char buf[256];
  if (strlen(spec) >= sizeof buf)
    return cli_error(CLI_USAGE, "--tokens: too long");
  strcpy(buf, spec);
  o->ntokens = 0;
  char *s = buf;
  for (;;) {
    char *c = strchr(s, ',');
    if (c)
      *c = '\0';
    if (o->ntokens == MAX_TOKENS_LIST)
      return cli_error(CLI_USAGE, "--tokens: at most %d values", MAX_TOKENS_LIST);
    long t;
    if (cli_parse_long("tokens", s, &t))
      return CLI_USAGE;
    if (t < 2 || t > SP_MAX_TOKENS)
      return cli_error(CLI_USAGE, "--tokens: %s is outside [2, %ld]", s, SP_MAX_TOKENS);
    o->tokens[o->ntokens++] = t;
    if (!c)
      break;
    s = c + 1;
  }
  return CLI_OK;
}

static int parse(int argc, char **argv, options *o)
{
  cli_args a = {argc, argv, 1, NULL, NULL, "attention"};
  int r;
  while ((r = cli_next(&a, NULL, NULL, 0)) == 1) {
    const char *n = a.name, *v;
    if (strcmp(n, "help") == 0 || strcmp(n, "h") == 0) {
      cli_set_help(help, NULL);
      return -1;
    }
    if (strcmp(n, "causal") == 0 || strcmp(n, "no-causal") == 0) {
      if (a.value)
        return cli_error(CLI_USAGE, "--%s takes no value", n);
      o->causal = n[0] == 'c';
      continue;
    }
    static const char *const valued[] = {"o", "output", "lambda", "tokens", "title", "size",
                                         "dpi"};
    int known = 0;
    for (size_t i = 0; i < sizeof valued / sizeof valued[0]; i++)
      known |= strcmp(n, valued[i]) == 0;
    if (!known)
      return cli_error(CLI_USAGE, "attention: unknown option '%s' (see --help)",
                       a.argv[a.i - 1]);
    if (!(v = cli_value(&a)))
      return CLI_USAGE;
    if (strcmp(n, "o") == 0 || strcmp(n, "output") == 0) {
      if (o->nout == MAX_OUT)
        return cli_error(CLI_USAGE, "-o: at most %d outputs", MAX_OUT);
      o->out[o->nout++] = v;
    } else if (strcmp(n, "lambda") == 0) {
      if (parse_lambda(v, o))
        return CLI_USAGE;
    } else if (strcmp(n, "tokens") == 0) {
      if (parse_tokens(v, o))
        return CLI_USAGE;
    } else if (strcmp(n, "title") == 0) {
      o->title = v;
    } else if (strcmp(n, "size") == 0) {
      if (cli_parse_size(v, &o->width, &o->height))
        return CLI_USAGE;
    } else {
      if (cli_parse_dpi(v, &o->dpi))
        return CLI_USAGE;
    }
  }
  return r < 0 ? CLI_USAGE : CLI_OK;
}

/* The T -> infinity law at lambda (theory.md §3, inputs q = 1, p = 0 so that
 * beta = lambda): entropy in nats NaN below the freezing point. */
static int asymptotic(double lambda, sp_attn_stats *st)
{
  int s = sp_rem_asymptotic(lambda, 1.0, 0.0, 2, SP_REM_ALL, st);
  if (s)
    return s;
  st->entropy = NAN;
  if (st->frozen) {
    gsl_sf_result r;
    if (gsl_sf_psi_e(1.0 - st->m, &r) != GSL_SUCCESS)
      return SP_EDOM;
    st->entropy = -M_EULER - r.val;
  }
  return SP_OK;
}

static const char *const columns[] = {"tokens", "lambda", "y2", "y3", "y2sq", "g", "entropy",
                                      "entropy_ratio"};
#define NCOL (sizeof columns / sizeof columns[0])

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
  int s = sp_plot_alloc(o->width, o->height, 1, 2, &p);
  if (s)
    return s;
  char title[160];
  if (o->title)
    snprintf(title, sizeof title, "%s", o->title);
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
  if ((s = sp_plot_status(p))) {
    sp_plot_free(p);
    return s;
  }
  *out = p;
  return SP_OK;
}

int cmd_attention(int argc, char **argv)
{
  options o;
  memset(&o, 0, sizeof o);
  o.lmin = 0.0;
  o.lmax = 4.0;
  o.nl = 81;
  o.tokens[0] = 64;
  o.tokens[1] = 512;
  o.tokens[2] = 4096;
  o.ntokens = 3;
  o.width = 500.0;
  o.height = 210.0;
  o.dpi = 300.0;
  int r = parse(argc, argv, &o);
  if (r < 0)
    return CLI_OK; /* --help */
  if (r)
    return r;
  if ((r = cli_check_figure_outputs(o.out, o.nout, 1)))
    return r;
  double px = ceil(o.width * o.dpi / 72.0), py = ceil(o.height * o.dpi / 72.0);
  if (px > 32767.0 || py > 32767.0)
    return cli_error(CLI_USAGE, "--dpi %g with --size %g,%g makes a %gx%g image, above 32767 "
                     "pixels a side", o.dpi, o.width, o.height, px, py);
  sp_outfile *files[MAX_OUT];
  if ((r = cli_outputs_open(o.out, o.nout, files)))
    return r;

  size_t nl = (size_t)o.nl, nrow = nl * (size_t)(o.ntokens + 1);
  double *num = malloc(nrow * NCOL * sizeof *num);
  const char **str = calloc(nrow * NCOL, sizeof *str);
  sp_plot *plot = NULL;
  if (!num || !str)
    r = cli_error(CLI_FAIL, "out of memory for %zu rows", nrow);
  for (int k = 0; k <= o.ntokens && !r; k++)
    for (size_t i = 0; i < nl && !r; i++) {
      double lambda = i == nl - 1 ? o.lmax
                                  : o.lmin + (o.lmax - o.lmin) * (double)i / (double)(nl - 1);
      sp_attn_stats st;
      int s;
      size_t row = (size_t)k * nl + i;
      if (k < o.ntokens) {
        s = sp_rem_finite(o.tokens[k], o.causal, lambda, &st, NULL);
      } else {
        s = asymptotic(lambda, &st);
        str[row * NCOL] = "inf";
      }
      if (s) {
        char what[96];
        if (k < o.ntokens)
          snprintf(what, sizeof what, "attention: T = %ld, lambda = %g", o.tokens[k], lambda);
        else
          snprintf(what, sizeof what, "attention: T -> infinity, lambda = %g", lambda);
        r = cli_status(s, what);
        break;
      }
      double v[NCOL] = {k < o.ntokens ? (double)o.tokens[k] : NAN, lambda, st.y2, st.y3,
                        st.y2sq, st.g, st.entropy, st.entropy_ratio};
      memcpy(num + row * NCOL, v, sizeof v);
    }

  cli_meta meta;
  cli_meta_begin(&meta);
  {
    char a[40], b[40], list[200];
    sp_format_double(a, sizeof a, o.lmin);
    sp_format_double(b, sizeof b, o.lmax);
    cli_meta_add(&meta, "lambda", "from %s to %s, %ld points", a, b, o.nl);
    size_t k = 0;
    for (int i = 0; i < o.ntokens && k < sizeof list; i++)
      k += (size_t)snprintf(list + k, sizeof list - k, "%s%ld", i ? ", " : "", o.tokens[i]);
    cli_meta_add(&meta, "tokens", "%s, then inf (the T -> infinity law)", list);
    cli_meta_add(&meta, "causal", "%s", o.causal ? "yes (row mean over t = 1..T)" : "no");
    cli_meta_add(&meta, "energies", "i.i.d. N(0, lambda^2 log T); lambda = beta sqrt(q (q - p))");
    cli_meta_add(&meta, "freezing", "lambda = sqrt(2); the T -> infinity law fails above "
                 "sqrt(2)/2 at any finite T");
    cli_meta_add(&meta, "entropy", "nats; empty in the inf rows below sqrt(2) (it grows like "
                 "log T)");
  }
  int figure = 0;
  for (int i = 0; i < o.nout; i++)
    figure |= !sp_format_is_table(sp_format_from_path(o.out[i]));
  int s;
  if (!r && figure && (s = build_figure(&o, num, &plot)))
    r = cli_status(s, "attention: figure");
  sp_table t = {NCOL, nrow, columns, num, str};
  if (!o.nout) {
    if (!r)
      r = cli_write_table(NULL, &t, &meta);
  } else {
    r = cli_outputs_finish(o.out, o.nout, files, &t, plot, o.dpi, &meta, r);
  }
  sp_plot_free(plot);
  free(num);
  free(str);
  return r;
}
