/* Presets: every built-in against a hand calculation written here, the
 * order of application, and every error path of the parser.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"
#include "test_util.h"

#include <gsl/gsl_errno.h>
#include <unistd.h>

static int load(const char *name, sp_preset *p)
{
  sp_preset_error e;
  int s = sp_preset_load(name, p, &e);
  if (s)
    tap_diag("%s: %s", name, e.text);
  return s;
}

/* Relative closeness, for numbers whose scale varies. */
static int rel(double got, double want, double tol, const char *what, const char *name)
{
  double scale = fabs(want) > 1.0 ? fabs(want) : 1.0;
  return tap_close(got, want, tol * scale, "%s: %s", name, what);
}

/* What a hand calculation gives for one preset. */
typedef struct {
  const char *name;
  sp_norm norm;
  sp_activation act;
  int causal;
  long d, heads, d_ff, tokens, depth;
  double beta, var_v, var_w_in, var_w_out, var_b;
  double branch; /* both branch gains */
  double q0;     /* NaN: the preset leaves q0 alone */
  sp_gain gain;
  double beta_printed; /* the value the preset's comments print */
  double var_v_printed;
} hand;

static void check_hand(const hand *h)
{
  sp_preset p;
  if (!tap_ok(load(h->name, &p) == SP_OK, "%s loads", h->name))
    return;
  const sp_model *m = &p.model;
  tap_ok(strcmp(p.name, h->name) == 0, "%s: name", h->name);
  tap_ok(p.title[0] && p.source[0], "%s: title and source", h->name);
  tap_ok(m->norm == h->norm && m->activation == h->act && m->causal == h->causal
         && m->attention == SP_ATTN_SOFTMAX && m->mlp == 1,
         "%s: norm %s, activation %s, causal %d", h->name, sp_norm_name(m->norm),
         sp_activation_name(m->activation), m->causal);
  tap_ok(p.d_model == h->d && p.heads == h->heads && p.d_ff == h->d_ff && m->tokens == h->tokens
         && m->depth == h->depth, "%s: d %ld, heads %ld, d_ff %ld, T %ld, L %ld", h->name,
         p.d_model, p.heads, p.d_ff, m->tokens, m->depth);
  rel(m->beta, h->beta, 1e-14, "beta", h->name);
  rel(m->var_v, h->var_v, 1e-14, "var-v", h->name);
  rel(m->var_w_in, h->var_w_in, 1e-14, "var-w-in", h->name);
  rel(m->var_w_out, h->var_w_out, 1e-14, "var-w-out", h->name);
  rel(m->var_b, h->var_b, 1e-14, "var-b", h->name);
  tap_ok(m->var_vb_follows_b == 1 && sp_model_var_vb(m) == m->var_b,
         "%s: value bias follows var-b", h->name);
  rel(m->branch_sa, h->branch, 1e-15, "branch-sa", h->name);
  rel(m->branch_mlp, h->branch, 1e-15, "branch-mlp", h->name);
  tap_ok(m->alpha_sa == 1.0 && m->alpha_mlp == 1.0 && m->mean_removal == 0.0,
         "%s: skip gains 1, no mean removal", h->name);
  if (isnan(h->q0))
    tap_ok(!p.has_q0, "%s: q0 left alone", h->name);
  else
    tap_ok(p.has_q0 && fabs(m->q0 - h->q0) <= 1e-18, "%s: q0 = %g", h->name, m->q0);
  tap_ok(p.gain == h->gain, "%s: tunes %s", h->name, sp_gain_name(p.gain));
  /* The six-digit values the file's comments print. */
  tap_close(m->beta, h->beta_printed, 5e-7, "%s: beta matches the comment (%.6f)", h->name,
            h->beta_printed);
  tap_close(m->var_v, h->var_v_printed, 5e-7, "%s: var-v matches the comment (%.6f)", h->name,
            h->var_v_printed);
  tap_ok(sp_model_validate(m, NULL) == SP_OK, "%s: model validates", h->name);
}

