/* The shared option tables: model, MLP, figure options; field splitting.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int cli_copy_spec(const char *opt, const char *spec, char *buf, size_t size)
{
  if (strlen(spec) >= size)
    return cli_error(CLI_USAGE, "--%s: too long", opt);
  strcpy(buf, spec);
  return CLI_OK;
}

int cli_split_fields(const char *opt, const char *spec, char *buf, size_t size, char **field,
                     int max)
{
  if (cli_copy_spec(opt, spec, buf, size))
    return -1;
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

int cli_axis_fields(const char *opt, const char *spec, char *buf, size_t size, char **field)
{
  int nf = cli_split_fields(opt, spec, buf, size, field, 6);
  if (nf >= 0 && (nf < 4 || nf > 5))
    return cli_error(CLI_USAGE, "--%s: '%s' is not NAME:MIN:MAX:N[:log]", opt, spec), -1;
  return nf;
}

int cli_range_numbers(const char *opt, char *const *field, int nf, double *min, double *max,
                      long *n, int *log_spacing)
{
  if (cli_parse_double(opt, field[0], min) || cli_parse_double(opt, field[1], max)
      || cli_parse_long(opt, field[2], n))
    return CLI_USAGE;
  *log_spacing = 0;
  if (nf == 4 && cli_parse_spacing(opt, field[3], log_spacing))
    return CLI_USAGE;
  if (!(*min < *max))
    return cli_error(CLI_USAGE, "--%s: MIN must be below MAX (got %s and %s)", opt, field[0],
                     field[1]);
  return CLI_OK;
}

int cli_parse_pair(const char *opt, const char *s, double *a, double *b)
{
  char buf[128];
  if (cli_copy_spec(opt, s, buf, sizeof buf))
    return CLI_USAGE;
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

void cli_model_set_given(unsigned set, unsigned clear)
{
  given_inputs = (given_inputs | set) & ~clear;
}

void cli_model_stds_from_preset(const sp_preset *p, int embedding_norm)
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
  s->emb = p->std_emb;
  s->gate = p->has_gate;
  s->ff_gate = p->has_gate ? p->std_gate : NAN;
  s->emb_norm = embedding_norm;
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

static sp_config last_config;
static int have_config; /* the last architecture option was --config */

const sp_config *cli_model_config(void)
{
  return have_config ? &last_config : NULL;
}

const char *cli_model_source(const char **name)
{
  *name = have_config ? last_config.preset.source : have_preset ? last_preset.name : NULL;
  return have_config ? "config" : have_preset ? "preset" : "options";
}

/* --config as a table entry: the config's preset at its place on the line,
 * as --preset; what the file lacks (T, depth) is not counted as given. */
