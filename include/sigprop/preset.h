/* sigprop: architecture presets.  A preset is a small text file that
 * states a published model's configuration and initialiser at the level
 * a user types into a framework (widths, heads, weight stds, sequence
 * length, depth, norm placement, activation, residual scaling) and from
 * which the library derives the model parameters of theory.md §11.
 * Built-in presets (data/presets/) are compiled into the library.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_PRESET_H
#define SIGPROP_PRESET_H

#include "sigprop/export.h"
#include "sigprop/model.h"

#include <stddef.h>

SP_BEGIN_DECLS

/** A residual gain that sigprop recommend tunes: the skip gains alpha
 * (identity path) or the branch gains gamma (module output) of theory.md
 * §1, of the attention sub-block, the MLP sub-block, or both at once. */
typedef enum {
  SP_GAIN_ALPHA,      /**< alpha-sa = alpha-mlp (both skips), "alpha" */
  SP_GAIN_ALPHA_SA,   /**< alpha-sa only, "alpha-sa" ([GG]'s diagrams) */
  SP_GAIN_ALPHA_MLP,  /**< alpha-mlp only, "alpha-mlp" */
  SP_GAIN_BRANCH,     /**< branch-sa = branch-mlp (both branches), "branch" */
  SP_GAIN_BRANCH_SA,  /**< branch-sa only, "branch-sa" */
  SP_GAIN_BRANCH_MLP, /**< branch-mlp only, "branch-mlp" */
  SP_NGAIN            /**< number of gains; not a gain */
} sp_gain;

/** Name <-> enum for sp_gain ("alpha", "alpha-sa", "alpha-mlp", "branch",
 * "branch-sa", "branch-mlp").  sp_gain_from_name returns SP_OK or
 * SP_EINVAL for an unknown name; sp_gain_name returns a static string
 * ("?" for an invalid value). */
int sp_gain_from_name(const char *s, sp_gain *out);
const char *sp_gain_name(sp_gain g);

/** 1 when `g` is a branch gain (gamma), 0 for a skip gain (alpha). */
int sp_gain_is_branch(sp_gain g);

/** Value of gain `g` in `m`: the attention sub-block's gain for the
 * two-sided gains (SP_GAIN_ALPHA, SP_GAIN_BRANCH), which set both. */
double sp_gain_get(const sp_model *m, sp_gain g);

/** Set gain `g` of `m` to `v` (both sub-blocks for the two-sided gains).
 * No domain check: validate the model afterwards. */
void sp_gain_set(sp_model *m, sp_gain g, double v);

/** Longest preset name, title and source (bytes, without the NUL). */
#define SP_PRESET_NAME_MAX 63
#define SP_PRESET_TEXT_MAX 255

/** Flags of sp_preset.derived: which framework stds were computed back from
 * model values the file gave directly (e.g. "beta = 0.5"), rather than
 * read from the file. */
enum {
  SP_PRESET_DERIVED_QK = 1u << 0,   /**< std-q, std-k from beta */
  SP_PRESET_DERIVED_VO = 1u << 1,   /**< std-v, std-o from var-v (split evenly) */
  SP_PRESET_DERIVED_FF_IN = 1u << 2,  /**< std-ff-in from var-w-in */
  SP_PRESET_DERIVED_FF_OUT = 1u << 3, /**< std-ff-out from var-w-out */
  SP_PRESET_DERIVED_BIAS = 1u << 4  /**< std-bias from var-b */
};

/** One architecture: the framework-level facts of its preset file and the
 * model they give.  Plain data: copy it freely.
 *
 * Derivation (theory.md §11), with d = d_model, T = tokens, natural log:
 *   beta      = d std_q std_k / sqrt(log T)
 *   var-v     = d std_v^2 * d std_o^2   (with an output projection W_O)
 *             = d std_v^2               (without)
 *   var-w-in  = d std_ff_in^2,   var-w-out = d_ff std_ff_out^2
 *   var-b     = std_bias^2  (every bias; the value bias follows it)
 * The number of heads does not enter: scores scaled by 1/sqrt(d_head)
 * make it cancel.  When the file gives a model value directly, the stds
 * are computed back from it (see `derived`). */
typedef struct {
  char name[SP_PRESET_NAME_MAX + 1];   /**< e.g. "bert-base" */
  char title[SP_PRESET_TEXT_MAX + 1];  /**< one-line description */
  char source[SP_PRESET_TEXT_MAX + 1]; /**< where the numbers come from */
  long d_model;        /**< residual width d >= 1 */
  long heads;          /**< attention heads H >= 1, dividing d */
  long d_ff;           /**< MLP hidden width >= 1 */
  int output_projection; /**< 1 when attention has an output projection W_O */
  double std_q, std_k; /**< per-entry stds of W_Q, W_K (fan-in d) */
  double std_v, std_o; /**< of W_V and W_O (std_o is NaN without W_O) */
  double std_ff_in, std_ff_out; /**< of the two MLP layers */
  double std_bias;     /**< of every bias */
  double std_emb;      /**< of the token embedding; NaN when unknown (a
                            preset file does not state it) */
  int has_gate;        /**< 1 for a gated MLP (SwiGLU):
                            W_2 (phi(W_gate x) * (W_1 x)) */
  double std_gate;     /**< of W_gate; NaN without a gate.  With a gate
                            the model's phi acts on W_gate x, so var-w-in
                            = d std_gate^2, and W_1 (std_ff_in) is the
                            linear factor the mean-field MLP of theory.md
                            §5 does not have (not modelled) */
  unsigned derived;    /**< SP_PRESET_DERIVED_* flags */
  int has_q0;          /**< 1 when the file sets q0 (embedding scale) */
  sp_gain gain;        /**< the gain recommend tunes ("gain" key; default alpha) */
  sp_model model;      /**< the derived model; fields a preset does not
                            set (rho0, attention-stats, beta-c-on, and q0
                            unless has_q0) hold sp_model_default() values */
} sp_preset;

