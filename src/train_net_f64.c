/* The trained network in double precision with plain loops: the reference the finite-difference checks of the tests use (train_net_body.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/activation.h"
#include "sigprop/status.h"
#include "rowops.h"
#include "train_private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define R double
#define FN(x) sp_traind_##x
#define NET sp_traind_net
#define TRAIN_PACKED 0
#include "train_net_body.h"
