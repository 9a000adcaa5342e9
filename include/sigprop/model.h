/* sigprop: the architecture and hyper-parameters of a transformer at
 * initialisation, as one plain struct, with defaults and validation.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_MODEL_H
#define SIGPROP_MODEL_H

#include "sigprop/export.h"
#include <stddef.h>

SP_BEGIN_DECLS

/** LayerNorm placement (theory.md §1). */
typedef enum {
  SP_NORM_POST, /**< x -> LN(a x + g f(x))  (BERT) */
  SP_NORM_PRE,  /**< x -> a x + g f(LN(x))  (GPT-2, LLaMA) */
  SP_NORM_NONE  /**< x -> a x + g f(x) */
} sp_norm;

/** Attention variant (theory.md §1, §3). */
typedef enum {
  SP_ATTN_SOFTMAX, /**< vanilla row-softmax attention */
  SP_ATTN_CENTRED, /**< output minus its sequence mean ("gain-controlled") */
  SP_ATTN_UNIFORM  /**< A = 1 1^T / T exactly */
} sp_attention;

/** MLP nonlinearity phi (theory.md §5). */
typedef enum {
  SP_ACT_RELU, SP_ACT_GELU, SP_ACT_TANH, SP_ACT_ERF, SP_ACT_SILU, SP_ACT_LINEAR,
  SP_NACT /**< number of activations; not an activation */
} sp_activation;

/** Which attention statistics the recursions use (theory.md §3, §4). */
typedef enum {
  SP_STATS_ASYMPTOTIC, /**< T -> infinity REM laws */
  SP_STATS_FINITE      /**< exact finite-T integrals */
} sp_stats;

/** Where beta_c is evaluated in pre-LN blocks (theory.md §6). */
typedef enum {
  SP_BETAC_INPUT, /**< on the normalised attention input (1, p/q) */
  SP_BETAC_STREAM /**< on the raw residual stream (q, p), as [GG]'s notebook */
} sp_betac_on;

/** Overlap E O of two attention rows in the vanilla p_S under finite-T
 * statistics (theory.md §3; open question 1 of §13). */
typedef enum {
  SP_OVERLAP_INDEPENDENT, /**< 1/T: rows as if their keys were uncorrelated */
  SP_OVERLAP_EXACT        /**< the shared-key law of sp_rem_overlap(), causal
                               rows that of sp_rem_overlap_causal() (T <=
                               4096), from a table (sp_overlap_table) when
                               the workspace holds one */
} sp_row_overlap;

/** One configuration.  Plain data: copy it freely.  Variances are
 * "times fan-in" (theory.md §1 table).  Set fields directly or through
 * sp_model_set(); check with sp_model_validate() before use. */
typedef struct {
  sp_norm norm;
  sp_attention attention;
  sp_activation activation;
  sp_stats stats;
  sp_betac_on beta_c_on;
  sp_row_overlap row_overlap; /**< finite-T row overlap law */
  int mlp;            /**< 1: MLP sub-block present; 0: attention-only */
  int causal;         /**< 1: decoder (causal mask) */
  int var_vb_follows_b; /**< 1: the value-bias variance equals var_b */
  double beta;        /**< query/key scale beta (alias eta), >= 0 */
  long tokens;        /**< sequence length T >= 2 */
  double var_v;       /**< sigma_v^2 >= 0 */
  double var_vb;      /**< sigma_vb^2 >= 0 (ignored while var_vb_follows_b) */
  double var_w_in;    /**< sigma_w^2 of the first MLP layer >= 0 */
  double var_w_out;   /**< sigma_w^2 of the second MLP layer >= 0 */
  double var_b;       /**< sigma_b^2 of both MLP biases >= 0 */
  double alpha_sa, alpha_mlp;   /**< skip gains alpha >= 0 */
  double branch_sa, branch_mlp; /**< branch gains gamma >= 0 */
  double mean_removal; /**< token-mean removal tau in [0, 2]; 0 = off */
  double rho0;        /**< input cosine similarity in [-1/(T-1), 1]; in [0, 1]
                           under asymptotic statistics (T -> infinity) unless
                           the attention is uniform */
  double q0;          /**< input squared norm per unit width > 0 */
  long depth;         /**< number of blocks L in [1, SP_MAX_DEPTH] */
  double erf_scale;   /**< a in phi(u) = erf(a u), > 0 */
} sp_model;

