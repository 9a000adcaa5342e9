/* Declarative command-line options: the parser and the --help writer.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_parse_double(const char *opt, const char *s, double *x)
{
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || *end != '\0')
    return cli_error(CLI_USAGE, "--%s: '%s' is not a number", opt, s);
  if (!isfinite(v) || errno == ERANGE)
    return cli_error(CLI_USAGE, "--%s: '%s' is not a finite number", opt, s);
  *x = v;
  return CLI_OK;
}

int cli_parse_long(const char *opt, const char *s, long *x)
{
  double v = 0.0;
  int rc = cli_parse_double(opt, s, &v);
  if (rc)
    return rc;
  if (v != floor(v) || fabs(v) > 9.0e15)
    return cli_error(CLI_USAGE, "--%s: '%s' is not a whole number", opt, s);
  *x = (long)v;
  return CLI_OK;
}

/* "--name" or "-s" of an entry, for messages. */
static const char *opt_label(const cli_opt *o, char *buf, size_t size)
{
  if (o->name)
    snprintf(buf, size, "--%s", o->name);
  else
    snprintf(buf, size, "-%c", o->short_name);
  return buf;
}

/* The listed names of a choice list joined by sep: "a, b, c" for messages,
 * "a|b|c" as a value name.  Names starting with '~' are unlisted aliases. */
static void choice_join(const cli_choice *c, const char *sep, char *buf, size_t size)
{
  size_t k = 0;
  buf[0] = '\0';
  for (; c->name && k < size; c++)
    if (c->name[0] != '~')
      k += (size_t)snprintf(buf + k, size - k, "%s%s", k ? sep : "", c->name);
}

static int set_number(const cli_opt *o, void *target, const char *v)
{
  char lab[64];
  const char *n = o->name ? o->name : "";
  double x = 0.0;
  long l = 0;
  if (o->kind == CLI_OPT_LONG ? cli_parse_long(n, v, &l) : cli_parse_double(n, v, &x))
    return CLI_USAGE;
  if (o->kind == CLI_OPT_LONG)
    x = (double)l;
  int open_lo = o->flags & CLI_OPT_OPEN_LO, open_hi = o->flags & CLI_OPT_OPEN_HI;
  if (!(open_lo ? x > o->lo : x >= o->lo) || !(open_hi ? x < o->hi : x <= o->hi))
    return cli_error(CLI_USAGE, "%s: %s is outside %c%g, %g%c", opt_label(o, lab, sizeof lab), v,
                     open_lo ? '(' : '[', o->lo, o->hi, open_hi ? ')' : ']');
  if (o->kind == CLI_OPT_LONG)
    *(long *)target = l;
  else
    *(double *)target = x;
  return CLI_OK;
}

static int set_choice(const cli_opt *o, int *target, const char *v)
{
  for (const cli_choice *c = o->choices; c->name; c++)
    if (strcmp(c->name + (c->name[0] == '~'), v) == 0) {
      *target = c->value;
      return CLI_OK;
    }
  char names[256], lab[64];
  choice_join(o->choices, ", ", names, sizeof names);
  return cli_error(CLI_USAGE, "%s: '%s' is not one of %s", opt_label(o, lab, sizeof lab), v,
                   names);
}

int cli_opt_apply(const cli_opt *o, void *base, const char *v)
{
  void *target = (char *)base + o->offset;
  char lab[64];
  switch (o->kind) {
  case CLI_OPT_FLAG: *(int *)target = (int)o->lo; return CLI_OK;
  case CLI_OPT_DOUBLE:
  case CLI_OPT_LONG: return set_number(o, target, v);
  case CLI_OPT_STRING: *(const char **)target = v; return CLI_OK;
  case CLI_OPT_CHOICE: return set_choice(o, target, v);
  case CLI_OPT_LIST: {
    cli_list *l = target;
    if (l->n >= (int)o->hi || l->n >= CLI_LIST_MAX)
      return cli_error(CLI_USAGE, "%s: at most %d", opt_label(o, lab, sizeof lab),
                       (int)fmin(o->hi, CLI_LIST_MAX));
    l->v[l->n++] = v;
    return CLI_OK;
  }
  case CLI_OPT_CALL: return o->call(target, o, v);
  }
  return CLI_USAGE;
}

/* The entry called `name` (a long name, or one letter when is_short). */
static const cli_opt *find(const cli_opt_group *groups, size_t ngroups, const char *name,
                           size_t len, int is_short, void **base)
{
  for (size_t g = 0; g < ngroups; g++)
    for (size_t i = 0; i < groups[g].n; i++) {
      const cli_opt *o = &groups[g].opts[i];
      int hit = is_short ? o->short_name == name[0]
                         : o->name && strlen(o->name) == len && memcmp(o->name, name, len) == 0;
      if (hit) {
        *base = groups[g].base;
        return o;
      }
    }
  return NULL;
}

