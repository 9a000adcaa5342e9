/* sigprop train: train the simulator's network on a task with a known best
 * loss; the loss curve, gradient norms per block and weight kind, rho and
 * attention entropy per layer, as a table and a figure.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cmd_train.h"
#include "mpi_split.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


static const cli_choice optim_names[] = {{"adam", SP_OPTIM_ADAM}, {"sgd", SP_OPTIM_SGD}, {NULL, 0}};
static const cli_choice schedule_names[] = {
  {"constant", SP_SCHED_CONSTANT}, {"cosine", SP_SCHED_COSINE}, {NULL, 0}};
static const cli_choice task_names[] = {
  {"copy", SP_TASK_COPY}, {"markov", SP_TASK_MARKOV}, {NULL, 0}};

static int parse_lr(void *base, const cli_opt *opt, const char *v)
{
  options *o = base;
  (void)opt;
  if (cli_parse_double("lr", v, &o->lr))
    return CLI_USAGE;
  if (!(o->lr > 0.0))
    return cli_error(CLI_USAGE, "--lr: %s is not > 0", v);
  return CLI_OK;
}

static const cli_command command = {
  "train",
  "[--task copy|markov | --data FILE] [--width D] [--heads H] [--vocab V] [--batch B]\n"
  "[--steps N] [--lr LR] [--optimizer adam|sgd] [--seed N] [--eval-every N] [MODEL OPTIONS]\n"
  "[-o FILE ...]",
  "Trains the network that simulate draws (theory.md §1), between a token + position "
  "embedding and an output projection with a softmax cross-entropy loss, on a task with a "
  "known best loss, and writes one row per logged step: step, train_loss, eval_loss (the "
  "held-out loss, at step 0, every --eval-every steps and the last step; empty between), lr, "
  "then per block l the gradient norms grad_q_l, grad_k_l, grad_v_l (query, key and value "
  "weights) and grad_mlp_l, and at the evaluation steps rho_l (p/q of the stream entering "
  "block l+1, l = 0..L) and entropy_l (attention row entropy of block l, nats) measured on the "
  "held-out batch.  '#' lines record every parameter and best_loss, the task's best loss.\n\n"
  "The weights are the simulator's for the same --seed; --tokens is the sequence length and "
  "--depth the number of blocks (train's defaults: --tokens 32 --depth 4).",
  0, NULL};

static const cli_opt opts[] = {
  CLI_CHOICE("task", 0, options, task, task_names, "NAME",
             "copy (a_1..a_n a_1..a_n, loss on the second half) or markov (a chain with "
             "Dirichlet(gamma) rows) [copy]"),
  CLI_STRING("data", 0, options, data, "FILE",
             "train on a token file instead (raw little-endian ids, see --data-bytes)"),
  CLI_LONG("data-bytes", 0, options, data_bytes, 2, 4, "N", "bytes per id of --data: 2 or 4"),
  CLI_DOUBLE("holdout", 0, options, holdout, 1e-6, 0.999999, "F",
             "fraction of --data held out for the evaluation loss"),
  CLI_FLAG("masked", 0, options, masked,
           "the masked form (for encoders): predict masked positions (mask id V - 1)"),
  CLI_DOUBLE("mask-fraction", 0, options, mask_fraction, 1e-9, 1.0, "F",
             "probability that a maskable position is masked [0.15; 0.5 for copy]"),
  CLI_DOUBLE("gamma", 0, options, gamma, 1e-6, 1e6, "G", "Dirichlet concentration of markov"),
  CLI_LONG("width", 0, options, width, 2, INFINITY, "D", "width d of the network (d_ff = d)"),
  CLI_LONG("heads", 0, options, heads, 1, INFINITY, "H", "attention heads, dividing D"),
  CLI_LONG("vocab", 0, options, vocab, 2, INFINITY, "V", "vocabulary size"),
  CLI_LONG("batch", 0, options, batch, 1, INFINITY, "B", "sequences per step"),
  CLI_LONG("steps", 0, options, steps, 1, INFINITY, "N", "optimiser steps"),
  CLI_CALL("lr", 0, parse_lr, "LR", "peak learning rate, > 0 [0.001]"),
  CLI_CHOICE("optimizer", 0, options, optim, optim_names, "NAME", "adam or sgd [adam]"),
  CLI_DOUBLE("beta1", 0, options, beta1, 0.0, 0.999999999, "B1", "Adam's first moment decay"),
  CLI_DOUBLE("beta2", 0, options, beta2, 0.0, 0.999999999, "B2", "Adam's second moment decay"),
  CLI_DOUBLE("eps", 0, options, eps, 1e-300, 1.0, "E", "Adam's epsilon"),
  CLI_DOUBLE("momentum", 0, options, momentum, 0.0, 0.999999999, "M", "SGD momentum"),
  CLI_DOUBLE("weight-decay", 0, options, weight_decay, 0.0, 1e6, "W",
             "decoupled weight decay of the weight matrices and embeddings"),
  CLI_LONG("warmup", 0, options, warmup, 0, 1e9, "N", "steps of linear learning-rate warm-up"),
  CLI_CHOICE("schedule", 0, options, schedule, schedule_names, "NAME",
             "after the warm-up: constant, or cosine to 0 at the last step [constant]"),
  CLI_LONG("seed", 0, options, seed, 0, 4294967295.0, "N",
           "seed of the weights (the simulator's network), the task and the batches"),
  CLI_LONG("eval-every", 0, options, eval_every, 1, 1e9, "N", "held-out loss every N steps"),
  CLI_LONG("eval-batches", 0, options, eval_batches, 1, 1e6, "K",
           "held-out batches (K x B fixed sequences) per evaluation"),
  CLI_LONG("log-every", 0, options, log_every, 1, 1e9, "N", "a table row every N steps"),
  CLI_LONG("threads", 0, options, threads, 0, 1024, "N",
           "threads (0: online processors); results do not depend on it [0]"),
  CLI_FLAG("quiet", 0, options, quiet, "no progress line on a terminal"),
  CLI_STRING("grid-x", 0, options, grid_x, "NAME:MIN:MAX:N[:log]",
             "train at every point of a grid of two model parameters (with --grid-y) and "
             "compare with the diagram's classes"),
  CLI_STRING("grid-y", 0, options, grid_y, "NAME:MIN:MAX:N[:log]", "the grid's second axis"),
  CLI_LONG("grid-seeds", 0, options, grid_seeds, 1, 1000, "S", "networks per grid point"),
  CLI_DOUBLE("trained-fraction", 0, options, trained_fraction, 1e-6, 1.0, "F",
             "a grid network is trained when its held-out loss is at most log V - F (log V - "
             "best loss)"),
  CLI_DOUBLE("rho-max", 0, options, rho_max, 1e-6, 1.0, "V",
             "the diagram's rank-collapse threshold on rho_L"),
  {"y2-max", 0, CLI_OPT_DOUBLE, offsetof(options, y2_max), 1e-6, 1.0, NULL, NULL, NULL, "V",
   "the diagram's entropy collapse when the largest E Y2 >= V instead of a frozen block",
   CLI_OPT_NODEFAULT},
};

static void defaults(options *o, sp_model *m)
{
  memset(o, 0, sizeof *o);
  o->width = 64;
  o->heads = 1;
  o->vocab = 16;
  o->batch = 16;
  o->steps = 500;
  o->eval_every = 50;
  o->eval_batches = 4;
  o->log_every = 1;
  o->seed = 1;
  o->data_bytes = 2;
  o->holdout = 0.1;
  o->mask_fraction = NAN;
  o->gamma = 0.5;
  o->grid_seeds = 2;
  o->trained_fraction = 0.5;
  o->rho_max = 0.9;
  o->y2_max = NAN;
  sp_optim_options oo;
  sp_optim_options_default(&oo);
  o->lr = oo.lr;
  o->beta1 = oo.beta1;
  o->beta2 = oo.beta2;
  o->eps = oo.eps;
  o->momentum = oo.momentum;
  cli_figure_default(&o->fig, 0.0, 0.0); /* the layout's: 560,200, or 420,320 for --grid-x/y */
  sp_model_default(m);
  m->tokens = 32;
  m->depth = 4;
}

