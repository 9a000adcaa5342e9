/* A model in one line, as the title of a figure.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/model_title.h"

#include <stdio.h>

void sp_model_title(const sp_model *m, const sp_preset *preset, const sp_param *skip1,
                    const sp_param *skip2, char *buf, size_t size)
{
  static const char *const norms[] = {"post-LN", "pre-LN", "no LN"};
  static const char *const acts[] = {"ReLU", "GELU", "tanh", "erf", "SiLU", "linear"};
  if (!buf || !size)
    return;
  buf[0] = '\0';
  if (!m)
    return;
  const sp_param *depth = sp_param_lookup("depth"), *rho0 = sp_param_lookup("rho0");
  size_t k = (size_t)snprintf(buf, size, "%s%s%s", preset ? preset->name : "",
                              preset ? ": " : "", norms[m->norm]);
  if (k < size && m->causal)
    k += (size_t)snprintf(buf + k, size - k, " decoder (causal)");
  if (k < size && m->attention != SP_ATTN_SOFTMAX)
    k += (size_t)snprintf(buf + k, size - k, ", %s attention", sp_attention_name(m->attention));
  if (k < size)
    k += (size_t)snprintf(buf + k, size - k, m->mlp ? ", %s MLP" : ", no MLP",
                          acts[m->activation]);
  if (k < size && skip1 != depth && skip2 != depth)
    k += (size_t)snprintf(buf + k, size - k, ", L = %ld", m->depth);
  const sp_param *beta = sp_param_lookup("beta");
  if (k < size && skip1 != beta && skip2 != beta && m->attention != SP_ATTN_UNIFORM)
    k += (size_t)snprintf(buf + k, size - k, ", β = %.3g", m->beta);
  if (k < size && skip1 != rho0 && skip2 != rho0)
    k += (size_t)snprintf(buf + k, size - k, ", ρ_0 = %.3g", m->rho0);
  const sp_param *tokens = sp_param_lookup("tokens");
  if (k < size && m->stats == SP_STATS_FINITE && m->attention != SP_ATTN_UNIFORM) {
    if (skip1 != tokens && skip2 != tokens)
      snprintf(buf + k, size - k, ", finite T = %ld", m->tokens);
    else
      snprintf(buf + k, size - k, ", finite T");
  }
}
