/* sigprop diagram: trainability diagram over two model parameters.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
  "Usage: sigprop diagram [--x NAME:MIN:MAX:N[:log]] [--y NAME:MIN:MAX:N[:log]]\n"
  "                       [MODEL OPTIONS] [OPTIONS] [-o FILE]...\n\n"
  "Sweeps two numeric model parameters, propagates every grid point through L\n"
  "blocks (default depth 60 here) and classifies it (theory.md §10):\n"
  "entropy-collapse when some block's attention input is frozen (beta > beta_c),\n"
  "or when the largest E Y2 >= --y2-max if that is given; else rank-collapse when\n"
  "rho_L >= --rho-max; else trainable.  Draws rho_L as a heat map with the class\n"
  "boundaries and the analytic overlays beta = beta_c(rho0), alpha_c(L) and\n"
  "lambda_a = 0 where they exist.\n\n"
  "  --x SPEC, --y SPEC   NAME:MIN:MAX:N with N >= 2 points, ':log' for log spacing\n"
  "                       [beta:0:5:201 and alpha-sa:0:5:201]\n"
  "  --rho-max V          rank-collapse threshold on rho_L [0.9]\n"
  "  --y2-max V           entropy collapse when the largest E Y2 >= V, in (0, 1]\n"
  "  --overlay-gradient F draw where grad_wq (block 1's query-weight gradient)\n"
  "                       is F times its grid maximum, F in (0, 1), e.g. 0.01\n"
  "  --overlay-lambda-g   compute lambda_g (a second trajectory per point) and\n"
  "                       draw lambda_g = 0\n"
  "  -o FILE              output, by extension: .png .pdf .svg (figure),\n"
  "                       .csv .tsv .json (grid); repeat for several\n"
  "                       [diagram.png and diagram.pdf]\n"
  "  --curves FILE        boundary and overlay curves as a table (curve,piece,x,y)\n"
  "  --colormap NAME      viridis, cividis, magma or inferno [viridis]\n"
  "  --range LO:HI        colour range of rho_L [min(0, lowest rho_L):1]\n"
  "  --mark X,Y           mark a configuration on the figure\n"
  "  --title TEXT         figure title ('' for none; _x and ^x make sub/superscripts)\n"
  "  --size W,H           figure size in points, or with units in, cm, mm;\n"
  "                       column or page [252,240]\n"
  "  --dpi D              PNG resolution [300]\n"
  "  --threads N          worker threads [one per processor]; results do not depend on it\n"
  "  --quiet              no progress line on a terminal\n\n";

#define MAX_OUT 16

typedef struct {
  sp_axis x, y;
  double rho_max, y2_max, grad_fraction;
  int lambda_g;
  const sp_colormap *cm;
  int mark;
  double mark_x, mark_y;
  double zlo, zhi; /* --range of the colours, NaN: automatic */
  const char *title;
  double width, height, dpi;
  unsigned threads;
  int quiet;
  const char *out[MAX_OUT];
  int nout;
  const char *curves;
} options;

/* ---- parsing ---------------------------------------------------------- */

static int param_names(char *buf, size_t size)
{
  size_t n, k = 0;
  const sp_param *t = sp_param_table(&n);
  buf[0] = '\0';
  for (size_t i = 0; i < n && k + 2 < size; i++)
    k += (size_t)snprintf(buf + k, size - k, "%s%s", i ? ", " : "", t[i].name);
  return 0;
}

