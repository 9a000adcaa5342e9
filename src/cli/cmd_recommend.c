/* sigprop recommend: where a configuration sits and what to change.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char help[] =
  "Usage: sigprop recommend [--preset NAME|FILE] [MODEL OPTIONS] [--depth L]\n"
  "                         [--format text|json] [--margin M] [--rho-max R]\n"
  "                         [--gain NAME] [--d-model D] [--heads H] [--d-ff F]\n\n"
  "Classifies the configuration at its depth (rank collapse, entropy collapse or\n"
  "trainable; theory.md §10), reports block 1's attention statistics, the\n"
  "query/key gradient prediction and the angle exponent, then what to change:\n"
  "the trainable range of beta, the critical residual gain at this depth, and a\n"
  "recommended point with the weight stds and residual gains that realise it.\n\n"
  "  --format text|json  short text for a terminal [text], or JSON (sigprop-recommend(1))\n"
  "  --margin M          relative safety margin on the gain and on beta [0.2]\n"
  "  --rho-max R         rank collapse when rho_L >= R [0.9]\n"
  "  --gain NAME         the gain to tune: alpha (both skips), alpha-sa, alpha-mlp,\n"
  "                      branch (both branches), branch-sa, branch-mlp\n"
  "                      [the preset's, else alpha]\n"
  "  --d-model D  --heads H  --d-ff F  widths for the conversion to weight stds\n"
  "                      [the preset's]\n\n";

/* Framework-level numbers that realise a model (theory.md §11). */
typedef struct {
  long d, heads, d_ff;      /* 0 when unknown */
  int wo;                   /* 1 W_O, 0 none, -1 unknown */
  double std_q, std_k, std_v, std_o, std_ff_in, std_ff_out; /* NaN when unknown */
} framework;

static int same(double a, double b)
{
  return a == b;
}

static void framework_of(const sp_preset *p, long d, long heads, long d_ff, const sp_model *x,
                         framework *f)
{
  f->d = d ? d : p ? p->d_model : 0;
  f->heads = heads ? heads : p ? p->heads : 0;
  f->d_ff = d_ff ? d_ff : p ? p->d_ff : 0;
  f->wo = p ? p->output_projection : -1;
  f->std_q = f->std_k = f->std_v = f->std_o = f->std_ff_in = f->std_ff_out = NAN;
  if (!f->d)
    return;
  double dd = (double)f->d;
  int pd = p && f->d == p->d_model;
  if (pd && x->tokens == p->model.tokens && same(x->beta, p->model.beta)) {
    f->std_q = p->std_q;
    f->std_k = p->std_k;
  } else {
    f->std_q = f->std_k = sp_std_qk(x->beta, x->tokens, f->d);
  }
  if (pd && same(x->var_v, p->model.var_v)) {
    f->std_v = p->std_v;
    f->std_o = p->std_o;
  } else if (f->wo == 1) {
    f->std_v = f->std_o = pow(x->var_v, 0.25) / sqrt(dd);
  } else if (f->wo == 0) {
    f->std_v = sqrt(x->var_v / dd);
  }
  f->std_ff_in = pd && same(x->var_w_in, p->model.var_w_in) ? p->std_ff_in
                                                             : sqrt(x->var_w_in / dd);
  if (f->d_ff)
    f->std_ff_out = p && f->d_ff == p->d_ff && same(x->var_w_out, p->model.var_w_out)
                      ? p->std_ff_out : sqrt(x->var_w_out / (double)f->d_ff);
  /* A branch gain gamma multiplies the module's output: fold it into the
   * last weight of the branch (exact when the biases are zero). */
  if (f->wo == 1)
    f->std_o *= x->branch_sa;
  else if (f->wo == 0)
    f->std_v *= x->branch_sa;
  f->std_ff_out *= x->branch_mlp;
}

/* ---- JSON ------------------------------------------------------------- */

