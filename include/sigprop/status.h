/* sigprop: status codes shared by every module.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_STATUS_H
#define SIGPROP_STATUS_H

#include "sigprop/export.h"
#include <stddef.h>

SP_BEGIN_DECLS

/** Status returned by every fallible sigprop function.  SP_OK is zero;
 * every failure is a positive code.  The library never prints or exits:
 * the caller turns a code into a message with sp_strerror(). */
enum {
  SP_OK = 0,      /**< success */
  SP_EINVAL,      /**< invalid argument (NULL pointer, unknown name, bad shape) */
  SP_EDOM,        /**< a number outside its mathematical domain (or NaN) */
  SP_ENOMEM,      /**< allocation failed or the request would not fit in memory */
  SP_ENOCONV,     /**< an iteration or quadrature did not reach its tolerance */
  SP_EIO,         /**< reading or writing a file failed */
  SP_ERENDER,     /**< Cairo reported an error while drawing */
  SP_EOVERFLOW,   /**< an order parameter overflowed (no-LN stacks) */
  SP_EUNDERFLOW,  /**< an order parameter underflowed to zero (no-LN stacks) */
  SP_ENOROOT,     /**< no root (sign change) inside the requested range */
  SP_EUNSUP,      /**< a combination the theory does not cover */
  SP_EPARSE,      /**< a malformed input file */
  SP_NSTATUS      /**< number of codes; not a status */
};

/** The one progress callback of the library: `done` of `total` units of
 * work (rows of a diagram, layers of a simulated network) are finished;
 * `arg` is the user pointer given next to it (progress_arg).  It may be
 * called from a worker thread and must not call back into the object that
 * reports. */
typedef void (*sp_progress)(void *arg, size_t done, size_t total);

/** A static, human-readable description of status `status`
 * (e.g. "value out of domain").  Unknown codes give "unknown error".
 * Never NULL; the caller must not free it. */
const char *sp_strerror(int status);

/** The program's one-line message for a failure `status` of the operation
 * `what` (NULL: "sigprop") into buf (of `size` bytes, truncated to fit):
 * "WHAT: REASON", the reason naming the cure for an exploding (SP_EOVERFLOW)
 * or dying (SP_EUNDERFLOW) stream, else sp_strerror(status). */
void sp_status_describe(int status, const char *what, char *buf, size_t size);

SP_END_DECLS
#endif
