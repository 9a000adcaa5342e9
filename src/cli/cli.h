/* The sigprop program: shared declarations of the subcommands.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_CLI_H
#define SIGPROP_CLI_H

#include "sigprop.h"
#include "opt.h"

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

/* Exit statuses of the program (design.md). */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Record an error message for main() to print as "sigprop: <msg>" and
 * return `code`.  Only the first message of a run is kept. */
int cli_error(int code, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 2, 3)))
#endif
  ;

/* A one-line note on stderr now, "sigprop: note: <text>" (e.g. an old
 * spelling that still works); not an error. */
void cli_note(const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 1, 2)))
#endif
  ;

/* Help text (allocated; main frees it) that main() prints on stdout when
 * the command returns CLI_HELP (see opt.h). */
void cli_set_help(char *text);

/* ---- option parsing (options.c) ------------------------------------ */

/* Copy `spec` into buf (of `size` bytes); CLI_OK, or CLI_USAGE after
 * recording "--OPT: too long" when it does not fit. */
int cli_copy_spec(const char *opt, const char *spec, char *buf, size_t size);

/* A comma-separated list: spec (at most size - 1 bytes, "--OPT: too long"
 * beyond; size <= 1024) cut at each ',' and item(base, opt, text) called on
 * each item in turn, empty ones too when keep_empty, skipped otherwise;
 * "--OPT: at most MAX values" before an item beyond the first `max` handed
 * (max 0: no limit).  CLI_OK, or the first error (recorded). */
int cli_list_each(const char *opt, const char *spec, size_t size, int keep_empty, int max,
                  int (*item)(void *base, const char *opt, const char *text), void *base);

/* Split `spec` at colons into at most `max` fields, copied into buf (of
 * `size` bytes) and pointed to by field[]; returns the number of fields, or
 * -1 after recording a usage error (a spec too long for buf).  A spec with
 * more than `max` fields leaves the rest in the last one. */
int cli_split_fields(const char *opt, const char *spec, char *buf, size_t size, char **field,
                     int max);

/* The spacing field of an axis: "log" (1), "lin" or "linear" (0); error
 * recorded with the option name. */
int cli_parse_spacing(const char *opt, const char *s, int *log_spacing);

/* A range option's value "MIN:MAX:N", or "MIN:MAX:N[:log|lin]" when
 * log_spacing is not NULL (log 1, linear 0 when absent): split into buf
 * (size bytes) with the fields in field[5] for the caller's messages, and
 * the numbers parsed.  The caller checks the domain and MIN < MAX, in the
 * order its messages need.  CLI_OK or CLI_USAGE after recording the error.
 * (The axes "NAME:MIN:MAX:N[:log]" are the library's: sp_axis_parse.) */
int cli_parse_range(const char *opt, const char *spec, char *buf, size_t size, char **field,
                    double *min, double *max, long *n, int *log_spacing);

/* Two numbers "A,B" (e.g. --size 252,240); error recorded with the option. */
int cli_parse_pair(const char *opt, const char *s, double *a, double *b);

/* The shared model options (documented in sigprop(1)), applied to m. */
cli_opt_group cli_model_group(sp_model *m);

/* The model options of the MLP alone: --activation, --var-w, --var-b,
 * --erf-scale. */
cli_opt_group cli_mlp_model_group(sp_model *m);

/* The figure options shared by the commands that draw. */
typedef struct {
  const char *title; /* NULL: a title describing the model */
  double width, height, dpi; /* size in points */
  double px_w, px_h; /* --size in pixels (0: not): width and height follow --dpi */
  const char *font;  /* font family, NULL: DejaVu Sans */
  double font_size;  /* base font size in points, 0: 7.5 */
} cli_figure;

/* The resolution of every command's raster figures unless --dpi. */
#define CLI_FIGURE_DPI 300.0

/* A command's figure defaults: width x height points (0 x 0 when the size
 * depends on the layout: cli_figure_alloc_laid_out) at CLI_FIGURE_DPI. */
void cli_figure_default(cli_figure *f, double width, double height);

cli_opt_group cli_figure_group(cli_figure *f);

/* ---- figure options (figure.c) ----------------------------------- */

/* --size: "W,H", "WxH" or "W×H", each number with an optional unit (pt,
 * the default; px; in; cm; mm; one unit at the end applies to both), or
 * "column" (3.25 in wide) or "page" (6.75 in wide), as tall as *height
 * but at most 0.8 times the width (height 0 when *height is 0: see
 * cli_figure_alloc_laid_out).  Sizes in points, in [72, 7200];
 * pixels (dpi > 0) come back unconverted and unchecked with *px = 1
 * (cli_figure_check checks them at the final resolution).  CLI_OK or a
 * recorded error. */
int cli_size_parse(const char *v, double dpi, double *width, double *height, int *px);

/* CLI_CALL handlers of the figure table (base: a cli_figure): --size,
 * --dpi (a pixel size follows it) and --font (a family fontconfig knows). */
int cli_figure_size_call(void *base, const cli_opt *o, const char *v);
int cli_figure_dpi_call(void *base, const cli_opt *o, const char *v);
int cli_figure_font_call(void *base, const cli_opt *o, const char *v);

