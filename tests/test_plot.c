/* Rendering tests of the plot module: Cairo status, image size, pixel
 * colours of known heat-map cells, PDF and SVG structure, metadata, the
 * sticky error status, line plots with error bars.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "render_util.h"

#include <gsl/gsl_errno.h>

static void test_colormaps(void)
{
  size_t n;
  const sp_colormap *t = sp_colormap_table(&n);
  tap_ok(n == 4 && strcmp(t[0].name, "viridis") == 0, "four built-in colormaps, viridis first");
  const char *names[] = {"viridis", "cividis", "magma", "inferno"};
  int ok = 1;
  for (int i = 0; i < 4; i++) {
    const sp_colormap *c = sp_colormap_lookup(names[i]);
    ok &= c && c->n == 256;
  }
  tap_ok(ok && !sp_colormap_lookup("jet"), "lookup by name; unknown names give NULL");
  const sp_colormap *v = sp_colormap_lookup("viridis");
  double rgb[3];
  sp_colormap_eval(v, 0.0, rgb);
  ok = rgb[0] == 0.267004 && rgb[1] == 0.004874 && rgb[2] == 0.329415;
  sp_colormap_eval(v, 2.0, rgb);
  ok &= rgb[0] == v->rgb[255][0] && rgb[2] == v->rgb[255][2];
  tap_ok(ok, "viridis ends are the CSV's first and last rows (values clipped)");
  sp_colormap_eval(v, 0.5 / 255.0, rgb);
  tap_close(rgb[1], 0.5 * (v->rgb[0][1] + v->rgb[1][1]), 1e-15, "linear between entries");
  tap_ok(sp_colormap_eval(v, NAN, rgb) == SP_EDOM, "NaN: EDOM");
}

static void test_png(void)
{
  sp_plot *p = ru_figure();
  tap_ok(p && sp_plot_status(p) == SP_OK, "figure built, status OK");
  const char *path = ru_temp(".png");
  sp_meta meta[] = {{"sigprop", "0.1.0"}, {"command", "sigprop diagram --test"}, {"beta", "0.5"}};
  double dpi = 150.0;
  int s = ru_write(p, path, SP_FMT_PNG, dpi, meta, 3);
  tap_ok(s == SP_OK, "PNG written (%s)", sp_strerror(s));
  cairo_surface_t *img = cairo_image_surface_create_from_png(path);
  tap_ok(cairo_surface_status(img) == CAIRO_STATUS_SUCCESS, "PNG reads back with Cairo");
  int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
  tap_ok(w == (int)ceil(RU_W * dpi / 72.0) && h == (int)ceil(RU_H * dpi / 72.0),
         "image is ceil(size * dpi / 72) = %dx%d pixels", w, h);
  int ok = 1;
  for (int j = 0; j < RU_NY; j++)
    for (int i = 0; i < RU_NX; i++) {
      double u, v;
      sp_plot_locate(p, 0, 1.0 + i, 10.0 + 10.0 * j, &u, &v);
      /* Stay clear of the diagonal curve through (0.5, 5)-(5.5, 45). */
      int px = (int)(u * dpi / 72.0), py = (int)(v * dpi / 72.0) + (j == i ? 12 : 0);
      int got[3], want[3];
      ru_pixel(img, px, py, got);
      ru_expect(i, j, want);
      int same = got[0] == want[0] && got[1] == want[1] && got[2] == want[2];
      if (!same)
        tap_diag("cell (%d,%d) at pixel (%d,%d): got %d,%d,%d want %d,%d,%d", i, j, px, py,
                 got[0], got[1], got[2], want[0], want[1], want[2]);
      ok &= same;
    }
  tap_ok(ok, "every cell centre has exactly its colormap colour (NaN cell light grey)");
  /* Crisp cells: the pixel just inside a cell edge has the cell's colour. */
  double u0, v0, u1, v1;
  sp_plot_locate(p, 0, 1.5, 20.0, &u0, &v0); /* edge between cells 0 and 1 of row 1 */
  sp_plot_locate(p, 0, 1.0, 20.0, &u1, &v1);
  int a[3], b[3], wa[3], wb[3];
  ru_pixel(img, (int)floor(u0 * dpi / 72.0) - 2, (int)(v0 * dpi / 72.0), a);
  ru_pixel(img, (int)floor(u0 * dpi / 72.0) + 2, (int)(v0 * dpi / 72.0), b);
  ru_expect(0, 1, wa);
  ru_expect(1, 1, wb);
  tap_ok(a[0] == wa[0] && a[1] == wa[1] && b[0] == wb[0] && b[1] == wb[1],
         "nearest-neighbour cells: no blending two pixels from a cell edge");
  int white[3];
  ru_pixel(img, 1, 1, white);
  tap_ok(white[0] == 255 && white[1] == 255 && white[2] == 255, "white background");
  cairo_surface_destroy(img);
  size_t n;
  char *data = ru_slurp(path, &n);
  tap_ok(data && n > 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0
         && ru_contains(data, n, "iTXtDescription") && ru_contains(data, n, "sigprop diagram --test")
         && ru_contains(data, n, "beta: 0.5"),
         "PNG carries the command line and parameters in iTXt chunks");
  free(data);
  unlink(path);
  sp_plot_free(p);
}

