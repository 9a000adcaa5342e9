/* Layout of sp_workspace, shared by the modules that read its tables.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_WORKSPACE_PRIVATE_H
#define SIGPROP_WORKSPACE_PRIVATE_H

#include "sigprop/workspace.h"

struct sp_workspace {
  int prepared;   /* 1 after a successful sp_workspace_prepare */
  sp_model model; /* the model it was prepared for */
};

#endif
