/* Drawing a figure on a Cairo context: series (lines, markers, error
 * bars), heat maps and colorbars, frames, ticks and labels; one routine
 * for every output format.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "plot_private.h"
#include "sigprop/status.h"

#include <math.h>
#include <stdlib.h>

static void set_rgb(cairo_t *cr, const double *c)
{
  cairo_set_source_rgb(cr, c[0], c[1], c[2]);
}

/* Dash pattern of `line`; when `centre` > 0 the pattern is shifted so that
 * a dash is centred at that distance along the path (legend samples come
 * out symmetric). */
static void set_dash(cairo_t *cr, sp_line line, double width, double centre)
{
  double k = fmax(1.0, width / 1.2);
  double dashed[] = {4.2 * k, 2.4 * k}, dotted[] = {0.0, 2.2 * k};
  double dashdot[] = {5.0 * k, 1.8 * k, 1.0 * k, 1.8 * k};
  /* Round caps only for dots (zero-length dashes); butt caps keep a dash
   * cut short at the end of a line from showing as a stray dot. */
  cairo_set_line_cap(cr, line == SP_LINE_DOTTED ? CAIRO_LINE_CAP_ROUND : CAIRO_LINE_CAP_BUTT);
  const double *d = line == SP_LINE_DASHED ? dashed : line == SP_LINE_DOTTED ? dotted
                   : line == SP_LINE_DASHDOT ? dashdot : NULL;
  int n = line == SP_LINE_DASHDOT ? 4 : d ? 2 : 0;
  double period = 0.0;
  for (int i = 0; i < n; i++)
    period += d[i];
  double off = 0.0;
  if (n && centre > 0.0)
    off = fmod(fmod(d[0] / 2.0 - centre, period) + period, period);
  cairo_set_dash(cr, d, n, off);
}

static void marker_path(cairo_t *cr, sp_marker m, double x, double y, double size)
{
  double r = size / 2.0;
  switch (m) {
  case SP_MARKER_CIRCLE:
    cairo_new_sub_path(cr);
    cairo_arc(cr, x, y, r, 0.0, 2.0 * M_PI);
    break;
  case SP_MARKER_SQUARE:
    cairo_rectangle(cr, x - 0.886 * r, y - 0.886 * r, 1.772 * r, 1.772 * r);
    break;
  case SP_MARKER_TRIANGLE:
    cairo_move_to(cr, x, y - 1.15 * r);
    cairo_line_to(cr, x + r, y + 0.6 * r);
    cairo_line_to(cr, x - r, y + 0.6 * r);
    cairo_close_path(cr);
    break;
  case SP_MARKER_DIAMOND:
    cairo_move_to(cr, x, y - 1.2 * r);
    cairo_line_to(cr, x + 0.85 * r, y);
    cairo_line_to(cr, x, y + 1.2 * r);
    cairo_line_to(cr, x - 0.85 * r, y);
    cairo_close_path(cr);
    break;
  case SP_MARKER_CROSS:
    cairo_move_to(cr, x - r, y - r);
    cairo_line_to(cr, x + r, y + r);
    cairo_move_to(cr, x - r, y + r);
    cairo_line_to(cr, x + r, y - r);
    break;
  case SP_MARKER_PLUS:
    cairo_move_to(cr, x - r, y);
    cairo_line_to(cr, x + r, y);
    cairo_move_to(cr, x, y - r);
    cairo_line_to(cr, x, y + r);
    break;
  case SP_MARKER_STAR:
    for (int k = 0; k < 10; k++) {
      double a = -M_PI / 2.0 + k * M_PI / 5.0, rr = k % 2 ? 0.45 * r * 1.3 : 1.3 * r;
      if (k == 0)
        cairo_move_to(cr, x + rr * cos(a), y + rr * sin(a));
      else
        cairo_line_to(cr, x + rr * cos(a), y + rr * sin(a));
    }
    cairo_close_path(cr);
    break;
  default:
    break;
  }
}

static int marker_is_stroked(sp_marker m)
{
  return m == SP_MARKER_CROSS || m == SP_MARKER_PLUS;
}

