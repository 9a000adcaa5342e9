/* Text placed among the data: region labels on heat maps (the spot
 * deepest inside the region where the text fits) and legends (inside the
 * axes where they hide fewest points, or in a band under the panels).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "plot_private.h"
#include "sigprop/status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest margin m (points, up to 400) such that the box centred on
 * (cx, cy) with half-sizes hw, hh, grown by m, lies inside the axes and
 * inside the region; -1 when even m = 0 fails.  `sum` holds the prefix
 * sums of "outside the region" over the cells, top row first. */
static double box_margin(const panel_layout *pl, const size_t *sum, size_t nx, size_t ny,
                         double hx, double hy, double cw, double ch, double cx, double cy,
                         double hw, double hh)
{
  double lo = -1.0, hi = 400.0;
  for (int it = 0; it < 12; it++) {
    double m = it == 0 ? 0.0 : 0.5 * (lo + hi);
    double x0 = cx - hw - m, x1 = cx + hw + m, y0 = cy - hh - m, y1 = cy + hh + m;
    int ok = x0 >= pl->x && x1 <= pl->x + pl->w && y0 >= pl->y && y1 <= pl->y + pl->h;
    if (ok) {
      long c0 = (long)floor((x0 - hx) / cw), c1 = (long)floor((x1 - hx) / cw);
      long r0 = (long)floor((y0 - hy) / ch), r1 = (long)floor((y1 - hy) / ch);
      ok = c0 >= 0 && r0 >= 0 && c1 < (long)nx && r1 < (long)ny;
      if (ok) {
        size_t w = nx + 1;
        size_t a = (size_t)r0 * w + (size_t)c0, b = (size_t)r0 * w + (size_t)c1 + 1;
        size_t c = ((size_t)r1 + 1) * w + (size_t)c0, d = ((size_t)r1 + 1) * w + (size_t)c1 + 1;
        ok = sum[d] - sum[b] - sum[c] + sum[a] == 0;
      }
    }
    if (it == 0) {
      if (!ok)
        return -1.0;
      lo = 0.0;
    } else if (ok) {
      lo = m;
    } else {
      hi = m;
    }
  }
  return lo;
}

#define MAX_LINES 8

/* Place a region label: among the spots where the text box (on one line,
 * else one word per line) fits inside the region, the one with the widest
 * margin, ties going to the one nearest the region's centroid. */
