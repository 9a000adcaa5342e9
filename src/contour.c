/* Marching squares with refined crossings and stitched polylines.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/contour.h"
#include "sigprop/status.h"
#include "grow.h"
#include "root.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Relative tolerance of a refined crossing, in units of the edge length. */
#define EDGE_TOL 1e-10

void sp_contour_free(sp_contour *c)
{
  if (!c)
    return;
  for (size_t i = 0; i < c->n; i++) {
    free(c->lines[i].x);
    free(c->lines[i].y);
  }
  free(c->lines);
  c->lines = NULL;
  c->n = 0;
}

/* ---- root finding along a segment ------------------------------------ */

/* g(t) = f(a + t (b - a)) - level on t in [0, 1], with g(0) and g(1)
 * known.  A NaN of f (allowed: f undefined there) reaches the root finder
 * as SP_EDOM, which keeps the linear fallback. */
typedef struct {
  sp_contour_fn f;
  void *arg;
  double ax, ay, bx, by, level;
  double g0, g1;
  int status; /* the first error status of f */
} segment;

static int segment_fn(double t, void *p, double *g)
{
  segment *s = p;
  double v = NAN;
  int st = s->f(s->ax + t * (s->bx - s->ax), s->ay + t * (s->by - s->ay), s->arg, &v);
  if (st && !s->status)
    s->status = st;
  *g = v - s->level;
  return st;
}

/* Root of g in [0, 1] by Brent's method.  *t keeps its value (the
 * caller's fallback) unless the solver converges; returns the status of
 * the callback (SP_OK otherwise). */
static int segment_root(segment *s, double *t)
{
  if (!isfinite(s->g0) || !isfinite(s->g1) || s->g0 * s->g1 > 0.0)
    return SP_OK;
  double r;
  int st = sp_root_brent(segment_fn, s, 0.0, 1.0, s->g0, s->g1, EDGE_TOL, 0.0, &r);
  if (s->status)
    return s->status;
  if (st == SP_ENOMEM)
    return st;
  if (st == SP_OK && r >= 0.0 && r <= 1.0)
    *t = r;
  return SP_OK;
}

/* ---- growing arrays ------------------------------------------------- */

typedef struct {
  double x, y;
  long nb[2]; /* the two neighbours, -1 when absent */
} vertex;

typedef struct {
  vertex *v;
  size_t n, cap;
} vertices;

static int vertex_add(vertices *v, double x, double y, long *id)
{
  if (sp_grow(&v->v, &v->cap, v->n, sizeof *v->v, 256))
    return SP_ENOMEM;
  v->v[v->n] = (vertex){x, y, {-1, -1}};
  *id = (long)v->n++;
  return SP_OK;
}

static void link_vertices(vertices *v, long a, long b)
{
  long *na = v->v[a].nb, *nb = v->v[b].nb;
  na[na[0] < 0 ? 0 : 1] = b;
  nb[nb[0] < 0 ? 0 : 1] = a;
}

static int contour_push(sp_contour *c, size_t *cap, const double *x, const double *y,
                        size_t n, int closed)
{
  /* Drop repeated points (a crossing exactly at a shared grid corner). */
  double *px, *py;
  if (sp_alloc_points(n, &px, &py))
    return SP_ENOMEM;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (k && px[k - 1] == x[i] && py[k - 1] == y[i])
      continue;
    px[k] = x[i];
    py[k] = y[i];
    k++;
  }
  if (closed && k > 1 && px[k - 1] == px[0] && py[k - 1] == py[0])
    k--;
  if (k < 2) {
    free(px);
    free(py);
    return SP_OK;
  }
  if (sp_grow(&c->lines, cap, c->n, sizeof *c->lines, 8)) {
    free(px);
    free(py);
    return SP_ENOMEM;
  }
  c->lines[c->n++] = (sp_polyline){k, px, py, closed && k > 2};
  return SP_OK;
}

