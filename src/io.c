/* Table writers and atomic output files.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _POSIX_C_SOURCE 200809L
#include "sigprop/io.h"
#include "sigprop/status.h"
#include "sigprop/utf8.h"

#include <jansson.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

sp_format sp_format_from_path(const char *path)
{
  static const struct { const char *ext; sp_format f; } t[] = {
    {".csv", SP_FMT_CSV}, {".tsv", SP_FMT_TSV}, {".json", SP_FMT_JSON},
    {".png", SP_FMT_PNG}, {".pdf", SP_FMT_PDF}, {".svg", SP_FMT_SVG}};
  if (!path)
    return SP_FMT_UNKNOWN;
  const char *dot = strrchr(path, '.');
  const char *slash = strrchr(path, '/');
  if (!dot || (slash && dot < slash))
    return SP_FMT_UNKNOWN;
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (strcasecmp(dot, t[i].ext) == 0)
      return t[i].f;
  return SP_FMT_UNKNOWN;
}

int sp_format_is_table(sp_format f)
{
  return f == SP_FMT_CSV || f == SP_FMT_TSV || f == SP_FMT_JSON;
}

void sp_io_format_double(char *buf, size_t size, double x)
{
  if (!buf || size == 0)
    return;
  if (isnan(x)) {
    snprintf(buf, size, "%s", "");
    return;
  }
  if (isinf(x)) {
    snprintf(buf, size, "%s", x > 0 ? "inf" : "-inf");
    return;
  }
  for (int prec = 15; prec <= 17; prec++) {
    int n = snprintf(buf, size, "%.*g", prec, x);
    if (n < 0 || (size_t)n >= size || strtod(buf, NULL) == x)
      return; /* a too-small buffer keeps the truncated text */
  }
}

/* JSON values are encoded by jansson, one at a time, so that a table of
 * millions of cells never exists as a JSON tree in memory. */
static int json_put(FILE *fp, json_t *v, size_t flags)
{
  if (!v)
    return -1;
  int s = json_dumpf(v, fp, JSON_ENCODE_ANY | JSON_COMPACT | flags);
  json_decref(v);
  return s;
}

/* A string that is not valid UTF-8 is written with every stray byte
 * replaced by U+FFFD (sp_utf8_repair), so that the file stays well-formed. */
static int json_put_string(FILE *fp, const char *s)
{
  json_t *v = json_string(s);
  if (v)
    return json_put(fp, v, 0);
  char *copy = sp_utf8_dup(s);
  if (!copy)
    return -1;
  int r = json_put(fp, json_string(copy), 0);
  free(copy);
  return r;
}

/* A finite number in the shortest of %.15g, %.16g, %.17g that reads back
 * exactly; integers below 1e15 without a fraction. */
static int json_put_number(FILE *fp, double x)
{
  if (!isfinite(x))
    return json_put(fp, json_null(), 0);
  if (x == floor(x) && fabs(x) < 1e15)
    return json_put(fp, json_integer((json_int_t)x), 0);
  char buf[64];
  int prec = 15;
  for (; prec < 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, x);
    if (strtod(buf, NULL) == x)
      break;
  }
  return json_put(fp, json_real(x), JSON_REAL_PRECISION(prec));
}

/* A CSV cell never needs quoting here except for commas or quotes in
 * strings; numbers are plain. */
static void text_cell(FILE *fp, const char *s, char sep)
{
  if (sep == ',' && strpbrk(s, ",\"\n")) {
    fputc('"', fp);
    for (; *s; s++) {
      if (*s == '"')
        fputc('"', fp);
      fputc(*s, fp);
    }
    fputc('"', fp);
  } else {
    fputs(s, fp);
  }
}

/* {"meta": {...}, "columns": [...], "rows": [[...], ...]}, laid out one
 * metadata pair and one row a line. */
static int write_json(FILE *fp, const sp_table *t, const sp_meta *meta, size_t nmeta)
{
  int bad = 0;
  fputs("{\n  \"meta\": {", fp);
  for (size_t i = 0; i < nmeta; i++) {
    fputs(i ? ",\n    " : "\n    ", fp);
    bad |= json_put_string(fp, meta[i].key);
    fputs(": ", fp);
    bad |= json_put_string(fp, meta[i].value);
  }
  fputs(nmeta ? "\n  },\n  \"columns\": [" : "},\n  \"columns\": [", fp);
  for (size_t c = 0; c < t->ncol; c++) {
    if (c)
      fputs(", ", fp);
    bad |= json_put_string(fp, t->names[c]);
  }
  fputs("],\n  \"rows\": [", fp);
  for (size_t r = 0; r < t->nrow && !bad; r++) {
    fputs(r ? ",\n    [" : "\n    [", fp);
    for (size_t c = 0; c < t->ncol; c++) {
      size_t k = r * t->ncol + c;
      if (c)
        fputs(", ", fp);
      if (t->str && t->str[k])
        bad |= json_put_string(fp, t->str[k]);
      else
        bad |= json_put_number(fp, t->num ? t->num[k] : NAN);
    }
    fputc(']', fp);
  }
  fputs(t->nrow ? "\n  ]\n}\n" : "]\n}\n", fp);
  if (bad && !ferror(fp))
    return SP_ENOMEM;
  return ferror(fp) ? SP_EIO : SP_OK;
}

int sp_table_write(FILE *fp, sp_format fmt, const sp_table *t, const sp_meta *meta,
                   size_t nmeta)
{
  char buf[64];
  if (!fp || !t || !t->names || (!t->num && !t->str) || !sp_format_is_table(fmt))
    return SP_EINVAL;
  if (fmt == SP_FMT_JSON) {
    return write_json(fp, t, meta, nmeta);
  } else {
    char sep = fmt == SP_FMT_TSV ? '\t' : ',';
    for (size_t i = 0; i < nmeta; i++)
      fprintf(fp, "# %s: %s\n", meta[i].key, meta[i].value);
    for (size_t c = 0; c < t->ncol; c++) {
      if (c)
        fputc(sep, fp);
      fputs(t->names[c], fp);
    }
    fputc('\n', fp);
    for (size_t r = 0; r < t->nrow; r++) {
      for (size_t c = 0; c < t->ncol; c++) {
        size_t k = r * t->ncol + c;
        if (c)
          fputc(sep, fp);
        if (t->str && t->str[k]) {
          text_cell(fp, t->str[k], sep);
        } else {
          sp_io_format_double(buf, sizeof buf, t->num ? t->num[k] : NAN);
          fputs(buf, fp);
        }
      }
      fputc('\n', fp);
    }
  }
  return ferror(fp) ? SP_EIO : SP_OK;
}