static int parse_axis(const char *opt, const char *spec, sp_axis *a)
{
  char buf[256], *f[6] = {NULL};
  int nf = cli_split_fields(opt, spec, buf, sizeof buf, f, 6);
  if (nf < 0)
    return CLI_USAGE;
  if (nf < 4 || nf > 5)
    return cli_error(CLI_USAGE, "--%s: '%s' is not NAME:MIN:MAX:N[:log]", opt, spec);
  const sp_param *p = sp_param_lookup(f[0]);
  if (!p) {
    char names[512];
    param_names(names, sizeof names);
    return cli_error(CLI_USAGE, "--%s: '%s' is not a model parameter (one of %s)", opt, f[0],
                     names);
  }
  double lo, hi;
  long n;
  if (cli_parse_double(opt, f[1], &lo) || cli_parse_double(opt, f[2], &hi)
      || cli_parse_long(opt, f[3], &n))
    return CLI_USAGE;
  sp_spacing sp = SP_SPACING_LINEAR;
  if (nf == 5) {
    if (strcmp(f[4], "log") == 0)
      sp = SP_SPACING_LOG;
    else if (strcmp(f[4], "lin") != 0 && strcmp(f[4], "linear") != 0)
      return cli_error(CLI_USAGE, "--%s: spacing '%s' is not 'log' or 'lin'", opt, f[4]);
  }
  if (!(lo < hi))
    return cli_error(CLI_USAGE, "--%s: MIN must be below MAX (got %s and %s)", opt, f[1], f[2]);
  if (n < 2 || n > SP_AXIS_MAX)
    return cli_error(CLI_USAGE, "--%s: N must be between 2 and %d (got %ld)", opt, SP_AXIS_MAX,
                     n);
  if (sp == SP_SPACING_LOG && !(lo > 0.0))
    return cli_error(CLI_USAGE, "--%s: a log axis needs MIN > 0 (got %s)", opt, f[1]);
  if (lo < p->min || hi > p->max)
    return cli_error(CLI_USAGE, "--%s: [%s, %s] leaves the domain of %s, [%g, %g]", opt, f[1],
                     f[2], p->name, p->min, p->max);
  if (p->kind == SP_PARAM_INTEGER && (lo != floor(lo) || hi != floor(hi)))
    return cli_error(CLI_USAGE, "--%s: %s takes whole numbers (got %s and %s)", opt, p->name,
                     f[1], f[2]);
  *a = (sp_axis){p, lo, hi, (size_t)n, sp};
  return CLI_OK;
}

