/* The axis specifications "NAME:MIN:MAX:N[:log|lin]" of the diagram and
 * the MLP grid: parsing, checks and their messages, shared by the program
 * and the bindings.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/diagram.h"
#include "sigprop/status.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fields of a specification and where its message goes. */
typedef struct {
  const char *opt, *spec;
  char buf[256];
  char *f[6];
  int nf;
  double lo, hi;
  long n;
  int log;
  char *msg;
  size_t msgsize;
} parse;

static int fail(parse *p, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 2, 3)))
#endif
  ;

static int fail(parse *p, const char *fmt, ...)
{
  if (p->msg && p->msgsize) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg, p->msgsize, fmt, ap);
    va_end(ap);
  }
  return SP_EINVAL;
}

static int number(parse *p, const char *s, double *x)
{
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || *end != '\0')
    return fail(p, "--%s: '%s' is not a number", p->opt, s);
  if (!isfinite(v) || errno == ERANGE)
    return fail(p, "--%s: '%s' is not a finite number", p->opt, s);
  *x = v;
  return SP_OK;
}

static int whole(parse *p, const char *s, long *x)
{
  double v = 0.0;
  int rc = number(p, s, &v);
  if (rc)
    return rc;
  if (v != floor(v) || fabs(v) > 9.0e15)
    return fail(p, "--%s: '%s' is not a whole number", p->opt, s);
  *x = (long)v;
  return SP_OK;
}

/* Split into 4 or 5 fields. */
static int split(parse *p)
{
  if (strlen(p->spec) >= sizeof p->buf)
    return fail(p, "--%s: too long", p->opt);
  strcpy(p->buf, p->spec);
  p->nf = 0;
  for (char *s = p->buf; p->nf < 6;) {
    p->f[p->nf++] = s;
    char *c = strchr(s, ':');
    if (!c)
      break;
    *c = '\0';
    s = c + 1;
  }
  if (p->nf < 4 || p->nf > 5)
    return fail(p, "--%s: '%s' is not NAME:MIN:MAX:N[:log]", p->opt, p->spec);
  return SP_OK;
}

/* MIN, MAX, N and the spacing; MIN < MAX. */
static int numbers(parse *p)
{
  if (number(p, p->f[1], &p->lo) || number(p, p->f[2], &p->hi) || whole(p, p->f[3], &p->n))
    return SP_EINVAL;
  p->log = 0;
  if (p->nf == 5) {
    const char *s = p->f[4];
    if (strcmp(s, "log") == 0)
      p->log = 1;
    else if (strcmp(s, "lin") != 0 && strcmp(s, "linear") != 0)
      return fail(p, "--%s: spacing '%s' is not 'log' or 'lin'", p->opt, s);
  }
  if (!(p->lo < p->hi))
    return fail(p, "--%s: MIN must be below MAX (got %s and %s)", p->opt, p->f[1], p->f[2]);
  return SP_OK;
}

static void param_names(char *buf, size_t size)
{
  size_t n, k = 0;
  const sp_param *t = sp_param_table(&n);
  buf[0] = '\0';
  for (size_t i = 0; i < n && k + 2 < size; i++)
    k += (size_t)snprintf(buf + k, size - k, "%s%s", i ? ", " : "", t[i].name);
}

static int begin(parse *p, const char *opt, const char *spec, char *msg, size_t msgsize)
{
  p->msg = msg;
  p->msgsize = msgsize;
  if (msg && msgsize)
    msg[0] = '\0';
  p->opt = opt;
  p->spec = spec;
  if (!opt || !spec)
    return SP_EINVAL;
  return split(p);
}

static void fill(const parse *p, const sp_param *par, sp_axis *out)
{
  *out = (sp_axis){par, p->lo, p->hi, (size_t)p->n, p->log ? SP_SPACING_LOG : SP_SPACING_LINEAR};
}

int sp_axis_parse(const char *opt, const char *spec, sp_axis *out, char *msg, size_t msgsize)
{
  parse p;
  if (begin(&p, opt, spec, msg, msgsize) || !out)
    return SP_EINVAL;
  const sp_param *par = sp_param_lookup(p.f[0]);
  if (!par) {
    char names[512];
    param_names(names, sizeof names);
    return fail(&p, "--%s: '%s' is not a model parameter (one of %s)", opt, p.f[0], names);
  }
  if (numbers(&p))
    return SP_EINVAL;
  if (p.n < 2 || p.n > SP_AXIS_MAX)
    return fail(&p, "--%s: N must be between 2 and %d (got %ld)", opt, SP_AXIS_MAX, p.n);
  if (p.log && !(p.lo > 0.0))
    return fail(&p, "--%s: a log axis needs MIN > 0 (got %s)", opt, p.f[1]);
  if (p.lo < par->min || p.hi > par->max)
    return fail(&p, "--%s: [%s, %s] leaves the domain of %s, [%g, %g]", opt, p.f[1], p.f[2],
                par->name, par->min, par->max);
  if (par->kind == SP_PARAM_INTEGER && (p.lo != floor(p.lo) || p.hi != floor(p.hi)))
    return fail(&p, "--%s: %s takes whole numbers (got %s and %s)", opt, par->name, p.f[1],
                p.f[2]);
  fill(&p, par, out);
  return SP_OK;
}

int sp_axis_parse_mlp(const char *opt, const char *spec, sp_axis *out, char *msg,
                      size_t msgsize)
{
  parse p;
  if (begin(&p, opt, spec, msg, msgsize) || !out)
    return SP_EINVAL;
  if (strcmp(p.f[0], "var-w") != 0 && strcmp(p.f[0], "var-b") != 0)
    return fail(&p, "--%s: '%s' is not var-w or var-b", opt, p.f[0]);
  if (numbers(&p))
    return SP_EINVAL;
  if (p.lo < 0.0)
    return fail(&p, "--%s: %s is a variance: MIN must be >= 0 (got %s)", opt, p.f[0], p.f[1]);
  if (p.n < 2 || p.n > SP_AXIS_MLP_MAX)
    return fail(&p, "--%s: N must be between 2 and %d (got %ld)", opt, SP_AXIS_MLP_MAX, p.n);
  if (p.log && !(p.lo > 0.0))
    return fail(&p, "--%s: a log axis needs MIN > 0 (got %s)", opt, p.f[1]);
  fill(&p, sp_param_lookup(p.f[0]), out);
  return SP_OK;
}
