/* sigprop validate: simulated networks against the mean-field theory of the
 * same configuration: layer by layer (rho, E Y2 and, with --jacobian, the
 * Jacobian growth), or with --gradient the query-weight gradient over a
 * sweep of beta; tables in standard errors and absolute terms, and overlay
 * figures.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "validate.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cli_command command = {
  "validate",
  "--width D --seeds S [SIMULATION OPTIONS] [--jacobian] [--theory-input measured|model] "
  "[MODEL OPTIONS] [-o FILE]...\n"
  "--gradient --width D --seeds S [--beta-range MIN:MAX:N[:log]] [--block L] "
  "[--zero-fraction F] [...]",
  "Simulates S networks (as 'sigprop simulate') and iterates the recursions of theory.md §6 "
  "for the same configuration (as 'sigprop propagate', with the statistics --attention-stats "
  "selects), then prints per layer the simulated mean and standard error of rho (mean p / mean "
  "q) and of E Y2, the theory, the deviation simulation - theory (_dev) and that deviation in "
  "standard errors (_z).  '#' lines name the worst layers (largest |_dev| and largest |_z|, "
  "blocks >= 1).  With --jacobian also chi, the growth ||J u||^2/||u||^2 of each block's "
  "input-output Jacobian for an isotropic probe u, against sp_grad_block_chi, and the "
  "end-to-end growth against the product of the predicted factors; '#' lines compare the "
  "gradient exponents lambda_g.\n\n"
  "With --gradient, a sweep over beta instead: per beta and block, the measured query-weight "
  "gradient grad_wq = T/(d^2 sqrt(log T')) ||dL/dW_Q||^2 under the synthetic loss of theory.md "
  "§9 against C beta var_v q (q - p)^2 G (C = 1) from the theory's statistics, and against the "
  "same formula with the simulated q, p and G (grad_plugin).  The simulation runs only the "
  "blocks it needs (--depth is ignored).\n\n"
  "With --tokens-scale T', the theory uses beta sqrt(log T' / log T), the same query/key scale "
  "sigma_a as the simulation.  The figure (-o FILE.png, .pdf, .svg) draws rho and E Y2 (and "
  "chi) against the layer, or the gradient and its ratios against beta, the simulation with "
  "error bars; its size defaults to one column, 246 points wide.",
  0, NULL};

/* Okabe-Ito colours: distinguishable with every common colour-vision deficiency. */
const double validate_color_theory[3] = {0.0, 0.447, 0.698};
const double validate_color_sim[3] = {0.835, 0.369, 0.0};
const double validate_color_plugin[3] = {0.0, 0.620, 0.451};
const double validate_color_ref[3] = {0.35, 0.35, 0.35};


/* ---- parsing ------------------------------------------------------------ */

static int parse_beta_range(void *target, const cli_opt *opt, const char *spec)
{
  validate_options *o = target;
  char buf[256], *f[5] = {NULL};
  if (cli_parse_range(opt->name, spec, buf, sizeof buf, f, &o->bmin, &o->bmax, &o->bn, &o->blog))
    return CLI_USAGE;
  if (!(o->bmin >= 0.0))
    return cli_error(CLI_USAGE, "--beta-range: MIN must be >= 0 (got %s)", f[0]);
  if (!(o->bmin < o->bmax))
    return cli_error(CLI_USAGE, "--beta-range: MIN must be below MAX (got %s and %s)", f[0],
                     f[1]);
  if (o->bn < 2 || o->bn > MAX_BETAS)
    return cli_error(CLI_USAGE, "--beta-range: N must be between 2 and %d (got %ld)", MAX_BETAS,
                     o->bn);
  if (o->blog && !(o->bmin > 0.0))
    return cli_error(CLI_USAGE, "--beta-range: log spacing needs MIN > 0 (got %s)", f[0]);
  o->range_spec = spec;
  return CLI_OK;
}

