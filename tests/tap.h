/* A small TAP producer for sigprop's test programs (header-only).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_TAP_H
#define SIGPROP_TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count, tap_failed;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static inline int tap_ok(int cond, const char *fmt, ...)
{
  va_list ap;
  tap_count++;
  if (!cond)
    tap_failed++;
  printf("%s %d - ", cond ? "ok" : "not ok", tap_count);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
  return cond;
}

/* |got - want| <= tol (NaN never passes); prints both on failure. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static inline int tap_close(double got, double want, double tol, const char *fmt, ...)
{
  char name[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(name, sizeof name, fmt, ap);
  va_end(ap);
  int ok = fabs(got - want) <= tol;
  tap_ok(ok, "%s", name);
  if (!ok)
    printf("# got %.17g want %.17g diff %.3g tol %.3g\n", got, want, got - want, tol);
  return ok;
}

static inline void tap_diag(const char *fmt, ...)
{
  va_list ap;
  printf("# ");
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
}

static inline int tap_done(void)
{
  printf("1..%d\n", tap_count);
  return tap_failed ? 1 : 0;
}

/* Path of a vendored data file: $SIGPROP_TEST_DATA/name (meson sets it). */
static inline const char *tap_data(const char *name)
{
  static char buf[4096];
  const char *dir = getenv("SIGPROP_TEST_DATA");
  snprintf(buf, sizeof buf, "%s/%s", dir ? dir : "tests/data", name);
  return buf;
}

/* A CSV file read whole: header names and rows of cells (strings). */
typedef struct {
  int ncol, nrow;
  char **names;
  char **cells; /* nrow * ncol */
} tap_csv;

static inline void tap_csv_free(tap_csv *c)
{
  for (int i = 0; i < c->ncol; i++)
    free(c->names[i]);
  for (int i = 0; i < c->nrow * c->ncol; i++)
    free(c->cells[i]);
  free(c->names);
  free(c->cells);
}

static inline char *tap_strdup(const char *s, size_t n)
{
  char *d = malloc(n + 1);
  if (!d)
    abort();
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

/* Split `line` at commas into *out (allocated); returns the count. */
static inline int tap_split(const char *line, char ***out)
{
  int n = 1;
  for (const char *p = line; *p; p++)
    n += *p == ',';
  char **v = malloc((size_t)n * sizeof *v);
  if (!v)
    abort();
  int k = 0;
  const char *start = line;
  for (const char *p = line;; p++) {
    if (*p == ',' || *p == '\0' || *p == '\n' || *p == '\r') {
      v[k++] = tap_strdup(start, (size_t)(p - start));
      if (*p != ',')
        break;
      start = p + 1;
    }
  }
  *out = v;
  return k;
}

/* Read a CSV with a header line, skipping '#' lines.  Aborts the test
 * program (exit 99, a hard error for meson) when the file is unreadable. */
static inline tap_csv tap_csv_read(const char *path)
{
  tap_csv c = {0, 0, NULL, NULL};
  FILE *fp = fopen(path, "r");
  if (!fp) {
    printf("Bail out! cannot open %s\n", path);
    exit(99);
  }
  char line[8192];
  int cap = 0;
  while (fgets(line, sizeof line, fp)) {
    if (line[0] == '#' || line[0] == '\n')
      continue;
    char **v;
    int n = tap_split(line, &v);
    if (!c.names) {
      c.names = v;
      c.ncol = n;
      continue;
    }
    if (n != c.ncol) {
      printf("Bail out! %s: row with %d cells, header has %d\n", path, n, c.ncol);
      exit(99);
    }
    if (c.nrow + 1 > cap) {
      cap = cap ? 2 * cap : 64;
      c.cells = realloc(c.cells, (size_t)cap * (size_t)c.ncol * sizeof *c.cells);
      if (!c.cells)
        abort();
    }
    memcpy(c.cells + (size_t)c.nrow * (size_t)c.ncol, v, (size_t)n * sizeof *v);
    free(v);
    c.nrow++;
  }
  fclose(fp);
  return c;
}

static inline int tap_csv_col(const tap_csv *c, const char *name)
{
  for (int i = 0; i < c->ncol; i++)
    if (strcmp(c->names[i], name) == 0)
      return i;
  printf("Bail out! no column %s\n", name);
  exit(99);
}

static inline const char *tap_csv_str(const tap_csv *c, int row, int col)
{
  return c->cells[(size_t)row * (size_t)c->ncol + (size_t)col];
}

/* Cell as a number; an empty cell is NaN. */
static inline double tap_csv_num(const tap_csv *c, int row, int col)
{
  const char *s = tap_csv_str(c, row, col);
  return *s ? strtod(s, NULL) : NAN;
}

#endif
