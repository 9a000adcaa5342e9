/* Single-precision matrix product for the simulator: packed, cache-blocked,
 * with a register-tiled micro-kernel written as plain loops that the
 * compiler vectorises.  The same source is compiled for several instruction
 * sets (function attributes) and the best one the processor supports is
 * chosen at run time, so the default build needs no -march flag.
 * This file is compiled with -ffp-contract=fast (meson.build) so that the
 * multiply-add of the micro-kernel becomes a fused multiply-add where the
 * instruction set has one.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sim_private.h"

#include <stdatomic.h>
#include <string.h>
#ifdef SP_HAVE_THREADS
#include <pthread.h>
#endif

#define KC SP_KERN_KC
#define MC 96 /* rows of A per packed block; a multiple of every MR below */

/* One register tile: t[MR][NR] = sum over k of a[k][r] b[k][j], then stored
 * to (or added into) the mr x nr corner of C.  The inner j loop is the one
 * the vectoriser turns into vector multiply-adds; t stays in registers. */
#define SP_UKERNEL(NAME, MR, NR, ATTR)                                                      \
  ATTR static void NAME(long kc, const float *restrict a, const float *restrict b,         \
                        float *restrict c, long ldc, int mr, int nr, int acc)              \
  {                                                                                         \
    float t[MR][NR];                                                                        \
    for (int r = 0; r < MR; r++)                                                            \
      for (int j = 0; j < NR; j++)                                                          \
        t[r][j] = 0.0f;                                                                     \
    for (long k = 0; k < kc; k++) {                                                         \
      for (int r = 0; r < MR; r++) {                                                        \
        float x = a[k * MR + r];                                                            \
        for (int j = 0; j < NR; j++)                                                        \
          t[r][j] += x * b[k * NR + j];                                                     \
      }                                                                                     \
    }                                                                                       \
    if (mr == MR && nr == NR) {                                                             \
      if (acc) {                                                                            \
        for (int r = 0; r < MR; r++)                                                        \
          for (int j = 0; j < NR; j++)                                                      \
            c[r * ldc + j] += t[r][j];                                                      \
      } else {                                                                              \
        for (int r = 0; r < MR; r++)                                                        \
          for (int j = 0; j < NR; j++)                                                      \
            c[r * ldc + j] = t[r][j];                                                       \
      }                                                                                     \
    } else {                                                                                \
      for (int r = 0; r < mr; r++)                                                          \
        for (int j = 0; j < nr; j++)                                                        \
          c[r * ldc + j] = acc ? c[r * ldc + j] + t[r][j] : t[r][j];                        \
    }                                                                                       \
  }

/* Tile shapes were chosen by measurement: with these, GCC 12 keeps the
 * whole tile in vector registers (12 x 32 = 24 zmm registers; 4 x 24 =
 * 12 ymm registers; 4 x 8 = 8 xmm registers). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#define SP_HAVE_X86_VARIANTS 1
SP_UKERNEL(ukernel_avx512, 12, 32, __attribute__((target("arch=x86-64-v4"))))
SP_UKERNEL(ukernel_avx2, 4, 24, __attribute__((target("arch=x86-64-v3"))))
#endif
SP_UKERNEL(ukernel_generic, 4, 8, )

typedef void (*ukernel_fn)(long, const float *, const float *, float *, long, int, int, int);

typedef struct {
  const char *name;
  int mr, nr;
  ukernel_fn fn;
} variant;

static const variant variants[SP_KERN_N] = {
#ifdef SP_HAVE_X86_VARIANTS
  {"avx512 12x32", 12, 32, ukernel_avx512},
  {"avx2 4x24", 4, 24, ukernel_avx2},
#else
  {"avx512 (not built)", 0, 0, NULL},
  {"avx2 (not built)", 0, 0, NULL},
#endif
  {"generic 4x8", 4, 8, ukernel_generic},
};

/* What the processor supports (bit v for variant v), determined once. */
static int support_mask;