static int also_theory(void *target, const cli_opt *opt, const char *v)
{
  validate_options *o = target;
  char buf[64];
  (void)opt;
  if (o->nalso == 3)
    return cli_error(CLI_USAGE, "--also-theory: at most three");
  snprintf(buf, sizeof buf, "%s", v);
  char *colon = strchr(buf, ':');
  if (colon)
    *colon = '\0';
  if (sp_stats_from_name(buf, &o->also_stats[o->nalso]))
    return cli_error(CLI_USAGE, "--also-theory: '%s' is not asymptotic or finite", buf);
  o->also_overlap[o->nalso] = SP_OVERLAP_INDEPENDENT;
  if (colon && sp_row_overlap_from_name(colon + 1, &o->also_overlap[o->nalso]))
    return cli_error(CLI_USAGE, "--also-theory: '%s' is not independent or exact", colon + 1);
  o->nalso++;
  return CLI_OK;
}

static const cli_choice theory_inputs[] = {{"measured", 1}, {"model", 0}, {NULL, 0}};

static const cli_opt opts[] = {
  CLI_CALL("also-theory", 0, also_theory, "STATS[:OVERLAP]",
           "draw (and compare in '#' lines) a further theory: asymptotic or finite statistics, "
           "with the finite-T row overlap independent or exact; up to three times"),
  CLI_CHOICE("theory-input", 0, validate_options, measured, theory_inputs, "NAME",
             "start the theory from the simulated input's mean q and rho (measured) or from "
             "--q0, --rho0 (model)"),
  CLI_FLAG("jacobian", 0, validate_options, sim.run.jacobian,
           "also compare the Jacobian growth per block (layer table)"),
  CLI_FLAG("gradient", 0, validate_options, sim.run.gradient,
           "compare the query-weight gradient over a beta sweep"),
  CLI_CALL("beta-range", 0, parse_beta_range, "MIN:MAX:N[:log|lin]",
           "the sweep (N >= 2 values; linear unless ':log') [0.05:3:12:log]"),
  CLI_LONG("block", 0, validate_options, block, 2, 10000, "L",
           "also report block L (the simulation runs L blocks; block 1 is always reported) "
           "[none]"),
  CLI_DOUBLE_OPEN("zero-fraction", 0, validate_options, zero_frac, 0.0, 1.0,
                  CLI_OPT_OPEN_LO | CLI_OPT_OPEN_HI, "F",
                  "the gradient is 'effectively zero' below the beta where it reaches F times "
                  "its largest value in the sweep [0.01]"),
  CLI_STRING("table", 0, validate_options, table, "FILE",
             "the old spelling of -o FILE for a table (.csv, .tsv, .json); deprecated"),
};

static int parse(int argc, char **argv, sp_model *m, validate_options *o)
{
  cli_opt_group groups[] = {CLI_GROUP(opts, o), cli_sim_group(&o->sim),
                            cli_figure_group(&o->fig), cli_output_group(&o->out, 1),
                            cli_model_group(m)};
  return cli_parse(&command, groups, 5, argc, argv, NULL, NULL);
}

/* ---- small helpers ------------------------------------------------------- */

void validate_style(sp_plot_style *st, const double rgb[3], sp_line line, sp_marker marker)
{
  sp_plot_style_default(st);
  memcpy(st->color, rgb, sizeof st->color);
  st->line = line;
  st->marker = marker;
  st->marker_size = 3.6;
  st->width = line == SP_LINE_SOLID ? 1.3 : 1.1;
}

/* Theory of model mt (SP_REM_ALL statistics) into traj, with a workspace
 * prepared once (*w, allocated when needed) for every model of a sweep. */
int validate_theory(const sp_model *mt, sp_workspace **w, sp_layer *traj)
{
  int s = SP_OK;
  if (sp_workspace_needed(mt)) {
    if (!*w && sp_workspace_alloc(w))
      return SP_ENOMEM;
    if ((s = sp_workspace_prepare(*w, mt)))
      return s;
  }
  long done = 0;
  s = sp_propagate(mt, sp_workspace_needed(mt) ? *w : NULL, SP_REM_ALL, traj, &done);
  return s;
}

/* Start the theory from the simulated input when asked: its mean q and rho.
 * A slightly negative measured rho (uncorrelated tokens, sampling noise)
 * is outside the domain of the T -> infinity statistics; it is then
 * replaced by 0, and *clamped says so. */
void validate_theory_input(const validate_options *o, const sp_sim_summary *row0, sp_model *mt,
                         int *clamped)
{
  *clamped = 0;
  if (!o->measured)
    return;
  mt->q0 = row0->q.mean;
  mt->rho0 = row0->rho.mean;
  const char *bad = NULL;
  if (mt->rho0 < 0.0 && sp_model_validate(mt, &bad) && bad && strcmp(bad, "rho0") == 0) {
    mt->rho0 = 0.0;
    *clamped = 1;
  }
}