static void human_bytes(char *buf, size_t n, double b)
{
  if (b >= 1e9)
    snprintf(buf, n, "%.1f GB", b / 1e9);
  else if (b >= 1e6)
    snprintf(buf, n, "%.1f MB", b / 1e6);
  else
    snprintf(buf, n, "%.0f kB", b / 1e3);
}

/* The task of the options, or an error recorded. */
int cli_train_task(const options *o, const sp_model *m, sp_task **out)
{
  sp_task_options to;
  sp_task_options_default(&to);
  to.kind = o->data ? SP_TASK_DATA : (sp_task_kind)o->task;
  to.vocab = o->vocab;
  to.tokens = m->tokens;
  to.masked = o->masked;
  to.mask_fraction = isnan(o->mask_fraction) ? (to.kind == SP_TASK_COPY ? 0.5 : 0.15)
                                             : o->mask_fraction;
  to.gamma = o->gamma;
  to.seed = (unsigned long)o->seed;
  to.path = o->data;
  to.bytes = (int)o->data_bytes;
  to.holdout = o->holdout;
  if (o->data && o->masked)
    return cli_error(CLI_USAGE, "--masked: token files (--data) have no masked form");
  if (o->data_bytes == 3)
    return cli_error(CLI_USAGE, "--data-bytes: 3 is not 2 or 4");
  if (o->masked && o->vocab < 3)
    return cli_error(CLI_USAGE, "--masked: needs --vocab >= 3 (one id is the mask)");
  if (to.kind == SP_TASK_COPY && m->tokens % 2)
    return cli_error(CLI_USAGE, "--task copy: --tokens %ld is odd (a_1..a_n a_1..a_n)",
                     m->tokens);
  int st;
  st = sp_task_alloc(&to, out);
  if (*out)
    return CLI_OK;
  if (!o->data)
    return cli_status(st, "train: task");
  switch (st) {
  case SP_EIO:
    return cli_error(CLI_FAIL, "--data %s: cannot read", o->data);
  case SP_EPARSE:
    return cli_error(CLI_FAIL, "--data %s: holds an id >= --vocab %ld", o->data, o->vocab);
  case SP_EINVAL:
    return cli_error(CLI_FAIL, "--data %s: not a regular file", o->data);
  case SP_ENOMEM:
    return cli_error(CLI_FAIL, "--data %s: out of memory", o->data);
  case SP_EDOM:
    return cli_error(CLI_FAIL, "--data %s: too short for a window of %ld tokens in both the "
                     "training and the held-out part", o->data, m->tokens + 1);
  default:
    return cli_status(st, o->data);
  }
}

