/* Generators of the command-line fuzz suite (fuzz_gen.h).  Values are
 * wild (NaN, inf, huge, negative, malformed, odd bytes) except for the
 * options that set the amount of work (depth, grid points, width, seeds),
 * which stay small or invalid so that every run is cheap.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "fuzz_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fz_seed(fz_rng *r, uint64_t seed)
{
  r->s = seed * 0x9e3779b97f4a7c15u + 0x632be59bd9b4e019u;
}

uint64_t fz_next(fz_rng *r)
{
  uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

size_t fz_below(fz_rng *r, size_t n)
{
  return n ? (size_t)(fz_next(r) % n) : 0;
}

#define PICK(r, a) ((a)[fz_below((r), sizeof(a) / sizeof((a)[0]))])

/* ---- value pools --------------------------------------------------------- */

static const char *const wild_numbers[] = {
  "0", "-0", "1", "-1", "0.5", "0.2", "2.718281828", "3.7", "0.0371", "1e-320", "1e-12",
  "1e6", "1e308", "1e309", "-1e308", "inf", "-inf", "nan", "NaN", "", " 1", "1 ", "0x1p3",
  "1e", "--", "1,2", "\xff", "0.5\nx", "9999999999999999999999", "4e-4", "100", "0.999999", "-0.5"};
/* Values of the options that set the work: small, or refused at once. */
static const char *const counts[] = {"1", "2", "3", "4", "5", "0", "-1", "-3", "2.5", "nan",
                                     "inf", "", "abc", "1e99", "99999999999999999999", "7", "2\n", "3\r"};
static const char *const texts[] = {
  "", "x", "\n", "a\nb", "\xff\xfe", "caf\xc3\xa9", "\xc3", "_{", "^", "_", "{{{{", "}",
  "<&>\"'", "\t", "%s%n%d", "\x1b[31m", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a_1^2 b_{xy}",
  "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW"};
/* Output paths that work, then paths that fail or are odd (the fixtures:
 * adir.* are directories, link.csv and dangling.svg symbolic links,
 * full.csv a link to /dev/full, null.png one to /dev/null). */
static const char *const good_outputs[] = {
  "o.csv", "o.tsv", "o.json", "o.png", "o.pdf", "o.svg", "p.pdf", "q.json", "link.csv",
  "exist.csv", "sub/o.svg", "O.CSV", "dangling.svg", "\xff\xfe.svg", "null.png"};
static const char *const odd_outputs[] = {
  "o.txt", "o", "-", "", "adir.png", "adir.csv", "nodir/o.csv", "o\nx.csv", "full.csv",
  ".csv", "o.csv/", "/nonexistent/o.png", "o.PNG"};
static const char *const param_names[] = {
  "beta", "eta", "alpha-sa", "alpha-mlp", "branch-sa", "branch-mlp", "var-v", "var-w",
  "var-b", "rho0", "q0", "tokens", "depth", "mean-removal", "erf-scale", "var-w-in", "bogus",
  "", "beta\xff"};
static const char *const presets[] = {"bert-base", "gpt2-small", "llama-7b", "vit-b16",
                                      "gg-bert", "nonesuch", "", "../etc/passwd"};

/* ---- options ----------------------------------------------------------------- */

enum {
  V_FLAG, V_NUM, V_COUNT, V_ENUM, V_AXIS, V_RANGE, V_OUT, V_PRESET, V_TEXT, V_PAIR, V_LIST,
  V_COMPARE, V_VARIANT, V_WHERE, V_CONFIG, V_CHECKPOINT
};

typedef struct {
  const char *name;
  int kind;
  const char *arg; /* V_ENUM: "a|b|c"; V_AXIS: parameters allowed */
} option;