/* What goes before the next key: "" after an opening brace, ", " after a
 * value, or ",\n" plus indentation where jbreak() asked for a new line. */
static const char *pending = "";
static int depth_;

static void jkey(const char *key)
{
  printf("%s\"%s\": ", pending, key);
  pending = ", ";
}

static void jbreak(void)
{
  static const char *const seps[] = {",\n", ",\n  ", ",\n    ", ",\n      "};
  if (pending[0])
    pending = seps[depth_ < 3 ? depth_ : 3];
}

static void jopen(const char *key)
{
  if (key)
    jkey(key);
  else
    printf("%s", pending);
  printf("{");
  pending = "";
  depth_++;
}

static void jclose(void)
{
  printf("}");
  pending = ", ";
  depth_--;
}

static void jnum(const char *key, double v)
{
  char b[40];
  if (isfinite(v))
    sp_format_double(b, sizeof b, v);
  else
    strcpy(b, "null");
  jkey(key);
  printf("%s", b);
}

static void jstr(const char *key, const char *v)
{
  jkey(key);
  if (!v) {
    printf("null");
    return;
  }
  putchar('"');
  for (const char *c = v; *c; c++) {
    if (*c == '"' || *c == '\\')
      putchar('\\');
    if ((unsigned char)*c < 0x20)
      printf("\\u%04x", (unsigned char)*c);
    else
      putchar(*c);
  }
  putchar('"');
}

static void jinterval(const char *key, int status, const sp_beta_interval *b, int runs)
{
  if (status) {
    jkey(key);
    printf("null");
    return;
  }
  jopen(key);
  jnum("min", b->lo);
  jnum("max", b->hi);
  jstr("min_edge", sp_edge_name(b->lo_edge));
  jstr("max_edge", sp_edge_name(b->hi_edge));
  jnum("runs", runs);
  jclose();
}

static void jmodel(const sp_model *m)
{
  size_t np;
  const sp_param *params = sp_param_table(&np);
  jopen("model");
  jstr("norm", sp_norm_name(m->norm));
  jstr("attention", sp_attention_name(m->attention));
  jstr("attention-stats", sp_stats_name(m->stats));
  jstr("activation", sp_activation_name(m->activation));
  jstr("mlp", m->mlp ? "on" : "none");
  jstr("causal", m->causal ? "yes" : "no");
  jstr("beta-c-on", sp_betac_on_name(m->beta_c_on));
  jstr("row-overlap", sp_row_overlap_name(m->row_overlap));
  jbreak();
  for (size_t i = 0; i < np; i++) {
    double v;
    if (strcmp(params[i].name, "var-w") == 0)
      continue;
    sp_model_get(m, &params[i], &v);
    jnum(params[i].name, v);
  }
  jclose();
}

/* The verdict's keys; all null when v is NULL (not evaluated). */
static void jverdict(const sp_verdict *v)
{
  jstr("phase", v ? sp_phase_name(v->phase) : NULL);
  jnum("rho_final", v ? v->rho_final : NAN);
  jnum("q_final", v ? v->q_final : NAN);
  jnum("frozen_layers", v ? (double)v->frozen_layers : NAN);
  jnum("first_frozen", v && v->first_frozen ? (double)v->first_frozen : NAN);
  jnum("beta_c_min", v ? v->beta_c_min : NAN);
}