/* An empty figure of f's size with rows x cols panels and f's font; an
 * sp_plot status. */
int cli_figure_alloc(const cli_figure *f, size_t rows, size_t cols, sp_plot **out);

/* cli_figure_alloc for a command whose figure's size depends on its layout
 * (f's width and height 0 before parsing): width x height unless --size
 * gave one; a --size column or page, which then has no height yet, gets
 * this height, at most 0.8 times its width.  f itself is left as parsed. */
int cli_figure_alloc_laid_out(const cli_figure *f, double width, double height, size_t rows,
                              size_t cols, sp_plot **out);

/* --colormap NAME into a const sp_colormap * (CLI_CALL_AT). */
int cli_colormap_call(void *target, const cli_opt *o, const char *v);
void cli_colormap_show(const void *target, const cli_opt *o, char *buf, size_t size);

/* Before the work, once every option is read: refuse a --size in pixels
 * outside [72, 7200] points at the final --dpi, and a PNG among the -o
 * paths that would be more than SP_PLOT_MAX_PIXELS a side (--size at
 * --dpi), naming both numbers (the memory it needs is checked when it is
 * written).  A size left to the layout (0, cli_figure_alloc_laid_out) passes. */
int cli_figure_check(const cli_figure *f, const cli_list *out);

/* The end of a figure builder: hand `p` over in *out when `status` and the
 * figure's own status are SP_OK (and return SP_OK); otherwise free it and
 * return the first of the two errors. */
int cli_figure_done(sp_plot *p, int status, sp_plot **out);

/* The library's model options of this run (what the model groups
 * applied), or NULL when out of memory. */
sp_modelopt *cli_model_options(void);

/* The framework form of the model: the widths and stds of the last
 * --preset, then of --d-model, --heads, --d-ff, --init-std and --std-*
 * (NaN and 0 where none was given). */
const sp_stds *cli_model_stds(void);

/* Which inputs the model options (or the preset) gave rather than left at
 * their defaults. */
enum {
  CLI_GIVEN_RHO0 = SP_GIVEN_RHO0,
  CLI_GIVEN_Q0 = SP_GIVEN_Q0,
  CLI_GIVEN_TOKENS = SP_GIVEN_TOKENS,
  CLI_GIVEN_STATS = SP_GIVEN_STATS,
  CLI_GIVEN_CAUSAL = SP_GIVEN_CAUSAL,
  CLI_GIVEN_DEPTH = SP_GIVEN_DEPTH,
  CLI_GIVEN_OVERLAP = SP_GIVEN_OVERLAP
};

/* A colour range LO:HI (--range of diagram and mlp); NaN where automatic. */
typedef struct {
  double lo, hi;
} cli_range;

/* --range LO:HI into a cli_range (CLI_CALL_AT): two finite numbers, LO < HI. */
int cli_range_call(void *target, const cli_opt *o, const char *v);

/* The preset of the last --preset option applied, or NULL when there was
 * none (after --config: the config's preset). */
const sp_preset *cli_model_preset(void);

/* The config of --config when it was the last architecture option
 * (--preset or --config), else NULL. */
const sp_config *cli_model_config(void);

/* Validate the final model; records "--NAME: ..." on failure. */
int cli_model_check(const sp_model *m);

/* cli_model_check for a command `cmd` that sweeps the model (diagram,
 * critical, recommend); every model can be swept since the exact row
 * overlap is tabulated. */
int cli_model_check_sweep(const sp_model *m, const char *cmd);


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
/* The config of --config: its file and family, and one line per field it
 * lacked, keyed by the field's name ("n_inner: 3072 (assumed: ...)"). */
void cli_meta_add_config(cli_meta *meta, const sp_config *c);
/* Only the version and command-line lines (for outputs without a model). */
void cli_meta_begin(cli_meta *meta);
void cli_meta_add(cli_meta *meta, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 3, 4)))
#endif
  ;

/* The items of meta that describe the result, not the run: without the
 * keys threads, kernel, seconds and gflops, so that a figure drawn again
 * from the same input is the same file.  Copies at most max into out;
 * returns how many. */
size_t cli_meta_figure(const cli_meta *meta, sp_meta *out, size_t max);

/* The command line of this run (set by main). */
extern const char *cli_command_line;

/* Write table `t` to `path` (format by extension; NULL or "-" means CSV
 * on stdout), atomically.  Returns CLI_OK or an error code. */
int cli_write_table(const char *path, const sp_table *t, const cli_meta *meta);

/* Draw every polyline of c in panel 0 of p as one series (NaN-separated),
 * with style st and legend label (may be NULL).  A Cairo/plot status. */
int cli_plot_contour(sp_plot *p, const sp_contour *c, const sp_plot_style *st,
                     const char *label);

/* --dpi D (in [10, 2400]); CLI_OK or a recorded usage error. */
int cli_parse_dpi(const char *v, double *dpi);

/* Open `path` for writing atomically (error recorded). */
int cli_open_output(const char *path, sp_outfile **f);

