/* sigprop propagate: the per-layer table of the mean-field recursions.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NCOL SP_PROPAGATE_TABLE_NCOL

static void add_gradient_exponent(cli_meta *meta, const sp_model *m, const sp_workspace *w)
{
  double lg;
  int s = sp_grad_exponent(m, w, &lg, NULL);
  if (s) {
    cli_meta_add(meta, "lambda_g", "undefined (%s)", sp_strerror(s));
    return;
  }
  char a[40], b[40];
  sp_io_format_double(a, sizeof a, lg);
  cli_meta_add(meta, "lambda_g", "%s (per block: log of the end-to-end growth / %ld)", a,
               m->depth);
  if (lg != 0.0) {
    sp_io_format_double(b, sizeof b, -1.0 / lg);
    cli_meta_add(meta, "xi_g", "%s (blocks; %s)", b,
                 lg < 0.0 ? "input gradients vanish" : "negative: input gradients explode");
  }
}

static void add_exponent(cli_meta *meta, const sp_model *m, const sp_workspace *w)
{
  double la, err;
  int s = sp_propagate_angle_exponent(m, w, &la);
  const char *how = "closed form";
  if (s == SP_EUNSUP) {
    s = sp_propagate_angle_exponent_fd(m, w, &la, &err);
    how = "finite differences";
  }
  if (s) {
    cli_meta_add(meta, "lambda_a", "undefined (%s)", sp_strerror(s));
    return;
  }
  char a[40], b[40];
  sp_io_format_double(a, sizeof a, la);
  cli_meta_add(meta, "lambda_a", "%s (%s; per block, rho -> 1)", a, how);
  if (la < 0.0) {
    sp_io_format_double(b, sizeof b, -1.0 / la);
    cli_meta_add(meta, "xi_a", "%s (blocks; rank collapse attracts)", b);
  } else {
    cli_meta_add(meta, "xi_a", "undefined (lambda_a >= 0: rank collapse repels)");
  }
}

#define MAX_COMPARE 12

typedef struct {
  cli_list out;
  const char *plot;
  cli_figure fig;
  const sp_param *param; /* --compare, or NULL */
  double values[MAX_COMPARE];
  int nvalues;
  cli_list variant; /* --variant specs */
  int panels[8];    /* --panels: what each panel shows (PANEL_*) */
  int npanels;
} options;

/* What a panel of the depth figure can show. */
enum { PANEL_RHO, PANEL_Y2, PANEL_ENTROPY, PANEL_Q, PANEL_LAMBDA, PANEL_GRAD_WQ, PANEL_QK_V,
       PANEL_CHI };
static const struct {
  const char *name, *label;
  int log; /* log y axis (else linear; rho, y2 and entropy on [0, 1]) */
} panel_kinds[] = {
  {"rho", "ρ_ℓ", 0},
  {"y2", "E Y^{(2)}", 0},
  {"entropy", "H / log T", 0},
  {"q", "q_ℓ", 0},
  {"lambda", "λ_ℓ = β √(q (q − p))", 0},
  {"grad_wq", "scaled ‖∂L/∂W_Q‖^2", 1},
  {"qk_v_ratio", "Q/K ÷ V gradient", 1},
  {"grad_chi", "χ_ℓ (block Jacobian)", 0},
};
#define NKINDS (sizeof panel_kinds / sizeof panel_kinds[0])

static int panel_item(void *base, const char *opt, const char *t)
{
  options *o = base;
  size_t k = 0;
  (void)opt;
  while (k < NKINDS && strcmp(t, panel_kinds[k].name) != 0)
    k++;
  if (k == NKINDS)
    return cli_error(CLI_USAGE, "--panels: '%s' is not one of rho, y2, entropy, q, lambda, "
                     "grad_wq, qk_v_ratio, grad_chi", t);
  if (o->npanels == 8)
    return cli_error(CLI_USAGE, "--panels: at most 8");
  o->panels[o->npanels++] = (int)k;
  return CLI_OK;
}