/* ---- marching squares ----------------------------------------------- */

typedef struct {
  size_t nx, ny;
  const double *x, *y, *z;
  double level;
  sp_contour_fn f;
  void *arg;
  long *edge;  /* vertex id of each edge's crossing, -1 before it is made */
  vertices v;
} grid;

/* Crossing on the edge from corner (i0, j0) to (i1, j1), which are
 * neighbours; `e` is the edge's slot in g->edge. */
static int crossing(grid *g, size_t e, size_t i0, size_t j0, size_t i1, size_t j1, long *id)
{
  if (g->edge[e] >= 0) {
    *id = g->edge[e];
    return SP_OK;
  }
  double za = g->z[j0 * g->nx + i0] - g->level, zb = g->z[j1 * g->nx + i1] - g->level;
  double t = za / (za - zb);
  if (!(t >= 0.0 && t <= 1.0)) /* an infinite sample: the finite end is nearer */
    t = isinf(za) && !isinf(zb) ? 1.0 : isinf(zb) && !isinf(za) ? 0.0 : 0.5;
  if (g->f) {
    segment s = {g->f, g->arg, g->x[i0], g->y[j0], g->x[i1], g->y[j1], g->level, za, zb, 0};
    int st = segment_root(&s, &t);
    if (st)
      return st;
  }
  double px = g->x[i0] + t * (g->x[i1] - g->x[i0]);
  double py = g->y[j0] + t * (g->y[j1] - g->y[j0]);
  if (i0 == i1)
    px = g->x[i0];
  else
    py = g->y[j0];
  int st = vertex_add(&g->v, px, py, id);
  if (st)
    return st;
  g->edge[e] = *id;
  return SP_OK;
}

enum { EB, ER, ET, EL }; /* bottom, right, top, left edge of a cell */

static int cell_edge(grid *g, size_t i, size_t j, int which, long *id)
{
  size_t nx = g->nx;
  switch (which) {
  case EB: return crossing(g, 2 * (j * nx + i), i, j, i + 1, j, id);
  case ET: return crossing(g, 2 * ((j + 1) * nx + i), i, j + 1, i + 1, j + 1, id);
  case EL: return crossing(g, 2 * (j * nx + i) + 1, i, j, i, j + 1, id);
  default: return crossing(g, 2 * (j * nx + i + 1) + 1, i + 1, j, i + 1, j + 1, id);
  }
}

static int segment_add(grid *g, size_t i, size_t j, int ea, int eb)
{
  long a, b;
  int s = cell_edge(g, i, j, ea, &a);
  if (!s)
    s = cell_edge(g, i, j, eb, &b);
  if (!s)
    link_vertices(&g->v, a, b);
  return s;
}

/* 1 when the centre of a saddle cell is above the level. */
static int saddle_above(grid *g, size_t i, size_t j, const double *c)
{
  if (g->f) {
    double v = NAN;
    double xm = 0.5 * (g->x[i] + g->x[i + 1]), ym = 0.5 * (g->y[j] + g->y[j + 1]);
    if (g->f(xm, ym, g->arg, &v) == SP_OK && !isnan(v))
      return v >= g->level;
  }
  double den = c[0] + c[2] - c[1] - c[3];
  double saddle = den != 0.0 ? (c[0] * c[2] - c[1] * c[3]) / den : 0.25 * (c[0] + c[1] + c[2] + c[3]);
  return saddle >= 0.0;
}

