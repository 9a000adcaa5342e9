/* sigprop: signal propagation in deep transformers at initialisation.
 * Umbrella header: includes every public module.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The API convention (every public header follows it):
 *
 * Names.  Every function is sp_<module>_<verb>[_<object>], <module> being
 *   the header that declares it (sp_plot_alloc in plot.h,
 *   sp_recommend_critical_gain in recommend.h), or sp_<type>_<verb> for a
 *   function of one public type (sp_outfile_commit, sp_gain_name,
 *   sp_activation_from_name).  A module whose one job is its name may use
 *   it alone (sp_propagate, sp_recommend).  Types are sp_<noun>, constants
 *   and enumerators SP_<NAME>.
 *
 * Errors.  A fallible function returns an int status: SP_OK (0) or a
 *   positive SP_E* code from status.h, which sp_strerror() turns into a
 *   static message.  Results go through pointer arguments, written only on
 *   SP_OK unless the documentation says otherwise.  A function that cannot
 *   fail returns its value.
 *
 * Objects.  A stateful object is an opaque type sp_X, made by
 *   int sp_X_alloc(..., sp_X **out) (status returned; *out NULL on failure)
 *   and released by void sp_X_free(sp_X *x), for which NULL is a no-op.  The
 *   caller owns what an _alloc makes and frees it; a pointer a function
 *   returns into an object (a name, a row) lives as long as the object.
 *   Plain option and result structures (sp_X_options, filled by
 *   sp_X_options_default) are public and owned by the caller.
 *
 * Callbacks.  One progress callback type, sp_progress (status.h):
 *   void (*)(void *arg, size_t done, size_t total), with its user pointer
 *   next to it in the options (progress, progress_arg).  It may run on a
 *   worker thread and must not call back into the object reporting.
 *
 * Behaviour.  The library never prints, exits or aborts; it never hands
 *   GSL's error handler a non-finite value (inputs are screened first) and
 *   works with the handler on or off.  No global mutable state: distinct
 *   objects may be used from distinct threads at once; one object is used
 *   by one thread at a time, except where its header says it is read-only
 *   after preparation (sp_workspace, sp_mlp_table) and may be shared.
 */
#ifndef SIGPROP_H
#define SIGPROP_H

#include "sigprop/status.h"
#include "sigprop/model.h"
#include "sigprop/activation.h"
#include "sigprop/gauss.h"
#include "sigprop/meanfield.h"
#include "sigprop/meanfield_table.h"
#include "sigprop/rem.h"
#include "sigprop/rem_finite.h"
#include "sigprop/attention_table.h"
#include "sigprop/workspace.h"
#include "sigprop/maps.h"
#include "sigprop/propagate.h"
#include "sigprop/propagate_table.h"
#include "sigprop/critical.h"
#include "sigprop/critical_query.h"
#include "sigprop/grad.h"
#include "sigprop/compare.h"
#include "sigprop/rem_overlap.h"
#include "sigprop/io.h"
#include "sigprop/utf8.h"
#include "sigprop/preset.h"
#include "sigprop/model_title.h"
#include "sigprop/config.h"
#include "sigprop/modelopt.h"
#include "sigprop/safetensors.h"
#include "sigprop/inspect.h"
#include "sigprop/recommend.h"
#include "sigprop/report.h"
#include "sigprop/sensitivity.h"
#include "sigprop/stds.h"
#include "sigprop/advice.h"
#include "sigprop/colormap.h"
#include "sigprop/contour.h"
#include "sigprop/diagram.h"
#include "sigprop/diagram_table.h"
#include "sigprop/diagram_figure.h"
#include "sigprop/plot.h"
#include "sigprop/sim.h"
#include "sigprop/sim_table.h"
#include "sigprop/train.h"

SP_BEGIN_DECLS

/** Library version string, e.g. "0.1.0". */
const char *sp_version(void);

SP_END_DECLS

#endif