static void builtins(void)
{
  const double s2 = 0.02 * 0.02; /* every std is 0.02 */
  const hand hands[] = {
    /* BERT-base: beta = d s^2 / sqrt(log T), theory.md §11's worked example. */
    {"bert-base", SP_NORM_POST, SP_ACT_GELU, 0, 768, 12, 3072, 512, 12,
     768 * s2 / sqrt(log(512.0)), (768 * s2) * (768 * s2), 768 * s2, 3072 * s2, 0.0, 1.0, 1.0,
     SP_GAIN_ALPHA, 0.122995, 0.094372},
    {"bert-large", SP_NORM_POST, SP_ACT_GELU, 0, 1024, 16, 4096, 512, 24,
     1024 * s2 / sqrt(log(512.0)), (1024 * s2) * (1024 * s2), 1024 * s2, 4096 * s2, 0.0, 1.0,
     1.0, SP_GAIN_ALPHA, 0.163993, 0.167772},
    /* GPT-2: residual projections scaled by 1/sqrt(2 n_layer), kept as branch gains;
     * q0 = token + position embedding variances. */
    {"gpt2-small", SP_NORM_PRE, SP_ACT_GELU, 1, 768, 12, 3072, 1024, 12,
     768 * s2 / sqrt(log(1024.0)), (768 * s2) * (768 * s2), 768 * s2, 3072 * s2, 0.0,
     1.0 / sqrt(2.0 * 12), 2 * s2, SP_GAIN_BRANCH, 0.116683, 0.094372},
    {"gpt2-medium", SP_NORM_PRE, SP_ACT_GELU, 1, 1024, 16, 4096, 1024, 24,
     1024 * s2 / sqrt(log(1024.0)), (1024 * s2) * (1024 * s2), 1024 * s2, 4096 * s2, 0.0,
     1.0 / sqrt(2.0 * 24), 2 * s2, SP_GAIN_BRANCH, 0.155578, 0.167772},
    /* ViT-B/16 at 224 px: 196 patches + the class token. */
    {"vit-b16", SP_NORM_PRE, SP_ACT_GELU, 0, 768, 12, 3072, 197, 12,
     768 * s2 / sqrt(log(197.0)), (768 * s2) * (768 * s2), 768 * s2, 3072 * s2, 0.0, 1.0, NAN,
     SP_GAIN_BRANCH, 0.133651, 0.094372},
    /* LLaMA-7B (SiLU standing in for SwiGLU), token embedding only. */
    {"llama-7b", SP_NORM_PRE, SP_ACT_SILU, 1, 4096, 32, 11008, 2048, 32,
     4096 * s2 / sqrt(log(2048.0)), (4096 * s2) * (4096 * s2), 4096 * s2, 11008 * s2, 0.0, 1.0,
     s2, SP_GAIN_BRANCH, 0.593350, 2.684355},
    /* The paper's own numbers, given directly. */
    {"gg-bert", SP_NORM_POST, SP_ACT_RELU, 0, 720, 1, 720, 512, 50, 0.5, 0.2, 0.2, 0.2, 4e-4,
     1.0, 1.0, SP_GAIN_ALPHA_SA, 0.5, 0.2},
  };
  size_t nh = sizeof hands / sizeof hands[0];
  tap_ok(sp_preset_count() == nh, "%zu built-in presets", sp_preset_count());
  for (size_t i = 0; i < sp_preset_count(); i++) {
    sp_preset p;
    sp_preset_error e;
    int s = sp_preset_builtin(i, &p, &e);
    tap_ok(s == SP_OK && strcmp(p.name, sp_preset_name(i)) == 0, "built-in %zu (%s) parses%s%s",
           i, sp_preset_name(i), s ? ": " : "", s ? e.text : "");
    tap_ok(i == 0 || strcmp(sp_preset_name(i - 1), sp_preset_name(i)) < 0, "names sorted");
    tap_ok(sp_preset_text(i) && strstr(sp_preset_text(i), "theory.md"),
           "%s: text cites theory.md", sp_preset_name(i));
  }
  tap_ok(sp_preset_name(nh) == NULL && sp_preset_text(nh) == NULL, "out of range gives NULL");
  for (size_t i = 0; i < nh; i++)
    check_hand(&hands[i]);

  /* The acceptance number of theory.md §11. */
  sp_preset p;
  load("bert-base", &p);
  tap_ok(fabs(p.model.beta - 0.123) < 5e-4, "bert-base: beta = %.4f rounds to 0.123",
         p.model.beta);

  /* Framework stds of gg-bert, computed back from the model values. */
  load("gg-bert", &p);
  tap_close(p.std_q, sqrt(0.5 * sqrt(log(512.0)) / 720), 1e-16, "gg-bert: std-q = %.6f",
            p.std_q);
  tap_close(p.std_v, sqrt(0.2 / 720), 1e-16, "gg-bert: std-v = sqrt(0.2/720)");
  tap_close(p.std_bias, 0.02, 1e-16, "gg-bert: std-bias = 0.02");
  tap_ok(isnan(p.std_o) && !p.output_projection, "gg-bert: no output projection");
  tap_ok(p.derived == (SP_PRESET_DERIVED_QK | SP_PRESET_DERIVED_VO | SP_PRESET_DERIVED_FF_IN
                       | SP_PRESET_DERIVED_FF_OUT | SP_PRESET_DERIVED_BIAS),
         "gg-bert: every std derived");
  load("bert-base", &p);
  tap_ok(p.derived == 0 && p.std_q == 0.02 && p.std_o == 0.02, "bert-base: stds read");

  /* gg-bert is sigprop's defaults, field by field. */
  sp_model d, g;
  sp_model_default(&d);
  sp_model_default(&g);
  g.rho0 = 0.3; /* not set by a preset */
  d.rho0 = 0.3;
  load("gg-bert", &p);
  sp_preset_apply(&p, &g);
  size_t np;
  const sp_param *t = sp_param_table(&np);
  int same = g.norm == d.norm && g.attention == d.attention && g.activation == d.activation
             && g.stats == d.stats && g.beta_c_on == d.beta_c_on && g.mlp == d.mlp
             && g.causal == d.causal && g.var_vb_follows_b == d.var_vb_follows_b;
  for (size_t i = 0; i < np; i++) {
    double a, b;
    sp_model_get(&g, &t[i], &a);
    sp_model_get(&d, &t[i], &b);
    same &= a == b;
  }
  tap_ok(same, "gg-bert applied to the defaults changes nothing");
}

