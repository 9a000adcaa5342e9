/* sigprop: advice a practitioner can apply: the verdict on a network given
 * by its framework stds, how close it is to changing (sensitivity),
 * warnings (flags), and the recommendation as a complete table of stds,
 * in the pure-initialisation form (only stds change) where one exists and
 * in the code-change form (a skip multiplier) as the alternative.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_ADVICE_H
#define SIGPROP_ADVICE_H

#include "sigprop/export.h"
#include "sigprop/recommend.h"
#include "sigprop/sensitivity.h"
#include "sigprop/stds.h"

SP_BEGIN_DECLS

/** Warnings about one point (sp_advice.flags, sp_advice.rec_flags). */
enum {
  SP_FLAG_FLOAT16 = 1u << 0,      /**< q_L > SP_Q_MAX_FLOAT16 (65504) */
  SP_FLAG_BFLOAT16 = 1u << 1,     /**< q_L > SP_Q_MAX_BFLOAT16 (3.39e38) */
  SP_FLAG_OVERFLOW = 1u << 2,     /**< the iteration overflowed a double */
  SP_FLAG_QK_VANISHING = 1u << 3, /**< block 1's finite-width q/k gradient is
                                       below SP_QK_VANISHING times its floor
                                       (sp_first_block.qk_floor) */
  SP_FLAG_MARGIN_FLIP = 1u << 4   /**< the verdict changes within the margin:
                                       at a rho0 in (rho0/(1+M), rho0 (1+M)),
                                       a depth in (L/(1+M), L (1+M)), a beta
                                       in (beta/(1+M), beta (1+M)) (open
                                       intervals), or the
                                       recommended gain had to give up part
                                       of its margin (margin_squeezed) */
};

/** Number of flags above. */
#define SP_NFLAGS 5

/** Threshold of SP_FLAG_QK_VANISHING: the gradient relative to the
 * finite-width gradient of an uncollapsed block with flat attention. */
#define SP_QK_VANISHING 1e-2

/** Short name of flag bit `f` ("float16-range", "bfloat16-range",
 * "overflow", "qk-gradient-vanishing", "margin-flip"; "?" otherwise). */
const char *sp_advice_flag_name(unsigned f);

/** Everything sp_advice_eval() finds.  A `*_status` is the status of the
 * fields after it (SP_OK or the error; those fields are then
 * unspecified). */
typedef struct {
  sp_stds given;            /**< the stds of the model as given: the
                                 caller's, completed from the model */
  sp_gain pure_gain;        /**< the branch gain tuned by `pure` */
  sp_gain code_gain;        /**< the skip gain tuned by `code` */
  int pure_status;
  sp_recommendation pure;   /**< sp_recommend tuning a branch gain (only
                                 stds change) */
  int pure_ok;              /**< 1 when `pure` reaches a trainable point */
  sp_stds pure_stds;        /**< its stds (sp_stds_from_model, pure form);
                                 skip multipliers 1 */
  int code_status;
  sp_recommendation code;   /**< sp_recommend tuning a skip gain (the code
                                 multiplies the residual by it) */
  sp_stds code_stds;        /**< its stds and skip multipliers */
  int primary_pure;         /**< 1 when the pure form is the recommendation
                                 (pure_ok), 0 when the code-change form is */
  double std_qk_lo, std_qk_hi; /**< the recommendation's trainable beta
                                 range as stds of W_Q (and W_K, scaled
                                 alike) at width d; NaN when not known */
  int sens_rho0_status, sens_depth_status;
  sp_sensitivity sens;      /**< of the configuration as given */
  unsigned flags;           /**< SP_FLAG_* of the configuration as given */
  double flip_rho0;         /**< the rho0 that set SP_FLAG_MARGIN_FLIP, else NaN */
  long flip_depth;          /**< the depth that set it, else 0 */
  double flip_beta;         /**< the beta that set it (given: an edge of the
                                 trainable beta range; recommended: the same
                                 of the recommendation), else NaN */
  double rec_flip_beta;     /**< the same for the recommended point */
  unsigned rec_flags;       /**< SP_FLAG_* of the recommended point */
  int rec_first_status;
  sp_first_block rec_first; /**< block 1 of the recommended point */
} sp_advice;

/** Advise on model `m`, whose framework form is `given` (widths and the
 * stds the user gave, NaN for the others; d_model = 0 when unknown: the
 * std tables and the finite-width gradient are then left out, with
 * pure_stds, code_stds and the std range NaN): run sp_recommend() twice,
 * tuning the branch gain and the skip gain named by o->gain's kind (the
 * other kind being the two-sided one: SP_GAIN_BRANCH or SP_GAIN_ALPHA),
 * with o->width = given->d_model; the sensitivity of the configuration
 * (rho0 to tolerance 1e-6, depths up to max(4 L, L + 100) within
 * SP_MAX_DEPTH); and the flags of both points.  `w` as for sp_recommend
 * (prepared for m).  Errors: SP_EINVAL (NULL), SP_EDOM (options), or the
 * errors of sp_recommend_verdict on m; a failing part records its status. */
int sp_advice_eval(const sp_model *m, const sp_workspace *w, const sp_stds *given,
              const sp_recommend_options *o, sp_advice *a);

SP_END_DECLS
#endif
