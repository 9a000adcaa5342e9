/* sigprop: Hugging Face config.json files.  A config names its family
 * (model_type) and the sizes a user gives the library; together with the
 * family's initialiser (the library's _init_weights) they fix every weight
 * std, and so the model of theory.md §11.  sigprop-inspect(1) has the
 * table of families, fields, defaults and the source of each rule.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_CONFIG_H
#define SIGPROP_CONFIG_H

#include "sigprop/export.h"
#include "sigprop/preset.h"

#include <stddef.h>

SP_BEGIN_DECLS

/** The supported families, by model_type. */
typedef enum {
  SP_FAMILY_BERT,     /**< "bert": post-LN encoder, learned positions */
  SP_FAMILY_ROBERTA,  /**< "roberta": as bert, positions offset by pad+1 */
  SP_FAMILY_ELECTRA,  /**< "electra": as bert, embeddings projected E -> d */
  SP_FAMILY_GPT2,     /**< "gpt2": pre-LN decoder, c_proj std / sqrt(2 L) */
  SP_FAMILY_LLAMA,    /**< "llama": pre-RMSNorm decoder, SwiGLU, rotary */
  SP_FAMILY_MISTRAL,  /**< "mistral": as llama, sliding-window attention */
  SP_FAMILY_QWEN2,    /**< "qwen2": as llama, q/k/v biases */
  SP_FAMILY_VIT,      /**< "vit": pre-LN encoder over image patches */
  SP_FAMILY_GPT_NEOX, /**< "gpt_neox": pre-LN decoder, fused interleaved qkv,
                           parallel residual, partial rotary */
  SP_NFAMILY          /**< number of families; not a family */
} sp_family;

/** Name <-> enum for sp_family (the model_type strings above).
 * sp_family_from_name returns SP_OK or SP_EINVAL; sp_family_name returns a
 * static string ("?" for an invalid value). */
int sp_family_from_name(const char *s, sp_family *out);
const char *sp_family_name(sp_family f);

/** The supported model_type names, comma-separated (static string). */
const char *sp_family_list(void);

/** How positions enter the residual stream. */
typedef enum {
  SP_POSITION_LEARNED, /**< a learned table added to the token embedding */
  SP_POSITION_ROTARY   /**< rotary: queries and keys rotated; the stream
                            starts at the token embedding alone */
} sp_position;

/** The config fields sigprop reads.  Each family spells them its own way
 * (sp_config_field_key); a field a family does not have is never read. */
typedef enum {
  SP_CF_D_MODEL,        /**< hidden_size | n_embd */
  SP_CF_HEADS,          /**< num_attention_heads | n_head */
  SP_CF_DEPTH,          /**< num_hidden_layers | n_layer */
  SP_CF_D_FF,           /**< intermediate_size | n_inner */
  SP_CF_ACTIVATION,     /**< hidden_act | activation_function */
  SP_CF_INIT_STD,       /**< initializer_range */
  SP_CF_POSITIONS,      /**< max_position_embeddings | n_positions */
  SP_CF_DECODER,        /**< is_decoder (encoders only) */
  SP_CF_NORM_EPS,       /**< layer_norm_eps | layer_norm_epsilon | rms_norm_eps */
  SP_CF_VOCAB,          /**< vocab_size */
  SP_CF_TYPE_VOCAB,     /**< type_vocab_size */
  SP_CF_PAD,            /**< pad_token_id (roberta: position offset) */
  SP_CF_EMBEDDING_SIZE, /**< embedding_size (electra) */
  SP_CF_KV_HEADS,       /**< num_key_value_heads */
  SP_CF_SLIDING_WINDOW, /**< sliding_window */
  SP_CF_USE_SLIDING,    /**< use_sliding_window (qwen2) */
  SP_CF_IMAGE_SIZE,     /**< image_size (vit) */
  SP_CF_PATCH_SIZE,     /**< patch_size (vit) */
  SP_CF_CHANNELS,       /**< num_channels (vit) */
  SP_CF_PARALLEL,       /**< use_parallel_residual (gpt_neox) */
  SP_CF_ROTARY_PCT,     /**< rotary_pct (gpt_neox) */
  SP_NCF                /**< number of fields; not a field */
} sp_config_field;