/* A short figure title describing model m ("gpt2-small: pre-LN decoder
 * (causal), GELU MLP, L = 60, β = 0.164, ρ_0 = 0.025, finite T = 512", in
 * plot markup; numbers to three significant digits; the preset, the causal
 * mask and finite-T statistics only when they apply), leaving out the
 * parameters skip1 and skip2 (may be NULL) that the figure varies. */
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

/* Print PREFIX, MSG and a newline on fp, as one line: newlines, tabs
 * and other control characters as \n, \t, \xHH, bytes that are not UTF-8
 * as \xHH. */
void cli_print_line(FILE *fp, const char *prefix, const char *msg);

/* At the end of a run that succeeded: flush standard output and return
 * CLI_OK, or print "sigprop: standard output: <reason>" and return CLI_FAIL
 * (e.g. sigprop --help > /dev/full). */
int cli_stdout_status(void);

/* Install the program's handler of SIGINT, SIGTERM, SIGHUP and SIGPIPE
 * (signals.c): it removes every pending temporary output file and exits
 * with 128 + the signal's number (130, 143, 129, 141).  A signal ignored
 * when the program starts stays ignored. */
void cli_signals_install(void);

/* The set of those signals (blocked while outputs are renamed). */
void cli_signals_set(sigset_t *set);

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

/* ---- the -o convention (outputs.c) ------------------------------- */

/* The -o option: tables only, or tables and figures when `figures`. */
cli_opt_group cli_output_group(cli_list *out, int figures);

/* Add a path to the -o list (for an old spelling such as --plot FILE). */
int cli_outputs_add(cli_list *out, const char *path);

/* Check the -o list before the work: known extensions (figures only when
 * `figures`), a path at most once, '-' at most once. */
int cli_outputs_check(const cli_list *out, int figures);

/* 1 when some -o path is a figure. */
int cli_outputs_figure(const cli_list *out);

/* 1 when the table goes to standard output: no -o, or -o -. */
int cli_outputs_stdout(const cli_list *out);

/* The files of one run, opened before the work and committed after it. */
typedef struct {
  const char *paths[CLI_LIST_MAX];
  sp_outfile *files[CLI_LIST_MAX];
  int n, open, to_stdout;
} cli_outputs;

/* Open every -o file (temporary names; nothing is committed yet). */
int cli_outputs_begin(cli_outputs *o, const cli_list *out);

/* Write table t (and `plot`, may be NULL without figure paths) to standard
 * output when it is due, then to every file, and commit them all, or abort
 * them all when `status` (an earlier error of the run) or a write fails.
 * Returns CLI_OK or the error code. */
int cli_outputs_end(cli_outputs *o, const sp_table *t, sp_plot *plot, double dpi,
                    const cli_meta *meta, int status);

/* The two halves of cli_outputs_end, for a run whose outputs are in
 * several groups (diagram: -o and --curves), all or nothing across them:
 * cli_outputs_write writes (standard output when due, then every file of
 * the group) and commits nothing; cli_outputs_commit_all closes every file
 * of the `ng` groups, then renames them all, or aborts them all when
 * `status` or a close fails. */
int cli_outputs_write(cli_outputs *o, const sp_table *t, sp_plot *plot, double dpi,
                      const cli_meta *meta, int status);
int cli_outputs_commit_all(cli_outputs *const *groups, int ng, int status);

/* Write one open output: table t or the figure, by the path's extension
 * (the figure checked by cli_check_figure_memory first). */
int cli_output_write(const char *path, sp_outfile *f, const sp_table *t, sp_plot *plot,
                     double dpi, const cli_meta *meta);

/* As cli_outputs_end for output that is not a table: write(fp, ctx) writes
 * the whole content to standard output (when due) and to every file. */
int cli_outputs_end_with(cli_outputs *o, void (*write)(FILE *fp, void *ctx), void *ctx,
                         int status);

/* Map a library status of an operation `what` to an error message. */
int cli_status(int status, const char *what);

/* A workspace for m, prepared, in *w (NULL when m needs none); CLI_OK, or
 * CLI_FAIL after reporting "out of memory" or, under `what`, the error of
 * the preparation (nothing left allocated then). */
int cli_workspace(const sp_model *m, const char *what, sp_workspace **w);

/* ---- simulation (cmd_simulate.c), shared with validate ------------ */

/* The simulation options of simulate and validate. */
typedef struct {
  long width, seeds, heads, threads; /* threads 0: online processors */
  long seed;                         /* seed of the first network, >= 0 */
  sp_sim_options run; /* --tokens-scale, --input-ln, --gradient, --jacobian */
  int quiet;
  const char *progress_what; /* names the run in the progress line (may be NULL) */
} cli_sim_args;

void cli_sim_args_default(cli_sim_args *s);

/* The simulation options (--width and --seeds required; not --gradient or
 * --jacobian, which mean different things to simulate and validate). */
cli_opt_group cli_sim_group(cli_sim_args *s);

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
int cmd_inspect(int argc, char **argv);
int cmd_diagram(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_attention(int argc, char **argv);
int cmd_train(int argc, char **argv);

#endif