/* The token file of --data, checked before it is read: a regular file,
 * neither empty nor a partial id, at most SP_TASK_DATA_MAX_TOKENS ids and
 * at most half the physical memory once read; its memory into *need (0
 * without --data).  Error recorded. */
static int data_check(const options *o, double *need)
{
  *need = 0.0;
  if (!o->data)
    return CLI_OK;
  if (o->masked)
    return cli_error(CLI_USAGE, "--masked: token files (--data) have no masked form");
  if (o->data_bytes == 3)
    return cli_error(CLI_USAGE, "--data-bytes: 3 is not 2 or 4");
  struct stat sb;
  if (stat(o->data, &sb) != 0)
    return cli_error(CLI_FAIL, "--data %s: cannot read", o->data);
  if (!S_ISREG(sb.st_mode))
    return cli_error(CLI_FAIL, "--data %s: not a regular file (a device, FIFO or directory); "
                     "give a file of token ids", o->data);
  long long size = (long long)sb.st_size, ntok = size / o->data_bytes;
  if (size == 0)
    return cli_error(CLI_FAIL, "--data %s: empty file", o->data);
  if (size % o->data_bytes != 0)
    return cli_error(CLI_FAIL, "--data %s: %lld bytes is not a whole number of %ld-byte ids",
                     o->data, size, o->data_bytes);
  if (ntok > SP_TASK_DATA_MAX_TOKENS)
    return cli_error(CLI_FAIL, "--data %s: %lld ids, more than the limit of %lld (2^28) ids",
                     o->data, ntok, (long long)SP_TASK_DATA_MAX_TOKENS);
  *need = sp_task_data_memory(size, (int)o->data_bytes);
  if (*need < 0.0) {
    char a[32], b[32];
    human_bytes(a, sizeof a, 4.0 * (double)ntok);
    human_bytes(b, sizeof b, sp_sim_memory_limit() / 2.0);
    return cli_error(CLI_FAIL, "--data %s: %lld ids need %s, more than the limit of half the "
                     "physical memory (%s)", o->data, ntok, a, b);
  }
  return CLI_OK;
}

