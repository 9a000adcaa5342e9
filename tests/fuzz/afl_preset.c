/* AFL++ harness of the preset parser: parse one file (argv[1], or standard
 * input) with sp_preset_parse() and, when it parses, apply it to a model.
 * Any exit other than a normal return is a finding.  Build and run:
 * see tests/fuzz/README.md.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
#endif

/* Parse `len` bytes and apply the preset; the status is returned so the
 * regression tests can check it. */
static int parse_once(const char *text, size_t len)
{
  sp_preset p;
  sp_preset_error err;
  int s = sp_preset_parse(text, len, "fuzz.preset", &p, &err);
  if (s == SP_OK) {
    sp_model m;
    sp_model_default(&m);
    sp_preset_apply(&p, &m);
  } else if (s == SP_EPARSE && !memchr(err.text, '\0', sizeof err.text)) {
    abort(); /* the message must be a terminated string */
  }
  return s;
}

static int read_all(FILE *fp, char **buf, size_t *len)
{
  size_t cap = 1 << 16, n = 0;
  char *b = malloc(cap);
  while (b) {
    size_t k = fread(b + n, 1, cap - n, fp);
    n += k;
    if (k == 0)
      break;
    if (n == cap) {
      char *nb = realloc(b, cap *= 2);
      if (!nb)
        free(b);
      b = nb;
    }
  }
  *buf = b;
  *len = n;
  return b ? 0 : -1;
}

int main(int argc, char **argv)
{
#ifdef __AFL_FUZZ_TESTCASE_LEN
  (void)argc;
  (void)argv;
  __AFL_INIT();
  unsigned char *data = __AFL_FUZZ_TESTCASE_BUF;
  while (__AFL_LOOP(10000)) {
    size_t len = (size_t)__AFL_FUZZ_TESTCASE_LEN;
    char *copy = malloc(len ? len : 1); /* exact size: ASan sees overreads */
    if (!copy)
      return 1;
    memcpy(copy, data, len);
    parse_once(copy, len);
    free(copy);
  }
  return 0;
#else
  FILE *fp = argc > 1 ? fopen(argv[1], "rb") : stdin;
  if (!fp) {
    perror(argv[1]);
    return 1;
  }
  char *buf;
  size_t len;
  int r = read_all(fp, &buf, &len);
  if (fp != stdin)
    fclose(fp);
  if (r)
    return 1;
  char *copy = malloc(len ? len : 1);
  if (!copy)
    return 1;
  memcpy(copy, buf, len);
  free(buf);
  int s = parse_once(copy, len);
  free(copy);
  printf("%s\n", s == SP_OK ? "ok" : sp_strerror(s));
  return 0;
#endif
}
