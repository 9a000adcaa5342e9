/* AFL++ harness of the preset parser: sp_preset_parse() on each input and,
 * when it parses, sp_preset_apply() to a model.  Any exit other than a
 * normal return is a finding.  Built without AFL (the test preset_corpus)
 * it replays every file of the directories (or files) it is given, as TAP:
 * the kept corpus and each crash turned regression test.  Building and
 * running it under AFL++: tests/fuzz/README.md.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"

#include <stdlib.h>
#include <string.h>

#define AFL_MAX_INPUT (1 << 17) /* the parser refuses over 64 KiB */
#include "afl_main.h"

static int parse_once(const unsigned char *data, size_t len)
{
  sp_preset p;
  sp_preset_error err;
  int s = sp_preset_parse((const char *)data, len, "fuzz.preset", &p, &err);
  if (s == SP_OK) {
    sp_model m;
    sp_model_default(&m);
    sp_preset_apply(&p, &m);
  }
  afl_check_message(s, err.text, sizeof err.text);
  return s;
}