void validate_theory_input_meta(cli_meta *meta, const validate_options *o, const sp_model *mt,
                              int clamped)
{
  char q0[40], r0[40];
  sp_io_format_double(q0, sizeof q0, mt->q0);
  sp_io_format_double(r0, sizeof r0, mt->rho0);
  cli_meta_add(meta, "theory-input", "%s (q0 = %s, rho0 = %s%s)",
               o->measured ? "measured" : "model", q0, r0,
               clamped ? ", the measured rho0 < 0 set to 0" : "");
}

/* "theory, T -> inf", "theory, finite T" or "theory, finite T, exact overlap" */
const char *validate_theory_label(const sp_model *m)
{
  if (m->stats != SP_STATS_FINITE)
    return "theory, T → ∞";
  return m->row_overlap == SP_OVERLAP_EXACT ? "theory, finite T, exact overlap"
                                            : "theory, finite T";
}

/* ---- the layer comparison ---------------------------------------------------- */

static const char *const layer_columns[] = {
  "layer", "rho_sim", "rho_sim_se", "rho_theory", "rho_dev", "rho_z",
  "y2_sim", "y2_sim_se", "y2_theory", "y2_dev", "y2_z",
  "chi_sim", "chi_sim_se", "chi_theory", "chi_ratio", "chi_ratio_se",
  "chi_total_sim", "chi_total_sim_se", "chi_total_theory"};
#define NLAYER_BASE 11
#define NLAYER (sizeof layer_columns / sizeof layer_columns[0])

static void worst_meta(cli_meta *meta, const char *key_dev, const char *key_z,
                       const sp_compare_worst *w)
{
  if (w->index_dev < 0)
    cli_meta_add(meta, key_dev, "undefined");
  else if (isfinite(w->dev_z))
    cli_meta_add(meta, key_dev, "layer %ld: deviation %+.4g (%+.2f standard errors)",
                 w->index_dev, w->dev, w->dev_z);
  else
    cli_meta_add(meta, key_dev, "layer %ld: deviation %+.4g", w->index_dev, w->dev);
  if (w->index_z < 0)
    cli_meta_add(meta, key_z, "undefined (one network has no standard error)");
  else
    cli_meta_add(meta, key_z, "layer %ld: %+.2f standard errors (deviation %+.4g)", w->index_z,
                 w->z, w->z_dev);
}

/* The overlay: rho and E Y2 (and chi) against the layer, one panel each,
 * stacked for a single column. */