static int march(grid *g)
{
  /* Segments of each case as pairs of edges; saddles (5, 10) are handled
   * apart.  Corner k is bit k: 0 bottom-left, 1 bottom-right, 2 top-right,
   * 3 top-left. */
  static const signed char table[16][2] = {
    {-1, -1}, {EL, EB}, {EB, ER}, {EL, ER}, {ER, ET}, {-1, -1}, {EB, ET}, {EL, ET},
    {ET, EL}, {EB, ET}, {-1, -1}, {ER, ET}, {EL, ER}, {EB, ER}, {EL, EB}, {-1, -1}};
  for (size_t j = 0; j + 1 < g->ny; j++) {
    for (size_t i = 0; i + 1 < g->nx; i++) {
      double c[4] = {g->z[j * g->nx + i], g->z[j * g->nx + i + 1],
                     g->z[(j + 1) * g->nx + i + 1], g->z[(j + 1) * g->nx + i]};
      int code = 0, bad = 0;
      for (int k = 0; k < 4; k++) {
        bad |= isnan(c[k]);
        c[k] -= g->level;
        code |= (c[k] >= 0.0) << k;
      }
      if (bad || code == 0 || code == 15)
        continue;
      int s;
      if (code == 5 || code == 10) {
        int above = saddle_above(g, i, j, c);
        /* Cut off the two corners that are not joined through the centre. */
        if ((code == 5) == (above != 0)) {
          s = segment_add(g, i, j, EB, ER);
          if (!s)
            s = segment_add(g, i, j, ET, EL);
        } else {
          s = segment_add(g, i, j, EL, EB);
          if (!s)
            s = segment_add(g, i, j, ER, ET);
        }
      } else {
        s = segment_add(g, i, j, table[code][0], table[code][1]);
      }
      if (s)
        return s;
    }
  }
  return SP_OK;
}

/* Follow the chain from `start` (an end, or any vertex of a loop). */
static int walk(const vertices *v, long start, unsigned char *seen, double *bx, double *by,
                size_t *n, int *closed)
{
  long prev = -1, cur = start;
  *n = 0;
  *closed = 0;
  while (cur >= 0 && !seen[cur]) {
    seen[cur] = 1;
    bx[*n] = v->v[cur].x;
    by[*n] = v->v[cur].y;
    (*n)++;
    const long *nb = v->v[cur].nb;
    long next = nb[0] != prev ? nb[0] : nb[1];
    if (nb[0] == prev && nb[1] == prev)
      next = -1;
    if (next == start)
      *closed = 1;
    prev = cur;
    cur = next;
  }
  return SP_OK;
}

int sp_contour_lines(size_t nx, size_t ny, const double *x, const double *y, const double *z,
                     double level, sp_contour_fn f, void *arg, sp_contour *out)
{
  if (!x || !y || !z || !out || nx < 2 || ny < 2 || out->n || out->lines)
    return SP_EINVAL;
  if (isnan(level))
    return SP_EDOM;
  for (size_t i = 0; i + 1 < nx; i++)
    if (!(x[i] < x[i + 1]))
      return SP_EINVAL;
  for (size_t j = 0; j + 1 < ny; j++)
    if (!(y[j] < y[j + 1]))
      return SP_EINVAL;
  if (nx > ((size_t)-1) / 2 / ny / sizeof(long))
    return SP_ENOMEM;
  grid g = {nx, ny, x, y, z, level, f, arg, NULL, {NULL, 0, 0}};
  g.edge = malloc(2 * nx * ny * sizeof *g.edge);
  if (!g.edge)
    return SP_ENOMEM;
  for (size_t k = 0; k < 2 * nx * ny; k++)
    g.edge[k] = -1;
  int s = march(&g);
  free(g.edge);

  unsigned char *seen = NULL;
  double *bx = NULL, *by = NULL;
  size_t cap = 0;
  if (!s && g.v.n) {
    seen = calloc(g.v.n, 1);
    bx = malloc(g.v.n * sizeof *bx);
    by = malloc(g.v.n * sizeof *by);
    if (!seen || !bx || !by)
      s = SP_ENOMEM;
  }
  /* Open chains first (from their ends), then the loops. */
  for (int pass = 0; pass < 2 && !s; pass++) {
    for (size_t k = 0; k < g.v.n && !s; k++) {
      const long *nb = g.v.v[k].nb;
      if (seen[k] || (pass == 0 && nb[1] >= 0))
        continue;
      size_t n;
      int closed;
      walk(&g.v, (long)k, seen, bx, by, &n, &closed);
      s = contour_push(out, &cap, bx, by, n, pass == 1 && closed);
    }
  }
  free(seen);
  free(bx);
  free(by);
  free(g.v.v);
  if (s)
    sp_contour_free(out);
  return s;
}