static void print_json(const sp_model *m, const sp_preset *p, const sp_recommend_options *o,
                       const sp_recommendation *r, const framework *f)
{
  pending = "";
  depth_ = 0;
  jopen(NULL);
  printf("\n  ");
  jstr("sigprop", sp_version());
  jstr("command", cli_command_line);
  jbreak();
  jstr("preset", p ? p->name : NULL);
  jnum("rho_max", o->rho_max);
  jnum("margin", o->margin);
  jstr("gain", sp_gain_name(o->gain));
  jbreak();
  jmodel(m);
  jbreak();

  const sp_first_block *fb = &r->first;
  jopen("configuration");
  jverdict(&r->verdict);
  jbreak();
  jopen("first_block");
  jnum("q", fb->q);
  jnum("p", fb->p);
  jnum("beta_c", fb->stats.beta_c);
  jnum("y2", fb->stats.y2);
  jnum("g", fb->stats.g);
  jnum("entropy", fb->stats.entropy);
  jnum("entropy_ratio", fb->stats.entropy_ratio);
  jnum("qk_gradient", fb->qk_gradient);
  jclose();
  jbreak();
  jnum("lambda_a", r->lambda_a);
  jstr("lambda_a_method", r->lambda_status ? NULL
                          : r->lambda_fd ? "finite-differences" : "closed-form");
  jnum("lambda_a_at_q", r->lambda_status ? NAN : r->lambda_q);
  jnum("xi_a", r->xi_a);
  jnum("beta_entropy_edge", r->edge_status ? NAN : r->beta_entropy);
  jbreak();
  jinterval("trainable_beta", r->beta_status, &r->beta_range, r->beta_runs);
  jclose();
  jbreak();

  jopen("critical_gain");
  jstr("name", sp_gain_name(o->gain));
  jnum("at_beta", r->beta);
  const char *note = r->gain_status == SP_ENOROOT ? "no gain in [0, 1e6] avoids rank collapse"
                     : r->gain_status ? sp_strerror(r->gain_status)
                     : isinf(r->gain_critical) ? "every gain up to 1e6 avoids rank collapse"
                     : r->gain_critical == 0.0 ? "every gain avoids rank collapse" : NULL;
  jnum("value", r->gain_status ? NAN : r->gain_critical);
  jstr("note", note);
  jclose();
  jbreak();

  const sp_model *x = &r->recommended;
  jopen("recommendation");
  jnum("beta", x->beta);
  jnum("alpha-sa", x->alpha_sa);
  jnum("alpha-mlp", x->alpha_mlp);
  jnum("branch-sa", x->branch_sa);
  jnum("branch-mlp", x->branch_mlp);
  jbreak();
  jverdict(r->rec_status ? NULL : &r->rec_verdict);
  jbreak();
  jinterval("trainable_beta", r->rec_beta_status, &r->rec_beta_range, r->rec_beta_runs);
  jclose();
  jbreak();

  if (!f->d) {
    jkey("framework");
    printf("null");
  } else {
    jopen("framework");
    jnum("d-model", (double)f->d);
    jnum("heads", f->heads ? (double)f->heads : NAN);
    jnum("d-head", f->heads ? (double)(f->d / f->heads) : NAN);
    jnum("d-ff", f->d_ff ? (double)f->d_ff : NAN);
    jnum("tokens", (double)x->tokens);
    jstr("output-projection", f->wo < 0 ? NULL : f->wo ? "yes" : "no");
    jbreak();
    jnum("std-q", f->std_q);
    jnum("std-k", f->std_k);
    jnum("std-v", f->std_v);
    jnum("std-o", f->std_o);
    jnum("std-ff-in", f->std_ff_in);
    jnum("std-ff-out", f->std_ff_out);
    jbreak();
    jnum("alpha-sa", x->alpha_sa);
    jnum("alpha-mlp", x->alpha_mlp);
    jclose();
  }
  printf("\n");
  jclose();
  printf("\n");
}

/* ---- text --------------------------------------------------------------- */

static const char *words(const char *s, char *buf, size_t n)
{
  snprintf(buf, n, "%s", s);
  for (char *c = buf; *c; c++)
    if (*c == '-')
      *c = ' ';
  return buf;
}