/** Largest depth accepted anywhere (a table of this many rows is ~100 MB). */
#define SP_MAX_DEPTH 1000000L
/** Largest sequence length accepted. */
#define SP_MAX_TOKENS 1000000000L

/** Fill `m` with the paper's defaults (theory.md §1): post-LN, softmax,
 * ReLU, asymptotic statistics, beta 0.5, T 512, sigma_v^2 = sigma_w^2 = 0.2,
 * sigma_b^2 = 4e-4 (value bias follows it), gains 1, rho0 0.025, q0 1,
 * depth 50, tau 0, MLP on, encoder. */
void sp_model_default(sp_model *m);

/** Effective value-bias variance: var_b while var_vb_follows_b, else var_vb. */
double sp_model_var_vb(const sp_model *m);

/** Check every field against its domain.  Returns SP_OK, or SP_EDOM with
 * `*bad` (when bad != NULL) set to the option name of the first offending
 * parameter (static string, e.g. "var-v"), or SP_EINVAL for an out-of-range
 * enum.  NaN and infinities are out of every domain. */
int sp_model_validate(const sp_model *m, const char **bad);

/** Kind of a numeric parameter. */
typedef enum { SP_PARAM_REAL, SP_PARAM_INTEGER } sp_param_kind;

/** Description of one numeric model parameter, addressable by its option
 * name (without the dashes).  Static data owned by the library. */
typedef struct {
  const char *name;   /**< option name, e.g. "alpha-sa" */
  const char *label;  /**< plot label with real symbols, UTF-8; '_x' and '^x'
                           mark a one-character (or {braced}) sub/superscript */
  sp_param_kind kind;
  double min, max;    /**< closed domain [min, max] */
  const char *doc;    /**< one-line description */
} sp_param;

/** The parameter named `name` ("beta", "eta", "alpha-sa", "var-w", ...),
 * or NULL when there is none.  "eta" is an alias of "beta"; "var-w" sets
 * both MLP layers and reads the first. */
const sp_param *sp_param_lookup(const char *name);

/** All numeric parameters; `*n` receives their number. */
const sp_param *sp_param_table(size_t *n);

/** Read parameter `p` of `m` into `*v`.  Returns SP_OK or SP_EINVAL. */
int sp_model_get(const sp_model *m, const sp_param *p, double *v);

/** Set parameter `p` of `m` to `v`.  Returns SP_EDOM (model unchanged)
 * when v is NaN, infinite, outside [p->min, p->max], or not an integer for
 * an integer parameter; SP_EINVAL for NULL arguments.  Setting "var-vb"
 * stops it following var-b. */
int sp_model_set(sp_model *m, const sp_param *p, double v);

/** Name <-> enum conversions for the switches.  *_from_name return SP_OK
 * or SP_EINVAL for an unknown name; *_name return a static string. */
int sp_norm_from_name(const char *s, sp_norm *out);
const char *sp_norm_name(sp_norm v);
int sp_attention_from_name(const char *s, sp_attention *out);
const char *sp_attention_name(sp_attention v);
int sp_activation_from_name(const char *s, sp_activation *out);
const char *sp_activation_name(sp_activation v);
int sp_stats_from_name(const char *s, sp_stats *out);
const char *sp_stats_name(sp_stats v);
int sp_row_overlap_from_name(const char *s, sp_row_overlap *out);
const char *sp_row_overlap_name(sp_row_overlap v);
int sp_betac_on_from_name(const char *s, sp_betac_on *out);
const char *sp_betac_on_name(sp_betac_on v);

SP_END_DECLS
#endif
