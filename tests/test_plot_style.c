/* Rendering tests of the figure style: overlapping series stay visible,
 * markers and error bars at the axis ends are whole, Title metadata is
 * plain text, PDFs are reproducible, heat-map colour ranges from the data.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "render_util.h"

#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DPI 144.0
#define K (DPI / 72.0)

/* Pixels of the image (inside the rectangle, in points) within `tol` of
 * colour c (8-bit RGB). */
static size_t count_colour(cairo_surface_t *img, const double c[3], int tol, double x0, double y0,
                           double x1, double y1)
{
  size_t n = 0;
  for (int y = (int)(y0 * K); y < (int)(y1 * K); y++)
    for (int x = (int)(x0 * K); x < (int)(x1 * K); x++) {
      int rgb[3];
      ru_pixel(img, x, y, rgb);
      int d = 0;
      for (int k = 0; k < 3; k++) {
        int dk = abs(rgb[k] - (int)floor(c[k] * 255.0 + 0.5));
        d = dk > d ? dk : d;
      }
      n += d <= tol;
    }
  return n;
}

/* Render p as PNG at DPI; NULL on failure. */
static cairo_surface_t *render(sp_plot *p)
{
  const char *path = ru_temp(".png");
  int s = ru_write(p, path, SP_FMT_PNG, DPI, NULL, 0);
  cairo_surface_t *img = s ? NULL : cairo_image_surface_create_from_png(path);
  unlink(path);
  if (img && cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(img);
    img = NULL;
  }
  return img;
}

/* Two series with the same data: y = a smooth curve over 37 points. */
static sp_plot *two_curves(const sp_plot_style *first, const sp_plot_style *second)
{
  enum { N = 37 };
  double x[N], y[N];
  for (int i = 0; i < N; i++) {
    x[i] = 0.173 * i;
    y[i] = tanh(0.61 * x[i] - 1.37) + 0.0419 * x[i];
  }
  sp_plot *p;
  if (sp_plot_alloc(233.0, 171.0, 1, 1, &p))
    return NULL;
  sp_plot_series(p, 0, N, x, y, NULL, first, "first");
  sp_plot_series(p, 0, N, x, y, NULL, second, "second");
  sp_plot_legend(p, 0, SP_LEGEND_BELOW);
  return p;
}

static const double blue[3] = {0.000, 0.447, 0.698}, vermillion[3] = {0.835, 0.369, 0.000};

static void test_overlap(void)
{
  /* Control: two solid lines without markers, explicit colours, identical
   * data: the second hides the first (so the check below can fail). */
  sp_plot_style a, b;
  sp_plot_style_default(&a);
  sp_plot_style_default(&b);
  memcpy(a.color, blue, sizeof a.color);
  memcpy(b.color, vermillion, sizeof b.color);
  sp_plot *p = two_curves(&a, &b);
  double ax, ay, bx, by;
  sp_plot_locate(p, 0, 0.0, -1.0, &ax, &ay);
  sp_plot_locate(p, 0, 6.3, 1.2, &bx, &by);
  cairo_surface_t *img = render(p);
  size_t n1 = img ? count_colour(img, blue, 40, ax, by, bx, ay) : 0;
  size_t n2 = img ? count_colour(img, vermillion, 40, ax, by, bx, ay) : 0;
  tap_ok(img && n1 < n2 / 20 && n2 > 200,
         "control: an explicit solid line hides an identical one (%zu vs %zu pixels)", n1, n2);
  if (img)
    cairo_surface_destroy(img);
  sp_plot_free(p);

  /* Automatic styles: the second gets a dash pattern and markers. */
  p = two_curves(NULL, NULL);
  img = render(p);
  n1 = img ? count_colour(img, blue, 40, ax, by, bx, ay) : 0;
  n2 = img ? count_colour(img, vermillion, 40, ax, by, bx, ay) : 0;
  tap_ok(img && n1 > 100 && n2 > 100,
         "identical data, automatic styles: both series visible (%zu and %zu pixels)", n1, n2);
  /* Markers: some vermillion pixels lie off the (1.2 pt) line, i.e. at
   * least 1.5 pt from every point of the curve's drawn centre line. */
  size_t wide = 0;
  for (int i = 2; i < 35 && img; i++) {
    double t = 0.173 * i, u, v;
    sp_plot_locate(p, 0, t, tanh(0.61 * t - 1.37) + 0.0419 * t, &u, &v);
    int rgb[3];
    ru_pixel(img, (int)(u * K), (int)((v - 1.8) * K), rgb);
    wide += abs(rgb[0] - 213) < 40 && abs(rgb[1] - 94) < 40 && rgb[2] < 60;
  }
  tap_ok(wide >= 2, "the second series carries markers wider than the line (%zu points)", wide);
  if (img)
    cairo_surface_destroy(img);
  sp_plot_free(p);
}

