/* The axis specifications of the diagram and the MLP grid (sp_axis_parse,
 * sp_axis_parse_mlp): values and every error path with its message, on
 * high-entropy inputs.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"

#include <string.h>

typedef int (*parser)(const char *, const char *, sp_axis *, char *, size_t);

/* `spec` fails with SP_EINVAL and exactly `want`, leaving the axis alone. */
static void check_error(parser f, const char *opt, const char *spec, const char *want)
{
  sp_axis a = {NULL, 0.625, 1.375, 7, SP_SPACING_LINEAR};
  char msg[1024] = "stale";
  int s = f(opt, spec, &a, msg, sizeof msg);
  tap_ok(s == SP_EINVAL, "'%s': SP_EINVAL (got %d)", spec, s);
  tap_ok(strcmp(msg, want) == 0, "'%s': message '%s'", spec, msg);
  tap_ok(!a.param && a.min == 0.625 && a.max == 1.375 && a.n == 7, "'%s': axis untouched", spec);
}

/* Specifications each parser refuses, with the option named in the
 * message and the message. */
static const struct {
  parser f;
  const char *opt, *spec, *want;
} bad_specs[] = {
    {sp_axis_parse, "y", "beta:0.3:0.7", "--y: 'beta:0.3:0.7' is not NAME:MIN:MAX:N[:log]"},
    {sp_axis_parse, "y", "beta:0.3:0.7:9:log:x",
     "--y: 'beta:0.3:0.7:9:log:x' is not NAME:MIN:MAX:N[:log]"},
    {sp_axis_parse, "x", "beta:0.3q:0.7:9", "--x: '0.3q' is not a number"},
    {sp_axis_parse, "x", "beta:0.3:1e999:9", "--x: '1e999' is not a finite number"},
    {sp_axis_parse, "x", "beta:0.3:0.7:9.5", "--x: '9.5' is not a whole number"},
    {sp_axis_parse, "x", "beta:0.3:0.7:9:cubic", "--x: spacing 'cubic' is not 'log' or 'lin'"},
    {sp_axis_parse, "x", "beta:0.71:0.33:9", "--x: MIN must be below MAX (got 0.71 and 0.33)"},
    {sp_axis_parse, "x", "beta:0.3:0.7:1", "--x: N must be between 2 and 20000 (got 1)"},
    {sp_axis_parse, "x", "beta:0.3:0.7:20001", "--x: N must be between 2 and 20000 (got 20001)"},
    {sp_axis_parse, "x", "rho0:-0.41:0.7:9:log", "--x: a log axis needs MIN > 0 (got -0.41)"},
    {sp_axis_parse, "x", "rho0:-1.37:0.7:9",
     "--x: [-1.37, 0.7] leaves the domain of rho0, [-1, 1]"},
    {sp_axis_parse, "x", "mean-removal:0.3:2.71:9",
     "--x: [0.3, 2.71] leaves the domain of mean-removal, [0, 2]"},
    {sp_axis_parse, "x", "depth:3.5:47:9", "--x: depth takes whole numbers (got 3.5 and 47)"},
    {sp_axis_parse_mlp, "x", "beta:0.3:0.7:9", "--x: 'beta' is not var-w or var-b"},
    {sp_axis_parse_mlp, "y", "var-w:0.3", "--y: 'var-w:0.3' is not NAME:MIN:MAX:N[:log]"},
    {sp_axis_parse_mlp, "x", "var-w:abc:0.7:9", "--x: 'abc' is not a number"},
    {sp_axis_parse_mlp, "x", "var-w:0.3:0.7:9:geo", "--x: spacing 'geo' is not 'log' or 'lin'"},
    {sp_axis_parse_mlp, "x", "var-w:0.93:0.93:9", "--x: MIN must be below MAX (got 0.93 and 0.93)"},
    {sp_axis_parse_mlp, "x", "var-b:-0.17:0.7:1",
     "--x: var-b is a variance: MIN must be >= 0 (got -0.17)"},
    {sp_axis_parse_mlp, "x", "var-w:0.3:0.7:1002", "--x: N must be between 2 and 1001 (got 1002)"},
    {sp_axis_parse_mlp, "x", "var-w:0:0.7:9:log", "--x: a log axis needs MIN > 0 (got 0)"},
};

/* Every specification of bad_specs for parser f. */
static void check_bad_specs(parser f)
{
  for (size_t i = 0; i < sizeof bad_specs / sizeof bad_specs[0]; i++)
    if (bad_specs[i].f == f)
      check_error(f, bad_specs[i].opt, bad_specs[i].spec, bad_specs[i].want);
}

