/* sigprop: figures with Cairo -- heat maps with colorbars, curves with
 * error bars and legends, several panels -- written as PNG, PDF or SVG by
 * one drawing routine.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_PLOT_H
#define SIGPROP_PLOT_H

#include "sigprop/export.h"
#include <stddef.h>
#include <stdio.h>

#include "sigprop/colormap.h"
#include "sigprop/io.h"

SP_BEGIN_DECLS

/** A figure: a grid of panels (rows x cols, numbered row by row from the
 * top left), each with two axes and any number of layers, plus an
 * optional title and a legend band.  Opaque; every function that takes
 * it returns a status, and the first error is sticky, as in Cairo: once
 * a call fails, the figure keeps that status (sp_plot_status), later
 * calls do nothing and return it, and nothing can be written.
 *
 * Text is drawn with Cairo's font selection ("DejaVu Sans" by default),
 * in UTF-8 with a small markup for mathematical labels: '_x' and '^x'
 * make the next character (or the {braced} group) a subscript or a
 * superscript, a subscript followed by a superscript is stacked (σ_v^2),
 * and '\\' makes the next character literal.  This is the markup of
 * sp_param.label. */
typedef struct sp_plot sp_plot;

/** Scale of an axis. */
typedef enum {
  SP_SCALE_LINEAR, /**< linear */
  SP_SCALE_LOG     /**< logarithmic, base 10; values <= 0 are not drawn */
} sp_scale;

/** Line pattern of a series. */
typedef enum {
  SP_LINE_SOLID, SP_LINE_DASHED, SP_LINE_DOTTED, SP_LINE_DASHDOT,
  SP_LINE_NONE /**< markers only */
} sp_line;

/** Marker drawn at every point of a series. */
typedef enum {
  SP_MARKER_NONE, SP_MARKER_CIRCLE, SP_MARKER_SQUARE, SP_MARKER_TRIANGLE,
  SP_MARKER_DIAMOND, SP_MARKER_CROSS, SP_MARKER_PLUS, SP_MARKER_STAR
} sp_marker;

/** How a series looks.  Lengths in points (1/72 inch). */
typedef struct {
  double color[3];       /**< RGB in [0, 1]; a negative color[0] takes the
                              panel's next colour of a colour-blind-safe
                              palette */
  double width;          /**< line width, > 0 */
  sp_line line;
  sp_marker marker;
  double marker_size;    /**< marker diameter, > 0 */
  double halo;           /**< width of an outline drawn under the line and
                              markers (0: none), for contrast on heat maps */
  double halo_color[3];  /**< its colour */
} sp_plot_style;

/** Automatic colour, solid line 1.2 pt, no marker (size 4.5 pt when one
 * is chosen), no halo (white when one is chosen). */
void sp_plot_style_default(sp_plot_style *s);

/** The default style (sp_plot_style_default) with a fixed colour (r, g, b,
 * each in [0, 1]), line width `width` (pt, > 0) and dash pattern `line`,
 * and a halo `halo` pt wide (0: none) in colour (hr, hg, hb): the style of
 * an overlay curve on a heat map.  Values are stored, not checked
 * (sp_plot_series checks them). */
void sp_plot_style_line(sp_plot_style *s, double r, double g, double b, double width, sp_line line,
                        double halo, double hr, double hg, double hb);

/** Where a panel's legend goes. */
typedef enum {
  SP_LEGEND_NONE,  /**< no legend (the default) */
  SP_LEGEND_BEST,  /**< inside the axes, in the corner that hides the
                        fewest data points; when every spot hides some,
                        the y range grows upwards to give the legend a
                        band of its own (up to 0.6 of the panel), else it
                        goes beside the axes if the panels stay wide
                        enough (legend at most 0.3 of a column) */
  SP_LEGEND_BELOW  /**< in a band under all the panels, entries flowing in
                        rows across the figure, spread evenly over the rows
                        they need (one such legend per figure) */
} sp_legend;

/** A new figure of `width` x `height` points (each in [36, 14400]) with
 * rows x cols panels (1 to 64 of them).  SP_EINVAL for bad sizes or
 * counts, SP_ENOMEM; *out is NULL on error.  Free with sp_plot_free(). */
int sp_plot_alloc(double width, double height, size_t rows, size_t cols, sp_plot **out);

/** Release `p`; NULL is a no-op. */
void sp_plot_free(sp_plot *p);

/** SP_OK, or the first error of `p` (SP_EINVAL for NULL). */
int sp_plot_status(const sp_plot *p);

/** Size of the PNG image of `p` at `dpi`: ceil(width dpi / 72) by
 * ceil(height dpi / 72) pixels in *px and *py.  Rendering it holds an image
 * of 4 bytes per pixel; Cairo refuses more than SP_PLOT_MAX_PIXELS per side
 * (sp_plot_write then returns SP_EINVAL).  SP_EINVAL for NULL arguments or
 * a non-finite or non-positive dpi. */
int sp_plot_raster_size(const sp_plot *p, double dpi, double *px, double *py);

/** Most pixels per side of a PNG (Cairo's image surface limit). */
#define SP_PLOT_MAX_PIXELS 32767

/** Font family (as Cairo's toy font API understands it; NULL keeps the
 * current one) and base size in points (tick labels; other text scales
 * with it), in [4, 72].  Default "DejaVu Sans", 7.5 pt. */
int sp_plot_set_font(sp_plot *p, const char *family, double size);

/** Title over the panels (markup; NULL or "" for none); copied. */
int sp_plot_set_title(sp_plot *p, const char *markup);

