/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/status.h"

#include <stdio.h>

const char *sp_strerror(int status)
{
  switch (status) {
  case SP_OK: return "success";
  case SP_EINVAL: return "invalid argument";
  case SP_EDOM: return "value out of domain";
  case SP_ENOMEM: return "out of memory";
  case SP_ENOCONV: return "no convergence";
  case SP_EIO: return "input/output error";
  case SP_ERENDER: return "rendering failed";
  case SP_EOVERFLOW: return "order parameter overflowed";
  case SP_EUNDERFLOW: return "order parameter underflowed to zero";
  case SP_ENOROOT: return "no root in range";
  case SP_EUNSUP: return "combination not supported by the theory";
  case SP_EPARSE: return "malformed input";
  default: return "unknown error";
  }
}

void sp_status_describe(int status, const char *what, char *buf, size_t size)
{
  if (!buf || !size)
    return;
  if (!what)
    what = "sigprop";
  switch (status) {
  case SP_EOVERFLOW:
    snprintf(buf, size, "%s: the squared norm q overflowed; the stream explodes (reduce the "
             "gains or the depth, or use LayerNorm)", what);
    break;
  case SP_EUNDERFLOW:
    snprintf(buf, size, "%s: the squared norm q underflowed to zero; the stream dies out", what);
    break;
  default: snprintf(buf, size, "%s: %s", what, sp_strerror(status)); break;
  }
}
