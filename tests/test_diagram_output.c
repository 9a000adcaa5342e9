/* Tests of the diagram's tables and figure (diagram_table, diagram_figure)
 * and of the model title: the tables against the diagram's own points and
 * curves, the figure drawn and written, every error path.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"
#include "test_util.h"

#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static sp_diagram *make(int lambda_g)
{
  sp_model m = tu_model("--depth 17 --rho0 0.0371");
  sp_axis x = {sp_param_lookup("beta"), 0.137, 3.71, 13, SP_SPACING_LINEAR};
  sp_axis y = {sp_param_lookup("alpha-sa"), 0.213, 2.93, 11, SP_SPACING_LOG};
  sp_diagram_options o;
  sp_diagram_options_default(&o);
  o.lambda_g = lambda_g;
  o.grad_fraction = 0.0173;
  o.threads = 2;
  sp_diagram *d;
  if (tu_diagram_run(&m, &x, &y, &o, 1, &d)) {
    printf("Bail out! diagram failed\n");
    exit(99);
  }
  return d;
}

static int same(double a, double b)
{
  return a == b || (isnan(a) && isnan(b));
}

/* A table of the diagram (sp_diagram_grid_table, sp_diagram_curves_table)
 * and its size (columns or rows) refuse NULL arguments. */
typedef int (*table_fn)(const sp_diagram_data *, double *, const char **, sp_table *);
static void check_null_arguments(const char *what, table_fn table,
                                 size_t (*size)(const sp_diagram_data *),
                                 const sp_diagram_data *v, double *num, const char **str)
{
  sp_table t;
  tap_ok(table(NULL, num, str, &t) == SP_EINVAL && table(v, NULL, str, &t) == SP_EINVAL
         && table(v, num, NULL, &t) == SP_EINVAL && size(NULL) == 0,
         "%s: NULL arguments are SP_EINVAL", what);
}

static void test_grid(int lambda_g)
{
  sp_diagram *d = make(lambda_g);
  const sp_diagram_data *v = sp_diagram_view(d);
  size_t n = v->nx * v->ny, nc = sp_diagram_grid_ncol(v);
  tap_ok(nc == (lambda_g ? 11u : 10u), "grid: %zu columns with lambda_g %d", nc, lambda_g);
  double *num = malloc(n * nc * sizeof *num);
  const char **str = malloc(n * nc * sizeof *str);
  sp_table t;
  memset(&t, 0, sizeof t);
  tap_ok(sp_diagram_grid_table(v, num, str, &t) == SP_OK && t.ncol == nc && t.nrow == n
         && strcmp(t.names[nc - 1], "class") == 0 && strcmp(t.names[2], "rho_final") == 0
         && (!lambda_g || strcmp(t.names[9], "lambda_g") == 0),
         "grid: %zu rows, the program's column names", n);
  int ok = 1;
  for (size_t k = 0; k < n; k++) {
    const sp_diagram_point *p = &v->pt[k];
    const double *r = num + k * nc;
    ok &= same(r[0], p->x) && same(r[1], p->y) && same(r[2], p->rho_final)
          && same(r[5], p->beta_ratio) && same(r[6], (double)p->frozen_layers)
          && same(r[8], p->grad_wq) && (!lambda_g || same(r[9], p->lambda_g));
    ok &= strcmp(str[k * nc + nc - 1], sp_class_name(p->cls)) == 0 && str[k * nc] == NULL;
  }
  tap_ok(ok, "grid: every row the point's numbers and class name");
  tap_ok(sp_diagram_grid_table(v, num, str, NULL) == SP_OK, "grid: no table view wanted");
  check_null_arguments("grid", sp_diagram_grid_table, sp_diagram_grid_ncol, v, num, str);
  free(num);
  free(str);
  sp_diagram_free(d);
}

static void test_curves(void)
{
  sp_diagram *d = make(1);
  const sp_diagram_data *v = sp_diagram_view(d);
  size_t n = sp_diagram_curves_nrow(v), want = 0;
  const sp_contour *c[] = {&v->rank, &v->entropy, &v->lambda0, &v->beta_c, &v->alpha_c, &v->grad,
                           &v->lambda_g0};
  for (size_t i = 0; i < 7; i++)
    for (size_t k = 0; k < c[i]->n; k++)
      want += c[i]->lines[k].n + (c[i]->lines[k].closed ? 1u : 0u);
  tap_ok(n == want && n > 0, "curves: %zu rows, every vertex (closed pieces closed)", n);
  double *num = malloc(n * 4 * sizeof *num);
  const char **str = malloc(n * 4 * sizeof *str);
  sp_table t;
  tap_ok(sp_diagram_curves_table(v, num, str, &t) == SP_OK && t.nrow == n && t.ncol == 4
         && strcmp(t.names[0], "curve") == 0, "curves: the table");
  /* The first rows are the first piece of the first curve there is. */
  size_t first = 0;
  while (first < 7 && !c[first]->n)
    first++;
  static const char *const names[] = {"rank", "entropy", "lambda0", "beta_c", "alpha_c", "grad",
                                      "lambda_g0"};
  tap_ok(first < 7 && strcmp(str[0], names[first]) == 0 && num[1] == 0.0
         && num[2] == c[first]->lines[0].x[0] && num[3] == c[first]->lines[0].y[0]
         && isnan(num[0]) && str[1] == NULL,
         "curves: row 0 is vertex 0 of %s", first < 7 ? names[first] : "?");
  check_null_arguments("curves", sp_diagram_curves_table, sp_diagram_curves_nrow, v, num, str);
  free(num);
  free(str);
  sp_diagram_free(d);
}