static int parse(int argc, char **argv, sp_model *m, options *o)
{
  cli_args a = {argc, argv, 1, NULL, NULL, "diagram"};
  int r;
  while ((r = cli_next(&a, NULL, NULL, 0)) == 1) {
    int k = cli_model_option(m, &a);
    if (k < 0)
      return CLI_USAGE;
    if (k)
      continue;
    const char *n = a.name, *v;
    if (strcmp(n, "help") == 0 || strcmp(n, "h") == 0) {
      cli_set_help(help, cli_model_help);
      return -1;
    }
    if (strcmp(n, "quiet") == 0 || strcmp(n, "q") == 0) {
      if (a.value)
        return cli_error(CLI_USAGE, "--quiet takes no value");
      o->quiet = 1;
      continue;
    }
    if (strcmp(n, "overlay-lambda-g") == 0) {
      if (a.value)
        return cli_error(CLI_USAGE, "--overlay-lambda-g takes no value");
      o->lambda_g = 1;
      continue;
    }
    static const char *const valued[] = {"x", "y", "o", "output", "curves", "rho-max",
                                         "y2-max", "colormap", "mark", "title", "size", "dpi",
                                         "threads", "overlay-gradient", "range"};
    int known = 0;
    for (size_t i = 0; i < sizeof valued / sizeof valued[0]; i++)
      known |= strcmp(n, valued[i]) == 0;
    if (!known)
      return cli_error(CLI_USAGE, "diagram: unknown option '%s' (see --help)", a.argv[a.i - 1]);
    if (!(v = cli_value(&a)))
      return CLI_USAGE;
    if (strcmp(n, "x") == 0 || strcmp(n, "y") == 0) {
      if (parse_axis(n, v, n[0] == 'x' ? &o->x : &o->y))
        return CLI_USAGE;
    } else if (strcmp(n, "o") == 0 || strcmp(n, "output") == 0) {
      if (o->nout == MAX_OUT)
        return cli_error(CLI_USAGE, "-o: at most %d outputs", MAX_OUT);
      o->out[o->nout++] = v;
    } else if (strcmp(n, "curves") == 0) {
      o->curves = v;
    } else if (strcmp(n, "rho-max") == 0) {
      if (cli_parse_double(n, v, &o->rho_max))
        return CLI_USAGE;
      if (!(o->rho_max > -1.0 && o->rho_max <= 1.0))
        return cli_error(CLI_USAGE, "--rho-max: %s must lie in (-1, 1]", v);
    } else if (strcmp(n, "y2-max") == 0) {
      if (cli_parse_double(n, v, &o->y2_max))
        return CLI_USAGE;
      if (!(o->y2_max > 0.0 && o->y2_max <= 1.0))
        return cli_error(CLI_USAGE, "--y2-max: %s must lie in (0, 1]", v);
    } else if (strcmp(n, "overlay-gradient") == 0) {
      if (cli_parse_double(n, v, &o->grad_fraction))
        return CLI_USAGE;
      if (!(o->grad_fraction > 0.0 && o->grad_fraction < 1.0))
        return cli_error(CLI_USAGE, "--overlay-gradient: %s must lie in (0, 1)", v);
    } else if (strcmp(n, "colormap") == 0) {
      if (!(o->cm = sp_colormap_lookup(v)))
        return cli_error(CLI_USAGE, "--colormap: '%s' is not one of viridis, cividis, magma, "
                         "inferno", v);
    } else if (strcmp(n, "mark") == 0) {
      if (cli_parse_pair(n, v, &o->mark_x, &o->mark_y))
        return CLI_USAGE;
      o->mark = 1;
    } else if (strcmp(n, "range") == 0) {
      char buf[96], *f[2];
      int nf = cli_split_fields(n, v, buf, sizeof buf, f, 2);
      if (nf < 0)
        return CLI_USAGE;
      if (nf != 2)
        return cli_error(CLI_USAGE, "--range: '%s' is not LO:HI", v);
      if (cli_parse_double(n, f[0], &o->zlo) || cli_parse_double(n, f[1], &o->zhi))
        return CLI_USAGE;
      if (!(o->zlo < o->zhi))
        return cli_error(CLI_USAGE, "--range: %s: LO must be below HI", v);
    } else if (strcmp(n, "title") == 0) {
      o->title = v;
    } else if (strcmp(n, "size") == 0) {
      if (cli_parse_size(v, &o->width, &o->height))
        return CLI_USAGE;
    } else if (strcmp(n, "dpi") == 0) {
      if (cli_parse_dpi(v, &o->dpi))
        return CLI_USAGE;
    } else {
      long t;
      if (cli_parse_long(n, v, &t))
        return CLI_USAGE;
      if (t < 1 || t > 256)
        return cli_error(CLI_USAGE, "--threads: %s must lie in [1, 256]", v);
      o->threads = (unsigned)t;
    }
  }
  return r < 0 ? CLI_USAGE : CLI_OK;
}

/* ---- checks ---------------------------------------------------------- */

static int same_param(const sp_param *a, const sp_param *b)
{
  if (a == b)
    return 1;
  return strncmp(a->name, "var-w", 5) == 0 && strncmp(b->name, "var-w", 5) == 0
         && (strcmp(a->name, "var-w") == 0 || strcmp(b->name, "var-w") == 0);
}

static int check_outputs(const options *o)
{
  for (int i = 0; i < o->nout; i++)
    if (sp_format_from_path(o->out[i]) == SP_FMT_UNKNOWN)
      return cli_error(CLI_USAGE, "-o %s: unknown format (use .png, .pdf, .svg, .csv, .tsv or "
                       ".json)", o->out[i]);
  if (o->curves && !sp_format_is_table(sp_format_from_path(o->curves)))
    return cli_error(CLI_USAGE, "--curves %s: a table is written as .csv, .tsv or .json",
                     o->curves);
  if (o->dpi > 0.0) {
    double px = ceil(o->width * o->dpi / 72.0), py = ceil(o->height * o->dpi / 72.0);
    if (px > 32767.0 || py > 32767.0)
      return cli_error(CLI_USAGE, "--dpi %g with --size %g,%g makes a %gx%g image, above "
                       "32767 pixels a side", o->dpi, o->width, o->height, px, py);
  }
  return CLI_OK;
}