static void draw_marker(cairo_t *cr, const sp_plot_style *st, double x, double y)
{
  if (st->marker == SP_MARKER_NONE)
    return;
  cairo_set_dash(cr, NULL, 0, 0.0);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
  if (st->halo > 0.0) {
    marker_path(cr, st->marker, x, y, st->marker_size);
    set_rgb(cr, st->halo_color);
    cairo_set_line_width(cr, (marker_is_stroked(st->marker) ? st->width : 0.0) + 2.0 * st->halo);
    cairo_stroke(cr);
  }
  marker_path(cr, st->marker, x, y, st->marker_size);
  set_rgb(cr, st->color);
  if (marker_is_stroked(st->marker)) {
    cairo_set_line_width(cr, st->width);
    cairo_stroke(cr);
  } else {
    cairo_fill(cr);
  }
}

/* Strokes (and consumes) the current path in the style's line: first its
 * halo when it has one (solid, `halo_cap` ends, halo_color, width + 2 halo),
 * then the line itself, its dashes centred on `centre` (0: from the start). */
static void stroke_line(cairo_t *cr, const sp_plot_style *st, cairo_line_cap_t halo_cap,
                        double centre)
{
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  if (st->halo > 0.0) {
    cairo_set_dash(cr, NULL, 0, 0.0);
    cairo_set_line_cap(cr, halo_cap);
    set_rgb(cr, st->halo_color);
    cairo_set_line_width(cr, st->width + 2.0 * st->halo);
    cairo_stroke_preserve(cr);
  }
  set_dash(cr, st->line, st->width, centre);
  set_rgb(cr, st->color);
  cairo_set_line_width(cr, st->width);
  cairo_stroke(cr);
}

/* A sample of the style's line from x0 to x1 at height y (legends). */
void sp_plot_draw_sample(cairo_t *cr, const sp_plot_style *st, double x0, double x1, double y)
{
  if (st->line != SP_LINE_NONE) {
    cairo_move_to(cr, x0, y);
    cairo_line_to(cr, x1, y);
    stroke_line(cr, st, CAIRO_LINE_CAP_BUTT, 0.5 * (x1 - x0));
  }
  draw_marker(cr, st, 0.5 * (x0 + x1), y);
}

int sp_plot_point_of(const panel_layout *pl, const series *s, size_t i, double *px, double *py)
{
  double tx = sp_plot_axis_t(pl->tk[0].log, s->x[i]), ty = sp_plot_axis_t(pl->tk[1].log, s->y[i]);
  if (!isfinite(tx) || !isfinite(ty))
    return 0;
  *px = to_px(pl, tx);
  *py = to_py(pl, ty);
  return 1;
}

void sp_plot_polyline(const panel_layout *pl, const series *s, sp_plot_vertex_fn f, void *arg)
{
  double px = 0.0, py = 0.0;
  int joined = 0;
  for (size_t i = 0; i < s->n; i++) {
    double x, y;
    if (!sp_plot_point_of(pl, s, i, &x, &y)) {
      joined = 0;
      continue;
    }
    f(arg, x, y, px, py, joined);
    px = x;
    py = y;
    joined = 1;
  }
}

static void path_vertex(void *cr, double x, double y, double px, double py, int joined)
{
  (void)px;
  (void)py;
  if (joined)
    cairo_line_to(cr, x, y);
  else
    cairo_move_to(cr, x, y);
}

static void series_path(cairo_t *cr, const panel_layout *pl, const series *s)
{
  sp_plot_polyline(pl, s, path_vertex, cr);
}

/* Markers of a series, at the points inside the axes' ranges; drawn
 * without clipping so that a marker on the frame stays whole. */
static void draw_markers(cairo_t *cr, const panel_layout *pl, const series *s)
{
  /* Added markers keep clear of the frame. */
  double in = s->auto_marks ? 0.65 * s->st.marker_size : 0.0;
  for (size_t i = 0; s->st.marker != SP_MARKER_NONE && i < s->n; i++) {
    double x, y;
    if (s->mstride > 1 && i % s->mstride != s->moff)
      continue;
    if (sp_plot_point_of(pl, s, i, &x, &y) && x >= pl->x + in - 1e-9
        && x <= pl->x + pl->w - in + 1e-9 && y >= pl->y + in - 1e-9
        && y <= pl->y + pl->h - in + 1e-9)
      draw_marker(cr, &s->st, x, y);
  }
}

