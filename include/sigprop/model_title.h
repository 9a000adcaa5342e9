/* sigprop: a model in one line, as the title of a figure.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_MODEL_TITLE_H
#define SIGPROP_MODEL_TITLE_H

#include "sigprop/export.h"
#include "sigprop/model.h"
#include "sigprop/preset.h"

#include <stddef.h>

SP_BEGIN_DECLS

/** A one-line description of model `m` into buf (size bytes, always
 * NUL-terminated when size > 0, truncated if short), in plot markup: e.g.
 * "gpt2-small: pre-LN decoder (causal), GELU MLP, L = 60, β = 0.164,
 * ρ_0 = 0.025, finite T = 512" -- the preset's name when `preset` is
 * given (may be NULL), the norm placement, the causal mask, a
 * non-softmax attention, the MLP's activation, then the depth, beta and
 * rho_0 (three significant digits) and finite-T statistics where they
 * apply, leaving out the parameters skip1 and skip2 (may be NULL) that
 * the figure varies (finite T without its value when tokens is one of
 * them).  The figures of the program carry it as their title. */
void sp_model_title(const sp_model *m, const sp_preset *preset, const sp_param *skip1,
                    const sp_param *skip2, char *buf, size_t size);

SP_END_DECLS
#endif
