/* The JSON table writer (sp_table_write, SP_FMT_JSON): the layout, numbers
 * that read back exactly in their shortest form, null for NaN and
 * infinities, escaped strings, and bytes that are not UTF-8.  The output is
 * read back with jansson.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "tap.h"

#include "sigprop/io.h"
#include "sigprop/status.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Write t as JSON into a malloc'd string. */
static char *write_json(const sp_table *t, const sp_meta *meta, size_t nmeta, int *status)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&buf, &len);
  *status = sp_table_write(fp, SP_FMT_JSON, t, meta, nmeta);
  fclose(fp);
  return buf;
}

static void test_numbers_and_strings(void)
{
  const char *names[] = {"x", "label", "y"};
  const double num[] = {0.1, NAN, 1e-5, 3, NAN, -INFINITY, 2.0 / 3.0, NAN, 123456789012345.0,
                        -0.0421875, NAN, 6.02214076e23};
  const char *str[] = {NULL, "plain", NULL, NULL, "quote \" back \\ tab \t nl \n", NULL,
                       NULL, "\xce\xb2 = 0.5", NULL, NULL, "bad \xff\xfe byte", NULL};
  sp_table t = {3, 4, names, num, str};
  sp_meta meta[] = {{"sigprop", "0.1.0"}, {"title", "\xcf\x81_0 \"quoted\""}};
  int s;
  char *out = write_json(&t, meta, 2, &s);
  tap_ok(s == SP_OK && out, "written");
  const char *want_head = "{\n  \"meta\": {\n    \"sigprop\": \"0.1.0\",\n";
  tap_ok(strncmp(out, want_head, strlen(want_head)) == 0, "layout: one metadata pair a line");
  tap_ok(strstr(out, "\n    [0.1, \"plain\", 1e-5],\n    [3, ") != NULL,
         "rows one a line; 0.1 shortest, 3 without a fraction, 1e-5");
  tap_ok(strstr(out, "123456789012345") && strstr(out, "6.02214076e23"),
         "a 15-digit integer and a large real in their shortest forms");
  json_error_t je;
  json_t *root = json_loads(out, 0, &je);
  tap_ok(root != NULL, "parses as JSON%s%s", root ? "" : ": ", root ? "" : je.text);
  json_t *rows = json_object_get(root, "rows");
  tap_ok(json_array_size(rows) == 4, "4 rows");
  int exact = 1;
  for (size_t r = 0; r < 4; r++)
    for (size_t c = 0; c < 3; c++) {
      json_t *v = json_array_get(json_array_get(rows, r), c);
      double x = num[r * 3 + c];
      if (str[r * 3 + c])
        exact &= json_is_string(v);
      else if (!isfinite(x))
        exact &= json_is_null(v);
      else
        exact &= json_is_number(v) && json_number_value(v) == x;
    }
  tap_ok(exact, "every number reads back exactly; NaN and -inf are null; strings are strings");
  const char *esc = json_string_value(json_array_get(json_array_get(rows, 1), 1));
  tap_ok(esc && strcmp(esc, "quote \" back \\ tab \t nl \n") == 0, "quote, backslash and control "
         "characters escaped and read back");
  const char *utf = json_string_value(json_array_get(json_array_get(rows, 2), 1));
  tap_ok(utf && strcmp(utf, "\xce\xb2 = 0.5") == 0, "UTF-8 kept");
  const char *bad = json_string_value(json_array_get(json_array_get(rows, 3), 1));
  tap_ok(bad && strcmp(bad, "bad \xef\xbf\xbd\xef\xbf\xbd byte") == 0,
         "bytes that are not UTF-8 written as U+FFFD: '%s'",
         bad ? bad : "(null)");
  const char *title = json_string_value(json_object_get(json_object_get(root, "meta"), "title"));
  tap_ok(title && strcmp(title, "\xcf\x81_0 \"quoted\"") == 0, "metadata escaped");
  json_decref(root);
  free(out);
}

static void test_empty(void)
{
  const char *names[] = {"a"};
  const double num[] = {0};
  sp_table t = {1, 0, names, num, NULL};
  int s;
  char *out = write_json(&t, NULL, 0, &s);
  tap_ok(s == SP_OK && strcmp(out, "{\n  \"meta\": {},\n  \"columns\": [\"a\"],\n  \"rows\": []\n}\n")
         == 0, "no rows, no metadata: the compact skeleton");
  free(out);
  tap_ok(sp_table_write(stdout, SP_FMT_PNG, &t, NULL, 0) == SP_EINVAL, "not a table format: SP_EINVAL");
}

int main(void)
{
  test_numbers_and_strings();
  test_empty();
  return tap_done();
}
