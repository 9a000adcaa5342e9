/* Helpers shared by the rendering tests: a small figure with a known heat
 * map, temporary files, PNG pixels.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_RENDER_UTIL_H
#define SIGPROP_RENDER_UTIL_H

#include "sigprop.h"
#include "tap.h"

#include <cairo.h>
#include <stdint.h>
#include <unistd.h>

#define RU_NX 5
#define RU_NY 4
#define RU_W 250.0
#define RU_H 200.0

/* z of cell (i, j): a ramp with one NaN cell. */
static inline double ru_z(int i, int j)
{
  if (i == 3 && j == 2)
    return NAN;
  return (double)(i + RU_NX * j) / (RU_NX * RU_NY - 1);
}

/* A figure with a 5 x 4 heat map over [1, 5] x [10, 40] (cell centres),
 * a title with markup, labels, and one labelled curve. */
static inline sp_plot *ru_figure(void)
{
  sp_plot *p;
  if (sp_plot_alloc(RU_W, RU_H, 1, 1, &p) != SP_OK)
    return NULL;
  double z[RU_NX * RU_NY];
  for (int j = 0; j < RU_NY; j++)
    for (int i = 0; i < RU_NX; i++)
      z[j * RU_NX + i] = ru_z(i, j);
  sp_plot_set_title(p, "test: σ_v^2 and α_{SA}");
  sp_plot_set_axis(p, 0, 'x', "β", SP_SCALE_LINEAR, NAN, NAN);
  sp_plot_set_axis(p, 0, 'y', "α_{SA}", SP_SCALE_LINEAR, NAN, NAN);
  sp_plot_heatmap(p, 0, RU_NX, RU_NY, z, 1.0, 5.0, 10.0, 40.0, sp_colormap_lookup("viridis"),
                  0.0, 1.0, "ρ_L");
  double x[2] = {0.5, 5.5}, y[2] = {5.0, 45.0};
  sp_plot_series(p, 0, 2, x, y, NULL, NULL, "a diagonal");
  sp_plot_legend(p, 0, SP_LEGEND_BELOW);
  return p;
}

/* Expected 8-bit RGB of a cell (the rounding plot.c uses). */
static inline void ru_expect(int i, int j, int rgb[3])
{
  double c[3] = {0.85, 0.85, 0.85};
  double z = ru_z(i, j);
  if (!isnan(z))
    sp_colormap_eval(sp_colormap_lookup("viridis"), z, c);
  for (int k = 0; k < 3; k++)
    rgb[k] = (int)floor(c[k] * 255.0 + 0.5);
}

/* RGB of pixel (x, y) of an RGB24/ARGB32 image surface. */
static inline void ru_pixel(cairo_surface_t *s, int x, int y, int rgb[3])
{
  cairo_surface_flush(s);
  const unsigned char *d = cairo_image_surface_get_data(s);
  uint32_t v = *(const uint32_t *)(const void *)(d + (size_t)y * (size_t)cairo_image_surface_get_stride(s)
                                                  + 4 * (size_t)x);
  rgb[0] = (int)((v >> 16) & 255);
  rgb[1] = (int)((v >> 8) & 255);
  rgb[2] = (int)(v & 255);
}

/* A fresh temporary path ending in `suffix`; the caller unlinks it. */
static inline const char *ru_temp(const char *suffix)
{
  static char buf[8][256];
  static int k;
  char *b = buf[k++ % 8];
  const char *dir = getenv("TMPDIR");
  snprintf(b, 256, "%s/sigprop-test-XXXXXX%s", dir && *dir ? dir : "/tmp", suffix);
  int fd = mkstemps(b, (int)strlen(suffix));
  if (fd < 0) {
    printf("Bail out! cannot create a temporary file\n");
    exit(99);
  }
  close(fd);
  return b;
}

static inline int ru_write(sp_plot *p, const char *path, sp_format fmt, double dpi,
                           const sp_meta *meta, size_t nmeta)
{
  FILE *fp = fopen(path, "wb");
  if (!fp)
    return SP_EIO;
  int s = sp_plot_write(p, fp, fmt, dpi, meta, nmeta);
  if (fclose(fp) != 0 && !s)
    s = SP_EIO;
  return s;
}

/* Whole file into memory (NUL-terminated); *n its size. */
static inline char *ru_slurp(const char *path, size_t *n)
{
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return NULL;
  fseek(fp, 0, SEEK_END);
  long len = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  char *d = malloc((size_t)len + 1);
  if (d && fread(d, 1, (size_t)len, fp) != (size_t)len) {
    free(d);
    d = NULL;
  }
  fclose(fp);
  if (d) {
    d[len] = '\0';
    *n = (size_t)len;
  }
  return d;
}

static inline int ru_contains(const char *hay, size_t n, const char *needle)
{
  size_t k = strlen(needle);
  for (size_t i = 0; i + k <= n; i++)
    if (memcmp(hay + i, needle, k) == 0)
      return 1;
  return 0;
}

#endif
