/* sigprop: tables (CSV, TSV, JSON) with metadata, and output files that
 * appear atomically (complete or not at all).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_IO_H
#define SIGPROP_IO_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Output formats, chosen by file extension. */
typedef enum {
  SP_FMT_CSV, SP_FMT_TSV, SP_FMT_JSON, SP_FMT_PNG, SP_FMT_PDF, SP_FMT_SVG,
  SP_FMT_UNKNOWN
} sp_format;

/** Format named by the extension of `path` (case-insensitive:
 * .csv .tsv .json .png .pdf .svg), else SP_FMT_UNKNOWN. */
sp_format sp_format_from_path(const char *path);

/** 1 for the table formats (csv, tsv, json). */
int sp_format_is_table(sp_format f);

/** A "key: value" metadata pair; both strings are borrowed. */
typedef struct {
  const char *key;
  const char *value;
} sp_meta;

/** A table: `ncol` named columns and `nrow` rows, stored row-major.
 * Cell (r, c) is str[r*ncol + c] when `str` is non-NULL and that entry is
 * non-NULL, else num[r*ncol + c]; a NaN number is written as an empty cell
 * (JSON null).  All arrays are borrowed. */
typedef struct {
  size_t ncol, nrow;
  const char *const *names;
  const double *num;
  const char *const *str;
} sp_table;

/** Write `t` to `fp` in format `fmt` (csv, tsv or json), preceded by the
 * metadata: as "# key: value" lines for csv/tsv, as a "meta" object for
 * json ({"meta": {...}, "columns": [...], "rows": [[...], ...]}).
 * Numbers use the shortest "%.{15,16,17}g" form that reads back exactly.
 * JSON is encoded by jansson, one value at a time (a table is never held
 * as a JSON tree): there, exponents have no '+' and no leading zeros
 * ("1e-5", "1e20"), NaN and infinities are null, and a string that is not
 * valid UTF-8 is written with its bytes >= 0x80 replaced by '?'.
 * Returns SP_EINVAL for a non-table format, SP_EIO when writing fails,
 * SP_ENOMEM when the JSON encoder cannot allocate. */
int sp_table_write(FILE *fp, sp_format fmt, const sp_table *t, const sp_meta *meta,
                   size_t nmeta);

/** Format `x` into `buf` (size >= 32) as the shortest of %.15g, %.16g,
 * %.17g that parses back to exactly x; "" for NaN, "inf"/"-inf". */
void sp_format_double(char *buf, size_t size, double x);

/** An output file written under a temporary name in the same folder and
 * renamed into place by sp_outfile_commit(), so that a failed run never
 * leaves a partial file. */
typedef struct sp_outfile sp_outfile;

/** Open a temporary file next to `path`.  Returns SP_OK and sets *out,
 * or SP_EIO (errno is kept for the caller's message) / SP_ENOMEM. */
int sp_outfile_open(const char *path, sp_outfile **out);

/** The stream to write to; owned by the outfile. */
FILE *sp_outfile_stream(sp_outfile *f);

/** The temporary path (for writers such as Cairo that want a file name). */
const char *sp_outfile_temp_path(const sp_outfile *f);

/** Flush, close and rename into place; frees `f`.  On failure the
 * temporary file is removed and SP_EIO returned. */
int sp_outfile_commit(sp_outfile *f);

/** Close and remove the temporary file; frees `f`.  NULL is a no-op. */
void sp_outfile_abort(sp_outfile *f);

#ifdef __cplusplus
}
#endif
#endif
