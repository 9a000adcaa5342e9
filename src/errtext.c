/* The one form of a parse error's message.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "errtext.h"

#include <stdio.h>

void sp_errtext_vformat(char *text, size_t size, const char *where, const char *what,
                        size_t why_max, const char *fmt, va_list ap)
{
  char why[1024];
  vsnprintf(why, why_max < sizeof why ? why_max : sizeof why, fmt, ap);
  if (what && what[0])
    snprintf(text, size, "%s: %s: %s", where, what, why);
  else
    snprintf(text, size, "%s: %s", where, why);
}