static void text_interval(int status, const sp_beta_interval *b, int runs, double top)
{
  if (status == SP_ENOROOT) {
    printf("no trainable beta at these gains");
    if (isfinite(top))
      printf(" (searched [0, %.3g])", top);
    printf("\n");
    return;
  }
  if (status) {
    printf("not found (%s)\n", sp_strerror(status));
    return;
  }
  printf("trainable for %.3g %s beta %s %.3g", b->lo, b->lo_edge == SP_EDGE_RANGE ? "<=" : "<",
         b->hi_edge == SP_EDGE_RANGE ? "<=" : "<", b->hi);
  if (b->hi_edge == SP_EDGE_ENTROPY)
    printf(" (entropy collapse above)");
  else if (b->hi_edge == SP_EDGE_RANK)
    printf(" (rank collapse above)");
  if (runs > 1)
    printf(", the widest of %d ranges", runs);
  printf("\n");
}

static const char *gain_words(sp_gain g)
{
  switch (g) {
  case SP_GAIN_ALPHA: return "skip gain alpha (both sub-blocks)";
  case SP_GAIN_ALPHA_SA: return "skip gain alpha-sa";
  case SP_GAIN_ALPHA_MLP: return "skip gain alpha-mlp";
  case SP_GAIN_BRANCH: return "branch gain gamma (both sub-blocks)";
  case SP_GAIN_BRANCH_SA: return "branch gain branch-sa";
  case SP_GAIN_BRANCH_MLP: return "branch gain branch-mlp";
  default: return "?";
  }
}

