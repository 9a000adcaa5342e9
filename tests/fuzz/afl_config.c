/* AFL++ harness of the Hugging Face config reader: sp_config_parse() on
 * each input (a whole config.json in memory) and, when it parses, the
 * assumed-field text and sp_preset_apply() to a model.  Any exit other than
 * a normal return is a finding.  Built without AFL it is the test
 * config_corpus (corpus/config/, regress/config/); tests/fuzz/README.md.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"

#include <stdlib.h>
#include <string.h>

#define AFL_MAX_INPUT (1 << 20)
#include "afl_main.h"

static int parse_once(const unsigned char *data, size_t len)
{
  sp_config c;
  sp_config_error err;
  int s = sp_config_parse((const char *)data, len, "fuzz.json", &c, &err);
  if (s == SP_OK) {
    char buf[64];
    sp_config_assumed_text(&c, buf, sizeof buf);
    sp_model m;
    sp_model_default(&m);
    sp_preset_apply(&c.preset, &m);
    if (sp_model_validate(&m, NULL) != SP_OK)
      abort(); /* a config that parses gives a valid model */
  }
  afl_check_message(s, err.text, sizeof err.text);
  return s;
}
