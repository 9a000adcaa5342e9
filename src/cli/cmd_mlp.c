/* sigprop mlp: the classic mean field of the MLP alone (theory.md §8), at
 * one point or over a (var-w, var-b) grid with the edge of chaos.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
  "Usage: sigprop mlp [--activation A] [--var-w V] [--var-b B] [--erf-scale A] [-o FILE]\n"
  "       sigprop mlp --x var-w:MIN:MAX:N[:log] --y var-b:MIN:MAX:N[:log] [--activation A]\n"
  "                   [--erf-scale A] [FIGURE OPTIONS] [-o FILE]...\n\n"
  "Mean field of a deep MLP alone (theory.md §8): pre-activation length q and\n"
  "correlation c of two inputs through layers x -> W phi(x) + b with weight\n"
  "variance var-w (times fan-in) and bias variance var-b.  Prints one row\n"
  "q_star,chi1,c_star,xi_c,xi_q: the stable fixed point q* of the length map,\n"
  "chi_1 = var-w E[phi'(sqrt(q*) z)^2] (< 1 ordered, > 1 chaotic), the stable\n"
  "correlation c*, and the depth scales of the correlation and of the length\n"
  "(in layers; inf at criticality).  Empty cells are undefined; '#' lines say\n"
  "why and record the parameters.\n\n"
  "With --x and --y (both, one var-w and one var-b) it solves every point of the\n"
  "grid instead: a table var_w,var_b,q_star,chi1,c_star,xi_c,xi_q (one row per\n"
  "point, x fastest) and/or the phase diagram: chi_1 as a heat map clipped to\n"
  "[0, 2] with the edge of chaos chi_1 = 1 drawn as a curve.\n\n"
  "  --activation relu|gelu|tanh|erf|silu|linear   nonlinearity [relu]\n"
  "  --var-w V      weight variance times fan-in [0.2]\n"
  "  --var-b B      bias variance [4e-4]\n"
  "  --erf-scale A  a in erf(a u) [1]\n"
  "  -o FILE        write CSV, TSV or JSON (by extension) instead of CSV on stdout;\n"
  "                 with a grid also .png, .pdf or .svg, and repeatable\n\n"
  "Grid options:\n"
  "  --x SPEC, --y SPEC  NAME:MIN:MAX:N, NAME var-w or var-b, N in [2, 1001],\n"
  "                 ':log' for log spacing (MIN > 0)\n"
  "  --colormap NAME  viridis, cividis, magma or inferno [viridis]\n"
  "  --title TEXT   figure title ('' for none)\n"
  "  --size W,H     figure size in points [252,230]\n"
  "  --dpi D        PNG resolution [300]\n\n";

static const char *const columns[] = {"q_star", "chi1", "c_star", "xi_c", "xi_q"};
#define NCOL (sizeof columns / sizeof columns[0])

#define MAX_OUT 8
#define MAX_N 1001

typedef struct {
  int set, is_w, log;
  double min, max;
  long n;
} axis;

typedef struct {
  axis x, y;
  const char *out[MAX_OUT];
  int nout;
  const char *title;
  const sp_colormap *cm;
  double width, height, dpi;
} options;

static int parse_axis(const char *opt, const char *spec, axis *a)
{
  char buf[256], *f[6] = {NULL};
  int nf = cli_split_fields(opt, spec, buf, sizeof buf, f, 6);
  if (nf < 0)
    return CLI_USAGE;
  if (nf < 4 || nf > 5)
    return cli_error(CLI_USAGE, "--%s: '%s' is not NAME:MIN:MAX:N[:log]", opt, spec);
  if (strcmp(f[0], "var-w") != 0 && strcmp(f[0], "var-b") != 0)
    return cli_error(CLI_USAGE, "--%s: '%s' is not var-w or var-b", opt, f[0]);
  if (cli_parse_double(opt, f[1], &a->min) || cli_parse_double(opt, f[2], &a->max)
      || cli_parse_long(opt, f[3], &a->n))
    return CLI_USAGE;
  a->log = 0;
  if (nf == 5) {
    if (strcmp(f[4], "log") == 0)
      a->log = 1;
    else if (strcmp(f[4], "lin") != 0 && strcmp(f[4], "linear") != 0)
      return cli_error(CLI_USAGE, "--%s: spacing '%s' is not 'log' or 'lin'", opt, f[4]);
  }
  if (!(a->min < a->max))
    return cli_error(CLI_USAGE, "--%s: MIN must be below MAX (got %s and %s)", opt, f[1], f[2]);
  if (a->min < 0.0)
    return cli_error(CLI_USAGE, "--%s: %s is a variance: MIN must be >= 0 (got %s)", opt, f[0],
                     f[1]);
  if (a->n < 2 || a->n > MAX_N)
    return cli_error(CLI_USAGE, "--%s: N must be between 2 and %d (got %ld)", opt, MAX_N, a->n);
  if (a->log && !(a->min > 0.0))
    return cli_error(CLI_USAGE, "--%s: a log axis needs MIN > 0 (got %s)", opt, f[1]);
  a->is_w = strcmp(f[0], "var-w") == 0;
  a->set = 1;
  return CLI_OK;
}

static double axis_value(const axis *a, long i)
{
  double t = (double)i / (double)(a->n - 1);
  if (i == a->n - 1)
    return a->max;
  return a->log ? exp(log(a->min) + t * (log(a->max) - log(a->min)))
                : a->min + t * (a->max - a->min);
}

static int parse(int argc, char **argv, sp_model *m, options *o)
{
  cli_args a = {argc, argv, 1, NULL, NULL, "mlp"};
  int r;
  while ((r = cli_next(&a, NULL, NULL, 0)) == 1) {
    const char *n = a.name, *v;
    if (strcmp(n, "help") == 0 || strcmp(n, "h") == 0) {
      cli_set_help(help, NULL);
      return -1;
    }
    if (strcmp(n, "activation") == 0 || strcmp(n, "var-w") == 0 || strcmp(n, "var-b") == 0
        || strcmp(n, "erf-scale") == 0) {
      if (cli_model_option(m, &a) < 0)
        return CLI_USAGE;
      continue;
    }
    static const char *const valued[] = {"o", "output", "x", "y", "title", "size", "dpi",
                                         "colormap"};
    int known = 0;
    for (size_t i = 0; i < sizeof valued / sizeof valued[0]; i++)
      known |= strcmp(n, valued[i]) == 0;
    if (!known)
      return cli_error(CLI_USAGE, "mlp: unknown option '%s' (see --help)", a.argv[a.i - 1]);
    if (!(v = cli_value(&a)))
      return CLI_USAGE;
    if (strcmp(n, "o") == 0 || strcmp(n, "output") == 0) {
      if (o->nout == MAX_OUT)
        return cli_error(CLI_USAGE, "-o: at most %d outputs", MAX_OUT);
      o->out[o->nout++] = v;
    } else if (strcmp(n, "x") == 0 || strcmp(n, "y") == 0) {
      if (parse_axis(n, v, n[0] == 'x' ? &o->x : &o->y))
        return CLI_USAGE;
    } else if (strcmp(n, "title") == 0) {
      o->title = v;
    } else if (strcmp(n, "colormap") == 0) {
      if (!(o->cm = sp_colormap_lookup(v)))
        return cli_error(CLI_USAGE, "--colormap: '%s' is not one of viridis, cividis, magma, "
                         "inferno", v);
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

static void add_model_meta(cli_meta *meta, const sp_model *m, int grid)
{
  char buf[48];
  cli_meta_begin(meta);
  cli_meta_add(meta, "activation", "%s", sp_activation_name(m->activation));
  if (!grid) {
    sp_format_double(buf, sizeof buf, m->var_w_in);
    cli_meta_add(meta, "var-w", "%s", buf);
    sp_format_double(buf, sizeof buf, m->var_b);
    cli_meta_add(meta, "var-b", "%s", buf);
  }
  if (m->activation == SP_ACT_ERF) {
    sp_format_double(buf, sizeof buf, m->erf_scale);
    cli_meta_add(meta, "erf-scale", "%s", buf);
  }
}

static int one_point(const sp_model *m, const options *o)
{
  if (o->nout > 1)
    return cli_error(CLI_USAGE, "-o: one output without --x and --y");
  const char *out = o->nout ? o->out[0] : NULL;
  if (out && strcmp(out, "-") != 0 && !sp_format_is_table(sp_format_from_path(out)))
    return cli_error(CLI_USAGE, "-o %s: a table is written as .csv, .tsv or .json (a figure "
                     "needs --x and --y)", out);
  sp_meanfield mf;
  int s = sp_meanfield_solve(m->activation, m->erf_scale, m->var_w_in, m->var_b, &mf);
  if (s)
    return cli_status(s, "mlp");

  cli_meta meta;
  add_model_meta(&meta, m, 0);
  switch (mf.kind) {
  case SP_MF_Q_NONE:
    cli_meta_add(&meta, "q_star", "none: q grows without bound (no fixed point below %g)",
                 SP_MF_Q_MAX);
    cli_meta_add(&meta, "chi1", "its limit as q -> infinity");
    cli_meta_add(&meta, "undefined", "c_star, xi_c, xi_q (they live at q*)");
    break;
  case SP_MF_Q_ANY:
    cli_meta_add(&meta, "q_star", "undefined: every q is a fixed point");
    break;
  default:
    cli_meta_add(&meta, "q_star", "stable fixed point of q = var-w E[phi(sqrt q z)^2] + var-b");
    break;
  }
  if (mf.kind != SP_MF_Q_NONE) {
    const char *phase = mf.chi1 < 1.0 ? "ordered (chi1 < 1: c* = 1 attracts)"
                        : mf.chi1 > 1.0 ? "chaotic (chi1 > 1: c* < 1)"
                                        : "critical (chi1 = 1, edge of chaos)";
    cli_meta_add(&meta, "phase", "%s", phase);
  }
  cli_meta_add(&meta, "xi_c, xi_q", "depth scales in layers (inf: power-law approach)");
  double row[NCOL] = {mf.q_star, mf.chi1, mf.c_star, mf.xi_c, mf.xi_q};
  sp_table t = {NCOL, 1, columns, row, NULL};
  return cli_write_table(out, &t, &meta);
}

/* ---- the (var-w, var-b) grid ----------------------------------------- */