/* Has the entry been given?  (Tracked for required options.) */
static int check_required(const cli_command *cmd, const cli_opt_group *groups, size_t ngroups,
                          const unsigned char *seen)
{
  size_t k = 0;
  for (size_t g = 0; g < ngroups; g++)
    for (size_t i = 0; i < groups[g].n; i++, k++) {
      const cli_opt *o = &groups[g].opts[i];
      if ((o->flags & CLI_OPT_REQUIRED) && !(k < 256 && seen[k]))
        return cli_error(CLI_USAGE, "%s: --%s %s is required", cmd->name, o->name,
                         o->metavar ? o->metavar : "");
    }
  return CLI_OK;
}

/* Index of entry o among all groups' entries. */
static size_t entry_index(const cli_opt_group *groups, size_t ngroups, const cli_opt *o)
{
  size_t k = 0;
  for (size_t g = 0; g < ngroups; g++) {
    if (o >= groups[g].opts && o < groups[g].opts + groups[g].n)
      return k + (size_t)(o - groups[g].opts);
    k += groups[g].n;
  }
  return k;
}

/* One option argument s (argv[*i - 1]); may take the next argument. */
static int parse_one(const cli_command *cmd, const cli_opt_group *groups, size_t ngroups,
                     int argc, char **argv, int *i, unsigned char *seen)
{
  const char *s = argv[*i - 1];
  int is_short = s[1] != '-';
  const char *name = s + (is_short ? 1 : 2), *eq = is_short ? NULL : strchr(name, '=');
  size_t len = eq ? (size_t)(eq - name) : strlen(name);
  void *base = NULL;
  const cli_opt *o = find(groups, ngroups, name, len, is_short, &base);
  if (!o && cmd->unknown)
    return cli_error(CLI_USAGE, cmd->unknown, cmd->name, s);
  if (!o)
    return cli_error(CLI_USAGE, "%s: unknown option '%s' (see --help)", cmd->name, s);
  size_t k = entry_index(groups, ngroups, o);
  if (k < 256)
    seen[k] = 1;
  const char *v = eq ? eq + 1 : NULL;
  if (!o->metavar) {
    if (v)
      return cli_error(CLI_USAGE, "--%.*s takes no value", (int)len, name);
    return cli_opt_apply(o, base, NULL);
  }
  if (!v) {
    if (*i >= argc)
      return cli_error(CLI_USAGE, "%s: option %s%.*s needs a value", cmd->name,
                       is_short ? "-" : "--", (int)len, name);
    v = argv[(*i)++];
  }
  return cli_opt_apply(o, base, v);
}

/* Is --help or -h among the options (not the value of another option)? */
static int wants_help(const cli_opt_group *groups, size_t ngroups, int argc, char **argv)
{
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0)
      return 1;
    int is_short = s[0] == '-' && s[1] && s[1] != '-' && !s[2];
    if (!is_short && !(s[0] == '-' && s[1] == '-' && s[2]))
      continue;
    const char *name = s + (is_short ? 1 : 2);
    void *base;
    const cli_opt *o = find(groups, ngroups, name, strlen(name), is_short, &base);
    if (o && o->metavar)
      i++; /* its value */
  }
  return 0;
}

int cli_parse(const cli_command *cmd, const cli_opt_group *groups, size_t ngroups, int argc,
              char **argv, const char **pos, int *npos)
{
  unsigned char seen[256] = {0};
  if (npos)
    *npos = 0;
  if (cmd->about && wants_help(groups, ngroups, argc, argv)) {
    char *text = cli_help_text(cmd, groups, ngroups);
    if (!text)
      return cli_error(CLI_FAIL, "out of memory");
    cli_set_help(text);
    return CLI_HELP;
  }
  for (int i = 1; i < argc;) {
    const char *s = argv[i++];
    int r;
    if (s[0] == '-' && ((s[1] == '-' && s[2]) || (s[1] && s[1] != '-' && !s[2])))
      r = parse_one(cmd, groups, ngroups, argc, argv, &i, seen);
    else if (pos && npos && *npos < cmd->positional)
      pos[(*npos)++] = s, r = CLI_OK;
    else
      r = cli_error(CLI_USAGE, "%s: unexpected argument '%s'", cmd->name, s);
    if (r)
      return r;
  }
  return check_required(cmd, groups, ngroups, seen);
}

/* ---- --help ----------------------------------------------------------- */

#define HELP_WIDTH 79
#define HELP_COLUMN 24

/* Write `text` word-wrapped from column `col` (the cursor is there), lines
 * after the first indented to `indent`. */
static void wrap(FILE *fp, const char *text, int col, int indent)
{
  const char *s = text;
  int space = 0; /* a space is due before the next word */
  while (*s) {
    if (*s == '\n') {
      fprintf(fp, "\n%*s", indent, "");
      col = indent;
      space = 0;
      s++;
      continue;
    }
    if (*s == ' ') {
      space = col > indent;
      s++;
      continue;
    }
    size_t w = strcspn(s, " \n");
    if (col > indent && col + space + (int)w > HELP_WIDTH) {
      fprintf(fp, "\n%*s", indent, "");
      col = indent;
      space = 0;
    }
    if (space)
      fputc(' ', fp), col++;
    fwrite(s, 1, w, fp);
    col += (int)w;
    s += w;
    space = 0;
  }
}

