/* Framework stds <-> model parameters (theory.md §11): the formulas, the
 * round trip, the folding of gains, agreement with the preset parser, and
 * every error.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"

#include <gsl/gsl_errno.h>

/* A network with high-entropy widths and stds. */
static void sample(sp_stds *s)
{
  sp_stds_init(s);
  s->d_model = 837;
  s->heads = 9;
  s->d_ff = 3011;
  s->q = 0.0213;
  s->k = 0.0187;
  s->v = 0.0241;
  s->o = 0.0166;
  s->ff_in = 0.0197;
  s->ff_out = 0.0093;
  s->emb = 0.0311;
}

static void formulas(void)
{
  sp_stds s;
  sample(&s);
  sp_model m;
  sp_model_default(&m);
  m.tokens = 419;
  const char *bad = NULL;
  tap_ok(sp_stds_to_model(&s, &m, &bad) == SP_OK, "stds -> model");
  double d = 837.0;
  tap_close(m.beta, d * 0.0213 * 0.0187 / sqrt(log(419.0)), 1e-15,
            "beta = d s_q s_k / sqrt(log T) = %.10f", m.beta);
  tap_close(m.var_v, d * 0.0241 * 0.0241 * d * 0.0166 * 0.0166, 1e-15,
            "var-v = d s_v^2 d s_o^2 with W_O");
  tap_close(m.var_w_in, d * 0.0197 * 0.0197, 1e-15, "var-w-in = d s_1^2");
  tap_close(m.var_w_out, 3011.0 * 0.0093 * 0.0093, 1e-15, "var-w-out = d_ff s_2^2");
  tap_close(m.q0, 0.0311 * 0.0311, 1e-15, "q0 = s_emb^2");
  tap_ok(m.alpha_sa == 1.0 && m.alpha_mlp == 1.0, "skip multipliers 1");

  /* Without W_O; with an embedding LayerNorm; unknown stds untouched. */
  sp_stds t;
  sp_stds_init(&t);
  t.d_model = 613;
  t.output_projection = 0;
  t.v = 0.0271;
  t.emb_norm = 1;
  sp_model_default(&m);
  double beta0 = m.beta, w0 = m.var_w_in;
  tap_ok(sp_stds_to_model(&t, &m, NULL) == SP_OK, "without W_O");
  tap_close(m.var_v, 613.0 * 0.0271 * 0.0271, 1e-15, "var-v = d s_v^2 without W_O");
  tap_ok(m.q0 == 1.0, "embedding LayerNorm: q0 = 1");
  tap_ok(m.beta == beta0 && m.var_w_in == w0, "unknown stds leave their parameters alone");

  /* The bert-base preset: the same numbers as its parser. */
  sp_preset p;
  sp_preset_load("bert-base", &p, NULL);
  sp_stds b;
  sp_stds_init(&b);
  b.d_model = p.d_model;
  b.d_ff = p.d_ff;
  sp_stds_set_all(&b, 0.02);
  b.emb_norm = 1;
  sp_model_default(&m);
  m.tokens = p.model.tokens;
  sp_stds_to_model(&b, &m, NULL);
  tap_close(m.beta, p.model.beta, 1e-15, "bert-base: beta %.6f as the preset (0.122995)", m.beta);
  tap_close(m.var_v, p.model.var_v, 1e-15, "bert-base: var-v as the preset");
  tap_close(m.var_w_out, p.model.var_w_out, 1e-15, "bert-base: var-w-out as the preset");
  tap_ok(isnan(b.ff_gate) == 0 && b.ff_gate == 0.02, "--init-std sets W_gate too");
  tap_ok(p.std_emb == 0.02, "bert-base preset: std-emb 0.02 (informative)");
  sp_preset v;
  sp_preset_load("vit-b16", &v, NULL);
  tap_ok(isnan(v.std_emb), "vit-b16: no token-embedding std (patch embedding)");
  sp_preset_error e;
  const char *txt = "name = x\ntitle = t\nsource = s\nnorm = pre\nactivation = relu\n"
                    "causal = no\nd-model = 64\nheads = 4\nd-ff = 256\ntokens = 97\n"
                    "depth = 3\noutput-projection = yes\nbeta = 0.4\nvar-v = 0.3\n"
                    "var-w-in = 0.2\nvar-w-out = 0.2\nvar-b = 0\nstd-emb = -1\n";
  tap_ok(sp_preset_parse(txt, strlen(txt), "t.preset", &v, &e) == SP_EPARSE
           && strstr(e.text, "std-emb") != NULL, "std-emb = -1 refused: %s", e.text);
}

