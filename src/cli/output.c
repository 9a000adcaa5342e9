/* Output of the program: metadata, tables, atomic files, error messages.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

void cli_meta_add(cli_meta *meta, const char *key, const char *fmt, ...)
{
  if (meta->n >= sizeof meta->items / sizeof meta->items[0])
    return;
  char text[sizeof meta->store[0]];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  /* Values can hold user text (a preset's name): tables, JSON and figures
   * get well-formed UTF-8, every stray byte as U+FFFD. */
  sp_utf8_repair(meta->store[meta->n], sizeof meta->store[0], text);
  meta->items[meta->n].key = key;
  meta->items[meta->n].value = meta->store[meta->n];
  meta->n++;
}

void cli_meta_begin(cli_meta *meta)
{
  meta->n = 0;
  cli_meta_add(meta, "sigprop", "%s", sp_version());
  /* The command line can be long: keep it out of the fixed-size store,
   * repaired to UTF-8 once (kept until exit). */
  static char *line;
  static const char *line_of;
  if (line_of != cli_command_line) {
    free(line);
    line = sp_utf8_dup(cli_command_line);
    line_of = cli_command_line;
  }
  meta->items[meta->n].key = "command";
  meta->items[meta->n].value = line ? line : "";
  meta->n++;
}

void cli_meta_init(cli_meta *meta, const sp_model *m)
{
  size_t np;
  const sp_param *params = sp_param_table(&np);
  char buf[48];
  const sp_preset *preset = cli_model_preset();
  const sp_config *config = cli_model_config();
  cli_meta_begin(meta);
  if (config)
    cli_meta_add_config(meta, config);
  else if (preset)
    cli_meta_add(meta, "preset", "%s", preset->name);
  cli_meta_add(meta, "norm", "%s", sp_norm_name(m->norm));
  cli_meta_add(meta, "attention", "%s", sp_attention_name(m->attention));
  cli_meta_add(meta, "attention-stats", "%s", sp_stats_name(m->stats));
  cli_meta_add(meta, "activation", "%s", sp_activation_name(m->activation));
  cli_meta_add(meta, "mlp", "%s", m->mlp ? "on" : "none");
  cli_meta_add(meta, "causal", "%s", m->causal ? "yes" : "no");
  cli_meta_add(meta, "beta-c-on", "%s", sp_betac_on_name(m->beta_c_on));
  cli_meta_add(meta, "row-overlap", "%s", sp_row_overlap_name(m->row_overlap));
  for (size_t i = 0; i < np; i++) {
    double v;
    if (strcmp(params[i].name, "var-w") == 0)
      continue;
    sp_model_get(m, &params[i], &v);
    sp_io_format_double(buf, sizeof buf, v);
    cli_meta_add(meta, params[i].name, "%s", buf);
  }
  cli_meta_add_stds(meta);
}

void cli_meta_add_config(cli_meta *meta, const sp_config *c)
{
  cli_meta_add(meta, "config", "%.60s (%s)", c->preset.source, sp_family_name(c->family));
  /* One line per field the file lacks, keyed by the field's own name. */
  for (int f = 0; f < SP_NCF; f++) {
    const char *key = sp_config_field_key(c->family, (sp_config_field)f);
    if (!key || !((c->assumed >> f) & 1))
      continue;
    double v = c->value[f];
    if (f == SP_CF_ACTIVATION)
      cli_meta_add(meta, key, "%s (assumed: the family's default)",
                   sp_activation_name((sp_activation)v));
    else if (f == SP_CF_DECODER || f == SP_CF_USE_SLIDING || f == SP_CF_PARALLEL)
      cli_meta_add(meta, key, "%s (assumed: the family's default)", v != 0 ? "true" : "false");
    else
      cli_meta_add(meta, key, "%.15g (assumed: the family's default)", v);
  }
}

void cli_meta_add_stds(cli_meta *meta)
{
  const sp_stds *s = cli_model_stds();
  if (s->d_model > 0)
    cli_meta_add(meta, "d-model", "%ld", s->d_model);
  if (s->heads > 0)
    cli_meta_add(meta, "heads", "%ld", s->heads);
  if (s->d_ff > 0)
    cli_meta_add(meta, "d-ff", "%ld", s->d_ff);
  const struct {
    const char *key;
    double v;
  } t[] = {{"std-q", s->q}, {"std-k", s->k}, {"std-v", s->v},
           {"std-o", s->output_projection ? s->o : NAN}, {"std-ff-in", s->ff_in},
           {"std-ff-out", s->ff_out}, {"std-emb", s->emb}};
  char buf[48];
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (!isnan(t[i].v)) {
      sp_io_format_double(buf, sizeof buf, t[i].v);
      cli_meta_add(meta, t[i].key, "%s", buf);
    }
}

int cli_open_output(const char *path, sp_outfile **f)
{
  int s = sp_outfile_open(path, f);
  if (s == SP_EIO)
    return cli_error(CLI_FAIL, "%s: cannot write: %s", path, strerror(errno));
  if (s)
    return cli_error(CLI_FAIL, "%s: %s", path, sp_strerror(s));
  return CLI_OK;
}

