/* Internals of the train module: the parameter layout shared by both
 * precisions, and the network's forward and reverse passes, compiled twice
 * from one body (train_net_body.h): in single precision with the
 * simulator's packed kernels (sp_trainf_*, what training uses) and in
 * double precision with plain loops (sp_traind_*, for the
 * finite-difference checks of the tests).  Not part of the public API.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_TRAIN_PRIVATE_H
#define SIGPROP_TRAIN_PRIVATE_H

#include <stddef.h>

#include "sigprop/model.h"
#include "sim_private.h"

/* Where every parameter tensor sits in the flat parameter vector.  Weight
 * matrices are fan-in x fan-out, row-major (x W with x a row vector). */
typedef struct {
  long d, dff, T, V, L, H, dh, B;
  int mlp;
  size_t emb;   /* V x d token embedding */
  size_t pos;   /* T x d position embedding */
  size_t unemb; /* d x V output projection */
  size_t layer0, layer_stride; /* block l (0-based) at layer0 + l * layer_stride */
  size_t wqkv;  /* d x 3d: W_Q | W_K | W_V (columns), within a block */
  size_t bv;    /* d: value bias */
  size_t w1, b1, w2, b2; /* d x dff, dff, dff x d, d (MLP; absent without it) */
  size_t n;     /* total */
} sp_train_layout;

/* Fill `lay` for model m (depth, tokens, mlp) and the sizes given;
 * SP_EDOM for sizes out of domain. */
int sp_train_layout_make(const sp_model *m, long width, long heads, long vocab, long batch,
                         sp_train_layout *lay);

/* Floats or doubles of activations and scratch one network needs. */
double sp_train_activation_count(const sp_train_layout *lay, const sp_model *m);

/* Draw the parameters of network `seed` into w (lay->n floats); see
 * sp_train_init() for the laws. */
int sp_train_draw(const sp_train_layout *lay, const sp_model *m, unsigned long seed, float *w);

/* Row t of the per-layer statistics the network measures after a forward
 * pass: rho = p/q of the stream entering block l+1 (l = 0..L, averaged
 * over sequences), and the mean attention row entropy of block l. */
typedef struct {
  double rho, entropy;
} sp_train_layer_stat;

#define SP_TRAIN_DECLARE(PFX, R)                                                              \
  typedef struct PFX##_net PFX##_net;                                                         \
  PFX##_net *PFX##_alloc(const sp_train_layout *lay, const sp_model *m, sp_pool *pool,        \
                         int *status);                                                        \
  void PFX##_free(PFX##_net *n);                                                              \
  R *PFX##_params(PFX##_net *n);                                                              \
  R *PFX##_grads(PFX##_net *n);                                                               \
  int PFX##_forward(PFX##_net *n, const int *tokens, const int *targets, double *loss);       \
  int PFX##_backward(PFX##_net *n);                                                           \
  void PFX##_layer_stats(PFX##_net *n, sp_train_layer_stat *out);

/* tokens: B x T ids in [0, V); targets: B x T ids, or -1 where a position
 * carries no loss.  forward: mean cross-entropy over the positions with a
 * target into *loss (SP_EOVERFLOW when not finite, SP_EINVAL when no
 * position has a target); backward: the gradient of that loss into grads. */
SP_TRAIN_DECLARE(sp_trainf, float)
SP_TRAIN_DECLARE(sp_traind, double)

#endif
