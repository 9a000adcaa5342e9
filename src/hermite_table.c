/* The Hermite expansion tabulated over log q_1 in panels of Chebyshev
 * nodes (hermite_table.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "hermite_table.h"

#include "sigprop/status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NODES SP_HERMITE_TABLE_NODES
#define PANELS SP_HERMITE_TABLE_PANELS

typedef struct {
  int status;           /* -1 not computed yet, else the build's status */
  sp_hermite node[NODES];
  int n;                /* most terms of a node */
  double *tails;        /* tails[i * NODES + j] = sum_{m > i} a_m^2 of node j, i < n - 1 */
} panel;

struct sp_hermite_table {
  sp_activation act;
  double a;
  double off[NODES]; /* the nodes' offsets from their panel's lower end */
  panel p[PANELS];
};

/* log q_1 at the top of panel 0; panel k spans [top - k - 1, top - k]. */
static double top(void)
{
  return log(SP_HERMITE_QMAX);
}

/* Offset of node j from its panel's lower end: Chebyshev-Lobatto points,
 * the ends included (q_1 = 16 is a node of panel 0: taken exactly, not as
 * exp(log 16), which rounds below it). */
static double node_offset(int j)
{
  return 0.5 * (1.0 - cos(M_PI * (double)j / (double)(NODES - 1)));
}

/* A table with no panel computed yet. */
static void table_init(sp_hermite_table *t, sp_activation act, double a)
{
  t->act = act;
  t->a = a;
  for (int j = 0; j < NODES; j++)
    t->off[j] = node_offset(j);
  for (int k = 0; k < PANELS; k++)
    t->p[k].status = -1;
}

int sp_hermite_table_alloc(sp_activation act, double a, sp_hermite_table **out)
{
  if (!out)
    return SP_EINVAL;
  *out = calloc(1, sizeof **out);
  if (*out)
    table_init(*out, act, a);
  return *out ? SP_OK : SP_ENOMEM;
}

static void panel_clear(panel *p)
{
  for (int j = 0; j < NODES; j++)
    sp_hermite_free(&p->node[j]);
  free(p->tails);
  p->tails = NULL;
  p->n = 0;
}

/* The nodes' tails, interleaved so that Horner's rule runs over all the
 * nodes of a panel at once (zero beyond a node's own terms). */
static int panel_tails(panel *p)
{
  int n = 0;
  for (int j = 0; j < NODES; j++)
    if (p->node[j].n > n)
      n = p->node[j].n;
  p->n = n;
  p->tails = calloc((size_t)(n > 1 ? n - 1 : 1) * NODES, sizeof *p->tails);
  if (!p->tails)
    return SP_ENOMEM;
  for (int j = 0; j < NODES; j++) {
    const sp_hermite *h = &p->node[j];
    double t = 0.0;
    for (int i = h->n - 2; i >= 0; i--) {
      t += h->a2[i + 1];
      p->tails[(size_t)i * NODES + (size_t)j] = t;
    }
  }
  return SP_OK;
}

void sp_hermite_table_free(sp_hermite_table *t)
{
  if (!t)
    return;
  for (int k = 0; k < PANELS; k++)
    panel_clear(&t->p[k]);
  free(t);
}

int sp_hermite_table_matches(const sp_hermite_table *t, sp_activation act, double a)
{
  return t && t->act == act && (act != SP_ACT_ERF || t->a == a);
}

/* Compute panel k's nodes; a failure is remembered (SP_ENOMEM is not:
 * the next call tries again). */
static int panel_build(sp_hermite_table *t, int k)
{
  panel *p = &t->p[k];
  const double lo = top() - (double)k - 1.0;
  int s = SP_OK;
  for (int j = 0; j < NODES && !s; j++)
    s = sp_hermite_compute(t->act, t->a, k == 0 && j == NODES - 1 ? SP_HERMITE_QMAX
                                                                   : exp(lo + t->off[j]),
                           &p->node[j]);
  if (!s)
    s = panel_tails(p);
  if (s)
    panel_clear(p);
  if (s != SP_ENOMEM)
    p->status = s;
  return s;
}

/* Barycentric weights of the Chebyshev-Lobatto nodes at u, normalised to
 * sum 1 (exactly one weight 1 when u is a node). */
