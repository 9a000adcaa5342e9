/* The text report of `recommend`: the model as given, assumptions, the
 * verdict, sensitivity, the recommendation's std table, flags.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "report.h"
#include "cli.h"

#include <math.h>
#include <string.h>

/* A std, or "?" when not known. */
static const char *fstd(char *buf, size_t n, double x)
{
  if (isnan(x))
    snprintf(buf, n, "?");
  else
    snprintf(buf, n, "%.4g", x);
  return buf;
}

static const char *phase_words(sp_phase p)
{
  switch (p) {
  case SP_PHASE_TRAINABLE: return "trainable";
  case SP_PHASE_RANK_COLLAPSE: return "rank collapse";
  case SP_PHASE_ENTROPY_COLLAPSE: return "entropy collapse";
  case SP_PHASE_OVERFLOW: return "stream overflow";
  default: return "?";
  }
}

static const char *mark(const cli_source *src, unsigned bit)
{
  return src->assumed & bit ? "*" : "";
}

static void header(FILE *f, const sp_model *m, const cli_source *src, const sp_stds *s)
{
  fprintf(f, "model        %s%s%s: %s-LN %s, %s attention, %s, L %ld, T %ld\n", src->kind,
          src->name ? " " : "", src->name ? src->name : "", sp_norm_name(m->norm),
          m->causal ? "decoder" : "encoder", sp_attention_name(m->attention),
          m->mlp ? sp_activation_name(m->activation) : "no MLP", m->depth, m->tokens);
  const sp_config *c = strcmp(src->kind, "config") == 0 ? cli_model_config() : NULL;
  if (c && c->assumed) {
    char text[512];
    sp_config_assumed_text(c, text, sizeof text);
    fprintf(f, "             the file lacks (the %s defaults taken): %s\n",
            sp_family_name(c->family), text);
  }
  if (s->d_model > 0) {
    fprintf(f, "             d_model %ld", s->d_model);
    if (s->heads > 0)
      fprintf(f, ", %ld head%s", s->heads, s->heads == 1 ? "" : "s");
    if (s->d_ff > 0)
      fprintf(f, ", d_ff %ld", s->d_ff);
    fprintf(f, "%s%s\n", s->output_projection ? ", output projection W_O" : ", no W_O",
            s->gate ? ", gated MLP (W_gate)" : "");
    char b[8][32];
    fprintf(f, "stds         W_Q %s, W_K %s, W_V %s", fstd(b[0], 32, s->q), fstd(b[1], 32, s->k),
            fstd(b[2], 32, s->v));
    if (s->output_projection)
      fprintf(f, ", W_O %s", fstd(b[3], 32, s->o));
    fprintf(f, ", W_1 %s", fstd(b[4], 32, s->ff_in));
    if (s->gate)
      fprintf(f, ", W_gate %s", fstd(b[5], 32, s->ff_gate));
    fprintf(f, ", W_2 %s, emb %s\n", fstd(b[6], 32, s->ff_out), fstd(b[7], 32, s->emb));
  } else {
    fprintf(f, "             widths not given (--d-model, --heads, --d-ff): no std table\n");
  }
  fprintf(f, "derived      beta %.4g, var-v %.4g, var-w-in %.4g, var-w-out %.4g, var-b %.4g\n",
          m->beta, m->var_v, m->var_w_in, m->var_w_out, m->var_b);
  if (m->alpha_sa != 1.0 || m->alpha_mlp != 1.0 || m->branch_sa != 1.0 || m->branch_mlp != 1.0)
    fprintf(f, "             skip gain alpha %.4g / %.4g, branch gain %.4g / %.4g "
               "(attention / MLP)\n", m->alpha_sa, m->alpha_mlp, m->branch_sa, m->branch_mlp);
}

static void assumptions(FILE *f, const sp_model *m, const cli_source *src)
{
  fprintf(f, "assumptions  rho0 %.4g%s, q0 %.4g%s, T %ld%s, %s statistics%s, %s%s, L %ld%s%s\n",
          m->rho0, mark(src, CLI_GIVEN_RHO0), m->q0, mark(src, CLI_GIVEN_Q0), m->tokens,
          mark(src, CLI_GIVEN_TOKENS), m->stats == SP_STATS_FINITE ? "finite T" : "T -> inf",
          mark(src, CLI_GIVEN_STATS), m->causal ? "causal" : "encoder",
          mark(src, CLI_GIVEN_CAUSAL), m->depth, mark(src, CLI_GIVEN_DEPTH),
          src->assumed & 127u ? "  (*: assumed)" : ""); /* every CLI_GIVEN_* bit */
  int exact = m->row_overlap == SP_OVERLAP_EXACT;
  if (m->stats == SP_STATS_FINITE && m->attention != SP_ATTN_UNIFORM)
    fprintf(f, "             row overlap %s%s %s\n", exact ? "exact" : "1/T",
            mark(src, CLI_GIVEN_OVERLAP),
            exact ? "(rows share keys, theory.md section 14)" : "(independent rows)");
}