static void check_ok(parser f, const char *spec, const char *name, double lo, double hi,
                     size_t n, sp_spacing sp)
{
  sp_axis a;
  char msg[256] = "stale";
  int s = f("x", spec, &a, msg, sizeof msg);
  tap_ok(s == SP_OK && msg[0] == '\0', "'%s' parses (status %d, '%s')", spec, s, msg);
  if (s)
    return;
  tap_ok(a.param == sp_param_lookup(name), "'%s': parameter %s", spec, name);
  tap_ok(a.min == lo && a.max == hi && a.n == n && a.spacing == sp,
         "'%s': %.17g, %.17g, %zu, spacing %d", spec, a.min, a.max, a.n, (int)a.spacing);
  if (f == sp_axis_parse)
    tap_ok(sp_axis_check(&a) == SP_OK, "'%s': passes sp_axis_check", spec);
}

static void diagram_values(void)
{
  check_ok(sp_axis_parse, "beta:0.137:4.913:37", "beta", 0.137, 4.913, 37, SP_SPACING_LINEAR);
  check_ok(sp_axis_parse, "var-w-in:0.0731:2.719:113:log", "var-w-in", 0.0731, 2.719, 113,
           SP_SPACING_LOG);
  check_ok(sp_axis_parse, "rho0:-0.8317:0.9273:2:lin", "rho0", -0.8317, 0.9273, 2,
           SP_SPACING_LINEAR);
  check_ok(sp_axis_parse, "depth:3:187:19:linear", "depth", 3.0, 187.0, 19, SP_SPACING_LINEAR);
  check_ok(sp_axis_parse, "mean-removal:0.0417:1.9:20000", "mean-removal", 0.0417, 1.9,
           SP_AXIS_MAX, SP_SPACING_LINEAR);
}

static void diagram_errors(void)
{
  char names[1024] = "";
  size_t n;
  const sp_param *t = sp_param_table(&n);
  for (size_t i = 0; i < n; i++)
    snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
             t[i].name);
  char want[1400];
  snprintf(want, sizeof want, "--x: 'gamma' is not a model parameter (one of %s)", names);
  check_error(sp_axis_parse, "x", "gamma:0.3:0.7:9", want);
  char longspec[300];
  memset(longspec, '7', sizeof longspec - 1);
  longspec[sizeof longspec - 1] = '\0';
  check_error(sp_axis_parse, "x", longspec, "--x: too long");
  check_bad_specs(sp_axis_parse);
}

static void mlp_values(void)
{
  check_ok(sp_axis_parse_mlp, "var-w:0.263:3.817:41", "var-w", 0.263, 3.817, 41,
           SP_SPACING_LINEAR);
  check_ok(sp_axis_parse_mlp, "var-b:0.00371:0.519:1001:log", "var-b", 0.00371, 0.519,
           SP_AXIS_MLP_MAX, SP_SPACING_LOG);
  check_ok(sp_axis_parse_mlp, "var-b:0:0.519:3:lin", "var-b", 0.0, 0.519, 3, SP_SPACING_LINEAR);
}

static void mlp_errors(void)
{
  check_bad_specs(sp_axis_parse_mlp);
}

/* NULL arguments and small or absent message buffers. */
static void edges(void)
{
  sp_axis a;
  char msg[16] = "stale";
  tap_ok(sp_axis_parse(NULL, "beta:0.3:0.7:9", &a, msg, sizeof msg) == SP_EINVAL && !msg[0],
         "NULL option: SP_EINVAL, empty message");
  strcpy(msg, "stale");
  tap_ok(sp_axis_parse_mlp("x", NULL, &a, msg, sizeof msg) == SP_EINVAL && !msg[0],
         "NULL spec: SP_EINVAL, empty message");
  tap_ok(sp_axis_parse("x", "beta:0.3:0.7:9", NULL, NULL, 0) == SP_EINVAL, "NULL axis: SP_EINVAL");
  tap_ok(sp_axis_parse("x", "beta:0.3:0.7:1", &a, NULL, 0) == SP_EINVAL, "no message buffer");
  tap_ok(sp_axis_parse("x", "beta:0.71:0.33:9", &a, msg, sizeof msg) == SP_EINVAL
           && strcmp(msg, "--x: MIN must b") == 0,
         "message truncated to the buffer: '%s'", msg);
}

int main(void)
{
  diagram_values();
  diagram_errors();
  mlp_values();
  mlp_errors();
  edges();
  return tap_done();
}