/* The model at each corner of the grid must be valid (this reports which
 * option is at fault). */
static int check_corners(const sp_model *m, const options *o)
{
  for (int c = 0; c < 4; c++) {
    sp_model mc = *m;
    sp_model_set(&mc, o->x.param, c & 1 ? o->x.max : o->x.min);
    sp_model_set(&mc, o->y.param, c & 2 ? o->y.max : o->y.min);
    if (cli_model_check(&mc))
      return CLI_USAGE;
  }
  return CLI_OK;
}

/* ---- progress --------------------------------------------------------- */

static void progress(size_t done, size_t total, void *arg)
{
  (void)arg;
  fprintf(stderr, "\rsigprop: diagram: %3d%%", (int)(100.0 * (double)done / (double)total));
  if (done == total)
    fprintf(stderr, "\r%24s\r", "");
  fflush(stderr);
}

/* ---- outputs ----------------------------------------------------------- */

/* The lambda_g column (next to last) appears only when it was computed. */
static const char *const grid_columns[] = {
  "x", "y", "rho_final", "y2_first", "y2_max", "beta_ratio", "frozen_layers", "lambda_a",
  "grad_wq", "lambda_g", "class"};
static const char *const grid_columns_short[] = {
  "x", "y", "rho_final", "y2_first", "y2_max", "beta_ratio", "frozen_layers", "lambda_a",
  "grad_wq", "class"};
#define NGRID (sizeof grid_columns / sizeof grid_columns[0])

static int grid_table(const sp_diagram *d, sp_table *t, double **num, const char ***str)
{
  size_t n = d->nx * d->ny, nc = d->opt.lambda_g ? NGRID : NGRID - 1;
  *num = malloc(n * nc * sizeof **num);
  *str = calloc(n * nc, sizeof **str);
  if (!*num || !*str)
    return cli_error(CLI_FAIL, "out of memory for a %zu-point table", n);
  for (size_t k = 0; k < n; k++) {
    const sp_diagram_point *p = &d->pt[k];
    double row[NGRID] = {p->x, p->y, p->rho_final, p->y2_first, p->y2_max, p->beta_ratio,
                         p->status ? NAN : (double)p->frozen_layers, p->lambda_a, p->grad_wq,
                         p->lambda_g, NAN};
    if (!d->opt.lambda_g)
      row[NGRID - 2] = NAN;
    memcpy(*num + k * nc, row, nc * sizeof row[0]);
    (*str)[k * nc + nc - 1] = sp_class_name(p->cls);
  }
  *t = (sp_table){nc, n, d->opt.lambda_g ? grid_columns : grid_columns_short, *num, *str};
  return CLI_OK;
}

static const char *const curve_columns[] = {"curve", "piece", "x", "y"};

static int curves_table(const sp_diagram *d, sp_table *t, double **num, const char ***str)
{
  const sp_contour *c[] = {&d->rank,   &d->entropy, &d->lambda0, &d->beta_c,
                           &d->alpha_c, &d->grad,    &d->lambda_g0};
  static const char *const names[] = {"rank",    "entropy", "lambda0", "beta_c",
                                      "alpha_c", "grad",    "lambda_g0"};
  const size_t nc = sizeof c / sizeof c[0];
  size_t n = 0;
  for (size_t i = 0; i < nc; i++)
    for (size_t k = 0; k < c[i]->n; k++)
      n += c[i]->lines[k].n + (c[i]->lines[k].closed ? 1 : 0);
  *num = malloc((n ? n : 1) * 4 * sizeof **num);
  *str = calloc((n ? n : 1) * 4, sizeof **str);
  if (!*num || !*str)
    return cli_error(CLI_FAIL, "out of memory");
  size_t r = 0;
  for (size_t i = 0; i < nc; i++)
    for (size_t k = 0; k < c[i]->n; k++) {
      const sp_polyline *l = &c[i]->lines[k];
      for (size_t v = 0; v < l->n + (l->closed ? 1 : 0); v++, r++) {
        size_t u = v % l->n;
        double row[4] = {NAN, (double)k, l->x[u], l->y[u]};
        memcpy(*num + r * 4, row, sizeof row);
        (*str)[r * 4] = names[i];
      }
    }
  *t = (sp_table){4, n, curve_columns, *num, *str};
  return CLI_OK;
}

