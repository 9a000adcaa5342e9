/* The figure options every drawing command shares: sizes with units and
 * presets, the PNG resolution, the font; and the empty figure they make.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Points per unit `u` ("" is points); px needs dpi > 0.  0 when unknown. */
static double unit_points(const char *u, double dpi)
{
  if (!*u || strcmp(u, "pt") == 0)
    return 1.0;
  if (strcmp(u, "in") == 0)
    return 72.0;
  if (strcmp(u, "cm") == 0)
    return 72.0 / 2.54;
  if (strcmp(u, "mm") == 0)
    return 72.0 / 25.4;
  if (strcmp(u, "px") == 0 && dpi > 0.0)
    return 72.0 / dpi;
  return 0.0;
}

/* One number with an optional unit, "3.25in"; the unit goes to unit[4]. */
static int number_unit(const char *s, double *v, char unit[4])
{
  char *end;
  *v = strtod(s, &end);
  if (end == s || !isfinite(*v) || strlen(end) > 3)
    return -1;
  strcpy(unit, end);
  return 0;
}

/* Split "W,H", "WxH" or "W×H" at the separator; 0 when there is none. */
static char *size_separator(char *s, size_t *len)
{
  char *c = strchr(s, ',');
  *len = 1;
  if (!c && (c = strstr(s, "\xc3\x97")))
    *len = 2;
  if (!c)
    c = strchr(s, 'x'); /* the first: "3x2px" */
  return c;
}

int cli_size_parse(const char *v, double dpi, double *width, double *height, int *px)
{
  char buf[64], u1[4], u2[4];
  double w, h;
  *px = 0;
  if (strcmp(v, "column") == 0 || strcmp(v, "page") == 0) {
    /* One journal column (3.25 in) or the page (6.75 in) wide, as tall
     * as the command's figure but at most 0.8 times the width. */
    w = strcmp(v, "column") == 0 ? 234.0 : 486.0;
    h = *height > 0.0 ? fmin(*height, 0.8 * w) : 0.0; /* 0: the layout's (cli_figure_alloc_laid_out) */
    *width = w;
    *height = h;
    return CLI_OK;
  }
  size_t len;
  char *sep = strlen(v) < sizeof buf ? size_separator(strcpy(buf, v), &len) : NULL;
  if (!sep)
    return cli_error(CLI_USAGE, "--size: '%s' is not W,H or W×H (units pt, px, in, cm, mm; "
                     "or column, page)", v);
  *sep = '\0';
  if (number_unit(buf, &w, u1) || number_unit(sep + len, &h, u2))
    return cli_error(CLI_USAGE, "--size: '%s' is not two numbers with units", v);
  if (!*u1)
    strcpy(u1, u2); /* "3.25x2.5in": the unit of both */
  if (!*u2)
    strcpy(u2, u1);
  double k1 = unit_points(u1, dpi), k2 = unit_points(u2, dpi);
  if (!(k1 > 0.0 && k2 > 0.0))
    return cli_error(CLI_USAGE, "--size: %s: units are pt (the default), px, in, cm or mm", v);
  *px = strcmp(u1, "px") == 0 && strcmp(u2, "px") == 0;
  if (*px) { /* in points once the resolution is final: cli_figure_check */
    if (!(w > 0.0 && h > 0.0))
      return cli_error(CLI_USAGE, "--size: %s: a size in pixels must be positive", v);
    *width = w;
    *height = h;
    return CLI_OK;
  }
  *width = w * k1;
  *height = h * k2;
  if (!(*width >= 72.0 && *width <= 7200.0 && *height >= 72.0 && *height <= 7200.0))
    return cli_error(CLI_USAGE, "--size: %s: width and height must lie in [72, 7200] points "
                     "(1 to 100 inches)", v);
  return CLI_OK;
}

/* Points from the pixel size at the current resolution (checked by
 * cli_figure_check once every option is read: --dpi may come later). */
static int figure_px(cli_figure *f)
{
  f->width = f->px_w * 72.0 / f->dpi;
  f->height = f->px_h * 72.0 / f->dpi;
  return CLI_OK;
}

int cli_figure_size_call(void *base, const cli_opt *o, const char *v)
{
  cli_figure *f = base;
  double w = f->width, h = f->height;
  int px;
  (void)o;
  if (cli_size_parse(v, f->dpi, &w, &h, &px))
    return CLI_USAGE;
  f->px_w = px ? w : 0.0;
  f->px_h = px ? h : 0.0;
  if (px)
    return figure_px(f);
  f->width = w;
  f->height = h;
  return CLI_OK;
}

int cli_figure_dpi_call(void *base, const cli_opt *o, const char *v)
{
  cli_figure *f = base;
  if (cli_parse_dpi(v, &f->dpi))
    return CLI_USAGE;
  (void)o;
  return f->px_w > 0.0 ? figure_px(f) : CLI_OK;
}

int cli_figure_font_call(void *base, const cli_opt *o, const char *v)
{
  cli_figure *f = base;
  (void)o;
  /* The family fontconfig would use for the name must be that family. */
  FcPattern *pat = FcNameParse((const FcChar8 *)v);
  FcResult res;
  FcPattern *match = NULL;
  FcChar8 *fam = NULL;
  int found = 0;
  if (pat && *v && FcConfigSubstitute(NULL, pat, FcMatchPattern)) {
    FcDefaultSubstitute(pat);
    match = FcFontMatch(NULL, pat, &res);
    for (int i = 0; match && FcPatternGetString(match, FC_FAMILY, i, &fam) == FcResultMatch; i++)
      found |= strcasecmp((const char *)fam, v) == 0;
  }
  if (match)
    FcPatternDestroy(match);
  if (pat)
    FcPatternDestroy(pat);
  if (!found)
    return cli_error(CLI_USAGE, "--font: no font family '%s' is installed (fc-list : family "
                     "lists them)", v);
  f->font = v;
  return CLI_OK;
}

void cli_figure_default(cli_figure *f, double width, double height)
{
  f->width = width;
  f->height = height;
  f->dpi = CLI_FIGURE_DPI;
}

int cli_figure_alloc(const cli_figure *f, size_t rows, size_t cols, sp_plot **out)
{
  int s = sp_plot_alloc(f->width, f->height, rows, cols, out);
  if (!s && (f->font || f->font_size > 0.0))
    s = sp_plot_set_font(*out, f->font, f->font_size > 0.0 ? f->font_size : 7.5);
  if (s) {
    sp_plot_free(*out);
    *out = NULL;
  }
  return s;
}

int cli_figure_alloc_laid_out(const cli_figure *f, double width, double height, size_t rows,
                              size_t cols, sp_plot **out)
{
  cli_figure laid = *f;
  if (!(laid.width > 0.0)) {
    laid.width = width;
    laid.height = height;
  } else if (!(laid.height > 0.0)) {
    laid.height = fmin(height, 0.8 * laid.width);
  }
  return cli_figure_alloc(&laid, rows, cols, out);
}

int cli_figure_done(sp_plot *p, int status, sp_plot **out)
{
  if (status == SP_OK)
    status = sp_plot_status(p);
  if (status != SP_OK) {
    sp_plot_free(p);
    return status;
  }
  *out = p;
  return SP_OK;
}
