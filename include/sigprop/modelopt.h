/* sigprop: the model options (--beta, --var-v, --preset, --config,
 * --init-std, --std-*, ...) read by name and value, validated with one
 * message per error: the same table serves the program and the bindings.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_MODELOPT_H
#define SIGPROP_MODELOPT_H

#include "sigprop/export.h"
#include "sigprop/config.h"
#include "sigprop/model.h"
#include "sigprop/preset.h"
#include "sigprop/stds.h"

#include <stddef.h>

SP_BEGIN_DECLS

/** The model being built from options, and what the options left pending:
 * the framework stds and widths (theory.md §11) of --preset, --config,
 * --init-std, --std-* and --d-model/--heads/--d-ff, the preset or config
 * last applied, which inputs were given, and the message of the last
 * error.  One object per thread; the caller owns it. */
typedef struct sp_modelopt sp_modelopt;

/** Which option table: every model option (sigprop(1) MODEL OPTIONS), or
 * the MLP's alone (sigprop mlp: --activation, --var-w, --var-b,
 * --erf-scale, with their own help lines). */
typedef enum { SP_MODELOPT_ALL, SP_MODELOPT_MLP } sp_modelopt_table;

/** One option of a table, as a help text lists it.  Static data. */
typedef struct {
  const char *name;    /**< long name without the dashes, e.g. "var-v" */
  const char *metavar; /**< its value's name ("V", "post|pre|none"); NULL:
                            takes no value (--causal) */
  const char *help;    /**< one line; NULL: another name of the entry
                            before it (eta, no-causal) */
  int nodefault;       /**< 1: a help text shows no default for it */
} sp_modelopt_entry;

/** Which inputs the options (or the preset) gave rather than left at their
 * defaults: bits of sp_modelopt_given(). */
enum {
  SP_GIVEN_RHO0 = 1u << 0,
  SP_GIVEN_Q0 = 1u << 1,
  SP_GIVEN_TOKENS = 1u << 2,
  SP_GIVEN_STATS = 1u << 3,
  SP_GIVEN_CAUSAL = 1u << 4,
  SP_GIVEN_DEPTH = 1u << 5,
  SP_GIVEN_OVERLAP = 1u << 6
};

/** The size of the error message buffer (sp_modelopt_error). */
#define SP_MODELOPT_ERROR_SIZE 1024

/** A new object in *out: the model at sp_model_default(), no std, width,
 * preset or config, nothing given.  SP_OK, SP_EINVAL (out NULL) or
 * SP_ENOMEM (*out NULL). */
int sp_modelopt_alloc(sp_modelopt **out);

/** Release `o` (NULL: nothing). */
void sp_modelopt_free(sp_modelopt *o);

/** Number of entries of table `which` (0 for an unknown table). */
size_t sp_modelopt_count(sp_modelopt_table which);

/** Entry i of table `which`, or NULL past the end. */
const sp_modelopt_entry *sp_modelopt_entry_at(sp_modelopt_table which, size_t i);

/** Apply option `name` (long name without dashes, from table `which`) with
 * `value` (NULL for an option without a value) to the object's model, as
 * the program does for --name value: later options override earlier ones,
 * a preset or config sets the architecture at its place, a group of stds
 * sets its model parameters once its partners and widths are known.
 * Returns SP_OK, or on a bad option SP_EINVAL (unknown name, not a number,
 * not one of the names, a value missing or unexpected), SP_EDOM (a number
 * outside its domain), SP_EIO (a preset or config file unreadable) or
 * another status of the preset or config reader; the message, e.g.
 * "--var-v: -0.3 is outside the domain [0, 1e+06] (...)", is then in
 * sp_modelopt_error().  The model may hold the options applied before. */
int sp_modelopt_set(sp_modelopt *o, sp_modelopt_table which, const char *name,
                    const char *value);

/** Check model `m` (NULL: the object's) once every option is applied: std
 * options whose partner or width never came, heads not dividing d-model,
 * then sp_model_validate with the program's wording (rho0 below -1/(T-1),
 * or negative under asymptotic statistics).  SP_OK or SP_EDOM/SP_EINVAL
 * with the message in sp_modelopt_error(). */
int sp_modelopt_check(sp_modelopt *o, const sp_model *m);

/** The message of the last error of `o` ("" when none), e.g.
 * "--beta: 'nan' is not a finite number".  Lives as long as `o`. */
const char *sp_modelopt_error(const sp_modelopt *o);

/** The model the options build (read and write it freely between calls). */
sp_model *sp_modelopt_model(sp_modelopt *o);

/** The framework form of the model: the widths and stds of the last
 * preset or config, then of --d-model, --heads, --d-ff, --init-std and
 * --std-* (NaN and 0 where none was given). */
const sp_stds *sp_modelopt_stds(const sp_modelopt *o);

/** SP_GIVEN_* bits of the inputs given. */
unsigned sp_modelopt_given(const sp_modelopt *o);

/** Mark inputs as given (`set`) or assumed (`clear`), SP_GIVEN_* bits. */
void sp_modelopt_mark_given(sp_modelopt *o, unsigned set, unsigned clear);

/** Make preset (or config) p's widths and stds the current ones, as
 * --preset does (the model itself is left alone: sp_preset_apply sets
 * it); `embedding_norm` 1 when its embeddings pass a LayerNorm.  Marks T,
 * L, causal and (when p sets it) q0 as given. */
void sp_modelopt_use_preset(sp_modelopt *o, const sp_preset *p, int embedding_norm);

/** The preset of the last --preset or --config applied, or NULL. */
const sp_preset *sp_modelopt_preset(const sp_modelopt *o);

/** The config of --config when it was the last architecture option, else
 * NULL. */
const sp_config *sp_modelopt_config(const sp_modelopt *o);

/** Where the architecture came from: "config" (*name the file), "preset"
 * (*name the preset's name) or "options" (*name NULL). */
const char *sp_modelopt_source(const sp_modelopt *o, const char **name);

/** The value of option `name` in model `m` as a help text shows it as the
 * default ("0.5", "post", "= var-b"), or "" when it shows none. */
void sp_modelopt_show(const sp_model *m, const char *name, char *buf, size_t size);

SP_END_DECLS
#endif
