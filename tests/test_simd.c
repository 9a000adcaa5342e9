/* The vector block map (src/maps_simd.c) and the library's arccosine
 * (src/vmath.h): the arccosine's stated error over [-1, 1] against long
 * double, the ReLU kernel against its libm form, and sweeps on every
 * instruction set this processor runs giving bit for bit the scalar
 * path's summaries and statuses, for every block structure the vector
 * path covers, with lanes that fail, idle lanes and mixed chunks.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "maps_simd.h"
#include "propagate_simd.h"
#include "tap.h"
#include "test_util.h"
#include "vmath.h"

#include <float.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static gsl_rng *rng;

static double uniform(double lo, double hi)
{
  return lo + (hi - lo) * gsl_rng_uniform(rng);
}

/* 1 when long double carries more digits than double (not so on every
 * platform, nor under valgrind, which computes x87 arithmetic in double). */
static int extended;

/* Error of sp_vmath_acos(c) in units of the last place of the exact value
 * (long double), or of libm's acos when long double is no better. */
static double acos_ulps(double c)
{
  long double ref = extended ? acosl((long double)c) : (long double)acos(c);
  double r = (double)ref;
  double ulp = nextafter(r, INFINITY) - r;
  return (double)(fabsl((long double)sp_vmath_acos(c) - ref) / ulp);
}

/* A high-entropy point of [-1, 1]: uniform, geometric towards +-1 and
 * towards 0, and around the branch points +-1/2. */
static double sample(int kind)
{
  double u = gsl_rng_uniform(rng);
  switch (kind) {
  case 0: return uniform(-1.0, 1.0);
  case 1: return 1.0 - pow(10.0, -16.5 * u);
  case 2: return -1.0 + pow(10.0, -16.5 * u);
  case 3: return (u - 0.5) * pow(10.0, -300.0 * gsl_rng_uniform(rng));
  default: return (gsl_rng_uniform(rng) < 0.5 ? 0.5 : -0.5) * (1.0 + uniform(-1e-6, 1e-6));
  }
}

static void acos_error(void)
{
  volatile long double one = 1.0L;
  extended = one + LDBL_EPSILON > one && LDBL_EPSILON < DBL_EPSILON;
  /* libm's acos is within 0.53 ulp (glibc): the bound grows by that much */
  double bound = extended ? 1.5 : 2.0;
  double worst = 0.0, at = 0.0, kworst = 0.0, kat = 0.0;
  for (long i = 0; i < 2000000; i++) {
    double c = sample((int)(i % 5));
    double e = acos_ulps(c);
    if (e > worst)
      worst = e, at = c;
    /* the ReLU kernel against its form with libm's arccosine */
    double k = sp_gauss_relu_kernel(c);
    double kl = (sqrt((1.0 - c) * (1.0 + c)) + c * (M_PI - acos(c))) * M_1_PI;
    if (fabs(k - kl) > kworst)
      kworst = fabs(k - kl), kat = c;
  }
  tap_ok(worst <= bound, "sp_vmath_acos within %g ulp of %s over [-1, 1]: worst %.3f ulp at %.17g",
         bound, extended ? "the exact value" : "libm", worst, at);
  tap_ok(kworst <= 4.5e-16, "ReLU kernel within 4.5e-16 of its libm form: worst %.3g at %.17g",
         kworst, kat);
  static const double exact[] = {1.0, -1.0, 0.0, -0.0, 0.5, -0.5};
  int bad = 0;
  for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) /* and the neighbours inside */
    bad += !(acos_ulps(exact[i]) <= 1.0)
           || !(acos_ulps(nextafter(exact[i], exact[i] == 1.0 ? 0.0 : 2.0)) <= bound)
           || !(acos_ulps(nextafter(exact[i], exact[i] == -1.0 ? 0.0 : -2.0)) <= bound);
  tap_ok(bad == 0 && sp_vmath_acos(1.0) == 0.0, "+-1, +-0, +-1/2 and their neighbours");
  tap_ok(isnan(sp_vmath_acos(NAN)) && isnan(sp_vmath_acos(1.0 + DBL_EPSILON))
         && isnan(sp_vmath_acos(-1.5)) && isnan(sp_vmath_acos(INFINITY)),
         "NaN for NaN and outside [-1, 1]");
}

