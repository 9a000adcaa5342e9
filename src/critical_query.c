/* The question of sigprop critical and its messages.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/critical_query.h"

#include "sigprop/critical.h"
#include "sigprop/meanfield.h"
#include "sigprop/rem.h"
#include "sigprop/status.h"
#include "sigprop/workspace.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where the message goes and what kind of error it is. */
typedef struct {
  char *err;
  size_t size;
  int *usage;
} report;

static int say(const report *r, int usage, int status, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 4, 5)))
#endif
  ;

static int say(const report *r, int usage, int status, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->err, r->size, fmt, ap);
  va_end(ap);
  *r->usage = usage;
  return status;
}

/* A failure of the computation, worded as the program words it. */
static int failed(const report *r, int status)
{
  sp_status_describe(status, "critical", r->err, r->size);
  *r->usage = 0;
  return status;
}

static int number(const report *r, const char *opt, const char *s, double *x)
{
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || *end != '\0')
    return say(r, 1, SP_EINVAL, "--%s: '%s' is not a number", opt, s);
  if (!isfinite(v) || errno == ERANGE)
    return say(r, 1, SP_EINVAL, "--%s: '%s' is not a finite number", opt, s);
  *x = v;
  return SP_OK;
}

static int parse_range(const report *r, const char *s, double *lo, double *hi)
{
  char buf[128];
  if (strlen(s) >= sizeof buf)
    return say(r, 1, SP_EINVAL, "--range: too long");
  strcpy(buf, s);
  char *colon = strchr(buf, ':');
  if (!colon)
    return say(r, 1, SP_EINVAL, "--range: '%s' is not MIN:MAX", s);
  *colon = '\0';
  if (number(r, "range", buf, lo) || number(r, "range", colon + 1, hi))
    return SP_EINVAL;
  if (!(*lo < *hi))
    return say(r, 1, SP_EINVAL, "--range: MIN must be below MAX (got %s)", s);
  return SP_OK;
}

/* chi1=V: the MLP alone (theory.md §8). */
static int chi1(const report *r, const sp_model *m, const char *name, const char *val,
                const char *range, sp_critical_answer *ans)
{
  double v, lo = 0.0, hi = 100.0, root;
  if (number(r, "where", val, &v))
    return SP_EINVAL;
  if (!(v > 0.0))
    return say(r, 1, SP_EDOM, "--where: chi1=%s must be positive", val);
  if (!name)
    return say(r, 1, SP_EINVAL, "critical: name the variance to solve for (var-w or var-b)");
  sp_mf_param which;
  if (strcmp(name, "var-w") == 0)
    which = SP_MF_VAR_W;
  else if (strcmp(name, "var-b") == 0)
    which = SP_MF_VAR_B;
  else
    return say(r, 1, SP_EINVAL, "critical: --where chi1 solves for var-w or var-b, not '%s'",
               name);
  if (m->var_w_in != m->var_w_out)
    return say(r, 1, SP_EINVAL, "critical: --where chi1 needs one weight variance "
               "(--var-w-in and --var-w-out differ)");
  if (range && parse_range(r, range, &lo, &hi))
    return SP_EINVAL;
  if (lo < 0.0)
    return say(r, 1, SP_EDOM, "--range: [%g, %g] leaves the domain of %s, [0, inf)", lo, hi,
               name);
  int s = sp_meanfield_critical(m->activation, m->erf_scale, m->var_w_in, m->var_b, which, v,
                                lo, hi, 1e-10, &root);
  const char *act = sp_activation_name(m->activation);
  if (s == SP_ENOROOT && isfinite(root))
    return say(r, 0, s, "critical: chi1 jumps across %g at %s = %.10g, where the finite fixed "
               "point q* of the %s MLP disappears (q grows without bound beyond); no %s with "
               "chi1 = %g", v, name, root, act, name, v);
  if (s == SP_ENOROOT)
    return say(r, 0, s, "critical: chi1 - %g keeps one sign for every %s in [%g, %g] (widen "
               "--range)", v, name, lo, hi);
  if (s)
    return failed(r, s);
  ans->value = root;
  snprintf(ans->what, sizeof ans->what, "%s in [%g, %g] with chi1 = %g for the %s MLP alone",
           name, lo, hi, v, act);
  return SP_OK;
}