static int layer_figure(const validate_options *o, const sp_model *m, const sp_model *mt,
                        const cli_sim_args *sa, const double *num, size_t ncol, size_t rows,
                        const char *title, const sp_model *also, sp_layer *const *also_traj,
                        sp_plot **out)
{
  size_t npan = sa->run.jacobian ? 3 : 2;
  sp_plot *p;
  int s = cli_figure_alloc_laid_out(&o->fig, 246.0, npan == 3 ? 380.0 : 272.0, npan, 1, &p);
  if (s)
    return s;
  double *x = malloc(rows * sizeof *x), *y = malloc(rows * sizeof *y);
  double *e = malloc(rows * sizeof *e);
  if (!x || !y || !e) {
    free(x);
    free(y);
    free(e);
    sp_plot_free(p);
    return SP_ENOMEM;
  }
  sp_plot_set_title(p, title);
  static const char *const ylabel[3] = {"ρ_ℓ", "E Y^{(2)}", "χ_ℓ"};
  static const size_t col_sim[3] = {1, 6, 11}, col_theory[3] = {3, 8, 13};
  char simlabel[96];
  snprintf(simlabel, sizeof simlabel, "simulation, d = %ld, T = %ld, %ld network%s", sa->width,
           m->tokens, sa->seeds, sa->seeds == 1 ? "" : "s");
  for (size_t k = 0; k < npan; k++) {
    sp_plot_set_axis(p, k, 'x', k + 1 == npan ? "layer ℓ" : NULL, SP_SCALE_LINEAR, 0.0,
                     (double)m->depth);
    sp_plot_set_axis(p, k, 'y', ylabel[k], SP_SCALE_LINEAR, NAN, NAN);
    sp_plot_style st;
    /* The simulation first: the theories' lines are drawn over its markers. */
    for (size_t l = 0; l < rows; l++) {
      x[l] = (double)l;
      y[l] = num[l * ncol + col_sim[k]];
      e[l] = num[l * ncol + col_sim[k] + 1];
    }
    validate_style(&st, validate_color_sim, SP_LINE_NONE, SP_MARKER_CIRCLE);
    sp_plot_series(p, k, rows, x, y, e, &st, k == 0 ? simlabel : NULL);
    for (size_t l = 0; l < rows; l++)
      y[l] = num[l * ncol + col_theory[k]];
    validate_style(&st, validate_color_theory, SP_LINE_SOLID, SP_MARKER_NONE);
    sp_plot_series(p, k, rows, x, y, NULL, &st, k == 0 ? validate_theory_label(mt) : NULL);
    for (int j = 0; k < 2 && j < o->nalso; j++) {
      static const sp_line lines[3] = {SP_LINE_DASHED, SP_LINE_SOLID, SP_LINE_DASHDOT};
      static const double colors[3][3] = {{0.0, 0.0, 0.0}, {0.0, 0.62, 0.45}, {0.8, 0.47, 0.74}};
      for (size_t l = 0; l < rows; l++)
        y[l] = k == 0 ? also_traj[j][l].rho : (l ? also_traj[j][l].attn.y2 : NAN);
      validate_style(&st, colors[j], lines[j], SP_MARKER_NONE);
      sp_plot_series(p, k, rows, x, y, NULL, &st, k == 0 ? validate_theory_label(&also[j]) : NULL);
    }
  }
  sp_plot_legend(p, 0, SP_LEGEND_BELOW);
  free(x);
  free(y);
  free(e);
  return cli_figure_done(p, SP_OK, out);
}

/* The layer comparison: the simulation, the theories and the table. */
typedef struct {
  const validate_options *o;
  const sp_model *m;
  const cli_sim_args *sa;
  sp_sim_summary *sum;
  double seconds;
  int threads, clamped, chi_ok;
  sp_model mt, also[3];
  size_t rows, ncol;
  sp_layer *traj, *also_traj[3];
  double *growth, *num;             /* the theory's end-to-end growth; the table */
  double sum_log_chi, sum_log_chi_sim;
  sp_compare_worst wr, wy;          /* rho and E Y2 */
} layers;

/* The theory of the simulated configuration (and its end-to-end growth),
 * then the further theories of --also-theory. */
static int layer_theories(layers *c)
{
  sp_workspace *w = NULL;
  size_t rows = c->rows;
  int s = validate_theory(&c->mt, &w, c->traj);
  for (size_t l = 0; l < rows; l++)
    c->growth[l] = NAN;
  c->chi_ok = c->sa->run.jacobian && !s && !sp_grad_growth(&c->mt, w, c->growth);
  for (int j = 0; !s && j < c->o->nalso; j++) {
    c->also[j] = c->mt;
    c->also[j].stats = c->o->also_stats[j];
    c->also[j].row_overlap = c->o->also_overlap[j];
    if (!(c->also_traj[j] = malloc(rows * sizeof *c->also_traj[j])))
      s = SP_ENOMEM;
    else
      s = validate_theory(&c->also[j], &w, c->also_traj[j]);
  }
  sp_workspace_free(w);
  return s ? cli_status(s, "validate: theory") : CLI_OK;
}

/* Row l of the table: simulation, theory, deviations (and chi). */
static void layer_row(layers *c, size_t l)
{
  const sp_sim_summary *S = &c->sum[l];
  const sp_layer *L = &c->traj[l];
  double rt = L->rho, yt = l ? L->attn.y2 : NAN, rd, rz, yd, yz, chi = NAN;
  sp_compare_deviation(S->rho.mean, S->rho.se, rt, &rd, &rz);
  sp_compare_deviation(S->y2.mean, S->y2.se, yt, &yd, &yz);
  if (l && c->sa->run.jacobian) {
    if (sp_grad_block_chi(&c->mt, &L->attn, &L->trace, &chi)) {
      c->chi_ok = 0;
      chi = NAN;
    }
    c->sum_log_chi += log(chi);
    c->sum_log_chi_sim += log(S->grad_chi.mean);
  }
  double row[NLAYER] = {(double)l, S->rho.mean, S->rho.se, rt, rd, rz,
                        S->y2.mean, S->y2.se, yt, yd, yz,
                        S->grad_chi.mean, S->grad_chi.se, chi, S->grad_chi.mean / chi,
                        S->grad_chi.se / chi, S->grad_chi_total.mean, S->grad_chi_total.se,
                        c->growth[l]};
  memcpy(c->num + l * c->ncol, row, c->ncol * sizeof *c->num);
  if (l) {
    sp_compare_worst_add(&c->wr, (long)l, rd, rz);
    sp_compare_worst_add(&c->wy, (long)l, yd, yz);
  }
}

