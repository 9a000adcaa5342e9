/* The shared option tables: model, MLP, figure options; field splitting.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int cli_copy_spec(const char *opt, const char *spec, char *buf, size_t size)
{
  if (strlen(spec) >= size)
    return cli_error(CLI_USAGE, "--%s: too long", opt);
  strcpy(buf, spec);
  return CLI_OK;
}

int cli_list_each(const char *opt, const char *spec, size_t size, int keep_empty, int max,
                  int (*item)(void *base, const char *opt, const char *text), void *base)
{
  char buf[1024];
  if (cli_copy_spec(opt, spec, buf, size < sizeof buf ? size : sizeof buf))
    return CLI_USAGE;
  int n = 0;
  for (char *s = buf;;) {
    char *c = strchr(s, ',');
    if (c)
      *c = '\0';
    if (keep_empty || *s) {
      if (max && n == max)
        return cli_error(CLI_USAGE, "--%s: at most %d values", opt, max);
      int r = item(base, opt, s);
      if (r)
        return r;
      n++;
    }
    if (!c)
      return CLI_OK;
    s = c + 1;
  }
}

int cli_split_fields(const char *opt, const char *spec, char *buf, size_t size, char **field,
                     int max)
{
  if (cli_copy_spec(opt, spec, buf, size))
    return -1;
  int n = 0;
  for (char *s = buf; n < max;) {
    field[n++] = s;
    char *c = strchr(s, ':');
    if (!c)
      break;
    *c = '\0';
    s = c + 1;
  }
  return n;
}

int cli_parse_range(const char *opt, const char *spec, char *buf, size_t size, char **field,
                    double *min, double *max, long *n, int *log_spacing)
{
  int nf = cli_split_fields(opt, spec, buf, size, field, 5);
  if (nf < 0)
    return CLI_USAGE;
  if (nf < 3 || nf > (log_spacing ? 4 : 3))
    return cli_error(CLI_USAGE, "--%s: '%s' is not MIN:MAX:N%s", opt, spec,
                     log_spacing ? "[:log|lin]" : "");
  if (cli_parse_double(opt, field[0], min) || cli_parse_double(opt, field[1], max)
      || cli_parse_long(opt, field[2], n))
    return CLI_USAGE;
  if (log_spacing) {
    *log_spacing = 0;
    if (nf == 4 && cli_parse_spacing(opt, field[3], log_spacing))
      return CLI_USAGE;
  }
  return CLI_OK;
}

int cli_parse_pair(const char *opt, const char *s, double *a, double *b)
{
  char buf[128];
  if (cli_copy_spec(opt, s, buf, sizeof buf))
    return CLI_USAGE;
  char *comma = strchr(buf, ',');
  if (!comma)
    return cli_error(CLI_USAGE, "--%s: '%s' is not two numbers A,B", opt, s);
  *comma = '\0';
  if (cli_parse_double(opt, buf, a) || cli_parse_double(opt, comma + 1, b))
    return CLI_USAGE;
  return CLI_OK;
}

/* The model options are the library's (sp_modelopt): one object for the
 * run, whose table the model groups list and whose handlers they call. */
static sp_modelopt *model_state;
static sp_stds no_stds;

static sp_modelopt *state(void)
{
  if (!model_state && sp_modelopt_alloc(&model_state))
    return NULL;
  return model_state;
}

sp_modelopt *cli_model_options(void)
{
  return state();
}

const sp_stds *cli_model_stds(void)
{
  sp_modelopt *o = state();
  if (!o) {
    sp_stds_init(&no_stds);
    return &no_stds;
  }
  return sp_modelopt_stds(o);
}

const sp_preset *cli_model_preset(void)
{
  sp_modelopt *o = state();
  return o ? sp_modelopt_preset(o) : NULL;
}

const sp_config *cli_model_config(void)
{
  sp_modelopt *o = state();
  return o ? sp_modelopt_config(o) : NULL;
}