/* The memory of the workspace and `extra` bytes more (the token file),
 * against the physical memory (error recorded). */
static int memory_check(const options *o, const sp_model *m, double extra)
{
  if (o->width % o->heads != 0)
    return cli_error(CLI_USAGE, "--heads: %ld does not divide the width %ld", o->heads, o->width);
  double need, limit = sp_sim_memory_limit();
  int st = sp_train_memory(m, o->width, o->heads, o->vocab, o->batch, (int)o->threads, &need);
  if (st)
    return cli_status(st, "train");
  need += extra;
  if ((limit > 0.0 && need > limit) || need > 1e18) {
    char a[32], b[32];
    human_bytes(a, sizeof a, need);
    human_bytes(b, sizeof b, limit);
    return cli_error(CLI_FAIL, "train: needs %s of memory (width %ld, %ld tokens, batch %ld, "
                     "depth %ld%s), more than the %s of this machine", a, o->width, m->tokens,
                     o->batch, m->depth, extra > 0.0 ? ", the token file" : "", b);
  }
  return CLI_OK;
}

/* Sizes and memory; the workspace. */
int cli_train_workspace(const options *o, const sp_model *m, sp_train **out)
{
  int st = memory_check(o, m, 0.0);
  if (st)
    return st;
  st = sp_train_alloc(m, o->width, o->heads, o->vocab, o->batch, (int)o->threads, out);
  if (!*out)
    return st == SP_ENOMEM ? cli_error(CLI_FAIL, "train: out of memory") : cli_status(st, "train");
  if ((st = sp_train_init(*out, (unsigned long)o->seed)))
    return cli_status(st, "train: weights");
  return CLI_OK;
}


void cli_train_optim(const options *o, sp_optim_options *oo)
{
  sp_optim_options_default(oo);
  oo->optim = (sp_optim)o->optim;
  oo->lr = o->lr;
  oo->beta1 = o->beta1;
  oo->beta2 = o->beta2;
  oo->eps = o->eps;
  oo->momentum = o->momentum;
  oo->weight_decay = o->weight_decay;
  oo->warmup = o->warmup;
  oo->schedule = (sp_schedule)o->schedule;
  oo->steps = o->steps;
}

/* The records of a run: one row per logged step, ncol columns. */
typedef struct {
  long L, ncol, rows, cap;
  double *v;
  double best, seconds;
  long steps_done;
} record;

/* Columns: step, train_loss, eval_loss, lr, 4 per block, L + 1 rho, L entropy. */
static long record_cols(long L)
{
  return 4 + 4 * L + (L + 1) + L;
}

