/* AFL++ harness of the preset parser: sp_preset_parse() on each input and,
 * when it parses, sp_preset_apply() to a model.  Any exit other than a
 * normal return is a finding.  Built without AFL (the test preset_corpus)
 * it replays every file of the directories (or files) it is given, as TAP:
 * the kept corpus and each crash turned regression test.  Building and
 * running it under AFL++: tests/fuzz/README.md.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse `len` bytes (an exact-size heap copy, so ASan sees overreads). */
static int parse_once(const unsigned char *data, size_t len)
{
  char *text = malloc(len ? len : 1);
  if (!text)
    return SP_ENOMEM;
  memcpy(text, data, len);
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
  free(text);
  return s;
}

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();

int main(void)
{
  __AFL_INIT();
  unsigned char *data = __AFL_FUZZ_TESTCASE_BUF;
  while (__AFL_LOOP(10000))
    parse_once(data, (size_t)__AFL_FUZZ_TESTCASE_LEN);
  return 0;
}

#else

/* Parse the file at `path`; its status, or -1 when it cannot be read. */
static int replay(const char *path)
{
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return -1;
  static unsigned char buf[1 << 17]; /* the parser refuses over 64 KiB */
  size_t len = fread(buf, 1, sizeof buf, fp);
  int bad = ferror(fp);
  fclose(fp);
  return bad ? -1 : parse_once(buf, len);
}

static int report(const char *path, int n)
{
  int s = replay(path);
  printf("%s %d - %s: %s\n", s < 0 ? "not ok" : "ok", n, path,
         s < 0 ? "unreadable" : s == SP_OK ? "parsed" : sp_strerror(s));
  return s < 0;
}

int main(int argc, char **argv)
{
  int n = 0, bad = 0;
  char path[4096];
  for (int a = 1; a < argc; a++) {
    DIR *d = opendir(argv[a]);
    if (!d) {
      bad += report(argv[a], ++n);
      continue;
    }
    struct dirent *e;
    while ((e = readdir(d)))
      if (e->d_name[0] != '.') {
        snprintf(path, sizeof path, "%s/%s", argv[a], e->d_name);
        bad += report(path, ++n);
      }
    closedir(d);
  }
  printf("1..%d\n", n);
  return bad ? 1 : 0;
}
#endif
