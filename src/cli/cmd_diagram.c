/* sigprop diagram: trainability diagram over two model parameters.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"
#include "mpi_split.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const cli_command command = {
  "diagram",
  "[--x NAME:MIN:MAX:N[:log]] [--y NAME:MIN:MAX:N[:log]] [MODEL OPTIONS] [OPTIONS] [-o FILE]...",
  "Sweeps two numeric model parameters, propagates every grid point through L blocks and "
  "classifies it (theory.md §10): entropy-collapse when some block's attention input is frozen "
  "(beta > beta_c), or when the largest E Y2 >= --y2-max if that is given; else rank-collapse "
  "when rho_L >= --rho-max; else trainable.  Draws rho_L as a heat map with the class "
  "boundaries and the analytic overlays beta = beta_c(rho0), alpha_c(L) and lambda_a = 0 where "
  "they exist.  The default depth here is 60.  Without -o it writes diagram.png and "
  "diagram.pdf; '-o -' writes the grid as CSV on standard output.",
  0, NULL};

typedef struct {
  sp_axis x, y;
  double rho_max, y2_max, grad_fraction;
  int lambda_g;
  const sp_colormap *cm;
  int mark;
  double mark_x, mark_y;
  cli_range range; /* --range of the colours, NaN: automatic */
  cli_figure fig;
  long threads;
  int quiet;
  cli_list out;
  const char *curves;
} options;

/* ---- parsing ---------------------------------------------------------- */

static int parse_axis(void *target, const cli_opt *o, const char *spec)
{
  char msg[1024];
  if (sp_axis_parse(o->name, spec, target, msg, sizeof msg))
    return cli_error(CLI_USAGE, "%s", msg);
  return CLI_OK;
}

static int mark_call(void *target, const cli_opt *opt, const char *v)
{
  options *o = target;
  o->mark = 1;
  return cli_parse_pair(opt->name, v, &o->mark_x, &o->mark_y);
}

static void axis_show(const void *target, const cli_opt *opt, char *buf, size_t size)
{
  const sp_axis *a = target;
  (void)opt;
  snprintf(buf, size, "%s:%g:%g:%zu%s", a->param->name, a->min, a->max, a->n,
           a->spacing == SP_SPACING_LOG ? ":log" : "");
}

static const cli_opt opts[] = {
  CLI_CALL_AT("x", 0, options, x, parse_axis, axis_show, "SPEC",
              "the x axis: NAME:MIN:MAX:N with N >= 2 points, ':log' for log spacing"),
  CLI_CALL_AT("y", 0, options, y, parse_axis, axis_show, "SPEC", "the y axis, as --x"),
  CLI_DOUBLE_OPEN("rho-max", 0, options, rho_max, -1.0, 1.0, CLI_OPT_OPEN_LO, "V",
                  "rank-collapse threshold on rho_L"),
  CLI_DOUBLE_OPEN("y2-max", 0, options, y2_max, 0.0, 1.0, CLI_OPT_OPEN_LO, "V",
                  "entropy collapse also when the largest E Y2 >= V [none]"),
  CLI_DOUBLE_OPEN("overlay-gradient", 0, options, grad_fraction, 0.0, 1.0,
                  CLI_OPT_OPEN_LO | CLI_OPT_OPEN_HI, "F",
                  "draw where grad_wq (block 1's query-weight gradient) is F times its grid "
                  "maximum, F in (0, 1), e.g. 0.01 [none]"),
  CLI_FLAG("overlay-lambda-g", 0, options, lambda_g,
           "compute lambda_g (a second trajectory per point) and draw lambda_g = 0"),
  CLI_STRING("curves", 0, options, curves, "FILE",
             "boundary and overlay curves as a table (curve,piece,x,y), .csv, .tsv or .json"),
  CLI_CALL_AT("colormap", 0, options, cm, cli_colormap_call, cli_colormap_show, "NAME",
              "viridis, cividis, magma or inferno"),
  CLI_CALL_AT("range", 0, options, range, cli_range_call, NULL, "LO:HI",
              "colour range of rho_L [min(0, lowest rho_L):1]"),
  CLI_CALL("mark", 0, mark_call, "X,Y", "mark a configuration on the figure"),
  CLI_LONG("threads", 0, options, threads, 1, 256, "N",
           "worker threads; results do not depend on it [one per processor]"),
  CLI_FLAG("quiet", 0, options, quiet, "no progress line on a terminal"),
};