/* Is the disk of radius r around (u, v) (points) all colour c? */
static int disk_is(cairo_surface_t *img, double u, double v, double r, const double c[3])
{
  for (int dy = -2; dy <= 2; dy++)
    for (int dx = -2; dx <= 2; dx++) {
      if (dx * dx + dy * dy > 4)
        continue;
      int rgb[3];
      ru_pixel(img, (int)floor((u + r * dx / 2.0) * K), (int)floor((v + r * dy / 2.0) * K), rgb);
      for (int k = 0; k < 3; k++)
        if (abs(rgb[k] - (int)floor(c[k] * 255.0 + 0.5)) > 30)
          return 0;
    }
  return 1;
}

static void test_ends(void)
{
  enum { N = 5 };
  double x[N] = {0, 1, 2, 3, 4}, y[N] = {0.31, 0.47, 0.52, 0.83, 0.96};
  double e[N] = {0.043, 0.051, 0.038, 0.062, 0.057};
  sp_plot *p;
  sp_plot_alloc(211.0, 157.0, 1, 1, &p);
  sp_plot_set_axis(p, 0, 'x', "layer", SP_SCALE_LINEAR, 0.0, 4.0);
  sp_plot_set_axis(p, 0, 'y', "ρ", SP_SCALE_LINEAR, NAN, NAN);
  sp_plot_style st;
  sp_plot_style_default(&st);
  memcpy(st.color, vermillion, sizeof st.color);
  st.line = SP_LINE_NONE;
  st.marker = SP_MARKER_CIRCLE;
  st.marker_size = 6.0;
  sp_plot_series(p, 0, N, x, y, e, &st, NULL);
  cairo_surface_t *img = render(p);
  double u0, v0, u4, v4, uc, vc;
  sp_plot_locate(p, 0, x[0], y[0], &u0, &v0);
  sp_plot_locate(p, 0, x[4], y[4], &u4, &v4);
  sp_plot_locate(p, 0, x[2], y[2], &uc, &vc);
  /* r = 0.8 of the radius: the disk of the first and last markers, frame
   * line included, must be the marker's colour, as in the middle. */
  int mid = img && disk_is(img, uc, vc, 2.4, vermillion);
  int first = img && disk_is(img, u0, v0, 2.4, vermillion);
  int last = img && disk_is(img, u4, v4, 2.4, vermillion);
  tap_ok(mid && first && last, "markers at the first and last layer are whole, not cut by the "
         "frame (middle %d, first %d, last %d)", mid, first, last);
  /* Error-bar caps: half width 0.35 * 6 + 0.6 = 2.7 pt; 2 pt left of the
   * first point at the top of its bar must still be the cap. */
  double ut, vt;
  sp_plot_locate(p, 0, x[0], y[0] + e[0], &ut, &vt);
  int rgb[3] = {0, 0, 0};
  if (img)
    ru_pixel(img, (int)floor((ut - 2.0) * K), (int)floor(vt * K), rgb);
  tap_ok(rgb[0] > 150 && rgb[2] < 90, "the first error bar's cap is whole (pixel %d,%d,%d)",
         rgb[0], rgb[1], rgb[2]);
  if (img)
    cairo_surface_destroy(img);
  sp_plot_free(p);
}

/* Markers spread over the whole panel and a BEST legend: no spot inside
 * is free, so the legend must get a band of its own; every marker stays
 * its own colour (a legend box over it would pale it). */
static void test_legend(void)
{
  enum { N = 48 };
  double x[N], y[N];
  for (int i = 0; i < N; i++) {
    x[i] = 0.37 + (i % 8) * 1.13;
    y[i] = -0.71 + (i / 8) * 0.29 + 0.013 * (i % 3);
  }
  sp_plot *p;
  sp_plot_alloc(263.0, 197.0, 1, 1, &p);
  sp_plot_style st;
  sp_plot_style_default(&st);
  memcpy(st.color, vermillion, sizeof st.color);
  st.line = SP_LINE_NONE;
  st.marker = SP_MARKER_SQUARE;
  sp_plot_series(p, 0, N, x, y, NULL, &st, "measured points");
  sp_plot_style_default(&st);
  memcpy(st.color, blue, sizeof st.color);
  double lx[2] = {0.37, 8.28}, ly[2] = {-0.5, 0.6};
  sp_plot_series(p, 0, 2, lx, ly, NULL, &st, "a fitted line");
  sp_plot_legend(p, 0, SP_LEGEND_BEST);
  cairo_surface_t *img = render(p);
  int covered = 0;
  for (int i = 0; i < N && img; i++) {
    double u, v;
    sp_plot_locate(p, 0, x[i], y[i], &u, &v);
    int rgb[3];
    ru_pixel(img, (int)floor(u * K), (int)floor(v * K), rgb);
    /* the marker's vermillion, or the blue line drawn over it */
    int red = abs(rgb[0] - 213) < 30 && abs(rgb[1] - 94) < 30 && rgb[2] < 40;
    int line = rgb[0] < 40 && abs(rgb[2] - 178) < 40;
    covered += !red && !line;
  }
  tap_ok(img && covered == 0, "a legend with no free spot inside hides no marker (%d hidden)",
         covered);
  if (img)
    cairo_surface_destroy(img);
  sp_plot_free(p);
}

