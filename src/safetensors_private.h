/* Private to the checkpoint readers (safetensors.c, inspect.c): how they
 * fill an sp_st_error.  Not installed.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SP_SAFETENSORS_PRIVATE_H
#define SP_SAFETENSORS_PRIVATE_H

#include "sigprop/safetensors.h"

#include <stdarg.h>
#include <stdint.h>

/* Fills e (nothing when e is NULL) with an error of `file` about `tensor`
 * (NULL: the file as a whole), its name cut at `width` characters in the
 * text, at byte `offset`; the reason is fmt formatted with ap, cut at
 * why_max - 1 characters.  Returns SP_EPARSE. */
int sp_st_error_vset(sp_st_error *e, const char *file, const char *tensor, int width,
                     uint64_t offset, size_t why_max, const char *fmt, va_list ap);

#endif