typedef struct {
  const sp_model *m;
  int x_is_w;
} chi_arg;

/* chi1 at grid coordinates (x, y), for placing the chi1 = 1 crossings. */
static int chi_at(double x, double y, void *arg, double *value)
{
  const chi_arg *c = arg;
  sp_meanfield mf;
  double w = c->x_is_w ? x : y, b = c->x_is_w ? y : x;
  *value = sp_meanfield_solve(c->m->activation, c->m->erf_scale, w, b, &mf) ? NAN : mf.chi1;
  return SP_OK;
}

static const char *const grid_columns[] = {"var_w", "var_b", "q_star", "chi1", "c_star",
                                           "xi_c", "xi_q"};
#define NGRID (sizeof grid_columns / sizeof grid_columns[0])

static void plot_style(sp_plot_style *st, double r, double g, double b, double width,
                       double halo, double hr, double hg, double hb)
{
  sp_plot_style_default(st);
  st->color[0] = r;
  st->color[1] = g;
  st->color[2] = b;
  st->width = width;
  st->halo = halo;
  st->halo_color[0] = hr;
  st->halo_color[1] = hg;
  st->halo_color[2] = hb;
}

static int build_figure(const options *o, const sp_model *m, const double *xs, const double *ys,
                        const double *chi, const sp_contour *edge, sp_plot **out)
{
  size_t nx = (size_t)o->x.n, ny = (size_t)o->y.n, n = nx * ny;
  sp_plot *p;
  int s = sp_plot_alloc(o->width, o->height, 1, 1, &p);
  if (s)
    return s;
  static const char *const acts[] = {"ReLU", "GELU", "tanh", "erf", "SiLU", "linear"};
  char title[160];
  if (o->title)
    snprintf(title, sizeof title, "%s", o->title);
  else
    snprintf(title, sizeof title, "%s MLP: mean-field phases", acts[m->activation]);
  sp_plot_set_title(p, title);
  const char *lw = "σ_w^2", *lb = "σ_b^2";
  sp_plot_set_axis(p, 0, 'x', o->x.is_w ? lw : lb, o->x.log ? SP_SCALE_LOG : SP_SCALE_LINEAR,
                   o->x.min, o->x.max);
  sp_plot_set_axis(p, 0, 'y', o->y.is_w ? lw : lb, o->y.log ? SP_SCALE_LOG : SP_SCALE_LINEAR,
                   o->y.min, o->y.max);
  /* Colours span the data, but no more than [0, 2]: chi_1 grows without
   * bound deep in the chaotic phase. */
  double lo = INFINITY, hi = -INFINITY;
  for (size_t k = 0; k < n; k++)
    if (isfinite(chi[k])) {
      lo = fmin(lo, chi[k]);
      hi = fmax(hi, chi[k]);
    }
  int clipped = lo < 0.0 || hi > 2.0;
  lo = isfinite(lo) ? fmax(lo, 0.0) : 0.0;
  hi = isfinite(hi) ? fmin(hi, 2.0) : 2.0;
  if (!(lo < hi)) {
    lo = isfinite(lo) ? lo - 0.5 : 0.0;
    hi = lo + 1.0;
  }
  sp_plot_heatmap(p, 0, nx, ny, chi, o->x.min, o->x.max, o->y.min, o->y.max, o->cm, lo, hi,
                  clipped ? "χ_1 (clipped to [0, 2])" : "χ_1");
  unsigned char *mask = malloc(n);
  if (!mask) {
    sp_plot_free(p);
    return SP_ENOMEM;
  }
  static const char *const names[2] = {"ordered", "chaotic"};
  for (int c = 0; c < 2; c++) {
    size_t cnt = 0;
    for (size_t k = 0; k < n; k++)
      cnt += (mask[k] = !isnan(chi[k]) && (c ? chi[k] > 1.0 : chi[k] < 1.0));
    /* Keep the label off the edge curve: drop cells next to the other phase. */
    for (size_t j = 0; j < ny; j++)
      for (size_t i = 0; i < nx; i++) {
        size_t k = j * nx + i;
        int near = 0;
        for (int dj = -2; dj <= 2 && !near; dj++)
          for (int di = -2; di <= 2 && !near; di++) {
            long ii = (long)i + di, jj = (long)j + dj;
            if (ii < 0 || jj < 0 || ii >= (long)nx || jj >= (long)ny)
              continue;
            double z = chi[(size_t)jj * nx + (size_t)ii];
            near = c ? z <= 1.0 : z >= 1.0;
          }
        if (near)
          mask[k] = 0;
      }
    if (cnt)
      sp_plot_region_label(p, 0, nx, ny, mask, names[c]);
  }
  free(mask);
  if (edge->n) {
    sp_plot_style st;
    plot_style(&st, 1, 1, 1, 1.5, 0.5, 0.12, 0.12, 0.12);
    cli_plot_contour(p, edge, &st, "edge of chaos χ_1 = 1");
    sp_plot_legend(p, 0, SP_LEGEND_BELOW);
  }
  (void)xs;
  (void)ys;
  if ((s = sp_plot_status(p))) {
    sp_plot_free(p);
    return s;
  }
  *out = p;
  return SP_OK;
}