/** The JSON key of field `f` in family `fam` (static string), NULL when
 * the family has no such field. */
const char *sp_config_field_key(sp_family fam, sp_config_field f);

/** A config read into sigprop's terms.  Plain data: copy it freely.
 * `preset` holds the architecture and the derived model exactly as a
 * preset file would (theory.md §11; sp_preset_apply() copies it into a
 * model); its name is the model_type, its source the file. */
typedef struct {
  sp_family family;
  sp_preset preset;      /**< sizes, stds (std_emb, std_gate included), model */
  double init_std;       /**< initializer_range */
  sp_position position;  /**< learned or rotary positions */
  double std_pos;        /**< std of the learned position table (NaN: rotary) */
  long positions;        /**< max_position_embeddings (rows of the table) */
  long position_offset;  /**< first position id (roberta: pad_token_id + 1) */
  long vocab;            /**< vocab_size */
  long type_vocab;       /**< type_vocab_size (0: no token types) */
  long embedding_size;   /**< width of the embedding tables (electra's E;
                              d_model elsewhere) */
  int embedding_norm;    /**< 1 when the embeddings pass a LayerNorm
                              before the first block (bert, roberta, electra) */
  double norm_eps;       /**< LayerNorm / RMSNorm epsilon */
  long kv_heads;         /**< key/value heads (grouped-query attention) */
  long image_size, patch_size, channels; /**< vit only (0 elsewhere) */
  int parallel_residual; /**< gpt_neox: x + attn(LN x) + mlp(LN x); modelled
                              as the sequential pre-LN block */
  unsigned long assumed; /**< bit (1 << SP_CF_x): the file lacks field x and
                              the family's default was taken (is_decoder
                              excepted: false is every config's default) */
  double value[SP_NCF];  /**< the value used for each numeric field (NaN for
                              a field the family does not have); booleans as
                              0/1, the activation as its sp_activation */
} sp_config;

/** Where and why a config failed to load.  `text` is the whole message,
 * "FILE:LINE:COLUMN: why" for malformed JSON, "FILE: KEY: why" for a bad
 * field, "FILE: why" otherwise, ready to print. */
typedef struct {
  long line, column;  /**< 1-based position of a JSON syntax error, else 0 */
  char key[64];       /**< the field concerned, "" when none */
  char text[640];     /**< formatted message */
} sp_config_error;

/** Largest config accepted (bytes). */
#define SP_CONFIG_MAX_BYTES (16L * 1024L * 1024L)

/** Parse config.json text `buf` of `len` bytes (need not be
 * NUL-terminated; a whole file, as for a fuzzing harness).  `file` names it
 * in messages (NULL: "<config>").  The JSON must be one object with a
 * string "model_type" among sp_family_list(); the family's fields are read
 * with their types checked (integers as JSON integers, reals as numbers,
 * booleans as true/false; null means "absent"); a missing field takes the
 * family's default and sets its `assumed` bit.  The model is then derived
 * as a preset file would be (theory.md §11) with the family's initialiser.
 * Returns SP_OK, SP_EPARSE (malformed JSON, with line and column; not an
 * object; unknown or missing model_type, listing the supported ones; a field
 * of the wrong type or outside its domain, e.g. heads not dividing the
 * width; an unknown activation; over SP_CONFIG_MAX_BYTES), SP_ENOMEM, or
 * SP_EINVAL for NULL buf/out.  `*err` may be NULL. */
int sp_config_parse(const char *buf, size_t len, const char *file, sp_config *out,
                    sp_config_error *err);

/** Read and parse the file at `path`: SP_EIO (with the system's reason)
 * when it cannot be read, else as sp_config_parse(). */
int sp_config_read(const char *path, sp_config *out, sp_config_error *err);

/** Describe the assumed fields of `c` into `buf` (always NUL-terminated
 * when size > 0): "initializer_range = 0.02, max_position_embeddings = 512",
 * or "" when every field was given.  Returns the length it needed (as
 * snprintf). */
int sp_config_assumed_text(const sp_config *c, char *buf, size_t size);

SP_END_DECLS
#endif