/** Where and why a preset failed to load.  `text` is the whole message,
 * "FILE:LINE: KEY: why" (without LINE when line is 0, without KEY when key
 * is empty), ready to print. */
typedef struct {
  char file[256];  /**< file name, or "<built-in>/NAME.preset" */
  long line;       /**< 1-based line, 0 when the error concerns the whole file */
  char key[40];    /**< the key concerned, "" when none */
  char why[256];   /**< what is wrong */
  char text[640];  /**< formatted message */
} sp_preset_error;

/** Parse preset text `text` of `len` bytes (need not be NUL-terminated).
 * `file` names it in error messages (may be NULL: "<preset>").
 *
 * Format: one "key = value" per line; blank lines and lines whose first
 * non-blank character is '#' are ignored; there are no trailing comments.
 * Keys (see sigprop-presets(1) for the meaning of each):
 *   required  name title source norm activation causal d-model heads d-ff
 *             tokens depth output-projection
 *   each pair required unless the model value is given instead:
 *             std-q & std-k | beta;  std-v (& std-o) | var-v;
 *             std-ff-in | var-w-in;  std-ff-out | var-w-out;  std-bias | var-b
 *   optional  attention mlp alpha-sa alpha-mlp branch-sa branch-mlp
 *             mean-removal erf-scale q0 gain std-emb (informative: it
 *             does not set q0)
 * Numbers are plain decimals (no hex, inf or nan); integers are digits.
 *
 * Returns SP_OK and fills `*out`, or SP_EPARSE (malformed or inconsistent
 * file: unknown key, duplicate, bad number, missing key, conflicting keys,
 * a derived parameter outside its domain, empty text, NUL bytes, lines over
 * 1023 bytes, text over 64 KiB) with `*err` (may be NULL) describing it;
 * SP_EINVAL for NULL text or out.  `*out` is unspecified on error. */
int sp_preset_parse(const char *text, size_t len, const char *file, sp_preset *out,
                    sp_preset_error *err);

/** Read and parse the preset file at `path`.  SP_EIO (with the system's
 * reason in err->why) when the file cannot be read, else as
 * sp_preset_parse(). */
int sp_preset_read(const char *path, sp_preset *out, sp_preset_error *err);

/** Number of built-in presets. */
size_t sp_preset_count(void);

/** Name of built-in preset `i` (static string), NULL when i is out of
 * range.  Names are sorted alphabetically. */
const char *sp_preset_name(size_t i);

/** The text of built-in preset `i` (static, NUL-terminated, the file as
 * shipped in data/presets/), NULL when out of range. */
const char *sp_preset_text(size_t i);

/** Parse built-in preset `i`.  SP_EINVAL when out of range; SP_EPARSE
 * would mean a broken build (the test suite parses every one). */
int sp_preset_builtin(size_t i, sp_preset *out, sp_preset_error *err);

/** Load a preset by built-in name or path: `spec` is looked up among the
 * built-in names first; otherwise, when it contains '/' or ends in
 * ".preset", it is read as a file.  Otherwise SP_EINVAL with err->why
 * listing the built-in names. */
int sp_preset_load(const char *spec, sp_preset *out, sp_preset_error *err);

/** Copy the architecture of preset `p` into model `m`: norm, attention,
 * activation, mlp, causal, beta, tokens, var-v, var-w-in, var-w-out,
 * var-b (the value bias follows it), alpha-sa, alpha-mlp, branch-sa,
 * branch-mlp, mean-removal, erf-scale, depth, and q0 when the file sets
 * it.  rho0, attention-stats and beta-c-on are left alone: they describe
 * the data and the analysis, not the network. */
void sp_preset_apply(const sp_preset *p, sp_model *m);

/** Per-entry std of W_Q and W_K that realises query/key scale `beta` at
 * width `d_model` and sequence length `tokens` (theory.md §11):
 * sqrt(beta sqrt(log T) / d).  NaN outside beta >= 0, d >= 1, T >= 2. */
double sp_preset_std_qk(double beta, long tokens, long d_model);

/** beta = d std_q std_k / sqrt(log T) (theory.md §11).  NaN outside
 * std >= 0, d >= 1, T >= 2. */
double sp_preset_beta_from_std(double std_q, double std_k, long tokens, long d_model);

SP_END_DECLS
#endif