static int sweep(const sp_model *m, options *o)
{
  if (!o->x.set || !o->y.set)
    return cli_error(CLI_USAGE, "--x and --y: give both (one var-w, one var-b) for a grid");
  if (o->x.is_w == o->y.is_w)
    return cli_error(CLI_USAGE, "--x and --y: both sweep %s; one must be var-w and the other "
                     "var-b", o->x.is_w ? "var-w" : "var-b");
  int r;
  if ((r = cli_check_figure_outputs(o->out, o->nout, 1)))
    return r;
  if (o->dpi > 0.0) {
    double px = ceil(o->width * o->dpi / 72.0), py = ceil(o->height * o->dpi / 72.0);
    if (px > 32767.0 || py > 32767.0)
      return cli_error(CLI_USAGE, "--dpi %g with --size %g,%g makes a %gx%g image, above "
                       "32767 pixels a side", o->dpi, o->width, o->height, px, py);
  }
  sp_outfile *files[MAX_OUT];
  if ((r = cli_outputs_open(o->out, o->nout, files)))
    return r;

  size_t nx = (size_t)o->x.n, ny = (size_t)o->y.n, n = nx * ny;
  double *xs = malloc(nx * sizeof *xs), *ys = malloc(ny * sizeof *ys);
  double *chi = malloc(n * sizeof *chi), *num = malloc(n * NGRID * sizeof *num);
  sp_contour edge = {0};
  sp_plot *plot = NULL;
  int s = SP_OK;
  size_t undefined = 0, chaotic = 0;
  if (!xs || !ys || !chi || !num) {
    r = cli_error(CLI_FAIL, "out of memory for a %zu-point grid", n);
    goto done;
  }
  for (size_t i = 0; i < nx; i++)
    xs[i] = axis_value(&o->x, (long)i);
  for (size_t j = 0; j < ny; j++)
    ys[j] = axis_value(&o->y, (long)j);
  for (size_t j = 0; j < ny && !r; j++)
    for (size_t i = 0; i < nx; i++) {
      size_t k = j * nx + i;
      double w = o->x.is_w ? xs[i] : ys[j], b = o->x.is_w ? ys[j] : xs[i];
      sp_meanfield mf;
      s = sp_meanfield_solve(m->activation, m->erf_scale, w, b, &mf);
      if (s == SP_ENOCONV) {
        mf.q_star = mf.chi1 = mf.c_star = mf.xi_c = mf.xi_q = NAN;
        undefined++;
        s = SP_OK;
      } else if (s) {
        char what[96];
        snprintf(what, sizeof what, "mlp: var-w = %g, var-b = %g", w, b);
        r = cli_status(s, what);
        break;
      }
      chi[k] = mf.chi1;
      chaotic += mf.chi1 > 1.0;
      double row[NGRID] = {w, b, mf.q_star, mf.chi1, mf.c_star, mf.xi_c, mf.xi_q};
      memcpy(num + k * NGRID, row, sizeof row);
    }
  if (!r) {
    chi_arg ca = {m, o->x.is_w};
    if ((s = sp_contour_lines(nx, ny, xs, ys, chi, 1.0, chi_at, &ca, &edge)))
      r = cli_status(s, "mlp: edge of chaos");
  }
  cli_meta meta;
  add_model_meta(&meta, m, 1);
  {
    char a[40], b[40];
    const axis *ax[2] = {&o->x, &o->y};
    const char *key[2] = {"x", "y"};
    for (int i = 0; i < 2; i++) {
      sp_format_double(a, sizeof a, ax[i]->min);
      sp_format_double(b, sizeof b, ax[i]->max);
      cli_meta_add(&meta, key[i], "%s from %s to %s, %ld points, %s spacing",
                   ax[i]->is_w ? "var-w" : "var-b", a, b, ax[i]->n,
                   ax[i]->log ? "log" : "linear");
    }
    cli_meta_add(&meta, "phases", "%zu ordered or critical (chi1 <= 1), %zu chaotic, %zu "
                 "undefined", n - chaotic - undefined, chaotic, undefined);
    cli_meta_add(&meta, "q_star", "empty where q grows without bound (chi1 is then its "
                 "limit as q -> infinity)");
  }
  int figure = 0;
  for (int i = 0; i < o->nout; i++)
    figure |= !sp_format_is_table(sp_format_from_path(o->out[i]));
  if (!r && figure && (s = build_figure(o, m, xs, ys, chi, &edge, &plot)))
    r = cli_status(s, "mlp: figure");
  sp_table t = {NGRID, n, grid_columns, num, NULL};
  if (!o->nout && !r)
    r = cli_write_table(NULL, &t, &meta);
  else
    r = cli_outputs_finish(o->out, o->nout, files, &t, plot, o->dpi, &meta, r);
  goto cleanup;
done:
  for (int i = 0; i < o->nout; i++)
    sp_outfile_abort(files[i]);
cleanup:
  sp_plot_free(plot);
  sp_contour_free(&edge);
  free(xs);
  free(ys);
  free(chi);
  free(num);
  return r;
}

int cmd_mlp(int argc, char **argv)
{
  sp_model m;
  sp_model_default(&m);
  options o;
  memset(&o, 0, sizeof o);
  o.cm = sp_colormap_lookup("viridis");
  o.width = 252.0;
  o.height = 230.0;
  o.dpi = 300.0;
  int r = parse(argc, argv, &m, &o);
  if (r < 0)
    return CLI_OK; /* --help */
  if (r)
    return r;
  if (o.x.set || o.y.set)
    return sweep(&m, &o);
  return one_point(&m, &o);
}
