/* sigprop: training the simulator's network (theory.md §1, §12) on tasks
 * with a known best loss: reverse-mode gradients, Adam and SGD, and the
 * built-in tasks.  The network is the one sp_sim_run() draws, between a
 * token + position embedding and an output projection with a softmax
 * cross-entropy loss, so that a point of a diagram and a trained network
 * are the same network.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_TRAIN_H
#define SIGPROP_TRAIN_H

#include "sigprop/export.h"
#include <stddef.h>

#include "sigprop/model.h"

SP_BEGIN_DECLS

/** Opaque training workspace: one network's fp32 parameters, their
 * gradient, the optimiser's state, the activations of one batch kept for
 * the reverse pass, and a pool of threads.  Not re-entrant. */
typedef struct sp_train sp_train;

/** Bytes sp_train_alloc() with the same arguments would allocate, into
 * `*bytes`.  Returns SP_EDOM for sizes out of domain (width < 2, heads < 1
 * or not dividing width, vocab < 2, batch < 1), the status of
 * sp_model_validate(), SP_EINVAL for NULL pointers. */
int sp_train_memory(const sp_model *m, long width, long heads, long vocab, long batch,
                    int threads, double *bytes);

/** A workspace for networks of model `m` (norm, attention, activation,
 * gains, variances, beta, depth, causal, mean removal, mlp; m->tokens is the
 * sequence length T) at width d = `width` with `heads` heads (d_ff = d), a
 * vocabulary of `vocab` tokens and `batch` sequences per step, computing
 * with `threads` threads (<= 0: online processors).  Results are identical
 * for any thread count.  Returns SP_OK with the workspace in `*out` (the
 * caller frees it with sp_train_free()), or (with *out NULL) the status
 * sp_train_memory() gives, SP_ENOMEM when the estimate exceeds physical
 * memory (sp_sim_memory_limit()) or an allocation fails, SP_EINVAL for a
 * NULL `out`.  Parameters are zero until sp_train_init(). */
int sp_train_alloc(const sp_model *m, long width, long heads, long vocab, long batch, int threads,
                   sp_train **out);

/** Release `t`; NULL is a no-op. */
void sp_train_free(sp_train *t);

/** Draw the parameters of network `seed` and reset the optimiser.  Every
 * block's weights are the ones sp_sim_run() draws for the same seed (the
 * same random streams): W_Q, W_K ~ N(0, sigma_a/d), sigma_a = beta sqrt(log
 * T); W_V ~ N(0, sigma_v^2/d); b_V ~ N(0, sigma_vb^2); W_1 ~ N(0,
 * sigma_w_in^2/d), W_2 ~ N(0, sigma_w_out^2/d_ff), b_1, b_2 ~ N(0, sigma_b^2).
 * Token embedding E (V x d) and position embedding P (T x d) entries ~ N(0,
 * q0/2), so that an input token x_t = E[a_t] + P_t has q = q0 per unit width
 * (rho0 of the model is not used: the input overlap is that of the tokens);
 * output projection U (d x V) entries ~ N(0, 1/d).  Pre-LN networks
 * LayerNorm the last stream before U (no affine parameters).
 * Returns SP_OK or SP_ENOMEM. */
int sp_train_init(sp_train *t, unsigned long seed);

/** Number of parameters. */
size_t sp_train_nparams(const sp_train *t);

/** Optimiser. */
typedef enum { SP_OPTIM_ADAM, SP_OPTIM_SGD } sp_optim;

/** Learning-rate schedule after the warm-up. */
typedef enum { SP_SCHED_CONSTANT, SP_SCHED_COSINE } sp_schedule;

/** Optimiser settings.  Adam (with decoupled weight decay, AdamW): m =
 * beta1 m + (1 - beta1) g, v = beta2 v + (1 - beta2) g^2, w -= lr (m/(1 -
 * beta1^k) / (sqrt(v/(1 - beta2^k)) + eps) + weight_decay w).  SGD with
 * momentum: u = momentum u + g + weight_decay w, w -= lr u.  The learning
 * rate rises linearly over `warmup` steps, then stays (constant) or follows
 * a half cosine to 0 at step `steps` (cosine).  Weight decay applies to the
 * weight matrices and embeddings, not to biases. */