static int config_call(void *base, const cli_opt *o, const char *v)
{
  (void)o;
  sp_config_error e;
  int s = sp_config_read(v, &last_config, &e);
  if (s) {
    have_config = have_preset = 0;
    return cli_error(s == SP_EIO ? CLI_FAIL : CLI_USAGE, "--config: %s",
                     e.text[0] ? e.text : sp_strerror(s));
  }
  have_config = have_preset = 1;
  last_preset = last_config.preset;
  sp_preset_apply(&last_preset, base);
  cli_model_stds_from_preset(&last_preset, last_config.embedding_norm);
  sp_family f = last_config.family;
  unsigned long a = last_config.assumed;
  sp_config_field tf = f == SP_FAMILY_VIT ? SP_CF_IMAGE_SIZE : SP_CF_POSITIONS;
  if (((a >> tf) & 1) || (f == SP_FAMILY_VIT && ((a >> SP_CF_PATCH_SIZE) & 1)))
    given_inputs &= ~(unsigned)CLI_GIVEN_TOKENS;
  if ((a >> SP_CF_DEPTH) & 1)
    given_inputs &= ~(unsigned)CLI_GIVEN_DEPTH;
  return CLI_OK;
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
  have_config = 0;
  sp_preset_apply(&last_preset, base);
  cli_model_stds_from_preset(&last_preset, 0);
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
    sp_io_format_double(buf, size, v);
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
/* The choice of option o named exactly v, or NULL. */
static const cli_choice *choice_named(const cli_opt *o, const char *v)
{
  for (const cli_choice *c = o->choices; c->name; c++)
    if (strcmp(c->name, v) == 0)
      return c;
  return NULL;
}

static int stats_call(void *base, const cli_opt *o, const char *v)
{
  const cli_choice *c = choice_named(o, v);
  if (!c)
    return cli_error(CLI_USAGE, "--attention-stats: '%s' is not one of asymptotic, finite", v);
  ((sp_model *)base)->stats = (sp_stats)c->value;
  given_inputs |= CLI_GIVEN_STATS;
  return CLI_OK;
}

static void stats_show(const void *base, const cli_opt *o, char *buf, size_t size)
{
  (void)o;
  snprintf(buf, size, "%s", sp_stats_name(((const sp_model *)base)->stats));
}

static int overlap_call(void *base, const cli_opt *o, const char *v)
{
  const cli_choice *c = choice_named(o, v);
  if (!c)
    return cli_error(CLI_USAGE, "--row-overlap: '%s' is not one of independent, exact", v);
  ((sp_model *)base)->row_overlap = (sp_row_overlap)c->value;
  given_inputs |= CLI_GIVEN_OVERLAP;
  return CLI_OK;
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
  {"config", 0, CLI_OPT_CALL, 0, 0, 0, NULL, config_call, NULL, "FILE",
   "a Hugging Face config.json (model_type bert, roberta, electra, gpt2, llama, mistral, "
   "qwen2, vit or gpt_neox), set at its place on the line like --preset; a field it lacks "
   "takes the family's default and is listed as assumed (sigprop-inspect(1))", 0},
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
   "on first use) [independent; recommend: exact where tabulated]", 0},
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

/* The options of the MLP alone (sigprop mlp). */
static const cli_opt mlp_opts[] = {
  CLI_CHOICE("activation", 0, sp_model, activation, activations, "NAME", "MLP nonlinearity"),
  PARAM("var-w", "V", "weight variance times fan-in"),
  PARAM("var-b", "V", "bias variance"),
  PARAM("erf-scale", "A", "a in erf(a u)"),
};

cli_opt_group cli_mlp_model_group(sp_model *m)
{
  cli_opt_group g = {"Model options (the MLP's)", mlp_opts, sizeof mlp_opts / sizeof mlp_opts[0],
                     m};
  return g;
}

cli_opt_group cli_model_group(sp_model *m)
{
  cli_opt_group g = {"Model options (theory.md names; later options override earlier ones)",
                     model_opts, sizeof model_opts / sizeof model_opts[0], m};
  return g;
}

/* ---- figure and output options ------------------------------------ */

static void size_show(const void *base, const cli_opt *o, char *buf, size_t size)
{
  const cli_figure *f = base;
  (void)o;
  if (f->width > 0.0)
    snprintf(buf, size, "%g,%g", f->width, f->height);
  else
    snprintf(buf, size, "the figure's layout");
}

static void dpi_show(const void *base, const cli_opt *o, char *buf, size_t size)
{
  const cli_figure *f = base;
  (void)o;
  snprintf(buf, size, "%g", f->dpi);
}

static const cli_opt figure_opts[] = {
  CLI_STRING("title", 0, cli_figure, title, "TEXT",
             "figure title ('' for none; _x and ^x make sub/superscripts)"),
  {"size", 0, CLI_OPT_CALL, 0, 0, 0, NULL, cli_figure_size_call, size_show, "W,H",
   "figure size: W,H or W×H in points, or with units px, in, cm, mm (3.25x2.5in, "
   "1200x800px); column (3.25 in wide) or page (6.75 in wide)", 0},
  {"dpi", 0, CLI_OPT_CALL, 0, 0, 0, NULL, cli_figure_dpi_call, dpi_show, "D",
   "PNG resolution, 10 to 2400", 0},
  {"font", 0, CLI_OPT_CALL, 0, 0, 0, NULL, cli_figure_font_call, NULL, "NAME",
   "font family, any that fontconfig lists [DejaVu Sans]", 0},
  CLI_DOUBLE("font-size", 0, cli_figure, font_size, 4.0, 72.0, "PT",
             "base font size in points (tick labels; other text scales with it) [7.5]"),
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

int cli_figure_check(const cli_figure *f, const cli_list *out)
{
  double w = f->width, h = f->height;
  if (f->px_w > 0.0 && !(w >= 72.0 && w <= 7200.0 && h >= 72.0 && h <= 7200.0))
    return cli_error(CLI_USAGE, "--size: %gx%gpx at %g dpi is %.4gx%.4g points; both must lie in "
                     "[72, 7200]", f->px_w, f->px_h, f->dpi, w, h);
  double px = ceil(f->width * f->dpi / 72.0), py = ceil(f->height * f->dpi / 72.0);
  for (int i = 0; i < out->n; i++)
    if (sp_format_from_path(out->v[i]) == SP_FMT_PNG
        && (px > SP_PLOT_MAX_PIXELS || py > SP_PLOT_MAX_PIXELS))
      return cli_error(CLI_USAGE, "%s: the image would be %.0f x %.0f pixels at %g dpi; the "
                       "limit is %d pixels per side (lower --dpi or --size)", out->v[i], px, py,
                       f->dpi, SP_PLOT_MAX_PIXELS);
  return CLI_OK;
}

int cli_colormap_call(void *target, const cli_opt *o, const char *v)
{
  const sp_colormap **cm = target;
  (void)o;
  if (!(*cm = sp_colormap_lookup(v)))
    return cli_error(CLI_USAGE, "--colormap: '%s' is not one of viridis, cividis, magma, "
                     "inferno", v);
  return CLI_OK;
}

void cli_colormap_show(const void *target, const cli_opt *o, char *buf, size_t size)
{
  const sp_colormap *const *cm = target;
  (void)o;
  snprintf(buf, size, "%s", *cm ? (*cm)->name : "");
}

int cli_range_call(void *target, const cli_opt *o, const char *v)
{
  cli_range *range = target;
  char buf[96], *f[2];
  int nf = cli_split_fields(o->name, v, buf, sizeof buf, f, 2);
  if (nf < 0)
    return CLI_USAGE;
  if (nf != 2)
    return cli_error(CLI_USAGE, "--%s: '%s' is not LO:HI", o->name, v);
  double lo, hi;
  if (cli_parse_double(o->name, f[0], &lo) || cli_parse_double(o->name, f[1], &hi))
    return CLI_USAGE;
  if (!(lo < hi))
    return cli_error(CLI_USAGE, "--%s: %s: LO must be below HI", o->name, v);
  range->lo = lo;
  range->hi = hi;
  return CLI_OK;
}

int cli_parse_spacing(const char *opt, const char *s, int *log_spacing)
{
  static const cli_choice names[] = {{"log", 1}, {"lin", 0}, {"linear", 0}, {NULL, 0}};
  for (const cli_choice *c = names; c->name; c++)
    if (strcmp(s, c->name) == 0) {
      *log_spacing = c->value;
      return CLI_OK;
    }
  return cli_error(CLI_USAGE, "--%s: spacing '%s' is not 'log' or 'lin'", opt, s);
}