static void round_trip(void)
{
  sp_stds s, r;
  sample(&s);
  s.gate = 1;
  s.ff_gate = 0.0177;
  sp_model m;
  sp_model_default(&m);
  m.tokens = 419;
  sp_stds_to_model(&s, &m, NULL);
  tap_ok(sp_stds_from_model(&m, &s, 0, &r) == SP_OK, "model -> stds");
  tap_ok(r.q == s.q && r.k == s.k && r.v == s.v && r.o == s.o && r.ff_in == s.ff_in
         && r.ff_gate == s.ff_gate && r.ff_out == s.ff_out && r.emb == s.emb,
         "the stds that gave the model come back unchanged");
  tap_close(m.var_w_in, 837.0 * 0.0177 * 0.0177, 1e-15,
            "gated MLP: var-w-in = d s_gate^2 (phi acts on W_gate x)");
  sp_model y = m;
  y.var_w_in = 0.2917;
  sp_stds_from_model(&y, &s, 0, &r);
  tap_close(r.ff_gate, sqrt(0.2917 / 837.0), 1e-16, "a new var-w-in goes to W_gate");
  tap_ok(r.ff_in == s.ff_in, "W_1, the linear factor, kept");
  s.gate = 0;
  sp_stds_to_model(&s, &m, NULL);

  /* beta changed: W_Q, W_K scaled together, their ratio kept. */
  sp_model x = m;
  x.beta = 0.7 * m.beta;
  sp_stds_from_model(&x, &s, 0, &r);
  tap_close(r.q / r.k, s.q / s.k, 1e-14, "ratio s_q/s_k kept");
  tap_close(837.0 * r.q * r.k / sqrt(log(419.0)), x.beta, 1e-14, "and they give the new beta");
  tap_ok(r.v == s.v && r.ff_in == s.ff_in, "the others kept");

  /* var-v changed: split evenly between W_V and W_O. */
  x = m;
  x.var_v = 0.1234;
  sp_stds_from_model(&x, &s, 0, &r);
  tap_close(r.v, r.o, 0.0, "W_V and W_O share a new var-v");
  tap_close(837.0 * r.v * r.v * 837.0 * r.o * r.o, 0.1234, 1e-15, "and give it");

  /* Branch gains fold into W_O and W_2; skip gains stay multipliers
   * except in the pure form of post-LN blocks. */
  x = m;
  x.branch_sa = 0.377;
  x.branch_mlp = 0.291;
  x.alpha_sa = x.alpha_mlp = 1.31;
  sp_stds_from_model(&x, &s, 0, &r);
  tap_close(r.o, s.o * 0.377, 1e-16, "branch-sa folded into W_O");
  tap_close(r.ff_out, s.ff_out * 0.291, 1e-16, "branch-mlp folded into W_2");
  tap_ok(r.skip_sa == 1.31 && r.skip_mlp == 1.31, "skip gains stay multipliers");
  tap_ok(sp_stds_pure_form(&x) == 1, "post-LN: a pure form exists");
  sp_stds_from_model(&x, &s, 1, &r);
  tap_close(r.o, s.o * 0.377 / 1.31, 1e-16, "pure post-LN form: W_O times branch/alpha");
  tap_close(r.ff_out, s.ff_out * 0.291 / 1.31, 1e-16, "and W_2");
  tap_ok(r.skip_sa == 1.0 && r.skip_mlp == 1.0, "no skip multiplier left");
  x.norm = SP_NORM_PRE;
  tap_ok(sp_stds_pure_form(&x) == 0, "pre-LN with alpha != 1: no pure form");
  sp_stds_from_model(&x, &s, 1, &r);
  tap_ok(r.skip_sa == 1.31, "pre-LN keeps the skip multiplier even when asked for the pure form");

  /* No W_O: the branch gain goes to W_V; unknown widths and stds. */
  sp_stds t;
  sp_stds_init(&t);
  t.d_model = 613;
  t.output_projection = 0;
  x = m;
  x.branch_sa = 0.5;
  sp_stds_from_model(&x, &t, 0, &r);
  tap_close(r.v, sqrt(x.var_v / 613.0) * 0.5, 1e-16, "without W_O the branch gain goes to W_V");
  tap_ok(isnan(r.o) && isnan(r.ff_out) && isnan(r.ff_gate) && isnan(r.emb),
         "W_O, W_2 (no d_ff), W_gate (no gate) and embeddings unknown");
  tap_close(r.q, sqrt(x.beta * sqrt(log(419.0)) / 613.0), 1e-16, "W_Q from beta alone");
}