/* ---- clipping ------------------------------------------------------- */

/* Point where h crosses the level on the segment a -> b. */
static int cut(sp_contour_fn h, void *arg, double level, double ax, double ay, double ha,
               double bx, double by, double hb, double *cx, double *cy)
{
  double t = 0.5;
  if (isfinite(ha) && isfinite(hb) && ha != hb)
    t = (level - ha) / (hb - ha);
  segment s = {h, arg, ax, ay, bx, by, level, ha - level, hb - level, 0};
  int st = segment_root(&s, &t);
  if (st)
    return st;
  *cx = ax + t * (bx - ax);
  *cy = ay + t * (by - ay);
  return SP_OK;
}

static int clip_line(const sp_polyline *l, sp_contour_fn h, void *arg, double level,
                     sp_contour *out, size_t *cap)
{
  size_t n = l->n;
  double *hv = malloc(n * sizeof *hv);
  /* Room for every vertex once more, plus the cuts. */
  double *px = malloc((2 * n + 2) * sizeof *px), *py = malloc((2 * n + 2) * sizeof *py);
  int s = SP_OK;
  if (!hv || !px || !py)
    s = SP_ENOMEM;
  size_t nkept = 0;
  for (size_t k = 0; k < n && !s; k++) {
    hv[k] = NAN;
    s = h(l->x[k], l->y[k], arg, &hv[k]);
    nkept += !(hv[k] > level);
  }
  if (!s && nkept == n) {
    s = contour_push(out, cap, l->x, l->y, n, l->closed);
  } else if (!s && nkept) {
    /* Start a loop at a removed vertex so that every kept run is whole. */
    size_t start = 0;
    if (l->closed)
      while (!(hv[start] > level))
        start++;
    size_t nseg = l->closed ? n : n - 1, m = 0;
    size_t a = start;
    if (!(hv[a] > level)) {
      px[m] = l->x[a];
      py[m] = l->y[a];
      m++;
    }
    for (size_t k = 0; k < nseg && !s; k++) {
      size_t b = (a + 1) % n;
      int ka = !(hv[a] > level), kb = !(hv[b] > level);
      double cx, cy;
      if (ka && kb) {
        px[m] = l->x[b];
        py[m] = l->y[b];
        m++;
      } else if (ka != kb) {
        s = cut(h, arg, level, l->x[a], l->y[a], hv[a], l->x[b], l->y[b], hv[b], &cx, &cy);
        if (s)
          break;
        if (ka) {
          px[m] = cx;
          py[m] = cy;
          m++;
          s = contour_push(out, cap, px, py, m, 0);
          m = 0;
        } else {
          px[0] = cx;
          py[0] = cy;
          px[1] = l->x[b];
          py[1] = l->y[b];
          m = 2;
        }
      }
      a = b;
    }
    if (!s && m)
      s = contour_push(out, cap, px, py, m, 0);
  }
  free(hv);
  free(px);
  free(py);
  return s;
}

int sp_contour_clip(sp_contour *c, sp_contour_fn h, void *arg, double level)
{
  if (!c || !h)
    return SP_EINVAL;
  if (isnan(level))
    return SP_EDOM;
  sp_contour out = {0, NULL};
  size_t cap = 0;
  int s = SP_OK;
  for (size_t i = 0; i < c->n && !s; i++)
    s = clip_line(&c->lines[i], h, arg, level, &out, &cap);
  if (s) {
    sp_contour_free(&out);
    return s;
  }
  sp_contour_free(c);
  *c = out;
  return SP_OK;
}