static void print_text(const sp_model *m, const sp_preset *p, const sp_recommend_options *o,
                       const sp_recommendation *r, const framework *f)
{
  char w[64];
  const sp_model *x = &r->recommended;
  printf("model:      %s%s%s-LN, %s, %s%s%s, T %ld, L %ld\n", p ? p->name : "", p ? ": " : "",
         sp_norm_name(m->norm), m->mlp ? sp_activation_name(m->activation) : "no MLP",
         sp_attention_name(m->attention), m->causal ? ", causal" : "",
         m->stats == SP_STATS_FINITE ? ", finite-T" : "", m->tokens, m->depth);
  printf("            beta %.3g, var-v %.3g, var-w %.3g/%.3g, var-b %.3g, alpha %.3g/%.3g, "
         "branch %.3g/%.3g\n", m->beta, m->var_v, m->var_w_in, m->var_w_out, m->var_b,
         m->alpha_sa, m->alpha_mlp, m->branch_sa, m->branch_mlp);
  const sp_verdict *v = &r->verdict;
  printf("phase:      %s: ", words(sp_phase_name(v->phase), w, sizeof w));
  if (v->phase == SP_PHASE_ENTROPY_COLLAPSE)
    printf("%ld of %ld blocks frozen (beta > beta_c), first block %ld; rho_L %.3g\n",
           v->frozen_layers, m->depth, v->first_frozen, v->rho_final);
  else
    printf("rho_L %.3g %s rho_max %.3g\n", v->rho_final,
           v->phase == SP_PHASE_RANK_COLLAPSE ? ">=" : "<", o->rho_max);
  const sp_first_block *fb = &r->first;
  printf("block 1:    beta_c %.3g, E Y2 %.3g, entropy %.3g log T, q/k gradient %.3g\n",
         fb->stats.beta_c, fb->stats.y2, fb->stats.entropy_ratio, fb->qk_gradient);
  if (r->lambda_status)
    printf("depth:      lambda_a undefined (%s)\n", sp_strerror(r->lambda_status));
  else {
    printf("depth:      lambda_a %.3g per block", r->lambda_a);
    if (r->lambda_fd)
      printf(" at block L (q %.3g)", r->lambda_q);
    if (r->lambda_a < 0.0)
      printf(": rank collapse over xi_a = %.3g blocks\n", r->xi_a);
    else
      printf(": rank collapse repels\n");
  }
  /* The range sp_trainable_beta searched. */
  double top = m->attention == SP_ATTN_UNIFORM || !isfinite(fb->stats.beta_c)
                 ? fmax(10.0, 2.0 * m->beta) : fb->stats.beta_c;
  printf("beta:       ");
  text_interval(r->beta_status, &r->beta_range, r->beta_runs, top);

  printf("critical:   ");
  if (r->gain_status == SP_ENOROOT)
    printf("no %s in [0, 1e6] gives rho_L < %.3g at L %ld\n", gain_words(o->gain), o->rho_max,
           m->depth);
  else if (r->gain_status)
    printf("%s not found (%s)\n", gain_words(o->gain), sp_strerror(r->gain_status));
  else if (isinf(r->gain_critical))
    printf("every %s up to 1e6 gives rho_L <= %.3g at L %ld\n", gain_words(o->gain),
           o->rho_max, m->depth);
  else
    printf("%s %s %.4g gives rho_L <= %.3g at L %ld\n", gain_words(o->gain),
           sp_gain_is_branch(o->gain) ? "<=" : ">=", r->gain_critical, o->rho_max, m->depth);

  printf("recommend:  beta %.3g, %s %.4g (margin %g%%)", x->beta, sp_gain_name(o->gain),
         r->gain, 100.0 * o->margin);
  if (r->rec_status)
    printf(": %s\n", sp_strerror(r->rec_status));
  else
    printf(" -> %s, rho_L %.3g\n", words(sp_phase_name(r->rec_verdict.phase), w, sizeof w),
           r->rec_verdict.rho_final);
  if (!r->rec_status && (r->rec_beta_status != r->beta_status
                         || r->rec_beta_range.lo != r->beta_range.lo
                         || r->rec_beta_range.hi != r->beta_range.hi)) {
    printf("            there: ");
    text_interval(r->rec_beta_status, &r->rec_beta_range, r->rec_beta_runs,
                  m->attention == SP_ATTN_UNIFORM || !isfinite(fb->stats.beta_c)
                    ? fmax(10.0, 2.0 * x->beta) : fb->stats.beta_c);
  }

  if (!f->d) {
    printf("framework:  std of W_Q, W_K = sqrt(%.4g / d) for width d (give --d-model)\n",
           x->beta * sqrt(log((double)x->tokens)));
    return;
  }
  printf("framework:  d %ld", f->d);
  if (f->heads)
    printf(", %ld head%s", f->heads, f->heads == 1 ? "" : "s");
  printf(", T %ld: std W_Q %.4g, W_K %.4g", x->tokens, f->std_q, f->std_k);
  if (isfinite(f->std_o))
    printf(", W_O %.4g", f->std_o);
  else if (f->wo == 0 && isfinite(f->std_v))
    printf(", W_V %.4g", f->std_v);
  if (m->mlp && isfinite(f->std_ff_out))
    printf(", W_2 %.4g", f->std_ff_out);
  printf("\n");
  if (x->alpha_sa != 1.0 || x->alpha_mlp != 1.0) {
    const char *form = x->norm == SP_NORM_POST ? "LN(%s x + f(x))"
                       : x->norm == SP_NORM_PRE ? "%s x + f(LN(x))" : "%s x + f(x)";
    char a[32], line[96];
    if (x->alpha_sa == x->alpha_mlp || !m->mlp) {
      snprintf(a, sizeof a, "%.4g", x->alpha_sa);
      snprintf(line, sizeof line, form, a);
      printf("            skip gain: x -> %s in %s\n", line,
             m->mlp ? "both sub-blocks" : "every block");
    } else {
      printf("            skip gains: %.4g around attention, %.4g around the MLP\n",
             x->alpha_sa, x->alpha_mlp);
    }
  }
}