/** Small title over one panel (e.g. "(a)"; NULL or "" for none); copied. */
int sp_plot_set_panel_title(sp_plot *p, size_t panel, const char *markup);

/** Label (markup, copied; NULL for none), scale and range of axis `axis`
 * ('x' or 'y') of `panel`.  A NaN min or max is chosen from the data: the
 * heat map's extent, else the range of the series (with their error bars)
 * plus 4 % on each side.  SP_EINVAL for a bad panel or axis, SP_EDOM for a
 * range with min >= max or a log range that is not positive. */
int sp_plot_set_axis(sp_plot *p, size_t panel, char axis, const char *label, sp_scale scale,
                     double min, double max);

/** A heat map on `panel`: cell (i, j) of nx x ny (each >= 1), coloured by
 * z[j * nx + i] through colormap `cm` (zmin -> first entry, zmax -> last,
 * values clipped; NaN cells light grey; a NaN zmin or zmax is taken
 * from the finite values of z), is centred at the i-th of nx
 * points from x0 to x1 (equally spaced on the axis' scale -- set the
 * axis scale first) and likewise in y.  The cells are drawn as one image
 * with nearest-neighbour filtering, so they stay crisp at any
 * magnification in every format.  A colorbar with ticks and the label
 * `zlabel` (markup; may be NULL) is drawn at the panel's right.  One heat
 * map per panel; the data are copied.  SP_EINVAL for bad sizes, a NULL
 * array or colormap, a second heat map; SP_EDOM for zmin >= zmax, x0 >= x1
 * or y0 >= y1 when there is more than one cell, or non-positive ends on a
 * log axis. */
int sp_plot_heatmap(sp_plot *p, size_t panel, size_t nx, size_t ny, const double *z, double x0,
                    double x1, double y0, double y1, const sp_colormap *cm, double zmin,
                    double zmax, const char *zlabel);

/** A series of n >= 1 points (x[k], y[k]) on `panel`, drawn in the order
 * added: a polyline broken at NaN (or, on log axes, non-positive)
 * values, markers, and when `yerr` is not NULL vertical error bars
 * y[k] +- yerr[k] with caps (NaN or 0 for none).
 *
 * A series with the automatic style (automatic colour, solid line, no
 * marker) whose line lies on an earlier series (half of its points
 * within a line width) is drawn with the next dash pattern and marker of
 * a fixed cycle (dashed + circles, dotted + squares, dash-dot +
 * triangles, ...; markers at about nine points, clear of the frame), the
 * same series index in every panel, so that overlapping curves stay
 * visible in colour and in grey.  An axis whose series' values are all
 * whole numbers gets whole-number ticks only.  Axis ends (automatic or
 * set) are pushed out just enough that markers and error-bar caps of
 * points inside the range are not cut by the frame.  `style` NULL means
 * sp_plot_style_default.  `label` (markup; NULL for none) names it in the
 * legend.  The data are copied.  SP_EINVAL for NULL arrays or n = 0, SP_EDOM
 * for a bad style. */
int sp_plot_series(sp_plot *p, size_t panel, size_t n, const double *x, const double *y,
                   const double *yerr, const sp_plot_style *style, const char *label);

/** A text label (markup) placed inside a region of the panel's heat map:
 * `mask` (nx x ny of the heat map, non-zero = in the region, copied) is
 * searched for the spot deepest inside the region where the whole text
 * fits; no label is drawn when it fits nowhere.  White text with a dark
 * outline.  SP_EINVAL when the panel has no heat map of that size. */
int sp_plot_region_label(sp_plot *p, size_t panel, size_t nx, size_t ny,
                         const unsigned char *mask, const char *markup);

/** Choose where `panel`'s legend goes (entries: its labelled series). */
int sp_plot_legend(sp_plot *p, size_t panel, sp_legend where);

/** Draw the figure and write it to `fp` as SP_FMT_PNG (at `dpi` pixels
 * per inch, in [10, 2400]; the image is ceil(width dpi/72) x
 * ceil(height dpi/72) pixels, at most 32767 a side), SP_FMT_PDF or
 * SP_FMT_SVG (vector; sizes in points; `dpi` ignored).  All three come
 * from the same drawing routine.  The metadata `meta` (may be NULL when
 * nmeta = 0) are embedded: in PDF as Title (the figure title as plain
 * text, markup removed: "ρ_0" -> "ρ0"; likewise in PNG and SVG), Creator
 * (key "sigprop": "sigprop VERSION"), Subject (key "command": the command
 * line) and Keywords ("key: value; ..." for the rest); in SVG as <title>,
 * <desc> (the command line) and <metadata>; in PNG as tEXt chunks (Title,
 * Software, Description, Comment).  Nothing else varies between runs (no
 * creation date, no file names beyond what `meta` holds), so the same
 * figure gives the same bytes.  Fonts are embedded in PDF (subsets).
 * Returns SP_ERENDER when Cairo reports
 * an error (the Cairo status of the context and of the surface are both
 * checked), SP_EIO when writing to `fp` fails, SP_EINVAL for another
 * format. */
int sp_plot_write(sp_plot *p, FILE *fp, sp_format fmt, double dpi, const sp_meta *meta,
                  size_t nmeta);

/** Position, in points from the figure's top-left corner, of the data
 * point (x, y) of `panel` as sp_plot_write would draw it (the layout is
 * computed with the same font metrics).  For tests and annotations. */
int sp_plot_locate(sp_plot *p, size_t panel, double x, double y, double *u, double *v);

SP_END_DECLS
#endif
