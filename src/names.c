/* The names of the switches and their conversions (model.h, preset.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "names.h"
#include "sigprop/model.h"
#include "sigprop/preset.h"
#include "sigprop/status.h"

#include <string.h>

int sp_names_find(const sp_name_list *list, const char *s, int *out)
{
  if (!s)
    return SP_EINVAL;
  for (size_t i = 0; i < list->n; i++)
    if (strcmp(list->v[i].name, s) == 0) {
      *out = list->v[i].value;
      return SP_OK;
    }
  return SP_EINVAL;
}

const char *sp_names_name(const sp_name_list *list, int v)
{
  for (size_t i = 0; i < list->n; i++)
    if (list->v[i].value == v)
      return list->v[i].name;
  return "?";
}

#define LIST(t) {t, sizeof t / sizeof t[0]}

static const sp_name_value norms[] = {
  {"post", SP_NORM_POST}, {"pre", SP_NORM_PRE}, {"none", SP_NORM_NONE}};
static const sp_name_value attns[] = {
  {"softmax", SP_ATTN_SOFTMAX}, {"centred", SP_ATTN_CENTRED},
  {"centered", SP_ATTN_CENTRED}, {"uniform", SP_ATTN_UNIFORM}};
static const sp_name_value acts[] = {
  {"relu", SP_ACT_RELU}, {"gelu", SP_ACT_GELU}, {"tanh", SP_ACT_TANH},
  {"erf", SP_ACT_ERF}, {"silu", SP_ACT_SILU}, {"linear", SP_ACT_LINEAR}};
static const sp_name_value statss[] = {
  {"asymptotic", SP_STATS_ASYMPTOTIC}, {"finite", SP_STATS_FINITE}};
static const sp_name_value betacs[] = {
  {"input", SP_BETAC_INPUT}, {"stream", SP_BETAC_STREAM}};
static const sp_name_value overlaps[] = {
  {"independent", SP_OVERLAP_INDEPENDENT}, {"exact", SP_OVERLAP_EXACT}};
static const sp_name_value gains[] = {
  {"alpha", SP_GAIN_ALPHA}, {"alpha-sa", SP_GAIN_ALPHA_SA}, {"alpha-mlp", SP_GAIN_ALPHA_MLP},
  {"branch", SP_GAIN_BRANCH}, {"branch-sa", SP_GAIN_BRANCH_SA},
  {"branch-mlp", SP_GAIN_BRANCH_MLP}};

const sp_name_list sp_names_norm = LIST(norms), sp_names_attention = LIST(attns),
                   sp_names_activation = LIST(acts), sp_names_gain = LIST(gains);
static const sp_name_list stats_list = LIST(statss), betac_list = LIST(betacs),
                          overlap_list = LIST(overlaps);

#define CONVERT(kind, type, list)                                     \
  int sp_##kind##_from_name(const char *s, type *out)                 \
  {                                                                   \
    int v = 0;                                                        \
    int st = sp_names_find(&(list), s, &v);                           \
    if (st == SP_OK && out)                                           \
      *out = (type)v;                                                 \
    return st;                                                        \
  }                                                                   \
  const char *sp_##kind##_name(type v) { return sp_names_name(&(list), (int)v); }

CONVERT(norm, sp_norm, sp_names_norm)
CONVERT(attention, sp_attention, sp_names_attention)
CONVERT(activation, sp_activation, sp_names_activation)
CONVERT(stats, sp_stats, stats_list)
CONVERT(betac_on, sp_betac_on, betac_list)
CONVERT(row_overlap, sp_row_overlap, overlap_list)
CONVERT(gain, sp_gain, sp_names_gain)