static void test_figure(void)
{
  sp_diagram *d = make(1);
  const sp_diagram_data *v = sp_diagram_view(d);
  sp_plot *p;
  sp_diagram_figure_options o;
  sp_diagram_figure_options_default(&o);
  tap_ok(o.colormap == sp_colormap_lookup("viridis") && isnan(o.range_lo) && !o.mark,
         "figure: defaults");
  tap_ok(sp_plot_alloc(252.0, 240.0, 1, 1, &p) == SP_OK, "figure: a plot");
  o.mark = 1;
  o.mark_x = 1.913;
  o.mark_y = 1.137;
  tap_ok(sp_diagram_figure_draw(p, v, &o, "a title") == SP_OK && sp_plot_status(p) == SP_OK,
         "figure: drawn with a mark");
  FILE *fp = tmpfile();
  int w = fp ? sp_plot_write(p, fp, SP_FMT_SVG, 72.0, NULL, 0) : SP_EIO;
  long size = fp ? ftell(fp) : -1L;
  tap_ok(w == SP_OK && size > 10000, "figure: written as SVG (%ld bytes)", size);
  if (fp)
    fclose(fp);
  sp_plot_free(p);
  sp_plot_alloc(252.0, 240.0, 1, 1, &p);
  tap_ok(sp_diagram_figure_draw(p, v, NULL, NULL) == SP_OK, "figure: NULL options and title");
  o.mark_x = 3.93;
  tap_ok(sp_diagram_figure_draw(p, v, &o, NULL) == SP_EINVAL, "figure: a mark outside");
  o.mark = 0;
  o.colormap = NULL;
  tap_ok(sp_diagram_figure_draw(p, v, &o, NULL) == SP_EINVAL, "figure: no colormap");
  tap_ok(sp_diagram_figure_draw(NULL, v, NULL, NULL) == SP_EINVAL
         && sp_diagram_figure_draw(p, NULL, NULL, NULL) == SP_EINVAL,
         "figure: NULL plot or diagram");
  sp_plot_style st;
  sp_plot_style_default(&st);
  tap_ok(sp_diagram_figure_contour(NULL, 0, &v->rank, &st, NULL) == SP_EINVAL
         && sp_diagram_figure_contour(p, 0, NULL, &st, NULL) == SP_EINVAL
         && sp_diagram_figure_contour(p, 0, &v->rank, NULL, NULL) == SP_EINVAL,
         "contour: NULL arguments");
  sp_contour empty = {0, NULL};
  tap_ok(sp_diagram_figure_contour(p, 0, &empty, &st, "x") == SP_OK, "contour: empty, nothing");
  sp_diagram_figure_options_default(NULL);
  sp_plot_free(p);
  sp_diagram_free(d);
}

static void test_title(void)
{
  sp_model m = tu_model("--depth 43 --beta 0.7173 --causal");
  char buf[160];
  sp_model_title(&m, NULL, NULL, NULL, buf, sizeof buf);
  tap_ok(strstr(buf, "post-LN decoder (causal)") == buf && strstr(buf, "L = 43")
         && strstr(buf, "β = 0.717"), "title: %s", buf);
  sp_preset *pre = malloc(sizeof *pre);
  sp_preset_error err;
  int s = pre ? sp_preset_load("gpt2-small", pre, &err) : SP_ENOMEM;
  sp_model_title(&m, s ? NULL : pre, sp_param_lookup("beta"), sp_param_lookup("depth"), buf,
                 sizeof buf);
  tap_ok(!s && strncmp(buf, "gpt2-small: ", 12) == 0 && !strstr(buf, "L =") && !strstr(buf, "β"),
         "title with a preset, beta and depth left out: %s", buf);
  free(pre);
  char small[9];
  sp_model_title(&m, NULL, NULL, NULL, small, sizeof small);
  tap_ok(strlen(small) == 8, "title: truncated to the buffer (%s)", small);
  buf[0] = 'x';
  sp_model_title(NULL, NULL, NULL, NULL, buf, sizeof buf);
  tap_ok(buf[0] == '\0', "title: NULL model, empty");
  sp_model_title(&m, NULL, NULL, NULL, NULL, 0);
  tap_ok(1, "title: NULL buffer, nothing written");
}

int main(void)
{
  gsl_set_error_handler_off();
  test_grid(0);
  test_grid(1);
  test_curves();
  test_figure();
  test_title();
  return tap_done();
}
