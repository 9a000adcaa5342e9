/* A whole input file read into memory.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "infile.h"

#include "sigprop/status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int sp_infile_read(const char *path, size_t max, char **buf, size_t *n, int *sys_errno)
{
  *buf = NULL;
  *n = 0;
  *sys_errno = 0;
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    *sys_errno = errno;
    return SP_EIO;
  }
  size_t cap = 1 << 16, len = 0;
  char *b = malloc(cap);
  int e = 0;
  while (b) {
    len += fread(b + len, 1, cap - len, fp);
    if (ferror(fp)) {
      e = errno ? errno : EIO;
      break;
    }
    if (len < cap || cap > max)
      break;
    char *nb = realloc(b, cap * 2);
    if (!nb) {
      free(b);
      b = NULL;
      break;
    }
    b = nb;
    cap *= 2;
  }
  fclose(fp);
  if (!b)
    return SP_ENOMEM;
  if (e) {
    free(b);
    *sys_errno = e;
    return SP_EIO;
  }
  *buf = b;
  *n = len;
  return SP_OK;
}