/* A library status of a model option as the program's error code. */
static int model_error(int status, const sp_modelopt *o)
{
  return cli_error(status == SP_EIO || status == SP_ENOMEM ? CLI_FAIL : CLI_USAGE, "%s",
                   sp_modelopt_error(o));
}

/* Apply one option of table `which` to the model at base (the command's). */
static int model_apply(sp_modelopt_table which, void *base, const cli_opt *opt, const char *v)
{
  sp_modelopt *o = state();
  if (!o)
    return cli_error(CLI_FAIL, "out of memory");
  sp_model *m = sp_modelopt_model(o);
  *m = *(sp_model *)base;
  int s = sp_modelopt_set(o, which, opt->name, v);
  *(sp_model *)base = *m;
  return s ? model_error(s, o) : CLI_OK;
}

static int model_call(void *base, const cli_opt *opt, const char *v)
{
  return model_apply(SP_MODELOPT_ALL, base, opt, v);
}

static int mlp_call(void *base, const cli_opt *opt, const char *v)
{
  return model_apply(SP_MODELOPT_MLP, base, opt, v);
}

static void model_show(const void *base, const cli_opt *o, char *buf, size_t size)
{
  sp_modelopt_show(base, o->name, buf, size);
}

/* The parser's entries of a library table, made once. */
#define MODEL_OPTS_MAX 64
static cli_opt model_opts[MODEL_OPTS_MAX], mlp_opts[MODEL_OPTS_MAX];
static size_t n_model_opts, n_mlp_opts;

static size_t entries(sp_modelopt_table which, cli_opt *opts, cli_opt_fn call)
{
  size_t n = 0;
  for (const sp_modelopt_entry *e; n < MODEL_OPTS_MAX && (e = sp_modelopt_entry_at(which, n));
       n++) {
    cli_opt o = {e->name, 0, CLI_OPT_CALL, 0, 0, 0, NULL, call, model_show, e->metavar,
                 e->help, e->nodefault ? CLI_OPT_NODEFAULT : 0};
    opts[n] = o;
  }
  return n;
}

cli_opt_group cli_mlp_model_group(sp_model *m)
{
  if (!n_mlp_opts)
    n_mlp_opts = entries(SP_MODELOPT_MLP, mlp_opts, mlp_call);
  cli_opt_group g = {"Model options (the MLP's)", mlp_opts, n_mlp_opts, m};
  return g;
}

cli_opt_group cli_model_group(sp_model *m)
{
  if (!n_model_opts)
    n_model_opts = entries(SP_MODELOPT_ALL, model_opts, model_call);
  cli_opt_group g = {"Model options (theory.md names; later options override earlier ones)",
                     model_opts, n_model_opts, m};
  return g;
}

/* ---- figure and output options ------------------------------------ */

static void size_show(const void *base, const cli_opt *o, char *buf, size_t size)
{
  const cli_figure *f = base;
  (void)o;
  if (f->width > 0.0)
    snprintf(buf, size, "%g,%g", f->width, f->height);
  else
    snprintf(buf, size, "the figure's layout");
}

static void dpi_show(const void *base, const cli_opt *o, char *buf, size_t size)
{
  const cli_figure *f = base;
  (void)o;
  snprintf(buf, size, "%g", f->dpi);
}

static const cli_opt figure_opts[] = {
  CLI_STRING("title", 0, cli_figure, title, "TEXT",
             "figure title ('' for none; _x and ^x make sub/superscripts)"),
  {"size", 0, CLI_OPT_CALL, 0, 0, 0, NULL, cli_figure_size_call, size_show, "W,H",
   "figure size: W,H or W×H in points, or with units px, in, cm, mm (3.25x2.5in, "
   "1200x800px); column (3.25 in wide) or page (6.75 in wide)", 0},
  {"dpi", 0, CLI_OPT_CALL, 0, 0, 0, NULL, cli_figure_dpi_call, dpi_show, "D",
   "PNG resolution, 10 to 2400", 0},
  {"font", 0, CLI_OPT_CALL, 0, 0, 0, NULL, cli_figure_font_call, NULL, "NAME",
   "font family, any that fontconfig lists [DejaVu Sans]", 0},
  CLI_DOUBLE("font-size", 0, cli_figure, font_size, 4.0, 72.0, "PT",
             "base font size in points (tick labels; other text scales with it) [7.5]"),
};

