/* sigprop: UTF-8 validation and repair of text that goes into files.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_UTF8_H
#define SIGPROP_UTF8_H

#include "sigprop/export.h"
#include <stddef.h>

SP_BEGIN_DECLS

/** Length (1 to 4) of the well-formed UTF-8 sequence at the start of the
 * `n` bytes at `s`, storing its code point in *cp (may be NULL); 0 when the
 * bytes there are not well-formed (a stray continuation byte, a truncated
 * or overlong sequence, a surrogate, a value above U+10FFFF, or n == 0).
 * Well-formed is as in Unicode 15 section 3.9, table 3-7. */
size_t sp_utf8_sequence(const char *s, size_t n, unsigned long *cp);

/** 1 when the NUL-terminated `s` is well-formed UTF-8, else 0 (NULL: 0). */
int sp_utf8_valid(const char *s);

/** Copy the NUL-terminated `src` into `dst` (of `size` bytes; size 0 writes
 * nothing), replacing every byte that does not start a well-formed sequence
 * by U+FFFD (EF BF BD), and truncating at a character boundary so the copy
 * is NUL-terminated and well-formed.  Returns the length the whole repaired
 * text needs, without the NUL (as snprintf); a NULL src copies "". */
size_t sp_utf8_repair(char *dst, size_t size, const char *src);

/** A malloc'd repaired copy of `src` (see sp_utf8_repair); NULL when
 * memory runs out or src is NULL.  The caller frees it. */
char *sp_utf8_dup(const char *src);

SP_END_DECLS
#endif
