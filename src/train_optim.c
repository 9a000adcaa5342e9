/* Optimiser settings of the train module: defaults, domains, and the
 * learning-rate schedule (linear warm-up, then constant or half cosine).
 * The updates themselves are in train.c, next to the parameters.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/train.h"
#include "sigprop/status.h"

#include <math.h>

void sp_optim_options_default(sp_optim_options *o)
{
  o->optim = SP_OPTIM_ADAM;
  o->lr = 1e-3;
  o->beta1 = 0.9;
  o->beta2 = 0.999;
  o->eps = 1e-8;
  o->momentum = 0.9;
  o->weight_decay = 0.0;
  o->warmup = 0;
  o->schedule = SP_SCHED_CONSTANT;
  o->steps = 1000;
}

int sp_optim_options_validate(const sp_optim_options *o, const char **bad)
{
  const char *b = NULL;
  if (!o)
    return SP_EINVAL;
  if (o->optim != SP_OPTIM_ADAM && o->optim != SP_OPTIM_SGD)
    b = "optimizer";
  else if (!(o->lr > 0.0) || !isfinite(o->lr))
    b = "lr";
  else if (!(o->beta1 >= 0.0 && o->beta1 < 1.0))
    b = "beta1";
  else if (!(o->beta2 >= 0.0 && o->beta2 < 1.0))
    b = "beta2";
  else if (!(o->eps > 0.0) || !isfinite(o->eps))
    b = "eps";
  else if (!(o->momentum >= 0.0 && o->momentum < 1.0))
    b = "momentum";
  else if (!(o->weight_decay >= 0.0) || !isfinite(o->weight_decay))
    b = "weight-decay";
  else if (o->warmup < 0)
    b = "warmup";
  else if (o->schedule != SP_SCHED_CONSTANT && o->schedule != SP_SCHED_COSINE)
    b = "schedule";
  else if (o->steps < 1)
    b = "steps";
  if (bad)
    *bad = b;
  return b ? SP_EDOM : SP_OK;
}

double sp_optim_lr(const sp_optim_options *o, long k)
{
  if (o->warmup > 0 && k <= o->warmup)
    return o->lr * (double)k / (double)o->warmup;
  if (o->schedule == SP_SCHED_CONSTANT)
    return o->lr;
  long span = o->steps - o->warmup;
  if (span <= 0)
    return o->lr;
  double f = (double)(k - o->warmup) / (double)span;
  f = f > 1.0 ? 1.0 : f;
  return o->lr * 0.5 * (1.0 + cos(3.14159265358979323846 * f));
}