static int parse_panels(void *base, const cli_opt *opt, const char *spec)
{
  options *o = base;
  o->npanels = 0;
  int r = cli_list_each(opt->name, spec, 256, 0, 0, panel_item, o);
  if (!r && !o->npanels)
    return cli_error(CLI_USAGE, "--panels: empty list");
  return r;
}

/* The value panel kind `kind` shows at layer L of model mk (NaN: none). */
static double panel_value(int kind, const sp_model *mk, const sp_layer *L)
{
  const sp_attn_stats *st = &L->attn;
  const sp_block_trace *tr = &L->trace;
  double v = NAN;
  switch (kind) {
  case PANEL_RHO: return L->rho;
  case PANEL_Y2: return st->y2;
  case PANEL_ENTROPY: return st->entropy_ratio;
  case PANEL_Q: return L->q;
  case PANEL_LAMBDA: return L->layer ? st->lambda : NAN;
  case PANEL_GRAD_WQ:
    return L->layer ? sp_grad_wq(mk->beta, mk->var_v, tr->qa, tr->pa, st->g) : NAN;
  case PANEL_QK_V:
    if (L->layer && sp_grad_qk_v_ratio(mk->tokens, tr->qa, tr->pa, &v))
      v = NAN;
    return v;
  case PANEL_CHI:
    if (L->layer && sp_grad_block_chi(mk, st, tr, &v))
      v = NAN;
    return v;
  default: return NAN;
  }
}

/* Split "LABEL=--opt v --opt2 v2" and apply its model options to *m;
 * the label is copied into label[size]. */
static int apply_variant(const char *spec, sp_model *m, char *label, size_t size)
{
  char buf[512];
  char *argv[40];
  int argc = 0;
  if (cli_copy_spec("variant", spec, buf, sizeof buf))
    return CLI_USAGE;
  char *eq = strchr(buf, '=');
  if (!eq || eq == buf)
    return cli_error(CLI_USAGE, "--variant: '%s' is not LABEL=OPTIONS", spec);
  *eq = '\0';
  if (strlen(buf) >= size || strlen(buf) > 80)
    return cli_error(CLI_USAGE, "--variant: label '%.40s...' is longer than 80 bytes", buf);
  snprintf(label, size, "%s", buf);
  argv[argc++] = "variant";
  for (char *t = strtok(eq + 1, " \t"); t; t = strtok(NULL, " \t")) {
    if (argc == (int)(sizeof argv / sizeof argv[0]))
      return cli_error(CLI_USAGE, "--variant %s: too many words", label);
    argv[argc++] = t;
  }
  if (argc == 1)
    return cli_error(CLI_USAGE, "--variant %s: no model options after '='", label);
  char name[96];
  snprintf(name, sizeof name, "--variant %.80s", label);
  cli_command cmd = {name, "", "", 0, "%s: '%s' is not a model option"};
  cli_opt_group model = cli_model_group(m);
  return cli_parse(&cmd, &model, 1, argc, argv, NULL, NULL) ? CLI_USAGE : CLI_OK;
}

static int compare_item(void *base, const char *opt, const char *t)
{
  options *o = base;
  if (cli_parse_double(opt, t, &o->values[o->nvalues]))
    return CLI_USAGE;
  o->nvalues++;
  return CLI_OK;
}

static int parse_compare(void *base, const cli_opt *opt, const char *spec)
{
  options *o = base;
  char name[512];
  if (cli_copy_spec(opt->name, spec, name, sizeof name))
    return CLI_USAGE;
  char *eq = strchr(name, '=');
  if (!eq)
    return cli_error(CLI_USAGE, "--compare: '%s' is not NAME=V1,V2,...", spec);
  *eq = '\0';
  if (!(o->param = sp_param_lookup(name)))
    return cli_error(CLI_USAGE, "--compare: '%s' is not a model parameter", name);
  o->nvalues = 0;
  int r = cli_list_each(opt->name, spec + (eq - name) + 1, sizeof name, 0, MAX_COMPARE,
                        compare_item, o);
  if (!r && !o->nvalues)
    return cli_error(CLI_USAGE, "--compare: no values after '%s='", name);
  return r;
}