static const option model_options[] = {
  {"--preset", V_PRESET, NULL}, {"--config", V_CONFIG, NULL},
  {"--norm", V_ENUM, "post|pre|none"},
  {"--attention", V_ENUM, "softmax|centred|uniform"},
  {"--attention-stats", V_ENUM, "asymptotic|finite"},
  {"--activation", V_ENUM, "relu|gelu|tanh|erf|silu|linear"}, {"--mlp", V_ENUM, "on|none"},
  {"--causal", V_FLAG, NULL}, {"--no-causal", V_FLAG, NULL}, {"--beta", V_NUM, NULL},
  {"--eta", V_NUM, NULL}, {"--tokens", V_COUNT, NULL}, {"--var-v", V_NUM, NULL},
  {"--var-vb", V_NUM, NULL}, {"--var-w", V_NUM, NULL}, {"--var-w-in", V_NUM, NULL},
  {"--var-w-out", V_NUM, NULL}, {"--var-b", V_NUM, NULL}, {"--alpha-sa", V_NUM, NULL},
  {"--alpha-mlp", V_NUM, NULL}, {"--branch-sa", V_NUM, NULL}, {"--branch-mlp", V_NUM, NULL},
  {"--mean-removal", V_NUM, NULL}, {"--rho0", V_NUM, NULL}, {"--q0", V_NUM, NULL},
  {"--depth", V_COUNT, NULL}, {"--beta-c-on", V_ENUM, "input|stream"},
  {"--row-overlap", V_ENUM, "independent|exact"}, {"--erf-scale", V_NUM, NULL},
  {"--init-std", V_NUM, NULL}, {"--std-q", V_NUM, NULL}, {"--std-k", V_NUM, NULL},
  {"--std-v", V_NUM, NULL}, {"--std-o", V_NUM, NULL}, {"--std-ff-in", V_NUM, NULL},
  {"--std-ff-out", V_NUM, NULL}, {"--std-emb", V_NUM, NULL}, {"--d-model", V_COUNT, NULL},
  {"--heads", V_COUNT, NULL}, {"--d-ff", V_COUNT, NULL}, {NULL, 0, NULL}};

static const option figure_options[] = {
  {"--title", V_TEXT, NULL}, {"--size", V_PAIR, NULL}, {"--dpi", V_NUM, NULL},
  {NULL, 0, NULL}};

static const option sim_options[] = {
  {"--width", V_COUNT, NULL}, {"--seeds", V_COUNT, NULL}, {"--heads", V_COUNT, NULL},
  {"--seed", V_NUM, NULL}, {"--threads", V_COUNT, NULL}, {"--tokens-scale", V_NUM, NULL},
  {"--input-ln", V_FLAG, NULL}, {"--quiet", V_FLAG, NULL}, {NULL, 0, NULL}};

static const option propagate_options[] = {
  {"-o", V_OUT, NULL}, {"--plot", V_OUT, NULL}, {"--compare", V_COMPARE, NULL},
  {"--variant", V_VARIANT, NULL}, {NULL, 0, NULL}};
static const option critical_options[] = {
  {"--where", V_WHERE, NULL}, {"--range", V_RANGE, NULL}, {NULL, 0, NULL}};
static const option mlp_options[] = {
  {"--activation", V_ENUM, "relu|gelu|tanh|erf|silu|linear"}, {"--var-w", V_NUM, NULL},
  {"--var-b", V_NUM, NULL}, {"--erf-scale", V_NUM, NULL}, {"-o", V_OUT, NULL},
  {"--x", V_AXIS, "var-w|var-b"}, {"--y", V_AXIS, "var-w|var-b"},
  {"--colormap", V_ENUM, "viridis|cividis|magma|inferno"}, {NULL, 0, NULL}};
static const option recommend_options[] = {
  {"--format", V_ENUM, "text|json"}, {"--margin", V_NUM, NULL}, {"--rho-max", V_NUM, NULL},
  {"--gain", V_ENUM, "alpha|alpha-sa|alpha-mlp|branch-sa"}, {"--d-model", V_COUNT, NULL},
  {"--heads", V_COUNT, NULL}, {"--d-ff", V_COUNT, NULL}, {NULL, 0, NULL}};