static void gradient_line(FILE *f, const sp_model *m, const sp_first_block *fb, unsigned flags)
{
  fprintf(f, "q/k gradient %.3g", fb->qk_gradient_width);
  if (fb->width > 0)
    fprintf(f, " at T %ld, d %ld", m->tokens, fb->width);
  if (m->stats == SP_STATS_ASYMPTOTIC)
    fprintf(f, " under T -> infinity statistics (G = 0 below beta_c)");
  if (fb->width > 0 && fb->qk_floor > 0.0)
    fprintf(f, ": %.3g x that of orthogonal tokens under flat attention;\n             %s\n",
            fb->qk_gradient_width / fb->qk_floor,
            flags & SP_FLAG_QK_VANISHING
              ? "W_Q and W_K start with almost no gradient (collapsed tokens or one-hot attention)"
              : "W_Q and W_K get gradient from the first step");
  else if (fb->width > 0)
    fprintf(f, ": W_Q and W_K cannot learn (beta or sigma_v^2 is 0)\n");
  else
    fprintf(f, " at infinite width (give --d-model for the finite-width value)\n");
  fprintf(f, "             (T / (d^2 sqrt(log T)) E|dL/dW_Q|_F^2 per unit loss scale, theory.md "
             "section 9)\n");
}

static void verdict(FILE *f, const sp_model *m, const sp_recommend_options *o,
                    const sp_recommendation *r, unsigned flags)
{
  const sp_verdict *v = &r->verdict;
  fprintf(f, "verdict      %s: ", phase_words(v->phase));
  if (v->phase == SP_PHASE_OVERFLOW && v->overflow_block)
    fprintf(f, "the iteration overflows at block %ld\n", v->overflow_block);
  else if (v->phase == SP_PHASE_OVERFLOW)
    fprintf(f, "q_L %.3g > %g (float16's largest value)\n", v->q_final, SP_Q_MAX_FLOAT16);
  else if (v->phase == SP_PHASE_ENTROPY_COLLAPSE)
    fprintf(f, "%ld of %ld blocks frozen (beta > beta_c) from block %ld; rho_L %.3g\n",
            v->frozen_layers, m->depth, v->first_frozen, v->rho_final);
  else
    fprintf(f, "rho_L %.3g %s rho_max %.3g, q_L %.3g\n", v->rho_final,
            v->phase == SP_PHASE_RANK_COLLAPSE ? ">=" : "<", o->rho_max, v->q_final);
  const sp_first_block *fb = &r->first;
  fprintf(f, "block 1      beta_c %.3g, E Y2 %.3g, entropy %.3g log T\n", fb->stats.beta_c,
          fb->stats.y2, fb->stats.entropy_ratio);
  gradient_line(f, m, fb, flags);
  if (r->lambda_status)
    fprintf(f, "depth        lambda_a undefined (%s)\n", sp_strerror(r->lambda_status));
  else
    fprintf(f, "depth        lambda_a %.3g per block%s\n", r->lambda_a,
            r->lambda_a < 0.0 ? ": rank collapse sets in over -1/lambda_a blocks"
                              : ": rank collapse repels");
}

static void sensitivity(FILE *f, const sp_model *m, const sp_advice *a)
{
  const sp_sensitivity *s = &a->sens;
  fprintf(f, "sensitivity  rho0: ");
  if (a->sens_rho0_status) {
    fprintf(f, "not found (%s)\n", sp_strerror(a->sens_rho0_status));
  } else {
    if (isnan(s->rho0_up))
      fprintf(f, "%s up to rho0 = 1", phase_words(s->phase));
    else
      fprintf(f, "%s from rho0 = %.4g", phase_words(s->phase_up), s->rho0_up);
    if (isnan(s->rho0_down))
      fprintf(f, "; %s down to rho0 = %.4g\n", phase_words(s->phase),
              m->stats == SP_STATS_FINITE || m->attention == SP_ATTN_UNIFORM
                ? -1.0 / (double)(m->tokens - 1) : 0.0);
    else
      fprintf(f, "; %s below rho0 = %.4g\n", phase_words(s->phase_down), s->rho0_down);
  }
  fprintf(f, "             depth: ");
  if (a->sens_depth_status) {
    fprintf(f, "not found (%s)\n", sp_strerror(a->sens_depth_status));
    return;
  }
  if (!s->depth_up && !s->depth_down) {
    fprintf(f, "%s at every L up to %ld (searched)\n", phase_words(s->phase), s->depth_max);
    return;
  }
  if (s->depth_up)
    fprintf(f, "%s from L = %ld", phase_words(s->depth_phase_up), s->depth_up);
  else
    fprintf(f, "%s up to L = %ld (searched)", phase_words(s->phase), s->depth_max);
  if (s->depth_down)
    fprintf(f, "; %s at L = %ld and below\n", phase_words(s->depth_phase_down), s->depth_down);
  else
    fprintf(f, "; %s at every L below %ld\n", phase_words(s->phase), m->depth);
}

