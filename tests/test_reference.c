/* Regression against the independently computed tables in tests/data/
 * (copies of the project's shared reference tables; theory.md §3, §5, §6).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"
#include "test_util.h"

#include <gsl/gsl_errno.h>

static void relu_kernel(void)
{
  tap_csv c = tap_csv_read(tap_data("relu_kernel.csv"));
  int ic = tap_csv_col(&c, "c"), iff = tap_csv_col(&c, "f");
  for (int r = 0; r < c.nrow; r++) {
    double x = tap_csv_num(&c, r, ic);
    tap_close(sp_gauss_relu_kernel(x), tap_csv_num(&c, r, iff), 1e-9, "relu kernel f(%g)", x);
  }
  tap_csv_free(&c);
}

static void rem_asymptotic(void)
{
  tap_csv c = tap_csv_read(tap_data("rem_asymptotic.csv"));
  const char *cols[] = {"beta_c", "m", "y2", "y3", "y2sq", "entropy_over_logT", "entropy_frozen"};
  int idx[7];
  for (int k = 0; k < 7; k++)
    idx[k] = tap_csv_col(&c, cols[k]);
  int irho = tap_csv_col(&c, "rho"), ibeta = tap_csv_col(&c, "beta");
  for (int r = 0; r < c.nrow; r++) {
    double rho = tap_csv_num(&c, r, irho), beta = tap_csv_num(&c, r, ibeta);
    sp_attn_stats st;
    /* With T = e^1 impossible, use a huge T so the log T cap never binds. */
    int s = sp_rem_asymptotic(beta, 1.0, rho, 1000000000L, SP_REM_ALL, &st);
    tap_ok(s == SP_OK, "rem asymptotic status rho=%g beta=%g", rho, beta);
    double got[7] = {st.beta_c, st.m, st.y2, st.y3, st.y2sq, st.entropy_ratio,
                     st.frozen ? st.entropy : NAN};
    for (int k = 0; k < 7; k++) {
      double want = tap_csv_num(&c, r, idx[k]);
      if (isnan(want)) {
        tap_ok(isnan(got[k]) || !st.frozen, "%s undefined at rho=%g beta=%g", cols[k], rho, beta);
        continue;
      }
      tap_close(got[k], want, 1e-9, "%s at rho=%g beta=%g", cols[k], rho, beta);
    }
  }
  tap_csv_free(&c);
}

/* Compare a trajectory of model m with the rows of table c whose first
 * column equals `key` (when key != NULL). */
static void compare_traj(const tap_csv *c, const char *keycol, const char *key, double keynum,
                         const sp_model *m, const char *label)
{
  sp_layer *traj = malloc((size_t)(m->depth + 1) * sizeof *traj);
  long done;
  int s = sp_propagate(m, NULL, SP_REM_ALL, traj, &done);
  tap_ok(s == SP_OK, "%s: propagate status %d", label, s);
  int ik = tap_csv_col(c, keycol), il = tap_csv_col(c, "layer");
  int iq = tap_csv_col(c, "q"), ip = tap_csv_col(c, "p"), ir = tap_csv_col(c, "rho");
  double worst = 0.0;
  int rows = 0;
  for (int r = 0; r < c->nrow; r++) {
    if (key ? strcmp(tap_csv_str(c, r, ik), key) != 0 : tap_csv_num(c, r, ik) != keynum)
      continue;
    long l = (long)tap_csv_num(c, r, il);
    if (l > m->depth)
      continue;
    double d[3] = {traj[l].q - tap_csv_num(c, r, iq), traj[l].p - tap_csv_num(c, r, ip),
                   traj[l].rho - tap_csv_num(c, r, ir)};
    for (int k = 0; k < 3; k++)
      if (!(fabs(d[k]) <= worst))
        worst = fabs(d[k]);
    rows++;
  }
  tap_ok(rows == m->depth + 1, "%s: %d reference rows", label, rows);
  tap_close(worst, 0.0, 1e-9, "%s: worst |difference| in q, p, rho = %.2e", label, worst);
  free(traj);
}

static void post_ln_bert(void)
{
  tap_csv c = tap_csv_read(tap_data("post_ln_bert_L50.csv"));
  double betas[2] = {0.5, 3.0};
  for (int k = 0; k < 2; k++) {
    sp_model m;
    sp_model_default(&m);
    m.beta = betas[k];
    m.depth = 50;
    char label[64];
    snprintf(label, sizeof label, "post-LN BERT beta=%g", betas[k]);
    compare_traj(&c, "beta", NULL, betas[k], &m, label);
  }
  tap_csv_free(&c);
}

static void variants(void)
{
  tap_csv c = tap_csv_read(tap_data("variants_beta0.1_L100.csv"));
  struct { const char *name; sp_norm norm; sp_attention attn; } v[] = {
    {"post-ln", SP_NORM_POST, SP_ATTN_SOFTMAX}, {"pre-ln", SP_NORM_PRE, SP_ATTN_SOFTMAX},
    {"gc-post-ln", SP_NORM_POST, SP_ATTN_CENTRED}, {"gc-pre-ln", SP_NORM_PRE, SP_ATTN_CENTRED}};
  for (int k = 0; k < 4; k++) {
    sp_model m = tu_model("--beta 0.1 --var-v 1.0 --var-vb 0.0 --rho0 0.2 --depth 100");
    m.norm = v[k].norm;
    m.attention = v[k].attn;
    compare_traj(&c, "variant", v[k].name, 0.0, &m, v[k].name);
  }
  tap_csv_free(&c);
}

int main(void)
{
  gsl_set_error_handler_off();
  relu_kernel();
  rem_asymptotic();
  post_ln_bert();
  variants();
  return tap_done();
}