static void apply_order(void)
{
  sp_preset p;
  sp_model m = tu_model("--rho0 0.4 --attention-stats finite --beta-c-on stream --q0 3.0 "
                        "--mean-removal 1.0 --var-vb 0.7");
  load("vit-b16", &p);
  sp_preset_apply(&p, &m);
  tap_ok(m.rho0 == 0.4 && m.stats == SP_STATS_FINITE && m.beta_c_on == SP_BETAC_STREAM,
         "rho0, attention-stats, beta-c-on left alone");
  tap_ok(m.q0 == 3.0, "vit-b16 leaves q0 alone");
  tap_ok(m.mean_removal == 0.0 && m.var_vb_follows_b && sp_model_var_vb(&m) == 0.0,
         "mean removal and value bias reset to the architecture's");
  tap_ok(m.beta == p.model.beta && m.depth == 12 && m.norm == SP_NORM_PRE,
         "architecture copied");
  load("gpt2-small", &p);
  sp_preset_apply(&p, &m);
  tap_ok(m.q0 == 0.0008 && m.causal == 1, "gpt2-small sets q0 and causal");
}

static void conversions(void)
{
  double b = 768 * 0.02 * 0.02 / sqrt(log(512.0));
  tap_close(sp_preset_std_qk(b, 512, 768), 0.02, 1e-16, "std_qk inverts beta (bert-base)");
  tap_close(sp_preset_beta_from_std(0.02, 0.02, 512, 768), b, 1e-16, "beta from stds");
  tap_close(sp_preset_std_qk(0.5, 512, 720), sqrt(0.5 * sqrt(log(512.0)) / 720), 1e-16,
            "std_qk formula");
  tap_ok(isnan(sp_preset_std_qk(-1, 512, 768)) && isnan(sp_preset_std_qk(1, 1, 768))
         && isnan(sp_preset_std_qk(1, 512, 0)) && isnan(sp_preset_std_qk(NAN, 512, 768)),
         "std_qk domain");
  tap_ok(isnan(sp_preset_beta_from_std(-0.1, 0.1, 512, 8)) && isnan(sp_preset_beta_from_std(0.1, 0.1, 1, 8)),
         "beta_from_std domain");
  for (int g = 0; g < SP_NGAIN; g++) {
    sp_gain x;
    tap_ok(sp_gain_from_name(sp_gain_name((sp_gain)g), &x) == SP_OK && x == (sp_gain)g,
           "gain %s round trip", sp_gain_name((sp_gain)g));
    sp_model m;
    sp_model_default(&m);
    sp_gain_set(&m, (sp_gain)g, 2.5);
    tap_ok(sp_gain_get(&m, (sp_gain)g) == 2.5, "gain %s set/get", sp_gain_name((sp_gain)g));
    int both = g == SP_GAIN_ALPHA || g == SP_GAIN_BRANCH;
    double other = sp_gain_is_branch((sp_gain)g) ? m.branch_mlp : m.alpha_mlp;
    if (g == SP_GAIN_ALPHA_MLP || g == SP_GAIN_BRANCH_MLP)
      other = sp_gain_is_branch((sp_gain)g) ? m.branch_sa : m.alpha_sa;
    tap_ok(both ? other == 2.5 : other == 1.0, "gain %s sets %s", sp_gain_name((sp_gain)g),
           both ? "both sub-blocks" : "one sub-block");
  }
  tap_ok(sp_gain_from_name("up", NULL) == SP_EINVAL && sp_gain_from_name(NULL, NULL) == SP_EINVAL,
         "unknown gain");
  tap_ok(strcmp(sp_gain_name((sp_gain)99), "?") == 0, "invalid gain name");
}