/* Error bars and the line of a series (the caller clips to the axes). */
static void draw_series(cairo_t *cr, const panel_layout *pl, const series *s)
{
  const sp_plot_style *st = &s->st;
  if (s->e) {
    cairo_set_dash(cr, NULL, 0, 0.0);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    cairo_set_line_width(cr, 0.8);
    set_rgb(cr, st->color);
    double cap = 0.35 * st->marker_size + 0.6;
    for (size_t i = 0; i < s->n; i++) {
      double x, y, e = s->e[i];
      if (!isfinite(e) || e == 0.0 || !sp_plot_point_of(pl, s, i, &x, &y))
        continue;
      e = fabs(e);
      double lo = sp_plot_axis_t(pl->tk[1].log, s->y[i] - e);
      double hi = sp_plot_axis_t(pl->tk[1].log, s->y[i] + e);
      double ylo = isfinite(lo) ? to_py(pl, lo) : pl->y + pl->h + 1.0, yhi = to_py(pl, hi);
      cairo_move_to(cr, x, ylo);
      cairo_line_to(cr, x, yhi);
      cairo_move_to(cr, x - cap, ylo);
      cairo_line_to(cr, x + cap, ylo);
      cairo_move_to(cr, x - cap, yhi);
      cairo_line_to(cr, x + cap, yhi);
    }
    cairo_stroke(cr);
  }
  if (st->line != SP_LINE_NONE) {
    series_path(cr, pl, s);
    stroke_line(cr, st, CAIRO_LINE_CAP_ROUND, 0.0);
  }
}

/* The heat map's placement in figure points. */
void sp_plot_heat_rect(const panel_layout *pl, const heatmap *h, double *x, double *y, double *w,
                      double *hh)
{
  int lx = pl->tk[0].log, ly = pl->tk[1].log;
  double cx0 = sp_plot_axis_t(lx, h->x0), cx1 = sp_plot_axis_t(lx, h->x1);
  double cy0 = sp_plot_axis_t(ly, h->y0), cy1 = sp_plot_axis_t(ly, h->y1);
  double dx = h->nx > 1 ? (cx1 - cx0) / (double)(h->nx - 1) : pl->tk[0].hi - pl->tk[0].lo;
  double dy = h->ny > 1 ? (cy1 - cy0) / (double)(h->ny - 1) : pl->tk[1].hi - pl->tk[1].lo;
  double left = to_px(pl, cx0 - dx / 2.0), right = to_px(pl, cx1 + dx / 2.0);
  double top = to_py(pl, cy1 + dy / 2.0), bottom = to_py(pl, cy0 - dy / 2.0);
  *x = left;
  *y = top;
  *w = right - left;
  *hh = bottom - top;
}

static uint32_t cell_pixel(const heatmap *h, double z)
{
  double rgb[3] = {0.85, 0.85, 0.85};
  if (!isnan(z))
    sp_colormap_eval(h->cm, (z - h->zmin) / (h->zmax - h->zmin), rgb);
  uint32_t px = 0;
  for (int c = 0; c < 3; c++) {
    double v = floor(rgb[c] * 255.0 + 0.5);
    px = (px << 8) | (uint32_t)(v < 0.0 ? 0.0 : v > 255.0 ? 255.0 : v);
  }
  return px;
}

static int draw_heatmap(cairo_t *cr, const panel_layout *pl, const heatmap *h)
{
  cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)h->nx, (int)h->ny);
  if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(img);
    return SP_ERENDER;
  }
  cairo_surface_flush(img);
  unsigned char *data = cairo_image_surface_get_data(img);
  int stride = cairo_image_surface_get_stride(img);
  for (size_t j = 0; j < h->ny; j++) {
    uint32_t *row = (uint32_t *)(void *)(data + (size_t)stride * (h->ny - 1 - j));
    for (size_t i = 0; i < h->nx; i++)
      row[i] = cell_pixel(h, h->z[j * h->nx + i]);
  }
  cairo_surface_mark_dirty(img);
  double x, y, w, hh;
  sp_plot_heat_rect(pl, h, &x, &y, &w, &hh);
  cairo_save(cr);
  cairo_rectangle(cr, pl->x, pl->y, pl->w, pl->h);
  cairo_clip(cr);
  cairo_translate(cr, x, y);
  cairo_scale(cr, w / (double)h->nx, hh / (double)h->ny);
  cairo_set_source_surface(cr, img, 0.0, 0.0);
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
  cairo_rectangle(cr, 0.0, 0.0, (double)h->nx, (double)h->ny);
  cairo_fill(cr);
  cairo_restore(cr);
  cairo_surface_destroy(img);
  return SP_OK;
}