static const option presets_options[] = {
  {"-o", V_OUT, NULL}, {"--show", V_PRESET, NULL}, {NULL, 0, NULL}};
static const option attention_options[] = {
  {"--lambda", V_RANGE, NULL}, {"--tokens", V_LIST, NULL}, {"--causal", V_FLAG, NULL},
  {"-o", V_OUT, NULL}, {NULL, 0, NULL}};
static const option diagram_options[] = {
  {"--x", V_AXIS, "beta|alpha-sa|alpha-mlp|rho0|depth|var-v|tokens|var-w"},
  {"--y", V_AXIS, "beta|alpha-sa|alpha-mlp|rho0|depth|var-v|tokens|var-w"},
  {"--rho-max", V_NUM, NULL}, {"--y2-max", V_NUM, NULL}, {"--overlay-gradient", V_NUM, NULL},
  {"--overlay-lambda-g", V_FLAG, NULL}, {"-o", V_OUT, NULL}, {"--curves", V_OUT, NULL},
  {"--colormap", V_ENUM, "viridis|cividis|magma|inferno|jet"}, {"--mark", V_PAIR, NULL},
  {"--threads", V_COUNT, NULL}, {"--quiet", V_FLAG, NULL}, {NULL, 0, NULL}};
static const option simulate_options[] = {
  {"--gradient", V_FLAG, NULL}, {"--jacobian", V_FLAG, NULL}, {"-o", V_OUT, NULL},
  {NULL, 0, NULL}};
static const option inspect_options[] = {
  {"--config", V_CONFIG, NULL}, {"--tokens", V_COUNT, NULL}, {"--seed", V_NUM, NULL},
  {"--rho-max", V_NUM, NULL}, {"--margin", V_NUM, NULL}, {"--format", V_ENUM, "text|json"},
  {"-o", V_OUT, NULL}, {NULL, 0, NULL}};
static const option train_options[] = {
  {"-o", V_OUT, NULL}, {"--task", V_ENUM, "copy|markov"}, {"--data", V_OUT, NULL},
  {"--data-bytes", V_COUNT, NULL}, {"--holdout", V_NUM, NULL}, {"--masked", V_FLAG, NULL},
  {"--mask-fraction", V_NUM, NULL}, {"--gamma", V_NUM, NULL}, {"--width", V_COUNT, NULL},
  {"--heads", V_COUNT, NULL}, {"--vocab", V_COUNT, NULL}, {"--batch", V_COUNT, NULL},
  {"--steps", V_COUNT, NULL}, {"--lr", V_NUM, NULL}, {"--optimizer", V_ENUM, "adam|sgd"},
  {"--beta1", V_NUM, NULL}, {"--eps", V_NUM, NULL}, {"--momentum", V_NUM, NULL},
  {"--weight-decay", V_NUM, NULL}, {"--warmup", V_COUNT, NULL},
  {"--schedule", V_ENUM, "constant|cosine"}, {"--seed", V_NUM, NULL},
  {"--eval-every", V_COUNT, NULL}, {"--eval-batches", V_COUNT, NULL},
  {"--log-every", V_COUNT, NULL}, {"--grid-x", V_AXIS, "beta|alpha-sa|depth|lr"},
  {"--grid-y", V_AXIS, "beta|alpha-sa|depth|lr"}, {"--grid-seeds", V_COUNT, NULL},
  {"--trained-fraction", V_NUM, NULL}, {"--rho-max", V_NUM, NULL}, {NULL, 0, NULL}};
static const option validate_options[] = {
  {"--also-theory", V_ENUM, "finite|asymptotic|finite:exact|bogus"},
  {"--theory-input", V_ENUM, "measured|model"}, {"--jacobian", V_FLAG, NULL},
  {"--gradient", V_FLAG, NULL}, {"--beta-range", V_RANGE, NULL}, {"--block", V_COUNT, NULL},
  {"--zero-fraction", V_NUM, NULL}, {"--table", V_OUT, NULL}, {"-o", V_OUT, NULL},
  {NULL, 0, NULL}};

