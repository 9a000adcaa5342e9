/* The main() of an AFL++ harness of one reader: under AFL++ each input goes
 * to the harness's parse_once() as an exact-size heap copy (so that ASan
 * sees overreads); built without AFL it replays every file of the
 * directories (or files) it is given, as TAP (the kept corpus and the
 * regression inputs).  Include after defining AFL_MAX_INPUT (bytes read of
 * a replayed file), then define
 *   static int parse_once(const unsigned char *data, size_t len);
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_AFL_MAIN_H
#define SIGPROP_AFL_MAIN_H

#include "sigprop.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The harness's reader on one input of `len` bytes at `data`, a heap block
 * of exactly that size: its status. */
static int parse_once(const unsigned char *data, size_t len);

/* parse_once() on an exact-size heap copy of `len` bytes at `data`: its
 * status, SP_ENOMEM when out of memory. */
static int afl_parse_copy(const unsigned char *data, size_t len)
{
  unsigned char *copy = malloc(len ? len : 1);
  if (!copy)
    return SP_ENOMEM;
  memcpy(copy, data, len);
  int s = parse_once(copy, len);
  free(copy);
  return s;
}

/* A reader's message (a buffer of `size` bytes) after status `s` must be a
 * terminated string when it is a parse error (the program escapes what it
 * prints): abort() otherwise, a finding. */
static void afl_check_message(int s, const char *text, size_t size)
{
  if (s == SP_EPARSE && !memchr(text, '\0', size))
    abort();
}

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();

int main(void)
{
  __AFL_INIT();
  unsigned char *data = __AFL_FUZZ_TESTCASE_BUF;
  while (__AFL_LOOP(10000))
    afl_parse_copy(data, (size_t)__AFL_FUZZ_TESTCASE_LEN);
  return 0;
}

#else

/* Parse the file at `path`; its status, or -1 when it cannot be read. */
static int replay(const char *path)
{
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return -1;
  static unsigned char buf[AFL_MAX_INPUT];
  size_t len = fread(buf, 1, sizeof buf, fp);
  int bad = ferror(fp);
  fclose(fp);
  return bad ? -1 : afl_parse_copy(buf, len);
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
#endif
