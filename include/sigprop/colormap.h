/* sigprop: perceptually uniform colormaps for heat maps.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_COLORMAP_H
#define SIGPROP_COLORMAP_H

#include "sigprop/export.h"
#include <stddef.h>

SP_BEGIN_DECLS

/** A colormap: `n` >= 2 RGB entries with components in [0, 1], entry 0
 * for the lowest value.  The built-in maps (viridis, cividis, magma,
 * inferno; CC0 tables from data/colormaps/, compiled into the library)
 * are static data owned by the library. */
typedef struct {
  const char *name;
  size_t n;
  const double (*rgb)[3];
} sp_colormap;

/** The built-in colormap called `name` (case-sensitive: "viridis",
 * "cividis", "magma", "inferno"), or NULL when there is none. */
const sp_colormap *sp_colormap_lookup(const char *name);

/** All built-in colormaps; `*n` (may be NULL) receives their number.
 * The first one, viridis, is the default. */
const sp_colormap *sp_colormap_table(size_t *n);

/** Colour of the normalised value `t` in [0, 1] (clipped; 0 is entry 0,
 * 1 the last entry), linearly interpolated between neighbouring entries,
 * into rgb[0..2].  Returns SP_EINVAL for a NULL argument and SP_EDOM for
 * a NaN `t` (rgb is then left unchanged). */
int sp_colormap_eval(const sp_colormap *c, double t, double rgb[3]);

SP_END_DECLS
#endif
