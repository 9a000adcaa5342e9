/* Option parsing shared by the commands: strict numbers, model options.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Transitional, until every command uses cli_parse. */
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
  "                                 1/T, or the shared-key law (tabulated) [independent]\n"
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

static sp_preset last_preset;
static int have_preset;

/* Framework stds and widths (theory.md §11): a preset's, then the --std-*,
 * --init-std and width options.  A group of stds given as options sets
 * its model parameters (pending) until a later option gives the model
 * value itself; it is converted again whenever a width or T changes, so
 * that the order of these options does not matter. */
enum { FW_QK = 1, FW_V = 2, FW_FF_IN = 4, FW_FF_OUT = 8, FW_EMB = 16, FW_ALL = 31 };
static sp_stds fw;
static int fw_init;
static unsigned fw_pending;
static unsigned given_inputs; /* CLI_GIVEN_* */

static sp_stds *fw_stds(void)
{
  if (!fw_init) {
    sp_stds_init(&fw);
    fw_init = 1;
  }
  return &fw;
}

const sp_stds *cli_model_stds(void)
{
  return fw_stds();
}

unsigned cli_model_given(void)
{
  return given_inputs;
}

/* The preset's framework numbers as the current stds. */
static void fw_from_preset(const sp_preset *p)
{
  sp_stds *s = fw_stds();
  sp_stds_init(s);
  s->d_model = p->d_model;
  s->heads = p->heads;
  s->d_ff = p->d_ff;
  s->output_projection = p->output_projection;
  s->q = p->std_q;
  s->k = p->std_k;
  s->v = p->std_v;
  s->o = p->output_projection ? p->std_o : NAN;
  s->ff_in = p->std_ff_in;
  s->ff_out = p->std_ff_out;
  fw_pending = 0;
  given_inputs |= CLI_GIVEN_TOKENS | CLI_GIVEN_DEPTH | CLI_GIVEN_CAUSAL
                  | (p->has_q0 ? CLI_GIVEN_Q0 : 0u);
}

/* Convert the pending groups whose stds and widths are complete. */
static int fw_apply(sp_model *m)
{
  const sp_stds *s = fw_stds();
  sp_stds one;
  sp_stds_init(&one);
  one.d_model = s->d_model;
  one.d_ff = s->d_ff;
  one.output_projection = s->output_projection;
  one.gate = s->gate;
  one.skip_sa = m->alpha_sa;
  one.skip_mlp = m->alpha_mlp;
  if ((fw_pending & FW_QK) && !isnan(s->q) && !isnan(s->k) && s->d_model > 0)
    one.q = s->q, one.k = s->k;
  if ((fw_pending & FW_V) && !isnan(s->v) && (!s->output_projection || !isnan(s->o))
      && s->d_model > 0)
    one.v = s->v, one.o = s->o;
  if ((fw_pending & FW_FF_IN) && !isnan(s->ff_in) && s->d_model > 0)
    one.ff_in = s->ff_in;
  if ((fw_pending & FW_FF_OUT) && !isnan(s->ff_out) && s->d_ff > 0)
    one.ff_out = s->ff_out;
  if ((fw_pending & FW_EMB) && !isnan(s->emb))
    one.emb = s->emb;
  const char *bad = NULL;
  int st = sp_stds_to_model(&one, m, &bad);
  if (st == SP_EDOM)
    return cli_error(CLI_USAGE, "--%s: gives a model parameter outside its domain", bad);
  if (st)
    return cli_error(CLI_USAGE, "stds: %s", sp_strerror(st));
  return CLI_OK;
}

