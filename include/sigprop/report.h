/* sigprop: the report of a network's initialisation (sigprop recommend and
 * sigprop inspect) as JSON text, in its one schema (sigprop-recommend(1)),
 * and recommend's whole run from model options.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_REPORT_H
#define SIGPROP_REPORT_H

#include "sigprop/export.h"
#include "sigprop/advice.h"
#include "sigprop/config.h"
#include "sigprop/inspect.h"
#include "sigprop/modelopt.h"
#include "sigprop/recommend.h"
#include "sigprop/stds.h"

SP_BEGIN_DECLS

/** Where the model came from.  Plain data; the strings are the caller's. */
typedef struct {
  const char *kind;  /**< "preset", "config", "checkpoint" or "options" */
  const char *name;  /**< preset name, file name; NULL for options */
  sp_stds stds;      /**< widths and stds as given (NaN/0 where not) */
  unsigned assumed;  /**< SP_GIVEN_* bits of the inputs assumed (a default)
                          rather than given: rho0, q0, T, statistics, causal,
                          depth */
  const sp_config *config; /**< the config of kind "config" (its assumed
                                fields are listed), or NULL */
  const char *command;     /**< the command line to record, or NULL */
} sp_report_source;

/** The report as JSON text in `*out` (allocated; release it with
 * sp_report_free): top-level phase, beta, rho0, q0, depth, d_model,
 * heads, tokens (null under T -> infinity statistics), stds {q k v o
 * ff_in ff_out emb}, then source, assumed, sigprop (the version), command,
 * model, verdict, first_block, and, when `a` is not NULL, sensitivity,
 * flags and recommendation (with its own stds), else those null.  `v` is
 * the verdict of m (a's when a is given, may then be NULL); `o` may be NULL
 * when `a` is.  Every real is written with 17 significant digits (it reads
 * back exactly); NaN and infinities are null.  Compact, members in that
 * order.  SP_OK, SP_EINVAL (a needed pointer NULL) or SP_ENOMEM. */
int sp_report_json(const sp_model *m, const sp_report_source *src, const sp_verdict *v,
                   const sp_recommend_options *o, const sp_advice *a, char **out);

/** Release text made by this module (NULL: nothing). */
void sp_report_free(char *text);

/** What sigprop recommend evaluates for the model of `mo` (as its options
 * left it), before the work: in *m that model under finite-T statistics
 * unless --attention-stats was given, checked (sp_modelopt_check); in *ro
 * the options `o` with the gain `gain` (>= 0, an sp_gain), else the
 * preset's, else o's; in *src the model's source, stds and assumptions
 * (command NULL).  SP_OK, or the status of the check with its message in
 * sp_modelopt_error(mo). */
int sp_report_prepare(sp_modelopt *mo, const sp_recommend_options *o, int gain, sp_model *m,
                      sp_recommend_options *ro, sp_report_source *src);

/** The advice of sigprop recommend for model m (sp_advice_eval with a
 * workspace of its own) from the given stds of `src`.  Statuses of
 * sp_advice_eval and SP_ENOMEM. */
int sp_report_advise(const sp_model *m, const sp_report_source *src,
                     const sp_recommend_options *ro, sp_advice *a);

/** The whole of `sigprop recommend -o -` for the model of `mo`:
 * sp_report_prepare, sp_report_advise and sp_report_json (with `command`
 * recorded, may be NULL) into *out (release with sp_report_free).  SP_OK,
 * or a status with the program's message in err (of errsize bytes,
 * truncated to fit): the check's, or "recommend: ..." for a failure of
 * the advice.  SP_EINVAL without writing err when err is NULL. */
int sp_report_recommend(sp_modelopt *mo, const sp_recommend_options *o, int gain,
                        const char *command, char **out, char *err, size_t errsize);

/** What sigprop inspect is asked: the checkpoint's config.json (NULL:
 * none), the sequence length of the measured input and of beta (0: the
 * config's, else the position table's rows, else 2048, assumed), the seed
 * of the input, the rank-collapse threshold and the margin. */
typedef struct {
  const char *config;
  long tokens;
  unsigned long seed;
  double rho_max, margin;
} sp_report_inspect_options;

/** Defaults: no config, tokens 0, seed 1, rho_max 0.9, margin 0.2. */
void sp_report_inspect_options_default(sp_report_inspect_options *o);

/** Measure the checkpoint `file` (FILE.safetensors or a sharded
 * checkpoint's model.safetensors.index.json) with o's config
 * (sp_config_read, sp_safetensors_open, sp_inspect_checkpoint) into *in
 * (release it with sp_inspect_free).  SP_OK, or a status with the
 * program's message in err (of errsize bytes) and *usage 1 when the input
 * is bad (a malformed file, a value out of its domain: exit status 2) or 0
 * when reading failed or memory ran out (exit status 1). */
int sp_report_measure(const char *file, const sp_report_inspect_options *o, sp_inspection *in,
                      char *err, size_t errsize, int *usage);

/** The recommendation for a measured checkpoint as sigprop inspect makes
 * it, for the model in->preset.model: *src (kind "checkpoint", name
 * `file`, the measured widths and stds; T assumed when the inspection
 * assumed it, causal assumed without a config), *ro (o's threshold and
 * margin, the preset's gain, the width), and the advice *a with *advised
 * 1, or when the advice fails (its status in *why) the verdict alone in *v
 * with *advised 0.  SP_OK, or the status of the verdict. */
int sp_report_inspect_eval(const sp_inspection *in, const char *file,
                           const sp_report_inspect_options *o, sp_report_source *src,
                           sp_recommend_options *ro, sp_advice *a, sp_verdict *v, int *advised,
                           int *why);

/** The JSON of `sigprop inspect FILE --format json` into *out (release with
 * sp_report_free): the members of sp_report_json (with the advice when
 * `advised`, else the verdict *v alone) and "checkpoint": file, family,
 * prefix, std_emb, std_pos, seed, advice.  SP_OK or SP_ENOMEM. */
int sp_report_inspect_json(const sp_inspection *in, const char *file,
                           const sp_report_inspect_options *o, const sp_report_source *src,
                           const sp_recommend_options *ro, const sp_advice *a,
                           const sp_verdict *v, int advised, char **out);

/** The whole of `sigprop inspect FILE --format json`: sp_report_measure,
 * sp_report_inspect_eval and sp_report_inspect_json (with `command`
 * recorded, may be NULL) into *out.  Errors as sp_report_measure (err,
 * *usage), and the verdict's failure worded as the program words it
 * ("inspect: ...", *usage 0). */
int sp_report_inspect(const char *file, const sp_report_inspect_options *o, const char *command,
                      char **out, char *err, size_t errsize, int *usage);

SP_END_DECLS
#endif
