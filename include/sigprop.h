/* sigprop: signal propagation in deep transformers at initialisation.
 * Umbrella header: includes every public module.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_H
#define SIGPROP_H

#include "sigprop/status.h"
#include "sigprop/model.h"
#include "sigprop/activation.h"
#include "sigprop/gauss.h"
#include "sigprop/meanfield.h"
#include "sigprop/rem.h"
#include "sigprop/rem_finite.h"
#include "sigprop/workspace.h"
#include "sigprop/maps.h"
#include "sigprop/propagate.h"
#include "sigprop/critical.h"
#include "sigprop/grad.h"
#include "sigprop/compare.h"
#include "sigprop/rem_overlap.h"
#include "sigprop/io.h"
#include "sigprop/utf8.h"
#include "sigprop/preset.h"
#include "sigprop/config.h"
#include "sigprop/safetensors.h"
#include "sigprop/inspect.h"
#include "sigprop/recommend.h"
#include "sigprop/sensitivity.h"
#include "sigprop/stds.h"
#include "sigprop/advice.h"
#include "sigprop/colormap.h"
#include "sigprop/contour.h"
#include "sigprop/diagram.h"
#include "sigprop/plot.h"
#include "sigprop/sim.h"
#include "sigprop/train.h"

#ifdef __cplusplus
extern "C" {
#endif
#if defined(__GNUC__)
#pragma GCC visibility push(default) /* the public API is exported */
#endif

/** Library version string, e.g. "0.1.0". */
const char *sp_version(void);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
#ifdef __cplusplus
}
#endif

#endif
