/* Private: a whole input file read into memory (a config, a preset).  Not
 * installed.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SP_INFILE_H
#define SP_INFILE_H

#include <stddef.h>

/* Reads the file at path into a new buffer *buf (the caller frees it) of
 * *n bytes: all of it, or more than `max` bytes of it when it is larger,
 * so that the caller can tell.  Returns SP_OK; SP_EIO when it cannot be
 * opened or read (*sys_errno then holds the reason, for strerror); or
 * SP_ENOMEM.  *buf is NULL on every error. */
int sp_infile_read(const char *path, size_t max, char **buf, size_t *n, int *sys_errno);

#endif
