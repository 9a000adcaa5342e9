/* sigprop: the weight stds a user types into a framework, and the model
 * parameters they give (theory.md §11), both ways.  One conversion for
 * every place that takes framework stds: preset files, the --init-std and
 * --std-* options, Hugging Face configs, and the tables of recommend.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_STDS_H
#define SIGPROP_STDS_H

#include "sigprop/export.h"
#include "sigprop/model.h"

SP_BEGIN_DECLS

/** A network at the level of a framework: widths, the per-entry std of
 * every weight matrix, and the skip multipliers its code applies.  A std
 * that is not known is NaN; a width that is not known is 0.  Plain data. */
typedef struct {
  long d_model;          /**< residual width d (fan-in of W_Q, W_K, W_V, W_1, W_gate) */
  long heads;            /**< attention heads (do not enter, theory.md §11) */
  long d_ff;             /**< MLP hidden width (fan-in of W_2) */
  int output_projection; /**< 1 with an attention output W_O (fan-in d), 0 without */
  int gate;              /**< 1 when the MLP has a gate matrix W_gate (SwiGLU) */
  int emb_norm;          /**< 1 when the embeddings pass a LayerNorm before
                              block 1 (BERT): then q0 = 1 whatever std_emb */
  double q, k, v, o;     /**< stds of W_Q, W_K, W_V, W_O */
  double ff_in, ff_gate, ff_out; /**< stds of W_1, W_gate, W_2 */
  double emb;            /**< std of the token embeddings */
  double skip_sa, skip_mlp; /**< skip multipliers a (x -> a x + f) the code
                              applies; 1 for a plain residual */
} sp_stds;

/** Every std unknown (NaN), widths unknown (0), output projection on,
 * no gate, no embedding LayerNorm, skip multipliers 1. */
void sp_stds_init(sp_stds *s);

/** Set every weight std (W_Q ... W_2, W_gate, embeddings) to `std`, as a
 * framework's single initializer_range does. */
void sp_stds_set_all(sp_stds *s, double std);

/** Write into `m` the parameters the known stds of `s` fix, at sequence
 * length m->tokens (theory.md §11, log natural):
 *   beta      = d s_q s_k / sqrt(log T)        (both s_q and s_k known)
 *   var-v     = d s_v^2 d s_o^2 (with W_O), d s_v^2 (without)
 *   var-w-in  = d s_1^2 (d s_gate^2 with a gate: phi acts on W_gate x,
 *               and W_1 is the linear factor theory.md §5 does not model),
 *   var-w-out = d_ff s_2^2
 *   q0        = s_emb^2, or 1 when emb_norm
 *   alpha-sa, alpha-mlp = skip_sa, skip_mlp
 * A std that is NaN leaves its parameter alone.  Errors: SP_EINVAL (NULL),
 * SP_EDOM with *bad (may be NULL) naming the option ("std-k", "d-model",
 * "d-ff", "std-o", ...) when a needed partner or width is missing, a
 * std is negative or infinite, or a result leaves the model's domain; `m`
 * is then unchanged. */
int sp_stds_to_model(const sp_stds *s, sp_model *m, const char **bad);

/** The stds that realise model `m` at the widths of `given`, keeping each
 * std of `given` whose parameter `m` does not change (so that a model
 * read from stds gives back the same stds): W_Q, W_K scaled together by
 * sqrt(beta / beta_given) (or sqrt(beta sqrt(log T) / d) each when not
 * given); the value variance split evenly between W_V and W_O; W_1 (W_gate
 * with a gate, W_1 then kept, or like W_gate when not given) from
 * var-w-in; W_2 from var-w-out with
 * fan-in d_ff.  Branch gains are folded into the last weight of their
 * branch (W_O, or W_V without W_O; W_2): exact when the biases are zero.
 * With `pure` set and post-LN blocks, skip gains are folded too, as the
 * branch gain branch/alpha (exact: LayerNorm removes the common scale),
 * and skip_sa = skip_mlp = 1; otherwise skip_sa, skip_mlp carry m's skip
 * gains.  The embedding std is given's.  Errors: SP_EINVAL (NULL),
 * SP_EDOM when given->d_model < 1 (d_ff < 1 leaves W_2 NaN). */
int sp_stds_from_model(const sp_model *m, const sp_stds *given, int pure, sp_stds *out);

/** 1 when the skip gains of `m` can be folded into stds exactly (post-LN
 * blocks, or both skip gains 1), else 0. */
int sp_stds_pure_form(const sp_model *m);

SP_END_DECLS
#endif
