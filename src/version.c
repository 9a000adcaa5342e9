/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"

const char *sp_version(void)
{
  return SP_VERSION;
}