/* rho-final=V for `param` in [lo, hi]. */
static int solve(const report *r, const sp_model *m, const sp_workspace *w,
                 const sp_param *param, double v, double lo, double hi, sp_critical_answer *ans)
{
  if (param->kind == SP_PARAM_INTEGER) {
    long L;
    if (lo != floor(lo) || hi != floor(hi))
      return say(r, 1, SP_EDOM, "--range: depths are whole numbers");
    int s = sp_critical_depth(m, w, v, (long)lo, (long)hi, &L);
    if (s == SP_ENOROOT && L == (long)hi)
      return say(r, 0, s, "critical: rho_l stays <= %g for every depth up to %ld (no crossing "
                 "in [%g, %g])", v, L, lo, hi);
    if (s == SP_ENOROOT)
      return say(r, 0, s, "critical: rho exceeds %g already before depth %g (no depth in "
                 "[%g, %g] qualifies)", v, lo, lo, hi);
    if (s)
      return failed(r, s);
    ans->value = (double)L;
    ans->is_depth = 1;
    snprintf(ans->what, sizeof ans->what, "largest depth with rho_l <= %g for all l <= L", v);
    return SP_OK;
  }
  double root;
  int s = sp_critical_rho(m, w, param, v, lo, hi, 1e-10, &root);
  if (s == SP_ENOROOT && root == lo)
    return say(r, 0, s, "critical: rho_L <= %g already at %s = %g, the lower end of the range "
               "[%g, %g]", v, param->name, lo, lo, hi);
  if (s == SP_ENOROOT)
    return say(r, 0, s, "critical: rho_L > %g for every %s in [%g, %g]; no root in that range "
               "(widen --range)", v, param->name, lo, hi);
  if (s)
    return failed(r, s);
  ans->value = root;
  snprintf(ans->what, sizeof ans->what, "smallest %s in [%g, %g] with rho_L <= %g",
           param->name, lo, hi, v);
  return SP_OK;
}

/* rho-final=V: the checks, the range, the workspace, then solve(). */
static int rho_final(const report *r, const sp_model *m, const char *name, const char *val,
                     const char *range, sp_critical_answer *ans)
{
  double v = 0.0;
  if (number(r, "where", val, &v))
    return SP_EINVAL;
  if (!(v > -1.0 && v < 1.0))
    return say(r, 1, SP_EDOM, "--where: rho-final=%s must lie in (-1, 1)", val);
  if (!name)
    return say(r, 1, SP_EINVAL, "critical: name the parameter to solve for (e.g. alpha-sa)");
  const sp_param *param = sp_param_lookup(name);
  if (!param)
    return say(r, 1, SP_EINVAL, "critical: '%s' is not a model parameter", name);
  if (param->kind == SP_PARAM_INTEGER && strcmp(param->name, "depth") != 0)
    return say(r, 1, SP_EINVAL, "critical: %s is an integer parameter; only depth is solved "
               "for among those", param->name);
  double lo = param->kind == SP_PARAM_INTEGER ? 1.0 : fmax(0.0, param->min);
  double hi = param->kind == SP_PARAM_INTEGER ? (double)SP_MAX_DEPTH : fmin(100.0, param->max);
  if (range && parse_range(r, range, &lo, &hi))
    return SP_EINVAL;
  if (lo < param->min || hi > param->max)
    return say(r, 1, SP_EDOM, "--range: [%g, %g] leaves the domain of %s, [%g, %g]", lo, hi,
               param->name, param->min, param->max);
  sp_workspace *w = NULL;
  if (sp_workspace_needed(m)) {
    int s = sp_workspace_alloc(&w) ? SP_ENOMEM : sp_workspace_prepare(w, m);
    if (s) {
      sp_workspace_free(w);
      return failed(r, s);
    }
  }
  int s = solve(r, m, w, param, v, lo, hi, ans);
  sp_workspace_free(w);
  return s;
}

int sp_critical_query(const sp_model *m, const char *param, const char *where,
                      const char *range, sp_critical_answer *ans, int *usage, char *err,
                      size_t errsize)
{
  if (!m || !ans || !usage || !err || !errsize)
    return SP_EINVAL;
  report r = {err, errsize, usage};
  err[0] = '\0';
  *usage = 0;
  memset(ans, 0, sizeof *ans);
  if (!where)
    return say(&r, 1, SP_EINVAL, "critical: --where rho-final=V, chi1=V or beta-c is required");
  if (strcmp(where, "beta-c") == 0) {
    if (param)
      return say(&r, 1, SP_EINVAL, "critical: --where beta-c takes no PARAM (got '%s')", param);
    double q = m->q0, p = m->rho0 * m->q0;
    if (m->norm == SP_NORM_PRE && m->beta_c_on == SP_BETAC_INPUT)
      q = 1.0, p = m->rho0;
    ans->value = sp_rem_beta_c(q, p);
    snprintf(ans->what, sizeof ans->what, "beta_c of block 1's attention input (q = %g, p = %g)",
             q, p);
    return SP_OK;
  }
  if (strncmp(where, "chi1=", 5) == 0)
    return chi1(&r, m, param, where + 5, range, ans);
  if (strncmp(where, "rho-final=", 10) != 0)
    return say(&r, 1, SP_EINVAL, "--where: '%s' is not rho-final=V, chi1=V or beta-c", where);
  return rho_final(&r, m, param, where + 10, range, ans);
}