/* One row of the std table. */
static void row(FILE *f, const char *name, double rec, double given, const char *note)
{
  char a[32], b[32];
  fprintf(f, "             %-7s %-10s %s%s\n", name, fstd(a, 32, rec), fstd(b, 32, given), note);
}

static void std_table(FILE *f, const sp_stds *r, const sp_stds *g)
{
  fprintf(f, "             %-7s %-10s %s\n", "matrix", "std", "given");
  row(f, "W_Q", r->q, g->q, "");
  row(f, "W_K", r->k, g->k, "");
  row(f, "W_V", r->v, g->v, "");
  if (r->output_projection)
    row(f, "W_O", r->o, g->o, "");
  row(f, "W_1", r->ff_in, g->ff_in, "");
  if (r->gate)
    row(f, "W_gate", r->ff_gate, g->ff_gate, "");
  row(f, "W_2", r->ff_out, g->ff_out, r->d_ff > 0 ? "" : "      (give --d-ff)");
  row(f, "emb", r->emb, g->emb, isnan(r->emb) ? "      (not given; unchanged)" : "");
}

/* "LN(a x + f(x))", "a x + f(LN(x))" or "a x + f(x)" for skip gain a. */
static const char *skip_form(const sp_model *m, double a, char *buf, size_t n)
{
  const char *form = m->norm == SP_NORM_POST  ? "LN(%.4g x + f(x))"
                     : m->norm == SP_NORM_PRE ? "%.4g x + f(LN(x))" : "%.4g x + f(x)";
  snprintf(buf, n, form, a);
  return buf;
}

static void outcome(FILE *f, int status, const sp_recommendation *r, double rho_max)
{
  if (status || r->rec_status) {
    fprintf(f, "\n             -> not classified (%s)\n",
            sp_strerror(status ? status : r->rec_status));
    return;
  }
  fprintf(f, "\n             -> %s, rho_L %.3g (rho_max %.3g), q_L %.3g\n",
          phase_words(r->rec_verdict.phase), r->rec_verdict.rho_final, rho_max,
          r->rec_verdict.q_final);
}

/* The margin on the gain, and what it leaves in rho_L. */
static void margin_line(FILE *f, int branch, const sp_recommendation *r,
                        const sp_recommend_options *o)
{
  fprintf(f, "margin       %g%% %s the critical %s gain", 100.0 * o->margin,
          branch ? "below" : "above", branch ? "branch" : "skip");
  if (r->gain_status || !isfinite(r->gain_critical))
    fprintf(f, " (%s)", r->gain_status ? "none found" : "none: every gain");
  else
    fprintf(f, " %.4g", r->gain_critical);
  fprintf(f, ": rho_L %.3g against the limit %.3g\n", r->rec_verdict.rho_final, o->rho_max);
}