typedef struct {
  const char *name;
  const char *cheap; /* options first on the line, keeping the default work small */
  int optional;      /* 1: the defaults are cheap too, the line may go without */
  const option *own, *more[3];
} command;

static const command commands[] = {
  {"propagate", "--depth 3", 1, propagate_options, {model_options, figure_options, NULL}},
  {"critical", "--depth 3", 1, critical_options, {model_options, NULL, NULL}},
  {"mlp", "--x var-w:0.1:3:3 --y var-b:0:0.5:3", 1, mlp_options, {figure_options, NULL, NULL}},
  {"recommend", "--depth 3", 1, recommend_options, {model_options, NULL, NULL}},
  {"presets", "", 1, presets_options, {NULL, NULL, NULL}},
  {"attention", "--lambda 0:3:4 --tokens 8,64", 1, attention_options, {figure_options, NULL, NULL}},
  {"diagram", "--x beta:0.1:2:3 --y alpha-sa:0.1:2:3 --depth 3 --threads 1 --quiet", 0,
   diagram_options, {model_options, figure_options, NULL}},
  {"simulate", "--width 8 --seeds 1 --tokens 8 --depth 2 --threads 1 --quiet", 1,
   simulate_options, {model_options, sim_options, NULL}},
  {"validate", "--width 8 --seeds 2 --tokens 8 --depth 2 --threads 1 --quiet", 1,
   validate_options, {model_options, sim_options, figure_options}},
  {"inspect", "--tokens 8", 1, inspect_options, {NULL, NULL, NULL}},
  {"train", "--steps 2 --width 8 --batch 2 --vocab 4 --tokens 8 --depth 1 --eval-every 1 "
   "--grid-seeds 1 --threads 1 --quiet", 0, train_options,
   {model_options, figure_options, NULL}},
};

/* ---- building the command line ---------------------------------------------- */

static char *store(fz_cmdline *c, const char *s)
{
  size_t n = strlen(s) + 1;
  if (c->used + n > sizeof c->arena)
    return NULL;
  char *d = c->arena + c->used;
  memcpy(d, s, n);
  c->used += n;
  return d;
}

static void push(fz_cmdline *c, const char *s)
{
  char *d;
  if (c->argc < FZ_MAXARG && (d = store(c, s)))
    c->argv[c->argc++] = d;
  c->argv[c->argc] = NULL;
}

/* One field of "a|b|c" chosen at random (sometimes a wrong word). */
static void pick_field(fz_rng *r, const char *list, char *buf, size_t size)
{
  if (fz_below(r, 12) == 0) {
    snprintf(buf, size, "%s", PICK(r, texts));
    return;
  }
  size_t n = 1;
  for (const char *p = list; *p; p++)
    n += *p == '|';
  size_t k = fz_below(r, n);
  const char *p = list;
  while (k--)
    p = strchr(p, '|') + 1;
  size_t len = strcspn(p, "|");
  snprintf(buf, size, "%.*s", (int)(len < size ? len : size - 1), p);
}

static const char *number(fz_rng *r, char *buf, size_t size)
{
  if (fz_below(r, 2) == 0) { /* a plain random value, often in the domain */
    snprintf(buf, size, "%.6g", (double)fz_below(r, 100000) / 10000.0);
    return buf;
  }
  return PICK(r, wild_numbers);
}

