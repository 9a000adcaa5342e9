/* sigprop validate: simulated networks against the mean-field theory of the
 * same configuration: layer by layer (rho, E Y2 and, with --jacobian, the
 * Jacobian growth), or with --gradient the query-weight gradient over a
 * sweep of beta; tables in standard errors and absolute terms, and overlay
 * figures.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
  "Usage: sigprop validate --width D --seeds S [SIMULATION OPTIONS] [--jacobian]\n"
  "                        [--theory-input measured|model] [MODEL OPTIONS]\n"
  "                        [--table FILE] [-o FILE]\n"
  "       sigprop validate --gradient --width D --seeds S [--beta-range MIN:MAX:N[:log]]\n"
  "                        [--block L] [--zero-fraction F] [...]\n\n"
  "Simulates S networks (as 'sigprop simulate') and iterates the recursions of\n"
  "theory.md §6 for the same configuration (as 'sigprop propagate', with the\n"
  "statistics --attention-stats selects), then prints per layer the simulated mean\n"
  "and standard error of rho (mean p / mean q) and of E Y2, the theory, the\n"
  "deviation simulation - theory (_dev) and that deviation in standard errors (_z).\n"
  "'#' lines name the worst layers (largest |_dev| and largest |_z|, blocks >= 1).\n"
  "With --jacobian also chi, the growth ||J u||^2/||u||^2 of each block's\n"
  "input-output Jacobian for an isotropic probe u, against sp_grad_block_chi, and\n"
  "the end-to-end growth against the product of the predicted factors; '#' lines\n"
  "compare the gradient exponents lambda_g.\n"
  "With --gradient, a sweep over beta instead: per beta and block, the measured\n"
  "query-weight gradient grad_wq = T/(d^2 sqrt(log T')) ||dL/dW_Q||^2 under the\n"
  "synthetic loss of theory.md §9 against C beta var_v q (q - p)^2 G (C = 1) from\n"
  "the theory's statistics, and against the same formula with the simulated q, p\n"
  "and G (grad_plugin).  The simulation runs only the blocks it needs (--depth is\n"
  "ignored).\n"
  "With --tokens-scale T', the theory uses beta sqrt(log T' / log T), the same\n"
  "query/key scale sigma_a as the simulation.\n\n"
  CLI_SIM_HELP
  "  --also-theory STATS[:OVERLAP]  draw (and compare in '#' lines) a further theory:\n"
  "                     asymptotic or finite statistics, with the finite-T row\n"
  "                     overlap independent or exact; up to three times\n"
  "  --theory-input measured|model  start the theory from the simulated input's mean\n"
  "                     q and rho (measured, the default) or from --q0, --rho0\n"
  "  --jacobian         also compare the Jacobian growth per block (layer table)\n"
  "  --gradient         compare the query-weight gradient over a beta sweep\n"
  "  --beta-range MIN:MAX:N[:log|lin]  the sweep (N >= 2 values; linear unless\n"
  "                     ':log') [0.05:3:12:log]\n"
  "  --block L          also report block L >= 2 (the simulation runs L blocks)\n"
  "  --zero-fraction F  the gradient is 'effectively zero' below the beta where it\n"
  "                     reaches F times its largest value in the sweep [0.01]\n"
  "  --table FILE       write the table to FILE (.csv, .tsv, .json)\n"
  "  -o FILE            a figure (.png, .pdf, .svg): rho and E Y2 (and chi) against\n"
  "                     the layer, or the gradient and its ratios against beta, the\n"
  "                     simulation with error bars; or a table file as --table\n"
  "  --title TEXT       figure title ('' for none)\n"
  "  --size W,H         figure size in points [one column: 246 wide]\n"
  "  --dpi D            PNG resolution [300]\n\n";

/* Okabe-Ito colours: distinguishable with every common colour-vision deficiency. */
static const double color_theory[3] = {0.0, 0.447, 0.698};
static const double color_sim[3] = {0.835, 0.369, 0.0};
static const double color_plugin[3] = {0.0, 0.620, 0.451};
static const double color_ref[3] = {0.35, 0.35, 0.35};

#define MAX_BETAS 200

typedef struct {
  const char *out, *table, *figure, *title;
  int measured;
  double width, height, dpi;
  int have_size;
  const char *range_spec;
  double bmin, bmax;
  long bn;
  int blog;
  long block; /* 0: block 1 only */
  double zero_frac;
  int have_block, have_zero;
  /* --also-theory: further theories drawn and compared (layer mode) */
  int nalso;
  sp_stats also_stats[3];
  sp_row_overlap also_overlap[3];
} options;

/* ---- parsing ------------------------------------------------------------ */

