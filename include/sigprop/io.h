/* sigprop: tables (CSV, TSV, JSON) with metadata, and output files that
 * appear atomically (complete or not at all).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_IO_H
#define SIGPROP_IO_H

#include "sigprop/export.h"
#include <stddef.h>
#include <stdio.h>

SP_BEGIN_DECLS

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
 * valid UTF-8 is written with every stray byte replaced by U+FFFD
 * (sp_utf8_repair).
 * Returns SP_EINVAL for a non-table format, SP_EIO when writing fails,
 * SP_ENOMEM when the JSON encoder cannot allocate. */
int sp_table_write(FILE *fp, sp_format fmt, const sp_table *t, const sp_meta *meta,
                   size_t nmeta);

/** Format `x` into `buf` (size >= 32) as the shortest of %.15g, %.16g,
 * %.17g that parses back to exactly x; "" for NaN, "inf"/"-inf"; nothing
 * when buf is NULL or size is 0. */
void sp_io_format_double(char *buf, size_t size, double x);

/** An output file that appears complete or not at all.
 *
 * A regular file (existing or not) is written under a temporary name
 * ".NAME.tmpXXXXXX" in the directory of the file it replaces and renamed
 * into place by sp_outfile_commit(); the temporary file gets the permission
 * bits (and, where allowed, the owner) of the file it replaces, or
 * 0666 & ~umask for a new file.  A symbolic link is written through: the
 * link stays and the file it points to (after every link in the chain, even
 * a dangling one) is replaced in its own directory.  A device or FIFO
 * (/dev/null, /dev/stdout, a named pipe) is written directly, so it is not
 * all-or-nothing.  A directory, a read-only file or a missing directory
 * fails at open with the system's reason in errno.
 *
 * Several outputs of one run are made all-or-nothing by writing all,
 * sp_outfile_close() on each (where a full disk shows), then
 * sp_outfile_commit() on each (renames only), or sp_outfile_abort() on all
 * at the first failure.
 *
 * Signals: the library installs no signal handler.  Every pending temporary
 * path sits in a fixed registry (at most SP_OUTFILE_MAX at a time) from
 * before the file is created until it is renamed or removed; a program that
 * wants interrupted runs to leave nothing behind calls
 * sp_outfile_remove_pending() from its own handler (it is
 * async-signal-safe) and then _exit()s. */
typedef struct sp_outfile sp_outfile;

/** Most temporary files pending at once in a process. */
#define SP_OUTFILE_MAX 64

/** Open `path` for writing as described above.  Returns SP_OK and sets
 * *out, SP_EINVAL for a NULL or empty path, SP_ENOMEM, or SP_EIO with the
 * reason in errno (EISDIR, EACCES, ENOENT, ELOOP, EMFILE when
 * SP_OUTFILE_MAX files are pending, ...). */
int sp_outfile_open(const char *path, sp_outfile **out);

/** The stream to write to; owned by the outfile. */
FILE *sp_outfile_stream(sp_outfile *f);

/** The temporary path (the device's path when written directly), for
 * writers that want a file name. */
const char *sp_outfile_temp_path(const sp_outfile *f);

/** The errno of the first failed write to the stream (e.g. ENOSPC), 0 when
 * every write so far succeeded.  Unlike errno it survives later calls. */
int sp_outfile_error(const sp_outfile *f);

/** Flush and close the stream, keeping the temporary file for
 * sp_outfile_commit().  SP_OK, or SP_EIO with the reason in errno (and in
 * sp_outfile_error()); `f` stays valid for commit or abort either way. */
int sp_outfile_close(sp_outfile *f);

/** Close (when not done yet) and rename into place; frees `f`.  On
 * failure the temporary file is removed and SP_EIO returned with the
 * reason in errno. */
int sp_outfile_commit(sp_outfile *f);

/** Close and remove the temporary file; frees `f`.  NULL is a no-op.
 * errno is preserved. */
void sp_outfile_abort(sp_outfile *f);

/** Remove every pending temporary file of the process (unlink(2) only:
 * async-signal-safe, for a signal handler).  The sp_outfile objects stay
 * allocated; the program is expected to exit right after. */
void sp_outfile_remove_pending(void);

SP_END_DECLS
#endif