static void style(sp_plot_style *st, double r, double g, double b, double width, sp_line line,
                  double halo, double hr, double hg, double hb)
{
  sp_plot_style_default(st);
  st->color[0] = r;
  st->color[1] = g;
  st->color[2] = b;
  st->width = width;
  st->line = line;
  st->halo = halo;
  st->halo_color[0] = hr;
  st->halo_color[1] = hg;
  st->halo_color[2] = hb;
}

/* Fractional grid index of coordinate c on axis a. */
static double grid_index(const sp_axis *a, double c)
{
  if (a->spacing == SP_SPACING_LOG)
    return (log(c) - log(a->min)) / (log(a->max) - log(a->min)) * (double)(a->n - 1);
  return (c - a->min) / (a->max - a->min) * (double)(a->n - 1);
}

/* Clear from `mask` the cells the curves pass through (and, on fine grids
 * where a cell is narrower than a line, their neighbours), so that region
 * labels do not cover the curves. */
static void mask_curve(const sp_diagram *d, const sp_contour *c, unsigned char *mask)
{
  long gx = d->nx > 60, gy = d->ny > 60;
  for (size_t k = 0; k < c->n; k++) {
    const sp_polyline *l = &c->lines[k];
    for (size_t v = 0; v + 1 < l->n + (l->closed ? 1 : 0); v++) {
      size_t b = (v + 1) % l->n;
      double i0 = grid_index(&d->x, l->x[v]), j0 = grid_index(&d->y, l->y[v]);
      double i1 = grid_index(&d->x, l->x[b]), j1 = grid_index(&d->y, l->y[b]);
      int steps = 1 + (int)(2.0 * fmax(fabs(i1 - i0), fabs(j1 - j0)));
      for (int t = 0; t <= steps; t++) {
        double f = (double)t / steps;
        long ci = lround(i0 + f * (i1 - i0)), cj = lround(j0 + f * (j1 - j0));
        for (long dj = -gy; dj <= gy; dj++)
          for (long di = -gx; di <= gx; di++) {
            long ii = ci + di, jj = cj + dj;
            if (ii >= 0 && jj >= 0 && ii < (long)d->nx && jj < (long)d->ny)
              mask[(size_t)jj * d->nx + (size_t)ii] = 0;
          }
      }
    }
  }
}

