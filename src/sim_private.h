/* Internals of the finite-width simulator: the single-precision matrix
 * kernels (sim_kernel.c) and a small thread pool (sim_pool.c).  Not part of
 * the public API; the unit tests include it to check the kernels directly.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_SIM_PRIVATE_H
#define SIGPROP_SIM_PRIVATE_H

#include <stddef.h>

#include "sigprop/sim.h"

/* ---- matrix kernels (sim_kernel.c) ---------------------------------

   C[m x n] (+)= A[m x k] B[k x n], single precision, row-major.

   B is packed once (sp_kern_packb) into blocks of SP_KERN_KC rows; inside a
   block, panels of NR consecutive columns are stored k-major, zero-padded to
   a whole panel.  A is packed on the fly, MR rows at a time, into a caller
   supplied work buffer.  Every element of C is accumulated in the same
   order (k ascending, block by block) whatever the row range a call
   covers, so splitting rows between threads never changes a result. */

#define SP_KERN_KC 256 /* rows of B per block (the k dimension) */

/* Variants of the micro-kernel, fastest first; SP_KERN_AUTO picks the best
 * one the processor supports. */
enum { SP_KERN_AUTO = -1, SP_KERN_AVX512 = 0, SP_KERN_AVX2, SP_KERN_GENERIC, SP_KERN_N };

/* A packed B.  `p` has sp_kern_packb_floats(k, n) floats. */
typedef struct {
  float *p;
  long k, n;
} sp_kpack;

/* Select the variant used from now on (SP_KERN_AUTO: best supported).
 * Returns 0, or -1 when the processor or the build lacks that variant.
 * Free of data races (the processor is probed once, under pthread_once,
 * and the choice is an atomic), but a product already running may mix
 * the two variants' tiles: select before starting any computation.
 * Without a selection the first use picks the best supported variant. */
int sp_kern_select(int variant);

/* Name ("avx512 12x32", ...) of the selected variant. */
const char *sp_kern_name(void);

/* Register tile of the selected variant. */
int sp_kern_mr(void);
int sp_kern_nr(void);

/* Floats needed by a packed k x n matrix. */
size_t sp_kern_packb_floats(long k, long n);

/* Floats of one thread's work buffer for sp_kern_gemm. */
size_t sp_kern_work_floats(void);

/* Pack B (k x n): element (i, j) is b[i*ldb + j], or b[j*ldb + i] when
 * `trans` (B is then the transpose of a row-major n x k array).  Scale
 * every element by `scale`. */
void sp_kern_packb(long k, long n, const float *b, long ldb, int trans, float scale,
                   sp_kpack *out);

/* Offset of element (i, j) in a packed k x n matrix, for matrices generated
 * in place; their padding columns are zeroed by sp_kern_packb_zero. */
size_t sp_kern_packb_index(long k, long n, long i, long j);
void sp_kern_packb_zero(sp_kpack *b);

/* C[0..m) x [columns of the panels covering [n0, n1)) (+)= A B[0..k).
 * A element (i, l) is a[i*lda + l], or a[l*lda + i] when `transa`.
 * `k` <= b->k: only the first k rows of B are used.  Columns written are
 * those of whole panels, clipped at b->n: from NR*floor(n0/NR) to
 * min(NR*ceil(n1/NR), b->n).  `accumulate`: add to C instead of
 * overwriting it.  `work`: sp_kern_work_floats() floats. */
void sp_kern_gemm(long m, const float *a, long lda, int transa, const sp_kpack *b, long n0,
                  long n1, long k, float *c, long ldc, int accumulate, float *work);

/* ---- random streams of the simulator (sim_random.c) -----------------  */

/* Kinds of random matrices; the stream of (seed, layer, kind, chunk of 64
 * rows) is a gsl_rng taus2 generator seeded from those four numbers. */
enum {
  SP_SIM_STREAM_INPUT_U, SP_SIM_STREAM_INPUT_Z, SP_SIM_STREAM_WQ, SP_SIM_STREAM_WK,
  SP_SIM_STREAM_WV, SP_SIM_STREAM_BV, SP_SIM_STREAM_W1, SP_SIM_STREAM_B1, SP_SIM_STREAM_W2,
  SP_SIM_STREAM_B2, SP_SIM_STREAM_R, SP_SIM_STREAM_PROBE, SP_SIM_NSTREAMS
};

/* Draw, into the row-major rows x cols array dst, the matrix of i.i.d.
 * N(0, sd^2) entries that the simulator uses as matrix `kind` of block
 * `layer` (0: the input) of the network with seed `seed`.  Weight matrices
 * are stored fan-in x fan-out (x W, x a row vector).  For tests.
 * Returns SP_OK or SP_ENOMEM. */
int sp_sim_draw(unsigned long seed, long layer, int kind, long rows, long cols, double sd,
                float *dst);

/* For tests of the Jacobian: sp_sim_run() with the input shifted by eps
 * times the end-to-end probe u_0 (after the optional input LayerNorm), so
 * that central differences of the final stream can be compared with the
 * forward-mode tangent.  Needs o->jacobian. */
int sp_sim_run_perturbed(sp_sim *s, const sp_model *m, const sp_sim_options *o,
                         unsigned long seed, double eps, sp_sim_layer *out, long *done);

/* After a run: the final T x d stream (tangent = 0), or the end-to-end
 * tangent (tangent = 1; NULL without SP_SIM_JACOBIAN), which is
 * (dx_L/dx_0) u_0 rescaled: its squared norm is renormalised after every
 * block, and out[L].grad_chi_total carries the scale. */
const float *sp_sim_stream(const sp_sim *s, int tangent);

/* ---- thread pool (sim_pool.c) -------------------------------------- */

typedef struct sp_pool sp_pool;

/* A pool running tasks on `n` threads (the caller's plus n - 1 workers);
 * NULL when out of resources.  n = 1 (or a build without threads) runs
 * every task on the caller. */
sp_pool *sp_pool_new(int n);

/* Number of threads (>= 1). */
int sp_pool_size(const sp_pool *p);

/* Run fn(ctx, task, tid) for task = 0..ntasks-1, spread over the threads
 * (tid in [0, size) identifies the thread running it, for scratch space);
 * returns when all are done. */
void sp_pool_run(sp_pool *p, long ntasks, void (*fn)(void *ctx, long task, int tid), void *ctx);

void sp_pool_free(sp_pool *p);

#endif