static int parse(int argc, char **argv, sp_model *m, options *o)
{
  cli_opt_group groups[] = {CLI_GROUP(opts, o), cli_figure_group(&o->fig),
                            cli_output_group(&o->out, 1), cli_model_group(m)};
  return cli_parse(&command, groups, 4, argc, argv, NULL, NULL);
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
  int r;
  if ((r = cli_outputs_check(&o->out, 1)) || (r = cli_figure_check(&o->fig, &o->out)))
    return r;
  if (o->curves && strcmp(o->curves, "-") != 0
      && !sp_format_is_table(sp_format_from_path(o->curves)))
    return cli_error(CLI_USAGE, "--curves %s: a table is written as .csv, .tsv or .json",
                     o->curves);
  if (o->curves && cli_outputs_stdout(&o->out) && strcmp(o->curves, "-") == 0)
    return cli_error(CLI_USAGE, "--curves -: standard output already takes the grid");
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

static void progress(void *arg, size_t done, size_t total)
{
  (void)arg;
  fprintf(stderr, "\rsigprop: diagram: %3d%%", (int)(100.0 * (double)done / (double)total));
  if (done == total)
    fprintf(stderr, "\r%24s\r", "");
  fflush(stderr);
}

/* ---- outputs ----------------------------------------------------------- */

/* The grid table, or the curves table (`curves`), of d in arrays of the
 * caller's to free (also on error). */
static int table(const sp_diagram_data *d, int curves, sp_table *t, double **num,
                 const char ***str)
{
  size_t n = curves ? sp_diagram_curves_nrow(d) * SP_DIAGRAM_CURVES_NCOL
                    : d->nx * d->ny * sp_diagram_grid_ncol(d);
  *num = malloc((n ? n : 1) * sizeof **num);
  *str = calloc(n ? n : 1, sizeof **str);
  if ((!*num || !*str) && curves)
    return cli_error(CLI_FAIL, "out of memory");
  if (!*num || !*str)
    return cli_error(CLI_FAIL, "out of memory for a %zu-point table", d->nx * d->ny);
  int s = curves ? sp_diagram_curves_table(d, *num, *str, t)
                 : sp_diagram_grid_table(d, *num, *str, t);
  return s ? cli_status(s, "diagram") : CLI_OK;
}

static int build_figure(const sp_diagram_data *d, const options *o, const char *title,
                        sp_plot **out)
{
  sp_plot *p;
  int s = cli_figure_alloc(&o->fig, 1, 1, &p);
  if (s)
    return s;
  sp_diagram_figure_options fo;
  sp_diagram_figure_options_default(&fo);
  fo.colormap = o->cm;
  fo.range_lo = o->range.lo;
  fo.range_hi = o->range.hi;
  fo.mark = o->mark;
  fo.mark_x = o->mark_x;
  fo.mark_y = o->mark_y;
  s = sp_diagram_figure_draw(p, d, &fo, title);
  return cli_figure_done(p, s, out);
}

static void add_meta(cli_meta *meta, const sp_diagram_data *d)
{
  const sp_axis *ax[2] = {&d->x, &d->y};
  const char *key[2] = {"x", "y"};
  char a[40], b[40];
  for (int i = 0; i < 2; i++) {
    sp_io_format_double(a, sizeof a, ax[i]->min);
    sp_io_format_double(b, sizeof b, ax[i]->max);
    cli_meta_add(meta, key[i], "%s from %s to %s, %zu points, %s spacing", ax[i]->param->name,
                 a, b, ax[i]->n, ax[i]->spacing == SP_SPACING_LOG ? "log" : "linear");
  }
  sp_io_format_double(a, sizeof a, d->opt.rho_max);
  cli_meta_add(meta, "rho-max", "%s (rank-collapse when rho_L >= rho-max)", a);
  if (isnan(d->opt.y2_max)) {
    cli_meta_add(meta, "y2-max", "none (entropy-collapse when a block's attention input is "
                 "frozen)");
  } else {
    sp_io_format_double(a, sizeof a, d->opt.y2_max);
    cli_meta_add(meta, "y2-max", "%s (entropy-collapse when the largest E Y2 >= y2-max)", a);
  }
  if (!isnan(d->opt.grad_fraction)) {
    sp_io_format_double(a, sizeof a, d->opt.grad_fraction);
    sp_io_format_double(b, sizeof b, d->grad_max);
    cli_meta_add(meta, "overlay-gradient", "%s (curve grad_wq = %s times its grid maximum %s)",
                 a, a, b);
  }
  if (d->opt.lambda_g)
    cli_meta_add(meta, "overlay-lambda-g", "yes (curve lambda_g = 0)");
  cli_meta_add(meta, "classes", "%zu trainable, %zu rank-collapse, %zu entropy-collapse, %zu "
               "undefined", d->count[SP_CLASS_TRAINABLE], d->count[SP_CLASS_RANK_COLLAPSE],
               d->count[SP_CLASS_ENTROPY_COLLAPSE], d->count[SP_CLASS_UNDEFINED]);
}

static void options_default(options *o)
{
  memset(o, 0, sizeof *o);
  o->x = (sp_axis){sp_param_lookup("beta"), 0.0, 5.0, 201, SP_SPACING_LINEAR};
  o->y = (sp_axis){sp_param_lookup("alpha-sa"), 0.0, 5.0, 201, SP_SPACING_LINEAR};
  o->rho_max = 0.9;
  o->range.lo = o->range.hi = NAN;
  o->y2_max = NAN;
  o->grad_fraction = NAN;
  o->cm = sp_colormap_lookup("viridis");
  cli_figure_default(&o->fig, 252.0, 240.0);
}

static int check(const sp_model *m, const options *o)
{
  int r;
  if (same_param(o->x.param, o->y.param))
    return cli_error(CLI_USAGE, "--x and --y: both sweep %s; choose two different parameters",
                     o->x.param->name);
  if ((r = check_outputs(o)))
    return r;
  if ((r = cli_model_check_sweep(m, "diagram")) || (r = check_corners(m, o)))
    return r;
  if (o->x.n > SP_GRID_MAX / o->y.n)
    return cli_error(CLI_USAGE, "--x and --y: %zu x %zu = %.0f points is over the limit of %d "
                     "points in a grid", o->x.n, o->y.n, (double)o->x.n * (double)o->y.n,
                     SP_GRID_MAX);
  if (o->mark) {
    int inx = o->mark_x >= o->x.min && o->mark_x <= o->x.max;
    int iny = o->mark_y >= o->y.min && o->mark_y <= o->y.max;
    if (!inx || !iny)
      return cli_error(CLI_USAGE, "--mark %g,%g: outside the diagram ([%g, %g] x [%g, %g])",
                       o->mark_x, o->mark_y, o->x.min, o->x.max, o->y.min, o->y.max);
  }
  return CLI_OK;
}

/* Sweep and draw the curves; *d allocated (caller frees, also on error). */
static int run(const sp_model *m, const options *o, sp_diagram **d)
{
  sp_diagram_options opt;
  sp_diagram_options_default(&opt);
  opt.rho_max = o->rho_max;
  opt.y2_max = o->y2_max;
  opt.threads = (unsigned)o->threads;
  opt.grad_fraction = o->grad_fraction;
  opt.lambda_g = o->lambda_g;
  if (!o->quiet && isatty(STDERR_FILENO) && cli_mpi_size() == 1)
    opt.progress = progress;
  int s = sp_diagram_alloc(m, &o->x, &o->y, &opt, d);
  if (s)
    return cli_status(s, "diagram");
  int r = cli_diagram_sweep(*d, "diagram", !o->quiet); /* over the MPI ranks */
  if (r)
    return r;
  s = sp_diagram_curves(*d);
  return s ? cli_status(s, "diagram") : CLI_OK;
}

/* The grid table, the curves table (with --curves) and the figure (for
 * figure paths), written to the open outputs and committed. */
static int write_outputs(const sp_model *m, const options *o, const sp_diagram_data *d,
                         cli_outputs *files, cli_outputs *cfiles, int r)
{
  cli_meta meta;
  cli_meta_init(&meta, m);
  if (!r)
    add_meta(&meta, d);
  char title[160];
  if (o->fig.title)
    snprintf(title, sizeof title, "%s", o->fig.title);
  else
    cli_model_title(m, o->x.param, o->y.param, title, sizeof title);
  sp_plot *plot = NULL;
  sp_table grid = {0}, curves = {0};
  double *gnum = NULL, *cnum = NULL;
  const char **gstr = NULL, **cstr = NULL;
  int s;
  if (!r)
    r = table(d, 0, &grid, &gnum, &gstr);
  if (!r && o->curves)
    r = table(d, 1, &curves, &cnum, &cstr);
  if (!r && cli_outputs_figure(&o->out) && (s = build_figure(d, o, title, &plot)))
    r = cli_status(s, "diagram: figure");
  /* Both groups are written, then committed together: all or nothing. */
  r = cli_outputs_write(files, &grid, plot, o->fig.dpi, &meta, r);
  if (o->curves)
    r = cli_outputs_write(cfiles, &curves, NULL, 0.0, &meta, r);
  cli_outputs *groups[2] = {files, cfiles};
  r = cli_outputs_commit_all(groups, o->curves ? 2 : 1, r);
  sp_plot_free(plot);
  free(gnum);
  free(gstr);
  free(cnum);
  free(cstr);
  return r;
}

int cmd_diagram(int argc, char **argv)
{
  sp_model m;
  sp_model_default(&m);
  m.depth = 60;
  options o;
  options_default(&o);
  int r = parse(argc, argv, &m, &o);
  if (r)
    return r;
  if (!o.out.n) {
    o.out.v[o.out.n++] = "diagram.png";
    o.out.v[o.out.n++] = "diagram.pdf";
  }
  if ((r = check(&m, &o)))
    return r;
  /* Open every output first: a path that cannot be written fails the run
   * before the work, and nothing appears unless everything succeeds. */
  cli_outputs files, cfiles;
  cli_list clist = {{o.curves}, o.curves != NULL};
  if ((r = cli_outputs_begin(&files, &o.out)))
    return r;
  if (o.curves && (r = cli_outputs_begin(&cfiles, &clist)))
    return cli_outputs_end(&files, NULL, NULL, 0.0, NULL, r);
  sp_diagram *d = NULL;
  r = run(&m, &o, &d);
  r = write_outputs(&m, &o, sp_diagram_view(d), &files, &cfiles, r);
  sp_diagram_free(d);
  return r;
}