static const cli_command command = {
  "propagate",
  "[MODEL OPTIONS] [FIGURE OPTIONS] [-o FILE]... [--compare NAME=V1,V2,... | --variant "
  "LABEL=OPTIONS ...]",
  "Iterates the order-parameter recursions of theory.md §6 through L blocks and prints one row "
  "per layer: layer, q, p, rho, beta_c, frozen, lambda, m, y2, y3, y2sq, g, entropy, "
  "entropy_ratio, grad_wq, qk_v_ratio, grad_chi.  Row 0 is the input; row l >= 1 holds the "
  "state after block l and the attention statistics of block l's input.  '#' lines record the "
  "version, every parameter and the angle exponent lambda_a (of each variant with --variant).  "
  "The figure (-o FILE.png, .pdf, .svg) draws the depth profiles of rho, E Y2 and H / log T "
  "(--panels chooses others).",
  0, NULL};

static const cli_opt opts[] = {
  CLI_STRING("plot", 0, options, plot, "FILE",
             "the old spelling of -o FILE for the figure, with the table still on standard "
             "output unless -o names it; deprecated"),
  CLI_CALL("compare", 0, parse_compare, "NAME=V,...",
           "one trajectory per value of the model parameter NAME (a curve each; the table "
           "gets a first column NAME)"),
  CLI_LIST("variant", 0, options, variant, MAX_COMPARE, "LABEL=OPTS",
           "one trajectory of the model changed by the model options OPTS (e.g. 'pre-LN=--norm "
           "pre --attention centred'), applied after all others; repeat for each curve (at most "
           "12; the table gets a first column variant)"),
  CLI_CALL("panels", 0, parse_panels, "LIST",
           "what the figure's panels show, in order, from rho, y2, entropy (H / log T), q, "
           "lambda, grad_wq, qk_v_ratio, grad_chi [rho,y2,entropy]"),
};

static int parse(int argc, char **argv, sp_model *m, options *o)
{
  cli_opt_group groups[] = {CLI_GROUP(opts, o), cli_figure_group(&o->fig),
                            cli_output_group(&o->out, 1), cli_model_group(m)};
  return cli_parse(&command, groups, 4, argc, argv, NULL, NULL);
}

/* One trajectory of model m (SP_REM_ALL statistics), allocated, and the
 * workspace it used (NULL when none is needed). */
static int trajectory(const sp_model *m, sp_layer **out, sp_workspace **wout)
{
  *out = NULL;
  *wout = NULL;
  sp_workspace *w = NULL;
  if (cli_workspace(m, "propagate", &w))
    return CLI_FAIL;
  size_t rows = (size_t)m->depth + 1;
  sp_layer *traj = malloc(rows * sizeof *traj);
  if (!traj) {
    sp_workspace_free(w);
    return cli_error(CLI_FAIL, "out of memory for %zu layers", rows);
  }
  long done;
  int s = sp_propagate(m, w, SP_REM_ALL, traj, &done);
  if (s) {
    free(traj);
    sp_workspace_free(w);
    char what[64];
    snprintf(what, sizeof what, "propagate: block %ld", done);
    return cli_status(s, what);
  }
  *out = traj;
  *wout = w;
  return CLI_OK;
}

/* Significant digits for the compared values' labels: three, or as many
 * more as it takes to tell them apart. */