static void errors(void)
{
  sp_stds s;
  sp_model m, keep;
  sp_model_default(&m);
  keep = m;
  const char *bad;
#define CASE(stmt, name)                                                                    \
  do {                                                                                     \
    sample(&s);                                                                            \
    stmt;                                                                                  \
    bad = NULL;                                                                            \
    int st_ = sp_stds_to_model(&s, &m, &bad);                                              \
    tap_ok(st_ == SP_EDOM && bad && strcmp(bad, name) == 0                                 \
             && memcmp(&m, &keep, sizeof m) == 0,                                          \
           "%s -> SP_EDOM naming %s (got %s), model unchanged", #stmt, name,                \
           bad ? bad : "nothing");                                                         \
  } while (0)
  CASE(s.k = NAN, "std-k");
  CASE(s.q = NAN, "std-q");
  CASE(s.o = NAN, "std-o");
  CASE(s.v = NAN, "std-v");
  CASE(s.q = -0.01, "std-q");
  CASE(s.ff_out = INFINITY, "std-ff-out");
  CASE(s.emb = -1.0, "std-emb");
  CASE(s.ff_gate = -0.5, "std-ff-gate");
  CASE(s.d_model = 0, "d-model");
  CASE(s.d_ff = 0, "d-ff");
  CASE(s.skip_sa = -1.0, "alpha-sa");
  CASE(s.skip_mlp = NAN, "alpha-mlp");
  CASE(s.emb = 1e200, "std-emb");
  CASE(s.v = 1e200, "std-v");
#undef CASE
  sample(&s);
  m.tokens = 2;
  s.q = s.k = 1e10;
  keep = m;
  bad = NULL;
  tap_ok(sp_stds_to_model(&s, &m, &bad) == SP_EDOM && strcmp(bad, "std-q") == 0,
         "beta beyond its domain -> std-q");
  tap_ok(sp_stds_to_model(NULL, &m, NULL) == SP_EINVAL && sp_stds_to_model(&s, NULL, NULL)
         == SP_EINVAL, "NULL -> SP_EINVAL");
  sp_stds r;
  sample(&s);
  s.d_model = 0;
  tap_ok(sp_stds_from_model(&m, &s, 0, &r) == SP_EDOM, "from_model without d-model: SP_EDOM");
  tap_ok(sp_stds_from_model(NULL, &s, 0, &r) == SP_EINVAL, "from_model NULL: SP_EINVAL");
  tap_ok(sp_stds_pure_form(NULL) == 0, "pure_form(NULL) = 0");
  sp_stds_init(NULL);
  sp_stds_set_all(NULL, 1.0);
  tap_ok(1, "init and set_all accept NULL");
}

int main(void)
{
  gsl_set_error_handler_off();
  formulas();
  round_trip();
  errors();
  return tap_done();
}
