/* Internals of the figure renderer, shared by its files and not part of
 * the API: the figure's data (plot.c), text markup (plot_text.c), tick
 * placement (plot_ticks.c), layout (plot_layout.c), drawing (plot_draw.c),
 * legends and region labels (plot_label.c) and the file writers
 * (plot_write.c).  All lengths are in points, y downwards.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_PLOT_PRIVATE_H
#define SIGPROP_PLOT_PRIVATE_H

#include "sigprop/plot.h"

#include <cairo.h>
#include <stdint.h>

#define MAX_PANELS 64
#define MAX_TICKS 64
#define LABEL_LEN 64

/* Typographic constants, in points or as fractions of the base size. */
#define PAD 4.0          /* figure edge to content */
#define TICK_LEN 3.5     /* tick marks, outward */
#define TICK_GAP 2.5     /* tick mark to its label */
#define LABEL_GAP 4.0    /* tick labels to the axis label */
#define FRAME_WIDTH 0.7
#define CBAR_GAP 7.0     /* axes box to colorbar */
#define CBAR_WIDTH 8.0
#define SAMPLE_LEN 20.0  /* legend line sample */
#define SCRIPT_SCALE 0.7
#define SUP_RAISE 0.42
#define SUB_DROP 0.2

/* ---- the figure's data (plot.c) ---------------------------------------- */

typedef struct {
  char *label;
  sp_scale scale;
  double min, max; /* NaN: automatic */
} axis_spec;

typedef struct {
  size_t n;
  double *x, *y, *e;
  sp_plot_style st;   /* as drawn (plot_style.c may change line and marker) */
  char *label;
  sp_plot_style orig; /* as given */
  int auto_style;     /* automatic colour, solid line, no marker */
  int auto_marks;     /* markers added by plot_style.c: every mstride-th
                         point from moff, none cut by the frame */
  size_t mstride, moff;
} series;

typedef struct {
  size_t nx, ny;
  double *z;
  double x0, x1, y0, y1;
  const sp_colormap *cm;
  double zmin, zmax;
  char *zlabel;
} heatmap;

typedef struct {
  unsigned char *mask;
  char *text;
} region;

typedef struct {
  axis_spec ax[2];
  heatmap *heat;
  series *ser;
  size_t nser, cap;
  region *reg;
  size_t nreg;
  char *title;
  sp_legend legend;
  size_t ncolor;
} panel;

struct sp_plot {
  int status;
  double w, h;
  size_t rows, cols, npanels;
  panel *pan;
  char *title;
  char *family;
  double fsize;
};

/* Record and return the first error of p. */
int sp_plot_fail(sp_plot *p, int status);

/* Common entry check: NULL, sticky error, and (when pn is not NULL) the
 * panel index, whose panel is stored in *pn. */
int sp_plot_check(sp_plot *p, size_t panel_index, panel **pn);

/* ---- text with sub- and superscripts (plot_text.c) --------------------- */

typedef struct {
  double w, asc, desc; /* advance width, ink above and below the baseline */
} tbox;

enum { TEXT_MEASURE, TEXT_SHOW, TEXT_PATH };

typedef struct {
  cairo_t *cr;
  const char *family;
} pen;

/* Font options of every context the figure is drawn or measured on. */
void sp_plot_configure(cairo_t *cr);

/* Typeset `markup` at `size` with its baseline starting at (x, y):
 * measure, draw, or append glyph outlines to the path (mode TEXT_*). */
tbox sp_plot_typeset(const pen *pe, const char *markup, double size, double x, double y,
                     int mode);

/* Extents of `markup` at `size`. */
tbox sp_plot_measure(const pen *pe, const char *markup, double size);

/* The markup as plain text for metadata: '_', '^' and braces dropped,
 * escapes resolved ("ρ_0" -> "ρ0"); malloc'ed, NULL for NULL or no memory. */
char *sp_plot_markup_plain(const char *markup);

/* Text rotated by -90 degrees (reading upwards), centred on y = cy, with
 * its baseline on x = bx. */
void sp_plot_show_vertical(const pen *pe, const char *markup, double size, double bx, double cy);

/* Text in white with a dark outline, baseline at (x, y). */
void sp_plot_show_outlined(const pen *pe, const char *markup, double size, double x, double y);

/* ---- ticks (plot_ticks.c) ---------------------------------------------- */

typedef struct {
  double lo, hi; /* range in axis units (log10 of the value on log axes) */
  int log;
  int integer;   /* linear axis of whole numbers: whole-number steps only */
  size_t nt, nminor;
  double t[MAX_TICKS];           /* major ticks, axis units */
  char label[MAX_TICKS][LABEL_LEN];
  double minor[4 * MAX_TICKS];
  double max_w, max_asc, max_desc; /* largest tick label */
} ticks;