/* --init-std, --std-* and the widths as table entries. */
static int std_call(void *base, const cli_opt *o, const char *v)
{
  double x;
  if (cli_parse_double(o->name, v, &x))
    return CLI_USAGE;
  if (!(x >= 0.0 && x <= 1e3))
    return cli_error(CLI_USAGE, "--%s: %s is outside [0, 1000]", o->name, v);
  sp_stds *s = fw_stds();
  const char *n = o->name + 4; /* after "std-" or "init" */
  if (strcmp(o->name, "init-std") == 0) {
    /* The embeddings' std is recorded but sets q0 only through --std-emb:
     * an embedding LayerNorm (BERT) makes q0 = 1 whatever it is. */
    sp_stds_set_all(s, x);
    fw_pending |= FW_ALL & ~(unsigned)FW_EMB;
  } else if (strcmp(n, "q") == 0 || strcmp(n, "k") == 0) {
    *(n[0] == 'q' ? &s->q : &s->k) = x;
    fw_pending |= FW_QK;
  } else if (strcmp(n, "v") == 0 || strcmp(n, "o") == 0) {
    *(n[0] == 'v' ? &s->v : &s->o) = x;
    fw_pending |= FW_V;
  } else if (strcmp(n, "ff-in") == 0) {
    s->ff_in = x;
    fw_pending |= FW_FF_IN;
  } else if (strcmp(n, "ff-out") == 0) {
    s->ff_out = x;
    fw_pending |= FW_FF_OUT;
  } else {
    s->emb = x;
    fw_pending |= FW_EMB;
    given_inputs |= CLI_GIVEN_Q0;
  }
  return fw_apply(base);
}

static int width_call(void *base, const cli_opt *o, const char *v)
{
  long x;
  if (cli_parse_long(o->name, v, &x))
    return CLI_USAGE;
  if (x < 1 || x > 1000000000L)
    return cli_error(CLI_USAGE, "--%s: %s is outside [1, 1e9]", o->name, v);
  sp_stds *s = fw_stds();
  *(strcmp(o->name, "d-model") == 0 ? &s->d_model
    : strcmp(o->name, "heads") == 0 ? &s->heads : &s->d_ff) = x;
  return fw_apply(base);
}

static void fw_show(const void *base, const cli_opt *o, char *buf, size_t size)
{
  (void)base;
  (void)o;
  snprintf(buf, size, "%s", "");
}

/* Model values that a later option gives directly end a std group's hold. */
static void fw_model_value(const char *name)
{
  static const struct {
    const char *name;
    unsigned groups, given;
  } t[] = {{"beta", FW_QK, 0}, {"eta", FW_QK, 0}, {"var-v", FW_V, 0},
           {"var-w", FW_FF_IN | FW_FF_OUT, 0}, {"var-w-in", FW_FF_IN, 0},
           {"var-w-out", FW_FF_OUT, 0}, {"q0", FW_EMB, CLI_GIVEN_Q0},
           {"rho0", 0, CLI_GIVEN_RHO0}, {"tokens", 0, CLI_GIVEN_TOKENS},
           {"depth", 0, CLI_GIVEN_DEPTH}};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (strcmp(t[i].name, name) == 0) {
      fw_pending &= ~t[i].groups;
      given_inputs |= t[i].given;
    }
}

const sp_preset *cli_model_preset(void)
{
  return have_preset ? &last_preset : NULL;
}

/* --preset as a table entry. */
static int preset_call(void *base, const cli_opt *o, const char *v)
{
  (void)o;
  sp_preset_error e;
  int s = sp_preset_load(v, &last_preset, &e);
  if (s) {
    have_preset = 0;
    return cli_error(s == SP_EIO ? CLI_FAIL : CLI_USAGE, "--preset: %s",
                     e.text[0] ? e.text : sp_strerror(s));
  }
  have_preset = 1;
  sp_preset_apply(&last_preset, base);
  fw_from_preset(&last_preset);
  return CLI_OK;
}

/* A numeric model parameter (sp_param_table) named like its option. */
static int param_call(void *base, const cli_opt *o, const char *v)
{
  const sp_param *p = sp_param_lookup(o->name);
  double x = 0.0;
  if (!p)
    return cli_error(CLI_USAGE, "--%s: not a model parameter", o->name);
  if (cli_parse_double(o->name, v, &x))
    return CLI_USAGE;
  int s = sp_model_set(base, p, x);
  if (s == SP_EDOM) {
    if (p->kind == SP_PARAM_INTEGER && x != floor(x))
      return cli_error(CLI_USAGE, "--%s: '%s' is not a whole number", o->name, v);
    return cli_error(CLI_USAGE, "--%s: %s is outside the domain [%g, %g] (%s)", o->name, v,
                     p->min, p->max, p->doc);
  }
  if (s)
    return cli_error(CLI_USAGE, "--%s: %s", o->name, sp_strerror(s));
  fw_model_value(o->name);
  /* beta from stds depends on T. */
  return strcmp(o->name, "tokens") == 0 ? fw_apply(base) : CLI_OK;
}

