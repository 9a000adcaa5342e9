/* Private to the stds family (stds.c, modelopt.c, report_inspect.c): the
 * weight stds of a preset.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_STDS_PRIVATE_H
#define SIGPROP_STDS_PRIVATE_H

#include "sigprop/preset.h"
#include "sigprop/stds.h"

/* The weight stds of preset p into s: q, k, v, ff_in, ff_out, o (NaN unless
 * s->output_projection) and ff_gate (NaN unless s->gate); s's widths, flags
 * and embedding std untouched, so set s->output_projection and s->gate first. */
void sp_stds_preset_weights(sp_stds *s, const sp_preset *p);

#endif
