/* The Hermite expansion tabulated over q_1 (src/hermite_table.c) against
 * the expansion computed at the same q_1, the batch gap ratios against
 * the single ones, the MLP table built from a tabulated expansion, and
 * every refusal.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "hermite_table.h"
#include "mlp_table_private.h"
#include "tap.h"

#include <math.h>
#include <stdint.h>

/* A reproducible uniform deviate in [0, 1) (64-bit LCG, top 53 bits). */
static double uniform(uint64_t *st)
{
  *st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(*st >> 11) / 9007199254740992.0;
}

static double rel(double got, double want)
{
  return fabs(got - want) / fabs(want);
}

/* 60 q_1 log-uniform over the table's range, 13 x each (both ends of
 * [-1, 1] among them): the interpolated expansion against the computed
 * one. */
static void versus_direct(sp_activation act, uint64_t seed)
{
  sp_hermite_table *t = NULL;
  double worst_g = 0.0, worst_m = 0.0, lo = log(SP_HERMITE_QMAX) - SP_HERMITE_TABLE_PANELS;
  int fails = sp_hermite_table_alloc(act, 1.0, &t) != SP_OK;
  for (int i = 0; i < 60 && !fails; i++) {
    double q1 = exp(lo + (log(SP_HERMITE_QMAX) - lo) * uniform(&seed));
    sp_hermite ht, hd;
    if (sp_hermite_table_eval(t, q1, &ht) || sp_hermite_compute(act, 1.0, q1, &hd)) {
      fails++;
      break;
    }
    for (int j = 0; j <= 12; j++) {
      double x = j == 0 ? -1.0 : j == 12 ? 1.0 - 1e-9 : 2.0 * uniform(&seed) - 1.0;
      worst_g = fmax(worst_g, rel(sp_hermite_gap_ratio(&ht, x), sp_hermite_gap_ratio(&hd, x)));
    }
    worst_m = fmax(worst_m, fmax(rel(ht.e2, hd.e2), rel(ht.price, hd.price)));
    sp_hermite_free(&ht);
    sp_hermite_free(&hd);
  }
  sp_hermite_table_free(t);
  tap_ok(!fails && worst_g < 1e-11 && worst_m < 1e-11,
         "%s: tabulated expansion at 60 q1 in [%.1e, 16] against the computed one: gap ratio "
         "%.1e, E phi^2 and q1 E phi'^2 %.1e of themselves (limit 1e-11)",
         sp_activation_name(act), exp(lo), worst_g, worst_m);
}

/* A node of the table (q_1 = 16) is reproduced exactly, and a second
 * evaluation of a built panel gives the same bits. */
static void nodes_and_reuse(void)
{
  sp_hermite_table *t = NULL;
  sp_hermite a = {0}, b = {0}, d = {0};
  int s = sp_hermite_table_alloc(SP_ACT_TANH, 1.0, &t);
  s = s ? s : sp_hermite_table_eval(t, SP_HERMITE_QMAX, &a);
  s = s ? s : sp_hermite_compute(SP_ACT_TANH, 1.0, SP_HERMITE_QMAX, &d);
  tap_ok(!s && rel(a.e2, d.e2) < 1e-14 && rel(a.price, d.price) < 1e-14 && a.n == d.n,
         "tanh: the table at its node q1 = 16 is the computed expansion (1e-14)");
  double q = 0.6180339887;
  sp_hermite_free(&a);
  s = s ? s : sp_hermite_table_eval(t, q, &a);
  s = s ? s : sp_hermite_table_eval(t, q, &b);
  int same = !s && a.n == b.n && a.e2 == b.e2;
  for (int i = 0; same && i < a.n; i++)
    same = a.a2[i] == b.a2[i];
  tap_ok(same, "tanh: a built panel evaluates to the same bits again");
  double e2 = NAN, pr = NAN;
  tap_ok(sp_hermite_table_moments(t, q, &e2, &pr) == SP_OK && e2 == a.e2 && pr == a.price
             && sp_hermite_table_moments(t, q, NULL, NULL) == SP_OK
             && sp_hermite_table_moments(t, -q, &e2, &pr) == SP_ENOCONV,
         "tanh: the moments alone are the expansion's sums; NULL outputs; q1 < 0 SP_ENOCONV");
  sp_hermite_free(&a);
  sp_hermite_free(&b);
  sp_hermite_free(&d);
  tap_ok(sp_hermite_table_matches(t, SP_ACT_TANH, 3.7) && !sp_hermite_table_matches(t, SP_ACT_GELU, 1.0)
             && !sp_hermite_table_matches(NULL, SP_ACT_TANH, 1.0),
         "matches: tanh at any scale, not gelu, not NULL");
  sp_hermite_table_free(t);
}

