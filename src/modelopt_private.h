/* Private to the model options and the modules that report through them.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_MODELOPT_PRIVATE_H
#define SIGPROP_MODELOPT_PRIVATE_H

#include "sigprop/modelopt.h"

/* Record the message of a failure in o (printf format); return `status`. */
int sp_modelopt_fail(sp_modelopt *o, int status, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 3, 4)))
#endif
  ;

#endif
