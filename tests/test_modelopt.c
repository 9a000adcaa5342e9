/* The model options by name (sp_modelopt) and the table and query entries
 * the program and the Python package share: values, messages, and every
 * error path, on high-entropy inputs.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Apply name=value pairs (value NULL for a flag) to a fresh object; the
 * status of the first failure, its message in msg. */
static int apply(const char *const *kv, size_t n, sp_modelopt **out, char *msg, size_t size)
{
  sp_modelopt *o;
  if (sp_modelopt_alloc(&o))
    return SP_ENOMEM;
  int s = SP_OK;
  for (size_t i = 0; i + 1 < n && !s; i += 2)
    s = sp_modelopt_set(o, SP_MODELOPT_ALL, kv[i], kv[i + 1]);
  if (!s)
    s = sp_modelopt_check(o, NULL);
  snprintf(msg, size, "%s", sp_modelopt_error(o));
  *out = o;
  return s;
}

static void check_error(const char *const *kv, size_t n, int status, const char *want)
{
  sp_modelopt *o = NULL;
  char msg[SP_MODELOPT_ERROR_SIZE];
  int s = apply(kv, n, &o, msg, sizeof msg);
  tap_ok(s == status && strcmp(msg, want) == 0, "%s %s: status %d, '%s'", kv[0],
         kv[1] ? kv[1] : "", s, msg);
  sp_modelopt_free(o);
}

static void values(void)
{
  const char *kv[] = {"preset", "gpt2-small", "depth", "37", "rho0", "0.0413", "beta", "0.7131",
                      "causal", NULL, "norm", "pre", "var-v", "0.2173"};
  sp_modelopt *o;
  char msg[SP_MODELOPT_ERROR_SIZE];
  int s = apply(kv, sizeof kv / sizeof kv[0], &o, msg, sizeof msg);
  const sp_model *m = sp_modelopt_model(o);
  tap_ok(s == SP_OK && m->depth == 37 && m->rho0 == 0.0413 && m->beta == 0.7131 && m->causal
         && m->norm == SP_NORM_PRE && m->var_v == 0.2173, "options applied in order");
  const char *name;
  tap_ok(strcmp(sp_modelopt_source(o, &name), "preset") == 0 && strcmp(name, "gpt2-small") == 0
         && sp_modelopt_preset(o) && !sp_modelopt_config(o), "the source is the preset");
  unsigned g = sp_modelopt_given(o);
  tap_ok((g & SP_GIVEN_RHO0) && (g & SP_GIVEN_DEPTH) && !(g & SP_GIVEN_STATS), "given: %#x", g);
  sp_modelopt_mark_given(o, SP_GIVEN_STATS, SP_GIVEN_RHO0);
  g = sp_modelopt_given(o);
  tap_ok((g & SP_GIVEN_STATS) && !(g & SP_GIVEN_RHO0), "mark_given sets and clears");
  char buf[64];
  sp_modelopt_show(m, "var-v", buf, sizeof buf);
  tap_ok(strcmp(buf, "0.2173") == 0, "show var-v: %s", buf);
  sp_modelopt_show(m, "norm", buf, sizeof buf);
  tap_ok(strcmp(buf, "pre") == 0, "show norm: %s", buf);
  sp_modelopt_show(m, "std-q", buf, sizeof buf);
  tap_ok(buf[0] == '\0', "show std-q: nothing");
  sp_modelopt_free(o);

  /* The stds of a width and one initialiser std set beta (theory.md §11). */
  const char *st[] = {"d-model", "384", "heads", "6", "d-ff", "1536", "init-std", "0.0237",
                      "tokens", "211"};
  s = apply(st, sizeof st / sizeof st[0], &o, msg, sizeof msg);
  double want = 384 * 0.0237 * 0.0237 / sqrt(log(211.0));
  m = sp_modelopt_model(o);
  tap_close(m->beta, want, 1e-15, "beta = d s_q s_k / sqrt(log T) = %.17g (status %d)", m->beta,
            s);
  tap_ok(sp_modelopt_stds(o)->d_model == 384, "stds keep d-model");
  sp_modelopt_free(o);
  size_t n = sp_modelopt_count(SP_MODELOPT_ALL);
  tap_ok(n >= 40 && sp_modelopt_entry_at(SP_MODELOPT_ALL, n) == NULL
         && strcmp(sp_modelopt_entry_at(SP_MODELOPT_MLP, 1)->name, "var-w") == 0
         && sp_modelopt_count((sp_modelopt_table)7) == 0, "the tables: %zu entries", n);
}