typedef struct {
  sp_optim optim;
  double lr;           /**< peak learning rate > 0 */
  double beta1, beta2; /**< Adam moments, in [0, 1) */
  double eps;          /**< Adam epsilon > 0 */
  double momentum;     /**< SGD momentum in [0, 1) */
  double weight_decay; /**< >= 0 */
  long warmup;         /**< warm-up steps >= 0 */
  sp_schedule schedule;
  long steps;          /**< total steps, for the cosine schedule */
} sp_optim_options;

/** Defaults: Adam, lr 1e-3, beta1 0.9, beta2 0.999, eps 1e-8, momentum
 * 0.9, weight decay 0, no warm-up, constant schedule, steps 1000. */
void sp_optim_options_default(sp_optim_options *o);

/** SP_OK when every field of `o` is in its domain, SP_EDOM otherwise (with
 * the name of the first bad field in `*bad` when bad != NULL). */
int sp_optim_options_validate(const sp_optim_options *o, const char **bad);

/** Learning rate of step k (1-based) under `o`. */
double sp_optim_lr(const sp_optim_options *o, long k);

/** Mean cross-entropy (nats) over the positions with a target of one batch:
 * `tokens` and `targets` are batch x T arrays, tokens in [0, vocab),
 * targets in [0, vocab) or -1 for no loss.  Forward only.  Returns SP_OK,
 * SP_EINVAL (NULL, an id out of range, no target), SP_EOVERFLOW when the
 * loss is not finite. */
int sp_train_loss(sp_train *t, const int *tokens, const int *targets, double *loss);

/** One optimiser step k (1-based) on a batch: forward, reverse pass, update
 * under `o`; the batch's loss before the update into `*loss`.  Errors as
 * sp_train_loss(), plus SP_EDOM for options out of domain. */
int sp_train_step(sp_train *t, const sp_optim_options *o, long k, const int *tokens,
                  const int *targets, double *loss);

/** Frobenius norms of one block's parameter gradients. */
typedef struct {
  double wq, wk, wv; /**< query, key and value weights */
  double w1, w2;     /**< MLP weights (0 without MLP) */
} sp_train_grad_norm;

/** The gradient norms of the last sp_train_step(), one row per block
 * (depth rows).  Returns SP_OK or SP_EINVAL. */
int sp_train_grad_norms(const sp_train *t, sp_train_grad_norm *out);

/** Per layer l = 0..depth of the last forward pass (sp_train_loss or
 * sp_train_step): rho[l] = p/q of the stream entering block l+1 (l = depth:
 * the output), averaged over the batch's sequences, and entropy[l] the mean
 * attention row entropy of block l in nats (NaN at l = 0).  Either array
 * may be NULL.  O(batch T^2 d depth). */
int sp_train_layer_stats(sp_train *t, double *rho, double *entropy);

/** Built-in tasks. */
typedef enum {
  SP_TASK_COPY,   /**< a_1..a_n a_1..a_n, uniform tokens; loss on the second half */
  SP_TASK_MARKOV, /**< a first-order chain with Dirichlet(gamma) rows */
  SP_TASK_DATA    /**< windows of a token file */
} sp_task_kind;

/** Opaque task: generates batches from a seed. */
typedef struct sp_task sp_task;

/** Task settings. */
typedef struct {
  sp_task_kind kind;
  long vocab;           /**< V >= 2 (the mask token, when masked, is V - 1) */
  long tokens;          /**< sequence length T (even for copy) */
  int masked;           /**< 1: the masked (encoder) form, see sp_task_alloc() */
  double mask_fraction; /**< fraction of maskable positions masked, (0, 1] */
  double gamma;         /**< Dirichlet concentration of the Markov rows > 0 */
  unsigned long seed;   /**< seed of the chain and of every batch */
  const char *path;     /**< token file (SP_TASK_DATA) */
  int bytes;            /**< 2 or 4: little-endian uint16 or uint32 ids */
  double holdout;       /**< fraction of a token file held out, (0, 1) */
} sp_task_options;

