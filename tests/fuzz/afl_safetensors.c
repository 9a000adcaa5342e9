/* AFL++ harness of the safetensors reader: sp_safetensors_open_memory() on
 * each input (a whole file in memory: header length, JSON header, data)
 * and, when it opens, every float tensor's first elements read and
 * sp_inspect_checkpoint() without a config.  Any exit other than a normal
 * return is a finding.  Built without AFL it is the test safetensors_corpus
 * (corpus/safetensors/, regress/safetensors/); tests/fuzz/README.md.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"

#include <stdlib.h>
#include <string.h>

#define AFL_MAX_INPUT (1 << 22)
#include "afl_main.h"

static int parse_once(const unsigned char *data, size_t len)
{
  sp_safetensors *st;
  sp_st_error err;
  int s = sp_safetensors_open_memory(data, len, "fuzz.safetensors", &st, &err);
  if (s == SP_OK) {
    double x[16];
    for (size_t i = 0; i < sp_safetensors_count(st); i++) {
      const sp_st_tensor *t = sp_safetensors_tensor(st, i);
      size_t n = t->count < 16 ? (size_t)t->count : 16;
      if (t->dtype != SP_DTYPE_OTHER && sp_safetensors_read(st, t, 0, n, x) != SP_OK)
        abort(); /* a listed float tensor reads */
    }
    sp_inspection in;
    sp_inspect_options o;
    sp_inspect_options_default(&o);
    o.tokens = 8; /* bounded work whatever the header claims */
    if (sp_inspect_checkpoint(st, NULL, &o, &in, &err) == SP_OK)
      sp_inspect_free(&in);
    sp_safetensors_free(st);
  }
  afl_check_message(s, err.text, sizeof err.text);
  return s;
}
