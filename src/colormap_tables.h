/* The built-in colormap tables, generated at build time from
 * the CSV tables in data/colormaps/ by data/colormaps/gen_colormaps.py.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_COLORMAP_TABLES_H
#define SIGPROP_COLORMAP_TABLES_H

#include "sigprop/colormap.h"

extern const sp_colormap sp_colormap_builtin[];
extern const size_t sp_colormap_nbuiltin;

#endif