static void errors(void)
{
  /* Options as name, value pairs (a value NULL for a flag, NULL after the
   * last pair), the status and the message. */
  static const struct {
    const char *kv[7];
    int status;
    const char *want;
  } cases[] = {
      {{"beta", "nan"}, SP_EINVAL, "--beta: 'nan' is not a finite number"},
      {{"var-v", "-0.3172"}, SP_EDOM,
       "--var-v: -0.3172 is outside the domain [0, 1e+06] (value weight variance times width)"},
      {{"depth", "12.5"}, SP_EDOM, "--depth: '12.5' is not a whole number"},
      {{"norm", "sideways"}, SP_EINVAL, "--norm: 'sideways' is not one of post, pre, none"},
      {{"no-such", "1"}, SP_EINVAL, "--no-such: not a model option"},
      {{"causal", "1"}, SP_EINVAL, "--causal takes no value"},
      {{"beta", NULL}, SP_EINVAL, "--beta: needs a value"},
      {{"std-q", "0.0213"}, SP_EDOM, "--std-q: give --std-k too (or --init-std)"},
      {{"std-q", "1001"}, SP_EDOM, "--std-q: 1001 is outside [0, 1000]"},
      {{"heads", "0"}, SP_EDOM, "--heads: 0 is outside [1, 1e9]"},
      {{"rho0", "-0.41", "tokens", "97", "attention-stats", "finite"}, SP_EDOM,
       "--rho0: -0.41 is below -1/(T-1) = -0.0104167, impossible for 97 tokens"},
      {{"rho0", "-0.0013"}, SP_EDOM,
       "--rho0: -0.0013 < 0 has no T -> infinity limit; use --attention-stats finite"},
      {{"config", "/nonexistent/config.json"}, SP_EIO,
       "--config: /nonexistent/config.json: cannot read: No such file or directory"},
      {{"row-overlap", "shared"}, SP_EINVAL,
       "--row-overlap: 'shared' is not one of independent, exact"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t n = 2;
    while (cases[i].kv[n])
      n += 2;
    check_error(cases[i].kv, n, cases[i].status, cases[i].want);
  }
  const char *oo[] = {"attention", "centered"};
  sp_modelopt *o;
  char msg[SP_MODELOPT_ERROR_SIZE];
  tap_ok(apply(oo, 2, &o, msg, sizeof msg) == SP_OK
         && sp_modelopt_model(o)->attention == SP_ATTN_CENTRED, "an unlisted spelling works");
  tap_ok(sp_modelopt_set(NULL, SP_MODELOPT_ALL, "beta", "1") == SP_EINVAL
         && sp_modelopt_check(NULL, NULL) == SP_EINVAL && sp_modelopt_alloc(NULL) == SP_EINVAL
         && strcmp(sp_modelopt_error(NULL), "") == 0, "NULL arguments");
  sp_modelopt_free(o);
  sp_modelopt_free(NULL);
}

static void tables(void)
{
  sp_model m = tu_model("--depth 7 --beta 0.6131");
  double out[8 * SP_PROPAGATE_TABLE_NCOL];
  long done;
  int s = sp_propagate_table_fill(&m, NULL, out, &done);
  tap_ok(s == SP_OK && done == 8 && out[0] == 0.0 && isnan(out[5])
         && out[7 * SP_PROPAGATE_TABLE_NCOL] == 7.0, "propagate table: %d rows", (int)done);
  tap_ok(sp_propagate_table_fill(NULL, NULL, out, NULL) == SP_EINVAL
         && !sp_propagate_table_column(SP_PROPAGATE_TABLE_NCOL)
         && strcmp(sp_propagate_table_column(16), "grad_chi") == 0, "propagate table: errors");
  double v[SP_ATTENTION_TABLE_NCOL];
  tap_ok(sp_attention_table_row(1, 0, 0.5, v) == SP_EDOM && sp_attention_table_row(0, 0, -1, v)
         == SP_EDOM && sp_attention_table_row(0, 0, 1.0, NULL) == SP_EINVAL,
         "attention table: errors");
  s = sp_attention_table_row(0, 0, 2.137, v);
  tap_ok(s == SP_OK && isnan(v[0]) && v[6] > 0.0, "attention table: frozen T -> inf row");
  tap_ok(sp_attention_table_lambda(0.113, 3.71, 23, 22) == 3.71, "attention: the last lambda");
  double w[SP_MEANFIELD_TABLE_NPOINT];
  m.var_w_in = m.var_w_out = -1.0;
  tap_ok(sp_meanfield_table_point(&m, w, NULL) == SP_EDOM, "meanfield table: a bad variance");
  double xs[2] = {0.5, 1.5}, ys[1] = {-0.25}, g[2 * SP_MEANFIELD_TABLE_NCOL], bw = 0, bb = 0;
  s = sp_meanfield_table_grid(&m, 1, xs, 2, ys, 1, g, NULL, NULL, &bw, &bb);
  tap_ok(s == SP_EDOM && bw == 0.5 && bb == -0.25, "meanfield grid: the failing point");
}

static void query(void)
{
  sp_model m;
  sp_model_default(&m);
  m.depth = 19;
  sp_critical_answer a;
  char err[256];
  int usage = -1;
  int s = sp_critical_query(&m, "alpha-sa", "rho-final=0.9", "0:1e-9", &a, &usage, err,
                            sizeof err);
  tap_ok(s == SP_ENOROOT && usage == 0 && strstr(err, "no root in that range"),
         "critical: no root: %s", err);
  s = sp_critical_query(&m, "tokens", "rho-final=0.5", NULL, &a, &usage, err, sizeof err);
  tap_ok(s == SP_EINVAL && usage == 1, "critical: an integer parameter: %s", err);
  s = sp_critical_query(&m, NULL, "beta-c", NULL, &a, &usage, err, sizeof err);
  tap_ok(s == SP_OK && a.value == sp_rem_beta_c(m.q0, m.rho0 * m.q0), "critical: beta-c");
  s = sp_critical_query(&m, "depth", "rho-final=0.6173", NULL, &a, &usage, err, sizeof err);
  tap_ok(s == SP_OK && a.is_depth && a.value >= 1.0, "critical: a depth, %g", a.value);
  tap_ok(sp_critical_query(NULL, NULL, "beta-c", NULL, &a, &usage, err, sizeof err)
         == SP_EINVAL, "critical: NULL model");
  char *json = NULL, e2[64];
  tap_ok(sp_report_json(NULL, NULL, NULL, NULL, NULL, &json) == SP_EINVAL && !json
         && sp_report_recommend(NULL, NULL, 0, NULL, &json, e2, sizeof e2) == SP_EINVAL,
         "report: NULL arguments");
  sp_report_free(NULL);
}

int main(void)
{
  values();
  errors();
  tables();
  query();
  return tap_done();
}
