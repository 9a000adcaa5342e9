/* Tables shared by the maps.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "workspace_private.h"

#include "sigprop/activation.h"
#include "sigprop/status.h"

#include <stdlib.h>

sp_workspace *sp_workspace_alloc(void)
{
  return calloc(1, sizeof(sp_workspace));
}

void sp_workspace_free(sp_workspace *w)
{
  free(w);
}

int sp_workspace_needed(const sp_model *m)
{
  return m->stats == SP_STATS_FINITE || m->causal
         || (m->mlp && !sp_activation_has_closed_form(m->activation));
}

int sp_workspace_prepare(sp_workspace *w, const sp_model *m)
{
  if (!w || !m)
    return SP_EINVAL;
  int s = sp_model_validate(m, NULL);
  if (s)
    return s;
  if (sp_workspace_needed(m))
    return SP_EUNSUP;
  w->model = *m;
  w->prepared = 1;
  return SP_OK;
}

int sp_workspace_check(const sp_workspace *w, const sp_model *m)
{
  if (!m)
    return SP_EINVAL;
  int s = sp_model_validate(m, NULL);
  if (s)
    return s;
  if (!w && sp_workspace_needed(m))
    return SP_EINVAL;
  return SP_OK;
}