static void recommendation(FILE *f, const sp_model *m, const sp_recommend_options *o,
                           const sp_advice *a, const sp_stds *given)
{
  const sp_recommendation *p = &a->pure, *c = &a->code;
  const sp_recommendation *r = a->primary_pure ? p : c;
  if (a->primary_pure)
    fprintf(f, "recommend    initialisation only (stds change, no code change): beta %.4g, "
               "gain %.4g", p->recommended.beta, p->gain);
  else
    fprintf(f, "recommend    code change (no initialisation-only form trains): beta %.4g, "
               "skip gain %.4g", c->recommended.beta, c->gain);
  outcome(f, a->primary_pure ? a->pure_status : a->code_status, r, o->rho_max);
  if (given->d_model > 0)
    std_table(f, a->primary_pure ? &a->pure_stds : &a->code_stds, given);
  char buf[64];
  if (!a->primary_pure && !a->code_status)
    fprintf(f, "             and multiply the residual by the skip gain: x -> %s\n",
            skip_form(m, c->gain, buf, sizeof buf));
  if (!r->rec_beta_status) {
    fprintf(f, "safe beta    %.4g %s beta %s %.4g", r->rec_beta_range.lo,
            r->rec_beta_range.lo_edge == SP_EDGE_RANGE ? "<=" : "<",
            r->rec_beta_range.hi_edge == SP_EDGE_RANGE ? "<=" : "<", r->rec_beta_range.hi);
    if (isfinite(a->std_qk_hi))
      fprintf(f, ": std of W_Q = W_K from %.4g to %.4g", a->std_qk_lo, a->std_qk_hi);
    fprintf(f, "\n");
  }
  if (!r->rec_status)
    margin_line(f, a->primary_pure, r, o);
  if (a->primary_pure && !a->code_status && c->gain == sp_gain_get(m, a->code_gain)
      && c->recommended.beta == m->beta) {
    fprintf(f, "alternative  code change: none needed (skip gain %.4g as given)\n", c->gain);
  } else if (a->primary_pure) {
    fprintf(f, "alternative  code change: skip gain %.4g, x -> %s, beta %.4g", c->gain,
            skip_form(m, c->gain, buf, sizeof buf), c->recommended.beta);
    outcome(f, a->code_status, c, o->rho_max);
    if (!a->code_status && c->margin_squeezed)
      fprintf(f, "             margin squeezed: q_L reaches 65504 at skip gain %.4g, the "
                 "critical one is %.4g\n", c->gain_overflow, c->gain_critical);
  } else if (!a->pure_status) {
    fprintf(f, "alternative  initialisation only: branch gain %.4g, beta %.4g", p->gain,
            p->recommended.beta);
    outcome(f, a->pure_status, p, o->rho_max);
  }
}

/* The flags of one point, numbered from *n; `a` for the margin's reasons,
 * `rec` 1 for the recommended point. */
static void flag_lines(FILE *f, const sp_advice *a, int rec, unsigned fl, const sp_verdict *v,
                       const sp_first_block *fb, const sp_recommend_options *o, int *n)
{
  const sp_recommendation *r = a->primary_pure ? &a->pure : &a->code;
  for (int i = 0; i < SP_NFLAGS; i++) {
    unsigned bit = 1u << i;
    if (!(fl & bit))
      continue;
    fprintf(f, "flag %-7d %s: ", ++*n, rec ? "recommended" : "given");
    if (bit == SP_FLAG_FLOAT16)
      fprintf(f, "q_L %.3g beyond float16's range (65504): not trainable\n", v->q_final);
    else if (bit == SP_FLAG_BFLOAT16)
      fprintf(f, "q_L %.3g beyond bfloat16's range (3.39e38)\n", v->q_final);
    else if (bit == SP_FLAG_OVERFLOW)
      fprintf(f, "the iteration overflows at block %ld\n", v->overflow_block);
    else if (bit == SP_FLAG_QK_VANISHING)
      fprintf(f, "q/k gradient %.3g below %g x its floor %.3g: vanishing\n",
              fb ? fb->qk_gradient_width : NAN, SP_QK_VANISHING, fb ? fb->qk_floor : NAN);
    else if (rec && r->margin_squeezed)
      fprintf(f, "the overflow gain %.4g leaves less than the %g%% margin above the critical "
                 "%.4g\n", r->gain_overflow, 100.0 * o->margin, r->gain_critical);
    else if (rec)
      fprintf(f, "the verdict changes at beta = %.4g, within the %g%% margin\n",
              a->rec_flip_beta, 100.0 * o->margin);
    else if (!isnan(a->flip_rho0))
      fprintf(f, "the verdict changes at rho0 = %.4g, within the %g%% margin\n", a->flip_rho0,
              100.0 * o->margin);
    else if (a->flip_depth)
      fprintf(f, "the verdict changes at L = %ld, within the %g%% margin\n", a->flip_depth,
              100.0 * o->margin);
    else
      fprintf(f, "the verdict changes at beta = %.4g, within the %g%% margin\n", a->flip_beta,
              100.0 * o->margin);
  }
}

void cli_report_text(FILE *f, const sp_model *m, const cli_source *src,
                     const sp_recommend_options *o, const sp_advice *a)
{
  const sp_recommendation *given = a->pure_status ? &a->code : &a->pure;
  const sp_stds *g = src->stds.d_model > 0 ? &a->given : &src->stds;
  header(f, m, src, g);
  assumptions(f, m, src);
  verdict(f, m, o, given, a->flags);
  sensitivity(f, m, a);
  recommendation(f, m, o, a, g);
  int n = 0;
  flag_lines(f, a, 0, a->flags, &given->verdict, &given->first, o, &n);
  const sp_recommendation *r = a->primary_pure ? &a->pure : &a->code;
  flag_lines(f, a, 1, a->rec_flags, &r->rec_verdict, a->rec_first_status ? NULL : &a->rec_first,
             o, &n);
  if (!n)
    fprintf(f, "flags        none\n");
}