static void test_metadata(void)
{
  sp_plot *p = ru_figure();
  const char *png = ru_temp(".png"), *a = ru_temp(".pdf"), *b = ru_temp(".pdf");
  sp_meta meta[2] = {{"sigprop", "0.1.0"}, {"command", "sigprop diagram"}};
  int s = ru_write(p, png, SP_FMT_PNG, 72.0, meta, 2);
  size_t n = 0, na = 0, nb = 0;
  char *d = s ? NULL : ru_slurp(png, &n);
  tap_ok(d && ru_contains(d, n, "Title") && ru_contains(d, n, "test: σv2 and αSA")
         && !ru_contains(d, n, "σ_v^2"), "PNG Title is plain text (markup removed)");
  free(d);
  s = ru_write(p, a, SP_FMT_PDF, 0.0, meta, 2);
  s = s ? s : ru_write(p, b, SP_FMT_PDF, 0.0, meta, 2);
  char *da = s ? NULL : ru_slurp(a, &na), *db = s ? NULL : ru_slurp(b, &nb);
  tap_ok(da && db && na == nb && memcmp(da, db, na) == 0 && !ru_contains(da, na, "CreationDate"),
         "the same figure gives the same PDF bytes (no creation date)");
  tap_ok(da && ru_contains(da, na, "FontFile"), "PDF embeds its fonts");
  free(da);
  free(db);
  unlink(png);
  unlink(a);
  unlink(b);
  sp_plot_free(p);
}

static void test_auto_range(void)
{
  double z[6] = {0.213, 0.507, NAN, 1.289, 0.884, 0.341};
  sp_plot *p;
  sp_plot_alloc(200.0, 150.0, 1, 1, &p);
  const sp_colormap *cm = sp_colormap_lookup("viridis");
  int s = sp_plot_heatmap(p, 0, 3, 2, z, 0.0, 1.0, 0.0, 1.0, cm, NAN, NAN, "z");
  cairo_surface_t *img = s ? NULL : render(p);
  /* The smallest cell takes the first colour, the largest the last. */
  double u, v, w, h;
  sp_plot_locate(p, 0, 0.0, 0.0, &u, &v);
  sp_plot_locate(p, 0, 0.0, 1.0, &w, &h);
  int lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0};
  if (img) {
    ru_pixel(img, (int)(u * K), (int)(v * K), lo);
    ru_pixel(img, (int)(w * K), (int)(h * K), hi);
  }
  double c0[3], c1[3];
  sp_colormap_eval(cm, 0.0, c0);
  sp_colormap_eval(cm, 1.0, c1);
  tap_ok(img && abs(lo[0] - (int)floor(c0[0] * 255 + 0.5)) <= 1
         && abs(lo[1] - (int)floor(c0[1] * 255 + 0.5)) <= 1
         && abs(hi[1] - (int)floor(c1[1] * 255 + 0.5)) <= 1,
         "NaN colour range: from the data's minimum to its maximum (%d,%d,%d and %d,%d,%d)",
         lo[0], lo[1], lo[2], hi[0], hi[1], hi[2]);
  if (img)
    cairo_surface_destroy(img);
  sp_plot_free(p);
  sp_plot_alloc(200.0, 150.0, 1, 1, &p);
  tap_ok(sp_plot_heatmap(p, 0, 3, 2, z, 0.0, 1.0, 0.0, 1.0, cm, 2.0, NAN, NULL) == SP_EDOM,
         "a given minimum above the data's maximum: EDOM");
  sp_plot_free(p);
}

int main(void)
{
  gsl_set_error_handler_off();
  test_overlap();
  test_ends();
  test_legend();
  test_metadata();
  test_auto_range();
  return tap_done();
}