/* The current value of o as --help's default, or "" for none. */
static void show_default(const cli_opt *o, const void *base, char *buf, size_t size)
{
  const void *t = (const char *)base + o->offset;
  buf[0] = '\0';
  size_t n = o->help ? strlen(o->help) : 0;
  if ((o->flags & CLI_OPT_NODEFAULT) || (n && o->help[n - 1] == ']'))
    return;
  if (o->flags & CLI_OPT_REQUIRED) {
    snprintf(buf, size, "required");
    return;
  }
  switch (o->kind) {
  case CLI_OPT_DOUBLE: sp_io_format_double(buf, size, *(const double *)t); break;
  case CLI_OPT_LONG: snprintf(buf, size, "%ld", *(const long *)t); break;
  case CLI_OPT_STRING:
    if (*(const char *const *)t)
      snprintf(buf, size, "%s", *(const char *const *)t);
    break;
  case CLI_OPT_CHOICE:
    for (const cli_choice *c = o->choices; c->name; c++)
      if (c->value == *(const int *)t && c->name[0] != '~') {
        snprintf(buf, size, "%s", c->name);
        break;
      }
    break;
  case CLI_OPT_CALL:
    if (o->show)
      o->show(t, o, buf, size);
    break;
  default: break;
  }
}

/* One entry (and `alias`, the entry after it when that has no help). */
static void help_entry(FILE *fp, const cli_opt *o, const cli_opt *alias, const void *base)
{
  char left[160], def[96], mv[128];
  size_t k = 0;
  if (o->short_name)
    k += (size_t)snprintf(left + k, sizeof left - k, "-%c%s", o->short_name, o->name ? ", " : "");
  if (o->name && k < sizeof left)
    k += (size_t)snprintf(left + k, sizeof left - k, "--%s", o->name);
  if (alias && alias->name && k < sizeof left)
    k += (size_t)snprintf(left + k, sizeof left - k, ", --%s", alias->name);
  if (o->choices)
    choice_join(o->choices, "|", mv, sizeof mv);
  else
    snprintf(mv, sizeof mv, "%s", o->metavar ? o->metavar : "");
  if (mv[0] && k < sizeof left)
    snprintf(left + k, sizeof left - k, " %s", mv);
  int col = fprintf(fp, "  %s", left);
  if (col >= HELP_COLUMN - 1) {
    fprintf(fp, "\n");
    col = 0;
  }
  fprintf(fp, "%*s", HELP_COLUMN - col, "");
  show_default(o, base, def, sizeof def);
  char *text = NULL;
  size_t size = 0;
  FILE *t = open_memstream(&text, &size);
  if (t) {
    fprintf(t, "%s%s%s%s", o->help, def[0] ? " [" : "", def, def[0] ? "]" : "");
    if (fclose(t) == 0)
      wrap(fp, text, HELP_COLUMN, HELP_COLUMN);
    free(text);
  }
  fputc('\n', fp);
}

/* Is o's long name also in a group before group g?  (The parser takes the
 * first; --help lists only that one.) */
static int shadowed(const cli_opt_group *groups, size_t g, const cli_opt *o)
{
  void *base;
  return o->name && find(groups, g, o->name, strlen(o->name), 0, &base) != NULL;
}

char *cli_help_text(const cli_command *cmd, const cli_opt_group *groups, size_t ngroups)
{
  char *text = NULL;
  size_t size = 0;
  FILE *fp = open_memstream(&text, &size);
  if (!fp)
    return NULL;
  /* One synopsis per line of cmd->usage, each wrapped under itself. */
  const char *u = cmd->usage;
  int k = 0;
  do {
    size_t n = strcspn(u, "\n");
    char line[512];
    snprintf(line, sizeof line, "%.*s", (int)n, u);
    int indent = fprintf(fp, "%s sigprop %s ", k++ ? "      " : "Usage:", cmd->name);
    wrap(fp, line, indent, indent);
    fputc('\n', fp);
    u += n + (u[n] == '\n');
  } while (*u);
  fputc('\n', fp);
  wrap(fp, cmd->about, 0, 0);
  fprintf(fp, "\n");
  for (size_t g = 0; g < ngroups; g++) {
    fprintf(fp, "\n%s:\n", groups[g].title ? groups[g].title : "Options");
    const cli_opt *opts = groups[g].opts;
    for (size_t i = 0; i < groups[g].n; i++)
      if (opts[i].help && opts[i].help[0] && !shadowed(groups, g, &opts[i]))
        help_entry(fp, &opts[i], i + 1 < groups[g].n && !opts[i + 1].help ? &opts[i + 1] : NULL,
                   groups[g].base);
  }
  if (fclose(fp)) {
    free(text);
    return NULL;
  }
  return text;
}
