/* The sigprop program: shared declarations of the subcommands.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_CLI_H
#define SIGPROP_CLI_H

#include "sigprop.h"
#include "opt.h"

#include <stddef.h>

/* Exit statuses of the program (design.md). */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Record an error message for main() to print as "sigprop: <msg>" and
 * return `code`.  Only the first message of a run is kept. */
int cli_error(int code, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 2, 3)))
#endif
  ;

/* Help text that main() prints on stdout when the command returns CLI_OK:
 * the command's own part, then (may be NULL) the shared model options. */
void cli_set_help(const char *text, const char *more);

/* ---- option parsing (options.c) ------------------------------------ */

/* The argument vector of one command, consumed left to right. */
typedef struct {
  int argc;
  char **argv;
  int i;            /* next index */
  const char *name; /* current option name without dashes */
  const char *value;
  const char *cmd;  /* command name, for messages */
} cli_args;

/* Next option: returns 1 and sets a->name (and a->value when the option
 * is given as --name=value), 0 at the end, or a CLI_USAGE error for a
 * positional argument when `positional` is NULL; otherwise positional
 * arguments are stored in positional[*npos] (at most maxpos). */
int cli_next(cli_args *a, const char **positional, int *npos, int maxpos);

/* The value of the current option (from --name=value or the next
 * argument); NULL after recording a usage error. */
const char *cli_value(cli_args *a);

/* Split `spec` at colons into at most `max` fields, copied into buf (of
 * `size` bytes) and pointed to by field[]; returns the number of fields, or
 * -1 after recording a usage error (a spec too long for buf).  A spec with
 * more than `max` fields leaves the rest in the last one. */
int cli_split_fields(const char *opt, const char *spec, char *buf, size_t size, char **field,
                     int max);

/* Two numbers "A,B" (e.g. --size 252,240); error recorded with the option. */
int cli_parse_pair(const char *opt, const char *s, double *a, double *b);

/* Apply a model option (theory.md §1 names, design.md list) to m.
 * Returns 1 when `name` is a model option (and consumed its value), 0 when
 * it is not, or -1 after recording an error. */
int cli_model_option(sp_model *m, cli_args *a);

/* The shared model options (documented in sigprop(1)), applied to m. */
cli_opt_group cli_model_group(sp_model *m);

/* The figure options shared by the commands that draw. */
typedef struct {
  const char *title; /* NULL: a title describing the model */
  double width, height, dpi;
} cli_figure;

cli_opt_group cli_figure_group(cli_figure *f);

/* The framework form of the model: the widths and stds of the last
 * --preset, then of --d-model, --heads, --d-ff, --init-std and --std-*
 * (NaN and 0 where none was given). */
const sp_stds *cli_model_stds(void);

/* Which inputs the model options (or the preset) gave rather than left at
 * their defaults. */
enum {
  CLI_GIVEN_RHO0 = 1u << 0,
  CLI_GIVEN_Q0 = 1u << 1,
  CLI_GIVEN_TOKENS = 1u << 2,
  CLI_GIVEN_STATS = 1u << 3,
  CLI_GIVEN_CAUSAL = 1u << 4,
  CLI_GIVEN_DEPTH = 1u << 5,
  CLI_GIVEN_OVERLAP = 1u << 6
};
unsigned cli_model_given(void);

/* The preset of the last --preset option that cli_model_option applied,
 * or NULL when there was none. */
const sp_preset *cli_model_preset(void);

/* Validate the final model; records "--NAME: ..." on failure. */
int cli_model_check(const sp_model *m);

/* cli_model_check for a command `cmd` that sweeps the model (diagram,
 * critical, recommend); every model can be swept since the exact row
 * overlap is tabulated. */
int cli_model_check_sweep(const sp_model *m, const char *cmd);

/* The help text of the shared model options. */
extern const char cli_model_help[];

/* ---- output (output.c) ------------------------------------------ */

/* Metadata describing a run: version, command line, every parameter.
 * Call cli_meta_init once, cli_meta_add for extra lines. */
typedef struct {
  sp_meta items[64];
  char store[64][96];
  size_t n;
} cli_meta;

void cli_meta_init(cli_meta *meta, const sp_model *m);
/* The widths and weight stds of the model options (cli_model_stds), one
 * line each where known; cli_meta_init adds them after the parameters. */
void cli_meta_add_stds(cli_meta *meta);
/* Only the version and command-line lines (for outputs without a model). */
void cli_meta_begin(cli_meta *meta);
void cli_meta_add(cli_meta *meta, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 3, 4)))
#endif
  ;

/* The command line of this run (set by main). */
extern const char *cli_command_line;

/* Write table `t` to `path` (format by extension; NULL or "-" means CSV
 * on stdout), atomically.  Returns CLI_OK or an error code. */
int cli_write_table(const char *path, const sp_table *t, const cli_meta *meta);

/* Draw every polyline of c in panel 0 of p as one series (NaN-separated),
 * with style st and legend label (may be NULL).  A Cairo/plot status. */
int cli_plot_contour(sp_plot *p, const sp_contour *c, const sp_plot_style *st,
                     const char *label);

/* --size W,H in points (each in [72, 7200]) and --dpi D (in [10, 2400]);
 * CLI_OK or a recorded usage error. */
int cli_parse_size(const char *v, double *width, double *height);
int cli_parse_dpi(const char *v, double *dpi);

/* Open `path` for writing atomically (error recorded). */
int cli_open_output(const char *path, sp_outfile **f);

/* A short figure title describing model m ("post-LN, ReLU MLP, L = 60,
 * ρ_0 = 0.025", in plot markup), leaving out the parameters skip1 and
 * skip2 (may be NULL) that the figure varies. */
