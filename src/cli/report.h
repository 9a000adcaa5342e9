/* The report of a network's initialisation, shared by `recommend` and
 * `inspect`: its text form and its one JSON schema (sigprop-recommend(1)).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_CLI_REPORT_H
#define SIGPROP_CLI_REPORT_H

#include "cli.h"
#include "sigprop.h"

#include <jansson.h>
#include <stdio.h>

/* Where the model came from (the library's; the program fills the command
 * line and, for a config, the config).  `assumed` holds the inputs assumed
 * (a default) rather than given: CLI_GIVEN_* bits (cli.h). */
typedef sp_report_source cli_source;

/* The library's report (sp_report_json) as one JSON object, with this
 * run's command line and, for kind "config", the config of --config
 * (the schema of sigprop-recommend(1)):
 * top-level phase, beta, rho0, q0, depth, d_model, heads, tokens (null
 * under T -> infinity statistics), stds {q k v o ff_in ff_out emb}, then
 * source, assumed, model, verdict, first_block, and, when `a` is not NULL,
 * sensitivity, flags and recommendation (with its own stds), else those
 * three null.  `v` is the verdict of m (a's when a is given, may then be
 * NULL); `o` may be NULL when `a` is.  Every number is a JSON number;
 * NaN and infinities are null.  NULL when out of memory. */
json_t *cli_report_json(const sp_model *m, const cli_source *src, const sp_verdict *v,
                        const sp_recommend_options *o, const sp_advice *a);

/* Write `root` to `fp`, indented, with a final newline (for the -o
 * convention's writers; a write error shows when the file is committed). */
void cli_report_dump(FILE *fp, const json_t *root);

/* The text report of `recommend` on `f`: the model as given (source,
 * widths, stds and the derived parameters), the assumptions, the verdict,
 * the sensitivity, the recommendation's std table (and its alternative),
 * then one numbered line per flag. */
void cli_report_text(FILE *f, const sp_model *m, const cli_source *src,
                     const sp_recommend_options *o, const sp_advice *a);

#endif
