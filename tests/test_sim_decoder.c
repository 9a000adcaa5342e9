/* Simulated causal decoders (post-LN, ReLU, the defaults of Giorlandino &
 * Goldt's Fig. 12 at a smaller size) against the theory with and without
 * the causal exact row overlap (theory.md §14): the row overlap the
 * networks measure in block 1, and rho and E Y2 across depth, with the
 * deviations in standard errors of every theory printed.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"
#include "test_util.h"

#include <gsl/gsl_errno.h>

enum { THEORIES = 3 };
static const char *theory_name[THEORIES] = {"exact overlap", "independent rows", "T -> inf"};

/* Theory k (0: finite T with the exact overlap, 1: finite T with
 * independent rows, 2: T -> infinity) of `m` from the simulation's
 * measured input. */
static int theory(const sp_model *m, const sp_sim_summary *in, int k, sp_workspace *w,
                  sp_layer *traj)
{
  sp_model mt = *m;
  mt.q0 = in->q.mean;
  mt.rho0 = in->rho.mean;
  mt.stats = k == 2 ? SP_STATS_ASYMPTOTIC : SP_STATS_FINITE;
  mt.row_overlap = k == 0 ? SP_OVERLAP_EXACT : SP_OVERLAP_INDEPENDENT;
  int st = sp_workspace_prepare(w, &mt);
  return st ? st : sp_propagate(&mt, w, SP_REM_ALL, traj, NULL);
}

/* Block 1 from a correlated input (c = p/q = rho0): the mean row overlap of
 * the simulated decoders against sp_rem_overlap_causal at the measured
 * input, and against the value of independent causal rows. */
static void block_one(void)
{
  const long d = 256, T = 64;
  const int seeds = 64;
  sp_model m;
  sp_model_default(&m);
  m.causal = 1;
  m.tokens = T;
  m.depth = 1;
  m.beta = 2.7;
  m.rho0 = 0.55;
  sp_sim_summary sum[2];
  int st = tu_sim_summary(&m, d, 0, 41, seeds, sum);
  double q = sum[0].q.mean, p = sum[0].p.mean, eo = NAN, err;
  double lambda = m.beta * sqrt(q * (q - p));
  st |= sp_rem_overlap_causal(T, lambda, p / q, &eo, &err);
  double ht = 0.0; /* H_T */
  for (long t = T; t >= 1; t--)
    ht += 1.0 / (double)t;
  double ind = 2.0 * ((double)T - ht) / ((double)T * (double)(T - 1));
  double mc = sum[1].overlap.mean, se = sum[1].overlap.se;
  double z = (mc - eo) / se, zi = (mc - ind) / se;
  tap_ok(st == SP_OK && fabs(z) <= 4.0,
         "block 1, beta %g, rho0 %g (d %ld, T %ld, %d decoders): row overlap %.5f +- %.5f, "
         "causal exact %.5f (%+.1f s.e.)", m.beta, m.rho0, d, T, seeds, mc, se, eo, z);
  tap_ok(fabs(zi) > 4.0, "independent causal rows %.5f miss it by %+.1f s.e.", ind, zi);
}

/* rho and E Y2 of S decoders across depth against the three theories:
 * the deviations (simulation - theory) in standard errors at a few layers,
 * and what holds of them. */
static void depth(double beta, long d, long T, int seeds)
{
  enum { L = 12 };
  static const int show[] = {1, 2, 4, 8, 12};
  sp_model m;
  sp_model_default(&m);
  m.causal = 1;
  m.tokens = T;
  m.depth = L;
  m.beta = beta;
  sp_sim_summary sum[L + 1];
  sp_layer traj[THEORIES][L + 1];
  sp_workspace *w = NULL;
  int st = sp_workspace_alloc(&w);
  st |= tu_sim_summary(&m, d, 0, 300, seeds, sum);
  for (int k = 0; k < THEORIES && !st; k++)
    st |= theory(&m, &sum[0], k, w, traj[k]);
  sp_workspace_free(w);
  tap_ok(st == SP_OK, "beta %g, d %ld, T %ld, L %d, %d decoders: simulation and theories run",
         beta, d, T, L, seeds);
  if (st)
    return;
  double z[THEORIES][L + 1], zy[THEORIES][L + 1];
  for (int k = 0; k < THEORIES; k++)
    for (int l = 1; l <= L; l++) {
      z[k][l] = (sum[l].rho.mean - traj[k][l].rho) / sum[l].rho.se;
      zy[k][l] = (sum[l].y2.mean - traj[k][l].attn.y2) / sum[l].y2.se;
    }
  for (size_t i = 0; i < sizeof show / sizeof show[0]; i++) {
    int l = show[i];
    tap_diag("layer %2d: rho %.4f +- %.4f, theory %.4f / %.4f / %.4f (%+.1f / %+.1f / %+.1f s.e.); "
             "E Y2 %.4f +- %.4f, finite T %.4f / %.4f (%+.1f / %+.1f s.e.)", l,
             sum[l].rho.mean, sum[l].rho.se, traj[0][l].rho, traj[1][l].rho, traj[2][l].rho,
             z[0][l], z[1][l], z[2][l], sum[l].y2.mean, sum[l].y2.se, traj[0][l].attn.y2,
             traj[1][l].attn.y2, zy[0][l], zy[1][l]);
  }
  tap_diag("theories: %s / %s / %s", theory_name[0], theory_name[1], theory_name[2]);
  /* Blocks 1 and 2 see (nearly) the simplex input the theory assumes. */
  int early = 1;
  for (int l = 1; l <= 2; l++)
    early &= fabs(z[0][l]) <= 4.0 && fabs(zy[0][l]) <= 4.0;
  tap_ok(early, "blocks 1-2: rho and E Y2 within 4 s.e. of the exact-overlap theory "
         "(rho %+.1f, %+.1f; E Y2 %+.1f, %+.1f)", z[0][1], z[0][2], zy[0][1], zy[0][2]);
  /* Where the two finite-T theories differ by more than 2 standard errors
   * of the simulation, the exact overlap is the closer one; the worst
   * deviation of each theory is reported. */
  int closer = 1, n = 0, worst[THEORIES] = {1, 1, 1};
  for (int l = 1; l <= L; l++) {
    for (int k = 0; k < THEORIES; k++)
      if (fabs(z[k][l]) > fabs(z[k][worst[k]]))
        worst[k] = l;
    if (fabs(traj[0][l].rho - traj[1][l].rho) <= 2.0 * sum[l].rho.se)
      continue;
    n++;
    closer &= fabs(z[0][l]) < fabs(z[1][l]);
  }
  tap_ok(n > 0 && closer, "the %d layers where the overlaps' theories differ by > 2 s.e.: the "
         "exact overlap's rho is the closer (layer %d: %+.1f against %+.1f s.e.)", n, L, z[0][L],
         z[1][L]);
  for (int k = 0; k < THEORIES; k++)
    tap_diag("largest rho deviation in s.e., %s: %+.4f (%+.1f s.e.) at layer %d", theory_name[k],
             sum[worst[k]].rho.mean - traj[k][worst[k]].rho, z[k][worst[k]], worst[k]);
}

int main(void)
{
  gsl_set_error_handler_off();
  block_one();
  depth(3.0, 256, 64, 32);
  return tap_done();
}
