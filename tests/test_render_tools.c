/* Rendering checked by outside tools: the PDF rasterised by pdftoppm has
 * the heat map's colours where the PNG has them, and the SVG parses as
 * XML (with python3's xml.dom.minidom).  Exit 77 (skip) without pdftoppm.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "render_util.h"

#include <gsl/gsl_errno.h>

static int have(const char *cmd)
{
  char buf[256];
  snprintf(buf, sizeof buf, "%s >/dev/null 2>&1", cmd);
  return system(buf) == 0;
}

int main(void)
{
  gsl_set_error_handler_off();
  if (!have("pdftoppm -v")) {
    printf("1..0 # SKIP pdftoppm not available\n");
    return 77;
  }
  sp_plot *p = ru_figure();
  const char *pdf = ru_temp(".pdf"), *png = ru_temp(".png"), *svg = ru_temp(".svg");
  tap_ok(ru_write(p, pdf, SP_FMT_PDF, 0.0, NULL, 0) == SP_OK, "PDF written");
  /* pdftoppm -singlefile writes PREFIX.png; use the temp name minus .png. */
  char prefix[256], cmd[1024];
  snprintf(prefix, sizeof prefix, "%.*s", (int)(strlen(png) - 4), png);
  snprintf(cmd, sizeof cmd, "pdftoppm -png -r 144 -singlefile '%s' '%s'", pdf, prefix);
  int rc = system(cmd);
  tap_ok(rc == 0, "pdftoppm rasterises the PDF");
  cairo_surface_t *img = cairo_image_surface_create_from_png(png);
  int ok = cairo_surface_status(img) == CAIRO_STATUS_SUCCESS;
  tap_ok(ok && cairo_image_surface_get_width(img) == 500
         && cairo_image_surface_get_height(img) == 400,
         "page is 250 x 200 pt (500 x 400 pixels at 144 dpi)");
  int cells = 1;
  for (int j = 0; ok && j < RU_NY; j++)
    for (int i = 0; i < RU_NX; i++) {
      double u, v;
      sp_plot_locate(p, 0, 1.0 + i, 10.0 + 10.0 * j, &u, &v);
      int got[3], want[3];
      ru_pixel(img, (int)(u * 2.0), (int)(v * 2.0) + (i == j ? 12 : 0), got);
      ru_expect(i, j, want);
      int close = abs(got[0] - want[0]) <= 3 && abs(got[1] - want[1]) <= 3
                  && abs(got[2] - want[2]) <= 3;
      if (!close)
        tap_diag("cell (%d,%d): got %d,%d,%d want %d,%d,%d", i, j, got[0], got[1], got[2],
                 want[0], want[1], want[2]);
      cells &= close;
    }
  tap_ok(ok && cells, "rasterised PDF: every cell centre within 3/255 of its colour");
  cairo_surface_destroy(img);

  tap_ok(ru_write(p, svg, SP_FMT_SVG, 0.0, NULL, 0) == SP_OK, "SVG written");
  if (have("python3 -c 'import xml.dom.minidom'")) {
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import sys, xml.dom.minidom as m; "
             "r = m.parse(sys.argv[1]).documentElement; "
             "sys.exit(0 if r.tagName == \"svg\" else 1)' '%s'", svg);
    tap_ok(system(cmd) == 0, "SVG is well-formed XML with an <svg> root");
  } else {
    tap_ok(1, "# SKIP python3 not available to parse the SVG");
  }
  unlink(pdf);
  unlink(png);
  unlink(svg);
  sp_plot_free(p);
  return tap_done();
}