/* A model of the given structure with random parameters. */
static void random_model(sp_model *m, int norm, int attn, int mlp, int stream, int mr)
{
  sp_model_default(m);
  m->norm = (sp_norm)norm;
  m->attention = (sp_attention)attn;
  m->mlp = mlp != 0;
  m->activation = mlp == 2 ? SP_ACT_LINEAR : SP_ACT_RELU;
  m->beta_c_on = stream ? SP_BETAC_STREAM : SP_BETAC_INPUT;
  tu_random_attention(m, rng);
  m->var_vb_follows_b = gsl_rng_uniform(rng) < 0.5;
  m->var_vb = uniform(0.0, 0.1);
  tu_random_gains(m, rng);
  m->mean_removal = mr && gsl_rng_uniform(rng) < 0.5 ? uniform(0.0, 2.0) : 0.0;
  tu_random_start(m, rng);
}

/* n summaries and statuses identical, bit for bit. */
static int same(const sp_summary *a, const int *sa, const sp_summary *b, const int *sb, size_t n)
{
  int diff = 0;
  for (size_t i = 0; i < n; i++) {
    if (sa[i] != sb[i]) {
      diff++;
    } else if (!sa[i]) {
      const sp_summary *x = &a[i], *y = &b[i];
      diff += memcmp(&x->q_final, &y->q_final, sizeof x->q_final)
              || memcmp(&x->p_final, &y->p_final, sizeof x->p_final)
              || memcmp(&x->rho_final, &y->rho_final, sizeof x->rho_final)
              || memcmp(&x->y2_first, &y->y2_first, sizeof x->y2_first)
              || memcmp(&x->y2_max, &y->y2_max, sizeof x->y2_max)
              || memcmp(&x->beta_ratio, &y->beta_ratio, sizeof x->beta_ratio)
              || x->frozen_layers != y->frozen_layers || x->first_frozen != y->first_frozen;
    }
  }
  return diff;
}

enum { N = 83 }; /* two full chunks and a partial one */

/* Every structure the vector path covers, on each instruction set. */
static void structures(void)
{
  sp_model *m = malloc(N * sizeof *m);
  sp_summary *ref = malloc(N * sizeof *ref), *got = malloc(N * sizeof *got);
  int sref[N], sgot[N];
  for (int isa = SP_SIMD_GENERIC; isa <= SP_SIMD_AVX512; isa++) {
    if (!sp_propagate_simd_supported(isa)) {
      tap_ok(sp_propagate_summary_batch_isa(m, N, NULL, got, sgot, isa) == SP_EUNSUP,
             "instruction set %d not on this processor: refused", isa);
      continue;
    }
    int diff = 0, cases = 0, errors = 0, ok = 0;
    for (int c = 0; c < 3 * 3 * 3 * 2 * 2; c++) {
      int norm = c % 3, attn = c / 3 % 3, mlp = c / 9 % 3, stream = c / 27 % 2, mr = c / 54;
      for (int i = 0; i < N; i++)
        random_model(&m[i], norm, attn, mlp, stream, mr);
      m[7].beta = -1.0; /* refused before the first block */
      m[11].alpha_sa = 50.0, m[11].depth = 300; /* no-LN: overflows */
      m[13].alpha_sa = m[13].alpha_mlp = m[13].branch_sa = m[13].branch_mlp = 1e-3;
      m[13].depth = 300; /* no-LN: underflows */
      sp_propagate_summary_batch_isa(m, N, NULL, ref, sref, SP_SIMD_NONE);
      sp_propagate_summary_batch_isa(m, N, NULL, got, sgot, isa);
      diff += same(ref, sref, got, sgot, N);
      for (int i = 0; i < N; i++) {
        sp_summary one;
        int s = sp_propagate_summary(&m[i], NULL, &one);
        diff += same(&one, &s, &got[i], &sgot[i], 1);
        errors += s != 0;
        ok += s == 0;
      }
      cases++;
    }
    tap_ok(diff == 0, "instruction set %d: %d structures x %d models identical to the scalar "
           "path (%d ok, %d with errors)", isa, cases, N, ok, errors);
  }
  free(m);
  free(ref);
  free(got);
}

