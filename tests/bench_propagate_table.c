/* The C side of the python benchmark: the median time of one
 * sp_propagate_table_fill call (depth 50 by default), the call that
 * sigprop.propagate() makes.  Usage: bench_propagate_table [REPS] [MODEL OPTION VALUE]...
 * (model options without dashes, through sp_modelopt).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
  int reps = argc > 1 ? atoi(argv[1]) : 2001;
  sp_modelopt *mo;
  if (reps < 1 || sp_modelopt_alloc(&mo))
    return 1;
  for (int i = 2; i + 1 < argc; i += 2)
    if (sp_modelopt_set(mo, SP_MODELOPT_ALL, argv[i], argv[i + 1])) {
      fprintf(stderr, "bench: %s\n", sp_modelopt_error(mo));
      return 1;
    }
  const sp_model *m = sp_modelopt_model(mo);
  sp_workspace *w = NULL;
  if (sp_workspace_needed(m) && (sp_workspace_alloc(&w) || sp_workspace_prepare(w, m)))
    return 1;
  double *out = malloc((size_t)(m->depth + 1) * SP_PROPAGATE_TABLE_NCOL * sizeof *out);
  double *t = malloc((size_t)reps * sizeof *t);
  if (!out || !t)
    return 1;
  for (int i = 0; i < reps; i++) {
    double t0 = now();
    /* The Python call allocates its output each time: so does this one. */
    double *buf = malloc((size_t)(m->depth + 1) * SP_PROPAGATE_TABLE_NCOL * sizeof *buf);
    if (!buf || sp_propagate_table_fill(m, w, buf, NULL))
      return 1;
    t[i] = now() - t0;
    out[0] = buf[0];
    free(buf);
  }
  qsort(t, (size_t)reps, sizeof *t, cmp);
  printf("%.9g\n", t[reps / 2]);
  free(out);
  free(t);
  sp_workspace_free(w);
  sp_modelopt_free(mo);
  return 0;
}