/* NAME:MIN:MAX:N[:log] with NAME from `names` ("a|b"), or MIN:MAX[:N[:log]]. */
static void range(fz_rng *r, const char *names, char *buf, size_t size)
{
  char nm[64] = "", a[64], b[64];
  if (names)
    pick_field(r, fz_below(r, 10) ? names : "bogus|beta\xff|", nm, sizeof nm);
  snprintf(a, sizeof a, "%s", number(r, a, sizeof a));
  snprintf(b, sizeof b, "%s", number(r, b, sizeof b));
  const char *n = PICK(r, counts);
  const char *tail = fz_below(r, 4) == 0 ? ":log" : fz_below(r, 8) == 0 ? ":lin:x" : "";
  if (names)
    snprintf(buf, size, "%s:%s:%s:%s%s", nm, a, b, n, tail);
  else if (fz_below(r, 2))
    snprintf(buf, size, "%s:%s:%s%s", a, b, n, tail);
  else
    snprintf(buf, size, "%s:%s", a, b);
}

/* A file of kind `kind` (fz_file_kinds) generated into dir; sometimes
 * (for presets: a built-in name) a path that is no such file. */
static void file_value(fz_rng *r, size_t kind, const char *dir, const char *const *bases,
                       size_t nbases, char *buf, size_t size)
{
  static unsigned serial;
  static const char *const odd[] = {"missing.json", "adir.csv", "", "link.csv", "null.png",
                                    "\xff.json"};
  if (fz_below(r, 3) == 0) {
    snprintf(buf, size, "%s", kind == 0 ? PICK(r, presets) : PICK(r, odd));
    return;
  }
  const fz_file_kind *k = &fz_file_kinds[kind < fz_nfile_kinds ? kind : 0];
  char name[64];
  snprintf(name, sizeof name, "f%u%s", serial++, k->extension);
  if (k->make(r, dir, name, bases, nbases) == 0)
    snprintf(buf, size, "./%s", name);
  else
    snprintf(buf, size, "missing.preset");
}

static void value(fz_rng *r, const option *o, const char *dir, const char *const *bases,
                  size_t nbases, char *buf, size_t size)
{
  char x[64], y[64];
  switch (o->kind) {
  case V_NUM: snprintf(buf, size, "%s", number(r, x, sizeof x)); break;
  case V_COUNT: snprintf(buf, size, "%s", PICK(r, counts)); break;
  case V_ENUM: pick_field(r, o->arg, buf, size); break;
  case V_AXIS: range(r, o->arg, buf, size); break;
  case V_RANGE: range(r, NULL, buf, size); break;
  case V_OUT:
    snprintf(buf, size, "%s", fz_below(r, 3) ? PICK(r, good_outputs) : PICK(r, odd_outputs));
    break;
  case V_PRESET: file_value(r, 0, dir, bases, nbases, buf, size); break;
  case V_CONFIG: file_value(r, 1, dir, bases, nbases, buf, size); break;
  case V_CHECKPOINT: file_value(r, 2, dir, bases, nbases, buf, size); break;
  case V_TEXT: snprintf(buf, size, "%s", PICK(r, texts)); break;
  case V_PAIR:
    snprintf(x, sizeof x, "%s", number(r, x, sizeof x));
    snprintf(y, sizeof y, "%s", number(r, y, sizeof y));
    snprintf(buf, size, fz_below(r, 6) ? "%s,%s" : "%s", x, y);
    break;
  case V_LIST:
    snprintf(buf, size, "%s,%s", PICK(r, counts), fz_below(r, 2) ? "16" : PICK(r, counts));
    break;
  case V_COMPARE:
    snprintf(buf, size, "%s=%s,%s", PICK(r, param_names), number(r, x, sizeof x),
             number(r, y, sizeof y));
    break;
  case V_VARIANT:
    snprintf(buf, size, "%s=--%s %s", PICK(r, texts), PICK(r, param_names),
             number(r, x, sizeof x));
    break;
  case V_WHERE:
    pick_field(r, "rho-final=|beta-c|chi1=|rho-final|", x, sizeof x);
    snprintf(buf, size, "%s%s", x, x[strlen(x) ? strlen(x) - 1 : 0] == '=' ?
             number(r, y, sizeof y) : "");
    break;
  default: buf[0] = '\0'; break;
  }
}

