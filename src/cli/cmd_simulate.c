/* sigprop simulate: finite-width networks at initialisation, the per-layer
 * quantities of propagate as mean and standard error over seeds.  Also the
 * simulation options and driver that validate shares.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"
#include "mpi_split.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


void cli_sim_args_default(cli_sim_args *s)
{
  memset(s, 0, sizeof *s);
  sp_sim_options_default(&s->run);
  s->heads = 1;
  s->seed = 1;
}

static const cli_opt sim_opts[] = {
  {"width", 0, CLI_OPT_LONG, offsetof(cli_sim_args, width), 2, INFINITY, NULL, NULL, NULL, "D",
   "width d of the network", CLI_OPT_REQUIRED},
  {"seeds", 0, CLI_OPT_LONG, offsetof(cli_sim_args, seeds), 1, INFINITY, NULL, NULL, NULL, "S",
   "number of networks to average", CLI_OPT_REQUIRED},
  CLI_LONG("heads", 0, cli_sim_args, heads, 1, INFINITY, "H", "attention heads, dividing D"),
  CLI_LONG("seed", 0, cli_sim_args, seed, 0, 9e15, "N",
           "seed of the first network; network k uses N + k"),
  CLI_LONG("threads", 0, cli_sim_args, threads, 1, 1024, "N",
           "threads [number of online processors]"),
  CLI_DOUBLE("tokens-scale", 0, cli_sim_args, run.tokens_scale, 2.0, INFINITY, "T'",
             "sigma_a = beta sqrt(log T') instead of sqrt(log T) [T]"),
  CLI_FLAG("input-ln", 0, cli_sim_args, run.input_ln, "LayerNorm the input tokens"),
  CLI_FLAG("quiet", 0, cli_sim_args, quiet, "no progress line on a terminal"),
};

cli_opt_group cli_sim_group(cli_sim_args *s)
{
  cli_opt_group g = {"Simulation options", sim_opts, sizeof sim_opts / sizeof sim_opts[0], s};
  return g;
}

static void human_bytes(char *buf, size_t n, double b)
{
  if (b >= 1e12)
    snprintf(buf, n, "%.1f TB", b / 1e12);
  else if (b >= 1e9)
    snprintf(buf, n, "%.1f GB", b / 1e9);
  else if (b >= 1e6)
    snprintf(buf, n, "%.1f MB", b / 1e6);
  else
    snprintf(buf, n, "%.0f kB", b / 1e3);
}

/* The workspace flags the run's measurements need. */
static unsigned sim_flags(const cli_sim_args *s)
{
  return (s->run.gradient ? SP_SIM_GRADIENT : 0) | (s->run.jacobian ? SP_SIM_JACOBIAN : 0);
}

int cli_sim_check(const cli_sim_args *s, const sp_model *m, const char *cmd)
{
  if (s->width % s->heads != 0)
    return cli_error(CLI_USAGE, "--heads: %ld does not divide the width %ld", s->heads,
                     s->width);
  double need, limit = sp_sim_memory_limit();
  int st = sp_sim_memory(s->width, m->tokens, s->heads, (int)s->threads, sim_flags(s), &need);
  if (st)
    return cli_status(st, cmd);
  /* the per-layer records of every network */
  need += (double)s->seeds * (double)(m->depth + 1) * (sizeof(sp_sim_layer) + sizeof(sp_sim_summary));
  if ((limit > 0.0 && need > limit) || need > 1e18) {
    char a[32], b[32];
    human_bytes(a, sizeof a, need);
    human_bytes(b, sizeof b, limit);
    return cli_error(CLI_FAIL, "%s: needs %s of memory (width %ld, %ld tokens, %ld head%s), "
                     "more than the %s of this machine", cmd, a, s->width, m->tokens, s->heads,
                     s->heads == 1 ? "" : "s", b);
  }
  return CLI_OK;
}

typedef struct {
  long seed, seeds;
  const char *what;
} progress_state;

static void progress(void *arg, size_t layer, size_t depth)
{
  const progress_state *p = arg;
  fprintf(stderr, "\rsigprop: %s%snetwork %ld/%ld, block %zu/%zu ", p->what ? p->what : "",
          p->what ? ", " : "", p->seed + 1, p->seeds, layer, depth);
  fflush(stderr);
}

