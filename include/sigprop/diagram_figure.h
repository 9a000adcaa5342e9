/* sigprop: the figure of sigprop diagram -- rho_L as a heat map, the class
 * names in their regions, the class boundaries and the analytic overlays.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_DIAGRAM_FIGURE_H
#define SIGPROP_DIAGRAM_FIGURE_H

#include "sigprop/export.h"
#include "sigprop/colormap.h"
#include "sigprop/contour.h"
#include "sigprop/diagram.h"
#include "sigprop/plot.h"

SP_BEGIN_DECLS

/** How the figure of a diagram looks.  Fill with
 * sp_diagram_figure_options_default(), then change what you need. */
typedef struct {
  const sp_colormap *colormap; /**< of the heat map; default viridis */
  double range_lo, range_hi;   /**< colour range of rho_L; NaN (default):
                                    min(0, lowest rho_L) and 1 */
  int mark;                    /**< nonzero: a star at (mark_x, mark_y) */
  double mark_x, mark_y;       /**< the marked configuration, axis coordinates */
} sp_diagram_figure_options;

/** Defaults: viridis, automatic range, no mark. */
void sp_diagram_figure_options_default(sp_diagram_figure_options *o);

/** Draw every polyline of `c` in panel `panel` of `p` as one series (the
 * pieces separated by NaN, a closed piece back to its first vertex), with
 * style `st` and legend label `label` (may be NULL; none for an empty
 * contour, which draws nothing).  Errors: SP_EINVAL (NULL p, c or st),
 * SP_ENOMEM, or the figure's status (sp_plot_series). */
int sp_diagram_figure_contour(sp_plot *p, size_t panel, const sp_contour *c,
                              const sp_plot_style *st, const char *label);

/** The figure of the swept diagram `d` (after sp_diagram_curves()) in
 * panel 0 of `p` (a figure of one panel, sp_plot_alloc): title `title`
 * (markup; may be NULL), axes over exactly [min, max] of d's axes with
 * their parameters' labels and spacing, rho_L as a heat map (theory.md
 * §10) with the names of the classes trainable, rank collapse, entropy
 * collapse and rank + entropy collapse (entropy-collapsed with rho_L >=
 * rho_max) in their regions, away from the curves; the class boundaries,
 * the overlays grad_wq = F max, beta = beta_c(rho_0), alpha_c(L),
 * lambda_a = 0 and lambda_g = 0 where d has them, the mark of `o`, and the
 * legend below.  `o` may be NULL (defaults).  Errors: SP_EINVAL (NULL p or
 * d, or a mark outside the axes), SP_ENOMEM, or the figure's status. */
int sp_diagram_figure_draw(sp_plot *p, const sp_diagram_data *d,
                           const sp_diagram_figure_options *o, const char *title);

SP_END_DECLS
#endif