static int label_digits(const double *v, int n)
{
  for (int d = 3; d < 17; d++) {
    int distinct = 1;
    for (int i = 0; i < n && distinct; i++)
      for (int j = 0; j < i && distinct; j++) {
        char a[40], b[40];
        snprintf(a, sizeof a, "%.*g", d, v[i]);
        snprintf(b, sizeof b, "%.*g", d, v[j]);
        distinct = strcmp(a, b) != 0 || v[i] == v[j];
      }
    if (distinct)
      return d;
  }
  return 17;
}

/* Markup legend label "β = 0.5" of compared value v at `digits`. */
static void value_label(const sp_param *p, double v, int digits, char *buf, size_t size)
{
  snprintf(buf, size, "%s = %.*g", p->label, digits, v);
}

/* The trajectories of one run: one per compared value or variant (else one). */
typedef struct {
  int n;
  sp_model models[MAX_COMPARE];
  char labels[MAX_COMPARE][96];
  sp_layer *traj[MAX_COMPARE];
  sp_workspace *ws[MAX_COMPARE];
} runs;

static int build_figure(const options *o, const runs *t, const char *title, sp_plot **out)
{
  const sp_model *models = t->models;
  sp_layer *const *traj = t->traj;
  int n = t->n;
  sp_plot *p;
  size_t np = (size_t)o->npanels;
  int s = cli_figure_alloc(&o->fig, 1, np, &p);
  if (s)
    return s;
  long depth = 0;
  double rho_min = 0.0;
  for (int k = 0; k < n; k++) {
    depth = models[k].depth > depth ? models[k].depth : depth;
    for (long l = 0; l <= models[k].depth; l++)
      rho_min = fmin(rho_min, traj[k][l].rho);
  }
  double *x = malloc(((size_t)depth + 1) * sizeof *x), *y = malloc(((size_t)depth + 1) * sizeof *y);
  if (!x || !y) {
    free(x);
    free(y);
    sp_plot_free(p);
    return SP_ENOMEM;
  }
  sp_plot_set_title(p, title);
  for (size_t panel = 0; panel < np; panel++) {
    int kind = o->panels[panel];
    sp_plot_set_axis(p, panel, 'x', "layer ℓ", SP_SCALE_LINEAR, 0.0, (double)depth);
    double lo = kind == PANEL_RHO ? fmin(-0.03, rho_min - 0.03) : -0.03;
    if (kind <= PANEL_ENTROPY)
      sp_plot_set_axis(p, panel, 'y', panel_kinds[kind].label, SP_SCALE_LINEAR, lo, 1.03);
    else
      sp_plot_set_axis(p, panel, 'y', panel_kinds[kind].label,
                       panel_kinds[kind].log ? SP_SCALE_LOG : SP_SCALE_LINEAR, NAN, NAN);
    for (int k = 0; k < n; k++) {
      size_t rows = (size_t)models[k].depth + 1;
      for (size_t l = 0; l < rows; l++) {
        const sp_layer *L = &traj[k][l];
        x[l] = (double)L->layer;
        y[l] = panel_value(kind, &models[k], L);
      }
      sp_plot_series(p, panel, rows, x, y, NULL, NULL, n > 1 || o->param ? t->labels[k] : NULL);
    }
  }
  if (o->param || o->variant.n)
    sp_plot_legend(p, 0, SP_LEGEND_BELOW);
  free(x);
  free(y);
  return cli_figure_done(p, SP_OK, out);
}