/* The message of a failed write of `path`: the system's reason when the
 * outfile knows it, else the library status. */
int cli_write_error(const char *path, const sp_outfile *f, int status)
{
  int e = sp_outfile_error(f);
  if (status == SP_EIO || e)
    return cli_error(CLI_FAIL, "%s: cannot write: %s", path, strerror(e ? e : EIO));
  return cli_status(status, path);
}

int cli_flush_stdout(void)
{
  errno = 0;
  if (fflush(stdout) == 0 && !ferror(stdout))
    return CLI_OK;
  int e = errno ? errno : EIO;
  clearerr(stdout);
  return cli_error(CLI_FAIL, "standard output: %s", strerror(e));
}

int cli_write_table(const char *path, const sp_table *t, const cli_meta *meta)
{
  if (!path || strcmp(path, "-") == 0) {
    int s = sp_table_write(stdout, SP_FMT_CSV, t, meta->items, meta->n);
    int r = cli_flush_stdout();
    return r ? r : s ? cli_error(CLI_FAIL, "standard output: %s", sp_strerror(s)) : CLI_OK;
  }
  sp_format fmt = sp_format_from_path(path);
  if (!sp_format_is_table(fmt))
    return cli_error(CLI_USAGE, "%s: a table is written as .csv, .tsv or .json", path);
  sp_outfile *f;
  int rc = cli_open_output(path, &f);
  if (rc)
    return rc;
  return cli_outputs_finish(&path, 1, &f, t, NULL, 0.0, meta, CLI_OK);
}

int cli_status(int status, const char *what)
{
  char msg[512];
  if (status == SP_OK)
    return CLI_OK;
  sp_status_describe(status, what, msg, sizeof msg);
  return cli_error(CLI_FAIL, "%s", msg);
}

int cli_workspace(const sp_model *m, const char *what, sp_workspace **w)
{
  *w = NULL;
  if (!sp_workspace_needed(m))
    return CLI_OK;
  if (sp_workspace_alloc(w))
    return cli_error(CLI_FAIL, "out of memory");
  int s = sp_workspace_prepare(*w, m);
  if (s) {
    sp_workspace_free(*w);
    *w = NULL;
    return cli_status(s, what);
  }
  return CLI_OK;
}

void cli_model_title(const sp_model *m, const sp_param *skip1, const sp_param *skip2, char *buf,
                     size_t size)
{
  sp_model_title(m, cli_model_preset(), skip1, skip2, buf, size);
}

size_t cli_meta_figure(const cli_meta *meta, sp_meta *out, size_t max)
{
  static const char *const run[] = {"threads", "kernel", "seconds", "gflops"};
  size_t n = 0;
  for (size_t i = 0; i < meta->n && n < max; i++) {
    int skip = 0;
    for (size_t k = 0; k < sizeof run / sizeof run[0]; k++)
      skip |= meta->items[i].key && strcmp(meta->items[i].key, run[k]) == 0;
    if (!skip)
      out[n++] = meta->items[i];
  }
  return n;
}