int sp_plot_draw_region_label(const pen *pe, const layout *L, const panel_layout *pl,
                             const heatmap *h, const region *rg)
{
  double fs = font_panel(L), hx, hy, hw, hh;
  sp_plot_heat_rect(pl, h, &hx, &hy, &hw, &hh);
  size_t nx = h->nx, ny = h->ny, w = nx + 1;
  double cw = hw / (double)nx, ch = hh / (double)ny;
  size_t *sum = calloc(w * (ny + 1), sizeof *sum);
  if (!sum)
    return SP_ENOMEM;
  double gx = 0.0, gy = 0.0, cnt = 0.0;
  for (size_t r = 0; r < ny; r++)
    for (size_t c = 0; c < nx; c++) {
      int in = rg->mask[(ny - 1 - r) * nx + c] != 0;
      sum[(r + 1) * w + c + 1] =
          (size_t)!in + sum[r * w + c + 1] + sum[(r + 1) * w + c] - sum[r * w + c];
      if (in) {
        gx += hx + ((double)c + 0.5) * cw;
        gy += hy + ((double)r + 0.5) * ch;
        cnt += 1.0;
      }
    }
  if (cnt > 0.0) {
    gx /= cnt;
    gy /= cnt;
  }
  char lines[MAX_LINES][128];
  for (int layout_try = 0; layout_try < 2; layout_try++) {
    size_t nl = 0;
    if (layout_try == 0) {
      snprintf(lines[nl++], sizeof lines[0], "%s", rg->text);
    } else {
      const char *t = rg->text;
      while (*t && nl < MAX_LINES) {
        size_t k = strcspn(t, " ");
        snprintf(lines[nl++], sizeof lines[0], "%.*s", (int)k, t);
        t += k;
        t += strspn(t, " ");
      }
      if (nl < 2)
        break;
    }
    double tw = 0.0, asc = 0.0, lead = 1.15 * fs;
    tbox b[MAX_LINES];
    for (size_t i = 0; i < nl; i++) {
      b[i] = sp_plot_measure(pe, lines[i], fs);
      tw = fmax(tw, b[i].w);
      asc = fmax(asc, b[i].asc);
    }
    double th = asc + (double)(nl - 1) * lead + b[nl - 1].desc;
    double half_w = tw / 2.0 + 0.3 * fs, half_h = th / 2.0 + 0.3 * fs;
    double best = -1.0, bx = 0.0, by = 0.0, bd = INFINITY;
    /* At most about 250 x 250 candidate centres. */
    size_t sx = nx / 250 + 1, sy = ny / 250 + 1;
    for (size_t r = sy / 2; r < ny; r += sy)
      for (size_t c = sx / 2; c < nx; c += sx) {
        double cx = hx + ((double)c + 0.5) * cw, cy = hy + ((double)r + 0.5) * ch;
        double m = box_margin(pl, sum, nx, ny, hx, hy, cw, ch, cx, cy, half_w, half_h);
        if (m < 0.0)
          continue;
        double dist = hypot(cx - gx, cy - gy);
        if (m > best + 0.5 || (m > best - 0.5 && dist < bd)) {
          best = fmax(best, m);
          bx = cx;
          by = cy;
          bd = dist;
        }
      }
    if (best >= 0.0) {
      double y = by - th / 2.0 + asc;
      for (size_t i = 0; i < nl; i++, y += lead)
        sp_plot_show_outlined(pe, lines[i], fs, bx - b[i].w / 2.0, y);
      break;
    }
  }
  free(sum);
  return SP_OK;
}

typedef struct {
  double x0, y0, x1, y1;
  size_t n;
} box_count;

/* Samples of the segment ending at (qx, qy) every 2 points (so that long
 * straight lines count) inside the box; the point alone after a break. */
static void count_vertex(void *arg, double qx, double qy, double px, double py, int joined)
{
  box_count *b = arg;
  int steps = joined ? 1 + (int)(hypot(qx - px, qy - py) / 2.0) : 1;
  for (int t = 1; t <= steps; t++) {
    double f = (double)t / steps, x = joined ? px + f * (qx - px) : qx;
    double y = joined ? py + f * (qy - py) : qy;
    b->n += x >= b->x0 && x <= b->x1 && y >= b->y0 && y <= b->y1;
  }
}

/* Number of data points of the panel inside the box (legend placement). */
static size_t points_in(const panel_layout *pl, const panel *pn, double x0, double y0, double x1,
                        double y1)
{
  box_count b = {x0, y0, x1, y1, 0};
  for (size_t k = 0; k < pn->nser; k++)
    sp_plot_polyline(pl, &pn->ser[k], count_vertex, &b);
  return b.n;
}

size_t sp_plot_legend_place(const pen *pe, const layout *L, const panel_layout *pl,
                            const panel *pn, double box[4])
{
  double fs = font_legend(L), rowh = legend_row_height(L), wmax = 0.0;
  size_t n = 0;
  for (size_t k = 0; k < pn->nser; k++)
    if (pn->ser[k].label) {
      wmax = fmax(wmax, sp_plot_legend_entry_width(pe, L, &pn->ser[k]));
      n++;
    }
  if (!n)
    return (size_t)-1;
  double pad = 0.45 * fs, bw = wmax + 2.0 * pad, bh = (double)n * rowh + 2.0 * pad - 0.3 * fs;
  double inset = 0.5 * fs, pad_box = 3.0;
  /* Candidates on a 5 x 5 grid of positions; corners win ties, then the
   * middles of the sides, then the rest. */
  size_t best_n = (size_t)-1;
  double bx = 0.0, by = 0.0;
  int best_rank = 99;
  for (int gy = 0; gy < 5; gy++)
    for (int gx = 4; gx >= 0; gx--) {
      double x = pl->x + inset + (pl->w - 2.0 * inset - bw) * gx / 4.0;
      double y = pl->y + inset + (pl->h - 2.0 * inset - bh) * gy / 4.0;
      int edge_x = gx == 0 || gx == 4, edge_y = gy == 0 || gy == 4;
      int rank = edge_x && edge_y ? 0 : (edge_x || edge_y) ? 1 : 2;
      size_t k = points_in(pl, pn, x - pad_box, y - pad_box, x + bw + pad_box, y + bh + pad_box);
      if (k < best_n || (k == best_n && rank < best_rank)) {
        best_n = k;
        best_rank = rank;
        bx = x;
        by = y;
      }
    }
  box[0] = bx;
  box[1] = by;
  box[2] = bw;
  box[3] = bh;
  return best_n;
}