/* ---- parser error paths ------------------------------------------- */

/* A valid preset, one key per line, used as the base of every mutation. */
static const char *const base_lines[] = {
  "# a test preset",
  "name = test",
  "title = Test encoder",
  "source = this test",
  "norm = post",
  "activation = relu",
  "causal = no",
  "d-model = 64",
  "heads = 4",
  "d-ff = 256",
  "tokens = 128",
  "depth = 10",
  "output-projection = yes",
  "std-q = 0.1",
  "std-k = 0.1",
  "std-v = 0.1",
  "std-o = 0.1",
  "std-ff-in = 0.1",
  "std-ff-out = 0.05",
  "std-bias = 0",
};
#define NBASE (sizeof base_lines / sizeof base_lines[0])

/* The base text with the line starting with `key =` replaced by `repl`
 * (removed when repl is NULL; key NULL keeps every line), then `extra`
 * appended (may be NULL). */
static char *mutate(const char *key, const char *repl, const char *extra)
{
  static char buf[8192];
  buf[0] = '\0';
  size_t kn = key ? strlen(key) : 0;
  for (size_t i = 0; i < NBASE; i++) {
    const char *l = base_lines[i];
    if (key && strncmp(l, key, kn) == 0 && l[kn] == ' ') {
      if (repl) {
        strcat(buf, repl);
        strcat(buf, "\n");
      }
      continue;
    }
    strcat(buf, l);
    strcat(buf, "\n");
  }
  if (extra)
    strcat(buf, extra);
  return buf;
}