static void draw_colorbar(cairo_t *cr, const pen *pe, const layout *L, const panel_layout *pl,
                          const heatmap *h)
{
  double x = pl->x + pl->w + CBAR_GAP, y = pl->y, w = CBAR_WIDTH, hh = pl->h;
  cairo_pattern_t *g = cairo_pattern_create_linear(0.0, y + hh, 0.0, y);
  for (size_t k = 0; k < h->cm->n; k++) {
    double t = (double)k / (double)(h->cm->n - 1);
    cairo_pattern_add_color_stop_rgb(g, t, h->cm->rgb[k][0], h->cm->rgb[k][1], h->cm->rgb[k][2]);
  }
  cairo_rectangle(cr, x, y, w, hh);
  cairo_set_source(cr, g);
  cairo_fill(cr);
  cairo_pattern_destroy(g);
  cairo_set_dash(cr, NULL, 0, 0.0);
  cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
  cairo_set_line_width(cr, FRAME_WIDTH);
  cairo_rectangle(cr, x, y, w, hh);
  cairo_stroke(cr);
  const ticks *tk = &pl->cb;
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
  for (size_t i = 0; i < tk->nt; i++) {
    double ty = y + hh - (tk->t[i] - tk->lo) / (tk->hi - tk->lo) * hh;
    cairo_move_to(cr, x + w, ty);
    cairo_line_to(cr, x + w + TICK_LEN, ty);
  }
  cairo_stroke(cr);
  double digit_mid = 0.5 * tk->max_asc;
  for (size_t i = 0; i < tk->nt; i++) {
    double ty = y + hh - (tk->t[i] - tk->lo) / (tk->hi - tk->lo) * hh;
    sp_plot_typeset(pe, tk->label[i], L->fs, x + w + TICK_LEN + TICK_GAP, ty + digit_mid,
                    TEXT_SHOW);
  }
  if (h->zlabel) {
    tbox b = sp_plot_measure(pe, h->zlabel, font_axis(L));
    double bx = x + w + TICK_LEN + TICK_GAP + tk->max_w + LABEL_GAP + b.asc;
    sp_plot_show_vertical(pe, h->zlabel, font_axis(L), bx, y + hh / 2.0);
  }
}

static void draw_axes(cairo_t *cr, const pen *pe, const layout *L, const panel_layout *pl,
                      const panel *pn)
{
  cairo_set_dash(cr, NULL, 0, 0.0);
  cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
  cairo_set_line_width(cr, FRAME_WIDTH);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
  cairo_rectangle(cr, pl->x, pl->y, pl->w, pl->h);
  cairo_stroke(cr);
  const ticks *tx = &pl->tk[0], *ty = &pl->tk[1];
  double bottom = pl->y + pl->h;
  for (size_t i = 0; i < tx->nt; i++) {
    double x = to_px(pl, tx->t[i]);
    cairo_move_to(cr, x, bottom);
    cairo_line_to(cr, x, bottom + TICK_LEN);
  }
  for (size_t i = 0; i < ty->nt; i++) {
    double y = to_py(pl, ty->t[i]);
    cairo_move_to(cr, pl->x, y);
    cairo_line_to(cr, pl->x - TICK_LEN, y);
  }
  cairo_stroke(cr);
  cairo_set_line_width(cr, 0.5 * FRAME_WIDTH);
  for (size_t i = 0; i < tx->nminor; i++) {
    double x = to_px(pl, tx->minor[i]);
    cairo_move_to(cr, x, bottom);
    cairo_line_to(cr, x, bottom + 0.55 * TICK_LEN);
  }
  for (size_t i = 0; i < ty->nminor; i++) {
    double y = to_py(pl, ty->minor[i]);
    cairo_move_to(cr, pl->x, y);
    cairo_line_to(cr, pl->x - 0.55 * TICK_LEN, y);
  }
  cairo_stroke(cr);

  double fs = L->fs;
  double base = bottom + TICK_LEN + TICK_GAP + tx->max_asc;
  for (size_t i = 0; i < tx->nt; i++) {
    tbox b = sp_plot_measure(pe, tx->label[i], fs);
    sp_plot_typeset(pe, tx->label[i], fs, to_px(pl, tx->t[i]) - b.w / 2.0, base, TEXT_SHOW);
  }
  double digit_mid = 0.5 * ty->max_asc;
  for (size_t i = 0; i < ty->nt; i++) {
    tbox b = sp_plot_measure(pe, ty->label[i], fs);
    double x = pl->x - TICK_LEN - TICK_GAP - b.w;
    sp_plot_typeset(pe, ty->label[i], fs, x, to_py(pl, ty->t[i]) + digit_mid, TEXT_SHOW);
  }
  if (pn->ax[0].label) {
    tbox b = sp_plot_measure(pe, pn->ax[0].label, font_axis(L));
    double y = base + tx->max_desc + LABEL_GAP + b.asc;
    sp_plot_typeset(pe, pn->ax[0].label, font_axis(L), pl->x + pl->w / 2.0 - b.w / 2.0, y,
                    TEXT_SHOW);
  }
  if (pn->ax[1].label) {
    tbox b = sp_plot_measure(pe, pn->ax[1].label, font_axis(L));
    double bx = pl->x - TICK_LEN - TICK_GAP - ty->max_w - LABEL_GAP - b.desc;
    sp_plot_show_vertical(pe, pn->ax[1].label, font_axis(L), bx, pl->y + pl->h / 2.0);
  }
  if (pn->title) {
    tbox b = sp_plot_measure(pe, pn->title, font_panel(L));
    sp_plot_typeset(pe, pn->title, font_panel(L), pl->x, pl->y - b.desc - 0.35 * L->fs, TEXT_SHOW);
  }
}