static void test_vector(void)
{
  sp_plot *p = ru_figure();
  sp_meta meta[] = {{"sigprop", "0.1.0"}, {"command", "sigprop diagram --test <&>"}};
  const char *pdf = ru_temp(".pdf"), *svg = ru_temp(".svg");
  int s = ru_write(p, pdf, SP_FMT_PDF, 0.0, meta, 2);
  size_t n;
  char *d = ru_slurp(pdf, &n);
  tap_ok(s == SP_OK && d && n > 1000 && memcmp(d, "%PDF-", 5) == 0
         && ru_contains(d + n - 8, 8, "%%EOF"),
         "PDF written: %%PDF- magic and %%%%EOF trailer (%zu bytes)", n);
  tap_ok(d && ru_contains(d, n, "/Interpolate false"),
         "PDF heat map image is not interpolated (crisp cells)");
  tap_ok(d && ru_contains(d, n, "/Subject") && ru_contains(d, n, "/Creator"),
         "PDF metadata: Subject (command line) and Creator");
  free(d);
  s = ru_write(p, svg, SP_FMT_SVG, 0.0, meta, 2);
  d = ru_slurp(svg, &n);
  int ok = s == SP_OK && d && strncmp(d, "<?xml", 5) == 0 && ru_contains(d, n, "<svg")
           && ru_contains(d, n, "</svg>");
  tap_ok(ok, "SVG written with an XML declaration and a closed <svg> root");
  tap_ok(d && ru_contains(d, n, "<desc>sigprop diagram --test &lt;&amp;&gt;</desc>")
         && ru_contains(d, n, "width=\"250pt\""),
         "SVG: size in points, command line escaped in <desc>");
  tap_ok(d && ru_contains(d, n, "image-rendering"), "SVG heat map marked for crisp scaling");
  free(d);
  unlink(pdf);
  unlink(svg);

  FILE *full = fopen("/dev/full", "wb");
  if (full) {
    s = sp_plot_write(p, full, SP_FMT_PDF, 0.0, NULL, 0);
    fclose(full);
    tap_ok(s == SP_EIO && sp_plot_status(p) == SP_OK,
           "writing to a full device: EIO, and the figure stays usable");
  } else {
    tap_ok(1, "# SKIP no /dev/full");
  }
  sp_plot_free(p);
}