cli_opt_group cli_figure_group(cli_figure *f)
{
  cli_opt_group g = {"Figure options", figure_opts, sizeof figure_opts / sizeof figure_opts[0], f};
  return g;
}

int cli_model_check_sweep(const sp_model *m, const char *cmd)
{
  int r = cli_model_check(m);
  if (r)
    return r;
  (void)cmd;
  return CLI_OK;
}

int cli_model_check(const sp_model *m)
{
  sp_modelopt *o = state();
  if (!o)
    return cli_error(CLI_FAIL, "out of memory");
  return sp_modelopt_check(o, m) ? model_error(SP_EDOM, o) : CLI_OK;
}

int cli_figure_check(const cli_figure *f, const cli_list *out)
{
  double w = f->width, h = f->height;
  if (f->px_w > 0.0 && !(w >= 72.0 && w <= 7200.0 && h >= 72.0 && h <= 7200.0))
    return cli_error(CLI_USAGE, "--size: %gx%gpx at %g dpi is %.4gx%.4g points; both must lie in "
                     "[72, 7200]", f->px_w, f->px_h, f->dpi, w, h);
  double px = ceil(f->width * f->dpi / 72.0), py = ceil(f->height * f->dpi / 72.0);
  for (int i = 0; i < out->n; i++)
    if (sp_format_from_path(out->v[i]) == SP_FMT_PNG
        && (px > SP_PLOT_MAX_PIXELS || py > SP_PLOT_MAX_PIXELS))
      return cli_error(CLI_USAGE, "%s: the image would be %.0f x %.0f pixels at %g dpi; the "
                       "limit is %d pixels per side (lower --dpi or --size)", out->v[i], px, py,
                       f->dpi, SP_PLOT_MAX_PIXELS);
  return CLI_OK;
}

int cli_colormap_call(void *target, const cli_opt *o, const char *v)
{
  const sp_colormap **cm = target;
  (void)o;
  if (!(*cm = sp_colormap_lookup(v)))
    return cli_error(CLI_USAGE, "--colormap: '%s' is not one of viridis, cividis, magma, "
                     "inferno", v);
  return CLI_OK;
}

void cli_colormap_show(const void *target, const cli_opt *o, char *buf, size_t size)
{
  const sp_colormap *const *cm = target;
  (void)o;
  snprintf(buf, size, "%s", *cm ? (*cm)->name : "");
}

int cli_range_call(void *target, const cli_opt *o, const char *v)
{
  cli_range *range = target;
  char buf[96], *f[2];
  int nf = cli_split_fields(o->name, v, buf, sizeof buf, f, 2);
  if (nf < 0)
    return CLI_USAGE;
  if (nf != 2)
    return cli_error(CLI_USAGE, "--%s: '%s' is not LO:HI", o->name, v);
  double lo, hi;
  if (cli_parse_double(o->name, f[0], &lo) || cli_parse_double(o->name, f[1], &hi))
    return CLI_USAGE;
  if (!(lo < hi))
    return cli_error(CLI_USAGE, "--%s: %s: LO must be below HI", o->name, v);
  range->lo = lo;
  range->hi = hi;
  return CLI_OK;
}

int cli_parse_spacing(const char *opt, const char *s, int *log_spacing)
{
  static const cli_choice names[] = {{"log", 1}, {"lin", 0}, {"linear", 0}, {NULL, 0}};
  for (const cli_choice *c = names; c->name; c++)
    if (strcmp(s, c->name) == 0) {
      *log_spacing = c->value;
      return CLI_OK;
    }
  return cli_error(CLI_USAGE, "--%s: spacing '%s' is not 'log' or 'lin'", opt, s);
}