/* The '#' lines of the Jacobian comparison. */
static void jacobian_meta(const layers *c, cli_meta *meta)
{
  double L = (double)c->m->depth;
  const sp_sim_estimate *tot = &c->sum[c->rows - 1].grad_chi_total;
  if (c->chi_ok) {
    cli_meta_add(meta, "lambda_g", "%.6g (theory: log of the end-to-end growth / L)",
                 log(c->growth[c->rows - 1]) / L);
    cli_meta_add(meta, "lambda_g-blocks", "%.6g (theory: mean over the blocks of log chi)",
                 c->sum_log_chi / L);
  } else {
    cli_meta_add(meta, "lambda_g", "undefined (the theory has no chi for this model)");
  }
  cli_meta_add(meta, "lambda_g-sim-blocks", "%.6g (mean over the blocks of log of the "
               "simulated chi, fresh probes)", c->sum_log_chi_sim / L);
  cli_meta_add(meta, "lambda_g-sim-total", "%.6g +- %.2g (log of the mean end-to-end "
               "growth / L)", log(tot->mean) / L, tot->se / tot->mean / L);
}

static void layer_meta(const layers *c, cli_meta *meta)
{
  static const char *const keys[3][3] = {
    {"also-1", "also-1-worst-rho", "also-1-worst-rho-z"},
    {"also-2", "also-2-worst-rho", "also-2-worst-rho-z"},
    {"also-3", "also-3-worst-rho", "also-3-worst-rho-z"}};
  cli_meta_init(meta, c->m);
  cli_sim_meta(meta, c->sa, c->m, c->threads, c->seconds);
  validate_theory_input_meta(meta, c->o, &c->mt, c->clamped);
  if (c->sa->run.tokens_scale > 0.0)
    cli_meta_add(meta, "theory-beta", "%.17g", c->mt.beta);
  worst_meta(meta, "worst-rho", "worst-rho-z", &c->wr);
  worst_meta(meta, "worst-y2", "worst-y2-z", &c->wy);
  for (int j = 0; j < c->o->nalso; j++) {
    sp_compare_worst wa;
    sp_compare_worst_init(&wa);
    for (size_t l = 1; l < c->rows; l++) {
      double d, z;
      sp_compare_deviation(c->sum[l].rho.mean, c->sum[l].rho.se, c->also_traj[j][l].rho, &d,
                           &z);
      sp_compare_worst_add(&wa, (long)l, d, z);
    }
    cli_meta_add(meta, keys[j][0], "%s", validate_theory_label(&c->also[j]));
    worst_meta(meta, keys[j][1], keys[j][2], &wa);
  }
  if (c->sa->run.jacobian)
    jacobian_meta(c, meta);
}

static int layers_start(layers *c, const validate_options *o, const sp_model *m,
                        const cli_sim_args *sa)
{
  memset(c, 0, sizeof *c);
  c->o = o;
  c->m = m;
  c->sa = sa;
  sp_compare_worst_init(&c->wr);
  sp_compare_worst_init(&c->wy);
  int r = cli_sim_run(sa, m, "validate", &c->sum, &c->seconds, &c->threads, NULL);
  if (r)
    return r;
  c->mt = *m;
  validate_theory_input(o, &c->sum[0], &c->mt, &c->clamped);
  if (sa->run.tokens_scale > 0.0)
    c->mt.beta = m->beta * sqrt(log(sa->run.tokens_scale) / log((double)m->tokens));
  c->rows = (size_t)m->depth + 1;
  c->ncol = sa->run.jacobian ? NLAYER : NLAYER_BASE;
  c->traj = malloc(c->rows * sizeof *c->traj);
  c->num = malloc(c->rows * NLAYER * sizeof *c->num);
  c->growth = malloc(c->rows * sizeof *c->growth);
  if (!c->traj || !c->num || !c->growth)
    return cli_status(SP_ENOMEM, "validate: theory");
  return layer_theories(c);
}