static void param_show(const void *base, const cli_opt *o, char *buf, size_t size)
{
  const sp_model *m = base;
  double v;
  if (strcmp(o->name, "var-vb") == 0 && m->var_vb_follows_b)
    snprintf(buf, size, "= var-b");
  else if (!sp_model_get(m, sp_param_lookup(o->name), &v))
    sp_format_double(buf, size, v);
}

#define PARAM(N, M, H) {N, 0, CLI_OPT_CALL, 0, 0, 0, NULL, param_call, param_show, M, H, 0}

_Static_assert(sizeof(sp_norm) == sizeof(int) && sizeof(sp_attention) == sizeof(int)
               && sizeof(sp_activation) == sizeof(int) && sizeof(sp_stats) == sizeof(int)
               && sizeof(sp_betac_on) == sizeof(int) && sizeof(sp_row_overlap) == sizeof(int),
               "model enumerations are set as int");

static const cli_choice norms[] = {
  {"post", SP_NORM_POST}, {"pre", SP_NORM_PRE}, {"none", SP_NORM_NONE}, {NULL, 0}};
static const cli_choice attentions[] = {
  {"softmax", SP_ATTN_SOFTMAX}, {"centred", SP_ATTN_CENTRED}, {"~centered", SP_ATTN_CENTRED},
  {"uniform", SP_ATTN_UNIFORM}, {NULL, 0}};
static const cli_choice stats[] = {
  {"asymptotic", SP_STATS_ASYMPTOTIC}, {"finite", SP_STATS_FINITE}, {NULL, 0}};
static const cli_choice activations[] = {
  {"relu", SP_ACT_RELU}, {"gelu", SP_ACT_GELU}, {"tanh", SP_ACT_TANH}, {"erf", SP_ACT_ERF},
  {"silu", SP_ACT_SILU}, {"linear", SP_ACT_LINEAR}, {NULL, 0}};
static const cli_choice on_none[] = {{"on", 1}, {"none", 0}, {"~off", 0}, {NULL, 0}};
static const cli_choice betac_on[] = {
  {"input", SP_BETAC_INPUT}, {"stream", SP_BETAC_STREAM}, {NULL, 0}};
static int stats_call(void *base, const cli_opt *o, const char *v)
{
  sp_model *m = base;
  for (const cli_choice *c = o->choices; c->name; c++)
    if (strcmp(c->name, v) == 0) {
      m->stats = (sp_stats)c->value;
      given_inputs |= CLI_GIVEN_STATS;
      return CLI_OK;
    }
  return cli_error(CLI_USAGE, "--attention-stats: '%s' is not one of asymptotic, finite", v);
}

static void stats_show(const void *base, const cli_opt *o, char *buf, size_t size)
{
  (void)o;
  snprintf(buf, size, "%s", sp_stats_name(((const sp_model *)base)->stats));
}

static int overlap_call(void *base, const cli_opt *o, const char *v)
{
  for (const cli_choice *c = o->choices; c->name; c++)
    if (strcmp(c->name, v) == 0) {
      ((sp_model *)base)->row_overlap = (sp_row_overlap)c->value;
      given_inputs |= CLI_GIVEN_OVERLAP;
      return CLI_OK;
    }
  return cli_error(CLI_USAGE, "--row-overlap: '%s' is not one of independent, exact", v);
}

static void overlap_show(const void *base, const cli_opt *o, char *buf, size_t size)
{
  (void)o;
  snprintf(buf, size, "%s", sp_row_overlap_name(((const sp_model *)base)->row_overlap));
}

static int causal_call(void *base, const cli_opt *o, const char *v)
{
  (void)v;
  ((sp_model *)base)->causal = strcmp(o->name, "causal") == 0;
  given_inputs |= CLI_GIVEN_CAUSAL;
  return CLI_OK;
}

