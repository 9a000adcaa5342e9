/* The report of a network's initialisation, shared by `recommend` and
 * `inspect`: its text form and its one JSON schema (sigprop-recommend(1)).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_CLI_REPORT_H
#define SIGPROP_CLI_REPORT_H

#include "cli.h"
#include "sigprop.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>

/* Every CLI_GIVEN_* bit (cli.h) the report marks when assumed. */
#define CLI_REPORT_INPUTS 127u

/* 1 when the report's model takes the exact row overlap (theory.md §14) by
 * default: finite-T statistics and encoder rows (the causal law has no
 * table yet) whose lambda = beta sqrt(q (q - p)) stays within the overlap
 * table over the whole run -- beyond it every evaluation is a quadrature of
 * 1 to 300 ms.  A LayerNorm before every block's attention (post-LN after
 * block 1, pre-LN on its normalised input) gives q = 1 and lambda <= beta
 * sqrt(T / (T - 1)); post-LN's block 1 sees q0.  recommend scans beta up to
 * block 1's beta_c, so that bounds beta too. */
static inline int cli_report_exact_overlap(const sp_model *m)
{
  int post = m->norm == SP_NORM_POST;
  if (m->stats != SP_STATS_FINITE || m->causal || m->attention == SP_ATTN_UNIFORM
      || !(post || (m->norm == SP_NORM_PRE && m->beta_c_on == SP_BETAC_INPUT)))
    return 0;
  double top = post ? sp_rem_beta_c(m->q0, m->rho0 * m->q0) : sp_rem_beta_c(1.0, m->rho0);
  double first = post ? m->q0 * sqrt(1.0 - m->rho0) : 1.0; /* block 1's q0 sqrt(1 - rho0) */
  double lambda = (m->beta > top ? m->beta : top) * (first > 1.0 ? first : 1.0)
                  * sqrt((double)m->tokens / ((double)m->tokens - 1.0));
  return lambda <= SP_OVERLAP_TABLE_LAMBDA_MAX;
}

/* Where the model came from. */
typedef struct {
  const char *kind; /* "preset", "config", "checkpoint" or "options" */
  const char *name; /* preset name, file name; NULL for options */
  sp_stds stds;     /* widths and stds as given (NaN/0 where not) */
  unsigned assumed; /* the inputs assumed (a default) rather than given:
                     * CLI_GIVEN_* bits (cli.h) */
} cli_source;

/* The report as one JSON object (the schema of sigprop-recommend(1)):
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
