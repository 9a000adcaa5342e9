/* Option parsing shared by the commands: strict numbers, model options.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char cli_model_help[] =
  "Model options (theory.md names; defaults are the paper's; later options\n"
  "override earlier ones, and --preset sets the whole architecture at its place):\n"
  "  --preset NAME|FILE             an architecture: built-in NAME (sigprop presets)\n"
  "                                 or a preset file (a path with '/' or .preset)\n"
  "  --norm post|pre|none           LayerNorm placement [post]\n"
  "  --attention softmax|centred|uniform  attention variant [softmax]\n"
  "  --attention-stats asymptotic|finite  T->inf REM laws or exact finite T [asymptotic]\n"
  "  --activation relu|gelu|tanh|erf|silu|linear  MLP nonlinearity [relu]\n"
  "  --mlp on|none                  keep or drop the MLP sub-block [on]\n"
  "  --causal, --no-causal          decoder (causal mask) or encoder [encoder]; a decoder's\n"
  "                                 statistics are row means over t = 1..T (finite\n"
  "                                 statistics; the T->inf law is the encoder's)\n"
  "  --beta B, --eta B              query/key scale [0.5]\n"
  "  --tokens T                     sequence length [512]\n"
  "  --var-v V  --var-vb V          value weight / bias variance [0.2, = var-b]\n"
  "  --var-w V  --var-w-in V  --var-w-out V  MLP weight variances [0.2]\n"
  "  --var-b V                      MLP bias variance [4e-4]\n"
  "  --alpha-sa A  --alpha-mlp A    skip gains [1]\n"
  "  --branch-sa G --branch-mlp G   branch gains [1]\n"
  "  --mean-removal TAU             token-mean removal after attention [0]\n"
  "  --rho0 R  --q0 Q               input cosine similarity and norm [0.025, 1]\n"
  "  --depth L                      number of blocks [50]\n"
  "  --beta-c-on input|stream       where pre-LN beta_c is evaluated [input]\n"
  "  --row-overlap independent|exact  finite-T overlap of two attention rows:\n"
  "                                 1/T, or the shared-key law (slow) [independent]\n"
  "  --erf-scale A                  a in erf(a u) [1]\n";

int cli_next(cli_args *a, const char **positional, int *npos, int maxpos)
{
  static char namebuf[128];
  while (a->i < a->argc) {
    const char *s = a->argv[a->i++];
    if (s[0] == '-' && s[1] == '-' && s[2]) {
      const char *eq = strchr(s + 2, '=');
      size_t n = eq ? (size_t)(eq - s - 2) : strlen(s + 2);
      if (n >= sizeof namebuf)
        return cli_error(CLI_USAGE, "%s: option too long", a->cmd), -1;
      memcpy(namebuf, s + 2, n);
      namebuf[n] = '\0';
      a->name = namebuf;
      a->value = eq ? eq + 1 : NULL;
      return 1;
    }
    if (s[0] == '-' && s[1] && s[1] != '-' && !s[2]) {
      namebuf[0] = s[1];
      namebuf[1] = '\0';
      a->name = namebuf;
      a->value = NULL;
      return 1;
    }
    if (!positional || *npos >= maxpos)
      return cli_error(CLI_USAGE, "%s: unexpected argument '%s'", a->cmd, s), -1;
    positional[(*npos)++] = s;
  }
  return 0;
}

const char *cli_value(cli_args *a)
{
  if (a->value)
    return a->value;
  if (a->i >= a->argc) {
    cli_error(CLI_USAGE, "%s: option %s%s needs a value", a->cmd,
              strlen(a->name) == 1 ? "-" : "--", a->name);
    return NULL;
  }
  a->value = a->argv[a->i++];
  return a->value;
}

int cli_split_fields(const char *opt, const char *spec, char *buf, size_t size, char **field,
                     int max)
{
  if (strlen(spec) >= size)
    return cli_error(CLI_USAGE, "--%s: too long", opt), -1;
  strcpy(buf, spec);
  int n = 0;
  for (char *s = buf; n < max;) {
    field[n++] = s;
    char *c = strchr(s, ':');
    if (!c)
      break;
    *c = '\0';
    s = c + 1;
  }
  return n;
}

int cli_parse_double(const char *opt, const char *s, double *x)
{
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || *end != '\0')
    return cli_error(CLI_USAGE, "--%s: '%s' is not a number", opt, s);
  if (!isfinite(v) || errno == ERANGE)
    return cli_error(CLI_USAGE, "--%s: '%s' is not a finite number", opt, s);
  *x = v;
  return CLI_OK;
}

int cli_parse_long(const char *opt, const char *s, long *x)
{
  double v = 0.0;
  int rc = cli_parse_double(opt, s, &v);
  if (rc)
    return rc;
  if (v != floor(v) || fabs(v) > 9.0e15)
    return cli_error(CLI_USAGE, "--%s: '%s' is not a whole number", opt, s);
  *x = (long)v;
  return CLI_OK;
}

int cli_parse_pair(const char *opt, const char *s, double *a, double *b)
{
  char buf[128];
  if (strlen(s) >= sizeof buf)
    return cli_error(CLI_USAGE, "--%s: too long", opt);
  strcpy(buf, s);
  char *comma = strchr(buf, ',');
  if (!comma)
    return cli_error(CLI_USAGE, "--%s: '%s' is not two numbers A,B", opt, s);
  *comma = '\0';
  if (cli_parse_double(opt, buf, a) || cli_parse_double(opt, comma + 1, b))
    return CLI_USAGE;
  return CLI_OK;
}

static int bad_choice(const char *opt, const char *v, const char *choices)
{
  return cli_error(CLI_USAGE, "--%s: '%s' is not one of %s", opt, v, choices);
}

static sp_preset last_preset;
static int have_preset;

const sp_preset *cli_model_preset(void)
{
  return have_preset ? &last_preset : NULL;
}

/* --preset NAME|FILE: the whole architecture, at this place of the line. */
static int preset_option(sp_model *m, cli_args *a)
{
  const char *v = cli_value(a);
  if (!v)
    return -1;
  sp_preset_error e;
  int s = sp_preset_load(v, &last_preset, &e);
  if (s) {
    have_preset = 0;
    return cli_error(s == SP_EIO ? CLI_FAIL : CLI_USAGE, "--preset: %s",
                     e.text[0] ? e.text : sp_strerror(s)), -1;
  }
  have_preset = 1;
  sp_preset_apply(&last_preset, m);
  return 1;
}