/* The model of each trajectory: --compare values or --variant options. */
static int build_models(const options *o, const sp_model *m, runs *t)
{
  int r;
  t->n = o->param ? o->nvalues : o->variant.n ? o->variant.n : 1;
  for (int k = 0; k < t->n; k++) {
    t->models[k] = *m;
    t->labels[k][0] = '\0';
    if (o->variant.n) {
      if (apply_variant(o->variant.v[k], &t->models[k], t->labels[k], sizeof t->labels[k]))
        return CLI_USAGE;
      for (int j = 0; j < k; j++)
        if (strcmp(t->labels[j], t->labels[k]) == 0)
          return cli_error(CLI_USAGE, "--variant: label '%s' given twice", t->labels[k]);
    } else if (o->param) {
      double v = o->values[k];
      value_label(o->param, v, label_digits(o->values, t->n), t->labels[k],
                  sizeof t->labels[k]);
      if (sp_model_set(&t->models[k], o->param, v))
        return cli_error(CLI_USAGE, "--compare: %s = %g is outside the domain [%g, %g]%s",
                         o->param->name, v, o->param->min, o->param->max,
                         o->param->kind == SP_PARAM_INTEGER ? " or not whole" : "");
    }
    if ((r = cli_model_check(&t->models[k])))
      return r;
  }
  return CLI_OK;
}

/* The '#' lines of variant i: its options and exponents, keys variant-I,
 * variant-I-lambda_a and variant-I-lambda_g (I = i + 1). */
static void variant_meta(cli_meta *meta, int i, const char *spec, const sp_model *m,
                         const sp_workspace *w)
{
  static char keys[MAX_COMPARE][3][32]; /* meta keys are kept by pointer */
  double la, lg, err;
  char a[40] = "undefined", g[40] = "undefined";
  const char *how = "closed form";
  int s = sp_propagate_angle_exponent(m, w, &la);
  if (s == SP_EUNSUP) {
    s = sp_propagate_angle_exponent_fd(m, w, &la, &err);
    how = "finite differences";
  }
  if (!s)
    sp_io_format_double(a, sizeof a, la);
  if (!sp_grad_exponent(m, w, &lg, NULL))
    sp_io_format_double(g, sizeof g, lg);
  snprintf(keys[i][0], sizeof keys[i][0], "variant-%d", i + 1);
  snprintf(keys[i][1], sizeof keys[i][1], "variant-%d-lambda_a", i + 1);
  snprintf(keys[i][2], sizeof keys[i][2], "variant-%d-lambda_g", i + 1);
  cli_meta_add(meta, keys[i][0], "%s", spec);
  cli_meta_add(meta, keys[i][1], "%s (%s; per block, rho -> 1)", a, s ? sp_strerror(s) : how);
  cli_meta_add(meta, keys[i][2], "%s (per block)", g);
}

/* The run's '#' lines: the exponents of the one model, the compared
 * values, or each variant with its own exponents. */
static void header(cli_meta *meta, const options *o, const sp_model *m, const runs *t)
{
  cli_meta_init(meta, m);
  if (o->variant.n) {
    for (int i = 0; i < t->n; i++)
      variant_meta(meta, i, o->variant.v[i], &t->models[i], t->ws[i]);
  } else if (o->param) {
    char list[400];
    size_t k = 0;
    for (int i = 0; i < t->n && k < sizeof list; i++) {
      char num[40];
      sp_io_format_double(num, sizeof num, o->values[i]);
      k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", num);
    }
    cli_meta_add(meta, "compare", "%s = %s (one trajectory each)", o->param->name, list);
  } else {
    add_exponent(meta, m, t->ws[0]);
    add_gradient_exponent(meta, m, t->ws[0]);
  }
}

/* One table row: the columns of layer l of trajectory k (first column the
 * compared value or the variant when there is one). */
static void table_row(const options *o, const runs *t, int k, long l, double *num,
                      const char **str)
{
  int first = o->param || o->variant.n;
  if (o->param)
    num[0] = o->values[k];
  if (o->variant.n) {
    num[0] = NAN;
    str[0] = t->labels[k];
  }
  sp_propagate_table_row(&t->models[k], &t->traj[k][l], num + first);
}

