/* The trained network in single precision with the simulator's packed kernels: what training uses (train_net_body.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/activation.h"
#include "sigprop/status.h"
#include "rowops.h"
#include "train_private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define R float
#define FN(x) sp_trainf_##x
#define NET sp_trainf_net
#define TRAIN_PACKED 1
#include "train_net_body.h"