void cli_model_title(const sp_model *m, const sp_param *skip1, const sp_param *skip2, char *buf,
                     size_t size);

/* Several outputs of one run, all or none: cli_outputs_open opens every
 * path (aborting the opened ones on failure); cli_outputs_finish writes the
 * table `t` to the table paths and `plot` (may be NULL when there is no
 * figure path) to the others, then commits them all, or aborts them all when
 * `status` (an earlier error of the run) or a write fails.  Returns CLI_OK
 * or the error code. */
int cli_outputs_open(const char *const *paths, int n, sp_outfile **files);
int cli_outputs_finish(const char *const *paths, int n, sp_outfile **files, const sp_table *t,
                       sp_plot *plot, double dpi, const cli_meta *meta, int status);

/* The second half of cli_outputs_finish, for commands that write their
 * files themselves: close every file (a full disk shows here), then rename
 * them all into place; or abort them all when `status` is an error or a
 * close fails.  Returns CLI_OK or the error code. */
int cli_outputs_commit(const char *const *paths, int n, sp_outfile **files, int status);

/* Record the failure of writing `path` through `f` with library status
 * `status`: the system's reason (strerror) when the write failed. */
int cli_write_error(const char *path, const sp_outfile *f, int status);

/* Print "sigprop: MSG" and a newline on fp, as one line: newlines, tabs
 * and other control characters as \n, \t, \xHH, bytes that are not UTF-8
 * as \xHH. */
void cli_print_error(FILE *fp, const char *msg);

/* At the end of a run that succeeded: flush standard output and return
 * CLI_OK, or print "sigprop: standard output: <reason>" and return CLI_FAIL
 * (e.g. sigprop --help > /dev/full). */
int cli_stdout_status(void);

/* Install the program's handler of SIGINT, SIGTERM, SIGHUP and SIGPIPE
 * (signals.c): it removes every pending temporary output file and exits
 * with 128 + the signal's number (130, 143, 129, 141).  A signal ignored
 * when the program starts stays ignored. */
void cli_signals_install(void);

/* Refuse, before rendering, a PNG figure wider or taller than
 * SP_PLOT_MAX_PIXELS (usage error) or whose image (4 bytes a pixel) needs
 * more than the memory available (physical memory or ulimit -v/-d; a
 * failure), naming the number and the limit.  Other formats pass. */
int cli_check_figure_memory(const char *path, const sp_plot *plot, sp_format fmt, double dpi);

/* Flush standard output; CLI_OK, or a recorded "standard output: <errno
 * reason>" failure.  Call before committing files written alongside. */
int cli_flush_stdout(void);

/* Check the extensions of -o paths: tables, and figures too when `figures`. */
int cli_check_figure_outputs(const char *const *paths, int n, int figures);

/* Map a library status of an operation `what` to an error message. */
int cli_status(int status, const char *what);

/* ---- simulation (cmd_simulate.c), shared with validate ------------ */

/* The simulation options of simulate and validate. */
typedef struct {
  long width, seeds, heads, threads; /* threads 0: online processors */
  unsigned long seed;                /* seed of the first network */
  double tokens_scale;               /* 0: the number of tokens */
  int gradient, jacobian, quiet, input_ln;
  int have_width, have_seeds;
  const char *progress_what; /* names the run in the progress line (may be NULL) */
} cli_sim_args;

/* Help lines of the simulation options. */
#define CLI_SIM_HELP \
  "Simulation options:\n" \
  "  --width D          width d of the network (>= 2; required)\n" \
  "  --seeds S          number of networks to average (>= 1; required)\n" \
  "  --heads H          attention heads, dividing D [1]\n" \
  "  --seed N           seed of the first network; network k uses N + k [1]\n" \
  "  --threads N        threads [number of online processors]\n" \
  "  --tokens-scale T'  sigma_a = beta sqrt(log T') instead of sqrt(log T) [T]\n" \
  "  --input-ln         LayerNorm the input tokens\n" \
  "  --quiet            no progress line on a terminal\n"

void cli_sim_args_default(cli_sim_args *s);

/* Like cli_model_option, for the simulation options. */
int cli_sim_option(cli_sim_args *s, cli_args *a);

/* Validate a model for simulation (domains only: the simulator needs no
 * quadrature, and has causal masks). */
int cli_sim_model_check(const sp_model *m);

/* Required options, heads dividing the width, and the memory estimate
 * against the machine's memory (refused with both numbers). */
int cli_sim_check(const cli_sim_args *s, const sp_model *m, const char *cmd);

/* Run every network (progress on a terminal unless --quiet) and summarise
 * them: *summary (m->depth + 1 rows, caller frees), wall time, threads.
 * With `runs` not NULL, *runs receives the records of every network (seeds
 * x (depth + 1), network k's row l at k (depth + 1) + l; caller frees). */
int cli_sim_run(const cli_sim_args *s, const sp_model *m, const char *cmd,
                sp_sim_summary **summary, double *seconds, int *threads, sp_sim_layer **runs);

/* Metadata lines of a simulation. */
void cli_sim_meta(cli_meta *meta, const cli_sim_args *s, const sp_model *m, int threads,
                  double seconds);

/* ---- commands ---------------------------------------------------- */
int cmd_propagate(int argc, char **argv);
int cmd_critical(int argc, char **argv);
int cmd_mlp(int argc, char **argv);
int cmd_presets(int argc, char **argv);
int cmd_recommend(int argc, char **argv);
int cmd_diagram(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_attention(int argc, char **argv);

#endif