/* Major (and on log axes minor) ticks of tk->lo..tk->hi with labels that
 * fit along an axis `length` points long at font size `size`. */
void sp_plot_ticks_make(const pen *pe, double size, double length, int horizontal, ticks *tk);

/* ---- layout (plot_layout.c) -------------------------------------------- */

typedef struct {
  double x, y, w, h; /* axes box; y is the top edge */
  ticks tk[2];
  ticks cb;          /* colorbar */
  int cbar;
  double headroom;   /* fraction of the y axis kept free of data at the
                        top for the BEST legend */
  int legend_out;    /* the BEST legend hides data inside: drawn beside */
  double legend_x;   /* its left edge then */
} panel_layout;

typedef struct {
  double fs;          /* base font size */
  double title_size;  /* title font size (smaller when it would not fit) */
  double title_base;  /* baseline of the figure title */
  double legend_top;  /* top of the legend band */
  size_t legend_panel;
  size_t legend_cap;  /* most entries in a row of the legend band */
  int legend_below;
  panel_layout pl[MAX_PANELS];
} layout;

static inline double font_axis(const layout *L) { return 1.2 * L->fs; }
static inline double font_title(const layout *L) { return 1.3 * L->fs; }
static inline double font_legend(const layout *L) { return 1.07 * L->fs; }
static inline double font_panel(const layout *L) { return 1.13 * L->fs; }
static inline double legend_row_height(const layout *L) { return 1.55 * font_legend(L); }

/* Data (axis units) to figure points. */
static inline double to_px(const panel_layout *pl, double t)
{
  return pl->x + (t - pl->tk[0].lo) / (pl->tk[0].hi - pl->tk[0].lo) * pl->w;
}

static inline double to_py(const panel_layout *pl, double t)
{
  return pl->y + pl->h - (t - pl->tk[1].lo) / (pl->tk[1].hi - pl->tk[1].lo) * pl->h;
}

/* A data value in axis units: itself, or log10 on log axes (NaN for v <= 0). */
double sp_plot_axis_t(int log, double v);

/* Width of one legend entry (sample and text). */
double sp_plot_legend_entry_width(const pen *pe, const layout *L, const series *s);

/* Place title, legend band and panels; SP_EINVAL when the panels get too
 * small, SP_EDOM for an empty axis range. */
int sp_plot_layout_compute(const sp_plot *p, const pen *pe, layout *L);

/* ---- drawing (plot_draw.c) --------------------------------------------- */

/* A sample of the style's line from x0 to x1 at height y (legends). */
void sp_plot_draw_sample(cairo_t *cr, const sp_plot_style *st, double x0, double x1, double y);

/* Point i of a series in figure points; 0 when it is not drawn. */
int sp_plot_point_of(const panel_layout *pl, const series *s, size_t i, double *px, double *py);

/* The drawn polyline of a series, vertex by vertex: f(arg, x, y, px, py,
 * joined) at each point that is drawn (figure points), `joined` when the
 * point before it was drawn too, (px, py) being that point (else 0, 0). */
typedef void (*sp_plot_vertex_fn)(void *arg, double x, double y, double px, double py, int joined);
void sp_plot_polyline(const panel_layout *pl, const series *s, sp_plot_vertex_fn f, void *arg);

/* The heat map's placement in figure points. */
void sp_plot_heat_rect(const panel_layout *pl, const heatmap *h, double *x, double *y, double *w,
                       double *hh);

/* The one drawing routine: the figure in points on any Cairo context. */
int sp_plot_draw(sp_plot *p, cairo_t *cr);

/* ---- automatic styles of overlapping series (plot_style.c) ------------- */

/* Every series back to the style it was given. */
void sp_plot_styles_reset(sp_plot *p);

/* Give each automatic-style series that lies on an earlier one the next
 * dash pattern and marker of the cycle (layout L placed); SP_ENOMEM. */
int sp_plot_styles_resolve(sp_plot *p, const layout *L);

/* ---- legends and region labels (plot_label.c) -------------------------- */

int sp_plot_draw_region_label(const pen *pe, const layout *L, const panel_layout *pl,
                              const heatmap *h, const region *rg);
/* Where the legend of a panel goes inside its axes: the spot of a 5 x 5
 * grid hiding fewest data points, corners first; box = x, y, w, h.
 * Returns the number of points hidden there, (size_t)-1 for no entries. */
size_t sp_plot_legend_place(const pen *pe, const layout *L, const panel_layout *pl,
                            const panel *pn, double box[4]);

/* The legend of a panel where sp_plot_legend_place puts it, or beside
 * the axes when pl->legend_out. */
void sp_plot_draw_legend_inside(cairo_t *cr, const pen *pe, const layout *L,
                                const panel_layout *pl, const panel *pn);
void sp_plot_draw_legend_below(cairo_t *cr, const pen *pe, const layout *L, const sp_plot *p);

#endif