static void probe(void)
{
  int mask = 0;
#ifdef SP_HAVE_X86_VARIANTS
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("bmi2"))
    mask |= 1 << SP_KERN_AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("bmi2"))
    mask |= 1 << SP_KERN_AVX2;
#endif
  for (int v = 0; v < SP_KERN_N; v++)
    if (!variants[v].fn)
      mask &= ~(1 << v);
  mask |= 1 << SP_KERN_GENERIC;
  support_mask = mask;
}

/* The probe runs exactly once, whichever thread gets here first (a plain
 * "if not yet chosen" test would be a data race in C11). */
#ifdef SP_HAVE_THREADS
static pthread_once_t probed = PTHREAD_ONCE_INIT;
static void probe_once(void) { pthread_once(&probed, probe); }
#else
static int probed;
static void probe_once(void)
{
  if (!probed) {
    probe();
    probed = 1;
  }
}
#endif

static int supported(int v)
{
  probe_once();
  return v >= 0 && v < SP_KERN_N && (support_mask >> v & 1);
}

/* The variant forced by sp_kern_select(), or -1 for the best supported
 * one; atomic, as simulations may read it while another thread sets it. */
static _Atomic int forced = -1;

static const variant *current(void)
{
  int v = atomic_load_explicit(&forced, memory_order_relaxed);
  if (v < 0)
    for (v = 0; !supported(v); v++)
      continue;
  return &variants[v];
}

int sp_kern_select(int v)
{
  if (v != SP_KERN_AUTO && !supported(v))
    return -1;
  atomic_store_explicit(&forced, v == SP_KERN_AUTO ? -1 : v, memory_order_relaxed);
  return 0;
}

const char *sp_kern_name(void) { return current()->name; }
int sp_kern_mr(void) { return current()->mr; }
int sp_kern_nr(void) { return current()->nr; }

static long min_l(long a, long b) { return a < b ? a : b; }

static long npanels(long n, int nr) { return (n + nr - 1) / nr; }

size_t sp_kern_packb_floats(long k, long n)
{
  int nr = current()->nr;
  return (size_t)k * (size_t)npanels(n, nr) * (size_t)nr;
}

size_t sp_kern_work_floats(void)
{
  return (size_t)MC * KC;
}

size_t sp_kern_packb_index(long k, long n, long i, long j)
{
  int nr = current()->nr;
  long np = npanels(n, nr);
  long kk = i / KC * KC, kc = min_l(KC, k - kk);
  return (size_t)kk * (size_t)np * (size_t)nr + (size_t)(j / nr) * (size_t)kc * (size_t)nr +
         (size_t)(i - kk) * (size_t)nr + (size_t)(j % nr);
}

void sp_kern_packb_zero(sp_kpack *b)
{
  /* only the padding columns of the last panel of every block */
  int nr = current()->nr;
  long np = npanels(b->n, nr), pad = np * nr - b->n;
  if (pad == 0)
    return;
  for (long kk = 0; kk < b->k; kk += KC) {
    long kc = min_l(KC, b->k - kk);
    float *p = b->p + (size_t)kk * (size_t)np * (size_t)nr + (size_t)(np - 1) * (size_t)kc * (size_t)nr;
    for (long i = 0; i < kc; i++)
      for (long j = nr - pad; j < nr; j++)
        p[(size_t)i * (size_t)nr + (size_t)j] = 0.0f;
  }
}