#define STD(N, H) {N, 0, CLI_OPT_CALL, 0, 0, 0, NULL, std_call, fw_show, "S", H, CLI_OPT_NODEFAULT}
#define WIDTH(N, M, H) {N, 0, CLI_OPT_CALL, 0, 0, 0, NULL, width_call, fw_show, M, H, \
                        CLI_OPT_NODEFAULT}

static const cli_choice overlaps[] = {
  {"independent", SP_OVERLAP_INDEPENDENT}, {"exact", SP_OVERLAP_EXACT}, {NULL, 0}};

/* The model options (theory.md §1 names), documented in sigprop(1). */
static const cli_opt model_opts[] = {
  {"preset", 0, CLI_OPT_CALL, 0, 0, 0, NULL, preset_call, NULL, "NAME|FILE",
   "an architecture: a built-in NAME (sigprop presets) or a preset file (a path with '/' or "
   "ending in .preset), set at its place on the line", 0},
  CLI_CHOICE("norm", 0, sp_model, norm, norms, "NAME", "LayerNorm placement"),
  CLI_CHOICE("attention", 0, sp_model, attention, attentions, "NAME", "attention variant"),
  {"attention-stats", 0, CLI_OPT_CALL, 0, 0, 0, stats, stats_call, stats_show, "NAME",
   "T -> inf REM laws or exact finite T [asymptotic; recommend: finite unless given]", 0},
  CLI_CHOICE("activation", 0, sp_model, activation, activations, "NAME", "MLP nonlinearity"),
  CLI_CHOICE("mlp", 0, sp_model, mlp, on_none, "NAME", "keep or drop the MLP sub-block"),
  {"causal", 0, CLI_OPT_CALL, 0, 0, 0, NULL, causal_call, NULL, NULL,
   "decoder (causal mask) or encoder [encoder]; a decoder's statistics are row means "
   "over t = 1..T (finite statistics; the T -> inf law is the encoder's)", 0},
  {"no-causal", 0, CLI_OPT_CALL, 0, 0, 0, NULL, causal_call, NULL, NULL, NULL, 0},
  PARAM("beta", "B", "query/key scale"),
  PARAM("eta", "B", NULL),
  PARAM("tokens", "T", "sequence length"),
  PARAM("var-v", "V", "value weight variance"),
  PARAM("var-vb", "V", "value bias variance"),
  PARAM("var-w", "V", "MLP weight variance, both layers"),
  PARAM("var-w-in", "V", "first MLP layer weight variance"),
  PARAM("var-w-out", "V", "second MLP layer weight variance"),
  PARAM("var-b", "V", "MLP bias variance"),
  PARAM("alpha-sa", "A", "skip gain around attention"),
  PARAM("alpha-mlp", "A", "skip gain around the MLP"),
  PARAM("branch-sa", "G", "gain on the attention branch"),
  PARAM("branch-mlp", "G", "gain on the MLP branch"),
  PARAM("mean-removal", "TAU", "token-mean removal after attention"),
  PARAM("rho0", "R", "input cosine similarity"),
  PARAM("q0", "Q", "input squared norm"),
  PARAM("depth", "L", "number of blocks"),
  CLI_CHOICE("beta-c-on", 0, sp_model, beta_c_on, betac_on, "NAME",
             "where pre-LN beta_c is evaluated"),
  {"row-overlap", 0, CLI_OPT_CALL, 0, 0, 0, overlaps, overlap_call, overlap_show, "NAME",
   "finite-T overlap of two attention rows: 1/T, or the shared-key law (tabulated per T, "
   "1-3 s once) [independent; recommend: exact with finite statistics unless given]", 0},
  PARAM("erf-scale", "A", "a in erf(a u)"),
  STD("init-std", "every weight std, as a framework's initializer_range (theory.md §11); "
                  "q0 follows only --std-emb"),
  STD("std-q", "std of W_Q (fan-in d): beta = d std-q std-k / sqrt(log T)"),
  STD("std-k", "std of W_K"),
  STD("std-v", "std of W_V: var-v = d std-v^2 d std-o^2"),
  STD("std-o", "std of the attention output W_O"),
  STD("std-ff-in", "std of the first MLP layer: var-w-in = d std-ff-in^2"),
  STD("std-ff-out", "std of the second MLP layer (fan-in d-ff): var-w-out = d-ff std^2"),
  STD("std-emb", "std of the token embeddings: q0 = std-emb^2"),
  WIDTH("d-model", "D", "residual width d, for the stds [the preset's]"),
  WIDTH("heads", "H", "attention heads, dividing d-model [the preset's]"),
  WIDTH("d-ff", "F", "MLP hidden width, for std-ff-out [the preset's]"),
};

