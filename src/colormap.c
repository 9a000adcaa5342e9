/* Built-in colormaps and their evaluation.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/colormap.h"
#include "sigprop/status.h"
#include "colormap_tables.h"

#include <math.h>
#include <string.h>

const sp_colormap *sp_colormap_lookup(const char *name)
{
  if (!name)
    return NULL;
  for (size_t i = 0; i < sp_colormap_nbuiltin; i++)
    if (strcmp(sp_colormap_builtin[i].name, name) == 0)
      return &sp_colormap_builtin[i];
  return NULL;
}

const sp_colormap *sp_colormap_table(size_t *n)
{
  if (n)
    *n = sp_colormap_nbuiltin;
  return sp_colormap_builtin;
}

int sp_colormap_eval(const sp_colormap *c, double t, double rgb[3])
{
  if (!c || !rgb || c->n < 2)
    return SP_EINVAL;
  if (isnan(t))
    return SP_EDOM;
  t = t < 0.0 ? 0.0 : t > 1.0 ? 1.0 : t;
  double u = t * (double)(c->n - 1);
  size_t k = (size_t)u;
  if (k >= c->n - 1)
    k = c->n - 2;
  double f = u - (double)k;
  for (int i = 0; i < 3; i++)
    rgb[i] = (1.0 - f) * c->rgb[k][i] + f * c->rgb[k + 1][i];
  return SP_OK;
}