/* The chunk runner: which models it takes, and failing lanes left to the
 * scalar path. */
static void chunks(void)
{
  sp_model m[SP_SUMMARY_BATCH];
  sp_summary out[SP_SUMMARY_BATCH];
  int st[SP_SUMMARY_BATCH] = {0};
  int isa = sp_propagate_simd_best();
  for (int i = 0; i < SP_SUMMARY_BATCH; i++)
    random_model(&m[i], SP_NORM_POST, SP_ATTN_SOFTMAX, 1, 0, 0);
  uint64_t all = ((uint64_t)1 << SP_SUMMARY_BATCH) - 1;
  tap_ok(sp_propagate_simd_chunk(m, SP_SUMMARY_BATCH, st, out, isa) == all,
         "a post-LN ReLU chunk runs entirely on the vector path");
  st[3] = SP_EDOM;
  tap_ok(sp_propagate_simd_chunk(m, SP_SUMMARY_BATCH, st, out, isa) == (all & ~(uint64_t)8),
         "a model with a status is left alone");
  st[3] = 0;
  m[5].norm = SP_NORM_NONE;
  m[5].alpha_sa = 40.0; /* overflows within 80 blocks */
  m[5].depth = 200;
  uint64_t done = sp_propagate_simd_chunk(m, SP_SUMMARY_BATCH, st, out, isa);
  tap_ok(done == 0, "models of different structures: not taken (%#llx)",
         (unsigned long long)done);
  for (int i = 0; i < SP_SUMMARY_BATCH; i++)
    m[i].norm = SP_NORM_NONE;
  m[0].alpha_sa = m[0].alpha_mlp = 1.0; /* neither overflows nor underflows */
  done = sp_propagate_simd_chunk(m, SP_SUMMARY_BATCH, st, out, isa);
  sp_summary one;
  int s = sp_propagate_summary(&m[5], NULL, &one);
  tap_ok(!(done & 32) && (done & 1) && s != SP_OK,
         "an overflowing lane is left to the scalar path (status %d there)", s);
  m[2].stats = SP_STATS_FINITE;
  m[2].norm = SP_NORM_POST;
  tap_ok(sp_propagate_simd_chunk(m, SP_SUMMARY_BATCH, st, out, isa) == 0,
         "finite-T statistics: not covered");
  random_model(&m[2], SP_NORM_NONE, SP_ATTN_UNIFORM, 1, 0, 0);
  m[2].causal = 1;
  tap_ok(sp_propagate_simd_chunk(m + 2, 1, st, out, isa) == 0, "causal uniform: not covered");
  m[2].causal = 0;
  m[2].activation = SP_ACT_GELU;
  tap_ok(sp_propagate_simd_chunk(m + 2, 1, st, out, isa) == 0, "GELU MLP: not covered");
  m[2].mlp = 0;
  tap_ok(sp_propagate_simd_chunk(m + 2, 1, st, out, isa) == 1,
         "no MLP: any activation is covered");
  st[0] = SP_EDOM;
  tap_ok(sp_propagate_simd_chunk(m, 1, st, out, isa) == 0, "nothing to run");
  tap_ok(sp_propagate_simd_chunk(m, SP_SUMMARY_BATCH + 1, st, out, isa) == 0,
         "more than a chunk: refused");
  tap_ok(sp_propagate_summary_batch_isa(NULL, 1, NULL, out, st, isa) == SP_EINVAL
         && sp_propagate_summary_batch_isa(m, 1, NULL, out, st, 99) == SP_EUNSUP
         && sp_propagate_summary_batch_isa(m, 0, NULL, out, st, isa) == SP_OK,
         "batch errors: NULL arrays, unknown instruction set; n = 0 is nothing to do");
}

int main(void)
{
  gsl_set_error_handler_off();
  rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 20261207);
  acos_error();
  structures();
  chunks();
  gsl_rng_free(rng);
  return tap_done();
}