/* Transitional: one model option of the old parsing loop, from the table. */
int cli_model_option(sp_model *m, cli_args *a)
{
  const cli_opt *o = NULL;
  for (size_t i = 0; i < sizeof model_opts / sizeof model_opts[0] && !o; i++)
    if (strcmp(model_opts[i].name, a->name) == 0)
      o = &model_opts[i];
  /* The old loops of simulate, validate and recommend handle their own
   * --heads and widths. */
  if (!o || o->call == width_call)
    return 0;
  if (!o->metavar && a->value)
    return cli_error(CLI_USAGE, "--%s takes no value", a->name), -1;
  const char *v = o->metavar ? cli_value(a) : "";
  if (!v)
    return -1;
  return cli_opt_apply(o, m, v) ? -1 : 1;
}

cli_opt_group cli_model_group(sp_model *m)
{
  cli_opt_group g = {"Model options (theory.md names; later options override earlier ones)",
                     model_opts, sizeof model_opts / sizeof model_opts[0], m};
  return g;
}

/* ---- figure and output options ------------------------------------ */

static int size_call(void *base, const cli_opt *o, const char *v)
{
  cli_figure *f = base;
  (void)o;
  return cli_parse_size(v, &f->width, &f->height);
}

static void size_show(const void *base, const cli_opt *o, char *buf, size_t size)
{
  const cli_figure *f = base;
  (void)o;
  snprintf(buf, size, "%g,%g", f->width, f->height);
}

static const cli_opt figure_opts[] = {
  CLI_STRING("title", 0, cli_figure, title, "TEXT",
             "figure title ('' for none; _x and ^x make sub/superscripts)"),
  {"size", 0, CLI_OPT_CALL, 0, 0, 0, NULL, size_call, size_show, "W,H",
   "figure size in points, width and height from 72 to 7200", 0},
  CLI_DOUBLE("dpi", 0, cli_figure, dpi, 10.0, 2400.0, "D", "PNG resolution"),
};

cli_opt_group cli_figure_group(cli_figure *f)
{
  cli_opt_group g = {"Figure options", figure_opts, sizeof figure_opts / sizeof figure_opts[0], f};
  return g;
}

int cli_model_check_sweep(const sp_model *m, const char *cmd)
{
  int r = cli_model_check(m);
  if (r)
    return r;
  (void)cmd;
  return CLI_OK;
}

/* Std options whose partner or width never came. */
static int fw_check(void)
{
  const sp_stds *s = fw_stds();
  if ((fw_pending & FW_QK) && isnan(s->q) != isnan(s->k))
    return cli_error(CLI_USAGE, "--%s: give --%s too (or --init-std)",
                     isnan(s->q) ? "std-k" : "std-q", isnan(s->q) ? "std-q" : "std-k");
  if ((fw_pending & FW_V) && s->output_projection && isnan(s->o) != isnan(s->v))
    return cli_error(CLI_USAGE, "--%s: give --%s too (or --init-std)",
                     isnan(s->o) ? "std-v" : "std-o", isnan(s->o) ? "std-o" : "std-v");
  if ((fw_pending & (FW_QK | FW_V | FW_FF_IN)) && s->d_model < 1)
    return cli_error(CLI_USAGE, "--std-*: the stds need --d-model (or a preset)");
  if ((fw_pending & FW_FF_OUT) && s->d_ff < 1)
    return cli_error(CLI_USAGE, "--std-ff-out: needs --d-ff (or a preset)");
  if (s->d_model > 0 && s->heads > 0 && s->d_model % s->heads)
    return cli_error(CLI_USAGE, "--heads: %ld heads do not divide d-model = %ld", s->heads,
                     s->d_model);
  return CLI_OK;
}

int cli_model_check(const sp_model *m)
{
  if (fw_check())
    return CLI_USAGE;
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