static int build_figure(const sp_diagram *d, const options *o, const char *title, sp_plot **out)
{
  sp_plot *p;
  int s = sp_plot_alloc(o->width, o->height, 1, 1, &p);
  if (s)
    return s;
  sp_scale xs = d->x.spacing == SP_SPACING_LOG ? SP_SCALE_LOG : SP_SCALE_LINEAR;
  sp_scale ys = d->y.spacing == SP_SPACING_LOG ? SP_SCALE_LOG : SP_SCALE_LINEAR;
  size_t n = d->nx * d->ny;
  double *z = malloc(n * sizeof *z), zmin = 0.0;
  unsigned char *mask = malloc(n);
  if (!z || !mask) {
    free(z);
    free(mask);
    sp_plot_free(p);
    return SP_ENOMEM;
  }
  for (size_t k = 0; k < n; k++) {
    z[k] = d->pt[k].rho_final;
    if (z[k] < zmin)
      zmin = z[k];
  }
  sp_plot_set_title(p, title);
  /* The axes span exactly [min, max]: the outer cells show half, and the
   * curves, which live on the grid, reach the frame. */
  sp_plot_set_axis(p, 0, 'x', d->x.param->label, xs, d->x.min, d->x.max);
  sp_plot_set_axis(p, 0, 'y', d->y.param->label, ys, d->y.min, d->y.max);
  sp_plot_heatmap(p, 0, d->nx, d->ny, z, d->x.min, d->x.max, d->y.min, d->y.max, o->cm,
                  isnan(o->zlo) ? zmin : o->zlo, isnan(o->zhi) ? 1.0 : o->zhi, "ρ_L");
  /* Entropy-collapsed points whose rho_L also passes the rank-collapse
   * threshold have both failures: a region of their own. */
  static const char *const names[] = {"trainable", "rank collapse", "entropy collapse",
                                      "rank + entropy collapse"};
  const sp_contour *curves[] = {&d->rank,    &d->entropy, &d->lambda0,  &d->beta_c,
                                &d->alpha_c, &d->grad,    &d->lambda_g0};
  for (int c = 0; c < 4; c++) {
    size_t cnt = 0;
    for (size_t k = 0; k < n; k++) {
      int both = d->pt[k].cls == SP_CLASS_ENTROPY_COLLAPSE && d->pt[k].rho_final >= d->opt.rho_max;
      cnt += (mask[k] = c == 3 ? both : d->pt[k].cls == (sp_class)c && !both);
    }
    for (size_t k = 0; k < sizeof curves / sizeof curves[0]; k++)
      mask_curve(d, curves[k], mask);
    if (o->mark) {
      double mx[2] = {o->mark_x, o->mark_x}, my[2] = {o->mark_y, o->mark_y};
      sp_polyline dot = {2, mx, my, 0};
      sp_contour one = {1, &dot};
      mask_curve(d, &one, mask);
    }
    if (cnt)
      sp_plot_region_label(p, 0, d->nx, d->ny, mask, names[c]);
  }
  free(z);
  free(mask);

  char label[96];
  sp_plot_style st;
  /* Class boundaries: white with a dark edge.  Analytic overlays: thin
   * dashed lines with a light edge, drawn on top. */
  style(&st, 1, 1, 1, 1.4, SP_LINE_SOLID, 0.45, 0.12, 0.12, 0.12);
  s = cli_plot_contour(p, &d->rank, &st, d->rank.n ? "class boundary" : NULL);
  if (!s)
    s = cli_plot_contour(p, &d->entropy, &st, d->rank.n ? NULL : "class boundary");
  /* The vanishing-gradient boundary: a broad light line under the dashed
   * overlays (it often runs along beta = beta_c, which stays visible). */
  if (!s && d->grad.n) {
    char num[40];
    sp_format_double(num, sizeof num, d->opt.grad_fraction);
    snprintf(label, sizeof label, "‖∂L/∂W_Q‖^2 = %s max", num);
    style(&st, 0.337, 0.706, 0.914, 2.2, SP_LINE_SOLID, 0.35, 0.12, 0.12, 0.12);
    s = cli_plot_contour(p, &d->grad, &st, label);
  }
  style(&st, 0.835, 0.369, 0.0, 1.0, SP_LINE_DASHED, 0.4, 1, 1, 1);
  if (!s)
    s = cli_plot_contour(p, &d->beta_c, &st, "β = β_c(ρ_0)");
  style(&st, 0.1, 0.1, 0.1, 0.9, SP_LINE_DASHED, 0.35, 1, 1, 1);
  snprintf(label, sizeof label, "%s(L)",
           d->alpha_axis && strcmp(d->alpha_axis->name, "alpha-mlp") == 0 ? "α_{MLP,c}" : "α_c");
  if (!s)
    s = cli_plot_contour(p, &d->alpha_c, &st, label);
  style(&st, 0.8, 0.475, 0.655, 1.1, SP_LINE_DASHDOT, 0.4, 1, 1, 1);
  if (!s)
    s = cli_plot_contour(p, &d->lambda0, &st, "λ_a = 0 (ρ → 1 attracts where λ_a < 0)");
  style(&st, 0.0, 0.447, 0.698, 1.1, SP_LINE_DOTTED, 0.45, 1, 1, 1);
  if (!s)
    s = cli_plot_contour(p, &d->lambda_g0, &st, "λ_g = 0");
  if (!s && o->mark) {
    style(&st, 1, 1, 1, 1, SP_LINE_NONE, 0.7, 0, 0, 0);
    st.marker = SP_MARKER_STAR;
    st.marker_size = 8.0;
    s = sp_plot_series(p, 0, 1, &o->mark_x, &o->mark_y, NULL, &st, "configuration");
  }
  if (!s)
    s = sp_plot_legend(p, 0, SP_LEGEND_BELOW);
  if (!s)
    s = sp_plot_status(p);
  if (s) {
    sp_plot_free(p);
    return s;
  }
  *out = p;
  return SP_OK;
}

