/* Private: the names of the library's switches (a model's norm, attention,
 * activation, ... and a preset's gain) as tables of name and value, and the
 * two look-ups every name <-> value conversion of the public headers goes
 * through.  The preset parser reads its choice keys through the same
 * tables, so a name accepted on the command line is accepted in a preset.
 * Not installed.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SP_NAMES_H
#define SP_NAMES_H

#include <stddef.h>

/* One spelling of a value; several spellings may give the same value (the
 * first one listed is the value's name). */
typedef struct {
  const char *name;
  int value;
} sp_name_value;

/* A table of spellings: n entries at v. */
typedef struct {
  const sp_name_value *v;
  size_t n;
} sp_name_list;

/* The value spelt s into *out (untouched on error).  Returns SP_OK, or
 * SP_EINVAL when s is NULL or not in the list. */
int sp_names_find(const sp_name_list *list, const char *s, int *out);

/* The first name of value v in the list (a static string), "?" when none. */
const char *sp_names_name(const sp_name_list *list, int v);

/* The tables behind sp_norm_name, sp_attention_name, sp_activation_name
 * (model.h) and sp_gain_name (preset.h). */
extern const sp_name_list sp_names_norm, sp_names_attention, sp_names_activation,
  sp_names_gain;

#endif