/* Parse `text`; expect `status` with the error on `line` naming `key`
 * and containing `why`. */
static void expect(const char *what, const char *text, size_t len, int status, long line,
                   const char *key, const char *why)
{
  sp_preset p;
  sp_preset_error e;
  int s = sp_preset_parse(text, len, "t.preset", &p, &e);
  int ok = s == status && e.line == line && strcmp(e.key, key ? key : "") == 0
           && strstr(e.why, why) != NULL && strstr(e.text, "t.preset") == e.text;
  tap_ok(ok, "%s -> %s", what, e.text[0] ? e.text : "(no error)");
  if (!ok)
    tap_diag("want status %d line %ld key '%s' why '%s'; got status %d line %ld key '%s'",
             status, line, key ? key : "", why, s, e.line, e.key);
}

#define EXPECT(what, text, st, line, key, why) expect(what, text, strlen(text), st, line, key, why)

static void parser_errors(void)
{
  sp_preset p;
  sp_preset_error e;
  const char *ok = mutate(NULL, NULL, NULL);
  int s = sp_preset_parse(ok, strlen(ok), "t.preset", &p, &e);
  tap_ok(s == SP_OK, "the base text parses%s%s", s ? ": " : "", s ? e.text : "");
  tap_close(p.model.beta, 64 * 0.01 / sqrt(log(128.0)), 1e-15, "base: beta = d s_q s_k / sqrt(log T)");
  tap_close(p.model.var_v, (64 * 0.01) * (64 * 0.01), 1e-15, "base: var-v with W_O");
  tap_close(p.model.var_w_out, 256 * 0.0025, 1e-15, "base: var-w-out = d_ff s_2^2");

  /* Line numbers: the base has a comment on line 1, "name" on line 2, ... */
  static const struct {
    const char *what, *key, *repl, *extra; /* mutate(key, repl, extra) */
    long line;
    const char *errkey, *why;
  } cases[] = {
      {"unknown key", NULL, NULL, "d-modle = 64\n", 21, "d-modle", "unknown key"},
      {"duplicate key", NULL, NULL, "depth = 12\n", 21, "depth", "duplicate key (first given on line 12)"},
      {"bad number", "std-q", "std-q = 0.1x", NULL, 14, "std-q", "not a finite decimal"},
      {"letters", "std-q", "std-q = abc", NULL, 14, "std-q", "not a finite decimal"},
      {"NaN", "std-q", "std-q = nan", NULL, 14, "std-q", "not a finite decimal"},
      {"NaN as a model value", NULL, NULL, "alpha-sa = NaN\n", 21, "alpha-sa", "not a finite decimal"},
      {"infinity", "std-q", "std-q = inf", NULL, 14, "std-q", "not a finite decimal"},
      {"hex", "std-q", "std-q = 0x1p-3", NULL, 14, "std-q", "not a finite decimal"},
      {"overflow", "std-q", "std-q = 1e999", NULL, 14, "std-q", "not a finite decimal"},
      {"dangling exponent", "std-q", "std-q = 1e", NULL, 14, "std-q", "not a finite decimal"},
      {"lone dot", "std-q", "std-q = .", NULL, 14, "std-q", "not a finite decimal"},
      {"negative std", "std-q", "std-q = -0.1", NULL, 14, "std-q", "negative"},
      {"trailing garbage", "d-model", "d-model = 64 # width", NULL, 8, "d-model", "not a whole number"},
      {"fractional integer", "depth", "depth = 10.0", NULL, 12, "depth", "not a whole number"},
      {"negative integer", "depth", "depth = -3", NULL, 12, "depth", "not a whole number"},
      {"integer overflow", "depth", "depth = 99999999999999999999999", NULL, 12, "depth", "outside [1, 1000000]"},
      {"zero depth", "depth", "depth = 0", NULL, 12, "depth", "outside [1, 1000000]"},
      {"one token", "tokens", "tokens = 1", NULL, 11, "tokens", "outside [2,"},
      {"model value out of domain", NULL, NULL, "alpha-sa = -1\n", 21, "alpha-sa", "outside the domain"},
      {"bad choice", "norm", "norm = sideways", NULL, 5, "norm", "not one of post, pre, none"},
      {"bad activation", "activation", "activation = sigmoid", NULL, 6, "activation", "not one of relu"},
      {"bad yes/no", "causal", "causal = maybe", NULL, 7, "causal", "not yes or no"},
      {"bad gain", NULL, NULL, "gain = up\n", 21, "gain", "not one of"},
      {"bad mlp", NULL, NULL, "mlp = off\n", 21, "mlp", "not one of on, none"},
      {"bad name", "name", "name = Bert Base", NULL, 2, "name", "not a name"},
      {"missing value", "title", "title =", NULL, 3, "title", "missing value"},
      {"missing key", NULL, NULL, "= 5\n", 21, NULL, "missing key"},
      {"bad key", NULL, NULL, "D-Model = 5\n", 21, NULL, "is not a key"},
      {"spaced key", NULL, NULL, "d model = 5\n", 21, NULL, "is not a key"},
      {"garbage line", NULL, NULL, "this is not a preset\n", 21, NULL, "expected 'key = value'"},
      {"missing required key", "depth", NULL, NULL, 0, "depth", "missing (required)"},
      {"missing half of a pair", "std-k", NULL, NULL, 0, "std-k", "missing (std-q is given on line 14)"},
      {"missing std-o with W_O", "std-o", NULL, NULL, 0, "std-o", "missing (std-v is given"},
      {"missing pair", "std-ff-in", NULL, NULL, 0, "std-ff-in", "give std-ff-in or var-w-in"},
      {"model value and std", NULL, NULL, "beta = 0.3\n", 21, "beta", "conflicts with std-q on line 14"},
      {"std-o without W_O", "output-projection", "output-projection = no", NULL, 17, "std-o", "output-projection = no"},
      {"heads do not divide", "heads", "heads = 5", NULL, 9, "heads", "does not divide d-model = 64"},
      {"derived value out of domain", "std-q", "std-q = 1e7", NULL, 14, "std-q", "gives beta ="},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    EXPECT(cases[i].what, mutate(cases[i].key, cases[i].repl, cases[i].extra), SP_EPARSE,
           cases[i].line, cases[i].errkey, cases[i].why);
  char longtitle[400] = "title = ";
  memset(longtitle + 8, 'x', 300);
  longtitle[308] = '\0';
  EXPECT("text too long", mutate("title", longtitle, NULL), SP_EPARSE, 3, "title",
         "longer than 255");
  EXPECT("empty text", "", SP_EPARSE, 0, NULL, "empty preset");
  EXPECT("only comments", "# nothing\n\n   # here\n", SP_EPARSE, 0, NULL, "empty preset");
  EXPECT("control character", mutate(NULL, NULL, "title2 = a\x01\n"), SP_EPARSE, 21, NULL,
         "control character 0x01");
  {
    char bin[64] = "name = x\nab\0cd\n";
    expect("NUL byte", bin, 15, SP_EPARSE, 2, NULL, "NUL byte");
  }
  {
    static char big[2000];
    memset(big, 'a', sizeof big - 2);
    big[sizeof big - 2] = '\n';
    big[sizeof big - 1] = '\0';
    EXPECT("line too long", big, SP_EPARSE, 1, NULL, "longer than 1023");
  }
  {
    size_t n = 70 * 1024;
    char *huge = malloc(n);
    memset(huge, '\n', n);
    expect("text too large", huge, n, SP_EPARSE, 0, NULL, "larger than");
    free(huge);
  }
  /* Accepted variations: CRLF line ends, blanks and tabs around '=',
   * model values instead of stds, no final newline. */
  {
    char crlf[8192] = "";
    for (size_t i = 0; i < NBASE; i++) {
      strcat(crlf, base_lines[i]);
      strcat(crlf, "\r\n");
    }
    tap_ok(sp_preset_parse(crlf, strlen(crlf), "t", &p, &e) == SP_OK, "CRLF accepted");
    const char *t = mutate("std-q", NULL, NULL);
    char tabs[8192];
    snprintf(tabs, sizeof tabs, "%s\tstd-q\t=\t 0.1 ", t);
    tap_ok(sp_preset_parse(tabs, strlen(tabs), "t", &p, &e) == SP_OK,
           "tabs and a missing final newline accepted");
    const char *direct = mutate("std-q", "beta = 0.3", NULL);
    char d2[8192];
    snprintf(d2, sizeof d2, "%s", direct);
    char *k = strstr(d2, "std-k = 0.1\n");
    memmove(k, k + 12, strlen(k + 12) + 1);
    s = sp_preset_parse(d2, strlen(d2), "t", &p, &e);
    tap_ok(s == SP_OK && p.model.beta == 0.3 && (p.derived & SP_PRESET_DERIVED_QK),
           "beta given directly%s%s", s ? ": " : "", s ? e.text : "");
  }
  tap_ok(sp_preset_parse(NULL, 0, "t", &p, &e) == SP_EINVAL, "NULL text");
  tap_ok(sp_preset_parse("", 0, NULL, &p, &e) == SP_EPARSE && strncmp(e.text, "<preset>", 8) == 0,
         "unnamed text is called <preset>");

  /* Files. */
  char dir[200];
  if (!tu_tempdir(dir, sizeof dir, "sigprop-preset")) {
    tap_ok(0, "temporary folder");
    return;
  }
  char path[256];
  snprintf(path, sizeof path, "%s/none.preset", dir);
  s = sp_preset_read(path, &p, &e);
  tap_ok(s == SP_EIO && strstr(e.text, "cannot read: No such file") && e.line == 0,
         "unreadable file -> %s", e.text);
  s = sp_preset_read(dir, &p, &e);
  tap_ok(s == SP_EIO && strstr(e.text, "cannot read"), "a folder -> %s", e.text);
  snprintf(path, sizeof path, "%s/empty.preset", dir);
  FILE *fp = fopen(path, "w");
  fclose(fp);
  s = sp_preset_load(path, &p, &e);
  tap_ok(s == SP_EPARSE && strstr(e.text, "empty preset") && strstr(e.text, path) == e.text,
         "empty file -> %s", e.text);
  snprintf(path, sizeof path, "%s/good.preset", dir);
  fp = fopen(path, "w");
  fputs(mutate(NULL, NULL, NULL), fp);
  fclose(fp);
  s = sp_preset_load(path, &p, &e);
  tap_ok(s == SP_OK && strcmp(p.name, "test") == 0, "a user's file loads by path");
  snprintf(path, sizeof path, "%s/garbage.preset", dir);
  fp = fopen(path, "w");
  fputs("\x7f" "ELF\x02\x01\x01", fp);
  fclose(fp);
  s = sp_preset_load(path, &p, &e);
  tap_ok(s == SP_EPARSE && e.line == 1, "binary garbage -> %s", e.text);
  s = sp_preset_load("bart-base", &p, &e);
  tap_ok(s == SP_EINVAL && strstr(e.text, "no such built-in preset")
         && strstr(e.text, "bert-base, bert-large"), "unknown name -> %s", e.text);
  s = sp_preset_load("missing.preset", &p, &e);
  tap_ok(s == SP_EIO, "a .preset name is read as a file");
  s = sp_preset_builtin(999, &p, &e);
  tap_ok(s == SP_EINVAL, "built-in index out of range");
  tu_remove_tree(dir);
}

int main(void)
{
  gsl_set_error_handler_off();
  builtins();
  apply_order();
  conversions();
  parser_errors();
  return tap_done();
}