static void weights(const sp_hermite_table *t, double lo, double u, double *l)
{
  double sum = 0.0;
  for (int j = 0; j < NODES; j++) {
    double d = u - (lo + t->off[j]);
    if (d == 0.0) {
      memset(l, 0, NODES * sizeof *l);
      l[j] = 1.0;
      return;
    }
    double w = (j & 1) ? -1.0 : 1.0;
    if (j == 0 || j == NODES - 1)
      w *= 0.5;
    l[j] = w / d;
    sum += l[j];
  }
  for (int j = 0; j < NODES; j++)
    l[j] /= sum;
}

/* The panel holding q_1 (0 .. PANELS - 1), or -1 outside the range. */
static int panel_of(double q1)
{
  if (!(q1 > 0.0) || !(q1 <= SP_HERMITE_QMAX))
    return -1;
  int k = (int)floor(top() - log(q1));
  if (k < 0) /* q_1 = 16 up to rounding of the logarithm */
    k = 0;
  return k < PANELS ? k : -1;
}

/* The built panel holding q_1 and the interpolation weights at q_1, or
 * SP_ENOCONV / SP_ENOMEM. */
static int locate(sp_hermite_table *t, double q1, const panel **out, double *l)
{
  int k = t ? panel_of(q1) : -1;
  if (k < 0)
    return SP_ENOCONV;
  const double u = log(q1);
  panel *p = &t->p[k];
  if (p->status < 0 && panel_build(t, k) == SP_ENOMEM)
    return SP_ENOMEM;
  if (p->status)
    return SP_ENOCONV;
  weights(t, top() - (double)k - 1.0, u, l);
  *out = p;
  return SP_OK;
}

int sp_hermite_table_moments(sp_hermite_table *t, double q1, double *e2, double *price)
{
  const panel *p;
  double l[NODES], se = 0.0, sp = 0.0;
  int s = locate(t, q1, &p, l);
  if (s)
    return s;
  for (int j = 0; j < NODES; j++) {
    se += l[j] * p->node[j].e2;
    sp += l[j] * p->node[j].price;
  }
  if (e2)
    *e2 = se;
  if (price)
    *price = sp;
  return SP_OK;
}

int sp_hermite_table_eval(sp_hermite_table *t, double q1, sp_hermite *h)
{
  const panel *p;
  double l[NODES];
  h->n = 0;
  h->a2 = NULL;
  int s = locate(t, q1, &p, l);
  if (s)
    return s;
  int n = 0;
  for (int j = 0; j < NODES; j++)
    if (p->node[j].n > n)
      n = p->node[j].n;
  double *a2 = calloc((size_t)n, sizeof *a2);
  if (!a2)
    return SP_ENOMEM;
  for (int j = 0; j < NODES; j++)
    for (int i = 0; i < p->node[j].n; i++)
      a2[i] += l[j] * p->node[j].a2[i];
  h->q1 = q1;
  h->n = n;
  h->a2 = a2;
  return sp_hermite_table_moments(t, q1, &h->e2, &h->price);
}

int sp_hermite_table_build(sp_hermite_table *t)
{
  if (!t)
    return SP_EINVAL;
  for (int k = 0; k < PANELS; k++)
    if (t->p[k].status < 0 && panel_build(t, k) == SP_ENOMEM)
      return SP_ENOMEM;
  return SP_OK;
}

int sp_hermite_table_kernel(const sp_hermite_table *t, double q1, double x, double *e2,
                            double *g)
{
  int k = t ? panel_of(q1) : -1;
  if (k < 0 || t->p[k].status != SP_OK || !(fabs(x) <= 1.0))
    return SP_ENOCONV;
  const panel *p = &t->p[k];
  double l[NODES], acc[NODES] = {0.0};
  weights(t, top() - (double)k - 1.0, log(q1), l);
  for (int i = p->n - 2; i >= 0; i--) { /* Horner over every node at once */
    const double *ti = p->tails + (size_t)i * NODES;
    for (int j = 0; j < NODES; j++)
      acc[j] = acc[j] * x + ti[j];
  }
  double se = 0.0, sg = 0.0;
  for (int j = 0; j < NODES; j++) {
    se += l[j] * p->node[j].e2;
    sg += l[j] * (x == 1.0 ? p->node[j].price : acc[j]);
  }
  *e2 = se;
  *g = sg;
  return SP_OK;
}