void sp_plot_draw_legend_inside(cairo_t *cr, const pen *pe, const layout *L,
                                const panel_layout *pl, const panel *pn)
{
  double box[4];
  if (sp_plot_legend_place(pe, L, pl, pn, box) == (size_t)-1)
    return;
  double fs = font_legend(L), rowh = legend_row_height(L), pad = 0.45 * fs;
  double x = box[0], y = box[1], bw = box[2], bh = box[3];
  if (pl->legend_out) {
    /* Beside the axes (and colorbar), top-aligned: it would hide data. */
    x = pl->legend_x;
    y = pl->y;
  }
  cairo_rectangle(cr, x, y, bw, bh);
  cairo_set_source_rgba(cr, 1.0, 1.0, 1.0, 0.88);
  cairo_fill_preserve(cr);
  cairo_set_source_rgb(cr, 0.75, 0.75, 0.75);
  cairo_set_line_width(cr, 0.5);
  cairo_set_dash(cr, NULL, 0, 0.0);
  cairo_stroke(cr);
  double cap = sp_plot_measure(pe, "0", fs).asc;
  double row_y = y + pad + 0.5 * (rowh - 0.3 * fs);
  for (size_t k = 0; k < pn->nser; k++) {
    const series *s = &pn->ser[k];
    if (!s->label)
      continue;
    sp_plot_draw_sample(cr, &s->st, x + pad, x + pad + SAMPLE_LEN, row_y);
    cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
    sp_plot_typeset(pe, s->label, fs, x + pad + SAMPLE_LEN + 4.0, row_y + cap / 2.0, TEXT_SHOW);
    row_y += rowh;
  }
}

void sp_plot_draw_legend_below(cairo_t *cr, const pen *pe, const layout *L, const sp_plot *p)
{
  const panel *pn = &p->pan[L->legend_panel];
  double fs = font_legend(L), rowh = legend_row_height(L), width = p->w - 2.0 * PAD;
  double gap = 1.6 * L->fs, cap = sp_plot_measure(pe, "0", fs).asc;
  size_t k = 0;
  double y = L->legend_top + 0.5 * rowh;
  while (k < pn->nser) {
    /* Entries of this row. */
    size_t first = k, last = k, in_row = 0;
    double w = 0.0;
    for (; last < pn->nser; last++) {
      if (!pn->ser[last].label)
        continue;
      double ew = sp_plot_legend_entry_width(pe, L, &pn->ser[last]);
      if (w > 0.0 && (w + gap + ew > width || in_row == L->legend_cap))
        break;
      w += (w > 0.0 ? gap : 0.0) + ew;
      in_row++;
    }
    if (w == 0.0)
      break;
    double x = PAD + (width - w) / 2.0;
    for (size_t i = first; i < last; i++) {
      const series *s = &pn->ser[i];
      if (!s->label)
        continue;
      sp_plot_draw_sample(cr, &s->st, x, x + SAMPLE_LEN, y);
      cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
      sp_plot_typeset(pe, s->label, fs, x + SAMPLE_LEN + 4.0, y + cap / 2.0, TEXT_SHOW);
      x += sp_plot_legend_entry_width(pe, L, s) + gap;
    }
    k = last;
    y += rowh;
  }
}