/* The table and the figure of the run, written to every output. */
static int write_outputs(const options *o, const sp_model *m, const runs *t,
                         const cli_meta *meta, cli_outputs *files)
{
  int r = CLI_OK, s, first = o->param || o->variant.n;
  size_t rows = 0, ncol = first ? NCOL + 1 : NCOL;
  for (int k = 0; k < t->n; k++)
    rows += (size_t)t->models[k].depth + 1;
  double *num = malloc(rows * ncol * sizeof *num);
  const char **str = o->variant.n ? calloc(rows * ncol, sizeof *str) : NULL;
  sp_plot *plot = NULL;
  if (!num || (o->variant.n && !str))
    r = cli_error(CLI_FAIL, "out of memory for %zu rows", rows);
  for (int k = 0, row = 0; k < t->n && !r; k++)
    for (long l = 0; l <= t->models[k].depth; l++, row++)
      table_row(o, t, k, l, num + (size_t)row * ncol, str ? str + (size_t)row * ncol : NULL);
  char title[160];
  if (o->fig.title)
    snprintf(title, sizeof title, "%s", o->fig.title);
  else
    cli_model_title(m, o->param, NULL, title, sizeof title);
  if (!r && cli_outputs_figure(&o->out)
      && (s = build_figure(o, t, title, &plot)))
    r = cli_status(s, "propagate: figure");
  const char *names[NCOL + 1];
  for (size_t c = 0; c < NCOL; c++)
    names[c + (size_t)first] = sp_propagate_table_column(c);
  if (first)
    names[0] = o->param ? o->param->name : "variant";
  sp_table tab = {ncol, rows, names, num, str};
  r = cli_outputs_end(files, &tab, plot, o->fig.dpi, meta, r);
  sp_plot_free(plot);
  free(num);
  free(str);
  return r;
}

static int check(options *o, const sp_model *m)
{
  int r;
  if ((r = cli_model_check(m)))
    return r;
  if (o->plot) {
    sp_format f = sp_format_from_path(o->plot);
    if (f != SP_FMT_PNG && f != SP_FMT_PDF && f != SP_FMT_SVG)
      return cli_error(CLI_USAGE, "--plot %s: a figure is written as .png, .pdf or .svg",
                       o->plot);
    cli_note("propagate: --plot FILE is deprecated; use -o FILE");
    /* As before: the table still goes to standard output unless -o names it. */
    if ((!o->out.n && (r = cli_outputs_add(&o->out, "-")))
        || (r = cli_outputs_add(&o->out, o->plot)))
      return r;
  }
  if ((r = cli_outputs_check(&o->out, 1)) || (r = cli_figure_check(&o->fig, &o->out)))
    return r;
  if (o->param && o->variant.n)
    return cli_error(CLI_USAGE, "--compare and --variant: choose one");
  return CLI_OK;
}

int cmd_propagate(int argc, char **argv)
{
  sp_model m;
  sp_model_default(&m);
  options o = {0};
  cli_figure_default(&o.fig, 500.0, 190.0);
  o.panels[0] = PANEL_RHO;
  o.panels[1] = PANEL_Y2;
  o.panels[2] = PANEL_ENTROPY;
  o.npanels = 3;
  int r = parse(argc, argv, &m, &o);
  if (r || (r = check(&o, &m)))
    return r;
  runs t;
  memset(&t, 0, sizeof t);
  if ((r = build_models(&o, &m, &t)))
    return r;
  /* Every output is opened first, so a bad path fails before the work. */
  cli_outputs files;
  if ((r = cli_outputs_begin(&files, &o.out)))
    return r;
  for (int k = 0; k < t.n && !r; k++)
    r = trajectory(&t.models[k], &t.traj[k], &t.ws[k]);
  cli_meta meta;
  if (!r)
    header(&meta, &o, &m, &t);
  if (!r)
    r = write_outputs(&o, &m, &t, &meta, &files);
  else
    r = cli_outputs_end(&files, NULL, NULL, 0.0, NULL, r);
  for (int k = 0; k < t.n; k++) {
    free(t.traj[k]);
    sp_workspace_free(t.ws[k]);
  }
  return r;
}