static double *record_row(record *r)
{
  if (r->rows == r->cap) {
    long cap = r->cap ? 2 * r->cap : 64;
    double *v = realloc(r->v, (size_t)cap * (size_t)r->ncol * sizeof *v);
    if (!v)
      return NULL;
    r->v = v;
    r->cap = cap;
  }
  double *row = r->v + (size_t)r->rows++ * (size_t)r->ncol;
  for (long i = 0; i < r->ncol; i++)
    row[i] = NAN;
  return row;
}

/* The held-out loss over the fixed evaluation batches, and rho and the
 * attention entropy of the last of them, into row. */
static int evaluate(sp_train *t, const sp_task *k, const options *o, long L, int *tok, int *tgt,
                    double *row)
{
  double sum = 0.0, loss;
  for (long b = 0; b < o->eval_batches; b++) {
    sp_task_batch(k, 1, b, o->batch, tok, tgt);
    int st = sp_train_loss(t, tok, tgt, &loss);
    if (st)
      return st;
    sum += loss;
  }
  row[2] = sum / (double)o->eval_batches;
  double *rho = malloc((size_t)(2 * L + 2) * sizeof *rho);
  if (!rho)
    return SP_ENOMEM;
  int st = sp_train_layer_stats(t, rho, rho + L + 1);
  memcpy(row + 4 + 4 * L, rho, (size_t)(L + 1) * sizeof *rho);
  memcpy(row + 4 + 4 * L + L + 1, rho + L + 2, (size_t)L * sizeof *rho);
  free(rho);
  return st;
}

