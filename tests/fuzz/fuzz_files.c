/* Input-file generators of the command-line fuzz suite: one per kind of
 * file sigprop reads.  Now: preset files, mutated from the shipped ones.
 * To add a kind (config JSON, safetensors headers), write its make()
 * function here and add a row to fz_file_kinds; an option of kind V_PRESET
 * in fuzz_gen.c shows how an option asks for a file.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "fuzz_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXTEXT 8192

static const char *const odd_values[] = {
  "nan", "inf", "-1", "1e308", "1e-320", "", "0", "0x10", "1e", "yes", "no", "maybe",
  "\xff\xfe", "12abc", "-0", "99999999999999999999", "post", "gelu", "1 2", "="};
static const char *const keys[] = {
  "name", "title", "source", "norm", "activation", "causal", "d-model", "heads", "d-ff",
  "tokens", "depth", "output-projection", "std-q", "std-k", "beta", "std-v", "std-o",
  "var-v", "std-ff-in", "var-w-in", "std-ff-out", "var-w-out", "std-bias", "var-b",
  "attention", "mlp", "alpha-sa", "alpha-mlp", "branch-sa", "branch-mlp", "mean-removal",
  "erf-scale", "q0", "gain", "unknown-key", "NAME", ""};

/* Start of line `k` of text (0-based), or NULL when there are fewer. */
static char *line_start(char *t, size_t k)
{
  while (k--) {
    t = strchr(t, '\n');
    if (!t)
      return NULL;
    t++;
  }
  return t;
}

static size_t count_lines(const char *t)
{
  size_t n = 1;
  for (; *t; t++)
    n += *t == '\n';
  return n;
}

/* Replace bytes [at, at + len) of t (of capacity MAXTEXT) by `with`. */
static void splice(char *t, size_t at, size_t len, const char *with)
{
  size_t n = strlen(t), w = strlen(with);
  if (at > n)
    at = n;
  if (at + len > n)
    len = n - at;
  if (n - len + w + 1 > MAXTEXT)
    return;
  memmove(t + at + w, t + at + len, n - at - len + 1);
  memcpy(t + at, with, w);
}

/* One mutation of preset text t. */
static void mutate(fz_rng *r, char *t)
{
  size_t n = strlen(t), nl = count_lines(t);
  char *ls = line_start(t, fz_below(r, nl));
  size_t at = ls ? (size_t)(ls - t) : 0, llen = ls ? strcspn(ls, "\n") : 0;
  char buf[2200];
  switch (fz_below(r, 8)) {
  case 0: /* a random byte */
    if (n)
      t[fz_below(r, n)] = (char)(1 + fz_below(r, 255));
    break;
  case 1: /* drop a line */
    splice(t, at, llen + 1, "");
    break;
  case 2: /* duplicate a line */
    snprintf(buf, sizeof buf, "%.*s\n", (int)(llen < 600 ? llen : 600), ls ? ls : "");
    splice(t, at, 0, buf);
    break;
  case 3: { /* an odd value after '=' */
    char *eq = ls ? memchr(ls, '=', llen) : NULL;
    if (eq) {
      size_t v = (size_t)(eq + 1 - t);
      snprintf(buf, sizeof buf, " %s", odd_values[fz_below(r, sizeof odd_values / sizeof *odd_values)]);
      splice(t, v, llen - (v - at), buf);
    }
    break;
  }
  case 4: /* a new key line */
    snprintf(buf, sizeof buf, "%s = %s\n", keys[fz_below(r, sizeof keys / sizeof *keys)],
             odd_values[fz_below(r, sizeof odd_values / sizeof *odd_values)]);
    splice(t, at, 0, buf);
    break;
  case 5: /* truncate */
    t[fz_below(r, n + 1)] = '\0';
    break;
  case 6: /* a line over the 1023-byte limit */
    memset(buf, 'x', 1100);
    buf[1100] = '\0';
    splice(t, at, 0, buf);
    break;
  default: /* CR line ends and stray spaces */
    splice(t, at + llen, 0, fz_below(r, 2) ? "\r" : " \t ");
    break;
  }
}

/* A mutated preset: a shipped one (bases) with 1 to 4 mutations, written
 * with fwrite so that NUL bytes from mutation stop the text as C sees it. */
static int make_preset(fz_rng *r, const char *dir, const char *name, const char *const *bases,
                       size_t nbases)
{
  static char t[MAXTEXT];
  const char *base = nbases ? bases[fz_below(r, nbases)] : "name = x\n";
  snprintf(t, sizeof t, "%s", base);
  size_t k = 1 + fz_below(r, 4);
  while (k--)
    mutate(r, t);
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *fp = fopen(path, "wb");
  if (!fp)
    return -1;
  size_t len = strlen(t);
  int bad = fwrite(t, 1, len, fp) != len;
  if (fz_below(r, 30) == 0)
    bad |= fputc('\0', fp) == EOF; /* an embedded NUL byte */
  bad |= fclose(fp) != 0;
  return bad ? -1 : 0;
}

const fz_file_kind fz_file_kinds[] = {
  {"preset", ".preset", make_preset},
};
const size_t fz_nfile_kinds = sizeof fz_file_kinds / sizeof fz_file_kinds[0];