static void test_status(void)
{
  sp_plot *p = ru_figure();
  double z[1] = {0.0};
  int s = sp_plot_heatmap(p, 0, 1, 1, z, 0, 0, 0, 0, sp_colormap_lookup("magma"), 0, 1, NULL);
  tap_ok(s == SP_EINVAL && sp_plot_status(p) == SP_EINVAL, "a second heat map: EINVAL, sticky");
  double x = 1.0;
  tap_ok(sp_plot_series(p, 0, 1, &x, &x, NULL, NULL, NULL) == SP_EINVAL,
         "later calls return the first error");
  FILE *fp = tmpfile();
  tap_ok(sp_plot_write(p, fp, SP_FMT_PNG, 100.0, NULL, 0) == SP_EINVAL && ftell(fp) == 0,
         "nothing is written from a figure in error");
  fclose(fp);
  sp_plot_free(p);
  tap_ok(sp_plot_alloc(10.0, 100.0, 1, 1, &p) == SP_EINVAL && p == NULL, "too small: EINVAL");
  tap_ok(sp_plot_status(NULL) == SP_EINVAL, "NULL figure: EINVAL");
  sp_plot_free(NULL);
  sp_plot_alloc(100.0, 100.0, 1, 2, &p);
  tap_ok(sp_plot_set_axis(p, 2, 'x', NULL, SP_SCALE_LINEAR, NAN, NAN) == SP_EINVAL,
         "panel out of range: EINVAL");
  sp_plot_free(p);
  sp_plot_alloc(100.0, 100.0, 1, 1, &p);
  tap_ok(sp_plot_set_axis(p, 0, 'y', NULL, SP_SCALE_LOG, 0.0, 1.0) == SP_EDOM,
         "log axis from 0: EDOM");
  sp_plot_free(p);
}

static void test_lines(void)
{
  sp_plot *p;
  int s = sp_plot_alloc(500.0, 180.0, 1, 3, &p);
  enum { N = 30 };
  double x[N], y[N], e[N], y2[N];
  for (int i = 0; i < N; i++) {
    x[i] = i;
    y[i] = 1.0 - exp(-0.1 * i);
    e[i] = 0.02 + 0.001 * i;
    y2[i] = exp(-0.2 * i);
  }
  y[10] = NAN; /* a gap */
  sp_plot_style st;
  sp_plot_style_default(&st);
  st.marker = SP_MARKER_CIRCLE;
  st.width = 4.0;
  st.color[0] = 1.0;
  st.color[1] = st.color[2] = 0.0;
  for (int k = 0; k < 3 && !s; k++) {
    sp_plot_set_axis(p, (size_t)k, 'x', "layer ℓ", SP_SCALE_LINEAR, 0.0, N - 1);
    sp_plot_set_axis(p, (size_t)k, 'y', k == 2 ? "E Y^{(2)}" : "ρ_ℓ",
                     k == 2 ? SP_SCALE_LOG : SP_SCALE_LINEAR, NAN, NAN);
    sp_plot_series(p, (size_t)k, N, x, k == 2 ? y2 : y, k == 1 ? e : NULL, k == 0 ? &st : NULL,
                   "theory");
    sp_plot_series(p, (size_t)k, N, x, y2, NULL, NULL, "other");
    sp_plot_legend(p, (size_t)k, k == 2 ? SP_LEGEND_BELOW : SP_LEGEND_BEST);
    sp_plot_set_panel_title(p, (size_t)k, k == 0 ? "(a)" : k == 1 ? "(b)" : "(c)");
  }
  tap_ok(!s && sp_plot_status(p) == SP_OK, "three panels with error bars, log axis, legends");
  const char *path = ru_temp(".png");
  s = ru_write(p, path, SP_FMT_PNG, 72.0, NULL, 0);
  cairo_surface_t *img = cairo_image_surface_create_from_png(path);
  tap_ok(s == SP_OK && cairo_surface_status(img) == CAIRO_STATUS_SUCCESS
         && cairo_image_surface_get_width(img) == 500, "line plot rendered at 72 dpi");
  double u, v;
  sp_plot_locate(p, 0, x[20], y[20], &u, &v);
  int got[3];
  ru_pixel(img, (int)u, (int)v, got);
  tap_ok(got[0] > 200 && got[1] < 60 && got[2] < 60, "the red series passes through its data point "
         "(pixel %d,%d,%d)", got[0], got[1], got[2]);
  cairo_surface_destroy(img);
  unlink(path);
  const char *pdf = ru_temp(".pdf");
  tap_ok(ru_write(p, pdf, SP_FMT_PDF, 0.0, NULL, 0) == SP_OK, "line plot as PDF");
  unlink(pdf);
  sp_plot_free(p);
}

int main(void)
{
  gsl_set_error_handler_off();
  test_colormaps();
  test_png();
  test_vector();
  test_status();
  test_lines();
  return tap_done();
}