static int parse_beta_range(const char *spec, options *o)
{
  char buf[256], *f[5] = {NULL};
  int nf = cli_split_fields("beta-range", spec, buf, sizeof buf, f, 5);
  if (nf < 0)
    return CLI_USAGE;
  if (nf < 3 || nf > 4)
    return cli_error(CLI_USAGE, "--beta-range: '%s' is not MIN:MAX:N[:log|lin]", spec);
  if (cli_parse_double("beta-range", f[0], &o->bmin) ||
      cli_parse_double("beta-range", f[1], &o->bmax) || cli_parse_long("beta-range", f[2], &o->bn))
    return CLI_USAGE;
  o->blog = 0;
  if (nf == 4) {
    if (strcmp(f[3], "log") == 0)
      o->blog = 1;
    else if (strcmp(f[3], "lin") != 0 && strcmp(f[3], "linear") != 0)
      return cli_error(CLI_USAGE, "--beta-range: spacing '%s' is not 'log' or 'lin'", f[3]);
  }
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

static int parse(int argc, char **argv, sp_model *m, cli_sim_args *sa, options *o)
{
  cli_args a = {argc, argv, 1, NULL, NULL, "validate"};
  int r;
  while ((r = cli_next(&a, NULL, NULL, 0)) == 1) {
    int k = cli_model_option(m, &a);
    if (k == 0)
      k = cli_sim_option(sa, &a);
    if (k < 0)
      return CLI_USAGE;
    if (k)
      continue;
    const char *n = a.name, *v;
    if (strcmp(n, "help") == 0 || strcmp(n, "h") == 0) {
      cli_set_help(help, cli_model_help);
      return -1;
    }
    static const char *const valued[] = {"o", "output", "table", "theory-input", "beta-range",
                                         "block", "zero-fraction", "title", "size", "dpi",
                                         "also-theory"};
    size_t i = 0;
    while (i < sizeof valued / sizeof valued[0] && strcmp(n, valued[i]) != 0)
      i++;
    if (i == sizeof valued / sizeof valued[0])
      return cli_error(CLI_USAGE, "validate: unknown option '%s' (see --help)", a.argv[a.i - 1]);
    if (!(v = cli_value(&a)))
      return CLI_USAGE;
    if (strcmp(n, "o") == 0 || strcmp(n, "output") == 0) {
      o->out = v;
    } else if (strcmp(n, "table") == 0) {
      o->table = v;
    } else if (strcmp(n, "also-theory") == 0) {
      char buf[64];
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
    } else if (strcmp(n, "theory-input") == 0) {
      if (strcmp(v, "measured") == 0)
        o->measured = 1;
      else if (strcmp(v, "model") == 0)
        o->measured = 0;
      else
        return cli_error(CLI_USAGE, "--theory-input: '%s' is not one of measured, model", v);
    } else if (strcmp(n, "beta-range") == 0) {
      if (parse_beta_range(v, o))
        return CLI_USAGE;
    } else if (strcmp(n, "block") == 0) {
      if (cli_parse_long(n, v, &o->block))
        return CLI_USAGE;
      if (o->block < 2 || o->block > 10000)
        return cli_error(CLI_USAGE, "--block: %s is not between 2 and 10000 (block 1 is always "
                         "reported)", v);
      o->have_block = 1;
    } else if (strcmp(n, "zero-fraction") == 0) {
      if (cli_parse_double(n, v, &o->zero_frac))
        return CLI_USAGE;
      if (!(o->zero_frac > 0.0 && o->zero_frac < 1.0))
        return cli_error(CLI_USAGE, "--zero-fraction: %s is not in (0, 1)", v);
      o->have_zero = 1;
    } else if (strcmp(n, "title") == 0) {
      o->title = v;
    } else if (strcmp(n, "size") == 0) {
      if (cli_parse_size(v, &o->width, &o->height))
        return CLI_USAGE;
      o->have_size = 1;
    } else {
      if (cli_parse_dpi(v, &o->dpi))
        return CLI_USAGE;
    }
  }
  return r < 0 ? CLI_USAGE : CLI_OK;
}

/* ---- small helpers ------------------------------------------------------- */

/* Ratio of means sum a / sum b over n networks and its delta-method
 * standard error (NaN for one network; the ratio is NaN when sum b = 0). */
static void ratio_of_means(const double *a, const double *b, size_t n, double *r, double *se)
{
  double ma = 0.0, mb = 0.0;
  for (size_t k = 0; k < n; k++) {
    ma += a[k];
    mb += b[k];
  }
  ma /= (double)n;
  mb /= (double)n;
  *r = mb != 0.0 ? ma / mb : NAN;
  *se = NAN;
  if (n < 2 || !isfinite(*r))
    return;
  double saa = 0.0, sbb = 0.0, sab = 0.0;
  for (size_t k = 0; k < n; k++) {
    saa += (a[k] - ma) * (a[k] - ma);
    sbb += (b[k] - mb) * (b[k] - mb);
    sab += (a[k] - ma) * (b[k] - mb);
  }
  double v = (saa - 2.0 * *r * sab + *r * *r * sbb) / (double)(n - 1) / (mb * mb);
  *se = sqrt((v > 0.0 ? v : 0.0) / (double)n);
}

/* Write a table into an output file opened earlier (NULL: standard output). */
static int write_table(sp_outfile *f, const char *path, const sp_table *t, const cli_meta *meta)
{
  if (!f)
    return cli_write_table(NULL, t, meta);
  int s = sp_table_write(sp_outfile_stream(f), sp_format_from_path(path), t, meta->items,
                         meta->n);
  return s ? cli_write_error(path, f, s) : CLI_OK;
}

static void style(sp_plot_style *st, const double rgb[3], sp_line line, sp_marker marker)
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
static int theory(const sp_model *mt, sp_workspace **w, sp_layer *traj)
{
  int s = SP_OK;
  if (sp_workspace_needed(mt)) {
    if (!*w && !(*w = sp_workspace_alloc()))
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
static void theory_input(const options *o, const sp_sim_summary *row0, sp_model *mt,
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

static void theory_input_meta(cli_meta *meta, const options *o, const sp_model *mt,
                              int clamped)
{
  char q0[40], r0[40];
  sp_format_double(q0, sizeof q0, mt->q0);
  sp_format_double(r0, sizeof r0, mt->rho0);
  cli_meta_add(meta, "theory-input", "%s (q0 = %s, rho0 = %s%s)",
               o->measured ? "measured" : "model", q0, r0,
               clamped ? ", the measured rho0 < 0 set to 0" : "");
}

/* "theory, T -> inf", "theory, finite T" or "theory, finite T, exact overlap" */
static const char *theory_label(const sp_model *m)
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

/* The largest |dev| and |z| over blocks >= 1 of one quantity. */
typedef struct {
  long layer_dev, layer_z;
  double dev, dev_z, z, z_dev; /* at layer_dev: dev and its z; at layer_z: z and its dev */
} worst;

static void track(worst *w, long l, double dev, double z)
{
  if (isfinite(dev) && (w->layer_dev < 0 || fabs(dev) > fabs(w->dev))) {
    w->layer_dev = l;
    w->dev = dev;
    w->dev_z = z;
  }
  if (isfinite(z) && (w->layer_z < 0 || fabs(z) > fabs(w->z))) {
    w->layer_z = l;
    w->z = z;
    w->z_dev = dev;
  }
}

static void worst_meta(cli_meta *meta, const char *key_dev, const char *key_z, const worst *w)
{
  if (w->layer_dev < 0)
    cli_meta_add(meta, key_dev, "undefined");
  else if (isfinite(w->dev_z))
    cli_meta_add(meta, key_dev, "layer %ld: deviation %+.4g (%+.2f standard errors)",
                 w->layer_dev, w->dev, w->dev_z);
  else
    cli_meta_add(meta, key_dev, "layer %ld: deviation %+.4g", w->layer_dev, w->dev);
  if (w->layer_z < 0)
    cli_meta_add(meta, key_z, "undefined (one network has no standard error)");
  else
    cli_meta_add(meta, key_z, "layer %ld: %+.2f standard errors (deviation %+.4g)", w->layer_z,
                 w->z, w->z_dev);
}

/* The overlay: rho and E Y2 (and chi) against the layer, one panel each,
 * stacked for a single column. */
static int layer_figure(const options *o, const sp_model *m, const sp_model *mt,
                        const cli_sim_args *sa, const double *num, size_t ncol, size_t rows,
                        const char *title, const sp_model *also, sp_layer *const *also_traj,
                        sp_plot **out)
{
  size_t npan = sa->jacobian ? 3 : 2;
  double w = o->have_size ? o->width : 246.0;
  double h = o->have_size ? o->height : (npan == 3 ? 380.0 : 272.0);
  sp_plot *p;
  int s = sp_plot_alloc(w, h, npan, 1, &p);
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
    style(&st, color_sim, SP_LINE_NONE, SP_MARKER_CIRCLE);
    sp_plot_series(p, k, rows, x, y, e, &st, k == 0 ? simlabel : NULL);
    for (size_t l = 0; l < rows; l++)
      y[l] = num[l * ncol + col_theory[k]];
    style(&st, color_theory, SP_LINE_SOLID, SP_MARKER_NONE);
    sp_plot_series(p, k, rows, x, y, NULL, &st, k == 0 ? theory_label(mt) : NULL);
    for (int j = 0; k < 2 && j < o->nalso; j++) {
      static const sp_line lines[3] = {SP_LINE_DASHED, SP_LINE_SOLID, SP_LINE_DASHDOT};
      static const double colors[3][3] = {{0.0, 0.0, 0.0}, {0.0, 0.62, 0.45}, {0.8, 0.47, 0.74}};
      for (size_t l = 0; l < rows; l++)
        y[l] = k == 0 ? also_traj[j][l].rho : (l ? also_traj[j][l].attn.y2 : NAN);
      style(&st, colors[j], lines[j], SP_MARKER_NONE);
      sp_plot_series(p, k, rows, x, y, NULL, &st, k == 0 ? theory_label(&also[j]) : NULL);
    }
  }
  sp_plot_legend(p, 0, SP_LEGEND_BELOW);
  free(x);
  free(y);
  free(e);
  if ((s = sp_plot_status(p))) {
    sp_plot_free(p);
    return s;
  }
  *out = p;
  return SP_OK;
}

static int validate_layers(const options *o, const sp_model *m, const cli_sim_args *sa,
                           sp_outfile *tf, sp_outfile *ff)
{
  sp_sim_summary *sum;
  double seconds;
  int threads, r;
  if ((r = cli_sim_run(sa, m, "validate", &sum, &seconds, &threads, NULL)))
    return r;

  /* The theory of the same configuration. */
  sp_model mt = *m;
  int clamped;
  theory_input(o, &sum[0], &mt, &clamped);
  if (sa->tokens_scale > 0.0)
    mt.beta = m->beta * sqrt(log(sa->tokens_scale) / log((double)m->tokens));
  size_t rows = (size_t)m->depth + 1, ncol = sa->jacobian ? NLAYER : NLAYER_BASE;
  sp_layer *traj = malloc(rows * sizeof *traj);
  double *num = malloc(rows * NLAYER * sizeof *num);
  sp_workspace *w = NULL;
  int s = !traj || !num ? SP_ENOMEM : theory(&mt, &w, traj);
  /* Further theories for comparison (--also-theory). */
  sp_model also[3];
  sp_layer *also_traj[3] = {NULL, NULL, NULL};
  for (int j = 0; !s && j < o->nalso; j++) {
    also[j] = mt;
    also[j].stats = o->also_stats[j];
    also[j].row_overlap = o->also_overlap[j];
    if (!(also_traj[j] = malloc(rows * sizeof *also_traj[j])))
      s = SP_ENOMEM;
    else
      s = theory(&also[j], &w, also_traj[j]);
  }
  sp_workspace_free(w);
  if (s) {
    free(traj);
    free(num);
    free(sum);
    for (int j = 0; j < 3; j++)
      free(also_traj[j]);
    return cli_status(s, "validate: theory");
  }

  worst wr = {-1, -1, 0, 0, 0, 0}, wy = {-1, -1, 0, 0, 0, 0};
  double sum_log_chi = 0.0, sum_log_chi_sim = 0.0, T = (double)m->tokens;
  double v[2] = {1.0 / T, 1.0 - 1.0 / T}; /* the two-channel end-to-end growth */
  int chi_ok = 1;
  for (size_t l = 0; l < rows; l++) {
    const sp_sim_summary *S = &sum[l];
    double rt = traj[l].rho, yt = l ? traj[l].attn.y2 : NAN;
    double rd = S->rho.mean - rt, yd = S->y2.mean - yt;
    double rz = rd / S->rho.se, yz = yd / S->y2.se;
    if (!(S->rho.se > 0.0))
      rz = NAN;
    if (!(S->y2.se > 0.0))
      yz = NAN;
    double chi = NAN, t[4];
    if (l && sa->jacobian) {
      if (sp_grad_block_chi(&mt, &traj[l].attn, &traj[l].trace, &chi) ||
          sp_grad_block_transfer(&mt, &traj[l].attn, &traj[l].trace, t)) {
        chi_ok = 0;
        chi = NAN;
        v[0] = v[1] = NAN;
      } else {
        double c = v[0] * t[0] + v[1] * t[2];
        v[1] = v[0] * t[1] + v[1] * t[3];
        v[0] = c;
      }
      sum_log_chi += log(chi);
      sum_log_chi_sim += log(S->grad_chi.mean);
    }
    double row[NLAYER] = {(double)l, S->rho.mean, S->rho.se, rt, rd, rz,
                          S->y2.mean, S->y2.se, yt, yd, yz,
                          S->grad_chi.mean, S->grad_chi.se, chi, S->grad_chi.mean / chi,
                          S->grad_chi.se / chi, S->grad_chi_total.mean, S->grad_chi_total.se,
                          v[0] + v[1]};
    memcpy(num + l * ncol, row, ncol * sizeof *num);
    if (l) {
      track(&wr, (long)l, rd, rz);
      track(&wy, (long)l, yd, yz);
    }
  }
  cli_meta meta;
  cli_meta_init(&meta, m);
  cli_sim_meta(&meta, sa, m, threads, seconds);
  theory_input_meta(&meta, o, &mt, clamped);
  if (sa->tokens_scale > 0.0)
    cli_meta_add(&meta, "theory-beta", "%.17g", mt.beta);
  worst_meta(&meta, "worst-rho", "worst-rho-z", &wr);
  worst_meta(&meta, "worst-y2", "worst-y2-z", &wy);
  for (int j = 0; j < o->nalso; j++) {
    worst wa = {-1, -1, 0, 0, 0, 0};
    for (size_t l = 1; l < rows; l++) {
      double d = sum[l].rho.mean - also_traj[j][l].rho;
      track(&wa, (long)l, d, sum[l].rho.se > 0.0 ? d / sum[l].rho.se : NAN);
    }
    static const char *const keys[3][3] = {
      {"also-1", "also-1-worst-rho", "also-1-worst-rho-z"},
      {"also-2", "also-2-worst-rho", "also-2-worst-rho-z"},
      {"also-3", "also-3-worst-rho", "also-3-worst-rho-z"}};
    cli_meta_add(&meta, keys[j][0], "%s", theory_label(&also[j]));
    worst_meta(&meta, keys[j][1], keys[j][2], &wa);
  }
  if (sa->jacobian) {
    double L = (double)m->depth;
    const sp_sim_estimate *tot = &sum[rows - 1].grad_chi_total;
    if (chi_ok) {
      cli_meta_add(&meta, "lambda_g", "%.6g (theory: log of the end-to-end growth / L)",
                   log(v[0] + v[1]) / L);
      cli_meta_add(&meta, "lambda_g-blocks", "%.6g (theory: mean over the blocks of log chi)",
                   sum_log_chi / L);
    } else {
      cli_meta_add(&meta, "lambda_g", "undefined (the theory has no chi for this model)");
    }
    cli_meta_add(&meta, "lambda_g-sim-blocks", "%.6g (mean over the blocks of log of the "
                 "simulated chi, fresh probes)", sum_log_chi_sim / L);
    cli_meta_add(&meta, "lambda_g-sim-total", "%.6g +- %.2g (log of the mean end-to-end "
                 "growth / L)", log(tot->mean) / L, tot->se / tot->mean / L);
  }
  sp_table t = {ncol, rows, layer_columns, num, NULL};

  if (ff) {
    char title[200];
    if (o->title)
      snprintf(title, sizeof title, "%s", o->title);
    else
      cli_model_title(m, NULL, NULL, title, sizeof title);
    sp_plot *plot = NULL;
    sp_meta fmeta[64];
    s = layer_figure(o, m, &mt, sa, num, ncol, rows, title, also, also_traj, &plot);
    sp_format ffmt = sp_format_from_path(o->figure);
    if (s)
      r = cli_status(s, o->figure);
    else if (!(r = cli_check_figure_memory(o->figure, plot, ffmt, o->dpi)) &&
             (s = sp_plot_write(plot, sp_outfile_stream(ff), ffmt, o->dpi, fmeta,
                                cli_meta_figure(&meta, fmeta, 64))))
      r = cli_write_error(o->figure, ff, s);
    sp_plot_free(plot);
  }
  if (!r)
    r = write_table(tf, o->table, &t, &meta);
  for (int j = 0; j < 3; j++)
    free(also_traj[j]);
  free(traj);
  free(num);
  free(sum);
  return r;
}

/* ---- the gradient sweep ----------------------------------------------------- */

static const char *const grad_columns[] = {
  "block", "beta", "beta_c", "y2_sim", "y2_theory", "g_sim", "g_sim_se", "g_theory",
  "grad_sim", "grad_sim_se", "grad_theory", "ratio", "ratio_se",
  "grad_theory_d", "ratio_d", "ratio_d_se",
  "grad_plugin", "plugin_ratio", "plugin_ratio_se", "extra_coef", "extra_coef_se"};
#define NGRAD (sizeof grad_columns / sizeof grad_columns[0])
enum { G_BLOCK, G_BETA, G_BETAC, G_Y2S, G_Y2T, G_GS, G_GSE, G_GT, G_SIM, G_SIMSE, G_THEORY,
       G_RATIO, G_RATIOSE, G_THEORYD, G_RATIOD, G_RATIODSE, G_PLUGIN, G_PRATIO, G_PRATIOSE,
       G_EXTRA, G_EXTRASE };

/* The beta where the values y over the sweep first reach frac times their
 * largest value, interpolated between the sweep points (in log beta and
 * log y when both are positive); NaN when no value is positive, -1 when the
 * first point already reaches it. */
static double beta_zero(const double *beta, const double *y, size_t n, double frac)
{
  double top = 0.0;
  for (size_t i = 0; i < n; i++)
    if (y[i] > top)
      top = y[i];
  if (!(top > 0.0))
    return NAN;
  double thr = frac * top;
  for (size_t i = 0; i < n; i++) {
    if (!(y[i] >= thr))
      continue;
    if (i == 0)
      return -1.0;
    double a = y[i - 1], b = y[i];
    if (a > 0.0 && beta[i - 1] > 0.0) {
      double t = (log(thr) - log(a)) / (log(b) - log(a));
      return exp(log(beta[i - 1]) + t * (log(beta[i]) - log(beta[i - 1])));
    }
    double t = (thr - (a > 0.0 ? a : 0.0)) / (b - (a > 0.0 ? a : 0.0));
    return beta[i - 1] + t * (beta[i] - beta[i - 1]);
  }
  return NAN;
}

static void zero_meta(cli_meta *meta, const char *key, const char *what, double bz,
                      const options *o)
{
  if (isnan(bz))
    cli_meta_add(meta, key, "undefined (%s is zero over the whole sweep)", what);
  else if (bz < 0.0)
    cli_meta_add(meta, key, "below %.4g (%s reaches %.3g of its sweep maximum at the first "
                 "beta)", o->bmin, what, o->zero_frac);
  else
    cli_meta_add(meta, key, "%.4g (%s reaches %.3g of its sweep maximum here)", bz, what,
                 o->zero_frac);
}

/* Bounds of the positive values of y +- e (log axes). */
static void positive_range(const double *y, const double *e, size_t n, double *lo, double *hi)
{
  for (size_t i = 0; i < n; i++) {
    double a = y[i] - (e && isfinite(e[i]) ? e[i] : 0.0), b = y[i] + (e && isfinite(e[i]) ? e[i] : 0.0);
    if (!(y[i] > 0.0))
      continue;
    if (!(a > 0.0))
      a = y[i];
    if (a < *lo)
      *lo = a;
    if (b > *hi)
      *hi = b;
  }
}

/* One column of block `b`'s rows (nbeta of them, starting at row0) of num. */
static void column(const double *num, size_t row0, size_t n, size_t col, double *out)
{
  for (size_t i = 0; i < n; i++)
    out[i] = num[(row0 + i) * NGRAD + col];
}

/* The first beta of the sweep x[0..n) where beta = f beta_c(beta), bc the
 * beta_c column, interpolated linearly; NaN when it does not cross. */
static double crossing(const double *x, const double *bc, size_t n, double f)
{
  for (size_t i = 0; i + 1 < n; i++) {
    double d0 = x[i] - f * bc[i], d1 = x[i + 1] - f * bc[i + 1];
    if (isfinite(d0) && isfinite(d1) && d0 <= 0.0 && d1 > 0.0)
      return x[i] + (x[i + 1] - x[i]) * (-d0) / (d1 - d0);
  }
  return NAN;
}

static int gradient_figure(const options *o, const sp_model *mt, const cli_sim_args *sa,
                           const double *num, size_t nbeta, size_t nblocks, const long *blocks,
                           double beta_c1, const char *title, sp_plot **out)
{
  double w = o->have_size ? o->width : (nblocks == 1 ? 246.0 : 500.0);
  double h = o->have_size ? o->height : 330.0;
  sp_plot *p;
  int s = sp_plot_alloc(w, h, 2, nblocks, &p);
  if (s)
    return s;
  double *x = malloc(nbeta * sizeof *x), *y = malloc(nbeta * sizeof *y);
  double *e = malloc(nbeta * sizeof *e);
  if (!x || !y || !e) {
    free(x);
    free(y);
    free(e);
    sp_plot_free(p);
    return SP_ENOMEM;
  }
  sp_plot_set_title(p, title);
  sp_scale xs = o->blog ? SP_SCALE_LOG : SP_SCALE_LINEAR;
  char simlabel[96], pluglabel[96], widthlabel[96];
  snprintf(simlabel, sizeof simlabel, "simulation, d = %ld, %ld network%s", sa->width,
           sa->seeds, sa->seeds == 1 ? "" : "s");
  snprintf(pluglabel, sizeof pluglabel, "simulated G + (1 − Y^{(2)})^2/d");
  snprintf(widthlabel, sizeof widthlabel, "theory, G + (1 − Y^{(2)})^2/d");
  sp_plot_style st;
  for (size_t b = 0; b < nblocks; b++) {
    size_t top = b, bottom = nblocks + b, row0 = b * nbeta;
    char ptitle[64];
    snprintf(ptitle, sizeof ptitle, "block %ld", blocks[b]);
    if (nblocks > 1)
      sp_plot_set_panel_title(p, top, ptitle);
    column(num, row0, nbeta, G_BETA, x);
    /* gradient against beta, log scale */
    double lo = INFINITY, hi = 0.0;
    column(num, row0, nbeta, G_SIM, y);
    column(num, row0, nbeta, G_SIMSE, e);
    positive_range(y, e, nbeta, &lo, &hi);
    column(num, row0, nbeta, G_THEORY, y);
    positive_range(y, NULL, nbeta, &lo, &hi);
    column(num, row0, nbeta, G_PLUGIN, y);
    positive_range(y, NULL, nbeta, &lo, &hi);
    column(num, row0, nbeta, G_THEORYD, y);
    positive_range(y, NULL, nbeta, &lo, &hi);
    if (!(hi > 0.0)) {
      lo = 1e-6;
      hi = 1.0;
    }
    if (!(hi > lo))
      lo = hi / 10.0;
    /* a floor 6 decades below the top keeps the interesting range readable */
    lo = fmax(lo / 1.6, hi * 1e-6);
    hi *= 1.6;
    sp_plot_set_axis(p, top, 'x', NULL, xs, o->bmin, o->bmax);
    sp_plot_set_axis(p, top, 'y', "scaled ‖∂L/∂W_Q‖^2", SP_SCALE_LOG, lo, hi);
    column(num, row0, nbeta, G_THEORY, y);
    style(&st, color_theory, SP_LINE_SOLID, SP_MARKER_NONE);
    sp_plot_series(p, top, nbeta, x, y, NULL, &st, b == 0 ? theory_label(mt) : NULL);
    column(num, row0, nbeta, G_THEORYD, y);
    style(&st, color_theory, SP_LINE_DASHDOT, SP_MARKER_NONE);
    sp_plot_series(p, top, nbeta, x, y, NULL, &st, b == 0 ? widthlabel : NULL);
    column(num, row0, nbeta, G_PLUGIN, y);
    style(&st, color_plugin, SP_LINE_DASHED, SP_MARKER_NONE);
    sp_plot_series(p, top, nbeta, x, y, NULL, &st, b == 0 ? pluglabel : NULL);
    column(num, row0, nbeta, G_SIM, y);
    column(num, row0, nbeta, G_SIMSE, e);
    style(&st, color_sim, SP_LINE_NONE, SP_MARKER_CIRCLE);
    sp_plot_series(p, top, nbeta, x, y, e, &st, b == 0 ? simlabel : NULL);
    /* Block 1's beta_c does not depend on beta; a later block's does, and
     * its lines go where beta crosses beta_c(beta) and 2 beta_c(beta). */
    column(num, row0, nbeta, G_BETAC, e);
    for (int half = 0; half < 2; half++) {
      double at = b == 0 ? beta_c1 / (half ? 2.0 : 1.0) : crossing(x, e, nbeta, half ? 0.5 : 1.0);
      if (isfinite(at) && at > o->bmin && at < o->bmax) {
        double vx[2] = {at, at}, vy[2] = {lo, hi};
        style(&st, color_ref, half ? SP_LINE_DASHED : SP_LINE_DOTTED, SP_MARKER_NONE);
        st.width = 0.9;
        sp_plot_series(p, top, 2, vx, vy, NULL, &st, b ? NULL : half ? "β_c / 2" : "β_c");
      }
    }

    /* ratios, log scale around 1 */
    double rlo = INFINITY, rhi = 0.0;
    column(num, row0, nbeta, G_RATIO, y);
    column(num, row0, nbeta, G_RATIOSE, e);
    positive_range(y, e, nbeta, &rlo, &rhi);
    column(num, row0, nbeta, G_PRATIO, y);
    column(num, row0, nbeta, G_PRATIOSE, e);
    positive_range(y, e, nbeta, &rlo, &rhi);
    column(num, row0, nbeta, G_RATIOD, y);
    column(num, row0, nbeta, G_RATIODSE, e);
    positive_range(y, e, nbeta, &rlo, &rhi);
    rlo = fmin(rlo, 0.8) / 1.15;
    rhi = fmax(rhi, 1.25) * 1.15;
    if (!(rhi < 1e4))
      rhi = 1e4;
    if (!(rlo > 1e-4))
      rlo = 1e-4;
    sp_plot_set_axis(p, bottom, 'x', "β", xs, o->bmin, o->bmax);
    sp_plot_set_axis(p, bottom, 'y', "simulation / prediction", SP_SCALE_LOG, rlo, rhi);
    double hx[2] = {o->bmin, o->bmax}, hy[2] = {1.0, 1.0};
    style(&st, color_ref, SP_LINE_DOTTED, SP_MARKER_NONE);
    st.width = 0.9;
    sp_plot_series(p, bottom, 2, hx, hy, NULL, &st, NULL);
    column(num, row0, nbeta, G_RATIO, y);
    column(num, row0, nbeta, G_RATIOSE, e);
    style(&st, color_theory, SP_LINE_NONE, SP_MARKER_SQUARE);
    sp_plot_series(p, bottom, nbeta, x, y, e, &st, "÷ theory");
    column(num, row0, nbeta, G_RATIOD, y);
    column(num, row0, nbeta, G_RATIODSE, e);
    style(&st, color_theory, SP_LINE_NONE, SP_MARKER_DIAMOND);
    st.color[0] = 0.337, st.color[1] = 0.706, st.color[2] = 0.914; /* sky blue */
    sp_plot_series(p, bottom, nbeta, x, y, e, &st, "÷ theory, width term");
    column(num, row0, nbeta, G_PRATIO, y);
    column(num, row0, nbeta, G_PRATIOSE, e);
    style(&st, color_plugin, SP_LINE_NONE, SP_MARKER_TRIANGLE);
    sp_plot_series(p, bottom, nbeta, x, y, e, &st, "÷ simulated G, width term");
    sp_plot_legend(p, bottom, SP_LEGEND_BEST);
  }
  sp_plot_legend(p, 0, SP_LEGEND_BELOW);
  free(x);
  free(y);
  free(e);
  if ((s = sp_plot_status(p))) {
    sp_plot_free(p);
    return s;
  }
  *out = p;
  return SP_OK;
}

static int validate_gradient(const options *o, const sp_model *m, const cli_sim_args *sa0,
                             sp_outfile *tf, sp_outfile *ff)
{
  long blocks[2] = {1, o->block};
  size_t nblocks = o->block >= 2 ? 2 : 1, nbeta = (size_t)o->bn;
  sp_model ms = *m;
  ms.depth = nblocks == 2 ? o->block : 1;
  size_t rows = (size_t)ms.depth + 1, nruns = (size_t)sa0->seeds;
  double *num = malloc(nblocks * nbeta * NGRAD * sizeof *num);
  double *betas = malloc(nbeta * sizeof *betas);
  sp_layer *traj = malloc(rows * sizeof *traj);
  double *va = malloc(3 * nruns * sizeof *va);
  if (!num || !betas || !traj || !va) {
    free(num);
    free(betas);
    free(traj);
    free(va);
    return cli_error(CLI_FAIL, "validate: out of memory");
  }
  double *vb = va + nruns, *vc = vb + nruns;
  cli_sim_args sa = *sa0;
  sa.gradient = 1;
  sp_workspace *w = NULL;
  sp_model mt = ms;
  double seconds_all = 0.0, beta_c1 = NAN;
  int threads = 1, r = CLI_OK, clamped = 0;
  char what[64];
  for (size_t i = 0; i < nbeta && !r; i++) {
    double f = (double)i / (double)(nbeta - 1);
    double beta = o->blog ? exp(log(o->bmin) + f * (log(o->bmax) - log(o->bmin)))
                          : o->bmin + f * (o->bmax - o->bmin);
    if (i == nbeta - 1)
      beta = o->bmax;
    betas[i] = beta;
    ms.beta = beta;
    snprintf(what, sizeof what, "beta = %.4g (%zu/%zu)", beta, i + 1, nbeta);
    sa.progress_what = what;
    sp_sim_summary *sum;
    sp_sim_layer *runs;
    double seconds;
    if ((r = cli_sim_run(&sa, &ms, "validate", &sum, &seconds, &threads, &runs)))
      break;
    seconds_all += seconds;
    mt = ms;
    theory_input(o, &sum[0], &mt, &clamped);
    if (sa.tokens_scale > 0.0)
      mt.beta = beta * sqrt(log(sa.tokens_scale) / log((double)ms.tokens));
    int s = theory(&mt, &w, traj);
    if (s) {
      free(sum);
      free(runs);
      snprintf(what, sizeof what, "validate: theory at beta = %g", beta);
      r = cli_status(s, what);
      break;
    }
    if (i == 0)
      beta_c1 = traj[1].attn.beta_c;
    for (size_t b = 0; b < nblocks; b++) {
      size_t l = (size_t)blocks[b];
      const sp_sim_summary *S = &sum[l];
      const sp_layer *L = &traj[l];
      double *row = num + (b * nbeta + i) * NGRAD;
      double gt = sp_grad_wq(beta, m->var_v, L->trace.qa, L->trace.pa, L->attn.g);
      double gd = sp_grad_wq_width(beta, m->var_v, L->trace.qa, L->trace.pa, L->attn.g,
                                   L->attn.y2, L->attn.y2sq, sa.width);
      row[G_BLOCK] = (double)l;
      row[G_BETA] = beta;
      row[G_BETAC] = L->attn.beta_c;
      row[G_Y2S] = S->y2.mean;
      row[G_Y2T] = L->attn.y2;
      row[G_GS] = S->g.mean;
      row[G_GSE] = S->g.se;
      row[G_GT] = L->attn.g;
      row[G_SIM] = S->grad_wq.mean;
      row[G_SIMSE] = S->grad_wq.se;
      row[G_THEORY] = gt;
      row[G_RATIO] = gt > 0.0 ? S->grad_wq.mean / gt : NAN;
      row[G_RATIOSE] = gt > 0.0 ? S->grad_wq.se / gt : NAN;
      row[G_THEORYD] = gd;
      row[G_RATIOD] = gd > 0.0 ? S->grad_wq.mean / gd : NAN;
      row[G_RATIODSE] = gd > 0.0 ? S->grad_wq.se / gd : NAN;
      /* per network: the measurement, the width-corrected formula with that
       * network's q, p, G and Y2, and the hypothetical extra term
       * beta sv q (q - p) p E[Y2^2] */
      double plug = 0.0, wd = (double)sa.width;
      for (size_t k = 0; k < nruns; k++) {
        const sp_sim_layer *R = &runs[k * rows + l];
        double gap = R->qa - R->pa;
        va[k] = R->grad_wq;
        double spread = 1.0 - 2.0 * R->y2 + R->y2sq; /* E[(1 - Y2)^2] of the rows */
        vb[k] = beta * m->var_v * R->qa * gap * gap * (R->g + spread / wd);
        vc[k] = beta * m->var_v * R->qa * gap * R->pa * R->y2sq;
        plug += vb[k] / (double)nruns;
      }
      row[G_PLUGIN] = plug;
      ratio_of_means(va, vb, nruns, &row[G_PRATIO], &row[G_PRATIOSE]);
      for (size_t k = 0; k < nruns; k++)
        va[k] -= vb[k];
      ratio_of_means(va, vc, nruns, &row[G_EXTRA], &row[G_EXTRASE]);
    }
    free(sum);
    free(runs);
  }
  sp_workspace_free(w);
  free(traj);
  free(va);
  if (r) {
    free(num);
    free(betas);
    return r;
  }

  cli_meta meta;
  cli_meta_init(&meta, m);
  cli_sim_meta(&meta, &sa, &ms, threads, seconds_all);
  theory_input_meta(&meta, o, &mt, clamped);
  cli_meta_add(&meta, "beta-range", "%.6g to %.6g, %ld values, %s spacing", o->bmin, o->bmax,
               o->bn, o->blog ? "log" : "linear");
  if (nblocks == 2)
    cli_meta_add(&meta, "blocks", "1 and %ld (the simulation runs %ld blocks)", o->block,
                 ms.depth);
  else
    cli_meta_add(&meta, "blocks", "1 (the simulation runs 1 block)");
  cli_meta_add(&meta, "beta_c", "%.6g (block 1's input, theory); beta_c/2 = %.6g", beta_c1,
               beta_c1 / 2.0);
  double *ys = malloc(nbeta * sizeof *ys);
  if (!ys) {
    free(num);
    free(betas);
    return cli_error(CLI_FAIL, "validate: out of memory");
  }
  static const char *const keys[2][2] = {{"beta-zero-sim", "beta-zero-theory"},
                                         {"beta-zero-sim-block", "beta-zero-theory-block"}};
  for (size_t b = 0; b < nblocks; b++) {
    column(num, b * nbeta, nbeta, G_SIM, ys);
    zero_meta(&meta, keys[b][0], nblocks == 2 && b ? "block L's simulated gradient"
                                                   : "the simulated gradient",
              beta_zero(betas, ys, nbeta, o->zero_frac), o);
    column(num, b * nbeta, nbeta, G_THEORY, ys);
    zero_meta(&meta, keys[b][1], nblocks == 2 && b ? "block L's predicted gradient"
                                                   : "the predicted gradient",
              beta_zero(betas, ys, nbeta, o->zero_frac), o);
  }
  free(ys);
  cli_meta_add(&meta, "ratio", "grad_sim / grad_theory, grad_theory = beta var_v q (q-p)^2 G "
               "(%s)", sp_stats_name(m->stats));
  cli_meta_add(&meta, "ratio_d", "grad_sim / grad_theory_d, the same with G + E[(1-Y2)^2]/d, "
               "d = %ld", sa.width);
  cli_meta_add(&meta, "plugin_ratio", "mean grad / mean of that formula with each network's q, "
               "p, Y2, Y2^2");
  cli_meta_add(&meta, "extra_coef", "(grad - plug-in) / (beta var_v q (q-p) p E[Y2^2]); 0 if "
               "there is no such term");
  sp_table t = {NGRAD, nblocks * nbeta, grad_columns, num, NULL};

  if (ff) {
    char title[200];
    if (o->title)
      snprintf(title, sizeof title, "%s", o->title);
    else
      cli_model_title(m, sp_param_lookup("beta"), sp_param_lookup("depth"), title,
                      sizeof title);
    size_t k = strlen(title);
    if (!o->title && k < sizeof title)
      snprintf(title + k, sizeof title - k, ", T = %ld", m->tokens);
    sp_plot *plot = NULL;
    sp_meta fmeta[64];
    int s = gradient_figure(o, &mt, &sa, num, nbeta, nblocks, blocks, beta_c1, title, &plot);
    sp_format ffmt = sp_format_from_path(o->figure);
    if (s)
      r = cli_status(s, o->figure);
    else if (!(r = cli_check_figure_memory(o->figure, plot, ffmt, o->dpi)) &&
             (s = sp_plot_write(plot, sp_outfile_stream(ff), ffmt, o->dpi, fmeta,
                                cli_meta_figure(&meta, fmeta, 64))))
      r = cli_write_error(o->figure, ff, s);
    sp_plot_free(plot);
  }
  if (!r)
    r = write_table(tf, o->table, &t, &meta);
  free(num);
  free(betas);
  return r;
}

/* ---- the command ----------------------------------------------------------- */

int cmd_validate(int argc, char **argv)
{
  sp_model m;
  sp_model_default(&m);
  cli_sim_args sa;
  cli_sim_args_default(&sa);
  options o;
  memset(&o, 0, sizeof o);
  o.measured = 1;
  o.dpi = 300.0;
  o.bmin = 0.05;
  o.bmax = 3.0;
  o.bn = 12;
  o.blog = 1;
  o.zero_frac = 0.01;
  int r = parse(argc, argv, &m, &sa, &o);
  if (r < 0)
    return CLI_OK; /* --help */
  if (r)
    return r;
  if (sa.gradient) {
    if (m.attention == SP_ATTN_UNIFORM)
      return cli_error(CLI_USAGE, "validate: --gradient: uniform attention has no query or key "
                       "weights, its query gradient is 0");
    if (sa.jacobian)
      return cli_error(CLI_USAGE, "validate: --jacobian compares layers; it does not combine "
                       "with --gradient");
  } else if (o.range_spec || o.have_block || o.have_zero) {
    return cli_error(CLI_USAGE, "validate: %s needs --gradient",
                     o.range_spec ? "--beta-range" : o.have_block ? "--block" : "--zero-fraction");
  }
  if ((r = cli_model_check(&m)))
    return r;
  if (o.table && strcmp(o.table, "-") != 0 && !sp_format_is_table(sp_format_from_path(o.table)))
    return cli_error(CLI_USAGE, "--table %s: a table is written as .csv, .tsv or .json", o.table);
  if (o.out && strcmp(o.out, "-") != 0) {
    sp_format f = sp_format_from_path(o.out);
    if (f == SP_FMT_PNG || f == SP_FMT_PDF || f == SP_FMT_SVG) {
      o.figure = o.out;
    } else if (!sp_format_is_table(f)) {
      return cli_error(CLI_USAGE, "-o %s: write a figure (.png, .pdf, .svg) or a table (.csv, "
                       ".tsv, .json)", o.out);
    } else {
      if (o.table)
        return cli_error(CLI_USAGE, "validate: -o %s and --table %s both name the table", o.out,
                         o.table);
      o.table = o.out;
    }
  } else if (o.out) {
    if (o.table)
      return cli_error(CLI_USAGE, "validate: -o - and --table %s both name the table", o.table);
    o.table = NULL;
  }
  if (o.table && strcmp(o.table, "-") == 0)
    o.table = NULL;
  if (o.figure && o.table && strcmp(o.figure, o.table) == 0)
    return cli_error(CLI_USAGE, "validate: the figure and the table are both %s", o.figure);
  sp_model ms = m;
  if (sa.gradient)
    ms.depth = o.block >= 2 ? o.block : 1;
  cli_sim_args sc = sa;
  sc.gradient = sa.gradient;
  if ((r = cli_sim_check(&sc, &ms, "validate")))
    return r;

  /* Open the outputs first, so that a bad path fails before the work and
   * nothing is left behind when the work fails. */
  sp_outfile *tf = NULL, *ff = NULL;
  if (o.table && (r = cli_open_output(o.table, &tf)))
    return r;
  if (o.figure && (r = cli_open_output(o.figure, &ff))) {
    sp_outfile_abort(tf);
    return r;
  }
  r = sa.gradient ? validate_gradient(&o, &m, &sa, tf, ff) : validate_layers(&o, &m, &sa, tf, ff);
  /* All or nothing: close both (a full disk shows), then rename both. */
  const char *paths[2];
  sp_outfile *files[2];
  int nf = 0;
  if (tf) {
    paths[nf] = o.table;
    files[nf++] = tf;
  }
  if (ff) {
    paths[nf] = o.figure;
    files[nf++] = ff;
  }
  return cli_outputs_commit(paths, nf, files, r);
}