int cli_model_option(sp_model *m, cli_args *a)
{
  const char *n = a->name;
  if (strcmp(n, "causal") == 0 || strcmp(n, "no-causal") == 0) {
    if (a->value)
      return cli_error(CLI_USAGE, "--%s takes no value", n), -1;
    m->causal = n[0] == 'c';
    return 1;
  }
  if (strcmp(n, "preset") == 0)
    return preset_option(m, a);
  static const char *const choice_opts[] = {
    "norm", "attention", "activation", "attention-stats", "beta-c-on", "mlp", "row-overlap"};
  int is_choice = 0;
  for (size_t i = 0; i < sizeof choice_opts / sizeof choice_opts[0]; i++)
    is_choice |= strcmp(n, choice_opts[i]) == 0;
  const sp_param *p = sp_param_lookup(n);
  if (!is_choice && !p)
    return 0;
  const char *v = cli_value(a);
  if (!v)
    return -1;
  if (strcmp(n, "norm") == 0) {
    if (sp_norm_from_name(v, &m->norm))
      return bad_choice(n, v, "post, pre, none"), -1;
  } else if (strcmp(n, "attention") == 0) {
    if (sp_attention_from_name(v, &m->attention))
      return bad_choice(n, v, "softmax, centred, uniform"), -1;
  } else if (strcmp(n, "activation") == 0) {
    if (sp_activation_from_name(v, &m->activation))
      return bad_choice(n, v, "relu, gelu, tanh, erf, silu, linear"), -1;
  } else if (strcmp(n, "attention-stats") == 0) {
    if (sp_stats_from_name(v, &m->stats))
      return bad_choice(n, v, "asymptotic, finite"), -1;
  } else if (strcmp(n, "beta-c-on") == 0) {
    if (sp_betac_on_from_name(v, &m->beta_c_on))
      return bad_choice(n, v, "input, stream"), -1;
  } else if (strcmp(n, "row-overlap") == 0) {
    if (sp_row_overlap_from_name(v, &m->row_overlap))
      return bad_choice(n, v, "independent, exact"), -1;
  } else if (strcmp(n, "mlp") == 0) {
    if (strcmp(v, "on") == 0)
      m->mlp = 1;
    else if (strcmp(v, "none") == 0 || strcmp(v, "off") == 0)
      m->mlp = 0;
    else
      return bad_choice(n, v, "on, none"), -1;
  } else {
    double x = 0.0;
    if (cli_parse_double(n, v, &x))
      return -1;
    int s = sp_model_set(m, p, x);
    if (s == SP_EDOM) {
      if (p->kind == SP_PARAM_INTEGER && x != floor(x))
        return cli_error(CLI_USAGE, "--%s: '%s' is not a whole number", n, v), -1;
      return cli_error(CLI_USAGE, "--%s: %s is outside the domain [%g, %g] (%s)", n, v,
                       p->min, p->max, p->doc), -1;
    }
    if (s)
      return cli_error(CLI_USAGE, "--%s: %s", n, sp_strerror(s)), -1;
  }
  return 1;
}

int cli_model_check_sweep(const sp_model *m, const char *cmd)
{
  int r = cli_model_check(m);
  if (r)
    return r;
  if (m->row_overlap == SP_OVERLAP_EXACT && m->stats == SP_STATS_FINITE)
    return cli_error(CLI_USAGE, "%s: --row-overlap exact costs 1-30 ms a block, too slow for "
                     "sweeps; use it with propagate or validate", cmd);
  return CLI_OK;
}

int cli_model_check(const sp_model *m)
{
  const char *bad = NULL;
  int s = sp_model_validate(m, &bad);
  if (s && bad && strcmp(bad, "rho0") == 0 && m->rho0 >= -1.0 / (double)(m->tokens - 1))
    return cli_error(CLI_USAGE, "--rho0: %g < 0 has no T -> infinity limit; use "
                     "--attention-stats finite", m->rho0);
  if (s && bad && strcmp(bad, "rho0") == 0)
    return cli_error(CLI_USAGE, "--rho0: %g is below -1/(T-1) = %g, impossible for %ld tokens",
                     m->rho0, -1.0 / (double)(m->tokens - 1), m->tokens);
  if (s)
    return cli_error(CLI_USAGE, "--%s: %s", bad ? bad : "model", sp_strerror(s));
  return CLI_OK;
}