static void layers_free(layers *c)
{
  for (int j = 0; j < 3; j++)
    free(c->also_traj[j]);
  free(c->traj);
  free(c->num);
  free(c->growth);
  free(c->sum);
}

static int validate_layers(const validate_options *o, const sp_model *m, const cli_sim_args *sa,
                           cli_outputs *files)
{
  layers c;
  int r = layers_start(&c, o, m, sa);
  for (size_t l = 0; l < c.rows && !r; l++)
    layer_row(&c, l);
  cli_meta meta;
  if (!r)
    layer_meta(&c, &meta);
  sp_table t = {c.ncol, c.rows, layer_columns, c.num, NULL};
  sp_plot *plot = NULL;
  if (!r && cli_outputs_figure(&o->out)) {
    char title[200];
    int s;
    if (o->fig.title)
      snprintf(title, sizeof title, "%s", o->fig.title);
    else
      cli_model_title(m, NULL, NULL, title, sizeof title);
    if ((s = layer_figure(o, m, &c.mt, sa, c.num, c.ncol, c.rows, title, c.also, c.also_traj,
                          &plot)))
      r = cli_status(s, "validate: figure");
  }
  r = cli_outputs_end(files, &t, plot, o->fig.dpi, r ? NULL : &meta, r);
  sp_plot_free(plot);
  layers_free(&c);
  return r;
}

/* ---- the command ----------------------------------------------------------- */

static int check(const validate_options *o, const sp_model *m)
{
  int r;
  if (o->sim.run.gradient) {
    if (m->attention == SP_ATTN_UNIFORM)
      return cli_error(CLI_USAGE, "validate: --gradient: uniform attention has no query or key "
                       "weights, its query gradient is 0");
    if (o->sim.run.jacobian)
      return cli_error(CLI_USAGE, "validate: --jacobian compares layers; it does not combine "
                       "with --gradient");
  } else if (o->range_spec || o->block || !isnan(o->zero_frac)) {
    return cli_error(CLI_USAGE, "validate: %s needs --gradient",
                     o->range_spec ? "--beta-range" : o->block ? "--block" : "--zero-fraction");
  }
  if ((r = cli_model_check(m)) || (r = cli_outputs_check(&o->out, 1)))
    return r;
  return cli_figure_check(&o->fig, &o->out);
}

int cmd_validate(int argc, char **argv)
{
  sp_model m;
  sp_model_default(&m);
  validate_options o = {0};
  cli_sim_args_default(&o.sim);
  o.measured = 1;
  cli_figure_default(&o.fig, 0.0, 0.0); /* the layout's */
  o.bmin = 0.05;
  o.bmax = 3.0;
  o.bn = 12;
  o.blog = 1;
  o.zero_frac = NAN;
  int r = parse(argc, argv, &m, &o);
  if (r)
    return r;
  if (o.table) {
    cli_note("validate: --table FILE is deprecated; use -o FILE");
    if (strcmp(o.table, "-") != 0 && !sp_format_is_table(sp_format_from_path(o.table)))
      return cli_error(CLI_USAGE, "--table %s: a table is written as .csv, .tsv or .json",
                       o.table);
    if ((r = cli_outputs_add(&o.out, o.table)))
      return r;
  }
  if ((r = check(&o, &m)))
    return r;
  if (isnan(o.zero_frac))
    o.zero_frac = 0.01;
  sp_model ms = m;
  if (o.sim.run.gradient)
    ms.depth = o.block >= 2 ? o.block : 1;
  if ((r = cli_sim_check(&o.sim, &ms, "validate")))
    return r;
  /* Open the outputs first, so that a bad path fails before the work and
   * nothing is left behind when the work fails. */
  cli_outputs files;
  if ((r = cli_outputs_begin(&files, &o.out)))
    return r;
  r = o.sim.run.gradient ? validate_gradient(&o, &m, &o.sim, &files)
                     : validate_layers(&o, &m, &o.sim, &files);
  if (files.open)
    r = cli_outputs_end(&files, NULL, NULL, 0.0, NULL, r ? r : CLI_FAIL);
  return r;
}