/* Memory the program may use: physical memory, or less under ulimit -v / -d. */
static double memory_limit(void)
{
  double limit = sp_sim_memory_limit();
  static const int res[] = {RLIMIT_AS, RLIMIT_DATA};
  for (size_t i = 0; i < sizeof res / sizeof res[0]; i++) {
    struct rlimit rl;
    if (getrlimit(res[i], &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (limit <= 0.0 || (double)rl.rlim_cur < limit))
      limit = (double)rl.rlim_cur;
  }
  return limit;
}

int cli_check_figure_memory(const char *path, const sp_plot *plot, sp_format fmt, double dpi)
{
  double px, py;
  if (fmt != SP_FMT_PNG || sp_plot_raster_size(plot, dpi, &px, &py))
    return CLI_OK;
  if (px > SP_PLOT_MAX_PIXELS || py > SP_PLOT_MAX_PIXELS)
    return cli_error(CLI_USAGE, "%s: the image would be %.0f x %.0f pixels at %g dpi; the limit "
                     "is %d pixels per side (lower --dpi or --size)", path, px, py, dpi,
                     SP_PLOT_MAX_PIXELS);
  double need = px * py * 4.0, limit = memory_limit();
  if (limit > 0.0 && need > limit)
    return cli_error(CLI_FAIL, "%s: the image of %.0f x %.0f pixels needs %.0f MB of memory, "
                     "more than the %.0f MB available (lower --dpi or --size)", path, px, py,
                     need / 1e6, limit / 1e6);
  return CLI_OK;
}

int cli_outputs_open(const char *const *paths, int n, sp_outfile **files)
{
  for (int i = 0; i < n; i++) {
    int r = cli_open_output(paths[i], &files[i]);
    if (r) {
      for (int k = 0; k < i; k++)
        sp_outfile_abort(files[k]);
      return r;
    }
  }
  return CLI_OK;
}

int cli_output_write(const char *path, sp_outfile *f, const sp_table *t, sp_plot *plot,
                     double dpi, const cli_meta *meta)
{
  sp_format fmt = sp_format_from_path(path);
  FILE *fp = sp_outfile_stream(f);
  int s;
  if (sp_format_is_table(fmt))
    s = t ? sp_table_write(fp, fmt, t, meta->items, meta->n) : SP_EINVAL;
  else if (!plot)
    return cli_error(CLI_FAIL, "%s: no figure to write", path);
  else if ((s = cli_check_figure_memory(path, plot, fmt, dpi)))
    return s;
  else {
    /* Without the run's timing: the same figure drawn again is the same file. */
    sp_meta fmeta[sizeof meta->items / sizeof meta->items[0]];
    s = sp_plot_write(plot, fp, fmt, dpi, fmeta, cli_meta_figure(meta, fmeta, sizeof fmeta
                                                                 / sizeof fmeta[0]));
  }
  if (s == SP_EINVAL && !sp_format_is_table(fmt)) /* a panel under 10 points (plot_layout.c) */
    return cli_error(CLI_FAIL, "%s: the figure is too small for its panels, labels and legend "
                     "(a larger --size or a smaller --font-size)", path);
  return s ? cli_write_error(path, f, s) : CLI_OK;
}

int cli_outputs_commit(const char *const *paths, int n, sp_outfile **files, int status)
{
  int r = status;
  /* Close every file first: a full disk shows here, before any rename. */
  for (int i = 0; i < n && !r; i++)
    if (sp_outfile_close(files[i]))
      r = cli_write_error(paths[i], files[i], SP_EIO);
  if (r) {
    for (int i = 0; i < n; i++)
      sp_outfile_abort(files[i]);
    return r;
  }
  /* The renames run with the cleanup signals held back, so that an
   * interrupt cannot leave some outputs renamed and the rest removed. */
  sigset_t hold, old;
  cli_signals_set(&hold);
  pthread_sigmask(SIG_BLOCK, &hold, &old);
  for (int i = 0; i < n && !r; i++)
    if (sp_outfile_commit(files[i])) {
      int e = errno;
      for (int k = i + 1; k < n; k++)
        sp_outfile_abort(files[k]);
      r = cli_error(CLI_FAIL, "%s: cannot write: %s", paths[i], strerror(e));
    }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return r;
}

int cli_outputs_finish(const char *const *paths, int n, sp_outfile **files, const sp_table *t,
                       sp_plot *plot, double dpi, const cli_meta *meta, int status)
{
  int r = status;
  for (int i = 0; i < n && !r; i++)
    r = cli_output_write(paths[i], files[i], t, plot, dpi, meta);
  return cli_outputs_commit(paths, n, files, r);
}

int cli_check_figure_outputs(const char *const *paths, int n, int figures)
{
  for (int i = 0; i < n; i++) {
    sp_format f = sp_format_from_path(paths[i]);
    if (f == SP_FMT_UNKNOWN || (!figures && !sp_format_is_table(f)))
      return cli_error(CLI_USAGE, "-o %s: %s", paths[i],
                       figures ? "unknown format (use .png, .pdf, .svg, .csv, .tsv or .json)"
                               : "a table is written as .csv, .tsv or .json");
  }
  return CLI_OK;
}

int cli_parse_dpi(const char *v, double *dpi)
{
  if (cli_parse_double("dpi", v, dpi))
    return CLI_USAGE;
  if (!(*dpi >= 10.0 && *dpi <= 2400.0))
    return cli_error(CLI_USAGE, "--dpi: %s must lie in [10, 2400]", v);
  return CLI_OK;
}

int cli_plot_contour(sp_plot *p, const sp_contour *c, const sp_plot_style *st,
                     const char *label)
{
  return sp_diagram_figure_contour(p, 0, c, st, label);
}

void cli_print_line(FILE *fp, const char *prefix, const char *msg)
{
  /* One line whatever the arguments held: control characters and bytes
   * that are not UTF-8 are written as escapes. */
  size_t n = strlen(msg);
  fputs(prefix, fp);
  while (n) {
    unsigned char c = (unsigned char)*msg;
    size_t k = sp_utf8_sequence(msg, n, NULL);
    if (c == '\n')
      fputs("\\n", fp);
    else if (c == '\t')
      fputs("\\t", fp);
    else if (c < 0x20 || c == 0x7f || !k)
      fprintf(fp, "\\x%02x", c);
    else
      fwrite(msg, 1, k, fp);
    k = k ? k : 1;
    msg += k;
    n -= k;
  }
  fputc('\n', fp);
}

int cli_stdout_status(void)
{
  errno = 0;
  if (fflush(stdout) == 0 && !ferror(stdout))
    return CLI_OK;
  fprintf(stderr, "sigprop: standard output: %s\n", strerror(errno ? errno : EIO));
  return CLI_FAIL;
}
