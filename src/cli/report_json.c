/* The JSON report of `recommend` and `inspect`: the library's text
 * (sp_report_json), read back into a tree the commands extend and write.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "report.h"
#include "cli.h"

#include <stdlib.h>
#include <string.h>

json_t *cli_report_json(const sp_model *m, const cli_source *src, const sp_verdict *v,
                        const sp_recommend_options *o, const sp_advice *a)
{
  if (!src)
    return NULL;
  sp_report_source s = *src;
  s.command = cli_command_line;
  if (s.kind && strcmp(s.kind, "config") == 0 && !s.config)
    s.config = cli_model_config();
  char *text = NULL;
  if (sp_report_json(m, &s, v, o, a, &text))
    return NULL;
  json_t *root = json_loads(text, 0, NULL); /* reals were written to read back exactly */
  sp_report_free(text);
  return root;
}

void cli_report_dump(FILE *fp, const json_t *root)
{
  const size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17);
  if (root && !json_dumpf(root, fp, flags))
    fputc('\n', fp);
}