static void add_meta(cli_meta *meta, const sp_diagram *d)
{
  const sp_axis *ax[2] = {&d->x, &d->y};
  const char *key[2] = {"x", "y"};
  char a[40], b[40];
  for (int i = 0; i < 2; i++) {
    sp_format_double(a, sizeof a, ax[i]->min);
    sp_format_double(b, sizeof b, ax[i]->max);
    cli_meta_add(meta, key[i], "%s from %s to %s, %zu points, %s spacing", ax[i]->param->name,
                 a, b, ax[i]->n, ax[i]->spacing == SP_SPACING_LOG ? "log" : "linear");
  }
  sp_format_double(a, sizeof a, d->opt.rho_max);
  cli_meta_add(meta, "rho-max", "%s (rank-collapse when rho_L >= rho-max)", a);
  if (isnan(d->opt.y2_max)) {
    cli_meta_add(meta, "y2-max", "none (entropy-collapse when a block's attention input is "
                 "frozen)");
  } else {
    sp_format_double(a, sizeof a, d->opt.y2_max);
    cli_meta_add(meta, "y2-max", "%s (entropy-collapse when the largest E Y2 >= y2-max)", a);
  }
  if (!isnan(d->opt.grad_fraction)) {
    sp_format_double(a, sizeof a, d->opt.grad_fraction);
    sp_format_double(b, sizeof b, d->grad_max);
    cli_meta_add(meta, "overlay-gradient", "%s (curve grad_wq = %s times its grid maximum %s)",
                 a, a, b);
  }
  if (d->opt.lambda_g)
    cli_meta_add(meta, "overlay-lambda-g", "yes (curve lambda_g = 0)");
  cli_meta_add(meta, "classes", "%zu trainable, %zu rank-collapse, %zu entropy-collapse, %zu "
               "undefined", d->count[SP_CLASS_TRAINABLE], d->count[SP_CLASS_RANK_COLLAPSE],
               d->count[SP_CLASS_ENTROPY_COLLAPSE], d->count[SP_CLASS_UNDEFINED]);
}

static void abort_all(sp_outfile **f, int n)
{
  for (int i = 0; i < n; i++)
    sp_outfile_abort(f[i]);
}

