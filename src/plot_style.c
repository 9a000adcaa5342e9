/* Automatic styles of overlapping series: a series with the automatic
 * style (automatic colour, solid line, no marker) whose line lies on an
 * earlier series of its panel gets the next dash pattern and marker of a
 * fixed cycle, so that both stay visible, in colour or in grey.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "plot_private.h"

#include "sigprop/status.h"

#include <math.h>
#include <stdlib.h>

/* The cycle: every entry differs from a solid line without markers and
 * from its neighbours both in dash and in marker shape. */
static const struct {
  sp_line line;
  sp_marker marker;
} cycle[] = {
  {SP_LINE_DASHED, SP_MARKER_CIRCLE},  {SP_LINE_DOTTED, SP_MARKER_SQUARE},
  {SP_LINE_DASHDOT, SP_MARKER_TRIANGLE}, {SP_LINE_DASHED, SP_MARKER_DIAMOND},
  {SP_LINE_DOTTED, SP_MARKER_CROSS},   {SP_LINE_DASHDOT, SP_MARKER_PLUS},
};
#define NCYCLE (sizeof cycle / sizeof cycle[0])

/* Markers on a restyled series: about this many along it. */
#define AUTO_MARKS 9

/* Distance from (x, y) to the segment (ax, ay)-(bx, by). */
static double seg_dist(double x, double y, double ax, double ay, double bx, double by)
{
  double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
  double t = l2 > 0.0 ? ((x - ax) * dx + (y - ay) * dy) / l2 : 0.0;
  t = t < 0.0 ? 0.0 : t > 1.0 ? 1.0 : t;
  return hypot(x - ax - t * dx, y - ay - t * dy);
}

typedef struct {
  double x, y, best;
} nearest;

static void nearest_vertex(void *arg, double qx, double qy, double px, double py, int joined)
{
  nearest *n = arg;
  n->best = fmin(n->best, joined ? seg_dist(n->x, n->y, px, py, qx, qy)
                                 : hypot(n->x - qx, n->y - qy));
}

/* Distance from (x, y) to the drawn polyline of s (INFINITY when none). */
static double line_dist(const panel_layout *pl, const series *s, double x, double y)
{
  nearest n = {x, y, INFINITY};
  sp_plot_polyline(pl, s, nearest_vertex, &n);
  return n.best;
}

/* Does s lie on t: are at least half of its points so near t's line that
 * the two lines' ink touches (or within t's markers, for a series
 * without a line)? */
static int lies_on(const panel_layout *pl, const series *s, const series *t)
{
  double tol = 0.5 * (s->st.width + t->st.width);
  if (t->st.line == SP_LINE_NONE)
    tol = fmax(tol, 0.5 * t->st.marker_size);
  size_t n = 0, on = 0;
  for (size_t i = 0; i < s->n; i++) {
    double x, y;
    if (!sp_plot_point_of(pl, s, i, &x, &y) || x < pl->x || x > pl->x + pl->w || y < pl->y
        || y > pl->y + pl->h)
      continue;
    n++;
    on += line_dist(pl, t, x, y) <= tol;
  }
  return n > 0 && 2 * on >= n;
}

static size_t pn_max(size_t a, size_t b)
{
  return a > b ? a : b;
}

/* Entry `used` of the cycle for s, with its markers staggered. */
static void restyle(series *s, size_t used)
{
  s->st.line = cycle[used % NCYCLE].line;
  s->st.marker = cycle[used % NCYCLE].marker;
  s->auto_marks = 1;
  s->mstride = s->n > AUTO_MARKS ? (s->n + AUTO_MARKS - 1) / AUTO_MARKS : 1;
  /* Stagger the marks of successive restyled series. */
  s->moff = s->mstride > 1 ? (used + 1) * s->mstride / (NCYCLE + 1) % s->mstride : 0;
}

void sp_plot_styles_reset(sp_plot *p)
{
  for (size_t i = 0; i < p->npanels; i++)
    for (size_t k = 0; k < p->pan[i].nser; k++) {
      series *s = &p->pan[i].ser[k];
      s->st = s->orig;
      s->mstride = 1;
      s->moff = 0;
      s->auto_marks = 0;
    }
}

int sp_plot_styles_resolve(sp_plot *p, const layout *L)
{
  /* Series k of every panel shares its style (the legend shows one), so
   * series k is restyled everywhere when it lies on an earlier series in
   * any panel. */
  size_t nmax = 0;
  for (size_t i = 0; i < p->npanels; i++)
    nmax = pn_max(nmax, p->pan[i].nser);
  if (nmax < 2)
    return SP_OK;
  unsigned char *over = calloc(nmax, 1);
  if (!over)
    return SP_ENOMEM;
  for (size_t i = 0; i < p->npanels; i++) {
    const panel *pn = &p->pan[i];
    for (size_t k = 1; k < pn->nser; k++)
      for (size_t j = 0; j < k && pn->ser[k].auto_style && !over[k]; j++)
        over[k] = (unsigned char)lies_on(&L->pl[i], &pn->ser[k], &pn->ser[j]);
  }
  size_t used = 0;
  for (size_t k = 1; k < nmax; k++) {
    if (!over[k])
      continue;
    for (size_t i = 0; i < p->npanels; i++) {
      series *s = k < p->pan[i].nser ? &p->pan[i].ser[k] : NULL;
      if (s && s->auto_style)
        restyle(s, used);
    }
    used++;
  }
  free(over);
  return SP_OK;
}
