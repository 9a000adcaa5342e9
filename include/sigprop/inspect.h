/* sigprop: what a checkpoint's initialisation is.  For a safetensors
 * checkpoint of one of the config families, find each block's W_Q, W_K,
 * W_V, W_O and MLP matrices and the embeddings by the family's parameter
 * names, measure their stds a tensor at a time (memory-mapped, never read
 * whole), and give the model they imply (theory.md §11) with q0 and rho0
 * measured on one input through the embeddings.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_INSPECT_H
#define SIGPROP_INSPECT_H

#include "sigprop/export.h"
#include "sigprop/config.h"
#include "sigprop/safetensors.h"

#include <stdint.h>

SP_BEGIN_DECLS

/** The matrices of one block, in the order of recommend's std table. */
typedef enum {
  SP_MAT_Q, SP_MAT_K, SP_MAT_V, SP_MAT_O,
  SP_MAT_FF_IN,  /**< W_1: the MLP's first layer (up_proj in a gated MLP) */
  SP_MAT_GATE,   /**< W_gate of a gated MLP (gate_proj); absent elsewhere */
  SP_MAT_FF_OUT, /**< W_2: the MLP's second layer */
  SP_NMAT
} sp_matrix;

/** Short name of a matrix ("q", "k", "v", "o", "ff_in", "gate", "ff_out"),
 * static; "?" out of range. */
const char *sp_matrix_name(sp_matrix m);

/** One block as measured.  Stds are per entry, about the entry mean (as
 * torch.std with n in the denominator); NaN for a matrix the family lacks. */
typedef struct {
  double std[SP_NMAT];
  double mean[SP_NMAT];
  double beta;      /**< d s_q s_k / sqrt(log T) */
  double var_v;     /**< d s_v^2 * d s_o^2 */
  double var_w_in;  /**< d s_1^2, with s_1 the std of the matrix phi acts on
                         (W_gate in a gated MLP) */
  double var_w_out; /**< d_ff s_2^2 */
  double gain_sa;   /**< s_o / s_v: how much smaller the attention branch's
                         output projection is drawn (GPT-2: 1/sqrt(2 L)) */
  double gain_mlp;  /**< s_2 / s_1, the same for the MLP */
} sp_inspect_layer;

/** Options of sp_inspect_checkpoint. */
typedef struct {
  uint64_t seed;  /**< of the token ids (and vit's pixels) of the input */
  long tokens;    /**< T of the input and of beta; 0: the config's (or the
                       position table's rows, else 2048, assumed) */
} sp_inspect_options;

/** Defaults: seed 1, tokens 0. */
void sp_inspect_options_default(sp_inspect_options *o);

/** A measured checkpoint.  `layers` is owned (sp_inspect_free). */
typedef struct {
  sp_family family;
  char prefix[64];        /**< prefix of the parameter names ("bert.", "") */
  long d_model, d_ff, depth, vocab, tokens;
  int tokens_assumed;     /**< 1 when T came from neither a config nor options */
  int has_gate;
  double std_emb;         /**< token embedding (vit: patch projection) */
  double std_pos;         /**< learned position table; NaN without one */
  double q0;              /**< mean squared entry of the first block's input */
  double rho0;            /**< mean off-diagonal cosine of that input */
  sp_inspect_layer *layers; /**< depth entries */
  sp_preset preset;       /**< stds as the RMS over blocks, and the model
                               they give: the config's architecture (or the
                               family's defaults), T, q0 and rho0 measured,
                               gains 1 (the measured stds carry them) */
} sp_inspection;

/** Measure checkpoint `st`.  `cfg` (may be NULL) gives the family and the
 * architecture; without it the family is recognised from the parameter
 * names (llama for llama and mistral alike, qwen2 by its q_proj bias) and
 * the sizes from the shapes, the heads being the family's default when it
 * divides the width, else 1 (heads do not enter theory.md §11; gpt_neox
 * needs a config: its fused qkv is interleaved per head).  Fused matrices are split: GPT-2's c_attn (Conv1D,
 * [d, 3d], columns Q|K|V) and gpt_neox's query_key_value ([3d, d], rows
 * interleaved per head as Q|K|V of head_dim each).  q0 and rho0 are
 * measured on one input of T tokens: ids drawn uniformly at positions
 * 0..T-1 (roberta: from pad_token_id + 1) -- id_t = z_t mod vocab, where
 * z_0, z_1, ... is the splitmix64 sequence started at the seed -- token
 * type 0, through
 * the embedding LayerNorm with its stored weight and bias where the family
 * has one (electra: then embeddings_project); vit: the class token and
 * patches of i.i.d. standard normal pixels through the patch projection,
 * plus the position table.
 * Returns SP_OK and fills `*out`; SP_EPARSE with `err` naming the tensor
 * for a checkpoint of no known family, a missing tensor, a shape that
 * differs from the config's or the family's, a matrix that does not
 * convert (integer dtype), a measured tensor holding NaN or infinite
 * entries, or an input that is not finite; SP_EDOM when the measured model is outside
 * sigprop's domain; SP_ENOMEM; SP_EINVAL for NULL arguments or a T beyond
 * the position table. */
int sp_inspect_checkpoint(const sp_safetensors *st, const sp_config *cfg,
                          const sp_inspect_options *opt, sp_inspection *out, sp_st_error *err);

/** Free what sp_inspect_checkpoint allocated (the struct itself is the
 * caller's).  NULL is a no-op. */
void sp_inspect_free(sp_inspection *in);

SP_END_DECLS
#endif