/* Split the cheap defaults at spaces onto the line. */
static void push_words(fz_cmdline *c, const char *s)
{
  char w[128];
  while (*s) {
    size_t n = strcspn(s, " ");
    if (n && n < sizeof w) {
      memcpy(w, s, n);
      w[n] = '\0';
      push(c, w);
    }
    s += n + (s[n] == ' ');
  }
}

/* One of the command's output options, or NULL. */
static const option *output_option(fz_rng *r, const command *cmd)
{
  const option *o[8];
  size_t n = 0;
  for (const option *t = cmd->own; t->name && n < 8; t++)
    if (t->kind == V_OUT)
      o[n++] = t;
  return n ? o[fz_below(r, n)] : NULL;
}

static const option *random_option(fz_rng *r, const command *cmd)
{
  const option *tables[4] = {cmd->own, cmd->more[0], cmd->more[1], cmd->more[2]};
  size_t nt = 1;
  while (nt < 4 && tables[nt])
    nt++;
  const option *t = tables[fz_below(r, nt)];
  size_t n = 0;
  while (t[n].name)
    n++;
  return n ? &t[fz_below(r, n)] : NULL;
}

void fz_generate(fz_rng *r, const char *program, const char *dir, const char *const *bases,
                 size_t nbases, fz_cmdline *c)
{
  static const char *const critical_params[] = {"alpha-sa", "alpha-mlp", "branch-sa", "beta",
                                                "var-w", "var-b", "rho0", "bogus", ""};
  c->argc = 0;
  c->used = 0;
  push(c, program);
  const command *cmd = &PICK(r, commands);
  push(c, cmd->name);
  if (cmd->name[0] == 'c')
    push(c, PICK(r, critical_params));
  if (cmd->name[0] == 'i') { /* inspect's checkpoint */
    static const option checkpoint = {"", V_CHECKPOINT, NULL};
    char file[256];
    value(r, &checkpoint, dir, bases, nbases, file, sizeof file);
    push(c, file);
  }
  /* Without the cheap options only where the defaults are cheap too. */
  if (fz_below(r, 16) != 0 || !cmd->optional)
    push_words(c, cmd->cheap);
  /* Half the lines write one to three files: the all-or-nothing paths. */
  size_t nout = fz_below(r, 2) ? 1 + fz_below(r, 3) : 0, nopt = nout + fz_below(r, 6);
  char buf[512];
  int preset = 0;
  for (size_t i = 0; i < nopt; i++) {
    const option *o = i < nout ? output_option(r, cmd) : random_option(r, cmd);
    if (!o)
      break;
    preset |= (o->kind == V_PRESET || o->kind == V_CONFIG) && strcmp(cmd->name, "presets") != 0;
    push(c, o->name);
    if (o->kind == V_FLAG)
      continue;
    value(r, o, dir, bases, nbases, buf, sizeof buf);
    if (fz_below(r, 10) == 0) { /* --name=value form */
      c->argc--;
      char joined[600];
      snprintf(joined, sizeof joined, "%s=%s", o->name, buf);
      push(c, joined);
    } else if (fz_below(r, 40)) { /* rarely, the value is missing */
      push(c, buf);
    }
  }
  /* A preset sets its own depth and tokens (llama-7b: 32 blocks of 2048
   * tokens): the cheap options again after it keep the run cheap. */
  if (preset)
    push_words(c, cmd->cheap);
  if (fz_below(r, 20) == 0)
    push(c, PICK(r, texts)); /* a stray positional argument */
}

void fz_escape(const char *s, char *buf, size_t size)
{
  size_t k = 0;
  for (; *s && k + 5 < size; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '\n')
      k += (size_t)snprintf(buf + k, size - k, "\\n");
    else if (ch < 0x20 || ch >= 0x7f || ch == '\\')
      k += (size_t)snprintf(buf + k, size - k, "\\x%02x", ch);
    else
      buf[k++] = (char)ch;
  }
  buf[k] = '\0';
}