/** Defaults: copy, V 16, T 32, next-token form, mask fraction 0.15 (0.5 for
 * copy), gamma 0.5, seed 1, 2-byte ids, holdout 0.1. */
void sp_task_options_default(sp_task_options *o);

/** A task.  copy: T = 2n tokens a_1..a_n a_1..a_n, a_i uniform over the V
 * ids (V - 1 when masked); next-token targets at positions n..2n-2 (the
 * second half's predictable tokens), best loss 0.  markov: a chain over V
 * states (V - 1 when masked) whose transition rows are Dirichlet(gamma)
 * draws, started from its stationary law; next-token targets at every
 * position (the chain is drawn for T + 1 steps); best loss the entropy rate -sum_i pi_i sum_j P_ij
 * log P_ij, computed exactly.  Masked forms (for encoders): each position
 * of the second half (copy) or of the whole sequence (markov) is replaced by
 * the mask token V - 1 with probability mask_fraction (at least one per
 * sequence), and the targets are the original tokens there; best loss 0
 * (copy) or, for markov, the Bayes loss given the unmasked tokens (exact
 * forward-backward), averaged over the first 512 evaluation sequences.
 * data: next-token windows of T + 1 tokens drawn from the first
 * 1 - holdout of the file (training) or the rest (evaluation); the best
 * loss is unknown (NaN); it has no masked form.  Returns SP_OK with the
 * task in `*out` (the caller frees it with sp_task_free()), or, with *out
 * NULL: SP_EINVAL (NULL `o` or `out`), SP_EDOM (values out of domain, odd
 * T for copy, masked data, a file too short for a window of T + 1 tokens
 * in either part),
 * SP_EIO (unreadable file, or shorter than its size), SP_EINVAL (not a
 * regular file: a device, FIFO or directory, refused before reading),
 * SP_EPARSE (empty file, size not a multiple of `bytes`, an id >= vocab),
 * SP_ENOMEM (more than SP_TASK_DATA_MAX_TOKENS ids or more memory than
 * sp_task_data_memory() allows, refused before reading; or an allocation
 * failed).  The file is read once, holding 4 bytes per id. */
int sp_task_alloc(const sp_task_options *o, sp_task **out);

/** The most ids a token file may hold: 2^28 (1 GiB once read, at 4 bytes
 * per id). */
#define SP_TASK_DATA_MAX_TOKENS (1LL << 28)

/** The memory (bytes) sp_task_alloc() needs to hold a token file of `size`
 * bytes of `bytes`-byte ids (2 or 4): 4 bytes per id; -1 when the file is
 * empty, its size not a whole number of ids, it holds more than
 * SP_TASK_DATA_MAX_TOKENS ids, or the ids would need more than half the
 * physical memory (sp_sim_memory_limit()). */
double sp_task_data_memory(long long size, int bytes);

void sp_task_free(sp_task *k);

/** Batch `index` (>= 0) of the training (eval = 0) or evaluation (eval = 1)
 * stream: `batch` sequences of T tokens and targets into batch x T arrays
 * (targets -1 where no loss).  The same (seed, eval, index) always gives
 * the same batch: sequence j of a stream (batch index x batch + i) is drawn
 * from its own random stream of (seed, eval, j), so batches of different
 * sizes cover the same sequences.  Returns
 * SP_OK or SP_EINVAL. */
int sp_task_batch(const sp_task *k, int eval, long index, long batch, int *tokens,
                  int *targets);

/** The task's best achievable loss (nats), NaN when unknown. */
double sp_task_best_loss(const sp_task *k);

/** Name of a task kind ("copy", "markov", "data"). */
const char *sp_task_name(sp_task_kind kind);

SP_END_DECLS
#endif
