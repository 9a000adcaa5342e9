/* A diagram's sweep spread over MPI ranks: grid rows are the work items,
 * computed with sp_diagram_sweep_rows and gathered on rank 0 with
 * sp_diagram_set_rows; one process sweeps as before.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"
#include "mpi_split.h"

#include <unistd.h>

static int rows_compute(void *ctx, size_t first, size_t count)
{
  int s = sp_diagram_sweep_rows(ctx, first, count);
  return s ? cli_status(s, "diagram") : CLI_OK;
}

static const void *rows_result(void *ctx, size_t first)
{
  const sp_diagram_data *v = sp_diagram_view(ctx);
  return v->pt + first * v->nx;
}

static int rows_store(void *ctx, size_t first, size_t count, const void *bytes)
{
  return sp_diagram_set_rows(ctx, first, count, bytes);
}

int cli_diagram_sweep(sp_diagram *d, const char *what, int progress)
{
  int s;
  if (cli_mpi_size() <= 1) {
    s = sp_diagram_sweep(d);
    return s ? cli_status(s, what) : CLI_OK;
  }
  const sp_diagram_data *v = sp_diagram_view(d);
  unsigned threads = v->opt.threads;
  if (!threads) {
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    threads = c > 0 ? (unsigned)c : 1u;
  }
  /* A few rows per thread at a time keep a rank's threads busy. */
  cli_farm f = {v->ny, v->nx * sizeof *v->pt, 2 * (size_t)threads, rows_compute, rows_result,
                rows_store, d, what, progress};
  int r = cli_farm_run(&f);
  if (r)
    return r;
  s = sp_diagram_sweep_done(d);
  return s ? cli_status(s, what) : CLI_OK;
}
