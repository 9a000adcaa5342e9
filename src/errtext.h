/* Private: the one form of a parse error's message, "<where>: <what>:
 * <why>", shared by the readers of configs and checkpoints.  Not installed.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SP_ERRTEXT_H
#define SP_ERRTEXT_H

#include <stdarg.h>
#include <stddef.h>

/* Writes "<where>: <what>: <why>" into text (size bytes, cut short if
 * need be), or "<where>: <why>" when what is NULL or empty; why is fmt
 * formatted with ap, cut at why_max - 1 characters (why_max <= 1024). */
void sp_errtext_vformat(char *text, size_t size, const char *where, const char *what,
                        size_t why_max, const char *fmt, va_list ap);

#endif
