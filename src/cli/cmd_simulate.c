/* sigprop simulate: finite-width networks at initialisation, the per-layer
 * quantities of propagate as mean and standard error over seeds.  Also the
 * simulation options and driver that validate shares.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


void cli_sim_args_default(cli_sim_args *s)
{
  memset(s, 0, sizeof *s);
  s->heads = 1;
  s->seed = 1;
}

static int positive_long(const char *opt, cli_args *a, long min, long *out)
{
  const char *v = cli_value(a);
  if (!v)
    return -1;
  long x;
  if (cli_parse_long(opt, v, &x))
    return -1;
  if (x < min)
    return cli_error(CLI_USAGE, "--%s: %s is below %ld", opt, v, min), -1;
  *out = x;
  return 1;
}

static int flag(cli_args *a, int *f)
{
  if (a->value)
    return cli_error(CLI_USAGE, "--%s takes no value", a->name), -1;
  *f = 1;
  return 1;
}

int cli_sim_option(cli_sim_args *s, cli_args *a)
{
  const char *n = a->name;
  if (strcmp(n, "width") == 0) {
    s->have_width = 1;
    return positive_long("width", a, 2, &s->width);
  }
  if (strcmp(n, "seeds") == 0) {
    s->have_seeds = 1;
    return positive_long("seeds", a, 1, &s->seeds);
  }
  if (strcmp(n, "heads") == 0)
    return positive_long("heads", a, 1, &s->heads);
  if (strcmp(n, "threads") == 0) {
    long t = 0;
    int r = positive_long("threads", a, 1, &t);
    if (r == 1 && t > 1024)
      return cli_error(CLI_USAGE, "--threads: %ld is above 1024", t), -1;
    s->threads = t;
    return r;
  }
  if (strcmp(n, "seed") == 0) {
    long x = 0;
    int r = positive_long("seed", a, 0, &x);
    s->seed = (unsigned long)x;
    return r;
  }
  if (strcmp(n, "tokens-scale") == 0) {
    const char *v = cli_value(a);
    if (!v || cli_parse_double("tokens-scale", v, &s->tokens_scale))
      return -1;
    if (!(s->tokens_scale >= 2.0))
      return cli_error(CLI_USAGE, "--tokens-scale: %s is below 2", v), -1;
    return 1;
  }
  if (strcmp(n, "input-ln") == 0)
    return flag(a, &s->input_ln);
  if (strcmp(n, "gradient") == 0)
    return flag(a, &s->gradient);
  if (strcmp(n, "jacobian") == 0)
    return flag(a, &s->jacobian);
  if (strcmp(n, "quiet") == 0 || strcmp(n, "q") == 0)
    return flag(a, &s->quiet);
  return 0;
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

int cli_sim_check(const cli_sim_args *s, const sp_model *m, const char *cmd)
{
  if (!s->have_width)
    return cli_error(CLI_USAGE, "%s: --width D is required", cmd);
  if (!s->have_seeds)
    return cli_error(CLI_USAGE, "%s: --seeds S is required", cmd);
  if (s->width % s->heads != 0)
    return cli_error(CLI_USAGE, "--heads: %ld does not divide the width %ld", s->heads,
                     s->width);
  double need, limit = sp_sim_memory_limit();
  unsigned flags = (s->gradient ? SP_SIM_GRADIENT : 0) | (s->jacobian ? SP_SIM_JACOBIAN : 0);
  int st = sp_sim_memory(s->width, m->tokens, s->heads, (int)s->threads, flags, &need);
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

static void progress(void *data, long layer, long depth)
{
  const progress_state *p = data;
  fprintf(stderr, "\rsigprop: %s%snetwork %ld/%ld, block %ld/%ld ", p->what ? p->what : "",
          p->what ? ", " : "", p->seed + 1, p->seeds, layer, depth);
  fflush(stderr);
}

static double wall_seconds(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int cli_sim_run(const cli_sim_args *s, const sp_model *m, const char *cmd,
                sp_sim_summary **summary, double *seconds, int *threads, sp_sim_layer **runs_out)
{
  int st;
  unsigned flags = (s->gradient ? SP_SIM_GRADIENT : 0) | (s->jacobian ? SP_SIM_JACOBIAN : 0);
  sp_sim *sim = sp_sim_alloc(s->width, m->tokens, s->heads, (int)s->threads, flags, &st);
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
  sp_sim_options o;
  sp_sim_options_default(&o);
  o.tokens_scale = s->tokens_scale;
  o.gradient = s->gradient;
  o.jacobian = s->jacobian;
  o.input_ln = s->input_ln;
  if (!s->quiet && isatty(STDERR_FILENO)) {
    o.progress = progress;
    o.progress_data = &ps;
  }
  double t0 = wall_seconds();
  for (long k = 0; k < s->seeds; k++) {
    long done;
    ps.seed = k;
    st = sp_sim_run(sim, m, &o, s->seed + (unsigned long)k, runs + (size_t)k * rows, &done);
    if (st) {
      if (o.progress)
        fputc('\n', stderr);
      free(runs);
      free(sum);
      sp_sim_free(sim);
      char what[96];
      snprintf(what, sizeof what, "%s: seed %lu, block %ld", cmd, s->seed + (unsigned long)k,
               done);
      return cli_status(st, what);
    }
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
  cli_meta_add(meta, "seed", "%lu (network k uses seed + k)", s->seed);
  if (s->tokens_scale > 0.0)
    cli_meta_add(meta, "tokens-scale", "%.17g", s->tokens_scale);
  else
    cli_meta_add(meta, "tokens-scale", "%ld (= tokens)", m->tokens);
  cli_meta_add(meta, "input-ln", "%s", s->input_ln ? "yes" : "no");
  cli_meta_add(meta, "gradient", "%s", s->gradient ? "yes" : "no");
  cli_meta_add(meta, "jacobian", "%s", s->jacobian ? "yes (forward-mode tangents, isotropic probes)"
                                                  : "no");
  cli_meta_add(meta, "threads", "%d", threads);
  cli_meta_add(meta, "kernel", "%s", sp_sim_kernel_name());
  double f = sp_sim_flops(m, s->width, s->heads) * (double)s->seeds;
  cli_meta_add(meta, "seconds", "%.3f (wall, all networks)", seconds);
  cli_meta_add(meta, "gflops", "%.1f GFLOP/s (%.1f GFLOP of forward matrix products)",
               seconds > 0.0 ? f / seconds / 1e9 : 0.0, f / 1e9);
}

static const char help[] =
  "Usage: sigprop simulate --width D --seeds S [SIMULATION OPTIONS] [--gradient]\n"
  "                        [--jacobian] [MODEL OPTIONS] [-o FILE]\n\n"
  "Draws S random networks of width D (theory.md §1, §12) and prints, per layer, the\n"
  "mean and standard error over networks of: q, p (mean diagonal and off-diagonal\n"
  "token overlap per unit width), rho = mean p / mean q (a ratio of means), cos (the\n"
  "mean off-diagonal cosine similarity, equal to rho after LayerNorm) and rho_std\n"
  "(the spread of the cosine similarities within a network), and of block l's\n"
  "attention: y2, y3 (sum_s A_ts^2, ^3), entropy (nats), max_attention (largest\n"
  "weight of a row) and overlap (sum_s A_ts A_t's, t != t'); all averaged over rows\n"
  "and heads.  Columns ending in _se are standard errors (empty for one network).\n"
  "Row 0 is the input.  With --gradient, grad_wq = T/(d^2 sqrt(log T')) ||dL/dW_Q||^2\n"
  "of each block's query weights under L = (1/T) sum_t r_t . y_t, r_t ~ N(0, I)\n"
  "(theory.md §9).  With --jacobian, grad_chi = ||J_l u||^2/||u||^2, block l's\n"
  "input-output Jacobian applied to a fresh isotropic probe u, and grad_chi_total\n"
  "= ||(dx_l/dx_0) u_0||^2/||u_0||^2 from the input to layer l, both exact\n"
  "directional derivatives (forward-mode).  '#' lines record every parameter, the\n"
  "seed and the timing.\n\n"
  CLI_SIM_HELP
  "  --gradient         measure the query-weight gradient (a backward pass per block)\n"
  "  --jacobian         measure the Jacobian growth (two tangents, about 3x the work)\n"
  "  -o FILE            write CSV, TSV or JSON (by extension) instead of CSV on stdout\n\n";

static const char *const columns[] = {
  "layer", "q", "q_se", "p", "p_se", "rho", "rho_se", "cos", "cos_se", "rho_std", "rho_std_se",
  "y2", "y2_se", "y3", "y3_se", "entropy", "entropy_se", "max_attention", "max_attention_se",
  "overlap", "overlap_se", "grad_wq", "grad_wq_se", "grad_chi", "grad_chi_se",
  "grad_chi_total", "grad_chi_total_se"};
#define NCOL (sizeof columns / sizeof columns[0])
#define NBASE (NCOL - 6) /* without the gradient and Jacobian groups */