static double wall(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void grad_columns(const sp_train_grad_norm *g, long L, double *row)
{
  for (long l = 0; l < L; l++) {
    row[4 + 4 * l] = g[l].wq;
    row[5 + 4 * l] = g[l].wk;
    row[6 + 4 * l] = g[l].wv;
    row[7 + 4 * l] = hypot(g[l].w1, g[l].w2);
  }
}

static int train_loop(sp_train *t, const sp_task *k, const options *o, const sp_model *m,
                      record *r)
{
  long L = m->depth, n = o->batch * m->tokens;
  int *tok = malloc((size_t)n * sizeof *tok), *tgt = malloc((size_t)n * sizeof *tgt);
  sp_train_grad_norm *g = malloc((size_t)L * sizeof *g);
  double *row = record_row(r);
  int st = tok && tgt && g && row ? SP_OK : SP_ENOMEM, progress = !o->quiet && isatty(2);
  sp_optim_options oo;
  cli_train_optim(o, &oo);
  if (!st) {
    row[0] = 0.0;
    st = evaluate(t, k, o, L, tok, tgt, row);
  }
  double t0 = wall();
  for (long s = 1; s <= o->steps && !st; s++) {
    double loss;
    sp_task_batch(k, 0, s - 1, o->batch, tok, tgt);
    if ((st = sp_train_step(t, &oo, s, tok, tgt, &loss)))
      break;
    r->steps_done = s;
    int ev = s % o->eval_every == 0 || s == o->steps;
    if (s % o->log_every && !ev)
      continue;
    if (!(row = record_row(r))) {
      st = SP_ENOMEM;
      break;
    }
    row[0] = (double)s;
    row[1] = loss;
    row[3] = sp_optim_lr(&oo, s);
    sp_train_grad_norms(t, g);
    grad_columns(g, L, row);
    double te = wall();
    if (ev && (st = evaluate(t, k, o, L, tok, tgt, row)))
      break;
    t0 += wall() - te; /* the speed counts training steps only */
    if (progress)
      fprintf(stderr, "\rtrain: step %ld/%ld  loss %.4f  %.1f steps/s   ", s, o->steps, loss,
              (double)s / (wall() - t0));
  }
  r->seconds = wall() - t0;
  if (progress)
    fprintf(stderr, "\r%*s\r", 72, "");
  free(tok);
  free(tgt);
  free(g);
  return st;
}

/* Column names (allocated strings in names[4..]). */
static const char **column_names(long L)
{
  long nc = record_cols(L);
  const char **names = calloc((size_t)nc, sizeof *names);
  if (!names)
    return NULL;
  static const char *const first[] = {"step", "train_loss", "eval_loss", "lr"};
  static const char *const kind[] = {"grad_q", "grad_k", "grad_v", "grad_mlp"};
  memcpy(names, first, sizeof first);
  for (long c = 4; c < nc; c++) {
    char buf[48];
    long j = c - 4;
    if (j < 4 * L)
      snprintf(buf, sizeof buf, "%s_%ld", kind[j % 4], j / 4 + 1);
    else if (j < 5 * L + 1)
      snprintf(buf, sizeof buf, "rho_%ld", j - 4 * L);
    else
      snprintf(buf, sizeof buf, "entropy_%ld", j - 5 * L);
    char *s = malloc(strlen(buf) + 1);
    if (!s)
      return names;
    names[c] = strcpy(s, buf);
  }
  return names;
}

static void free_names(const char **names, long L)
{
  for (long c = 4; names && c < record_cols(L); c++)
    free((char *)names[c]);
  free(names);
}

/* Sum of squares over blocks of gradient kind `kind` (0 Q, 1 K, 2 V) per row. */
static double grad_total(const record *r, long row, int kind)
{
  double s = 0.0;
  for (long l = 0; l < r->L; l++) {
    double g = r->v[(size_t)row * (size_t)r->ncol + (size_t)(4 + 4 * l + kind)];
    s += g * g;
  }
  return sqrt(s);
}

/* Panel 1: gradient norms over all blocks of Q, K and V against the step
 * (x, y: scratch of r->rows). */
static void figure_gradients(sp_plot *p, const record *r, double *x, double *y)
{
  static const char *const label[3] = {"‖∇W_Q‖", "‖∇W_K‖", "‖∇W_V‖"};
  sp_plot_set_axis(p, 1, 'x', "step", SP_SCALE_LINEAR, 0.0,
                   r->v[(size_t)(r->rows - 1) * (size_t)r->ncol]);
  sp_plot_set_axis(p, 1, 'y', "gradient norm", SP_SCALE_LOG, NAN, NAN);
  size_t n = 0;
  for (int kind = 0; kind < 3; kind++) {
    n = 0;
    for (long i = 1; i < r->rows; i++) {
      x[n] = r->v[(size_t)i * (size_t)r->ncol];
      y[n++] = grad_total(r, i, kind);
    }
    if (n)
      sp_plot_series(p, 1, n, x, y, NULL, NULL, label[kind]);
  }
  if (n)
    sp_plot_legend(p, 1, SP_LEGEND_BEST);
}

/* Panel 2: rho and H / log T per layer at step 0 and at the last step
 * (x, y: scratch of L + 1). */
static void figure_layers(sp_plot *p, const record *r, const sp_model *m, double *x, double *y)
{
  long L = r->L;
  sp_plot_set_axis(p, 2, 'x', "layer ℓ", SP_SCALE_LINEAR, 0.0, (double)L);
  sp_plot_set_axis(p, 2, 'y', "ρ_ℓ, H_ℓ / log T", SP_SCALE_LINEAR, -0.03, 1.03);
  const double *rows[2] = {r->v, r->v + (size_t)(r->rows - 1) * (size_t)r->ncol};
  for (int w = 0; w < 2; w++) {
    char lab[64];
    sp_plot_style st;
    sp_plot_style_default(&st);
    st.line = w ? SP_LINE_SOLID : SP_LINE_DASHED;
    for (long l = 0; l <= L; l++) {
      x[l] = (double)l;
      y[l] = rows[w][4 + 4 * L + l];
    }
    snprintf(lab, sizeof lab, "ρ, step %.0f", rows[w][0]);
    sp_plot_series(p, 2, (size_t)L + 1, x, y, NULL, &st, lab);
    if (m->attention == SP_ATTN_UNIFORM)
      continue;
    for (long l = 1; l <= L; l++)
      y[l - 1] = rows[w][4 + 4 * L + L + l] / log((double)m->tokens);
    snprintf(lab, sizeof lab, "H / log T, step %.0f", rows[w][0]);
    st.marker = SP_MARKER_CIRCLE;
    sp_plot_series(p, 2, (size_t)L, x + 1, y, NULL, &st, lab);
  }
  sp_plot_legend(p, 2, SP_LEGEND_BELOW);
}

/* Panel 0: the training loss, the held-out loss and the best loss against
 * the step. */
static void figure_losses(sp_plot *p, const record *r, double *x, double *y)
{
  size_t n = (size_t)r->rows, ne = 0;
  double last = r->v[(n - 1) * (size_t)r->ncol];
  sp_plot_set_axis(p, 0, 'x', "step", SP_SCALE_LINEAR, 0.0, last);
  sp_plot_set_axis(p, 0, 'y', "loss (nats)", SP_SCALE_LINEAR, NAN, NAN);
  for (size_t i = 0; i < n; i++) {
    x[i] = r->v[i * (size_t)r->ncol];
    y[i] = r->v[i * (size_t)r->ncol + 1];
  }
  if (n > 1)
    sp_plot_series(p, 0, n - 1, x + 1, y + 1, NULL, NULL, "train");
  for (size_t i = 0; i < n; i++)
    if (!isnan(r->v[i * (size_t)r->ncol + 2])) {
      x[ne] = r->v[i * (size_t)r->ncol];
      y[ne++] = r->v[i * (size_t)r->ncol + 2];
    }
  sp_plot_style st;
  sp_plot_style_default(&st);
  st.marker = SP_MARKER_CIRCLE;
  sp_plot_series(p, 0, ne, x, y, NULL, &st, "held-out");
  if (isfinite(r->best)) {
    double bx[2] = {0.0, last}, by[2] = {r->best, r->best};
    sp_plot_style_default(&st);
    st.line = SP_LINE_DASHED;
    st.color[0] = st.color[1] = st.color[2] = 0.3;
    sp_plot_series(p, 0, 2, bx, by, NULL, &st, "best");
  }
  sp_plot_legend(p, 0, SP_LEGEND_BEST);
}

static int build_figure(const record *r, const sp_model *m, const options *o, sp_plot **out)
{
  sp_plot *p;
  int s = cli_figure_alloc_laid_out(&o->fig, 560.0, 200.0, 1, 3, &p);
  if (s)
    return s;
  size_t n = (size_t)r->rows + (size_t)r->L + 2;
  double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
  if (!x || !y) {
    s = SP_ENOMEM;
  } else {
    char title[200];
    if (o->fig.title)
      snprintf(title, sizeof title, "%s", o->fig.title);
    else
      cli_model_title(m, sp_param_lookup("rho0"), NULL, title, sizeof title);
    sp_plot_set_title(p, title);
    figure_losses(p, r, x, y);
    figure_gradients(p, r, x, y);
    figure_layers(p, r, m, x, y);
    s = sp_plot_status(p);
  }
  free(x);
  free(y);
  if (s)
    sp_plot_free(p);
  else
    *out = p;
  return s;
}

static void train_meta(cli_meta *meta, const options *o, const sp_model *m, const sp_task *k,
                       const sp_train *t, const record *r)
{
  cli_meta_init(meta, m);
  char best[40];
  sp_io_format_double(best, sizeof best, r->best);
  cli_meta_add(meta, "best_loss", "%s", isfinite(r->best) ? best : "unknown");
  cli_meta_add(meta, "task", "%s%s (vocab %ld, seed %ld)",
               o->data ? o->data : sp_task_name((sp_task_kind)o->task),
               o->masked ? ", masked" : "", o->vocab, o->seed);
  cli_meta_add(meta, "network", "width %ld, %ld head%s, %zu parameters, batch %ld", o->width,
               o->heads, o->heads == 1 ? "" : "s", sp_train_nparams(t), o->batch);
  cli_meta_add(meta, "optimizer", "%s, lr %g, warmup %ld, %s schedule, weight decay %g",
               o->optim == SP_OPTIM_ADAM ? "adam" : "sgd", o->lr, o->warmup,
               o->schedule == SP_SCHED_COSINE ? "cosine" : "constant", o->weight_decay);
  if (o->optim == SP_OPTIM_ADAM)
    cli_meta_add(meta, "adam", "beta1 %g, beta2 %g, eps %g", o->beta1, o->beta2, o->eps);
  else
    cli_meta_add(meta, "sgd", "momentum %g", o->momentum);
  cli_meta_add(meta, "evaluation", "every %ld steps on %ld x %ld held-out sequences",
               o->eval_every, o->eval_batches, o->batch);
  cli_meta_add(meta, "speed", "%.3g steps/s (%ld steps in %.3g s without the evaluations, "
               "kernel %s)",
               r->seconds > 0.0 ? (double)r->steps_done / r->seconds : 0.0, r->steps_done,
               r->seconds, sp_sim_kernel_name());
  (void)k;
}

/* Train, then write the table and the figure to every output (all or none). */
static int run_and_write(const options *o, const sp_model *m, sp_task *k, sp_train *t,
                         cli_outputs *files)
{
  record rec = {m->depth, record_cols(m->depth), 0, 0, NULL, NAN, 0.0, 0};
  int r = CLI_OK;
  rec.best = sp_task_best_loss(k);
  int st = train_loop(t, k, o, m, &rec);
  if (st) {
    char what[64];
    snprintf(what, sizeof what, "train: step %ld", rec.steps_done + 1);
    r = cli_status(st, what);
  }
  cli_meta meta;
  train_meta(&meta, o, m, k, t, &rec);
  const char **names = r ? NULL : column_names(m->depth);
  if (!r && !names)
    r = cli_error(CLI_FAIL, "out of memory");
  sp_table tab = {(size_t)rec.ncol, (size_t)rec.rows, names, rec.v, NULL};
  sp_plot *plot = NULL;
  if (!r && cli_outputs_figure(&o->out) && (st = build_figure(&rec, m, o, &plot)))
    r = cli_status(st, "train: figure");
  r = cli_outputs_end(files, &tab, plot, o->fig.dpi, &meta, r);
  sp_plot_free(plot);
  free_names(names, m->depth);
  free(rec.v);
  return r;
}

int cmd_train(int argc, char **argv)
{
  sp_model m;
  options o;
  defaults(&o, &m);
  cli_opt_group groups[] = {CLI_GROUP(opts, &o), cli_figure_group(&o.fig),
                            cli_output_group(&o.out, 1), cli_model_group(&m)};
  int r = cli_parse(&command, groups, sizeof groups / sizeof groups[0], argc, argv, NULL, NULL);
  if (r || (r = cli_sim_model_check(&m)) || (r = cli_outputs_check(&o.out, 1))
      || (r = cli_figure_check(&o.fig, &o.out)))
    return r;
  if (o.grid_x || o.grid_y)
    return cli_train_grid(&o, &m);
  if ((r = cli_mpi_single("train without --grid-x")))
    return r;
  sp_task *k = NULL;
  sp_train *t = NULL;
  double data_need;
  cli_outputs files;
  /* the memory of the network and of the token file, before either is made */
  if (!(r = data_check(&o, &data_need)) && !(r = memory_check(&o, &m, data_need))
      && !(r = cli_train_task(&o, &m, &k)) && !(r = cli_train_workspace(&o, &m, &t))
      && !(r = cli_outputs_begin(&files, &o.out)))
    r = run_and_write(&o, &m, k, t, &files);
  sp_task_free(k);
  sp_train_free(t);
  return r;
}