int cmd_diagram(int argc, char **argv)
{
  sp_model m;
  sp_model_default(&m);
  m.depth = 60;
  options o;
  memset(&o, 0, sizeof o);
  o.x = (sp_axis){sp_param_lookup("beta"), 0.0, 5.0, 201, SP_SPACING_LINEAR};
  o.y = (sp_axis){sp_param_lookup("alpha-sa"), 0.0, 5.0, 201, SP_SPACING_LINEAR};
  o.rho_max = 0.9;
  o.zlo = o.zhi = NAN;
  o.y2_max = NAN;
  o.grad_fraction = NAN;
  o.cm = sp_colormap_lookup("viridis");
  o.width = 252.0;
  o.height = 240.0;
  o.dpi = 300.0;
  int r = parse(argc, argv, &m, &o);
  if (r < 0)
    return CLI_OK; /* --help */
  if (r)
    return r;
  if (!o.nout) {
    o.out[o.nout++] = "diagram.png";
    o.out[o.nout++] = "diagram.pdf";
  }
  if (same_param(o.x.param, o.y.param))
    return cli_error(CLI_USAGE, "--x and --y: both sweep %s; choose two different parameters",
                     o.x.param->name);
  if ((r = check_outputs(&o)))
    return r;
  if ((r = cli_model_check_sweep(&m, "diagram")) || (r = check_corners(&m, &o)))
    return r;
  if (o.x.n > SP_GRID_MAX / o.y.n)
    return cli_error(CLI_USAGE, "--x and --y: %zu x %zu = %.0f points is over the limit of %d "
                     "points in a grid", o.x.n, o.y.n, (double)o.x.n * (double)o.y.n,
                     SP_GRID_MAX);
  if (o.mark) {
    int inx = o.mark_x >= o.x.min && o.mark_x <= o.x.max;
    int iny = o.mark_y >= o.y.min && o.mark_y <= o.y.max;
    if (!inx || !iny)
      return cli_error(CLI_USAGE, "--mark %g,%g: outside the diagram ([%g, %g] x [%g, %g])",
                       o.mark_x, o.mark_y, o.x.min, o.x.max, o.y.min, o.y.max);
  }

  /* Open every output first: a path that cannot be written fails the run
   * before the work, and nothing appears unless everything succeeds. */
  sp_outfile *f[MAX_OUT + 1];
  const char *path[MAX_OUT + 1];
  int nf = 0;
  for (int i = 0; i <= o.nout; i++) {
    const char *pth = i < o.nout ? o.out[i] : o.curves;
    if (!pth)
      continue;
    if ((r = cli_open_output(pth, &f[nf]))) {
      abort_all(f, nf);
      return r;
    }
    path[nf++] = pth;
  }

  sp_diagram_options opt;
  sp_diagram_options_default(&opt);
  opt.rho_max = o.rho_max;
  opt.y2_max = o.y2_max;
  opt.threads = o.threads;
  opt.grad_fraction = o.grad_fraction;
  opt.lambda_g = o.lambda_g;
  if (!o.quiet && isatty(STDERR_FILENO))
    opt.progress = progress;
  sp_diagram *d = NULL;
  int s = sp_diagram_alloc(&m, &o.x, &o.y, &opt, &d);
  if (!s)
    s = sp_diagram_sweep(d);
  if (!s)
    s = sp_diagram_curves(d);
  if (s) {
    abort_all(f, nf);
    sp_diagram_free(d);
    return cli_status(s, "diagram");
  }

  cli_meta meta;
  cli_meta_init(&meta, &m);
  add_meta(&meta, d);
  char title[160];
  if (o.title)
    snprintf(title, sizeof title, "%s", o.title);
  else
    cli_model_title(&m, o.x.param, o.y.param, title, sizeof title);
  sp_plot *plot = NULL;
  sp_table grid = {0}, curves = {0};
  double *gnum = NULL, *cnum = NULL;
  const char **gstr = NULL, **cstr = NULL;
  r = CLI_OK;
  for (int i = 0; i < nf && !r; i++) {
    sp_format fmt = sp_format_from_path(path[i]);
    FILE *fp = sp_outfile_stream(f[i]);
    int is_curves = o.curves && i == nf - 1;
    if (is_curves) {
      if (!(r = curves_table(d, &curves, &cnum, &cstr))
          && (s = sp_table_write(fp, fmt, &curves, meta.items, meta.n)))
        r = cli_write_error(path[i], f[i], s);
    } else if (sp_format_is_table(fmt)) {
      if (!gnum)
        r = grid_table(d, &grid, &gnum, &gstr);
      if (!r && (s = sp_table_write(fp, fmt, &grid, meta.items, meta.n)))
        r = cli_write_error(path[i], f[i], s);
    } else {
      if (!plot && (s = build_figure(d, &o, title, &plot)))
        r = cli_status(s, "diagram: figure");
      if (!r && !(r = cli_check_figure_memory(path[i], plot, fmt, o.dpi))
          && (s = sp_plot_write(plot, fp, fmt, o.dpi, meta.items, meta.n)))
        r = cli_write_error(path[i], f[i], s);
    }
  }
  sp_plot_free(plot);
  free(gnum);
  free(gstr);
  free(cnum);
  free(cstr);
  sp_diagram_free(d);
  return cli_outputs_commit(path, nf, f, r);
}