/* The batch gap ratios (Horner on the tails) against the single sums. */
static void batch_ratios(void)
{
  sp_hermite h;
  double x[7] = {-1.0, -0.7071, -0.1234, 0.0, 0.3819, 0.9876, 1.0}, g[7], worst = 0.0;
  int s = sp_hermite_compute(SP_ACT_SILU, 1.0, 3.14159, &h);
  s = s ? s : sp_hermite_gap_ratios(&h, x, g, 7);
  for (int i = 0; !s && i < 7; i++)
    worst = fmax(worst, rel(g[i], i == 6 ? h.price : sp_hermite_gap_ratio(&h, x[i])));
  tap_ok(!s && worst < 1e-13, "silu q1 = 3.14: batch gap ratios against single ones and "
         "sum n a_n^2 at x = 1: %.1e (limit 1e-13)", worst);
  sp_hermite_free(&h);
  sp_hermite one = {1.0, 1, NULL, 0.5, 0.0};
  double a = 1.0;
  one.a2 = &a;
  g[0] = NAN;
  tap_ok(sp_hermite_gap_ratios(&one, x, g, 1) == SP_OK && g[0] == 0.0,
         "an expansion of one term has gap ratio 0");
}

/* The MLP table built from the tabulated expansion against the one built
 * on its own, with a bias (off-node correlations). */
static void mlp_table_from_expansion(void)
{
  const double sw_in = 1.7320508, sw_out = 0.9182736, sb = 0.2718281;
  sp_hermite_table *ht = NULL;
  sp_hermite h;
  sp_mlp_table *a = NULL, *b = NULL;
  int s = sp_hermite_table_alloc(SP_ACT_GELU, 1.0, &ht);
  s = s ? s : sp_hermite_table_eval(ht, sw_in + sb, &h);
  s = s ? s : sp_mlp_table_alloc_expansion(SP_ACT_GELU, 1.0, sw_in, sw_out, sb, &h, &a);
  s = s ? s : sp_mlp_table_alloc(SP_ACT_GELU, 1.0, sw_in, sw_out, sb, &b);
  double worst = 0.0;
  for (int i = 0; !s && i <= 40; i++) {
    double c = cos(M_PI * (i + 0.29) / 41.0), qa, pa, qb, pb;
    if ((s = sp_mlp_table_eval(a, c, &qa, &pa)) || (s = sp_mlp_table_eval(b, c, &qb, &pb)))
      break;
    worst = fmax(worst, fmax(rel(qa, qb), rel(qa - pa, qb - pb)));
  }
  tap_ok(!s && worst < 1e-11, "gelu with a bias: MLP table from the tabulated expansion "
         "against its own: q_f and q_f - p_f within %.1e of themselves (limit 1e-11)", worst);
  sp_mlp_table_free(b);
  tap_ok(sp_mlp_table_alloc_expansion(SP_ACT_GELU, 1.0, sw_in, sw_out, sb, NULL, &b) == SP_EINVAL
             && b == NULL,
         "MLP table from a NULL expansion: SP_EINVAL, nothing allocated");
  if (!s)
    sp_hermite_free(&h);
  sp_mlp_table_free(a);
  sp_hermite_table_free(ht);
}

/* The read-only kernel of a fully built table against the expansion
 * computed at the same q_1, and the no-LayerNorm MLP map through a
 * workspace (which reads it) against the map's own quadrature. */