int cmd_recommend(int argc, char **argv)
{
  sp_model m;
  sp_model_default(&m);
  cli_args a = {argc, argv, 1, NULL, NULL, "recommend"};
  sp_recommend_options o;
  sp_recommend_options_default(&o);
  const char *format = "text", *gain = NULL;
  long d = 0, heads = 0, d_ff = 0;
  int r;
  while ((r = cli_next(&a, NULL, NULL, 0)) == 1) {
    int k = cli_model_option(&m, &a);
    if (k < 0)
      return CLI_USAGE;
    if (k)
      continue;
    const char *n = a.name, *v;
    if (strcmp(n, "help") == 0 || strcmp(n, "h") == 0) {
      cli_set_help(help, cli_model_help);
      return CLI_OK;
    }
    if (strcmp(n, "format") && strcmp(n, "margin") && strcmp(n, "rho-max") && strcmp(n, "gain")
        && strcmp(n, "d-model") && strcmp(n, "heads") && strcmp(n, "d-ff"))
      return cli_error(CLI_USAGE, "recommend: unknown option '%s' (see --help)", a.argv[a.i - 1]);
    if (!(v = cli_value(&a)))
      return CLI_USAGE;
    if (strcmp(n, "format") == 0) {
      if (strcmp(v, "text") && strcmp(v, "json"))
        return cli_error(CLI_USAGE, "--format: '%s' is not one of text, json", v);
      format = v;
    } else if (strcmp(n, "margin") == 0) {
      if (cli_parse_double(n, v, &o.margin))
        return CLI_USAGE;
      if (!(o.margin >= 0.0 && o.margin <= 10.0))
        return cli_error(CLI_USAGE, "--margin: %s is outside [0, 10]", v);
    } else if (strcmp(n, "rho-max") == 0) {
      if (cli_parse_double(n, v, &o.rho_max))
        return CLI_USAGE;
      if (!(o.rho_max > 0.0 && o.rho_max < 1.0))
        return cli_error(CLI_USAGE, "--rho-max: %s is outside (0, 1)", v);
    } else if (strcmp(n, "gain") == 0) {
      sp_gain g;
      if (sp_gain_from_name(v, &g))
        return cli_error(CLI_USAGE, "--gain: '%s' is not one of alpha, alpha-sa, alpha-mlp, "
                         "branch, branch-sa, branch-mlp", v);
      gain = v;
    } else {
      long x;
      if (cli_parse_long(n, v, &x))
        return CLI_USAGE;
      if (x < 1 || x > 1000000000L)
        return cli_error(CLI_USAGE, "--%s: %s is outside [1, 1e9]", n, v);
      *(strcmp(n, "d-model") == 0 ? &d : strcmp(n, "heads") == 0 ? &heads : &d_ff) = x;
    }
  }
  if (r < 0)
    return CLI_USAGE;
  /* Finite-T statistics take the exact row overlap unless --row-overlap
   * was given (encoder attention: the causal overlap is not derived). */
  if (m.stats == SP_STATS_FINITE && !m.causal && !(cli_model_given() & CLI_GIVEN_OVERLAP))
    m.row_overlap = SP_OVERLAP_EXACT;
  if ((r = cli_model_check_sweep(&m, "recommend")))
    return r;
  const sp_preset *p = cli_model_preset();
  long dd = d ? d : p ? p->d_model : 0, hh = heads ? heads : p ? p->heads : 0;
  if (dd && hh && dd % hh)
    return cli_error(CLI_USAGE, "--heads: %ld heads do not divide d-model = %ld", hh, dd);
  if (gain)
    sp_gain_from_name(gain, &o.gain);
  else if (p)
    o.gain = p->gain;

  sp_workspace *w = NULL;
  if (sp_workspace_needed(&m)) {
    if (!(w = sp_workspace_alloc()))
      return cli_error(CLI_FAIL, "out of memory");
    int s = sp_workspace_prepare(w, &m);
    if (s) {
      sp_workspace_free(w);
      return cli_status(s, "recommend");
    }
  }
  sp_recommendation rec;
  int s = sp_recommend(&m, w, &o, &rec);
  sp_workspace_free(w);
  if (s)
    return cli_status(s, "recommend");
  framework f;
  framework_of(p, d, heads, d_ff, &rec.recommended, &f);
  if (strcmp(format, "json") == 0)
    print_json(&m, p, &o, &rec, &f);
  else
    print_text(&m, p, &o, &rec, &f);
  return CLI_OK;
}
