/* The model struct: defaults, named parameters, validation, names.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"

#include <gsl/gsl_errno.h>

static void defaults(void)
{
  sp_model m;
  sp_model_default(&m);
  tap_ok(sp_model_validate(&m, NULL) == SP_OK, "defaults validate");
  tap_ok(m.norm == SP_NORM_POST && m.attention == SP_ATTN_SOFTMAX && m.activation == SP_ACT_RELU,
         "default switches post/softmax/relu");
  tap_ok(m.beta == 0.5 && m.tokens == 512 && m.depth == 50 && m.rho0 == 0.025,
         "default numbers of theory.md §1");
  tap_ok(sp_model_var_vb(&m) == m.var_b, "value bias follows var-b");
  m.var_b = 0.37;
  tap_ok(sp_model_var_vb(&m) == 0.37, "value bias follows a changed var-b");
  sp_model_set(&m, sp_param_lookup("var-vb"), 0.01);
  m.var_b = 0.5;
  tap_ok(sp_model_var_vb(&m) == 0.01, "an explicit var-vb stops following");
}

static void named(void)
{
  sp_model m;
  sp_model_default(&m);
  size_t n;
  const sp_param *t = sp_param_table(&n);
  tap_ok(n >= 16, "parameter table has %zu entries", n);
  for (size_t i = 0; i < n; i++) {
    tap_ok(sp_param_lookup(t[i].name) == &t[i], "lookup %s", t[i].name);
    double v;
    tap_ok(sp_model_get(&m, &t[i], &v) == SP_OK && isfinite(v), "get %s", t[i].name);
    tap_ok(sp_model_set(&m, &t[i], NAN) == SP_EDOM, "NaN rejected for %s", t[i].name);
    tap_ok(sp_model_set(&m, &t[i], INFINITY) == SP_EDOM, "inf rejected for %s", t[i].name);
    tap_ok(sp_model_set(&m, &t[i], t[i].min - 1.0) == SP_EDOM || t[i].min - 1.0 == t[i].min,
           "below domain rejected for %s", t[i].name);
  }
  tap_ok(sp_param_lookup("eta") == sp_param_lookup("beta"), "eta is an alias of beta");
  tap_ok(sp_param_lookup("nonsense") == NULL && sp_param_lookup(NULL) == NULL,
         "unknown names give NULL");
  const sp_param *w = sp_param_lookup("var-w");
  tap_ok(sp_model_set(&m, w, 1.25) == SP_OK && m.var_w_in == 1.25 && m.var_w_out == 1.25,
         "var-w sets both layers");
  tap_ok(sp_model_set(&m, sp_param_lookup("depth"), 12.5) == SP_EDOM, "depth must be whole");
  tap_ok(sp_model_set(&m, sp_param_lookup("depth"), 7) == SP_OK && m.depth == 7, "depth set");
  tap_ok(sp_model_set(&m, sp_param_lookup("tokens"), 1) == SP_EDOM, "tokens >= 2");
  tap_ok(sp_model_set(NULL, w, 1.0) == SP_EINVAL, "NULL model");
  tap_ok(sp_model_get(&m, NULL, NULL) == SP_EINVAL, "NULL parameter");
}

static void validation(void)
{
  const char *bad;
  sp_model m;
  sp_model_default(&m);
  m.var_v = -0.1;
  tap_ok(sp_model_validate(&m, &bad) == SP_EDOM && strcmp(bad, "var-v") == 0,
         "negative var-v named");
  sp_model_default(&m);
  m.rho0 = 1.5;
  tap_ok(sp_model_validate(&m, &bad) == SP_EDOM && strcmp(bad, "rho0") == 0, "rho0 > 1 named");
  sp_model_default(&m);
  m.tokens = 4;
  m.rho0 = -0.5; /* below -1/(T-1) = -1/3 */
  tap_ok(sp_model_validate(&m, &bad) == SP_EDOM && strcmp(bad, "rho0") == 0,
         "rho0 below -1/(T-1) named");
  m.rho0 = -0.3;
  tap_ok(sp_model_validate(&m, &bad) == SP_EDOM, "rho0 < 0 has no T -> infinity limit");
  m.attention = SP_ATTN_UNIFORM;
  tap_ok(sp_model_validate(&m, &bad) == SP_OK, "rho0 = -0.3 possible for 4 tokens");
  sp_model_default(&m);
  m.depth = 0;
  tap_ok(sp_model_validate(&m, &bad) == SP_EDOM && strcmp(bad, "depth") == 0, "depth 0 named");
  m.depth = SP_MAX_DEPTH + 1;
  tap_ok(sp_model_validate(&m, &bad) == SP_EDOM, "huge depth refused");
  sp_model_default(&m);
  m.beta = NAN;
  tap_ok(sp_model_validate(&m, &bad) == SP_EDOM && strcmp(bad, "beta") == 0, "NaN beta named");
  sp_model_default(&m);
  m.norm = (sp_norm)7;
  tap_ok(sp_model_validate(&m, &bad) == SP_EINVAL && strcmp(bad, "norm") == 0, "bad enum");
  tap_ok(sp_model_validate(NULL, &bad) == SP_EINVAL, "NULL model");
}

static void names(void)
{
  sp_norm n;
  sp_attention a;
  sp_activation f;
  sp_stats s;
  sp_betac_on b;
  tap_ok(sp_norm_from_name("pre", &n) == SP_OK && n == SP_NORM_PRE, "norm pre");
  tap_ok(sp_norm_from_name("PRE", &n) == SP_EINVAL, "names are case-sensitive");
  tap_ok(sp_attention_from_name("centered", &a) == SP_OK && a == SP_ATTN_CENTRED,
         "centered spelling accepted");
  tap_ok(sp_activation_from_name("gelu", &f) == SP_OK && f == SP_ACT_GELU, "gelu");
  tap_ok(sp_stats_from_name("finite", &s) == SP_OK && s == SP_STATS_FINITE, "finite");
  tap_ok(sp_betac_on_from_name("stream", &b) == SP_OK && b == SP_BETAC_STREAM, "stream");
  tap_ok(sp_activation_from_name(NULL, &f) == SP_EINVAL, "NULL name");
  tap_ok(strcmp(sp_activation_name(SP_ACT_SILU), "silu") == 0, "silu name");
  tap_ok(strcmp(sp_norm_name((sp_norm)9), "?") == 0, "unknown enum name");
  for (int k = 0; k <= SP_NSTATUS; k++)
    tap_ok(sp_strerror(k) != NULL && *sp_strerror(k), "strerror(%d) = %s", k, sp_strerror(k));
}

int main(void)
{
  gsl_set_error_handler_off();
  defaults();
  named();
  validation();
  names();
  return tap_done();
}
