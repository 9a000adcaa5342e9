/* The report of sigprop inspect: a checkpoint measured, its recommendation
 * and its JSON with the "checkpoint" member.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/report.h"

#include "sigprop/safetensors.h"
#include "sigprop/status.h"
#include "sigprop/workspace.h"
#include "report_private.h"
#include "stds_private.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sp_report_inspect_options_default(sp_report_inspect_options *o)
{
  memset(o, 0, sizeof *o);
  o->seed = 1;
  o->rho_max = 0.9;
  o->margin = 0.2;
}

/* A checkpoint or config error: I/O is a failure, a malformed file bad
 * input. */
static int file_error(int s, const char *text, char *err, size_t errsize, int *usage)
{
  snprintf(err, errsize, "%s", s == SP_ENOMEM ? "out of memory" : text);
  *usage = s != SP_ENOMEM && s != SP_EIO;
  return s;
}

int sp_report_measure(const char *file, const sp_report_inspect_options *o, sp_inspection *in,
                      char *err, size_t errsize, int *usage)
{
  if (!file || !o || !in || !err || !errsize || !usage)
    return SP_EINVAL;
  err[0] = '\0';
  *usage = 0;
  sp_config cfg;
  sp_config_error ce;
  int s = o->config ? sp_config_read(o->config, &cfg, &ce) : SP_OK;
  if (s)
    return file_error(s, ce.text, err, errsize, usage);
  sp_safetensors *st;
  sp_st_error e;
  if ((s = sp_safetensors_open(file, &st, &e)))
    return file_error(s, e.text, err, errsize, usage);
  sp_inspect_options io = {(uint64_t)o->seed, o->tokens};
  s = sp_inspect_checkpoint(st, o->config ? &cfg : NULL, &io, in, &e);
  sp_safetensors_free(st);
  if (!s && sp_report_exact_overlap(&in->preset.model)) /* as recommend */
    in->preset.model.row_overlap = SP_OVERLAP_EXACT;
  if (s == SP_EDOM) {
    snprintf(err, errsize, "%s", e.text);
    *usage = 1;
    return s;
  }
  return s ? file_error(s, e.text, err, errsize, usage) : SP_OK;
}

/* The widths and stds the checkpoint was measured to have. */
static void stds_of(const sp_inspection *in, sp_stds *s)
{
  const sp_preset *p = &in->preset;
  sp_stds_init(s);
  s->d_model = in->d_model;
  s->heads = p->heads;
  s->d_ff = in->d_ff;
  s->output_projection = 1;
  s->gate = in->has_gate;
  s->emb_norm = in->family == SP_FAMILY_BERT || in->family == SP_FAMILY_ROBERTA
                || in->family == SP_FAMILY_ELECTRA;
  sp_stds_preset_weights(s, p);
  s->emb = in->std_emb;
}

int sp_report_inspect_eval(const sp_inspection *in, const char *file,
                           const sp_report_inspect_options *o, sp_report_source *src,
                           sp_recommend_options *ro, sp_advice *a, sp_verdict *v, int *advised,
                           int *why)
{
  if (!in || !o || !src || !ro || !a || !v || !advised || !why)
    return SP_EINVAL;
  const sp_model *m = &in->preset.model;
  memset(src, 0, sizeof *src);
  src->kind = "checkpoint";
  src->name = file;
  stds_of(in, &src->stds);
  src->assumed = (in->tokens_assumed ? (unsigned)SP_GIVEN_TOKENS : 0u)
                 | (o->config ? 0u : (unsigned)SP_GIVEN_CAUSAL) | (unsigned)SP_GIVEN_OVERLAP;
  sp_recommend_options_default(ro);
  ro->rho_max = o->rho_max;
  ro->margin = o->margin;
  ro->gain = in->preset.gain;
  ro->width = in->d_model;
  sp_workspace *w = NULL;
  int s = SP_OK;
  if (sp_workspace_needed(m)) {
    s = sp_workspace_alloc(&w) ? SP_ENOMEM : sp_workspace_prepare(w, m);
    if (s) {
      sp_workspace_free(w);
      return s;
    }
  }
  *why = sp_advice_eval(m, w, &src->stds, ro, a);
  *advised = *why == SP_OK;
  s = *advised ? SP_OK : sp_recommend_verdict(m, w, ro->rho_max, v);
  sp_workspace_free(w);
  return s;
}

int sp_report_inspect_json(const sp_inspection *in, const char *file,
                           const sp_report_inspect_options *o, const sp_report_source *src,
                           const sp_recommend_options *ro, const sp_advice *a,
                           const sp_verdict *v, int advised, char **out)
{
  if (!in || !o || !src || !out)
    return SP_EINVAL;
  *out = NULL;
  json_t *root = sp_report_tree(&in->preset.model, src, advised ? NULL : v, ro,
                                advised ? a : NULL);
  json_t *ck = root ? json_object() : NULL;
  if (ck) {
    json_object_set_new(ck, "file", json_string(file));
    json_object_set_new(ck, "family", json_string(sp_family_name(in->family)));
    json_object_set_new(ck, "prefix", json_string(in->prefix));
    json_object_set_new(ck, "std_emb", json_real(in->std_emb));
    json_object_set_new(ck, "std_pos", isnan(in->std_pos) ? json_null() : json_real(in->std_pos));
    json_object_set_new(ck, "seed", json_integer((json_int_t)o->seed));
    json_object_set_new(ck, "advice", json_boolean(advised));
    if (json_object_set_new(root, "checkpoint", ck)) {
      json_decref(root);
      root = NULL;
    }
  } else {
    json_decref(root);
    root = NULL;
  }
  return sp_report_text(root, out);
}

int sp_report_inspect(const char *file, const sp_report_inspect_options *o, const char *command,
                      char **out, char *err, size_t errsize, int *usage)
{
  if (!out || !err || !errsize || !usage)
    return SP_EINVAL;
  *out = NULL;
  sp_inspection in;
  int s = sp_report_measure(file, o, &in, err, errsize, usage);
  if (s)
    return s;
  sp_report_source src;
  sp_recommend_options ro;
  sp_verdict v;
  int advised = 0, why = SP_OK;
  sp_advice *a = malloc(sizeof *a);
  s = a ? sp_report_inspect_eval(&in, file, o, &src, &ro, a, &v, &advised, &why) : SP_ENOMEM;
  src.command = command;
  if (!s)
    s = sp_report_inspect_json(&in, file, o, &src, &ro, a, &v, advised, out);
  if (s) {
    sp_status_describe(s, "inspect", err, errsize);
    *usage = 0;
  }
  free(a);
  sp_inspect_free(&in);
  return s;
}