static void draw_grid(cairo_t *cr, const panel_layout *pl)
{
  cairo_set_dash(cr, NULL, 0, 0.0);
  cairo_set_source_rgb(cr, 0.89, 0.89, 0.89);
  cairo_set_line_width(cr, 0.4);
  for (size_t i = 0; i < pl->tk[0].nt; i++) {
    double x = to_px(pl, pl->tk[0].t[i]);
    cairo_move_to(cr, x, pl->y);
    cairo_line_to(cr, x, pl->y + pl->h);
  }
  for (size_t i = 0; i < pl->tk[1].nt; i++) {
    double y = to_py(pl, pl->tk[1].t[i]);
    cairo_move_to(cr, pl->x, y);
    cairo_line_to(cr, pl->x + pl->w, y);
  }
  cairo_stroke(cr);
}

/* The one drawing routine: the figure in points on any Cairo context. */
int sp_plot_draw(sp_plot *p, cairo_t *cr)
{
  pen pe = {cr, p->family};
  layout *L = malloc(sizeof *L);
  if (!L)
    return SP_ENOMEM;
  sp_plot_configure(cr);
  sp_plot_styles_reset(p);
  int s = sp_plot_layout_compute(p, &pe, L);
  if (s) {
    free(L);
    return s;
  }
  s = sp_plot_styles_resolve(p, L);
  cairo_set_source_rgb(cr, 1.0, 1.0, 1.0);
  cairo_paint(cr);
  for (size_t i = 0; i < p->npanels && !s; i++) {
    const panel *pn = &p->pan[i];
    const panel_layout *pl = &L->pl[i];
    if (pn->heat)
      s = draw_heatmap(cr, pl, pn->heat);
    else
      draw_grid(cr, pl);
    for (size_t k = 0; k < pn->nreg && !s; k++)
      s = sp_plot_draw_region_label(&pe, L, pl, pn->heat, &pn->reg[k]);
    /* In the order added, each line (clipped to the axes) with its
     * markers (not clipped): a later line is drawn over earlier markers. */
    for (size_t k = 0; k < pn->nser; k++) {
      cairo_save(cr);
      cairo_rectangle(cr, pl->x, pl->y, pl->w, pl->h);
      cairo_clip(cr);
      draw_series(cr, pl, &pn->ser[k]);
      cairo_restore(cr);
      draw_markers(cr, pl, &pn->ser[k]);
    }
    if (pn->heat)
      draw_colorbar(cr, &pe, L, pl, pn->heat);
    cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
    draw_axes(cr, &pe, L, pl, pn);
    if (pn->legend == SP_LEGEND_BEST)
      sp_plot_draw_legend_inside(cr, &pe, L, pl, pn);
  }
  if (!s && L->legend_below)
    sp_plot_draw_legend_below(cr, &pe, L, p);
  if (!s && p->title) {
    tbox b = sp_plot_measure(&pe, p->title, L->title_size);
    cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
    sp_plot_typeset(&pe, p->title, L->title_size, p->w / 2.0 - b.w / 2.0, L->title_base, TEXT_SHOW);
  }
  free(L);
  if (!s && cairo_status(cr) != CAIRO_STATUS_SUCCESS)
    s = SP_ERENDER;
  return s;
}