static void kernel_read_only(void)
{
  sp_hermite_table *t = NULL;
  uint64_t seed = 0x2545f4914f6cdd1dULL;
  double worst = 0.0, e2, g;
  int s = sp_hermite_table_alloc(SP_ACT_SILU, 1.0, &t);
  tap_ok(!s && sp_hermite_table_kernel(t, 1.3, 0.5, &e2, &g) == SP_ENOCONV,
         "kernel before the build: SP_ENOCONV");
  s = s ? s : sp_hermite_table_build(t);
  for (int i = 0; !s && i < 40; i++) {
    double q1 = exp(-5.0 + 7.7 * uniform(&seed)), x = i ? 2.0 * uniform(&seed) - 1.0 : 1.0;
    sp_hermite h;
    if ((s = sp_hermite_table_kernel(t, q1, x, &e2, &g)) || (s = sp_hermite_compute(SP_ACT_SILU, 1.0, q1, &h)))
      break;
    worst = fmax(worst, fmax(rel(e2, h.e2), rel(g, i ? sp_hermite_gap_ratio(&h, x) : h.price)));
    sp_hermite_free(&h);
  }
  tap_ok(!s && worst < 1e-11, "silu: read-only kernel at 40 (q1, x) against the computed "
         "expansion: %.1e (limit 1e-11)", worst);
  tap_ok(sp_hermite_table_kernel(t, 1.3, 1.0000001, &e2, &g) == SP_ENOCONV
             && sp_hermite_table_kernel(t, 1.3, NAN, &e2, &g) == SP_ENOCONV
             && sp_hermite_table_kernel(t, 17.0, 0.5, &e2, &g) == SP_ENOCONV
             && sp_hermite_table_kernel(NULL, 1.3, 0.5, &e2, &g) == SP_ENOCONV
             && sp_hermite_table_build(NULL) == SP_EINVAL,
         "kernel refuses x > 1, NaN x, q1 > 16, a NULL table; build refuses NULL");
  sp_hermite_table_free(t);

  sp_model m;
  sp_workspace *w = NULL;
  sp_model_default(&m);
  m.norm = SP_NORM_NONE, m.activation = SP_ACT_TANH, m.var_w_in = 1.37, m.var_b = 0.021;
  s = sp_workspace_alloc(&w);
  s = s ? s : sp_workspace_prepare(w, &m);
  worst = 0.0;
  const double qs[] = {0.013, 0.41, 2.3, 9.1}, cs[] = {-0.77, 0.05, 0.63, 0.9993};
  for (int i = 0; !s && i < 16; i++) {
    double q = qs[i / 4], p = q * cs[i % 4], qa, pa, qb, pb;
    if ((s = sp_maps_mlp(&m, w, q, p, &qa, &pa)) || (s = sp_maps_mlp(&m, NULL, q, p, &qb, &pb)))
      break;
    worst = fmax(worst, fmax(rel(qa, qb), rel(qa - pa, qb - pb)));
  }
  tap_ok(!s && worst < 1e-12, "tanh without LayerNorm: the MLP map through the tabulated "
         "expansion against quadrature at 16 (q, p): q_f and q_f - p_f within %.1e (limit 1e-12)",
         worst);
  sp_workspace_free(w);
}

static void refusals(void)
{
  sp_hermite_table *t = NULL, *r = NULL;
  sp_hermite h = {0.0, 7, NULL, 0.0, 0.0};
  tap_ok(sp_hermite_table_alloc(SP_ACT_TANH, 1.0, NULL) == SP_EINVAL, "alloc to NULL: SP_EINVAL");
  int s = sp_hermite_table_alloc(SP_ACT_TANH, 1.0, &t);
  const double bad[] = {0.0, -0.5, NAN, INFINITY, 16.000001, 1e-12};
  int all = !s;
  for (int i = 0; i < 6; i++)
    all = all && sp_hermite_table_eval(t, bad[i], &h) == SP_ENOCONV && h.a2 == NULL && h.n == 0;
  tap_ok(all, "q1 = 0, -0.5, NaN, inf, 16.000001 and 1e-12 (below the panels): SP_ENOCONV, "
         "nothing to free");
  tap_ok(sp_hermite_table_eval(NULL, 1.0, &h) == SP_ENOCONV, "NULL table: SP_ENOCONV");
  s = sp_hermite_table_alloc(SP_ACT_RELU, 1.0, &r);
  tap_ok(!s && sp_hermite_table_eval(r, 0.77, &h) == SP_ENOCONV
             && sp_hermite_table_eval(r, 0.77, &h) == SP_ENOCONV,
         "relu (no expansion): SP_ENOCONV, remembered for the panel");
  sp_hermite_table_free(r);
  sp_hermite_table_free(t);
  sp_hermite_table_free(NULL);
}

int main(void)
{
  versus_direct(SP_ACT_TANH, 0x9e3779b97f4a7c15ULL);
  versus_direct(SP_ACT_GELU, 0xd1b54a32d192ed03ULL);
  versus_direct(SP_ACT_SILU, 0x94d049bb133111ebULL);
  nodes_and_reuse();
  batch_ratios();
  mlp_table_from_expansion();
  kernel_read_only();
  refusals();
  return tap_done();
}