static double wall_seconds(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The networks of one run: a farm's work items (one per seed). */
typedef struct {
  const cli_sim_args *s;
  const sp_model *m;
  const char *cmd;
  sp_sim *sim;
  sp_sim_options *o;
  progress_state *ps;
  sp_sim_layer *runs;
  size_t rows;
} sim_job;

static int sim_compute(void *ctx, size_t first, size_t count)
{
  sim_job *j = ctx;
  for (size_t k = first; k < first + count; k++) {
    long done;
    j->ps->seed = (long)k;
    unsigned long seed = (unsigned long)j->s->seed + k;
    int st = sp_sim_run(j->sim, j->m, j->o, seed, j->runs + k * j->rows, &done);
    if (st) {
      if (j->o->progress)
        fputc('\n', stderr);
      char what[96];
      snprintf(what, sizeof what, "%s: seed %lu, block %ld", j->cmd, seed, done);
      return cli_status(st, what);
    }
  }
  return CLI_OK;
}

static const void *sim_result(void *ctx, size_t first)
{
  const sim_job *j = ctx;
  return j->runs + first * j->rows;
}

static int sim_store(void *ctx, size_t first, size_t count, const void *bytes)
{
  sim_job *j = ctx;
  memcpy(j->runs + first * j->rows, bytes, count * j->rows * sizeof *j->runs);
  return CLI_OK;
}

int cli_sim_run(const cli_sim_args *s, const sp_model *m, const char *cmd,
                sp_sim_summary **summary, double *seconds, int *threads, sp_sim_layer **runs_out)
{
  int st;
  sp_sim *sim = NULL;
  st = sp_sim_alloc(s->width, m->tokens, s->heads, (int)s->threads, sim_flags(s), &sim);
  if (!sim)
    return st == SP_ENOMEM ? cli_error(CLI_FAIL, "%s: out of memory", cmd) : cli_status(st, cmd);
  *threads = sp_sim_threads(sim);
  size_t rows = (size_t)m->depth + 1;
  sp_sim_layer *runs = malloc((size_t)s->seeds * rows * sizeof *runs);
  sp_sim_summary *sum = malloc(rows * sizeof *sum);
  if (!runs || !sum) {
    free(runs);
    free(sum);
    sp_sim_free(sim);
    return cli_error(CLI_FAIL, "%s: out of memory for %ld x %zu layer records", cmd, s->seeds,
                     rows);
  }
  progress_state ps = {0, s->seeds, s->progress_what};
  sp_sim_options o = s->run;
  if (!s->quiet && isatty(STDERR_FILENO) && cli_mpi_size() == 1) {
    o.progress = progress;
    o.progress_arg = &ps;
  }
  double t0 = wall_seconds();
  /* One network per item; under MPI the networks are spread over the ranks. */
  sim_job job = {s, m, cmd, sim, &o, &ps, runs, rows};
  cli_farm farm = {(size_t)s->seeds, rows * sizeof *runs, 1, sim_compute, sim_result, sim_store,
                   &job, cmd, !s->quiet};
  int r = cli_farm_run(&farm);
  if (r) {
    free(runs);
    free(sum);
    sp_sim_free(sim);
    return r;
  }
  *seconds = wall_seconds() - t0;
  if (o.progress)
    fprintf(stderr, "\r%*s\r", 72, "");
  sp_sim_summarise(runs, (size_t)s->seeds, rows, sum);
  if (runs_out)
    *runs_out = runs;
  else
    free(runs);
  sp_sim_free(sim);
  *summary = sum;
  return CLI_OK;
}

void cli_sim_meta(cli_meta *meta, const cli_sim_args *s, const sp_model *m, int threads,
                  double seconds)
{
  cli_meta_add(meta, "width", "%ld", s->width);
  cli_meta_add(meta, "heads", "%ld", s->heads);
  cli_meta_add(meta, "seeds", "%ld", s->seeds);
  cli_meta_add(meta, "seed", "%ld (network k uses seed + k)", s->seed);
  if (s->run.tokens_scale > 0.0)
    cli_meta_add(meta, "tokens-scale", "%.17g", s->run.tokens_scale);
  else
    cli_meta_add(meta, "tokens-scale", "%ld (= tokens)", m->tokens);
  cli_meta_add(meta, "input-ln", "%s", s->run.input_ln ? "yes" : "no");
  cli_meta_add(meta, "gradient", "%s", s->run.gradient ? "yes" : "no");
  cli_meta_add(meta, "jacobian", "%s", s->run.jacobian ? "yes (forward-mode tangents, isotropic probes)"
                                                  : "no");
  cli_meta_add(meta, "threads", "%d", threads);
  cli_meta_add(meta, "kernel", "%s", sp_sim_kernel_name());
  double f = sp_sim_flops(m, s->width, s->heads) * (double)s->seeds;
  cli_meta_add(meta, "seconds", "%.3f (wall, all networks)", seconds);
  cli_meta_add(meta, "gflops", "%.1f GFLOP/s (%.1f GFLOP of forward matrix products)",
               seconds > 0.0 ? f / seconds / 1e9 : 0.0, f / 1e9);
}

static const cli_command command = {
  "simulate",
  "--width D --seeds S [SIMULATION OPTIONS] [--gradient] [--jacobian] [MODEL OPTIONS] "
  "[-o FILE]...",
  "Draws S random networks of width D (theory.md §1, §12) and prints, per layer, the mean and "
  "standard error over networks of: q, p (mean diagonal and off-diagonal token overlap per unit "
  "width), rho = mean p / mean q (a ratio of means), cos (the mean off-diagonal cosine "
  "similarity, equal to rho after LayerNorm) and rho_std (the spread of the cosine "
  "similarities within a network), and of block l's attention: y2, y3 (sum_s A_ts^2, ^3), "
  "entropy (nats), max_attention (largest weight of a row) and overlap (sum_s A_ts A_t's, t != "
  "t'); all averaged over rows and heads.  Columns ending in _se are standard errors (empty "
  "for one network).  Row 0 is the input.  With --gradient, grad_wq = T/(d^2 sqrt(log T')) "
  "||dL/dW_Q||^2 of each block's query weights under L = (1/T) sum_t r_t . y_t, r_t ~ N(0, I) "
  "(theory.md §9).  With --jacobian, grad_chi = ||J_l u||^2/||u||^2, block l's input-output "
  "Jacobian applied to a fresh isotropic probe u, and grad_chi_total = ||(dx_l/dx_0) "
  "u_0||^2/||u_0||^2 from the input to layer l, both exact directional derivatives "
  "(forward-mode).  '#' lines record every parameter, the seed and the timing.",
  0, NULL};

typedef struct {
  cli_sim_args sim;
  cli_list out;
} options;

static const cli_opt opts[] = {
  CLI_FLAG("gradient", 0, options, sim.run.gradient,
           "measure the query-weight gradient (a backward pass per block)"),
  CLI_FLAG("jacobian", 0, options, sim.run.jacobian,
           "measure the Jacobian growth (two tangents, about 3x the work)"),
};

#define NCOL SP_SIM_TABLE_NCOL
#define NBASE SP_SIM_TABLE_NBASE /* without the gradient and Jacobian groups */

int cli_sim_model_check(const sp_model *m)
{
  /* The simulator draws networks and measures them: it uses no attention
   * statistics, so a negative rho0 that T tokens allow is valid here even
   * though the T -> infinity theory has no such limit. */
  sp_model c = *m;
  c.stats = SP_STATS_FINITE;
  return cli_model_check(&c);
}

int cmd_simulate(int argc, char **argv)
{
  sp_model m;
  sp_model_default(&m);
  options o = {0};
  cli_sim_args_default(&o.sim);
  cli_opt_group groups[] = {CLI_GROUP(opts, &o), cli_sim_group(&o.sim),
                            cli_output_group(&o.out, 0), cli_model_group(&m)};
  int r = cli_parse(&command, groups, 4, argc, argv, NULL, NULL);
  if (r || (r = cli_sim_model_check(&m)) || (r = cli_outputs_check(&o.out, 0))
      || (r = cli_sim_check(&o.sim, &m, "simulate")))
    return r;
  const cli_sim_args *sap = &o.sim;
  cli_outputs files;
  if ((r = cli_outputs_begin(&files, &o.out)))
    return r;
  sp_sim_summary *sum;
  double seconds;
  int threads;
  if ((r = cli_sim_run(sap, &m, "simulate", &sum, &seconds, &threads, NULL)))
    return cli_outputs_end(&files, NULL, NULL, 0.0, NULL, r);
  size_t rows = (size_t)m.depth + 1;
  double *num = malloc(rows * NCOL * sizeof *num);
  if (!num) {
    free(sum);
    r = cli_error(CLI_FAIL, "out of memory for %zu layers", rows);
    return cli_outputs_end(&files, NULL, NULL, 0.0, NULL, r);
  }
  /* the gradient and Jacobian groups only when measured */
  const char *names[NCOL];
  size_t keep[NCOL], ncol = 0;
  for (size_t k = 0; k < NCOL; k++)
    if (k < NBASE || (k < NBASE + 2 && sap->run.gradient) || (k >= NBASE + 2 && sap->run.jacobian)) {
      keep[ncol] = k;
      names[ncol++] = sp_sim_table_column(k);
    }
  for (size_t l = 0; l < rows; l++) {
    double row[NCOL];
    sp_sim_table_row(&sum[l], row);
    for (size_t c = 0; c < ncol; c++)
      num[l * ncol + c] = row[keep[c]];
  }
  cli_meta meta;
  cli_meta_init(&meta, &m);
  cli_sim_meta(&meta, sap, &m, threads, seconds);
  sp_table t = {ncol, rows, names, num, NULL};
  r = cli_outputs_end(&files, &t, NULL, 0.0, &meta, CLI_OK);
  free(num);
  free(sum);
  return r;
}