int cli_sim_model_check(const sp_model *m)
{
  const char *bad = NULL;
  int s = sp_model_validate(m, &bad);
  if (s && bad && strcmp(bad, "rho0") == 0)
    return cli_error(CLI_USAGE, "--rho0: %g is below -1/(T-1) = %g, impossible for %ld tokens",
                     m->rho0, -1.0 / (double)(m->tokens - 1), m->tokens);
  if (s)
    return cli_error(CLI_USAGE, "--%s: %s", bad ? bad : "model", sp_strerror(s));
  return CLI_OK;
}

int cmd_simulate(int argc, char **argv)
{
  sp_model m;
  sp_model_default(&m);
  cli_sim_args sa;
  cli_sim_args_default(&sa);
  cli_args a = {argc, argv, 1, NULL, NULL, "simulate"};
  const char *out = NULL;
  int r;
  while ((r = cli_next(&a, NULL, NULL, 0)) == 1) {
    int k = cli_model_option(&m, &a);
    if (k == 0)
      k = cli_sim_option(&sa, &a);
    if (k < 0)
      return CLI_USAGE;
    if (k)
      continue;
    if (strcmp(a.name, "help") == 0 || strcmp(a.name, "h") == 0) {
      cli_set_help(help, cli_model_help);
      return CLI_OK;
    }
    if (strcmp(a.name, "o") == 0 || strcmp(a.name, "output") == 0) {
      if (!(out = cli_value(&a)))
        return CLI_USAGE;
      continue;
    }
    return cli_error(CLI_USAGE, "simulate: unknown option '%s' (see --help)", a.argv[a.i - 1]);
  }
  if (r < 0)
    return CLI_USAGE;
  if ((r = cli_sim_model_check(&m)))
    return r;
  if (out && strcmp(out, "-") != 0 && !sp_format_is_table(sp_format_from_path(out)))
    return cli_error(CLI_USAGE, "-o %s: a table is written as .csv, .tsv or .json", out);
  if ((r = cli_sim_check(&sa, &m, "simulate")))
    return r;

  sp_sim_summary *sum;
  double seconds;
  int threads;
  if ((r = cli_sim_run(&sa, &m, "simulate", &sum, &seconds, &threads, NULL)))
    return r;
  size_t rows = (size_t)m.depth + 1;
  double *num = malloc(rows * NCOL * sizeof *num);
  if (!num) {
    free(sum);
    return cli_error(CLI_FAIL, "out of memory for %zu layers", rows);
  }
  /* the gradient and Jacobian groups only when measured */
  const char *names[NCOL];
  size_t ncol = NBASE;
  memcpy(names, columns, NBASE * sizeof *names);
  if (sa.gradient) {
    names[ncol++] = "grad_wq";
    names[ncol++] = "grad_wq_se";
  }
  if (sa.jacobian)
    for (size_t k = NCOL - 4; k < NCOL; k++)
      names[ncol++] = columns[k];
  for (size_t l = 0; l < rows; l++) {
    const sp_sim_summary *S = &sum[l];
    double row[NCOL] = {(double)S->layer, S->q.mean, S->q.se, S->p.mean, S->p.se, S->rho.mean,
                        S->rho.se, S->cos_mean.mean, S->cos_mean.se, S->cos_std.mean,
                        S->cos_std.se, S->y2.mean, S->y2.se, S->y3.mean, S->y3.se,
                        S->entropy.mean, S->entropy.se, S->max_attention.mean,
                        S->max_attention.se, S->overlap.mean, S->overlap.se};
    size_t k = NBASE;
    if (sa.gradient) {
      row[k++] = S->grad_wq.mean;
      row[k++] = S->grad_wq.se;
    }
    if (sa.jacobian) {
      row[k++] = S->grad_chi.mean;
      row[k++] = S->grad_chi.se;
      row[k++] = S->grad_chi_total.mean;
      row[k++] = S->grad_chi_total.se;
    }
    memcpy(num + l * ncol, row, ncol * sizeof *num);
  }
  cli_meta meta;
  cli_meta_init(&meta, &m);
  cli_sim_meta(&meta, &sa, &m, threads, seconds);
  sp_table t = {ncol, rows, names, num, NULL};
  r = cli_write_table(out, &t, &meta);
  free(num);
  free(sum);
  return r;
}
