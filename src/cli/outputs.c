/* The output convention of every command: -o FILE, repeatable, the kind
 * from the extension (.csv .tsv .json tables; .png .pdf .svg figures), '-'
 * for CSV on standard output; the table goes to standard output only when
 * no -o is given; all files are written, or none.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"
#include "mpi_split.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const cli_opt table_opts[] = {
  CLI_LIST(NULL, 'o', cli_list, v, CLI_LIST_MAX, "FILE",
           "write the table to FILE, by extension .csv, .tsv or .json; '-' for CSV on standard "
           "output; repeatable [CSV on standard output]"),
};

static const cli_opt figure_opts[] = {
  CLI_LIST(NULL, 'o', cli_list, v, CLI_LIST_MAX, "FILE",
           "write to FILE, by extension: the table (.csv, .tsv, .json) or the figure (.png, "
           ".pdf, .svg); '-' for CSV on standard output; repeatable [the table as CSV on "
           "standard output]"),
};

cli_opt_group cli_output_group(cli_list *out, int figures)
{
  cli_opt_group g = {"Output", figures ? figure_opts : table_opts, 1, out};
  return g;
}

int cli_outputs_add(cli_list *out, const char *path)
{
  if (out->n >= CLI_LIST_MAX)
    return cli_error(CLI_USAGE, "-o: at most %d", CLI_LIST_MAX);
  out->v[out->n++] = path;
  return CLI_OK;
}

int cli_outputs_check(const cli_list *out, int figures)
{
  int dash = 0;
  for (int i = 0; i < out->n; i++) {
    const char *p = out->v[i];
    if (strcmp(p, "-") == 0) {
      if (dash++)
        return cli_error(CLI_USAGE, "-o -: standard output given twice");
      continue;
    }
    for (int k = 0; k < i; k++)
      if (strcmp(out->v[k], p) == 0)
        return cli_error(CLI_USAGE, "-o %s: given twice", p);
  }
  cli_list files = {{NULL}, 0};
  for (int i = 0; i < out->n; i++)
    if (strcmp(out->v[i], "-") != 0)
      files.v[files.n++] = out->v[i];
  return cli_check_figure_outputs(files.v, files.n, figures);
}

int cli_outputs_figure(const cli_list *out)
{
  for (int i = 0; i < out->n; i++) {
    sp_format f = sp_format_from_path(out->v[i]);
    if (strcmp(out->v[i], "-") != 0 && (f == SP_FMT_PNG || f == SP_FMT_PDF || f == SP_FMT_SVG))
      return 1;
  }
  return 0;
}

int cli_outputs_stdout(const cli_list *out)
{
  if (!out->n)
    return 1;
  for (int i = 0; i < out->n; i++)
    if (strcmp(out->v[i], "-") == 0)
      return 1;
  return 0;
}

int cli_outputs_begin(cli_outputs *o, const cli_list *out)
{
  memset(o, 0, sizeof *o);
  if (!cli_mpi_is_root())
    return CLI_OK; /* under MPI, rank 0 writes the outputs */
  o->to_stdout = cli_outputs_stdout(out);
  for (int i = 0; i < out->n; i++)
    if (strcmp(out->v[i], "-") != 0)
      o->paths[o->n++] = out->v[i];
  int r = cli_outputs_open(o->paths, o->n, o->files);
  o->open = !r;
  return r;
}

int cli_outputs_write(cli_outputs *o, const sp_table *t, sp_plot *plot, double dpi,
                      const cli_meta *meta, int status)
{
  int r = status;
  if (!r && o->to_stdout) {
    errno = 0;
    int s = sp_table_write(stdout, SP_FMT_CSV, t, meta->items, meta->n), e = s ? errno : 0;
    if (!s && (fflush(stdout) || ferror(stdout)))
      e = errno ? errno : EIO;
    if (s || e)
      r = cli_error(CLI_FAIL, "standard output: %s", e ? strerror(e) : sp_strerror(s));
  }
  for (int i = 0; i < o->n && o->open && !r; i++)
    r = cli_output_write(o->paths[i], o->files[i], t, plot, dpi, meta);
  return r;
}

int cli_outputs_commit_all(cli_outputs *const *groups, int ng, int status)
{
  const char *paths[2 * CLI_LIST_MAX];
  sp_outfile *files[2 * CLI_LIST_MAX];
  int n = 0;
  for (int g = 0; g < ng; g++) {
    cli_outputs *o = groups[g];
    for (int i = 0; o->open && i < o->n; i++) {
      if (n == 2 * CLI_LIST_MAX) { /* not reached: two groups at most */
        sp_outfile_abort(o->files[i]);
        status = status ? status : cli_error(CLI_FAIL, "too many outputs");
        continue;
      }
      paths[n] = o->paths[i];
      files[n++] = o->files[i];
    }
    o->open = 0;
  }
  return cli_outputs_commit(paths, n, files, status);
}

int cli_outputs_end(cli_outputs *o, const sp_table *t, sp_plot *plot, double dpi,
                    const cli_meta *meta, int status)
{
  int r = cli_outputs_write(o, t, plot, dpi, meta, status);
  return cli_outputs_commit_all(&o, 1, r);
}

int cli_outputs_end_with(cli_outputs *o, void (*write)(FILE *fp, void *ctx), void *ctx,
                         int status)
{
  int r = status;
  if (!r && o->to_stdout) {
    errno = 0;
    write(stdout, ctx);
    if (fflush(stdout) || ferror(stdout))
      r = cli_error(CLI_FAIL, "standard output: %s", strerror(errno ? errno : EIO));
  }
  for (int i = 0; i < o->n && !r; i++) {
    FILE *fp = sp_outfile_stream(o->files[i]);
    write(fp, ctx);
    if (ferror(fp))
      r = cli_write_error(o->paths[i], o->files[i], SP_EIO);
  }
  if (o->open)
    r = cli_outputs_commit(o->paths, o->n, o->files, r);
  o->open = 0;
  return r;
}