void sp_kern_packb(long k, long n, const float *b, long ldb, int trans, float scale,
                   sp_kpack *out)
{
  int nr = current()->nr;
  long np = npanels(n, nr);
  out->k = k;
  out->n = n;
  for (long kk = 0; kk < k; kk += KC) {
    long kc = min_l(KC, k - kk);
    float *blk = out->p + (size_t)kk * (size_t)np * (size_t)nr;
    for (long jp = 0; jp < np; jp++) {
      float *p = blk + (size_t)jp * (size_t)kc * (size_t)nr;
      long j0 = jp * nr, w = min_l(nr, n - j0);
      if (!trans) {
        for (long i = 0; i < kc; i++) {
          const float *src = b + (size_t)(kk + i) * (size_t)ldb + (size_t)j0;
          float *dst = p + (size_t)i * (size_t)nr;
          long j = 0;
          for (; j < w; j++)
            dst[j] = scale * src[j];
          for (; j < nr; j++)
            dst[j] = 0.0f;
        }
      } else {
        for (long j = 0; j < nr; j++) {
          if (j < w) {
            const float *src = b + (size_t)(j0 + j) * (size_t)ldb + (size_t)kk;
            for (long i = 0; i < kc; i++)
              p[(size_t)i * (size_t)nr + (size_t)j] = scale * src[i];
          } else {
            for (long i = 0; i < kc; i++)
              p[(size_t)i * (size_t)nr + (size_t)j] = 0.0f;
          }
        }
      }
    }
  }
}

/* Pack rows [i0, i0 + mc) x columns [kk, kk + kc) of A into MR-row strips. */
static void pack_a(const float *a, long lda, int transa, long i0, long mc, long kk, long kc,
                   int mr, float *w)
{
  long ns = (mc + mr - 1) / mr;
  for (long s = 0; s < ns; s++) {
    float *p = w + (size_t)s * (size_t)kc * (size_t)mr;
    long r0 = i0 + s * mr, rows = min_l(mr, i0 + mc - r0);
    if (!transa) {
      for (long r = 0; r < mr; r++) {
        if (r < rows) {
          const float *src = a + (size_t)(r0 + r) * (size_t)lda + (size_t)kk;
          for (long l = 0; l < kc; l++)
            p[(size_t)l * (size_t)mr + (size_t)r] = src[l];
        } else {
          for (long l = 0; l < kc; l++)
            p[(size_t)l * (size_t)mr + (size_t)r] = 0.0f;
        }
      }
    } else {
      for (long l = 0; l < kc; l++) {
        const float *src = a + (size_t)(kk + l) * (size_t)lda + (size_t)r0;
        float *dst = p + (size_t)l * (size_t)mr;
        long r = 0;
        for (; r < rows; r++)
          dst[r] = src[r];
        for (; r < mr; r++)
          dst[r] = 0.0f;
      }
    }
  }
}

void sp_kern_gemm(long m, const float *a, long lda, int transa, const sp_kpack *b, long n0,
                  long n1, long k, float *c, long ldc, int accumulate, float *work)
{
  const variant *v = current();
  int mr = v->mr, nr = v->nr;
  long np = npanels(b->n, nr);
  long j0 = n0 / nr, j1 = min_l(npanels(n1, nr), np);
  if (m <= 0 || j0 >= j1)
    return;
  if (k <= 0) {
    if (!accumulate)
      for (long i = 0; i < m; i++)
        memset(c + (size_t)i * (size_t)ldc + (size_t)(j0 * nr), 0,
               (size_t)(min_l(j1 * nr, b->n) - j0 * nr) * sizeof *c);
    return;
  }
  for (long kk = 0; kk < k; kk += KC) {
    long kcb = min_l(KC, b->k - kk); /* height of the stored block */
    long kc = min_l(KC, k - kk);     /* rows of it used */
    const float *blk = b->p + (size_t)kk * (size_t)np * (size_t)nr;
    int acc = accumulate || kk > 0;
    for (long ii = 0; ii < m; ii += MC) {
      long mc = min_l(MC, m - ii), ns = (mc + mr - 1) / mr;
      pack_a(a, lda, transa, ii, mc, kk, kc, mr, work);
      for (long j = j0; j < j1; j++) {
        int w = (int)min_l(nr, b->n - j * nr);
        const float *bp = blk + (size_t)j * (size_t)kcb * (size_t)nr;
        for (long s = 0; s < ns; s++) {
          int rows = (int)min_l(mr, mc - s * mr);
          v->fn(kc, work + (size_t)s * (size_t)kc * (size_t)mr, bp,
                c + (size_t)(ii + s * mr) * (size_t)ldc + (size_t)(j * nr), ldc, rows, w, acc);
        }
      }
    }
  }
}
